#!/usr/bin/env bash
# End-to-end: --workers N (issue 10) — N request loops and a control loop.
#   - /proc/PID/task shows N threads named anzen-req-0..N-1 next to the main thread, which runs
#     the control loop (controllers, deferred work); --workers is validated;
#   - while the control loop is busy holding the server's lock (--testing-stall-file: a
#     controller busy for as long as the file exists) a request that needs the lock (discovery)
#     waits on its loop, and /healthz, /livez, /readyz and /version, and GET and LIST of
#     resources (by name, with selectors, as a Table, paged, a status subresource) are still
#     answered on another loop; the waiting request completes (200) once the lock is free —
#     no clock involved, only the order of events;
#   - a watch stays open on one connection while other clients create, list and delete, and
#     it gets every event (the fan-out from the writer's loop to the watch's loop);
#   - with --workers 1 the same server serves as before (one request loop).
set -u
# this test picks its own loop counts: a suite-wide ANZEN_SERVE_ARGS="--workers N" (the e2e
# suite run again with other loop counts) would come after them and win
unset ANZEN_SERVE_ARGS
. "$(dirname "$0")/lib.sh"
e2e_init
STALL="$T/stall"
SERVE_FLAGS="--no-node --workers 3 --testing-stall-file $STALL" server_start "$T/data" || exit 1
BASE="https://127.0.0.1:$SERVER_PORT"

