/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Canaries: part of a route's requests sent to another upstream, as
 * ingress-nginx's canary Ingress annotations do, any number per route:
 *
 *     route prefix /api {
 *         upstream api;
 *         canary api-v2 {
 *             header X-Canary;          # "always": canary, "never": not it
 *             header X-Canary v2;       # or this exact value
 *             header X-Canary ~ "^v2";  # or a value this regex finds
 *             cookie canary;            # "always" / "never"
 *             weight 10;                # of canary_weight_total (100)
 *         }
 *     }
 *
 * (one `header` per canary). Values are checked here as `match` checks
 * its (tokens, field values, PCRE2 compiles), so that a canary that can
 * never be chosen is an error with its file:line:col.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf_priv.h"

enum { CY_WEIGHT, CY_HEADER, CY_COOKIE, CY_N };

#define CANARY_TOTAL_DEFAULT 100u
#define CANARY_TOTAL_MAX 1000000u

static struct fo_conf_route *
route_of(struct conf_parser *p, const struct conf_block *blk)
{
	return &p->c->pub.routes[blk->obj];
}

/* The canary being filled: the route's last (blocks are read in order). */
static struct fo_conf_canary *
cy(struct conf_parser *p, const struct conf_block *blk)
{
	struct fo_conf_route *r = route_of(p, blk);

	return &r->canaries[r->n_canaries - 1];
}

/* tchar of RFC 9110 5.6.2 (header and cookie names) */
static bool
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* field-vchar of RFC 9110 5.5, SP / HTAB inside */
static bool
is_field_char(unsigned char c)
{
	return c == ' ' || c == '\t' || (c >= 0x21 && c != 0x7f);
}

static int
check_chars(struct conf_parser *p, const struct conf_tok *t, bool (*ok)(unsigned char),
	const char *what)
{
	size_t i;

	if (t->len == 0) {
		conf_err(p, &t->loc, "empty %s", what);
		return -1;
	}
	for (i = 0; i < t->len; i++) {
		if (!ok((unsigned char)t->val[i])) {
			struct fo_conf_loc loc = conf_tok_loc_at(t, i);

			conf_err(p, &loc, "byte 0x%02x is not allowed in %s",
				(unsigned char)t->val[i], what);
			return -1;
		}
	}
	return 0;
}

void
conf_h_canary(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	struct fo_conf_route *r = route_of(p, blk);
	struct fo_conf_canary *k;
	struct conf_ref *ref;

	inner->obj = -1;
	if (r->n_canaries == FO_CONF_CANARIES_MAX) {
		conf_err(p, &st->tok[0].loc, "more than %u canaries in one route",
			FO_CONF_CANARIES_MAX);
		return;
	}
	if (conf_push(&r->canaries, r->n_canaries, sizeof(*r->canaries)) != 0 ||
		conf_push(&p->refs, p->n_refs, sizeof(*p->refs)) != 0) {
		conf_oom(p, &st->tok[0].loc);
		return;
	}
	k = &r->canaries[r->n_canaries++];
	memset(k, 0, sizeof(*k));
	k->loc = st->tok[0].loc;
	/* the upstream may be defined later: resolved with the routes' (validate.c) */
	ref = &p->refs[p->n_refs];
	memset(ref, 0, sizeof(*ref));
	ref->idx = (unsigned)blk->obj;
	ref->canary = r->n_canaries;
	ref->loc = st->tok[1].loc;
	ref->name = strdup(st->tok[1].val);
	if (ref->name == NULL) {
		conf_oom(p, &st->tok[1].loc);
		return;
	}
	p->n_refs++;
	inner->obj = blk->obj;
}

static void
h_cy_weight(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	const struct conf_tok *t = &st->tok[1];
	unsigned long v;

	(void)inner;
	if (conf_parse_uint(t->val, t->len, CANARY_TOTAL_MAX, &v) != 0) {
		conf_err(p, &t->loc, "invalid canary weight \"%s\" (expected 0..%u)", t->val,
			CANARY_TOTAL_MAX);
		return;
	}
	cy(p, blk)->weight = (uint32_t)v;
}

