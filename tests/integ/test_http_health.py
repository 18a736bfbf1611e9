#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Backends that fail under load: retries and passive health.

fanout on net_tap in a namespace; testapp replicas on 198.18.0.11-13:8000;
a server that resets every connection (rawserver reset) on 198.18.0.41.

 1. three replicas under wrk (bounded), one killed (SIGKILL) in the middle:
    no response other than 2xx, and no socket error in wrk but for a
    response the replica had begun (at most 2, each one a client reset
    counted by fanout: nobody can finish it); the dead replica is
    ejected (passive health, on the control thread) instead of being connected to again
    and again; started again, it gets traffic back once its fail_timeout is
    over;
 2. a GET to an upstream whose first server resets: retried on the next
    server, 200 from it (proxy.upstream_retries);
 3. a POST with a body to the same pair: not replayed after the reset,
    502, and the request never reaches the other server (its request log);
 4. `fanoutctl drain 198.18.0.13:8000`: a 2 s request in flight on it
    completes, new requests go to the others, `fanoutctl upstreams` says
    drained; `undrain` puts it back; draining a server the config does not
    have fails with exit status 1.
"""

import json
import re
import subprocess
import time

import fo_integ as fi
import http_tools as ht

IPS = ["198.18.0.11", "198.18.0.12", "198.18.0.13"]
RESET_IP = "198.18.0.41"

CONF = """# written by tests/integ/test_http_health.py
interface net_tap0 {
    address 198.18.0.1/24;
}
listen 198.18.0.1:80;

