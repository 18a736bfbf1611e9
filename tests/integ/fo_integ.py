# SPDX-License-Identifier: BSD-3-Clause
"""Integration-test harness: fanout in a network namespace on net_tap
(or net_af_packet / net_af_xdp on a veth: FO_NIC).

A test script is a plain executable:

    import fo_integ as fi

    def main(t):
        ns = t.netns()
        fo = ns.start_fanout()          # waits for "fanout: ready", sets up fo0
        ns.run(["ping", "-c", "1", fi.FANOUT_IP])
        stats = fo.stats()              # /fanout/stats over DPDK telemetry
        fo.stop()                       # SIGTERM, asserts exit 0 + statistics

    fi.run(main)

fi.run() fails (exit 1) when not root, removes namespaces left by earlier
runs that died, runs the test and tears everything down whatever happens:
in a finally block, at exit and on SIGTERM/SIGINT/SIGHUP (meson sends
SIGTERM to the test's process group on timeout, then SIGKILL 0.5 s later,
so the signal path only sends SIGKILL and deletes, it never waits long).

Every wait is bounded. Processes run in their own process groups so that
the harness can kill each one with everything it started.

Environment:
  FO_BUILD_DIR  build directory holding app/fanout (meson sets it);
                default: <source>/build
  FO_HUGE       auto (default) | yes | no: run fanout on hugepages or with
                --no-huge -m 512. auto uses hugepages when /dev/hugepages is
                a mounted hugetlbfs with at least 64 free 2 MiB pages.
  FO_KEEP_LOGS  1: keep the log directory even when the test passes.
  FO_NIC        tap (default) | af_packet | af_xdp: the virtual NIC fanout
                drives (start_fanout(nic=...) overrides it). The kernel side
                is always fo0 with 198.18.0.2/24: the tap itself, or one end
                of a veth pair whose other end (fo0d) DPDK opens. Configs
                name the port net_tap0; on another NIC the harness renames
                `interface net_tap0` to that NIC's port name.
"""

import atexit
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import traceback

SRC_DIR = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD_DIR = os.path.realpath(os.environ.get("FO_BUILD_DIR") or os.path.join(SRC_DIR, "build"))


def _exe(name):
    # app/meson.build puts every executable at <build>/app/<name>
    return os.path.join(BUILD_DIR, "app", name)


FANOUT = _exe("fanout")
FANOUTCTL = _exe("fanoutctl")

FANOUT_IP = "198.18.0.1"
KERNEL_IP = "198.18.0.2"
PREFIX_LEN = 24
TAP = "fo0"
# the veth end DPDK opens when FO_NIC is af_packet or af_xdp (kernel side: TAP)
VETH_DPDK = "fo0d"
# FO_NIC value -> DPDK port name (what a config's interface block names)
NICS = {"tap": "net_tap0", "af_packet": "net_af_packet0", "af_xdp": "net_af_xdp0"}


def nic_default():
    """The NIC named by FO_NIC (tap when unset); a bad value fails the test."""
    nic = os.environ.get("FO_NIC") or "tap"
    if nic not in NICS:
        raise Failure("FO_NIC=%r: want one of %s" % (nic, ", ".join(sorted(NICS))))
    return nic


def nic_vdev(nic, n_queues):
    """The --vdev argument that opens @nic with @n_queues queue pairs."""
    if nic == "tap":
        return "net_tap0,iface=%s" % TAP
    if nic == "af_packet":
        # qpairs: one socket per queue (PACKET_FANOUT_HASH spreads flows)
        return "net_af_packet0,iface=%s,qpairs=%d" % (VETH_DPDK, n_queues)
    # a veth reports no combined channels: net_af_xdp takes one queue only
    check(n_queues == 1, "net_af_xdp on a veth has one queue; %d workers asked" % n_queues)
    return "net_af_xdp0,iface=%s,start_queue=0,queue_count=1" % VETH_DPDK


def nic_conf(nic, text):
    """Config text with `interface net_tap0` renamed to @nic's port name."""
    return re.sub(r"(\binterface\s+)net_tap0\b", r"\g<1>" + NICS[nic], text)
