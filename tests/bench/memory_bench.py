#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Memory per connection: idle keep-alive clients and pooled upstream connections.

Not a test (nothing passes or fails on numbers); scripts/bench runs it
(`--only memory`).

fanout (the seed's routes over net_memif, one worker, its upstreams with
`keepalive 16384` so that every upstream connection can be pooled) and
fanout-loadgen as in memif_bench.py. Read from fanout's own accounting,
the "memory" section of /fanout/stats (app/fanout/telemetry.c): resident
memory of its process (VmRSS, RssAnon, HugetlbPages), EAL heap bytes
allocated, mbufs out of the pool, and the gauges (TCP connections,
sessions, pooled upstream connections). fanout-loadgen reads it before
its first connection and after all of them have been idle for a second
(`--idle`).

What fanout commits, and when:
- a TCP connection slot (TCB, its share of the out-of-order nodes and of
  the flow table) for each of `tcp { max_connections }` (per worker), at
  start: measured as the difference in resident memory between two fresh
  fanouts that differ only in max_connections, over the difference;
- a session per client connection and an upstream-connection state per
  upstream connection, from calloc'ed arrays paged in on first use: so
  the first N connections of a fresh fanout show what N cost.

For each N (default 10,000 and 16,000; a worker holds at most 16,384
client sessions, FO_PROXY_SESSIONS_CAP, so 100,000 idle clients need
seven workers), two fresh fanouts, one fanout-loadgen run each:
1. `--idle --idle-requests 0 -c N`: N client connections accepted, no
   request yet: resident memory and mbufs after minus before, per
   connection;
2. `--idle --idle-requests 1 -c N --origin-hold H` (H = min(N, --hold,
   default 2,000)): each connection sends one request; the origin answers
   none of the first H until all H have come, so fanout opens at least H
   upstream connections at once, and after the answers they go to its
   idle pool (gauge upstream_idle, U): run 2's difference minus run 1's,
   over U, is what a pooled upstream connection adds (its state, the
   parts of a session a request first touches shared over U, mbufs still
   held). Opening all N at once (H = N) loses SYNs and RSTs on a shared
   2-vCPU machine at 10,000 (fanout's upstream connects fail and eject
   servers): a benchmark of its own, not this one's.

    memory_bench.py [--conns 10000,16000] [--json build/bench/results.json]
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integ"))
import fo_integ as fi  # noqa: E402
import loadgen_tools as lt  # noqa: E402
import memif_common as mc  # noqa: E402

SLOT_CONNS = (65536, 131072)  # max_connections of the two fresh fanouts for the slot cost


def conf(max_conns=None):
    c = lt.SEED_MEMIF_CONF.replace("    keepalive_requests 1000000;\n}",
                                   "    keepalive_requests 1000000;\n    keepalive 16384;\n}")
    assert c.count("keepalive 16384;") == 2
    if max_conns:
        c += "tcp { max_connections %d; }\n" % max_conns
    return c


def mem_delta(idle):
    b, a = idle["fanout_before"], idle["fanout_after"]
    d = {k: a[k] - b[k] for k in a if k != "mbuf_bytes"}
    d["mbuf_bytes"] = a["mbuf_bytes"]
    # resident memory (anonymous and hugetlb) plus what the mbufs it holds take
    # of the pool (allocated at start, resident or not)
    d["bytes"] = (1024 * (d["rss_anon_kb"] + d["hugetlb_kb"]) + d["heap_alloc_bytes"] +
                  d["mbufs_in_use"] * d["mbuf_bytes"])
    return d


def slot_bytes(t):
    """Resident memory per max_connections slot: two fresh fanouts, no load."""
    rss = []
    for m in SLOT_CONNS:
        ns = t.netns()
        with lt.SockDir() as d:
            fo = lt.start_fanout(ns, d.path, conf=conf(m))
            mem = fo.stats()["memory"]
            fi.log("fresh fanout, max_connections %d: rss %d KiB (anon %d, hugetlb %d)"
                   % (m, mem["rss_kb"], mem["rss_anon_kb"], mem["hugetlb_kb"]))
            rss.append(mem["rss_anon_kb"] + mem["hugetlb_kb"])
            fo.stop()
        ns.close()
    return 1024.0 * (rss[1] - rss[0]) / (SLOT_CONNS[1] - SLOT_CONNS[0]), rss


def one_run(t, n, a, requests):
    """A fresh fanout, one fanout-loadgen run: N connections held idle after
    @requests requests each. Returns fanout's memory deltas and the report."""
    ns = t.netns()
    with lt.SockDir() as d:
        fo = lt.start_fanout(ns, d.path, conf=conf())
        args = ["-c", str(n), "--idle", "--idle-requests", str(requests), "-d", str(a.bound),
                "--timeout", str(a.bound), "--idle-settle", "1", "-t", "/test01/m",
                "-t", "/test02/m", "--origin-hold", str(min(n, a.hold)),
                "--origin-conns", str(n + 1024), "--mbufs", str(max(32768, 2 * n))]
        (r,), _ = lt.loadgen(ns, fo, d.path, [args], timeout=a.bound + 120)
    ns.close()
    idle = r.get("idle") or {}
    if not idle.get("fanout_after"):
        raise fi.Failure("N=%d: fanout's memory section was not read" % n)
    d = mem_delta(idle)
    fi.log("N=%d, %d request(s) each: %d idle, errors %d; fanout: rss %+d KiB (anon %+d), "
           "mbufs %+d, tcp conns %+d, sessions %+d, upstream idle %+d"
           % (n, requests, idle["connections"], r["errors"], d["rss_kb"], d["rss_anon_kb"],
              d["mbufs_in_use"], d["tcp_conns"], d["sessions"], d["upstream_idle"]))
    return {"idle_conns": idle["connections"], "errors": r["errors"],
            "error_kinds": {k: v for k, v in r["error_kinds"].items() if v},
            "delta": d, "before": idle["fanout_before"], "after": idle["fanout_after"]}


