/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sequence number arithmetic modulo 2^32 (RFC 9293 3.4): every comparison
 * of sequence numbers (and of timestamps) goes through these helpers,
 * which look at the sign of the 32-bit difference, so wraparound is never
 * a special case.
 */
#ifndef TCP_SEQ_H
#define TCP_SEQ_H

#include <stdint.h>

/** a < b */
static inline int
tcp_seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/** a <= b */
static inline int
tcp_seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

/** a > b */
static inline int
tcp_seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/** a >= b */
static inline int
tcp_seq_ge(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

/** lo <= s < hi (an empty range when lo == hi) */
static inline int
tcp_seq_in(uint32_t s, uint32_t lo, uint32_t hi)
{
	return tcp_seq_ge(s, lo) && tcp_seq_lt(s, hi);
}

/** the larger of a and b in sequence space */
static inline uint32_t
tcp_seq_max(uint32_t a, uint32_t b)
{
	return tcp_seq_gt(a, b) ? a : b;
}

/** the smaller of a and b in sequence space */
static inline uint32_t
tcp_seq_min(uint32_t a, uint32_t b)
{
	return tcp_seq_lt(a, b) ? a : b;
}

#endif /* TCP_SEQ_H */
