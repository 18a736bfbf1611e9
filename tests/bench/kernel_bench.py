#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Kernel clients: wrk through fanout, nginx as ingress-nginx and HAProxy.

Not a test (nothing passes or fails on numbers); scripts/bench runs it
(`--only kernel`; `--quick` for a short run).

One namespace; one fast backend for everyone: nginx answering
"hello world!" on the seed's six backend addresses (198.18.0.11-13 and
.21-23, port 8000, tests/bench/nginx-backend.conf.in). wrk (1 thread,
--conns connections, GET /test02, keep-alive, then every request with
`Connection: close`) from the kernel side against, in turn:

  fanout-xdp  fanout (config/fanout.conf: the seed's routes and /$2 rewrite,
              one worker, busy polling) on net_af_xdp over a veth, the
              fastest kernel-facing virtual NIC here (DESIGN.md); when
              af_xdp does not start or serve, net_af_packet on the same veth
              (the row is then named fanout-af_packet)
  fanout-tap  the same on net_tap (a syscall per packet)
  nginx       nginx 1.22 as ingress-nginx renders the seed's Ingress
              (nginx-ingress.conf.in, one worker, access log off) at
              198.18.0.3:80 (loopback)
  haproxy     HAProxy 2.6 with the same routes, rewrite and headers
              (haproxy-ingress.cfg.in, nbthread 1) at 198.18.0.4:80

CPUs: the proxy alone on the first CPU (taskset); wrk and the backend
share the second (on a machine with more CPUs, the others too). Each
round starts every contender in turn, warms it up, runs keep-alive then
close, and stops it; --rounds rounds; medians over rounds.

