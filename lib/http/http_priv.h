/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to lib/http: character classes shared by the parser, the body
 * framer and the writers, and the field-value interpreters the head parser
 * calls (http_fields.c). Symbols keep the fo_http_ prefix because a static
 * library exports them to whatever links it.
 */
#ifndef HTTP_PRIV_H
#define HTTP_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSSE3__
#include <tmmintrin.h>
#endif

#include "fo_http.h"

/* fo_http_cls[] bits */
#define HC_TOKEN 0x01 /* tchar (RFC 9110 5.6.2) */
#define HC_VALUE 0x02 /* field-value byte: VCHAR, SP, HTAB, obs-text */
#define HC_PATH 0x04  /* request-target byte before the query: 0x21-0x7e but '#', '?' */
#define HC_QUERY 0x08 /* request-target byte in the query: 0x21-0x7e but '#' */
#define HC_HOST 0x10  /* reg-name byte: unreserved, pct-encoded ('%'), sub-delims */
#define HC_HEX 0x20   /* hex digit */
#define HC_DIGIT 0x40 /* decimal digit */
#define HC_WS 0x80    /* SP, HTAB */

/* RFC definitions the class table (http_names.c) and the SIMD Host check share */
#define IS_ALPHA(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')
#define IS_HOST(c)                                                                                 \
	(IS_ALPHA(c) || IS_DIGIT(c) || (c) == '-' || (c) == '.' || (c) == '_' || (c) == '~' ||    \
		(c) == '%' || (c) == '!' || (c) == '$' || (c) == '&' || (c) == '\'' || (c) == '(' ||  \
		(c) == ')' || (c) == '*' || (c) == '+' || (c) == ',' || (c) == ';' || (c) == '=')

extern const uint8_t fo_http_cls[256];
/** 1 for a tchar other than '_' (field names: a '_' sets FO_HTTP_F_UNDERSCORE). */
extern const uint8_t fo_http_name_byte[256];

/* Value interpreters, in struct fo_http_parser.interp. */
enum {
	HI_NONE,  /* nothing to interpret in the value */
	HI_HOST,  /* request Host: validated, span recorded */
	HI_CL,    /* Content-Length */
	HI_TE,    /* Transfer-Encoding */
	HI_CONN,  /* Connection tokens */
	HI_EXPECT /* request Expect */
};

/* struct fo_http_parser.tflags */
#define HT_TE_EMPTY 0x01 /* a Transfer-Encoding list had an empty element */
#define HT_TE_LAST 0x02  /* the last transfer coding seen is chunked */
#define HT_TE_CHUNKED 0x04 /* chunked was listed */
#define HT_TE_TWICE 0x08   /* chunked was listed more than once */

/** Header id of a field name (token bytes, any case). */
unsigned fo_http_hdr_ident(const uint8_t *s, size_t n);

/* ---- field names: inline, the parser calls it for every field ---- */

/* unaligned little-endian loads; memcpy compiles to one mov */
static inline uint64_t
http_ld8(const void *s)
{
	uint64_t v;

	memcpy(&v, s, 8);
	return v;
}

static inline uint32_t
http_ld4(const void *s)
{
	uint32_t v;

	memcpy(&v, s, 4);
	return v;
}

/*
 * @p lower is lowercase; s holds token bytes, for which |0x20 is a
 * lowercase (the words' other bytes, '-', have the bit already). Compares
 * a word at a time, the last one overlapping the one before: a name costs
 * a few loads whatever its length (n is a constant once inlined).
 */
static inline __attribute__((always_inline)) int
http_name_eq(const uint8_t *s, const char *lower, size_t n)
{
	const uint64_t lc8 = 0x2020202020202020ull;
	const uint32_t lc4 = 0x20202020u;
	uint64_t d = 0;
	size_t i;

	if (n >= 8) {
		for (i = 0; i + 8 <= n; i += 8)
			d |= (http_ld8(s + i) | lc8) ^ http_ld8(lower + i);
		if (i < n)
			d |= (http_ld8(s + n - 8) | lc8) ^ http_ld8(lower + n - 8);
		return d == 0;
	}
	if (n >= 4)
		return (((http_ld4(s) | lc4) ^ http_ld4(lower)) |
			       ((http_ld4(s + n - 4) | lc4) ^ http_ld4(lower + n - 4))) == 0;
	for (i = 0; i < n; i++)
		d |= (uint8_t)((s[i] | 0x20) ^ (uint8_t)lower[i]);
	return d == 0;
}

