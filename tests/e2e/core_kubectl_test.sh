#!/usr/bin/env bash
# End-to-end: kubectl 1.32 with default flags against the real anzen binary — apply of the
# seed manifests (created / unchanged / configured), get, describe, get -w, patch (merge,
# json, strategic), get -o yaml round trips, api-resources, delete -f, namespace deletion.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
server_start "$T/data" || exit 1

M="$SEED/manifests.yaml"

# ---- get ns: the four initial namespaces --------------------------------------------------
out=$(kc get ns 2>&1)
for ns in default kube-system kube-public kube-node-lease; do
    expect_match "get ns lists $ns as Active" "^$ns +Active +[0-9]+[smh]" "$out"
done
expect_match "get ns header" "^NAME +STATUS +AGE$" "$out"

# ---- apply: created x4, unchanged x4, configured on edit ---------------------------------
out=$(kc apply -f "$M" 2>&1)
expect_eq "apply seed manifests prints created x4" \
"namespace/lab created
serviceaccount/runner created
role.rbac.authorization.k8s.io/job-runner created
rolebinding.rbac.authorization.k8s.io/job-runner created" "$out"

out=$(kc apply -f "$M" 2>&1)
expect_eq "second apply prints unchanged x4" \
"namespace/lab unchanged
serviceaccount/runner unchanged
role.rbac.authorization.k8s.io/job-runner unchanged
rolebinding.rbac.authorization.k8s.io/job-runner unchanged" "$out"

# edited copy: the Role gains a verb, the ServiceAccount gains a label
"$PY" - "$M" "$T/edited.yaml" <<'PYEOF'
import sys
docs = open(sys.argv[1]).read().split("\n---\n")
out = []
for d in docs:
    if "kind: ServiceAccount" in d and "kind: RoleBinding" not in d:
        d = d.replace("  name: runner\n", "  name: runner\n  labels:\n    team: e2e\n", 1)
    if "kind: Role\n" in d:
        d = d.replace('verbs: ["get", "list"]', 'verbs: ["get", "list", "watch"]')
    out.append(d)
open(sys.argv[2], "w").write("\n---\n".join(out))
PYEOF
if cmp -s "$M" "$T/edited.yaml"; then
    e2e_fail "test setup: edited manifest differs" "a changed file" "identical file"
fi
out=$(kc apply -f "$T/edited.yaml" 2>&1)
expect_eq "apply edited manifest prints configured for the edited objects" \
"namespace/lab unchanged
serviceaccount/runner configured
role.rbac.authorization.k8s.io/job-runner configured
rolebinding.rbac.authorization.k8s.io/job-runner unchanged" "$out"
out=$(kc get role job-runner -n lab -o jsonpath='{.rules[1].verbs}' 2>&1)
expect_eq "edited rule is stored" '["get","list","watch"]' "$out"
out=$(kc get sa runner -n lab -o jsonpath='{.metadata.labels.team}' 2>&1)
expect_eq "added label is stored" "e2e" "$out"
out=$(kc apply -f "$T/edited.yaml" 2>&1)
expect_contains "re-applying the edited manifest is unchanged" "role.rbac.authorization.k8s.io/job-runner unchanged" "$out"

# ---- get sa,role,rolebinding -n lab ------------------------------------------------------
out=$(kc get sa,role,rolebinding -n lab 2>&1)
expect_match "get sa: header" "^NAME +SECRETS +AGE$" "$out"
expect_match "get sa: row" "^serviceaccount/runner +0 +[0-9]+[smh]" "$out"
expect_match "get role: header" "^NAME +CREATED AT$" "$out"
expect_match "get role: row with RFC3339 time" \
    "^role.rbac.authorization.k8s.io/job-runner +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$" "$out"
expect_match "get rolebinding: header" "^NAME +ROLE +AGE$" "$out"
expect_match "get rolebinding: row" "^rolebinding.rbac.authorization.k8s.io/job-runner +Role/job-runner +[0-9]+[smh]" "$out"
out=$(kc get rolebinding -n lab -o wide 2>&1)
expect_match "get rolebinding -o wide: priority-1 columns" "^NAME +ROLE +AGE +USERS +GROUPS +SERVICEACCOUNTS$" "$out"
expect_match "get rolebinding -o wide: service account column" "^job-runner +Role/job-runner +[0-9]+[smh] +lab/runner$" "$out"
out=$(kc get ns lab 2>&1)
expect_match "get ns lab" "^lab +Active +[0-9]+[smh]" "$out"

