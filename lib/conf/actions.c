/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Route actions besides redirects (redirect.c): header modifiers
 * (`request_header`, `response_header`, `forwarded_prefix`), the default
 * backends (`default_backend`) that serve requests no route matches, and
 * for every action the dump, the comparison live reload uses and the free.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf_priv.h"
#include "fo_http.h"

/** Header modifiers per route and direction. */
#define CONF_MODS_MAX 64
/** Longest header field name in a modifier. */
#define CONF_FIELD_NAME_MAX 256

static struct fo_conf *
pub(struct conf_parser *p)
{
	return &p->c->pub;
}

static char *
dup_or_oom(struct conf_parser *p, const struct conf_tok *t)
{
	char *s = strdup(t->val);

	if (s == NULL)
		conf_oom(p, &t->loc);
	return s;
}

/* ---- request_header, response_header, forwarded_prefix --------------------- */

static bool
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
check_field_name(struct conf_parser *p, const struct conf_tok *t, const char *what)
{
	struct fo_conf_loc loc;
	size_t i;

	for (i = 0; i < t->len && is_tchar((unsigned char)t->val[i]); i++)
		;
	if (t->len == 0 || i != t->len || t->len > CONF_FIELD_NAME_MAX) {
		loc = conf_tok_loc_at(t, i < t->len ? i : 0);
		conf_err(p, &loc,
			"invalid field name \"%s\" in %s (1-%u token characters: letters, digits, "
			"\"!#$%%&'*+-.^_`|~\")",
			t->val, what, CONF_FIELD_NAME_MAX);
		return -1;
	}
	if (fo_http_field_id(t->val, t->len) != FO_HTTP_H_OTHER) {
		conf_err(p, &t->loc,
			"field \"%s\" cannot be modified (fanout interprets or writes it itself)",
			t->val);
		return -1;
	}
	return 0;
}

/* A field value: visible ASCII, spaces and tabs, not at either end. */
static int
check_field_value(struct conf_parser *p, const struct conf_tok *t, const char *what)
{
	struct fo_conf_loc loc;
	size_t i;

	for (i = 0; i < t->len; i++) {
		unsigned char c = (unsigned char)t->val[i];

		if ((c >= 0x20 && c < 0x7f) || c == '\t')
			continue;
		loc = conf_tok_loc_at(t, i);
		conf_err(p, &loc,
			"invalid byte 0x%02x in %s value (visible ASCII, spaces and tabs only)", c,
			what);
		return -1;
	}
	if (t->len != 0 && (t->val[0] == ' ' || t->val[0] == '\t' || t->val[t->len - 1] == ' ' ||
				   t->val[t->len - 1] == '\t')) {
		conf_err(p, &t->loc, "%s value must not begin or end with a space or tab", what);
		return -1;
	}
	return 0;
}

/* Append a modifier (name and value already checked). */
static void
push_mod(struct conf_parser *p, struct fo_conf_route *r, bool response, unsigned op,
	const char *name, const struct conf_tok *where, const struct conf_tok *value,
	const char *what)
{
	struct fo_conf_actions *a = conf_route_actions(p, r, &where->loc);
	const struct fo_http_mod **list;
	struct fo_http_mod *mods, *m;
	unsigned *n, i;
	size_t nlen = strlen(name);

	if (a == NULL)
		return;
	list = response ? &a->resp_mods : &a->req_mods;
	n = response ? &a->n_resp_mods : &a->n_req_mods;
	mods = (struct fo_http_mod *)(uintptr_t)*list;
	for (i = 0; op != FO_HTTP_MOD_ADD && i < *n; i++)
		if (mods[i].op != FO_HTTP_MOD_ADD && mods[i].name_len == nlen &&
			strncasecmp(mods[i].name, name, nlen) == 0) {
			conf_err(p, &where->loc,
				"field \"%s\" is already set or removed by this route's %s (one "
				"set or remove per field)",
				name, response ? "response_header" : "request_header");
			return;
		}
	if (*n >= CONF_MODS_MAX) {
		conf_err(p, &where->loc, "too many %s modifiers in a route (at most %u)", what,
			CONF_MODS_MAX);
		return;
	}
	if (conf_push(&mods, *n, sizeof(*mods)) != 0) {
		conf_oom(p, &where->loc);
		return;
	}
	*list = mods;
	m = &mods[*n];
	memset(m, 0, sizeof(*m));
	m->op = (uint8_t)op;
	m->name = strdup(name);
	m->name_len = (uint16_t)nlen;
	if (value != NULL) {
		m->value = strdup(value->val);
		m->value_len = (uint16_t)value->len;
	}
	(*n)++; /* even half-built: freed with the rest */
	if (m->name == NULL || (value != NULL && m->value == NULL))
		conf_oom(p, &where->loc);
}

