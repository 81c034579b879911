#!/usr/bin/env bash
# End-to-end: the Node authorizer, NodeRestriction and pods/binding over HTTP, on a --no-node
# server. The admin impersonates a node (system:node:n1 in system:nodes) and the scheduler
# (system:kube-scheduler), so the requests run through the authorizer chain (Node, RBAC)
# and the admission chain exactly as the in-process node agent's and scheduler's do: a node
# reads the Secret of a pod bound to it, not one of a pod bound to another node, creates
# tokens only for its pods' service accounts, updates only its own pods' status and its own
# Node; the scheduler binds through pods/binding and may not update pods.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
server_start "$T/data" || exit 1
N1=(--as=system:node:n1 --as-group=system:nodes)
SCHED=(--as=system:kube-scheduler)

kc create namespace lab >/dev/null 2>&1
kc -n lab create secret generic mine --from-literal=k=v >/dev/null 2>&1
kc -n lab create secret generic theirs --from-literal=k=v >/dev/null 2>&1
kc -n lab create serviceaccount builder >/dev/null 2>&1
mkpod()
{ # name node sa secret
    printf '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s","namespace":"lab"},"spec":{%s"serviceAccountName":"%s","automountServiceAccountToken":false,"containers":[{"name":"c","image":"busybox"}],"volumes":[{"name":"s","secret":{"secretName":"%s"}}]}}' \
        "$1" "${2:+\"nodeName\":\"$2\",}" "$3" "$4" >"$T/$1.json"
    kc create -f "$T/$1.json" 2>&1
}
expect_eq "pod on n1" "pod/p1 created" "$(mkpod p1 n1 builder mine)"
expect_eq "pod on n2" "pod/p2 created" "$(mkpod p2 n2 default theirs)"
expect_eq "unscheduled pod" "pod/u created" "$(mkpod u "" default mine)"

# --- Node authorizer
expect_eq "n1 reads the Secret of its pod" "mine" "$(kc "${N1[@]}" -n lab get secret mine -o 'jsonpath={.metadata.name}' 2>&1)"
expect_eq "n1 may not read the Secret of a pod on n2" \
    'Error from server (Forbidden): secrets "theirs" is forbidden: User "system:node:n1" cannot get resource "secrets" in API group "" in the namespace "lab": no relationship found between node '"'n1'"' and this object' \
    "$(kc "${N1[@]}" -n lab get secret theirs 2>&1)"
expect_eq "n1 may not list Secrets" \
    'Error from server (Forbidden): secrets is forbidden: User "system:node:n1" cannot list resource "secrets" in API group "" in the namespace "lab": No Object name found' \
    "$(kc "${N1[@]}" -n lab get secrets 2>&1)"
expect_eq "n1 may not write Secrets" \
    'error: failed to create secret secrets is forbidden: User "system:node:n1" cannot create resource "secrets" in API group "" in the namespace "lab": can only read resources of this type' \
    "$(kc "${N1[@]}" -n lab create secret generic x --from-literal=a=b 2>&1)"
expect_match "n1 creates a token for its pod's service account" '^eyJ' \
    "$(kc "${N1[@]}" -n lab create token builder 2>&1)"
expect_eq "n1 may not create a token for another service account" \
    'error: failed to create token: serviceaccounts "default" is forbidden: User "system:node:n1" cannot create resource "serviceaccounts/token" in API group "" in the namespace "lab": no relationship found between node '"'n1'"' and this object' \
    "$(kc "${N1[@]}" -n lab create token default 2>&1)"
expect_eq "n1 may not get service accounts" \
    'Error from server (Forbidden): serviceaccounts "builder" is forbidden: User "system:node:n1" cannot get resource "serviceaccounts" in API group "" in the namespace "lab": can only create tokens for individual service accounts' \
    "$(kc "${N1[@]}" -n lab get serviceaccount builder 2>&1)"
