#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The Prometheus endpoint: fanout's `metrics` socket scraped inside the
namespace, by curl and by a real Prometheus (Debian's).

fanout on net_tap in a namespace; testapp replicas on 198.18.0.11-12:8000.

 1. single lcore (control work interleaved in worker 0), no `metrics`
    directive: the default 127.0.0.1:9091 answers GET /metrics with 200,
    text/plain; version=0.0.4; other paths 404; `promtool check metrics`
    accepts the body (HELP, TYPE, names, no lint problem);
 2. 40 requests to the app and 5 to a path no route takes, over keep-alive
    connections: fanout_proxy_requests_total grew by 45,
    fanout_proxy_gen_404_total by 5, the servers' request counters by 40
    together (each one by some), fanout_tcp_drops_total and
    fanout_net_drops_total by reason, the per-worker busy cycles grew; the
    scrape agrees with DPDK telemetry's /fanout/stats (drops and segments,
    which late segments of closing connections may still move, lie between
    the values telemetry gave right before and right after the scrape);
 3. reloads: a good one counted ok with a newer success timestamp, a broken
    one counted failed with fanout_config_last_reload_successful 0;
 4. a control thread of its own (lcores 0,1; poll(2) set) with
    `metrics 127.0.0.1:9100`: four silent clients fill every slot, yet
    fanoutctl and the proxy answer, and scrapes come back when their 5 s
    deadline closes them; Prometheus scrapes it every second and its HTTP
    API reports the request count the test sent; `metrics off` closes the
    port.
