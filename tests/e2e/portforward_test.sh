#!/usr/bin/env bash
# End-to-end: `kubectl port-forward` against the real anzen binary and its node agent. kubectl
# 1.32 (and 1.27 / 1.33 where present) through SPDY/3.1 (1.31+ first try the WebSocket tunnel
# and fall back): curl through the local port gets the pod's answer, from a listener on the
# pod's own 127.0.0.1 too; a port nothing listens on gives kubelet's error text; the host's
# loopback and other pods' ports are not reachable; RBAC pods/portforward create is required.
#
# Needs the node agent to run pods (root, runc, CNI); skips with "SKIP: node agent not
# available" otherwise.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
SERVE_FLAGS=""
server_start "$T/data" || exit 1
e2e_import_test_image "$T/data"
kc apply -f "$SEED/manifests.yaml" >/dev/null 2>&1
KDIR=/usr/lib/google-cloud-sdk/bin

kc apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: lab}
spec:
  containers:
  - name: httpd
    image: alpine:latest
    command: ["sh", "-c", "mkdir -p /tmp/a /tmp/b && echo hello-from-pod >/tmp/a/index.html && echo pod-loopback-only >/tmp/b/index.html && httpd -p 8080 -h /tmp/a && httpd -f -p 127.0.0.1:8081 -h /tmp/b"]
---
apiVersion: v1
kind: Pod
metadata: {name: other, namespace: default}
spec:
  containers:
  - name: httpd
    image: alpine:latest
    command: ["sh", "-c", "mkdir -p /tmp/a && echo other-pod >/tmp/a/index.html && httpd -f -p 127.0.0.1:8082 -h /tmp/a"]
YAML
if ! e2e_pod_phase web lab Running 40 >/dev/null; then
    echo "SKIP: node agent not available (pod lab/web not Running)"
    exit 0
fi
e2e_pod_phase other default Running 40 >/dev/null