void
conf_h_header_mod(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	static const char *const ops[] = {[FO_HTTP_MOD_SET] = "set",
		[FO_HTTP_MOD_ADD] = "add",
		[FO_HTTP_MOD_REMOVE] = "remove"};
	const char *what = st->tok[0].val;
	const struct conf_tok *op = &st->tok[1], *name = &st->tok[2];
	const struct conf_tok *value = st->n_args == 3 ? &st->tok[3] : NULL;
	bool response = strcmp(what, "response_header") == 0;
	unsigned i;

	for (i = 0; i < 3 && strcmp(op->val, ops[i]) != 0; i++)
		;
	if (i == 3) {
		conf_err(p, &op->loc, "unknown %s operation \"%s\" (expected set, add or remove)",
			what, op->val);
		return;
	}
	if (i == FO_HTTP_MOD_REMOVE && value != NULL) {
		conf_err(p, &value->loc, "%s remove takes a field name only", what);
		return;
	}
	if (i != FO_HTTP_MOD_REMOVE && value == NULL) {
		conf_err(p, &op->loc, "%s %s needs a field name and a value", what, ops[i]);
		return;
	}
	if (check_field_name(p, name, what) != 0 ||
		(value != NULL && check_field_value(p, value, what) != 0))
		return;
	push_mod(p, &pub(p)->routes[blk->obj], response, i, name->val, name, value, what);
}

void
conf_h_forwarded_prefix(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	const struct conf_tok *t = &st->tok[1];

	if (check_field_value(p, t, "forwarded_prefix") != 0)
		return;
	push_mod(p, &pub(p)->routes[blk->obj], false, FO_HTTP_MOD_SET, "X-Forwarded-Prefix", t, t,
		"request_header");
}
/* ---- default_backend ------------------------------------------------------- */

void
conf_h_default_backend(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	struct fo_conf *c = pub(p);
	struct fo_conf_default_backend *d;
	struct conf_ref *ref;
	char *host = NULL;
	unsigned i;

	if (st->n_args == 2 && strcmp(st->tok[2].val, "host") == 0) {
		conf_err(p, &st->tok[2].loc, "default_backend host needs a name");
		return;
	}
	if (st->n_args == 2 || (st->n_args == 3 && strcmp(st->tok[2].val, "host") != 0)) {
		conf_err(p, &st->tok[2].loc,
			"unknown default_backend option \"%s\" (expected host NAME)",
			st->tok[2].val);
		return;
	}
	if (st->n_args == 3) {
		host = dup_or_oom(p, &st->tok[3]);
		if (host == NULL)
			return;
		if (conf_check_host(host) != 0) {
			conf_err(p, &st->tok[3].loc,
				"invalid host \"%s\" (expected a DNS name, optionally \"*.\" "
				"first)",
				st->tok[3].val);
			free(host);
			return;
		}
	}
	for (i = 0; i < c->n_default_backends; i++) {
		d = &c->default_backends[i];
		if ((d->host == NULL) != (host == NULL) ||
			(host != NULL && strcmp(d->host, host) != 0))
			continue;
		if (host != NULL)
			conf_err(p, &st->tok[0].loc,
				"duplicate default_backend for host \"%s\" (first at %s:%u:%u)",
				host, d->loc.file, d->loc.line, d->loc.col);
		else
			conf_err(p, &st->tok[0].loc,
				"duplicate default_backend (first at %s:%u:%u)", d->loc.file,
				d->loc.line, d->loc.col);
		free(host);
		return;
	}
	if (conf_push(&c->default_backends, c->n_default_backends, sizeof(*c->default_backends)) !=
			0 ||
		conf_push(&p->refs, p->n_refs, sizeof(*p->refs)) != 0) {
		free(host);
		conf_oom(p, &st->tok[0].loc);
		return;
	}
	d = &c->default_backends[c->n_default_backends++];
	memset(d, 0, sizeof(*d));
	d->host = host;
	d->loc = st->tok[0].loc;
	d->route.type = FO_CONF_PATH_PREFIX;
	d->route.host = host;
	d->route.loc = st->tok[0].loc;
	d->route.path = strdup("/");
	ref = &p->refs[p->n_refs];
	memset(ref, 0, sizeof(*ref));
	ref->idx = c->n_default_backends - 1;
	ref->dflt = true;
	ref->loc = st->tok[1].loc;
	ref->name = strdup(st->tok[1].val);
	if (d->route.path == NULL || ref->name == NULL) {
		free(ref->name);
		conf_oom(p, &st->tok[0].loc);
		return;
	}
	p->n_refs++;
}

