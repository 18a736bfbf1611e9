/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tcp internals: the TCB (struct fo_tcp_conn), the per-worker state
 * (struct fo_tcp_worker) and the functions the step files share. Not a
 * public API; unit tests include it to look at connection state.
 *
 * Files: tcp_in.c (validation, demux, LISTEN/SYN_SENT/TIME_WAIT),
 * tcp_in_sync.c (synchronized states), tcp_options.c, tcp_out.c,
 * tcp_sndbuf.c, tcp_rcvbuf.c, tcp_cc.c, tcp_timer.c, tcp_flow.c,
 * tcp_conn.c, tcp_owner.c, tcp_api.c, tcp_stats.c, tcp_syncookie.c.
 */
#ifndef TCP_PRIV_H
#define TCP_PRIV_H

#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_jhash.h>
#include <rte_mbuf.h>
#include <rte_reciprocal.h>

#include "fo_tcp.h"
#include "fo_timer.h"
#include "tcp_seq.h"
#include "tcp_syncookie.h"

enum tcp_state {
	TCP_CLOSED = 0,
	TCP_LISTEN,
	TCP_SYN_SENT,
	TCP_SYN_RECEIVED,
	TCP_ESTABLISHED,
	TCP_FIN_WAIT_1,
	TCP_FIN_WAIT_2,
	TCP_CLOSE_WAIT,
	TCP_CLOSING,
	TCP_LAST_ACK,
	TCP_TIME_WAIT,
	TCP_STATE_MAX
};

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20

#define TCP_MAX_LISTENERS FO_TCP_MAX_LISTENERS
#define TCP_MAX_SACK 4       /* scoreboard ranges kept per connection */
#define TCP_DEFAULT_MSS 536  /* RFC 9293: when the peer sends no MSS option */
#define TCP_MAX_WSCALE 14
#define TCP_HDR_ROOM (RTE_ETHER_HDR_LEN + 4 + 20 + 60) /* eth+vlan+ip+tcp max */
#define TCP_PORT_LO 10000    /* default active-open local port range */
#define TCP_PORT_HI 65535
#define TCP_TW_REUSE_MS 1000 /* TIME_WAIT (with timestamps) reusable by an active open after */
#define TCP_TW_ISN_GAP 65536 /* a reused TIME_WAIT tuple's new ISN is beyond old SND.NXT + this */
#define TCP_TICK_MS 1        /* timer wheel granularity */
#define TCP_CHALLENGE_ACK_PER_S 1000
#define TCP_CWND_MAX (1u << 30) /* congestion window bound (tcp_cc.c) */
#define TCP_TX_FRAMES 2      /* tx frames per segment at most: itself, an ARP probe */
/* payload bytes up to which a segment is copied after its header, not chained (tcp_out.c) */
#define TCP_COPY_MAX 512

/** 4-tuple from our point of view (network byte order). */
struct tcp_key {
	rte_be32_t laddr, raddr;
	rte_be16_t lport, rport;
};

/** A range [start, end) of sequence space. */
struct tcp_sack_blk {
	uint32_t start, end;
};

/** Parsed TCP options. */
struct tcp_opts {
	uint16_t mss;
	uint8_t wscale;
	uint8_t has_mss : 1, has_ws : 1, has_ts : 1, sack_ok : 1;
	uint32_t tsval, tsecr;
	uint8_t n_sack;
	struct tcp_sack_blk sack[4];
};

/** A received segment, parsed (host order where it matters). */
struct tcp_seg {
	struct rte_mbuf *m;
	struct tcp_key key; /* ours/theirs: laddr = IP dst */
	uint32_t seq, ack;
	uint16_t wnd;
	uint8_t flags;
	uint32_t hdr_len; /* l2 + l3 + TCP header: payload offset in m */
	uint32_t len;     /* payload bytes */
	struct tcp_opts opts;
};

/**
 * Send queue: user mbuf segments linked through ->next, from SND.UNA on,
 * but for the held one (tcp_sndbuf.c): a segment that went out as it is,
 * whose ->next must stay NULL while a transmission holds it; its successor
 * is held_next until then.
 */
struct tcp_sndq {
	struct rte_mbuf *head, *tail;
	uint32_t head_off; /* bytes of head already acknowledged */
	uint32_t bytes;    /* queued bytes from SND.UNA (sent or not) */
	/* cursor: segment holding byte cur_seq, cur_off into it (a cache) */
	struct rte_mbuf *cur;
	uint32_t cur_seq, cur_off;
	struct rte_mbuf *held, *held_next;
};

