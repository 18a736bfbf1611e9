# SPDX-License-Identifier: BSD-3-Clause
"""Cases after kubernetes-sigs/gateway-api conformance/tests/httproute-*:
the HTTPRoute of each test as fanout routes (Gateway precedence: exact >
longest prefix > regex, then method, headers, query), its requests as
cases. Rules without a path match are prefix "/" routes. Fragments of
groups that need a missing feature are written in the syntax the routing
issue plans (`match header|query|method ...;`, `redirect { }`,
`request_header` / `response_header set|add|remove ...;`, `rewrite_prefix`)."""

from conformance import case, group

SRC = "kubernetes-sigs/gateway-api conformance/tests/"
V1, V2, V3 = "infra-backend-v1", "infra-backend-v2", "infra-backend-v3"

EXACT = """
route exact /one { upstream infra-backend-v1; }
route exact /two { upstream infra-backend-v2; }
"""

# httproute-matching, its path matches alone (the header alternatives below)
MATCHING_PATHS = """
route prefix / { upstream infra-backend-v1; }
route prefix /v2 { upstream infra-backend-v2; }
"""

MATCHING_HEADERS = MATCHING_PATHS + """
route prefix / { match header version one; upstream infra-backend-v1; }
route prefix / { match header version two; upstream infra-backend-v2; }
"""

ORDER = """
route exact /match { upstream infra-backend-v1; }
route exact /match/exact { upstream infra-backend-v2; }
route exact /match/exact/one { upstream infra-backend-v3; }
route prefix /match/ { upstream infra-backend-v3; }
route prefix /match/prefix/ { upstream infra-backend-v1; }
route prefix /match/prefix/one { upstream infra-backend-v2; }
"""

HEADERS = """
route prefix / { match header version one; upstream infra-backend-v1; }
route prefix / { match header version two; upstream infra-backend-v2; }
route prefix / { match header version two; match header color orange; upstream infra-backend-v1; }
route prefix / { match header color blue; upstream infra-backend-v1; }
route prefix / { match header color green; upstream infra-backend-v1; }
route prefix / { match header color red; upstream infra-backend-v2; }
route prefix / { match header color yellow; upstream infra-backend-v2; }
"""

QUERY = """
route prefix / { match query animal whale; upstream infra-backend-v1; }
route prefix / { match query animal dolphin; upstream infra-backend-v2; }
route prefix / { match query animal dolphin; match query color blue; upstream infra-backend-v3; }
route prefix / { match query ANIMAL Whale; upstream infra-backend-v3; }
route prefix /path1 { match query animal whale; upstream infra-backend-v1; }
route prefix /path5 { upstream infra-backend-v1; }
route prefix / { match query animal hydra; upstream infra-backend-v2; }
"""

METHOD = """
route prefix / { match method POST; upstream infra-backend-v1; }
route prefix / { match method GET; upstream infra-backend-v2; }
route prefix /path1 { match method GET; upstream infra-backend-v1; }
route prefix /path3 { match method PATCH; upstream infra-backend-v1; }
route prefix /path5 { upstream infra-backend-v1; }
route prefix / { match method PATCH; upstream infra-backend-v2; }
"""

# ReplaceFullPath is a fixed rewrite (fanout has it); ReplacePrefixMatch needs
# the prefix rewrite
REWRITE_FULL = """
route prefix /full/one { upstream infra-backend-v1; rewrite /one; }
"""

REWRITE_PREFIX = """
route prefix /prefix/one { upstream infra-backend-v1; rewrite_prefix /one; }
route prefix /strip-prefix { upstream infra-backend-v1; rewrite_prefix /; }
"""

REQ_HEADERS = """
route prefix /set {
    upstream infra-backend-v1;
    request_header set X-Header-Set set-overwrites-values;
}
route prefix /add { upstream infra-backend-v1; request_header add X-Header-Add add-appends-values; }
route prefix /remove { upstream infra-backend-v1; request_header remove X-Header-Remove; }
"""

