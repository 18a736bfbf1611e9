/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to lib/http: the byte scanners of the head parser (http_parse.c).
 * Each returns the first byte at or after q, before lim, that is not of its
 * class (lim when there is none) and never reads outside [lo, lim), lo
 * being the start of the feed. With SSE2/SSSE3 they test 16 bytes at a
 * time; the last bytes of a feed, fewer than 16, are tested with one load
 * that ends at lim (overlapping bytes already passed, whose bits are
 * shifted out) instead of a byte at a time, when the feed holds 16 bytes.
 * test_http_scan checks every scanner against the class tables at every
 * length and offset, ending at a guard page.
 */
#ifndef HTTP_SCAN_H
#define HTTP_SCAN_H

#include <stddef.h>
#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#ifdef __SSSE3__
#include <tmmintrin.h>
#endif

#include "http_priv.h"

static inline const uint8_t *
scan_class(const uint8_t *q, const uint8_t *lim, uint8_t cls)
{
	while (q < lim && (fo_http_cls[*q] & cls))
		q++;
	return q;
}

/* what stops a scan */
enum {
	STOP_NAME,  /* not a field-name byte or '_' (fo_http_name_byte[] 0) */
	STOP_CTL,   /* a control character, HTAB included, or DEL */
	STOP_PATH,  /* not a request-target byte before the query (HC_PATH) */
	STOP_QUERY, /* not a request-target byte in the query (HC_QUERY) */
};

static inline __attribute__((always_inline)) int
stop_scalar(uint8_t c, int kind)
{
	switch (kind) {
	case STOP_NAME:
		return !fo_http_name_byte[c];
	case STOP_CTL:
		return c < 0x20 || c == 0x7f;
	case STOP_PATH:
		return !(fo_http_cls[c] & HC_PATH);
	default:
		return !(fo_http_cls[c] & HC_QUERY);
	}
}

#ifdef __SSSE3__
/*
 * The constants of the 16-byte tests, made once for a loop.
 * Names: a byte is a name byte when bit (byte >> 4) of name_lo[byte & 15]
 * is set (high nibbles 8..15, non-ASCII, never are): two table lookups
 * (pshufb) and a compare for 16 bytes.
 */
struct scan_kit {
	__m128i name_lo, hi_bit, nib, zero, c1f, del, one, c20;
};

static inline __attribute__((always_inline)) struct scan_kit
scan_kit(void)
{
	return (struct scan_kit){
		.name_lo = _mm_setr_epi8((char)0xe8, (char)0xfc, (char)0xf8, (char)0xfc, (char)0xfc,
			(char)0xfc, (char)0xfc, (char)0xfc, (char)0xf8, (char)0xf8, (char)0xf4, 0x54,
			(char)0xd0, 0x54, (char)0xf4, 0x50),
		.hi_bit = _mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, (char)0x80, 0, 0, 0, 0, 0, 0, 0, 0),
		.nib = _mm_set1_epi8(0x0f),
		.zero = _mm_setzero_si128(),
		.c1f = _mm_set1_epi8(0x1f),
		.del = _mm_set1_epi8(0x7f),
		.one = _mm_set1_epi8(1),
		.c20 = _mm_set1_epi8(0x20),
	};
}

/* Bit i set when byte i of @p x stops a scan of @p kind. */
static inline __attribute__((always_inline)) unsigned
stop_mask16k(__m128i x, int kind, const struct scan_kit *k)
{
	switch (kind) {
	case STOP_NAME: {
		/* x as the index: obs-text, bit 7 set, looks up 0, no name byte */
		__m128i lo = _mm_shuffle_epi8(k->name_lo, x);
		__m128i hi =
			_mm_shuffle_epi8(k->hi_bit, _mm_and_si128(_mm_srli_epi16(x, 4), k->nib));

		return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(lo, hi), k->zero));
	}
	case STOP_CTL: {
		/* x <= 0x1f (unsigned) or x == 0x7f: obs-text passes */
		__m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(x, k->c1f), x);

		return (unsigned)_mm_movemask_epi8(_mm_or_si128(ctl, _mm_cmpeq_epi8(x, k->del)));
	}
	default: {
		/*
		 * 0x21 <= x <= 0x7e: x + 1 > 0x21 as signed bytes (DEL and
		 * obs-text wrap to negative); not '#', and not '?' before the query
		 */
		const __m128i qm = _mm_set1_epi8(kind == STOP_QUERY ? '#' : '?');
		__m128i in = _mm_cmpgt_epi8(_mm_add_epi8(x, k->one), _mm_set1_epi8(0x21));
		__m128i stop = _mm_or_si128(
			_mm_cmpeq_epi8(x, _mm_set1_epi8('#')), _mm_cmpeq_epi8(x, qm));

		return (unsigned)_mm_movemask_epi8(_mm_andnot_si128(stop, in)) ^ 0xffffu;
	}
	}
}

