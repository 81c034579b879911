#!/usr/bin/env bash
# analyze_test.sh — `anzen analyze` end to end: the seed's runner → node path and its Pod
# Security cut, the three-hop path, the least-privilege corpus, stdin/directories/exit codes,
# SARIF (structural check of SARIF 2.1.0's required properties: no schema file is packaged in
# Debian), Graphviz rendering with `dot -Tsvg`, the kubectl plugin link, live mode against the
# real anzen server (same findings as offline), bearer-token kubeconfigs, and GET /analyze.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
DATA="$ANZEN_SRC/tests/analyze_data"
export NO_COLOR=1

# summary FILE: one line per finding: severity kind subject reaches hops from>to[via]...
summary()
{
    "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
for f in d["findings"]:
    hops = " ".join("%s>%s[%s]" % (h["from"], h["to"], (h["via"] or {}).get("binding")) for h in f["path"])
    print(f["severity"], f["kind"], f["subject"], f["reaches"], f["hops"], hops)
' "$1"
}

# ---- offline: the seed ------------------------------------------------------------------
OUT=$("$ANZEN" analyze -f "$DATA/seed-manifests.yaml" -f "$DATA/seed-hostpath-pod.yaml")
expect_match "seed: runner reaches the node (table)" '^critical +system:serviceaccount:lab:runner +node +1$' "$OUT"
expect_contains "seed: the hop names create jobs.batch and the PSA-free namespace" \
    "create jobs.batch ⇒ run a pod as any ServiceAccount in lab ⇒ with hostPath" "$OUT"
expect_contains "seed: the grant behind the hop" "via RoleBinding lab/job-runner → Role lab/job-runner → rule" "$OUT"
expect_contains "seed: remedy is a Pod Security label" "pod-security.kubernetes.io/enforce=baseline" "$OUT"
expect_not_contains "seed: no colour when NO_COLOR is set" $'\033[' "$OUT"

"$ANZEN" analyze -o json -f "$DATA/seed-manifests.yaml" -f "$DATA/seed-hostpath-pod.yaml" >"$T/seed.json"
expect_eq "seed: JSON path hop" "system:serviceaccount:lab:runner>node[RoleBinding lab/job-runner]" \
    "$(jget '[" ".join("%s>%s[%s]" % (h["from"], h["to"], h["via"]["binding"]) for h in f["path"]) for f in d["findings"] if f["subject"].endswith(":lab:runner")][0]' "$T/seed.json")"
expect_eq "seed: JSON rule behind the hop" '["jobs","job/status"]' \
    "$(jget '[f for f in d["findings"] if f["subject"].endswith(":lab:runner")][0]["path"][0]["via"]["rule"]["resources"]' "$T/seed.json")"
expect_eq "seed: location of the RoleBinding" "$DATA/seed-manifests.yaml:26" \
    "$(jget '[f for f in d["findings"] if f["subject"].endswith(":lab:runner")][0]["location"]["file"] + ":" + str([f for f in d["findings"] if f["subject"].endswith(":lab:runner")][0]["location"]["line"])' "$T/seed.json")"

OUT=$("$ANZEN" analyze -o json -f "$DATA/seed-manifests.yaml" -f "$DATA/seed-hostpath-pod.yaml" -f "$DATA/psa-baseline.yaml")
expect_eq "seed + enforce=baseline: the node hop disappears" "system:serviceaccount:lab:default low" \
    "$(printf '%s' "$OUT" | jget '[f["reaches"] + " " + f["severity"] for f in d["findings"] if f["subject"].endswith(":lab:runner")][0]')"

# ---- offline: three hops, least privilege, stdin, directories, exit codes -----------------
"$ANZEN" analyze -o json -f "$DATA/three-hop.yaml" >"$T/three.json"
expect_eq "three hops: one 3-hop path to cluster-admin" \
    "critical escalation system:serviceaccount:x:a cluster-admin 3 system:serviceaccount:x:a>system:serviceaccount:x:b[RoleBinding x/a-creates-pods] system:serviceaccount:x:b>system:serviceaccount:y:c[RoleBinding y/b-reads-secrets] system:serviceaccount:y:c>cluster-admin[ClusterRoleBinding c-admin]" \
    "$(summary "$T/three.json" | grep ' system:serviceaccount:x:a ')"

