#!/usr/bin/env bash
# End-to-end, table-driven: each malformed request gets upstream's exact metav1.Status body
# (compact form, as kubectl and client libraries receive it) and HTTP code, and the server
# keeps serving after every one of them. Expected texts: ../shared/spec/06-http-errors.md and
# kube-apiserver 1.32 (handlers/rest.go checkName/transformDecodeError, negotiation errors,
# apimachinery validation messages).
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
server_start "$T/data" || exit 1
UA=(-A anzen-e2e)   # non-curl User-Agent: compact JSON + "\n"

# setup: namespace lab and configmap "a"
acurl -o /dev/null -H 'Content-Type: application/json' -d '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"lab"}}' "$BASE/api/v1/namespaces"
acurl -o /dev/null -H 'Content-Type: application/json' -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}' "$BASE/api/v1/namespaces/lab/configmaps"

# check NAME CODE EXPECTED_BODY: compares the last request's code and exact body (+ "\n")
check()
{
    local name=$1 code=$2 want=$3 got
    got=$(cat "$T/body"; echo x)
    expect_eq "$name: HTTP $code" "$code" "$CODE"
    expect_eq "$name: exact Status body" "$want
x" "$got"
    expect_eq "$name: Content-Type" "application/json" "$(header content-type)"
    if [ "$(acurl -s --max-time 5 "$BASE/readyz")" != ok ]; then
        ensure_alive "$name: server keeps serving"
    fi
}
st()   # st MESSAGE REASON CODE [DETAILS_JSON] -> compact Status JSON (message given as JSON string)
{
    if [ -n "${4:-}" ]; then
        printf '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":%s,"reason":"%s","details":%s,"code":%s}' "$1" "$2" "$4" "$3"
    else
        printf '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":%s,"reason":"%s","code":%s}' "$1" "$2" "$3"
    fi
}
J=(-H 'Content-Type: application/json')
CM=/api/v1/namespaces/lab/configmaps

req POST $CM "${UA[@]}" "${J[@]}" -d '{bad json}'
check "malformed JSON body" 400 "$(st '"the object provided is unrecognized (must be of type ConfigMap): couldn'"'"'t get version/kind; json parse error: invalid character '"'"'b'"'"' looking for beginning of object key string ({bad json})"' BadRequest 400)"

req POST $CM "${UA[@]}" "${J[@]}" --data-binary ''
check "empty body" 400 "$(st '"the object provided is unrecognized (must be of type ConfigMap): couldn'"'"'t get version/kind; json parse error: unexpected end of JSON input (\u003cempty\u003e)"' BadRequest 400)"

req POST /apis/rbac.authorization.k8s.io/v1/namespaces/lab/roles "${UA[@]}" "${J[@]}" -d '{"apiVersion":"rbac.authorization.k8s.io/v1beta1","kind":"Role","metadata":{"name":"r"}}'
check "wrong apiVersion" 400 "$(st '"the API version in the data (rbac.authorization.k8s.io/v1beta1) does not match the expected API version (rbac.authorization.k8s.io/v1)"' BadRequest 400)"

req POST $CM "${UA[@]}" "${J[@]}" -d '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}}'
check "wrong kind" 400 "$(st '"Secret in version \"v1\" cannot be handled as a ConfigMap: converting (v1.Secret) to (core.ConfigMap): unknown conversion"' BadRequest 400)"

req PUT $CM/a "${UA[@]}" "${J[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"}}'
check "name mismatch on PUT" 400 "$(st '"the name of the object (b) does not match the name on the URL (a)"' BadRequest 400)"

req POST $CM "${UA[@]}" "${J[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"n","namespace":"other"}}'
check "namespace mismatch on POST" 400 "$(st '"the namespace of the provided object does not match the namespace sent on the request"' BadRequest 400)"

