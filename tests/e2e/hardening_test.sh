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
e2e_finish
