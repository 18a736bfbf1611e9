#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""HTTP proxy: bodies, connection handling and the forwarded head, against
real testapp backends (tests/backends/testapp.py under gunicorn).

fanout listens on 198.18.0.1:80 and serves three routes, all to the same
upstream of two testapp replicas (198.18.0.31, .32), rewrite "/$2":

  /app/...        client_max_body_size 16m
  /limited/...    no client_max_body_size: the http block's default, 1m
  /unlimited/...  client_max_body_size 0 (no limit)

Checked (each against what the backend itself reports, or its request log):
 1. 10 MiB uploads, Content-Length and chunked (raw client; chunked also in
    160 chunks with a chunk extension and a trailer; curl chunked): length
    and sha256 computed by the backend; the backend got the chunked framing;
 2. 10 MiB downloads, fixed-length and chunked (raw client and curl): sha256
    of the pattern, framing kept;
 3. keep-alive: 10 requests on one raw connection (both replicas answer,
    proxy.accepted +1, requests_keepalive +9, upstream_reuses > 0), curl
    with 5 URLs on one connection (num_connects 1 in all);
 3b. http keepalive_requests 100: the 100th response says Connection: close
    and the connection closes; an upstream with keepalive 0 gets
    "Connection: close" and nothing is pooled; a client that half-closes
    after its request still gets the response; 50 concurrent clients x 20
    keep-alive requests (GETs and uploads) each get their own answers;
 4. pipelining: 5 requests in one write, 5 responses in order (paths and
    query strings matched via /echo-headers), requests_pipelined;
 5. HTTP/1.0: answered, then closed (also a chunked download, which becomes
    close-delimited for an HTTP/1.0 client);
 6. Expect: 100-continue: "HTTP/1.1 100 Continue" before any body byte is
    sent, then 200 for the body; continue_sent; Expect not forwarded; an
    over-limit Content-Length gets 413 instead of 100;
 7. forwarded head (/echo-headers): rewritten path with its query, Host
    kept, X-Forwarded-For appended to the client's ones, X-Real-IP,
    X-Forwarded-Proto/Host/Port replaced (client-sent values dropped),
    X-Request-ID generated (32 hex, distinct) or kept, hop-by-hop fields
    (Connection, Keep-Alive, TE, Proxy-Connection, a field named in
    Connection) removed, end-to-end fields kept;
 8. slow reader: a client that stops reading a 10 MiB download: fanout's
    mbufs in use and its TCP queues stay bounded (< 2 MiB worth), the
    upstream is flow controlled (fanout read < 6 MiB of it), other clients
    are served meanwhile, and the download then completes intact; then 3
    more times on fresh upstream connections (route without pool);
 9. body limit: /limited: 1 MiB exactly is accepted, 1 MiB + 1 and 2 MiB
    (Content-Length) get 413 without the body being read, 2 MiB chunked gets
    413 once past the limit; /unlimited accepts 3 MiB;
10. counters: gen_413 exactly as provoked, continue_sent, no 5xx made by
    fanout, no parse error; every session ends; fanout exits 0.
"""

import hashlib
import json
import os
import socket
import time

import fo_integ as fi
import http_tools as ht

APP_IPS = ["198.18.0.31", "198.18.0.32"]
PORT = 80
MIB = 1 << 20
BIG = 10 * MIB

CONF = """# written by tests/integ/test_http_bodies.py
interface net_tap0 {
    address 198.18.0.1/24;
}
listen 198.18.0.1:80;

http {
    keepalive_requests 100;
}

upstream app {
    server 198.18.0.31:8000;
    server 198.18.0.32:8000;
}
upstream nopool {
    server 198.18.0.31:8000;
    server 198.18.0.32:8000;
    keepalive 0;
}

