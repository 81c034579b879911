#!/usr/bin/env bash
# End-to-end: --container-runtime crun. On a host with unified cgroup v2 a pod runs under crun
# (logs and exit code as with runc); on a hybrid cgroup host (these CI machines: crun 1.8
# refuses to create any container there) the node says so at once: `anzen serve` logs why,
# the Node is NotReady (KubeletNotReady) with that reason, and pods stay Pending, unbound —
# instead of failing every container with a StartError.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
command -v crun >/dev/null || { echo "FAIL - crun is not installed (scripts/install-deps.sh installs it)"; exit 1; }
SERVE_FLAGS="--container-runtime crun"
server_start "$T/data" || exit 1
e2e_import_test_image "$SERVER_DIR"
NODE=$(kc get nodes -o jsonpath='{.items[0].metadata.name}')
ready() { kc get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].reason}'; }
kc run c1 --image=alpine:latest --restart=Never --command -- sh -c 'echo under crun' >/dev/null
if [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ] && [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
    echo "# hybrid cgroup host: crun must be refused clearly"
    WHY='container runtime is down: OCI runtime "crun" (crun) cannot run containers on this host: its cgroups are in hybrid mode (cgroup v1 controllers with a cgroup2 hierarchy at /sys/fs/cgroup/unified), which crun does not support; use --container-runtime runc, or crun on a host with unified cgroup v2'
    expect_eq "Node NotReady, KubeletNotReady" "False KubeletNotReady" "$(ready)"
    expect_eq "the Ready condition's message says why" "$WHY" \
        "$(kc get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}')"
    expect_contains "anzen serve says so at start-up" "node agent: pods will not run on this node: $WHY" "$(cat "$T/server.log")"
    sleep 1
    expect_eq "the pod stays Pending, unbound" "Pending|" "$(kc get pod c1 -o jsonpath='{.status.phase}|{.spec.nodeName}')"
    has_msg() { [ -n "$(kc get pod c1 -o jsonpath='{.status.conditions[?(@.type=="PodScheduled")].message}')" ]; }
    wait_until 30 has_msg
    expect_eq "the scheduler's text: the not-ready taint" \
        "0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling." \
        "$(kc get pod c1 -o jsonpath='{.status.conditions[?(@.type=="PodScheduled")].message}')"
    expect_contains "kubectl describe node shows the reason" "KubeletNotReady" "$(kc describe node "$NODE" 2>&1)"
    req GET /healthz
    expect_eq "the API serves" "200 ok" "$CODE $BODY"
else
    echo "# unified cgroup v2 host: pods run under crun"
    expect_eq "Node Ready" "True KubeletReady" "$(ready)"
    expect_eq "the pod runs to completion under crun" "Succeeded" "$(e2e_pod_phase c1 default 'Succeeded|Failed' 60)"
    expect_eq "its log" "under crun" "$(kc logs c1 2>&1)"
fi
e2e_finish
