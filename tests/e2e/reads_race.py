#!/usr/bin/env python3
"""reads_race.py BASE CA CERT KEY: GET and LIST served without the server's big lock (issue 10)
while writers change the very objects read, each client on its own keep-alive TLS connection
(so with --workers N the requests land on different request loops).

- WRITERS clients each create, update (twice) and delete their own ConfigMaps, labelled
  race=yes and gen=<n>. After every acknowledged write the writer reads the object back
  through a *second* connection (another loop, as often as not): the answer's
  resourceVersion is never older than the write's (a consistent read), an update's data is
  there, a deleted object is 404; and a consistent LIST (no resourceVersion) is at least at
  the write's revision.
- READERS clients read the same objects meanwhile: GET by name, LIST with a label selector
  (every item carries the label), a large object, with a field selector (only the named object), as a Table
  (a row per item, the columns), with protobuf asked first (JSON answered), paged with limit
  and continue (no item twice, the pages at the first page's revision). The revisions of one
  reader's consistent lists never go backwards.

Counts, not time: every writer does its share; readers run until the writers are done and at
least MIN_READS rounds. Prints one "ok"/"FAIL" line per client kind; exits 1 on any failure."""
import http.client
import json
import ssl
import sys
import threading
import urllib.parse

BASE, CA, CERT, KEY = sys.argv[1:5]
HOST, PORT = BASE.split("//")[1].split(":")
PORT = int(PORT)
NS = "race"
WRITERS, PER_WRITER = 3, 25
READERS, MIN_READS = 4, 30
CM = "/api/v1/namespaces/%s/configmaps" % NS
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"
PROTOBUF = "application/vnd.kubernetes.protobuf, application/json"
errors = []
lock = threading.Lock()
writers_done = threading.Event()


def fail(msg):
    with lock:
        errors.append(msg)


def conn():
    ctx = ssl.create_default_context(cafile=CA)
    ctx.load_cert_chain(CERT, KEY)
    return http.client.HTTPSConnection(HOST, PORT, context=ctx, timeout=300)


def call(c, method, path, body=None, accept=None, want=(200,)):
    headers = {"Content-Type": "application/json"}
    if accept:
        headers["Accept"] = accept
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    r = c.getresponse()
    data = r.read()
    if r.status not in want:
        fail("%s %s: %d %s" % (method, path, r.status, data[:200]))
        return None, r.status
    try:
        return json.loads(data), r.status
    except ValueError:
        fail("%s %s: not JSON: %r" % (method, path, data[:200]))
        return None, r.status


def rv_of(obj):
    return int(obj["metadata"]["resourceVersion"])


def q(**params):
    return "?" + urllib.parse.urlencode(params)


def writer(i):
    c, other = conn(), conn()
    for j in range(PER_WRITER):
        name = "w%d-%d" % (i, j)
        path = "%s/%s" % (CM, name)
        obj, _ = call(c, "POST", CM, {"metadata": {"name": name, "labels": {"race": "yes", "gen": "0"}},
                                      "data": {"v": "0"}}, want=(201,))
        if obj is None:
            continue
        wrote = rv_of(obj)
        for gen in (1, 2):
            got, _ = call(other, "GET", path)
            if got is not None and rv_of(got) < wrote:
                fail("GET %s after a write at %d: resourceVersion %d (older)" % (name, wrote, rv_of(got)))
            if got is not None and got.get("data", {}).get("v") != str(gen - 1):
                fail("GET %s after the write of v=%d: %r" % (name, gen - 1, got.get("data")))
            lst, _ = call(other, "GET", CM + q(labelSelector="race=yes"))
            if lst is not None:
                if rv_of(lst) < wrote:
                    fail("LIST after a write at %d: resourceVersion %s (older)" % (wrote, rv_of(lst)))
                if name not in [it["metadata"]["name"] for it in lst["items"]]:
                    fail("LIST after the create of %s at %d: not in it" % (name, wrote))
            obj["metadata"]["labels"]["gen"] = str(gen)
            obj["data"] = {"v": str(gen)}
            obj, _ = call(c, "PUT", path, obj)
            if obj is None:
                break
            wrote = rv_of(obj)
        if obj is None:
            continue
        got, _ = call(other, "GET", path)
        if got is not None and (rv_of(got) < wrote or got.get("data", {}).get("v") != "2"):
            fail("GET %s after the update at %d: %s %r" % (name, wrote, rv_of(got), got.get("data")))
        if j % 2 == 0:
            call(c, "DELETE", path)
            _, code = call(other, "GET", path, want=(404,))
            if code != 404:
                fail("GET %s after its delete: %d, want 404" % (name, code))


