/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/k8s TLS: Ingress spec.tls and Gateway HTTPS listeners naming
 * kubernetes.io/tls Secrets become `tls_certificate` lines and files for
 * the caller (fo_k8s_files(): decoded PEM, 0644 / 0600); missing or
 * unusable Secrets are warnings (fanout's default certificate serves their
 * hosts, as ingress-nginx's fake one), bad names errors; ssl-redirect and
 * force-ssl-redirect; lib/conf parses every config written (k8s_harness.h).
 */
#include "k8s_harness.h"

#define PEM_CRT "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"
#define PEM_KEY "-----BEGIN PRIVATE KEY-----\nMIGHfake\n-----END PRIVATE KEY-----\n"
#define B64_CRT                                                                                    \
	"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJmYWtlCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K"
#define B64_KEY                                                                                    \
	"LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JR0hmYWtlCi0tLS0tRU5EIFBSSVZBVEUgS0VZLS0tLS0K"
#define B64_ENC                                                                                    \
	"LS0tLS1CRUdJTiBFTkNSWVBURUQgUFJJVkFURSBLRVktLS0tLQpNSUdIZmFrZQotLS0tLUVORCBFTkNSWVBURUQg" \
	"UFJJVkFURSBLRVktLS0tLQo="

/** A Secret in ns named @p name with @p data (YAML flow mapping body). */
#define SECRET(name, data)                                                                         \
	"---\napiVersion: v1\nkind: Secret\nmetadata: {name: " name ", namespace: ns}\n"           \
	"type: kubernetes.io/tls\ndata: {" data "}\n"
#define GOOD_DATA "tls.crt: " B64_CRT ", tls.key: " B64_KEY

#define TLS_ING(name, annots, tls)                                                                 \
	K8S_ING(name, annots,                                                                      \
		"  tls:\n" tls "  rules:\n  - host: a.example\n    http:\n      paths:\n"          \
		"      - {path: /, pathType: Prefix, backend: {service: {name: app, port: "        \
		"{number: 80}}}}\n")

static const struct fo_k8s_opts dir_opts = {.tls_dir = "/etc/fanout/k8s-tls"};

static void
out_free(char *out)
{
	free(out);
}

/** Import @p yaml without parsing the config. @return the import. */
static struct fo_k8s *
import_keep_noconf(const char *yaml, const struct fo_k8s_opts *o, int want_rc, char **out)
{
	struct fo_k8s *k = fo_k8s_new();
	size_t len = 0;
	int rc;

	assert_non_null(k);
	*out = NULL;
	fo_k8s_load_buf(k, "in.yaml", yaml, strlen(yaml));
	rc = fo_k8s_translate(k, o, out, &len);
	free(k8s_last_msgs);
	k8s_last_msgs = strdup(fo_k8s_messages(k));
	if (rc != want_rc)
		fprintf(stderr, "--- rc %d, messages:\n%s---\n", rc, k8s_last_msgs);
	assert_int_equal(rc, want_rc);
	if (rc != 0)
		assert_null(*out);
	return k;
}

/** Import @p yaml; lib/conf must accept the config; the files are checked by the caller. */
static struct fo_k8s *
import_keep(const char *yaml, const struct fo_k8s_opts *o, int want_rc, char **out)
{
	struct fo_k8s *k = import_keep_noconf(yaml, o, want_rc, out);

	if (*out != NULL)
		k8s_conf_accepts(*out);
	return k;
}

static void
test_ingress_secret(void **state)
{
	const struct fo_k8s_file *f;
	struct fo_k8s *k;
	char *out;

	(void)state;
	k = import_keep(K8S_SVCS SECRET("cert", GOOD_DATA) TLS_ING("web", "",
				"  - hosts: [a.example, b.example]\n"
				"    secretName: cert\n"),
		&dir_opts, 0, &out);
	k8s_has(out, "\n# Secret ns/cert (Ingress ns/web spec.tls[0]): a.example, b.example\n"
		     "tls_certificate \"/etc/fanout/k8s-tls/ns_cert.crt\" "
		     "\"/etc/fanout/k8s-tls/ns_cert.key\";\n");
	k8s_lacks(out, "ssl_redirect");
	assert_int_equal(k8s_count("warning"), 0);
	assert_int_equal(fo_k8s_files(k, &f), 2);
	assert_string_equal(f[0].path, "/etc/fanout/k8s-tls/ns_cert.crt");
	assert_int_equal(f[0].mode, 0644);
	assert_int_equal(f[0].len, strlen(PEM_CRT));
	assert_memory_equal(f[0].data, PEM_CRT, strlen(PEM_CRT));
	assert_string_equal(f[1].path, "/etc/fanout/k8s-tls/ns_cert.key");
	assert_int_equal(f[1].mode, 0600);
	assert_int_equal(f[1].len, strlen(PEM_KEY));
	assert_memory_equal(f[1].data, PEM_KEY, strlen(PEM_KEY));
	free(out);
	/* a failed translation lists no file */
	assert_int_equal(
		fo_k8s_translate(k, &(struct fo_k8s_opts){.tls_dir = "/a b"}, &out, NULL), -EINVAL);
	assert_int_equal(fo_k8s_files(k, &f), 0);
	assert_null(f);
	fo_k8s_free(k);
}

/* A canary Ingress's spec.tls names certificates too. */
static void
test_canary_tls(void **state)
{
	char *out;

	(void)state;
	out = k8s_import(K8S_SVCS SECRET("cert", GOOD_DATA) SECRET("cy", GOOD_DATA) TLS_ING(
				 "main", "", "  - secretName: cert\n") K8S_ING("cy",
				 "nginx.ingress.kubernetes.io/canary: 'true'",
				 "  tls: [{secretName: cy}]\n  rules:\n  - host: a.example\n"
				 "    http:\n      paths:\n      - {path: /, pathType: "
				 "Prefix, backend: {service: {name: other, port: {number: "
				 "80}}}}\n"),
		&dir_opts, 0);
	k8s_has(out, "tls_certificate \"/etc/fanout/k8s-tls/ns_cert.crt\"");
	k8s_has(out, "# Secret ns/cy (Ingress ns/cy spec.tls[0])\n"
		     "tls_certificate \"/etc/fanout/k8s-tls/ns_cy.crt\"");
	k8s_has(out, "\tcanary ns-other-80 {\n");
	assert_int_equal(k8s_count("warning"), 0);
	free(out);
}

/* Two Ingresses, one Secret: one certificate; stringData, the default
 * directory; a tls entry without secretName and an Opaque Secret nobody
 * names say nothing. */
static void
test_shared_and_string_data(void **state)
{
	const struct fo_k8s_file *f;
	struct fo_k8s *k;
	char *out, *first;

	(void)state;
	k = import_keep(K8S_SVCS
		"---\napiVersion: v1\nkind: Secret\nmetadata: {name: cert, namespace: ns}\n"
		"type: kubernetes.io/tls\nstringData:\n  tls.crt: |\n"
		"    -----BEGIN CERTIFICATE-----\n    MIIBfake\n    -----END CERTIFICATE-----\n"
		"  tls.key: |\n    -----BEGIN EC PRIVATE KEY-----\n    MHcfake\n"
		"    -----END EC PRIVATE KEY-----\n"
		"---\napiVersion: v1\nkind: Secret\nmetadata: {name: token, namespace: ns}\n"
		"type: Opaque\ndata: {password: c2VjcmV0}\n" TLS_ING("one", "",
			"  - hosts: [a.example]\n    secretName: cert\n  - hosts: "
			"[c.example]\n")
			TLS_ING("two", "", "  - hosts: [b.example]\n    secretName: cert\n"),
		NULL, 0, &out);
	first = strstr(out, "tls_certificate");
	assert_non_null(first);
	assert_null(strstr(first + 1, "tls_certificate"));
	k8s_has(out, "# Secret ns/cert (Ingress ns/one spec.tls[0]): a.example, b.example\n"
		     "tls_certificate \"k8s-tls/ns_cert.crt\" \"k8s-tls/ns_cert.key\";\n");
	assert_int_equal(k8s_count("warning"), 1); /* the same path in two Ingresses */
	k8s_has(k8s_last_msgs, "is already Ingress ns/one's");
	assert_int_equal(fo_k8s_files(k, &f), 2);
	assert_string_equal(f[0].data, "-----BEGIN CERTIFICATE-----\nMIIBfake\n"
				       "-----END CERTIFICATE-----\n");
	assert_non_null(strstr(f[1].data, "BEGIN EC PRIVATE KEY"));
	free(out);
	fo_k8s_free(k);
}

/* What is wrong with a Secret: a warning naming the Ingress, the Secret and
 * the field; no certificate line; --strict fails. */
static void
test_bad_secrets(void **state)
{
	static const struct {
		const char *data, *msg;
	} cases[] = {
		{"", "warning: in.yaml:"},
		{"tls.crt: " B64_CRT, "Secret ns/cert (in.yaml:"},
		{"tls.crt: " B64_CRT, "data[tls.key]: missing (a TLS Secret has tls.crt and "
				      "tls.key): its hosts: a.example get fanout's self-signed "
				      "default certificate (as ingress-nginx serves its fake "
				      "certificate)\n"},
		{"tls.crt: 'not*base64', tls.key: " B64_KEY, "data[tls.crt]: not base64"},
		{"tls.crt: " B64_CRT "x, tls.key: " B64_KEY, "data[tls.crt]: not base64"},
		{"tls.crt: " B64_KEY ", tls.key: " B64_KEY, "data[tls.crt]: holds no PEM "
							    "certificate"},
		{"tls.crt: " B64_CRT ", tls.key: " B64_CRT, "data[tls.key]: holds no PEM private "
							    "key"},
		{"tls.crt: " B64_CRT ", tls.key: " B64_ENC, "data[tls.key]: is an encrypted key"},
		{"tls.crt: AAAA, tls.key: " B64_KEY, "data[tls.crt]: has a NUL byte"},
	};
	const struct fo_k8s_opts strict = {.strict = 1};
	char yaml[4096];
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fo_k8s *k;
		char *out;

		snprintf(yaml, sizeof(yaml), "%s%s", K8S_SVCS,
			TLS_ING("web", "", "  - hosts: [a.example]\n    secretName: cert\n"));
		if (cases[i].data[0] != '\0')
			snprintf(yaml + strlen(yaml), sizeof(yaml) - strlen(yaml),
				SECRET("cert", "%s"), cases[i].data);
		k = import_keep(yaml, &dir_opts, 0, &out);
		k8s_lacks(out, "tls_certificate");
		assert_int_equal(k8s_count("warning"), 1);
		k8s_has(k8s_last_msgs, "Ingress ns/web: spec.tls[0].secretName: Secret ns/cert ");
		k8s_has(k8s_last_msgs, cases[i].data[0] ? cases[i].msg
							: "not found: its hosts: "
							  "a.example get");
		k8s_has(k8s_last_msgs, cases[i].msg);
		free(out);
		fo_k8s_free(k);
		k = import_keep(yaml, &strict, -EINVAL, &out);
		assert_null(out);
		fo_k8s_free(k);
	}
}

