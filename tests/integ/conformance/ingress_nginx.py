# SPDX-License-Identifier: BSD-3-Clause
"""Cases after kubernetes/ingress-nginx's e2e tests (test/e2e/annotations:
rewrite.go, approot.go, redirect.go, xforwardedprefix.go) and the
controller's documented rendering (an Ingress's paths become
`location ~* "^P"` once one path of the host has use-regex or
rewrite-target, sorted longest first; every server has a root location
for the default backend).

Where ingress-nginx's regex semantics decide, two translations: "by hand"
(every path of the host written as a regex route, in ingress-nginx's
order: fanout's regexes are case-insensitive and anchored at the start,
as `~* "^P"`) runs today; "natural" (the Ingress paths as they are, with
`match_order ingress-nginx;`) needs that mode."""

from conformance import case, group

SRC = "kubernetes/ingress-nginx test/e2e/annotations/"
SVC = "http-svc"

REWRITE_ROOT = """
route regex "/something" { host rewrite.foo.com; upstream http-svc; rewrite /; }
"""

# kube-lego's Prefix path next to a rewrite-target on "/": the longer one wins
LONGEST = """
route prefix /.well-known/acme/challenge { host rewrite.bar.com; upstream http-svc; }
route regex "/" { host rewrite.bar.com; upstream http-svc; rewrite /new/backend; }
"""

# Ingress "foo" (Prefix /foo) and Ingress "regex" (use-regex, /foo.+ with
# rewrite-target /new/backend) on one host
REGEX_MOD_HAND = """
route regex "/foo.+" { host rewrite.bar.com; upstream http-svc; rewrite /new/backend; }
route regex "/foo/" { host rewrite.bar.com; upstream http-svc; }
route regex "/foo" { host rewrite.bar.com; upstream http-svc; }
"""
REGEX_MOD_NATURAL = """
match_order ingress-nginx;
route prefix /foo { host rewrite.bar.com; upstream http-svc; }
route regex "/foo.+" { host rewrite.bar.com; upstream http-svc; rewrite /new/backend; }
"""

# the documented warning: Prefix /foo/bar/bar loses to the longer regex
WARNING_HAND = """
route regex "/foo/bar/[a-z]{3}" { host rewrite.bar.com; upstream http-svc; rewrite /new/backend; }
route regex "/foo/bar/bar/" { host rewrite.bar.com; upstream http-svc; }
route regex "/foo/bar/bar" { host rewrite.bar.com; upstream http-svc; }
"""
WARNING_NATURAL = """
match_order ingress-nginx;
route prefix /foo/bar/bar { host rewrite.bar.com; upstream http-svc; }
route regex "/foo/bar/[a-z]{3}" { host rewrite.bar.com; upstream http-svc; rewrite /new/backend; }
"""

CUSTOM = """
route regex "/foo/bar/(.+)" { host rewrite.bar.com; upstream http-svc; rewrite "/new/backend/$1"; }
"""

# use-regex on an Exact path: it becomes ~* "^/Docs" (case-insensitive, a prefix)
EXACT_UNDER_REGEX_HAND = """
route regex "/user/[0-9]+" { host regex.example; upstream user; }
route regex "/Docs" { host regex.example; upstream docs; }
"""
EXACT_UNDER_REGEX_NATURAL = """
match_order ingress-nginx;
route regex "/user/[0-9]+" { host regex.example; upstream user; }
route exact /Docs { host regex.example; upstream docs; }
"""

# the seed's rewrite-target /$2 with the (/|$)(.*) idiom
SEED = """
route regex "/test01(/|$)(.*)" { host seed.example; upstream django-service; rewrite "/$2"; }
"""

APP_ROOT = """
route prefix / { host approot.bar.com; upstream http-svc; app_root /foo; }
"""

