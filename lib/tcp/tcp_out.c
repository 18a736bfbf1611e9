/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Segment output: a header mbuf (IPv4 + TCP + options) from the pool,
 * followed by the payload from the send queue (a queued segment itself, or
 * indirect mbufs over it: tcp_sndbuf.c); the TCP checksum is left
 * to lib/net (RTE_MBUF_F_TX_TCP_CKSUM: NIC or software). Also: window
 * advertisement, ACK/RST/SYN generation, the send loop honouring the
 * congestion and peer windows, and the list of connections owing output.
 */
#include <errno.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#include "tcp_priv.h"

unsigned
tcp_tx_room(const struct fo_tcp_worker *tw)
{
	const struct fo_net_worker *net = tw->net;
	unsigned used = 0, any = 0;
	uint16_t p;

	/* the fullest configured queue: a plain max, cheaper than a min of differences */
	for (p = 0; p < net->n_ports; p++) {
		if (!net->ifaces[p].configured)
			continue;
		any = 1;
		if (net->txq[p].n > used)
			used = net->txq[p].n;
	}
	return any ? (unsigned)FO_ARRAY_SIZE(net->txq[0].pkts) - used : 0;
}

/**
 * A header mbuf with room for @p room bytes, or NULL (counted; @p payload
 * freed). rte_pktmbuf_alloc() but for the fields tcp_hdr_send() writes
 * anyway (lengths, ol_flags, tx_offload); a raw mbuf's next, nb_segs and
 * refcnt are reset already (rte_mbuf_raw_alloc()).
 */
static __rte_always_inline struct rte_mbuf *
tcp_hdr_alloc(struct fo_tcp_worker *tw, unsigned room, struct rte_mbuf *payload)
{
	struct rte_mbuf *h = rte_mbuf_raw_alloc(tw->pool);

	if (likely(h != NULL)) {
		h->vlan_tci = 0;
		h->vlan_tci_outer = 0;
		h->port = RTE_MBUF_PORT_INVALID;
		h->packet_type = 0;
		h->data_len = 0;
		rte_pktmbuf_reset_headroom(h);
		/* a fresh one-segment mbuf: the header starts at its data offset */
		if (likely(rte_pktmbuf_tailroom(h) >= room))
			return h;
		h->pkt_len = 0;
		h->ol_flags &= RTE_MBUF_F_EXTERNAL;
		h->tx_offload = 0;
		rte_pktmbuf_free(h);
	}
	rte_pktmbuf_free(payload);
	tcp_drop_count(tw, tcp_nombuf);
	return NULL;
}

/*
 * Fill header mbuf @p h (IPv4 + TCP + options; @p inl payload bytes
 * already copied after them) followed by @p payload (@p plen bytes,
 * chained) and send it. Inlined into the data path (tcp_send_data()):
 * a dozen arguments to pass otherwise.
 */
static __rte_always_inline int
tcp_hdr_send(struct fo_tcp_worker *tw, struct rte_mbuf *h, const struct tcp_key *k,
	struct fo_net_dst *d, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd,
	const uint8_t *opts, unsigned optlen, struct rte_mbuf *payload, uint32_t plen,
	uint32_t inl)
{
	struct fo_net_worker *net = tw->net;
	unsigned hlen = sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_tcp_hdr) + optlen;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;

	ip = rte_pktmbuf_mtod(h, struct rte_ipv4_hdr *);
	h->data_len = (uint16_t)(hlen + inl);
	h->pkt_len = hlen + inl;
	ip->version_ihl = 0x45;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(hlen + plen + inl));
	ip->packet_id = rte_cpu_to_be_16(net->ip_id++);
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->hdr_checksum = 0;
	ip->src_addr = k->laddr;
	ip->dst_addr = k->raddr;
	th = (struct rte_tcp_hdr *)(ip + 1);
	th->src_port = k->lport;
	th->dst_port = k->rport;
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = (uint8_t)(((sizeof(*th) + optlen) / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(wnd);
	th->cksum = 0;
	th->tcp_urp = 0;
	if (optlen == 12)
		memcpy(th + 1, opts, 12); /* the timestamps alone: inline stores */
	else if (optlen)
		memcpy(th + 1, opts, optlen);
	if (payload != NULL) {
		h->next = payload;
		h->nb_segs = (uint16_t)(1 + payload->nb_segs);
		h->pkt_len += plen;
	}
	h->tx_offload = rte_mbuf_tx_offload(0, sizeof(*ip), sizeof(*th) + optlen, 0, 0, 0, 0);
	h->ol_flags = (h->ol_flags & RTE_MBUF_F_EXTERNAL) | RTE_MBUF_F_TX_TCP_CKSUM;
	tw->stats.seg_tx++;
	if (flags & TCP_RST)
		tw->stats.resets_tx++;
	if (d != NULL)
		return fo_net_output_ip4_dst(net, h, d);
	return fo_net_output_ip4(net, h, k->raddr);
}

/* header mbuf and segment, payload chained */
static __rte_always_inline int
tcp_emit_inl(struct fo_tcp_worker *tw, const struct tcp_key *k, struct fo_net_dst *d, uint32_t seq,
	uint32_t ack, uint8_t flags, uint16_t wnd, const uint8_t *opts, unsigned optlen,
	struct rte_mbuf *payload, uint32_t plen)
{
	unsigned hlen = sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_tcp_hdr) + optlen;
	struct rte_mbuf *h = tcp_hdr_alloc(tw, hlen, payload);

	if (h == NULL)
		return -ENOMEM;
	return tcp_hdr_send(tw, h, k, d, seq, ack, flags, wnd, opts, optlen, payload, plen, 0);
}

