#!/bin/bash
# anzen on an etcd that requires TLS with client certificates: --etcd-cafile, --etcd-certfile,
# --etcd-keyfile (kube-apiserver's flags). Without the client certificate the member refuses.
. "$(dirname "$0")/lib.sh"
e2e_init

P="$T/tls"
mkdir -p "$P"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$P/ca.key" -out "$P/ca.crt" -days 1 -subj /CN=etcd-ca 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$P/server.key" -out "$P/server.csr" -subj /CN=etcd 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' >"$P/ext"
openssl x509 -req -in "$P/server.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" -CAcreateserial -out "$P/server.crt" -days 1 -extfile "$P/ext" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$P/client.key" -out "$P/client.csr" -subj /CN=anzen 2>/dev/null
printf 'extendedKeyUsage=clientAuth\n' >"$P/cext"
openssl x509 -req -in "$P/client.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" -CAcreateserial -out "$P/client.crt" -days 1 -extfile "$P/cext" 2>/dev/null

BASEP=$((20000 + RANDOM % 20000))
URL="https://127.0.0.1:$BASEP"
etcd --name t --data-dir "$T/etcd.data" --listen-client-urls "$URL" --advertise-client-urls "$URL" \
    --listen-peer-urls "http://127.0.0.1:$((BASEP + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((BASEP + 1))" \
    --initial-cluster "t=http://127.0.0.1:$((BASEP + 1))" --listen-metrics-urls "http://127.0.0.1:$((BASEP + 2))" \
    --cert-file "$P/server.crt" --key-file "$P/server.key" --client-cert-auth --trusted-ca-file "$P/ca.crt" \
    >>"$T/etcd.log" 2>&1 &
E2E_BG_PIDS="$E2E_BG_PIDS $!"
wait_until 30 curl -sf --cacert "$P/ca.crt" --cert "$P/client.crt" --key "$P/client.key" "$URL/health" -o /dev/null
curl -s --max-time 5 --cacert "$P/ca.crt" "$URL/health" -o /dev/null
expect_ne "etcd refuses a client without a certificate (curl exit code)" "0" "$?"
SERVE_FLAGS="--no-node --etcd-servers $URL --etcd-cafile $P/ca.crt --etcd-certfile $P/client.crt --etcd-keyfile $P/client.key"
server_start "$T/data" || exit 1
kc create configmap tls1 --from-literal=a=b >/dev/null
expect_eq "ConfigMap stored through TLS etcd" "b" "$(kc get cm tls1 -o jsonpath='{.data.a}')"
expect_contains "in etcd under /registry" '"a":"b"' \
    "$(ETCDCTL_API=3 etcdctl --endpoints "$URL" --cacert "$P/ca.crt" --cert "$P/client.crt" --key "$P/client.key" get /registry/configmaps/default/tls1 --print-value-only)"
for i in 1 2 3; do kc get cm tls1 -o name >/dev/null; done   # consistent reads: the barrier's probe
server_stop
# the barrier's revision probe is etcd's gRPC KV/Range over HTTP/2 (ALPN) with the client
# certificate, not the JSON gateway (the count is logged at shutdown: "N by gRPC")
probes=$(grep -o '[0-9]* revision fetches ([0-9]* by gRPC)' "$T/server.log" | tail -1)
expect_contains "the consistent-read probes are logged: $probes" " by gRPC)" "$probes"
fetches=$(echo "$probes" | awk '{print $1}') grpc=$(echo "$probes" | tr -d '(' | awk '{print $4}')
expect_ne "probes were made" "0" "${fetches:-0}"
expect_eq "every probe answered through gRPC over TLS" "$fetches" "$grpc"
expect_contains "https:// probes go through libcurl, not the own h2c client" \
    " 0 on the own HTTP/2 client" "$(grep 'revision fetches' "$T/server.log" | tail -1)"
SERVE_FLAGS="--no-node --etcd-servers $URL --etcd-cafile $P/ca.crt"
"$ANZEN" serve --data-dir "$T/data2" --listen 127.0.0.1:$((BASEP + 3)) $SERVE_FLAGS >"$T/nocert.log" 2>&1
expect_eq "without --etcd-certfile: start-up fails (exit 1)" "1" "$?"
expect_contains "and says why" "store etcd: no etcd server answered" "$(cat "$T/nocert.log")"

e2e_finish
