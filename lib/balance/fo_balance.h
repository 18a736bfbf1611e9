/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Balancing algorithms: which server of an upstream takes a request.
 *
 * Everything here is per worker and lock-free: a worker owns its
 * struct fo_bal_worker, its struct fo_bal_up per upstream (with one
 * struct fo_bal_srv per server) and the struct fo_bal_load of each
 * endpoint it knows. The only shared state is a Maglev table, built by
 * the control thread (fo_bal_maglev_build()) before the snapshot that
 * holds it is published, and read-only afterwards. The pickers never
 * allocate.
 *
 * The caller says which servers may take the request through a
 * fo_bal_usable_fn (health, drain, next hop...): the pickers call it for
 * the servers they consider, so the caller may count each one it refuses.
 * Every picker returns FO_BAL_NONE only after it asked about every server
 * (so the caller has seen them all for its fallbacks).
 *
 * Time and latency are in the caller's ticks (lib/proxy: TSC cycles);
 * only ratios of them matter.
 */
#ifndef FO_BALANCE_H
#define FO_BALANCE_H

#include <stddef.h>
#include <stdint.h>

/** No server may take the request. */
#define FO_BAL_NONE UINT32_MAX
/** Default Maglev table size: a prime, ~65 k entries (~1.5 % imbalance at 1000 servers). */
#define FO_BAL_MAGLEV_SIZE 65537u
/** Most servers of a hashed upstream (table entries are 16 bits). */
#define FO_BAL_MAGLEV_SERVERS_MAX 65535u
/** Table entries a lookup walks past unusable servers before it scans them all. */
#define FO_BAL_MAGLEV_WALK 64u
/** ingress-nginx's EWMA decay time, seconds. */
#define FO_BAL_EWMA_DECAY_S 10.0

/** The algorithms (`balance` directive). */
enum fo_bal_kind {
	FO_BAL_ROUND_ROBIN, /**< smooth weighted round-robin (nginx) */
	FO_BAL_LEAST_CONN,  /**< fewest in-flight requests per weight, ties round-robin */
	FO_BAL_EWMA,        /**< two random choices, lower decayed latency EWMA */
	FO_BAL_RANDOM,      /**< weighted random */
	FO_BAL_HASH,        /**< Maglev consistent hashing on a request key */
};

/** One endpoint's load as this worker sees it (kept across reloads by the caller). */
struct fo_bal_load {
	uint32_t inflight; /**< requests this worker has on it now */
	uint32_t pad;
	double ewma;     /**< latency EWMA, ticks */
	uint64_t ewma_t; /**< when ewma was last updated, ticks (0: never) */
};

/** Per worker, per server of an upstream. */
struct fo_bal_srv {
	int64_t cur;     /**< smooth round-robin current weight */
	uint32_t weight; /**< 1..; 0 is taken as 1 */
	uint32_t cum;    /**< weights of servers 0..this one (random) */
};

/** Per worker, per upstream: its servers, in config order. */
struct fo_bal_up {
	struct fo_bal_srv *srv; /**< [n] */
	unsigned n;
	uint32_t total;         /**< sum of the weights */
	uint32_t same_weight;   /**< the weight of every server when all are equal, else 0 */
	uint32_t next;          /**< equal weights: the server round-robin asks first */
	const uint16_t *maglev; /**< FO_BAL_HASH: the shared table, else NULL */
	uint32_t maglev_size;   /**< its entries (a prime) */
};

/**
 * Equal-weight round-robin (u->same_weight != 0) asks server
 * fo_bal_rr_first() first: a caller that can tell that this one is usable
 * without the callback takes it with fo_bal_rr_take(), the pick
 * fo_bal_round_robin() would make; otherwise it calls fo_bal_round_robin().
 */
static inline unsigned
fo_bal_rr_first(const struct fo_bal_up *u)
{
	return u->next < u->n ? u->next : 0;
}

static inline uint32_t
fo_bal_rr_take(struct fo_bal_up *u, unsigned i)
{
	u->next = i + 1 < u->n ? i + 1 : 0;
	return i;
}

/** Per worker. */
struct fo_bal_worker {
	uint64_t rng; /**< xorshift64* state, never 0 */
	double decay; /**< EWMA decay time in ticks (FO_BAL_EWMA_DECAY_S of them) */
};

/**
 * May server @p i of the upstream take the request?
 *
 * @return its load (never NULL for a usable server: give a dummy when the
 *         caller tracks none), or NULL when it may not.
 */
typedef struct fo_bal_load *(*fo_bal_usable_fn)(void *arg, unsigned i);

/**
 * Set up a worker: random state from @p seed (any value, e.g. the worker
 * id), EWMA decay time from @p ticks_per_s.
 */
void fo_bal_worker_init(struct fo_bal_worker *w, uint64_t seed, double ticks_per_s);

