#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Cold paths end to end: no request waits for a one-second timer.

fanout on net_tap in a namespace, three testapp replicas (gunicorn) on
198.18.0.11-13:8000 that fanout has never talked to, and one more server
address (198.18.0.19) where no host answers ARP.

 1. fresh start: as soon as fanout is up, wrk -c64 for 1 s (64 requests
    arrive at once, then keep coming), then 64 more client connections send
    their request at the same instant; every request gets its 200, all
    three replicas serve some, and fanout neither retransmitted a segment
    nor dropped one waiting for ARP (tcp.retransmits, drop.neigh_queue_full
    and drop.neigh_unreachable stay 0): the replicas' next hops were
    resolved before traffic, and a first wave of SYNs would have been
    queued (bounded in bytes), not dropped. (Before this was built, the
    same start lost 12-26 SYNs to the 4-packet ARP queue, and each waited
    for the 1 s initial RTO.)
 2. the replicas' host moves to another MAC (the kernel side's interface
    gets a new address with arp_notify on, as a rescheduled pod or a
    failover announces itself): requests on pooled upstream connections and
    on new ones all succeed well inside their timeouts, and fanout counts
    the change (neigh_changed) and asked the other addresses behind the old
    MAC again;
 3. the server that answers no ARP is reported (the log line,
    `fanoutctl upstreams` (table and --json) and /fanout/upstreams
    "unresolved", `fanoutctl status`, endpoints.unresolved 1 at exit) and
    passed over: requests to its upstream all go to the other server, none
    fails (proxy.upstream_unresolved counts the choices passed over).
"""

import json
import re
import threading
import time

import fo_integ as fi
import http_tools as ht

IPS = ["198.18.0.11", "198.18.0.12", "198.18.0.13"]
SILENT = "198.18.0.19"  # no host: ARP for it goes unanswered
N_CONC = 64

CONF = """# written by tests/integ/test_http_cold.py
interface net_tap0 {
    address 198.18.0.1/24;
}
listen 198.18.0.1:80;

