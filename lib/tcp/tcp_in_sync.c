/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Input in the synchronized states and SYN_RECEIVED (RFC 9293 3.10.7.4):
 * PAWS, sequence acceptability, RST and SYN with the RFC 5961 checks
 * (challenge ACKs), ACK processing (send queue, RTT, congestion control,
 * window updates, SACK), in-order and out-of-order data, FIN.
 */
#include <errno.h>

#include "tcp_priv.h"

static void
tcp_ack_soon(struct fo_tcp_conn *c)
{
	c->ack_now = 1;
	tcp_pending_add(c);
}

/** RFC 9293 segment acceptability test against the window we advertised. */
static int
tcp_seq_acceptable(const struct fo_tcp_conn *c, const struct tcp_seg *seg)
{
	uint32_t wnd = tcp_seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	uint32_t len = seg->len + !!(seg->flags & TCP_SYN) + !!(seg->flags & TCP_FIN);

	if (len == 0) {
		if (wnd == 0)
			return seg->seq == c->rcv_nxt;
		return tcp_seq_in(seg->seq, c->rcv_nxt, c->rcv_nxt + wnd);
	}
	if (wnd == 0)
		return 0;
	return tcp_seq_in(seg->seq, c->rcv_nxt, c->rcv_nxt + wnd) ||
		tcp_seq_in(seg->seq + len - 1, c->rcv_nxt, c->rcv_nxt + wnd);
}

/** Our FIN was acknowledged: move on. @return 0, or -1 when @p c is gone. */
static int
tcp_fin_acked(struct fo_tcp_conn *c)
{
	struct fo_tcp_worker *tw = c->tw;

	switch (c->state) {
	case TCP_FIN_WAIT_1:
		tcp_set_state(c, TCP_FIN_WAIT_2);
		if (c->user_gone)
			tcp_keep_arm(c, TCP_KEEP_FIN_WAIT2, tw->cfg.fin_wait2_ms);
		return 0;
	case TCP_CLOSING:
		tcp_enter_time_wait(c);
		return c->state == TCP_CLOSED ? -1 : 0;
	case TCP_LAST_ACK:
		/* freed, or kept for the user to read what is left (a zombie) */
		tcp_conn_end_normal(c);
		return -1;
	default:
		return 0;
	}
}

/** RTT sample for an ACK that advanced SND.UNA (TSC probe, else timestamp echo). */
static void
tcp_ack_rtt(struct fo_tcp_conn *c, const struct tcp_seg *seg)
{
	struct fo_tcp_worker *tw = c->tw;

	if (c->rtt_active && tcp_seq_gt(seg->ack, c->rtt_seq)) {
		c->rtt_active = 0;
		tcp_rtt_sample(c, tcp_tsc_us(tw, tw->net->now - c->rtt_tsc));
	} else if (c->ts_ok && seg->opts.has_ts && seg->opts.tsecr != 0 && c->rtx_count > 0) {
		uint32_t ms = tcp_ts_now(tw) + c->ts_offset - seg->opts.tsecr;

		if (ms < 600000)
			tcp_rtt_sample(c, (uint64_t)ms * 1000);
	}
}

