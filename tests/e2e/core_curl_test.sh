#!/usr/bin/env bash
# End-to-end: curl with the admin client certificate against the real anzen binary — the
# seed's Job POST, label/field selectors, limit/continue, watch from a resourceVersion and
# 410 Expired, optimistic concurrency, delete propagation, deletecollection, dryRun,
# fieldValidation, pretty vs compact JSON, Table output per kind, restart persistence.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
server_start "$T/data" || exit 1
UA=(-A anzen-e2e)           # a non-curl User-Agent: compact JSON like kubectl receives
JSONCT=(-H 'Content-Type: application/json')

req POST /api/v1/namespaces "${JSONCT[@]}" -d '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"lab"}}'
expect_eq "create namespace lab: 201" "201" "$CODE"

# ---- the seed's Job ----------------------------------------------------------------------
req POST /apis/batch/v1/namespaces/lab/jobs "${JSONCT[@]}" --data-binary @"$SEED/job.json"
expect_eq "POST seed job.json: 201" "201" "$CODE"
expect_match "job uid is a UUID" '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' "$(jget 'd["metadata"]["uid"]' "$T/body")"
JOB_RV=$(jget 'd["metadata"]["resourceVersion"]' "$T/body")
expect_match "job resourceVersion is a decimal integer" '^[1-9][0-9]*$' "$JOB_RV"
expect_match "job creationTimestamp is RFC3339 UTC" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' "$(jget 'd["metadata"]["creationTimestamp"]' "$T/body")"
expect_eq "job kind/apiVersion" "Job batch/v1" "$(jget 'd["kind"]+" "+d["apiVersion"]' "$T/body")"
expect_eq "managedFields manager from curl User-Agent" "curl Update" "$(jget 'd["metadata"]["managedFields"][0]["manager"]+" "+d["metadata"]["managedFields"][0]["operation"]' "$T/body")"
expect_eq "job defaulting: completions/parallelism/completionMode" "1 1 NonIndexed" \
    "$(jget '"%s %s %s" % (d["spec"].get("completions"), d["spec"].get("parallelism"), d["spec"].get("completionMode"))' "$T/body")"
JOB_UID=$(jget 'd["metadata"]["uid"]' "$T/body")
req GET /apis/batch/v1/namespaces/lab/jobs/sleep-job
expect_eq "GET job: 200" "200" "$CODE"
expect_eq "GET job returns the same uid" "$JOB_UID" "$(jget 'd["metadata"]["uid"]' "$T/body")"
expect_eq "GET job keeps the container command" '["sleep","100"]' "$(jget 'd["spec"]["template"]["spec"]["containers"][0]["command"]' "$T/body")"
req POST /apis/batch/v1/namespaces/lab/jobs "${JSONCT[@]}" "${UA[@]}" --data-binary @"$SEED/job.json"
expect_eq "POST the job again: exact AlreadyExists Status" \
'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"jobs.batch \"sleep-job\" already exists","reason":"AlreadyExists","details":{"name":"sleep-job","group":"batch","kind":"jobs"},"code":409}' "$BODY"
expect_eq "AlreadyExists code" "409" "$CODE"

# ---- pretty JSON for curl, compact for others -------------------------------------------------
acurl -o "$T/pretty" "$BASE/api/v1/namespaces/lab"
acurl -A kubectl/v1.32.4 -o "$T/compact" "$BASE/api/v1/namespaces/lab"
fmtcheck()  # FILE pretty|compact -> "same" or a description of the difference
{
    "$PY" - "$1" "$2" <<'PYEOF'
import json, sys
raw = open(sys.argv[1], "rb").read()
obj = json.loads(raw)
if sys.argv[2] == "pretty":
    want = json.dumps(obj, indent=2, ensure_ascii=False).encode()
else:
    want = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
if raw == want:
    print("same")
else:
    i = next((k for k in range(min(len(raw), len(want))) if raw[k] != want[k]), min(len(raw), len(want)))
    print("differs at byte %d: want %r got %r (lengths %d/%d)" % (i, want[max(0,i-20):i+20], raw[max(0,i-20):i+20], len(want), len(raw)))
PYEOF
}
expect_eq "curl UA gets pretty JSON (2-space indent, no trailing newline)" "same" "$(fmtcheck "$T/pretty" pretty)"
expect_eq "other UA gets compact JSON with a trailing newline" "same" "$(fmtcheck "$T/compact" compact)"
acurl -o "$T/pretty2" "$BASE/api/v1/namespaces/lab?pretty=false"
expect_eq "pretty=false disables pretty output for curl" "$(cat "$T/compact")" "$(cat "$T/pretty2")"
acurl -A kubectl/v1.32.4 -o "$T/pretty3" "$BASE/api/v1/namespaces/lab?pretty=true"
expect_eq "pretty=true enables pretty output for others" "$(cat "$T/pretty")" "$(cat "$T/pretty3")"

