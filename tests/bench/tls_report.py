#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Tables of the "tls" results of tests/bench/tls_bench.py.

Used by tls_bench.py after a run, and alone (`scripts/bench --report`) to
print the Markdown table the README's "Performance" section carries, from
build/bench/results.json, so that no number there is typed by hand:

    tls_report.py [--json build/bench/results.json] [--text] [--require]

Without --require, no "tls" key in the file is only a note on stderr (exit 0):
`scripts/bench --report` prints every section it finds.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report_common import add_json_arg, cell, contenders, med, render, sections  # noqa: E402

ORDER = ("fanout-af_xdp", "fanout-af_packet", "fanout-af_xdp-whole", "fanout-af_packet-whole",
         "nginx", "haproxy")
TESTS = ("full", "full-rsa", "resumed", "keepalive", "plain", "paced", "flood")
LABEL = {"full": "full handshake, ECDSA P-256", "full-rsa": "full handshake, RSA-2048",
         "resumed": "resumed handshake (ticket)", "keepalive": "keep-alive requests",
         "plain": "keep-alive requests, plain HTTP",
         "paced": "paced keep-alive, alone", "flood": "paced keep-alive + handshake flood"}


def cycles_per_op(r, tsc):
    """The proxy's CPU per operation, in TSC cycles (as kernel_report.summarize)."""
    if not r.get("ops"):
        return None
    if "busy_cycles" in r and r.get("idle_sleep") and tsc:
        # a worker that sleeps when idle: its process's CPU time, as nginx's
        return r["cpu_s"] * tsc / r["ops"]
    if "busy_cycles" in r:
        # on a shared VM the TSC runs on while the worker is preempted
        return r["busy_cycles"] / r["ops"] * min(1.0, r["oncpu_share"] or 1.0)
    if tsc and r.get("cpu_s") is not None:
        return r["cpu_s"] * tsc / r["ops"]
    return None


def summarize(doc):
    """Medians per (contender, test), operations per core, ratios."""
    tsc = doc.get("tsc_hz")
    out = []
    for name in contenders(doc["runs"], "rate", ORDER):
        for test in TESTS:
            rows = [r for r in doc["runs"] if r.get("contender") == name and
                    r.get("test") == test and "rate" in r]
            if not rows:
                continue
            for r in rows:
                r["cycles_per_op"] = cycles_per_op(r, tsc)
            s = {"contender": name, "test": test, "runs": len(rows),
                 "errors": sum(r["errors"] for r in rows)}
            for k in ("rate", "p50", "p99", "p999", "cycles_per_op", "oncpu_share",
                      "clients_cpu_share", "resumed_share", "flood_rate", "proxy_cpu_steal"):
                s[k] = med(rows, k)
            s["rate_min"] = min(r["rate"] for r in rows)
            s["rate_max"] = max(r["rate"] for r in rows)
            s["per_core"] = tsc / s["cycles_per_op"] if tsc and s["cycles_per_op"] else None
            s["rounds"] = {r["round"]: r["cycles_per_op"] for r in rows if r["cycles_per_op"]}
            out.append(s)
    for s in out:
        for ref in ("nginx", "haproxy"):
            r = next((x for x in out if x["contender"] == ref and x["test"] == s["test"]), None)
            if r is None:
                continue
            if r["per_core"] and s["per_core"]:
                s["per_core_vs_" + ref] = s["per_core"] / r["per_core"]
                # the same ratio round by round (contenders ran in turn within a round)
                s["per_core_vs_%s_rounds" % ref] = [
                    r["rounds"][n] / s["rounds"][n] for n in sorted(s["rounds"])
                    if n in r["rounds"]]
            if r["rate"] and s["rate"]:
                s["rate_vs_" + ref] = s["rate"] / r["rate"]
            if r["p99"] and s["p99"]:
                s["p99_vs_" + ref] = s["p99"] / r["p99"]
        if s["test"] == "keepalive":
            plain = next((x for x in out if x["contender"] == s["contender"] and
                          x["test"] == "plain"), None)
            if plain and plain["cycles_per_op"] and s["cycles_per_op"]:
                s["cpu_vs_plain"] = s["cycles_per_op"] / plain["cycles_per_op"]
        if s["test"] == "flood":
            alone = next((x for x in out if x["contender"] == s["contender"] and
                          x["test"] == "paced"), None)
            if alone and alone["p99"] and s["p99"]:
                s["p99_x"] = s["p99"] / alone["p99"]
    return out


