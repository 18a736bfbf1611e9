#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Live reload: how long a config change takes to be live, what a worker
spends on the switch, and what 100 reloads under load cost, fanout next to
nginx.

Not a test (nothing passes or fails on numbers); scripts/bench runs it.

One namespace, three testapp replicas (tests/backends/testapp.py, the
integration tests' backend) on the seed's flask-service addresses
198.18.0.21-23:8000. fanout runs with one worker on the first CPU (busy
polling) and its control thread on the second (--lcores 0@1,1@0), with a
config in the seed's shape whose flask-service endpoints live in a file of
their own (`upstream flask-service { include "endpoints-flask.conf"; }`)
and whose extra routes are `include "routes.d/*.conf"`. Every reload is
`fanoutctl reload` after a file was rewritten, and its times are read from
`fanoutctl status --json` once the new generation is live:

  publish ms    from the start of the reload (parse) to the pointer swap
  live ms       from the same start to the TSC at which the last worker
                adopted the new snapshot
  swap us       what the worker spent adopting it: the growth of
                proxy.snapshot_adopt_cycles over the growth of
                proxy.snapshots_adopted across that one reload, in us at the
                TSC rate fanout's EAL measured (its log, "TSC frequency is ~N
                KHz"; /proc/cpuinfo's MHz when the log does not say)
  fanoutctl ms  the whole `fanoutctl reload` command as a user sees it:
                process start, the control thread waking up (it sleeps in
                poll(2) on the control socket), the reload, the answer

Phases, in order:

  endpoints   --endpoint-reloads endpoint-only changes (the included file
              alternates between 2 and 3 servers, one weight changes)
  routes      for each size in --routes: the prefix routes
              /svcNNNNN/api generated into routes.d/gen.conf (that first
              reload is itself a full compile), then --route-reloads times
              one route's path changed, and as many endpoint-only changes
              in the same config (what parsing N routes costs without
              compiling them). Today every route change recompiles the whole
              Hyperscan database: the issue's <= 100 ms for a one-route
              change in 10,000 routes needs an incremental compile.
  load        wrk -t1 -c32 -d--load-duration s on /test02/ through fanout while
              --load-reloads changes alternate an endpoint change and a route
              added or removed (evenly spread over the run); then the same
              against nginx rendered as ingress-nginx
              (tests/bench/nginx-ingress.conf.in, one worker on the same CPU,
              fanout stopped), its config edited the same way and
              `nginx -s reload` each time. wrk's requests, socket errors
              and non-2xx responses are reported, not asserted.

The default run takes about 2-3 minutes on 2 vCPUs (the 10,000-route
compiles dominate). Raw numbers go to --json FILE and, under the key
"reload", to <build>/bench/results.json (other keys kept).

    reload_bench.py [--endpoint-reloads 50] [--routes 1000,10000]
                    [--route-reloads 3] [--load-reloads 100]
                    [--load-duration 20] [--conns 32] [--json FILE]
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integ"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fo_integ as fi  # noqa: E402
import http_tools as ht  # noqa: E402
import http_bench as hb  # noqa: E402

IPS = ht.FLASK_IPS  # testapp replicas where the seed's flask-service is
PATH = "/test02/"   # -> "/" on a replica (the seed's rewrite), "testapp flaskN"
STATUS_WAIT_S = 60.0  # a reload of 10,000 routes takes seconds; fanoutctl waits 5 s
# fanout's watch of its config files reloads 300 ms after the last change it sees: a
# measured change starts only once the watch has applied the previous one (a no-op)
WATCH_QUIET_S = 0.45

FO_CONF = """# written by tests/bench/reload_bench.py
interface net_tap0 {
    address 198.18.0.1/24;
}
listen 198.18.0.1:80;
upstream flask-service {
    include "endpoints-flask.conf";
}
route regex "/test02(/|$)(.*)" {
    upstream flask-service;
    rewrite "/$2";
}
include "routes.d/*.conf";
"""

# endpoint-only changes cycle through these (always at least two servers)
ENDPOINT_SETS = [
    [(IPS[0], 1), (IPS[1], 1), (IPS[2], 1)],
    [(IPS[0], 1), (IPS[1], 1)],
    [(IPS[1], 1), (IPS[2], 2)],
    [(IPS[0], 2), (IPS[2], 1)],
]

EXTRA_ROUTE = "route prefix /extra {\n    upstream flask-service;\n}\n"
NGINX_EXTRA = """		location /extra {
			set $proxy_upstream_name "default-extra-80";
			proxy_pass http://upstream_flask;
			include %s/nginx-proxy.inc;
		}

"""


def write(path, text):
    """Write @text to @path by rename, as config generators do (one inotify event)."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def servers_text(servers):
    return "".join("server %s:8000 weight=%d;\n" % s for s in servers)


def gen_routes(n, changed=None, rev=0):
    """@n prefix routes /svcNNNNN/api; route @changed is /svcNNNNN/v<rev> instead."""
    lines = []
    for i in range(n):
        leaf = "v%d" % rev if i == changed else "api"
        lines.append("route prefix /svc%05d/%s {\n    upstream flask-service;\n}\n" % (i, leaf))
    return "".join(lines)


class Fo:
    """fanout with the config files this bench rewrites."""

    def __init__(self, ns, cpus):
        self.ns = ns
        self.fo = ns.start_fanout(conf=FO_CONF, lcore_map="0@%s,1@%s" % (
            cpus["wrk"] or cpus["proxy"], cpus["proxy"]), idle_sleep=None,
            extra_eal=["--log-level=lib.eal:debug"])  # says the TSC rate
        self.dir = os.path.dirname(self.fo.conf_path)
        self.ep_path = os.path.join(self.dir, "endpoints-flask.conf")
        self.routes_dir = os.path.join(self.dir, "routes.d")
        self.timeouts = 0  # fanoutctl reload gave up waiting (its limit)
        self.ep_i = 0
        self.last_change = 0.0
        self.bad_live = 0  # live times fanout got wrong (see reload())

    @classmethod
    def prepare(cls, log_dir):
        """The included files must exist before fanout starts."""
        os.makedirs(os.path.join(log_dir, "routes.d"), exist_ok=True)
        write(os.path.join(log_dir, "endpoints-flask.conf"), servers_text(ENDPOINT_SETS[0]))

    def status(self, deadline):
        """fanoutctl status --json, retried until @deadline (the control thread may be busy)."""
        while True:
            r = fi.fanoutctl(self.fo.prefix, "status", "--json", timeout=30)
            if r.returncode == 0:
                return json.loads(r.stdout)
            if time.monotonic() >= deadline:
                raise fi.Failure("fanoutctl status: %s %s" % (r.stdout, r.stderr))
            time.sleep(0.05)

    def tsc_hz(self):
        m = re.search(r"TSC frequency is ~(\d+) KHz", self.fo.proc.err())
        if m:
            return int(m.group(1)) * 1000, "fanout's EAL log"
        mhz = hb.cpu_mhz()
        return (mhz * 1e6, "/proc/cpuinfo") if mhz else (None, "unknown")

    def next_endpoints(self):
        self.ep_i = (self.ep_i + 1) % len(ENDPOINT_SETS)
        write(self.ep_path, servers_text(ENDPOINT_SETS[self.ep_i]))

    def set_routes(self, text):
        path = os.path.join(self.routes_dir, "gen.conf")
        if text:
            write(path, text)
        elif os.path.exists(path):
            os.unlink(path)

    def reload(self, change, kind, wait_live=True):
        """change() rewrites the files; `fanoutctl reload`; the new generation's numbers."""
        if wait_live:
            time.sleep(max(0.0, self.last_change + WATCH_QUIET_S - time.monotonic()))
        s0 = self.status(time.monotonic() + STATUS_WAIT_S) if wait_live else None
        change()
        self.last_change = time.monotonic()
        t0 = time.monotonic()
        r = fi.fanoutctl(self.fo.prefix, "reload", timeout=STATUS_WAIT_S)
        cmd_ms = (time.monotonic() - t0) * 1e3
        if r.returncode != 0:
            # fanoutctl waits 5 s for an answer; the reload goes on without it
            fi.check("timed out" in r.stderr.lower() or "resource temporarily" in r.stderr.lower(),
                     "fanoutctl reload (%s): %s %s" % (kind, r.stdout, r.stderr))
            self.timeouts += 1
        if not wait_live:
            return {"kind": kind, "rc": r.returncode, "cmd_ms": cmd_ms}
        # the watch of the config files may have applied the change first: the
        # generation, not fanoutctl's answer, says when it is published
        deadline = time.monotonic() + STATUS_WAIT_S
        while True:
            s = self.status(deadline)
            if s["generation"] >= s0["generation"] + 1 and s["last_reload_live_ms"] >= 0:
                break
            fi.check(time.monotonic() < deadline, "generation %d not live: %r"
                     % (s0["generation"] + 1, s))
            time.sleep(0.02)
        fi.check_eq(s["generation"], s0["generation"] + 1, "one reload, one generation")
        d_cyc = s["snapshot_adopt_cycles"] - s0["snapshot_adopt_cycles"]
        d_n = s["snapshots_adopted"] - s0["snapshots_adopted"]
        live = s["last_reload_live_ms"]
        if not 0 <= live < 10 * s["last_reload_publish_ms"] + STATUS_WAIT_S * 1e3:
            # fanout measures live from the start of its last reload, a no-op one too: one
            # that started before the worker adopted makes live meaningless (the watch of
            # the config files can do that; WATCH_QUIET_S is there to avoid it)
            fi.log("%s: live %r ms, publish %r ms: live not counted" % (
                kind, live, s["last_reload_publish_ms"]))
            self.bad_live += 1
            live = None
        return {"kind": kind, "rc": r.returncode, "cmd_ms": cmd_ms,
                "publish_ms": s["last_reload_publish_ms"], "live_ms": live,
                "swap_cycles": d_cyc / d_n if d_n else None, "adopted": d_n}


def phase_endpoints(f, n, kind="endpoints"):
    return [f.reload(f.next_endpoints, kind) for _ in range(n)]


def phase_routes(f, n_routes, reloads):
    rows = [f.reload(lambda: f.set_routes(gen_routes(n_routes)), "load %d routes" % n_routes)]
    for i in range(reloads):
        k = (i * 7919) % n_routes  # a route somewhere in the table
        rows.append(f.reload(lambda: f.set_routes(gen_routes(n_routes, k, i + 1)),
                             "one route, %d routes" % n_routes))
    rows += phase_endpoints(f, reloads, "endpoints, %d routes" % n_routes)
    return rows


def wrk_start(ns, url, a, cpus):
    pin = ["taskset", "-c", cpus["wrk"]] if cpus["wrk"] else []
    argv = pin + ["wrk", "-t1", "-c", str(a.conns), "-d", "%ds" % a.load_duration,
                  "--timeout", "5s", "--latency", url]
    return subprocess.Popen(ns.argv(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def under_load(ns, url, a, cpus, change):
    """wrk on @url while change(i) runs a.load_reloads times, evenly spread; the results."""
    wrk = wrk_start(ns, url, a, cpus)
    t0 = time.monotonic()
    span = a.load_duration - 2.0  # start after wrk connected, end before it stops
    ok = failed = 0
    try:
        for i in range(a.load_reloads):
            time.sleep(max(0.0, 1.0 + i * span / a.load_reloads - (time.monotonic() - t0)))
            if time.monotonic() - t0 > a.load_duration - 0.5:
                break  # the reloads fell behind: never past wrk's end
            if change(i):
                ok += 1
            else:
                failed += 1
        out, err = wrk.communicate(timeout=a.load_duration + 60)
    finally:
        if wrk.poll() is None:
            wrk.kill()
            wrk.wait()
    fi.check(wrk.returncode == 0, "wrk exit %d: %s %s" % (wrk.returncode, out, err))
    fi.log("wrk during %d reloads:\n%s" % (ok + failed, out))
    w = hb.parse_wrk(out)
    w.update(reloads_ok=ok, reloads_failed=failed, span_s=time.monotonic() - t0)
    return w


def load_fanout(ns, f, a, cpus):
    rows = []

    def change(i):
        if i % 2 == 0:
            r = f.reload(f.next_endpoints, "endpoints", wait_live=False)
        else:
            r = f.reload(lambda: f.set_routes(EXTRA_ROUTE if i % 4 == 1 else ""), "route",
                         wait_live=False)
        rows.append(r)
        return r["rc"] == 0

    f.set_routes("")
    w = under_load(ns, "http://%s%s" % (fi.FANOUT_IP, PATH), a, cpus, change)
    w["fanoutctl_ms"] = [r["cmd_ms"] for r in rows]
    return w


def nginx_edit(text, i):
    """The nginx config for change @i: endpoints (even) or the /extra location (odd)."""
    if i % 2 == 0:
        servers = ENDPOINT_SETS[(i // 2 + 1) % len(ENDPOINT_SETS)]
        body = "".join("\t\tserver %s:8000 weight=%d max_fails=0 fail_timeout=0;\n" % s
                       for s in servers)
        text, n = re.subn(r"(upstream upstream_flask \{\n)(?:\t\tserver [^\n]*\n)+",
                          lambda m: m.group(1) + body, text)
        fi.check_eq(n, 1, "upstream_flask block in the nginx config")
        return text
    extra = NGINX_EXTRA % ht.BENCH_DIR
    if extra in text:
        return text.replace(extra, "")
    marker = "\t\t# the default backend"
    fi.check(marker in text, "the default backend's location in the nginx config")
    return text.replace(marker, extra + marker, 1)


def load_nginx(ns, a, cpus):
    ngx = ht.start_nginx_ingress(ns, workers=1, access_log=False, cpus=cpus["proxy"],
                                 name="nginx-reload")
    try:
        fi.check(hb_serves(ns, ht.NGINX_IP), "nginx does not answer %s" % PATH)
        with open(ngx.conf) as fh:
            state = {"text": fh.read()}
        errlog = os.path.join(ngx.run_dir, "error.log")

        def change(i):
            state["text"] = nginx_edit(state["text"], i)
            write(ngx.conf, state["text"])
            r = ns.run([ht.NGINX, "-c", ngx.conf, "-e", errlog, "-s", "reload"], check_rc=False)
            return r.returncode == 0

        return under_load(ns, "http://%s%s" % (ht.NGINX_IP, PATH), a, cpus, change)
    finally:
        ngx.stop()


def hb_serves(ns, ip):
    try:
        r = ht.get(ns, ip, 80, PATH, timeout=5)
    except (OSError, ht.HttpError) as e:
        fi.log("GET http://%s%s: %s" % (ip, PATH, e))
        return False
    return r.status == 200 and r.body.startswith(b"testapp ")


def med_max(v, f="%.2f"):
    v = [x for x in v if x is not None]
    if not v:
        return "-"
    return (f + " [" + f + "]") % (statistics.median(v), max(v))


def report(res, a):
    hz, src = res.get("tsc_hz"), res.get("tsc_src", "unknown")
    print()
    print("Live reload, fanout: one worker (busy polling), `fanoutctl reload` after a file "
          "changed; median [max]")
    print("%-24s %4s %18s %18s %16s %18s" % ("change", "n", "publish ms", "live ms", "swap us",
                                              "fanoutctl ms"))
    kinds = []
    for r in res.get("reloads", []):
        if r["kind"] not in kinds:
            kinds.append(r["kind"])
    for k in kinds:
        rows = [r for r in res["reloads"] if r["kind"] == k]
        sw = [r["swap_cycles"] / hz * 1e6 for r in rows if hz and r["swap_cycles"] is not None]
        print("%-24s %4d %18s %18s %16s %18s" % (
            k, len(rows), med_max([r["publish_ms"] for r in rows]),
            med_max([r["live_ms"] for r in rows]), med_max(sw, "%.3f"),
            med_max([r["cmd_ms"] for r in rows], "%.1f")))
    sw = [r["swap_cycles"] for r in res.get("reloads", []) if r["swap_cycles"] is not None]
    if sw:
        print("swap on the worker: median %.0f cycles = %.3f us over %d reloads (TSC %s from %s)"
              % (statistics.median(sw), statistics.median(sw) / hz * 1e6 if hz else 0, len(sw),
                 "%.0f MHz" % (hz / 1e6) if hz else "rate unknown", src))
    print("publish and live: from the start of the reload on fanout's control thread; "
          "fanoutctl ms: the whole `fanoutctl reload` command")
    if res.get("ctl_timeouts"):
        print("fanoutctl reload gave up waiting (its limit) %d times; those reloads "
              "completed (status says so)" % res["ctl_timeouts"])
    if res.get("bad_live"):
        print("%d live times not counted: fanout reported nonsense (a no-op reload began "
              "before the worker adopted the previous one)" % res["bad_live"])
    print("targets (issue 9): swap < 1 us; endpoint-only change live <= 10 ms; one route in "
          "10,000 live <= 100 ms (lib/route's cache recompiles only what the change touches)")
    if res.get("load"):
        print()
        print("%d reloads under load: wrk -t1 -c%d -d%ds --latency %s, alternating an endpoint "
              "change and a route added/removed" % (a.load_reloads, a.conns, a.load_duration, PATH))
        print("%-8s %14s %10s %10s %14s %8s %9s" % ("target", "reloads ok/bad", "requests",
                                                  "req/s", "socket errors", "non-2xx", "p99 ms"))
        for target, w in res["load"].items():
            if "failed" in w:
                print("%-8s %s" % (target, w["failed"][:150]))
                continue
            print("%-8s %14s %10d %10.0f %14d %8d %9s" % (
                target, "%d/%d" % (w["reloads_ok"], w["reloads_failed"]), w["requests"], w["rps"],
                w["sock_errors"], w["non2xx"], "%.2f" % (w["p99"] * 1e3) if w["p99"] else "-"))


def save(res, path):
    with open(path + ".tmp", "w") as f:
        json.dump(res, f, indent=1)
    os.replace(path + ".tmp", path)


def save_results(res):
    """Under "reload" in <build>/bench/results.json, keeping what other benchmarks put there."""
    d = os.path.join(fi.BUILD_DIR, "bench")
    path = os.path.join(d, "results.json")
    os.makedirs(d, exist_ok=True)
    try:
        with open(path) as f:
            allres = json.load(f)
        if not isinstance(allres, dict):
            allres = {}
    except (OSError, ValueError):
        allres = {}
    allres["reload"] = res
    save(allres, path)
    print("raw numbers: %s (\"reload\")" % path)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--endpoint-reloads", type=int, default=50)
    p.add_argument("--routes", default="1000,10000", help="route-table sizes (comma-separated)")
    p.add_argument("--route-reloads", type=int, default=3)
    p.add_argument("--load-reloads", type=int, default=100)
    p.add_argument("--load-duration", type=int, default=20)
    p.add_argument("--conns", type=int, default=32)
    p.add_argument("--json", help="write the raw numbers here too")
    a = p.parse_args()
    sizes = [int(x) for x in a.routes.split(",") if x]
    if not (1 <= a.endpoint_reloads <= 500 and 0 <= a.route_reloads <= 20 and
            0 <= a.load_reloads <= 500 and 4 <= a.load_duration <= 120 and
            all(1 <= n <= 20000 for n in sizes)):
        p.error("--endpoint-reloads 1..500, --route-reloads 0..20, --load-reloads 0..500, "
                "--load-duration 4..120, --routes 1..20000 each (every loop is bounded)")
    fi.require_root()
    fi.clean_stale()
    t = fi.Test("reload_bench")
    cpus = hb.pick_cpus()
    res = {"reloads": [], "load": {}, "loadavg_start": os.getloadavg()[0]}
    ok = False
    t_start = time.monotonic()
    try:
        ns = t.netns("reloadbench")
        ht.start_backends(ns, "testapp", IPS, names=["flask1", "flask2", "flask3"],
                          cpus=cpus["backend"])
        Fo.prepare(t.log_dir)
        f = Fo(ns, cpus)
        res["tsc_hz"], res["tsc_src"] = f.tsc_hz()
        fi.check(hb_serves(ns, fi.FANOUT_IP), "fanout does not answer %s" % PATH)
        res["reloads"] += phase_endpoints(f, a.endpoint_reloads)
        fi.log("endpoint-only reloads done (%.0f s)" % (time.monotonic() - t_start))
        if a.load_reloads:
            try:
                res["load"]["fanout"] = load_fanout(ns, f, a, cpus)
            except fi.Failure as e:
                res["load"]["fanout"] = {"failed": str(e)}
            fi.log("fanout under load done (%.0f s)" % (time.monotonic() - t_start))
        for n in sizes:
            res["reloads"] += phase_routes(f, n, a.route_reloads)
            fi.log("%d routes done (%.0f s)" % (n, time.monotonic() - t_start))
        res["ctl_timeouts"] = f.timeouts
        res["bad_live"] = f.bad_live
        st = f.fo.stop()
        res["fanout_stats"] = {k: v for k, v in st.items() if k.startswith(("ctl.", "proxy.snap"))}
        if a.load_reloads:
            try:
                res["load"]["nginx"] = load_nginx(ns, a, cpus)
            except fi.Failure as e:
                res["load"]["nginx"] = {"failed": str(e)}
            fi.log("nginx under load done (%.0f s)" % (time.monotonic() - t_start))
        ok = True
    except fi.Failure as e:
        print("reload_bench: %s" % e, flush=True)
    finally:
        fi.cleanup_all()
    res["duration_s"] = time.monotonic() - t_start
    res["loadavg_end"] = os.getloadavg()[0]
    report(res, a)
    print("reload_bench took %.0f s; 1-minute load average %.1f at the start, %.1f at the end "
          "(on %d CPUs: times are longer when something else runs)" % (
              res["duration_s"], res["loadavg_start"], res["loadavg_end"], len(fi.ALL_CPUS)))
    save_results(res)
    if a.json:
        save(res, a.json)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
