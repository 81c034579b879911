#!/usr/bin/env bash
# End-to-end tests of issue 9 (gets and lists served from the object cache): read-your-writes,
# paging snapshots across concurrent writes, remainingItemCount, an expired continue token's
# 410, Exact reads of older revisions, watch replay from a resourceVersion, and the cache
# reloaded from the store after a restart.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
server_start "$T/data" || exit 1
J=(-H 'Content-Type: application/json')
UA=(-A anzen-e2e)
CM=/api/v1/namespaces/oc/configmaps
urlq() { "$PY" -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1],safe=""))' "$1"; }
names() { jget '" ".join(i["metadata"]["name"] for i in d["items"])' "$1"; }
mkcm() { req POST "$CM" "${J[@]}" "${UA[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"'"$1"'","labels":{"grp":"'"${2:-x}"'"}},"data":{"v":"'"${3:-0}"'"}}'; }

req POST /api/v1/namespaces "${J[@]}" -d '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"oc"}}'
expect_eq "namespace oc created" 201 "$CODE"

# ---- a list and a get right after an acknowledged write include it ----------------------------
bad=""
for i in $(seq 1 25); do
    mkcm "ryw-$i" ryw "$i"
    [ "$CODE" = 201 ] || bad="$bad create-$i:$CODE"
    rv=$(jget 'd["metadata"]["resourceVersion"]' "$T/body")
    acurl -o "$T/l" "${UA[@]}" "$BASE$CM?labelSelector=grp%3Dryw"
    case " $(names "$T/l") " in *" ryw-$i "*) ;; *) bad="$bad list-$i" ;; esac
    lrv=$(jget 'd["metadata"]["resourceVersion"]' "$T/l")
    [ "$lrv" -ge "$rv" ] 2>/dev/null || bad="$bad listrv-$i:$lrv<$rv"
    req PUT "$CM/ryw-$i" "${J[@]}" "${UA[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ryw-'"$i"'","labels":{"grp":"ryw"}},"data":{"v":"upd-'"$i"'"}}'
    urv=$(jget 'd["metadata"]["resourceVersion"]' "$T/body")
    req GET "$CM/ryw-$i" "${UA[@]}"
    [ "$(jget 'd["data"]["v"]+" "+d["metadata"]["resourceVersion"]' "$T/body")" = "upd-$i $urv" ] || bad="$bad get-$i"
done
expect_eq "read-your-writes: every list and get after an acknowledged write sees it" "" "$bad"
acurl -o "$T/l" "${UA[@]}" "$BASE$CM?labelSelector=grp%3Dryw"
expect_eq "label selector from the cache: 25 items" 25 "$(jget 'len(d["items"])' "$T/l")"
expect_eq "list items carry no kind/apiVersion, each its own resourceVersion" "true" \
    "$(jget 'all("kind" not in i and int(i["metadata"]["resourceVersion"]) > 0 for i in d["items"])' "$T/l")"
acurl -o "$T/l" "${UA[@]}" "$BASE$CM?fieldSelector=metadata.name%3Dryw-7"
expect_eq "field selector from the cache" "ryw-7" "$(names "$T/l")"
req GET "$CM/absent" "${UA[@]}"
expect_eq "get of an absent object: 404 NotFound Status" '404 NotFound configmaps "absent" not found' \
    "$CODE $(jget 'd["reason"]+" "+d["message"]' "$T/body")"