/** In-order receive queue: payload segments linked through ->next. */
struct tcp_rcvq {
	struct rte_mbuf *head, *tail;
	uint32_t bytes;
	uint32_t nb; /* mbufs */
};

/** An out-of-order segment (payload only), from the worker's node pool. */
struct tcp_ooo {
	struct tcp_ooo *next;
	struct rte_mbuf *m;
	uint32_t seq, len;
	uint16_t nb; /* mbufs of m (buffered-mbuf accounting) */
	uint8_t fin;
};

/** What t_rtx is counting down. */
enum tcp_rtx_mode { TCP_RTX_NONE, TCP_RTX_RETRANSMIT, TCP_RTX_PERSIST };

/** What t_keep is counting down. */
enum tcp_keep_mode { TCP_KEEP_NONE, TCP_KEEP_ALIVE, TCP_KEEP_TIME_WAIT, TCP_KEEP_FIN_WAIT2 };

/** The TCB. */
struct fo_tcp_conn {
	struct fo_tcp_worker *tw;
	struct tcp_key key;
	struct fo_net_dst dst; /* route and next hop of key.raddr, cached by lib/net */
	uint32_t idx;
	uint32_t hnext; /* flow table chain (conn index), UINT32_MAX = end */
	uint8_t state;
	uint8_t in_flow : 1,   /* linked in the flow table */
		user_gone : 1, /* closed callback delivered, or close/abort called */
		passive : 1,   /* from a listener (no user before accept) */
		fin_queued : 1, /* FIN goes after the queued data */
		fin_rcvd : 1,
		ts_ok : 1, sack_ok : 1, ws_ok : 1;
	uint8_t ack_now : 1,   /* ACK owed at the next flush */
		want_write : 1, /* fo_tcp_send() said -EAGAIN */
		in_recovery : 1, rtt_active : 1, reset : 1, cookie : 1, pending : 1,
		in_tw_list : 1;
	uint8_t zombie : 1,       /* closed normally, out of the flow table, kept for reading */
		eof_read : 1,     /* fo_tcp_recv() returned 0 */
		close_notify : 1, /* closed(NORMAL) owed at the next fo_tcp_flush() */
		in_nwait : 1,     /* on the neighbour-wait list (tcp_neigh.c) */
		stale_resyn : 1;  /* SYN_SENT: SYN resent after resetting a peer's stale tuple */
	uint8_t dupacks;
	uint8_t rtx_count;  /* consecutive timeouts (backoff) */
	uint8_t probes;     /* keep-alive or zero-window probes outstanding */
	uint8_t rtx_mode, keep_mode;
	uint8_t snd_wscale, rcv_wscale;
	uint16_t mss;       /* segment size we send */
	uint16_t delack_segs; /* full segments received and not yet ACKed */
	uint32_t write_lowat; /* with want_write: send space that fires writable */

	const struct fo_tcp_ops *ops;
	void *user;
	void *listen_arg;

	/* send sequence space */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2, max_snd_wnd;
	/* receive sequence space */
	uint32_t irs, rcv_nxt, rcv_adv, last_ack_sent;
	/* timestamps */
	uint32_t ts_recent, ts_offset;
	/* congestion control */
	uint32_t cwnd, ssthresh, recover, cwnd_cnt, rexmit_nxt;
	struct tcp_sack_blk sacked[TCP_MAX_SACK];
	uint8_t n_sacked;
	/* SACK blocks to advertise: last received out-of-order range first */
	uint32_t last_ooo_seq;
	/* RTT (RFC 6298), microseconds */
	uint32_t srtt_us, rttvar_us, rto_ms;
	uint32_t rtt_seq;
	uint64_t rtt_tsc;
	uint64_t last_rx_tsc;
	uint64_t tw_tsc; /* TIME_WAIT: entered, or last answered a segment (reuse age) */

	struct tcp_sndq snd;
	struct tcp_rcvq rcv;
	struct tcp_ooo *ooo;
	uint16_t n_ooo;
	uint32_t ooo_bytes;

	struct fo_timer t_rtx, t_delack, t_keep;

	/* worker lists: pending output, deferred free, TIME_WAIT (oldest first) */
	struct fo_tcp_conn *pend_next, *pend_prev;
	struct fo_tcp_conn *tw_next, *tw_prev;
	struct fo_tcp_conn *free_next;
	/* neighbour-wait list: lost a segment to its next hop (tcp_neigh.c) */
	struct fo_tcp_conn *nw_next, *nw_prev;
};

