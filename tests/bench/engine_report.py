#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""fanout's CPU per keep-alive request over net_memif against nginx's and HAProxy's over
the kernel, from one scripts/bench invocation (its "memif" and "kernel" results).

nginx and HAProxy cannot attach to a memif ring; fanout's fast path is the one users
run it on. So the comparison is each proxy on its own best path, measured on the same
machine in the same invocation (scripts/bench runs memif, then kernel, and calls this
only when both ran): fanout's on-CPU cycles per proxied keep-alive request at 64
connections (memif_bench: busy TSC cycles scaled by the share of the window the kernel
ran the worker), against nginx's and HAProxy's cycles per keep-alive request under wrk
(kernel_bench: utime+stime of their processes, and separately with the softirq time of
the proxy's CPU, i.e. their share of the kernel's network path). The requests differ:
memif's is a 540-byte browser GET, wrk's a 40-byte one; fanout's side is the heavier.

    engine_report.py [--json build/bench/results.json] [--conns 64] [--max-age-h 2]

Prints one Markdown table and the ratios. Exit 1 when a section is missing or the two
were not run within --max-age-h hours of each other (not one invocation). Not a test.
"""

import argparse
import calendar
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kernel_report as kr  # noqa: E402


def when(doc):
    """Seconds since the epoch of a section's "when" ("%Y-%m-%d %H:%M UTC"), or None."""
    w = doc.get("when")
    if not w:
        return None
    try:
        return calendar.timegm(time.strptime(w, "%Y-%m-%d %H:%M UTC"))
    except ValueError:
        return None


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--json", default=os.path.join("build", "bench", "results.json"))
    p.add_argument("--conns", type=int, default=64, help="memif keep-alive row (default 64)")
    p.add_argument("--max-age-h", type=float, default=2.0,
                   help="the two sections must be this close in time (default 2 h)")
    a = p.parse_args()
    try:
        with open(a.json) as f:
            res = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit("engine_report: %s: %s" % (a.json, e))
    memif, kernel = res.get("memif"), res.get("kernel")
    if not memif or not kernel:
        print("engine_report: %s lacks %s (scripts/bench --only memif,kernel)"
              % (a.json, "memif" if not memif else "kernel"))
        return 1
    tm, tk = when(memif), when(kernel)
    if tm is None or tk is None or abs(tm - tk) > a.max_age_h * 3600:
        print("engine_report: memif (%s) and kernel (%s) were not run together"
              % (memif.get("when"), kernel.get("when")))
        return 1
    row = next((s for s in memif.get("summary") or []
                if s["mode"] == "keepalive" and s["conns"] == a.conns and not s.get("rate")),
               None)
    if row is None:
        print("engine_report: no memif keep-alive row at %d connections" % a.conns)
        return 1
    fo_cyc = row.get("fanout_oncpu_cycles_per_req") or row.get("fanout_cycles_per_req")
    summ = kr.summarize(kernel)
    lines = ["| proxy | path | requests/s | CPU cycles per request | with softirq | "
             "over fanout's (CPU) | over fanout's (with softirq) |",
             "|---|---|---|---|---|---|---|",
             "| fanout | net_memif, %d connections, fanout-loadgen | %.0f | %.0f | - | 1.00× | "
             "1.00× |" % (a.conns, row["rps"], fo_cyc)]
    ratios = []
    for name, label in (("nginx", "nginx"), ("haproxy", "HAProxy")):
        s = next((x for x in summ if x["contender"] == name and x["mode"] == "keepalive"), None)
        if s is None or not s.get("cycles_per_req"):
            lines.append("| %s | kernel (wrk) | - | - | - | - | - |" % label)
            continue
        soft = s["cycles_per_req"] + (s.get("softirq_cycles_per_req") or 0)
        lines.append("| %s | kernel, wrk keep-alive | %.0f | %.0f | %.0f | %.1f× | %.1f× |"
                     % (label, s["rps"], s["cycles_per_req"], soft,
                        s["cycles_per_req"] / fo_cyc, soft / fo_cyc))
        ratios.append("%s %.1f× (%.1f× with softirq)" % (label, s["cycles_per_req"] / fo_cyc,
                                                         soft / fo_cyc))
    print("#### engine: fanout over net_memif against the kernel proxies, same invocation\n")
    print("\n".join(lines))
    print("\nCPU cycles per keep-alive request, nginx's and HAProxy's over fanout's: %s "
          "(target: ≥ 10×). fanout: on-CPU busy cycles of its one worker (memif_bench); "
          "nginx, HAProxy: utime+stime of their processes in cycles at the TSC rate, then "
          "with the softirq time of their CPU (kernel_bench). memif %s, kernel %s."
          % ("; ".join(ratios) or "-", memif.get("when", "?"), kernel.get("when", "?")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
