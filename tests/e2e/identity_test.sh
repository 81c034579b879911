#!/usr/bin/env bash
# identity_test.sh — ServiceAccount identity end to end (issue 3, spec/01, 02, 07, 11): the real
# anzen binary ($ANZEN, else build/anzen), kubectl, curl, python3 and the openssl CLI.
#
#   create_token_*   kubectl create token (plain, --audience, --duration, bound to a Pod):
#                    header and claims compared field by field and byte for byte with spec/01
#   jwks_verify      the JWKS from /openid/v1/jwks verifies the token with openssl (not anzen)
#   discovery        /.well-known/openid-configuration and /openid/v1/jwks bodies and headers
#   extend_3607      pod-bound 3607 s request: warnafter, one-year exp, expirationTimestamp
#   whoami           SelfSubjectReview with the token (201 user info; system:basic-user allows it)
#   review_*         TokenReview for valid and every failure case, with upstream's error text,
#                    and the same token on an API request -> the exact 401 Status
#   pod_delete       pod-bound token fails on the first request after the pod is deleted
#   legacy_secret    kubernetes.io/service-account-token Secret filled and its token accepted
#   short_expiry     10 min token: accepted 45 s past exp (leeway), 401 75 s past it — on the
#                    server clock moved by --testing-clock-offset-file, not by waiting
#
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
ISS=https://kubernetes.default.svc.cluster.local
SERVE_FLAGS="--no-node --testing-clock-offset-file $T/clock"
server_start "$T/data" || exit 1
K() { kc --request-timeout=10s "$@"; }
TOK_CURL() { local t=$1; shift; curl -s --cacert "$SERVER_DIR/pki/ca.crt" -H "Authorization: Bearer $t" "$@"; }
# clock_at UNIX_SECONDS: moves the server's clock so that its "now" is that time (give or take
# the real seconds the next requests take)
clock_at() { echo $(($1 - $(date +%s))) >"$T/clock.new" && mv "$T/clock.new" "$T/clock"; }

# a helper for JWT decoding, forging (signed with the server's sa.key by the openssl CLI) and
# JWKS verification (openssl CLI with a PEM built from n/e) — none of it uses anzen's code
cat >"$T/jwt.py" <<'PY'
import base64, json, subprocess, sys, tempfile, os, time
def b64d(s): return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))
def b64e(b): return base64.urlsafe_b64encode(b).rstrip(b'=').decode()
def der_len(n):
    if n < 128: return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, 'big'); return bytes([0x80 | len(b)]) + b
