/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker neighbour (ARP) cache: open addressing on the IPv4 address
 * with a bounded probe window, a small queue of frames per unresolved
 * entry, retries with exponential backoff driven by fo_net_timer(), and
 * sharing of learned entries with the other workers over SPSC rings.
 *
 * Slots never go back to FREE (an evicted slot is reused in place), so a
 * lookup may stop at the first FREE slot of the window.
 */
#include <errno.h>
#include <string.h>

#include <rte_ring.h>

#include "net_priv.h"

static int
neigh_slot(const struct fo_net_worker *w, rte_be32_t ip)
{
	uint32_t h = neigh_hash(ip);
	unsigned i;

	for (i = 0; i < FO_NEIGH_PROBE; i++) {
		const struct fo_neigh *e = &w->neigh[(h + i) & (FO_NEIGH_SIZE - 1)];

		if (e->state == FO_NEIGH_FREE)
			return -1;
		if (e->ip == ip)
			return (int)((h + i) & (FO_NEIGH_SIZE - 1));
	}
	return -1;
}

struct fo_neigh *
neigh_find(struct fo_net_worker *w, rte_be32_t ip)
{
	int s = neigh_slot(w, ip);

	return s < 0 ? NULL : &w->neigh[s];
}

const struct fo_neigh *
fo_net_neigh_lookup(const struct fo_net_worker *w, rte_be32_t ip)
{
	int s = neigh_slot(w, ip);

	return s < 0 ? NULL : &w->neigh[s];
}

/**
 * A slot for @p ip (known absent): a free one in its window, else a
 * FAILED entry, else the oldest REACHABLE one. Entries with packets
 * waiting (INCOMPLETE) are never evicted.
 *
 * @return the reset entry, or NULL when the whole window is pending.
 */
static struct fo_neigh *
neigh_alloc(struct fo_net_worker *w, rte_be32_t ip, uint16_t port)
{
	uint32_t h = neigh_hash(ip);
	struct fo_neigh *victim = NULL;
	unsigned i;

	for (i = 0; i < FO_NEIGH_PROBE; i++) {
		struct fo_neigh *e = &w->neigh[(h + i) & (FO_NEIGH_SIZE - 1)];

		if (e->state == FO_NEIGH_FREE) {
			victim = e;
			break;
		}
		if (e->state == FO_NEIGH_INCOMPLETE)
			continue;
		if (victim == NULL ||
			(e->state == FO_NEIGH_FAILED && victim->state != FO_NEIGH_FAILED) ||
			(e->state == victim->state && e->expire_tsc < victim->expire_tsc))
			victim = e;
	}
	if (victim == NULL)
		return NULL;
	if (victim->state != FO_NEIGH_FREE)
		w->stats.neigh_evicted++;
	memset(victim, 0, sizeof(*victim));
	victim->ip = ip;
	victim->port_id = port;
	return victim;
}

/** Ask for @p e's MAC (again) and schedule the next try with backoff. */
static void
neigh_solicit(struct fo_net_worker *w, struct fo_neigh *e)
{
	/* a lost request (no mbuf, txq full) is counted and retried later */
	arp_output_request(w, &w->ifaces[e->port_id], e->ip);
	e->expire_tsc = w->now + (w->neigh_retry_tsc << e->retries);
	e->retries++;
	if (e->expire_tsc < w->neigh_next_tsc)
		w->neigh_next_tsc = e->expire_tsc;
}

static int
neigh_enqueue(struct fo_net_worker *w, struct fo_neigh *e, const struct fo_net_iface *ifc,
	struct rte_mbuf *m)
{
	if (e->n_pending >= FO_NEIGH_PENDING) {
		net_drop(w, m, neigh_queue_full);
		return -ENOBUFS;
	}
	m->port = ifc->port_id;
	e->pending[e->n_pending++] = m;
	w->stats.neigh_queued++;
	return 0;
}

static void
neigh_set_reachable(struct fo_net_worker *w, struct fo_neigh *e, uint16_t port,
	const struct rte_ether_addr *mac)
{
	uint16_t i;

	e->port_id = port;
	rte_ether_addr_copy(mac, &e->mac);
	e->state = FO_NEIGH_REACHABLE;
	e->retries = 0;
	e->expire_tsc = w->now + w->neigh_reachable_tsc;
	/* in the order they were queued */
	for (i = 0; i < e->n_pending; i++) {
		struct rte_mbuf *m = e->pending[i];

		rte_ether_addr_copy(mac, &rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr);
		net_tx(w, m->port, m);
		e->pending[i] = NULL;
	}
	e->n_pending = 0;
}

static void
neigh_send(struct fo_net_worker *w, rte_be32_t ip, uint16_t port_id,
	const struct rte_ether_addr *mac)
{
	struct fo_neigh_msg msg = {.ip = ip, .port_id = port_id};
	unsigned i;

	rte_ether_addr_copy(mac, &msg.mac);
	for (i = 0; i < w->n_workers && i < FO_MAX_WORKERS; i++) {
		if (i == w->worker_id || w->to_peer[i] == NULL)
			continue;
		/* SPSC ring: its enqueue is the release that publishes msg */
		if (rte_ring_enqueue_elem(w->to_peer[i], &msg, sizeof(msg)) != 0)
			w->stats.peer_tx_full++;
	}
}

