# Shared helpers for the end-to-end tests: start/stop the real anzen binary on a random port
# in a temporary directory, run kubectl/curl against it, and assert with messages that show
# the expected and the actual value. Source it from a *_test.sh script, then call e2e_init.
#
# Conventions: every assertion prints "ok - NAME" or "FAIL - NAME" plus expected/actual;
# e2e_finish prints "N passed, M failed" and exits non-zero when anything failed.

E2E_PASS=0
E2E_FAIL=0
E2E_FAILED_NAMES=""
SERVER_PID=""
SERVER_PORT=""
SERVER_DIR=""
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

e2e_repo_root()
{
    (cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
}

# e2e_init: sets ANZEN, SEED (tests/seed: the acceptance seed's files, byte for byte as in
# ../shared/acceptance/seed), T (temp dir, removed on exit unless E2E_KEEP=1).
e2e_init()
{
    local root
    root=$(e2e_repo_root)
    ANZEN_SRC=${ANZEN_SRC:-$root}
    if [ -z "${ANZEN:-}" ]; then
        ANZEN="$root/build/anzen"
    fi
    if [ ! -x "$ANZEN" ]; then
        echo "FAIL - anzen binary not found at $ANZEN (set ANZEN or build it)" >&2
        exit 2
    fi
    SEED="$root/tests/seed"
    T=$(mktemp -d /tmp/anzen-e2e.XXXXXX)
    trap e2e_cleanup EXIT
    echo "# anzen: $ANZEN"
    echo "# tmp:   $T"
}

e2e_cleanup()
{
    local rc=$?
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null
        local i
        for i in $(seq 1 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVER_PID" 2>/dev/null
    fi
    # background helpers registered by the tests
    local p
    for p in ${E2E_BG_PIDS:-}; do
        kill "$p" 2>/dev/null
    done
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -f "$T/server.log" ]; then
        echo "# ---- last lines of server log ($T/server.log)"
        tail -n 20 "$T/server.log" | sed 's/^/#   /'
    fi
    if [ "${E2E_KEEP:-0}" != 1 ]; then
        rm -rf "$T"
    fi
}

# ---- assertions ------------------------------------------------------------------------

e2e_pass()
{
    E2E_PASS=$((E2E_PASS + 1))
    echo "ok - $1"
}

# e2e_fail NAME EXPECTED ACTUAL
e2e_fail()
{
    E2E_FAIL=$((E2E_FAIL + 1))
    E2E_FAILED_NAMES="$E2E_FAILED_NAMES
  $1"
    echo "FAIL - $1"
    echo "  expected: $2" | head -c 4000
    echo
    echo "  actual:   $3" | head -c 4000
    echo
}

expect_eq()
{
    if [ "$2" = "$3" ]; then e2e_pass "$1"; else e2e_fail "$1" "$2" "$3"; fi
}

expect_ne()
{
    if [ "$2" != "$3" ]; then e2e_pass "$1"; else e2e_fail "$1" "anything but $2" "$3"; fi
}

expect_contains()
{
    case "$3" in
        *"$2"*) e2e_pass "$1" ;;
        *) e2e_fail "$1" "output containing: $2" "$3" ;;
    esac
}

expect_not_contains()
{
    case "$3" in
        *"$2"*) e2e_fail "$1" "output NOT containing: $2" "$3" ;;
        *) e2e_pass "$1" ;;
    esac
}

# expect_match NAME EXTENDED_REGEX TEXT  (matches any line)
expect_match()
{
    if printf '%s\n' "$3" | grep -Eq -- "$2"; then e2e_pass "$1"; else e2e_fail "$1" "a line matching /$2/" "$3"; fi
}

expect_no_match()
{
    if printf '%s\n' "$3" | grep -Eq -- "$2"; then e2e_fail "$1" "no line matching /$2/" "$3"; else e2e_pass "$1"; fi
}

