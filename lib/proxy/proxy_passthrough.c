/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SNI passthrough (`listen ... passthrough;`, `passthrough NAME { upstream
 * U; }`): the client's ClientHello is read, not answered; its server name
 * picks an upstream, whose balancer picks a server; the ClientHello and
 * everything after it are spliced to that server as they are (the tunnel
 * of proxy_tunnel.c), so the client's TLS session is with the backend.
 *
 * A session on a passthrough listener goes:
 *   PX_PASS_HELLO  reading the ClientHello into s->in (its records, at most
 *                  FO_TLS_HELLO_MAX = 64 KiB, over any number of segments),
 *                  within the http block's client_header_timeout;
 *   PX_PASS        the upstream connection opening (the usual choice,
 *                  connect timeout and retries of proxy_upstream.c, never
 *                  a pooled connection); the ClientHello waits in to_up;
 *   PX_TUNNEL      spliced both ways until both sides closed.
 * Anything that is not a ClientHello, a name no block has (without
 * passthrough_default), and no server taking the connection reset the
 * client, each counted by its reason.
 *
 * On a `tls passthrough` listener the session starts as a TLS session;
 * before the handshake reads a byte, px_pass_peek() gathers the
 * ClientHello in the TLS receive chain and, when its name has a
 * passthrough block, takes the chain back from TLS and splices it;
 * otherwise the handshake goes on with the untouched chain.
 *
 * The name -> upstream table (lib/tls's SNI table, the same matching as
 * certificates) is built with each snapshot, so a reload changes it; a
 * splice keeps the snapshot (and upstream) it started with.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_priv.h"
#include "tls_match.h"

/** A ClientHello's records at most (fragmented: lib/tls gathers them). */
#define PX_PASS_HELLO_MAX FO_TLS_HELLO_MAX

/*
 * Parse the first @p len bytes (@p p, contiguous) as a ClientHello, once
 * they reach what the last -EAGAIN asked for (s->hello_need: a ClientHello
 * dribbling in is parsed once per record, not once per segment). With
 * @p count, counts the fragmented ones and those over the bound (a `tls
 * passthrough` listener counts them when it splices; otherwise the TLS
 * side does).
 */
static int
pass_parse(struct px_sess *s, const uint8_t *p, uint32_t len, struct fo_tls_hello *h, int count)
{
	struct fo_proxy_worker *pw = s->pw;
	int rc = fo_tls_hello_parse(p, len, pw->hello + FO_TLS_HELLO_MAX, h);

	if (rc == -EAGAIN)
		s->hello_need = h->need;
	else if (count && rc == -EMSGSIZE)
		pw->stats.tls_hello_oversized++;
	else if (count && rc > 0 && h->records > 1)
		pw->stats.tls_hello_fragmented++;
	return rc;
}

int
px_pass_snap_init(struct fo_proxy_snapshot *snap)
{
	const struct fo_conf *conf = snap->conf;
	const char **names;
	uint32_t *idx;
	unsigned i;
	int rc;

	if (conf->n_passthroughs == 0 && !conf->has_pass_default)
		return 0;
	snap->pass = calloc(1, sizeof(*snap->pass));
	names = calloc(conf->n_passthroughs + 1, sizeof(*names));
	idx = calloc(conf->n_passthroughs + 1, sizeof(*idx));
	if (snap->pass == NULL || names == NULL || idx == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < conf->n_passthroughs; i++) {
		names[i] = conf->passthroughs[i].name;
		idx[i] = conf->passthroughs[i].upstream;
	}
	/* lib/conf checked the names as lib/tls does: only memory can fail here */
	rc = fo_tls_sni_build(snap->pass, names, idx, conf->n_passthroughs,
		conf->has_pass_default ? (int64_t)conf->pass_default : -1, 0, NULL, 0);
out:
	free(names);
	free(idx);
	if (rc != 0) {
		free(snap->pass);
		snap->pass = NULL;
	}
	return rc;
}

void
px_pass_snap_free(struct fo_proxy_snapshot *snap)
{
	if (snap->pass == NULL)
		return;
	fo_tls_sni_release(snap->pass);
	free(snap->pass);
	snap->pass = NULL;
}

