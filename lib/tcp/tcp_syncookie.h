/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * SYN cookies (Linux style) and secure initial sequence numbers (RFC 6528),
 * private to lib/tcp.
 *
 * A SYN cookie is the ISN of our SYN-ACK, chosen so that the final ACK of
 * the handshake alone is enough to rebuild the connection:
 *
 *     cookie = H(k, tuple, 0) + peer_isn + (count << 24)
 *              + ((H(k, tuple, count) + mss_index) mod 2^24)
 *
 * with H a keyed SipHash-2-4 of the 4-tuple, count = now_s / 64 (8 bits in
 * the cookie) and mss_index into tcp_syncookie_mss_table. Checking recomputes
 * both hashes: a cookie is accepted when its count is the current one or one
 * of the TCP_SYNCOOKIE_MAX_AGE - 1 before it (64 to 192 s of validity) and the
 * low 24 bits yield a valid MSS index. A random 32-bit value passes with
 * probability about 3 * 5 / 2^32 (< 4e-9).
 *
 * What the cookie cannot hold (window scale, SACK-permitted) travels in the
 * low 6 bits of our SYN-ACK's TSval when the SYN carried timestamps, and
 * comes back in the ACK's TSecr (tcp_syncookie_ts_encode/_decode). Without
 * timestamps the connection has no window scaling and no SACK, as in Linux.
 *
 * Addresses and ports are always those of the segment RECEIVED from the
 * peer, in network byte order: saddr/sport are the peer's, daddr/dport ours.
 * All functions are pure (no state besides the key): thread-safe.
 */
#ifndef TCP_SYNCOOKIE_H
#define TCP_SYNCOOKIE_H

#include <stddef.h>
#include <stdint.h>

#include <rte_byteorder.h>

/** Key of the cookie and ISN hashes; built from the 16-byte worker secret. */
struct tcp_syncookie_ctx {
	uint64_t k0, k1;
};

/** Seconds per cookie counter step. */
#define TCP_SYNCOOKIE_PERIOD_S 64
/** Counters accepted at check time: the current one and MAX_AGE - 1 older. */
#define TCP_SYNCOOKIE_MAX_AGE 3
/** Entries of tcp_syncookie_mss_table. */
#define TCP_SYNCOOKIE_N_MSS 5

/** MSS values a cookie can encode, ascending: {536, 1300, 1440, 1460, 8960}. */
extern const uint16_t tcp_syncookie_mss_table[TCP_SYNCOOKIE_N_MSS];

/** Low bits of the SYN-ACK TSval that carry options (Linux's TSBITS). */
#define TCP_SYNCOOKIE_TS_BITS 6
#define TCP_SYNCOOKIE_TS_MASK ((1u << TCP_SYNCOOKIE_TS_BITS) - 1)
/** Window-scale field value meaning "the SYN had no window scale option". */
#define TCP_SYNCOOKIE_NO_WSCALE 0xf

/** Set @p k from @p secret (16 bytes, e.g. the secret given to fo_tcp_worker_create()). */
void tcp_syncookie_init(struct tcp_syncookie_ctx *k, const uint8_t secret[16]);

/**
 * The cookie to use as the ISN of a SYN-ACK answering a SYN.
 *
 * @param peer_isn the SYN's sequence number (host order).
 * @param mss      the MSS to offer encoding for: min(the SYN's MSS option
 *                 or 536 when absent, our own MSS for the route).
 * @param now_s    seconds of a monotonic clock (any origin, may wrap: only
 *                 differences count).
 * @param mss_used if not NULL, receives the MSS the cookie encodes: the
 *                 largest table entry <= @p mss, or 536 when @p mss is
 *                 smaller. Use it as the connection's MSS.
 * @return the cookie (our ISN, host order). Never fails.
 */
uint32_t tcp_syncookie_make(const struct tcp_syncookie_ctx *k, rte_be32_t saddr, rte_be32_t daddr,
	rte_be16_t sport, rte_be16_t dport, uint32_t peer_isn, uint16_t mss, uint32_t now_s,
	uint16_t *mss_used);

/**
 * Check the cookie of a handshake's final ACK (no SYN, no RST, ACK set).
 *
 * @param peer_isn the ACK's sequence number minus 1 (host order).
 * @param cookie   the ACK's acknowledgment number minus 1 (host order).
 * @param now_s    same clock as for tcp_syncookie_make().
 * @param mss      if not NULL, receives the encoded MSS on success.
 * @return 0: valid, *mss set;
 *         -ETIMEDOUT: the cookie's counter is not among the accepted ones
 *         (too old, from the future, or forged);
 *         -EINVAL: counter fine but the hash does not match (wrong tuple,
 *         sequence or key: forged or corrupted).
 *         Callers treat both as "bad cookie" (drop, count tcp_bad_cookie).
 */
int tcp_syncookie_check(const struct tcp_syncookie_ctx *k, rte_be32_t saddr, rte_be32_t daddr,
	rte_be16_t sport, rte_be16_t dport, uint32_t peer_isn, uint32_t cookie, uint32_t now_s,
	uint16_t *mss);

/**
 * The TSval to put in a cookie SYN-ACK when the SYN carried timestamps:
 * @p tsval_now with its low TCP_SYNCOOKIE_TS_BITS bits replaced by the
 * options (bits 0-3 window scale, bit 4 SACK-permitted, bit 5 ECN, always
 * 0), moved back by 2^TS_BITS if that would put it after @p tsval_now (so our
 * TSvals never go backwards once the connection exists).
 *
 * @param wscale  the shift the SYN's window scale option asked for (values
 *                above 14 are taken as 14, RFC 7323), or
 *                TCP_SYNCOOKIE_NO_WSCALE when the SYN had none.
 * @param sack_ok non-zero when the SYN had SACK-permitted.
 * @return the TSval (host order).
 */
uint32_t tcp_syncookie_ts_encode(uint32_t tsval_now, uint8_t wscale, int sack_ok);

/**
 * Recover the options from the TSecr of the final ACK (only when that ACK
 * carries a timestamp option; without one: no wscale, no SACK).
 *
 * @param wscale  receives the peer's shift 0..14, or TCP_SYNCOOKIE_NO_WSCALE
 *                (then neither side scales its window).
 * @param sack_ok receives 1 when SACK is permitted, else 0.
 * @return 0, or -EINVAL when @p tsecr cannot come from
 *         tcp_syncookie_ts_encode() (ECN bit set: we never offer ECN).
 */
int tcp_syncookie_ts_decode(uint32_t tsecr, uint8_t *wscale, int *sack_ok);

/**
 * A secure ISN for an active open or a normal (non-cookie) SYN-ACK,
 * RFC 6528: a keyed hash of the 4-tuple (distinct from the cookie hashes)
 * plus a clock ticking every 4 microseconds.
 *
 * Tuple orientation as everywhere here: saddr/sport the peer's (also for
 * active opens), daddr/dport ours.
 *
 * @param now_us microseconds of a monotonic clock (e.g. TSC-derived).
 * @return the ISN (host order).
 */
uint32_t tcp_secure_isn(const struct tcp_syncookie_ctx *k, rte_be32_t saddr, rte_be32_t daddr,
	rte_be16_t sport, rte_be16_t dport, uint64_t now_us);

/**
 * SipHash-2-4 of @p len bytes with the key of @p k (RFC-style reference
 * behaviour, 64-bit output). Exposed for the ISN/cookie helpers' tests and
 * for any other keyed hash lib/tcp needs.
 */
uint64_t tcp_siphash(const struct tcp_syncookie_ctx *k, const void *data, size_t len);

#endif /* TCP_SYNCOOKIE_H */
