/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Route actions that answer instead of forwarding: `redirect { }`
 * (Gateway API RequestRedirect), `return CODE URL;`, `app_root`,
 * `slash_redirect`, and the end-of-route checks (an upstream or a
 * redirect; actions that exclude each other). The header modifiers, the
 * default backends, dump, compare and free are in actions.c.
 *
 * Everything a redirect writes into a Location comes from here (checked:
 * printable ASCII without spaces) or from request bytes the HTTP parser
 * has already restricted; lib/http's redirect writer checks every byte
 * again, so no configuration or request can inject a header.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf_priv.h"

static struct fo_conf *
pub(struct conf_parser *p)
{
	return &p->c->pub;
}

struct fo_conf_actions *
conf_route_actions(struct conf_parser *p, struct fo_conf_route *r, const struct fo_conf_loc *loc)
{
	if (r->actions == NULL) {
		r->actions = calloc(1, sizeof(struct fo_conf_actions));
		if (r->actions == NULL)
			conf_oom(p, loc);
	}
	return (struct fo_conf_actions *)(uintptr_t)r->actions;
}

static char *
dup_or_oom(struct conf_parser *p, const struct conf_tok *t)
{
	char *s = strdup(t->val);

	if (s == NULL)
		conf_oom(p, &t->loc);
	return s;
}

static int
parse_status(struct conf_parser *p, const struct conf_tok *t, const char *what, uint16_t *out)
{
	static const unsigned ok[] = {301, 302, 303, 307, 308};
	unsigned long v;
	unsigned i;

	if (conf_parse_uint(t->val, t->len, 999, &v) == 0)
		for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
			if (v == ok[i]) {
				*out = (uint16_t)v;
				return 0;
			}
	conf_err(p, &t->loc, "invalid %s status \"%s\" (expected 301, 302, 303, 307 or 308)", what,
		t->val);
	return -1;
}

/* A path that goes into a Location: "/" first, printable ASCII but space, '?' and '#'. */
static int
check_loc_path(struct conf_parser *p, const struct conf_tok *t, const char *what)
{
	struct fo_conf_loc loc;
	size_t i;

	if (t->len == 0 || t->val[0] != '/') {
		conf_err(p, &t->loc, "%s \"%s\" must start with \"/\"", what, t->val);
		return -1;
	}
	for (i = 0; i < t->len; i++) {
		unsigned char c = (unsigned char)t->val[i];

		if (c > 0x20 && c < 0x7f && c != '?' && c != '#')
			continue;
		loc = conf_tok_loc_at(t, i);
		conf_err(p, &loc,
			"invalid byte 0x%02x in %s (printable ASCII without spaces, \"?\" or "
			"\"#\")",
			c, what);
		return -1;
	}
	return 0;
}
/* ---- redirect { } -------------------------------------------------------- */

enum { RD_STATUS, RD_SCHEME, RD_HOST, RD_PORT, RD_PATH, RD_PREFIX, RD_N };

static struct fo_conf_redirect *
rd(struct conf_parser *p, const struct conf_block *blk)
{
	return &((struct fo_conf_actions *)(uintptr_t)pub(p)->routes[blk->obj].actions)->redirect;
}

void
conf_h_redirect(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	struct fo_conf_actions *a =
		conf_route_actions(p, &pub(p)->routes[blk->obj], &st->tok[0].loc);

	if (a == NULL)
		return;
	a->redirect.kind = FO_CONF_REDIR_PARTS;
	a->redirect.status = 302; /* Gateway API's default */
	a->redirect.loc = st->tok[0].loc;
	inner->obj = blk->obj;
}

static void
h_rd_status(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	parse_status(p, &st->tok[1], "redirect", &rd(p, blk)->status);
}

static void
h_rd_scheme(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	const struct conf_tok *t = &st->tok[1];

	if (strcmp(t->val, "http") != 0 && strcmp(t->val, "https") != 0) {
		conf_err(p, &t->loc, "invalid redirect scheme \"%s\" (expected http or https)",
			t->val);
		return;
	}
	rd(p, blk)->scheme = dup_or_oom(p, t);
}