route regex "/app(/|$)(.*)" {
    upstream app;
    rewrite "/$2";
    client_max_body_size 16m;
}
route regex "/limited(/|$)(.*)" {
    upstream app;
    rewrite "/$2";
}
route regex "/nopool(/|$)(.*)" {
    upstream nopool;
    rewrite "/$2";
}
route regex "/unlimited(/|$)(.*)" {
    upstream app;
    rewrite "/$2";
    client_max_body_size 0;
}
"""


def pstats(fo):
    return fo.stats()["proxy"]


def pdelta(after, before):
    return {k: after[k] - before[k] for k in after
            if isinstance(after[k], int) and isinstance(before.get(k), int)}


def conn(ns, timeout=30.0):
    return ht.HttpConn(ns, fi.FANOUT_IP, PORT, timeout=timeout)


def json_body(r, what):
    fi.check_eq(r.status, 200, "%s: status (body %r)" % (what, r.body[:300]))
    try:
        return json.loads(r.body)
    except ValueError:
        raise fi.Failure("%s: body is not JSON: %r" % (what, r.body[:300]))


def check_config(path):
    r = fi.sh([fi.FANOUT, "--", "-c", path, "--check"], check_rc=False)
    fi.check(r.returncode == 0, "fanout --check %s: exit %d\n%s%s"
             % (path, r.returncode, r.stdout, r.stderr))


# ---------------------------------------------------------------------------


def uploads(ns, tmp):
    data = os.urandom(BIG)
    want = hashlib.sha256(data).hexdigest()
    for chunked in (False, True):
        t0 = time.monotonic()
        with conn(ns, 120) as c:
            c.send(ht.request("POST", "/app/upload", body=data, chunked=chunked))
            doc = json_body(c.read_response(), "10 MiB upload chunked=%s" % chunked)
        fi.log("10 MiB upload (chunked=%s): %.2f s, %s" % (chunked, time.monotonic() - t0, doc))
        fi.check_eq((doc["length"], doc["sha256"]), (BIG, want),
                    "length and sha256 of the 10 MiB upload at the backend (chunked=%s)" % chunked)
        fi.check_eq(doc["chunked"], chunked, "backend saw Transfer-Encoding: chunked")

    # many chunks, a chunk extension and a trailer: framing passed through intact
    piece = 64 << 10
    body = b""
    parts = []
    for i, off in enumerate(range(0, BIG, piece)):
        ext = b";name=value" if i == 7 else b""
        parts.append(b"%x%s\r\n" % (piece, ext) + data[off:off + piece] + b"\r\n")
    body = b"".join(parts) + b"0\r\nX-Trailer: done\r\n\r\n"
    head = (b"POST /app/upload HTTP/1.1\r\nHost: example.com\r\n"
            b"Transfer-Encoding: chunked\r\nTrailer: X-Trailer\r\n\r\n")
    with conn(ns, 120) as c:
        c.send(head + body)
        doc = json_body(c.read_response(), "10 MiB upload in 160 chunks")
    fi.check_eq((doc["length"], doc["sha256"]), (BIG, want),
                "10 MiB upload in 160 chunks with an extension and a trailer")

    # curl, chunked (Transfer-Encoding forced), from a file
    path = os.path.join(tmp, "upload.bin")
    with open(path, "wb") as f:
        f.write(data)
    r = ht.curl(ns, "http://%s/app/upload" % fi.FANOUT_IP, "-H", "Transfer-Encoding: chunked",
                "--data-binary", "@" + path, timeout=120)
    fi.check(r.returncode == 0, "curl chunked upload: %s" % r.stderr)
    doc = json.loads(r.stdout)
    fi.check_eq((doc["length"], doc["sha256"], doc["chunked"]), (BIG, want, True),
                "curl 10 MiB chunked upload at the backend")
    os.unlink(path)


def downloads(ns, tmp):
    want = ht.pattern_sha256(BIG)
    for chunked in (0, 1):
        t0 = time.monotonic()
        with conn(ns, 120) as c:
            c.send(ht.request("GET", "/app/download?size=10m&chunked=%d" % chunked))
            r = c.read_response()
            # keep-alive after a 10 MiB body: the next request works on the same connection
            c.send(ht.request("GET", "/app/who"))
            r2 = c.read_response()
        fi.log("10 MiB download (chunked=%d): %.2f s" % (chunked, time.monotonic() - t0))
        fi.check_eq(r.status, 200, "10 MiB download status (chunked=%d)" % chunked)
        fi.check_eq((len(r.body), hashlib.sha256(r.body).hexdigest()), (BIG, want),
                    "length and sha256 of the 10 MiB download (chunked=%d)" % chunked)
        if chunked:
            fi.check_eq((r.header("Transfer-Encoding") or "").lower(), "chunked",
                        "chunked framing kept")
            fi.check_eq(r.header("Content-Length"), None, "no Content-Length with chunked")
        else:
            fi.check_eq(r.header("Content-Length"), str(BIG), "Content-Length kept")
        fi.check_eq(r2.status, 200, "request after the download on the same connection")
    for chunked in (0, 1):
        path = os.path.join(tmp, "download.bin")
        r = ht.curl(ns, "http://%s/app/download?size=10m&chunked=%d" % (fi.FANOUT_IP, chunked),
                    "-o", path, "-w", "%{http_code}", timeout=120)
        fi.check_eq(r.stdout, "200", "curl download status (chunked=%d): %s" % (chunked, r.stderr))
        with open(path, "rb") as f:
            got = f.read()
        os.unlink(path)
        fi.check_eq((len(got), hashlib.sha256(got).hexdigest()), (BIG, want),
                    "curl 10 MiB download (chunked=%d)" % chunked)


def keepalive(ns, fo):
    before = pstats(fo)
    names = []
    with conn(ns) as c:
        for i in range(10):
            c.send(ht.request("GET", "/app/who"))
            r = c.read_response()
            fi.check_eq(r.status, 200, "keep-alive request %d" % i)
            fi.check(r.keep_alive(), "response %d keeps the connection: %r" % (i, r.headers))
            names.append(r.body.decode())
    d = pdelta(pstats(fo), before)
    fi.log("raw keep-alive: replicas %s, deltas %s"
           % (names, {k: d[k] for k in ("accepted", "requests", "requests_keepalive",
                                        "upstream_connects", "upstream_reuses")}))
    fi.check_eq(sorted(set(names)), ["testapp1", "testapp2"], "replicas behind one connection")
    fi.check_eq(d["accepted"], 1, "client connections for 10 keep-alive requests")
    fi.check_eq(d["requests"], 10, "requests")
    fi.check_eq(d["requests_keepalive"], 9, "requests after the first on the connection")
    fi.check_ge(d["upstream_reuses"], 1, "requests on pooled upstream connections")
    fi.check(d["upstream_connects"] <= 4,
             "upstream connections opened for 10 requests over 2 replicas: %d"
             % d["upstream_connects"])

    before = pstats(fo)
    argv = ["curl", "-sS", "--max-time", "30", "-w", "%{http_code} %{num_connects}\n"]
    for i in range(5):
        argv += ["-o", "/dev/null", "http://%s/app/who?n=%d" % (fi.FANOUT_IP, i)]
    r = ns.run(argv, timeout=40, check_rc=False)
    d = pdelta(pstats(fo), before)
    lines = r.stdout.split()
    fi.log("curl 5 URLs: %r, accepted +%d" % (r.stdout, d["accepted"]))
    fi.check(r.returncode == 0, "curl with 5 URLs: %s" % r.stderr)
    codes, connects = lines[0::2], [int(x) for x in lines[1::2]]
    fi.check_eq(codes, ["200"] * 5, "curl status codes")
    fi.check_eq(sum(connects), 1, "connections curl opened for 5 URLs")
    fi.check_eq(d["accepted"], 1, "client connections fanout accepted for curl's 5 URLs")
    fi.check_eq(d["requests_keepalive"], 4, "curl's keep-alive requests")


def keepalive_limits(ns, fo):
    # http keepalive_requests 100: the 100th response closes the connection
    with conn(ns) as c:
        for i in range(100):
            c.send(ht.request("GET", "/app/who"))
            r = c.read_response()
            fi.check_eq(r.status, 200, "request %d of 100" % (i + 1))
            if i < 99:
                fi.check(r.keep_alive(), "response %d keeps the connection" % (i + 1))
        fi.check_eq(r.header("Connection"), "close", "100th response: Connection: close")
        fi.check(c.closed_by_peer(5), "connection closed after keepalive_requests")
    # upstream keepalive 0: "Connection: close" upstream, nothing pooled
    before = pstats(fo)
    with conn(ns) as c:
        for i in range(4):
            c.send(ht.request("GET", "/nopool/echo-headers"))
            doc = json_body(c.read_response(), "request %d to an upstream without pool" % i)
            hdr = {k.lower(): v for k, v in doc["headers"]}
            fi.check_eq(hdr.get("connection"), "close", "Connection: close sent upstream")
    d = pdelta(pstats(fo), before)
    fi.check_eq((d["upstream_connects"], d["upstream_reuses"], d["upstream_pooled"]), (4, 0, 0),
                "upstream keepalive 0: connects, reuses, pooled")
    # a client that half-closes after its request still gets the response
    with conn(ns) as c:
        c.send(ht.request("POST", "/app/upload", body=b"z" * 70000))
        c.shutdown_write()
        doc = json_body(c.read_response(), "request then half-close")
        fi.check_eq(doc["length"], 70000, "body before the half-close")
        fi.check(c.closed_by_peer(5), "fanout closes after the response to a half-closed client")


def concurrency(ns, fo):
    """50 clients at once, 20 keep-alive requests each: every answer is its own request's."""
    import threading
    before = pstats(fo)
    errors = []

    def client(k):
        try:
            with conn(ns, 30) as c:
                for i in range(20):
                    tag = "%d-%d" % (k, i)
                    if i % 5 == 4:
                        body = os.urandom(1000 * (k + 1))
                        c.send(ht.request("POST", "/app/upload?t=" + tag, body=body))
                        doc = json.loads(c.read_response().body)
                        if doc["sha256"] != hashlib.sha256(body).hexdigest():
                            errors.append("client %d request %d: upload sha256" % (k, i))
                    else:
                        c.send(ht.request("GET", "/app/echo-headers?t=" + tag,
                                          headers=[("X-Tag", tag)]))
                        doc = json.loads(c.read_response().body)
                        if doc["uri"] != "/echo-headers?t=" + tag or \
                                dict(doc["headers"]).get("X-Tag") != tag:
                            errors.append("client %d request %d: got %s" % (k, i, doc["uri"]))
        except Exception as e:  # reported below, in the main thread
            errors.append("client %d: %r" % (k, e))

    threads = [threading.Thread(target=client, args=(k,)) for k in range(50)]
    t0 = time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    fi.check(not any(th.is_alive() for th in threads), "clients still running after 60 s")
    fi.check_eq(errors[:5], [], "concurrent clients' errors")
    d = pdelta(pstats(fo), before)
    fi.log("50 concurrent clients x 20 requests: %.2f s, accepted %d, requests %d"
           % (time.monotonic() - t0, d["accepted"], d["requests"]))
    fi.check_eq((d["accepted"], d["requests"]), (50, 1000), "connections and requests")


