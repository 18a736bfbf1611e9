#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Listeners changed by live reload: the first TLS listener, a plain one removed and back.

fanout on net_tap in a namespace starts with one plain listener
(198.18.0.1:80) in front of a testapp backend (198.18.0.31:8000) and no
TLS at all. Then, each by `fanoutctl reload`:

 1. `listen 198.18.0.1:443 tls;` and a certificate for a.test (openssl
    makes a CA and the leaf here) added: the reload is applied (it says
    "listeners" and publishes TLS certificates); curl https://a.test/who
    (verified against the CA) is served; plain http still is;
 2. the plain listener removed: a new connection to :80 is refused (curl
    exit 7, "Couldn't connect"; fanout counts the RST in
    tcp.drop.tcp_no_listener) while a keep-alive connection opened on :80
    before the reload (python socket) still gets its next requests served;
    https goes on;
 3. the plain listener back: curl http and https both served; the old
    keep-alive connection too;
 4. `/fanout/tcp` lists the served config's listeners; proxy.listen_changes
    counted every listener opened or closed; fanout exits 0 with no
    session left.
"""

import os
import subprocess

import fo_integ as fi
import http_tools as ht

APP_IP = "198.18.0.31"

CONF = """# written by tests/integ/test_listen_reload.py ({tag})
interface net_tap0 {{
    address 198.18.0.1/24;
}}
{listens}
upstream app {{
    server 198.18.0.31:8000;
}}
route prefix / {{
    upstream app;
    rewrite /who;
}}
"""
PLAIN = "listen 198.18.0.1:80;\n"


def tls_listen(d):
    return "listen 198.18.0.1:443 tls;\ntls_certificate {d}/a.pem {d}/a.key;\n".format(d=d)


def make_cert(d):
    fi.sh(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
           "-nodes", "-keyout", d + "/ca.key", "-out", d + "/ca.pem", "-days", "2",
           "-subj", "/CN=fanout-test-ca", "-addext", "basicConstraints=critical,CA:TRUE",
           "-addext", "keyUsage=keyCertSign"], timeout=30)
    with open(d + "/a.ext", "w") as f:
        f.write("subjectAltName=DNS:a.test\n")
    fi.sh(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
           "-keyout", d + "/a.key", "-out", d + "/a.csr", "-subj", "/CN=a.test"], timeout=30)
    fi.sh(["openssl", "x509", "-req", "-in", d + "/a.csr", "-CA", d + "/ca.pem", "-CAkey",
           d + "/ca.key", "-set_serial", "77", "-days", "1", "-out", d + "/a.pem",
           "-extfile", d + "/a.ext"], timeout=30)


def reload(fo, tag, listens):
    with open(fo.conf_path, "w") as f:
        f.write(fi.nic_conf(fo.nic, CONF.format(tag=tag, listens=listens)))
    r = fi.fanoutctl(fo.prefix, "reload")
    fi.check_eq(r.returncode, 0, "fanoutctl reload (%s): stdout %r, stderr %r"
                % (tag, r.stdout, r.stderr))
    fi.check("listeners" in r.stdout, "the reload (%s) says listeners changed: %r"
             % (tag, r.stdout))
    fi.log("reload (%s): %s" % (tag, r.stdout.strip()))
    return r


def curl(ns, url, d, **kw):
    return ns.run(["curl", "-sS", "--max-time", "5", "--cacert", d + "/ca.pem", "--resolve",
                   "a.test:443:" + fi.FANOUT_IP, "-o", "-", "-w", "\n%{http_code}", url],
                  check_rc=False, **kw)


def served(ns, url, d, what):
    r = curl(ns, url, d)
    fi.check(r.returncode == 0 and r.stdout.endswith("\n200") and "testapp" in r.stdout,
             "%s: curl %s (exit %d, %r, %r)" % (what, url, r.returncode, r.stdout, r.stderr))


def who(c):
    c.send(ht.request("GET", "/x", host="plain.test"))  # a.test: 308 to https
    r = c.read_response()
    return r.status


def tcp_drops(fo):
    return fo.query("/fanout/tcp")["totals"]["drop"]["tcp_no_listener"]


def main(t):
    d = t.log_dir
    make_cert(d)
    ns = t.netns()
    ht.start_backends(ns, "testapp", [APP_IP])
    fo = ns.start_fanout(CONF.format(tag="start: plain only", listens=PLAIN))
    fi.wait_for(lambda: ht.tcp_ready(ns, fi.FANOUT_IP, 80), 10, "fanout's plain listener")
    served(ns, "http://%s/x" % fi.FANOUT_IP, d, "plain at start")
    r = curl(ns, "https://a.test/x", d)
    fi.check_eq(r.returncode, 7, "https before any TLS listener: refused (%r)" % r.stderr)
    before = fo.stats()["proxy"]

    # 1. the first TLS listener, in a fanout started without TLS state
    r = reload(fo, "tls added", PLAIN + tls_listen(d))
    fi.check("TLS certificates: generation" in r.stdout, "the reload built TLS: %r" % r.stdout)
    fi.wait_for(lambda: ht.tcp_ready(ns, fi.FANOUT_IP, 443), 10, "the new TLS listener")
    served(ns, "https://a.test/x", d, "https on the listener added live")
    served(ns, "http://%s/x" % fi.FANOUT_IP, d, "plain next to it")
    certs = fi.fanoutctl(fo.prefix, "certs")
    fi.check(certs.returncode == 0 and "a.test" in certs.stdout,
             "fanoutctl certs lists a.test: %r" % certs.stdout)

    # 2. the plain listener removed: new connections refused, an established one served
    ka = ht.HttpConn(ns, fi.FANOUT_IP, 80, timeout=10.0)
    fi.check_eq(who(ka), 200, "keep-alive request before the plain listener goes")
    rst0 = tcp_drops(fo)
    reload(fo, "plain removed", tls_listen(d))
    fi.wait_for(lambda: not ht.tcp_ready(ns, fi.FANOUT_IP, 80), 10,
                "the plain listener to refuse connections")
    r = curl(ns, "http://%s/x" % fi.FANOUT_IP, d)
    fi.check_eq(r.returncode, 7, "curl to the removed listener: refused (%r %r)"
                % (r.stdout, r.stderr))
    fi.check("Couldn't connect" in r.stderr or "Connection refused" in r.stderr,
             "curl says it could not connect: %r" % r.stderr)
    fi.check_ge(tcp_drops(fo), rst0 + 2, "tcp.drop.tcp_no_listener (the refused SYNs)")
    fi.check_eq(who(ka), 200, "the keep-alive connection on the removed listener, after")
    fi.check_eq(who(ka), 200, "and again")
    served(ns, "https://a.test/x", d, "https while the plain listener is gone")

    # 3. back
    reload(fo, "plain back", PLAIN + tls_listen(d))
    fi.wait_for(lambda: ht.tcp_ready(ns, fi.FANOUT_IP, 80), 10, "the plain listener back")
    served(ns, "http://%s/x" % fi.FANOUT_IP, d, "plain again")
    served(ns, "https://a.test/x", d, "https still")
    fi.check_eq(who(ka), 200, "the old keep-alive connection, after the listener came back")
    ka.close()

    # 4. what fanout shows and counted
    lis = fo.query("/fanout/tcp")["listeners"]
    ports = sorted(v["port"] for v in lis.values())
    fi.check_eq(ports, [80, 443], "/fanout/tcp listeners of the served config")
    after = fo.stats()["proxy"]
    ps = {k: v - before[k] for k, v in after.items() if isinstance(v, int) and k in before}
    fi.log("proxy counters during the reloads: %s" % {k: v for k, v in ps.items() if v})
    # one worker: 443 opened, 80 closed, 80 opened
    fi.check_eq(ps["listen_changes"], 3, "proxy.listen_changes")
    fi.check_eq(ps["listen_failed"], 0, "proxy.listen_failed")
    fi.check_eq(ps["tls_refused_noconf"], 0, "proxy.tls_refused_noconf")
    fi.check_eq(ps["responses_5xx"], 0, "proxy.responses_5xx")
    fi.wait_for(lambda: fo.stats()["proxy"]["sessions"] == 0, 15, "every session to end")
    st = fo.stop()
    fi.check_eq(st["proxy.sessions"], 0, "sessions at exit")


fi.run(main)
