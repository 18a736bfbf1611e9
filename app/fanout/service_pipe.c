/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pipes: bytes read from one TCP connection are queued on another, with
 * backpressure both ways. Echo is a pipe whose two ends are the same
 * connection; relay joins a client connection to an active open towards
 * the next server of an upstream (weighted round-robin).
 *
 * Backpressure: at most SVC_RECV_MAX bytes are taken from a connection
 * (fo_tcp_recv) while the previous bytes are not all queued on the other
 * end; what fo_tcp_send() refuses (-EAGAIN) stays in svc_conn.pending and
 * nothing more is read, so the receive window of the source closes. The
 * writable callback of the other end resumes the pipe. A chain larger than
 * the send space is cut on mbuf boundaries (fo_tcp_send is all or nothing).
 *
 * End of stream: the peer's FIN (recv returns 0) becomes a shutdown of the
 * other end once pending bytes are queued. When both directions are shut,
 * both connections are closed (fo_tcp_close: the stack finishes the FIN
 * exchange). An error or a reset on either side aborts both.
 */
#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>

#include "app.h"
#include "service_priv.h"

static int
is_echo(const struct svc_conn *s)
{
	return s->peer == s;
}

/* Abort both ends (those still there) and free their states. */
static void
pipe_fail(struct svc_conn *s)
{
	struct svc_conn *p = s->peer;

	s->sw->stats.aborted++;
	if (s->c != NULL)
		fo_tcp_abort(s->c);
	svc_conn_free(s);
	if (p != NULL && p != s) {
		if (p->c != NULL)
			fo_tcp_abort(p->c);
		svc_conn_free(p);
	}
}

/* Both directions done: close what is left and free. @return 1 when freed. */
static int
pipe_try_finish(struct svc_conn *s)
{
	struct svc_conn *p = s->peer;

	if (!(s->flags & SVC_F_FWD_SHUT) || !(p->flags & SVC_F_FWD_SHUT))
		return 0;
	if (s->c != NULL)
		fo_tcp_close(s->c);
	svc_conn_free(s);
	if (p != s) {
		if (p->c != NULL)
			fo_tcp_close(p->c);
		svc_conn_free(p);
	}
	return 1;
}

/*
 * Move bytes from @p s's connection to its peer's until one of them blocks.
 *
 * @return 0, or -1 when the pipe failed and was freed.
 */
static int
pipe_pump(struct svc_conn *s)
{
	struct svc_conn *p = s->peer;
	struct rte_mbuf *m;
	uint32_t space;
	ssize_t n;

	if (p->flags & SVC_F_CONNECTING)
		return 0; /* relay upstream not established: data waits in the stack */
	for (;;) {
		if (s->pending == NULL) {
			if ((s->flags & SVC_F_EOF) || s->c == NULL)
				break;
			n = fo_tcp_recv(s->c, &m, SVC_RECV_MAX);
			if (n == -EAGAIN)
				break;
			if (n == 0) {
				s->flags |= SVC_F_EOF;
				break;
			}
			if (n < 0 || m == NULL)
				goto fail;
			s->pending = m;
		}
		if (p->c == NULL)
			goto fail; /* bytes for a connection that is gone */
		space = fo_tcp_send_space(p->c);
		m = fo_mbuf_chain_cut(&s->pending, space);
		n = fo_tcp_send(p->c, m);
		if (n == -EAGAIN) {
			/* writable(p) resumes us */
			s->pending = fo_mbuf_chain_join(m, s->pending);
			return 0;
		}
		if (n < 0) {
			s->pending = fo_mbuf_chain_join(m, s->pending);
			goto fail;
		}
		if (is_echo(s))
			s->sw->stats.echo_bytes += (uint64_t)n;
		else
			s->sw->stats.relay_bytes += (uint64_t)n;
	}
	if ((s->flags & SVC_F_EOF || s->c == NULL) && s->pending == NULL &&
		!(s->flags & SVC_F_FWD_SHUT)) {
		s->flags |= SVC_F_FWD_SHUT;
		/* lib/tcp keeps p's unread bytes (and EOF) even once its close completes */
		if (p->c != NULL && fo_tcp_shutdown(p->c) != 0)
			goto fail;
	}
	return pipe_try_finish(s) ? -1 : 0;
fail:
	pipe_fail(s);
	return -1;
}

static void
pipe_readable(struct fo_tcp_conn *c, void *user)
{
	pipe_pump(user);
}

