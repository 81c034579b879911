#!/usr/bin/env bash
# sa_attack_test.sh — the API attacked with the tokens of narrow ServiceAccounts (the seed's
# lab namespace: `default` with nothing, `runner` with Jobs, and test SAs holding one narrow
# grant each): every answer must be upstream kube-apiserver 1.32's, code and message.
#   - virtual creates of subresources (pods/binding, pods/eviction, serviceaccounts/token) refuse
#     a body whose metadata.namespace differs from the URL's with the create handler's 400
#     (EnsureObjectNamespaceMatchesRequestNamespace), before any lookup or write;
#   - a *SubjectAccessReview's labelSelector/fieldSelector requirements are validated (422;
#     unknown operators pass: AllowUnknownOperatorInRequirement);
#   - a cluster-scoped review's metadata.namespace is cleared by the create handler, not
#     reported as "metadata: must be empty";
#   - a 403 for a name, namespace or path with quotes, backslashes, non-printable runes or
#     bytes that are not UTF-8 quotes them as Go's %q (the Status kept its message only for
#     valid UTF-8, and printed the others raw);
#   - a Role rule may name resourceNames for several resources (no such validation upstream);
#   - a PUT of an absent Role/RoleBinding (also ClusterRole, ClusterRoleBinding, Event, Lease)
#     creates it, as upstream's AllowCreateOnUpdate does, through create admission: the
#     escalation and bind checks apply; an absent ConfigMap stays a 404;
#   - /api/v1/namespaces/NS/namespaces[/NAME] is no route (404 once RBAC allowed it, 403 before,
#     as upstream): it served every namespace (list, watch), namespace NAME (get, patch, delete)
#     or created any namespace, for a RoleBinding in NS (e.g. to the view ClusterRole).
# Drives the real binary ($ANZEN, default build/anzen) with kubectl and curl (tests/e2e/lib.sh).
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
server_start "$T/data" || exit 1
CACERT=$SERVER_DIR/pki/ca.crt

# lab (the seed's) and other, each with a pod p1; lab:mover may only create the three
# virtual subresources
kc apply -f "$SEED/manifests.yaml" >/dev/null || e2e_fail "apply seed manifests" "exit 0" "exit $?"
kc create namespace other >/dev/null
kc create serviceaccount mover -n lab >/dev/null
kc create role mover -n lab --verb=create --resource=pods/binding,pods/eviction,serviceaccounts/token >/dev/null
kc create rolebinding mover -n lab --role=mover --serviceaccount=lab:mover >/dev/null
for ns in lab other; do
    wait_until 10 kc get sa default -n "$ns" >/dev/null 2>&1
    kc run p1 -n "$ns" --image=alpine:latest >/dev/null || e2e_fail "pod $ns/p1" "created" "exit $?"
done
TMOVER=$(kc create token mover -n lab 2>/dev/null)
TDEF=$(kc create token default -n lab 2>/dev/null)
[ -n "$TMOVER" ] && [ -n "$TDEF" ] || { e2e_fail "tokens for lab:mover and lab:default" "two tokens" "none"; e2e_finish; }

