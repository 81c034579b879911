#!/usr/bin/env bash
# End-to-end: the node side attacked by a pod's creator, whose image and spec are untrusted
# (an image can come from any registry; its files are the attacker's). Each section names the
# finding it guards:
#   - image files the agent reads on the host (/etc/passwd, /etc/group, for the user's uid,
#     gid and groups): a symlink in the image is resolved inside the image, never on the host
#     (no host file's ids reach the container), and only a regular file is read (a symlink to
#     the host's /dev/zero made the agent spin: the API stopped answering);
#   - secret, configMap, downwardAPI and projected volumes are mounted read-only whatever the
#     volumeMount says, as kubelet mounts them: a container could point the volume's ..data at
#     ../../../../etc, and the agent's next resync read that dir as the old payload and removed
#     it on the host (rm -rf of any host directory by a pod's root);
#   - subPathExpr is honoured (it was ignored: the container got the whole volume, e.g. every
#     pod's directory of a shared hostPath meant to give each pod $(POD_NAME) only); a
#     variable without a value is kubelet's "missing value for" CreateContainerConfigError;
#   - the downward API's status.podIP (env and volume) is the pod's own address, not the node's
#     (a pod advertising it sent its peers to the node);
#   - a start that never ends (the image's /etc/group a FIFO: runc's init blocks reading it in
#     the container, as under containerd): deleting the pod ends its runtime processes (they
#     stayed for ever), and anzen still stops on SIGTERM (it waited for the start for ever);
#   - subPath through a symlink the pod made to a host directory: refused, and nothing is made
#     on the host (the agent made the missing directories through the symlink — on the host —
#     before it refused); subPaths inside the volume (through an inner symlink, new nested
#     directories, a file of a configMap) still work, and their binds are gone with the pod;
#   - emptyDir medium: Memory is a tmpfs sized as kubelet sizes it (sizeLimit, else the pod's
#     memory limit), never the node's disk (it was a directory in the data dir: what a pod
#     kept "in memory" was written to the node's disk, without bound);
#   - a container's log is rotated as kubelet rotates it (10 MiB, 5 files): 60 MiB of output
#     keep at most ~50 MiB on the node's disk (it all went to one file in the data dir, whose
#     disk also holds the API's database), and `kubectl logs` still shows the last lines.
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
# running_logged POD WHAT LOG [PHASE]: POD Running (or PHASE), its main container's log (waited
# for <= 30 s) is LOG; PUID is its uid
logged() { [ "$(k logs "$1" -c main 2>/dev/null | wc -l)" -ge "$2" ]; }
running_logged()
{
    expect_eq "$2: pod ${4:-Running}" "${4:-Running}" "$(e2e_pod_phase "$1" default "${4:-Running}|Succeeded|Failed" 60)"
    wait_until 30 logged "$1" "$(printf '%s\n' "$3" | wc -l)"
    expect_eq "$2" "$3" "$(k logs "$1" -c main 2>&1)"
    PUID=$(k get pod "$1" -o jsonpath='{.metadata.uid}')
}
# podspec NAME: creates pod NAME (restartPolicy Never) with the rest of its spec from stdin
podspec() { { printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: %s}\nspec:\n  restartPolicy: Never\n' "$1"; cat; } | k apply -f - >/dev/null; }
healthy() { [ "$(acurl -s --max-time 5 "$BASE/healthz" 2>/dev/null)" = ok ]; }

# ---- the image's /etc/passwd and /etc/group are read inside the image ---------------------------
HOSTPW="/etc/anzen-e2e-passwd-$$"
echo "evil:x:4242:4343::/:/bin/sh" >"$HOSTPW"
trap 'rm -f "$HOSTPW"; e2e_cleanup' EXIT
derived pwlink:1 "ln -sf $HOSTPW etc/passwd"
derived pwzero:1 "ln -sf /dev/zero etc/passwd"
derived grpfifo:1 "rm -f etc/group; mkfifo etc/group"
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

# ---- subPath: nothing made or mounted outside the volume ------------------------------------------
HOSTDIR="$T/host-dir-$RANDOM"
mkdir -p "$HOSTDIR"
k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: subesc}
spec:
  restartPolicy: Never
  initContainers:
  - {name: plant, image: alpine:latest, command: ["ln", "-s", "$HOSTDIR", "/work/esc"], volumeMounts: [{name: work, mountPath: /work}]}
  containers:
  - {name: main, image: alpine:latest, command: ["ls", "/x"], volumeMounts: [{name: work, mountPath: /x, subPath: esc/made/deeper}]}
  volumes:
  - {name: work, emptyDir: {}}
