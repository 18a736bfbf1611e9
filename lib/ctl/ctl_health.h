/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internals of the health registry, shared by ctl_health.c (slots,
 * upstream records, their hashes, the API that lists and describes
 * servers) and ctl_health_check.c (the active and passive state machines,
 * their timers, and what the workers report and are sent).
 */
#ifndef CTL_HEALTH_H
#define CTL_HEALTH_H

#include <stdint.h>

#include "fo_ctl.h"
#include "fo_timer.h"

#define HC_NONE FO_PROXY_HSLOT_NONE
/* A check whose result did not come back this long after its timeout is lost. */
#define HC_LOST_GRACE_MS 1000
/* Ejections in a row beyond which the ejection stops doubling (32x). */
#define HC_EJECT_SHIFT_MAX 5

/* One upstream name with at least one slot. */
struct hc_up {
	struct fo_ctl_health_params p;
	uint32_t n_members; /* slots in use under this name */
	uint32_t n_ejected; /* of those, ejected now */
	uint32_t head;      /* first member slot */
	uint32_t hnext;     /* next record in its hash bucket */
	uint32_t hash;
	char name[]; /* NUL-terminated */
};

/* One health slot: a server identity while a snapshot lists it. */
struct hc_slot {
	struct fo_ctl_health *h; /* for the timer callbacks */
	struct fo_timer t_check; /* next check due */
	struct fo_timer t_lost;  /* the check in flight is lost */
	struct fo_timer t_eject; /* the ejection ends */
	uint32_t occ;            /* occupant: + 1 each time the slot is taken (never reset) */
	/* from here on, cleared when the slot is freed (but seq goes on) */
	uint64_t sent_ms, prev_sent_ms; /* last check sent; the one before (unsend) */
	uint64_t eject_until_ms;
	uint64_t checks, checks_failed, ejections, failures;
	rte_be32_t addr;
	uint32_t refs;         /* 0: free */
	uint32_t up;           /* index of its upstream record */
	uint32_t hnext;        /* next slot in its hash bucket */
	uint32_t mprev, mnext; /* members of its upstream */
	uint32_t fnext;        /* free list */
	uint32_t rprev, rnext; /* ready list */
	/* last check's seq; never reset, so late results for an earlier occupant stay stale */
	uint32_t seq;
	uint32_t passes, fails;
	uint32_t in_a_row; /* ejections in a row (saturates at HC_EJECT_SHIFT_MAX + 1) */
	uint16_t port;
	uint16_t last_status;
	uint8_t last_why;
	uint8_t state; /* FO_PROXY_HEALTH_* as published */
	uint8_t inflight, ready, has_sent, prev_has_sent;
	uint8_t refused; /* an ejection was refused since the last one or the last OK: logged */
};

struct fo_ctl_health {
	uint8_t *table;
	struct hc_slot *slots;
	uint32_t cap, mask;
	uint32_t *buckets;  /* slot hash: first slot, [mask + 1] */
	uint32_t *ubuckets; /* upstream hash: first record, [mask + 1] */
	struct hc_up **ups; /* [cap]: there are never more upstreams than slots in use */
	uint32_t *ufree;    /* free record indices, a stack */
	uint32_t n_ufree;
	uint32_t free_head, free_tail;
	uint32_t ready_head, ready_tail;
	struct fo_timer_wheel wheel;
	int clock_set;
	uint64_t now_ms; /* of the call running the timers */
	void (*log)(void *arg, const char *line);
	void *log_arg;
	struct fo_ctl_health_stats st;
};

static inline uint32_t
hc_slot_idx(const struct fo_ctl_health *h, const struct hc_slot *s)
{
	return (uint32_t)(s - h->slots);
}

static inline void
hc_publish(struct fo_ctl_health *h, struct hc_slot *s)
{
	/* relaxed: one writer, and a worker needs only this byte, old or new */
	__atomic_store_n(&h->table[hc_slot_idx(h, s)], s->state, __ATOMIC_RELAXED);
}

static inline const struct fo_ctl_health_params *
hc_params(const struct fo_ctl_health *h, const struct hc_slot *s)
{
	return &h->ups[s->up]->p;
}

/** Set the registry's clock (the wheel starts at the first time given). */
void hc_clock(struct fo_ctl_health *h, uint64_t now_ms);
/** Arm the slot's next check: interval after the last one sent, or now. */
void hc_check_schedule(struct fo_ctl_health *h, struct hc_slot *s);
/** Checks are off for the slot, or it is freed: forget them; DOWN is cleared (and logged). */
void hc_check_stop(struct fo_ctl_health *h, struct hc_slot *s);
/* timer callbacks (fo_timer_init() at create) */
void hc_on_check_due(struct fo_timer *t);
void hc_on_check_lost(struct fo_timer *t);
void hc_on_eject_end(struct fo_timer *t);

#endif /* CTL_HEALTH_H */
