#!/bin/bash
# Re-list after compaction: replica B's etcd watch is cut off and etcd compacted past the
# revision B had reached; B re-lists the keyspace at the current revision, brings its object
# cache (and the RBAC index and watchers fed from it) in line and resumes watching from there.
. "$(dirname "$0")/lib.sh"
e2e_init

etcd_start 1 || exit 1
etcd_pair
bcurl() { curl -s --max-time 30 --cacert "$DB/pki/ca.crt" -H "Authorization: Bearer $1" -o "$T/bbody" -w '%{http_code}' "https://127.0.0.1:$PB$2"; }

ka create namespace lab >/dev/null
ka create configmap old -n lab --from-literal=k=v0 >/dev/null
ka create configmap keep -n lab --from-literal=k=v0 >/dev/null
ka create serviceaccount runner -n lab >/dev/null
TOKEN=$(ka create token runner -n lab)
expect_eq "B sees A's configmap before the cut" "v0" "$(kb get cm old -n lab -o jsonpath='{.data.k}')"
expect_eq "before the binding: 403 through B" "403" "$(bcurl "$TOKEN" /api/v1/namespaces/lab/configmaps)"
kb get cm -n lab -w --output-watch-events >"$T/watch.out" 2>&1 &
WPID=$!
E2E_BG_PIDS="$E2E_BG_PIDS $WPID"
wait_until 20 grep -q "keep" "$T/watch.out"

# ---- cut B's watch off: stop B, restart etcd (B's stream dies), write through A, compact ----
kill -STOP "$BPID"
etcd_restart 1
wait_until 30 sh -c "ETCDCTL_API=3 etcdctl --endpoints '$ETCD_ENDPOINTS' --command-timeout=2s put /e2e-probe ok >/dev/null 2>&1"
wait_until 30 sh -c "kubectl --kubeconfig '$KA' --cache-dir '$T/kca' create configmap new -n lab --from-literal=k=v1 >/dev/null 2>&1"
ka delete configmap old -n lab >/dev/null
ka patch configmap keep -n lab -p '{"data":{"k":"v2"}}' >/dev/null
ka create role cm-reader -n lab --verb=get,list --resource=configmaps >/dev/null
ka create rolebinding cm-reader -n lab --role=cm-reader --serviceaccount=lab:runner >/dev/null
REV=$(ectl get /e2e-probe -w json | jget 'str(d["header"]["revision"])')
expect_contains "etcd compacted beyond B's revision" "compacted revision $REV" "$(ectl compact "$REV" 2>&1)"
kill -CONT "$BPID"

# ---- B re-lists and serves A's writes and deletes --------------------------------------------
expect_eq "B: get sees the configmap created during the cut" "v1" "$(kb get cm new -n lab -o jsonpath='{.data.k}')"
expect_eq "B: get sees the update made during the cut" "v2" "$(kb get cm keep -n lab -o jsonpath='{.data.k}')"
expect_contains "B: get of the configmap deleted during the cut is NotFound" "NotFound" "$(kb get cm old -n lab 2>&1)"
expect_eq "B: list shows exactly A's configmaps" "configmap/keep configmap/kube-root-ca.crt configmap/new" \
    "$(kb get cm -n lab -o name | sort | tr '\n' ' ' | sed 's/ $//')"
expect_eq "B: the RoleBinding created during the cut authorizes" "200" "$(bcurl "$TOKEN" /api/v1/namespaces/lab/configmaps)"
expect_contains "B logged the re-list" "re-listed" "$(cat "$T/b.log")"
wait_until 20 grep -q "DELETED.*old" "$T/watch.out"
expect_match "B's open watch gets the created configmap as ADDED" "ADDED +new" "$(cat "$T/watch.out")"
expect_match "B's open watch gets the update as MODIFIED" "MODIFIED +keep" "$(cat "$T/watch.out")"
expect_match "B's open watch gets the deleted configmap as DELETED" "DELETED +old" "$(cat "$T/watch.out")"

# ---- and resumes watching from the re-list's revision ---------------------------------------
ka create configmap after -n lab --from-literal=k=v3 >/dev/null
expect_eq "B: a write after the re-list is seen" "v3" "$(kb get cm after -n lab -o jsonpath='{.data.k}')"
wait_until 20 grep -q "ADDED.*after" "$T/watch.out"
expect_match "B's open watch sees writes after the re-list" "ADDED +after" "$(cat "$T/watch.out")"
e2e_finish
