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
. "$(dirname "$0")/tsan_lib.sh"
e2e_init
tsan_load_run concurrent_load.py
e2e_finish
