#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A misbehaving upstream for fanout's 502/504 and response-framing tests.

    rawserver.py --bind 198.18.0.41:8000 --mode garbage

Python stdlib only; one thread per connection. Every mode first reads what
the client sends up to the end of its header block (or 1 s of silence, or
EOF), except `close` and `reset`, which act at once on accept:

  garbage    answers bytes that are not HTTP ("SSH-2.0-garbage\\r\\n" and
             binary noise), then closes
  close      sends FIN as soon as the connection is accepted, nothing else
             (what it receives is read and dropped)
  reset      accepted, then reset (SO_LINGER 0 + close: RST)
  hang       reads the request and never answers (until the client closes
             or --hang-max seconds pass)
  truncate   a valid status line and headers with Content-Length: 1000, then
             100 bytes of body, then FIN
  close-delimited
             "HTTP/1.1 200 OK" with neither Content-Length nor
             Transfer-Encoding; body = --size bytes of fanout's source pattern
             (byte i = (i*7 + i//4096) & 0xff); then FIN
  bad-chunk  a chunked response whose second chunk size is not hex ("zz")
  status     reads the request head and answers --status (default 503) with
             a short body and Connection: close, then closes
  reset-after-headers
             valid headers announcing Content-Length: 100000, 1000 bytes,
             then RST
  strict     a strict HTTP/1.1 origin (keep-alive) that reads each request
             whole, appends it to --log as one JSON line {"head": the
             request head as received, "body": the body as received,
             framing included, "status": its answer} (latin-1 strings), and
             answers 200 "ok", or 400 and closes when the request could be
             read two ways: a field name that is not a token or has a '_',
             more than one Content-Length or Transfer-Encoding field, both,
             a Content-Length that is not plain decimal, a Transfer-Encoding
             other than "chunked", a chunk line that is not bare hex digits
             (no extension, no whitespace), Upgrade or HTTP2-Settings fields.
             A request whose body never completes is not logged.

Prints "listening on A:P mode M" on stdout when ready, and one line
"conn N from A:P" per accepted connection (so a test can tell whether a
request reached this upstream). Stops on SIGTERM/SIGINT.
"""

import argparse
import json
import os
import signal
import socket
import struct
import sys
import threading
import time

MODES = ("garbage", "close", "reset", "hang", "truncate", "close-delimited", "bad-chunk",
         "reset-after-headers", "strict", "status")
TCHAR = set(b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
HEX = set(b"0123456789abcdefABCDEF")
LOG_LOCK = threading.Lock()


def pattern(offset, n):
    return bytes(((i * 7 + i // 4096) & 0xFF) for i in range(offset, offset + n))


def read_request_head(c, limit=65536):
    """Read until the end of the header block, 1 s of silence, EOF or @limit bytes."""
    c.settimeout(1.0)
    buf = b""
    try:
        while b"\r\n\r\n" not in buf and len(buf) < limit:
            b = c.recv(4096)
            if not b:
                break
            buf += b
    except (socket.timeout, OSError):
        pass
    return buf


def drain(c, secs=1.0):
    """Read and drop until EOF or @secs of silence (a close with unread bytes sends RST)."""
    c.settimeout(secs)
    try:
        while c.recv(4096):
            pass
    except (socket.timeout, OSError):
        pass


def reset(c):
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()


class Strict:
    """Buffered reads for the strict origin; EOFError when the peer is gone."""

    def __init__(self, c):
        self.c = c
        self.buf = b""

    def fill(self):
        b = self.c.recv(65536)
        if not b:
            raise EOFError
        self.buf += b

    def until(self, sep, limit=65536):
        while sep not in self.buf:
            if len(self.buf) > limit:
                raise EOFError
            self.fill()
        i = self.buf.index(sep) + len(sep)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def exactly(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


def strict_head_problem(head):
    """Why @head could be read two ways, or None. Also returns (framing, length)."""
    lines = head[:-4].split(b"\r\n")
    cls, tes = [], []
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep or not name or any(ch not in TCHAR for ch in name):
            return "bad field name %r" % name, None
        if b"_" in name:
            return "underscore in field name %r" % name, None
        lname = name.lower()
        if lname == b"content-length":
            cls.append(value.strip())
        elif lname == b"transfer-encoding":
            tes.append(value.strip())
        elif lname in (b"upgrade", b"http2-settings"):
            return "%s field" % name.decode(), None
    if len(cls) > 1 or len(tes) > 1 or (cls and tes):
        return "framing fields CL %r TE %r" % (cls, tes), None
    if tes:
        if tes[0] != b"chunked":
            return "Transfer-Encoding %r" % tes[0], None
        return None, ("chunked", 0)
    if cls:
        if not cls[0].isdigit() or (len(cls[0]) > 1 and cls[0].startswith(b"0")):
            return "Content-Length %r" % cls[0], None
        return None, ("length", int(cls[0]))
    return None, ("none", 0)


def strict_chunked(r):
    """The raw chunked body, or (None, why) for a chunk line that is not bare hex."""
    raw = b""
    while True:
        line = r.until(b"\r\n", 4096)
        raw += line
        size = line[:-2]
        if not size or any(ch not in HEX for ch in size):
            return None, "chunk line %r" % line
        n = int(size, 16)
        if n == 0:
            break
        data = r.exactly(n + 2)
        raw += data
        if data[-2:] != b"\r\n":
            return None, "no CRLF after chunk data"
    while True:  # trailers, then the empty line
        line = r.until(b"\r\n", 32768)
        raw += line
        if line == b"\r\n":
            return raw, None


def strict_log(path, head, body, status, why):
    rec = {"head": head.decode("latin-1"), "body": body.decode("latin-1"), "status": status,
           "why": why}
    with LOG_LOCK:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (json.dumps(rec) + "\n").encode())
        finally:
            os.close(fd)


def serve_strict(c, a):
    r = Strict(c)
    c.settimeout(30)
    try:
        while True:
            head = r.until(b"\r\n\r\n")
            why, framing = strict_head_problem(head)
            body = b""
            if framing and framing[0] == "length":
                body = r.exactly(framing[1])
            elif framing and framing[0] == "chunked":
                body, why = strict_chunked(r)
                if body is None:
                    body = r.buf
            status = 400 if why else 200
            strict_log(a.log, head, body, status, why)
            if why:
                c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 3\r\n"
                          b"Connection: close\r\n\r\nbad")
                break
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    except (EOFError, OSError, socket.timeout):
        pass
    try:
        c.close()
    except OSError:
        pass


def serve(c, mode, a):
    if mode == "strict":
        serve_strict(c, a)
        return
    try:
        if mode == "close":
            # FIN at once; the request is then read and dropped so that the
            # final close does not turn into a reset for unread bytes
            c.shutdown(socket.SHUT_WR)
            drain(c)
            c.close()
            return
        if mode == "reset":
            reset(c)
            return
        read_request_head(c)
        c.settimeout(None)
        if mode == "garbage":
            c.sendall(b"SSH-2.0-garbage\r\n\x00\x01\x02\xff\xfe not http at all\r\n\r\n")
        elif mode == "hang":
            c.settimeout(a.hang_max)
            try:
                while c.recv(4096):
                    pass
            except (socket.timeout, OSError):
                pass
        elif mode == "truncate":
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n"
                      + b"x" * 100)
        elif mode == "close-delimited":
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                      b"Connection: close\r\n\r\n")
            off = 0
            while off < a.size:
                n = min(65536, a.size - off)
                c.sendall(pattern(off, n))
                off += n
        elif mode == "bad-chunk":
            c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"5\r\nhello\r\nzz\r\nworld\r\n0\r\n\r\n")
        elif mode == "status":
            body = b"rawserver status %d\n" % a.status
            c.sendall(b"HTTP/1.1 %d Whatever\r\nContent-Type: text/plain\r\n"
                      b"Content-Length: %d\r\nConnection: close\r\n\r\n" % (a.status, len(body))
                      + body)
        elif mode == "reset-after-headers":
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"y" * 1000)
            time.sleep(0.05)
            reset(c)
            return
        try:
            c.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        drain(c)
        c.close()
    except OSError:
        try:
            c.close()
        except OSError:
            pass


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bind", required=True, help="A.B.C.D:PORT")
    p.add_argument("--mode", required=True, choices=MODES)
    p.add_argument("--size", type=int, default=1 << 20, help="close-delimited body size")
    p.add_argument("--hang-max", type=float, default=300.0, help="hang at most this long")
    p.add_argument("--log", help="strict: the request log (JSON lines)")
    p.add_argument("--status", type=int, default=503, help="status: the status answered")
    a = p.parse_args()
    host, port = a.bind.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, int(port)))
    s.listen(1024)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("listening on %s mode %s" % (a.bind, a.mode), flush=True)
    n = 0
    try:
        while True:
            c, peer = s.accept()
            n += 1
            print("conn %d from %s:%d" % (n, peer[0], peer[1]), flush=True)
            threading.Thread(target=serve, args=(c, a.mode, a), daemon=True).start()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
