#!/usr/bin/env bash
# Where the CPU of a consistent read goes under concurrency (docs/bench.md, "The probe's floor"
# and "Wake-ups per consistent read"): for each C, a fresh `anzen serve` (anonymous reads
# allowed) on SQLite and on a one-member etcd (tests/e2e/lib.sh's etcd_start), `wrk -t2 -cC
# -dSECS` (-t1 for C=1) GETs of one ConfigMap (KIND=get) or of the namespace's ConfigMaps
# (KIND=list) without resourceVersion (consistent) and with resourceVersion=0, and per request:
# anzen's CPU, etcd's CPU (utime+stime from /proc, clock ticks), anzen's context switches
# (voluntary + involuntary, all its threads: wake-ups), and on etcd the revision fetches the
# reads shared (the server's shutdown log). Prints figures; never passes or fails on time.
#   bench/run-etcd-probe-cpu.sh [SECS] [C,C,...]     default: 5 8,32
# Environment:
#   ANZEN=/path/to/anzen   the binary to measure (default build/anzen)
#   BEFORE=/path/to/anzen  also measure this one on etcd, alternated with ANZEN in every round
#                          and concurrency (an A/B on the same machine load; build "before")
#   ROUNDS=N               N rounds of the whole alternation (default 1)
#   KIND=get|list          what is read (default get)
#   READS="consistent rv0" which reads (default both)
# The last column is the barrier's mean time per revision fetch, from the server's shutdown
# log; reads/fetch counts the 1 s warm-up's fetches too, so it is a little low.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-5}
concs=${2:-8,32}
rounds=${ROUNDS:-1}
kind=${KIND:-get}
reads=${READS:-consistent rv0}
case $rounds in '' | *[!0-9]* | 0) echo "ROUNDS must be a positive integer" >&2; exit 2 ;; esac
case $kind in get | list) ;; *) echo "KIND must be get or list" >&2; exit 2 ;; esac
export ANZEN=${ANZEN:-$root/build/anzen} PATH="$PATH:/usr/sbin"
now_bin=$ANZEN
before_bin=${BEFORE:-}
. "$root/tests/e2e/lib.sh"
e2e_init >/dev/null
e2e_require_cmd wrk
etcd_start 1 || exit 1
cpu_us() { # utime+stime of PID in microseconds
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); split($0, f, " "); printf "%d\n", (f[12] + f[13]) * 1000000 / hz }' "/proc/$1/stat"
}
ctxsw() { # context switches of every thread of PID
    cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { s += $2 } END { print s + 0 }'
}
printf '%-5s %-6s %-7s %-4s %-11s %9s %12s %12s %10s %10s %12s %10s\n' round build backend C read "req/s" \
    "anzen us/req" "etcd us/req" "ctxsw/req" fetches "reads/fetch" "us/fetch"
n=0
# one phase: measure BUILD_LABEL BINARY BACKEND C READ ROUND
measure() {
    local label=$1 bin=$2 backend=$3 c=$4 read=$5 r=$6
    n=$((n + 1))
    local flags="--no-node --anonymous-auth=true"
    [ "$backend" = etcd ] && flags="$flags --etcd-servers $ETCD_ENDPOINTS --etcd-prefix /registry-$n"
    : >"$T/server.log"
    ANZEN=$bin SERVE_FLAGS=$flags server_start "$T/d$n" || exit 1
    kc create clusterrolebinding anon-view --clusterrole=view --user=system:anonymous >/dev/null
    kc create configmap x --from-literal=a=b >/dev/null
    local th=$((c < 2 ? 1 : 2))
    local url="$BASE/api/v1/namespaces/default/configmaps"
    [ "$kind" = get ] && url="$url/x"
    [ "$read" = rv0 ] && url="$url?resourceVersion=0"
    wrk -t"$th" -c"$c" -d1s "$url" >/dev/null 2>&1 # warm-up: connections, caches
    local a0 e0 x0 a1 e1 x1 out
    a0=$(cpu_us "$SERVER_PID") e0=$(cpu_us "$ETCD_PID_1") x0=$(ctxsw "$SERVER_PID")
    out=$(wrk -t"$th" -c"$c" -d"${secs}s" "$url" 2>&1)
    a1=$(cpu_us "$SERVER_PID") e1=$(cpu_us "$ETCD_PID_1") x1=$(ctxsw "$SERVER_PID")
    server_stop
    local reqs rps bad fetches fetch_us
    reqs=$(echo "$out" | awk '/requests in/ {print $1}')
    rps=$(echo "$out" | awk '/^Requests\/sec/ {printf "%d", $2}')
    bad=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
    [ -z "$bad" ] || echo "# $label $backend C=$c $read: $bad answers not 2xx" >&2
    fetches=$(sed -n 's/.* shared \([0-9]*\) revision fetches.*/\1/p' "$T/server.log" | tail -1)
    fetches=${fetches:-0}
    fetch_us=$(sed -n 's/.* by gRPC), \([0-9]*\) us per fetch.*/\1/p' "$T/server.log" | tail -1)
    awk -v rd="$r" -v l="$label" -v b="$backend" -v c="$c" -v r="$read" -v n="${reqs:-0}" -v rps="${rps:-0}" \
        -v a=$((a1 - a0)) -v e=$((e1 - e0)) -v x=$((x1 - x0)) -v f="$fetches" -v fu="${fetch_us:--}" 'BEGIN {
            cons = b == "etcd" && r == "consistent"
            printf "%-5s %-6s %-7s %-4s %-11s %9d %12.1f %12.1f %10.2f %10s %12s %10s\n", rd, l, b, c, r, rps,
                n ? a / n : 0, n ? e / n : 0, n ? x / n : 0, cons ? f : "-",
                cons && f ? sprintf("%.1f", n / f) : "-", cons ? fu : "-" }'
}
for r in $(seq 1 "$rounds"); do
    for c in ${concs//,/ }; do
        for read in $reads; do
            measure now "$now_bin" sqlite "$c" "$read" "$r"
            [ -z "$before_bin" ] || measure before "$before_bin" etcd "$c" "$read" "$r"
            measure now "$now_bin" etcd "$c" "$read" "$r"
        done
    done
done
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"