# Namespaces and DPDK file prefixes this harness creates: fo-it-<tag>-<pid>-<n>.
# Only names with this prefix and a dead <pid> are ever cleaned as stale.
NS_PREFIX = "fo-it-"
HUGE_DIR = "/dev/hugepages"
HUGE_MIN_FREE = 64
DPDK_RUN_DIR = "/var/run/dpdk"

READY_LINE = "fanout: ready"
READY_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0

# Default config: one interface on the tap, nothing else.
MIN_CONF = """# written by tests/integ/fo_integ.py
interface net_tap0 {
    address %s/%d;
}
""" % (FANOUT_IP, PREFIX_LEN)

_T0 = time.monotonic()


class Failure(Exception):
    """A test assertion failed (message says what and why)."""


def log(msg):
    print("[%7.2f] %s" % (time.monotonic() - _T0, msg), flush=True)


def check(cond, msg):
    """Assert @cond; raise Failure(msg) otherwise. Returns cond."""
    if not cond:
        raise Failure(msg)
    return cond


def check_eq(got, want, what):
    check(got == want, "%s: got %r, want %r" % (what, got, want))


def check_ge(got, want, what):
    check(got >= want, "%s: got %r, want >= %r" % (what, got, want))


def wait_for(pred, timeout, what, interval=0.05):
    """Poll pred() until it returns a true value (returned), at most @timeout s."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise Failure("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(interval)


# ---------------------------------------------------------------------------
# Cleanup registry: objects with an idempotent close(fast) method, closed in
# reverse order of creation from the finally block, atexit and signals.

_open = []
_closing = False


def _register(obj):
    _open.append(obj)


def cleanup_all(fast=False):
    global _closing
    if _closing:
        return
    _closing = True
    try:
        while _open:
            obj = _open.pop()
            try:
                obj.close(fast=fast)
            except Exception as e:  # keep going: everything must be closed
                print("fo_integ: cleanup of %r failed: %s" % (obj, e), file=sys.stderr, flush=True)
    finally:
        _closing = False


def _on_signal(signum, frame):
    # No waiting here: meson SIGKILLs the group 0.5 s after its SIGTERM.
    signal.signal(signum, signal.SIG_IGN)
    print("fo_integ: caught signal %d, tearing down" % signum, file=sys.stderr, flush=True)
    cleanup_all(fast=True)
    os._exit(128 + signum)


atexit.register(cleanup_all)
for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_sig, _on_signal)


# ---------------------------------------------------------------------------
# Processes


def _pid_alive(pid):
    """True if @pid is a live process (a zombie counts as dead)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


class Proc:
    """A child in its own process group, output to log files."""

    def __init__(self, argv, name, log_dir, env=None):
        self.argv = argv
        self.name = name
        self.out_path = os.path.join(log_dir, name + ".out")
        self.err_path = os.path.join(log_dir, name + ".err")
        out = open(self.out_path, "wb")
        err = open(self.err_path, "wb")
        try:
            self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                      start_new_session=True, env=env)
        finally:
            out.close()
            err.close()
        self.pid = self.p.pid
        _register(self)

    def __repr__(self):
        return "Proc(%s pid %d)" % (self.name, self.pid)

    def poll(self):
        return self.p.poll()

    def signal(self, sig):
        """Send @sig to the whole process group (no-op once reaped)."""
        if self.p.returncode is not None:
            return
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            pass

    def wait(self, timeout):
        """Return the exit code, or None if still running after @timeout s."""
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def close(self, fast=False):
        if self.p.returncode is None and self.p.poll() is None:
            if not fast:
                self.signal(signal.SIGTERM)
                if self.wait(5) is not None:
                    self._kill_group_leftovers()
                    return
            self.signal(signal.SIGKILL)
            self.wait(2)
        self._kill_group_leftovers()

    def _kill_group_leftovers(self):
        # children that outlived the group leader
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def out(self):
        return _read(self.out_path)

    def err(self):
        return _read(self.err_path)

    def dump(self, fileobj=sys.stdout):
        print("----- %s stdout (%s) -----" % (self.name, self.out_path), file=fileobj)
        print(self.out()[-20000:], file=fileobj)
        print("----- %s stderr (%s) -----" % (self.name, self.err_path), file=fileobj)
        print(self.err()[-20000:], file=fileobj)
        print("----- end of %s -----" % self.name, file=fileobj, flush=True)


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def sh(argv, timeout=30, check_rc=True, input=None):
    """Run a command to completion (bounded); return CompletedProcess (text)."""
    try:
        r = subprocess.run(argv, input=input, capture_output=True, text=True, timeout=timeout,
                           start_new_session=True)
    except subprocess.TimeoutExpired as e:
        raise Failure("%s: timed out after %s s\nstdout: %s\nstderr: %s"
                      % (" ".join(argv), timeout, e.stdout, e.stderr))
    if check_rc and r.returncode != 0:
        raise Failure("%s: exit %d\nstdout: %s\nstderr: %s"
                      % (" ".join(argv), r.returncode, r.stdout, r.stderr))
    return r