struct tcp_listener {
	uint8_t used;
	rte_be32_t addr; /* 0 = any */
	uint16_t port;   /* host order */
	const struct fo_tcp_ops *ops;
	void *arg;
};

struct fo_tcp_worker {
	struct fo_tcp_config cfg;
	struct fo_net_worker *net;
	struct rte_mempool *pool;
	unsigned id, n_workers;
	struct tcp_syncookie_ctx ck;
	uint64_t tsc_per_ms;
	/* divisions by TSC ticks per ms, per us and per second as a
	 * multiply and shifts (a 64-bit DIV costs tens of cycles, several per
	 * request: every timestamp option, every RTT sample) */
	struct rte_reciprocal_u64 per_ms, per_us, per_s;

	/* connection pool */
	struct fo_tcp_conn *conns;
	uint32_t n_conns_max;
	struct fo_tcp_conn *free_list;
	struct fo_tcp_conn *dead; /* freed during this entry point */
	unsigned depth;           /* nesting of API entry points */

	/* flow table: chained hash on conn indexes */
	uint32_t *flow_buckets;
	uint32_t flow_mask;
	uint32_t flow_seed;

	struct tcp_listener lis[TCP_MAX_LISTENERS];

	/* out-of-order node pool */
	struct tcp_ooo *ooo_nodes;
	struct tcp_ooo *ooo_free;

	struct fo_tcp_conn *pend_head, *pend_tail;
	struct fo_tcp_conn *tw_head, *tw_tail;
	struct fo_tcp_conn *nw_head; /* neighbour-wait list (tcp_neigh.c) */

	struct fo_timer_wheel wheel;

	/* ownership: converted Toeplitz key and redirection table */
	uint32_t rss_key[13];
	uint16_t reta[512];
	unsigned reta_size;
	uint32_t port_cursor;

	/* last SYN cookie sent (seconds, tcp_now_s); cookie_sent: any ever */
	uint32_t cookie_last_s;
	uint8_t cookie_sent;
	/* tests: every segment through tcp_input_sync()'s general path when set;
	 * segments the header prediction took (not an exported counter) */
	uint8_t no_fast_path;
	uint64_t fast_path_segs;

	/* RFC 5961 challenge ACK budget (per second) */
	uint64_t challenge_sec;
	uint32_t challenge_n;

	struct fo_tcp_peers peers;
	/** segments for other workers, enqueued in bursts at the end of fo_tcp_input() */
	struct tcp_handoff_buf {
		uint16_t n;
		struct rte_mbuf *pkts[FO_BURST];
	} handoff[FO_MAX_WORKERS];
	struct fo_tcp_stats stats;
};

/**
 * Append mbuf chain @p m (@p len payload bytes) to the queue whose head,
 * tail and byte count are given, counting its mbufs in the worker's
 * buffered gauge. Shared by the send and receive queues. @return the mbufs.
 */
static inline uint32_t
tcp_mq_append(struct fo_tcp_worker *tw, struct rte_mbuf **head, struct rte_mbuf **tail,
	uint32_t *bytes, struct rte_mbuf *m, uint32_t len)
{
	struct rte_mbuf *t = m;
	uint32_t nb = 1;

	while (t->next != NULL) {
		t = t->next;
		nb++;
	}
	tw->stats.buffered += nb;
	if (*tail != NULL)
		(*tail)->next = m;
	else
		*head = m;
	*tail = t;
	*bytes += len;
	return nb;
}

#define tcp_drop_count(tw, reason) ((tw)->stats.drop[reason]++)

static inline uint32_t
tcp_min32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static inline uint32_t
tcp_max32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

/* ---- time ---- */
static inline uint64_t
tcp_ms_tsc(const struct fo_tcp_worker *tw, uint64_t ms)
{
	return ms * tw->tsc_per_ms;
}

/** Our timestamp clock: milliseconds (RFC 7323 allows 1 ms to 1 s per tick). */
static inline uint32_t
tcp_ts_now(const struct fo_tcp_worker *tw)
{
	return (uint32_t)rte_reciprocal_divide_u64(tw->net->now, &tw->per_ms);
}

/** TSC ticks @p dt in microseconds. */
static inline uint64_t
tcp_tsc_us(const struct fo_tcp_worker *tw, uint64_t dt)
{
	return rte_reciprocal_divide_u64(dt, &tw->per_us);
}

static inline uint32_t
tcp_now_s(const struct fo_tcp_worker *tw)
{
	return (uint32_t)rte_reciprocal_divide_u64(tw->net->now, &tw->per_s);
}

