#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""TCP throughput: fanout's built-in services vs the Linux kernel, one run.

Not a test (nothing passes or fails on numbers); scripts/bench runs it.

Paths, each measured with the same Python client (tests/integ/tcp_tools.py,
--fast: no hashing, one reused random MiB):

  fanout/NIC     fanout on the NIC FO_NIC names (net_tap by default; scripts/bench
                 passes its --nic) (one worker, busy polling, CPU 0); the
                 client in the namespace on the kernel side of the tap (CPU 1)
  kernel/veth    a Linux server (tcp_tools `server`, CPU 0) in a second
                 namespace, reached over a veth pair, default offloads
                 (TSO/GRO: 64 KiB segments inside the host)
  kernel/veth-1500
                 the same with TSO, GSO and GRO off: wire-sized segments, as
                 on fanout's path

Modes: echo (upload N bytes and read them back at the same time; reported
per direction), source (download N bytes), discard (upload N bytes).

For fanout, its own TSC accounting gives the CPU cost: busy cycles of the
worker (time in loop iterations that did work) divided by the TCP segments
it received and sent, both as deltas over the repetition (/fanout/tcp and
/fanout/stats), and the share of busy cycles in its polling time.

    tcp_bench.py [--size 256m] [--reps 5] [--modes echo,source,discard]
                 [--paths fanout,veth,veth-1500] [--json FILE]