# ---------------------------------------------------------------------------
# CPUs: fanout's lcores get their own CPUs where the machine has enough, the
# harness and the tools it runs (ping, arping, ...) stay on the others.

ALL_CPUS = sorted(os.sched_getaffinity(0))


def parse_cpulist(s):
    cpus = set()
    for part in s.split(","):
        if "-" in part:
            a, b = part.split("-")
            cpus.update(range(int(a), int(b) + 1))
        elif part:
            cpus.add(int(part))
    return cpus


def cpulist(cpus):
    return ",".join(str(c) for c in sorted(cpus))


def pin_tools_away_from(fanout_cpus):
    """Pin this process (and so every tool it starts) off @fanout_cpus if possible."""
    rest = set(ALL_CPUS) - set(fanout_cpus)
    os.sched_setaffinity(0, rest or set(ALL_CPUS))


# ---------------------------------------------------------------------------
# Hugepages or not


def hugepages_usable():
    """True when /dev/hugepages is a hugetlbfs (2 MiB) with >= 64 free pages."""
    try:
        with open("/proc/self/mountinfo") as f:
            mounts = f.read().splitlines()
    except OSError:
        return False
    mounted = False
    for line in mounts:
        fields = line.split()
        sep = fields.index("-")
        if fields[4] == HUGE_DIR and fields[sep + 1] == "hugetlbfs":
            opts = fields[sep + 3]
            m = re.search(r"pagesize=(\w+)", opts)
            mounted = m is None or m.group(1) in ("2M", "2048k", "2097152")
    if not mounted:
        return False
    try:
        with open("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages") as f:
            return int(f.read()) >= HUGE_MIN_FREE
    except OSError:
        return False


def eal_mem_args():
    mode = os.environ.get("FO_HUGE", "auto")
    if mode == "yes" or (mode == "auto" and hugepages_usable()):
        # --huge-unlink: the kernel frees the pages when fanout dies, even by SIGKILL
        return ["--huge-dir", HUGE_DIR, "--huge-unlink"]
    return ["--no-huge", "-m", "512"]


def _remove_dpdk_files(prefix):
    """Runtime dir and hugepage files of a dead DPDK process with @prefix."""
    shutil.rmtree(os.path.join(DPDK_RUN_DIR, prefix), ignore_errors=True)
    try:
        names = os.listdir(HUGE_DIR)
    except OSError:
        names = []
    for n in names:
        if n.startswith(prefix + "map_"):
            try:
                os.unlink(os.path.join(HUGE_DIR, n))
            except OSError:
                pass


# ---------------------------------------------------------------------------
# DPDK telemetry (the socket dpdk-telemetry.py talks to)


class Telemetry:
    """A client of /var/run/dpdk/<prefix>/dpdk_telemetry.v2 (SOCK_SEQPACKET)."""

    def __init__(self, prefix, timeout=5.0):
        self.path = os.path.join(DPDK_RUN_DIR, prefix, "dpdk_telemetry.v2")
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.settimeout(timeout)
        try:
            self.s.connect(self.path)
            hello = json.loads(self.s.recv(65536).decode())
        except Exception:
            self.s.close()
            raise
        self.max_len = int(hello.get("max_output_len", 16384))

    def query(self, cmd):
        self.s.send(cmd.encode())
        data = self.s.recv(max(self.max_len, 65536) + 1024)
        if not data:
            raise Failure("telemetry %s: connection closed" % cmd)
        reply = json.loads(data.decode())
        key = cmd.split(",")[0]
        check(key in reply, "telemetry %s: unexpected reply %r" % (cmd, reply))
        return reply[key]

    def close(self, fast=False):
        self.s.close()


