#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""TLS: fanout's `listen ... tls` next to nginx 1.22 and HAProxy 2.6.

Not a test (nothing passes or fails on numbers); scripts/bench runs it
(`--only tls`; `--quick` for a short run).

The set-up is tests/bench/kernel_bench.py's (one namespace, the nginx
backend answering "hello world!" on the seed's six addresses, the proxy
alone on the first CPU, the clients and the backend on the second), each
proxy with a TLS listener on port 443 in front of the seed's routes:

  fanout-xdp  fanout (config/fanout.conf plus `listen 198.18.0.1:443 tls;`,
              the certificate, `ssl_redirect off; hsts off;`), one worker,
              busy polling, on net_af_xdp over a veth (else net_af_packet:
              the row is then fanout-af_packet)
  nginx       nginx-ingress.conf.in with `listen 198.18.0.3:443 ssl` and
              ingress-nginx's TLS defaults (TLSv1.2 TLSv1.3, its cipher
              list, session cache shared:SSL:10m, tickets off, buffer 4k)
  fanout-xdp-whole  (only when named in --contenders) fanout as above with
              `tls_handshake_split off;`: each server flight in one call
  haproxy     haproxy-ingress.cfg.in with `bind 198.18.0.4:443 ssl crt ...
              alpn http/1.1` (its defaults: tickets on)

Same certificate for all three, made at bench time with the openssl CLI
(ECDSA P-256; then RSA-2048 for one more test), served for the name
bench.test (the clients' SNI and Host). Same OpenSSL (Debian's libssl3,
which all three link). Before measuring, each contender is checked with
`openssl s_client`: the leaf it serves is ours (SHA-256 fingerprint),
TLS 1.3, X25519, and a second connection with the first's session is
"Reused".

Tests, per round, each contender in turn (started, warmed up, measured,
stopped), --rounds rounds, medians:

  full        full handshakes, ECDSA P-256 + X25519, TLS 1.3: h2load --h1
              -c H -n H (H new clients, each one handshake and one GET
              /test02, no session to resume), repeated for --duration
  full-rsa    the same with the RSA-2048 certificate (contender restarted)
  resumed     wrk -H "Connection: close" -c C: every request on a new
              connection that resumes the previous one's session (wrk
              keeps it across reconnections; TLS 1.3 PSK with (EC)DHE)
  keepalive   wrk -c C keep-alive over TLS
  plain       (fanout only) the same over plain HTTP on port 80 of the same
              fanout: the TLS row's CPU per request over this one is what
              TLS adds
  paced       wrk -c P, each connection one request every --pace-ms ms
              (keep-alive, not saturating): its p99 alone, then
  flood       the same paced clients during a handshake flood: their p99
              (the "p99 x" column: flood over paced, same contender). The
              paced wrk runs FLOOD_AFTER (1) s longer and the flood starts
              once it has run that long: its clients have connected and
              made their handshakes (existing clients, as the issue asks;
              keepalive_requests is raised for fanout and nginx so that no
              client reconnects during the run, as HAProxy has no such
              limit). The
              flood (--flood-tool): hello (default), tests/bench/hello_flood:
              --hs-clients connections at a time each send a ClientHello,
              wait for the server's first flight (its key exchange and
              signature done) and reset: the server's whole handshake cost
              for next to no client CPU, so the proxy runs at its full
              handshake rate without the flood taking the paced clients'
              CPU (under SCHED_IDLE too); or h2load, complete handshakes as fast as the clients'
              CPU makes them, under SCHED_IDLE (chrt -i) so that the paced
              wrk and the backend preempt it (--flood-normal: at normal
              priority)

