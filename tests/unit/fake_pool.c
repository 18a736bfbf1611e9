/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fake packet mbuf pool for unit tests (see fake_pool.h): a struct
 * rte_mempool laid out like rte_pktmbuf_pool_create() would, backed by mempool
 * ops over a plain array, so that no EAL is needed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "fake_pool.h"

#if defined(__SANITIZE_ADDRESS__)
#define FAKE_POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FAKE_POOL_ASAN 1
#endif
#endif

#ifdef FAKE_POOL_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n)                                                                               \
	do {                                                                                       \
		(void)(p);                                                                         \
		(void)(n);                                                                         \
	} while (0)
#define UNPOISON(p, n)                                                                             \
	do {                                                                                       \
		(void)(p);                                                                         \
		(void)(n);                                                                         \
	} while (0)
#endif

/* Space before each object for its struct rte_mempool_objhdr; keeps the
 * objects (struct rte_mbuf is cache aligned) on cache lines. */
#define OBJ_HDR_SIZE RTE_CACHE_LINE_SIZE

/* Behind mp->pool_data. */
struct fake_pool {
	char *base; /* objects, stride bytes apart, header first */
	size_t stride;
	unsigned n;
	unsigned n_free;
	unsigned fail_next;
	unsigned failures;
	void **free_objs; /* stack of free objects, n_free deep */
	uint8_t *is_free; /* per object, for double-free detection */
};

static int fake_ops_index = -1;

static struct fake_pool *
fp_of(const struct rte_mempool *mp)
{
	return mp->pool_data;
}

static void
fp_fatal(const struct rte_mempool *mp, const void *obj, const char *what)
{
	fprintf(stderr, "fake_pool %s: mbuf %p: %s\n", mp->name, obj, what);
	abort();
}

/* Index of @p obj in the pool, or -1 when it is not one of its objects. */
static long
fp_index(const struct fake_pool *fp, const void *obj)
{
	const char *p = obj;
	size_t off;

	if (p < fp->base + OBJ_HDR_SIZE || p >= fp->base + fp->stride * fp->n)
		return -1;
	off = (size_t)(p - fp->base - OBJ_HDR_SIZE);
	if (off % fp->stride != 0)
		return -1;
	return (long)(off / fp->stride);
}

static int
fp_ops_alloc(struct rte_mempool *mp)
{
	/* pool_data is set by fake_pool_create(); never called through EAL. */
	return mp->pool_data != NULL ? 0 : -EINVAL;
}

static void
fp_ops_free(struct rte_mempool *mp)
{
	(void)mp;
}

static int
fp_ops_enqueue(struct rte_mempool *mp, void *const *objs, unsigned int n)
{
	struct fake_pool *fp = fp_of(mp);
	unsigned i;

	for (i = 0; i < n; i++) {
		const struct rte_mbuf *m = objs[i];
		long idx = fp_index(fp, m);

		if (idx < 0)
			fp_fatal(mp, m, "freed into a pool it does not belong to");
		if (fp->is_free[idx])
			fp_fatal(mp, m, "double free");
		/* What rte_mbuf_raw_free() requires of a returned mbuf. */
		if (rte_mbuf_refcnt_read(m) != 1)
			fp_fatal(mp, m, "returned with refcnt != 1");
		if (m->next != NULL || m->nb_segs != 1)
			fp_fatal(mp, m, "returned still chained (next/nb_segs)");
		if (!RTE_MBUF_DIRECT(m))
			fp_fatal(mp, m, "returned while indirect or external");
		if (fp->n_free >= fp->n)
			fp_fatal(mp, m, "free list overflow");
		fp->is_free[idx] = 1;
		fp->free_objs[fp->n_free++] = objs[i];
		POISON(objs[i], mp->elt_size);
	}
	return 0;
}

