#!/usr/bin/env bash
# End-to-end: `kubectl exec` (WebSocket, v5.channel.k8s.io) against the real anzen binary and
# its embedded node agent: stdout, stderr, exit codes, stdin (v5 CLOSE), large output, the
# seed's projected-token read, an unknown container, a non-upgrade request (400), and a raw
# WebSocket client checking the wire (subprotocol choice, first empty frame, channel-3 Status).
#
# Needs the node agent to run pods: without root, an OCI runtime or the CNI plugins the test
# is skipped (exit 77, CTest "Skipped"); a seed pod that does not reach Running is a failure.
# EXEC_FAKE_NODE=1 (development only): the binary's node_exec runs commands on the host and
# pods never run, so the phase wait and the in-pod token check are skipped.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
[ "${EXEC_FAKE_NODE:-0}" = 1 ] || e2e_require_node
SERVE_FLAGS=""   # exec needs the embedded node agent running the pod
server_start "$T/data" || exit 1
e2e_import_test_image "$T/data"
FAKE=${EXEC_FAKE_NODE:-0}
EXEC_PATH="/api/v1/namespaces/lab/pods/sleep/exec"

# ---- no upgrade: 400 like upstream's upgrade-aware proxy ----------------------------------
kc apply -f "$SEED/manifests.yaml" >/dev/null 2>&1
kc apply -f "$SEED/pod-projected.yaml" >/dev/null 2>&1
req GET "$EXEC_PATH?command=true&stdout=true"
expect_eq "plain GET exec: 400" 400 "$CODE"
expect_eq "plain GET exec: message" "Upgrade request required" "$(jget 'd["message"]' "$T/body")"
expect_eq "plain GET exec: reason" "BadRequest" "$(jget 'd["reason"]' "$T/body")"
req GET "$EXEC_PATH?command=true"
expect_eq "exec without streams: message" "you must specify at least 1 of stdin, stdout, stderr" \
    "$(jget 'd["message"]' "$T/body")"
req GET "/api/v1/namespaces/lab/pods/nosuchpod/exec?command=true&stdout=true"
expect_eq "exec on a missing pod: 404" 404 "$CODE"

# ---- wait for the node agent ----------------------------------------------------------------
if [ "$FAKE" != 1 ]; then
    running=0
    for _ in $(seq 1 40); do
        [ "$(kc get pod sleep -n lab -o jsonpath='{.status.phase}' 2>/dev/null)" = Running ] && { running=1; break; }
        sleep 0.5
    done
    if [ "$running" != 1 ]; then
        e2e_fail "the seed pod lab/sleep runs" "Running within 20 s" "$(kc get pod sleep -n lab -o jsonpath='{.status.phase}' 2>&1)"
        e2e_finish
    fi
fi
kx() { kc exec -n lab sleep "$@"; }

# ---- stdout, stderr, exit codes -------------------------------------------------------------
out=$(kx -- echo hello world 2>"$T/err"); rc=$?
expect_eq "exec echo: rc" 0 "$rc"
expect_eq "exec echo: stdout" "hello world" "$out"
expect_eq "exec echo: no stderr" "" "$(cat "$T/err")"

out=$(kx -- cat /etc/hostname 2>&1); rc=$?
expect_eq "exec cat /etc/hostname: rc" 0 "$rc"
expect_ne "exec cat /etc/hostname: prints a name" "" "$out"

out=$(kx -- sh -c 'echo to-out; echo to-err >&2' 2>"$T/err")
expect_eq "exec: stdout stream" "to-out" "$out"
expect_eq "exec: stderr stream" "to-err" "$(cat "$T/err")"

kx -- sh -c 'echo partial; exit 3' >"$T/out" 2>"$T/err"; rc=$?
expect_eq "exec exit 3: kubectl exits 3" 3 "$rc"
expect_eq "exec exit 3: output still delivered" "partial" "$(cat "$T/out")"
expect_contains "exec exit 3: kubectl's message" "command terminated with exit code 3" "$(cat "$T/err")"

