#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""SNI passthrough: fanout reads the ClientHello's name and splices the
connection, unterminated, to a TLS backend chosen by that name.

Backends: `openssl s_server -rev` (echoes each line reversed) with their own
self-signed certificates (distinct serials): secure.test on 198.18.0.41,
*.apps.test on 198.18.0.42 and .43 (one upstream, round-robin). fanout:
`listen :443 passthrough;` (secure.test, *.apps.test), `listen :8443 tls
passthrough;` (the same names spliced; term.test terminated by fanout with a
certificate of its own, proxied to testapp), client_header_timeout 2s.

Checked:
 1. exact and wildcard names: Python's ssl client sees the *backend's*
    certificate (DER equal to the backend's file), data both ways (200
    lines reversed by the backend), on both listeners;
 2. wildcard semantics: apps.test and a.b.apps.test are not *.apps.test;
    unknown names and a ClientHello without SNI are reset and counted;
 3. two backends balanced: 6 connections to x.apps.test, 3 on each serial;
 4. a ClientHello in three TCP segments (50 ms apart) is spliced; one
    fragmented over three handshake records (the header split, as TLS
    allows) is spliced on both listeners and terminated by fanout on the
    `tls passthrough` one (the handshakes complete, data both ways;
    tls_hello_fragmented);
 5. plain HTTP and a non-handshake record as first bytes: reset, counted
    (pass_bad_hello); a ClientHello that never completes: reset after
    client_header_timeout (pass_hello_timeouts);
 6. `tls passthrough`: term.test is terminated by fanout (its own
    certificate, HTTP 200 from testapp), an unknown name gets fanout's
    default certificate;
 7. a backend that refuses connections: reset, counted (pass_connect_failed);
 8. reload: a config with a duplicate name is refused (file:line:col),
    the running names stay; then a new name and passthrough_default appear
    live, the unknown name and no SNI now reach the default upstream;
 9. every session ends, fanout exits 0;
10. again with two workers (fanout restarted): both apps backends reached,
    a segmented ClientHello spliced, every session ends.
"""

import os
import socket
import ssl
import time

import fo_integ as fi
import http_tools as ht

SECURE_IP, APPS_IPS, DEAD_IP, APP_IP = "198.18.0.41", ["198.18.0.42", "198.18.0.43"], \
    "198.18.0.44", "198.18.0.31"
PORT = 8443
LINES = 200

CONF = """# written by tests/integ/test_tls_passthrough.py
interface net_tap0 {{
    address 198.18.0.1/24;
}}
listen 198.18.0.1:80;
listen 198.18.0.1:443 passthrough;
listen 198.18.0.1:8443 tls passthrough;
tls_certificate {d}/term.pem {d}/term.key;
http {{
    client_header_timeout 2s;
}}
upstream secure_tls {{
    server 198.18.0.41:8443;
}}
upstream apps_tls {{
    server 198.18.0.42:8443;
    server 198.18.0.43:8443;
}}
upstream dead_tls {{
    server 198.18.0.44:8443;
    connect_timeout 1s;
}}
upstream app {{
    server 198.18.0.31:8000;
}}
route prefix / {{
    upstream app;
}}
passthrough secure.test {{ upstream secure_tls; }}
passthrough *.apps.test {{ upstream apps_tls; }}
passthrough dead.test {{ upstream dead_tls; }}
{extra}
"""


def make_cert(d, name, cn, serial):
    fi.sh(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
           "-nodes", "-keyout", "%s/%s.key" % (d, name), "-out", "%s/%s.pem" % (d, name),
           "-days", "1", "-subj", "/CN=" + cn, "-addext", "subjectAltName=DNS:" + cn,
           "-set_serial", serial], timeout=30)
    with open("%s/%s.pem" % (d, name)) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def start_s_server(ns, d, name, ip):
    ht.add_addresses(ns, [ip])
    ns.spawn(["openssl", "s_server", "-accept", "%s:%d" % (ip, PORT), "-cert",
              "%s/%s.pem" % (d, name), "-key", "%s/%s.key" % (d, name), "-rev"],
             "s_server-" + name)
    fi.wait_for(lambda: ht.tcp_ready(ns, ip, PORT), 15, "s_server %s on %s" % (name, ip))


def pstats(fo):
    return fo.stats()["proxy"]


def client_ctx():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the certificate is compared byte for byte below
    return ctx


def connect(ns, port):
    s = ns.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect((fi.FANOUT_IP, port))
    return s


def tls_to(ns, name, port=443):
    """A TLS connection through fanout with SNI @name (None: no SNI)."""
    return client_ctx().wrap_socket(connect(ns, port), server_hostname=name)


def read_until(t, n):
    buf = b""
    while len(buf) < n:
        chunk = t.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf


def rev_exchange(t, what):
    """Lines both ways through the backend's -rev echo."""
    lines = [("%s line %04d " % (what, i)).encode() + os.urandom(40).hex().encode()
             for i in range(LINES)]
    t.sendall(b"".join(ln + b"\n" for ln in lines))
    want = b"".join(ln[::-1] + b"\n" for ln in lines)
    got = read_until(t, len(want))
    fi.check_eq(got, want, "%s: %d lines reversed by the backend" % (what, LINES))