/** ACK processing. @return 0, or -1 when @p c is gone. */
static int
tcp_ack_in(struct fo_tcp_conn *c, const struct tcp_seg *seg)
{
	uint32_t snd_end = c->snd_una + c->snd.bytes, old_wnd = c->snd_wnd, wnd;
	uint32_t acked = seg->ack - c->snd_una;
	int fin_acked = 0;

	wnd = (uint32_t)seg->wnd << c->snd_wscale;
	if (tcp_seq_lt(c->snd_wl1, seg->seq) ||
		(c->snd_wl1 == seg->seq && tcp_seq_le(c->snd_wl2, seg->ack))) {
		c->snd_wnd = wnd;
		c->snd_wl1 = seg->seq;
		c->snd_wl2 = seg->ack;
		if (wnd > c->max_snd_wnd)
			c->max_snd_wnd = wnd;
		if (wnd > 0 && c->rtx_mode == TCP_RTX_PERSIST) {
			tcp_rtx_stop(c);
			c->rtx_count = 0;
		}
		if (wnd > old_wnd)
			tcp_pending_add(c);
	}
	if (c->sack_ok && seg->opts.n_sack > 0)
		tcp_sack_update(c, &seg->opts);

	if (tcp_seq_gt(seg->ack, c->snd_una)) {
		uint32_t data = RTE_MIN(acked, c->snd.bytes);

		if (c->fin_queued && tcp_seq_gt(seg->ack, snd_end))
			fin_acked = 1;
		tcp_ack_rtt(c, seg);
		tcp_sndq_ack(c->tw, &c->snd, data);
		c->snd_una = seg->ack;
		if (tcp_seq_lt(c->snd_nxt, c->snd_una))
			c->snd_nxt = c->snd_una;
		if (c->rtx_mode != TCP_RTX_PERSIST)
			c->rtx_count = 0;
		if (c->n_sacked > 0)
			tcp_sack_update(c, NULL); /* trim below the new SND.UNA */
		tcp_cc_ack(c, acked);
		if (c->snd_una == c->snd_max)
			tcp_rtx_stop(c);
		else if (!c->in_recovery)
			tcp_rtx_arm(c);
		if (!tcp_all_sent(c))
			tcp_pending_add(c); /* the window moved: more may go */
		if (fin_acked && tcp_fin_acked(c) != 0)
			return -1;
		if (tcp_writable_due(c)) {
			tcp_cb_writable(c);
			if (c->state == TCP_CLOSED)
				return -1;
		}
	} else if (seg->ack == c->snd_una && seg->len == 0 &&
		!(seg->flags & (TCP_SYN | TCP_FIN)) && c->snd_una != c->snd_max && wnd == old_wnd) {
		tcp_cc_dupack(c);
		tcp_pending_add(c);
	}
	return 0;
}

/**
 * A segment wholly before RCV.NXT still says what the peer received: take
 * its ACK field when it moves SND.UNA (BSD does, for duplicate data; Linux
 * accepts segments ending at or after the last window edge it advertised).
 * Without this, two ends that both rewound SND.NXT to SND.UNA after an RTO
 * refuse each other's pure ACKs and retransmissions, ACKs included, and
 * lose the connection to the retransmission timeout. The ACK passes the
 * same RFC 5961 test as any other (it must acknowledge data we sent), the
 * segment must end within the largest window we can advertise below
 * RCV.NXT, and an old segment never updates the send window (SND.WL1) nor
 * counts as a duplicate ACK. @return -1 when @p c is gone, else 0.
 */
static int
tcp_old_ack_in(struct fo_tcp_conn *c, const struct tcp_seg *seg)
{
	uint32_t len = seg->len + !!(seg->flags & TCP_SYN) + !!(seg->flags & TCP_FIN);
	uint32_t end = seg->seq + len;

	if (!(seg->flags & TCP_ACK) || (seg->flags & TCP_SYN) || c->state == TCP_SYN_RECEIVED)
		return 0;
	if (tcp_seq_gt(end, c->rcv_nxt) || c->rcv_nxt - end > (65535u << c->rcv_wscale))
		return 0;
	if (!tcp_seq_gt(seg->ack, c->snd_una) || tcp_seq_gt(seg->ack, c->snd_max))
		return 0;
	c->tw->stats.old_acks++;
	return tcp_ack_in(c, seg);
}

/** Our next state on an in-order FIN. */
static unsigned
tcp_fin_next_state(const struct fo_tcp_conn *c)
{
	switch (c->state) {
	case TCP_SYN_RECEIVED:
	case TCP_ESTABLISHED:
		return TCP_CLOSE_WAIT;
	case TCP_FIN_WAIT_1:
		return c->snd_una == c->snd_max ? TCP_TIME_WAIT : TCP_CLOSING;
	case TCP_FIN_WAIT_2:
		return TCP_TIME_WAIT;
	default:
		return c->state;
	}
}

/**
 * Queue the payload of @p seg (in order or not). @return 1 when the FIN
 * is now in order, else 0. Consumes seg->m.
 */