expect_eq "n1 reads pods cluster-wide (the node rules)" "p1 p2 u" \
    "$(kc "${N1[@]}" get pods -A -o 'jsonpath={.items[*].metadata.name}' 2>&1)"
expect_eq "n1 may not delete a namespace" \
    'Error from server (Forbidden): namespaces "lab" is forbidden: User "system:node:n1" cannot delete resource "namespaces" in API group "" in the namespace "lab"' \
    "$(kc "${N1[@]}" delete namespace lab 2>&1)"

# --- NodeRestriction: authorized by the node rules, refused by admission (PATCH straight
# away: kubectl patch GETs pods/status first, which the node rules do not grant)
node_patch_status()
{
    req PATCH "/api/v1/namespaces/lab/pods/$1/status" -H 'Content-Type: application/merge-patch+json' \
        -H 'Impersonate-User: system:node:n1' -H 'Impersonate-Group: system:nodes' \
        --data-binary '{"status":{"message":"hi"}}'
}
node_patch_status p1
expect_eq "n1 updates the status of its pod: 200" 200 "$CODE"
expect_eq "n1 updates the status of its pod: the message" "hi" "$(jget 'd["status"]["message"]' "$T/body")"
node_patch_status p2
expect_eq "n1 may not update the status of a pod on n2: 403" 403 "$CODE"
expect_eq "n1 may not update the status of a pod on n2: the message" \
    'pods "p2" is forbidden: node "n1" can only update pod status for pods with spec.nodeName set to itself' \
    "$(jget 'd["message"]' "$T/body")"
printf '{"apiVersion":"v1","kind":"Node","metadata":{"name":"n2"}}' >"$T/n2.json"
expect_eq "n1 may not create Node n2" \
    'Error from server (Forbidden): error when creating "'"$T/n2.json"'": nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"' \
    "$(kc "${N1[@]}" create -f "$T/n2.json" 2>&1)"
printf '{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"}}' >"$T/n1.json"
expect_eq "n1 creates its own Node" "node/n1 created" "$(kc "${N1[@]}" create -f "$T/n1.json" 2>&1)"

# --- the scheduler binds through pods/binding
printf '{"apiVersion":"v1","kind":"Binding","metadata":{"name":"u","namespace":"lab"},"target":{"apiVersion":"v1","kind":"Node","name":"n1"}}' >"$T/binding.json"
req POST /api/v1/namespaces/lab/pods/u/binding -H 'Content-Type: application/json' \
    -H 'Impersonate-User: system:kube-scheduler' --data-binary @"$T/binding.json"
expect_eq "binding as the scheduler: 201" 201 "$CODE"
expect_eq "binding answers a Success Status" "Success" "$(jget 'd["status"]' "$T/body")"
expect_eq "the pod is bound" "n1" "$(kc -n lab get pod u -o 'jsonpath={.spec.nodeName}')"
expect_eq "PodScheduled is True" "True" \
    "$(kc -n lab get pod u -o 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].status}')"
req POST /api/v1/namespaces/lab/pods/u/binding -H 'Content-Type: application/json' \
    -H 'Impersonate-User: system:kube-scheduler' --data-binary @"$T/binding.json"
expect_eq "binding a bound pod: 409" 409 "$CODE"
expect_eq "binding a bound pod: the conflict message" \
    'Operation cannot be fulfilled on pods/binding "u": pod u is already assigned to node "n1"' "$(jget 'd["message"]' "$T/body")"
expect_eq "the scheduler may not update pods" \
    'Error from server (Forbidden): pods "p1" is forbidden: User "system:kube-scheduler" cannot patch resource "pods" in API group "" in the namespace "lab"' \
    "$(kc "${SCHED[@]}" -n lab label pod p1 a=b 2>&1)"
# the node may read the Secret of the pod bound to it now
expect_eq "n1 reads the Secret of the pod just bound to it" "mine" \
    "$(kc "${N1[@]}" -n lab get secret mine -o 'jsonpath={.metadata.name}' 2>&1)"
e2e_finish
