/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Client side: reading and parsing request heads, routing, the checks that
 * end a request early (fanout's own error responses), writing the upstream
 * head, and streaming the request body to the upstream with backpressure.
 * Also the session's timer (client timeouts) and the end of an exchange
 * (keep-alive, or close after lingering).
 *
 * A request head is parsed segment by segment as it arrives; its mbufs are
 * held in s->in until it is complete (the parser's limits bound them). The
 * head is then read in place when it lies in the first segment, else from
 * a copy in the worker's linearisation buffer. Bytes after the head stay in
 * s->in: body, then pipelined requests, which are parsed only once the
 * current response is complete, so responses leave in request order.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "proxy_priv.h"

/* the conf of the request in flight, else the worker's current one */
static const struct fo_conf *
sess_conf(const struct px_sess *s)
{
	return s->snap != NULL ? s->snap->conf : s->pw->cur->conf;
}

/* px_sess_start_idle(), inline in px_cl_finish() (each keep-alive request) */
static inline __attribute__((always_inline)) void
sess_start_idle(struct px_sess *s)
{
	const struct fo_conf *conf;

	px_snap_drop(s);
	conf = sess_conf(s);
	s->phase = PX_IDLE;
	s->req_state = 0;
	s->resp_state = 0;
	s->flags &= PX_S_USED;
	s->in_fed = 0;
	fo_http_parser_init(&s->req_p, FO_HTTP_REQUEST, &s->req);
	/* first request: the head must come within client_header_timeout; later
	 * ones may keep the connection idle for keepalive_timeout */
	px_sess_deadline(s, s->n_requests == 0 ? conf->http.client_header_timeout_ms
					       : conf->http.keepalive_timeout_ms);
}

void
px_sess_start_idle(struct px_sess *s)
{
	sess_start_idle(s);
}

/* Count an error response made by fanout. */
static void
count_gen(struct fo_proxy_worker *pw, unsigned status)
{
	struct fo_proxy_stats *st = &pw->stats;

	switch (status) {
	case 400:
		st->gen_400++;
		break;
	case 404:
		st->gen_404++;
		break;
	case 405:
		st->gen_405++;
		break;
	case 408:
		st->gen_408++;
		break;
	case 413:
		st->gen_413++;
		break;
	case 421:
		break; /* counted as tls_misdirected */
	case 414:
		st->gen_414++;
		break;
	case 417:
		st->gen_417++;
		break;
	case 431:
		st->gen_431++;
		break;
	case 501:
		st->gen_501++;
		break;
	case 502:
		st->gen_502++;
		break;
	case 503:
		st->gen_503++;
		break;
	case 504:
		st->gen_504++;
		break;
	case 505:
		st->gen_505++;
		break;
	default:
		st->gen_500++;
		break;
	}
	px_count_status(pw, status);
}

int
px_error(struct px_sess *s, unsigned status, const char *detail)
{
	struct fo_proxy_worker *pw = s->pw;
	struct rte_mbuf *m;
	ssize_t n;
	int close;

	if (unlikely(s->phase == PX_PASS))
		return px_pass_error(s); /* SNI passthrough: no HTTP to answer with */
	if (s->flags & PX_S_STARTED) {
		/* part of a response is out: the client must see it was cut */
		pw->stats.client_aborts++;
		return px_sess_abort(s);
	}
	if (!(s->flags & PX_S_ACCT))
		px_acct_begin(s, NULL); /* a head that did not parse, or a timeout */
	px_acct_ep(s, 0);
	/*
	 * Keep the connection only when the whole request was read (nothing of
	 * it can be mistaken for the next request) and the status is about the
	 * upstream or the route, not about the request's bytes.
	 */
	close = (s->flags & PX_S_CLOSE) || s->phase != PX_EXCHANGE || s->req_state != PX_REQ_DONE ||
		!(status == 404 || status == 502 || status == 503 || status == 504);
	px_up_release(s, PX_REL_ABORT);
	rte_pktmbuf_free(s->to_up);
	s->to_up = NULL;
	rte_pktmbuf_free(s->rin);
	s->rin = NULL;
	n = fo_http_write_error(
		pw->out, PX_OUT_MAX, status, detail, close, (s->flags & PX_S_HEAD_REQ) != 0);
	m = n > 0 ? px_chain_from_buf(pw, pw->out, (uint32_t)n) : NULL;
	if (m == NULL)
		return px_sess_abort(s);
	count_gen(pw, status);
	s->status = (uint16_t)status;
	s->out_head += px_head_len(pw->out, (uint32_t)n);
	if (close)
		s->flags |= PX_S_CLOSE;
	if (s->phase == PX_IDLE || s->phase == PX_HEAD)
		s->phase = PX_EXCHANGE;
	s->flags |= PX_S_STARTED;
	s->resp_state = PX_RESP_DONE;
	s->to_cl = fo_mbuf_chain_join(s->to_cl, m);
	return px_resp_pump(s);
}

/* After an error or a last response: FIN, then read and drop until EOF. */
static int
sess_linger(struct px_sess *s)
{
	rte_pktmbuf_free(s->in);
	s->in = NULL;
	s->phase = PX_LINGER;
	if (px_cl_shutdown(s) != 0)
		return px_sess_abort(s);
	px_sess_deadline(s, PX_LINGER_MS);
	return px_cl_pump(s);
}

/*
 * IDLE / HEAD: take what the client sent into s->in. @return 1 bytes
 * taken, 0 nothing yet, PX_GONE (EOF or reset: the session is freed).
 */
static inline int
cl_read(struct px_sess *s)
{
	struct fo_proxy_worker *pw = s->pw;
	struct rte_mbuf *m;
	ssize_t n;

	n = px_cl_recv(s, &m, PX_RECV_MAX);
	if (n == -EAGAIN)
		return 0;
	if (n == 0) {
		/* EOF between requests (or within a head): nothing to answer */
		pw->stats.client_idle_closed++;
		rte_pktmbuf_free(s->in);
		s->in = NULL;
		fo_tcp_close(s->c);
		px_sess_free(s);
		return PX_GONE;
	}
	if (n < 0) {
		pw->stats.client_resets++;
		return px_sess_abort(s);
	}
	pw->stats.bytes_client_in += (uint64_t)n;
	s->in = px_chain_join(s->in, m);
	if (px_head_sparse(s->in)) {
		/* a head dribbling in tiny segments must not pin one mbuf per byte */
		m = px_chain_compact(pw, s->in);
		s->in = NULL;
		if (m == NULL)
			return px_sess_abort(s);
		s->in = m;
	}
	return 1;
}

int
px_cl_finish(struct px_sess *s)
{
	const struct fo_conf *conf = sess_conf(s);
	int complete = s->req_state == PX_REQ_DONE && s->to_up == NULL;

	if (s->flags & PX_S_ACCT) {
		px_acct_ep(s, 0);
		px_acct_end(s, 0);
	}
	if (s->up != NULL) {
		if (!complete || s->rin != NULL)
			s->flags |=
				PX_S_UP_NOREUSE; /* partial request, or bytes beyond the response */
		if (!complete || (s->flags & PX_S_UP_NOREUSE) || !px_up_pool(s))
			px_up_release(s, !complete                      ? PX_REL_ABORT
					 : (s->flags & PX_S_UP_NOREUSE) ? PX_REL_CLOSE
									: PX_REL_POOL);
	}
	if (s->rin != NULL) {
		rte_pktmbuf_free(s->rin);
		s->rin = NULL;
	}
	if ((s->flags & PX_S_CLOSE) || !complete || s->n_requests >= conf->http.keepalive_requests)
		return sess_linger(s);
	sess_start_idle(s);
	if (s->in == NULL && s->tls == NULL && s->c != NULL) {
		/*
		 * Mostly nothing follows: one look at TCP here rather than a
		 * pump from the next poll. What it gives is what that pump's
		 * first read would have taken (its bytes, or the client's EOF).
		 */
		int rc = cl_read(s);

		if (rc <= 0)
			return rc;
		s->flags |= PX_S_IN_QUEUED;
	}
	/* the next request may already be here (pipelined, or queued in TCP):
	 * parse it from the poll, not from deep inside this call chain */
	px_sess_defer(s);
	return 0;
}

/* The 32 hex digits of @p z[0] then @p z[1], each least significant first. */
static inline void
hex32(char *buf, const uint64_t z[2])
{
#ifdef __SSE2__
	const __m128i f = _mm_set1_epi8(0x0f);
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)z);
	__m128i lo = _mm_and_si128(v, f), hi = _mm_and_si128(_mm_srli_epi16(v, 4), f);
	/* a nibble a byte */
	__m128i d0 = _mm_unpacklo_epi8(lo, hi), d1 = _mm_unpackhi_epi8(lo, hi);
	const __m128i nine = _mm_set1_epi8(9), zero = _mm_set1_epi8('0');
	const __m128i af = _mm_set1_epi8('a' - '0' - 10);

	d0 = _mm_add_epi8(_mm_add_epi8(d0, zero), _mm_and_si128(_mm_cmpgt_epi8(d0, nine), af));
	d1 = _mm_add_epi8(_mm_add_epi8(d1, zero), _mm_and_si128(_mm_cmpgt_epi8(d1, nine), af));
	_mm_storeu_si128((__m128i *)(void *)buf, d0);
	_mm_storeu_si128((__m128i *)(void *)(buf + 16), d1);
#else
	static const char hex[] = "0123456789abcdef";
	unsigned i, k;

	for (k = 0; k < 2; k++) {
		uint64_t v = z[k];

		for (i = 0; i < 16; i++, v >>= 4)
			buf[k * 16 + i] = hex[v & 0xf];
	}
#endif
}

