#!/usr/bin/env bash
# End-to-end: `kubectl exec` and `kubectl attach` over SPDY/3.1 (v4.channel.k8s.io, kubelet's
# remotecommand httpstream protocol), which kubectl 1.27–1.29 speak exclusively: stdout,
# stderr, exit codes (the v4 Status on the error stream), piped stdin (the stdin stream's
# FIN), a terminal (-t, under script(1)) with its size on the resize stream, attach -i to a
# container reading its stdin, RBAC (upstream's 403 through the SPDY upgrade), and a raw SPDY
# client checking the protocol negotiation.
#
# Needs the node agent to run pods (root, an OCI runtime, CNI); skips otherwise.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
e2e_require_node
SERVE_FLAGS=""
server_start "$T/data" || exit 1
e2e_import_test_image "$T/data"
kc apply -f "$SEED/manifests.yaml" >/dev/null 2>&1
kc apply -f "$SEED/pod-projected.yaml" >/dev/null 2>&1
kc apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: reader, namespace: lab}
spec:
  containers:
  - name: main
    image: alpine:latest
    stdin: true
    command: ["sh", "-c", "while read l; do echo got $l; done; echo stdin-closed"]
YAML
if ! e2e_pod_phase sleep lab Running 40 >/dev/null; then
    e2e_fail "the seed pod lab/sleep runs" "Running within 40 s" "$(kc get pod sleep -n lab -o jsonpath='{.status.phase}' 2>&1)"
    e2e_finish
fi
e2e_pod_phase reader lab Running 40 >/dev/null

# kubectl 1.27 and 1.29 only have SPDY; 1.28 is the same client, checked for exec only
for v in 27 28 29; do
    kx() { timeout 60 "/usr/lib/google-cloud-sdk/bin/kubectl.1.$v" --kubeconfig "$KCFG" --cache-dir "$T/kcache" "$@"; }
    [ -x "/usr/lib/google-cloud-sdk/bin/kubectl.1.$v" ] || { e2e_fail "kubectl 1.$v installed" yes no; continue; }

    out=$(kx exec -n lab sleep -- echo hello world 2>"$T/err"); rc=$?
    expect_eq "1.$v exec echo: rc" 0 "$rc"
    expect_eq "1.$v exec echo: stdout" "hello world" "$out"
    expect_eq "1.$v exec echo: no stderr" "" "$(cat "$T/err")"

    out=$(kx exec -n lab sleep -- sh -c 'echo to-out; echo to-err >&2' 2>"$T/err")
    expect_eq "1.$v exec: stdout stream" "to-out" "$out"
    expect_eq "1.$v exec: stderr stream" "to-err" "$(cat "$T/err")"

    kx exec -n lab sleep -- sh -c 'echo partial; exit 3' >"$T/out" 2>"$T/err"; rc=$?
    expect_eq "1.$v exec exit 3: kubectl exits 3" 3 "$rc"
    expect_eq "1.$v exec exit 3: output still delivered" "partial" "$(cat "$T/out")"
    expect_contains "1.$v exec exit 3: kubectl's message" "command terminated with exit code 3" "$(cat "$T/err")"

    [ "$v" = 28 ] && continue

    out=$(printf 'one\ntwo\n' | kx exec -i -n lab sleep -- cat 2>"$T/err"); rc=$?
    expect_eq "1.$v exec -i cat: rc" 0 "$rc"
    expect_eq "1.$v exec -i cat: echoes stdin (ended by the stdin stream's FIN)" "one
two" "$out"

    head -c 2000000 /dev/urandom >"$T/big"
    want=$(sha256sum <"$T/big" | cut -d' ' -f1)
    out=$(kx exec -i -n lab sleep -- sha256sum <"$T/big" 2>/dev/null)
    expect_eq "1.$v exec -i: 2 MB of stdin arrive intact" "$want" "${out%% *}"
    n=$(kx exec -n lab sleep -- head -c 3000000 /dev/zero 2>/dev/null | wc -c)
    expect_eq "1.$v exec: 3 MB of stdout arrive intact" 3000000 "$n"

    out=$(kx exec -n lab sleep -c nope -- true 2>&1); rc=$?
    expect_ne "1.$v exec -c nope: fails" 0 "$rc"
    expect_contains "1.$v exec -c nope: upstream message" "container nope is not valid for pod sleep" "$out"

    if command -v script >/dev/null; then
        K="/usr/lib/google-cloud-sdk/bin/kubectl.1.$v --kubeconfig $KCFG --cache-dir $T/kcache"
        OUT=$(script -qc "$K exec -it sleep -n lab -- sh -c 'tty; exit 3'" /dev/null 2>&1 | tr -d '\r\000')
        expect_match "1.$v exec -it: the process has a terminal" '^/dev/pts/[0-9]+$' \
            "$(printf '%s\n' "$OUT" | sed 's/\^@//g' | grep -m1 pts)"
        expect_contains "1.$v exec -it: exit code 3 reported" "command terminated with exit code 3" "$OUT"
        OUT=$(script -qc "stty cols 123 rows 45; $K exec -it sleep -n lab -- sh -c 'for i in \$(seq 1 200); do s=\$(stty size 2>/dev/null); [ -n \"\$s\" ] && [ \"\$s\" != \"0 0\" ] && break; sleep 0.1; done; echo size=\$s'" /dev/null 2>&1 | tr -d '\r\000')
        expect_match "1.$v exec -it: the terminal size reaches the process (resize stream)" '^size=45 123$' \
            "$(printf '%s\n' "$OUT" | sed 's/\^@//g')"
    fi

    # attach -i: input reaches the container's main process, its output comes back
    # a plain command, not kx in a pipeline: $! is then timeout(1), which passes the ^C below
    # on to kubectl (a backgrounded function's subshell would hold it for the 60 s timeout)
    timeout 60 "/usr/lib/google-cloud-sdk/bin/kubectl.1.$v" --kubeconfig "$KCFG" --cache-dir "$T/kcache" \
        attach -i -n lab reader < <(printf "a$v\nb$v\n") >"$T/out" 2>"$T/err" &
    apid=$!
    for _ in $(seq 1 100); do grep -q "got b$v" "$T/out" 2>/dev/null && break; sleep 0.2; done
    expect_contains "1.$v attach -i: stdin reaches the process" "got a$v" "$(cat "$T/out")"
    expect_contains "1.$v attach -i: second line" "got b$v" "$(cat "$T/out")"
    bg_kill INT "$apid"
    expect_eq "1.$v attach: the pod keeps running after the client left" Running \
        "$(kc get pod reader -n lab -o jsonpath='{.status.phase}')"
