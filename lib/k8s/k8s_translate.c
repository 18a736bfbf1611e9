/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ingresses to config text, as ingress-nginx routes them:
 *  - Ingresses are taken oldest first (creationTimestamp; those without one,
 *    as in manifest files, after those with one; then namespace/name), so
 *    where two claim the same host, path and type the oldest wins, with a
 *    warning (the loser is left out; `duplicate_routes first` besides);
 *  - `match_order ingress-nginx` does the rest: a host's routes own it, and
 *    one regex path (use-regex, rewrite-target) makes every path of its
 *    host a case-insensitive regex, as nginx `location ~*`;
 *  - pathType Exact is `exact`, Prefix `prefix` (element-wise, as Kubernetes
 *    says), ImplementationSpecific `prefix` too (a regex with use-regex or
 *    rewrite-target, where every path of the Ingress is one);
 *  - spec.defaultBackend serves its Ingress's hosts (`default_backend U
 *    host H`), or everything when the Ingress has rules without a host or
 *    none (`default_backend U`).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "k8s_xlate.h"

/** A value as a config string: "..." with \ and " escaped. */
void
k8s_put_q(struct k8s_buf *b, const char *s)
{
	kb_printf(b, "\"");
	for (; *s; s++)
		kb_printf(b, "%s%c", *s == '\\' || *s == '"' ? "\\" : "", *s);
	kb_printf(b, "\"");
}

static int
cmp_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b ? 0 : a == NULL ? 1 : -1; /* no timestamp: newest */
	return strcmp(a, b);
}

static int
cmp_ing(const void *pa, const void *pb)
{
	const struct k8s_ingress *a = *(const struct k8s_ingress *const *)pa;
	const struct k8s_ingress *b = *(const struct k8s_ingress *const *)pb;
	int c;

	if ((c = cmp_str(a->m.created, b->m.created)) != 0)
		return c;
	if ((c = strcmp(a->m.ns, b->m.ns)) != 0)
		return c;
	if ((c = strcmp(a->m.name, b->m.name)) != 0)
		return c;
	return a->m.seq < b->m.seq ? -1 : a->m.seq > b->m.seq;
}

/** Capture groups of a PCRE pattern: '(' not escaped, not in a class, not "(?" but named. */
static unsigned
count_groups(const char *re)
{
	unsigned n = 0;
	int cls = 0;

	for (; *re; re++) {
		if (*re == '\\' && re[1] != '\0') {
			re++;
		} else if (cls) {
			cls = *re != ']';
		} else if (*re == '[') {
			cls = 1;
			if (re[1] == ']' || (re[1] == '^' && re[2] == ']'))
				re += re[1] == '^' ? 2 : 1;
		} else if (*re == '(') {
			if (re[1] != '?' || re[2] == '<' || re[2] == 'P' || re[2] == '\'')
				n += !(re[1] == '?' && re[2] == '<' &&
					(re[3] == '=' || re[3] == '!'));
		}
	}
	return n;
}

/** Highest $N a rewrite uses, -1 when none. */
static int
max_ref(const char *t)
{
	int m = -1;

	for (; *t; t++)
		if (t[0] == '$' && t[1] >= '0' && t[1] <= '9' && t[1] - '0' > m)
			m = t[1] - '0';
	return m;
}

/** A DNS name as the config takes it, optionally "*." first. */
int
k8s_host_ok(const char *h)
{
	size_t label = 0, n = strlen(h);

	if (strncmp(h, "*.", 2) == 0)
		h += 2, n -= 2;
	if (n == 0 || n > 253)
		return 0;
	for (; *h; h++) {
		if (*h == '.') {
			if (label == 0 || h[-1] == '-')
				return 0;
			label = 0;
		} else if ((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') ||
			   (*h >= '0' && *h <= '9') || (*h == '-' && label > 0)) {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return label > 0 && h[-1] != '-';
}

static int
same_host(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcasecmp(a, b) == 0;
}

static int
add_defb(struct k8s_xlate *x, const struct k8s_ingress *ing, const char *host, int up)
{
	unsigned i;

	for (i = 0; i < x->n_defs; i++) {
		if (!same_host(x->defs[i].host, host))
			continue;
		if (x->defs[i].up != up)
			k8s_diag(x->k, K8S_WARNING, &ing->m, &ing->def.loc, ing->def.field,
				"the default backend %s%s%s is already Ingress %s/%s's (older): "
				"ignored",
				host ? "of host " : "(no host)", host ? host : "", "",
				x->defs[i].ing->m.ns, x->defs[i].ing->m.name);
		return 0;
	}
	if (k8s_grow((void **)&x->defs, &x->cap_defs, x->n_defs, sizeof(*x->defs)) != 0)
		return -ENOMEM;
	x->defs[x->n_defs++] = (struct k8s_defb){.ing = ing, .host = host, .up = up};
	return 0;
}

static int
default_backend(struct k8s_xlate *x, const struct k8s_ingress *ing, const struct k8s_ann *a)
{
	unsigned i, j;
	int up, global = ing->n_rules == 0, rc;

	up = k8s_backend_upstream(x, &ing->m, &ing->def);
	if (up < 0)
		return up == -ENOMEM ? up : 0;
	/* ingress-nginx applies the Ingress's annotations to every upstream
	 * of it: timeouts, retries and balancing */
	k8s_upstream_settings(x, up, ing, a);
	k8s_upstream_balance(x, up, ing, &a->bal, NULL, 0);
	for (i = 0; i < ing->n_rules; i++) {
		const char *h = ing->rules[i].host;

		if (h == NULL) {
			global = 1;
			continue;
		}
		for (j = 0; j < i; j++)
			if (same_host(ing->rules[j].host, h))
				break;
		if (j == i && (rc = add_defb(x, ing, h, up)) != 0)
			return rc;
	}
	return global ? add_defb(x, ing, NULL, up) : 0;
}

/** Checks and records one path of an Ingress. @return 0 or -ENOMEM. */
static int
add_path(struct k8s_xlate *x, const struct k8s_ingress *ing, const struct k8s_ann *a,
	const struct k8s_rule *r, const struct k8s_path *p, int regex)
{
	char field[K8S_FIELD_MAX + 16];
	const char *type;
	struct k8s_route *rt;
	unsigned i;
	int up, ref;

	type = regex ? "regex" : p->type == K8S_PATH_EXACT ? "exact" : "prefix";
	snprintf(field, sizeof(field), "%s.path", p->field);
	if (!k8s_printable(p->path)) {
		k8s_diag(x->k, K8S_ERROR, &ing->m, &p->loc, field,
			"path \"%s\" has a byte fanout cannot route on (printable ASCII without "
			"spaces only)",
			p->path);
		return 0;
	}
	if (!regex && p->path[0] != '/') {
		k8s_diag(x->k, K8S_ERROR, &ing->m, &p->loc, field,
			"path \"%s\" must start with \"/\" (or be a regex: use-regex)", p->path);
		return 0;
	}
	if (regex && a->rewrite != NULL && (ref = max_ref(a->rewrite)) > 0 &&
		(unsigned)ref > count_groups(p->path)) {
		k8s_diag(x->k, K8S_ERROR, &ing->m, &a->rewrite_field,
			"metadata.annotations[nginx.ingress.kubernetes.io/rewrite-target]",
			"rewrite-target \"%s\" uses $%d but path \"%s\" (%s) has %u capture "
			"group%s",
			a->rewrite, ref, p->path, p->field, count_groups(p->path),
			count_groups(p->path) == 1 ? "" : "s");
		return 0;
	}
	if (p->be.svc == NULL)
		return 0;
	for (i = 0; i < x->n_routes; i++) {
		rt = &x->routes[i];
		if (same_host(rt->host, r->host) && strcmp(rt->type, type) == 0 &&
			strcmp(rt->p->path, p->path) == 0) {
			if (rt->ing == ing) {
				k8s_diag(x->k, K8S_WARNING, &ing->m, &p->loc, p->field,
					"%s path \"%s\"%s%s is already %s of this Ingress: this "
					"one "
					"is ignored",
					type, p->path, r->host ? " of host " : "",
					r->host ? r->host : "", rt->p->field);
				return 0;
			}
			k8s_diag(x->k, K8S_WARNING, &ing->m, &p->loc, p->field,
				"%s path \"%s\"%s%s is already Ingress %s/%s's (%s, older: it "
				"wins, as in ingress-nginx): this one is ignored",
				type, p->path, r->host ? " of host " : "", r->host ? r->host : "",
				rt->ing->m.ns, rt->ing->m.name, rt->p->field);
			return 0;
		}
	}
	up = k8s_backend_upstream(x, &ing->m, &p->be);
	if (up == -ENOMEM)
		return up;
	if (up < 0)
		return 0;
	k8s_upstream_settings(x, up, ing, a);
	k8s_upstream_balance(x, up, ing, &a->bal, p, regex);
	if (k8s_grow((void **)&x->routes, &x->cap_routes, x->n_routes, sizeof(*x->routes)) != 0)
		return -ENOMEM;
	x->routes[x->n_routes++] = (struct k8s_route){
		.ing = ing,
		.ann = a,
		.p = p,
		.host = r->host,
		.type = type,
		.up = up,
		.app_root = a->app_root != NULL && strcmp(p->path, "/") == 0,
	};
	return 0;
}

static int
add_ingress(struct k8s_xlate *x, const struct k8s_ingress *ing, const struct k8s_ann *a)
{
	int regex = a->use_regex, rc, root = 0;
	unsigned i, j;

	if (a->rewrite != NULL) {
		if (!k8s_printable(a->rewrite) || strchr(a->rewrite, '#') != NULL) {
			k8s_diag(x->k, K8S_ERROR, &ing->m, &a->rewrite_field,
				"metadata.annotations[nginx.ingress.kubernetes.io/rewrite-target]",
				"\"%s\" has a byte fanout cannot send (printable ASCII without "
				"spaces or \"#\")",
				a->rewrite);
			return 0;
		}
		regex = 1; /* ingress-nginx: a rewrite makes the location a regex */
	}
	if ((rc = k8s_tls_ingress(x, ing, a)) != 0)
		return rc;
	if (a->passthrough && (rc = k8s_pass_ingress(x, ing)) != 0)
		return rc;
	for (i = 0; i < ing->n_rules; i++) {
		const struct k8s_rule *r = &ing->rules[i];

		if (r->host != NULL && !k8s_host_ok(r->host)) {
			char field[64];

			snprintf(field, sizeof(field), "spec.rules[%u].host", i);
			k8s_diag(x->k, K8S_ERROR, &ing->m, &r->loc, field,
				"invalid host \"%s\" (a DNS name, optionally \"*.\" first)",
				r->host);
			continue;
		}
		for (j = 0; j < r->n_paths; j++) {
			rc = add_path(x, ing, a, r, &r->paths[j], regex);
			if (rc != 0)
				return rc;
			root |= strcmp(r->paths[j].path, "/") == 0;
		}
	}
	if (a->app_root != NULL && !root)
		k8s_diag(x->k, K8S_WARNING, &ing->m, NULL,
			"metadata.annotations[nginx.ingress.kubernetes.io/app-root]",
			"no path \"/\" in the Ingress: app-root has nothing to redirect");
	if (ing->def.svc != NULL)
		return default_backend(x, ing, a);
	return 0;
}

static int
class_match(const struct k8s_ingress *ing, const char *want)
{
	if (want == NULL)
		return 1;
	if (ing->class_name != NULL)
		return strcmp(ing->class_name, want) == 0;
	return ing->class_annot != NULL && strcmp(ing->class_annot, want) == 0;
}

static void
emit_upstream(struct k8s_buf *b, const struct k8s_upstream *u)
{
	const struct k8s_svc_port *sp = u->sp;
	unsigned i;

	kb_printf(b, "\n# Service %s/%s port %ld%s%s%s", u->svc->m.ns, u->svc->m.name, sp->port,
		sp->name[0] ? " (" : "", sp->name, sp->name[0] ? ")" : "");
	if (sp->target_name != NULL)
		kb_printf(b, ", targetPort %s\n", sp->target_name);
	else
		kb_printf(b, ", targetPort %ld\n", sp->target_num);
	kb_printf(b, "upstream %s {\n", u->name);
	for (i = 0; i < u->n_srv; i++) {
		const struct k8s_server *s = &u->srv[i];

		if (!s->ready && !s->drain)
			kb_printf(b, "\t# server %s:%ld;  (not ready)\n", s->addr, s->port);
		else
			kb_printf(b, "\tserver %s:%ld%s;%s\n", s->addr, s->port,
				s->drain ? " drain" : "", s->drain ? "  # terminating" : "");
	}
	if (u->connect_s)
		kb_printf(b, "\tconnect_timeout %lds;\n", u->connect_s);
	if (u->read_s)
		kb_printf(b, "\tread_timeout %lds;\n", u->read_s);
	if (u->send_s)
		kb_printf(b, "\tsend_timeout %lds;\n", u->send_s);
	if (u->next_upstream[0] != '\0')
		kb_printf(b, "\tnext_upstream %s;\n", u->next_upstream);
	if (u->tries)
		kb_printf(b, "\ttries %ld;\n", u->tries);
	k8s_balance_emit(b, u);
	kb_printf(b, "}\n");
}

static void
emit_route(struct k8s_buf *b, const struct k8s_xlate *x, const struct k8s_route *r)
{
	const struct k8s_ann *a = r->ann;

	kb_printf(b, "\n# Ingress %s/%s %s (%s:%u)\n", r->ing->m.ns, r->ing->m.name, r->p->field,
		r->p->loc.file, r->p->loc.line);
	kb_printf(b, "route %s ", r->type);
	k8s_put_q(b, r->p->path);
	kb_printf(b, " {\n");
	if (r->host != NULL)
		kb_printf(b, "\thost %s;\n", r->host);
	kb_printf(b, "\tupstream %s;\n", x->ups[r->up].name);
	k8s_canary_emit(x, b, r->cy_first, r->cy_n, r->cy_total);
	if (a->temp_url != NULL || a->perm_url != NULL) {
		kb_printf(b, "\treturn %d ",
			a->temp_url ? (a->temp_code ? a->temp_code : 302)
				    : (a->perm_code ? a->perm_code : 301));
		k8s_put_q(b, a->temp_url ? a->temp_url : a->perm_url);
		kb_printf(b, ";\n");
	} else if (r->app_root) {
		kb_printf(b, "\tapp_root ");
		k8s_put_q(b, a->app_root);
		kb_printf(b, ";\n");
	}
	if (a->rewrite != NULL && strcmp(r->type, "regex") == 0) {
		kb_printf(b, "\trewrite ");
		k8s_put_q(b, a->rewrite);
		kb_printf(b, ";\n");
	}
	if (a->body_size != NULL)
		kb_printf(b, "\tclient_max_body_size %s;\n", a->body_size);
	if (a->fwd_prefix != NULL) {
		kb_printf(b, "\tforwarded_prefix ");
		k8s_put_q(b, a->fwd_prefix);
		kb_printf(b, ";\n");
	}
	if (a->ssl_redirect_off)
		kb_printf(b, "\tssl_redirect off;\n");
	if (a->force_ssl)
		kb_printf(b, "\tforce_ssl_redirect on;\n");
	kb_printf(b, "}\n");
}

static int
emit(struct k8s_xlate *x, struct k8s_buf *b)
{
	const struct fo_k8s_opts *o = x->o;
	unsigned i;
	int rc;

	kb_printf(b,
		"# fanout config written by fanoutctl import%s%s: do not edit, import "
		"again.\n",
		o->source ? " from " : "", o->source ? o->source : "");
	if (o->base != NULL) {
		kb_printf(b, "include ");
		k8s_put_q(b, o->base);
		kb_printf(b, ";\n");
	}
	kb_printf(b, "match_order %s;\nduplicate_routes first;\n",
		x->gateway ? "gateway" : "ingress-nginx");
	if ((rc = k8s_tls_emit(x, b)) != 0)
		return rc;
	k8s_configmap_emit(x, b);
	for (i = 0; i < x->n_ups; i++)
		emit_upstream(b, &x->ups[i]);
	for (i = 0; i < x->n_routes; i++)
		emit_route(b, x, &x->routes[i]);
	k8s_gateway_emit(x, b);
	k8s_pass_emit(x, b);
	for (i = 0; i < x->n_defs; i++) {
		kb_printf(b, "\n# Ingress %s/%s spec.defaultBackend\ndefault_backend %s",
			x->defs[i].ing->m.ns, x->defs[i].ing->m.name, x->ups[x->defs[i].up].name);
		if (x->defs[i].host != NULL)
			kb_printf(b, " host %s", x->defs[i].host);
		kb_printf(b, ";\n");
	}
	return 0;
}

int
k8s_translate_run(struct fo_k8s *k, const struct fo_k8s_opts *o, struct k8s_buf *out)
{
	struct k8s_xlate x = {.k = k, .o = o};
	const struct k8s_ingress **sel = NULL;
	struct k8s_ann *anns = NULL;
	unsigned i, n = 0, skipped = 0, other;
	int rc = 0;

	if (o->base != NULL && (!k8s_printable(o->base) || strchr(o->base, '"') != NULL)) {
		k8s_diag(k, K8S_ERROR, NULL, NULL, NULL,
			"base config path \"%s\": printable ASCII without spaces or quotes only",
			o->base);
		return 0;
	}
	sel = calloc(k->n_ing ? k->n_ing : 1, sizeof(*sel));
	anns = calloc(k->n_ing ? k->n_ing : 1, sizeof(*anns));
	if (sel == NULL || anns == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < k->n_ing; i++) {
		if (class_match(&k->ing[i], o->ingress_class))
			sel[n++] = &k->ing[i];
		else
			skipped++;
	}
	if (n > 1)
		qsort(sel, n, sizeof(*sel), cmp_ing);
	for (i = 0; i < n && rc == 0; i++) {
		k8s_annotations(k, sel[i], &anns[i]);
		if (!anns[i].canary)
			rc = add_ingress(&x, sel[i], &anns[i]);
	}
	/* canaries attach to the main Ingresses' paths: after all of them */
	for (i = 0; i < n && rc == 0; i++) {
		if (!anns[i].canary)
			continue;
		rc = k8s_canary_add(&x, sel[i], &anns[i]);
		/* its spec.tls still names certificates (ingress-nginx builds its
		 * servers from every Ingress, canaries too) */
		if (rc == 0)
			rc = k8s_tls_ingress(&x, sel[i], &anns[i]);
	}
	if (rc == 0)
		rc = k8s_canary_fit(&x);
	if (rc == 0)
		rc = k8s_configmap(&x);
	/* the certificates first: HTTPRoutes look at whether there are any */
	if (rc == 0)
		rc = k8s_tls_gateways(&x);
	if (rc == 0)
		rc = k8s_gateway_add(&x, n);
	if (rc == 0)
		rc = k8s_pass_tlsroutes(&x);
	if (rc == 0) {
		if (skipped > 0)
			k8s_diag(k, K8S_NOTE, NULL, NULL, NULL,
				"%u Ingress%s of another class than \"%s\" left out", skipped,
				skipped == 1 ? "" : "es", o->ingress_class);
		other = k->n_other + k->n_cm - (x.cm != NULL);
		if (other > 0)
			k8s_diag(k, K8S_NOTE, NULL, NULL, NULL,
				"%u object%s of other kinds (Deployments...) skipped", other,
				other == 1 ? "" : "s");
		if (n == 0 && k->n_hr == 0 && k->n_tr == 0)
			k8s_diag(k, K8S_WARNING, NULL, NULL, NULL,
				"no Ingress or HTTPRoute to import: the config has no route");
		rc = emit(&x, out);
	}
out:
	for (i = 0; i < x.n_ups; i++)
		free(x.ups[i].srv);
	free(x.ups);
	free(x.routes);
	free(x.defs);
	free(x.groutes);
	free(x.cys);
	free(x.certs);
	free(x.pass);
	free(anns);
	free(sel);
	return rc;
}