# ---- labelled pods for selectors ------------------------------------------------------------
mkpod()  # name labels-json nodeName
{
    acurl "${JSONCT[@]}" -o /dev/null -w '%{http_code}' -d "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"$1\",\"labels\":$2},\"spec\":{\"nodeName\":\"$3\",\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}" \
        "$BASE/api/v1/namespaces/sel/pods"
}
# a namespace of their own: controllers add objects to lab (Job pods, kube-root-ca.crt)
acurl "${JSONCT[@]}" -o /dev/null -d '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"sel"}}' "$BASE/api/v1/namespaces"
codes=""
codes="$codes$(mkpod p1 '{"app":"web","tier":"front","rank":"1"}' node-a)"
codes="$codes $(mkpod p2 '{"app":"web","tier":"back","rank":"5"}' node-b)"
codes="$codes $(mkpod p3 '{"app":"db","rank":"9"}' node-a)"
codes="$codes $(mkpod p4 '{"env":"prod"}' node-b)"
expect_eq "create 4 labelled pods" "201 201 201 201" "$codes"
sel()  # query -> sorted pod names
{
    acurl "$BASE/api/v1/namespaces/sel/pods?$1" | jget '" ".join(sorted(i["metadata"]["name"] for i in d["items"])) if "items" in d else "HTTP %s %s" % (d.get("code"), d.get("message"))'
}
expect_eq "labelSelector app=web" "p1 p2" "$(sel 'labelSelector=app%3Dweb')"
expect_eq "labelSelector app==web" "p1 p2" "$(sel 'labelSelector=app%3D%3Dweb')"
expect_eq "labelSelector app!=web" "p3 p4" "$(sel 'labelSelector=app!%3Dweb')"
expect_eq "labelSelector app in (web,db)" "p1 p2 p3" "$(sel 'labelSelector=app%20in%20(web,db)')"
expect_eq "labelSelector app notin (web)" "p3 p4" "$(sel 'labelSelector=app%20notin%20(web)')"
expect_eq "labelSelector tier (exists)" "p1 p2" "$(sel 'labelSelector=tier')"
expect_eq "labelSelector !tier (does not exist)" "p3 p4" "$(sel 'labelSelector=!tier')"
expect_eq "labelSelector rank>4" "p2 p3" "$(sel 'labelSelector=rank%3E4')"
expect_eq "labelSelector rank<5" "p1" "$(sel 'labelSelector=rank%3C5')"
expect_eq "labelSelector app=web,tier=back" "p2" "$(sel 'labelSelector=app%3Dweb,tier%3Dback')"
expect_eq "fieldSelector metadata.name=p3" "p3" "$(sel 'fieldSelector=metadata.name%3Dp3')"
expect_eq "fieldSelector metadata.name!=p3" "p1 p2 p4" "$(sel 'fieldSelector=metadata.name!%3Dp3')"
expect_eq "fieldSelector spec.nodeName=node-a" "p1 p3" "$(sel 'fieldSelector=spec.nodeName%3Dnode-a')"
expect_eq "fieldSelector metadata.namespace=sel" "p1 p2 p3 p4" "$(sel 'fieldSelector=metadata.namespace%3Dsel')"
expect_eq "fieldSelector status.phase=Pending" "p1 p2 p3 p4" "$(sel 'fieldSelector=status.phase%3DPending')"
expect_eq "fieldSelector + labelSelector" "p2" "$(sel 'fieldSelector=spec.nodeName%3Dnode-b&labelSelector=app')"
out=$(acurl "$BASE/api/v1/pods?fieldSelector=metadata.namespace%3Dsel,spec.nodeName%3Dnode-b" | jget '" ".join(sorted(i["metadata"]["name"] for i in d["items"]))')
expect_eq "cluster-wide list with two field requirements" "p2 p4" "$out"
req GET '/api/v1/namespaces/sel/pods?fieldSelector=spec.bogus%3Dx' "${UA[@]}"
expect_eq "unknown field selector: exact 400" \
'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"field label not supported: spec.bogus","reason":"BadRequest","code":400}' "$BODY"

