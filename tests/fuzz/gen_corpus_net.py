import os, sys
from scapy.all import Ether, Dot1Q, ARP, IP, ICMP, TCP, UDP, Raw, IPv6, raw
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
OURS = "02:00:00:00:00:01"; PEER = "02:00:00:00:00:02"; BC = "ff:ff:ff:ff:ff:ff"
US = "198.18.0.1"; PE = "198.18.0.2"
def eth(dst=OURS, src=PEER, vlan=None):
    e = Ether(dst=dst, src=src)
    return e / Dot1Q(vlan=vlan) if vlan else e
def ping(plen=56, vlan=None, **ipkw):
    kw = dict(src=PE, dst=US); kw.update(ipkw)
    return eth(vlan=vlan) / IP(**kw) / ICMP(type=8, id=0x77, seq=1) / Raw(bytes(range(256)) * (plen // 256) + bytes(range(plen % 256)))
def areq(vlan=None, sip=PE, tip=US, op=1, dst=BC):
    return eth(dst=dst, vlan=vlan) / ARP(op=op, hwsrc=PEER, psrc=sip, hwdst="00:00:00:00:00:00" if op == 1 else OURS, pdst=tip)
cases = {}
def add(name, pkt, flags=0, split=0):
    b = pkt if isinstance(pkt, bytes) else raw(pkt)
    cases[name] = bytes([flags, split]) + b
add("arp_request", areq())
add("arp_request_pad", areq() / Raw(b"\0" * 18))
add("arp_request_vlan", areq(vlan=100), flags=1)
add("arp_request_vlan_wrong_iface", areq(vlan=100))
add("arp_reply_pending", areq(op=2, dst=OURS), flags=0x20)
add("arp_reply_unsolicited", areq(op=2, dst=OURS))
add("arp_gratuitous", areq(sip=PE, tip=PE), flags=0x20)
add("arp_other_target", areq(tip="198.18.0.3"))
add("arp_probe", areq(sip="0.0.0.0"))
add("arp_bad_op", areq(op=7))
add("arp_bad_hw", raw(areq())[:14] + b"\x00\x06" + raw(areq())[16:])
add("arp_truncated", raw(areq())[:30])
add("arp_split", areq() / Raw(b"\0" * 18), flags=0x10, split=20)
add("icmp_echo", ping())
add("icmp_echo_odd", ping(plen=57))
add("icmp_echo_1400", ping(plen=1400))
add("icmp_echo_1400_vlan", ping(plen=1400, vlan=100), flags=1)
add("icmp_echo_split", ping(plen=300), flags=0x10, split=61)
add("icmp_echo_split_hdr", ping(plen=300), flags=0x10, split=36)
add("icmp_echo_offload", ping(), flags=0x08 | 0x02)
add("icmp_echo_rx_bad", ping(), flags=0x04)
add("icmp_echo_stripped", ping(), flags=0x01 | 0x40)
add("icmp_echo_small_padded", raw(ping(plen=2)) + b"\0" * 16)
add("icmp_echo_reply", eth() / IP(src=PE, dst=US) / ICMP(type=0) / Raw(b"x" * 8))
add("icmp_unreach", eth() / IP(src=PE, dst=US) / ICMP(type=3, code=3) / Raw(b"y" * 28))
add("icmp_bad_cksum", eth() / IP(src=PE, dst=US) / ICMP(type=8, chksum=0x1234) / Raw(b"z" * 9))
add("icmp_short", eth() / IP(src=PE, dst=US, proto=1) / Raw(b"\x08\0\0"))
add("ip_options", eth() / IP(src=PE, dst=US, options=[b"\x01\x01\x01\x00"]) / ICMP())
add("ip_fragment", eth() / IP(src=PE, dst=US, flags="MF") / ICMP() / Raw(b"a" * 16))
add("ip_ttl0", eth() / IP(src=PE, dst=US, ttl=0) / ICMP())
add("ip_not_for_us", eth() / IP(src=PE, dst="198.18.0.9") / ICMP())
add("ip_src_bcast", eth() / IP(src="198.18.0.255", dst=US) / ICMP())
add("ip_tcp_syn", eth() / IP(src=PE, dst=US) / TCP(dport=80, flags="S"))
add("ip_udp", eth() / IP(src=PE, dst=US) / UDP(dport=53) / Raw(b"q" * 12))
add("ip_len_lie_long", raw(eth() / IP(src=PE, dst=US, len=1500) / ICMP()))
add("ip_len_lie_short", raw(eth() / IP(src=PE, dst=US, len=10) / ICMP()))
add("ip_version6", eth() / IPv6(dst="fe80::1") / Raw(b"6" * 8))
add("ip_bad_cksum", eth() / IP(src=PE, dst=US, chksum=0xbeef) / ICMP())
add("eth_multicast_src", eth(src="01:00:5e:00:00:01") / IP(src=PE, dst=US) / ICMP())
add("eth_not_for_us", eth(dst="02:00:00:00:00:09") / IP(src=PE, dst=US) / ICMP())
add("eth_truncated", b"\x02\x00\x00\x00\x00\x01\x02\x00")
add("vlan_truncated", raw(eth(vlan=100))[:16], flags=1)
add("vlan_other", ping(vlan=7), flags=1)
add("qinq", eth(vlan=100) / Dot1Q(vlan=5) / IP(src=PE, dst=US) / ICMP(), flags=1)
add("empty", b"")
for n, b in cases.items():
    open(os.path.join(out, n), "wb").write(b)
print(len(cases), "files")
