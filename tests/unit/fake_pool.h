/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A fake struct rte_mempool of packet mbufs for unit tests: no EAL, no
 * hugepages, no rte_pktmbuf_pool_create(). DPDK's normal mbuf functions work
 * on it unchanged, inline or not: rte_pktmbuf_alloc/_alloc_bulk, _free,
 * _free_seg, _free_bulk, _clone, _attach/_detach, _prepend/_append/_adj/_trim,
 * _chain, rte_mbuf_refcnt_*, rte_pktmbuf_mtod, rte_mbuf_data_iova...
 *
 * How: the pool is laid out like a real one (struct rte_mempool, then a
 * struct rte_pktmbuf_pool_private; objects preceded by a struct
 * rte_mempool_objhdr, initialised with rte_pktmbuf_init()), cache_size is 0 so
 * no per-lcore cache is touched, and its ops_index names mempool ops
 * registered once with rte_mempool_register_ops() (which only fills
 * rte_mempool_ops_table: no EAL needed) whose enqueue/dequeue push and pop a
 * plain array.
 *
 * Checks, all fatal (message on stderr, then abort(), which cmocka reports
 * as a failed test):
 *   - freeing an mbuf twice, or one that is not from this pool;
 *   - returning an mbuf in a state rte_mbuf_raw_free() forbids (refcnt != 1,
 *     next != NULL, nb_segs != 1, still indirect).
 * Under -fsanitize=address every free object is poisoned, so any use of an
 * mbuf after its last free is reported by ASan at the faulty access.
 *
 * Typical use:
 * @code
 *	struct rte_mempool *mp = fake_pool_create("t", 64, RTE_MBUF_DEFAULT_BUF_SIZE);
 *	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
 *	...
 *	rte_pktmbuf_free(m);
 *	assert_int_equal(fake_pool_in_use(mp), 0);   // leak check
 *	fake_pool_free(mp);
 * @endcode
 *
 * Single-threaded only (test code): the ops registration and the free list
 * take no lock. Link tests with tests/unit/fake_pool.c (meson: fake_pool_src).
 */
#ifndef FAKE_POOL_H
#define FAKE_POOL_H

#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

/**
 * Create a pool of @p n packet mbufs, each with @p data_room bytes of buffer
 * (headroom included, like rte_pktmbuf_pool_create()'s data_room_size:
 * RTE_MBUF_DEFAULT_BUF_SIZE gives 128 headroom + 2048) and no private area.
 *
 * @return the pool, or NULL (n == 0, out of memory, the ops table of DPDK is
 *         full).
 */
struct rte_mempool *fake_pool_create(const char *name, unsigned n, uint16_t data_room);

/**
 * As fake_pool_create(), with @p priv_size bytes of application private area
 * between each struct rte_mbuf and its buffer (a multiple of
 * RTE_MBUF_PRIV_ALIGN, else NULL is returned).
 */
struct rte_mempool *fake_pool_create_priv(
	const char *name, unsigned n, uint16_t priv_size, uint16_t data_room);

/**
 * As fake_pool_create(), with a per-lcore cache of @p cache mbufs, as
 * rte_pktmbuf_pool_create(..., cache_size, ...) gives fanout's workers: for
 * benchmarks, where the checks of this pool's ops should cost what a real
 * pool's cache does. The cache is used by a thread whose rte_lcore_id() is a
 * valid lcore (set RTE_PER_LCORE(_lcore_id) without EAL); objects in a
 * cache skip the double-free and state checks until they are flushed.
 *
 * @return the pool, or NULL (as fake_pool_create(), or @p cache over
 *         RTE_MEMPOOL_CACHE_MAX_SIZE).
 */
struct rte_mempool *fake_pool_create_cached(
	const char *name, unsigned n, uint16_t data_room, unsigned cache);

/** @return mbufs currently allocated from @p mp (0 when nothing leaked). */
unsigned fake_pool_in_use(const struct rte_mempool *mp);

/** @return mbufs available in @p mp (size - in use). */
unsigned fake_pool_avail(const struct rte_mempool *mp);

/**
 * Make the next @p n allocation requests fail, as if the pool were empty.
 * A request is one dequeue: one rte_pktmbuf_alloc() (so one clone), or one
 * whole rte_pktmbuf_alloc_bulk(). 0 cancels a pending injection.
 */
void fake_pool_fail_next(struct rte_mempool *mp, unsigned n);

/** @return allocation requests refused so far (injected or pool empty). */
unsigned fake_pool_failures(const struct rte_mempool *mp);

/** @return non-zero when @p m is an object of @p mp (allocated or not). */
int fake_pool_owns(const struct rte_mempool *mp, const struct rte_mbuf *m);

/**
 * Free the pool, whatever is still allocated (check fake_pool_in_use()
 * before). NULL is a no-op.
 */
void fake_pool_free(struct rte_mempool *mp);

#endif /* FAKE_POOL_H */