Per run: operations (handshakes or requests) per second of wall time, the
proxy's CPU per operation (as kernel_bench.py: fanout's busy TSC cycles
scaled by the share of the window it ran; nginx and HAProxy their
utime+stime; in cycles at the TSC rate), and from it operations per second
per core (one core's worth of the proxy's CPU time). That last figure is
the one to compare on 2 vCPUs: the clients' side of a handshake costs more
than the server's, so the wall rate says how fast one client core makes
handshakes, not how fast the proxy takes them. p50/p99/p99.9 from wrk
(none for h2load's handshakes). fanout's rows also give the share of
their handshakes that resumed (its counters).

    tls_bench.py [--rounds 3] [--duration 8] [--conns 32] [--hs-clients 64]
                 [--paced-conns 8] [--pace-ms 2] [--quick] [--smoke] [--flood-normal]
                 [--tests full,resumed,keepalive,plain,paced,flood,full-rsa]
                 [--contenders fanout-xdp,nginx,haproxy] [--fast-nic af_xdp|af_packet]
                 [--fanout-idle-sleep US] [--json build/bench/results.json] [--key tls]

--json merges {"tls": {...}} into that file (--smoke: {"tls-smoke": ...}); tls_report.py (scripts/bench
--report) prints it as a Markdown table.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integ"))
sys.path.insert(0, HERE)
import fo_integ as fi  # noqa: E402
import http_tools as ht  # noqa: E402
import kernel_bench as kb  # noqa: E402
import kernel_report as kr  # noqa: E402
import tls_report as tr  # noqa: E402
import memif_common as mc  # noqa: E402
from memif_common import machine  # noqa: E402

NAME = "bench.test"
PATH = "/test02"
PORT = 443
HAPROXY_IP = kb.HAPROXY_IP
CONTENDERS = ("fanout-xdp", "nginx", "haproxy", "fanout-xdp-whole")
DEFAULT_CONTENDERS = CONTENDERS[:3]
# ingress-nginx's default ssl-ciphers (TLS 1.2; TLS 1.3 suites are OpenSSL's)
INGRESS_CIPHERS = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                   "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                   "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
                   "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384")
NGINX_TLS = """
	ssl_certificate @CERT@;
	ssl_certificate_key @KEY@;
	ssl_protocols TLSv1.2 TLSv1.3;
	ssl_ciphers '%s';
	ssl_prefer_server_ciphers on;
	ssl_ecdh_curve auto;
	ssl_session_cache shared:SSL:10m;
	ssl_session_timeout 10m;
	ssl_session_tickets off;
	ssl_buffer_size 4k;
	ssl_early_data off;

	server {""" % INGRESS_CIPHERS


def make_certs(d):
    """ECDSA P-256 and RSA-2048 self-signed certificates for bench.test: {kind: (pem, key)}."""
    out = {}
    for kind, alg in (("ecdsa", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]),
                      ("rsa", ["-newkey", "rsa:2048"])):
        pem, key = os.path.join(d, kind + ".pem"), os.path.join(d, kind + ".key")
        fi.sh(["openssl", "req", "-x509"] + alg + ["-nodes", "-keyout", key, "-out", pem,
              "-days", "2", "-subj", "/CN=" + NAME, "-addext", "subjectAltName=DNS:" + NAME],
              timeout=60)
        with open(os.path.join(d, kind + ".both.pem"), "w") as f:  # HAProxy: chain + key
            f.write(open(pem).read() + open(key).read())
        out[kind] = (pem, key)
    return out


def fingerprint(pem):
    r = fi.sh(["openssl", "x509", "-in", pem, "-noout", "-fingerprint", "-sha256"])
    return r.stdout.strip().split("=", 1)[1].upper()


# ---------------------------------------------------------------------------
# contenders


# Requests per client connection for fanout and nginx (ingress-nginx's 1000 otherwise; HAProxy
# has no such limit): the paced clients keep their connections for the whole run, so that the
# flood test measures clients whose handshake is done, not reconnections queued behind the flood.
KEEPALIVE_REQUESTS = 1000000


def start_fanout(ns, cert, cpu, state, whole=False):
    with open(kb.SEED_CONF) as f:
        conf = f.read()
    fi.check("\tkeepalive_requests 1000;" in conf, "%s: no keepalive_requests" % kb.SEED_CONF)
    conf = conf.replace("\tkeepalive_requests 1000;", "\tkeepalive_requests %d;" % KEEPALIVE_REQUESTS, 1)
    if whole:
        fi.check("\nhttp {\n" in conf, "%s: no http block" % kb.SEED_CONF)
        conf = conf.replace("\nhttp {\n", "\nhttp {\n\ttls_handshake_split off;\n", 1)
    conf += ("\n# tls_bench.py\nlisten %s:%d tls;\ntls_certificate %s %s;\n"
             "ssl_redirect off;\nhsts off;\n" % (fi.FANOUT_IP, PORT, cert[0], cert[1]))
    nics = [state["fast_nic"]] if state.get("fast_nic") else state["fast_nics"]
    for nic in nics:
        try:
            fo = ns.start_fanout(conf=conf, lcores=cpu, idle_sleep=state["idle_sleep"], nic=nic)
        except fi.Failure as e:
            fi.log("fanout on %s did not start: %s" % (nic, str(e)[:300]))
            state.setdefault("notes", []).append("fanout on %s did not start" % nic)
            ns.xdp_off()
            continue

        def stop(fo=fo):
            fo.stop()
            ns.xdp_off()
        c = kb.Contender("fanout-" + nic + ("-whole" if whole else ""), None, stop, fo=fo,
                         nic=nic)
        c.ip = fi.FANOUT_IP
        c.idle_sleep = state["idle_sleep"]
        if kb.serves(ns, fi.FANOUT_IP):
            state["fast_nic"] = nic
            return c
        state.setdefault("notes", []).append("fanout on %s did not serve %s" % (nic, PATH))
        c.stop()
    return None


