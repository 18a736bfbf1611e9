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
fo_ctl_retire_init(struct fo_ctl_retire *r, struct rte_rcu_qsbr *qsbr, unsigned cap,
	unsigned self)
{
	if (r == NULL || qsbr == NULL || cap == 0)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->items = calloc(cap, sizeof(*r->items));
	if (r->items == NULL)
		return -ENOMEM;
	r->qsbr = qsbr;
	r->cap = cap;
	r->self = self;
	return 0;
}

/** Can item @p i go: its grace period over and nobody holding it? */
static int
retire_ready(const struct fo_ctl_retire *r, unsigned i)
{
	const struct fo_ctl_retired *it = &r->items[i];

	return rte_rcu_qsbr_check(r->qsbr, it->token, false) == 1 &&
	       (it->busy_fn == NULL || !it->busy_fn(it->obj));
}

unsigned
fo_ctl_reclaim(struct fo_ctl_retire *r)
{
	unsigned i, k = 0, n = 0;

	for (i = 0; i < r->n; i++) {
		if (retire_ready(r, i)) {
			r->items[i].free_fn(r->items[i].obj);
			n++;
		} else {
			r->items[k++] = r->items[i]; /* oldest first, still */
		}
	}
	r->n = k;
	r->freed += n;
	return n;
}

int
fo_ctl_retire(struct fo_ctl_retire *r, void *obj, void (*free_fn)(void *obj),
	int (*busy_fn)(const void *obj))
{
	if (r == NULL || free_fn == NULL)
		return -EINVAL;
	if (obj == NULL)
		return 0;
	if (r->n == r->cap && fo_ctl_reclaim(r) == 0) {
		/* every one still in its grace period, or held: wait for the periods */
		r->waited++;
		rte_rcu_qsbr_synchronize(r->qsbr, r->self);
		if (fo_ctl_reclaim(r) == 0) {
			/* held by requests in flight: never free early, grow instead */
			struct fo_ctl_retired *items =
				realloc(r->items, 2 * r->cap * sizeof(*r->items));

			if (items == NULL)
				return -ENOMEM;
			r->items = items;
			r->cap *= 2;
			r->grown++;
		}
	}
	r->items[r->n].token = rte_rcu_qsbr_start(r->qsbr);
	r->items[r->n].obj = obj;
	r->items[r->n].free_fn = free_fn;
	r->items[r->n].busy_fn = busy_fn;
	r->n++;
	r->retired++;
	return 0;
}

int
fo_ctl_publish(struct fo_ctl_retire *r, void **slot, void *obj, void (*free_fn)(void *obj),
	int (*busy_fn)(const void *obj))
{
	void *old;

	if (r == NULL || slot == NULL || free_fn == NULL)
		return -EINVAL;
	/* the only writer: a plain load is the current value */
	old = *slot;
	/* release: the object's contents are visible before the pointer */
	__atomic_store_n(slot, obj, __ATOMIC_RELEASE);
	return fo_ctl_retire(r, old, free_fn, busy_fn);
}

void
fo_ctl_retire_fini(struct fo_ctl_retire *r)
{
	unsigned i;

	if (r == NULL || r->items == NULL)
		return;
	if (r->n != 0) {
		/* the workers are stopped or still reporting; nothing is held any more */
		rte_rcu_qsbr_synchronize(r->qsbr, r->self);
		for (i = 0; i < r->n; i++)
			r->items[i].free_fn(r->items[i].obj);
		r->freed += r->n;
		r->n = 0;
	}
	free(r->items);
	r->items = NULL;
	r->cap = 0;
}
