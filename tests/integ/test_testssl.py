#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""testssl.sh (Debian's) against fanout's TLS listener in a namespace.

fanout terminates TLS on 198.18.0.1:443 for a.test (an ECDSA P-256 leaf
signed by a CA the test makes with the openssl CLI, given to testssl with
--add-ca) in front of testapp, with the config a Kubernetes user gets:
`fanoutctl import` of a kubernetes.io/tls Secret and an Ingress whose
spec.tls names it (the certificate written to --tls-dir). testssl runs the sections that judge the
TLS settings, not the whole default run (which takes ~10 minutes here):
protocols (-p), ciphers per protocol (-E), forward secrecy (-f), server
defaults (-S, certificate and ticket), server preference (-P) and the
vulnerability checks (-U), its findings written with --jsonfile.

Asserted on the JSON findings:
 1. no finding of severity HIGH or CRITICAL, none whose text says
    "VULNERABLE" (not "not vulnerable") or "NOT ok" -- in the JSON and in
    the text testssl prints (where it says "NOT ok" of findings the JSON
    rates LOW, e.g. a certificate serial shorter than 64 bits);
 2. only TLS 1.2 and TLS 1.3 offered (SSLv2, SSLv3, TLS 1.0, 1.1 "not
    offered");
 3. every cipher offered (cipher-tls1_2_*, cipher-tls1_3_*) has an
    ephemeral key exchange (ECDH or DH; TLS 1.3 suites always do), and
    the forward-secrecy finding says it is offered;
 4. fanout counted handshakes and no bad record or crash: it answers a
    curl --cacert afterwards and exits 0.
The human-readable summary testssl prints is copied into this test's log.

The leaf carries a CRL distribution point (never fetched: testssl runs
without --phone-out) because testssl rates a certificate with neither CRL
nor OCSP URI "HIGH", and a 128-bit random serial (a short one is "NOT ok"):
both are about the test's certificate, not fanout.
"""

import base64
import json
import os
import re
import time

import fo_integ as fi
import http_tools as ht

APP_IP = "198.18.0.31"
HOST = "a.test"
TESTSSL = "/usr/bin/testssl"
# sections: protocols, ciphers per protocol, forward secrecy, server defaults,
# server preference, vulnerabilities
SECTIONS = ["-p", "-E", "-f", "-S", "-P", "-U"]
TESTSSL_TIMEOUT = 420

BASE = """# written by tests/integ/test_testssl.py
interface net_tap0 {
    address 198.18.0.1/24;
}
listen 198.18.0.1:80;
listen 198.18.0.1:443 tls;
"""

# testapp as a Kubernetes Service with one endpoint, an Ingress for a.test
# whose spec.tls names the Secret a-tls (the certificate, base64)
MANIFESTS = """apiVersion: v1
kind: Service
metadata: {{name: testapp, namespace: web}}
spec:
  ports: [{{name: http, port: 80, targetPort: 8000}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {{name: testapp-1, namespace: web, labels: {{kubernetes.io/service-name: testapp}}}}
addressType: IPv4
ports: [{{name: http, port: 8000, protocol: TCP}}]
endpoints:
- addresses: [198.18.0.31]
  conditions: {{ready: true}}
---
apiVersion: v1
kind: Secret
metadata: {{name: a-tls, namespace: web}}
type: kubernetes.io/tls
data:
  tls.crt: {crt}
  tls.key: {key}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: a, namespace: web}}
spec:
  ingressClassName: nginx
  tls:
  - hosts: [a.test]
    secretName: a-tls
  rules:
  - host: a.test
    http:
      paths:
      - {{path: /, pathType: Prefix, backend: {{service: {{name: testapp, port: {{number: 80}}}}}}}}
"""


def make_certs(d):
    fi.sh(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
           "-nodes", "-keyout", d + "/ca.key", "-out", d + "/ca.pem", "-days", "400",
           "-subj", "/CN=fanout-testssl-ca", "-addext", "basicConstraints=critical,CA:TRUE",
           "-addext", "keyUsage=critical,keyCertSign,cRLSign"], timeout=30)
    with open(d + "/a.ext", "w") as f:
        f.write("subjectAltName=DNS:%s\n"
                "basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature\n"
                "extendedKeyUsage=serverAuth\n"
                "crlDistributionPoints=URI:http://198.18.0.99/ca.crl\n" % HOST)
    fi.sh(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
           "-keyout", d + "/a.key", "-out", d + "/a.csr", "-subj", "/CN=" + HOST], timeout=30)
    fi.sh(["openssl", "x509", "-req", "-in", d + "/a.csr", "-CA", d + "/ca.pem", "-CAkey",
           d + "/ca.key", "-set_serial", "0x" + os.urandom(16).hex(), "-days", "300", "-out", d + "/a.pem",
           "-extfile", d + "/a.ext"], timeout=30)


def bad_finding(f):
    """Why a testssl finding is a failure, or None."""
    sev = f.get("severity", "")
    text = f.get("finding", "")
    if sev in ("HIGH", "CRITICAL"):
        return "severity " + sev
    if re.search(r"(?<!not )\bVULNERABLE\b", text, re.I) and \
            not re.search(r"not vulnerable", text, re.I):
        return "says VULNERABLE"
    if "NOT ok" in text:
        return "says NOT ok"
    return None


def check_text(out):
    """The printed report: no line says NOT ok or VULNERABLE (uppercase: a finding)."""
    bad = [ln.strip() for ln in out.split("\n")
           if "NOT ok" in ln or re.search(r"\bVULNERABLE\b", ln)]
    fi.check_eq(bad, [], "report lines saying NOT ok or VULNERABLE")


def check_findings(findings):
    byid = {}
    for f in findings:
        byid.setdefault(f.get("id", ""), []).append(f)
    fi.check(len(findings) > 50, "testssl wrote findings (%d)" % len(findings))
    # 1. nothing rated bad
    bad = [(f.get("id"), f.get("severity"), f.get("finding"), why)
           for f in findings for why in [bad_finding(f)] if why]
    for b in bad:
        fi.log("bad finding: %s" % (b,))
    for f in findings:
        if f.get("severity") not in ("OK", "INFO"):
            fi.log("finding rated %s: %s: %s" % (f.get("severity"), f.get("id"),
                                                f.get("finding")))
    fi.check_eq(bad, [], "findings rated HIGH/CRITICAL, VULNERABLE or NOT ok")
    fi.check("scanProblem" not in byid,
             "testssl reported no scan problem (%s)" % byid.get("scanProblem"))
    # 2. protocols
    want = {"SSLv2": "not offered", "SSLv3": "not offered", "TLS1": "not offered",
            "TLS1_1": "not offered", "TLS1_2": "offered", "TLS1_3": "offered"}
    for pid, w in want.items():
        got = [f["finding"] for f in byid.get(pid, [])]
        fi.check(len(got) == 1 and (got[0] == w or got[0].startswith(w + " ")),
                 "protocol %s: %r (want %r)" % (pid, got, w))
    # 3. forward secrecy for every suite offered
    suites = [f for f in findings if re.match(r"cipher-tls1_[23]_x", f.get("id", ""))]
    fi.check(len(suites) >= 3, "ciphers per protocol listed (%d)" % len(suites))
    for f in suites:
        fields = f["finding"].split()
        # "TLSv1.2   xc02b   ECDHE-ECDSA-AES128-GCM-SHA256 ECDH 253   AESGCM ..."
        kx = fields[3] if len(fields) > 3 else ""
        fi.check(f["id"].startswith("cipher-tls1_3") or kx.startswith(("ECDH", "DH")),
                 "forward secrecy for %s (%s)" % (f["id"], f["finding"]))
        fi.check(not f["id"].startswith(("cipher-tls1_x", "cipher-tls1_1", "cipher-ssl")),
                 "no suite of an old protocol (%s)" % f["id"])
    fs = [f["finding"] for f in byid.get("FS", byid.get("PFS", []))]
    fi.check(len(fs) == 1 and fs[0].startswith("offered"), "forward secrecy offered (%r)" % fs)
    for pid in ("FS_ciphers", "PFS_ciphers"):
        for f in byid.get(pid, []):
            fi.log("%s: %s" % (pid, f["finding"]))
    return byid


def main(t):
    d = t.log_dir
    make_certs(d)
    base = os.path.join(d, "base.conf")
    with open(base, "w") as f:
        f.write(BASE)
    manifests = os.path.join(d, "manifests.yaml")
    with open(manifests, "w") as f:
        f.write(MANIFESTS.format(
            crt=base64.b64encode(open(d + "/a.pem", "rb").read()).decode(),
            key=base64.b64encode(open(d + "/a.key", "rb").read()).decode()))
    conf = os.path.join(d, "testssl.conf")
    r = fi.sh([fi.FANOUTCTL, "import", "--strict", "--base", base, "--tls-dir",
               os.path.join(d, "tls"), "-o", conf, manifests], check_rc=False)
    fi.check_eq(r.returncode, 0, "fanoutctl import (%s)" % r.stderr)
    fi.check('tls_certificate "%s/tls/web_a-tls.crt" "%s/tls/web_a-tls.key";' % (d, d)
             in open(conf).read(), "the imported config names the Secret's files")
    r = fi.sh([fi.FANOUT, "-c", conf, "--check"], check_rc=False)
    fi.check_eq(r.returncode, 0, "fanout --check (%s)" % r.stderr)
    ns = t.netns()
    ht.start_backends(ns, "testapp", [APP_IP])
    fo = ns.start_fanout(conf=conf)
    ht.http_ready(ns, fi.FANOUT_IP, 80, path="/who")
    jf = os.path.join(d, "testssl.json")
    argv = [TESTSSL, "--quiet", "--color", "0", "--warnings", "off", "--nodns", "none",
            "--ip", fi.FANOUT_IP, "--add-ca", d + "/ca.pem", "--connect-timeout", "10",
            "--openssl-timeout", "10", "--jsonfile", jf] + SECTIONS + [HOST + ":443"]
    fi.log("running: %s" % " ".join(argv))
    t0 = time.monotonic()
    r = ns.run(argv, timeout=TESTSSL_TIMEOUT, check_rc=False)
    took = time.monotonic() - t0
    fi.log("testssl took %.0f s, exit status %d; its summary:" % (took, r.returncode))
    print(r.stdout, flush=True)
    if r.stderr.strip():
        fi.log("testssl stderr: %s" % r.stderr.strip()[-2000:])
    fi.check(os.path.exists(jf), "testssl wrote %s" % jf)
    with open(jf) as f:
        findings = json.load(f)
    check_findings(findings)
    check_text(r.stdout)
    ps = fo.stats()["proxy"]
    fi.log("proxy counters: %s" % {k: v for k, v in ps.items()
                                   if not isinstance(v, dict) and v and k.startswith("tls")})
    fi.check_ge(ps["tls_handshakes"], 20, "handshakes counted")
    # fanout still serves a verified client after the scan
    r = ht.curl(ns, "https://%s/who" % HOST, "--resolve", "%s:443:%s" % (HOST, fi.FANOUT_IP),
                "--cacert", d + "/ca.pem")
    fi.check_eq(r.returncode, 0, "curl --cacert after the scan (%s)" % r.stderr)
    fi.wait_for(lambda: fo.stats()["proxy"]["sessions"] == 0, 30, "every session to end")
    st = fo.stop()
    fi.check_eq(st["proxy.sessions"], 0, "sessions at exit")


fi.run(main)
