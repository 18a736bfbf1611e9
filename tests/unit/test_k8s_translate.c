/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/k8s translation: Ingresses to routes as ingress-nginx routes them —
 * per pathType, with use-regex and rewrite-target, hosts and wildcards,
 * the merge of several Ingresses (oldest wins, with a warning), default
 * backends, every mapped annotation and the warnings for the others,
 * endpoints (ready, terminating, not ready), the ingress class filter and
 * --strict. Every config written is parsed by lib/conf (k8s_harness.h).
 */
#include "k8s_harness.h"

#define PATH1(path, type, svc, port)                                                               \
	"  rules:\n  - http:\n      paths:\n      - path: " path "\n        pathType: " type       \
	"\n        backend: {service: {name: " svc ", port: " port "}}\n"

/* The seed: regex paths with the rewrite, upstreams named ns-svc-port. */
static void
test_seed_shape(void **state)
{
	char *out = k8s_import(
		K8S_SVCS K8S_ING("seed", "nginx.ingress.kubernetes.io/rewrite-target: /$2",
			PATH1("/test01(/|$)(.*)", "ImplementationSpecific", "app", "{number: 80}")),
		NULL, 0);

	(void)state;
	k8s_has(out, "match_order ingress-nginx;\nduplicate_routes first;\n");
	k8s_has(out, "route regex \"/test01(/|$)(.*)\" {\n\tupstream ns-app-80;\n"
		     "\trewrite \"/$2\";\n}\n");
	k8s_has(out, "upstream ns-app-80 {\n\tserver 198.18.0.11:8080;\n}\n");
	assert_int_equal(k8s_count("warning"), 0);
	free(out);
}

static void
test_path_types(void **state)
{
	const char *yaml = K8S_SVCS K8S_ING("t", "",
		"  rules:\n  - host: a.example\n    http:\n      paths:\n"
		"      - {path: /exact, pathType: Exact, backend: {service: {name: app, port: "
		"{number: 80}}}}\n"
		"      - {path: /pre, pathType: Prefix, backend: {service: {name: app, port: "
		"{name: http}}}}\n"
		"      - {path: /impl, pathType: ImplementationSpecific, backend: {service: "
		"{name: other, port: {number: 80}}}}\n"
		"      - {pathType: ImplementationSpecific, backend: {service: {name: other, "
		"port: {number: 80}}}}\n");
	char *out = k8s_import(yaml, NULL, 0);

	(void)state;
	k8s_has(out, "route exact \"/exact\" {\n\thost a.example;\n\tupstream ns-app-80;\n}");
	/* by port name: an upstream of its own, named after the name */
	k8s_has(out, "route prefix \"/pre\" {\n\thost a.example;\n\tupstream ns-app-http;\n}");
	k8s_has(out, "route prefix \"/impl\" {\n\thost a.example;\n\tupstream ns-other-80;\n}");
	/* ImplementationSpecific without a path is "/" */
	k8s_has(out, "route prefix \"/\" {\n\thost a.example;\n\tupstream ns-other-80;\n}");
	k8s_has(out, "upstream ns-app-http {\n\tserver 198.18.0.11:8080;\n}");
	free(out);
}

/* use-regex makes every path of the Ingress a regex, Exact included
 * (ingress-nginx's location ~* "^PATH"); regexes are quoted for the config. */
static void
test_use_regex(void **state)
{
	const char *yaml = K8S_SVCS K8S_ING("r", "nginx.ingress.kubernetes.io/use-regex: \"true\"",
		"  rules:\n  - http:\n      paths:\n"
		"      - {path: /exact, pathType: Exact, backend: {service: {name: app, port: "
		"{number: 80}}}}\n"
		"      - {path: '/v[0-9]+/\"q\"\\d', pathType: ImplementationSpecific, backend: "
		"{service: {name: app, port: {number: 80}}}}\n");
	char *out = k8s_import(yaml, NULL, 0);

	(void)state;
	k8s_has(out, "route regex \"/exact\" {");
	k8s_has(out, "route regex \"/v[0-9]+/\\\"q\\\"\\\\d\" {");
	k8s_lacks(out, "rewrite");
	free(out);
}