static int
fp_ops_dequeue(struct rte_mempool *mp, void **objs, unsigned int n)
{
	struct fake_pool *fp = fp_of(mp);
	unsigned i;

	if (fp->fail_next > 0) {
		fp->fail_next--;
		fp->failures++;
		return -ENOBUFS;
	}
	if (n > fp->n_free) {
		fp->failures++;
		return -ENOBUFS;
	}
	for (i = 0; i < n; i++) {
		void *obj = fp->free_objs[--fp->n_free];

		UNPOISON(obj, mp->elt_size);
		fp->is_free[fp_index(fp, obj)] = 0;
		objs[i] = obj;
	}
	return 0;
}

static unsigned
fp_ops_get_count(const struct rte_mempool *mp)
{
	return fp_of(mp)->n_free;
}

static const struct rte_mempool_ops fake_ops = {
	.name = "fo_fake_pool",
	.alloc = fp_ops_alloc,
	.free = fp_ops_free,
	.enqueue = fp_ops_enqueue,
	.dequeue = fp_ops_dequeue,
	.get_count = fp_ops_get_count,
};

static int
fp_register_ops(void)
{
	if (fake_ops_index < 0)
		fake_ops_index = rte_mempool_register_ops(&fake_ops);
	return fake_ops_index;
}

static struct rte_mempool *
fp_create(const char *name, unsigned n, uint16_t priv_size, uint16_t data_room, unsigned cache)
{
	struct rte_pktmbuf_pool_private *priv;
	struct rte_mempool *mp;
	struct fake_pool *fp;
	size_t hdr_len, elt;
	unsigned i;

	if (n == 0 || priv_size % RTE_MBUF_PRIV_ALIGN != 0 || cache > RTE_MEMPOOL_CACHE_MAX_SIZE)
		return NULL;
	if (fp_register_ops() < 0)
		return NULL;

	/* struct rte_mempool, its per-lcore caches when it has them, then the
	 * pktmbuf private area at rte_mempool_get_priv(). */
	hdr_len = RTE_ALIGN_CEIL(
		RTE_MEMPOOL_HEADER_SIZE(mp, cache) + sizeof(*priv), RTE_CACHE_LINE_SIZE);
	mp = aligned_alloc(RTE_CACHE_LINE_SIZE, hdr_len);
	fp = calloc(1, sizeof(*fp));
	if (mp == NULL || fp == NULL)
		goto fail;
	memset(mp, 0, hdr_len);

	elt = sizeof(struct rte_mbuf) + priv_size + data_room;
	fp->stride = RTE_ALIGN_CEIL(OBJ_HDR_SIZE + elt, RTE_CACHE_LINE_SIZE);
	fp->n = n;
	fp->base = aligned_alloc(RTE_CACHE_LINE_SIZE, fp->stride * n);
	fp->free_objs = calloc(n, sizeof(*fp->free_objs));
	fp->is_free = calloc(n, 1);
	if (fp->base == NULL || fp->free_objs == NULL || fp->is_free == NULL)
		goto fail;
	memset(fp->base, 0, fp->stride * n);

	snprintf(mp->name, sizeof(mp->name), "%s", name != NULL ? name : "fake");
	mp->pool_data = fp;
	mp->flags = RTE_MEMPOOL_F_POOL_CREATED | RTE_MEMPOOL_F_SP_PUT | RTE_MEMPOOL_F_SC_GET;
	mp->socket_id = SOCKET_ID_ANY;
	mp->size = n;
	/* cache 0: rte_mempool_default_cache() returns NULL, every get and put
	 * reaches the ops (and their checks). */
	mp->cache_size = cache;
	mp->elt_size = (uint32_t)elt;
	mp->header_size = OBJ_HDR_SIZE;
	mp->trailer_size = (uint32_t)(fp->stride - OBJ_HDR_SIZE - elt);
	mp->private_data_size = sizeof(*priv);
	mp->ops_index = fake_ops_index;
	mp->local_cache = NULL;
	if (cache > 0) {
		/* As rte_mempool_create_empty() lays them out and
		 * mempool_cache_init() sets them up (flush at 1.5 x size). */
		mp->local_cache = RTE_PTR_ADD(mp, RTE_MEMPOOL_HEADER_SIZE(mp, 0));
		for (i = 0; i < RTE_MAX_LCORE; i++) {
			mp->local_cache[i].size = cache;
			mp->local_cache[i].flushthresh = cache * 3 / 2;
			mp->local_cache[i].len = 0;
		}
	}
	STAILQ_INIT(&mp->elt_list);
	STAILQ_INIT(&mp->mem_list);

	priv = rte_mempool_get_priv(mp);
	priv->mbuf_data_room_size = data_room;
	priv->mbuf_priv_size = priv_size;
	priv->flags = 0;

	for (i = 0; i < n; i++) {
		char *obj = fp->base + (size_t)i * fp->stride + OBJ_HDR_SIZE;
		struct rte_mempool_objhdr *oh = (void *)(obj - sizeof(*oh));

		oh->mp = mp;
		/* No IOMMU here: IOVA = VA, so rte_mbuf_data_iova() is usable. */
		oh->iova = (rte_iova_t)(uintptr_t)obj;
		STAILQ_INSERT_TAIL(&mp->elt_list, oh, next);
		rte_pktmbuf_init(mp, NULL, obj, i);
	}
	mp->populated_size = n;

	/* Push in reverse so that allocation order is object order. */
	for (i = n; i-- > 0;) {
		void *obj = fp->base + (size_t)i * fp->stride + OBJ_HDR_SIZE;

		fp->is_free[i] = 1;
		fp->free_objs[fp->n_free++] = obj;
		POISON(obj, elt);
	}
	return mp;

fail:
	if (fp != NULL) {
		free(fp->base);
		free(fp->free_objs);
		free(fp->is_free);
	}
	free(fp);
	free(mp);
	return NULL;
}