/* Names that would leave the directory, and a Secret in another namespace. */
static void
test_names(void **state)
{
	char *out;

	(void)state;
	out = k8s_import(
		K8S_SVCS TLS_ING("web", "", "  - secretName: ../../etc/passwd\n"), NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "error: in.yaml:");
	k8s_has(k8s_last_msgs, "Ingress ns/web: spec.tls[0].secretName: \"ns/../../etc/passwd\" "
			       "is not a Secret name");
	out = k8s_import(K8S_SVCS TLS_ING("web", "", "  - secretName: Cert\n"), NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "\"ns/Cert\" is not a Secret name");
	out = k8s_import(K8S_SVCS
		"---\napiVersion: v1\nkind: Secret\nmetadata: {name: cert, namespace: other}\n"
		"data: {" GOOD_DATA "}\n" TLS_ING("web", "", "  - secretName: cert\n"),
		NULL, 0);
	k8s_lacks(out, "tls_certificate");
	k8s_has(k8s_last_msgs, "Secret ns/cert not found: its hosts get fanout's");
	free(out);
	out = k8s_import(K8S_SVCS TLS_ING("web", "", "  - secretName: 7\n    hosts: [{a: b}]\n"),
		NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "spec.tls[0].hosts[0]: expected a string");
	out = k8s_import(K8S_SVCS TLS_ING("web", "", "  - oops\n"), NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "spec.tls[0]: expected a mapping");
}

