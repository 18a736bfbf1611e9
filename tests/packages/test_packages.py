#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Every external program the tests, the benchmarks and the scripts run
must come from a package scripts/bootstrap installs (scripts/packages.txt),
or from Debian's base. Fails naming each program that does not, where it
is used and the package it is in; prints how every program is provided.

A fresh Debian 12 machine has only what bootstrap installs: a program that
merely happens to be on the machine a test was written on (nft was, issue 8)
fails the test there, not here. This test makes it fail here.
No root, no namespaces: reads the sources and dpkg's database.
"""

import os
import sys

import programs

SRC_DIR = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
LIST = os.path.join(SRC_DIR, "scripts", "packages.txt")


def main():
    uses = programs.collect(SRC_DIR)
    listed = programs.read_package_list(LIST)
    problems, resolved = programs.check(uses, listed)

    # a collector that finds nothing would pass everything: each part of the
    # tree that runs programs must show some
    for area in ("tests/integ/", "tests/bench/", "scripts/"):
        if not any(u.file.startswith(area) for u in uses):
            problems.append(programs.Problem(None, "no program found in %s: the collector is "
                                             "broken (tests/packages/programs.py)" % area))

    by_prog = {}
    for u in uses:
        by_prog.setdefault(u.program, []).append(u)
    print("%d programs run by the tests, benchmarks and scripts (%d places), %d packages listed"
          % (len(by_prog), len(uses), len(listed)))
    for prog in sorted(by_prog):
        r = resolved.get(prog)
        print("  %-18s %-4d %s" % (prog, len(by_prog[prog]), r.why if r else "-- PROBLEM"))
    if problems:
        print()
        for p in problems:
            print("FAIL: " + p.text)
        print("%d problem(s); the package list is %s" % (len(problems), LIST))
        return 1
    print("ok: every program comes from a package in scripts/packages.txt or Debian's base")
    return 0


if __name__ == "__main__":
    sys.exit(main())
