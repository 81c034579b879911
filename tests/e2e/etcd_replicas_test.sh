#!/bin/bash
# Two anzen replicas (A, B) on a 3-member etcd cluster: objects in etcd under /registry,
# writes through A seen through B (get, list, watch, RBAC, bound-token revocation); etcd member
# loss under a write load loses no acknowledged write; quorum loss gives upstream's 504 Timeout
# Status and a failing /readyz while anzen stays up, and service returns by itself.
. "$(dirname "$0")/lib.sh"
e2e_init

etcd_start 3 || exit 1
# one --data-dir copied: both replicas share the CA and the ServiceAccount signing key
etcd_pair
# bcurl TOKEN PATH: GET through B with a bearer token; prints the HTTP code
bcurl() { curl -s --max-time 20 --cacert "$DB/pki/ca.crt" -H "Authorization: Bearer $1" -o "$T/bbody" -w '%{http_code}' "https://127.0.0.1:$PB$2"; }
acurl_w() { curl -s --max-time 30 --cacert "$DA/pki/ca.crt" --cert "$DA/pki/admin.crt" --key "$DA/pki/admin.key" "$@"; }

# ---- objects live in etcd under /registry -----------------------------------------------
ka create namespace lab >/dev/null
ka create configmap c1 -n lab --from-literal=k=v1 >/dev/null
expect_contains "etcdctl shows the ConfigMap under /registry" "/registry/configmaps/lab/c1" \
    "$(ectl get --prefix /registry/configmaps/lab/ --keys-only)"
expect_contains "value is the JSON object" '"k":"v1"' "$(ectl get /registry/configmaps/lab/c1 --print-value-only)"
MODREV=$(ectl get /registry/configmaps/lab/c1 -w json | jget 'str(d["kvs"][0]["mod_revision"])')
expect_eq "resourceVersion is etcd's mod_revision" "$MODREV" "$(ka get cm c1 -n lab -o jsonpath='{.metadata.resourceVersion}')"

# ---- A's writes through B: get, list, watch ----------------------------------------------
expect_eq "get through B sees A's create" "v1" "$(kb get cm c1 -n lab -o jsonpath='{.data.k}')"
kb get pods -n lab -w --output-watch-events >"$T/watch.out" 2>&1 &
WPID=$!
E2E_BG_PIDS="$E2E_BG_PIDS $WPID"
sleep 1   # let kubectl open the watch (a later start would still see the pod in its list)
ka run p1 -n lab --image=busybox --restart=Never -- sleep 1000 >/dev/null
ka label pod p1 -n lab tier=x >/dev/null
wait_until 20 grep -q MODIFIED "$T/watch.out"
expect_match "kubectl get pods -w on B sees A's create" "ADDED +p1" "$(cat "$T/watch.out")"
expect_match "kubectl get pods -w on B sees A's update" "MODIFIED +p1" "$(cat "$T/watch.out")"
expect_contains "list through B sees A's pod" "p1" "$(kb get pods -n lab -o name)"

# ---- read-after-write across replicas: each write acknowledged by A is seen by a read through
# a replica C started right after it (get, list, then an update). C's watch lags by 300 ms
# (testing flag), so only the consistent-read barrier makes C wait for the write; other
# clients keep C's consistent reads busy meanwhile (parked reads share etcd revision fetches).
PC=$(e2e_pick_port)
etcd_replica c "$PC" --testing-etcd-watch-delay 300
CPID=$REPLICA_PID
ccurl() { curl -s --max-time 20 --cacert "$T/c/pki/ca.crt" --cert "$T/c/pki/admin.crt" --key "$T/c/pki/admin.key" "$@"; }
LOADERS=""
for l in 1 2 3; do
    (while :; do ccurl -o /dev/null "https://127.0.0.1:$PC/api/v1/namespaces/lab/configmaps"; done) &
    LOADERS="$LOADERS $!"
done
E2E_BG_PIDS="$E2E_BG_PIDS $LOADERS"
missed=""
for i in $(seq 1 15); do
    code=$(acurl_w -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
        -d "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"rw$i\"},\"data\":{\"i\":\"$i\"}}" \
        "https://127.0.0.1:$PA/api/v1/namespaces/lab/configmaps")
    [ "$code" = 201 ] || { missed="$missed create$i:$code"; continue; }
    got=$(ccurl "https://127.0.0.1:$PC/api/v1/namespaces/lab/configmaps/rw$i" | jget 'd["data"]["i"]')
    [ "$got" = "$i" ] || missed="$missed get$i:$got"
    got=$(ccurl "https://127.0.0.1:$PC/api/v1/namespaces/lab/configmaps" | jget 'len([x for x in d["items"] if x["metadata"]["name"].startswith("rw")])')
    [ "$got" = "$i" ] || missed="$missed list$i:$got"
    code=$(acurl_w -o /dev/null -w '%{http_code}' -X PATCH -H 'Content-Type: application/merge-patch+json' \
        -d "{\"data\":{\"i\":\"$i-b\"}}" "https://127.0.0.1:$PA/api/v1/namespaces/lab/configmaps/rw$i")
    got=$(ccurl "https://127.0.0.1:$PC/api/v1/namespaces/lab/configmaps/rw$i" | jget 'd["data"]["i"]')
    [ "$code" = 200 ] && [ "$got" = "$i-b" ] || missed="$missed update$i:$code:$got"
done
# shellcheck disable=SC2086
kill $LOADERS 2>/dev/null
expect_eq "15 creates and updates through A, each read at once through the lagging C (get, list, get): nothing stale" "" "$missed"
kill -TERM "$CPID"
wait "$CPID" 2>/dev/null