/* X-Request-ID: 32 hex digits from a per-worker counter and random seeds. */
static size_t
make_request_id(struct fo_proxy_worker *pw, char *buf)
{
	uint64_t z[2];
	unsigned k;

	/* splitmix64 steps: unique per (worker seed, counter), not guessable in order */
	for (k = 0; k < 2; k++) {
		z[k] = pw->rid_seed[k] + (pw->rid_ctr + k) * 0x9e3779b97f4a7c15ull;
		z[k] = (z[k] ^ (z[k] >> 30)) * 0xbf58476d1ce4e5b9ull;
		z[k] = (z[k] ^ (z[k] >> 27)) * 0x94d049bb133111ebull;
		z[k] ^= z[k] >> 31;
	}
	hex32(buf, z);
	pw->rid_ctr += 2;
	return 32;
}

/* The session's X-Forwarded-* fields, formatted by its first request. */
static const struct fo_http_fwd_conn *
sess_fwd_conn(struct px_sess *s)
{
	struct fo_http_fwd_conn *c = &s->fwdc;
	uint8_t https = s->tls != NULL;

	if (likely(s->fwdc_ok))
		return c; /* address, listener and TLS are the session's, fixed at accept */
	if (c->ip_len == 0 || c->client_addr != s->client_addr || c->server_port != s->l->port ||
		c->https != https)
		fo_http_fwd_conn_init(c, s->client_addr, s->l->port, https);
	s->fwdc_ok = 1;
	return c;
}

