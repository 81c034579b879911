#!/usr/bin/env bash
# Builds anzen and api_bench (RelWithDebInfo) and runs the API benchmark once; see docs/bench.md.
#   bench/run-api-bench.sh [api_bench options]     e.g. -n 2000 -c 1,4,8 -w 3
#   issue 10's GET and create figures (wrk rounds, medians): -n 20000 -c 64 -w 10 -r 3
# BUILD picks the build directory (default build/, the one `make` uses).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
{ command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; } && command -v wrk >/dev/null ||
    "$root/scripts/install-deps.sh"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 --target anzen api_bench >/dev/null
PATH="$PATH:/usr/sbin" ANZEN="$build/anzen" exec "$build/api_bench" "$@"