/** Our window scale: the smallest shift that lets rcvbuf fit in 16 bits. */
static inline uint8_t
tcp_worker_wscale(const struct fo_tcp_worker *tw)
{
	uint8_t s = 0;

	while (s < TCP_MAX_WSCALE && (tw->cfg.rcvbuf >> s) > 0xffff)
		s++;
	return s;
}

/** Per-connection timestamp offset: a keyed hash of the tuple (stable, so cookies can use it). */
static inline uint32_t
tcp_ts_offset(const struct fo_tcp_worker *tw, const struct tcp_key *k)
{
	return (uint32_t)tcp_siphash(&tw->ck, k, sizeof(*k));
}

/* ---- tcp_conn.c ---- */
const char *tcp_state_name(unsigned state);
/** @return a zeroed connection bound to @p tw, or NULL (pool empty). */
struct fo_tcp_conn *tcp_conn_alloc(struct fo_tcp_worker *tw);
/** Tear down @p c now (timers, queues, flow entry); memory is reused after the entry point. */
void tcp_conn_free(struct fo_tcp_conn *c);
/** Tear down and tell the user (closed callback) unless the user is gone. */
void tcp_conn_drop(struct fo_tcp_conn *c, enum fo_tcp_close_reason why);
/**
 * The connection ended normally (both FINs done, or TIME_WAIT over): free
 * it, or, while the user still holds it with unread data or an EOF not yet
 * read, take it out of the flow table and timers but keep it (and its
 * receive queue) as a zombie; closed(NORMAL) follows the EOF (fo_tcp.h).
 */
void tcp_conn_end_normal(struct fo_tcp_conn *c);
/** The user read the EOF: owe closed(NORMAL) at the next flush when nothing else remains. */
void tcp_conn_eof_read(struct fo_tcp_conn *c);
/** Deliver an owed closed(NORMAL) (from fo_tcp_flush()). */
void tcp_conn_notify_closed(struct fo_tcp_conn *c);
/** Join the TIME_WAIT reuse list (oldest first). */
void tcp_tw_list_add(struct fo_tcp_conn *c);
/** Writable owed now? (armed, and enough send space) */
static inline int
tcp_writable_due(const struct fo_tcp_conn *c)
{
	uint32_t buf = c->tw->cfg.sndbuf;

	if (!c->want_write || c->fin_queued ||
		(c->state != TCP_ESTABLISHED && c->state != TCP_CLOSE_WAIT))
		return 0;
	return c->snd.bytes < buf && buf - c->snd.bytes >= c->write_lowat;
}
/** Put freed connections back in the pool when no entry point is running. */
void tcp_conn_reap(struct fo_tcp_worker *tw);
void tcp_set_state(struct fo_tcp_conn *c, unsigned state);
/** Enter TIME_WAIT (arm its timer, join the reuse list). */
void tcp_enter_time_wait(struct fo_tcp_conn *c);
/** Initialise the send/receive parameters common to every new connection. */
void tcp_conn_init_params(struct fo_tcp_conn *c);
static inline void
tcp_enter(struct fo_tcp_worker *tw)
{
	tw->depth++;
}
static inline void
tcp_leave(struct fo_tcp_worker *tw)
{
	if (--tw->depth == 0)
		tcp_conn_reap(tw);
}

/* ---- callbacks, guarded ---- */
void tcp_cb_readable(struct fo_tcp_conn *c);
void tcp_cb_writable(struct fo_tcp_conn *c);
void tcp_cb_connected(struct fo_tcp_conn *c);
/** @return 0 to keep, <0 when the user refused (connection aborted). */
int tcp_cb_accept(struct fo_tcp_conn *c);

/* ---- tcp_flow.c ---- */
int tcp_flow_init(struct fo_tcp_worker *tw);
void tcp_flow_fini(struct fo_tcp_worker *tw);
static inline uint32_t
tcp_flow_hash(const struct fo_tcp_worker *tw, const struct tcp_key *k)
{
	return rte_jhash_3words(k->laddr, k->raddr, (uint32_t)k->lport << 16 | k->rport,
		tw->flow_seed);
}

