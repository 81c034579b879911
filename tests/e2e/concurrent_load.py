#!/usr/bin/env python3
"""concurrent_load.py BASE CA CERT KEY: a fixed amount of concurrent work against anzen from
several clients at once (issue 10 Deliver 5: the ThreadSanitizer run of tsan_load.sh), each on
its own keep-alive TLS connection: creates, lists, gets, watches, SelfSubjectAccessReviews and
TokenRequests with a ServiceAccount token, health checks. Counts, not time: every client does
its share and checks each answer; the watchers must see every create and delete. Prints one
"ok"/"FAIL" line per client kind and exits 1 on any failure."""
import http.client
import json
import ssl
import sys
import threading

BASE, CA, CERT, KEY = sys.argv[1:5]
HOST, PORT = BASE.split("//")[1].split(":")
PORT = int(PORT)
NS = "load"
CREATORS, PER_CREATOR = 3, 30
errors = []
lock = threading.Lock()


def conn(cert=True):
    ctx = ssl.create_default_context(cafile=CA)
    if cert:
        ctx.load_cert_chain(CERT, KEY)
    return http.client.HTTPSConnection(HOST, PORT, context=ctx, timeout=300)


def call(c, method, path, body=None, token=None, want=(200,)):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    r = c.getresponse()
    data = r.read()
    if r.status not in want:
        with lock:
            errors.append("%s %s: %d %s" % (method, path, r.status, data[:200]))
        return None
    return json.loads(data) if data[:1] == b"{" else data


def fail(msg):
    with lock:
        errors.append(msg)


def setup():
    c = conn()
    call(c, "POST", "/api/v1/namespaces", {"metadata": {"name": NS}}, want=(201,))
    call(c, "POST", "/api/v1/namespaces/%s/serviceaccounts" % NS, {"metadata": {"name": "runner"}}, want=(201,))
    tr = call(c, "POST", "/api/v1/namespaces/%s/serviceaccounts/runner/token" % NS,
              {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}}, want=(201,))
    rv = call(c, "GET", "/api/v1/namespaces/%s/configmaps" % NS)["metadata"]["resourceVersion"]
    return tr["status"]["token"], rv


def creator(i):
    c = conn()
    for j in range(PER_CREATOR):
        name = "c%d-%d" % (i, j)
        call(c, "POST", "/api/v1/namespaces/%s/configmaps" % NS,
             {"metadata": {"name": name}, "data": {"k": name}}, want=(201,))
        if j % 3 == 2:
            call(c, "PUT", "/api/v1/namespaces/%s/configmaps/%s" % (NS, name),
                 {"metadata": {"name": name}, "data": {"k": "updated"}})
    for j in range(0, PER_CREATOR, 2):
        call(c, "DELETE", "/api/v1/namespaces/%s/configmaps/c%d-%d" % (NS, i, j))


def lister():
    c = conn()
    for _ in range(40):
        lst = call(c, "GET", "/api/v1/namespaces/%s/configmaps" % NS)
        if lst is not None and lst.get("kind") != "ConfigMapList":
            fail("list: %r" % lst.get("kind"))
        call(c, "GET", "/api/v1/namespaces/%s/serviceaccounts/runner" % NS)
        call(c, "GET", "/api/v1/configmaps?limit=5")


def watcher(rv, seen):
    c = conn()
    c.request("GET", "/api/v1/namespaces/%s/configmaps?watch=1&resourceVersion=%s&timeoutSeconds=600" % (NS, rv))
    r = c.getresponse()
    want_added, want_deleted = CREATORS * PER_CREATOR, CREATORS * ((PER_CREATOR + 1) // 2)
    buf = b""
    while seen["ADDED"] < want_added or seen["DELETED"] < want_deleted:
        chunk = r.read1(65536) if hasattr(r, "read1") else r.read(1)
        if not chunk:
            fail("watch ended early: %r" % seen)
            return
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if line.strip():
                ev = json.loads(line)
                seen[ev["type"]] = seen.get(ev["type"], 0) + 1
    c.close()


def reviewer(token):
    c = conn(cert=False)
    for _ in range(40):
        body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                "spec": {"resourceAttributes": {"namespace": NS, "verb": "list", "resource": "configmaps"}}}
        out = call(c, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body,
                   token=token, want=(201,))
        if out is not None and out["status"].get("allowed"):
            fail("SSAR of the SA: %r" % out["status"])


def token_requester():
    c = conn()
    for _ in range(20):
        tr = call(c, "POST", "/api/v1/namespaces/%s/serviceaccounts/runner/token" % NS,
                  {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}}, want=(201,))
        if tr is not None:
            call(conn(cert=False), "GET", "/api/v1/namespaces/%s/configmaps" % NS,
                 token=tr["status"]["token"], want=(403,))


def health():
    c, m = conn(cert=False), conn()
    for _ in range(60):
        for p in ("/healthz", "/readyz", "/livez"):
            call(c, "GET", p)
        call(m, "GET", "/version")
    call(m, "GET", "/metrics")


def main():
    token, rv = setup()
    seen = [{"ADDED": 0, "DELETED": 0} for _ in range(2)]
    threads = [threading.Thread(target=watcher, args=(rv, s)) for s in seen]
    threads += [threading.Thread(target=creator, args=(i,)) for i in range(CREATORS)]
    threads += [threading.Thread(target=lister) for _ in range(2)]
    threads += [threading.Thread(target=reviewer, args=(token,)) for _ in range(2)]
    threads += [threading.Thread(target=token_requester) for _ in range(2)]
    threads += [threading.Thread(target=health)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, s in enumerate(seen):
        print("# watcher %d saw %r" % (i, s))
    for e in errors[:20]:
        print("FAIL - " + e)
    if errors:
        print("FAIL - %d errors under concurrent load" % len(errors))
        return 1
    print("ok - concurrent load: %d creates, lists, watches, SSARs, TokenRequests, health checks" % (CREATORS * PER_CREATOR))
    return 0


if __name__ == "__main__":
    sys.exit(main())
