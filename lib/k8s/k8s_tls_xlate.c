/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS termination to config text:
 *  - each Secret an Ingress's spec.tls (secretName, in the Ingress's
 *    namespace) or a Gateway's HTTPS listener (tls.certificateRefs, mode
 *    Terminate) names becomes one `tls_certificate DIR/NS_NAME.crt
 *    DIR/NS_NAME.key;` line, whatever the number of objects naming it; the
 *    two files are listed for the caller to write (fo_k8s_files());
 *  - fanout picks a certificate by the names in it (its SANs), not by
 *    spec.tls.hosts or the listener's hostname: those go into the comment;
 *  - a Secret that is missing, or has no usable tls.crt / tls.key, is a
 *    warning, not an error: its hosts get fanout's self-signed default
 *    certificate, as ingress-nginx serves its "Fake Certificate" then, and
 *    an import (or k8s-sync) does not break while cert-manager has not yet
 *    issued the Secret an Ingress names;
 *  - force-ssl-redirect "true" is the routes' `force_ssl_redirect on;`
 *    (k8s_translate.c): 308 to https with or without a certificate.
 * The listener itself (`listen A:443 tls;`) is the base config's, as the
 * plain one is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_xlate.h"

/** A Kubernetes object name a file may be named after: a DNS subdomain. */
static int
name_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-' || s[n - 1] == '.' || s[n - 1] == '-' ||
		strstr(s, "..") != NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
			    s[i] == '.'))
			return 0;
	return 1;
}

static const struct k8s_secret *
find_secret(const struct fo_k8s *k, const char *ns, const char *name)
{
	unsigned i;

	for (i = 0; i < k->n_sec; i++)
		if (strcmp(k->sec[i].m.ns, ns) == 0 && strcmp(k->sec[i].m.name, name) == 0)
			return &k->sec[i];
	return NULL;
}

static void
add_hosts(struct k8s_tlscert *c, const char *const *hosts, unsigned n)
{
	size_t used = strlen(c->hosts);
	unsigned i;

	for (i = 0; i < n && used < sizeof(c->hosts) - 1; i++)
		used += (size_t)snprintf(c->hosts + used, sizeof(c->hosts) - used, "%s%s",
			used ? ", " : "", hosts[i]);
}

/**
 * Secret @p ns/@p name named by @p m at @p loc, field @p field (diagnostics)
 * of @p where (kept for the comment), for @p hosts. @return 0 or -ENOMEM.
 */
static int
add_cert(struct k8s_xlate *x, const struct k8s_meta *m, const struct k8s_loc *loc,
	const char *field, const char *where, const char *ns, const char *name,
	const char *const *hosts, unsigned n_hosts)
{
	const struct k8s_secret *s;
	struct k8s_tlscert *c;
	char list[200] = "";
	unsigned i;

	for (i = 0; i < x->n_certs; i++) {
		c = &x->certs[i];
		if (strcmp(c->ns, ns) == 0 && strcmp(c->name, name) == 0) {
			add_hosts(c, hosts, n_hosts);
			return 0; /* one certificate, named again (warned about once) */
		}
	}
	if (!name_ok(ns) || !name_ok(name)) {
		k8s_diag(x->k, K8S_ERROR, m, loc, field,
			"\"%s/%s\" is not a Secret name (a DNS subdomain: a-z, 0-9, \"-\", \".\")",
			ns, name);
		return 0;
	}
	if (k8s_grow((void **)&x->certs, &x->cap_certs, x->n_certs, sizeof(*x->certs)) != 0)
		return -ENOMEM;
	c = &x->certs[x->n_certs++];
	memset(c, 0, sizeof(*c));
	c->ns = ns;
	c->name = name;
	c->by = m;
	c->by_field = where;
	add_hosts(c, hosts, n_hosts);
	for (i = 0; i < n_hosts && strlen(list) < sizeof(list) - 8; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : " ",
			hosts[i]);
	s = find_secret(x->k, ns, name);
	if (s == NULL)
		k8s_diag(x->k, K8S_WARNING, m, loc, field,
			"Secret %s/%s not found: its hosts%s%s get fanout's self-signed default "
			"certificate (as ingress-nginx serves its fake certificate)",
			ns, name, n_hosts ? ":" : "", list);
	else if (s->bad != NULL)
		k8s_diag(x->k, K8S_WARNING, m, loc, field,
			"Secret %s/%s (%s:%u) %s: %s: its hosts%s%s get fanout's self-signed "
			"default certificate (as ingress-nginx serves its fake certificate)",
			ns, name, s->m.loc.file, s->m.loc.line, s->bad_field, s->bad,
			n_hosts ? ":" : "", list);
	else
		c->usable = 1;
	return 0;
}

