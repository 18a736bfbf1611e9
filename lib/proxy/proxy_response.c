/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Upstream to client: the response head (parsed like the request's, then
 * rewritten without hop-by-hop fields), interim 1xx responses, 101 into a
 * tunnel, and the body streamed per its framing (Content-Length, chunked,
 * until close, none) with backpressure: while the client does not take
 * what is queued (to_cl), the upstream is not read, so its TCP window
 * closes; the client's writable callback resumes the pump.
 */
#include <errno.h>
#include <stdio.h>

#include "proxy_priv.h"

/* px_cl_flush(), inline in px_resp_pump() (twice per exchange) */
static inline __attribute__((always_inline)) int
cl_flush(struct px_sess *s)
{
	struct fo_proxy_worker *pw = s->pw;
	struct rte_mbuf *m;
	ssize_t n;

	while (s->to_cl != NULL) {
		if (s->c == NULL)
			return px_sess_abort(s);
		m = px_chain_cut_room(&s->to_cl, px_cl_space(s));
		n = px_cl_send(s, m);
		if (n == -EAGAIN) {
			s->to_cl = fo_mbuf_chain_join(m, s->to_cl);
			px_sess_deadline(
				s, s->snap != NULL ? s->snap->conf->http.send_timeout_ms : 60000);
			return 1;
		}
		if (n < 0) {
			s->to_cl = fo_mbuf_chain_join(m, s->to_cl);
			pw->stats.client_resets++;
			return px_sess_abort(s);
		}
		pw->stats.bytes_client_out += (uint64_t)n;
		s->out_bytes += (uint64_t)n;
	}
	return 0;
}

int
px_cl_flush(struct px_sess *s)
{
	return cl_flush(s);
}

/* The header modifiers of the response in s->resp (none on interim ones). */
static void
resp_mods(struct px_sess *s, const struct fo_http_mod **mods, unsigned *n_mods)
{
	*mods = NULL;
	*n_mods = 0;
	if (s->resp.status < 200)
		return;
	/* the route's response_header modifiers, on final responses */
	if (s->act != NULL) {
		*mods = s->act->resp_mods;
		*n_mods = s->act->n_resp_mods;
	}
	px_bal_resp_mods(s, mods, n_mods); /* sticky cookie (proxy_balance.c) */
	if (s->tls != NULL)
		px_tls_mods(s, mods, n_mods); /* HSTS (proxy_tls.c) */
}

/*
 * Write the client's version of the response head (straight into an mbuf,
 * or through pw->out when larger), with header modifiers @p mods (final
 * responses only), and queue it. @return 0, or PX_GONE.
 */
static int
queue_head(struct px_sess *s, const uint8_t *head, unsigned flags, const struct fo_http_mod *mods,
	unsigned n_mods)
{
	struct fo_proxy_worker *pw = s->pw;
	struct rte_mbuf *m = rte_pktmbuf_alloc(pw->pool);
	ssize_t n;

	n = m != NULL ? fo_http_write_response_mod(rte_pktmbuf_mtod(m, uint8_t *),
				rte_pktmbuf_tailroom(m), head, &s->resp, flags, mods, n_mods)
		      : -ENOSPC;
	if (n > 0) {
		m->data_len = (uint16_t)n;
		m->pkt_len = (uint32_t)n;
	} else {
		rte_pktmbuf_free(m);
		n = fo_http_write_response_mod(
			pw->out, PX_OUT_MAX, head, &s->resp, flags, mods, n_mods);
		if (n <= 0)
			return px_up_fail(s, 502, "upstream response head too large to forward", 0);
		m = px_chain_from_buf(pw, pw->out, (uint32_t)n);
		if (m == NULL)
			return px_up_fail(s, 502, "out of packet buffers", 0);
	}
	s->to_cl = px_chain_join(s->to_cl, m);
	s->out_head += (uint64_t)n;
	return 0;
}

/*
 * The whole final response, head and body, came in s->rin's one buffer and
 * would go on byte for byte (no modifier, fo_http_resp_verbatim()): queue
 * that buffer itself, no copy of the head, no body framing, and mark the
 * body read. The common small response of a keep-alive API. @return 1 when
 * queued, 0 when the caller writes the head as usual.
 */
static int
queue_whole(struct px_sess *s, const uint8_t *head, unsigned flags, enum fo_http_body_kind bk,
	unsigned n_mods)
{
	struct rte_mbuf *m = s->rin;
	const struct fo_http_msg *msg = &s->resp;
	uint64_t body = bk == FO_HTTP_BODY_LENGTH ? msg->content_length : 0;

	if (n_mods != 0 || (bk != FO_HTTP_BODY_LENGTH && bk != FO_HTTP_BODY_NONE) || m->next != NULL ||
		head != rte_pktmbuf_mtod(m, const uint8_t *) ||
		m->data_len != msg->head_len + body || !RTE_MBUF_DIRECT(m) ||
		rte_mbuf_refcnt_read(m) != 1)
		return 0;
	if (!fo_http_resp_verbatim(head, msg, flags))
		return 0;
	s->to_cl = px_chain_join(s->to_cl, m);
	s->rin = NULL;
	s->out_head += msg->head_len;
	s->pw->stats.responses_as_received++;
	return 1;
}

