/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ClientHello parser for SNI passthrough: the server name and the ALPN
 * list of the ClientHello that starts a TLS stream, without a TLS library;
 * the message may be fragmented over several handshake records (RFC 8446
 * 5.1), which are gathered in the caller's scratch. Every length is checked
 * against the bytes that enclose it before it is used; nothing is read
 * outside [buf, buf + len). RFC 8446 4.1.2 and RFC 6066 3.
 */
#include <errno.h>
#include <string.h>

#include "fo_tls.h"

#define REC_HDR 5
#define REC_MAX 16384 /* TLSPlaintext.length limit */
#define HS_CLIENT_HELLO 1
#define EXT_SERVER_NAME 0
#define EXT_ALPN 16
#define EXT_SUPPORTED_VERSIONS 43

/* A bounded reader: every get fails once past end. */
struct cur {
	const uint8_t *p, *end;
};

static int
get8(struct cur *c, uint32_t *v)
{
	if (c->end - c->p < 1)
		return -1;
	*v = c->p[0];
	c->p += 1;
	return 0;
}

static int
get16(struct cur *c, uint32_t *v)
{
	if (c->end - c->p < 2)
		return -1;
	*v = (uint32_t)c->p[0] << 8 | c->p[1];
	c->p += 2;
	return 0;
}

static int
skip(struct cur *c, uint32_t n)
{
	if ((size_t)(c->end - c->p) < n)
		return -1;
	c->p += n;
	return 0;
}

/* A sub-reader over the next @p n bytes (n checked). */
static int
sub(struct cur *c, uint32_t n, struct cur *s)
{
	if ((size_t)(c->end - c->p) < n)
		return -1;
	s->p = c->p;
	s->end = c->p + n;
	c->p += n;
	return 0;
}

static int
ext_server_name(struct cur e, struct fo_tls_hello *h)
{
	struct cur list;
	uint32_t n, type, len;

	if (get16(&e, &n) < 0 || n < 3 || sub(&e, n, &list) < 0 || e.p != e.end)
		return -1;
	while (list.p < list.end) {
		if (get8(&list, &type) < 0 || get16(&list, &len) < 0 || len == 0 ||
			(size_t)(list.end - list.p) < len)
			return -1;
		if (type == 0 && h->sni == NULL) {
			h->sni = list.p;
			h->sni_len = (uint16_t)len;
		}
		list.p += len;
	}
	return h->sni != NULL ? 0 : -1;
}

static int
ext_alpn(struct cur e, struct fo_tls_hello *h)
{
	struct cur list;
	uint32_t n, len;

	if (get16(&e, &n) < 0 || n < 2 || sub(&e, n, &list) < 0 || e.p != e.end)
		return -1;
	h->alpn = list.p;
	h->alpn_len = (uint16_t)n;
	while (list.p < list.end)
		if (get8(&list, &len) < 0 || len == 0 || skip(&list, len) < 0)
			return -1;
	return 0;
}

static int
ext_versions(struct cur e, struct fo_tls_hello *h)
{
	uint32_t n, v;

	if (get8(&e, &n) < 0 || n < 2 || n % 2 != 0 || (size_t)(e.end - e.p) != n)
		return -1;
	while (e.p < e.end) {
		if (get16(&e, &v) < 0)
			return -1; /* not reached: n is even and what is left */
		if (v == 0x0304)
			h->tls13 = 1;
	}
	return 0;
}

static int
hello_body(struct cur c, struct fo_tls_hello *h)
{
	struct cur exts;
	uint32_t v, n, seen = 0;

	if (get16(&c, &v) < 0 || skip(&c, 32) < 0) /* legacy_version, random */
		return -1;
	h->legacy_version = (uint16_t)v;
	if (get8(&c, &n) < 0 || n > 32 || skip(&c, n) < 0) /* legacy_session_id */
		return -1;
	if (get16(&c, &n) < 0 || n < 2 || n % 2 != 0 || skip(&c, n) < 0) /* cipher_suites */
		return -1;
	if (get8(&c, &n) < 0 || n < 1 || skip(&c, n) < 0) /* legacy_compression_methods */
		return -1;
	if (c.p == c.end)
		return 0; /* no extensions (TLS 1.2 allows it) */
	if (get16(&c, &n) < 0 || sub(&c, n, &exts) < 0 || c.p != c.end)
		return -1;
	while (exts.p < exts.end) {
		struct cur e;
		uint32_t type, len, bit;
		int rc = 0;

		if (get16(&exts, &type) < 0 || get16(&exts, &len) < 0 || sub(&exts, len, &e) < 0)
			return -1;
		switch (type) {
		case EXT_SERVER_NAME:
			bit = 1;
			rc = ext_server_name(e, h);
			break;
		case EXT_ALPN:
			bit = 2;
			rc = ext_alpn(e, h);
			break;
		case EXT_SUPPORTED_VERSIONS:
			bit = 4;
			rc = ext_versions(e, h);
			break;
		default:
			continue;
		}
		if (rc < 0 || (seen & bit) != 0) /* each extension at most once */
			return -1;
		seen |= bit;
	}
	return 0;
}

