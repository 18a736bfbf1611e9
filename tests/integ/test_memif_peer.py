#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""fanout survives its memif peer leaving while it polls, and serves again.

fanout is the memif server on both ports (tests/integ/loadgen_tools.py);
each cycle starts a fanout-loadgen (memif client), checks a bounded run
of keep-alive requests through fanout (every response OK: traffic flows
again after the reconnect), then starts a 60 s load and kills the
loadgen in the middle of it (SIGKILL and SIGTERM in turn), so that the
memif connection goes down while fanout's worker is busy polling both
ports. fanout must still be running after every disconnect; a last
loadgen is still served, then fanout stops cleanly, and its log shows
that the guard was on.

DPDK 22.11's net_memif tears a connection down on the EAL interrupt thread
(shared memory unmapped) without telling the application first; fanout
used to crash in the PMD's rx burst in about 3 % of such cycles (9 of 296
measured; 12 cycles are no proof, a longer loop with FO_MEMIF_CYCLES).
fanout now lets that thread run only while its workers are not polling a
memif port (app/fanout/intr_gate.c).
"""

import os
import random
import signal
import time

import fo_integ as fi
import loadgen_tools as lt

CYCLES = int(os.environ.get("FO_MEMIF_CYCLES", "12"))
REQUESTS = 300


def check_served(res, what):
    fi.check_eq(res["issued"], REQUESTS, what + ": requests started")
    fi.check_eq(res["ok"], REQUESTS, what + ": responses checked OK")
    fi.check_eq(res["errors"], 0, what + ": errors (%r)" % res["error_kinds"])


def runs(i):
    """A bounded run that must be served, then load until the loadgen is killed."""
    return [["-n", REQUESTS, "-c", "8", "--timeout", "10", "-t", "/test02/c%d" % i],
            ["-d", "60", "-c", "8", "--timeout", "10", "-t", "/test01/k%d" % i]]


def cycle(ns, fo, sock_dir, i, rng, kill=True):
    """One loadgen: its first run checked, then (kill) killed under load.
    Returns the signal used (None: none)."""
    lg = lt.Loadgen(ns, fo, sock_dir, runs(i))
    try:
        deadline = time.monotonic() + 60
        while not lg.parsed():
            if lg.proc.poll() is not None or not fo.running() or \
                    time.monotonic() > deadline:
                lg.proc.dump()
                raise fi.Failure("cycle %d: no report (loadgen exit %r, fanout exit %r)"
                                 % (i, lg.proc.poll(), fo.proc.poll()))
            time.sleep(0.05)
        check_served(lg.parsed()[0], "cycle %d" % i)
        if not kill:
            return None
        # the second run is loading fanout: disconnect in the middle of it
        time.sleep(rng.uniform(0.05, 0.4))
        sig = signal.SIGKILL if i % 2 == 0 else signal.SIGTERM
        lg.proc.signal(sig)
        fi.check(lg.proc.wait(15) is not None, "cycle %d: loadgen still running" % i)
        return sig
    finally:
        if lg.proc.poll() is None:
            lg.proc.close(fast=True)
        fi._remove_dpdk_files(lg.prefix)


def main(t):
    ns = t.netns()
    rng = random.Random(12)
    with lt.SockDir() as d:
        fo = lt.start_fanout(ns, d.path)
        for i in range(CYCLES):
            sig = cycle(ns, fo, d.path, i, rng)
            # the PMD's teardown follows the socket's close within milliseconds
            time.sleep(0.3)
            if not fo.running():
                fo.proc.dump()
                raise fi.Failure("fanout died (exit %r) after disconnect %d of %d (%s)"
                                 % (fo.proc.poll(), i + 1, CYCLES, signal.Signals(sig).name))
            st = fo.stats()
            fi.log("disconnect %d (%s): fanout alive, %d packets received so far"
                   % (i + 1, signal.Signals(sig).name, st["rx_pkts"]))
        # served once more after the last disconnect; then the usual order
        # (fanout stops first while the loadgen lingers)
        res, _ = lt.loadgen(ns, fo, d.path, [["-n", REQUESTS, "-c", "8", "--timeout", "10",
                                               "-t", "/test02/last"]])
        check_served(res[0], "after %d disconnects" % CYCLES)
        # the guard was on (not merely lucky): windows were opened, and its
        # hold let the ports be stopped and closed
        err = fo.proc.err()
        fi.check("net_memif: the EAL interrupt thread runs only while" in err,
                 "fanout did not install its interrupt thread gate")
        fi.check("interrupt thread windows" in err, "fanout's gate did not report at exit")


if __name__ == "__main__":
    fi.run(main)
