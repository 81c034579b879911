#!/usr/bin/env bash
# End-to-end: server-side apply with kubectl 1.32, curl and python3-kubernetes against the
# real anzen binary — `kubectl apply --server-side` of the seed manifests (create, unchanged,
# change), a second field manager's conflict (upstream's text, exit 1) and --force-conflicts,
# `kubectl diff --server-side`, the client-side → server-side upgrade of
# last-applied-configuration and back, the PatchOptions errors, and the Python client's apply.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
server_start "$T/data" || exit 1

M="$SEED/manifests.yaml"
JQ() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# managedFields of an object as "manager/operation=fieldsV1" lines (times left out)
mfields() { kc get "$@" -o json --show-managed-fields | JQ '"\n".join("%s/%s=%s" % (e["manager"], e["operation"], json.dumps(e["fieldsV1"], separators=(",", ":"))) for e in d["metadata"].get("managedFields", []))'; }
rvs() { kc get ns/lab sa/runner role/job-runner rolebinding/job-runner -n lab -o json | JQ '" ".join(i["metadata"]["resourceVersion"] for i in d["items"])'; }

# ---- create, unchanged, change -------------------------------------------------------------
out=$(kc apply --server-side -f "$M" 2>&1)
expect_eq "apply --server-side creates the seed manifests" \
"namespace/lab serverside-applied
serviceaccount/runner serverside-applied
role.rbac.authorization.k8s.io/job-runner serverside-applied
rolebinding.rbac.authorization.k8s.io/job-runner serverside-applied" "$out"
expect_eq "Role: kubectl's Apply entry owns the atomic rules" 'kubectl/Apply={"f:rules":{}}' "$(mfields role/job-runner -n lab)"
expect_eq "RoleBinding: kubectl owns roleRef and subjects" 'kubectl/Apply={"f:roleRef":{},"f:subjects":{}}' "$(mfields rolebinding/job-runner -n lab)"
expect_eq "ServiceAccount with only a name: no managedFields entry" "" "$(mfields sa/runner -n lab)"
expect_eq "the applied Role is stored" "batch,extensions jobs,job/status *" \
    "$(kc get role job-runner -n lab -o json | JQ '" ".join(",".join(x) for x in (d["rules"][0]["apiGroups"], d["rules"][0]["resources"], d["rules"][0]["verbs"]))')"
before=$(rvs)
out=$(kc apply --server-side -f "$M" 2>&1)
expect_eq "second apply --server-side succeeds" 4 "$(printf '%s\n' "$out" | grep -c 'serverside-applied$')"
expect_eq "second apply changes nothing (resourceVersions unchanged)" "$before" "$(rvs)"

"$PY" - "$M" "$T/edited.yaml" <<'PYEOF'
import sys
s = open(sys.argv[1]).read()
s = s.replace("  name: runner\n  namespace: lab\n", "  name: runner\n  namespace: lab\n  labels:\n    team: blue\n", 1)
s = s.replace('verbs: ["get", "list"]', 'verbs: ["get", "list", "watch"]')
open(sys.argv[2], "w").write(s)
PYEOF
kc apply --server-side -f "$T/edited.yaml" >/dev/null 2>&1 || e2e_fail "edited apply" ok failed
after=$(rvs)
expect_ne "the changed apply writes" "$before" "$after"
expect_eq "ServiceAccount label applied and owned (no \".\": an applied set)" 'kubectl/Apply={"f:metadata":{"f:labels":{"f:team":{}}}}' "$(mfields sa/runner -n lab)"
expect_eq "Role gained the verb" "get,list,watch" "$(kc get role job-runner -n lab -o json | JQ '",".join(d["rules"][1]["verbs"])')"
expect_eq "namespace and rolebinding untouched by the change" "$(echo "$before" | cut -d' ' -f1,4)" "$(echo "$after" | cut -d' ' -f1,4)"

# ---- a second manager: conflict, then --force-conflicts ---------------------------------------
cat >"$T/other-role.yaml" <<'EOF'
kind: Role
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: job-runner
  namespace: lab
