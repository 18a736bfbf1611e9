/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The origin role: listens on one or more ports of the origin address and
 * answers every request head with the same response (200, a body of
 * --body-size bytes, keep-alive unless the request said close). Requests
 * are parsed with lib/http (a body with Content-Length is skipped; a
 * chunked one is refused with a close). It counts requests per listening
 * port (the upstream servers fanout balances over) and per distinct
 * request target (what fanout's rewrite made of the client's path).
 *
 * --origin-hold N holds the responses of each run's first N requests until
 * the Nth has come (then answers them all), so that fanout has N upstream
 * connections busy at once (scripts/bench --only memory).
 *
 * Per request: the parser over each received segment, a copy of at most
 * LG_TARGET_MAX bytes of the request line, and the response copied from
 * a prebuilt buffer into pool mbufs. No allocation beyond the mbuf pool,
 * no lock, no system call.
 */
#include <errno.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "lg.h"

struct oconn {
	struct lg_origin *o;
	struct fo_tcp_conn *c;
	uint16_t listen_idx;
	uint8_t in_head;
	uint8_t close_after; /* answer, then close: Connection: close or HTTP/1.0 */
	uint8_t shut;
	uint8_t held; /* on the --origin-hold list */
	uint64_t body_left;
	uint32_t owed;     /* responses not yet queued (send buffer full) */
	uint16_t line_len; /* bytes of the head kept in line[] */
	char line[LG_TARGET_MAX + 32];
	struct fo_http_parser p;
	struct fo_http_msg msg;
};

struct lg_origin {
	struct lg_stack *st;
	const struct lg_args *a;
	struct rte_mempool *mp;
	uint8_t *resp;
	uint32_t resp_len;
	struct oconn *conns;
	unsigned *free_list;
	unsigned n_free, n_conns;
	struct olisten {
		struct lg_origin *o;
		uint16_t idx;
	} listen[LG_MAX_LISTEN];
	struct lg_origin_stats s;
	/* --origin-hold N: connections with responses owed, not sent until the
	 * run's Nth request (then all at once, and the rest as usual) */
	unsigned *held;
	unsigned n_held;
	int released;
};

/* One copy of the response as an mbuf chain. @return the chain or NULL. */
static struct rte_mbuf *
resp_chain(struct lg_origin *o)
{
	struct rte_mbuf *head = NULL, *tail = NULL, *m;
	uint32_t off = 0, room;

	while (off < o->resp_len) {
		m = rte_pktmbuf_alloc(o->mp);
		if (m == NULL) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		room = rte_pktmbuf_tailroom(m);
		if (room > o->resp_len - off)
			room = o->resp_len - off;
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), o->resp + off, room);
		m->data_len = (uint16_t)room;
		off += room;
		if (head == NULL) {
			head = m;
		} else {
			tail->next = m;
			head->nb_segs++;
		}
		head->pkt_len = off;
		tail = m;
	}
	return head;
}

/* Queue the responses owed. @return 0, or -EAGAIN (send buffer full: writable re-armed). */
static int
send_owed(struct oconn *k)
{
	struct lg_origin *o = k->o;
	struct rte_mbuf *m;
	ssize_t rc;

	while (k->owed > 0) {
		if (fo_tcp_send_space(k->c) < o->resp_len) {
			o->s.send_blocked++;
			fo_tcp_want_writable(k->c);
			return -EAGAIN;
		}
		m = resp_chain(o);
		if (m == NULL) {
			fo_tcp_want_writable(k->c); /* try again when ACKs free mbufs */
			return -EAGAIN;
		}
		rc = fo_tcp_send(k->c, m);
		if (rc < 0) {
			rte_pktmbuf_free(m);
			if (rc == -EAGAIN)
				return -EAGAIN;
			return (int)rc;
		}
		k->owed--;
	}
	if (k->close_after && !k->shut) {
		fo_tcp_shutdown(k->c);
		k->shut = 1;
	}
	return 0;
}

/* Count the request's target (from the first bytes of its head). */
static void
count_target(struct lg_origin *o, const struct oconn *k)
{
	const struct fo_http_span *t = &k->msg.target;
	struct lg_origin_stats *s = &o->s;
	unsigned i, len = t->len;

	if ((unsigned)t->off + len > k->line_len || len > LG_TARGET_MAX) {
		s->other_targets++;
		return;
	}
	for (i = 0; i < s->n_targets; i++)
		if (strlen(s->targets[i]) == len &&
			memcmp(s->targets[i], k->line + t->off, len) == 0) {
			s->target_hits[i]++;
			return;
		}
	if (s->n_targets == LG_ORIGIN_TARGETS) {
		s->other_targets++;
		return;
	}
	memcpy(s->targets[s->n_targets], k->line + t->off, len);
	s->targets[s->n_targets][len] = '\0';
	s->target_hits[s->n_targets++] = 1;
}