def der(tag, body): return bytes([tag]) + der_len(len(body)) + body
def der_int(i):
    b = i.to_bytes((i.bit_length() + 8) // 8, 'big'); return der(2, b)
def rsa_pem(n, e):
    rsakey = der(0x30, der_int(n) + der_int(e))
    alg = der(0x30, der(6, bytes.fromhex('2a864886f70d010101')) + der(5, b''))
    spki = der(0x30, alg + der(3, b'\x00' + rsakey))
    return '-----BEGIN PUBLIC KEY-----\n' + base64.encodebytes(spki).decode() + '-----END PUBLIC KEY-----\n'
def openssl_sign(key, data):
    with tempfile.NamedTemporaryFile() as f:
        f.write(data); f.flush()
        return subprocess.run(['openssl', 'dgst', '-sha256', '-sign', key, f.name], check=True, capture_output=True).stdout
cmd = sys.argv[1]
if cmd == 'part':        # part TOKEN 0|1 -> raw decoded JSON text
    print(b64d(sys.argv[2].split('.')[int(sys.argv[3])]).decode())
elif cmd == 'verify':    # verify TOKEN JWKS_JSON -> "verified" via openssl CLI
    tok = sys.argv[2]; jwks = json.loads(sys.argv[3]); h, p, s = tok.split('.')
    kid = json.loads(b64d(h))['kid']
    keys = [k for k in jwks['keys'] if k['kid'] == kid]
    if not keys: print('no key with kid', kid); sys.exit(1)
    k = keys[0]
    pem = rsa_pem(int.from_bytes(b64d(k['n']), 'big'), int.from_bytes(b64d(k['e']), 'big'))
    d = tempfile.mkdtemp()
    open(d + '/pub.pem', 'w').write(pem); open(d + '/sig', 'wb').write(b64d(s)); open(d + '/in', 'w').write(h + '.' + p)
    r = subprocess.run(['openssl', 'dgst', '-sha256', '-verify', d + '/pub.pem', '-signature', d + '/sig', d + '/in'], capture_output=True, text=True)
    print(r.stdout.strip())
elif cmd == 'forge':     # forge KEY KID ALG CLAIMS_JSON [pubpem for HS256]
    key, kid, alg, claims = sys.argv[2], sys.argv[3], sys.argv[4], json.loads(sys.argv[5])
    hdr = json.dumps({'alg': alg, 'kid': kid}, separators=(',', ':')).encode()
    pl = json.dumps(claims, separators=(',', ':'), sort_keys=True).encode()
    inp = (b64e(hdr) + '.' + b64e(pl)).encode()
    if alg == 'RS256': sig = openssl_sign(key, inp)
    elif alg == 'none': sig = b''
    elif alg == 'HS256':
        import hmac, hashlib
        sig = hmac.new(open(sys.argv[6], 'rb').read(), inp, hashlib.sha256).digest()
    print(inp.decode() + '.' + b64e(sig))
elif cmd == 'claims':    # claims TOKEN -> python-evaluable checks done by the caller via jq-like paths
    print(json.dumps(json.loads(b64d(sys.argv[2].split('.')[1])), sort_keys=True))
PY
PY() { python3 "$T/jwt.py" "$@"; }
# jeval JSON EXPR: evaluate a python expression on parsed JSON 'j'
jeval() { python3 -c "import json,sys; j=json.loads(sys.argv[1]); print($2)" "$1"; }
# aget PATH EXPR: admin GET of an API path, python expression on the parsed JSON
aget() { jeval "$(acurl "$BASE$1")" "$2"; }
# apost PATH (body on stdin): admin POST
apost() { acurl -X POST -H 'Content-Type: application/json' --data-binary @- "$BASE$1"; }
review() { # review TOKEN [AUDIENCES_JSON] -> response JSON
    local body
    body=$(python3 -c "import json,sys; s={'token':sys.argv[1]}; a=sys.argv[2] if len(sys.argv)>2 else ''; 
if a: s['audiences']=json.loads(a)
print(json.dumps({'apiVersion':'authentication.k8s.io/v1','kind':'TokenReview','spec':s}))" "$@")
    apost /apis/authentication.k8s.io/v1/tokenreviews <<<"$body"
}
UNAUTH='{"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": "Unauthorized", "reason": "Unauthorized", "code": 401}'
api_401() { # api_401 NAME TOKEN: an API request with the token gets exactly the 401 Status
    local out code
    out=$(TOK_CURL "$2" -w '\n%{http_code}' "$BASE/api/v1/namespaces/lab/pods")
    code=${out##*$'\n'}
    expect_eq "$1/api_401" "401 $UNAUTH" "$code $(jeval "${out%$'\n'*}" "json.dumps(j)")"
}
api_not_401() {
    local code
    code=$(TOK_CURL "$2" -o /dev/null -w '%{http_code}' "$BASE/api/v1/namespaces/lab/pods")
    expect_match "$1/api_authenticated" '^(200|403)$' "$code"
}
review_fail() { # review_fail NAME TOKEN WANT_ERROR [AUDIENCES_JSON]; without audiences the
                 # same token must also get the exact 401 on an API request
    local r
    r=$(review "$2" ${4:+"$4"})
    expect_eq "review_$1" "False {} $3" "$(jeval "$r" "' '.join([str(j['status'].get('authenticated', False)), json.dumps(j['status']['user']), j['status'].get('error', '<none>')])")"
    [ -z "${4:-}" ] && api_401 "review_$1" "$2"
    return 0
}


K apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Namespace
metadata: {name: lab}
---
apiVersion: v1
kind: Node
metadata: {name: n1}
EOF
for _ in $(seq 1 50); do K get sa default -n lab >/dev/null 2>&1 && break; sleep 0.1; done
K get sa default -n lab >/dev/null 2>&1 || K apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: lab}
EOF
K apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: test, namespace: lab}
spec: {serviceAccountName: default, nodeName: n1, containers: [{name: c, image: busybox}]}
EOF
SA_UID=$(aget /api/v1/namespaces/lab/serviceaccounts/default "j['metadata']['uid']")
POD_UID=$(aget /api/v1/namespaces/lab/pods/test "j['metadata']['uid']")
NODE_UID=$(aget /api/v1/nodes/n1 "j['metadata']['uid']")
KID=$(openssl pkey -in "$SERVER_DIR/pki/sa.key" -pubout -outform DER 2>/dev/null | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=\n')

# short_expiry: a token of upstream's shortest lifetime (10 min), requested first (it also
# enters the success cache); checked at the end with the server's clock moved past its expiry
SHORT=$(K create token default -n lab --duration 10m 2>&1)
api_not_401 short_expiry/fresh "$SHORT"

# ---- create_token_plain ---------------------------------------------------------------
BEFORE=$(date +%s)
TOK=$(K create token default -n lab)
AFTER=$(date +%s)
expect_eq create_token_plain/header "{\"alg\":\"RS256\",\"kid\":\"$KID\"}" "$(PY part "$TOK" 0)"
case "$TOK" in eyJhbGciOiJSUzI1NiIsImtpZCI6*) e2e_pass create_token_plain/prefix ;; *) e2e_fail create_token_plain/prefix "eyJhbGciOiJSUzI1NiIsImtpZCI6..." "$TOK" ;; esac
P=$(PY part "$TOK" 1)
IAT=$(jeval "$P" "j['iat']")
JTI=$(jeval "$P" "j['jti']")
WANT="{\"aud\":[\"$ISS\"],\"exp\":$((IAT + 3600)),\"iat\":$IAT,\"iss\":\"$ISS\",\"jti\":\"$JTI\",\"kubernetes.io\":{\"namespace\":\"lab\",\"serviceaccount\":{\"name\":\"default\",\"uid\":\"$SA_UID\"}},\"nbf\":$IAT,\"sub\":\"system:serviceaccount:lab:default\"}"
expect_eq create_token_plain/claims "$WANT" "$P"
[[ "$JTI" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]] && e2e_pass create_token_plain/jti || e2e_fail create_token_plain/jti "a v4 UUID" "$JTI"
[ "$IAT" -ge "$BEFORE" ] && [ "$IAT" -le "$AFTER" ] && e2e_pass create_token_plain/iat || e2e_fail create_token_plain/iat "in [$BEFORE, $AFTER]" "$IAT"

