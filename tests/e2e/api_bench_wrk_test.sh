#!/usr/bin/env bash
# Smoke run of bench/api_bench's wrk rounds at tiny settings (-n 200 -c 8 -w 2 -r 1): wrk GETs
# anzen and nginx and POSTs ConfigMaps to anzen with a ServiceAccount's bearer token. Asserts the
# rows carry numbers, every create wrk counted 201 is listed afterwards (no MISMATCH), the 201
# count is not zero (a create phase that silently creates nothing fails), and no request was
# answered other than expected. Never asserts on rates or times.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
BENCH="$(dirname "$ANZEN")/api_bench"
e2e_require_cmd wrk
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
    e2e_fail "nginx installed (scripts/install-deps.sh)" "nginx" "missing"
    e2e_finish
fi
PATH="$PATH:/usr/sbin" TMPDIR="$T" "$BENCH" -n 200 -c 8 -w 2 -r 1 "$ANZEN" >"$T/out" 2>"$T/err"
expect_eq "api_bench exits 0" 0 "$?"
OUT=$(cat "$T/out")
num='[0-9]+(\.[0-9]+)?'
row()
{
    echo "# round 1: $1 +C=64 +[0-9]+ req/s +[0-9]+ req  non-2xx 0  socket errors 0  p99 $num ms  server CPU $num us/req  wrk CPU $num us/req"
}
expect_match "anzen wrk GET row" "$(row 'anzen get')" "$OUT"
expect_match "nginx wrk GET row" "$(row 'nginx get')" "$OUT"
expect_match "anzen wrk create row" "$(row 'anzen create')" "$OUT"
expect_match "nginx POST row" "$(row 'nginx POST' | sed 's/round 1/round 2/')" "$OUT"
expect_match "SQLite reference row" "# round 1: SQLite single-row commits \(sync=FULL, 200 of them\) +[0-9]+ /s" "$OUT"
check=$(sed -n 's/^# round 1: creates: wrk counted \([0-9]*\) answered 201, \([0-9]*\) other; listed \([0-9]*\) ConfigMaps wrk-r1-\*: \(.*\)$/\1 \2 \3 \4/p' "$T/out")
set -- $check
expect_gt "wrk's creates answered 201" "${1:-none}" 0
expect_eq "wrk's creates answered other than 201" 0 "${2:-none}"
expect_eq "the create check's verdict" "ok" "${4:-none}"
if [[ "${1:-x}" =~ ^[0-9]+$ ]] && [[ "${3:-x}" =~ ^[0-9]+$ ]]; then
    expect_eq "listed >= 201s" 1 "$(( $3 >= $1 ))"
    expect_eq "listed <= 201s + 64 in flight" 1 "$(( $3 <= $1 + 64 ))"
fi
expect_not_contains "no create MISMATCH" "MISMATCH (" "$OUT"
expect_contains "zero mismatch rounds" "wrk create check: 0 MISMATCH rounds; errors (non-2xx, socket, non-201) 0" "$OUT"
expect_not_contains "no ERROR line" "ERROR" "$OUT"
expect_match "median GET ratio" "^median GET C=64 vs nginx \(wrk\): $num over 1 rounds" "$OUT"
expect_match "median CPU ratio" "^median server CPU per GET, anzen / nginx: $num over 1 rounds" "$OUT"
expect_match "median create ratio" "^median durable creates C=64 \(wrk\) / single commits: ${num}x over 1 rounds" "$OUT"
expect_match "load average at the end" "^# end .* loadavg $num" "$OUT"
[ -s "$T/err" ] && echo "# stderr: $(head -5 "$T/err")"
e2e_finish