# sa TOKEN METHOD PATH [curl args...]: sets CODE and BODY.
sa()
{
    local tok=$1 method=$2 path=$3
    shift 3
    CODE=$(curl -sS --max-time 20 --cacert "$CACERT" -H "Authorization: Bearer $tok" -X "$method" \
        -o "$T/body" -w '%{http_code}' "$@" "$BASE$path")
    BODY=$(cat "$T/body")
}
field() { printf '%s' "$BODY" | "$PY" -c 'import json,sys
o=json.load(sys.stdin)
for k in sys.argv[1].split("."):
    o=o.get(k) if isinstance(o,dict) else None
print("" if o is None else (o if isinstance(o,str) else json.dumps(o)))' "$1"; }
NSMSG="the namespace of the provided object does not match the namespace sent on the request"
J=(-H "Content-Type: application/json")

# ---- virtual creates: metadata.namespace against the URL's --------------------------------
sa "$TMOVER" POST /api/v1/namespaces/lab/pods/p1/binding "${J[@]}" \
    -d '{"apiVersion":"v1","kind":"Binding","metadata":{"name":"p1","namespace":"other"},"target":{"name":"n1"}}'
expect_eq "binding with another namespace in the body: 400" 400 "$CODE"
expect_eq "binding with another namespace: upstream's message" "$NSMSG" "$(field message)"
expect_eq "binding with another namespace: reason" BadRequest "$(field reason)"
expect_eq "binding refused: lab/p1 still unscheduled" "" "$(kc get pod p1 -n lab -o jsonpath='{.spec.nodeName}')"
expect_eq "binding refused: other/p1 still unscheduled" "" "$(kc get pod p1 -n other -o jsonpath='{.spec.nodeName}')"

sa "$TMOVER" POST /api/v1/namespaces/lab/pods/p1/eviction "${J[@]}" \
    -d '{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"p1","namespace":"other"}}'
expect_eq "eviction with another namespace in the body: 400" 400 "$CODE"
expect_eq "eviction with another namespace: upstream's message" "$NSMSG" "$(field message)"
expect_eq "eviction refused: lab/p1 still there" p1 "$(kc get pod p1 -n lab -o jsonpath='{.metadata.name}' 2>&1)"
expect_eq "eviction refused: other/p1 still there" p1 "$(kc get pod p1 -n other -o jsonpath='{.metadata.name}' 2>&1)"

sa "$TMOVER" POST /api/v1/namespaces/lab/serviceaccounts/default/token "${J[@]}" \
    -d '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","metadata":{"namespace":"other"},"spec":{}}'
expect_eq "TokenRequest with another namespace in the body: 400" 400 "$CODE"
expect_eq "TokenRequest with another namespace: upstream's message" "$NSMSG" "$(field message)"
expect_eq "TokenRequest refused: no token" "" "$(field status.token)"

# the same bodies with the URL's namespace (or none) still work
sa "$TMOVER" POST /api/v1/namespaces/lab/serviceaccounts/default/token "${J[@]}" \
    -d '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","metadata":{"namespace":"lab"},"spec":{}}'
expect_eq "TokenRequest with the URL's namespace: 201" 201 "$CODE"
expect_eq "TokenRequest with the URL's namespace: echoed" lab "$(field metadata.namespace)"
sa "$TMOVER" POST /api/v1/namespaces/lab/pods/p1/binding "${J[@]}" \
    -d '{"apiVersion":"v1","kind":"Binding","metadata":{"name":"p1"},"target":{"name":"n1"}}'
expect_eq "binding without a namespace: 201" 201 "$CODE"
expect_eq "binding without a namespace: lab/p1 on n1" n1 "$(kc get pod p1 -n lab -o jsonpath='{.spec.nodeName}')"
sa "$TMOVER" POST /api/v1/namespaces/lab/pods/p1/eviction "${J[@]}" \
    -d '{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"p1","namespace":"lab"}}'
expect_eq "eviction with the URL's namespace: 201" 201 "$CODE"
expect_eq "eviction with the URL's namespace: Success" Success "$(field status)"

# ---- SelfSubjectAccessReview as the SA holding nothing ----------------------------------
SSAR=/apis/authorization.k8s.io/v1/selfsubjectaccessreviews
ssar() { sa "$TDEF" POST "$SSAR" "${J[@]}" -d "{\"spec\":{\"resourceAttributes\":{\"namespace\":\"lab\",\"verb\":\"list\",\"resource\":\"pods\",$1}}}"; }
ssar '"labelSelector":{"requirements":[{"key":"","operator":"In","values":[]}]}'
expect_eq "SSAR label requirement: empty key, In without values: 422" 422 "$CODE"
expect_contains "SSAR label requirement: values required" \
    'spec.resourceAttributes.labelSelector.requirements[0].values: Required value: must be specified when `operator` is '"'In' or 'NotIn'" "$(field message)"
expect_contains "SSAR label requirement: key is a qualified name" \
    'spec.resourceAttributes.labelSelector.requirements[0].key: Invalid value: "": name part must be non-empty' "$(field message)"
ssar '"labelSelector":{"requirements":[{"key":"app","operator":"Exists","values":["x"]}]}'
expect_eq "SSAR label requirement: Exists with values: 422" 422 "$CODE"
expect_contains "SSAR label requirement: values forbidden" \
    'spec.resourceAttributes.labelSelector.requirements[0].values: Forbidden: may not be specified when `operator` is '"'Exists' or 'DoesNotExist'" "$(field message)"
ssar '"labelSelector":{"requirements":[{"key":"app","operator":"In","values":["a b"]}]}'
expect_eq "SSAR label requirement: invalid label value: 422" 422 "$CODE"
expect_contains "SSAR label requirement: value message" \
    'spec.resourceAttributes.labelSelector.requirements[0].values[0]: Invalid value: "a b"' "$(field message)"
ssar '"fieldSelector":{"requirements":[{"key":"","operator":"NotIn","values":[]}]}'
expect_eq "SSAR field requirement: empty key, NotIn without values: 422" 422 "$CODE"
expect_contains "SSAR field requirement: key required" \
    'spec.resourceAttributes.fieldSelector.requirements[0].key: Required value: must be specified' "$(field message)"
expect_contains "SSAR field requirement: values required" \
    'spec.resourceAttributes.fieldSelector.requirements[0].values: Required value' "$(field message)"
ssar '"labelSelector":{"requirements":[{"key":"app","operator":"Gt","values":["1"]}]},"fieldSelector":{"requirements":[{"key":"spec.nodeName","operator":"Near","values":["n1"]}]}'
expect_eq "SSAR requirements with unknown operators: 201" 201 "$CODE"
expect_eq "SSAR with unknown operators: denied" false "$(field status.allowed)"
ssar '"labelSelector":{"requirements":[{"key":"example.com/app","operator":"In","values":["web"]}]}'
expect_eq "SSAR with a valid label requirement: 201" 201 "$CODE"

sa "$TDEF" POST "$SSAR" "${J[@]}" -d '{"metadata":{"namespace":"other"},"spec":{"nonResourceAttributes":{"path":"/api","verb":"get"}}}'
expect_eq "SSAR with metadata.namespace (cleared for a cluster-scoped review): 201" 201 "$CODE"
expect_eq "SSAR with metadata.namespace: allowed" true "$(field status.allowed)"
expect_eq "SSAR with metadata.namespace: none echoed" "" "$(field metadata.namespace)"
sa "$TDEF" POST "$SSAR" "${J[@]}" -d '{"metadata":{"namespace":"other","name":"x"},"spec":{"nonResourceAttributes":{"path":"/api","verb":"get"}}}'
expect_eq "SSAR with metadata.name: 422" 422 "$CODE"
expect_contains "SSAR with metadata.name: must be empty, namespace shown cleared" 'Name:"x", GenerateName:"", Namespace:""' "$(field message)"

# ---- 403s for names no client library would send: Go's %q, never a Status without message --
U='User "system:serviceaccount:lab:default"'
sa "$TDEF" GET /api/v1/namespaces/lab/configmaps/%ff%fe
expect_eq "invalid UTF-8 name: 403" 403 "$CODE"
expect_eq "invalid UTF-8 name: message with the name as %q" \
    "configmaps \"\\xff\\xfe\" is forbidden: $U cannot get resource \"configmaps\" in API group \"\" in the namespace \"lab\"" "$(field message)"
expect_eq "invalid UTF-8 name: details.name with U+FFFD as Go's JSON encoder writes it" $'\uFFFD\uFFFD' "$(field details.name)"
sa "$TDEF" GET '/api/v1/namespaces/lab/configmaps/a%22b%5Cc%E2%80%AE'
expect_eq "name with a quote, a backslash and U+202E: message as %q" \
    "configmaps \"a\\\"b\\\\c\\u202e\" is forbidden: $U cannot get resource \"configmaps\" in API group \"\" in the namespace \"lab\"" "$(field message)"
sa "$TDEF" GET '/api/v1/namespaces/l%22ab/pods'
expect_eq "namespace with a quote: %q in the message" \
    "pods is forbidden: $U cannot list resource \"pods\" in API group \"\" in the namespace \"l\\\"ab\"" "$(field message)"
sa "$TDEF" GET '/x%22%ff%3Cy%3E&'
expect_eq "path with a quote, a bad byte and <>&: %q, then the HTML sanitizer" \
    "forbidden: $U cannot get path \"/x\\\"\\xff&lt;y&gt;&amp;\"" "$(field message)"

# ---- a rule naming resourceNames for several resources (valid upstream) -------------------
cat >"$T/names.yaml" <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: names, namespace: lab}
rules:
- {apiGroups: [""], resources: ["configmaps", "secrets"], resourceNames: ["x"], verbs: ["get"]}
YAML
OUT=$(kc apply -f "$T/names.yaml" 2>&1)
expect_eq "Role with resourceNames over two resources: created" "role.rbac.authorization.k8s.io/names created" "$OUT"
kc create rolebinding names -n lab --role=names --serviceaccount=lab:mover >/dev/null
sa "$TMOVER" GET /api/v1/namespaces/lab/secrets/x
expect_eq "resourceNames over two resources: secrets/x allowed (absent: 404)" 404 "$CODE"
sa "$TMOVER" GET /api/v1/namespaces/lab/configmaps/x
expect_eq "resourceNames over two resources: configmaps/x allowed (absent: 404)" 404 "$CODE"
sa "$TMOVER" GET /api/v1/namespaces/lab/secrets/y
expect_eq "resourceNames over two resources: secrets/y still 403" 403 "$CODE"