static void
test_hosts(void **state)
{
	const char *yaml = K8S_SVCS K8S_ING("h", "",
		"  rules:\n  - host: '*.example.com'\n    http:\n      paths:\n"
		"      - {path: /, pathType: Prefix, backend: {service: {name: app, port: "
		"{number: 80}}}}\n"
		"  - host: Foo.Example.com\n    http:\n      paths:\n"
		"      - {path: /, pathType: Prefix, backend: {service: {name: other, port: "
		"{number: 80}}}}\n");
	char *out = k8s_import(yaml, NULL, 0);

	(void)state;
	k8s_has(out, "route prefix \"/\" {\n\thost *.example.com;\n\tupstream ns-app-80;");
	k8s_has(out, "route prefix \"/\" {\n\thost Foo.Example.com;\n\tupstream ns-other-80;");
	free(out);
}

#define ING_TS(name, ts, path, svc)                                                                \
	"---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: " name           \
	"\n  namespace: ns\n" ts "spec:\n  rules:\n  - host: m.example\n    http:\n"               \
	"      paths:\n      - {path: " path ", pathType: Prefix, backend: {service: {name: " svc  \
	", port: {number: 80}}}}\n"

/* Same host: rules merged; same host, path and type: the oldest
 * Ingress wins with a warning; no timestamp counts as newest; ties by
 * namespace/name. */
static void
test_merge(void **state)
{
	const char *yaml = K8S_SVCS ING_TS("young",
		"  creationTimestamp: \"2026-02-01T00:00:00Z\"\n", "/a",
		"other") ING_TS("fresh", "", "/a", "other") ING_TS("old",
		"  creationTimestamp: \"2026-01-01T00:00:00Z\"\n", "/a", "app")
		ING_TS("more", "  creationTimestamp: \"2026-03-01T00:00:00Z\"\n", "/b", "other");
	char *out = k8s_import(yaml, NULL, 0), *a, *b;

	(void)state;
	k8s_has(out, "# Ingress ns/old spec.rules[0].http.paths[0]");
	k8s_has(out, "route prefix \"/a\" {\n\thost m.example;\n\tupstream ns-app-80;");
	k8s_has(out, "route prefix \"/b\" {\n\thost m.example;\n\tupstream ns-other-80;");
	k8s_lacks(out, "# Ingress ns/young");
	k8s_lacks(out, "# Ingress ns/fresh");
	assert_int_equal(k8s_count("warning"), 2);
	k8s_has(k8s_last_msgs, "warning: in.yaml:");
	k8s_has(k8s_last_msgs, "Ingress ns/young: spec.rules[0].http.paths[0]: prefix path "
			       "\"/a\" of host m.example is already Ingress ns/old's");
	k8s_has(k8s_last_msgs, "Ingress ns/fresh: spec.rules[0].http.paths[0]: prefix path");
	/* routes in age order */
	a = strstr(out, "route prefix \"/a\"");
	b = strstr(out, "route prefix \"/b\"");
	assert_true(a < b);
	free(out);

	/* twice in one Ingress: the first */
	out = k8s_import(K8S_SVCS K8S_ING("twice", "",
				 "  rules:\n  - http:\n      paths:\n"
				 "      - {path: /a, pathType: Prefix, backend: {service: "
				 "{name: app, port: {number: 80}}}}\n"
				 "      - {path: /a, pathType: Prefix, backend: {service: "
				 "{name: other, port: {number: 80}}}}\n"),
		NULL, 0);
	k8s_lacks(out, "ns-other-80;");
	k8s_has(k8s_last_msgs, "Ingress ns/twice: spec.rules[0].http.paths[1]: prefix path \"/a\" "
			       "is already spec.rules[0].http.paths[0] of this Ingress");
	free(out);

	/* same timestamp: namespace/name decides */
	out = k8s_import(K8S_SVCS ING_TS("zz", "  creationTimestamp: \"2026-01-01T00:00:00Z\"\n",
				 "/a", "other") ING_TS("aa",
				 "  creationTimestamp: \"2026-01-01T00:00:00Z\"\n", "/a", "app"),
		NULL, 0);
	k8s_has(out, "upstream ns-app-80;");
	k8s_lacks(out, "route prefix \"/a\" {\n\thost m.example;\n\tupstream ns-other-80;");
	k8s_has(k8s_last_msgs, "Ingress ns/zz:");
	free(out);
}

