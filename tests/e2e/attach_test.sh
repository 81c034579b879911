#!/usr/bin/env bash
# End-to-end: `kubectl attach` (-i, -t, -c) and `kubectl run -i/-it --rm` against the real anzen
# binary and its node agent (kubectl 1.32, WebSocket v5.channel.k8s.io): live output of the
# container's main process, stdin kept open for `stdin: true` containers (and closed after
# the first session with stdinOnce), a terminal for `tty: true`, kubectl's and upstream's
# errors, and RBAC pods/attach.
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
KT() { timeout 60 kubectl --kubeconfig "$KCFG" --cache-dir "$T/kcache" "$@"; }

# a container printing a line per 0.2 s; one reading its stdin; one with a terminal
kc apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: ticker, namespace: lab}
spec:
  containers:
  - name: main
    image: alpine:latest
    command: ["sh", "-c", "i=0; while true; do i=$((i+1)); echo tick $i; echo err $i >&2; sleep 0.2; done"]
  - name: side
    image: alpine:latest
    command: ["sleep", "3600"]
---
apiVersion: v1
kind: Pod
metadata: {name: reader, namespace: lab}
spec:
  containers:
  - name: main
    image: alpine:latest
    stdin: true
    command: ["sh", "-c", "while read l; do echo got $l; done; echo stdin-closed"]
---
apiVersion: v1
kind: Pod
metadata: {name: term, namespace: lab}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: alpine:latest
    stdin: true
    tty: true
    command: ["sh"]
YAML
if ! e2e_pod_phase ticker lab Running 40 >/dev/null; then
    echo "SKIP: node agent not available (pod lab/ticker not Running)"
    exit 0
fi
e2e_pod_phase reader lab Running 40 >/dev/null
e2e_pod_phase term lab Running 40 >/dev/null

# attach_ticker KUBECTL [ARGS...]: `KUBECTL attach -n lab ticker -c main ARGS...` (stdin: the
# caller's) into $T/out and $T/err until it has shown 4 tick lines and an err line (60 s safety
# net), then ^C, as a user would. Run as a plain background command, so $! is timeout(1), which
# passes the ^C on to kubectl.
ticked() { [ "$(grep -c '^tick [0-9]*$' "$T/out")" -ge 4 ] && grep -q '^err ' "$T/out" "$T/err"; }
attach_ticker()
{
    local k=$1 pid
    shift
    : >"$T/out" # here too: the redirect below runs in the background child, after ticked may look
    : >"$T/err"
    timeout 60 "$k" --kubeconfig "$KCFG" --cache-dir "$T/kcache" attach -n lab ticker -c main "$@" \
        <&0 >"$T/out" 2>"$T/err" &
    pid=$!
    wait_until 60 ticked
    bg_kill INT "$pid"
}

# ---- live output: attach sees lines written after it attached, then ^C ends it -----------------
for _ in $(seq 1 100); do kc logs -n lab ticker -c main 2>/dev/null | grep -q '^tick 3$' && break; sleep 0.2; done
attach_ticker kubectl </dev/null
n=$(grep -c '^tick [0-9]*$' "$T/out")
expect_gt "attach: live output lines" "$n" 3
expect_contains "attach: stderr lines too" "err" "$(cat "$T/out" "$T/err")"
first=$(head -1 "$T/out" | awk '{print $2}')
expect_gt "attach: output starts after attaching, not from the log's start" "${first:-0}" 3
expect_eq "pod keeps running after the client left" Running "$(kc get pod ticker -n lab -o jsonpath='{.status.phase}')"

# kubectl 1.33 speaks the same WebSocket protocol
K133=/usr/lib/google-cloud-sdk/bin/kubectl.1.33
if [ -x "$K133" ]; then
    attach_ticker "$K133" </dev/null
    expect_gt "kubectl 1.33 attach: live output lines" "$(grep -c '^tick [0-9]*$' "$T/out")" 3
fi

# the default container is the first; -c picks another; unknown -c: kubectl's own error
out=$(KT attach -n lab ticker -c nope 2>&1); rc=$?
expect_ne "attach -c nope: fails" 0 "$rc"
expect_contains "attach -c nope: kubectl's message" "container nope not found in pod ticker" "$out"

# ---- -i to a container without stdin: output only, the input is dropped (as containerd) -------
attach_ticker kubectl -i < <(echo ignored)
expect_gt "attach -i, no stdin in the container: output still streams" "$(grep -c '^tick [0-9]*$' "$T/out")" 3
expect_eq "attach -i, no stdin in the container: the pod goes on" Running "$(kc get pod ticker -n lab -o jsonpath='{.status.phase}')"

# ---- stdin: true: input reaches the main process; the container keeps its stdin after --------
# started as a plain command, not through KT or a pipeline: then $! is timeout(1) itself, which
# passes the ^C below on to kubectl (a backgrounded function's subshell would hold it until
# kubectl's 60 s timeout)
: >"$T/out"
timeout 60 kubectl --kubeconfig "$KCFG" --cache-dir "$T/kcache" attach -i -n lab reader \
    < <(printf 'one\ntwo\n') >"$T/out" 2>"$T/err" &