def start_nginx(ns, cert, cpu, state):
    name = "nginx-tls-%d-%s" % (state["round"], state["cert"])
    run_dir = os.path.join(ns.test.log_dir, name)
    conf = ht.render_nginx("nginx-ingress.conf.in", run_dir,
                           LISTEN="%s:%d ssl" % (ht.NGINX_IP, PORT), WORKERS=1, ACCESS_LOG="off")
    with open(conf) as f:
        text = f.read()
    fi.check(text.count("\n\tserver {") == 1, "nginx-ingress.conf.in: expected one server block")
    fi.check(text.count("\tkeepalive_requests 1000;") == 1,
             "nginx-ingress.conf.in: expected one keepalive_requests 1000")
    text = text.replace("\tkeepalive_requests 1000;", "\tkeepalive_requests %d;" % KEEPALIVE_REQUESTS)
    text = text.replace("\n\tserver {", NGINX_TLS.replace("@CERT@", cert[0]).replace(
        "@KEY@", cert[1]), 1)
    with open(conf, "w") as f:
        f.write(text)
    ht.add_addresses(ns, [ht.NGINX_IP])
    err = os.path.join(run_dir, "error.log")
    r = ns.run([ht.NGINX, "-t", "-q", "-c", conf, "-e", err], check_rc=False)
    fi.check(r.returncode == 0, "nginx -t %s: %s%s" % (conf, r.stdout, r.stderr))
    proc = ns.spawn(["taskset", "-c", cpu, ht.NGINX, "-c", conf, "-e", err], name)
    ngx = ht.Nginx(ns, name, conf, run_dir, proc)
    wait_listen(ns, proc, ht.NGINX_IP, name)
    c = kb.Contender("nginx", None, ngx.stop, pids=lambda: [proc.pid] + ngx.worker_pids())
    c.ip = ht.NGINX_IP
    return c


def start_haproxy(ns, cert, cpu, state):
    ht.add_addresses(ns, [HAPROXY_IP])
    name = "haproxy-tls-%d-%s" % (state["round"], state["cert"])
    run_dir = os.path.join(ns.test.log_dir, name)
    conf = os.path.join(run_dir, "haproxy.cfg")
    both = cert[0][:-len(".pem")] + ".both.pem"
    os.replace(ht.render_nginx("haproxy-ingress.cfg.in", run_dir, THREADS=1,
                               LISTEN="%s:%d ssl crt %s alpn http/1.1 ssl-min-ver TLSv1.2"
                               % (HAPROXY_IP, PORT, both)), conf)
    r = ns.run([kb.HAPROXY, "-c", "-q", "-f", conf], check_rc=False)
    fi.check(r.returncode == 0, "haproxy -c %s: %s%s" % (conf, r.stdout, r.stderr))
    proc = ns.spawn(["taskset", "-c", cpu, kb.HAPROXY, "-db", "-f", conf], name)
    wait_listen(ns, proc, HAPROXY_IP, name)
    c = kb.Contender("haproxy", None, proc.close, pids=lambda: [proc.pid] + kb.children(proc.pid))
    c.ip = HAPROXY_IP
    return c


def wait_listen(ns, proc, ip, name):
    fi.wait_for(lambda: ht.tcp_ready(ns, ip, PORT) or proc.poll() is not None,
                ht.READY_TIMEOUT, "%s on %s:%d" % (name, ip, PORT))
    if proc.poll() is not None:
        proc.dump()
        raise fi.Failure("%s exited with %r" % (name, proc.poll()))


