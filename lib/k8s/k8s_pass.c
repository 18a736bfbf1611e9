/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SNI passthrough: TLS connections fanout does not terminate but hands, by
 * the ClientHello's server name, to an upstream (`passthrough NAME {
 * upstream U; }`, `passthrough_default U;`; the listener, `listen A:443
 * passthrough;` or `tls passthrough`, is the base config's):
 *  - ingress-nginx's `ssl-passthrough: "true"`: each host of the Ingress
 *    goes to the backend of its "/" path, as ingress-nginx does (a host
 *    without "/" or a rule without host cannot be passed: warned about);
 *    its other paths are still routed as HTTP on the plain listener;
 *  - Gateway API TLSRoute (v1alpha2): each hostname goes to the rule's
 *    backendRef; none: passthrough_default. A passthrough has one upstream:
 *    a second rule or backendRef (weights) is warned about and left out; a
 *    "*.x" hostname takes one label in fanout, any number in the Gateway API
 *    (warned about).
 * A name claimed twice goes to the oldest object (Ingresses and TLSRoutes
 * are taken oldest first), with a warning.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "k8s_xlate.h"

/** @return 0, or -1 when @p host already has a passthrough (warned). */
static int
host_free(struct k8s_xlate *x, const struct k8s_meta *m, const struct k8s_loc *loc,
	const char *field, const char *host)
{
	unsigned i;

	for (i = 0; i < x->n_pass; i++) {
		const struct k8s_pass *p = &x->pass[i];

		if (host == NULL ? p->host == NULL : p->host && strcasecmp(p->host, host) == 0) {
			k8s_diag(x->k, K8S_WARNING, m, loc, field,
				"%s%s is already passed through by %s %s/%s (older: it wins): "
				"ignored",
				host ? "SNI " : "passthrough_default", host ? host : "",
				p->by->kind, p->by->ns, p->by->name);
			return -1;
		}
	}
	return 0;
}

static int
push(struct k8s_xlate *x, const char *host, int up, const struct k8s_meta *m, const char *field)
{
	const struct k8s_upstream *u = &x->ups[up];
	unsigned i, n = 0;

	for (i = 0; i < u->n_srv; i++)
		n += u->srv[i].ready || u->srv[i].drain;
	if (n == 0) {
		/* the config refuses a passthrough to an upstream without server;
		 * the import after its endpoints turn ready adds it */
		k8s_diag(x->k, K8S_WARNING, m, NULL, field,
			"upstream %s has no ready endpoint: %s%s not passed through (yet)", u->name,
			host ? "SNI " : "passthrough_default", host ? host : "");
		return 0;
	}
	if (k8s_grow((void **)&x->pass, &x->cap_pass, x->n_pass, sizeof(*x->pass)) != 0)
		return -ENOMEM;
	x->pass[x->n_pass++] = (struct k8s_pass){host, up, m, field};
	return 0;
}

int
k8s_pass_ingress(struct k8s_xlate *x, const struct k8s_ingress *ing)
{
	static const char *const field =
		"metadata.annotations[nginx.ingress.kubernetes.io/ssl-passthrough]";
	unsigned i, j;
	int up;

	for (i = 0; i < ing->n_rules; i++) {
		const struct k8s_rule *r = &ing->rules[i];
		const struct k8s_path *root = NULL;

		if (r->host == NULL) {
			k8s_diag(x->k, K8S_WARNING, &ing->m, &r->loc, field,
				"spec.rules[%u] has no host: nothing to pass through by SNI", i);
			continue;
		}
		if (!k8s_host_ok(r->host))
			continue; /* an error already */
		for (j = 0; j < r->n_paths && root == NULL; j++)
			if (strcmp(r->paths[j].path, "/") == 0 && r->paths[j].be.svc != NULL)
				root = &r->paths[j];
		if (root == NULL) {
			k8s_diag(x->k, K8S_WARNING, &ing->m, &r->loc, field,
				"host %s has no path \"/\": ingress-nginx passes a host to the "
				"backend of \"/\"; not passed through",
				r->host);
			continue;
		}
		if (host_free(x, &ing->m, &r->loc, field, r->host) != 0)
			continue;
		up = k8s_backend_upstream(x, &ing->m, &root->be);
		if (up == -ENOMEM)
			return up;
		if (up >= 0 && push(x, r->host, up, &ing->m, root->field) != 0)
			return -ENOMEM;
	}
	return 0;
}

static int
cmp_tr(const void *pa, const void *pb)
{
	const struct k8s_httproute *a = *(const struct k8s_httproute *const *)pa;
	const struct k8s_httproute *b = *(const struct k8s_httproute *const *)pb;
	int c;

	if (a->m.created == NULL || b->m.created == NULL) {
		if (a->m.created != b->m.created)
			return a->m.created == NULL ? 1 : -1;
	} else if ((c = strcmp(a->m.created, b->m.created)) != 0) {
		return c;
	}
	if ((c = strcmp(a->m.ns, b->m.ns)) != 0)
		return c;
	if ((c = strcmp(a->m.name, b->m.name)) != 0)
		return c;
	return a->m.seq < b->m.seq ? -1 : a->m.seq > b->m.seq;
}

/** The one backendRef a TLSRoute passes to (others warned about). @return it or NULL. */
static const struct k8s_hbackend *
tr_backend(struct k8s_xlate *x, const struct k8s_httproute *t)
{
	const struct k8s_hbackend *use = NULL;
	unsigned i, j;

	for (i = 0; i < t->n_rules; i++) {
		for (j = 0; j < t->rules[i].n_backends; j++) {
			const struct k8s_hbackend *b = &t->rules[i].backends[j];

			if (b->ns != NULL && strcmp(b->ns, t->m.ns) != 0) {
				k8s_diag(x->k, K8S_WARNING, &t->m, &b->be.loc, b->be.field,
					"Service %s/%s is in another namespace (needs a "
					"ReferenceGrant, not read by the import): left out",
					b->ns, b->be.svc);
			} else if (b->weight == 0) {
				continue;
			} else if (use == NULL) {
				use = b;
			} else {
				k8s_diag(x->k, K8S_WARNING, &t->m, &b->be.loc, b->be.field,
					"fanout passes a name to one upstream (%s): this "
					"backendRef "
					"is left out",
					use->be.field);
			}
		}
	}
	if (use == NULL)
		k8s_diag(x->k, K8S_WARNING, &t->m, NULL, "spec.rules",
			"no backendRef with a weight above 0: nothing to pass through to");
	return use;
}

/** The upstream of @p b, resolved on first use (*@p up -2: not yet). @return 0, -1 (recorded) or
 * -ENOMEM. */
static int
tr_upstream(
	struct k8s_xlate *x, const struct k8s_httproute *t, const struct k8s_hbackend *b, int *up)
{
	if (*up == -2)
		*up = k8s_backend_upstream(x, &t->m, &b->be);
	return *up == -ENOMEM ? -ENOMEM : *up < 0 ? -1 : 0;
}

static int
tlsroute(struct k8s_xlate *x, const struct k8s_httproute *t)
{
	const struct k8s_hbackend *b = tr_backend(x, t);
	char field[K8S_FIELD_MAX];
	int up = -2, rc;
	unsigned i;

	if (b == NULL)
		return 0;
	if (t->n_hostnames == 0) {
		if (host_free(x, &t->m, NULL, "spec.hostnames", NULL) != 0)
			return 0;
		if ((rc = tr_upstream(x, t, b, &up)) != 0)
			return rc == -ENOMEM ? rc : 0;
		return push(x, NULL, up, &t->m, b->be.field);
	}
	for (i = 0; i < t->n_hostnames; i++) {
		const char *h = t->hostnames[i];

		snprintf(field, sizeof(field), "spec.hostnames[%u]", i);
		if (!k8s_host_ok(h)) {
			k8s_diag(x->k, K8S_ERROR, &t->m, NULL, field,
				"invalid hostname \"%s\" (a DNS name, optionally \"*.\" first)", h);
			continue;
		}
		if (host_free(x, &t->m, NULL, field, h) != 0)
			continue;
		if (h[0] == '*')
			k8s_diag(x->k, K8S_WARNING, &t->m, NULL, field,
				"\"%s\" takes one label in fanout (as a certificate's wildcard), "
				"any "
				"number in the Gateway API",
				h);
		if ((rc = tr_upstream(x, t, b, &up)) != 0)
			return rc == -ENOMEM ? rc : 0;
		if (push(x, h, up, &t->m, b->be.field) != 0)
			return -ENOMEM;
	}
	return 0;
}

int
k8s_pass_tlsroutes(struct k8s_xlate *x)
{
	const struct k8s_httproute **sel;
	unsigned i, n = x->k->n_tr;
	int rc = 0;

	if (n == 0)
		return 0;
	sel = calloc(n, sizeof(*sel));
	if (sel == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		sel[i] = &x->k->tr[i];
	qsort(sel, n, sizeof(*sel), cmp_tr);
	for (i = 0; i < n && rc == 0; i++)
		rc = tlsroute(x, sel[i]);
	free(sel);
	return rc;
}

void
k8s_pass_emit(const struct k8s_xlate *x, struct k8s_buf *b)
{
	unsigned i;

	for (i = 0; i < x->n_pass; i++) {
		const struct k8s_pass *p = &x->pass[i];

		kb_printf(b, "\n# %s %s/%s %s (SNI passthrough)\n", p->by->kind, p->by->ns,
			p->by->name, p->by_field);
		if (p->host != NULL)
			kb_printf(b, "passthrough %s {\n\tupstream %s;\n}\n", p->host,
				x->ups[p->up].name);
		else
			kb_printf(b, "passthrough_default %s;\n", x->ups[p->up].name);
	}
}
