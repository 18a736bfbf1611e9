#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A SYN flood of >= 100,000 SYNs while a transfer runs.

fanout: max_half_open 256, syn_cookies auto (cookies once the half-open
table is full), SYN_RECEIVED given up after 2 SYN-ACK retransmissions
(rto_initial 250ms) so that the half-open table drains within seconds.

The flood comes from 198.18.0.128/26 with random source ports (an
AF_PACKET socket on fo0, tcp_tools synflood); the kernel side answers
fanout's ARP for those addresses and silently drops what fanout sends
them (tcp_tools.flood_sink), like spoofed sources would.

1. a warm-up flood of 10,000 SYNs, so that first-touch memory is counted
   before the baseline; then the baseline (RSS, connections);
2. an echo transfer starts (rate-capped, runs until told to stop);
3. the flood: until >= 100,000 SYNs have left fo0 towards fanout (tx drops
   of the tap subtracted); meanwhile new echo connections keep being made
   and must all complete (they can only get in with a SYN cookie: the
   table is full); fanout's half-open and connection gauges are sampled
   and must stay within max_half_open;
4. the transfer is stopped: sha256 of the echo equals what was sent;
5. fanout received every SYN that left fo0 (rx counter), sent SYN cookies,
   accepted cookie connections, dropped no SYN for lack of room; its
   half-open and connection gauges return to the baseline, and its memory
   (VmRSS + hugetlb) did not grow by more than 8 MiB; it still exits 0.