# ---- threads -----------------------------------------------------------------------------------
names=$(cat /proc/"$SERVER_PID"/task/*/comm | sort)
expect_eq "three request loops (anzen-req-N threads)" "anzen-req-0 anzen-req-1 anzen-req-2" \
    "$(printf '%s\n' "$names" | grep '^anzen-req-' | xargs)"
expect_eq "the main thread (control loop) is there" "anzen" "$(cat /proc/"$SERVER_PID"/comm)"
out=$("$ANZEN" serve --data-dir "$T/bad" --workers 0 2>&1; echo "rc=$?")
expect_contains "--workers 0 refused" "--workers: want 1..256" "$out"
expect_contains "--workers 0: exit 2" "rc=2" "$out"

# ---- health answers while the control loop holds the lock --------------------------------------
touch "$STALL"
wait_until 60 grep -q "the control loop holds the biglock" "$T/server.log"
expect_eq "the control loop took the lock" 0 $?
# a request that needs the lock (discovery): it waits (on whichever loop accepted it)
acurl -o "$T/ns.json" -w '%{http_code}' --max-time 120 "$BASE/apis" >"$T/ns.code" 2>&1 &
NS_PID=$!
E2E_BG_PIDS="$NS_PID"
# ... until a request loop sleeps in futex() (syscall 202 on x86-64): the request has arrived and
# waits for the lock there; every other loop sleeps in epoll_wait and accepts the next clients
loop_waits() {
    local t
    for t in /proc/"$SERVER_PID"/task/*; do
        case $(cat "$t/comm") in anzen-req-*) ;; *) continue ;; esac
        [ "$(cut -d' ' -f1 "$t/syscall" 2>/dev/null)" = 202 ] && return 0
    done
    return 1
}
wait_until 60 loop_waits
expect_eq "a request loop waits for the lock" 0 $?
for p in /healthz /livez /readyz /version; do
    code=$(acurl -o "$T/h.out" -w '%{http_code}' --max-time 60 "$BASE$p")
    expect_eq "$p answered while the lock is held" 200 "$code"
done
expect_eq "/healthz body" "ok" "$(acurl --max-time 60 "$BASE/healthz")"
code=$(curl -sS --max-time 60 --cacert "$SERVER_DIR/pki/ca.crt" -o /dev/null -w '%{http_code}' "$BASE/livez")
expect_eq "/livez without credentials answered while the lock is held" 200 "$code"
# reads of resources need no lock (issue 10)
out=$(acurl --max-time 60 "$BASE/api/v1/namespaces/default")
expect_contains "GET a namespace while the lock is held" '"name": "default"' "$out"
out=$(acurl --max-time 60 "$BASE/api/v1/namespaces?labelSelector=kubernetes.io/metadata.name%3Dkube-system")
expect_contains "LIST with a label selector while the lock is held" '"name": "kube-system"' "$out"
expect_not_contains "... only the selected namespace" '"name": "default"' "$out"
out=$(acurl --max-time 60 "$BASE/api/v1/namespaces?fieldSelector=metadata.name%3Ddefault&limit=1")
expect_contains "LIST with a field selector and a limit while the lock is held" '"name": "default"' "$out"
out=$(acurl --max-time 60 -H 'Accept: application/json;as=Table;v=v1;g=meta.k8s.io' "$BASE/api/v1/namespaces")
expect_contains "LIST as a Table while the lock is held" '"kind": "Table"' "$out"
out=$(acurl --max-time 60 -H 'Accept: application/vnd.kubernetes.protobuf, application/json' "$BASE/api/v1/namespaces/default/status")
expect_contains "GET a status subresource (protobuf asked, JSON answered) while the lock is held" '"phase": "Active"' "$out"
out=$(acurl --max-time 60 -I "$BASE/api/v1/namespaces/kube-system")
expect_contains "HEAD a namespace while the lock is held" "200" "$out"
kill -0 "$NS_PID" 2>/dev/null
expect_eq "the request that needs the lock is still waiting" 0 $?
expect_eq "... and has no answer yet" "" "$(cat "$T/ns.code")"
rm -f "$STALL"
wait "$NS_PID"
expect_eq "it is answered once the lock is free" 200 "$(cat "$T/ns.code")"
expect_contains "... with the group list" '"kind": "APIGroupList"' "$(cat "$T/ns.json")"
expect_match "the control loop released the lock" "the control loop releases the biglock" "$(cat "$T/server.log")"

# ---- a watch on one loop, writes on the others -------------------------------------------------
acurl --max-time 120 -N "$BASE/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=0" >"$T/watch.out" 2>&1 &
W_PID=$!
E2E_BG_PIDS="$W_PID"
for i in $(seq 1 20); do
    acurl -o /dev/null -X POST "$BASE/api/v1/namespaces/default/configmaps" -H 'Content-Type: application/json' \
        -d "{\"metadata\":{\"name\":\"cm$i\"},\"data\":{\"i\":\"$i\"}}" &
done
wait_for_creates() { [ "$(acurl "$BASE/api/v1/namespaces/default/configmaps" | grep -c '"name": "cm')" = 20 ]; }
wait_until 60 wait_for_creates
expect_eq "20 concurrent creates from 20 connections" 0 $?
for i in $(seq 1 20); do
    acurl -o /dev/null -X DELETE "$BASE/api/v1/namespaces/default/configmaps/cm$i" &
done
wait_for_events() { [ "$(grep -c '"type":"DELETED"' "$T/watch.out")" = 20 ]; }
wait_until 60 wait_for_events
expect_eq "the watch got 20 ADDED events" 20 "$(grep '"type":"ADDED"' "$T/watch.out" | grep -c '"name":"cm')"
expect_eq "the watch got 20 DELETED events" 20 "$(grep -c '"type":"DELETED"' "$T/watch.out")"
kill "$W_PID" 2>/dev/null
wait "$W_PID" 2>/dev/null
expect_eq "the server is alive" 0 "$(server_alive; echo $?)"
server_stop
expect_eq "SIGTERM: clean exit with three loops" 0 $?

# ---- --workers 1 -----------------------------------------------------------------------------
SERVE_FLAGS="--no-node --workers 1" server_start "$T/data" || exit 1
expect_eq "--workers 1: one request loop" "anzen-req-0" \
    "$(cat /proc/"$SERVER_PID"/task/*/comm | grep '^anzen-req-' | xargs)"
req GET /api/v1/namespaces/default
expect_eq "--workers 1: the same data served" 200 "$CODE"
server_stop
expect_eq "SIGTERM: clean exit with one loop" 0 $?

e2e_finish