/* A complete response head is in s->rin. @return 0 (go on), or PX_GONE. */
static int
resp_head_done(struct px_sess *s)
{
	struct fo_proxy_worker *pw = s->pw;
	const struct fo_http_msg *msg = &s->resp;
	enum fo_http_body_kind bk;
	const uint8_t *head;
	const struct fo_http_mod *mods;
	unsigned flags = 0, n_mods;
	uint32_t head_len = msg->head_len;
	int rc, whole;

	head = px_chain_head(s->rin, head_len, pw->lin);
	if (msg->status < 200 && msg->status != 101) {
		/* interim (100, 102, 103): HTTP/1.0 clients do not know them */
		if (!(s->flags & PX_S_HTTP10)) {
			if (queue_head(s, head, 0, NULL, 0) != 0)
				return PX_GONE;
			pw->stats.responses_1xx++;
		}
		px_chain_adj(&s->rin, head_len);
		s->rin_fed = 0;
		fo_http_parser_init(&s->resp_p, FO_HTTP_RESPONSE, &s->resp);
		return 0;
	}
	if (msg->status == 101) {
		if (!(s->flags & PX_S_UPGRADE) || s->req_state != PX_REQ_DONE)
			return px_up_fail(s, 502,
				"upstream switched protocols without an Upgrade "
				"request",
				FO_PROXY_OBS_BAD);
		/* to a protocol the route allows, whatever the backend says */
		if (!fo_http_upgrade_allowed(head, msg, s->allow_upgrade))
			return px_up_fail(s, 502,
				"upstream switched to a protocol the route does not allow",
				FO_PROXY_OBS_BAD);
		if (queue_head(s, head, FO_HTTP_RESP_UPGRADE, NULL, 0) != 0)
			return PX_GONE;
		s->status = 101;
		px_acct_ep(s, 101);
		px_chain_adj(&s->rin, head_len);
		s->flags |= PX_S_STARTED;
		pw->stats.responses_1xx++;
		return px_tunnel_start(s);
	}
	/* nothing reached the client yet: a status next_upstream lists may go
	 * to another server; past this point the request is not replayed */
	rc = px_up_status(s, msg->status);
	if (rc == 1 || rc == PX_GONE)
		return rc < 0 ? PX_GONE : 0;
	px_retry_drop(s);
	bk = fo_http_resp_body_kind(msg, (enum fo_http_method)s->req.method);
	if (bk == FO_HTTP_BODY_TUNNEL)
		return px_up_fail(
			s, 502, "upstream answered with a tunnel to a non-CONNECT request",
			FO_PROXY_OBS_BAD);
	if (bk == FO_HTTP_BODY_CLOSE || (msg->flags & FO_HTTP_F_CONN_CLOSE) ||
		(msg->version_minor == 0 && !(msg->flags & FO_HTTP_F_CONN_KEEP_ALIVE)))
		s->flags |= PX_S_UP_NOREUSE;
	/* the body ends with the upstream's FIN: so does the client connection;
	 * an unfinished request body means the client connection cannot go on */
	if (bk == FO_HTTP_BODY_CLOSE || s->req_state != PX_REQ_DONE)
		s->flags |= PX_S_CLOSE;
	if (s->flags & PX_S_CLOSE)
		flags |= FO_HTTP_RESP_CLOSE;
	resp_mods(s, &mods, &n_mods);
	whole = queue_whole(s, head, flags, bk, n_mods);
	if (!whole) {
		if (queue_head(s, head, flags, mods, n_mods) != 0)
			return PX_GONE;
		px_chain_adj(&s->rin, head_len);
	}
	s->rin_fed = 0;
	s->flags |= PX_S_STARTED;
	if (rc == 0)
		px_up_ok(s);
	px_count_status(pw, msg->status);
	s->status = msg->status;
	px_acct_ep(s, msg->status);
	s->resp_open = 0;
	if (whole) {
		/* its body (Content-Length or none) went with the head: framed
		 * already, nothing for the body state machine to do */
		s->resp_b.kind = (uint8_t)bk;
		s->resp_b.done = 1;
		s->resp_b.total = bk == FO_HTTP_BODY_LENGTH ? msg->content_length : 0;
		s->resp_state = PX_RESP_DONE;
		return 0;
	}
	fo_http_body_init(&s->resp_b, bk, msg->content_length);
	s->resp_state = s->resp_b.done ? PX_RESP_DONE : PX_RESP_BODY;
	return 0;
}

