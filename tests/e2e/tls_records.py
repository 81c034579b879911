#!/usr/bin/env python3
"""tls_records.py HOST PORT CA CERT KEY PATH: sends one GET over TLS 1.3 (client certificate)
and prints how many TLS records carried the HTTP answer ("records=N bytes=M status=S"). The
TLS layer runs on memory BIOs, so each record read from the socket is fed on its own and the
records that produced answer bytes are counted."""
import socket
import ssl
import sys

host, port, ca, cert, key, path = sys.argv[1], int(sys.argv[2]), *sys.argv[3:7]
ctx = ssl.create_default_context(cafile=ca)
ctx.load_cert_chain(cert, key)
ctx.check_hostname = False
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
tls = ctx.wrap_bio(inc, out, server_side=False)
sock = socket.create_connection((host, port), timeout=20)
raw = b""


def flush():
    data = out.read()
    if data:
        sock.sendall(data)


def next_record():
    """Reads one whole TLS record from the socket; returns it."""
    global raw
    while len(raw) < 5 or len(raw) < 5 + int.from_bytes(raw[3:5], "big"):
        chunk = sock.recv(65536)
        if not chunk:
            raise SystemExit("FAIL - connection closed")
        raw += chunk
    n = 5 + int.from_bytes(raw[3:5], "big")
    rec, raw = raw[:n], raw[n:]
    return rec


while True:
    try:
        tls.do_handshake()
        break
    except ssl.SSLWantReadError:
        flush()
        inc.write(next_record())
flush()
tls.write(("GET %s HTTP/1.1\r\nHost: %s\r\nAccept: application/json\r\n\r\n" % (path, host)).encode())
flush()

answer, records = b"", 0
while True:
    inc.write(next_record())
    got = b""
    while True:
        try:
            got += tls.read(65536)
        except ssl.SSLWantReadError:
            break
    flush()  # TLS 1.3 session tickets need no answer, but keep the BIO empty
    if got:
        records += 1
        answer += got
    head, sep, body = answer.partition(b"\r\n\r\n")
    if sep:
        length = [int(l.split(b":", 1)[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
        if length and len(body) >= length[0]:
            break
status = answer.split(b" ", 2)[1].decode()
print("records=%d bytes=%d status=%s" % (records, len(answer), status))