static void
test_rewrite(void **state)
{
	char *out;

	(void)state;
	/* rewrite-target makes a Prefix path a regex, as ingress-nginx does */
	out = k8s_import(K8S_SVCS K8S_ING("rw", "nginx.ingress.kubernetes.io/rewrite-target: /",
				 PATH1("/api", "Prefix", "app", "{number: 80}")),
		NULL, 0);
	k8s_has(out, "route regex \"/api\" {\n\tupstream ns-app-80;\n\trewrite \"/\";\n}");
	free(out);
	/* $N beyond the path's groups: an error naming both */
	out = k8s_import(K8S_SVCS K8S_ING("rw", "nginx.ingress.kubernetes.io/rewrite-target: /$2",
				 PATH1("/api(/|$)", "Prefix", "app", "{number: 80}")),
		NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "error: in.yaml:");
	k8s_has(k8s_last_msgs,
		"Ingress ns/rw: metadata.annotations[nginx.ingress.kubernetes.io/rewrite-target]: "
		"rewrite-target \"/$2\" uses $2 but path \"/api(/|$)\" "
		"(spec.rules[0].http.paths[0]) has 1 capture group");
	/* non-capturing, escaped and class parentheses do not count */
	out = k8s_import(
		K8S_SVCS K8S_ING("rw", "nginx.ingress.kubernetes.io/rewrite-target: /$2",
			PATH1("'/a(?:b)\\(([(])(?<n>x)'", "Prefix", "app", "{number: 80}")),
		NULL, 0);
	k8s_has(out, "rewrite \"/$2\";");
	free(out);
}

static void
test_redirects(void **state)
{
	char *out;

	(void)state;
	out = k8s_import(K8S_SVCS K8S_ING("p",
				 "nginx.ingress.kubernetes.io/permanent-redirect: "
				 "https://www.example.com/new, "
				 "nginx.ingress.kubernetes.io/permanent-redirect-code: "
				 "\"308\"",
				 PATH1("/old", "Prefix", "app", "{number: 80}")),
		NULL, 0);
	k8s_has(out, "\treturn 308 \"https://www.example.com/new\";\n");
	free(out);
	out = k8s_import(K8S_SVCS K8S_ING("t",
				 "nginx.ingress.kubernetes.io/temporal-redirect: /tmp, "
				 "nginx.ingress.kubernetes.io/permanent-redirect: /perm",
				 PATH1("/old", "Prefix", "app", "{number: 80}")),
		NULL, 0);
	k8s_has(out, "\treturn 302 \"/tmp\";\n");
	k8s_has(k8s_last_msgs, "both permanent-redirect and temporal-redirect: "
			       "temporal-redirect used");
	free(out);
	/* a bad URL is a warning and no redirect */
	out = k8s_import(K8S_SVCS K8S_ING("b",
				 "nginx.ingress.kubernetes.io/permanent-redirect: "
				 "ftp://x",
				 PATH1("/old", "Prefix", "app", "{number: 80}")),
		NULL, 0);
	k8s_lacks(out, "return");
	k8s_has(k8s_last_msgs, "warning: in.yaml:");
	k8s_has(k8s_last_msgs,
		"Ingress ns/b: "
		"metadata.annotations[nginx.ingress.kubernetes.io/permanent-redirect]: "
		"invalid URL \"ftp://x\"");
	free(out);
}

static void
test_app_root_and_route_settings(void **state)
{
	char *out;

	(void)state;
	out = k8s_import(K8S_SVCS K8S_ING("ar",
				 "nginx.ingress.kubernetes.io/app-root: /app1, "
				 "nginx.ingress.kubernetes.io/proxy-body-size: 8m, "
				 "nginx.ingress.kubernetes.io/x-forwarded-prefix: /svc",
				 "  rules:\n  - http:\n      paths:\n"
				 "      - {path: /, pathType: Prefix, backend: {service: "
				 "{name: app, port: {number: 80}}}}\n"
				 "      - {path: /x, pathType: Prefix, backend: {service: "
				 "{name: app, port: {number: 80}}}}\n"),
		NULL, 0);
	k8s_has(out, "route prefix \"/\" {\n\tupstream ns-app-80;\n\tapp_root \"/app1\";\n"
		     "\tclient_max_body_size 8m;\n\tforwarded_prefix \"/svc\";\n}");
	/* app_root only where "/" can be asked for */
	k8s_has(out, "route prefix \"/x\" {\n\tupstream ns-app-80;\n\tclient_max_body_size 8m;");
	assert_int_equal(k8s_count("warning"), 0);
	free(out);
	/* no "/" path: app-root would redirect nothing */
	out = k8s_import(K8S_SVCS K8S_ING("ar", "nginx.ingress.kubernetes.io/app-root: /app1",
				 PATH1("/x", "Prefix", "app", "{number: 80}")),
		NULL, 0);
	k8s_has(k8s_last_msgs, "no path \"/\" in the Ingress: app-root has nothing to redirect");
	free(out);
	out = k8s_import(K8S_SVCS K8S_ING("bs", "nginx.ingress.kubernetes.io/proxy-body-size: 8 MB",
				 PATH1("/x", "Prefix", "app", "{number: 80}")),
		NULL, 0);
	k8s_lacks(out, "client_max_body_size");
	k8s_has(k8s_last_msgs, "invalid size \"8 MB\"");
	free(out);
}

