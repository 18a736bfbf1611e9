/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP options: parse MSS, window scale, SACK-permitted, timestamps and SACK
 * blocks (RFC 9293, 7323, 2018); build those we send. A malformed option
 * list (length field below 2 or past the header, wrong length for a known
 * kind) makes the whole segment invalid.
 */
#include <errno.h>
#include <string.h>

#include "tcp_priv.h"

#define OPT_EOL 0
#define OPT_NOP 1
#define OPT_MSS 2
#define OPT_WS 3
#define OPT_SACK_PERM 4
#define OPT_SACK 5
#define OPT_TS 8

static inline uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* NOP, NOP, timestamps: the options of nearly every segment once established */
#define OPT_TS_WORD TCP_OPT_TS_WORD

static inline uint32_t
load_be32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_32(v);
}

int
tcp_opts_parse(const uint8_t *p, unsigned len, struct tcp_opts *o)
{
	unsigned i = 0;

	memset(o, 0, sizeof(*o));
	/* the aligned timestamps alone (RFC 7323 appendix A), as Linux's fast path */
	if (len == 12 && load_be32(p) == OPT_TS_WORD) {
		o->tsval = load_be32(p + 4);
		o->tsecr = load_be32(p + 8);
		o->has_ts = 1;
		return 0;
	}
	while (i < len) {
		uint8_t kind = p[i], olen;

		if (kind == OPT_EOL)
			break;
		if (kind == OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			return -EBADMSG;
		olen = p[i + 1];
		if (olen < 2 || i + olen > len)
			return -EBADMSG;
		switch (kind) {
		case OPT_MSS:
			if (olen != 4)
				return -EBADMSG;
			o->mss = (uint16_t)(p[i + 2] << 8 | p[i + 3]);
			o->has_mss = 1;
			break;
		case OPT_WS:
			if (olen != 3)
				return -EBADMSG;
			o->wscale = p[i + 2] > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : p[i + 2];
			o->has_ws = 1;
			break;
		case OPT_SACK_PERM:
			if (olen != 2)
				return -EBADMSG;
			o->sack_ok = 1;
			break;
		case OPT_TS:
			if (olen != 10)
				return -EBADMSG;
			o->tsval = get32(p + i + 2);
			o->tsecr = get32(p + i + 6);
			o->has_ts = 1;
			break;
		case OPT_SACK: {
			unsigned n, k;

			if (olen < 10 || (olen - 2) % 8 != 0)
				return -EBADMSG;
			n = (olen - 2u) / 8;
			for (k = 0; k < n && o->n_sack < FO_ARRAY_SIZE(o->sack); k++) {
				o->sack[o->n_sack].start = get32(p + i + 2 + 8 * k);
				o->sack[o->n_sack].end = get32(p + i + 6 + 8 * k);
				o->n_sack++;
			}
			break;
		}
		default:
			break; /* unknown options are skipped (RFC 9293 3.1) */
		}
		i += olen;
	}
	return 0;
}

static unsigned
opt_ts(uint8_t *p, uint32_t tsval, uint32_t tsecr)
{
	return tcp_opts_build_ts(p, tsval, tsecr);
}

unsigned
tcp_opts_build_syn(uint8_t *p, uint16_t mss, int ws, uint8_t wscale, int sack_ok, int ts,
	uint32_t tsval, uint32_t tsecr)
{
	unsigned n = 0;

	p[n++] = OPT_MSS;
	p[n++] = 4;
	p[n++] = (uint8_t)(mss >> 8);
	p[n++] = (uint8_t)mss;
	if (sack_ok && ts) {
		/* Linux layout: SACK-permitted then the timestamps */
		p[n++] = OPT_SACK_PERM;
		p[n++] = 2;
		p[n++] = OPT_TS;
		p[n++] = 10;
		put32(p + n, tsval);
		put32(p + n + 4, tsecr);
		n += 8;
	} else if (ts) {
		n += opt_ts(p + n, tsval, tsecr);
	} else if (sack_ok) {
		p[n++] = OPT_NOP;
		p[n++] = OPT_NOP;
		p[n++] = OPT_SACK_PERM;
		p[n++] = 2;
	}
	if (ws) {
		p[n++] = OPT_NOP;
		p[n++] = OPT_WS;
		p[n++] = 3;
		p[n++] = wscale;
	}
	return n;
}

unsigned
tcp_opts_build(uint8_t *p, const struct fo_tcp_conn *c, int sack)
{
	unsigned n = 0;

	if (c->ts_ok)
		n += opt_ts(p, tcp_ts_now(c->tw) + c->ts_offset, c->ts_recent);
	if (sack && c->sack_ok && c->n_ooo > 0) {
		struct tcp_sack_blk b[4];
		unsigned k, nb, max = c->ts_ok ? 3 : 4;

		nb = tcp_ooo_sack_blocks(c, b, max);
		if (nb > 0) {
			p[n++] = OPT_NOP;
			p[n++] = OPT_NOP;
			p[n++] = OPT_SACK;
			p[n++] = (uint8_t)(2 + 8 * nb);
			for (k = 0; k < nb; k++) {
				put32(p + n, b[k].start);
				put32(p + n + 4, b[k].end);
				n += 8;
			}
		}
	}
	return n;
}