def table(doc, markdown=True):
    """The summary as a Markdown (or plain) table, the ratios and the machine under it."""
    tsc = doc.get("tsc_hz")
    hdr = ["contender", "test", "ops/s", "per core", "vs nginx", "vs HAProxy", "CPU µs/op",
           "p50 ms", "p99 ms", "p99.9 ms", "p99 ×", "resumed", "proxy/clients CPU", "errors"]
    lines = []
    for s in doc.get("summary") or []:
        lines.append([s["contender"], s["test"], "%.0f" % s["rate"], cell(s["per_core"], "%.0f"),
                      cell(s.get("per_core_vs_nginx"), "%.2f×"),
                      cell(s.get("per_core_vs_haproxy"), "%.2f×"),
                      cell(s["cycles_per_op"] / tsc * 1e6 if tsc and s["cycles_per_op"] else None,
                         "%.1f"),
                      cell(s["p50"], "%.2f", 1e3), cell(s["p99"], "%.2f", 1e3),
                      cell(s["p999"], "%.2f", 1e3), cell(s.get("p99_x"), "%.2f×"),
                      cell(s["resumed_share"], "%.0f%%", 100),
                      "%s/%s" % (cell(s["oncpu_share"], "%.0f%%", 100),
                                 cell(s["clients_cpu_share"], "%.0f%%", 100)),
                      str(s["errors"])])
    text = render(hdr, lines, markdown)
    text.append("")
    text += ratios(doc.get("summary") or [])
    a, m = doc["args"], doc["machine"]
    text.append("")
    text.append(
        "Tests: full = h2load --h1, %d new clients a run (one handshake and one GET each, "
        "nothing to resume), runs back to back; full-rsa = the same, RSA-2048 certificate; "
        "resumed = wrk -c%d with `Connection: close` (each reconnection resumes the last "
        "session: TLS 1.3 PSK with X25519); keepalive = wrk -c%d; paced = wrk -c%d, one "
        "request per connection every %d ms; plain = keepalive over plain HTTP (port 80 of the "
        "same fanout); flood = paced while %s. ops/s: handshakes or requests per "
        "second of wall time (bounded by the clients' CPU for handshakes). per core: the same "
        "per second of the proxy's CPU time (fanout: %s; nginx, HAProxy: utime+stime), the "
        "figure to compare. CPU µs/op: its "
        "inverse. p99 ×: flood p99 over paced p99, same contender. resumed: handshakes that "
        "resumed (fanout's counters). Ratios: medians over medians, same test." % (
            a["hs_clients"], a["conns"], a["conns"], a["paced_conns"], a["pace_ms"],
            ("hello_flood's %d connections at a time each send a ClientHello and reset once the "
             "server's first flight (its key exchange and signature) is back: the server's "
             "handshake work at its full rate, next to no client CPU%s" % (a["hs_clients"], (
                 " (under SCHED_IDLE; it starts once the paced clients have run %.0f s alone, "
                 "their handshakes made, and no client reconnects: keepalive_requests %d for "
                 "fanout and nginx, no limit in HAProxy)" % (a["flood_after"],
                                                           a["keepalive_requests"]))
                 if a.get("flood_after") else ""))
            if a.get("flood_tool") == "hello" else
            ("h2load%s makes full handshakes as fast as the clients' CPU allows" % (
                " (under SCHED_IDLE on the clients' CPU: the paced wrk and the backend preempt "
                "it)" if a.get("flood_idle") else "")),
            "utime+stime, polling between its idle sleeps included" if a.get("fanout_idle_sleep")
            else "busy TSC cycles times the share of the window the kernel ran it"))
    tls = doc.get("tls") or {}
    if tls:
        text.append("Checked before measuring (openssl s_client): every contender served the "
                    "bench's certificate, and resumed a session; " + "; ".join(
                        "%s %s %s %s" % (n, v.get("protocol"), v.get("cipher"), v.get("group"))
                        for n, v in sorted(tls.items())) + ".")
    text.append("")
    text.append("%s; %d s per test, %d round(s), contenders in turn, medians; fanout %s "
                "on %s; proxy on CPU %s, clients and the nginx backend on CPU %s; "
                "cycles at %s (%s)." % (
                    doc.get("when", "?"), a["duration"], a["rounds"],
                    "--idle-sleep %d (CPU: its utime+stime)" % a["fanout_idle_sleep"]
                    if a.get("fanout_idle_sleep") else "busy polling",
                    doc.get("fast_nic") or "none", doc["cpus"]["proxy"], doc["cpus"]["wrk"],
                    "%.0f MHz" % (tsc / 1e6) if tsc else "?", doc.get("tsc_source", "?")))
    text.append("Machine: %s, %s CPUs, kernel %s, DPDK %s, %s, load average at start %s." % (
        m["cpu"], m["cpus"], m["kernel"], m["dpdk"], m.get("openssl", "OpenSSL ?"),
        " ".join(m.get("loadavg_at_start", []))))
    if doc.get("notes"):
        text.append("Notes: " + "; ".join(sorted(set(doc["notes"]))) + ".")
    return "\n".join(text)