# ---- PUT of an absent Role/RoleBinding creates it (AllowCreateOnUpdate), escalation-checked ----
kc create serviceaccount updater -n lab >/dev/null
kc create role updater -n lab --verb=update --resource=roles,rolebindings,configmaps >/dev/null
kc create rolebinding updater -n lab --role=updater --serviceaccount=lab:updater >/dev/null
TUPD=$(kc create token updater -n lab 2>/dev/null)
RB=/apis/rbac.authorization.k8s.io/v1/namespaces/lab
sa "$TUPD" PUT $RB/roles/held "${J[@]}" \
    -d '{"metadata":{"name":"held"},"rules":[{"apiGroups":[""],"resources":["configmaps"],"verbs":["update"]}]}'
expect_eq "PUT of an absent Role with rules the SA holds: 201" 201 "$CODE"
expect_eq "PUT-created Role: stored with its rule" '[{"apiGroups":[""],"resources":["configmaps"],"verbs":["update"]}]' \
    "$(kc get role held -n lab -o jsonpath='{.rules}' 2>&1)"
sa "$TUPD" PUT $RB/roles/grab "${J[@]}" \
    -d '{"metadata":{"name":"grab"},"rules":[{"apiGroups":[""],"resources":["secrets"],"verbs":["get"]}]}'
