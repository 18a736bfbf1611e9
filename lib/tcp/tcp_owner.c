/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection ownership across workers: the Toeplitz hash of a received
 * segment's tuple (the NIC's RSS function, computed in software with
 * rte_softrss_be over a converted key) indexes a redirection table that
 * names the owning worker. Active opens pick a local port whose reply
 * tuple hashes back to the opening worker. Segments that reach another
 * worker go to the owner over an SPSC ring of mbuf pointers.
 */
#include <errno.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_ring.h>
#include <rte_tcp.h>
#include <rte_thash.h>

#include "tcp_priv.h"

/* The well-known Microsoft RSS key (also DPDK's and most NICs' default). */
static const uint8_t tcp_default_rss_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
	0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
	0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static void
tcp_owner_set_key(struct fo_tcp_worker *tw, const uint8_t *key, unsigned len)
{
	uint32_t words[13];

	memset(words, 0, sizeof(words));
	memcpy(words, key, len);
	memset(tw->rss_key, 0, sizeof(tw->rss_key));
	rte_convert_rss_key(words, tw->rss_key, (int)len);
}

void
tcp_owner_init(struct fo_tcp_worker *tw)
{
	unsigned i;

	tcp_owner_set_key(tw, tcp_default_rss_key, sizeof(tcp_default_rss_key));
	tw->reta_size = 128;
	for (i = 0; i < tw->reta_size; i++)
		tw->reta[i] = (uint16_t)(i % tw->n_workers);
	/* an offset into [local_port_min, local_port_max]: workers start apart,
	 * and from a secret-keyed place (RFC 6056): a restarted fanout does not
	 * walk into the tuples its previous run left open on the backends */
	tw->port_cursor = (uint32_t)(tw->id * 7919u + tcp_siphash(&tw->ck, "port", 4)) %
			  ((uint32_t)tw->cfg.local_port_max - tw->cfg.local_port_min + 1);
}

int
fo_tcp_set_rss(struct fo_tcp_worker *tw, const uint8_t *key, unsigned key_len,
	const uint16_t *reta, unsigned reta_size)
{
	unsigned i;

	if (tw == NULL || key == NULL || reta == NULL || key_len < 16 || key_len > 52 ||
		key_len % 4 != 0 || reta_size == 0 || reta_size > FO_ARRAY_SIZE(tw->reta))
		return -EINVAL;
	for (i = 0; i < reta_size; i++)
		if (reta[i] >= tw->n_workers)
			return -EINVAL;
	tcp_owner_set_key(tw, key, key_len);
	memcpy(tw->reta, reta, reta_size * sizeof(reta[0]));
	tw->reta_size = reta_size;
	return 0;
}

unsigned
fo_tcp_owner(const struct fo_tcp_worker *tw, rte_be32_t saddr, rte_be32_t daddr, rte_be16_t sport,
	rte_be16_t dport)
{
	uint32_t tuple[RTE_THASH_V4_L4_LEN];
	uint32_t h;

	if (tw->n_workers <= 1)
		return 0;
	tuple[0] = rte_be_to_cpu_32(saddr);
	tuple[1] = rte_be_to_cpu_32(daddr);
	tuple[2] = (uint32_t)rte_be_to_cpu_16(sport) << 16 | rte_be_to_cpu_16(dport);
	h = rte_softrss_be(tuple, RTE_THASH_V4_L4_LEN, (const uint8_t *)tw->rss_key);
	return tw->reta[h % tw->reta_size];
}

/*
 * Linux tcp_tw_reuse: a TIME_WAIT tuple whose connection negotiated
 * timestamps and has been quiet for TCP_TW_REUSE_MS is as good as a free
 * one (the new SYN's TSval, same per-tuple offset on a later clock, is
 * strictly newer than anything the old connection sent: the peer's PAWS
 * rejects old duplicates). Only connections in the reuse list qualify (not
 * those whose user has still to read the EOF).
 */
static int
tcp_tw_reusable(const struct fo_tcp_worker *tw, const struct fo_tcp_conn *c)
{
	return c->ts_ok && tw->net->now - c->tw_tsc >= tcp_ms_tsc(tw, TCP_TW_REUSE_MS);
}

uint16_t
tcp_owner_pick_port(struct fo_tcp_worker *tw, rte_be32_t src, rte_be32_t dst, rte_be16_t dport,
	struct fo_tcp_conn **reuse)
{
	const uint32_t lo = tw->cfg.local_port_min;
	const uint32_t range = (uint32_t)tw->cfg.local_port_max - lo + 1;
	struct fo_tcp_conn *oldest = NULL;
	uint32_t i;

