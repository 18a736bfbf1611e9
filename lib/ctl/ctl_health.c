/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The health registry: one slot per server identity (upstream name,
 * address, port), referenced by every snapshot that lists it, so that a
 * server's health survives reloads; one record per upstream name (its
 * params, its members, how many are ejected). The state machines are in
 * ctl_health_check.c.
 *
 * Everything is allocated at create except the upstream records (made by
 * the first ref of a server of that upstream, freed with its last slot).
 * Slots are found by a hash of (upstream record, address, port), records
 * by a hash of their name; free slots are reused FIFO.
 *
 * Only this module writes the health table, one byte per slot, with
 * relaxed atomic stores: workers read each byte on its own and nothing
 * else is published through it, so no ordering is needed beyond the
 * byte's atomicity.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_health.h"

/* ---- helpers ---- */

static uint32_t
hash_name(const char *s)
{
	uint32_t x = 2166136261u; /* FNV-1a */

	while (*s)
		x = (x ^ (uint8_t)*s++) * 16777619u;
	return x;
}

static uint32_t
hash_key(uint32_t up, rte_be32_t addr, uint16_t port)
{
	uint64_t x = ((uint64_t)addr << 16 | port) ^ ((uint64_t)up * 0x9e3779b97f4a7c15ull);

	x ^= x >> 33; /* murmur3's finaliser */
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb3fe1a85ec53ull;
	x ^= x >> 33;
	return (uint32_t)x;
}

struct fo_ctl_health *
fo_ctl_health_create(uint32_t cap, void (*log)(void *arg, const char *line), void *arg)
{
	struct fo_ctl_health *h;
	uint32_t nb = 16, i;

	if (cap == 0 || cap > FO_CTL_HEALTH_CAP_MAX) {
		errno = EINVAL;
		return NULL;
	}
	while (nb < cap)
		nb <<= 1;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	/* the workers' copy of the table: its own cache lines */
	h->table = aligned_alloc(64, (cap + 63) / 64 * 64);
	h->slots = calloc(cap, sizeof(*h->slots));
	h->buckets = malloc(nb * sizeof(*h->buckets));
	h->ubuckets = malloc(nb * sizeof(*h->ubuckets));
	h->ups = calloc(cap, sizeof(*h->ups));
	h->ufree = malloc(cap * sizeof(*h->ufree));
	if (h->table == NULL || h->slots == NULL || h->buckets == NULL || h->ubuckets == NULL ||
		h->ups == NULL || h->ufree == NULL) {
		fo_ctl_health_free(h);
		errno = ENOMEM;
		return NULL;
	}
	memset(h->table, 0, (cap + 63) / 64 * 64);
	memset(h->buckets, 0xff, nb * sizeof(*h->buckets));
	memset(h->ubuckets, 0xff, nb * sizeof(*h->ubuckets));
	h->cap = cap;
	h->mask = nb - 1;
	for (i = 0; i < cap; i++) {
		struct hc_slot *s = &h->slots[i];

		s->h = h;
		s->fnext = i + 1 < cap ? i + 1 : HC_NONE;
		fo_timer_init(&s->t_check, hc_on_check_due);
		fo_timer_init(&s->t_lost, hc_on_check_lost);
		fo_timer_init(&s->t_eject, hc_on_eject_end);
		h->ufree[i] = cap - 1 - i; /* record 0 first */
	}
	h->n_ufree = cap;
	h->free_head = 0;
	h->free_tail = cap - 1;
	h->ready_head = h->ready_tail = HC_NONE;
	h->log = log;
	h->log_arg = arg;
	return h;
}

void
fo_ctl_health_free(struct fo_ctl_health *h)
{
	uint32_t i;

	if (h == NULL)
		return;
	for (i = 0; h->ups != NULL && i < h->cap; i++)
		free(h->ups[i]);
	free(h->ups);
	free(h->ufree);
	free(h->buckets);
	free(h->ubuckets);
	free(h->slots);
	free(h->table);
	free(h);
}

const uint8_t *
fo_ctl_health_table(const struct fo_ctl_health *h)
{
	return h->table;
}

