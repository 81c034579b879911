#!/usr/bin/env python3
"""Raw HTTP/1.1-over-TLS client for intake_limits_test.sh: sends exactly the bytes a test
asks for (a head alone, a head and part of a body, a chunked body, many connections) and
reports what came back and when, which curl cannot.

usage: intake_client.py PORT CADIR MODE [args]
  CADIR: the server's pki directory (ca.crt; admin.crt/admin.key when --cert is given)
Modes (each prints lines KEY=VALUE; RESPONSE is the raw response, base64):
  head [--cert] [--token T] [--header-bytes N] [--expect] [--send-body|--hold] [--keepalive]
       METHOD PATH CL
      send only the head (with N bytes of an extra header), then read the answer (the body
      is sent only with --send-body: CL bytes of "x"); STATUS=, BODY=, EOF=1 when the server
      closed after its answer. --hold: print SENT=1 and keep the connection until stdin closes.
      --keepalive: do not wait to see whether the server closes (a kept-alive connection
      would hold the client for the server's 10 s idle timeout); EOF=0 unless it already did
  chunked [--cert] PATH TOTAL   stream TOTAL bytes in 64 KiB chunks, read the answer
  many N CONTENT_LENGTH PREFIX  N connections without credentials, each sending its head and
      PREFIX bytes of the body; OK401= how many got a 401 before the body was sent
  slowlist PATH                 (admin) GET PATH, read the status line, then stop reading
      until stdin closes
  pipelined                     (admin) GET, POST with a body, GET in one write; STATUSES=
  prior                         (admin) the HTTP/2 connection preface over HTTP/1.1; FIRST=
  pipelined-noauth              GET /healthz, then a POST announcing 4 MB (60 KB of it sent)
      in one write, no credentials; STATUSES=, EOF=
"""
import base64
import os
import socket
import ssl
import sys

PORT = int(sys.argv[1])
CADIR = sys.argv[2]
MODE = sys.argv[3]
ARGS = sys.argv[4:]
TIMEOUT = 30  # safety net only


def connect(cert=False):
    ctx = ssl.create_default_context(cafile=os.path.join(CADIR, "ca.crt"))
    ctx.check_hostname = False
    ctx.set_alpn_protocols(["http/1.1"])
    if cert:
        ctx.load_cert_chain(os.path.join(CADIR, "admin.crt"), os.path.join(CADIR, "admin.key"))
    s = socket.create_connection(("127.0.0.1", PORT), timeout=TIMEOUT)
    return ctx.wrap_socket(s)


def send_until_blocked(s, data):
    """Sends data; stops when the server no longer reads it (a 5 s stall: it answered)."""
    s.settimeout(5)
    try:
        s.sendall(data)
    except (ssl.SSLError, OSError):
        pass
    s.settimeout(TIMEOUT)