struct rte_mempool *
fake_pool_create_priv(const char *name, unsigned n, uint16_t priv_size, uint16_t data_room)
{
	return fp_create(name, n, priv_size, data_room, 0);
}

struct rte_mempool *
fake_pool_create_cached(const char *name, unsigned n, uint16_t data_room, unsigned cache)
{
	return fp_create(name, n, 0, data_room, cache);
}

/* Objects parked in the per-lcore caches (free, but not on the free list). */
static unsigned
fp_cached(const struct rte_mempool *mp)
{
	unsigned i, c = 0;

	if (mp->cache_size == 0)
		return 0;
	for (i = 0; i < RTE_MAX_LCORE; i++)
		c += mp->local_cache[i].len;
	return c;
}

struct rte_mempool *
fake_pool_create(const char *name, unsigned n, uint16_t data_room)
{
	return fake_pool_create_priv(name, n, 0, data_room);
}

unsigned
fake_pool_in_use(const struct rte_mempool *mp)
{
	const struct fake_pool *fp = fp_of(mp);

	return fp->n - fp->n_free - fp_cached(mp);
}

unsigned
fake_pool_avail(const struct rte_mempool *mp)
{
	return fp_of(mp)->n_free + fp_cached(mp);
}

void
fake_pool_fail_next(struct rte_mempool *mp, unsigned n)
{
	fp_of(mp)->fail_next = n;
}

unsigned
fake_pool_failures(const struct rte_mempool *mp)
{
	return fp_of(mp)->failures;
}

int
fake_pool_owns(const struct rte_mempool *mp, const struct rte_mbuf *m)
{
	return fp_index(fp_of(mp), m) >= 0;
}

void
fake_pool_free(struct rte_mempool *mp)
{
	struct fake_pool *fp;

	if (mp == NULL)
		return;
	fp = fp_of(mp);
	UNPOISON(fp->base, fp->stride * fp->n);
	free(fp->base);
	free(fp->free_objs);
	free(fp->is_free);
	free(fp);
	free(mp);
}