/* ssl-redirect "false": the routes' ssl_redirect off; force-ssl-redirect
 * "true" wins over it and is the routes' force_ssl_redirect on, with or
 * without spec.tls. */
static void
test_redirect_annotations(void **state)
{
	static const struct {
		const char *annots;
		int tls, off, force;
		const char *warning;
	} cases[] = {
		{"nginx.ingress.kubernetes.io/ssl-redirect: 'false'", 1, 1, 0, NULL},
		{"nginx.ingress.kubernetes.io/ssl-redirect: 'true'", 1, 0, 0, NULL},
		{"nginx.ingress.kubernetes.io/ssl-redirect: 'false', "
		 "nginx.ingress.kubernetes.io/force-ssl-redirect: 'true'",
			1, 0, 1, NULL},
		{"nginx.ingress.kubernetes.io/force-ssl-redirect: 'true'", 0, 0, 1, NULL},
		{"nginx.ingress.kubernetes.io/force-ssl-redirect: 'false'", 0, 0, 0, NULL},
		{"nginx.ingress.kubernetes.io/ssl-redirect: 'no'", 1, 0, 0,
			"ssl-redirect]: invalid value \"no\" (expected true or false): ignored"},
	};
	char yaml[4096];
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out;

		snprintf(yaml, sizeof(yaml), "%s" SECRET("cert", GOOD_DATA), K8S_SVCS);
		if (cases[i].tls)
			snprintf(yaml + strlen(yaml), sizeof(yaml) - strlen(yaml),
				TLS_ING("web", "%s", "  - secretName: cert\n"), cases[i].annots);
		else
			snprintf(yaml + strlen(yaml), sizeof(yaml) - strlen(yaml),
				K8S_ING("web", "%s",
					"  rules:\n  - host: a.example\n    http:\n      paths:\n"
					"      - {path: /, pathType: Prefix, backend: {service: "
					"{name: app, port: {number: 80}}}}\n"),
				cases[i].annots);
		out = k8s_import(yaml, NULL, 0);
		if (cases[i].off)
			k8s_has(out, "\tupstream ns-app-80;\n\tssl_redirect off;\n}");
		else if (cases[i].force)
			k8s_has(out, "\tupstream ns-app-80;\n\tforce_ssl_redirect on;\n}");
		else
			k8s_lacks(out, "ssl_redirect");
		if (cases[i].force)
			k8s_lacks(out, "\tssl_redirect off;");
		assert_int_equal(k8s_count("warning"), cases[i].warning != NULL);
		if (cases[i].warning != NULL)
			k8s_has(k8s_last_msgs, cases[i].warning);
		free(out);
	}
}

