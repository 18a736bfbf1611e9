# SPDX-License-Identifier: BSD-3-Clause
"""fanout between fanout-loadgen's clients and its origin over net_memif.

Used by tests/integ/test_loadgen.py and tests/bench/memif_bench.py:

    import loadgen_tools as lt

    ns = t.netns()
    with lt.SockDir() as d:                    # memif sockets, removed after
        fo = lt.start_fanout(ns, d.path)        # memif server: starts first
        reports, stats = lt.loadgen(ns, fo, d.path, [["-n", "2000", "-c", "16"],
                                                      ["-n", "200", "--close"]])
        # reports: fanout-loadgen's --json report of each run, as dicts;
        # stats: fanout's statistics at exit (it is stopped before the loadgen)

Roles (net_memif needs one side to serve the socket, and it must be up
before the client connects): fanout is the memif **server** on both ports
and stays up; each fanout-loadgen run is a memif **client** that connects,
loads and leaves. The memif sockets are files in a temporary directory
(socket-abstract=no) that SockDir removes. fanout's net_memif0 faces the
clients (fanout 198.18.0.1, clients 198.18.0.2), net_memif1 the origin
(fanout 198.18.1.1, origin 198.18.1.2 listening on 8000-8005: the seed's
two services of three servers each, with the seed's routes and rewrite).

On 2 CPUs fanout's worker (and its control thread) get the second CPU and
fanout-loadgen (clients and origin on one lcore) the first.
"""

import json
import os
import shutil
import signal
import tempfile
import time

import fo_integ as fi

LOADGEN = os.path.join(fi.BUILD_DIR, "app", "fanout-loadgen")
# what fanout-loadgen prints on stderr once it has stopped polling (--linger)
LINGER_LINE = "fanout-loadgen: lingering"
ORIGIN_PORTS = list(range(8000, 8006))

# The seed's Ingress (config/fanout.conf) with its servers on the origin's
# six ports; limits that would end keep-alive connections raised so that a
# run measures requests, not reconnections.
SEED_MEMIF_CONF = """# written by tests/integ/loadgen_tools.py
interface net_memif0 { address 198.18.0.1/24; }
interface net_memif1 { address 198.18.1.1/24; }
listen 198.18.0.1:80;
http { keepalive_requests 1000000; }
upstream django-service {
    server 198.18.1.2:8000; server 198.18.1.2:8001; server 198.18.1.2:8002;
    keepalive_requests 1000000;
}
upstream flask-service {
    server 198.18.1.2:8003; server 198.18.1.2:8004; server 198.18.1.2:8005;
    keepalive_requests 1000000;
}
route regex "/test01(/|$)(.*)" { upstream django-service; rewrite "/$2"; }
route regex "/test02(/|$)(.*)" { upstream flask-service; rewrite "/$2"; }
"""

# The request bench_proxy sends (a browser's headers, ~500 bytes) minus the
# request line and Host, which fanout-loadgen writes.
BROWSER_HEADERS = [
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language: en-US,en;q=0.5",
    "Accept-Encoding: gzip, deflate",
    "Connection: keep-alive",
    "Upgrade-Insecure-Requests: 1",
]


class SockDir:
    """A temporary directory for the memif socket files, removed on exit."""

    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix="fo-memif-")
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)


def memif_vdevs(sock_dir, role):
    """--vdev arguments for the two memif ports (role: server | client)."""
    out = []
    for i, name in enumerate(("client", "origin")):
        out += ["--vdev", "net_memif%d,role=%s,id=0,socket=%s,socket-abstract=no"
                % (i, role, os.path.join(sock_dir, name + ".sock"))]
    return out


def start_fanout(ns, sock_dir, conf=SEED_MEMIF_CONF, lcore_map="0@1,1@1", idle_sleep=None):
    """fanout on the two memif ports as their server (one worker), ready."""
    ns._n_prefix += 1
    fo = fi.Fanout(ns, "%s-%d" % (ns.name, ns._n_prefix), conf, lcores=None,
                   lcore_map=lcore_map, idle_sleep=idle_sleep, extra_eal=(), extra_args=(),
                   name="fanout%d" % ns._n_prefix, nic="tap")
    # the harness opens net_tap0 by default: memif ports instead
    i = fo.argv.index("--vdev")
    fo.argv[i:i + 2] = memif_vdevs(sock_dir, "server")
    ns.fanouts.append(fo)
    fo.start(setup_kernel=False)
    return fo


