#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""HTTP proxy: WebSocket through fanout (Upgrade, 101, then a raw tunnel).

Backends: tests/backends/wsecho.py (python3-websockets echo server) on
198.18.0.51:8000 behind route prefix /ws, testapp on 198.18.0.31:8000
behind /app (rewrite "/$2").

Checked:
 1. raw client: the handshake's 101 is forwarded (Upgrade: websocket,
    Connection: upgrade, the server's Sec-WebSocket-Accept), the server saw
    the request path and fanout's address as the peer; 100 messages echoed
    (text of many sizes, binary, a 1 MiB binary) with an HTTP request
    served on another connection in the middle; ping answered by pong;
    close handshake (close frame 1000 both ways, then the TCP close reaches
    the client);
 2. python3-websockets client: 10 connections at once, 100 messages each
    (one 1 MiB binary in each), close code 1000;
 3. an Upgrade request to a backend that does not switch protocols gets
    its normal 200 and the connection goes on as HTTP (no tunnel);
 4. a client that resets the TCP connection in the middle of a WebSocket
    frame: fanout ends both sides (sessions and upstream connections back
    to 0) and counts the reset (proxy.client_resets);
 5. proxy.tunnels == WebSocket connections opened; fanout exits 0.
"""

import base64
import hashlib
import json
import os
import socket
import struct
import time

import fo_integ as fi
import http_tools as ht

PORT = 80
WS_IP = "198.18.0.51"
APP_IP = "198.18.0.31"
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MIB = 1 << 20
N_PARALLEL = 10

CONF = """# written by tests/integ/test_http_ws.py
interface net_tap0 {
    address 198.18.0.1/24;
}
listen 198.18.0.1:80;

upstream ws {
    server %s:8000;
    read_timeout 5s;
}
upstream app {
    server %s:8000;
}

route prefix /ws {
    upstream ws;
}
route regex "/app(/|$)(.*)" {
    upstream app;
    rewrite "/$2";
}
""" % (WS_IP, APP_IP)

# python3-websockets client: argv url, n_connections; prints one JSON line
WS_CLIENT = r"""
import asyncio, hashlib, json, os, sys, websockets

async def one(url, k):
    got = 0
    async with websockets.connect(url, max_size=4 << 20) as ws:
        for i in range(100):
            if i == 50:
                msg = os.urandom(1 << 20)
            elif i % 2:
                msg = os.urandom(1 + (i * 997 + k) % 70000)
            else:
                msg = "conn %d message %d " % (k, i) + "x" * ((i * 131) % 3000)
            await ws.send(msg)
            echo = await ws.recv()
            if echo != msg:
                raise SystemExit("conn %d message %d: echo differs (%s %d)" % (
                    k, i, type(echo).__name__, len(echo)))
            got += 1
        pong = await ws.ping(b"p%d" % k)
        await asyncio.wait_for(pong, 10)
    return {"conn": k, "echoed": got, "close_code": ws.close_code}

async def main():
    url, n = sys.argv[1], int(sys.argv[2])
    res = await asyncio.wait_for(asyncio.gather(*[one(url, k) for k in range(n)]), 120)
    print(json.dumps(res))