# ---- paging: limit, remainingItemCount, a consistent snapshot across writes --------------------
for i in 0 1 2 3 4 5 6 7 8 9; do mkcm "page-$i" page; done
acurl -o "$T/p1" "${UA[@]}" "$BASE$CM?labelSelector=grp%3Dpage&limit=4"
expect_eq "selector page: 4 items" "page-0 page-1 page-2 page-3" "$(names "$T/p1")"
acurl -o "$T/all" "${UA[@]}" "$BASE$CM"
TOTAL=$(jget 'len(d["items"])' "$T/all")
expect_eq "full list: 35 configmaps and kube-root-ca.crt" 36 "$TOTAL"
acurl -o "$T/p1" "${UA[@]}" "$BASE$CM?limit=10"
expect_eq "first page: 10 items" 10 "$(jget 'len(d["items"])' "$T/p1")"
expect_eq "first page: remainingItemCount = total - 10" $((TOTAL - 10)) "$(jget 'd["metadata"]["remainingItemCount"]' "$T/p1")"
P1RV=$(jget 'd["metadata"]["resourceVersion"]' "$T/p1")
C1=$(jget 'd["metadata"]["continue"]' "$T/p1")
# writes between pages: a new object, a deleted one, a modified one (all in later pages)
mkcm "page-9a" page
req DELETE "$CM/ryw-9" "${UA[@]}"
expect_eq "delete between pages: 200" 200 "$CODE"
req PUT "$CM/ryw-8" "${J[@]}" "${UA[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ryw-8","labels":{"grp":"ryw"}},"data":{"v":"changed"}}'
got="$(names "$T/p1")"
C="$C1"
pages=1
while [ -n "$C" ] && [ "$pages" -lt 20 ]; do
    acurl -o "$T/pn" "${UA[@]}" "$BASE$CM?limit=10&continue=$(urlq "$C")"
    got="$got $(names "$T/pn")"
    expect_eq "page $((pages + 1)): resourceVersion pinned to the first page's" "$P1RV" "$(jget 'd["metadata"]["resourceVersion"]' "$T/pn")"
    if [ "$(jget 'd["metadata"].get("continue","")' "$T/pn")" != "" ]; then
        rem=$(jget 'd["metadata"].get("remainingItemCount","none")' "$T/pn")
        expect_eq "page $((pages + 1)): remainingItemCount of the snapshot" $((TOTAL - 10 * (pages + 1))) "$rem"
    fi
    C=$(jget 'd["metadata"].get("continue","")' "$T/pn")
    pages=$((pages + 1))
    # the snapshot shows ryw-8 as it was
    v8=$(jget '[i["data"]["v"] for i in d["items"] if i["metadata"]["name"]=="ryw-8"]' "$T/pn")
    [ "$v8" = "[]" ] || expect_eq "paged snapshot: ryw-8 as of the first page" '["upd-8"]' "$v8"
done
expect_eq "paged list = the full list at the first page's revision" "$(names "$T/all")" "$got"
acurl -o "$T/now" "${UA[@]}" "$BASE$CM"
expect_eq "a new list sees the writes" "True True" \
    "$(jget 'str("page-9a" in [i["metadata"]["name"] for i in d["items"]]) + " " + str("ryw-9" not in [i["metadata"]["name"] for i in d["items"]])' "$T/now")"

# ---- Exact: an older revision is read from the store ---------------------------------------
acurl -o "$T/ex" "${UA[@]}" "$BASE$CM?resourceVersion=$P1RV&resourceVersionMatch=Exact"
expect_eq "Exact older revision: the list as it was" "$(names "$T/all")" "$(names "$T/ex")"
expect_eq "Exact older revision: its resourceVersion" "$P1RV" "$(jget 'd["metadata"]["resourceVersion"]' "$T/ex")"
acurl -o "$T/r0" "${UA[@]}" "$BASE$CM?resourceVersion=0"
expect_eq "resourceVersion=0: served (from the cache), 36 items" 36 "$(jget 'len(d["items"])' "$T/r0")"
acurl -o "$T/nt" "${UA[@]}" "$BASE$CM?resourceVersion=$P1RV&resourceVersionMatch=NotOlderThan"
expect_eq "NotOlderThan an older revision: the current state" "$(names "$T/now")" "$(names "$T/nt")"