/** The connection of tuple @p k, or NULL (inline: once per segment received). */
static inline struct fo_tcp_conn *
tcp_flow_lookup(struct fo_tcp_worker *tw, const struct tcp_key *k)
{
	uint32_t i = tw->flow_buckets[tcp_flow_hash(tw, k) & tw->flow_mask];

	while (i != UINT32_MAX) {
		struct fo_tcp_conn *c = &tw->conns[i];

		if (c->key.laddr == k->laddr && c->key.raddr == k->raddr &&
			c->key.lport == k->lport && c->key.rport == k->rport)
			return c;
		i = c->hnext;
	}
	return NULL;
}
void tcp_flow_insert(struct fo_tcp_worker *tw, struct fo_tcp_conn *c);
void tcp_flow_remove(struct fo_tcp_worker *tw, struct fo_tcp_conn *c);
struct tcp_listener *tcp_listener_find(struct fo_tcp_worker *tw, rte_be32_t addr, uint16_t port);

/* ---- tcp_options.c ---- */
/** @return 0, or -EBADMSG (malformed). */
int tcp_opts_parse(const uint8_t *p, unsigned len, struct tcp_opts *o);
/** Options of a SYN or SYN-ACK; @return bytes written (multiple of 4, <= 40). */
unsigned tcp_opts_build_syn(uint8_t *p, uint16_t mss, int ws, uint8_t wscale, int sack_ok,
	int ts, uint32_t tsval, uint32_t tsecr);
/** Options of a non-SYN segment of @p c (timestamps, SACK blocks when @p sack). */
unsigned tcp_opts_build(uint8_t *p, const struct fo_tcp_conn *c, int sack);
/** NOP, NOP, timestamps: the options word of tcp_opts_parse()'s fast path. */
#define TCP_OPT_TS_WORD (1u << 24 | 1u << 16 | 8u << 8 | 10u)
/**
 * 12 option bytes at @p p that are NOP, NOP, timestamps (RFC 7323
 * appendix A): parsed into @p o as tcp_opts_parse() would. @return 1, or
 * 0 (@p o untouched) when they are anything else.
 */
static inline int
tcp_opts_ts_only(const uint8_t *p, struct tcp_opts *o)
{
	uint32_t w[3];

	memcpy(w, p, sizeof(w));
	if (w[0] != rte_cpu_to_be_32(TCP_OPT_TS_WORD))
		return 0;
	memset(o, 0, sizeof(*o));
	o->tsval = rte_be_to_cpu_32(w[1]);
	o->tsecr = rte_be_to_cpu_32(w[2]);
	o->has_ts = 1;
	return 1;
}
/** The timestamps option (NOP, NOP, TS) with @p tsval, @p tsecr. @return 12. */
static inline unsigned
tcp_opts_build_ts(uint8_t *p, uint32_t tsval, uint32_t tsecr)
{
	uint32_t w[3] = {rte_cpu_to_be_32(TCP_OPT_TS_WORD), rte_cpu_to_be_32(tsval),
		rte_cpu_to_be_32(tsecr)};

	memcpy(p, w, sizeof(w));
	return sizeof(w);
}

/* ---- tcp_out.c ---- */
/** Low-level emit: header + optional payload chain (consumed). @return 0 or -errno. */
int tcp_emit(struct fo_tcp_worker *tw, const struct tcp_key *k, uint32_t seq, uint32_t ack,
	uint8_t flags, uint16_t wnd, const uint8_t *opts, unsigned optlen, struct rte_mbuf *payload,
	uint32_t plen);
/** RST answering @p seg (RFC 9293 reset generation); never for a RST. */
void tcp_send_rst_reply(struct fo_tcp_worker *tw, const struct tcp_seg *seg);
/** RST on an existing connection (abort). */
void tcp_send_rst(struct fo_tcp_conn *c);
int tcp_send_syn(struct fo_tcp_conn *c);
void tcp_send_ack(struct fo_tcp_conn *c);
/** RFC 5961 challenge ACK, rate limited. */
void tcp_send_challenge_ack(struct fo_tcp_conn *c);
/** Send a segment of @p len bytes from @p seq (retransmission or new). @return 0/-errno. */
int tcp_send_data(struct fo_tcp_conn *c, uint32_t seq, uint32_t len, int fin);
/**
 * Send whatever the windows allow, or an owed ACK. *@p room: free tx slots
 * known (a lower bound, TCP_TX_FRAMES taken per segment), 0 when to be
 * looked up; updated. @return segments sent.
 */
