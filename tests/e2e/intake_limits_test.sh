#!/usr/bin/env bash
# End-to-end tests of issue 11's HTTP intake limits (http/prefilter.c, max in flight):
# authentication before the body is read (401, connection closed, memory flat with 200 such
# clients), upstream's 413 Status for a too-large Content-Length or chunked body, Go's 431 for
# a too-large head, the server-wide body budget's 429, max-in-flight 429 with watches and
# health exempt, and normal clients unchanged. Raw requests: tests/e2e/intake_client.py.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
SERVE_FLAGS="--no-node --max-requests-inflight 1 --max-mutating-requests-inflight 1 --max-request-body-budget 8388608"
server_start "$T/data" || exit 1
PKI="$SERVER_DIR/pki"
CM=/api/v1/namespaces/default/configmaps
UNAUTH='{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}\n'
TOOBIG='{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Request entity too large: limit is 3145728","reason":"RequestEntityTooLarge","code":413}\n'
TOOMANY='Too many requests, please try again later.\n'

# ---- (a) authentication before the body ---------------------------------------------------
OUT=$(IC head POST "$CM" 4194304)
expect_eq "no credentials, 4 MB body announced: 401 before the body is sent" "HTTP/1.1 401 " "$(val STATUS)"
expect_eq "no credentials: upstream's 401 Status" "$UNAUTH" "$(val BODY)"
expect_eq "no credentials: connection closed after the 401" 1 "$(val EOF)"
OUT=$(IC head --token not-a-token POST "$CM" 4194304)
expect_eq "invalid bearer token: 401 before the body" "HTTP/1.1 401 " "$(val STATUS)"
expect_eq "invalid bearer token: connection closed" 1 "$(val EOF)"
OUT=$(IC head --expect POST "$CM" 1000)
expect_eq "no credentials, Expect: 100-continue: 401, no 100 Continue" "HTTP/1.1 401 " "$(val STATUS)"
# a pipelined head behind a served request is checked before h2o parses it
OUT=$(IC pipelined-noauth)
expect_eq "pipelined after /healthz, no credentials: 200 then 401" "200,401" "$(val STATUSES)"
expect_eq "pipelined 401: connection closed" 1 "$(val EOF)"
rss() { awk '/^VmRSS/ {print int($2 / 1024)}' "/proc/$SERVER_PID/status"; }
RSS0=$(rss)
mkfifo "$T/hold"
IC many 200 4194304 65536 --hold <"$T/hold" >"$T/many.out" 2>&1 &
E2E_BG_PIDS="${E2E_BG_PIDS:-} $!"
exec 7>"$T/hold"
wait_until 120 grep -q OK401= "$T/many.out"
OUT=$(cat "$T/many.out")
expect_eq "200 unauthenticated 4 MB uploads: every one got its 401 before its body" 200 "$(val OK401)"
RSS1=$(rss)
# mostly the 200 TLS connections' state; ASan's shadow memory and quarantine add to it
LIMIT=64
ldd "$ANZEN" | grep -q libasan && LIMIT=256
if [ $((RSS1 - RSS0)) -lt $LIMIT ]; then e2e_pass "200 unauthenticated uploads: RSS grew $((RSS1 - RSS0)) MB (< $LIMIT)"
else e2e_fail "200 unauthenticated uploads: RSS growth" "< $LIMIT MB" "$((RSS1 - RSS0)) MB ($RSS0 → $RSS1)"; fi
exec 7>&-
# anonymous requests without a body and health endpoints are not affected
noauth_req GET /healthz
expect_eq "health without credentials still answers" ok "$BODY"

