/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * fanout TCP: a per-core, share-nothing TCP stack over lib/net.
 *
 * One struct fo_tcp_worker per worker lcore owns its connections (a
 * preallocated pool), its flow table, its timer wheel and its counters.
 * It serves both passive opens (clients) and active opens (to backends).
 *
 * Ownership across cores: every connection belongs to one worker, the one
 * fo_tcp_owner() names for its 4-tuple: a Toeplitz hash (the NIC's RSS key
 * and redirection table when the NIC does RSS, the same function in
 * software otherwise). A segment that reaches another worker is handed to
 * the owner over an SPSC ring. Active opens pick a local port whose tuple
 * hashes back to the opening worker, so replies need no hand-off on a NIC
 * with RSS.
 *
 * Receive is zero-copy: payload stays in the mbufs it arrived in and is
 * handed to the user as mbuf chains. Send takes mbuf chains; segments go
 * out as a header mbuf plus indirect mbufs attached to the queued data, so
 * retransmission needs no copy either.
 *
 * Callbacks run on the owning worker, from fo_tcp_input(), fo_tcp_peer_poll()
 * or fo_tcp_timer(). Inside a callback the user may call any function of
 * this API on the same connection (send, recv, shutdown, close, abort).
 *
 * Sequence numbers are compared only through tcp_seq_lt() and friends
 * (tcp_seq.h), on signed 32-bit differences.
 */
#ifndef FO_TCP_H
#define FO_TCP_H

#include <stdint.h>
#include <sys/types.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "fo_common.h"
#include "fo_net.h"

/**
 * Drop reasons: every way a segment leaves lib/tcp without being queued
 * for the user. X(name, description); names are telemetry labels.
 */
#define FO_TCP_DROPS(X) \
	X(tcp_truncated, "segment shorter than its TCP header") \
	X(tcp_bad_off, "data offset below 5 or beyond the segment") \
	X(tcp_bad_cksum, "TCP checksum wrong") \
	X(tcp_bad_flags, "invalid flag combination (SYN+FIN, SYN+RST, none...)") \
	X(tcp_bad_option, "malformed TCP option") \
	X(tcp_no_listener, "no connection and no listener (answered with RST)") \
	X(tcp_syn_overflow, "SYN dropped: half-open table full and SYN cookies off") \
	X(tcp_conn_limit, "SYN refused: connection limit reached (answered with RST)") \
	X(tcp_bad_cookie, "ACK to a listener with an invalid or expired SYN cookie, while cookies " \
		"were sent in the last 3 minutes (answered with RST)") \
	X(tcp_no_conn, "ACK to a listener matching no connection, no SYN cookie sent in the last " \
		"3 minutes: e.g. a late segment of a freed connection (answered with RST)") \
	X(tcp_out_of_window, "segment outside the receive window (answered with ACK)") \
	X(tcp_paws, "timestamp older than the last one seen (PAWS)") \
	X(tcp_bad_ack, "ACK for data never sent") \
	X(tcp_rst_challenge, "RST or SYN in window but not exact: challenge ACK sent") \
	X(tcp_ooo_full, "out-of-order queue full") \
	X(tcp_rcvbuf_full, "no receive buffer space") \
	X(tcp_mem_pressure, "data not queued: the worker's buffered mbufs are over max_buffered") \
	X(tcp_closed, "data for a connection the user has closed (answered with RST)") \
	X(tcp_handoff_full, "ring to the owning worker full") \
	X(tcp_nombuf, "mbuf pool empty") \
	X(tcp_rst_ignored, "RST matching no connection, or outside the window (RFC 5961)") \
	X(tcp_no_ack, "segment without ACK (nor SYN/RST) on a connection or listener") \
	X(tcp_not_owner, "segment for another worker while no hand-off ring is set")

enum fo_tcp_drop {
	FO_TCP_DROPS(FO_XSTR_ENUM)
	FO_TCP_DROP_MAX
};

/** Names of drop reasons, indexed by enum fo_tcp_drop. */
extern const char *const fo_tcp_drop_names[FO_TCP_DROP_MAX];

