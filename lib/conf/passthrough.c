/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SNI passthrough: `passthrough NAME { upstream UPSTREAM; }` (repeated),
 * `passthrough_default UPSTREAM;`, the `passthrough` option of `listen`
 * (parsed in directives.c), and the whole-config checks: each name once, a
 * passthrough listener has something to send to. Their dump, comparison
 * (live reload) and free.
 *
 * Names are checked here as lib/tls's SNI table checks them (a DNS name,
 * or "*." and a name of at least two labels), so a config that parses
 * builds its table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_priv.h"

enum { PT_UPSTREAM, PT_N };

static struct fo_conf *
pt_pub(struct conf_parser *p)
{
	return &p->c->pub;
}

/* A reference to an upstream by name, resolved by conf_validate_final(). */
static void
pt_ref(struct conf_parser *p, const struct conf_tok *t, unsigned idx)
{
	struct conf_ref *ref;

	if (conf_push(&p->refs, p->n_refs, sizeof(*p->refs)) != 0) {
		conf_oom(p, &t->loc);
		return;
	}
	ref = &p->refs[p->n_refs];
	memset(ref, 0, sizeof(*ref));
	ref->idx = idx;
	ref->pass = true;
	ref->loc = t->loc;
	ref->name = strdup(t->val);
	if (ref->name == NULL)
		conf_oom(p, &t->loc);
	else
		p->n_refs++;
}

void
conf_h_passthrough(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	struct fo_conf *c = pt_pub(p);
	const struct conf_tok *t = &st->tok[1];
	struct fo_conf_passthrough *e;
	const char *dot;
	char *name;
	unsigned i;

	(void)blk;
	inner->obj = -1;
	p->pass_tried = true;
	name = strdup(t->val);
	if (name == NULL) {
		conf_oom(p, &t->loc);
		return;
	}
	if (name[0] != '\0' && name[strlen(name) - 1] == '.')
		name[strlen(name) - 1] = '\0'; /* a trailing dot: the same name */
	/* "*" alone (or "*." once its dot is dropped) has no name + 2 to search */
	dot = name[0] == '*' && name[1] == '.' ? strchr(name + 2, '.') : NULL;
	if (strlen(t->val) != t->len || conf_check_host(name) != 0 ||
		(name[0] == '*' && (dot == NULL || dot[1] == '\0'))) {
		conf_err(p, &t->loc,
			"invalid passthrough name \"%s\" (expected a DNS name, or \"*.\" and a "
			"name of two labels or more, e.g. *.apps.example.com)",
			t->val);
		free(name);
		return;
	}
	for (i = 0; i < c->n_passthroughs; i++) {
		if (strcmp(c->passthroughs[i].name, name) == 0) {
			conf_err(p, &t->loc, "duplicate passthrough %s (first defined at %s:%u:%u)",
				name, c->passthroughs[i].loc.file, c->passthroughs[i].loc.line,
				c->passthroughs[i].loc.col);
			free(name);
			return;
		}
	}
	if (conf_push(&c->passthroughs, c->n_passthroughs, sizeof(*c->passthroughs)) != 0) {
		conf_oom(p, &st->tok[0].loc);
		free(name);
		return;
	}
	e = &c->passthroughs[c->n_passthroughs];
	memset(e, 0, sizeof(*e));
	e->name = name;
	e->loc = st->tok[0].loc;
	inner->obj = (int)c->n_passthroughs++;
}

static void
h_pt_upstream(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	(void)inner;
	pt_ref(p, &st->tok[1], (unsigned)blk->obj);
}

static void
pt_end(struct conf_parser *p, struct conf_block *blk)
{
	if (blk->obj >= 0 && !blk->tried[PT_UPSTREAM])
		conf_err(p, &blk->loc, "passthrough block without upstream (upstream NAME;)");
}

static const struct conf_directive pt_dirs[PT_N] = {
	[PT_UPSTREAM] = {"upstream", "upstream NAME;", 1, 1, CONF_D_ONCE, NULL, h_pt_upstream},
};

/* Not in conf_ctxs[] (the "only in ... block" hints): "upstream" is a route's word too. */
const struct conf_ctx conf_ctx_passthrough = {
	"passthrough", "in passthrough block", pt_dirs, PT_N, pt_end};

void
conf_h_passthrough_default(struct conf_parser *p, struct conf_block *blk,
	const struct conf_stmt *st, struct conf_block *inner)
{
	(void)blk, (void)inner;
	pt_ref(p, &st->tok[1], UINT32_MAX);
	pt_pub(p)->pass_default_loc = st->tok[0].loc;
}

void
conf_pass_ref(struct fo_conf *c, unsigned idx, unsigned upstream)
{
	if (idx == UINT32_MAX) {
		c->has_pass_default = 1;
		c->pass_default = upstream;
	} else {
		c->passthroughs[idx].upstream = upstream;
	}
}

void
conf_pass_final(struct conf_parser *p)
{
	struct fo_conf *c = pt_pub(p);
	unsigned i;

	for (i = 0; i < c->n_listens; i++) {
		const struct fo_conf_listen *l = &c->listens[i];

		if (!l->passthrough)
			continue;
		if (!p->pass_tried && (l->tls || c->pass_default_loc.file == NULL))
			conf_err(p, &l->loc,
				"passthrough listener without anything to splice to (add "
				"passthrough NAME { upstream U; }%s)",
				l->tls ? "" : " or passthrough_default U;");
	}
}

void
conf_dump_pass(FILE *out, const struct fo_conf *c)
{
	unsigned i;

	for (i = 0; i < c->n_passthroughs; i++)
		fprintf(out, "passthrough %s {\n\tupstream %s;\n}\n\n", c->passthroughs[i].name,
			c->upstreams[c->passthroughs[i].upstream].name);
	if (c->has_pass_default)
		fprintf(out, "passthrough_default %s;\n\n", c->upstreams[c->pass_default].name);
}

void
conf_free_pass(struct fo_conf *c)
{
	unsigned i;

	for (i = 0; i < c->n_passthroughs; i++)
		free(c->passthroughs[i].name);
	free(c->passthroughs);
	c->passthroughs = NULL;
	c->n_passthroughs = 0;
}

int
fo_conf_passthrough_differ(const struct fo_conf *a, const struct fo_conf *b)
{
	unsigned i;

	if (a->n_passthroughs != b->n_passthroughs || a->has_pass_default != b->has_pass_default ||
		(a->has_pass_default && a->pass_default != b->pass_default))
		return 1;
	for (i = 0; i < a->n_passthroughs; i++)
		if (strcmp(a->passthroughs[i].name, b->passthroughs[i].name) != 0 ||
			a->passthroughs[i].upstream != b->passthroughs[i].upstream)
			return 1;
	return 0;
}
