#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The one-machine set-up of README "Load testing with pktgen", with
dpdk-testpmd in pktgen's place: the sender's net_memif port is the server
and starts first, fanout's is the client (mac=02:00:5e:10:00:01, the MAC
mkpcap and the .pkt files default to).

fanout runs in a namespace with its usual tap (port 0) and, as a second
port, the memif client (198.18.1.1/24, listener 198.18.1.1:80, max_half_open
64). testpmd (interactive, fed from a script that waits for the test's
go-ahead) owns the memif server and a net_pcap port reading one pcap once;
io forwarding in retry mode moves the pcap's frames to the memif.

1. fanout cannot start as a client while no server listens on the socket;
2. testpmd starts, then fanout: the memif link comes up;
3. the malformed pcap (3,600 frames, default off-subnet sources): every
   frame testpmd sent arrives (port ipackets), each kind on its reason;
4. a SYN pcap of 2,000 flows: 64 half-open connections, 1,936 cookies.
Answers to the sources go to the gateway, which nobody answers: they are
dropped as neigh_queue_full/neigh_unreachable, as README says of testpmd.
"""

import json
import os
import re
import shutil
import time

import fo_integ as fi

MKPCAP = os.path.join(fi.SRC_DIR, "scripts", "pktgen", "mkpcap")
FO_MAC = "02:00:5e:10:00:01"
PG_MAC = "02:00:5e:10:00:02"
VIP = "198.18.1.1"
MAX_HALF_OPEN = 64
MALFORMED = 3600
SYN_FLOWS = 2000

CONF = """# written by tests/integ/test_pktgen_memif.py
interface net_tap0 {
    address 198.18.0.1/24;
}
interface net_memif0 {
    address 198.18.1.1/24;
    gateway 198.18.1.2;
}
listen 198.18.1.1:80;
tcp {
    max_half_open %d;
}
""" % MAX_HALF_OPEN

# testpmd's commands: io forwarding that retries a full tx ring; forwarding
# starts when the file GO exists, stops (with its statistics) at STOP
DRIVER = """set -e
echo 'set fwd io retry'
while [ ! -e "$1" ]; do sleep 0.1; done
echo start
while [ ! -e "$2" ]; do sleep 0.1; done
echo stop
echo 'show port stats all'
sleep 1
echo quit
"""


def mkpcap(t, kind, name, *args):
    out = os.path.join(t.log_dir, name + ".pcap")
    summ = os.path.join(t.log_dir, name + ".json")
    fi.sh(["/usr/bin/python3", MKPCAP, "--vip", VIP, "--vip-mac", FO_MAC, "--src-mac", PG_MAC,
           "--summary", summ, kind, out] + [str(a) for a in args], timeout=240)
    with open(summ) as f:
        return out, json.load(f)


def port_of(stats, name):
    for p in stats["ports"].values():
        if p["name"] == name:
            return p
    raise fi.Failure("no port %s in %s" % (name, stats["ports"]))


class Sender:
    """dpdk-testpmd: memif server + a net_pcap port replaying @pcap once."""

    def __init__(self, ns, t, pcap, sock, tag, cpu):
        self.go = os.path.join(t.log_dir, tag + ".go")
        self.stop_file = os.path.join(t.log_dir, tag + ".stop")
        driver = os.path.join(t.log_dir, "driver.sh")
        with open(driver, "w") as f:
            f.write(DRIVER)
        self.prefix = "%s-9%d" % (ns.name, len(tag))
        eal = ["dpdk-testpmd", "--lcores", "0@%d,1@%d" % (cpu, cpu), "--no-huge", "-m", "256",
               "--no-pci", "--file-prefix", self.prefix,
               "--vdev", "net_memif0,role=server,id=0,socket=%s,mac=%s" % (sock, PG_MAC),
               "--vdev", "net_pcap0,rx_pcap=%s,tx_pcap=/dev/null" % pcap,
               "--", "-i", "--no-flush-rx", "--total-num-mbufs=16384"]
        # stdbuf: testpmd's prompt and statistics reach the log as they are printed
        script = 'bash "$0" "$1" "$2" | exec stdbuf -oL "${@:3}"'
        self.proc = ns.spawn(["bash", "-c", script, driver, self.go, self.stop_file] + eal,
                             "testpmd-" + tag)

    def start(self):
        open(self.go, "w").close()

    def finish(self):
        """Stop forwarding; return testpmd's memif port (0) TX-packets and drops."""
        open(self.stop_file, "w").close()
        rc = self.proc.wait(20)
        shutil.rmtree(os.path.join(fi.DPDK_RUN_DIR, self.prefix), ignore_errors=True)
        out = self.proc.out()
        if rc is None:
            self.proc.dump()
            raise fi.Failure("testpmd did not quit")
        m = re.search(r"Forward statistics for port 0\s.*?TX-packets:\s*(\d+)", out, re.S)
        d = re.search(r"Forward statistics for port 0\s.*?TX-dropped:\s*(\d+)", out, re.S)
        if m is None or d is None:
            self.proc.dump()
            raise fi.Failure("no forward statistics for port 0 in testpmd's output")
        return int(m.group(1)), int(d.group(1))