DNSMSG='a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '"'"'-'"'"' or '"'"'.'"'"', and must start and end with an alphanumeric character (e.g. '"'"'example.com'"'"', regex used for validation is '"'"'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'"'"')'
req POST $CM "${UA[@]}" "${J[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Bad_Name"}}'
check "invalid DNS-1123 name" 422 "$(st "\"ConfigMap \\\"Bad_Name\\\" is invalid: metadata.name: Invalid value: \\\"Bad_Name\\\": $DNSMSG\"" Invalid 422 \
    "{\"name\":\"Bad_Name\",\"kind\":\"ConfigMap\",\"causes\":[{\"reason\":\"FieldValueInvalid\",\"message\":\"Invalid value: \\\"Bad_Name\\\": $DNSMSG\",\"field\":\"metadata.name\"}]}")"

req POST $CM "${UA[@]}" "${J[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{}}'
check "missing name" 422 "$(st '"ConfigMap \"\" is invalid: metadata.name: Required value: name or generateName is required"' Invalid 422 \
    '{"kind":"ConfigMap","causes":[{"reason":"FieldValueRequired","message":"Required value: name or generateName is required","field":"metadata.name"}]}')"

req POST /api/v1/namespaces/nope/configmaps "${UA[@]}" "${J[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}'
check "create in a missing namespace" 404 "$(st '"namespaces \"nope\" not found"' NotFound 404 '{"name":"nope","kind":"namespaces"}')"

req GET $CM/missing "${UA[@]}"
check "get a missing object" 404 "$(st '"configmaps \"missing\" not found"' NotFound 404 '{"name":"missing","kind":"configmaps"}')"

req GET /apis/rbac.authorization.k8s.io/v1/namespaces/lab/roles/missing "${UA[@]}"
check "get a missing grouped object" 404 "$(st '"roles.rbac.authorization.k8s.io \"missing\" not found"' NotFound 404 '{"name":"missing","group":"rbac.authorization.k8s.io","kind":"roles"}')"

req POST $CM "${UA[@]}" "${J[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}'
check "create an existing object" 409 "$(st '"configmaps \"a\" already exists"' AlreadyExists 409 '{"name":"a","kind":"configmaps"}')"

NOTFOUND="$(st '"the server could not find the requested resource"' NotFound 404 '{}')"
req GET /api/v1/namespaces/lab/foos "${UA[@]}"
check "unknown resource" 404 "$NOTFOUND"
req GET /apis/nosuch.example.com/v1/things "${UA[@]}"
check "unknown group" 404 "$NOTFOUND"
req GET /api/v2/namespaces "${UA[@]}"
check "unknown version" 404 "$NOTFOUND"
req GET /nonsense/path "${UA[@]}"
check "unknown path" 404 "$NOTFOUND"

NOTALLOWED="$(st '"the server does not allow this method on the requested resource"' MethodNotAllowed 405 '{}')"
req PUT $CM "${UA[@]}" "${J[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}'
check "PUT on a collection" 405 "$NOTALLOWED"
req POST $CM/a "${UA[@]}" "${J[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}'
check "POST on a named object" 405 "$NOTALLOWED"
req FOO $CM/a "${UA[@]}"
check "unknown verb FOO" 405 "$NOTALLOWED"

head -c $((3 * 1024 * 1024 + 100)) /dev/zero | tr '\0' 'a' | sed 's/^/{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"k":"/; s/$/"}}/' >"$T/big.json"
req POST $CM "${UA[@]}" "${J[@]}" --data-binary @"$T/big.json"
check "body over 3 MiB" 413 "$(st '"Request entity too large: limit is 3145728"' RequestEntityTooLarge 413)"

req POST $CM "${UA[@]}" -H 'Content-Type: text/plain' -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"t"}}'
check "unsupported content type" 415 "$(st '"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf"' UnsupportedMediaType 415)"

# invalid UTF-8 in a YAML body: libfyaml 0.7.12 loops forever on "%-\xff"; the server must
# answer (go-yaml's reader error) and keep serving
printf '%%-\xff' >"$T/bad.yaml"
req POST $CM "${UA[@]}" -H 'Content-Type: application/yaml' --max-time 20 --data-binary @"$T/bad.yaml"
check "YAML body with invalid UTF-8" 400 "$(st '"error converting YAML to JSON: yaml: invalid leading UTF-8 octet"' BadRequest 400)"
req PATCH "$CM/a?fieldManager=m" "${UA[@]}" -H 'Content-Type: application/apply-patch+yaml' --max-time 20 --data-binary @"$T/bad.yaml"
check "apply body with invalid UTF-8" 400 "$(st '"error decoding YAML: yaml: invalid document"' BadRequest 400)"

