#!/usr/bin/env bash
# End-to-end test of issue 11: the requests the request-head pre-filter (http/prefilter.c)
# answers before their body are observed as upstream observes them.
#   - 401 (bad or no credentials): upstream's failed-authentication audit event (stage
#     ResponseStarted, the policy's level, responseStatus {message: "Authentication failed,
#     attempted: ...", code: 401}, no user) and authentication_attempts{result="failure"};
#     not in apiserver_request_total (upstream counts requests after authentication);
#   - a Content-Length over 3 MiB from an authenticated client: authorization first, as
#     upstream (its handler reads the body after the filters): forbidden → the handler's 403
#     Status, allowed → 413 RequestEntityTooLarge; both audited (decision, responseStatus)
#     and counted in apiserver_request_total with the request's labels;
#   - the body budget's 429: audited and counted as upstream's max-in-flight refusal
#     (apiserver_request_total and apiserver_request_terminations_total, code 429).
# Raw requests: tests/e2e/intake_client.py.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
cat >"$T/policy.yaml" <<'YAML'
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: None
  nonResourceURLs: ["/healthz*", "/readyz*", "/livez*", "/metrics"]
- level: Request
  resources:
  - group: ""
    resources: ["configmaps"]
- level: Metadata
YAML
mkdir -p "$T/audit"
SERVE_FLAGS="--no-node --max-request-body-budget 4194304 --audit-log-path $T/audit/audit.log --audit-policy-file $T/policy.yaml"
server_start "$T/data" || exit 1
PKI="$SERVER_DIR/pki"
CM=/api/v1/namespaces/default/configmaps
metric() { kc get --raw /metrics | grep -F "$1" | awk '{s += $NF} END {print s + 0}'; }
# event AUDIT_ID: the audit events of that request, one JSON per line
event() { grep -F "\"auditID\":\"$1\"" "$T/audit/audit.log"; }
logged() { [ -n "$(event "$1")" ]; }

kc create serviceaccount nobody >/dev/null
kc create serviceaccount writer >/dev/null
kc create rolebinding writer-edit --clusterrole=edit --serviceaccount=default:writer >/dev/null
NOBODY=$(kc create token nobody)
WRITER=$(kc create token writer)
FAIL0=$(metric 'authentication_attempts{result="failure"}')

# ---- 401 before the body: audited and counted as upstream -----------------------------------
OUT=$(IC_USER_AGENT=intake-observe/1 IC head --token not-a-valid-token POST "$CM" 4194304)
expect_eq "bad token, 4 MB announced: 401 before the body" "HTTP/1.1 401 " "$(val STATUS)"
AID=$(val H_AUDIT_ID)
expect_ne "401: audit-id header" "" "$AID"
wait_until 10 logged "$AID"
EV=$(event "$AID")
expect_eq "401: one audit event" 1 "$(printf '%s\n' "$EV" | grep -c .)"
expect_eq "401: stage ResponseStarted at the policy's level (Request for configmaps)" "ResponseStarted Request" \
    "$(printf '%s' "$EV" | jget 'd["stage"]+" "+d["level"]')"
expect_eq "401: responseStatus as upstream's failed-authentication audit" \
    '{"metadata":{},"message":"Authentication failed, attempted: bearer","code":401}' \
    "$(printf '%s' "$EV" | jget 'd["responseStatus"]')"
expect_eq "401: no user" '{}' "$(printf '%s' "$EV" | jget 'd["user"]')"
expect_eq "401: verb, objectRef, requestURI from the request info" \
    'create {"resource":"configmaps","namespace":"default","apiVersion":"v1"} /api/v1/namespaces/default/configmaps' \
    "$(printf '%s' "$EV" | jget 'd["verb"]+" "+json.dumps(d["objectRef"],separators=(",",":"))+" "+d["requestURI"]')"
expect_eq "401: sourceIPs and userAgent" '["127.0.0.1"] intake-observe/1' \
    "$(printf '%s' "$EV" | jget 'json.dumps(d["sourceIPs"])+" "+d["userAgent"]')"
expect_not_contains "401: the token is not logged" "not-a-valid-token" "$(cat "$T/audit/audit.log")"
OUT=$(IC head POST "$CM" 4194304)
expect_eq "no credentials: 401" "HTTP/1.1 401 " "$(val STATUS)"
AID=$(val H_AUDIT_ID)
wait_until 10 logged "$AID"
expect_eq "no credentials: upstream's message" "Authentication failed, no credentials provided" \
    "$(event "$AID" | jget 'd["responseStatus"]["message"]')"
# a 401 from the handler (no body) is audited the same way
CODE=$(curl -sS -o /dev/null -D "$T/hdrs" -w '%{http_code}' --cacert "$PKI/ca.crt" -H "Authorization: Bearer not-a-valid-token" "$BASE$CM")
expect_eq "GET with a bad token: 401" 401 "$CODE"
AID=$(grep -i '^audit-id:' "$T/hdrs" | tr -d '\r' | sed 's/^[^:]*: *//')
wait_until 10 logged "$AID"
expect_eq "handler's 401: stage, level, verb, objectRef, responseStatus as upstream" \
    'ResponseStarted Request list {"resource":"configmaps","namespace":"default","apiVersion":"v1"} {"metadata":{},"message":"Authentication failed, attempted: bearer","code":401}' \
    "$(event "$AID" | jget 'd["stage"]+" "+d["level"]+" "+d["verb"]+" "+json.dumps(d["objectRef"],separators=(",",":"))+" "+json.dumps(d["responseStatus"],separators=(",",":"))')"