done

# ---- RBAC: no pods/exec → upstream's 403 through the SPDY upgrade -----------------------------
RUNNER=$(kc create token runner -n lab)
rk() { timeout 60 /usr/lib/google-cloud-sdk/bin/kubectl.1.27 --kubeconfig /dev/null --server "$BASE" \
    --certificate-authority "$SERVER_DIR/pki/ca.crt" --token "$RUNNER" "$@"; }
out=$(rk exec -n lab sleep -- true 2>&1); rc=$?
expect_ne "1.27 runner: exec refused" 0 "$rc"
expect_contains "1.27 runner: upstream's 403" 'pods "sleep" is forbidden: User "system:serviceaccount:lab:runner" cannot create resource "pods/exec" in API group "" in the namespace "lab"' "$out"
out=$(rk attach -n lab reader 2>&1); rc=$?
expect_ne "1.27 runner: attach refused" 0 "$rc"
expect_contains "1.27 runner: upstream's 403 (attach)" 'cannot create resource "pods/attach" in API group "" in the namespace "lab"' "$out"

# ---- the handshake, with a raw client -------------------------------------------------------
hs()
{
    "$PY" - "$SERVER_PORT" "$SERVER_DIR/pki" "$@" <<'PYEOF'
import socket, ssl, sys
port, pki, query = sys.argv[1], sys.argv[2], sys.argv[3]
protos = sys.argv[4:]
ctx = ssl.create_default_context(cafile=pki + "/ca.crt")
ctx.load_cert_chain(pki + "/admin.crt", pki + "/admin.key")
ctx.set_alpn_protocols(["http/1.1"])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(port)), timeout=10), server_hostname="127.0.0.1")
req = "POST /api/v1/namespaces/lab/pods/sleep/exec?%s HTTP/1.1\r\nHost: x\r\nUpgrade: SPDY/3.1\r\nConnection: Upgrade\r\n" % query
for p in protos:
    req += "X-Stream-Protocol-Version: %s\r\n" % p
s.sendall((req + "Content-Length: 0\r\n\r\n").encode())
buf = b""
while b"\r\n\r\n" not in buf:
    d = s.recv(4096)
    if not d: break
    buf += d
head = buf.split(b"\r\n\r\n", 1)[0].decode().split("\r\n")
hdrs = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in head[1:]}
print("status", head[0].split(" ")[1])
print("upgrade", hdrs.get("upgrade"))
print("protocol", hdrs.get("x-stream-protocol-version"))
if not head[0].split(" ")[1] == "101":
    body = buf.split(b"\r\n\r\n", 1)[1]
    try:
        while len(body) < int(hdrs.get("content-length", "0")):
            d = s.recv(4096)
            if not d: break
            body += d
    except socket.timeout:
        pass
    print("body", body.decode(errors="replace"))
PYEOF
}
out=$(hs "command=true&stdout=true" v4.channel.k8s.io v3.channel.k8s.io v2.channel.k8s.io channel.k8s.io 2>&1)
expect_eq "spdy handshake: v4 chosen" 'status 101
upgrade SPDY/3.1
protocol v4.channel.k8s.io' "$out"
out=$(hs "command=true&stdout=true" "v3.channel.k8s.io, v2.channel.k8s.io" 2>&1)
expect_eq "spdy handshake: no v4 offered → 403" "status 403" "$(echo "$out" | head -1)"
expect_contains "spdy handshake: httpstream's message" \
    'unable to upgrade: unable to negotiate protocol: client supports [v3.channel.k8s.io v2.channel.k8s.io], server accepts [v4.channel.k8s.io]' "$out"
out=$(hs "command=true&stdout=true" 2>&1)
expect_eq "spdy handshake: no X-Stream-Protocol-Version → 400" "status 400" "$(echo "$out" | head -1)"
expect_contains "spdy handshake: its message" 'unable to upgrade: X-Stream-Protocol-Version is required' "$out"

# ---- kubectl 1.30+ speak SPDY too when told to (and as their WebSocket fallback) ---------------
out=$(KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false kcv 32 exec -n lab sleep -- sh -c 'echo via-spdy; exit 4' 2>"$T/err"); rc=$?
expect_eq "1.32 over SPDY: output" "via-spdy" "$out"
expect_eq "1.32 over SPDY: exit code" 4 "$rc"
expect_contains "1.32 over SPDY: kubectl's message" "command terminated with exit code 4" "$(cat "$T/err")"

ensure_alive "server alive after the SPDY exec checks"
e2e_finish
