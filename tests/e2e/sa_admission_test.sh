#!/usr/bin/env bash
# End-to-end: the ServiceAccount admission plugin and the ServiceAccount / root-CA controllers
# (spec/03 §3.5, spec/04, spec/05 §5.1–5.2) through kubectl and curl against the real binary:
# default SA and kube-root-ca.crt in every namespace (existing and new, re-created after
# deletion, repaired after tampering), the injected kube-api-access-XXXXX volume and mounts
# for the seed's pods, automount precedence (Pod over SA), the 403 for a missing SA, and
# imagePullSecrets copied from the SA. Pods stay Pending (no node agent is involved).
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
server_start "$T/data" || exit 1

CA_FILE="$T/data/pki/ca.crt"
MOUNT=/var/run/secrets/kubernetes.io/serviceaccount
DESC="Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."

# poll_code SECONDS PATH WANT: GET PATH until it answers WANT; prints the elapsed ms.
poll_code()
{
    local secs=$1 path=$2 want=$3 start now
    start=$(date +%s%3N)
    while :; do
        req GET "$path"
        now=$(date +%s%3N)
        [ "$CODE" = "$want" ] && { echo $((now - start)); return 0; }
        [ $((now - start)) -gt $((secs * 1000)) ] && { echo "timeout (last $CODE)"; return 1; }
        sleep 0.05
    done
}

# check_root_ca NS: kube-root-ca.crt holds exactly {ca.crt: DIR/pki/ca.crt} and the description.
check_root_ca()
{
    local ns=$1
    req GET "/api/v1/namespaces/$ns/configmaps/kube-root-ca.crt"
    expect_eq "kube-root-ca.crt exists in $ns" 200 "$CODE"
    expect_eq "kube-root-ca.crt in $ns: data is exactly {ca.crt: pki/ca.crt}" yes \
        "$(printf '%s' "$BODY" | jget "'yes' if d['data'] == {'ca.crt': open('$CA_FILE').read()} else d.get('data')")"
    expect_eq "kube-root-ca.crt in $ns: description annotation" "$DESC" \
        "$(printf '%s' "$BODY" | jget "d['metadata']['annotations']['kubernetes.io/description']")"
}

# ---- controllers: existing namespaces ---------------------------------------------------
for ns in default kube-system kube-public kube-node-lease; do
    ms=$(poll_code 2 "/api/v1/namespaces/$ns/serviceaccounts/default" 200)
    expect_match "default SA exists in $ns" '^[0-9]+$' "$ms"
    check_root_ca "$ns"
done

req GET /api/v1/namespaces/default/serviceaccounts/default
expect_eq "default SA carries no secrets/automount/imagePullSecrets" "[]" \
    "$(printf '%s' "$BODY" | jget "[k for k in ('secrets','automountServiceAccountToken','imagePullSecrets') if k in d]")"
expect_eq "default SA has only apiVersion, kind, metadata" '["apiVersion","kind","metadata"]' \
    "$(printf '%s' "$BODY" | jget "sorted(d.keys())")"

# ---- controllers: a new namespace --------------------------------------------------------
out=$(kc apply -f "$SEED/manifests.yaml" 2>&1)
expect_contains "seed manifests apply" "namespace/lab created" "$out"
ms=$(poll_code 1 /api/v1/namespaces/lab/serviceaccounts/default 200)
expect_match "default SA appears in a new namespace within a second" '^[0-9]+$' "$ms"
ms=$(poll_code 1 /api/v1/namespaces/lab/configmaps/kube-root-ca.crt 200)
expect_match "kube-root-ca.crt appears in a new namespace within a second" '^[0-9]+$' "$ms"
check_root_ca lab
out=$(kc get sa -n lab 2>&1)
expect_match "kubectl get sa -n lab lists default with 0 secrets" '^default +0 +[0-9]+[sm]' "$out"

# ---- controllers: re-creation and repair --------------------------------------------------
old_uid=$(kc get sa default -n lab -o jsonpath='{.metadata.uid}')
out=$(kc delete sa default -n lab 2>&1)
expect_eq "kubectl delete sa default" 'serviceaccount "default" deleted' "$out"
ms=$(poll_code 1 /api/v1/namespaces/lab/serviceaccounts/default 200)
expect_match "default SA re-created within a second after delete" '^[0-9]+$' "$ms"
new_uid=$(printf '%s' "$BODY" | jget "d['metadata']['uid']")
expect_ne "re-created default SA has a new uid" "$old_uid" "$new_uid"

kc delete cm kube-root-ca.crt -n lab >/dev/null 2>&1
ms=$(poll_code 1 /api/v1/namespaces/lab/configmaps/kube-root-ca.crt 200)
expect_match "kube-root-ca.crt re-created after delete" '^[0-9]+$' "$ms"
check_root_ca lab

kc patch cm kube-root-ca.crt -n lab --type merge \
    -p '{"data":{"ca.crt":"tampered","extra":"x"},"metadata":{"annotations":{"mine":"kept"}}}' >/dev/null 2>&1