static int
tcp_data_in(struct fo_tcp_conn *c, struct tcp_seg *seg, int *new_data)
{
	struct fo_tcp_worker *tw = c->tw;
	struct rte_mbuf *p;
	uint32_t seq = seg->seq, len = seg->len, end;
	int fin = !!(seg->flags & TCP_FIN);

	p = tcp_mbuf_cut_front(seg->m, seg->hdr_len);
	seg->m = NULL;
	if (tcp_seq_lt(seq, c->rcv_nxt)) {
		uint32_t cut = c->rcv_nxt - seq;

		if (cut >= len) {
			rte_pktmbuf_free(p);
			tcp_ack_soon(c);
			return fin && seq + len == c->rcv_nxt;
		}
		p = tcp_mbuf_cut_front(p, cut);
		seq = c->rcv_nxt;
		len -= cut;
	}
	end = tcp_seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv : c->rcv_nxt;
	if (tcp_seq_gt(seq + len, end)) {
		len = end - seq;
		p = tcp_mbuf_keep(p, len);
		fin = 0;
		tcp_ack_soon(c);
		if (len == 0) {
			tw->stats.drop[tcp_rcvbuf_full]++;
			return 0;
		}
	}
	if (tcp_over_budget(tw) && (seq != c->rcv_nxt || c->rcv.bytes > 0)) {
		/*
		 * The worker holds too many mbufs: keep the pool for the NIC.
		 * Out of order: not queued (the duplicate ACK still goes).
		 * In order, while the user has not read what is queued: not
		 * even acknowledged, the peer retransmits it later. A reader
		 * with an empty queue still gets its data (progress).
		 */
		rte_pktmbuf_free(p);
		tw->stats.drop[tcp_mem_pressure]++;
		if (seq != c->rcv_nxt)
			tcp_ack_soon(c);
		return 0;
	}
	if (seq != c->rcv_nxt) {
		if (tcp_ooo_insert(c, p, seq, len, fin) != 0)
			tw->stats.drop[tcp_ooo_full]++;
		tcp_ack_soon(c); /* duplicate ACK (with SACK) right away */
		return 0;
	}
	tcp_rcvq_append(tw, &c->rcv, p, len);
	c->rcv_nxt += len;
	tw->stats.bytes_rx += len;
	*new_data = 1;
	if (c->n_ooo > 0) {
		fin |= tcp_ooo_pull(c);
		tcp_ack_soon(c); /* a hole filled: tell the sender at once */
		return fin;
	}
	if (len >= c->mss)
		c->delack_segs++;
	if (c->delack_segs >= 2 || fin)
		tcp_ack_soon(c);
	else
		tcp_delack_arm(c);
	return fin;
}

/** The handshake's final ACK in SYN_RECEIVED. @return 0, or -1 when @p c is gone. */
static int
tcp_syn_received_ack(struct fo_tcp_conn *c, struct tcp_seg *seg)
{
	struct fo_tcp_worker *tw = c->tw;

	if (!tcp_seq_gt(seg->ack, c->snd_una) || tcp_seq_gt(seg->ack, c->snd_max)) {
		tcp_send_rst_reply(tw, seg);
		tcp_seg_drop(tw, seg, tcp_bad_ack);
		return -1;
	}
	if (c->rtt_active && c->rtx_count == 0)
		tcp_rtt_sample(c, tcp_tsc_us(tw, tw->net->now - c->rtt_tsc));
	c->rtt_active = 0;
	c->rtx_count = 0;
	tcp_rtx_stop(c);
	c->snd_una = seg->ack;
	if (tcp_seq_lt(c->snd_nxt, c->snd_una))
		c->snd_nxt = c->snd_una;
	c->snd_wnd = (uint32_t)seg->wnd << c->snd_wscale;
	c->max_snd_wnd = c->snd_wnd;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = seg->ack;
	tcp_set_state(c, TCP_ESTABLISHED);
	tcp_cc_init(c);
	tcp_keepalive_reset(c);
	if (c->passive) {
		if (tcp_cb_accept(c) != 0 && c->state != TCP_CLOSED) {
			tcp_send_rst(c);
			tcp_conn_free(c);
		}
	} else {
		tcp_cb_connected(c);
	}
	if (c->state == TCP_CLOSED) {
		tcp_seg_drop(tw, seg, -1);
		return -1;
	}
	return 0;
}

