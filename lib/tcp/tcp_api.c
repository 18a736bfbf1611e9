/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The public API: worker life cycle, listen/connect, the poll-loop entry
 * points (input, timers, flush) and the per-connection calls of the layer
 * above (recv, send, shutdown, close, abort, info).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_priv.h"

static void
tcp_config_defaults(struct fo_tcp_config *c)
{
#define DEF(f, v) \
	if (c->f == 0) \
		c->f = (v)
	DEF(max_conns, 65536);
	DEF(max_half_open, 4096);
	DEF(sndbuf, 256 * 1024);
	DEF(rcvbuf, 256 * 1024);
	DEF(ooo_max, 64);
	DEF(rto_min_ms, 200);
	DEF(rto_max_ms, 60000);
	DEF(rto_init_ms, 1000);
	DEF(delack_ms, 40);
	DEF(time_wait_ms, 60000);
	DEF(fin_wait2_ms, 60000);
	DEF(keepalive_intvl_ms, 75000);
	DEF(keepalive_probes, 9);
	DEF(syn_retries, 6);
	DEF(max_retries, 15);
	DEF(local_port_min, TCP_PORT_LO);
	DEF(local_port_max, TCP_PORT_HI);
#undef DEF
}

struct fo_tcp_worker *
fo_tcp_worker_create(const struct fo_tcp_config *cfg, struct fo_net_worker *net,
	struct rte_mempool *pool, unsigned worker_id, unsigned n_workers,
	const uint8_t secret[16], int socket)
{
	struct fo_tcp_worker *tw;
	uint32_t i, n_ooo;

	(void)socket; /* start-up only: the heap is fine, pages land where first touched */
	if (net == NULL || pool == NULL || secret == NULL || n_workers == 0 ||
		n_workers > FO_MAX_WORKERS || worker_id >= n_workers || net->hz < 1000000) {
		errno = EINVAL;
		return NULL;
	}
	tw = aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN_CEIL(sizeof(*tw), RTE_CACHE_LINE_SIZE));
	if (tw == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memset(tw, 0, sizeof(*tw));
	if (cfg != NULL)
		tw->cfg = *cfg;
	tcp_config_defaults(&tw->cfg);
	if (tw->cfg.max_buffered == 0) {
		/* the pool is shared: 3/4 of it over all workers, the rest for rx rings */
		uint64_t b = (uint64_t)pool->size * 3 / 4 / n_workers;

		tw->cfg.max_buffered = b > 0 ? (uint32_t)RTE_MIN(b, (uint64_t)UINT32_MAX) : 1;
	}
	if (tw->cfg.rcvbuf > (0xffffu << TCP_MAX_WSCALE) || tw->cfg.max_conns > (1u << 24) ||
		tw->cfg.ooo_max > 0xffff || tw->cfg.rto_min_ms > tw->cfg.rto_max_ms ||
		tw->cfg.local_port_min > tw->cfg.local_port_max) {
		free(tw);
		errno = EINVAL;
		return NULL;
	}
	tw->net = net;
	tw->pool = pool;
	tw->id = worker_id;
	tw->n_workers = n_workers;
	tw->tsc_per_ms = net->hz / 1000;
	tw->per_ms = rte_reciprocal_value_u64(RTE_MAX(tw->tsc_per_ms, 1ull));
	tw->per_us = rte_reciprocal_value_u64(RTE_MAX(net->hz / 1000000, 1ull));
	tw->per_s = rte_reciprocal_value_u64(RTE_MAX(tw->tsc_per_ms * 1000, 1ull));
	tcp_syncookie_init(&tw->ck, secret);
	tw->flow_seed = (uint32_t)tcp_siphash(&tw->ck, "flow", 4);
	tw->n_conns_max = tw->cfg.max_conns;
	tw->conns = calloc(tw->n_conns_max, sizeof(*tw->conns));
	n_ooo = tw->cfg.max_conns * 4 + tw->cfg.ooo_max;
	tw->ooo_nodes = calloc(n_ooo, sizeof(*tw->ooo_nodes));
	if (tw->conns == NULL || tw->ooo_nodes == NULL || tcp_flow_init(tw) != 0 ||
		fo_timer_wheel_init(&tw->wheel, net->now, tcp_ms_tsc(tw, TCP_TICK_MS)) != 0) {
		fo_tcp_worker_free(tw);
		errno = ENOMEM;
		return NULL;
	}
	for (i = tw->n_conns_max; i-- > 0;) {
		tw->conns[i].idx = i;
		tw->conns[i].free_next = tw->free_list;
		tw->free_list = &tw->conns[i];
	}
	for (i = 0; i < n_ooo; i++) {
		tw->ooo_nodes[i].next = tw->ooo_free;
		tw->ooo_free = &tw->ooo_nodes[i];
	}
	tcp_owner_init(tw);
	net->tcp_enabled = 1;
	return tw;
}

