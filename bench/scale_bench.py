#!/usr/bin/env python3
"""scale_bench.py — issue 9's population against a real `anzen serve --no-node`: N
ServiceAccounts + N Pods + N RoleBindings in 20 namespaces, created over keep-alive HTTPS by 8
clients; prints RSS after the creates, after five full pod lists, the peak (VmHWM), and list
times (median of 5) for the issue's cases.

usage: bench/scale_bench.py ANZEN_BINARY [N ...]   (default N: 1000 10000)
Not part of ctest (minutes of load); figures go to docs/bench.md. nginx is not compared here.
"""
import http.client
import json
import os
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

NS = 20


def conn(port, d):
    ctx = ssl.create_default_context(cafile=os.path.join(d, "pki/ca.crt"))
    ctx.load_cert_chain(os.path.join(d, "pki/admin.crt"), os.path.join(d, "pki/admin.key"))
    return http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=300)


def call(c, method, path, body=None):
    hdrs = {"Content-Type": "application/json", "User-Agent": "scale-bench"}
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=hdrs)
    r = c.getresponse()
    data = r.read()
    return r.status, data


def status_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def run(binary, n):
    d = tempfile.mkdtemp(prefix="scale-bench.")
    port = 20000 + os.getpid() % 20000
    log = open(os.path.join(d, "server.log"), "w")
    p = subprocess.Popen([binary, "serve", "--no-node", "--data-dir", d, "--listen", "127.0.0.1:%d" % port],
                         stdout=log, stderr=log)
    try:
        for _ in range(600):
            try:
                c = conn(port, d)
                if call(c, "GET", "/readyz")[0] == 200:
                    break
            except Exception:
                pass
            time.sleep(0.2)
        c = conn(port, d)
        for i in range(NS):
            call(c, "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns%d" % i}})
        for i in range(NS):  # the ServiceAccount controller creates "default"
            for _ in range(300):
                if call(c, "GET", "/api/v1/namespaces/ns%d/serviceaccounts/default" % i)[0] == 200:
                    break
                time.sleep(0.1)

        def worker(w):
            cc = conn(port, d)
            for j in range(w, n, 8):
                ns = "ns%d" % (j % NS)
                call(cc, "POST", "/api/v1/namespaces/%s/serviceaccounts" % ns,
                     {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "sa%d" % j}})
                call(cc, "POST", "/api/v1/namespaces/%s/pods" % ns,
                     {"apiVersion": "v1", "kind": "Pod",
                      "metadata": {"name": "p%d" % j, "labels": {"app": "a%d" % (j % 50)}},
                      "spec": {"serviceAccountName": "sa%d" % j,
                               "containers": [{"name": "c", "image": "busybox", "command": ["sleep", "3600"]}]}})
                call(cc, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/%s/rolebindings" % ns,
                     {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "rb%d" % j},
                      "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
                      "subjects": [{"kind": "ServiceAccount", "name": "sa%d" % j, "namespace": ns}]})

        t0 = time.time()
        ts = [threading.Thread(target=worker, args=(w,)) for w in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        create_s = time.time() - t0
        rss_created = status_kb(p.pid, "VmRSS")
        c = conn(port, d)  # the first one idled through the creates

        def timed(path):
            xs = []
            size = 0
            for _ in range(5):
                t = time.time()
                st, data = call(c, "GET", path)
                xs.append((time.time() - t) * 1000)
                size = len(data)
                assert st == 200, (path, st, data[:200])
            return statistics.median(xs), size

        full, full_size = timed("/api/v1/pods")
        rss_lists = status_kb(p.pid, "VmRSS")
        page, _ = timed("/api/v1/pods?limit=500")
        one_ns, _ = timed("/api/v1/namespaces/ns7/pods")
        sel, _ = timed("/api/v1/pods?labelSelector=app%3Da7")
        page200, _ = timed("/api/v1/pods?limit=200")
        hwm = status_kb(p.pid, "VmHWM")

        def lister(_):
            cc = conn(port, d)
            st, _data = call(cc, "GET", "/api/v1/pods")
            assert st == 200

        ts = [threading.Thread(target=lister, args=(k,)) for k in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        hwm8 = status_kb(p.pid, "VmHWM")
        print("N=%d (x3 objects): creates %.1f s; RSS after creates %d MB, after five full lists %d MB, peak %d MB"
              % (n, create_s, rss_created // 1024, rss_lists // 1024, hwm // 1024))
        print("  GET /api/v1/pods (%d pods, %.1f MB): %.0f ms" % (n, full_size / 1e6, full))
        print("  limit=500: %.1f ms; one namespace (%d pods): %.1f ms; labelSelector app=a7: %.1f ms; limit=200: %.1f ms"
              % (page, n // NS, one_ns, sel, page200))
        print("  eight clients listing all pods at once: peak (VmHWM) %d MB" % (hwm8 // 1024))
        sys.stdout.flush()
    finally:
        p.terminate()
        p.wait()
        shutil.rmtree(d, ignore_errors=True)


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    for n in [int(x) for x in sys.argv[2:]] or [1000, 10000]:
        run(sys.argv[1], n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