#define GW(listeners)                                                                              \
	"---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"                           \
	"metadata: {name: gw, namespace: ns}\nspec:\n  gatewayClassName: fanout\n"                 \
	"  listeners:\n" listeners
#define HR_ANY                                                                                     \
	"---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"                         \
	"metadata: {name: r, namespace: ns}\nspec:\n  parentRefs: [{name: gw}]\n"                  \
	"  rules:\n  - backendRefs: [{name: app, port: 80}]\n"

static void
test_gateway(void **state)
{
	const struct fo_k8s_file *f;
	struct fo_k8s *k;
	char *out;

	(void)state;
	k = import_keep(K8S_SVCS SECRET("cert", GOOD_DATA) SECRET("wild", GOOD_DATA) GW(
				"  - {name: http, protocol: HTTP, port: 80}\n"
				"  - name: https\n    protocol: HTTPS\n    port: 443\n"
				"    hostname: a.example\n    tls:\n      mode: Terminate\n"
				"      certificateRefs: [{kind: Secret, group: '', name: cert}]\n"
				"  - name: wild\n    protocol: HTTPS\n    port: 443\n"
				"    hostname: '*.b.example'\n"
				"    tls: {certificateRefs: [{name: wild}, {name: x, namespace: "
				"other}]}\n"
				"  - name: none\n    protocol: HTTPS\n    port: 8443\n"
				"  - name: pass\n    protocol: TLS\n    port: 443\n"
				"    tls: {mode: Passthrough}\n"
				"  - {name: tcp, protocol: TCP, port: 5432}\n") HR_ANY,
		&dir_opts, 0, &out);
	k8s_has(out, "match_order gateway;\n");
	k8s_has(out, "# Secret ns/cert (Gateway ns/gw spec.listeners[1].tls.certificateRefs[0]): "
		     "a.example\ntls_certificate \"/etc/fanout/k8s-tls/ns_cert.crt\"");
	k8s_has(out, "# Secret ns/wild (Gateway ns/gw spec.listeners[2].tls.certificateRefs[0]): "
		     "*.b.example\ntls_certificate \"/etc/fanout/k8s-tls/ns_wild.crt\"");
	assert_int_equal(fo_k8s_files(k, &f), 4);
	assert_int_equal(k8s_count("warning"), 3);
	k8s_has(k8s_last_msgs, "Gateway ns/gw: spec.listeners[2].tls.certificateRefs[1]: Secret "
			       "other/x is in another namespace (needs a ReferenceGrant");
	k8s_has(k8s_last_msgs, "spec.listeners[3]: HTTPS without tls.certificateRefs");
	k8s_lacks(k8s_last_msgs, "spec.listeners[4]"); /* TLS Passthrough: its TLSRoutes */
	k8s_has(k8s_last_msgs, "spec.listeners[5]: protocol TCP is not supported by fanout");
	free(out);
	fo_k8s_free(k);

	/* with HTTPS, an HTTP-to-HTTPS redirect rule would loop (parentRefs are not
	 * read): left out, ssl_redirect does it; one to another host is kept */
	out = k8s_import(K8S_SVCS SECRET("cert", GOOD_DATA)
				 GW("  - {name: http, protocol: HTTP, port: 80}\n"
				    "  - name: https\n    protocol: HTTPS\n    port: 443\n"
				    "    tls: {certificateRefs: [{name: cert}]}\n") HR_ANY
		"---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
		"metadata: {name: redir, namespace: ns}\nspec:\n"
		"  parentRefs: [{name: gw, sectionName: http}]\n  hostnames: [a.example]\n"
		"  rules:\n  - filters:\n    - type: RequestRedirect\n"
		"      requestRedirect: {scheme: https, statusCode: 301}\n"
		"  - matches: [{path: {value: /old}}]\n    filters:\n"
		"    - type: RequestRedirect\n"
		"      requestRedirect: {scheme: https, hostname: new.example}\n",
		NULL, 0);
	k8s_lacks(out, "status 301;");
	k8s_lacks(out, "route prefix \"/\" {\n\thost a.example;");
	k8s_has(out, "route prefix \"/old\" {\n\thost a.example;\n\tredirect {\n");
	assert_int_equal(k8s_count("warning"), 1);
	k8s_has(k8s_last_msgs,
		"HTTPRoute ns/redir: spec.rules[0].filters[0]: a redirect to https of "
		"the same URL would also answer HTTPS requests");
	free(out);
	/* without TLS in the import, the same rule is kept */
	out = k8s_import(K8S_SVCS HR_ANY "---\napiVersion: gateway.networking.k8s.io/v1\n"
					 "kind: HTTPRoute\nmetadata: {name: redir, namespace: ns}\n"
					 "spec:\n  hostnames: [a.example]\n  rules:\n  - filters:\n"
					 "    - type: RequestRedirect\n"
					 "      requestRedirect: {scheme: https}\n",
		NULL, 0);
	k8s_has(out, "\tredirect {\n\t\tstatus 302;\n\t\tscheme https;\n");
	assert_int_equal(k8s_count("warning"), 0);
	free(out);

	/* errors: not a Secret, no name, an unknown mode, no protocol */
	out = k8s_import(K8S_SVCS GW("  - name: a\n    protocol: HTTPS\n    port: 443\n"
				     "    tls: {certificateRefs: [{kind: ConfigMap, name: c}]}\n"),
		NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "spec.listeners[0].tls.certificateRefs[0]: ConfigMap is not "
			       "supported (a core Secret only)");
	out = k8s_import(K8S_SVCS GW("  - name: a\n    protocol: HTTPS\n    port: 443\n"
				     "    tls: {certificateRefs: [{kind: Secret}]}\n"),
		NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "spec.listeners[0].tls.certificateRefs[0].name: missing");
	out = k8s_import(K8S_SVCS GW("  - name: a\n    protocol: HTTPS\n    port: 443\n"
				     "    tls: {mode: Encrypt}\n"),
		NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "spec.listeners[0].tls.mode: unknown mode \"Encrypt\"");
	out = k8s_import(K8S_SVCS GW("  - {name: a, port: 443}\n"), NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "spec.listeners[0].protocol: missing");
	out = k8s_import(K8S_SVCS GW("  - name: a\n    protocol: HTTPS\n    port: 443\n"
				     "    tls: {mode: Passthrough}\n"),
		NULL, 0);
	k8s_has(k8s_last_msgs, "protocol HTTPS with tls.mode Passthrough is invalid");
	free(out);
}

