#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The HTTP proxy end to end: the seed's ingress fan-out with real Django
and Flask replicas, plus the proxy's client-side and upstream-side
behaviours against real backends (tests/backends, via http_tools.py).

fanout serves the seed's two rules (/test01 -> django-service, /test02 ->
flask-service, rewrite /$2) and test-only routes:

  /t/...      -> testapp (gunicorn, 2 replicas), rewrite /$2, body limit 16m
  /small/...  -> testapp, body limit 1k (413)
  /slow/...   -> testapp with read_timeout 2s (504)
  /dead/...   -> a server address where nothing listens (502, refused)
  /garbage/.. -> rawserver garbage (502)
  /ws         -> WebSocket echo (101, then a tunnel)

Checked, with the replicas' own logs where it matters:
 1. seed: /test01 is Django's welcome page, /test02 Flask's "hello world!",
    /test01/x reaches Django as /x, an unknown path is fanout's 404; every
    one of the six replicas served requests (round-robin);
 2. forwarded head: Host kept, X-Forwarded-For/-Host/-Port/-Proto,
    X-Real-IP, a generated 32-hex X-Request-ID (a client's one kept),
    hop-by-hop fields removed, query string kept through the rewrite;
 3. keep-alive: several requests on one client connection, upstream
    connections reused from the pool (proxy.upstream_reuses);
 4. pipelining: 3 requests in one write, responses in order;
 5. bodies: 10 MiB upload (Content-Length and chunked) and 10 MiB download
    (Content-Length and chunked), sha256 checked on both sides;
 6. Expect: 100-continue answered by fanout, then the body goes through;
 7. HTTP/1.0 client: answered and closed;
 8. errors: 404 keeps the connection, 413 (Content-Length over the route's
    limit), 502 (refused, garbage), 504 (read_timeout), 400 for smuggling
    attempts (CL+TE, differing CLs, obs-fold) and the smuggled request never
    reaches a backend;
 9. WebSocket echo through the proxy (raw client: handshake + frames);
10. fanout's counters agree, and it exits cleanly;
11. two workers (flows handed between them) — not with --one-worker, which
    the net_af_xdp registration passes (a veth gives it one queue).
"""

import base64
import hashlib
import os
import socket
import sys
import time

import fo_integ as fi
import http_tools as ht

TEST_IPS = ["198.18.0.31", "198.18.0.32"]
KA_IP = "198.18.0.33"         # testapp closing idle connections after 1 s
DEAD_IP = "198.18.0.40"       # an address of the namespace where nothing listens
RAW = {"garbage": "198.18.0.41", "close": "198.18.0.42", "reset": "198.18.0.43",
       "truncate": "198.18.0.44", "close-delimited": "198.18.0.45"}
GARBAGE_IP = RAW["garbage"]
CLOSEDELIM_SIZE = 300000
WS_IP = "198.18.0.51"
PORT = 80
BIG = 10 << 20

CONF = """# written by tests/integ/test_http_seed.py
interface net_tap0 {
    address 198.18.0.1/24;
}
listen 198.18.0.1:80;

http {
    client_header_timeout 3s;
}

tcp {
    # fanout's side of its upstream connections (checked by forwarded_head)
    local_port_min 41000;
    local_port_max 41999;
}

upstream django-service {
    server 198.18.0.11:8000;
    server 198.18.0.12:8000;
    server 198.18.0.13:8000;
}
upstream flask-service {
    server 198.18.0.21:8000;
    server 198.18.0.22:8000;
    server 198.18.0.23:8000;
}
upstream test-service {
    server 198.18.0.31:8000;
    server 198.18.0.32:8000;
}
upstream slow-service {
    server 198.18.0.31:8000;
    read_timeout 2s;
}
upstream dead-service {
    server %(dead)s:8000;
}
upstream mixed-service {
    server %(dead)s:8000;
    server 198.18.0.31:8000;
}
upstream ka-service {
    server %(ka)s:8000;
}
upstream garbage-service {
    server %(garbage)s:8000;
}
upstream close-service {
    server %(close)s:8000;
}
upstream reset-service {
    server %(reset)s:8000;
}
upstream truncate-service {
    server %(truncate)s:8000;
}
upstream closedelim-service {
    server %(closedelim)s:8000;
}
upstream ws-service {
    server %(ws)s:8000;
}

route regex "/test01(/|$)(.*)" {
    upstream django-service;
    rewrite "/$2";
}
route regex "/test02(/|$)(.*)" {
    upstream flask-service;
    rewrite "/$2";
}
route regex "/t(/|$)(.*)" {
    upstream test-service;
    rewrite "/$2";
    client_max_body_size 16m;
}
route regex "/small(/|$)(.*)" {
    upstream test-service;
    rewrite "/$2";
    client_max_body_size 1k;
}
route regex "/slow(/|$)(.*)" {
    upstream slow-service;
    rewrite "/$2";
}
route prefix /dead {
    upstream dead-service;
}
route prefix /garbage {
    upstream garbage-service;
}
route regex "/mixed(/|$)(.*)" {
    upstream mixed-service;
    rewrite "/$2";
}
route regex "/ka(/|$)(.*)" {
    upstream ka-service;
    rewrite "/$2";
}
route prefix /close {
    upstream close-service;
}
route prefix /reset {
    upstream reset-service;
}
route prefix /truncate {
    upstream truncate-service;
}
route prefix /closedelim {
    upstream closedelim-service;
}
route exact /ws {
    upstream ws-service;
}
""" % {"dead": DEAD_IP, "garbage": RAW["garbage"], "ws": WS_IP, "ka": KA_IP,
       "close": RAW["close"], "reset": RAW["reset"], "truncate": RAW["truncate"],
       "closedelim": RAW["close-delimited"]}


def proxy_stats(fo):
    return fo.stats()["proxy"]


def conn(ns, timeout=15.0):
    return ht.HttpConn(ns, fi.FANOUT_IP, PORT, timeout=timeout)


def one(ns, method, target, body=None, headers=(), chunked=False, close=True, timeout=30.0):
    with conn(ns, timeout) as c:
        c.send(ht.request(method, target, headers=headers, body=body, chunked=chunked,
                          close=close))
        return c.read_response(method=method)


def seed(ns, dj, fl):
    r = ht.get(ns, fi.FANOUT_IP, PORT, "/test01")
    fi.check_eq(r.status, 200, "GET /test01 status")
    fi.check(ht.DJANGO_WELCOME in r.body, "/test01 is Django's welcome page: %r" % r.body[:200])
    r = ht.get(ns, fi.FANOUT_IP, PORT, "/test02")
    fi.check_eq(r.status, 200, "GET /test02 status")
    fi.check(ht.FLASK_HELLO in r.body, "/test02 is Flask's hello: %r" % r.body[:200])
    r = ht.get(ns, fi.FANOUT_IP, PORT, "/nothing/here")
    fi.check_eq(r.status, 404, "GET /nothing/here status")
    fi.check(b"404" in r.body and b"route" in r.body, "fanout's own 404 body: %r" % r.body)
    # curl through the seed, 12 each: round-robin reaches every replica
    for path in ("/test01", "/test02"):
        for i in range(12):
            res = ht.curl(ns, "http://%s%s" % (fi.FANOUT_IP, path), "-o", "/dev/null",
                          "-w", "%{http_code}")
            fi.check_eq(res.stdout.strip(), "200", "curl %s #%d" % (path, i))
    r = ht.get(ns, fi.FANOUT_IP, PORT, "/test01/x")
    counts = dj.settle(14)
    fi.log("django requests per replica: %s" % counts)
    paths = [p for b in dj for p in b.request_paths()]
    fi.check("/x" in paths, "/test01/x reached Django as /x (paths %s)" % paths)
    fi.check(all(v >= 1 for v in counts.values()), "every Django replica served: %s" % counts)
    counts = fl.settle(13)
    fi.log("flask requests per replica: %s" % counts)
    fi.check(all(v >= 1 for v in counts.values()), "every Flask replica served: %s" % counts)


def forwarded_head(ns, ta):
    r = one(ns, "GET", "/t/echo-headers?a=1&b=two",
            headers=[("X-Forwarded-For", "203.0.113.7"), ("Keep-Alive", "timeout=5"),
                     ("Connection", "keep-alive, X-Hop"), ("X-Hop", "must go"),
                     ("User-Agent", "fanout-test")], close=False)
    fi.check_eq(r.status, 200, "echo-headers status")
    import json
    j = json.loads(r.body)
    h = {k.lower(): v for k, v in j["headers"]}
    fi.log("upstream saw %s %s headers %s" % (j["method"], j["uri"], h))
    fi.check_eq(j["uri"], "/echo-headers?a=1&b=two", "rewritten target with its query")
    fi.check_eq(j["peer"][0], fi.FANOUT_IP, "the upstream connection comes from fanout")
    fi.check(41000 <= int(j["peer"][1]) <= 41999,
             "upstream local port %s in tcp { local_port_min 41000; local_port_max 41999; }"
             % j["peer"][1])
    fi.check_eq(h.get("host"), "example.com", "Host preserved")
    fi.check_eq(h.get("x-forwarded-for"), "203.0.113.7, " + fi.KERNEL_IP, "X-Forwarded-For")
    fi.check_eq(h.get("x-real-ip"), fi.KERNEL_IP, "X-Real-IP")
    fi.check_eq(h.get("x-forwarded-host"), "example.com", "X-Forwarded-Host")
    fi.check_eq(h.get("x-forwarded-port"), str(PORT), "X-Forwarded-Port")
    fi.check_eq(h.get("x-forwarded-proto"), "http", "X-Forwarded-Proto")
    rid = h.get("x-request-id", "")
    fi.check(len(rid) == 32 and all(c in "0123456789abcdef" for c in rid),
             "generated X-Request-ID %r" % rid)
    fi.check_eq(h.get("user-agent"), "fanout-test", "end-to-end field kept")
    for hop in ("keep-alive", "x-hop"):
        fi.check(hop not in h, "hop-by-hop %s removed" % hop)
    r = one(ns, "GET", "/t/echo-headers", headers=[("X-Request-ID", "client-chosen-id")])
    h = {k.lower(): v for k, v in json.loads(r.body)["headers"]}
    fi.check_eq(h.get("x-request-id"), "client-chosen-id", "the client's X-Request-ID kept")


def keepalive(ns, fo):
    before = proxy_stats(fo)
    with conn(ns) as c:
        for i in range(6):
            c.send(ht.request("GET", "/t/who"))
            r = c.read_response()
            fi.check_eq(r.status, 200, "keep-alive request %d" % i)
            fi.check(r.keep_alive(), "response %d keeps the connection" % i)
    after = proxy_stats(fo)
    d = {k: after[k] - before[k] for k in ("requests", "requests_keepalive", "upstream_reuses",
                                           "upstream_connects", "accepted")}
    fi.log("keep-alive deltas: %s" % d)
    fi.check_eq(d["accepted"], 1, "one client connection for 6 requests")
    fi.check_eq(d["requests_keepalive"], 5, "requests after the first on that connection")
    fi.check_ge(d["upstream_reuses"], 3, "pooled upstream connections reused")
    # curl with two URLs on one connection
    res = ht.curl(ns, "http://%s/t/who" % fi.FANOUT_IP, "http://%s/test02" % fi.FANOUT_IP,
                  "-v", "-o", "/dev/null")
    fi.check("Re-using existing connection" in res.stderr or
             "Reusing existing connection" in res.stderr,
             "curl reused its connection:\n%s" % res.stderr[-2000:])


def pipelining(ns):
    reqs = [ht.request("GET", "/t/who"), ht.request("GET", "/nothing"),
            ht.request("GET", "/test02"), ht.request("HEAD", "/t/")]
    rs = ht.pipeline(ns, fi.FANOUT_IP, PORT, reqs, timeout=15)
    fi.check_eq([r.status for r in rs], [200, 404, 200, 200], "pipelined statuses in order")
    fi.check(rs[1].body.startswith(b"404"), "404 body in second place")
    fi.check_eq(rs[2].body, ht.FLASK_HELLO, "flask body in third place")
    fi.check_eq(rs[3].body, b"", "HEAD response without body")


def bodies(ns, ta):
    data = os.urandom(BIG)
    want = hashlib.sha256(data).hexdigest()
    import json
    for chunked in (False, True):
        r = one(ns, "POST", "/t/upload", body=data, chunked=chunked, timeout=120)
        fi.check_eq(r.status, 200, "10 MiB upload (chunked=%s)" % chunked)
        j = json.loads(r.body)
        fi.check_eq((j["length"], j["sha256"]), (BIG, want),
                    "upload length and sha256 at the backend (chunked=%s)" % chunked)
    want = ht.pattern_sha256(BIG)
    for chunked in (0, 1):
        r = one(ns, "GET", "/t/download?size=10m&chunked=%d" % chunked, timeout=120)
        fi.check_eq(r.status, 200, "10 MiB download (chunked=%d)" % chunked)
        fi.check_eq((len(r.body), hashlib.sha256(r.body).hexdigest()), (BIG, want),
                    "download length and sha256 (chunked=%d)" % chunked)
        if chunked:
            fi.check("chunked" in (r.header("Transfer-Encoding") or ""), "chunked framing kept")


def expect_continue(ns):
    body = os.urandom(300000)
    import json
    with conn(ns) as c:
        head = ht.request("POST", "/t/upload", headers=[("Expect", "100-continue")], body=body)
        cut = head.index(b"\r\n\r\n") + 4
        c.send(head[:cut])
        fi.check_eq(c.read_interim(), 100, "100 Continue before the body")
        c.send(head[cut:])
        r = c.read_response()
        fi.check_eq(r.status, 200, "upload after 100-continue")
        fi.check_eq(json.loads(r.body)["sha256"], hashlib.sha256(body).hexdigest(),
                    "body after 100-continue")
    res = ht.curl(ns, "http://%s/t/upload" % fi.FANOUT_IP, "-H", "Expect: 100-continue",
                  "--data-binary", "@/etc/services", "-v")
    fi.check("100 Continue" in res.stderr, "curl saw 100 Continue:\n%s" % res.stderr[-1500:])


def http10(ns):
    with conn(ns) as c:
        c.send(b"GET /test02 HTTP/1.0\r\nHost: example.com\r\n\r\n")
        r = c.read_response()
        fi.check_eq(r.status, 200, "HTTP/1.0 request")
        fi.check_eq(r.body, ht.FLASK_HELLO, "HTTP/1.0 body")
        fi.check(c.closed_by_peer(5), "fanout closes an HTTP/1.0 connection after the response")


def errors(ns, fo, ta):
    # 404 keeps the connection
    with conn(ns) as c:
        c.send(ht.request("GET", "/nope"))
        r = c.read_response()
        fi.check_eq(r.status, 404, "404")
        c.send(ht.request("GET", "/t/who"))
        fi.check_eq(c.read_response().status, 200, "request after a 404 on the same connection")
    # 413 on Content-Length over the route's limit: answered without reading the body
    with conn(ns) as c:
        c.send(b"POST /small/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n")
        r = c.read_response()
        fi.check_eq(r.status, 413, "413 over client_max_body_size")
        fi.check_eq(r.header("Connection"), "close", "413 closes")
    r = one(ns, "POST", "/small/upload", body=b"y" * 2000, chunked=True)
    fi.check_eq(r.status, 413, "413 for a chunked body over the limit")
    # 502: refused, garbage
    r = one(ns, "GET", "/dead/x")
    fi.check_eq(r.status, 502, "502 when the upstream refuses")
    fi.check(b"refused" in r.body and DEAD_IP.encode() in r.body, "502 body says why: %r" % r.body)
    r = one(ns, "GET", "/garbage/x")
    fi.check_eq(r.status, 502, "502 on a garbage response")
    fi.log("garbage: %r" % r.body)
    # 504 after read_timeout (2s) on /slow
    t0 = time.monotonic()
    r = one(ns, "GET", "/slow/sleep?s=6")
    dt = time.monotonic() - t0
    fi.check_eq(r.status, 504, "504 after read_timeout")
    fi.check(1.5 <= dt <= 5.0, "504 came after about 2 s (%.2f s)" % dt)
    # smuggling: 400 and close; the smuggled request never reaches a backend
    attacks = [
        b"POST /t/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /t/smuggled-1 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /t/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 44\r\n\r\n"
        b"abcdGET /t/smuggled-2 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /t/who HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\nGET /t/smuggled-3 HTTP/1.1\r\n"
        b"Host: x\r\n\r\n",
        b"POST /t/upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"zz\r\nGET /t/smuggled-4 HTTP/1.1\r\nHost: x\r\n\r\n",
    ]
    for i, a in enumerate(attacks):
        with conn(ns) as c:
            c.send(a)
            r = c.read_response()
            fi.check_eq(r.status, 400, "smuggling attempt %d answered 400" % (i + 1))
            fi.check(c.closed_by_peer(5), "connection closed after smuggling attempt %d" % (i + 1))
    time.sleep(0.5)
    seen = [p for b in ta for p in b.request_paths() if "smuggled" in p]
    fi.check_eq(seen, [], "smuggled requests that reached a backend")


def upstream_failures(ns, fo):
    """Failover on refused connections, pool hygiene, upstreams that misbehave."""
    before = proxy_stats(fo)
    for i in range(4):
        r = one(ns, "GET", "/mixed/who")
        fi.check_eq(r.status, 200, "/mixed request %d (one server of two refuses)" % i)
    d = proxy_stats(fo)["upstream_retries"] - before["upstream_retries"]
    fi.check_ge(d, 1, "requests retried on the next server after a refused connection")
    # the server closes idle connections after 1 s: the pool must notice
    for i in range(3):
        r = one(ns, "GET", "/ka/who")
        fi.check_eq(r.status, 200, "/ka request %d" % i)
        time.sleep(1.5)
    ps = proxy_stats(fo)
    fi.check_ge(ps["upstream_idle_closed"] - before["upstream_idle_closed"], 2,
                "pooled connections closed by the server were dropped")
    for path, what in (("/close", "closed the connection"), ("/reset", "reset")):
        r = one(ns, "GET", path)
        fi.check_eq(r.status, 502, "%s: 502" % path)
        fi.check(what.encode() in r.body, "%s: 502 body says %r: %r" % (path, what, r.body))
    # truncated body: the client must not get a complete-looking response
    with conn(ns) as c:
        c.send(ht.request("GET", "/truncate"))
        try:
            r = c.read_response()
            fi.check(False, "truncated upstream body delivered as complete: %r" % r)
        except (ht.HttpError, ConnectionResetError):
            pass
    # close-delimited body: forwarded until the upstream's FIN, then the client closes
    with conn(ns) as c:
        c.send(ht.request("GET", "/closedelim"))
        r = c.read_response()
        fi.check_eq(r.status, 200, "close-delimited response status")
        fi.check_eq(r.body, ht.pattern(0, CLOSEDELIM_SIZE), "close-delimited body")
        fi.check_eq(r.header("Connection"), "close", "close-delimited response closes")


def heads(ns):
    """Heads across many segments: a 20 KiB one, one sent byte by byte, one too large."""
    big = [("X-Big-%d" % i, "v" * 1000) for i in range(20)]
    r = one(ns, "GET", "/t/echo-headers", headers=big)
    fi.check_eq(r.status, 200, "20 KiB request head")
    import json
    h = {k.lower(): v for k, v in json.loads(r.body)["headers"]}
    fi.check_eq(h.get("x-big-19"), "v" * 1000, "last field of a 20 KiB head")
    with conn(ns) as c:
        c.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for b in ht.request("GET", "/t/who", headers=[("X-Pad", "p" * 100)]):
            c.send(bytes([b]))
            time.sleep(0.002)
        fi.check_eq(c.read_response().status, 200, "head sent one byte per segment")
    r = one(ns, "GET", "/t/who", headers=[("X-Huge-%d" % i, "h" * 4000) for i in range(10)])
    fi.check_eq(r.status, 431, "40 KiB header section")


def header_timeout(ns, fo):
    t0 = time.monotonic()
    with conn(ns) as c:
        c.send(b"GET /t/who HTTP/1.1\r\nHost: x\r\n")
        r = c.read_response()
        dt = time.monotonic() - t0
        fi.check_eq(r.status, 408, "408 for a head not complete in client_header_timeout")
        fi.check(2.5 <= dt <= 6, "408 after about 3 s (%.2f s)" % dt)
        fi.check(c.closed_by_peer(5), "connection closed after 408")


def slow_client(ns, fo):
    """10 MiB to a client reading 32 KiB every 10 ms: fanout must hold a bounded amount."""
    s = ns.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.settimeout(30)
    s.connect((fi.FANOUT_IP, PORT))
    s.sendall(ht.request("GET", "/t/download?size=10m", close=True))
    h = hashlib.sha256()
    got = b""
    peak = 0
    n = 0
    last = time.monotonic()
    while True:
        b = s.recv(32768)
        if not b:
            break
        if not got or b"\r\n\r\n" not in got:
            got += b
            if b"\r\n\r\n" in got:
                head, _, b = got.partition(b"\r\n\r\n")
                got = head + b"\r\n\r\n"
            else:
                continue
        h.update(b)
        n += len(b)
        time.sleep(0.01)
        if time.monotonic() - last > 0.5:
            last = time.monotonic()
            peak = max(peak, fo.stats()["tcp"]["buffered"])
    s.close()
    fi.log("slow client: %d body bytes, peak tcp.buffered %d mbufs" % (n, peak))
    fi.check_eq((n, h.hexdigest()), (BIG, ht.pattern_sha256(BIG)), "slow download")
    # two 256 KiB buffers (upstream receive, client send) and one 64 KiB read in flight:
    # ~400 mbufs; 10 MiB buffered would be ~7,000
    fi.check(0 < peak < 1500, "mbufs buffered while the client is slow: %d" % peak)


def two_workers(ns, dj, fl):
    """Two workers (flows handed between them): the seed and a download still work."""
    fo = ns.start_fanout(conf=CONF, lcore_map="0@0,1@0,2@1")
    for i in range(30):
        path = ("/test01", "/test02", "/t/who")[i % 3]
        r = ht.get(ns, fi.FANOUT_IP, PORT, path)
        fi.check_eq(r.status, 200, "two workers: GET %s #%d" % (path, i))
    rs = ht.pipeline(ns, fi.FANOUT_IP, PORT, [ht.request("GET", "/t/who")] * 5)
    fi.check_eq([r.status for r in rs], [200] * 5, "two workers: pipelined")
    r = one(ns, "GET", "/t/download?size=10m", timeout=120)
    fi.check_eq(hashlib.sha256(r.body).hexdigest(), ht.pattern_sha256(BIG),
                "two workers: 10 MiB download")
    st = fo.stop()
    fi.log("two workers: %s" % {k: v for k, v in st.items()
                                 if k.startswith("worker") and ("tcp_" in k or "tx_sent" in k)})
    fi.check(st["worker0.tcp_segments"] > 0 and st["worker1.tcp_segments"] > 0,
             "both workers handled TCP segments")
    fi.check_ge(st["proxy.requests"], 36, "two workers: requests counted")
    fi.check_eq(st["proxy.sessions"], 0, "two workers: sessions at exit")


def websocket(ns, fo):
    key = base64.b64encode(os.urandom(16)).decode()
    with conn(ns) as c:
        c.send(ht.request("GET", "/ws", headers=[("Upgrade", "websocket"),
                                                ("Connection", "Upgrade"),
                                                ("Sec-WebSocket-Key", key),
                                                ("Sec-WebSocket-Version", "13")]))
        r = c.read_response()
        fi.check_eq(r.status, 101, "WebSocket handshake through fanout")
        acc = base64.b64encode(hashlib.sha1(
            (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        fi.check_eq(r.header("Sec-WebSocket-Accept"), acc, "Sec-WebSocket-Accept")
        fi.check_eq((r.header("Upgrade") or "").lower(), "websocket", "Upgrade header")
        for msg in (b"hello fanout", os.urandom(100000)):
            c.send(ht.ws_frame(msg, 1 if msg.startswith(b"hello") else 2))
            op, payload = ht.ws_read(c)
            fi.check_eq(payload, msg, "WebSocket echo of %d bytes" % len(msg))
        c.send(ht.ws_frame(b"\x03\xe8", 8))  # close 1000
        op, payload = ht.ws_read(c)
        fi.check_eq(op, 8, "close frame echoed by the server")
    fi.check_ge(proxy_stats(fo)["tunnels"], 1, "tunnels counted")


def main(t):
    ns = t.netns()
    dj = ht.start_backends(ns, "django", ht.DJANGO_IPS)
    fl = ht.start_backends(ns, "flask", ht.FLASK_IPS)
    ta = ht.start_backends(ns, "testapp", TEST_IPS)
    ht.start_backends(ns, "testapp", [KA_IP], names=["testapp-ka"], keepalive=1)
    for mode, ip in RAW.items():
        ht.start_backends(ns, "raw:" + mode, [ip], names=["raw-" + mode],
                          args=["--size", str(CLOSEDELIM_SIZE)] if mode == "close-delimited"
                          else [])
    ht.start_backends(ns, "ws", [WS_IP])
    ht.add_addresses(ns, [DEAD_IP])
    fo = ns.start_fanout(conf=CONF)

    seed(ns, dj, fl)
    forwarded_head(ns, ta)
    keepalive(ns, fo)
    pipelining(ns)
    bodies(ns, ta)
    expect_continue(ns)
    http10(ns)
    errors(ns, fo, ta)
    upstream_failures(ns, fo)
    heads(ns)
    header_timeout(ns, fo)
    slow_client(ns, fo)
    websocket(ns, fo)

    ps = proxy_stats(fo)
    fi.log("proxy counters: %s" % {k: v for k, v in ps.items()
                                   if not isinstance(v, dict) and v})
    fi.log("parse errors: %s" % {k: v for k, v in ps["parse_err"].items() if v})
    for k, want in (("gen_404", 3), ("gen_413", 2), ("gen_502", 4), ("gen_504", 1),
                    ("gen_408", 1), ("upstream_retries", 1), ("client_aborts", 1),
                    ("gen_400", 4), ("continue_sent", 2), ("tunnels", 1)):
        fi.check_ge(ps[k], want, "proxy.%s" % k)
    fi.check_ge(ps["responses_2xx"], 40, "2xx responses")
    fi.check_eq(ps["refused_nostate"], 0, "sessions refused")
    fi.wait_for(lambda: proxy_stats(fo)["sessions"] == 0, 15, "every session to end")
    st = fo.stop()
    fi.log("shutdown: %s" % {k: v for k, v in st.items() if k.startswith("proxy.") and v})
    fi.check_eq(st["proxy.sessions"], 0, "sessions in use at exit")
    if "--one-worker" in sys.argv[1:]:
        fi.log("two workers: not run (--one-worker)")
        return
    two_workers(ns, dj, fl)


if __name__ == "__main__":
    fi.run(main)