int
tcp_emit(struct fo_tcp_worker *tw, const struct tcp_key *k, uint32_t seq, uint32_t ack,
	uint8_t flags, uint16_t wnd, const uint8_t *opts, unsigned optlen, struct rte_mbuf *payload,
	uint32_t plen)
{
	return tcp_emit_inl(tw, k, NULL, seq, ack, flags, wnd, opts, optlen, payload, plen);
}

/** tcp_emit() of a segment of @p c: through its cached route and next hop. */
static int
tcp_emit_conn(struct fo_tcp_conn *c, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd,
	const uint8_t *opts, unsigned optlen)
{
	return tcp_emit_inl(c->tw, &c->key, &c->dst, seq, ack, flags, wnd, opts, optlen, NULL, 0);
}

uint16_t
tcp_wnd_adv(struct fo_tcp_conn *c)
{
	uint32_t space = tcp_rcv_space(c), scaled;

	/* never move the right edge back (RFC 9293 3.8.6.2.2) */
	if (tcp_seq_lt(c->rcv_nxt + space, c->rcv_adv))
		space = c->rcv_adv - c->rcv_nxt;
	scaled = space >> c->rcv_wscale;
	if (scaled > 0xffff)
		scaled = 0xffff;
	if (tcp_seq_gt(c->rcv_nxt + (scaled << c->rcv_wscale), c->rcv_adv))
		c->rcv_adv = c->rcv_nxt + (scaled << c->rcv_wscale);
	return (uint16_t)scaled;
}

static void
tcp_acked_now(struct fo_tcp_conn *c)
{
	c->last_ack_sent = c->rcv_nxt;
	c->ack_now = 0;
	c->delack_segs = 0;
	/* stopped, not unlinked: the next segment re-arms it with a store */
	fo_timer_stop(&c->tw->wheel, &c->t_delack);
}

void
tcp_send_ack(struct fo_tcp_conn *c)
{
	uint8_t opts[40];
	unsigned n = tcp_opts_build(opts, c, 1);
	uint16_t wnd = tcp_wnd_adv(c);

	tcp_emit_conn(c, c->snd_nxt, c->rcv_nxt, TCP_ACK, wnd, opts, n);
	tcp_acked_now(c);
}

void
tcp_send_challenge_ack(struct fo_tcp_conn *c)
{
	struct fo_tcp_worker *tw = c->tw;
	uint64_t sec = tcp_now_s(tw);

	if (sec != tw->challenge_sec) {
		tw->challenge_sec = sec;
		tw->challenge_n = 0;
	}
	if (tw->challenge_n >= TCP_CHALLENGE_ACK_PER_S)
		return;
	tw->challenge_n++;
	tw->stats.challenge_acks++;
	tcp_send_ack(c);
}

void
tcp_send_probe(struct fo_tcp_conn *c)
{
	uint8_t opts[40];
	unsigned n = tcp_opts_build(opts, c, 0);

	tcp_emit_conn(c, c->snd_una - 1, c->rcv_nxt, TCP_ACK, tcp_wnd_adv(c), opts, n);
}

void
tcp_send_rst_reply(struct fo_tcp_worker *tw, const struct tcp_seg *seg)
{
	uint32_t seq = 0, ack = 0;
	uint8_t flags = TCP_RST;

	if (seg->flags & TCP_RST)
		return;
	if (seg->flags & TCP_ACK) {
		seq = seg->ack;
	} else {
		ack = seg->seq + seg->len + !!(seg->flags & TCP_SYN) + !!(seg->flags & TCP_FIN);
		flags |= TCP_ACK;
	}
	tcp_emit(tw, &seg->key, seq, ack, flags, 0, NULL, 0, NULL, 0);
}