void
fo_tcp_worker_free(struct fo_tcp_worker *tw)
{
	uint32_t i;

	if (tw == NULL)
		return;
	if (tw->conns != NULL) {
		tw->depth++;
		for (i = 0; i < tw->n_conns_max; i++)
			if (tw->conns[i].tw != NULL &&
				(tw->conns[i].state != TCP_CLOSED || tw->conns[i].in_flow ||
					tw->conns[i].zombie))
				tcp_conn_free(&tw->conns[i]);
		tw->depth--;
	}
	free(tw->conns);
	free(tw->ooo_nodes);
	tcp_flow_fini(tw);
	free(tw);
}

struct fo_tcp_peers *
fo_tcp_peers(struct fo_tcp_worker *tw)
{
	return &tw->peers;
}

int
fo_tcp_listen(struct fo_tcp_worker *tw, rte_be32_t addr, uint16_t port,
	const struct fo_tcp_ops *ops, void *listen_arg)
{
	struct tcp_listener *free_slot = NULL;
	unsigned i;

	if (tw == NULL || port == 0 || ops == NULL)
		return -EINVAL;
	for (i = 0; i < TCP_MAX_LISTENERS; i++) {
		struct tcp_listener *l = &tw->lis[i];

		if (l->used && l->port == port && l->addr == addr)
			return -EADDRINUSE;
		if (!l->used && free_slot == NULL)
			free_slot = l;
	}
	if (free_slot == NULL)
		return -ENOSPC;
	free_slot->used = 1;
	free_slot->addr = addr;
	free_slot->port = port;
	free_slot->ops = ops;
	free_slot->arg = listen_arg;
	return 0;
}

int
fo_tcp_unlisten(struct fo_tcp_worker *tw, rte_be32_t addr, uint16_t port)
{
	unsigned i;

	if (tw == NULL || port == 0)
		return -EINVAL;
	for (i = 0; i < TCP_MAX_LISTENERS; i++) {
		struct tcp_listener *l = &tw->lis[i];

		if (l->used && l->port == port && l->addr == addr) {
			memset(l, 0, sizeof(*l));
			return 0;
		}
	}
	return -ENOENT;
}

struct fo_tcp_conn *
fo_tcp_connect(struct fo_tcp_worker *tw, rte_be32_t src, rte_be32_t dst, uint16_t port,
	const struct fo_tcp_ops *ops, void *user)
{
	struct fo_tcp_conn *c, *old;
	uint32_t old_nxt = 0;
	uint16_t lport;
	int rc;

	if (tw == NULL || dst == 0 || port == 0) {
		errno = EINVAL;
		return NULL;
	}
	lport = tcp_owner_pick_port(tw, src, dst, rte_cpu_to_be_16(port), &old);
	if (lport == 0) {
		errno = EADDRNOTAVAIL;
		return NULL;
	}
	if (old != NULL)
		old_nxt = tcp_seq_max(old->snd_nxt, old->snd_max);
	tcp_enter(tw);
	/* never NULL when old is set: old is in the TIME_WAIT list alloc recycles from */
	c = tcp_conn_alloc(tw);
	if (c == NULL) {
		tcp_leave(tw);
		errno = ENOMEM;
		return NULL;
	}
	/* the TIME_WAIT tuple is taken over (unless alloc already recycled that very TCB) */
	if (old != NULL && old != c && old->state == TCP_TIME_WAIT) {
		tcp_conn_free(old);
		tw->stats.time_wait_reused++;
	}
	c->key.laddr = src;
	c->key.raddr = dst;
	c->key.lport = rte_cpu_to_be_16(lport);
	c->key.rport = rte_cpu_to_be_16(port);
	c->ops = ops;
	c->user = user;
	c->iss = tcp_secure_isn(&tw->ck, dst, src, c->key.rport, c->key.lport,
		tcp_tsc_us(tw, tw->net->now));
	/* RFC 6191 / 9293: a reused tuple's new sequence space starts beyond the old one */
	if (old != NULL && !tcp_seq_gt(c->iss, old_nxt + TCP_TW_ISN_GAP))
		c->iss = old_nxt + TCP_TW_ISN_GAP + 1 + (c->iss & 0xffff);
	tcp_conn_init_params(c);
	c->ts_offset = tcp_ts_offset(tw, &c->key);
	c->rcv_wscale = tcp_worker_wscale(tw);
	tcp_flow_insert(tw, c);
	tcp_set_state(c, TCP_SYN_SENT);
	c->rtt_active = 1;
	c->rtt_seq = c->iss;
	c->rtt_tsc = tw->net->now;
	tw->stats.active_opens++;
	rc = tcp_send_syn(c);
	if (rc == -ENETUNREACH) {
		tcp_conn_free(c);
		tcp_leave(tw);
		errno = ENETUNREACH;
		return NULL;
	}
	tcp_rtx_arm(c);
	tcp_leave(tw);
	return c;
}

