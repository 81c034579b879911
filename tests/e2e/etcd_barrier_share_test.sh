#!/bin/bash
# Shared consistent-read barriers stay consistent: many concurrent reads through replica C race
# a stream of writes through replica A; every read first notes the last write A acknowledged,
# and must see at least that write. C's watch holds back each event 100 ms (its cache lags)
# and its barrier thread holds each revision it fetched 50 ms (a slow round trip), so reads
# keep arriving while a fetch is in flight: they must share the next fetch, never the one in
# flight, whose revision may predate the write they noted (sharing that one fails this test).
# C's shutdown log shows the sharing happened (fewer fetches than reads).
. "$(dirname "$0")/lib.sh"
e2e_init

etcd_start 1 || exit 1
etcd_pair_setup
etcd_replica a "$PA"
PC=$(e2e_pick_port)
etcd_replica c "$PC" --testing-etcd-watch-delay 100 --testing-etcd-revision-delay 50
CPID=$REPLICA_PID
ka create namespace lab >/dev/null
ka create configmap ctr -n lab --from-literal=i=0 >/dev/null

cat >"$T/race.py" <<'EOF'
import http.client, json, random, ssl, sys, threading, time
pa, pc, da, dc = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
READERS, WRITES = 12, 40

def conn(port, d):
    ctx = ssl.create_default_context(cafile=d + "/pki/ca.crt")
    ctx.load_cert_chain(d + "/pki/admin.crt", d + "/pki/admin.key")
    ctx.check_hostname = False
    return http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=60)

lock = threading.Lock()
state = {"acked": 0, "reads": 0, "stale": [], "errors": [], "done": False}

def writer():
    c = conn(pa, da)
    i = 0
    while i < WRITES and not state["done"]:
        i += 1
        c.request("PATCH", "/api/v1/namespaces/lab/configmaps/ctr", json.dumps({"data": {"i": str(i)}}),
                  {"Content-Type": "application/merge-patch+json"})
        r = c.getresponse()
        r.read()
        if r.status != 200:
            with lock:
                state["errors"].append("write %d: %d" % (i, r.status))
            return
        with lock:
            state["acked"] = i
        time.sleep(0.15)  # pacing: C's watch holds each event 100 ms and must keep up

def reader():
    c = conn(pc, dc)
    while True:
        # arrivals spread over C's fetches (not in waves right after each completes)
        time.sleep(random.uniform(0, 0.05))
        with lock:
            if state["acked"] >= WRITES or state["errors"]:
                state["done"] = True
                return
            want = state["acked"]
        # a consistent list (no resourceVersion): served from C's cache after the barrier
        c.request("GET", "/api/v1/namespaces/lab/configmaps")
        r = c.getresponse()
        body = r.read()
        with lock:
            state["reads"] += 1
            if r.status != 200:
                state["errors"].append("read: %d" % r.status)
                continue
            got = [int(x["data"]["i"]) for x in json.loads(body)["items"] if x["metadata"]["name"] == "ctr"]
            if not got or got[0] < want:
                state["stale"].append("saw %s after write %d was acknowledged" % (got, want))

ts = [threading.Thread(target=writer)] + [threading.Thread(target=reader) for _ in range(READERS)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print("reads %d writes %d stale %d errors %d" % (state["reads"], state["acked"], len(state["stale"]), len(state["errors"])))
for s in (state["stale"] + state["errors"])[:5]:
    print("  " + s)
EOF
OUT=$("$PY" "$T/race.py" "$PA" "$PC" "$T/a" "$T/c" 2>&1)
echo "# $OUT"
expect_match "12 readers through the lagging C, racing 40 writes through A: no stale read, no error" \
    "^reads [0-9]+ writes 40 stale 0 errors 0$" "$(echo "$OUT" | head -1)"
NREADS=$(echo "$OUT" | head -1 | awk '{print $2}')
expect_gt "reads through C during the writes" "$NREADS" 40

kill -TERM "$CPID"
wait "$CPID" 2>/dev/null
# "etcd: G consistent reads shared F revision fetches": G barriers (one per group of reads
# parked in one turn of a request loop), F fetches of etcd's revision
LINE=$(grep "consistent reads shared" "$T/c.log" | tail -1)
echo "# C: $LINE"
FETCHES=$(echo "$LINE" | sed -n 's/.* shared \([0-9]*\) revision fetches.*/\1/p')
expect_gt "C fetched etcd's revision for its consistent reads" "${FETCHES:-0}" 0
expect_gt "concurrent reads shared revision fetches (reads minus fetches)" "$(( NREADS - ${FETCHES:-0} ))" 0
# on http:// every probe goes through the backend's own HTTP/2 client (src/store/etcd_probe.c)
OWN=$(echo "$LINE" | sed -n 's/.*, \([0-9]*\) on the own HTTP\/2 client.*/\1/p')
expect_eq "every revision fetch was answered on the own HTTP/2 client" "${FETCHES:-0}" "${OWN:-none}"
e2e_finish
