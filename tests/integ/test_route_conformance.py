#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Routing conformance: the tables of tests/integ/conformance/ (cases after
the public Ingress, Gateway API and ingress-nginx suites) run through
fanout in front of the echo upstreams (tests/backends/echo.py: each
service answers with the request it received).

One fanout; each group's routes are loaded with `fanoutctl reload` (every
config has the same upstreams: one per service any table names), then its
cases are sent over raw sockets (the "tls" ones to the :443 tls listener,
whose self-signed certificate for foo.bar.com must verify). Every case whose features fanout has
(conformance.FEATURES) must pass; the others are counted per missing
feature and printed ("N pass, M unsupported: ..."), never run.
"""

import json
import re
import ssl
import sys

import fo_integ as fi
import http_tools as ht
from conformance import FEATURES, KNOWN, unmet
from conformance import gateway_httproute, ingress_conformance, ingress_nginx

PORT = 80
SUITES = [("ingress-controller-conformance", ingress_conformance.GROUPS),
          ("gateway-api", gateway_httproute.GROUPS),
          ("ingress-nginx", ingress_nginx.GROUPS)]


def services():
    """Every upstream a group's routes name, in a stable order."""
    names = set()
    for _, groups in SUITES:
        for g in groups:
            names.update(re.findall(r"\bupstream\s+([\w.-]+)\s*;", g["routes"]))
    return sorted(names)


SERVICES = services()
ADDR = {n: "198.18.0.%d" % (150 + i) for i, n in enumerate(SERVICES)}

BASE = """# written by tests/integ/test_route_conformance.py: %s
interface net_tap0 {
    address 198.18.0.1/24;
}
listen 198.18.0.1:80;
listen 198.18.0.1:443 tls;
tls_certificate %s/tls.pem %s/tls.key;
ssl_redirect off;
""" + "".join("upstream %s { server %s:8000; }\n" % (n, ADDR[n]) for n in SERVICES)


CERT_DIR = None  # set by main(): where the certificate of the "tls" cases is
TLS_NAMES = ("foo.bar.com",)


def make_cert(d):
    """A self-signed ECDSA certificate for TLS_NAMES, the trust anchor of the tls cases."""
    fi.sh(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
           "-nodes", "-keyout", d + "/tls.key", "-out", d + "/tls.pem", "-days", "2",
           "-subj", "/CN=" + TLS_NAMES[0],
           "-addext", "subjectAltName=" + ",".join("DNS:" + n for n in TLS_NAMES)], timeout=30)


def config(g):
    return BASE % (g["name"], CERT_DIR, CERT_DIR) + g["routes"]


def send(ns, c, host):
    head = "%s %s HTTP/1.1\r\n" % (c["method"], c["path"])
    if host is not None:
        head += "Host: %s\r\n" % host
    for k, v in c["headers"]:
        head += "%s: %s\r\n" % (k, v)
    head += "Connection: close\r\n\r\n"
    tls = "tls" in c["needs"]
    with ht.HttpConn(ns, fi.FANOUT_IP, 443 if tls else PORT, timeout=10) as conn:
        if tls:  # the certificate must verify for the host (icc: "secure connection")
            ctx = ssl.create_default_context(cafile=CERT_DIR + "/tls.pem")
            conn.s = ctx.wrap_socket(conn.s, server_hostname=host)
        conn.send(head.encode("latin-1"))
        return conn.read_response(method=c["method"])


def check_case(ns, g, c):
    """None if the case passes, else what went wrong."""
    host = c["host"] if c["host"] is not None else g["host"]
    r = send(ns, c, host)
    got = {}
    for k, v in r.headers:
        got[k.lower()] = v if k.lower() not in got else got[k.lower()] + "," + v
    for k, v in c["resp_headers"].items():
        if got.get(k.lower()) != v:
            return "response header %s: %r, want %r" % (k, got.get(k.lower()), v)
    for k in c["resp_absent"]:
        if k.lower() in got:
            return "response header %s present, want it removed" % k
    if c["status"] is not None:
        if r.status != c["status"]:
            return "status %d, want %d (%r)" % (r.status, c["status"], r.body[:200])
        if c["location"] is not None and r.header("Location") != c["location"]:
            return "Location %r, want %r" % (r.header("Location"), c["location"])
        return None
    if r.status != 200 or r.header("Content-Type") != "application/json":
        return "status %d, want service %s (%r)" % (r.status, c["service"], r.body[:200])
    doc = json.loads(r.body)
    if doc["service"] != c["service"]:
        return "served by %s, want %s (target %r)" % (doc["service"], c["service"], doc["target"])
    if c["method"] != "HEAD" and doc["method"] != c["method"]:
        return "upstream saw method %s" % doc["method"]
    if c["fwd"] is not None and doc["target"] != c["fwd"]:
        return "upstream saw %r, want %r" % (doc["target"], c["fwd"])
    if c["seen_host"] is not None and doc["host"] != c["seen_host"]:
        return "upstream saw Host %r, want %r" % (doc["host"], c["seen_host"])
    seen = {}
    for k, v in doc["headers"]:
        seen[k.lower()] = v if k.lower() not in seen else seen[k.lower()] + "," + v
    for k, v in c["req_headers"].items():
        if seen.get(k.lower()) != v:
            return "upstream saw %s: %r, want %r" % (k, seen.get(k.lower()), v)
    for k in c["absent"]:
        if k.lower() in seen:
            return "upstream saw %s, want it removed" % k
    return None