/** Everything queued was sent, our FIN too when queued (nothing for tcp_output() but ACKs). */
static inline int
tcp_all_sent(const struct fo_tcp_conn *c)
{
	return c->snd_nxt == c->snd_una + c->snd.bytes + c->fin_queued;
}
/** tcp_output_room() for a connection with something to send or an ACK owed. */
unsigned tcp_output_send(struct fo_tcp_conn *c, unsigned *room);
static inline unsigned
tcp_output_room(struct fo_tcp_conn *c, unsigned *room)
{
	/*
	 * Nothing to do: all sent, no ACK owed. No zero-window probe to arm
	 * either: data waiting for a window is unsent data.
	 */
	if (!c->ack_now && tcp_all_sent(c))
		return 0;
	return tcp_output_send(c, room);
}
/** tcp_output_room() with the tx room looked up. */
static inline unsigned
tcp_output(struct fo_tcp_conn *c)
{
	unsigned room = 0;

	return tcp_output_room(c, &room);
}
/** Zero-window / keep-alive probe: ACK with SND.UNA - 1. */
void tcp_send_probe(struct fo_tcp_conn *c);
/** MSS our route to @p raddr allows (interface MTU - 40). */
uint16_t tcp_our_mss(const struct fo_tcp_worker *tw, rte_be32_t raddr);
/** Window to put in a segment's header (scaled); updates rcv_adv. */
uint16_t tcp_wnd_adv(struct fo_tcp_conn *c);
/** Receive window free now (bytes, unscaled). */
static inline uint32_t
tcp_rcv_space(const struct fo_tcp_conn *c)
{
	uint32_t used = c->rcv.bytes + c->ooo_bytes, buf = c->tw->cfg.rcvbuf;

	return used >= buf ? 0 : buf - used;
}
/** Queue @p c for output at the next fo_tcp_flush() (inline: several times a request). */
static inline void
tcp_pending_add(struct fo_tcp_conn *c)
{
	struct fo_tcp_worker *tw = c->tw;

	if (c->pending || (c->state == TCP_CLOSED && !c->zombie))
		return; /* a zombie comes only for its closed(NORMAL) */
	c->pending = 1;
	c->pend_next = NULL;
	c->pend_prev = tw->pend_tail;
	if (tw->pend_tail != NULL)
		tw->pend_tail->pend_next = c;
	else
		tw->pend_head = c;
	tw->pend_tail = c;
}

/** Take @p c off the pending list (idempotent). */
static inline void
tcp_pending_del(struct fo_tcp_conn *c)
{
	struct fo_tcp_worker *tw = c->tw;

	if (!c->pending)
		return;
	if (c->pend_prev != NULL)
		c->pend_prev->pend_next = c->pend_next;
	else
		tw->pend_head = c->pend_next;
	if (c->pend_next != NULL)
		c->pend_next->pend_prev = c->pend_prev;
	else
		tw->pend_tail = c->pend_prev;
	c->pend_next = c->pend_prev = NULL;
	c->pending = 0;
}

/** Free tx slots over configured ports (output stops when near zero). */
unsigned tcp_tx_room(const struct fo_tcp_worker *tw);

/* ---- tcp_sndbuf.c ---- */
/*
 * Queues count the mbufs they hold in tw->stats.buffered (the per-worker
 * budget of cfg.max_buffered).
 */
/** Queue chain @p chain of @p len bytes, @p nb mbufs, the last one @p last. */
void tcp_sndq_append_n(struct fo_tcp_worker *tw, struct tcp_sndq *q, struct rte_mbuf *chain,
	struct rte_mbuf *last, uint32_t nb, uint32_t len);
/** Drop @p n acknowledged bytes from the front. */
void tcp_sndq_ack(struct fo_tcp_worker *tw, struct tcp_sndq *q, uint32_t n);
/**
 * Payload mbufs for [seq, seq+len) (@p una is SND.UNA): a segment of the
 * queue itself, one more reference taken, when the range is the whole of
 * one segment that nobody else holds (the queue's held segment); else
 * indirect mbufs attached to the segments. NULL when out of mbufs.
 */
struct rte_mbuf *tcp_sndq_slice(struct tcp_sndq *q, struct rte_mempool *mp, uint32_t una,
	uint32_t seq, uint32_t len);
/**
 * Copy [seq, seq+len) (@p una is SND.UNA) to @p dst. @return 0, or -1
 * when the queue does not hold the whole range.
 */
int tcp_sndq_copy(struct tcp_sndq *q, uint32_t una, uint32_t seq, uint32_t len, uint8_t *dst);
void tcp_sndq_free(struct fo_tcp_worker *tw, struct tcp_sndq *q);