/* Timeouts and retries are per upstream: set by the oldest Ingress. */
static void
test_upstream_settings(void **state)
{
	char *out;

	(void)state;
	out = k8s_import(K8S_SVCS K8S_ING("u",
				 "nginx.ingress.kubernetes.io/proxy-connect-timeout: "
				 "\"3\", nginx.ingress.kubernetes.io/proxy-read-timeout: "
				 "\"120\", nginx.ingress.kubernetes.io/proxy-send-timeout: "
				 "\"30\", nginx.ingress.kubernetes.io/proxy-next-upstream: "
				 "error timeout http_502 non_idempotent http_404, "
				 "nginx.ingress.kubernetes.io/proxy-next-upstream-tries: "
				 "\"2\", nginx.ingress.kubernetes.io/"
				 "proxy-next-upstream-timeout: \"10\"",
				 PATH1("/x", "Prefix", "app", "{number: 80}")) ING_TS("v",
				 "  creationTimestamp: \"2026-01-01T00:00:00Z\"\n"
				 "  annotations: {nginx.ingress.kubernetes.io/"
				 "proxy-read-timeout: \"5\"}\n",
				 "/y", "app"),
		NULL, 0);
	k8s_has(out, "upstream ns-app-80 {\n\tserver 198.18.0.11:8080;\n\tconnect_timeout 3s;\n"
		     "\tread_timeout 5s;\n\tsend_timeout 30s;\n"
		     "\tnext_upstream error timeout http_502;\n\ttries 2;\n}");
	k8s_has(k8s_last_msgs, "\"non_idempotent\" is not supported");
	k8s_has(k8s_last_msgs, "\"http_404\" is not supported");
	k8s_has(k8s_last_msgs, "proxy-next-upstream-timeout]: not supported");
	/* v is older: its read timeout wins, u's is reported */
	k8s_has(k8s_last_msgs, "Ingress ns/u: metadata.annotations[nginx.ingress.kubernetes.io/"
			       "proxy-read-timeout]: upstream ns-app-80 already has "
			       "proxy-read-timeout 5 from Ingress ns/v");
	assert_int_equal(k8s_count("warning"), 4);
	free(out);
	out = k8s_import(K8S_SVCS K8S_ING("u", "nginx.ingress.kubernetes.io/proxy-read-timeout: 1m",
				 PATH1("/x", "Prefix", "app", "{number: 80}")),
		NULL, 0);
	k8s_lacks(out, "read_timeout");
	k8s_has(k8s_last_msgs, "invalid value \"1m\" (expected seconds, 1..3600)");
	free(out);
}

/* Nothing is dropped silently: every other annotation is a warning naming
 * the object and the annotation; --strict turns them into a failure. */
static void
test_unsupported_annotations(void **state)
{
	const char *yaml = K8S_SVCS K8S_ING("w",
		"nginx.ingress.kubernetes.io/enable-cors: \"true\", "
		"nginx.ingress.kubernetes.io/load-balance: ewma, "
		"nginx.ingress.kubernetes.io/affinity: cookie, "
		"nginx.ingress.kubernetes.io/session-cookie-hash: sha1, "
		"example.com/owner: me, "
		"kubectl.kubernetes.io/last-applied-configuration: '{}', "
		"kubernetes.io/ingress.class: nginx",
		PATH1("/x", "Prefix", "app", "{number: 80}"));
	struct fo_k8s_opts strict = {.strict = 1};
	char *out = k8s_import(yaml, NULL, 0);

	(void)state;
	k8s_has(out, "route prefix \"/x\"");
	assert_int_equal(k8s_count("warning"), 4);
	k8s_has(k8s_last_msgs, "Ingress ns/w: metadata.annotations[nginx.ingress.kubernetes.io/"
			       "enable-cors]: ingress-nginx annotation not supported by fanout");
	/* balancing is mapped (test_k8s_balance.c); what it cannot be, warned */
	k8s_has(k8s_last_msgs, "metadata.annotations[nginx.ingress.kubernetes.io/load-balance]: "
			       "ignored: affinity: cookie decides (as ingress-nginx)");
	k8s_has(k8s_last_msgs, "metadata.annotations[nginx.ingress.kubernetes.io/"
			       "session-cookie-hash]: ingress-nginx annotation not supported");
	k8s_has(out, "	sticky cookie \"INGRESSCOOKIE\" \"path=/x\" httponly;\n");
	k8s_has(k8s_last_msgs, "metadata.annotations[example.com/owner]: annotation not known");
	k8s_lacks(k8s_last_msgs, "last-applied");
	free(out);
	out = k8s_import(yaml, &strict, -EINVAL);
	k8s_has(k8s_last_msgs, "error: 4 warnings and --strict: no config written");
}