# ---- get with a resourceVersion (upstream: "0" any, "N" not older than N, newer: 504) -------
req GET "$CM/page-9a?resourceVersion=0" "${UA[@]}"
expect_eq "get resourceVersion=0: from the cache" "200 page-9a" "$CODE $(jget 'd["metadata"]["name"]' "$T/body")"
GRV=$(jget 'd["metadata"]["resourceVersion"]' "$T/body")
req GET "$CM/page-9a?resourceVersion=$GRV" "${UA[@]}"
expect_eq "get resourceVersion=its own: 200, the same revision" "200 $GRV" "$CODE $(jget 'd["metadata"]["resourceVersion"]' "$T/body")"
req GET "$CM/page-9a?resourceVersion=99999999" "${UA[@]}"
expect_eq "get resourceVersion beyond the store: 504 Timeout" "504 Timeout" "$CODE $(jget 'd["reason"]' "$T/body")"
expect_contains "get resourceVersion beyond the store: upstream's text" "Too large resource version: 99999999, current: " "$BODY"
req GET "$CM/page-9a?resourceVersion=abc" "${UA[@]}"
expect_eq "get resourceVersion=abc: 400" "400" "$CODE"
expect_contains "get resourceVersion=abc: upstream's text" 'invalid resource version \"abc\"' "$BODY"

# ---- watch from a resourceVersion replays exactly ---------------------------------------------
mkcm w-a watch 1
WRV=$(jget 'd["metadata"]["resourceVersion"]' "$T/body")
req PUT "$CM/w-a" "${J[@]}" "${UA[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"w-a","labels":{"grp":"watch"}},"data":{"v":"2"}}'
RV2=$(jget 'd["metadata"]["resourceVersion"]' "$T/body")
mkcm w-b watch 3
RV3=$(jget 'd["metadata"]["resourceVersion"]' "$T/body")
req DELETE "$CM/w-a" "${UA[@]}"
acurl -N -o "$T/watch" "${UA[@]}" "$BASE$CM?watch=1&resourceVersion=$WRV&timeoutSeconds=2&labelSelector=grp%3Dwatch"
ev=$("$PY" -c '
import json,sys
out=[]
for l in open(sys.argv[1]):
    e=json.loads(l); o=e["object"]
    out.append("%s %s %s %s" % (e["type"], o["metadata"]["name"], o.get("data",{}).get("v"), o["metadata"]["resourceVersion"]))
print("|".join(out))' "$T/watch")
DRV=$(( RV3 + 1 ))
expect_match "watch from a resourceVersion: MODIFIED, ADDED, DELETED with their revisions" \
    "^MODIFIED w-a 2 $RV2\|ADDED w-b 3 $RV3\|DELETED w-a 2 [0-9]+$" "$ev"

# ---- sendInitialEvents (WatchList): the state, the initial-events-end bookmark, then changes ---
acurl -o "$T/cur" "${UA[@]}" "$BASE$CM?labelSelector=grp%3Dwatch"
CURRV=$(jget 'd["metadata"]["resourceVersion"]' "$T/cur")
acurl -N -o "$T/wl" "${UA[@]}" "$BASE$CM?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=2&labelSelector=grp%3Dwatch"
ev=$("$PY" -c '
import json,sys
out=[]
for l in open(sys.argv[1]):
    e=json.loads(l); o=e["object"]
    out.append("%s %s %s %s" % (e["type"], o["kind"], o["metadata"].get("name","-"), o["metadata"].get("annotations",{}).get("k8s.io/initial-events-end","-")))
print("|".join(out))' "$T/wl")
expect_eq "sendInitialEvents=true: ADDED for the state, then the initial-events-end BOOKMARK" "ADDED ConfigMap w-b -|BOOKMARK ConfigMap - true" "$ev"
expect_eq "sendInitialEvents=true: the bookmark carries the state's resourceVersion" "$CURRV" \
    "$(tail -n 1 "$T/wl" | jget 'd["object"]["metadata"]["resourceVersion"]' /dev/stdin)"
acurl -N -o "$T/wl0" "${UA[@]}" "$BASE$CM?watch=1&sendInitialEvents=false&timeoutSeconds=1&labelSelector=grp%3Dwatch"
expect_eq "sendInitialEvents=false: no synthetic events" "" "$(cat "$T/wl0")"

# ---- an expired continue token: 410 with upstream's message ------------------------------------
acurl -o "$T/e1" "${UA[@]}" "$BASE$CM?limit=2"
EC=$(jget 'd["metadata"]["continue"]' "$T/e1")
ERV=$(jget 'd["metadata"]["resourceVersion"]' "$T/e1")
mkcm after-expire x
# compaction as the compactor leaves it (it runs every 5 minutes): history up to ERV+1 gone
"$PY" -c 'import sqlite3,sys; db=sqlite3.connect(sys.argv[1]); db.execute("INSERT OR REPLACE INTO meta(name,value) VALUES(\"compact_rev\", ?)", (int(sys.argv[2]),)); db.commit()' "$T/data/anzen.db" $((ERV + 1))
req GET "$CM?limit=2&continue=$(urlq "$EC")" "${UA[@]}"
expect_eq "expired continue: 410 Expired" "410 Expired" "$CODE $(jget 'd["reason"]' "$T/body")"
expect_eq "expired continue: upstream's message" "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list." "$(jget 'd["message"]' "$T/body")"


# ---- lists composed from the stored bytes: byte for byte the tree path's JSON ----------------
req POST /api/v1/namespaces "${J[@]}" -d '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bytes"}}'
"$PY" - "$T/tricky.json" <<'PYEOF'
import json, sys
data = {"html": "<b>a & b</b>", "uni": "\u00e9\u2713\u2028\u2029 \U0001F600", "esc": "back\\slash \"q\" nl\n tab\t ff\f bs\b ctl\u0001",
        "plain": "hello", "slash": "a/b"}
json.dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "tricky", "labels": {"k": "v"}, "annotations": {"a": "x<y"}}, "data": data},
          open(sys.argv[1], "w"), ensure_ascii=False)