/* Read @p len request bytes. @return 0, or -1 to drop the connection. */
static int
consume(struct oconn *k, const uint8_t *buf, size_t len)
{
	struct lg_origin *o = k->o;
	ssize_t r;
	uint64_t take;

	while (len > 0) {
		if (k->close_after)
			return 0; /* nothing after a closing request is served */
		if (k->in_head) {
			if (k->line_len < sizeof(k->line)) {
				size_t n = sizeof(k->line) - k->line_len;

				if (n > len)
					n = len;
				memcpy(k->line + k->line_len, buf, n);
				k->line_len = (uint16_t)(k->line_len + n);
			}
			r = fo_http_parse(&k->p, buf, len);
			if (r == -EAGAIN)
				return 0;
			if (r < 0 || (k->msg.flags & FO_HTTP_F_CHUNKED)) {
				o->s.bad_requests++;
				return -1;
			}
			o->s.requests++;
			o->s.per_listen[k->listen_idx]++;
			count_target(o, k);
			k->body_left = (k->msg.flags & FO_HTTP_F_CONTENT_LENGTH)
					       ? k->msg.content_length
					       : 0;
			if ((k->msg.flags & FO_HTTP_F_CONN_CLOSE) || k->msg.version_minor == 0)
				k->close_after = 1;
			k->in_head = 0;
			buf += r;
			len -= (size_t)r;
		}
		take = k->body_left < len ? k->body_left : len;
		k->body_left -= take;
		buf += take;
		len -= take;
		if (k->body_left == 0) {
			k->owed++;
			k->in_head = 1;
			k->line_len = 0;
			fo_http_parser_init(&k->p, FO_HTTP_REQUEST, &k->msg);
		}
	}
	return 0;
}

static void
conn_release(struct oconn *k)
{
	struct lg_origin *o = k->o;

	k->c = NULL;
	o->free_list[o->n_free++] = (unsigned)(k - o->conns);
}

/* Send every held response: the run's --origin-hold-th request came. */
static void
hold_release(struct lg_origin *o)
{
	unsigned i;

	o->released = 1;
	for (i = 0; i < o->n_held; i++) {
		struct oconn *k = &o->conns[o->held[i]];
		int rc;

		if (!k->held)
			continue;
		k->held = 0;
		if (k->c == NULL)
			continue;
		rc = send_owed(k);
		if (rc < 0 && rc != -EAGAIN) {
			fo_tcp_abort(k->c);
			conn_release(k);
		}
	}
	o->n_held = 0;
}

/*
 * --origin-hold: keep @p k's owed responses until the run has seen that
 * many requests, so that fanout holds as many upstream connections busy at
 * once (they all go back to its pool afterwards: scripts/bench --only
 * memory). @return 1 when @p k is not to send now.
 */
static int
hold(struct lg_origin *o, struct oconn *k)
{
	if (o->a->origin_hold == 0 || o->released)
		return 0;
	if (k->owed > 0 && !k->held) {
		k->held = 1;
		o->held[o->n_held++] = (unsigned)(k - o->conns);
	}
	if (o->s.requests >= o->a->origin_hold)
		hold_release(o);
	return 1;
}

static void
on_readable(struct fo_tcp_conn *c, void *user)
{
	struct oconn *k = user;
	struct rte_mbuf *m, *seg;
	ssize_t n;
	int rc = 0;

	for (;;) {
		n = fo_tcp_recv(c, &m, UINT32_MAX);
		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			/* the peer's FIN (or a reset): done with this connection */
			fo_tcp_close(c);
			conn_release(k);
			return;
		}
		for (seg = m; seg != NULL && rc == 0; seg = seg->next)
			rc = consume(k, rte_pktmbuf_mtod(seg, const uint8_t *), seg->data_len);
		rte_pktmbuf_free(m);
		if (rc != 0) {
			fo_tcp_abort(c);
			conn_release(k);
			return;
		}
	}
	if (hold(k->o, k))
		return;
	rc = send_owed(k);
	if (rc < 0 && rc != -EAGAIN) {
		fo_tcp_abort(c);
		conn_release(k);
	}
}