static inline __attribute__((always_inline)) unsigned
stop_mask16(__m128i x, int kind)
{
	const struct scan_kit k = scan_kit();

	return stop_mask16k(x, kind, &k);
}

/*
 * Bytes of @p x below 0x20, DEL, and obs-text (>= 0x80), which is no stop
 * but what makes this test cheaper than STOP_CTL's: not x + 1 > 0x20 as
 * signed bytes. The caller looks at the byte it stops at.
 */
static inline __attribute__((always_inline)) unsigned
ctl_rough16(__m128i x, const struct scan_kit *k)
{
	__m128i t = _mm_add_epi8(x, k->one);

	return (unsigned)_mm_movemask_epi8(_mm_cmpgt_epi8(t, k->c20)) ^ 0xffffu;
}

static inline __m128i
ld16(const uint8_t *s)
{
	return _mm_loadu_si128((const __m128i *)(const void *)s);
}
#endif

/* The first byte in [q, lim) that stops a scan of @p kind, or lim. */
static inline __attribute__((always_inline)) const uint8_t *
scan_to(const uint8_t *q, const uint8_t *lim, const uint8_t *lo, int kind)
{
#ifdef __SSSE3__
	unsigned m;

	if (lim - q >= 16) {
		const uint8_t *last = lim - 16; /* the last 16-byte load that fits */

		do {
			m = stop_mask16(ld16(q), kind);
			if (m != 0)
				return q + (unsigned)__builtin_ctz(m);
			q += 16;
		} while (q <= last);
	}
	if (q == lim)
		return q;
	if (lim - lo >= 16) {
		/* 1..15 bytes left: the 16 that end at lim, those before q shifted out */
		m = stop_mask16(ld16(lim - 16), kind) >> (16 - (lim - q));
		return m != 0 ? q + (unsigned)__builtin_ctz(m) : lim;
	}
#else
	(void)lo;
#endif
	while (q < lim && !stop_scalar(*q, kind))
		q++;
	return q;
}

/*
 * scan_to() for a feed of at least 16 bytes, whose field lines may be short
 * and near its end: @p last is lim - 16, the last 16-byte load that fits.
 * The first 16 bytes are tested at once wherever q is.
 */
#ifdef __SSSE3__
static inline __attribute__((always_inline)) const uint8_t *
scan16k(const uint8_t *q, const uint8_t *lim, const uint8_t *last, int kind,
	const struct scan_kit *k)
{
	unsigned m;

	for (;;) {
		if (q > last) {
			m = stop_mask16k(ld16(last), kind, k) >> (q - last);
			return m != 0 ? q + (unsigned)__builtin_ctz(m) : lim;
		}
		m = stop_mask16k(ld16(q), kind, k);
		if (m != 0)
			return q + (unsigned)__builtin_ctz(m);
		q += 16;
	}
}

static inline __attribute__((always_inline)) const uint8_t *
scan16(const uint8_t *q, const uint8_t *lim, const uint8_t *last, int kind)
{
	const struct scan_kit k = scan_kit();

	return scan16k(q, lim, last, kind, &k);
}

/* scan16(STOP_CTL), but stopping at obs-text too (ctl_rough16) */
static inline __attribute__((always_inline)) const uint8_t *
scan_rough(const uint8_t *q, const uint8_t *lim, const uint8_t *last, const struct scan_kit *k)
{
	unsigned m;

	for (;;) {
		if (q > last) {
			m = ctl_rough16(ld16(last), k) >> (q - last);
			return m != 0 ? q + (unsigned)__builtin_ctz(m) : lim;
		}
		m = ctl_rough16(ld16(q), k);
		if (m != 0)
			return q + (unsigned)__builtin_ctz(m);
		q += 16;
	}
}
#else
static inline const uint8_t *
scan16(const uint8_t *q, const uint8_t *lim, const uint8_t *last, int kind)
{
	return scan_to(q, lim, last, kind);
}
#endif

/* Field-name bytes but '_' (fo_http_name_byte). */
static inline const uint8_t *
scan_name(const uint8_t *q, const uint8_t *lim, const uint8_t *lo)
{
	return scan_to(q, lim, lo, STOP_NAME);
}

/* Field value / reason phrase bytes: stops at a control character but HTAB. */
static inline const uint8_t *
scan_value(const uint8_t *q, const uint8_t *lim, const uint8_t *lo)
{
	for (;;) {
		q = scan_to(q, lim, lo, STOP_CTL);
		if (q == lim || *q != '\t')
			return q;
		q++;
	}
}

/* Request-target bytes: 0x21-0x7e but '#', and but '?' unless @p query. */
static inline const uint8_t *
scan_target(const uint8_t *q, const uint8_t *lim, const uint8_t *lo, int query)
{
	return query ? scan_to(q, lim, lo, STOP_QUERY) : scan_to(q, lim, lo, STOP_PATH);
}

#endif /* HTTP_SCAN_H */
