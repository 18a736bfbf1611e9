/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the head writers share (http_write.c: responses, fanout's own
 * responses; http_write_req.c: the request sent upstream): the output
 * buffer and the puts, inlined into each writer.
 */
#ifndef HTTP_WRITE_PRIV_H
#define HTTP_WRITE_PRIV_H

#include <errno.h>
#include <string.h>

#include "fo_http.h"

#define LIKELY(x) __builtin_expect(!!(x), 1)
/* what takes a struct wbuf: always inlined, so that the writers keep it in registers */
#define WINLINE static inline __attribute__((always_inline))

/*
 * An output buffer that remembers it ran out rather than checking each put.
 * Bytes of the input that go out unchanged (a field line with its CRLF, a
 * request or status line) are not copied at once: they extend a pending
 * run [run, run_end) of the input, written in one copy when the next
 * byte out does not continue it. Most of a head is such runs.
 */
struct wbuf {
	uint8_t *p;
	size_t left;
	int full;
	const uint8_t *run, *run_end;
};

/*
 * Copy @p n bytes. A length known at compile time is memcpy()'s to inline;
 * up to 16 bytes (a method, a path, a query, a host) two overlapping moves,
 * longer ones memcpy().
 */
WINLINE void
copy_bytes(uint8_t *d, const uint8_t *s, size_t n)
{
	if (__builtin_constant_p(n) || n > 16) {
		memcpy(d, s, n);
	} else if (n >= 8) {
		uint64_t a, b;

		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n >= 4) {
		uint32_t a, b;

		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		memcpy(d, &a, 4);
		memcpy(d + n - 4, &b, 4);
	} else if (n != 0) {
		uint8_t a = s[0], b = s[n / 2], c = s[n - 1];

		d[0] = a;
		d[n / 2] = b;
		d[n - 1] = c;
	}
}

WINLINE void
put_raw(struct wbuf *w, const void *s, size_t n)
{
	if (n > w->left) {
		w->full = 1;
		w->left = 0;
		return;
	}
	copy_bytes(w->p, s, n);
	w->p += n;
	w->left -= n;
}

/*
 * put() of 32 to 64 bytes (fo_http_fwd_conn's pieces): four overlapping
 * 16-byte moves rather than a call, or rep movs for a length the compiler
 * knows to be short.
 */
WINLINE void
put_raw_32_64(struct wbuf *w, const void *s, size_t n)
{
	const uint8_t *p = s;
	uint8_t a[16], b[16], c[16], d[16];

	if (n > w->left) {
		w->full = 1;
		w->left = 0;
		return;
	}
	memcpy(a, p, 16);
	memcpy(b, p + 16, 16);
	memcpy(c, p + n - 32, 16);
	memcpy(d, p + n - 16, 16);
	memcpy(w->p, a, 16);
	memcpy(w->p + 16, b, 16);
	memcpy(w->p + n - 32, c, 16);
	memcpy(w->p + n - 16, d, 16);
	w->p += n;
	w->left -= n;
}

WINLINE void
run_flush(struct wbuf *w)
{
	if (w->run_end != w->run) {
		put_raw(w, w->run, (size_t)(w->run_end - w->run));
		w->run = w->run_end; /* empty, and still continued by what follows it */
	}
}

WINLINE void
put(struct wbuf *w, const void *s, size_t n)
{
	run_flush(w);
	put_raw(w, s, n);
}

/*
 * Room for @p n bytes at once, for pieces of known lengths written
 * together (one check for a whole line): where to write them, or NULL
 * (out of room, remembered).
 */
WINLINE uint8_t *
put_reserve(struct wbuf *w, size_t n)
{
	uint8_t *p;

	run_flush(w);
	p = w->p;
	if (n > w->left) {
		w->full = 1;
		w->left = 0;
		return NULL;
	}
	w->p += n;
	w->left -= n;
	return p;
}

/* Input bytes [s, s + n) go out unchanged: one copy with those before when contiguous. */
WINLINE void
put_run(struct wbuf *w, const uint8_t *s, size_t n)
{
	if (w->run_end == s) {
		w->run_end += n;
		return;
	}
	run_flush(w);
	w->run = s;
	w->run_end = s + n;
}

/* bit of a field id in the masks that sort fields before the writers look at them one by one */
#define HBIT(id) (1u << (id))
_Static_assert(FO_HTTP_H_MAX <= 32, "field ids fit a uint32_t mask");
/* hop-by-hop fields (RFC 9110 7.6.1), but Upgrade */
#define HBITS_HOP                                                                                  \
	(HBIT(FO_HTTP_H_CONNECTION) | HBIT(FO_HTTP_H_KEEP_ALIVE) |                                 \
		HBIT(FO_HTTP_H_PROXY_CONNECTION) | HBIT(FO_HTTP_H_TE) | HBIT(FO_HTTP_H_TRAILER))
/* response fields that go on as received: all but hop-by-hop, Upgrade, Content-Length */
#define HBITS_RESP_AS_IS                                                                           \
	((HBIT(FO_HTTP_H_MAX) - 1) &                                                                \
		~(HBITS_HOP | HBIT(FO_HTTP_H_UPGRADE) | HBIT(FO_HTTP_H_CONTENT_LENGTH)))

