#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""10,000 malformed frames: all counted as dropped, none answered, fanout lives.

Frames are crafted with scapy and written from the kernel side of the tap
through an AF_PACKET socket bound to fo0, category by category, in batches
that fanout must have received before the next one goes (so the tun queue
never overflows; the kernel's tx_dropped on fo0 is checked to stay 0).

This phase runs first, before any ping, so that nothing else crosses the
tap: the kernel's transmit counter on fo0 must grow by exactly the frames
sent, fanout's rx_pkts and the sum of its drop reasons by exactly as much,
and each category must land on the drop reason(s) it is built to trigger.
Afterwards ping and arping still answer and the drop counters stay put.

AF_PACKET refuses frames shorter than an Ethernet header (14 bytes), so
eth_truncated cannot be reached from here (the unit tests and the fuzz
corpus cover it); every longer truncation is sent.
"""

import random
import socket
import struct

from scapy.all import ARP, ICMP, IP, Dot1Q, Ether, IPOption, Raw, conf
from scapy.utils import checksum

import fo_integ as fi

conf.verb = 0

TOTAL = 10000
BATCH = 200        # frames in flight at most; the tun queue holds 1000
ATK_MAC = "02:fe:00:00:00:02"  # source of the crafted frames: valid unicast, unknown to fanout
BCAST = "ff:ff:ff:ff:ff:ff"


class Frames:
    """Builders of good frames to break, for fanout at @mac."""

    def __init__(self, mac, rng):
        self.mac = mac
        self.rng = rng

    def payload(self, n=None):
        n = self.rng.randrange(0, 1401) if n is None else n
        return self.rng.randbytes(n)

    def echo(self, n=None, dst_mac=None, src_mac=ATK_MAC, ip_kw=None, icmp_kw=None):
        """A valid echo request to fanout (then broken by the caller)."""
        return (Ether(dst=dst_mac or self.mac, src=src_mac) /
                IP(**dict({"src": fi.KERNEL_IP, "dst": fi.FANOUT_IP}, **(ip_kw or {}))) /
                ICMP(type=8, code=0, id=self.rng.getrandbits(16), seq=self.rng.getrandbits(16),
                     **(icmp_kw or {})) /
                Raw(self.payload(n)))

    def arp(self, op=1, sip=fi.KERNEL_IP, tip=fi.FANOUT_IP, sha=ATK_MAC, dst_mac=BCAST,
            src_mac=ATK_MAC, **kw):
        return (Ether(dst=dst_mac, src=src_mac) /
                ARP(op=op, hwsrc=sha, psrc=sip, hwdst="00:00:00:00:00:00", pdst=tip, **kw))

    def ip_raw(self, hdr, payload=b"", dst_mac=None):
        """Ethernet + hand-made IPv4 header bytes + payload."""
        return bytes(Ether(dst=dst_mac or self.mac, src=ATK_MAC, type=0x0800)) + hdr + payload


def ip_hdr(ver=4, ihl=5, tos=0, tot=None, ident=1, flags_frag=0, ttl=64, proto=1,
           src=fi.KERNEL_IP, dst=fi.FANOUT_IP, options=b"", payload_len=0, csum=None):
    """A hand-made IPv4 header with a correct checksum unless @csum is given."""
    if tot is None:
        tot = ihl * 4 + payload_len
    h = struct.pack("!BBHHHBBH4s4s", (ver << 4) | ihl, tos, tot & 0xffff, ident, flags_frag, ttl,
                    proto, 0, socket.inet_aton(src), socket.inet_aton(dst)) + options
    c = checksum(h) if csum is None else csum
    return h[:10] + struct.pack("!H", c) + h[12:]


def icmp_echo_bytes(payload, ident=7, seq=1, typ=8, code=0, bad=False):
    h = struct.pack("!BBHHH", typ, code, 0, ident, seq) + payload
    c = checksum(h)
    if bad:
        c ^= 0x5a5a
    return h[:2] + struct.pack("!H", c) + h[4:]


def icmp_sum_ok(icmp_bytes):
    return checksum(icmp_bytes) == 0


def build(mac, rng):
    """[(category, {acceptable drop reasons}, [frame bytes])], TOTAL frames in all."""
    F = Frames(mac, rng)
    cats = []

    def cat(name, reasons, fixed, gen):
        cats.append({"name": name, "reasons": set(reasons), "frames": [bytes(f) for f in fixed],
                     "gen": gen})

    def pick(seq):
        return seq[rng.randrange(len(seq))]

    # --- truncations at every offset past the Ethernet header
    arp_ok = bytes(F.arp())
    cat("arp truncated at every offset", ["arp_truncated"],
        [arp_ok[:n] for n in range(14, 42)],
        lambda: bytes(F.arp(op=pick([1, 2]), tip=pick([fi.FANOUT_IP, "198.18.0.9"])))
        [:rng.randrange(14, 42)])
    echo_ok = bytes(F.echo(56))
    big_ok = bytes(F.echo(1400))
    cat("ipv4/icmp truncated at every offset", ["ip_truncated"],
        [echo_ok[:n] for n in range(14, len(echo_ok))] +
        [big_ok[:n] for n in range(14, len(big_ok), 37)],
        lambda: (lambda f: f[:rng.randrange(14, len(f))])(bytes(F.echo())))
    cat("802.1Q tag cut short", ["vlan_truncated"],
        [bytes(Ether(dst=mac, src=ATK_MAC, type=0x8100))[:14] + b"\x00" * k for k in range(4)],
        lambda: bytes(Ether(dst=pick([mac, BCAST]), src=ATK_MAC, type=0x8100))
        + bytes(rng.getrandbits(8) for _ in range(rng.randrange(4))))

    # --- IPv4 header lies
    def bad_ip_csum():
        p = F.echo()
        good = IP(bytes(p[IP])).chksum
        p[IP].chksum = good ^ (rng.randrange(1, 0x10000))
        return p
    cat("bad IPv4 header checksum", ["ip_bad_cksum"], [], bad_ip_csum)

    def len_bigger():
        pay = icmp_echo_bytes(F.payload())
        tot = 20 + len(pay) + rng.randrange(1, 1500)
        return F.ip_raw(ip_hdr(tot=tot), pay)
    cat("total length above the frame", ["ip_truncated"],
        [F.ip_raw(ip_hdr(tot=20 + 64 + k), icmp_echo_bytes(F.payload(56))) for k in (1, 2, 100)] +
        [F.ip_raw(ip_hdr(tot=0xffff), icmp_echo_bytes(F.payload(56)))], len_bigger)
    cat("total length below the header length", ["ip_bad_len"],
        [F.ip_raw(ip_hdr(tot=t), icmp_echo_bytes(F.payload(56))) for t in range(20)],
        lambda: F.ip_raw(ip_hdr(tot=rng.randrange(20)), icmp_echo_bytes(F.payload())))
    cat("total length leaves under 8 bytes of ICMP", ["icmp_truncated"],
        [F.ip_raw(ip_hdr(tot=20 + k), icmp_echo_bytes(F.payload(56))) for k in range(8)],
        lambda: F.ip_raw(ip_hdr(tot=20 + rng.randrange(8)), icmp_echo_bytes(F.payload())))

    def len_smaller_cut():
        # the IP length cuts the echo short: the ICMP checksum no longer holds
        while True:
            pay = icmp_echo_bytes(F.payload(rng.randrange(2, 1401)))
            keep = rng.randrange(8, len(pay))
            if not icmp_sum_ok(pay[:keep]):
                return F.ip_raw(ip_hdr(tot=20 + keep), pay)
    cat("total length below the frame, ICMP cut", ["icmp_bad_cksum"], [], len_smaller_cut)

    cat("IHL below 5", ["ip_bad_hlen"],
        [F.ip_raw(ip_hdr(ihl=i, tot=84), icmp_echo_bytes(F.payload(56))) for i in range(5)],
        lambda: F.ip_raw(ip_hdr(ihl=rng.randrange(5), tot=84), icmp_echo_bytes(F.payload(56))))
    opts = [b"\x01\x01\x01\x00", b"\x94\x04\x00\x00", b"\x07\x07\x04" + b"\x00" * 5,
            b"\x44\x0c\x05\x00" + b"\x00" * 8, b"\x00" * 40]
    cat("IPv4 options", ["ip_options"],
        [F.ip_raw(ip_hdr(ihl=5 + len(o) // 4, options=o, payload_len=64),
                  icmp_echo_bytes(F.payload(56))) for o in opts] +
        [bytes(F.echo(ip_kw={"options": [IPOption(b"\x94\x04\x00\x00")]}))],
        lambda: (lambda o: F.ip_raw(ip_hdr(ihl=5 + len(o) // 4, options=o, payload_len=64),
                                    icmp_echo_bytes(F.payload(56))))(pick(opts)))
    cat("IHL beyond the frame", ["ip_options", "ip_truncated"],
        [F.ip_raw(ip_hdr(ihl=15, tot=60), bytes(40))[:14 + 20 + k] for k in (0, 4, 20)],
        lambda: (lambda ihl: F.ip_raw(ip_hdr(ihl=ihl, tot=60), bytes(40))
                 [:14 + rng.randrange(20, 4 * ihl)])(rng.randrange(6, 16)))
    cat("fragments", ["ip_fragment"],
        [F.echo(56, ip_kw={"flags": "MF"}), F.echo(56, ip_kw={"frag": 1}),
         F.echo(56, ip_kw={"flags": "MF", "frag": 100}), F.echo(56, ip_kw={"frag": 8191}),
         F.echo(56, ip_kw={"flags": "DF+MF"})],
        lambda: F.echo(ip_kw=pick([{"flags": "MF"}, {"frag": rng.randrange(1, 8192)},
                                   {"flags": "MF", "frag": rng.randrange(1, 8192)}])))
    cat("TTL 0", ["ip_ttl_expired"], [F.echo(56, ip_kw={"ttl": 0})],
        lambda: F.echo(ip_kw={"ttl": 0}))
    cat("IP version not 4", ["ip_bad_version"],
        [F.ip_raw(ip_hdr(ver=v, payload_len=64), icmp_echo_bytes(F.payload(56)))
         for v in range(16) if v != 4],
        lambda: F.ip_raw(ip_hdr(ver=pick([0, 1, 2, 3, 5, 6, 7, 15]), payload_len=64),
                         icmp_echo_bytes(F.payload(56))))

    # --- ICMP
    def bad_icmp():
        pay = F.payload()
        return F.ip_raw(ip_hdr(payload_len=8 + len(pay)), icmp_echo_bytes(pay, bad=True))
    cat("bad ICMP checksum", ["icmp_bad_cksum"], [], bad_icmp)
    unhandled = [(0, 0), (3, 1), (3, 3), (5, 0), (11, 0), (13, 0), (14, 0), (17, 0), (8, 1),
                 (8, 255), (255, 0), (42, 0)]
    cat("ICMP other than echo request", ["icmp_type_unhandled"],
        [F.ip_raw(ip_hdr(payload_len=64), icmp_echo_bytes(F.payload(56), typ=t, code=c))
         for t, c in unhandled],
        lambda: (lambda tc: F.ip_raw(ip_hdr(payload_len=64), icmp_echo_bytes(
            F.payload(56), typ=tc[0], code=tc[1])))(pick(unhandled)))
    protos = [0, 2, 4, 41, 47, 50, 89, 132, 253, 254, 255]  # not TCP/UDP: later issues handle them
    cat("IP protocol without a handler", ["ip_proto_unknown"],
        [F.ip_raw(ip_hdr(proto=p, payload_len=16), F.payload(16)) for p in protos],
        lambda: F.ip_raw(ip_hdr(proto=pick(protos), payload_len=16), F.payload(16)))

    # --- Ethernet
    types = [0x86dd, 0x88cc, 0x8035, 0x0801, 0x0000, 0x05dc, 0x88a8, 0x9100, 0x8847, 0xffff]
    cat("unknown ethertype", ["eth_type_unknown"],
        [bytes(Ether(dst=mac, src=ATK_MAC, type=t)) + F.payload(46) for t in types],
        lambda: bytes(Ether(dst=pick([mac, BCAST]), src=ATK_MAC, type=pick(types))) +
        F.payload(rng.randrange(0, 100)))
    others = ["02:00:00:00:00:99", "00:11:22:33:44:55", "01:00:5e:00:00:01", "33:33:00:00:00:01",
              "01:80:c2:00:00:00", "ff:ff:ff:ff:ff:fe"]
    cat("destination MAC not fanout's", ["eth_not_for_us"],
        [F.echo(56, dst_mac=d) for d in others] + [F.arp(dst_mac=d) for d in others],
        lambda: F.echo(dst_mac=pick(others)))
    bad_src = ["01:00:5e:00:00:01", "ff:ff:ff:ff:ff:ff", "33:33:00:00:00:01", "00:00:00:00:00:00",
               "03:00:00:00:00:01"]
    cat("multicast/broadcast/zero source MAC", ["eth_src_invalid"],
        [F.echo(56, src_mac=s) for s in bad_src] + [F.arp(src_mac=s) for s in bad_src],
        lambda: F.echo(src_mac=pick(bad_src)))
    cat("802.1Q tag of an unconfigured VLAN", ["vlan_unknown"],
        [bytes(Ether(dst=mac, src=ATK_MAC) / Dot1Q(vlan=v) / IP(src=fi.KERNEL_IP, dst=fi.FANOUT_IP)
               / ICMP() / Raw(F.payload(56))) for v in (0, 1, 100, 4094, 4095)] +
        [bytes(Ether(dst=BCAST, src=ATK_MAC) / Dot1Q(vlan=v) /
               ARP(psrc=fi.KERNEL_IP, pdst=fi.FANOUT_IP, hwsrc=ATK_MAC)) for v in (0, 1, 100)],
        lambda: Ether(dst=mac, src=ATK_MAC) / Dot1Q(vlan=rng.randrange(4096)) /
        IP(src=fi.KERNEL_IP, dst=fi.FANOUT_IP) / ICMP() / Raw(F.payload()))

    # --- ARP
    # patched in place (scapy would size the addresses by hwlen/plen): the
    # frame keeps an Ethernet/IPv4 ARP's 42 bytes, only the header lies
    badhdr = [(0, "!H", 6), (0, "!H", 0), (0, "!H", 0xffff), (2, "!H", 0x86dd), (2, "!H", 0),
              (4, "!B", 4), (4, "!B", 0), (4, "!B", 8), (5, "!B", 16), (5, "!B", 0), (5, "!B", 6)]

    def arp_patch(frame, off, fmt, val):
        frame = bytes(frame)
        v = struct.pack(fmt, val)
        return frame[:14 + off] + v + frame[14 + off + len(v):]
    cat("ARP hardware/protocol type or length", ["arp_bad_header"],
        [arp_patch(F.arp(), *k) for k in badhdr],
        lambda: arp_patch(F.arp(op=pick([1, 2])), *pick(badhdr)))
    cat("ARP opcode", ["arp_bad_op"], [F.arp(op=o) for o in (0, 3, 4, 8, 9, 0xffff)],
        lambda: F.arp(op=(lambda o: o + 2 if o else 0)(rng.randrange(0, 0xfffe))))
    # never the sender's own address: sender == target is a gratuitous ARP (consumed, not dropped)
    other_tips = ["198.18.0.3", "198.18.0.254", "10.0.0.1", "0.0.0.0",
                  "198.18.0.255", "198.19.0.1", "255.255.255.255"]
    cat("ARP request for another address", ["arp_not_for_us"],
        [F.arp(tip=t) for t in other_tips],
        lambda: F.arp(op=pick([1, 2]), tip=pick(other_tips)))
    cat("ARP reply nobody asked for", ["arp_unsolicited"],
        [F.arp(op=2, sip="198.18.0.%d" % h, dst_mac=mac) for h in (5, 6, 77)],
        lambda: F.arp(op=2, sip="198.18.0.%d" % rng.randrange(3, 255), dst_mac=pick([mac, BCAST])))
    bad_sip = [fi.FANOUT_IP, "0.0.0.0", "127.0.0.1", "224.0.0.1", "255.255.255.255",
               "198.18.0.255", "198.18.0.0", "10.0.0.1", "240.0.0.1"]
    cat("ARP sender address invalid", ["arp_src_invalid"],
        [F.arp(sip=s) for s in bad_sip] +
        [F.arp(sha=m) for m in ("00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:01")],
        lambda: F.arp(op=pick([1, 2]), sip=pick(bad_sip)))

    # --- IPv4 addresses
    other_dst = ["198.18.0.3", "198.18.0.2", "10.1.2.3", "224.0.0.1", "198.18.0.255",
                 "255.255.255.255", "127.0.0.1", "0.0.0.0"]
    cat("IPv4 to another destination", ["ip_not_for_us"],
        [F.echo(56, ip_kw={"dst": d}) for d in other_dst],
        lambda: F.echo(ip_kw={"dst": pick(other_dst)}))
    spoofed = [fi.FANOUT_IP, "0.0.0.0", "127.0.0.1", "127.1.2.3", "224.0.0.5", "239.255.255.250",
               "255.255.255.255", "198.18.0.255", "240.0.0.1"]
    cat("spoofed IPv4 source", ["ip_src_invalid"],
        [F.echo(56, ip_kw={"src": s}) for s in spoofed],
        lambda: F.echo(ip_kw={"src": pick(spoofed)}))

    # --- a broadcast storm fanout must ignore: 2000 broadcast frames
    storm = []
    for i in range(2000):
        k = i % 4
        if k == 0:
            storm.append(F.arp(tip="198.18.%d.%d" % (rng.randrange(0, 2), rng.randrange(3, 255))))
        elif k == 1:
            storm.append(F.echo(rng.randrange(0, 200), dst_mac=BCAST,
                                ip_kw={"dst": pick(["255.255.255.255", "198.18.0.255"])}))
        elif k == 2:
            storm.append(bytes(Ether(dst=BCAST, src=ATK_MAC, type=pick(types))) + F.payload(46))
        else:
            storm.append(F.arp(op=2, sip="198.18.0.%d" % rng.randrange(3, 255), dst_mac=BCAST))
    cats.append({"name": "broadcast storm", "frames": [bytes(f) for f in storm], "gen": None,
                 "reasons": {"arp_not_for_us", "ip_not_for_us", "eth_type_unknown",
                             "arp_unsolicited"}})

    # fill up to TOTAL with random variants, round robin over the categories
    n = sum(len(c["frames"]) for c in cats)
    gens = [c for c in cats if c["gen"] is not None]
    i = 0
    while n < TOTAL:
        c = gens[i % len(gens)]
        c["frames"].append(bytes(c["gen"]()))
        n += 1
        i += 1
    for c in cats:
        for f in c["frames"]:
            assert 14 <= len(f) <= 1514, (c["name"], len(f))
    return cats


def main(t):
    ns = t.netns()
    fo = ns.start_fanout()
    mac = ns.link_mac()  # net_tap gives the kernel side the port's MAC
    rng = random.Random(20251125)
    cats = build(mac, rng)
    total = sum(len(c["frames"]) for c in cats)
    fi.check_eq(total, TOTAL, "frames built")
    fi.log("%d frames in %d categories built" % (total, len(cats)))

    sock = ns.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)  # protocol 0: send only
    sock.bind((fi.TAP, 0))
    s0 = fo.stats()
    link0 = ns.link_stats()
    sent = 0
    problems = []
    try:
        for c in cats:
            before = fo.stats()
            frames = c["frames"]
            for off in range(0, len(frames), BATCH):
                for f in frames[off:off + BATCH]:
                    n = sock.send(f)
                    fi.check_eq(n, len(f), "bytes written by AF_PACKET")
                sent += len(frames[off:off + BATCH])

                def caught_up():
                    return fo.stats()["rx_pkts"] - s0["rx_pkts"] >= sent
                try:
                    fi.wait_for(caught_up, 10, "fanout to receive %d frames" % sent, interval=0.002)
                except fi.Failure as e:
                    raise fi.Failure("%s; fo0 counters %s (tx_dropped counts tun queue overflow)"
                                     % (e, ns.link_stats()))
            after = fo.stats()
            d = fi.delta(after, before)
            got = {k[5:]: v for k, v in d.items() if k.startswith("drop.") and v}
            fi.log("%-45s %5d frames -> %s" % (c["name"], len(frames), got))
            if sum(got.values()) != len(frames) or not set(got) <= c["reasons"] or \
                    d["tx_pkts"] != 0:
                problems.append("%s: %d frames, want drops in %s, got %s (tx_pkts +%d)"
                                % (c["name"], len(frames), sorted(c["reasons"]), got, d["tx_pkts"]))
    finally:
        sock.close()

    s1 = fo.stats()
    link1 = ns.link_stats()
    d = fi.delta(s1, s0)
    fi.log("fo0 kernel counters before %s after %s" % (link0, link1))
    kernel_tx = link1["tx_packets"] - link0["tx_packets"]
    fi.check_eq(link1["tx_dropped"] - link0["tx_dropped"], 0, "fo0 tx_dropped (tun queue overflow)")
    fi.check_eq(kernel_tx, sent, "frames the kernel passed to the tap (other traffic would break "
                "the exact count)")
    fi.check_eq(d["rx_pkts"], sent, "fanout rx_pkts delta")
    fi.check_eq(s1["ports"]["0"]["ipackets"] - s0["ports"]["0"]["ipackets"], sent,
                "port ipackets delta")
    fi.check_eq(d["drops_total"], sent, "drops_total delta == malformed frames delivered")
    fi.check_eq(fi.drops(s1) - fi.drops(s0), sent, "sum of drop reasons delta")
    for k in ("tx_pkts", "tx_sent", "arp_tx_reply", "arp_tx_request", "icmp_echo_tx",
              "icmp_echo_rx", "arp_rx_request", "neigh_learned"):
        fi.check_eq(d[k], 0, "%s delta (no malformed frame may be answered or learned)" % k)
    fi.check(not problems, "categories that did not drop as expected:\n  " + "\n  ".join(problems))
    must = {"arp_truncated", "vlan_truncated", "ip_truncated", "ip_bad_cksum", "ip_bad_len",
            "ip_bad_hlen", "ip_options", "ip_fragment", "ip_ttl_expired", "ip_bad_version",
            "icmp_truncated", "icmp_bad_cksum", "icmp_type_unhandled", "ip_proto_unknown",
            "eth_type_unknown", "eth_not_for_us", "eth_src_invalid", "vlan_unknown",
            "arp_bad_header", "arp_bad_op", "arp_not_for_us", "arp_unsolicited",
            "arp_src_invalid", "ip_not_for_us", "ip_src_invalid"}
    zero = sorted(r for r in must if d["drop." + r] == 0)
    fi.check(not zero, "drop reasons that stayed 0: %s" % zero)
    fi.check(fo.running(), "fanout still runs")

    # fanout still answers, and valid traffic adds no drop
    tx, rx, out = fi.ping(ns, count=3)
    fi.check_eq((tx, rx), (3, 3), "ping after the malformed frames\n" + out)
    tx, rx, out = fi.arping(ns, count=2)
    fi.check_eq((tx, rx), (2, 2), "arping after the malformed frames\n" + out)
    s2 = fo.stats()
    fi.check_eq(s2["drops_total"], s1["drops_total"], "drops_total after valid traffic")
    fi.check_ge(s2["icmp_echo_tx"] - s1["icmp_echo_tx"], 3, "echo replies after the storm")

    st = fo.stop()
    fi.check_eq(st["drops_total"], s1["drops_total"], "shutdown statistics: drops_total")


if __name__ == "__main__":
    fi.run(main)
