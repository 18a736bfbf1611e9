/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-route accounting on the control side: the slots of a config with
 * their labels (what a worker copies into a log entry, and which counters
 * it bumps), and the registry that keeps a route's counters across
 * reloads. Control thread only: it allocates.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fo_alog.h"
#include "fo_conf.h"

static void
set_alt(struct fo_alog_route_name *n, const struct fo_conf *conf, unsigned upstream)
{
	size_t len;

	if (upstream >= conf->n_upstreams)
		return;
	len = strnlen(conf->upstreams[upstream].name, sizeof(n->alt));
	memcpy(n->alt, conf->upstreams[upstream].name, len);
	n->alt_len = (uint8_t)len;
}

static void
set_name(struct fo_alog_route_name *n, const char *route, const struct fo_conf *conf,
	unsigned upstream)
{
	size_t len = strlen(route);

	if (len >= sizeof(n->route))
		len = sizeof(n->route);
	memcpy(n->route, route, len);
	n->route_len = (uint8_t)len;
	if (upstream < conf->n_upstreams) {
		len = strnlen(conf->upstreams[upstream].name, sizeof(n->upstream));
		memcpy(n->upstream, conf->upstreams[upstream].name, len);
		n->upstream_len = (uint8_t)len;
	}
}

struct fo_alog_routes *
fo_alog_routes_create(const struct fo_conf *conf)
{
	static const char *const mod[] = {[FO_CONF_PATH_EXACT] = "= ",
		[FO_CONF_PATH_PREFIX] = "",
		[FO_CONF_PATH_REGEX] = "~ "};
	struct fo_alog_routes *rt = calloc(1, sizeof(*rt));
	char label[FO_ALOG_ROUTE_MAX + 1 + 512];
	unsigned i, k = 0;

	if (rt == NULL)
		return NULL;
	rt->n_routes = conf->n_routes;
	rt->n_defaults = conf->n_default_backends;
	rt->n = rt->n_routes + rt->n_defaults + 1;
	for (i = 0; i < conf->n_routes; i++)
		rt->n += conf->routes[i].n_canaries;
	rt->key = malloc(rt->n * sizeof(*rt->key));
	rt->name = calloc(rt->n, sizeof(*rt->name));
	rt->canary_first = calloc(rt->n_routes + 1, sizeof(*rt->canary_first));
	if (rt->key == NULL || rt->name == NULL || rt->canary_first == NULL) {
		fo_alog_routes_free(rt);
		errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < rt->n; i++)
		rt->key[i] = UINT32_MAX;
	for (i = 0; i < conf->n_routes; i++, k++) {
		const struct fo_conf_route *r = &conf->routes[i];

		snprintf(label, sizeof(label), "%s %s%.400s", r->host != NULL ? r->host : "*",
			mod[r->type], r->path);
		set_name(&rt->name[k], label, conf, r->upstream);
	}
	for (i = 0; i < conf->n_default_backends; i++, k++) {
		const struct fo_conf_default_backend *d = &conf->default_backends[i];

		snprintf(label, sizeof(label), "default_backend%s%.200s",
			d->host != NULL ? " " : "", d->host != NULL ? d->host : "");
		set_name(&rt->name[k], label, conf, d->route.upstream);
	}
	for (i = 0; i < conf->n_routes; i++) {
		const struct fo_conf_route *r = &conf->routes[i];
		unsigned c;

		rt->canary_first[i] = k;
		for (c = 0; c < r->n_canaries; c++, k++) {
			rt->name[k] = rt->name[i]; /* the route's key and upstream... */
			set_alt(&rt->name[k], conf, r->canaries[c].upstream); /* ...and the canary */
		}
	}
	return rt; /* the last slot: no labels */
}

void
fo_alog_routes_free(struct fo_alog_routes *rt)
{
	if (rt == NULL)
		return;
	free(rt->key);
	free(rt->name);
	free(rt->canary_first);
	free(rt);
}

uint32_t
fo_alog_routes_default_slot(
	const struct fo_alog_routes *rt, const struct fo_conf *conf, const void *route)
{
	unsigned i;

	for (i = 0; i < conf->n_default_backends && i < rt->n_defaults; i++)
		if (&conf->default_backends[i].route == route)
			return rt->n_routes + i;
	return rt->n - 1;
}

/* ---- the registry ---- */

struct reg_key {
	struct fo_alog_route_name name;
	uint32_t refs;              /* slots of live snapshots that use it; 0: free */
	struct fo_alog_rstats base; /* counts of earlier occupants */
};

struct fo_alog_reg {
	unsigned cap, n_workers;
	struct reg_key *keys;
	struct fo_alog_rstats **ctr; /* [n_workers][cap] */
	uint64_t full;
};