/* header NAME [VALUE | ~ REGEX] */
static void
h_cy_header(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	struct fo_conf_canary *k = cy(p, blk);
	const struct conf_tok *name = &st->tok[1], *v = NULL;
	unsigned ncap;
	uint8_t op = FO_CONF_CANARY_ALWAYS_NEVER;
	size_t i;

	(void)inner;
	if (check_chars(p, name, is_tchar, "a header name (a token)") != 0)
		return;
	if (st->n >= 3 && strcmp(st->tok[2].val, "~") == 0 && !st->tok[2].quoted) {
		if (st->n != 4) {
			conf_err(p, &st->tok[2].loc, "\"~\" takes one regex: header NAME ~ REGEX;");
			return;
		}
		v = &st->tok[3];
		if (v->len == 0) {
			conf_err(p, &v->loc, "empty regex");
			return;
		}
		if (conf_regex_check(p, v, &ncap) != 0)
			return;
		op = FO_CONF_CANARY_PATTERN;
	} else if (st->n == 3) {
		v = &st->tok[2];
		if (check_chars(p, v, is_field_char, "a header value") != 0)
			return;
		if (v->val[0] == ' ' || v->val[0] == '\t' || v->val[v->len - 1] == ' ' ||
			v->val[v->len - 1] == '\t') {
			conf_err(p, &v->loc,
				"a header value never starts or ends with a space or tab (it is "
				"trimmed)");
			return;
		}
		op = FO_CONF_CANARY_VALUE;
	} else if (st->n > 3) {
		conf_err(p, &st->tok[3].loc,
			"one value expected (quote a value with spaces; \"~ REGEX\" for a regex)");
		return;
	}
	k->header = strdup(name->val);
	k->header_value = v != NULL ? strdup(v->val) : NULL;
	if (k->header == NULL || (v != NULL && k->header_value == NULL)) {
		conf_oom(p, &name->loc);
		return;
	}
	for (i = 0; k->header[i] != '\0'; i++) /* field names are case-insensitive */
		if (k->header[i] >= 'A' && k->header[i] <= 'Z')
			k->header[i] = (char)(k->header[i] + 32);
	k->header_op = op;
}

static void
h_cy_cookie(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	struct fo_conf_canary *k = cy(p, blk);

	(void)inner;
	if (check_chars(p, &st->tok[1], is_tchar, "a cookie name (a token)") != 0)
		return;
	k->cookie = strdup(st->tok[1].val);
	if (k->cookie == NULL)
		conf_oom(p, &st->tok[1].loc);
}

static void
canary_end(struct conf_parser *p, struct conf_block *blk)
{
	if (!blk->tried[CY_WEIGHT] && !blk->tried[CY_HEADER] && !blk->tried[CY_COOKIE])
		conf_err(p, &blk->loc, "canary takes no request (set weight, header or cookie)");
}

static const struct conf_directive canary_dirs[CY_N] = {
	[CY_WEIGHT] = {"weight", "weight N;", 1, 1, CONF_D_ONCE, NULL, h_cy_weight},
	[CY_HEADER] = {"header", "header NAME [VALUE | ~ REGEX];", 1, 3, CONF_D_ONCE, NULL,
		h_cy_header},
	[CY_COOKIE] = {"cookie", "cookie NAME;", 1, 1, CONF_D_ONCE, NULL, h_cy_cookie},
};

/* Not in conf_ctxs[] (the "only in ... block" hints): "header" and "weight" are
 * words used elsewhere too. */
const struct conf_ctx conf_ctx_canary = {
	"canary", "in canary block", canary_dirs, CY_N, canary_end};

