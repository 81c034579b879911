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
# A/B (DIVIDE=ab) or B/A (DIVIDE=ba)
ratios() {
    echo "== $1"
    for m in $6; do
        grep -E "^$m C=[0-9]+ req/s" "$3" | while read -r _ c _ x; do
            y=$(grep -E "^$m $c req/s" "$5" | awk '{print $4}')
            awk -v m="$m" -v c="$c" -v an="$2" -v bn="$4" -v x="$x" -v y="$y" -v d="$7" \
                'BEGIN { r = d == "ab" ? (y > 0 ? x / y : 0) : (x > 0 ? y / x : 0);
                         printf "%-5s %-5s %s %8d  %s %8d  %.2fx\n", m, c, an, x, bn, y, r }'
        done
    done
}
compare() { # compare TITLE SQLITE_OUT ETCD_OUT OPS
    ratios "etcd vs SQLite, $1 (req/s; ratio = sqlite/etcd; the goal is <= 1.2 for get and list, creates are etcd-bound)" \
        sqlite "$2" etcd "$3" "$4" ab
}
# consistent reads (no resourceVersion: on etcd one round trip for the current revision first),
# then reads with resourceVersion=0 (-0: from memory on both, no barrier)
before=${BEFORE:-}
"$build/api_bench" "$@" >"$out/sqlite" 2>&1
[ -z "$before" ] || ANZEN=$before "$root/tests/e2e/etcd_wrap.sh" "$build/api_bench" "$@" >"$out/before" 2>&1
"$root/tests/e2e/etcd_wrap.sh" "$build/api_bench" "$@" >"$out/etcd" 2>&1
"$build/api_bench" -0 "$@" >"$out/sqlite0" 2>&1
[ -z "$before" ] || ANZEN=$before "$root/tests/e2e/etcd_wrap.sh" "$build/api_bench" -0 "$@" >"$out/before0" 2>&1
"$root/tests/e2e/etcd_wrap.sh" "$build/api_bench" -0 "$@" >"$out/etcd0" 2>&1
echo "== SQLite"; cat "$out/sqlite"
echo "== etcd"; cat "$out/etcd"
echo "== SQLite, resourceVersion=0"; cat "$out/sqlite0"
echo "== etcd, resourceVersion=0"; cat "$out/etcd0"
compare "consistent reads" "$out/sqlite" "$out/etcd" "create get list"
compare "reads with resourceVersion=0 (from memory on both)" "$out/sqlite0" "$out/etcd0" "get list"
if [ -n "$before" ]; then
    echo "== etcd before ($before)"; cat "$out/before"
    echo "== etcd before, resourceVersion=0"; cat "$out/before0"
    ab() { # ab TITLE BEFORE_OUT NOW_OUT OPS
        ratios "etcd before vs now, $1 (req/s; ratio = now/before, higher is better)" before "$2" now "$3" "$4" ba
    }
    ab "consistent reads" "$out/before" "$out/etcd" "create get list"
    ab "reads with resourceVersion=0" "$out/before0" "$out/etcd0" "get list"
fi