apid=$!
for _ in $(seq 1 50); do grep -q "got two" "$T/out" 2>/dev/null && break; sleep 0.2; done
expect_contains "attach -i: stdin reaches the process" "got one" "$(cat "$T/out")"
expect_contains "attach -i: second line" "got two" "$(cat "$T/out")"
bg_kill INT "$apid"
printf 'three\n' | timeout -s INT 4 kubectl --kubeconfig "$KCFG" --cache-dir "$T/kcache" attach -i -n lab reader >"$T/out" 2>&1
expect_contains "attach -i again (no stdinOnce): stdin still open" "got three" "$(cat "$T/out")"
expect_not_contains "no stdinOnce: stdin not closed" "stdin-closed" "$(cat "$T/out")"

# ---- nothing of the agent leaks into a container with stdin: its init has fds 0-2 only ------
expect_eq "stdin container: its process has only fds 0 1 2" "0 1 2" \
    "$(kc exec -n lab reader -- ls /proc/1/fd 2>&1 | tr '\n' ' ' | sed 's/ $//')"
expect_match "stdin container: fd 0 is a pipe (kept open by the agent)" '^pipe:' \
    "$(kc exec -n lab reader -- readlink /proc/1/fd/0 2>&1)"
# (an interactive sh opens /dev/tty, its own terminal again, as fd 10)
fds=$(kc exec -n lab term -- sh -c 'for f in /proc/1/fd/*; do readlink $f; done' 2>&1)
expect_eq "tty container: fd 0 is its terminal" "/dev/pts/0" "$(echo "$fds" | head -1)"
expect_eq "tty container: every fd of its process is its terminal" "" \
    "$(echo "$fds" | grep -v -x -e /dev/pts/0 -e /dev/tty)"

# ---- tty ------------------------------------------------------------------------------------
printf 'echo hello-$((6*7))\nexit\n' | KT attach -it -n lab term >"$T/out" 2>&1
expect_contains "attach -it: the shell ran the command" "hello-42" "$(cat "$T/out")"
e2e_pod_phase term lab 'Succeeded' 30 >/dev/null
expect_eq "attach -it: exit ended the container" Succeeded "$(kc get pod term -n lab -o jsonpath='{.status.phase}')"

# ---- kubectl run -i --rm ----------------------------------------------------------------------
out=$(KT run -i --rm --image=alpine:latest --restart=Never -n lab once -- sh -c 'echo hi' 2>&1); rc=$?
expect_eq "run -i --rm: rc" 0 "$rc"
expect_contains "run -i --rm: the output" "hi" "$out"
expect_contains "run -i --rm: deleted" 'pod "once" deleted' "$out"
out=$(kc get pod once -n lab 2>&1)
expect_contains "run -i --rm: the pod is gone" 'pods "once" not found' "$out"

out=$(echo world | KT run -i --rm --image=alpine:latest --restart=Never -n lab greet -- sh -c 'read x; echo hello $x' 2>&1); rc=$?
expect_eq "run -i --rm with stdin: rc" 0 "$rc"
expect_contains "run -i --rm with stdin: stdin reached it" "hello world" "$out"
expect_contains "run -i --rm with stdin: deleted" 'pod "greet" deleted' "$out"

out=$(KT run -i --rm --image=alpine:latest --restart=Never -n lab fails -- sh -c 'echo bye; exit 3' 2>&1); rc=$?
expect_eq "run -i --rm, exit 3: kubectl exits with the container's code" 3 "$rc"
expect_contains "run -i --rm, exit 3: output" "bye" "$out"
expect_contains "run -i --rm, exit 3: kubectl's message" "pod lab/fails terminated (Error)" "$out"

out=$(printf 'echo tty-$((2+3))\nexit\n' | KT run -it --rm --image=alpine:latest --restart=Never -n lab shell -- sh 2>&1); rc=$?
expect_eq "run -it --rm: rc" 0 "$rc"
expect_contains "run -it --rm: the shell's output" "tty-5" "$out"
expect_contains "run -it --rm: deleted" 'pod "shell" deleted' "$out"

# ---- RBAC: pods/attach ---------------------------------------------------------------------
RUNNER=$(kc create token runner -n lab)
rk() { timeout 60 kubectl --kubeconfig /dev/null --server "$BASE" --certificate-authority "$SERVER_DIR/pki/ca.crt" --token "$RUNNER" "$@"; }
out=$(rk attach -n lab ticker 2>&1); rc=$?
expect_ne "runner: attach refused" 0 "$rc"
expect_contains "runner: upstream's 403" 'pods "ticker" is forbidden: User "system:serviceaccount:lab:runner" cannot create resource "pods/attach" in API group "" in the namespace "lab"' "$out"

e2e_finish
