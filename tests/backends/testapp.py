# SPDX-License-Identifier: BSD-3-Clause
"""A WSGI backend for fanout's HTTP integration tests, served by gunicorn:

    gunicorn --chdir tests/backends -b 198.18.0.31:8000 -k gthread --threads 4 testapp:app

(tests/integ/http_tools.py starts it this way, one process per replica.)

Endpoints (GET unless said otherwise; any other path: 404 "no such endpoint"):

  /echo-headers   200, JSON: {"method", "uri" (the request target as
                  received), "path", "query", "protocol", "peer": [address,
                  port] of the connection, "headers": [[name,
                  value], ...] in the order gunicorn read them (names in
                  canonical Title-Case; repeated fields arrive joined with
                  ","), "body_length", "replica"}. Reads the body, if any.
  /upload         any method; reads the whole body (Content-Length or chunked:
                  gunicorn decodes chunked bodies into wsgi.input) and answers
                  JSON {"length", "sha256", "chunked", "replica"}.
  /download?size=N&chunked=0|1
                  N bytes (k/m/g suffixes accepted) of fanout's `source`
                  pattern: byte i = (i*7 + i//4096) & 0xff. chunked=0 (default):
                  with Content-Length; chunked=1: without it, so gunicorn sends
                  Transfer-Encoding: chunked to an HTTP/1.1 client (and closes
                  the connection after the body for HTTP/1.0). Sent in 64 KiB
                  pieces, never whole in memory.
  /sleep?s=N      sleeps N seconds (float), then 200 "slept N".
  /status?code=N  answers status N (200..599) with a short body (none for 204
                  and 304).
  /who            200, the replica's name (text/plain, no newline).
  /               200 "testapp <replica>".

The replica's name comes from the environment variable FO_BACKEND_NAME
(default: the bind address). FO_BACKEND_DELAY (seconds, float) delays every
answer by that much: a slow replica for the latency-aware balancers. When FO_BACKEND_LOG names a file, every request
is appended to it as one JSON line {"replica", "method", "uri", "headers",
"body_length", "sha256"} once its body has been read, so that a test can see
exactly which requests reached a backend (e.g. that a smuggled one never
did). Each line is one write(2) on an O_APPEND descriptor, so the lines of
concurrent workers do not interleave.
"""

import hashlib
import json
import os
import time
from urllib.parse import parse_qs

REPLICA = os.environ.get("FO_BACKEND_NAME", "")
LOG = os.environ.get("FO_BACKEND_LOG", "")
DELAY = float(os.environ.get("FO_BACKEND_DELAY", "0") or 0)
PIECE = 64 << 10


