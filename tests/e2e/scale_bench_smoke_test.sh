#!/usr/bin/env bash
# Smoke run of bench/scale_bench at a tiny population (40 of each kind): it sets up anzen and
# nginx, prints every figure, and the full pod list it timed is the size nginx served. Asserts
# on the output's shape only, never on times.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
BENCH="$(dirname "$ANZEN")/scale_bench"
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
    e2e_fail "nginx installed (scripts/install-deps.sh)" "nginx" "missing"
    e2e_finish
fi
PATH="$PATH:/usr/sbin" TMPDIR="$T" "$BENCH" -n 40 -r 1 "$ANZEN" >"$T/out" 2>"$T/err"
expect_eq "scale_bench exits 0" 0 "$?"
OUT=$(cat "$T/out")
expect_contains "creates reported" "N=40 (120 objects + 4 ConfigMaps): creates" "$OUT"
expect_match "RSS figures" "RSS after creates [0-9]+ MB, after 1 full lists [0-9]+ MB, peak \(VmHWM\) [0-9]+ MB" "$OUT"
sizes=$(sed -n 's/.*GET \/api\/v1\/pods (40 pods, \([0-9.]*\) MB).*same bytes (\([0-9.]*\) MB).*/\1 \2/p' "$T/out")
set -- $sizes
expect_eq "nginx served the same number of bytes as anzen's full list" "${1:-none}" "${2:-other}"
expect_match "list cases" "limit=500: [0-9.]+ ms; one namespace \(2 pods\): [0-9.]+ ms; labelSelector app=a7" "$OUT"
expect_match "configmaps CPU" "configmaps\?limit=100 \(4 ConfigMaps\): server CPU [0-9.]+ ms per request" "$OUT"
expect_match "eight concurrent lists" "eight clients listing all pods at once: peak \(VmHWM\) [0-9]+ MB" "$OUT"
[ -s "$T/err" ] && echo "# stderr: $(head -5 "$T/err")"
e2e_finish
