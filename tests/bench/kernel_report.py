#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Tables and charts of the "kernel" results of tests/bench/kernel_bench.py.

Used by kernel_bench.py after a run, and alone (`scripts/bench --report`) to
print the Markdown table the README's "Performance" section carries, from
build/bench/results.json, so that no number there is typed by hand:

    kernel_report.py [--json build/bench/results.json] [--charts DIR] [--text]
"""

import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report_common import add_json_arg, cell, contenders, med, render, sections  # noqa: E402
# kernel_bench.py and tls_bench.py take merge_json() from here
from report_common import merge_json  # noqa: E402,F401

ORDER = ("fanout-af_xdp", "fanout-af_packet", "fanout-tap", "nginx", "haproxy")
MODES = ("keepalive", "close")
SATURATED = 0.90


def cpu_mhz():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("cpu MHz"):
                    return float(line.split(":")[1])
    except (OSError, ValueError):
        pass
    return None


def bound(s):
    """What limited a run: proxy (fanout's loop busy, or the kernel proxy on its CPU, >= 90 %
    of the window), clients (wrk + backend >= 90 % of their CPU), both, or "other load" (the
    CPUs were busy, but not with the benchmark: other tenants of the machine)."""
    proxy = s["busy_share"] if s["busy_share"] is not None else s["oncpu_share"]
    b = [w for w, v in (("proxy", proxy), ("clients", s["clients_cpu_share"]))
         if v is not None and v >= SATURATED]
    return "+".join(b) or "other load"


def summarize(doc):
    """Medians per (contender, mode), CPU per request in cycles, bound, ratios."""
    tsc = doc.get("tsc_hz")
    out = []
    for name in contenders(doc["runs"], "rps", ORDER):
        for mode in MODES:
            rows = [r for r in doc["runs"] if r.get("contender") == name and
                    r.get("mode") == mode and "rps" in r]
            if not rows:
                continue
            for r in rows:
                if r["requests"] and "busy_cycles" in r:
                    r["busy_cycles_per_req"] = r["busy_cycles"] / r["requests"]
                    # on a shared VM the TSC runs on while the worker is preempted:
                    # scale by the share of the window the kernel ran it
                    r["cycles_per_req"] = r["busy_cycles_per_req"] * min(1.0, r["oncpu_share"])
                    if r.get("idle_sleep") and tsc:
                        # a worker that sleeps when idle: its process's CPU time, as nginx's
                        r["cycles_per_req"] = r["cpu_s"] * tsc / r["requests"]
                elif r["requests"] and tsc and "cpu_s" in r:
                    r["cycles_per_req"] = r["cpu_s"] * tsc / r["requests"]
                    r["softirq_cycles_per_req"] = r["softirq_s"] * tsc / r["requests"]
            s = {"contender": name, "mode": mode, "runs": len(rows),
                 "errors": sum(r["errors"] + r["non2xx"] for r in rows)}
            for k in ("rps", "p50", "p99", "p999", "busy_cycles_per_req", "cycles_per_req",
                      "softirq_cycles_per_req", "busy_share", "oncpu_share", "proxy_cpu_busy",
                      "other_cpu_busy", "clients_cpu_share"):
                s[k] = med(rows, k)
            s["rps_min"], s["rps_max"] = min(r["rps"] for r in rows), max(r["rps"] for r in rows)
            s["bound"] = bound(s)
            out.append(s)
    for s in out:
        for ref in ("nginx", "haproxy"):
            r = next((x for x in out if x["contender"] == ref and x["mode"] == s["mode"]), None)
            if r and r["rps"]:
                s["rps_vs_" + ref] = s["rps"] / r["rps"]
            if r and r["p99"] and s["p99"]:
                s["p99_vs_" + ref] = s["p99"] / r["p99"]
            if r and r.get("cycles_per_req") and s.get("cycles_per_req"):
                s["cpu_vs_" + ref] = s["cycles_per_req"] / r["cycles_per_req"]
    return out


def table(doc, markdown=True):
    """The summary as a Markdown (or plain) table with the machine line under it."""
    hdr = ["contender", "mode", "requests/s", "vs nginx", "vs HAProxy", "p50 ms", "p99 ms",
           "p99.9 ms", "p99 vs nginx", "busy cyc/req", "CPU cyc/req", "+softirq",
           "CPU vs nginx", "proxy/clients CPU", "bound", "errors"]
    lines = []
    for s in doc.get("summary") or []:
        lines.append([s["contender"], s["mode"], "%.0f" % s["rps"],
                      cell(s.get("rps_vs_nginx"), "%.2f×"),
                      cell(s.get("rps_vs_haproxy"), "%.2f×"),
                      cell(s["p50"], "%.2f", 1e3), cell(s["p99"], "%.2f", 1e3),
                      cell(s["p999"], "%.2f", 1e3), cell(s.get("p99_vs_nginx"), "%.2f×"),
                      cell(s["busy_cycles_per_req"], "%.0f"), cell(s["cycles_per_req"], "%.0f"),
                      cell(s["softirq_cycles_per_req"], "%.0f"),
                      cell(s.get("cpu_vs_nginx"), "%.2f×"),
                      "%s/%s" % (cell(s["oncpu_share"], "%.0f%%", 100),
                                 cell(s["clients_cpu_share"], "%.0f%%", 100)),
                      s["bound"], str(s["errors"])])
    text = render(hdr, lines, markdown)
    m, a = doc["machine"], doc["args"]
    text.append("")
    text += ratios(doc.get("summary") or [])
    text.append("")
    text.append("busy cyc/req: fanout's worker busy TSC cycles per request (its own accounting). "
                "CPU cyc/req: fanout's busy cycles times the share of the window the kernel ran "
                "it (with --fanout-idle-sleep: its utime+stime, as nginx's); nginx, HAProxy: "
                "utime+stime of all their processes, in cycles. +softirq: "
                "softirq time on the proxy's CPU per request (kernel proxies; the part on the "
                "other CPU is not counted). proxy/clients CPU: share of the window the proxy "
                "ran / wrk, the backend and softirq work ran on theirs. bound: proxy "
                "(fanout's loop or the kernel proxy >= 90 % busy), clients (wrk, backend and "
                "softirq >= 90 % of their CPU), or other "
                "load (neither: other work on the machine took the CPUs). Ratios: medians "
                "over medians of the same mode.")
    text.append("")
    text.append("%s; wrk -t1 -c%d, %d s per run, %d round(s), medians; fanout %s; "
                "proxy on CPU %s, wrk "
                "and the nginx backend on CPU %s; fastest virtual NIC used: %s; cycles at %s "
                "(%s)." % (
                    doc.get("when", "?"), a["conns"], a["duration"], a["rounds"],
                    "--idle-sleep %d" % a["fanout_idle_sleep"] if a.get("fanout_idle_sleep")
                    else "busy polling",
                    doc["cpus"]["proxy"], doc["cpus"]["wrk"], doc.get("fast_nic") or "none",
                    "%.0f MHz" % (doc["tsc_hz"] / 1e6) if doc.get("tsc_hz") else "?",
                    doc.get("tsc_source", "?")))
    text.append("Machine: %s, %s CPUs, kernel %s, DPDK %s, load average at start %s." % (
        m["cpu"], m["cpus"], m["kernel"], m["dpdk"], " ".join(m.get("loadavg_at_start", []))))
    if doc.get("notes"):
        text.append("Notes: " + "; ".join(sorted(set(doc["notes"]))) + ".")
    return "\n".join(text)


def ratios(summ):
    """One line per fanout row: its ratios to nginx and HAProxy, mode by mode."""
    out = []
    for name in [n for n in ORDER if n.startswith("fanout-")]:
        parts = []
        for s in summ:
            if s["contender"] != name:
                continue
            vs = []
            for ref, label in (("nginx", "nginx"), ("haproxy", "HAProxy")):
                if s.get("rps_vs_" + ref):
                    vs.append("%.2f× %s's requests/s (p99 %s, CPU per request %s)" % (
                        s["rps_vs_" + ref], label, cell(s.get("p99_vs_" + ref), "%.2f×"),
                        cell(s.get("cpu_vs_" + ref), "%.2f×")))
            if vs:
                parts.append("%s: %s" % ("keep-alive" if s["mode"] == "keepalive"
                                         else "Connection: close", "; ".join(vs)))
        if parts:
            out.append("- **%s**: %s." % (name, ". ".join(parts)))
    return out


def charts(doc, out_dir, key="kernel"):
    """KEY-rps.png and KEY-p99.png (gnuplot, clustered bars); returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    summ = doc["summary"]
    names = [n for n in ORDER if any(s["contender"] == n for s in summ)]
    dat = os.path.join(out_dir, key + ".dat")
    with open(dat, "w") as f:
        f.write("# contender keepalive_rps close_rps keepalive_p99ms close_p99ms\n")
        for n in names:
            v = {s["mode"]: s for s in summ if s["contender"] == n}
            f.write("%s %s %s %s %s\n" % (
                n, *("%.1f" % v[m]["rps"] if m in v else "NaN" for m in MODES),
                *("%.3f" % (v[m]["p99"] * 1e3) if m in v and v[m]["p99"] else "NaN"
                  for m in MODES)))
    made = []
    what = ((key + "-rps.png", "requests/s", 2),
            (key + "-p99.png", "p99 latency (ms)", 4))
    for fname, ylabel, col in what:
        png = os.path.join(out_dir, fname)
        script = "\n".join([
            "set terminal pngcairo noenhanced size 800,450 font 'sans,10'",
            "set output '%s'" % png,
            "set title 'wrk through each proxy: %s; %s, fanout %s'" % (
                ylabel, doc.get("when", ""), "--idle-sleep %d" % doc["args"]["fanout_idle_sleep"]
                if doc["args"].get("fanout_idle_sleep") else "busy polling"),
            "set datafile missing 'NaN'",
            "set style data histograms",
            "set style histogram clustered gap 1",
            "set style fill solid 0.8 border -1",
            "set boxwidth 0.9",
            "set key top right",
            "set yrange [0:*]",
            "set grid ytics",
            "set ylabel '%s'" % ylabel,
            "plot '%s' using %d:xtic(1) title 'keep-alive', '' using %d title "
            "'Connection: close'" % (dat, col, col + 1),
            ""])
        r = subprocess.run(["gnuplot"], input=script, capture_output=True, text=True,
                           timeout=60)
        if r.returncode != 0:
            print("gnuplot: %s" % r.stderr.strip(), file=sys.stderr)
            continue
        made.append(png)
    return made


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_json_arg(p)
    p.add_argument("--charts", help="(re)write the PNG charts into this directory")
    p.add_argument("--text", action="store_true", help="a plain table instead of Markdown")
    a = p.parse_args()
    whole, keys = sections(a.json, "kernel")
    if not keys:
        sys.exit("kernel_report: no \"kernel\" results in %s; run scripts/bench --only "
                 "kernel first" % a.json)
    for i, key in enumerate(keys):
        doc = whole[key]
        doc["summary"] = summarize(doc)
        if len(keys) > 1:
            print("%s#### %s\n" % ("\n" if i else "", key))
        print(table(doc, markdown=not a.text))
        if a.charts:
            for f in charts(doc, a.charts, key):
                print("chart: %s" % f, file=sys.stderr)  # not part of the Markdown


if __name__ == "__main__":
    main()