def pipelining(ns, fo):
    before = pstats(fo)
    targets = ["/app/echo-headers?i=%d" % i for i in range(5)]
    reqs = [ht.request("GET", t, headers=[("X-Seq", str(i))]) for i, t in enumerate(targets)]
    fi.check(sum(len(r) for r in reqs) < 1400, "5 requests fit in one segment")
    rs = ht.pipeline(ns, fi.FANOUT_IP, PORT, reqs, timeout=15)
    d = pdelta(pstats(fo), before)
    got = []
    for i, r in enumerate(rs):
        doc = json_body(r, "pipelined response %d" % i)
        got.append((doc["uri"], dict(doc["headers"]).get("X-Seq")))
    fi.check_eq(got, [("/echo-headers?i=%d" % i, str(i)) for i in range(5)],
                "pipelined responses in request order")
    fi.log("pipelining deltas: accepted %d requests %d pipelined %d"
           % (d["accepted"], d["requests"], d["requests_pipelined"]))
    fi.check_eq(d["accepted"], 1, "one connection")
    fi.check_eq(d["requests_pipelined"], 4, "requests already buffered behind the previous one")
    # a pipelined POST with a body, then a GET: the body does not leak into the next request
    body = os.urandom(100000)
    rs = ht.pipeline(ns, fi.FANOUT_IP, PORT,
                     [ht.request("POST", "/app/upload", body=body),
                      ht.request("GET", "/app/echo-headers?after=post"),
                      ht.request("HEAD", "/app/download?size=5000"),
                      ht.request("GET", "/app/status?code=204"),
                      ht.request("GET", "/app/who", close=True)], timeout=15)
    fi.check_eq(json_body(rs[0], "pipelined upload")["sha256"], hashlib.sha256(body).hexdigest(),
                "pipelined upload body")
    fi.check_eq(json_body(rs[1], "GET after a pipelined POST")["uri"], "/echo-headers?after=post",
                "request after a pipelined body")
    fi.check_eq((rs[2].status, rs[2].header("Content-Length"), rs[2].body), (200, "5000", b""),
                "pipelined HEAD: Content-Length kept, no body")
    fi.check_eq((rs[3].status, rs[3].body), (204, b""), "pipelined 204")
    fi.check_eq(rs[4].status, 200, "last pipelined request (Connection: close)")
    fi.check_eq(rs[4].header("Connection"), "close", "Connection: close answered")