static void
test_ingress_class(void **state)
{
	const char *yaml = K8S_SVCS K8S_ING("a", "",
		"  ingressClassName: nginx\n" PATH1("/a", "Prefix", "app",
			"{number: 80}")) K8S_ING("b", "kubernetes.io/ingress.class: nginx",
		PATH1("/b", "Prefix", "app", "{number: 80}")) K8S_ING("c", "",
		"  ingressClassName: traefik\n" PATH1("/c", "Prefix", "app", "{number: 80}"))
		K8S_ING("d", "", PATH1("/d", "Prefix", "app", "{number: 80}"));
	struct fo_k8s_opts o = {.ingress_class = "nginx"};
	char *out = k8s_import(yaml, &o, 0);

	(void)state;
	k8s_has(out, "route prefix \"/a\"");
	k8s_has(out, "route prefix \"/b\"");
	k8s_lacks(out, "route prefix \"/c\"");
	k8s_lacks(out, "route prefix \"/d\"");
	k8s_has(k8s_last_msgs, "note: 2 Ingresses of another class than \"nginx\" left out");
	free(out);
	out = k8s_import(yaml, NULL, 0); /* no filter: all of them */
	k8s_has(out, "route prefix \"/c\"");
	k8s_has(out, "route prefix \"/d\"");
	free(out);
}

static void
test_default_backend(void **state)
{
	char *out;

	(void)state;
	out = k8s_import(K8S_SVCS K8S_ING("d", "",
				 "  defaultBackend: {service: {name: other, port: "
				 "{number: 80}}}\n"
				 "  rules:\n  - host: a.example\n    http:\n      paths:\n"
				 "      - {path: /x, pathType: Prefix, backend: {service: "
				 "{name: app, port: {number: 80}}}}\n"
				 "  - host: '*.b.example'\n") K8S_ING("g", "",
				 "  defaultBackend: {service: {name: app, port: {number: "
				 "80}}}\n") K8S_ING("h", "",
				 "  defaultBackend: {service: {name: other, port: "
				 "{number: 80}}}\n"),
		NULL, 0);
	k8s_has(out, "default_backend ns-other-80 host a.example;\n");
	k8s_has(out, "default_backend ns-other-80 host *.b.example;\n");
	k8s_has(out, "# Ingress ns/g spec.defaultBackend\ndefault_backend ns-app-80;\n");
	k8s_has(k8s_last_msgs, "Ingress ns/h: spec.defaultBackend: the default backend (no host) "
			       "is already Ingress ns/g's (older): ignored");
	free(out);
}

/* Ready endpoints are servers, terminating ones drained, the others left
 * out (as a comment); addresses the config cannot take are warnings. */