kx -- sh -c 'exit 42' >/dev/null 2>"$T/err"; rc=$?
expect_eq "exec exit 42: kubectl exits 42" 42 "$rc"

# ---- stdin (v5 CLOSE ends it) ---------------------------------------------------------------
# (kubectl may log "Unknown stream id 1" when the first empty stdout message beats its stream
# setup — a client-side race upstream has too; only stdout is compared)
out=$(echo hi | timeout 15 kubectl --kubeconfig "$KCFG" --cache-dir "$T/kcache" exec -i -n lab sleep -- cat 2>/dev/null); rc=$?
expect_eq "exec -i cat: rc" 0 "$rc"
expect_eq "exec -i cat: echoes stdin" "hi" "$out"

head -c 3000000 /dev/urandom >"$T/big"
want=$(sha256sum <"$T/big" | cut -d' ' -f1)
out=$(timeout 30 kubectl --kubeconfig "$KCFG" --cache-dir "$T/kcache" exec -i -n lab sleep -- sha256sum <"$T/big" 2>/dev/null)
expect_eq "exec -i: 3 MB of stdin arrive intact" "$want" "${out%% *}"

n=$(kx -- head -c 5000000 /dev/zero 2>/dev/null | wc -c)
expect_eq "exec: 5 MB of stdout arrive intact" 5000000 "$n"

# ---- the seed step: the projected token, read from inside the pod ----------------------------
if [ "$FAKE" != 1 ]; then
    tok=""
    for _ in $(seq 1 20); do
        tok=$(kx -- cat /var/run/secrets/tokens/token 2>/dev/null)
        [ -n "$tok" ] && break
        sleep 0.5
    done
    expect_match "seed: projected token is a JWT" '^ey[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' "$tok"
fi

# ---- unknown container: node_exec's message, as kubectl shows it ------------------------------
out=$(kx -c nope -- true 2>&1); rc=$?
expect_ne "exec -c nope: fails" 0 "$rc"
expect_contains "exec -c nope: upstream message" "container nope is not valid for pod sleep" "$out"

# ---- the wire, with a raw WebSocket client ----------------------------------------------------
wire()
{
    "$PY" - "$SERVER_PORT" "$SERVER_DIR/pki" "$@" <<'PYEOF'
import base64, json, os, socket, ssl, struct, sys
port, pki, proto, query = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=pki + "/ca.crt")
ctx.load_cert_chain(pki + "/admin.crt", pki + "/admin.key")
ctx.set_alpn_protocols(["http/1.1"])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(port)), timeout=10), server_hostname="127.0.0.1")
key = base64.b64encode(os.urandom(16)).decode()
s.sendall(("GET /api/v1/namespaces/lab/pods/sleep/exec?%s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
           "Sec-WebSocket-Protocol: %s\r\n\r\n" % (query, key, proto)).encode())
buf = b""
while b"\r\n\r\n" not in buf:
    buf += s.recv(4096)
head, buf = buf.split(b"\r\n\r\n", 1)
lines = head.decode().split("\r\n")
hdrs = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:]}
print("status", lines[0].split(" ")[1])
print("protocol", hdrs.get("sec-websocket-protocol"))
def need(n):
    global buf
    while len(buf) < n:
        d = s.recv(65536)
        if not d: raise EOFError
        buf += d
    out, buf = buf[:n], buf[n:]
    return out
def send(op, payload):
    mask = os.urandom(4)
    n = len(payload)
    hdr = bytes([0x80 | op]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n))
    s.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
if len(sys.argv) > 5:
    send(2, b"\x00" + sys.argv[5].encode())
    if proto.startswith("v5"):
        send(2, b"\xff\x00")
