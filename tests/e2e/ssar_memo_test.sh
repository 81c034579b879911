#!/usr/bin/env bash
# ssar_memo_test.sh — a repeated SelfSubjectAccessReview on one connection is answered from the
# request thread's remembered answer (authz/reviews.c rbac_ssar_fast): the bytes equal the
# general path's answer (taken with a query parameter, which bypasses the memo) but for
# managedFields' time, and a change of the RBAC policy between two identical reviews changes
# the answer (the decision is never remembered). Drives the real binary with curl.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
server_start "$T/data" || exit 1
SSAR=/apis/authorization.k8s.io/v1/selfsubjectaccessreviews
BODY='{"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","spec":{"resourceAttributes":{"namespace":"default","verb":"get","resource":"pods"}}}'
printf '%s' "$BODY" >"$T/ssar.json"
kc create namespace memo >/dev/null 2>&1

# N reviews as alice on one keep-alive connection, answers in $T/a.1 .. $T/a.N
ssar_conn() { # N [QUERY]
    local n=$1 q=${2:-} args=() i
    for i in $(seq 1 "$n"); do
        [ "$i" -gt 1 ] && args+=(--next)
        args+=(-sS --max-time 20 --cacert "$SERVER_DIR/pki/ca.crt" --cert "$SERVER_DIR/pki/admin.crt"
               --key "$SERVER_DIR/pki/admin.key" -A memo-test -H 'Impersonate-User: alice'
               -H 'Content-Type: application/json' --data-binary @"$T/ssar.json" -o "$T/a.$i"
               -w '%{http_code} %{num_connects}\n' "$BASE$SSAR$q")
    done
    curl "${args[@]}" >"$T/codes"
}
untime() { sed -E 's/"time":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"/"time":"T"/' "$1"; }

# the general path (a query parameter: no memo) and the remembered one, same request
ssar_conn 1 '?timeout=30s'
cp "$T/a.1" "$T/general"
ssar_conn 4
expect_eq "4 reviews on one connection" "201 1|201 0|201 0|201 0" "$(paste -sd'|' "$T/codes")"
expect_contains "general answer denies" '"status":{"allowed":false}' "$(cat "$T/general")"
expect_contains "general answer has a managedFields time" '"time":"' "$(cat "$T/general")"
for i in 1 2 3 4; do
    expect_eq "answer $i = general answer but the time" "$(untime "$T/general")" "$(untime "$T/a.$i")"
done
expect_eq "answer bytes end with a newline like the general path's" "$(tail -c1 "$T/general" | od -An -c)" "$(tail -c1 "$T/a.4" | od -An -c)"

# several connections: every request thread remembers the denial
for c in 1 2 3 4 5 6; do ssar_conn 2; done
expect_contains "denied before the grant" '"allowed":false' "$(cat "$T/a.2")"

# the policy changes; the same review, on new connections, is allowed at once
kc create role pod-getter -n default --verb=get --resource=pods >/dev/null
kc create rolebinding alice-pods -n default --role=pod-getter --user=alice >/dev/null
for c in 1 2 3 4 5 6; do
    ssar_conn 2
    for i in 1 2; do
        expect_contains "allowed after the grant (connection $c, review $i)" \
            '"status":{"allowed":true,"reason":"RBAC: allowed by RoleBinding \"alice-pods/default\" of Role \"pod-getter\" to User \"alice\""}' \
            "$(cat "$T/a.$i")"
    done
done
# and denied again once it is gone
kc delete rolebinding alice-pods -n default >/dev/null
ssar_conn 3
for i in 1 2 3; do
    expect_contains "denied after the revocation (review $i)" '"status":{"allowed":false}' "$(cat "$T/a.$i")"
done
e2e_finish
