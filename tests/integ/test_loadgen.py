#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""fanout-loadgen drives fanout over net_memif and checks every response.

fanout (the seed's routes and rewrite, memif server) sits between
fanout-loadgen's clients and its origin (tests/integ/loadgen_tools.py).
Five bounded runs: 2,000 keep-alive requests over 16 connections to two
targets, one per service; 200 requests on a new connection each; 400
pipelined four deep; 400 on a fixed schedule; 1,000 on one connection,
which fanout ends with Connection: close every 300 requests
(keepalive_requests): the loadgen goes on on a new one, nothing lost.
Every response must have been checked OK (status 200, the origin's
Content-Length), none may be missing or extra, the origin must have seen
the paths fanout's rewrite makes (/test01/api/items?page=2 arrives as
/api/items?page=2, /test02/x as /x) spread over each service's three
servers, and fanout's busy cycles per proxied request must have been read
(present and positive; its value is a benchmark's business, not a test's).
Then 16 connections held idle after one request each (--idle): fanout's
"memory" section read before and after, with 16 more sessions and pooled
upstream connections; last, a keep-alive load for 0.5 s under the
loadgen's SYN flood (--syn-flood, spoofed sources, fanout's gateway the
loadgen, max_half_open 64 so that cookies start): every response still
checked OK, the SYNs reached fanout (its rx counter) and it answered with
SYN cookies.
All runs share one memif connection, and fanout is stopped before the
loadgen leaves (loadgen_tools.Loadgen says why).
"""

import fo_integ as fi
import loadgen_tools as lt

BODY = "100"
FLOOD_RATE = 20000
MAX_HALF_OPEN = 64
# the seed's memif config, the loadgen as gateway (SYN-ACKs to the flood's
# off-link sources go there) and a small half-open table
# Client connections end after KA_LIMIT requests (fanout answers the last
# with Connection: close): above what any run but the last-but-one puts on
# one connection.
KA_LIMIT = 300
CONF = lt.SEED_MEMIF_CONF.replace(
    "interface net_memif0 { address 198.18.0.1/24; }",
    "interface net_memif0 { address 198.18.0.1/24; gateway 198.18.0.2; }").replace(
    "http { keepalive_requests 1000000; }", "http { keepalive_requests %d; }" % KA_LIMIT) + \
    "tcp { max_half_open %d; syn_cookies auto; }\n" % MAX_HALF_OPEN


def check_run(res, n, what):
    fi.check_eq(res["issued"], n, what + ": requests started")
    fi.check_eq(res["ok"], n, what + ": responses checked OK")
    fi.check_eq(res["errors"], 0, what + ": errors (%r)" % res["error_kinds"])
    fi.check(all(v == 0 for v in res["error_kinds"].values()),
             what + ": error kinds %r" % res["error_kinds"])
    fo = res["fanout"]
    fi.check(fo is not None, what + ": fanout's counters were not read")
    fi.check_eq(fo["workers"], 1, what + ": fanout workers")
    fi.check_eq(fo["proxy_requests"], n, what + ": fanout's proxy.requests during the run")
    fi.check(fo["cycles_per_request"] > 0, what + ": fanout busy cycles per request %r"
             % fo["cycles_per_request"])
    lat = res["latency_us"]
    fi.check(0 < lat["p50"] <= lat["p99"] <= lat["max"],
             what + ": latency percentiles out of order: %r" % lat)
    fi.log("%s: %d ok, %.0f req/s, p50 %.1f us, p99 %.1f us, fanout %.0f busy cycles/request"
           % (what, res["ok"], res["requests_per_s"], lat["p50"], lat["p99"],
              fo["cycles_per_request"]))


def main(t):
    ns = t.netns()
    with lt.SockDir() as d:
        fo = lt.start_fanout(ns, d.path, conf=CONF, idle_sleep=100)
        # one loadgen process, two runs: keep-alive, 2,000 requests alternating
        # the two services' routes; then one request per connection
        (ka, nc, pl, fr, idle, lim, fl), st = lt.loadgen(ns, fo, d.path, [
            ["-n", "2000", "-c", "16", "--body-size", BODY, "--timeout", "10",
             "-t", "/test01/api/items?page=2", "-t", "/test02/x", "--host", "shop.example.com"] +
            sum((["-H", h] for h in lt.BROWSER_HEADERS), []),
            ["-n", "200", "-c", "8", "--close", "--timeout", "10", "-t", "/test02/"],
            # four requests pipelined on each of 4 connections
            ["-n", "400", "-c", "4", "--depth", "4", "--timeout", "10", "-t", "/test01/p"],
            # a fixed schedule: 400 requests at 2,000/s
            ["-n", "400", "-c", "16", "--rate", "2000", "--timeout", "10", "-t", "/test02/r"],
            # 16 connections, one request each, then held idle
            ["-c", "16", "--idle", "-d", "20", "--timeout", "10", "-t", "/test01/i"],
            # 1,000 on one connection: fanout ends it at KA_LIMIT three times
            ["-n", "1000", "-c", "1", "--timeout", "10", "-t", "/test01/k"],
            # keep-alive for 0.5 s under a SYN flood
            ["-d", "0.5", "-c", "8", "--timeout", "10", "-t", "/test02/f",
             "--syn-flood", FLOOD_RATE],
        ], timeout=150)

    check_run(ka, 2000, "keep-alive")
    fi.check(ka["connects"] <= 16, "keep-alive: %d connections for 16" % ka["connects"])
    org = ka["origin"]
    fi.check_eq(org["requests"], 2000, "origin: requests")
    fi.check_eq(org["bad_requests"], 0, "origin: bad requests")
    fi.check_eq(org["targets"], {"/api/items?page=2": 1000, "/x": 1000},
                "origin: request targets after fanout's rewrite")
    per = {int(k): v for k, v in org["per_port"].items()}
    fi.check_eq(sum(per[p] for p in (8000, 8001, 8002)), 1000, "django-service servers")
    fi.check_eq(sum(per[p] for p in (8003, 8004, 8005)), 1000, "flask-service servers")
    for p, v in per.items():
        # round-robin per worker: each server its third, give or take a few
        fi.check(300 <= v <= 367, "server :%d got %d of its service's 1000" % (p, v))

    check_run(nc, 200, "new connections")
    fi.check_eq(nc["connects"], 200, "new connections: one per request")
    fi.check_eq(nc["origin"]["targets"], {"/": 200}, "origin: /test02/ arrives as /")
    fi.check_eq(nc["origin"]["requests"], 200, "origin: requests of the second run")

    check_run(pl, 400, "pipelined")
    fi.check_eq(pl["origin"]["targets"], {"/p": 400}, "origin: pipelined /test01/p as /p")
    check_run(fr, 400, "fixed rate")
    fi.check_eq(fr["origin"]["targets"], {"/r": 400}, "origin: /test02/r as /r")
    # 400 at 2,000/s: about 0.2 s, whatever the machine (requests late on
    # their schedule start at once and catch up)
    fi.check(fr["seconds"] >= 0.15, "fixed rate: 400 requests in %.3f s" % fr["seconds"])

    fi.check_eq(idle["ok"], 16, "idle: one request on each connection")
    fi.check_eq(idle["errors"], 0, "idle: errors (%r)" % idle["error_kinds"])
    mem = idle["idle"]
    fi.check_eq(mem["connections"], 16, "idle: connections open and idle")
    fi.check(mem["fanout_before"] is not None and mem["fanout_after"] is not None,
             "idle: fanout's memory section was not read")
    b, a = mem["fanout_before"], mem["fanout_after"]
    fi.log("idle: fanout before %r, after %r" % (b, a))
    fi.check_eq(a["sessions"] - b["sessions"], 16, "idle: fanout's sessions")
    fi.check(a["upstream_idle"] >= 1, "idle: pooled upstream connections %d"
             % a["upstream_idle"])
    fi.check(a["tcp_conns"] - b["tcp_conns"] >= 17, "idle: fanout's TCP connections %+d"
             % (a["tcp_conns"] - b["tcp_conns"]))
    fi.check(a["rss_kb"] > 0 and a["mbuf_bytes"] > 0, "idle: fanout's memory %r" % a)

    # the server's Connection: close ends a keep-alive connection cleanly:
    # no request lost, the next one goes on a new connection
    check_run(lim, 1000, "keep-alive limit")
    fi.check_eq(lim["connects"], 1000 // KA_LIMIT + 1,
                "keep-alive limit: connections for 1,000 requests at %d each" % KA_LIMIT)

    check_run(fl, fl["ok"], "under a SYN flood")
    fi.check(fl["ok"] > 0, "under a SYN flood: no response")
    f = fl["flood"]
    fi.log("flood: %r" % f)
    # the flood runs on the loadgen's lcore: on a busy machine it may fall
    # behind its schedule, but not by half
    fi.check(f["sent"] >= FLOOD_RATE * fl["seconds"] / 2, "flood: %d SYNs sent in %.3f s"
             % (f["sent"], fl["seconds"]))
    fi.check(f["fanout_rx_pkts"] >= f["sent"], "flood: fanout received %d frames for %d SYNs"
             % (f["fanout_rx_pkts"], f["sent"]))
    fi.check(f["fanout_syncookies_sent"] >= 1, "flood: fanout sent no SYN cookie")
    fi.check(f["fanout_half_open"] <= MAX_HALF_OPEN, "flood: %d half-open connections"
             % f["fanout_half_open"])

    fi.check_eq(st.get("proxy.requests"), 4016 + fl["ok"], "fanout's proxy.requests at exit")


fi.run(main)
