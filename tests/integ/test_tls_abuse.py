#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""TLS under abuse, and the plain suite's hostile requests over TLS.

fanout listens on 198.18.0.1:443 tls (a self-signed certificate for a.test
made by the test) with tls_handshakes_max 16 and tls_handshake_timeout 2s,
in front of testapp (198.18.0.31, /app) and the WebSocket echo server
(198.18.0.51, /ws). One worker, so the bound is the whole process's.

Checked:
 1. half-open flood: 4 keep-alive TLS clients connected first; then waves
    of raw TCP connections to :443 (120 in all) that send nothing, the
    first 40 bytes of a ClientHello, or a whole ClientHello and then never
    answer the server's flight. During the flood every keep-alive client
    keeps getting its 200 (an answer each round, no timing asserted), and
    the half-open gauge sampled between waves never exceeds 16; refusals
    (tls_refused_handshakes) and timeouts (tls_handshake_timeouts) are
    counted; 2.5 s after the last wave no handshake is left; once the
    flood's sockets are closed every session ends;
 2. malformed input (raw sockets): bytes that are not TLS, plain HTTP to
    the TLS port, a record longer than 2^14 + 256, a ClientHello whose
    lengths do not add up: each closed and counted in tls_failed_hello;
    half a ClientHello then FIN: tls_failed_eof; an application-data
    record corrupted after a real handshake (Python's ssl over memory
    BIOs, one byte flipped): closed, tls_bad_records; fanout still serves;
 3. KeyUpdate flood: `openssl s_client` reads its stdin one line per read,
    and a line "K" makes it send a KeyUpdate asking for ours
    (SSL_key_update(SSL_KEY_UPDATE_REQUESTED)); 40 lines 50 ms apart: the
    connection is reset after the ninth (tls_key_update_flood 1, fanout's
    own count of KeyUpdates it parsed >= 9: they were really sent). Two
    KeyUpdates then a request: served;
 4. wss://: test_http_ws.py's raw client (100 messages up to 1 MiB, an
    HTTPS request in the middle, ping/pong, close handshake, the TCP close
    reaching the client) and its reset in the middle of a frame, run over
    TLS; its python3-websockets client (4 connections x 100 messages) with
    a wss:// URL; proxy.tunnels counts them, upgrade_refused stays 0;
 5. test_http_errors.py's malformed-request and smuggling cases (its
    functions and tables, with connections made over TLS): the same
    statuses, closes and parse errors, nothing smuggled reaches testapp;
 6. fanout exits 0 with no session left.
"""

import json
import os
import socket
import ssl
import time
import types

import fo_integ as fi
import http_tools as ht
import test_http_errors as te
import test_http_ws as tw

APP_IP = "198.18.0.31"
WS_IP = tw.WS_IP
TLS_PORT = 443
HS_MAX = 16
N_KEEPALIVE = 4
WAVES = 6
WAVE_SIZE = 20
N_WSS_LIB = 4

CONF = """# written by tests/integ/test_tls_abuse.py
interface net_tap0 {{
    address 198.18.0.1/24;
}}
listen 198.18.0.1:443 tls;
tls_certificate {d}/a.pem {d}/a.key;

http {{
    tls_handshakes_max {hs_max};
    tls_handshake_timeout 2s;
}}
upstream app {{
    server {app}:8000;
}}
upstream ws {{
    server {ws}:8000;
    read_timeout 5s;
}}
route prefix /ws {{
    upstream ws;
}}
route regex "/app(/|$)(.*)" {{
    upstream app;
    rewrite "/$2";
}}
"""

# test_http_ws.WS_CLIENT with its connections made to fanout over TLS (wss:// URL: the
# name is the SNI and the Host, the certificate verified against the test's)
WSS_PRELUDE = r"""
import functools, ssl, websockets
_ctx = ssl.create_default_context(cafile=%r)
websockets.connect = functools.partial(websockets.connect, ssl=_ctx, host=%r, port=%d,
                                       server_hostname="a.test")
"""


class TlsConn(ht.HttpConn):
    """ht.HttpConn over TLS to fanout (SNI a.test, the test's certificate verified)."""

    ctx = None

    def __init__(self, ns, ip, port, timeout=10.0):
        super().__init__(ns, ip, port, timeout=timeout)
        try:
            self.s = TlsConn.ctx.wrap_socket(self.s, server_hostname="a.test")
        except (OSError, ssl.SSLError):
            self.s.close()
            raise


def tls_get(ns, ip, port, path, host="example.com", headers=(), timeout=10.0, method="GET"):
    with TlsConn(ns, ip, port, timeout=timeout) as c:
        c.send(ht.request(method, path, host=host, headers=headers, close=True))
        return c.read_response(method=method)


def pstats(fo):
    return fo.stats()["proxy"]


def make_cert(d):
    fi.sh(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
           "-nodes", "-keyout", d + "/a.key", "-out", d + "/a.pem", "-days", "2",
           "-subj", "/CN=a.test", "-addext", "subjectAltName=DNS:a.test"], timeout=30)