def pattern(offset, n):
    """Bytes [offset, offset + n) of the source pattern (byte i = (i*7 + i//4096) & 0xff)."""
    return bytes(((i * 7 + i // 4096) & 0xFF) for i in range(offset, offset + n))


# Byte i of page k (4096 bytes) is (j*7 + k) & 0xff with j = i mod 4096: a page
# depends only on k & 0xff, so the 256 possible pages are computed once.
_PAGE = 4096
_PAGES = [bytes(((j * 7 + p) & 0xFF) for j in range(_PAGE)) for p in range(256)]


def pattern_fast(offset, n):
    """pattern(offset, n), from the precomputed pages (i*7 mod 256 has period 256, which
    divides 4096, so (i*7) & 0xff == (j*7) & 0xff)."""
    out = bytearray()
    end = offset + n
    i = offset
    while i < end:
        page, off = divmod(i, _PAGE)
        take = min(_PAGE - off, end - i)
        out += _PAGES[page & 0xFF][off:off + take]
        i += take
    return bytes(out)


def parse_size(s):
    s = s.strip().lower()
    mult = 1
    if s and s[-1] in "kmg":
        mult = 1 << {"k": 10, "m": 20, "g": 30}[s[-1]]
        s = s[:-1]
    return int(s) * mult


def headers_of(environ):
    """The request's header fields as [name, value] pairs, in gunicorn's order."""
    out = []
    for k, v in environ.items():
        if k.startswith("HTTP_"):
            name = k[5:]
        elif k in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = k
            if not v:
                continue
        else:
            continue
        out.append(["-".join(w.capitalize() for w in name.split("_")), v])
    return out


def read_body(environ):
    """Read the whole body in pieces; return (length, sha256 hex)."""
    h = hashlib.sha256()
    n = 0
    inp = environ["wsgi.input"]
    while True:
        b = inp.read(PIECE)
        if not b:
            break
        h.update(b)
        n += len(b)
    return n, h.hexdigest()


def log_request(environ, length, digest):
    if not LOG:
        return
    rec = {"replica": REPLICA, "method": environ["REQUEST_METHOD"],
           "uri": environ.get("RAW_URI", environ.get("PATH_INFO", "")),
           "headers": headers_of(environ), "body_length": length, "sha256": digest}
    fd = os.open(LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(rec) + "\n").encode())
    finally:
        os.close(fd)


def reply(start_response, status, body, ctype="text/plain", extra=()):
    if isinstance(body, str):
        body = body.encode()
    start_response(status, [("Content-Type", ctype), ("Content-Length", str(len(body)))] +
                   list(extra))
    return [body]


def download(start_response, size, chunked):
    headers = [("Content-Type", "application/octet-stream")]
    if not chunked:
        headers.append(("Content-Length", str(size)))
    start_response("200 OK", headers)

    def gen():
        off = 0
        while off < size:
            n = min(PIECE, size - off)
            yield pattern_fast(off, n)
            off += n
    return gen()


STATUS_TEXT = {200: "OK", 201: "Created", 204: "No Content",
               301: "Moved Permanently", 302: "Found", 304: "Not Modified",
               400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
               413: "Content Too Large", 418: "I'm a teapot", 429: "Too Many Requests",
               500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
               504: "Gateway Timeout"}


def app(environ, start_response):
    """The WSGI entry point. HEAD gets the headers GET would get and no body (gunicorn
    sends whatever the application returns, even for HEAD)."""
    if DELAY > 0:
        time.sleep(DELAY)
    body = route(environ, start_response)
    if environ["REQUEST_METHOD"] != "HEAD":
        return body
    if hasattr(body, "close"):
        body.close()
    return []


def route(environ, start_response):
    if not REPLICA:
        name = environ.get("SERVER_NAME", "") + ":" + environ.get("SERVER_PORT", "")
    else:
        name = REPLICA
    path = environ.get("PATH_INFO", "")
    q = parse_qs(environ.get("QUERY_STRING", ""))
    length, digest = read_body(environ)
    log_request(environ, length, digest)

    if path == "/echo-headers":
        doc = {"method": environ["REQUEST_METHOD"],
               "uri": environ.get("RAW_URI", path),
               "path": path, "query": environ.get("QUERY_STRING", ""),
               "protocol": environ.get("SERVER_PROTOCOL", ""),
               "headers": headers_of(environ), "body_length": length, "replica": name,
               "peer": [environ.get("REMOTE_ADDR", ""), environ.get("REMOTE_PORT", "")]}
        return reply(start_response, "200 OK", json.dumps(doc), "application/json")
    if path == "/upload":
        te = environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        doc = {"length": length, "sha256": digest, "chunked": "chunked" in te, "replica": name}
        return reply(start_response, "200 OK", json.dumps(doc), "application/json")
    if path == "/download":
        try:
            size = parse_size(q.get("size", ["0"])[0])
            chunked = q.get("chunked", ["0"])[0] == "1"
        except ValueError:
            return reply(start_response, "400 Bad Request", "bad size\n")
        return download(start_response, size, chunked)
    if path == "/sleep":
        try:
            s = float(q.get("s", ["1"])[0])
        except ValueError:
            return reply(start_response, "400 Bad Request", "bad s\n")
        time.sleep(s)
        return reply(start_response, "200 OK", "slept %g" % s)
    if path == "/status":
        try:
            code = int(q.get("code", ["200"])[0])
        except ValueError:
            return reply(start_response, "400 Bad Request", "bad code\n")
        if not 200 <= code <= 599:
            return reply(start_response, "400 Bad Request", "code must be 200..599\n")
        status = "%d %s" % (code, STATUS_TEXT.get(code, "Status"))
        if code in (204, 304):
            start_response(status, [])
            return [b""]
        return reply(start_response, status, "status %d from %s\n" % (code, name))
    if path == "/who":
        return reply(start_response, "200 OK", name)
    if path == "/":
        return reply(start_response, "200 OK", "testapp %s" % name)
    return reply(start_response, "404 Not Found", "no such endpoint\n")