void
conf_default_backend_ref(struct fo_conf *c, unsigned idx, unsigned upstream)
{
	c->default_backends[idx].route.upstream = upstream;
}

void
conf_default_backends_final(struct fo_conf *c)
{
	unsigned i;

	c->default_backend = NULL;
	for (i = 0; i < c->n_default_backends; i++) {
		c->default_backends[i].route.max_body_size = c->http.max_body_size;
		if (c->default_backends[i].host == NULL)
			c->default_backend = &c->default_backends[i];
	}
}

/* Does [s, s+n) equal the lowercase @p name, in any case? */
static int
host_eq(const char *s, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(s, name, n) == 0;
}

const struct fo_conf_default_backend *
fo_conf_default_backend_find(
	const struct fo_conf *conf, const char *host, size_t host_len, int global)
{
	const struct fo_conf_default_backend *wild = NULL;
	const char *dot;
	size_t n = 0, i;

	if (host != NULL && host_len != 0 && host_len <= 260 && host[0] != '[') {
		for (; n < host_len && host[n] != ':'; n++) /* reg-name or IPv4: no ':' */
			;
		if (n != 0 && host[n - 1] == '.')
			n--;
	}
	dot = n != 0 ? memchr(host, '.', n) : NULL;
	for (i = 0; n != 0 && i < conf->n_default_backends; i++) {
		const char *h = conf->default_backends[i].host;

		if (h == NULL)
			continue;
		if (h[0] != '*') {
			if (host_eq(host, n, h))
				return &conf->default_backends[i];
		} else if (wild == NULL && dot != NULL && dot != host &&
			   host_eq(dot + 1, n - (size_t)(dot + 1 - host), h + 2)) {
			wild = &conf->default_backends[i];
		}
	}
	if (wild != NULL)
		return wild;
	return global ? conf->default_backend : NULL;
}
/* ---- dump, compare, free --------------------------------------------------- */

