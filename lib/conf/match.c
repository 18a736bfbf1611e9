/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What decides between routes besides host and path: a route's `match`
 * conditions on the method, header fields, query parameters and cookies
 * (Gateway API HTTPRouteMatch), its `priority` and `case_sensitive`, and
 * the config's `match_order` (Gateway API precedence or ingress-nginx's);
 * with their dump, and their share of the duplicate-route test (two
 * routes for one path that match different requests are not duplicates).
 *
 * Names and values are held to what can stand in a request (RFC 9110
 * tokens and field values, RFC 6265 cookie octets, query bytes) when the
 * config is read, so that a condition that can never hold is an error
 * with its file:line:col rather than a route that silently never wins.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf_priv.h"

static const char *const kinds[] = {"method", "header", "query", "cookie"};

/* tchar of RFC 9110 5.6.2 */
static bool
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* field-vchar of RFC 9110 5.5, and SP / HTAB inside */
static bool
is_field_char(unsigned char c)
{
	return c == ' ' || c == '\t' || (c >= 0x21 && c != 0x7f);
}

/* cookie-octet of RFC 6265 4.1.1 */
static bool
is_cookie_octet(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) ||
	       (c >= 0x3c && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

/* a byte of a query parameter name or value as sent: printable, not '&', '#' or space
 * (and not '=' in a name) */
static bool
is_query_char(unsigned char c, bool name)
{
	return c > 0x20 && c < 0x7f && c != '&' && c != '#' && !(name && c == '=');
}

/* @return the offset of the first byte of @t that @ok refuses, or -1 */
static long
first_bad(const struct conf_tok *t, bool (*ok)(unsigned char c))
{
	size_t i;

	for (i = 0; i < t->len; i++)
		if (!ok((unsigned char)t->val[i]))
			return (long)i;
	return -1;
}

static bool
query_name_char(unsigned char c)
{
	return is_query_char(c, true);
}

static bool
query_value_char(unsigned char c)
{
	return is_query_char(c, false);
}

/* Report byte @off of @t as not allowed in @what. */
static void
bad_byte(struct conf_parser *p, const struct conf_tok *t, long off, const char *what)
{
	struct fo_conf_loc loc = conf_tok_loc_at(t, (size_t)off);

	conf_err(p, &loc, "invalid byte 0x%02x in %s", (unsigned char)t->val[off], what);
}

/* `match method M...;` into @m. 0 or -1 (reported). */
static int
match_method(struct conf_parser *p, const struct conf_stmt *st, struct fo_conf_match *m)
{
	size_t len = 0;
	unsigned i, j;
	long bad;

	if (st->n < 3) {
		conf_err(p, &st->tok[1].loc, "\"match method\" needs at least one method");
		return -1;
	}
	for (i = 2; i < st->n; i++) {
		const struct conf_tok *t = &st->tok[i];

		if (t->len == 0 || (bad = first_bad(t, is_tchar)) >= 0) {
			if (t->len == 0)
				conf_err(p, &t->loc, "empty method");
			else
				bad_byte(p, t, bad, "a method (a token: letters, digits, !#$%&'*+-.^_`|~)");
			return -1;
		}
		for (j = 2; j < i; j++)
			if (strcmp(st->tok[j].val, t->val) == 0) {
				conf_err(p, &t->loc, "method \"%s\" listed twice", t->val);
				return -1;
			}
		len += t->len + 1;
	}
	m->value = malloc(len);
	if (m->value == NULL) {
		conf_oom(p, &st->tok[0].loc);
		return -1;
	}
	for (len = 0, i = 2; i < st->n; i++) {
		memcpy(m->value + len, st->tok[i].val, st->tok[i].len);
		len += st->tok[i].len;
		m->value[len++] = i + 1 < st->n ? ' ' : '\0';
	}
	m->op = FO_CONF_MATCH_EXACT;
	return 0;
}

/* `match header|query|cookie NAME [VALUE | ~ REGEX];` into @m. 0 or -1 (reported). */
static int
match_field(struct conf_parser *p, const struct conf_stmt *st, struct fo_conf_match *m)
{
	static const char *const what_name[] = {
		NULL, "a header name (a token)", "a query parameter name", "a cookie name (a token)"};
	static const char *const what_value[] = {NULL, "a header value", "a query parameter value",
		"a cookie value (RFC 6265 cookie-octets)"};
	static bool (*const name_ok[])(unsigned char) = {NULL, is_tchar, query_name_char, is_tchar};
	static bool (*const value_ok[])(unsigned char) = {
		NULL, is_field_char, query_value_char, is_cookie_octet};
	const struct conf_tok *name = &st->tok[2], *v;
	unsigned k = m->kind, ncap;
	size_t i;
	long bad;

	if (st->n < 3) {
		conf_err(p, &st->tok[1].loc, "\"match %s\" needs a name", kinds[k]);
		return -1;
	}
	if (name->len == 0) {
		conf_err(p, &name->loc, "empty %s name", kinds[k]);
		return -1;
	}
	if ((bad = first_bad(name, name_ok[k])) >= 0) {
		bad_byte(p, name, bad, what_name[k]);
		return -1;
	}
	m->name = strdup(name->val);
	if (m->name == NULL) {
		conf_oom(p, &name->loc);
		return -1;
	}
	if (k == FO_CONF_MATCH_HEADER) /* field names are case-insensitive */
		for (i = 0; m->name[i] != '\0'; i++)
			if (m->name[i] >= 'A' && m->name[i] <= 'Z')
				m->name[i] = (char)(m->name[i] + 32);
	if (st->n == 3) {
		m->op = FO_CONF_MATCH_PRESENT;
		return 0;
	}
	v = &st->tok[3];
	if (strcmp(v->val, "~") == 0 && !v->quoted) {
		if (st->n != 5) {
			conf_err(p, &v->loc, "\"~\" takes one regex: match %s NAME ~ REGEX;", kinds[k]);
			return -1;
		}
		v = &st->tok[4];
		if (v->len == 0) {
			conf_err(p, &v->loc, "empty regex");
			return -1;
		}
		if (conf_regex_check(p, v, &ncap) != 0)
			return -1;
		m->op = FO_CONF_MATCH_REGEX;
	} else {
		if (st->n != 4) {
			conf_err(p, &st->tok[4].loc,
				"one value expected (quote a value with spaces; \"~ REGEX\" for a regex)");
			return -1;
		}
		if ((bad = first_bad(v, value_ok[k])) >= 0) {
			bad_byte(p, v, bad, what_value[k]);
			return -1;
		}
		if (k == FO_CONF_MATCH_HEADER && v->len > 0 &&
			(v->val[0] == ' ' || v->val[0] == '\t' || v->val[v->len - 1] == ' ' ||
				v->val[v->len - 1] == '\t')) {
			conf_err(p, &v->loc,
				"a header value never starts or ends with a space or tab (it is trimmed)");
			return -1;
		}
		m->op = FO_CONF_MATCH_EXACT;
	}
	m->value = strdup(v->val);
	if (m->value == NULL) {
		conf_oom(p, &v->loc);
		return -1;
	}
	return 0;
}

void
conf_h_match(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	struct fo_conf_route *r = &p->c->pub.routes[blk->obj];
	const struct conf_tok *kt = &st->tok[1];
	struct fo_conf_match m;
	unsigned k;
	int rc;

	(void)inner;
	for (k = 0; k < 4 && strcmp(kt->val, kinds[k]) != 0; k++)
		;
	if (k == 4) {
		conf_err(p, &kt->loc, "unknown match \"%s\" (expected method, header, query or cookie)",
			kt->val);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.kind = (enum fo_conf_match_kind)k;
	m.loc = st->tok[0].loc;
	rc = k == FO_CONF_MATCH_METHOD ? match_method(p, st, &m) : match_field(p, st, &m);
	if (rc == 0 && k == FO_CONF_MATCH_METHOD) {
		unsigned i;

		for (i = 0; i < r->n_matches; i++)
			if (r->matches[i].kind == FO_CONF_MATCH_METHOD) {
				conf_err(p, &m.loc,
					"a second \"match method\" (list every method in one: "
					"match method GET HEAD;)");
				rc = -1;
				break;
			}
	}
	if (rc == 0 && conf_push(&r->matches, r->n_matches, sizeof(*r->matches)) != 0) {
		conf_oom(p, &m.loc);
		rc = -1;
	}
	if (rc != 0) {
		free(m.name);
		free(m.value);
		return;
	}
	r->matches[r->n_matches++] = m;
}

void
conf_h_priority(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	struct fo_conf_route *r = &p->c->pub.routes[blk->obj];
	const struct conf_tok *t = &st->tok[1];
	const char *s = t->val;
	long v = 0;
	bool neg = *s == '-';

	(void)inner;
	if (neg || *s == '+')
		s++;
	if (*s == '\0')
		goto bad;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > FO_CONF_PRIORITY_MAX)
			goto bad;
		v = v * 10 + (*s - '0');
	}
	if (neg)
		v = -v;
	if (v < FO_CONF_PRIORITY_MIN || v > FO_CONF_PRIORITY_MAX)
		goto bad;
	r->priority = (int)v;
	return;
bad:
	conf_err(p, &t->loc, "invalid priority \"%s\" (an integer from %d to %d; higher first)",
		t->val, FO_CONF_PRIORITY_MIN, FO_CONF_PRIORITY_MAX);
}

