#!/usr/bin/env bash
# End-to-end: pods are containers, not the host (issue 7), attacked as the seed's
# least-privileged identity (SA lab/runner, allowed to create Jobs in lab) with the real
# binary, real runc and real CNI plugins:
#   - a Job that reads the data dir's admin key (path from /proc/$PPID/cmdline, and the real
#     path too) logs no key material, and runner still cannot list Secrets;
#   - a restricted-compliant pod runs as uid 1000 with CapEff 0 and a read-only root, and is
#     admitted by Pod Security restricted;
#   - a pod without hostPath cannot see a marker file made on the host; its `ps` shows only its
#     own processes; its IP is its own (not the node's, not an address of the host); seccomp and
#     the capability set stop unshare/mount;
#   - the seed's hostPath pod still reads the node's /etc/hostname; baseline refuses it;
#   - `kubectl exec` into another namespace's pod is refused (pods/exec in one namespace does
#     not reach another's token);
#   - runAsNonRoot with an image running as root: CreateContainerConfigError with kubelet's
#     message; imagePullPolicy Never on an absent image: ErrImageNeverPull;
#   - a node that cannot isolate (no OCI runtime) is NotReady and runs nothing, the API serves.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
e2e_require_node
SERVE_FLAGS=""
server_start "$T/data" || exit 1
e2e_import_test_image "$SERVER_DIR"
NODE_DIR="$SERVER_DIR/node"

phase() { e2e_pod_phase "$1" "$2" "$3" 60; }
# the (only) pod of a Job
job_pod()
{
    local i n
    for i in $(seq 1 100); do
        n=$(kc get pods -n "$2" -l "job-name=$1" -o jsonpath='{.items[0].metadata.name}' 2>/dev/null)
        [ -n "$n" ] && { echo "$n"; return 0; }
        sleep 0.2
    done
    return 1
}

kc apply -f "$SEED/manifests.yaml" >/dev/null
wait_until 10 kc get sa runner -n lab >/dev/null 2>&1
RUNNER=$(kc create token runner -n lab)
# kubectl as runner
rk() { kubectl --kubeconfig /dev/null --server "$BASE" --certificate-authority "$SERVER_DIR/pki/ca.crt" --token "$RUNNER" "$@"; }

# ---- steal the keys, as runner ----------------------------------------------------------------
expect_contains "sanity: the admin key on the host is a private key" "PRIVATE KEY" "$(cat "$SERVER_DIR/pki/admin.key")"
rk create -f - >/dev/null <<EOF
apiVersion: batch/v1
kind: Job
metadata: {name: steal, namespace: lab}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: alpine:latest
        command:
        - sh
        - -c
        - |
          D=\$(tr '\0' '\n' </proc/\$PPID/cmdline 2>&1 | sed -n '/--data-dir/{n;p}')
          echo "ppid=\$PPID dir=\$D"
          cat "\$D/pki/admin.crt" "\$D/pki/admin.key" 2>&1
          cat "$SERVER_DIR/pki/admin.key" "$SERVER_DIR/pki/ca.key" "$SERVER_DIR/anzen.db" 2>&1
          ls / /proc/1/root/ 2>&1 | tr '\n' ' '
          echo; echo done
EOF
expect_eq "runner's Job was created" "steal" "$(kc get job steal -n lab -o jsonpath='{.metadata.name}')"
STEAL=$(job_pod steal lab)
phase "$STEAL" lab 'Succeeded|Failed' >/dev/null
SLOG=$(kc logs "$STEAL" -n lab)
expect_contains "steal: the Job ran to its end" "done" "$SLOG"
expect_not_contains "steal: no private key in the log" "PRIVATE KEY" "$SLOG"
expect_not_contains "steal: no certificate in the log" "BEGIN CERTIFICATE" "$SLOG"
expect_contains "steal: the host's data dir does not exist in the container" "can't open '$SERVER_DIR/pki/admin.key': No such file or directory" "$SLOG"
OUT=$(rk get secrets -n lab 2>&1)
expect_contains "runner still cannot list Secrets" 'User "system:serviceaccount:lab:runner" cannot list resource "secrets"' "$OUT"

