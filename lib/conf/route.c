/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The `route` directive and what a route block says about its path: the
 * type and path, host, rewrite, rewrite_prefix, rewrite_host and
 * allow_upgrade, and the duplicate-route table (a route is a duplicate of
 * another with the same type, path, host and `match` conditions). The
 * directive tables, and what the end of a route block checks, are in
 * directives.c; actions in actions.c and redirect.c; conditions and order
 * in match.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf_priv.h"

void
conf_h_route(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	static const char *const types[] = {"exact", "prefix", "regex"};
	const struct conf_tok *ty = &st->tok[1], *path = &st->tok[2];
	struct fo_conf *c = (&p->c->pub);
	struct fo_conf_route *r;
	unsigned i, ncap = 0;
	long bad;

	for (i = 0; i < 3 && strcmp(ty->val, types[i]) != 0; i++)
		;
	if (i == 3) {
		conf_err(p, &ty->loc, "unknown path type \"%s\" (expected exact, prefix or regex)",
			ty->val);
		inner->aux |= CONF_AUX_BAD;
	} else if (i != FO_CONF_PATH_REGEX && path->val[0] != '/') {
		conf_err(
			p, &path->loc, "%s path \"%s\" must start with \"/\"", types[i], path->val);
		inner->aux |= CONF_AUX_BAD;
	} else if (i != FO_CONF_PATH_REGEX &&
		   (bad = conf_check_path_chars(path->val, path->len)) >= 0) {
		struct fo_conf_loc loc = conf_tok_loc_at(path, (size_t)bad);

		conf_err(p, &loc,
			"invalid byte 0x%02x in path (printable ASCII without spaces only)",
			(unsigned char)path->val[bad]);
		inner->aux |= CONF_AUX_BAD;
	} else if (i == FO_CONF_PATH_REGEX && path->len == 0) {
		conf_err(p, &path->loc, "empty regex");
		inner->aux |= CONF_AUX_BAD;
	} else if (i == FO_CONF_PATH_REGEX) {
		if (conf_regex_check(p, path, &ncap) == 0)
			inner->aux |= CONF_AUX_REGEX_OK;
	}
	if (conf_push(&c->routes, c->n_routes, sizeof(*c->routes)) != 0) {
		conf_oom(p, &st->tok[0].loc);
		return;
	}
	r = &c->routes[c->n_routes];
	memset(r, 0, sizeof(*r));
	r->type = i < 3 ? (enum fo_conf_path_type)i : FO_CONF_PATH_EXACT;
	r->n_captures = ncap;
	r->max_body_size = CONF_BODY_SIZE_UNSET; /* the http block's, in conf_validate_final() */
	r->loc = st->tok[0].loc;
	inner->obj = (int)c->n_routes++;
	if (!(inner->aux & CONF_AUX_BAD) && (r->path = strdup(path->val)) == NULL)
		conf_oom(p, &path->loc);
}

void
conf_h_host(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	const struct conf_tok *t = &st->tok[1];
	struct fo_conf_route *r = &(&p->c->pub)->routes[blk->obj];
	char *host = strdup(t->val);
	/* "**.example.com": one or more labels (Gateway API); "*.": exactly one (Ingress) */
	bool multi = host != NULL && strncmp(host, "**.", 3) == 0;

	if (host == NULL) {
		conf_oom(p, &t->loc);
		return;
	}
	if ((multi && host[3] == '*') || conf_check_host(host + multi) != 0) {
		conf_err(p, &t->loc,
			"invalid host \"%s\" (expected a DNS name, optionally \"*.\" (one label) "
			"or \"**.\" (one or more) first)",
			t->val);
		free(host);
		return;
	}
	r->host = host;
}

void
conf_h_rewrite(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	struct fo_conf_route *r = &(&p->c->pub)->routes[blk->obj];

	if (blk->aux & CONF_AUX_BAD)
		return;
	if (conf_rewrite_check(p, &st->tok[1], r, blk->aux & CONF_AUX_REGEX_OK) != 0)
		return;
	r->rewrite = strdup(st->tok[1].val);
	if (r->rewrite == NULL)
		conf_oom(p, &st->tok[1].loc);
}

/*
 * rewrite_prefix /P;: a prefix route's matched prefix replaced by P (Gateway
 * API ReplacePrefixMatch); not with rewrite.
 */
void
conf_h_rewrite_prefix(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	const struct conf_tok *t = &st->tok[1];
	struct fo_conf_route *r = &(&p->c->pub)->routes[blk->obj];
	long bad;

	if (blk->aux & CONF_AUX_BAD)
		return;
	if (r->type != FO_CONF_PATH_PREFIX) {
		conf_err(p, &st->tok[0].loc, "rewrite_prefix needs a prefix route (%s route here)",
			fo_conf_path_type_name(r->type));
		return;
	}
	if (t->val[0] != '/') {
		conf_err(p, &t->loc, "rewrite_prefix \"%s\" must start with \"/\"", t->val);
		return;
	}
	if ((bad = conf_check_path_chars(t->val, t->len)) >= 0) {
		struct fo_conf_loc loc = conf_tok_loc_at(t, (size_t)bad);

		conf_err(p, &loc,
			"invalid byte 0x%02x in rewrite_prefix (printable ASCII without "
			"spaces only)",
			(unsigned char)t->val[bad]);
		return;
	}
	r->rewrite_prefix = strdup(t->val);
	if (r->rewrite_prefix == NULL)
		conf_oom(p, &t->loc);
}

