#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""fanout's own instructions per proxied keep-alive request (callgrind).

rdtsc cycles move between these VMs; instruction counts do not. This runs
build/tests/bench/bench_proxy (the in-process wire: client, fanout and
origins in one process, no NIC, no kernel) twice under
`valgrind --tool=callgrind --toggle-collect=wire_profiled_round`, which
counts the fanout host's rounds only (tests/unit/wire.h: the profiled host's
rounds run in a function of their own), with N and 3N requests; the
difference over 2N requests is the cost of one request, start-up and
warm-up cancelled out. Prints the total, the cost per library and the top
functions (self cost), and merges them into results.json (key
"instructions").

    proxy_instr.py [--requests N] [--conns C] [--top K] [--json PATH] [--build DIR]

Not a test: nothing passes or fails on the numbers.
"""

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_common as rc  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
LINE = re.compile(r"^\s*([\d,]+)\s+\([^)]*\)\s+(\S+?):(\S+)")


def profile(bench, n, conns, out):
    """Self instructions per (file, function) of the fanout host's rounds."""
    cmd = ["valgrind", "--tool=callgrind", "--toggle-collect=wire_profiled_round",
           "--callgrind-out-file=" + out, bench, "proxy", str(n), str(conns)]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=1800)
    if r.returncode != 0:
        sys.exit("proxy_instr: %s failed (%d):\n%s" % (" ".join(cmd), r.returncode,
                                                       r.stderr[-2000:]))
    # every request the fanout host proxied, warm-up included (callgrind
    # counts all of its rounds; "proxy: N requests" counts the timed ones)
    served = re.search(r"\((?:\d+) bad, (\d+) reached", r.stdout)
    if served is None:
        sys.exit("proxy_instr: bench_proxy printed no request count:\n" + r.stdout)
    total = re.search(r"Collected : (\d+)", r.stderr)
    if total is None:
        sys.exit("proxy_instr: valgrind printed no total:\n" + r.stderr[-2000:])
    ann = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", "--auto=no",
                          out],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                         timeout=600).stdout
    cost = collections.Counter()
    for line in ann.splitlines():
        m = LINE.match(line)
        if m is None or m.group(2) == "PROGRAM TOTALS":
            continue
        fn = m.group(3).split(" ")[0]
        cost[(m.group(2), fn)] += int(m.group(1).replace(",", ""))
    return cost, int(total.group(1)), int(served.group(1))


def component(path):
    """Where a cost belongs: lib/<name>, DPDK's inline headers, libc, the test wire."""
    if "/gcc/" in path and "/include/" in path:
        return "compiler intrinsics (SIMD)"
    if "/dpdk/" in path:
        return "DPDK inlines (mbuf, mempool)"
    m = re.search(r"(?:^|/)lib/([a-z0-9_]+)/", path)
    if m and not path.startswith("/usr/"):
        return "lib/" + m.group(1)
    if "/tests/" in path:
        return "test wire"
    return "libc and other"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=1000,
                   help="N: runs of N and 3N requests (default 1000)")
    p.add_argument("--conns", type=int, default=16, help="client connections (default 16)")
    p.add_argument("--top", type=int, default=12, help="functions listed (default 12)")
    p.add_argument("--build", default=os.environ.get("FO_BUILD_DIR") or
                   os.path.join(ROOT, "build"))
    rc.add_json_arg(p)
    a = p.parse_args()
    if not 100 <= a.requests <= 100000 or not 1 <= a.conns <= 1024:
        p.error("--requests 100..100000, --conns 1..1024")
    bench = os.path.join(a.build, "tests", "bench", "bench_proxy")
    if not os.access(bench, os.X_OK):
        sys.exit("proxy_instr: %s not built" % bench)
    with tempfile.TemporaryDirectory(prefix="fo-instr-") as tmp:
        small, t1, n1 = profile(bench, a.requests, a.conns, os.path.join(tmp, "a.out"))
        large, t3, n3 = profile(bench, 3 * a.requests, a.conns, os.path.join(tmp, "b.out"))
    reqs = n3 - n1
    if reqs <= 0:
        sys.exit("proxy_instr: request counts %d and %d" % (n1, n3))
    per = {k: (large[k] - small[k]) / reqs for k in set(small) | set(large)}
    total = (t3 - t1) / reqs
    byfn = collections.Counter()
    bycomp = collections.Counter()
    for (path, fn), v in per.items():
        byfn[fn] += v
        bycomp[component(path)] += v
    top = [(fn, v) for fn, v in byfn.most_common(a.top)]
    print("fanout host, instructions per proxied keep-alive request (callgrind, "
          "bench_proxy proxy %d/%d %d, difference over %d requests): %.0f"
          % (a.requests, 3 * a.requests, a.conns, reqs, total))
    print("\n| component | instructions/request | share |\n|---|---|---|")
    for c, v in bycomp.most_common():
        if v >= 0.5:
            print("| %s | %.0f | %.1f %% |" % (c, v, 100 * v / total))
    print("\n| function (self) | instructions/request | share |\n|---|---|---|")
    for fn, v in top:
        print("| `%s` | %.0f | %.1f %% |" % (fn, v, 100 * v / total))
    rc.merge_json(a.json, "instructions", {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "requests": reqs, "conns": a.conns, "per_request": round(total),
        "components": {c: round(v) for c, v in bycomp.most_common() if v >= 0.5},
        "top": [{"function": fn, "per_request": round(v)} for fn, v in top],
    })
    print("\nresults: %s (key \"instructions\")" % os.path.normpath(a.json))


if __name__ == "__main__":
    main()
