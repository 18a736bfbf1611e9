#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""HTTP through the seed's Ingress: fanout vs nginx rendered as ingress-nginx, one run.

Not a test (nothing passes or fails on numbers); scripts/bench runs it.

One namespace, the seed's backend addresses (198.18.0.11-13 and .21-23,
port 8000, /32 on lo as in tests/integ/http_tools.py), and wrk (HTTP/1.1
keep-alive, --latency) from the kernel side against, in turn:

  fanout     fanout at 198.18.0.1:80 on net_tap with config/fanout.conf (one
             worker on the first CPU, busy polling)
  nginx      nginx as ingress-nginx would render the Ingress
             (tests/bench/nginx-ingress.conf.in: keepalive 320 upstream
             connections, the same regex routes and /$2 rewrite, access log
             off), one worker pinned to the same CPU, at 198.18.0.3:80
  direct     wrk straight to one backend (198.18.0.21:8000/): the backends'
             ceiling, so one can tell whether a proxy or the backend limits

The proxies run one at a time, each alone on its CPU; wrk and the backends
share the other CPUs. Backends (--backend):

  nginx      nginx answering "hello world!" on all six addresses (one worker):
             cheap, so the proxy is the bottleneck (the default)
  flask      the seed's Flask app: gunicorn, 3 replicas per service, gthread
             (what the demo runs; the backend is then the bottleneck)