expect_eq "PUT of an absent Role with rules the SA lacks: 403" 403 "$CODE"
expect_contains "PUT-create escalation: upstream's message" \
    'roles.rbac.authorization.k8s.io "grab" is forbidden: user "system:serviceaccount:lab:updater"' "$(field message)"
expect_contains "PUT-create escalation: the missing rule" '{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}' "$(field message)"
expect_eq "PUT-create escalation: nothing stored" "" "$(kc get role grab -n lab -o name 2>/dev/null)"
sa "$TUPD" PUT $RB/rolebindings/grab "${J[@]}" \
    -d '{"metadata":{"name":"grab"},"subjects":[{"kind":"ServiceAccount","name":"updater"}],"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"admin"}}'
expect_eq "PUT of an absent RoleBinding to admin: 403 (bind check)" 403 "$CODE"
expect_eq "PUT-create bind refused: nothing stored" "" "$(kc get rolebinding grab -n lab -o name 2>/dev/null)"
sa "$TUPD" PUT $RB/roles/held2 "${J[@]}" -d '{"metadata":{"name":"other"},"rules":[]}'
expect_eq "PUT-create with another name in the body: 400" 400 "$CODE"
expect_eq "PUT-create name mismatch: message" "the name of the object (other) does not match the name on the URL (held2)" "$(field message)"
# a uid in the body is a precondition: an absent object fails it (kubectl replace of a Role
# deleted meanwhile), upstream's 409 with the storage layer's text
sa "$TUPD" PUT $RB/roles/gone "${J[@]}" -d '{"metadata":{"name":"gone","uid":"0b5c1d2e-0000-4000-8000-000000000001"},"rules":[]}'
expect_eq "PUT-create with a uid in the body: 409" 409 "$CODE"
expect_eq "PUT-create with a uid: reason" Conflict "$(field reason)"
expect_eq "PUT-create with a uid: upstream's message" \
    'Operation cannot be fulfilled on roles.rbac.authorization.k8s.io "gone": StorageError: invalid object, Code: 4, Key: /registry/roles/lab/gone, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: 0b5c1d2e-0000-4000-8000-000000000001, UID in object meta: ' \
    "$(field message)"
