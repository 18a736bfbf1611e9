/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/net mbuf chains: fo_mbuf_linearize(), what a port without
 * multi-segment tx sends instead of a chain. Real DPDK mbuf code over the
 * fake pool, so freeing and reference counts are DPDK's own: a leak, a
 * double free or an indirect reference dropped twice fails the test.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake_pool.h"
#include "fo_net.h"

/* data room of the test pool: 128 headroom + 2048, as the app's default */
#define ROOM RTE_MBUF_DEFAULT_BUF_SIZE
#define MAX_LINEAR (ROOM - RTE_PKTMBUF_HEADROOM)

static uint8_t ref[4 * ROOM];

static void
pattern(uint8_t *p, uint32_t len, uint8_t seed)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 13 + seed + i / 251);
}

/** Direct mbuf of @p mp holding @p len bytes of @p data. */
static struct rte_mbuf *
seg(struct rte_mempool *mp, const uint8_t *data, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	char *p;

	assert_non_null(m);
	p = rte_pktmbuf_append(m, len);
	assert_non_null(p);
	memcpy(p, data, len);
	return m;
}

/** A chain of direct segments of lengths @p lens over ref[]. */
static struct rte_mbuf *
chain(struct rte_mempool *mp, const uint16_t *lens, unsigned n)
{
	struct rte_mbuf *head = NULL, *m;
	uint32_t off = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		m = seg(mp, ref + off, lens[i]);
		off += lens[i];
		if (head == NULL)
			head = m;
		else
			assert_int_equal(rte_pktmbuf_chain(head, m), 0);
	}
	return head;
}

static void
test_single_segment_untouched(void **state)
{
	struct rte_mempool *mp = fake_pool_create("t", 8, ROOM);
	struct rte_mbuf *m, *orig;

	(void)state;
	pattern(ref, 100, 1);
	m = orig = seg(mp, ref, 100);
	assert_int_equal(fo_mbuf_linearize(&m, mp), 0);
	assert_ptr_equal(m, orig);
	assert_int_equal(fake_pool_in_use(mp), 1);
	rte_pktmbuf_free(m);
	assert_int_equal(fake_pool_in_use(mp), 0);
	fake_pool_free(mp);
}

/* odd lengths, so that a byte-wise or 16-bit-wise copy error shows */
static void
test_chain_copied(void **state)
{
	static const uint16_t lens[] = {54, 1, 333, 7, 1000};
	struct rte_mempool *mp = fake_pool_create("t", 16, ROOM);
	struct rte_mbuf *m, *orig;
	uint32_t total = 54 + 1 + 333 + 7 + 1000;

	(void)state;
	pattern(ref, total, 3);
	m = orig = chain(mp, lens, 5);
	assert_int_equal(m->nb_segs, 5);
	m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM;
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = 20;
	m->l4_len = 20;
	m->vlan_tci = 7;
	m->port = 3;
	assert_int_equal(fo_mbuf_linearize(&m, mp), 0);
	assert_ptr_not_equal(m, orig);
	assert_int_equal(m->nb_segs, 1);
	assert_null(m->next);
	assert_int_equal(rte_pktmbuf_pkt_len(m), total);
	assert_int_equal(rte_pktmbuf_data_len(m), total);
	assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), ref, total);
	/* the NIC's instructions travel with the bytes */
	assert_int_equal(m->ol_flags,
		RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM);
	assert_int_equal(m->l2_len, RTE_ETHER_HDR_LEN);
	assert_int_equal(m->l3_len, 20);
	assert_int_equal(m->l4_len, 20);
	assert_int_equal(m->vlan_tci, 7);
	assert_int_equal(m->port, 3);
	/* headroom left for whoever prepends after us */
	assert_int_equal(rte_pktmbuf_headroom(m), RTE_PKTMBUF_HEADROOM);
	/* the five originals went back to the pool */
	assert_int_equal(fake_pool_in_use(mp), 1);
	rte_pktmbuf_free(m);
	assert_int_equal(fake_pool_in_use(mp), 0);
	fake_pool_free(mp);
}

/*
 * What lib/tcp sends: a header mbuf followed by indirect mbufs over the send
 * queue, at any offset. Linearising frees the frame but not the queue: the
 * queue's mbufs keep their data (for a retransmission) and their one
 * remaining reference.
 */
