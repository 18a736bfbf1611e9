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
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integ"))
import fo_integ as fi  # noqa: E402
import memif_common as mc  # noqa: E402
# kernel_bench.py, tls_bench.py and memory_bench.py take machine() from here
from memif_common import fmt, lg_args, machine  # noqa: E402
from report_common import med  # noqa: E402


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
    """Every run of @plan [(mode, conns, rate)] in one fanout and one fanout-loadgen. Returns
    rows."""
    reports = mc.run_plan(t, a, [lg_args(m, c, a, r) for m, c, r in plan], what)
    return [row_of(res, m, c, r) for (m, c, r), res in zip(plan, reports)]


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
            s[key] = med(rs, key)
        s["saturated"] = mc.saturated(rs)
        out.append(s)
    return out


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
    mc.print_machine(m)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mc.add_run_args(p)
    p.add_argument("--conns", default="1,64,1024")
    p.add_argument("--modes", default="keepalive,close")
    p.add_argument("--no-rate", action="store_true", help="skip the below-saturation runs")
    p.add_argument("--rate-fraction", type=float, default=0.25,
                   help="fixed rate of the below-saturation runs, as a fraction of the "
                   "closed-loop rate at 64 connections")
    a = p.parse_args()
    mc.check_run_args(p, a)
    conns = [int(c) for c in a.conns.split(",")]
    modes = a.modes.split(",")
    if any(m not in ("keepalive", "close") for m in modes) or any(
            not 1 <= c <= 20000 for c in conns):
        p.error("--modes keepalive,close; --conns 1..20000 each")
    fi.require_root()
    fi.clean_stale()
    mach = machine()
    rows = []

    def body(t):
        # every workload once per round, in turn
        plan = [(m, c, None) for _ in range(a.rounds) for m in modes for c in conns]
        rows.extend(phase(t, a, plan, "closed loop"))
        if not a.no_rate:
            plan = []
            for m in modes:
                peak = med([r for r in rows if r["mode"] == m and r["conns"] == 64], "rps")
                if peak:
                    plan += [(m, 64, round(peak * a.rate_fraction))] * a.rounds
            if plan:
                rows.extend(phase(t, a, plan, "fixed rate"))

    ok = mc.run_guarded("memif_bench", body)
    summary = summarize(rows)
    if summary:
        print_table(summary, mach)
    if a.json:
        mc.save_json(a.json, "memif",
                     {"machine": mach, "args": vars(a), "summary": summary, "runs": rows,
                      "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())})
    sys.exit(0 if ok and rows else 1)


if __name__ == "__main__":
    main()