def measure(t, n, a):
    """Two fresh fanouts (first use is what pages memory in): N idle clients
    that sent nothing, then N that were served one request each, their
    upstream connections pooled; the second minus the first, over the
    pooled upstream connections."""
    row = {"conns": n, "no_request": one_run(t, n, a, 0), "one_request": one_run(t, n, a, 1)}
    c0, c1 = row["no_request"], row["one_request"]
    row["client_bytes"] = c0["delta"]["bytes"] / c0["idle_conns"] if c0["idle_conns"] else None
    row["client_mbufs"] = (c0["delta"]["mbufs_in_use"] / c0["idle_conns"]
                           if c0["idle_conns"] else None)
    up = c1["after"]["upstream_idle"]
    row["pooled_upstream"] = up
    ok = up and c0["idle_conns"] == c1["idle_conns"]
    row["upstream_bytes"] = (c1["delta"]["bytes"] - c0["delta"]["bytes"]) / up if ok else None
    row["upstream_mbufs"] = ((c1["delta"]["mbufs_in_use"] - c0["delta"]["mbufs_in_use"]) / up
                             if ok else None)
    return row


def fmt(v, f="%.0f"):
    return f % v if v is not None else "-"


def print_table(rows, slot, m):
    print("Memory per connection, fanout's own accounting (/fanout/stats \"memory\"), "
          "one worker over net_memif")
    print("| connections | idle clients | bytes per idle client (no request) | mbufs per "
          "client | pooled upstream conns | bytes per pooled upstream conn (+ request "
          "state) | mbufs per upstream | + slot, each | errors |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        c0, c1 = r["no_request"], r["one_request"]
        print("| %d | %d | %s | %s | %d | %s | %s | %s | %d |" % (
            r["conns"], c0["idle_conns"], fmt(r["client_bytes"]),
            fmt(r["client_mbufs"], "%.2f"), r["pooled_upstream"], fmt(r["upstream_bytes"]),
            fmt(r["upstream_mbufs"], "%.2f"), fmt(slot), c0["errors"] + c1["errors"]))
    print("bytes: resident memory (anonymous + hugetlb) after minus before, plus mbufs held "
          "times their size, over the connections; + slot: the TCP connection slot every "
          "connection (client or upstream) holds, committed at start for each of "
          "max_connections (resident memory of fresh fanouts at max_connections %d and %d). "
          "A worker holds at most 16,384 client sessions (FO_PROXY_SESSIONS_CAP)."
          % SLOT_CONNS)
    print("machine: %s, %s CPUs, kernel %s, DPDK %s, load average at start %s" % (
        m["cpu"], m["cpus"], m["kernel"], m["dpdk"], " ".join(m["loadavg_at_start"])))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--conns", default="10000,16000")
    p.add_argument("--bound", type=float, default=30,
                   help="seconds a run may take to get every connection idle")
    p.add_argument("--hold", type=int, default=2000,
                   help="upstream connections opened at once (origin-hold) in run 2")
    p.add_argument("--json", help="merge the results into this JSON file")
    a = p.parse_args()
    conns = [int(c) for c in a.conns.split(",") if c]
    if not conns or any(not 1 <= c <= 16384 for c in conns) or not 1 <= a.bound <= 120:
        p.error("--conns 1..16384 each (a worker's session cap); --bound 1..120")
    fi.require_root()
    fi.clean_stale()
    mach = mc.machine()
    rows, slot, slot_rss = [], None, None

    def body(t):
        nonlocal slot, slot_rss
        slot, slot_rss = slot_bytes(t)
        fi.log("TCP connection slot: %.0f bytes" % slot)
        for n in conns:
            rows.append(measure(t, n, a))

    ok = mc.run_guarded("memory_bench", body)
    if rows:
        print_table(rows, slot, mach)
    if a.json and rows:
        os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
        try:
            with open(a.json) as f:
                doc = json.load(f)
            if not isinstance(doc, dict):
                doc = {}
        except (OSError, ValueError):
            doc = {}
        doc["memory"] = {"machine": mach, "args": vars(a), "slot_bytes": slot,
                         "slot_rss_kb": slot_rss, "slot_max_connections": SLOT_CONNS,
                         "rows": rows}
        with open(a.json, "w") as f:
            json.dump(doc, f, indent=1)
        print("results: %s (key \"memory\")" % a.json)
    sys.exit(0 if ok and rows else 1)


if __name__ == "__main__":
    main()
