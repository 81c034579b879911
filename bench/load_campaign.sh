#!/usr/bin/env bash
# Load campaign of issue 11 (docs/hardening.md records its figures). Against a fresh anzen
# (default: the ASan build, build-asan/anzen) it runs at the same time, for DURATION seconds:
#   - wrk, CONNS connections, GET of a ConfigMap list with a ServiceAccount token (view role);
#   - WRITERS writers creating and deleting 20 KB ConfigMaps (admin client certificate);
#   - WATCHERS watchers reading every event, SLOW slow watchers that never read;
#   - OVERSIZED clients sending 5 MB bodies (over the 3 MiB limit), half without credentials
#     (answered 401 before the body), half with the admin certificate (413 before the body).
# It samples the server's RSS every second and reports: wrk's requests/s and errors, the
# writers' and watchers' errors (well-behaved clients must see none), idle/peak/after RSS
# (after: 15 s and 90 s after the load stops), and any sanitizer report in the server log.
# WORKERS=n passes --workers n to the server (default: the server's own default, one request
# loop per online CPU).
#
# Budgets (docs/hardening.md "Load campaign"), printed as PASS/FAIL lines, exit status 1 on
# any FAIL:
#   - release build: peak <= PEAK_MB (100); 15 s after the load RSS <= idle + AFTER15_MB (60:
#     the watch window still holds the load's last 75 s of events, up to 32 MiB, as upstream's
#     eventFreshDuration; SQLite up to ~8 MiB); 90 s after (the events are stale and dropped)
#     RSS <= idle + AFTER_MB (25);
#   - ASan build (detected by the __asan_init symbol): peak <= idle + ASAN_PEAK_MB (200),
#     15 s and 90 s after <= idle + ASAN_AFTER15_MB / ASAN_AFTER_MB (100 each: ASan keeps its
#     16 MB quarantine, ~4.5 MB of per-thread ones, its per-thread allocator caches and stack
#     depot; 44-67 MB over idle in the recorded runs, and it did not fall between 15 s and 90 s), with ASAN_OPTIONS that make ASan's allocator give
#     memory back (a 16 MB quarantine instead of 256 MB, 64 KB per-thread quarantines, freed
#     memory returned to the system every second): without them its quarantine alone keeps
#     ~500 MB for good and "back near idle" cannot be checked;
#   - well-behaved clients (wrk, writers, watchers) see no error, and no watcher that reads
#     is closed before its timeout; no sanitizer report; the server is alive.
# ASAN_OPTIONS from the environment are added after these (so they can be overridden).
# Usage: [WORKERS=n] bench/load_campaign.sh [ANZEN] [DURATION] [CONNS]
set -u
ANZEN=${1:-build-asan/anzen}
DURATION=${2:-60}
CONNS=${3:-256}
WRITERS=${WRITERS:-4}
WATCHERS=${WATCHERS:-20}
SLOW=${SLOW:-10}
OVERSIZED=${OVERSIZED:-8}
WORKERS=${WORKERS:-}
PEAK_MB=${PEAK_MB:-100}
AFTER15_MB=${AFTER15_MB:-60}
AFTER_MB=${AFTER_MB:-25}
ASAN_PEAK_MB=${ASAN_PEAK_MB:-200}
ASAN_AFTER15_MB=${ASAN_AFTER15_MB:-100}
ASAN_AFTER_MB=${ASAN_AFTER_MB:-100}
[ -x "$ANZEN" ] || { echo "no executable $ANZEN (build it: see docs/hardening.md)"; exit 2; }
ASAN=0
nm -D "$ANZEN" 2>/dev/null | grep -q __asan_init && ASAN=1
nm "$ANZEN" 2>/dev/null | grep -q __asan_init && ASAN=1
CAMPAIGN_ASAN_OPTIONS="detect_leaks=0:quarantine_size_mb=16:thread_local_quarantine_size_kb=64:allocator_release_to_os_interval_ms=1000${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
command -v wrk >/dev/null || { echo "wrk is missing (scripts/install-deps.sh installs it)"; exit 2; }
T=$(mktemp -d /tmp/anzen-load.XXXXXX)
PORT=$((20000 + RANDOM % 20000))
BASE=https://127.0.0.1:$PORT
ASAN_OPTIONS=$CAMPAIGN_ASAN_OPTIONS "$ANZEN" serve --data-dir "$T/data" --listen 127.0.0.1:$PORT --no-node ${WORKERS:+--workers "$WORKERS"} >"$T/server.log" 2>&1 &
PID=$!
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; done; kill "$PID" 2>/dev/null; wait 2>/dev/null; }
trap cleanup EXIT
for _ in $(seq 300); do [ -f "$T/data/pki/ca.crt" ] && curl -s --cacert "$T/data/pki/ca.crt" "$BASE/readyz" 2>/dev/null | grep -q ok && break; sleep 0.2; done
export KUBECONFIG="$T/data/admin.kubeconfig"
kubectl create ns load >/dev/null
kubectl create sa reader -n load >/dev/null
kubectl create clusterrolebinding reader --clusterrole=view --serviceaccount=load:reader >/dev/null
TOKEN=$(kubectl create token reader -n load --duration=2h)
for i in $(seq 1 50); do kubectl create configmap "seed$i" -n load --from-literal=k=v >/dev/null; done
rss() { awk '/^VmRSS/ {print int($2/1024)}' "/proc/$PID/status"; }
IDLE=$(rss)
( while kill -0 "$PID" 2>/dev/null; do echo "$(date +%s) $(rss)"; sleep 1; done ) >"$T/rss.txt" &
PIDS="$PIDS $!"