# ---- a restricted-compliant pod ---------------------------------------------------------------
kc create ns strict >/dev/null
kc label ns strict pod-security.kubernetes.io/enforce=restricted >/dev/null
OUT=$(kc apply -f - 2>&1 <<EOF
apiVersion: v1
kind: Pod
metadata: {name: compliant, namespace: strict}
spec:
  restartPolicy: Never
  securityContext:
    runAsNonRoot: true
    runAsUser: 1000
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: main
    image: alpine:latest
    command: ["sh", "-c", "id -u; grep CapEff /proc/self/status; touch /etc/owned 2>&1; cat $SERVER_DIR/pki/ca.key 2>&1; grep Seccomp: /proc/self/status; grep NoNewPrivs /proc/self/status; head -c 3 /var/run/secrets/kubernetes.io/serviceaccount/token; echo; grep ' /var/run/secrets/kubernetes.io/serviceaccount ' /proc/mounts | cut -d' ' -f3,4 | cut -d, -f1; echo done"]
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {drop: [ALL]}
EOF
)
expect_eq "Pod Security restricted admits the compliant pod" "pod/compliant created" "$OUT"
expect_eq "compliant pod Succeeded" "Succeeded" "$(phase compliant strict 'Succeeded|Failed')"
CLOG=$(kc logs compliant -n strict)
expect_eq "compliant: runs as uid 1000" "1000" "$(printf '%s\n' "$CLOG" | sed -n 1p)"
expect_match "compliant: no effective capabilities" '^CapEff:[[:space:]]+0000000000000000$' "$(printf '%s\n' "$CLOG" | sed -n 2p)"
expect_contains "compliant: the root filesystem is read-only" "Read-only file system" "$(printf '%s\n' "$CLOG" | sed -n 3p)"
expect_contains "compliant: no ca.key" "No such file or directory" "$(printf '%s\n' "$CLOG" | sed -n 4p)"
expect_match "compliant: seccomp filter on (mode 2)" '^Seccomp:[[:space:]]+2$' "$(printf '%s\n' "$CLOG" | sed -n 5p)"
expect_match "compliant: no_new_privs" '^NoNewPrivs:[[:space:]]+1$' "$(printf '%s\n' "$CLOG" | sed -n 6p)"
expect_eq "compliant: uid 1000 reads its token" "eyJ" "$(printf '%s\n' "$CLOG" | sed -n 7p)"
expect_eq "compliant: the token volume is a read-only tmpfs" "tmpfs ro" "$(printf '%s\n' "$CLOG" | sed -n 8p)"

# ---- isolation of a default pod: files, processes, network, syscalls ----------------------------
MARKER="$T/host-marker-$RANDOM"
echo "host secret" >"$MARKER"
kc apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: probe, namespace: lab}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: alpine:latest
    command:
    - sh
    - -c
    - |
      cat $MARKER 2>&1
      echo "procs \$(ls /proc | grep -c '^[0-9]')"
      ps -o comm | tr '\n' ' '; echo
      echo "ip \$(ip -4 -o addr show eth0 | awk '{print \$4}')"
      unshare -n true 2>&1 || echo unshare-refused
      mount -t tmpfs none /mnt 2>&1 || echo mount-refused
      grep CapEff /proc/self/status
      echo "host \$(hostname)"
EOF
expect_eq "probe Succeeded" "Succeeded" "$(phase probe lab 'Succeeded|Failed')"
PLOG=$(kc logs probe -n lab)
expect_contains "probe: the host's marker file is not visible" "can't open '$MARKER': No such file or directory" "$(printf '%s\n' "$PLOG" | sed -n 1p)"
PS_LINE=$(printf '%s\n' "$PLOG" | sed -n 3p)
# (the pipeline's tr may still be named `exe`: busybox's shell runs applets through /proc/self/exe)
expect_eq "probe: ps sees only the pod's own processes (sh and its pipeline)" "COMMAND ps sh" \
    "$(printf '%s' "$PS_LINE" | tr ' ' '\n' | grep -v -e '^tr$' -e '^exe$' | sed '/^$/d' | sort -u | tr '\n' ' ' | sed 's/ $//')"
expect_eq "probe: /proc lists at most 4 processes (the host has $(ls /proc | grep -c '^[0-9]'))" "ok" \
    "$(n=$(printf '%s\n' "$PLOG" | sed -n 's/^procs //p'); [ "${n:-99}" -le 4 ] && echo ok || echo "$n")"
