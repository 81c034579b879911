#!/usr/bin/env bash
# End-to-end: client parity (issue 12, API-server parts) — watch headers at once,
# kubectl wait on an already-true condition, typed decoding of request bodies, Pod update
# rules and immutable fields, built-in namespaces, foreground deletion with
# blockOwnerDeletion, /readyz?verbose and /livez?verbose, Accept: application/yaml.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
server_start "$T/data" || exit 1
JSONCT=(-H 'Content-Type: application/json')

# ---- 1. watch: the 200 and headers at once, before any event ------------------------------
req GET /api/v1/namespaces/default/configmaps
RV=$(jget 'd["metadata"]["resourceVersion"]' "$T/body")
# The watch sees no change in its 3 s: curl must still have the status and headers.
acurl --http1.1 -N -D "$T/whdrs" -o "$T/wbody" --max-time 3 \
    "$BASE/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=$RV" 2>/dev/null
expect_eq "idle watch: status line arrives before any event" "HTTP/1.1 200 OK" "$(head -n 1 "$T/whdrs" | tr -d '\r')"
expect_contains "idle watch: content-type header" "content-type: application/json" "$(tr -d '\r' <"$T/whdrs")"
expect_eq "idle watch: no body yet" "" "$(cat "$T/wbody" 2>/dev/null)"
# A watch that ends by timeoutSeconds is a well-formed chunked response (curl exit 0).
acurl --http1.1 -N -o "$T/wbody" -w '%{http_code}' \
    "$BASE/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=$RV&timeoutSeconds=1" >"$T/wcode"
expect_eq "watch ended by timeoutSeconds: curl exit 0 and 200" "0 200" "$? $(cat "$T/wcode")"
# Events are flushed one by one while the watch is open.
acurl --http1.1 -N -o "$T/wev" --max-time 6 \
    "$BASE/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=$RV" 2>/dev/null &
WPID=$!
sleep 1
kc create configmap w1 --from-literal=a=b >/dev/null
wait_until 5 grep -q '"name":"w1"' "$T/wev"
expect_contains "watch flushes the ADDED event" '{"type":"ADDED","object":{"kind":"ConfigMap"' "$(cat "$T/wev")"
wait $WPID 2>/dev/null

# kubectl wait on a condition that already holds returns at once (it watches from the
# list's resourceVersion and needs the watch's headers before any event).
kc create -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: ready-pod}
spec:
  containers: [{name: c, image: busybox}]
YAML
req PATCH /api/v1/namespaces/default/pods/ready-pod/status -H 'Content-Type: application/merge-patch+json' \
    -d '{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}'
expect_eq "pod status set through the status subresource" "200" "$CODE"
OUT=$(timeout 60 kubectl --kubeconfig "$KCFG" --cache-dir "$T/kcache" wait --for=condition=Ready pod/ready-pod --timeout=50s 2>&1)
expect_eq "kubectl wait on an already-Ready pod" "pod/ready-pod condition met" "$OUT"
OUT=$(timeout 60 kubectl --kubeconfig "$KCFG" --cache-dir "$T/kcache" wait --for=jsonpath='{.status.phase}'=Running pod/ready-pod --timeout=50s 2>&1)
expect_eq "kubectl wait --for=jsonpath on an already-Running pod" "pod/ready-pod condition met" "$OUT"

e2e_finish