def start(ns, name, cert, cpus, state):
    """Start @name with @cert on the proxy CPU, checked over TLS; None when it cannot serve."""
    fn = {"fanout-xdp": start_fanout, "nginx": start_nginx, "haproxy": start_haproxy,
          "fanout-xdp-whole": lambda *x: start_fanout(*x, whole=True)}[name]
    c = fn(ns, cert, cpus["proxy"], state)
    if c is None:
        return None
    try:
        c.tls = tls_check(ns, c.ip, state["fp"][state["cert"]], state)
    except fi.Failure as e:
        fi.log("%s over TLS: %s" % (c.name, e))
        state.setdefault("notes", []).append("%s: %s" % (c.name, str(e)[:200]))
        c.stop()
        return None
    return c


def s_client(ns, ip, extra, timeout=15):
    argv = ["openssl", "s_client", "-connect", "%s:%d" % (ip, PORT), "-servername", NAME,
            "-ign_eof"] + extra
    req = "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (PATH, NAME)
    return ns.run(argv, timeout=timeout, check_rc=False, input=req)


def tls_check(ns, ip, want_fp, state):
    """The certificate served is ours, TLS 1.3 with X25519, and a session resumes."""
    sess = os.path.join(state["dir"], "sess-%s.pem" % ip)
    r = s_client(ns, ip, ["-sess_out", sess, "-showcerts"])
    out = r.stdout + r.stderr
    fi.check("hello world!" in out, "no answer to GET %s over TLS:\n%s" % (PATH, out[-2000:]))
    leaf = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", out, re.S)
    fi.check(leaf is not None, "s_client printed no certificate")
    p = os.path.join(state["dir"], "leaf-%s.pem" % ip)
    with open(p, "w") as f:
        f.write(leaf.group(0) + "\n")
    got = fingerprint(p)
    fi.check(got == want_fp, "served certificate %s, not the bench's %s" % (got, want_fp))
    proto = re.search(r"New, (TLSv[0-9.]+), Cipher is (\S+)", out)
    group = re.search(r"Server Temp Key: (\S+)", out)
    fi.check(proto is not None and proto.group(1) == "TLSv1.3",
             "not TLS 1.3: %s" % (proto.group(0) if proto else "?"))
    r = s_client(ns, ip, ["-sess_in", sess])
    out2 = r.stdout + r.stderr
    fi.check("Reused, TLSv1.3" in out2, "the session did not resume:\n%s" % out2[-1500:])
    return {"protocol": proto.group(1), "cipher": proto.group(2),
            "group": group.group(1).rstrip(",") if group else "?", "resumes": True}


# ---------------------------------------------------------------------------
# loads


def wrk_lua(state, ip, delay_ms):
    path = os.path.join(state["dir"], "wrk-%s-%d.lua" % (ip, delay_ms))
    with open(os.path.join(HERE, "wrk-tls.lua.in")) as f:
        text = f.read()
    for k, v in (("PCT_LUA", kb.LUA), ("CONNECT", ip), ("PORT", PORT), ("DELAY_MS", delay_ms)):
        text = text.replace("@%s@" % k, str(v))
    with open(path, "w") as f:
        f.write(text)
    return path


def wrk_argv(state, ip, cpus, conns, duration, close=False, delay_ms=0):
    argv = ["taskset", "-c", cpus, "wrk", "-t", "1", "-c", str(conns), "-d", "%ds" % duration,
            "--timeout", "5s", "-s", wrk_lua(state, ip, delay_ms),
            "https://%s%s" % (NAME, PATH)]
    if close:
        argv[4:4] = ["-H", "Connection: close"]
    return argv


def run_wrk(ns, argv, duration):
    r = ns.run(argv, timeout=duration + 60, check_rc=False)
    fi.check(r.returncode == 0, "wrk exit %d: %s %s" % (r.returncode, r.stdout, r.stderr))
    w = kb.parse_wrk(r.stdout)
    return {"ops": w["requests"], "wall": w["duration"], "p50": w["p50"], "p99": w["p99"],
            "p999": w["p999"], "errors": w["errors"] + w["non2xx"]}


H2_DONE = re.compile(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                     r"(\d+) failed, (\d+) errored, (\d+) timeout")


