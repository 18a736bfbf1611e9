/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ClientHello parser for SNI passthrough: the server name and the ALPN
 * list of the first record of a TLS stream, without a TLS library. Every
 * length is checked against the bytes that enclose it before it is used;
 * nothing is read outside [buf, buf + len). RFC 8446 4.1.2 and RFC 6066 3.
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
		get16(&e, &v);
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

int
fo_tls_hello_parse(const uint8_t *buf, size_t len, struct fo_tls_hello *h)
{
	uint32_t rec_len, hs_len;
	struct cur body;

	memset(h, 0, sizeof(*h));
	/* Refuse what is not a handshake record as early as the bytes allow. */
	if (len >= 1 && buf[0] != 0x16)
		return -EBADMSG;
	if (len >= 2 && buf[1] != 3)
		return -EBADMSG;
	if (len >= 6 && buf[5] != HS_CLIENT_HELLO)
		return -EBADMSG;
	if (len < REC_HDR)
		return -EAGAIN;
	rec_len = (uint32_t)buf[3] << 8 | buf[4];
	if (rec_len < 4 || rec_len > REC_MAX)
		return -EBADMSG;
	if (len < REC_HDR + rec_len)
		return -EAGAIN;
	hs_len = (uint32_t)buf[6] << 16 | (uint32_t)buf[7] << 8 | buf[8];
	if (hs_len + 4 > rec_len)
		return -EMSGSIZE; /* continues in the next record */
	if (hs_len + 4 < rec_len)
		return -EBADMSG; /* nothing may follow a ClientHello in its flight */
	body.p = buf + REC_HDR + 4;
	body.end = body.p + hs_len;
	if (hello_body(body, h) < 0) {
		memset(h, 0, sizeof(*h));
		return -EBADMSG;
	}
	return (int)(REC_HDR + rec_len);
}