def reader(i):
    c = conn()
    last_rv, rounds = 0, 0
    while rounds < MIN_READS or not writers_done.is_set():
        rounds += 1
        name = "w%d-%d" % (rounds % WRITERS, rounds % PER_WRITER)
        # GET by name: 200 or 404 (the writers create and delete it meanwhile)
        got, code = call(c, "GET", "%s/%s" % (CM, name), want=(200, 404))
        if code == 200 and got is not None and (got.get("kind") != "ConfigMap" or got["metadata"]["name"] != name):
            fail("GET %s: %r %r" % (name, got.get("kind"), got["metadata"].get("name")))
        # LIST with a label selector: a consistent read, never older than the previous one
        lst, _ = call(c, "GET", CM + q(labelSelector="race=yes,gen!=9"))
        if lst is not None:
            if lst.get("kind") != "ConfigMapList":
                fail("LIST: kind %r" % lst.get("kind"))
            if rv_of(lst) < last_rv:
                fail("LIST went back: %d after %d" % (rv_of(lst), last_rv))
            last_rv = max(last_rv, rv_of(lst))
            for it in lst["items"]:
                if it["metadata"].get("labels", {}).get("race") != "yes":
                    fail("LIST race=yes: item %s without the label" % it["metadata"]["name"])
                if int(it["metadata"]["resourceVersion"]) > rv_of(lst):
                    fail("LIST at %d has %s at %s" % (rv_of(lst), it["metadata"]["name"], it["metadata"]["resourceVersion"]))
        # LIST with a field selector: the named object or nothing
        lst, _ = call(c, "GET", CM + q(fieldSelector="metadata.name=" + name))
        if lst is not None and [it["metadata"]["name"] for it in lst["items"]] not in ([], [name]):
            fail("LIST metadata.name=%s: %r" % (name, [it["metadata"]["name"] for it in lst["items"]]))
        # Table: one row per object, the columns
        t, _ = call(c, "GET", CM + q(labelSelector="race=yes"), accept=TABLE)
        if t is not None:
            cols = [cd["name"] for cd in t.get("columnDefinitions", [])]
            if t.get("kind") != "Table" or cols[:1] != ["Name"]:
                fail("Table: %r %r" % (t.get("kind"), cols))
            for row in t.get("rows", []):
                if row["object"]["kind"] != "PartialObjectMetadata" or row["cells"][0] != row["object"]["metadata"]["name"]:
                    fail("Table row: %r" % row)
        # a large object (sent as references to the cache's bytes, not one copied buffer)
        big, _ = call(c, "GET", "%s/big" % CM)
        if big is not None and (len(big.get("data", {})) != 300 or rv_of(big) <= 0):
            fail("GET big: %d keys" % len(big.get("data", {})))
        # protobuf asked first: the JSON answer
        got, code = call(c, "GET", "%s/%s" % (CM, name), accept=PROTOBUF, want=(200, 404))
        if code == 200 and got is not None and got.get("kind") != "ConfigMap":
            fail("GET (protobuf asked) %s: %r" % (name, got.get("kind")))
        # paged: limit 4 and continue; no name twice, every page at the first page's revision
        seen, cont, first_rv = set(), None, None
        for _ in range(100):
            params = {"limit": "4"}
            if cont:
                params["continue"] = cont
            page, code = call(c, "GET", "/api/v1/configmaps" + q(**params), want=(200, 410))
            if page is None or code == 410:
                break
            if first_rv is None:
                first_rv = rv_of(page)
            elif rv_of(page) != first_rv:
                fail("page at %d, the first at %d" % (rv_of(page), first_rv))
            for it in page["items"]:
                key = it["metadata"]["namespace"] + "/" + it["metadata"]["name"]
                if key in seen:
                    fail("paged list: %s twice" % key)
                seen.add(key)
            cont = page["metadata"].get("continue")
            if not cont:
                break
    return rounds


def main():
    c = conn()
    call(c, "POST", "/api/v1/namespaces", {"metadata": {"name": NS}}, want=(201,))
    call(c, "POST", CM, {"metadata": {"name": "big"}, "data": {"k%d" % i: "v" * 100 for i in range(300)}},
         want=(201,))
    rounds = [0] * READERS

    def run_reader(i):
        rounds[i] = reader(i)

    writers = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    readers = [threading.Thread(target=run_reader, args=(i,)) for i in range(READERS)]
    for t in writers + readers:
        t.start()
    for t in writers:
        t.join()
    writers_done.set()
    for t in readers:
        t.join()
    # the end state: exactly the odd-numbered objects, each at v=2 (a new connection: the
    # server closes one idle for longer than its keep-alive timeout)
    c = conn()
    lst, _ = call(c, "GET", CM + q(labelSelector="race=yes"))
    want = sorted("w%d-%d" % (i, j) for i in range(WRITERS) for j in range(PER_WRITER) if j % 2 == 1)
    names = sorted(it["metadata"]["name"] for it in lst["items"]) if lst else None
    if names != want:
        fail("the end state: %r, want %r" % (names, want))
    if lst and any(it["data"]["v"] != "2" or it["metadata"]["labels"]["gen"] != "2" for it in lst["items"]):
        fail("the end state: an object not at v=2")
    print("%s - %d writers x %d objects (create, 2 updates, half deleted), each write read back "
          "on another connection" % ("FAIL" if errors else "ok", WRITERS, PER_WRITER))
    print("%s - %d readers, %s rounds of get/list/selectors/Table/protobuf/paging"
          % ("FAIL" if errors else "ok", READERS, "+".join(str(r) for r in rounds)))
    for e in errors[:30]:
        print("  " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
