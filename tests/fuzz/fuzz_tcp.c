/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for lib/tcp's input path (also run by replay_tcp over
 * corpus/tcp/). Every input gets a fresh worker (fake mbuf pool, no EAL)
 * with a listener on :80 and one ESTABLISHED connection (peer :40000,
 * timestamps, SACK, window scaling), then runs a list of records:
 *
 *   [op][len][len bytes]
 *   op & 3 == 0: a TCP segment (header, options, payload as given; padded
 *                to 20 bytes) to the listener, from peer port 50000 + op>>2
 *   op & 3 == 1: the same to the established connection; when op & 4 its
 *                seq/ack are taken relative to RCV.NXT/SND.UNA (so they land
 *                near the window) instead of verbatim
 *   op & 3 == 2: time moves on by data[0] * 10 ms (timers run)
 *   op & 3 == 3: a user call on the connection chosen by data[0]: send
 *                data[1]*16 bytes, recv, shutdown, close, abort
 *   op & 0x80:   leave the TCP checksum wrong
 *
 * Invariants (abort on violation): every mbuf is back in the pool once the
 * worker is freed; emitted segments are well-formed IPv4/TCP frames.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#include "../unit/fake_pool.c"
#include "fo_tcp.h"
#include "net_priv.h"
#include "tcp_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HZ 1000000000ull
#define US RTE_BE32(0xc6120001)   /* 198.18.0.1 */
#define PEER RTE_BE32(0xc6120002) /* 198.18.0.2 */

static struct rte_mempool *mp;
static struct fo_net_worker *net;
static struct fo_tcp_conn *est;

static void
check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_tcp: invariant broken: %s\n", what);
		abort();
	}
}

static int
on_accept(struct fo_tcp_conn *c, void *arg)
{
	(void)arg;
	if (est == NULL)
		est = c;
	return 0;
}

static void
on_readable(struct fo_tcp_conn *c, void *user)
{
	struct rte_mbuf *m;

	(void)user;
	/* read half of the time: the window must close and reopen too */
	if (c->rcv.bytes & 1)
		return;
	while (fo_tcp_recv(c, &m, UINT32_MAX) > 0)
		rte_pktmbuf_free(m);
}

static void
on_closed(struct fo_tcp_conn *c, void *user, enum fo_tcp_close_reason why)
{
	(void)user;
	(void)why;
	if (c == est)
		est = NULL;
}

static const struct fo_tcp_ops ops = {
	.accept = on_accept, .readable = on_readable, .closed = on_closed};

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t
csum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/** Wrap @p tcp (len bytes, >= 20) in Ethernet/IPv4 and feed it. */
static void
inject(struct fo_tcp_worker *tw, uint8_t *tcp, uint32_t len, int bad)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint8_t *f, ph[12];
	uint32_t s;

	if (m == NULL)
		return;
	f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(34 + len));
	if (f == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	memset(f, 0, 34);
	put16(f + 12, 0x0800);
	f[14] = 0x45;
	put16(f + 16, (uint16_t)(20 + len));
	f[22] = 64;
	f[23] = 6;
	memcpy(f + 26, &(rte_be32_t){PEER}, 4);
	memcpy(f + 30, &(rte_be32_t){US}, 4);
	put16(f + 24, (uint16_t)~csum(f + 14, 20, 0));
	put16(tcp + 16, 0);
	memcpy(ph, f + 26, 8);
	ph[8] = 0;
	ph[9] = 6;
	put16(ph + 10, (uint16_t)len);
	s = csum(ph, 12, 0);
	put16(tcp + 16, (uint16_t)(~csum(tcp, len, s) ^ (bad ? 1 : 0)));
	memcpy(f + 34, tcp, len);
	m->l2_len = 14;
	m->l3_len = 20;
	fo_tcp_input(tw, &m, 1);
}

/* emitted frames: drop them, checking their shape */
static void
drain(void)
{
	uint16_t i;

	for (i = 0; i < net->txq[0].n; i++) {
		struct rte_mbuf *m = net->txq[0].pkts[i];
		const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *), *ip = f + 14;

		/* lib/net refreshes the neighbour now and then (ARP request) */
		if (f[12] == 0x08 && f[13] == 0x06) {
			rte_pktmbuf_free(m);
			continue;
		}
		check(rte_pktmbuf_pkt_len(m) >= 54, "frame too short");
		check(ip[0] == 0x45 && ip[9] == 6, "not IPv4/TCP");
		check((uint32_t)(ip[2] << 8 | ip[3]) + 14 == rte_pktmbuf_pkt_len(m), "IP length");
		rte_pktmbuf_free(m);
	}
	net->txq[0].n = 0;
	fo_net_burst_end(net);
}