/* Space on this end: resume the direction that writes into it. */
static void
pipe_writable(struct fo_tcp_conn *c, void *user)
{
	struct svc_conn *s = user;

	pipe_pump(s->peer);
}

static void
pipe_closed(struct fo_tcp_conn *c, void *user, enum fo_tcp_close_reason why)
{
	struct svc_conn *s = user, *p = s->peer;

	/* a normal close comes only after we read everything, EOF included */
	s->c = NULL;
	s->flags |= SVC_F_GONE;
	if (is_echo(s)) {
		svc_conn_free(s);
		return;
	}
	if (s->flags & SVC_F_CONNECTING)
		s->sw->stats.relay_connect_failed++; /* refused, unreachable, timed out */
	/*
	 * A normal close means both FINs went through: bytes towards s are
	 * all delivered. Bytes from s still pending go on to the peer; any
	 * other reason (reset, timeout, refused) takes the peer down too.
	 */
	if (why != FO_TCP_CLOSE_NORMAL || !(p->flags & SVC_F_FWD_SHUT)) {
		pipe_fail(s);
		return;
	}
	s->flags |= SVC_F_EOF;
	pipe_pump(s);
}

/* ---- echo ---- */

static int
echo_accept(struct fo_tcp_conn *c, void *listen_arg)
{
	struct svc_listener *l = listen_arg;
	struct svc_conn *s = svc_conn_alloc(l->sw, l);

	if (s == NULL)
		return -ENOMEM;
	l->sw->stats.accepted++;
	s->c = c;
	s->peer = s;
	fo_tcp_set_user(c, s);
	return 0;
}

const struct fo_tcp_ops svc_echo_ops = {
	.accept = echo_accept,
	.readable = pipe_readable,
	.writable = pipe_writable,
	.closed = pipe_closed,
};

/* ---- relay ---- */

/*
 * Source address for an active open to @p dst: the address of the
 * interface whose subnet holds dst, else the listener's own address, else
 * the first configured interface's.
 */
static rte_be32_t
relay_src(const struct svc_listener *l, rte_be32_t dst)
{
	rte_be32_t first, a = fo_net_src_for(l->sw->net, dst, &first);

	if (a != 0)
		return a;
	return l->conf->addr != 0 ? l->conf->addr : first;
}

/* Next server of the upstream, weighted round-robin (per worker). */
static const struct fo_conf_server *
relay_pick(struct svc_listener *l)
{
	const struct fo_conf_server *srv = &l->up->servers[l->rr_idx];

	if (++l->rr_cnt >= srv->weight) {
		l->rr_cnt = 0;
		l->rr_idx = (l->rr_idx + 1) % l->up->n_servers;
	}
	return srv;
}

static void
relay_connected(struct fo_tcp_conn *c, void *user)
{
	struct svc_conn *up = user, *cl = up->peer;

	up->flags &= (uint8_t)~SVC_F_CONNECTING;
	up->sw->stats.relay_connected++;
	if (pipe_pump(cl) == 0)
		pipe_pump(up);
}

static int
relay_accept(struct fo_tcp_conn *c, void *listen_arg)
{
	struct svc_listener *l = listen_arg;
	struct svc_worker *sw = l->sw;
	const struct fo_conf_server *srv;
	struct svc_conn *cl, *up;
	int err;

	cl = svc_conn_alloc(sw, l);
	up = cl != NULL ? svc_conn_alloc(sw, l) : NULL;
	if (up == NULL) {
		if (cl != NULL)
			svc_conn_free(cl);
		return -ENOMEM;
	}
	sw->stats.accepted++;
	cl->c = c;
	cl->peer = up;
	up->peer = cl;
	up->flags = SVC_F_CONNECTING;
	srv = relay_pick(l);
	up->c = fo_tcp_connect(
		sw->tw, relay_src(l, srv->addr), srv->addr, srv->port, &svc_relay_ops, up);
	if (up->c == NULL) {
		err = errno;
		sw->stats.relay_connect_failed++;
		svc_conn_free(up);
		svc_conn_free(cl);
		return err != 0 ? -err : -EIO; /* the stack resets the client */
	}
	sw->stats.relay_opened++;
	fo_tcp_set_user(c, cl);
	return 0;
}

const struct fo_tcp_ops svc_relay_ops = {
	.accept = relay_accept,
	.connected = relay_connected,
	.readable = pipe_readable,
	.writable = pipe_writable,
	.closed = pipe_closed,
};
