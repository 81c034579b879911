#!/bin/bash
# Leader election of the in-process controllers: two replicas on one etcd, a
# coordination.k8s.io/v1 Lease kube-system/kube-controller-manager held by one of them; only
# the holder runs the controllers; killing it moves the Lease (and the controllers) to the
# other within the lease duration. Durations shortened by flag (3s/2s/500ms).
. "$(dirname "$0")/lib.sh"
e2e_init

etcd_start 1 || exit 1
etcd_pair_setup
LFLAGS="--leader-elect-lease-duration 3s --leader-elect-renew-deadline 2s --leader-elect-retry-period 500ms"
# the namespaces below show which replica runs the controllers; upstream's 5 s grace before a
# deleted namespace's content is removed is not what they test (client_parity_test does)
LFLAGS="$LFLAGS --testing-namespace-deletion-grace 1"
# shellcheck disable=SC2086
etcd_replica a "$PA" $LFLAGS
APID=$REPLICA_PID
wait_until 30 grep -q "acquired lease" "$T/a.log"
HOLDER_A=$(ka get lease kube-controller-manager -n kube-system -o jsonpath='{.spec.holderIdentity}')
expect_match "first replica holds the Lease (hostname_uuid)" "^$(hostname)_[0-9a-f-]{36}$" "$HOLDER_A"
expect_eq "Lease records the flag's duration" "3" \
    "$(ka get lease kube-controller-manager -n kube-system -o jsonpath='{.spec.leaseDurationSeconds}')"

# shellcheck disable=SC2086
etcd_replica b "$PB" $LFLAGS
BPID=$REPLICA_PID

# B waits as a candidate for a few retry periods while A renews
RT0=$(ka get lease kube-controller-manager -n kube-system -o jsonpath='{.spec.renewTime}')
wait_until 30 sh -c "[ \"\$(kubectl --kubeconfig '$KA' --cache-dir '$T/kca' get lease kube-controller-manager -n kube-system -o jsonpath='{.spec.renewTime}')\" != '$RT0' ]"
expect_eq "A renews and keeps the Lease while B runs" "$HOLDER_A" \
    "$(kb get lease kube-controller-manager -n kube-system -o jsonpath='{.spec.holderIdentity}')"
expect_eq "B has not acquired" "" "$(grep -c 'acquired lease' "$T/b.log" | grep -v '^0$')"

# controllers work (on A): a namespace deleted through B is finalized and disappears
kb create namespace gone1 >/dev/null
kb delete namespace gone1 --wait=false >/dev/null
wait_until 30 sh -c "! kubectl --kubeconfig '$KB' --cache-dir '$T/kcb' get ns gone1 >/dev/null 2>&1"
expect_contains "namespace controller (leader A) finalizes a namespace deleted through B" "NotFound" "$(kb get ns gone1 2>&1)"

# kill the leader: B takes the Lease and runs the controllers
TRANS0=$(kb get lease kube-controller-manager -n kube-system -o jsonpath='{.spec.leaseTransitions}')
kill -KILL "$APID"
wait "$APID" 2>/dev/null
START=$(date +%s%N)
wait_until 60 grep -q "acquired lease" "$T/b.log"
END=$(date +%s%N)
echo "# B acquired $(( (END - START) / 1000000 )) ms after A was killed (lease duration 3000 ms)"
HOLDER_B=$(kb get lease kube-controller-manager -n kube-system -o jsonpath='{.spec.holderIdentity}')
expect_match "B holds the Lease after the leader died" "^$(hostname)_[0-9a-f-]{36}$" "$HOLDER_B"
expect_ne "the holder changed" "$HOLDER_A" "$HOLDER_B"
expect_eq "leaseTransitions incremented" "$((TRANS0 + 1))" \
    "$(kb get lease kube-controller-manager -n kube-system -o jsonpath='{.spec.leaseTransitions}')"
kb create namespace gone2 >/dev/null
kb delete namespace gone2 --wait=false >/dev/null
wait_until 30 sh -c "! kubectl --kubeconfig '$KB' --cache-dir '$T/kcb' get ns gone2 >/dev/null 2>&1"
expect_contains "controllers run on B now: namespace finalized" "NotFound" "$(kb get ns gone2 2>&1)"

# etcd gone for longer than the renew deadline: B loses the Lease and stops its controllers;
# when etcd returns, B (the only replica) acquires again and the controllers act again
etcd_kill 1
wait_until 60 grep -q "leaderelection lost" "$T/b.log"
expect_contains "B reports the lost Lease while etcd is down" "leaderelection lost" "$(grep leaderelection "$T/b.log")"
expect_eq "B stays up without etcd" "ok" "$(curl -s --max-time 10 --cacert "$DB/pki/ca.crt" "https://127.0.0.1:$PB/livez")"
etcd_restart 1
wait_until 60 sh -c "[ \$(grep -c 'acquired lease' '$T/b.log') -ge 2 ]"
expect_eq "B acquires the Lease again when etcd returns" "2" "$(grep -c 'acquired lease' "$T/b.log")"
wait_until 60 sh -c "kubectl --kubeconfig '$KB' --cache-dir '$T/kcb' create namespace gone3 >/dev/null 2>&1"
kb delete namespace gone3 --wait=false >/dev/null
wait_until 30 sh -c "! kubectl --kubeconfig '$KB' --cache-dir '$T/kcb' get ns gone3 >/dev/null 2>&1"
expect_contains "controllers act again after re-acquiring" "NotFound" "$(kb get ns gone3 2>&1)"

# graceful shutdown releases the Lease
kill -TERM "$BPID"
wait "$BPID" 2>/dev/null
expect_eq "SIGTERM releases the Lease (holder empty)" "" \
    "$(ETCDCTL_API=3 etcdctl --endpoints "$ETCD_ENDPOINTS" get /registry/leases/kube-system/kube-controller-manager --print-value-only | jget 'd["spec"].get("holderIdentity","")')"

e2e_finish
