#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Cold start: the slowest request and p99 of a load started the moment a
proxy answers, over several fresh starts, fanout next to nginx.

Not a test (nothing passes or fails on numbers); scripts/bench runs it.

One namespace, nginx backends on the seed's six addresses (as
http_bench.py), and for each round, alternately:

  fanout   a fresh fanout (config/fanout.conf, one worker on the first CPU,
           busy polling) that has never talked to the backends: as soon as
           it prints "ready" (and the kernel side of its NIC is up), wrk
           -t1 -c32 -d2s --latency on /test02; then fanout stops and its
           counters are read (tcp.retransmits, drop.neigh_queue_full,
           tcp.neigh_resends)
  nginx    a fresh nginx rendered as ingress-nginx would (one worker on the
           same CPU), loaded the same way as soon as it accepts

Reported per target: the slowest request of each round (wrk's Max) and
the p99 (wrk's latency distribution, which corrects for coordinated
omission), as median [min-max] over the rounds, and how many rounds had a
request of 1 s or more (a request that waited for a 1 s retransmission
timeout).

    cold_bench.py [--rounds 5] [--duration 2] [--conns 32] [--path /test02]
                  [--json FILE]
"""

import argparse
import json
import os
import re
import statistics
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integ"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fo_integ as fi  # noqa: E402
import http_tools as ht  # noqa: E402
import http_bench as hb  # noqa: E402


def wrk_cold(ns, url, a, cpus):
    """One wrk run right away; dict(rps, p99, max, requests, non2xx, sock_errors)."""
    pin = ["taskset", "-c", cpus["wrk"]] if cpus["wrk"] else []
    argv = pin + ["wrk", "-t1", "-c", str(a.conns), "-d", "%ds" % a.duration,
                  "--timeout", "5s", "--latency", url]
    r = ns.run(argv, timeout=a.duration + 60, check_rc=False)
    fi.check(r.returncode == 0, "wrk exit %d: %s %s" % (r.returncode, r.stdout, r.stderr))
    w = hb.parse_wrk(r.stdout)
    m = re.search(r"^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)", r.stdout, re.M)
    fi.check(m is not None, "no latency line in wrk output:\n" + r.stdout)
    w["max"] = hb.parse_latency(m.group(3))
    return w


def round_fanout(ns, a, cpus):
    fo = ns.start_fanout(conf=hb.SEED_CONF, lcores=cpus["proxy"], idle_sleep=None)
    w = wrk_cold(ns, "http://%s%s" % (fi.FANOUT_IP, a.path), a, cpus)
    st = fo.stop()
    w.update({k: st.get(k, 0) for k in ("tcp.retransmits", "tcp.neigh_resends",
                                       "drop.neigh_queue_full", "neigh_resolve")})
    return w


def round_nginx(ns, a, cpus, n):
    ngx = ht.start_nginx_ingress(ns, workers=1, access_log=False, cpus=cpus["proxy"],
                                 name="nginx-cold-%d" % n)
    try:
        return wrk_cold(ns, "http://%s%s" % (ht.NGINX_IP, a.path), a, cpus)
    finally:
        ngx.stop()


def fmt(v, scale=1e3, f="%.2f"):
    v = [x * scale for x in v]
    return (f + " [" + f + "-" + f + "]") % (statistics.median(v), min(v), max(v))


def report(out, a):
    print()
    print("Cold start: wrk -t1 -c%d -d%ds --latency %s started the moment the proxy answers, "
          "%d fresh starts each (median [min-max])" % (a.conns, a.duration, a.path, a.rounds))
    print("%-8s %28s %26s %12s %10s %8s" % ("target", "slowest request ms", "p99 ms",
                                            "rounds >=1s", "requests/s", "errors"))
    for target, rows in out.items():
        good = [r for r in rows if "failed" not in r]
        if not good:
            print("%-8s %s" % (target, rows[0]["failed"][:150] if rows else "no runs"))
            continue
        print("%-8s %28s %26s %12s %10.0f %8d" % (
            target, fmt([r["max"] for r in good]), fmt([r["p99"] for r in good if r["p99"]]),
            "%d/%d" % (sum(r["max"] >= 1.0 for r in good), len(good)),
            statistics.median(r["rps"] for r in good),
            sum(r["non2xx"] + r["sock_errors"] for r in good)))
    fo = [r for r in out.get("fanout", []) if "failed" not in r]
    if fo:
        print("fanout per round: tcp.retransmits %s, drop.neigh_queue_full %s, "
              "tcp.neigh_resends %s, next hops resolved ahead %s" % tuple(
                  [r[k] for r in fo] for k in ("tcp.retransmits", "drop.neigh_queue_full",
                                               "tcp.neigh_resends", "neigh_resolve")))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--duration", type=int, default=2)
    p.add_argument("--conns", type=int, default=32)
    p.add_argument("--path", default="/test02")
    p.add_argument("--json", help="write the raw numbers here")
    a = p.parse_args()
    if not 1 <= a.rounds <= 20 or not 1 <= a.duration <= 30:
        p.error("--rounds 1..20 and --duration 1..30 (every load is bounded)")
    fi.require_root()
    fi.clean_stale()
    t = fi.Test("cold_bench")
    cpus = hb.pick_cpus()
    out = {"fanout": [], "nginx": []}
    ok = False
    try:
        ns = t.netns("coldbench")
        ht.start_nginx_backend(ns, hb.BACKEND_IPS, cpus=cpus["backend"])
        for n in range(a.rounds):
            for target in ("fanout", "nginx"):
                try:
                    r = round_fanout(ns, a, cpus) if target == "fanout" else \
                        round_nginx(ns, a, cpus, n)
                except fi.Failure as e:
                    r = {"failed": str(e)}
                out[target].append(r)
                if "failed" in r:
                    fi.log("%s round %d: %s" % (target, n + 1, r["failed"][:200]))
                else:
                    fi.log("%s round %d: slowest %.2f ms, p99 %.2f ms, %.0f req/s" % (
                        target, n + 1, r["max"] * 1e3, (r["p99"] or 0) * 1e3, r["rps"]))
        ok = True
    except fi.Failure as e:
        print("cold_bench: %s" % e, flush=True)
    finally:
        fi.cleanup_all()
    report(out, a)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
