#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Route actions end to end: fanout on net_tap in a namespace, testapp
replicas (gunicorn) as the route's upstream and as default backends, curl
and a raw client.

Backends (testapp answers its name on /who, the request's head on
/echo-headers): "app" 198.18.0.31 behind the routes, "fb" 198.18.0.32 the
global default backend, "hostfb" 198.18.0.33 the default backend of
*.shop.example.

Checked:
 1. redirect { } (Gateway API RequestRedirect, ReplacePrefixMatch, scheme
    and host replaced, query kept): curl sees the exact status and
    Location; return (ingress-nginx permanent-redirect) answers its fixed
    URL; a redirect route without upstream never reaches a backend;
 2. app_root and slash_redirect, followed by curl -L to the page they
    point at (served through fanout by the route's upstream);
 3. header injection: an encoded CR LF in the query stays encoded in the
    Location, decoded path bytes are escaped again, a decoded CR LF in the
    path is a 400: no field is ever added;
 4. request_header / forwarded_prefix as the backend sees them
    (/echo-headers), response_header as curl sees them (gunicorn's Server
    removed, Content-Type replaced, a field added);
 5. default backends: no route -> the global one; a host with its own ->
    that one, also over a route without host; /healthz answered 200 by
    fanout when no route or host takes it (the backends never see it);
 6. the counters (gen_redirect, default_backend, gen_healthz) in
    fanoutctl stats and at exit; fanout exits 0.
"""

import json
import os

import fo_integ as fi
import http_tools as ht

PORT = 80
APP_IP, FB_IP, HOSTFB_IP = "198.18.0.31", "198.18.0.32", "198.18.0.33"

CONF = """# written by tests/integ/test_http_actions.py
interface net_tap0 {
    address 198.18.0.1/24;
}
listen 198.18.0.1:80;

upstream app { server %s:8000; }
upstream fb { server %s:8000; }
upstream hostfb { server %s:8000; }

route prefix /old/ {
    redirect { status 301; scheme https; host new.example; prefix /new/; }
}
route exact /gone {
    return 308 "https://example.com/moved";
}
route prefix / {
    host app.example;
    upstream app;
    app_root /who;
}
route prefix /docs/ {
    upstream app;
    rewrite /who;
    slash_redirect on;
}
route regex "/m(/|$)(.*)" {
    upstream app;
    rewrite "/$2";
    request_header set X-Env prod;
    request_header remove X-Secret;
    request_header add X-Added "a b";
    forwarded_prefix /m;
    response_header remove Server;
    response_header set Content-Type text/x-fanout;
    response_header add X-Route m;
}
route regex "/p(/|$)(.*)" {
    upstream app;
    rewrite "/$2";
}

default_backend fb;
default_backend hostfb host *.shop.example;
""" % (APP_IP, FB_IP, HOSTFB_IP)

BASE = "http://%s" % fi.FANOUT_IP


def pstats(fo):
    return fo.stats()["proxy"]


def curl_head(ns, path, *args):
    """curl without following: (status, Location) as curl reports them."""
    r = ht.curl(ns, BASE + path, "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
                *args)
    fi.check_eq(r.returncode, 0, "curl %s (%s)" % (path, r.stderr))
    code, _, loc = r.stdout.strip().partition(" ")
    return int(code), loc


def redirects(ns, app):
    fi.check_eq(curl_head(ns, "/old/a/b?x=1&y=2", "-H", "Host: a.example"),
                (301, "https://new.example/new/a/b?x=1&y=2"), "redirect prefix /old/ -> /new/")
    fi.check_eq(curl_head(ns, "/old", "-H", "Host: a.example"),
                (301, "https://new.example/new/"), "redirect of the bare prefix")
    fi.check_eq(curl_head(ns, "/gone?q=1"), (308, "https://example.com/moved"),
                "return 308: its fixed URL, no query")
    r = ht.get(ns, fi.FANOUT_IP, PORT, "/gone", method="HEAD")
    fi.check_eq((r.status, r.header("Location"), r.body), (308, "https://example.com/moved", b""),
                "HEAD of a redirect: no body")
    # app_root and slash_redirect, followed by curl through fanout
    fi.check_eq(curl_head(ns, "/?a=1", "-H", "Host: app.example"),
                (302, "http://app.example/who"), "app_root: / -> /who")
    r = ht.curl(ns, "http://app.example/", "-L", "--resolve",
                "app.example:80:%s" % fi.FANOUT_IP, "-w", " %{http_code} %{num_redirects}")
    fi.check_eq(r.stdout, "app 200 1", "curl -L through app_root to the app")
    fi.check_eq(curl_head(ns, "/docs?v=1"), (301, "http://%s/docs/?v=1" % fi.FANOUT_IP),
                "slash_redirect: /docs -> /docs/")
    r = ht.curl(ns, BASE + "/docs", "-L", "-w", " %{http_code} %{url_effective}")
    fi.check_eq(r.stdout, "app 200 %s/docs/" % BASE, "curl -L through slash_redirect")
    # an encoded CR LF in the query stays encoded; decoded path bytes copied by a
    # prefix replacement are escaped again; a decoded CR in the path is a 400
    with ht.HttpConn(ns, fi.FANOUT_IP, PORT) as c:
        c.send(b"GET /old/a%20b%3Fc/./d?%0D%0AX-Evil:1 HTTP/1.1\r\n"
               b"Host: a.example\r\n\r\n")
        r = c.read_response()
        fi.check_eq((r.status, r.header("Location")),
                    (301, "https://new.example/new/a%20b%3Fc/d?%0D%0AX-Evil:1"),
                    "Location with encoded CR LF and escaped path bytes")
        fi.check_eq([k for k, _ in r.headers if k.lower() in ("set-cookie", "x-evil")], [],
                    "no header injected")
        fi.check(r.keep_alive(), "the connection stays open after a redirect")
        c.send(b"GET /old/%0d%0aSet-Cookie:%20x=y HTTP/1.1\r\nHost: a.example\r\n\r\n")
        r = c.read_response()
        fi.check_eq((r.status, r.header("Location")), (400, None), "a decoded CR LF in the path")
    fi.check_eq(app.by_ip(APP_IP).request_paths().count("/who"), 2,
                "the app saw the two followed redirects only")


def modifiers(ns):
    r = ht.get(ns, fi.FANOUT_IP, PORT, "/m/echo-headers", headers=[
        ("X-Secret", "s3cret"), ("X-Env", "dev"), ("x-env", "dev2"),
        ("X-Forwarded-Prefix", "/evil"), ("X-Keep", "k")])
    fi.check_eq(r.status, 200, "GET /m/echo-headers")
    doc = json.loads(r.body)
    hdrs = {}
    for k, v in doc["headers"]:
        hdrs.setdefault(k.lower(), []).append(v)
    fi.log("headers the backend saw: %s" % doc["headers"])
    fi.check_eq(doc["path"], "/echo-headers", "rewritten path")
    fi.check_eq(hdrs.get("x-env"), ["prod"], "request_header set replaced both X-Env fields")
    fi.check("x-secret" not in hdrs, "request_header remove: X-Secret not forwarded")
    fi.check_eq(hdrs.get("x-added"), ["a b"], "request_header add")
    fi.check_eq(hdrs.get("x-forwarded-prefix"), ["/m"], "forwarded_prefix replaced the client's")
    fi.check_eq(hdrs.get("x-keep"), ["k"], "other fields untouched")
    fi.check_eq(r.header("Server"), None, "response_header remove Server (gunicorn's)")
    fi.check_eq(r.header_all("Content-Type"), ["text/x-fanout"], "response_header set")
    fi.check_eq(r.header("X-Route"), "m", "response_header add")
    # the same backend through a route without modifiers: its own head
    r = ht.get(ns, fi.FANOUT_IP, PORT, "/p/echo-headers", headers=[("X-Secret", "s")])
    fi.check_eq(r.header_all("Content-Type"), ["application/json"], "no modifiers on /p")
    fi.check(r.header("Server") is not None, "gunicorn's Server header kept on /p")
    fi.check_eq(dict((k.lower(), v) for k, v in json.loads(r.body)["headers"]).get("x-secret"),
                "s", "X-Secret forwarded on /p")


def defaults(ns, fb, hostfb):
    def who(path, host):
        r = ht.get(ns, fi.FANOUT_IP, PORT, path, host=host)
        return r.status, r.body.decode()

    fi.check_eq(who("/who", "other.example"), (200, "fb"), "no route: the global default")
    fi.check_eq(who("/who", "a.shop.example"), (200, "hostfb"), "the host's default backend")
    # the default backend gets the request as sent (no rewrite): testapp's 404 for /p/who
    fi.check_eq(who("/p/who", "B.Shop.Example:80"), (404, "no such endpoint\n"),
                "the host's default backend over a route without host")
    fi.check_eq(hostfb.by_ip(HOSTFB_IP).request_paths().count("/p/who"), 1,
                "/p/who of a host with a default backend reached it, path as sent")
    fi.check_eq(who("/p/who", "shop.example"), (200, "app"),
                "*.shop.example wants one more label: the route")
    fi.check_eq(who("/healthz", "other.example"), (200, "200 OK\n"),
                "/healthz answered by fanout")
    fi.check_eq(who("/healthz", "x.shop.example")[0], 404,
                "/healthz of a host with a default backend goes to it (testapp: 404)")
    fi.check("/healthz" not in fb.by_ip(FB_IP).request_paths(),
             "the global default backend never saw /healthz")
    fi.check_eq(hostfb.by_ip(HOSTFB_IP).request_paths().count("/healthz"), 1,
                "the host's default backend saw its /healthz")


def main(t):
    ns = t.netns()
    app = ht.start_backends(ns, "testapp", [APP_IP], names=["app"])
    fb = ht.start_backends(ns, "testapp", [FB_IP], names=["fb"])
    hostfb = ht.start_backends(ns, "testapp", [HOSTFB_IP], names=["hostfb"])
    conf_path = os.path.join(t.log_dir, "actions.conf")
    with open(conf_path, "w") as f:
        f.write(CONF)
    r = fi.sh([fi.FANOUT, "--", "-c", conf_path, "--check"], check_rc=False)
    fi.check(r.returncode == 0, "fanout --check: %s%s" % (r.stdout, r.stderr))
    fo = ns.start_fanout(conf=conf_path)

    redirects(ns, app)
    modifiers(ns)
    defaults(ns, fb, hostfb)

    r = fi.fanoutctl(fo.prefix, "stats")
    fi.check_eq(r.returncode, 0, "fanoutctl stats (%s)" % r.stderr)
    doc = json.loads(r.stdout)
    ps = doc.get("/fanout/stats", doc)["proxy"]
    fi.log("proxy counters: %s" % {k: v for k, v in ps.items()
                                   if not isinstance(v, dict) and v})
    # redirects: /old/a/b, /old, /gone, HEAD /gone, app_root twice, /docs twice, the encoded one
    fi.check_eq(ps["gen_redirect"], 9, "proxy.gen_redirect in fanoutctl stats")
    fi.check_eq(ps["default_backend"], 4, "proxy.default_backend in fanoutctl stats")
    fi.check_eq(ps["gen_healthz"], 1, "proxy.gen_healthz in fanoutctl stats")
    fi.check_eq(ps["gen_404"], 0, "no 404 made by fanout")
    fi.check_eq(ps["responses_5xx"], 0, "5xx responses")
    fi.wait_for(lambda: pstats(fo)["sessions"] == 0, 15, "every session to end")
    st = fo.stop()
    fi.check_eq(st["proxy.gen_redirect"], 9, "proxy.gen_redirect at exit")
    fi.check_eq(st["proxy.default_backend"], 4, "proxy.default_backend at exit")


if __name__ == "__main__":
    fi.run(main)