#define HK(c) (1u << ((c)&31))
static inline __attribute__((always_inline)) unsigned
http_hdr_ident(const uint8_t *s, size_t n)
{
	/*
	 * Bit (first byte & 31) of known1[n]: a name we know has n bytes and
	 * starts with that letter (any case). Most names are none of ours and
	 * stop at this test; the others go by length, first letter, then one
	 * compare.
	 */
	static const uint32_t known1[32] = {
		[2] = HK('t'),
		[4] = HK('h'),
		[6] = HK('e'),
		[7] = HK('t') | HK('u'),
		[9] = HK('x'),
		[10] = HK('c') | HK('k'),
		[12] = HK('x'),
		[14] = HK('c'),
		[15] = HK('x'),
		[16] = HK('p') | HK('x'),
		[17] = HK('t') | HK('x'),
	};

	/* n & 31: a longer name that passes falls to the switch's default */
	if (!((known1[n & 31] >> (s[0] & 31)) & 1))
		return FO_HTTP_H_OTHER;
	switch (n) {
	case 2:
		return http_name_eq(s, "te", 2) ? FO_HTTP_H_TE : FO_HTTP_H_OTHER;
	case 4:
		return http_name_eq(s, "host", 4) ? FO_HTTP_H_HOST : FO_HTTP_H_OTHER;
	case 6:
		return http_name_eq(s, "expect", 6) ? FO_HTTP_H_EXPECT : FO_HTTP_H_OTHER;
	case 7:
		if ((s[0] | 0x20) == 't')
			return http_name_eq(s, "trailer", 7) ? FO_HTTP_H_TRAILER : FO_HTTP_H_OTHER;
		return http_name_eq(s, "upgrade", 7) ? FO_HTTP_H_UPGRADE : FO_HTTP_H_OTHER;
	case 9:
		return http_name_eq(s, "x-real-ip", 9) ? FO_HTTP_H_X_REAL_IP : FO_HTTP_H_OTHER;
	case 10:
		if ((s[0] | 0x20) == 'c')
			return http_name_eq(s, "connection", 10) ? FO_HTTP_H_CONNECTION : FO_HTTP_H_OTHER;
		return http_name_eq(s, "keep-alive", 10) ? FO_HTTP_H_KEEP_ALIVE : FO_HTTP_H_OTHER;
	case 12:
		return http_name_eq(s, "x-request-id", 12) ? FO_HTTP_H_X_REQUEST_ID : FO_HTTP_H_OTHER;
	case 14:
		return http_name_eq(s, "content-length", 14) ? FO_HTTP_H_CONTENT_LENGTH : FO_HTTP_H_OTHER;
	case 15:
		return http_name_eq(s, "x-forwarded-for", 15) ? FO_HTTP_H_X_FORWARDED_FOR
							 : FO_HTTP_H_OTHER;
	case 16:
		if ((s[0] | 0x20) == 'p')
			return http_name_eq(s, "proxy-connection", 16) ? FO_HTTP_H_PROXY_CONNECTION
								  : FO_HTTP_H_OTHER;
		if (!http_name_eq(s, "x-forwarded-", 12))
			return FO_HTTP_H_OTHER;
		if (http_name_eq(s + 12, "host", 4))
			return FO_HTTP_H_X_FORWARDED_HOST;
		return http_name_eq(s + 12, "port", 4) ? FO_HTTP_H_X_FORWARDED_PORT : FO_HTTP_H_OTHER;
	case 17:
		if ((s[0] | 0x20) == 't')
			return http_name_eq(s, "transfer-encoding", 17) ? FO_HTTP_H_TRANSFER_ENCODING
								   : FO_HTTP_H_OTHER;
		return http_name_eq(s, "x-forwarded-proto", 17) ? FO_HTTP_H_X_FORWARDED_PROTO
							   : FO_HTTP_H_OTHER;
	default:
		return FO_HTTP_H_OTHER;
	}
}
#undef HK

/*
 * Host bits of a byte x, SSSE3 style (see stop_mask16 in http_scan.h): bit
 * (x >> 4) of HOST_LO(x & 15) says whether x is a reg-name byte; computed
 * from IS_HOST so that it cannot drift from fo_http_cls[].
 */
