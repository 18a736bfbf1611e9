/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for lib/net's input path (also run by replay_net over
 * corpus/net/). Input: one flags byte, one split byte, then the frame.
 *   flags bit 0: the interface has VLAN 100
 *   bits 1-2:    rx IP checksum flag (unknown, good, bad, none)
 *   bit 3:       the port offloads the IPv4 tx checksum
 *   bit 4:       split the frame in two segments at the split byte
 *   bit 5:       a packet to 198.18.0.2 is waiting for ARP resolution
 *   bit 6:       the NIC stripped a VLAN 100 tag (RX_VLAN_STRIPPED)
 * The frame's last byte is the last byte of its heap buffer, so ASan
 * catches any over-read. The frame goes through fo_net_input(), then
 * fo_net_burst_end() and fo_net_timer() with time moving on; invariants
 * (each mbuf consumed once, one drop reason at most, valid checksums on
 * what is sent) abort on violation.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_ethdev.h>

#include "../unit/net_fake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fo_net_worker *fw;

static void
check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_net: invariant broken: %s\n", what);
		abort();
	}
}

static int
in_txq(const struct fo_net_worker *w, const struct rte_mbuf *m)
{
	uint16_t i;

	for (i = 0; i < w->txq[0].n; i++)
		if (w->txq[0].pkts[i] == m)
			return 1;
	return 0;
}

/* sent frames must carry valid IPv4/ICMP checksums (software case) */
static void
check_sent(const struct rte_mbuf *m, int offload)
{
	static uint8_t flat[65536 + 64];
	const struct rte_mbuf *s;
	uint32_t off = 0;
	uint16_t l2 = 14, tot;

	for (s = m; s != NULL; s = s->next) {
		check(off + s->data_len <= sizeof(flat), "chain length");
		memcpy(flat + off, rte_pktmbuf_mtod(s, const uint8_t *), s->data_len);
		off += s->data_len;
	}
	check(off == m->pkt_len, "pkt_len matches the chain");
	check(off >= 14, "sent frame has an Ethernet header");
	if (fk_get16(flat + 12) == 0x8100) {
		check(off >= 18, "sent frame has a whole tag");
		l2 = 18;
	}
	if (fk_get16(flat + l2 - 2) != 0x0800)
		return;
	check(off >= l2 + 20u, "sent IPv4 header whole");
	if (!offload)
		check(fk_cksum_ok(flat + l2, 20), "IPv4 checksum of a sent packet");
	tot = fk_get16(flat + l2 + 2);
	check(tot >= 28 && l2 + tot <= off, "sent IPv4 length");
	if (flat[l2 + 9] == 1)
		check(fk_cksum_ok(flat + l2 + 20, tot - 20u), "ICMP checksum of a sent packet");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fo_net_iface ifc;
	struct fo_net_stats before;
	struct rte_mbuf *m;
	uint8_t flags, split;
	uint16_t len, i;
	int drop, queued, freed;

	if (size < 2 || size > 2 + 9000)
		return 0;
	flags = data[0];
	split = data[1];
	data += 2;
	len = (uint16_t)(size - 2);

	if (fw == NULL) {
		fw = aligned_alloc(RTE_CACHE_LINE_SIZE, sizeof(*fw));
		if (fw == NULL)
			abort();
	}
	ifc = fk_iface(flags & 1 ? 100 : 0, flags & 8 ? RTE_ETH_TX_OFFLOAD_IPV4_CKSUM : 0);
	if (fo_net_worker_init(fw, 0, 1, NULL, &ifc, 1, FK_HZ) != 0)
		abort();
	fw->now = FK_HZ;

	if (flags & 0x20) {
		struct rte_mbuf *p = fk_mbuf_empty();
		uint8_t *ip = (uint8_t *)rte_pktmbuf_append(p, 28);

		fk_ip4(ip, FK_IP(198, 18, 0, 1), FK_IP(198, 18, 0, 2), 17, 8, 64, 1);
		memset(ip + 20, 0, 8);
		check(fo_net_output_ip4(fw, p, FK_IP(198, 18, 0, 2)) == 0, "queue for ARP");
		fw->txq[0].n = 0;
	}

	if ((flags & 0x10) && split > 0 && split < len) {
		uint16_t segs[2] = {split, (uint16_t)(len - split)};

		m = fk_mbuf_chain(data, len, segs, 2);
	} else {
		m = fk_mbuf_exact(data, len, RTE_PKTMBUF_HEADROOM);
	}
	switch ((flags >> 1) & 3) {
	case 1:
		m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD;
		break;
	case 2:
		m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_BAD;
		break;
	case 3:
		m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_NONE;
		break;
	}
	if (flags & 0x40) {
		m->ol_flags |= RTE_MBUF_F_RX_VLAN_STRIPPED | RTE_MBUF_F_RX_VLAN;
		m->vlan_tci = 100;
	}

	before = fw->stats;
	check(fo_net_input(fw, 0, &m, 1) == 1, "input count");
	drop = fk_drop_diff(&before, &fw->stats);
	fo_net_burst_end(fw);
	queued = in_txq(fw, m);
	freed = fk_was_freed(m);
	check(queued + freed == 1, "the frame is sent or freed, once");
	check(drop != -2, "at most one drop reason per frame");
	check(!queued || drop == -1, "a sent frame is not counted as dropped");
	check(fw->stats.rx_pkts == 1, "rx_pkts");
	for (i = 0; i < fw->txq[0].n; i++)
		check_sent(fw->txq[0].pkts[i], (flags & 8) != 0);

	/* time passes: retries, give-up, frees */
	fw->txq[0].n = 0;
	for (i = 0; i < 8; i++) {
		fw->now += FK_MS(1000);
		fo_net_timer(fw);
		fw->txq[0].n = 0;
	}
	fo_net_burst_end(fw);
	check(fw->n_dropped == 0, "burst end empties the drop list");
	fk_reset();
	return 0;
}
