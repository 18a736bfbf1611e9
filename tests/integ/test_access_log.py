#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The access log and the per-route metrics, with real backends.

fanout on net_tap in a namespace; testapp replicas on 198.18.0.11-12:8000.

 1. `access_log PATH` (upstreaminfo), two lcores (a control thread of its
    own), `metrics 127.0.0.1:9101`: requests to a proxied route (a User-Agent
    with a quote and a tab, a Referer, a /sleep of 0.2 s, a 503 from
    the backend, a header canary to another upstream), a `return 301` route, a path no route takes (404) and a
    head that does not parse (400): one line per request, in ingress-nginx's
    upstreaminfo layout, with the method, target, status, route's upstream,
    the replica that answered (its /who body) as upstream_addr, its status,
    bytes and times consistent with what the test measured; `fanoutctl
    routes` and /metrics (promtool) give the same per-route counts, and a
    real Prometheus scraping fanout returns them through its HTTP API;
 2. logrotate: the file renamed, SIGUSR1, more requests: they land in a
    new file at the path, the old one keeps exactly the earlier lines; a
    reload that keeps the /app route and adds one: /app's counters go on, the
    new one counts; a reload that changes access_log is refused (restart);
 3. `access_log PATH format=json buffer=16`, single lcore (the log is
    drained every 100 ms): a flood of wrk requests overfills the ring;
    every response is 2xx and no socket error, dropped entries are counted
    (fanout_access_log_entries_total{result="dropped"} > 0) and written +
    dropped equals the requests fanout counted, every line is a JSON object
    with the right fields, the file has exactly `written` lines.