# ---- RBAC: a RoleBinding created through A authorizes through B ---------------------------
ka create serviceaccount runner -n lab >/dev/null
TOKEN=$(ka create token runner -n lab)
expect_eq "before the binding: 403 through B" "403" "$(bcurl "$TOKEN" /api/v1/namespaces/lab/configmaps)"
ka create role cm-reader -n lab --verb=get,list --resource=configmaps >/dev/null
ka create rolebinding cm-reader -n lab --role=cm-reader --serviceaccount=lab:runner >/dev/null
# "within one second" of the create returning: 5 tries 0.2 s apart
GOT=""
for i in 1 2 3 4 5; do
    GOT=$(bcurl "$TOKEN" /api/v1/namespaces/lab/configmaps)
    [ "$GOT" = 200 ] && break
    sleep 0.2
done
expect_eq "RoleBinding created through A authorizes through B within 1 s" "200" "$GOT"

# ---- bound token: deleting the pod through A revokes through B ----------------------------
ka run p2 -n lab --image=busybox --restart=Never --overrides='{"apiVersion":"v1","spec":{"serviceAccountName":"runner"}}' -- sleep 1000 >/dev/null
PTOKEN=$(ka create token runner -n lab --bound-object-kind Pod --bound-object-name p2)
expect_eq "pod-bound token works through B" "200" "$(bcurl "$PTOKEN" /api/v1/namespaces/lab/configmaps)"
ka delete pod p2 -n lab --grace-period=0 --force >/dev/null 2>&1
wait_until 20 sh -c "! kubectl --kubeconfig '$KA' --cache-dir '$T/kca' get pod p2 -n lab >/dev/null 2>&1"
expect_eq "after deleting the pod through A: 401 through B on the next request" "401" \
    "$(bcurl "$PTOKEN" /api/v1/namespaces/lab/configmaps)"

# ---- kill one member under a write load: no acknowledged write lost --------------------------
: >"$T/acked"
(
    for i in $(seq 1 150); do
        code=$(acurl_w -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
            -d "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"load-$i\"},\"data\":{\"i\":\"$i\"}}" \
            "https://127.0.0.1:$PA/api/v1/namespaces/lab/configmaps")
        [ "$code" = 201 ] && echo "load-$i" >>"$T/acked"
    done
) &
LOADPID=$!
wait_until 60 sh -c "[ \$(wc -l <'$T/acked') -ge 30 ]"
# the raft leader is the member to kill (its endpoint in the status that names itself leader)
LEADER_URL=$(ectl endpoint status -w json | jget '[e["Endpoint"] for e in d if e["Status"]["leader"] == e["Status"]["header"]["member_id"]][0]')
LEADER=1
for i in 1 2 3; do
    eval "u=\$ETCD_URL_$i"
    [ "$u" = "$LEADER_URL" ] && LEADER=$i
done
echo "# killing etcd member $LEADER (raft leader, $LEADER_URL) under the write load"
etcd_kill "$LEADER"
wait "$LOADPID"
ACKED=$(wc -l <"$T/acked")
expect_gt "writes acknowledged while a member died" "$ACKED" 100
HAVE=$(kb get cm -n lab -o name | sed 's|configmap/||' | sort)
MISSING=$(sort "$T/acked" | comm -23 - <(printf '%s\n' "$HAVE"))
expect_eq "every acknowledged write readable through B" "" "$MISSING"

# ---- kill a second member: no quorum ------------------------------------------------------
SECOND=$((LEADER % 3 + 1))
etcd_kill "$SECOND"
CODE=$(acurl_w -o "$T/qbody" -w '%{http_code}' -H 'Content-Type: application/json' \
    -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"noquorum"}}' \
    "https://127.0.0.1:$PA/api/v1/namespaces/lab/configmaps")
expect_eq "write without quorum: 504" "504" "$CODE"
expect_eq "write without quorum: upstream's Timeout Status" \
    "Timeout|Timeout: request did not complete within requested timeout - context deadline exceeded|504" \
    "$(jget 'd["reason"]+"|"+d["message"]+"|"+str(d["code"])' "$T/qbody")"
CODE=$(acurl_w -o "$T/rbody" -w '%{http_code}' "https://127.0.0.1:$PB/readyz")
expect_eq "/readyz fails without quorum" "500" "$CODE"
expect_contains "/readyz names the etcd check" "[-]etcd failed" "$(cat "$T/rbody")"
expect_eq "/livez still ok (process up)" "ok" "$(acurl_w "https://127.0.0.1:$PA/livez")"
kill -0 "$APID" 2>/dev/null && kill -0 "$BPID" 2>/dev/null && e2e_pass "both replicas still running" ||
    e2e_fail "both replicas still running" "alive" "dead"

# ---- restart the members: service returns without restarting anzen ------------------------
etcd_restart "$LEADER"
etcd_restart "$SECOND"
ok=0
for i in $(seq 1 60); do
    CODE=$(acurl_w -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
        -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"after"}}' \
        "https://127.0.0.1:$PA/api/v1/namespaces/lab/configmaps")
    [ "$CODE" = 201 ] && { ok=1; break; }
    sleep 1
done
expect_eq "writes succeed again after the members return" "1" "$ok"
wait_until 30 sh -c "[ \"\$(curl -s --max-time 5 --cacert '$DB/pki/ca.crt' --cert '$DB/pki/admin.crt' --key '$DB/pki/admin.key' https://127.0.0.1:$PB/readyz)\" = ok ]"
expect_eq "/readyz ok again on B" "ok" "$(acurl_w "https://127.0.0.1:$PB/readyz")"
expect_eq "B sees the write made after recovery" "after" "$(kb get cm after -n lab -o jsonpath='{.metadata.name}')"

e2e_finish
