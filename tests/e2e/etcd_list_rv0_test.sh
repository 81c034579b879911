#!/bin/bash
# Lists with resourceVersion=0 on both backends (issue 13): served from the object cache with
# no consistent-read barrier, and, as upstream 1.32's cacher serves them (shouldDelegateList:
# a limit with resourceVersion "0" is not delegated; the watch cache does not page), the
# limit ignored: every item, no continue, no remainingItemCount. A list without
# resourceVersion still pages. On etcd the proof that "0" takes no barrier: with etcd down,
# lists and gets with resourceVersion=0 are still answered from the cache (the barrier, an
# etcd round trip, would fail them), while a consistent list fails with a Status.
. "$(dirname "$0")/lib.sh"
e2e_init
e2e_require_cmd etcd etcdctl

CM=/api/v1/namespaces/lab/configmaps
SEL=labelSelector=grp%3Dt # the namespace's kube-root-ca.crt comes and goes on its own
J=(-H 'Content-Type: application/json')
names() { jget '" ".join(i["metadata"]["name"] for i in d["items"])' "$1"; }

# check_lists BACKEND: the list semantics on the server SERVER_DIR/BASE name
check_lists()
{
    local be=$1 i
    req POST /api/v1/namespaces "${J[@]}" -d '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"lab"}}'
    expect_eq "$be: namespace lab created" 201 "$CODE"
    for i in 1 2 3; do
        req POST "$CM" "${J[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c'"$i"'","labels":{"grp":"t"}}}'
        expect_eq "$be: configmap c$i created" 201 "$CODE"
    done
    req GET "$CM?limit=1&resourceVersion=0&$SEL"
    expect_eq "$be: limit=1&resourceVersion=0: 200, every item (the limit ignored, as the watch cache does)" \
        "200 c1 c2 c3" "$CODE $(names "$T/body")"
    expect_eq "$be: limit=1&resourceVersion=0: no continue, no remainingItemCount" "[]" \
        "$(jget 'sorted(k for k in d["metadata"] if k in ("continue", "remainingItemCount"))' "$T/body")"
    expect_match "$be: limit=1&resourceVersion=0: the list's resourceVersion is a revision" '^[1-9][0-9]*$' \
        "$(jget 'd["metadata"]["resourceVersion"]' "$T/body")"
    req GET "$CM?limit=1&$SEL"
    expect_eq "$be: limit=1 (consistent): one item" "200 c1" "$CODE $(names "$T/body")"
    expect_eq "$be: limit=1 (consistent): a continue token" "true" \
        "$(jget 'str(bool(d["metadata"].get("continue"))).lower()' "$T/body")"
    local tok
    tok=$(jget 'd["metadata"]["continue"]' "$T/body")
    req GET "$CM?limit=5&$SEL&continue=$tok"
    expect_eq "$be: the continue token pages on" "200 c2 c3" "$CODE $(names "$T/body")"
    req GET "$CM?limit=2&resourceVersion=0&fieldSelector=metadata.name%21%3Dc1"
    expect_eq "$be: limit=2&resourceVersion=0 with a field selector: every match" "200 c2 c3" \
        "$CODE $(names "$T/body" | tr ' ' '\n' | grep '^c' | tr '\n' ' ' | sed 's/ $//')"
    # a positive resourceVersion with a limit and no resourceVersionMatch: upstream's legacy
    # Exact (delegated to the store at that revision); without a limit: NotOlderThan
    req GET "$CM?$SEL"
    local r1
    r1=$(jget 'd["metadata"]["resourceVersion"]' "$T/body")
    req PATCH "$CM/c2" -H 'Content-Type: application/merge-patch+json' -d '{"data":{"v":"new"}}'
    expect_eq "$be: c2 patched" 200 "$CODE"
    req GET "$CM?limit=5&resourceVersion=$r1&$SEL"
    expect_eq "$be: limit=5&resourceVersion=R (no match): the list at R exactly, c2 before the patch" \
        "200 $r1 None" "$CODE $(jget '"%s %s" % (d["metadata"]["resourceVersion"], [i.get("data", {}).get("v") for i in d["items"] if i["metadata"]["name"] == "c2"][0])' "$T/body")"
    req GET "$CM?resourceVersion=$r1&$SEL"
    expect_eq "$be: resourceVersion=R without a limit: not older than R, c2 patched" "200 new" \
        "$CODE $(jget '[i.get("data", {}).get("v") for i in d["items"] if i["metadata"]["name"] == "c2"][0]' "$T/body")"
    req GET "$CM?limit=1&resourceVersion=0"
    expect_eq "$be: limit=1&resourceVersion=0, no selector: no continue" "[]" \
        "$(jget 'sorted(k for k in d["metadata"] if k in ("continue", "remainingItemCount"))' "$T/body")"
}

# ---- SQLite ----
server_start "$T/sq" || exit 1
check_lists sqlite
server_stop # the etcd replicas below take SERVER_PID over: stopped here or left running

# ---- etcd ----
etcd_start 1 || exit 1
etcd_pair_setup
etcd_replica a "$PA"
SERVER_DIR=$T/a BASE=https://127.0.0.1:$PA
check_lists etcd

# etcd down: resourceVersion=0 needs no round trip
etcd_kill 1
req GET "$CM?limit=1&resourceVersion=0&$SEL"
expect_eq "etcd down: list with resourceVersion=0 still served from the cache" "200 c1 c2 c3" "$CODE $(names "$T/body")"
req GET "$CM/c2?resourceVersion=0"
expect_eq "etcd down: get with resourceVersion=0 still served from the cache" "200 c2" \
    "$CODE $(jget 'd["metadata"]["name"]' "$T/body")"
CODE=$(acurl --max-time 120 -o "$T/body" -w '%{http_code}' "$BASE$CM?limit=1&$SEL")
expect_match "etcd down: a consistent list fails (it needs etcd's revision)" '^50[34]$' "$CODE"
expect_eq "etcd down: ... with a Status" "Status Failure" "$(jget 'd["kind"] + " " + d["status"]' "$T/body")"
e2e_finish