def spliced(ns, name, der, port=443):
    t = tls_to(ns, name, port)
    try:
        fi.check(t.getpeercert(binary_form=True) == der,
                 "%s on :%d: the backend's own certificate" % (name, port))
        rev_exchange(t, "%s:%d" % (name, port))
        return t.getpeercert(binary_form=True)
    finally:
        t.close()


def refused(ns, name, what, port=443):
    try:
        t = tls_to(ns, name, port)
    except (OSError, ssl.SSLError):
        return
    t.close()
    raise fi.Failure("%s: a TLS session through fanout, expected a reset" % what)


def counted(fo, key, before, n, what):
    fi.wait_for(lambda: pstats(fo)[key] - before[key] >= n, 5, what)
    fi.check_eq(pstats(fo)[key] - before[key], n, what)


def names(ns, fo, der):
    for port in (443, 8443):
        spliced(ns, "secure.test", der["secure"], port)
        spliced(ns, "SECURE.test.", der["secure"], port)  # case and a trailing dot
    before = pstats(fo)
    for name in ("apps.test", "a.b.apps.test", "nothing.test"):
        refused(ns, name, "unknown name %s" % name)
    refused(ns, None, "no SNI")
    counted(fo, "pass_unknown_name", before, 3, "unknown names counted")
    counted(fo, "pass_no_sni", before, 1, "ClientHellos without SNI counted")


def balanced(ns, der):
    seen = {der["apps1"]: 0, der["apps2"]: 0}
    for i in range(6):
        t = tls_to(ns, "x%d.apps.test" % i)
        got = t.getpeercert(binary_form=True)
        fi.check(got in seen, "x%d.apps.test: one of the apps backends' certificates" % i)
        seen[got] += 1
        rev_exchange(t, "x%d.apps.test" % i)
        t.close()
    fi.check_eq(sorted(seen.values()), [3, 3], "round-robin over the two apps backends")


def bio_handshake(ns, port, name, send_hello):
    """A TLS session through memory BIOs whose ClientHello @send_hello(sock, hello) sends.
    @return (socket, SSLObject, incoming, outgoing) once the handshake is done."""
    s = connect(ns, port)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = client_ctx().wrap_bio(inc, out, server_hostname=name)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = out.read()
    fi.check(len(hello) > 100 and hello[0] == 0x16, "a ClientHello of %d bytes" % len(hello))
    send_hello(s, hello)
    deadline = time.monotonic() + 10
    while True:
        fi.check(time.monotonic() < deadline, "handshake of %s on :%d" % (name, port))
        data = s.recv(65536)
        fi.check(len(data) > 0, "the server's flight (%s on :%d)" % (name, port))
        inc.write(data)
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            pending = out.read()
            if pending:
                s.sendall(pending)
    pending = out.read()
    if pending:
        s.sendall(pending)
    return s, obj, inc, out


def bio_exchange(s, obj, inc, out, data, until):
    """Send @data over the session, read until the plaintext ends with (or has) @until."""
    obj.write(data)
    s.sendall(out.read())
    got = b""
    while until not in got:
        try:
            got += obj.read(65536)
        except ssl.SSLWantReadError:
            chunk = s.recv(65536)
            fi.check(len(chunk) > 0, "an answer to %r" % data[:20])
            inc.write(chunk)
    return got


def in_segments(s, hello):
    third = len(hello) // 3
    for part in (hello[:third], hello[third:2 * third], hello[2 * third:]):
        s.sendall(part)
        time.sleep(0.05)


