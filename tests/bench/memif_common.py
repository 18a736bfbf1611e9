# SPDX-License-Identifier: BSD-3-Clause
"""What the net_memif benchmarks share (memif_bench.py, synflood_bench.py).

The machine they ran on, fanout-loadgen's options for a workload, the
options every run takes (rounds, duration, warm-up, --json) and their
bounds, one fanout and one fanout-loadgen for a whole plan of runs, the
run inside the harness' clean-up, and the summary's common cells.
"""

import os
import platform
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integ"))
import fo_integ as fi  # noqa: E402
import loadgen_tools as lt  # noqa: E402
from report_common import merge_json  # noqa: E402

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


def print_machine(m):
    print("machine: %s, %s CPUs, kernel %s, DPDK %s, load average at start %s" % (
        m["cpu"], m["cpus"], m["kernel"], m["dpdk"], " ".join(m["loadavg_at_start"])))


def lg_args(mode, conns, a, rate=None):
    """fanout-loadgen's options for one run: @mode keepalive or close, @conns
    connections, a.duration after a.warmup, a fixed @rate (None: closed loop)."""
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


def add_run_args(p):
    """--rounds, --duration, --warmup and --json; check_run_args() bounds them."""
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=float, default=5)
    p.add_argument("--warmup", type=float, default=1)
    p.add_argument("--json", help="merge the results into this JSON file")


def check_run_args(p, a):
    if not 1 <= a.rounds <= 20 or not 0.5 <= a.duration <= 60 or not 0 <= a.warmup <= 10:
        p.error("--rounds 1..20, --duration 0.5..60, --warmup 0..10 (every load is bounded)")


def run_plan(t, a, runs, what=None, conf=lt.SEED_MEMIF_CONF):
    """One fanout (@conf) and one fanout-loadgen doing @runs (lists of its
    options) in turn: one memif connection (loadgen_tools.Loadgen says why).
    Returns the loadgen's reports, one per run."""
    ns = t.netns()
    with lt.SockDir() as d:
        # busy polling (no --idle-sleep): what a benchmark of a poller wants
        fo = lt.start_fanout(ns, d.path, conf=conf)
        fi.log("%s%d runs of %.1f s (+ %.1f s warm-up)" % (
            what + ": " if what else "", len(runs), a.duration, a.warmup))
        reports, _ = lt.loadgen(ns, fo, d.path, runs,
                                timeout=len(runs) * (a.duration + a.warmup + 8) + 60)
    ns.close()
    return reports


def run_guarded(name, body):
    """body(t) on a fresh fo_integ.Test @name; on a failure, fanout's output
    dumped; everything cleaned up after. Returns True when body finished."""
    t = fi.Test(name)
    ok = False
    try:
        body(t)
        ok = True
    except fi.Failure as e:
        print("%s: %s" % (name, e), flush=True)
    finally:
        if not ok:
            for fo_ in t.fanouts():
                if fo_.proc is not None:
                    fo_.proc.dump()
        fi.cleanup_all()
    return ok


def save_json(path, key, value):
    merge_json(path, key, value)
    print("results: %s (key \"%s\")" % (path, key))


def saturated(rows):
    """The runs' most frequent verdict: fanout | loadgen | none | starved (the
    machine's other load had the CPUs)."""
    sat = ["starved" if "starved" in r["saturated"] else r["saturated"].split(" ")[0]
           for r in rows]
    return max(set(sat), key=sat.count)


def fmt(v, f="%.0f", scale=1.0):
    return f % (v * scale) if v is not None else "-"
