#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Every external program the tests, the benchmarks and the scripts run,
and every Python module they import, must come from a package
scripts/bootstrap installs (scripts/packages.txt), one those depend on, or
Debian's base. Fails naming each one that does not, where it is used and
the package it is in; prints how every one is provided.

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


def report(title, uses, resolved):
    by_name = {}
    for u in uses:
        by_name.setdefault(u.program, []).append(u)
    print("%s: %d, in %d places" % (title, len(by_name), len(uses)))
    for name in sorted(by_name):
        r = resolved.get(name)
        print("  %-18s %-4d %s" % (name, len(by_name[name]), r.why if r else "-- PROBLEM"))


def main():
    listed = programs.read_package_list(LIST)
    print("%d packages in %s" % (len(listed), LIST))

    uses = programs.collect(SRC_DIR)
    problems, resolved = programs.check(uses, listed)
    report("programs run by the tests, benchmarks and scripts", uses, resolved)

    imports = programs.collect_imports(SRC_DIR)
    paths = programs.module_paths({u.program for u in imports})
    more, resolved = programs.check(imports, listed, locate=paths.get, kind="python module ")
    problems += [p for p in more if p.program is not None]  # the list's own problems: once
    report("python modules they import (%s)" % programs.PYTHON, imports, resolved)

    # a collector that finds nothing would pass everything: each part of the
    # tree that runs programs must show some
    for area in ("tests/integ/", "tests/bench/", "scripts/"):
        if not any(u.file.startswith(area) for u in uses):
            problems.append(programs.Problem(None, "no program found in %s: the collector is "
                                             "broken (tests/packages/programs.py)" % area))
    if problems:
        print()
        for p in problems:
            print("FAIL: " + p.text)
        print("%d problem(s); the package list is %s" % (len(problems), LIST))
        return 1
    print("ok: every program and module comes from a package in scripts/packages.txt, "
          "one they depend on, or Debian's base")
    return 0


if __name__ == "__main__":
    sys.exit(main())
