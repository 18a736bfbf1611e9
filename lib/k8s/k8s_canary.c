/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Canaries: ingress-nginx's canary Ingresses and the Gateway API's weighted
 * backendRefs, as `canary UPSTREAM { header; cookie; weight; }` blocks of
 * the route they share requests with.
 *
 * A canary Ingress (canary: "true") attaches, path by path, to the main
 * (non-canary) Ingress's route with the same host, path and pathType, as
 * ingress-nginx merges an "alternative backend" into the location of its
 * primary; a path no main Ingress has is left out with a warning (ingress-
 * nginx deletes that backend). Its by-header (always/never, -value,
 * -pattern), by-cookie and weight annotations become the block's header,
 * cookie and weight; the route keeps the main Ingress's annotations
 * (rewrite, redirects...), as ingress-nginx serves a canary from the main
 * location. Several canary Ingresses on one path are all kept, oldest
 * first, with a warning: fanout decides them in that order, while
 * ingress-nginx only ever uses the first (oldest) of a backend.
 *
 * Weights: each canary Ingress has its own canary-weight-total (100, or
 * more); a route has one canary_weight_total. The route's total is the
 * least common multiple of its canaries' totals, each weight scaled to it,
 * so every share is exact; weights that add up to more than the whole, or
 * a total over the config's 1000000, are import errors naming the
 * canary Ingress and its annotation (the config would refuse them).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "k8s_xlate.h"

#define ANN_WEIGHT "metadata.annotations[nginx.ingress.kubernetes.io/canary-weight]"
#define ANN_TOTAL "metadata.annotations[nginx.ingress.kubernetes.io/canary-weight-total]"

static int
same_host(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcasecmp(a, b) == 0;
}

int
k8s_canary_push(struct k8s_xlate *x, const struct k8s_canary *c)
{
	if (k8s_grow((void **)&x->cys, &x->cap_cys, x->n_cys, sizeof(*x->cys)) != 0)
		return -ENOMEM;
	x->cys[x->n_cys] = *c;
	x->cys[x->n_cys].seq = x->n_cys;
	return (int)x->n_cys++;
}

static const char *const path_types[] = {"Exact", "Prefix", "ImplementationSpecific"};

/** The main route of a canary path: -1 none (warned about). */
static int
main_route(struct k8s_xlate *x, const struct k8s_ingress *ing, const struct k8s_rule *r,
	const struct k8s_path *p)
{
	const struct k8s_route *near = NULL;
	unsigned m;

	for (m = 0; m < x->n_routes; m++) {
		const struct k8s_route *rt = &x->routes[m];

		if (!same_host(rt->host, r->host) || strcmp(rt->p->path, p->path) != 0)
			continue;
		if (rt->p->type == p->type)
			return (int)m;
		near = rt;
	}
	/* ingress-nginx logs "unable to find real backend for alternative
	 * backend" and deletes it */
	if (near != NULL)
		k8s_diag(x->k, K8S_WARNING, &ing->m, &p->loc, p->field,
			"canary path \"%s\"%s%s (Service %s): Ingress %s/%s has it with pathType "
			"%s, not %s, and ingress-nginx matches both: ignored",
			p->path, r->host ? " of host " : "", r->host ? r->host : "",
			p->be.svc ? p->be.svc : "-", near->ing->m.ns, near->ing->m.name,
			path_types[near->p->type], path_types[p->type]);
	else
		k8s_diag(x->k, K8S_WARNING, &ing->m, &p->loc, p->field,
			"canary path \"%s\"%s%s (Service %s): no main (non-canary) Ingress has "
			"this host, path and pathType, so there is nothing to share requests "
			"with: ignored (ingress-nginx drops it too)",
			p->path, r->host ? " of host " : "", r->host ? r->host : "",
			p->be.svc ? p->be.svc : "-");
	return -1;
}

/** Another canary of route @p m: -1 none, else the newest's index. */
static int
other_canary(const struct k8s_xlate *x, int m)
{
	int i;

	for (i = (int)x->n_cys - 1; i >= 0; i--)
		if (x->cys[i].route == m)
			return i;
	return -1;
}