def h2load_flood(ns, ip, cpus, clients, duration, idle=False):
    """Full handshakes: h2load runs of @clients new clients (one connection and one GET
    each), back to back for @duration s; @idle: under SCHED_IDLE, so that it only takes
    the CPU the clients' other processes leave. @return {ops, wall, errors, runs}."""
    argv = (["chrt", "-i", "0"] if idle else []) + ["taskset", "-c", cpus, "h2load", "--h1", "-t", "1", "-c", str(clients),
            "-n", str(clients), "--connect-to=%s:%d" % (ip, PORT),
            "https://%s%s" % (NAME, PATH)]
    ok = bad = runs = 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < duration:
        r = ns.run(argv, timeout=60, check_rc=False)
        m = H2_DONE.search(r.stdout)
        fi.check(m is not None, "h2load printed no totals (exit %d): %s %s" % (
            r.returncode, r.stdout[-1000:], r.stderr[-500:]))
        total, succeeded = int(m.group(1)), int(m.group(4))
        ok += succeeded
        bad += total - succeeded
        runs += 1
    return {"ops": ok, "wall": time.monotonic() - t0, "errors": bad, "runs": runs}


def fo_tls_counters(c):
    """fanout's handshake counters (/fanout/stats "proxy", all workers)."""
    px = c.fo.stats().get("proxy") or {}
    return {k: int(px.get(k, 0)) for k in ("tls_handshakes", "tls_resumed")}


def measure(ns, c, test, load, cpus, rnd, backend):
    """Run @load() (returns ops, wall, ...), with the proxy's CPU over the same window."""
    c0 = kb.counters(c)
    t0 = fo_tls_counters(c) if c.fo is not None else None
    b0, w0 = kb.proc_ticks(backend.pids()), kb.child_cpu_s()
    res = load()
    b1, w1 = kb.proc_ticks(backend.pids()), kb.child_cpu_s()
    c1 = kb.counters(c)
    wall = c1["t"] - c0["t"]
    pc, oc = int(cpus["proxy"]), [int(x) for x in fi.parse_cpulist(cpus["wrk"])]

    def share(cpu, i):
        d = [c1["cpu"][cpu][k] - c0["cpu"][cpu][k] for k in range(4)]
        return d[i] / d[2] if d[2] else None
    row = {"contender": c.name, "test": test, "round": rnd, "wall": wall,
           "ops": res["ops"], "rate": res["ops"] / res["wall"] if res["wall"] else 0,
           "p50": res.get("p50"), "p99": res.get("p99"), "p999": res.get("p999"),
           "errors": res["errors"], "proxy_cpu_busy": share(pc, 0),
           "proxy_cpu_steal": share(pc, 3),
           "other_cpu_busy": statistics.mean(share(x, 0) for x in oc),
           "clients_cpu_share": ((b1 - b0) / kb.CLK_TCK + w1 - w0) / wall / len(oc) +
           statistics.mean(share(x, 1) for x in oc)}
    for k in ("flood_ops", "flood_rate"):
        if k in res:
            row[k] = res[k]
    if c.fo is not None:
        busy, idle = c1["busy"] - c0["busy"], c1["idle"] - c0["idle"]
        row.update(busy_cycles=busy, busy_share=busy / (busy + idle) if busy + idle else None,
                   tsc_hz=(busy + idle) / wall,
                   oncpu_share=(c1["ticks"] - c0["ticks"]) / kb.CLK_TCK / wall,
                   cpu_s=(c1["ticks"] - c0["ticks"]) / kb.CLK_TCK,
                   idle_sleep=c.idle_sleep)
        t1 = fo_tls_counters(c)
        hs = t1["tls_handshakes"] - t0["tls_handshakes"]
        row["handshakes"] = hs
        if test in ("full", "full-rsa", "resumed"):
            row["resumed_share"] = (t1["tls_resumed"] - t0["tls_resumed"]) / hs if hs else None
    else:
        row["cpu_s"] = (c1["ticks"] - c0["ticks"]) / kb.CLK_TCK
        row["oncpu_share"] = row["cpu_s"] / wall
        row["softirq_s"] = (c1["cpu"][pc][1] - c0["cpu"][pc][1]) / kb.CLK_TCK
    fi.log("%s %s #%d: %d ops, %.0f/s, p99 %s, %d errors%s" % (
        c.name, test, rnd, row["ops"], row["rate"],
        "%.2f ms" % (row["p99"] * 1e3) if row["p99"] else "-", row["errors"],
        ", %.0f%% resumed" % (row["resumed_share"] * 100)
        if row.get("resumed_share") is not None else ""))
    return row