int
k8s_tls_ingress(struct k8s_xlate *x, const struct k8s_ingress *ing, const struct k8s_ann *a)
{
	char field[K8S_FIELD_MAX + 16];
	unsigned i;
	int rc;

	for (i = 0; i < ing->n_tls; i++) {
		const struct k8s_itls *t = &ing->tls[i];

		if (t->secret == NULL)
			continue; /* the default certificate, in ingress-nginx too */
		snprintf(field, sizeof(field), "%s.secretName", t->field);
		rc = add_cert(x, &ing->m, &t->loc, field, t->field, ing->m.ns, t->secret, t->hosts,
			t->n_hosts);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
gw_listener(struct k8s_xlate *x, const struct k8s_gateway *g, const struct k8s_listener *l)
{
	const char *hosts[1] = {l->hostname};
	unsigned i, nh = l->hostname != NULL && l->hostname[0] != '\0';
	int rc;

	if (strcmp(l->protocol, "HTTP") == 0)
		return 0; /* the base config's plain listener */
	if (strcmp(l->protocol, "TLS") == 0 && strcmp(l->mode, "Passthrough") == 0)
		return 0; /* its TLSRoutes are passthrough blocks (k8s_pass.c) */
	if (strcmp(l->protocol, "HTTPS") != 0) {
		k8s_diag(x->k, K8S_WARNING, &g->m, &l->loc, l->field,
			"protocol %s%s%s is not supported by fanout (HTTP and HTTPS): listener "
			"ignored",
			l->protocol, strcmp(l->protocol, "TLS") == 0 ? " with mode " : "",
			strcmp(l->protocol, "TLS") == 0 ? l->mode : "");
		return 0;
	}
	if (strcmp(l->mode, "Terminate") != 0) {
		k8s_diag(x->k, K8S_WARNING, &g->m, &l->loc, l->field,
			"protocol HTTPS with tls.mode %s is invalid (Gateway API: Passthrough is "
			"for protocol TLS): listener ignored",
			l->mode);
		return 0;
	}
	if (l->n_refs == 0)
		k8s_diag(x->k, K8S_WARNING, &g->m, &l->loc, l->field,
			"HTTPS without tls.certificateRefs: its hosts get fanout's self-signed "
			"default certificate");
	for (i = 0; i < l->n_refs; i++) {
		const struct k8s_certref *r = &l->refs[i];

		if (strcmp(r->ns, g->m.ns) != 0) {
			k8s_diag(x->k, K8S_WARNING, &g->m, &r->loc, r->field,
				"Secret %s/%s is in another namespace (needs a ReferenceGrant, "
				"not read by the import): ignored",
				r->ns, r->name);
			continue;
		}
		rc = add_cert(x, &g->m, &r->loc, r->field, r->field, r->ns, r->name, hosts, nh);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
k8s_tls_gateways(struct k8s_xlate *x)
{
	unsigned i, j;
	int rc;

	for (i = 0; i < x->k->n_gw; i++)
		for (j = 0; j < x->k->gw[i].n_ls; j++)
			if ((rc = gw_listener(x, &x->k->gw[i], &x->k->gw[i].ls[j])) != 0)
				return rc;
	return 0;
}

/** List a file for the caller; @p path is taken over. @return 0 or -ENOMEM. */
static int
add_file(struct fo_k8s *k, char *path, const char *data, size_t len, unsigned mode)
{
	struct fo_k8s_file *pub;

	if (k8s_grow((void **)&k->files, &k->cap_files, k->n_files, sizeof(*k->files)) != 0) {
		free(path);
		return -ENOMEM;
	}
	pub = realloc(k->pub_files, (size_t)k->cap_files * sizeof(*pub));
	if (pub == NULL) {
		free(path);
		return -ENOMEM;
	}
	k->pub_files = pub;
	k->files[k->n_files] = (struct k8s_file){path, data, len, mode};
	pub[k->n_files] = (struct fo_k8s_file){path, data, len, mode};
	k->n_files++;
	return 0;
}

static char *
file_path(const char *dir, const char *ns, const char *name, const char *ext)
{
	size_t n = strlen(dir) + strlen(ns) + strlen(name) + strlen(ext) + 4;
	char *p = malloc(n);

	if (p != NULL)
		snprintf(p, n, "%s/%s_%s.%s", dir, ns, name, ext);
	return p;
}

int
k8s_tls_emit(struct k8s_xlate *x, struct k8s_buf *b)
{
	const char *dir = x->o->tls_dir ? x->o->tls_dir : "k8s-tls";
	unsigned i;
	int rc;

	if (x->n_certs == 0)
		return 0;
	if (!k8s_printable(dir) || strchr(dir, '"') != NULL || strchr(dir, '\\') != NULL) {
		k8s_diag(x->k, K8S_ERROR, NULL, NULL, NULL,
			"TLS directory \"%s\": printable ASCII without spaces or quotes only", dir);
		return 0;
	}
	for (i = 0; i < x->n_certs; i++) {
		const struct k8s_tlscert *c = &x->certs[i];
		const struct k8s_secret *s = find_secret(x->k, c->ns, c->name);
		char *crt, *key;

		if (!c->usable)
			continue;
		crt = file_path(dir, c->ns, c->name, "crt");
		key = file_path(dir, c->ns, c->name, "key");
		if (crt == NULL || key == NULL) {
			free(crt);
			free(key);
			return -ENOMEM;
		}
		kb_printf(b, "\n# Secret %s/%s (%s %s/%s %s)%s%s\ntls_certificate ", c->ns, c->name,
			c->by->kind, c->by->ns, c->by->name, c->by_field, c->hosts[0] ? ": " : "",
			c->hosts);
		k8s_put_q(b, crt);
		kb_printf(b, " ");
		k8s_put_q(b, key);
		kb_printf(b, ";\n");
		if ((rc = add_file(x->k, crt, s->crt, s->crt_len, 0644)) != 0) {
			free(key);
			return rc;
		}
		if ((rc = add_file(x->k, key, s->key, s->key_len, 0600)) != 0)
			return rc;
	}
	return 0;
}