# ---------------------------------------------------------------------------
# AF_XDP socket statistics of another process (pidfd_getfd(2), getsockopt)

_SYS_PIDFD_GETFD = 438
SOL_XDP = 283
XDP_STATISTICS = 7
XDP_STATS = ("rx_dropped", "rx_invalid_descs", "tx_invalid_descs", "rx_ring_full",
             "rx_fill_ring_empty_descs", "tx_ring_empty_descs")


def xsk_stats(pid):
    """Summed XDP_STATISTICS of every AF_XDP socket process @pid holds (zeros: none)."""
    libc = ctypes.CDLL(None, use_errno=True)
    total = dict.fromkeys(XDP_STATS, 0)
    pidfd = os.pidfd_open(pid)
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                if not os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:"):
                    continue
            except OSError:
                continue
            dup = libc.syscall(_SYS_PIDFD_GETFD, pidfd, int(fd), 0)
            if dup < 0:
                continue
            try:
                buf = ctypes.create_string_buffer(8 * len(XDP_STATS))
                n = ctypes.c_uint32(len(buf))
                # only AF_XDP sockets answer SOL_XDP
                if libc.getsockopt(dup, SOL_XDP, XDP_STATISTICS, buf, ctypes.byref(n)) == 0:
                    for k, v in zip(XDP_STATS, struct.unpack("%dQ" % len(XDP_STATS), buf.raw)):
                        total[k] += v
            finally:
                os.close(dup)
    finally:
        os.close(pidfd)
    return total


# ---------------------------------------------------------------------------
# setns(2) for sockets that must live in a test namespace

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "setns: " + os.strerror(e))


# ---------------------------------------------------------------------------
# Namespaces


def _ns_owner_pid(name):
    """pid in fo-it-<tag>-<pid>-<n>[-<m>] (namespace or DPDK file prefix), or None."""
    m = re.match(re.escape(NS_PREFIX) + r"[a-z]*-(\d+)-\d+(?:-\d+)?$", name)
    return int(m.group(1)) if m else None


def list_netns():
    r = sh(["ip", "-j", "netns", "list"], check_rc=False)
    try:
        return [n["name"] for n in json.loads(r.stdout or "[]")]
    except ValueError:
        return []


def _ns_kill_all(name, fast):
    """Kill every process inside namespace @name (bounded)."""
    for attempt in range(20):
        r = sh(["ip", "netns", "pids", name], check_rc=False, timeout=10)
        pids = [int(p) for p in r.stdout.split()]
        if not pids:
            return
        for p in pids:
            try:
                os.kill(p, signal.SIGTERM if attempt == 0 and not fast else signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.05 if fast else 0.2)


def clean_stale():
    """Delete fo-it-* namespaces (and DPDK files) whose creating process is dead."""
    for name in list_netns():
        pid = _ns_owner_pid(name)
        if pid is None or _pid_alive(pid):
            continue
        log("removing stale namespace %s (creator pid %d is gone)" % (name, pid))
        _ns_kill_all(name, fast=True)
        sh(["ip", "netns", "del", name], check_rc=False)
    for d in (DPDK_RUN_DIR, HUGE_DIR):
        try:
            names = os.listdir(d)
        except OSError:
            continue
        for n in names:
            pid = _ns_owner_pid(re.sub(r"map_\d+$", "", n))
            if n.startswith(NS_PREFIX) and pid is not None and not _pid_alive(pid):
                _remove_dpdk_files(re.sub(r"map_\d+$", "", n))