static void
handshake(struct fo_tcp_worker *tw)
{
	uint8_t t[40];
	uint32_t iss;
	const struct rte_tcp_hdr *th;
	struct rte_mbuf *m;

	memset(t, 0, sizeof(t));
	put16(t, 40000);
	put16(t + 2, 80);
	put32(t + 4, 1000);
	t[12] = 10 << 4;
	t[13] = 0x02;
	put16(t + 14, 65535);
	/* MSS 1460, SACK-permitted, TS, WS 7 */
	memcpy(t + 20, (const uint8_t[]){2, 4, 5, 180, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7},
		20);
	inject(tw, t, 40, 0);
	check(net->txq[0].n == 1, "no SYN-ACK");
	m = net->txq[0].pkts[0];
	th = rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, 34);
	iss = rte_be_to_cpu_32(th->sent_seq);
	drain();
	memset(t, 0, sizeof(t));
	put16(t, 40000);
	put16(t + 2, 80);
	put32(t + 4, 1001);
	put32(t + 8, iss + 1);
	t[12] = 8 << 4;
	t[13] = 0x10;
	put16(t + 14, 1000);
	memcpy(t + 20, (const uint8_t[]){1, 1, 8, 10, 0, 0, 0, 2, 0, 0, 0, 0}, 12);
	inject(tw, t, 32, 0);
	drain();
}

static struct rte_mbuf *
user_chain(unsigned len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

	if (m == NULL)
		return NULL;
	if (rte_pktmbuf_append(m, (uint16_t)len) == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(rte_pktmbuf_mtod(m, void *), 'x', len);
	return m;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t secret[16] = {7};
	struct fo_net_iface ifc;
	struct fo_tcp_config cfg = {.max_conns = 16, .max_half_open = 4, .ooo_max = 8,
		.rcvbuf = 16384, .sndbuf = 16384, .keepalive_ms = 5000};
	struct fo_tcp_worker *tw;
	size_t off = 0;

	if (mp == NULL) {
		mp = fake_pool_create("fuzz_tcp", 2048, RTE_MBUF_DEFAULT_BUF_SIZE);
		net = aligned_alloc(RTE_CACHE_LINE_SIZE,
			RTE_ALIGN_CEIL(sizeof(*net), RTE_CACHE_LINE_SIZE));
		check(mp != NULL && net != NULL, "setup");
		memset(&ifc, 0, sizeof(ifc));
		ifc.mtu = 1500;
		ifc.prefix_len = 24;
		ifc.configured = 1;
		ifc.mac.addr_bytes[0] = 2;
		ifc.mac.addr_bytes[5] = 1;
		ifc.addr = US;
		check(fo_net_worker_init(net, 0, 1, mp, &ifc, 1, HZ) == 0, "net init");
		net->now = HZ;
	}
	/* time runs on across inputs: keep the neighbour fresh (no ARP in the way) */
	check(neigh_update(net, 0, PEER, &(const struct rte_ether_addr){{2, 0, 0, 0, 0, 2}}, 1,
		      0) != NULL,
		"neigh");
	if (size > 0)
		cfg.syncookies = data[0] % 3;
	tw = fo_tcp_worker_create(&cfg, net, mp, 0, 1, secret, 0);
	check(tw != NULL, "create");
	check(fo_tcp_listen(tw, 0, 80, &ops, NULL) == 0, "listen");
	est = NULL;
	handshake(tw);
	check(est != NULL, "no established connection");
	off = size > 0 ? 1 : 0;
	while (off + 2 <= size) {
		uint8_t op = data[off], len = data[off + 1];
		uint8_t seg[300];
		uint32_t n;

		off += 2;
		if (len > size - off)
			len = (uint8_t)(size - off);
		memset(seg, 0, sizeof(seg));
		memcpy(seg, data + off, len);
		off += len;
		n = len < 20 ? 20 : len;
		switch (op & 3) {
		case 0:
			put16(seg, (uint16_t)(50000 + (op >> 2)));
			put16(seg + 2, 80);
			inject(tw, seg, n, op & 0x80);
			break;
		case 1:
			put16(seg, 40000);
			put16(seg + 2, 80);
			if ((op & 4) && est != NULL) {
				put32(seg + 4, est->rcv_nxt + (uint32_t)(int8_t)seg[4] * 100);
				put32(seg + 8, est->snd_una + (uint32_t)(int8_t)seg[8] * 100);
			}
			inject(tw, seg, n, op & 0x80);
			break;
		case 2:
			net->now += (uint64_t)seg[0] * 10 * (HZ / 1000);
			fo_tcp_timer(tw);
			break;
		default:
			if (est == NULL)
				break;
			switch (seg[0] % 5) {
			case 0: {
				struct rte_mbuf *m = user_chain(1 + seg[1] * 16u % 1900);

				if (m != NULL && fo_tcp_send(est, m) < 0)
					rte_pktmbuf_free(m);
				break;
			}
			case 1: {
				struct rte_mbuf *m;

				if (fo_tcp_recv(est, &m, seg[1] * 16u + 1) > 0)
					rte_pktmbuf_free(m);
				break;
			}
			case 2:
				fo_tcp_shutdown(est);
				break;
			case 3:
				fo_tcp_close(est);
				est = NULL;
				break;
			default:
				fo_tcp_abort(est);
				est = NULL;
				break;
			}
		}
		fo_tcp_flush(tw);
		drain();
	}
	fo_tcp_worker_free(tw);
	drain();
	check(fake_pool_in_use(mp) == 0, "mbuf leak");
	return 0;
}