void
conf_h_canary_weight_total(struct conf_parser *p, struct conf_block *blk,
	const struct conf_stmt *st, struct conf_block *inner)
{
	const struct conf_tok *t = &st->tok[1];
	unsigned long v;

	(void)inner;
	if (conf_parse_uint(t->val, t->len, CANARY_TOTAL_MAX, &v) != 0 || v == 0) {
		conf_err(p, &t->loc, "invalid canary_weight_total \"%s\" (expected 1..%u)", t->val,
			CANARY_TOTAL_MAX);
		return;
	}
	route_of(p, blk)->canary_weight_total = (uint32_t)v;
}

/* At the end of a route block: the weights fit in the total. */
void
conf_canary_route_end(struct conf_parser *p, struct conf_block *blk)
{
	struct fo_conf_route *r = route_of(p, blk);
	uint64_t sum = 0;
	unsigned i;

	if (r->canary_weight_total == 0)
		r->canary_weight_total = CANARY_TOTAL_DEFAULT;
	for (i = 0; i < r->n_canaries; i++) {
		if (r->canaries[i].weight > r->canary_weight_total) {
			conf_err(p, &r->canaries[i].loc,
				"canary weight %u is more than the route's canary_weight_total "
				"%u",
				r->canaries[i].weight, r->canary_weight_total);
			return;
		}
		sum += r->canaries[i].weight;
	}
	if (sum > r->canary_weight_total)
		conf_err(p, &r->canaries[r->n_canaries - 1].loc,
			"the route's canary weights add up to %llu, more than its "
			"canary_weight_total %u",
			(unsigned long long)sum, r->canary_weight_total);
}

static void
put_value(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

void
conf_dump_canaries(FILE *out, const struct fo_conf *c, const struct fo_conf_route *r)
{
	unsigned i;

	if (r->n_canaries != 0 && r->canary_weight_total != CANARY_TOTAL_DEFAULT)
		fprintf(out, "\tcanary_weight_total %u;\n", r->canary_weight_total);
	for (i = 0; i < r->n_canaries; i++) {
		const struct fo_conf_canary *k = &r->canaries[i];

		fprintf(out, "\tcanary %s {\n", c->upstreams[k->upstream].name);
		if (k->header != NULL) {
			fprintf(out, "\t\theader %s", k->header);
			if (k->header_op == FO_CONF_CANARY_PATTERN)
				fprintf(out, " ~");
			if (k->header_op != FO_CONF_CANARY_ALWAYS_NEVER) {
				fputc(' ', out);
				put_value(out, k->header_value);
			}
			fprintf(out, ";\n");
		}
		if (k->cookie != NULL)
			fprintf(out, "\t\tcookie %s;\n", k->cookie);
		if (k->weight != 0)
			fprintf(out, "\t\tweight %u;\n", k->weight);
		fprintf(out, "\t}\n");
	}
}

void
conf_free_canaries(struct fo_conf_route *r)
{
	unsigned i;

	for (i = 0; i < r->n_canaries; i++) {
		free(r->canaries[i].header);
		free(r->canaries[i].header_value);
		free(r->canaries[i].cookie);
	}
	free(r->canaries);
	r->canaries = NULL;
	r->n_canaries = 0;
}

int
fo_conf_canaries_differ(const struct fo_conf_route *a, const struct fo_conf_route *b)
{
	unsigned i;

	if (a->n_canaries != b->n_canaries || a->canary_weight_total != b->canary_weight_total)
		return 1;
	for (i = 0; i < a->n_canaries; i++) {
		const struct fo_conf_canary *x = &a->canaries[i], *y = &b->canaries[i];

		if (x->upstream != y->upstream || x->weight != y->weight ||
			x->header_op != y->header_op ||
			(x->header == NULL) != (y->header == NULL) ||
			(x->header != NULL && strcmp(x->header, y->header) != 0) ||
			(x->header_value == NULL) != (y->header_value == NULL) ||
			(x->header_value != NULL &&
				strcmp(x->header_value, y->header_value) != 0) ||
			(x->cookie == NULL) != (y->cookie == NULL) ||
			(x->cookie != NULL && strcmp(x->cookie, y->cookie) != 0))
			return 1;
	}
	return 0;
}
