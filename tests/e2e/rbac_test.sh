#!/usr/bin/env bash
# rbac_test.sh — RBAC end to end (spec/06 §6.5, 07, 08, 09): the seed's 403 and SSAR, the
# runner SA's Job, a `kubectl auth can-i` table covering every matching rule, allow reasons,
# role-resolution errors, aggregation, escalation/bind prevention and impersonation.
# Drives the real binary ($ANZEN, default build/anzen) with kubectl and curl (tests/e2e/lib.sh).
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
SERVE_FLAGS="--anonymous-auth=true --no-node"
server_start "$T/data" || exit 1
export KUBECONFIG=$KCFG  # for the kubectl auth can-i table, run in parallel subshells
CACERT=$SERVER_DIR/pki/ca.crt

# ---- setup ------------------------------------------------------------------------------
kc apply -f "$SEED/manifests.yaml" >/dev/null || e2e_fail "apply seed manifests" "exit 0" "exit $?"
cat >"$T/setup.yaml" <<'YAML'
apiVersion: v1
kind: Namespace
metadata: {name: other}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: t-wild}
rules:
- {apiGroups: [""], resources: ["*/scale"], verbs: ["get"]}
- {apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["*"]}
- {apiGroups: ["*"], resources: ["configmaps"], verbs: ["list"]}
- {apiGroups: [""], resources: ["pods/*"], verbs: ["get"]}
- {nonResourceURLs: ["/logs/*", "/metrics"], verbs: ["get"]}
- {apiGroups: [""], resources: ["secrets"], resourceNames: ["s1"], verbs: ["get", "update"]}
- {apiGroups: [""], resources: ["nodes"], verbs: ["get"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: t-wild}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: t-wild}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: t-ns, namespace: lab}
rules:
- {apiGroups: [""], resources: ["services"], verbs: ["get", "list"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: t-ns, namespace: lab}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: t-ns}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: devs}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: t-pods}
rules:
- {apiGroups: [""], resources: ["pods"], verbs: ["get"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: t-sa, namespace: other}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: t-pods}
subjects:
- {kind: ServiceAccount, name: bob-sa}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: t-missing, namespace: lab}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: nope}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: carol}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: t-view, namespace: lab}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: viewer}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: t-edit, namespace: lab}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: editor}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: t-admin, namespace: lab}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: nsadmin}
YAML
kc apply -f "$T/setup.yaml" >/dev/null || e2e_fail "apply setup objects" "exit 0" "exit $?"

# ---- the seed's 403 (impersonating system:serviceaccount:lab:default) ---------------------
req GET /api/v1/namespaces/default/pods/test -H 'Impersonate-User: system:serviceaccount:lab:default'
expect_eq "seed GET pods/test code" 403 "$CODE"
python3 - "$T/body" "$SEED/forbidden.json" <<'PY' && e2e_pass "seed 403 JSON" || e2e_fail "seed 403 JSON" "$(cat "$SEED/forbidden.json")" "$(cat "$T/body")"
import json, sys
got, want = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
if got != want:
    for k in sorted(set(got) | set(want)):
        if got.get(k) != want.get(k):
            print("  field %s: got %r want %r" % (k, got.get(k), want.get(k)))
    sys.exit(1)
PY
# white space around an impersonation header's value is not part of it (Go's header parser
# drops it): the same user, the same 403
req GET /api/v1/namespaces/default/pods/test -H $'Impersonate-User: \t system:serviceaccount:lab:default \t'
expect_eq "Impersonate-User with white space around it: 403" 403 "$CODE"
expect_contains "Impersonate-User with white space around it: the same user" \
    'User \"system:serviceaccount:lab:default\" cannot get' "$(cat "$T/body")"