Per run: requests/s, latency p50/p99/p99.9 (wrk's histogram, through
tests/bench/wrk-pct.lua), errors (socket errors and non-2xx), and the
proxy's CPU per request:
  fanout: its worker's busy TSC cycles (fanout's own accounting: loop
          iterations that did work, the tap's syscalls included) over the
          requests wrk completed;
  nginx, HAProxy: utime+stime of all their processes (/proc/PID/stat,
          threads included) in cycles at the TSC rate (measured from
          fanout's busy+idle cycles over wall time in the same invocation,
          else /proc/cpuinfo's MHz), over the requests; plus the softirq time
          of the proxy's CPU (/proc/stat) in the same window, reported
          separately ("+softirq").
Limits: a kernel-socket proxy's network stack runs partly in softirq on the
other CPU (loopback and veth deliver in the sender's context: wrk's and the
backend's sends run the proxy's receive path there), which no column
charges to the proxy; the same holds for the kernel half of fanout's veth
and tap traffic. So CPU/request understates the kernel proxies' cost and
fanout's own cost is exact for its userspace work only. Each row also
records the busy share of both CPUs (/proc/stat) so one can tell which
side bounded the run ("bound": proxy when its CPU was >= 95 % busy (for
fanout: its loop's busy share), clients when the other CPU was).

    kernel_bench.py [--rounds 3] [--duration 10] [--conns 32] [--quick]
                    [--contenders fanout-xdp,fanout-tap,nginx,haproxy]
                    [--fast-nic af_xdp|af_packet] [--fanout-idle-sleep US]
                    [--json build/bench/results.json] [--charts DIR]

--json merges {"kernel": {...}} into that file (other sections' keys kept;
--key another name starting with "kernel", e.g. kernel-idle-sleep, to keep
a variant next to the default run); --charts writes KEY-rps.png and
KEY-p99.png there (gnuplot).
"""

import argparse
import os
import resource
import statistics
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integ"))
sys.path.insert(0, HERE)
import fo_integ as fi  # noqa: E402
import http_tools as ht  # noqa: E402
import memif_common as mc  # noqa: E402
from memif_common import machine  # noqa: E402
import kernel_report as kr  # noqa: E402

SEED_CONF = os.path.join(fi.SRC_DIR, "config", "fanout.conf")
BACKEND_IPS = ht.DJANGO_IPS + ht.FLASK_IPS
HAPROXY = "/usr/sbin/haproxy"
HAPROXY_IP = "198.18.0.4"
PATH = "/test02"
LUA = os.path.join(HERE, "wrk-pct.lua")
CLK_TCK = os.sysconf("SC_CLK_TCK")
CONTENDERS = ("fanout-xdp", "fanout-tap", "nginx", "haproxy")
MODES = ("keepalive", "close")


def parse_wrk(out):
    """wrk output with wrk-pct.lua's lines -> dict."""
    r = {"pct": {}}
    for line in out.splitlines():
        f = line.split()
        if f[:1] == ["fo-pct"]:
            r["pct"][f[1]] = int(f[2]) / 1e6
        elif f[:1] == ["fo-done"]:
            n, dur, c, rd, wr, st, to = (int(x) for x in f[1:8])
            r.update(requests=n, duration=dur / 1e6, errors=c + rd + wr + to, non2xx=st)
    fi.check("requests" in r and r["duration"] > 0, "wrk printed no fo-done line:\n" + out)
    r["rps"] = r["requests"] / r["duration"]
    r["p50"], r["p99"], r["p999"] = r["pct"].get("50"), r["pct"].get("99"), r["pct"].get("99.9")
    return r


def run_wrk(ns, url, mode, a, cpus, duration):
    argv = ["taskset", "-c", cpus, "wrk", "-t", "1", "-c", str(a.conns), "-d", "%ds" % duration,
            "--timeout", "5s", "-s", LUA, url]
    if mode == "close":
        argv[4:4] = ["-H", "Connection: close"]
    r = ns.run(argv, timeout=duration + 60, check_rc=False)
    fi.check(r.returncode == 0, "wrk exit %d: %s %s" % (r.returncode, r.stdout, r.stderr))
    return parse_wrk(r.stdout)


def cpu_times():
    """/proc/stat: {cpu: (busy ticks, softirq ticks, total ticks, steal ticks)}."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            f_ = line.split()
            if f_[0].startswith("cpu") and f_[0] != "cpu":
                v = [int(x) for x in f_[1:]]
                total = sum(v[:8])
                idle = v[3] + v[4]
                out[int(f_[0][3:])] = (total - idle, v[6], total, v[7])
    return out


def proc_ticks(pids):
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (all threads)
        except (OSError, IndexError, ValueError):
            pass
    return total


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


class Contender:
    """A running proxy: url, pids() (kernel ones) or fo (fanout), stop()."""

    def __init__(self, name, url, stop, pids=None, fo=None, nic=None):
        self.name, self.url, self.stop, self.pids, self.fo, self.nic = \
            name, url, stop, pids, fo, nic


def drop_veth(ns):
    """fo0 may be the veth of the af_xdp/af_packet runs: net_tap needs the name."""
    ns.xdp_off()
    if ns.run(["ip", "link", "show", "dev", fi.VETH_DPDK], check_rc=False).returncode == 0:
        ns.run(["ip", "link", "del", fi.TAP], check_rc=False)


def start_fanout(ns, nic, cpu, idle_sleep):
    if nic == "tap":
        drop_veth(ns)
    fo = ns.start_fanout(conf=SEED_CONF, lcores=cpu, idle_sleep=idle_sleep, nic=nic)

    def stop():
        fo.stop()
        if nic != "tap":
            ns.xdp_off()
    return Contender("fanout-" + nic, "http://%s%s" % (fi.FANOUT_IP, PATH), stop, fo=fo, nic=nic)


def start(ns, name, cpus, state):
    """Start contender @name on cpus['proxy']; None (and a note) when it cannot serve."""
    cpu = cpus["proxy"]
    if name == "fanout-xdp":
        nics = [state["fast_nic"]] if state.get("fast_nic") else state["fast_nics"]
        for nic in nics:
            try:
                c = start_fanout(ns, nic, cpu, state["idle_sleep"])
            except fi.Failure as e:
                fi.log("fanout on %s did not start: %s" % (nic, str(e)[:300]))
                state.setdefault("notes", []).append("fanout on %s did not start" % nic)
                ns.xdp_off()
                continue
            if serves(ns, fi.FANOUT_IP):
                state["fast_nic"] = nic
                return c
            state.setdefault("notes", []).append("fanout on %s did not serve %s" % (nic, PATH))
            c.stop()
        return None
    if name == "fanout-tap":
        try:
            c = start_fanout(ns, "tap", cpu, state["idle_sleep"])
        except fi.Failure as e:
            fi.log("fanout on tap did not start: %s" % str(e)[:300])
            return None
        if serves(ns, fi.FANOUT_IP):
            return c
        c.stop()
        return None
    if name == "nginx":
        ngx = ht.start_nginx_ingress(ns, workers=1, access_log=False, cpus=cpu,
                                     name="nginx-ingress-%d" % state["round"])
        c = Contender("nginx", "http://%s%s" % (ht.NGINX_IP, PATH), ngx.stop,
                      pids=lambda: [ngx.proc.pid] + ngx.worker_pids())
    elif name == "haproxy":
        ht.add_addresses(ns, [HAPROXY_IP])
        hname = "haproxy-%d" % state["round"]
        run_dir = os.path.join(ns.test.log_dir, hname)
        conf = os.path.join(run_dir, "haproxy.cfg")
        os.replace(ht.render_nginx("haproxy-ingress.cfg.in", run_dir,
                                   LISTEN="%s:80" % HAPROXY_IP, THREADS=1), conf)
        r = ns.run([HAPROXY, "-c", "-q", "-f", conf], check_rc=False)
        fi.check(r.returncode == 0, "haproxy -c %s: %s%s" % (conf, r.stdout, r.stderr))
        proc = ns.spawn(["taskset", "-c", cpu, HAPROXY, "-db", "-f", conf], hname)
        fi.wait_for(lambda: ht.tcp_ready(ns, HAPROXY_IP, 80) or proc.poll() is not None,
                    ht.READY_TIMEOUT, "haproxy on %s:80" % HAPROXY_IP)
        if proc.poll() is not None:
            proc.dump()
            raise fi.Failure("haproxy exited with %r" % proc.poll())
        c = Contender("haproxy", "http://%s%s" % (HAPROXY_IP, PATH), proc.close,
                      pids=lambda: [proc.pid] + children(proc.pid))
    else:
        raise fi.Failure("unknown contender %r" % name)
    ip = c.url.split("/")[2]
    if not serves(ns, ip):
        c.stop()
        return None
    return c


def serves(ns, ip):
    try:
        r = ht.get(ns, ip, 80, PATH, timeout=5)
    except (OSError, ht.HttpError) as e:
        fi.log("GET http://%s%s: %s" % (ip, PATH, e))
        return False
    return r.status == 200 and r.body == ht.FLASK_HELLO


def counters(c):
    snap = {"t": time.monotonic(), "cpu": cpu_times()}
    if c.fo is not None:
        w = c.fo.stats()["workers"].values()
        snap["busy"] = sum(x["busy_cycles"] for x in w)
        snap["idle"] = sum(x["idle_cycles"] for x in w)
        snap["ticks"] = proc_ticks([c.fo.proc.pid])
    else:
        snap["ticks"] = proc_ticks(c.pids())
    return snap


def child_cpu_s():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def measure(ns, c, mode, a, cpus, rnd, backend):
    c0 = counters(c)
    b0, w0 = proc_ticks(backend.pids()), child_cpu_s()
    w = run_wrk(ns, c.url, mode, a, cpus["wrk"], a.duration)
    # wrk is a waited-for child (ip netns exec and taskset exec it): its CPU time
    b1, w1 = proc_ticks(backend.pids()), child_cpu_s()
    c1 = counters(c)
    wall = c1["t"] - c0["t"]
    pc, oc = int(cpus["proxy"]), [int(x) for x in fi.parse_cpulist(cpus["wrk"])]

    def share(cpu, i):
        d = [c1["cpu"][cpu][k] - c0["cpu"][cpu][k] for k in range(4)]
        return d[i] / d[2] if d[2] else None
    row = {"contender": c.name, "mode": mode, "round": rnd, "wall": wall,
           "requests": w["requests"], "rps": w["rps"], "p50": w["p50"], "p99": w["p99"],
           "p999": w["p999"], "errors": w["errors"], "non2xx": w["non2xx"],
           "proxy_cpu_busy": share(pc, 0), "proxy_cpu_softirq": share(pc, 1),
           "proxy_cpu_steal": share(pc, 3),
           "other_cpu_busy": statistics.mean(share(x, 0) for x in oc),
           "other_cpu_softirq": statistics.mean(share(x, 1) for x in oc),
           "other_cpu_steal": statistics.mean(share(x, 3) for x in oc),
           # wrk, the backend and the softirq work on their CPU (not charged to a process)
           "clients_cpu_share": ((b1 - b0) / CLK_TCK + w1 - w0) / wall / len(oc) +
           statistics.mean(share(x, 1) for x in oc)}
    if c.fo is not None:
        busy, idle = c1["busy"] - c0["busy"], c1["idle"] - c0["idle"]
        row.update(busy_cycles=busy, poll_cycles=busy + idle,
                   busy_share=busy / (busy + idle) if busy + idle else None,
                   tsc_hz=(busy + idle) / wall,
                   # the share of the window the kernel ran fanout (other tenants of a VM)
                   oncpu_share=(c1["ticks"] - c0["ticks"]) / CLK_TCK / wall,
                   cpu_s=(c1["ticks"] - c0["ticks"]) / CLK_TCK, idle_sleep=a.fanout_idle_sleep)
    else:
        row["cpu_s"] = (c1["ticks"] - c0["ticks"]) / CLK_TCK
        row["oncpu_share"] = row["cpu_s"] / wall
        d = c1["cpu"][pc][1] - c0["cpu"][pc][1]
        row["softirq_s"] = d / CLK_TCK
    fi.log("%s %s #%d: %.0f req/s, p99 %.2f ms, %d errors, %d non-2xx" % (
        c.name, mode, rnd, w["rps"], (w["p99"] or 0) * 1e3, w["errors"], w["non2xx"]))
    return row


def pick_cpus():
    cpus = sorted(set(fi.ALL_CPUS))
    fi.check(len(cpus) >= 2, "kernel_bench needs 2 CPUs (proxy on one, wrk and backend on "
             "the other); this process may use %s" % cpus)
    return {"proxy": str(cpus[0]), "wrk": fi.cpulist(cpus[1:])}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--conns", type=int, default=32)
    p.add_argument("--quick", action="store_true", help="1 round of 4 s runs (about 1.5 min)")
    p.add_argument("--contenders", default=",".join(CONTENDERS))
    p.add_argument("--fast-nic", choices=("af_xdp", "af_packet"),
                   help="fanout-xdp's NIC, no fallback (default: af_xdp, else af_packet)")
    p.add_argument("--fanout-idle-sleep", type=int, metavar="US",
                   help="fanout's --idle-sleep (default: none, busy polling as in production; "
                   "on a shared machine a back-off leaves the core to others when idle)")
    p.add_argument("--json", help="merge the results into this JSON file (key \"kernel\")")
    p.add_argument("--key", default="kernel", help="the results.json key (kernel...)")
    p.add_argument("--charts", help="write KEY-rps.png and KEY-p99.png into this directory")
    a = p.parse_args()
    if a.quick:
        a.rounds, a.duration, a.warmup = 1, 4, 1
    names = a.contenders.split(",")
    if not 1 <= a.rounds <= 10 or not 1 <= a.duration <= 60 or not 1 <= a.conns <= 10000 \
            or any(n not in CONTENDERS for n in names):
        p.error("--rounds 1..10, --duration 1..60, --conns 1..10000, --contenders from %s "
                "(every load is bounded)" % ",".join(CONTENDERS))
    if not a.key.startswith("kernel"):
        p.error("--key must start with \"kernel\" (scripts/bench --report lists those)")
    fi.require_root()
    fi.check(os.access(HAPROXY, os.X_OK) or "haproxy" not in names,
             "%s missing (Debian's haproxy; scripts/bootstrap installs it)" % HAPROXY)
    fi.clean_stale()
    mach = machine()
    t = fi.Test("kernel_bench")
    cpus = pick_cpus()
    fi.log("CPUs: proxy %s; wrk and backend %s" % (cpus["proxy"], cpus["wrk"]))
    rows = []
    state = {"fast_nics": [a.fast_nic] if a.fast_nic else ["af_xdp", "af_packet"],
             "idle_sleep": a.fanout_idle_sleep}

    def body(t):
        ns = t.netns("kbench")
        ns.run(["sysctl", "-q", "-w", "net.ipv4.ip_local_port_range=1024 65000"])
        ns.run(["sysctl", "-q", "-w", "net.ipv4.tcp_tw_reuse=1"])
        ngx_b = ht.start_nginx_backend(ns, BACKEND_IPS, cpus=cpus["wrk"])
        backend = Contender("backend", None, ngx_b.stop,
                            pids=lambda: [ngx_b.proc.pid] + ngx_b.worker_pids())
        for rnd in range(1, a.rounds + 1):
            state["round"] = rnd
            for name in names:
                c = start(ns, name, cpus, state)
                if c is None:
                    rows.append({"contender": name, "round": rnd, "failed": "did not serve"})
                    continue
                try:
                    run_wrk(ns, c.url, "keepalive", a, cpus["wrk"], a.warmup)
                    for mode in MODES:
                        rows.append(measure(ns, c, mode, a, cpus, rnd, backend))
                except fi.Failure as e:
                    rows.append({"contender": c.name, "round": rnd, "failed": str(e)[:300]})
                finally:
                    c.stop()

    ok = mc.run_guarded("kernel_bench", body, t)
    tsc = [r["tsc_hz"] for r in rows if r.get("tsc_hz")]
    tsc_hz, tsc_src = (statistics.median(tsc), "fanout's busy+idle cycles over wall time") \
        if tsc else (kr.cpu_mhz() * 1e6 if kr.cpu_mhz() else None, "/proc/cpuinfo cpu MHz")
    doc = {"machine": mach, "args": vars(a), "cpus": cpus, "tsc_hz": tsc_hz,
           "tsc_source": tsc_src, "fast_nic": state.get("fast_nic"),
           "notes": state.get("notes", []),
           "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "runs": rows}
    doc["summary"] = kr.summarize(doc)
    print()
    print(kr.table(doc, markdown=False))
    if a.json:
        kr.merge_json(a.json, a.key, doc)
        print("results: %s (key \"%s\")" % (a.json, a.key))
    if a.charts and doc["summary"]:
        for f in kr.charts(doc, a.charts, a.key):
            print("chart: %s" % f)
    sys.exit(0 if ok and any("rps" in r for r in rows) else 1)


if __name__ == "__main__":
    main()