/* Fields fo_http_write_request() drops for a '_' in their name (rare: counted one by one). */
static void
count_underscores(struct fo_proxy_worker *pw, const uint8_t *head, const struct fo_http_msg *msg)
{
	unsigned i;

	for (i = 0; i < msg->n_headers; i++)
		if (fo_http_hdr_underscore(head, &msg->hdrs[i]))
			pw->stats.underscore_headers_dropped++;
}

static int
req_error_parse(struct px_sess *s)
{
	enum fo_http_err e = s->req_p.err;

	if ((unsigned)e < FO_HTTP_E_MAX)
		s->pw->stats.parse_err[e]++;
	return px_error(s, fo_http_err_status(e), fo_http_err_descr(e));
}

/*
 * Refuse a request whose head is complete: its head bytes are dropped
 * first, so that on a kept connection what follows is the next request.
 */
static int
req_reject(struct px_sess *s, unsigned status, const char *detail)
{
	px_chain_adj(&s->in, s->req.head_len);
	s->in_fed = 0;
	return px_error(s, status, detail);
}

/* The request head is complete in s->in: route it and start the exchange. */
static int
req_head_done(struct px_sess *s)
{
	struct fo_proxy_worker *pw = s->pw;
	const struct fo_http_msg *msg = &s->req;
	const struct fo_conf_upstream *up;
	const struct fo_conf *conf;
	struct fo_route_result res;
	size_t path_len;
	enum fo_http_body_kind bk;
	struct fo_http_fwd fwd;
	const uint8_t *head;
	const char *path;
	char rid[32];
	struct rte_mbuf *m;
	ssize_t n;
	int rc;

	s->deadline = 0;
	pw->stats.requests++;
	if (s->flags & PX_S_USED)
		pw->stats.requests_keepalive++;
	s->flags |= PX_S_USED;
	s->n_requests++;
	/* the snapshot this worker adopted at the start of its poll; kept to the end */
	px_snap_hold(s);
	conf = s->snap->conf;
	s->phase = PX_EXCHANGE;
	s->req_state = PX_REQ_DONE; /* until the body is known to follow */
	if (msg->version_minor == 0)
		s->flags |= PX_S_HTTP10 | PX_S_CLOSE; /* no HTTP/1.0 keep-alive */
	if ((msg->flags & FO_HTTP_F_CONN_CLOSE) || s->n_requests >= conf->http.keepalive_requests ||
		conf->http.keepalive_timeout_ms == 0)
		s->flags |= PX_S_CLOSE;
	if (msg->method == FO_HTTP_M_HEAD)
		s->flags |= PX_S_HEAD_REQ;
	bk = fo_http_req_body_kind(msg);
	if (bk == FO_HTTP_BODY_CHUNKED || (bk == FO_HTTP_BODY_LENGTH && msg->content_length > 0))
		s->req_state = PX_REQ_BODY;
	head = px_chain_head(s->in, msg->head_len, pw->lin);
	px_acct_begin(s, head);
	if (msg->flags & FO_HTTP_F_EXPECT_OTHER)
		return req_reject(s, 417, "only Expect: 100-continue is supported");

	/* on the path as nginx reads it, with the method, query and fields (proxy_route.c) */
	rc = px_route_request(s, head, &res, &path, &path_len);
	if (rc == 0)
		s->rslot = px_acct_route_slot(s, &res); /* the route's, or its canary's */
	if (rc == -EINVAL)
		return req_reject(s, 400, "bad request path");

	/* whatever the host; a request without one has no https URL to go to */
	if (rc == 0 && res.conf->force_ssl_redirect && s->tls == NULL && msg->host.len != 0)
		return px_act_https(s, head) < 0 ? PX_GONE : 0;
	if (s->tls != NULL || __atomic_load_n(&pw->tls, __ATOMIC_RELAXED) != NULL) {
		/* 421 on TLS (Host vs SNI), 308 to https on plain (proxy_tls.c) */
		int t = px_tls_check(s, head, rc == 0 ? res.conf : NULL);

		if (t == 421)
			return req_reject(s, 421, "the Host names another TLS certificate than the SNI");
		if (t == 308)
			return px_act_https(s, head) < 0 ? PX_GONE : 0;
	}
	if (px_act_wanted(conf, rc, &res)) {
		/* default backends, /healthz, redirects (proxy_action.c) */
		int act = px_act_route(s, head, path, path_len, &rc, &res);

		if (act != 0)
			return act < 0 ? PX_GONE : 0;
	}
	if (rc == -ENOENT)
		return req_reject(s, 404, "no route for this host and path");
	if (rc != 0)
		return req_reject(s, 414, "rewritten path too long");
	s->max_body = res.conf->max_body_size;
	if (bk == FO_HTTP_BODY_LENGTH && s->max_body != 0 && msg->content_length > s->max_body)
		return req_reject(s, 413, "request body larger than client_max_body_size");
	up = &conf->upstreams[res.upstream];
	if (up->n_servers == 0)
		return req_reject(s, 503, "the route's upstream has no server");
	px_set_upstream(s, res.upstream);
	pw->stats.canary_requests += res.canary != 0;
	px_bal_req(s, head); /* hash key, sticky cookie (proxy_balance.c) */

	memset(&fwd, 0, sizeof(fwd));
	if (res.path == pw->rewrite) { /* rewrite or rewrite_prefix: else the target as sent */
		fwd.path = res.path;
		fwd.path_len = res.path_len;
	}
	if (res.conf->rewrite_host != NULL) {
		fwd.host = res.conf->rewrite_host;
		fwd.host_len = strlen(res.conf->rewrite_host);
	}
	fwd.conn = sess_fwd_conn(s); /* client address, port, scheme */
	if (msg->hdr_first[FO_HTTP_H_X_REQUEST_ID] == 0) {
		fwd.request_id = rid;
		fwd.request_id_len = make_request_id(pw, rid);
		px_acct_rid(s, rid, fwd.request_id_len); /* logged as ingress-nginx's $req_id */
	}
	if (msg->flags & FO_HTTP_F_UPGRADE) {
		/*
		 * Only the route's protocols (websocket by default): a backend
		 * that switched to h2c would leave the client talking to it
		 * unrouted. Otherwise Upgrade (and Connection) are dropped and
		 * the request is served as plain HTTP/1.1; HTTP/1.0 Upgrade is
		 * ignored (RFC 9110 7.8).
		 */
		s->allow_upgrade = res.conf->allow_upgrade;
		if ((msg->flags & FO_HTTP_F_CONN_UPGRADE) && !(s->flags & PX_S_HTTP10) &&
			fo_http_upgrade_allowed(head, msg, s->allow_upgrade)) {
			fwd.flags |= FO_HTTP_FWD_UPGRADE;
			s->flags |= PX_S_UPGRADE;
		} else {
			pw->stats.upgrade_refused++;
		}
	}
	if ((s->flags & PX_S_HTTP10) || up->keepalive == 0)
		fwd.flags |= FO_HTTP_FWD_CLOSE;
	if (msg->flags & FO_HTTP_F_UNDERSCORE) {
		if (conf->http.underscores_in_headers)
			fwd.flags |= FO_HTTP_FWD_UNDERSCORES;
		else
			count_underscores(pw, head, msg);
	}
	px_act_fwd(s, res.conf, &fwd); /* header modifiers */
	/* straight into an mbuf; a head larger than one goes through pw->out */
	m = px_mbuf_alloc(pw);
	n = m != NULL ? fo_http_write_request(rte_pktmbuf_mtod(m, uint8_t *),
				rte_pktmbuf_tailroom(m), head, msg, &fwd)
		      : -ENOSPC;
	if (n > 0) {
		m->data_len = (uint16_t)n;
		m->pkt_len = (uint32_t)n;
	} else {
		rte_pktmbuf_free(m);
		n = fo_http_write_request(pw->out, PX_OUT_MAX, head, msg, &fwd);
		if (n <= 0)
			return req_reject(s, 431, "request head too large once forwarded");
		m = px_chain_from_buf(pw, pw->out, (uint32_t)n);
		if (m == NULL)
			return req_reject(s, 500, "out of packet buffers");
	}
	/* the head is consumed: what follows is body, then the next request */
	if (likely(s->in->pkt_len == msg->head_len)) {
		px_mbuf_drop(pw, s->in); /* mostly nothing follows: the next head's mbuf */
		s->in = NULL;
	} else {
		px_chain_adj(&s->in, msg->head_len);
	}
	s->in_fed = 0;
	s->to_up = m;
	fo_http_body_init(&s->req_b, bk, msg->content_length);
	s->req_b.limit = s->max_body; /* a chunk size over it: 413 before its data */
	s->req_open = 0;
	s->resp_state = PX_RESP_WAIT;
	s->rin_fed = 0;
	fo_http_parser_init(&s->resp_p, FO_HTTP_RESPONSE, &s->resp);
	s->attempts = 0;
	if (s->req_state == PX_REQ_BODY) {
		px_sess_deadline(s, conf->http.client_body_timeout_ms);
		if ((msg->flags & FO_HTTP_F_EXPECT_CONTINUE) && !(s->flags & PX_S_HTTP10)) {
			static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

			m = px_chain_from_buf(pw, cont, sizeof(cont) - 1);
			if (m == NULL)
				return px_error(s, 500, "out of packet buffers");
			s->to_cl = fo_mbuf_chain_join(s->to_cl, m);
			s->out_head += sizeof(cont) - 1;
			pw->stats.continue_sent++;
			pw->stats.responses_1xx++;
			if (px_cl_flush(s) < 0)
				return PX_GONE;
		}
	}
	s->t_up_start = pw->net->now;
	return px_up_start(s);
}