POD_IP=$(kc get pod probe -n lab -o jsonpath='{.status.podIP}')
HOST_IP=$(kc get pod probe -n lab -o jsonpath='{.status.hostIP}')
expect_eq "probe: eth0 carries status.podIP" "ip $POD_IP/24" "$(printf '%s\n' "$PLOG" | grep '^ip ')"
expect_ne "probe: the pod's IP is not the node's" "$HOST_IP" "$POD_IP"
expect_not_contains "probe: the pod's IP is no address of the host" "inet $POD_IP/" "$(ip -4 addr)"
expect_contains "probe: unshare refused" "unshare-refused" "$PLOG"
expect_contains "probe: mount refused" "mount-refused" "$PLOG"
expect_match "probe: containerd's default capability set" 'CapEff:[[:space:]]+00000000a80425fb' "$PLOG"
expect_eq "probe: host name is the pod's" "host probe" "$(printf '%s\n' "$PLOG" | grep '^host ')"

# shareProcessNamespace: the pod's containers see each other (and the namespace's holder as PID 1)
kc apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: shared, namespace: lab}
spec:
  shareProcessNamespace: true
  terminationGracePeriodSeconds: 1
  containers:
  - {name: a, image: alpine:latest, command: ["sleep", "3601"]}
  - {name: b, image: alpine:latest, command: ["sleep", "3602"]}
EOF
phase shared lab Running >/dev/null
wait_until 20 sh -c "kubectl --kubeconfig $KCFG exec shared -n lab -c b -- ps -o args | grep -q 'sleep 3601'"
OUT=$(kc exec shared -n lab -c b -- ps -o args 2>&1)
expect_contains "shareProcessNamespace: b sees a's process" "sleep 3601" "$OUT"
expect_eq "shareProcessNamespace: PID 1 is the namespace holder" "sleep infinity" "$(kc exec shared -n lab -c a -- cat /proc/1/cmdline 2>&1 | tr '\0' ' ' | sed 's/ $//')"
kc delete pod shared -n lab --wait=false >/dev/null

# hostPort through the portmap plugin: the node's port reaches the pod; gone with the pod
HOSTPORT=$(( 31000 + RANDOM % 2000 ))
kc apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: lab}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: alpine:latest
    command: ["sh", "-c", "mkdir -p /tmp/www && echo hello-from-web > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www"]
    ports: [{containerPort: 8080, hostPort: $HOSTPORT}]
EOF
phase web lab Running >/dev/null
wait_until 10 curl -sf -m 2 -o /dev/null "http://127.0.0.1:$HOSTPORT/"
expect_eq "hostPort: the node's port reaches the pod" "hello-from-web" "$(curl -s -m 3 "http://127.0.0.1:$HOSTPORT/")"
kc delete pod web -n lab --wait=true --timeout=60s >/dev/null
nat_gone() { ! iptables -t nat -S 2>/dev/null | grep -q -- "--dport $HOSTPORT "; }
wait_until 10 nat_gone
expect_eq "hostPort: its NAT rules are removed with the pod" "gone" "$(nat_gone && echo gone || echo still-there)"

# ---- hostPath: the seed's lesson holds only for pods that ask ------------------------------------
kc create ns open >/dev/null
sed s/NS/open/ "$SEED/pod-hostpath.yaml" | kc apply -f - >/dev/null
phase escape open 'Succeeded|Failed' >/dev/null
expect_eq "hostPath pod reads the node's /etc/hostname" "$(cat /etc/hostname)" "$(kc logs escape -n open)"
# what a pod asks for (and Pod Security lets through) it gets: privileged, the host's network
# and processes — and the API at the address anzen listens on
kc apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: hosty, namespace: open}
spec:
  restartPolicy: Never
  hostNetwork: true
  hostPID: true
  containers:
  - name: main
    image: alpine:latest
    securityContext: {privileged: true}
    command: ["sh", "-c", "grep CapEff /proc/self/status | cut -f2; grep Seccomp: /proc/self/status | cut -f2; echo $KUBERNETES_SERVICE_HOST; curl -sk -o /dev/null -w '%{http_code}\n' https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/api"]
EOF
expect_eq "privileged hostNetwork pod Succeeded" "Succeeded" "$(phase hosty open 'Succeeded|Failed')"
HLOG=$(kc logs hosty -n open)
expect_eq "privileged: every capability of the node's bounding set, no seccomp" \
    "$(grep CapBnd /proc/self/status | cut -f2) 0" "$(printf '%s\n' "$HLOG" | sed -n '1p;2p' | tr '\n' ' ' | sed 's/ $//')"
expect_eq "hostNetwork: the API at the listen address (401 without a token)" "127.0.0.1 401" \
    "$(printf '%s\n' "$HLOG" | sed -n '3p;4p' | tr '\n' ' ' | sed 's/ $//')"
