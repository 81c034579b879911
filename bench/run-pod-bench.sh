#!/usr/bin/env bash
# Pod start latency with the real runtime (runc, CNI bridge, the test image): starts
# `anzen serve` on a temporary data dir, imports scripts/make-test-image.sh's image as
# alpine:latest, then measures pod create → status.phase Running (seen on a watch) for N pods
# created one after the other, and for N pods created in one burst. Prints p50/p90/p99/max;
# never passes or fails on time. Needs root, runc and the CNI plugins. See docs/bench.md.
#   bench/run-pod-bench.sh [N]          (default 100)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
N=${1:-100}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 --target anzen >/dev/null
DIR=$(mktemp -d /tmp/anzen-pod-bench.XXXXXX)
PORT=$(( 30000 + RANDOM % 20000 ))
"$build/anzen" serve --data-dir "$DIR/data" --listen "127.0.0.1:$PORT" -v 1 >"$DIR/server.log" 2>&1 &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 100); do [ -f "$DIR/data/admin.kubeconfig" ] && curl -sk "https://127.0.0.1:$PORT/readyz" | grep -q ok && break; sleep 0.1; done
"$root/scripts/make-test-image.sh" "$DIR/image" >/dev/null
"$build/anzen" image import --data-dir "$DIR/data" "$DIR/image" --name alpine:latest >/dev/null
KUBECONFIG="$DIR/data/admin.kubeconfig" N=$N /usr/bin/python3 - <<'PY'
import os, threading, time
from kubernetes import client, config, watch
config.load_kube_config(os.environ["KUBECONFIG"])
v1 = client.CoreV1Api()
n = int(os.environ["N"])

def pod(name):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"restartPolicy": "Never", "terminationGracePeriodSeconds": 0,
                     "containers": [{"name": "c", "image": "alpine:latest", "command": ["sleep", "3600"]}]}}

def run(label, names, burst):
    created, running = {}, {}
    done = threading.Event()
    def watcher():
        w = watch.Watch()
        for ev in w.stream(v1.list_namespaced_pod, "default", timeout_seconds=600):
            o = ev["object"]
            if o.metadata.name in names and o.status.phase == "Running" and o.metadata.name not in running:
                running[o.metadata.name] = time.monotonic()
                if len(running) == len(names):
                    w.stop()
        done.set()
    t = threading.Thread(target=watcher, daemon=True)
    t.start()
    time.sleep(0.5)
    t0 = time.monotonic()
    for name in names:
        created[name] = time.monotonic()
        v1.create_namespaced_pod("default", pod(name))
        if not burst:
            while name not in running and not done.is_set():
                time.sleep(0.002)
    done.wait(600)
    total = time.monotonic() - t0
    lat = sorted((running[k] - created[k]) * 1000 for k in names if k in running)
    pick = lambda p: lat[min(len(lat) - 1, int(round(p / 100 * (len(lat) - 1))))]
    print(f"{label:<22} {len(lat):>4}/{len(names)} Running   p50 {pick(50):7.1f} ms   p90 {pick(90):7.1f} ms"
          f"   p99 {pick(99):7.1f} ms   max {lat[-1]:7.1f} ms   total {total:6.1f} s")
    t1 = time.monotonic()
    for name in names:
        v1.delete_namespaced_pod(name, "default", grace_period_seconds=0)
    while v1.list_namespaced_pod("default").items:
        time.sleep(0.1)
    print(f"{'':<22} deleting them (containers killed, sandboxes removed): {time.monotonic() - t1:6.1f} s")

print(f"pod create -> Running, {n} pods, runc + CNI bridge, image alpine:latest (test image)")
run("one after the other", [f"seq-{i}" for i in range(n)], False)
run("in one burst", [f"burst-{i}" for i in range(n)], True)
PY
