#!/usr/bin/env bash
# End-to-end durability: streams of creates from 8 concurrent writers (each its own HTTPS
# keep-alive connection, so that the store can group their commits) run in the background,
# the server is killed with SIGKILL mid-stream and restarted on the same data dir; every
# create that was answered 201 must be present afterwards with the same uid and
# resourceVersion, and resourceVersions keep increasing after the restart.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
server_start "$T/data" || exit 1

req POST /api/v1/namespaces -H 'Content-Type: application/json' -d '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"dur"}}'
expect_eq "create namespace dur" "201" "$CODE"

cat >"$T/stream.py" <<'PYEOF'
import http.client, json, ssl, sys, threading
port, pki, out, writers = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
ctx = ssl.create_default_context(cafile=pki + "/ca.crt")
ctx.load_cert_chain(pki + "/admin.crt", pki + "/admin.key")
log = open(out, "w", buffering=1)
lock = threading.Lock()
def emit(line):
    with lock:
        log.write(line + "\n")
def writer(w):
    conn = None
    i = 0
    while i < 100000:
        try:
            if conn is None:
                conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
            name = "cm-%d-%06d" % (w, i)
            body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                               "metadata": {"name": name}, "data": {"i": str(i)}})
            conn.request("POST", "/api/v1/namespaces/dur/configmaps", body,
                         {"Content-Type": "application/json", "User-Agent": "e2e-stream"})
            resp = conn.getresponse()
            data = resp.read()
            if resp.status == 201:
                m = json.loads(data)["metadata"]
                emit("%s 201 %s %s" % (name, m["uid"], m["resourceVersion"]))
            else:
                emit("%s %d" % (name, resp.status))
            i += 1
        except Exception as e:
            emit("# writer %d: error after %d: %r" % (w, i, e))
            break
threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
for t in threads:
    t.start()
for t in threads:
    t.join()
PYEOF
"$PY" "$T/stream.py" "$SERVER_PORT" "$SERVER_DIR/pki" "$T/stream.log" 8 &
SPID=$!
E2E_BG_PIDS="$SPID"
sleep 2.5
server_kill9
wait "$SPID"
E2E_BG_PIDS=""
N201=$(grep -c ' 201 ' "$T/stream.log")
echo "# $N201 creates answered 201 before kill -9; last lines:"
tail -n 2 "$T/stream.log" | sed 's/^/#   /'
expect_gt "the streams got some 201s before the kill" "$N201" 10
expect_eq "all 8 writers got 201s" "8" "$(awk '$2 == 201 {split($1, p, "-"); print p[2]}' "$T/stream.log" | sort -u | wc -l)"
expect_eq "no create failed before the kill" "0" "$(grep -vc -e ' 201 ' -e '^#' "$T/stream.log")"

server_start "$T/data" || { e2e_fail "restart after kill -9" "server up" "failed"; e2e_finish; }
e2e_pass "restart after kill -9"
acurl "$BASE/api/v1/namespaces/dur/configmaps" >"$T/list.json"
missing=$("$PY" - "$T/stream.log" "$T/list.json" <<'PYEOF'
import json, sys
items = {i["metadata"]["name"]: i for i in json.load(open(sys.argv[2]))["items"]}
bad = []
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) == 4 and f[1] == "201":
        it = items.get(f[0])
        if it is None:
            bad.append(f[0] + " missing")
        elif it["metadata"]["uid"] != f[2] or it["metadata"]["resourceVersion"] != f[3]:
            bad.append("%s changed: uid/rv %s/%s -> %s/%s" % (f[0], f[2], f[3], it["metadata"]["uid"], it["metadata"]["resourceVersion"]))
        elif it["data"]["i"] != str(int(f[0].rsplit("-", 1)[1])):
            bad.append(f[0] + " has wrong data")
print("\n".join(bad[:20]) + ("\n... %d problems" % len(bad) if len(bad) > 20 else ""))
PYEOF
)
expect_eq "every create answered 201 is present after kill -9 (same uid, resourceVersion, data)" "" "$missing"
MAXRV=$(awk '$2 == 201 {print $4}' "$T/stream.log" | sort -n | tail -n 1)
expect_eq "acknowledged resourceVersions are distinct" "$N201" "$(awk '$2 == 201 {print $4}' "$T/stream.log" | sort -u | wc -l)"
req POST /api/v1/namespaces/dur/configmaps -H 'Content-Type: application/json' -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"after"}}'
expect_eq "create after restart: 201" "201" "$CODE"
expect_gt "resourceVersion after restart is above every acknowledged one" "$(jget 'd["metadata"]["resourceVersion"]' "$T/body")" "$MAXRV"
LIST_RV=$(jget 'd["metadata"]["resourceVersion"]' "$T/list.json")
expect_gt "list resourceVersion after restart is at least the last acknowledged write" "$((LIST_RV + 1))" "$MAXRV"

# a second, clean restart keeps everything too
COUNT=$(acurl "$BASE/api/v1/namespaces/dur/configmaps" | jget 'len(d["items"])')
server_stop
expect_eq "SIGTERM: clean exit" "0" "$?"
server_start "$T/data" || { e2e_fail "second restart" "server up" "failed"; e2e_finish; }
expect_eq "object count unchanged across a clean restart" "$COUNT" "$(acurl "$BASE/api/v1/namespaces/dur/configmaps" | jget 'len(d["items"])')"
expect_eq "namespace survives both restarts" "Active" "$(acurl "$BASE/api/v1/namespaces/dur" | jget 'd["status"]["phase"]')"
out=$(kc get ns dur -o name 2>&1)
expect_eq "kubectl works after the restarts (kubeconfig/keys kept)" "namespace/dur" "$out"
e2e_finish
