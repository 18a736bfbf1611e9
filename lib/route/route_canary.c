/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Canaries (`canary` blocks of a route): which upstream the winning
 * route's request goes to. As ingress-nginx decides for its one canary
 * (balancer.lua route_to_alternative_balancer), for each canary in
 * config order:
 *  - header NAME: the request's first NAME field is "always" -> this
 *    canary; "never" -> not this canary (nor its weight); with a VALUE,
 *    that exact value -> this canary; with ~ REGEX, a value the regex
 *    finds (unanchored, as ngx.re.match) -> this canary; anything else
 *    -> on to its cookie and weight;
 *  - cookie NAME: "always" / "never" likewise.
 * A request that no header or cookie sent to a canary draws a number
 * below the route's canary_weight_total: canary k takes the k-th range
 * of its weight, unless its header or cookie said "never"; the rest stays
 * on the route's upstream. (ingress-nginx checks one canary's header,
 * cookie and weight before the next; with several canaries here, every
 * explicit choice by header or cookie is seen before any weight.)
 *
 * The regexes are compiled with the table, on the control thread; a pick
 * reads the fields in place and allocates nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route_priv.h"

struct route_canaries {
	unsigned n;
	pcre2_code *re[FO_CONF_CANARIES_MAX]; /* header ~ REGEX, else NULL */
	bool jit[FO_CONF_CANARIES_MAX];
};

int
route_canaries_compile(struct fo_route_table *t, char *err, size_t errlen)
{
	const struct fo_conf *conf = t->conf;
	unsigned i, k;

	for (i = 0; i < conf->n_routes; i++) {
		const struct fo_conf_route *r = &conf->routes[i];
		struct route_canaries *c;

		if (r->n_canaries == 0)
			continue;
		if (t->canaries == NULL) {
			t->canaries = calloc(conf->n_routes, sizeof(*t->canaries));
			if (t->canaries == NULL)
				return -ENOMEM;
			t->n_canaries = conf->n_routes;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL)
			return -ENOMEM;
		t->canaries[i] = c;
		c->n = r->n_canaries < FO_CONF_CANARIES_MAX ? r->n_canaries : FO_CONF_CANARIES_MAX;
		for (k = 0; k < c->n; k++) {
			const struct fo_conf_canary *y = &r->canaries[k];
			PCRE2_SIZE off;
			int code;

			if (y->header == NULL || y->header_op != FO_CONF_CANARY_PATTERN)
				continue;
			c->re[k] = pcre2_compile((PCRE2_SPTR)y->header_value, PCRE2_ZERO_TERMINATED,
				0, &code, &off, NULL);
			if (c->re[k] == NULL) {
				PCRE2_UCHAR msg[160];

				pcre2_get_error_message(code, msg, sizeof(msg));
				snprintf(err, errlen,
					"%s:%u:%u: invalid regex in canary header: %s", y->loc.file,
					y->loc.line, y->loc.col, (const char *)msg);
				return -EINVAL;
			}
			c->jit[k] = pcre2_jit_compile(c->re[k], PCRE2_JIT_COMPLETE) == 0;
		}
	}
	return 0;
}

void
route_canaries_free(struct fo_route_table *t)
{
	unsigned i, k;

	for (i = 0; t->canaries != NULL && i < t->n_canaries; i++) {
		struct route_canaries *c = t->canaries[i];

		if (c == NULL)
			continue;
		for (k = 0; k < c->n; k++)
			pcre2_code_free(c->re[k]);
		free(c);
	}
	free(t->canaries);
	t->canaries = NULL;
}

enum { SAYS_NOTHING, SAYS_ALWAYS, SAYS_NEVER };

static int
always_never(const char *v, size_t len)
{
	if (len == 6 && memcmp(v, "always", 6) == 0)
		return SAYS_ALWAYS;
	if (len == 5 && memcmp(v, "never", 5) == 0)
		return SAYS_NEVER;
	return SAYS_NOTHING;
}

/* What canary @p k's header and cookie say about the request. */
static int
canary_says(const struct fo_conf_canary *y, const struct route_canaries *c, unsigned k,
	struct fo_route_scratch *s, const struct fo_route_req *rq)
{
	const char *v;
	size_t len;
	int says;

	if (y->header != NULL && route_req_header(rq, y->header, strlen(y->header), &v, &len)) {
		switch (y->header_op) {
		case FO_CONF_CANARY_VALUE:
			if (len == strlen(y->header_value) && memcmp(v, y->header_value, len) == 0)
				return SAYS_ALWAYS;
			break;
		case FO_CONF_CANARY_PATTERN:
			/* a match error (JIT stack) counts as no match */
			if ((c->jit[k] ? pcre2_jit_match(
						 c->re[k], (PCRE2_SPTR)v, len, 0, 0, s->md, s->mctx)
				       : pcre2_match(c->re[k], (PCRE2_SPTR)v, len, 0, 0, s->md,
						 s->mctx)) >= 0)
				return SAYS_ALWAYS;
			break;
		default:
			says = always_never(v, len);
			if (says != SAYS_NOTHING)
				return says;
			break;
		}
	}
	if (y->cookie != NULL && route_req_cookie(rq, y->cookie, strlen(y->cookie), &v, &len))
		return always_never(v, len);
	return SAYS_NOTHING;
}

/* xorshift64* (Vigna): the state must not be 0. */
static uint64_t
rng_next(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545f4914f6cdd1dull;
}

unsigned
route_canary_pick(const struct fo_route_table *t, struct fo_route_scratch *s,
	const struct fo_conf_route *c, unsigned index, const struct fo_route_req *rq)
{
	const struct route_canaries *cs = t->canaries != NULL ? t->canaries[index] : NULL;
	uint32_t never = 0, draw, lo = 0;
	unsigned k;

	if (cs == NULL)
		return 0;
	for (k = 0; k < cs->n; k++) {
		int says = canary_says(&c->canaries[k], cs, k, s, rq);

		if (says == SAYS_ALWAYS)
			return k + 1;
		if (says == SAYS_NEVER)
			never |= 1u << k;
	}
	if (rq->rng == NULL || *rq->rng == 0)
		return 0;
	draw = (uint32_t)((rng_next(rq->rng) >> 32) % c->canary_weight_total);
	for (k = 0; k < cs->n; k++) {
		uint32_t w = c->canaries[k].weight;

		if (draw < lo + w)
			return (never >> k) & 1 ? 0 : k + 1;
		lo += w;
	}
	return 0;
}
