# SPDX-License-Identifier: BSD-3-Clause
"""Cases after kubernetes-sigs/ingress-controller-conformance, features/
path_rules.feature, host_rules.feature and default_backend.feature: the
Ingress of each feature as fanout routes, one case per scenario."""

from conformance import case, group

SRC = "kubernetes-sigs/ingress-controller-conformance features/"

PATH_RULES = """
route exact /foo { host exact-path-rules; upstream foo-exact; }
route prefix /foo { host prefix-path-rules; upstream foo-prefix; }
route prefix /aaa/bbb { host prefix-path-rules; upstream aaa-slash-bbb-prefix; }
route prefix /aaa { host prefix-path-rules; upstream aaa-prefix; }
route prefix /foo { host mixed-path-rules; upstream foo-prefix; }
route exact /foo { host mixed-path-rules; upstream foo-exact; }
route prefix /aaa/bbb/ { host trailing-slash-path-rules; upstream aaa-slash-bbb-slash-prefix; }
route exact /foo/ { host trailing-slash-path-rules; upstream foo-slash-exact; }
"""

HOST_RULES = """
route prefix / { host *.foo.com; upstream wildcard-foo-com; }
route prefix / { host foo.bar.com; upstream foo-bar-com; }
"""

# an Ingress with only spec.defaultBackend: every host, every path
DEFAULT_BACKEND = """
route prefix / { upstream echo-service; }
"""

GROUPS = [
    group("icc path rules", SRC + "path_rules.feature", PATH_RULES, [
        case("exact /foo matches /foo", "/foo", host="exact-path-rules",
             service="foo-exact", fwd="/foo"),
        case("exact /foo does not match /foo/", "/foo/", host="exact-path-rules", status=404),
        case("exact /foo is case-sensitive (/FOO)", "/FOO", host="exact-path-rules", status=404),
        case("exact /foo does not match /bar", "/bar", host="exact-path-rules", status=404),
        case("prefix /foo matches /foo", "/foo", host="prefix-path-rules",
             service="foo-prefix", fwd="/foo"),
        case("prefix /foo matches /foo/", "/foo/", host="prefix-path-rules",
             service="foo-prefix", fwd="/foo/"),
        case("prefix /foo is case-sensitive (/FOO)", "/FOO", host="prefix-path-rules",
             status=404),
        case("longest prefix: /aaa/bbb for /aaa/bbb", "/aaa/bbb", host="prefix-path-rules",
             service="aaa-slash-bbb-prefix", fwd="/aaa/bbb"),
        case("longest prefix: /aaa/bbb for /aaa/bbb/ccc", "/aaa/bbb/ccc",
             host="prefix-path-rules", service="aaa-slash-bbb-prefix", fwd="/aaa/bbb/ccc"),
        case("prefix /aaa for /aaa/ccc", "/aaa/ccc", host="prefix-path-rules",
             service="aaa-prefix", fwd="/aaa/ccc"),
        case("prefix /aaa does not match /aaaccc (element-wise)", "/aaaccc",
             host="prefix-path-rules", status=404),
        case("exact preferred over prefix for /foo", "/foo", host="mixed-path-rules",
             service="foo-exact", fwd="/foo"),
        case("prefix /aaa/bbb/ matches /aaa/bbb (trailing slash ignored)", "/aaa/bbb",
             host="trailing-slash-path-rules", service="aaa-slash-bbb-slash-prefix",
             fwd="/aaa/bbb"),
        case("prefix /aaa/bbb/ matches /aaa/bbb/", "/aaa/bbb/",
             host="trailing-slash-path-rules", service="aaa-slash-bbb-slash-prefix",
             fwd="/aaa/bbb/"),
        case("exact /foo/ does not match /foo", "/foo", host="trailing-slash-path-rules",
             status=404),
    ]),
    group("icc host rules", SRC + "host_rules.feature", HOST_RULES, [
        case("host foo.bar.com", "/", host="foo.bar.com", service="foo-bar-com",
             seen_host="foo.bar.com"),
        case("host foo.bar.com over TLS", "/", host="foo.bar.com", service="foo-bar-com",
             needs=["tls"]),
        case("foo.bar.com does not match subdomain.bar.com", "/", host="subdomain.bar.com",
             status=404),
        case("wildcard *.foo.com matches bar.foo.com", "/", host="bar.foo.com",
             service="wildcard-foo-com", seen_host="bar.foo.com"),
        case("wildcard *.foo.com does not match baz.bar.foo.com (one label)", "/",
             host="baz.bar.foo.com", status=404),
        case("wildcard *.foo.com does not match foo.com (no label)", "/", host="foo.com",
             status=404),
    ]),
    group("icc default backend", SRC + "default_backend.feature", DEFAULT_BACKEND, [
        case("GET my-host /", "/", host="my-host", service="echo-service", fwd="/"),
        case("GET my-host /sub-path", "/sub-path", host="my-host", service="echo-service",
             fwd="/sub-path"),
        case("POST some-host /", "/", host="some-host", method="POST",
             service="echo-service", fwd="/"),
        case("PUT (address as host) /resource", "/resource", host="198.18.0.1", method="PUT",
             service="echo-service", fwd="/resource"),
        case("DELETE some-host /resource", "/resource", host="some-host", method="DELETE",
             service="echo-service", fwd="/resource"),
        case("PATCH my-host /resource", "/resource", host="my-host", method="PATCH",
             service="echo-service", fwd="/resource"),
    ]),
]