# ---- limit / continue -------------------------------------------------------------------------
# kube-root-ca.crt is in every namespace (root-CA publisher); the a-page-N names sort before it
acurl "${JSONCT[@]}" -o /dev/null -d '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"pages"}}' "$BASE/api/v1/namespaces"
for i in 1 2 3 4 5; do
    acurl "${JSONCT[@]}" -o /dev/null -d "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a-page-$i\"},\"data\":{\"i\":\"$i\"}}" "$BASE/api/v1/namespaces/pages/configmaps"
done
acurl -o "$T/p1" "$BASE/api/v1/namespaces/pages/configmaps?limit=2"
expect_eq "limit=2 first page" "a-page-1 a-page-2" "$(jget '" ".join(i["metadata"]["name"] for i in d["items"])' "$T/p1")"
CONT=$(jget 'd["metadata"].get("continue","")' "$T/p1")
expect_ne "first page has a continue token" "" "$CONT"
expect_eq "first page remainingItemCount" "4" "$(jget 'd["metadata"].get("remainingItemCount")' "$T/p1")"
LIST_RV=$(jget 'd["metadata"]["resourceVersion"]' "$T/p1")
# a write between pages must not show up in the continued list (consistent snapshot)
acurl "${JSONCT[@]}" -o /dev/null -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a-page-9"}}' "$BASE/api/v1/namespaces/pages/configmaps"
acurl -o "$T/p2" "$BASE/api/v1/namespaces/pages/configmaps?limit=2&continue=$(printf %s "$CONT" | "$PY" -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.stdin.read(),safe=""))')"
expect_eq "limit=2 second page" "a-page-3 a-page-4" "$(jget '" ".join(i["metadata"]["name"] for i in d["items"])' "$T/p2")"
expect_eq "second page has the first page's resourceVersion" "$LIST_RV" "$(jget 'd["metadata"]["resourceVersion"]' "$T/p2")"
CONT=$(jget 'd["metadata"].get("continue","")' "$T/p2")
acurl -o "$T/p3" "$BASE/api/v1/namespaces/pages/configmaps?limit=2&continue=$(printf %s "$CONT" | "$PY" -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.stdin.read(),safe=""))')"
expect_eq "last page: the snapshot's remaining items, not the later write" "a-page-5 kube-root-ca.crt" "$(jget '" ".join(i["metadata"]["name"] for i in d["items"])' "$T/p3")"
expect_eq "last page has no continue token" "" "$(jget 'd["metadata"].get("continue","")' "$T/p3")"
req GET '/api/v1/namespaces/pages/configmaps?limit=2&continue=garbage' "${UA[@]}"
expect_eq "malformed continue token: 400" "400" "$CODE"
expect_eq "malformed continue token: reason BadRequest" "BadRequest" "$(jget 'd["reason"]' "$T/body")"