python3 - "$T/data" "$PORT" "$DURATION" "$WRITERS" "$WATCHERS" "$SLOW" "$OVERSIZED" >"$T/clients.txt" 2>&1 <<'PY' &
import json, socket, ssl, sys, threading, time
d, port, duration, nw, nwatch, nslow, nover = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), *map(int, sys.argv[4:8])
ctx = ssl.create_default_context(cafile=d + "/pki/ca.crt")
ctx.load_cert_chain(d + "/pki/admin.crt", d + "/pki/admin.key")
anon = ssl.create_default_context(cafile=d + "/pki/ca.crt")
end = time.time() + duration
stats = {"writes": 0, "write_errors": 0, "watch_events": 0, "watch_errors": 0, "watch_closed_early": 0, "oversized": 0, "oversized_answers": {}}
lock = threading.Lock()
def conn(c=ctx):
    return c.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=120), server_hostname="127.0.0.1")
def request(s, method, path, body=b""):
    s.sendall(("%s %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (method, path, len(body))).encode() + body)
    f = s.makefile("rb")
    status = int(f.readline().split()[1])
    n = 0
    while True:
        l = f.readline().strip()
        if not l: break
        if l.lower().startswith(b"content-length:"): n = int(l.split(b":")[1])
    f.read(n)
    return status
def writer(w):
    s = conn(); i = 0
    while time.time() < end:
        name = "w%d-%d" % (w, i); i += 1
        try:
            a = request(s, "POST", "/api/v1/namespaces/load/configmaps", json.dumps({"metadata": {"name": name}, "data": {"k": "x" * 20000}}).encode())
            b = request(s, "DELETE", "/api/v1/namespaces/load/configmaps/" + name)
            ok = a == 201 and b == 200
        except Exception:
            ok = False; s = conn()
        with lock:
            stats["writes"] += 2
            if not ok: stats["write_errors"] += 1
def watcher():
    try:
        s = conn()
        s.sendall(b"GET /api/v1/namespaces/load/configmaps?watch=1&timeoutSeconds=%d HTTP/1.1\r\nHost: x\r\n\r\n" % int(duration + 5))
        f = s.makefile("rb")
        if int(f.readline().split()[1]) != 200: raise Exception("status")
        while f.readline().strip(): pass
        while time.time() < end:
            size = int(f.readline().strip(), 16)
            if size == 0:
                # the server ended a watch that reads every event (it ends a watcher that
                # falls behind): a well-behaved client must not see that during the load
                if time.time() < end - 1:
                    with lock: stats["watch_closed_early"] += 1
                break
            f.read(size + 2)
            with lock: stats["watch_events"] += 1
    except Exception:
        with lock: stats["watch_errors"] += 1
def slow():
    s = conn()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(b"GET /api/v1/namespaces/load/configmaps?watch=1 HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(duration)
def oversized(i):
    # a 5 MB body: without credentials (401) or with the admin certificate (413), each answered
    # before the body is read; the client reads the answer once the server stops reading
    while time.time() < end:
        try:
            s = conn(anon if i % 2 == 0 else ctx)
            s.sendall(b"POST /api/v1/namespaces/load/configmaps HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Type: application/json\r\nContent-Length: 5242880\r\n\r\n")
            s.settimeout(5)
            try:
                s.sendall(b"x" * (5 * 1024 * 1024))
            except Exception:
                pass
            s.settimeout(120)
            code = int(s.makefile("rb").readline().split()[1])
            s.close()
        except Exception as e:
            code = type(e).__name__
        with lock:
            stats["oversized"] += 1
            stats["oversized_answers"][str(code)] = stats["oversized_answers"].get(str(code), 0) + 1
ts = [threading.Thread(target=writer, args=(i,)) for i in range(nw)] + \
     [threading.Thread(target=watcher) for _ in range(nwatch)] + \
     [threading.Thread(target=slow) for _ in range(nslow)] + \
     [threading.Thread(target=oversized, args=(i,)) for i in range(nover)]
for t in ts: t.daemon = True; t.start()
time.sleep(duration + 10)
print(json.dumps(stats, sort_keys=True))
PY
CLIENTS=$!
wrk -t2 -c"$CONNS" -d"${DURATION}s" --timeout 30s -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/namespaces/load/configmaps" >"$T/wrk.txt" 2>&1
HEALTH=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 30 --cacert "$T/data/pki/ca.crt" "$BASE/healthz")
wait "$CLIENTS"
sleep 15
AFTER=$(rss)
sleep 75
AFTER90=$(rss)
PEAK=$(awk '{ if ($2 > m) m = $2 } END { print m }' "$T/rss.txt")
echo "== anzen load campaign: $ANZEN, workers ${WORKERS:-default ($(nproc))}, ${DURATION}s, wrk ${CONNS} connections, $WRITERS writers, $WATCHERS watchers, $SLOW slow watchers, $OVERSIZED oversized-body clients"
grep -E "Requests/sec|requests in|Non-2xx|Socket errors|Latency" "$T/wrk.txt"
echo "clients: $(cat "$T/clients.txt")"
echo "healthz at the end of the load: $HEALTH"
echo "RSS MB: idle $IDLE, peak $PEAK, 15 s after $AFTER, 90 s after $AFTER90"
REPORTS=$(grep -cE 'ERROR: AddressSanitizer|runtime error:' "$T/server.log")
echo "sanitizer reports: $REPORTS"
ALIVE=$(kill -0 "$PID" 2>/dev/null && echo yes || echo NO)
echo "server alive: $ALIVE"
[ "$ASAN" = 1 ] && echo "ASAN_OPTIONS=$CAMPAIGN_ASAN_OPTIONS"
FAILS=0
verdict() { # verdict OK TEXT
    if [ "$1" = 1 ]; then echo "PASS $2"; else echo "FAIL $2"; FAILS=$((FAILS + 1)); fi
}
if [ "$ASAN" = 1 ]; then
    verdict $((PEAK <= IDLE + ASAN_PEAK_MB)) "asan peak: $PEAK MB <= idle $IDLE + $ASAN_PEAK_MB MB"
    verdict $((AFTER <= IDLE + ASAN_AFTER15_MB)) "asan after 15 s: $AFTER MB <= idle $IDLE + $ASAN_AFTER15_MB MB"
    verdict $((AFTER90 <= IDLE + ASAN_AFTER_MB)) "asan after 90 s: $AFTER90 MB <= idle $IDLE + $ASAN_AFTER_MB MB"
else
    verdict $((PEAK <= PEAK_MB)) "release peak: $PEAK MB <= $PEAK_MB MB"
    verdict $((AFTER <= IDLE + AFTER15_MB)) "release after 15 s: $AFTER MB <= idle $IDLE + $AFTER15_MB MB"
    verdict $((AFTER90 <= IDLE + AFTER_MB)) "release after 90 s: $AFTER90 MB <= idle $IDLE + $AFTER_MB MB"
fi
C=$(cat "$T/clients.txt")
jsonv() { python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2], -1))' "$C" "$1" 2>/dev/null || echo -1; }
WRKERR=$(grep -cE "Non-2xx|Socket errors" "$T/wrk.txt")
verdict $((WRKERR == 0)) "wrk: no socket errors and no non-2xx answers"
verdict $(($(jsonv write_errors) == 0)) "writers: $(jsonv write_errors) errors in $(jsonv writes) writes"
verdict $(($(jsonv watch_errors) == 0 && $(jsonv watch_closed_early) == 0)) "watchers: $(jsonv watch_errors) errors, $(jsonv watch_closed_early) closed early, $(jsonv watch_events) events"
verdict $((REPORTS == 0)) "sanitizer reports: $REPORTS"
verdict $([ "$ALIVE" = yes ] && echo 1 || echo 0) "server alive"
echo "(logs in $T)"
[ "$FAILS" = 0 ]