static void
test_tcp_frame_indirect(void **state)
{
	struct rte_mempool *mp = fake_pool_create("t", 16, ROOM);
	struct rte_mbuf *q1, *q2, *hdr, *i1, *i2, *m;
	uint8_t q1_copy[1200], q2_copy[900];

	(void)state;
	pattern(ref, 54, 9);
	pattern(q1_copy, sizeof(q1_copy), 21);
	pattern(q2_copy, sizeof(q2_copy), 77);
	/* the send queue: two direct mbufs */
	q1 = seg(mp, q1_copy, sizeof(q1_copy));
	q2 = seg(mp, q2_copy, sizeof(q2_copy));
	/* the frame: header + the tail of q1 from an odd offset + the head of q2 */
	hdr = seg(mp, ref, 54);
	i1 = rte_pktmbuf_alloc(mp);
	i2 = rte_pktmbuf_alloc(mp);
	assert_non_null(i1);
	assert_non_null(i2);
	rte_pktmbuf_attach(i1, q1);
	assert_non_null(rte_pktmbuf_adj(i1, 701));
	rte_pktmbuf_attach(i2, q2);
	assert_int_equal(rte_pktmbuf_trim(i2, 900 - 400), 0);
	assert_int_equal(rte_pktmbuf_chain(hdr, i1), 0);
	assert_int_equal(rte_pktmbuf_chain(hdr, i2), 0);
	assert_int_equal(rte_mbuf_refcnt_read(q1), 2);
	assert_int_equal(rte_mbuf_refcnt_read(q2), 2);
	memcpy(ref + 54, q1_copy + 701, 499);
	memcpy(ref + 54 + 499, q2_copy, 400);

	m = hdr;
	assert_int_equal(fo_mbuf_linearize(&m, mp), 0);
	assert_int_equal(m->nb_segs, 1);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 54 + 499 + 400);
	assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), ref, 54 + 499 + 400);
	/* hdr, i1, i2 freed; the queue holds its data with one reference each */
	assert_int_equal(fake_pool_in_use(mp), 3);
	assert_int_equal(rte_mbuf_refcnt_read(q1), 1);
	assert_int_equal(rte_mbuf_refcnt_read(q2), 1);
	assert_memory_equal(rte_pktmbuf_mtod(q1, uint8_t *), q1_copy, sizeof(q1_copy));
	assert_memory_equal(rte_pktmbuf_mtod(q2, uint8_t *), q2_copy, sizeof(q2_copy));
	rte_pktmbuf_free(m);
	rte_pktmbuf_free(q1);
	rte_pktmbuf_free(q2);
	assert_int_equal(fake_pool_in_use(mp), 0);
	fake_pool_free(mp);
}

/* the largest frame one mbuf holds after its headroom, and one byte more */
static void
test_too_long(void **state)
{
	uint16_t fit[] = {1000, 1000, MAX_LINEAR - 2000};
	uint16_t over[] = {1000, 1000, MAX_LINEAR - 2000 + 1};
	struct rte_mempool *mp = fake_pool_create("t", 16, ROOM);
	struct rte_mbuf *m, *orig;

	(void)state;
	pattern(ref, MAX_LINEAR + 1, 5);
	m = chain(mp, fit, 3);
	assert_int_equal(fo_mbuf_linearize(&m, mp), 0);
	assert_int_equal(rte_pktmbuf_pkt_len(m), MAX_LINEAR);
	assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), ref, MAX_LINEAR);
	rte_pktmbuf_free(m);
	assert_int_equal(fake_pool_in_use(mp), 0);

	m = orig = chain(mp, over, 3);
	assert_int_equal(fo_mbuf_linearize(&m, mp), -EMSGSIZE);
	/* untouched and still the caller's: nothing allocated, nothing freed */
	assert_ptr_equal(m, orig);
	assert_int_equal(m->nb_segs, 3);
	assert_int_equal(rte_pktmbuf_pkt_len(m), MAX_LINEAR + 1);
	assert_int_equal(fake_pool_in_use(mp), 3);
	assert_int_equal(fake_pool_failures(mp), 0);
	rte_pktmbuf_free(m);
	assert_int_equal(fake_pool_in_use(mp), 0);
	fake_pool_free(mp);
}

static void
test_pool_empty(void **state)
{
	static const uint16_t lens[] = {60, 61};
	struct rte_mempool *mp = fake_pool_create("t", 8, ROOM);
	struct rte_mbuf *m, *orig;

	(void)state;
	pattern(ref, 121, 11);
	m = orig = chain(mp, lens, 2);
	fake_pool_fail_next(mp, 1);
	assert_int_equal(fo_mbuf_linearize(&m, mp), -ENOBUFS);
	assert_ptr_equal(m, orig);
	assert_int_equal(m->nb_segs, 2);
	assert_int_equal(fake_pool_in_use(mp), 2);
	/* the next try, with a buffer available, succeeds */
	assert_int_equal(fo_mbuf_linearize(&m, mp), 0);
	assert_int_equal(m->nb_segs, 1);
	assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), ref, 121);
	rte_pktmbuf_free(m);
	assert_int_equal(fake_pool_in_use(mp), 0);
	fake_pool_free(mp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_segment_untouched),
		cmocka_unit_test(test_chain_copied),
		cmocka_unit_test(test_tcp_frame_indirect),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_pool_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