rules:
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get"]
EOF
out=$(kc apply --server-side --field-manager other -f "$T/other-role.yaml" 2>&1)
rc=$?
expect_eq "conflicting apply exits 1" 1 "$rc"
expect_eq "conflict text as kubectl prints upstream's Status" \
'error: Apply failed with 1 conflict: conflict with "kubectl": .rules
Please review the fields above--they currently have other managers. Here' "$(printf '%s\n' "$out" | head -2)"
expect_eq "the Role is unchanged after the refused apply" "get,list,watch" "$(kc get role job-runner -n lab -o json | JQ '",".join(d["rules"][1]["verbs"])')"
req PATCH "/apis/rbac.authorization.k8s.io/v1/namespaces/lab/roles/job-runner?fieldManager=other" \
    -H 'Content-Type: application/apply-patch+yaml' --data-binary @"$T/other-role.yaml"
expect_eq "conflict over HTTP: 409" 409 "$CODE"
expect_eq "conflict Status: reason, causes of type FieldManagerConflict" \
'Conflict|FieldManagerConflict|conflict with "kubectl"|.rules' \
    "$(jget 'd["reason"]+"|"+d["details"]["causes"][0]["reason"]+"|"+d["details"]["causes"][0]["message"]+"|"+d["details"]["causes"][0]["field"]' "$T/body")"
out=$(kc apply --server-side --field-manager other --force-conflicts -f "$T/other-role.yaml" 2>&1)
expect_eq "--force-conflicts takes the field over" "role.rbac.authorization.k8s.io/job-runner serverside-applied" "$out"
expect_eq "ownership moved: only 'other' owns rules" 'other/Apply={"f:rules":{}}' "$(mfields role/job-runner -n lab)"
expect_eq "forced rules stored" "configmaps" "$(kc get role job-runner -n lab -o json | JQ '",".join(d["rules"][0]["resources"])')"

# ---- kubectl diff --server-side ------------------------------------------------------------------
cat >"$T/cm.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: lab
data:
  mode: fast
EOF
kc apply --server-side -f "$T/cm.yaml" >/dev/null 2>&1 || e2e_fail "apply cm" ok failed
out=$(kc diff --server-side -f "$T/cm.yaml" 2>&1)
expect_eq "diff --server-side of the applied manifest: no diff, exit 0" "0:" "$?:$out"
sed 's/mode: fast/mode: slow/' "$T/cm.yaml" >"$T/cm2.yaml"
out=$(kc diff --server-side -f "$T/cm2.yaml" 2>&1)
rc=$?
expect_eq "diff --server-side of a change: exit 1" 1 "$rc"
expect_match "diff shows the old value" '^-  mode: fast$' "$out"
expect_match "diff shows the new value" '^\+  mode: slow$' "$out"
expect_eq "diff is a dry run" fast "$(kc get cm settings -n lab -o json | JQ 'd["data"]["mode"]')"

# ---- client-side apply → server-side apply → client-side apply ---------------------------------------
cat >"$T/csa.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata:
  name: csa
  namespace: lab
data:
  k: v1
EOF
expect_eq "client-side apply creates" "configmap/csa created" "$(kc apply -f "$T/csa.yaml" 2>&1)"
expect_eq "client-side apply: kubectl-client-side-apply Update owns data and the annotation" \
'kubectl-client-side-apply/Update={"f:data":{".":{},"f:k":{}},"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}}}}' \
    "$(mfields cm/csa -n lab)"
sed -i 's/k: v1/k: v2/' "$T/csa.yaml"
out=$(kc apply --server-side -f "$T/csa.yaml" 2>&1)
expect_eq "server-side apply takes over a client-side applied object without conflict" "configmap/csa serverside-applied" "$out"
expect_eq "value changed" v2 "$(kc get cm csa -n lab -o json | JQ 'd["data"]["k"]')"
expect_eq "last-applied-configuration follows the server-side applied configuration" \
'{"apiVersion":"v1","data":{"k":"v2"},"kind":"ConfigMap","metadata":{"name":"csa","namespace":"lab"}}' \
    "$(kc get cm csa -n lab -o json | JQ 'd["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"].strip()')"
