/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/k8s canary Ingresses: each path of a canary Ingress (canary: "true")
 * becomes a `canary` block of the main Ingress's route with the same host,
 * path and pathType — one table case per annotation (by-header, -value,
 * -pattern, by-cookie, weight, weight-total) and their invalid values; the
 * weights of several canaries of one path on one total (their least
 * common multiple), the errors when they do not fit (object and annotation
 * named); the warnings: no main path, several canaries, the main's own
 * upstream, a canary default backend. lib/conf parses every config
 * written (k8s_harness.h).
 */
#include "k8s_harness.h"

#define K8S_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define PATH1(path, type, svc)                                                                     \
	"  rules:\n  - http:\n      paths:\n      - path: " path "\n        pathType: " type       \
	"\n        backend: {service: {name: " svc ", port: {number: 80}}}\n"
#define MAIN K8S_ING("main", "", PATH1("/x", "Prefix", "app"))
#define NGX "nginx.ingress.kubernetes.io/"
#define CANARY(name, annots)                                                                       \
	K8S_ING(name, NGX "canary: \"true\", " annots, PATH1("/x", "Prefix", "other"))

/* One canary Ingress on the main route: the block written, the warnings. */
static void
test_annotations(void **state)
{
	static const struct {
		const char *annots, *block, *warning;
		unsigned warnings;
	} cases[] = {
		{NGX "canary-by-header: X-Canary", "\t\theader X-Canary;\n", NULL, 0},
		{NGX "canary-by-header: X-Canary, " NGX "canary-by-header-value: blue",
			"\t\theader X-Canary \"blue\";\n", NULL, 0},
		{NGX "canary-by-header: X-Canary, " NGX "canary-by-header-value: 'a \"b\"'",
			"\t\theader X-Canary \"a \\\"b\\\"\";\n", NULL, 0},
		{NGX "canary-by-header: X-Canary, " NGX "canary-by-header-pattern: '^(a|b)$'",
			"\t\theader X-Canary ~ \"^(a|b)$\";\n", NULL, 0},
		{NGX "canary-by-header: X-Canary, " NGX "canary-by-header-value: blue, " NGX
		     "canary-by-header-pattern: '^b'",
			"\t\theader X-Canary \"blue\";\n", "the value is used (as ingress-nginx)",
			1},
		{NGX "canary-by-header: X-Canary, " NGX "canary-by-header-pattern: '(a'",
			"\t\theader X-Canary;\n",
			"canary-by-header-pattern]: invalid regex \"(a\" (missing closing "
			"parenthesis at offset 2): ignored",
			1},
		{NGX "canary-by-header: 'X Canary', " NGX "canary-weight: \"5\"", "\t\tweight 5;\n",
			"canary-by-header]: invalid value \"X Canary\"", 1},
		{NGX "canary-by-cookie: canary", "\t\tcookie canary;\n", NULL, 0},
		{NGX "canary-by-header: X-Canary, " NGX "canary-by-cookie: canary, " NGX
		     "canary-weight: \"10\"",
			"\t\theader X-Canary;\n\t\tcookie canary;\n\t\tweight 10;\n", NULL, 0},
		{NGX "canary-weight: \"10\"", "\t\tweight 10;\n", NULL, 0},
		{NGX "canary-weight: \"100\"", "\t\tweight 100;\n", NULL, 0},
		/* a canary at weight 0 takes nothing (ingress-nginx keeps it too) */
		{"", "\t\tweight 0;\n", NULL, 0},
		{NGX "canary-weight: \"0\", " NGX "canary-by-cookie: c", "\t\tcookie c;\n", NULL,
			0},
		{NGX "canary-weight: ten", "\t\tweight 0;\n",
			"canary-weight]: invalid value \"ten\" (expected a number): 0 used", 1},
		{NGX "canary-weight: \"-5\"", "\t\tweight 0;\n", "invalid value \"-5\"", 1},
		{NGX "canary-weight: \"5\", " NGX "canary-weight-total: \"1000\"",
			"\t\tweight 5;\n", NULL, 0},
		{NGX "canary-weight: \"5\", " NGX "canary-weight-total: \"1000000\"",
			"\t\tweight 5;\n", NULL, 0},
		/* ingress-nginx's balancer draws from 100 below 100 */
		{NGX "canary-weight: \"5\", " NGX "canary-weight-total: \"10\"", "\t\tweight 5;\n",
			"canary-weight-total]: 10: ingress-nginx draws from 100 when "
			"canary-weight-total is below 100, so does the import: 100 used",
			1},
		{NGX "canary-weight: \"5\", " NGX "canary-weight-total: \"0\"", "\t\tweight 5;\n",
			"canary-weight-total]: invalid value \"0\" (expected a number above 0): "
			"100 "
			"used",
			1},
	};
	unsigned i;

	(void)state;
	for (i = 0; i < K8S_ARRAY_LEN(cases); i++) {
		char yaml[2048], block[512], *out;

		snprintf(yaml, sizeof(yaml),
			"%s%s" K8S_ING(
				"can", NGX "canary: \"true\"%s%s", PATH1("/x", "Prefix", "other")),
			K8S_SVCS, MAIN, cases[i].annots[0] ? ", " : "", cases[i].annots);
		snprintf(block, sizeof(block), "\tcanary ns-other-80 {\n%s\t}\n", cases[i].block);
		print_message("case %u: %s\n", i, cases[i].annots);
		out = k8s_import(yaml, NULL, 0);
		k8s_has(out, "route prefix \"/x\" {\n\tupstream ns-app-80;\n");
		k8s_has(out, ";\n\t# canary Ingress ns/can spec.rules[0].http.paths[0] (in.yaml:");
		k8s_has(out, block);
		if (strstr(cases[i].annots, "\"1000") != NULL)
			k8s_has(out, strstr(cases[i].annots, "\"1000000\"")
					     ? "\tcanary_weight_total 1000000;\n"
					     : "\tcanary_weight_total 1000;\n");
		else
			k8s_lacks(out, "canary_weight_total");
		if (cases[i].warning != NULL)
			k8s_has(k8s_last_msgs, cases[i].warning);
		assert_int_equal(k8s_count("warning"), cases[i].warnings);
		free(out);
	}
}