/* The first handshake bytes of @p rec (a record of @p rec_len, @p avail of it
 * here) not in @p hdr yet, up to 4. */
static void
hdr_take(const uint8_t *rec, uint32_t rec_len, size_t avail, uint8_t *hdr, unsigned *nh)
{
	for (uint32_t i = 0; *nh < 4 && i < rec_len && REC_HDR + i < avail; i++)
		hdr[(*nh)++] = rec[REC_HDR + i];
}

int
fo_tls_hello_parse(const uint8_t *buf, size_t len, uint8_t *scratch, struct fo_tls_hello *h)
{
	size_t off = 0, pay = 0, total = 0; /* wire bytes walked; handshake bytes; the message's */
	uint8_t hdr[4];
	unsigned nh = 0, nrec = 0;
	struct cur body;

	memset(h, 0, sizeof(*h));
	/*
	 * First walk the record headers (no copy: a caller may call again at
	 * every segment): every record a handshake record of 1..2^14 bytes,
	 * the first handshake byte a ClientHello's, and the records together
	 * within FO_TLS_HELLO_MAX, refused as early as the bytes allow.
	 */
	for (;;) {
		const uint8_t *r = buf + off;
		size_t avail = len - off;
		uint32_t rec_len;

		if (avail >= 1 && r[0] != 0x16)
			return -EBADMSG;
		if (avail >= 2 && r[1] != 3)
			return -EBADMSG;
		if (off + REC_HDR + 1 > FO_TLS_HELLO_MAX)
			return -EMSGSIZE;
		if (avail < REC_HDR) {
			h->need = (uint32_t)(off + REC_HDR);
			return -EAGAIN;
		}
		rec_len = (uint32_t)r[3] << 8 | r[4];
		if (rec_len == 0 || rec_len > REC_MAX) /* (no empty handshake fragment: 8446 5.1) */
			return -EBADMSG;
		hdr_take(r, rec_len, avail, hdr, &nh);
		if (nh >= 1 && hdr[0] != HS_CLIENT_HELLO)
			return -EBADMSG;
		if (nh == 4 && total == 0) {
			total = 4 + ((size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3]);
			if (total + REC_HDR > FO_TLS_HELLO_MAX)
				return -EMSGSIZE; /* cannot fit, whatever the records */
		}
		if (off + REC_HDR + rec_len > FO_TLS_HELLO_MAX)
			return -EMSGSIZE;
		if (avail < REC_HDR + rec_len) {
			h->need = (uint32_t)(off + REC_HDR + rec_len);
			return -EAGAIN;
		}
		off += REC_HDR + rec_len;
		pay += rec_len;
		nrec++;
		if (total != 0 && pay >= total)
			break;
	}
	if (pay > total)
		return -EBADMSG; /* nothing may follow a ClientHello in its flight */
	if (nrec == 1) {
		body.p = buf + REC_HDR + 4;
		body.end = buf + REC_HDR + total;
	} else {
		/* continued in more records: their handshake bytes gathered */
		size_t o = 0, n = 0;

		if (scratch == NULL)
			return -EMSGSIZE;
		while (n < total) {
			uint32_t rec_len = (uint32_t)buf[o + 3] << 8 | buf[o + 4];

			memcpy(scratch + n, buf + o + REC_HDR, rec_len);
			n += rec_len;
			o += REC_HDR + rec_len;
		}
		body.p = scratch + 4;
		body.end = scratch + total;
	}
	if (hello_body(body, h) < 0) {
		memset(h, 0, sizeof(*h));
		return -EBADMSG;
	}
	h->records = (uint16_t)nrec;
	return (int)off;
}