static int
add_path(struct k8s_xlate *x, const struct k8s_ingress *ing, const struct k8s_ann *a,
	const struct k8s_rule *r, const struct k8s_path *p)
{
	const struct k8s_route *rt;
	struct k8s_canary c;
	int m, up, o;

	m = main_route(x, ing, r, p);
	if (m < 0 || p->be.svc == NULL)
		return 0;
	up = k8s_backend_upstream(x, &ing->m, &p->be);
	if (up < 0)
		return up == -ENOMEM ? up : 0;
	rt = &x->routes[m];
	if (up == rt->up) {
		k8s_diag(x->k, K8S_WARNING, &ing->m, &p->loc, p->field,
			"canary backend %s is the main upstream of this path (Ingress %s/%s): "
			"ignored (as ingress-nginx)",
			x->ups[up].name, rt->ing->m.ns, rt->ing->m.name);
		return 0;
	}
	o = other_canary(x, m);
	if (o >= 0 && x->cys[o].ing == ing) {
		k8s_diag(x->k, K8S_WARNING, &ing->m, &p->loc, p->field,
			"canary path \"%s\" is already %s of this Ingress: this one is ignored",
			p->path, x->cys[o].p->field);
		return 0;
	}
	if (o >= 0)
		k8s_diag(x->k, K8S_WARNING, &ing->m, &p->loc, p->field,
			"path \"%s\" of Ingress %s/%s already has canary Ingress %s/%s (older): "
			"both are kept and decided oldest first (ingress-nginx only uses the "
			"oldest)",
			p->path, rt->ing->m.ns, rt->ing->m.name, x->cys[o].ing->m.ns,
			x->cys[o].ing->m.name);
	/* canary requests are served with the main location's settings, but
	 * balancing and affinity are the canary Ingress's own (ingress-nginx) */
	k8s_upstream_settings(x, up, rt->ing, rt->ann);
	k8s_upstream_balance(x, up, ing, &a->bal, p, strcmp(rt->type, "regex") == 0);
	if ((a->bal.sticky || rt->ann->bal.sticky) && !a->bal.legacy)
		k8s_diag(x->k, K8S_WARNING, &ing->m, &p->loc, p->field,
			"session affinity with a canary: fanout decides the canary of each "
			"request first, so a session pinned to one of the main upstream's "
			"servers can be sent to the canary and back (ingress-nginx's "
			"affinity-canary-behavior: legacy; its default, sticky, keeps it on "
			"one side)");
	c = (struct k8s_canary){
		.route = m, .ing = ing, .ann = a, .p = p, .up = up, .weight = a->canary_weight};
	return k8s_canary_push(x, &c) < 0 ? -ENOMEM : 0;
}

int
k8s_canary_add(struct k8s_xlate *x, const struct k8s_ingress *ing, const struct k8s_ann *a)
{
	unsigned i, j;
	int rc;

	if (ing->def.svc != NULL)
		k8s_diag(x->k, K8S_WARNING, &ing->m, &ing->def.loc, ing->def.field,
			"the default backend of a canary Ingress is not imported (fanout's "
			"default_backend has no canary): ignored");
	for (i = 0; i < ing->n_rules; i++) {
		const struct k8s_rule *r = &ing->rules[i];

		if (r->host != NULL && !k8s_host_ok(r->host))
			continue; /* no main route can have it */
		for (j = 0; j < r->n_paths; j++)
			if ((rc = add_path(x, ing, a, r, &r->paths[j])) != 0)
				return rc;
	}
	return 0;
}

