/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Publish by pointer swap, free after a QSBR grace period. The control
 * thread is the only writer of the slots and of the retire list; workers
 * only load slots and report quiescence, so nothing here takes a lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fo_ctl.h"

int
fo_ctl_retire_init(struct fo_ctl_retire *r, struct rte_rcu_qsbr *qsbr, unsigned cap)
{
	if (r == NULL || qsbr == NULL || cap == 0)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->items = calloc(cap, sizeof(*r->items));
	if (r->items == NULL)
		return -ENOMEM;
	r->qsbr = qsbr;
	r->cap = cap;
	return 0;
}

/** Free the first @p n items and close the gap. */
static void
retire_free_front(struct fo_ctl_retire *r, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		r->items[i].free_fn(r->items[i].obj);
	memmove(r->items, r->items + n, (r->n - n) * sizeof(*r->items));
	r->n -= n;
	r->freed += n;
}

unsigned
fo_ctl_reclaim(struct fo_ctl_retire *r)
{
	unsigned n = 0;

	/* tokens grow with time: once one has not passed, the later ones have not */
	while (n < r->n && rte_rcu_qsbr_check(r->qsbr, r->items[n].token, false) == 1)
		n++;
	if (n != 0)
		retire_free_front(r, n);
	return n;
}

int
fo_ctl_publish(struct fo_ctl_retire *r, void **slot, void *obj, void (*free_fn)(void *obj))
{
	void *old;

	if (r == NULL || slot == NULL || free_fn == NULL)
		return -EINVAL;
	/* the only writer: a plain load is the current value */
	old = *slot;
	/* release: the object's contents are visible before the pointer */
	__atomic_store_n(slot, obj, __ATOMIC_RELEASE);
	if (old == NULL)
		return 0;
	if (r->n == r->cap && fo_ctl_reclaim(r) == 0) {
		/* every slot still in its grace period: wait for the oldest */
		r->waited++;
		rte_rcu_qsbr_synchronize(r->qsbr, RTE_QSBR_THRID_INVALID);
		fo_ctl_reclaim(r);
	}
	r->items[r->n].token = rte_rcu_qsbr_start(r->qsbr);
	r->items[r->n].obj = old;
	r->items[r->n].free_fn = free_fn;
	r->n++;
	r->retired++;
	return 0;
}

void
fo_ctl_retire_fini(struct fo_ctl_retire *r)
{
	if (r == NULL || r->items == NULL)
		return;
	if (r->n != 0) {
		rte_rcu_qsbr_synchronize(r->qsbr, RTE_QSBR_THRID_INVALID);
		retire_free_front(r, r->n);
	}
	free(r->items);
	r->items = NULL;
	r->cap = 0;
}