void
conf_h_case_sensitive(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	struct fo_conf_route *r = &p->c->pub.routes[blk->obj];
	const struct conf_tok *t = &st->tok[1];

	(void)inner;
	if (strcmp(t->val, "on") != 0 && strcmp(t->val, "off") != 0) {
		conf_err(p, &t->loc, "invalid case_sensitive \"%s\" (expected on or off)", t->val);
		return;
	}
	if (r->type != FO_CONF_PATH_REGEX) {
		conf_err(p, &st->tok[0].loc,
			"case_sensitive applies to regex routes (exact and prefix paths are always "
			"case-sensitive)");
		return;
	}
	r->case_sensitive = t->val[1] == 'n';
}

void
conf_h_match_order(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	const struct conf_tok *t = &st->tok[1];

	(void)blk;
	(void)inner;
	if (strcmp(t->val, "gateway") == 0)
		p->c->pub.match_order = FO_CONF_ORDER_GATEWAY;
	else if (strcmp(t->val, "ingress-nginx") == 0)
		p->c->pub.match_order = FO_CONF_ORDER_INGRESS_NGINX;
	else
		conf_err(p, &t->loc, "unknown match_order \"%s\" (expected gateway or ingress-nginx)",
			t->val);
}

void
conf_h_duplicate_routes(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	const struct conf_tok *t = &st->tok[1];

	(void)blk;
	(void)inner;
	if (strcmp(t->val, "error") == 0)
		p->c->pub.duplicate_first = false;
	else if (strcmp(t->val, "first") == 0)
		p->c->pub.duplicate_first = true;
	else
		conf_err(p, &t->loc, "unknown duplicate_routes \"%s\" (expected error or first)",
			t->val);
}

