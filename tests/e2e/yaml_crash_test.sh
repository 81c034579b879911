#!/usr/bin/env bash
# End-to-end test of issue 11: YAML bodies on which Debian's libfyaml 0.7.12 crashed (the
# fuzzers' reproducers in fuzz/corpus/yaml and fuzz/corpus/managedfields, and the NUL-byte case
# before them) posted to the real server by a ServiceAccount without any RBAC grant — as an
# YAML SelfSubjectAccessReview (which every user may create), and by a ServiceAccount that may
# edit ConfigMaps in its namespace as an application/yaml create and an apply-patch+yaml patch
# (the SA without grants gets its 403 first, as upstream authorizes before reading the body).
# Each gets upstream's 400 BadRequest Status and the server stays up and keeps serving.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
SERVE_FLAGS="--no-node"
server_start "$T/data" || exit 1
CORPUS="$ANZEN_SRC/fuzz/corpus"
kc create sa nobody -n default >/dev/null
NOBODY=$(kc create token nobody -n default)
expect_ne "a token for the ServiceAccount without grants" "" "$NOBODY"
kc create sa editor -n default >/dev/null
kc create rolebinding editor --clusterrole=edit --serviceaccount=default:editor -n default >/dev/null
EDITOR=$(kc create token editor -n default)

# sa_req TOKEN METHOD PATH CONTENT_TYPE FILE: the request with the bearer TOKEN; sets CODE and
# leaves the body in $T/body
sa_req()
{
    CODE=$(curl -sS --max-time 60 --cacert "$SERVER_DIR/pki/ca.crt" -H "Authorization: Bearer $1" \
        -X "$2" -H "Content-Type: $4" --data-binary @"$5" -o "$T/body" -w '%{http_code}' "$BASE$3")
}

# the managedfields reproducer is a mode byte ('1': an apply body) and the body
tail -c +2 "$CORPUS/managedfields/libfyaml-error-display-overflow-crash" >"$T/display-overflow.yaml"
cp "$CORPUS/yaml/libfyaml-tab-after-complex-key-value-crash" "$T/double-release.yaml"
printf '? b:\t- r\n' >"$T/double-release-min.yaml"
cp "$CORPUS/yaml/libfyaml-nul-in-flow-scalar-crash" "$T/nul.yaml"
printf 'a: [\n' >"$T/plain-invalid.yaml"

SSAR=/apis/authorization.k8s.io/v1/selfsubjectaccessreviews
CM=/api/v1/namespaces/default/configmaps
for f in display-overflow double-release double-release-min nul; do
    sa_req "$NOBODY" POST "$SSAR" application/yaml "$T/$f.yaml"
    expect_eq "$f: YAML SelfSubjectAccessReview: 400" 400 "$CODE"
    expect_eq "$f: SSAR: a Status with reason BadRequest" "Status BadRequest 400" \
        "$(jget 'd["kind"] + " " + d["reason"] + " " + str(d["code"])' "$T/body")"
    expect_contains "$f: SSAR: the message of any unreadable YAML body" "error converting YAML to JSON" "$(cat "$T/body")"
    expect_eq "$f: server alive after the SSAR" yes "$(server_alive && echo yes || echo no)"

    sa_req "$NOBODY" POST "$CM" application/yaml "$T/$f.yaml"
    expect_eq "$f: application/yaml create as the SA without grants: 403 before the body is read" 403 "$CODE"
    sa_req "$EDITOR" POST "$CM" application/yaml "$T/$f.yaml"
    expect_eq "$f: application/yaml create as an SA that may create ConfigMaps: 400" 400 "$CODE"
    expect_eq "$f: create: reason BadRequest" "BadRequest" "$(jget 'd["reason"]' "$T/body")"
    expect_eq "$f: server alive after the create" yes "$(server_alive && echo yes || echo no)"

    sa_req "$EDITOR" PATCH "$CM/x?fieldManager=m" application/apply-patch+yaml "$T/$f.yaml"
    expect_eq "$f: apply-patch+yaml as the SA that may edit ConfigMaps: 400" 400 "$CODE"
    expect_eq "$f: apply: reason BadRequest" "BadRequest" "$(jget 'd["reason"]' "$T/body")"
    expect_eq "$f: server alive after the apply" yes "$(server_alive && echo yes || echo no)"
done

# the same answer as for any other unreadable YAML body
sa_req "$NOBODY" POST "$SSAR" application/yaml "$T/plain-invalid.yaml"
PLAIN=$(jget 'd["message"]' "$T/body")
sa_req "$NOBODY" POST "$SSAR" application/yaml "$T/double-release-min.yaml"
expect_eq "the double-release body: the message of a plain invalid YAML body" "$PLAIN" "$(jget 'd["message"]' "$T/body")"

# still serving, and YAML that only looks like the refused shape is read as usual
printf 'apiVersion: authorization.k8s.io/v1\nkind: SelfSubjectAccessReview\nspec:\n  resourceAttributes:\n    verb: "get? yes"\n    resource:\t|\n      pods\n' >"$T/lookalike.yaml"
sa_req "$NOBODY" POST "$SSAR" application/yaml "$T/lookalike.yaml"
expect_eq "a YAML SSAR with '? ' and ':<tab>|' in it: 201" 201 "$CODE"
expect_eq "the lookalike SSAR: its block scalar read" "pods" "$(jget 'd["spec"]["resourceAttributes"]["resource"].strip()' "$T/body")"
kc get --raw /readyz >"$T/readyz" 2>&1
expect_eq "readyz after all of it" "ok" "$(cat "$T/readyz")"
expect_eq "server alive at the end" yes "$(server_alive && echo yes || echo no)"
server_stop
e2e_finish
