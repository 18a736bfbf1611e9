/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker neighbour (ARP) cache: open addressing on the IPv4 address
 * with a bounded probe window, a queue of frames per unresolved entry
 * bounded in bytes like Linux's (slots from a per-worker pool), retries
 * with exponential backoff driven by fo_net_timer(), resolution ahead of
 * traffic for configured endpoints, notices to the layer above when a next
 * hop becomes reachable (so it resends at once what was lost), and sharing
 * of learned entries with the other workers over SPSC rings.
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
 * waiting (INCOMPLETE, or resolved and still draining) are never evicted.
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
		if (e->state == FO_NEIGH_INCOMPLETE || e->n_pending != 0)
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
	victim->q_head = victim->q_tail = FO_NEIGH_QNONE;
	return victim;
}

void
neigh_solicit(struct fo_net_worker *w, struct fo_neigh *e)
{
	/* a lost request (no mbuf, txq full) is counted and retried later */
	arp_output_request(w, &w->ifaces[e->port_id], e->ip);
	e->expire_tsc = w->now + (w->neigh_retry_tsc << e->retries);
	e->retries++;
	if (e->expire_tsc < w->neigh_next_tsc)
		w->neigh_next_tsc = e->expire_tsc;
}

/** What a queued frame costs its neighbour's queue: its buffers (Linux's truesize). */
static uint32_t
neigh_charge(const struct rte_mbuf *m)
{
	uint32_t c = 0;

	for (; m != NULL; m = m->next)
		c += (uint32_t)sizeof(struct rte_mbuf) + m->buf_len;
	return c;
}

static int
neigh_enqueue(struct fo_net_worker *w, struct fo_neigh *e, const struct fo_net_iface *ifc,
	struct rte_mbuf *m)
{
	uint32_t charge = neigh_charge(m);
	uint16_t s = w->neigh_q_free;

	if (s == FO_NEIGH_QNONE || e->q_bytes + charge > FO_NEIGH_QUEUE_BYTES) {
		net_drop(w, m, neigh_queue_full);
		return -ENOBUFS;
	}
	w->neigh_q_free = w->neigh_q[s].next;
	m->port = ifc->port_id;
	w->neigh_q[s].m = m;
	w->neigh_q[s].charge = charge;
	w->neigh_q[s].next = FO_NEIGH_QNONE;
	if (e->q_tail == FO_NEIGH_QNONE)
		e->q_head = s;
	else
		w->neigh_q[e->q_tail].next = s;
	e->q_tail = s;
	e->n_pending++;
	e->q_bytes += charge;
	w->stats.neigh_queued++;
	return 0;
}

/** Unlink the oldest frame of @p e's queue and give its slot back. */
static struct rte_mbuf *
neigh_dequeue(struct fo_net_worker *w, struct fo_neigh *e)
{
	uint16_t s = e->q_head;
	struct fo_neigh_qslot *q = &w->neigh_q[s];
	struct rte_mbuf *m = q->m;

	e->q_head = q->next;
	if (e->q_head == FO_NEIGH_QNONE)
		e->q_tail = FO_NEIGH_QNONE;
	e->n_pending--;
	e->q_bytes -= q->charge;
	q->m = NULL;
	q->next = w->neigh_q_free;
	w->neigh_q_free = s;
	return m;
}

/**
 * Send @p e's queued frames (REACHABLE) in the order they were queued, as
 * far as their tx buffers have room; what is left waits for fo_net_timer()
 * (neigh_drain), and new frames queue behind it meanwhile.
 */
static void
neigh_flush(struct fo_net_worker *w, struct fo_neigh *e)
{
	while (e->n_pending != 0) {
		struct rte_mbuf *m = w->neigh_q[e->q_head].m;
		const struct fo_net_txq *q = &w->txq[m->port];

		if (q->n >= FO_ARRAY_SIZE(q->pkts)) {
			w->neigh_drain = 1;
			return;
		}
		m = neigh_dequeue(w, e);
		rte_ether_addr_copy(&e->mac, &rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr);
		net_tx(w, m->port, m);
	}
}

/** Tell the layer above (fo_net_neigh_ready()) that @p ip is reachable now. */
static void
neigh_ready_push(struct fo_net_worker *w, rte_be32_t ip)
{
	uint16_t i;

	if (!w->tcp_enabled)
		return; /* nobody above to tell */
	for (i = 0; i < w->n_neigh_ready; i++)
		if (w->neigh_ready[i] == ip)
			return;
	if (w->n_neigh_ready == FO_NEIGH_READY_MAX) {
		w->neigh_ready_overflow = 1;
		w->stats.neigh_ready_lost++;
		return;
	}
	w->neigh_ready[w->n_neigh_ready++] = ip;
}

/**
 * The host that answered for @p old on @p port moved (an address of it
 * came back with another MAC): ask again for every other address it
 * answered for, whose old MAC still serves until the answers come.
 */
static void
neigh_moved(struct fo_net_worker *w, const struct fo_neigh *moved, uint16_t port,
	const struct rte_ether_addr *old)
{
	unsigned i;

	for (i = 0; i < FO_NEIGH_SIZE; i++) {
		struct fo_neigh *e = &w->neigh[i];

		if (e == moved || e->state != FO_NEIGH_REACHABLE || e->retries != 0 ||
			e->port_id != port || !rte_is_same_ether_addr(&e->mac, old))
			continue;
		w->stats.neigh_suspect++;
		neigh_solicit(w, e);
	}
}