struct fo_alog_reg *
fo_alog_reg_create(unsigned cap, unsigned n_workers)
{
	struct fo_alog_reg *reg = calloc(1, sizeof(*reg));
	unsigned w;

	if (reg == NULL)
		return NULL;
	reg->cap = cap;
	reg->n_workers = n_workers;
	reg->keys = calloc(cap, sizeof(*reg->keys));
	reg->ctr = calloc(n_workers, sizeof(*reg->ctr));
	if (reg->keys == NULL || reg->ctr == NULL)
		goto fail;
	for (w = 0; w < n_workers; w++) {
		/* each worker's array on cache lines of its own */
		reg->ctr[w] = aligned_alloc(64, cap * sizeof(struct fo_alog_rstats));
		if (reg->ctr[w] == NULL)
			goto fail;
		memset(reg->ctr[w], 0, cap * sizeof(struct fo_alog_rstats));
	}
	return reg;
fail:
	fo_alog_reg_free(reg);
	errno = ENOMEM;
	return NULL;
}

void
fo_alog_reg_free(struct fo_alog_reg *reg)
{
	unsigned w;

	if (reg == NULL)
		return;
	for (w = 0; reg->ctr != NULL && w < reg->n_workers; w++)
		free(reg->ctr[w]);
	free(reg->ctr);
	free(reg->keys);
	free(reg);
}

struct fo_alog_rstats *
fo_alog_reg_worker(struct fo_alog_reg *reg, unsigned w)
{
	return w < reg->n_workers ? reg->ctr[w] : NULL;
}

unsigned
fo_alog_reg_cap(const struct fo_alog_reg *reg)
{
	return reg->cap;
}

static int
same_name(const struct fo_alog_route_name *a, const struct fo_alog_route_name *b)
{
	return a->route_len == b->route_len && a->upstream_len == b->upstream_len &&
	       a->alt_len == b->alt_len && memcmp(a->route, b->route, a->route_len) == 0 &&
	       memcmp(a->upstream, b->upstream, a->upstream_len) == 0 &&
	       memcmp(a->alt, b->alt, a->alt_len) == 0;
}

static void
sum_workers(const struct fo_alog_reg *reg, unsigned k, struct fo_alog_rstats *out)
{
	unsigned w;

	memset(out, 0, sizeof(*out));
	for (w = 0; w < reg->n_workers; w++)
		fo_alog_rstats_add(out, &reg->ctr[w][k]);
}

unsigned
fo_alog_reg_ref(struct fo_alog_reg *reg, struct fo_alog_routes *rt)
{
	unsigned i, k, free_k, missed = 0;

	/* linear: a reload with R routes over a registry of C keys costs R * C
	 * name compares on the control thread, fine for thousands */
	for (i = 0; i < rt->n; i++) {
		free_k = UINT32_MAX;
		for (k = 0; k < reg->cap; k++) {
			if (reg->keys[k].refs == 0) {
				if (free_k == UINT32_MAX)
					free_k = k;
				continue;
			}
			if (same_name(&reg->keys[k].name, &rt->name[i]))
				break;
		}
		if (k == reg->cap) {
			if (free_k == UINT32_MAX) {
				rt->key[i] = UINT32_MAX;
				reg->full++;
				missed++;
				continue;
			}
			k = free_k;
			reg->keys[k].name = rt->name[i];
			/* what earlier occupants counted is not this pair's */
			sum_workers(reg, k, &reg->keys[k].base);
		}
		reg->keys[k].refs++;
		rt->key[i] = k;
	}
	return missed;
}

void
fo_alog_reg_unref(struct fo_alog_reg *reg, const struct fo_alog_routes *rt)
{
	unsigned i;

	for (i = 0; i < rt->n; i++)
		if (rt->key[i] < reg->cap && reg->keys[rt->key[i]].refs != 0)
			reg->keys[rt->key[i]].refs--;
}

int
fo_alog_reg_next(const struct fo_alog_reg *reg, unsigned *it,
	const struct fo_alog_route_name **name, struct fo_alog_rstats *sum)
{
	unsigned k;

	for (k = *it; k < reg->cap; k++) {
		if (reg->keys[k].refs == 0)
			continue;
		*name = &reg->keys[k].name;
		sum_workers(reg, k, sum);
		fo_alog_rstats_sub(sum, &reg->keys[k].base);
		*it = k + 1;
		return 1;
	}
	*it = reg->cap;
	return 0;
}

uint64_t
fo_alog_reg_full(const struct fo_alog_reg *reg)
{
	return reg->full;
}
