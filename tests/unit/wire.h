/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An in-process Ethernet segment for tests and benchmarks (no EAL, no
 * NIC, no kernel): several hosts, each a real lib/net + lib/tcp worker
 * with its own MAC and IPv4 address in 198.18.0.0/24, exchange frames
 * through this "wire". Every round each host processes the frames
 * delivered to it (fo_net_input, fo_tcp_input), runs its timers and its
 * application hook, flushes (fo_tcp_flush); then the frames its txq holds
 * are "transmitted": copied into one fresh mbuf each (what a NIC's DMA
 * does), delivered to the host owning the destination MAC (broadcasts to
 * every other host), and the sent chain freed.
 *
 * Time is simulated (hz = WIRE_HZ, 1 cycle = 1 ns) and moves only with
 * wire_advance() and by WIRE_ROUND_NS per round, so timeouts of minutes run
 * in microseconds and tests are deterministic. With offload set, hosts
 * behave as behind a NIC that checks and fills IPv4/TCP checksums (frames
 * arrive flagged CKSUM_GOOD and none is computed in software), which is
 * what a benchmark of fanout's own per-request cost wants.
 *
 * Each host's processing time is measured with the real TSC (cycles), so
 * a benchmark can attribute CPU cost to one host (e.g. the proxy) while
 * the others (clients, backends) and the wire's copies are not counted.
 */
#ifndef WIRE_H
#define WIRE_H

#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ether.h>

#include "fo_net.h"
#include "fo_tcp.h"

#define WIRE_MAX_HOSTS 16
#define WIRE_INBOX 1024
#define WIRE_HZ 1000000000ull
#define WIRE_ROUND_NS 1000 /* simulated time per round: 1 us */
#define WIRE_IP(a, b, c, d) RTE_BE32(((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))

struct wire_host;
/** Application work of a host, run every round after TCP input and timers. */
typedef unsigned (*wire_poll_fn)(struct wire_host *h, void *arg);

struct wire_host {
	struct fo_net_worker *net;
	struct fo_tcp_worker *tw;
	rte_be32_t addr;
	wire_poll_fn poll;
	void *poll_arg;
	uint16_t n_in;
	struct rte_mbuf *in[WIRE_INBOX];
	uint64_t cycles; /**< real TSC cycles spent processing (input, timers, poll, flush) */
	/** its rounds run in wire_profiled_round(), a function of its own, so that
	 *  `valgrind --tool=callgrind --toggle-collect=wire_profiled_round` counts
	 *  this host's instructions alone */
	bool profiled;
	uint64_t rounds_busy;
	uint64_t frames_rx, frames_tx;
	uint64_t inbox_drops;
};

struct wire {
	struct rte_mempool *mp;
	struct wire_host *hosts[WIRE_MAX_HOSTS];
	unsigned n_hosts;
	uint64_t now; /**< simulated TSC */
	int offload;
	/** drop every frame whose (1-based) transmit count is a multiple of this; 0: none */
	uint64_t drop_every;
	uint64_t frames; /**< frames transmitted */
	uint64_t dropped;
};

/**
 * Set up a wire with a pool of @p n_mbufs (fake_pool: no EAL).
 * @return 0 or -ENOMEM.
 */
int wire_init(struct wire *w, unsigned n_mbufs, int offload);

/**
 * As wire_init(), the pool with a per-lcore cache of @p pool_cache mbufs
 * (fake_pool_create_cached(): benchmarks, as fanout's own pool has one).
 */
int wire_init_cached(struct wire *w, unsigned n_mbufs, int offload, unsigned pool_cache);

/**
 * Add a host at @p addr (198.18.0.x/24) with a TCP stack configured by
 * @p cfg (NULL: defaults with max_conns 4096). ARP runs over the wire
 * like on a real segment.
 * @return the host, or NULL.
 */
struct wire_host *wire_host_add(struct wire *w, rte_be32_t addr, const struct fo_tcp_config *cfg);

/** One round (see above). @return frames transmitted in it. */
unsigned wire_step(struct wire *w);
unsigned wire_profiled_round(struct wire *w, struct wire_host *h);

/**
 * Rounds until a round moves no frame and no host's poll did work, at most
 * @p max_rounds. @return rounds run.
 */
unsigned wire_run(struct wire *w, unsigned max_rounds);

/** Move simulated time on by @p ms (timers fire at the next round). */
void wire_advance(struct wire *w, uint64_t ms);

/** Free hosts and the pool. @return mbufs still in use (leaks) before the pool was freed. */
unsigned wire_free(struct wire *w);

#endif /* WIRE_H */
