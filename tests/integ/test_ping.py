#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""fanout answers ARP and ICMP echo on net_tap; its counters say so.

ping (5, then 5 x 1400 bytes, then a bounded flood of 2000) and arping to
198.18.0.1 from the kernel side of the tap; the gratuitous ARP sent at start
is captured; the kernel learns fanout's MAC and fanout the kernel's; every
echo request fanout received was answered and nothing was dropped.
"""

import json
import socket
import struct
import time

import fo_integ as fi

ETH_P_ARP = 0x0806


def arp_frames(sock):
    """Every ARP frame queued on an unbound AF_PACKET socket: list of dicts."""
    frames = []
    while True:
        try:
            data, addr = sock.recvfrom(2048)
        except BlockingIOError:
            return frames
        if len(data) < 42:
            continue
        op, sha, spa, tha, tpa = struct.unpack("!6xH6s4s6s4s", data[14:42])
        frames.append({"ifname": addr[0], "pkttype": addr[2], "src": data[6:12].hex(":"),
                       "dst": data[0:6].hex(":"), "op": op, "sha": sha.hex(":"),
                       "spa": socket.inet_ntoa(spa), "tpa": socket.inet_ntoa(tpa)})


def main(t):
    ns = t.netns()
    # An unbound packet socket sees every interface of the namespace, fo0
    # included once fanout creates it: this is how the gratuitous ARP that
    # fanout sends while bringing its port up gets caught.
    cap = ns.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
    cap.setblocking(False)
    try:
        fo = ns.start_fanout()
        kernel_mac = ns.link_mac()

        s0 = fo.stats()
        fi.check_ge(s0["arp_tx_gratuitous"], 1, "arp_tx_gratuitous after start")
        fi.check_eq(s0["n_workers"], 1, "n_workers with -l 0")
        link0 = ns.link_stats()

        # the gratuitous ARP on the wire (bounded wait: it may still be in flight)
        garps = []

        def got_garp():
            garps.extend(f for f in arp_frames(cap) if f["ifname"] == fi.TAP and
                         f["spa"] == fi.FANOUT_IP and f["tpa"] == fi.FANOUT_IP)
            return garps

        fi.wait_for(got_garp, 5, "fanout's gratuitous ARP on fo0")
        g = garps[0]
        fi.log("gratuitous ARP: %s" % g)
        fi.check_eq(g["dst"], "ff:ff:ff:ff:ff:ff", "gratuitous ARP destination MAC")
        fi.check(g["op"] in (1, 2), "gratuitous ARP opcode %d" % g["op"])
        fanout_mac = g["sha"]
        fi.check_eq(g["src"], fanout_mac, "gratuitous ARP: Ethernet source == ARP sender MAC")
    finally:
        cap.close()

    sent = recv = 0

    tx, rx, out = fi.ping(ns, count=5)
    fi.check_eq((tx, rx), (5, 5), "ping -c 5 (transmitted, received)\n" + out)
    sent, recv = sent + tx, recv + rx

    # the kernel resolved 198.18.0.1 with ARP and learned fanout's MAC
    n = ns.neigh(fi.FANOUT_IP)
    fi.check(n is not None and "lladdr" in n, "kernel has no neighbour entry for %s: %r"
             % (fi.FANOUT_IP, n))
    fi.check_eq(n["lladdr"], fanout_mac, "kernel's neighbour entry for fanout")

    s1 = fo.stats()
    d = fi.delta(s1, s0)
    fi.check_ge(d["arp_rx_request"], 1, "ARP requests fanout got while the kernel resolved it")
    fi.check_ge(d["arp_tx_reply"], 1, "ARP replies fanout sent")

    tx, rx, out = fi.arping(ns, count=3)
    fi.check_eq((tx, rx), (3, 3), "arping -c 3 (transmitted, received)\n" + out)
    fi.check(fanout_mac in out.lower(), "arping replies come from %s:\n%s" % (fanout_mac, out))
    s2 = fo.stats()
    d = fi.delta(s2, s1)
    fi.check_ge(d["arp_rx_request"], 3, "ARP requests counted during arping -c 3")
    fi.check_ge(d["arp_tx_reply"], 3, "ARP replies counted during arping -c 3")

    tx, rx, out = fi.ping(ns, count=5, size=1400)
    fi.check_eq((tx, rx), (5, 5), "ping -s 1400 -c 5 (transmitted, received)\n" + out)
    fi.check("1408 bytes from %s" % fi.FANOUT_IP in out, "1408-byte replies:\n" + out)
    sent, recv = sent + tx, recv + rx

    tx, rx, out = fi.ping(ns, count=2000, flood=True, deadline=20, timeout=40)
    fi.check(rx * 100 >= tx * 99 and tx == 2000,
             "ping -f -c 2000 -w 20: %d transmitted, %d received, want >= 99%%\n%s" % (tx, rx, out))
    sent, recv = sent + tx, recv + rx

    # counters: every echo request that reached fanout was answered, nothing dropped
    def settled():
        a = fo.stats()
        b = fo.stats()
        return (a, b) if a == b or fi.delta(b, a)["rx_pkts"] == 0 else None

    time.sleep(0.2)
    s3, _ = fi.wait_for(settled, 10, "fanout's counters to settle", interval=0.2)
    link3 = ns.link_stats()
    lost_in_tap = link3["tx_dropped"] - link0["tx_dropped"]
    d = fi.delta(s3, s0)
    fi.log("counters since start: %s" % {k: v for k, v in d.items() if v})
    fi.log("ping: %d requests sent, %d replies received; fo0 tx_dropped +%d"
           % (sent, recv, lost_in_tap))
    fi.check(sent - lost_in_tap <= d["icmp_echo_rx"] <= sent,
             "icmp_echo_rx +%d, want between %d and %d (ping sent %d, tap dropped %d)"
             % (d["icmp_echo_rx"], sent - lost_in_tap, sent, sent, lost_in_tap))
    fi.check_eq(d["icmp_echo_tx"], d["icmp_echo_rx"], "icmp_echo_tx == icmp_echo_rx")
    fi.check_ge(d["icmp_echo_tx"], recv, "icmp_echo_tx vs replies ping received")
    fi.check_eq(s3["drops_total"], 0, "drops_total (no valid packet may be dropped)")
    fi.check_eq(s3["tx_dropped"], 0, "tx_dropped")
    fi.check_eq(s3["tx_sent"], s3["tx_pkts"], "tx_sent (wire) == tx_pkts (queued by lib/net)")
    port = s3["ports"]["0"]
    fi.check_eq(port["name"], "net_tap0", "port 0 name")
    fi.check_eq(port["link_up"], 1, "port 0 link_up")
    fi.check_eq(port["ipackets"], s3["rx_pkts"], "port ipackets == lib/net rx_pkts")
    fi.check_eq(port["opackets"], s3["tx_sent"], "port opackets == tx_sent")
    fi.check_eq(port["ierrors"] + port["imissed"] + port["rx_nombuf"], 0, "port rx errors")
    w = s3["workers"]["0"]
    fi.check(w["busy_cycles"] > 0 and w["idle_cycles"] > 0 and w["loops"] > 0,
             "worker 0 TSC accounting: %r" % w)
    fi.check_ge(w["idle_sleeps"], 1, "worker 0 idle sleeps with --idle-sleep 100")

    # fanoutctl reads the same counters
    r = fi.fanoutctl(fo.prefix, "stats")
    fi.check_eq(r.returncode, 0, "fanoutctl stats exit code (stderr: %s)" % r.stderr)
    js = json.loads(r.stdout)
    js = js.get("/fanout/stats", js)
    fi.check_eq(sorted(js["drop"]), sorted(s3["drop"]), "fanoutctl stats: drop reasons")
    fi.check_ge(js["icmp_echo_tx"], s3["icmp_echo_tx"], "fanoutctl stats: icmp_echo_tx")

    # what fanout learned about the kernel side (checked after the stop)
    neigh = fo.neigh()
    fi.log("/fanout/neigh: %s" % neigh)

    st = fo.stop()
    fi.check_ge(st["icmp_echo_tx"], s3["icmp_echo_tx"], "shutdown statistics: icmp_echo_tx")
    fi.check_ge(st["arp_tx_gratuitous"], 1, "shutdown statistics: arp_tx_gratuitous")
    fi.check_eq(st["drops_total"], sum(v for k, v in st.items() if k.startswith("drop.")),
                "shutdown statistics: drops_total == sum of drop.*")

    # fanout knows the kernel side: 198.18.0.2 at fo0's MAC, reachable
    mine = [e for e in neigh if e.get("ip") == fi.KERNEL_IP]
    fi.check(mine, "/fanout/neigh has no entry for %s: %r (neigh_learned %d)"
             % (fi.KERNEL_IP, neigh, st["neigh_learned"]))
    fi.check_eq(mine[0]["mac"].lower(), kernel_mac, "fanout's neighbour entry for the kernel side")
    fi.check_eq(mine[0]["state"], "reachable", "state of fanout's entry for the kernel side")


if __name__ == "__main__":
    fi.run(main)
