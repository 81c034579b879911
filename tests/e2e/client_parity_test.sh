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
# Nothing changes during the watch: the status line and headers must still arrive (read until
# the blank line; the 30 s socket timeout is only a safety net). The field selector names no
# object, so an object a controller adds meanwhile (kube-root-ca.crt on a slow start) sends no
# event: headers and a pending event may share one TLS record, and the body must stay empty.
"$PY" - "$SERVER_DIR/pki" "$SERVER_PORT" "$RV" >"$T/whdrs" 2>&1 <<'PYEOF'
import socket, ssl, sys
pki, port, rv = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=pki + "/ca.crt")
ctx.load_cert_chain(pki + "/admin.crt", pki + "/admin.key")
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1")
s.settimeout(30)
s.sendall(("GET /api/v1/namespaces/default/configmaps?watch=true&fieldSelector=metadata.name%%3Didle-watch-none&resourceVersion=%s HTTP/1.1\r\n"
           "Host: x\r\n\r\n" % rv).encode())
got = b""
try:
    while b"\r\n\r\n" not in got:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
except socket.timeout:
    print("TIMEOUT")
head, _, body = got.partition(b"\r\n\r\n")
print(head.decode().replace("\r", ""))
print("BODY:" + body.decode())
PYEOF
expect_eq "idle watch: status line arrives before any event" "HTTP/1.1 200 OK" "$(head -n 1 "$T/whdrs")"
expect_contains "idle watch: content-type header" "content-type: application/json" "$(cat "$T/whdrs")"
expect_contains "idle watch: chunked" "transfer-encoding: chunked" "$(cat "$T/whdrs")"
expect_eq "idle watch: no event yet" "BODY:" "$(tail -n 1 "$T/whdrs")"
# A watch that ends by timeoutSeconds is a well-formed chunked response (curl exit 0).
acurl --http1.1 -N -o "$T/wbody" -w '%{http_code}' \
    "$BASE/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=$RV&timeoutSeconds=1" >"$T/wcode"
expect_eq "watch ended by timeoutSeconds: curl exit 0 and 200" "0 200" "$? $(cat "$T/wcode")"
# Events are flushed one by one while the watch is open (curl's limit is a safety net; the
# watch is stopped as soon as the event is seen).
acurl --http1.1 -N -o "$T/wev" --max-time 60 \
    "$BASE/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=$RV" 2>/dev/null &
WPID=$!
kc create configmap w1 --from-literal=a=b >/dev/null
wait_until 50 grep -q '"name":"w1"' "$T/wev"
expect_contains "watch flushes the ADDED event" '{"type":"ADDED","object":{"kind":"ConfigMap"' "$(cat "$T/wev" 2>/dev/null)"
kill "$WPID" 2>/dev/null
wait "$WPID" 2>/dev/null

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

# ---- 2. request bodies decode with Go's rules ---------------------------------------------------
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: tc1}\ndata: {a: 1}\n' >"$T/tc1.yaml"
expect_eq "kubectl create: number in ConfigMap data" \
    'Error from server (BadRequest): error when creating "'"$T/tc1.yaml"'": ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string' \
    "$(kc create -f "$T/tc1.yaml" 2>&1)"
expect_eq "the ConfigMap was not stored" 'Error from server (NotFound): configmaps "tc1" not found' "$(kc get cm tc1 2>&1)"
req POST /api/v1/namespaces/default/configmaps "${JSONCT[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"tc2","labels":{"a":3}}}'
expect_eq "curl POST: number label: 400 BadRequest" "400 BadRequest" "$CODE $(jget 'd["reason"]' "$T/body")"
expect_eq "curl POST: number label: upstream text" 'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string' "$(jget 'd["message"]' "$T/body")"
req POST /api/v1/namespaces/default/pods "${JSONCT[@]}" -d '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"tc4"},"spec":{"automountServiceAccountToken":"yes","containers":[{"name":"c","image":"x"}]}}'
expect_eq "curl POST: automountServiceAccountToken \"yes\"" 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field PodSpec.spec.automountServiceAccountToken of type bool' "$(jget 'd["message"]' "$T/body")"
req POST /api/v1/namespaces/default/pods "${JSONCT[@]}" -d '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"tc5"},"spec":{"containers":[{"name":"c","image":"x","ports":[{"containerPort":1.5}]}]}}'
expect_eq "curl POST: fractional containerPort" 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal number 1.5 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32' "$(jget 'd["message"]' "$T/body")"
req POST /api/v1/namespaces/default/pods "${JSONCT[@]}" -d '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"tc5"},"spec":"x"}'
expect_eq "curl POST: spec as a string" 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field Pod.spec of type v1.PodSpec' "$(jget 'd["message"]' "$T/body")"
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: tc3}\ndata: {a: "not base64!"}\n' >"$T/tc3.yaml"
expect_eq "kubectl create: Secret data not base64" \
    'Error from server (BadRequest): error when creating "'"$T/tc3.yaml"'": Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3' \
    "$(kc create -f "$T/tc3.yaml" 2>&1)"
