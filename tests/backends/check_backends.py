#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check the HTTP test fixtures themselves, without fanout. Root only.

    sudo tests/backends/check_backends.py

In one namespace: the seed's Django and Flask replicas, testapp, every
rawserver mode, the WebSocket echo server and nginx rendered as
ingress-nginx (tests/bench/nginx-ingress.conf.in) in front of the seed
backends; each is driven with tests/integ/http_tools.py's raw client, curl
or a websockets client, and what it answers is checked. When this passes,
a failure of an HTTP integration test through fanout is fanout's, not the
fixtures'. Prints PASS/FAIL (fo_integ), exits 0/1.
"""

import hashlib
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integ"))
import fo_integ as fi  # noqa: E402
import http_tools as ht  # noqa: E402

TESTAPP_IPS = ["198.18.0.31", "198.18.0.32"]
RAW_IP = "198.18.0.41"
WS_IP = "198.18.0.51"
MIB10 = 10 << 20

WS_CLIENT = r"""
import asyncio, sys, websockets
async def main():
    async with websockets.connect(sys.argv[1], max_size=16 << 20) as ws:
        for msg in ["hello", b"\x00\x01binary" * 1000, "x" * 100000]:
            await ws.send(msg)
            got = await ws.recv()
            assert got == msg, (type(got), len(got))
    print("ws ok")
