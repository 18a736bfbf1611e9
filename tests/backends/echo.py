#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""An echo upstream standing in for many services at once, for the routing
tests (tests/integ/test_route_diff.py, test_route_conformance.py):

    echo.py --listen 198.18.0.101:8000=cart --listen 198.18.0.102:8000=api ...

Python stdlib only; one thread per connection, HTTP/1.1 keep-alive (as
fanout's and nginx's upstream pools use it). Every request gets 200 (or
the status --status SERVICE=CODE gives that service) with a JSON body:

  {"service": the name of the address the request came in on,
   "method": the method, "target": the request-target exactly as received
   (bytes as latin-1), "host": the Host field (or null), "headers":
   [[name, value], ...] as received}

so a test sees which service a proxy chose and the very bytes it forwarded
(no framework between: gunicorn or Django would decode or refuse some of
the odd targets the routing tests send on purpose). Each request field
"X-Echo-Response-Header: NAME: VALUE" adds "NAME: VALUE" to the response
(a backend's own response headers, for response header modifiers). Bodies (Content-Length
or chunked) are read and dropped. A request that cannot be read closes the
connection. Prints "listening" once every socket is bound.
"""

import argparse
import json
import socket
import sys
import threading

MAX_HEAD = 65536


def read_head(f):
    """The request line and header fields, or None at EOF before a request."""
    line = f.readline(MAX_HEAD)
    while line in (b"\r\n", b"\n"):  # RFC 9112 2.2: empty lines before a request
        line = f.readline(MAX_HEAD)
    if not line:
        return None
    parts = line.rstrip(b"\r\n").split(b" ")
    if len(parts) != 3:
        raise ValueError("bad request line %r" % line[:200])
    fields = []
    total = len(line)
    while True:
        h = f.readline(MAX_HEAD)
        total += len(h)
        if not h or total > MAX_HEAD:
            raise ValueError("head cut or too large")
        h = h.rstrip(b"\r\n")
        if not h:
            break
        k, _, v = h.partition(b":")
        fields.append((k.decode("latin-1"), v.strip().decode("latin-1")))
    return parts, fields


def read_body(f, fields):
    te = ",".join(v for k, v in fields if k.lower() == "transfer-encoding").lower()
    if "chunked" in te:
        while True:
            size = int(f.readline(MAX_HEAD).split(b";")[0].strip(), 16)
            if size == 0:
                while f.readline(MAX_HEAD).rstrip(b"\r\n"):
                    pass
                return
            f.read(size + 2)
    cl = [v for k, v in fields if k.lower() == "content-length"]
    if cl:
        f.read(int(cl[0]))


def serve(conn, service, status):
    f = conn.makefile("rb")
    try:
        while True:
            req = read_head(f)
            if req is None:
                return
            (method, target, version), fields = req
            read_body(f, fields)
            hosts = [v for k, v in fields if k.lower() == "host"]
            conn_tokens = ",".join(v for k, v in fields if k.lower() == "connection").lower()
            close = version == b"HTTP/1.0" or "close" in conn_tokens
            doc = {"service": service, "method": method.decode("latin-1"),
                   "target": target.decode("latin-1"), "host": hosts[0] if hosts else None,
                   "headers": fields}
            body = json.dumps(doc).encode()
            extra = "".join("%s\r\n" % v for k, v in fields
                            if k.lower() == "x-echo-response-header" and ":" in v)
            head = ("HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                    "Content-Length: %d\r\n%s%s\r\n"
                    % (status, "OK" if status == 200 else "Status", len(body), extra,
                       "Connection: close\r\n" if close else ""))
            conn.sendall(head.encode() + (b"" if method == b"HEAD" else body))
            if close:
                return
    except (OSError, ValueError):
        return
    finally:
        f.close()
        conn.close()


def accept_loop(ls, service, status):
    while True:
        conn, _ = ls.accept()
        threading.Thread(target=serve, args=(conn, service, status), daemon=True).start()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--listen", action="append", required=True, metavar="IP:PORT=SERVICE")
    ap.add_argument("--status", action="append", default=[], metavar="SERVICE=CODE")
    a = ap.parse_args()
    statuses = {}
    for s in a.status:
        name, _, code = s.partition("=")
        statuses[name] = int(code)
    threads = []
    for spec in a.listen:
        addr, _, service = spec.partition("=")
        ip, _, port = addr.rpartition(":")
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((ip, int(port)))
        ls.listen(1024)
        t = threading.Thread(target=accept_loop, args=(ls, service or addr,
                                                        statuses.get(service, 200)), daemon=True)
        threads.append(t)
    for t in threads:
        t.start()
    print("listening on %d addresses" % len(threads), flush=True)
    for t in threads:
        t.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