expect_eq "PUT-create with a uid: nothing stored" "" "$(kc get role gone -n lab -o name 2>/dev/null)"
# and an existing object whose uid differs (deleted and created again) is not overwritten
kc create configmap pc -n lab --from-literal=k=v1 >/dev/null
PCUID=$(kc get cm pc -n lab -o jsonpath='{.metadata.uid}')
sa "$TUPD" PUT /api/v1/namespaces/lab/configmaps/pc "${J[@]}" \
    -d '{"metadata":{"name":"pc","uid":"0b5c1d2e-0000-4000-8000-000000000002"},"data":{"k":"v2"}}'
expect_eq "PUT with another uid than the stored object's: 409" 409 "$CODE"
expect_eq "PUT with another uid: upstream's message" \
    "Operation cannot be fulfilled on configmaps \"pc\": StorageError: invalid object, Code: 4, Key: /registry/configmaps/lab/pc, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: 0b5c1d2e-0000-4000-8000-000000000002, UID in object meta: $PCUID" \
    "$(field message)"
expect_eq "PUT with another uid: the object unchanged" v1 "$(kc get cm pc -n lab -o jsonpath='{.data.k}')"
sa "$TUPD" PUT /api/v1/namespaces/lab/configmaps/pc "${J[@]}" \
    -d "{\"metadata\":{\"name\":\"pc\",\"uid\":\"$PCUID\"},\"data\":{\"k\":\"v3\"}}"
expect_eq "PUT with the stored uid: 200" 200 "$CODE"
expect_eq "PUT with the stored uid: updated" v3 "$(kc get cm pc -n lab -o jsonpath='{.data.k}')"
sa "$TUPD" PUT /api/v1/namespaces/lab/configmaps/absent "${J[@]}" -d '{"metadata":{"name":"absent"}}'
expect_eq "PUT of an absent ConfigMap (no create on update): 404" 404 "$CODE"

