#!/usr/bin/env bash
# The API benchmark (api_bench: HTTPS keep-alive, admin client cert, C connections) run twice
# in one go: anzen on SQLite, then anzen on a fresh one-member etcd (tests/e2e/etcd_wrap.sh
# starts it and adds --etcd-servers), for consistent reads and again for reads with
# resourceVersion=0 (api_bench -0). Prints the tables and create/get/list comparisons; see
# docs/bench.md, "etcd vs SQLite through the API". Never passes or fails on time.
#   bench/run-etcd-api-bench.sh [api_bench options]    default: -n 3000 -c 1,8 -w 0
# BEFORE=/path/to/anzen (environment): also runs the etcd halves with that binary (e.g. a
# build of the previous commit) in the same invocation, interleaved, and compares it with this
# build ("etcd-before" vs "etcd"): an A/B on the same machine load.
# ROUNDS=N (environment): N rounds of the whole alternation, each printed with its ratios.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 --target anzen api_bench >/dev/null
[ $# -gt 0 ] || set -- -n 3000 -c 1,8 -w 0
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export PATH="$PATH:/usr/sbin" ANZEN="$build/anzen"
# ratios TITLE A_NAME A_OUT B_NAME B_OUT OPS DIVIDE: per op and concurrency, A's and B's req/s and
# A/B (DIVIDE=ab) or B/A (DIVIDE=ba), then A's and B's server CPU per request (us)
ratios() {
    echo "== $1"
    for m in $6; do
        grep -E "^$m C=[0-9]+ req/s" "$3" | while read -r _ c _ x; do
            y=$(grep -E "^$m $c req/s" "$5" | awk '{print $4}')
            cx=$(grep -E "^$m $c server CPU" "$3" | awk '{print $6}')
            cy=$(grep -E "^$m $c server CPU" "$5" | awk '{print $6}')
            awk -v m="$m" -v c="$c" -v an="$2" -v bn="$4" -v x="$x" -v y="$y" -v d="$7" \
                -v cx="${cx:--}" -v cy="${cy:--}" \
                'BEGIN { r = d == "ab" ? (y > 0 ? x / y : 0) : (x > 0 ? y / x : 0);
                         printf "%-5s %-5s %s %8d  %s %8d  %.2fx   cpu us/req %s / %s\n", m, c, an, x, bn, y, r, cx, cy }'
        done
    done
}
compare() { # compare TITLE SQLITE_OUT ETCD_OUT OPS
    ratios "etcd vs SQLite, $1 (req/s; ratio = sqlite/etcd; the goal is <= 1.2 for get and list, creates are etcd-bound)" \
        sqlite "$2" etcd "$3" "$4" ab
}
# consistent reads (no resourceVersion: on etcd one round trip for the current revision first),
# then reads with resourceVersion=0 (-0: from memory on both, no barrier); ROUNDS=N times,
# each round alternating the backends, its tables and ratios printed on their own (one round's
# req/s ratio on a busy machine is noise: compare the rounds and the server CPU per request)
before=${BEFORE:-}
rounds=${ROUNDS:-1}
case $rounds in '' | *[!0-9]* | 0) echo "ROUNDS must be a positive integer" >&2; exit 2 ;; esac
ab() { # ab TITLE BEFORE_OUT NOW_OUT OPS
    ratios "etcd before vs now, $1 (req/s; ratio = now/before, higher is better)" before "$2" now "$3" "$4" ba
}
for r in $(seq 1 "$rounds"); do
    o=$out/r$r
    mkdir -p "$o"
    "$build/api_bench" "$@" >"$o/sqlite" 2>&1
    [ -z "$before" ] || ANZEN=$before "$root/tests/e2e/etcd_wrap.sh" "$build/api_bench" "$@" >"$o/before" 2>&1
    "$root/tests/e2e/etcd_wrap.sh" "$build/api_bench" "$@" >"$o/etcd" 2>&1
    "$build/api_bench" -0 "$@" >"$o/sqlite0" 2>&1
    [ -z "$before" ] || ANZEN=$before "$root/tests/e2e/etcd_wrap.sh" "$build/api_bench" -0 "$@" >"$o/before0" 2>&1
    "$root/tests/e2e/etcd_wrap.sh" "$build/api_bench" -0 "$@" >"$o/etcd0" 2>&1
    [ "$rounds" = 1 ] || echo "======== round $r of $rounds"
    echo "== SQLite"; cat "$o/sqlite"
    echo "== etcd"; cat "$o/etcd"
    echo "== SQLite, resourceVersion=0"; cat "$o/sqlite0"
    echo "== etcd, resourceVersion=0"; cat "$o/etcd0"
    compare "consistent reads" "$o/sqlite" "$o/etcd" "create get list"
    compare "reads with resourceVersion=0 (from memory on both)" "$o/sqlite0" "$o/etcd0" "get list"
    if [ -n "$before" ]; then
        echo "== etcd before ($before)"; cat "$o/before"
        echo "== etcd before, resourceVersion=0"; cat "$o/before0"
        ab "consistent reads" "$o/before" "$o/etcd" "create get list"
        ab "reads with resourceVersion=0" "$o/before0" "$o/etcd0" "get list"
    fi
done
