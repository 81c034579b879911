#!/usr/bin/env bash
# Where the CPU of a consistent read goes under concurrency (docs/bench.md, "The probe's floor"):
# for each C, a fresh `anzen serve` (anonymous reads allowed) on SQLite and on a one-member etcd
# (tests/e2e/lib.sh's etcd_start), `wrk -t2 -cC -dSECS` (-t1 for C=1) GETs of one ConfigMap without
# resourceVersion (consistent) and with resourceVersion=0, and per request: anzen's CPU,
# etcd's CPU (utime+stime from /proc, clock ticks), and on etcd the revision fetches the
# reads shared (the server's shutdown log). Prints figures; never passes or fails on time.
#   bench/run-etcd-probe-cpu.sh [SECS] [C,C,...]     default: 5 8,32
# ANZEN=/path/to/anzen (environment): the binary to measure (default build/anzen). The last
# column is the barrier's mean time per revision fetch, from the server's shutdown log.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-5}
concs=${2:-8,32}
export ANZEN=${ANZEN:-$root/build/anzen} PATH="$PATH:/usr/sbin"
. "$root/tests/e2e/lib.sh"
e2e_init >/dev/null
e2e_require_cmd wrk
etcd_start 1 || exit 1
cpu_us() { # utime+stime of PID in microseconds
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); split($0, f, " "); printf "%d\n", (f[12] + f[13]) * 1000000 / hz }' "/proc/$1/stat"
}
printf '%-7s %-4s %-11s %9s %12s %12s %10s %12s %10s\n' backend C read "req/s" "anzen us/req" "etcd us/req" fetches "reads/fetch" "us/fetch"
n=0
for backend in sqlite etcd; do
    for c in ${concs//,/ }; do
        for read in consistent rv0; do
            n=$((n + 1))
            flags="--no-node --anonymous-auth=true"
            [ "$backend" = etcd ] && flags="$flags --etcd-servers $ETCD_ENDPOINTS --etcd-prefix /registry-$n"
            : >"$T/server.log"
            SERVE_FLAGS=$flags server_start "$T/d$n" || exit 1
            kc create clusterrolebinding anon-view --clusterrole=view --user=system:anonymous >/dev/null
            kc create configmap x --from-literal=a=b >/dev/null
            th=$((c < 2 ? 1 : 2))
            url="$BASE/api/v1/namespaces/default/configmaps/x"
            [ "$read" = rv0 ] && url="$url?resourceVersion=0"
            wrk -t"$th" -c"$c" -d1s "$url" >/dev/null 2>&1 # warm-up: connections, caches
            a0=$(cpu_us "$SERVER_PID") e0=$(cpu_us "$ETCD_PID_1")
            out=$(wrk -t"$th" -c"$c" -d"${secs}s" "$url" 2>&1)
            a1=$(cpu_us "$SERVER_PID") e1=$(cpu_us "$ETCD_PID_1")
            server_stop
            reqs=$(echo "$out" | awk '/requests in/ {print $1}')
            rps=$(echo "$out" | awk '/^Requests\/sec/ {printf "%d", $2}')
            bad=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
            [ -z "$bad" ] || echo "# $backend C=$c $read: $bad answers not 2xx" >&2
            fetches=$(sed -n 's/.* shared \([0-9]*\) revision fetches.*/\1/p' "$T/server.log" | tail -1)
            fetches=${fetches:-0}
            fetch_us=$(sed -n 's/.* by gRPC), \([0-9]*\) us per fetch.*/\1/p' "$T/server.log" | tail -1)
            # the warm-up's requests are in the fetch count but not in reqs: per-fetch figures
            # are approximate (the warm-up is 1 s against the SECS run)
            awk -v b="$backend" -v c="$c" -v r="$read" -v n="${reqs:-0}" -v rps="${rps:-0}" \
                -v a=$((a1 - a0)) -v e=$((e1 - e0)) -v f="$fetches" -v fu="${fetch_us:--}" 'BEGIN {
                    printf "%-7s %-4s %-11s %9d %12.1f %12.1f %10s %12s %10s\n", b, c, r, rps,
                        n ? a / n : 0, n ? e / n : 0, b == "etcd" && r == "consistent" ? f : "-",
                        b == "etcd" && r == "consistent" && f ? sprintf("%.1f", n / f) : "-",
                        b == "etcd" && r == "consistent" ? fu : "-" }'
        done
    done
done
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"
