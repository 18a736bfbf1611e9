#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Two workers: connections spread over both, none broken by the hand-off.

fanout runs two workers (--lcores 0@0,1@0,2@1); net_tap gets one queue
pair per worker and the kernel picks the queue of each flow with its own
hash, which is not fanout's ownership hash: segments that reach the wrong
worker are handed to the owner over a ring. At the same time:

* 400 connections to the echo service, 32 KiB each way (all open at once);
* 8 downloads of 8 MiB from the source service (sha256 of the pattern);
* 100 connections through the relay service to a kernel echo listener
  (active opens: the local port encodes the owner);
* a 16 MiB echo upload.

Every transfer completes with the right bytes; both workers received and
sent segments and owned connections (per-worker /fanout/tcp), segments
were handed over (handoff_tx > 0) and every handed segment was received
by its owner (handoff_rx == handoff_tx, no tcp_handoff_full drop); all
connections are freed at the end (TIME_WAIT is 1 s here); the shutdown
statistics list both workers' TCP counters.
"""


import tcp_tools as tt
import fo_integ as fi

ECHO_CONNS = 400
RELAY_CONNS = 100
SOURCE = 8 << 20


def main(t):
    ns = t.netns()
    # fanout closes first on source and upstream connections: short TIME_WAIT
    fo = ns.start_fanout(conf=tt.tcp_conf(source_size="8m", tcp_block={"time_wait": "1s"}),
                         lcore_map="0@0,1@0,2@1")
    srv = tt.spawn_tool(ns, "upstream", "server", "--bind", fi.KERNEL_IP, "--port",
                        tt.UPSTREAM_PORT, "--mode", "echo", timeout=400)
    fi.wait_for(lambda: "listening" in srv.out() or srv.poll() is not None, 10,
                "the upstream listener")
    tt.smoke(ns)
    tt.smoke(ns, tt.RELAY_PORT, "the relay service to a kernel listener")
    s = fo.stats()
    fi.check_eq(s["n_workers"], 2, "n_workers")
    w0 = tt.tcp_info(fo)["workers"]

    procs = [
        tt.spawn_tool(ns, "echo-conns", "concurrent", "--port", tt.ECHO_PORT, "--conns",
                      ECHO_CONNS, "--bytes", "32k", "--seed", 1, timeout=200),
        tt.spawn_tool(ns, "relay-conns", "concurrent", "--port", tt.RELAY_PORT, "--conns",
                      RELAY_CONNS, "--bytes", "32k", "--seed", 2, timeout=200),
        tt.spawn_tool(ns, "echo-16m", "echo-client", "--port", tt.ECHO_PORT, "--bytes", "16m",
                      "--seed", 3, timeout=200),
    ]
    procs += [tt.spawn_tool(ns, "source-%d" % i, "source-client", "--port", tt.SOURCE_PORT,
                            "--expect", SOURCE, timeout=200) for i in range(8)]
    results = [(p.name, tt.finish_tool(p, 230)) for p in procs]
    bad = [(n, r.get("error"), r.get("fail_reasons")) for n, r in results if not r["ok"]]
    fi.check(not bad, "transfers with two workers failed: %s" % bad)

    last = {}

    def idle():
        i = tt.tcp_info(fo)
        last["conns"] = {k: w["conns"] for k, w in i["workers"].items()}
        return i if i["totals"]["conns"] == 0 else None
    try:
        info = fi.wait_for(idle, 30, "every connection to be freed (TIME_WAIT 1s)")
    except fi.Failure as e:
        raise fi.Failure("%s; connections per worker: %s" % (e, last.get("conns")))
    tot, ws = info["totals"], info["workers"]
    fi.log("workers: %s" % ws)
    fi.log("totals: %s" % {k: v for k, v in tot.items() if v and k != "drop"})
    fi.check_eq(sorted(ws), ["0", "1"], "workers in /fanout/tcp")
    for k in ("0", "1"):
        seg_rx = ws[k]["seg_rx"] - w0[k]["seg_rx"]
        seg_tx = ws[k]["seg_tx"] - w0[k]["seg_tx"]
        fi.check_ge(seg_rx, 1000, "segments worker %s received as owner" % k)
        fi.check_ge(seg_tx, 1000, "segments worker %s sent" % k)
    ho_tx = sum(ws[k]["handoff_tx"] for k in ws)
    ho_rx = sum(ws[k]["handoff_rx"] for k in ws)
    fi.check_ge(ho_tx, 1, "segments handed to the owning worker (handoff_tx)")
    fi.check_eq(tot["drop"]["tcp_handoff_full"], 0, "segments dropped: hand-off ring full")
    fi.check_eq(ho_rx, ho_tx, "handed-off segments received by their owner")
    fi.check_eq(tot["handoff_rx"], ho_rx, "handoff_rx: totals vs per worker")
    fi.check_ge(tot["active_opens"], RELAY_CONNS + 1, "active opens")
    fi.check_eq(tot["timeouts"], 0, "connections dropped by timeout")
    svc = info["services"]
    fi.check_eq(svc["relay_connect_failed"], 0, "relay upstream connections that failed")
    up = tt.server_results(srv)
    fi.check_ge(len([c for c in up if c["received"] == 32 * 1024 and c["error"] is None]),
                RELAY_CONNS, "upstream connections with all their 32 KiB")

    st = fo.stop()
    for k in ("worker0.tcp_handoff_tx", "worker1.tcp_handoff_tx", "worker0.tcp_segments",
              "worker1.tcp_segments"):
        fi.check(k in st, "shutdown statistics lack %s" % k)


if __name__ == "__main__":
    fi.run(main)
