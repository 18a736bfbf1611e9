#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Engine only, over net_memif: fanout between fanout-loadgen and its origin.

Not a test (nothing passes or fails on numbers); scripts/bench runs it
(`--only memif`).

fanout (the seed's routes and /$2 rewrite, one worker, memif server,
busy polling) on the second CPU; fanout-loadgen (clients and origin on
one lcore, memif client) on the first (tests/integ/loadgen_tools.py).
Workloads: keep-alive and one request per connection (`--close`), at 1,
64 and 1,024 connections, closed loop, each round running every workload
once in turn (so a noisy neighbour hits all of them alike), several
rounds, medians. Then, below saturation: each mode at 64 connections on
a fixed schedule at a quarter (--rate-fraction) of its median closed-loop
rate, to show fanout's cost per request when it is not the bottleneck
(requests then arrive one by one, without the batching a saturated loop
gets, so half the peak may already be too much).

Per run: requests/s, new connections/s, latency p50/p99/p99.9 (from the
scheduled start on a fixed schedule), errors, fanout's worker busy cycles
per proxied request (its own TSC accounting, read from its telemetry
socket before and after the measured window), the busy share of fanout's
loop and of the loadgen's, and which side saturated (a loop busy >= 95 %
of the window). On a VM shared with other work, the other tenants' load
shows as both loops being far from saturated and as latency tails of a
scheduler tick; and TSC busy cycles then include the time the worker was
busy but descheduled. So fanout-loadgen also reads the CPU time the
kernel gave fanout's worker thread (utime + stime of rte-worker-*, /proc,
--fanout-pid) at the window's edges and reports "on-CPU cycles/request":
the worker's TSC busy cycles scaled by the share of wall time it was on a
CPU (the other tenants' preemption taken as uniform in time).

All closed-loop runs share one fanout-loadgen process (one memif
connection), and so do the fixed-rate runs: see loadgen_tools.Loadgen.

    memif_bench.py [--rounds 3] [--duration 5] [--warmup 1]
                   [--conns 1,64,1024] [--modes keepalive,close]
                   [--json build/bench/results.json]

--json merges {"memif": {...}} into that file (other sections' keys kept).
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integ"))
import fo_integ as fi  # noqa: E402
import loadgen_tools as lt  # noqa: E402

BODY = 100
TARGETS = ["/test01/api/items?page=2", "/test02/x"]


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            model = next((ln.split(":", 1)[1].strip() for ln in f
                          if ln.startswith("model name")), "?")
    except OSError:
        pass
    dpdk = "?"
    try:
        dpdk = subprocess.run(["pkg-config", "--modversion", "libdpdk"], capture_output=True,
                              text=True, timeout=10).stdout.strip() or "?"
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        load = open("/proc/loadavg").read().split()[:3]
    except OSError:
        load = []
    return {"cpu": model, "cpus": os.cpu_count(), "kernel": platform.release(), "dpdk": dpdk,
            "loadavg_at_start": load}


def lg_args(mode, conns, a, rate=None):
    args = ["-c", str(conns), "-d", str(a.duration), "--warmup", str(a.warmup),
            "--body-size", str(BODY), "--timeout", "5", "--host", "shop.example.com"]
    for t in TARGETS:
        args += ["-t", t]
    for h in lt.BROWSER_HEADERS:
        args += ["-H", h]
    if mode == "close":
        args.append("--close")
    if rate:
        args += ["--rate", "%.0f" % rate]
    return args


def row_of(res, mode, conns, rate):
    fo_ = res.get("fanout") or {}
    cpu = fo_.get("cpu_share")
    oncpu = fo_.get("oncpu_cycles_per_request")
    row = {"mode": mode, "conns": conns, "rate": rate, "ok": res["ok"],
           "errors": res["errors"], "error_kinds": {k: v for k, v in res["error_kinds"].items()
                                                     if v},
           "rps": res["requests_per_s"], "cps": res["connections_per_s"],
           "p50_us": res["latency_us"]["p50"], "p99_us": res["latency_us"]["p99"],
           "p999_us": res["latency_us"]["p99.9"], "max_us": res["latency_us"]["max"],
           "fanout_cycles_per_req": fo_.get("cycles_per_request"),
           "fanout_busy_share": fo_.get("busy_share"),
           "fanout_cpu_share": cpu if cpu is not None and cpu >= 0 else None,
           "fanout_oncpu_cycles_per_req": oncpu if oncpu is not None and oncpu >= 0 else None,
           "loadgen_busy_share": res["loadgen_busy_share"],
           "loadgen_oncpu_cycles_per_req": res.get("loadgen_oncpu_cycles_per_request"),
           "loadgen_cpu_share": res.get("loadgen_cpu_share"), "saturated": res["saturated"],
           "request_bytes": res["request_bytes"], "tsc_hz": res["tsc_hz"]}
    fi.log("%-9s c=%-5d %s%.0f req/s, %.0f conn/s, p50 %.0f us, p99 %.0f us, fanout %s "
           "cycles/req (busy %.0f %%; on CPU %.0f %%: %s), loadgen busy %.0f %%, errors %d"
           % (mode, conns, "rate %.0f: " % rate if rate else "", row["rps"], row["cps"],
              row["p50_us"], row["p99_us"],
              "%.0f" % row["fanout_cycles_per_req"] if row["fanout_cycles_per_req"] else "-",
              100 * (row["fanout_busy_share"] or 0), 100 * (row["fanout_cpu_share"] or 0),
              "%.0f" % row["fanout_oncpu_cycles_per_req"]
              if row["fanout_oncpu_cycles_per_req"] else "-",
              100 * row["loadgen_busy_share"], row["errors"]))
    return row


def phase(t, a, plan, what):
    """One fanout and one fanout-loadgen for every run of @plan [(mode, conns, rate)]:
    one memif connection (loadgen_tools.Loadgen says why). Returns rows."""
    ns = t.netns()
    rows = []
    with lt.SockDir() as d:
        # busy polling (no --idle-sleep): what a benchmark of a poller wants
        fo = lt.start_fanout(ns, d.path)
        fi.log("%s: %d runs of %.1f s (+ %.1f s warm-up)" % (what, len(plan), a.duration,
                                                            a.warmup))
        reports, _ = lt.loadgen(ns, fo, d.path, [lg_args(m, c, a, r) for m, c, r in plan],
                                timeout=len(plan) * (a.duration + a.warmup + 8) + 60)
        for (m, c, r), res in zip(plan, reports):
            rows.append(row_of(res, m, c, r))
    ns.close()
    return rows


def median(rows, key):
    vals = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def summarize(rows):
    out = []
    keys = []
    for r in rows:
        k = (r["mode"], r["conns"], r["rate"])
        if k not in keys:
            keys.append(k)
    for k in keys:
        rs = [r for r in rows if (r["mode"], r["conns"], r["rate"]) == k]
        s = {"mode": k[0], "conns": k[1], "rate": k[2], "runs": len(rs),
             "errors": sum(r["errors"] for r in rs)}
        for key in ("rps", "cps", "p50_us", "p99_us", "p999_us", "fanout_cycles_per_req",
                    "fanout_busy_share", "fanout_cpu_share", "fanout_oncpu_cycles_per_req",
                    "loadgen_busy_share", "loadgen_oncpu_cycles_per_req", "loadgen_cpu_share"):
            s[key] = median(rs, key)
        # fanout | loadgen | none | starved (the machine's other load had the CPUs)
        sat = ["starved" if "starved" in r["saturated"] else r["saturated"].split(" ")[0]
               for r in rs]
        s["saturated"] = max(set(sat), key=sat.count)
        out.append(s)
    return out


def fmt(v, f="%.0f", scale=1.0):
    return f % (v * scale) if v is not None else "-"


def print_table(summary, m):
    print("fanout over net_memif, seed routes + rewrite, one worker; fanout-loadgen on one lcore")
    print("%-10s %6s %7s %9s %9s %8s %9s %10s %10s %10s %7s %7s %10s %7s %7s %-9s %6s" % (
        "workload", "conns", "rate", "req/s", "conn/s", "p50 us", "p99 us", "p99.9 us",
        "cycles/req", "on-CPU c/r", "fo busy", "fo CPU", "lg on-CPU", "lg busy", "lg CPU",
        "saturated", "errors"))
    for s in summary:
        print("%-10s %6d %7s %9s %9s %8s %9s %10s %10s %10s %6s%% %6s%% %10s %6s%% %6s%% "
              "%-9s %6d" % (
                  s["mode"], s["conns"], fmt(s["rate"]), fmt(s["rps"]), fmt(s["cps"]),
                  fmt(s["p50_us"], "%.1f"), fmt(s["p99_us"], "%.1f"),
                  fmt(s["p999_us"], "%.1f"), fmt(s["fanout_cycles_per_req"]),
                  fmt(s["fanout_oncpu_cycles_per_req"]),
                  fmt(s["fanout_busy_share"], "%.0f", 100),
                  fmt(s["fanout_cpu_share"], "%.0f", 100),
                  fmt(s["loadgen_oncpu_cycles_per_req"]),
                  fmt(s["loadgen_busy_share"], "%.0f", 100),
                  fmt(s["loadgen_cpu_share"], "%.0f", 100), s["saturated"], s["errors"]))
    print("medians of %s rounds; cycles/req = fanout's worker busy TSC cycles / proxied request "
          "in the window; on-CPU c/r = the same scaled by the share of wall time the kernel ran "
          "the worker (fo CPU); lg: fanout-loadgen's clients and origin (one lcore), the same "
          "way (keep-alive: the issue's target for fanout is <= 4,000)" % (
              max(s["runs"] for s in summary) if summary else 0))
    print("machine: %s, %s CPUs, kernel %s, DPDK %s, load average at start %s" % (
        m["cpu"], m["cpus"], m["kernel"], m["dpdk"], " ".join(m["loadavg_at_start"])))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=float, default=5)
    p.add_argument("--warmup", type=float, default=1)
    p.add_argument("--conns", default="1,64,1024")
    p.add_argument("--modes", default="keepalive,close")
    p.add_argument("--no-rate", action="store_true", help="skip the below-saturation runs")
    p.add_argument("--rate-fraction", type=float, default=0.25,
                   help="fixed rate of the below-saturation runs, as a fraction of the "
                   "closed-loop rate at 64 connections")
    p.add_argument("--json", help="merge the results into this JSON file")
    a = p.parse_args()
    if not 1 <= a.rounds <= 20 or not 0.5 <= a.duration <= 60 or not 0 <= a.warmup <= 10:
        p.error("--rounds 1..20, --duration 0.5..60, --warmup 0..10 (every load is bounded)")
    conns = [int(c) for c in a.conns.split(",")]
    modes = a.modes.split(",")
    if any(m not in ("keepalive", "close") for m in modes) or any(
            not 1 <= c <= 20000 for c in conns):
        p.error("--modes keepalive,close; --conns 1..20000 each")
    fi.require_root()
    fi.clean_stale()
    mach = machine()
    t = fi.Test("memif_bench")
    rows = []
    ok = False
    try:
        # every workload once per round, in turn
        plan = [(m, c, None) for _ in range(a.rounds) for m in modes for c in conns]
        rows += phase(t, a, plan, "closed loop")
        if not a.no_rate:
            plan = []
            for m in modes:
                peak = median([r for r in rows if r["mode"] == m and r["conns"] == 64], "rps")
                if peak:
                    plan += [(m, 64, round(peak * a.rate_fraction))] * a.rounds
            if plan:
                rows += phase(t, a, plan, "fixed rate")
        ok = True
    except fi.Failure as e:
        print("memif_bench: %s" % e, flush=True)
    finally:
        if not ok:
            for fo_ in t.fanouts():
                if fo_.proc is not None:
                    fo_.proc.dump()
        fi.cleanup_all()
    summary = summarize(rows)
    if summary:
        print_table(summary, mach)
    if a.json:
        os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
        try:
            with open(a.json) as f:
                doc = json.load(f)
            if not isinstance(doc, dict):
                doc = {}
        except (OSError, ValueError):
            doc = {}
        doc["memif"] = {"machine": mach, "args": vars(a), "summary": summary, "runs": rows}
        with open(a.json, "w") as f:
            json.dump(doc, f, indent=1)
        print("results: %s (key \"memif\")" % a.json)
    sys.exit(0 if ok and rows else 1)


if __name__ == "__main__":
    main()
