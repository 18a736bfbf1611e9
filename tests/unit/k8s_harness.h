/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the lib/k8s tests: import YAML text, and check that every
 * config written is one lib/conf accepts (the importer does not link
 * lib/conf; its tests do).
 */
#ifndef K8S_HARNESS_H
#define K8S_HARNESS_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fo_conf.h"
#include "fo_k8s.h"

#define K8S_IFC "interface net_tap0 { address 198.18.0.1/24; }\nlisten 198.18.0.1:80;\n"

/** Messages of the last import (a copy; free()d by the next one). */
static char *k8s_last_msgs;

/** lib/conf must accept @p text (a fragment: the interface is added). */
static void
k8s_conf_accepts(const char *text)
{
	size_t n = strlen(K8S_IFC) + strlen(text) + 1;
	char *full = malloc(n);
	struct fo_conf *c;
	unsigned errs = 99;

	assert_non_null(full);
	snprintf(full, n, "%s%s", K8S_IFC, text);
	c = fo_conf_parse("import.conf", full, strlen(full), FO_CONF_F_NO_INCLUDE, stderr, &errs);
	if (c == NULL || errs != 0)
		fprintf(stderr, "--- config refused:\n%s---\n", full);
	assert_non_null(c);
	assert_int_equal(errs, 0);
	fo_conf_free(c);
	free(full);
}

/**
 * Import @p yaml (named "in.yaml") with @p o; @p want_rc the translation's
 * return. @return the config (free() it) on success, else NULL.
 */
static char *
k8s_import(const char *yaml, const struct fo_k8s_opts *o, int want_rc)
{
	struct fo_k8s *k = fo_k8s_new();
	char *out = NULL;
	size_t len = 0;
	int rc;

	assert_non_null(k);
	fo_k8s_load_buf(k, "in.yaml", yaml, strlen(yaml));
	rc = fo_k8s_translate(k, o, &out, &len);
	free(k8s_last_msgs);
	k8s_last_msgs = strdup(fo_k8s_messages(k));
	if (rc != want_rc)
		fprintf(stderr, "--- rc %d, messages:\n%s---\n", rc, k8s_last_msgs);
	assert_int_equal(rc, want_rc);
	if (rc == 0) {
		assert_non_null(out);
		assert_int_equal(strlen(out), len);
		k8s_conf_accepts(out);
	} else {
		assert_null(out);
	}
	fo_k8s_free(k);
	return out;
}

/** @p hay contains @p needle (printed when not). */
static void
k8s_has(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fprintf(stderr, "--- expected:\n%s\n--- in:\n%s---\n", needle, hay);
	assert_non_null(strstr(hay, needle));
}

static void
k8s_lacks(const char *hay, const char *needle)
{
	if (strstr(hay, needle) != NULL)
		fprintf(stderr, "--- not expected:\n%s\n--- in:\n%s---\n", needle, hay);
	assert_null(strstr(hay, needle));
}

/** Number of lines of the last messages that start with @p level. */
static unsigned
k8s_count(const char *level)
{
	const char *p = k8s_last_msgs;
	unsigned n = 0;

	while (p != NULL && *p) {
		if (strncmp(p, level, strlen(level)) == 0)
			n++;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return n;
}

/* Objects most tests need: Services app (80 -> 8080, named http) and other
 * (unnamed 80 -> 8000) with one ready endpoint each. */
#define K8S_SVCS                                                                                   \
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: app, namespace: ns}\n"               \
	"spec:\n  ports:\n  - {name: http, port: 80, targetPort: 8080}\n"                          \
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: other, namespace: ns}\n"             \
	"spec:\n  ports:\n  - {port: 80, targetPort: 8000}\n"                                      \
	"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"                              \
	"metadata: {name: app-1, namespace: ns, labels: "                                          \
	"{kubernetes.io/service-name: app}}\naddressType: IPv4\n"                                  \
	"ports: [{name: http, port: 8080, protocol: TCP}]\n"                                       \
	"endpoints:\n- addresses: [198.18.0.11]\n  conditions: {ready: true}\n"                    \
	"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"                              \
	"metadata: {name: other-1, namespace: ns, labels: "                                        \
	"{kubernetes.io/service-name: other}}\naddressType: IPv4\n"                                \
	"ports: [{name: \"\", port: 8000, protocol: TCP}]\n"                                       \
	"endpoints:\n- addresses: [198.18.0.21]\n  conditions: {ready: true}\n"

/** An Ingress named @p name in ns with @p annots (YAML mapping body, may be
 * empty) and @p spec (YAML under spec:, indented by 2). */
#define K8S_ING(name, annots, spec)                                                                \
	"---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: " name           \
	"\n  namespace: ns\n  annotations: {" annots "}\nspec:\n" spec

#endif /* K8S_HARNESS_H */