PYEOF
req POST /api/v1/namespaces/bytes/configmaps "${J[@]}" "${UA[@]}" --data-binary @"$T/tricky.json"
expect_eq "tricky configmap created" 201 "$CODE"
req POST /api/v1/namespaces/bytes/configmaps "${J[@]}" "${UA[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"plain"},"data":{"a":"1"}}'
req POST /api/v1/namespaces/bytes/secrets "${J[@]}" "${UA[@]}" -d '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s1"},"data":{"a":"MQ=="},"type":"Opaque"}'
for res in configmaps secrets; do
    acurl -o "$T/blist" "${UA[@]}" "$BASE/api/v1/namespaces/bytes/$res"
    for n in $(jget '" ".join(i["metadata"]["name"] for i in d["items"])' "$T/blist"); do
        acurl -o "$T/bget-$n" "${UA[@]}" "$BASE/api/v1/namespaces/bytes/$res/$n"
    done
    got=$("$PY" - "$T" "$res" <<'PYEOF'
import json, sys, re
t, res = sys.argv[1], sys.argv[2]
raw = open(t + "/blist", "rb").read()
d = json.loads(raw)
items = []
for i in d["items"]:
    g = open(t + "/bget-" + i["metadata"]["name"], "rb").read().rstrip(b"\n")
    # the single GET (tree path): drop its leading kind and apiVersion members
    m = re.match(rb'^\{"kind":"[A-Za-z]+","apiVersion":"v1",', g)
    items.append(b"{" + g[m.end():] if m else b"?")
kind = {"configmaps": b"ConfigMapList", "secrets": b"SecretList"}[res]
want = b'{"kind":"' + kind + b'","apiVersion":"v1","metadata":{"resourceVersion":"' + d["metadata"]["resourceVersion"].encode() + b'"},"items":[' + b",".join(items) + b"]}\n"
i = next((k for k in range(min(len(raw), len(want))) if raw[k] != want[k]), min(len(raw), len(want)))
print("same" if raw == want else "differ at %d: %r vs %r" % (i, raw[max(0, i - 60):i + 60], want[max(0, i - 60):i + 60]))
PYEOF
)
    expect_eq "list of $res from bytes = the decoded objects' JSON, byte for byte" "same" "$got"