OUT=$("$ANZEN" analyze -o json -f "$DATA/least-privilege.yaml")
expect_eq "least privilege (+ default roles): nothing above low" "[]" \
    "$(printf '%s' "$OUT" | jget '[f["subject"] for f in d["findings"] if f["severity"] not in ("low",)]')"
"$ANZEN" analyze -f "$DATA/least-privilege.yaml" --fail-on medium >/dev/null
expect_eq "--fail-on medium passes the least-privilege corpus" 0 $?
"$ANZEN" analyze -f "$DATA/three-hop.yaml" --fail-on critical >/dev/null
expect_eq "--fail-on critical fails the three-hop corpus" 1 $?

OUT=$(cat "$DATA/three-hop.yaml" | "$ANZEN" analyze -o json -f -)
expect_eq "stdin (-f -) gives the same findings" "$(summary "$T/three.json")" "$(printf '%s' "$OUT" >"$T/stdin.json"; summary "$T/stdin.json")"
mkdir -p "$T/dir/sub" && cp "$DATA/seed-manifests.yaml" "$T/dir/" && cp "$DATA/seed-hostpath-pod.yaml" "$T/dir/sub/pod.yml" && echo junk >"$T/dir/README"
OUT=$("$ANZEN" analyze -f "$T/dir")
expect_match "a directory is read recursively (*.yaml, *.yml)" '^critical +system:serviceaccount:lab:runner +node' "$OUT"

printf 'kind: Pod\nmetadata: {name: x}\nspec: [1\n' >"$T/bad.yaml"
ERR=$("$ANZEN" analyze -f "$T/bad.yaml" 2>&1 >/dev/null); RC=$?
expect_eq "invalid YAML: exit 2" 2 "$RC"
expect_contains "invalid YAML: the file and line" "bad.yaml: line 4" "$ERR"
ERR=$("$ANZEN" analyze -f "$T/missing.yaml" 2>&1 >/dev/null); RC=$?
expect_eq "missing file: exit 2" 2 "$RC"
ERR=$("$ANZEN" analyze -o xml -f "$DATA/three-hop.yaml" 2>&1 >/dev/null); RC=$?
expect_eq "unknown -o: exit 2" 2 "$RC"
expect_contains "unknown -o: message" 'unknown output format "xml"' "$ERR"

# ---- SARIF and dot ------------------------------------------------------------------------
"$ANZEN" analyze -o sarif -f "$DATA/seed-manifests.yaml" -f "$DATA/seed-hostpath-pod.yaml" -f "$DATA/three-hop.yaml" >"$T/out.sarif"
SARIF_CHECK=$("$PY" - "$T/out.sarif" <<'PYEOF'
# Structural check of the SARIF 2.1.0 properties the schema requires and GitHub code scanning
# reads (sarifLog.version/runs, run.tool.driver.name, result.message.text, level enum,
# ruleId/ruleIndex consistency, physicalLocation.artifactLocation.uri + region.startLine >= 1).
import json, sys
d = json.load(open(sys.argv[1]))
errs = []
def need(cond, what):
    if not cond: errs.append(what)
need(d.get("version") == "2.1.0", "version 2.1.0")
need(isinstance(d.get("$schema"), str) and "sarif" in d["$schema"], "$schema")
runs = d.get("runs")
need(isinstance(runs, list) and len(runs) == 1, "runs[1]")
run = runs[0]
drv = run.get("tool", {}).get("driver", {})
need(isinstance(drv.get("name"), str) and drv["name"], "tool.driver.name")
rules = drv.get("rules", [])
ids = [r.get("id") for r in rules]
need(len(ids) == len(set(ids)) and all(isinstance(i, str) for i in ids), "unique rule ids")
for r in rules:
    need(isinstance(r.get("shortDescription", {}).get("text"), str), "rule.shortDescription.text")
    need(isinstance(r.get("properties", {}).get("security-severity"), str), "rule security-severity")
res = run.get("results")
need(isinstance(res, list) and len(res) > 0, "results")
for x in res:
    need(isinstance(x.get("message", {}).get("text"), str) and x["message"]["text"], "result.message.text")
    need(x.get("level") in ("none", "note", "warning", "error"), "result.level enum")
    need(x.get("ruleId") in ids and ids[x.get("ruleIndex", -1)] == x.get("ruleId"), "ruleId/ruleIndex")
    locs = x.get("locations")
    need(isinstance(locs, list) and len(locs) >= 1, "result.locations")
    for l in locs:
        pl = l.get("physicalLocation", {})
        need(isinstance(pl.get("artifactLocation", {}).get("uri"), str), "artifactLocation.uri")
        need(isinstance(pl.get("region", {}).get("startLine"), int) and pl["region"]["startLine"] >= 1, "region.startLine")
    need(isinstance(x.get("partialFingerprints"), dict), "partialFingerprints")
print("ok" if not errs else "errors: " + ", ".join(sorted(set(errs))))
PYEOF
)
expect_eq "SARIF 2.1.0 structure" ok "$SARIF_CHECK"
expect_eq "SARIF: the runner result points at the RoleBinding line" "file://$DATA/seed-manifests.yaml:26" \
    "$(jget '[r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] + ":" + str(r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in d["runs"][0]["results"] if "lab:runner reaches" in r["message"]["text"]][0]' "$T/out.sarif")"

