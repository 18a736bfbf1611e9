#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Differential test of fanout's routing against nginx configured as
ingress-nginx renders the same Ingresses, both in front of the same echo
upstreams (tests/backends/echo.py: each address answers as one service
with the request-target exactly as it arrived).

Two references:
  - the seed's Ingress: tests/bench/nginx-ingress.conf.in (the bench's
    nginx), rules without host, rewrite-target /$2 + use-regex;
  - a larger set of Ingresses (INGRESSES below, rendered by hand into
    tests/integ/nginx-route-diff.conf.in): exact, prefix (with and without
    a trailing '/'), a wildcard host and an exact host under it, a
    use-regex host, a rewrite-target host whose other Ingress's plain
    paths become regexes too, and the seed's rules for any other host.
fanout runs CONF, the native config a user would write for them.

Every request (seed_targets(), seed_hosts(), seed_absolute() and
large_targets(): 415, sent over raw sockets so that nothing normalises
them on the way) goes to both, one connection each. Its outcome on each side is the service
that answered with the path and query it received, or the status when no
service answered (404, 400, ...). The test fails when an outcome differs,
except for the entries of EXPECTED_DIFF (fanout's decided behaviour, each
with its reason, both sides' outcomes asserted) and OPEN (differences
reported to the routing issue as product bugs: printed, not asserted). It
also fails when an entry of either table stops differing as recorded (the
table must then lose or fix it).

Outcomes compare the forwarded path and query exactly (an empty query
"?" is not the same as none); a 404 from nginx's default backend and
fanout's own 404 are the same outcome.
"""

import json
import os
import sys

import fo_integ as fi
import http_tools as ht

PORT = 80
SEED_NGINX_IP = "198.18.0.3"
NGINX_IP = "198.18.0.4"
HERE = os.path.dirname(os.path.abspath(__file__))

# the echo's addresses: the seed's upstreams (nginx-ingress.conf.in has three
# servers each: all answer) and one address per service of INGRESSES
SERVICES = {ip: "django-service" for ip in ht.DJANGO_IPS}
SERVICES.update({ip: "flask-service" for ip in ht.FLASK_IPS})
NAMES = ["cart", "api", "api-v2", "static", "apps", "apps-health", "admin", "user",
         "user-admin", "docs", "app", "other", "exact"]
SERVICES.update({"198.18.0.%d" % (101 + i): n for i, n in enumerate(NAMES)})
ADDR = {n: ip for ip, n in SERVICES.items()}

INGRESSES = """
# the seed (config/fanout.conf), for every host no other Ingress names
kind: Ingress
metadata: {name: seed, annotations: {nginx.ingress.kubernetes.io/rewrite-target: /$2,
                                     nginx.ingress.kubernetes.io/use-regex: "true"}}
spec: {rules: [{http: {paths: [
  {path: "/test01(/|$)(.*)", pathType: ImplementationSpecific, backend: django-service},
  {path: "/test02(/|$)(.*)", pathType: ImplementationSpecific, backend: flask-service}]}}]}
---
kind: Ingress
metadata: {name: shop}
spec: {rules: [{host: shop.example, http: {paths: [
  {path: /cart, pathType: Exact, backend: cart},
  {path: /api, pathType: Prefix, backend: api},
  {path: /api/v2, pathType: Prefix, backend: api-v2},
  {path: /static/, pathType: Prefix, backend: static}]}}]}
---
kind: Ingress
metadata: {name: apps}
spec: {rules: [{host: "*.apps.example", http: {paths: [
  {path: /, pathType: Prefix, backend: apps},
  {path: /healthz, pathType: Exact, backend: apps-health}]}},
  {host: admin.apps.example, http: {paths: [{path: /, pathType: Prefix, backend: admin}]}}]}
---
kind: Ingress
metadata: {name: re, annotations: {nginx.ingress.kubernetes.io/use-regex: "true"}}
spec: {rules: [{host: re.example, http: {paths: [
  {path: "/user/[0-9]+", pathType: ImplementationSpecific, backend: user},
  {path: /user/admin, pathType: Prefix, backend: user-admin},
  {path: /Docs, pathType: Exact, backend: docs}]}}]}
