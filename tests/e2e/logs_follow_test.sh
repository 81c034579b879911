#!/usr/bin/env bash
# End-to-end: container logs as kubelet serves them (kubectl 1.32, the embedded node agent):
#   - stdout and stderr are kept apart in the CRI log (stream field "stdout"/"stderr"), and
#     `kubectl logs` shows both, each stream in its order;
#   - `kubectl logs -f` streams: the log so far at once, then each line as the container writes
#     it (the container is driven step by step through `kubectl exec`, no timing), and the
#     stream ends when the followed run ends — also when the pod restarts the container, as
#     kubelet follows one container; `--tail` with `-f`; `-f` on a finished container returns;
#   - the API answers while a log is followed.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
e2e_node_server
phase() { e2e_pod_phase "$1" default "$2" 60; }
running() { [ "$(k get pod "$1" -o jsonpath='{.status.containerStatuses[0].state.running.startedAt}')" != "" ]; }

# ---- stdout and stderr ------------------------------------------------------------------------
k run both --image=alpine:latest --restart=Never --command -- \
    sh -c 'echo out1; echo err1 >&2; echo out2; echo err2 >&2; echo out3' >/dev/null
expect_eq "both: Succeeded" "Succeeded" "$(phase both 'Succeeded|Failed')"
UID_BOTH=$(k get pod both -o jsonpath='{.metadata.uid}')
LOGF="$SERVER_DIR/node/pods/$UID_BOTH/logs/both.log"
expect_eq "CRI log: stdout records" "out1 out2 out3" "$(awk '$2=="stdout" && $3=="F" {print $4}' "$LOGF" | xargs)"
expect_eq "CRI log: stderr records" "err1 err2" "$(awk '$2=="stderr" && $3=="F" {print $4}' "$LOGF" | xargs)"
out=$(k logs both 2>&1)
expect_eq "kubectl logs: both streams (5 lines)" "err1 err2 out1 out2 out3" "$(printf '%s\n' "$out" | sort | xargs)"
expect_eq "kubectl logs: stdout in its order" "out1 out2 out3" "$(printf '%s\n' "$out" | grep out | xargs)"
expect_eq "kubectl logs: stderr in its order" "err1 err2" "$(printf '%s\n' "$out" | grep err | xargs)"
expect_eq "kubectl logs: the file's order" "$(awk '{print $4}' "$LOGF" | xargs)" "$(printf '%s\n' "$out" | xargs)"
# -f on a finished container: everything, then the command returns
out=$(timeout 60 "$K" --kubeconfig "$KCFG" --cache-dir "$T/kcache" logs -f both 2>&1; echo "rc=$?")
expect_eq "logs -f on a finished container returns" "err1 err2 out1 out2 out3 rc=0" "$(printf '%s\n' "$out" | sort | xargs)"

# ---- -f streams as the container writes --------------------------------------------------------
# the container writes a line each time a file appears (made by kubectl exec), then exits 1
# (restartPolicy Always: kubelet restarts it; the follow of the first run ends with it)
k apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: talker, namespace: default}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: c
    image: alpine:latest
    command: [sh, -c, 'echo l1; echo l2; echo l3; for s in a b; do while [ ! -f /tmp/$s ]; do sleep 0.1; done; echo step-$s; echo step-$s-err >&2; done; while [ ! -f /tmp/end ]; do sleep 0.1; done; echo bye; exit 1']
YAML
wait_until 60 running talker
has() { grep -q -- "$2" "$1"; }
wait_until 30 bash -c "\"$K\" --kubeconfig \"$KCFG\" --cache-dir \"$T/kcache\" logs talker | grep -q l3"
"$K" --kubeconfig "$KCFG" --cache-dir "$T/kcache" logs -f talker >"$T/f1" 2>&1 &
F1=$!
"$K" --kubeconfig "$KCFG" --cache-dir "$T/kcache" logs -f --tail=1 talker >"$T/f2" 2>&1 &
F2=$!
wait_until 30 has "$T/f1" l3
wait_until 30 has "$T/f2" l3
expect_eq "-f: the log so far at once" "l1 l2 l3" "$(xargs <"$T/f1")"
expect_eq "-f --tail=1: only the last line so far" "l3" "$(xargs <"$T/f2")"
expect_eq "-f: still following" "yes" "$(kill -0 $F1 2>/dev/null && echo yes)"
k exec talker -- touch /tmp/a
wait_until 30 has "$T/f1" step-a-err
wait_until 30 has "$T/f2" step-a-err
expect_eq "-f: a new line appears while following (stdout and stderr)" "l1 l2 l3 step-a step-a-err" "$(sort "$T/f1" | xargs)"
expect_eq "-f --tail=1: then the new lines" "l3 step-a step-a-err" "$(sort "$T/f2" | xargs)"
expect_eq "-f: still following after a new line" "yes" "$(kill -0 $F1 2>/dev/null && echo yes)"
# the API answers while logs are followed (the loop is not blocked)
req GET /healthz
expect_eq "/healthz while following" "200 ok" "$CODE $BODY"
k exec talker -- touch /tmp/b
wait_until 30 has "$T/f1" step-b-err
expect_eq "-f: the next step" "l1 l2 l3 step-a step-a-err step-b step-b-err" "$(sort "$T/f1" | xargs)"
k exec talker -- touch /tmp/end
wait_until 60 bash -c "! kill -0 $F1 2>/dev/null"
wait $F1
expect_eq "-f ends when the container exits (exit status of kubectl 0)" "0" "$?"
wait_until 60 bash -c "! kill -0 $F2 2>/dev/null"
wait $F2
expect_eq "-f --tail ends too" "0" "$?"
expect_eq "-f: the whole run, bye last" "bye" "$(tail -n 1 "$T/f1")"
expect_eq "-f: nothing lost" "bye l1 l2 l3 step-a step-a-err step-b step-b-err" "$(sort "$T/f1" | xargs)"
restarted() { [ "$(k get pod talker -o jsonpath='{.status.containerStatuses[0].restartCount}')" = 1 ]; }
wait_until 60 restarted
wait_until 60 running talker
expect_eq "the container was restarted (the follow ended with its first run)" "1" \
    "$(k get pod talker -o jsonpath='{.status.containerStatuses[0].restartCount}')"
expect_eq "--previous: the first run's log" "bye l1 l2 l3 step-a step-a-err step-b step-b-err" "$(k logs talker --previous 2>&1 | sort | xargs)"
# a follow of the new run streams its output
wait_until 30 bash -c "\"$K\" --kubeconfig \"$KCFG\" --cache-dir \"$T/kcache\" logs talker | grep -q l3"
"$K" --kubeconfig "$KCFG" --cache-dir "$T/kcache" logs -f talker --timestamps >"$T/f3" 2>&1 &
F3=$!
wait_until 30 has "$T/f3" l3
k exec talker -- touch /tmp/a
wait_until 30 has "$T/f3" step-a-err
expect_match "-f --timestamps: new lines carry their time" \
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z step-a$" "$(grep 'step-a$' "$T/f3")"
# the client going away ends the follow on the server (nothing is left behind)
kill $F3 2>/dev/null
wait $F3 2>/dev/null
k exec talker -- touch /tmp/b
sleep 0.3
ensure_alive "a follower that went away"
k delete pod talker --grace-period=0 --force >/dev/null 2>&1

e2e_finish