upstream three {
    server 198.18.0.11:8000;
    server 198.18.0.12:8000;
    server 198.18.0.13:8000;
}
upstream half-silent {
    server %(silent)s:8000;
    server 198.18.0.11:8000;
    connect_timeout 3s;
}
route prefix /half { upstream half-silent; rewrite /who; }
route prefix / { upstream three; rewrite /who; }
""" % {"silent": SILENT}


def get(conn, path):
    conn.send(ht.request("GET", path, host="cold.test"))
    return conn.read_response()


def burst(ns, n, path):
    """@n connections, then one request each sent at the same instant. Returns responses."""
    conns = [ht.HttpConn(ns, fi.FANOUT_IP, 80, timeout=10.0) for _ in range(n)]
    barrier = threading.Barrier(n)
    results = [None] * n

    def one(i):
        try:
            barrier.wait(timeout=10)
            results[i] = get(conns[i], "/x")
        except Exception as e:  # reported below, with the others
            results[i] = e

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    for c in conns:
        c.close()
    bad = [(i, r) for i, r in enumerate(results) if not isinstance(r, ht.Response) or r.status != 200]
    fi.check(not bad, "%d of %d concurrent requests failed: %r" % (len(bad), n, bad[:5]))
    return results


def tcp_and_net(fo):
    s = fo.stats()
    return s, s["tcp"]


def main(t):
    ns = t.netns()
    replicas = ht.start_backends(ns, "testapp", IPS)
    fo = ns.start_fanout(CONF)

    # 1. fresh start: wrk at once, then 64 requests at the same instant
    r = ns.run(["wrk", "-t1", "-c%d" % N_CONC, "-d1s", "--timeout", "5s",
                "http://%s/x" % fi.FANOUT_IP], timeout=60, check_rc=False)
    fi.check(r.returncode == 0, "wrk exit %d: %s %s" % (r.returncode, r.stdout, r.stderr))
    m = re.search(r"(\d+) requests in", r.stdout)
    fi.check(m is not None and int(m.group(1)) >= N_CONC, "wrk on a fresh fanout:\n" + r.stdout)
    fi.check("Non-2xx" not in r.stdout and "Socket errors" not in r.stdout,
             "wrk on a fresh fanout saw errors:\n" + r.stdout)
    fi.log("wrk -c%d on a fresh fanout: %s requests, all 200" % (N_CONC, m.group(1)))
    t0 = time.monotonic()
    results = burst(ns, N_CONC, "/x")
    fi.log("%d concurrent requests on a fresh fanout answered in %.3f s"
           % (N_CONC, time.monotonic() - t0))
    names = {r.body.decode() for r in results}
    fi.check(names == {"testapp1", "testapp2", "testapp3"},
             "replicas that answered: %r" % (names,))
    s, tcp = tcp_and_net(fo)
    fi.check(tcp["retransmits"] == 0, "tcp.retransmits %d after a fresh start" % tcp["retransmits"])
    fi.check(s["drop"]["neigh_queue_full"] == 0 and s["drop"]["neigh_unreachable"] == 0,
             "frames lost to ARP on a fresh start: %r" % (s["drop"],))
    fi.check(s["neigh_resolve"] >= len(IPS) + 1,
             "next hops resolved ahead of traffic: %d" % s["neigh_resolve"])

    # 2. the replicas' host moves to another MAC
    with ht.HttpConn(ns, fi.FANOUT_IP, 80) as ka:
        fi.check(get(ka, "/x").status == 200, "keep-alive request before the move")
        old_mac = ns.link_mac()
        ns.run(["sysctl", "-q", "-w", "net.ipv4.conf.%s.arp_notify=1" % fi.TAP])
        new_mac = "02:00:5e:10:00:%02x" % (int(old_mac.split(":")[-1], 16) ^ 0x5a)
        ns.run(["ip", "link", "set", "dev", fi.TAP, "address", new_mac])
        fi.log("kernel side %s moved from %s to %s" % (fi.TAP, old_mac, new_mac))
        t0 = time.monotonic()
        for i in range(30):
            r = get(ka, "/x")
            fi.check(r.status == 200, "keep-alive request %d after the move: %d" % (i, r.status))
        for i in range(10):
            with ht.HttpConn(ns, fi.FANOUT_IP, 80, timeout=5.0) as c:
                r = get(c, "/x")
                fi.check(r.status == 200, "new connection %d after the move: %d" % (i, r.status))
        fi.log("40 requests after the move in %.3f s" % (time.monotonic() - t0))
    s2, tcp2 = tcp_and_net(fo)
    fi.check(s2["neigh_changed"] >= 1, "fanout saw no MAC change: %r" % s2["neigh_changed"])
    fi.check(s2["neigh_suspect"] >= 1,
             "the other addresses behind the old MAC were not asked again")
    fi.check(tcp2["timeouts"] == 0, "connections timed out after the move")

    # 3. the server that answers no ARP: resolution fails after 6.2 s, then reported
    def silent_state():
        ups = fo.query("/fanout/upstreams")
        for k, e in ups.items():
            if isinstance(e, dict) and e.get("server") == "%s:8000" % SILENT:
                return e["state"]
        raise fi.Failure("/fanout/upstreams lacks %s: %r" % (SILENT, ups))

    fi.wait_for(lambda: silent_state() == "unresolved", 15, "%s reported unresolved" % SILENT)
    ups = fi.wait_for(lambda: (lambda u: u if u["unresolved"] == 1 else None)(
        fo.query("/fanout/upstreams")), 2, "the control thread's count of unresolved servers")
    fi.check([e["state"] for k, e in sorted(ups.items()) if isinstance(e, dict)
              and e["server"].startswith("198.18.0.1") and not e["server"].startswith(SILENT)]
             == ["reachable"] * 4, "the replicas' states: %r" % (ups,))
    # the operator's view: fanoutctl upstreams (control socket), table and JSON
    r = fi.fanoutctl(fo.prefix, "upstreams")
    fi.check(r.returncode == 0, "fanoutctl upstreams: %d %s" % (r.returncode, r.stderr))
    row = [ln.split() for ln in r.stdout.splitlines() if "%s:8000" % SILENT in ln]
    # UPSTREAM SERVER WEIGHT DRAINED HEALTH ACTIVE IDLE REQUESTS FAILS CHECK NEXT-HOP STATE
    fi.check(len(row) == 1 and len(row[0]) == 12 and
             row[0][:5] + row[0][9:] == ["half-silent", "%s:8000" % SILENT, "1", "no", "up", "-",
                                        SILENT, "unresolved"],
             "fanoutctl upstreams:\n" + r.stdout)
    r = fi.fanoutctl(fo.prefix, "--json", "upstreams")
    rows = json.loads(r.stdout)
    keys = ("upstream", "server", "weight", "drained", "health", "next_hop", "state")
    fi.check(len(rows) == 5 and sum(x["state"] == "reachable" for x in rows) == 4 and
             {"upstream": "half-silent", "server": "%s:8000" % SILENT, "weight": 1,
              "drained": False, "health": "up", "next_hop": SILENT, "state": "unresolved"}
             in [{k: x[k] for k in keys} for x in rows],
             "fanoutctl --json upstreams: %r" % rows)
    r = fi.fanoutctl(fo.prefix, "status")
    fi.check(r.returncode == 0 and r.stdout.startswith("fanout ") and
             "upstream servers whose next hop does not answer ARP: 1" in r.stdout,
             "fanoutctl status:\n%s%s" % (r.stdout, r.stderr))
    st = json.loads(fi.fanoutctl(fo.prefix, "status", "--json").stdout)
    fi.check(st["workers"] == 1 and st["endpoints_unresolved"] == 1 and st["requests"] > N_CONC,
             "fanoutctl status --json: %r" % st)
    r = fi.fanoutctl(fo.prefix, "upstreams", "extra")
    fi.check(r.returncode == 2 and "usage: upstreams" in r.stderr,
             "fanoutctl upstreams extra: %d %r" % (r.returncode, r.stderr))
    r = fi.fanoutctl(fo.prefix + "-nobody", "status")
    fi.check(r.returncode == 1 and "fanout is not running" in r.stderr,
             "fanoutctl with no fanout: %d %r" % (r.returncode, r.stderr))

    time.sleep(1.2)  # one proxy sweep (every second) flags it on the worker too
    with ht.HttpConn(ns, fi.FANOUT_IP, 80) as c:
        for i in range(20):
            r = get(c, "/half")
            fi.check(r.status == 200 and r.body == b"testapp1",
                     "request %d to the half-silent upstream: %d %r" % (i, r.status, r.body))

    st = fo.stop()
    fi.check(st["endpoints.unresolved"] == 1, "endpoints.unresolved %d" % st["endpoints.unresolved"])
    fi.check(st["endpoints.unresolved_events"] == 1,
             "endpoints.unresolved_events %d" % st["endpoints.unresolved_events"])
    fi.check(st["proxy.upstream_unresolved"] >= 10,
             "choices passed over: %d" % st["proxy.upstream_unresolved"])
    fi.check(st["proxy.gen_502"] == 0 and st["proxy.gen_504"] == 0,
             "502/504 made: %d/%d" % (st["proxy.gen_502"], st["proxy.gen_504"]))
    err = fo.proc.err()
    fi.check("server %s:8000: next hop %s does not answer ARP" % (SILENT, SILENT) in err,
             "no log line for the silent server")


if __name__ == "__main__":
    fi.run(main)