/* ---- tcp_rcvbuf.c ---- */
/** Remove @p n bytes from the front of a chain; @return the new head (NULL when empty). */
struct rte_mbuf *tcp_mbuf_cut_front_chain(struct rte_mbuf *m, uint32_t n);
static inline struct rte_mbuf *
tcp_mbuf_cut_front(struct rte_mbuf *m, uint32_t n)
{
	if (likely(m != NULL && m->next == NULL && n < m->data_len)) {
		/* one mbuf, as most segments come: no chain to walk, no call */
		m->data_off = (uint16_t)(m->data_off + n);
		m->data_len = (uint16_t)(m->data_len - n);
		m->pkt_len = m->data_len;
		m->nb_segs = 1;
		return m;
	}
	return tcp_mbuf_cut_front_chain(m, n);
}
/** Keep only the first @p keep bytes of a chain; @return the head (NULL when keep == 0). */
struct rte_mbuf *tcp_mbuf_keep(struct rte_mbuf *m, uint32_t keep);
void tcp_rcvq_append(struct fo_tcp_worker *tw, struct tcp_rcvq *q, struct rte_mbuf *m,
	uint32_t len);
/** Take up to @p max bytes as a chain; @return bytes (0 when empty). */
uint32_t tcp_rcvq_take(struct fo_tcp_worker *tw, struct tcp_rcvq *q, uint32_t max,
	struct rte_mbuf **out);
void tcp_rcvq_free(struct fo_tcp_worker *tw, struct tcp_rcvq *q);
/** Over the buffered-mbuf budget (cfg.max_buffered)? */
static inline int
tcp_over_budget(const struct fo_tcp_worker *tw)
{
	return tw->stats.buffered >= tw->cfg.max_buffered;
}
/**
 * Queue an out-of-order segment (payload @p m of @p len bytes at @p seq).
 * @return 0 (queued, maybe trimmed, or a duplicate freed), or -ENOSPC (not queued, freed).
 */
int tcp_ooo_insert(struct fo_tcp_conn *c, struct rte_mbuf *m, uint32_t seq, uint32_t len,
	int fin);
/** Move what became in order to the receive queue. @return 1 when a FIN came with it. */
int tcp_ooo_pull(struct fo_tcp_conn *c);
void tcp_ooo_free(struct fo_tcp_conn *c);
/** SACK blocks to advertise (up to @p max). */
unsigned tcp_ooo_sack_blocks(const struct fo_tcp_conn *c, struct tcp_sack_blk *b, unsigned max);

/* ---- tcp_cc.c ---- */
void tcp_cc_init(struct fo_tcp_conn *c);
/** tcp_cc_ack() but for its slow-start fast path. */
void tcp_cc_ack_slow(struct fo_tcp_conn *c, uint32_t acked);
/** Congestion control for @p acked new bytes acknowledged. */
static inline void
tcp_cc_ack(struct fo_tcp_conn *c, uint32_t acked)
{
	/* slow start, nearly every ACK of a short exchange: inline, as tcp_cc_ack_slow() does it */
	if (likely(!c->in_recovery && c->cwnd < c->ssthresh)) {
		c->dupacks = 0;
		c->cwnd += RTE_MIN(acked, 2u * c->mss);
		if (c->cwnd > TCP_CWND_MAX)
			c->cwnd = TCP_CWND_MAX;
		return;
	}
	tcp_cc_ack_slow(c, acked);
}
void tcp_cc_dupack(struct fo_tcp_conn *c);
void tcp_cc_rto(struct fo_tcp_conn *c);
void tcp_sack_update(struct fo_tcp_conn *c, const struct tcp_opts *o);
/** @return end of the SACKed range holding @p seq, or @p seq itself when none does. */
uint32_t tcp_sack_skip(const struct fo_tcp_conn *c, uint32_t seq);
/** @return start of the first SACKed range above @p seq, or @p limit. */
uint32_t tcp_sack_next(const struct fo_tcp_conn *c, uint32_t seq, uint32_t limit);

/* ---- tcp_timer.c ---- */
void tcp_timers_init(struct fo_tcp_conn *c);
void tcp_timers_cancel(struct fo_tcp_conn *c);
void tcp_rtx_arm(struct fo_tcp_conn *c);

/* tcp_neigh.c */
/** Put @p c on the neighbour-wait list (idempotent). */
void tcp_nwait_add(struct fo_tcp_conn *c);
/** Take @p c off the neighbour-wait list (idempotent). */
void tcp_nwait_del(struct fo_tcp_conn *c);
/** After a segment of @p c went to lib/net with result @p rc: wait for the neighbour if it was lost. */
void tcp_emitted(struct fo_tcp_conn *c, int rc);
/**
 * Resend at once for the waiting connections whose next hop lib/net
 * reports reachable (fo_net_neigh_ready()).
 *
 * @return connections that resent.
 */