REDIRECTS = """
route prefix / { host redirect.bar.com; return 301 http://redirect.example.com/; }
route prefix /code { host redirect.bar.com; return 308 http://redirect.example.com/; }
route prefix /temporal { host redirect.bar.com; return 302 http://redirect.example.com/t; }
"""

XFP = """
route regex "/foo(/|$)(.*)" {
    host xfp.bar.com;
    upstream http-svc;
    rewrite "/$2";
    request_header set X-Forwarded-Prefix /test/value;
}
"""

OWNS = """
match_order ingress-nginx;
route prefix /a { host owner.example; upstream http-svc; }
route prefix / { upstream echo-service; }
"""

DUPLICATE = """
duplicate_routes first;
route prefix /dup { host dup.example; upstream user; }
route prefix /dup { host dup.example; upstream docs; }
"""

# a Prefix path written with a trailing '/': ingress-nginx renders
# `location /static/` (+ `= /static/`), and nginx answers /static with a 301
SLASH = """
route prefix /static/ { host slash.example; upstream http-svc; slash_redirect on; }
"""

GROUPS = [
    group("ingress-nginx rewrite-target /", SRC + "rewrite.go (should rewrite request URL)",
          REWRITE_ROOT, [
        case("/something -> /", "/something", host="rewrite.foo.com", service=SVC, fwd="/"),
        case("mixed case /SomeThing -> /", "/SomeThing", host="rewrite.foo.com",
             service=SVC, fwd="/"),
        case("the whole path is replaced", "/something/else?q=1", host="rewrite.foo.com",
             service=SVC, fwd="/?q=1"),
    ]),
    group("ingress-nginx longest path match", SRC + "rewrite.go (correct longest path match)",
          LONGEST, [
        case("the longer plain path is not rewritten", "/.well-known/acme/challenge",
             host="rewrite.bar.com", service=SVC, fwd="/.well-known/acme/challenge"),
        case("everything else is rewritten", "/x/y", host="rewrite.bar.com", service=SVC,
             fwd="/new/backend"),
    ]),
    group("ingress-nginx ~* with use-regex (by hand)", SRC + "rewrite.go (~* modifier)",
          REGEX_MOD_HAND, [
        case("/foo matches ^/foo", "/foo", host="rewrite.bar.com", service=SVC, fwd="/foo"),
        case("/foo/bar matches ^/foo.+", "/foo/bar", host="rewrite.bar.com", service=SVC,
             fwd="/new/backend"),
    ]),
    group("ingress-nginx ~* with use-regex (natural)", SRC + "rewrite.go (~* modifier)",
          REGEX_MOD_NATURAL, [
        case("/foo matches ^/foo", "/foo", host="rewrite.bar.com", service=SVC, fwd="/foo"),
        case("/foo/bar matches ^/foo.+", "/foo/bar", host="rewrite.bar.com", service=SVC,
             fwd="/new/backend"),
    ], needs=["match_order_ingress_nginx"]),
    group("ingress-nginx documented warning (by hand)", SRC + "rewrite.go (documented warning)",
          WARNING_HAND, [
        case("/foo/bar/bar goes to the longer regex", "/foo/bar/bar", host="rewrite.bar.com",
             service=SVC, fwd="/new/backend"),
        case("/foo/bar/bar/x too", "/foo/bar/bar/x", host="rewrite.bar.com", service=SVC,
             fwd="/new/backend"),
    ]),
    group("ingress-nginx documented warning (natural)", SRC + "rewrite.go (documented warning)",
          WARNING_NATURAL, [
        case("/foo/bar/bar goes to the longer regex", "/foo/bar/bar", host="rewrite.bar.com",
             service=SVC, fwd="/new/backend"),
    ], needs=["match_order_ingress_nginx"]),
    group("ingress-nginx custom rewrite parameters", SRC + "rewrite.go (custom parameters)",
          CUSTOM, [
        case("$1 from the regex", "/foo/bar/something", host="rewrite.bar.com", service=SVC,
             fwd="/new/backend/something"),
        case("case-insensitive, query kept", "/FOO/Bar/x/y?a=b", host="rewrite.bar.com",
             service=SVC, fwd="/new/backend/x/y?a=b"),
    ]),
    group("ingress-nginx Exact under use-regex (by hand)", "ingress-nginx buildLocation",
          EXACT_UNDER_REGEX_HAND, [
        case("/docs/x matches ^/Docs (case-insensitive, prefix)", "/docs/x",
             host="regex.example", service="docs", fwd="/docs/x"),
        case("/user/12 matches the regex", "/user/12", host="regex.example", service="user"),
    ]),
    group("ingress-nginx Exact under use-regex (natural)", "ingress-nginx buildLocation",
          EXACT_UNDER_REGEX_NATURAL, [
        case("/docs/x matches ^/Docs", "/docs/x", host="regex.example", service="docs"),
    ], needs=["match_order_ingress_nginx"]),
    group("ingress-nginx rewrite-target /$2", "ingress-nginx docs (rewrite, the seed's idiom)",
          SEED, [
        case("/test01 -> /", "/test01", host="seed.example", service="django-service",
             fwd="/"),
        case("/test01/ -> /", "/test01/", host="seed.example", service="django-service",
             fwd="/"),
        case("/test01/new -> /new", "/test01/new", host="seed.example",
             service="django-service", fwd="/new"),
        case("/test01x matches nothing", "/test01x", host="seed.example", status=404),
    ]),
    group("ingress-nginx app-root", SRC + "approot.go", APP_ROOT, [
        case("/ redirects to /foo", "/", host="approot.bar.com", status=302,
             location="http://approot.bar.com/foo"),
        case("/bar is served", "/bar", host="approot.bar.com", service=SVC, fwd="/bar"),
    ], needs=["app_root"]),
    group("ingress-nginx redirects", SRC + "redirect.go", REDIRECTS, [
        case("permanent-redirect", "/", host="redirect.bar.com", status=301,
             location="http://redirect.example.com/"),
        case("permanent-redirect-code 308", "/code", host="redirect.bar.com", status=308,
             location="http://redirect.example.com/"),
        case("temporal-redirect", "/temporal", host="redirect.bar.com", status=302,
             location="http://redirect.example.com/t"),
    ], needs=["redirect"]),
    group("ingress-nginx x-forwarded-prefix", SRC + "xforwardedprefix.go", XFP, [
        case("header sent upstream", "/foo/bar", host="xfp.bar.com", service=SVC,
             fwd="/bar", req_headers={"X-Forwarded-Prefix": "/test/value"}),
    ], needs=["x_forwarded_prefix"]),
    group("ingress-nginx a host owns its requests", "ingress-nginx createServers (root location)",
          OWNS, [
        case("the host's path", "/a/x", host="owner.example", service=SVC),
        case("another path of the host: its default backend, not the host-less rule",
             "/b", host="owner.example", status=404, needs=["host_owns_request"]),
        case("another host takes the host-less rule", "/b", host="else.example",
             service="echo-service"),
    ]),
    group("ingress-nginx trailing-slash redirect", "nginx location /p/ with proxy_pass "
          "(ingress-nginx Prefix /p/)", SLASH, [
        case("/static redirects to /static/", "/static", host="slash.example", status=301,
             location="http://slash.example/static/"),
        case("/static/x is served", "/static/x", host="slash.example", service=SVC,
             fwd="/static/x"),
    ], needs=["slash_redirect"]),
    group("ingress-nginx duplicate paths", "ingress-nginx (oldest Ingress wins)", DUPLICATE, [
        case("the first definition wins", "/dup", host="dup.example", service="user"),
    ], needs=["duplicate_first_wins"]),
    group("ingress-nginx /healthz", "ingress-nginx default server", "", [
        case("/healthz on the default server", "/healthz", host="any.example", status=200),
    ], needs=["healthz"]),
]
