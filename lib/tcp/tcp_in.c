/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Segment input: validation (lengths, checksum, options, flags), demux to
 * a connection or a listener, and the states without a synchronized peer:
 * LISTEN (SYN -> SYN_RECEIVED or a SYN cookie; cookie ACKs), SYN_SENT
 * (active and simultaneous open) and TIME_WAIT (RFC 1337, reuse by a new
 * SYN). Synchronized states are in tcp_in_sync.c.
 */
#include <errno.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#include "tcp_priv.h"

void
tcp_seg_drop(struct fo_tcp_worker *tw, struct tcp_seg *seg, int reason)
{
	if (reason >= 0)
		tw->stats.drop[reason]++;
	rte_pktmbuf_free(seg->m);
	seg->m = NULL;
}

/** @return -1 when valid (seg filled), else the drop reason. */
static int
tcp_parse(struct rte_mbuf *m, struct tcp_seg *seg)
{
	struct rte_ipv4_hdr iph_buf;
	const struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr th_buf;
	const struct rte_tcp_hdr *th;
	uint8_t obuf[40];
	const uint8_t *op;
	uint32_t l2 = m->l2_len, l3 = m->l3_len, doff, tlen;
	uint64_t ck;
	uint8_t fl;

	if (l3 < sizeof(*ip) || rte_pktmbuf_pkt_len(m) < l2 + l3 + sizeof(*th))
		return tcp_truncated;
	ip = rte_pktmbuf_read(m, l2, sizeof(*ip), &iph_buf);
	th = rte_pktmbuf_read(m, l2 + l3, sizeof(*th), &th_buf);
	if (ip == NULL || th == NULL)
		return tcp_truncated;
	tlen = rte_pktmbuf_pkt_len(m) - l2 - l3;
	doff = (uint32_t)(th->data_off >> 4) * 4;
	if (doff < sizeof(*th) || doff > tlen)
		return tcp_bad_off;

	ck = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	if (ck == RTE_MBUF_F_RX_L4_CKSUM_BAD) {
		return tcp_bad_cksum;
	} else if (ck != RTE_MBUF_F_RX_L4_CKSUM_GOOD) {
		struct rte_ipv4_hdr ph = *ip;
		uint16_t raw;
		uint32_t sum;

		/* pseudo header over the TCP length we actually hold */
		ph.total_length = rte_cpu_to_be_16((uint16_t)(tlen + l3));
		ph.version_ihl = (uint8_t)(0x40 | (l3 / 4));
		if (fo_net_cksum_chain(m, l2 + l3, tlen, &raw) != 0)
			return tcp_truncated;
		sum = (uint32_t)rte_ipv4_phdr_cksum(&ph, 0) + raw;
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		if (sum != 0xffff)
			return tcp_bad_cksum;
	}
	if (doff > sizeof(*th)) {
		op = rte_pktmbuf_read(m, l2 + l3 + sizeof(*th), doff - sizeof(*th), obuf);
		if (op == NULL)
			return tcp_bad_option;
		if (doff == sizeof(*th) + 12 && tcp_opts_ts_only(op, &seg->opts))
			; /* the timestamps alone: tcp_opts_parse()'s fast path, without the call */
		else if (tcp_opts_parse(op, doff - sizeof(*th), &seg->opts) != 0)
			return tcp_bad_option;
	} else {
		memset(&seg->opts, 0, sizeof(seg->opts));
	}
	fl = th->tcp_flags & (TCP_FIN | TCP_SYN | TCP_RST | TCP_PSH | TCP_ACK | TCP_URG);
	if ((fl & TCP_SYN) && (fl & (TCP_FIN | TCP_RST)))
		return tcp_bad_flags;
	if (!(fl & (TCP_SYN | TCP_ACK | TCP_RST)))
		return tcp_bad_flags;
	if (th->src_port == 0 || th->dst_port == 0)
		return tcp_bad_flags;
	seg->m = m;
	seg->key.laddr = ip->dst_addr;
	seg->key.raddr = ip->src_addr;
	seg->key.lport = th->dst_port;
	seg->key.rport = th->src_port;
	seg->seq = rte_be_to_cpu_32(th->sent_seq);
	seg->ack = rte_be_to_cpu_32(th->recv_ack);
	seg->wnd = rte_be_to_cpu_16(th->rx_win);
	seg->flags = fl;
	seg->hdr_len = l2 + l3 + doff;
	seg->len = tlen - doff;
	return -1;
}

