#!/usr/bin/env bash
# The API benchmark (api_bench: HTTPS keep-alive, admin client cert, C connections) run twice
# in one go: anzen on SQLite, then anzen on a fresh one-member etcd (tests/e2e/etcd_wrap.sh
# starts it and adds --etcd-servers). Prints both tables and a create/get/list comparison; see
# docs/bench.md, "etcd vs SQLite through the API". Never passes or fails on time.
#   bench/run-etcd-api-bench.sh [api_bench options]    default: -n 3000 -c 1,8 -w 0
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 --target anzen api_bench >/dev/null
[ $# -gt 0 ] || set -- -n 3000 -c 1,8 -w 0
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export PATH="$PATH:/usr/sbin" ANZEN="$build/anzen"
"$build/api_bench" "$@" >"$out/sqlite" 2>&1
"$root/tests/e2e/etcd_wrap.sh" "$build/api_bench" "$@" >"$out/etcd" 2>&1
echo "== SQLite"; cat "$out/sqlite"
echo "== etcd"; cat "$out/etcd"
echo "== etcd vs SQLite (req/s; ratio = sqlite/etcd; the goal is <= 1.2 for get and list, creates are etcd-bound)"
for m in create get list; do
    grep -E "^$m C=[0-9]+ req/s" "$out/sqlite" | while read -r _ c _ sq; do
        et=$(grep -E "^$m $c req/s" "$out/etcd" | awk '{print $4}')
        awk -v m="$m" -v c="$c" -v s="$sq" -v e="$et" 'BEGIN { printf "%-5s %-5s sqlite %8d  etcd %8d  %.2fx\n", m, c, s, e, (e > 0 ? s / e : 0) }'
    done
done