class Netns:
    """A network namespace with IPv6 off and lo up; deleted on close."""

    _count = 0

    def __init__(self, test, tag):
        Netns._count += 1
        self.test = test
        self.name = "%s%s-%d-%d" % (NS_PREFIX, tag, os.getpid(), Netns._count)
        self.fanouts = []
        self._n_prefix = 0
        sh(["ip", "netns", "add", self.name])
        _register(self)
        self.run(["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"])
        self.run(["sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1"])
        self.run(["ip", "link", "set", "lo", "up"])
        log("namespace %s created" % self.name)

    def __repr__(self):
        return "Netns(%s)" % self.name

    def argv(self, argv):
        return ["ip", "netns", "exec", self.name] + list(argv)

    def run(self, argv, timeout=30, check_rc=True, input=None):
        """Run a command inside the namespace, bounded by @timeout."""
        return sh(self.argv(argv), timeout=timeout, check_rc=check_rc, input=input)

    def spawn(self, argv, name, env=None):
        return Proc(self.argv(argv), name, self.test.log_dir, env=env)

    def socket(self, *args):
        """A socket created inside the namespace (setns there and back)."""
        here = os.open("/proc/self/ns/net", os.O_RDONLY)
        there = os.open("/var/run/netns/" + self.name, os.O_RDONLY)
        try:
            _setns(there)
            try:
                return socket.socket(*args)
            finally:
                _setns(here)
        finally:
            os.close(here)
            os.close(there)

    def ifindex(self, ifname):
        r = self.run(["cat", "/sys/class/net/%s/ifindex" % ifname])
        return int(r.stdout)

    def link_stats(self, ifname=TAP):
        """Kernel counters of @ifname inside the namespace (rx/tx packets, drops...)."""
        r = self.run(["ip", "-j", "-s", "link", "show", "dev", ifname])
        st = json.loads(r.stdout)[0]["stats64"]
        return {"rx_packets": st["rx"]["packets"], "rx_dropped": st["rx"]["dropped"],
                "tx_packets": st["tx"]["packets"], "tx_dropped": st["tx"]["dropped"],
                "tx_errors": st["tx"]["errors"]}

    def tcp_csum_errors(self):
        """TCP segments the kernel here dropped for a bad checksum (Tcp: InCsumErrors)."""
        r = self.run(["cat", "/proc/net/snmp"])
        tcp = [line.split() for line in r.stdout.splitlines() if line.startswith("Tcp:")]
        check(len(tcp) == 2 and "InCsumErrors" in tcp[0], "no Tcp InCsumErrors in /proc/net/snmp")
        return int(tcp[1][tcp[0].index("InCsumErrors")])

    def link_mac(self, ifname=TAP):
        r = self.run(["ip", "-j", "link", "show", "dev", ifname])
        return json.loads(r.stdout)[0]["address"]

    def neigh(self, ip, ifname=TAP):
        """The kernel's neighbour entry for @ip: dict (lladdr, state) or None."""
        r = self.run(["ip", "-j", "neigh", "show", ip, "dev", ifname])
        entries = json.loads(r.stdout or "[]")
        return entries[0] if entries else None

    def start_fanout(self, conf=MIN_CONF, lcores="0", lcore_map=None, idle_sleep=100,
                     extra_eal=(), extra_args=(), setup_kernel=True, name=None, nic=None):
        """Start fanout here; see Fanout. @nic: tap | af_packet | af_xdp (FO_NIC)."""
        self._n_prefix += 1
        fo = Fanout(self, "%s-%d" % (self.name, self._n_prefix), conf, lcores=lcores,
                    lcore_map=lcore_map, idle_sleep=idle_sleep, extra_eal=extra_eal,
                    extra_args=extra_args, name=name or "fanout%d" % self._n_prefix,
                    nic=nic or nic_default())
        self.fanouts.append(fo)
        fo.start(setup_kernel=setup_kernel)
        return fo

    def veth_up(self):
        """The veth pair TAP <-> VETH_DPDK, created once; TAP sends full checksums."""
        r = self.run(["ip", "link", "show", "dev", VETH_DPDK], check_rc=False)
        if r.returncode != 0:
            self.run(["ip", "link", "add", TAP, "type", "veth", "peer", "name", VETH_DPDK])
            # with tx offloads on, the kernel sends partial checksums (and TSO
            # frames) that fanout would drop: make it compute them
            self.run(["ethtool", "-K", TAP, "tx", "off"])
        self.run(["ip", "link", "set", VETH_DPDK, "up"])

    def xdp_off(self):
        """Detach what a killed net_af_xdp left on VETH_DPDK (either mode)."""
        for mode in ("xdp", "xdpgeneric"):
            self.run(["ip", "link", "set", "dev", VETH_DPDK, mode, "off"], check_rc=False)

    def close(self, fast=False):
        if self.name not in list_netns():
            return
        _ns_kill_all(self.name, fast)
        sh(["ip", "netns", "del", self.name], check_rc=False, timeout=10)
        if not fast:
            log("namespace %s deleted" % self.name)