def in_records(s, hello):
    """The ClientHello's handshake message re-framed into three records (the handshake
    header split after 2 bytes), as TLS allows; each record its own segment."""
    fi.check_eq(int.from_bytes(hello[3:5], "big") + 5, len(hello), "one record from python")
    msg = hello[5:]
    cuts = [0, 2, len(msg) // 2, len(msg)]
    for i in range(3):
        part = msg[cuts[i]:cuts[i + 1]]
        s.sendall(b"\x16" + hello[1:3] + len(part).to_bytes(2, "big") + part)
        time.sleep(0.05)


def segmented(ns, der):
    """The ClientHello in three segments, then the handshake through memory BIOs."""
    s, obj, inc, out = bio_handshake(ns, 443, "secure.test", in_segments)
    fi.check(obj.getpeercert(binary_form=True) == der["secure"],
             "segmented ClientHello: the backend's certificate")
    got = bio_exchange(s, obj, inc, out, b"segments\n", b"\n")
    fi.check_eq(got, b"stnemges\n", "data over the segmented session")
    s.close()


def fragmented(ns, fo, der):
    """A ClientHello fragmented over three records: spliced on both listeners (the
    backend completes the handshake), terminated by fanout on the tls one."""
    before = pstats(fo)
    for port in (443, 8443):
        s, obj, inc, out = bio_handshake(ns, port, "secure.test", in_records)
        fi.check(obj.getpeercert(binary_form=True) == der["secure"],
                 "a ClientHello in three records on :%d: the backend's certificate" % port)
        got = bio_exchange(s, obj, inc, out, b"records\n", b"\n")
        fi.check_eq(got, b"sdrocer\n", "data after a ClientHello in records (:%d)" % port)
        s.close()
    s, obj, inc, out = bio_handshake(ns, 8443, "term.test", in_records)
    fi.check(obj.getpeercert(binary_form=True) == der["term"],
             "a ClientHello in three records, terminated: fanout's certificate")
    got = bio_exchange(s, obj, inc, out,
                       b"GET /who HTTP/1.1\r\nHost: term.test\r\nConnection: close\r\n\r\n",
                       b"\r\n\r\n")
    fi.check(got.startswith(b"HTTP/1.1 200"), "proxied after a ClientHello in records (%r)"
             % got[:60])
    s.close()
    counted(fo, "tls_hello_fragmented", before, 3, "fragmented ClientHellos counted")


def garbage(ns, fo):
    before = pstats(fo)
    for first in (b"GET / HTTP/1.1\r\nHost: secure.test\r\n\r\n",
                  b"\x17\x03\x03\x00\x10" + b"\x00" * 16):  # application data, not a handshake
        s = connect(ns, 443)
        s.sendall(first)
        try:
            got = s.recv(100)
        except ConnectionResetError:
            got = b""
        fi.check_eq(got, b"", "non-TLS first bytes (%r): closed without an answer" % first[:8])
        s.close()
    counted(fo, "pass_bad_hello", before, 2, "bad ClientHellos counted")
    # a ClientHello that never completes: reset after client_header_timeout (2s)
    s = connect(ns, 443)
    s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
    t0 = time.monotonic()
    try:
        got = s.recv(100)
    except ConnectionResetError:
        got = b""
    waited = time.monotonic() - t0
    fi.check_eq(got, b"", "an incomplete ClientHello is closed")
    fi.check(1.5 < waited < 6, "closed after client_header_timeout (%.1fs)" % waited)
    s.close()
    counted(fo, "pass_hello_timeouts", before, 1, "ClientHello timeouts counted")


def mixed(ns, der):
    t = tls_to(ns, "term.test", 8443)
    fi.check(t.getpeercert(binary_form=True) == der["term"],
             "term.test on the tls passthrough listener: fanout's certificate")
    t.sendall(b"GET /who HTTP/1.1\r\nHost: term.test\r\nConnection: close\r\n\r\n")
    resp = read_until(t, 1 << 20)
    fi.check(resp.startswith(b"HTTP/1.1 200"), "term.test proxied over TLS (%r)" % resp[:100])
    t.close()
    t = tls_to(ns, "other.test", 8443)
    fi.check(t.getpeercert(binary_form=True) not in der.values(),
             "an unknown name on the tls passthrough listener: fanout's default certificate")
    try:
        t.unwrap()  # our close_notify: a FIN without it is a truncation (tls_bad_records)
    except (ssl.SSLError, OSError):
        pass  # fanout's answer to it is not what this test is about
    t.close()


def dead(ns, fo):
    before = pstats(fo)
    refused(ns, "dead.test", "an upstream whose server refuses")
    counted(fo, "pass_connect_failed", before, 1, "failed splices counted")


def reload(ns, fo, d, der):
    # a config with an error is refused with file:line:col, the running one stays
    with open(fo.conf_path, "w") as f:
        f.write(CONF.format(d=d, extra="passthrough SECURE.test { upstream apps_tls; }\n"))
    r = fi.fanoutctl(fo.prefix, "reload")
    fi.check_eq(r.returncode, 1, "fanoutctl reload of a bad config (%s)" % r.stdout)
    fi.check("%s:32:13: duplicate passthrough secure.test (first defined at %s:29:1)"
             % (fo.conf_path, fo.conf_path) in r.stderr, "the error's file:line:col (%s)"
             % r.stderr)
    spliced(ns, "secure.test", der["secure"])
    with open(fo.conf_path, "w") as f:
        f.write(CONF.format(d=d, extra="passthrough new.test { upstream apps_tls; }\n"
                                       "passthrough_default secure_tls;\n"))
    r = fi.fanoutctl(fo.prefix, "reload")
    fi.check_eq(r.returncode, 0, "fanoutctl reload (%s %s)" % (r.stdout, r.stderr))
    t = tls_to(ns, "new.test")
    fi.check(t.getpeercert(binary_form=True) in (der["apps1"], der["apps2"]),
             "a name added by the reload")
    rev_exchange(t, "new.test")
    t.close()
    spliced(ns, "nothing.test", der["secure"])  # passthrough_default
    spliced(ns, None, der["secure"])


def main(t):
    d = t.log_dir
    der = {"secure": make_cert(d, "secure", "secure.test", "0x2001"),
           "apps1": make_cert(d, "apps1", "*.apps.test", "0x2002"),
           "apps2": make_cert(d, "apps2", "*.apps.test", "0x2003"),
           "term": make_cert(d, "term", "term.test", "0x3001")}
    conf = os.path.join(d, "passthrough.conf")
    with open(conf, "w") as f:
        f.write(CONF.format(d=d, extra=""))
    r = fi.sh([fi.FANOUT, "-c", conf, "--check"], check_rc=False)
    fi.check_eq(r.returncode, 0, "fanout --check (%s)" % r.stderr)
    ns = t.netns()
    start_s_server(ns, d, "secure", SECURE_IP)
    start_s_server(ns, d, "apps1", APPS_IPS[0])
    start_s_server(ns, d, "apps2", APPS_IPS[1])
    ht.add_addresses(ns, [DEAD_IP])  # nothing listens there: refused
    ht.start_backends(ns, "testapp", [APP_IP])
    fo = ns.start_fanout(conf=conf)
    names(ns, fo, der)
    balanced(ns, der)
    segmented(ns, der)
    fragmented(ns, fo, der)
    garbage(ns, fo)
    mixed(ns, der)
    dead(ns, fo)
    reload(ns, fo, d, der)
    ps = pstats(fo)
    fi.log("proxy counters: %s" % {k: v for k, v in ps.items()
                                   if not isinstance(v, dict) and v})
    # 4 + 6 + 1 + 2 (fragmented) + 1 (after the bad reload) + 1 (new.test) + 2 (default)
    fi.check_eq(ps["pass_spliced"], 17, "splices")
    fi.check_eq(ps["pass_sessions"], 4 + 4 + 6 + 1 + 2 + 3 + 1 + 1 + 1 + 2,
                "passthrough sessions")
    for k in ("nombuf", "tls_bad_records"):
        fi.check_eq(ps[k], 0, "proxy.%s" % k)
    fi.wait_for(lambda: pstats(fo)["sessions"] == 0, 15, "every session to end")
    st = fo.stop()
    fi.check_eq(st["proxy.sessions"], 0, "sessions at exit")
    two_workers(ns, conf, der)


def two_workers(ns, conf, der):
    """Two workers: splices whose client and upstream sides may land on either."""
    fo = ns.start_fanout(conf=conf, lcore_map="0@0,1@0,2@1")
    seen = set()
    for i in range(8):
        t = tls_to(ns, "y%d.apps.test" % i)
        got = t.getpeercert(binary_form=True)
        fi.check(got in (der["apps1"], der["apps2"]), "two workers: an apps backend")
        seen.add(got)
        rev_exchange(t, "two workers y%d.apps.test" % i)
        t.close()
    fi.check_eq(len(seen), 2, "two workers: both apps backends used")
    spliced(ns, "secure.test", der["secure"])
    segmented(ns, der)
    fi.check_eq(pstats(fo)["pass_spliced"], 10, "two workers: splices")
    fi.wait_for(lambda: pstats(fo)["sessions"] == 0, 15, "every session to end (two workers)")
    st = fo.stop()
    fi.check_eq(st["proxy.sessions"], 0, "sessions at exit (two workers)")


fi.run(main)