/* The main Ingress's route keeps its own settings; canaries go where the
 * host, path and pathType are the same, and nowhere else. */
static void
test_attach(void **state)
{
	char *out, *a, *b;

	(void)state;
	out = k8s_import(
		K8S_SVCS K8S_ING("main", NGX "rewrite-target: /, " NGX "proxy-read-timeout: \"7\"",
			"  rules:\n  - host: a.example\n    http:\n      paths:\n"
			"      - {path: /x, pathType: Prefix, backend: {service: {name: "
			"app, port: {number: 80}}}}\n"
			"      - {path: /y, pathType: Exact, backend: {service: {name: "
			"app, port: {number: 80}}}}\n")
			K8S_ING("can", NGX "canary: \"true\", " NGX "canary-by-header: X-Canary",
				"  defaultBackend: {service: {name: other, port: {number: 80}}}\n"
				"  rules:\n  - host: a.example\n    http:\n      paths:\n"
				"      - {path: /x, pathType: Prefix, backend: {service: {name: "
				"other, port: {number: 80}}}}\n"
				"      - {path: /y, pathType: Prefix, backend: {service: {name: "
				"other, port: {number: 80}}}}\n"
				"      - {path: /z, pathType: Prefix, backend: {service: {name: "
				"other, port: {number: 80}}}}\n"
				"  - host: b.example\n    http:\n      paths:\n"
				"      - {path: /x, pathType: Prefix, backend: {service: {name: "
				"other, port: {number: 80}}}}\n"),
		NULL, 0);
	/* the rewrite stays; the canary's upstream is served with the main's timeout */
	a = strstr(out, "route regex \"/x\" {\n\thost a.example;\n\tupstream ns-app-80;\n");
	assert_non_null(a);
	b = strstr(a, "\tcanary ns-other-80 {\n\t\theader X-Canary;\n\t}\n\trewrite \"/\";\n}");
	assert_non_null(b);
	k8s_has(out, "upstream ns-other-80 {\n\tserver 198.18.0.21:8000;\n\tread_timeout 7s;\n}");
	k8s_lacks(out, "route exact \"/y\" {\n\thost a.example;\n\tupstream ns-app-80;\n\t# c");
	assert_null(strstr(b + 1, "\tcanary ns-other-80")); /* one canary: /x of a.example */
	k8s_lacks(out, "b.example");
	k8s_lacks(out, "default_backend");
	k8s_has(k8s_last_msgs, "Ingress ns/can: spec.defaultBackend: the default backend of a "
			       "canary Ingress is not imported");
	k8s_has(k8s_last_msgs, "Ingress ns/can: spec.rules[0].http.paths[1]: canary path \"/y\" "
			       "of host a.example (Service other): Ingress ns/main has it with "
			       "pathType Exact, not Prefix, and ingress-nginx matches both: "
			       "ignored");
	k8s_has(k8s_last_msgs, "Ingress ns/can: spec.rules[0].http.paths[2]: canary path \"/z\" "
			       "of host a.example (Service other): no main (non-canary) Ingress "
			       "has this host, path and pathType");
	k8s_has(k8s_last_msgs, "Ingress ns/can: spec.rules[1].http.paths[0]: canary path \"/x\" "
			       "of host b.example (Service other): no main");
	assert_int_equal(k8s_count("warning"), 4);
	free(out);

	/* a canary to the main's own upstream; canary-* without canary: "true" */
	out = k8s_import(
		K8S_SVCS MAIN K8S_ING("same", NGX "canary: \"true\", " NGX "canary-weight: \"50\"",
			PATH1("/x", "Prefix", "app")) K8S_ING("not",
			NGX "canary: yes, " NGX "canary-weight: \"50\", " NGX "canary-by-cookie: c",
			PATH1("/w", "Prefix", "other")),
		NULL, 0);
	k8s_lacks(out, "canary ");
	k8s_has(out, "route prefix \"/w\" {\n\tupstream ns-other-80;\n}");
	k8s_has(k8s_last_msgs, "Ingress ns/same: spec.rules[0].http.paths[0]: canary backend "
			       "ns-app-80 is the main upstream of this path (Ingress ns/main): "
			       "ignored (as ingress-nginx)");
	k8s_has(k8s_last_msgs, "Ingress ns/not: metadata.annotations: canary-by-* or "
			       "canary-weight* without canary: \"true\": ignored");
	k8s_has(k8s_last_msgs, "Ingress ns/not: metadata.annotations[nginx.ingress.kubernetes.io/"
			       "canary]: invalid value \"yes\" (expected true or false): not a "
			       "canary");
	assert_int_equal(k8s_count("warning"), 3);
	free(out);

	/* a canary's location annotations: the main Ingress's apply (none here) */
	out = k8s_import(K8S_SVCS MAIN K8S_ING("can",
				 NGX "rewrite-target: /, " NGX "proxy-read-timeout: \"9\", " NGX
				     "canary: \"true\", " NGX "canary-weight: \"20\"",
				 PATH1("/x", "Prefix", "other")),
		NULL, 0);
	k8s_has(out, "route prefix \"/x\" {\n\tupstream ns-app-80;\n");
	k8s_has(out, "\t\tweight 20;\n\t}\n}\n");
	k8s_lacks(out, "rewrite");
	k8s_lacks(out, "read_timeout");
	k8s_has(k8s_last_msgs, "Ingress ns/can: metadata.annotations[nginx.ingress.kubernetes.io/"
			       "rewrite-target]: ignored on a canary Ingress: its requests are "
			       "served with the main Ingress's settings (as ingress-nginx)");
	k8s_has(k8s_last_msgs, "metadata.annotations[nginx.ingress.kubernetes.io/"
			       "proxy-read-timeout]: ignored on a canary Ingress");
	assert_int_equal(k8s_count("warning"), 2);
	free(out);
}