expect_match "kubectl's Apply entry owns data.k" '^kubectl/Apply=\{"f:data":\{"f:k":\{\}\}\}$' "$(mfields cm/csa -n lab)"
sed -i 's/k: v2/k: v3/' "$T/csa.yaml"
expect_eq "client-side apply again: configured" "configmap/csa configured" "$(kc apply -f "$T/csa.yaml" 2>&1)"
expect_eq "value changed back by client-side apply" v3 "$(kc get cm csa -n lab -o json | JQ 'd["data"]["k"]')"
expect_match "client-side apply owns data.k again" '^kubectl-client-side-apply/Update=\{"f:data":\{"f:k":\{\}\}' "$(mfields cm/csa -n lab)"
expect_no_match "kubectl's Apply entry lost data.k" '^kubectl/Apply=.*f:k' "$(mfields cm/csa -n lab)"

# ---- PatchOptions errors and apply bodies over HTTP ------------------------------------------------
req PATCH /api/v1/namespaces/lab/configmaps/settings -H 'Content-Type: application/apply-patch+yaml' \
    --data-binary @"$T/cm.yaml"
expect_eq "apply without fieldManager: 422" 422 "$CODE"
expect_eq "apply without fieldManager: upstream message" \
'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch' "$(jget 'd["message"]' "$T/body")"
req PATCH "/api/v1/namespaces/lab/configmaps/settings?force=true" -H 'Content-Type: application/merge-patch+json' -d '{}'
expect_eq "force on a merge patch: 422 Forbidden" \
'422 PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch' "$CODE $(jget 'd["message"]' "$T/body")"
req PATCH "/api/v1/namespaces/lab/configmaps/fresh?fieldManager=curl-ssa" -H 'Content-Type: application/apply-patch+yaml' \
    -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fresh"},"data":{"x":"1"}}'
expect_eq "apply of an absent object creates it: 201" 201 "$CODE"
expect_eq "created by apply: one Apply entry" 'curl-ssa Apply {"f:data":{"f:x":{}}}' \
    "$(jget 'd["metadata"]["managedFields"][0]["manager"]+" "+d["metadata"]["managedFields"][0]["operation"]+" "+json.dumps(d["metadata"]["managedFields"][0]["fieldsV1"],separators=(",",":"))' "$T/body")"
req PATCH "/api/v1/namespaces/lab/configmaps/fresh?fieldManager=curl-ssa&dryRun=All" -H 'Content-Type: application/apply-patch+yaml' \
    -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fresh"},"data":{"x":"2"}}'
expect_eq "dry-run apply answers the result" "200 2" "$CODE $(jget 'd["data"]["x"]' "$T/body")"
expect_eq "dry-run apply stores nothing" 1 "$(kc get cm fresh -n lab -o json | JQ 'd["data"]["x"]')"
req PATCH "/api/v1/namespaces/lab/configmaps/fresh?fieldManager=curl-ssa" -H 'Content-Type: application/apply-patch+yaml' \
    -d '{"apiVersion":"v2","kind":"ConfigMap","metadata":{"name":"fresh"}}'
expect_eq "apply with the wrong apiVersion: 400 and upstream's text" \
"400 Incorrect version specified in apply patch. Specified patch version: v2, expected: v1" "$CODE $(jget 'd["message"]' "$T/body")"
req PATCH "/api/v1/namespaces/lab/configmaps/fresh?fieldManager=curl-ssa" -H 'Content-Type: application/apply-patch+yaml' \
    -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fresh","managedFields":[{"manager":"x"}]}}'