sleep 0.3
check_root_ca lab
req GET /api/v1/namespaces/lab/configmaps/kube-root-ca.crt
expect_eq "repair keeps other annotations" kept "$(printf '%s' "$BODY" | jget "d['metadata']['annotations'].get('mine')")"

# ---- admission: the seed's pod (defaults to SA default, token mounted) --------------------
out=$(kc apply -f "$SEED/pod-seed.yaml" 2>&1)
expect_eq "apply pod-seed.yaml" "pod/test created" "$out"
kc get pod test -n lab -o json >"$T/test.json" 2>&1
expect_eq "pod test: serviceAccountName" default "$(jget "d['spec']['serviceAccountName']" "$T/test.json")"
expect_eq "pod test: deprecated serviceAccount mirrors it" default "$(jget "d['spec']['serviceAccount']" "$T/test.json")"
vol=$(jget "d['spec']['volumes'][0]['name']" "$T/test.json")
expect_match "pod test: volume name kube-api-access-XXXXX" '^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$' "$vol"
expect_eq "pod test: exactly one volume" 1 "$(jget "len(d['spec']['volumes'])" "$T/test.json")"
want_vol=$(printf '{"name":"%s","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},{"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}}],"defaultMode":420}}' "$vol" | jnorm)
expect_eq "pod test: the injected projected volume, field for field" "$want_vol" \
    "$(jget "d['spec']['volumes'][0]" "$T/test.json" | jnorm)"
want_mounts=$(printf '[{"name":"%s","readOnly":true,"mountPath":"%s"}]' "$vol" "$MOUNT" | jnorm)
expect_eq "pod test: container mount" "$want_mounts" \
    "$(jget "d['spec']['containers'][0]['volumeMounts']" "$T/test.json" | jnorm)"
# raw server order (kubectl re-sorts keys): as upstream's Go field order
req GET /api/v1/namespaces/lab/pods/test
raw=$(printf '%s' "$BODY" | "$PY" -c 'import json,sys; print(json.dumps(json.load(sys.stdin), separators=(",", ":")))')
expect_contains "pod test: raw volume JSON in upstream's field order" \
    "{\"name\":\"$vol\",\"projected\":{\"sources\":[{\"serviceAccountToken\":{\"expirationSeconds\":3607,\"path\":\"token\"}},{\"configMap\":{\"name\":\"kube-root-ca.crt\",\"items\":[{\"key\":\"ca.crt\",\"path\":\"ca.crt\"}]}},{\"downwardAPI\":{\"items\":[{\"path\":\"namespace\",\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":\"metadata.namespace\"}}]}}],\"defaultMode\":420}}" \
    "$raw"
expect_contains "pod test: raw mount JSON in upstream's field order" \
    "{\"name\":\"$vol\",\"readOnly\":true,\"mountPath\":\"$MOUNT\"}" "$raw"
yaml=$(kc get pod test -n lab -o yaml 2>&1)
expect_contains "get -o yaml shows the read-only mount" "    - mountPath: $MOUNT
      name: $vol
      readOnly: true" "$yaml"

# ---- admission: automountServiceAccountToken false on the Pod -----------------------------
out=$(kc apply -f "$SEED/pod-noauto-run.yaml" 2>&1)
expect_eq "apply pod-noauto-run.yaml" "pod/noauto created" "$out"
kc get pod noauto -n lab -o json >"$T/noauto.json" 2>&1
expect_eq "pod noauto: no volumes, no mounts" "[null,null,\"default\"]" \
    "$(jget "[d['spec'].get('volumes'), d['spec']['containers'][0].get('volumeMounts'), d['spec']['serviceAccountName']]" "$T/noauto.json")"

# ---- admission: false on the SA; SA false + Pod true --------------------------------------
kc apply -f - >/dev/null 2>&1 <<'EOF'
apiVersion: v1
kind: ServiceAccount
metadata:
  name: quiet
  namespace: lab
automountServiceAccountToken: false
imagePullSecrets:
- name: regcred
EOF
pod_yaml()  # NAME SA [automount]
{
    printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n  namespace: lab\nspec:\n  serviceAccountName: %s\n' "$1" "$2"
    [ -n "${3:-}" ] && printf '  automountServiceAccountToken: %s\n' "$3"
    printf '  initContainers:\n  - name: init\n    image: alpine:latest\n  containers:\n  - name: main\n    image: alpine:latest\n  - name: side\n    image: alpine:latest\n'
}
out=$(pod_yaml sa-false quiet | kc apply -f - 2>&1)
expect_eq "pod with SA automount false created" "pod/sa-false created" "$out"
kc get pod sa-false -n lab -o json >"$T/safalse.json" 2>&1
expect_eq "SA automount false: no volumes, no mounts anywhere" "[null,null,null,null]" \
    "$(jget "[d['spec'].get('volumes')] + [c.get('volumeMounts') for c in d['spec']['initContainers'] + d['spec']['containers']]" "$T/safalse.json")"