expect_eq "metrics: authentication_attempts{result=\"failure\"} counts the three 401s" $((FAIL0 + 3)) \
    "$(metric 'authentication_attempts{result="failure"}')"
expect_eq "metrics: no apiserver_request_total series for 401 (counted after authentication)" 0 \
    "$(kc get --raw /metrics | grep -c '^apiserver_request_total{code="401"')"

# ---- over 3 MiB from an authenticated client: authorization first ---------------------------
OUT=$(IC head --token "$NOBODY" POST "$CM" 5242880)
expect_eq "5 MB, token without rights: 403 (authorization before the body), as upstream" "HTTP/1.1 403 " "$(val STATUS)"
expect_eq "403: the handler's Forbidden Status" \
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps is forbidden: User \"system:serviceaccount:default:nobody\" cannot create resource \"configmaps\" in API group \"\" in the namespace \"default\"","reason":"Forbidden","details":{"kind":"configmaps"},"code":403}\n' \
    "$(val BODY)"
expect_eq "403: connection closed, body never read" 1 "$(val EOF)"
AID=$(val H_AUDIT_ID)
wait_until 10 logged "$AID"
EV=$(event "$AID" | tail -n 1)
expect_eq "403: audited with the decision and the user" "ResponseComplete 403 forbid system:serviceaccount:default:nobody" \
    "$(printf '%s' "$EV" | jget 'd["stage"]+" "+str(d["responseStatus"]["code"])+" "+d["annotations"]["authorization.k8s.io/decision"]+" "+d["user"]["username"]')"
OUT=$(IC head --token "$WRITER" POST "$CM" 5242880)
expect_eq "5 MB, token allowed to create: 413" "HTTP/1.1 413 " "$(val STATUS)"
expect_eq "413: upstream's Status" \
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Request entity too large: limit is 3145728","reason":"RequestEntityTooLarge","code":413}\n' \
    "$(val BODY)"
AID=$(val H_AUDIT_ID)
wait_until 10 logged "$AID"
EV=$(event "$AID" | tail -n 1)
expect_eq "413: audited (allow, code, reason)" "ResponseComplete 413 RequestEntityTooLarge allow" \
    "$(printf '%s' "$EV" | jget 'd["stage"]+" "+str(d["responseStatus"]["code"])+" "+d["responseStatus"]["reason"]+" "+d["annotations"]["authorization.k8s.io/decision"]')"
expect_eq "413: RequestReceived and ResponseComplete" 2 "$(event "$AID" | grep -c .)"
M=$(kc get --raw /metrics)
expect_match "metrics: the 413 counted with the request's labels" \
    '^apiserver_request_total\{code="413",component="apiserver",dry_run="",group="",resource="configmaps",scope="resource",subresource="",verb="POST",version="v1"\} 1$' "$M"
expect_match "metrics: the 403 counted" \
    '^apiserver_request_total\{code="403",.*resource="configmaps".*verb="POST",version="v1"\} 1$' "$M"
OUT=$(IC head --token "$WRITER" POST /api/v1/namespaces/default/configmaps?pretty=true 5242880)
expect_contains "413: ?pretty=true honoured as the handler does" '  "kind": "Status",' "$(val BODY)"

# ---- the body budget's 429 (4 MiB here: one 3 MiB body waiting takes most of it) -------------
mkfifo "$T/h1"
IC head --cert --hold POST "$CM" 3145728 <"$T/h1" >"$T/h1.out" &
E2E_BG_PIDS="${E2E_BG_PIDS:-} $!"
exec 8>"$T/h1"
wait_until 60 grep -q SENT "$T/h1.out"
acurl -s -o /dev/null "$BASE/readyz"
OUT=$(IC head --token "$WRITER" POST "$CM" 2000000)
expect_eq "budget: a 2 MB body while 3 MiB wait: 429" "HTTP/1.1 429 " "$(val STATUS)"
AID=$(val H_AUDIT_ID)
wait_until 10 logged "$AID"
EV=$(event "$AID" | tail -n 1)
expect_eq "budget 429: audited with the user" "ResponseComplete 429 system:serviceaccount:default:writer create" \
    "$(printf '%s' "$EV" | jget 'd["stage"]+" "+str(d["responseStatus"]["code"])+" "+d["user"]["username"]+" "+d["verb"]')"
exec 8>&-
M=$(kc get --raw /metrics)
expect_match "metrics: the 429 in apiserver_request_total" \
    '^apiserver_request_total\{code="429",.*resource="configmaps".*verb="POST",version="v1"\} 1$' "$M"
expect_match "metrics: the 429 in apiserver_request_terminations_total" \
    '^apiserver_request_terminations_total\{code="429",component="apiserver",group="",resource="configmaps",scope="resource",subresource="",verb="POST",version="v1"\} 1$' "$M"

# ---- normal writes are observed once, by the handler ------------------------------------------
CODE=$(curl -sS -o /dev/null -D "$T/hdrs" -w '%{http_code}' --cacert "$PKI/ca.crt" -H "Authorization: Bearer $WRITER" \
    -H 'Content-Type: application/json' -d '{"metadata":{"name":"small"}}' "$BASE$CM")
expect_eq "a normal create: 201" 201 "$CODE"
AID=$(grep -i '^audit-id:' "$T/hdrs" | tr -d '\r' | sed 's/^[^:]*: *//')
wait_until 10 logged "$AID"
expect_eq "a normal create: RequestReceived and ResponseComplete once each" 2 "$(event "$AID" | grep -c .)"
ensure_alive "server alive"
e2e_finish
