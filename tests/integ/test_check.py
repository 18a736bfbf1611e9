#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""fanout --check: the seed config is ok; a broken one gets every error at
its exact file:line:col; a missing file and bad usage fail clearly.

Needs no namespace; `--check` must not need root, EAL or hugepages, so when
run as root the checks run again as nobody (setpriv).
"""

import os
import shutil
import subprocess
import tempfile

import fo_integ as fi

SEED = os.path.join(fi.SRC_DIR, "config", "fanout.conf")

BROKEN = """\
# broken on purpose: tests/integ/test_check.py expects each error below
interface net_tap0 {
    address 198.18.0.1/24;
    gateway 198.18.0.999;
}
frobnicate yes;
listen 198.18.0.1:80;
upstream django {
    server 198.18.0.11:8000 weight=0;
    server 198.18.0.12:99999;
}
route regex "/test01(/|$)(.*" {
    upstream nope;
}
route prefix /a {
    upstream django;
    colour blue;
}
include "routes.d/*.conf";
"""

INCLUDED = """\
route exact /b {
    upstream flask;
}
"""

# (file, line, col, words the message must contain)
EXPECTED = [
    ("broken.conf", 4, 13, ["198.18.0.999"]),        # bad address: at the value
    ("broken.conf", 6, 1, ["frobnicate"]),           # unknown directive
    ("broken.conf", 9, 36, ["weight"]),              # weight=0: at the number
    ("broken.conf", 10, 24, ["99999"]),              # port out of range: at the port
    ("broken.conf", 12, 29, ["regex"]),              # PCRE2 error offset (end of pattern)
    ("broken.conf", 13, 14, ["nope"]),               # undefined upstream: at the name
    ("broken.conf", 17, 5, ["colour"]),              # unknown directive in a route block
    ("routes.d/10-more.conf", 2, 14, ["flask"]),     # error in an included file
]


def fanout(args, user=None, timeout=20):
    argv = [fi.FANOUT] + args
    if user is not None:
        argv = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user, "--clear-groups"] + argv
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise fi.Failure("%s: no exit within %d s" % (" ".join(argv), timeout))
    fi.log("%s -> exit %d" % (" ".join(argv), r.returncode))
    return r


def check_seed(user):
    prefix = "fo-it-check-%d" % os.getpid()
    r = fanout(["--file-prefix", prefix, "--", "-c", SEED, "--check"], user)
    fi.check_eq(r.returncode, 0,
                "exit code of --check on config/fanout.conf (stderr: %s)" % r.stderr)
    fi.check_eq(r.stdout.strip().splitlines(), ["%s: ok" % SEED], "stdout of --check")
    fi.check_eq(r.stderr.strip(), "", "stderr of --check on a valid config")
    fi.check(not os.path.exists(os.path.join(fi.DPDK_RUN_DIR, prefix)),
             "--check must not initialise EAL (found %s/%s)" % (fi.DPDK_RUN_DIR, prefix))


def check_broken(d, user):
    path = os.path.join(d, "broken.conf")
    r = fanout(["--", "-c", path, "--check"], user)
    fi.check_eq(r.returncode, 1, "exit code of --check on a broken config")
    fi.check_eq(r.stdout.strip(), "", "stdout of --check on a broken config")
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    missing = []
    for f, line, col, words in EXPECTED:
        head = "%s:%d:%d: " % (os.path.join(d, f), line, col)
        hit = [l for l in lines if l.startswith(head) and
               all(w.lower() in l.lower() for w in words)]
        if not hit:
            missing.append("%s... %s" % (head, words))
    fi.check(not missing, "errors not reported as expected:\n  %s\nstderr was:\n%s"
             % ("\n  ".join(missing), r.stderr))
    fi.check_eq(len(lines), len(EXPECTED), "number of error lines (no cascades, no noise); "
                "stderr:\n" + r.stderr)
    for l in lines:
        fi.check(l.startswith(d + "/") and l.count(":") >= 3, "not file:line:col: message: " + l)


def check_missing(d, user):
    path = os.path.join(d, "does-not-exist.conf")
    r = fanout(["--", "-c", path, "--check"], user)
    fi.check_eq(r.returncode, 1, "exit code of --check on a missing file")
    fi.check(path in r.stderr and "no such file" in r.stderr.lower(),
             "missing file error names the file and the reason: %r" % r.stderr)


def check_usage(user):
    cases = [
        (["--", "--check"], "-c"),                                  # no config
        (["--", "-c", SEED, "--check", "--bogus"], "bogus"),        # unknown option
        (["--", "-c"], "-c"),                                       # -c without its file
        (["--", "-c", SEED, "--idle-sleep", "soon"], "idle-sleep"),  # bad number
        (["--", "-c", SEED, "--check", "extra"], "extra"),          # stray argument
    ]
    for args, word in cases:
        r = fanout(args, user)
        fi.check_eq(r.returncode, 2, "exit code of bad usage %s (stderr: %s)" % (args, r.stderr))
        fi.check(word in r.stderr and "usage" in r.stderr.lower(),
                 "bad usage %s: stderr should name %r and show the usage: %r"
                 % (args, word, r.stderr))
    r = fanout(["--", "--help"], user)
    fi.check_eq(r.returncode, 0, "exit code of --help")
    fi.check("usage" in r.stdout.lower(), "--help prints the usage on stdout")


def main(t):
    fi.check(os.access(fi.FANOUT, os.X_OK), "%s not built" % fi.FANOUT)
    d = tempfile.mkdtemp(prefix="fo-it-check-")
    try:
        os.chmod(d, 0o755)
        os.makedirs(os.path.join(d, "routes.d"))
        with open(os.path.join(d, "broken.conf"), "w") as f:
            f.write(BROKEN)
        with open(os.path.join(d, "routes.d", "10-more.conf"), "w") as f:
            f.write(INCLUDED)
        for p in (d, os.path.join(d, "routes.d")):
            os.chmod(p, 0o755)
        users = [None]
        if os.geteuid() == 0 and shutil.which("setpriv"):
            # nobody: --check needs no privilege (when nobody can reach the
            # binary: a checkout under /root is out of its reach)
            r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                "sh", "-c", 'test -x "$0" && test -r "$1"', fi.FANOUT, SEED],
                               timeout=10)
            if r.returncode == 0:
                users.append(65534)
            else:
                fi.log("not re-running as nobody: it cannot reach %s or %s" % (fi.FANOUT, SEED))
        for user in users:
            check_seed(user)
            check_broken(d, user)
            check_missing(d, user)
            check_usage(user)
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    fi.run(main, need_root=False)
