/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/k8s balancing and affinity annotations: load-balance, upstream-hash-by
 * (-subset, -subset-size), affinity and session-cookie-*, affinity-mode,
 * affinity-canary-behavior — one table case per annotation and value, the
 * line written into the upstream and the warnings (object and annotation
 * named); ingress-nginx's precedence (affinity, then hash, then
 * load-balance); the cookie path from the Ingress's paths; two Ingresses
 * on one Service port (the oldest decides); a canary's own balancing.
 * lib/conf parses every config written (k8s_harness.h).
 */
#include "k8s_harness.h"

#define K8S_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define NGX "nginx.ingress.kubernetes.io/"
#define PATH1(path, type, svc)                                                                     \
	"  rules:\n  - http:\n      paths:\n      - path: " path "\n        pathType: " type       \
	"\n        backend: {service: {name: " svc ", port: {number: 80}}}\n"
#define ANN(k) "metadata.annotations[" NGX k "]: "

/* One Ingress, /x Prefix to app: the upstream's balancing line and warnings. */
static void
test_annotations(void **state)
{
	static const struct {
		const char *annots, *line, *warning;
		unsigned warnings;
	} cases[] = {
		/* load-balance */
		{NGX "load-balance: round_robin", "\tbalance round_robin;\n", NULL, 0},
		{NGX "load-balance: ewma", "\tbalance ewma;\n", NULL, 0},
		{NGX "load-balance: least_conn", "\tbalance least_conn;\n",
			ANN("load-balance") "least_conn: ingress-nginx ran it up to 0.23 only", 1},
		{NGX "load-balance: ip_hash", "\tbalance hash $remote_addr;\n",
			ANN("load-balance") "ip_hash: ingress-nginx ran it up to 0.23 only", 1},
		{NGX "load-balance: fastest", NULL,
			ANN("load-balance") "\"fastest\" is not an algorithm of ingress-nginx "
					    "(round_robin, ewma): round_robin used (as "
					    "ingress-nginx)",
			1},
		/* upstream-hash-by: the variables `balance hash` takes */
		{NGX "upstream-hash-by: $remote_addr", "\tbalance hash $remote_addr;\n", NULL, 0},
		{NGX "upstream-hash-by: $binary_remote_addr", "\tbalance hash $remote_addr;\n",
			NULL, 0},
		{NGX "upstream-hash-by: $request_uri", "\tbalance hash $request_uri;\n", NULL, 0},
		{NGX "upstream-hash-by: '${request_uri}'", "\tbalance hash $request_uri;\n", NULL,
			0},
		{NGX "upstream-hash-by: $http_x_user", "\tbalance hash $http_x_user;\n", NULL, 0},
		{NGX "upstream-hash-by: $cookie_SESSION", "\tbalance hash $cookie_SESSION;\n", NULL,
			0},
		/* ... and what it does not: never a wrong key */
		{NGX "upstream-hash-by: $request_uri$host", NULL,
			ANN("upstream-hash-by") "\"$request_uri$host\" cannot be imported", 1},
		{NGX "upstream-hash-by: '${request_uri}-text-value'", NULL,
			ANN("upstream-hash-by") "\"${request_uri}-text-value\" cannot be imported",
			1},
		{NGX "upstream-hash-by: $host", NULL, "\"$host\" cannot be imported", 1},
		{NGX "upstream-hash-by: $uri", NULL, "\"$uri\" cannot be imported", 1},
		{NGX "upstream-hash-by: $http_x-user", NULL, "\"$http_x-user\" cannot be imported",
			1},
		{NGX "upstream-hash-by: request_uri", NULL, "\"request_uri\" cannot be imported",
			1},
		{NGX "upstream-hash-by: $request_uri, " NGX
		     "upstream-hash-by-subset: \"true\", " NGX
		     "upstream-hash-by-subset-size: \"5\"",
			"\tbalance hash $request_uri;\n",
			ANN("upstream-hash-by-subset") "fanout has no subset hashing: each key "
						       "goes "
						       "to one server",
			2},
		{NGX "upstream-hash-by: $request_uri, " NGX "upstream-hash-by-subset: \"false\"",
			"\tbalance hash $request_uri;\n", NULL, 0},
		{NGX "upstream-hash-by-subset: \"true\"", NULL,
			ANN("upstream-hash-by-subset") "ignored: no upstream-hash-by is imported",
			1},
		{NGX "upstream-hash-by: $request_uri$host, " NGX
		     "upstream-hash-by-subset: \"true\"",
			NULL,
			ANN("upstream-hash-by-subset") "ignored: no upstream-hash-by is "
						       "imported",
			2},
		{NGX "upstream-hash-by: $request_uri, " NGX "upstream-hash-by-subset: maybe",
			"\tbalance hash $request_uri;\n",
			ANN("upstream-hash-by-subset") "invalid value \"maybe\"", 1},
		/* precedence: hash over load-balance */
		{NGX "upstream-hash-by: $remote_addr, " NGX "load-balance: ewma",
			"\tbalance hash $remote_addr;\n",
			ANN("load-balance") "ignored: upstream-hash-by decides (as ingress-nginx)",
			1},
		{NGX "upstream-hash-by: $host$uri, " NGX "load-balance: ewma", "\tbalance ewma;\n",
			"cannot be imported", 1},
		/* affinity */
		{NGX "affinity: cookie",
			"\tsticky cookie \"INGRESSCOOKIE\" \"path=/x\" httponly;\n", NULL, 0},
		{NGX "affinity: ip", NULL,
			ANN("affinity") "invalid value \"ip\" (ingress-nginx has only cookie)", 1},
		{NGX "affinity: cookie, " NGX "session-cookie-name: route, " NGX
		     "session-cookie-path: /, " NGX "session-cookie-max-age: \"3600\", " NGX
		     "session-cookie-samesite: Lax, " NGX "session-cookie-secure: \"true\"",
			"\tsticky cookie \"route\" \"path=/\" max_age=3600 samesite=lax secure "
			"httponly;\n",
			NULL, 0},
		{NGX "affinity: cookie, " NGX "session-cookie-expires: \"172800\"",
			"\tsticky cookie \"INGRESSCOOKIE\" \"path=/x\" max_age=172800 httponly;\n",
			NULL, 0},
		{NGX "affinity: cookie, " NGX "session-cookie-expires: \"60\", " NGX
		     "session-cookie-max-age: \"120\"",
			"\tsticky cookie \"INGRESSCOOKIE\" \"path=/x\" max_age=120 httponly;\n",
			ANN("session-cookie-expires") "60 differs from session-cookie-max-age 120",
			1},
		{NGX "affinity: cookie, " NGX "session-cookie-max-age: \"-1\"",
			"\tsticky cookie \"INGRESSCOOKIE\" \"path=/x\" httponly;\n",
			ANN("session-cookie-max-age") "invalid value \"-1\"", 1},
		{NGX "affinity: cookie, " NGX "session-cookie-name: 'a b', " NGX
		     "session-cookie-path: 'x', " NGX "session-cookie-samesite: sometimes",
			"\tsticky cookie \"INGRESSCOOKIE\" \"path=/x\" httponly;\n",
			ANN("session-cookie-samesite") "invalid value \"sometimes\"", 3},
		{NGX "affinity: cookie, " NGX "session-cookie-samesite: None, " NGX
		     "session-cookie-conditional-samesite-none: \"true\"",
			"\tsticky cookie \"INGRESSCOOKIE\" \"path=/x\" samesite=none httponly;\n",
			ANN("session-cookie-conditional-samesite-none") "not supported", 1},
		{NGX "affinity: cookie, " NGX "session-cookie-name: \"a#b\"",
			"\tsticky cookie \"a#b\" \"path=/x\" httponly;\n", NULL, 0},
		{NGX "affinity: cookie, " NGX "session-cookie-path: '/a\"b'",
			"\tsticky cookie \"INGRESSCOOKIE\" \"path=/a\\\"b\" httponly;\n", NULL, 0},
		{NGX "affinity: cookie, " NGX "session-cookie-domain: example.com", "\tsticky ",
			ANN("session-cookie-domain") "not supported", 1},
		{NGX "affinity: cookie, " NGX "session-cookie-change-on-failure: \"true\"",
			"\tsticky ", NULL, 0},
		{NGX "affinity: cookie, " NGX "session-cookie-change-on-failure: \"false\"",
			"\tsticky ",
			ANN("session-cookie-change-on-failure") "\"false\" is not supported", 1},
		{NGX "affinity: cookie, " NGX "affinity-mode: persistent", "\tsticky ", NULL, 0},
		{NGX "affinity: cookie, " NGX "affinity-mode: balanced", "\tsticky ",
			ANN("affinity-mode") "balanced is not supported", 1},
		{NGX "affinity: cookie, " NGX "affinity-canary-behavior: legacy", "\tsticky ", NULL,
			0},
		{NGX "affinity: cookie, " NGX "affinity-canary-behavior: sticky", "\tsticky ",
			ANN("affinity-canary-behavior") "sticky is not supported", 1},
		{NGX "affinity: cookie, " NGX "session-cookie-secure: yes", "\tsticky ",
			ANN("session-cookie-secure") "invalid value \"yes\"", 1},
		/* affinity decides over hash and load-balance */
		{NGX "affinity: cookie, " NGX "upstream-hash-by: $remote_addr, " NGX
		     "load-balance: ewma",
			"\tsticky cookie \"INGRESSCOOKIE\" \"path=/x\" httponly;\n",
			ANN("upstream-hash-by") "ignored: affinity: cookie decides", 2},
		{NGX "affinity: cookie, " NGX "upstream-hash-by: $remote_addr, " NGX
		     "upstream-hash-by-subset: \"true\"",
			"\tsticky ", ANN("upstream-hash-by-subset") "ignored: no upstream-hash-by",
			2},
		/* cookie settings without affinity */
		{NGX "session-cookie-name: route, " NGX "affinity-mode: persistent", NULL,
			ANN("session-cookie-name") "without affinity: cookie: ignored", 2},
	};
	unsigned i;

	(void)state;
	for (i = 0; i < K8S_ARRAY_LEN(cases); i++) {
		char yaml[4096], *out, *up;

		snprintf(yaml, sizeof(yaml), "%s" K8S_ING("i", "%s", PATH1("/x", "Prefix", "app")),
			K8S_SVCS, cases[i].annots);
		print_message("case %u: %s\n", i, cases[i].annots);
		out = k8s_import(yaml, NULL, 0);
		up = strstr(out, "upstream ns-app-80 {\n");
		assert_non_null(up);
		*strstr(up, "}\n") = '\0';
		if (cases[i].line != NULL) {
			k8s_has(up, cases[i].line);
		} else {
			k8s_lacks(up, "balance");
			k8s_lacks(up, "sticky");
		}
		if (cases[i].warning != NULL)
			k8s_has(k8s_last_msgs, cases[i].warning);
		if (k8s_count("warning") != cases[i].warnings)
			fprintf(stderr, "%s", k8s_last_msgs);
		assert_int_equal(k8s_count("warning"), cases[i].warnings);
		if (cases[i].warnings > 0)
			k8s_has(k8s_last_msgs, "warning: in.yaml:");
		free(out);
	}
}

