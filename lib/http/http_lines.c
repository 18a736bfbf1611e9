/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header field lines of the common shape, a line at a time: the fast path
 * of the head parser (http_parse.c), which calls it at the start of a line
 * and takes over again at the first line it leaves. Out of the parser's
 * big function: a small loop of its own, with its own registers.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fo_http.h"
#include "http_priv.h"
#include "http_scan.h"

/* two bytes as one little-endian number, to compare with a pair at once */
static inline unsigned
ld2(const uint8_t *s)
{
	uint16_t v;

	memcpy(&v, s, 2);
	return v;
}

#define PAIR(a, b) ((unsigned)(uint8_t)(a) | (unsigned)(uint8_t)(b) << 8)

/*
 * A field's spans: name at offset @p o (of the line, too), @p nl bytes;
 * value at o + nl + 2 (after ": "), @p vl bytes; line @p ll bytes. Every
 * offset of a head fits in 16 bits, so no field carries into the next.
 */
_Static_assert(FO_HTTP_LINE_MAX + FO_HTTP_HEADERS_MAX < 65536,
	"a head's offsets fit in the 16 bits of a span");
static inline void
put_spans(struct fo_http_hdr *h, uint32_t o, uint32_t nl, uint32_t vl, uint32_t ll)
{
	/*
	 * Six 16-bit stores of values at hand take fewer instructions than
	 * the shifts and ors that would merge them: the empty asm between
	 * them (h "changed") keeps the compiler from merging.
	 */
	h->name.off = (uint16_t)o;
	h->name.len = (uint16_t)nl;
	__asm__("" : "+r"(h));
	h->value.off = (uint16_t)(o + nl + 2);
	h->value.len = (uint16_t)vl;
	__asm__("" : "+r"(h));
	h->line.off = (uint16_t)o;
	h->line.len = (uint16_t)ll;
}

/* the end of a value (x) and its line's LF (e) */
struct value_end {
	const uint8_t *x, *e;
};

/*
 * The end of a value whose first control character or obs-text, @p x, is
 * not the CR of a CRLF (rare: an LF alone, HTAB or obs-text inside, or the
 * end of the feed); e NULL for a line the general states take. Out of
 * line, returned in two registers: the loop keeps its own.
 */
static __attribute__((noinline)) struct value_end
value_end(const uint8_t *x, const uint8_t *lim, const uint8_t *last)
{
	for (;;) {
		if (lim - x >= 2 && ld2(x) == PAIR('\r', '\n'))
			return (struct value_end){x, x + 1};
		if (x == lim)
			return (struct value_end){x, NULL}; /* not all here */
		if (*x == '\n')
			return (struct value_end){x, x};
		if (*x != '\t' && *x < 0x80)
			return (struct value_end){x, NULL};
		x = scan16(x + 1, lim, last, STOP_CTL);
	}
}

/*
 * hdr_first[FO_HTTP_H_OTHER] after the loop, which does not track it: the
 * first of the new entries [h, hend) of no known name, if any.
 */
static void
first_other(struct fo_http_msg *m, const struct fo_http_hdr *h, const struct fo_http_hdr *hend)
{
	for (; h < hend; h++) {
		if (h->id == FO_HTTP_H_OTHER) {
			m->hdr_first[FO_HTTP_H_OTHER] = (uint8_t)(h - m->hdrs + 1);
			return;
		}
	}
}