int
fo_tcp_set_syn_rto(struct fo_tcp_conn *c, uint32_t ms)
{
	if (ms == 0)
		return -EINVAL;
	if (c->state != TCP_SYN_SENT || c->rtx_count != 0)
		return -EALREADY;
	c->rto_ms = ms;
	tcp_rtx_arm(c); /* from now: the SYN left in this same poll iteration */
	return 0;
}

uint16_t
fo_tcp_input(struct fo_tcp_worker *tw, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t i;

	tcp_enter(tw);
	for (i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		if (tcp_owner_steer(tw, pkts[i]))
			continue;
		tcp_input_one(tw, pkts[i]);
	}
	tcp_owner_flush(tw);
	tcp_leave(tw);
	return n;
}

unsigned
fo_tcp_timer(struct fo_tcp_worker *tw)
{
	unsigned n;

	tcp_enter(tw);
	n = tcp_nwait_poll(tw);
	n += fo_timer_run(&tw->wheel, tw->net->now);
	tcp_leave(tw);
	return n;
}

unsigned
fo_tcp_flush(struct fo_tcp_worker *tw)
{
	unsigned sent = 0, budget, room = 0;

	tcp_enter(tw);
	/* each connection once per call; those re-queued for lack of tx room wait */
	budget = tw->stats.conns + 1;
	while (tw->pend_head != NULL && budget-- > 0) {
		struct fo_tcp_conn *c = tw->pend_head;

		tcp_pending_del(c);
		/* room: free tx slots, a lower bound kept by tcp_output_room() */
		sent += tcp_output_room(c, &room);
		if (tcp_writable_due(c)) {
			tcp_cb_writable(c); /* armed by fo_tcp_want_writable() with space already */
			room = 0;           /* the user may have sent anything: look again */
		}
		if (c->close_notify) {
			tcp_conn_notify_closed(c);
			room = 0;
		}
		if (room < 4 + TCP_TX_FRAMES) {
			room = tcp_tx_room(tw);
			if (room < 4)
				break;
		}
	}
	tcp_leave(tw);
	return sent;
}

ssize_t
fo_tcp_recv(struct fo_tcp_conn *c, struct rte_mbuf **head, uint32_t max)
{
	struct fo_tcp_worker *tw = c->tw;
	uint32_t before, after, n;

	if (c->rcv.bytes == 0) {
		if (c->reset)
			return -ECONNRESET;
		if (c->fin_rcvd) {
			if (!c->eof_read)
				tcp_conn_eof_read(c);
			return 0;
		}
		return -EAGAIN;
	}
	before = tcp_rcv_space(c);
	n = tcp_rcvq_take(tw, &c->rcv, max, head);
	if (n == 0)
		return -EAGAIN;
	after = tcp_rcv_space(c);
	/* window update when it opened by two segments, or from (nearly) closed */
	if (c->state != TCP_CLOSED && c->state != TCP_TIME_WAIT &&
		((after - before) >= 2u * c->mss || before < c->mss)) {
		uint32_t adv = tcp_seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;

		if (after >= adv + 2u * c->mss || (adv < c->mss && after >= c->mss)) {
			c->ack_now = 1;
			tcp_pending_add(c);
		}
	}
	return (ssize_t)n;
}

/* Whether the user may queue data now: 0, -ENOTCONN (handshake not done) or -EPIPE. */
static int
can_write(const struct fo_tcp_conn *c)
{
	switch (c->state) {
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
		break;
	case TCP_SYN_SENT:
	case TCP_SYN_RECEIVED:
		return -ENOTCONN;
	default:
		return -EPIPE;
	}
	return c->fin_queued || c->user_gone ? -EPIPE : 0;
}

ssize_t
fo_tcp_send(struct fo_tcp_conn *c, struct rte_mbuf *chain)
{
	struct rte_mbuf *s, *last = chain;
	uint32_t len = 0, nb = 0;
	int rc;

	if (chain == NULL)
		return -EINVAL;
	rc = can_write(c);
	if (rc != 0)
		return rc;
	/* one walk for the length, the last mbuf and the count (tcp_sndq_append_n()) */
	for (s = chain; s != NULL; s = s->next) {
		len += s->data_len;
		nb++;
		last = s;
	}
	if (len == 0)
		return -EINVAL;
	if (c->snd.bytes + len > c->tw->cfg.sndbuf) {
		c->want_write = 1;
		c->write_lowat = 1; /* any space */
		return -EAGAIN;
	}
	tcp_sndq_append_n(c->tw, &c->snd, chain, last, nb, len);
	tcp_pending_add(c);
	return (ssize_t)len;
}