	*reuse = NULL;
	for (i = 0; i < range; i++) {
		uint16_t port = (uint16_t)(lo + (tw->port_cursor + i) % range);
		struct tcp_key k = {
			.laddr = src, .raddr = dst, .lport = rte_cpu_to_be_16(port), .rport = dport};
		struct fo_tcp_conn *c;

		/* replies come from dst:dport to src:port */
		if (fo_tcp_owner(tw, dst, src, dport, k.lport) != tw->id)
			continue;
		c = tcp_flow_lookup(tw, &k);
		if (c != NULL) {
			if (c->state != TCP_TIME_WAIT || !c->in_tw_list)
				continue;
			if (!tcp_tw_reusable(tw, c)) {
				/* last resort: the one quiet for the longest */
				if (oldest == NULL || c->tw_tsc < oldest->tw_tsc)
					oldest = c;
				continue;
			}
		}
		tw->port_cursor = (tw->port_cursor + i + 1) % range;
		*reuse = c;
		return port;
	}
	if (oldest == NULL)
		return 0;
	/* no free or safely reusable tuple left: recycle a TIME_WAIT (bounded TIME_WAIT) */
	*reuse = oldest;
	return rte_be_to_cpu_16(oldest->key.lport);
}

static void
handoff_flush_one(struct fo_tcp_worker *tw, unsigned owner)
{
	struct tcp_handoff_buf *b = &tw->handoff[owner];
	unsigned done;

	/* SPSC ring: the enqueue is the release that publishes the mbufs' contents */
	done = rte_ring_enqueue_burst(tw->peers.to_peer[owner], (void **)b->pkts, b->n, NULL);
	tw->stats.handoff_tx += done;
	if (done < b->n) {
		tw->stats.drop[tcp_handoff_full] += b->n - done;
		rte_pktmbuf_free_bulk(b->pkts + done, b->n - done);
	}
	b->n = 0;
}

int
tcp_owner_steer(struct fo_tcp_worker *tw, struct rte_mbuf *m)
{
	struct rte_ipv4_hdr ipb;
	struct rte_tcp_hdr thb;
	const struct rte_ipv4_hdr *ip;
	const struct rte_tcp_hdr *th;
	unsigned owner;
	struct rte_ring *r;

	if (tw->n_workers <= 1)
		return 0;
	ip = rte_pktmbuf_read(m, m->l2_len, sizeof(ipb), &ipb);
	th = rte_pktmbuf_read(m, (uint32_t)m->l2_len + m->l3_len, sizeof(thb), &thb);
	if (ip == NULL || th == NULL)
		return 0; /* tcp_input_one counts it as truncated */
	owner = fo_tcp_owner(tw, ip->src_addr, ip->dst_addr, th->src_port, th->dst_port);
	if (owner == tw->id)
		return 0;
	r = tw->peers.to_peer[owner];
	if (r == NULL) {
		tw->stats.drop[tcp_not_owner]++;
		rte_pktmbuf_free(m);
		return 1;
	}
	/* buffered: one ring enqueue per peer and burst, not per segment */
	if (tw->handoff[owner].n == FO_BURST)
		handoff_flush_one(tw, owner);
	tw->handoff[owner].pkts[tw->handoff[owner].n++] = m;
	return 1;
}

void
tcp_owner_flush(struct fo_tcp_worker *tw)
{
	unsigned i;

	for (i = 0; i < tw->n_workers && i < FO_MAX_WORKERS; i++)
		if (tw->handoff[i].n != 0)
			handoff_flush_one(tw, i);
}

unsigned
fo_tcp_peer_poll(struct fo_tcp_worker *tw)
{
	struct rte_mbuf *pkts[FO_BURST];
	unsigned i, j, n, total = 0;

	tcp_enter(tw);
	for (i = 0; i < tw->n_workers && i < FO_MAX_WORKERS; i++) {
		if (i == tw->id || tw->peers.from_peer[i] == NULL)
			continue;
		n = rte_ring_dequeue_burst(tw->peers.from_peer[i], (void **)pkts, FO_BURST, NULL);
		for (j = 0; j < n; j++)
			tcp_input_one(tw, pkts[j]);
		tw->stats.handoff_rx += n;
		total += n;
	}
	tcp_leave(tw);
	return total;
}