#define ING_TS(name, ts, annots)                                                                   \
	"---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: " name           \
	"\n  namespace: ns\n  creationTimestamp: \"" ts "\"\n  annotations: {" NGX                 \
	"canary: \"true\", " annots "}\nspec:\n" PATH1("/x", "Prefix", "other")

/* Several canaries of one path: all kept, oldest first, on one total. */
static void
test_several(void **state)
{
	char *out, *a, *b;

	(void)state;
	out = k8s_import(
		K8S_SVCS MAIN ING_TS("new", "2026-03-01T00:00:00Z",
			NGX "canary-weight: \"5\", " NGX "canary-weight-total: \"1000\"")
			ING_TS("old", "2026-01-01T00:00:00Z",
				NGX "canary-by-header: X-Old, " NGX "canary-weight: \"10\""),
		NULL, 0);
	a = strstr(out, "\tupstream ns-app-80;\n\tcanary_weight_total 1000;\n"
			"\t# canary Ingress ns/old spec.rules[0].http.paths[0] (in.yaml:");
	assert_non_null(a);
	a = strstr(a, "\tcanary ns-other-80 {\n\t\theader X-Old;\n\t\tweight 100;\n\t}\n");
	assert_non_null(a);
	b = strstr(a, "\t# canary Ingress ns/new spec.rules[0].http.paths[0] (in.yaml:");
	assert_non_null(b);
	assert_non_null(strstr(b, "\tcanary ns-other-80 {\n\t\tweight 5;\n\t}\n}"));
	k8s_has(k8s_last_msgs, "warning: in.yaml:");
	k8s_has(k8s_last_msgs, "Ingress ns/new: spec.rules[0].http.paths[0]: path \"/x\" of "
			       "Ingress ns/main already has canary Ingress ns/old (older): both "
			       "are kept and decided oldest first (ingress-nginx only uses the "
			       "oldest)");
	assert_int_equal(k8s_count("warning"), 1);
	free(out);

	/* totals 300 and 200: 600 */
	out = k8s_import(
		K8S_SVCS MAIN ING_TS("a", "2026-01-01T00:00:00Z",
			NGX "canary-weight: \"100\", " NGX "canary-weight-total: \"300\"")
			ING_TS("b", "2026-01-02T00:00:00Z",
				NGX "canary-weight: \"50\", " NGX "canary-weight-total: \"200\""),
		NULL, 0);
	k8s_has(out, "\tcanary_weight_total 600;\n");
	a = strstr(out, "\t\tweight 200;\n");
	assert_non_null(a);
	assert_non_null(strstr(a, "\t\tweight 150;\n"));
	free(out);
}

