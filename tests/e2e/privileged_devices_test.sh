#!/usr/bin/env bash
# End-to-end: a privileged container gets the host's devices as containerd gives them
# (WithHostDevices: every character and block device under /dev, recursively, except pts/,
# shm/, fd/, mqueue/ and console; the device cgroup allows all), so e.g. losetup/kmsg work;
# an unprivileged container sees only the runtime's default devices and may not mknod one.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
e2e_node_server
host_devs() { find /dev \( -path /dev/pts -o -path /dev/shm -o -path /dev/fd -o -path /dev/mqueue \) -prune -o \( -type c -o -type b \) -print | grep -v -e '^/dev/console$' -e '^/dev/ptmx$' | sort; }
# (/dev/ptmx is runc's symlink to pts/ptmx in every container, as under containerd)
LIST='find /dev \( -path /dev/pts -o -path /dev/shm -o -path /dev/fd -o -path /dev/mqueue \) -prune -o \( -type c -o -type b \) -print | sort'
k apply -f - >/dev/null <<EOF2
apiVersion: v1
kind: Pod
metadata: {name: priv, namespace: default}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: alpine:latest
    securityContext: {privileged: true}
    command: [sh, -c, '$LIST; echo ---; head -c 1 /dev/kmsg >/dev/null && echo kmsg-readable']
---
apiVersion: v1
kind: Pod
metadata: {name: plain, namespace: default}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: alpine:latest
    command: [sh, -c, '$LIST; echo ---; mknod /tmp/k c 1 11 2>/dev/null && head -c 1 /tmp/k >/dev/null 2>&1 && echo kmsg-readable; echo end']
EOF2
expect_eq "privileged pod Succeeded" "Succeeded" "$(e2e_pod_phase priv default 'Succeeded|Failed' 60)"
expect_eq "plain pod Succeeded" "Succeeded" "$(e2e_pod_phase plain default 'Succeeded|Failed' 60)"
PLOG=$(k logs priv)
PDEVS=$(printf '%s\n' "$PLOG" | sed '/^---$/,$d')
HOST=$(host_devs)
expect_eq "privileged: every host device is there (none missing)" "" "$(comm -23 <(printf '%s\n' "$HOST") <(printf '%s\n' "$PDEVS"))"
expect_gt "privileged: more than the runtime's defaults" "$(printf '%s\n' "$PDEVS" | wc -l)" 10
expect_contains "privileged: a host device the defaults lack (loop-control)" "/dev/loop-control" "$PDEVS"
expect_contains "privileged: the device cgroup lets it read /dev/kmsg" "kmsg-readable" "$PLOG"
ULOG=$(k logs plain)
expect_eq "unprivileged: only the runtime's default devices" \
    "/dev/full /dev/null /dev/random /dev/tty /dev/urandom /dev/zero" "$(printf '%s\n' "$ULOG" | sed '/^---$/,$d' | xargs)"
expect_not_contains "unprivileged: no device of its own making is usable" "kmsg-readable" "$ULOG"
e2e_finish