/** A new connection from a SYN (or a cookie ACK) to listener @p l. */
static struct fo_tcp_conn *
tcp_conn_passive(struct fo_tcp_worker *tw, const struct tcp_listener *l, const struct tcp_seg *seg,
	uint32_t iss, uint32_t irs)
{
	struct fo_tcp_conn *c = tcp_conn_alloc(tw);

	if (c == NULL)
		return NULL;
	c->key = seg->key;
	c->passive = 1;
	c->ops = l->ops;
	c->listen_arg = l->arg;
	c->iss = iss;
	tcp_conn_init_params(c);
	c->irs = irs;
	c->rcv_nxt = irs + 1;
	c->ts_offset = tcp_ts_offset(tw, &c->key);
	c->snd_wl1 = irs;
	c->snd_wl2 = iss;
	tcp_flow_insert(tw, c);
	return c;
}

static void
tcp_syn_cookie_reply(struct fo_tcp_worker *tw, const struct tcp_seg *seg)
{
	const struct tcp_opts *o = &seg->opts;
	uint16_t our = tcp_our_mss(tw, seg->key.raddr), mss = o->has_mss ? o->mss : TCP_DEFAULT_MSS;
	int ts = o->has_ts, ws = o->has_ws && ts, sack = o->sack_ok && ts;
	uint32_t iss, tsval = 0;
	uint8_t opts[40];
	unsigned n;

	iss = tcp_syncookie_make(&tw->ck, seg->key.raddr, seg->key.laddr, seg->key.rport,
		seg->key.lport, seg->seq, RTE_MIN(mss, our), tcp_now_s(tw), NULL);
	if (ts)
		tsval = tcp_syncookie_ts_encode(tcp_ts_now(tw) + tcp_ts_offset(tw, &seg->key),
			ws ? o->wscale : TCP_SYNCOOKIE_NO_WSCALE, sack);
	n = tcp_opts_build_syn(opts, our, ws, tcp_worker_wscale(tw), sack, ts, tsval, o->tsval);
	tw->stats.syncookies_sent++;
	tw->cookie_sent = 1;
	tw->cookie_last_s = tcp_now_s(tw);
	tcp_emit(tw, &seg->key, iss, seg->seq + 1, TCP_SYN | TCP_ACK,
		(uint16_t)RTE_MIN(tw->cfg.rcvbuf, 0xffffu), opts, n, NULL, 0);
}

/** ACK to a listener: the end of a cookie handshake, or junk. */
static void
tcp_listen_ack(struct fo_tcp_worker *tw, const struct tcp_listener *l, struct tcp_seg *seg)
{
	const struct tcp_opts *o = &seg->opts;
	struct fo_tcp_conn *c;
	uint16_t mss;
	uint8_t ws = TCP_SYNCOOKIE_NO_WSCALE;
	int sack = 0;

	if (seg->flags & TCP_SYN) {
		tcp_send_rst_reply(tw, seg);
		tcp_seg_drop(tw, seg, tcp_bad_ack);
		return;
	}
	/* no cookie out that could still be valid: not a cookie, a stray (RFC 9293: RST) */
	if (!tw->cookie_sent ||
		tcp_now_s(tw) - tw->cookie_last_s > TCP_SYNCOOKIE_PERIOD_S * TCP_SYNCOOKIE_MAX_AGE) {
		tcp_send_rst_reply(tw, seg);
		tcp_seg_drop(tw, seg, tcp_no_conn);
		return;
	}
	if (tcp_syncookie_check(&tw->ck, seg->key.raddr, seg->key.laddr, seg->key.rport,
			seg->key.lport, seg->seq - 1, seg->ack - 1, tcp_now_s(tw), &mss) != 0 ||
		(o->has_ts && tcp_syncookie_ts_decode(o->tsecr, &ws, &sack) != 0)) {
		tcp_send_rst_reply(tw, seg);
		tcp_seg_drop(tw, seg, tcp_bad_cookie);
		return;
	}
	c = tcp_conn_passive(tw, l, seg, seg->ack - 1, seg->seq - 1);
	if (c == NULL) {
		tcp_send_rst_reply(tw, seg);
		tcp_seg_drop(tw, seg, tcp_conn_limit);
		return;
	}
	c->cookie = 1;
	c->mss = RTE_MIN(mss, tcp_our_mss(tw, c->key.raddr));
	c->ts_ok = o->has_ts;
	c->ts_recent = o->tsval;
	c->ws_ok = ws != TCP_SYNCOOKIE_NO_WSCALE;
	c->snd_wscale = c->ws_ok ? ws : 0;
	c->rcv_wscale = c->ws_ok ? tcp_worker_wscale(tw) : 0;
	c->sack_ok = sack != 0;
	if (c->ts_ok)
		c->mss -= 12; /* payload per segment: the timestamps ride in every one */
	c->snd_nxt = c->snd_max = c->iss + 1;
	c->rcv_adv = c->rcv_nxt + RTE_MIN(tw->cfg.rcvbuf, 0xffffu);
	c->last_ack_sent = c->rcv_nxt;
	tcp_set_state(c, TCP_SYN_RECEIVED);
	tw->stats.syncookies_ok++;
	/* the ACK itself now completes the handshake like any other */
	tcp_input_sync(c, seg);
}