static void
test_errors(void **state)
{
	static const struct {
		const char *yaml, *error;
	} cases[] = {
		{CANARY("w", NGX "canary-weight: \"150\""),
			"Ingress ns/w: metadata.annotations[nginx.ingress."
			"kubernetes.io/canary-weight]: 150 is more than canary-weight-total 100 "
			"(ingress-nginx sends every request to the canary then"},
		{CANARY("w", NGX "canary-weight: \"1001\", " NGX "canary-weight-total: \"1000\""),
			"canary-weight]: 1001 is more than canary-weight-total 1000"},
		{CANARY("w", NGX "canary-weight-total: \"1000001\""),
			"Ingress ns/w: metadata.annotations[nginx.ingress.kubernetes.io/"
			"canary-weight-total]: 1000001 is more than fanout's largest "
			"canary_weight_total, 1000000"},
		{ING_TS("a", "2026-01-01T00:00:00Z", NGX "canary-weight: \"60\"")
				ING_TS("b", "2026-01-02T00:00:00Z", NGX "canary-weight: \"50\""),
			"Ingress ns/b: metadata.annotations[nginx.ingress.kubernetes.io/"
			"canary-weight]: 50 of 100: with the older canaries of path \"/x\" "
			"(Ingress ns/a's, first) the weights add up to more than the whole (110 "
			"of 100)"},
		{ING_TS("a", "2026-01-01T00:00:00Z",
			 NGX "canary-weight: \"1\", " NGX "canary-weight-total: \"999999\"")
				ING_TS("b", "2026-01-02T00:00:00Z",
					NGX "canary-weight-total: \"1000000\""),
			"Ingress ns/b: metadata.annotations[nginx.ingress.kubernetes.io/"
			"canary-weight-total]: 1000000 and the totals of the older canaries of "
			"path \"/x\" need a common canary_weight_total (their least common "
			"multiple) above fanout's 1000000"},
	};
	unsigned i;

	(void)state;
	for (i = 0; i < K8S_ARRAY_LEN(cases); i++) {
		char yaml[4096];

		print_message("case %u\n", i);
		snprintf(yaml, sizeof(yaml), "%s%s%s", K8S_SVCS, MAIN, cases[i].yaml);
		assert_null(k8s_import(yaml, NULL, -EINVAL));
		k8s_has(k8s_last_msgs, cases[i].error);
	}
}

/* fanout takes 16 canaries per route: the 17th is an error. */
static void
test_too_many(void **state)
{
	static char yaml[32768];
	size_t used;
	unsigned i;

	(void)state;
	used = (size_t)snprintf(yaml, sizeof(yaml), "%s%s", K8S_SVCS, MAIN);
	for (i = 0; i < 17; i++)
		used += (size_t)snprintf(yaml + used, sizeof(yaml) - used,
			K8S_ING("c%02u", NGX "canary: \"true\", " NGX "canary-by-header: X-%u",
				PATH1("/x", "Prefix", "other")),
			i, i);
	assert_true(used < sizeof(yaml));
	assert_null(k8s_import(yaml, NULL, -EINVAL));
	k8s_has(k8s_last_msgs, "Ingress ns/c16: spec.rules[0].http.paths[0]: path \"/x\" of "
			       "Ingress ns/main has more than 16 canaries (fanout's limit per "
			       "route)");
	/* 16 are fine */
	used = (size_t)snprintf(yaml, sizeof(yaml), "%s%s", K8S_SVCS, MAIN);
	for (i = 0; i < 16; i++)
		used += (size_t)snprintf(yaml + used, sizeof(yaml) - used,
			K8S_ING("c%02u", NGX "canary: \"true\", " NGX "canary-by-header: X-%u",
				PATH1("/x", "Prefix", "other")),
			i, i);
	free(k8s_import(yaml, NULL, 0));
	assert_int_equal(k8s_count("warning"), 15);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_annotations),
		cmocka_unit_test(test_attach),
		cmocka_unit_test(test_several),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_too_many),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	free(k8s_last_msgs);
	return rc;
}