/* recv() gave EOF on the upstream. @return 0 (go on), or PX_GONE. */
static int
up_eof(struct px_sess *s)
{
	struct fo_proxy_worker *pw = s->pw;

	s->flags |= PX_S_UP_EOF | PX_S_UP_NOREUSE;
	if (s->resp_state == PX_RESP_WAIT)
		return px_up_fail(s, 502,
			"upstream closed the connection before a complete "
			"response head",
			FO_PROXY_OBS_RESET);
	if (s->resp_b.kind == FO_HTTP_BODY_CLOSE) {
		s->resp_state = PX_RESP_DONE;
		return 0;
	}
	/* Content-Length or chunked body cut short: the client must not take
	 * a truncated body for a complete one */
	pw->stats.upstream_resets++;
	pw->stats.client_aborts++;
	return px_sess_abort(s);
}

int
px_resp_pump(struct px_sess *s)
{
	struct fo_proxy_worker *pw = s->pw;
	struct rte_mbuf *m, *body, *rest;
	enum fo_http_err err = FO_HTTP_E_NONE;
	struct px_up *u;
	ssize_t n;
	int rc;

	for (;;) {
		u = s->up;
		m = NULL;
		if (s->resp_state == PX_RESP_BODY && s->rin != NULL) {
			m = s->rin; /* body bytes that came with the head */
			s->rin = NULL;
		} else if (s->resp_state != PX_RESP_WAIT || s->rin == NULL ||
			   s->rin_fed >= s->rin->pkt_len) {
			/* what is framed goes out (head and body in one send) before
			 * the end of the exchange or the next read */
			rc = cl_flush(s);
			if (rc < 0)
				return PX_GONE;
			if (rc > 0) {
				/* blocked on the client: the upstream waits, its read timer too */
				if (u != NULL && u->tkind == PX_UT_READ)
					u->deadline = 0;
				return 0;
			}
			if (s->resp_state == PX_RESP_DONE)
				return px_cl_finish(s);
			if (u == NULL || u->state != PX_UP_BUSY || u->c == NULL ||
				(s->flags & PX_S_UP_EOF))
				return 0;
			n = fo_tcp_recv(u->c, &m, PX_RECV_MAX);
			if (n == -EAGAIN) {
				if (s->req_state == PX_REQ_DONE && s->to_up == NULL)
					px_up_arm_read(s);
				return 0;
			}
			if (n == 0) {
				if (up_eof(s) < 0)
					return PX_GONE;
				continue;
			}
			if (n < 0) {
				pw->stats.upstream_resets++;
				return px_up_fail(s, 502, "upstream reset the connection",
					FO_PROXY_OBS_RESET);
			}
			pw->stats.bytes_upstream_in += (uint64_t)n;
			if (s->resp_state == PX_RESP_WAIT) {
				s->rin = px_chain_join(s->rin, m);
				m = NULL;
				if (px_head_sparse(s->rin)) {
					m = px_chain_compact(pw, s->rin);
					s->rin = m;
					m = NULL;
					if (s->rin == NULL)
						return px_sess_abort(s);
				}
			}
		}
		if (s->resp_state == PX_RESP_WAIT) {
			rc = px_head_feed(&s->resp_p, s->rin, &s->rin_fed);
			if (rc < 0) {
				pw->stats.upstream_bad_response++;
				return px_up_fail(s, 502, "upstream sent an invalid response head",
					FO_PROXY_OBS_BAD);
			}
			if (rc == 1 && resp_head_done(s) < 0)
				return PX_GONE;
			if (s->phase == PX_TUNNEL)
				return 0;
			continue;
		}
		if (s->resp_b.kind == FO_HTTP_BODY_CHUNKED) {
			/* the client gets chunk lines of fanout's (trailers kept) */
			rc = px_body_rechunk(pw, &s->resp_b, &s->resp_open, 1, m, &body, &rest, &err);
		} else {
			rc = px_body_frame(pw, &s->resp_b, m, &body, &rest, &err);
			if (rc != 0)
				rte_pktmbuf_free(m);
		}
		if (rc != 0) {
			if (rc == -EBADMSG)
				pw->stats.upstream_bad_response++;
			pw->stats.client_aborts++;
			return px_sess_abort(s);
		}
		if (rest != NULL) {
			/* bytes beyond the response: this connection is out of step */
			s->flags |= PX_S_UP_NOREUSE;
			rte_pktmbuf_free(rest);
		}
		s->to_cl = px_chain_append(s->to_cl, body);
		if (s->resp_b.done)
			s->resp_state = PX_RESP_DONE;
	}
}