expect_eq "SA's imagePullSecrets copied to the pod" '[{"name":"regcred"}]' \
    "$(jget "d['spec'].get('imagePullSecrets')" "$T/safalse.json")"

out=$(pod_yaml sa-false-pod-true quiet true | kc apply -f - 2>&1)
expect_eq "pod with SA false + Pod true created" "pod/sa-false-pod-true created" "$out"
kc get pod sa-false-pod-true -n lab -o json >"$T/both.json" 2>&1
vol=$(jget "d['spec']['volumes'][0]['name']" "$T/both.json")
expect_match "SA false + Pod true: token volume injected" '^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$' "$vol"
want_mounts=$(printf '[{"name":"%s","readOnly":true,"mountPath":"%s"}]' "$vol" "$MOUNT" | jnorm)
for where in "initContainers 0" "containers 0" "containers 1"; do
    set -- $where
    expect_eq "SA false + Pod true: mount in $1[$2]" "$want_mounts" \
        "$(jget "d['spec']['$1'][$2]['volumeMounts']" "$T/both.json" | jnorm)"
done

# ---- admission: the seed's projected pod (deprecated serviceAccount: runner) --------------
out=$(kc apply -f "$SEED/pod-projected.yaml" 2>&1)
expect_eq "apply pod-projected.yaml" "pod/sleep created" "$out"
kc get pod sleep -n lab -o json >"$T/sleep.json" 2>&1
expect_eq "pod sleep: serviceAccountName from the deprecated field" "runner/runner" \
    "$(jget "d['spec']['serviceAccountName'] + '/' + d['spec']['serviceAccount']" "$T/sleep.json")"
expect_eq "pod sleep: user's projected volume kept, defaulted" \
    '{"name":"token","projected":{"defaultMode":420,"sources":[{"serviceAccountToken":{"audience":"api","expirationSeconds":600,"path":"token"}}]}}' \
    "$(jget "d['spec']['volumes'][0]" "$T/sleep.json" | jnorm)"
vol=$(jget "d['spec']['volumes'][1]['name']" "$T/sleep.json")
expect_match "pod sleep: kube-api-access volume appended second" '^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$' "$vol"
expect_eq "pod sleep: mounts are the user's then the token's" \
    "$(printf '[{"mountPath":"/var/run/secrets/tokens","name":"token"},{"name":"%s","readOnly":true,"mountPath":"%s"}]' "$vol" "$MOUNT" | jnorm)" \
    "$(jget "d['spec']['containers'][0]['volumeMounts']" "$T/sleep.json" | jnorm)"

# ---- admission: missing ServiceAccount ----------------------------------------------------
out=$(pod_yaml x foo | kc apply -f - 2>&1)
expect_contains "kubectl shows upstream's 403 for a missing SA" \
    'pods "x" is forbidden: error looking up service account lab/foo: serviceaccount "foo" not found' "$out"
req POST /api/v1/namespaces/lab/pods -H 'Content-Type: application/json' \
    -d '{"apiVersion":"v1","kind":"Pod","metadata":{"generateName":"web-"},"spec":{"serviceAccountName":"foo","containers":[{"name":"c","image":"alpine"}]}}'
expect_eq "missing SA: HTTP 403" 403 "$CODE"
expect_eq "missing SA with generateName: Status, field for field" \
    '{"apiVersion":"v1","code":403,"details":{"kind":"pods","name":"web-"},"kind":"Status","message":"pods \"web-\" is forbidden: error looking up service account lab/foo: serviceaccount \"foo\" not found","metadata":{},"reason":"Forbidden","status":"Failure"}' \
    "$(printf '%s' "$BODY" | jnorm)"

# ---- a namespace and a pod in one apply ----------------------------------------------------
out=$(printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: quick\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: quick\nspec:\n  containers:\n  - name: c\n    image: alpine:latest\n' | kc apply -f - 2>&1)
expect_eq "namespace + pod in one apply: the pod is admitted with SA default" \
    "namespace/quick created
pod/p created" "$out"

# Thirty such pairs back to back: the ServiceAccount controller runs on its own thread, so the
# pod often arrives before the default SA; admission waits for it as upstream's does (ten
# lookups 100-200 ms apart). Without the wait, several of these are refused.
y=""
for i in $(seq 1 30); do
    y="$y---
apiVersion: v1
kind: Namespace
metadata:
  name: quick$i
---
apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: quick$i
spec:
  containers:
  - name: c
    image: alpine:latest
"
done
out=$(printf '%s' "$y" | kc apply -f - 2>&1)
expect_eq "30 namespace + pod pairs in one apply: every pod admitted" 30 "$(printf '%s\n' "$out" | grep -c '^pod/p created$')"
expect_eq "30 namespace + pod pairs in one apply: nothing refused" "" "$(printf '%s\n' "$out" | grep -i 'forbidden')"

e2e_finish