#define HOST_LO(j)                                                                                 \
	(char)(IS_HOST(0x00 + (j)) | IS_HOST(0x10 + (j)) << 1 | IS_HOST(0x20 + (j)) << 2 |       \
		IS_HOST(0x30 + (j)) << 3 | IS_HOST(0x40 + (j)) << 4 | IS_HOST(0x50 + (j)) << 5 |    \
		IS_HOST(0x60 + (j)) << 6 | IS_HOST(0x70 + (j)) << 7)

/*
 * The leading reg-name run of a Host value (at most 16 bytes, all of which
 * can be read): its length, or -1 when it has an empty label ("a..b").
 * *dot: its last byte is a '.'.
 */
static inline int
http_host_run16(const uint8_t *s, size_t n, uint8_t *dot)
{
#ifdef __SSSE3__
	const __m128i lo_t = _mm_setr_epi8(HOST_LO(0), HOST_LO(1), HOST_LO(2), HOST_LO(3),
		HOST_LO(4), HOST_LO(5), HOST_LO(6), HOST_LO(7), HOST_LO(8), HOST_LO(9), HOST_LO(10),
		HOST_LO(11), HOST_LO(12), HOST_LO(13), HOST_LO(14), HOST_LO(15));
	const __m128i hi_bit =
		_mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, (char)0x80, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m128i nib = _mm_set1_epi8(0x0f);
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
	__m128i lo = _mm_shuffle_epi8(lo_t, _mm_and_si128(x, nib));
	__m128i hi = _mm_shuffle_epi8(hi_bit, _mm_and_si128(_mm_srli_epi16(x, 4), nib));
	unsigned bad = (unsigned)_mm_movemask_epi8(
		_mm_cmpeq_epi8(_mm_and_si128(lo, hi), _mm_setzero_si128()));
	unsigned dots = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('.')));
	unsigned k = (unsigned)__builtin_ctz(bad | 1u << n); /* n <= 16 */

	dots &= (1u << k) - 1;
	if (dots & (dots >> 1))
		return -1;
	*dot = k != 0 && (dots >> (k - 1)) != 0;
	return (int)k;
#else
	size_t k;

	*dot = 0;
	for (k = 0; k < n && (fo_http_cls[s[k]] & HC_HOST); k++) {
		if (s[k] == '.' && *dot)
			return -1;
		*dot = s[k] == '.';
	}
	return (int)k;
#endif
}

/*
 * What fo_http_field_line() would do for the common values of the fields it
 * interprets, inlined into the field-lines loop (http_lines.c) so that they
 * cost no call: "Connection: keep-alive" or "close", a request's first Host
 * that is a reg-name of at most 16 bytes without OWS, a Content-Length of at
 * most 18 digits (below 2^63) that no earlier one contradicts. Field @p h,
 * of id @p id, is an entry of msg->hdrs; [@p s, + @p n), @p t and @p avail
 * are as fo_http_field_line() takes them.
 * @return 1: done, hdr_first too; 0: none of these, fo_http_field_line()
 *         does it all (and finds the errors).
 */
static inline __attribute__((always_inline)) int
http_field_quick(struct fo_http_parser *p, const struct fo_http_hdr *h, unsigned id,
	const uint8_t *s, size_t n, size_t t, size_t avail)
{
	struct fo_http_msg *m = p->msg;
	uint64_t v;
	uint8_t dot;
	size_t i;

	switch (id) {
	case FO_HTTP_H_CONNECTION:
		/* one word, as nearly every client sends (see fo_http_field_value) */
		if (t == 10 && http_name_eq(s, "keep-alive", 10))
			m->flags |= FO_HTTP_F_CONN_KEEP_ALIVE;
		else if (t == 5 && http_name_eq(s, "close", 5))
			m->flags |= FO_HTTP_F_CONN_CLOSE;
		else
			return 0;
		break;
	case FO_HTTP_H_HOST:
		/* what begin, value (http_host_run16 takes it all) and end do */
		if (p->kind != FO_HTTP_REQUEST || m->hdr_first[FO_HTTP_H_HOST] != 0 || t != n ||
			n > 16 || avail < 16 || http_host_run16(s, n, &dot) != (int)n)
			return 0;
		/* the authority of an absolute-form target wins (RFC 9112 3.2.2) */
		if (!(m->flags & FO_HTTP_F_ABSOLUTE_FORM))
			m->host = h->value;
		break;
	case FO_HTTP_H_CONTENT_LENGTH:
		/* digits only, then what cl_elem_end does (a mismatch: the error there) */
		if (t == 0 || t > 18)
			return 0;
		for (i = 0, v = 0; i < t && (unsigned)(s[i] - '0') < 10u; i++)
			v = v * 10 + (uint64_t)(s[i] - '0');
		if (i != t || ((m->flags & FO_HTTP_F_CONTENT_LENGTH) && m->content_length != v))
			return 0;
		m->content_length = v;
		m->flags |= FO_HTTP_F_CONTENT_LENGTH;
		break;
	default:
		return 0;
	}
	if (m->hdr_first[id] == 0)
		m->hdr_first[id] = (uint8_t)(h - m->hdrs + 1);
	return 1;
}