# ---- create_token_audience_duration ---------------------------------------------------
T2=$(K create token default -n lab --audience foo --audience bar --duration 20m)
P2=$(PY part "$T2" 1)
expect_eq create_token_audience/aud '["foo", "bar"]' "$(jeval "$P2" "json.dumps(j['aud'])")"
expect_eq create_token_duration/lifetime 1200 "$(jeval "$P2" "j['exp'] - j['iat']")"

# ---- create_token_bound_pod -----------------------------------------------------------
TB=$(K create token default -n lab --bound-object-kind Pod --bound-object-name test)
PB=$(PY part "$TB" 1)
expect_eq create_token_bound/kubernetes.io \
    "{\"namespace\":\"lab\",\"node\":{\"name\":\"n1\",\"uid\":\"$NODE_UID\"},\"pod\":{\"name\":\"test\",\"uid\":\"$POD_UID\"},\"serviceaccount\":{\"name\":\"default\",\"uid\":\"$SA_UID\"}}" \
    "$(jeval "$PB" "json.dumps(j['kubernetes.io'], separators=(',',':'))")"
expect_eq create_token_bound/lifetime 3600 "$(jeval "$PB" "j['exp'] - j['iat']")"
OUT=$(K create token default -n lab --bound-object-kind Pod --bound-object-name nope 2>&1)
expect_eq create_token_bound/missing_pod 'error: failed to create token: pods "nope" not found' "$OUT"
OUT=$(K create token default -n lab --bound-object-kind Pod --bound-object-name test --bound-object-uid 0000 2>&1)
expect_eq create_token_bound/uid_conflict "error: failed to create token: Operation cannot be fulfilled on Pod \"test\": the UID in the bound object reference (0000) does not match the UID in record. The object might have been deleted and then recreated" "$OUT"
OUT=$(K create token default -n lab --duration 1s 2>&1)
expect_eq create_token/too_short 'error: failed to create token: TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 1: may not specify a duration less than 10 minutes' "$OUT"
OUT=$(K create token nosuch -n lab 2>&1)
expect_eq create_token/no_sa 'error: failed to create token: serviceaccounts "nosuch" not found' "$OUT"