def loadgen_argv(ns, fo, sock_dir, runs, cpu=0, linger=600):
    """argv of one fanout-loadgen process doing @runs (lists of options) in turn."""
    ns._n_prefix += 1
    prefix = "%s-%d" % (ns.name, ns._n_prefix)
    argv = (["taskset", "-c", str(cpu), LOADGEN, "-l", "0", "--no-pci",
             "--file-prefix", prefix, "--log-level", "*:warning"] +
            fi.eal_mem_args() + memif_vdevs(sock_dir, "client") +
            ["--", "--listen", ",".join(str(p) for p in ORIGIN_PORTS),
             "--fanout-prefix", fo.prefix, "--fanout-pid", str(fo.proc.pid), "--json",
             "--linger", str(linger)])
    for i, r in enumerate(runs):
        argv += (["--next"] if i else []) + [str(x) for x in r]
    return argv, prefix


class Loadgen:
    """One fanout-loadgen process (memif client) doing several runs in turn.

    net_memif in DPDK 22.11 can crash the side that is polling when its peer
    disconnects (the PMD unmaps the rings on its interrupt thread under a
    burst). fanout guards itself (app/fanout/intr_gate.c; test_memif_peer.py
    kills loadgens under load), the loadgen does not: it crashed when fanout
    left during its last polls. So the loadgen connects once for all its
    runs, and after the last one it stops polling, says so (LINGER_LINE) and
    lingers (--linger): reports() waits for that line, then stop fanout (no
    side polls then), then close() this.
    """

    def __init__(self, ns, fo, sock_dir, runs, cpu=0):
        fi.check(os.access(LOADGEN, os.X_OK), "%s not built" % LOADGEN)
        self.n = len(runs)
        argv, self.prefix = loadgen_argv(ns, fo, sock_dir, runs, cpu)
        fi.log("loadgen: " + " ".join(argv))
        self.proc = ns.spawn(argv, "loadgen-" + self.prefix.rsplit("-", 1)[1])

    def parsed(self):
        out, dec, res, i = self.proc.out(), json.JSONDecoder(), [], 0
        while True:
            i = out.find("{", i)
            if i < 0:
                return res
            try:
                obj, end = dec.raw_decode(out, i)
            except ValueError:
                return res  # the next report is still being written
            res.append(obj)
            i = end

    def reports(self, timeout):
        """Wait (bounded) for every run's JSON report, and for the loadgen to
        stop polling (LINGER_LINE: its last polls, which close the connections,
        come after the last report); a list of dicts."""
        deadline = time.monotonic() + timeout
        while True:
            res = self.parsed()
            if len(res) >= self.n and LINGER_LINE in self.proc.err():
                return res
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.dump()
                raise fi.Failure("fanout-loadgen: %d of %d reports (exit %r)"
                                 % (len(res), self.n, self.proc.poll()))
            time.sleep(0.1)

    def close(self):
        """SIGTERM (after fanout stopped), exit 0 expected."""
        self.proc.signal(signal.SIGTERM)
        rc = self.proc.wait(15)
        if rc is None:
            self.proc.close(fast=True)
        fi._remove_dpdk_files(self.prefix)
        if rc != 0:
            self.proc.dump()
            raise fi.Failure("fanout-loadgen exited %r" % rc)


def loadgen(ns, fo, sock_dir, runs, timeout=120, cpu=0):
    """Runs (lists of options) in one fanout-loadgen process, then fanout stopped
    before the loadgen leaves (see Loadgen). Returns (reports, fanout's exit stats)."""
    lg = Loadgen(ns, fo, sock_dir, runs, cpu)
    try:
        res = lg.reports(timeout)
        st = fo.stop()
    finally:
        lg.close()
    return res, st