/*
 * SNI passthrough (`passthrough NAME { upstream U; }`, `passthrough_default`)
 * is lib/conf's on the branch that builds it (h-tls-pass): the configs are
 * parsed by lib/conf when it knows the directive, and checked as text always.
 */
static int
conf_knows_passthrough(void)
{
	static const char text[] = K8S_IFC "listen 198.18.0.1:443 passthrough;\n"
					   "upstream u { server 198.18.0.9:443; }\n"
					   "passthrough a.example { upstream u; }\n";
	unsigned errs = 0;
	FILE *quiet = fopen("/dev/null", "w");
	struct fo_conf *c =
		fo_conf_parse("probe.conf", text, strlen(text), FO_CONF_F_NO_INCLUDE, quiet, &errs);

	if (quiet != NULL)
		fclose(quiet);
	fo_conf_free(c);
	return c != NULL && errs == 0;
}

/** Import @p yaml (the translation returns @p want_rc); the text, parsed when possible. */
static char *
import_pass(const char *yaml, int want_rc)
{
	struct fo_k8s *k;
	char *out;

	k = import_keep_noconf(yaml, NULL, want_rc, &out);
	fo_k8s_free(k);
	if (out != NULL && conf_knows_passthrough())
		k8s_conf_accepts(out);
	return out;
}