kc create ns guarded >/dev/null
kc label ns guarded pod-security.kubernetes.io/enforce=baseline >/dev/null
OUT=$(sed s/NS/guarded/ "$SEED/pod-hostpath.yaml" | kc apply -f - 2>&1)
expect_contains "baseline refuses the hostPath pod" 'violates PodSecurity "baseline:latest": hostPath volumes (volume "host")' "$OUT"

# ---- exec across namespaces ---------------------------------------------------------------------
kc create ns other >/dev/null
kc run victim -n other --image=alpine:latest --command -- sleep 3600 >/dev/null
kc run mine -n lab --image=alpine:latest --command -- sleep 3600 >/dev/null
kc create role execer -n lab --verb=create,get --resource=pods,pods/exec >/dev/null
kc create rolebinding execer -n lab --role=execer --serviceaccount=lab:runner >/dev/null
phase victim other Running >/dev/null
phase mine lab Running >/dev/null
OUT=$(rk exec victim -n other -- cat /var/run/secrets/kubernetes.io/serviceaccount/token 2>&1)
expect_contains "kubectl exec into another namespace's pod: forbidden" \
    'pods "victim" is forbidden: User "system:serviceaccount:lab:runner" cannot get resource "pods" in API group "" in the namespace "other"' "$OUT"
OUT=$(curl -sk -X POST -H "Authorization: Bearer $RUNNER" "$BASE/api/v1/namespaces/other/pods/victim/exec?command=cat&command=/var/run/secrets/kubernetes.io/serviceaccount/token&stdout=true" | jget 'd["message"]')
expect_contains "pods/exec in another namespace: 403 for the subresource" \
    'pods "victim" is forbidden: User "system:serviceaccount:lab:runner" cannot create resource "pods/exec" in API group "" in the namespace "other"' "$OUT"
VICTIM_UID=$(kc get pod victim -n other -o jsonpath='{.metadata.uid}')
OUT=$(rk exec mine -n lab -- sh -c "ls /proc | grep -c '^[0-9]'; cat $NODE_DIR/pods/$VICTIM_UID/volumes/kube-api-access-*/token 2>&1; nsenter -t 1 -n true 2>&1 || echo nsenter-refused" 2>&1)
expect_contains "exec in one's own namespace works, but the other pod's token is not there" "No such file or directory" "$OUT"
expect_not_contains "no token leaks through exec" "eyJ" "$OUT"
expect_contains "nsenter is refused in a pod" "nsenter-refused" "$OUT"

# ---- subPath through a symlink the pod made: refused (CVE-2017-1002101's escape) --------------------
kc apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: symlinker, namespace: lab}
spec:
  restartPolicy: Never
  initContainers:
  - {name: plant, image: alpine:latest, command: ["ln", "-s", "/", "/work/evil"], volumeMounts: [{name: work, mountPath: /work}]}
  containers:
  - {name: main, image: alpine:latest, command: ["cat", "/host/etc/hostname"], volumeMounts: [{name: work, mountPath: /host, subPath: evil}]}
  volumes:
  - {name: work, emptyDir: {}}
EOF
wait_until 30 sh -c "[ \"\$(kubectl --kubeconfig $KCFG get pod symlinker -n lab -o jsonpath='{.status.containerStatuses[0].state.waiting.reason}')\" = CreateContainerConfigError ]"
expect_eq "subPath symlink out of the volume: CreateContainerConfigError" \
    'CreateContainerConfigError failed to prepare subPath for volumeMount "work" of container "main"' \
    "$(kc get pod symlinker -n lab -o jsonpath='{.status.containerStatuses[0].state.waiting.reason} {.status.containerStatuses[0].state.waiting.message}')"

# ---- kubelet's refusals ----------------------------------------------------------------------------
kc apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: wantsnonroot, namespace: lab}
spec:
  securityContext: {runAsNonRoot: true}
  containers:
  - {name: main, image: alpine:latest, command: ["true"]}
---
apiVersion: v1
kind: Pod
metadata: {name: neverpull, namespace: lab}
spec:
  containers:
  - {name: main, image: "example.invalid/absent:1.0", imagePullPolicy: Never, command: ["true"]}
