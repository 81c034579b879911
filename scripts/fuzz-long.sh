#!/usr/bin/env bash
# fuzz-long.sh [BUILD_DIR [RUNS [TARGET...]]] — runs libFuzzer targets built in BUILD_DIR
# (make fuzz) for RUNS executions each (default 10,000,000; all targets unless named, e.g.
# `scripts/fuzz-long.sh build-fuzz 10000000 patch jwt`), starting from a copy of the checked-in
# seed corpus (fuzz/corpus/NAME, so the tree is not modified). Runs FUZZ_JOBS targets at a time
# (default 2), each under `nice -n 19` so that builds and tests on the machine go first.
# FUZZ_SECONDS=n also stops each target after n seconds (libFuzzer's -max_total_time), for a
# time-boxed round when the machine cannot give every target its 10 million.
#
# Appends one line per target to BUILD_DIR/fuzz-long.txt:
#   <target> runs=<n> seconds=<s> execs/s=<n> result=<ok|short|CRASH|STOPPED> corpus=<files> max_len=<n> commit=<git> date=<UTC>
# ok: libFuzzer's closing "Done N runs" line was printed after RUNS executions. short: the
# same, but FUZZ_SECONDS ran out first (no crash in the executions done). CRASH: a crash, sanitizer report,
# leak, timeout (an input running over FUZZ_TIMEOUT s, default 60) or out-of-memory
# (-rss_limit_mb) — the reproducer is in BUILD_DIR/crashes/. STOPPED: the process ended without
# either (killed from outside, e.g. by the kernel's OOM killer; see BUILD_DIR/NAME.log).
# The full libFuzzer output of each target is BUILD_DIR/NAME.log. Exits non-zero unless every
# target is ok.
set -u
BUILD_DIR=${1:-build-fuzz}
RUNS=${2:-10000000}
shift $(($# < 2 ? $# : 2))
JOBS=${FUZZ_JOBS:-2}
TIMEOUT=${FUZZ_TIMEOUT:-60}
SECONDS_LIMIT=${FUZZ_SECONDS:-0}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$BUILD_DIR/fuzz-long.txt"
# the commit the targets were built from (FUZZ_COMMIT when BUILD_DIR is a copy of an older build)
COMMIT=${FUZZ_COMMIT:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)}
[ -n "${FUZZ_COMMIT:-}" ] || git -C "$ROOT" diff --quiet HEAD -- src fuzz 2>/dev/null || COMMIT="$COMMIT+dirty"
mkdir -p "$BUILD_DIR/crashes"

# The longest input libFuzzer may build, per target: a little above what the format needs
# (the largest seed, a tar with a few entries, a manifest with several documents), so that
# executions are not spent on 64 KB inputs that only repeat a structure.
max_len_of() {
    case $1 in
    layer) echo 16384 ;;
    analyze_manifest | jsonfast | ocispec) echo 8192 ;;
    *) echo 4096 ;;
    esac
}

run_one() {
    local name=$1 corpus=${1%_fuzz} bin="$BUILD_DIR/$1" log="$BUILD_DIR/$1.log"
    local work max_len start end rc result done_runs
    work=$(mktemp -d /tmp/fuzz-long.XXXXXX)
    cp -r "$ROOT/fuzz/corpus/$corpus/." "$work/" 2>/dev/null
    max_len=$(max_len_of "$corpus")
    start=$(date +%s)
    ASAN_OPTIONS=detect_leaks=1 nice -n 19 "$bin" -runs="$RUNS" -max_len="$max_len" \
        -timeout="$TIMEOUT" -max_total_time="$SECONDS_LIMIT" -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$BUILD_DIR/crashes/$name-" "$work" >"$log" 2>&1
    rc=$?
    end=$(date +%s)
    done_runs=$(grep -o '^Done [0-9]* runs' "$log" | grep -o '[0-9]*' | tail -1)
    # executions up to a crash (-print_final_stats), else the last status line
    stopped_runs=$(grep -o 'number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    [ -n "$stopped_runs" ] || stopped_runs=$(grep -o '^#[0-9]*' "$log" | tr -d '#' | tail -1)
    if [ "$rc" -eq 0 ] && [ -n "$done_runs" ]; then
        result=ok
        [ "$done_runs" -ge "$RUNS" ] || result=short
    elif grep -q 'libFuzzer: run interrupted' "$log"; then
        result=STOPPED # SIGINT from outside
        done_runs=$stopped_runs
    elif grep -q -e '^==[0-9]*==' -e 'ERROR: libFuzzer' -e '^SUMMARY:' "$log"; then
        result=CRASH
        done_runs=$stopped_runs
    else
        result=STOPPED
        done_runs=$stopped_runs
    fi
    local secs=$((end - start))
    echo "$name runs=${done_runs:-?} seconds=$secs execs/s=$(( ${done_runs:-0} / (secs > 0 ? secs : 1) ))" \
        "result=$result corpus=$(ls "$work" | wc -l) max_len=$max_len commit=$COMMIT" \
        "date=$(date -u +%Y-%m-%dT%H:%MZ) exit=$rc" | tee -a "$OUT"
    rm -rf "$work"
    [ "$result" = ok ] || [ "$result" = short ]
}

if [ $# -eq 0 ]; then
    set -- $(cd "$ROOT/fuzz" && ls *_fuzz.c | sed 's/\.c$//')
fi
fail=0
running=0
for t in "$@"; do
    name=${t%_fuzz}_fuzz
    if [ ! -x "$BUILD_DIR/$name" ]; then
        echo "$name: not built (run make fuzz)"
        fail=1
        continue
    fi
    if [ "$running" -ge "$JOBS" ]; then
        wait -n || fail=1
        running=$((running - 1))
    fi
    run_one "$name" &
    running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
    wait -n || fail=1
    running=$((running - 1))
done
exit $fail