static void
put_quoted(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void
dump_mods(FILE *out, const char *what, const struct fo_http_mod *m, unsigned n)
{
	static const char *const ops[] = {"set", "add", "remove"};
	unsigned i;

	for (i = 0; i < n; i++) {
		if (!strcmp(what, "request_header") && m[i].op == FO_HTTP_MOD_SET &&
			strcmp(m[i].name, "X-Forwarded-Prefix") == 0) {
			fprintf(out, "\tforwarded_prefix ");
			put_quoted(out, m[i].value);
			fprintf(out, ";\n");
			continue;
		}
		fprintf(out, "\t%s %s %s", what, ops[m[i].op], m[i].name);
		if (m[i].value != NULL) {
			fputc(' ', out);
			put_quoted(out, m[i].value);
		}
		fprintf(out, ";\n");
	}
}

void
conf_dump_actions(FILE *out, const struct fo_conf_route *r)
{
	const struct fo_conf_actions *a = r->actions;
	const struct fo_conf_redirect *rd;

	if (a == NULL)
		return;
	rd = &a->redirect;
	if (rd->kind == FO_CONF_REDIR_URL) {
		fprintf(out, "\treturn %u ", rd->status);
		put_quoted(out, rd->url);
		fprintf(out, ";\n");
	} else if (rd->kind == FO_CONF_REDIR_PARTS) {
		fprintf(out, "\tredirect {\n\t\tstatus %u;\n", rd->status);
		if (rd->scheme != NULL)
			fprintf(out, "\t\tscheme %s;\n", rd->scheme);
		if (rd->host != NULL)
			fprintf(out, "\t\thost %s;\n", rd->host);
		if (rd->port != 0)
			fprintf(out, "\t\tport %u;\n", rd->port);
		if (rd->path_kind != FO_CONF_RPATH_KEEP) {
			fprintf(out, "\t\t%s ",
				rd->path_kind == FO_CONF_RPATH_FULL ? "path" : "prefix");
			put_quoted(out, rd->path);
			fprintf(out, ";\n");
		}
		fprintf(out, "\t}\n");
	}
	if (a->app_root != NULL) {
		fprintf(out, "\tapp_root ");
		put_quoted(out, a->app_root);
		fprintf(out, ";\n");
	}
	if (a->slash_redirect)
		fprintf(out, "\tslash_redirect on;\n");
	dump_mods(out, "request_header", a->req_mods, a->n_req_mods);
	dump_mods(out, "response_header", a->resp_mods, a->n_resp_mods);
}

void
conf_dump_default_backends(FILE *out, const struct fo_conf *c)
{
	unsigned i;

	for (i = 0; i < c->n_default_backends; i++) {
		const struct fo_conf_default_backend *d = &c->default_backends[i];

		fprintf(out, "default_backend %s", c->upstreams[d->route.upstream].name);
		if (d->host != NULL)
			fprintf(out, " host %s", d->host);
		fprintf(out, ";\n");
	}
	if (c->n_default_backends != 0)
		fputc('\n', out);
}

static int
str_differ(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

static int
mods_differ(const struct fo_http_mod *x, unsigned nx, const struct fo_http_mod *y, unsigned ny)
{
	unsigned i;

	if (nx != ny)
		return 1;
	for (i = 0; i < nx; i++)
		if (x[i].op != y[i].op || str_differ(x[i].name, y[i].name) ||
			str_differ(x[i].value, y[i].value))
			return 1;
	return 0;
}

static int
route_actions_differ(const struct fo_conf_actions *x, const struct fo_conf_actions *y)
{
	if (x == NULL || y == NULL)
		return x != y;
	return x->redirect.kind != y->redirect.kind ||
	       x->redirect.path_kind != y->redirect.path_kind ||
	       x->redirect.status != y->redirect.status || x->redirect.port != y->redirect.port ||
	       str_differ(x->redirect.url, y->redirect.url) ||
	       str_differ(x->redirect.scheme, y->redirect.scheme) ||
	       str_differ(x->redirect.host, y->redirect.host) ||
	       str_differ(x->redirect.path, y->redirect.path) ||
	       str_differ(x->app_root, y->app_root) || x->slash_redirect != y->slash_redirect ||
	       mods_differ(x->req_mods, x->n_req_mods, y->req_mods, y->n_req_mods) ||
	       mods_differ(x->resp_mods, x->n_resp_mods, y->resp_mods, y->n_resp_mods);
}

int
fo_conf_actions_differ(const struct fo_conf *a, const struct fo_conf *b)
{
	unsigned i;

	if (a->n_routes != b->n_routes || a->n_default_backends != b->n_default_backends ||
		a->http.healthz != b->http.healthz)
		return 1;
	for (i = 0; i < a->n_routes; i++)
		if (route_actions_differ(a->routes[i].actions, b->routes[i].actions))
			return 1;
	for (i = 0; i < a->n_default_backends; i++)
		if (str_differ(a->default_backends[i].host, b->default_backends[i].host) ||
			a->default_backends[i].route.upstream !=
				b->default_backends[i].route.upstream)
			return 1;
	return 0;
}

static void
free_mods(const struct fo_http_mod *m, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		free((void *)(uintptr_t)m[i].name);
		free((void *)(uintptr_t)m[i].value);
	}
	free((void *)(uintptr_t)m);
}

void
conf_free_actions(struct fo_conf *c)
{
	unsigned i;

	for (i = 0; i < c->n_routes; i++) {
		struct fo_conf_actions *a =
			(struct fo_conf_actions *)(uintptr_t)c->routes[i].actions;

		if (a == NULL)
			continue;
		free(a->redirect.url);
		free(a->redirect.scheme);
		free(a->redirect.host);
		free(a->redirect.path);
		free(a->app_root);
		free_mods(a->req_mods, a->n_req_mods);
		free_mods(a->resp_mods, a->n_resp_mods);
		free(a);
	}
	for (i = 0; i < c->n_default_backends; i++) {
		free(c->default_backends[i].host);
		free(c->default_backends[i].route.path);
	}
	free(c->default_backends);
}