/* The cookie's Path: the Ingress's path (ingress-nginx's location path);
 * several paths on one upstream share "/"; a regex path gives "/" with a
 * warning (ingress-nginx wants session-cookie-path there); a default
 * backend's is "/". */
static void
test_cookie_path(void **state)
{
	char *out;

	(void)state;
	out = k8s_import(K8S_SVCS K8S_ING("i", NGX "affinity: cookie",
				 "  rules:\n  - http:\n      paths:\n"
				 "      - {path: /a, pathType: Prefix, backend: {service: {name: "
				 "app, port: {number: 80}}}}\n"
				 "      - {path: /b, pathType: Exact, backend: {service: {name: "
				 "app, port: {number: 80}}}}\n"
				 "      - {path: /c, pathType: Exact, backend: {service: {name: "
				 "other, port: {number: 80}}}}\n"),
		NULL, 0);
	k8s_has(out, "upstream ns-app-80 {\n\tserver 198.18.0.11:8080;\n"
		     "\tsticky cookie \"INGRESSCOOKIE\" \"path=/\" httponly;\n}");
	k8s_has(out, "upstream ns-other-80 {\n\tserver 198.18.0.21:8000;\n"
		     "\tsticky cookie \"INGRESSCOOKIE\" \"path=/c\" httponly;\n}");
	assert_int_equal(k8s_count("warning"), 0);
	free(out);
	out = k8s_import(K8S_SVCS K8S_ING("i", NGX "affinity: cookie, " NGX "use-regex: \"true\"",
				 PATH1("/x/[0-9]+", "ImplementationSpecific", "app")),
		NULL, 0);
	k8s_has(out, "\tsticky cookie \"INGRESSCOOKIE\" \"path=/\" httponly;\n");
	k8s_has(k8s_last_msgs, "Ingress ns/i: spec.rules[0].http.paths[0]: a regex path without "
			       "session-cookie-path");
	assert_int_equal(k8s_count("warning"), 1);
	free(out);
	/* with session-cookie-path, no warning */
	out = k8s_import(K8S_SVCS K8S_ING("i",
				 NGX "affinity: cookie, " NGX "use-regex: \"true\", " NGX
				     "session-cookie-path: /x",
				 PATH1("/x/[0-9]+", "ImplementationSpecific", "app")),
		NULL, 0);
	k8s_has(out, "\tsticky cookie \"INGRESSCOOKIE\" \"path=/x\" httponly;\n");
	assert_int_equal(k8s_count("warning"), 0);
	free(out);
	/* the default backend too (ingress-nginx: every upstream of the Ingress), at
	 * "/", with the Ingress's timeouts */
	out = k8s_import(
		K8S_SVCS K8S_ING("i", NGX "affinity: cookie, " NGX "proxy-read-timeout: \"9\"",
			"  defaultBackend: {service: {name: other, port: {number: 80}}}\n"
			"  rules:\n  - host: a.example\n    http:\n      paths:\n"
			"      - {path: /a, pathType: Prefix, backend: {service: {name: "
			"app, port: {number: 80}}}}\n"),
		NULL, 0);
	k8s_has(out, "upstream ns-other-80 {\n\tserver 198.18.0.21:8000;\n\tread_timeout 9s;\n"
		     "\tsticky cookie \"INGRESSCOOKIE\" \"path=/\" httponly;\n}");
	k8s_has(out, "upstream ns-app-80 {\n\tserver 198.18.0.11:8080;\n\tread_timeout 9s;\n"
		     "\tsticky cookie \"INGRESSCOOKIE\" \"path=/a\" httponly;\n}");
	assert_int_equal(k8s_count("warning"), 0);
	free(out);
}

