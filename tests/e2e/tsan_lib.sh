# tsan_lib.sh: sourced by the e2e scripts that load a --workers 4 server from several clients
# and also run under ThreadSanitizer (tsan_load.sh, reads_race_test.sh); after lib.sh and
# e2e_init.
#
# tsan_load_run SCRIPT: starts the server (--no-node --workers 4, TSan halting on the first
# report), runs the python client SCRIPT (in this directory) with BASE, the CA and the admin
# cert and key, prints its output and leaves it in TSAN_LOAD_OUT, checks it exited 0, that the
# server is alive after it and exits cleanly on SIGTERM, and that the server's log holds no
# ThreadSanitizer report (printing the first ones if it does).
tsan_load_run() {
    export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
    SERVE_FLAGS="--no-node --workers 4" server_start "$T/data" || exit 1
    local base="https://127.0.0.1:$SERVER_PORT" rc reports
    TSAN_LOAD_OUT=$(timeout 900 "$PY" "$(dirname "$0")/$1" "$base" "$SERVER_DIR/pki/ca.crt" \
        "$SERVER_DIR/pki/admin.crt" "$SERVER_DIR/pki/admin.key" 2>&1)
    rc=$?
    printf '%s\n' "$TSAN_LOAD_OUT"
    expect_eq "the load's answers were all right" 0 "$rc"
    expect_eq "the server is alive after the load" 0 "$(server_alive; echo $?)"
    server_stop
    expect_eq "SIGTERM: clean exit" 0 $?
    reports=$(grep -c "WARNING: ThreadSanitizer" "$T/server.log")
    expect_eq "no ThreadSanitizer report" 0 "$reports"
    if [ "$reports" != 0 ]; then
        grep -A30 "WARNING: ThreadSanitizer" "$T/server.log" | head -n 120
    fi
}