static void
tcp_input_listen(struct fo_tcp_worker *tw, struct tcp_seg *seg)
{
	const struct tcp_opts *o = &seg->opts;
	struct tcp_listener *l;
	struct fo_tcp_conn *c;
	int cookie;

	l = tcp_listener_find(tw, seg->key.laddr, rte_be_to_cpu_16(seg->key.lport));
	if (seg->flags & TCP_RST) {
		tcp_seg_drop(tw, seg, tcp_rst_ignored);
		return;
	}
	if (l == NULL) {
		tcp_send_rst_reply(tw, seg);
		tcp_seg_drop(tw, seg, tcp_no_listener);
		return;
	}
	if (seg->flags & TCP_ACK) {
		tcp_listen_ack(tw, l, seg);
		return;
	}
	if (!(seg->flags & TCP_SYN)) {
		tcp_seg_drop(tw, seg, tcp_no_ack);
		return;
	}
	if (tw->free_list == NULL && tw->tw_head == NULL) {
		tcp_send_rst_reply(tw, seg);
		tcp_seg_drop(tw, seg, tcp_conn_limit);
		return;
	}
	cookie = tw->cfg.syncookies == FO_TCP_SYNCOOKIES_ALWAYS;
	if (tw->stats.half_open >= tw->cfg.max_half_open) {
		if (tw->cfg.syncookies == FO_TCP_SYNCOOKIES_OFF) {
			tcp_seg_drop(tw, seg, tcp_syn_overflow);
			return;
		}
		cookie = 1;
	}
	if (cookie) {
		tcp_syn_cookie_reply(tw, seg);
		tcp_seg_drop(tw, seg, -1);
		return;
	}
	c = tcp_conn_passive(tw, l, seg,
		tcp_secure_isn(&tw->ck, seg->key.raddr, seg->key.laddr, seg->key.rport,
			seg->key.lport, tcp_tsc_us(tw, tw->net->now)),
		seg->seq);
	if (c == NULL) {
		tcp_send_rst_reply(tw, seg);
		tcp_seg_drop(tw, seg, tcp_conn_limit);
		return;
	}
	c->mss = RTE_MIN(o->has_mss ? o->mss : TCP_DEFAULT_MSS, tcp_our_mss(tw, c->key.raddr));
	if (c->mss < 64)
		c->mss = 64;
	c->ws_ok = o->has_ws;
	c->snd_wscale = o->has_ws ? o->wscale : 0;
	c->rcv_wscale = o->has_ws ? tcp_worker_wscale(tw) : 0;
	c->ts_ok = o->has_ts;
	c->ts_recent = o->tsval;
	c->sack_ok = o->sack_ok;
	if (c->ts_ok)
		c->mss -= 12;
	c->snd_wnd = seg->wnd; /* never scaled in a SYN */
	c->max_snd_wnd = c->snd_wnd;
	tcp_set_state(c, TCP_SYN_RECEIVED);
	c->rtt_active = 1;
	c->rtt_seq = c->iss;
	c->rtt_tsc = tw->net->now;
	tcp_send_syn(c);
	tcp_rtx_arm(c);
	tcp_seg_drop(tw, seg, -1);
}