/** Start the Host validator (Host value or absolute-form authority). */
void fo_http_host_begin(struct fo_http_parser *p);
/** One byte of a host[:port]; SP/HTAB only end it. @return 0, -1: invalid. */
int fo_http_host_step(struct fo_http_parser *p, uint8_t c);
/** @return 0 when what was fed is a complete valid host[:port], -1 otherwise. */
int fo_http_host_end(const struct fo_http_parser *p);

/**
 * A field name was recognised as @p id: check what the name alone decides
 * (a second Host) and set up the value interpreter.
 * @return FO_HTTP_E_NONE or the error.
 */
enum fo_http_err fo_http_field_begin(struct fo_http_parser *p, unsigned id);
/** Value bytes of the current field (leading OWS already skipped). */
enum fo_http_err fo_http_field_bytes(struct fo_http_parser *p, const uint8_t *s, size_t n);
/**
 * The whole value of the current field in one piece, none of it fed yet:
 * [@p s, + @p n) as fo_http_field_bytes() takes it (trailing OWS included),
 * @p t its length without the trailing OWS, @p avail >= n the bytes that
 * may be read from @p s. Fast paths for the common values, else
 * fo_http_field_bytes().
 */
enum fo_http_err fo_http_field_value(
	struct fo_http_parser *p, const uint8_t *s, size_t n, size_t t, size_t avail);
/**
 * A whole field line of a known name that http_field_quick() did not take,
 * its entry @p h (the last of msg->hdrs) complete: what
 * fo_http_field_begin(), the hdr_first update, fo_http_field_value() (same
 * arguments) and fo_http_field_end() do in turn.
 */
enum fo_http_err fo_http_field_line(struct fo_http_parser *p, const struct fo_http_hdr *h,
	const uint8_t *s, size_t n, size_t t, size_t avail);
/**
 * Field lines from q, each whole in [q, lim) and of the common shape: a
 * name without '_', ':', SP, a value that starts with neither OWS nor a
 * control character, then CRLF or LF. Records them as the general states
 * do, calling the same value interpreters with the same arguments, and
 * returns the start of the first line that is not such a line (the end of
 * the head, a line split by the end of the feed, a malformed or unusual
 * one): the general states parse that one from its start, with their exact
 * errors. On an interpreter's error, p->err is set and the return is where
 * the general states would have stopped. The feed, of at least 16 bytes
 * (the caller leaves shorter ones to the general states), ends at @p end;
 * a pointer into it + @p ob is its message offset; lim <= end ends the
 * current section.
 */
const uint8_t *fo_http_field_lines(struct fo_http_parser *p, const uint8_t *q, const uint8_t *lim,
	const uint8_t *end, uintptr_t ob);
/** End of the current field; @p h is its complete entry in msg->hdrs. */
enum fo_http_err fo_http_field_end(struct fo_http_parser *p, const struct fo_http_hdr *h);
/** End of the head: the checks that need every field (TE/CL/Host). */
enum fo_http_err fo_http_head_end(struct fo_http_parser *p);

/** Lowercase an ASCII letter, other bytes unchanged. */
static inline uint8_t
http_lc(uint8_t c)
{
	return (uint8_t)((unsigned)(c - 'A') < 26u ? c + 32 : c);
}

#endif /* HTTP_PRIV_H */