/* The duplicate routes found on the way: errors, or warnings with duplicate_routes first. */
void
conf_dups_final(struct conf_parser *p)
{
	const struct fo_conf *c = &p->c->pub;
	unsigned i;

	for (i = 0; i < p->n_dups; i++) {
		const struct fo_conf_route *r = &c->routes[p->dups[i].idx];
		const struct fo_conf_route *o = &c->routes[p->dups[i].first];
		void (*report)(struct conf_parser *, const struct fo_conf_loc *, const char *, ...) =
			c->duplicate_first ? conf_warn : conf_err;

		report(p, &r->loc, "duplicate route %s \"%s\"%s%s%s (first defined at %s:%u:%u)%s",
			fo_conf_path_type_name(r->type), r->path, r->host ? " for host \"" : "",
			r->host ? r->host : "", r->host ? "\"" : "", o->loc.file, o->loc.line,
			o->loc.col, c->duplicate_first ? ": the first one wins" : "");
	}
}

const char *
fo_conf_match_kind_name(enum fo_conf_match_kind k)
{
	return (unsigned)k < 4 ? kinds[k] : "?";
}

uint32_t
conf_matches_hash(const struct fo_conf_route *r, uint32_t h)
{
	unsigned i;
	const char *s;

	for (i = 0; i < r->n_matches; i++) {
		const struct fo_conf_match *m = &r->matches[i];

		h = (h ^ (m->kind * 4u + m->op + 1)) * 16777619u;
		for (s = m->name != NULL ? m->name : ""; *s != '\0'; s++)
			h = (h ^ (uint8_t)*s) * 16777619u;
		h = (h ^ 0xfe) * 16777619u;
		for (s = m->value != NULL ? m->value : ""; *s != '\0'; s++)
			h = (h ^ (uint8_t)*s) * 16777619u;
	}
	return h;
}

