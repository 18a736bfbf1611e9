#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Certificates that change live, under TLS load, and ticket keys from a file.

fanout (two workers, a control thread of its own) listens on 198.18.0.1:443
tls with one certificate for a.test (ECDSA P-256, signed by a CA the test
makes) and `tls_ticket_key_file`, in front of
a testapp backend (198.18.0.31). While two wrk runs load it over https
(bounded: LOAD_S s; one keep-alive, one with Connection: close, a
handshake per request, full or resumed; a.test resolves through /etc/netns/<ns>/hosts), the
test replaces the certificate and key files REPLACEMENTS times by rename,
each time with a new serial: odd steps followed by `fanoutctl reload`,
even steps left to fanout's watch of the files; step BAD_STEP writes a
certificate whose key is not the key file's.

Checked:
 1. each valid replacement: a new connection (python ssl, verified against
    the test CA) sees the new serial (at once after fanoutctl reload;
    within WATCH_S s through the watch);
 2. the bad one: fanoutctl reload exits 1 with "a.key: private key does not
    match the certificate of .../a.pem"; new connections still see the
    previous serial; the next valid one applies;
 3. wrk: no socket error (connect errors are failed handshakes), only 2xx,
    requests made by both runs; fanout counted no failed handshake
    (protocol) and no bad record;
 4. a connection opened before the first replacement is served all along
    (a request between every step) and its generation stays retired-but-
    held (`fanoutctl certs --json`: retiring >= 1) until it closes, then
    everything replaced is freed (retiring 0);
 5. `fanoutctl certs`: the last serial, names, issuer, the default marked,
    the refused reload's message; reloads: REPLACEMENTS - 1 applied, 1
    refused (each change built once, whichever of reload and watch saw it);
 6. metrics: fanout_tls_certificate_expiry_seconds{name="a.test",...} is the
    last certificate's notAfter; fanout_tls_certificate_reloads_total
    {result="failed"} 1;
 7. a TLS directive changed in the config (hsts) and `fanoutctl reload`:
    new connections get the new value;
 8. ticket keys from the file: a ticket issued under key N resumes after
    the file was rotated once (N is previous), not after twice;
 9. the key file dropped by reload with `tls_ticket_rotate 1m`: fanout's
    own keys; its control thread rotates them within 75 s, and a ticket
    issued before the rotation still resumes;
10. a ClientHello for an unknown name before the replacements: the self-
    signed default, counted once (fanoutctl certs, metrics) after 20
    generations came and went;
11. handshakes per certificate (fanoutctl certs --json, metrics), counted
    by file across the generations: once every replaced generation is
    freed, a.pem's and the default's completed handshakes add up to
    proxy.tls_handshakes exactly, resumed ones to proxy.tls_resumed; the
    default's is the one of 10.; the metrics say the same;
