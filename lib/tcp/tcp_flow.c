/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker flow table: a chained hash of connection indexes on the
 * 4-tuple. Buckets and chain links are preallocated (the links live in the
 * TCBs), so inserting never allocates. Listeners are a small array.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_priv.h"

int
tcp_flow_init(struct fo_tcp_worker *tw)
{
	uint32_t n = 64;

	while (n < tw->n_conns_max * 2 && n < (1u << 30))
		n <<= 1;
	tw->flow_buckets = malloc(n * sizeof(tw->flow_buckets[0]));
	if (tw->flow_buckets == NULL)
		return -ENOMEM;
	memset(tw->flow_buckets, 0xff, n * sizeof(tw->flow_buckets[0]));
	tw->flow_mask = n - 1;
	return 0;
}

void
tcp_flow_fini(struct fo_tcp_worker *tw)
{
	free(tw->flow_buckets);
	tw->flow_buckets = NULL;
}

void
tcp_flow_insert(struct fo_tcp_worker *tw, struct fo_tcp_conn *c)
{
	uint32_t *b = &tw->flow_buckets[tcp_flow_hash(tw, &c->key) & tw->flow_mask];

	c->hnext = *b;
	*b = c->idx;
	c->in_flow = 1;
}

void
tcp_flow_remove(struct fo_tcp_worker *tw, struct fo_tcp_conn *c)
{
	uint32_t *p = &tw->flow_buckets[tcp_flow_hash(tw, &c->key) & tw->flow_mask];

	while (*p != UINT32_MAX) {
		if (*p == c->idx) {
			*p = c->hnext;
			break;
		}
		p = &tw->conns[*p].hnext;
	}
	c->hnext = UINT32_MAX;
	c->in_flow = 0;
}

struct tcp_listener *
tcp_listener_find(struct fo_tcp_worker *tw, rte_be32_t addr, uint16_t port)
{
	struct tcp_listener *any = NULL;
	unsigned i;

	for (i = 0; i < TCP_MAX_LISTENERS; i++) {
		struct tcp_listener *l = &tw->lis[i];

		if (!l->used || l->port != port)
			continue;
		if (l->addr == addr)
			return l;
		if (l->addr == 0)
			any = l;
	}
	return any;
}
