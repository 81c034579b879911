#!/usr/bin/env bash
# reads_race_test.sh: GET and LIST without the big lock (issue 10), --workers 4. Writers create,
# update and delete ConfigMaps while readers GET and LIST them (label and field selectors,
# Table, protobuf asked, paging, a large object), each client on its own connection
# (reads_race.py): every answer must be right, and a read after a write through another
# connection never older than the write (a consistent read). Runs in the normal build (the
# answers) and as tsan/reads in the ThreadSanitizer build (make test-tsan), where any
# ThreadSanitizer report in the server's log fails it too.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tsan_lib.sh"
e2e_init
tsan_load_run reads_race.py
expect_contains "the writers did their share" "ok - 3 writers x 25 objects" "$TSAN_LOAD_OUT"
expect_contains "the readers did theirs" "ok - 4 readers" "$TSAN_LOAD_OUT"
e2e_finish
