#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Active health checks, passive ejection, the 503 of an upstream with no
healthy server, and retries on a status.

fanout on a virtual NIC in a namespace; testapp replicas on
198.18.0.11-13:8000 (upstream app, checked every 300 ms on /who: fall 2,
rise 2), a lone replica on 198.18.0.14 (upstream lone, checked, never
ejected passively), a server that answers every request 503 on 198.18.0.42
(rawserver status) in front of testapp1 in upstream st, which retries on
http_503.

 1. the checks reach the backends from fanout's own TCP stack, on the
    interval: each replica's access log shows GET /who requests with
    fanout's health-check User-Agent, neither far fewer nor far more than
    the interval allows, and every check the app received is in its access
    log (a check reads the response to its end and closes with a FIN; one
    that reset the connection after the status line left none);
    `fanoutctl upstreams` shows every server up with its last check's
    status;
 2. one of three replicas stopped (SIGTERM, as Kubernetes stops a pod)
    under wrk (bounded): no response other than 2xx and no socket error;
    the stopped replica is seen DOWN by the
    checks (or ejected by the first refused connections) within 3 s;
    started again, it is UP again and gets requests back;
 3. the lone replica stopped: once it is DOWN, its route answers 503 with
    a body that says no server is healthy; started again: 200 again;
 4. GET to upstream st: the 503 of its first server is retried on the next
    one (200 from testapp1), while a POST with a body gets the 503 as is
    (never replayed: testapp1's request log has no POST); a route whose
    upstream does not list http_503 forwards the 503.
"""

import json
import re
import subprocess
import time

import fo_integ as fi
import http_tools as ht

IPS = ["198.18.0.11", "198.18.0.12", "198.18.0.13"]
LONE_IP = "198.18.0.14"
S503_IP = "198.18.0.42"
UA = "fanout-health-check"
INTERVAL = 0.3

CONF = """# written by tests/integ/test_http_checks.py
interface net_tap0 {
    address 198.18.0.1/24;
}
listen 198.18.0.1:80;

upstream app {
    server 198.18.0.11:8000;
    server 198.18.0.12:8000;
    server 198.18.0.13:8000;
    health_check {
        path /who;
        interval 300ms;
        timeout 250ms;
        rise 2;
        fall 2;
    }
    max_fails 1;
    fail_timeout 2s;
}
upstream lone {
    server 198.18.0.14:8000;
    health_check {
        path /who;
        interval 300ms;
        timeout 250ms;
        expect 200;
        rise 2;
        fall 2;
    }
}
upstream st {
    server %(s503)s:8000;
    server 198.18.0.11:8000;
    next_upstream error timeout http_503;
    max_fails 0;
}
upstream st-plain {
    server %(s503)s:8000;
    server 198.18.0.11:8000;
    max_fails 0;
}
route prefix /lone { upstream lone; rewrite /who; }
route prefix /st-get { upstream st; rewrite /who; }
route prefix /st-post { upstream st; rewrite /upload; }
route prefix /plain { upstream st-plain; rewrite /who; }
route prefix / { upstream app; rewrite /who; }
""" % {"s503": S503_IP}


def upstreams(fo):
    r = fi.fanoutctl(fo.prefix, "--json", "upstreams")
    fi.check_eq(r.returncode, 0, "fanoutctl upstreams (%s)" % r.stderr)
    return {(u["upstream"], u["server"]): u for u in json.loads(r.stdout)}


def wait_health(fo, key, want, limit):
    """Poll fanoutctl until server @key's health is in @want; return the seconds it took."""
    t0 = time.monotonic()
    while True:
        u = upstreams(fo)[key]
        if u["health"] in want:
            return time.monotonic() - t0
        if time.monotonic() - t0 > limit:
            raise fi.Failure("%s:%s is %r, not %r after %.1f s: %r"
                             % (key[0], key[1], u["health"], want, limit, u))
        time.sleep(0.05)


def checks_in_log(backend):
    return sum(1 for line in backend.access_lines() if UA in line and "/who" in line)


def main(t):
    ns = t.netns()
    replicas = ht.start_backends(ns, "testapp", IPS)
    lone = ht.start_backends(ns, "testapp", [LONE_IP], names=["lone1"])[0]
    ht.start_backends(ns, "raw:status", [S503_IP])
    fo = ns.start_fanout(CONF)

    # 1. checks on the interval, from fanout
    time.sleep(0.5)
    before = [checks_in_log(b) for b in replicas]
    window = 3.0
    time.sleep(window)
    got = [checks_in_log(b) - n for b, n in zip(replicas, before)]
    expect = window / INTERVAL
    fi.log("health checks per replica in %.1f s: %r (interval %.1f s)" % (window, got, INTERVAL))
    if not all(expect * 0.5 <= g <= expect * 1.5 + 1 for g in got):
        fi.log("fanout's view: %r" % upstreams(fo))
    # every check the app saw (request log, written on arrival) is in gunicorn's access
    # log (written once the response went out): a check that reset the connection as soon
    # as it had the status line left no access log line
    for b in replicas:
        seen = sum(1 for r in b.requests() if ["User-Agent", UA] in r["headers"])
        logged = checks_in_log(b)
        fi.check(seen - 1 <= logged <= seen,
                 "%s: %d checks arrived, %d in the access log" % (b.name, seen, logged))
    fi.check(all(expect * 0.5 <= g <= expect * 1.5 + 1 for g in got),
             "health checks per replica in %.1f s: %r, expected about %.0f" % (window, got, expect))
    ups = upstreams(fo)
    for ip in IPS:
        u = ups[("app", ip + ":8000")]
        fi.check(u["health"] == "up" and u["last_check"] == "200" and u["checks"] >= 5,
                 "server %s before the kill: %r" % (ip, u))

    # 2. a replica killed under load
    wrk = subprocess.Popen(ns.argv(["wrk", "-t1", "-c32", "-d8s", "--timeout", "5s",
                                    "http://%s/x" % fi.FANOUT_IP]),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2)
    replicas[1].stop()  # SIGTERM, as Kubernetes stops a pod (a crash: test_http_health)
    took = wait_health(fo, ("app", IPS[1] + ":8000"), ("down", "ejected", "down+ejected"), 3.0)
    fi.log("stopped replica out of rotation after %.2f s" % took)
    wait_health(fo, ("app", IPS[1] + ":8000"), ("down", "down+ejected"), 3.0)
    out, err = wrk.communicate(timeout=70)
    fi.check_eq(wrk.returncode, 0, "wrk exit status (%s)" % err)
    fi.log("wrk while a replica stopped:\n" + out)
    m = re.search(r"(\d+) requests in", out)
    fi.check(m is not None and int(m.group(1)) > 1000, "wrk made too few requests:\n" + out)
    fi.check("Non-2xx" not in out and "Socket errors" not in out,
             "wrk saw failed requests when a replica stopped:\n" + out)
    u = upstreams(fo)[("app", IPS[1] + ":8000")]
    fi.check(u["checks_failed"] >= 2, "the checks of the stopped replica did not fail: %r" % u)

    ht.start_backends(ns, "testapp", [IPS[1]], names=["testapp2"])
    took = wait_health(fo, ("app", IPS[1] + ":8000"), ("up",), 5.0)
    fi.log("restarted replica up again after %.2f s (rise 2 x %.1f s)" % (took, INTERVAL))
    seen = set()
    with ht.HttpConn(ns, fi.FANOUT_IP, 80) as c:
        for _ in range(9):
            c.send(ht.request("GET", "/x", host="checks.test"))
            r = c.read_response()
            fi.check_eq(r.status, 200, "request after the replica came back")
            seen.add(r.body)
    fi.check(b"testapp2" in seen, "the restarted replica got no request: %r" % seen)

    # 3. no healthy server: 503 that says so, then recovery
    with ht.HttpConn(ns, fi.FANOUT_IP, 80) as c:
        c.send(ht.request("GET", "/lone", host="checks.test"))
        fi.check_eq(c.read_response().body, b"lone1", "the lone replica before its stop")
    lone.stop(fast=True)
    wait_health(fo, ("lone", LONE_IP + ":8000"), ("down",), 3.0)
    with ht.HttpConn(ns, fi.FANOUT_IP, 80) as c:
        c.send(ht.request("GET", "/lone", host="checks.test"))
        r = c.read_response()
        fi.check(r.status == 503 and b"no healthy server" in r.body,
                 "the lone replica down: %d %r" % (r.status, r.body))
    ht.start_backends(ns, "testapp", [LONE_IP], names=["lone1"])
    wait_health(fo, ("lone", LONE_IP + ":8000"), ("up",), 5.0)
    with ht.HttpConn(ns, fi.FANOUT_IP, 80) as c:
        c.send(ht.request("GET", "/lone", host="checks.test"))
        r = c.read_response()
        fi.check_eq((r.status, r.body), (200, b"lone1"), "the lone replica back")

    # 4. retries on a status
    for _ in range(4):  # whatever server round-robin starts with
        with ht.HttpConn(ns, fi.FANOUT_IP, 80) as c:
            c.send(ht.request("GET", "/st-get", host="checks.test"))
            r = c.read_response()
            fi.check_eq((r.status, r.body), (200, b"testapp1"), "GET retried after a 503")
    before = len(replicas[0].request_paths())
    got503 = 0
    for _ in range(4):
        with ht.HttpConn(ns, fi.FANOUT_IP, 80) as c:
            c.send(ht.request("POST", "/st-post", host="checks.test", body=b"y" * 500))
            r = c.read_response()
            fi.check(r.status in (200, 503), "POST to st: %d %r" % (r.status, r.body[:100]))
            got503 += r.status == 503
            if r.status == 503:
                fi.check(b"rawserver status 503" in r.body, "the 503 forwarded: %r" % r.body)
    fi.check(got503 >= 1, "no POST went to the 503 server first")
    time.sleep(0.5)
    paths = replicas[0].request_paths()[before:]
    fi.check_eq(paths.count("/upload"), 4 - got503,
                "POSTs at testapp1 (those answered 503 must not have been replayed): %r" % paths)
    statuses = set()
    for _ in range(4):
        with ht.HttpConn(ns, fi.FANOUT_IP, 80) as c:
            c.send(ht.request("GET", "/plain", host="checks.test"))
            statuses.add(c.read_response().status)
    fi.check_eq(statuses, {200, 503}, "without http_503 in next_upstream, the 503 is forwarded")

    st = fo.stop()
    fi.check(st["proxy.upstream_status_failures"] >= 4, "status failures not counted")
    fi.check(st["health.went_down"] >= 2 and st["health.went_up"] >= 2,
             "health transitions: down %d, up %d" % (st["health.went_down"], st["health.went_up"]))
    fi.check(st["health.checks_sent"] >= 20 and st["proxy.probes_started"] >= 20,
             "checks sent %d, started %d" % (st["health.checks_sent"], st["proxy.probes_started"]))
    fi.log("checks sent %d (ok %d, failed %d, lost %d), down %d, up %d, ejections %d, "
           "retries %d, 503 status failures %d" % (
               st["health.checks_sent"], st["health.checks_ok"], st["health.checks_failed"],
               st["health.checks_lost"], st["health.went_down"], st["health.went_up"],
               st["health.ejections"], st["proxy.upstream_retries"],
               st["proxy.upstream_status_failures"]))


if __name__ == "__main__":
    fi.run(main)