# ---- watch from a resourceVersion ------------------------------------------------------------
req POST /api/v1/namespaces/lab/configmaps "${JSONCT[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"w1"}}'
W1_RV=$(jget 'd["metadata"]["resourceVersion"]' "$T/body")
req POST /api/v1/namespaces/lab/configmaps "${JSONCT[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"w2"}}'
W2_RV=$(jget 'd["metadata"]["resourceVersion"]' "$T/body")
expect_gt "resourceVersions increase" "$W2_RV" "$W1_RV"
acurl -N --max-time 3 "${UA[@]}" -o "$T/watch1" "$BASE/api/v1/namespaces/lab/configmaps?watch=true&resourceVersion=$W1_RV" &
WPID=$!
sleep 1
acurl -o /dev/null -X DELETE "$BASE/api/v1/namespaces/lab/configmaps/w1"
wait "$WPID"
evs=$("$PY" -c '
import json, sys
for line in open(sys.argv[1]):
    if line.strip():
        e = json.loads(line)
        print(e["type"], e["object"]["metadata"]["name"])
' "$T/watch1" 2>&1)
expect_eq "watch from w1's resourceVersion: w2 ADDED then w1 DELETED" "ADDED w2
DELETED w1" "$evs"
head -c 1 "$T/watch1" >/dev/null
expect_eq "watch events are one compact JSON object per line" "0" \
    "$(grep -vc '^{"type":"[A-Z]*","object":{"kind":"ConfigMap","apiVersion":"v1",' "$T/watch1")"
# watch with a Table Accept (what kubectl get -w sends)
acurl -N --max-time 2 "${UA[@]}" -H 'Accept: application/json;as=Table;v=v1;g=meta.k8s.io,application/json' \
    -o "$T/watch2" "$BASE/api/v1/namespaces/lab/configmaps?watch=true&resourceVersion=$W1_RV"
expect_eq "watch as=Table: events carry Table objects" "ADDED Table w2" \
    "$("$PY" -c '
import json, sys
for line in open(sys.argv[1]):
    if line.strip():
        e = json.loads(line); o = e["object"]
        print(e["type"], o["kind"], o["rows"][0]["cells"][0]); break
' "$T/watch2" 2>&1)"

# the watch clients above have disconnected: the server must survive writes that would have
# been sent to them
for n in after-watch-1 after-watch-2 after-watch-3; do
    acurl "${JSONCT[@]}" -o /dev/null -d "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"$n\"}}" "$BASE/api/v1/namespaces/lab/configmaps" 2>/dev/null
done
ensure_alive "server survives writes after a Table watch client disconnected"

# ---- optimistic concurrency -----------------------------------------------------------------
req GET /api/v1/namespaces/lab/configmaps/w2
cp "$T/body" "$T/w2.json"
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); d["data"]={"v":"1"}; json.dump(d,open(sys.argv[1],"w"))' "$T/w2.json"
req PUT /api/v1/namespaces/lab/configmaps/w2 "${JSONCT[@]}" --data-binary @"$T/w2.json"
expect_eq "PUT with the current resourceVersion: 200" "200" "$CODE"
NEW_RV=$(jget 'd["metadata"]["resourceVersion"]' "$T/body")
expect_gt "PUT bumps the resourceVersion" "$NEW_RV" "$W2_RV"
req PUT /api/v1/namespaces/lab/configmaps/w2 "${JSONCT[@]}" "${UA[@]}" --data-binary @"$T/w2.json"
expect_eq "PUT with a stale resourceVersion: 409" "409" "$CODE"
expect_eq "PUT with a stale resourceVersion: exact Conflict Status" \
'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on configmaps \"w2\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"w2","kind":"configmaps"},"code":409}' "$BODY"
req PATCH /apis/batch/v1/namespaces/lab/jobs/sleep-job -H 'Content-Type: application/merge-patch+json' -d '{"metadata":{"labels":{"touched":"yes"}}}'
expect_eq "merge patch of the job: 200" "200" "$CODE"
req PUT /apis/batch/v1/namespaces/lab/jobs/sleep-job "${JSONCT[@]}" "${UA[@]}" \
    -d "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"sleep-job\",\"resourceVersion\":\"$JOB_RV\"},\"spec\":$(jget 'd["spec"]' "$T/body")}"
expect_eq "stale update of a grouped resource: Conflict message names jobs.batch" \
'Operation cannot be fulfilled on jobs.batch "sleep-job": the object has been modified; please apply your changes to the latest version and try again' "$(jget 'd.get("message")' "$T/body")"