YAML
waitreason() { [ "$(k get pod "$1" -o jsonpath='{.status.containerStatuses[0].state.waiting.reason}')" = "$2" ]; }
wait_until 30 waitreason subesc CreateContainerConfigError
expect_eq "subPath through a symlink to a host dir: CreateContainerConfigError" \
    'CreateContainerConfigError failed to prepare subPath for volumeMount "work" of container "main"' \
    "$(k get pod subesc -o jsonpath='{.status.containerStatuses[0].state.waiting.reason} {.status.containerStatuses[0].state.waiting.message}')"
expect_eq "subPath through a symlink to a host dir: nothing made on the host" "" "$(ls -A "$HOSTDIR")"
k create configmap subcm --from-literal=key=from-configmap >/dev/null
k apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: subok}
spec:
  restartPolicy: Never
  initContainers:
  - {name: plant, image: alpine:latest, command: ["sh", "-c", "mkdir /work/real && echo inner >/work/real/f && ln -s real /work/lnk"], volumeMounts: [{name: work, mountPath: /work}]}
  containers:
  - name: main
    image: alpine:latest
    command: ["sh", "-c", "cat /m/f; cat /etc/cm-key; echo; touch /n/x && ls /n; touch /m/ro 2>&1 | grep -o 'Read-only file system'; sleep 300"]
    volumeMounts:
    - {name: work, mountPath: /m, subPath: lnk, readOnly: true}
    - {name: work, mountPath: /n, subPath: new/deep}
    - {name: cm, mountPath: /etc/cm-key, subPath: key}
  volumes:
  - {name: work, emptyDir: {}}
  - {name: cm, configMap: {name: subcm}}
YAML
running_logged subok "subPaths inside the volume: inner symlink, configMap file, new nested dirs, readOnly" \
    "$(printf 'inner\nfrom-configmap\nx\nRead-only file system')"
SUBUID=$PUID
expect_eq "subPaths inside the volume: bound under the pod's volume-subpaths (three binds)" 3 \
    "$(grep -cF "/pods/$SUBUID/volume-subpaths/" /proc/self/mountinfo)"
k delete pod subok subesc --grace-period=1 --timeout=30s >/dev/null 2>&1
poddir_gone() { [ ! -e "$SERVER_DIR/node/pods/$SUBUID" ]; }
wait_until 20 poddir_gone
expect_eq "subPath binds are gone with the pod" "" "$(grep -F "/pods/$SUBUID/" /proc/self/mountinfo)"
expect_eq "... and so is its pod dir" "no" "$(poddir_gone && echo no || echo yes)"

# ---- emptyDir medium: Memory ----------------------------------------------------------------------
podspec memvol <<'YAML'
  containers:
  - name: main
    image: alpine:latest
    command: ["sh", "-c", "grep -E ' /(m|l) ' /proc/mounts | cut -d' ' -f2,3,4 | sed 's/,relatime//' | sort; echo secret >/m/kept; dd if=/dev/zero of=/m/big bs=1M count=3 2>&1 | grep -o 'No space left on device'; sleep 300"]
    resources: {limits: {memory: 64Mi}}
    volumeMounts: [{name: m, mountPath: /m}, {name: l, mountPath: /l}]
  volumes:
  - {name: m, emptyDir: {medium: Memory, sizeLimit: 2Mi}}
  - {name: l, emptyDir: {medium: Memory}}
YAML
running_logged memvol "memory emptyDir: tmpfs of sizeLimit (2Mi), else the pod's memory limit (64Mi); full at its size" \
    "$(printf '/l tmpfs rw,nosuid,nodev,size=65536k,mode=777\n/m tmpfs rw,nosuid,nodev,size=2048k,mode=777\nNo space left on device')"
