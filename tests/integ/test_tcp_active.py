#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""fanout's active open: the relay service to a kernel listener, 64 MiB
under loss, reordering and delay.

A Linux listener on the kernel side (198.18.0.2:9000, tcp_tools `server
--mode echo`) is the upstream of fanout's relay service (port 8080). A
kernel client uploads 64 MiB to the relay and reads the echo back at the
same time, so every byte crosses fanout's passive and active connections
in both directions, all under the impairment of test_tcp_transfer:

1. without impairment first: a short relay round trip works (clear
   failure when the active open does not);
2. 64 MiB: sha256 of what the client got back == what it sent, and the
   listener saw exactly those 64 MiB (its own sha256), on a connection
   from fanout's address;
3. fanout counted the active opens and relay connections, retransmitted
   and reordered, and lost no connection to a timeout.
"""

import tcp_tools as tt
import fo_integ as fi

SIZE = 64 << 20
TIMEOUT = 360


def main(t):
    ns = t.netns()
    fo = ns.start_fanout(conf=tt.tcp_conf())
    srv = tt.spawn_tool(ns, "upstream", "server", "--bind", fi.KERNEL_IP, "--port",
                        tt.UPSTREAM_PORT, "--mode", "echo", timeout=TIMEOUT + 120)
    fi.wait_for(lambda: "listening" in srv.out() or srv.poll() is not None, 10,
                "the upstream listener")
    fi.check(srv.poll() is None, "upstream listener exited: %s" % srv.err())
    tt.smoke(ns, tt.RELAY_PORT, "the relay service to a kernel listener")
    before = tt.tcp_totals(fo)
    svc0 = tt.tcp_info(fo)["services"]

    imp = tt.Impairment(ns, fi.FANOUT_IP)
    res = tt.run_tool(ns, "echo-client", "--port", tt.RELAY_PORT, "--bytes", SIZE, "--seed", 5,
                      timeout=TIMEOUT)
    fi.log("upstream connections: %s" % tt.server_results(srv))
    fi.log("services: %s" % tt.tcp_info(fo)["services"])
    fi.check(res["ok"], "64 MiB through the relay under impairment: %s (sent %d, received %d, "
             "eof %s)" % (res.get("error"), res["sent"], res["received"], res["eof"]))
    fi.check_eq(res["sha_recv"], res["sha_sent"], "sha256 of the 64 MiB echoed through the relay")

    conns = fi.wait_for(lambda: [c for c in tt.server_results(srv) if c["received"] == SIZE], 30,
                        "the listener's record of the 64 MiB connection")
    up = conns[-1]
    fi.log("upstream connection: %s" % up)
    fi.check(up["peer"].startswith(fi.FANOUT_IP + ":"), "upstream peer %s is fanout" % up["peer"])
    fi.check_eq(up["sha_recv"], res["sha_sent"], "sha256 of what the kernel listener received")
    fi.check_eq(up["sent"], SIZE, "bytes the kernel listener echoed")
    fi.check(up["error"] is None, "upstream connection error: %s" % up["error"])

    imp.check_active()
    after = tt.tcp_totals(fo)
    svc = tt.tcp_info(fo)["services"]
    d = {k: after[k] - before[k] for k in after if isinstance(after[k], int)}
    fi.log("fanout tcp deltas: %s" % {k: v for k, v in d.items() if v})
    fi.log("services: %s" % svc)
    fi.check_ge(d["active_opens"], 1, "active opens")
    fi.check_ge(svc["relay_connected"] - svc0["relay_connected"], 1, "relay upstream connections")
    fi.check_eq(svc["relay_connect_failed"] - svc0["relay_connect_failed"], 0,
                "relay upstream connections that failed")
    fi.check_ge(svc["relay_bytes"] - svc0["relay_bytes"], 2 * SIZE, "bytes relayed")
    fi.check_ge(d["bytes_rx"], 2 * SIZE, "in-order bytes fanout received (both connections)")
    fi.check_ge(d["retransmits"], 1, "fanout's retransmissions under 1% loss")
    fi.check_ge(d["ooo_queued"], 1, "segments fanout queued out of order")
    fi.check_eq(d["timeouts"], 0, "connections fanout dropped by timeout")
    imp.close()
    fo.stop()


if __name__ == "__main__":
    fi.run(main)