static void
h_rd_host(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	const struct conf_tok *t = &st->tok[1];
	char *host = dup_or_oom(p, t);

	if (host == NULL)
		return;
	if (conf_check_host(host) != 0 || host[0] == '*') {
		conf_err(p, &t->loc, "invalid redirect host \"%s\" (expected a DNS name)", t->val);
		free(host);
		return;
	}
	rd(p, blk)->host = host;
}

static void
h_rd_port(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	const struct conf_tok *t = &st->tok[1];
	unsigned long v;

	if (conf_parse_uint(t->val, t->len, 65535, &v) != 0 || v == 0) {
		conf_err(p, &t->loc, "invalid redirect port \"%s\" (expected 1..65535)", t->val);
		return;
	}
	rd(p, blk)->port = (uint16_t)v;
}

static void
h_rd_path(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	const struct conf_tok *t = &st->tok[1];
	int prefix = strcmp(st->tok[0].val, "prefix") == 0;
	unsigned other = prefix ? RD_PATH : RD_PREFIX;
	struct fo_conf_redirect *r = rd(p, blk);

	if (blk->seen[other]) {
		conf_err(p, &st->tok[0].loc,
			"a redirect has \"path\" or \"prefix\", not both (%s at %s:%u:%u)",
			prefix ? "path" : "prefix", blk->first[other].file, blk->first[other].line,
			blk->first[other].col);
		return;
	}
	if (check_loc_path(p, t, prefix ? "redirect prefix" : "redirect path") != 0)
		return;
	r->path = dup_or_oom(p, t);
	r->path_kind = prefix ? FO_CONF_RPATH_PREFIX : FO_CONF_RPATH_FULL;
}

static void
redirect_end(struct conf_parser *p, struct conf_block *blk)
{
	const struct fo_conf_route *route = &pub(p)->routes[blk->obj];
	const struct fo_conf_redirect *r = rd(p, blk);

	if (r->path_kind == FO_CONF_RPATH_PREFIX && route->path != NULL &&
		route->type != FO_CONF_PATH_PREFIX)
		conf_err(p, &blk->first[RD_PREFIX],
			"redirect prefix replaces the matched prefix: it needs a prefix route "
			"(this "
			"one is %s)",
			fo_conf_path_type_name(route->type));
	if (!blk->tried[RD_SCHEME] && !blk->tried[RD_HOST] && !blk->tried[RD_PORT] &&
		!blk->tried[RD_PATH] && !blk->tried[RD_PREFIX])
		conf_err(p, &blk->loc,
			"redirect does not change the URL (set scheme, host, port, path or "
			"prefix)");
}

static const struct conf_directive redirect_dirs[RD_N] = {
	[RD_STATUS] = {"status", "status 301|302|303|307|308;", 1, 1, CONF_D_ONCE, NULL,
		h_rd_status},
	[RD_SCHEME] = {"scheme", "scheme http|https;", 1, 1, CONF_D_ONCE, NULL, h_rd_scheme},
	[RD_HOST] = {"host", "host NAME;", 1, 1, CONF_D_ONCE, NULL, h_rd_host},
	[RD_PORT] = {"port", "port 1..65535;", 1, 1, CONF_D_ONCE, NULL, h_rd_port},
	[RD_PATH] = {"path", "path /PATH;", 1, 1, CONF_D_ONCE, NULL, h_rd_path},
	[RD_PREFIX] = {"prefix", "prefix /PATH;", 1, 1, CONF_D_ONCE, NULL, h_rd_path},
};

/* Not in conf_ctxs[] (the "only in ... block" hints): its words (host, port, path,
 * status) are too common for "only in redirect block" to help anyone elsewhere. */
const struct conf_ctx conf_ctx_redirect = {
	"redirect", "in redirect block", redirect_dirs, RD_N, redirect_end};
/* ---- return, app_root, slash_redirect --------------------------------------- */

static int
has_prefix_ci(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncasecmp(s, prefix, n) == 0 && s[n] != '\0';
}