def client_hello():
    """The bytes of a real TLS 1.3 ClientHello for a.test (Python's ssl over memory BIOs)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="a.test")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def raw(ns, timeout=5.0):
    s = ns.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((fi.FANOUT_IP, TLS_PORT))
    return s


def closed(s, timeout=1.5):
    """True when fanout closes @s (EOF or reset) within @timeout (under tls_handshake_timeout:
    not closed by the timeout), whatever it sent before."""
    s.settimeout(timeout)
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end:
            if not s.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    return False


# ---------------------------------------------------------------------------


def half_open_flood(ns, fo):
    hello = client_hello()
    fi.check(len(hello) > 100 and hello[0] == 0x16, "a ClientHello record (%d bytes)" % len(hello))
    before = pstats(fo)
    keep = []
    for i in range(N_KEEPALIVE):
        c = TlsConn(ns, fi.FANOUT_IP, TLS_PORT)
        c.send(ht.request("GET", "/app/who", host="a.test"))
        r = c.read_response()
        fi.check_eq((r.status, r.body), (200, b"app"), "keep-alive client %d before the flood" % i)
        keep.append(c)
    flood, refused_seen, max_half_open, served = [], 0, 0, 0
    for wave in range(WAVES):
        for k in range(WAVE_SIZE):
            try:
                s = raw(ns)
                kind = k % 3
                if kind == 1:
                    s.sendall(hello[:40])        # a partial ClientHello
                elif kind == 2:
                    s.sendall(hello)             # the whole of it, then silence
                flood.append(s)
            except OSError:
                refused_seen += 1                # reset by fanout at once: over the bound
        time.sleep(0.3)
        ps = pstats(fo)
        max_half_open = max(max_half_open, ps["tls_handshaking"])
        fi.check(ps["tls_handshaking"] <= HS_MAX, "wave %d: %d half-open handshakes > %d"
                 % (wave, ps["tls_handshaking"], HS_MAX))
        for i, c in enumerate(keep):
            c.send(ht.request("GET", "/app/who", host="a.test"))
            r = c.read_response()
            fi.check_eq((r.status, r.body), (200, b"app"),
                        "keep-alive client %d during wave %d" % (i, wave))
            served += 1
        if wave == WAVES // 2:
            time.sleep(2.2)  # some of the first waves' handshakes time out meanwhile
    ps = pstats(fo)
    fi.log("flood: %d connections tried, %d failed at connect, max half-open %d, "
           "%d keep-alive answers" % (WAVES * WAVE_SIZE, refused_seen, max_half_open, served))
    d = {k: ps[k] - before[k] for k in ("tls_refused_handshakes", "tls_handshake_timeouts",
                                        "tls_handshake_steps", "tls_handshake_deferred",
                                        "tls_handshakes", "tls_sessions")}
    fi.log("flood counters: %s" % d)
    fi.check_ge(max_half_open, HS_MAX // 2, "the flood filled the half-open bound")
    fi.check_ge(d["tls_refused_handshakes"], WAVE_SIZE, "connections refused over the bound")
    fi.check_ge(d["tls_handshake_timeouts"], HS_MAX, "half-open handshakes timed out")
    fi.check_eq(served, WAVES * N_KEEPALIVE, "keep-alive answers during the flood")
    fi.wait_for(lambda: pstats(fo)["tls_handshaking"] == 0, 5,
                "every half-open handshake to time out")
    ps = pstats(fo)
    fi.check_eq(ps["tls_handshake_timeouts"] - before["tls_handshake_timeouts"],
                ps["tls_sessions"] - before["tls_sessions"] - N_KEEPALIVE,
                "every flood session accepted ended by the handshake timeout")
    for s in flood:
        s.close()
    for i, c in enumerate(keep):
        c.send(ht.request("GET", "/app/who", host="a.test", close=True))
        r = c.read_response()
        fi.check_eq((r.status, r.body), (200, b"app"), "keep-alive client %d after the flood" % i)
        c.close()
    fi.wait_for(lambda: pstats(fo)["sessions"] == 0, 10, "every session to end after the flood")


def malformed_tls(ns, fo):
    hello = client_hello()
    before = pstats(fo)
    cases = [
        ("not TLS", b"\x00\x01\x02\x03garbage" * 8),
        ("plain HTTP to the TLS port", b"GET /app/who HTTP/1.1\r\nHost: a.test\r\n\r\n"),
        ("record over 2^14 + 256", b"\x16\x03\x01\xff\xff" + b"\x01" * 200),
        ("ClientHello lengths that do not add up",
         hello[:5] + b"\x01\x00\x00\x04\x03\x03\x00\x00"[:4] + hello[9:]),
    ]
    keys = ("tls_failed_hello", "tls_failed_eof", "tls_failed_proto", "tls_bad_records",
            "tls_handshake_timeouts", "tls_handshakes")
    for what, data in cases:
        p0 = pstats(fo)
        s = raw(ns)
        s.sendall(data)
        fi.check(closed(s), "%s: fanout closes the connection" % what)
        s.close()
        p1 = pstats(fo)
        fi.log("%-40s %s" % (what, {k: p1[k] - p0[k] for k in keys if p1[k] != p0[k]}))
    s = raw(ns)
    s.sendall(hello[:len(hello) // 2])
    s.shutdown(socket.SHUT_WR)
    fi.check(closed(s), "half a ClientHello then FIN: closed")
    s.close()
    # a record corrupted after a real handshake
    ctx = ssl.create_default_context(cafile=TlsConn.ctx_cafile)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="a.test")
    s = raw(ns)
    for _ in range(20):
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            s.sendall(out.read())
            data = s.recv(65536)
            fi.check(len(data) > 0, "server flight")
            inc.write(data)
    s.sendall(out.read())  # the client's Finished
    obj.write(b"GET /app/who HTTP/1.1\r\nHost: a.test\r\n\r\n")
    rec = bytearray(out.read())
    rec[-1] ^= 0x40  # the AEAD tag no longer matches
    s.sendall(bytes(rec))
    fi.check(closed(s), "corrupted record: closed")
    s.close()
    ps = pstats(fo)
    d = {k: ps[k] - before[k] for k in keys}
    fi.log("malformed TLS: %s" % d)
    fi.check_eq(d["tls_failed_hello"], 4, "malformed ClientHellos counted (tls_failed_hello)")
    fi.check_eq(d["tls_failed_eof"], 1, "half a ClientHello then FIN (tls_failed_eof)")
    fi.check_eq(d["tls_bad_records"], 1, "the corrupted record (tls_bad_records)")
    r = tls_get(ns, fi.FANOUT_IP, TLS_PORT, "/app/who", host="a.test")
    fi.check_eq((r.status, r.body), (200, b"app"), "fanout still serves")


def s_client(ns, script, timeout=30):
    return ns.run(["sh", "-c", "(%s) | openssl s_client -connect %s:%d -servername a.test "
                   "-CAfile %s -crlf" % (script, fi.FANOUT_IP, TLS_PORT, TlsConn.ctx_cafile)],
                  timeout=timeout, check_rc=False)


def key_update_flood(ns, fo):
    before = pstats(fo)
    r = s_client(ns, "echo K; sleep 0.2; echo K; sleep 0.2; printf 'GET /app/who HTTP/1.1\\n"
                 "Host: a.test\\nConnection: close\\n\\n'; sleep 1.5")
    fi.check("KEYUPDATE" in r.stderr + r.stdout, "s_client sent KeyUpdates (%s)" % r.stderr[-300:])
    fi.check("HTTP/1.1 200" in r.stdout, "two KeyUpdates then a request: served (%s)"
             % r.stdout[-400:])
    mid = pstats(fo)
    fi.check_eq(mid["tls_key_updates"] - before["tls_key_updates"], 2, "KeyUpdates parsed")
    fi.check_eq(mid["tls_key_update_flood"], before["tls_key_update_flood"], "no flood yet")
    t0 = time.monotonic()
    r = s_client(ns, "for i in $(seq 40); do echo K; sleep 0.05; done; sleep 1")
    ps = pstats(fo)
    n = ps["tls_key_updates"] - mid["tls_key_updates"]
    fi.log("KeyUpdate flood: s_client printed KEYUPDATE %d times, fanout parsed %d, %.1f s"
           % ((r.stdout + r.stderr).count("KEYUPDATE"), n, time.monotonic() - t0))
    fi.check_eq(ps["tls_key_update_flood"] - mid["tls_key_update_flood"], 1,
                "the KeyUpdate flood reset (tls_key_update_flood)")
    fi.check_ge(n, 9, "KeyUpdates fanout parsed before the reset")
    fi.check(n < 40, "the connection ended before the client's last KeyUpdate (%d)" % n)


def wss(ns, fo, ws):
    before = pstats(fo)
    # test_http_ws's raw client and its mid-frame reset, with its connections over TLS
    tw.PORT = TLS_PORT
    shim = types.SimpleNamespace(**vars(ht))
    shim.HttpConn = TlsConn
    shim.get = tls_get
    tw.ht = shim
    n = tw.raw_echo(ns, fo, ws)
    # both FINs exchanged: the tunnel ends now, not at read_timeout (5s) (the alert
    # OpenSSL queues for the client's EOF after our FIN must not hold it)
    fi.wait_for(lambda: pstats(fo)["sessions"] == 0, 2, "the echo's session to end")
    fi.check_eq(pstats(fo)["client_timeouts"], before["client_timeouts"],
                "no tunnel ended by its timeout")
    n += tw.client_drops(ns, fo, ws)
    prelude = WSS_PRELUDE % (TlsConn.ctx_cafile, fi.FANOUT_IP, TLS_PORT)
    r = ns.run([ht.PYTHON, "-c", prelude + tw.WS_CLIENT, "wss://a.test/ws/lib", str(N_WSS_LIB)],
               timeout=150, check_rc=False)
    fi.check(r.returncode == 0, "websockets client over wss://: exit %d\n%s\n%s"
             % (r.returncode, r.stdout, r.stderr[-3000:]))
    res = json.loads(r.stdout.strip().splitlines()[-1])
    fi.check_eq(len(res), N_WSS_LIB, "wss connections")
    for x in res:
        fi.check_eq((x["echoed"], x["close_code"]), (100, 1000),
                    "wss connection %d: messages echoed and close code" % x["conn"])
    n += N_WSS_LIB
    ps = pstats(fo)
    fi.check_eq(ps["tunnels"] - before["tunnels"], n, "proxy.tunnels over TLS")
    fi.check_eq(ps["upgrade_refused"], before["upgrade_refused"], "no Upgrade refused")
    fi.wait_for(lambda: pstats(fo)["sessions"] == 0 and pstats(fo)["upstream_busy"] == 0, 10,
                "every tunnel to end")


def plain_suite_over_tls(ns, fo, app):
    before = pstats(fo)
    te.conn = lambda ns, timeout=10.0: TlsConn(ns, fi.FANOUT_IP, TLS_PORT, timeout=timeout)
    tally = te.Tally()
    te.malformed(ns, tally)
    te.smuggling(ns, tally, list(app))
    ps = pstats(fo)
    for status, n in sorted(tally.gen.items()):
        fi.check_eq(ps["gen_%d" % status] - before["gen_%d" % status], n,
                    "proxy.gen_%d over TLS" % status)
    for name, n in tally.parse.items():
        fi.check_ge(ps["parse_err"][name] - before["parse_err"][name], n,
                    "proxy.parse_err.%s over TLS" % name)
    total = sum(ps["parse_err"].values()) - sum(before["parse_err"].values())
    fi.check_eq(total, tally.parse_total, "request parse errors over TLS (all reasons)")
    time.sleep(0.5)
    fi.check_eq(te.smuggled_paths(list(app)), [], "smuggled requests that reached testapp")
    fi.log("plain suite over TLS: %d error responses as over plain HTTP"
           % sum(tally.gen.values()))


def main(t):
    d = t.log_dir
    make_cert(d)
    TlsConn.ctx = ssl.create_default_context(cafile=d + "/a.pem")
    TlsConn.ctx_cafile = d + "/a.pem"
    conf = os.path.join(d, "tls-abuse.conf")
    with open(conf, "w") as f:
        f.write(CONF.format(d=d, hs_max=HS_MAX, app=APP_IP, ws=WS_IP))
    r = fi.sh([fi.FANOUT, "-c", conf, "--check"], check_rc=False)
    fi.check_eq(r.returncode, 0, "fanout --check (%s)" % r.stderr)
    ns = t.netns()
    app = ht.start_backends(ns, "testapp", [APP_IP], names=["app"])
    ws = ht.start_backends(ns, "ws", [WS_IP])
    fo = ns.start_fanout(conf=conf)
    fi.wait_for(lambda: tls_get(ns, fi.FANOUT_IP, TLS_PORT, "/app/who").status == 200, 15,
                "fanout serving over TLS")

    half_open_flood(ns, fo)
    malformed_tls(ns, fo)
    key_update_flood(ns, fo)
    wss(ns, fo, ws)
    plain_suite_over_tls(ns, fo, app)

    ps = pstats(fo)
    fi.log("proxy counters: %s" % {k: v for k, v in ps.items()
                                   if not isinstance(v, dict) and v})
    fi.check_eq(ps["nombuf"], 0, "proxy.nombuf")
    fi.check_eq(ps["tls_refused_noconf"], 0, "proxy.tls_refused_noconf")
    fi.wait_for(lambda: pstats(fo)["sessions"] == 0, 15, "every session to end")
    st = fo.stop()
    fi.check_eq(st["proxy.sessions"], 0, "sessions at exit")
    fi.check_eq(st["proxy.tls_handshaking"], 0, "half-open handshakes at exit")


if __name__ == "__main__":
    fi.run(main)