# ---------------------------------------------------------------------------
# fanout


def parse_stat_lines(text):
    """'name value' lines (fanout's shutdown statistics) into a dict."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"^([A-Za-z0-9_.]+) (-?[0-9]+(?:\.[0-9]+)?)$", line)
        if m:
            v = m.group(2)
            out[m.group(1)] = float(v) if "." in v else int(v)
    return out


class Fanout:
    """One fanout process in a namespace, on net_tap0 (kernel side: fo0), or
    on net_af_packet0 / net_af_xdp0 over the veth fo0d (kernel side: fo0)."""

    def __init__(self, ns, prefix, conf, lcores, lcore_map, idle_sleep, extra_eal, extra_args,
                 name, nic="tap"):
        self.ns = ns
        self.prefix = prefix
        self.name = name
        self.nic = nic
        self.conf_path = os.path.join(ns.test.log_dir, name + ".conf")
        if "\n" in conf or not os.path.exists(conf):
            with open(self.conf_path, "w") as f:
                f.write(nic_conf(nic, conf))
        elif nic != "tap":
            with open(conf) as f:
                text = f.read()
            with open(self.conf_path, "w") as f:
                f.write(nic_conf(nic, text))
        else:
            self.conf_path = os.path.abspath(conf)
        # lcores: "-l" list; lcore_map: an --lcores string (e.g. "0@0,1@0,2@1")
        if lcore_map:
            self.cpus = set()
            for m in re.finditer(r"@\(?([0-9,\-]+)\)?", lcore_map):
                self.cpus |= parse_cpulist(m.group(1))
            lc_args = ["--lcores", lcore_map]
        else:
            self.cpus = parse_cpulist(lcores)
            lc_args = ["-l", lcores]
        # workers: one per lcore but the main one, or the main one alone
        n_lcores = lcore_map.count(",") + 1 if lcore_map else len(self.cpus)
        vdev = nic_vdev(nic, max(1, n_lcores - 1))
        self.argv = ([FANOUT] + lc_args +
                     ["--no-pci", "--vdev", vdev, "--file-prefix", prefix] +
                     eal_mem_args() + list(extra_eal) +
                     ["--", "-c", self.conf_path] +
                     (["--idle-sleep", str(idle_sleep)] if idle_sleep is not None else []) +
                     list(extra_args))
        self.proc = None
        self.exit_code = None
        self._tel = None
        self.final_stats = None

    def __repr__(self):
        return "Fanout(%s)" % self.prefix

    def start(self, setup_kernel=True):
        check(os.access(FANOUT, os.X_OK), "%s not built (FO_BUILD_DIR=%s)" % (FANOUT, BUILD_DIR))
        if self.nic != "tap":
            self.ns.veth_up()
        # fanout's own threads (EAL control threads included) stay on its lcores
        cmd = ["taskset", "-c", cpulist(self.cpus)] + self.argv
        log("starting: " + " ".join(self.argv))
        self.proc = self.ns.spawn(cmd, self.name)
        _register(self)
        pin_tools_away_from(self.cpus)
        deadline = time.monotonic() + READY_TIMEOUT
        while READY_LINE not in self.proc.out():
            rc = self.proc.poll()
            if rc is not None:
                self.proc.dump()
                raise Failure("fanout exited with %d before printing '%s'" % (rc, READY_LINE))
            if time.monotonic() >= deadline:
                self.proc.dump()
                raise Failure("fanout not ready after %.0f s" % READY_TIMEOUT)
            time.sleep(0.05)
        log("fanout ready (pid %d, prefix %s)" % (self.proc.pid, self.prefix))
        if setup_kernel:
            self.setup_kernel()

    def setup_kernel(self):
        """Kernel side of the tap or veth: 198.18.0.2/24 on fo0, link up (after every start)."""
        self.ns.run(["ip", "addr", "replace", "%s/%d" % (KERNEL_IP, PREFIX_LEN), "dev", TAP])
        self.ns.run(["ip", "link", "set", TAP, "up"])

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def telemetry(self):
        if self._tel is None:
            self._tel = wait_for(self._try_connect, 10, "telemetry socket of " + self.prefix)
        return self._tel

    def _try_connect(self):
        try:
            return Telemetry(self.prefix)
        except OSError:
            return None

    def query(self, cmd):
        check(self.running(), "fanout is not running (exit %r)" % (self.proc.poll(),))
        try:
            return self.telemetry().query(cmd)
        except (OSError, ValueError):
            # one reconnect: a reply may have been cut by a restarting thread
            self._close_tel()
            return self.telemetry().query(cmd)

    def stats(self):
        """/fanout/stats as a dict (lib/net counters, drop{}, workers{}, ports{})."""
        s = self.query("/fanout/stats")
        check(isinstance(s, dict) and "rx_pkts" in s and "drop" in s,
              "/fanout/stats: unexpected reply %r" % (s,))
        return s

    def neigh(self):
        """/fanout/neigh as a list of {worker, ip, mac, state, port}."""
        n = self.query("/fanout/neigh")
        # DPDK 22.11 telemetry cannot put dicts in an array: entries come as
        # a dict keyed by index ("0", "1", ...); accept a list as well
        if isinstance(n, dict):
            n = [n[k] for k in sorted(n, key=lambda k: int(k) if k.isdigit() else 1 << 30)]
        check(isinstance(n, list) and all(isinstance(e, dict) for e in n),
              "/fanout/neigh: unexpected reply %r" % (n,))
        return n

    def _close_tel(self):
        if self._tel is not None:
            self._tel.close()
            self._tel = None

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Stop with @sig; assert exit 0 and the shutdown statistics. Returns them."""
        self._close_tel()
        if self.nic == "af_xdp" and self.running():
            # descriptors the kernel rejected are frames lost for good (a
            # UMEM that does not cover the whole mbuf pool did that)
            xs = xsk_stats(self.proc.pid)
            log("AF_XDP socket statistics: %s" % xs)
            check(xs["tx_invalid_descs"] == 0 and xs["rx_invalid_descs"] == 0,
                  "the kernel rejected AF_XDP descriptors: %s" % xs)
        log("stopping fanout with %s" % signal.Signals(sig).name)
        # ip netns exec has exec'd fanout (via taskset): the group leader is fanout
        os.kill(self.proc.pid, sig)
        rc = self.proc.wait(timeout)
        if rc is None:
            self.proc.dump()
            raise Failure("fanout still running %.0f s after %s"
                          % (timeout, signal.Signals(sig).name))
        self.exit_code = rc
        if rc != 0:
            self.proc.dump()
            raise Failure("fanout exited with %d after %s, want 0" % (rc, signal.Signals(sig).name))
        out = self.proc.out()
        after_ready = out.split(READY_LINE, 1)[-1]
        st = parse_stat_lines(after_ready)
        for k in ("rx_pkts", "drops_total", "icmp_echo_rx", "icmp_echo_tx", "tx_sent"):
            if k not in st:
                self.proc.dump()
                raise Failure("shutdown statistics lack '%s'" % k)
        self.final_stats = st
        _remove_dpdk_files(self.prefix)
        # the kernel verified every segment fanout sent (a chain sent whole by
        # a port without multi-segment tx arrives with a wrong checksum)
        errs = self.ns.tcp_csum_errors()
        check(errs == 0, "the kernel saw %d TCP segments with a wrong checksum" % errs)
        if self.nic == "af_xdp":
            self.ns.xdp_off()
        log("fanout exited 0, %d statistics lines" % len(st))
        return st

    def close(self, fast=False):
        self._close_tel()
        if self.proc is not None:
            self.proc.close(fast=fast)
        _remove_dpdk_files(self.prefix)
        if self.nic == "af_xdp" and self.proc is not None and not fast:
            self.ns.xdp_off()