/**
 * Set up @p u over @p srv (@p n of them, weights already in srv[i].weight):
 * totals, cumulated weights, current weights 0 (weights changed later
 * take effect with another call). The round-robin sequence
 * is then advanced @p skew steps, so that workers started together do not
 * all send their first request to the same server.
 */
void fo_bal_up_init(struct fo_bal_up *u, struct fo_bal_srv *srv, unsigned n, unsigned skew);

/** A random 64-bit number from the worker's state. */
uint64_t fo_bal_rand(struct fo_bal_worker *w);

/**
 * Smooth weighted round-robin, as nginx: each usable server's current
 * weight grows by its weight, the largest is chosen and loses the total.
 * Weights 5,1,1 give a a b a c a a. When every server has the same weight
 * (the common case: a Service's endpoints), a cursor walks the servers in
 * turn and asks only until one is usable, O(1) per pick instead of one
 * question per server: the same sequence as nginx's while all are usable,
 * an even share among the usable ones otherwise.
 *
 * @return the server's index, or FO_BAL_NONE.
 */
uint32_t fo_bal_round_robin(struct fo_bal_up *u, fo_bal_usable_fn ok, void *arg);

/**
 * Least connections, as nginx: the usable server with the fewest in-flight
 * requests per weight; among equals, smooth weighted round-robin.
 *
 * @return the server's index, or FO_BAL_NONE.
 */
uint32_t fo_bal_least_conn(struct fo_bal_up *u, fo_bal_usable_fn ok, void *arg);

/**
 * Two random choices on latency, as ingress-nginx's ewma: two different
 * servers drawn at random, the one whose EWMA (decayed to @p now, as if
 * it had answered in 0 since its last answer) is lower. Weights are not
 * used (as ingress-nginx). An unusable draw leaves the other; two
 * unusable ones: the first usable server after the first draw.
 *
 * @return the server's index, or FO_BAL_NONE.
 */
uint32_t fo_bal_ewma(
	struct fo_bal_worker *w, struct fo_bal_up *u, uint64_t now, fo_bal_usable_fn ok, void *arg);

/**
 * Feed one latency sample @p rtt (ticks) taken at @p now into @p l's
 * EWMA: ewma = ewma * e^(-dt/decay) + rtt * (1 - e^(-dt/decay)), dt the
 * time since the last sample (ingress-nginx's decay_ewma).
 */
void fo_bal_ewma_update(struct fo_bal_load *l, uint64_t now, uint64_t rtt, double decay);

/** @p l's EWMA decayed to @p now (what fo_bal_ewma() compares). */
double fo_bal_ewma_score(const struct fo_bal_load *l, uint64_t now, double decay);

/**
 * Weighted random: a server drawn with probability weight/total; an
 * unusable draw is drawn again (3 times), then the first usable server
 * after it.
 *
 * @return the server's index, or FO_BAL_NONE.
 */
uint32_t fo_bal_random(
	struct fo_bal_worker *w, struct fo_bal_up *u, fo_bal_usable_fn ok, void *arg);

/**
 * Consistent hashing: the server u->maglev names for @p key; when it may
 * not take the request, the servers of the next entries of the table (at
 * most FO_BAL_MAGLEV_WALK entries: the same for every worker), then the
 * first usable server after the last one asked.
 *
 * @return the server's index, or FO_BAL_NONE (also when u has no table).
 */
uint32_t fo_bal_hash(const struct fo_bal_up *u, uint64_t key, fo_bal_usable_fn ok, void *arg);

/**
 * 64-bit hash of [@p p, + @p len) with a fixed seed: the same on every
 * worker, every run, every build and any host byte order (MurmurHash3-like
 * 8-byte blocks, then its 64-bit finalizer). Not meant to resist chosen
 * keys: a client can always pick the key that lands on a given server.
 */
uint64_t fo_bal_hash64(const void *p, size_t len);

/**
 * An endpoint's identity, @p addr (network order) and @p port (host
 * order): what Maglev permutes on, and what a sticky cookie carries.
 * Never 0.
 */
uint64_t fo_bal_endpoint_id(uint32_t addr, uint16_t port);

/**
 * Fill a Maglev table (Eisenbud et al., NSDI 2016) of @p size entries (a
 * prime larger than @p n) for @p n servers of identities @p ids and
 * weights @p weights (NULL: all 1): each server fills the table in its own
 * permutation of it, taking a turn in proportion to its weight. The same
 * inputs give the same table. Control thread: it allocates scratch memory.
 *
 * @return 0, -EINVAL (n is 0 or above FO_BAL_MAGLEV_SERVERS_MAX, size not
 *         above n), -ENOMEM.
 */
int fo_bal_maglev_build(
	uint16_t *table, uint32_t size, const uint64_t *ids, const uint32_t *weights, unsigned n);

#endif /* FO_BALANCE_H */