req POST /api/v1/namespaces/default/secrets "${JSONCT[@]}" -d '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"tc3"},"data":{"a":"YWJj"}}'
expect_eq "valid base64 Secret data accepted" "201" "$CODE"
# update (PUT)
kc create configmap tc6 >/dev/null
kc get cm tc6 -o json | "$PY" -c 'import json,sys; d=json.load(sys.stdin); d["data"]={"a":True}; print(json.dumps(d))' >"$T/tc6.json"
expect_eq "kubectl replace: bool in ConfigMap data" \
    'Error from server (BadRequest): error when replacing "'"$T/tc6.json"'": ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal bool into Go struct field ConfigMap.data of type string' \
    "$(kc replace -f "$T/tc6.json" 2>&1)"
# patches: strategic merge (also what kubectl edit and apply send), merge, JSON
expect_eq "kubectl patch (strategic): number in data" \
    'The request is invalid: patch: Invalid value: "map[data:map[a:1]]": cannot convert int64 to string' \
    "$(kc patch cm tc6 -p '{"data":{"a":1}}' 2>&1)"
req PATCH /api/v1/namespaces/default/configmaps/tc6 -H 'Content-Type: application/strategic-merge-patch+json' -d '{"data":{"a":1}}'
expect_eq "strategic patch: 422 Invalid, empty kind and name" '422 Invalid  "" is invalid: patch: Invalid value: "map[data:map[a:1]]": cannot convert int64 to string' \
    "$CODE $(jget 'd["reason"]+" "+d["message"]' "$T/body")"
OUT=$(kc patch cm tc6 --type=merge -p '{"data":{"a":1}}' 2>&1)
expect_match "kubectl patch (merge): the patched object, keys sorted, is the invalid value" '^The request is invalid: patch: Invalid value: "\{\\"apiVersion\\":\\"v1\\",\\"data\\":\{\\"a\\":1\},\\"kind\\":\\"ConfigMap\\",\\"metadata\\":\{.*\}\}": json: cannot unmarshal number into Go struct field ConfigMap.data of type string$' "$OUT"
OUT=$(kc patch cm tc6 --type=json -p '[{"op":"add","path":"/data","value":{"a":true}}]' 2>&1)
expect_contains "kubectl patch (json): bool in data" '": json: cannot unmarshal bool into Go struct field ConfigMap.data of type string' "$OUT"
expect_eq "kubectl patch (strategic): Secret data not base64" \
    'The request is invalid: patch: Invalid value: "map[data:map[a:%%%]]": error decoding from json: illegal base64 data at input byte 0' \
    "$(kc patch secret tc3 -p '{"data":{"a":"%%%"}}' 2>&1)"
expect_eq "kubectl patch (strategic): labels as a list" \
    'The request is invalid: patch: Invalid value: "map[metadata:map[labels:[a]]]": cannot restore map from slice' \
    "$(kc patch cm tc6 -p '{"metadata":{"labels":["a"]}}' 2>&1)"
expect_eq "the ConfigMap still has no data" "" "$(kc get cm tc6 -o 'jsonpath={.data}')"
# kubectl edit sends a strategic merge patch
cat >"$T/editor.sh" <<'SH'
#!/bin/sh
sed -i 's/^kind: ConfigMap/data:\n  a: 1\nkind: ConfigMap/' "$1"
SH
chmod +x "$T/editor.sh"
OUT=$(KUBE_EDITOR="$T/editor.sh" kc edit cm tc6 2>&1)
expect_contains "kubectl edit: number in data refused" 'error: configmaps "tc6" is invalid' "$OUT"
COPY=$(printf '%s\n' "$OUT" | sed -n 's/^A copy of your changes has been stored to "\(.*\)"$/\1/p')
expect_contains "kubectl edit: the kept copy carries the server's reason" '# * patch: Invalid value: "map[data:map[a:1]]": cannot convert int64 to string' "$(cat "$COPY" 2>&1)"
rm -f "$COPY"
# the Python client (JSON bodies)
OUT=$("$PY" - "$KCFG" <<'PYEOF' 2>&1
import sys
from kubernetes import client, config
config.load_kube_config(sys.argv[1])
v1 = client.CoreV1Api()
try:
    v1.create_namespaced_config_map("default", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "pycm"}, "data": {"a": 1}})
    print("created")
except client.exceptions.ApiException as e:
    import json
    print(e.status, json.loads(e.body)["message"])
PYEOF
)
expect_eq "python create_namespaced_config_map with a number" '400 ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string' "$OUT"