/** Counters other than drops. X(name, description). */
#define FO_TCP_COUNTERS(X) \
	X(seg_rx, "segments received (owned here)") \
	X(seg_tx, "segments sent") \
	X(bytes_rx, "payload bytes received in order") \
	X(bytes_tx, "payload bytes sent (retransmissions excluded)") \
	X(retransmits, "segments retransmitted") \
	X(rto_fired, "retransmission timeouts") \
	X(fast_retransmits, "fast retransmits (3 duplicate ACKs or SACK)") \
	X(passive_opens, "connections accepted") \
	X(active_opens, "connections opened to peers") \
	X(established, "connections that reached ESTABLISHED") \
	X(closed, "connections freed") \
	X(resets_rx, "RSTs accepted") \
	X(resets_tx, "RSTs sent") \
	X(syncookies_sent, "SYN-ACKs carrying a SYN cookie") \
	X(syncookies_ok, "connections established from a valid cookie") \
	X(challenge_acks, "challenge ACKs sent (RFC 5961)") \
	X(old_acks, "ACK fields taken from wholly old segments (retransmitted or rewound)") \
	X(handoff_tx, "segments handed to another worker") \
	X(handoff_rx, "segments received from another worker") \
	X(ooo_queued, "segments queued out of order") \
	X(zero_window_probes, "zero-window probes sent") \
	X(keepalive_probes, "keep-alive probes sent") \
	X(timeouts, "connections dropped by retransmission or keep-alive timeout") \
	X(time_wait_reused, "TIME_WAIT connections reused by a new SYN or active open") \
	X(neigh_resends, "resends at once because the next hop became reachable (no RTO wait)") \
	X(syn_after_stale, "SYNs resent at once after resetting the peer's stale connection on " \
		"the same tuple (it answered our SYN with an ACK)")

#define FO_TCP_STAT_FIELD(name, descr) uint64_t name;
#define FO_TCP_STAT_ONE(name, descr) +1

/** Per-worker TCP counters (one writer: the owning worker). */
struct fo_tcp_stats {
	FO_TCP_COUNTERS(FO_TCP_STAT_FIELD)
	uint64_t conns;     /**< gauge: connections allocated now */
	uint64_t half_open; /**< gauge: connections in SYN_RECEIVED now */
	uint64_t buffered;  /**< gauge: mbufs held in receive, out-of-order and send queues */
	uint64_t drop[FO_TCP_DROP_MAX];
};

#define FO_TCP_STATS_N_PLAIN (0 FO_TCP_COUNTERS(FO_TCP_STAT_ONE))
extern const char *const fo_tcp_stats_names[FO_TCP_STATS_N_PLAIN];

/** SYN cookie policy. */
enum fo_tcp_syncookies {
	FO_TCP_SYNCOOKIES_AUTO,   /**< only while the half-open table is full (default) */
	FO_TCP_SYNCOOKIES_ALWAYS, /**< never keep state for a SYN */
	FO_TCP_SYNCOOKIES_OFF,    /**< drop SYNs when the half-open table is full */
};

/** Limits and timers, from the config's `tcp { }` block. Zero = default. */
struct fo_tcp_config {
	uint32_t max_conns;       /**< per worker; default 65536 */
	uint32_t max_half_open;   /**< per worker; default 4096 */
	uint32_t sndbuf;          /**< bytes queued for send per connection; default 256 KiB */
	uint32_t rcvbuf;          /**< bytes buffered for the user per connection; default 256 KiB */
	uint32_t ooo_max;         /**< out-of-order segments per connection; default 64 */
	enum fo_tcp_syncookies syncookies;
	uint32_t rto_min_ms;      /**< default 200 */
	uint32_t rto_max_ms;      /**< default 60000 */
	uint32_t rto_init_ms;     /**< default 1000 (RFC 6298) */
	uint32_t delack_ms;       /**< default 40 */
	uint32_t time_wait_ms;    /**< default 60000 (2 MSL with MSL 30 s) */
	uint32_t fin_wait2_ms;    /**< default 60000 (orphaned FIN_WAIT_2) */
	uint32_t keepalive_ms;    /**< idle before probes; 0 = keep-alive off (default) */
	uint32_t keepalive_intvl_ms; /**< default 75000 */
	uint32_t keepalive_probes;   /**< default 9 */
	uint32_t syn_retries;     /**< active open SYN retransmissions; default 6 */
	uint32_t max_retries;     /**< data retransmissions before giving up; default 15 */
	/**
	 * Budget of mbufs this worker may hold in its queues (receive,
	 * out-of-order and send, all connections together; see
	 * fo_tcp_stats.buffered). Default: 3/4 of the pool's size divided by
	 * the number of workers (the pool is shared). Over the budget, in-order
	 * data for a connection whose receive queue is not empty is dropped
	 * without being acknowledged (the peer retransmits later), and
	 * out-of-order data is not queued; both count as tcp_mem_pressure. A
	 * connection with an empty receive queue still gets its in-order data,
	 * so every reader makes progress, and one client that never reads
	 * cannot empty the pool the NIC refills its receive rings from. The
	 * send side is bounded by sndbuf per connection only, but its mbufs
	 * count towards the budget.
	 */
	uint32_t max_buffered;
	/**
	 * Local port range of active opens (fo_tcp_connect()), inclusive;
	 * zero = default 10000 and 65535 (each independently). Only ports whose
	 * reply tuple fo_tcp_owner() maps to this worker are used, so with n
	 * workers about 1/n of the range is this worker's. min > max is EINVAL.
	 */
	uint16_t local_port_min;
	uint16_t local_port_max;
};