# ---- describe ----------------------------------------------------------------------------
out=$(kc describe sa runner -n lab 2>&1)
expect_match "describe sa: Name" "^Name: +runner$" "$out"
expect_match "describe sa: Namespace" "^Namespace: +lab$" "$out"
expect_match "describe sa: Labels" "^Labels: +team=e2e$" "$out"
out=$(kc describe role job-runner -n lab 2>&1)
expect_match "describe role: Name" "^Name: +job-runner$" "$out"
expect_match "describe role: PolicyRule table" "^ +Resources +Non-Resource URLs +Resource Names +Verbs$" "$out"
expect_match "describe role: jobs.batch rule" "^ +jobs.batch +\[\] +\[\] +\[\*\]$" "$out"
out=$(kc describe rolebinding job-runner -n lab 2>&1)
expect_match "describe rolebinding: subject" "^ +ServiceAccount +runner +lab$" "$out"
out=$(kc describe ns lab 2>&1)
expect_match "describe ns: Status" "^Status: +Active$" "$out"

# ---- api-resources -------------------------------------------------------------------------
out=$(kc api-resources 2>&1)
expect_match "api-resources header" "^NAME +SHORTNAMES +APIVERSION +NAMESPACED +KIND$" "$out"
while read -r name short av nsd kind; do
    [ "$short" = "-" ] && short=""
    if [ -n "$short" ]; then
        re="^$name +$short +$av +$nsd +$kind$"
    else
        re="^$name +$av +$nsd +$kind$"
    fi
    expect_match "api-resources lists $name" "$re" "$out"
done <<'ROWS'
configmaps cm v1 true ConfigMap
events ev v1 true Event
namespaces ns v1 false Namespace
nodes no v1 false Node
pods po v1 true Pod
secrets - v1 true Secret
serviceaccounts sa v1 true ServiceAccount
jobs - batch/v1 true Job
leases - coordination.k8s.io/v1 true Lease
clusterrolebindings - rbac.authorization.k8s.io/v1 false ClusterRoleBinding
clusterroles - rbac.authorization.k8s.io/v1 false ClusterRole
rolebindings - rbac.authorization.k8s.io/v1 true RoleBinding
roles - rbac.authorization.k8s.io/v1 true Role
ROWS
out=$(kc api-resources --namespaced=false -o name 2>&1)
expect_match "api-resources -o name: namespaces" "^namespaces$" "$out"
expect_match "api-resources -o name: clusterroles" "^clusterroles.rbac.authorization.k8s.io$" "$out"

# ---- get pods -w receives an event ---------------------------------------------------------
kc get pods -w -n lab >"$T/watch.out" 2>&1 &
WPID=$!
E2E_BG_PIDS="$WPID"
sleep 1.5
cat >"$T/pod.yaml" <<'POD'
apiVersion: v1
kind: Pod
metadata:
  name: watched-pod
  namespace: lab
  labels:
    app: web
spec:
  containers:
  - name: a
    image: busybox:1
    command: ["sleep", "3600"]
  - name: b
    image: nginx:1
POD
out=$(kc create -f "$T/pod.yaml" 2>&1)
expect_eq "create pod" "pod/watched-pod created" "$out"
if wait_until 60 grep -q '^watched-pod ' "$T/watch.out"; then
    e2e_pass "get pods -w shows the new pod"
else
    e2e_fail "get pods -w shows the new pod" "a line starting with watched-pod" "$(cat "$T/watch.out")"
fi
expect_match "get pods -w uses server-side columns" "^NAME +READY +STATUS +RESTARTS +AGE$" "$(cat "$T/watch.out")"
kc label pod watched-pod -n lab tier=front >/dev/null 2>&1
watch_lines() { [ "$(grep -c '^watched-pod ' "$T/watch.out")" -ge 2 ]; }   # re-counted each try
if wait_until 60 watch_lines; then
    e2e_pass "get pods -w shows the modification"
else
    e2e_fail "get pods -w shows the modification" "two lines for watched-pod" "$(cat "$T/watch.out")"
