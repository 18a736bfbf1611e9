#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The collector and the check of tests/packages/programs.py on a small
synthetic tree: every way the real tests build a command line, shell
constructs that are and are not commands, and programs missing from the
package list (nft without nftables, as in issue 8; cowsay, in no package
the list installs)."""

import os
import re
import sys
import tempfile

import programs

SRC_DIR = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

# Shaped like tests/integ/fo_integ.py and tcp_tools.py. A line where programs
# must be found ends with "# <- program, ..." ("<-@N" for line N), one that
# imports modules with "# <-import module, ...": the expected results are read
# from the files themselves.
HELPERS = '''\
import subprocess  # <-import subprocess

PYTHON = "/usr/bin/python3"


def sh(argv, timeout=30):
    return subprocess.run(argv, capture_output=True, timeout=timeout)


class Netns:
    def __init__(self, name):
        self.name = name

    def argv(self, argv):
        return ["ip", "netns", "exec", self.name] + list(argv)  # <- ip

    def run(self, argv):
        return sh(self.argv(argv))

    def launch(self, argv, name):  # not called run/sh/spawn: found through its parameter
        return subprocess.Popen(self.argv(argv))


def tool_argv(cmd, *args):
    return [PYTHON, "tools.py", cmd] + [str(a) for a in args]  # <- /usr/bin/python3
'''

TEST = '''\
#!/usr/bin/python3
# the #! line runs python3 <-@1 /usr/bin/python3
import subprocess  # <-import subprocess
import fake_helpers as h
from scapy.all import IP  # <-import scapy
import websockets.client, fo_no_such_module  # <-import websockets, fo_no_such_module
from . import sibling

NFT = "nft"
HEADERS = ["Content-Type", "text/plain"]


def main(ns, cpus):
    ns.run([NFT, "add table inet fo_it; add chain inet fo_it in"])  # <- nft
    argv = ["cowsay", "moo"]  # <- cowsay
    ns.launch(argv, "cow")
    pin = ["taskset", "-c", cpus] if cpus else []  # <- taskset
    ns.run(pin + ["wrk", "-t1", "http://198.18.0.1/"])  # <- wrk
    h.sh(["setpriv", "--reuid=65534", "sh", "-c", "tc qdisc; ethtool -k lo | grep tso"])  # <- setpriv, sh, tc, ethtool, grep
    ns.launch(h.tool_argv("server", "--port", 1), "server")
    subprocess.run("curl -s http://198.18.0.1/ && echo ok", shell=True)  # <- curl
    h.sh(["timeout", "-s", "KILL", "5", "setpriv", "--reuid", "65534", "id", "-u"])  # <- timeout, setpriv, id
    ns.run(["build/app/fanout", "--check"])
    ns.run([h.PYTHON, "-c", "print(1)"])  # <- /usr/bin/python3
    names = ["trio1", "trio2"]
    for n in names + HEADERS:
        print(n)
'''

SCRIPT = '''\
#!/usr/bin/env bash
# the #! line runs env and bash <-@1 /usr/bin/env, bash
# rm -rf / in a comment runs nothing
set -euo pipefail
say() { printf '%s\\n' "$*"; }
tools=(nice -n 5)
ns=fo-x
case "${1:-}" in
--check) check=1 ;;
frobnicate) exit 2 ;;
esac
if [ "$(id -u)" -ne 0 ]; then say "must be root"; fi  # <- id
out=$(timeout 5 ip netns exec "$ns" "${tools[@]}" curl -s http://x/ | head -c 10) || true  # <- timeout, ip, curl, head
for f in a b c; do sort "$f" >/dev/null 2>&1; done  # <- sort
cat <<EOF >/dev/null  # <- cat
not-a-program here
sudo cowsay in a here-document
EOF
[[ -n $out ]] && jq . <<<"$out"  # <- jq
VAR=1 nslookup example.test 2>/dev/null  # <- nslookup
"$here/scripts/bootstrap" --no-build
scripts/bootstrap
echo "nothing to see; frob it" >&2
while read -r line; do
	: "$line"
done < <(find . -name '*.c')  # <- find
n=$((3 + $(nproc)))  # <- nproc
'''

FILES = {
    "tests/integ/fake_helpers.py": HELPERS,
    "tests/integ/test_fake.py": TEST,
    "scripts/fake": SCRIPT,
}


def expected(files, tag=""):
    """{(name, file, line)} from the "# <-TAG a, b" marks."""
    out = set()
    for rel, text in files.items():
        for n, line in enumerate(text.splitlines(), 1):
            m = re.search(r"<-%s(@\d+)? (.*)$" % tag, line)
            if m:
                at = int(m.group(1)[1:]) if m.group(1) else n
                out |= {(p.strip(), rel, at) for p in m.group(2).split(",")}
    return out


failures = []


def check(cond, what):
    print("%s: %s" % ("ok" if cond else "FAIL", what))
    if not cond:
        failures.append(what)


def main():
    listed = programs.read_package_list(os.path.join(SRC_DIR, "scripts", "packages.txt"))
    check("nftables" in listed, "scripts/packages.txt lists nftables")
    with tempfile.TemporaryDirectory(prefix="fo-packages-") as tmp:
        for rel, text in FILES.items():
            os.makedirs(os.path.dirname(os.path.join(tmp, rel)), exist_ok=True)
            with open(os.path.join(tmp, rel), "w") as f:
                f.write(text)
        uses = programs.collect(tmp)
        imports = programs.collect_imports(tmp)

    got = {(u.program, u.file, u.line) for u in uses}
    want = expected(FILES)
    for p, f, n in sorted(want - got):
        check(False, "%s found at %s:%d" % (p, f, n))
    for p, f, n in sorted(got - want):
        check(False, "%s at %s:%d is not a program run there" % (p, f, n))
    check(got == want, "the collector finds exactly the %d marked uses" % len(want))

    # the list as it is: nft is provided, cowsay (and the tools no test of
    # the project uses) are not
    problems, resolved = programs.check(uses, listed)
    named = {p.program for p in problems}
    for p in problems:
        print("   " + p.text)
    check("nft" in resolved and resolved["nft"].why == "nftables (listed)",
          "nft: from nftables, listed")
    check("cowsay" in named, "cowsay is reported")
    cowsay_at = "%s:%d" % next((f, n) for p, f, n in want if p == "cowsay")
    check(any(p.program == "cowsay" and cowsay_at in p.text for p in problems),
          "the report names where cowsay is used (%s)" % cowsay_at)
    for prog in ("ip", "tc", "curl", "wrk", "grep", "/usr/bin/python3", "taskset", "setpriv"):
        check(prog in resolved, "%s is provided (%s)" % (prog, resolved[prog].why
                                                         if prog in resolved else "not"))
    check(named <= {"cowsay", "jq", "nslookup"},
          "nothing else is reported (%s)" % ", ".join(sorted(named)))

    # issue 8: without nftables in the list, the check fails naming nft
    without = [p for p in listed if p != "nftables"]
    problems, resolved = programs.check(uses, without)
    nft = [p for p in problems if p.program == "nft"]
    for p in nft:
        print("   " + p.text)
    nft_at = "%s:%d" % next((f, n) for p, f, n in want if p == "nft")
    check(len(nft) == 1 and "nftables" in nft[0].text and nft_at in nft[0].text,
          "without nftables listed: nft reported, with its package and where it is used")

    # imports: the tree's own modules and relative imports left out
    got = {(u.program, u.file, u.line) for u in imports}
    want = expected(FILES, "import")
    for p, f, n in sorted(want ^ got):
        check(False, "import of %s at %s:%d %s" % (p, f, n, "missed" if p in want else "not one"))
    check(got == want, "the collector finds exactly the %d marked imports" % len(want))
    problems, resolved = programs.check(imports, listed, locate=programs.module_paths(
        {u.program for u in imports}).get, kind="python module ")
    for p in problems:
        print("   " + p.text)
    check({p.program for p in problems} == {"fo_no_such_module"},
          "python module fo_no_such_module reported, and no other")
    check(resolved.get("scapy") and resolved["scapy"].why == "python3-scapy (listed)",
          "python module scapy: from python3-scapy, listed")
    check("subprocess" in resolved, "python module subprocess: from the standard library (%s)"
          % (resolved["subprocess"].why if "subprocess" in resolved else "not"))
    without = [p for p in listed if p != "python3-websockets"]
    problems, _ = programs.check(imports, without, locate=programs.module_paths(
        {u.program for u in imports}).get, kind="python module ")
    check(any(p.program == "websockets" and "python3-websockets" in p.text for p in problems),
          "without python3-websockets listed: python module websockets reported")

    # a listed package that does not exist is reported too
    problems, _ = programs.check([], listed + ["no-such-package-fo"])
    check(any(p.program is None and "no-such-package-fo" in p.text for p in problems),
          "a listed package that is not installed is reported")

    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