RESP_HEADERS = """
route prefix /set {
    upstream infra-backend-v1;
    response_header set X-Header-Set set-overwrites-values;
}
route prefix /add {
    upstream infra-backend-v1;
    response_header add X-Header-Add add-appends-values;
}
route prefix /remove { upstream infra-backend-v1; response_header remove X-Header-Remove; }
"""

HOST_REWRITE = """
route prefix /one { host rewrite.example; upstream infra-backend-v1; rewrite_host one.example.org; }
route prefix / { host rewrite.example; upstream infra-backend-v2; rewrite_host example.org; }
"""

REDIRECT_PARTS = """
route prefix /hostname-redirect { redirect { host example.org; } }
route prefix /host-and-status { redirect { status 301; host example.org; } }
route prefix /scheme-nil-and-port-8080 { redirect { host example.org; port 8080; } }
route prefix /scheme-https-and-port-nil { redirect { scheme https; host example.org; } }
route prefix /scheme-https-and-port-8443 { redirect { scheme https; host example.org; port 8443; } }
"""

REDIRECTS = """
route prefix /original-prefix { redirect { prefix /replacement-prefix; } }
route prefix /full { redirect { path /full-path-replacement; } }
route prefix /path-and-host { redirect { host example.org; prefix /replacement-prefix; } }
route prefix /path-and-status { redirect { status 301; prefix /replacement-prefix; } }
route prefix /full-path-and-status { redirect { status 301; path /replacement-full; } }
route prefix /s303 { redirect { status 303; path /see-other; } }
route prefix /s307 { redirect { status 307; path /temporary; } }
route prefix /s308 { redirect { status 308; path /permanent; } }
"""

# listener hostnames (httproute-listener-hostname-matching) as route hosts; a Gateway
# "*." wildcard is fanout's "**." (one or more labels)
HOSTNAMES = """
route prefix / { host bar.com; upstream infra-backend-v1; }
route prefix / { host foo.bar.com; upstream infra-backend-v2; }
route prefix / { host **.bar.com; upstream infra-backend-v3; }
route prefix / { host **.foo.com; upstream infra-backend-v3; }
"""

# httproute-matching-across-routes: two HTTPRoutes sharing example.com
ACROSS = """
route prefix / { host example.com; upstream infra-backend-v1; }
route prefix / { host example.net; upstream infra-backend-v1; }
route prefix /v2 { host example.com; upstream infra-backend-v2; }
"""
ACROSS_HEADERS = ACROSS + """
route prefix / { host example.com; match header version one; upstream infra-backend-v1; }
route prefix / { host example.com; match header version two; upstream infra-backend-v2; }
"""

# httproute-hostname-intersection: each HTTPRoute's hostnames intersected with
# the listeners' (very.specific.com, *.wildcard.io, *.anotherwildcard.io), as
# the controller would hand them to the data plane; /s5 intersects nothing
INTERSECTION = """
route prefix /s1 { host very.specific.com; upstream infra-backend-v1; }
route prefix /s2 { host foo.wildcard.io; upstream infra-backend-v2; }
route prefix /s2 { host bar.wildcard.io; upstream infra-backend-v2; }
route prefix /s2 { host foo.bar.wildcard.io; upstream infra-backend-v2; }
route prefix /s3 { host very.specific.com; upstream infra-backend-v3; }
route prefix /s4 { host **.anotherwildcard.io; upstream infra-backend-v1; }
"""

G = "gateway.example"