fi
kill "$WPID" 2>/dev/null
wait "$WPID" 2>/dev/null
E2E_BG_PIDS=""

# ---- kubectl patch --type merge / json / strategic -------------------------------------------
out=$(kc patch pod watched-pod -n lab --type merge -p '{"metadata":{"labels":{"merged":"yes"}}}' 2>&1)
expect_eq "patch --type merge output" "pod/watched-pod patched" "$out"
out=$(kc get pod watched-pod -n lab -o jsonpath='{.metadata.labels.merged},{.metadata.labels.app}' 2>&1)
expect_eq "merge patch added a label and kept the others" "yes,web" "$out"

out=$(kc patch pod watched-pod -n lab --type json -p '[{"op":"remove","path":"/metadata/labels/merged"},{"op":"add","path":"/metadata/annotations","value":{"j":"p"}}]' 2>&1)
expect_eq "patch --type json output" "pod/watched-pod patched" "$out"
out=$(kc get pod watched-pod -n lab -o jsonpath='{.metadata.labels.merged}|{.metadata.annotations.j}' 2>&1)
expect_eq "json patch removed the label and added the annotation" "|p" "$out"

out=$(kc patch pod watched-pod -n lab --type strategic -p '{"spec":{"containers":[{"name":"b","image":"nginx:2"}]}}' 2>&1)
expect_eq "patch --type strategic output" "pod/watched-pod patched" "$out"
out=$(kc get pod watched-pod -n lab -o jsonpath='{range .spec.containers[*]}{.name}={.image};{end}' 2>&1)
expect_eq "strategic patch merged containers by name" "a=busybox:1;b=nginx:2;" "$out"
out=$(kc patch pod watched-pod -n lab -p '{"metadata":{"labels":{"default":"strategic"}}}' 2>&1)
expect_eq "patch with default type (strategic)" "pod/watched-pod patched" "$out"
out=$(kc patch pod watched-pod -n lab --type merge -p '{"metadata":{"labels":{"default":"strategic"}}}' 2>&1)
expect_eq "no-op patch prints (no change)" "pod/watched-pod patched (no change)" "$out"

# ---- get -o yaml round trips ---------------------------------------------------------------
kc get role job-runner -n lab -o yaml >"$T/role.yaml" 2>&1
out=$(kc replace -f "$T/role.yaml" 2>&1)
expect_eq "get -o yaml | replace -f" "role.rbac.authorization.k8s.io/job-runner replaced" "$out"
kc get role job-runner -n lab -o yaml >"$T/role2.yaml" 2>&1
r1=$(kc get role job-runner -n lab -o jsonpath='{.rules}' 2>&1)
expect_eq "rules survive the round trip" \
    '[{"apiGroups":["batch","extensions"],"resources":["jobs","job/status"],"verbs":["*"]},{"apiGroups":[""],"resources":["pods","pods/binding","pods/log","pods/status"],"verbs":["get","list","watch"]}]' "$r1"
out=$(kc replace -f "$T/role.yaml" 2>&1)
expect_match "replace with the stale resourceVersion is a Conflict" \
    '^Error from server \(Conflict\): error when replacing ".*role.yaml": Operation cannot be fulfilled on roles.rbac.authorization.k8s.io "job-runner": the object has been modified; please apply your changes to the latest version and try again$' "$out"
out=$(kc apply -f "$T/role2.yaml" 2>&1)
expect_match "get -o yaml | apply -f succeeds" "^role.rbac.authorization.k8s.io/job-runner (unchanged|configured)$" "$out"
kc get cm kube-root-ca.crt -n lab -o yaml >/dev/null 2>&1 # may not exist; not asserted
kc get sa runner -n lab -o yaml >"$T/sa.yaml" 2>&1
kc delete sa runner -n lab >/dev/null 2>&1
sed -i -e '/^  resourceVersion:/d' -e '/^  uid:/d' "$T/sa.yaml"
out=$(kc create -f "$T/sa.yaml" 2>&1)
expect_eq "get -o yaml output (minus uid/resourceVersion) re-creates the object" "serviceaccount/runner created" "$out"
out=$(kc get sa runner -n lab -o jsonpath='{.metadata.labels.team}' 2>&1)
expect_eq "re-created object keeps its labels" "e2e" "$out"