uint32_t
fo_ctl_health_cap(const struct fo_ctl_health *h)
{
	return h->cap;
}

const struct fo_ctl_health_stats *
fo_ctl_health_stats(const struct fo_ctl_health *h)
{
	return &h->st;
}

static uint32_t
up_find(const struct fo_ctl_health *h, const char *name, uint32_t hash)
{
	uint32_t u;

	for (u = h->ubuckets[hash & h->mask]; u != HC_NONE; u = h->ups[u]->hnext)
		if (h->ups[u]->hash == hash && strcmp(h->ups[u]->name, name) == 0)
			return u;
	return HC_NONE;
}

static uint32_t
slot_find(const struct fo_ctl_health *h, uint32_t up, rte_be32_t addr, uint16_t port)
{
	uint32_t i;

	for (i = h->buckets[hash_key(up, addr, port) & h->mask]; i != HC_NONE;
		i = h->slots[i].hnext)
		if (h->slots[i].up == up && h->slots[i].addr == addr && h->slots[i].port == port)
			return i;
	return HC_NONE;
}

uint32_t
fo_ctl_health_find(
	const struct fo_ctl_health *h, const char *upstream, rte_be32_t addr, uint16_t port)
{
	uint32_t up;

	if (h == NULL || upstream == NULL)
		return HC_NONE;
	up = up_find(h, upstream, hash_name(upstream));
	return up == HC_NONE ? HC_NONE : slot_find(h, up, addr, port);
}

static uint32_t
up_new(struct fo_ctl_health *h, const char *name, uint32_t hash)
{
	size_t len = strlen(name);
	struct hc_up *up;
	uint32_t u;

	if (h->n_ufree == 0)
		return HC_NONE; /* cannot happen: records <= slots in use < cap */
	up = calloc(1, sizeof(*up) + len + 1);
	if (up == NULL)
		return HC_NONE;
	memcpy(up->name, name, len + 1);
	up->hash = hash;
	up->head = HC_NONE;
	u = h->ufree[--h->n_ufree];
	up->hnext = h->ubuckets[hash & h->mask];
	h->ubuckets[hash & h->mask] = u;
	h->ups[u] = up;
	return u;
}

static void
up_del(struct fo_ctl_health *h, uint32_t u)
{
	uint32_t *pp = &h->ubuckets[h->ups[u]->hash & h->mask];

	while (*pp != u)
		pp = &h->ups[*pp]->hnext;
	*pp = h->ups[u]->hnext;
	free(h->ups[u]);
	h->ups[u] = NULL;
	h->ufree[h->n_ufree++] = u;
}

/* The newest config's params for an upstream: reschedule what they change. */
static void
up_set_params(struct fo_ctl_health *h, uint32_t u, const struct fo_ctl_health_params *p)
{
	struct hc_up *up = h->ups[u];
	int resched = up->p.check_enabled != p->check_enabled ||
		      (p->check_enabled && up->p.interval_ms != p->interval_ms);
	uint32_t i;

	up->p = *p;
	up->p.path[sizeof(up->p.path) - 1] = '\0';
	up->p.host[sizeof(up->p.host) - 1] = '\0';
	if (!resched)
		return;
	for (i = up->head; i != HC_NONE; i = h->slots[i].mnext) {
		if (p->check_enabled)
			hc_check_schedule(h, &h->slots[i]);
		else
			hc_check_stop(h, &h->slots[i]);
	}
}