MEMUID=$PUID
expect_eq "memory emptyDir: its file is not on the node's disk" "tmpfs" \
    "$(stat -f -c %T "$SERVER_DIR/node/pods/$MEMUID/volumes/m/kept" 2>&1)"
k delete pod memvol --grace-period=1 --timeout=30s >/dev/null 2>&1
unmounted() { ! grep -qF "/pods/$1/" /proc/self/mountinfo; }
wait_until 20 unmounted "$MEMUID"
expect_eq "memory emptyDir: unmounted with the pod" "" "$(grep -F "/pods/$MEMUID/" /proc/self/mountinfo)"

# ---- container logs are rotated ---------------------------------------------------------------------
podspec chatty <<'YAML'
  containers:
  - name: main
    image: alpine:latest
    command: ["sh", "-c", "yes $(printf '%01000d' 0) | head -c 62914560 >/dev/stdout; echo; echo last-line; sleep 300"]
YAML
expect_eq "chatty: pod Running" "Running" "$(e2e_pod_phase chatty default 'Running|Succeeded|Failed' 60)"
lastline() { [ "$(k logs chatty --tail=1 2>/dev/null)" = last-line ]; }
wait_until 120 lastline
expect_eq "rotated logs: kubectl logs shows the last line" "last-line" "$(k logs chatty --tail=1 2>&1)"
LOGDIR="$SERVER_DIR/node/pods/$(k get pod chatty -o jsonpath='{.metadata.uid}')/logs"
expect_eq "rotated logs: the current file and four rotated ones (main.log.YYYYMMDD-hhmmss.nnnnnnnnn)" \
    "main.log main.log.D main.log.D main.log.D main.log.D" \
    "$(ls "$LOGDIR" | sed 's/^main\.log\.[0-9]\{8\}-[0-9]\{6\}\.[0-9]\{9\}$/main.log.D/' | sort | tr '\n' ' ' | sed 's/ $//')"