def http10(ns):
    with conn(ns) as c:
        c.send(b"GET /app/echo-headers?v=10 HTTP/1.0\r\nHost: example.com\r\n\r\n")
        r = c.read_response()
        doc = json_body(r, "HTTP/1.0 request")
        fi.check_eq(doc["uri"], "/echo-headers?v=10", "HTTP/1.0 request target upstream")
        fi.check_eq(doc["protocol"], "HTTP/1.0", "version sent upstream")
        fi.check(c.closed_by_peer(5), "fanout closes an HTTP/1.0 connection after the response")
    # HTTP/1.0 without Host, and a keep-alive request that fanout does not honour
    with conn(ns) as c:
        c.send(b"GET /app/who HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        r = c.read_response()
        fi.check_eq(r.status, 200, "HTTP/1.0 request without Host")
        fi.check(not r.keep_alive(), "HTTP/1.0 response does not offer keep-alive: %r" % r.headers)
        fi.check(c.closed_by_peer(5), "HTTP/1.0 keep-alive request: connection closed anyway")
    # chunked from the backend becomes close-delimited for an HTTP/1.0 client
    with conn(ns, 60) as c:
        c.send(b"GET /app/download?size=1m&chunked=1 HTTP/1.0\r\nHost: example.com\r\n\r\n")
        r = c.read_response()
    fi.check_eq(r.status, 200, "HTTP/1.0 download status")
    fi.check_eq(r.header("Transfer-Encoding"), None, "no chunked coding to an HTTP/1.0 client")
    fi.check_eq((len(r.body), hashlib.sha256(r.body).hexdigest()), (MIB, ht.pattern_sha256(MIB)),
                "HTTP/1.0 download body (close-delimited)")


def expect_continue(ns, fo, ta):
    before = pstats(fo)
    body = os.urandom(MIB)
    with conn(ns) as c:
        c.send(b"POST /app/upload?expect=1 HTTP/1.1\r\nHost: example.com\r\n"
               b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
        c.s.settimeout(5)
        try:
            line = c._line([])
        except socket.timeout:
            raise fi.Failure("no interim response within 5 s of an Expect: 100-continue head")
        fi.check_eq(line, b"HTTP/1.1 100 Continue", "interim status line before the body")
        fi.check_eq(c._line([]), b"", "100 Continue has no header field")
        c.s.settimeout(30)
        c.send(body)
        doc = json_body(c.read_response(), "upload after 100 Continue")
        fi.check_eq((doc["length"], doc["sha256"]), (MIB, hashlib.sha256(body).hexdigest()),
                    "body sent after 100 Continue")
    d = pdelta(pstats(fo), before)
    fi.check_eq(d["continue_sent"], 1, "proxy.continue_sent")
    time.sleep(0.2)
    logged = [r for b in ta for r in b.requests() if r["uri"] == "/upload?expect=1"]
    fi.check_eq(len(logged), 1, "the upload reached one backend once")
    names = [k.lower() for k, _ in logged[0]["headers"]]
    fi.check("expect" not in names, "Expect is not forwarded (fanout answered it): %s" % names)
    # over the route's limit: 413 at once, no 100 Continue
    with conn(ns) as c:
        c.send(b"POST /limited/upload HTTP/1.1\r\nHost: example.com\r\n"
               b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % (2 * MIB))
        r = c.read_response()
        fi.check_eq(r.status, 413, "Expect: 100-continue with a too large body")
        fi.check_eq(r.interim, [], "no 100 Continue before the 413")
    # curl sends Expect: 100-continue by itself for bodies over 1 MiB
    r = ht.curl(ns, "http://%s/app/upload" % fi.FANOUT_IP, "-v", "-H", "Expect: 100-continue",
                "--data-binary", "@/etc/services")
    fi.check("HTTP/1.1 100 Continue" in r.stderr, "curl got 100 Continue:\n%s" % r.stderr[-1500:])
    fi.check_eq(json.loads(r.stdout)["length"], os.path.getsize("/etc/services"),
                "curl's body after 100 Continue")


def forwarded_head(ns, ta):
    req = (b"GET /app/echo-headers?a=1&b=%20x&c= HTTP/1.1\r\n"
           b"Host: www.example.org:8080\r\n"
           b"User-Agent: fanout-integ\r\n"
           b"X-Forwarded-For: 203.0.113.9\r\n"
           b"X-Forwarded-For: 203.0.113.10, 203.0.113.11\r\n"
           b"X-Real-IP: 6.6.6.6\r\n"
           b"X-Forwarded-Proto: https\r\n"
           b"X-Forwarded-Host: evil.example\r\n"
           b"X-Forwarded-Port: 1\r\n"
           b"Connection: keep-alive, X-Hop\r\n"
           b"Keep-Alive: timeout=5\r\n"
           b"TE: trailers\r\n"
           b"Proxy-Connection: keep-alive\r\n"
           b"X-Hop: secret\r\n"
           b"X-Custom: one\r\n"
           b"Accept: */*\r\n\r\n")
    with conn(ns) as c:
        c.send(req)
        doc = json_body(c.read_response(), "echo-headers")
        c.send(ht.request("GET", "/app/echo-headers"))
        doc2 = json_body(c.read_response(), "second echo-headers")
        c.send(ht.request("GET", "/app/echo-headers", headers=[("X-Request-ID", "my-id-42")]))
        doc3 = json_body(c.read_response(), "echo-headers with X-Request-ID")
    h = {}
    for k, v in doc["headers"]:
        h.setdefault(k.lower(), []).append(v)
    fi.log("upstream saw %s %s %s" % (doc["method"], doc["uri"], h))
    one = {k: v[0] for k, v in h.items()}
    fi.check_eq(doc["uri"], "/echo-headers?a=1&b=%20x&c=", "rewritten target, query kept")
    fi.check_eq(doc["query"], "a=1&b=%20x&c=", "query string")
    fi.check_eq(one.get("host"), "www.example.org:8080", "Host preserved")
    fi.check_eq(one.get("x-forwarded-for"),
                "203.0.113.9, 203.0.113.10, 203.0.113.11, " + fi.KERNEL_IP,
                "X-Forwarded-For: the client's values, then the client address")
    fi.check_eq(one.get("x-real-ip"), fi.KERNEL_IP, "X-Real-IP (client's value replaced)")
    fi.check_eq(one.get("x-forwarded-proto"), "http", "X-Forwarded-Proto (client's replaced)")
    fi.check_eq(one.get("x-forwarded-host"), "www.example.org:8080",
                "X-Forwarded-Host (the Host; client's replaced)")
    fi.check_eq(one.get("x-forwarded-port"), str(PORT), "X-Forwarded-Port (client's replaced)")
    for k in ("x-forwarded-for", "x-real-ip", "x-forwarded-proto", "x-forwarded-host",
              "x-forwarded-port", "x-request-id"):
        fi.check_eq(len(h.get(k, [])), 1, "one %s field upstream (%s)" % (k, h.get(k)))
        fi.check("," not in one[k] or k == "x-forwarded-for",
                 "%s is a single value: %r" % (k, one[k]))
    rid = one.get("x-request-id", "")
    fi.check(len(rid) == 32 and all(ch in "0123456789abcdef" for ch in rid),
             "generated X-Request-ID is 32 hex digits: %r" % rid)
    rid2 = dict((k.lower(), v) for k, v in doc2["headers"]).get("x-request-id", "")
    fi.check(len(rid2) == 32 and rid2 != rid, "a new X-Request-ID per request: %r %r"
             % (rid, rid2))
    rid3 = [v for k, v in doc3["headers"] if k.lower() == "x-request-id"]
    fi.check_eq(rid3, ["my-id-42"], "the client's X-Request-ID kept (and not doubled)")
    for hop in ("connection", "keep-alive", "te", "proxy-connection", "x-hop"):
        fi.check(hop not in h, "hop-by-hop field %s removed (upstream got %s)" % (hop, h.get(hop)))
    fi.check_eq(one.get("user-agent"), "fanout-integ", "User-Agent kept")
    fi.check_eq(one.get("x-custom"), "one", "X-Custom kept")
    fi.check_eq(one.get("accept"), "*/*", "Accept kept")


def mbufs_in_use(fo):
    s = fo.stats()
    return s["mbuf_pool_size"] - s["mbuf_pool_avail"]


def slow_reader(ns, fo, prefix="/app", stall=4.0, others=True):
    """A client stops reading a 10 MiB download for @stall s, then reads slowly, then fast.
    With @others, other clients are served during the stall."""
    base = mbufs_in_use(fo)
    before = pstats(fo)
    s = ns.socket(socket.AF_INET, socket.SOCK_STREAM)
    # a small receive buffer: the stall must reach fanout, not vanish in the kernel
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 10)
    s.settimeout(60)
    try:
        s.connect((fi.FANOUT_IP, PORT))
        s.sendall(ht.request("GET", prefix + "/download?size=10m"))
        got = s.recv(4096)
        fi.check(got.startswith(b"HTTP/1.1 200"), "slow reader's first bytes: %r" % got[:100])
        t0 = time.monotonic()
        peak = peak_tcp = 0
        served = 0
        while time.monotonic() - t0 < stall:
            st = fo.stats()
            peak = max(peak, st["mbuf_pool_size"] - st["mbuf_pool_avail"] - base)
            peak_tcp = max(peak_tcp, st["tcp"]["buffered"])
            if others:
                r = ht.get(ns, fi.FANOUT_IP, PORT, "/app/who", timeout=5)
                fi.check_eq(r.status, 200, "another client served during the stall")
                served += 1
            time.sleep(0.2)
        mid = pdelta(pstats(fo), before)
        fi.log("stalled reader (%s): %d other requests served, peak extra mbufs %d (tcp "
               "buffered %d), fanout read %d bytes from the upstream, queued %d to the client"
               % (prefix, served, peak, peak_tcp, mid["bytes_upstream_in"],
                  mid["bytes_client_out"]))
        if others:
            fi.check_ge(served, 5, "requests served while a client stalls")
        # 1024 mbufs of 2 KiB (each holds at most one segment) < 2 MiB: far below 10 MiB
        fi.check(peak < 1024 and peak_tcp < 1024,
                 "fanout buffers a response its client does not read: %d extra mbufs in use, "
                 "%d in TCP queues (>= 1024) for a stalled 10 MiB download" % (peak, peak_tcp))
        fi.check(mid["bytes_upstream_in"] < 6 * MIB,
                 "upstream not flow-controlled: fanout read %d bytes of a 10 MiB body for a "
                 "client that reads nothing" % mid["bytes_upstream_in"])
        # then read slowly (64 KiB per 20 ms) for 1 MiB, then at full speed
        data = got
        while len(data) < MIB:
            b = s.recv(65536)
            fi.check(b, "connection closed early (%d bytes)" % len(data))
            data += b
            time.sleep(0.02)
        while True:
            b = s.recv(1 << 20)
            if not b:
                break
            data += b
            if data.find(b"\r\n\r\n") >= 0 and \
                    len(data) - data.index(b"\r\n\r\n") - 4 >= BIG:
                break
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    fi.check_eq((len(body), hashlib.sha256(body).hexdigest()), (BIG, ht.pattern_sha256(BIG)),
                "slow reader's 10 MiB download")
    fi.log("slow reader done in %.1f s" % (time.monotonic() - t0))


def body_limits(ns, fo):
    n413 = 0
    # exactly the limit: accepted
    body = os.urandom(MIB)
    with conn(ns) as c:
        c.send(ht.request("POST", "/limited/upload", body=body))
        doc = json_body(c.read_response(), "1 MiB upload on a 1m route")
    fi.check_eq(doc["length"], MIB, "1 MiB accepted by client_max_body_size 1m")
    # over it: 413 from the head, body never read
    for size in (MIB + 1, 2 * MIB):
        with conn(ns) as c:
            c.send(b"POST /limited/upload HTTP/1.1\r\nHost: example.com\r\n"
                   b"Content-Length: %d\r\n\r\n" % size)
            r = c.read_response()
            fi.check_eq(r.status, 413, "Content-Length %d on a 1m route" % size)
            fi.check_eq(r.header("Connection"), "close", "413 closes the connection")
            fi.check((r.header("Content-Type") or "").startswith("text/plain") and
                     r.body.startswith(b"413"), "413 body: %r" % r.body)
            fi.check(c.closed_by_peer(6), "connection closed after the 413")
        n413 += 1
    # chunked over the limit: 413 once the limit is passed
    with conn(ns) as c:
        try:
            c.send(ht.request("POST", "/limited/upload", body=os.urandom(2 * MIB), chunked=True))
        except (BrokenPipeError, ConnectionResetError):
            pass  # fanout may close before taking everything
        r = c.read_response()
        fi.check_eq(r.status, 413, "2 MiB chunked body on a 1m route")
    n413 += 1
    # the default applies to the route without its own limit; 0 = none
    data = os.urandom(3 * MIB)
    with conn(ns, 60) as c:
        c.send(ht.request("POST", "/unlimited/upload", body=data))
        doc = json_body(c.read_response(), "3 MiB on a client_max_body_size 0 route")
    fi.check_eq((doc["length"], doc["sha256"]), (3 * MIB, hashlib.sha256(data).hexdigest()),
                "3 MiB upload without a limit")
    return n413


def main(t):
    ns = t.netns()
    ta = ht.start_backends(ns, "testapp", APP_IPS)
    conf_path = os.path.join(t.log_dir, "bodies.conf")
    with open(conf_path, "w") as f:
        f.write(CONF)
    check_config(conf_path)
    fo = ns.start_fanout(conf=conf_path)

    forwarded_head(ns, ta)
    keepalive(ns, fo)
    keepalive_limits(ns, fo)
    concurrency(ns, fo)
    pipelining(ns, fo)
    http10(ns)
    expect_continue(ns, fo, ta)
    n413 = 1  # expect_continue's
    n413 += body_limits(ns, fo)
    uploads(ns, t.log_dir)
    downloads(ns, t.log_dir)
    slow_reader(ns, fo)
    # fresh upstream connections (no pool) each time: a fault that depends on the
    # connection (e.g. its initial sequence numbers) gets more chances to show
    for _ in range(3):
        slow_reader(ns, fo, prefix="/nopool", stall=1.0, others=False)

    ps = pstats(fo)
    fi.log("proxy counters: %s" % {k: v for k, v in ps.items()
                                   if not isinstance(v, dict) and v})
    errs = {k: v for k, v in ps["parse_err"].items() if v}
    fi.check_eq(errs, {}, "request parse errors")
    fi.check_eq(ps["gen_413"], n413, "413s made by fanout")
    fi.check_eq(ps["responses_5xx"], 0, "5xx responses")
    for k in ("gen_400", "gen_404", "gen_408", "gen_502", "gen_503", "gen_504", "gen_500",
              "nombuf", "refused_nostate"):
        fi.check_eq(ps[k], 0, "proxy.%s" % k)
    fi.check_ge(ps["continue_sent"], 2, "proxy.continue_sent (raw client and curl)")
    fi.wait_for(lambda: pstats(fo)["sessions"] == 0, 15, "every client session to end")
    st = fo.stop()
    fi.check_eq(st["proxy.sessions"], 0, "sessions at exit")
    fi.check_eq(st["proxy.gen_413"], n413, "proxy.gen_413 at exit")
    fi.check_eq(st["proxy.upstream_busy"], 0, "upstream connections busy at exit")


if __name__ == "__main__":
    fi.run(main)