"""

import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integ"))
import fo_integ as fi  # noqa: E402
import tcp_tools as tt  # noqa: E402

# "fanout/tap", "fanout/af_packet"...: the NIC FO_NIC names
FANOUT_LABEL = "fanout/" + (os.environ.get("FO_NIC") or "tap")
PORTS = {"echo": tt.ECHO_PORT, "source": tt.SOURCE_PORT, "discard": tt.DISCARD_PORT}


def client_argv(mode, size, timeout, cpu):
    pin = ["taskset", "-c", str(cpu)] if cpu is not None else []
    port = PORTS[mode]
    if mode == "echo":
        args = ["echo-client", "--port", port, "--bytes", size, "--fast", "--stall", 10]
    elif mode == "source":
        args = ["source-client", "--port", port, "--fast", "--stall", 10]
    else:
        args = ["discard-client", "--port", port, "--bytes", size]
    return pin + tt.tool_argv(*args, "--timeout", timeout)


def run_client(ns, mode, size, cpu):
    r = ns.run(client_argv(mode, size, 120, cpu), timeout=150, check_rc=False)
    res = tt.parse_result(r.stdout, "%s client (stderr %s)" % (mode, r.stderr[-1000:]))
    moved = res.get("received") if mode != "discard" else res.get("sent")
    if not res["ok"] or moved != size:
        raise fi.Failure("%s client: %s (moved %s of %d bytes)" % (mode, res.get("error"), moved,
                                                                  size))
    return moved / res["secs"], res


def fanout_counters(fo):
    t = tt.tcp_info(fo)
    s = fo.stats()
    busy = sum(w["busy_cycles"] for w in s["workers"].values())
    idle = sum(w["idle_cycles"] for w in s["workers"].values())
    segs = t["totals"]["seg_rx"] + t["totals"]["seg_tx"]
    return {"busy": busy, "idle": idle, "segs": segs, "rtx": t["totals"]["retransmits"]}


def bench_fanout(t, a, modes, out):
    ns = t.netns("benchfo")
    cpus = sorted(os.sched_getaffinity(0))
    fo = ns.start_fanout(conf=tt.tcp_conf(source_size=str(a.size)), lcores="0",
                         idle_sleep=None)
    tt.smoke(ns)
    client_cpu = cpus[1] if len(cpus) > 1 else None
    for mode in modes:
        rows = []
        for rep in range(a.reps):
            c0 = fanout_counters(fo)
            try:
                bps, res = run_client(ns, mode, a.size, client_cpu)
            except fi.Failure as e:
                fi.log("%s %s #%d FAILED: %s" % (FANOUT_LABEL, mode, rep + 1, e))
                rows.append({"failed": str(e)})
                break
            c1 = fanout_counters(fo)
            segs = c1["segs"] - c0["segs"]
            busy = c1["busy"] - c0["busy"]
            poll = busy + c1["idle"] - c0["idle"]
            rows.append({"bps": bps, "secs": res["secs"], "segs": segs,
                         "cycles_per_seg": busy / segs if segs else 0.0,
                         "busy_share": busy / poll if poll else 0.0,
                         "segs_per_s": segs / res["secs"], "retransmits": c1["rtx"] - c0["rtx"]})
            fi.log("%s %s #%d: %.1f MB/s, %d segments, %.0f cycles/segment, busy %.0f%%"
                   % (FANOUT_LABEL, mode, rep + 1, bps / 1e6, segs, rows[-1]["cycles_per_seg"],
                      100 * rows[-1]["busy_share"]))
        out.append((FANOUT_LABEL, mode, rows))
    fo.stop()


def bench_kernel(t, a, modes, out, offloads):
    name = "kernel/veth" if offloads else "kernel/veth-1500"
    cl = t.netns("benchkc")
    sv = t.netns("benchks")
    cl.run(["ip", "link", "add", "kc0", "type", "veth", "peer", "name", "ks0", "netns", sv.name])
    cl.run(["ip", "addr", "add", "%s/24" % fi.KERNEL_IP, "dev", "kc0"])
    sv.run(["ip", "addr", "add", "%s/24" % fi.FANOUT_IP, "dev", "ks0"])
    for ns, dev in ((cl, "kc0"), (sv, "ks0")):
        if not offloads:
            ns.run(["ethtool", "-K", dev, "tso", "off", "gso", "off", "gro", "off"])
        ns.run(["ip", "link", "set", dev, "up"])
    cpus = sorted(os.sched_getaffinity(0) | set(fi.ALL_CPUS))
    srv_cpu, cli_cpu = (cpus[0], cpus[1]) if len(cpus) > 1 else (None, None)
    for mode in modes:
        pin = ["taskset", "-c", str(srv_cpu)] if srv_cpu is not None else []
        srv = sv.spawn(pin + tt.tool_argv("server", "--bind", fi.FANOUT_IP, "--port", PORTS[mode],
                                          "--mode", mode, "--size", a.size, "--timeout", 3600),
                       "server-%s-%s" % (mode, "off" if not offloads else "on"))
        fi.wait_for(lambda: "listening" in srv.out() or srv.poll() is not None, 10,
                    "the kernel server")
        rows = []
        for rep in range(a.reps):
            try:
                bps, res = run_client(cl, mode, a.size, cli_cpu)
            except fi.Failure as e:
                fi.log("%s %s #%d FAILED: %s" % (name, mode, rep + 1, e))
                rows.append({"failed": str(e)})
                break
            rows.append({"bps": bps, "secs": res["secs"]})
            fi.log("%s %s #%d: %.1f MB/s" % (name, mode, rep + 1, bps / 1e6))
        out.append((name, mode, rows))
        srv.close()
    cl.close()
    sv.close()


def med(rows, key):
    return statistics.median(r[key] for r in rows)


def print_table(out, a):
    print()
    print("TCP throughput, %d MiB per transfer, %d repetitions (median [min-max]); "
          "MB/s = 10^6 bytes/s per direction" % (a.size >> 20, a.reps))
    print("%-18s %-8s %22s %12s %12s %8s %6s" % ("path", "mode", "MB/s", "segments/s",
                                                 "cycles/seg", "busy", "rtx"))
    for path, mode, rows in out:
        failed = [r["failed"] for r in rows if "failed" in r]
        rows = [r for r in rows if "failed" not in r]
        if failed:
            print("%-18s %-8s FAILED after %d good runs: %s" % (path, mode, len(rows),
                                                              failed[0][:200].replace("\n", " ")))
            continue
        bps = [r["bps"] / 1e6 for r in rows]
        cell = "%.1f [%.1f-%.1f]" % (statistics.median(bps), min(bps), max(bps))
        if "segs" in rows[0]:
            print("%-18s %-8s %22s %12.0f %12.0f %7.0f%% %6d" % (
                path, mode, cell, med(rows, "segs_per_s"), med(rows, "cycles_per_seg"),
                100 * med(rows, "busy_share"), sum(r["retransmits"] for r in rows)))
        else:
            print("%-18s %-8s %22s %12s %12s %8s %6s" % (path, mode, cell, "-", "-", "-", "-"))
    print()
    by = {(p, m): statistics.median(r["bps"] for r in rows) for p, m, rows in out
          if rows and all("failed" not in r for r in rows)}
    for mode in a.modes.split(","):
        f = by.get((FANOUT_LABEL, mode))
        for k in ("kernel/veth", "kernel/veth-1500"):
            if f and by.get((k, mode)):
                print("ratio %s : %-16s %-8s %.2f" % (FANOUT_LABEL, k, mode, f / by[(k, mode)]))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=tt.parse_size, default=256 << 20)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--modes", default="echo,source,discard")
    p.add_argument("--paths", default="fanout,veth,veth-1500")
    p.add_argument("--json", help="write the raw numbers here")
    a = p.parse_args()
    fi.require_root()
    fi.clean_stale()
    t = fi.Test("tcp_bench")
    modes = a.modes.split(",")
    out = []
    ok = False
    try:
        for path in a.paths.split(","):
            if path == "fanout":
                bench_fanout(t, a, modes, out)
            elif path == "veth":
                bench_kernel(t, a, modes, out, offloads=True)
            elif path == "veth-1500":
                bench_kernel(t, a, modes, out, offloads=False)
            else:
                raise fi.Failure("unknown path %s" % path)
        ok = True
    except fi.Failure as e:
        print("tcp_bench: %s" % e, flush=True)
    finally:
        if not ok:
            for fo in t.fanouts():
                if fo.proc is not None:
                    fo.proc.dump()
        fi.cleanup_all()
    if out:
        print_table(out, a)
        try:
            with open("/proc/cpuinfo") as f:
                model = next((line.split(":", 1)[1].strip() for line in f
                              if line.startswith("model name")), "?")
        except OSError:
            model = "?"
        print("cpu: %s, %d online; fanout %s" % (model, os.cpu_count(), fi.FANOUT))
    if a.json:
        with open(a.json, "w") as f:
            json.dump([{"path": p_, "mode": m, "runs": r} for p_, m, r in out], f, indent=1)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