12. every session ends, fanout exits 0.
"""

import json
import os
import re
import shutil
import ssl
import subprocess
import time

import fo_integ as fi
import http_tools as ht
import tls_tools as tls

APP_IP = "198.18.0.31"
LOAD_S = 50          # each wrk run: from before the first replacement to after the last
REPLACEMENTS = 20
BAD_STEP = 10        # 1-based: that replacement is refused
WATCH_S = 10.0       # a change seen by the watch applies within this

CONF = """# written by tests/integ/test_tls_reload.py
interface net_tap0 {{
    address 198.18.0.1/24;
}}
listen 198.18.0.1:443 tls;
tls_certificate {d}/a.pem {d}/a.key;
tls_ticket_key_file {d}/ticket.key;
upstream app {{
    server 198.18.0.31:8000;
}}
route prefix / {{
    upstream app;
}}
"""


def make_leaf(d, serial):
    """a.test signed by the CA with @serial: (chain path, key path) under d/gen/."""
    return tls.make_leaf(d, "%s/gen/a-%d" % (d, serial), "a.test", serial)


def install(src, dst):
    """Replace @dst by rename, as a config tool (or Kubernetes) does."""
    tmp = dst + ".tmp"
    shutil.copyfile(src, tmp)
    os.rename(tmp, dst)


def client_ctx(d):
    ctx = ssl.create_default_context(cafile=d + "/ca.pem")
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def tls_conn(ns, ctx):
    c = ht.HttpConn(ns, fi.FANOUT_IP, 443, timeout=10.0)
    c.s = ctx.wrap_socket(c.s, server_hostname="a.test")
    return c


def who(c):
    c.send(ht.request("GET", "/who", host="a.test"))
    r = c.read_response()
    return r.status


def serial_now(ns, ctx):
    """A new connection: the serial it is served (verified against the CA), and a request."""
    c = tls_conn(ns, ctx)
    try:
        serial = int(c.s.getpeercert()["serialNumber"], 16)
        fi.check_eq(who(c), 200, "request on a new connection")
        return serial
    finally:
        c.close()


def certs(fo):
    r = fi.fanoutctl(fo.prefix, "certs", "--json")
    fi.check_eq(r.returncode, 0, "fanoutctl certs --json (%s)" % r.stderr)
    return json.loads(r.stdout)


def wrk(ns, name, *extra):
    return subprocess.Popen(ns.argv(["wrk", "-t1", "-c4", "-d%ds" % LOAD_S, "--timeout", "5s"]
                                    + list(extra) + ["https://a.test/who"]),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wrk_check(p, what):
    out, err = p.communicate(timeout=LOAD_S + 60)
    fi.check_eq(p.returncode, 0, "wrk (%s) exit status (%s)" % (what, err))
    fi.log("wrk (%s) during the replacements:\n%s" % (what, out))
    m = re.search(r"(\d+) requests in", out)
    fi.check(m is not None and int(m.group(1)) > 50, "wrk (%s) made too few requests:\n%s"
             % (what, out))
    fi.check("Socket errors" not in out and "Non-2xx" not in out,
             "wrk (%s) saw errors while certificates changed:\n%s" % (what, out))
    return int(m.group(1))


def replacements(ns, fo, d, ctx, old):
    """The REPLACEMENTS steps; @old: a connection opened before. @return the last serial."""
    serial = 2000
    for step in range(1, REPLACEMENTS + 1):
        if step == BAD_STEP:
            # a certificate whose key is not a.key: the reload is refused, the old one stays
            pem, _ = make_leaf(d, 2000 + step)
            install(pem, d + "/a.pem")
            r = fi.fanoutctl(fo.prefix, "reload")
            out = r.stdout + r.stderr
            fi.check_eq(r.returncode, 1, "fanoutctl reload of a mismatched key (%s)" % out)
            fi.check("%s/a.key: private key does not match the certificate of %s/a.pem"
                     % (d, d) in out, "the refusal says file: message (%r)" % out)
            fi.check_eq(serial_now(ns, ctx), serial, "the previous certificate still served")
        else:
            pem, key = make_leaf(d, 2000 + step)
            install(key, d + "/a.key")
            install(pem, d + "/a.pem")
            if step % 2:
                r = fi.fanoutctl(fo.prefix, "reload")
                fi.check_eq(r.returncode, 0, "fanoutctl reload %d (%s %s)"
                            % (step, r.stdout, r.stderr))
                fi.check("TLS certificates: generation" in r.stdout,
                         "reload %d says it published certificates (%r)" % (step, r.stdout))
                fi.log("fanoutctl reload %d: %s" % (step, r.stdout.strip()))
                fi.check_eq(serial_now(ns, ctx), 2000 + step,
                            "new serial at once after fanoutctl reload %d" % step)
            else:
                fi.wait_for(lambda: serial_now(ns, ctx) == 2000 + step, WATCH_S,
                            "the watch to serve serial %d" % (2000 + step), interval=0.2)
            serial = 2000 + step
        fi.check_eq(who(old), 200, "the connection opened before, after step %d" % step)
    return serial


def rotate_key_file(path):
    """As the file's writer does: drop the first key, append a new random one."""
    with open(path, "rb") as f:
        keys = f.read()
    install_bytes(path, keys[80:] + os.urandom(80))


def install_bytes(path, data):
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.rename(path + ".tmp", path)


def s_client(ns, *args):
    req = "GET /who HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"
    # -ign_eof: read to the end, so the ticket (sent after the handshake) is kept
    return ns.run(["openssl", "s_client", "-connect", fi.FANOUT_IP + ":443", "-servername",
                   "a.test", "-ign_eof"] + list(args), input=req, timeout=20, check_rc=False)


