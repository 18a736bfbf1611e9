/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SYN cookies and secure ISNs over a keyed SipHash-2-4 (see tcp_syncookie.h
 * for the cookie layout).
 */
#include <errno.h>
#include <string.h>

#include "tcp_syncookie.h"

const uint16_t tcp_syncookie_mss_table[TCP_SYNCOOKIE_N_MSS] = {536, 1300, 1440, 1460, 8960};

/* Hash domains: the three uses of the key never share an input. */
enum {
	DOM_COOKIE_TUPLE = 0x636b3031, /* H(k, tuple, 0): the counter-free part */
	DOM_COOKIE_COUNT = 0x636b3032, /* H(k, tuple, count) */
	DOM_ISN = 0x69736e31,
};

/* now_s / 64 spans 2^26 values; the full counter is rebuilt modulo 2^26 at
 * check time so that cookies stay valid across a wrap of now_s. */
#define COUNT_MASK ((UINT32_MAX / TCP_SYNCOOKIE_PERIOD_S))
#define LOW24 0xffffffu
/* Bit 5 of the options in TSval: ECN, which we never offer. */
#define TS_ECN_BIT (1u << 5)
#define TS_SACK_BIT (1u << 4)
#define TS_WSCALE_MASK 0xfu
#define WSCALE_MAX 14

static inline uint64_t
rotl64(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t
load_le64(const uint8_t *p)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

#define SIPROUND                                                                                   \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = rotl64(v1, 13);                                                               \
		v1 ^= v0;                                                                          \
		v0 = rotl64(v0, 32);                                                               \
		v2 += v3;                                                                          \
		v3 = rotl64(v3, 16);                                                               \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = rotl64(v3, 21);                                                               \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = rotl64(v1, 17);                                                               \
		v1 ^= v2;                                                                          \
		v2 = rotl64(v2, 32);                                                               \
	} while (0)

uint64_t
tcp_siphash(const struct tcp_syncookie_ctx *k, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t v0 = 0x736f6d6570736575ull ^ k->k0;
	uint64_t v1 = 0x646f72616e646f6dull ^ k->k1;
	uint64_t v2 = 0x6c7967656e657261ull ^ k->k0;
	uint64_t v3 = 0x7465646279746573ull ^ k->k1;
	uint64_t b = (uint64_t)len << 56;
	size_t i, left = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t m = load_le64(p + i);

		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (i = 0; i < left; i++)
		b |= (uint64_t)p[len - left + i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

void
tcp_syncookie_init(struct tcp_syncookie_ctx *k, const uint8_t secret[16])
{
	k->k0 = load_le64(secret);
	k->k1 = load_le64(secret + 8);
}

/* H(k, tuple, domain, word): 20 bytes, addresses and ports as on the wire. */
static uint64_t
tuple_hash(const struct tcp_syncookie_ctx *k, rte_be32_t saddr, rte_be32_t daddr, rte_be16_t sport,
	rte_be16_t dport, uint32_t domain, uint32_t word)
{
	uint8_t msg[20];

	memcpy(msg, &saddr, 4);
	memcpy(msg + 4, &daddr, 4);
	memcpy(msg + 8, &sport, 2);
	memcpy(msg + 10, &dport, 2);
	memcpy(msg + 12, &domain, 4);
	memcpy(msg + 16, &word, 4);
	return tcp_siphash(k, msg, sizeof(msg));
}

static unsigned
mss_index(uint16_t mss)
{
	unsigned i;

	for (i = TCP_SYNCOOKIE_N_MSS - 1; i > 0; i--)
		if (mss >= tcp_syncookie_mss_table[i])
			break;
	return i;
}

uint32_t
tcp_syncookie_make(const struct tcp_syncookie_ctx *k, rte_be32_t saddr, rte_be32_t daddr,
	rte_be16_t sport, rte_be16_t dport, uint32_t peer_isn, uint16_t mss, uint32_t now_s,
	uint16_t *mss_used)
{
	uint32_t count = now_s / TCP_SYNCOOKIE_PERIOD_S;
	unsigned idx = mss_index(mss);
	uint32_t h1, h2;

	h1 = (uint32_t)tuple_hash(k, saddr, daddr, sport, dport, DOM_COOKIE_TUPLE, 0);
	h2 = (uint32_t)tuple_hash(
		k, saddr, daddr, sport, dport, DOM_COOKIE_COUNT, count & COUNT_MASK);
	if (mss_used != NULL)
		*mss_used = tcp_syncookie_mss_table[idx];
	/* The low 24 bits do not carry into the counter byte. */
	return h1 + peer_isn + (count << 24) + ((h2 + idx) & LOW24);
}

int
tcp_syncookie_check(const struct tcp_syncookie_ctx *k, rte_be32_t saddr, rte_be32_t daddr,
	rte_be16_t sport, rte_be16_t dport, uint32_t peer_isn, uint32_t cookie, uint32_t now_s,
	uint16_t *mss)
{
	uint32_t now_count = now_s / TCP_SYNCOOKIE_PERIOD_S;
	uint32_t c, diff, count, idx;

	c = cookie - peer_isn -
	    (uint32_t)tuple_hash(k, saddr, daddr, sport, dport, DOM_COOKIE_TUPLE, 0);
	/* 8-bit counter distance; a cookie "from the future" is a large one. */
	diff = (now_count - (c >> 24)) & 0xff;
	if (diff >= TCP_SYNCOOKIE_MAX_AGE)
		return -ETIMEDOUT;
	count = (now_count - diff) & COUNT_MASK;
	idx = (c - (uint32_t)tuple_hash(k, saddr, daddr, sport, dport, DOM_COOKIE_COUNT, count)) &
	      LOW24;
	if (idx >= TCP_SYNCOOKIE_N_MSS)
		return -EINVAL;
	if (mss != NULL)
		*mss = tcp_syncookie_mss_table[idx];
	return 0;
}

uint32_t
tcp_syncookie_ts_encode(uint32_t tsval_now, uint8_t wscale, int sack_ok)
{
	uint32_t opts, ts;

	if (wscale > WSCALE_MAX && wscale != TCP_SYNCOOKIE_NO_WSCALE)
		wscale = WSCALE_MAX;
	opts = (wscale & TS_WSCALE_MASK) | (sack_ok ? TS_SACK_BIT : 0);
	ts = (tsval_now & ~TCP_SYNCOOKIE_TS_MASK) | opts;
	/* Never ahead of the clock: later TSvals of this connection must not
	 * look older than this one to the peer's PAWS. */
	if ((int32_t)(ts - tsval_now) > 0)
		ts -= 1u << TCP_SYNCOOKIE_TS_BITS;
	return ts;
}

int
tcp_syncookie_ts_decode(uint32_t tsecr, uint8_t *wscale, int *sack_ok)
{
	if (tsecr & TS_ECN_BIT)
		return -EINVAL;
	*wscale = (uint8_t)(tsecr & TS_WSCALE_MASK);
	*sack_ok = (tsecr & TS_SACK_BIT) != 0;
	return 0;
}

uint32_t
tcp_secure_isn(const struct tcp_syncookie_ctx *k, rte_be32_t saddr, rte_be32_t daddr,
	rte_be16_t sport, rte_be16_t dport, uint64_t now_us)
{
	return (uint32_t)tuple_hash(k, saddr, daddr, sport, dport, DOM_ISN, 0) +
	       (uint32_t)(now_us >> 2);
}