uint32_t
fo_tcp_send_space(const struct fo_tcp_conn *c)
{
	uint32_t buf = c->tw->cfg.sndbuf;

	if (c->fin_queued || (c->state != TCP_ESTABLISHED && c->state != TCP_CLOSE_WAIT))
		return 0;
	return c->snd.bytes >= buf ? 0 : buf - c->snd.bytes;
}

int
fo_tcp_want_writable(struct fo_tcp_conn *c)
{
	uint32_t lowat = c->tw->cfg.sndbuf / 2;
	int rc = can_write(c);

	if (rc != 0)
		return rc;
	if (lowat == 0)
		lowat = 1;
	if (!c->want_write || lowat < c->write_lowat)
		c->write_lowat = lowat;
	c->want_write = 1;
	if (tcp_writable_due(c))
		tcp_pending_add(c); /* room already: writable from the next flush */
	return 0;
}

int
fo_tcp_shutdown(struct fo_tcp_conn *c)
{
	if (c->zombie)
		return 0; /* closed normally: our FIN went long ago */
	switch (c->state) {
	case TCP_ESTABLISHED:
		tcp_set_state(c, TCP_FIN_WAIT_1);
		break;
	case TCP_CLOSE_WAIT:
		tcp_set_state(c, TCP_LAST_ACK);
		break;
	case TCP_FIN_WAIT_1:
	case TCP_FIN_WAIT_2:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
	case TCP_TIME_WAIT:
		return 0;
	default:
		return -ENOTCONN;
	}
	c->fin_queued = 1;
	tcp_pending_add(c);
	return 0;
}

void
fo_tcp_close(struct fo_tcp_conn *c)
{
	struct fo_tcp_worker *tw = c->tw;

	if (c->user_gone && c->state == TCP_CLOSED)
		return;
	tcp_enter(tw);
	c->user_gone = 1;
	switch (c->state) {
	case TCP_SYN_SENT:
		tcp_conn_free(c);
		break;
	case TCP_SYN_RECEIVED:
		tcp_send_rst(c);
		tcp_conn_free(c);
		break;
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
		if (c->rcv.bytes > 0 || c->n_ooo > 0) {
			/* unread data: RST, as Linux does (RFC 2525 2.17) */
			tcp_send_rst(c);
			tcp_conn_free(c);
			break;
		}
		fo_tcp_shutdown(c);
		break;
	case TCP_FIN_WAIT_2:
		tcp_keep_arm(c, TCP_KEEP_FIN_WAIT2, tw->cfg.fin_wait2_ms);
		break;
	case TCP_TIME_WAIT:
		/* held for reading until now: what is left is dropped, TIME_WAIT goes on */
		c->close_notify = 0;
		tcp_rcvq_free(tw, &c->rcv);
		tcp_tw_list_add(c);
		break;
	case TCP_CLOSED:
		if (c->zombie)
			tcp_conn_free(c); /* closed normally, kept for reading: now freed */
		break;
	default:
		break;
	}
	tcp_leave(tw);
}

void
fo_tcp_abort(struct fo_tcp_conn *c)
{
	struct fo_tcp_worker *tw = c->tw;

	if (c->state == TCP_CLOSED) {
		c->user_gone = 1;
		if (c->zombie) {
			tcp_enter(tw);
			tcp_conn_free(c);
			tcp_leave(tw);
		}
		return;
	}
	c->user_gone = 1;
	tcp_enter(tw);
	if (c->state != TCP_SYN_SENT && c->state != TCP_TIME_WAIT)
		tcp_send_rst(c);
	tcp_conn_free(c);
	tcp_leave(tw);
}

void
fo_tcp_set_user(struct fo_tcp_conn *c, void *user)
{
	c->user = user;
}

void
fo_tcp_info(const struct fo_tcp_conn *c, struct fo_tcp_info *info)
{
	memset(info, 0, sizeof(*info));
	info->local_addr = c->key.laddr;
	info->remote_addr = c->key.raddr;
	info->local_port = rte_be_to_cpu_16(c->key.lport);
	info->remote_port = rte_be_to_cpu_16(c->key.rport);
	info->state = tcp_state_name(c->state);
	info->srtt_us = c->srtt_us;
	info->rto_ms = c->rto_ms;
	info->cwnd = c->cwnd;
	info->snd_wnd = c->snd_wnd;
	info->rcv_wnd = tcp_rcv_space(c);
	info->mss = c->mss;
	info->unacked = c->snd_max - c->snd_una;
	info->queued = c->snd.bytes;
}

const struct fo_tcp_stats *
fo_tcp_stats(const struct fo_tcp_worker *tw)
{
	return &tw->stats;
}