LOGBYTES=$(cat "$LOGDIR"/* | wc -c)
BOUND=$((5 * 10485760 + 65536))
expect_eq "rotated logs: at most 5 x 10 MiB (and a record) on disk" "<= $BOUND" "$([ "$LOGBYTES" -le "$BOUND" ] && echo "<= $BOUND" || echo "$LOGBYTES bytes")"
k delete pod chatty --grace-period=1 --timeout=30s >/dev/null 2>&1

# ---- the agent's volumes are read-only in the container ---------------------------------------------
VICTIM="$T/victim"
mkdir -p "$VICTIM"
echo precious >"$VICTIM/file"
UP=../../../../../../../../../../../../../../../..
k create secret generic sec --from-literal=s=1 >/dev/null
k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: rovol}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: alpine:latest
    command: ["sh", "-c", "for d in /cm /sec /dw /pj; do echo \$d \$(grep \" \$d \" /proc/mounts | cut -d' ' -f4 | cut -d, -f1) \$(rm -f \$d/..data 2>&1 | grep -o 'Read-only file system'; ln -s $UP$VICTIM \$d/..data 2>/dev/null); done; sleep 300"]
    volumeMounts: [{name: cm, mountPath: /cm}, {name: sec, mountPath: /sec}, {name: dw, mountPath: /dw}, {name: pj, mountPath: /pj}]
  volumes:
  - {name: cm, configMap: {name: subcm}}
  - {name: sec, secret: {secretName: sec}}
  - {name: dw, downwardAPI: {items: [{path: name, fieldRef: {fieldPath: metadata.name}}]}}
  - {name: pj, projected: {sources: [{serviceAccountToken: {path: token, expirationSeconds: 600}}]}}
YAML
running_logged rovol "API-backed volumes without readOnly: mounted ro, ..data cannot be changed" \
    "$(printf '/cm ro Read-only file system\n/sec ro Read-only file system\n/dw ro Read-only file system\n/pj ro Read-only file system')"
expect_eq "API-backed volumes: the host dir is still there" "precious" "$(cat "$VICTIM/file" 2>&1)"
k delete pod rovol --grace-period=1 --timeout=30s >/dev/null 2>&1

# ---- subPathExpr ------------------------------------------------------------------------------------
podspec spe <<'YAML'
  containers:
  - name: main
    image: alpine:latest
    command: ["sh", "-c", "echo mine >/w/f; ls /w; sleep 2; ls /all; sleep 300"]
    env: [{name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
    volumeMounts: [{name: work, mountPath: /w, subPathExpr: "$(POD_NAME)"}, {name: work, mountPath: /all}]
  - {name: nope, image: alpine:latest, command: ["ls", "/w"], volumeMounts: [{name: work, mountPath: /w, subPathExpr: "x/$(NOPE)/$(ALSO)"}]}
  volumes:
  - {name: work, emptyDir: {}}
YAML
running_logged spe "subPathExpr \$(POD_NAME): the pod's own directory (spe/) only" "$(printf 'f\nspe')" Pending
expect_eq "subPathExpr with unset variables: kubelet's error" "CreateContainerConfigError missing value for ALSO, NOPE" \
    "$(k get pod spe -o jsonpath='{.status.containerStatuses[?(@.name=="nope")].state.waiting.reason} {.status.containerStatuses[?(@.name=="nope")].state.waiting.message}')"
k delete pod spe --grace-period=1 --timeout=30s >/dev/null 2>&1

# ---- downward API status.podIP -------------------------------------------------------------------------
podspec ipenv <<'YAML'
  containers:
  - env: [{name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}, {name: HOST_IP, valueFrom: {fieldRef: {fieldPath: status.hostIP}}}]
    name: main
    image: alpine:latest
    command: ["sh", "-c", "echo $POD_IP; echo $HOST_IP; ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1; sleep 300"]
YAML
expect_eq "ipenv: pod Running" "Running" "$(e2e_pod_phase ipenv default 'Running|Succeeded|Failed' 60)"
wait_until 30 logged ipenv 3
PODIP=$(k get pod ipenv -o jsonpath='{.status.podIP}')
expect_eq "downward API: POD_IP is the pod's status.podIP and its eth0, HOST_IP the node's" \
    "$(printf '%s\n%s\n%s' "$PODIP" "$(k get pod ipenv -o jsonpath='{.status.hostIP}')" "$PODIP")" "$(k logs ipenv 2>&1)"
expect_ne "downward API: the pod has an address of its own" "$(k get pod ipenv -o jsonpath='{.status.hostIP}')" "$PODIP"
k delete pod ipenv --grace-period=1 --timeout=30s >/dev/null 2>&1

# ---- a start that never ends ---------------------------------------------------------------------
# runtime_procs UID: the runtime's processes of pod UID (their command lines name its dir)
runtime_procs() { ps -eo pid=,args= | grep -F "/pods/$1/" | grep -v grep; }
pod fifo1 grpfifo:1 0 'id'
pod fifo2 grpfifo:1 0 'id'
UID1=$(k get pod fifo1 -o jsonpath='{.metadata.uid}')
UID2=$(k get pod fifo2 -o jsonpath='{.metadata.uid}')
started() { [ -n "$(runtime_procs "$1")" ]; }
gone() { [ -z "$(runtime_procs "$1")" ]; }
wait_until 30 started "$UID1"
wait_until 30 started "$UID2"
sleep 2
expect_eq "FIFO group file: the container is still being created" "ContainerCreating" \
    "$(k get pod fifo1 -o jsonpath='{.status.containerStatuses[0].state.waiting.reason}')"
expect_ne "FIFO group file: its runtime is running" "" "$(runtime_procs "$UID1")"
OUT=$(k delete pod fifo1 --timeout=30s 2>&1)
expect_eq "FIFO group file: the pod is deleted" 'pod "fifo1" deleted' "$OUT"
wait_until 10 gone "$UID1"
expect_eq "FIFO group file: its runtime processes are gone" "" "$(runtime_procs "$UID1")"
if healthy; then e2e_pass "FIFO group file: /healthz answers"; else e2e_fail "FIFO group file: /healthz answers" ok timeout; fi
# fifo2's start is still in flight when anzen is asked to stop
expect_ne "FIFO group file: the second pod's runtime is running" "" "$(runtime_procs "$UID2")"
server_stop
expect_eq "FIFO group file: SIGTERM stops anzen with a start in flight" 0 "$?"
wait_until 10 gone "$UID2"
expect_eq "FIFO group file: ... and its runtime processes are gone" "" "$(runtime_procs "$UID2")"

e2e_finish