def by_round(s, ref):
    v = s.get("per_core_vs_%s_rounds" % ref) or []
    return " (by round: %s)" % ", ".join("%.2f" % x for x in v) if len(v) > 1 else ""


def ratios(summ):
    """One line per fanout row: per-core ratios to nginx and HAProxy; the flood's p99 ×."""
    out = []
    for name in [n for n in ORDER if n.startswith("fanout-")]:
        parts = []
        for s in summ:
            if s["contender"] != name or s["test"] in ("plain", "paced", "flood"):
                continue
            vs = ["%.2f× %s's%s" % (s["per_core_vs_" + ref], label, by_round(s, ref))
                  for ref, label in (("nginx", "nginx"), ("haproxy", "HAProxy"))
                  if s.get("per_core_vs_" + ref)]
            if vs:
                parts.append("%s per core: %s" % (LABEL[s["test"]], ", ".join(vs)))
            if s["test"] == "keepalive":
                vs = ["%.2f× %s's" % (s["rate_vs_" + ref], label)
                      for ref, label in (("nginx", "nginx"), ("haproxy", "HAProxy"))
                      if s.get("rate_vs_" + ref)]
                if vs:
                    parts.append("keep-alive requests/s: %s" % ", ".join(vs))
            if s.get("cpu_vs_plain"):
                parts.append("TLS keep-alive CPU per request: %.2f× its plain HTTP's" %
                             s["cpu_vs_plain"])
        if parts:
            out.append("- **%s**: %s." % (name, "; ".join(parts)))
    fl = ["%s %s (flood: %s handshakes/s)" % (
        s["contender"], cell(s.get("p99_x"), "%.2f×"), cell(s.get("flood_rate"), "%.0f"))
        for s in summ if s["test"] == "flood"]
    if fl:
        out.append("- **p99 of paced keep-alive clients during a handshake flood**, over their "
                   "p99 alone: " + ", ".join(fl) + ".")
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_json_arg(p)
    p.add_argument("--text", action="store_true", help="a plain table instead of Markdown")
    p.add_argument("--require", action="store_true", help="exit 1 when there are no results")
    a = p.parse_args()
    whole, keys = sections(a.json, "tls")
    # a smoke run (tls_bench.py --smoke) only when there is nothing else
    keys = [k for k in keys if not k.endswith("-smoke")] or keys
    if not keys:
        print("tls_report: no \"tls\" results in %s; run scripts/bench --only tls first"
              % a.json, file=sys.stderr)
        sys.exit(1 if a.require else 0)
    for i, key in enumerate(keys):
        doc = whole[key]
        doc["summary"] = summarize(doc)
        print("%s#### %s\n" % ("\n" if i else "", key))
        print(table(doc, markdown=not a.text))


if __name__ == "__main__":
    main()