/* rewrite_host NAME;: the Host sent upstream (Gateway API URLRewrite hostname). */
void
conf_h_rewrite_host(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	const struct conf_tok *t = &st->tok[1];
	struct fo_conf_route *r = &(&p->c->pub)->routes[blk->obj];
	char *host = strdup(t->val);

	if (host == NULL) {
		conf_oom(p, &t->loc);
		return;
	}
	if (host[0] == '*' || conf_check_host(host) != 0) {
		conf_err(p, &t->loc, "invalid rewrite_host \"%s\" (expected a DNS name)", t->val);
		free(host);
		return;
	}
	r->rewrite_host = host;
}

/* tchar of RFC 9110 5.6.2 */
static bool
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/*
 * allow_upgrade PROTO...; or allow_upgrade off;: the protocols an Upgrade
 * request may ask for on this route (RFC 9110 7.8 protocol names: tokens,
 * compared case-insensitively, so stored lowercase).
 */
void
conf_h_allow_upgrade(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	struct fo_conf_route *r = &(&p->c->pub)->routes[blk->obj];
	size_t len = 0, i, k;
	unsigned a;
	bool bad = false; /* not p->n_errors: it stops counting at FO_CONF_ERRORS_MAX */
	char *list;

	for (a = 1; a < st->n; a++) {
		const struct conf_tok *t = &st->tok[a];

		if (strcmp(t->val, "off") == 0) {
			if (st->n_args != 1) {
				conf_err(p, &t->loc, "\"off\" must be alone in \"allow_upgrade\"");
				bad = true;
			}
			continue;
		}
		for (k = 0; k < t->len; k++)
			if (!is_tchar((unsigned char)t->val[k]))
				break;
		if (k != t->len || t->len == 0 || t->len > 63) {
			conf_err(p, &t->loc,
				"invalid protocol \"%s\" in allow_upgrade (expected a name such as "
				"websocket, 1-63 token characters, or off)",
				t->val);
			bad = true;
			continue;
		}
		len += t->len + 1;
	}
	if (bad)
		return;
	list = calloc(1, len + 1);
	if (list == NULL) {
		conf_oom(p, &st->tok[0].loc);
		return;
	}
	for (a = 1, len = 0; a < st->n; a++) {
		const struct conf_tok *t = &st->tok[a];

		if (strcmp(t->val, "off") == 0)
			continue;
		if (len != 0)
			list[len++] = ' ';
		for (i = 0; i < t->len; i++)
			list[len++] = (char)(t->val[i] >= 'A' && t->val[i] <= 'Z' ? t->val[i] + 32
										  : t->val[i]);
	}
	r->allow_upgrade = list;
}

static uint32_t
route_hash(const struct fo_conf_route *r)
{
	uint32_t h = 2166136261u ^ (uint32_t)r->type;
	const char *s;

	for (s = r->path; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	h = (h ^ 0xff) * 16777619u;
	for (s = r->host != NULL ? r->host : ""; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	h = conf_matches_hash(r, h);
	return h ^ (h >> 16);
}

static bool
route_same(const struct fo_conf_route *a, const struct fo_conf_route *b)
{
	return a->type == b->type && strcmp(a->path, b->path) == 0 &&
	       (a->host == NULL) == (b->host == NULL) &&
	       (a->host == NULL || strcmp(a->host, b->host) == 0) && conf_matches_same(a, b);
}

/* Route @p idx into the duplicate table. @return the index of an equal route, -1 when new. */
long
conf_route_seen(struct conf_parser *p, unsigned idx)
{
	const struct fo_conf_route *routes = (&p->c->pub)->routes;
	uint32_t i, mask;

	if ((p->route_ht_used + 1) * 2 > p->route_ht_cap) {
		/* grow (rehash) at half full */
		uint32_t cap = p->route_ht_cap ? p->route_ht_cap * 2 : 64, *ht = calloc(cap, 4), k;

		if (ht == NULL)
			return -1; /* duplicates go unreported rather than the parse failing */
		for (k = 0; k < p->route_ht_cap; k++) {
			uint32_t v = p->route_ht[k];

			if (v == 0)
				continue;
			for (i = route_hash(&routes[v - 1]) & (cap - 1); ht[i] != 0;
				i = (i + 1) & (cap - 1))
				;
			ht[i] = v;
		}
		free(p->route_ht);
		p->route_ht = ht;
		p->route_ht_cap = cap;
	}
	mask = p->route_ht_cap - 1;
	for (i = route_hash(&routes[idx]) & mask; p->route_ht[i] != 0; i = (i + 1) & mask)
		if (route_same(&routes[p->route_ht[i] - 1], &routes[idx]))
			return (long)p->route_ht[i] - 1;
	p->route_ht[i] = idx + 1;
	p->route_ht_used++;
	return -1;
}