def plain_wrk(ns, c, a, cpus):
    w = kb.run_wrk(ns, "http://%s%s" % (c.ip, PATH), "keepalive", a, cpus["wrk"], a.duration)
    return {"ops": w["requests"], "wall": w["duration"], "p50": w["p50"], "p99": w["p99"],
            "p999": w["p999"], "errors": w["errors"] + w["non2xx"]}


HELLO_FLOOD = os.path.join(fi.BUILD_DIR, "tests", "bench", "hello_flood")
HF_DONE = re.compile(r"hello_flood: (\d+) answered, (\d+) errors, ([\d.]+) s")


def hello_flood(ns, ip, cpus, conns, duration, idle=True):
    """ClientHellos only (hello_flood.c): @conns connections at a time, each reset once
    the server's first flight (key exchange and signature done) comes back, for
    @duration s; @idle: under SCHED_IDLE, as h2load_flood(). @return {ops, wall, errors,
    runs}."""
    r = ns.run((["chrt", "-i", "0"] if idle else []) + ["taskset", "-c", cpus, HELLO_FLOOD, ip, str(PORT), NAME, str(conns),
                str(duration)], timeout=duration + 60, check_rc=False)
    m = HF_DONE.search(r.stdout)
    fi.check(r.returncode == 0 and m is not None, "hello_flood exit %d: %s %s" % (
        r.returncode, r.stdout[-500:], r.stderr[-500:]))
    return {"ops": int(m.group(1)), "wall": float(m.group(3)), "errors": int(m.group(2)),
            "runs": 1}


FLOOD_AFTER = 1.0


