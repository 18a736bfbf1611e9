/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker's matching scratch: one Hyperscan scratch grown for every
 * shard, the regex candidate bitmap, the boundary array, PCRE2 match data
 * and JIT stack -- allocated and grown on the control thread
 * (fo_route_scratch_update() when a table is published), never while
 * matching.
 */
#include <errno.h>
#include <stdlib.h>

#include "fo_route.h"
#include "route_priv.h"

/* PCRE2 JIT stack: the default 32 KiB machine stack, growing to this. */
#define ROUTE_JIT_STACK_START (32u << 10)
#define ROUTE_JIT_STACK_MAX (512u << 10)

struct fo_route_scratch *
fo_route_scratch_alloc(const struct fo_route_table *t)
{
	struct fo_route_scratch *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->mctx = pcre2_match_context_create(NULL);
	s->jstack = pcre2_jit_stack_create(ROUTE_JIT_STACK_START, ROUTE_JIT_STACK_MAX, NULL);
	if (s->mctx == NULL || s->jstack == NULL || fo_route_scratch_update(s, t) != 0) {
		fo_route_scratch_free(s);
		return NULL;
	}
	pcre2_jit_stack_assign(s->mctx, NULL, s->jstack);
	return s;
}

int
fo_route_scratch_update(struct fo_route_scratch *s, const struct fo_route_table *t)
{
	unsigned k;

	/* one Hyperscan scratch, grown in place to fit every shard of every table */
	for (k = 0; k < t->n_shards; k++) {
		hs_scratch_t *hs = s->hs;

		if (t->shards[k].obj->db == NULL)
			continue;
		if (hs_alloc_scratch(t->shards[k].obj->db, &hs) != HS_SUCCESS)
			return -ENOMEM;
		s->hs = hs;
	}
	if (s->cand == NULL || t->n_words > s->n_words) {
		unsigned n = t->n_words ? t->n_words : 1;
		uint64_t *c = calloc(n, sizeof(*c)), *sum = calloc((n + 63) / 64, sizeof(*sum));

		if (c == NULL || sum == NULL) {
			free(c);
			free(sum);
			return -ENOMEM;
		}
		free(s->cand);
		free(s->sum);
		s->cand = c;
		s->sum = sum;
		s->n_words = n;
	}
	if (s->bounds == NULL || t->max_klen + 3 > s->n_bounds_max) {
		struct route_bound *b = calloc(t->max_klen + 3, sizeof(*b));

		if (b == NULL)
			return -ENOMEM;
		free(s->bounds);
		s->bounds = b;
		s->n_bounds_max = t->max_klen + 3;
	}
	if (s->md == NULL || t->ovec_pairs > s->md_pairs) {
		pcre2_match_data *md = pcre2_match_data_create(t->ovec_pairs, NULL);

		if (md == NULL)
			return -ENOMEM;
		pcre2_match_data_free(s->md);
		s->md = md;
		s->md_pairs = t->ovec_pairs;
	}
	return 0;
}

void
fo_route_scratch_free(struct fo_route_scratch *s)
{
	if (s == NULL)
		return;
	hs_free_scratch(s->hs);
	free(s->cand);
	free(s->sum);
	free(s->bounds);
	pcre2_match_data_free(s->md);
	pcre2_match_context_free(s->mctx);
	pcre2_jit_stack_free(s->jstack);
	free(s);
}