def drops(stats):
    """Sum of the drop reasons in a /fanout/stats reply."""
    return sum(stats["drop"].values())


def delta(after, before, keys=None):
    """Per-counter difference of two /fanout/stats replies (plain + drop.*)."""
    d = {}
    for k, v in after.items():
        if isinstance(v, int) and isinstance(before.get(k), int):
            d[k] = v - before[k]
    for k, v in after["drop"].items():
        d["drop." + k] = v - before["drop"].get(k, 0)
    return d


def fanoutctl(prefix, *args, timeout=15):
    return sh([FANOUTCTL, "--file-prefix", prefix] + list(args), timeout=timeout, check_rc=False)


# ---------------------------------------------------------------------------
# Tools


def parse_ping(text):
    """(transmitted, received) from ping's summary."""
    m = re.search(r"(\d+) packets transmitted, (\d+) (?:packets )?received", text)
    check(m is not None, "no ping summary in:\n" + text)
    return int(m.group(1)), int(m.group(2))


def ping(ns, count=5, size=None, flood=False, deadline=None, interval=None, timeout=None):
    """Run ping in @ns against fanout; return (transmitted, received, output)."""
    argv = ["ping", "-n", "-c", str(count)]
    if size is not None:
        argv += ["-s", str(size)]
    if flood:
        argv += ["-f"]
    if interval is not None:
        argv += ["-i", str(interval)]
    argv += ["-w", str(deadline or count + 10), FANOUT_IP]
    r = ns.run(argv, timeout=timeout or (deadline or count + 10) + 10, check_rc=False)
    tx, rx = parse_ping(r.stdout)
    log("%s: %d transmitted, %d received" % (" ".join(argv[:-1]), tx, rx))
    return tx, rx, r.stdout + r.stderr