/** Why a connection ended, passed to fo_tcp_ops.closed. */
enum fo_tcp_close_reason {
	FO_TCP_CLOSE_NORMAL,    /**< both FINs exchanged */
	FO_TCP_CLOSE_RESET,     /**< RST received */
	FO_TCP_CLOSE_TIMEOUT,   /**< retransmission, keep-alive or SYN timeout */
	FO_TCP_CLOSE_REFUSED,   /**< active open answered with RST */
	FO_TCP_CLOSE_UNREACHABLE, /**< no route or ARP failed */
};

struct fo_tcp_conn;
struct fo_tcp_worker;

/**
 * Event callbacks. All optional (NULL = ignore). @p user is the value set
 * with fo_tcp_set_user() (or given to fo_tcp_connect()).
 */
struct fo_tcp_ops {
	/**
	 * A passive open reached ESTABLISHED on a listener. Set user data with
	 * fo_tcp_set_user() here.
	 * @return 0 to keep the connection, <0 to reset it.
	 */
	int (*accept)(struct fo_tcp_conn *c, void *listen_arg);
	/** An active open reached ESTABLISHED. */
	void (*connected)(struct fo_tcp_conn *c, void *user);
	/** In-order data arrived, or the peer's FIN (fo_tcp_recv() then returns 0). */
	void (*readable)(struct fo_tcp_conn *c, void *user);
	/**
	 * One-shot: send space opened after fo_tcp_send() returned -EAGAIN
	 * (any space), or as asked with fo_tcp_want_writable(). Re-armed only
	 * by another -EAGAIN or fo_tcp_want_writable().
	 */
	void (*writable)(struct fo_tcp_conn *c, void *user);
	/**
	 * The connection is gone for the user. @p c must not be used after
	 * this returns. Not called after fo_tcp_close() or fo_tcp_abort().
	 *
	 * FO_TCP_CLOSE_NORMAL (both FINs exchanged) comes only once the user
	 * has read everything, the EOF included (fo_tcp_recv() returned 0):
	 * a connection the user still holds is never freed under it on a
	 * normal close. When the stack is done with it before that (our FIN
	 * acknowledged in LAST_ACK, TIME_WAIT over or reused), it leaves the
	 * flow table and its timers but stays allocated in state CLOSED;
	 * fo_tcp_recv() goes on returning the remaining data, then 0, and
	 * closed(NORMAL) is delivered from the next fo_tcp_flush() after that
	 * (never from inside fo_tcp_recv()). fo_tcp_close() or fo_tcp_abort()
	 * instead frees it at once, without the callback. A user that holds a
	 * connection and never reads it keeps its TCB and mbufs.
	 *
	 * RESET, TIMEOUT, REFUSED and UNREACHABLE are delivered at once, and
	 * data the user had not read yet is dropped with the connection.
	 */
	void (*closed)(struct fo_tcp_conn *c, void *user, enum fo_tcp_close_reason why);
};