static void
test_endpoints(void **state)
{
	const char *yaml =
		"apiVersion: v1\nkind: Service\nmetadata: {name: s}\n"
		"spec: {ports: [{name: web, port: 80, targetPort: http}]}\n"
		"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		"metadata: {name: s-a, labels: {kubernetes.io/service-name: s}}\n"
		"addressType: IPv4\nports: [{name: web, port: 8000, protocol: TCP}]\n"
		"endpoints:\n"
		"- {addresses: [198.18.0.11], conditions: {ready: true, serving: true, "
		"terminating: false}}\n"
		"- {addresses: [198.18.0.12], conditions: {ready: false, serving: true, "
		"terminating: true}}\n"
		"- {addresses: [198.18.0.13], conditions: {ready: false, serving: false, "
		"terminating: true}}\n"
		"- {addresses: [198.18.0.14], conditions: {ready: false, serving: false, "
		"terminating: false}}\n"
		"- {addresses: [198.18.0.15]}\n"
		"- {addresses: [127.0.0.1, 198.18.0.11]}\n"
		"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		"metadata: {name: s-b, labels: {kubernetes.io/service-name: s}}\n"
		"addressType: IPv6\nports: [{name: web, port: 8000}]\n"
		"endpoints: [{addresses: ['fd00::1']}]\n"
		"---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\n"
		"spec:\n" PATH1("/", "Prefix", "s", "{name: web}");
	char *out = k8s_import(yaml, NULL, 0);

	(void)state;
	k8s_has(out, "# Service default/s port 80 (web), targetPort http\n"
		     "upstream default-s-web {\n"
		     "\tserver 198.18.0.11:8000;\n"
		     "\tserver 198.18.0.12:8000 drain;  # terminating\n"
		     "\tserver 198.18.0.13:8000 drain;  # terminating\n"
		     "\t# server 198.18.0.14:8000;  (not ready)\n"
		     "\tserver 198.18.0.15:8000;\n}\n");
	k8s_has(k8s_last_msgs, "EndpointSlice default/s-a: endpoints[5].addresses[0]: "
			       "\"127.0.0.1\" is not an IPv4 unicast address: skipped");
	k8s_has(k8s_last_msgs, "EndpointSlice default/s-b: addressType: IPv6 endpoints are not "
			       "supported");
	assert_int_equal(k8s_count("warning"), 2);
	free(out);
}

/* Backends that do not resolve: errors with the field path, no config. */
static void
test_backend_errors(void **state)
{
	char *out;

	(void)state;
	k8s_import(K8S_SVCS K8S_ING("e", "", PATH1("/x", "Prefix", "nosuch", "{number: 80}")), NULL,
		-EINVAL);
	k8s_has(k8s_last_msgs, "error: in.yaml:");
	k8s_has(k8s_last_msgs, "Ingress ns/e: spec.rules[0].http.paths[0].backend.service.name: "
			       "Service ns/nosuch not found");
	k8s_import(K8S_SVCS K8S_ING("e", "", PATH1("/x", "Prefix", "app", "{number: 81}")), NULL,
		-EINVAL);
	k8s_has(k8s_last_msgs, "Ingress ns/e: spec.rules[0].http.paths[0].backend.service.port."
			       "number: Service ns/app has no port 81 (ports: 80/http)");
	k8s_import(K8S_SVCS K8S_ING("e", "", PATH1("/x", "Prefix", "app", "{name: grpc}")), NULL,
		-EINVAL);
	k8s_has(k8s_last_msgs, "spec.rules[0].http.paths[0].backend.service.port.name: Service "
			       "ns/app has no port named \"grpc\" (ports: 80/http)");
	/* the Service's port has no EndpointSlice port of its name */
	k8s_import("apiVersion: v1\nkind: Service\nmetadata: {name: s}\n"
		   "spec: {ports: [{name: web, port: 80}]}\n"
		   "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		   "metadata: {name: s-a, labels: {kubernetes.io/service-name: s}}\n"
		   "addressType: IPv4\nports: [{name: metrics, port: 9090}]\n"
		   "endpoints: [{addresses: [198.18.0.11]}]\n"
		   "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\n"
		   "spec:\n" PATH1("/", "Prefix", "s", "{name: web}"),
		NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "error: in.yaml:22:18:");
	k8s_has(k8s_last_msgs, "Ingress default/i: spec.rules[0].http.paths[0].backend.service."
			       "port.name: Service default/s port 80 (web) has no endpoint port: "
			       "no EndpointSlice of the Service has a TCP port named \"web\"");
	/* no slice at all: an upstream without server, and a warning */
	out = k8s_import("apiVersion: v1\nkind: Service\nmetadata: {name: s}\n"
			 "spec: {ports: [{port: 80}]}\n"
			 "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: "
			 "i}\nspec:\n" PATH1("/", "Prefix", "s", "{number: 80}"),
		NULL, 0);
	k8s_has(out, "upstream default-s-80 {\n}\n");
	k8s_has(k8s_last_msgs, "no EndpointSlice for Service default/s: upstream default-s-80 "
			       "has no server");
	free(out);
}