# ---- extend_3607 (raw TokenRequest) ---------------------------------------------------
echo "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenRequest\",\"spec\":{\"expirationSeconds\":3607,\"boundObjectRef\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"name\":\"test\"}}}" >"$T/tr.json"
R=$(apost /api/v1/namespaces/lab/serviceaccounts/default/token <"$T/tr.json")
TE=$(jeval "$R" "j['status']['token']")
PE=$(PY part "$TE" 1)
expect_eq extend_3607/exp "31536000 3607" "$(jeval "$PE" "'%d %d' % (j['exp'] - j['iat'], j['kubernetes.io']['warnafter'] - j['iat'])")"
expect_eq extend_3607/response "TokenRequest authentication.k8s.io/v1 default lab 3607 True" \
    "$(jeval "$R" "' '.join(str(x) for x in [j['kind'], j['apiVersion'], j['metadata']['name'], j['metadata']['namespace'], j['spec']['expirationSeconds'], __import__('calendar').timegm(__import__('time').strptime(j['status']['expirationTimestamp'], '%Y-%m-%dT%H:%M:%SZ')) - __import__('calendar').timegm(__import__('time').strptime(j['metadata']['creationTimestamp'], '%Y-%m-%dT%H:%M:%SZ')) == 3607])")"
R=$(apost /api/v1/namespaces/lab/serviceaccounts/default/token <<<'{"spec":{}}')
expect_eq token_request/unbound_echo 'null 3600' "$(jeval "$R" "json.dumps(j['spec']['boundObjectRef']) + ' ' + str(j['spec']['expirationSeconds'])")"

# ---- discovery + jwks_verify ----------------------------------------------------------
HDRS=$(acurl -D - -o "$T/disc.json" "$BASE/.well-known/openid-configuration" | tr -d '\r')
DISC=$(cat "$T/disc.json")
expect_eq discovery/body "{\"issuer\":\"$ISS\",\"jwks_uri\":\"$BASE/openid/v1/jwks\",\"response_types_supported\":[\"id_token\"],\"subject_types_supported\":[\"public\"],\"id_token_signing_alg_values_supported\":[\"RS256\"]}" \
    "$(jeval "$DISC" "json.dumps(j, separators=(',',':'))")"
expect_match discovery/cache-control '^cache-control: public, max-age=3600$' "${HDRS,,}"
expect_match discovery/content-type '^content-type: application/json' "${HDRS,,}"
HDRS=$(acurl -D - -o "$T/jwks.json" "$BASE/openid/v1/jwks" | tr -d '\r')
JWKS=$(cat "$T/jwks.json")
expect_match jwks/content-type '^content-type: application/jwk-set\+json' "${HDRS,,}"
expect_eq jwks/entry "use kty kid alg n e|sig RSA $KID RS256 AQAB" \
    "$(jeval "$JWKS" "' '.join(j['keys'][0].keys()) + '|' + ' '.join([j['keys'][0]['use'], j['keys'][0]['kty'], j['keys'][0]['kid'], j['keys'][0]['alg'], j['keys'][0]['e']])")"
expect_eq jwks_verify/plain "Verified OK" "$(PY verify "$TOK" "$JWKS")"
expect_eq jwks_verify/bound "Verified OK" "$(PY verify "$TB" "$JWKS")"
# flip a character well inside the signature (the last base64url character carries padding bits)
TAMPERED="${TOK:0:${#TOK}-10}$( [ "${TOK: -10:1}" = A ] && echo B || echo A)${TOK: -9}"
expect_eq jwks_verify/tampered "Verification failure" "$(PY verify "$TAMPERED" "$JWKS" | head -1)"

