#!/usr/bin/env bash
# End-to-end regression tests of issue 11 (hardening): nothing wedges the server, upstream's
# answers at the edges, bounded memory per client, max-in-flight, audit log and /metrics.
# Each section names the finding it guards.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
server_start "$T/data" || exit 1
J=(-H 'Content-Type: application/json')
CR=/apis/rbac.authorization.k8s.io/v1/clusterroles

# healthy: /healthz answers ok within 10 s (a safety net, not a timing assertion)
healthy() { [ "$(acurl -s --max-time 10 "$BASE/healthz" 2>/dev/null)" = ok ]; }
rv_of() { acurl -s --max-time 10 "$BASE$CR/$1" | jget 'd["metadata"]["resourceVersion"]'; }
# settled NAME...: the roles' resourceVersions are the same on two reads 1 s apart
settled()
{
    local a b
    a=$(for n in "$@"; do rv_of "$n"; done)
    sleep 1
    b=$(for n in "$@"; do rv_of "$n"; done)
    [ "$a" = "$b" ] && [ -n "$a" ]
}

# ---- the aggregation wedge: two roles aggregating each other -------------------------------
req POST "$CR" "${J[@]}" -d '{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"agg-a"},"aggregationRule":{"clusterRoleSelectors":[{}]}}'
expect_eq "wedge: first aggregating role created" 201 "$CODE"
req POST "$CR" "${J[@]}" -d '{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"agg-b"},"aggregationRule":{"clusterRoleSelectors":[{}]},"rules":[{"verbs":[[[[[[]]]]]],"apiGroups":[""],"resources":["pods"]}]}'
expect_eq "wedge: nested verbs refused 400" 400 "$CODE"
expect_eq "wedge: nested verbs message" 'ClusterRole in version "v1" cannot be handled as a ClusterRole: json: cannot unmarshal array into Go struct field PolicyRule.rules.verbs of type string' "$(jget 'd["message"]' "$T/body")"
req POST "$CR" "${J[@]}" -d '{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"agg-b"},"aggregationRule":{"clusterRoleSelectors":[{}]},"rules":[{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}]}'
expect_eq "wedge: second aggregating role created" 201 "$CODE"
# a three-role cycle: c selects d, d selects e, e selects c (upstream's controller oscillates)
for p in "c d" "d e" "e c"; do
    set -- $p
    req POST "$CR" "${J[@]}" -d '{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"cyc-'$1'","labels":{"cyc":"'$1'"}},"aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"cyc":"'$2'"}}]}}'
done
req POST "$CR" "${J[@]}" -d '{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"leaf","labels":{"cyc":"d"}},"rules":[{"verbs":["list"],"apiGroups":[""],"resources":["secrets"]}]}'
expect_eq "wedge: leaf role created" 201 "$CODE"
if healthy; then e2e_pass "wedge: /healthz answers"; else e2e_fail "wedge: /healthz answers" ok "timeout"; fi
if wait_until 60 settled agg-a agg-b cyc-c cyc-d cyc-e; then e2e_pass "wedge: aggregation settles"; else e2e_fail "wedge: aggregation settles" "stable resourceVersions" "still changing"; fi
N=$(acurl -s "$BASE$CR/agg-a" | jget 'len(d["rules"])')
expect_gt "wedge: agg-a aggregated every other role's rules" "$N" 50
expect_eq "wedge: agg-a holds no rule twice" "$N" "$(acurl -s "$BASE$CR/agg-a" | jget 'len(set(json.dumps(r, sort_keys=True) for r in d["rules"]))')"
expect_eq "wedge: cycle gets the leaf's rules through the chain" '[{"verbs":["list"],"apiGroups":[""],"resources":["secrets"]}]' "$(acurl -s "$BASE$CR/cyc-e" | jget 'd["rules"]')"

# ---- restart on a database holding the wedge (as the old server stored it) -----------------
server_stop
"$PY" - "$T/data/anzen.db" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
row = db.execute("SELECT id, value FROM kv WHERE name LIKE '%clusterroles/agg-b' ORDER BY id DESC LIMIT 1").fetchone()
o = json.loads(row[1])
o["rules"] = [{"verbs": [[[[[[]]]]]], "apiGroups": [""], "resources": ["pods"]}]
db.execute("UPDATE kv SET value = ? WHERE id = ?", (json.dumps(o).encode(), row[0]))
db.commit()
PY
server_start "$T/data" || exit 1
if healthy; then e2e_pass "restart on the wedge database: /healthz answers"; else e2e_fail "restart on the wedge database: /healthz answers" ok timeout; fi
if wait_until 60 settled agg-a agg-b; then e2e_pass "restart: aggregation settles"; else e2e_fail "restart: aggregation settles" "stable resourceVersions" "still changing"; fi
req GET "$CR/agg-a"
expect_eq "restart: roles readable" 200 "$CODE"
server_stop
expect_eq "restart: SIGTERM stops the server" 0 "$?"
server_start "$T/data" || exit 1