const uint8_t *
fo_http_field_lines(struct fo_http_parser *p, const uint8_t *q, const uint8_t *lim,
	const uint8_t *end, uintptr_t ob)
{
	struct fo_http_msg *m = p->msg;
	struct fo_http_hdr *h = &m->hdrs[m->n_headers];
	struct fo_http_hdr *const h0 = h, *const hend = &m->hdrs[FO_HTTP_MAX_HEADERS];
	const uint8_t *const last = lim - 16; /* the last 16-byte load that fits */
	enum fo_http_err err;

#ifdef __SSSE3__
	const struct scan_kit kit = scan_kit();
#endif
	while (h < hend) {
		const uint8_t *c, *v, *x, *e, *t; /* c: the ':' */
		unsigned id;

#ifdef __SSSE3__
		if (__builtin_expect(q <= last, 1)) {
			/*
			 * The name's end and, for a name of at most 13 bytes, the
			 * value's first control character (or obs-text) from one load.
			 */
			__m128i blk = ld16(q);
			unsigned mn = stop_mask16k(blk, STOP_NAME, &kit), mc, ci;

			ci = (unsigned)__builtin_ctz(mn | 0x10000u); /* 16: the name goes on */
			c = q + ci;
			if (ci - 1 < 13) {
				/* c[2], the value's first byte, is in the load too */
				if (ld2(c) != PAIR(':', ' ') || c[2] <= 0x20)
					break;
				v = c + 2;
				/*
				 * Bit 15 left out: a stop at x <= q + 14 has x[1] in
				 * the load too, so CRLF can be read without a test.
				 */
				mc = (ctl_rough16(blk, &kit) & 0x7fffu) >> (ci + 2);
				if (__builtin_expect(mc != 0, 1)) {
					x = v + (unsigned)__builtin_ctz(mc);
					goto have_x;
				}
				x = scan_rough(q + 15, lim, last, &kit); /* v <= q + 15 */
			} else {
				if (ci == 0)
					break; /* no name here: the end of the head, or else */
				if (ci == 16)
					c = scan16k(q + 16, lim, last, STOP_NAME, &kit);
				if (lim - c < 3 || ld2(c) != PAIR(':', ' ') || c[2] <= 0x20)
					break;
				v = c + 2;
				x = scan_rough(v, lim, last, &kit);
			}
		} else
#endif
		{
			if (q == lim || !fo_http_name_byte[*q])
				break; /* the feed ends (q <= last: it does not), or no name */
			c = scan16(q, lim, last, STOP_NAME); /* *q is a name byte: c > q */
			if (lim - c < 3 || ld2(c) != PAIR(':', ' ') || c[2] <= 0x20)
				break;
			v = c + 2;
			x = scan16(v, lim, last, STOP_CTL);
		}
		/*
		 * *v > 0x20 (above): neither OWS nor an empty value nor a control
		 * character first, all of which the general states take.
		 * x: the first control character of the value, or obs-text (rough)
		 */
		if (lim - x < 2)
			goto odd_end;
#ifdef __SSSE3__
	have_x:
#endif
		if (__builtin_expect(ld2(x) == PAIR('\r', '\n'), 1)) {
			e = x + 1;
		} else {
			struct value_end ve;

		odd_end:
			ve = value_end(x, lim, last);
			if (ve.e == NULL)
				break;
			x = ve.x;
			e = ve.e;
		}
		/*
		 * e: the LF; x: the end of the value; t: without its trailing
		 * OWS. Before x, the only bytes up to 0x20 are SP and HTAB.
		 */
		t = x;
		while (t[-1] <= 0x20)
			t--; /* stops after v at the latest: *v > 0x20 */
		id = http_hdr_ident(q, (size_t)(c - q));
		put_spans(h, (uint32_t)((uintptr_t)q + ob), (uint32_t)(c - q), (uint32_t)(t - v),
			(uint32_t)(e + 1 - q));
		h->id = (uint8_t)id;
		h++;
		q = e + 1;
		if (__builtin_expect(id != FO_HTTP_H_OTHER, 0)) {
			if (http_field_quick(p, h - 1, id, v, (size_t)(x - v), (size_t)(t - v),
				    (size_t)(end - v)))
				continue;
			m->n_headers = (uint16_t)(h - m->hdrs);
			err = fo_http_field_line(
				p, h - 1, v, (size_t)(x - v), (size_t)(t - v), (size_t)(end - v));
			if (err != FO_HTTP_E_NONE) {
				p->err = err;
				if (m->hdr_first[FO_HTTP_H_OTHER] == 0)
					first_other(m, h0, h);
				return c;
			}
		}
	}
	m->n_headers = (uint16_t)(h - m->hdrs);
	if (m->hdr_first[FO_HTTP_H_OTHER] == 0)
		first_other(m, h0, h);
	return q;
}
