/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test harness for lib/tcp (cmocka, no EAL): a TCP worker over a real
 * lib/net worker (interface 198.18.0.1/24 on port 0, neighbour 198.18.0.2
 * already resolved, so output lands straight in net->txq[0]), mbufs from
 * fake_pool. Segments are built byte by byte here (independent of lib/tcp's
 * own builders) and emitted segments are parsed back from bytes, with
 * their IPv4 and TCP checksums verified.
 *
 * Include after <cmocka.h>, from exactly one file per executable.
 */
#ifndef TCP_HARNESS_H
#define TCP_HARNESS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "fake_pool.h"
#include "fo_tcp.h"
#include "net_priv.h"
#include "tcp_priv.h"

#define TH_HZ 1000000000ull /* 1 cycle = 1 ns */
#define TH_MS(x) ((uint64_t)(x) * (TH_HZ / 1000))
#define TH_IP(a, b, c, d) RTE_BE32(((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))
#define TH_US TH_IP(198, 18, 0, 1)
#define TH_PEER TH_IP(198, 18, 0, 2)
#define TH_PORT 80
#define TH_PEER_PORT 40000

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

static const uint8_t th_our_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t th_peer_mac[6] = {0x02, 0, 0, 0, 0, 0x02};
static const uint8_t th_secret[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

/** A segment to inject (host order except addresses). */
struct th_in {
	rte_be32_t src, dst; /* 0 = peer / us */
	uint16_t sport, dport; /* 0 = TH_PEER_PORT / TH_PORT */
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	const uint8_t *opts;
	uint8_t optlen;
	const uint8_t *data;
	uint32_t len;
	int bad_cksum;
};

/** A parsed emitted segment. */
struct th_out {
	rte_be32_t src, dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	int has_mss, has_ws, has_ts, sack_ok;
	uint16_t mss;
	uint8_t ws;
	uint32_t tsval, tsecr;
	unsigned n_sack;
	uint32_t sack[4][2];
	uint32_t len;
	uint8_t data[9100];
};

struct th {
	struct rte_mempool *mp;
	struct fo_net_worker *net;
	struct fo_tcp_worker *tw;
	struct fo_tcp_config cfg;
	/* events */
	unsigned n_accept, n_readable, n_writable, n_connected, n_closed;
	enum fo_tcp_close_reason close_why;
	struct fo_tcp_conn *conn; /* last accepted/connected */
	/* behaviour */
	int auto_read;    /* read everything in readable */
	int refuse;       /* accept returns -1 */
	int close_in_readable, abort_in_readable, close_in_accept;
	/* what was read */
	uint8_t *rx;
	size_t rx_len;
	int eof;
	/* ARP requests fanout sent (th_pop skips them: a SYN that times out has its next hop checked) */
	unsigned arp_requests;
};

static struct th *th_cur;

__rte_unused static int
th_on_accept(struct fo_tcp_conn *c, void *arg)
{
	struct th *h = arg;

	h->n_accept++;
	h->conn = c;
	fo_tcp_set_user(c, h);
	if (h->close_in_accept) {
		fo_tcp_abort(c);
		return 0;
	}
	return h->refuse ? -1 : 0;
}

__rte_unused static void
th_on_readable(struct fo_tcp_conn *c, void *user)
{
	struct th *h = user ? user : th_cur;

	h->n_readable++;
	if (h->abort_in_readable) {
		fo_tcp_abort(c);
		return;
	}
	if (h->close_in_readable) {
		fo_tcp_close(c);
		return;
	}
	while (h->auto_read) {
		struct rte_mbuf *m = NULL, *s;
		ssize_t n = fo_tcp_recv(c, &m, UINT32_MAX);

		if (n == 0)
			h->eof = 1;
		if (n <= 0)
			break;
		assert_int_equal(rte_pktmbuf_pkt_len(m), (uint32_t)n);
		for (s = m; s != NULL; s = s->next) {
			memcpy(h->rx + h->rx_len, rte_pktmbuf_mtod(s, void *), s->data_len);
			h->rx_len += s->data_len;
		}
		rte_pktmbuf_free(m);
	}
}

__rte_unused static void
th_on_writable(struct fo_tcp_conn *c, void *user)
{
	struct th *h = user ? user : th_cur;

	(void)c;
	h->n_writable++;
}

__rte_unused static void
th_on_connected(struct fo_tcp_conn *c, void *user)
{
	struct th *h = user ? user : th_cur;

	h->n_connected++;
	h->conn = c;
}

__rte_unused static void
th_on_closed(struct fo_tcp_conn *c, void *user, enum fo_tcp_close_reason why)
{
	struct th *h = user ? user : th_cur;

	(void)c;
	h->n_closed++;
	h->close_why = why;
	if (h->conn == c)
		h->conn = NULL;
}

static const struct fo_tcp_ops th_ops = {
	.accept = th_on_accept,
	.connected = th_on_connected,
	.readable = th_on_readable,
	.writable = th_on_writable,
	.closed = th_on_closed,
};

/** Worker @p id of @p n with @p cfg (NULL = small test defaults), listening on :80. */
__rte_unused static struct th *
th_new_worker(const struct fo_tcp_config *cfg, unsigned id, unsigned n, struct rte_mempool *mp)
{
	struct th *h = calloc(1, sizeof(*h));
	struct fo_net_iface ifc;
	static const struct rte_ether_addr peer = {{0x02, 0, 0, 0, 0, 0x02}};

	assert_non_null(h);
	h->rx = malloc(8 << 20);
	assert_non_null(h->rx);
	h->mp = mp != NULL ? mp : fake_pool_create("tcp", 8192, RTE_MBUF_DEFAULT_BUF_SIZE);
	assert_non_null(h->mp);
	memset(&ifc, 0, sizeof(ifc));
	ifc.port_id = 0;
	ifc.mtu = 1500;
	ifc.prefix_len = 24;
	ifc.configured = 1;
	memcpy(ifc.mac.addr_bytes, th_our_mac, 6);
	ifc.addr = TH_US;
	h->net = aligned_alloc(RTE_CACHE_LINE_SIZE,
		RTE_ALIGN_CEIL(sizeof(*h->net), RTE_CACHE_LINE_SIZE));
	assert_non_null(h->net);
	assert_int_equal(fo_net_worker_init(h->net, id, n, h->mp, &ifc, 1, TH_HZ), 0);
	h->net->now = TH_HZ * 1000;
	assert_non_null(neigh_update(h->net, 0, TH_PEER, &peer, 1, 0));
	if (cfg != NULL) {
		h->cfg = *cfg;
	} else {
		memset(&h->cfg, 0, sizeof(h->cfg));
		h->cfg.max_conns = 64;
		h->cfg.max_half_open = 16;
	}
	h->tw = fo_tcp_worker_create(&h->cfg, h->net, h->mp, id, n, th_secret, 0);
	assert_non_null(h->tw);
	assert_int_equal(fo_tcp_listen(h->tw, 0, TH_PORT, &th_ops, h), 0);
	th_cur = h;
	return h;
}

__rte_unused static struct th *
th_new(const struct fo_tcp_config *cfg)
{
	return th_new_worker(cfg, 0, 1, NULL);
}

/** Free everything; every mbuf must be back in the pool. */
__rte_unused static void
th_free(struct th *h, int own_pool)
{
	uint16_t i;

	fo_tcp_worker_free(h->tw);
	for (i = 0; i < h->net->txq[0].n; i++)
		rte_pktmbuf_free(h->net->txq[0].pkts[i]);
	h->net->txq[0].n = 0;
	fo_net_burst_end(h->net);
	if (own_pool) {
		assert_int_equal(fake_pool_in_use(h->mp), 0);
		fake_pool_free(h->mp);
	}
	free(h->net);
	free(h->rx);
	free(h);
}

/* ---- independent segment building ---- */

__rte_unused static uint32_t
th_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

__rte_unused static uint16_t
th_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

__rte_unused static void
th_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

__rte_unused static void
th_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

__rte_unused static uint32_t
th_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

__rte_unused static uint16_t
th_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/** Build the whole frame of @p s into @p f. @return frame length. */
__rte_unused static uint32_t
th_frame(const struct th_in *s, uint8_t *f)
{
	uint8_t *ip = f + 14, *tcp = ip + 20;
	uint32_t tl = 20u + s->optlen + s->len, sum;
	rte_be32_t src = s->src ? s->src : TH_PEER, dst = s->dst ? s->dst : TH_US;
	uint8_t pseudo[12];

	memcpy(f, th_our_mac, 6);
	memcpy(f + 6, th_peer_mac, 6);
	th_put16(f + 12, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	th_put16(ip + 2, (uint16_t)(20 + tl));
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	th_put16(ip + 10, (uint16_t)~th_fold(th_sum(ip, 20, 0)));
	th_put16(tcp, s->sport ? s->sport : TH_PEER_PORT);
	th_put16(tcp + 2, s->dport ? s->dport : TH_PORT);
	th_put32(tcp + 4, s->seq);
	th_put32(tcp + 8, s->ack);
	tcp[12] = (uint8_t)(((20 + s->optlen) / 4) << 4);
	tcp[13] = s->flags;
	th_put16(tcp + 14, s->wnd);
	th_put16(tcp + 16, 0);
	th_put16(tcp + 18, 0);
	if (s->optlen)
		memcpy(tcp + 20, s->opts, s->optlen);
	if (s->len)
		memcpy(tcp + 20 + s->optlen, s->data, s->len);
	memcpy(pseudo, &src, 4);
	memcpy(pseudo + 4, &dst, 4);
	pseudo[8] = 0;
	pseudo[9] = 6;
	th_put16(pseudo + 10, (uint16_t)tl);
	sum = th_sum(pseudo, 12, 0);
	sum = th_sum(tcp, tl, sum);
	th_put16(tcp + 16, (uint16_t)(~th_fold(sum) ^ (s->bad_cksum ? 0x5a5a : 0)));
	return 14 + 20 + tl;
}

/** The segment as a pool mbuf, ready for fo_tcp_input(). */
__rte_unused static struct rte_mbuf *
th_mbuf(struct th *h, const struct th_in *s)
{
	static uint8_t f[9200];
	uint32_t len = th_frame(s, f), off = 0;
	struct rte_mbuf *head = NULL, *prev = NULL;

	/* frames larger than one buffer become chains */
	while (off < len) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(h->mp);
		uint32_t n = RTE_MIN(len - off, (uint32_t)rte_pktmbuf_tailroom(m));

		assert_non_null(m);
		memcpy(rte_pktmbuf_append(m, (uint16_t)n), f + off, n);
		off += n;
		if (head == NULL) {
			head = m;
		} else {
			prev->next = m;
			head->nb_segs++;
			head->pkt_len += n;
		}
		prev = m;
	}
	head->l2_len = 14;
	head->l3_len = 20;
	return head;
}

/** Inject one segment into @p h's worker, then flush. */
__rte_unused static void
th_inject(struct th *h, const struct th_in *s)
{
	struct rte_mbuf *m = th_mbuf(h, s);

	fo_tcp_input(h->tw, &m, 1);
	fo_tcp_flush(h->tw);
	fo_net_burst_end(h->net);
}

/** Move time on by @p ms, run timers, flush. */
__rte_unused static void
th_advance(struct th *h, uint64_t ms)
{
	h->net->now += TH_MS(ms);
	fo_tcp_timer(h->tw);
	fo_tcp_flush(h->tw);
	fo_net_burst_end(h->net);
}

/** Pop and parse the oldest emitted frame. @return 1, or 0 when none. */
__rte_unused static int
th_pop(struct th *h, struct th_out *o)
{
	static uint8_t f[9300];
	struct fo_net_txq *q = &h->net->txq[0];
	struct rte_mbuf *m, *s;
	uint32_t len = 0, tl, hl, i, sum;
	uint8_t *ip, *tcp, pseudo[12];

again:
	if (q->n == 0)
		return 0;
	m = q->pkts[0];
	memmove(&q->pkts[0], &q->pkts[1], (q->n - 1) * sizeof(q->pkts[0]));
	q->n--;
	if (th_get16(rte_pktmbuf_mtod_offset(m, uint8_t *, 12)) == 0x0806) {
		h->arp_requests++;
		rte_pktmbuf_free(m);
		goto again;
	}
	for (s = m; s != NULL; s = s->next) {
		memcpy(f + len, rte_pktmbuf_mtod(s, void *), s->data_len);
		len += s->data_len;
	}
	assert_int_equal(len, rte_pktmbuf_pkt_len(m));
	rte_pktmbuf_free(m);
	memset(o, 0, sizeof(*o) - sizeof(o->data));
	assert_true(len >= 54);
	assert_memory_equal(f, th_peer_mac, 6);
	assert_int_equal(th_get16(f + 12), 0x0800);
	ip = f + 14;
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(ip[9], 6);
	assert_int_equal(th_fold(th_sum(ip, 20, 0)), 0xffff);
	tl = th_get16(ip + 2) - 20u;
	assert_int_equal(th_get16(ip + 2), len - 14);
	tcp = ip + 20;
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 6;
	th_put16(pseudo + 10, (uint16_t)tl);
	sum = th_sum(pseudo, 12, 0);
	assert_int_equal(th_fold(th_sum(tcp, tl, sum)), 0xffff);
	memcpy(&o->src, ip + 12, 4);
	memcpy(&o->dst, ip + 16, 4);
	o->sport = th_get16(tcp);
	o->dport = th_get16(tcp + 2);
	o->seq = th_get32(tcp + 4);
	o->ack = th_get32(tcp + 8);
	hl = (tcp[12] >> 4) * 4u;
	o->flags = tcp[13];
	o->wnd = th_get16(tcp + 14);
	for (i = 20; i < hl;) {
		uint8_t k = tcp[i];

		if (k == 0)
			break;
		if (k == 1) {
			i++;
			continue;
		}
		switch (k) {
		case 2:
			o->has_mss = 1;
			o->mss = th_get16(tcp + i + 2);
			break;
		case 3:
			o->has_ws = 1;
			o->ws = tcp[i + 2];
			break;
		case 4:
			o->sack_ok = 1;
			break;
		case 5:
			o->n_sack = (tcp[i + 1] - 2u) / 8;
			for (unsigned b = 0; b < o->n_sack && b < 4; b++) {
				o->sack[b][0] = th_get32(tcp + i + 2 + 8 * b);
				o->sack[b][1] = th_get32(tcp + i + 6 + 8 * b);
			}
			break;
		case 8:
			o->has_ts = 1;
			o->tsval = th_get32(tcp + i + 2);
			o->tsecr = th_get32(tcp + i + 6);
			break;
		}
		i += tcp[i + 1];
	}
	o->len = tl - hl;
	memcpy(o->data, tcp + hl, o->len);
	return 1;
}

/** Pop one segment and fail when there is none. */
__rte_unused static void
th_expect(struct th *h, struct th_out *o)
{
	assert_int_equal(th_pop(h, o), 1);
}

/** Nothing emitted. */
__rte_unused static void
th_expect_none(struct th *h)
{
	assert_int_equal(h->net->txq[0].n, 0);
}

/* ---- option bytes ---- */

/** MSS 1460, SACK-permitted, TS(tsval, 0), WS 7: like Linux's SYN. @return length (20). */
__rte_unused static uint8_t
th_syn_opts(uint8_t *p, uint32_t tsval, int ws)
{
	p[0] = 2;
	p[1] = 4;
	th_put16(p + 2, 1460);
	p[4] = 4;
	p[5] = 2;
	p[6] = 8;
	p[7] = 10;
	th_put32(p + 8, tsval);
	th_put32(p + 12, 0);
	p[16] = 1;
	p[17] = 3;
	p[18] = 3;
	p[19] = (uint8_t)ws;
	return 20;
}

/** NOP NOP TS. @return 12. */
__rte_unused static uint8_t
th_ts_opts(uint8_t *p, uint32_t tsval, uint32_t tsecr)
{
	p[0] = 1;
	p[1] = 1;
	p[2] = 8;
	p[3] = 10;
	th_put32(p + 4, tsval);
	th_put32(p + 8, tsecr);
	return 12;
}

/* ---- common sequences ---- */

/** A peer side connection description. */
struct th_peer {
	uint16_t port;
	uint32_t isn; /* peer's ISN */
	uint32_t nxt; /* peer's next seq */
	uint32_t una; /* what peer acked of ours (our seq) */
	uint32_t our_iss;
	uint32_t ts;  /* peer's TSval */
	int use_opts; /* send SYN options (MSS/SACK/TS/WS 7) */
	uint16_t wnd;
	int wnd_zero; /* advertise a zero window (wnd 0 means 65535 otherwise) */
	struct fo_tcp_conn *c;
};

#define TH_PWND(p) ((p)->wnd_zero ? 0 : (p)->wnd ? (p)->wnd : 65535)

/** Passive open via the listener: SYN, SYN-ACK, ACK. Fills @p p. */
__rte_unused static void
th_handshake(struct th *h, struct th_peer *p)
{
	struct th_out o;
	uint8_t opts[40];
	struct th_in s = {.sport = p->port, .seq = p->isn, .flags = F_SYN,
		.wnd = TH_PWND(p)};
	unsigned acc = h->n_accept;

	if (p->use_opts) {
		s.optlen = th_syn_opts(opts, p->ts, 7);
		s.opts = opts;
	}
	th_inject(h, &s);
	th_expect(h, &o);
	assert_int_equal(o.flags, F_SYN | F_ACK);
	assert_int_equal(o.ack, p->isn + 1);
	assert_int_equal(o.sport, TH_PORT);
	assert_int_equal(o.dport, p->port);
	p->our_iss = o.seq;
	p->nxt = p->isn + 1;
	p->una = o.seq + 1;
	memset(&s, 0, sizeof(s));
	s.sport = p->port;
	s.seq = p->nxt;
	s.ack = p->una;
	s.flags = F_ACK;
	s.wnd = TH_PWND(p);
	if (p->use_opts) {
		p->ts++;
		s.optlen = th_ts_opts(opts, p->ts, o.tsval);
		s.opts = opts;
	}
	th_inject(h, &s);
	assert_int_equal(h->n_accept, acc + 1);
	p->c = h->conn;
	assert_non_null(p->c);
	assert_string_equal(tcp_state_name(p->c->state), "ESTABLISHED");
}

/** A data/ACK segment from peer @p p (no options unless use_opts: then TS). */
__rte_unused static void
th_peer_send(struct th *h, struct th_peer *p, uint8_t flags, const void *data, uint32_t len)
{
	uint8_t opts[12];
	struct th_in s = {.sport = p->port, .seq = p->nxt, .ack = p->una, .flags = flags,
		.wnd = TH_PWND(p), .data = data, .len = len};

	if (p->use_opts) {
		p->ts++;
		s.optlen = th_ts_opts(opts, p->ts, 0);
		s.opts = opts;
	}
	th_inject(h, &s);
	p->nxt += len + !!(flags & F_FIN) + !!(flags & F_SYN);
}

/** Queue @p len bytes (pattern from @p seed) on @p c in chains of 1000-byte mbufs. */
__rte_unused static ssize_t
th_user_send(struct th *h, struct fo_tcp_conn *c, uint32_t len, uint8_t seed)
{
	struct rte_mbuf *head = NULL, *prev = NULL;
	uint32_t off = 0;
	ssize_t rc;

	while (off < len) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(h->mp);
		uint32_t n = RTE_MIN(len - off, 1000u), i;
		uint8_t *d;

		assert_non_null(m);
		d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)n);
		for (i = 0; i < n; i++)
			d[i] = (uint8_t)(seed + off + i);
		off += n;
		if (head == NULL) {
			head = m;
		} else {
			prev->next = m;
			head->nb_segs++;
			head->pkt_len += n;
		}
		prev = m;
	}
	rc = fo_tcp_send(c, head);
	if (rc < 0)
		rte_pktmbuf_free(head);
	fo_tcp_flush(h->tw);
	return rc;
}

__rte_unused static void
th_pattern(uint8_t *d, uint32_t len, uint32_t from, uint8_t seed)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		d[i] = (uint8_t)(seed + from + i);
}

/** Count of emitted segments waiting. */
__rte_unused static unsigned
th_queued(const struct th *h)
{
	return h->net->txq[0].n;
}

/** Drop every emitted segment. */
__rte_unused static void
th_drain(struct th *h)
{
	struct th_out o;

	while (th_pop(h, &o))
		;
}

#endif /* TCP_HARNESS_H */
