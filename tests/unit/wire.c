/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The in-process Ethernet segment of wire.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <x86intrin.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "fake_pool.h"
#include "wire.h"

static const uint8_t wire_secret[16] = {7, 1, 4, 2, 8, 5, 7, 1, 4, 2, 8, 5, 7, 1, 4, 2};

int
wire_init(struct wire *w, unsigned n_mbufs, int offload)
{
	return wire_init_cached(w, n_mbufs, offload, 0);
}

int
wire_init_cached(struct wire *w, unsigned n_mbufs, int offload, unsigned pool_cache)
{
	memset(w, 0, sizeof(*w));
	w->mp = fake_pool_create_cached("wire", n_mbufs, RTE_MBUF_DEFAULT_BUF_SIZE, pool_cache);
	if (w->mp == NULL)
		return -ENOMEM;
	w->now = WIRE_HZ * 1000;
	w->offload = offload;
	return 0;
}

struct wire_host *
wire_host_add(struct wire *w, rte_be32_t addr, const struct fo_tcp_config *cfg)
{
	struct fo_tcp_config def;
	struct fo_net_iface ifc;
	struct wire_host *h;
	unsigned id = w->n_hosts;

	if (id >= WIRE_MAX_HOSTS)
		return NULL;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	memset(&ifc, 0, sizeof(ifc));
	ifc.port_id = 0;
	ifc.mtu = 1500;
	ifc.prefix_len = 24;
	ifc.configured = 1;
	/* locally administered, unique per host */
	ifc.mac.addr_bytes[0] = 0x02;
	ifc.mac.addr_bytes[4] = 0x57;
	ifc.mac.addr_bytes[5] = (uint8_t)(id + 1);
	ifc.addr = addr;
	if (w->offload) {
		ifc.tx_offloads = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
		ifc.rx_offloads = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
	}
	h->net = aligned_alloc(
		RTE_CACHE_LINE_SIZE, RTE_ALIGN_CEIL(sizeof(*h->net), RTE_CACHE_LINE_SIZE));
	if (h->net == NULL)
		goto fail;
	if (fo_net_worker_init(h->net, 0, 1, w->mp, &ifc, 1, WIRE_HZ) != 0)
		goto fail;
	h->net->now = w->now;
	if (cfg == NULL) {
		memset(&def, 0, sizeof(def));
		def.max_conns = 4096;
		cfg = &def;
	}
	h->tw = fo_tcp_worker_create(cfg, h->net, w->mp, 0, 1, wire_secret, 0);
	if (h->tw == NULL)
		goto fail;
	h->addr = addr;
	w->hosts[w->n_hosts++] = h;
	return h;
fail:
	free(h->net);
	free(h);
	return NULL;
}

static struct wire_host *
host_by_mac(struct wire *w, const struct rte_ether_addr *mac)
{
	unsigned i;

	for (i = 0; i < w->n_hosts; i++)
		if (rte_is_same_ether_addr(mac, &w->hosts[i]->net->ifaces[0].mac))
			return w->hosts[i];
	return NULL;
}

static void
deliver(struct wire *w, struct wire_host *to, const uint8_t *frame, uint32_t len)
{
	struct rte_mbuf *m;

	if (to->n_in >= WIRE_INBOX) {
		to->inbox_drops++;
		return;
	}
	m = rte_pktmbuf_alloc(w->mp);
	if (m == NULL) {
		to->inbox_drops++;
		return;
	}
	memcpy(rte_pktmbuf_append(m, (uint16_t)len), frame, len);
	m->port = 0;
	if (w->offload)
		m->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	to->in[to->n_in++] = m;
}