#define SVC_TLS                                                                                    \
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: secure, namespace: ns}\n"            \
	"spec:\n  ports:\n  - {name: https, port: 443, targetPort: 8443}\n"                        \
	"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"                              \
	"metadata: {name: secure-1, namespace: ns, labels: "                                       \
	"{kubernetes.io/service-name: secure}}\naddressType: IPv4\n"                               \
	"ports: [{name: https, port: 8443, protocol: TCP}]\n"                                      \
	"endpoints:\n- addresses: [198.18.0.41]\n  conditions: {ready: true}\n"
#define TR(name, ts, spec)                                                                         \
	"---\napiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TLSRoute\nmetadata:\n"         \
	"  name: " name "\n  namespace: ns\n" ts "spec:\n  parentRefs: [{name: gw}]\n" spec

static void
test_passthrough_ingress(void **state)
{
	char *out;

	(void)state;
	printf("lib/conf %s passthrough\n", conf_knows_passthrough() ? "parses" : "does not know");
	out = import_pass(K8S_SVCS SVC_TLS K8S_ING("pass",
				  "nginx.ingress.kubernetes.io/ssl-passthrough: 'true'",
				  "  rules:\n  - host: secure.example\n    http:\n      paths:\n"
				  "      - {path: /, pathType: Prefix, backend: {service: "
				  "{name: secure, port: {name: https}}}}\n"
				  "  - host: nopath.example\n    http:\n      paths:\n"
				  "      - {path: /x, pathType: Prefix, backend: {service: "
				  "{name: app, port: {number: 80}}}}\n"
				  "  - http:\n      paths:\n"
				  "      - {path: /y, pathType: Prefix, backend: {service: "
				  "{name: app, port: {number: 80}}}}\n"),
		0);
	k8s_has(out, "upstream ns-secure-https {\n\tserver 198.18.0.41:8443;\n}");
	k8s_has(out, "# Ingress ns/pass spec.rules[0].http.paths[0] (SNI passthrough)\n"
		     "passthrough secure.example {\n\tupstream ns-secure-https;\n}\n");
	k8s_lacks(out, "passthrough nopath");
	assert_int_equal(k8s_count("warning"), 2);
	k8s_has(k8s_last_msgs, "ssl-passthrough]: host nopath.example has no path \"/\"");
	k8s_has(k8s_last_msgs, "ssl-passthrough]: spec.rules[2] has no host");
	free(out);
	out = import_pass(
		K8S_SVCS K8S_ING("pass", "nginx.ingress.kubernetes.io/ssl-passthrough: 'yes'",
			"  rules:\n  - host: a.example\n    http:\n      paths:\n"
			"      - {path: /, pathType: Prefix, backend: {service: "
			"{name: app, port: {number: 80}}}}\n"),
		0);
	k8s_lacks(out, "passthrough");
	k8s_has(k8s_last_msgs, "ssl-passthrough]: invalid value \"yes\"");
	free(out);
}