/* One Service port, two Ingresses: the oldest decides, the other is warned
 * about (the same rule as timeouts and retries); the same balancing, or
 * none, is no conflict. */
static void
test_two_ingresses(void **state)
{
	char *out;

	(void)state;
	out = k8s_import(K8S_SVCS
		"---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: new\n"
		"  namespace: ns\n  creationTimestamp: \"2024-02-01T00:00:00Z\"\n"
		"  annotations: {" NGX "load-balance: ewma}\nspec:\n" PATH1("/b", "Prefix",
			"app") "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  "
			       "name: old\n"
			       "  namespace: ns\n  creationTimestamp: \"2024-01-01T00:00:00Z\"\n"
			       "  annotations: {" NGX
			       "upstream-hash-by: $request_uri}\nspec:\n" PATH1("/a", "Prefix",
				       "app") "---\napiVersion: networking.k8s.io/v1\nkind: "
					      "Ingress\nmetadata:\n  name: same\n"
					      "  namespace: ns\n  creationTimestamp: "
					      "\"2024-03-01T00:00:00Z\"\n"
					      "  annotations: {" NGX
					      "upstream-hash-by: '${request_uri}'}\nspec:\n" PATH1(
						      "/c", "Prefix",
						      "app") "---\napiVersion: "
							     "networking.k8s.io/v1\nkind: "
							     "Ingress\nmetadata:\n  name: none\n"
							     "  namespace: ns\n  "
							     "creationTimestamp: "
							     "\"2024-04-01T00:00:00Z\"\nspec:"
							     "\n" PATH1("/d", "Prefix", "app"),
		NULL, 0);
	k8s_has(out, "\tbalance hash $request_uri;\n");
	k8s_lacks(out, "ewma");
	k8s_has(k8s_last_msgs,
		"Ingress ns/new: " ANN(
			"load-balance") "upstream ns-app-80 already "
					"has its balancing (upstream-hash-by) from Ingress ns/old "
					"(older; "
					"balancing is per upstream in fanout): ignored");
	assert_int_equal(k8s_count("warning"), 1);
	free(out);
}

