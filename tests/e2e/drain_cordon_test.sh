#!/usr/bin/env bash
# End-to-end: kubectl 1.32 cordon/uncordon/drain against a --no-node server with a Node
# created by the test and pods bound to it. cordon sets spec.unschedulable and the node-taint
# controller adds node.kubernetes.io/unschedulable:NoSchedule (removed on uncordon); drain
# evicts through pods/eviction (policy/v1, protobuf body), and with --disable-eviction
# deletes with a protobuf DeleteOptions body.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
server_start "$T/data" || exit 1
unsched_taint() { kcv 32 get node worker1 -o 'jsonpath={.spec.taints[*].key}' | grep -q unschedulable; }
no_unsched_taint() { ! unsched_taint; }

printf '{"apiVersion":"v1","kind":"Node","metadata":{"name":"worker1"}}' >"$T/node.json"
expect_eq "node created" "node/worker1 created" "$(kcv 32 create -f "$T/node.json" 2>&1)"
mkpod()
{
    printf '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s","namespace":"default"},"spec":{"nodeName":"worker1","containers":[{"name":"c","image":"busybox","command":["sleep","100"]}]}}' "$1" >"$T/$1.json"
    kcv 32 create -f "$T/$1.json" >/dev/null 2>&1
}
taints() { kcv 32 get node worker1 -o 'jsonpath={.spec.taints}'; }
has_taint() { [ "$(taints)" = '[{"effect":"NoSchedule","key":"node.kubernetes.io/unschedulable"}]' ]; }
no_taint() { [ -z "$(taints)" ]; }

# --- cordon / uncordon
expect_eq "cordon output" "node/worker1 cordoned" "$(kcv 32 cordon worker1 2>&1)"
expect_eq "cordon sets spec.unschedulable" "true" "$(kcv 32 get node worker1 -o 'jsonpath={.spec.unschedulable}')"
wait_until 30 has_taint
expect_eq "cordon: the unschedulable NoSchedule taint (no value, no timeAdded)" \
    '[{"effect":"NoSchedule","key":"node.kubernetes.io/unschedulable"}]' "$(taints)"
expect_match "get nodes shows SchedulingDisabled" "^worker1 .*SchedulingDisabled" "$(kcv 32 get nodes 2>&1)"
expect_contains "describe node: Taints" "node.kubernetes.io/unschedulable:NoSchedule" "$(kcv 32 describe node worker1 2>&1)"
expect_eq "uncordon output" "node/worker1 uncordoned" "$(kcv 32 uncordon worker1 2>&1)"
wait_until 30 no_taint
expect_eq "uncordon removes the taint" "" "$(taints)"
expect_eq "uncordon clears spec.unschedulable" "" "$(kcv 32 get node worker1 -o 'jsonpath={.spec.unschedulable}')"
# a taint of the user's survives cordon/uncordon
kcv 32 taint node worker1 dedicated=infra:NoSchedule >/dev/null 2>&1
kcv 32 cordon worker1 >/dev/null 2>&1
wait_until 30 unsched_taint
expect_eq "cordon keeps the user's taint" "dedicated node.kubernetes.io/unschedulable" "$(kcv 32 get node worker1 -o 'jsonpath={.spec.taints[*].key}')"
kcv 32 uncordon worker1 >/dev/null 2>&1
wait_until 30 no_unsched_taint
expect_eq "uncordon keeps the user's taint" "dedicated" "$(kcv 32 get node worker1 -o 'jsonpath={.spec.taints[*].key}')"
kcv 32 taint node worker1 dedicated- >/dev/null 2>&1

# --- discovery: pods/eviction as kubectl drain looks for it
req GET /api/v1
expect_eq "/api/v1 lists pods/eviction as policy/v1 Eviction" "Eviction policy v1 create" \
    "$(jget '[r["kind"]+" "+r["group"]+" "+r["version"]+" "+",".join(r["verbs"]) for r in d["resources"] if r["name"]=="pods/eviction"][0]' "$T/body")"

# --- drain through evictions
mkpod p1
mkpod p2
mkpod other
out=$(kcv 32 drain worker1 --ignore-daemonsets --force 2>&1)
expect_contains "drain: cordoned" "node/worker1 cordoned" "$out"
expect_contains "drain: the warning for pods without a controller" "Warning: deleting Pods that declare no controller: default/other, default/p1, default/p2" "$out"
expect_contains "drain: evicting p1" "evicting pod default/p1" "$out"
expect_contains "drain: p1 evicted" "pod/p1 evicted" "$out"
expect_contains "drain: p2 evicted" "pod/p2 evicted" "$out"
expect_contains "drain: drained" "node/worker1 drained" "$out"
expect_eq "drain: the node's pods are gone" "No resources found in default namespace." "$(kcv 32 get pods 2>&1)"
expect_eq "drain: node stays cordoned and tainted" "true" "$(kcv 32 get node worker1 -o 'jsonpath={.spec.unschedulable}')"

# --- drain with plain deletes: DELETE with a protobuf DeleteOptions body
mkpod p3
out=$(kcv 32 drain worker1 --ignore-daemonsets --force --disable-eviction --grace-period=0 -v=8 2>&1)
expect_match "drain --disable-eviction sends protobuf DeleteOptions" "Content-Type: application/vnd.kubernetes.protobuf" "$out"
expect_contains "drain --disable-eviction: deleted" "pod/p3 deleted" "$out"
expect_contains "drain --disable-eviction: drained" "node/worker1 drained" "$out"

# --- the eviction subresource with curl (JSON)
mkpod p4
req POST /api/v1/namespaces/default/pods/p4/eviction -H 'Content-Type: application/json' \
    -d '{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"other"}}'
expect_eq "eviction with another name: 400" "400" "$CODE"
expect_eq "eviction with another name: upstream's message" "name in URL does not match name in Eviction object" "$(jget 'd["message"]' "$T/body")"
req POST /api/v1/namespaces/default/pods/p4/eviction -H 'Content-Type: application/json' \
    -d '{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"p4"},"deleteOptions":{"dryRun":["All"]}}'
expect_eq "dry-run eviction: 201" "201" "$CODE"
expect_eq "dry-run eviction keeps the pod" "p4" "$(kcv 32 get pod p4 -o 'jsonpath={.metadata.name}' 2>&1)"
req POST /api/v1/namespaces/default/pods/p4/eviction -H 'Content-Type: application/json' \
    -d '{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"p4"},"deleteOptions":{"preconditions":{"uid":"nope"}}}'
expect_eq "eviction with a wrong uid precondition: 409" "409" "$CODE"
req POST /api/v1/namespaces/default/pods/p4/eviction -H 'Content-Type: application/json' \
    -d '{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"p4"}}'
expect_eq "eviction: 201" "201" "$CODE"
expect_eq "eviction: a Success Status" "Status Success 201" "$(jget 'd["kind"]+" "+d["status"]+" "+str(d["code"])' "$T/body")"
expect_contains "evicted pod is gone" 'pods "p4" not found' "$(kcv 32 get pod p4 2>&1)"
req POST /api/v1/namespaces/default/pods/nosuch/eviction -H 'Content-Type: application/json' \
    -d '{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"nosuch"}}'
expect_eq "eviction of a missing pod: 404" "404" "$CODE"
expect_eq "eviction of a missing pod: message" 'pods "nosuch" not found' "$(jget 'd["message"]' "$T/body")"

ensure_alive "server alive after drain/cordon"
e2e_finish