static void
test_tlsroute(void **state)
{
	char *out;

	(void)state;
	out = import_pass(
		K8S_SVCS SVC_TLS TR("young", "  creationTimestamp: \"2026-02-01T00:00:00Z\"\n",
			"  hostnames: [secure.example]\n"
			"  rules:\n  - backendRefs: [{name: app, port: 80}]\n") TR("old",
			"  creationTimestamp: \"2026-01-01T00:00:00Z\"\n",
			"  hostnames: [secure.example, '*.apps.example']\n"
			"  rules:\n  - backendRefs: [{name: secure, port: 443, weight: 0}, "
			"{name: secure, port: 443}, {name: app, port: 80}]\n") TR("any", "",
			"  rules:\n  - backendRefs: [{name: secure, port: 443}]\n") TR("other", "",
			"  rules:\n  - backendRefs: [{name: secure, "
			"namespace: x, port: 443}]\n"),
		0);
	k8s_has(out, "# TLSRoute ns/old spec.rules[0].backendRefs[1] (SNI passthrough)\n"
		     "passthrough secure.example {\n\tupstream ns-secure-443;\n}\n");
	k8s_has(out, "passthrough *.apps.example {\n\tupstream ns-secure-443;\n}\n");
	k8s_has(out, "# TLSRoute ns/any spec.rules[0].backendRefs[0] (SNI passthrough)\n"
		     "passthrough_default ns-secure-443;\n");
	k8s_lacks(out, "ns-app-80");
	assert_int_equal(k8s_count("warning"), 5);
	k8s_has(k8s_last_msgs, "TLSRoute ns/old: spec.rules[0].backendRefs[2]: fanout passes a "
			       "name to one upstream (spec.rules[0].backendRefs[1])");
	k8s_has(k8s_last_msgs, "TLSRoute ns/old: spec.hostnames[1]: \"*.apps.example\" takes one "
			       "label in fanout");
	k8s_has(k8s_last_msgs,
		"TLSRoute ns/young: spec.hostnames[0]: SNI secure.example is already "
		"passed through by TLSRoute ns/old (older: it wins): ignored");
	k8s_has(k8s_last_msgs, "TLSRoute ns/other: spec.rules[0].backendRefs[0]: Service x/secure "
			       "is in another namespace");
	k8s_has(k8s_last_msgs, "TLSRoute ns/other: spec.rules: no backendRef with a weight");
	free(out);
	/* errors: a hostname, a Service that is not there, the apiVersion */
	out = import_pass(K8S_SVCS TR("r", "",
				  "  hostnames: ['a b']\n  rules:\n  - backendRefs: "
				  "[{name: app, port: 80}]\n"),
		-EINVAL);
	k8s_has(k8s_last_msgs, "TLSRoute ns/r: spec.hostnames[0]: invalid hostname \"a b\"");
	out = import_pass(K8S_SVCS TR("r", "",
				  "  rules:\n  - backendRefs: [{name: nope, port: "
				  "443}]\n"),
		-EINVAL);
	k8s_has(k8s_last_msgs, "spec.rules[0].backendRefs[0].name: Service ns/nope not found");
	out = import_pass("apiVersion: gateway.networking.k8s.io/v1\nkind: TLSRoute\n"
			  "metadata: {name: r}\nspec: {}\n",
		-EINVAL);
	k8s_has(k8s_last_msgs, "apiVersion: gateway.networking.k8s.io/v1 is not supported "
			       "(expected gateway.networking.k8s.io/v1alpha2)");
	/* no ready endpoint: no passthrough block (the config refuses one) */
	out = import_pass(K8S_SVCS
		"---\napiVersion: v1\nkind: Service\nmetadata: {name: empty, namespace: ns}\n"
		"spec:\n  ports:\n  - {port: 443}\n" TR("r", "",
			"  hostnames: [e.example]\n"
			"  rules:\n  - backendRefs: [{name: empty, "
			"port: 443}]\n"),
		0);
	k8s_lacks(out, "passthrough");
	k8s_has(k8s_last_msgs, "TLSRoute ns/r: spec.rules[0].backendRefs[0]: upstream ns-empty-443 "
			       "has no ready endpoint: SNI e.example not passed through (yet)");
	free(out);
}

