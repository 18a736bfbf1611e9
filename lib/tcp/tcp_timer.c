/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-connection timers on the worker's wheel:
 *   t_rtx    retransmission (RFC 6298, Karn, exponential backoff), SYN and
 *            SYN-ACK retries, zero-window probes (persist);
 *   t_delack delayed ACK;
 *   t_keep   keep-alive, TIME_WAIT, orphaned FIN_WAIT_2.
 * RTT samples (TSC probes or timestamp echoes) feed the RTO estimator.
 */
#include <errno.h>

#include "tcp_priv.h"

static void tcp_rtx_fire(struct fo_timer *t);
static void tcp_delack_fire(struct fo_timer *t);
static void tcp_keep_fire(struct fo_timer *t);

void
tcp_timers_init(struct fo_tcp_conn *c)
{
	fo_timer_init(&c->t_rtx, tcp_rtx_fire);
	fo_timer_init(&c->t_delack, tcp_delack_fire);
	fo_timer_init(&c->t_keep, tcp_keep_fire);
}

void
tcp_timers_cancel(struct fo_tcp_conn *c)
{
	struct fo_timer_wheel *w = &c->tw->wheel;

	fo_timer_cancel(w, &c->t_rtx);
	fo_timer_cancel(w, &c->t_delack);
	fo_timer_cancel(w, &c->t_keep);
	c->rtx_mode = TCP_RTX_NONE;
	c->keep_mode = TCP_KEEP_NONE;
}

void
tcp_rtx_arm(struct fo_tcp_conn *c)
{
	struct fo_tcp_worker *tw = c->tw;

	c->rtx_mode = TCP_RTX_RETRANSMIT;
	fo_timer_arm(&tw->wheel, &c->t_rtx, tw->net->now + tcp_ms_tsc(tw, c->rto_ms));
}

void
tcp_rtx_stop(struct fo_tcp_conn *c)
{
	c->rtx_mode = TCP_RTX_NONE;
	/* stopped, not unlinked: the next send re-arms it with a store */
	fo_timer_stop(&c->tw->wheel, &c->t_rtx);
}

void
tcp_persist_arm(struct fo_tcp_conn *c)
{
	struct fo_tcp_worker *tw = c->tw;
	uint64_t ms = (uint64_t)RTE_MAX(c->rto_ms, tw->cfg.rto_min_ms) << RTE_MIN(c->rtx_count, 20);

	if (ms > tw->cfg.rto_max_ms)
		ms = tw->cfg.rto_max_ms;
	c->rtx_mode = TCP_RTX_PERSIST;
	fo_timer_arm(&tw->wheel, &c->t_rtx, tw->net->now + tcp_ms_tsc(tw, ms));
}

void
tcp_keep_arm(struct fo_tcp_conn *c, enum tcp_keep_mode mode, uint32_t ms)
{
	struct fo_tcp_worker *tw = c->tw;

	c->keep_mode = (uint8_t)mode;
	fo_timer_arm(&tw->wheel, &c->t_keep, tw->net->now + tcp_ms_tsc(tw, ms));
}

void
tcp_keepalive_start(struct fo_tcp_conn *c)
{
	struct fo_tcp_worker *tw = c->tw;

	if (c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT)
		tcp_keep_arm(c, TCP_KEEP_ALIVE, tw->cfg.keepalive_ms);
}

static void
tcp_backoff(struct fo_tcp_conn *c)
{
	uint32_t max = c->tw->cfg.rto_max_ms;

	c->rto_ms = c->rto_ms >= max / 2 ? max : c->rto_ms * 2;
}