unsigned tcp_nwait_poll(struct fo_tcp_worker *tw);
void tcp_rtx_stop(struct fo_tcp_conn *c);
void tcp_persist_arm(struct fo_tcp_conn *c);
/** Arm the delayed ACK unless armed (inline: most in-order segments do). */
static inline void
tcp_delack_arm(struct fo_tcp_conn *c)
{
	struct fo_tcp_worker *tw = c->tw;

	if (!fo_timer_armed(&c->t_delack))
		fo_timer_arm(&tw->wheel, &c->t_delack,
			tw->net->now + tcp_ms_tsc(tw, tw->cfg.delack_ms));
}
void tcp_keep_arm(struct fo_tcp_conn *c, enum tcp_keep_mode mode, uint32_t ms);
/** Arm the keep-alive timer (configured, none armed) when the state wants it. */
void tcp_keepalive_start(struct fo_tcp_conn *c);
/** A segment came: the connection is alive (once per segment, inline). */
static inline void
tcp_keepalive_reset(struct fo_tcp_conn *c)
{
	const struct fo_tcp_worker *tw = c->tw;

	c->last_rx_tsc = tw->net->now;
	c->probes = 0;
	/* armed once at ESTABLISHED; the timer re-arms itself from last_rx_tsc */
	if (tw->cfg.keepalive_ms && c->keep_mode == TCP_KEEP_NONE)
		tcp_keepalive_start(c);
}
/** RTT sample in microseconds (RFC 6298). Inline: most ACKs bring one. */
static inline void
tcp_rtt_sample(struct fo_tcp_conn *c, uint64_t rtt_us)
{
	const struct fo_tcp_config *cfg = &c->tw->cfg;
	uint64_t rto;
	uint32_t r = rtt_us > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)rtt_us;

	if (r == 0)
		r = 1;
	if (c->srtt_us == 0) {
		c->srtt_us = r;
		c->rttvar_us = r / 2;
	} else {
		uint32_t d = c->srtt_us > r ? c->srtt_us - r : r - c->srtt_us;

		c->rttvar_us = (3 * c->rttvar_us + d) / 4;
		c->srtt_us = (7 * c->srtt_us + r) / 8;
	}
	/* RTO = SRTT + max(G, 4 * RTTVAR), G = 1 ms, rounded up to ms */
	rto = ((uint64_t)c->srtt_us + RTE_MAX(1000u, 4 * c->rttvar_us) + 999) / 1000;
	if (rto < cfg->rto_min_ms)
		rto = cfg->rto_min_ms;
	if (rto > cfg->rto_max_ms)
		rto = cfg->rto_max_ms;
	c->rto_ms = (uint32_t)rto;
}


/* ---- tcp_in.c / tcp_in_sync.c ---- */
void tcp_input_one(struct fo_tcp_worker *tw, struct rte_mbuf *m);
/** A segment for a connection in a synchronized state (or SYN_RECEIVED). */
void tcp_input_sync(struct fo_tcp_conn *c, struct tcp_seg *seg);
/** Segment for a TIME_WAIT connection. @return 1 when it should go on to the listener. */
int tcp_input_time_wait(struct fo_tcp_conn *c, struct tcp_seg *seg);
/** Free a segment's mbuf (and count @p reason when >= 0). */
void tcp_seg_drop(struct fo_tcp_worker *tw, struct tcp_seg *seg, int reason);

/* ---- tcp_owner.c ---- */
void tcp_owner_init(struct fo_tcp_worker *tw);
/**
 * A local port (host order) for an active open to dst:dport, owned here,
 * whose tuple is free or held by a reusable TIME_WAIT connection (then
 * *@p reuse names it, else NULL; see fo_tcp_connect()). 0 when none.
 */
uint16_t tcp_owner_pick_port(struct fo_tcp_worker *tw, rte_be32_t src, rte_be32_t dst,
	rte_be16_t dport, struct fo_tcp_conn **reuse);
/** @return 1 when @p m was handed to another worker (or dropped as tcp_handoff_full). */
int tcp_owner_steer(struct fo_tcp_worker *tw, struct rte_mbuf *m);
/** Enqueue the segments tcp_owner_steer() buffered for other workers. */
void tcp_owner_flush(struct fo_tcp_worker *tw);

#endif /* TCP_PRIV_H */
