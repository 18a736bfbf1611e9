#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Load balancing with real backends: the `balance` algorithms and sticky cookies.

fanout with two workers on net_tap in a namespace; testapp replicas on
198.18.0.11-13:8000 (testapp1-3) and a slow one on 198.18.0.14:8000
(testapp4, every answer 0.2 s late). Each upstream has its own route,
rewritten to /who so that each answer names its replica. Every loop is
bounded in requests and each connection in time.

 1. round_robin, weights 1, 2, 3: 1,200 requests over 12 keep-alive
    connections (both workers) land within 5 % of 200, 400 and 600;
 2. least_conn over testapp1 and testapp2: while 16 slow requests (4 s,
    through another upstream that only lists testapp1) are in flight on
    testapp1, 40 new requests all go to testapp2 (in-flight counts are per
    endpoint and worker: each worker holds some of the slow ones);
 3. ewma over testapp2 and the slow testapp4: of 100 requests, at most 5
    reach testapp4 (each worker tries it once, before it has a latency);
 4. hash by header ($http_x_user, as ingress-nginx's upstream-hash-by):
    20 users, each on the same 16 connections (spread over both workers,
    which both sent segments meanwhile): a user always reaches the same
    replica, and the users use all three;
 5. sticky cookie: the first answer sets `route`; 100 requests with it, on
    10 connections, all reach the same replica and get no new cookie;
    `fanoutctl drain` of that replica: the next request with the cookie
    goes elsewhere with a new cookie, which then holds for 20 requests;
    fanout's counters agree (sticky_hits, sticky_moved, sticky_set).
"""

import collections
import time

import fo_integ as fi
import http_tools as ht

IPS = ["198.18.0.11", "198.18.0.12", "198.18.0.13"]
SLOW_IP = "198.18.0.14"
SLOW_S = 0.2

CONF = """# written by tests/integ/test_http_balance.py
interface net_tap0 {
    address 198.18.0.1/24;
}
listen 198.18.0.1:80;

upstream rr {
    server 198.18.0.11:8000 weight=1;
    server 198.18.0.12:8000 weight=2;
    server 198.18.0.13:8000 weight=3;
}
upstream pin {
    server 198.18.0.11:8000;
    read_timeout 30s;
}
upstream lc {
    server 198.18.0.11:8000;
    server 198.18.0.12:8000;
    balance least_conn;
}
upstream ew {
    server 198.18.0.12:8000;
    server 198.18.0.14:8000;
    balance ewma;
}
upstream hh {
    server 198.18.0.11:8000;
    server 198.18.0.12:8000;
    server 198.18.0.13:8000;
    balance hash $http_x_user;
}
upstream st {
    server 198.18.0.11:8000;
    server 198.18.0.12:8000;
    server 198.18.0.13:8000;
    sticky cookie route max_age=300 httponly;
}
route prefix /rr { upstream rr; rewrite /who; }
route prefix /pin { upstream pin; rewrite /sleep; }
route prefix /lc { upstream lc; rewrite /who; }
route prefix /ew { upstream ew; rewrite /who; }
route prefix /hh { upstream hh; rewrite /who; }
route prefix /st { upstream st; rewrite /who; }
"""


def who(c, path, headers=()):
    """One request on keep-alive connection @c: (replica, response)."""
    c.send(ht.request("GET", path, host="balance.test", headers=headers))
    r = c.read_response()
    fi.check_eq(r.status, 200, "GET %s (body %r)" % (path, r.body[:100]))
    return r.body.decode(), r


def cookie_of(r):
    """The `route` cookie a response sets ("route=<16 hex>"), or None."""
    v = r.header("Set-Cookie")
    if v is None:
        return None
    fi.check(v.startswith("route=") and v.endswith("; Path=/; Max-Age=300; HttpOnly")
             and len(v.split(";")[0]) == 6 + 16, "Set-Cookie: %r" % v)
    return v.split(";")[0]


def round_robin(ns):
    counts = collections.Counter()
    for _ in range(12):
        with ht.HttpConn(ns, fi.FANOUT_IP, 80) as c:
            for _ in range(100):
                counts[who(c, "/rr")[0]] += 1
    fi.log("round_robin 1:2:3 over 1200: %r" % dict(counts))
    for name, want in (("testapp1", 200), ("testapp2", 400), ("testapp3", 600)):
        fi.check(abs(counts[name] - want) <= want * 0.05,
                 "round_robin share of %s: %d, want %d +- 5 %%" % (name, counts[name], want))


def least_conn(ns, fo):
    slow = []
    for _ in range(16):
        c = ht.HttpConn(ns, fi.FANOUT_IP, 80, timeout=15.0)
        c.send(ht.request("GET", "/pin?s=4", host="balance.test"))
        slow.append(c)
    # the slow requests reach testapp1 (its request log: one line each)
    t0 = time.monotonic()
    try:
        fi.wait_for(lambda: fo.stats()["proxy"]["upstream_busy"] >= 16, 5,
                    "16 slow requests in flight")
        counts = collections.Counter()
        for _ in range(8):
            with ht.HttpConn(ns, fi.FANOUT_IP, 80) as c:
                for _ in range(5):
                    counts[who(c, "/lc")[0]] += 1
        fi.check(time.monotonic() - t0 < 3.5, "the least_conn requests took too long to test "
                 "while the slow ones were in flight")
        fi.log("least_conn while testapp1 holds 16 slow requests: %r" % dict(counts))
        fi.check_eq(counts["testapp1"], 0, "least_conn requests sent to the busy testapp1")
        fi.check_eq(counts["testapp2"], 40, "least_conn requests to testapp2")
    finally:
        for c in slow:
            try:
                r = c.read_response()
                fi.check_eq((r.status, r.body), (200, b"slept 4"), "a slow request")
            finally:
                c.close()


def ewma(ns):
    counts = collections.Counter()
    for _ in range(4):
        with ht.HttpConn(ns, fi.FANOUT_IP, 80) as c:
            for _ in range(25):
                counts[who(c, "/ew")[0]] += 1
    fi.log("ewma, testapp4 %.1f s slower: %r" % (SLOW_S, dict(counts)))
    fi.check(counts["testapp4"] <= 5 and counts["testapp2"] >= 95,
             "ewma sent %d of 100 requests to the slow replica" % counts["testapp4"])


def seg_tx(fo):
    return {k: w["seg_tx"] for k, w in fo.query("/fanout/tcp")["workers"].items()}


def hash_header(ns, fo):
    first, seen = {}, set()
    conns = [ht.HttpConn(ns, fi.FANOUT_IP, 80) for _ in range(16)]
    try:
        tx0 = seg_tx(fo)
        for u in range(20):
            for c in conns:
                name, _ = who(c, "/hh", headers=[("X-User", "user-%d" % u)])
                fi.check(first.setdefault(u, name) == name,
                         "user-%d reached %s, then %s" % (u, first[u], name))
                seen.add(name)
        tx1 = seg_tx(fo)
    finally:
        for c in conns:
            c.close()
    fi.log("hash by X-User: %r; segments sent by each worker meanwhile: %r" % (
        first, {k: tx1[k] - tx0[k] for k in tx1}))
    fi.check_eq(seen, {"testapp1", "testapp2", "testapp3"}, "replicas the 20 users reach")
    # the 16 connections (RSS-spread) were served by both workers
    fi.check(len(tx1) == 2 and all(tx1[k] - tx0[k] >= 40 for k in tx1),
             "both workers served the hashed requests: %r %r" % (tx0, tx1))


def sticky(ns, fo):
    before = fo.stats()["proxy"]
    with ht.HttpConn(ns, fi.FANOUT_IP, 80) as c:
        pinned, r = who(c, "/st")
    cookie = cookie_of(r)
    fi.check(cookie is not None, "no Set-Cookie on the first answer: %r" % r.headers)
    for _ in range(10):
        with ht.HttpConn(ns, fi.FANOUT_IP, 80) as c:
            for _ in range(10):
                name, r = who(c, "/st", headers=[("Cookie", "theme=dark; " + cookie)])
                fi.check_eq(name, pinned, "replica of a client with the cookie")
                fi.check(r.header("Set-Cookie") is None, "a new cookie for a pinned client")
    ip = IPS[int(pinned[-1]) - 1]
    r = fi.fanoutctl(fo.prefix, "drain", ip + ":8000")
    fi.check(r.returncode == 0, "fanoutctl drain: %r %r" % (r.stdout, r.stderr))
    with ht.HttpConn(ns, fi.FANOUT_IP, 80) as c:
        moved, r = who(c, "/st", headers=[("Cookie", cookie)])
    fi.check(moved != pinned, "the drained replica %s still got the client" % pinned)
    cookie2 = cookie_of(r)
    fi.check(cookie2 is not None and cookie2 != cookie, "cookie after the drain: %r" % cookie2)
    with ht.HttpConn(ns, fi.FANOUT_IP, 80) as c:
        for _ in range(20):
            name, r = who(c, "/st", headers=[("Cookie", cookie2)])
            fi.check_eq(name, moved, "replica with the new cookie")
    after = fo.stats()["proxy"]
    d = {k: after[k] - before[k] for k in ("sticky_hits", "sticky_moved", "sticky_set")}
    fi.log("sticky: %s, then %s after the drain; counters %r" % (pinned, moved, d))
    fi.check_eq(d, {"sticky_hits": 120, "sticky_moved": 1, "sticky_set": 2}, "sticky counters")


def main(t):
    ns = t.netns()
    ht.start_backends(ns, "testapp", IPS)
    ht.start_backends(ns, "testapp", [SLOW_IP], names=["testapp4"],
                      env={"FO_BACKEND_DELAY": str(SLOW_S)})
    fo = ns.start_fanout(CONF, lcore_map="0@0,1@0,2@1")

    round_robin(ns)
    least_conn(ns, fo)
    ewma(ns)
    hash_header(ns, fo)
    sticky(ns, fo)

    st = fo.stop()
    fi.check_eq(st["proxy.gen_502"] + st["proxy.gen_503"] + st["proxy.gen_504"], 0,
                "errors made by fanout")


if __name__ == "__main__":
    fi.run(main)