# ---- (b) 413 as upstream --------------------------------------------------------------------
OUT=$(IC head --cert POST "$CM" 5242880)
expect_eq "5 MB Content-Length: 413" "HTTP/1.1 413 " "$(val STATUS)"
expect_eq "5 MB Content-Length: upstream's RequestEntityTooLarge Status" "$TOOBIG" "$(val BODY)"
expect_eq "5 MB Content-Length: application/json" application/json "$(val H_CONTENT_TYPE)"
expect_eq "5 MB Content-Length: connection closed" 1 "$(val EOF)"
OUT=$(IC chunked --cert "$CM" 4194304)
expect_eq "chunked body growing past 3 MiB: 413 Status" "$TOOBIG" "$(val BODY)"
expect_eq "chunked body growing past 3 MiB: connection closed" 1 "$(val EOF)"

# ---- (c) 431 for a too-large head, as Go's net/http ------------------------------------------
OUT=$(IC head --cert --header-bytes 1048576 GET /api 0)
expect_eq "1 MB header: Go's 431 bytes" \
    "$(printf 'HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n431 Request Header Fields Too Large' | base64 -w0)" \
    "$(val RESPONSE)"
expect_eq "1 MB header: connection closed" 1 "$(val EOF)"
OUT=$(IC head --cert --keepalive --header-bytes 100000 GET /api 0)
expect_eq "100 KB header: served" "HTTP/1.1 200 " "$(val STATUS)"

# ---- (d) the server-wide body budget (8 MiB here) -------------------------------------------
mkfifo "$T/h1" "$T/h2"
IC head --cert --hold POST "$CM" 3145728 <"$T/h1" >"$T/h1.out" &
E2E_BG_PIDS="${E2E_BG_PIDS:-} $!"
exec 8>"$T/h1"
IC head --cert --hold POST "$CM" 3145728 <"$T/h2" >"$T/h2.out" &
E2E_BG_PIDS="${E2E_BG_PIDS:-} $!"
exec 9>"$T/h2"
wait_until 60 grep -q SENT "$T/h1.out"
wait_until 60 grep -q SENT "$T/h2.out"
# the two heads are read (each reserves 3 MiB) once the server answers anything after them
acurl -s -o /dev/null "$BASE/readyz"
OUT=$(IC head --cert POST "$CM" 3145728)
expect_eq "budget: a third 3 MiB body while two wait: 429" "HTTP/1.1 429 " "$(val STATUS)"
expect_eq "budget: upstream's too-many-requests text" "$TOOMANY" "$(val BODY)"
expect_eq "budget: Retry-After: 1" 1 "$(val H_RETRY_AFTER)"
expect_eq "budget: connection closed" 1 "$(val EOF)"
OUT=$(IC head --cert --send-body POST "$CM" 1000000)
expect_eq "budget: a 1 MB body still fits (read: 400 for its bytes)" "HTTP/1.1 400 " "$(val STATUS)"
exec 8>&-
budget_freed() { OUT=$(IC head --cert --keepalive --send-body POST "$CM" 3145728); [ "$(val STATUS)" = "HTTP/1.1 400 " ]; }
if wait_until 30 budget_freed; then e2e_pass "budget: freed when a waiting client goes away (its body is then read: 400)"
else e2e_fail "budget: freed when a waiting client goes away" "HTTP/1.1 400" "$(val STATUS)"; fi
exec 9>&-