"""

import os
import time

import tcp_tools as tt
import fo_integ as fi

FLOOD = 100000
MAX_HALF_OPEN = 256
RSS_SLACK_KB = 8 * 1024


def flood(ns, src_mac, dst_mac, count, name, seed, rate):
    return tt.spawn_tool(ns, name, "synflood", "--src-mac", src_mac, "--dst-mac", dst_mac,
                         "--dport", tt.ECHO_PORT, "--count", count, "--max-send",
                         int(count * 1.5) + 4096, "--rate", rate, "--seed", seed, timeout=90)


def main(t):
    ns = t.netns()
    fo = ns.start_fanout(conf=tt.tcp_conf(tcp_block={
        "max_half_open": MAX_HALF_OPEN, "syn_cookies": "auto", "syn_retries": 2,
        "rto_initial": "250ms"}))
    tt.flood_sink(ns)
    tt.smoke(ns)
    fo_mac = ns.neigh(fi.FANOUT_IP)["lladdr"]
    k_mac = ns.link_mac()
    fi.log("flood: %s -> %s (fanout %s)" % (k_mac, fo_mac, tt.FLOOD_RANGE))

    def settled():
        tot = tt.tcp_totals(fo)
        return tot if tot["half_open"] == 0 and tot["conns"] == 0 else None

    # 1. warm-up, then the baseline
    w = tt.finish_tool(flood(ns, k_mac, fo_mac, 10000, "warmup", 7, 40000), 100)
    fi.check(w["ok"], "warm-up flood: %s" % w.get("error"))
    fi.wait_for(settled, 30, "fanout's half-open connections of the warm-up to expire")
    rss0 = tt.fanout_rss_kb(fo)
    net0 = fo.stats()
    tcp0 = tt.tcp_totals(fo)
    fi.log("baseline: rss %d KiB, tcp conns %d, half_open %d" % (rss0, tcp0["conns"],
                                                                 tcp0["half_open"]))

    # 2. the transfer
    stop = os.path.join(t.log_dir, "stop-transfer")
    xfer = tt.spawn_tool(ns, "transfer", "echo-client", "--port", tt.ECHO_PORT, "--rate", "2m",
                         "--stop-file", stop, "--seed", 11, timeout=150)
    fi.wait_for(lambda: tt.tcp_totals(fo)["bytes_rx"] - tcp0["bytes_rx"] > 256 * 1024, 20,
                "the transfer to get going")

    # 3. the flood, with new connections and gauge samples meanwhile
    fl = flood(ns, k_mac, fo_mac, FLOOD, "synflood", 8, 40000)
    max_half, max_conns, new_conns = 0, 0, []
    while fl.poll() is None:
        tot = tt.tcp_totals(fo)
        max_half = max(max_half, tot["half_open"])
        max_conns = max(max_conns, tot["conns"])
        if len(new_conns) < 20:
            r = tt.run_tool(ns, "echo-client", "--port", tt.ECHO_PORT, "--bytes", "64k",
                            "--seed", 100 + len(new_conns), timeout=30)
            new_conns.append(r)
        else:
            time.sleep(0.2)
    fl_res = tt.finish_tool(fl, 10)
    during = tt.tcp_totals(fo)
    fi.log("during the flood: max half_open %d, max conns %d, %d new connections"
           % (max_half, max_conns, len(new_conns)))

    # 4. stop the transfer
    open(stop, "w").close()
    x = tt.finish_tool(xfer, 120)
    fi.check(x["ok"], "echo transfer through the flood: %s (sent %d, received %d, eof %s)"
             % (x.get("error"), x["sent"], x["received"], x["eof"]))
    fi.check_eq(x["sha_recv"], x["sha_sent"], "sha256 of the transfer's echo")
    fi.check(fl_res["ok"], "flood: %s" % fl_res.get("error"))
    fi.check_ge(fl_res["delivered"], FLOOD, "SYNs that left fo0 towards fanout")
    fi.check(new_conns, "no new connection was tried while the flood ran")
    bad = [r for r in new_conns if not r["ok"]]
    fi.check(not bad, "%d of %d new connections during the flood failed: %s"
             % (len(bad), len(new_conns), [r.get("error") for r in bad]))

    # 5. counters, gauges, memory
    net1 = fo.stats()
    d = {k: during[k] - tcp0[k] for k in during if isinstance(during[k], int)}
    fi.log("fanout tcp deltas: %s" % {k: v for k, v in d.items() if v})
    fi.log("fanout tcp drops: %s" % {k: v for k, v in during["drop"].items() if v})
    sink = tt.flood_sink_packets(ns)
    fi.log("SYN-ACKs that reached the flood's sources: %d" % sink)
    fi.check_ge(net1["rx_pkts"] - net0["rx_pkts"], fl_res["delivered"],
                "frames fanout received during the flood (rx_pkts)")
    fi.check_ge(d["syncookies_sent"], 1, "SYN cookies sent")
    fi.check_ge(d["syncookies_ok"], 1, "connections established from a SYN cookie")
    fi.check_eq(during["drop"]["tcp_syn_overflow"] - tcp0["drop"]["tcp_syn_overflow"], 0,
                "SYNs dropped for lack of room with syn_cookies auto")
    fi.check_ge(sink, 1, "SYN-ACKs that reached the flood's sources")
    fi.check(max_half <= MAX_HALF_OPEN, "half-open connections %d exceed max_half_open %d"
             % (max_half, MAX_HALF_OPEN))
    fi.check(max_conns <= MAX_HALF_OPEN + 4, "connections %d during the flood: the flood's SYNs "
             "must cost at most max_half_open (%d) states" % (max_conns, MAX_HALF_OPEN))
    after = fi.wait_for(settled, 30, "fanout's half-open connections to expire after the flood")
    rss1 = tt.fanout_rss_kb(fo)
    fi.log("after: rss %d KiB (%+d), conns %d, half_open %d, timeouts %d"
           % (rss1, rss1 - rss0, after["conns"], after["half_open"],
              after["timeouts"] - tcp0["timeouts"]))
    fi.check(rss1 - rss0 <= RSS_SLACK_KB, "fanout's memory grew by %d KiB during the flood"
             % (rss1 - rss0))
    fi.check(fo.running(), "fanout still running")
    tx, rx, out = fi.ping(ns, count=2, interval=0.2)
    fi.check_eq(rx, tx, "ping after the flood\n" + out)
    fo.stop()


if __name__ == "__main__":
    fi.run(main)
