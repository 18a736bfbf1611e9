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
  reset-after-headers
             valid headers announcing Content-Length: 100000, 1000 bytes,
             then RST

Prints "listening on A:P mode M" on stdout when ready, and one line
"conn N from A:P" per accepted connection (so a test can tell whether a
request reached this upstream). Stops on SIGTERM/SIGINT.
"""

import argparse
import signal
import socket
import struct
import sys
import threading
import time

MODES = ("garbage", "close", "reset", "hang", "truncate", "close-delimited", "bad-chunk",
         "reset-after-headers")


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


def serve(c, mode, a):
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