/* "Transmit" what @p from queued: copy each frame to its destination(s). */
static unsigned
transmit(struct wire *w, struct wire_host *from)
{
	static uint8_t frame[RTE_MBUF_DEFAULT_BUF_SIZE];
	struct fo_net_txq *q = &from->net->txq[0];
	const struct rte_ether_hdr *eh;
	unsigned i, j, n = q->n;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = q->pkts[i];
		uint32_t len = rte_pktmbuf_pkt_len(m);
		const uint8_t *p;

		w->frames++;
		from->frames_tx++;
		if (len > sizeof(frame) - RTE_PKTMBUF_HEADROOM ||
			(w->drop_every != 0 && w->frames % w->drop_every == 0)) {
			w->dropped++;
			rte_pktmbuf_free(m);
			continue;
		}
		p = rte_pktmbuf_read(m, 0, len, frame);
		eh = (const struct rte_ether_hdr *)p;
		if (rte_is_broadcast_ether_addr(&eh->dst_addr)) {
			for (j = 0; j < w->n_hosts; j++)
				if (w->hosts[j] != from)
					deliver(w, w->hosts[j], p, len);
		} else {
			struct wire_host *to = host_by_mac(w, &eh->dst_addr);

			if (to != NULL)
				deliver(w, to, p, len);
			else
				w->dropped++;
		}
		rte_pktmbuf_free(m);
	}
	q->n = 0;
	return n;
}

/* A host's own work for one round. @return work done (frames in, timers, app). */
static unsigned
host_round(struct wire *w, struct wire_host *h)
{
	struct fo_net_worker *net = h->net;
	unsigned work = 0;
	uint64_t t0 = __rdtsc();

	net->now = w->now;
	if (h->n_in != 0) {
		uint16_t n = h->n_in;

		h->frames_rx += n;
		h->n_in = 0;
		fo_net_input(net, 0, h->in, n);
		if (net->tcp_rx.n != 0) {
			fo_tcp_input(h->tw, net->tcp_rx.pkts, net->tcp_rx.n);
			net->tcp_rx.n = 0;
		}
		work += n;
	}
	fo_net_timer(net);
	work += fo_tcp_timer(h->tw);
	if (h->poll != NULL)
		work += h->poll(h, h->poll_arg);
	work += fo_tcp_flush(h->tw);
	fo_net_burst_end(net);
	h->cycles += __rdtsc() - t0;
	if (work != 0)
		h->rounds_busy++;
	return work;
}

/* host_round() of a profiled host (struct wire_host.profiled). */
__attribute__((noinline)) unsigned
wire_profiled_round(struct wire *w, struct wire_host *h)
{
	return host_round(w, h);
}

unsigned
wire_step(struct wire *w)
{
	unsigned i, moved = 0, work = 0;

	w->now += WIRE_ROUND_NS;
	for (i = 0; i < w->n_hosts; i++)
		work += w->hosts[i]->profiled ? wire_profiled_round(w, w->hosts[i])
					      : host_round(w, w->hosts[i]);
	for (i = 0; i < w->n_hosts; i++)
		moved += transmit(w, w->hosts[i]);
	return moved + work;
}

unsigned
wire_run(struct wire *w, unsigned max_rounds)
{
	unsigned r;

	for (r = 0; r < max_rounds; r++)
		if (wire_step(w) == 0)
			return r + 1;
	return r;
}

void
wire_advance(struct wire *w, uint64_t ms)
{
	w->now += ms * (WIRE_HZ / 1000);
}

unsigned
wire_free(struct wire *w)
{
	unsigned i, j, leaked;

	for (i = 0; i < w->n_hosts; i++) {
		struct wire_host *h = w->hosts[i];

		fo_tcp_worker_free(h->tw); /* NULL when the caller freed it first */
		for (j = 0; j < h->n_in; j++)
			rte_pktmbuf_free(h->in[j]);
		for (j = 0; j < h->net->txq[0].n; j++)
			rte_pktmbuf_free(h->net->txq[0].pkts[j]);
		h->net->txq[0].n = 0;
		fo_net_burst_end(h->net);
		free(h->net);
		free(h);
	}
	leaked = fake_pool_in_use(w->mp);
	fake_pool_free(w->mp);
	memset(w, 0, sizeof(*w));
	return leaked;
}