/** After the ACK: the payload and the FIN of an acceptable segment (consumed). */
static void
tcp_input_data(struct fo_tcp_conn *c, struct tcp_seg *seg)
{
	struct fo_tcp_worker *tw = c->tw;
	int new_data = 0, fin = 0;

	if (seg->len > 0) {
		switch (c->state) {
		case TCP_ESTABLISHED:
		case TCP_FIN_WAIT_1:
		case TCP_FIN_WAIT_2:
			if (c->user_gone) {
				/* the user closed: nobody will read this (Linux answers RST) */
				tcp_send_rst(c);
				tcp_seg_drop(tw, seg, tcp_closed);
				tcp_conn_free(c);
				return;
			}
			fin = tcp_data_in(c, seg, &new_data);
			break;
		default:
			/* after the peer's FIN: nothing more can arrive */
			tcp_seg_drop(tw, seg, tcp_out_of_window);
			break;
		}
	} else {
		fin = (seg->flags & TCP_FIN) && seg->seq == c->rcv_nxt;
		tcp_seg_drop(tw, seg, -1);
	}
	if (fin && !c->fin_rcvd) {
		unsigned next = tcp_fin_next_state(c);

		c->rcv_nxt++;
		c->fin_rcvd = 1;
		tcp_ack_soon(c);
		if (next == TCP_TIME_WAIT) {
			tcp_cb_readable(c);
			if (c->state != TCP_CLOSED)
				tcp_enter_time_wait(c);
			return;
		}
		tcp_set_state(c, next);
		new_data = 1;
	}
	if (new_data)
		tcp_cb_readable(c);
}

/**
 * Header prediction (BSD's tcp_input, Linux's tcp_rcv_established): the
 * segment nearly every exchange brings, in order, ACK (and PSH) only, the
 * window unchanged, nothing out of order or SACKed, no loss recovery, no
 * FIN of ours queued. Exactly what the general path would do for it, with
 * its tests left out (tests/unit/test_tcp_fast.c holds the two side by
 * side). @return 0 when @p seg is not such a segment (nothing changed).
 */
static inline int
tcp_input_fast(struct fo_tcp_conn *c, struct tcp_seg *seg)
{
	struct fo_tcp_worker *tw = c->tw;
	const struct tcp_opts *o = &seg->opts;
	uint32_t len = seg->len, acked = seg->ack - c->snd_una;

	if (c->state != TCP_ESTABLISHED || (seg->flags & (uint8_t)~TCP_PSH) != TCP_ACK ||
		seg->seq != c->rcv_nxt || tw->no_fast_path)
		return 0;
	if (o->n_sack != 0 || c->n_sacked != 0 || c->n_ooo != 0 || c->fin_queued ||
		c->in_recovery || c->rtx_mode == TCP_RTX_PERSIST)
		return 0;
	/* PAWS would refuse it */
	if (c->ts_ok && o->has_ts && tcp_seq_lt(o->tsval, c->ts_recent))
		return 0;
	if (((uint32_t)seg->wnd << c->snd_wscale) != c->snd_wnd)
		return 0;
	/* new data acknowledged (within SND.MAX), or data that acknowledges nothing new */
	if (acked == 0 ? len == 0 : (int32_t)acked < 0 || tcp_seq_gt(seg->ack, c->snd_max))
		return 0;
	/* the payload fits the window we advertised: no trim */
	if (len > 0 &&
		(!tcp_seq_gt(c->rcv_adv, c->rcv_nxt) || tcp_seq_gt(seg->seq + len, c->rcv_adv)))
		return 0;

	tw->fast_path_segs++;
	if (c->ts_ok && o->has_ts && tcp_seq_le(seg->seq, c->last_ack_sent))
		c->ts_recent = o->tsval;
	tcp_keepalive_reset(c);
	if (tcp_seq_lt(c->snd_wl1, seg->seq) ||
		(c->snd_wl1 == seg->seq && tcp_seq_le(c->snd_wl2, seg->ack))) {
		c->snd_wl1 = seg->seq;
		c->snd_wl2 = seg->ack;
		if (c->snd_wnd > c->max_snd_wnd)
			c->max_snd_wnd = c->snd_wnd;
	}
	if (acked != 0) {
		tcp_ack_rtt(c, seg);
		tcp_sndq_ack(tw, &c->snd, RTE_MIN(acked, c->snd.bytes));
		c->snd_una = seg->ack;
		if (tcp_seq_lt(c->snd_nxt, c->snd_una))
			c->snd_nxt = c->snd_una;
		c->rtx_count = 0;
		tcp_cc_ack(c, acked);
		if (c->snd_una == c->snd_max)
			tcp_rtx_stop(c);
		else
			tcp_rtx_arm(c);
		if (!tcp_all_sent(c))
			tcp_pending_add(c);
		if (tcp_writable_due(c)) {
			tcp_cb_writable(c);
			if (c->state == TCP_CLOSED) {
				tcp_seg_drop(tw, seg, -1);
				return 1;
			}
		}
	}
	if (len == 0) {
		tcp_seg_drop(tw, seg, -1);
		return 1;
	}
	/* the writable callback may have closed, sent (moving RCV.ADV) or filled the budget */
	if (c->state != TCP_ESTABLISHED || c->user_gone || tcp_seq_gt(seg->seq + len, c->rcv_adv) ||
		(tcp_over_budget(tw) && c->rcv.bytes > 0)) {
		tcp_input_data(c, seg);
		return 1;
	}
	tcp_rcvq_append(tw, &c->rcv, tcp_mbuf_cut_front(seg->m, seg->hdr_len), len);
	seg->m = NULL;
	c->rcv_nxt += len;
	tw->stats.bytes_rx += len;
	if (len >= c->mss)
		c->delack_segs++;
	if (c->delack_segs >= 2)
		tcp_ack_soon(c);
	else
		tcp_delack_arm(c);
	tcp_cb_readable(c);
	return 1;
}

