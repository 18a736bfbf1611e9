# SPDX-License-Identifier: BSD-3-Clause
"""Routing conformance tables for tests/integ/test_route_conformance.py.

Cases written by hand after the public suites (read, not copied):
kubernetes-sigs/ingress-controller-conformance (features/*.feature),
kubernetes-sigs/gateway-api (conformance/tests/httproute-*), and
kubernetes/ingress-nginx (test/e2e/annotations: rewrite, use-regex,
app-root, redirects, x-forwarded-prefix). One module per suite, each
with GROUPS: a list of group() -- a fanout route fragment (the routes that
stand for the suite's Ingress / HTTPRoute) and the cases sent to it.

A group or a case that needs a feature fanout lacks names it in `needs`;
it is listed as unsupported (with the feature) instead of run. FEATURES
is the set fanout has: adding a name there runs every case that needs it
(check the group's fragment then: it is written in the syntax the
routing issue plans, which fanout cannot parse yet).
"""

# Features of the tables that fanout has today (the basics -- exact,
# prefix and regex paths, exact and one-label "*." hosts, regex "$N" and
# fixed rewrites, a route for any host as the default backend -- are not
# named: every case may use them).
FEATURES = {"redirect", "request_header_modifier", "response_header_modifier", "app_root",
            "slash_redirect", "x_forwarded_prefix", "healthz", "header_match", "query_match",
            "method_match", "match_order_ingress_nginx", "host_owns_request",
            "duplicate_first_wins", "prefix_rewrite", "host_rewrite", "gateway_wildcard_host",
            "tls"}

# What each feature name means (a case's `needs` must be one of these).
KNOWN = {
    "header_match": "match on request header fields (exact, present, regex)",
    "query_match": "match on query parameters",
    "method_match": "match on the request method",
    "redirect": "answer a redirect (301/302/303/307/308, scheme/host/port/path parts)",
    "request_header_modifier": "set/add/remove request header fields sent upstream",
    "response_header_modifier": "set/add/remove response header fields",
    "prefix_rewrite": "Gateway ReplacePrefixMatch (the matched prefix replaced)",
    "host_rewrite": "rewrite the Host sent upstream",
    "gateway_wildcard_host": "Gateway '*.' hosts matching any number of labels (fanout: "
                             "'**.')",
    "match_order_ingress_nginx": "match_order ingress-nginx: use-regex/rewrite-target make "
                                 "every path of the host a case-insensitive regex, longest first",
    "app_root": "ingress-nginx app-root: 302 from / to the application root",
    "slash_redirect": "a prefix route \"/p/\" answers \"/p\" with a 301 to \"/p/\" (nginx's "
                      "proxy_pass location ending in /)",
    "x_forwarded_prefix": "ingress-nginx x-forwarded-prefix header",
    "host_owns_request": "a host's unmatched paths go to its default backend, never to the "
                         "rules without host (ingress-nginx's root location per server)",
    "duplicate_first_wins": "two definitions of one host+path: the first wins (imported "
                            "configs), instead of a config error",
    "healthz": "GET /healthz answered 200 on the default server (ingress-nginx)",
    "tls": "HTTPS listeners",
}


def case(name, path, host=None, method="GET", headers=(), service=None, fwd=None,
         status=None, location=None, seen_host=None, req_headers=None, absent=(),
         resp_headers=None, resp_absent=(), backend_resp=(), needs=()):
    """One request and what must come of it.

    path: the request-target sent. host: the Host field (None: the group's).
    Expect either @service (the echo service that must answer; @fwd the
    target it must receive, path and query; @seen_host the Host it must
    receive; @req_headers {name: value} it must receive, @absent names it
    must not), or @status (fanout's own answer, e.g. 404), with @location
    for redirects; @resp_headers {name: value} the response must carry,
    @resp_absent names it must not; @backend_resp (name, value) fields the
    echo adds to its response (X-Echo-Response-Header).
    """
    for n in needs:
        assert n in KNOWN, n
    assert (service is None) != (status is None), name
    headers = list(headers) + [("X-Echo-Response-Header", "%s: %s" % kv) for kv in backend_resp]
    return dict(name=name, path=path, host=host, method=method, headers=headers,
                service=service, fwd=fwd, status=status, location=location,
                seen_host=seen_host, req_headers=req_headers or {}, absent=list(absent),
                resp_headers=resp_headers or {}, resp_absent=list(resp_absent),
                needs=tuple(needs))


def group(name, source, routes, cases, host="conformance.example", needs=()):
    """Routes (fanout config text: route blocks and route-level directives) and the
    cases sent to them; @host is the Host of cases that name none."""
    for n in needs:
        assert n in KNOWN, n
    return dict(name=name, source=source, routes=routes, cases=cases, host=host,
                needs=tuple(needs))


def unmet(needs):
    """The features of @needs fanout lacks."""
    return [n for n in needs if n not in FEATURES]
