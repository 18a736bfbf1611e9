/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ctl publish and retire under QSBR (no EAL): a reader that has not
 * reported quiescence since a swap keeps the old object alive; objects are
 * freed oldest first once every online reader has; an offline reader
 * does not hold anything back; a full retire list waits for the oldest
 * grace period; and two reader threads loading the slot while the control
 * thread publishes 2,000 objects never see a freed one (poisoned on free;
 * under ASan a use after free aborts).
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "fo_ctl.h"

#define MAGIC 0x5a5a5a5au
#define N_READERS 2
#define N_PUBLISH 2000

struct obj {
	uint32_t magic;
	uint64_t gen;
	int held; /* requests in flight on it (busy_fn) */
};

static int
obj_busy(const void *p)
{
	return ((const struct obj *)p)->held != 0;
}

static unsigned n_freed;
static uint64_t freed_gen[64];

static void
obj_free(void *p)
{
	struct obj *o = p;

	if (n_freed < 64)
		freed_gen[n_freed] = o->gen;
	n_freed++;
	o->magic = 0xdeadbeef; /* a reader that still sees it fails its check */
	free(o);
}

static struct obj *
obj_new(uint64_t gen)
{
	struct obj *o = malloc(sizeof(*o));

	assert_non_null(o);
	o->magic = MAGIC;
	o->gen = gen;
	o->held = 0;
	return o;
}

static struct rte_rcu_qsbr *
qsbr_new(unsigned n)
{
	size_t sz = rte_rcu_qsbr_get_memsize(n);
	struct rte_rcu_qsbr *v = aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN_CEIL(sz, 64));
	unsigned i;

	assert_non_null(v);
	assert_int_equal(rte_rcu_qsbr_init(v, n), 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(rte_rcu_qsbr_thread_register(v, i), 0);
		rte_rcu_qsbr_thread_online(v, i);
	}
	return v;
}

static void
test_grace_period(void **state)
{
	struct rte_rcu_qsbr *v = qsbr_new(2);
	struct fo_ctl_retire r;
	void *slot = NULL;

	(void)state;
	n_freed = 0;
	assert_int_equal(fo_ctl_retire_init(&r, v, 8, RTE_QSBR_THRID_INVALID), 0);
	assert_int_equal(fo_ctl_publish(&r, &slot, obj_new(1), obj_free, NULL), 0);
	assert_int_equal(r.n, 0); /* nothing was there: nothing retired */
	assert_int_equal(fo_ctl_publish(&r, &slot, obj_new(2), obj_free, NULL), 0);
	assert_int_equal(((struct obj *)slot)->gen, 2);
	assert_int_equal(r.n, 1);
	assert_int_equal(fo_ctl_reclaim(&r), 0); /* no reader reported since */
	rte_rcu_qsbr_quiescent(v, 0);
	assert_int_equal(fo_ctl_reclaim(&r), 0); /* reader 1 may still hold gen 1 */
	rte_rcu_qsbr_quiescent(v, 1);
	assert_int_equal(fo_ctl_reclaim(&r), 1);
	assert_int_equal(n_freed, 1);
	assert_int_equal(freed_gen[0], 1);

	/* two more, then the readers report: freed oldest first */
	fo_ctl_publish(&r, &slot, obj_new(3), obj_free, NULL);
	rte_rcu_qsbr_quiescent(v, 0);
	rte_rcu_qsbr_quiescent(v, 1);
	fo_ctl_publish(&r, &slot, obj_new(4), obj_free, NULL);
	assert_int_equal(fo_ctl_reclaim(&r), 1); /* gen 2's period is over, gen 3's is not */
	assert_int_equal(freed_gen[1], 2);
	/* an offline reader holds nothing back */
	rte_rcu_qsbr_thread_offline(v, 1);
	rte_rcu_qsbr_quiescent(v, 0);
	assert_int_equal(fo_ctl_reclaim(&r), 1);
	assert_int_equal(freed_gen[2], 3);
	assert_int_equal(r.retired, 3);
	assert_int_equal(r.freed, 3);
	assert_int_equal(r.waited, 0);
	obj_free(slot);
	fo_ctl_retire_fini(&r);
	free(v);
}

/* an object held past the grace period (requests in flight) waits; a full list of them grows */
static void
test_busy(void **state)
{
	struct rte_rcu_qsbr *v = qsbr_new(1);
	struct fo_ctl_retire r;
	struct obj *held;
	void *slot = NULL;

	(void)state;
	n_freed = 0;
	assert_int_equal(fo_ctl_retire_init(&r, v, 2, RTE_QSBR_THRID_INVALID), 0);
	held = obj_new(1);
	held->held = 1;
	fo_ctl_publish(&r, &slot, held, obj_free, obj_busy);
	fo_ctl_publish(&r, &slot, obj_new(2), obj_free, obj_busy);
	rte_rcu_qsbr_quiescent(v, 0);
	assert_int_equal(fo_ctl_reclaim(&r), 0); /* grace period over, still held */
	fo_ctl_publish(&r, &slot, obj_new(3), obj_free, obj_busy); /* gen 2 retired, not held */
	rte_rcu_qsbr_quiescent(v, 0);
	assert_int_equal(fo_ctl_reclaim(&r), 1); /* gen 2 goes, gen 1 stays */
	assert_int_equal(freed_gen[0], 2);
	/* fill the list with held ones: it grows instead of freeing early */
	((struct obj *)slot)->held = 1;
	fo_ctl_publish(&r, &slot, obj_new(4), obj_free, obj_busy);
	((struct obj *)slot)->held = 1;
	rte_rcu_qsbr_thread_offline(v, 0); /* so that the wait returns at once */
	fo_ctl_publish(&r, &slot, obj_new(5), obj_free, obj_busy);
	assert_int_equal(r.grown, 1);
	assert_int_equal(r.n, 3);
	assert_int_equal(n_freed, 1);
	/* released: all go */
	held->held = 0;
	assert_int_equal(fo_ctl_reclaim(&r), 1);
	fo_ctl_retire_fini(&r); /* shutdown frees the rest, held or not */
	assert_int_equal(n_freed, 4);
	obj_free(slot);
	free(v);
}