def tickets(ns, fo, d):
    sess = d + "/sess.pem"
    r = s_client(ns, "-sess_out", sess)
    fi.check("New, TLSv1.3" in r.stdout and "HTTP/1.1 200" in r.stdout,
             "a full handshake issues a ticket (%s)" % r.stdout[-400:])
    for n, want in ((1, "Reused, TLSv1.3"), (2, "New, TLSv1.3")):
        gen = certs(fo)["ticket_keys"]["generation"]
        rotate_key_file(d + "/ticket.key")
        fi.wait_for(lambda: certs(fo)["ticket_keys"]["generation"] > gen, WATCH_S,
                    "the key file's rotation %d to apply" % n, interval=0.2)
        r = s_client(ns, "-sess_in", sess)
        fi.check(want in r.stdout and "HTTP/1.1 200" in r.stdout,
                 "after %d rotation(s) of the key file: %s (%s)" % (n, want, r.stdout[-600:]))


def directive_change(ns, fo, conf, ctx):
    """A TLS directive changed in the config (hsts): live for new connections."""
    with open(conf) as f:
        text = f.read()
    with open(conf, "w") as f:
        f.write(text.replace("listen 198.18.0.1:443 tls;\n",
                             "listen 198.18.0.1:443 tls;\nhsts \"max-age=60\";\n"))
    r = fi.fanoutctl(fo.prefix, "reload")
    fi.check_eq(r.returncode, 0, "fanoutctl reload with a new hsts (%s %s)" % (r.stdout, r.stderr))
    fi.check("tls" in r.stdout and "TLS certificates: generation" in r.stdout,
             "the reload says tls changed (%r)" % r.stdout)
    c = tls_conn(ns, ctx)
    try:
        c.send(ht.request("GET", "/who", host="a.test"))
        resp = c.read_response()
        fi.check_eq(resp.header("Strict-Transport-Security"), "max-age=60",
                    "the new hsts on a new connection")
    finally:
        c.close()


def unknown_name(ns):
    """A name no certificate has: the self-signed default (counted)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    c = ht.HttpConn(ns, fi.FANOUT_IP, 443, timeout=10.0)
    try:
        c.s = ctx.wrap_socket(c.s, server_hostname="unknown.test")
        fi.check_eq(who(c), 200, "a request with an unknown name")
    finally:
        c.close()


def check_default_served(ns, fo):
    """The default's count survived the 20 generations: 1 (unknown_name()), certs and metrics."""
    j = certs(fo)
    fi.check_eq(j["certificates"][-1].get("served"), 1, "certs --json: the default served once")
    r = ns.run(["curl", "-sS", "--max-time", "5", "http://127.0.0.1:9091/metrics"])
    fi.check(re.search(r"^fanout_tls_default_certificate_served_total 1$", r.stdout, re.M),
             "metric: the default served once")


def check_hs_counts(ns, fo, d, stats):
    """Per-certificate handshakes survived every generation: they add up to the totals."""
    j = certs(fo)
    hs = [c["handshakes"] for c in j["certificates"]]
    fi.log("handshakes per certificate: %s; proxy: %d handshakes, %d resumed"
           % (hs, stats["tls_handshakes"], stats["tls_resumed"]))
    fi.check_eq((sum(h["full"] + h["resumed"] for h in hs), sum(h["resumed"] for h in hs)),
                (stats["tls_handshakes"], stats["tls_resumed"]),
                "handshakes per certificate add up to proxy.tls_handshakes and tls_resumed")
    fi.check_eq((hs[-1]["full"], hs[-1]["resumed"]), (1, 0), "the default: one handshake")
    fi.check_ge(hs[0]["full"], REPLACEMENTS, "a.pem: counted across its generations")
    r = ns.run(["curl", "-sS", "--max-time", "5", "http://127.0.0.1:9091/metrics"])
    for kind in ("full", "resumed"):
        m = re.search(r'^fanout_tls_certificate_handshakes_total\{name="a.test",file="%s/a.pem",'
                      r'kind="%s"\} (\d+)$' % (re.escape(d), kind), r.stdout, re.M)
        fi.check(m is not None and int(m.group(1)) == hs[0][kind],
                 "metric: a.pem's %s handshakes (%s)" % (kind, m and m.group(0)))
    m = re.search(r'^fanout_tls_certificate_handshake_failures_total\{name="a.test",'
                  r'file="%s/a.pem"\} (\d+)$' % re.escape(d), r.stdout, re.M)
    fi.check(m is not None and int(m.group(1)) == hs[0]["failed"], "metric: a.pem's failures")


