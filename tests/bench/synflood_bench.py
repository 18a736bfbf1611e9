#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""SYN flood resilience over net_memif: a keep-alive load with and without a flood.

Not a test (nothing passes or fails on numbers); scripts/bench runs it
(`--only synflood`).

fanout (the seed's routes and rewrite, one worker, memif server, busy
polling, its default `tcp { }`: max_half_open 4096, syn_cookies auto) on
the second CPU; fanout-loadgen (clients, origin and the flood on one
lcore, memif client) on the first, as in memif_bench.py. The flood is
fanout-loadgen's own sender (`--syn-flood RATE`, app/fanout-loadgen/flood.c):
bare SYNs at fanout's listener from random sources in 198.19.0.0/16 and
random ports, sent on the clients' memif port during the measured window.
Why that sender: pktgen is not packaged in Debian; tcpreplay or a raw
socket send through the kernel, whose virtual NICs here carry 0.1-0.4
Mpps (README, "Which virtual NIC"), while a DPDK sender over net_memif
does millions of frames/s per queue. fanout's config gives net_memif0 the
loadgen as its gateway, so its SYN-ACKs to those off-link sources go to
the loadgen's MAC and are dropped there, as replies to spoofed sources
vanish on the Internet (no ARP storm for addresses nobody answers).

Each round runs, in one fanout-loadgen process (one memif connection;
loadgen_tools.Loadgen says why): the keep-alive load alone, then the same
load under each flood rate, so that a noisy neighbour hits them alike;
several rounds, medians. Per run: the load's requests/s and p50/p99, and
their ratios to the run without a flood in the same round; the SYNs/s the
flood achieved (its lcore is shared with the clients and the origin: at
high rates the loadgen saturates first, see the "saturated" column);
fanout's SYN-cookie rate (tcp.syncookies_sent over the window), its
worker's busy share and busy cycles per proxied request.

    synflood_bench.py [--rounds 3] [--duration 5] [--warmup 1] [--conns 64]
                      [--rates 100000,1000000] [--json build/bench/results.json]