static int
cmp_cy(const void *pa, const void *pb)
{
	const struct k8s_canary *a = pa, *b = pb;

	if (a->route != b->route)
		return a->route < b->route ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

long
k8s_gcd(long a, long b)
{
	while (b != 0) {
		long t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* Canaries cy[0..n) of one route: their total and scaled weights. @return 0 or -1 (recorded). */
static int
fit_route(struct k8s_xlate *x, struct k8s_route *rt, struct k8s_canary *cy, unsigned n)
{
	long total = 1, sum = 0;
	unsigned i;

	if (n > 16) {
		k8s_diag(x->k, K8S_ERROR, &cy[16].ing->m, &cy[16].p->loc, cy[16].p->field,
			"path \"%s\" of Ingress %s/%s has more than 16 canaries (fanout's limit "
			"per route)",
			rt->p->path, rt->ing->m.ns, rt->ing->m.name);
		return -1;
	}
	for (i = 0; i < n; i++) {
		long t = cy[i].ann->canary_total, l = total / k8s_gcd(total, t);

		if (t > K8S_CANARY_TOTAL_MAX || l > K8S_CANARY_TOTAL_MAX / t) {
			const struct k8s_loc *loc = &cy[i].ann->total_loc;

			if (t > K8S_CANARY_TOTAL_MAX)
				k8s_diag(x->k, K8S_ERROR, &cy[i].ing->m, loc, ANN_TOTAL,
					"%ld is more than fanout's largest canary_weight_total, "
					"%ld",
					t, K8S_CANARY_TOTAL_MAX);
			else
				k8s_diag(x->k, K8S_ERROR, &cy[i].ing->m,
					loc->file != NULL ? loc : NULL, ANN_TOTAL,
					"%ld and the totals of the older canaries of path \"%s\" "
					"need a common canary_weight_total (their least common "
					"multiple) above fanout's %ld",
					t, rt->p->path, K8S_CANARY_TOTAL_MAX);
			return -1;
		}
		total = l * t;
	}
	for (i = 0; i < n; i++) {
		const struct k8s_ann *a = cy[i].ann;

		cy[i].weight = a->canary_weight * (total / a->canary_total);
		sum += cy[i].weight;
		if (a->canary_weight > a->canary_total) {
			k8s_diag(x->k, K8S_ERROR, &cy[i].ing->m, &a->weight_loc, ANN_WEIGHT,
				"%ld is more than canary-weight-total %ld (ingress-nginx sends "
				"every request to the canary then; fanout's weights are parts of "
				"the total)",
				a->canary_weight, a->canary_total);
			return -1;
		}
		if (sum > total) {
			k8s_diag(x->k, K8S_ERROR, &cy[i].ing->m, &a->weight_loc, ANN_WEIGHT,
				"%ld of %ld: with the older canaries of path \"%s\" (Ingress "
				"%s/%s's, first) the weights add up to more than the whole "
				"(%ld of %ld)",
				a->canary_weight, a->canary_total, rt->p->path, cy[0].ing->m.ns,
				cy[0].ing->m.name, sum, total);
			return -1;
		}
	}
	rt->cy_total = total;
	return 0;
}

int
k8s_canary_fit(struct k8s_xlate *x)
{
	unsigned i, j;

	if (x->n_cys > 1)
		qsort(x->cys, x->n_cys, sizeof(*x->cys), cmp_cy);
	for (i = 0; i < x->n_cys; i = j) {
		struct k8s_route *rt = &x->routes[x->cys[i].route];

		for (j = i; j < x->n_cys && x->cys[j].route == x->cys[i].route; j++)
			;
		if (fit_route(x, rt, &x->cys[i], j - i) == 0) {
			rt->cy_first = i;
			rt->cy_n = j - i;
		}
	}
	return 0;
}

void
k8s_canary_emit(
	const struct k8s_xlate *x, struct k8s_buf *b, unsigned first, unsigned n, long total)
{
	unsigned i;

	if (n == 0)
		return;
	if (total != 100)
		kb_printf(b, "\tcanary_weight_total %ld;\n", total);
	for (i = first; i < first + n; i++) {
		const struct k8s_canary *c = &x->cys[i];
		const struct k8s_ann *a = c->ann;
		int by = 0;

		if (c->ing != NULL)
			kb_printf(b, "\t# canary Ingress %s/%s %s (%s:%u)\n", c->ing->m.ns,
				c->ing->m.name, c->p->field, c->p->loc.file, c->p->loc.line);
		else
			kb_printf(b, "\t# %s (%s:%u)\n", c->hb->be.field, c->hb->be.loc.file,
				c->hb->be.loc.line);
		kb_printf(b, "\tcanary %s {\n", x->ups[c->up].name);
		if (a != NULL && a->canary_header != NULL) {
			kb_printf(b, "\t\theader %s", a->canary_header);
			if (a->canary_value != NULL || a->canary_pattern != NULL) {
				kb_printf(b, a->canary_value != NULL ? " " : " ~ ");
				k8s_put_q(b, a->canary_value != NULL ? a->canary_value
								     : a->canary_pattern);
			}
			kb_printf(b, ";\n");
			by = 1;
		}
		if (a != NULL && a->canary_cookie != NULL) {
			kb_printf(b, "\t\tcookie %s;\n", a->canary_cookie);
			by = 1;
		}
		if (c->weight != 0 || !by)
			kb_printf(b, "\t\tweight %ld;\n", c->weight);
		kb_printf(b, "\t}\n");
	}
}