/* IDLE / HEAD: read and parse until a head is complete. */
static int
read_head(struct px_sess *s)
{
	struct fo_proxy_worker *pw = s->pw;
	int rc;

	/* left over behind the previous request (not what px_cl_finish() took from TCP) */
	if (s->phase == PX_IDLE && s->in != NULL && !(s->flags & PX_S_IN_QUEUED))
		pw->stats.requests_pipelined++;
	for (;;) {
		if (s->in != NULL) {
			int first = s->phase == PX_IDLE;

			rc = 0;
			if (first) {
				s->phase = PX_HEAD;
				s->t_start = pw->net->now;
			}
			if (s->in_fed < s->in->pkt_len) {
				rc = px_head_feed(&s->req_p, s->in, &s->in_fed);
				/* req_head_done() clears the deadline first: a head
				 * complete with its first bytes needs no timer move */
				if (rc == 1)
					return req_head_done(s);
			}
			/* first bytes of a head: the rest must come in time */
			if (first)
				px_sess_deadline(s, sess_conf(s)->http.client_header_timeout_ms);
			if (rc < 0)
				return req_error_parse(s);
		}
		rc = cl_read(s);
		if (rc <= 0)
			return rc;
	}
}

/* LINGER: read and drop until EOF. */
static int
linger_drain(struct px_sess *s)
{
	struct rte_mbuf *m;
	ssize_t n;

	for (;;) {
		n = fo_tcp_recv(s->c, &m, UINT32_MAX);
		if (n > 0) {
			rte_pktmbuf_free(m);
			continue;
		}
		if (n == -EAGAIN)
			return 0;
		if (n == 0)
			fo_tcp_close(s->c);
		else
			fo_tcp_abort(s->c);
		s->c = NULL;
		px_sess_free(s);
		return PX_GONE;
	}
}

