#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""HTTP proxy: every error status fanout makes, provoked for real, and
request smuggling attempts.

Backends in the namespace:
  198.18.0.31          testapp "app" (request log: what reached it)
  198.18.0.34..36      testapp "trio1..3" (one stopped, then all)
  198.18.0.40          an address of the namespace where nothing listens
  198.18.0.41..46      rawserver: garbage, reset, close, hang, truncate, bad-chunk
  198.18.0.45 is also where an nft rule drops SYNs to port 8001 (connect timeout)
  198.18.0.99          nobody: ARP requests for it go unanswered

Checked:
 1. 400 for malformed heads (bad request line, bad method/target/version,
    bad header name, space before the colon, NUL, bare CR, obs-fold,
    missing/duplicate Host, bad Content-Length), 505 for HTTP/2.0, 405 for
    CONNECT, 417 for an unknown Expect; each answer closes the connection;
    the matching proxy.parse_err counters;
 2. smuggling: CL+TE (both orders), differing duplicate Content-Length, a
    CL list, TE "chunked, identity" (400: chunked not last), chunked twice
    (two fields or "chunked, chunked": 400), "gzip, chunked" and
    "xchunked" (501, per fo_http.h), TE
    in HTTP/1.0, "Transfer-Encoding :", bad chunk size, bare-LF chunk line,
    chunk data without CRLF, oversized chunk size: the status fo_http.h
    names, the connection closed, and the smuggled "GET /app/smuggled-N"
    never reaches a backend (testapp's request log);
 3. 404 for an unmatched path; the connection stays usable (a second
    request on it, and a pipelined 404 + 200);
 4. 414 (request line over 8 KiB; 8 KiB exactly is parsed: 404), 431
    (header section over 32 KiB; 32 KiB exactly is parsed; 101 fields);
 5. 503 for a service without endpoint (an upstream with no server); the
    connection stays usable;
 6. 502: connection refused (nothing listens), garbage answer, reset on
    accept, close before any response; the connection stays usable after a
    502; a truncated or badly chunked response body: the client connection
    is aborted (never a complete-looking response);
 7. 504: read_timeout 2s against a server that never answers; connect
    timeout 1s against an address that drops SYNs and against one that
    never answers ARP (both are connect timeouts in fanout: its ARP gives
    up only after ~6 s, after connect_timeout);
 8. 408: half a head then silence (client_header_timeout 2s), a head
    dribbled one byte every 300 ms (slowloris), a body that stops coming
    (client_body_timeout 2s); a keep-alive connection idle for
    keepalive_timeout (3s) and a connection that never sends anything are
    closed without a response;
 9. one of three servers stopped: every request still succeeds
    (connect-refused retry on the next server), proxy.upstream_retries > 0;
    all three stopped: 502;
10. error bodies are short text/plain saying what happened; proxy.gen_NNN
    at exit equal exactly the number of errors provoked; fanout exits 0;
11. framing and header strictness (RFC 9112/9110) against a strict origin
    that logs every request it reads and refuses anything two servers
    could read differently (rawserver.py strict): chunk extensions and
    sizes (400/413, nothing of the request or a smuggled one logged),
    chunked bodies re-framed canonically, trailers dropped; identical
    duplicate and zero-padded Content-Length forwarded once in canonical
    decimal; '_' fields dropped (Transfer_Encoding); Upgrade: h2c stripped
    and served as plain HTTP/1.1; absolute-form: routed on its authority
    and forwarded as Host.
"""

import json
import os
import socket
import time

import fo_integ as fi
import http_tools as ht

PORT = 80
APP_IP = "198.18.0.31"
TRIO_IPS = ["198.18.0.34", "198.18.0.35", "198.18.0.36"]
REFUSED_IP = "198.18.0.40"
RAW = {"garbage": "198.18.0.41", "reset": "198.18.0.42", "close": "198.18.0.43",
       "hang": "198.18.0.44", "truncate": "198.18.0.46", "bad-chunk": "198.18.0.47"}
STRICT_IP = "198.18.0.48"  # rawserver strict: logs every request it reads
BLACKHOLE_IP = "198.18.0.45"
BLACKHOLE_PORT = 8001
NOARP_IP = "198.18.0.99"

CONF = """# written by tests/integ/test_http_errors.py
interface net_tap0 {
    address 198.18.0.1/24;
}
listen 198.18.0.1:80;

http {
    client_header_timeout 2s;
    client_body_timeout 2s;
    keepalive_timeout 3s;
}

upstream app {
    server 198.18.0.31:8000;
}
upstream trio {
    server 198.18.0.34:8000;
    server 198.18.0.35:8000;
    server 198.18.0.36:8000;
}
upstream refused {
    server %(refused)s:8000;
}
upstream garbage {
    server %(garbage)s:8000;
}
upstream reset {
    server %(reset)s:8000;
}
upstream closer {
    server %(close)s:8000;
}
upstream hang {
    server %(hang)s:8000;
    read_timeout 2s;
}
upstream truncate {
    server %(truncate)s:8000;
}
upstream badchunk {
    server %(bad-chunk)s:8000;
}
upstream blackhole {
    server %(blackhole)s:%(blackhole_port)d;
    connect_timeout 1s;
}
upstream noarp {
    server %(noarp)s:8000;
    connect_timeout 1s;
}

route regex "/app(/|$)(.*)" {
    upstream app;
    rewrite "/$2";
}
route regex "/trio(/|$)(.*)" {
    upstream trio;
    rewrite "/$2";
}
upstream empty { }
route prefix /empty { upstream empty; }
route prefix /refused { upstream refused; }
route prefix /garbage { upstream garbage; }
route prefix /reset { upstream reset; }
route prefix /closer { upstream closer; }
route prefix /hang { upstream hang; }
route prefix /truncate { upstream truncate; }
route prefix /badchunk { upstream badchunk; }
route prefix /blackhole { upstream blackhole; }
route prefix /noarp { upstream noarp; }
upstream strict {
    server %(strict)s:8000;
}
route prefix /strict {
    host strict.test;
    upstream strict;
    client_max_body_size 1k;
}
""" % dict(RAW, refused=REFUSED_IP, blackhole=BLACKHOLE_IP, blackhole_port=BLACKHOLE_PORT,
           noarp=NOARP_IP, strict=STRICT_IP)


class Tally:
    """Errors provoked: statuses fanout made and parse errors it should count."""

    def __init__(self):
        self.gen = {}
        self.parse = {}
        self.parse_total = 0

    def add(self, status, parse_err=None, parse=False):
        """@parse_err: the parse error fo_http.h names for it; @parse: a parse error whose
        name is not pinned (several fit, e.g. "GET  /x" is a bad target or a bad line)."""
        self.gen[status] = self.gen.get(status, 0) + 1
        if parse_err:
            self.parse[parse_err] = self.parse.get(parse_err, 0) + 1
        if parse_err or parse:
            self.parse_total += 1


def pstats(fo):
    return fo.stats()["proxy"]


def conn(ns, timeout=10.0):
    return ht.HttpConn(ns, fi.FANOUT_IP, PORT, timeout=timeout)


def check_error_response(r, status, what, words=(), close=None):
    """@r is fanout's own error response @status: short text/plain naming the status."""
    fi.check_eq(r.status, status, "%s: status (body %r)" % (what, r.body[:200]))
    ctype = r.header("Content-Type") or ""
    fi.check(ctype.startswith("text/plain"), "%s: Content-Type %r" % (what, ctype))
    fi.check(0 < len(r.body) < 512 and r.body.startswith(b"%d " % status),
             "%s: body %r is a short text starting with the status" % (what, r.body))
    fi.check_eq(r.header("Content-Length"), str(len(r.body)), "%s: Content-Length" % what)
    for w in words:
        wb = w.encode() if isinstance(w, str) else w
        fi.check(wb.lower() in r.body.lower(), "%s: body %r says %r" % (what, r.body, w))
    if close is not None:
        fi.check_eq(r.header("Connection") == "close", close,
                    "%s: Connection: close present (headers %r)" % (what, r.headers))


def expect_close(c, what, timeout=6.0):
    fi.check(c.closed_by_peer(timeout), "%s: fanout closes the connection" % what)


def send_expect(ns, data, status, what, tally, parse_err=None, words=(), gen=True,
                parse=True):
    """Send @data on a fresh connection, expect fanout's @status and a close; a parse error
    (@parse_err if named) unless @parse is False."""
    with conn(ns) as c:
        c.send(data)
        r = c.read_response()
        check_error_response(r, status, what, words, close=True)
        expect_close(c, what)
    if gen:
        tally.add(status, parse_err, parse)
    return r


# ---------------------------------------------------------------------------


def malformed(ns, tally):
    h = b"Host: example.com\r\n"
    cases = [
        ("no version", b"GET /app/who\r\n" + h + b"\r\n", 400, None),
        ("garbage line", b"HELLO\r\n\r\n", 400, None),
        ("two spaces", b"GET  /app/who HTTP/1.1\r\n" + h + b"\r\n", 400, None),
        ("bad method char", b"G(T /app/who HTTP/1.1\r\n" + h + b"\r\n", 400, "bad_method"),
        ("target not origin-form", b"GET app/who HTTP/1.1\r\n" + h + b"\r\n", 400,
         "bad_target"),
        ("space in target", b"GET /app/w ho HTTP/1.1\r\n" + h + b"\r\n", 400, None),
        ("bad version", b"GET /app/who HTTX/1.1\r\n" + h + b"\r\n", 400, "bad_version"),
        ("HTTP/2.0", b"GET /app/who HTTP/2.0\r\n" + h + b"\r\n", 505, "version_not_supported"),
        ("space in header name", b"GET /app/who HTTP/1.1\r\n" + h + b"Bad Name: x\r\n\r\n",
         400, "bad_header_name"),
        ("space before colon", b"GET /app/who HTTP/1.1\r\n" + h + b"X-A : x\r\n\r\n", 400,
         "bad_header_name"),
        ("no colon", b"GET /app/who HTTP/1.1\r\n" + h + b"NoColonHere\r\n\r\n", 400,
         "bad_header_name"),
        ("NUL in value", b"GET /app/who HTTP/1.1\r\n" + h + b"X-A: a\x00b\r\n\r\n", 400,
         "bad_header_value"),
        ("bare CR in value", b"GET /app/who HTTP/1.1\r\n" + h + b"X-A: a\rb\r\n\r\n", 400, None),
        ("obs-fold", b"GET /app/who HTTP/1.1\r\n" + h + b"X-A: a\r\n  folded\r\n\r\n", 400,
         "obs_fold"),
        ("missing Host", b"GET /app/who HTTP/1.1\r\nX-A: a\r\n\r\n", 400, "missing_host"),
        ("two Hosts", b"GET /app/who HTTP/1.1\r\n" + h + b"Host: other\r\n\r\n", 400,
         "dup_host"),
        ("bad Content-Length", b"POST /app/upload HTTP/1.1\r\n" + h +
         b"Content-Length: 0x10\r\n\r\n", 400, "bad_content_length"),
        ("signed Content-Length", b"POST /app/upload HTTP/1.1\r\n" + h +
         b"Content-Length: +5\r\n\r\nhello", 400, "bad_content_length"),
        ("CONNECT", b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 405,
         "connect_method"),
    ]
    for what, data, status, perr in cases:
        r = send_expect(ns, data, status, what, tally, perr)
        fi.log("%-24s -> %d %r" % (what, r.status, r.body.strip()))
    # 417: a well-formed request with an unknown expectation; answered after the head,
    # so the connection is closed (the body could follow)
    send_expect(ns, b"POST /app/upload HTTP/1.1\r\n" + h + b"Expect: 200-ok\r\n"
                b"Content-Length: 5\r\n\r\n", 417, "Expect: 200-ok", tally, parse=False)


def smuggled_paths(backends):
    return [p for b in backends for p in b.request_paths() if "smuggled" in p]


def smuggling(ns, tally, all_testapps):
    h = b"Host: example.com\r\n"

    def smug(n):
        return b"GET /app/smuggled-%d HTTP/1.1\r\nHost: example.com\r\n\r\n" % n

    cases = [
        ("CL then TE", b"POST /app/upload HTTP/1.1\r\n" + h + b"Content-Length: 5\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smug(1), 400, "cl_and_te"),
        ("TE then CL", b"POST /app/upload HTTP/1.1\r\n" + h + b"Transfer-Encoding: chunked\r\n"
         b"Content-Length: 50\r\n\r\n0\r\n\r\n" + smug(2), 400, "cl_and_te"),
        ("differing CLs", b"POST /app/upload HTTP/1.1\r\n" + h + b"Content-Length: 5\r\n"
         b"Content-Length: 55\r\n\r\nhello" + smug(3), 400, "dup_content_length"),
        ("CL list", b"POST /app/upload HTTP/1.1\r\n" + h + b"Content-Length: 5, 55\r\n\r\n"
         b"hello" + smug(4), 400, None),
        ("TE chunked, identity", b"POST /app/upload HTTP/1.1\r\n" + h +
         b"Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n" + smug(5), 400,
         "te_chunked_not_last"),
        ("TE chunked twice", b"POST /app/upload HTTP/1.1\r\n" + h +
         b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
         smug(15), 400, "te_chunked_twice"),
        ("TE chunked, chunked", b"POST /app/upload HTTP/1.1\r\n" + h +
         b"Transfer-Encoding: chunked, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" +
         smug(16), 400, "te_chunked_twice"),
        ("TE gzip, chunked", b"POST /app/upload HTTP/1.1\r\n" + h +
         b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" + smug(17), 501,
         "te_not_chunked"),
        ("TE xchunked", b"POST /app/upload HTTP/1.1\r\n" + h + b"Transfer-Encoding: xchunked\r\n"
         b"\r\n0\r\n\r\n" + smug(6), 501, "te_not_chunked"),
        ("TE in HTTP/1.0", b"POST /app/upload HTTP/1.0\r\n" + h +
         b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smug(7), 400, "te_http10"),
        ("TE space before colon", b"POST /app/upload HTTP/1.1\r\n" + h +
         b"Transfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n" + smug(8), 400,
         "bad_header_name"),
        ("TE obs-fold", b"POST /app/upload HTTP/1.1\r\n" + h + b"Transfer-Encoding:\r\n"
         b" chunked\r\n\r\n0\r\n\r\n" + smug(9), 400, "obs_fold"),
        ("bad chunk size", b"POST /app/upload HTTP/1.1\r\n" + h +
         b"Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n" + smug(10), 400,
         "bad_chunk"),
        ("bare LF chunk line", b"POST /app/upload HTTP/1.1\r\n" + h +
         b"Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n" + smug(11), 400,
         "bad_chunk"),
        ("chunk without CRLF", b"POST /app/upload HTTP/1.1\r\n" + h +
         b"Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n" + smug(12), 400,
         "bad_chunk"),
        ("bare LF after last chunk", b"POST /app/upload HTTP/1.1\r\n" + h +
         b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\n\n" + smug(13), 400,
         "bad_chunk"),
        ("huge chunk size", b"POST /app/upload HTTP/1.1\r\n" + h +
         b"Transfer-Encoding: chunked\r\n\r\nfffffffffffffffff1\r\nhello\r\n0\r\n\r\n" +
         smug(14), 400, "chunk_too_large"),
    ]
    for what, data, status, perr in cases:
        r = send_expect(ns, data, status, "smuggling: " + what, tally, perr)
        fi.log("%-28s -> %d %r" % (what, r.status, r.body.strip()))
    # a CL body that looks like a request is the body, not a request: control case showing
    # that the log would show a smuggled request if one got through
    with conn(ns) as c:
        c.send(b"POST /app/upload HTTP/1.1\r\n" + h + b"Content-Length: %d\r\n\r\n"
               % len(smug(99)) + smug(99) + b"GET /app/control-after-body HTTP/1.1\r\n" + h + b"\r\n")
        r1 = c.read_response()
        r2 = c.read_response()
    fi.check_eq((r1.status, r2.status), (200, 404), "body then a pipelined request")
    time.sleep(0.5)
    app_paths = [p for b in all_testapps for p in b.request_paths()]
    fi.check("/control-after-body" in app_paths,
             "the request log records what reaches the backend: %s" % app_paths)
    fi.check_eq(smuggled_paths(all_testapps), [], "smuggled requests that reached a backend")


def not_found(ns, tally):
    with conn(ns) as c:
        c.send(ht.request("GET", "/nowhere/x?y=1"))
        r = c.read_response()
        check_error_response(r, 404, "unmatched path", words=("route",), close=False)
        fi.check(r.keep_alive(), "404 keeps the connection")
        c.send(ht.request("GET", "/app/who"))
        r = c.read_response()
        fi.check_eq((r.status, r.body), (200, b"app"), "request after a 404 on the connection")
        c.send(ht.request("HEAD", "/nowhere"))
        r = c.read_response(method="HEAD")
        fi.check_eq((r.status, r.body), (404, b""), "404 to HEAD: no body")
        fi.check(int(r.header("Content-Length", "0")) > 0, "404 to HEAD: Content-Length kept")
    tally.add(404)
    tally.add(404)
    rs = ht.pipeline(ns, fi.FANOUT_IP, PORT, [ht.request("GET", "/nowhere/1"),
                                              ht.request("GET", "/app/who"),
                                              ht.request("GET", "/nowhere/2"),
                                              ht.request("GET", "/app/who", close=True)])
    fi.check_eq([r.status for r in rs], [404, 200, 404, 200], "pipelined 404s and 200s")
    tally.add(404)
    tally.add(404)


def no_endpoint(ns, tally):
    with conn(ns) as c:
        c.send(ht.request("GET", "/empty/x"))
        r = c.read_response()
        check_error_response(r, 503, "service without endpoint", words=("server",),
                             close=False)
        c.send(ht.request("GET", "/app/who"))
        r = c.read_response()
        fi.check_eq((r.status, r.body), (200, b"app"), "request after a 503 on the connection")
    tally.add(503)


def limits(ns, tally):
    # request line: 8192 bytes CRLF included is the limit
    def line(n):
        pre, post = b"GET /nolimit/", b" HTTP/1.1\r\n"
        return pre + b"a" * (n - len(pre) - len(post)) + post

    with conn(ns) as c:
        c.send(line(8192) + b"Host: x\r\n\r\n")
        r = c.read_response()
        check_error_response(r, 404, "8192-byte request line (parsed, no route)")
    tally.add(404)
    send_expect(ns, line(8193) + b"Host: x\r\n\r\n", 414, "8193-byte request line", tally,
                "line_too_long")
    send_expect(ns, line(20000), 414, "20000-byte request line, no end", tally, "line_too_long")

    # header section: 32768 bytes after the request line, final CRLF included
    def headers(total):
        out = b"Host: x\r\n"
        i = 0
        while len(out) + 2 < total:
            room = total - 2 - len(out)
            name = b"X-F%02d: " % i
            take = min(4000, room - len(name) - 2)
            if take < 1:
                raise AssertionError("bad filler")
            out += name + b"v" * take + b"\r\n"
            i += 1
        return out + b"\r\n"

    for total in (32768, 32769):
        hs = headers(total)
        fi.check_eq(len(hs), total, "header section size built")
        with conn(ns) as c:
            c.send(b"GET /nolimit HTTP/1.1\r\n" + hs)
            r = c.read_response()
        want = 404 if total == 32768 else 431
        check_error_response(r, want, "header section of %d bytes" % total)
        tally.add(want, "headers_too_large" if want == 431 else None)
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(100))
    with conn(ns) as c:
        c.send(b"GET /nolimit HTTP/1.1\r\nHost: x\r\n" + many[:-len(b"X-H99: v\r\n")] + b"\r\n")
        check_error_response(c.read_response(), 404, "100 header fields (parsed, no route)")
    tally.add(404)
    send_expect(ns, b"GET /nolimit HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n", 431,
                "101 header fields", tally, "too_many_headers")


def upstream_502(ns, tally):
    for path, words in (("/refused/x", ("refused", REFUSED_IP)),
                        ("/garbage/x", ("invalid",)),
                        ("/reset/x", ("reset",)),
                        ("/closer/x", ("closed",))):
        with conn(ns) as c:
            c.send(ht.request("GET", path))
            r = c.read_response()
            check_error_response(r, 502, path, words=words, close=False)
            fi.log("%-12s -> %d %r" % (path, r.status, r.body.strip()))
            # the request was complete: the client connection goes on
            c.send(ht.request("GET", "/app/who"))
            fi.check_eq(c.read_response().status, 200, "request after a 502 (%s)" % path)
        tally.add(502)
    # the response has begun: the client must see the cut (never a complete response)
    for path in ("/truncate/x", "/badchunk/x"):
        with conn(ns) as c:
            c.send(ht.request("GET", path))
            try:
                r = c.read_response()
                raise fi.Failure("%s: got a complete response %r %r" % (path, r, r.body[:100]))
            except (ht.HttpError, ConnectionResetError) as e:
                fi.log("%-12s -> cut: %s" % (path, e))


def upstream_504(ns, tally):
    for path, lo, hi, words in (("/hang/x", 1.8, 4.0, ("read_timeout",)),
                                ("/blackhole/x", 0.8, 3.0, ("connect_timeout",)),
                                ("/noarp/x", 0.8, 3.0, ("connect_timeout",))):
        with conn(ns) as c:
            t0 = time.monotonic()
            c.send(ht.request("GET", path))
            r = c.read_response()
            dt = time.monotonic() - t0
            check_error_response(r, 504, path, words=words, close=False)
            fi.log("%-12s -> %d after %.2f s: %r" % (path, r.status, dt, r.body.strip()))
            fi.check(lo <= dt <= hi, "%s: 504 after %.2f s, want %.1f..%.1f" % (path, dt, lo, hi))
            c.send(ht.request("GET", "/app/who"))
            fi.check_eq(c.read_response().status, 200, "request after a 504 (%s)" % path)
        tally.add(504)


def timeouts_408(ns, tally):
    # half a head, then silence
    with conn(ns) as c:
        t0 = time.monotonic()
        c.send(b"GET /app/who HTTP/1.1\r\nHost: exa")
        r = c.read_response()
        dt = time.monotonic() - t0
        check_error_response(r, 408, "half a head", close=True)
        fi.check(1.8 <= dt <= 4.0, "408 after %.2f s (client_header_timeout 2s)" % dt)
        expect_close(c, "408")
    tally.add(408)
    # slowloris: a byte every 300 ms never completes the head in time
    with conn(ns) as c:
        t0 = time.monotonic()
        data = b"GET /app/who HTTP/1.1\r\nHost: example.com\r\nX-Slow: " + b"z" * 100
        got = None
        c.s.settimeout(0.3)
        for b in data:
            try:
                c.s.send(bytes([b]))
            except OSError:
                break
            try:
                chunk = c.s.recv(65536)
                got = chunk
                break
            except socket.timeout:
                pass
        dt = time.monotonic() - t0
        fi.check(got is not None, "no answer while dribbling a head for %.1f s" % dt)
        fi.check(got.startswith(b"HTTP/1.1 408 "), "slowloris answer: %r" % got[:100])
        fi.check(dt <= 4.0, "slowloris cut after %.2f s" % dt)
    tally.add(408)
    # a body that stops coming: 408 after client_body_timeout
    with conn(ns) as c:
        t0 = time.monotonic()
        c.send(b"POST /app/upload?stalled HTTP/1.1\r\nHost: example.com\r\n"
               b"Content-Length: 100\r\n\r\n0123456789")
        r = c.read_response()
        dt = time.monotonic() - t0
        check_error_response(r, 408, "stalled body", close=True)
        fi.check(1.8 <= dt <= 4.0, "408 after %.2f s (client_body_timeout 2s)" % dt)
        expect_close(c, "408 for a stalled body")
    tally.add(408)
    # idle keep-alive connection: closed silently after keepalive_timeout (3s)
    with conn(ns) as c:
        c.send(ht.request("GET", "/app/who"))
        fi.check_eq(c.read_response().status, 200, "request before idling")
        t0 = time.monotonic()
        c.s.settimeout(8)
        data = c.s.recv(100)
        dt = time.monotonic() - t0
        fi.check_eq(data, b"", "an idle keep-alive connection gets no response")
        fi.check(2.8 <= dt <= 5.0, "idle connection closed after %.2f s (keepalive_timeout 3s)"
                 % dt)
    # nothing at all: closed without a response
    with conn(ns) as c:
        t0 = time.monotonic()
        c.s.settimeout(6)
        data = c.s.recv(100)
        dt = time.monotonic() - t0
        fi.check_eq(data, b"", "a silent connection gets no response")
        fi.check(1.8 <= dt <= 4.0, "silent connection closed after %.2f s" % dt)


def trio_failover(ns, fo, trio, tally):
    before = pstats(fo)
    names = [ht.get(ns, fi.FANOUT_IP, PORT, "/trio/who").body.decode() for _ in range(6)]
    fi.check_eq(sorted(set(names)), ["trio1", "trio2", "trio3"], "all three replicas serve")
    trio[1].stop()
    fi.wait_for(lambda: not ht.tcp_ready(ns, TRIO_IPS[1], ht.BACKEND_PORT), 10, "trio2 down")
    mid = pstats(fo)
    names = []
    for i in range(9):
        r = ht.get(ns, fi.FANOUT_IP, PORT, "/trio/who")
        fi.check_eq(r.status, 200, "request %d with one of three servers down (%r)" % (i, r.body))
        names.append(r.body.decode())
    # and on one keep-alive connection
    with conn(ns) as c:
        for i in range(6):
            c.send(ht.request("GET", "/trio/who"))
            r = c.read_response()
            fi.check_eq(r.status, 200, "keep-alive request %d with a server down" % i)
            names.append(r.body.decode())
    after = pstats(fo)
    d = {k: after[k] - mid[k] for k in ("upstream_retries", "upstream_connect_failed",
                                        "gen_502")}
    fi.log("one server down: replicas %s, deltas %s" % (names, d))
    fi.check_eq(sorted(set(names)), ["trio1", "trio3"], "replicas that answered")
    fi.check_ge(d["upstream_retries"], 1, "proxy.upstream_retries with a server down")
    fi.check_ge(d["upstream_connect_failed"], 1, "proxy.upstream_connect_failed")
    fi.check_eq(d["gen_502"], 0, "502s while two servers are up")

    trio[0].stop()
    trio[2].stop()
    for ip in (TRIO_IPS[0], TRIO_IPS[2]):
        fi.wait_for(lambda: not ht.tcp_ready(ns, ip, ht.BACKEND_PORT), 10, "%s down" % ip)
    for i in range(3):
        r = ht.get(ns, fi.FANOUT_IP, PORT, "/trio/who")
        check_error_response(r, 502, "all servers down (%d)" % i, words=("refused",))
        tally.add(502)
    fi.log("all down: %r" % r.body)
    del before


def strict_log(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def dechunk(raw):
    """Data of a canonical chunked body (bare hex size lines); raises on anything else."""
    data, i = b"", 0
    while True:
        j = raw.index(b"\r\n", i)
        size = raw[i:j]
        if not size or any(c not in b"0123456789abcdef" for c in size):
            raise fi.Failure("chunk line %r is not canonical" % size)
        n = int(size, 16)
        if n == 0:
            return data, raw[j + 2:]
        data += raw[j + 2:j + 2 + n]
        if raw[j + 2 + n:j + 4 + n] != b"\r\n":
            raise fi.Failure("no CRLF after chunk data in %r" % raw)
        i = j + 4 + n


def strictness(ns, fo, tally, log_path):
    sh = b"Host: strict.test\r\n"
    before = pstats(fo)

    def post(path, extra, body):
        return b"POST /strict/%s HTTP/1.1\r\n" % path + sh + extra + b"\r\n" + body

    def smug(n):
        return b"GET /strict/smuggled-%d HTTP/1.1\r\nHost: strict.test\r\n\r\n" % n

    te = b"Transfer-Encoding: chunked\r\n"
    # bad chunk lines: 400 (413 over client_max_body_size 1k), the connection closed, and
    # neither the request nor what follows it reaches the origin
    bad = [
        ("unterminated quoted extension", post(b"bad-1", te, b'1;a="\r\nx\r\n0\r\n\r\n' + smug(1)
                                                + b'"\r\n'), 400, "bad_chunk"),
        ("empty extension name", post(b"bad-2", te, b"5;\r\nhello\r\n0\r\n\r\n" + smug(2)), 400,
         "bad_chunk"),
        ("non-token extension", post(b"bad-3", te, b"5;bad[=x\r\nhello\r\n0\r\n\r\n" + smug(3)),
         400, "bad_chunk"),
        ("size then space", post(b"bad-4", te, b"5 \r\nhello\r\n0\r\n\r\n" + smug(4)), 400,
         "bad_chunk"),
        ("size over 63 bits", post(b"bad-5", te, b"ffffffffffffffff\r\nhello\r\n0\r\n\r\n" +
                                   smug(5)), 400, "chunk_too_large"),
        ("chunk over client_max_body_size", post(b"bad-6", te, b"800\r\n" + b"x" * 100), 413,
         None),
    ]
    for what, data, status, perr in bad:
        r = send_expect(ns, data, status, "strict: " + what, tally, perr, parse=perr is not None)
        fi.log("%-32s -> %d %r" % (what, r.status, r.body.strip()))
    # well-formed requests: each reaches the origin in one unambiguous form
    good = [
        ("extensions", post(b"ext", te, b'5 ; a = b ;c="q;\\"x"\r\nhello\r\n6;z\r\n world\r\n'
                                       b"0;end\r\nX-Trailer: 1\r\n\r\n")),
        ("zero-padded Content-Length", post(b"cl010", b"Content-Length: 010\r\n", b"0123456789")),
        ("identical Content-Lengths", post(b"cl2", b"Content-Length: 5\r\nContent-Length: 5\r\n",
                                           b"hello")),
        ("Transfer_Encoding", post(b"under", b"Content-Length: 5\r\nTransfer_Encoding: chunked\r\n",
                                   b"hello")),
        ("h2c upgrade", b"GET /strict/h2c HTTP/1.1\r\n" + sh + b"Connection: Upgrade, HTTP2-Settings"
                        b"\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n"),
        ("absolute-form", b"GET http://strict.test/strict/abs HTTP/1.1\r\nHost: other.invalid\r\n\r\n"),
    ]
    with conn(ns) as c:
        for what, data in good:
            c.send(data)
            r = c.read_response()
            fi.check_eq((r.status, r.body), (200, b"ok"), "strict: %s served" % what)
            if what == "h2c upgrade":
                fi.check(r.header("Upgrade") is None, "no Upgrade in the answer to h2c")
        # Host other.invalid does not route to /strict: the absolute-form authority did
        c.send(b"GET /strict/abs HTTP/1.1\r\nHost: other.invalid\r\n\r\n")
        r = c.read_response()
        check_error_response(r, 404, "origin-form with the other host", close=False)
    tally.add(404)
    time.sleep(0.3)
    log = strict_log(log_path)
    by_path = {}
    for rec in log:
        by_path[rec["head"].split(" ")[1]] = rec
        fi.check_eq(rec["status"], 200, "strict origin's verdict on %r (%s)" %
                    (rec["head"].split("\r\n")[0], rec["why"]))
    fi.log("strict origin read: %s" % sorted(by_path))
    for n in range(1, 7):
        fi.check("/strict/bad-%d" % n not in by_path, "a refused request reached the origin")
    fi.check_eq([p for p in by_path if "smuggled" in p], [], "smuggled requests at the origin")
    for path in ("/strict/ext", "/strict/cl010", "/strict/cl2", "/strict/under", "/strict/h2c",
                 "/strict/abs"):
        fi.check(path in by_path, "%s reached the origin" % path)
    ext = by_path["/strict/ext"]
    data, rest = dechunk(ext["body"].encode("latin-1"))
    fi.check_eq((data, rest), (b"hello world", b"\r\n"), "re-framed body, trailers dropped")
    fi.check(";" not in ext["body"], "no chunk extension forwarded: %r" % ext["body"])

    def fields(rec):
        return [ln.split(":", 1)[0].lower() for ln in rec["head"].split("\r\n")[1:] if ln]

    fi.check("content-length: 10\r\n" in by_path["/strict/cl010"]["head"].lower(),
             "Content-Length 010 forwarded as 10: %r" % by_path["/strict/cl010"]["head"])
    fi.check_eq(fields(by_path["/strict/cl2"]).count("content-length"), 1,
                "identical Content-Lengths forwarded once")
    fi.check_eq([f for f in fields(by_path["/strict/under"]) if "_" in f], [],
                "fields with '_' at the origin")
    h2c = by_path["/strict/h2c"]["head"].lower()
    fi.check("upgrade" not in h2c and "http2-settings" not in h2c,
             "h2c upgrade stripped: %r" % h2c)
    abs_head = by_path["/strict/abs"]["head"]
    fi.check(abs_head.startswith("GET /strict/abs HTTP/1.1\r\n") and
             "\r\nHost: strict.test\r\n" in abs_head and "other.invalid" not in abs_head,
             "absolute-form forwarded in origin-form with its authority as Host: %r" % abs_head)
    after = pstats(fo)
    fi.check_eq(after["underscore_headers_dropped"] - before["underscore_headers_dropped"], 1,
                "proxy.underscore_headers_dropped")
    fi.check_eq(after["upgrade_refused"] - before["upgrade_refused"], 1, "proxy.upgrade_refused")


def main(t):
    ns = t.netns()
    app = ht.start_backends(ns, "testapp", [APP_IP], names=["app"])
    trio = ht.start_backends(ns, "testapp", TRIO_IPS, names=["trio1", "trio2", "trio3"])
    for mode, ip in RAW.items():
        ht.start_backends(ns, "raw:" + mode, [ip], names=["raw-" + mode],
                          args=["--hang-max", "30"] if mode == "hang" else [])
    strict_log_path = os.path.join(t.log_dir, "strict.requests.jsonl")
    ht.start_backends(ns, "raw:strict", [STRICT_IP], names=["raw-strict"],
                      args=["--log", strict_log_path])
    ht.add_addresses(ns, [REFUSED_IP, BLACKHOLE_IP])
    # SYNs to the blackhole are dropped: ARP is answered, the connection never is
    ns.run(["nft", "add table inet fo_it; add chain inet fo_it in "
            "{ type filter hook input priority 0; policy accept; }; "
            "add rule inet fo_it in ip daddr %s tcp dport %d drop"
            % (BLACKHOLE_IP, BLACKHOLE_PORT)])
    fi.check(not ht.tcp_ready(ns, REFUSED_IP, 8000), "nothing listens on %s" % REFUSED_IP)

    conf_path = os.path.join(t.log_dir, "errors.conf")
    with open(conf_path, "w") as f:
        f.write(CONF)
    r = fi.sh([fi.FANOUT, "--", "-c", conf_path, "--check"], check_rc=False)
    fi.check(r.returncode == 0, "fanout --check: %s%s" % (r.stdout, r.stderr))
    fo = ns.start_fanout(conf=conf_path)
    tally = Tally()
    strictness(ns, fo, tally, strict_log_path)

    malformed(ns, tally)
    smuggling(ns, tally, list(app) + list(trio))
    not_found(ns, tally)
    no_endpoint(ns, tally)
    limits(ns, tally)
    upstream_502(ns, tally)
    upstream_504(ns, tally)
    timeouts_408(ns, tally)
    trio_failover(ns, fo, trio, tally)

    # nothing smuggled reached anyone, even later; nor did the request whose body stalled
    fi.check_eq(smuggled_paths(list(app) + list(trio)), [], "smuggled requests (final)")
    fi.check_eq([p for p in app[0].request_paths() if "stalled" in p], [],
                "a request with an incomplete body served by the backend")
    ps = pstats(fo)
    fi.log("proxy counters: %s" % {k: v for k, v in ps.items()
                                   if not isinstance(v, dict) and v})
    fi.log("parse errors: %s" % {k: v for k, v in ps["parse_err"].items() if v})
    fi.wait_for(lambda: pstats(fo)["sessions"] == 0, 15, "every client session to end")
    st = fo.stop()
    for status in (400, 404, 405, 408, 413, 414, 417, 431, 500, 501, 502, 503, 504, 505):
        fi.check_eq(st["proxy.gen_%d" % status], tally.gen.get(status, 0),
                    "proxy.gen_%d at exit" % status)
    for name, n in tally.parse.items():
        fi.check_ge(st["proxy.parse_err." + name], n, "proxy.parse_err.%s at exit" % name)
    total = sum(v for k, v in st.items() if k.startswith("proxy.parse_err."))
    fi.check_eq(total, tally.parse_total, "request parse errors counted at exit (all reasons)")
    fi.check_eq(st["proxy.sessions"], 0, "sessions at exit")
    fi.check_ge(st["proxy.upstream_bad_response"], 2, "upstream_bad_response (garbage, bad chunk)")
    fi.check_ge(st["proxy.upstream_timeouts"], 3, "upstream_timeouts (read, 2 connects)")
    fi.check_ge(st["proxy.client_aborts"], 2, "client_aborts (truncated, bad chunk)")


if __name__ == "__main__":
    fi.run(main)
