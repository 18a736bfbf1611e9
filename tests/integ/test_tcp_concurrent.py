#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""1,000 kernel connections open at the same time, all exchanging data.

1. 1,000 connections to the echo service; each round-trips its first KiB
   and stays open until all 1,000 have (the client then prints
   ALL_ESTABLISHED): fanout holds >= 1,000 connections and service states;
2. then every connection sends the rest of its 32 KiB (a different slice
   of a random buffer each, so crossed data shows), half-closes, checks
   every byte echoed back and sees fanout's FIN: all 1,000 complete;
3. fanout's connections and service states go back to zero, every
   connection was accepted and freed once, no RST was sent or received,
   no segment was dropped as malformed, refused or for lack of mbufs.
"""

import os

import tcp_tools as tt
import fo_integ as fi

CONNS = 1000
BYTES = 32 * 1024


def main(t):
    ns = t.netns()
    fo = ns.start_fanout(conf=tt.tcp_conf())
    tt.smoke(ns)

    def idle():
        t_ = tt.tcp_info(fo)
        return t_ if t_["totals"]["conns"] == 0 and t_["services"]["in_use"] == 0 else None
    before = fi.wait_for(idle, 10, "fanout idle after the smoke test")["totals"]

    barrier = os.path.join(t.log_dir, "barrier")
    cl = tt.spawn_tool(ns, "concurrent", "concurrent", "--port", tt.ECHO_PORT, "--conns", CONNS,
                       "--bytes", BYTES, "--barrier-file", barrier, timeout=150)
    fi.wait_for(lambda: "ALL_ESTABLISHED" in cl.out() or cl.poll() is not None, 160,
                "the client's %d connections to be established" % CONNS)
    held = tt.tcp_info(fo)
    open(barrier, "w").close()
    res = tt.finish_tool(cl, 170)
    fi.log("while all were open: conns %d, services in use %d, established %d"
           % (held["totals"]["conns"], held["services"]["in_use"], held["totals"]["established"]))
    fi.check_eq(res["established_together"], CONNS, "connections open at the same time (client)")
    fi.check(res["ok"], "%d connections exchanging %d bytes each: %d done, %d failed %s (%s)"
             % (CONNS, BYTES, res["done"], res["failed"], res["fail_reasons"], res.get("error")))
    fi.check_ge(held["totals"]["conns"], CONNS, "fanout's connections while all were open")
    fi.check_ge(held["services"]["in_use"], CONNS, "echo states in use while all were open")

    after = fi.wait_for(idle, 30, "fanout's connections to be freed")["totals"]
    d = {k: after[k] - before[k] for k in after if isinstance(after[k], int)}
    fi.log("fanout tcp deltas: %s" % {k: v for k, v in d.items() if v})
    fi.check_eq(d["passive_opens"], CONNS, "connections accepted")
    fi.check_eq(d["established"], CONNS, "connections that reached ESTABLISHED")
    fi.check_eq(d["closed"], CONNS, "connections freed")
    fi.check_ge(d["bytes_rx"], CONNS * BYTES, "bytes received")
    fi.check_ge(d["bytes_tx"], CONNS * BYTES, "bytes sent")
    fi.check_eq(d["resets_tx"], 0, "RSTs fanout sent")
    fi.check_eq(d["resets_rx"], 0, "RSTs fanout received")
    # the tap's queue towards fanout overflows at times (fo0 tx_dropped):
    # retransmissions and duplicates are normal; these drops never are
    fi.log("fo0: %s; fanout tcp drops: %s" % (ns.link_stats(),
                                              {k: v for k, v in after["drop"].items() if v}))
    for k in tt.BAD_DROPS:
        fi.check_eq(after["drop"][k] - before["drop"][k], 0, "TCP drops %s" % k)
    fo.stop()


if __name__ == "__main__":
    fi.run(main)