def arping(ns, count=3):
    """Habets arping (Debian package arping) on fo0; return (sent, replies, output)."""
    r = ns.run(["arping", "-c", str(count), "-w", "5", "-i", TAP, FANOUT_IP],
               timeout=count * 2 + 15, check_rc=False)
    out = r.stdout + r.stderr
    m = re.search(r"(\d+) packets transmitted, (\d+) packets received", out)
    check(m is not None, "no arping summary in:\n" + out)
    log("arping: %s transmitted, %s received" % (m.group(1), m.group(2)))
    return int(m.group(1)), int(m.group(2)), out


# ---------------------------------------------------------------------------
# Test runner


class Test:
    def __init__(self, name):
        self.name = name
        self.log_dir = os.path.join(BUILD_DIR, "integ-logs", name)
        shutil.rmtree(self.log_dir, ignore_errors=True)
        os.makedirs(self.log_dir)
        self.nss = []

    def netns(self, tag=None):
        tag = re.sub(r"[^a-z]", "", tag or self.name.replace("test_", ""))[:12]
        ns = Netns(self, tag)
        self.nss.append(ns)
        return ns

    def fanouts(self):
        return [fo for ns in self.nss for fo in ns.fanouts]


def require_root():
    if os.geteuid() != 0:
        print("FAIL: integration tests must run as root (network namespaces, net_tap, "
              "DPDK): sudo meson test -C %s --suite integ" % BUILD_DIR, flush=True)
        sys.exit(1)


def run(main, name=None, need_root=True):
    """Run main(Test) with set-up and guaranteed teardown. Exits 0 (pass) or 1."""
    name = name or os.path.splitext(os.path.basename(sys.argv[0]))[0]
    if os.environ.get("FO_NIC", "tap") not in ("", "tap"):
        name += "_" + os.environ["FO_NIC"]  # its own log directory
    if need_root:
        require_root()
        clean_stale()
    t = Test(name)
    ok = False
    try:
        main(t)
        ok = True
    except Failure as e:
        print("FAIL: %s" % e, flush=True)
        traceback.print_exc(file=sys.stdout)
    except Exception:
        print("FAIL: unexpected exception", flush=True)
        traceback.print_exc(file=sys.stdout)
    finally:
        if not ok:
            for fo in t.fanouts():
                if fo.proc is not None:
                    fo.proc.dump()
        cleanup_all()
    if ok:
        if os.environ.get("FO_KEEP_LOGS") != "1":
            shutil.rmtree(t.log_dir, ignore_errors=True)
        print("PASS: %s" % name, flush=True)
        sys.exit(0)
    print("logs kept in %s" % t.log_dir, flush=True)
    sys.exit(1)