while True:
    b0, b1 = need(2)
    n = b1 & 0x7f
    if n == 126: n = struct.unpack(">H", need(2))[0]
    elif n == 127: n = struct.unpack(">Q", need(8))[0]
    data = need(n)
    op = b0 & 0x0f
    if op == 8:
        print("close", struct.unpack(">H", data[:2])[0] if len(data) >= 2 else "")
        send(8, data[:2])
        break
    if op == 2:
        print("frame", data[0] if data else "none", json.dumps(data[1:].decode(errors="replace")))
PYEOF
}
out=$(wire "v4.channel.k8s.io, v5.channel.k8s.io" "command=sh&command=-c&command=echo%20x%3Bexit%205&stdout=true&stderr=true" 2>&1)
expect_eq "wire: v5 wins when offered; empty frame on 1 first; Status with exit 5; close 1000" \
'status 101
protocol v5.channel.k8s.io
frame 1 ""
frame 1 "x\n"
frame 3 "{\"metadata\":{},\"status\":\"Failure\",\"message\":\"command terminated with non-zero exit code: command terminated with exit code 5\",\"reason\":\"NonZeroExitCode\",\"details\":{\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"5\"}]}}"
close 1000' "$out"

out=$(wire "v4.channel.k8s.io" "command=true&stderr=true" 2>&1)
expect_eq "wire: v4 alone; stderr only → empty frame on 2; Success" \
'status 101
protocol v4.channel.k8s.io
frame 2 ""
frame 3 "{\"metadata\":{},\"status\":\"Success\"}"
close 1000' "$out"

out=$(wire "v5.channel.k8s.io" "command=cat&stdin=true&stdout=true" "from-stdin" 2>&1)
expect_eq "wire: v5 stdin then CLOSE(0) ends cat" \
'status 101
protocol v5.channel.k8s.io
frame 1 ""
frame 1 "from-stdin"
frame 3 "{\"metadata\":{},\"status\":\"Success\"}"
close 1000' "$out"

out=$(wire "channel.k8s.io" "command=true&stdout=true" 2>&1)
expect_eq "wire: unsupported subprotocol refused" "status 400" "$(echo "$out" | head -1)"

# ---- a terminal (kubectl exec -it, under script(1) for a local terminal): runc's console -------
if [ "$FAKE" != 1 ] && command -v script >/dev/null; then
    OUT=$(script -qc "kubectl --kubeconfig $KCFG exec -it sleep -n lab -- sh -c 'tty; exit 3'" /dev/null 2>&1 | tr -d '\r\000')
    # (script(1) turns its EOF on stdin into input the terminal echoes as ^@: look for the line)
    expect_match "exec -it: the process has a terminal" '^/dev/pts/[0-9]+$' "$(printf '%s\n' "$OUT" | sed 's/\^@//g' | grep -m1 pts)"
    expect_contains "exec -it: exit code 3 reported" "command terminated with exit code 3" "$OUT"
    OUT=$(printf 'echo typed-$((6*7))\nexit 0\n' | script -qc "kubectl --kubeconfig $KCFG exec -it sleep -n lab -- sh" /dev/null 2>&1 | tr -d '\r')
    expect_contains "exec -it: typed input runs in the shell" "typed-42" "$OUT"
    # the terminal's size travels on channel 4 (remotecommand's TerminalSize); the process may
    # start before the first resize arrives, so it waits (safety net 20 s) for a non-zero size
    OUT=$(script -qc "stty cols 123 rows 45; kubectl --kubeconfig $KCFG exec -it sleep -n lab -- sh -c 'for i in \$(seq 1 200); do s=\$(stty size 2>/dev/null); [ -n \"\$s\" ] && [ \"\$s\" != \"0 0\" ] && break; sleep 0.1; done; echo size=\$s'" /dev/null 2>&1 | tr -d '\r\000')
    expect_match "exec -it: the client's terminal size reaches the process (resize channel)" '^size=45 123$' "$(printf '%s\n' "$OUT" | sed 's/\^@//g')"
fi

ensure_alive "server alive after the exec checks"
e2e_finish