# ---- (e) max in flight (1 read-only, 1 mutating) --------------------------------------------
kc create serviceaccount tester >/dev/null
kc create clusterrolebinding tester-view --clusterrole=view --serviceaccount=default:tester >/dev/null
kc create clusterrolebinding tester-edit --clusterrole=edit --serviceaccount=default:tester >/dev/null
TOK=$(kc create token tester)
tcurl() { curl -sS --max-time 20 --cacert "$PKI/ca.crt" -H "Authorization: Bearer $TOK" "$@"; }
# a list of ~18 MB that the client stops reading keeps its request in flight
head -c 700000 /dev/urandom | base64 -w0 | head -c 900000 >"$T/big.txt"
for i in $(seq 1 20); do kc create configmap "big-$i" --from-file=v="$T/big.txt" >/dev/null; done
mkfifo "$T/slow"
IC slowlist "$CM" <"$T/slow" >"$T/slow.out" &
E2E_BG_PIDS="${E2E_BG_PIDS:-} $!"
exec 6>"$T/slow"
wait_until 60 grep -q FIRST "$T/slow.out"
expect_eq "slow list started" "FIRST=HTTP/1.1 200 " "$(cat "$T/slow.out")"
CODE=$(tcurl -o "$T/body" -D "$T/hdrs" -w '%{http_code}' "$BASE$CM?limit=1")
expect_eq "read-only request while the slow list is in flight: 429" 429 "$CODE"
expect_eq "in-flight 429: upstream's text" "Too many requests, please try again later." "$(cat "$T/body")"
expect_eq "in-flight 429: Retry-After: 1" "retry-after: 1" "$(grep -i '^retry-after:' "$T/hdrs" | tr -d '\r' | tr 'A-Z' 'a-z')"
expect_eq "in-flight 429: text/plain" "content-type: text/plain; charset=utf-8" "$(grep -i '^content-type:' "$T/hdrs" | tr -d '\r')"
CODE=$(tcurl -o "$T/watch" -w '%{http_code}' --max-time 60 "$BASE$CM?watch=1&resourceVersion=0&timeoutSeconds=2")
expect_eq "watch while the slow list is in flight: exempt (200)" 200 "$CODE"
expect_contains "watch streamed its events" '"type":"ADDED"' "$(head -c 300 "$T/watch")"
CODE=$(tcurl -o "$T/body" -w '%{http_code}' "$BASE/healthz")
expect_eq "health while the limit is reached: ok" "200 ok" "$CODE $(cat "$T/body")"
CODE=$(tcurl -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"mut"}}' "$BASE$CM")
expect_eq "mutating request (its own limit) while read-only is full: 201" 201 "$CODE"
req GET "$CM?limit=1"
expect_eq "system:masters is never throttled" 200 "$CODE"
exec 6>&-
freed() { [ "$(tcurl -o /dev/null -w '%{http_code}' "$BASE$CM?limit=1")" = 200 ]; }
if wait_until 30 freed; then e2e_pass "in flight: the slot is given back when the slow client goes away"
else e2e_fail "in flight: slot given back" 200 "429"; fi

# ---- (f) normal flows unchanged ---------------------------------------------------------------
expect_eq "pipelined requests (GET, POST with a body, GET) all answered" "STATUSES=200,201,200" "$(IC pipelined)"
head -c 150000 /dev/zero | tr '\0' 'v' >"$T/mid.txt"
expect_eq "kubectl create with a 150 KB body (client cert)" "configmap/mid created" \
    "$(kc create configmap mid --from-file=v="$T/mid.txt" 2>&1)"
CODE=$(tcurl -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' \
    -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"chunky"},"data":{"a":"b"}}' "$BASE$CM")
expect_eq "chunked body with a token: 201" 201 "$CODE"
CODE=$(tcurl -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -H 'Expect: 100-continue' \
    -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"expecting"}}' "$BASE$CM")
expect_eq "Expect: 100-continue with a token: 201" 201 "$CODE"
expect_eq "kubectl get reads them back" "chunky expecting mid" \
    "$(kc get cm chunky expecting mid -o jsonpath='{.items[*].metadata.name}')"
expect_eq "python kubernetes client lists" ok "$("$PY" - "$KCFG" <<'PY' 2>&1
import sys
from kubernetes import client, config
config.load_kube_config(sys.argv[1])
names = [c.metadata.name for c in client.CoreV1Api().list_namespaced_config_map("default").items]
cm = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="from-python"), data={"k": "v" * 100000})
client.CoreV1Api().create_namespaced_config_map("default", cm)
print("ok" if "chunky" in names else names)
PY
)"
expect_eq "HTTP/2 by prior knowledge is refused without --http2" "FIRST=HTTP/1.1 400 Bad Request" "$(IC prior)"
ensure_alive "server alive after the intake tests"
e2e_finish