int
px_cl_pump(struct px_sess *s)
{
	if (s->c == NULL)
		return 0;
	switch (s->phase) {
	case PX_IDLE:
	case PX_HEAD:
		return read_head(s);
	case PX_EXCHANGE:
		return s->req_state == PX_REQ_BODY ? px_req_pump(s) : 0;
	case PX_TUNNEL:
		return px_tunnel_pump(s);
	case PX_LINGER:
		return linger_drain(s);
	case PX_PASS_HELLO:
		return px_pass_hello(s);
	default:
		return 0;
	}
}

/* The request body broke its framing or its size limit. */
static int
req_body_error(struct px_sess *s, unsigned status, const char *detail)
{
	s->flags |= PX_S_CLOSE;
	return px_error(s, status, detail);
}

int
px_req_pump(struct px_sess *s)
{
	struct fo_proxy_worker *pw = s->pw;
	struct px_up *u = s->up;
	struct rte_mbuf *m, *body, *rest;
	enum fo_http_err err = FO_HTTP_E_NONE;
	ssize_t n;
	int rc;

	if (u == NULL || u->state != PX_UP_BUSY)
		return 0; /* connecting: the request waits */
	for (;;) {
		if (s->to_up != NULL) {
			m = px_chain_cut_room(&s->to_up, fo_tcp_send_space(u->c));
			n = fo_tcp_send(u->c, m);
			if (n == -EAGAIN) {
				s->to_up = fo_mbuf_chain_join(m, s->to_up);
				/* the upstream's writable resumes us */
				px_up_deadline(u, px_upconf(s)->send_timeout_ms);
				u->tkind = PX_UT_SEND;
				return 0;
			}
			if (n < 0) {
				s->to_up = fo_mbuf_chain_join(m, s->to_up);
				return px_up_fail(
					s, 502, "upstream connection closed while sending",
					FO_PROXY_OBS_RESET);
			}
			pw->stats.bytes_upstream_out += (uint64_t)n;
			continue;
		}
		if (s->req_state != PX_REQ_BODY || s->c == NULL)
			break;
		if (s->in != NULL) {
			m = s->in;
			s->in = NULL;
		} else {
			n = px_cl_recv(s, &m, PX_RECV_MAX);
			if (n == -EAGAIN) {
				if (u->tkind == PX_UT_SEND)
					u->deadline = 0; /* nothing to send */
				break;
			}
			if (n <= 0) {
				/* the client went away mid-body: the upstream must not
				 * serve a partial request */
				if (n < 0)
					pw->stats.client_resets++;
				return px_sess_abort(s);
			}
			pw->stats.bytes_client_in += (uint64_t)n;
			px_sess_deadline(s, sess_conf(s)->http.client_body_timeout_ms);
		}
		if (s->req_b.kind == FO_HTTP_BODY_CHUNKED) {
			/* the upstream gets chunk lines of fanout's, never the client's */
			rc = px_body_rechunk(pw, &s->req_b, &s->req_open, 0, m, &body, &rest, &err);
		} else {
			rc = px_body_frame(pw, &s->req_b, m, &body, &rest, &err);
			if (rc != 0)
				rte_pktmbuf_free(m);
		}
		if (rc == -EBADMSG && err == FO_HTTP_E_body_too_large)
			return req_body_error(
				s, 413, "request body larger than client_max_body_size");
		if (rc == -EBADMSG) {
			if ((unsigned)err < FO_HTTP_E_MAX)
				pw->stats.parse_err[err]++;
			return req_body_error(s, fo_http_err_status(err), fo_http_err_descr(err));
		}
		if (rc != 0)
			return px_sess_abort(s);
		s->in = rest; /* the next request, pipelined */
		s->to_up = body;
		if (s->max_body != 0 && s->req_b.total > s->max_body)
			return req_body_error(
				s, 413, "request body larger than client_max_body_size");
		if (s->req_b.done) {
			s->req_state = PX_REQ_DONE;
			s->deadline = 0;
		}
	}
	if (s->req_state == PX_REQ_DONE && s->to_up == NULL && s->resp_state == PX_RESP_WAIT)
		px_up_arm_read(s); /* all sent: now the response has read_timeout to come */
	return 0;
}