# pf KUBECTL LOCAL_PORT REMOTE [ARGS...]: starts `kubectl port-forward pod/web` in the
# background and waits for its "Forwarding from" line
pf()
{
    local k=$1 lp=$2 rp=$3
    shift 3
    # emptied here, not only by the redirect below: that one runs in the background child, and
    # on a busy machine the wait loop could otherwise read the last kubectl's "Forwarding from"
    : >"$T/pf.out"
    "$k" --kubeconfig "$KCFG" --cache-dir "$T/kcache" port-forward -n lab pod/web "$lp:$rp" "$@" >"$T/pf.out" 2>"$T/pf.err" &
    PF_PID=$!
    E2E_BG_PIDS="${E2E_BG_PIDS:-} $PF_PID"
    for _ in $(seq 1 100); do
        grep -q "Forwarding from" "$T/pf.out" 2>/dev/null && return 0
        kill -0 $PF_PID 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
pf_stop() { kill $PF_PID 2>/dev/null; wait $PF_PID 2>/dev/null; }
get() { curl -s --max-time 20 "http://127.0.0.1:$1/" 2>&1; }

LP=$(e2e_pick_port)
pf kubectl "$LP" 8080
expect_contains "port-forward: kubectl's line" "Forwarding from 127.0.0.1:$LP -> 8080" "$(cat "$T/pf.out")"
expect_eq "port-forward: curl gets the pod's answer" "hello-from-pod" "$(get "$LP")"
expect_eq "port-forward: a second connection" "hello-from-pod" "$(get "$LP")"
# several at once
pids=""
for i in 1 2 3 4; do get "$LP" >"$T/par.$i" & pids="$pids $!"; done
for p in $pids; do wait "$p"; done
expect_eq "port-forward: 4 parallel connections" "hello-from-pod hello-from-pod hello-from-pod hello-from-pod" \
    "$(cat "$T"/par.* | tr '\n' ' ' | sed 's/ $//')"
expect_contains "port-forward: kubectl logs the connections" "Handling connection for $LP" "$(cat "$T/pf.out")"
pf_stop

# a listener on the pod's own 127.0.0.1 is reachable: the connect happens in the pod's netns
LP=$(e2e_pick_port)
pf kubectl "$LP" 8081
expect_eq "port-forward: the pod's loopback listener" "pod-loopback-only" "$(get "$LP")"
pf_stop

# :REMOTE picks a free local port
: >"$T/pf.out"
kubectl --kubeconfig "$KCFG" --cache-dir "$T/kcache" port-forward -n lab pod/web :8080 >"$T/pf.out" 2>"$T/pf.err" &
PF_PID=$!; E2E_BG_PIDS="${E2E_BG_PIDS:-} $PF_PID"
for _ in $(seq 1 100); do grep -q "Forwarding from" "$T/pf.out" && break; sleep 0.1; done
LP=$(sed -n 's/^Forwarding from 127.0.0.1:\([0-9]*\) -> 8080$/\1/p' "$T/pf.out" | head -1)
expect_match "port-forward :8080: a local port chosen" '^[0-9]+$' "$LP"
expect_eq "port-forward :8080: the pod's answer" "hello-from-pod" "$(get "${LP:-1}")"
pf_stop

# nothing listens: kubelet's error, kubectl's wording around it; the host's loopback is not
# the pod's: a host listener on the same port is not reached
HP=$(e2e_pick_port)
"$PY" -m http.server "$HP" --bind 127.0.0.1 --directory "$T" >/dev/null 2>&1 &
HOST_PID=$!; E2E_BG_PIDS="${E2E_BG_PIDS:-} $HOST_PID"
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$HP/" && break; sleep 0.1; done
LP=$(e2e_pick_port)
pf kubectl "$LP" "$HP"
out=$(get "$LP")
expect_not_contains "host loopback listener not reachable from the pod" "Directory listing" "$out"
for _ in $(seq 1 50); do grep -q "error forwarding port" "$T/pf.err" && break; sleep 0.1; done
UID_WEB=$(kc get pod web -n lab -o jsonpath='{.metadata.uid}')
# (klog quotes the message: its inner quotes appear as \")
expect_contains "port-forward to a closed port: kubelet's error" \
    "an error occurred forwarding $LP -> $HP: error forwarding port $HP to pod $UID_WEB, uid : failed to connect to localhost:$HP inside namespace \\\"$UID_WEB\\\", IPv4: dial tcp4 127.0.0.1:$HP: connect: connection refused IPv6 dial tcp6 [::1]:$HP: connect: " \
    "$(cat "$T/pf.err")"
for _ in $(seq 1 50); do kill -0 $PF_PID 2>/dev/null || break; sleep 0.1; done
expect_contains "port-forward to a closed port: kubectl 1.32 gives up as upstream" "error: lost connection to pod" "$(cat "$T/pf.err")"
pf_stop
kill $HOST_PID 2>/dev/null

# another pod's loopback listener (default/other :8082) is not reachable through lab/web
LP=$(e2e_pick_port)
pf kubectl "$LP" 8082
out=$(get "$LP")
expect_not_contains "another pod's listener not reachable" "other-pod" "$out"
pf_stop

# the helper threads' setns never leaks: every thread of anzen is in the host's network namespace
host_ns=$(readlink /proc/$SERVER_PID/ns/net)
expect_eq "anzen's threads all in the host's netns after forwarding" "$host_ns" \
    "$(for t in /proc/$SERVER_PID/task/*; do readlink "$t/ns/net"; done | sort -u | tr '\n' ' ' | sed 's/ $//')"

# ---- other kubectl versions (SPDY only before 1.31) -------------------------------------------
for minor in 27 33; do
    K="$KDIR/kubectl.1.$minor"
    [ -x "$K" ] || { e2e_fail "kubectl 1.$minor present" "$K" "missing"; continue; }
    LP=$(e2e_pick_port)
    pf "$K" "$LP" 8080
    expect_eq "kubectl 1.$minor port-forward: the pod's answer" "hello-from-pod" "$(get "$LP")"
    pf_stop
done

# ---- the wire: a non-upgrade request, the WebSocket attempt -------------------------------------
req POST "/api/v1/namespaces/lab/pods/web/portforward"
expect_eq "plain POST portforward: 400" 400 "$CODE"
expect_eq "plain POST portforward: message" "Upgrade request required" "$(jget 'd["message"]' "$T/body")"

# ---- RBAC: runner has no pods/portforward -----------------------------------------------------
RUNNER=$(kc create token runner -n lab)
LP=$(e2e_pick_port)
out=$(timeout 60 kubectl --kubeconfig /dev/null --server "$BASE" --certificate-authority "$SERVER_DIR/pki/ca.crt" \
    --token "$RUNNER" port-forward -n lab pod/web "$LP:8080" 2>&1); rc=$?
expect_ne "runner: port-forward refused" 0 "$rc"
expect_contains "runner: upstream's 403" \
    'pods "web" is forbidden: User "system:serviceaccount:lab:runner" cannot create resource "pods/portforward" in API group "" in the namespace "lab"' "$out"

e2e_finish