"""

import json
import os
import re
import socket
import time
import urllib.parse

import fo_integ as fi
import http_tools as ht

IPS = ["198.18.0.11", "198.18.0.12"]
N_APP, N_404 = 40, 5
PROM_PORT = 9190

CONF = """# written by tests/integ/test_metrics.py
interface net_tap0 {
    address 198.18.0.1/24;
}
listen 198.18.0.1:80;
%(metrics)s
upstream app {
    server 198.18.0.11:8000;
    server 198.18.0.12:8000;
}
route prefix /app { upstream app; rewrite /who; }
"""

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')


def parse(body):
    """Exposition text -> {(name, ((label, value), ...)): float}; checks the layout."""
    out, typed = {}, {}
    for line in body.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            fi.check(name not in typed, "second TYPE line for %s" % name)
            typed[name] = kind
            continue
        if line.startswith("#") or not line:
            continue
        m = LINE.match(line)
        fi.check(m is not None, "not a sample line: %r" % line)
        name, labels, value = m.groups()
        # a histogram's samples: <name>_bucket (with le), <name>_sum, <name>_count
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        fi.check(name in typed or typed.get(base) == "histogram",
                 "sample before its TYPE line: %r" % line)
        if typed.get(name) == "counter":
            fi.check(name.endswith("_total"), "counter without _total: %s" % name)
        key = (name, tuple(LABEL.findall(labels or "")))
        fi.check(key not in out, "sample twice: %r" % line)
        out[key] = float(value)
    return out


def scrape(ns, port, path="/metrics", check_rc=True):
    """(status, content type, body) of GET http://127.0.0.1:port/path from inside @ns;
    status 0 when curl failed and not @check_rc."""
    r = ns.run(["curl", "-sS", "--max-time", "5", "-o", "-", "-w",
                "\n%{http_code} %{content_type}", "http://127.0.0.1:%d%s" % (port, path)],
               check_rc=check_rc)
    if r.returncode != 0:
        return 0, "", ""
    body, _, tail = r.stdout.rpartition("\n")
    code, _, ctype = tail.partition(" ")
    return int(code), ctype, body + "\n" if body else ""


def value(m, metric, **labels):
    return m.get((metric, tuple(labels.items())), None)


def total(m, name):
    return sum(v for (n, _), v in m.items() if n == name)


def promtool(ns, body, t, tag):
    path = os.path.join(t.log_dir, "exposition-%s.txt" % tag)
    with open(path, "w") as f:
        f.write(body)
    r = fi.sh(["promtool", "check", "metrics"], input=body, check_rc=False)
    fi.check(r.returncode == 0, "promtool check metrics failed (%s): %s%s"
             % (path, r.stdout, r.stderr))


def send_requests(ns):
    with ht.HttpConn(ns, fi.FANOUT_IP, 80) as c:
        for i in range(N_APP):
            c.send(ht.request("GET", "/app/%d" % i, host="metrics.test"))
            r = c.read_response()
            fi.check_eq(r.status, 200, "GET /app/%d" % i)
    with ht.HttpConn(ns, fi.FANOUT_IP, 80) as c:
        for i in range(N_404):
            c.send(ht.request("GET", "/nowhere/%d" % i, host="metrics.test"))
            r = c.read_response()
            fi.check_eq(r.status, 404, "GET /nowhere/%d" % i)


def phase_single(t, ns):
    fo = ns.start_fanout(CONF % {"metrics": ""})
    # 1. the default endpoint, 404 elsewhere, promtool
    code, ctype, body = scrape(ns, 9091)
    fi.check_eq(code, 200, "GET /metrics status")
    fi.check_eq(ctype, "text/plain; version=0.0.4; charset=utf-8", "content type")
    fi.check_eq(scrape(ns, 9091, "/")[0], 404, "GET / on the metrics port")
    fi.check_eq(scrape(ns, 9091, "/metrics/x")[0], 404, "GET /metrics/x")
    promtool(ns, body, t, "start")
    before = parse(body)
    for name in ("fanout_proxy_requests_total", "fanout_net_rx_pkts_total",
                 "fanout_tcp_seg_rx_total", "fanout_config_generation",
                 "fanout_config_last_reload_successful",
                 "fanout_config_last_reload_success_timestamp_seconds"):
        fi.check(value(before, name) is not None, "no %s in the exposition" % name)
    fi.check(value(before, "fanout_worker_busy_cycles_total", worker="0") is not None,
             "no per-worker busy cycles")
    for ip in IPS:
        fi.check_eq(value(before, "fanout_upstream_server_up", upstream="app",
                          server=ip + ":8000"), 1.0, "%s up" % ip)
    fi.check(any(n == "fanout_net_drops_total" and dict(l).get("reason") for (n, l) in before),
             "no drop reasons")

    # 2. requests counted
    send_requests(ns)
    # late segments of the closing connections may still be dropped (and counted)
    # around the scrape: telemetry brackets it
    tel0 = fo.stats()
    code, _, body = scrape(ns, 9091)
    fi.check_eq(code, 200, "second scrape")
    tel = fo.stats()
    after = parse(body)
    promtool(ns, body, t, "after-requests")

    def d(metric, **labels):
        return value(after, metric, **labels) - value(before, metric, **labels)

    fi.check_eq(d("fanout_proxy_requests_total"), N_APP + N_404, "requests counted")
    fi.check_eq(d("fanout_proxy_gen_404_total"), N_404, "404s made by fanout")
    per_server = [d("fanout_upstream_server_requests_total", upstream="app",
                    server=ip + ":8000") for ip in IPS]
    fi.check_eq(sum(per_server), N_APP, "requests to the app's servers %r" % per_server)
    fi.check(all(n > 0 for n in per_server), "a server got nothing: %r" % per_server)
    fi.check(d("fanout_worker_busy_cycles_total", worker="0") > 0, "busy cycles did not grow")
    # busy loop iterations by length: a histogram of 19 bounds and +Inf,
    # cumulative, +Inf equal to its count, which grew with the requests
    fi.check(d("fanout_worker_busy_loop_seconds_count", worker="0") > 0,
             "busy loop iterations not counted")
    bk = sorted((float(dict(k[1])["le"]), v) for k, v in after.items()
                if k[0] == "fanout_worker_busy_loop_seconds_bucket"
                and dict(k[1]).get("worker") == "0")
    fi.check(len(bk) == 20 and all(a[1] <= b[1] for a, b in zip(bk, bk[1:])),
             "busy loop buckets not 20 cumulative ones: %r" % bk)
    fi.check_eq(bk[-1][1], value(after, "fanout_worker_busy_loop_seconds_count", worker="0"),
                "+Inf bucket vs count")
    hist = tel["workers"]["0"]["busy_loop_hist"]
    fi.check(len(hist) == 20 and sum(hist) >= bk[-1][1],
             "telemetry busy_loop_hist %r vs metrics %r" % (hist, bk[-1][1]))
    fi.check(d("fanout_port_rx_packets_total", port="0", name="net_tap0") >= N_APP + N_404,
             "port 0 received fewer packets than requests")
    fi.check_eq(value(after, "fanout_port_link_up", port="0", name="net_tap0"), 1.0, "link up")
    fi.check(value(after, "fanout_mbuf_pool_size") > 0, "no mbuf pool size")
    fi.check_eq(value(after, "fanout_proxy_requests_total"), tel["proxy"]["requests"],
                "requests: metrics vs /fanout/stats")
    fi.check_eq(tel0["proxy"]["requests"], tel["proxy"]["requests"], "requests settled")
    for what, got, lo, hi in (
            ("net drops", total(after, "fanout_net_drops_total"), tel0["drops_total"],
             tel["drops_total"]),
            ("tcp drops", total(after, "fanout_tcp_drops_total"), tel0["tcp"]["drops_total"],
             tel["tcp"]["drops_total"]),
            ("tcp segments received", value(after, "fanout_tcp_seg_rx_total"),
             tel0["tcp"]["seg_rx"], tel["tcp"]["seg_rx"])):
        fi.check(lo <= got <= hi, "%s: metrics %d, /fanout/stats %d before the scrape, %d after"
                 % (what, got, lo, hi))

    # 3. reloads, good and bad
    ok0 = value(after, "fanout_config_reloads_total", result="ok")
    ts0 = value(after, "fanout_config_last_reload_success_timestamp_seconds")
    with open(fo.conf_path, "a") as f:
        f.write("route prefix /other { upstream app; }\n")
    r = fi.fanoutctl(fo.prefix, "reload")
    fi.check_eq(r.returncode, 0, "good reload (%s%s)" % (r.stdout, r.stderr))
    m = parse(scrape(ns, 9091)[2])
    fi.check_eq(value(m, "fanout_config_reloads_total", result="ok"), ok0 + 1, "reloads ok")
    fi.check_eq(value(m, "fanout_config_last_reload_successful"), 1.0, "last reload ok")
    fi.check(value(m, "fanout_config_last_reload_success_timestamp_seconds") > ts0,
             "the success timestamp did not move")
    fi.check(abs(value(m, "fanout_config_last_reload_success_timestamp_seconds") - time.time())
             < 60, "the success timestamp is not now")
    with open(fo.conf_path, "a") as f:
        f.write("route prefix /broken { upstream nosuch; }\n")
    r = fi.fanoutctl(fo.prefix, "reload")
    fi.check(r.returncode != 0, "a broken reload succeeded")
    m2 = parse(scrape(ns, 9091)[2])
    fi.check_eq(value(m2, "fanout_config_reloads_total", result="failed"),
                value(m, "fanout_config_reloads_total", result="failed") + 1, "reloads failed")
    fi.check_eq(value(m2, "fanout_config_last_reload_successful"), 0.0, "last reload failed")
    fi.check_eq(value(m2, "fanout_config_last_reload_success_timestamp_seconds"),
                value(m, "fanout_config_last_reload_success_timestamp_seconds"),
                "the success timestamp moved on a failure")
    fo.stop()


PROM_CONF = """# written by tests/integ/test_metrics.py
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: fanout
    static_configs:
      - targets: ["127.0.0.1:9100"]