void
px_sess_timer(struct fo_timer *t)
{
	struct px_sess *s = container_of(t, struct px_sess, timer);
	struct fo_proxy_worker *pw = s->pw;

	if (!px_deadline_due(pw, t, &s->deadline))
		return;
	switch (s->phase) {
	case PX_IDLE:
		if (s->tls != NULL && !s->tls->done) {
			px_tls_hs_timeout(s); /* tls_handshake_timeout */
			return;
		}
		/* idle keep-alive connection: closed without a word, as nginx does */
		pw->stats.client_idle_closed++;
		fo_tcp_close(s->c);
		px_sess_free(s);
		return;
	case PX_HEAD:
		pw->stats.client_timeouts++;
		px_error(s, 408, "request head not received within client_header_timeout");
		return;
	case PX_EXCHANGE:
		if (s->to_cl != NULL) {
			/* the client does not take the response (send_timeout) */
			pw->stats.client_timeouts++;
			pw->stats.client_aborts++;
			px_sess_abort(s);
		} else if (s->req_state == PX_REQ_BODY) {
			pw->stats.client_timeouts++;
			req_body_error(
				s, 408, "request body not received within client_body_timeout");
		}
		return; /* else armed for something since done */
	case PX_LINGER:
		fo_tcp_close(s->c);
		px_sess_free(s);
		return;
	case PX_PASS_HELLO:
		px_pass_timeout(s);
		return;
	default:
		pw->stats.client_timeouts++;
		px_sess_abort(s);
		return;
	}
}