/** Handed-off segment rings between workers (set by the app after create). */
/**
 * Handed-off segment rings between workers (set by the app after create).
 * Each ring is an rte_ring of struct rte_mbuf pointers (as enqueued by
 * rte_ring_enqueue()), single producer / single consumer
 * (RING_F_SP_ENQ | RING_F_SC_DEQ): worker A's to_peer[B] must be worker
 * B's from_peer[A], the same ring. Segments travel still at their Ethernet
 * header with l2_len/l3_len set. A full ring drops the segment
 * (tcp_handoff_full); a NULL to_peer[] entry drops segments owned by that
 * worker (tcp_not_owner). Entries for the worker itself stay NULL.
 */
struct fo_tcp_peers {
	struct rte_ring *to_peer[FO_MAX_WORKERS];   /**< SPSC, mbuf pointers; NULL for self */
	struct rte_ring *from_peer[FO_MAX_WORKERS]; /**< SPSC, mbuf pointers; NULL for self */
};

/**
 * Create a worker's TCP state. Allocates everything it will ever use
 * (connection pool, flow table, timer wheel) from the heap of @p socket
 * (rte_zmalloc_socket when EAL runs, else calloc).
 *
 * @param cfg       limits and timers (copied; zero fields take defaults).
 * @param net       this worker's lib/net state (TCP output goes through it;
 *                  net->tcp_enabled is set).
 * @param pool      mbufs for headers, ACKs, RSTs and indirect data mbufs.
 * @param worker_id 0..n_workers-1.
 * @param n_workers total workers (ownership hash).
 * @param secret    16 bytes shared by all workers (SYN cookies, ISNs).
 * @return the worker, or NULL (errno: EINVAL, ENOMEM).
 */
struct fo_tcp_worker *fo_tcp_worker_create(const struct fo_tcp_config *cfg,
	struct fo_net_worker *net, struct rte_mempool *pool, unsigned worker_id,
	unsigned n_workers, const uint8_t secret[16], int socket);

/** Free a worker's TCP state; connections are dropped without RSTs. NULL is a no-op. */
void fo_tcp_worker_free(struct fo_tcp_worker *tw);

/** The rings for hand-off; fill before the first fo_tcp_input(). */
struct fo_tcp_peers *fo_tcp_peers(struct fo_tcp_worker *tw);

/**
 * Set the ownership hash: Toeplitz over (src ip, dst ip, src port, dst
 * port) of a received segment with @p key, then @p reta[hash % reta_size]
 * is the owning worker. The default (no call) is a fixed 40-byte key and
 * reta[i] = i % n_workers.
 *
 * @return 0, or -EINVAL (bad sizes, a worker id out of range).
 */
int fo_tcp_set_rss(struct fo_tcp_worker *tw, const uint8_t *key, unsigned key_len,
	const uint16_t *reta, unsigned reta_size);

/**
 * The worker owning a flow, from the point of view of a segment RECEIVED
 * with these addresses (network byte order).
 *
 * @return worker id in 0..n_workers-1.
 */
unsigned fo_tcp_owner(const struct fo_tcp_worker *tw, rte_be32_t saddr, rte_be32_t daddr,
	rte_be16_t sport, rte_be16_t dport);

/** Listeners per worker (fo_tcp_listen() returns -ENOSPC beyond). */
#define FO_TCP_MAX_LISTENERS 32

/**
 * Listen on @p addr:@p port (addr 0 = every interface address). Listeners
 * must be created on every worker with the same arguments. At most
 * FO_TCP_MAX_LISTENERS per worker (a specific address and 0 on the same
 * port are two listeners; the specific one wins).
 *
 * @return 0, -EADDRINUSE, -ENOSPC (too many listeners), -EINVAL.
 */
int fo_tcp_listen(struct fo_tcp_worker *tw, rte_be32_t addr, uint16_t port,
	const struct fo_tcp_ops *ops, void *listen_arg);

/**
 * Stop listening on @p addr:@p port (live reload). From the next segment
 * on, a SYN there is answered as on a closed port (RST, counted in
 * tcp_no_listener; a listener on 0.0.0.0 of the same port, if any, takes
 * it), and so is the ACK of a SYN cookie sent before. Connections already
 * established, and half-open ones (their accept callback still gets the
 * old listen_arg, which must stay valid), are not touched. Call it on the
 * worker's own thread, as fo_tcp_listen().
 *
 * @return 0, -ENOENT (no such listener), -EINVAL.
 */