"$ANZEN" analyze -o dot -f "$DATA/seed-manifests.yaml" -f "$DATA/seed-hostpath-pod.yaml" -f "$DATA/three-hop.yaml" >"$T/out.dot"
dot -Tsvg "$T/out.dot" >"$T/out.svg" 2>"$T/dot.err"
expect_eq "dot renders with Graphviz" "0 " "$? $(cat "$T/dot.err")"
expect_contains "the SVG has the runner → node edge" "system:serviceaccount:lab:runner&#45;&gt;node" "$(cat "$T/out.svg")"

# ---- kubectl plugin -----------------------------------------------------------------------
make -s -C "$ANZEN_SRC" install BUILD="$(dirname "$ANZEN")" PREFIX="$T/prefix" >"$T/install.log" 2>&1
expect_eq "make install creates the kubectl-anzen link" "anzen" "$(readlink "$T/prefix/bin/kubectl-anzen")"
OUT=$(PATH="$T/prefix/bin:$PATH" kubectl anzen analyze -f "$DATA/three-hop.yaml" 2>&1)
expect_match "kubectl anzen analyze runs the plugin" '^critical +system:serviceaccount:x:a +cluster-admin +3$' "$OUT"

# ---- live mode against the real server ----------------------------------------------------
server_start "$T/data" || { e2e_finish; }
for f in three-hop.yaml seed-manifests.yaml seed-hostpath-pod.yaml; do
    kc apply -f "$DATA/$f" >>"$T/apply.log" 2>&1 || echo "# apply $f failed: $(tail -n 3 "$T/apply.log")"
done
ERR=$(ANZEN_PROGRESS=1 "$ANZEN" analyze -o json --kubeconfig "$KCFG" 2>&1 >"$T/live.json"); RC=$?
expect_eq "live: exit 0" 0 "$RC"
expect_contains "live: progress line on stderr" "anzen analyze: listing rolebindings" "$ERR"
expect_match "live: final progress line" "listed [0-9]+ objects from https://127.0.0.1:$SERVER_PORT" "$ERR"
"$ANZEN" analyze -o json -f "$DATA/three-hop.yaml" -f "$DATA/seed-manifests.yaml" -f "$DATA/seed-hostpath-pod.yaml" >"$T/offline.json"
expect_eq "live gives the same findings as offline" "$(summary "$T/offline.json")" "$(summary "$T/live.json")"
expect_contains "live: the three-hop path is found" "critical escalation system:serviceaccount:x:a cluster-admin 3" "$(summary "$T/live.json")"

OUT=$(KUBECONFIG="$KCFG" PATH="$T/prefix/bin:$PATH" kubectl anzen analyze -o json 2>/dev/null)
expect_eq "kubectl anzen analyze (no -f): the live cluster of \$KUBECONFIG" "$(summary "$T/live.json")" \
    "$(printf '%s' "$OUT" >"$T/plugin.json"; summary "$T/plugin.json")"

