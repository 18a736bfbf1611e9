#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Start, stop, start again; SIGTERM and SIGINT; more than one lcore.

1. start, ping, SIGTERM: exit 0 with statistics; the tap goes away
2. start again in the same namespace (a new tap), ping, SIGINT: exit 0
3. -l 0,1: the main lcore is the control thread, lcore 1 the one worker
4. --lcores 0@0,1@0,2@1: two workers; both poll, both appear in
   /fanout/stats, the neighbour learned by one is shared with the other;
   SIGTERM in the middle of a flood ping still exits 0 with statistics
"""

import signal
import fo_integ as fi


def ping_ok(ns, count=3):
    tx, rx, out = fi.ping(ns, count=count, interval=0.2)
    fi.check_eq((tx, rx), (count, count), "ping -c %d (transmitted, received)\n%s" % (count, out))


def tap_gone(ns):
    r = ns.run(["ip", "link", "show", "dev", fi.TAP], check_rc=False)
    return r.returncode != 0


def main(t):
    ns = t.netns()

    # 1 and 2: same namespace, twice, each signal once
    macs = []
    for round_, sig in ((1, signal.SIGTERM), (2, signal.SIGINT)):
        fi.log("round %d" % round_)
        fi.check(tap_gone(ns), "no %s before fanout starts (round %d)" % (fi.TAP, round_))
        fo = ns.start_fanout()
        macs.append(ns.link_mac())
        ping_ok(ns)
        s = fo.stats()
        fi.check_eq(s["icmp_echo_tx"], 3, "icmp_echo_tx in round %d (fresh counters)" % round_)
        fi.check_ge(s["arp_tx_gratuitous"], 1, "gratuitous ARP in round %d" % round_)
        st = fo.stop(sig=sig)
        fi.check_eq(st["icmp_echo_tx"], 3,
                    "shutdown statistics after %s" % signal.Signals(sig).name)
        fi.wait_for(lambda: tap_gone(ns), 10, "%s to disappear after fanout exited" % fi.TAP)
    fi.log("tap MACs: %s" % macs)

    # 3: -l 0,1 -> one worker on lcore 1, the main lcore is the control thread
    fo = ns.start_fanout(lcores="0,1")
    ping_ok(ns)
    s = fo.stats()
    fi.check_eq(s["n_workers"], 1, "n_workers with -l 0,1")
    fi.check_eq(sorted(s["workers"]), ["0"], "workers in /fanout/stats with -l 0,1")
    fi.check_eq(s["workers"]["0"]["lcore"], 1, "lcore of the worker with -l 0,1")
    fi.check_eq(s["icmp_echo_tx"], 3, "icmp_echo_tx with -l 0,1")
    fo.stop()

    # 4: two workers (lcores 1 and 2) on a 2-CPU machine: lcore 1 shares CPU 0
    # with the control thread, lcore 2 has CPU 1; --idle-sleep keeps them fair
    fo = ns.start_fanout(lcore_map="0@0,1@0,2@1")
    ping_ok(ns, count=5)
    tx, rx, out = fi.arping(ns, count=3)
    fi.check_eq((tx, rx), (3, 3), "arping with two workers\n" + out)

    def both_polling():
        s = fo.stats()
        w = s["workers"]
        return s if all(w[k]["loops"] > 0 and w[k]["idle_sleeps"] > 0 for k in w) else None

    s = fi.wait_for(both_polling, 5, "both workers to poll")
    fi.check_eq(s["n_workers"], 2, "n_workers with lcores 1 and 2")
    fi.check_eq(sorted(s["workers"]), ["0", "1"], "workers in /fanout/stats")
    fi.check_eq(sorted(w["lcore"] for w in s["workers"].values()), [1, 2], "worker lcores")
    fi.check_eq(s["icmp_echo_tx"], 5, "icmp_echo_tx with two workers")
    fi.check_ge(s["peer_rx"], 1, "neighbour updates shared between the workers (peer_rx)")
    fi.check_eq(s["drops_total"], 0, "drops_total with two workers")

    # SIGTERM while a flood ping runs (the ping is bounded by -c and -w)
    flood = ns.spawn(["ping", "-n", "-q", "-f", "-c", "100000", "-w", "15", fi.FANOUT_IP],
                     "flood-ping")

    def flooding():
        return fo.stats()["icmp_echo_tx"] > 500
    fi.wait_for(flooding, 10, "the flood ping to get going")
    st = fo.stop()
    fi.check_ge(st["icmp_echo_tx"], 500, "echo replies before the stop")
    fi.check_eq(sorted(k for k in st if k.endswith(".lcore")), ["worker0.lcore", "worker1.lcore"],
                "both workers in the shutdown statistics")
    flood.signal(signal.SIGINT)  # ping prints its summary and exits
    rc = flood.wait(10)
    fi.check(rc is not None, "flood ping ended after SIGINT")
    fi.log("flood ping: " + flood.out().strip().replace("\n", " | "))


if __name__ == "__main__":
    fi.run(main)
