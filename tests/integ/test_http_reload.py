#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Live reload under load: fanout keeps serving while its config changes.

fanout on net_tap in a namespace, testapp replicas on 198.18.0.11-13:8000
(each answers its name on /who), a WebSocket echo on 198.18.0.51:8000.
While wrk loads fanout (bounded: LOAD_S s), the test rewrites the config
file RELOADS (100) times over about 18 s, alternating SIGHUP and
`fanoutctl reload`: endpoints added and removed (endpoint-only diffs),
routes added and removed (routes recompiled), an upstream timeout
changed, configs with a syntax error (one reloaded by fanoutctl, one by
SIGHUP) and one that adds a listener of a built-in service (echo: not
live; http listeners are, test_listen_reload.py). Checked:

 1. wrk: no socket error, no response other than 2xx; the reloads all
    happened while wrk ran;
 2. a keep-alive client connection opened before the reloads and a
    WebSocket opened before them are still served (same sockets) after;
 3. `fanoutctl reload` on an invalid config exits 1 and prints the
    file:line:col error; the one that adds an echo listener is refused too;
    the running config stays (its routes still answer);
 4. endpoints moved to a file `include`d in the upstream: the same servers
    are "no change"; a change of that file alone is an endpoint-only
    reload (no route recompile), and is picked up by fanout's watch of its
    config files without any signal; afterwards requests reach only the
    endpoints it lists, by their weights, and a route added earlier still
    answers; `fanoutctl status` shows the generation and the reloads
    applied and rejected, and how long the last reload took to be live
    (a number; no timing is asserted); fanout's statistics agree
    (proxy.snapshots_adopted), and it exits 0;
 5. a glob include whose directory is empty: its directory is watched, and
    a file appearing there is picked up (a new route) without any signal.
