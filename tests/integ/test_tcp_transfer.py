#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""64 MiB each way through fanout's TCP under loss, reordering and delay.

The kernel side of the tap gets 1% loss, 1% reordering and 5 ms +- 2 ms
delay in both directions (tc netem, or its NFQUEUE stand-in: see
tcp_tools.Impairment). Then, against the Linux TCP of the namespace:

1. upload 64 MiB to the echo service and read it back at the same time:
   sha256 of what came back == sha256 of what was sent;
2. download 64 MiB from the source service: sha256 == the documented
   pattern's (app/fanout/service.h);
3. the impairment really hit both directions, and fanout's counters show
   it coped: retransmissions, out-of-order segments queued, in-order bytes
   at least what was transferred; fanout exits 0 afterwards.
"""

import tcp_tools as tt
import fo_integ as fi

SIZE = 64 << 20
TIMEOUT = 300  # per transfer; ~30-60 s expected on 2 vCPUs


def main(t):
    ns = t.netns()
    fo = ns.start_fanout(conf=tt.tcp_conf(source_size="64m"))
    tt.smoke(ns)
    before = tt.tcp_totals(fo)
    imp = tt.Impairment(ns, fi.FANOUT_IP)

    up = tt.run_tool(ns, "echo-client", "--port", tt.ECHO_PORT, "--bytes", SIZE, "--seed", 3,
                     timeout=TIMEOUT)
    fi.check(up["ok"], "64 MiB through the echo service under impairment: %s "
             "(sent %d, received %d, eof %s)" % (up.get("error"), up["sent"], up["received"],
                                                 up["eof"]))
    fi.check_eq(up["sha_recv"], up["sha_sent"], "sha256 of the echoed 64 MiB")

    down = tt.run_tool(ns, "source-client", "--port", tt.SOURCE_PORT, "--expect", SIZE,
                       timeout=TIMEOUT)
    fi.check(down["ok"], "64 MiB from the source service under impairment: %s (received %d, "
             "eof %s)" % (down.get("error"), down["received"], down["eof"]))
    fi.check_eq(down["sha"], tt.source_sha256(SIZE), "sha256 of the downloaded 64 MiB")

    imp.check_active()
    after = tt.tcp_totals(fo)
    d = {k: after[k] - before[k] for k in after if isinstance(after[k], int)}
    fi.log("fanout tcp deltas: %s" % {k: v for k, v in d.items() if v})
    fi.log("fanout tcp drops: %s" % {k: v for k, v in after["drop"].items() if v})
    fi.check_ge(d["bytes_rx"], SIZE, "in-order bytes fanout received (bytes_rx)")
    fi.check_ge(d["bytes_tx"], 2 * SIZE, "bytes fanout sent, retransmissions excluded (bytes_tx)")
    fi.check_ge(d["retransmits"], 1, "fanout's retransmissions under 1% loss")
    fi.check_ge(d["ooo_queued"], 1, "segments fanout queued out of order under reordering")
    fi.check_ge(d["passive_opens"], 2, "connections accepted")
    fi.check_eq(d["timeouts"], 0, "connections fanout dropped by timeout")
    imp.close()
    fo.stop()


if __name__ == "__main__":
    fi.run(main)