# expect_gt NAME A B: integer A > integer B
expect_gt()
{
    if [[ "$2" =~ ^[0-9]+$ ]] && [[ "$3" =~ ^[0-9]+$ ]] && [ "$2" -gt "$3" ]; then
        e2e_pass "$1"
    else
        e2e_fail "$1" "an integer greater than $3" "$2"
    fi
}

# e2e_skip REASON: the test cannot run on this machine (no root, no OCI runtime, no etcd):
# prints "SKIP - REASON" and exits 77, which CTest reports as "Skipped" (SKIP_RETURN_CODE in
# CMakeLists.txt). Checks that already failed still fail the test.
e2e_skip()
{
    echo "SKIP - $1"
    [ "$E2E_FAIL" -eq 0 ] || e2e_finish
    echo "$E2E_PASS passed, $E2E_FAIL failed, the rest skipped"
    exit 77
}

# e2e_require_root WHY: skip unless running as root.
e2e_require_root()
{
    [ "$(id -u)" = 0 ] || e2e_skip "needs root ($1)"
}

# e2e_require_cmd CMD...: skip unless every CMD is installed (scripts/install-deps.sh).
e2e_require_cmd()
{
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null || e2e_skip "$c not installed (scripts/install-deps.sh)"
    done
}

# e2e_require_node: skip unless the embedded node agent can run pods here (root, an OCI
# runtime, the CNI bridge plugin).
e2e_require_node()
{
    e2e_require_root "the node agent runs containers"
    command -v runc >/dev/null || command -v crun >/dev/null || e2e_skip "no OCI runtime (runc or crun)"
    [ -x /usr/lib/cni/bridge ] || e2e_skip "no CNI bridge plugin in /usr/lib/cni (containernetworking-plugins)"
}

e2e_finish()
{
    # in-process callers (controllers, scheduler, node agent) act as their own identities:
    # a refusal of one of them is a wiring bug (wrong identity or missing policy rule)
    local log
    for log in "$T"/server.log "$T"/*.log; do
        [ -f "$log" ] || continue
        if grep -q "internal call refused" "$log"; then
            e2e_fail "no in-process call refused ($(basename "$log"))" "none" \
                "$(grep "internal call refused" "$log" | head -3)"
        fi
    done
    if [ "$E2E_FAIL" -ne 0 ]; then
        echo "# failed:$E2E_FAILED_NAMES"
    fi
    echo "$E2E_PASS passed, $E2E_FAIL failed"
    [ "$E2E_FAIL" -eq 0 ]
    exit $?
}

# ---- JSON --------------------------------------------------------------------------------

# jget EXPR [FILE]: evaluate a Python expression over the parsed JSON `d` (stdin or FILE);
# strings print raw, other values as compact JSON; errors print "<error: ...>".
jget()
{
    local expr=$1 file=${2:--}
    "$PY" -c '
import json, sys
src = sys.stdin if sys.argv[2] == "-" else open(sys.argv[2])
try:
    d = json.load(src)
    v = eval(sys.argv[1], {"d": d, "json": json})
except Exception as e:
    print("<error: %s>" % e); sys.exit(0)
print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))
' "$expr" "$file"
}

# jnorm: canonical compact JSON of stdin (sorted keys) for structural comparisons.
jnorm()
{
    "$PY" -c '
import json, sys
try:
    print(json.dumps(json.load(sys.stdin), sort_keys=True, separators=(",", ":")))
except Exception as e:
    print("<not json: %s>" % e)
'
}

# ---- server ------------------------------------------------------------------------------

e2e_pick_port()
{
    echo $((20000 + RANDOM % 20000))
}

# server_start DATADIR [PORT]: start anzen, wait for its ready line and GET /readyz = ok.
# ANZEN_SERVE_ARGS (environment): more flags for every server_start, e.g. "--workers 4"
# (CTest's e2e-workers*/ variants).
# SERVE_FLAGS: extra flags for `anzen serve`; by default --no-node, so pods stay Pending and
# objects change only through the test (tests of the node agent set SERVE_FLAGS="").
server_start()
{
    SERVER_DIR=$1
    local want_port=${2:-} try port
    for try in 1 2 3 4 5 6; do
        port=${want_port:-$(e2e_pick_port)}
        echo "# starting anzen on 127.0.0.1:$port (data dir $SERVER_DIR)" >>"$T/server.log"
        # shellcheck disable=SC2086
        "$ANZEN" serve --data-dir "$SERVER_DIR" --listen "127.0.0.1:$port" ${SERVE_FLAGS---no-node} ${ANZEN_SERVE_ARGS:-} >>"$T/server.log" 2>&1 &
        SERVER_PID=$!
        SERVER_PORT=$port
        if server_wait_ready; then
            KCFG="$SERVER_DIR/admin.kubeconfig"
            BASE="https://127.0.0.1:$SERVER_PORT"
            return 0
        fi
        kill -KILL "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
        SERVER_PID=""
        # a fixed port that failed is retried a few times (it may be in TIME_WAIT)
        [ -n "$want_port" ] && sleep 1
    done
    echo "FAIL - could not start anzen; server log:" >&2
    tail -n 30 "$T/server.log" >&2
    return 1
}