void
px_pass_accept(struct px_sess *s)
{
	struct fo_proxy_worker *pw = s->pw;

	pw->stats.pass_sessions++;
	s->phase = PX_PASS_HELLO;
	px_sess_deadline(s, pw->cur->conf->http.client_header_timeout_ms);
}

/* Reset the client and count @p counter. @return PX_GONE. */
static int
pass_refuse(struct px_sess *s, uint64_t *counter)
{
	(*counter)++;
	return px_sess_abort(s);
}

/*
 * The upstream a whole ClientHello's name (@p h) selects in the current
 * snapshot: exact name, wildcard one label up, then (not on a `tls
 * passthrough` listener, @p mixed, where other names are terminated)
 * passthrough_default. @return its index, or -1 (counted unless mixed).
 */
static int64_t
pass_select(struct fo_proxy_worker *pw, const struct fo_tls_hello *h, int mixed)
{
	const struct fo_tls_sni *t = pw->cur->pass;
	int64_t idx = FO_TLS_SNI_REFUSE;

	if (t != NULL && h->sni != NULL)
		idx = tls_sni_match(t, (const char *)h->sni, h->sni_len);
	if (idx >= 0 || mixed)
		return idx;
	if (t != NULL)
		idx = tls_sni_fallback(t);
	if (idx < 0) {
		if (h->sni == NULL)
			pw->stats.pass_no_sni++;
		else
			pw->stats.pass_unknown_name++;
	}
	return idx;
}

/* Splice the session to upstream @p up: s->to_up holds the ClientHello. */
static int
pass_start(struct px_sess *s, unsigned up)
{
	px_snap_hold(s); /* the upstream's index, servers and settings are of this snapshot */
	px_set_upstream(s, up);
	s->phase = PX_PASS;
	s->deadline = 0; /* the upstream's connect timeout runs now */
	s->bal_has_key = 0;
	if (px_upconf(s)->balance.kind == FO_CONF_BAL_HASH &&
		px_upconf(s)->balance.hash_key == FO_CONF_HASH_SOURCE_IP) {
		s->bal_key = fo_bal_hash64(&s->client_addr, sizeof(s->client_addr));
		s->bal_has_key = 1;
	}
	return px_up_start(s);
}

int
px_pass_hello(struct px_sess *s)
{
	struct fo_proxy_worker *pw = s->pw;
	struct fo_tls_hello h;
	struct rte_mbuf *m;
	const uint8_t *p;
	uint32_t len;
	int64_t up;
	ssize_t n;
	int rc;

	for (;;) {
		len = px_len(s->in);
		if (len >= PX_PASS_HELLO_MAX)
			break;
		n = fo_tcp_recv(s->c, &m, PX_PASS_HELLO_MAX - len);
		if (n == -EAGAIN)
			break;
		if (n == 0) /* closed before a whole ClientHello */
			return pass_refuse(s, &pw->stats.pass_bad_hello);
		if (n < 0)
			return px_sess_abort(s);
		pw->stats.bytes_client_in += (uint64_t)n;
		s->in = fo_mbuf_chain_join(s->in, m);
		if (px_head_sparse(s->in)) {
			/* a ClientHello dribbling in: one mbuf per byte would pin the pool */
			m = px_chain_compact(pw, s->in);
			if (m == NULL) /* (counted: nombuf; s->in is still whole) */
				return px_sess_abort(s);
			s->in = m;
		}
	}
	len = px_len(s->in);
	if (len == 0 || len < s->hello_need)
		return 0;
	p = px_chain_head(s->in, RTE_MIN(len, PX_PASS_HELLO_MAX), pw->hello);
	rc = p != NULL ? pass_parse(s, p, RTE_MIN(len, PX_PASS_HELLO_MAX), &h, 1) : -EBADMSG;
	if (rc == -EAGAIN && len < PX_PASS_HELLO_MAX)
		return 0; /* the rest of the record is on its way */
	if (rc <= 0)
		return pass_refuse(s, &pw->stats.pass_bad_hello);
	up = pass_select(pw, &h, 0);
	if (up < 0)
		return px_sess_abort(s); /* counted by pass_select() */
	s->to_up = s->in;                /* the ClientHello, and whatever came behind it */
	s->in = NULL;
	return pass_start(s, (unsigned)up);
}