static bool
str_eq(const char *a, const char *b)
{
	return (a == NULL) == (b == NULL) && (a == NULL || strcmp(a, b) == 0);
}

bool
conf_matches_same(const struct fo_conf_route *a, const struct fo_conf_route *b)
{
	unsigned i;

	if (a->n_matches != b->n_matches)
		return false;
	for (i = 0; i < a->n_matches; i++) {
		const struct fo_conf_match *x = &a->matches[i], *y = &b->matches[i];

		if (x->kind != y->kind || x->op != y->op || !str_eq(x->name, y->name) ||
			!str_eq(x->value, y->value))
			return false;
	}
	return true;
}

void
conf_free_matches(struct fo_conf_route *r)
{
	unsigned i;

	for (i = 0; i < r->n_matches; i++) {
		free(r->matches[i].name);
		free(r->matches[i].value);
	}
	free(r->matches);
	r->matches = NULL;
	r->n_matches = 0;
}

/* @s quoted when it has to be (what the lexer reads back as one word) */
static void
put_word(FILE *out, const char *s)
{
	const char *c;

	for (c = s; *c != '\0'; c++)
		if (strchr(" \t;{}#\"'\\", *c) != NULL)
			break;
	if (*s != '\0' && *c == '\0' && strcmp(s, "~") != 0) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (c = s; *c != '\0'; c++) {
		if (*c == '"' || *c == '\\')
			fputc('\\', out);
		fputc(*c, out);
	}
	fputc('"', out);
}

void
conf_dump_matches(FILE *out, const struct fo_conf_route *r)
{
	unsigned i;

	for (i = 0; i < r->n_matches; i++) {
		const struct fo_conf_match *m = &r->matches[i];

		fprintf(out, "\tmatch %s", kinds[m->kind]);
		if (m->kind == FO_CONF_MATCH_METHOD) {
			fprintf(out, " %s;\n", m->value);
			continue;
		}
		fputc(' ', out);
		put_word(out, m->name);
		if (m->op == FO_CONF_MATCH_REGEX)
			fputs(" ~", out);
		if (m->op != FO_CONF_MATCH_PRESENT) {
			fputc(' ', out);
			put_word(out, m->value);
		}
		fputs(";\n", out);
	}
	if (r->priority != 0)
		fprintf(out, "\tpriority %d;\n", r->priority);
	if (r->case_sensitive)
		fprintf(out, "\tcase_sensitive on;\n");
}