#define CM(data)                                                                                   \
	"---\napiVersion: v1\nkind: ConfigMap\n"                                                   \
	"metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}\ndata:\n" data

/* The controller ConfigMap (--configmap): HSTS and ssl-redirect keys to
 * `hsts` and `ssl_redirect`, every other key a warning. */
static void
test_configmap(void **state)
{
	static const struct {
		const char *data, *want, *warning;
	} cases[] = {
		{"  hsts-max-age: '600'\n  hsts-preload: 'true'\n",
			"\n# ConfigMap ingress-nginx/ingress-nginx-controller (--configmap)\n"
			"hsts \"max-age=600; includeSubDomains; preload\";\n",
			NULL},
		{"  hsts-include-subdomains: 'false'\n", "hsts \"max-age=31536000\";\n", NULL},
		{"  hsts: 'false'\n  hsts-max-age: '600'\n", "hsts off;\n", NULL},
		{"  ssl-redirect: 'false'\n", "ssl_redirect off;\n", NULL},
		/* ingress-nginx's defaults are fanout's: nothing written */
		{"  hsts: 'true'\n  hsts-max-age: '31536000'\n  ssl-redirect: 'true'\n", NULL,
			NULL},
		{"  hsts: 'yes'\n", NULL,
			"data[hsts]: invalid value \"yes\" (expected true or false)"},
		{"  hsts-max-age: 1y\n", NULL,
			"data[hsts-max-age]: invalid value \"1y\" (expected "
			"seconds): 31536000 used"},
		{"  force-ssl-redirect: 'true'\n", NULL,
			"data[force-ssl-redirect]: \"true\": fanout's force_ssl_redirect is per "
			"route"},
		{"  ssl-protocols: TLSv1.3\n", NULL,
			"data[ssl-protocols]: \"TLSv1.3\": fanout's TLS settings are fixed"},
		{"  proxy-body-size: 8m\n", NULL, "warning: in.yaml:6:3: "},
		{"  proxy-body-size: 8m\n", NULL,
			"ConfigMap ingress-nginx/ingress-nginx-controller: data[proxy-body-size]: "
			"\"8m\": not read by the import: ignored"},
	};
	const struct fo_k8s_opts o = {.configmap = "ingress-nginx/ingress-nginx-controller"};
	char yaml[4096];
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out;

		snprintf(yaml, sizeof(yaml), CM("%s") "%s", cases[i].data,
			K8S_SVCS TLS_ING("web", "", "  - secretName: cert\n")
				SECRET("cert", GOOD_DATA));
		out = k8s_import(yaml, &o, 0);
		if (cases[i].want != NULL)
			k8s_has(out, cases[i].want);
		else
			k8s_lacks(out, "ConfigMap");
		assert_int_equal(k8s_count("warning"), cases[i].warning != NULL);
		if (cases[i].warning != NULL)
			k8s_has(k8s_last_msgs, cases[i].warning);
		k8s_lacks(k8s_last_msgs, "objects of other kinds");
		free(out);
	}
	/* not there, not NAMESPACE/NAME; without --configmap: skipped */
	snprintf(yaml, sizeof(yaml), "%s", CM("  hsts: 'false'\n") K8S_SVCS);
	out_free(k8s_import(
		yaml, &(struct fo_k8s_opts){.configmap = "ingress-nginx/other"}, -EINVAL));
	k8s_has(k8s_last_msgs, "error: ConfigMap ingress-nginx/other (--configmap) not found");
	out_free(k8s_import(yaml, &(struct fo_k8s_opts){.configmap = "other"}, -EINVAL));
	k8s_has(k8s_last_msgs, "--configmap \"other\": expected NAMESPACE/NAME");
	out_free(k8s_import(yaml, NULL, 0));
	k8s_has(k8s_last_msgs, "note: 1 object of other kinds (Deployments...) skipped");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ingress_secret),
		cmocka_unit_test(test_shared_and_string_data),
		cmocka_unit_test(test_canary_tls),
		cmocka_unit_test(test_bad_secrets),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_redirect_annotations),
		cmocka_unit_test(test_gateway),
		cmocka_unit_test(test_passthrough_ingress),
		cmocka_unit_test(test_tlsroute),
		cmocka_unit_test(test_configmap),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	free(k8s_last_msgs);
	return rc;
}