static void
test_path_errors(void **state)
{
	(void)state;
	k8s_import(K8S_SVCS K8S_ING("e", "", PATH1("x", "Prefix", "app", "{number: 80}")), NULL,
		-EINVAL);
	k8s_has(k8s_last_msgs, "spec.rules[0].http.paths[0].path: must start with \"/\" "
			       "(pathType Prefix)");
	k8s_import(K8S_SVCS K8S_ING("e", "", PATH1("'/a b'", "Prefix", "app", "{number: 80}")),
		NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "spec.rules[0].http.paths[0].path: path \"/a b\" has a byte");
	k8s_import(K8S_SVCS K8S_ING("e", "", PATH1("/a", "Regex", "app", "{number: 80}")), NULL,
		-EINVAL);
	k8s_has(k8s_last_msgs, "spec.rules[0].http.paths[0].pathType: unknown pathType \"Regex\"");
	k8s_import(K8S_SVCS K8S_ING("e", "",
			   "  rules:\n  - host: 'a_b.example'\n    http:\n      paths:\n"
			   "      - {path: /, pathType: Prefix, backend: {service: "
			   "{name: app, port: {number: 80}}}}\n"),
		NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "spec.rules[0].host: invalid host \"a_b.example\"");
	/* a rewrite-target the config cannot send */
	k8s_import(K8S_SVCS K8S_ING("e", "nginx.ingress.kubernetes.io/rewrite-target: '/a#b'",
			   PATH1("/a", "Prefix", "app", "{number: 80}")),
		NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "error: in.yaml:39:17: Ingress ns/e: metadata.annotations[nginx."
			       "ingress.kubernetes.io/rewrite-target]: \"/a#b\" has a byte fanout "
			       "cannot send (printable ASCII without spaces or \"#\")");
}

/* Errors outside the paths: two Services with one upstream name, a --base
 * the config cannot quote. */
static void
test_other_errors(void **state)
{
	struct fo_k8s_opts o = {.base = "/etc/fanout/a\"b.conf"};

	(void)state;
	/* ingress-nginx's name namespace-service-port: a-b/c and a/b-c are both a-b-c-80 */
	k8s_import("apiVersion: v1\nkind: Service\nmetadata: {name: c, namespace: a-b}\n"
		   "spec: {ports: [{port: 80}]}\n"
		   "---\napiVersion: v1\nkind: Service\nmetadata: {name: b-c, namespace: a}\n"
		   "spec: {ports: [{port: 80}]}\n"
		   "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, "
		   "namespace: a-b}\nspec:\n" PATH1("/x", "Prefix", "c",
			   "{number: 80}") "---\napiVersion: networking.k8s.io/v1\nkind: "
					   "Ingress\nmetadata: {name: j, "
					   "namespace: a}\nspec:\n" PATH1(
						   "/y", "Prefix", "b-c", "{number: 80}"),
		NULL, -EINVAL);
	/* (a/j is imported first: the same age, then namespace/name) */
	k8s_has(k8s_last_msgs, "error: in.yaml:20:18: Ingress a-b/i: spec.rules[0].http.paths[0]."
			       "backend: upstream name a-b-c-80 of Service a-b/c is also that of "
			       "Service a/b-c");
	k8s_import(K8S_SVCS K8S_ING("i", "", PATH1("/x", "Prefix", "app", "{number: 80}")), &o,
		-EINVAL);
	k8s_has(k8s_last_msgs, "error: base config path \"/etc/fanout/a\"b.conf\": printable "
			       "ASCII without spaces or quotes only");
}

/* The rest of the paths: long upstream names, UDP ports, a slice port that
 * is not the targetPort, annotation values that do not parse. */