EOF
waiting_reason() { kc get pod "$1" -n "$2" -o jsonpath='{.status.containerStatuses[0].state.waiting.reason}' 2>/dev/null; }
wait_until 20 sh -c "[ \"\$(kubectl --kubeconfig $KCFG get pod wantsnonroot -n lab -o jsonpath='{.status.containerStatuses[0].state.waiting.reason}')\" = CreateContainerConfigError ]"
NR_UID=$(kc get pod wantsnonroot -n lab -o jsonpath='{.metadata.uid}')
expect_eq "runAsNonRoot + root image: CreateContainerConfigError" "CreateContainerConfigError" "$(waiting_reason wantsnonroot lab)"
expect_eq "runAsNonRoot + root image: kubelet's message" \
    "container has runAsNonRoot and image will run as root (pod: \"wantsnonroot_lab($NR_UID)\", container: main)" \
    "$(kc get pod wantsnonroot -n lab -o jsonpath='{.status.containerStatuses[0].state.waiting.message}')"
wait_until 20 sh -c "[ \"\$(kubectl --kubeconfig $KCFG get pod neverpull -n lab -o jsonpath='{.status.containerStatuses[0].state.waiting.reason}')\" = ErrImageNeverPull ]"
expect_eq "Never + absent image: ErrImageNeverPull" "ErrImageNeverPull" "$(waiting_reason neverpull lab)"
expect_eq "Never + absent image: kubelet's message" \
    'Container image "example.invalid/absent:1.0" is not present with pull policy of Never' \
    "$(kc get pod neverpull -n lab -o jsonpath='{.status.containerStatuses[0].state.waiting.message}')"

# an image nobody can pull (no registry is reachable here): ErrImagePull, then ImagePullBackOff;
# pulls run off the event loop
kc run unpullable -n lab --image=registry.invalid/nothing:1.0 --restart=Never --command -- true >/dev/null
seen=""
for i in $(seq 1 150); do
    r=$(waiting_reason unpullable lab)
    case " $seen " in *" $r "*) ;; *) [ -n "$r" ] && seen="$seen $r" ;; esac
    case "$seen" in *ImagePullBackOff*) break ;; esac
    sleep 0.2
done
expect_contains "unpullable image: ErrImagePull then ImagePullBackOff" "ErrImagePull ImagePullBackOff" "$seen"
expect_contains "ImagePullBackOff: kubelet's message" 'Back-off pulling image "registry.invalid/nothing:1.0"' \
    "$(kc get pod unpullable -n lab -o jsonpath='{.status.containerStatuses[0].state.waiting.message}')"

# ---- deletion leaves nothing behind ---------------------------------------------------------------
MINE_UID=$(kc get pod mine -n lab -o jsonpath='{.metadata.uid}')
kc delete pod mine -n lab --grace-period=1 --wait=true --timeout=60s >/dev/null
gone() { [ ! -e "$NODE_DIR/pods/$MINE_UID" ] && ! grep -q "$MINE_UID" /proc/self/mountinfo &&
         [ -z "$(ls -d /sys/fs/cgroup/*/anzen/pod"$MINE_UID" /sys/fs/cgroup/anzen/pod"$MINE_UID" 2>/dev/null)" ]; }
wait_until 30 gone
expect_eq "deleted pod: no mounts, no cgroups and no pod dir left" "gone" "$(gone && echo gone || echo still-there)"

# ---- a node that cannot isolate pods runs none ----------------------------------------------------
server_stop
SERVE_FLAGS="--container-runtime /nonexistent/runc"
server_start "$T/data2" || exit 1
wait_until 10 kc get node -o name >/dev/null 2>&1
NODE=$(kc get nodes -o jsonpath='{.items[0].metadata.name}')
expect_eq "no OCI runtime: Node Ready=False KubeletNotReady" "False KubeletNotReady" \
    "$(kc get node "$NODE" -o jsonpath='{range .status.conditions[?(@.type=="Ready")]}{.status} {.reason}{end}')"
expect_contains "no OCI runtime: the condition says why" 'OCI runtime "/nonexistent/runc" not found' \
    "$(kc get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}')"
expect_contains "no OCI runtime: anzen serve says so at start-up" "pods will not run on this node" "$(cat "$T/server.log")"
kc run idle -n default --image=alpine:latest --restart=Never --command -- true >/dev/null
sleep 1
expect_eq "no OCI runtime: the pod stays Pending, unscheduled" "Pending|" \
    "$(kc get pod idle -n default -o jsonpath='{.status.phase}|{.spec.nodeName}')"
expect_eq "no OCI runtime: the API keeps serving" "ok" "$(curl -sk "$BASE/readyz")"

e2e_finish
