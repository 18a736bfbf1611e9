/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An upstream connection's life after the request's server was chosen
 * (proxy_upstream.c): its release into the server's idle pool (LIFO) or
 * its close, its timers (connect, read, send, idle expiry) and lib/tcp's
 * callbacks (connected, readable, writable, closed), which hand the
 * response to proxy_response.c or report the failure for a retry.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "proxy_priv.h"

void
px_up_release(struct px_sess *s, enum px_release how)
{
	struct px_up *u = s->up;

	if (u == NULL || (how == PX_REL_POOL && px_up_pool(s)))
		return;
	s->up = NULL;
	px_retry_drop(s);
	u->deadline = 0;
	if (u->c != NULL) {
		if (how == PX_REL_ABORT)
			fo_tcp_abort(u->c);
		else
			fo_tcp_close(u->c);
	}
	px_up_free(u);
}

void
px_up_timer(struct fo_timer *t)
{
	struct px_up *u = container_of(t, struct px_up, timer);
	struct fo_proxy_worker *pw = u->pw;
	struct px_sess *s = u->s;

	if (!px_deadline_due(pw, t, &u->deadline))
		return;
	if (u->state == PX_UP_IDLE) {
		pw->stats.upstream_idle_closed++;
		fo_tcp_close(u->c);
		px_up_free(u);
		return;
	}
	if (s == NULL || s->phase == PX_TUNNEL)
		return;
	pw->stats.upstream_timeouts++;
	if (u->state == PX_UP_CONNECTING) {
		/* nothing was sent: another server, as for a refused connection */
		s->up = NULL;
		fo_tcp_abort(u->c);
		px_up_free(u);
		px_up_connect_next(s, 504, "did not accept the connection within connect_timeout");
		return;
	}
	if (u->tkind == PX_UT_SEND)
		px_up_fail(s, 504, "upstream did not take the request within send_timeout",
			FO_PROXY_OBS_TIMEOUT);
	else
		px_up_fail(s, 504, "upstream did not respond within read_timeout",
			FO_PROXY_OBS_TIMEOUT);
}

/* ---- TCP callbacks of upstream connections ---- */

static void
up_connected(struct fo_tcp_conn *c, void *user)
{
	struct px_up *u = user;
	struct fo_proxy_worker *pw = u->pw;

	(void)c;
	u->deadline = 0;
	u->tkind = 0;
	u->state = PX_UP_BUSY;
	pw->stats.upstream_connected++;
	if (unlikely(u->s->phase == PX_PASS))
		px_pass_connected(u->s);
	else
		px_req_pump(u->s);
}

/* Data or FIN on an idle pooled connection: the server closed it (or is out of step). */
static void
up_idle_readable(struct px_up *u)
{
	struct rte_mbuf *m;
	ssize_t n;

	n = fo_tcp_recv(u->c, &m, UINT32_MAX);
	if (n == -EAGAIN)
		return;
	if (n > 0)
		rte_pktmbuf_free(m);
	u->pw->stats.upstream_idle_closed++;
	if (n == 0)
		fo_tcp_close(u->c);
	else
		fo_tcp_abort(u->c);
	px_up_free(u);
}

static void
up_readable(struct fo_tcp_conn *c, void *user)
{
	struct px_up *u = user;

	(void)c;
	if (u->state == PX_UP_IDLE) {
		up_idle_readable(u);
		return;
	}
	if (u->s->phase == PX_TUNNEL)
		px_tunnel_pump(u->s);
	else
		px_resp_pump(u->s);
}

static void
up_writable(struct fo_tcp_conn *c, void *user)
{
	struct px_up *u = user;

	(void)c;
	if (u->state != PX_UP_BUSY)
		return;
	if (u->s->phase == PX_TUNNEL)
		px_tunnel_pump(u->s);
	else
		px_req_pump(u->s);
}

static void
up_closed(struct fo_tcp_conn *c, void *user, enum fo_tcp_close_reason why)
{
	struct px_up *u = user;
	struct fo_proxy_worker *pw = u->pw;
	struct px_sess *s = u->s;

	(void)c;
	u->c = NULL;
	if (u->state == PX_UP_IDLE) {
		pw->stats.upstream_idle_closed++;
		px_up_free(u);
		return;
	}
	if (s->phase == PX_TUNNEL) {
		if (why != FO_TCP_CLOSE_NORMAL)
			pw->stats.upstream_resets++;
		px_tunnel_closed(s, 1, why);
		return;
	}
	if (why == FO_TCP_CLOSE_NORMAL && (s->flags & PX_S_UP_EOF))
		return; /* EOF already taken into account */
	if (u->state == PX_UP_CONNECTING) {
		s->up = NULL;
		px_up_free(u);
		px_up_connect_next(s, 502,
			why == FO_TCP_CLOSE_REFUSED   ? "refused the connection"
			: why == FO_TCP_CLOSE_TIMEOUT ? "did not answer the connection request"
						      : "is unreachable");
		return;
	}
	pw->stats.upstream_resets++;
	px_up_fail(s, 502,
		why == FO_TCP_CLOSE_TIMEOUT ? "upstream connection timed out"
					    : "upstream reset the connection",
		FO_PROXY_OBS_RESET);
}

const struct fo_tcp_ops px_up_ops = {
	.connected = up_connected,
	.readable = up_readable,
	.writable = up_writable,
	.closed = up_closed,
};
