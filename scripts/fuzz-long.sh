#!/usr/bin/env bash
# Runs every libFuzzer target built in BUILD_DIR (make fuzz) for RUNS executions each, one at
# a time, starting from its checked-in seed corpus (fuzz/corpus/NAME, copied so the tree is
# not modified), and appends one line per target to BUILD_DIR/fuzz-long.txt:
#   <target> runs=<n> seconds=<s> result=<ok|CRASH> corpus=<files>
# Exits non-zero if any target crashed (the reproducer stays in BUILD_DIR/crashes/).
set -u
BUILD_DIR=${1:-build-fuzz}
RUNS=${2:-10000000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$BUILD_DIR/fuzz-long.txt"
mkdir -p "$BUILD_DIR/crashes"
fail=0
for src in "$ROOT"/fuzz/*_fuzz.c; do
    name=$(basename "$src" .c)
    corpus=${name%_fuzz}
    bin="$BUILD_DIR/$name"
    [ -x "$bin" ] || { echo "$name: not built (run make fuzz)"; fail=1; continue; }
    work=$(mktemp -d /tmp/fuzz-long.XXXXXX)
    cp -r "$ROOT/fuzz/corpus/$corpus/." "$work/" 2>/dev/null
    start=$(date +%s)
    if ASAN_OPTIONS=detect_leaks=0 "$bin" -runs="$RUNS" -max_len=65536 -rss_limit_mb=2048 \
        -artifact_prefix="$BUILD_DIR/crashes/$name-" "$work" >"$BUILD_DIR/$name.log" 2>&1; then
        result=ok
    else
        result=CRASH
        fail=1
    fi
    end=$(date +%s)
    done_runs=$(grep -o 'Done [0-9]* runs' "$BUILD_DIR/$name.log" | grep -o '[0-9]*' | tail -1)
    line="$name runs=${done_runs:-?} seconds=$((end - start)) result=$result corpus=$(ls "$work" | wc -l)"
    echo "$line" | tee -a "$OUT"
    rm -rf "$work"
done
exit $fail