def own_rotation(ns, fo, conf, d):
    """The key file dropped by reload, tls_ticket_rotate 1m: fanout's own keys, rotated by
    its control thread; a ticket of the period before still resumes."""
    with open(conf) as f:
        text = f.read()
    with open(conf, "w") as f:
        f.write(text.replace("tls_ticket_key_file %s/ticket.key;\n" % d,
                             "tls_ticket_rotate 1m;\n"))
    r = fi.fanoutctl(fo.prefix, "reload")
    fi.check_eq(r.returncode, 0, "reload to fanout's own ticket keys (%s %s)"
                % (r.stdout, r.stderr))
    j = certs(fo)
    fi.check_eq((j["ticket_keys"]["source"], j["ticket_keys"]["period_s"],
                 j["ticket_keys"]["rotations"]), ("rotated", 60, 0), "certs: own keys")
    sess = d + "/sess-own.pem"
    r = s_client(ns, "-sess_out", sess)
    fi.check("New, TLSv1.3" in r.stdout, "a ticket under fanout's own key (%s)" % r.stdout[-300:])
    t0 = time.monotonic()
    fi.wait_for(lambda: certs(fo)["ticket_keys"]["rotations"] == 1, 75,
                "the control thread's rotation", interval=0.5)
    fi.log("ticket keys rotated %.1f s after the ticket was issued" % (time.monotonic() - t0))
    r = s_client(ns, "-sess_in", sess)
    fi.check("Reused, TLSv1.3" in r.stdout and "HTTP/1.1 200" in r.stdout,
             "after one rotation by fanout: resumed (%s)" % r.stdout[-600:])


def check_certs_output(fo, d, serial):
    r = fi.fanoutctl(fo.prefix, "certs")
    fi.check_eq(r.returncode, 0, "fanoutctl certs (%s)" % r.stderr)
    out = r.stdout
    fi.log("fanoutctl certs:\n" + out)
    fi.check("certificate 1: %s/a.pem" % d in out, "certs lists a.pem")
    fi.check(re.search(r"names\s+a\.test\n", out), "certs: names")
    fi.check(re.search(r"issuer\s+CN=fanout-test-ca\n", out), "certs: issuer")
    fi.check(re.search(r"serial\s+%X\n" % serial, out) or re.search(r"serial\s+0%X\n" % serial,
             out), "certs: the last serial %X" % serial)
    fi.check("default    yes" in out and "fanout-default.invalid" in out,
             "certs: the self-signed default, marked")
    fi.check("last refused: %s/a.key: private key does not match" % d in out,
             "certs: the refused reload's message")
    j = certs(fo)
    fi.check_eq((j["reloads_ok"], j["reloads_failed"]), (REPLACEMENTS - 1, 1),
                "certificate reloads applied and refused (each change built once)")
    a = j["certificates"][0]
    fi.check_eq((a["names"], int(a["serial"], 16), a["default"]), (["a.test"], serial, False),
                "certs --json: a.test")
    fi.check_eq(j["certificates"][1]["default"], True, "certs --json: the default")
    return a["expiry_seconds"]


def check_metrics(ns, d, expiry):
    r = ns.run(["curl", "-sS", "--max-time", "5", "http://127.0.0.1:9091/metrics"])
    body = r.stdout
    m = re.search(r'^fanout_tls_certificate_expiry_seconds\{name="a.test",file="%s/a.pem"\} '
                  r"(\d+)$" % re.escape(d), body, re.M)
    fi.check(m is not None, "expiry metric for a.test:\n%s" % "\n".join(
        ln for ln in body.splitlines() if "fanout_tls" in ln))
    fi.check_eq(int(m.group(1)), expiry, "expiry metric = the certificate's notAfter")
    fi.check(re.search(r'^fanout_tls_certificate_reloads_total\{result="failed"\} 1$', body,
                       re.M), "refused reload counted in metrics")
    fi.check(re.search(r'^fanout_tls_certificate_expiry_seconds\{name="fanout-default.invalid"',
                       body, re.M), "expiry metric for the default")
    r = fi.sh(["promtool", "check", "metrics"], input=body, check_rc=False)
    fi.check_eq(r.returncode, 0, "promtool check metrics with the TLS families (%s %s)"
                % (r.stdout, r.stderr))