---
kind: Ingress
metadata: {name: rw, annotations: {nginx.ingress.kubernetes.io/rewrite-target: /$2}}
spec: {rules: [{host: rw.example, http: {paths: [
  {path: "/app(/|$)(.*)", pathType: ImplementationSpecific, backend: app}]}}]}
---
kind: Ingress
metadata: {name: rw-plain}
spec: {rules: [{host: rw.example, http: {paths: [
  {path: /other, pathType: Prefix, backend: other},
  {path: /exact, pathType: Exact, backend: exact}]}}]}
"""

# The native config for INGRESSES, written as the Ingresses say (paths and
# types as they are) with `match_order ingress-nginx;`: fanout then turns
# the paths of a host that has a regex into case-insensitive regexes in
# ingress-nginx's order, and lets a host own its requests, as
# ingress-nginx's server blocks do.
CONF = """# written by tests/integ/test_route_diff.py
interface net_tap0 {
    address 198.18.0.1/24;
}
listen 198.18.0.1:80;

""" + "".join("upstream %s { %s}\n" % (svc, "".join("server %s:8000; " % ip for ip in ips))
            for svc, ips in (("django-service", ht.DJANGO_IPS), ("flask-service", ht.FLASK_IPS))
            ) + "".join("upstream %s { server %s:8000; }\n" % (n, ADDR[n]) for n in NAMES) + """
match_order ingress-nginx;

# seed
route regex "/test01(/|$)(.*)" { upstream django-service; rewrite "/$2"; }
route regex "/test02(/|$)(.*)" { upstream flask-service; rewrite "/$2"; }

# shop
route exact /cart { host shop.example; upstream cart; }
route prefix /api { host shop.example; upstream api; }
route prefix /api/v2 { host shop.example; upstream api-v2; }
route prefix /static/ { host shop.example; upstream static; slash_redirect on; }

# apps
route prefix / { host *.apps.example; upstream apps; }
route exact /healthz { host *.apps.example; upstream apps-health; }
route prefix / { host admin.apps.example; upstream admin; }

# re (use-regex)
route regex "/user/[0-9]+" { host re.example; upstream user; }
route prefix /user/admin { host re.example; upstream user-admin; }
route exact /Docs { host re.example; upstream docs; }