# ---- quadratic aggregation: one role with 2,000 rules labelled aggregate-to-view -----------
"$PY" - >"$T/big.json" <<'PY'
import json
rules = [{"verbs": ["get"], "apiGroups": ["g%d.example.com" % i], "resources": ["r%d" % i]} for i in range(2000)]
print(json.dumps({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                  "metadata": {"name": "big", "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
                  "rules": rules}))
PY
req POST "$CR" "${J[@]}" --data-binary @"$T/big.json"
expect_eq "quadratic: 2,000-rule role created" 201 "$CODE"
if healthy; then e2e_pass "quadratic: /healthz answers"; else e2e_fail "quadratic: /healthz answers" ok timeout; fi
wait_until 60 settled view edit admin >/dev/null
expect_gt "quadratic: view aggregated the 2,000 rules" "$(acurl -s "$BASE$CR/view" | jget 'len(d["rules"])')" 2000
expect_gt "quadratic: admin aggregated them through edit" "$(acurl -s "$BASE$CR/admin" | jget 'len(d["rules"])')" 2000

# ---- NUL: stored and read back in data; refused in names and labels ------------------------
CM=/api/v1/namespaces/default/configmaps
req POST "$CM" "${J[@]}" -d '{"metadata":{"name":"nul"},"data":{"k":"a\u0000b"}}'
expect_eq "NUL in data: created" 201 "$CODE"
req GET "$CM/nul"
expect_eq "NUL in data: GET 200" 200 "$CODE"
expect_eq "NUL in data: read back" '"a\u0000b"' "$(jget 'json.dumps(d["data"]["k"])' "$T/body")"
expect_contains "NUL in data: listed" '"nul"' "$(acurl -s "$BASE$CM" | jget '[i["metadata"]["name"] for i in d["items"]]')"
req PATCH "$CM/nul" -H 'Content-Type: application/merge-patch+json' -d '{"data":{"m":"\u0000"}}'
expect_eq "NUL in data: merge patch 200" 200 "$CODE"
req DELETE "$CM/nul"
expect_eq "NUL in data: DELETE 200" 200 "$CODE"
req POST "$CM" "${J[@]}" -d '{"metadata":{"name":"nul"}}'
expect_eq "NUL in data: name free again" 201 "$CODE"
req POST "$CM" "${J[@]}" -d '{"metadata":{"name":"a\u0000b"}}'
expect_eq "NUL in name: 422" 422 "$CODE"
expect_contains "NUL in name: message" 'metadata.name: Invalid value: \"a\\x00b\": a lowercase RFC 1123 subdomain' "$BODY"
req GET "$CM/a"
expect_eq "NUL in name: nothing squats the prefix" 404 "$CODE"
req POST "$CM" "${J[@]}" -d '{"metadata":{"name":"lbl","labels":{"x":"a\u0000b"}}}'
expect_eq "NUL in a label value: 422" 422 "$CODE"
req PATCH "$CM/nul" -H 'Content-Type: application/merge-patch+json' -d '{"metadata":{"labels":{"x":"\u0000"}}}'
expect_eq "NUL in a label by merge patch: 422" 422 "$CODE"
req POST /api/v1/namespaces "${J[@]}" -d '{"metadata":{"name":"n\u0000s"}}'
expect_eq "NUL in a namespace name: 422" 422 "$CODE"

# ---- edges: media types, request targets, continue, resourceVersion -------------------------
req POST "$CM" -H 'Content-Type: application/jsonxyz' -d '{"metadata":{"name":"ct1"}}'
expect_eq "Content-Type application/jsonxyz: 415" 415 "$CODE"
expect_eq "415 message" "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf" "$(jget 'd["message"]' "$T/body")"
req POST "$CM" -d '{"metadata":{"name":"ct2"}}'
expect_eq "form-encoded body: 415" 415 "$CODE"
req POST "$CM" -H 'Content-Type:' -d '{"metadata":{"name":"ct3"}}'
expect_eq "no Content-Type: JSON, as upstream" 201 "$CODE"
req POST "$CM" -H 'Content-Type: Application/JSON; charset=utf-8' -d '{"metadata":{"name":"ct4"}}'
expect_eq "Content-Type with case and parameters: JSON" 201 "$CODE"
# libfyaml loops forever on some malformed UTF-8 (found by fuzz/audit_policy_fuzz.c)
printf 's:\n%% lel: "}\3773' >"$T/bomb.yaml"
req POST "$CM" -H 'Content-Type: application/yaml' --max-time 30 --data-binary @"$T/bomb.yaml"
expect_eq "YAML body with malformed UTF-8: 400" 400 "$CODE"
if healthy; then e2e_pass "YAML body with malformed UTF-8: server keeps serving"; else e2e_fail "YAML body with malformed UTF-8: server keeps serving" ok timeout; fi
req GET "$CM/nul%00x"
expect_eq "%00 in the path: 404" 404 "$CODE"
expect_eq "%00 in the path: Status" NotFound "$(jget 'd["reason"]' "$T/body")"
req GET "$CM" --request-target 'api/v1/namespaces'
expect_eq "request line without a leading slash: 400" 400 "$CODE"
req GET "$CM?continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6OTk5OTk5OTksInN0YXJ0IjoiYSJ9"
expect_eq "forged continue: 400" 400 "$CODE"
expect_eq "forged continue: message" "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)" "$(jget 'd["message"]' "$T/body")"
req GET "$CM?resourceVersion=99999999999999999999"
expect_eq "resourceVersion too large: 504" 504 "$CODE"
expect_match "resourceVersion too large: message" '^Timeout: Too large resource version: 99999999999999999999, current: [0-9]+$' "$(jget 'd["message"]' "$T/body")"
expect_eq "resourceVersion too large: cause" '[{"reason":"ResourceVersionTooLarge","message":"Too large resource version"}]' "$(jget 'd["details"]["causes"]' "$T/body")"
expect_eq "resourceVersion too large: Retry-After" 1 "$(header retry-after)"
req GET "$CM?resourceVersion=1&resourceVersionMatch=Exact"
expect_eq "Exact before compaction: 200" 200 "$CODE"
# compaction as the compactor leaves it (it runs every 5 minutes): compact_rev above 1
server_stop
"$PY" -c 'import sqlite3,sys; db=sqlite3.connect(sys.argv[1]); db.execute("INSERT OR REPLACE INTO meta(name,value) VALUES(\"compact_rev\", 50)"); db.commit()' "$T/data/anzen.db"
server_start "$T/data" || exit 1
req GET "$CM?resourceVersion=1&resourceVersionMatch=Exact"
expect_eq "Exact after compaction: 410" 410 "$CODE"
expect_eq "Exact after compaction: Status" 'Expired|The resourceVersion for the provided list is too old.' "$(jget 'd["reason"]+"|"+d["message"]' "$T/body")"

# ---- audit log at Metadata: the seed's 403, and no credential in the log -------------------
server_stop
cat >"$T/policy.yaml" <<'YAML'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: None
  nonResourceURLs: ["/healthz*", "/readyz*", "/livez*"]
- level: RequestResponse
  resources:
  - group: ""
    resources: ["secrets", "configmaps", "serviceaccounts/token"]
- level: Request
  resources:
  - group: "authentication.k8s.io"
    resources: ["tokenreviews"]
- level: Metadata
YAML
SERVE_FLAGS="--no-node --audit-log-path $T/audit/audit.log --audit-policy-file $T/policy.yaml --audit-log-maxsize 1 --audit-log-maxbackup 2"
mkdir -p "$T/audit"
server_start "$T/data" || exit 1
kc apply -f "$SEED/manifests.yaml" >/dev/null
wait_until 20 kc get sa default -n lab >/dev/null 2>&1
TOKEN=$(kc create token default -n lab)
CODE=$(curl -sS -o "$T/body" -w '%{http_code}' --cacert "$SERVER_DIR/pki/ca.crt" -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/namespaces/default/pods/test")
expect_eq "audit: the seed's 403" 403 "$CODE"
SECRET_VALUE=c3VwZXItc2VjcmV0LXZhbHVl
req POST /api/v1/namespaces/lab/secrets "${J[@]}" -d '{"metadata":{"name":"s1"},"data":{"k":"'$SECRET_VALUE'"},"stringData":{"p":"plain-secret-text"}}'
expect_eq "audit: secret created" 201 "$CODE"
req GET /api/v1/namespaces/lab/secrets/s1
req POST /apis/authentication.k8s.io/v1/tokenreviews "${J[@]}" -d '{"spec":{"token":"'$TOKEN'"}}'
expect_eq "audit: tokenreview" 201 "$CODE"
req POST /api/v1/namespaces/lab/configmaps "${J[@]}" -d '{"metadata":{"name":"audited"},"data":{"visible":"cm-value"}}'
noauth_req GET /api/v1/namespaces -H "Authorization: Bearer not-a-token"
expect_eq "audit: bad token 401" 401 "$CODE"
LOG=$(cat "$T/audit/audit.log")
EV=$(printf '%s\n' "$LOG" | "$PY" -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    if e.get("objectRef", {}).get("resource") == "pods" and e["user"].get("username") == "system:serviceaccount:lab:default":
        print(json.dumps(e)); break
')
expect_eq "audit: event kind/apiVersion/level/stage" "Event audit.k8s.io/v1 Metadata ResponseComplete" "$(printf '%s' "$EV" | jget 'd["kind"]+" "+d["apiVersion"]+" "+d["level"]+" "+d["stage"]')"
expect_eq "audit: authorization.k8s.io/decision forbid" forbid "$(printf '%s' "$EV" | jget 'd["annotations"]["authorization.k8s.io/decision"]')"
expect_eq "audit: objectRef" '{"resource":"pods","namespace":"default","name":"test","apiVersion":"v1"}' "$(printf '%s' "$EV" | jget 'd["objectRef"]')"
expect_eq "audit: responseStatus code and reason" "403 Forbidden" "$(printf '%s' "$EV" | jget 'str(d["responseStatus"]["code"])+" "+d["responseStatus"]["reason"]')"
expect_eq "audit: verb and requestURI" "get /api/v1/namespaces/default/pods/test" "$(printf '%s' "$EV" | jget 'd["verb"]+" "+d["requestURI"]')"
expect_ne "audit: credential-id in user.extra" "" "$(printf '%s' "$EV" | jget 'd["user"]["extra"]["authentication.kubernetes.io/credential-id"][0]')"
expect_eq "audit: no RequestReceived (omitStages)" 0 "$(printf '%s\n' "$LOG" | grep -c '"stage":"RequestReceived"')"
expect_eq "audit: health checks at None" 0 "$(printf '%s\n' "$LOG" | grep -c '"/readyz"')"
expect_contains "audit: configmap body at RequestResponse" 'cm-value' "$LOG"
expect_contains "audit: failed authentication logged" '"stage":"ResponseStarted"' "$LOG"
expect_not_contains "audit: no token in the log" "$TOKEN" "$LOG"
expect_not_contains "audit: no token signature in the log" "${TOKEN##*.}" "$LOG"
expect_not_contains "audit: no Secret value in the log" "$SECRET_VALUE" "$LOG"
expect_not_contains "audit: no Secret stringData in the log" "plain-secret-text" "$LOG"
expect_not_contains "audit: no bad token in the log" "not-a-token" "$LOG"
# rotation: past 1 MB the file is renamed audit-<time>.log, at most 2 backups kept
for i in $(seq 1 12); do
    "$PY" -c 'import json; print(json.dumps({"metadata":{"name":"big'$i'"},"data":{"x":"y"*300000}}))' >"$T/bigcm.json"
    acurl -s -o /dev/null -H 'Content-Type: application/json' --data-binary @"$T/bigcm.json" "$BASE/api/v1/namespaces/lab/configmaps"
done
# (the event of a request is written just after its response is sent: poll until the last
# one is in, so no rotation is between its rename and its pruning when the files are counted)
backups() { ls "$T/audit" | grep -c '^audit-.*\.log$'; }
last_logged() { grep -qs '"name":"big12"' "$T"/audit/*.log; }
wait_until 20 last_logged
two_backups() { [ "$(backups)" = 2 ]; }
wait_until 10 two_backups
expect_eq "audit: rotated files kept (maxbackup 2)" 2 "$(backups)"
SIZE=$(stat -c %s "$T/audit/audit.log")
expect_gt "audit: current file within maxsize" 1048577 "$SIZE"

# ---- /metrics: upstream names, readable by system:monitoring and cluster-admin only ----------
M=$(kc get --raw /metrics)
for m in apiserver_request_total apiserver_request_duration_seconds_bucket apiserver_current_inflight_requests \
         authentication_attempts apiserver_authorization_decisions_total serviceaccount_valid_tokens_total \
         serviceaccount_stale_tokens_total apiserver_storage_objects process_resident_memory_bytes process_cpu_seconds_total; do
    expect_match "metrics: $m" "^$m(\{| )" "$M"
done
expect_match "metrics: a 403 counted" '^apiserver_request_total\{code="403",.*resource="pods",scope="resource",subresource="",verb="GET",version="v1"\} [1-9]' "$M"
expect_match "metrics: configmaps stored" '^apiserver_storage_objects\{resource="configmaps"\} [1-9]' "$M"
CODE=$(curl -sS -o "$T/body" -w '%{http_code}' --cacert "$SERVER_DIR/pki/ca.crt" -H "Authorization: Bearer $TOKEN" "$BASE/metrics")
expect_eq "metrics: a ServiceAccount without the role gets 403" 403 "$CODE"
kc create clusterrolebinding mon --clusterrole=system:monitoring --serviceaccount=lab:runner >/dev/null
RT=$(kc create token runner -n lab)
CODE=$(curl -sS -o "$T/body" -w '%{http_code}' --cacert "$SERVER_DIR/pki/ca.crt" -H "Authorization: Bearer $RT" "$BASE/metrics")
expect_eq "metrics: system:monitoring reads /metrics" 200 "$CODE"

# ---- bounded memory per watcher: ten watchers that never read, 200 × 200 KB ConfigMaps --------
server_stop
SERVE_FLAGS="--no-node"
server_start "$T/data" || exit 1
rss_mb() { echo $(( $(awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status") / 1024 )); }
kc create ns mem >/dev/null
IDLE_RSS=$(rss_mb)
"$PY" - "$SERVER_DIR" "$SERVER_PORT" >"$T/slow.out" 2>&1 <<'PY' &
import json, socket, ssl, sys, time
d, port = sys.argv[1], int(sys.argv[2])
ctx = ssl.create_default_context(cafile=d + "/pki/ca.crt")
ctx.load_cert_chain(d + "/pki/admin.crt", d + "/pki/admin.key")
def conn():
    return ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1")
slow = []
for i in range(10):
    s = conn()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(b"GET /api/v1/namespaces/mem/configmaps?watch=1 HTTP/1.1\r\nHost: x\r\n\r\n")
    slow.append(s)
time.sleep(1)
w = conn()
body = "x" * 200000
def send(method, path, data=None):
    b = json.dumps(data).encode() if data is not None else b""
    w.sendall(("%s %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (method, path, len(b))).encode() + b)
    hdr = b""
    while b"\r\n\r\n" not in hdr:
        hdr += w.recv(1)
    n = int([l for l in hdr.split(b"\r\n") if l.lower().startswith(b"content-length:")][0].split(b":")[1])
    got = b""
    while len(got) < n:
        got += w.recv(n - len(got))
    return int(hdr.split(b" ")[1])
codes = {}
for i in range(200):
    c = send("POST", "/api/v1/namespaces/mem/configmaps", {"metadata": {"name": "cm%d" % i}, "data": {"k": body}})
    codes[c] = codes.get(c, 0) + 1
for i in range(200):
    c = send("DELETE", "/api/v1/namespaces/mem/configmaps/cm%d" % i)
    codes[c] = codes.get(c, 0) + 1
print("codes", json.dumps(codes, sort_keys=True))
sys.stdout.flush()
time.sleep(600)
PY
SLOW_PID=$!
E2E_BG_PIDS="$SLOW_PID"
wait_until 600 grep -q '^codes' "$T/slow.out"
PEAK_RSS=$(rss_mb)
expect_eq "slow watchers: writers all succeeded" 'codes {"200": 200, "201": 200}' "$(cat "$T/slow.out")"
echo "# RSS: idle ${IDLE_RSS} MB, with ten stuck watchers after 400 writes of 200 KB ${PEAK_RSS} MB"
# RSS is only comparable without ASan (its quarantine keeps freed memory, shadow memory adds more)
if ldd "$ANZEN" | grep -q libasan; then
    ASAN_BUILD=1
    echo "# RSS assertions skipped: ASan build"
else
    ASAN_BUILD=""
    # each stuck watch ends once 1 MiB waits (~1.5 MiB with the part in flight), the watch
    # window holds at most 32 MiB, SQLite ~8 MiB: was idle + 90-170 MB with 8 MiB per watch
    expect_gt "slow watchers: RSS stays within idle + 100 MB" $((IDLE_RSS + 100)) "$PEAK_RSS"
fi
if healthy; then e2e_pass "slow watchers: /healthz answers"; else e2e_fail "slow watchers: /healthz answers" ok timeout; fi
kill "$SLOW_PID" 2>/dev/null
wait "$SLOW_PID" 2>/dev/null
near_idle() { [ "$(rss_mb)" -lt $((IDLE_RSS + 60)) ]; }
if [ -n "$ASAN_BUILD" ]; then
    :
elif wait_until 30 near_idle; then e2e_pass "memory returns near idle after load"; else e2e_fail "memory returns near idle after load" "< $((IDLE_RSS + 60)) MB" "$(rss_mb) MB"; fi
e2e_finish