# ---- dryRun=All ---------------------------------------------------------------------------------
req POST '/api/v1/namespaces/lab/configmaps?dryRun=All' "${JSONCT[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dry"}}'
expect_eq "dryRun=All create: 201" "201" "$CODE"
expect_eq "dryRun=All create returns the object" "dry" "$(jget 'd["metadata"]["name"]' "$T/body")"
req GET /api/v1/namespaces/lab/configmaps/dry
expect_eq "dryRun=All created nothing" "404" "$CODE"
req DELETE '/api/v1/namespaces/lab/configmaps/w2?dryRun=All'
expect_eq "dryRun=All delete: 200" "200" "$CODE"
req GET /api/v1/namespaces/lab/configmaps/w2
expect_eq "dryRun=All delete removed nothing" "200" "$CODE"
req PUT '/api/v1/namespaces/lab/configmaps/w2?dryRun=All' "${JSONCT[@]}" \
    -d "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"w2\",\"resourceVersion\":\"$NEW_RV\"},\"data\":{\"v\":\"dry\"}}"
expect_eq "dryRun=All update: 200" "200" "$CODE"
expect_eq "dryRun=All update changed nothing" "1" "$(acurl "$BASE/api/v1/namespaces/lab/configmaps/w2" | jget 'd["data"]["v"]')"
req POST '/api/v1/namespaces/lab/configmaps?dryRun=Bogus' "${JSONCT[@]}" "${UA[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dry2"}}'
expect_eq "dryRun=Bogus: exact 422 (CreateOptions validation)" \
'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"CreateOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: []string{\"Bogus\"}: supported values: \"All\"","reason":"Invalid","details":{"group":"meta.k8s.io","kind":"CreateOptions","causes":[{"reason":"FieldValueNotSupported","message":"Unsupported value: []string{\"Bogus\"}: supported values: \"All\"","field":"dryRun"}]},"code":422}' "$BODY"

# ---- fieldValidation ------------------------------------------------------------------------------
req POST '/api/v1/namespaces/lab/configmaps?fieldValidation=Strict' "${JSONCT[@]}" "${UA[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fv1"},"foo":"bar"}'
expect_eq "fieldValidation=Strict, unknown field: exact 400" \
'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: unknown field \"foo\"","reason":"BadRequest","code":400}' "$BODY"
req GET /api/v1/namespaces/lab/configmaps/fv1
expect_eq "strict rejection created nothing" "404" "$CODE"
req POST '/api/v1/namespaces/lab/configmaps?fieldValidation=Warn' "${JSONCT[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fv2"},"data":{"a":"b"},"foo":"bar","spec":{"x":1}}'
expect_eq "fieldValidation=Warn: 201" "201" "$CODE"
expect_eq "fieldValidation=Warn: one Warning header per unknown field" \
'299 - "unknown field \"foo\""
299 - "unknown field \"spec\""' "$(printf '%s\n' "$HDRS" | grep -i '^warning:' | sed 's/^[^:]*: *//' | sort)"
expect_eq "fieldValidation=Warn drops the unknown field" "<error: 'foo'>" "$(jget 'd["foo"]' "$T/body")"
req POST '/api/v1/namespaces/lab/configmaps?fieldValidation=Ignore' "${JSONCT[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fv3"},"foo":"bar"}'
expect_eq "fieldValidation=Ignore: 201" "201" "$CODE"
expect_eq "fieldValidation=Ignore: no Warning header" "" "$(header warning)"
req POST '/api/v1/namespaces/lab/configmaps?fieldValidation=Strict' "${JSONCT[@]}" "${UA[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fv4","bogus":1},"data":{"a":"b"}}'
expect_eq "fieldValidation=Strict, unknown nested field" \
'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "metadata.bogus"' "$(jget 'd.get("message")' "$T/body")"
req POST '/api/v1/namespaces/lab/configmaps?fieldValidation=Strict' "${JSONCT[@]}" "${UA[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fv5"},"data":{"a":"b"},"data":{"a":"c"}}'
expect_eq "fieldValidation=Strict, duplicate field" \
'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: duplicate field "data"' "$(jget 'd.get("message")' "$T/body")"
req POST '/api/v1/namespaces/lab/configmaps?fieldValidation=Nope' "${JSONCT[@]}" "${UA[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fv6"}}'
expect_eq "fieldValidation=Nope: exact 422 (CreateOptions validation)" \
'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"CreateOptions.meta.k8s.io \"\" is invalid: fieldValidation: Unsupported value: \"Nope\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"","reason":"Invalid","details":{"group":"meta.k8s.io","kind":"CreateOptions","causes":[{"reason":"FieldValueNotSupported","message":"Unsupported value: \"Nope\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"","field":"fieldValidation"}]},"code":422}' "$BODY"