# rw (rewrite-target) and rw-plain
route regex "/app(/|$)(.*)" { host rw.example; upstream app; rewrite "/$2"; }
route prefix /other { host rw.example; upstream other; }
route exact /exact { host rw.example; upstream exact; }
"""


# ---------------------------------------------------------------------------
# Request targets. A case is (host, target): host is the Host field
# (None: none sent), target the request-target as bytes on the wire
# (latin-1 str, so "\xc3\xa9" is two raw bytes).

def seed_targets():
    out = []
    for b in ("/test01", "/test02"):
        out += [b, b + "/", b + "/x", b + "/x/", b + "/a/b/c", b + "/a/b/c/",
                b.upper(), b.upper() + "/X", b.capitalize() + "/Mixed/Case",
                b + "x", b + "x/y", b + "-x", b + ".x", b + "/x?q=1", b + "?q=1",
                b + "/?q=1&r=2", b + "/x?q=a%20b&r=%2F", b + "/x?", b + "?",
                b + "/x?q=1?2", b + "/x;p=1", b + "//x", b + "///x//y",
                "/" + b, "//" + b[1:] + "/x",
                b + "/./x", b + "/.", b + "/x/.", b + "/x/..", b + "/x/../y",
                b + "/..", b + "/a/b/../../c",
                b + "%2Fx", b + "%2fx", b + "/%2F", b + "/a%2Fb", b + "%2F%2Fx",
                b + "/%7Euser", b + "/%41%42", b + "/%2e", b + "/%2E%2E/x",
                b + "/%2e%2e/x", b + "/.%2e/x", b + "/a/%2e%2e/b",
                b + "/a%20b", b + "/a%2520b", b + "/%3F", b + "/%3Fq=1?r=2",
                b + "/%23frag", b + "/%25", b + "/%22q%22", b + "/%c3%a9",
                b + "/%zz", b + "/%4", b + "/%00", b + "/%0a", b + "/%09",
                b + "/x#frag", b + "/\xc3\xa9"]
    out += ["/test01/../test02/x", "/test02/../test01/x", "/test01/%2e%2e/test02/x",
            "/test01/a/%2e%2e/%2e%2e/test02/z", "/x/../test01/y", "/./test01/x",
            "/%74est01/x", "/t%65st02/", "/test0%31/x", "/TEST0%31/x",
            "/../test01", "/test01/../../x", "/test01/%2E%2E/%2E%2E/x",
            "/", "/test", "/test0", "/test03", "/test011", "/te%2Fst01",
            "/%2Ftest01/x", "/x/test01", "/?test01",
            "/test01/%2541", "/test01/%u0041", "/test01/x%", "/test01/x?q=%zz&r=%2e%2e/..",
            "/test01/x?q=%2e%2e/..&r=%23"]
    # what nginx escapes again in a rewritten path (and what it leaves): every
    # printable ASCII byte and two others, encoded, and the odd ones raw
    out += ["/test01/a%%%02Xb" % c for c in list(range(0x20, 0x7f)) + [0x80, 0xff]
            if chr(c) not in "/.%"]
    out += ["/test01/a%sb" % c for c in '"<>\\^`{|}!$&\'()*+,;=:@[]']
    return [("example.com", t) for t in dict.fromkeys(out)]


def seed_hosts():
    t = "/test01/h"
    return [(h, t) for h in ("example.com:80", "EXAMPLE.COM", "example.com.", "198.18.0.1",
                             "198.18.0.1:80", "a_b.example", None)]


def seed_absolute():
    return [("example.com", t) for t in (
        "http://example.com/test01/abs", "http://EXAMPLE.com:80/test02/abs?q=1",
        "http://other.example/test01/x", "HTTP://example.com/test02/",
        "http://example.com/test01/%2e%2e/test02/z", "http://example.com/test01//x",
        "http://example.com?x=1", "https://example.com/test02/s",
        "http://user@example.com/test01/u", "http://[::1]:80/test01/v")]


def large_targets():
    out = []
    shop = ["/cart", "/cart/", "/Cart", "/cartx", "/cart/x", "/cart?x=1", "/%63art", "/./cart",
            "//cart", "/cart/.", "/x/../cart",
            "/api", "/api/", "/api/x", "/apix", "/API/x", "/api//x", "/api/%2e%2e/cart",
            "/api/x/../y", "/api%2Fx", "/%61pi/x?q=%41", "/api/v2", "/api/v2/", "/api/v2/x",
            "/api/v2x", "/api/v3", "/api/V2/x", "/api/v2/../x", "/api/./v2/x",
            "/static", "/static/", "/static/a.css", "/staticx", "/static//a", "/",
            "/test01/x", "/nothing", "/api/x?a=1&b=%2F"]
    out += [("shop.example", t) for t in shop]
    out += [(h, "/api/host") for h in ("SHOP.EXAMPLE", "Shop.Example:80", "shop.example:8080",
                                         "shop.example.", "shop.example..", "www.shop.example",
                                         "shopexample")]
    apps = ["/", "/x/y", "/healthz", "/healthz/", "/HEALTHZ", "/healthzx", "/%68ealthz",
            "/a/../healthz", "/test01/x"]
    for h in ("x.apps.example", "X-1.APPS.example:80", "a_b.apps.example", "admin.apps.example",
              "ADMIN.apps.example", "a.b.apps.example", "apps.example", ".apps.example"):
        out += [(h, t) for t in apps[:3]] if h != "x.apps.example" else [(h, t) for t in apps]
    re_ = ["/user/1", "/user/123/x", "/USER/42", "/user/", "/user/x", "/user/admin",
           "/user/adminx", "/User/Admin/y", "/user/1admin", "/docs", "/Docs", "/DOCS/x",
           "/docsxyz", "/doc", "/user/%31", "/user//1", "/x/../user/2", "/test01/x", "/"]
    out += [("re.example", t) for t in re_]
    rw = ["/app", "/app/", "/app/x", "/App/x?y=1", "/APP/a/b/", "/appx", "/app//x",
          "/app/%2e%2e/x", "/app/%2Fx", "/app/a%20b", "/app/%3F?q=1", "/app/%c3%a9",
          "/other", "/other/", "/other/x", "/otherx", "/OTHER/x", "/exact", "/exact/x",
          "/exactly", "/EXACT", "/", "/nothing", "/test02/x", "/app?x=1",
          "/app/a%22b%7Bc%7D", '/app/a"b{c}', "/app/%25%23%3F%20"]
    out += [("rw.example", t) for t in rw]
    out += [("unknown.example", t) for t in ("/api/x", "/cart", "/user/1", "/app/x",
                                             "/test02/x")]
    out += [("other.example", t) for t in (
        "http://shop.example/api/abs", "http://Shop.Example:80/cart",
        "http://x.apps.example/healthz", "http://re.example/user/7?q=1",
        "http://rw.example/app/abs", "http://unknown.example/api/x",
        "http://x.apps.example", "http://x.apps.example?q=1", "http://shop.example?q=1")]
    return out


# Differences fanout keeps on purpose: (host, target) -> (nginx outcome,
# fanout outcome, reason). Outcomes as outcome() returns them.
EXPECTED_DIFF = {}
for _b, _s in (("/test01", "django-service"), ("/test02", "flask-service")):
    EXPECTED_DIFF.update({
        ("example.com", _b + "/%0a"): (
            (_s, "/", None), 400,
            "a decoded control character is refused (400); nginx routes it (its (.*) stops "
            "before the \\n, so the rewrite gives /); fanout never lets one reach a regex "
            "(Hyperscan's $ matches before a trailing \\n) or a backend"),
        ("example.com", _b + "/%09"): (
            (_s, "/%09", None), 400,
            "a decoded control character (TAB) is refused, as above; nginx routes it and "
            "escapes it again in the rewritten path"),
        ("example.com", _b + "/\xc3\xa9"): (
            (_s, "/%C3%A9", None), 400,
            "raw bytes above 0x7e in the request-target are refused by fanout's parser "
            "(RFC 9112/3986: they must be percent-encoded); nginx accepts them"),
        ("example.com", _b + "/x#frag"): (
            (_s, "/x", None), 400,
            "a '#' in the request-target is refused by fanout's parser (RFC 9112: a "
            "fragment is never sent); nginx drops it and what follows"),
    })

# Differences the product is expected to remove, reported to the routing
# issue: (host, target) -> why. Not asserted (their outcomes are printed
# at every run); the test fails once one agrees, so that it leaves the table.
OPEN = {}


def all_cases():
    seed = seed_targets() + seed_hosts() + seed_absolute()
    large = large_targets()
    return seed, large


# ---------------------------------------------------------------------------


def exchange(ns, ip, host, target):
    """Send one GET (Connection: close) with @target and @host as they are; return the
    Response, or None when the peer closed without one."""
    head = "GET %s HTTP/1.1\r\n" % target
    if host is not None:
        head += "Host: %s\r\n" % host
    head += "Connection: close\r\n\r\n"
    with ht.HttpConn(ns, ip, PORT, timeout=10) as c:
        c.send(head.encode("latin-1"))
        try:
            return c.read_response()
        except (ht.HttpError, ConnectionResetError):
            return None


def outcome(r):
    """(service, path, query) for a request an echo service answered (query None
    when the target had no '?'), else the status (int), else "closed"."""
    if r is None:
        return "closed"
    if r.status == 200 and r.header("Content-Type") == "application/json":
        try:
            doc = json.loads(r.body)
        except ValueError:
            return r.status
        path, q, query = doc["target"].partition("?")
        return (doc["service"], path, query if q else None)
    return r.status


def fmt(o):
    return o if not isinstance(o, tuple) else "%s %s%s" % (
        o[0], o[1], "" if o[2] is None else "?" + o[2])


def compare(ns, fo_ip, ngx_ip, cases, what):
    """Compare every case; return (agree, expected, pending, failures)."""
    agree, expected, pending, bad = 0, [], [], []
    for host, target in cases:
        key = (host, target)
        n = outcome(exchange(ns, ngx_ip, host, target))
        f = outcome(exchange(ns, fo_ip, host, target))
        if key in OPEN:
            pending.append((key, n, f))
            fi.log("open %r: nginx %s, fanout %s (%s)" % (key, fmt(n), fmt(f), OPEN[key]))
            if n == f:
                bad.append("%r is in OPEN but both sides agree now (%s): remove it"
                           % (key, fmt(n)))
            continue
        if key in EXPECTED_DIFF:
            wn, wf, why = EXPECTED_DIFF[key]
            expected.append((key, why))
            if (n, f) != (wn, wf):
                bad.append("%r: expected difference nginx %s / fanout %s, got nginx %s / "
                           "fanout %s" % (key, fmt(wn), fmt(wf), fmt(n), fmt(f)))
            continue
        if n == f:
            agree += 1
        else:
            bad.append("%s %r: nginx %s, fanout %s" % (what, key, fmt(n), fmt(f)))
    return agree, expected, pending, bad


def main(t):
    ns = t.netns()
    ht.start_echo(ns, SERVICES)
    ht.start_nginx_ingress(ns, ip=SEED_NGINX_IP, access_log=False)
    ht.add_addresses(ns, [NGINX_IP])
    ht.start_nginx(ns, "nginx-route-diff", "nginx-route-diff.conf.in", template_dir=HERE,
                   wait=[(NGINX_IP, PORT)], LISTEN="%s:%d" % (NGINX_IP, PORT))
    fo = ns.start_fanout(conf=CONF)

    # the echo answers as the service it stands for, through both
    for ip in (SEED_NGINX_IP, NGINX_IP, fi.FANOUT_IP):
        fi.check_eq(outcome(exchange(ns, ip, "example.com", "/test02/ping?x=1")),
                    ("flask-service", "/ping", "x=1"), "seed route through %s" % ip)

    seed, large = all_cases()
    keys = seed + large
    dup = {k for k in keys if keys.count(k) > 1}
    fi.check(not dup, "duplicate cases: %s" % sorted(dup, key=str))
    for k in list(EXPECTED_DIFF) + list(OPEN):
        fi.check(k in keys, "table entry %r is not a case" % (k,))
    fi.check_ge(len(keys), 200, "request targets compared")

    results = [compare(ns, fi.FANOUT_IP, SEED_NGINX_IP, seed, "seed"),
               compare(ns, fi.FANOUT_IP, NGINX_IP, large, "ingresses")]
    agree = sum(r[0] for r in results)
    expected = [e for r in results for e in r[1]]
    pending = [u for r in results for u in r[2]]
    bad = [b for r in results for b in r[3]]
    fi.log("route diff: %d targets (seed %d, ingresses %d): %d agree, %d expected "
           "differences, %d open, %d unexpected"
           % (len(keys), len(seed), len(large), agree, len(expected), len(pending), len(bad)))
    for key, why in expected:
        fi.log("  expected difference %r: %s" % (key, why))
    for line in bad:
        fi.log("  DIFF " + line)
    fi.check(not bad, "%d targets where fanout and nginx differ unexpectedly (above)" % len(bad))
    fi.wait_for(lambda: fo.stats()["proxy"]["sessions"] == 0, 15, "every session to end")
    st = fo.stop()
    fi.check_eq(st["proxy.sessions"], 0, "sessions in use at exit")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--list":
        s, lg = all_cases()
        for c in s + lg:
            print(c)
        sys.exit(0)
    fi.run(main)