done
acurl -o "$T/blist" "${UA[@]}" "$BASE/api/v1/namespaces/bytes/configmaps?fieldSelector=metadata.name%3Dtricky"
expect_contains "Go escaping kept in a selected list (\\u003c, \\u2028)" '\u003cb\u003ea \u0026 b\u003c/b\u003e' "$(cat "$T/blist")"
expect_eq "selected list item equals its object" "$(jget 'd["data"]' "$T/bget-tricky")" "$(jget 'd["items"][0]["data"]' "$T/blist")"
acurl -o "$T/pretty" "$BASE/api/v1/namespaces/bytes/configmaps"
expect_eq "curl User-Agent: pretty list, same content" "$(jget 'd["items"]' "$T/pretty")" "$(jget 'd["items"]' "$T/blist-all" 2>/dev/null || (acurl -o "$T/blist-all" "${UA[@]}" "$BASE/api/v1/namespaces/bytes/configmaps"; jget 'd["items"]' "$T/blist-all"))"
expect_contains "curl User-Agent: indented" $'{\n  "kind": "ConfigMapList",\n  "apiVersion": "v1"' "$(cat "$T/pretty")"

# label selectors matched on the stored bytes (only labels decoded) = the tree path's answer
req POST /api/v1/namespaces/bytes/configmaps "${J[@]}" "${UA[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"lab2","labels":{"k":"w","tier":"db"}}}'
for sel in 'k%3Dv' 'k!%3Dv' '!k' 'k' 'k%20in%20(v,w)' 'tier%20notin%20(db)' 'k%3Dw,tier%3Ddb'; do
    acurl -o "$T/sb" "${UA[@]}" "$BASE/api/v1/namespaces/bytes/configmaps?labelSelector=$sel"
    acurl -o "$T/st" "$BASE/api/v1/namespaces/bytes/configmaps?labelSelector=$sel"
    expect_eq "labelSelector $sel: bytes path = tree path" "$(jget 'd["items"]' "$T/st")" "$(jget 'd["items"]' "$T/sb")"
done
acurl -o "$T/sb" "${UA[@]}" "$BASE/api/v1/namespaces/bytes/configmaps?labelSelector=!k"
expect_eq "labelSelector !k: the unlabelled ones" "kube-root-ca.crt plain" "$(names "$T/sb")"

# ---- the cache is loaded from the store at start ---------------------------------------------
acurl -o "$T/before" "${UA[@]}" "$BASE$CM"
server_stop
server_start "$T/data" || exit 1
acurl -o "$T/after" "${UA[@]}" "$BASE$CM"
expect_eq "after a restart: the same list" "$(jget '[(i["metadata"]["name"], i["metadata"]["resourceVersion"]) for i in d["items"]]' "$T/before")" \
    "$(jget '[(i["metadata"]["name"], i["metadata"]["resourceVersion"]) for i in d["items"]]' "$T/after")"
req GET "$CM/ryw-8" "${UA[@]}"
expect_eq "after a restart: get from the cache" "200 changed" "$CODE $(jget 'd["data"]["v"]' "$T/body")"
mkcm post-restart x
acurl -o "$T/l" "${UA[@]}" "$BASE$CM?fieldSelector=metadata.name%3Dpost-restart"
expect_eq "after a restart: a new write is listed" "post-restart" "$(names "$T/l")"

server_alive && e2e_pass "server still running" || e2e_fail "server still running" "alive" "dead"
e2e_finish