upstream app {
    server 198.18.0.11:8000;
    server 198.18.0.12:8000;
    server 198.18.0.13:8000;
    fail_timeout 2s;
}
upstream flaky-get {
    server %(reset)s:8000;
    server 198.18.0.11:8000;
    max_fails 0;
}
upstream flaky-post {
    server %(reset)s:8000;
    server 198.18.0.11:8000;
    max_fails 0;
}
upstream slow {
    server 198.18.0.13:8000;
    server 198.18.0.11:8000;
}
route prefix /sleep { upstream slow; }
route prefix /get { upstream flaky-get; rewrite /who; }
route prefix /post { upstream flaky-post; rewrite /upload; }
route prefix / { upstream app; rewrite /who; }
""" % {"reset": RESET_IP}


def main(t):
    ns = t.netns()
    replicas = ht.start_backends(ns, "testapp", IPS)
    ht.start_backends(ns, "raw:reset", [RESET_IP])
    fo = ns.start_fanout(CONF)

    # 2. GET retried on the next server
    with ht.HttpConn(ns, fi.FANOUT_IP, 80) as c:
        c.send(ht.request("GET", "/get", host="health.test"))
        r = c.read_response()
        fi.check_eq((r.status, r.body), (200, b"testapp1"), "GET after a reset")
    p = fo.stats()["proxy"]
    fi.check(p["upstream_retries"] >= 1 and p["upstream_resets"] + p["upstream_connect_failed"] >= 1,
             "no retry counted: %r" % {k: v for k, v in p.items() if "upstream" in k})

    # 3. POST with a body: not replayed
    before = len(replicas[0].request_paths())
    with ht.HttpConn(ns, fi.FANOUT_IP, 80) as c:
        c.send(ht.request("POST", "/post", host="health.test", body=b"x" * 1000))
        r = c.read_response()
        fi.check_eq(r.status, 502, "POST with a body after a reset (body %r)" % r.body[:120])
    time.sleep(0.5)
    paths = replicas[0].request_paths()[before:]
    fi.check("/upload" not in paths, "the POST was replayed to testapp1: %r" % paths)

    # 1. one of three killed under load
    wrk = subprocess.Popen(ns.argv(["wrk", "-t1", "-c32", "-d6s", "--timeout", "5s",
                                    "http://%s/x" % fi.FANOUT_IP]),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2)
    replicas[1].stop(fast=True)
    fi.log("testapp2 killed")
    out, err = wrk.communicate(timeout=70)
    fi.check_eq(wrk.returncode, 0, "wrk exit status (%s)" % err)
    fi.log("wrk while a replica died:\n" + out)
    p = fo.stats()["proxy"]
    fi.log("during the kill: " + ", ".join("%s %d" % (k, p[k]) for k in (
        "client_aborts", "client_resets", "upstream_resets", "upstream_connect_failed",
        "upstream_retries", "retries_budget_exhausted", "gen_502", "gen_503", "gen_504")))
    m = re.search(r"(\d+) requests in", out)
    fi.check(m is not None and int(m.group(1)) > 1000, "wrk made too few requests:\n" + out)
    p = fo.stats()["proxy"]
    # SIGKILL: a response the replica had begun (its head already forwarded)
    # cannot be finished by anyone; fanout resets that client (client_aborts),
    # as any proxy must. Every other request succeeds.
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errs = [int(x) for x in m.groups()] if m else [0, 0, 0, 0]
    fi.check("Non-2xx" not in out and errs[0] == errs[2] == errs[3] == 0 and
             errs[1] <= p["client_aborts"] <= 2,
             "wrk saw failed requests when a replica died (client_aborts %d):\n%s"
             % (p["client_aborts"], out))
    ej = [u for u in json.loads(fi.fanoutctl(fo.prefix, "--json", "upstreams").stdout)
          if u["upstream"] == "app" and u["ejections"] >= 1]
    fi.check([u["server"] for u in ej] == [IPS[1] + ":8000"],
             "the dead replica (only) was ejected: %r" % ej)
    fi.check(p["upstream_connect_failed"] < 200,
             "fanout kept connecting to the dead replica: %d refused connects"
             % p["upstream_connect_failed"])

    # started again: back in rotation after its fail_timeout (2 s, doubled per ejection)
    ht.start_backends(ns, "testapp", [IPS[1]], names=["testapp2"])
    deadline = time.monotonic() + 20
    seen = set()
    while time.monotonic() < deadline and "testapp2" not in seen:
        with ht.HttpConn(ns, fi.FANOUT_IP, 80) as c:
            for _ in range(6):
                c.send(ht.request("GET", "/x", host="health.test"))
                r = c.read_response()
                fi.check_eq(r.status, 200, "request while the replica comes back")
                seen.add(r.body.decode())
        time.sleep(0.5)
    fi.check("testapp2" in seen, "the restarted replica got no traffic back: %r" % seen)
    # 4. drain: the request in flight finishes, no new one
    slow = ht.HttpConn(ns, fi.FANOUT_IP, 80, timeout=15.0)
    slow.send(ht.request("GET", "/sleep?s=2", host="health.test"))
    time.sleep(0.3)  # on its way to testapp3 (the slow upstream's first server)
    r = fi.fanoutctl(fo.prefix, "drain", "198.18.0.13:8000")
    fi.check(r.returncode == 0 and "generation" in r.stdout, "fanoutctl drain: %r %r"
             % (r.stdout, r.stderr))
    with ht.HttpConn(ns, fi.FANOUT_IP, 80) as c:
        for _ in range(9):
            c.send(ht.request("GET", "/x", host="health.test"))
            r = c.read_response()
            fi.check(r.status == 200 and r.body != b"testapp3",
                     "a drained server got a new request: %d %r" % (r.status, r.body))
    r = slow.read_response()
    slow.close()
    fi.check_eq((r.status, r.body), (200, b"slept 2"), "the request in flight on the drained server")
    ups = json.loads(fi.fanoutctl(fo.prefix, "--json", "upstreams").stdout)
    fi.check(all(u["drained"] == (u["server"] == "198.18.0.13:8000") for u in ups),
             "fanoutctl upstreams after the drain: %r" % ups)
    r = fi.fanoutctl(fo.prefix, "undrain", "198.18.0.13:8000")
    fi.check_eq(r.returncode, 0, "fanoutctl undrain")
    with ht.HttpConn(ns, fi.FANOUT_IP, 80) as c:
        seen = set()
        for _ in range(9):
            c.send(ht.request("GET", "/x", host="health.test"))
            seen.add(c.read_response().body)
        fi.check(b"testapp3" in seen, "undrained server got nothing: %r" % seen)
    r = fi.fanoutctl(fo.prefix, "drain", "198.18.0.99:80")
    fi.check(r.returncode == 1 and "no server 198.18.0.99:80" in r.stderr,
             "draining an unknown server: %d %r" % (r.returncode, r.stderr))

    st = fo.stop()
    fi.check_eq(st["proxy.gen_504"], 0, "504 made")
    fi.check(st["health.ejections"] >= 1, "no ejection counted")
    fi.log("retries %d, ejections %d, ejected skips %d, budget exhausted %d" % (
        st["proxy.upstream_retries"], st["health.ejections"],
        st["proxy.upstream_ejected_skips"], st["proxy.retries_budget_exhausted"]))


if __name__ == "__main__":
    fi.run(main)