static void
tcp_rtx_fire(struct fo_timer *t)
{
	struct fo_tcp_conn *c = container_of(t, struct fo_tcp_conn, t_rtx);
	struct fo_tcp_worker *tw = c->tw;
	uint8_t mode = c->rtx_mode;

	c->rtx_mode = TCP_RTX_NONE;
	if (c->state == TCP_CLOSED)
		return;
	if (mode == TCP_RTX_RETRANSMIT) {
		/* no answer: the peer may have moved (a rescheduled pod on another
		 * MAC): have its next hop checked (at most every retry interval per
		 * neighbour), and resend at once if it turns out to have a new MAC */
		fo_net_neigh_suspect(tw->net, c->key.raddr);
		tcp_nwait_add(c);
	}
	if (c->state == TCP_SYN_SENT || c->state == TCP_SYN_RECEIVED) {
		if (c->rtx_count >= tw->cfg.syn_retries) {
			tw->stats.timeouts++;
			tcp_conn_drop(c, FO_TCP_CLOSE_TIMEOUT);
			return;
		}
		c->rtx_count++;
		tcp_backoff(c);
		tw->stats.retransmits++;
		if (tcp_send_syn(c) == -EHOSTUNREACH && c->state == TCP_SYN_SENT) {
			tcp_conn_drop(c, FO_TCP_CLOSE_UNREACHABLE);
			return;
		}
		tcp_rtx_arm(c);
		return;
	}
	if (mode == TCP_RTX_PERSIST) {
		if (c->snd_wnd != 0 || c->snd.bytes == 0) {
			tcp_output(c);
			return;
		}
		tcp_send_probe(c);
		tw->stats.zero_window_probes++;
		if (c->rtx_count < 30)
			c->rtx_count++;
		tcp_persist_arm(c);
		return;
	}
	if (c->snd_una == c->snd_max)
		return; /* everything was acknowledged meanwhile */
	if (c->rtx_count >= tw->cfg.max_retries) {
		tw->stats.timeouts++;
		tcp_conn_drop(c, FO_TCP_CLOSE_TIMEOUT);
		return;
	}
	c->rtx_count++;
	tw->stats.rto_fired++;
	tcp_backoff(c);
	tcp_cc_rto(c);
	tcp_output(c);
	if (c->state != TCP_CLOSED && !fo_timer_armed(&c->t_rtx))
		tcp_rtx_arm(c);
}

static void
tcp_delack_fire(struct fo_timer *t)
{
	struct fo_tcp_conn *c = container_of(t, struct fo_tcp_conn, t_delack);

	if (c->state == TCP_CLOSED || c->state == TCP_SYN_SENT)
		return;
	tcp_send_ack(c);
}

static void
tcp_keep_fire(struct fo_timer *t)
{
	struct fo_tcp_conn *c = container_of(t, struct fo_tcp_conn, t_keep);
	struct fo_tcp_worker *tw = c->tw;
	uint8_t mode = c->keep_mode;
	uint64_t idle, ka;

	c->keep_mode = TCP_KEEP_NONE;
	if (c->state == TCP_CLOSED)
		return;
	switch (mode) {
	case TCP_KEEP_TIME_WAIT:
		tcp_conn_end_normal(c);
		return;
	case TCP_KEEP_FIN_WAIT2:
		/* orphaned and the peer never closed: give up, as Linux does */
		tcp_send_rst(c);
		tw->stats.timeouts++;
		tcp_conn_free(c);
		return;
	case TCP_KEEP_ALIVE:
		if (c->state != TCP_ESTABLISHED && c->state != TCP_CLOSE_WAIT)
			return;
		ka = tcp_ms_tsc(tw, tw->cfg.keepalive_ms);
		idle = tw->net->now - c->last_rx_tsc;
		if (c->probes == 0 && idle < ka) {
			c->keep_mode = TCP_KEEP_ALIVE;
			fo_timer_arm(&tw->wheel, &c->t_keep, c->last_rx_tsc + ka);
			return;
		}
		if (c->probes >= tw->cfg.keepalive_probes) {
			tw->stats.timeouts++;
			tcp_conn_drop(c, FO_TCP_CLOSE_TIMEOUT);
			return;
		}
		tcp_send_probe(c);
		c->probes++;
		tw->stats.keepalive_probes++;
		tcp_keep_arm(c, TCP_KEEP_ALIVE, tw->cfg.keepalive_intvl_ms);
		return;
	default:
		return;
	}
}