int fo_tcp_unlisten(struct fo_tcp_worker *tw, rte_be32_t addr, uint16_t port);

/**
 * Active open from @p src (an interface address) to @p dst:@p port. The
 * local port is chosen in [local_port_min, local_port_max] so that replies
 * are owned by this worker.
 *
 * TIME_WAIT reuse (Linux tcp_tw_reuse semantics, RFC 6191): scanning the
 * range, a port is taken when its tuple is free, or when the tuple is held
 * by a connection in TIME_WAIT that negotiated timestamps and has been
 * quiet in TIME_WAIT (entered it, or last answered a segment there) for at
 * least 1 second: our timestamp clock is per tuple and monotonic, so the
 * new SYN's TSval is strictly newer and the peer's PAWS rejects old
 * duplicates. When the whole range has no such port, the TIME_WAIT tuple
 * to @p dst:@p port quiet for the longest is recycled anyway (bounded
 * TIME_WAIT, like the pool-exhaustion recycling). Either way the TIME_WAIT
 * connection is freed (flow table, timers) and counted in
 * time_wait_reused, and the new ISN is beyond the old SND.NXT + 65536 (the
 * secure ISN when it already is, else old SND.NXT + 65537 + up to 65535).
 * A TIME_WAIT connection whose user has not read the EOF yet is never
 * reused. If the SYN then cannot be routed (ENETUNREACH) the TIME_WAIT
 * connection stays freed.
 *
 * @return the connection (SYN_SENT; ops->connected or ops->closed follow),
 *         or NULL with errno: EADDRNOTAVAIL (every owned port of the range
 *         held by a connection not reusable as above), ENOMEM (connection
 *         limit), ENETUNREACH, EINVAL.
 */
struct fo_tcp_conn *fo_tcp_connect(struct fo_tcp_worker *tw, rte_be32_t src, rte_be32_t dst,
	uint16_t port, const struct fo_tcp_ops *ops, void *user);

/**
 * Initial retransmission timeout of an active open that has not
 * retransmitted its SYN yet (call right after fo_tcp_connect()): the SYN
 * is resent @p ms after it was sent instead of after rto_init_ms (RFC
 * 6298's 1 s, right for unknown paths; a datacentre path to a backend
 * answers in well under a millisecond). Backoff doubles it from there; the
 * connection's RTO after the handshake comes from its RTT as usual.
 *
 * @return 0, -EINVAL (@p ms is 0), -EALREADY (not in SYN_SENT, or the SYN
 *         was already retransmitted).
 */
int fo_tcp_set_syn_rto(struct fo_tcp_conn *c, uint32_t ms);

/**
 * Process the TCP segments lib/net queued (net->tcp_rx), or any array of
 * segments starting at the Ethernet header with l2_len/l3_len set.
 * Segments owned by another worker are handed to it.
 *
 * @return number of segments consumed (always @p n).
 */
uint16_t fo_tcp_input(struct fo_tcp_worker *tw, struct rte_mbuf **pkts, uint16_t n);

/**
 * Process segments other workers handed to this one.
 *
 * @return number processed.
 */
unsigned fo_tcp_peer_poll(struct fo_tcp_worker *tw);

/**
 * Run due timers (retransmission, delayed ACK, persist, keep-alive,
 * TIME_WAIT) at net->now. Cheap when nothing is due. First, connections
 * that lost segments to a next hop lib/net now reports reachable
 * (fo_net_neigh_ready(): resolved, or moved to a new MAC) resend them at
 * once, without waiting for their retransmission timeout or backing off.
 *
 * @return number of timers fired.
 */
unsigned fo_tcp_timer(struct fo_tcp_worker *tw);

/**
 * Send what the stack owes: ACKs deferred during this burst, data that
 * became sendable; deliver owed writable (fo_tcp_want_writable()) and
 * closed(NORMAL) callbacks. Call once per poll-loop iteration, before
 * flushing tx.
 *
 * @return segments emitted.
 */