Reported per target: requests/s and p99 latency (median over --reps runs of
--duration s, [min-max]), responses other than 2xx/3xx, socket errors, and
CPU per request: fanout's worker busy cycles (its TSC accounting: time in
loop iterations that did work, the tap's syscalls included) divided by the
requests wrk completed; nginx's utime+stime (/proc, master + workers: the
kernel's TCP work on its client and upstream sockets included) divided by
the requests, in CPU-µs, and in cycles at the TSC rate fanout measured (or
/proc/cpuinfo's MHz when fanout did not run). Then the ratios fanout/nginx.

If fanout does not answer GET /test02 with 200 "hello world!" (e.g. the
proxy is not built yet) the report says "fanout: not serving HTTP" and the
other targets still run.

    http_bench.py [--duration 10] [--reps 3] [--conns 32] [--threads 1]
                  [--path /test02] [--backend nginx|flask|both]
                  [--targets fanout,nginx,direct] [--fanout-conf FILE] [--json FILE]
"""

import argparse
import json
import os
import re
import statistics
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integ"))
import fo_integ as fi  # noqa: E402
import http_tools as ht  # noqa: E402

SEED_CONF = os.path.join(fi.SRC_DIR, "config", "fanout.conf")
BACKEND_IPS = ht.DJANGO_IPS + ht.FLASK_IPS
CLK_TCK = os.sysconf("SC_CLK_TCK")


def parse_latency(s):
    """wrk's '1.23ms' / '456.00us' / '1.20s' / '2.00m' -> seconds."""
    m = re.match(r"^([0-9.]+)(us|ms|s|m)$", s)
    fi.check(m is not None, "wrk latency %r" % s)
    return float(m.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[m.group(2)]


def parse_wrk(out):
    """wrk 4.1 output -> dict(rps, p50, p99, requests, non2xx, sock_errors)."""
    r = {}
    m = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    fi.check(m is not None, "no Requests/sec in wrk output:\n" + out)
    r["rps"] = float(m.group(1))
    m = re.search(r"(\d+) requests in ([0-9.]+)(\w+),", out)
    r["requests"] = int(m.group(1)) if m else 0
    for pct in ("50", "99"):
        m = re.search(r"^\s+%s%%\s+(\S+)" % pct, out, re.M)
        r["p" + pct] = parse_latency(m.group(1)) if m else None
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    r["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    r["sock_errors"] = sum(int(x) for x in m.groups()) if m else 0
    return r


def run_wrk(ns, url, a, cpus, duration):
    pin = ["taskset", "-c", cpus] if cpus else []
    argv = pin + ["wrk", "-t", str(a.threads), "-c", str(a.conns), "-d", "%ds" % duration,
                  "--timeout", "5s", "--latency", url]
    r = ns.run(argv, timeout=duration + 60, check_rc=False)
    fi.check(r.returncode == 0, "wrk exit %d: %s %s" % (r.returncode, r.stdout, r.stderr))
    return parse_wrk(r.stdout)


def cpu_mhz():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("cpu MHz"):
                    return float(line.split(":")[1])
    except (OSError, ValueError):
        pass
    return None


def fanout_cycles(fo):
    s = fo.stats()
    w = s["workers"].values()
    return sum(x["busy_cycles"] for x in w), sum(x["idle_cycles"] for x in w)


def serves(ns, ip, port, path):
    """True if GET @path answers 200 "hello world!" (the seed's Flask answer, or nginx's)."""
    try:
        r = ht.get(ns, ip, port, path, timeout=5)
    except (OSError, ht.HttpError) as e:
        fi.log("GET http://%s:%d%s: %s" % (ip, port, path, e))
        return False
    fi.log("GET http://%s:%d%s: %d %r" % (ip, port, path, r.status, r.body[:60]))
    return r.status == 200 and r.body == ht.FLASK_HELLO


def measure(ns, name, url, a, cpus, counters):
    """Warm up, then a.reps wrk runs; counters() -> (cpu_value, tsc_cycles or None) around each."""
    rows = []
    try:
        run_wrk(ns, url, a, cpus["wrk"], 2)  # warm-up: connections, pools, caches
    except fi.Failure as e:
        return [{"failed": str(e)}]
    for rep in range(a.reps):
        c0 = counters()
        t0 = time.monotonic()
        try:
            w = run_wrk(ns, url, a, cpus["wrk"], a.duration)
        except fi.Failure as e:
            rows.append({"failed": str(e)})
            break
        wall = time.monotonic() - t0
        c1 = counters()
        row = dict(w, wall=wall)
        if c0 is not None:
            row.update({k: c1[k] - c0[k] for k in c0})
        rows.append(row)
        fi.log("%s #%d: %.0f req/s, p99 %.2f ms, %d non-2xx, %d socket errors" % (
            name, rep + 1, w["rps"], (w["p99"] or 0) * 1e3, w["non2xx"], w["sock_errors"]))
    return rows


def bench_backend(t, a, backend, cpus, out):
    ns = t.netns("httpbench")
    if backend == "nginx":
        ht.start_nginx_backend(ns, BACKEND_IPS, cpus=cpus["backend"])
    else:
        ht.start_backends(ns, "django", ht.DJANGO_IPS, cpus=cpus["backend"])
        ht.start_backends(ns, "flask", ht.FLASK_IPS, cpus=cpus["backend"])
    tsc_hz = None

    for target in a.targets.split(","):
        key = (target, backend)
        if target == "direct":
            url = "http://%s:%d/" % (ht.FLASK_IPS[0], ht.BACKEND_PORT)
            out[key] = measure(ns, "direct/" + backend, url, a, cpus, lambda: None)
        elif target == "nginx":
            ngx = ht.start_nginx_ingress(ns, workers=1, access_log=False, cpus=cpus["proxy"],
                                         name="nginx-ingress-" + backend)
            if not serves(ns, ht.NGINX_IP, 80, a.path):
                out[key] = [{"failed": "nginx does not answer %s with hello world!" % a.path}]
            else:
                url = "http://%s%s" % (ht.NGINX_IP, a.path)
                out[key] = measure(ns, "nginx/" + backend, url, a, cpus,
                                   lambda: {"cpu_ticks": ngx.cpu_ticks()})
            ngx.stop()
        elif target == "fanout":
            try:
                fo = ns.start_fanout(conf=a.fanout_conf, lcores=cpus["proxy"], idle_sleep=None)
            except fi.Failure as e:
                print("fanout: not serving HTTP (it did not start: %s); skipping fanout" % e,
                      flush=True)
                out[key] = [{"failed": "fanout: not serving HTTP (did not start: %s)"
                             % str(e)[:200]}]
                continue
            if not serves(ns, fi.FANOUT_IP, 80, a.path):
                print("fanout: not serving HTTP (GET %s on %s:80 did not answer 200 "
                      "\"hello world!\"); skipping fanout" % (a.path, fi.FANOUT_IP), flush=True)
                out[key] = [{"failed": "fanout: not serving HTTP"}]
            else:
                def counters():
                    b, i = fanout_cycles(fo)
                    return {"busy": b, "poll": b + i, "t": time.monotonic()}
                url = "http://%s%s" % (fi.FANOUT_IP, a.path)
                out[key] = measure(ns, "fanout/" + backend, url, a, cpus, counters)
                good = [r for r in out[key] if "poll" in r]
                if good:
                    # every cycle of a polling worker is busy or idle: their sum over wall
                    # time is the TSC rate
                    tsc_hz = statistics.median(r["poll"] / r["t"] for r in good if r["t"] > 0)
            fo.stop()
        else:
            raise fi.Failure("unknown target %r" % target)
    ns.close()
    return tsc_hz


def summarize(rows, tsc_hz):
    good = [r for r in rows if "failed" not in r]
    if not good:
        return None
    s = {"n": len(good), "rps": [r["rps"] for r in good],
         "p99": [r["p99"] for r in good if r["p99"] is not None],
         "non2xx": sum(r["non2xx"] for r in good),
         "sock_errors": sum(r["sock_errors"] for r in good)}
    reqs = [r["requests"] for r in good]
    if "busy" in good[0]:
        cyc = [r["busy"] / q for r, q in zip(good, reqs) if q]
        s["cycles_per_req"] = statistics.median(cyc) if cyc else None
        s["cpu_us_per_req"] = s["cycles_per_req"] / tsc_hz * 1e6 if tsc_hz and cyc else None
        s["busy_share"] = statistics.median(r["busy"] / r["poll"] for r in good if r["poll"])
    elif "cpu_ticks" in good[0]:
        us = [r["cpu_ticks"] / CLK_TCK * 1e6 / q for r, q in zip(good, reqs) if q]
        s["cpu_us_per_req"] = statistics.median(us) if us else None
        s["cycles_per_req"] = s["cpu_us_per_req"] * tsc_hz / 1e6 if tsc_hz and us else None
        s["cpu_share"] = statistics.median(r["cpu_ticks"] / CLK_TCK / r["wall"] for r in good)
    return s


def fmt_range(v, scale=1.0, f="%.0f"):
    v = [x * scale for x in v]
    return (f + " [" + f + "-" + f + "]") % (statistics.median(v), min(v), max(v))


def print_report(out, a, tsc_hz, tsc_src):
    print()
    print("HTTP/1.1 through the seed's Ingress: wrk -t%d -c%d -d%ds --latency, %d runs per row "
          "(median [min-max]), path %s" % (a.threads, a.conns, a.duration, a.reps, a.path))
    print("%-16s %26s %24s %8s %7s %12s %12s %7s" % (
        "target/backend", "requests/s", "p99 ms", "non-2xx", "errors", "CPU-us/req",
        "cycles/req", "CPU"))
    sums = {}
    for (target, backend), rows in out.items():
        name = "%s/%s" % (target, backend)
        s = summarize(rows, tsc_hz)
        if s is None:
            print("%-16s %s" % (name, rows[0]["failed"][:150].replace("\n", " ") if rows
                                else "no runs"))
            continue
        sums[(target, backend)] = s
        cpu = s.get("busy_share", s.get("cpu_share"))
        print("%-16s %26s %24s %8d %7d %12s %12s %7s" % (
            name, fmt_range(s["rps"]), fmt_range(s["p99"], 1e3, "%.2f") if s["p99"] else "-",
            s["non2xx"], s["sock_errors"],
            "%.1f" % s["cpu_us_per_req"] if s.get("cpu_us_per_req") else "-",
            "%.0f" % s["cycles_per_req"] if s.get("cycles_per_req") else "-",
            "%.0f%%" % (100 * cpu) if cpu is not None else "-"))
    print()
    print("CPU: fanout = worker busy cycles / request (its share of polling time); nginx = "
          "utime+stime of master+worker / request (share of one CPU). cycles <-> us at %s"
          % ("%.0f MHz (%s)" % (tsc_hz / 1e6, tsc_src) if tsc_hz else "unknown TSC rate"))
    for backend in sorted({b for _, b in out}):
        f, n = sums.get(("fanout", backend)), sums.get(("nginx", backend))
        if f and n:
            print("ratio fanout/nginx (%s backend): requests/s %.2f, p99 %.2f, CPU per request %s"
                  % (backend, statistics.median(f["rps"]) / statistics.median(n["rps"]),
                     statistics.median(f["p99"]) / statistics.median(n["p99"]),
                     "%.2f" % (f["cpu_us_per_req"] / n["cpu_us_per_req"])
                     if f.get("cpu_us_per_req") and n.get("cpu_us_per_req") else "-"))
        elif n and ("fanout", backend) in out:
            print("ratio fanout/nginx (%s backend): - (fanout: %s)" % (
                backend, out[("fanout", backend)][0].get("failed", "?")[:100]))


def pick_cpus():
    """proxy: the first CPU alone; wrk: the second; backends: the rest, or the second."""
    cpus = sorted(os.sched_getaffinity(0) | set(fi.ALL_CPUS))
    if len(cpus) == 1:
        c = str(cpus[0])
        return {"proxy": c, "wrk": None, "backend": None}
    rest = cpus[2:] or cpus[1:2]
    return {"proxy": str(cpus[0]), "wrk": str(cpus[1]), "backend": fi.cpulist(rest)}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=int, default=10, help="seconds per wrk run (<= 120)")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--conns", type=int, default=32)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--path", default="/test02")
    p.add_argument("--backend", default="nginx", choices=("nginx", "flask", "both"))
    p.add_argument("--targets", default="fanout,nginx,direct")
    p.add_argument("--fanout-conf", default=SEED_CONF,
                   help="fanout's config (default config/fanout.conf); it must route --path "
                   "to the backends on 198.18.0.1:80")
    p.add_argument("--json", help="write the raw numbers here")
    a = p.parse_args()
    if not 1 <= a.duration <= 120 or not 1 <= a.reps <= 20:
        p.error("--duration 1..120 and --reps 1..20 (every load is bounded)")
    fi.require_root()
    fi.clean_stale()
    t = fi.Test("http_bench")
    cpus = pick_cpus()
    fi.log("CPUs: proxy %s, wrk %s, backends %s" % (cpus["proxy"], cpus["wrk"], cpus["backend"]))
    out = {}
    tsc_hz = None
    ok = False
    try:
        for backend in (("nginx", "flask") if a.backend == "both" else (a.backend,)):
            hz = bench_backend(t, a, backend, cpus, out)
            tsc_hz = tsc_hz or hz
        ok = True
    except fi.Failure as e:
        print("http_bench: %s" % e, flush=True)
    finally:
        if not ok:
            for fo in t.fanouts():
                if fo.proc is not None:
                    fo.proc.dump()
        fi.cleanup_all()
    tsc_src = "fanout's busy+idle cycles over wall time"
    if tsc_hz is None and cpu_mhz():
        tsc_hz, tsc_src = cpu_mhz() * 1e6, "/proc/cpuinfo cpu MHz"
    if out:
        print_report(out, a, tsc_hz, tsc_src)
        try:
            with open("/proc/cpuinfo") as f:
                model = next((line.split(":", 1)[1].strip() for line in f
                              if line.startswith("model name")), "?")
        except OSError:
            model = "?"
        print("cpu: %s, %d online; nginx %s; fanout %s" % (
            model, os.cpu_count(), ht.NGINX, fi.FANOUT))
    if a.json:
        with open(a.json, "w") as f:
            json.dump([{"target": k[0], "backend": k[1], "runs": v} for k, v in out.items()], f,
                      indent=1)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