/* Copy up to @p max bytes of the TLS receive chain to @p dst. @return bytes copied. */
static uint32_t
rx_copy(const struct fo_tls_io *io, uint8_t *dst, uint32_t max)
{
	const struct rte_mbuf *m = io->rx_head;
	uint32_t off = 0, skip = io->rx_off;

	for (; m != NULL && off < max; m = m->next, skip = 0) {
		uint32_t k = m->data_len - skip;

		if (k > max - off)
			k = max - off;
		memcpy(dst + off, rte_pktmbuf_mtod_offset(m, const uint8_t *, skip), k);
		off += k;
	}
	return off;
}

/* Take the TLS receive chain back as a plain chain (what was received, unread). */
static struct rte_mbuf *
rx_take(struct fo_tls_io *io)
{
	struct rte_mbuf *chain = NULL, *m = io->rx_head, *next;

	for (; m != NULL; m = next) {
		next = m->next;
		m->next = NULL;
		m->nb_segs = 1;
		m->pkt_len = m->data_len;
		if (m == io->rx_head && io->rx_off != 0)
			rte_pktmbuf_adj(m, (uint16_t)io->rx_off);
		chain = fo_mbuf_chain_join(chain, m);
	}
	io->rx_head = io->rx_tail = NULL;
	io->rx_off = io->rx_len = 0;
	return chain;
}

int
px_pass_peek(struct px_sess *s)
{
	struct fo_proxy_worker *pw = s->pw;
	struct px_tls *t = s->tls;
	struct fo_tls_hello h;
	struct rte_mbuf *m;
	uint32_t len;
	int64_t up;
	ssize_t n;
	int rc;

	while (t->io.rx_len < PX_PASS_HELLO_MAX && !t->io.rx_eof) {
		n = fo_tcp_recv(s->c, &m, PX_PASS_HELLO_MAX - t->io.rx_len);
		if (n == -EAGAIN)
			break;
		if (n == 0) {
			fo_tls_io_rx_eof(&t->io);
			break;
		}
		if (n < 0)
			return px_sess_abort(s);
		fo_tls_io_rx_append(&t->io, m);
	}
	if ((t->io.rx_len == 0 || t->io.rx_len < s->hello_need) && !t->io.rx_eof)
		return 1;
	len = rx_copy(&t->io, pw->hello, PX_PASS_HELLO_MAX);
	rc = pass_parse(s, pw->hello, len, &h, 0);
	if (rc == -EAGAIN && len < PX_PASS_HELLO_MAX && !t->io.rx_eof)
		return 1; /* wait: the handshake must not read a byte before the choice */
	s->flags |= PX_S_PASS_SEEN;
	if (rc <= 0 || (up = pass_select(pw, &h, 1)) < 0)
		return 0; /* the TLS handshake goes on (and refuses what it must) */
	/* a passthrough name: the bytes go to the backend, not to the TLS library */
	pw->stats.pass_sessions++;
	pw->stats.tls_hello_fragmented += h.records > 1;
	pw->stats.bytes_client_in += t->io.rx_len;
	s->to_up = rx_take(&t->io);
	px_tls_release(s);
	return pass_start(s, (unsigned)up) == PX_GONE ? PX_GONE : 1;
}

void
px_pass_connected(struct px_sess *s)
{
	struct px_up *u = s->up;

	s->pw->stats.pass_spliced++;
	px_up_ok(s); /* the server's failure streak ends (passive health) */
	s->phase = PX_TUNNEL;
	u->deadline = 0;
	u->tkind = 0;
	px_tunnel_pump(s);
}

int
px_pass_error(struct px_sess *s)
{
	return pass_refuse(s, &s->pw->stats.pass_connect_failed);
}

void
px_pass_timeout(struct px_sess *s)
{
	pass_refuse(s, &s->pw->stats.pass_hello_timeouts);
}