unsigned fo_tcp_flush(struct fo_tcp_worker *tw);

/**
 * Take the in-order data received so far, up to @p max bytes, as a chain
 * of whole mbufs (payload only: headers already stripped). Ownership
 * passes to the caller, and the receive window opens by what was taken.
 * When the first queued mbuf alone holds more than @p max bytes, its
 * first @p max bytes come as one indirect mbuf attached to it (from the
 * worker's pool; -EAGAIN if that allocation fails) and the rest stays
 * queued: @p max is never exceeded, and @p max 0 gives -EAGAIN.
 *
 * Works on a connection closed normally that the user still holds (see
 * fo_tcp_ops.closed): the remaining data, then 0.
 *
 * @return bytes in *head (>0); 0 at end of stream (peer's FIN, all data
 *         taken); -EAGAIN when nothing is available yet; -ECONNRESET.
 */
ssize_t fo_tcp_recv(struct fo_tcp_conn *c, struct rte_mbuf **head, uint32_t max);

/**
 * Queue a chain of payload mbufs for sending. All or nothing: when it
 * does not fit in the send buffer nothing is taken (the caller keeps the
 * chain) and ops->writable fires when space opens.
 *
 * @return bytes queued; -EAGAIN (no room: backpressure); -EPIPE (shut down
 *         for writing or closed); -ENOTCONN (not yet established: queue after
 *         connected); -EINVAL (empty chain).
 */
ssize_t fo_tcp_send(struct fo_tcp_conn *c, struct rte_mbuf *chain);

/** Bytes fo_tcp_send() would accept now. */
uint32_t fo_tcp_send_space(const struct fo_tcp_conn *c);

/**
 * Arm a one-shot ops->writable for a producer that has more to send:
 * it fires once the send space is at least half of sndbuf (so whatever is
 * produced then goes in big chunks), from the stack's own context: an
 * incoming ACK, or the next fo_tcp_flush() when there is that much space
 * already. No dummy fo_tcp_send() needed.
 *
 * @return 0 (armed); -ENOTCONN (not yet established: wait for connected
 *         or accept); -EPIPE (shut down for writing, or closed).
 */
int fo_tcp_want_writable(struct fo_tcp_conn *c);

/**
 * Send FIN after the queued data (half close). Receiving goes on.
 *
 * @return 0, or -ENOTCONN.
 */
int fo_tcp_shutdown(struct fo_tcp_conn *c);

/**
 * The user is done with @p c: shutdown if not done yet, no more callbacks;
 * the stack finishes the close (FIN exchange, TIME_WAIT) by itself. Data
 * arriving after this is answered with RST, as Linux does; so is closing
 * while received data is unread (RST at once, RFC 2525 2.17), except on a
 * connection already closed normally that was kept for reading (see
 * fo_tcp_ops.closed): that one is just freed, what is unread dropped.
 */
void fo_tcp_close(struct fo_tcp_conn *c);

/**
 * The user is done with @p c (see fo_tcp_close()): send RST and free @p c
 * at once. No more callbacks. No RST for a connection in SYN_SENT,
 * TIME_WAIT or already closed (a normally closed one the user still held
 * is simply freed).
 */
void fo_tcp_abort(struct fo_tcp_conn *c);

/** Attach user data to @p c (passed to every callback). */
void fo_tcp_set_user(struct fo_tcp_conn *c, void *user);

/** Addresses and state of a connection (telemetry, logs, X-Forwarded-For). */
struct fo_tcp_info {
	rte_be32_t local_addr, remote_addr;
	uint16_t local_port, remote_port; /**< host order */
	const char *state;                /**< "ESTABLISHED", ... */
	uint32_t srtt_us, rto_ms, cwnd, snd_wnd, rcv_wnd, mss;
	uint32_t unacked, queued;         /**< bytes */
};
void fo_tcp_info(const struct fo_tcp_conn *c, struct fo_tcp_info *info);

/** This worker's counters. */
const struct fo_tcp_stats *fo_tcp_stats(const struct fo_tcp_worker *tw);

/** Add @p src's counters to @p dst. */
void fo_tcp_stats_add(struct fo_tcp_stats *dst, const struct fo_tcp_stats *src);

#endif /* FO_TCP_H */