# with a real token when TokenRequest works in this build
TOKEN=$(kc create token default -n lab 2>/dev/null)
if [ -n "$TOKEN" ]; then
    CODE=$(curl -s -o "$T/body" -w '%{http_code}' --cacert "$CACERT" -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/namespaces/default/pods/test")
    expect_eq "seed GET with token code" 403 "$CODE"
    python3 -c "import json,sys; sys.exit(json.load(open('$T/body')) != json.load(open('$SEED/forbidden.json')))" && e2e_pass "seed 403 JSON (token)" || e2e_fail "seed 403 JSON (token)" "$(cat "$SEED/forbidden.json")" "$(cat "$T/body")"
    # a non-admin may not impersonate
    CODE=$(curl -s -o "$T/body" -w '%{http_code}' --cacert "$CACERT" -H "Authorization: Bearer $TOKEN" -H 'Impersonate-User: bob' "$BASE/api")
    expect_eq "impersonate without rights code" 403 "$CODE"
    expect_eq "impersonate users message" 'users "bob" is forbidden: User "system:serviceaccount:lab:default" cannot impersonate resource "users" in API group "" at the cluster scope' "$(jget "d['message']" "$T/body")"
else
    echo "note: kc create token unavailable; token checks skipped"
fi

# ---- the seed's SSAR via curl ------------------------------------------------------------
req POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews \
    -H 'Impersonate-User: system:serviceaccount:lab:default' -H 'Content-Type: application/json' -d @"$SEED/ssar.json"
expect_eq "seed SSAR code" 201 "$CODE"
python3 - "$T/body" <<'PY' && e2e_pass "seed SSAR response shape" || e2e_fail "seed SSAR response shape" "the seed's SSAR answer" "$(cat "$T/body")"
import json, sys, re
j = json.load(open(sys.argv[1]))
errs = []
def want(c, what):
    if not c: errs.append(what)
want(list(j) == ["kind", "apiVersion", "metadata", "spec", "status"], "top-level order %r" % list(j))
want(j["kind"] == "SelfSubjectAccessReview" and j["apiVersion"] == "authorization.k8s.io/v1", "kind/apiVersion")
m = j["metadata"]
want(list(m) == ["creationTimestamp", "managedFields"] and m["creationTimestamp"] is None, "metadata %r" % m)
mf = m["managedFields"]
want(len(mf) == 1, "one managedFields entry")
e = mf[0]
want(list(e) == ["manager", "operation", "apiVersion", "time", "fieldsType", "fieldsV1"], "entry keys %r" % list(e))
want(e["manager"] == "curl" and e["operation"] == "Update" and e["apiVersion"] == "authorization.k8s.io/v1", "entry %r" % e)
want(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", e["time"]) is not None, "time")
want(e["fieldsType"] == "FieldsV1", "fieldsType")
want(e["fieldsV1"] == {"f:spec": {"f:resourceAttributes": {".": {}, "f:namespace": {}, "f:resource": {}, "f:verb": {}}}}, "fieldsV1 %r" % e["fieldsV1"])
want(list(e["fieldsV1"]["f:spec"]["f:resourceAttributes"]) == [".", "f:namespace", "f:resource", "f:verb"], "fieldsV1 order")
want(j["spec"] == {"resourceAttributes": {"namespace": "lab", "verb": "get", "resource": "pods"}}, "spec %r" % j["spec"])
want(j["status"] == {"allowed": False}, "status %r" % j["status"])
if errs:
    print("  " + "; ".join(errs)); sys.exit(1)
PY
# pretty output for curl (no trailing newline, 2-space indent)
head -c 2 "$T/body" | od -c | grep -q '{  *\\n' && e2e_pass "SSAR response pretty-printed for curl" || e2e_fail "SSAR response pretty-printed for curl" "{ and a newline" "$(head -c 20 "$T/body")"

# ---- runner: create the seed Job in lab, not get pods in default ---------------------------
req POST /apis/batch/v1/namespaces/lab/jobs \
    -H 'Impersonate-User: system:serviceaccount:lab:runner' -H 'Content-Type: application/json' -d @"$SEED/job.json"
expect_eq "runner creates Job (body: $(head -c 300 "$T/body"))" 201 "$CODE"
req GET /api/v1/namespaces/default/pods/test -H 'Impersonate-User: system:serviceaccount:lab:runner'
expect_eq "runner get pods in default" 403 "$CODE"
expect_eq "runner 403 message" 'pods "test" is forbidden: User "system:serviceaccount:lab:runner" cannot get resource "pods" in API group "" in the namespace "default"' "$(jget "d['message']" "$T/body")"
req POST /api/v1/namespaces/lab/pods/test/exec -H 'Impersonate-User: system:serviceaccount:lab:runner'
expect_eq "runner exec 403 message" 'pods "test" is forbidden: User "system:serviceaccount:lab:runner" cannot create resource "pods/exec" in API group "" in the namespace "lab"' "$(jget "d['message']" "$T/body")"
req GET /apis/rbac.authorization.k8s.io/v1/clusterroles/admin -H 'Impersonate-User: alice'
expect_eq "cluster-scoped 403 message" 'clusterroles.rbac.authorization.k8s.io "admin" is forbidden: User "alice" cannot get resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope' "$(jget "d['message']" "$T/body")"
expect_eq "cluster-scoped 403 details" '{"name":"admin","group":"rbac.authorization.k8s.io","kind":"clusterroles"}' "$(jget "json.dumps(d['details'], separators=(',',':'))" "$T/body")"
noauth_req GET /api
expect_eq "anonymous GET /api" 403 "$CODE"
expect_eq "anonymous /api 403" '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"forbidden: User \"system:anonymous\" cannot get path \"/api\"","reason":"Forbidden","details":{},"code":403}' "$(jget 'json.dumps(d, separators=(",",":"))' "$T/body")"

# ---- aggregation: admin/edit/view get rules from their labelled ClusterRoles ----------------
for _ in $(seq 50); do
    n=$(kc get clusterrole view -o jsonpath='{.rules}' 2>/dev/null | python3 -c 'import json,sys; d=sys.stdin.read(); print(len(json.loads(d)) if d.strip() else 0)')
    [ "$n" -gt 0 ] && break
    sleep 0.1
done
expect_gt "view has aggregated rules" "${n:-0}" 0
cat >"$T/agg.yaml" <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: t-agg-widgets
  labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}
rules:
- {apiGroups: ["example.com"], resources: ["widgets"], verbs: ["get"]}
YAML
kc apply -f "$T/agg.yaml" >/dev/null
got=""
for _ in $(seq 50); do
    got=$(kc get clusterrole admin -o json | python3 -c 'import json,sys; r=json.load(sys.stdin)["rules"] or []; print("yes" if {"apiGroups":["example.com"],"resources":["widgets"],"verbs":["get"]} in r else "no")')
    [ "$got" == yes ] && break
    sleep 0.1
done
expect_eq "aggregation view->edit->admin picks up new labelled ClusterRole" yes "$got"

# ---- kc auth can-i table (expected answers from spec/08 §8.3–8.4, 09) --------------------
# each line: expected | args
CASES=$(cat <<'T'
yes|get leases.coordination.k8s.io -n lab --as=alice
yes|delete leases.coordination.k8s.io -n other --as=alice
yes|patch leases.coordination.k8s.io --as=alice -A
no|get leases.coordination.k8s.io --subresource=scale -n lab --as=alice
yes|get replicationcontrollers --subresource=scale -n lab --as=alice
no|update replicationcontrollers --subresource=scale -n lab --as=alice
no|get replicationcontrollers -n lab --as=alice
no|get pods --subresource=log -n lab --as=alice
no|get pods -n lab --as=alice
yes|list configmaps -A --as=alice
yes|list configmaps -n lab --as=alice
no|get configmaps -n lab --as=alice
yes|get secrets/s1 -n lab --as=alice
yes|update secrets/s1 -n lab --as=alice
no|get secrets/s2 -n lab --as=alice
no|get secrets -n lab --as=alice
no|list secrets -n lab --as=alice
no|delete secrets/s1 -n lab --as=alice
yes|get nodes --as=alice
no|list nodes --as=alice
yes|get /logs/kube --as=alice
yes|get /logs/ --as=alice
yes|get /logs/a/b/c --as=alice
no|get /logs --as=alice
yes|get /metrics --as=alice
no|get /metrics/x --as=alice
no|post /metrics --as=alice
yes|get /api --as=alice
yes|get /apis/apps/v1 --as=alice
no|get /foo --as=alice
yes|create selfsubjectaccessreviews.authorization.k8s.io --as=alice
yes|get services -n lab --as=dave --as-group=devs
yes|list services -n lab --as=dave --as-group=devs
no|watch services -n lab --as=dave --as-group=devs
no|get services -n other --as=dave --as-group=devs
no|get services -A --as=dave --as-group=devs
no|get services -n lab --as=dave
no|get services -n lab --as=devs
yes|get pods -n other --as=system:serviceaccount:other:bob-sa
no|list pods -n other --as=system:serviceaccount:other:bob-sa
no|get pods -n lab --as=system:serviceaccount:other:bob-sa
no|get pods -n other --as=system:serviceaccount:lab:bob-sa
no|get pods -n other --as=bob-sa
yes|create jobs.batch -n lab --as=system:serviceaccount:lab:runner
yes|delete jobs.batch -n lab --as=system:serviceaccount:lab:runner
no|create jobs.batch -n default --as=system:serviceaccount:lab:runner
no|get jobs.batch --subresource=status -n lab --as=system:serviceaccount:lab:runner
yes|get pods -n lab --as=system:serviceaccount:lab:runner
yes|list pods -n lab --as=system:serviceaccount:lab:runner
no|watch pods -n lab --as=system:serviceaccount:lab:runner
yes|get pods --subresource=log -n lab --as=system:serviceaccount:lab:runner
no|get pods --subresource=exec -n lab --as=system:serviceaccount:lab:runner
no|get pods -n default --as=system:serviceaccount:lab:runner
no|get pods -n lab --as=system:serviceaccount:lab:default
no|list pods -n lab --as=system:serviceaccount:lab:default
yes|get /.well-known/openid-configuration --as=system:serviceaccount:lab:default
yes|get /openid/v1/jwks --as=system:serviceaccount:lab:default
no|get /.well-known/openid-configuration --as=alice
yes|get /metrics --as=mon --as-group=system:monitoring
yes|get /livez/ping --as=mon --as-group=system:monitoring
no|get /livez/ping --as=alice
yes|get pods -n lab --as=anyone --as-group=system:masters
yes|get configmaps -n lab --as=viewer
no|get secrets -n lab --as=viewer
no|get configmaps -n other --as=viewer
no|create pods --subresource=exec -n lab --as=viewer
yes|get secrets -n lab --as=editor
yes|create pods --subresource=exec -n lab --as=editor
yes|impersonate serviceaccounts -n lab --as=editor
no|create roles.rbac.authorization.k8s.io -n lab --as=editor
yes|create roles.rbac.authorization.k8s.io -n lab --as=nsadmin
yes|create localsubjectaccessreviews.authorization.k8s.io -n lab --as=nsadmin
yes|create tokenreviews.authentication.k8s.io --as=kcm --as-group=system:auth-delegator-none --as=system:kube-controller-manager
yes|list secrets -A --as=system:kube-controller-manager
yes|get leases.coordination.k8s.io -n lab
yes|get /anything
yes|create serviceaccounts --subresource=token -n lab --as=editor
no|create serviceaccounts --subresource=token -n lab --as=viewer
no|get leases.coordination.k8s.io -n lab --as=ALICE
no|GET /metrics --as=alice
T
)
mkdir -p "$T/cani"
JOBS=()
i=0
while IFS='|' read -r want args; do
    [ -z "$want" ] && continue
    i=$((i + 1))
    # shellcheck disable=SC2086
    (got=$(kubectl auth can-i $args 2>/dev/null | head -1); echo "$want|$got|$args" >"$T/cani/$i") &
    JOBS+=($!)
    if [ ${#JOBS[@]} -ge 6 ]; then wait "${JOBS[@]}"; JOBS=(); fi
done <<<"$CASES"
[ ${#JOBS[@]} -gt 0 ] && wait "${JOBS[@]}"
NCASES=$i
for f in "$T"/cani/*; do
    IFS='|' read -r want got args <"$f"
    expect_eq "can-i $args" "$want" "$got"
done
expect_gt "at least 60 can-i cases" "${NCASES:-0}" 59

# anonymous (system:unauthenticated) answers via SubjectAccessReview
for c in 'true|{"nonResourceAttributes":{"path":"/healthz","verb":"get"}}' 'true|{"nonResourceAttributes":{"path":"/version/","verb":"get"}}' \
         'false|{"nonResourceAttributes":{"path":"/api","verb":"get"}}' 'false|{"resourceAttributes":{"verb":"get","resource":"pods"}}' \
         'false|{"resourceAttributes":{"verb":"create","group":"authorization.k8s.io","resource":"selfsubjectaccessreviews"}}'; do
    want=${c%%|*}; attrs=${c#*|}
    req POST /apis/authorization.k8s.io/v1/subjectaccessreviews -H 'Content-Type: application/json' \
        -d "{\"spec\":{\"user\":\"system:anonymous\",\"groups\":[\"system:unauthenticated\"],${attrs:1:-1}}}"
    expect_eq "anonymous SAR $attrs" "$want" "$(jget "d['status']['allowed']" "$T/body")"
done

# role-resolution error as the deny reason
got=$(kc auth can-i get pods -n lab --as=carol 2>/dev/null)
expect_eq "can-i reason for missing role" 'no - RBAC: role.rbac.authorization.k8s.io "nope" not found' "$got"

# ---- allow reasons via SSAR ----------------------------------------------------------------
ssar() { # user group-or-empty json-spec
    local h=(-H "Impersonate-User: $1")
    [ -n "$2" ] && h+=(-H "Impersonate-Group: $2")
    req POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews "${h[@]}" -H 'Content-Type: application/json' -d "{\"spec\":$3}"
}
ssar alice "" '{"resourceAttributes":{"verb":"get","group":"coordination.k8s.io","resource":"leases","namespace":"lab"}}'
expect_eq "CRB allow reason" 'RBAC: allowed by ClusterRoleBinding "t-wild" of ClusterRole "t-wild" to User "alice"' "$(jget "d['status']['reason']" "$T/body")"
ssar dave devs '{"resourceAttributes":{"verb":"get","resource":"services","namespace":"lab"}}'
expect_eq "RB allow reason" 'RBAC: allowed by RoleBinding "t-ns/lab" of Role "t-ns" to Group "devs"' "$(jget "d['status']['reason']" "$T/body")"
ssar system:serviceaccount:other:bob-sa "" '{"resourceAttributes":{"verb":"get","resource":"pods","namespace":"other"}}'
expect_eq "SA allow reason" 'RBAC: allowed by RoleBinding "t-sa/other" of ClusterRole "t-pods" to ServiceAccount "bob-sa/other"' "$(jget "d['status']['reason']" "$T/body")"
ssar anyone system:masters '{"resourceAttributes":{"verb":"get","resource":"pods"}}'
expect_eq "system:masters: allowed, no reason" '{"allowed": true}' "$(jget "json.dumps(d['status'])" "$T/body")"
ssar alice "" '{}'
expect_eq "SSAR without attributes" 422 "$CODE"
expect_eq "SSAR validation message" '.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified' "$(jget "d['message']" "$T/body")"
req POST /apis/authorization.k8s.io/v1/subjectaccessreviews -H 'Content-Type: application/json' -d '{"spec":{}}'
expect_eq "SAR validation message" '.authorization.k8s.io "" is invalid: [spec.resourceAttributes: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified, spec.user: Invalid value: "": at least one of user or group must be specified]' "$(jget "d['message']" "$T/body")"
req POST /apis/authorization.k8s.io/v1/subjectaccessreviews -H 'Content-Type: application/json' -d '{"spec":{"user":"alice","nonResourceAttributes":{"path":"/metrics","verb":"get"}}}'
expect_eq "SAR for alice /metrics" '201|{"allowed": true, "reason": "RBAC: allowed by ClusterRoleBinding \"t-wild\" of ClusterRole \"t-wild\" to User \"alice\""}' "$CODE|$(jget "json.dumps(d['status'])" "$T/body")"
req POST /apis/authorization.k8s.io/v1/subjectaccessreviews -H 'Content-Type: application/json' -d '{"spec":{"user":"alice","resourceAttributes":{"verb":"create","resource":"selfsubjectaccessreviews","group":"authorization.k8s.io"}}}'
expect_eq "SAR user has no implicit system:authenticated" false "$(jget "d['status']['allowed']" "$T/body")"
req POST /apis/authorization.k8s.io/v1/namespaces/lab/localsubjectaccessreviews -H 'Content-Type: application/json' -d '{"spec":{"user":"x","groups":["devs"],"resourceAttributes":{"namespace":"lab","verb":"list","resource":"services"}}}'
expect_eq "LSAR allowed" '201|lab|true' "$CODE|$(jget "d['metadata']['namespace']" "$T/body")|$(jget "d['status']['allowed']" "$T/body")"
req POST /apis/authorization.k8s.io/v1/namespaces/lab/localsubjectaccessreviews -H 'Content-Type: application/json' -d '{"spec":{"user":"x","resourceAttributes":{"namespace":"other","verb":"list","resource":"services"}}}'
expect_eq "LSAR namespace mismatch" '.authorization.k8s.io "" is invalid: spec.resourceAttributes.namespace: Invalid value: "other": must match metadata.namespace' "$(jget "d['message']" "$T/body")"
req POST /apis/authorization.k8s.io/v1/selfsubjectrulesreviews -H 'Content-Type: application/json' -d '{"spec":{}}'
expect_eq "SSRR without namespace" '400|no namespace on request' "$CODE|$(jget "d['message']" "$T/body")"
req POST /apis/authorization.k8s.io/v1/selfsubjectrulesreviews -H 'Impersonate-User: system:serviceaccount:lab:runner' -H 'Content-Type: application/json' -d '{"spec":{"namespace":"lab"}}'
expect_eq "SSRR lists runner's rules" true "$(jget "'job/status' in [r for x in d['status']['resourceRules'] for r in x.get('resources',[])] and d['spec']=={} and d['status']['incomplete']==False" "$T/body")"
kc auth can-i --list -n lab --as=system:serviceaccount:lab:runner >"$T/list" 2>&1
grep -q '^jobs.batch .*\[\*\]' "$T/list" && grep -q '^pods/log ' "$T/list" && e2e_pass "can-i --list: jobs.batch [*] and pods/log" || e2e_fail "can-i --list: jobs.batch [*] and pods/log" "both rows" "$(cat "$T/list")"

# ---- impersonation edge cases ---------------------------------------------------------------
req GET /api -H 'Impersonate-Group: g'
expect_eq "groups without user" '500|Internal Server Error: "/api": requested [{Group  g    }] without impersonating a user' "$CODE|$(cat "$T/body")"
req POST /apis/authorization.k8s.io/v1/selfsubjectrulesreviews -H 'Impersonate-User: alice' -H 'Impersonate-User: alice' -H 'Content-Type: application/json' -d '{"spec":{"namespace":"lab"}}'
expect_eq "impersonated SSRR" 201 "$CODE"

# ---- escalation prevention -------------------------------------------------------------------
cat >"$T/esc.yaml" <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: creator, namespace: lab}
rules:
- {apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles", "rolebindings"], verbs: ["create"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: creator, namespace: lab}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: creator}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: esc}
YAML
kc apply -f "$T/esc.yaml" >/dev/null
ROLE='{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"r1"},"rules":[{"apiGroups":[""],"resources":["secrets"],"verbs":["get","list"]}]}'
req POST /apis/rbac.authorization.k8s.io/v1/namespaces/lab/roles -H 'Impersonate-User: esc' -H 'Content-Type: application/json' -d "$ROLE"
expect_eq "escalating Role create code" 403 "$CODE"
expect_eq "escalating Role message" "$(printf 'roles.rbac.authorization.k8s.io "r1" is forbidden: user "esc" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}')" "$(jget "d['message']" "$T/body")"
expect_eq "escalation details" '{"name":"r1","group":"rbac.authorization.k8s.io","kind":"roles"}' "$(jget "json.dumps(d['details'], separators=(',',':'))" "$T/body")"
BIND='{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"b1"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"t-pods"},"subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"esc"}]}'
req POST /apis/rbac.authorization.k8s.io/v1/namespaces/lab/rolebindings -H 'Impersonate-User: esc' -H 'Content-Type: application/json' -d "$BIND"
expect_eq "escalating RoleBinding" "$(printf '403|rolebindings.rbac.authorization.k8s.io "b1" is forbidden: user "esc" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["pods"], Verbs:["get"]}')" "$CODE|$(jget "d['message']" "$T/body")"
GHOST='{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"b2"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"ghost"},"subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"esc"}]}'
req POST /apis/rbac.authorization.k8s.io/v1/namespaces/lab/rolebindings -H 'Impersonate-User: esc' -H 'Content-Type: application/json' -d "$GHOST"
expect_eq "binding a missing Role" '404|roles.rbac.authorization.k8s.io "ghost" not found' "$CODE|$(jget "d['message']" "$T/body")"
# grant escalate and bind (bind limited by resourceNames)
mkrole() { # kind name ns rule-json
    local nsl=""; [ -n "$3" ] && nsl=", namespace: $3"
    printf 'apiVersion: rbac.authorization.k8s.io/v1\nkind: %s\nmetadata: {name: %s%s}\nrules:\n- %s\n' "$1" "$2" "$nsl" "$4" | kc apply -f - >/dev/null || e2e_fail "apply $1 $2" "exit 0" "exit $?"
}
mkbind() { # kind name ns roleKind role user
    local nsl=""; [ -n "$3" ] && nsl=", namespace: $3"
    printf 'apiVersion: rbac.authorization.k8s.io/v1\nkind: %s\nmetadata: {name: %s%s}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: %s, name: %s}\nsubjects:\n- {apiGroup: rbac.authorization.k8s.io, kind: User, name: %s}\n' "$1" "$2" "$nsl" "$4" "$5" "$6" | kc apply -f - >/dev/null || e2e_fail "apply $1 $2" "exit 0" "exit $?"
}
mkrole Role escalator lab '{apiGroups: [rbac.authorization.k8s.io], resources: [roles], verbs: [escalate]}'
mkbind RoleBinding escalator lab Role escalator esc
mkrole Role binder lab '{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind], resourceNames: [t-pods]}'
mkbind RoleBinding binder lab Role binder esc
req POST /apis/rbac.authorization.k8s.io/v1/namespaces/lab/roles -H 'Impersonate-User: esc' -H 'Content-Type: application/json' -d "$ROLE"
expect_eq "Role create with escalate" 201 "$CODE"
req POST /apis/rbac.authorization.k8s.io/v1/namespaces/lab/rolebindings -H 'Impersonate-User: esc' -H 'Content-Type: application/json' -d "$BIND"
expect_eq "RoleBinding create with bind" 201 "$CODE"
BIND3='{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"b3"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"t-wild"},"subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"esc"}]}'
req POST /apis/rbac.authorization.k8s.io/v1/namespaces/lab/rolebindings -H 'Impersonate-User: esc' -H 'Content-Type: application/json' -d "$BIND3"
expect_eq "bind limited to t-pods by resourceNames" 403 "$CODE"
# covered rules need no escalate: esc now holds get/list secrets via r1+b? (r1 is not bound) -> bind r1 to esc as admin, then create r2 with a subset
mkbind RoleBinding r1 lab Role r1 esc
kc delete rolebinding escalator -n lab >/dev/null
R2='{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"r2"},"rules":[{"apiGroups":[""],"resources":["secrets"],"verbs":["get"]}]}'
req POST /apis/rbac.authorization.k8s.io/v1/namespaces/lab/roles -H 'Impersonate-User: esc' -H 'Content-Type: application/json' -d "$R2"
expect_eq "Role within held permissions (body: $(head -c 300 "$T/body"))" 201 "$CODE"
AGG='{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"c-agg"},"aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"x":"y"}}]}}'
mkrole ClusterRole cr-creator "" '{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [create]}'
mkbind ClusterRoleBinding cr-creator "" ClusterRole cr-creator esc
req POST /apis/rbac.authorization.k8s.io/v1/clusterroles -H 'Impersonate-User: esc' -H 'Content-Type: application/json' -d "$AGG"
expect_eq "aggregationRule needs cluster-admin" '403|clusterroles.rbac.authorization.k8s.io "c-agg" is forbidden: must have cluster-admin privileges to use the aggregationRule' "$CODE|$(jget "d['message']" "$T/body")"

e2e_finish