"""

import base64
import hashlib
import json
import os
import re
import signal
import subprocess
import time

import fo_integ as fi
import http_tools as ht

IPS = ["198.18.0.11", "198.18.0.12", "198.18.0.13"]
WS_IP = "198.18.0.51"
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
RELOADS = 100
RELOADS_S = 18  # the reloads are spread over this long
LOAD_S = 22     # wrk's run: from before the first reload to after the last

CONF = """# written by tests/integ/test_http_reload.py (%(tag)s)
interface net_tap0 {
    address 198.18.0.1/24;
}
listen 198.18.0.1:80;
%(listen)s
upstream app {
%(servers)s
    read_timeout %(read)s;
}
upstream ws {
    server 198.18.0.51:8000;
}
route prefix /ws {
    upstream ws;
}
%(extra)s
route prefix / {
    upstream app;
    rewrite /who;
}
"""


def conf(servers, extra="", read="60s", listen="", tag="", broken=False):
    text = CONF % {"servers": "\n".join("    server %s:8000;" % s for s in servers),
                   "extra": extra, "read": read, "listen": listen, "tag": tag}
    if broken:
        text = text.replace("    read_timeout", "    read_timeout 5s 6s;\n    read_timeout", 1)
    return text


EXTRA = """route exact /extra {
    upstream app;
    rewrite /who;
}
"""

EXTRA2 = """route regex "/v([0-9]+)/(.*)" {
    upstream app;
    rewrite /who;
}
"""

# valid configs applied in turn while wrk runs; each differs from the one before
CYCLE = [
    conf(IPS[:2]),                                      # an endpoint removed
    conf(IPS),                                          # added back
    conf(IPS[1:]),                                      # another removed
    conf(IPS[1:], extra=EXTRA),                         # a route added: recompiled
    conf(IPS[1:], extra=EXTRA, read="30s"),             # an upstream timeout
    conf(IPS[1:], extra=EXTRA + EXTRA2, read="30s"),    # a regex route added
    conf(IPS[:1] + IPS[2:], extra=EXTRA2),              # a route removed, endpoints swapped
    conf(IPS, extra=EXTRA),                             # and the other way round
]
# rejected ones, at these reload numbers (even: fanoutctl, odd: SIGHUP)
REJECTED = {
    34: conf(IPS[1:], broken=True),                     # syntax error: file:line:col
    51: conf(IPS, extra=EXTRA, broken=True),            # the same through SIGHUP
    68: conf(IPS[:1] + IPS[2:], listen="listen 198.18.0.1:7 echo;"),  # a service: not live
}
# the last one: what the include checks below start from
FINAL = conf(IPS[1:], extra=EXTRA)


def steps():
    """RELOADS (text, expect applied): CYCLE in turn, REJECTED at their numbers, FINAL last."""
    out, k = [], 0
    for i in range(RELOADS - 1):
        if i in REJECTED:
            out.append((REJECTED[i], False))
        else:
            out.append((CYCLE[k % len(CYCLE)], True))
            k += 1
    out.append((FINAL, True))
    applied = [text for text, ok in out if ok]
    fi.check(all(a != b for a, b in zip(applied, applied[1:])),
             "test setup: two applied configs in a row are the same")
    return out

def ws_open(ns):
    key = base64.b64encode(os.urandom(16)).decode()
    c = ht.HttpConn(ns, fi.FANOUT_IP, 80, timeout=15.0)
    c.send(ht.request("GET", "/ws/reload", host="ws.example", headers=[
        ("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Key", key),
        ("Sec-WebSocket-Version", "13")]))
    r = c.read_response()
    fi.check_eq(r.status, 101, "WebSocket handshake")
    acc = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
    fi.check_eq(r.header("Sec-WebSocket-Accept"), acc, "Sec-WebSocket-Accept")
    return c


def ws_echo(c, msg):
    c.send(ht.ws_frame(msg, 2))
    for _ in range(10):
        op, payload = ht.ws_read(c)
        if op != 9:
            break
        # the echo server pings an idle connection every 20 s (python3-websockets'
        # default) and closes it without a pong: answer as a client must
        c.send(ht.ws_frame(payload, 10))
    fi.check_eq((op, payload), (2, msg), "WebSocket echo")


def who(c, path="/x"):
    c.send(ht.request("GET", path, host="reload.test"))
    r = c.read_response()
    return r.status, r.body.decode(errors="replace")


def reload(fo, how, text, applied):
    with open(fo.conf_path, "w") as f:
        f.write(fi.nic_conf(fo.nic, text))
    if how == "signal":
        status = json.loads(fi.fanoutctl(fo.prefix, "status", "--json").stdout)
        os.kill(fo.proc.pid, signal.SIGHUP)
        want = ("reloads_ok" if applied else "reloads_failed")
        fi.wait_for(lambda: json.loads(fi.fanoutctl(fo.prefix, "status", "--json").stdout)[want]
                    == status[want] + 1, 10, "the SIGHUP reload to be %s"
                    % ("applied" if applied else "rejected"))
        return None
    r = fi.fanoutctl(fo.prefix, "reload")
    fi.check_eq(r.returncode, 0 if applied else 1,
                "fanoutctl reload exit status (stdout %r, stderr %r)" % (r.stdout, r.stderr))
    return r


def main(t):
    ns = t.netns()
    ht.start_backends(ns, "testapp", IPS)
    ht.start_backends(ns, "ws", [WS_IP])
    fo = ns.start_fanout(conf(IPS[:1], tag="start"))

    ka = ht.HttpConn(ns, fi.FANOUT_IP, 80, timeout=10.0)
    fi.check_eq(who(ka), (200, "testapp1"), "keep-alive request before the reloads")
    ws = ws_open(ns)
    ws_echo(ws, b"before")

    wrk = subprocess.Popen(ns.argv(["wrk", "-t1", "-c16", "-d%ds" % LOAD_S, "--timeout", "5s",
                                    "http://%s/x" % fi.FANOUT_IP]),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    applied = rejected = 0
    outputs = []
    t0 = time.monotonic()
    time.sleep(1.0)  # wrk connected
    for i, (text, ok) in enumerate(steps()):
        r = reload(fo, "signal" if i % 2 else "fanoutctl", text, ok)
        if r is not None:
            outputs.append((ok, r))
        applied += ok
        rejected += not ok
        time.sleep(max(0.0, 1.0 + (i + 1) * RELOADS_S / RELOADS - (time.monotonic() - t0)))
    loop_s = time.monotonic() - t0
    fi.log("%d reloads (%d applied, %d rejected) in %.1f s, from %.1f s after wrk started"
           % (RELOADS, applied, rejected, loop_s - 1.0, 1.0))
    fi.check(wrk.poll() is None and loop_s < LOAD_S - 0.5,
             "the reloads took %.1f s: they did not all happen under wrk's %d s" % (loop_s, LOAD_S))
    out, err = wrk.communicate(timeout=LOAD_S + 60)
    fi.check_eq(wrk.returncode, 0, "wrk exit status (%s)" % err)
    fi.log("wrk during %d reloads:\n%s" % (RELOADS, out))
    m = re.search(r"(\d+) requests in", out)
    fi.check(m is not None and int(m.group(1)) > 100, "wrk made too few requests:\n" + out)
    fi.check("Socket errors" not in out and "Non-2xx" not in out,
             "wrk saw errors during the reloads:\n" + out)

    # what fanoutctl reload said
    for ok, r in outputs:
        if ok:
            fi.check(re.match(r"generation \d+: ", r.stdout), "reload output %r" % r.stdout)
    bad = [r for ok, r in outputs if not ok]
    fi.check(any(re.search(r"\.conf:\d+:\d+: wrong number of arguments in \"read_timeout\"",
                           r.stderr) for r in bad),
             "no file:line:col error from fanoutctl reload: %r" % [r.stderr for r in bad])
    fi.check(any("need a restart" in r.stderr for r in bad),
             "the service listener change was not refused: %r" % [r.stderr for r in bad])

    # the connections opened before are still served
    fi.check_eq(who(ka)[0], 200, "keep-alive connection after the reloads")
    ws_echo(ws, b"after %d reloads" % RELOADS)
    ws.close()
    ka.close()

    # endpoints kept in a file of their own, `include`d in the upstream: the same
    # servers as the running config is no change; a change of that file alone
    # is an endpoint-only reload (no route recompile)
    inc = os.path.join(os.path.dirname(fo.conf_path), "app-endpoints.conf")
    with open(inc, "w") as f:
        f.write("server 198.18.0.12:8000;\nserver 198.18.0.13:8000;\n")
    fi.check("198.18.0.12:8000;\n    server 198.18.0.13:8000;" in FINAL, "test setup")
    with_inc = FINAL.replace("    server 198.18.0.12:8000;\n    server 198.18.0.13:8000;",
                               '    include "%s";' % inc)
    r = reload(fo, "fanoutctl", with_inc, True)
    fi.check(r.stdout.endswith(": no change\n"), "the include of the same servers: %r" % r.stdout)
    applied += 1
    with open(inc, "w") as f:
        f.write("server 198.18.0.13:8000;\nserver 198.18.0.12:8000 weight=2;\n")
    r = fi.fanoutctl(fo.prefix, "reload")
    fi.check(r.returncode == 0 and re.match(r"generation \d+: endpoints \(", r.stdout),
             "a change of the endpoints file alone: %r %r" % (r.stdout, r.stderr))
    applied += 1
    with ht.HttpConn(ns, fi.FANOUT_IP, 80) as c:
        seen = [who(c)[1] for _ in range(12)]
        fi.check_eq(set(seen), {"testapp2", "testapp3"}, "replicas after the last reload")
        fi.check_eq(seen.count("testapp2"), 8, "weight=2 of the endpoints file: %r" % seen)
        fi.check_eq(who(c, "/extra")[0], 200, "the route added earlier")
    # a change of the file alone, no signal, no fanoutctl: the watch reloads it
    gen = json.loads(fi.fanoutctl(fo.prefix, "status", "--json").stdout)["generation"]
    with open(inc, "w") as f:
        f.write("server 198.18.0.13:8000;\n")
    fi.wait_for(lambda: json.loads(fi.fanoutctl(fo.prefix, "status", "--json").stdout)
                ["generation"] == gen + 1, 10, "the reload of a changed endpoints file")
    applied += 1
    with ht.HttpConn(ns, fi.FANOUT_IP, 80) as c:
        fi.check_eq({who(c)[1] for _ in range(6)}, {"testapp3"}, "after the watched change")
    st = json.loads(fi.fanoutctl(fo.prefix, "status", "--json").stdout)
    # the watch also reloads each file the loop wrote (same content: no change,
    # or the same rejection), so the counters are at least the loop's
    fi.check(st["reloads_ok"] >= applied and st["reloads_failed"] >= rejected and
             st["watch_reloads"] >= 1, "reload counters: %r" % st)
    fi.check_eq(st["generation"], applied, "generation (one reload changed nothing)")
    # how long the last reload took to be live: a number once the worker adopted it
    # (-1 until then); its value is the benchmark's business (tests/bench/reload_bench.py)
    fi.wait_for(lambda: json.loads(fi.fanoutctl(fo.prefix, "status", "--json").stdout)
                ["last_reload_live_ms"] >= 0, 10, "the last reload to be live on the worker")
    st = json.loads(fi.fanoutctl(fo.prefix, "status", "--json").stdout)
    for k in ("last_reload_publish_ms", "last_reload_live_ms"):
        fi.check(isinstance(st.get(k), (int, float)) and st[k] >= 0, "status %s: %r" % (k, st))
    fi.check(isinstance(st.get("snapshot_adopt_cycles"), int) and st["snapshot_adopt_cycles"] > 0
             and st.get("snapshots_adopted") == applied, "status adoption counters: %r" % st)

    # a glob include that matches nothing yet: its directory is watched all the
    # same, and a file appearing there is a route reload without any signal
    late_dir = os.path.join(os.path.dirname(fo.conf_path), "late.d")
    os.makedirs(late_dir, exist_ok=True)
    r = reload(fo, "fanoutctl", with_inc + 'include "%s/*.conf";\n' % late_dir, True)
    fi.check(r.stdout.endswith(": no change\n"), "a glob include matching nothing: %r" % r.stdout)
    time.sleep(0.5)  # the watch's own reload of the file just written, if any
    gen = json.loads(fi.fanoutctl(fo.prefix, "status", "--json").stdout)["generation"]
    with open(os.path.join(late_dir, "late.conf"), "w") as f:
        f.write("route prefix /late { upstream app; rewrite /status?code=299; }\n")
    fi.wait_for(lambda: json.loads(fi.fanoutctl(fo.prefix, "status", "--json").stdout)
                ["generation"] == gen + 1, 10, "the reload of a file a glob include matches")
    applied += 1
    with ht.HttpConn(ns, fi.FANOUT_IP, 80) as c:
        fi.check_eq(who(c, "/late")[0], 299, "the route of the new file")

    final = fo.stop()
    fi.check_eq(final["proxy.snapshots_adopted"], applied, "snapshots the worker adopted")
    fi.check(final["ctl.generation"] == applied and final["ctl.reloads_failed"] >= rejected and
             final["ctl.reloads_ok"] >= applied and final["ctl.watch_reloads"] >= 1,
             "ctl.* statistics at exit: %r" % {k: v for k, v in final.items()
                                               if k.startswith("ctl.")})
    fi.check(final["proxy.gen_502"] == 0 and final["proxy.gen_503"] == 0 and
             final["proxy.gen_504"] == 0, "5xx made during the reloads")
    err = fo.proc.err()
    fi.check("reload: generation %d published (endpoints)" % (applied - 1) in err,
             "no reload log line")
    fi.check("rejected" in err, "no log line for a rejected reload")


if __name__ == "__main__":
    fi.run(main)