# ---- delete with propagationPolicy ----------------------------------------------------------------
mkjob()
{
    sed "s/\"sleep-job\"/\"$1\"/" "$SEED/job.json" >"$T/job-$1.json"
    acurl "${JSONCT[@]}" -o /dev/null -w '%{http_code}' --data-binary @"$T/job-$1.json" "$BASE/apis/batch/v1/namespaces/lab/jobs"
}
expect_eq "create jobs for propagation tests" "201 201 201" "$(mkjob j-bg) $(mkjob j-fg) $(mkjob j-or)"
req DELETE /apis/batch/v1/namespaces/lab/jobs/j-fg "${JSONCT[@]}" -d '{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Foreground"}'
expect_eq "delete Foreground: 200" "200" "$CODE"
expect_eq "delete Foreground: object returned with foregroundDeletion finalizer and deletionTimestamp" "True True" \
    "$(jget '"%s %s" % ("foregroundDeletion" in d["metadata"].get("finalizers", []), "deletionTimestamp" in d["metadata"])' "$T/body")"
req GET /apis/batch/v1/namespaces/lab/jobs/j-or
ORUID=$(jget 'd["metadata"]["uid"]' "$T/body")
req POST /api/v1/namespaces/lab/configmaps "${JSONCT[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dep-or","ownerReferences":[{"apiVersion":"batch/v1","kind":"Job","name":"j-or","uid":"'"$ORUID"'"}]}}'
expect_eq "a dependent of j-or: 201" "201" "$CODE"
req DELETE '/apis/batch/v1/namespaces/lab/jobs/j-or?propagationPolicy=Orphan'
expect_eq "delete Orphan (query): 200" "200" "$CODE"
expect_eq "delete Orphan: object returned with orphan finalizer" "true" "$(jget '"orphan" in d["metadata"].get("finalizers", [])' "$T/body")"
req DELETE '/apis/batch/v1/namespaces/lab/jobs/j-bg?propagationPolicy=Background'
expect_eq "delete Background: 200" "200" "$CODE"
req GET /apis/batch/v1/namespaces/lab/jobs/j-bg
expect_eq "Background-deleted job is gone at once" "404" "$CODE"
jgone() { [ "$(acurl -o /dev/null -w '%{http_code}' "$BASE/apis/batch/v1/namespaces/lab/jobs/$1")" = 404 ]; }
if wait_until 15 jgone j-fg; then e2e_pass "Foreground-deleted job goes away"; else
    e2e_fail "Foreground-deleted job goes away" "404 within 15 s" "$(acurl "$BASE/apis/batch/v1/namespaces/lab/jobs/j-fg" | head -c 600)"; fi
if wait_until 15 jgone j-or; then e2e_pass "Orphan-deleted job goes away"; else
    e2e_fail "Orphan-deleted job goes away" "404 within 15 s" "$(acurl "$BASE/apis/batch/v1/namespaces/lab/jobs/j-or" | head -c 600)"; fi
req GET /api/v1/namespaces/lab/configmaps/dep-or
expect_eq "Orphan: the dependent stays, without its reference to j-or" "200 none" \
    "$CODE $(jget '",".join(r["name"] for r in d["metadata"].get("ownerReferences", [])) or "none"' "$T/body")"
req DELETE '/apis/batch/v1/namespaces/lab/jobs/sleep-job?propagationPolicy=Sideways' "${UA[@]}"
expect_eq "bad propagationPolicy: 422" "422" "$CODE"
expect_eq "bad propagationPolicy: upstream message" \
'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Sideways": supported values: "Foreground", "Background", "Orphan", "nil"' \
    "$(jget 'd.get("message")' "$T/body")"