GROUPS = [
    group("gateway exact path", SRC + "httproute-exact-path-matching.go", EXACT, [
        case("exact /one", "/one", service=V1, fwd="/one"),
        case("exact /two", "/two", service=V2, fwd="/two"),
        case("/ matches no exact route", "/", status=404),
        case("exact /one does not match /one/example", "/one/example", status=404),
        case("exact /two does not match /two/", "/two/", status=404),
        case("exact /two is case-sensitive (/Two)", "/Two", status=404),
    ]),
    group("gateway matching (paths)", SRC + "httproute-matching.go", MATCHING_PATHS, [
        case("prefix / for /", "/", service=V1, fwd="/"),
        case("prefix / for /example", "/example", service=V1, fwd="/example"),
        case("prefix /v2 for /v2", "/v2", service=V2, fwd="/v2"),
        case("prefix /v2 for /v2/example", "/v2/example", service=V2, fwd="/v2/example"),
        case("prefix /v2 for /v2/", "/v2/", service=V2, fwd="/v2/"),
        case("/v2example is not under /v2 (element-wise)", "/v2example", service=V1),
        case("/foo/v2/example is under /", "/foo/v2/example", service=V1),
    ]),
    group("gateway matching (headers)", SRC + "httproute-matching.go", MATCHING_HEADERS, [
        case("version: one on /", "/", headers=[("Version", "one")], service=V1),
        case("version: two on /", "/", headers=[("Version", "two")], service=V2),
    ], needs=["header_match"]),
    group("gateway matching across routes", SRC + "httproute-matching-across-routes.go",
          ACROSS, [
        case("example.com /", "/", host="example.com", service=V1),
        case("example.com /example", "/example", host="example.com", service=V1),
        case("example.net /example", "/example", host="example.net", service=V1),
        case("example.com /v2", "/v2", host="example.com", service=V2),
        case("example.net /v2 (part2 has no example.net)", "/v2", host="example.net",
             service=V1),
        case("example.com /v2/example", "/v2/example", host="example.com", service=V2),
    ]),
    group("gateway matching across routes (headers)",
          SRC + "httproute-matching-across-routes.go", ACROSS_HEADERS, [
        case("version one", "/example", host="example.com", headers=[("Version", "one")],
             service=V1),
        case("version two", "/", host="example.com", headers=[("Version", "two")],
             service=V2),
    ], needs=["header_match"]),
    group("gateway hostname intersection", SRC + "httproute-hostname-intersection.go",
          INTERSECTION, [
        case("very.specific.com /s1", "/s1", host="very.specific.com", service=V1),
        case("port ignored", "/s1", host="very.specific.com:1234", service=V1),
        case("non.matching.com /s1", "/s1", host="non.matching.com", status=404),
        case("foo.nonmatchingwildcard.io /s1", "/s1", host="foo.nonmatchingwildcard.io",
             status=404),
        case("foo.wildcard.io /s1", "/s1", host="foo.wildcard.io", status=404),
        case("very.specific.com other prefix", "/non-matching-prefix",
             host="very.specific.com", status=404),
        case("foo.wildcard.io /s2", "/s2", host="foo.wildcard.io", service=V2),
        case("bar.wildcard.io /s2", "/s2", host="bar.wildcard.io", service=V2),
        case("foo.bar.wildcard.io /s2", "/s2", host="foo.bar.wildcard.io", service=V2),
        case("wildcard.io /s2", "/s2", host="wildcard.io", status=404),
        case("very.specific.com /s2", "/s2", host="very.specific.com", status=404),
        case("very.specific.com /s3", "/s3", host="very.specific.com", service=V3),
        case("foo.specific.com /s3", "/s3", host="foo.specific.com", status=404),
        case("foo.anotherwildcard.io /s4", "/s4", host="foo.anotherwildcard.io", service=V1),
        case("bar.anotherwildcard.io /s4", "/s4", host="bar.anotherwildcard.io", service=V1),
        case("foo.bar.anotherwildcard.io /s4", "/s4", host="foo.bar.anotherwildcard.io",
             service=V1, needs=["gateway_wildcard_host"]),
        case("anotherwildcard.io /s4", "/s4", host="anotherwildcard.io", status=404),
        case("foo.wildcard.io /s4", "/s4", host="foo.wildcard.io", status=404),
        case("specific.but.wrong.com /s5", "/s5", host="specific.but.wrong.com", status=404),
        case("wildcard.io /s5", "/s5", host="wildcard.io", status=404),
    ]),
    group("gateway path match order", SRC + "httproute-path-match-order.go", ORDER, [
        case("exact /match/exact/one", "/match/exact/one", service=V3),
        case("exact /match/exact", "/match/exact", service=V2),
        case("exact /match", "/match", service=V1),
        case("longest prefix /match/prefix/one", "/match/prefix/one/any", service=V2),
        case("prefix /match/prefix/", "/match/prefix/any", service=V1),
        case("prefix /match/", "/match/any", service=V3),
    ]),
    group("gateway header matching", SRC + "httproute-header-matching.go", HEADERS, [
        case("version one", "/", headers=[("Version", "one")], service=V1),
        case("version two", "/", headers=[("Version", "two")], service=V2),
        case("version two + color orange (more headers win)", "/",
             headers=[("Version", "two"), ("Color", "orange")], service=V1),
        case("version two + color blue (first rule in order)", "/",
             headers=[("Version", "two"), ("Color", "blue")], service=V2),
        case("color orange alone", "/", headers=[("Color", "orange")], status=404),
        case("another header", "/", headers=[("Some-Other-Header", "one")], status=404),
        case("color blue", "/", headers=[("Color", "blue")], service=V1),
        case("color green", "/", headers=[("Color", "green")], service=V1),
        case("color red", "/", headers=[("Color", "red")], service=V2),
        case("color yellow", "/", headers=[("Color", "yellow")], service=V2),
        case("color purple", "/", headers=[("Color", "purple")], status=404),
    ], needs=["header_match"]),
    group("gateway query param matching", SRC + "httproute-query-param-matching.go", QUERY, [
        case("animal=whale", "/?animal=whale", service=V1),
        case("animal=dolphin", "/?animal=dolphin", service=V2),
        case("animal=dolphin&color=blue (more params win)", "/?animal=dolphin&color=blue",
             service=V3),
        case("names are case-sensitive (ANIMAL=Whale)", "/?ANIMAL=Whale", service=V3),
        case("other params ignored", "/?animal=whale&otherparam=irrelevant", service=V1),
        case("animal=dolphin&color=yellow", "/?animal=dolphin&color=yellow", service=V2),
        case("color=blue alone", "/?color=blue", status=404),
        case("animal=dog", "/?animal=dog", status=404),
        case("animal=whaledolphin", "/?animal=whaledolphin", status=404),
        case("no query", "/", status=404),
        case("path + query", "/path1?animal=whale", service=V1),
        case("path precedence over query", "/path5?animal=hydra", service=V1),
    ], needs=["query_match"]),
    group("gateway method matching", SRC + "httproute-method-matching.go", METHOD, [
        case("POST /", "/", method="POST", service=V1),
        case("GET /", "/", service=V2),
        case("HEAD / matches nothing", "/", method="HEAD", status=404),
        case("GET /path1", "/path1", service=V1),
        case("PATCH /path3", "/path3", method="PATCH", service=V1),
        case("PUT / matches nothing", "/", method="PUT", status=404),
        case("path precedence over method", "/path5", method="PATCH", service=V1),
    ], needs=["method_match"]),
    group("gateway rewrite full path", SRC + "httproute-rewrite-path.go", REWRITE_FULL, [
        case("ReplaceFullPath /one", "/full/one/two", service=V1, fwd="/one"),
        case("ReplaceFullPath keeps the query", "/full/one/two?q=1", service=V1,
             fwd="/one?q=1"),
    ]),
    group("gateway rewrite prefix", SRC + "httproute-rewrite-path.go", REWRITE_PREFIX, [
        case("ReplacePrefixMatch /prefix/one -> /one", "/prefix/one/two", service=V1,
             fwd="/one/two"),
        case("ReplacePrefixMatch to / (below)", "/strip-prefix/three", service=V1,
             fwd="/three"),
        case("ReplacePrefixMatch to / (the prefix itself)", "/strip-prefix", service=V1,
             fwd="/"),
    ], needs=["prefix_rewrite"]),
    group("gateway request header modifier", SRC + "httproute-request-header-modifier.go",
          REQ_HEADERS, [
        case("set adds", "/set", headers=[("Some-Other-Header", "val")], service=V1,
             req_headers={"X-Header-Set": "set-overwrites-values", "Some-Other-Header": "val"}),
        case("set overwrites", "/set", headers=[("X-Header-Set", "some-other-value")],
             service=V1, req_headers={"X-Header-Set": "set-overwrites-values"}),
        case("add appends", "/add", headers=[("X-Header-Add", "some-other-value")],
             service=V1, req_headers={"X-Header-Add": "some-other-value,add-appends-values"}),
        case("remove", "/remove", headers=[("X-Header-Remove", "val")], service=V1,
             absent=["X-Header-Remove"]),
    ], needs=["request_header_modifier"]),
    group("gateway response header modifier", SRC + "httproute-response-header-modifier.go",
          RESP_HEADERS, [
        case("set adds", "/set", service=V1,
             resp_headers={"X-Header-Set": "set-overwrites-values"}),
        case("set overwrites the backend's", "/set", service=V1,
             backend_resp=[("X-Header-Set", "some-other-value")],
             resp_headers={"X-Header-Set": "set-overwrites-values"}),
        case("add appends to the backend's", "/add", service=V1,
             backend_resp=[("X-Header-Add", "some-other-value")],
             resp_headers={"X-Header-Add": "some-other-value,add-appends-values"}),
        case("remove", "/remove", service=V1, backend_resp=[("X-Header-Remove", "val")],
             resp_absent=["X-Header-Remove"]),
    ], needs=["response_header_modifier"]),
    group("gateway host rewrite", SRC + "httproute-rewrite-host.go", HOST_REWRITE, [
        case("/one with Host one.example.org", "/one", host="rewrite.example", service=V1,
             seen_host="one.example.org", fwd="/one"),
        case("/two with Host example.org", "/two", host="rewrite.example", service=V2,
             seen_host="example.org", fwd="/two"),
    ], needs=["host_rewrite"]),
    group("gateway redirect host, status, scheme, port",
          SRC + "httproute-redirect-host-and-status.go, httproute-redirect-port-and-scheme.go",
          REDIRECT_PARTS, [
        case("host", "/hostname-redirect", status=302,
             location="http://example.org/hostname-redirect"),
        case("host and 301", "/host-and-status", status=301,
             location="http://example.org/host-and-status"),
        case("port 8080", "/scheme-nil-and-port-8080", status=302,
             location="http://example.org:8080/scheme-nil-and-port-8080"),
        case("scheme https, no port", "/scheme-https-and-port-nil", status=302,
             location="https://example.org/scheme-https-and-port-nil"),
        case("scheme https, port 8443", "/scheme-https-and-port-8443", status=302,
             location="https://example.org:8443/scheme-https-and-port-8443"),
    ], host=G, needs=["redirect"]),
    group("gateway redirects", SRC + "httproute-redirect-path.go, httproute-30x-redirect.go",
          REDIRECTS, [
        case("prefix replaced, 302", "/original-prefix/lemon", status=302,
             location="http://gateway.example/replacement-prefix/lemon"),
        case("full path replaced", "/full/path/original", status=302,
             location="http://gateway.example/full-path-replacement"),
        case("host and prefix", "/path-and-host", status=302,
             location="http://example.org/replacement-prefix"),
        case("prefix with 301", "/path-and-status", status=301,
             location="http://gateway.example/replacement-prefix"),
        case("full path with 301", "/full-path-and-status", status=301,
             location="http://gateway.example/replacement-full"),
        case("303", "/s303", status=303, location="http://gateway.example/see-other"),
        case("307", "/s307", status=307, location="http://gateway.example/temporary"),
        case("308", "/s308", status=308, location="http://gateway.example/permanent"),
    ], host=G, needs=["redirect"]),
    group("gateway hostnames", SRC + "httproute-listener-hostname-matching.go", HOSTNAMES, [
        case("bar.com", "/", host="bar.com", service=V1),
        case("foo.bar.com (exact beats wildcard)", "/", host="foo.bar.com", service=V2),
        case("baz.bar.com", "/", host="baz.bar.com", service=V3),
        case("boo.bar.com", "/", host="boo.bar.com", service=V3),
        case("multiple.prefixes.bar.com", "/", host="multiple.prefixes.bar.com", service=V3,
             needs=["gateway_wildcard_host"]),
        case("multiple.prefixes.foo.com", "/", host="multiple.prefixes.foo.com", service=V3,
             needs=["gateway_wildcard_host"]),
        case("foo.com matches no wildcard", "/", host="foo.com", status=404),
        case("no.matching.host", "/", host="no.matching.host", status=404),
    ]),
]
