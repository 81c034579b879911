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

# ---- 5. built-in namespaces cannot be deleted -----------------------------------------------
for ns in default kube-system kube-public; do
    OUT=$(kc delete ns "$ns" 2>&1)
    expect_eq "kubectl delete ns $ns: forbidden" "Error from server (Forbidden): namespaces \"$ns\" is forbidden: this namespace may not be deleted" "$OUT"
done
req DELETE /api/v1/namespaces/kube-system
expect_eq "DELETE kube-system: 403 Status" '403 Forbidden namespaces "kube-system" is forbidden: this namespace may not be deleted kube-system namespaces' \
    "$CODE $(jget 'd["reason"]+" "+d["message"]+" "+d["details"]["name"]+" "+d["details"]["kind"]' "$T/body")"
expect_eq "kube-system still Active" "Active" "$(kc get ns kube-system -o 'jsonpath={.status.phase}')"
expect_eq "kube-node-lease can be deleted (not immortal upstream)" 'namespace "kube-node-lease" deleted' "$(kc delete ns kube-node-lease --wait=false 2>&1)"

# ---- foreground deletion waits for dependents with blockOwnerDeletion ----------------------
kc create configmap owner >/dev/null
OWNER_UID=$(kc get cm owner -o 'jsonpath={.metadata.uid}')
for dep in dep-block:true dep-free:false; do
    kc create -f - >/dev/null <<YAML
apiVersion: v1
kind: ConfigMap
metadata:
  name: ${dep%%:*}
  finalizers: [example.com/hold]
  ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: owner, uid: $OWNER_UID, blockOwnerDeletion: ${dep#*:}}]
YAML
done
expect_eq "kubectl delete --cascade=foreground" 'configmap "owner" deleted' "$(kc delete cm owner --cascade=foreground --wait=false 2>&1)"
dep_marked() { [ -n "$(kc get cm dep-block -o 'jsonpath={.metadata.deletionTimestamp}' 2>/dev/null)" ]; }
wait_until 30 dep_marked
expect_ne "blocking dependent marked for deletion" "" "$(kc get cm dep-block -o 'jsonpath={.metadata.deletionTimestamp}')"
expect_ne "non-blocking dependent marked for deletion" "" "$(kc get cm dep-free -o 'jsonpath={.metadata.deletionTimestamp}')"
expect_eq "owner kept with foregroundDeletion while a blocking dependent exists" '["foregroundDeletion"]' \
    "$(kc get cm owner -o 'jsonpath={.metadata.finalizers}' 2>&1)"
kc patch cm dep-block --type=json -p '[{"op":"remove","path":"/metadata/finalizers"}]' >/dev/null
owner_gone() { ! kc get cm owner >/dev/null 2>&1; }
wait_until 30 owner_gone
expect_eq "owner gone once the blocking dependent is gone" 'Error from server (NotFound): configmaps "owner" not found' "$(kc get cm owner 2>&1)"
expect_eq "non-blocking dependent still held by its own finalizer" "example.com/hold" "$(kc get cm dep-free -o 'jsonpath={.metadata.finalizers[0]}')"

# ---- 9. /readyz?verbose, /livez?verbose: upstream's per-check lines ----------------------------
noauth_req GET '/readyz?verbose'
expect_eq "/readyz?verbose: 200" "200" "$CODE"
expect_eq "/readyz?verbose: first line" "[+]ping ok" "$(printf '%s\n' "$BODY" | head -n 1)"
expect_contains "/readyz?verbose: etcd check" "[+]etcd ok" "$BODY"
expect_contains "/readyz?verbose: shutdown check" "[+]shutdown ok" "$BODY"
expect_eq "/readyz?verbose: last line" "readyz check passed" "$(printf '%s\n' "$BODY" | tail -n 1)"
expect_eq "/readyz?verbose: text/plain" "text/plain; charset=utf-8" "$(header content-type)"
noauth_req GET '/livez?verbose&exclude=etcd&exclude=nosuch'
expect_contains "/livez?verbose&exclude=etcd" "[+]etcd excluded: ok" "$BODY"
expect_contains "/livez?verbose: unknown exclude warned" 'warn: some health checks cannot be excluded: no matches for "nosuch"' "$BODY"
expect_eq "/livez?verbose: last line" "livez check passed" "$(printf '%s\n' "$BODY" | tail -n 1)"
expect_not_contains "/livez has no shutdown check" "shutdown" "$BODY"
noauth_req GET /livez
expect_eq "/livez without verbose: ok" "ok" "$BODY"
req GET /readyz/ping
expect_eq "/readyz/ping: ok" "200 ok" "$CODE $BODY"
req GET /readyz/nosuch
expect_eq "/readyz/nosuch: 404" "404" "$CODE"
OUT=$(kc get --raw '/readyz?verbose' 2>&1)
expect_contains "kubectl get --raw /readyz?verbose" "[+]informer-sync ok" "$OUT"

# ---- 9. Accept: application/yaml is answered in YAML ------------------------------------------
kc create configmap yamlcm --from-literal=num=1 --from-literal=yes=yes --from-literal=star='*' \
    --from-literal=multi="$(printf 'a\nb')" --from-literal=empty= >/dev/null
yaml_same()  # PATH: "same" if the YAML answer parses to the JSON answer
{
    acurl -H 'Accept: application/yaml' -o "$T/y" "$BASE$1"
    acurl -H 'Accept: application/json' -o "$T/j" "$BASE$1"
    "$PY" - "$T/y" "$T/j" <<'PYEOF'
import json, sys, yaml
y = yaml.safe_load(open(sys.argv[1]))
j = json.load(open(sys.argv[2]))
print("same" if y == j else "differ:\n%s\n%s" % (y, j))
PYEOF
}
req GET /api/v1/namespaces/default/configmaps/yamlcm -H 'Accept: application/yaml'
expect_eq "Accept yaml: content-type" "application/yaml" "$(header content-type)"
expect_contains "Accept yaml: sorted keys, block style" "apiVersion: v1
data:" "$BODY"
expect_contains "Accept yaml: a number-like string is double-quoted" 'num: "1"' "$BODY"
expect_contains "Accept yaml: a bool-like string (key too) is double-quoted" '"yes": "yes"' "$BODY"
expect_contains "Accept yaml: an indicator is single-quoted" "star: '*'" "$BODY"
expect_eq "Accept yaml: configmap parses to the JSON answer" "same" "$(yaml_same /api/v1/namespaces/default/configmaps/yamlcm)"
expect_eq "Accept yaml: clusterrole parses to the JSON answer" "same" "$(yaml_same /apis/rbac.authorization.k8s.io/v1/clusterroles/admin)"
expect_eq "Accept yaml: a list parses to the JSON answer" "same" "$(yaml_same /api/v1/namespaces/default/configmaps)"
req GET /api/v1/namespaces/nosuch -H 'Accept: application/yaml'
expect_contains "Accept yaml: a Status in YAML" "reason: NotFound" "$BODY"

e2e_finish
