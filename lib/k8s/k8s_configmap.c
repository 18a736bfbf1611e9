/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ingress-nginx's controller ConfigMap (opts->configmap, its --configmap):
 * the keys fanout has a directive for become top-level directives,
 *  - hsts ("true"), hsts-max-age ("31536000"), hsts-include-subdomains
 *    ("true"), hsts-preload ("false"): `hsts "max-age=N[; includeSubDomains]
 *    [; preload]";` when not fanout's default (which is ingress-nginx's), or
 *    `hsts off;`;
 *  - ssl-redirect ("true"): "false" is `ssl_redirect off;`;
 * and every other key is a warning naming it: force-ssl-redirect (fanout's
 * force_ssl_redirect is per route: the annotation), the ssl-* keys (fanout's protocols,
 * ciphers and curves are fixed: ingress-nginx's defaults), the rest (not
 * read by the import). The base config must not set `hsts` or
 * `ssl_redirect` then (each may appear once).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_xlate.h"

#define HSTS_DEFAULT "max-age=31536000; includeSubDomains"

static void cm_warn(struct k8s_xlate *x, const struct k8s_configmap *cm, yaml_node_t *kn,
	const char *key, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
cm_warn(struct k8s_xlate *x, const struct k8s_configmap *cm, yaml_node_t *kn, const char *key,
	const char *fmt, ...)
{
	struct k8s_loc loc = {cm->m.loc.file, (unsigned)kn->start_mark.line + 1,
		(unsigned)kn->start_mark.column + 1};
	char field[K8S_FIELD_MAX], msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(field, sizeof(field), "data[%s]", key);
	k8s_diag(x->k, K8S_WARNING, &cm->m, &loc, field, "%s", msg);
}

/** "true" / "false" into *@p out. @return 0, or -1 (warned, *@p out kept). */
static int
boolean(struct k8s_xlate *x, const struct k8s_configmap *cm, yaml_node_t *kn, const char *key,
	const char *v, int *out)
{
	if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
		*out = v[0] == 't';
		return 0;
	}
	cm_warn(x, cm, kn, key, "invalid value \"%s\" (expected true or false): ignored", v);
	return -1;
}

static void
one_key(struct k8s_xlate *x, const struct k8s_configmap *cm, yaml_node_t *kn, const char *key,
	const char *v, int *hsts, long *max_age, int *sub, int *preload)
{
	int on;

	if (strcmp(key, "hsts") == 0) {
		boolean(x, cm, kn, key, v, hsts);
	} else if (strcmp(key, "hsts-max-age") == 0) {
		if (v[0] == '\0' || strspn(v, "0123456789") != strlen(v) || strlen(v) > 10)
			cm_warn(x, cm, kn, key,
				"invalid value \"%s\" (expected seconds): 31536000 used", v);
		else
			*max_age = atol(v);
	} else if (strcmp(key, "hsts-include-subdomains") == 0) {
		boolean(x, cm, kn, key, v, sub);
	} else if (strcmp(key, "hsts-preload") == 0) {
		boolean(x, cm, kn, key, v, preload);
	} else if (strcmp(key, "ssl-redirect") == 0) {
		if (boolean(x, cm, kn, key, v, &on) == 0)
			x->ssl_redirect_off = !on;
	} else if (strcmp(key, "force-ssl-redirect") == 0) {
		if (boolean(x, cm, kn, key, v, &on) == 0 && on)
			cm_warn(x, cm, kn, key,
				"\"%s\": fanout's force_ssl_redirect is per route: set the "
				"force-ssl-redirect annotation on the Ingresses that need it",
				v);
	} else if (strncmp(key, "ssl-", 4) == 0) {
		cm_warn(x, cm, kn, key,
			"\"%s\": fanout's TLS settings are fixed (TLS 1.2 and 1.3, ingress-nginx's "
			"default ciphers, X25519 and P-256, tickets): ignored",
			v);
	} else {
		cm_warn(x, cm, kn, key, "\"%s\": not read by the import: ignored", v);
	}
}

int
k8s_configmap(struct k8s_xlate *x)
{
	const char *want = x->o->configmap, *slash;
	const struct k8s_configmap *cm = NULL;
	int hsts = 1, sub = 1, preload = 0;
	long max_age = 31536000;
	yaml_node_pair_t *p;
	unsigned i;

	if (want == NULL)
		return 0;
	slash = strchr(want, '/');
	if (slash == NULL || slash == want || slash[1] == '\0') {
		k8s_diag(x->k, K8S_ERROR, NULL, NULL, NULL,
			"--configmap \"%s\": expected NAMESPACE/NAME (ingress-nginx's --configmap)",
			want);
		return 0;
	}
	for (i = 0; i < x->k->n_cm && cm == NULL; i++)
		if (strncmp(x->k->cm[i].m.ns, want, (size_t)(slash - want)) == 0 &&
			x->k->cm[i].m.ns[slash - want] == '\0' &&
			strcmp(x->k->cm[i].m.name, slash + 1) == 0)
			cm = &x->k->cm[i];
	if (cm == NULL) {
		k8s_diag(x->k, K8S_ERROR, NULL, NULL, NULL,
			"ConfigMap %s (--configmap) not found among the objects read", want);
		return 0;
	}
	x->cm = cm;
	for (p = cm->data ? cm->data->data.mapping.pairs.start : NULL;
		p != NULL && p < cm->data->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(cm->m.doc, p->key);
		const char *key = ky_str(kn);
		const char *v = ky_str(yaml_document_get_node(cm->m.doc, p->value));

		if (key == NULL || v == NULL) {
			if (kn != NULL)
				cm_warn(x, cm, kn, key ? key : "?",
					"expected a string key and value: ignored");
			continue;
		}
		one_key(x, cm, kn, key, v, &hsts, &max_age, &sub, &preload);
	}
	if (!hsts)
		snprintf(x->hsts, sizeof(x->hsts), "off");
	else
		snprintf(x->hsts, sizeof(x->hsts), "max-age=%ld%s%s", max_age,
			sub ? "; includeSubDomains" : "", preload ? "; preload" : "");
	if (strcmp(x->hsts, HSTS_DEFAULT) == 0)
		x->hsts[0] = '\0';
	return 0;
}

void
k8s_configmap_emit(const struct k8s_xlate *x, struct k8s_buf *b)
{
	if (x->cm == NULL || (x->hsts[0] == '\0' && !x->ssl_redirect_off))
		return;
	kb_printf(b, "\n# ConfigMap %s/%s (--configmap)\n", x->cm->m.ns, x->cm->m.name);
	if (strcmp(x->hsts, "off") == 0)
		kb_printf(b, "hsts off;\n");
	else if (x->hsts[0] != '\0')
		kb_printf(b, "hsts \"%s\";\n", x->hsts);
	if (x->ssl_redirect_off)
		kb_printf(b, "ssl_redirect off;\n");
}
