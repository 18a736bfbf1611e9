/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * After 101 Switching Protocols (WebSocket and other Upgrades) the client
 * and upstream connections are spliced: raw bytes both ways, with the
 * same backpressure as the relay service (app/fanout/service_pipe.c): at
 * most one chunk read from a side while the previous one is not queued on
 * the other. A FIN becomes a shutdown of the other side once what is
 * pending is queued; when both directions are shut, both connections are
 * closed. A reset on either side, or an error, aborts both, and so does
 * a tunnel where nothing moved for the upstream's read_timeout.
 *
 * Over a TLS client connection (wss://) the client side goes through
 * px_cl_recv()/px_cl_send()/px_cl_shutdown() (plaintext in and out, records
 * on the wire; the upstream stays plain), with the same limits: one chunk
 * read while the previous one is not queued, records TCP did not take yet
 * count as "not queued" (px_tls_space() is 0 then), and the client is
 * closed only once its records and FIN are all with TCP.
 */
#include <errno.h>

#include "proxy_priv.h"

int
px_tunnel_start(struct px_sess *s)
{
	struct fo_proxy_worker *pw = s->pw;

	s->phase = PX_TUNNEL;
	pw->stats.tunnels++;
	s->deadline = 0;
	s->up->deadline = 0;
	s->up->tkind = 0;
	/* bytes that came behind the heads belong to the new protocol */
	s->to_up = fo_mbuf_chain_join(s->to_up, s->in);
	s->in = NULL;
	s->to_cl = fo_mbuf_chain_join(s->to_cl, s->rin);
	s->rin = NULL;
	px_retry_drop(s);
	return px_tunnel_pump(s);
}

/* Abort both sides. */
static int
tunnel_fail(struct px_sess *s)
{
	return px_sess_abort(s); /* aborts the upstream connection too */
}

/* The client side reads and writes through TLS when it has it. */
static ssize_t
side_recv(struct px_sess *s, struct fo_tcp_conn *c, struct rte_mbuf **m)
{
	return c == s->c ? px_cl_recv(s, m, PX_RECV_MAX) : fo_tcp_recv(c, m, PX_RECV_MAX);
}

static uint32_t
side_space(const struct px_sess *s, const struct fo_tcp_conn *c)
{
	return c == s->c ? px_cl_space(s) : fo_tcp_send_space(c);
}

static ssize_t
side_send(struct px_sess *s, struct fo_tcp_conn *c, struct rte_mbuf *m)
{
	return c == s->c ? px_cl_send(s, m) : fo_tcp_send(c, m);
}

static int
side_shutdown(struct px_sess *s, struct fo_tcp_conn *c)
{
	return c == s->c ? px_cl_shutdown(s) : fo_tcp_shutdown(c);
}

/*
 * Move bytes from @p src to @p dst (either may be the client, s->c).
 * @p pending: the chain for dst, @p eof_flag: src's FIN seen, @p shut_flag:
 * shutdown sent to dst.
 *
 * @return 0, or -1 on an error (caller aborts).
 */
static int
tunnel_dir(struct px_sess *s, struct fo_tcp_conn *src, struct fo_tcp_conn *dst,
	struct rte_mbuf **pending, uint32_t eof_flag, uint32_t shut_flag, uint64_t *bytes_in,
	uint64_t *bytes_out)
{
	struct rte_mbuf *m;
	ssize_t n;

	for (;;) {
		if (*pending == NULL) {
			if ((s->flags & eof_flag) || src == NULL)
				break;
			n = side_recv(s, src, &m);
			if (n == -EAGAIN)
				break;
			if (n == 0) {
				s->flags |= eof_flag;
				break;
			}
			if (n < 0)
				return -1;
			*bytes_in += (uint64_t)n;
			*pending = m;
		}
		if (dst == NULL)
			return -1; /* bytes for a connection that is gone */
		m = fo_mbuf_chain_cut(pending, side_space(s, dst));
		n = side_send(s, dst, m);
		if (n == -EAGAIN) {
			*pending = fo_mbuf_chain_join(m, *pending);
			return 0; /* dst's writable resumes us */
		}
		if (n < 0) {
			*pending = fo_mbuf_chain_join(m, *pending);
			return -1;
		}
		*bytes_out += (uint64_t)n;
	}
	if (((s->flags & eof_flag) || src == NULL) && *pending == NULL && !(s->flags & shut_flag)) {
		s->flags |= shut_flag;
		if (dst != NULL && side_shutdown(s, dst) != 0)
			return -1;
	}
	return 0;
}

int
px_tunnel_pump(struct px_sess *s)
{
	struct fo_proxy_worker *pw = s->pw;
	struct px_up *u = s->up;
	struct fo_tcp_conn *uc = u != NULL ? u->c : NULL;

	/* an idle tunnel ends after the upstream's read_timeout (nginx proxy_read_timeout) */
	if (u != NULL)
		px_sess_deadline(s, px_upconf(s)->read_timeout_ms);
	if (tunnel_dir(s, s->c, uc, &s->to_up, PX_S_CL_EOF, PX_S_UP_SHUT,
		    &pw->stats.bytes_client_in, &pw->stats.bytes_upstream_out) != 0 ||
		tunnel_dir(s, uc, s->c, &s->to_cl, PX_S_UP_EOF, PX_S_CL_SHUT,
			&pw->stats.bytes_upstream_in, &pw->stats.bytes_client_out) != 0)
		return tunnel_fail(s);
	if ((s->flags & (PX_S_UP_SHUT | PX_S_CL_SHUT)) != (PX_S_UP_SHUT | PX_S_CL_SHUT))
		return 0;
	if (s->tls != NULL && s->c != NULL && (s->tls->pend != NULL || s->tls->shut_wanted))
		return 0; /* records and FIN still waiting for TCP: writable comes back here */
	/* both directions delivered: the stack finishes both closes */
	if (s->c != NULL)
		fo_tcp_close(s->c);
	s->c = NULL;
	if (u != NULL) {
		if (u->c != NULL)
			fo_tcp_close(u->c);
		u->c = NULL;
		s->up = NULL;
		px_up_free(u);
	}
	px_sess_free(s);
	return PX_GONE;
}

void
px_tunnel_closed(struct px_sess *s, int from_upstream, enum fo_tcp_close_reason why)
{
	/*
	 * A normal close means both FINs went through: everything towards
	 * that side was delivered, and its own EOF was read. Bytes from it
	 * still pending go on to the other side; any other reason takes the
	 * other side down too.
	 */
	uint32_t shut = from_upstream ? PX_S_UP_SHUT : PX_S_CL_SHUT;

	if (why != FO_TCP_CLOSE_NORMAL || !(s->flags & shut)) {
		if (from_upstream && s->up != NULL)
			s->up->c = NULL;
		else if (!from_upstream)
			s->c = NULL;
		tunnel_fail(s);
		return;
	}
	if (from_upstream)
		s->flags |= PX_S_UP_EOF;
	else
		s->flags |= PX_S_CL_EOF;
	px_tunnel_pump(s);
}
