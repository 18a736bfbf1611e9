/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/k8s HTTPRoutes: hostnames (a Gateway "*." takes any number of labels:
 * the config's "**."), path types, header / query / method conditions,
 * header modifiers, redirects and rewrites, weighted backendRefs (the
 * first the upstream, the others canaries of the sum of the weights; a
 * table), the age order, and the errors and warnings; lib/conf
 * parses every config written (k8s_harness.h).
 */
#include "k8s_harness.h"

#define HR(name, ts, spec)                                                                         \
	"---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n"              \
	"  name: " name "\n  namespace: ns\n" ts "spec:\n  parentRefs: [{name: gw}]\n" spec

static void
test_shapes(void **state)
{
	char *out = k8s_import(K8S_SVCS HR("r", "",
				       "  hostnames: [a.example, '*.b.example']\n"
				       "  rules:\n"
				       "  - matches:\n"
				       "    - path: {type: PathPrefix, value: /api}\n"
				       "      headers: [{name: version, value: v2}, {type: "
				       "RegularExpression, name: x-env, value: 'prod|dev'}]\n"
				       "      queryParams: [{name: debug, value: '1'}]\n"
				       "      method: POST\n"
				       "    - path: {type: Exact, value: /exact}\n"
				       "    filters:\n"
				       "    - type: RequestHeaderModifier\n"
				       "      requestHeaderModifier: {set: [{name: X-A, value: "
				       "'1 2'}], remove: [X-B]}\n"
				       "    - type: ResponseHeaderModifier\n"
				       "      responseHeaderModifier: {add: [{name: X-C, value: "
				       "c}]}\n"
				       "    backendRefs: [{name: app, port: 80}]\n"
				       "  - matches: [{path: {type: RegularExpression, value: "
				       "'/v[0-9]+'}}]\n"
				       "    filters:\n"
				       "    - type: URLRewrite\n"
				       "      urlRewrite: {hostname: in.example, path: {type: "
				       "ReplaceFullPath, replaceFullPath: /x}}\n"
				       "    backendRefs: [{name: other, port: 80}]\n"),
		NULL, 0);

	(void)state;
	k8s_has(out, "match_order gateway;\n");
	k8s_has(out, "route prefix \"/api\" {\n\thost a.example;\n\tupstream ns-app-80;\n"
		     "\tmatch method POST;\n\tmatch header version \"v2\";\n"
		     "\tmatch header x-env ~ \"prod|dev\";\n\tmatch query debug \"1\";\n"
		     "\trequest_header set X-A \"1 2\";\n\trequest_header remove X-B;\n"
		     "\tresponse_header add X-C \"c\";\n}");
	k8s_has(out, "route prefix \"/api\" {\n\thost **.b.example;\n");
	k8s_has(out, "route exact \"/exact\" {\n\thost a.example;\n\tupstream ns-app-80;\n"
		     "\trequest_header set X-A");
	k8s_has(out, "route regex \"/v[0-9]+\" {\n\thost a.example;\n\tupstream ns-other-80;\n"
		     "\tcase_sensitive on;\n\trewrite_host in.example;\n\trewrite \"/x\";\n}");
	k8s_has(out, "# HTTPRoute ns/r spec.rules[0].matches[1] (in.yaml:");
	assert_int_equal(k8s_count("warning"), 0);
	free(out);
}

/* No hostnames: every host; no matches: PathPrefix "/"; redirects need no
 * backend; older routes first. */
static void
test_defaults_and_order(void **state)
{
	char *out = k8s_import(
		K8S_SVCS HR("young", "  creationTimestamp: \"2026-02-01T00:00:00Z\"\n",
			"  rules:\n  - backendRefs: [{name: other, port: 80}]\n")
			HR("old", "  creationTimestamp: \"2026-01-01T00:00:00Z\"\n",
				"  rules:\n  - matches: [{path: {value: /p}}]\n"
				"    filters:\n    - type: RequestRedirect\n"
				"      requestRedirect: {hostname: new.example, port: 8080, path: "
				"{type: ReplacePrefixMatch, replacePrefixMatch: /q}}\n"),
		NULL, 0);
	char *old, *young;

	(void)state;
	old = strstr(out, "route prefix \"/p\" {\n\tredirect {\n\t\tstatus 302;\n\t\thost "
			  "new.example;\n\t\tport 8080;\n\t\tprefix \"/q\";\n\t}\n}");
	young = strstr(out, "route prefix \"/\" {\n\tupstream ns-other-80;\n}");
	assert_non_null(old);
	assert_non_null(young);
	assert_true(old < young);
	free(out);
}

/* A third Service for three-way splits. */
#define SVC3                                                                                       \
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: third, namespace: ns}\n"             \
	"spec:\n  ports:\n  - {port: 80, targetPort: 9000}\n"                                      \
	"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"                              \
	"metadata: {name: third-1, namespace: ns, labels: "                                        \
	"{kubernetes.io/service-name: third}}\naddressType: IPv4\n"                                \
	"ports: [{name: \"\", port: 9000, protocol: TCP}]\n"                                       \
	"endpoints:\n- addresses: [198.18.0.31]\n  conditions: {ready: true}\n"

/*
 * Weighted backendRefs: the first with a weight above 0 is the route's
 * upstream, the others canaries with their weight, of the sum of all
 * weights (default 1 each); weight 0 gets nothing. Table: the rule's
 * backendRefs, the route written (after "route prefix "/" {\n"), a warning.
 */
static void
test_weights(void **state)
{
	static const struct {
		const char *refs, *route, *warning;
	} cases[] = {
		/* one backend: no canary, whatever its weight */
		{"[{name: app, port: 80, weight: 7}]", "\tupstream ns-app-80;\n}", NULL},
		/* default weights 1 and 1: half each */
		{"[{name: app, port: 80}, {name: other, port: 80}]",
			"\tupstream ns-app-80;\n\tcanary_weight_total 2;\n"
			"\t# spec.rules[0].backendRefs[1] (in.yaml:",
			NULL},
		{"[{name: app, port: 80}, {name: other, port: 80}]",
			"\tcanary ns-other-80 {\n\t\tweight 1;\n\t}\n}", NULL},
		/* weights that add up to 100: no total written */
		{"[{name: app, port: 80, weight: 90}, {name: other, port: 80, weight: 10}]",
			"\tupstream ns-app-80;\n\t# spec.rules[0].backendRefs[1] (in.yaml:", NULL},
		{"[{name: app, port: 80, weight: 90}, {name: other, port: 80, weight: 10}]",
			"\tcanary ns-other-80 {\n\t\tweight 10;\n\t}\n}", NULL},
		/* three ways, one by default: 1 + 1 + 2 */
		{"[{name: app, port: 80, weight: 1}, {name: other, port: 80}, {name: third, port: "
		 "80, weight: 2}]",
			"\tupstream ns-app-80;\n\tcanary_weight_total 4;\n", NULL},
		{"[{name: app, port: 80, weight: 1}, {name: other, port: 80}, {name: third, port: "
		 "80, weight: 2}]",
			"\tcanary ns-other-80 {\n\t\tweight 1;\n\t}\n"
			"\t# spec.rules[0].backendRefs[2] (in.yaml:",
			NULL},
		{"[{name: app, port: 80, weight: 1}, {name: other, port: 80}, {name: third, port: "
		 "80, weight: 2}]",
			"\tcanary ns-third-80 {\n\t\tweight 2;\n\t}\n}", NULL},
		/* weight 0 first: the next one is the upstream; 0 is no canary */
		{"[{name: app, port: 80, weight: 0}, {name: other, port: 80, weight: 3}, {name: "
		 "third, port: 80, weight: 1}]",
			"\tupstream ns-other-80;\n\tcanary_weight_total 4;\n"
			"\t# spec.rules[0].backendRefs[2] (in.yaml:",
			NULL},
		{"[{name: app, port: 80, weight: 5}, {name: other, port: 80, weight: 0}]",
			"\tupstream ns-app-80;\n}", NULL},
		/* the same Service port twice: its share is what the others leave */
		{"[{name: app, port: 80}, {name: other, port: 80, weight: 2}, {name: app, port: "
		 "80}]",
			"\tupstream ns-app-80;\n\tcanary_weight_total 4;\n"
			"\t# spec.rules[0].backendRefs[1] (in.yaml:",
			NULL},
		{"[{name: app, port: 80}, {name: other, port: 80, weight: 2}, {name: app, port: "
		 "80}]",
			"\tcanary ns-other-80 {\n\t\tweight 2;\n\t}\n}", NULL},
		/* over fanout's largest total: divided by their common divisor... */
		{"[{name: app, port: 80, weight: 1000000}, {name: other, port: 80, weight: "
		 "1000000}]",
			"\tcanary_weight_total 2;\n\t# spec.rules[0].backendRefs[1] (in.yaml:",
			NULL},
		/* ... or rounded to millionths */
		{"[{name: app, port: 80, weight: 999999}, {name: other, port: 80, weight: 2}]",
			"\tcanary_weight_total 1000000;\n\t# spec.rules[0].backendRefs[1] "
			"(in.yaml:",
			"HTTPRoute ns/w: the backendRefs' weights add up to 1000001, more than "
			"fanout's largest canary_weight_total (1000000): shares rounded down "
			"to millionths"},
		{"[{name: app, port: 80, weight: 999999}, {name: other, port: 80, weight: 2}]",
			"\tcanary ns-other-80 {\n\t\tweight 1;\n\t}\n}",
			"shares rounded down to millionths (the first backend takes what is left)"},
		/* left out: another namespace, backend filters (their share goes to the others) */
		{"[{name: app, port: 80}, {name: other, namespace: elsewhere, port: 80}, {name: "
		 "third, port: 80, filters: [{type: RequestHeaderModifier, "
		 "requestHeaderModifier: {set: [{name: a, value: b}]}}]}]",
			"\tupstream ns-app-80;\n}",
			"HTTPRoute ns/w: spec.rules[0].backendRefs[1]: a Service in namespace "
			"elsewhere needs a ReferenceGrant, which the import does not read: this "
			"backend is left out (its share goes to the others)"},
		{"[{name: app, port: 80}, {name: other, namespace: elsewhere, port: 80}, {name: "
		 "third, port: 80, filters: [{type: RequestHeaderModifier, "
		 "requestHeaderModifier: {set: [{name: a, value: b}]}}]}]",
			"\tupstream ns-app-80;\n}",
			"HTTPRoute ns/w: spec.rules[0].backendRefs[2]: backendRef filters are not "
			"supported: this backend is left out (its share goes to the others)"},
	};
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char yaml[4096], route[256], *out;

		print_message("case %u: %s\n", i, cases[i].refs);
		snprintf(yaml, sizeof(yaml), "%s%s%s  rules:\n  - backendRefs: %s\n", K8S_SVCS,
			SVC3, HR("w", "", ""), cases[i].refs);
		out = k8s_import(yaml, NULL, 0);
		snprintf(route, sizeof(route), "route prefix \"/\" {\n");
		k8s_has(out, route);
		k8s_has(strstr(out, route), cases[i].route);
		if (cases[i].warning != NULL)
			k8s_has(k8s_last_msgs, cases[i].warning);
		else
			assert_int_equal(k8s_count("warning"), 0);
		free(out);
	}
}

/* Every match and hostname of a rule gets its canaries; all weights 0
 * (Gateway API: 500 for every request) leaves the rule out. */
static void
test_backends(void **state)
{
	char *out, *p;

	(void)state;
	out = k8s_import(
		K8S_SVCS HR("w", "",
			"  hostnames: [a.example, b.example]\n"
			"  rules:\n  - matches: [{path: {value: /a}}, {path: {type: Exact, "
			"value: /b}}]\n"
			"    backendRefs: [{name: app, port: 80, weight: 3}, {name: other, "
			"port: 80}]\n"),
		NULL, 0);
	p = out;
	for (int i = 0; i < 4; i++) {
		p = strstr(p, "\tupstream ns-app-80;\n\tcanary_weight_total 4;\n");
		assert_non_null(p);
		p = strstr(p, "\tcanary ns-other-80 {\n\t\tweight 1;\n\t}\n}");
		assert_non_null(p);
	}
	free(out);
	out = k8s_import(
		K8S_SVCS HR("z", "",
			"  rules:\n  - matches: [{path: {value: /z}}]\n"
			"    backendRefs: [{name: app, port: 80, weight: 0}, {name: other, "
			"port: 80, weight: 0}]\n"
			"  - matches: [{path: {value: /c}}]\n"
			"    backendRefs: [{name: app, port: 80}]\n"),
		NULL, 0);
	k8s_lacks(out, "\"/z\"");
	k8s_has(out, "route prefix \"/c\" {\n\tupstream ns-app-80;\n}");
	k8s_has(k8s_last_msgs, "HTTPRoute ns/z: every backendRef has weight 0 (Gateway API "
			       "forwards no request and answers 500; fanout cannot answer 500 by "
			       "itself): the rule is left out");
	assert_int_equal(k8s_count("warning"), 1);
	free(out);
	/* a rule without backend and without redirect, an unsupported filter */
	out = k8s_import(K8S_SVCS HR("n", "",
				 "  rules:\n  - matches: [{path: {value: /a}}]\n"
				 "  - matches: [{path: {value: /b}}]\n"
				 "    filters: [{type: RequestMirror, requestMirror: {backendRef: "
				 "{name: app, port: 80}}}]\n"
				 "    backendRefs: [{name: app, port: 80}]\n"
				 "  - matches: [{path: {value: /c}}]\n"
				 "    backendRefs: [{name: app, port: 80}]\n"),
		NULL, 0);
	k8s_lacks(out, "\"/a\"");
	k8s_lacks(out, "\"/b\"");
	k8s_has(out, "route prefix \"/c\"");
	k8s_has(k8s_last_msgs, "a rule without a backend (Gateway API answers 500): left out");
	k8s_has(k8s_last_msgs, "HTTPRoute ns/n: filter 0 (RequestMirror) is not supported by "
			       "fanout: the rule is left out");
	free(out);
}

static void
test_errors(void **state)
{
	(void)state;
	/* Ingresses and HTTPRoutes cannot share a match order */
	k8s_import(K8S_SVCS K8S_ING("i", "",
			   "  rules:\n  - http:\n      paths:\n      - {path: /, pathType: "
			   "Prefix, backend: {service: {name: app, port: {number: 80}}}}\n")
			   HR("r", "", "  rules:\n  - backendRefs: [{name: app, port: 80}]\n"),
		NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "HTTPRoute ns/r: Ingresses and HTTPRoutes in one import");
	k8s_import(K8S_SVCS HR("r", "", "  rules:\n  - backendRefs: [{name: nope, port: 80}]\n"),
		NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "HTTPRoute ns/r: spec.rules[0].backendRefs[0].name: Service "
			       "ns/nope not found");
	k8s_import(K8S_SVCS HR("r", "", "  rules:\n  - backendRefs: [{name: app, port: 81}]\n"),
		NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "HTTPRoute ns/r: spec.rules[0].backendRefs[0].port: Service ns/app "
			       "has no port 81 (ports: 80/http)");
	k8s_import(
		K8S_SVCS HR("r", "", "  rules:\n  - backendRefs: [{name: app}]\n"), NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "spec.rules[0].backendRefs[0].port: missing (required for a "
			       "Service)");
	k8s_import(K8S_SVCS HR("r", "",
			   "  rules:\n  - backendRefs: [{kind: Bucket, group: s3.aws, "
			   "name: b}]\n"),
		NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "spec.rules[0].backendRefs[0]: only Service backends are supported "
			       "(this one is s3.aws/Bucket)");
	k8s_import(K8S_SVCS HR("r", "",
			   "  rules:\n  - matches: [{path: {type: Exact, value: /a}}]\n"
			   "    filters: [{type: URLRewrite, urlRewrite: {path: {type: "
			   "ReplacePrefixMatch, replacePrefixMatch: /b}}}]\n"
			   "    backendRefs: [{name: app, port: 80}]\n"),
		NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "HTTPRoute ns/r: spec.rules[0].matches[0]: ReplacePrefixMatch needs "
			       "a PathPrefix match");
	k8s_import(K8S_SVCS HR("r", "",
			   "  rules:\n  - filters: [{type: RequestRedirect, "
			   "requestRedirect: {statusCode: 301}}]\n"),
		NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "spec.rules[0].filters[0]: RequestRedirect changes nothing");
	k8s_import(
		K8S_SVCS HR("r", "", "  rules:\n  - matches: [{path: {type: Glob, value: /a}}]\n"),
		NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "spec.rules[0].matches[0].path.type: unknown type \"Glob\"");
	k8s_import(K8S_SVCS HR("r", "",
			   "  rules:\n  - filters: [{type: RequestRedirect, "
			   "requestRedirect: {statusCode: 307, scheme: https}}]\n"),
		NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "spec.rules[0].filters[0].requestRedirect.statusCode: invalid value "
			       "\"307\" (expected 301..302)");
	k8s_import(K8S_SVCS HR("r", "",
			   "  hostnames: ['bad_host.example']\n"
			   "  rules:\n  - backendRefs: [{name: app, port: 80}]\n"),
		NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "spec.hostnames[0]: invalid hostname \"bad_host.example\"");
}

/* One upstream and 16 canaries per route: an 18th weighted backend is an error. */
static void
test_too_many_backends(void **state)
{
	char yaml[4096];
	size_t used;
	unsigned i;

	(void)state;
	used = (size_t)snprintf(yaml, sizeof(yaml),
		"apiVersion: v1\nkind: Service\nmetadata: {name: many, namespace: ns}\n"
		"spec:\n  ports:\n");
	for (i = 1; i <= 18; i++)
		used += (size_t)snprintf(
			yaml + used, sizeof(yaml) - used, "  - {name: p%u, port: %u}\n", i, i);
	used += (size_t)snprintf(
		yaml + used, sizeof(yaml) - used, HR("r", "", "  rules:\n  - backendRefs:\n"));
	for (i = 1; i <= 18; i++)
		used += (size_t)snprintf(
			yaml + used, sizeof(yaml) - used, "    - {name: many, port: %u}\n", i);
	assert_true(used < sizeof(yaml));
	k8s_import(yaml, NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "HTTPRoute ns/r: spec.rules[0].backendRefs[17]: more than 17 "
			       "backendRefs with a weight (fanout: one upstream and 16 canaries "
			       "per route)");
	/* 17 are fine */
	*strstr(yaml, "    - {name: many, port: 18}\n") = '\0';
	free(k8s_import(yaml, NULL, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_defaults_and_order),
		cmocka_unit_test(test_weights),
		cmocka_unit_test(test_backends),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_too_many_backends),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	free(k8s_last_msgs);
	return rc;
}