def read_response(s, keepalive=False):
    """Reads one response (by Content-Length, or to EOF); returns (status, headers, body, eof)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = lines[0].decode(errors="replace") if lines and lines[0] else ""
    headers = {}
    for l in lines[1:]:
        k, _, v = l.partition(b":")
        headers[k.decode().strip().lower()] = v.decode().strip()
    n = int(headers.get("content-length", "-1"))
    eof = False
    while n < 0 or len(body) < n:
        try:
            chunk = s.recv(65536)
        except (ssl.SSLError, OSError):
            chunk = b""
        if not chunk:
            eof = True
            break
        body += chunk
    if not eof and not keepalive:
        try:
            eof = s.recv(1) == b""
        except (ssl.SSLError, OSError):
            eof = True
    return status, headers, body, eof, head + b"\r\n\r\n" + body


def report(status, headers, body, eof, raw):
    print("STATUS=" + status)
    for k in ("content-type", "retry-after", "connection", "audit-id"):
        print("H_%s=%s" % (k.replace("-", "_").upper(), headers.get(k, "")))
    print("BODY=" + body.decode(errors="replace").replace("\n", "\\n"))
    print("EOF=%d" % (1 if eof else 0))
    print("RESPONSE=" + base64.b64encode(raw).decode())


def opt(name, default=None, flag=False):
    if name in ARGS:
        i = ARGS.index(name)
        if flag:
            del ARGS[i]
            return True
        v = ARGS[i + 1]
        del ARGS[i:i + 2]
        return v
    return False if flag else default


if MODE == "head":
    cert = opt("--cert", flag=True)
    token = opt("--token")
    big = int(opt("--header-bytes", "0"))
    expect = opt("--expect", flag=True)
    send_body = opt("--send-body", flag=True)
    hold = opt("--hold", flag=True)
    keepalive = opt("--keepalive", flag=True)
    method, path, cl = ARGS
    s = connect(cert)
    h = "%s %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %s\r\n" % (method, path, cl)
    if os.environ.get("IC_USER_AGENT"):
        h += "User-Agent: %s\r\n" % os.environ["IC_USER_AGENT"]
    if token:
        h += "Authorization: Bearer %s\r\n" % token
    if expect:
        h += "Expect: 100-continue\r\n"
    head = h.encode()
    if big:
        head += b"X-Big: " + b"a" * big + b"\r\n"
    head += b"\r\n"
    send_until_blocked(s, head)
    if hold:  # keep the request waiting for its body until stdin closes
        print("SENT=1")
        sys.stdout.flush()
        sys.stdin.read()
        sys.exit(0)
    if send_body:
        send_until_blocked(s, b"x" * int(cl))
    report(*read_response(s, keepalive))
elif MODE == "chunked":
    cert = opt("--cert", flag=True)
    path, total = ARGS[0], int(ARGS[1])
    s = connect(cert)
    s.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               "Transfer-Encoding: chunked\r\n\r\n" % path).encode())
    piece = b"x" * 65536
    body = (b"%x\r\n" % len(piece) + piece + b"\r\n") * (total // len(piece)) + b"0\r\n\r\n"
    send_until_blocked(s, body)
    report(*read_response(s))
elif MODE == "many":
    n, cl, prefix = int(ARGS[0]), int(ARGS[1]), int(ARGS[2])
    conns, ok = [], 0
    for i in range(n):
        s = connect(False)
        s.sendall(("POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\n"
                   "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % cl).encode())
        if prefix:
            s.sendall(b"{" * prefix)
        conns.append(s)
    for s in conns:
        status = read_response(s)[0]
        ok += status.startswith("HTTP/1.1 401")
    print("OK401=%d" % ok)
    sys.stdout.flush()
    if "--hold" in sys.argv:
        sys.stdin.read()
elif MODE == "slowlist":
    s = connect(True)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % ARGS[0]).encode())
    first = s.recv(16)
    print("FIRST=" + first.decode(errors="replace").split("\r\n")[0])
    sys.stdout.flush()
    sys.stdin.read()  # hold the connection, reading nothing more
elif MODE == "pipelined":
    s = connect(True)
    s.sendall(b"GET /api HTTP/1.1\r\nHost: x\r\n\r\nPOST /api/v1/namespaces/default/configmaps HTTP/1.1\r\n"
              b"Host: x\r\nContent-Type: application/json\r\nContent-Length: 77\r\n\r\n"
              b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"pipelined-cm"}}    '
              b"GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    statuses = []
    for _ in range(3):
        st = read_response(s, keepalive=True)
        statuses.append(st[0].split(" ")[1] if st[0] else "none")
    print("STATUSES=" + ",".join(statuses))
elif MODE == "prior":
    s = connect(True)
    s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
    first = s.recv(64)
    print("FIRST=" + first.decode(errors="replace").split("\r\n")[0])
elif MODE == "pipelined-noauth":
    s = connect(False)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nPOST /api/v1/namespaces/default/configmaps HTTP/1.1\r\n"
              b"Host: x\r\nContent-Type: application/json\r\nContent-Length: 4000000\r\n\r\n" + b"{" * 60000)
    first = read_response(s, keepalive=True)
    second = read_response(s)
    print("STATUSES=%s,%s" % (first[0].split(" ")[1] if first[0] else "none",
                              second[0].split(" ")[1] if second[0] else "none"))
    print("EOF=%d" % (1 if second[3] else 0))
