#!/usr/bin/env bash
# reads_race_test.sh: GET and LIST without the big lock (issue 10), --workers 4. Writers create,
# update and delete ConfigMaps while readers GET and LIST them (label and field selectors,
# Table, protobuf asked, paging), each client on its own connection (reads_race.py): every
# answer must be right, and a read after a write through another connection never older than
# the write (a consistent read). Runs in the normal build (the answers) and as tsan/reads in the
# ThreadSanitizer build (make test-tsan), where any ThreadSanitizer report in the server's log
# fails it too.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
SERVE_FLAGS="--no-node --workers 4" server_start "$T/data" || exit 1
BASE="https://127.0.0.1:$SERVER_PORT"
out=$(timeout 900 "$PY" "$(dirname "$0")/reads_race.py" "$BASE" "$SERVER_DIR/pki/ca.crt" \
    "$SERVER_DIR/pki/admin.crt" "$SERVER_DIR/pki/admin.key" 2>&1)
rc=$?
printf '%s\n' "$out"
expect_eq "the reads' answers were all right" 0 "$rc"
expect_contains "the writers did their share" "ok - 3 writers x 25 objects" "$out"
expect_contains "the readers did theirs" "ok - 4 readers" "$out"
expect_eq "the server is alive after the load" 0 "$(server_alive; echo $?)"
server_stop
expect_eq "SIGTERM: clean exit" 0 $?
reports=$(grep -c "WARNING: ThreadSanitizer" "$T/server.log")
expect_eq "no ThreadSanitizer report" 0 "$reports"
if [ "$reports" != 0 ]; then
    grep -A30 "WARNING: ThreadSanitizer" "$T/server.log" | head -n 120
fi
e2e_finish