void
conf_h_return(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	const struct conf_tok *t = &st->tok[2];
	struct fo_conf_actions *a;
	uint16_t status;
	long bad;

	if (parse_status(p, &st->tok[1], "return", &status) != 0)
		return;
	bad = conf_check_path_chars(t->val, t->len);
	if (bad >= 0) {
		struct fo_conf_loc loc = conf_tok_loc_at(t, (size_t)bad);

		conf_err(p, &loc,
			"invalid byte 0x%02x in return URL (printable ASCII without spaces only)",
			(unsigned char)t->val[bad]);
		return;
	}
	if (t->val[0] != '/' && !has_prefix_ci(t->val, "http://") &&
		!has_prefix_ci(t->val, "https://")) {
		conf_err(p, &t->loc,
			"invalid return URL \"%s\" (expected http://..., https://... or a path "
			"starting with \"/\")",
			t->val);
		return;
	}
	a = conf_route_actions(p, &pub(p)->routes[blk->obj], &st->tok[0].loc);
	if (a == NULL)
		return;
	if (a->redirect.kind == FO_CONF_REDIR_PARTS)
		return; /* reported at the end of the route */
	a->redirect.kind = FO_CONF_REDIR_URL;
	a->redirect.status = status;
	a->redirect.loc = st->tok[0].loc;
	a->redirect.url = dup_or_oom(p, t);
}

void
conf_h_app_root(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	const struct conf_tok *t = &st->tok[1];
	struct fo_conf_actions *a;

	if (check_loc_path(p, t, "app_root") != 0)
		return;
	if (strcmp(t->val, "/") == 0) {
		conf_err(p, &t->loc, "app_root \"/\" would redirect \"/\" to itself");
		return;
	}
	a = conf_route_actions(p, &pub(p)->routes[blk->obj], &st->tok[0].loc);
	if (a != NULL)
		a->app_root = dup_or_oom(p, t);
}

void
conf_h_slash_redirect(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	const struct conf_tok *t = &st->tok[1];
	struct fo_conf_route *r = &pub(p)->routes[blk->obj];
	struct fo_conf_actions *a;
	size_t n;

	if (strcmp(t->val, "off") == 0)
		return;
	if (strcmp(t->val, "on") != 0) {
		conf_err(p, &t->loc, "invalid slash_redirect \"%s\" (expected on or off)", t->val);
		return;
	}
	if (r->path == NULL)
		return; /* bad route path: reported */
	n = strlen(r->path);
	if (r->type != FO_CONF_PATH_PREFIX || n < 2 || r->path[n - 1] != '/') {
		conf_err(p, &t->loc,
			"slash_redirect needs a prefix route whose path ends with \"/\" (this one "
			"is "
			"%s \"%s\")",
			fo_conf_path_type_name(r->type), r->path);
		return;
	}
	a = conf_route_actions(p, r, &st->tok[0].loc);
	if (a != NULL)
		a->slash_redirect = true;
}
/* ---- end of a route ---------------------------------------------------------- */

void
conf_actions_route_end(
	struct conf_parser *p, const struct conf_block *blk, const struct conf_route_seen *seen)
{
	struct fo_conf_route *r = &pub(p)->routes[blk->obj];
	const struct fo_conf_loc *redirect = seen->redirect != NULL ? seen->redirect : seen->ret;
	const char *rname = seen->redirect != NULL ? "redirect" : "return";

	if (!seen->upstream_tried && !seen->answer_tried)
		conf_err(p, &blk->loc, "missing \"upstream\" directive in route block");
	if (!seen->upstream_tried)
		r->upstream = UINT_MAX; /* never read: the route answers every request itself */
	if (seen->redirect != NULL && seen->ret != NULL) {
		const struct fo_conf_loc *late = seen->ret, *early = seen->redirect;

		if (seen->ret->line < seen->redirect->line ||
			(seen->ret->line == seen->redirect->line &&
				seen->ret->col < seen->redirect->col)) {
			late = seen->redirect;
			early = seen->ret;
		}
		conf_err(p, late,
			"a route has \"return\" or \"redirect\", not both (first at %s:%u:%u)",
			early->file, early->line, early->col);
	}
	if (redirect != NULL && seen->app_root != NULL)
		conf_err(p, seen->app_root,
			"\"app_root\" is never used: the route always redirects (\"%s\" at "
			"%s:%u:%u)",
			rname, redirect->file, redirect->line, redirect->col);
	if (redirect != NULL && seen->slash != NULL)
		conf_err(p, seen->slash,
			"\"slash_redirect\" is never used: the route always redirects (\"%s\" at "
			"%s:%u:%u)",
			rname, redirect->file, redirect->line, redirect->col);
}