# ---- whoami ---------------------------------------------------------------------------
SSR=$(TOK_CURL "$TOK" -w '\n%{http_code}' -X POST -H 'Content-Type: application/json' \
    -d '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}' "$BASE/apis/authentication.k8s.io/v1/selfsubjectreviews")
CODE=${SSR##*$'\n'}
BODY=${SSR%$'\n'*}
if [ "$CODE" = 201 ]; then
    expect_eq whoami/userinfo "{\"username\":\"system:serviceaccount:lab:default\",\"uid\":\"$SA_UID\",\"groups\":[\"system:serviceaccounts\",\"system:serviceaccounts:lab\",\"system:authenticated\"],\"extra\":{\"authentication.kubernetes.io/credential-id\":[\"JTI=$JTI\"]}}" \
        "$(jeval "$BODY" "json.dumps(j['status']['userInfo'], separators=(',',':'))")"
    OUT=$(kubectl --kubeconfig /dev/null --server "$BASE" --certificate-authority "$SERVER_DIR/pki/ca.crt" --token "$TOK" auth whoami)
    expect_contains whoami/kubectl_user system:serviceaccount:lab:default "$OUT"
    expect_contains whoami/kubectl_group system:serviceaccounts:lab "$OUT"
else
    e2e_fail whoami "HTTP 201" "HTTP $CODE $BODY"
fi
# admin's own whoami through kubectl (protobuf request path)
OUT=$(K auth whoami 2>&1)
expect_contains whoami/admin system:masters "$OUT"

# ---- review_* -------------------------------------------------------------------------
R=$(review "$TB")
expect_eq review_valid/status \
    "{\"authenticated\":true,\"user\":{\"username\":\"system:serviceaccount:lab:default\",\"uid\":\"$SA_UID\",\"groups\":[\"system:serviceaccounts\",\"system:serviceaccounts:lab\",\"system:authenticated\"],\"extra\":{\"authentication.kubernetes.io/credential-id\":[\"JTI=$(jeval "$PB" "j['jti']")\"],\"authentication.kubernetes.io/node-name\":[\"n1\"],\"authentication.kubernetes.io/node-uid\":[\"$NODE_UID\"],\"authentication.kubernetes.io/pod-name\":[\"test\"],\"authentication.kubernetes.io/pod-uid\":[\"$POD_UID\"]}},\"audiences\":[\"$ISS\"]}" \
    "$(jeval "$R" "json.dumps(j['status'], separators=(',',':'))")"
expect_eq review_valid/echo "TokenReview True" "$(jeval "$R" "j['kind'] + ' ' + str(j['spec']['token'] == '$TB')")"
api_not_401 review_valid "$TB"
R=$(review "$T2" '["bar"]')
expect_eq review_valid/audiences '["bar"]' "$(jeval "$R" "json.dumps(j['status']['audiences'])")"

NOWS=$(date +%s)
base_claims() { # base_claims EXTRA_PY_DICT -> claims JSON for a bound token of lab/default
    python3 -c "import json,sys; c={'aud':['$ISS'],'exp':$NOWS+600,'iat':$NOWS,'nbf':$NOWS,'iss':'$ISS','jti':'11111111-2222-4333-8444-555555555555','kubernetes.io':{'namespace':'lab','serviceaccount':{'name':'default','uid':'$SA_UID'}},'sub':'system:serviceaccount:lab:default'}; c.update(json.loads(sys.argv[1])); print(json.dumps(c))" "$1"
}
SAKEY=$SERVER_DIR/pki/sa.key
FORGED=$(PY forge "$SAKEY" "$KID" RS256 "$(base_claims '{}')")
R=$(review "$FORGED")
expect_eq review_forged_control "True" "$(jeval "$R" "str(j['status'].get('authenticated', False))")"
review_fail expired "$(PY forge "$SAKEY" "$KID" RS256 "$(base_claims "{\"exp\": $((NOWS - 61 - 5))}")")" \
    '[invalid bearer token, service account token has expired]'
review_fail not_yet_valid "$(PY forge "$SAKEY" "$KID" RS256 "$(base_claims "{\"nbf\": $((NOWS + 300))}")")" \
    '[invalid bearer token, service account token is not valid yet]'
review_fail issued_in_future "$(PY forge "$SAKEY" "$KID" RS256 "$(base_claims "{\"iat\": $((NOWS + 300))}")")" \
    '[invalid bearer token, service account token is issued in the future]'
review_fail wrong_audience "$(K create token default -n lab --audience payments-api)" \
    "[invalid bearer token, token audiences [\"payments-api\"] is invalid for the target audiences [\"$ISS\"]]"
review_fail wrong_audience_review "$TOK" \
    "[invalid bearer token, token audiences [\"$ISS\"] is invalid for the target audiences [\"x\" \"y\"]]" '["x","y"]'
review_fail wrong_issuer "$(PY forge "$SAKEY" "$KID" RS256 "$(base_claims '{"iss": "https://evil.example"}')")" \
    'invalid bearer token'
review_fail unknown_kid "$(PY forge "$SAKEY" "nosuchkid" RS256 "$(base_claims '{}')")" \
    '[invalid bearer token, invalid signature, no keys found]'
BADSIG="${FORGED%.*}.$(python3 -c "import base64;print(base64.urlsafe_b64encode(b'\x00'*256).rstrip(b'=').decode())")"
review_fail bad_signature "$BADSIG" '[invalid bearer token, square/go-jose: error in cryptographic primitive]'
review_fail alg_none "$(PY forge "$SAKEY" "$KID" none "$(base_claims '{}')")" \
    '[invalid bearer token, square/go-jose: error in cryptographic primitive]'
openssl pkey -in "$SAKEY" -pubout -out "$T/sa.pub.pem" 2>/dev/null
review_fail hs256_public_key "$(PY forge "$SAKEY" "$KID" HS256 "$(base_claims '{}')" "$T/sa.pub.pem")" \
    '[invalid bearer token, square/go-jose: error in cryptographic primitive]'
review_fail garbage "not-a-jwt" 'invalid bearer token'

# deleted SA, then SA re-created with the same name
K apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: ServiceAccount
metadata: {name: tmp, namespace: lab}
EOF
TT=$(K create token tmp -n lab)
TMP_UID=$(aget /api/v1/namespaces/lab/serviceaccounts/tmp "j['metadata']['uid']")
api_not_401 review_deleted_sa/before "$TT"
acurl -o /dev/null -X DELETE "$BASE/api/v1/namespaces/lab/serviceaccounts/tmp"
review_fail deleted_sa "$TT" '[invalid bearer token, serviceaccounts "tmp" not found]'
K apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: ServiceAccount
metadata: {name: tmp, namespace: lab}
EOF
NEW_UID=$(aget /api/v1/namespaces/lab/serviceaccounts/tmp "j['metadata']['uid']")
review_fail sa_recreated "$TT" "[invalid bearer token, service account UID ($NEW_UID) does not match claim ($TMP_UID)]"

# ---- pod_delete: first request after deletion fails; pod re-created ---------------------
api_not_401 pod_delete/before "$TB"       # also warms the success cache
api_not_401 pod_delete/before_cached "$TB"
acurl -o /dev/null -X DELETE "$BASE/api/v1/namespaces/lab/pods/test?gracePeriodSeconds=0"
CODE=$(TOK_CURL "$TB" -o /dev/null -w '%{http_code}' "$BASE/api/v1/namespaces/lab/pods")
expect_eq pod_delete/first_request 401 "$CODE"
review_fail deleted_pod "$TB" '[invalid bearer token, service account token has been invalidated]'
K apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: test, namespace: lab}
spec: {serviceAccountName: default, nodeName: n1, containers: [{name: c, image: busybox}]}
EOF
NEW_POD_UID=$(aget /api/v1/namespaces/lab/pods/test "j['metadata']['uid']")
review_fail pod_recreated "$TB" "[invalid bearer token, pod UID ($NEW_POD_UID) does not match service account pod ref claim ($POD_UID)]"