static void
neigh_set_reachable(struct fo_net_worker *w, struct fo_neigh *e, uint16_t port,
	const struct rte_ether_addr *mac)
{
	int was_reachable = e->state == FO_NEIGH_REACHABLE;
	int changed = !was_reachable || !rte_is_same_ether_addr(&e->mac, mac);

	if (was_reachable && changed) {
		struct rte_ether_addr old = e->mac;

		w->stats.neigh_changed++;
		neigh_moved(w, e, e->port_id, &old);
	}
	e->port_id = port;
	rte_ether_addr_copy(mac, &e->mac);
	e->state = FO_NEIGH_REACHABLE;
	e->retries = 0;
	e->expire_tsc = w->now + w->neigh_reachable_tsc;
	neigh_flush(w, e);
	if (changed)
		neigh_ready_push(w, e->ip);
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
		if (unlikely(e->n_pending != 0))
			return neigh_enqueue(w, e, ifc, m); /* behind what is still draining */
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
	while (e->n_pending != 0)
		net_drop(w, neigh_dequeue(w, e), neigh_unreachable);
	e->state = FO_NEIGH_FAILED;
	e->retries = 0;
	e->expire_tsc = w->now + w->neigh_holddown_tsc;
	w->stats.neigh_failed++;
}

/** Go on sending the queues of resolved entries that the tx buffers could not take at once. */
static void
neigh_drain_all(struct fo_net_worker *w)
{
	unsigned i;

	w->neigh_drain = 0;
	for (i = 0; i < FO_NEIGH_SIZE; i++) {
		struct fo_neigh *e = &w->neigh[i];

		if (e->state == FO_NEIGH_REACHABLE && e->n_pending != 0)
			neigh_flush(w, e); /* sets neigh_drain again when still short of room */
	}
}

void
fo_net_timer(struct fo_net_worker *w)
{
	uint64_t next = UINT64_MAX;
	unsigned i;

	if (unlikely(w->neigh_drain))
		neigh_drain_all(w);
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

void
neigh_retry_now(struct fo_net_worker *w, uint16_t port)
{
	unsigned i;

	for (i = 0; i < FO_NEIGH_SIZE; i++) {
		struct fo_neigh *e = &w->neigh[i];

		if (e->state != FO_NEIGH_INCOMPLETE || e->port_id != port)
			continue;
		e->retries = 0;
		e->expire_tsc = w->now;
		w->neigh_next_tsc = w->now;
	}
}

int
fo_net_neigh_resolve(struct fo_net_worker *w, rte_be32_t dst, int refresh)
{
	const struct fo_net_iface *ifc;
	struct fo_neigh *e;
	rte_be32_t nh = 0;

	ifc = ip4_route(w, dst, &nh);
	if (ifc == NULL)
		return -ENETUNREACH;
	e = neigh_find(w, nh);
	if (e == NULL) {
		e = neigh_alloc(w, nh, ifc->port_id);
		if (e == NULL)
			return -ENOBUFS;
	} else if (e->state == FO_NEIGH_INCOMPLETE) {
		return -EINPROGRESS;
	} else if (e->state == FO_NEIGH_REACHABLE) {
		if (refresh && e->retries == 0) {
			w->stats.neigh_resolve++;
			neigh_solicit(w, e); /* the old MAC serves until the answer */
		}
		return 0;
	}
	/* new, or FAILED: from scratch, hold-down or not */
	e->state = FO_NEIGH_INCOMPLETE;
	e->retries = 0;
	e->port_id = ifc->port_id;
	w->stats.neigh_resolve++;
	neigh_solicit(w, e);
	return -EINPROGRESS;
}

void
fo_net_neigh_suspect(struct fo_net_worker *w, rte_be32_t dst)
{
	struct fo_neigh *e;
	rte_be32_t nh = 0;

	if (ip4_route(w, dst, &nh) == NULL)
		return;
	e = neigh_find(w, nh);
	if (e == NULL || e->state != FO_NEIGH_REACHABLE || e->retries != 0)
		return;
	/* confirmed (learned or refreshed) at expire_tsc - neigh_reachable_tsc */
	if (w->now + w->neigh_reachable_tsc < e->expire_tsc + w->neigh_retry_tsc)
		return;
	w->stats.neigh_suspect++;
	neigh_solicit(w, e);
}

int
fo_net_neigh_usable(const struct fo_net_worker *w, rte_be32_t dst)
{
	const struct fo_neigh *e;
	rte_be32_t nh = 0;

	if (ip4_route(w, dst, &nh) == NULL)
		return 0;
	e = fo_net_neigh_lookup(w, nh);
	return e == NULL || e->state != FO_NEIGH_FAILED;
}

unsigned
fo_net_neigh_ready(struct fo_net_worker *w, rte_be32_t *out, unsigned max, int *all)
{
	unsigned n = RTE_MIN((unsigned)w->n_neigh_ready, max);

	if (n != 0)
		memcpy(out, w->neigh_ready, n * sizeof(*out));
	*all = w->neigh_ready_overflow || n < w->n_neigh_ready;
	w->n_neigh_ready = 0;
	w->neigh_ready_overflow = 0;
	return n;
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