static void
on_writable(struct fo_tcp_conn *c, void *user)
{
	struct oconn *k = user;
	int rc = send_owed(k);

	if (rc < 0 && rc != -EAGAIN) {
		fo_tcp_abort(c);
		conn_release(k);
	}
}

static void
on_closed(struct fo_tcp_conn *c, void *user, enum fo_tcp_close_reason why)
{
	conn_release(user);
}

static int
on_accept(struct fo_tcp_conn *c, void *listen_arg)
{
	const struct olisten *l = listen_arg;
	struct lg_origin *o = l->o;
	struct oconn *k;

	if (o->n_free == 0) {
		o->s.conns_refused++;
		return -1;
	}
	k = &o->conns[o->free_list[--o->n_free]];
	k->c = c;
	k->listen_idx = l->idx;
	k->in_head = 1;
	k->close_after = 0;
	k->shut = 0;
	k->owed = 0; /* held stays: the slot is on the hold list or not (one entry each) */
	k->line_len = 0;
	fo_http_parser_init(&k->p, FO_HTTP_REQUEST, &k->msg);
	fo_tcp_set_user(c, k);
	o->s.conns_accepted++;
	return 0;
}

static const struct fo_tcp_ops origin_ops = {
	.accept = on_accept,
	.readable = on_readable,
	.writable = on_writable,
	.closed = on_closed,
};

struct lg_origin *
lg_origin_create(struct lg_stack *st, const struct lg_args *a, struct rte_mempool *mp)
{
	struct lg_origin *o = rte_zmalloc("lg_origin", sizeof(*o), RTE_CACHE_LINE_SIZE);
	unsigned i;
	int n, rc;

	if (o == NULL)
		return NULL;
	o->st = st;
	o->a = a;
	o->mp = mp;
	o->n_conns = a->max_origin_conns;
	o->conns = rte_zmalloc("lg_oconns", sizeof(*o->conns) * o->n_conns, RTE_CACHE_LINE_SIZE);
	o->free_list = rte_zmalloc("lg_ofree", sizeof(unsigned) * o->n_conns, 0);
	o->held = rte_zmalloc("lg_oheld", sizeof(unsigned) * o->n_conns, 0);
	o->resp = rte_malloc("lg_resp", a->body_size + 256, 0);
	if (o->conns == NULL || o->free_list == NULL || o->held == NULL || o->resp == NULL)
		goto fail;
	n = snprintf((char *)o->resp, 256,
		"HTTP/1.1 200 OK\r\nServer: fanout-loadgen\r\nContent-Type: text/plain\r\n"
		"Content-Length: %u\r\n\r\n",
		a->body_size);
	/* the body: a recognisable repeating pattern */
	for (i = 0; i < a->body_size; i++)
		o->resp[n + i] = (uint8_t)("0123456789abcdef\n"[i % 17]);
	o->resp_len = (uint32_t)n + a->body_size;
	for (i = 0; i < o->n_conns; i++) {
		o->conns[i].o = o;
		o->free_list[o->n_free++] = o->n_conns - 1 - i;
	}
	for (i = 0; i < a->n_listen; i++) {
		o->listen[i].o = o;
		o->listen[i].idx = (uint16_t)i;
		rc = fo_tcp_listen(
			st->tcp, a->origin_addr, a->listen[i], &origin_ops, &o->listen[i]);
		if (rc != 0) {
			fprintf(stderr, "fanout-loadgen: origin: listen on port %u: %s\n",
				a->listen[i], strerror(-rc));
			goto fail;
		}
	}
	return o;
fail:
	lg_origin_free(o);
	return NULL;
}

void
lg_origin_stop(struct lg_origin *o)
{
	unsigned i;

	/* a FIN, so that fanout drops these from its pool now rather than
	 * finding them gone (RST) at the next run's first requests */
	for (i = 0; i < o->n_conns; i++)
		if (o->conns[i].c != NULL) {
			fo_tcp_close(o->conns[i].c);
			conn_release(&o->conns[i]);
		}
}

void
lg_origin_free(struct lg_origin *o)
{
	if (o == NULL)
		return;
	rte_free(o->conns);
	rte_free(o->free_list);
	rte_free(o->held);
	rte_free(o->resp);
	rte_free(o);
}

void
lg_origin_reset_stats(struct lg_origin *o)
{
	if (o->n_held != 0)
		hold_release(o); /* what the last run left held */
	o->released = 0;
	memset(&o->s, 0, sizeof(o->s));
}

const struct lg_origin_stats *
lg_origin_stats(const struct lg_origin *o)
{
	return &o->s;
}