asyncio.run(main())
"""


def pstats(fo):
    return fo.stats()["proxy"]


def handshake(ns, path, timeout=15.0):
    """Open a WebSocket through fanout with the raw client; return (HttpConn, Response)."""
    key = base64.b64encode(os.urandom(16)).decode()
    c = ht.HttpConn(ns, fi.FANOUT_IP, PORT, timeout=timeout)
    c.send(ht.request("GET", path, host="ws.example", headers=[
        ("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Key", key),
        ("Sec-WebSocket-Version", "13"), ("Origin", "http://ws.example")]))
    r = c.read_response()
    fi.check_eq(r.status, 101, "WebSocket handshake status (body %r)" % r.body[:200])
    acc = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
    fi.check_eq(r.header("Sec-WebSocket-Accept"), acc, "Sec-WebSocket-Accept forwarded")
    fi.check_eq((r.header("Upgrade") or "").lower(), "websocket", "Upgrade in the 101")
    conn_tokens = [t.strip().lower() for v in r.header_all("Connection") for t in v.split(",")]
    fi.check("upgrade" in conn_tokens, "Connection: upgrade in the 101 (%r)" % r.headers)
    fi.check_eq(r.header("Content-Length"), None, "no Content-Length in the 101")
    return c, r


def raw_echo(ns, fo, ws):
    before = pstats(fo)
    c, r = handshake(ns, "/ws/chat?room=1")
    with c:
        opened = fi.wait_for(lambda: [line for line in ws[0].proc.out().splitlines()
                                      if line.startswith("open /ws/chat")], 5,
                             "wsecho's 'open' line")
        fi.log("wsecho: %s" % opened[-1])
        fi.check(("from %s:" % fi.FANOUT_IP) in opened[-1] and "room=1" in opened[-1],
                 "the WebSocket came through fanout with its path and query: %s" % opened[-1])
        mid = pstats(fo)
        fi.check_eq(mid["tunnels"] - before["tunnels"], 1, "proxy.tunnels after the 101")
        sent = 0
        for i in range(100):
            if i == 60:
                msg, op = os.urandom(MIB), 2
            elif i % 3 == 0:
                msg, op = os.urandom((i * 4099) % 200000 + 1), 2
            else:
                msg, op = ("message %d " % i + "é" * (i * 37 % 2000)).encode(), 1
            c.send(ht.ws_frame(msg, op))
            rop, payload = ht.ws_read(c)
            fi.check_eq((rop, len(payload)), (op, len(msg)), "echo %d: opcode and length" % i)
            fi.check(payload == msg, "echo %d: payload differs" % i)
            sent += 1
            if i == 50:
                # the tunnel does not hold the worker: HTTP on another connection meanwhile
                h = ht.get(ns, fi.FANOUT_IP, PORT, "/app/who")
                fi.check_eq((h.status, h.body), (200, b"app"), "HTTP request during a WebSocket")
        fi.log("raw client: %d messages echoed through the tunnel" % sent)
        c.send(ht.ws_frame(b"ping-data", 9))
        rop, payload = ht.ws_read(c)
        fi.check_eq((rop, payload), (10, b"ping-data"), "pong for a ping")
        c.send(ht.ws_frame(struct.pack("!H", 1000) + b"bye", 8))
        rop, payload = ht.ws_read(c)
        fi.check_eq(rop, 8, "close frame from the server")
        fi.check_eq(struct.unpack("!H", payload[:2])[0], 1000, "close code")
        t0 = time.monotonic()
        fi.check(c.closed_by_peer(10), "TCP close reaches the client after the close handshake")
        fi.log("close handshake done, TCP closed after %.2f s" % (time.monotonic() - t0))
    d = {k: pstats(fo)[k] - before[k] for k in ("tunnels", "responses_1xx", "accepted")}
    fi.check_eq(d["tunnels"], 1, "proxy.tunnels for one WebSocket")
    fi.check_ge(d["responses_1xx"], 1, "the 101 counted as 1xx")
    return 1


def library_echo(ns, fo):
    before = pstats(fo)
    t0 = time.monotonic()
    r = ns.run([ht.PYTHON, "-c", WS_CLIENT, "ws://%s/ws/lib" % fi.FANOUT_IP, str(N_PARALLEL)],
               timeout=150, check_rc=False)
    dt = time.monotonic() - t0
    fi.check(r.returncode == 0, "websockets client: exit %d\n%s\n%s"
             % (r.returncode, r.stdout, r.stderr[-3000:]))
    res = json.loads(r.stdout.strip().splitlines()[-1])
    fi.log("websockets client: %d connections in %.1f s: %s" % (len(res), dt, res[:2]))
    fi.check_eq(len(res), N_PARALLEL, "connections")
    for x in res:
        fi.check_eq((x["echoed"], x["close_code"]), (100, 1000),
                    "connection %d: messages echoed and close code" % x["conn"])
    d = pstats(fo)["tunnels"] - before["tunnels"]
    fi.check_eq(d, N_PARALLEL, "proxy.tunnels for the library's connections")
    return N_PARALLEL


def upgrade_refused(ns, fo):
    before = pstats(fo)
    with ht.HttpConn(ns, fi.FANOUT_IP, PORT) as c:
        c.send(ht.request("GET", "/app/echo-headers", headers=[
            ("Upgrade", "websocket"), ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", base64.b64encode(os.urandom(16)).decode()),
            ("Sec-WebSocket-Version", "13")]))
        r = c.read_response()
        fi.check_eq(r.status, 200, "Upgrade request to a plain HTTP backend")
        doc = json.loads(r.body)
        hdrs = {k.lower(): v for k, v in doc["headers"]}
        fi.check_eq(hdrs.get("upgrade"), "websocket", "Upgrade forwarded with the request")
        fi.check_eq((hdrs.get("connection") or "").lower(), "upgrade",
                    "Connection: upgrade forwarded")
        c.send(ht.request("GET", "/app/who"))
        r = c.read_response()
        fi.check_eq((r.status, r.body), (200, b"app"), "the connection goes on as HTTP")
    fi.check_eq(pstats(fo)["tunnels"] - before["tunnels"], 0, "no tunnel without a 101")


def client_drops(ns, fo, ws):
    c, _ = handshake(ns, "/ws/drop")
    c.send(ht.ws_frame(b"x" * 1000, 2))
    op, payload = ht.ws_read(c)
    fi.check_eq(len(payload), 1000, "echo before the drop")
    busy = pstats(fo)
    fi.check_ge(busy["sessions"], 1, "the tunnel's session")
    resets0 = busy["client_resets"]
    # reset the client side in the middle of a frame
    c.send(ht.ws_frame(os.urandom(50000), 2)[:20000])
    c.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
    fi.wait_for(lambda: pstats(fo)["sessions"] == 0 and pstats(fo)["upstream_busy"] == 0, 10,
                "fanout to end both sides of the dropped tunnel")
    after = pstats(fo)
    fi.log("dropped tunnel ended: %s" % {k: after[k] for k in
                                         ("sessions", "upstream_busy", "client_resets")})
    # fo_proxy.h: client_resets counts "client connections reset ... by the peer"
    fi.check_eq(after["client_resets"] - resets0, 1, "proxy.client_resets for the reset tunnel")
    return 1


def main(t):
    ns = t.netns()
    ws = ht.start_backends(ns, "ws", [WS_IP])
    ht.start_backends(ns, "testapp", [APP_IP], names=["app"])
    conf_path = os.path.join(t.log_dir, "ws.conf")
    with open(conf_path, "w") as f:
        f.write(CONF)
    r = fi.sh([fi.FANOUT, "--", "-c", conf_path, "--check"], check_rc=False)
    fi.check(r.returncode == 0, "fanout --check: %s%s" % (r.stdout, r.stderr))
    fo = ns.start_fanout(conf=conf_path)

    n_ws = raw_echo(ns, fo, ws)
    n_ws += library_echo(ns, fo)
    upgrade_refused(ns, fo)
    n_ws += client_drops(ns, fo, ws)

    ps = pstats(fo)
    fi.log("proxy counters: %s" % {k: v for k, v in ps.items()
                                   if not isinstance(v, dict) and v})
    fi.check_eq(ps["tunnels"], n_ws, "proxy.tunnels")
    fi.check_eq(ps["responses_5xx"], 0, "5xx responses")
    fi.check_eq({k: v for k, v in ps["parse_err"].items() if v}, {}, "parse errors")
    fi.wait_for(lambda: pstats(fo)["sessions"] == 0, 15, "every session to end")
    st = fo.stop()
    fi.check_eq(st["proxy.tunnels"], n_ws, "proxy.tunnels at exit")
    fi.check_eq(st["proxy.sessions"], 0, "sessions at exit")
    fi.check_eq(st["proxy.upstream_busy"], 0, "upstream connections busy at exit")


if __name__ == "__main__":
    fi.run(main)