/* fo_ctl_retire(): an object its owner unpublished itself (lib/tls's key sets, fanout's
 * certificate generations held by their sessions) waits like a replaced one */
static void
test_retire_direct(void **state)
{
	struct rte_rcu_qsbr *v = qsbr_new(1);
	struct fo_ctl_retire r;
	struct obj *a = obj_new(7), *b = obj_new(8);

	(void)state;
	n_freed = 0;
	assert_int_equal(fo_ctl_retire_init(&r, v, 4, RTE_QSBR_THRID_INVALID), 0);
	assert_int_equal(fo_ctl_retire(&r, NULL, obj_free, NULL), 0); /* nothing to retire */
	assert_int_equal(r.n, 0);
	assert_int_equal(fo_ctl_retire(&r, a, NULL, NULL), -EINVAL);
	b->held = 1; /* a session still on it */
	assert_int_equal(fo_ctl_retire(&r, a, obj_free, NULL), 0);
	assert_int_equal(fo_ctl_retire(&r, b, obj_free, obj_busy), 0);
	assert_int_equal(fo_ctl_reclaim(&r), 0); /* the reader has not reported */
	rte_rcu_qsbr_quiescent(v, 0);
	assert_int_equal(fo_ctl_reclaim(&r), 1); /* a goes; b is held */
	assert_int_equal(freed_gen[0], 7);
	b->held = 0;
	assert_int_equal(fo_ctl_reclaim(&r), 1);
	assert_int_equal(freed_gen[1], 8);
	assert_int_equal(r.retired, 2);
	assert_int_equal(r.freed, 2);
	fo_ctl_retire_fini(&r);
	free(v);
}

/* bad arguments */
static void
test_invalid(void **state)
{
	struct rte_rcu_qsbr *v = qsbr_new(1);
	struct fo_ctl_retire r;
	void *slot = NULL;

	(void)state;
	assert_int_equal(fo_ctl_retire_init(&r, NULL, 4, RTE_QSBR_THRID_INVALID), -EINVAL);
	assert_int_equal(fo_ctl_retire_init(&r, v, 0, RTE_QSBR_THRID_INVALID), -EINVAL);
	assert_int_equal(fo_ctl_retire_init(&r, v, 4, RTE_QSBR_THRID_INVALID), 0);
	assert_int_equal(fo_ctl_publish(&r, NULL, NULL, obj_free, NULL), -EINVAL);
	assert_int_equal(fo_ctl_publish(&r, &slot, NULL, NULL, NULL), -EINVAL);
	fo_ctl_retire_fini(&r);
	fo_ctl_retire_fini(&r); /* twice: a no-op */
	free(v);
}

struct reader {
	struct rte_rcu_qsbr *v;
	void **slot;
	unsigned id;
	volatile int *stop;
	uint64_t loads, bad, backwards;
};

static void *
reader_main(void *arg)
{
	struct reader *rd = arg;
	uint64_t last = 0;

	while (!__atomic_load_n(rd->stop, __ATOMIC_ACQUIRE)) {
		/* one "loop iteration": load, use, report */
		const struct obj *o = __atomic_load_n((struct obj **)rd->slot, __ATOMIC_ACQUIRE);

		if (o != NULL) {
			if (o->magic != MAGIC)
				rd->bad++;
			if (o->gen < last)
				rd->backwards++;
			last = o->gen;
			rd->loads++;
		}
		rte_rcu_qsbr_quiescent(rd->v, rd->id);
		sched_yield();
	}
	rte_rcu_qsbr_thread_offline(rd->v, rd->id);
	return NULL;
}

static void
test_readers_never_see_freed(void **state)
{
	struct rte_rcu_qsbr *v = qsbr_new(N_READERS);
	struct reader rd[N_READERS];
	pthread_t th[N_READERS];
	struct fo_ctl_retire r;
	volatile int stop = 0;
	void *slot = NULL;
	unsigned i;

	(void)state;
	n_freed = 0;
	assert_int_equal(fo_ctl_retire_init(&r, v, 16, RTE_QSBR_THRID_INVALID), 0); /* small: the full-list wait runs too */
	fo_ctl_publish(&r, &slot, obj_new(0), obj_free, NULL);
	for (i = 0; i < N_READERS; i++) {
		rd[i] = (struct reader){.v = v, .slot = &slot, .id = i, .stop = &stop};
		assert_int_equal(pthread_create(&th[i], NULL, reader_main, &rd[i]), 0);
	}
	for (i = 1; i <= N_PUBLISH; i++) {
		fo_ctl_publish(&r, &slot, obj_new(i), obj_free, NULL);
		fo_ctl_reclaim(&r);
		sched_yield(); /* 2 CPUs, 3 spinning threads: let the readers run */
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < N_READERS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(rd[i].bad, 0);
		assert_int_equal(rd[i].backwards, 0);
		assert_true(rd[i].loads > 0);
	}
	fo_ctl_retire_fini(&r);
	assert_int_equal(r.retired, N_PUBLISH);
	assert_int_equal(r.freed, N_PUBLISH);
	assert_int_equal(n_freed, N_PUBLISH);
	obj_free(slot);
	free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grace_period),
		cmocka_unit_test(test_busy),
		cmocka_unit_test(test_retire_direct),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_readers_never_see_freed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
