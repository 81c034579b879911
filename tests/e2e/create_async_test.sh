#!/usr/bin/env bash
# create_async_test.sh — creates completed on the request's loop (http/server.c create jobs,
# store_create_async): the answer is the stored bytes with the resourceVersion put in, byte
# for byte what the encoder of the decoded object prints (the same requests against a server
# with an audit log, which answers from the tree, give the same bytes but for uid, times and
# resourceVersion), equal to a GET of the object; AlreadyExists and validation errors keep
# their Status; 64 concurrent creates each get their own revision, are readable once
# answered, and a watch from before them sees them in revision order. curl and Python.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init

# bodies with what an encoder may print differently (ServiceAccount: a row no admission
# plugin acts on, so it takes the same path since the rule is the chain's, not a kind list): HTML-ish bytes Go escapes, non-ASCII,
# control escapes, an empty map, a Secret's stringData turned into data
cat >"$T/cm1.json" <<'J'
{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b1","labels":{"app":"x"},"annotations":{"note":"<a href=\"x\">&amp;</a>"}},"data":{"html":"<script>&</script>","uni":"h\u00e9 \u2028 \ud83d\ude00","esc":"tab\tnl\nquote\"bs\\"}}
J
cat >"$T/cm2.json" <<'J'
{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b2"},"data":{}}
J
cat >"$T/sa1.json" <<'J'
{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"sa1","annotations":{"a":"<&>"}},"automountServiceAccountToken":false}
J
cat >"$T/sec1.json" <<'J'
{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s1"},"type":"Opaque","stringData":{"k":"v<>&"},"data":{"b":"AAEC"}}
J

# post_all OUTDIR: each body as compact JSON (-A test) and pretty (-A curl), and its GET
post_all() {
    local out=$1 f name plural ua
    mkdir -p "$out"
    for f in cm1 cm2 sec1 sa1; do
        case $f in sec*) plural=secrets ;; sa*) plural=serviceaccounts ;; *) plural=configmaps ;; esac
        name=$(jget 'd["metadata"]["name"]' <"$T/$f.json")
        for ua in test curl/8; do
            local tag=$f.${ua%%/*}
            [ "$ua" = curl/8 ] && { acurl -X DELETE "$BASE/api/v1/namespaces/ca/$plural/$name" >/dev/null; }
            acurl -A "$ua" -H 'Content-Type: application/json' --data-binary @"$T/$f.json" \
                -o "$out/$tag.post" -w '%{http_code}' "$BASE/api/v1/namespaces/ca/$plural" >"$out/$tag.code"
            acurl -A "$ua" -o "$out/$tag.get" "$BASE/api/v1/namespaces/ca/$plural/$name"
        done
    done
}
# uid, times and resourceVersion differ between servers
mask() { sed -E -e 's/"uid": ?"[^"]*"/"uid":"U"/' -e 's/"(creationTimestamp|time)": ?"[^"]*"/"\1":"T"/g' \
                -e 's/"resourceVersion": ?"[0-9]+"/"resourceVersion":"R"/' "$1"; }

server_start "$T/data" || exit 1
kc create namespace ca >/dev/null
post_all "$T/fast"
for t in cm1.test cm1.curl cm2.test cm2.curl sec1.test sec1.curl sa1.test sa1.curl; do
    expect_eq "$t: created" "201" "$(cat "$T/fast/$t.code")"
    expect_eq "$t: the create's answer is byte for byte the GET's" "$(od -c "$T/fast/$t.get")" "$(od -c "$T/fast/$t.post")"
done
expect_contains "Go's escapes in the answer" '"html":"\u003cscript\u003e\u0026\u003c/script\u003e"' "$(cat "$T/fast/cm1.test.post")"
expect_contains "stringData became data" '"data":{"b":"AAEC","k":"djw+Jg=="}' "$(cat "$T/fast/sec1.test.post")"
expect_eq "the answer ends with one newline" '\n' "$(tail -c1 "$T/fast/cm2.test.post" | od -An -c | tr -d ' ')"

# errors keep their Status
req POST /api/v1/namespaces/ca/configmaps -A e2e -H 'Content-Type: application/json' --data-binary @"$T/cm2.json"
expect_eq "create of an existing name: 409" "409" "$CODE"
expect_contains "AlreadyExists Status" '"reason":"AlreadyExists"' "$BODY"
expect_contains "AlreadyExists message" 'configmaps \"b2\" already exists' "$BODY"
req POST /api/v1/namespaces/ca/configmaps -H 'Content-Type: application/json' -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Bad_Name"}}'
expect_eq "invalid name: 422" "422" "$CODE"
req POST /api/v1/namespaces/nons/configmaps -H 'Content-Type: application/json' -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}'
expect_eq "create in a missing namespace: 404" "404" "$CODE"
req POST '/api/v1/namespaces/ca/configmaps?dryRun=All' -H 'Content-Type: application/json' -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dry"}}'
expect_eq "dry run: 201" "201" "$CODE"
expect_eq "dry run writes nothing" "404" "$(acurl -o /dev/null -w '%{http_code}' "$BASE/api/v1/namespaces/ca/configmaps/dry")"
req POST /api/v1/namespaces/ca/configmaps -H 'Content-Type: application/json' -H 'Accept: application/yaml' -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"y1"},"data":{"a":"b"}}'
expect_eq "YAML answer: 201" "201" "$CODE"
expect_contains "YAML answer" 'name: y1' "$BODY"

# 64 concurrent creates: distinct revisions, each readable once answered, a watch from
# before them sees every one, in revision order
START_RV=$(acurl "$BASE/api/v1/namespaces/ca/configmaps" | jget 'd["metadata"]["resourceVersion"]')
cat >"$T/conc.py" <<'PYEOF'
import http.client, json, ssl, sys, threading
port, pki, n, start = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
ctx = ssl.create_default_context(cafile=pki + "/ca.crt")
ctx.load_cert_chain(pki + "/admin.crt", pki + "/admin.key")
def conn():
    return http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=60)
w = conn()
w.request("GET", "/api/v1/namespaces/ca/configmaps?watch=1&resourceVersion=" + start)
wr = w.getresponse()
answers, errors, lock = {}, [], threading.Lock()
def client(i):
    c = conn()
    for k in range(4):
        name = "c-%d-%d" % (i, k)
        body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": str(k)}})
        c.request("POST", "/api/v1/namespaces/ca/configmaps", body, {"Content-Type": "application/json"})
        r = c.getresponse(); d = r.read()
        if r.status != 201:
            errors.append("%s: %d" % (name, r.status)); continue
        rv = json.loads(d)["metadata"]["resourceVersion"]
        c.request("GET", "/api/v1/namespaces/ca/configmaps/" + name)
        g = c.getresponse(); gd = g.read()
        if g.status != 200 or json.loads(gd)["metadata"]["resourceVersion"] != rv:
            errors.append("%s: GET after the answer: %d" % (name, g.status))
        with lock:
            answers[name] = int(rv)
ts = [threading.Thread(target=client, args=(i,)) for i in range(n)]
for t in ts: t.start()
for t in ts: t.join()
seen = []
while len(seen) < len(answers):
    line = wr.readline()
    if not line: break
    if not line.strip(): continue
    o = json.loads(line)["object"]
    if o["metadata"]["name"].startswith("c-"):
        seen.append((o["metadata"]["name"], int(o["metadata"]["resourceVersion"])))
revs = [r for _, r in seen]
print("answered=%d distinct=%d" % (len(answers), len(set(answers.values()))))
print("errors=%d %s" % (len(errors), errors[:3]))
print("watch_in_order=%s" % (revs == sorted(revs) and len(set(revs)) == len(revs)))
print("watch_matches_answers=%s" % (dict(seen) == answers))
PYEOF
OUT=$(timeout 300 "$PY" "$T/conc.py" "$SERVER_PORT" "$SERVER_DIR/pki" 64 "$START_RV" 2>&1)
echo "$OUT" | sed 's/^/# /'
expect_eq "256 creates from 64 clients answered, each its own revision" "answered=256 distinct=256" "$(val answered | sed 's/^/answered=/')"
expect_eq "no create or read-after-create failed" "errors=0 []" "$(printf '%s\n' "$OUT" | grep '^errors=')"
expect_eq "the watch sees them in revision order" "True" "$(val watch_in_order)"
expect_eq "the watch's revisions are the answers'" "True" "$(val watch_matches_answers)"
server_stop

# the same requests against a server that answers from the tree (an audit log is on)
printf '%s\n' '{"apiVersion":"audit.k8s.io/v1","kind":"Policy","rules":[{"level":"Metadata"}]}' >"$T/policy.json"
ANZEN_SERVE_ARGS="${ANZEN_SERVE_ARGS:-} --audit-log-path $T/audit.log --audit-policy-file $T/policy.json"
server_start "$T/data2" || exit 1
kc create namespace ca >/dev/null
post_all "$T/tree"
for t in cm1.test cm1.curl cm2.test cm2.curl sec1.test sec1.curl sa1.test sa1.curl; do
    expect_eq "$t: the bytes answer equals the tree's but for uid, times, resourceVersion" \
        "$(mask "$T/tree/$t.post" | od -c)" "$(mask "$T/fast/$t.post" | od -c)"
done
expect_contains "the audit log saw the creates" '"verb":"create"' "$(cat "$T/audit.log")"
e2e_finish