void
tcp_send_rst(struct fo_tcp_conn *c)
{
	tcp_emit_conn(c, c->snd_max, c->rcv_nxt, TCP_RST | TCP_ACK, 0, NULL, 0);
}

/** Largest MSS our route to @p raddr allows (interface MTU - 40). */
static uint16_t
tcp_route_mss(const struct fo_tcp_worker *tw, rte_be32_t raddr)
{
	const struct fo_net_worker *net = tw->net;
	const struct fo_net_iface *gw = NULL, *ifc = NULL;
	uint16_t p;

	for (p = 0; p < net->n_ports && ifc == NULL; p++) {
		const struct fo_net_iface *i = &net->ifaces[p];

		if (!i->configured)
			continue;
		if ((raddr & i->netmask) == (i->addr & i->netmask))
			ifc = i;
		else if (gw == NULL && i->gateway != 0)
			gw = i;
	}
	if (ifc == NULL)
		ifc = gw;
	if (ifc == NULL || ifc->mtu < 576)
		return TCP_DEFAULT_MSS;
	return (uint16_t)(ifc->mtu - 40);
}

uint16_t
tcp_our_mss(const struct fo_tcp_worker *tw, rte_be32_t raddr)
{
	return tcp_route_mss(tw, raddr);
}

int
tcp_send_syn(struct fo_tcp_conn *c)
{
	struct fo_tcp_worker *tw = c->tw;
	uint8_t opts[40];
	unsigned n;
	uint32_t space = tcp_rcv_space(c);
	int rc;

	if (c->state == TCP_SYN_SENT) {
		n = tcp_opts_build_syn(opts, tcp_route_mss(tw, c->key.raddr), 1, c->rcv_wscale, 1,
			1, tcp_ts_now(tw) + c->ts_offset, 0);
		rc = tcp_emit_conn(
			c, c->iss, 0, TCP_SYN, (uint16_t)RTE_MIN(space, 0xffffu), opts, n);
	} else {
		n = tcp_opts_build_syn(opts, tcp_route_mss(tw, c->key.raddr), c->ws_ok,
			c->rcv_wscale, c->sack_ok, c->ts_ok, tcp_ts_now(tw) + c->ts_offset,
			c->ts_recent);
		rc = tcp_emit_conn(c, c->iss, c->rcv_nxt, TCP_SYN | TCP_ACK,
			(uint16_t)RTE_MIN(space, 0xffffu), opts, n);
		c->last_ack_sent = c->rcv_nxt;
	}
	tcp_emitted(c, rc);
	c->rcv_adv = c->rcv_nxt + RTE_MIN(space, 0xffffu);
	if (tcp_seq_lt(c->snd_max, c->iss + 1))
		c->snd_max = c->iss + 1;
	c->snd_nxt = c->iss + 1;
	return rc;
}

int
tcp_send_data(struct fo_tcp_conn *c, uint32_t seq, uint32_t len, int fin)
{
	struct fo_tcp_worker *tw = c->tw;
	struct rte_mbuf *payload = NULL, *h;
	uint8_t opts[40], flags = TCP_ACK;
	uint32_t inl = 0;
	unsigned n, hlen;
	uint16_t wnd;

	/* no SACK blocks with data: they would push the segment past the MSS */
	if (len == 0)
		n = tcp_opts_build(opts, c, 1);
	else if (c->ts_ok)
		n = tcp_opts_build_ts(opts, tcp_ts_now(tw) + c->ts_offset, c->ts_recent);
	else
		n = 0;
	wnd = tcp_wnd_adv(c);
	hlen = sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_tcp_hdr) + n;
	if (len > 0) {
		if (len <= TCP_COPY_MAX) {
			/*
			 * A small segment is copied after its header: cheaper than
			 * an indirect mbuf to allocate, attach and detach, or a
			 * queued segment's reference to take and give back.
			 */
			h = tcp_hdr_alloc(tw, hlen + len, NULL);
			if (h != NULL && tcp_sndq_copy(&c->snd, c->snd_una, seq, len,
					     rte_pktmbuf_mtod_offset(h, uint8_t *, hlen)) != 0) {
				rte_pktmbuf_free(h);
				return -ENOMEM;
			}
			inl = len;
		} else {
			payload = tcp_sndq_slice(&c->snd, tw->pool, c->snd_una, seq, len);
			if (payload == NULL) {
				tcp_drop_count(tw, tcp_nombuf);
				return -ENOMEM;
			}
			h = tcp_hdr_alloc(tw, hlen, payload);
		}
		if (seq + len == c->snd_una + c->snd.bytes)
			flags |= TCP_PSH;
	} else {
		h = tcp_hdr_alloc(tw, hlen, NULL);
	}
	if (fin)
		flags |= TCP_FIN;
	/* no header mbuf: counted, and the segment lost as a frame would be (the RTO resends) */
	if (h != NULL) {
		int rc = tcp_hdr_send(tw, h, &c->key, &c->dst, seq, c->rcv_nxt, flags, wnd, opts, n,
			payload, len - inl, inl);

		/* tcp_emitted() does nothing for a sent segment: no call for that */
		if (unlikely(rc != 0))
			tcp_emitted(c, rc);
	}
	tcp_acked_now(c);
	return 0;
}