def flood(ns, c, a, cpus, state):
    """Paced keep-alive wrk, its clients connected, then for the rest of its run a flood of
    handshakes: the wrk's numbers (FLOOD_AFTER s of the paced clients alone first: their
    connections and handshakes are made before the flood, which measures existing clients)."""
    argv = wrk_argv(state, c.ip, cpus["wrk"], a.paced_conns, a.duration + FLOOD_AFTER,
                    delay_ms=a.pace_ms)
    p = subprocess.Popen(ns.argv(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, start_new_session=True)
    try:
        time.sleep(FLOOD_AFTER)
        # the flood at SCHED_IDLE on the clients' CPU: the paced wrk and the backend
        # preempt it when they have work, so their p99 shows the proxy's share of the
        # delay, not the flood client's (on 2 vCPUs they share that CPU)
        if a.flood_tool == "hello":
            f = hello_flood(ns, c.ip, cpus["wrk"], a.hs_clients, a.duration,
                            idle=a.flood_idle)
        else:
            f = h2load_flood(ns, c.ip, cpus["wrk"], a.hs_clients, a.duration,
                             idle=a.flood_idle)
        out, err = p.communicate(timeout=a.duration + 60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    fi.check(p.returncode == 0, "wrk exit %d: %s %s" % (p.returncode, out, err))
    w = kb.parse_wrk(out)
    return {"ops": w["requests"], "wall": w["duration"], "p50": w["p50"], "p99": w["p99"],
            "p999": w["p999"], "errors": w["errors"] + w["non2xx"] + f["errors"],
            "flood_ops": f["ops"], "flood_rate": f["ops"] / f["wall"] if f["wall"] else 0}


def run_contender(ns, name, a, cpus, state, rnd, backend, rows):
    """One round of @name: ECDSA tests, then the RSA full handshakes."""
    for kind, tests in (("ecdsa", a.tests_ecdsa), ("rsa", a.tests_rsa)):
        if not tests:
            continue
        state["cert"] = kind
        c = start(ns, name, state["certs"][kind], cpus, state)
        if c is None:
            rows.append({"contender": name, "round": rnd, "cert": kind, "failed": "did not serve"})
            continue
        try:
            state["tls"][c.name] = c.tls
            run_wrk(ns, wrk_argv(state, c.ip, cpus["wrk"], a.conns, a.warmup), a.warmup)
            for test in tests:
                if test in ("full", "full-rsa"):
                    load = (lambda: h2load_flood(ns, c.ip, cpus["wrk"], a.hs_clients, a.duration))
                elif test == "resumed":
                    load = (lambda: run_wrk(ns, wrk_argv(state, c.ip, cpus["wrk"], a.conns,
                                                         a.duration, close=True), a.duration))
                elif test == "keepalive":
                    load = (lambda: run_wrk(ns, wrk_argv(state, c.ip, cpus["wrk"], a.conns,
                                                         a.duration), a.duration))
                elif test == "plain":
                    if c.fo is None:
                        continue
                    load = (lambda: plain_wrk(ns, c, a, cpus))
                elif test == "paced":
                    load = (lambda: run_wrk(ns, wrk_argv(state, c.ip, cpus["wrk"], a.paced_conns,
                                                         a.duration, delay_ms=a.pace_ms),
                                            a.duration))
                else:
                    load = (lambda: flood(ns, c, a, cpus, state))
                try:
                    rows.append(measure(ns, c, test, load, cpus, rnd, backend))
                except fi.Failure as e:
                    fi.log("%s %s #%d failed: %s" % (c.name, test, rnd, str(e)[:500]))
                    rows.append({"contender": c.name, "test": test, "round": rnd,
                                 "failed": str(e)[:300]})
        finally:
            c.stop()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=int, default=8, help="seconds per test")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--conns", type=int, default=32, help="wrk connections (keepalive, resumed)")
    p.add_argument("--hs-clients", type=int, default=64,
                   help="new clients per h2load run (full handshakes)")
    p.add_argument("--paced-conns", type=int, default=8)
    p.add_argument("--pace-ms", type=int, default=2)
    p.add_argument("--flood-tool", choices=("hello", "h2load"), default="hello",
                   help="flood: hello_flood's ClientHellos (default: the server's whole "
                   "handshake work for next to no client CPU), or h2load's complete handshakes")
    p.add_argument("--flood-normal", dest="flood_idle", action="store_false",
                   help="flood: h2load at normal priority (default: SCHED_IDLE)")
    p.add_argument("--tests", help="the tests to run, in their order (default: all)")
    p.add_argument("--quick", action="store_true", help="1 round of 4 s tests (about 2 min)")
    p.add_argument("--smoke", action="store_true",
                   help="1 round of 1 s tests, fanout only, to check the bench runs (< 60 s)")
    p.add_argument("--contenders", default=",".join(DEFAULT_CONTENDERS),
                   help="from %s (default: the first three); fanout-xdp-whole is fanout "
                   "with tls_handshake_split off (server flights whole)" % ",".join(CONTENDERS))
    p.add_argument("--fast-nic", choices=("af_xdp", "af_packet"),
                   help="fanout's NIC, no fallback (default: af_xdp, else af_packet)")
    p.add_argument("--fanout-idle-sleep", type=int, metavar="US",
                   help="fanout's --idle-sleep (default: none, busy polling); its CPU per "
                   "operation is then its utime+stime, as nginx's, instead of its busy cycles "
                   "scaled by the share of the window the kernel ran it")
    p.add_argument("--json", help="merge the results into this JSON file (key \"tls\")")
    p.add_argument("--key", help="the results.json key, starting with tls (default: tls; "
                   "with --smoke: tls-smoke, so that a smoke run never replaces a real one)")
    a = p.parse_args()
    a.tests_ecdsa = ["full", "resumed", "keepalive", "plain", "paced", "flood"]
    a.tests_rsa = ["full-rsa"]
    if a.tests:
        want = a.tests.split(",")
        if any(x not in a.tests_ecdsa + a.tests_rsa for x in want):
            p.error("--tests from %s" % ",".join(a.tests_ecdsa + a.tests_rsa))
        a.tests_ecdsa = [x for x in a.tests_ecdsa if x in want]
        a.tests_rsa = [x for x in a.tests_rsa if x in want]
    if a.quick:
        a.rounds, a.duration, a.warmup = 1, 4, 1
    if a.smoke:
        a.rounds, a.duration, a.warmup, a.hs_clients = 1, 1, 1, 16
        a.contenders = "fanout-xdp"
    if a.key is None:
        a.key = "tls-smoke" if a.smoke else "tls"
    names = a.contenders.split(",")
    if not 1 <= a.rounds <= 10 or not 1 <= a.duration <= 60 or not 1 <= a.conns <= 10000 \
            or not 1 <= a.hs_clients <= 1000 or not 1 <= a.paced_conns <= 1000 \
            or not 0 < a.pace_ms <= 1000 or any(n not in CONTENDERS for n in names):
        p.error("--rounds 1..10, --duration 1..60, --conns 1..10000, --hs-clients 1..1000, "
                "--paced-conns 1..1000, --pace-ms 1..1000, --contenders from %s "
                "(every load is bounded)" % ",".join(CONTENDERS))
    if not a.key.startswith("tls"):
        p.error("--key must start with \"tls\" (scripts/bench --report lists those)")
    fi.require_root()
    fi.check(os.access(HELLO_FLOOD, os.X_OK), "%s not built" % HELLO_FLOOD)
    for prog in ("wrk", "h2load", "openssl"):
        fi.check(any(os.access(os.path.join(d, prog), os.X_OK)
                     for d in os.environ.get("PATH", "/usr/bin").split(":")),
                 "%s missing (scripts/bootstrap installs it)" % prog)
    fi.check(os.access(kb.HAPROXY, os.X_OK) or "haproxy" not in names,
             "%s missing (Debian's haproxy; scripts/bootstrap installs it)" % kb.HAPROXY)
    fi.clean_stale()
    mach = machine()
    mach["openssl"] = fi.sh(["openssl", "version"]).stdout.strip()
    t = fi.Test("tls_bench")
    cpus = kb.pick_cpus()
    fi.log("CPUs: proxy %s; clients and backend %s" % (cpus["proxy"], cpus["wrk"]))
    rows = []
    state = {"fast_nics": [a.fast_nic] if a.fast_nic else ["af_xdp", "af_packet"],
             "dir": os.path.join(t.log_dir, "tls"), "tls": {}, "idle_sleep": a.fanout_idle_sleep}
    os.makedirs(state["dir"], exist_ok=True)

    def body(t):
        state["certs"] = make_certs(state["dir"])
        state["fp"] = {k: fingerprint(v[0]) for k, v in state["certs"].items()}
        ns = t.netns("tbench")
        ns.run(["sysctl", "-q", "-w", "net.ipv4.ip_local_port_range=1024 65000"])
        ns.run(["sysctl", "-q", "-w", "net.ipv4.tcp_tw_reuse=1"])
        # no TIME_WAIT sockets in the namespace: h2load's and the kernel proxies' closes
        # left thousands, and the kernel expires them in batches (its timer wheel's
        # 4 s slots at 60 s) in softirq, on whichever CPU, fanout's included, runs then:
        # stalls of 5-200 ms in the paced clients' tail a minute after the full test
        ns.run(["sysctl", "-q", "-w", "net.ipv4.tcp_max_tw_buckets=0"])
        ngx_b = ht.start_nginx_backend(ns, kb.BACKEND_IPS, cpus=cpus["wrk"])
        backend = kb.Contender("backend", None, ngx_b.stop,
                               pids=lambda: [ngx_b.proc.pid] + ngx_b.worker_pids())
        for rnd in range(1, a.rounds + 1):
            state["round"] = rnd
            for name in names:
                try:
                    run_contender(ns, name, a, cpus, state, rnd, backend, rows)
                except fi.Failure as e:
                    fi.log("%s #%d: %s" % (name, rnd, str(e)[:500]))
                    rows.append({"contender": name, "round": rnd, "failed": str(e)[:300]})

    ok = mc.run_guarded("tls_bench", body, t)
    tsc = [r["tsc_hz"] for r in rows if r.get("tsc_hz")]
    tsc_hz, tsc_src = (statistics.median(tsc), "fanout's busy+idle cycles over wall time") \
        if tsc else (kr.cpu_mhz() * 1e6 if kr.cpu_mhz() else None, "/proc/cpuinfo cpu MHz")
    args = {k: v for k, v in vars(a).items()}
    args["flood_after"] = FLOOD_AFTER
    args["keepalive_requests"] = KEEPALIVE_REQUESTS
    doc = {"machine": mach, "args": args, "cpus": cpus, "tsc_hz": tsc_hz,
           "tsc_source": tsc_src, "fast_nic": state.get("fast_nic"), "tls": state["tls"],
           "notes": state.get("notes", []),
           "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "runs": rows}
    doc["summary"] = tr.summarize(doc)
    print()
    print(tr.table(doc, markdown=False))
    if a.json:
        kr.merge_json(a.json, a.key, doc)
        print("results: %s (key \"%s\")" % (a.json, a.key))
    sys.exit(0 if ok and any("rate" in r and r["ops"] for r in rows) else 1)


if __name__ == "__main__":
    main()