# e2e_pod_phase POD NS REGEX [SECONDS]: waits (default 20 s) until the pod's phase matches
# ^(REGEX)$ (e.g. 'Succeeded|Failed'); prints the last phase seen, fails on timeout.
e2e_pod_phase()
{
    local i p
    for i in $(seq 1 $(( ${4:-20} * 5 ))); do
        p=$(kc get pod "$1" -n "$2" -o jsonpath='{.status.phase}' 2>/dev/null)
        if [[ "$p" =~ ^($3)$ ]]; then echo "$p"; return 0; fi
        sleep 0.2
    done
    echo "${p:-<none>}"
    return 1
}

# e2e_import_test_image DATA_DIR [NAME]: builds the test image (scripts/make-test-image.sh,
# once per test run, in $T) and imports it into DATA_DIR's image store as NAME
# (alpine:latest, the name the seed's manifests use). Fails the test when it cannot.
e2e_import_test_image()
{
    local dir=$1 name=${2:-alpine:latest}
    if [ ! -d "$T/test-image" ]; then
        "$ANZEN_SRC/scripts/make-test-image.sh" "$T/test-image" >"$T/test-image.log" 2>&1 || {
            echo "FAIL - scripts/make-test-image.sh failed:"; tail -5 "$T/test-image.log"; exit 1; }
    fi
    "$ANZEN" image import --data-dir "$dir" "$T/test-image" --name "$name" >>"$T/test-image.log" 2>&1 || {
        echo "FAIL - anzen image import failed:"; tail -5 "$T/test-image.log"; exit 1; }
}

# e2e_node_server: anzen with its node agent in $T/data, the test image imported as
# alpine:latest; K is kubectl 1.32 and k() runs it with the admin kubeconfig.
e2e_node_server()
{
    SERVE_FLAGS=""
    server_start "$T/data" || exit 1
    e2e_import_test_image "$SERVER_DIR"
    K=/usr/lib/google-cloud-sdk/bin/kubectl.1.32
    [ -x "$K" ] || K=kubectl
}
k() { "$K" --kubeconfig "$KCFG" --cache-dir "$T/kcache" "$@"; }

server_wait_ready()
{
    local i out
    for i in $(seq 1 150); do
        kill -0 "$SERVER_PID" 2>/dev/null || return 1
        if [ -f "$SERVER_DIR/pki/ca.crt" ]; then
            out=$(curl -s --max-time 2 --cacert "$SERVER_DIR/pki/ca.crt" \
                --cert "$SERVER_DIR/pki/admin.crt" --key "$SERVER_DIR/pki/admin.key" \
                "https://127.0.0.1:$SERVER_PORT/readyz" 2>/dev/null)
            [ "$out" = ok ] && return 0
        fi
        sleep 0.1
    done
    return 1
}

