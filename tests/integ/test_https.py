#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""TLS at the edge: fanout terminates HTTPS (`listen ... tls;`) in front of a
testapp backend, checked with curl and `openssl s_client`.

Certificates are made by the test with the openssl CLI: a CA, a leaf for
a.test and one for *.w.test (ECDSA P-256). fanout listens on 198.18.0.1:80
and :443 tls; routes: /.well-known/ (ssl_redirect off) and / to testapp
(198.18.0.31).

Checked:
 1. fanout --check refuses a key that does not match its certificate and a
    missing file, with "file: message";
 2. exact (a.test) and wildcard (x.w.test) names: curl --resolve --cacert
    verifies the certificate; the backend sees X-Forwarded-Proto: https and
    X-Forwarded-Port: 443; the response carries HSTS
    (max-age=31536000; includeSubDomains); plain responses do not;
 3. an unknown name gets the self-signed default (curl --cacert refuses it,
    s_client shows its subject), counted handshakes;
 4. plain HTTP for a.test gets 308 to https://a.test/... (query kept); not
    on the ssl_redirect off route, nor for a host without a certificate but
    on the force_ssl_redirect route (proxied there over https);
 5. a Host naming the other certificate than the SNI: 421;
 6. 10 MiB up and down over TLS: lengths and sha256 as the backend computed;
 7. openssl s_client -tls1 / -tls1_1: refused by fanout (protocol alert),
    counted as failed handshakes; TLS 1.2 works; ALPN: http/1.1 chosen from
    "h2,http/1.1", an "h2"-only offer refused (no_application_protocol);
 8. resumption: -sess_out then -sess_in -> "Reused", counted;
 9. two workers (fanout restarted): a ticket issued by one worker resumes on
    the other (up to 24 tries until the kernel's queue choice lands there);
10. strict_sni on (fanout restarted): an unknown name is refused
    (unrecognized_name), a known one works;
11. every session ends, fanout exits 0.
"""

import hashlib
import json
import os

import fo_integ as fi
import http_tools as ht
import tcp_tools as tt

APP_IP = "198.18.0.31"
MIB = 1 << 20
BODY = 10 * MIB  # both ways over TLS

CONF = """# written by tests/integ/test_https.py
interface net_tap0 {{
    address 198.18.0.1/24;
}}
listen 198.18.0.1:80;
listen 198.18.0.1:443 tls;
tls_certificate {d}/a.pem {d}/a.key;
tls_certificate {d}/w.pem {d}/w.key;
{extra}
upstream app {{
    server 198.18.0.31:8000;
}}
route prefix /.well-known/ {{
    upstream app;
    ssl_redirect off;
}}
route prefix /force/ {{
    upstream app;
    force_ssl_redirect on;
}}
route prefix / {{
    upstream app;
    client_max_body_size 16m;
}}
"""


def make_certs(d):
    fi.sh(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", d + "/ca.key", "-out", d + "/ca.pem", "-days", "2",
        "-subj", "/CN=fanout-test-ca", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=keyCertSign"], timeout=30)
    for name, san, serial in (("a", "DNS:a.test", "1001"), ("w", "DNS:*.w.test", "1002")):
        with open("%s/%s.ext" % (d, name), "w") as f:
            f.write("subjectAltName=%s\n" % san)
        fi.sh(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "%s/%s.key" % (d, name), "-out", "%s/%s.csr" % (d, name),
            "-subj", "/CN=%s" % san[4:]], timeout=30)
        fi.sh(["openssl", "x509", "-req", "-in", "%s/%s.csr" % (d, name), "-CA", d + "/ca.pem",
            "-CAkey", d + "/ca.key", "-set_serial", serial, "-days", "1",
            "-out", "%s/%s.pem" % (d, name), "-extfile", "%s/%s.ext" % (d, name)],
            timeout=30)


def write_conf(d, extra=""):
    path = os.path.join(d, "https%s.conf" % ("-strict" if extra else ""))
    with open(path, "w") as f:
        f.write(CONF.format(d=d, extra=extra))
    return path


def check_refuses_bad_certs(d):
    bad = os.path.join(d, "bad.conf")
    with open(bad, "w") as f:
        f.write("interface net_tap0 { address 198.18.0.1/24; }\n"
                "listen 198.18.0.1:443 tls;\n"
                "tls_certificate %s/a.pem %s/w.key;\n"
                "tls_certificate %s/none.pem %s/a.key;\n" % (d, d, d, d))
    r = fi.sh([fi.FANOUT, "-c", bad, "--check"], check_rc=False)
    fi.check_eq(r.returncode, 1, "fanout --check with bad certificates")
    fi.check("%s/w.key: private key does not match the certificate of %s/a.pem" % (d, d)
             in r.stderr, "key mismatch reported as file: message (%r)" % r.stderr)
    fi.check("%s/none.pem: cannot open" % d in r.stderr,
             "missing file reported (%r)" % r.stderr)


def pstats(fo):
    return fo.stats()["proxy"]


def https(ns, d, host, path, *args, port=443):
    """curl https://host/path resolved to fanout, verified against the test CA."""
    return ht.curl(ns, "https://%s%s" % (host, path), "--resolve",
                   "%s:%d:%s" % (host, port, fi.FANOUT_IP), "--cacert", d + "/ca.pem", *args)


def headers_of(out):
    """curl -D - output: the last response's head as (status, {lower name: value})."""
    heads = [h for h in out.replace("\r\n", "\n").split("\n\n") if h.startswith("HTTP/")]
    lines = heads[-1].split("\n")
    hdrs = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return int(lines[0].split()[1]), hdrs


def names_and_headers(ns, d):
    for host in ("a.test", "x.w.test"):
        r = https(ns, d, host, "/echo-headers?n=1", "-D", "-")
        fi.check_eq(r.returncode, 0, "curl https://%s (%s)" % (host, r.stderr))
        head, _, body = r.stdout.replace("\r\n", "\n").partition("\n\n")
        status, hdrs = headers_of(head)
        fi.check_eq(status, 200, "status for %s" % host)
        fi.check_eq(hdrs.get("strict-transport-security"),
                    "max-age=31536000; includeSubDomains", "HSTS for %s" % host)
        try:
            seen = {k.lower(): v for k, v in json.loads(body)["headers"]}
        except ValueError:
            raise fi.Failure("/echo-headers over TLS: not JSON: %r" % r.stdout[:2000])
        fi.check_eq(seen.get("x-forwarded-proto"), "https", "X-Forwarded-Proto (%s)" % host)
        fi.check_eq(seen.get("x-forwarded-port"), "443", "X-Forwarded-Port (%s)" % host)
        fi.check_eq(seen.get("host"), host, "Host (%s)" % host)
    # a plain response has no HSTS
    r = ht.curl(ns, "http://other.test/who", "--resolve", "other.test:80:" + fi.FANOUT_IP,
                "-D", "-")
    status, hdrs = headers_of(r.stdout.replace("\r\n", "\n").partition("\n\n")[0])
    fi.check_eq(status, 200, "plain request for a host without a certificate")
    fi.check("strict-transport-security" not in hdrs, "no HSTS over plain HTTP")


def unknown_name(ns, d, fo):
    before = pstats(fo)["tls_handshakes"]
    r = https(ns, d, "unknown.test", "/who")
    fi.check_eq(r.returncode, 60, "curl --cacert refuses the default certificate (%s)"
                % r.stderr)
    r = https(ns, d, "unknown.test", "/who", "-k")
    fi.check_eq(r.returncode, 0, "curl -k to an unknown name (%s)" % r.stderr)
    fi.check(len(r.stdout) > 0, "an answer with -k")
    r = ns.run(["openssl", "s_client", "-connect", fi.FANOUT_IP + ":443", "-servername",
                "unknown.test"], input="", timeout=20, check_rc=False)
    fi.check("fanout-default.invalid" in r.stdout,
             "the self-signed default's subject (%s)" % r.stdout[:400])
    fi.check_ge(pstats(fo)["tls_handshakes"] - before, 2, "handshakes with the default")


def redirects(ns):
    def plain(host, path):
        r = ht.curl(ns, "http://%s%s" % (host, path), "--resolve",
                    "%s:80:%s" % (host, fi.FANOUT_IP), "-o", "/dev/null", "-w",
                    "%{http_code} %{redirect_url}")
        fi.check_eq(r.returncode, 0, "curl http://%s%s (%s)" % (host, path, r.stderr))
        code, _, loc = r.stdout.strip().partition(" ")
        return int(code), loc

    fi.check_eq(plain("a.test", "/p/q?x=1"), (308, "https://a.test/p/q?x=1"),
                "308 to https for a host with a certificate")
    fi.check_eq(plain("y.w.test", "/"), (308, "https://y.w.test/"), "308 (wildcard)")
    fi.check_eq(plain("a.test", "/.well-known/acme")[0], 404,
                "the ssl_redirect off route is proxied (testapp answers 404 there)")
    fi.check_eq(plain("other.test", "/who")[0], 200, "no certificate: proxied")
    fi.check_eq(plain("other.test", "/force/x?q=1"), (308, "https://other.test/force/x?q=1"),
                "force_ssl_redirect: 308 for a host without a certificate too")


def forced_over_tls(ns, d):
    r = https(ns, d, "a.test", "/force/x", "-H", "Host: other.test", "-o", "/dev/null", "-w",
              "%{http_code}")
    fi.check_eq(r.stdout, "404", "force_ssl_redirect over https: proxied (testapp's 404)")


def misdirected(ns, d):
    r = https(ns, d, "a.test", "/who", "-H", "Host: x.w.test", "-o", "/dev/null", "-w",
              "%{http_code}")
    fi.check_eq(r.stdout, "421", "Host of another certificate than the SNI")
    r = https(ns, d, "a.test", "/who", "-H", "Host: other.test", "-o", "/dev/null", "-w",
              "%{http_code}")
    fi.check_eq(r.stdout, "200", "Host without a certificate on an SNI connection")


def bodies(ns, d, log_dir):
    up = os.path.join(log_dir, "up.bin")
    data = os.urandom(BODY)
    with open(up, "wb") as f:
        f.write(data)
    r = https(ns, d, "a.test", "/upload", "--data-binary", "@" + up, "-H",
              "Content-Type: application/octet-stream")
    fi.check_eq(r.returncode, 0, "10 MiB upload (%s)" % r.stderr)
    doc = json.loads(r.stdout)
    fi.check_eq((doc["length"], doc["sha256"]), (BODY, hashlib.sha256(data).hexdigest()),
                "upload length and sha256 at the backend")
    down = os.path.join(log_dir, "down.bin")
    r = https(ns, d, "a.test", "/download?size=%d" % BODY, "-o", down)
    fi.check_eq(r.returncode, 0, "10 MiB download (%s)" % r.stderr)
    with open(down, "rb") as f:
        got = f.read()
    fi.check_eq((len(got), hashlib.sha256(got).hexdigest()), (BODY, ht.pattern_sha256(BODY)),
                "download length and sha256")


def s_client(ns, *args, data=""):
    return ns.run(["openssl", "s_client", "-connect", fi.FANOUT_IP + ":443", "-servername",
                   "a.test"] + list(args), input=data, timeout=20, check_rc=False)


def old_versions(ns, fo):
    before = pstats(fo)["tls_failed_proto"]
    for v in ("-tls1", "-tls1_1"):
        # SECLEVEL=0: the client offers it; the refusal must be fanout's
        r = s_client(ns, v, "-cipher", "DEFAULT@SECLEVEL=0")
        out = r.stdout + r.stderr
        fi.check(r.returncode != 0 and "alert protocol version" in out,
                 "%s refused with a protocol_version alert (%s)" % (v, out[-600:]))
    fi.check_eq(pstats(fo)["tls_failed_proto"] - before, 2, "failed handshakes counted")
    r = s_client(ns, "-tls1_2")
    fi.check("Protocol  : TLSv1.2" in r.stdout, "TLS 1.2 accepted (%s)" % r.stdout[-400:])


def alpn(ns, fo):
    """ALPN: http/1.1 chosen from a browser's offer; an offer without it is refused
    (no_application_protocol), counted as a failed handshake."""
    r = s_client(ns, "-alpn", "h2,http/1.1")
    fi.check("ALPN protocol: http/1.1" in r.stdout, "ALPN http/1.1 chosen (%s)"
             % r.stdout[-600:])
    before = pstats(fo)["tls_failed_proto"]
    r = s_client(ns, "-alpn", "h2")
    out = r.stdout + r.stderr
    fi.check(r.returncode != 0 and "no application protocol" in out,
             "an h2-only offer refused with no_application_protocol (%s)" % out[-600:])
    fi.check_eq(pstats(fo)["tls_failed_proto"] - before, 1, "the refusal counted")


def resumption(ns, d, fo):
    sess = os.path.join(d, "sess.pem")
    req = "GET /who HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"
    before = pstats(fo)["tls_resumed"]
    # -ign_eof: read to the end, so the ticket (sent after the handshake) is kept
    r = s_client(ns, "-sess_out", sess, "-ign_eof", data=req)
    fi.check("New, TLSv1.3" in r.stdout, "first connection: a full handshake")
    r = s_client(ns, "-sess_in", sess, "-ign_eof", data=req)
    fi.check("Reused, TLSv1.3" in r.stdout, "second connection resumed (%s)"
             % r.stdout[-600:])
    fi.check("HTTP/1.1 200" in r.stdout, "the resumed connection is served")
    fi.check_eq(pstats(fo)["tls_resumed"] - before, 1, "resumed handshakes counted")


def passive_opens(fo):
    """Connections each worker accepted so far: {worker: n}."""
    return {k: w["passive_opens"] for k, w in tt.tcp_info(fo)["workers"].items()}


def resumption_two_workers(ns, d, conf):
    """RSS sends a returning client to any worker: a ticket issued by one worker
    resumes on the other (one ticket key set for all). The worker of each
    connection is the one whose accepted-connections counter moved."""
    fo = ns.start_fanout(conf=conf, lcore_map="0@0,1@0,2@1")
    ht.http_ready(ns, fi.FANOUT_IP, 80, path="/who")
    fi.check_eq(fo.stats()["n_workers"], 2, "n_workers")
    sess = os.path.join(d, "sess2.pem")
    req = "GET /who HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"

    def conn(*args):
        before = passive_opens(fo)
        r = s_client(ns, *args, "-ign_eof", data=req)
        after = passive_opens(fo)
        moved = [k for k in after if after[k] != before.get(k, 0)]
        fi.check_eq(len(moved), 1, "one worker accepted the connection (%s -> %s)"
                    % (before, after))
        fi.check("HTTP/1.1 200" in r.stdout, "served (%s)" % r.stdout[-400:])
        return r, moved[0]

    r, first = conn("-sess_out", sess)
    fi.check("New, TLSv1.3" in r.stdout, "first connection: a full handshake")
    seen = []
    for _ in range(24):  # each lands on either worker: 2^-24 to miss the other
        r, w = conn("-sess_in", sess)
        fi.check("Reused, TLSv1.3" in r.stdout, "resumed on worker %s (%s)"
                 % (w, r.stdout[-600:]))
        seen.append(w)
        if w != first:
            break
    fi.log("ticket from worker %s, resumed on workers %s" % (first, seen))
    fi.check(seen[-1] != first, "a resumption landed on the other worker (%s)" % seen)
    fi.check_eq(pstats(fo)["tls_resumed"], len(seen), "resumed handshakes counted")
    fi.wait_for(lambda: pstats(fo)["sessions"] == 0, 15, "every session to end")
    fo.stop()


def strict(ns, d, conf):
    fo = ns.start_fanout(conf=conf)
    ht.http_ready(ns, fi.FANOUT_IP, 80, path="/who")
    r = https(ns, d, "unknown.test", "/who", "-k")
    fi.check(r.returncode != 0 and "unrecognized name" in r.stderr.lower(),
             "strict_sni refuses an unknown name (%d %s)" % (r.returncode, r.stderr))
    r = https(ns, d, "a.test", "/who")
    fi.check_eq(r.returncode, 0, "strict_sni: a known name works (%s)" % r.stderr)
    ps = pstats(fo)
    fi.check_eq(ps["tls_failed_sni"], 1, "refusals counted")
    fi.wait_for(lambda: pstats(fo)["sessions"] == 0, 15, "every session to end")
    fo.stop()


def main(t):
    d = t.log_dir
    make_certs(d)
    check_refuses_bad_certs(d)
    conf = write_conf(d)
    r = fi.sh([fi.FANOUT, "-c", conf, "--check"], check_rc=False)
    fi.check_eq(r.returncode, 0, "fanout --check (%s)" % r.stderr)
    ns = t.netns()
    ht.start_backends(ns, "testapp", [APP_IP])
    fo = ns.start_fanout(conf=conf)
    names_and_headers(ns, d)
    unknown_name(ns, d, fo)
    redirects(ns)
    misdirected(ns, d)
    forced_over_tls(ns, d)
    bodies(ns, d, t.log_dir)
    old_versions(ns, fo)
    alpn(ns, fo)
    resumption(ns, d, fo)
    ps = pstats(fo)
    fi.log("proxy counters: %s" % {k: v for k, v in ps.items()
                                   if not isinstance(v, dict) and v})
    fi.check_eq(ps["tls_misdirected"], 1, "421s counted")
    fi.check_eq(ps["ssl_redirects"], 3, "308s counted")
    fi.check_eq(ps["responses_5xx"], 0, "no 5xx")
    for k in ("gen_500", "gen_502", "gen_503", "gen_504", "nombuf", "tls_bad_records",
              "tls_refused_noconf"):
        fi.check_eq(ps[k], 0, "proxy.%s" % k)
    fi.check_eq(ps["tls_resumed"], 1, "resumed handshakes")
    # -tls1, -tls1_1, curl --cacert aborting on the default certificate (unknown CA),
    # and an h2-only ALPN offer
    fi.check_eq(ps["tls_failed_proto"], 4, "failed handshakes")
    fi.wait_for(lambda: pstats(fo)["sessions"] == 0, 15, "every client session to end")
    st = fo.stop()
    fi.check_eq(st["proxy.sessions"], 0, "sessions at exit")
    resumption_two_workers(ns, d, conf)
    strict(ns, d, write_conf(d, extra="strict_sni on;"))


fi.run(main)