/** States in which we may send data or our FIN. */
static int
tcp_can_send(const struct fo_tcp_conn *c)
{
	switch (c->state) {
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
	case TCP_FIN_WAIT_1:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		return 1;
	default:
		return 0;
	}
}

unsigned
tcp_output_send(struct fo_tcp_conn *c, unsigned *roomp)
{
	struct fo_tcp_worker *tw = c->tw;
	unsigned sent = 0, room = *roomp;
	int can;

	if (c->state == TCP_CLOSED)
		return 0;
	/* sending changes no state: asked once */
	can = tcp_can_send(c);
	while (can) {
		uint32_t snd_end = c->snd_una + c->snd.bytes;
		uint32_t flight, wnd, len, limit, seq;
		int fin;

		seq = c->snd_nxt;
		/* all sent, our FIN too when queued (SND.MAX is not beyond this) */
		if (seq == snd_end + c->fin_queued)
			break;
		/* retransmitting: skip what the peer already SACKed */
		if (tcp_seq_lt(seq, c->snd_max) && c->n_sacked > 0) {
			seq = tcp_sack_skip(c, seq);
			if (seq != c->snd_nxt) {
				c->snd_nxt = seq;
				continue;
			}
		}
		fin = 0;
		flight = c->snd_nxt - c->snd_una;
		wnd = RTE_MIN(c->snd_wnd, c->cwnd);
		len = tcp_seq_lt(seq, snd_end) ? snd_end - seq : 0;
		if (len > c->mss)
			len = c->mss;
		if (tcp_seq_lt(seq, c->snd_max) && c->n_sacked > 0) {
			limit = tcp_sack_next(c, seq, seq + len);
			len = limit - seq;
		}
		if (flight >= wnd) {
			len = 0;
		} else if (len > wnd - flight) {
			/* sender SWS avoidance: wait for a full segment while data is in flight */
			if (wnd - flight < c->mss && flight > 0)
				break;
			len = wnd - flight;
		}
		/* the FIN rides on the segment that ends the queued data (or alone) */
		fin = c->fin_queued && seq + len == snd_end;
		if (len == 0 && !fin)
			break;
		/*
		 * At least 4 free tx slots before each segment. A segment adds at
		 * most TCP_TX_FRAMES frames (itself, an ARP probe), so the room
		 * is looked up again only when that bound could bring it under.
		 */
		if (room < 4 + TCP_TX_FRAMES) {
			room = tcp_tx_room(tw);
			if (room < 4) {
				tcp_pending_add(c); /* no room: try again at the next flush */
				break;
			}
		}
		if (tcp_send_data(c, seq, len, fin) != 0)
			break;
		room -= TCP_TX_FRAMES;
		if (tcp_seq_lt(seq, c->snd_max))
			tw->stats.retransmits++;
		else
			tw->stats.bytes_tx += len;
		if (!c->rtt_active && tcp_seq_ge(seq, c->snd_max)) {
			c->rtt_active = 1;
			c->rtt_seq = seq;
			c->rtt_tsc = tw->net->now;
		}
		c->snd_nxt = seq + len + (uint32_t)fin;
		if (tcp_seq_gt(c->snd_nxt, c->snd_max))
			c->snd_max = c->snd_nxt;
		if (c->rtx_mode != TCP_RTX_RETRANSMIT)
			tcp_rtx_arm(c);
		sent++;
		/* the FIN, or all the data and no FIN to follow: what the next round would find */
		if (fin || (c->snd_nxt == snd_end && !c->fin_queued))
			break;
	}
	if (sent == 0 && c->ack_now && c->state != TCP_SYN_SENT && c->state != TCP_CLOSED) {
		tcp_send_ack(c);
		room = room > TCP_TX_FRAMES ? room - TCP_TX_FRAMES : 0;
		sent++;
	}
	*roomp = room;
	/* peer's window closed with data waiting and nothing in flight: probe it */
	if (can && c->snd_max == c->snd_una && c->snd.bytes > 0 &&
		c->snd_wnd == 0 && c->rtx_mode == TCP_RTX_NONE)
		tcp_persist_arm(c);
	return sent;
}