uint32_t
fo_ctl_health_ref(struct fo_ctl_health *h, const char *upstream, rte_be32_t addr, uint16_t port,
	const struct fo_ctl_health_params *p, uint64_t now_ms)
{
	uint32_t hash, u, i, kb;
	struct hc_slot *s;
	struct hc_up *up;

	if (h == NULL || upstream == NULL || p == NULL) {
		if (h != NULL)
			h->st.refs_failed++;
		return HC_NONE;
	}
	hc_clock(h, now_ms);
	hash = hash_name(upstream);
	u = up_find(h, upstream, hash);
	if (u != HC_NONE) {
		up_set_params(h, u, p);
		i = slot_find(h, u, addr, port);
		if (i != HC_NONE) {
			h->slots[i].refs++;
			return i;
		}
	}
	if (h->free_head == HC_NONE) {
		h->st.slots_full++;
		return HC_NONE;
	}
	if (u == HC_NONE) {
		u = up_new(h, upstream, hash);
		if (u == HC_NONE) {
			h->st.refs_failed++;
			return HC_NONE;
		}
		up_set_params(h, u, p);
	}
	up = h->ups[u];
	i = h->free_head;
	s = &h->slots[i];
	h->free_head = s->fnext;
	if (h->free_head == HC_NONE)
		h->free_tail = HC_NONE;
	s->refs = 1;
	s->occ++; /* passive reports for an earlier occupant are stale */
	s->up = u;
	s->addr = addr;
	s->port = port;
	kb = hash_key(u, addr, port) & h->mask;
	s->hnext = h->buckets[kb];
	h->buckets[kb] = i;
	s->mprev = HC_NONE;
	s->mnext = up->head;
	if (up->head != HC_NONE)
		h->slots[up->head].mprev = i;
	up->head = i;
	up->n_members++;
	h->st.slots_used++;
	s->state = 0; /* UP, not ejected */
	hc_publish(h, s);
	hc_check_schedule(h, s); /* first check due at once */
	return i;
}

static void
slot_release(struct fo_ctl_health *h, struct hc_slot *s)
{
	uint32_t i = hc_slot_idx(h, s), u = s->up, *pp;
	struct hc_up *up = h->ups[u];
	uint32_t seq = s->seq;

	fo_timer_cancel(&h->wheel, &s->t_eject);
	if (s->state & FO_PROXY_HEALTH_EJECTED)
		up->n_ejected--;
	s->state = 0; /* before hc_check_stop(): a freed server does not "go up" */
	hc_publish(h, s);
	hc_check_stop(h, s);
	pp = &h->buckets[hash_key(u, s->addr, s->port) & h->mask];
	while (*pp != i)
		pp = &h->slots[*pp].hnext;
	*pp = s->hnext;
	if (s->mprev != HC_NONE)
		h->slots[s->mprev].mnext = s->mnext;
	else
		up->head = s->mnext;
	if (s->mnext != HC_NONE)
		h->slots[s->mnext].mprev = s->mprev;
	if (--up->n_members == 0)
		up_del(h, u);
	/* a clean slot, but its seq goes on and its timers stay initialised */
	memset(&s->sent_ms, 0, sizeof(*s) - offsetof(struct hc_slot, sent_ms));
	s->seq = seq;
	s->fnext = HC_NONE;
	if (h->free_tail != HC_NONE)
		h->slots[h->free_tail].fnext = i;
	else
		h->free_head = i;
	h->free_tail = i;
	h->st.slots_used--;
}

uint32_t
fo_ctl_health_occupant(const struct fo_ctl_health *h, uint32_t slot)
{
	return slot < h->cap ? h->slots[slot].occ : 0;
}

void
fo_ctl_health_unref(struct fo_ctl_health *h, uint32_t slot)
{
	if (h == NULL || slot >= h->cap || h->slots[slot].refs == 0)
		return;
	if (--h->slots[slot].refs == 0)
		slot_release(h, &h->slots[slot]);
}

int
fo_ctl_health_info(const struct fo_ctl_health *h, uint32_t slot, uint64_t now_ms,
	struct fo_ctl_health_info *out)
{
	const struct hc_slot *s;

	if (h == NULL || out == NULL)
		return -EINVAL;
	if (slot >= h->cap || h->slots[slot].refs == 0)
		return -ENOENT;
	s = &h->slots[slot];
	memset(out, 0, sizeof(*out));
	out->state = s->state;
	out->refs = s->refs;
	out->checks = s->checks;
	out->checks_failed = s->checks_failed;
	out->last_status = s->last_status;
	out->last_why = s->last_why;
	out->passes = s->passes;
	out->fails = s->fails;
	out->ejections = s->ejections;
	out->failures = s->failures;
	if ((s->state & FO_PROXY_HEALTH_EJECTED) && s->eject_until_ms > now_ms)
		out->ejected_ms_left = s->eject_until_ms - now_ms;
	return 0;
}