# ---- errors as kubectl shows them ---------------------------------------------------------
out=$(kc get sa nosuch -n lab 2>&1)
expect_eq "get missing object" 'Error from server (NotFound): serviceaccounts "nosuch" not found' "$out"
out=$(kc create sa runner -n lab 2>&1)
expect_eq "create existing object" 'error: failed to create serviceaccount: serviceaccounts "runner" already exists' "$out"
out=$(kc create sa another -n lab 2>&1)
expect_eq "kubectl create sa (typed command, protobuf body)" "serviceaccount/another created" "$out"
out=$(kc get roles.rbac.authorization.k8s.io nosuch -n lab 2>&1)
expect_eq "get missing role" 'Error from server (NotFound): roles.rbac.authorization.k8s.io "nosuch" not found' "$out"

# ---- delete -f ----------------------------------------------------------------------------
# everything but the Namespace first (deleting the namespace in the same run races with the
# namespace controller removing its content)
"$PY" - "$M" "$T/no-ns.yaml" <<'PYEOF'
import sys
docs = open(sys.argv[1]).read().split("\n---\n")
open(sys.argv[2], "w").write("\n---\n".join(d for d in docs if "kind: Namespace" not in d))
PYEOF
out=$(kc delete -f "$T/no-ns.yaml" 2>&1)
expect_eq "delete -f prints deleted x3" \
'serviceaccount "runner" deleted
role.rbac.authorization.k8s.io "job-runner" deleted
rolebinding.rbac.authorization.k8s.io "job-runner" deleted' "$out"
out=$(kc get sa,role,rolebinding -n lab 2>&1)
expect_no_match "deleted objects are gone" "runner|job-runner" "$out"

# ---- namespace deletion: Terminating, then gone with its content ---------------------------
out=$(kc create configmap leftover -n lab --from-literal=k=v 2>&1)
expect_eq "kubectl create configmap (typed command, protobuf body)" "configmap/leftover created" "$out"
acurl -H 'Content-Type: application/json' -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"leftover2"}}' \
    "$BASE/api/v1/namespaces/lab/configmaps" >/dev/null
out=$(acurl "$BASE/api/v1/namespaces/lab/configmaps/leftover2" | jget 'd["metadata"]["name"]')
expect_eq "configmap created in lab before deleting it" "leftover2" "$out"
out=$(kc delete ns lab --wait=false 2>&1)
expect_eq "delete ns --wait=false" 'namespace "lab" deleted' "$out"
phase=$(kc get ns lab -o jsonpath='{.status.phase}' 2>&1)
if [ "$phase" = "Terminating" ] || [ "$phase" = 'Error from server (NotFound): namespaces "lab" not found' ]; then
    e2e_pass "namespace is Terminating (or already gone) right after delete"
else
    e2e_fail "namespace is Terminating (or already gone) right after delete" "Terminating" "$phase"
fi
gone() { kc get ns lab >/dev/null 2>&1 && return 1; return 0; }
if wait_until 20 gone; then e2e_pass "namespace disappears"; else
    e2e_fail "namespace disappears" "NotFound within 20 s" "$(kc get ns lab -o yaml 2>&1)"
fi
out=$(acurl "$BASE/api/v1/namespaces/lab/configmaps/leftover2" | jget 'd.get("code")')
expect_eq "namespace content is gone" "404" "$out"
out=$(acurl "$BASE/api/v1/namespaces/lab/pods/watched-pod" | jget 'd.get("code")')
expect_eq "namespace pods are gone" "404" "$out"
out=$(kc get ns 2>&1)
expect_no_match "get ns no longer lists lab" "^lab " "$out"

# ---- apply again after the namespace is gone: created x4 ------------------------------------
out=$(kc apply -f "$M" 2>&1)
expect_eq "apply after namespace deletion creates again" \
"namespace/lab created
serviceaccount/runner created
role.rbac.authorization.k8s.io/job-runner created
rolebinding.rbac.authorization.k8s.io/job-runner created" "$out"

server_alive && e2e_pass "server still running" || e2e_fail "server still running" "alive" "dead"
server_stop
expect_eq "SIGTERM shuts down cleanly (exit 0)" "0" "$?"
e2e_finish
