#!/usr/bin/env bash
# End-to-end: the in-process scheduler respects cordon and taints as upstream's
# NodeUnschedulable and TaintToleration filters do (kubectl 1.32, the embedded node agent):
#   - a cordoned node gets no new pod: it stays Pending, unbound, with PodScheduled False
#     (Unschedulable) and a FailedScheduling event carrying the scheduler's FitError text;
#   - a pod tolerating node.kubernetes.io/unschedulable:NoSchedule is scheduled anyway;
#   - uncordon: the waiting pod is bound without being touched;
#   - a NoSchedule taint: `1 node(s) had untolerated taint {key: value}`; Equal/Exists
#     tolerations let pods through; removing the taint schedules the rest.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
e2e_node_server
NODE=$(k get nodes -o jsonpath='{.items[0].metadata.name}')
node_ready() { [ "$(k get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]; }
wait_until 60 node_ready || echo "# node not Ready: $(k get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}')"

mkpod() # NAME [TOLERATIONS-JSON]
{
    printf '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s","namespace":"default"},"spec":{"terminationGracePeriodSeconds":0,"tolerations":%s,"containers":[{"name":"c","image":"alpine:latest","command":["sleep","300"]}]}}' \
        "$1" "${2:-[]}" | k create -f - >/dev/null 2>&1
}
node_of() { k get pod "$1" -o jsonpath='{.spec.nodeName}'; }
bound() { [ -n "$(node_of "$1")" ]; }
sched_msg() { k get pod "$1" -o jsonpath='{.status.conditions[?(@.type=="PodScheduled")].message}'; }
has_msg() { [ -n "$(sched_msg "$1")" ]; }
UNSCHED='0/1 nodes are available: 1 node(s) were unschedulable. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.'

# ---- cordon ------------------------------------------------------------------------------
expect_eq "cordon" "node/$NODE cordoned" "$(k cordon "$NODE" 2>&1)"
mkpod p1
wait_until 30 has_msg p1
expect_eq "cordoned: the pod is not bound" "" "$(node_of p1)"
expect_eq "cordoned: phase Pending" "Pending" "$(k get pod p1 -o jsonpath='{.status.phase}')"
expect_eq "cordoned: PodScheduled False Unschedulable" "False Unschedulable" \
    "$(k get pod p1 -o jsonpath='{.status.conditions[?(@.type=="PodScheduled")].status} {.status.conditions[?(@.type=="PodScheduled")].reason}')"
expect_eq "cordoned: the scheduler's FitError text" "$UNSCHED" "$(sched_msg p1)"
ev() { k events --for pod/p1 2>&1; }
ev_has() { ev | grep -q FailedScheduling; }
wait_until 20 ev_has
expect_contains "kubectl events: FailedScheduling from default-scheduler" "Warning   FailedScheduling   Pod/p1" "$(ev)"
expect_contains "kubectl events: the message" "$UNSCHED" "$(ev)"
expect_contains "kubectl describe pod: the event" "default-scheduler  $UNSCHED" "$(k describe pod p1 2>&1)"
expect_eq "get pods: Pending, no node" "p1 Pending <none>" \
    "$(k get pod p1 -o wide --no-headers 2>&1 | awk '{print $1, $3, $7}')"
# tolerating the unschedulable taint is enough (DaemonSet pods do this)
mkpod p2 '[{"key":"node.kubernetes.io/unschedulable","operator":"Exists","effect":"NoSchedule"}]'
wait_until 30 bound p2
expect_eq "cordoned: a pod tolerating node.kubernetes.io/unschedulable is scheduled" "$NODE" "$(node_of p2)"
expect_eq "... while the other still waits" "" "$(node_of p1)"

# ---- uncordon: the waiting pod is scheduled ---------------------------------------------------
expect_eq "uncordon" "node/$NODE uncordoned" "$(k uncordon "$NODE" 2>&1)"
wait_until 30 bound p1
expect_eq "uncordon: the pending pod is bound" "$NODE" "$(node_of p1)"
expect_eq "uncordon: PodScheduled True" "True" \
    "$(k get pod p1 -o jsonpath='{.status.conditions[?(@.type=="PodScheduled")].status}')"
expect_contains "uncordon: Scheduled event" "Successfully assigned default/p1 to $NODE" "$(k events --for pod/p1 2>&1)"

# ---- taints ---------------------------------------------------------------------------------
expect_eq "taint" "node/$NODE tainted" "$(k taint node "$NODE" dedicated=infra:NoSchedule 2>&1)"
sleep 0.5
mkpod p3
wait_until 30 has_msg p3
expect_eq "taint: untolerated taint text" \
    "0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: infra}. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling." \
    "$(sched_msg p3)"
expect_eq "taint: not bound" "" "$(node_of p3)"
mkpod p4 '[{"key":"dedicated","operator":"Equal","value":"infra","effect":"NoSchedule"}]'
mkpod p5 '[{"key":"dedicated","operator":"Equal","value":"other"}]'
mkpod p6 '[{"operator":"Exists"}]'
wait_until 30 bound p4
wait_until 30 bound p6
expect_eq "Equal toleration with the taint's value: scheduled" "$NODE" "$(node_of p4)"
expect_eq "Exists toleration without key: scheduled" "$NODE" "$(node_of p6)"
wait_until 30 has_msg p5
expect_eq "Equal toleration with another value: not scheduled" "" "$(node_of p5)"
# PreferNoSchedule never filters
k taint node "$NODE" dedicated- >/dev/null 2>&1
k taint node "$NODE" soft=yes:PreferNoSchedule >/dev/null 2>&1
wait_until 30 bound p3
wait_until 30 bound p5
expect_eq "taint removed: the waiting pods are scheduled" "$NODE $NODE" "$(node_of p3) $(node_of p5)"
mkpod p7
wait_until 30 bound p7
expect_eq "PreferNoSchedule does not filter" "$NODE" "$(node_of p7)"
k delete pods --all --grace-period=0 --force >/dev/null 2>&1

e2e_finish