static void
tcp_input_syn_sent(struct fo_tcp_conn *c, struct tcp_seg *seg)
{
	struct fo_tcp_worker *tw = c->tw;
	const struct tcp_opts *o = &seg->opts;

	if ((seg->flags & TCP_ACK) &&
		(tcp_seq_le(seg->ack, c->iss) || tcp_seq_gt(seg->ack, c->snd_max))) {
		tcp_send_rst_reply(tw, seg);
		tcp_seg_drop(tw, seg, tcp_bad_ack);
		/* the peer holds a stale connection on this tuple (one a previous
		 * run left open) and answered our SYN with its ACK: our RST clears
		 * it, so the SYN goes again right behind it rather than at the RTO;
		 * once per connection, so no stream of bad ACKs turns into SYNs */
		if (!(seg->flags & TCP_RST) && !c->stale_resyn) {
			c->stale_resyn = 1;
			tw->stats.retransmits++;
			tw->stats.syn_after_stale++;
			tcp_emitted(c, tcp_send_syn(c));
		}
		return;
	}
	if (seg->flags & TCP_RST) {
		if (!(seg->flags & TCP_ACK)) {
			tcp_seg_drop(tw, seg, tcp_rst_ignored);
			return;
		}
		tw->stats.resets_rx++;
		tcp_seg_drop(tw, seg, -1);
		c->reset = 1;
		tcp_conn_drop(c, FO_TCP_CLOSE_REFUSED);
		return;
	}
	if (!(seg->flags & TCP_SYN)) {
		tcp_seg_drop(tw, seg, tcp_no_ack);
		return;
	}
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	/* our SYN's window counts from here: rcv_adv was set while rcv_nxt was unknown */
	c->rcv_adv = c->rcv_nxt + RTE_MIN(tcp_rcv_space(c), 0xffffu);
	c->mss = RTE_MIN(o->has_mss ? o->mss : TCP_DEFAULT_MSS, tcp_our_mss(tw, c->key.raddr));
	if (c->mss < 64)
		c->mss = 64;
	c->ws_ok = o->has_ws;
	c->snd_wscale = o->has_ws ? o->wscale : 0;
	if (!o->has_ws)
		c->rcv_wscale = 0;
	c->ts_ok = o->has_ts;
	c->ts_recent = o->tsval;
	c->sack_ok = o->sack_ok;
	if (c->ts_ok)
		c->mss -= 12;
	c->snd_wnd = seg->wnd;
	c->max_snd_wnd = c->snd_wnd;
	c->snd_wl1 = seg->seq;
	c->last_ack_sent = c->rcv_nxt;
	if (!(seg->flags & TCP_ACK)) {
		/* simultaneous open */
		tcp_set_state(c, TCP_SYN_RECEIVED);
		c->snd_wl2 = c->iss;
		tcp_send_syn(c);
		tcp_rtx_arm(c);
		tcp_seg_drop(tw, seg, -1);
		return;
	}
	c->snd_una = seg->ack;
	c->snd_wl2 = seg->ack;
	if (tcp_seq_lt(c->snd_nxt, c->snd_una))
		c->snd_nxt = c->snd_una;
	if (c->rtx_count == 0)
		tcp_rtt_sample(c, tcp_tsc_us(tw, tw->net->now - c->rtt_tsc));
	c->rtt_active = 0;
	c->rtx_count = 0;
	tcp_rtx_stop(c);
	tcp_set_state(c, TCP_ESTABLISHED);
	tcp_cc_init(c);
	tcp_keepalive_reset(c);
	c->ack_now = 1;
	tcp_pending_add(c);
	tcp_cb_connected(c);
	if (c->state == TCP_CLOSED || (seg->len == 0 && !(seg->flags & TCP_FIN))) {
		tcp_seg_drop(tw, seg, -1);
		return;
	}
	/* data (or FIN) on the SYN-ACK: process it as if it came after */
	seg->flags &= (uint8_t)~TCP_SYN;
	seg->seq++;
	tcp_input_sync(c, seg);
}

int
tcp_input_time_wait(struct fo_tcp_conn *c, struct tcp_seg *seg)
{
	struct fo_tcp_worker *tw = c->tw;
	const struct tcp_opts *o = &seg->opts;

	if (seg->flags & TCP_RST) {
		/* RFC 1337: no assassination of TIME_WAIT */
		tcp_seg_drop(tw, seg, tcp_rst_ignored);
		return 0;
	}
	if ((seg->flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
		if ((c->ts_ok && o->has_ts && tcp_seq_gt(o->tsval, c->ts_recent)) ||
			tcp_seq_gt(seg->seq, c->rcv_nxt)) {
			tw->stats.time_wait_reused++;
			tcp_conn_end_normal(c); /* out of the flow table either way */
			return 1;
		}
	}
	/* a retransmitted FIN (our ACK was lost) or anything else: ACK, restart 2MSL on FIN */
	if (seg->flags & TCP_FIN)
		tcp_keep_arm(c, TCP_KEEP_TIME_WAIT, tw->cfg.time_wait_ms);
	c->tw_tsc = tw->net->now; /* this ACK carries a newer TSval: reuse waits again */
	tcp_send_ack(c);
	tcp_seg_drop(tw, seg, tcp_out_of_window);
	return 0;
}

void
tcp_input_one(struct fo_tcp_worker *tw, struct rte_mbuf *m)
{
	struct tcp_seg seg;
	struct fo_tcp_conn *c;
	int r;

	tw->stats.seg_rx++;
	r = tcp_parse(m, &seg);
	if (r >= 0) {
		tw->stats.drop[r]++;
		rte_pktmbuf_free(m);
		return;
	}
	c = tcp_flow_lookup(tw, &seg.key);
	if (c != NULL) {
		switch (c->state) {
		case TCP_TIME_WAIT:
			if (tcp_input_time_wait(c, &seg) == 0)
				return;
			break; /* reused: on to the listener */
		case TCP_SYN_SENT:
			tcp_input_syn_sent(c, &seg);
			return;
		default:
			tcp_input_sync(c, &seg);
			return;
		}
	}
	tcp_input_listen(tw, &seg);
}