req DELETE '/api/v1/namespaces/pages/configmaps/a-page-9' "${JSONCT[@]}" "${UA[@]}" -d '{"preconditions":{"resourceVersion":"1"}}'
expect_eq "delete with a failed resourceVersion precondition: 409" "409" "$CODE"
req DELETE '/api/v1/namespaces/pages/configmaps/a-page-9?gracePeriodSeconds=0'
expect_eq "delete with gracePeriodSeconds=0: 200" "200" "$CODE"

# ---- deletecollection ---------------------------------------------------------------------------
for n in dc1 dc2 dc3; do
    acurl "${JSONCT[@]}" -o /dev/null -d "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"$n\",\"labels\":{\"dc\":\"$([ $n = dc3 ] && echo keep || echo drop)\"}}}" "$BASE/api/v1/namespaces/lab/configmaps"
done
req DELETE '/api/v1/namespaces/lab/configmaps?labelSelector=dc%3Ddrop'
expect_eq "deletecollection: 200" "200" "$CODE"
expect_eq "deletecollection returns the deleted items as a ConfigMapList" "ConfigMapList dc1 dc2" \
    "$(jget 'd["kind"]+" "+" ".join(sorted(i["metadata"]["name"] for i in d["items"]))' "$T/body")"
expect_eq "deletecollection left the others" "dc3" "$(sel_cm() { :; }; acurl "$BASE/api/v1/namespaces/lab/configmaps?labelSelector=dc" | jget '" ".join(i["metadata"]["name"] for i in d["items"])')"
req DELETE '/api/v1/namespaces/lab/configmaps?labelSelector=dc&dryRun=All'
expect_eq "deletecollection dryRun=All: 200" "200" "$CODE"
expect_eq "deletecollection dryRun=All deleted nothing" "dc3" "$(acurl "$BASE/api/v1/namespaces/lab/configmaps?labelSelector=dc" | jget '" ".join(i["metadata"]["name"] for i in d["items"])')"

# ---- Table output (as=Table) for every kind ------------------------------------------------------
TABLE_ACCEPT='Accept: application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json'
while IFS='|' read -r path cols; do
    out=$(acurl -H "$TABLE_ACCEPT" "$BASE$path" | jget 'd["kind"]+" "+",".join("%s:%s" % (c["name"], c.get("priority", 0)) for c in d["columnDefinitions"])')
    expect_eq "Table columns for $path" "Table $cols" "$out"
done <<'ROWS'
/api/v1/namespaces|Name:0,Status:0,Age:0
/api/v1/namespaces/lab/serviceaccounts|Name:0,Secrets:0,Age:0
/api/v1/namespaces/lab/secrets|Name:0,Type:0,Data:0,Age:0
/api/v1/namespaces/lab/configmaps|Name:0,Data:0,Age:0
/api/v1/namespaces/lab/pods|Name:0,Ready:0,Status:0,Restarts:0,Age:0,IP:1,Node:1,Nominated Node:1,Readiness Gates:1
/api/v1/nodes|Name:0,Status:0,Roles:0,Age:0,Version:0,Internal-IP:1,External-IP:1,OS-Image:1,Kernel-Version:1,Container-Runtime:1
/api/v1/namespaces/lab/events|Last Seen:0,Type:0,Reason:0,Object:0,Subobject:1,Source:1,Message:0,First Seen:1,Count:1,Name:1
/apis/batch/v1/namespaces/lab/jobs|Name:0,Status:0,Completions:0,Duration:0,Age:0,Containers:1,Images:1,Selector:1
/apis/rbac.authorization.k8s.io/v1/namespaces/lab/roles|Name:0,Created At:0
/apis/rbac.authorization.k8s.io/v1/namespaces/lab/rolebindings|Name:0,Role:0,Age:0,Users:1,Groups:1,ServiceAccounts:1
/apis/rbac.authorization.k8s.io/v1/clusterroles|Name:0,Created At:0
/apis/rbac.authorization.k8s.io/v1/clusterrolebindings|Name:0,Role:0,Age:0,Users:1,Groups:1,ServiceAccounts:1
/apis/coordination.k8s.io/v1/namespaces/lab/leases|Name:0,Holder:0,Age:0
ROWS
out=$(acurl -H "$TABLE_ACCEPT" "$BASE/api/v1/namespaces/sel/pods/p1" | jget '"%s %d %s %s" % (d["kind"], len(d["rows"]), d["rows"][0]["cells"][0], d["rows"][0]["object"]["kind"])')
expect_eq "Table for a single pod: one row, object is PartialObjectMetadata" "Table 1 p1 PartialObjectMetadata" "$out"
out=$(acurl -H "$TABLE_ACCEPT" "$BASE/api/v1/namespaces/sel/pods?labelSelector=app%3Dweb" | jget '" ".join(r["cells"][0] + "/" + r["cells"][2] for r in d["rows"])')
expect_eq "Table rows honour the label selector (Name/Status cells)" "p1/Pending p2/Pending" "$out"

