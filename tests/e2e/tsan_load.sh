#!/usr/bin/env bash
# tsan_load.sh: the server built with ThreadSanitizer (make test-tsan, CTest tsan/load) under
# concurrent load from several clients with --workers 4 (concurrent_load.py: creates, updates,
# deletes, lists, gets, two watches, SelfSubjectAccessReviews and TokenRequests with a
# ServiceAccount token, health checks, /metrics). Fails on any ThreadSanitizer report (the
# server runs with halt_on_error=1, and its log is searched for reports), on any wrong answer,
# and if the server does not stop cleanly on SIGTERM. Also runs against a normal build (then it
# checks the answers only).
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
SERVE_FLAGS="--no-node --workers 4" server_start "$T/data" || exit 1
BASE="https://127.0.0.1:$SERVER_PORT"
out=$(timeout 600 "$PY" "$(dirname "$0")/concurrent_load.py" "$BASE" "$SERVER_DIR/pki/ca.crt" \
    "$SERVER_DIR/pki/admin.crt" "$SERVER_DIR/pki/admin.key" 2>&1)
rc=$?
printf '%s\n' "$out"
expect_eq "the load's answers were all right" 0 "$rc"
expect_eq "the server is alive after the load" 0 "$(server_alive; echo $?)"
server_stop
expect_eq "SIGTERM: clean exit" 0 $?
reports=$(grep -c "WARNING: ThreadSanitizer" "$T/server.log")
expect_eq "no ThreadSanitizer report" 0 "$reports"
if [ "$reports" != 0 ]; then
    grep -A30 "WARNING: ThreadSanitizer" "$T/server.log" | head -n 120
fi
e2e_finish
