#!/usr/bin/env bash
# tls_records_test.sh: a small answer leaves in one TLS record, as nginx sends it (issue 10).
# Debian's libh2o 2.2.5 encrypts each buffer of a write as its own record, and its HTTP/1
# writer gives the headers and the body as two buffers: src/http/tlswrite.c hands it one. The
# client (tls_records.py) counts the records that carried the answer; a large answer (a list
# of 40 ConfigMaps, ~40 KB) still arrives whole, in several records.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
server_start "$T/data" || exit 1
D=$SERVER_DIR/pki
rec() { python3 "$ANZEN_SRC/tests/e2e/tls_records.py" 127.0.0.1 "$SERVER_PORT" "$D/ca.crt" "$D/admin.crt" "$D/admin.key" "$1"; }

req POST /api/v1/namespaces/default/configmaps -H 'Content-Type: application/json' \
    -d '{"metadata":{"name":"small"},"data":{"a":"b"}}'
expect_eq "create a ConfigMap" 201 "$CODE"
OUT=$(rec /api/v1/namespaces/default/configmaps/small)
expect_contains "GET of a small ConfigMap answered 200" "status=200" "$OUT"
expect_contains "headers and body in one TLS record" "records=1 " "$OUT"
OUT=$(rec /version)
expect_contains "GET /version in one TLS record" "records=1 " "$OUT"

big=$(head -c 1000 /dev/zero | tr '\0' x)
for i in $(seq 1 40); do
    req POST /api/v1/namespaces/default/configmaps -H 'Content-Type: application/json' \
        -d "{\"metadata\":{\"name\":\"big-$i\"},\"data\":{\"a\":\"$big\"}}"
done
expect_eq "the last of 40 larger ConfigMaps created" 201 "$CODE"
OUT=$(rec /api/v1/namespaces/default/configmaps)
expect_contains "the list answered 200" "status=200" "$OUT"
n=$(printf '%s\n' "$OUT" | sed -n 's/.*records=\([0-9]*\).*/\1/p')
bytes=$(printf '%s\n' "$OUT" | sed -n 's/.*bytes=\([0-9]*\).*/\1/p')
expect_gt "the 40 KB list in several records" "${n:-0}" 1
expect_gt "the whole list arrived" "${bytes:-0}" 40000
e2e_finish
