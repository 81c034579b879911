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
compare() { # compare TITLE SQLITE_OUT ETCD_OUT OPS
    echo "== etcd vs SQLite, $1 (req/s; ratio = sqlite/etcd; the goal is <= 1.2 for get and list, creates are etcd-bound)"
    for m in $4; do
        grep -E "^$m C=[0-9]+ req/s" "$2" | while read -r _ c _ sq; do
            et=$(grep -E "^$m $c req/s" "$3" | awk '{print $4}')
            awk -v m="$m" -v c="$c" -v s="$sq" -v e="$et" 'BEGIN { printf "%-5s %-5s sqlite %8d  etcd %8d  %.2fx\n", m, c, s, e, (e > 0 ? s / e : 0) }'
        done
    done
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
        echo "== etcd before vs now, $1 (req/s; ratio = now/before, higher is better)"
        for m in $4; do
            grep -E "^$m C=[0-9]+ req/s" "$2" | while read -r _ c _ b; do
                n=$(grep -E "^$m $c req/s" "$3" | awk '{print $4}')
                awk -v m="$m" -v c="$c" -v b="$b" -v n="$n" 'BEGIN { printf "%-5s %-5s before %8d  now %8d  %.2fx\n", m, c, b, n, (b > 0 ? n / b : 0) }'
            done
        done
    }
    ab "consistent reads" "$out/before" "$out/etcd" "create get list"
    ab "reads with resourceVersion=0" "$out/before0" "$out/etcd0" "get list"
fi
