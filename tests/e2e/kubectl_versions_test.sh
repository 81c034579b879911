#!/usr/bin/env bash
# End-to-end: every kubectl from 1.27 to 1.33 (the versioned binaries the /usr/bin/kubectl
# dispatcher picks from) on the core flows: api-resources (aggregated discovery v2beta1 for
# 1.27–1.29, v2 for 1.30+), get, create, apply (create, then configure), explain, auth
# can-i, delete.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
server_start "$T/data" || exit 1
KDIR=/usr/lib/google-cloud-sdk/bin

# Discovery negotiation as 1.32 does it: the first acceptable entry of Accept wins.
for v in v2 v2beta1; do
    req GET /apis -H "Accept: application/json;g=apidiscovery.k8s.io;v=$v;as=APIGroupDiscoveryList,application/json"
    expect_eq "/apis with Accept $v first: content-type" "application/json;g=apidiscovery.k8s.io;v=$v;as=APIGroupDiscoveryList" "$(header content-type)"
    expect_eq "/apis with Accept $v first: apiVersion" "apidiscovery.k8s.io/$v" "$(jget 'd["apiVersion"]' "$T/body")"
done
req GET /api -H "Accept: application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
expect_eq "/api v2beta1: the core group" "APIGroupDiscoveryList apidiscovery.k8s.io/v2beta1" "$(jget 'd["kind"]+" "+d["apiVersion"]' "$T/body")"
req GET /api -H "Accept: application/json, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
expect_eq "/api with plain JSON first: legacy APIVersions" "APIVersions" "$(jget 'd["kind"]' "$T/body")"

# /openapi/v2 as JSON and in the protobuf form kubectl 1.27/1.28 ask for
req GET /openapi/v2
expect_eq "/openapi/v2 JSON: swagger 2.0" "2.0" "$(jget 'd["swagger"]' "$T/body")"
expect_eq "/openapi/v2 JSON: ConfigMap definition with its GVK" '[{"group":"","kind":"ConfigMap","version":"v1"}]' \
    "$(jget 'd["definitions"]["io.k8s.api.core.v1.ConfigMap"]["x-kubernetes-group-version-kind"]' "$T/body")"
expect_eq "/openapi/v2 JSON: PATCH takes fieldValidation" "query string" \
    "$(jget '[p["in"]+" "+p["type"] for p in d["paths"]["/api/v1/namespaces/{namespace}/configmaps/{name}"]["patch"]["parameters"] if p["name"]=="fieldValidation"][0]' "$T/body")"
expect_eq "/openapi/v2 JSON: references point into definitions" "#/definitions/io.k8s.api.core.v1.PodSpec" \
    "$(jget 'd["definitions"]["io.k8s.api.core.v1.Pod"]["properties"]["spec"]["$ref"]' "$T/body")"
req GET /openapi/v2 -H 'Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf' 2>/dev/null
expect_eq "/openapi/v2 protobuf: content-type" "application/com.github.proto-openapi.spec.v2.v1.0+protobuf" "$(header content-type)"
expect_eq "/openapi/v2 protobuf: Document.swagger is field 1" "0a03322e30" "$(head -c 5 "$T/body" | od -An -tx1 | tr -d ' \n')"

cat >"$T/cm.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: cmv}
data: {a: "1"}
YAML
for minor in 27 28 29 30 31 32 33; do
    K="$KDIR/kubectl.1.$minor"
    if [ ! -x "$K" ]; then
        e2e_fail "kubectl 1.$minor present" "$K" "missing"
        continue
    fi
    k() { "$K" --kubeconfig "$KCFG" --cache-dir "$T/kcache$minor" "$@" 2>&1; }
    expect_match "1.$minor api-resources lists pods" '^pods +po +v1 +true +Pod$' "$(k api-resources)"
    expect_match "1.$minor api-resources lists jobs" '^jobs +batch/v1 +true +Job$' "$(k api-resources)"
    expect_match "1.$minor get ns" '^kube-system +Active' "$(k get ns)"
    expect_eq "1.$minor create sa" "serviceaccount/sa$minor created" "$(k create sa "sa$minor")"
    expect_eq "1.$minor auth can-i" "yes" "$(k auth can-i create pods)"
    expect_eq "1.$minor apply (create)" "configmap/cmv created" "$(k apply -f "$T/cm.yaml")"
    sed "s/a: \"1\"/a: \"$minor\"/" "$T/cm.yaml" >"$T/cm2.yaml"
    expect_eq "1.$minor apply (configure)" "configmap/cmv configured" "$(k apply -f "$T/cm2.yaml")"
    expect_eq "1.$minor get after apply" "$minor" "$(k get cm cmv -o 'jsonpath={.data.a}')"
    expect_contains "1.$minor explain" "FIELD: data <map[string]string>" "$(k explain configmap.data)"
    expect_match "1.$minor explain (v2 wording before 1.28)" 'KIND: +ConfigMap' "$(k explain configmap)"
    expect_eq "1.$minor delete" 'configmap "cmv" deleted' "$(k delete cm cmv)"
    # strategic merge patch through apply: containers merged by name, from the schema
    printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: p%s, labels: {a: "1"}}\nspec:\n  containers: [{name: c, image: busybox}]\n' "$minor" >"$T/pod.yaml"
    expect_eq "1.$minor apply pod" "pod/p$minor created" "$(k apply -f "$T/pod.yaml")"
    sed -i 's/a: "1"/a: "2"/; s/image: busybox/image: busybox:1.36/' "$T/pod.yaml"
    expect_eq "1.$minor apply pod (configure)" "pod/p$minor configured" "$(k apply -f "$T/pod.yaml")"
    expect_eq "1.$minor pod after apply" "2 busybox:1.36 1" "$(k get pod "p$minor" -o 'jsonpath={.metadata.labels.a} {.spec.containers[0].image} {.spec.containers[*].name}' | sed 's/ c$/ 1/')"
    # unknown fields: server-side strict validation (kubectl found fieldValidation in the OpenAPI)
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad%s}\nbogus: 1\n' "$minor" >"$T/bad.yaml"
    expect_contains "1.$minor apply with an unknown field" 'strict decoding error: unknown field "bogus"' "$(k apply -f "$T/bad.yaml")"
    expect_eq "1.$minor get pods in an empty namespace" "No resources found in kube-public namespace." "$(k get pods -n kube-public)"
done
e2e_finish