# ---- 3. Pod update rules (ValidatePodUpdate) and immutable fields of other kinds ----------
PODMSG='The Pod "ready-pod" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)'
OUT=$(kc patch pod ready-pod -p '{"spec":{"serviceAccountName":"other"}}' 2>&1)
expect_eq "patch serviceAccountName: forbidden (first line)" "$PODMSG" "$(printf '%s\n' "$OUT" | head -n 1)"
expect_contains "patch serviceAccountName: diff names the field" '- 	ServiceAccountName: "default",
+ 	ServiceAccountName: "other",' "$OUT"
expect_eq "patch serviceAccountName: diff opens as cmp.Diff" "  core.PodSpec{" "$(printf '%s\n' "$OUT" | sed -n 2p)"
OUT=$(kc patch pod ready-pod -p '{"spec":{"nodeName":"elsewhere"}}' 2>&1)
expect_eq "patch nodeName: forbidden" "$PODMSG" "$(printf '%s\n' "$OUT" | head -n 1)"
OUT=$(kc patch pod ready-pod -p '{"spec":{"restartPolicy":"Never"}}' 2>&1)
expect_contains "patch restartPolicy: forbidden" '+ 	RestartPolicy: "Never",' "$OUT"
OUT=$(kc patch pod ready-pod --type=json -p '[{"op":"replace","path":"/spec/containers/0/command","value":["sh"]}]' 2>&1)
expect_eq "patch container command: forbidden" "$PODMSG" "$(printf '%s\n' "$OUT" | head -n 1)"
OUT=$(kc patch pod ready-pod --type=json -p '[{"op":"add","path":"/spec/containers/-","value":{"name":"x","image":"y"}}]' 2>&1)
expect_eq "add a container: forbidden" 'The Pod "ready-pod" is invalid: spec.containers: Forbidden: pod updates may not add or remove containers' "$OUT"
expect_eq "change the image: allowed" "pod/ready-pod patched" "$(kc patch pod ready-pod -p '{"spec":{"containers":[{"name":"c","image":"busybox:1.36"}]}}' 2>&1)"
expect_eq "set activeDeadlineSeconds: allowed" "pod/ready-pod patched" "$(kc patch pod ready-pod -p '{"spec":{"activeDeadlineSeconds":300}}' 2>&1)"
expect_eq "raise activeDeadlineSeconds: invalid" 'The Pod "ready-pod" is invalid: spec.activeDeadlineSeconds: Invalid value: 600: must be less than or equal to previous value' \
    "$(kc patch pod ready-pod -p '{"spec":{"activeDeadlineSeconds":600}}' 2>&1)"
expect_eq "add a toleration: allowed" "pod/ready-pod patched" \
    "$(kc patch pod ready-pod --type=json -p '[{"op":"add","path":"/spec/tolerations/-","value":{"key":"k","operator":"Exists"}}]' 2>&1)"
expect_eq "remove a toleration: forbidden" 'The Pod "ready-pod" is invalid: spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds' \
    "$(kc patch pod ready-pod --type=json -p '[{"op":"remove","path":"/spec/tolerations/0"}]' 2>&1)"
expect_eq "the pod keeps its service account" "default" "$(kc get pod ready-pod -o 'jsonpath={.spec.serviceAccountName}')"
# PUT (kubectl replace) goes through the same rules
kc get pod ready-pod -o json | "$PY" -c 'import json,sys; d=json.load(sys.stdin); d["spec"]["hostNetwork"]=True; print(json.dumps(d))' >"$T/pod.json"
OUT=$(kc replace -f "$T/pod.json" 2>&1)
expect_contains "replace with hostNetwork: forbidden" '+ 	HostNetwork: true,' "$OUT"
# other kinds
kc create secret generic imm --from-literal=a=b >/dev/null
kc patch secret imm -p '{"immutable":true}' >/dev/null
expect_eq "immutable Secret: data change refused" 'The Secret "imm" is invalid: data: Forbidden: field is immutable when `immutable` is set' \
    "$(kc patch secret imm -p '{"data":{"a":"Yw=="}}' 2>&1)"
kc create configmap immcm --from-literal=a=b >/dev/null
kc patch configmap immcm -p '{"immutable":true}' >/dev/null
expect_eq "immutable ConfigMap: data change refused" 'The ConfigMap "immcm" is invalid: data: Forbidden: field is immutable when `immutable` is set' \
    "$(kc patch configmap immcm -p '{"data":{"a":"c"}}' 2>&1)"
kc create rolebinding rb --clusterrole=view --user=u >/dev/null
OUT=$(kc patch rolebinding rb -p '{"roleRef":{"name":"edit"}}' 2>&1)
expect_contains "RoleBinding roleRef is immutable" 'The RoleBinding "rb" is invalid: roleRef: Invalid value: ' "$OUT"
expect_contains "RoleBinding roleRef: upstream detail" 'cannot change roleRef' "$OUT"
kc create job jimm --image=busybox -- true >/dev/null
OUT=$(kc patch job jimm -p '{"spec":{"completions":3}}' 2>&1)
expect_contains "Job completions immutable" 'The Job "jimm" is invalid: spec.completions: Invalid value: 3: field is immutable' "$OUT"

