#!/bin/bash
# Every kube-controller-manager controller behind the Lease: with two replicas on one etcd,
# only the holder runs the ServiceAccount, root-CA publisher, token Secret and ClusterRole
# aggregation controllers (each object is written once, by the holder); a replica that takes
# the Lease resyncs, so what was created while nobody led is handled after the takeover.
# Durations shortened by flag (3s/2s/500ms).
. "$(dirname "$0")/lib.sh"
e2e_init

etcd_start 1 || exit 1
etcd_pair_setup
LFLAGS="--leader-elect-lease-duration 3s --leader-elect-renew-deadline 2s --leader-elect-retry-period 500ms"
# shellcheck disable=SC2086
etcd_replica a "$PA" $LFLAGS -v 3
APID=$REPLICA_PID
wait_until 30 grep -q "acquired lease" "$T/a.log"
# shellcheck disable=SC2086
etcd_replica b "$PB" $LFLAGS -v 3
BPID=$REPLICA_PID
HOLDER_A=$(kb get lease kube-controller-manager -n kube-system -o jsonpath='{.spec.holderIdentity}')
expect_eq "B has not acquired (A holds the Lease)" "0" "$(grep -c 'acquired lease' "$T/b.log")"

# etcd_version KEY: how many times the key was written since it was created (etcd kv version)
etcd_version() { ectl get "$1" -w json | jget 'str(d["kvs"][0].get("version", 0)) if d.get("kvs") else "absent"'; }
# holder_when KEY FIELD: the Lease's holder at the revision the key was created (FIELD
# create_revision) or last written (mod_revision): who led when a controller wrote it
holder_when()
{
    local rev
    rev=$(ectl get "$1" -w json | jget "str(d['kvs'][0]['$2'])")
    ectl get /registry/leases/kube-system/kube-controller-manager --rev "$rev" --print-value-only | jget 'd["spec"]["holderIdentity"]'
}

# ---- while A leads: a namespace created through B gets its SA and ConfigMap once ------------
kb create namespace n1 >/dev/null
wait_until 30 sh -c "kubectl --kubeconfig '$KB' --cache-dir '$T/kcb' get sa default -n n1 >/dev/null 2>&1 && kubectl --kubeconfig '$KB' --cache-dir '$T/kcb' get cm kube-root-ca.crt -n n1 >/dev/null 2>&1"
expect_eq "default SA in n1 (made by the leader A)" "default" "$(kb get sa default -n n1 -o jsonpath='{.metadata.name}')"
expect_contains "kube-root-ca.crt in n1 holds the CA" "BEGIN CERTIFICATE" "$(kb get cm kube-root-ca.crt -n n1 -o jsonpath='{.data.ca\.crt}')"
# a resync or a late duplicate from B would show up as a second write or a conflict
sleep 2
expect_eq "the SA was written once (etcd version 1)" "1" "$(etcd_version /registry/serviceaccounts/n1/default)"
expect_eq "the ConfigMap was written once (etcd version 1)" "1" "$(etcd_version /registry/configmaps/n1/kube-root-ca.crt)"
expect_eq "B wrote nothing for its controllers (no create/update in its log)" "" \
    "$(grep -E 'serviceaccount controller|root-ca-cert-publisher|token controller|clusterrole aggregation' "$T/b.log")"

# token Secret: filled by the leader (one create by us, one fill)
kb create serviceaccount robot -n n1 >/dev/null
kb apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Secret
metadata: {name: robot-token, namespace: n1, annotations: {kubernetes.io/service-account.name: robot}}
type: kubernetes.io/service-account-token
EOF
wait_until 30 sh -c "[ -n \"\$(kubectl --kubeconfig '$KB' --cache-dir '$T/kcb' get secret robot-token -n n1 -o jsonpath='{.data.token}')\" ]"
expect_ne "the leader filled the token Secret" "" "$(kb get secret robot-token -n n1 -o jsonpath='{.data.token}')"
sleep 1
expect_eq "the token Secret was written twice: our create, one fill" "2" "$(etcd_version /registry/secrets/n1/robot-token)"

# ClusterRole aggregation: one update by the leader
kb apply -f - >/dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: e2e-agg}
aggregationRule: {clusterRoleSelectors: [{matchLabels: {e2e-agg: "true"}}]}
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: e2e-agg-part, labels: {e2e-agg: "true"}}
rules: [{apiGroups: [""], resources: [configmaps], verbs: [get]}]
EOF
wait_until 30 sh -c "kubectl --kubeconfig '$KB' --cache-dir '$T/kcb' get clusterrole e2e-agg -o jsonpath='{.rules}' | grep -q configmaps"
expect_contains "the leader aggregated e2e-agg" "configmaps" "$(kb get clusterrole e2e-agg -o jsonpath='{.rules}')"
sleep 1
expect_eq "e2e-agg was written twice: our create, one aggregation" "2" "$(etcd_version /registry/clusterroles/e2e-agg)"