static void
test_more_paths(void **state)
{
	char *out;

	(void)state;
	/* ingress-nginx's name over 63 bytes: 54 bytes, "-" and a hash */
	out = k8s_import(
		"apiVersion: v1\nkind: Service\nmetadata: {name: "
		"a-service-with-a-rather-long-name-for-this, namespace: "
		"a-namespace-with-a-long-name-too}\nspec: {ports: [{port: 8080}]}\n"
		"---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, "
		"namespace: a-namespace-with-a-long-name-too}\nspec:\n" PATH1("/", "Prefix",
			"a-service-with-a-rather-long-name-for-this", "{number: 8080}"),
		NULL, 0);
	k8s_has(out, "upstream a-namespace-with-a-long-name-too-a-service-with-a-rath-d5b54022 {");
	k8s_lacks(out, "a-rather-long-name-for-this-8080");
	free(out);
	k8s_import("apiVersion: v1\nkind: Service\nmetadata: {name: dns}\n"
		   "spec: {ports: [{port: 53, protocol: UDP}]}\n"
		   "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\n"
		   "spec:\n" PATH1("/", "Prefix", "dns", "{number: 53}"),
		NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "spec.rules[0].http.paths[0].backend.service.port: Service "
			       "default/dns port 53 is UDP (HTTP needs TCP)");
	out = k8s_import(
		"apiVersion: v1\nkind: Service\nmetadata: {name: s}\n"
		"spec: {ports: [{port: 80, targetPort: 8000}]}\n"
		"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		"metadata: {name: s-a, labels: {kubernetes.io/service-name: s}}\n"
		"addressType: IPv4\nports: [{port: 9000}]\n"
		"endpoints: [{addresses: [198.18.0.11]}]\n"
		"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		"metadata: {name: s-b, labels: {kubernetes.io/service-name: s}}\n"
		"addressType: FQDN\nports: [{port: 8000}]\n"
		"endpoints: [{addresses: [a.example]}]\n"
		"---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\n"
		"spec:\n" PATH1("/", "Prefix", "s", "{number: 80}"),
		NULL, 0);
	k8s_has(out, "\tserver 198.18.0.11:9000;\n");
	k8s_has(k8s_last_msgs, "EndpointSlice default/s-a: ports: port \"\" is 9000 but Service "
			       "default/s's targetPort is 8000: 9000 used");
	k8s_has(k8s_last_msgs, "EndpointSlice default/s-b: addressType: FQDN endpoints are not "
			       "supported");
	free(out);
	out = k8s_import(K8S_SVCS K8S_ING("v",
				 "nginx.ingress.kubernetes.io/use-regex: maybe, "
				 "nginx.ingress.kubernetes.io/app-root: /, "
				 "nginx.ingress.kubernetes.io/proxy-next-upstream-tries: "
				 "\"0\", nginx.ingress.kubernetes.io/temporal-redirect: /t, "
				 "nginx.ingress.kubernetes.io/temporal-redirect-code: \"300\", "
				 "nginx.ingress.kubernetes.io/proxy-connect-timeout: \"0\", "
				 "nginx.ingress.kubernetes.io/proxy-next-upstream: off",
				 PATH1("/x", "Prefix", "app", "{number: 80}")),
		NULL, 0);
	k8s_has(out, "route prefix \"/x\"");
	k8s_has(out, "\treturn 302 \"/t\";\n");
	k8s_has(out, "\tnext_upstream off;\n\ttries 16;\n");
	k8s_lacks(out, "connect_timeout");
	k8s_has(k8s_last_msgs, "use-regex]: invalid value \"maybe\" (expected true or false)");
	k8s_has(k8s_last_msgs, "app-root]: invalid value \"/\"");
	k8s_has(k8s_last_msgs, "proxy-next-upstream-tries]: unlimited tries: fanout makes at most "
			       "16 attempts, 16 used");
	k8s_has(k8s_last_msgs, "temporal-redirect-code]: invalid code \"300\"");
	k8s_has(k8s_last_msgs, "proxy-connect-timeout]: invalid value \"0\"");
	assert_int_equal(k8s_count("warning"), 5);
	free(out);
	/* a missing TLS Secret and ExternalName Services: warnings, never silence
	 * (TLS itself: test_k8s_tls.c) */
	out = k8s_import(
		"apiVersion: v1\nkind: Service\nmetadata: {name: ext}\n"
		"spec: {type: ExternalName, externalName: db.example.com, ports: [{port: "
		"80}]}\n"
		"---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\n"
		"spec:\n  tls: [{hosts: [a.example], secretName: a-tls}]\n" PATH1(
			"/", "Prefix", "ext", "{number: 80}"),
		NULL, 0);
	k8s_has(k8s_last_msgs, "warning: in.yaml:10:9: Ingress default/i: spec.tls[0].secretName: "
			       "Secret default/a-tls not found: its hosts: a.example get fanout's "
			       "self-signed default certificate");
	k8s_has(k8s_last_msgs, "Service default/ext is an ExternalName Service");
	assert_int_equal(k8s_count("warning"), 2);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_shape),
		cmocka_unit_test(test_path_types),
		cmocka_unit_test(test_use_regex),
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_rewrite),
		cmocka_unit_test(test_redirects),
		cmocka_unit_test(test_app_root_and_route_settings),
		cmocka_unit_test(test_upstream_settings),
		cmocka_unit_test(test_unsupported_annotations),
		cmocka_unit_test(test_ingress_class),
		cmocka_unit_test(test_default_backend),
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_backend_errors),
		cmocka_unit_test(test_path_errors),
		cmocka_unit_test(test_other_errors),
		cmocka_unit_test(test_more_paths),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	free(k8s_last_msgs);
	return rc;
}