asyncio.run(main())
"""


def check_seed_apps(ns, dj, fl):
    for b in dj:
        r = ht.get(ns, b.ip, b.port, "/")
        fi.check(r.status == 200 and ht.DJANGO_WELCOME in r.body,
                 "%s GET /: %r %r" % (b, r, r.body[:200]))
        r = ht.get(ns, b.ip, b.port, "/x")
        fi.check(r.status == 404 and b"The current path, <code>x</code>," in r.body,
                 "%s GET /x: %r %r" % (b, r, r.body[:300]))
    for b in fl:
        r = ht.get(ns, b.ip, b.port, "/")
        fi.check_eq((r.status, r.body), (200, ht.FLASK_HELLO), "%s GET /" % b)
    dj.settle(6)
    fl.settle(3)
    for b in list(dj) + list(fl):
        fi.check_eq(b.request_paths(), ["/", "/x"] if b.kind == "django" else ["/"],
                    "paths in %s's access log" % b.name)
    fi.log("seed apps ok: Django welcome + DEBUG 404 naming the path, Flask hello world!")


def check_testapp(ns, ta):
    b = ta[0]
    fi.check_eq(ht.get(ns, b.ip, b.port, "/who").body, b"testapp1", "/who")
    fi.check_eq(ht.get(ns, ta[1].ip, ta[1].port, "/who").body, b"testapp2", "/who of replica 2")
    r = ht.get(ns, b.ip, b.port, "/echo-headers?a=1&b=%20x",
               headers=[("X-Forwarded-For", "1.2.3.4"), ("X-Custom", "v")])
    doc = json.loads(r.body)
    fi.check_eq(doc["uri"], "/echo-headers?a=1&b=%20x", "echo-headers uri")
    fi.check_eq(doc["query"], "a=1&b=%20x", "echo-headers query")
    hdr = dict(doc["headers"])
    fi.check_eq(hdr.get("X-Forwarded-For"), "1.2.3.4", "echo-headers X-Forwarded-For")
    fi.check_eq(hdr.get("Host"), "example.com", "echo-headers Host")

    body = os.urandom(MIB10)
    want = hashlib.sha256(body).hexdigest()
    for chunked in (False, True):
        with ht.HttpConn(ns, b.ip, b.port, timeout=60) as c:
            c.send(ht.request("POST", "/upload", body=body, chunked=chunked, close=True))
            doc = json.loads(c.read_response().body)
        fi.check_eq((doc["length"], doc["sha256"], doc["chunked"]), (MIB10, want, chunked),
                    "10 MiB upload (chunked=%s)" % chunked)
    # Expect: 100-continue: gunicorn answers 100 before the body is sent
    with ht.HttpConn(ns, b.ip, b.port) as c:
        c.send(ht.request("POST", "/upload", headers=[("Expect", "100-continue"),
                                                      ("Content-Length", "5")]))
        fi.check_eq(c.read_interim(), 100, "status before the body, Expect: 100-continue")
        c.send(b"hello")
        fi.check_eq(json.loads(c.read_response().body)["length"], 5, "body after 100-continue")

    want = ht.pattern_sha256(MIB10)
    for chunked in (0, 1):
        with ht.HttpConn(ns, b.ip, b.port, timeout=60) as c:
            c.send(ht.request("GET", "/download?size=10m&chunked=%d" % chunked, close=True))
            r = c.read_response()
        fi.check_eq((len(r.body), hashlib.sha256(r.body).hexdigest()), (MIB10, want),
                    "10 MiB download (chunked=%d)" % chunked)
        fi.check_eq(r.header("Transfer-Encoding"), "chunked" if chunked else None,
                    "Transfer-Encoding of the download")
    fi.check_eq(ht.pattern(4090, 12), bytes(((i * 7 + i // 4096) & 0xFF)
                                            for i in range(4090, 4102)), "pattern")

    rs = ht.pipeline(ns, b.ip, b.port, [ht.request("GET", "/who"),
                                        ht.request("GET", "/status?code=503"),
                                        ht.request("GET", "/status?code=204"),
                                        ht.request("HEAD", "/download?size=100"),
                                        ht.request("GET", "/sleep?s=0.2", close=True)])
    fi.check_eq([r.status for r in rs], [200, 503, 204, 200, 200], "pipelined statuses")
    fi.check_eq(rs[3].header("Content-Length"), "100", "HEAD Content-Length")
    fi.check_eq(rs[4].body, b"slept 0.2", "/sleep body")
    n = len(b.requests())
    fi.check_ge(n, 9, "requests in testapp1's request log")
    fi.log("testapp ok (%d requests logged by testapp1)" % n)


def check_raw(ns, t):
    # one replica per mode, on ports 8001..
    modes = ["garbage", "close", "reset", "hang", "truncate", "close-delimited", "bad-chunk",
             "reset-after-headers"]
    for i, mode in enumerate(modes):
        port = 8001 + i
        ht.start_backends(ns, "raw:" + mode, [RAW_IP], port=port, names=["raw-" + mode],
                          args=["--hang-max", "5"] if mode == "hang" else [])
        try:
            with ht.HttpConn(ns, RAW_IP, port, timeout=3) as c:
                c.send(ht.request("GET", "/"))
                r = c.read_response()
            outcome = "response %d, %d bytes" % (r.status, len(r.body))
            if mode == "close-delimited":
                fi.check_eq(hashlib.sha256(r.body).hexdigest(), ht.pattern_sha256(1 << 20),
                            "close-delimited body")
        except ht.HttpError as e:
            outcome = "HttpError: %s" % e
        except ConnectionResetError:
            outcome = "reset"
        except OSError as e:
            outcome = "%s" % type(e).__name__
        fi.log("raw %-20s -> %s" % (mode, outcome))
        want = {"garbage": "HttpError: bad status line", "close": "HttpError: connection closed",
                "reset": "reset", "hang": "TimeoutError", "truncate": "HttpError: connection closed",
                "close-delimited": "response 200", "bad-chunk": "HttpError: bad chunk size",
                "reset-after-headers": "reset"}[mode]
        fi.check(outcome.startswith(want) or (want == "reset" and "reset" in outcome.lower()),
                 "raw %s: got %r, want %r" % (mode, outcome, want))


def check_ws(ns):
    ht.start_backends(ns, "ws", [WS_IP])
    r = ns.run([ht.PYTHON, "-c", WS_CLIENT, "ws://%s:%d/chat" % (WS_IP, ht.BACKEND_PORT)],
               timeout=30, check_rc=False)
    fi.check("ws ok" in r.stdout, "websocket echo: %s %s" % (r.stdout, r.stderr))
    fi.log("websocket echo ok")


def check_nginx_ingress(ns, dj, fl):
    for b in list(dj) + list(fl):
        open(b.access_log, "w").close()
    ngx = ht.start_nginx_ingress(ns)
    ip = ht.NGINX_IP
    r = ht.get(ns, ip, 80, "/test01")
    fi.check(r.status == 200 and ht.DJANGO_WELCOME in r.body, "nginx /test01: %r" % r)
    r = ht.get(ns, ip, 80, "/test02")
    fi.check_eq((r.status, r.body), (200, ht.FLASK_HELLO), "nginx /test02")
    r = ht.get(ns, ip, 80, "/test01/x")
    fi.check(r.status == 404 and b"The current path, <code>x</code>," in r.body,
             "nginx /test01/x: %r" % r)
    r = ht.get(ns, ip, 80, "/nothing")
    fi.check_eq(r.status, 404, "nginx /nothing")
    for _ in range(30):
        fi.check_eq(ht.get(ns, ip, 80, "/test02/").status, 200, "nginx /test02/")
    counts = fl.settle(31)
    fi.log("flask replicas through nginx: %s" % counts)
    fi.check(all(v >= 10 for v in counts.values()), "round-robin over flask: %s" % counts)
    r = ht.curl(ns, "http://%s/test01/x?y=1" % ip, "-o", "/dev/null", "-w", "%{http_code}")
    fi.check_eq(r.stdout, "404", "curl /test01/x?y=1 through nginx")
    dj.settle(3)
    paths = sorted(p for b in dj for p in b.request_paths())
    fi.check_eq(paths, ["/", "/x", "/x?y=1"], "paths Django saw through nginx")
    ngx.stop()
    fi.log("nginx ingress ok")


def main(t):
    ns = t.netns("backends")
    dj = ht.start_backends(ns, "django", ht.DJANGO_IPS)
    fl = ht.start_backends(ns, "flask", ht.FLASK_IPS)
    ta = ht.start_backends(ns, "testapp", TESTAPP_IPS)
    check_seed_apps(ns, dj, fl)
    check_testapp(ns, ta)
    check_raw(ns, t)
    check_ws(ns)
    check_nginx_ingress(ns, dj, fl)


if __name__ == "__main__":
    fi.run(main, name="check_backends")
