/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * px_chain_append(): a short single-segment chain is copied into the tailroom
 * of the last segment it is appended to only when that segment is a direct
 * mbuf nobody else holds; otherwise the chains are linked. The bytes and
 * lengths come out the same either way, and nothing leaks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_mbuf.h>

#include "fake_pool.h"
#include "proxy_priv.h"

static struct rte_mempool *mp;

static struct rte_mbuf *
seg(char fill, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	char *p;

	assert_non_null(m);
	p = rte_pktmbuf_append(m, len);
	assert_non_null(p);
	memset(p, fill, len);
	return m;
}

/* @p m holds @p na bytes 'a' then @p nb bytes 'b'. */
static void
check_bytes(const struct rte_mbuf *m, uint32_t na, uint32_t nb)
{
	uint32_t off = 0;

	assert_int_equal(rte_pktmbuf_pkt_len(m), na + nb);
	for (; m != NULL; m = m->next) {
		const char *p = rte_pktmbuf_mtod(m, const char *);
		uint16_t i;

		for (i = 0; i < m->data_len; i++, off++)
			assert_int_equal(p[i], off < na ? 'a' : 'b');
	}
	assert_int_equal(off, na + nb);
}

static int
setup(void **state)
{
	(void)state;
	mp = fake_pool_create("mbuf", 64, RTE_MBUF_DEFAULT_BUF_SIZE);
	return mp == NULL;
}

static int
teardown(void **state)
{
	(void)state;
	assert_int_equal(fake_pool_in_use(mp), 0);
	fake_pool_free(mp);
	return 0;
}

static void
test_copied(void **state)
{
	struct rte_mbuf *a = seg('a', 100), *r;

	(void)state;
	/* a head and a 12-byte body: one mbuf, the body's freed */
	r = px_chain_append(a, seg('b', 12));
	assert_ptr_equal(r, a);
	assert_int_equal(r->nb_segs, 1);
	assert_null(r->next);
	check_bytes(r, 100, 12);
	assert_int_equal(fake_pool_in_use(mp), 1);
	/* up to PX_APPEND_COPY bytes */
	r = px_chain_append(r, seg('b', PX_APPEND_COPY));
	assert_int_equal(r->nb_segs, 1);
	check_bytes(r, 100, 12 + PX_APPEND_COPY);
	rte_pktmbuf_free(r);
}

static void
test_linked(void **state)
{
	struct rte_mbuf *a, *b, *r, *clone;

	(void)state;
	/* longer than PX_APPEND_COPY */
	r = px_chain_append(seg('a', 10), seg('b', PX_APPEND_COPY + 1));
	assert_int_equal(r->nb_segs, 2);
	check_bytes(r, 10, PX_APPEND_COPY + 1);
	rte_pktmbuf_free(r);

	/* more than one segment */
	b = seg('b', 5);
	rte_pktmbuf_chain(b, seg('b', 5));
	r = px_chain_append(seg('a', 10), b);
	assert_int_equal(r->nb_segs, 3);
	check_bytes(r, 10, 10);
	rte_pktmbuf_free(r);

	/* the last segment is shared (refcnt 2): never written into */
	a = seg('a', 10);
	rte_mbuf_refcnt_update(a, 1);
	r = px_chain_append(a, seg('b', 4));
	assert_int_equal(r->nb_segs, 2);
	check_bytes(r, 10, 4);
	assert_int_equal(a->data_len, 10);
	rte_mbuf_refcnt_update(a, -1);
	rte_pktmbuf_free(r);

	/* the last segment is an indirect mbuf (a clone's): linked, the
	 * original's bytes untouched */
	a = seg('a', 10);
	clone = rte_pktmbuf_clone(a, mp);
	assert_non_null(clone);
	r = px_chain_append(clone, seg('b', 4));
	assert_int_equal(r->nb_segs, 2);
	check_bytes(r, 10, 4);
	assert_int_equal(a->data_len, 10);
	rte_pktmbuf_free(r);
	rte_pktmbuf_free(a);

	/* no tailroom left for it */
	a = seg('a', 0);
	assert_non_null(rte_pktmbuf_append(a, (uint16_t)(rte_pktmbuf_tailroom(a) - 3)));
	r = px_chain_append(a, seg('b', 4));
	assert_int_equal(r->nb_segs, 2);
	rte_pktmbuf_free(r);
}