def main(t):
    global CERT_DIR
    CERT_DIR = t.log_dir
    make_cert(CERT_DIR)
    for n in FEATURES:
        fi.check(n in KNOWN, "FEATURES names an unknown feature %r" % n)
    ns = t.netns()
    ht.start_echo(ns, {ip: n for n, ip in ADDR.items()})
    # the echo itself, as the cases read it: service, target, a response field on demand
    with ht.HttpConn(ns, ADDR["infra-backend-v1"], ht.BACKEND_PORT, timeout=10) as conn:
        conn.send(b"GET /a%2Fb?q HTTP/1.1\r\nHost: h\r\nX-Echo-Response-Header: X-B: 1\r\n"
                  b"Connection: close\r\n\r\n")
        r = conn.read_response()
        doc = json.loads(r.body)
        fi.check_eq((doc["service"], doc["target"], doc["host"], r.header("X-B")),
                    ("infra-backend-v1", "/a%2Fb?q", "h", "1"), "the echo's answer")
    first = None
    passed, failed, unsupported = [], [], {}
    for suite, groups in SUITES:
        for g in groups:
            runnable = []
            for c in g["cases"]:
                missing = unmet(g["needs"] + c["needs"])
                if missing:
                    for n in missing:
                        unsupported[n] = unsupported.get(n, 0) + 1
                    continue
                runnable.append(c)
            if not runnable:
                continue
            if first is None:
                first = ns.start_fanout(conf=config(g))
            else:
                with open(first.conf_path, "w") as f:
                    f.write(fi.nic_conf(first.nic, config(g)))
                r = fi.fanoutctl(first.prefix, "reload")
                fi.check_eq(r.returncode, 0, "fanoutctl reload for group %r (stdout %r, "
                            "stderr %r)" % (g["name"], r.stdout, r.stderr))
            for c in runnable:
                why = check_case(ns, g, c)
                label = "%s / %s / %s" % (suite, g["name"], c["name"])
                if why is None:
                    passed.append(label)
                else:
                    failed.append("%s: %s" % (label, why))
                    fi.log("FAIL %s: %s (source %s)" % (label, why, g["source"]))
    n_unsup = sum(1 for _, gs in SUITES for g in gs for c in g["cases"]
                  if unmet(g["needs"] + c["needs"]))
    fi.log("conformance: %d cases, %d pass, %d fail, %d unsupported: %s"
           % (len(passed) + len(failed) + n_unsup, len(passed), len(failed), n_unsup,
              ", ".join("%s %d" % kv for kv in sorted(unsupported.items(),
                                                         key=lambda kv: (-kv[1], kv[0])))))
    for _, groups in SUITES:
        for g in groups:
            counts = {}
            for c in g["cases"]:
                k = "unsupported" if unmet(g["needs"] + c["needs"]) else "run"
                counts[k] = counts.get(k, 0) + 1
            fi.log("  %-50s %s" % (g["name"], counts))
    fi.check(not failed, "%d conformance cases failed:\n  %s" % (len(failed),
                                                                 "\n  ".join(failed)))
    fi.check_ge(len(passed), 1, "cases run")
    n_tls = sum(1 for _, gs in SUITES for g in gs for c in g["cases"]
                if "tls" in g["needs"] + c["needs"])
    fi.check_eq(first.stats()["proxy"]["tls_handshakes"], n_tls, "TLS handshakes (tls cases)")
    fi.wait_for(lambda: first.stats()["proxy"]["sessions"] == 0, 15, "every session to end")
    st = first.stop()
    fi.check_eq(st["proxy.sessions"], 0, "sessions in use at exit")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--list":
        for suite, groups in SUITES:
            for g in groups:
                for c in g["cases"]:
                    print("%s | %s | %s | needs %s" % (suite, g["name"], c["name"],
                                                       unmet(g["needs"] + c["needs"])))
        sys.exit(0)
    fi.run(main)
