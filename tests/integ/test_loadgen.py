#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""fanout-loadgen drives fanout over net_memif and checks every response.

fanout (the seed's routes and rewrite, memif server) sits between
fanout-loadgen's clients and its origin (tests/integ/loadgen_tools.py).
Four bounded runs: 2,000 keep-alive requests over 16 connections to two
targets, one per service; 200 requests on a new connection each; 400
pipelined four deep; 400 on a fixed schedule.
Every response must have been checked OK (status 200, the origin's
Content-Length), none may be missing or extra, the origin must have seen
the paths fanout's rewrite makes (/test01/api/items?page=2 arrives as
/api/items?page=2, /test02/x as /x) spread over each service's three
servers, and fanout's busy cycles per proxied request must have been read
(present and positive; its value is a benchmark's business, not a test's).
Both runs share one memif connection, and fanout is stopped before the
loadgen leaves (loadgen_tools.Loadgen says why).
"""

import fo_integ as fi
import loadgen_tools as lt

BODY = "100"


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
        fo = lt.start_fanout(ns, d.path, idle_sleep=100)
        # one loadgen process, two runs: keep-alive, 2,000 requests alternating
        # the two services' routes; then one request per connection
        (ka, nc, pl, fr), st = lt.loadgen(ns, fo, d.path, [
            ["-n", "2000", "-c", "16", "--body-size", BODY, "--timeout", "10",
             "-t", "/test01/api/items?page=2", "-t", "/test02/x", "--host", "shop.example.com"] +
            sum((["-H", h] for h in lt.BROWSER_HEADERS), []),
            ["-n", "200", "-c", "8", "--close", "--timeout", "10", "-t", "/test02/"],
            # four requests pipelined on each of 4 connections
            ["-n", "400", "-c", "4", "--depth", "4", "--timeout", "10", "-t", "/test01/p"],
            # a fixed schedule: 400 requests at 2,000/s
            ["-n", "400", "-c", "16", "--rate", "2000", "--timeout", "10", "-t", "/test02/r"],
        ], timeout=120)

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

    fi.check_eq(st.get("proxy.requests"), 3000, "fanout's proxy.requests at exit")


fi.run(main)