static void
test_null(void **state)
{
	struct rte_mbuf *a = seg('a', 3);

	(void)state;
	assert_null(px_chain_append(NULL, NULL));
	assert_ptr_equal(px_chain_append(a, NULL), a);
	assert_ptr_equal(px_chain_append(NULL, a), a);
	rte_pktmbuf_free(a);
}

static unsigned rooms_asked;

static uint32_t
room(uint32_t n)
{
	rooms_asked++;
	return n;
}

/*
 * px_chain_cut_room(): one segment goes whole (larger than the room too)
 * without the room being asked; a chain is cut at the room as
 * px_chain_cut() cuts it.
 */
static void
test_cut_room(void **state)
{
	struct rte_mbuf *h = seg('a', 100), *m;

	(void)state;
	rooms_asked = 0;
	m = px_chain_cut_room(&h, room(10));
	assert_null(h);
	assert_int_equal(rooms_asked, 0);
	check_bytes(m, 100, 0);
	rte_pktmbuf_free(m);

	h = seg('a', 100);
	assert_int_equal(rte_pktmbuf_chain(h, seg('b', 50)), 0);
	m = px_chain_cut_room(&h, room(120));
	assert_int_equal(rooms_asked, 1);
	check_bytes(m, 100, 0);
	assert_non_null(h);
	check_bytes(h, 0, 50);
	rte_pktmbuf_free(m);
	m = px_chain_cut_room(&h, room(0));
	assert_int_equal(rooms_asked, 1); /* one segment left: whole, room not asked */
	assert_null(h);
	check_bytes(m, 0, 50);
	rte_pktmbuf_free(m);
}

/*
 * px_mbuf_drop() keeps one plain mbuf of the worker's pool (one segment,
 * direct, held by nobody else) and frees anything else; px_mbuf_alloc()
 * hands it back reset as from the pool, then allocates from the pool.
 */
static void
test_spare(void **state)
{
	struct fo_proxy_worker *pw = calloc(1, sizeof(*pw));
	struct rte_mbuf *a = seg('a', 300), *b, *c, *d;

	(void)state;
	assert_non_null(pw);
	pw->pool = mp;
	rte_pktmbuf_adj(a, 7); /* data_off moved, as after a head was consumed */
	b = seg('b', 10);
	assert_int_equal(rte_pktmbuf_chain(b, seg('c', 10)), 0);
	px_mbuf_drop(pw, b); /* a chain: freed */
	assert_null(pw->spare);
	c = seg('c', 10);
	rte_mbuf_refcnt_update(c, 1);
	px_mbuf_drop(pw, c); /* held elsewhere too: one reference dropped */
	assert_null(pw->spare);
	assert_int_equal(rte_mbuf_refcnt_read(c), 1);
	px_mbuf_drop(pw, a);
	assert_ptr_equal(pw->spare, a);
	px_mbuf_drop(pw, c); /* a spare already: freed */
	assert_ptr_equal(pw->spare, a);
	d = px_mbuf_alloc(pw);
	assert_ptr_equal(d, a);
	assert_null(pw->spare);
	assert_int_equal(d->data_len, 0);
	assert_int_equal(d->pkt_len, 0);
	assert_int_equal(d->nb_segs, 1);
	assert_null(d->next);
	assert_int_equal(d->data_off, RTE_MIN(RTE_PKTMBUF_HEADROOM, d->buf_len));
	assert_int_equal(rte_pktmbuf_tailroom(d), d->buf_len - d->data_off);
	b = px_mbuf_alloc(pw); /* none spare: the pool's */
	assert_non_null(b);
	assert_ptr_not_equal(b, d);
	rte_pktmbuf_free(b);
	rte_pktmbuf_free(d);
	free(pw);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_copied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_linked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_null, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cut_room, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spare, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