/* Start writing @p cap bytes at @p out; runs come from @p head. */
WINLINE void
wbuf_init(struct wbuf *w, uint8_t *out, size_t cap, const uint8_t *head)
{
	w->p = out;
	w->left = cap;
	w->full = 0;
	w->run = w->run_end = head; /* (never NULL: compared with head + offsets) */
}

/* Bytes written, or -ENOSPC. */
WINLINE ssize_t
wbuf_end(struct wbuf *w, const uint8_t *out)
{
	run_flush(w);
	return w->full ? -ENOSPC : (ssize_t)(w->p - out);
}

#define PUTS(w, lit) put((w), (lit), sizeof(lit) - 1)

WINLINE void
put_span(struct wbuf *w, const uint8_t *head, struct fo_http_span s)
{
	put(w, head + s.off, s.len);
}

/* decimal digits of @p v into the end of @p d; their count */
static inline size_t
fmt_u64(char d[20], uint64_t v)
{
	size_t i = 20;

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return 20 - i;
}

WINLINE void
put_u64(struct wbuf *w, uint64_t v)
{
	char d[20];
	size_t n = fmt_u64(d, v);

	put(w, d + sizeof(d) - n, n);
}

/* A field line as received, its ending normalised to CRLF. */
WINLINE void
put_line(struct wbuf *w, const uint8_t *head, const struct fo_http_hdr *h)
{
	const uint8_t *l = head + h->line.off;
	size_t len = h->line.len;

	if (LIKELY(len >= 2 && l[len - 2] == '\r')) {
		put_run(w, l, len); /* CRLF already: as it came */
		return;
	}
	put(w, l, len - 1); /* without the LF */
	PUTS(w, "\r\n");
}

static inline uint64_t
load64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * Is @p len digits the canonical decimal of @p v (no leading zero, one
 * value)? For a Content-Length value the parser accepted (digits, or a
 * list of equal values), only the canonical form is exactly that long.
 */
static inline int
dec_canonical(uint64_t v, size_t len)
{
	/* [len]: the least number of len digits; [20]: past 2^63 */
	static const uint64_t lo[21] = {0, 0, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
		100000000, 1000000000, 10000000000ull, 100000000000ull, 1000000000000ull,
		10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
		100000000000000000ull, 1000000000000000000ull, UINT64_MAX};

	return len - 1 < 19 && v >= lo[len] && v < lo[len + 1];
}

/*
 * Content-Length field @p h, whose value is canonical, reads exactly
 * "Content-Length: <value>" CRLF: what put_content_length() writes.
 */
static inline int
content_length_as_is(const uint8_t *head, const struct fo_http_hdr *h)
{
	static const char name[] = "Content-Length: ";
	const uint8_t *l = head + h->line.off;

	return h->value.off == h->line.off + 16 && h->line.len == h->value.len + 18 &&
	       l[16 + h->value.len] == '\r' &&
	       ((load64(l) ^ load64(name)) | (load64(l + 8) ^ load64(name + 8))) == 0;
}

/*
 * "Content-Length: <decimal>", from the parsed value of field @p h (the
 * first Content-Length): the line as received when it says exactly that.
 */
WINLINE void
put_content_length(struct wbuf *w, const uint8_t *head, const struct fo_http_msg *msg,
	const struct fo_http_hdr *h)
{
	static const char name[] = "Content-Length: ";

	if (dec_canonical(msg->content_length, h->value.len)) {
		if (content_length_as_is(head, h)) {
			put_run(w, head + h->line.off, h->line.len);
			return;
		}
		PUTS(w, name);
		put_span(w, head, h->value);
	} else {
		PUTS(w, name);
		put_u64(w, msg->content_length);
	}
	PUTS(w, "\r\n");
}

/* 1 + the index of @p h in msg->hdrs (the encoding of hdr_first[]). */
static inline unsigned
hdr_index(const struct fo_http_msg *msg, const struct fo_http_hdr *h)
{
	return (unsigned)(h - msg->hdrs) + 1;
}

/* "<name>: <value>" for each SET and ADD, in list order. */
WINLINE void
put_mods(struct wbuf *w, const struct fo_http_mod *mods, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		if (mods[i].op == FO_HTTP_MOD_REMOVE)
			continue;
		put(w, mods[i].name, mods[i].name_len);
		PUTS(w, ": ");
		put(w, mods[i].value, mods[i].value_len);
		PUTS(w, "\r\n");
	}
}

/*
 * Whether a field goes on: hop-by-hop fields stop here (RFC 9110 7.6.1),
 * Upgrade unless @p keep_upgrade (http_write.c).
 */
int fo_http_keep_field(const uint8_t *head, const struct fo_http_msg *msg,
	const struct fo_http_hdr *h, int keep_upgrade);
/* Does a SET or REMOVE of @p mods name field @p h? (It is dropped then.) */
int fo_http_mod_drops(const uint8_t *head, const struct fo_http_hdr *h,
	const struct fo_http_mod *mods, unsigned n);

#endif /* HTTP_WRITE_PRIV_H */