"""


def prom_query(ns, q):
    url = "http://127.0.0.1:%d/api/v1/query?query=%s" % (PROM_PORT, urllib.parse.quote(q))
    r = ns.run(["curl", "-sS", "--max-time", "3", url], check_rc=False)
    if r.returncode != 0:
        return None
    try:
        res = json.loads(r.stdout)["data"]["result"]
    except (ValueError, KeyError):
        return None
    return float(res[0]["value"][1]) if res else None


def phase_prometheus(t, ns):
    fo = ns.start_fanout(CONF % {"metrics": "metrics 127.0.0.1:9100;"}, lcores="0,1")
    code, _, body = scrape(ns, 9100)
    fi.check_eq(code, 200, "GET /metrics on 9100 (control thread of its own)")
    promtool(ns, body, t, "two-lcores")
    fi.check(value(parse(body), "fanout_worker_busy_cycles_total", worker="0") is not None,
             "no worker 0")
    fi.check(ns.run(["curl", "-sS", "--max-time", "3", "http://127.0.0.1:9091/metrics"],
                    check_rc=False).returncode != 0, "the default port answers too")
    # silent clients in every slot: the control thread goes on (fanoutctl, reloads), the
    # proxy too, and the slots come back at the connections' 5 s deadline
    silent = []
    for _ in range(4):
        c = ns.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.settimeout(5)
        c.connect(("127.0.0.1", 9100))
        silent.append(c)
    t0 = time.monotonic()
    r = fi.fanoutctl(fo.prefix, "status")
    fi.check(r.returncode == 0 and time.monotonic() - t0 < 3,
             "fanoutctl status with the metrics slots taken: %r" % r)
    with ht.HttpConn(ns, fi.FANOUT_IP, 80) as c:
        c.send(ht.request("GET", "/app/x", host="metrics.test"))
        fi.check_eq(c.read_response().status, 200, "a request with the metrics slots taken")
    fi.wait_for(lambda: scrape(ns, 9100, check_rc=False)[0] == 200, 15, "a scrape once the silent ones expire")
    fi.check(time.monotonic() - t0 >= 3, "a scrape served while 4 silent clients held the slots")
    # the four deadlines may fall on two ticks of the control thread, or the last ones be
    # accepted later: a scrape can get the first freed slot before all four are closed
    fi.wait_for(lambda: value(parse(scrape(ns, 9100)[2]), "fanout_metrics_timeouts_total") == 4.0,
                12, "the 4 silent clients closed at their deadline (fanout_metrics_timeouts_total)")
    for c in silent:
        fi.check_eq(c.recv(10), b"", "a silent client was answered")
        c.close()
    conf = os.path.join(t.log_dir, "prometheus.yml")
    with open(conf, "w") as f:
        f.write(PROM_CONF)
    prom = ns.spawn(["prometheus", "--config.file=" + conf,
                     "--storage.tsdb.path=" + os.path.join(t.log_dir, "prom-data"),
                     "--web.listen-address=127.0.0.1:%d" % PROM_PORT], "prometheus")
    fi.wait_for(lambda: prom_query(ns, 'up{job="fanout"}') == 1.0, 60,
                "Prometheus scraping fanout (up == 1)", interval=0.5)
    send_requests(ns)
    want = fo.stats()["proxy"]["requests"]
    fi.check_eq(want, N_APP + N_404 + 1, "requests fanout counted")
    fi.wait_for(lambda: prom_query(ns, "fanout_proxy_requests_total") == want, 30,
                "Prometheus reporting %d requests" % want, interval=0.5)
    got = prom_query(ns, 'sum(fanout_upstream_server_requests_total{upstream="app"})')
    fi.check_eq(got, N_APP + 1, "requests to the app's servers, through Prometheus")
    prom.close()
    fo.stop()
    fo = ns.start_fanout(CONF % {"metrics": "metrics off;"})
    for port in (9091, 9100):
        fi.check(ns.run(["curl", "-sS", "--max-time", "3",
                         "http://127.0.0.1:%d/metrics" % port], check_rc=False).returncode != 0,
                 "metrics off, yet port %d answers" % port)
    fo.stop()


def main(t):
    ns = t.netns()
    ht.start_backends(ns, "testapp", IPS)
    phase_single(t, ns)
    phase_prometheus(t, ns)


fi.run(main)