# ---- the namespaces resource under another namespace's URL ------------------------------
# lab:viewer holds the view ClusterRole (namespaces get/list/watch) and create/patch/delete on
# namespaces, all through RoleBindings in lab: it may act on namespace lab only.
kc create namespace victim >/dev/null
kc create serviceaccount viewer -n lab >/dev/null
kc create rolebinding viewer -n lab --clusterrole=view --serviceaccount=lab:viewer >/dev/null
kc create role nsadmin -n lab --verb=create,patch,delete --resource=namespaces >/dev/null
kc create rolebinding nsadmin -n lab --role=nsadmin --serviceaccount=lab:viewer >/dev/null
TVIEW=$(kc create token viewer -n lab 2>/dev/null)
refused() { expect_eq "$1: 404 (no such route; the grant lets the request through RBAC)" 404 "$CODE"; expect_not_contains "$1: nothing served" "$2" "$BODY"; }
sa "$TVIEW" GET /api/v1/namespaces/lab/namespaces
refused "list namespaces under /namespaces/lab" '"NamespaceList"'
sa "$TVIEW" GET /api/v1/namespaces/lab/namespaces/default
refused "get namespace default under /namespaces/lab" '"kind": "Namespace"'
sa "$TVIEW" GET '/api/v1/namespaces/lab/namespaces?watch=1&timeoutSeconds=1'
refused "watch namespaces under /namespaces/lab" '"ADDED"'
sa "$TVIEW" GET '/api/v1/watch/namespaces/lab/namespaces?timeoutSeconds=1'
refused "legacy watch of namespaces under /namespaces/lab" '"ADDED"'
sa "$TVIEW" PATCH /api/v1/namespaces/lab/namespaces/victim -H "Content-Type: application/merge-patch+json" \
    -d '{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":"privileged"}}}'
refused "patch namespace victim under /namespaces/lab" '"kind": "Namespace"'
expect_eq "namespace victim: labels untouched" '{"kubernetes.io/metadata.name":"victim"}' \
    "$(kc get ns victim -o jsonpath='{.metadata.labels}')"
sa "$TVIEW" DELETE /api/v1/namespaces/lab/namespaces/victim
refused "delete namespace victim under /namespaces/lab" '"kind": "Namespace"'
expect_eq "namespace victim: still Active" Active "$(kc get ns victim -o jsonpath='{.status.phase}')"
sa "$TVIEW" POST /api/v1/namespaces/lab/namespaces "${J[@]}" -d '{"metadata":{"name":"planted"}}'
refused "create a namespace under /namespaces/lab" '"kind": "Namespace"'
expect_eq "namespace planted: not created" "" "$(kc get ns planted -o name 2>/dev/null)"
# without a grant RBAC answers first, as upstream's filter chain does: 403 with its message
sa "$TDEF" GET /api/v1/namespaces/lab/namespaces/default
expect_eq "no grant: get namespace default under /namespaces/lab: 403" 403 "$CODE"
expect_eq "no grant: the forbidden message" \
    'namespaces "default" is forbidden: User "system:serviceaccount:lab:default" cannot get resource "namespaces" in API group "" in the namespace "lab"' \
    "$(field message)"
# the SA's own namespace through its own paths, and RBAC's answer about it, are unchanged
sa "$TVIEW" GET /api/v1/namespaces/lab
expect_eq "get namespace lab: 200" 200 "$CODE"
expect_eq "get namespace lab: the object" lab "$(field metadata.name)"
sa "$TVIEW" GET '/api/v1/watch/namespaces/lab?timeoutSeconds=1'
expect_contains "watch namespace lab: its event" '"name":"lab"' "$BODY"
sa "$TVIEW" PATCH /api/v1/namespaces/lab -H "Content-Type: application/merge-patch+json" -d '{"metadata":{"labels":{"team":"a"}}}'
expect_eq "patch namespace lab: 200" 200 "$CODE"
sa "$TVIEW" POST "$SSAR" "${J[@]}" -d '{"spec":{"resourceAttributes":{"namespace":"lab","verb":"list","resource":"namespaces"}}}'
expect_eq "SSAR list namespaces in lab: still allowed (RBAC unchanged)" true "$(field status.allowed)"

e2e_finish