static void
neigh_share(struct fo_net_worker *w, const struct fo_neigh *e)
{
	neigh_send(w, e->ip, e->port_id, &e->mac);
}

int
neigh_share_reply(struct fo_net_worker *w, uint16_t port, rte_be32_t ip,
	const struct rte_ether_addr *mac)
{
	if (w->n_workers < 2)
		return 0;
	neigh_send(w, ip, port | FO_NEIGH_MSG_KNOWN_ONLY, mac);
	return 1;
}

struct fo_neigh *
neigh_update(struct fo_net_worker *w, uint16_t port, rte_be32_t ip,
	const struct rte_ether_addr *mac, int create, int share)
{
	struct fo_neigh *e = neigh_find(w, ip);

	if (e == NULL) {
		if (!create)
			return NULL;
		e = neigh_alloc(w, ip, port);
		if (e == NULL)
			return NULL;
	}
	neigh_set_reachable(w, e, port, mac);
	w->stats.neigh_learned++;
	if (share)
		neigh_share(w, e);
	return e;
}

int
neigh_output(
	struct fo_net_worker *w, const struct fo_net_iface *ifc, struct rte_mbuf *m, rte_be32_t nh)
{
	struct fo_neigh *e = neigh_find(w, nh);
	int rc;

	if (e == NULL) {
		e = neigh_alloc(w, nh, ifc->port_id);
		if (e == NULL) {
			net_drop(w, m, neigh_queue_full);
			return -ENOBUFS;
		}
		e->state = FO_NEIGH_INCOMPLETE;
		rc = neigh_enqueue(w, e, ifc, m);
		neigh_solicit(w, e);
		return rc;
	}

	switch (e->state) {
	case FO_NEIGH_REACHABLE:
		rte_ether_addr_copy(
			&e->mac, &rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr);
		rc = net_tx(w, ifc->port_id, m);
		/* stale: keep using the old MAC while a refresh is under way
		 * (its retries, if any, run from fo_net_timer) */
		if (e->retries == 0 && w->now >= e->expire_tsc)
			neigh_solicit(w, e);
		return rc;
	case FO_NEIGH_INCOMPLETE:
		return neigh_enqueue(w, e, ifc, m);
	case FO_NEIGH_FAILED:
	default:
		if (w->now < e->expire_tsc) {
			net_drop(w, m, neigh_unreachable);
			return -EHOSTUNREACH;
		}
		/* hold-down over: try again from scratch */
		e->state = FO_NEIGH_INCOMPLETE;
		e->retries = 0;
		e->port_id = ifc->port_id;
		rc = neigh_enqueue(w, e, ifc, m);
		neigh_solicit(w, e);
		return rc;
	}
}

static void
neigh_give_up(struct fo_net_worker *w, struct fo_neigh *e)
{
	uint16_t i;

	for (i = 0; i < e->n_pending; i++) {
		net_drop(w, e->pending[i], neigh_unreachable);
		e->pending[i] = NULL;
	}
	e->n_pending = 0;
	e->state = FO_NEIGH_FAILED;
	e->retries = 0;
	e->expire_tsc = w->now + w->neigh_holddown_tsc;
	w->stats.neigh_failed++;
}

void
fo_net_timer(struct fo_net_worker *w)
{
	uint64_t next = UINT64_MAX;
	unsigned i;

	if (w->now < w->neigh_next_tsc)
		return;
	for (i = 0; i < FO_NEIGH_SIZE; i++) {
		struct fo_neigh *e = &w->neigh[i];

		/* INCOMPLETE entries and REACHABLE ones being refreshed */
		if (e->state != FO_NEIGH_INCOMPLETE &&
			(e->state != FO_NEIGH_REACHABLE || e->retries == 0))
			continue;
		if (w->now >= e->expire_tsc) {
			if (e->retries >= FO_NEIGH_RETRIES) {
				neigh_give_up(w, e);
				continue;
			}
			/* neigh_solicit lowers neigh_next_tsc: recomputed below */
			neigh_solicit(w, e);
		}
		if (e->expire_tsc < next)
			next = e->expire_tsc;
	}
	w->neigh_next_tsc = next;
}

unsigned
fo_net_peer_poll(struct fo_net_worker *w)
{
	struct fo_neigh_msg msgs[FO_BURST];
	unsigned i, j, n, total = 0;

	for (i = 0; i < w->n_workers && i < FO_MAX_WORKERS; i++) {
		if (i == w->worker_id || w->from_peer[i] == NULL)
			continue;
		n = rte_ring_dequeue_burst_elem(
			w->from_peer[i], msgs, sizeof(msgs[0]), FO_ARRAY_SIZE(msgs), NULL);
		for (j = 0; j < n; j++) {
			const struct fo_neigh_msg *msg = &msgs[j];
			uint16_t port = msg->port_id & (uint16_t)~FO_NEIGH_MSG_KNOWN_ONLY;
			int create = !(msg->port_id & FO_NEIGH_MSG_KNOWN_ONLY);

			if (port >= FO_MAX_PORTS || !w->ifaces[port].configured ||
				!rte_is_valid_assigned_ether_addr(&msg->mac))
				continue;
			if (neigh_update(w, port, msg->ip, &msg->mac, create, 0) != NULL) {
				w->stats.peer_rx++;
				total++;
			}
		}
	}
	return total;
}