# ---- legacy_secret ------------------------------------------------------------------------
K apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Secret
metadata: {name: build-robot-secret, namespace: lab, annotations: {kubernetes.io/service-account.name: default}}
type: kubernetes.io/service-account-token
EOF
LT=
for _ in $(seq 1 50); do
    LT=$(aget /api/v1/namespaces/lab/secrets/build-robot-secret "j.get('data', {}).get('token', '')" | base64 -d 2>/dev/null)
    [ -n "$LT" ] && break
    sleep 0.1
done
expect_eq legacy_secret/namespace lab "$(aget /api/v1/namespaces/lab/secrets/build-robot-secret "j['data']['namespace']" | base64 -d)"
expect_eq legacy_secret/ca.crt "$(cat "$SERVER_DIR/pki/ca.crt")" "$(aget /api/v1/namespaces/lab/secrets/build-robot-secret "j['data']['ca.crt']" | base64 -d)"
expect_eq legacy_secret/claims "{\"iss\":\"kubernetes/serviceaccount\",\"kubernetes.io/serviceaccount/namespace\":\"lab\",\"kubernetes.io/serviceaccount/secret.name\":\"build-robot-secret\",\"kubernetes.io/serviceaccount/service-account.name\":\"default\",\"kubernetes.io/serviceaccount/service-account.uid\":\"$SA_UID\",\"sub\":\"system:serviceaccount:lab:default\"}" \
    "$(PY part "$LT" 1)"