req POST /api/v1/nodes "${JSONCT[@]}" -d '{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"},"spec":{"podCIDR":"10.0.0.0/24","podCIDRs":["10.0.0.0/24"],"providerID":"p://1"}}'
expect_eq "create a node with podCIDRs" "201" "$CODE"
OUT=$(kc patch node n1 -p '{"spec":{"podCIDR":"10.1.0.0/24","podCIDRs":["10.1.0.0/24"]}}' 2>&1)
expect_eq "Node podCIDRs cannot change" 'The Node "n1" is invalid: spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid' "$OUT"
OUT=$(kc patch node n1 -p '{"spec":{"providerID":"p://2"}}' 2>&1)
expect_eq "Node providerID cannot change" 'The Node "n1" is invalid: spec.providerID: Forbidden: node updates may not change providerID except from "" to valid' "$OUT"
expect_eq "Node spec.unschedulable may change" "node/n1 patched" "$(kc patch node n1 -p '{"spec":{"unschedulable":true}}' 2>&1)"

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

# ---- 5. the namespace controller waits its deletion grace period ------------------------------
# With the default 5 s a deleted namespace's content still goes (no test waits on the clock:
# it only has to be gone within a generous safety timeout).
kc create ns gone-soon >/dev/null
kc create configmap c1 -n gone-soon >/dev/null
expect_eq "delete a namespace" 'namespace "gone-soon" deleted' "$(kc delete ns gone-soon --wait=false 2>&1)"
ns_gone() { ! kc get ns gone-soon >/dev/null 2>&1; }
wait_until 60 ns_gone
expect_eq "namespace and content gone after the grace period" 'Error from server (NotFound): namespaces "gone-soon" not found' "$(kc get ns gone-soon 2>&1)"

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
# kubectl -o yaml runs the same JSON-to-YAML conversion (go-yaml v2) on the client: the
# server's YAML must be byte for byte what kubectl prints
for o in "api/v1/namespaces/default/configmaps/kube-root-ca.crt cm/kube-root-ca.crt" \
         "api/v1/namespaces/default/configmaps/yamlcm cm/yamlcm" \
         "apis/rbac.authorization.k8s.io/v1/clusterroles/admin clusterrole/admin" \
         "api/v1/namespaces/default/pods/ready-pod pod/ready-pod" \
         "api/v1/namespaces/kube-system ns/kube-system"; do
    set -- $o
    acurl -H 'Accept: application/yaml' -o "$T/srv.yaml" "$BASE/$1"
    kc get "$2" -o yaml --show-managed-fields >"$T/kc.yaml" 2>&1
    expect_eq "Accept yaml: $2 byte for byte as kubectl -o yaml" "" "$(diff "$T/kc.yaml" "$T/srv.yaml" 2>&1 | head -n 20)"
done
req GET /api/v1/namespaces/nosuch -H 'Accept: application/yaml'
expect_contains "Accept yaml: a Status in YAML" "reason: NotFound" "$BODY"

# The grace period, made long (a testing flag) so nothing depends on how fast kubectl is:
# `kubectl delete -f` of a manifest that lists its namespace first deletes the manifest's own
# objects without NotFound, and content outside the manifest waits for the grace period.
server_stop
SERVE_FLAGS="--no-node --testing-namespace-deletion-grace 3600" server_start "$SERVER_DIR" || exit 1
cat >"$T/nsman.yaml" <<'YAML'
apiVersion: v1
kind: Namespace
metadata: {name: manifest-ns}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: m1, namespace: manifest-ns}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: m2, namespace: manifest-ns}
YAML
kc apply -f "$T/nsman.yaml" >/dev/null
kc create configmap extra -n manifest-ns >/dev/null
expect_eq "kubectl delete -f with the namespace first: every object deleted, no NotFound" \
    'namespace "manifest-ns" deleted
configmap "m1" deleted
serviceaccount "m2" deleted' "$(kc delete -f "$T/nsman.yaml" --wait=false 2>&1)"
expect_eq "namespace Terminating during the grace period" "Terminating" "$(kc get ns manifest-ns -o 'jsonpath={.status.phase}')"
expect_eq "content outside the manifest kept during the grace period" "extra" "$(kc get cm extra -n manifest-ns -o 'jsonpath={.metadata.name}' 2>&1)"
expect_contains "new content refused in the terminating namespace" "because it is being terminated" "$(kc create configmap late -n manifest-ns 2>&1)"

e2e_finish