# server_stop: SIGTERM and wait; prints nothing, returns the server's exit status.
server_stop()
{
    local i rc
    [ -n "$SERVER_PID" ] || return 0
    kill -TERM "$SERVER_PID" 2>/dev/null
    for i in $(seq 1 100); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -KILL "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
        SERVER_PID=""
        return 124
    fi
    wait "$SERVER_PID"
    rc=$?
    SERVER_PID=""
    return $rc
}

server_kill9()
{
    [ -n "$SERVER_PID" ] || return 0
    kill -KILL "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=""
}

server_alive()
{
    [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null
}

# ---- clients -----------------------------------------------------------------------------

# kc ARGS...: kubectl with the admin kubeconfig, default flags, private cache dir.
kc()
{
    kubectl --kubeconfig "$KCFG" --cache-dir "$T/kcache" "$@"
}

# kcv MINOR ARGS...: like kc, with kubectl 1.MINOR (google-cloud-sdk's kubectl.1.MINOR) when it
# is installed, else the default kubectl.
kcv()
{
    local k=/usr/lib/google-cloud-sdk/bin/kubectl.1.$1
    shift
    [ -x "$k" ] || k=kubectl
    "$k" --kubeconfig "$KCFG" --cache-dir "$T/kcache" "$@"
}

# acurl ARGS...: curl with the admin client certificate.
acurl()
{
    curl -sS --max-time 20 --cacert "$SERVER_DIR/pki/ca.crt" --cert "$SERVER_DIR/pki/admin.crt" \
        --key "$SERVER_DIR/pki/admin.key" "$@"
}

# req METHOD PATH [curl args...]: sets CODE (HTTP status), BODY (response body) and
# HDRS (response headers, lower-cased names). The body is also left in $T/body.
req()
{
    local method=$1 path=$2
    shift 2
    CODE=$(acurl -X "$method" -o "$T/body" -D "$T/hdrs" -w '%{http_code}' "$@" "$BASE$path")
    BODY=$(cat "$T/body")
    HDRS=$(tr -d '\r' <"$T/hdrs" | sed 's/^\([^:]*\):/\L\1:/')
}

# noauth_req METHOD PATH [curl args...]: like req, without a client certificate.
noauth_req()
{
    local method=$1 path=$2
    shift 2
    CODE=$(curl -sS --max-time 20 --cacert "$SERVER_DIR/pki/ca.crt" -X "$method" -o "$T/body" \
        -D "$T/hdrs" -w '%{http_code}' "$@" "$BASE$path")
    BODY=$(cat "$T/body")
    HDRS=$(tr -d '\r' <"$T/hdrs" | sed 's/^\([^:]*\):/\L\1:/')
}

# header NAME: value of response header NAME from the last req (first occurrence).
header()
{
    printf '%s\n' "$HDRS" | grep -i "^$1:" | head -n 1 | sed 's/^[^:]*: *//'
}

# wait_until SECONDS CMD...: poll CMD every 0.2 s until it succeeds.
# IC ARGS...: tests/e2e/intake_client.py (raw requests: heads, bodies, keep-alive) against the
# running server with its PKI; it prints KEY=value lines, which `val KEY` reads back from $OUT.
IC() { timeout 120 "$PY" "$(dirname "${BASH_SOURCE[0]}")/intake_client.py" "$SERVER_PORT" "$SERVER_DIR/pki" "$@"; }
val() { printf '%s\n' "$OUT" | sed -n "s/^$1=//p" | head -n 1; }

wait_until()
{
    local secs=$1 i
    shift
    for i in $(seq 1 $((secs * 5))); do
        "$@" && return 0
        sleep 0.2
    done
    return 1
}

# bg_kill SIGNAL PID: sends SIGNAL to PID, a background job of this shell, only if it is still
# running, then reaps it. A job that already ended may have been reaped, and on a loaded
# machine its pid reused meanwhile by another process — one of this script's own subshells,
# which would then run the EXIT trap (e2e_cleanup: the server stopped, $T removed).
bg_kill()
{
    local running
    running=$(jobs -pr)
    if printf '%s\n' "$running" | grep -qx -- "$2"; then
        kill "-$1" "$2" 2>/dev/null
    fi
    wait "$2" 2>/dev/null
}

# ensure_alive NAME: assert the server is still running; if it died, record the failure
# and restart it on the same data dir and port so the remaining checks still run.
ensure_alive()
{
    if server_alive && [ "$(acurl -s --max-time 5 "$BASE/readyz" 2>/dev/null)" = ok ]; then
        e2e_pass "$1"
        return 0
    fi
    local rc=none
    if [ -n "$SERVER_PID" ]; then
        wait "$SERVER_PID" 2>/dev/null
        rc=$?
        SERVER_PID=""
    fi
    e2e_fail "$1" "server alive and ready" "server died (exit status $rc); restarting it"
    server_start "$SERVER_DIR" "$SERVER_PORT"
}

# ---- etcd ------------------------------------------------------------------------------------
# etcd_start N: start an N-member etcd cluster (Debian's etcd-server) on free loopback ports,
# data in $T/etcd/m<i>; waits until the cluster serves a linearizable read. Sets ETCD_ENDPOINTS
# (comma-separated client URLs) and ETCD_URL_<i>; members are stopped by e2e_cleanup.
# etcd_kill I (SIGKILL member I), etcd_restart I (same command, same data dir).
ETCD_N=0
etcd_start()
{
    local n=${1:-1} i base try attempt
    e2e_require_cmd etcd etcdctl
    # a member that cannot bind its ports (taken meanwhile, e.g. as another connection's
    # local port) exits at once: start the whole cluster again on other ports
    for attempt in 1 2 3 4 5; do
        for try in 1 2 3 4 5; do
            base=$((20000 + RANDOM % 20000))
            local cluster="" busy=0
            for i in $(seq 1 "$n"); do
                cluster="${cluster:+$cluster,}m$i=http://127.0.0.1:$((base + 2 * i + 1))"
                # a port in use makes etcd exit; pick another base
                if (exec 3<>/dev/tcp/127.0.0.1/$((base + 2 * i))) 2>/dev/null ||
                   (exec 3<>/dev/tcp/127.0.0.1/$((base + 2 * i + 1))) 2>/dev/null; then busy=1; fi
            done
            [ "$busy" = 0 ] && break
        done
        ETCD_N=$n
        ETCD_CLUSTER=$cluster
        ETCD_BASE=$base
        ETCD_ENDPOINTS=""
        [ "$attempt" = 1 ] || rm -rf "$T/etcd"
        mkdir -p "$T/etcd"
        for i in $(seq 1 "$n"); do
            ETCD_ENDPOINTS="${ETCD_ENDPOINTS:+$ETCD_ENDPOINTS,}http://127.0.0.1:$((base + 2 * i))"
            eval "ETCD_URL_$i=http://127.0.0.1:$((base + 2 * i))"
            etcd_launch "$i"
        done
        local dead=0
        for try in $(seq 1 300); do
            if ETCDCTL_API=3 etcdctl --endpoints "$ETCD_ENDPOINTS" --command-timeout=2s put /e2e-probe ok >/dev/null 2>&1; then
                ETCDCTL_API=3 etcdctl --endpoints "$ETCD_ENDPOINTS" del /e2e-probe >/dev/null 2>&1
                return 0
            fi
            for i in $(seq 1 "$n"); do
                local pid
                eval "pid=\$ETCD_PID_$i"
                kill -0 "$pid" 2>/dev/null || dead=1
            done
            [ "$dead" = 1 ] && break
            sleep 0.2
        done
        [ "$dead" = 1 ] || break
        echo "# etcd member exited at start ($(grep -ho 'bind: address already in use' "$T"/etcd/m*.log | head -1)); other ports" >&2
        for i in $(seq 1 "$n"); do
            local pid
            eval "pid=\$ETCD_PID_$i"
            kill "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
        done
    done
    echo "FAIL - etcd cluster did not form; log:" >&2
    tail -n 20 "$T/etcd/m1.log" >&2
    return 1
}
etcd_launch()
{
    local i=$1 c=$((ETCD_BASE + 2 * $1))
    etcd --name "m$i" --data-dir "$T/etcd/m$i.data" \
        --listen-client-urls "http://127.0.0.1:$c" --advertise-client-urls "http://127.0.0.1:$c" \
        --listen-peer-urls "http://127.0.0.1:$((c + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((c + 1))" \
        --initial-cluster "$ETCD_CLUSTER" --initial-cluster-state new --initial-cluster-token "e2e-$ETCD_BASE" \
        --listen-metrics-urls "http://127.0.0.1:$((ETCD_BASE + 100 + i))" >>"$T/etcd/m$i.log" 2>&1 &
    eval "ETCD_PID_$i=$!"
    E2E_BG_PIDS="${E2E_BG_PIDS:-} $!"
}

etcd_kill()
{
    local pid
    eval "pid=\${ETCD_PID_$1:-}"
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    return 0
}

etcd_restart()
{
    etcd_kill "$1"
    etcd_launch "$1"
}

# etcd_replica NAME PORT [FLAGS...]: starts an `anzen serve` replica on the test cluster with
# data dir $T/NAME (log $T/NAME.log; a replica other than "a" gets a copy of $T/a/pki, so all
# share the CA and ServiceAccount keys), waits until ready; sets REPLICA_PID. Fails the test
# if it does not start. Stopped by e2e_cleanup.
etcd_replica()
{
    local name=$1 port=$2
    shift 2
    mkdir -p "$T/$name"
    [ "$name" != a ] && cp -a "$T/a/pki" "$T/$name/pki"
    "$ANZEN" serve --data-dir "$T/$name" --listen "127.0.0.1:$port" --no-node --etcd-servers "$ETCD_ENDPOINTS" "$@" >>"$T/$name.log" 2>&1 &
    REPLICA_PID=$!
    E2E_BG_PIDS="$E2E_BG_PIDS $REPLICA_PID"
    SERVER_PID=$REPLICA_PID SERVER_PORT=$port SERVER_DIR="$T/$name"
    server_wait_ready || { e2e_fail "replica $name starts" "ready" "$(tail -5 "$T/$name.log")"; e2e_finish; }
    SERVER_PID=""   # stopped by e2e_cleanup through E2E_BG_PIDS
}

# etcd_pair_setup: names for two replicas A and B: data dirs DA/DB, ports PA/PB, kubeconfigs
# KA/KB and kubectl wrappers ka/kb. etcd_pair [FLAGS...]: also starts both (APID/BPID).
etcd_pair_setup()
{
    DA="$T/a" DB="$T/b" KA="$T/a/admin.kubeconfig" KB="$T/b/admin.kubeconfig"
    PA=$(e2e_pick_port)
    PB=$((PA + 1))
}
ka() { kubectl --kubeconfig "$KA" --cache-dir "$T/kca" "$@"; }
kb() { kubectl --kubeconfig "$KB" --cache-dir "$T/kcb" "$@"; }
etcd_pair()
{
    etcd_pair_setup
    etcd_replica a "$PA" "$@"
    APID=$REPLICA_PID
    etcd_replica b "$PB" "$@"
    BPID=$REPLICA_PID
}

# ectl ARGS...: etcdctl (v3 API) against the test cluster.
ectl()
{
    ETCDCTL_API=3 etcdctl --endpoints "$ETCD_ENDPOINTS" --command-timeout=5s "$@"
}