# a malformed YAML body (here a Secret's) is refused without any of its text reaching the
# server's log: libfyaml's default diagnostics quote the offending line on stderr
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: y}\nstringData:\n  password: yaml-s3cr3t-e2e: x\n' >"$T/leak.yaml"
req POST /api/v1/namespaces/lab/secrets "${UA[@]}" -H 'Content-Type: application/yaml' --data-binary @"$T/leak.yaml"
expect_eq "malformed YAML body: HTTP 400" 400 "$CODE"
req PATCH "$CM/a?fieldManager=m" "${UA[@]}" -H 'Content-Type: application/apply-patch+yaml' --data-binary @"$T/leak.yaml"
expect_eq "malformed apply body: HTTP 400" 400 "$CODE"
expect_eq "no text of a malformed YAML body in the server log" "" "$(grep -a 'yaml-s3cr3t-e2e' "$T/server.log")"
# a YAML body's escaped, folded and typed scalars become the JSON values libfyaml's JSON
# emitter gave (util/yaml.c converts without it: it leaked per escaped scalar)
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yesc\n  labels: {n: "5"}\ndata:\n  q: "tab\\there \\u00e9 \\\\ \\"x\\""\n  f: a\n    b\n  l: |\n    x\n' >"$T/esc.yaml"
req POST $CM "${UA[@]}" -H 'Content-Type: application/yaml' --data-binary @"$T/esc.yaml"
expect_eq "YAML body with escapes: HTTP 201" 201 "$CODE"
expect_eq "YAML body with escapes: values" '{"f":"a b","l":"x\n","q":"tab\there é \\ \"x\""} {"n":"5"}' \
    "$(printf '%s' "$BODY" | python3 -c 'import json,sys; o=json.load(sys.stdin); print(json.dumps(o["data"], sort_keys=True, separators=(",", ":"), ensure_ascii=False), json.dumps(o["metadata"]["labels"], separators=(",", ":")))')"

req PUT $CM/a "${UA[@]}" "${J[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","resourceVersion":"1"}}'
check "update with a stale resourceVersion" 409 "$(st '"Operation cannot be fulfilled on configmaps \"a\": the object has been modified; please apply your changes to the latest version and try again"' Conflict 409 '{"name":"a","kind":"configmaps"}')"

UNAUTH="$(st '"Unauthorized"' Unauthorized 401)"
noauth_req GET /api/v1/namespaces "${UA[@]}"
check "no credentials" 401 "$UNAUTH"
noauth_req GET /api/v1/namespaces "${UA[@]}" -H 'Authorization: Bearer not-a-real-token'
check "unknown bearer token" 401 "$UNAUTH"
expect_eq "401 has no WWW-Authenticate header" "" "$(header www-authenticate)"
noauth_req GET /api/v1/namespaces
expect_eq "401 for curl: same Status, pretty-printed" "$(printf '%s' "$UNAUTH" | jnorm)" "$(jnorm <"$T/body")"
out=$(kubectl --cache-dir "$T/kcache" --server "$BASE" --certificate-authority "$SERVER_DIR/pki/ca.crt" --token not-a-real-token get ns 2>&1)
expect_match "kubectl with a bad token" '^error: You must be logged in to the server \((Unauthorized|the server has asked for the client to provide credentials)\)$' "$out"

# every response carries an Audit-Id
req GET $CM/missing "${UA[@]}"
expect_match "Audit-Id header is a UUID" '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' "$(header audit-id)"

# after all of that the server still serves normal requests
req GET $CM/a "${UA[@]}"
expect_eq "server still serves GET after the bad inputs" "200 a" "$CODE $(jget 'd["metadata"]["name"]' "$T/body")"
out=$(kc get cm a -n lab -o name 2>&1)
expect_eq "kubectl still works after the bad inputs" "configmap/a" "$out"
server_alive && e2e_pass "server process still running" || e2e_fail "server process still running" "alive" "dead"
e2e_finish