# an owner and its dependent (garbage collector input for later)
kb create configmap owner -n n1 >/dev/null
OUID=$(kb get cm owner -n n1 -o jsonpath='{.metadata.uid}')
kb apply -f - >/dev/null <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: dependent
  namespace: n1
  ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: owner, uid: "$OUID"}]
EOF

# ---- A dies: what is created before B takes the Lease is handled after the takeover ---------
kill -KILL "$APID"
wait "$APID" 2>/dev/null
START=$(date +%s%N)
kb delete configmap owner -n n1 >/dev/null   # its DELETED event reaches no leader
kb create namespace gap >/dev/null
kb create serviceaccount gap-robot -n gap >/dev/null
kb apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Secret
metadata: {name: gap-token, namespace: gap, annotations: {kubernetes.io/service-account.name: gap-robot}}
type: kubernetes.io/service-account-token
EOF
# the Lease as it was when "gap" was created: still A's (nobody live led then)
GAPREV=$(ectl get /registry/namespaces/gap -w json | jget 'str(d["kvs"][0]["mod_revision"])')
expect_eq "gap was created while the dead A still held the Lease" "$HOLDER_A" \
    "$(ectl get /registry/leases/kube-system/kube-controller-manager --rev "$GAPREV" --print-value-only | jget 'd["spec"]["holderIdentity"]')"
wait_until 60 grep -q "acquired lease" "$T/b.log"
END=$(date +%s%N)
echo "# B acquired $(( (END - START) / 1000000 )) ms after A was killed (lease duration 3000 ms)"
expect_contains "B takes the Lease" "successfully acquired lease" "$(cat "$T/b.log")"
wait_until 30 sh -c "kubectl --kubeconfig '$KB' --cache-dir '$T/kcb' get sa default -n gap >/dev/null 2>&1 && kubectl --kubeconfig '$KB' --cache-dir '$T/kcb' get cm kube-root-ca.crt -n gap >/dev/null 2>&1"
expect_eq "resync after takeover: default SA in gap" "default" "$(kb get sa default -n gap -o jsonpath='{.metadata.name}')"
expect_contains "resync after takeover: kube-root-ca.crt in gap" "BEGIN CERTIFICATE" "$(kb get cm kube-root-ca.crt -n gap -o jsonpath='{.data.ca\.crt}')"
wait_until 30 sh -c "[ -n \"\$(kubectl --kubeconfig '$KB' --cache-dir '$T/kcb' get secret gap-token -n gap -o jsonpath='{.data.token}')\" ]"
expect_ne "resync after takeover: gap-token filled" "" "$(kb get secret gap-token -n gap -o jsonpath='{.data.token}')"
# had B acted as a follower, these would have been written at once, while the dead A held it
HOLDER_B=$(kb get lease kube-controller-manager -n kube-system -o jsonpath='{.spec.holderIdentity}')
expect_eq "gap's default SA was created by the new holder B, not while B followed" "$HOLDER_B" \
    "$(holder_when /registry/serviceaccounts/gap/default create_revision)"
expect_eq "gap's kube-root-ca.crt was created by the new holder B" "$HOLDER_B" \
    "$(holder_when /registry/configmaps/gap/kube-root-ca.crt create_revision)"
expect_eq "gap-token was filled by the new holder B" "$HOLDER_B" "$(holder_when /registry/secrets/gap/gap-token mod_revision)"
wait_until 30 sh -c "! kubectl --kubeconfig '$KB' --cache-dir '$T/kcb' get cm dependent -n n1 >/dev/null 2>&1"
expect_contains "resync after takeover: the garbage collector deletes the dependent of the owner deleted meanwhile" \
    "NotFound" "$(kb get cm dependent -n n1 2>&1)"

# ---- and B's controllers follow events from now on ----------------------------------------
kb create namespace n2 >/dev/null
wait_until 30 sh -c "kubectl --kubeconfig '$KB' --cache-dir '$T/kcb' get sa default -n n2 >/dev/null 2>&1 && kubectl --kubeconfig '$KB' --cache-dir '$T/kcb' get cm kube-root-ca.crt -n n2 >/dev/null 2>&1"
expect_eq "namespace after the takeover: default SA (B)" "default" "$(kb get sa default -n n2 -o jsonpath='{.metadata.name}')"
expect_eq "namespace after the takeover: kube-root-ca.crt (B)" "kube-root-ca.crt" "$(kb get cm kube-root-ca.crt -n n2 -o jsonpath='{.metadata.name}')"
kb delete sa default -n n2 >/dev/null
wait_until 30 sh -c "kubectl --kubeconfig '$KB' --cache-dir '$T/kcb' get sa default -n n2 >/dev/null 2>&1"
expect_eq "B re-creates a deleted default SA" "default" "$(kb get sa default -n n2 -o jsonpath='{.metadata.name}')"
expect_eq "n1's SA untouched by B's resync (still version 1)" "1" "$(etcd_version /registry/serviceaccounts/n1/default)"

kill -TERM "$BPID"
wait "$BPID" 2>/dev/null
e2e_finish