# ---- restart keeps every object; resourceVersions keep increasing ---------------------------------
snapshot()
{
    local p
    for p in /api/v1/namespaces /api/v1/pods /api/v1/configmaps /api/v1/serviceaccounts /apis/batch/v1/jobs \
             /apis/rbac.authorization.k8s.io/v1/clusterroles /apis/rbac.authorization.k8s.io/v1/clusterrolebindings; do
        acurl "$BASE$p" | jget '"\n".join(sorted("%s %s/%s %s %s" % (d["kind"], i["metadata"].get("namespace",""), i["metadata"]["name"], i["metadata"]["uid"], i["metadata"]["resourceVersion"]) for i in d["items"]))'
    done
}
snapshot >"$T/before"
MAX_RV=$(awk '$4 ~ /^[0-9]+$/ {print $4}' "$T/before" | sort -n | tail -n 1)
req GET /api/v1/namespaces/lab/configmaps
LISTRV_BEFORE=$(jget 'd["metadata"]["resourceVersion"]' "$T/body")
server_stop
expect_eq "SIGTERM: clean exit" "0" "$?"
server_start "$T/data" "$SERVER_PORT" || { e2e_fail "restart" "server up" "failed"; e2e_finish; }
snapshot >"$T/after"
if cmp -s "$T/before" "$T/after"; then
    e2e_pass "restart keeps every object with its uid and resourceVersion ($(wc -l <"$T/before") objects)"
else
    e2e_fail "restart keeps every object with its uid and resourceVersion" "$(head -c 2000 "$T/before")" "$(diff "$T/before" "$T/after" | head -n 20)"
fi
req GET /api/v1/namespaces/lab/configmaps
expect_eq "list resourceVersion does not go backwards after restart" "yes" "$([ "$(jget 'd["metadata"]["resourceVersion"]' "$T/body")" -ge "$LISTRV_BEFORE" ] 2>/dev/null && echo yes || echo no)"
req POST /api/v1/namespaces/lab/configmaps "${JSONCT[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"after-restart"}}'
expect_eq "create after restart: 201" "201" "$CODE"
expect_gt "resourceVersion after restart is above every earlier one" "$(jget 'd["metadata"]["resourceVersion"]' "$T/body")" "$MAX_RV"
req GET /apis/batch/v1/namespaces/lab/jobs/sleep-job
expect_eq "seed job survives the restart" "$JOB_UID" "$(jget 'd["metadata"]["uid"]' "$T/body")"

# ---- watch from a too-old resourceVersion: HTTP 200 + ERROR event with 410 Expired ---------------
CODE=$(acurl -N --max-time 3 "${UA[@]}" -o "$T/watch3" -w '%{http_code}' "$BASE/api/v1/namespaces/lab/configmaps?watch=true&resourceVersion=1")
expect_eq "too-old watch: HTTP 200 stream" "200" "$CODE"
out=$(head -n 1 "$T/watch3")
expect_match "too-old watch: ERROR event with the 410 Expired Status" \
'^\{"type":"ERROR","object":\{"kind":"Status","apiVersion":"v1","metadata":\{\},"status":"Failure","message":"too old resource version: 1 \([0-9]+\)","reason":"Expired","code":410\}\}$' "$out"
expect_eq "too-old watch: the stream ends after the ERROR event" "1" "$(grep -c . "$T/watch3")"

server_alive && e2e_pass "server still running" || e2e_fail "server still running" "alive" "dead"
e2e_finish
