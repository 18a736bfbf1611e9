/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Segments lost to an unresolved or moved neighbour are resent when the
 * neighbour answers, not after the retransmission timeout.
 *
 * A connection joins the worker's neighbour-wait list when lib/net drops
 * one of its segments for want of a next hop (queue full, resolution
 * failed), and when its retransmission timer fires (the peer may have
 * moved to another MAC, a rescheduled pod: lib/net is asked to check,
 * fo_net_neigh_suspect(), at most once per retry interval per neighbour).
 * When lib/net reports a next hop reachable (resolved, or a new MAC), the
 * waiting connections behind it retransmit at once, with no backoff: the
 * loss was the neighbour's, not the path's. The list only ever holds
 * connections that lost something, so a notice costs a walk over those.
 */
#include <errno.h>

#include "tcp_priv.h"

void
tcp_nwait_add(struct fo_tcp_conn *c)
{
	struct fo_tcp_worker *tw = c->tw;

	if (c->in_nwait || c->state == TCP_CLOSED)
		return;
	c->in_nwait = 1;
	c->nw_prev = NULL;
	c->nw_next = tw->nw_head;
	if (tw->nw_head != NULL)
		tw->nw_head->nw_prev = c;
	tw->nw_head = c;
}

void
tcp_nwait_del(struct fo_tcp_conn *c)
{
	struct fo_tcp_worker *tw = c->tw;

	if (!c->in_nwait)
		return;
	if (c->nw_prev != NULL)
		c->nw_prev->nw_next = c->nw_next;
	else
		tw->nw_head = c->nw_next;
	if (c->nw_next != NULL)
		c->nw_next->nw_prev = c->nw_prev;
	c->nw_next = c->nw_prev = NULL;
	c->in_nwait = 0;
}

void
tcp_emitted(struct fo_tcp_conn *c, int rc)
{
	/* -ENOBUFS: queue or tx buffer full; -EHOSTUNREACH: resolution failed */
	if (rc == -ENOBUFS || rc == -EHOSTUNREACH)
		tcp_nwait_add(c);
}

/** Resend what @p c has outstanding now, keeping its RTO (no backoff). */
static void
tcp_nwait_resend(struct fo_tcp_conn *c)
{
	struct fo_tcp_worker *tw = c->tw;

	if (c->rtx_mode != TCP_RTX_RETRANSMIT || !fo_timer_armed(&c->t_rtx))
		return; /* nothing outstanding (or probing a zero window) */
	if (c->state == TCP_SYN_SENT || c->state == TCP_SYN_RECEIVED) {
		tw->stats.retransmits++;
		tw->stats.neigh_resends++;
		tcp_emitted(c, tcp_send_syn(c));
		tcp_rtx_arm(c);
		return;
	}
	if (c->snd_una == c->snd_max)
		return;
	tw->stats.neigh_resends++;
	c->snd_nxt = c->snd_una; /* go back: everything after SND.UNA may be lost */
	c->rtt_active = 0;       /* Karn: no sample from a retransmission */
	tcp_output(c);
	if (c->state != TCP_CLOSED)
		tcp_rtx_arm(c);
}

unsigned
tcp_nwait_poll(struct fo_tcp_worker *tw)
{
	rte_be32_t ready[FO_NEIGH_READY_MAX];
	struct fo_tcp_conn *c, *next;
	unsigned n, i, kicked = 0;
	int all;

	n = fo_net_neigh_ready(tw->net, ready, FO_ARRAY_SIZE(ready), &all);
	if (n == 0 && !all)
		return 0;
	for (c = tw->nw_head; c != NULL; c = next) {
		rte_be32_t nh = 0;

		next = c->nw_next;
		if (!all) {
			if (fo_net_next_hop(tw->net, c->key.raddr, &nh) != 0)
				continue;
			for (i = 0; i < n && ready[i] != nh; i++)
				;
			if (i == n)
				continue;
		}
		tcp_nwait_del(c);
		tcp_nwait_resend(c);
		kicked++;
	}
	return kicked;
}