expect_eq "apply carrying managedFields: 400" "400 metadata.managedFields must be nil" "$CODE $(jget 'd["message"]' "$T/body")"
req PATCH "/api/v1/namespaces/lab/configmaps/fresh?fieldManager=curl-ssa" -H 'Content-Type: application/apply-patch+yaml' \
    --data-binary $'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fresh\ndata: [unclosed\n'
expect_eq "undecodable YAML: 400" 400 "$CODE"
expect_match "undecodable YAML: upstream's prefix" '^error decoding YAML: ' "$(jget 'd["message"]' "$T/body")"

DUP=$'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dup\ndata:\n  a: "1"\n  a: "2"\n'
req PATCH "/api/v1/namespaces/lab/configmaps/dup?fieldManager=curl-ssa&fieldValidation=Strict" \
    -H 'Content-Type: application/apply-patch+yaml' --data-binary "$DUP"
expect_eq "a repeated key with fieldValidation=Strict: 400 and yaml.v2's text" \
'400 error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:
  line 7: key "a" already set in map' "$CODE $(jget 'd["message"]' "$T/body")"
req PATCH "/api/v1/namespaces/lab/configmaps/dup?fieldManager=curl-ssa&fieldValidation=Warn&dryRun=All" \
    -H 'Content-Type: application/apply-patch+yaml' --data-binary "$DUP"
expect_eq "a repeated key with fieldValidation=Warn: one warning on one header line" \
'warning: 299 - "error converting YAML to JSON: yaml: unmarshal errors:   line 7: key \"a\" already set in map"' \
    "$(printf '%s\n' "$HDRS" | grep '^warning:')"
req PATCH "/api/v1/namespaces/lab/configmaps/dup?fieldManager=curl-ssa&fieldValidation=Ignore" \
    -H 'Content-Type: application/apply-patch+yaml' --data-binary "$DUP"
expect_eq "a repeated key with fieldValidation=Ignore: the last value wins" "201 2" "$CODE $(jget 'd["data"]["a"]' "$T/body")"
expect_not_contains "Ignore: no warning" "warning:" "$HDRS"

out=$(printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: unk\n  namespace: lab\nspec:\n  containers:\n  - name: a\n    image: x\n    ports:\n    - containerPort: 80\n      bogus: 1\n' | kc apply --server-side -f - 2>&1)
expect_eq "an undeclared field: upstream's typed patch error with the keyed path" \
'Error from server (InternalError): Internal error occurred: failed to create typed patch object (lab/unk; /v1, Kind=Pod): .spec.containers[name="a"].ports[containerPort=80,protocol="TCP"].bogus: field not declared in schema' "$out"

# ---- python3-kubernetes: dynamic client server_side_apply -------------------------------------------
out=$("$PY" - "$KCFG" <<'PYEOF' 2>&1
import sys, urllib3
urllib3.disable_warnings()
from kubernetes import config, dynamic
from kubernetes.client import api_client
from kubernetes.dynamic.exceptions import ConflictError
c = dynamic.DynamicClient(api_client.ApiClient(configuration=config.load_kube_config(config_file=sys.argv[1])))
cms = c.resources.get(api_version="v1", kind="ConfigMap")
# Debian's client sends non-JSON content types only for string bodies: the configuration as YAML
body = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: py\n  namespace: lab\ndata:\n  a: \"%s\"\n"
r = cms.server_side_apply(body=body % 1, name="py", namespace="lab", field_manager="python")
mf = r.metadata.managedFields[0]
print("created", r.data.a, mf.manager, mf.operation)
try:
    cms.server_side_apply(body=body % 2, name="py", namespace="lab", field_manager="python-2")
    print("no conflict")
except ConflictError as e:
    print("conflict", e.status)
r = cms.server_side_apply(body=body % 2, name="py", namespace="lab", field_manager="python-2", force_conflicts=True)
print("forced", r.data.a, ",".join(sorted(e.manager for e in r.metadata.managedFields)))
PYEOF
)
expect_eq "python3-kubernetes server_side_apply: create, conflict 409, force" \
"created 1 python Apply
conflict 409
forced 2 python-2" "$out"

e2e_finish
