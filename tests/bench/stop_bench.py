#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A backend stopped under load: failed requests and p99 through fanout and
through nginx rendered as ingress-nginx, side by side.

Not a test (nothing passes or fails on numbers); scripts/bench runs it.

One namespace, the seed's three flask-service replicas (gunicorn + Flask)
and its three django-service replicas, the proxy in front (fanout with
config/fanout.conf, one worker on the first CPU, busy polling; or nginx as
ingress-nginx, one worker on the same CPU). For each round and target:
wrk -t1 -c32 -d<duration>s --latency on /test02; after a third of the run
one flask replica is stopped (SIGTERM, as Kubernetes stops a pod; or
SIGKILL with --kill, a crash); after the run it is started again.

Reported per target: wrk's requests, failed requests (non-2xx + socket
errors) and p99, median [min-max] over the rounds; for fanout also its
retries, refused connects and health events.

    stop_bench.py [--rounds 3] [--duration 9] [--conns 32] [--kill] [--json FILE]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integ"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fo_integ as fi  # noqa: E402
import http_tools as ht  # noqa: E402
import http_bench as hb  # noqa: E402

PATH = "/test02"


def under_stop(ns, url, a, cpus, replica):
    """wrk on @url; @replica stopped a third of the way in. dict(rps, p99, requests, ...)."""
    pin = ["taskset", "-c", cpus["wrk"]] if cpus["wrk"] else []
    argv = pin + ["wrk", "-t1", "-c", str(a.conns), "-d", "%ds" % a.duration,
                  "--timeout", "5s", "--latency", url]
    wrk = subprocess.Popen(ns.argv(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    time.sleep(a.duration / 3.0)
    replica.stop(fast=a.kill)
    out, err = wrk.communicate(timeout=a.duration + 60)
    fi.check(wrk.returncode == 0, "wrk exit %d: %s %s" % (wrk.returncode, out, err))
    return hb.parse_wrk(out)


def fmt(v, scale=1.0, f="%.0f"):
    v = [x * scale for x in v]
    return (f + " [" + f + "-" + f + "]") % (statistics.median(v), min(v), max(v))


def report(out, a):
    print()
    print("A flask-service replica %s a third into wrk -t1 -c%d -d%ds --latency %s, "
          "%d rounds each (median [min-max])" % ("killed (SIGKILL)" if a.kill else
                                                 "stopped (SIGTERM)", a.conns, a.duration,
                                                 PATH, a.rounds))
    print("%-8s %22s %22s %24s" % ("target", "requests", "failed", "p99 ms"))
    for target, rows in out.items():
        good = [r for r in rows if "failed" not in r]
        if not good:
            print("%-8s %s" % (target, rows[0]["failed"][:150] if rows else "no runs"))
            continue
        print("%-8s %22s %22s %24s" % (
            target, fmt([r["requests"] for r in good]),
            fmt([r["non2xx"] + r["sock_errors"] for r in good]),
            fmt([r["p99"] for r in good if r["p99"]], 1e3, "%.1f")))
    fo = [r for r in out.get("fanout", []) if "failed" not in r]
    if fo:
        print("fanout per round: " + "; ".join(
            "retries %d, refused connects %d, ejections %d, client resets of begun responses %d"
            % (r["proxy.upstream_retries"], r["proxy.upstream_connect_failed"],
               r["health.ejections"], r["proxy.client_aborts"]) for r in fo))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=int, default=9)
    p.add_argument("--conns", type=int, default=32)
    p.add_argument("--kill", action="store_true", help="SIGKILL instead of SIGTERM")
    p.add_argument("--json", help="write the raw numbers here")
    a = p.parse_args()
    if not 1 <= a.rounds <= 10 or not 3 <= a.duration <= 60:
        p.error("--rounds 1..10 and --duration 3..60 (every load is bounded)")
    fi.require_root()
    fi.clean_stale()
    t = fi.Test("stop_bench")
    cpus = hb.pick_cpus()
    out = {"fanout": [], "nginx": []}
    ok = False
    try:
        ns = t.netns("stopbench")
        ht.start_backends(ns, "django", ht.DJANGO_IPS, cpus=cpus["backend"])
        flask = list(ht.start_backends(ns, "flask", ht.FLASK_IPS, cpus=cpus["backend"]))
        for n in range(a.rounds):
            for target in ("fanout", "nginx"):
                victim = flask[n % len(flask)]
                try:
                    if target == "fanout":
                        fo = ns.start_fanout(conf=hb.SEED_CONF, lcores=cpus["proxy"],
                                             idle_sleep=None)
                        try:
                            r = under_stop(ns, "http://%s%s" % (fi.FANOUT_IP, PATH), a, cpus,
                                           victim)
                        finally:
                            st = fo.stop()
                        r.update({k: st.get(k, 0) for k in (
                            "proxy.upstream_retries", "proxy.upstream_connect_failed",
                            "health.ejections", "proxy.client_aborts")})
                    else:
                        ngx = ht.start_nginx_ingress(ns, workers=1, access_log=False,
                                                     cpus=cpus["proxy"],
                                                     name="nginx-stop-%d" % n)
                        try:
                            r = under_stop(ns, "http://%s%s" % (ht.NGINX_IP, PATH), a, cpus,
                                           victim)
                        finally:
                            ngx.stop()
                except fi.Failure as e:
                    r = {"failed": str(e)}
                out[target].append(r)
                if "failed" in r:
                    fi.log("%s round %d: %s" % (target, n + 1, r["failed"][:200]))
                else:
                    fi.log("%s round %d: %d requests, %d failed, p99 %.1f ms" % (
                        target, n + 1, r["requests"], r["non2xx"] + r["sock_errors"],
                        (r["p99"] or 0) * 1e3))
                # the replica back for the next run
                i = flask.index(victim)
                flask[i] = ht.start_backends(ns, "flask", [victim.ip], names=[victim.name],
                                             cpus=cpus["backend"])[0]
        ok = True
    except fi.Failure as e:
        print("stop_bench: %s" % e, flush=True)
    finally:
        fi.cleanup_all()
    report(out, a)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
