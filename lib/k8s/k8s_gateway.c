/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTPRoutes to routes, with `match_order gateway` (Gateway API
 * precedence: host, path, method, headers, query; then config order, which
 * is the routes' age: creationTimestamp, then namespace/name, as the
 * Gateway API resolves conflicts). One route per hostname and match, each
 * with its rule's filters and backend:
 *  - hostnames: exact, or "*.X" (any number of labels in Gateway API) as
 *    the config's "**.X"; none: every host;
 *  - path Exact / PathPrefix / RegularExpression: exact / prefix / regex
 *    (case-sensitive, as the Gateway API's regexes are);
 *  - headers, queryParams, method: `match` conditions;
 *  - RequestHeaderModifier / ResponseHeaderModifier: request_header /
 *    response_header; RequestRedirect: redirect { }; URLRewrite:
 *    rewrite_host, rewrite (ReplaceFullPath), rewrite_prefix
 *    (ReplacePrefixMatch);
 *  - backendRefs: Service ports, the upstreams namespace-service-port. The
 *    Gateway API has no primary backend: the first with a weight above 0 is
 *    the route's upstream, every other one a `canary` with its weight, and
 *    canary_weight_total is the sum of the weights (default 1 each), so each
 *    gets exactly weight/sum of the requests; weight 0 gets none. A rule
 *    whose weights are all 0 (Gateway API: 500 for every request) is left
 *    out with a warning: the config has no "answer 500".
 * Ingresses and HTTPRoutes cannot share a config: their match orders
 * differ.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_xlate.h"

static int
cmp_hr(const void *pa, const void *pb)
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

static int
value_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/** What the config cannot hold in a rule: an error (recorded). @return 0 ok, -1 bad. */
static int
check_rule(struct k8s_xlate *x, const struct k8s_httproute *h, const struct k8s_hrule *r)
{
	const char *why = NULL, *field = NULL;
	const struct k8s_loc *loc = NULL;
	unsigned i, j;

	for (i = 0; i < r->n_matches && why == NULL; i++) {
		const struct k8s_hmatch *m = &r->matches[i];

		loc = &m->loc;
		field = m->field;
		if (!k8s_printable(m->path))
			why = "path: printable ASCII without spaces only";
		for (j = 0; j < m->n_headers && why == NULL; j++)
			if (!k8s_token(m->headers[j].name) || !value_ok(m->headers[j].value))
				why = "headers: a token name and a printable value";
		for (j = 0; j < m->n_query && why == NULL; j++)
			if (!k8s_printable(m->query[j].name) || !k8s_printable(m->query[j].value))
				why = "queryParams: printable names and values without spaces";
		if (why == NULL && m->method != NULL && !k8s_token(m->method))
			why = "method: a token";
		for (j = 0; j < r->n_filters && why == NULL; j++) {
			const struct k8s_hfilter *f = &r->filters[j];

			if (f->prefix && m->ptype != K8S_HPATH_PREFIX)
				why = "ReplacePrefixMatch needs a PathPrefix match";
		}
	}
	for (i = 0; i < r->n_filters && why == NULL; i++) {
		const struct k8s_hfilter *f = &r->filters[i];

		loc = &f->loc;
		field = f->field;
		for (j = 0; j < f->n_ops && why == NULL; j++)
			if (!k8s_token(f->ops[j].name) ||
				(f->ops[j].value != NULL && !value_ok(f->ops[j].value)))
				why = "header modifier: a token name and a printable value";
		if (why == NULL && f->path != NULL &&
			(!k8s_printable(f->path) || strpbrk(f->path, "?#$") != NULL))
			why = "path: printable ASCII without spaces, \"?\", \"#\" or \"$\"";
		if (why == NULL && f->hostname != NULL &&
			(!k8s_host_ok(f->hostname) || f->hostname[0] == '*'))
			why = "hostname: a DNS name";
		if (why == NULL && f->type == K8S_HF_REDIRECT && f->scheme == NULL &&
			f->hostname == NULL && f->port == 0 && f->path == NULL)
			why = "RequestRedirect changes nothing (set scheme, hostname, port or "
			      "path)";
	}
	if (why == NULL)
		return 0;
	k8s_diag(x->k, K8S_ERROR, &h->m, loc, field, "%s", why);
	return -1;
}

/** What a rule's routes forward to: the upstream and the canaries. */
struct rule_ups {
	int up; /**< -1: none */
	unsigned cy_first, cy_n;
	long total;
};

/*
 * The canaries of a rule: the live backends after the first, their weights
 * of @p sum (the first's included). Over the config's largest total, the
 * weights are divided by their greatest common divisor, or else rounded to
 * millionths (Gateway API allows "some epsilon"). @return 0 or -ENOMEM.
 */
static int
rule_canaries(struct k8s_xlate *x, const struct k8s_httproute *h, const struct k8s_hrule *r,
	const struct k8s_hbackend *first, long sum, struct rule_ups *ru)
{
	long g = 0, total = sum;
	unsigned i;
	int up;

	for (i = 0; i < r->n_backends; i++)
		if (r->backends[i].weight > 0)
			g = g == 0 ? r->backends[i].weight : k8s_gcd(g, r->backends[i].weight);
	if (sum > K8S_CANARY_TOTAL_MAX) {
		total = sum / g <= K8S_CANARY_TOTAL_MAX ? sum / g : K8S_CANARY_TOTAL_MAX;
		if (sum / g > K8S_CANARY_TOTAL_MAX)
			k8s_diag(x->k, K8S_WARNING, &h->m, &r->loc, NULL,
				"the backendRefs' weights add up to %ld, more than fanout's "
				"largest canary_weight_total (%ld): shares rounded down to "
				"millionths (the first backend takes what is left)",
				sum, K8S_CANARY_TOTAL_MAX);
	}
	for (i = 0; i < r->n_backends; i++) {
		const struct k8s_hbackend *b = &r->backends[i];
		struct k8s_canary c;

		if (b <= first || b->weight <= 0 || (b->ns != NULL && strcmp(b->ns, h->m.ns) != 0))
			continue;
		up = k8s_backend_upstream(x, &h->m, &b->be);
		if (up == -ENOMEM)
			return up;
		if (up < 0 || up == ru->up) /* the same Service port twice: the rest is its */
			continue;
		if (ru->cy_n == 16) {
			k8s_diag(x->k, K8S_ERROR, &h->m, &b->be.loc, b->be.field,
				"more than 17 backendRefs with a weight (fanout: one upstream and "
				"16 canaries per route)");
			return 0;
		}
		c = (struct k8s_canary){.route = -1, .hb = b, .up = up};
		c.weight = total == sum       ? b->weight
			   : total == sum / g ? b->weight / g
					      : (long)((double)b->weight * total / sum);
		if (k8s_canary_push(x, &c) < 0)
			return -ENOMEM;
		ru->cy_n++;
	}
	ru->total = total;
	return 0;
}

/** The backends a rule's routes use (ru->up -1: none, recorded). @return 0 or -ENOMEM. */
static int
rule_backend(struct k8s_xlate *x, const struct k8s_httproute *h, const struct k8s_hrule *r,
	int redirect, struct rule_ups *ru)
{
	const struct k8s_hbackend *use = NULL;
	unsigned i, zero = 0;
	long sum = 0;

	*ru = (struct rule_ups){.up = -1, .cy_first = x->n_cys, .total = 100};
	for (i = 0; i < r->n_backends; i++) {
		const struct k8s_hbackend *b = &r->backends[i];

		if (b->weight < 0) {
			k8s_diag(x->k, K8S_WARNING, &h->m, &b->be.loc, b->be.field,
				"backendRef filters are not supported: this backend is left out "
				"(its share goes to the others)");
			continue;
		}
		if (b->ns != NULL && strcmp(b->ns, h->m.ns) != 0) {
			k8s_diag(x->k, K8S_WARNING, &h->m, &b->be.loc, b->be.field,
				"a Service in namespace %s needs a ReferenceGrant, which the "
				"import does not read: this backend is left out (its share goes "
				"to the others)",
				b->ns);
			continue;
		}
		if (b->weight == 0) {
			zero++;
			continue;
		}
		sum += b->weight;
		if (use == NULL)
			use = b;
	}
	if (use == NULL) {
		if (redirect)
			return 0;
		if (zero > 0)
			k8s_diag(x->k, K8S_WARNING, &h->m, &r->loc, NULL,
				"every backendRef has weight 0 (Gateway API forwards no request "
				"and answers 500; fanout cannot answer 500 by itself): the rule "
				"is left out");
		else
			k8s_diag(x->k, K8S_WARNING, &h->m, &r->loc, NULL,
				"a rule without a backend (Gateway API answers 500): left out");
		return 0;
	}
	ru->up = k8s_backend_upstream(x, &h->m, &use->be);
	if (ru->up == -ENOMEM)
		return ru->up;
	if (ru->up < 0) {
		ru->up = -1;
		return 0;
	}
	return sum > use->weight ? rule_canaries(x, h, r, use, sum, ru) : 0;
}

static int
add_rule(struct k8s_xlate *x, const struct k8s_httproute *h, const struct k8s_hrule *r)
{
	unsigned i, j, n_hosts = h->n_hostnames ? h->n_hostnames : 1;
	struct rule_ups ru;
	int redirect = 0, rc;

	if (r->bad_filter) {
		k8s_diag(x->k, K8S_WARNING, &h->m, &r->loc, NULL,
			"filter %d (%s) is not supported by fanout: the rule is left out",
			r->bad_filter - 1, r->bad_type ? r->bad_type : "?");
		return 0;
	}
	if (check_rule(x, h, r) != 0)
		return 0;
	for (i = 0; i < r->n_filters; i++) {
		const struct k8s_hfilter *f = &r->filters[i];

		redirect |= f->type == K8S_HF_REDIRECT;
		/* parentRefs are not read: a rule meant for the HTTP listener
		 * serves HTTPS too, where an https redirect to itself loops */
		if (f->type == K8S_HF_REDIRECT && x->n_certs > 0 && f->scheme != NULL &&
			strcmp(f->scheme, "https") == 0 && f->hostname == NULL && f->path == NULL &&
			(f->port == 0 || f->port == 443)) {
			k8s_diag(x->k, K8S_WARNING, &h->m, &f->loc, f->field,
				"a redirect to https of the same URL would also answer HTTPS "
				"requests (parentRefs are not read: a loop); fanout's ssl_redirect "
				"sends plain requests for a host with a certificate to https: the "
				"rule is left out");
			return 0;
		}
	}
	if ((rc = rule_backend(x, h, r, redirect, &ru)) != 0)
		return rc;
	if (ru.up < 0 && !redirect)
		return 0;
	for (i = 0; i < n_hosts; i++) {
		const char *host = h->n_hostnames ? h->hostnames[i] : NULL;
		int wild = host != NULL && strncmp(host, "*.", 2) == 0;

		if (host != NULL && !k8s_host_ok(host)) {
			char field[64];

			snprintf(field, sizeof(field), "spec.hostnames[%u]", i);
			k8s_diag(x->k, K8S_ERROR, &h->m, NULL, field,
				"invalid hostname \"%s\" (a DNS name, optionally \"*.\" first)",
				host);
			continue;
		}
		for (j = 0; j < r->n_matches; j++) {
			if (k8s_grow((void **)&x->groutes, &x->cap_groutes, x->n_groutes,
				    sizeof(*x->groutes)) != 0)
				return -ENOMEM;
			x->groutes[x->n_groutes++] = (struct k8s_groute){
				.h = h,
				.r = r,
				.m = &r->matches[j],
				.host = wild ? host + 2 : host,
				.wild = wild,
				.up = ru.up,
				.cy_first = ru.cy_first,
				.cy_n = ru.cy_n,
				.cy_total = ru.total,
			};
		}
	}
	return 0;
}

int
k8s_gateway_add(struct k8s_xlate *x, unsigned n_ing)
{
	const struct k8s_httproute **sel;
	unsigned i, j;
	int rc = 0;

	if (x->k->n_hr == 0)
		return 0;
	if (n_ing > 0) {
		k8s_diag(x->k, K8S_ERROR, &x->k->hr[0].m, NULL, NULL,
			"Ingresses and HTTPRoutes in one import: they need different match orders "
			"(ingress-nginx, gateway); import them into two configs");
		return 0;
	}
	x->gateway = 1;
	sel = calloc(x->k->n_hr, sizeof(*sel));
	if (sel == NULL)
		return -ENOMEM;
	for (i = 0; i < x->k->n_hr; i++)
		sel[i] = &x->k->hr[i];
	if (x->k->n_hr > 1)
		qsort(sel, x->k->n_hr, sizeof(*sel), cmp_hr);
	for (i = 0; i < x->k->n_hr && rc == 0; i++)
		for (j = 0; j < sel[i]->n_rules && rc == 0; j++)
			rc = add_rule(x, sel[i], &sel[i]->rules[j]);
	free(sel);
	return rc;
}

static void
emit_kv(struct k8s_buf *b, const char *what, const struct k8s_kv *kv)
{
	kb_printf(b, "\tmatch %s %s %s", what, kv->name, kv->regex ? "~ " : "");
	k8s_put_q(b, kv->value);
	kb_printf(b, ";\n");
}

static void
emit_filter(struct k8s_buf *b, const struct k8s_hfilter *f)
{
	static const char *const ops[] = {['s'] = "set", ['a'] = "add", ['r'] = "remove"};
	unsigned i;

	switch (f->type) {
	case K8S_HF_REQ_HEADER:
	case K8S_HF_RESP_HEADER:
		for (i = 0; i < f->n_ops; i++) {
			kb_printf(b, "\t%s %s %s",
				f->type == K8S_HF_REQ_HEADER ? "request_header" : "response_header",
				ops[(unsigned char)f->ops[i].op], f->ops[i].name);
			if (f->ops[i].op != 'r') {
				kb_printf(b, " ");
				k8s_put_q(b, f->ops[i].value);
			}
			kb_printf(b, ";\n");
		}
		break;
	case K8S_HF_REDIRECT:
		kb_printf(b, "\tredirect {\n\t\tstatus %ld;\n", f->status);
		if (f->scheme != NULL)
			kb_printf(b, "\t\tscheme %s;\n", f->scheme);
		if (f->hostname != NULL)
			kb_printf(b, "\t\thost %s;\n", f->hostname);
		if (f->port != 0)
			kb_printf(b, "\t\tport %ld;\n", f->port);
		if (f->path != NULL) {
			kb_printf(b, "\t\t%s ", f->prefix ? "prefix" : "path");
			k8s_put_q(b, f->path);
			kb_printf(b, ";\n");
		}
		kb_printf(b, "\t}\n");
		break;
	case K8S_HF_REWRITE:
		if (f->hostname != NULL)
			kb_printf(b, "\trewrite_host %s;\n", f->hostname);
		if (f->path != NULL) {
			kb_printf(b, "\t%s ", f->prefix ? "rewrite_prefix" : "rewrite");
			k8s_put_q(b, f->path);
			kb_printf(b, ";\n");
		}
		break;
	}
}

void
k8s_gateway_emit(const struct k8s_xlate *x, struct k8s_buf *b)
{
	static const char *const types[] = {"prefix", "exact", "regex"};
	unsigned i, j;

	for (i = 0; i < x->n_groutes; i++) {
		const struct k8s_groute *g = &x->groutes[i];
		const struct k8s_hmatch *m = g->m;

		kb_printf(b, "\n# HTTPRoute %s/%s %s (%s:%u)\n", g->h->m.ns, g->h->m.name, m->field,
			m->loc.file, m->loc.line);
		kb_printf(b, "route %s ", types[m->ptype]);
		k8s_put_q(b, m->path);
		kb_printf(b, " {\n");
		if (g->host != NULL)
			kb_printf(b, "\thost %s%s;\n", g->wild ? "**." : "", g->host);
		if (g->up >= 0)
			kb_printf(b, "\tupstream %s;\n", x->ups[g->up].name);
		k8s_canary_emit(x, b, g->cy_first, g->cy_n, g->cy_total);
		if (m->ptype == K8S_HPATH_REGEX)
			kb_printf(b, "\tcase_sensitive on;\n");
		if (m->method != NULL)
			kb_printf(b, "\tmatch method %s;\n", m->method);
		for (j = 0; j < m->n_headers; j++)
			emit_kv(b, "header", &m->headers[j]);
		for (j = 0; j < m->n_query; j++)
			emit_kv(b, "query", &m->query[j]);
		for (j = 0; j < g->r->n_filters; j++)
			emit_filter(b, &g->r->filters[j]);
		kb_printf(b, "}\n");
	}
}
