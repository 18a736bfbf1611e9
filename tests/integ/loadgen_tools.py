# SPDX-License-Identifier: BSD-3-Clause
"""fanout between fanout-loadgen's clients and its origin over net_memif.

Used by tests/integ/test_loadgen.py and tests/bench/memif_bench.py:

    import loadgen_tools as lt

    ns = t.netns()
    with lt.SockDir() as d:                    # memif sockets, removed after
        fo = lt.start_fanout(ns, d.path)        # memif server: starts first
        res = lt.loadgen(ns, fo, d.path, ["-n", "2000", "-c", "16"])
        # res: fanout-loadgen's --json report as a dict

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
import tempfile

import fo_integ as fi

LOADGEN = os.path.join(fi.BUILD_DIR, "app", "fanout-loadgen")
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


def loadgen_argv(ns, fo, sock_dir, args, cpu=0, tag=None):
    ns._n_prefix += 1
    prefix = "%s-%d" % (ns.name, ns._n_prefix)
    return (["taskset", "-c", str(cpu), LOADGEN, "-l", "0", "--no-pci",
             "--file-prefix", prefix, "--log-level", "*:warning"] +
            fi.eal_mem_args() + memif_vdevs(sock_dir, "client") +
            ["--", "--listen", ",".join(str(p) for p in ORIGIN_PORTS),
             "--fanout-prefix", fo.prefix, "--json"] + list(args)), prefix


def loadgen(ns, fo, sock_dir, args, cpu=0, timeout=120):
    """Run fanout-loadgen once (bounded); return its JSON report as a dict."""
    fi.check(os.access(LOADGEN, os.X_OK), "%s not built" % LOADGEN)
    argv, prefix = loadgen_argv(ns, fo, sock_dir, args, cpu)
    fi.log("loadgen: " + " ".join(argv))
    try:
        r = ns.run(argv, timeout=timeout, check_rc=False)
    finally:
        fi._remove_dpdk_files(prefix)
    if r.returncode != 0:
        raise fi.Failure("fanout-loadgen exited %d\nstdout: %s\nstderr: %s"
                         % (r.returncode, r.stdout[-3000:], r.stderr[-3000:]))
    start = r.stdout.find("{")
    try:
        res = json.loads(r.stdout[start:])
    except ValueError:
        raise fi.Failure("fanout-loadgen printed no JSON report:\n%s\nstderr: %s"
                         % (r.stdout[-3000:], r.stderr[-3000:]))
    return res
