#!/usr/bin/env bash
# End-to-end: the node side attacked by a pod's creator, whose image and spec are untrusted
# (an image can come from any registry; its files are the attacker's). Each section names the
# finding it guards:
#   - image files the agent reads on the host (/etc/passwd, /etc/group, for the user's uid,
#     gid and groups): a symlink in the image is resolved inside the image, never on the host
#     (no host file's ids reach the container), and only a regular file is read (a symlink to
#     the host's /dev/zero made the agent spin: the API stopped answering).
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
e2e_require_node
e2e_require_cmd umoci
e2e_node_server

# derived NAME SCRIPT: the test image changed by SCRIPT (run in its unpacked rootfs), imported
# as NAME.
derived()
{
    local dir="$T/img-${1%%:*}"
    cp -a "$T/test-image" "$dir"
    (cd "$dir" && umoci unpack --image "$dir:latest" bundle >/dev/null 2>&1 &&
        (cd bundle/rootfs && eval "$2") &&
        umoci repack --image "$dir:latest" bundle >/dev/null 2>&1) || {
        echo "FAIL - building image $1"; exit 1; }
    rm -rf "$dir/bundle"
    "$ANZEN" image import --data-dir "$SERVER_DIR" "$dir" --name "$1" >/dev/null 2>&1 || {
        echo "FAIL - importing image $1"; exit 1; }
}
# pod NAME IMAGE UID CMD: a pod running CMD as UID (runAsUser) in IMAGE, never restarted.
pod()
{
    k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: $2
    imagePullPolicy: Never
    command: ["sh", "-c", "$4"]
    securityContext: {runAsUser: $3}
YAML
}
healthy() { [ "$(acurl -s --max-time 5 "$BASE/healthz" 2>/dev/null)" = ok ]; }

# ---- the image's /etc/passwd and /etc/group are read inside the image ---------------------------
HOSTPW="/etc/anzen-e2e-passwd-$$"
echo "evil:x:4242:4343::/:/bin/sh" >"$HOSTPW"
trap 'rm -f "$HOSTPW"; e2e_cleanup' EXIT
derived pwlink:1 "ln -sf $HOSTPW etc/passwd"
derived pwzero:1 "ln -sf /dev/zero etc/passwd"
pod pwlink pwlink:1 4242 'id'
expect_eq "passwd symlink to a host file: pod Succeeded" "Succeeded" "$(e2e_pod_phase pwlink default 'Succeeded|Failed' 60)"
expect_eq "passwd symlink to a host file: no gid from the host's file" "uid=4242 gid=0(root) groups=0(root)" "$(k logs pwlink)"
pod pwzero pwzero:1 4242 'id'
# the agent reads nothing (/dev/zero is the image's, absent); runc, inside the container, then
# finds its /dev/zero and refuses it, as it does under containerd
expect_eq "passwd -> /dev/zero: the pod fails to start (runc's refusal)" "Failed" "$(e2e_pod_phase pwzero default 'Succeeded|Failed' 60)"
expect_contains "passwd -> /dev/zero: runc's message" "unable to setup user: unable to find user 4242: bufio.Scanner: token too long" \
    "$(k get pod pwzero -o jsonpath='{.status.containerStatuses[0].state.terminated.message}')"
if healthy; then e2e_pass "passwd -> /dev/zero: /healthz answers"; else e2e_fail "passwd -> /dev/zero: /healthz answers" ok timeout; fi
pod after alpine:latest 1000 'echo ran'
expect_eq "a pod after them runs" "Succeeded" "$(e2e_pod_phase after default 'Succeeded|Failed' 60)"

e2e_finish