def main(t):
    d = t.log_dir
    os.makedirs(d + "/gen", exist_ok=True)
    tls.make_ca(d)
    pem, key = make_leaf(d, 2000)
    install(pem, d + "/a.pem")
    install(key, d + "/a.key")
    install_bytes(d + "/ticket.key", os.urandom(240))
    conf = os.path.join(d, "tls-reload.conf")
    with open(conf, "w") as f:
        f.write(CONF.format(d=d))
    r = fi.sh([fi.FANOUT, "-c", conf, "--check"], check_rc=False)
    fi.check_eq(r.returncode, 0, "fanout --check (%s)" % r.stderr)
    ns = t.netns()
    # wrk names a.test (its SNI) through the namespace's own /etc/hosts
    etc = "/etc/netns/" + ns.name
    os.makedirs(etc, exist_ok=True)
    try:
        with open(etc + "/hosts", "w") as f:
            f.write("127.0.0.1 localhost\n%s a.test\n" % fi.FANOUT_IP)
        run(t, ns, d, conf)
    finally:
        shutil.rmtree(etc, ignore_errors=True)


def run(t, ns, d, conf):
    ht.start_backends(ns, "testapp", [APP_IP])
    # two workers and a control thread of its own: sessions on both workers hold
    # generations while the control thread publishes and frees them concurrently
    fo = ns.start_fanout(conf=conf, lcore_map="0@0,1@0,2@1")
    ctx = client_ctx(d)
    fi.wait_for(lambda: ht.tcp_ready(ns, fi.FANOUT_IP, 443), 10, "fanout's TLS listener")
    fi.check_eq(serial_now(ns, ctx), 2000, "the first certificate")
    before = fo.stats()["proxy"]
    unknown_name(ns)
    old = tls_conn(ns, ctx)
    fi.check_eq(who(old), 200, "the connection opened before the replacements")
    keep = wrk(ns, "keep-alive")
    new = wrk(ns, "new connections", "-H", "Connection: close")
    t0 = time.monotonic()
    time.sleep(1.0)  # wrk connected
    serial = replacements(ns, fo, d, ctx, old)
    loop_s = time.monotonic() - t0
    fi.log("%d replacements in %.1f s" % (REPLACEMENTS, loop_s))
    fi.check(keep.poll() is None and new.poll() is None and loop_s < LOAD_S - 1,
             "the replacements took %.1f s: not all under wrk's %d s" % (loop_s, LOAD_S))
    j = certs(fo)
    fi.check_ge(j["retiring"], 1, "a replaced generation is held by the open connections")
    # counted by generation 1, which is retired but held: still counted
    fi.check_eq(j["certificates"][-1].get("served"), 1, "the default served once, so far")
    n_keep = wrk_check(keep, "keep-alive")
    n_new = wrk_check(new, "Connection: close")
    fi.check_eq(who(old), 200, "the connection opened before, after the load")
    fi.check_eq(old.s.getpeercert()["serialNumber"].lstrip("0"), "7D0",
                "it still has the first certificate")
    old.close()
    expiry = check_certs_output(fo, d, serial)
    check_metrics(ns, d, expiry)
    directive_change(ns, fo, conf, ctx)
    tickets(ns, fo, d)
    own_rotation(ns, fo, conf, d)
    fi.wait_for(lambda: fo.stats()["proxy"]["sessions"] == 0, 15, "every session to end")
    fi.wait_for(lambda: certs(fo)["retiring"] == 0, 10,
                "every replaced generation freed once its sessions ended")
    check_default_served(ns, fo)
    after = fo.stats()["proxy"]
    check_hs_counts(ns, fo, d, after)
    ps = {k: v - before[k] for k, v in after.items() if isinstance(v, int) and k in before}
    fi.log("proxy counters during the test: %s" % {k: v for k, v in ps.items() if v})
    fi.log("requests: wrk keep-alive %d, wrk new connections %d" % (n_keep, n_new))
    fi.check_ge(ps["tls_handshakes"], n_new, "handshakes (one per Connection: close request)")
    for k in ("tls_failed_proto", "tls_failed_sni", "tls_bad_records", "tls_refused_noconf",
              "responses_5xx"):
        fi.check_eq(ps[k], 0, "proxy.%s" % k)
    st = fo.stop()
    fi.check_eq(st["proxy.sessions"], 0, "sessions at exit")


fi.run(main)