/* A canary Ingress's balancing and affinity are its own (ingress-nginx);
 * affinity with a canary is warned about unless legacy. */
static void
test_canary(void **state)
{
	char *out;

	(void)state;
	out = k8s_import(K8S_SVCS K8S_ING("main", NGX "load-balance: ewma",
				 PATH1("/x", "Prefix", "app")) K8S_ING("can",
				 NGX "canary: \"true\", " NGX "canary-weight: \"10\", " NGX
				     "affinity: cookie, " NGX "session-cookie-name: can",
				 PATH1("/x", "Prefix", "other")),
		NULL, 0);
	k8s_has(out, "upstream ns-app-80 {\n\tserver 198.18.0.11:8080;\n\tbalance ewma;\n}");
	k8s_has(out, "upstream ns-other-80 {\n\tserver 198.18.0.21:8000;\n"
		     "\tsticky cookie \"can\" \"path=/x\" httponly;\n}");
	k8s_has(k8s_last_msgs, "Ingress ns/can: spec.rules[0].http.paths[0]: session affinity "
			       "with a canary");
	assert_int_equal(k8s_count("warning"), 1);
	free(out);
	out = k8s_import(K8S_SVCS K8S_ING("main", NGX "affinity: cookie",
				 PATH1("/x", "Prefix", "app")) K8S_ING("can",
				 NGX "canary: \"true\", " NGX "canary-weight: \"10\", " NGX
				     "affinity-canary-behavior: legacy, " NGX "affinity: cookie",
				 PATH1("/x", "Prefix", "other")),
		NULL, 0);
	assert_int_equal(k8s_count("warning"), 0);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_annotations),
		cmocka_unit_test(test_cookie_path),
		cmocka_unit_test(test_two_ingresses),
		cmocka_unit_test(test_canary),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	free(k8s_last_msgs);
	return rc;
}