void
tcp_input_sync(struct fo_tcp_conn *c, struct tcp_seg *seg)
{
	struct fo_tcp_worker *tw = c->tw;
	const struct tcp_opts *o = &seg->opts;

	if (tcp_input_fast(c, seg))
		return;

	/* SYN in a synchronized state: challenge ACK whatever its sequence (RFC 5961 4) */
	if (seg->flags & TCP_SYN) {
		/* simultaneous open: the peer's SYN-ACK completes our SYN_RECEIVED (as Linux) */
		if (c->state == TCP_SYN_RECEIVED && !c->passive && (seg->flags & TCP_ACK) &&
			seg->seq + 1 == c->rcv_nxt && seg->ack == c->snd_nxt) {
			seg->flags &= (uint8_t)~TCP_SYN;
			seg->seq++;
			tcp_input_sync(c, seg);
			return;
		}
		if (c->state == TCP_SYN_RECEIVED && seg->seq == c->irs && !(seg->flags & TCP_ACK)) {
			tcp_send_syn(c); /* our SYN-ACK was lost */
			tcp_seg_drop(tw, seg, tcp_out_of_window);
			return;
		}
		tcp_send_challenge_ack(c);
		tcp_seg_drop(tw, seg, tcp_rst_challenge);
		return;
	}
	/* PAWS (RFC 7323 5) */
	if (c->ts_ok && o->has_ts && !(seg->flags & TCP_RST) && tcp_seq_lt(o->tsval, c->ts_recent)) {
		tcp_ack_soon(c);
		tcp_seg_drop(tw, seg, tcp_paws);
		return;
	}
	if (!tcp_seq_acceptable(c, seg)) {
		if (seg->flags & TCP_RST) {
			tcp_seg_drop(tw, seg, tcp_rst_ignored);
			return;
		}
		tcp_ack_soon(c);
		if (tcp_old_ack_in(c, seg) != 0) {
			tcp_seg_drop(tw, seg, -1);
			return;
		}
		tcp_seg_drop(tw, seg, tcp_out_of_window);
		return;
	}
	if (seg->flags & TCP_RST) {
		if (seg->seq != c->rcv_nxt) {
			tcp_send_challenge_ack(c);
			tcp_seg_drop(tw, seg, tcp_rst_challenge);
			return;
		}
		tw->stats.resets_rx++;
		tcp_seg_drop(tw, seg, -1);
		c->reset = 1;
		tcp_conn_drop(c, FO_TCP_CLOSE_RESET);
		return;
	}
	if (!(seg->flags & TCP_ACK)) {
		tcp_seg_drop(tw, seg, tcp_no_ack);
		return;
	}
	if (c->ts_ok && o->has_ts && tcp_seq_le(seg->seq, c->last_ack_sent))
		c->ts_recent = o->tsval;
	tcp_keepalive_reset(c);
	if (c->state == TCP_SYN_RECEIVED && tcp_syn_received_ack(c, seg) != 0)
		return;
	/* RFC 5961 5.2: acceptable ACKs lie in [SND.UNA - MAX.SND.WND, SND.MAX] */
	if (tcp_seq_gt(seg->ack, c->snd_max) ||
		tcp_seq_lt(seg->ack, c->snd_una - RTE_MAX(c->max_snd_wnd, 1u))) {
		tcp_ack_soon(c);
		tcp_seg_drop(tw, seg, tcp_bad_ack);
		return;
	}
	if (tcp_ack_in(c, seg) != 0) {
		tcp_seg_drop(tw, seg, -1);
		return;
	}
	tcp_input_data(c, seg);
}