--json merges {"synflood": {...}} into that file (other keys kept).
"""

import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integ"))
import fo_integ as fi  # noqa: E402
import loadgen_tools as lt  # noqa: E402
import memif_common as mc  # noqa: E402
from memif_common import fmt  # noqa: E402
from report_common import med  # noqa: E402

# the loadgen (198.18.0.2) is fanout's gateway: SYN-ACKs to the flood's
# off-link sources go there and are dropped
FLOOD_CONF = lt.SEED_MEMIF_CONF.replace(
    "interface net_memif0 { address 198.18.0.1/24; }",
    "interface net_memif0 { address 198.18.0.1/24; gateway 198.18.0.2; }")
assert FLOOD_CONF != lt.SEED_MEMIF_CONF


def run_args(a, rate):
    args = mc.lg_args("keepalive", a.conns, a)
    if rate:
        args += ["--syn-flood", "%d" % rate]
    return args


def row_of(res, rate):
    fo_ = res.get("fanout") or {}
    fl = res.get("flood") or {}
    secs = res["seconds"] or 0
    row = {"flood_rate": rate, "ok": res["ok"], "errors": res["errors"],
           "error_kinds": {k: v for k, v in res["error_kinds"].items() if v},
           "rps": res["requests_per_s"], "p50_us": res["latency_us"]["p50"],
           "p99_us": res["latency_us"]["p99"], "p999_us": res["latency_us"]["p99.9"],
           "flood_sent_per_s": fl.get("sent_per_s", 0.0) if rate else 0.0,
           "flood_tx_dropped": fl.get("tx_dropped", 0),
           "syncookies_per_s": (fl.get("fanout_syncookies_sent", 0) / secs) if secs else 0.0,
           "syncookies_sent": fl.get("fanout_syncookies_sent", 0),
           "syncookies_ok": fl.get("fanout_syncookies_ok", 0),
           "fanout_rx_pkts": fl.get("fanout_rx_pkts"),
           "fanout_half_open": fl.get("fanout_half_open"),
           "fanout_busy_share": fo_.get("busy_share"),
           "fanout_cycles_per_req": fo_.get("cycles_per_request"),
           "fanout_busy_cycles": fo_.get("busy_cycles"), "flood_sent": fl.get("sent", 0),
           "fanout_cpu_share": fo_.get("cpu_share"),
           "loadgen_busy_share": res["loadgen_busy_share"], "saturated": res["saturated"]}
    fi.log("flood %-8s %.0f req/s, p50 %.0f us, p99 %.0f us; flood sent %.0f/s; fanout "
           "%.0f cookies/s, busy %.0f %%, %s cycles/req; loadgen busy %.0f %%; errors %d"
           % (rate or "none", row["rps"], row["p50_us"], row["p99_us"],
              row["flood_sent_per_s"], row["syncookies_per_s"],
              100 * (row["fanout_busy_share"] or 0),
              "%.0f" % row["fanout_cycles_per_req"] if row["fanout_cycles_per_req"] else "-",
              100 * row["loadgen_busy_share"], row["errors"]))
    return row


def summarize(rows, rates, rounds):
    out = []
    per_round = len(rates) + 1
    for i, rate in enumerate([0] + rates):
        rs = [rows[r * per_round + i] for r in range(rounds) if r * per_round + i < len(rows)]
        base = [rows[r * per_round] for r in range(rounds) if r * per_round + i < len(rows)]
        if not rs:
            continue
        s = {"flood_rate": rate, "runs": len(rs), "errors": sum(r["errors"] for r in rs)}
        for key in ("rps", "p50_us", "p99_us", "p999_us", "flood_sent_per_s",
                    "syncookies_per_s", "fanout_busy_share", "fanout_cycles_per_req",
                    "loadgen_busy_share"):
            s[key] = med(rs, key)
        # same-round ratios to the run without a flood, then their median
        rr = [r["rps"] / b["rps"] for r, b in zip(rs, base) if b["rps"]]
        pr = [r["p99_us"] / b["p99_us"] for r, b in zip(rs, base) if b["p99_us"]]
        # fanout's busy cycles per flood SYN: its busy cycles beyond what the
        # requests served cost at the same round's no-flood cycles per request
        cs = [(r["fanout_busy_cycles"] - r["ok"] * b["fanout_cycles_per_req"]) / r["flood_sent"]
              for r, b in zip(rs, base)
              if rate and r["flood_sent"] and r.get("fanout_busy_cycles") is not None and
              b.get("fanout_cycles_per_req") is not None]
        s["fanout_cycles_per_syn"] = statistics.median(cs) if cs else None
        s["rps_vs_none"] = statistics.median(rr) if rr else None
        s["p99_vs_none"] = statistics.median(pr) if pr else None
        s["saturated"] = mc.saturated(rs)
        out.append(s)
    return out


def print_table(summary, a, m):
    print("SYN flood over net_memif: keep-alive load (-c %d) with and without a flood; "
          "fanout one worker, seed routes" % a.conns)
    print("| flood SYN/s asked | flood SYN/s sent | req/s | vs no flood | p50 us | p99 us | "
          "p99 vs no flood | fanout SYN cookies/s | fanout busy | fanout cyc/req | "
          "fanout cyc/SYN | loadgen busy | saturated | errors |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for s in summary:
        print("| %s | %s | %s | %s | %s | %s | %s | %s | %s%% | %s | %s | %s%% | %s | %d |" % (
            fmt(s["flood_rate"]) if s["flood_rate"] else "none",
            fmt(s["flood_sent_per_s"]) if s["flood_rate"] else "-", fmt(s["rps"]),
            fmt(s["rps_vs_none"], "%.2f×"), fmt(s["p50_us"], "%.1f"), fmt(s["p99_us"], "%.1f"),
            fmt(s["p99_vs_none"], "%.2f×"), fmt(s["syncookies_per_s"]),
            fmt(s["fanout_busy_share"], "%.0f", 100), fmt(s["fanout_cycles_per_req"]),
            fmt(s["fanout_cycles_per_syn"]),
            fmt(s["loadgen_busy_share"], "%.0f", 100), s["saturated"], s["errors"]))
    print("medians of %d rounds (%.1f s each after %.1f s of warm-up); ratios: medians of the "
          "same-round ratios to the run without a flood; fanout cyc/SYN: its busy cycles "
          "beyond the requests' (at the same round's no-flood cycles per request) over the "
          "SYNs sent; flood sender: fanout-loadgen --syn-flood on the clients' lcore (random "
          "sources in 198.19.0.0/16)" % (
              a.rounds, a.duration, a.warmup))
    mc.print_machine(m)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mc.add_run_args(p)
    p.add_argument("--conns", type=int, default=64)
    p.add_argument("--rates", default="100000,1000000",
                   help="flood rates in SYNs/s, comma-separated")
    a = p.parse_args()
    rates = [int(float(r)) for r in a.rates.split(",") if r]
    mc.check_run_args(p, a)
    if not 1 <= a.conns <= 20000 or not rates or any(not 1 <= r <= 100000000 for r in rates):
        p.error("--conns 1..20000; --rates 1..100000000 each")
    fi.require_root()
    fi.clean_stale()
    mach = mc.machine()
    rows = []

    def body(t):
        plan = [r for _ in range(a.rounds) for r in [0] + rates]
        reports = mc.run_plan(t, a, [run_args(a, r) for r in plan], conf=FLOOD_CONF)
        rows.extend(row_of(res, r) for r, res in zip(plan, reports))

    ok = mc.run_guarded("synflood_bench", body)
    summary = summarize(rows, rates, a.rounds)
    if summary:
        print_table(summary, a, mach)
    if a.json and rows:
        mc.save_json(a.json, "synflood",
                     {"machine": mach, "args": vars(a), "summary": summary, "runs": rows})
    sys.exit(0 if ok and rows else 1)


if __name__ == "__main__":
    main()