# the served endpoint: same report, authorised like any request
req GET /analyze
expect_eq "GET /analyze: 200" 200 "$CODE"
printf '%s' "$BODY" >"$T/served.json"
expect_eq "GET /analyze: the same findings as the CLI" "$(summary "$T/live.json")" "$(summary "$T/served.json")"
noauth_req GET /analyze
expect_eq "GET /analyze without credentials: 401" 401 "$CODE"
TOKEN=$(kc create token c -n y 2>/dev/null)   # c is cluster-admin: allowed
kc create sa nobody -n x >/dev/null 2>&1
NOBODY=$(kc create token nobody -n x 2>/dev/null)
CODE=$(curl -s -o "$T/body" -w '%{http_code}' --cacert "$T/data/pki/ca.crt" -H "Authorization: Bearer $NOBODY" "$BASE/analyze")
expect_eq "GET /analyze as an unprivileged SA: 403" 403 "$CODE"
expect_eq "GET /analyze 403 is a Status" 'forbidden: User "system:serviceaccount:x:nobody" cannot get path "/analyze"' "$(jget 'd["message"]' "$T/body")"

# a bearer-token kubeconfig (the token of SA c, cluster-admin) and one without permission
CA=$(base64 -w0 <"$T/data/pki/ca.crt")
tokcfg()
{
    cat <<KEOF
apiVersion: v1
kind: Config
current-context: t
contexts: [{name: t, context: {cluster: c, user: u}}, {name: other, context: {cluster: c, user: nobody}}]
clusters: [{name: c, cluster: {server: "$BASE", certificate-authority-data: $CA}}]
users: [{name: u, user: {token: "$1"}}, {name: nobody, user: {token: "$2"}}]
KEOF
}
tokcfg "$TOKEN" "$NOBODY" >"$T/token.kubeconfig"
"$ANZEN" analyze -o json --kubeconfig "$T/token.kubeconfig" >"$T/token.json" 2>"$T/token.err"
expect_eq "live with a bearer token: exit 0" "0" "$?"
expect_match "live, stderr not a terminal: only the final progress line" "^anzen analyze: listed [0-9]+ objects" "$(cat "$T/token.err")"
expect_not_contains "live, stderr not a terminal: no per-page lines" "listing" "$(cat "$T/token.err")"
expect_contains "live with a bearer token: findings" "system:serviceaccount:x:a cluster-admin 3" "$(summary "$T/token.json")"
ERR=$("$ANZEN" analyze --kubeconfig "$T/token.kubeconfig" --context other 2>&1 >/dev/null); RC=$?
expect_eq "live --context other (no list permission): exit 2" 2 "$RC"
expect_contains "live --context other: the API's 403" "HTTP 403" "$ERR"
expect_not_contains "live errors never print the token" "$NOBODY" "$ERR"
printf '%s\n' "$TOKEN" >"$T/token.txt"
sed -e "s|token: \"$TOKEN\"|tokenFile: token.txt|" "$T/token.kubeconfig" >"$T/tokenfile.kubeconfig"
"$ANZEN" analyze -o json --kubeconfig "$T/tokenfile.kubeconfig" >"$T/tokenfile.json" 2>/dev/null
expect_eq "live with tokenFile (relative to the kubeconfig): same findings" "$(summary "$T/token.json")" "$(summary "$T/tokenfile.json")"
sed -e "s|{token: \"$NOBODY\"}|{exec: {command: /bin/false, apiVersion: client.authentication.k8s.io/v1}}|" "$T/token.kubeconfig" >"$T/exec.kubeconfig"
ERR=$("$ANZEN" analyze --kubeconfig "$T/exec.kubeconfig" --context other 2>&1 >/dev/null); RC=$?
expect_eq "live: exec credential plugins are refused (exit 2)" 2 "$RC"
expect_contains "live: exec credential plugin message" "credential plugin (exec/auth-provider)" "$ERR"
ERR=$("$ANZEN" analyze --kubeconfig "$T/token.kubeconfig" --context nope 2>&1 >/dev/null)
expect_contains "live: unknown context" 'context "nope" not found' "$ERR"

e2e_finish