def server(ns, t, pcap, tag, cpu):
    """testpmd with the memif server, once its ports are up (DPDK 22.11's
    memif socket is an abstract one by default: no file to wait for)."""
    sock = os.path.join(t.log_dir, "memif.sock")
    s = Sender(ns, t, pcap, sock, tag, cpu)
    fi.wait_for(lambda: "Set io packet forwarding mode with retry" in s.proc.out() or
                s.proc.poll() is not None, 20, "testpmd's ports")
    fi.check(s.proc.poll() is None, "testpmd exited: %s" % s.proc.err()[-2000:])
    return s


def run(fo, snd, frames, what):
    """Forward the pcap; return fanout's stats before and after, and what
    testpmd sent and dropped on the memif."""
    s0 = fo.stats()
    p0 = port_of(s0, "net_memif0")["ipackets"]
    snd.start()
    last = [None, time.monotonic()]

    def done():
        n = port_of(fo.stats(), "net_memif0")["ipackets"]
        if n != last[0]:
            last[0], last[1] = n, time.monotonic()
        return n - p0 >= frames or time.monotonic() - last[1] > 3
    fi.wait_for(done, 60, what)
    # before testpmd quits: the memif port's counters start over when its link goes down
    s1 = fo.stats()
    sent, dropped = snd.finish()
    return s0, s1, sent, dropped


def main(t):
    cpus = fi.ALL_CPUS
    fo_cpu, pg_cpu = (cpus[-1], cpus[0]) if len(cpus) > 1 else (cpus[0], cpus[0])
    ns = t.netns()
    conf = os.path.join(t.log_dir, "memif.conf")
    with open(conf, "w") as f:
        f.write(CONF)
    sock = os.path.join(t.log_dir, "memif.sock")
    memif = "net_memif0,role=client,id=0,socket=%s,mac=%s" % (sock, FO_MAC)
    mal, mal_s = mkpcap(t, "malformed", "malformed", "--count", MALFORMED)
    syn, _ = mkpcap(t, "syn", "syn", "--flows", SYN_FLOWS)

    # 1. a client without its server does not start
    try:
        ns.start_fanout(conf=conf, lcores=str(fo_cpu), extra_eal=["--vdev", memif],
                        name="noserver")
        raise fi.Failure("fanout started as a memif client with no server")
    except fi.Failure as e:
        if "no server" in str(e):
            raise
        err = ns.fanouts[-1].proc.err()
        fi.check("Failed to connect socket" in err,
                 "fanout failed without a memif server, but not on the connect:\n" + err[-2000:])
        fi.log("without a server fanout did not start, as README says: %s" % str(e)[:120])
    for fo in ns.fanouts:
        fo.close()

    # 2. the server first, then fanout
    snd = server(ns, t, mal, "malformed", pg_cpu)
    fo = ns.start_fanout(conf=conf, lcores=str(fo_cpu), extra_eal=["--vdev", memif])
    fi.wait_for(lambda: port_of(fo.stats(), "net_memif0")["link_up"] == 1, 10, "memif link up")

    # 3. malformed
    s0, s1, sent, dropped = run(fo, snd, MALFORMED, "the malformed pcap's frames")
    got = port_of(s1, "net_memif0")["ipackets"] - port_of(s0, "net_memif0")["ipackets"]
    fi.log("malformed over memif: testpmd sent %d (dropped %d), fanout received %d"
           % (sent, dropped, got))
    fi.check_eq(got, sent, "frames fanout received == frames testpmd sent on the memif")
    fi.check_ge(sent, MALFORMED // 2, "frames testpmd sent")
    d = fi.delta(s1, s0)
    td = {k: s1["tcp"]["drop"][k] - s0["tcp"]["drop"].get(k, 0) for k in s1["tcp"]["drop"]}
    want = {}
    for p in mal_s["parts"]:
        want[p["expect"]] = want.get(p["expect"], 0) + p["frames"]
    moved = {k: (td[k[9:]] if k.startswith("tcp.drop.") else d[k]) for k in want}
    fi.log("malformed over memif: %s" % moved)
    if sent == MALFORMED:
        fi.check_eq(moved, want, "drop reasons moved by the malformed pcap")
    else:
        fi.check_eq(sum(moved.values()), sent, "frames dropped on the summary's reasons")

    # 4. SYN flood (a second testpmd on the same socket after the first quit)
    fo.stop()
    snd = server(ns, t, syn, "syn", pg_cpu)
    fo = ns.start_fanout(conf=conf, lcores=str(fo_cpu), extra_eal=["--vdev", memif])
    fi.wait_for(lambda: port_of(fo.stats(), "net_memif0")["link_up"] == 1, 10, "memif link up")
    s0, s1, sent, dropped = run(fo, snd, SYN_FLOWS, "the SYN pcap's frames")
    cookies = s1["tcp"]["syncookies_sent"] - s0["tcp"]["syncookies_sent"]
    fi.log("SYN flood over memif: testpmd sent %d (dropped %d), half_open %d, cookies %d"
           % (sent, dropped, s1["tcp"]["half_open"], cookies))
    fi.check_eq(port_of(s1, "net_memif0")["ipackets"], sent, "SYNs fanout received")
    fi.check_eq(s1["tcp"]["half_open"], min(sent, MAX_HALF_OPEN), "half-open connections")
    fi.check_eq(cookies, max(0, sent - MAX_HALF_OPEN), "SYN cookies sent")
    fo.stop()


if __name__ == "__main__":
    fi.run(main)