R=$(review "$LT")
expect_eq legacy_secret/review "True system:serviceaccount:lab:default {}" \
    "$(jeval "$R" "' '.join([str(j['status'].get('authenticated', False)), j['status']['user'].get('username', ''), json.dumps(j['status']['user'].get('extra', {}))])")"
api_not_401 legacy_secret "$LT"
LAST=
for _ in $(seq 1 30); do
    LAST=$(aget /api/v1/namespaces/lab/secrets/build-robot-secret "j['metadata'].get('labels', {}).get('kubernetes.io/legacy-token-last-used', '')")
    [ -n "$LAST" ] && break
    sleep 0.1
done
expect_eq legacy_secret/last_used "$(date -u +%Y-%m-%d)" "$LAST"
acurl -o /dev/null -X PATCH -H 'Content-Type: application/merge-patch+json' \
    -d '{"metadata":{"labels":{"kubernetes.io/legacy-token-invalid-since":"2024-01-01"}}}' "$BASE/api/v1/namespaces/lab/secrets/build-robot-secret"
review_fail legacy_invalid_since "$LT" "[invalid bearer token, the token in secret lab/build-robot-secret for service account lab/default has been marked invalid. Use tokens from the TokenRequest API or manually created secret-based tokens, or remove the 'kubernetes.io/legacy-token-invalid-since' label from the secret to temporarily allow use of this token]"
acurl -o /dev/null -X DELETE "$BASE/api/v1/namespaces/lab/secrets/build-robot-secret"
review_fail legacy_deleted_secret "$LT" '[invalid bearer token, Token has been invalidated]'

# ---- short_expiry: the server's clock moved, no waiting --------------------------------------
case "$SHORT" in eyJ*) e2e_pass short_expiry/create ;; *) e2e_fail short_expiry/create "a JWT" "$SHORT" ;; esac
PS=$(PY part "$SHORT" 1)
expect_eq short_expiry/lifetime 600 "$(jeval "$PS" "j['exp'] - j['iat']")"
EXP=$(jeval "$PS" "j['exp']")
# 45 s after exp: inside the 60 s leeway, and long past the 10 s success cache: still accepted
clock_at $((EXP + 45))
api_not_401 short_expiry/inside_leeway "$SHORT"
R=$(review "$SHORT")
expect_eq short_expiry/inside_leeway_review True "$(jeval "$R" "str(j['status'].get('authenticated', False))")"
# 75 s after exp: past exp + leeway
clock_at $((EXP + 75))
CODE=$(TOK_CURL "$SHORT" -o /dev/null -w '%{http_code}' "$BASE/api/v1/namespaces/lab/pods")
expect_eq short_expiry/expired_401 401 "$CODE"
review_fail short_expired "$SHORT" '[invalid bearer token, service account token has expired]'
# a token issued now (on the moved clock) carries the moved time and is accepted
FRESH=$(K create token default -n lab)
expect_gt short_expiry/iat_on_moved_clock "$(jeval "$(PY part "$FRESH" 1)" "j['iat']")" $((EXP + 60))
api_not_401 short_expiry/fresh_after_move "$FRESH"

e2e_finish