"""

import json
import os
import re
import signal
import subprocess
import time
import urllib.parse

import fo_integ as fi
import http_tools as ht

IPS = ["198.18.0.11", "198.18.0.12"]
NAMES = ["testapp1", "testapp2"]
EP = {n: ip + ":8000" for n, ip in zip(NAMES, IPS)}
N_APP = 30
N_CANARY = 3
PROM_PORT = 9191

CONF = """# written by tests/integ/test_access_log.py
interface net_tap0 {
    address 198.18.0.1/24;
}
listen 198.18.0.1:80;
metrics 127.0.0.1:9101;
%(alog)s
upstream app {
    server 198.18.0.11:8000;
    server 198.18.0.12:8000;
}
upstream app2 {
    server 198.18.0.12:8000;
}
route prefix /app { upstream app; rewrite /who; canary app2 { header x-canary; } }
route prefix /sleep { upstream app; }
route prefix /status { upstream app; }
route exact /old { return 301 http://alog.test/new; }
"""

# ingress-nginx's log_format upstreaminfo
UPSTREAMINFO = re.compile(
    r'^(?P<remote_addr>\S+) - (?P<remote_user>\S+) \[(?P<time_local>[^\]]+)\] '
    r'"(?P<request>[^"]*)" (?P<status>\S+) (?P<body_bytes_sent>\d+) '
    r'"(?P<http_referer>[^"]*)" "(?P<http_user_agent>[^"]*)" (?P<request_length>\d+) '
    r'(?P<request_time>\d+\.\d{3}) \[(?P<proxy_upstream_name>[^\]]*)\] '
    r'\[(?P<proxy_alternative_upstream_name>[^\]]*)\] (?P<upstream_addr>\S+) '
    r'(?P<upstream_response_length>\S+) (?P<upstream_response_time>\S+) '
    r'(?P<upstream_status>\S+) (?P<req_id>\S+)$')

METRIC = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')


def read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        data = f.read()
    fi.check(data == b"" or data.endswith(b"\n"), "a partial line at the end of %s" % path)
    return data.decode("ascii").splitlines()


def wait_lines(path, n, what, timeout=10):
    fi.wait_for(lambda: len(read_lines(path)) >= n, timeout, "%d lines in %s (%s)"
                % (n, path, what))
    time.sleep(0.3)  # the next drains: nothing more may come
    lines = read_lines(path)
    fi.check_eq(len(lines), n, "lines in %s (%s)" % (path, what))
    return lines


def scrape(ns, port):
    r = ns.run(["curl", "-sS", "--max-time", "5", "http://127.0.0.1:%d/metrics" % port])
    return r.stdout


def parse_metrics(body):
    out = {}
    for line in body.splitlines():
        if line.startswith("#") or not line:
            continue
        m = METRIC.match(line)
        fi.check(m is not None, "not a sample line: %r" % line)
        out[(m.group(1), tuple(sorted(LABEL.findall(m.group(2) or ""))))] = float(m.group(3))
    return out


def metric(m, name, **labels):
    return m.get((name, tuple(sorted(labels.items()))), 0.0)


def promtool(t, body, tag):
    path = os.path.join(t.log_dir, "exposition-%s.txt" % tag)
    with open(path, "w") as f:
        f.write(body)
    r = fi.sh(["promtool", "check", "metrics"], input=body, check_rc=False)
    fi.check(r.returncode == 0, "promtool check metrics failed (%s): %s%s"
             % (path, r.stdout, r.stderr))


def one(ns, raw, method="GET"):
    """Send @raw on a fresh connection; (response, seconds it took)."""
    with ht.HttpConn(ns, fi.FANOUT_IP, 80) as c:
        t0 = time.monotonic()
        c.send(raw)
        r = c.read_response(method)
        return r, time.monotonic() - t0


def check_line(f, want, what):
    for k, v in want.items():
        fi.check_eq(f[k], v, "%s: %s in %r" % (what, k, f))


def phase_text(t, ns):
    path = os.path.join(t.log_dir, "access.log")
    fo = ns.start_fanout(CONF % {"alog": "access_log %s;" % path}, lcores="0,1")
    sent = []  # (what we expect in the line, measured seconds, replica or None)
    ua = 'probe "q"\tx'  # a quote and a control byte (HTAB, the one a field value may hold)
    for i in range(N_APP):
        raw = ht.request("GET", "/app/%d?x=%d" % (i, i), host="alog.test",
                         headers=(("User-Agent", ua), ("Referer", "http://r.test/%d" % i)))
        r, took = one(ns, raw)
        fi.check_eq(r.status, 200, "GET /app/%d" % i)
        sent.append(({"request": "GET /app/%d?x=%d HTTP/1.1" % (i, i), "status": "200",
                      "proxy_upstream_name": "app", "upstream_status": "200",
                      "upstream_addr": EP[r.body.decode()],
                      "http_user_agent": 'probe \\x22q\\x22\\x09x',
                      "http_referer": "http://r.test/%d" % i,
                      "request_length": str(len(raw)),
                      "body_bytes_sent": str(len(r.body))}, took))
    r, took = one(ns, ht.request("GET", "/sleep?s=0.2", host="alog.test"))
    fi.check_eq(r.status, 200, "GET /sleep")
    sent.append(({"request": "GET /sleep?s=0.2 HTTP/1.1", "status": "200",
                  "upstream_status": "200"}, took))
    r, took = one(ns, ht.request("GET", "/status?code=503", host="alog.test"))
    fi.check_eq(r.status, 503, "GET /status?code=503")
    sent.append(({"request": "GET /status?code=503 HTTP/1.1", "status": "503",
                  "upstream_status": "503", "proxy_upstream_name": "app"}, took))
    r, took = one(ns, ht.request("GET", "/old", host="alog.test"))
    fi.check_eq(r.status, 301, "GET /old")
    sent.append(({"request": "GET /old HTTP/1.1", "status": "301", "upstream_addr": "-",
                  "upstream_status": "-", "upstream_response_time": "-"}, took))
    r, took = one(ns, ht.request("GET", "/nowhere", host="alog.test"))
    fi.check_eq(r.status, 404, "GET /nowhere")
    sent.append(({"request": "GET /nowhere HTTP/1.1", "status": "404", "upstream_addr": "-",
                  "proxy_upstream_name": "", "req_id": "-"}, took))
    r, took = one(ns, b"GET /bad\x01 HTTP/1.1\r\nHost: alog.test\r\n\r\n")
    fi.check_eq(r.status, 400, "a head that does not parse")
    sent.append(({"request": "-", "status": "400", "upstream_addr": "-"}, took))
    for i in range(N_CANARY):
        r, took = one(ns, ht.request("GET", "/app/c%d" % i, host="alog.test",
                                     headers=(("X-Canary", "always"),)))
        fi.check_eq(r.body, b"testapp2", "the canary's replica answered")
        sent.append(({"request": "GET /app/c%d HTTP/1.1" % i, "status": "200",
                      "proxy_upstream_name": "app", "proxy_alternative_upstream_name": "app2",
                      "upstream_addr": EP["testapp2"]}, took))

    lines = wait_lines(path, len(sent), "one per request")
    for i, (line, (want, took)) in enumerate(zip(lines, sent)):
        m = UPSTREAMINFO.match(line)
        fi.check(m is not None, "line %d is not upstreaminfo: %r" % (i, line))
        f = m.groupdict()
        check_line(f, want, "line %d" % i)
        fi.check_eq(f["remote_addr"], fi.KERNEL_IP, "remote_addr")
        if "proxy_alternative_upstream_name" not in want:
            fi.check_eq(f["proxy_alternative_upstream_name"], "", "no alternative upstream")
        rt = float(f["request_time"])
        fi.check(rt <= took + 0.002, "line %d: request_time %.3f > %.3f measured by the client"
                 % (i, rt, took))
        if f["upstream_response_time"] != "-":
            fi.check(float(f["upstream_response_time"]) <= rt,
                     "line %d: upstream time > request time" % i)
        if want["status"] == "200" and "upstream_addr" in want:
            fi.check(re.fullmatch(r"[0-9a-f]{32}", f["req_id"]) is not None,
                     "line %d: req_id %r" % (i, f["req_id"]))
    sleep_line = UPSTREAMINFO.match(lines[N_APP]).groupdict()
    fi.check(float(sleep_line["request_time"]) >= 0.2 and
             float(sleep_line["upstream_response_time"]) >= 0.2,
             "the 0.2 s sleep is not in the times: %r" % sleep_line)
    fi.check(abs(time.mktime(time.strptime(UPSTREAMINFO.match(lines[0]).group("time_local"),
                                           "%d/%b/%Y:%H:%M:%S %z")) - time.time()) < 120,
             "time_local is not now: %r" % lines[0])

    # fanoutctl routes and /metrics agree with what was sent
    r = fi.fanoutctl(fo.prefix, "--json", "routes")
    fi.check_eq(r.returncode, 0, "fanoutctl routes (%s)" % r.stderr)
    routes = {(x["route"], x["upstream"]): x for x in json.loads(r.stdout)["routes"]}
    fi.check_eq(routes[("* /app", "app")]["2xx"], N_APP, "fanoutctl routes: /app 2xx")
    fi.check_eq(routes[("* /app", "app2")]["2xx"], N_CANARY, "fanoutctl routes: /app's canary")
    fi.check_eq(routes[("* /status", "app")]["5xx"], 1, "fanoutctl routes: /status 5xx")
    fi.check_eq(routes[("* = /old", "")]["3xx"], 1, "fanoutctl routes: /old 3xx")
    fi.check_eq(routes[("", "")]["4xx"], 2, "fanoutctl routes: no route, 4xx (404 + 400)")
    body = scrape(ns, 9101)
    promtool(t, body, "text")
    m = parse_metrics(body)
    fi.check_eq(metric(m, "fanout_requests_total", route="* /app", upstream="app",
                       status="2xx"), N_APP, "fanout_requests_total for /app")
    fi.check_eq(metric(m, "fanout_requests_total", route="* /app", upstream="app2",
                       status="2xx"), N_CANARY, "fanout_requests_total for /app's canary")
    fi.check_eq(metric(m, "fanout_request_duration_seconds_count", route="* /app",
                       upstream="app"), N_APP, "request duration count for /app")
    fi.check_eq(metric(m, "fanout_upstream_response_duration_seconds_count", route="* /sleep",
                       upstream="app"), 1, "upstream duration count for /sleep")
    fi.check_eq(metric(m, "fanout_upstream_response_duration_seconds_bucket", route="* /sleep",
                       upstream="app", le="0.1"), 0, "the 0.2 s sleep under 0.1 s")
    fi.check_eq(metric(m, "fanout_upstream_response_duration_seconds_bucket", route="* /sleep",
                       upstream="app", le="0.25"), 1, "the 0.2 s sleep under 0.25 s")
    fi.check_eq(metric(m, "fanout_access_log_entries_total", result="written"), len(sent),
                "written entries")
    fi.check_eq(metric(m, "fanout_access_log_entries_total", result="dropped"), 0,
                "dropped entries")
    tel = fo.stats()
    fi.check_eq(tel["access_log_written"], len(sent), "fanoutctl stats: access_log_written")

    # a real Prometheus: per-route counts through its HTTP API
    conf = os.path.join(t.log_dir, "prometheus.yml")
    with open(conf, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n"
                "  - job_name: fanout\n    static_configs:\n"
                "      - targets: [\"127.0.0.1:9101\"]\n")
    prom = ns.spawn(["prometheus", "--config.file=" + conf,
                     "--storage.tsdb.path=" + os.path.join(t.log_dir, "prom-data"),
                     "--web.listen-address=127.0.0.1:%d" % PROM_PORT], "prometheus")

    def q(expr):
        url = "http://127.0.0.1:%d/api/v1/query?query=%s" % (PROM_PORT, urllib.parse.quote(expr))
        r = ns.run(["curl", "-sS", "--max-time", "3", url], check_rc=False)
        try:
            res = json.loads(r.stdout)["data"]["result"]
        except (ValueError, KeyError):
            return None
        return float(res[0]["value"][1]) if res else None

    fi.wait_for(lambda: q('fanout_requests_total{route="* /app",status="2xx"}') == N_APP, 60,
                "Prometheus reporting %d requests on route /app" % N_APP, interval=0.5)
    fi.check_eq(q('sum(fanout_requests_total{upstream="app"})'), N_APP + 2,
                "requests to upstream app through Prometheus")
    fi.check_eq(q('fanout_requests_total{route="* = /old",status="3xx"}'), 1,
                "the redirect through Prometheus")
    fi.check_eq(q('fanout_requests_total{route="* /app",upstream="app2"}'), N_CANARY,
                "the canary's requests through Prometheus")
    prom.close()

    # 2. logrotate: rename, SIGUSR1, more requests go to a new file
    os.rename(path, path + ".1")
    os.kill(fo.proc.pid, signal.SIGUSR1)
    fi.wait_for(lambda: os.path.exists(path), 5, "the access log reopened at its path")
    for i in range(5):
        r, _ = one(ns, ht.request("GET", "/app/rotated%d" % i, host="alog.test"))
        fi.check_eq(r.status, 200, "GET after the rotation")
    new = wait_lines(path, 5, "after the rotation")
    fi.check(all("/app/rotated" in x for x in new), "unexpected lines after the rotation: %r"
             % new)
    fi.check_eq(read_lines(path + ".1"), lines, "the rotated file kept its lines")
    m = parse_metrics(scrape(ns, 9101))
    fi.check_eq(metric(m, "fanout_access_log_reopens_total", result="ok"), 1, "reopens")

    # 3. a reload that keeps /app and adds a route: /app's counters go on
    with open(fo.conf_path, "a") as f:
        f.write("route prefix /more { upstream app; }\n")
    r = fi.fanoutctl(fo.prefix, "reload")
    fi.check_eq(r.returncode, 0, "reload (%s%s)" % (r.stdout, r.stderr))
    for target in ("/app/reloaded", "/more"):
        r, _ = one(ns, ht.request("GET", target, host="alog.test"))
        fi.check(r.status in (200, 404), "GET %s after the reload" % target)
    m = parse_metrics(scrape(ns, 9101))
    fi.check_eq(metric(m, "fanout_requests_total", route="* /app", upstream="app",
                       status="2xx"), N_APP + 6, "/app counted across the reload")
    fi.check_eq(metric(m, "fanout_requests_total", route="* /more", upstream="app",
                       status="4xx"), 1, "the new route counted")
    # the access log is read at start-up: changing it needs a restart
    with open(fo.conf_path) as f:
        text = f.read()
    fi.check("access_log %s;" % path in text, "no access_log line in the config")
    with open(fo.conf_path, "w") as f:
        f.write(text.replace("access_log %s;" % path, "access_log off;"))
    r = fi.fanoutctl(fo.prefix, "reload")
    fi.check(r.returncode != 0 and "need a restart" in r.stdout + r.stderr,
             "a reload changing access_log was not refused: %r" % r)
    fo.stop()


def phase_flood(t, ns):
    path = os.path.join(t.log_dir, "access.json")
    fo = ns.start_fanout(CONF % {"alog": "access_log %s format=json buffer=16;" % path})
    m0 = parse_metrics(scrape(ns, 9101))
    wrk = subprocess.Popen(ns.argv(["wrk", "-t1", "-c16", "-d3s", "--timeout", "5s",
                                    "http://%s/app/flood" % fi.FANOUT_IP]),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = wrk.communicate(timeout=60)
    fi.check_eq(wrk.returncode, 0, "wrk exit status (%s)" % err)
    fi.log("wrk:\n" + out)
    fi.check("Non-2xx" not in out and "Socket errors" not in out,
             "failed requests while the log ring overflowed:\n" + out)
    n = int(re.search(r"(\d+) requests in", out).group(1))
    time.sleep(0.5)  # the last drains
    m = parse_metrics(scrape(ns, 9101))
    req = (metric(m, "fanout_proxy_requests_total") - metric(m0, "fanout_proxy_requests_total"))
    written = metric(m, "fanout_access_log_entries_total", result="written")
    dropped = metric(m, "fanout_access_log_entries_total", result="dropped")
    fi.log("requests %d (wrk %d), log written %d, dropped %d" % (req, n, written, dropped))
    fi.check(req >= n, "fanout counted fewer requests than wrk completed")
    fi.check(dropped > 0, "a 15-entry ring drained every 100 ms did not overflow")
    fi.check_eq(written + dropped, req, "written + dropped = requests")
    lines = read_lines(path)
    fi.check_eq(len(lines), written, "lines in the JSON log")
    cut = 0  # requests in flight when wrk closed its connections: 499, aborted
    for line in lines:
        e = json.loads(line)
        fi.check_eq(e["request"], "GET /app/flood HTTP/1.1", "request")
        fi.check_eq(e["route"], "* /app", "route")
        fi.check_eq(e["proxy_upstream_name"], "app", "upstream")
        fi.check(e["upstream_addr"] in EP.values(), "upstream_addr %r" % e["upstream_addr"])
        if e["status"] != 200:
            fi.check(e["status"] == 499 and e.get("aborted"), "an entry neither 200 nor "
                     "cut by wrk's close: %r" % e)
            cut += 1
            continue
        fi.check_eq(e["upstream_status"], 200, "upstream_status")
        fi.check(0 <= e["upstream_response_time"] <= e["request_time"], "times %r" % e)
    fi.check(cut <= 16, "%d requests cut, more than wrk's 16 connections" % cut)
    ok = metric(m, "fanout_requests_total", route="* /app", upstream="app", status="2xx")
    fi.check_eq(ok + metric(m, "fanout_requests_total", route="* /app", upstream="app",
                            status="4xx"), req, "per-route count under the flood")
    fi.check(ok >= req - 16, "per-route 2xx under the flood: %d of %d" % (ok, req))
    fo.stop()


def main(t):
    ns = t.netns()
    ht.start_backends(ns, "testapp", IPS, names=NAMES)
    phase_text(t, ns)
    phase_flood(t, ns)


fi.run(main)
