/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Built-in services: per-worker state pool and listeners, discard and
 * source. Echo and relay are in service_pipe.c.
 */
#include <errno.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "app.h"
#include "service_priv.h"

const char *const svc_stats_names[SVC_STATS_N] = {SVC_COUNTERS(FO_XSTR_NAME)};

struct svc_conn *
svc_conn_alloc(struct svc_worker *sw, struct svc_listener *l)
{
	struct svc_conn *s = sw->free;

	if (s == NULL) {
		sw->stats.refused_nostate++;
		return NULL;
	}
	sw->free = s->next;
	memset(s, 0, sizeof(*s));
	s->sw = sw;
	s->l = l;
	sw->in_use++;
	return s;
}

void
svc_conn_free(struct svc_conn *s)
{
	struct svc_worker *sw = s->sw;
	struct svc_conn **pp;

	if (s->flags & SVC_F_STALLED) {
		for (pp = &sw->stalled; *pp != NULL; pp = &(*pp)->next) {
			if (*pp == s) {
				*pp = s->next;
				break;
			}
		}
	}
	rte_pktmbuf_free(s->pending); /* NULL is a no-op */
	s->pending = NULL;
	s->c = NULL;
	s->next = sw->free;
	sw->free = s;
	sw->in_use--;
}

/* ---- discard: read everything, drop it, close after the peer's FIN ---- */

static int
discard_accept(struct fo_tcp_conn *c, void *listen_arg)
{
	struct svc_listener *l = listen_arg;

	l->sw->stats.accepted++;
	fo_tcp_set_user(c, l);
	return 0;
}

static void
discard_readable(struct fo_tcp_conn *c, void *user)
{
	struct svc_listener *l = user;
	struct rte_mbuf *m;
	ssize_t n;

	for (;;) {
		n = fo_tcp_recv(c, &m, UINT32_MAX);
		if (n > 0) {
			l->sw->stats.discard_bytes += (uint64_t)n;
			rte_pktmbuf_free(m);
			continue;
		}
		if (n == 0) {
			fo_tcp_close(c); /* nothing to send: our FIN follows at once */
		} else if (n != -EAGAIN) {
			l->sw->stats.aborted++;
			fo_tcp_abort(c);
		}
		return;
	}
}

static const struct fo_tcp_ops discard_ops = {
	.accept = discard_accept,
	.readable = discard_readable,
};

/* ---- source: SIZE bytes of the documented pattern, then FIN ---- */

static inline uint8_t
source_byte(uint64_t i)
{
	return (uint8_t)((i * 7 + (i >> 12)) & 0xff);
}

/*
 * Up to @p want bytes of the stream from s->off in fresh mbufs (whole
 * mbufs, each filled to its tailroom). Advances s->off.
 *
 * @return the chain, or NULL when the pool is down to SVC_POOL_RESERVE.
 */
static struct rte_mbuf *
source_fill(struct svc_conn *s, uint32_t want)
{
	struct rte_mbuf *head = NULL, *tail = NULL, *m;
	uint32_t got = 0, room, k;
	uint8_t *p;

	if (rte_mempool_avail_count(s->sw->pool) < SVC_POOL_RESERVE)
		return NULL;
	while (got < want) {
		m = rte_pktmbuf_alloc(s->sw->pool);
		if (m == NULL)
			break;
		room = RTE_MIN((uint32_t)rte_pktmbuf_tailroom(m), want - got);
		p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)room);
		for (k = 0; k < room; k++)
			p[k] = source_byte(s->off + got + k);
		got += room;
		if (head == NULL) {
			head = m;
		} else {
			tail->next = m;
			head->nb_segs++;
			head->pkt_len += room;
		}
		tail = m;
	}
	s->off += got;
	return head;
}

static void
source_stall(struct svc_conn *s)
{
	s->sw->stats.source_nombuf++;
	if (s->flags & SVC_F_STALLED)
		return;
	s->flags |= SVC_F_STALLED;
	s->next = s->sw->stalled;
	s->sw->stalled = s;
}

/*
 * Queue as much of the stream as the send buffer takes; FIN at the end.
 *
 * @return 0, or -1 on a send error (the caller aborts).
 */
static int
source_pump(struct svc_conn *s)
{
	struct svc_worker *sw = s->sw;
	uint32_t want, space;
	ssize_t rc;

	while (s->pending != NULL || s->off < s->total) {
		if (s->pending == NULL) {
			space = fo_tcp_send_space(s->c);
			want = RTE_MIN(space, SVC_SOURCE_CHUNK);
			if (want > s->total - s->off)
				want = (uint32_t)(s->total - s->off);
			if (want == 0) {
				/* no room: writable when half the send buffer is free */
				return fo_tcp_want_writable(s->c) == 0 ? 0 : -1;
			}
			s->pending = source_fill(s, want);
			if (s->pending == NULL) {
				source_stall(s);
				return 0;
			}
		}
		rc = fo_tcp_send(s->c, s->pending);
		if (rc == -EAGAIN)
			return 0;
		if (rc < 0)
			return -1;
		sw->stats.source_bytes += (uint64_t)rc;
		s->pending = NULL;
	}
	if (!(s->flags & SVC_F_FWD_SHUT)) {
		s->flags |= SVC_F_FWD_SHUT;
		sw->stats.source_done++;
		fo_tcp_shutdown(s->c);
	}
	return 0;
}

/* Pump; abort on error; close once everything is queued and the client has sent FIN. */
static void
source_run(struct svc_conn *s)
{
	if (source_pump(s) != 0) {
		s->sw->stats.aborted++;
		fo_tcp_abort(s->c);
		svc_conn_free(s);
	} else if ((s->flags & SVC_F_EOF) && (s->flags & SVC_F_FWD_SHUT)) {
		fo_tcp_close(s->c);
		svc_conn_free(s);
	}
}

static int
source_accept(struct fo_tcp_conn *c, void *listen_arg)
{
	struct svc_listener *l = listen_arg;
	struct svc_conn *s = svc_conn_alloc(l->sw, l);

	if (s == NULL)
		return -ENOMEM;
	l->sw->stats.accepted++;
	s->c = c;
	s->total = l->conf->size;
	fo_tcp_set_user(c, s);
	if (source_pump(s) != 0) {
		svc_conn_free(s);
		return -EIO; /* the stack resets it */
	}
	return 0;
}

/* Whatever the client sends is dropped; its FIN ends the connection once all is queued. */
static void
source_readable(struct fo_tcp_conn *c, void *user)
{
	struct svc_conn *s = user;
	struct rte_mbuf *m;
	ssize_t n;

	for (;;) {
		n = fo_tcp_recv(c, &m, UINT32_MAX);
		if (n > 0) {
			rte_pktmbuf_free(m);
			continue;
		}
		if (n == 0) {
			s->flags |= SVC_F_EOF;
			if (s->flags & SVC_F_FWD_SHUT) {
				fo_tcp_close(c);
				svc_conn_free(s);
			}
		} else if (n != -EAGAIN) {
			s->sw->stats.aborted++;
			fo_tcp_abort(c);
			svc_conn_free(s);
		}
		return;
	}
}

static void
source_writable(struct fo_tcp_conn *c, void *user)
{
	source_run(user);
}

static void
source_closed(struct fo_tcp_conn *c, void *user, enum fo_tcp_close_reason why)
{
	svc_conn_free(user);
}

static const struct fo_tcp_ops source_ops = {
	.accept = source_accept,
	.readable = source_readable,
	.writable = source_writable,
	.closed = source_closed,
};

unsigned
svc_poll(struct svc_worker *sw)
{
	struct svc_conn *list = sw->stalled, *s;
	unsigned n = 0;

	if (likely(list == NULL))
		return 0;
	/* still short: nothing would move (one check, not one per stream) */
	if (rte_mempool_avail_count(sw->pool) < SVC_POOL_RESERVE)
		return 0;
	sw->stalled = NULL;
	while (list != NULL) {
		s = list;
		list = s->next;
		s->flags &= (uint8_t)~SVC_F_STALLED;
		s->next = NULL;
		source_run(s); /* stalls again (re-listed) if the pool is still empty */
		n++;
	}
	return n;
}

/* ---- per-worker setup ---- */

static const struct fo_tcp_ops *
service_ops(enum fo_conf_service svc)
{
	switch (svc) {
	case FO_CONF_SVC_ECHO:
		return &svc_echo_ops;
	case FO_CONF_SVC_DISCARD:
		return &discard_ops;
	case FO_CONF_SVC_SOURCE:
		return &source_ops;
	case FO_CONF_SVC_RELAY:
		return &svc_relay_ops;
	default:
		return NULL;
	}
}

struct svc_worker *
svc_worker_create(const struct fo_conf *conf, struct fo_tcp_worker *tw,
	const struct fo_net_worker *net, struct rte_mempool *pool, unsigned max_conns, int socket)
{
	struct svc_worker *sw;
	unsigned i;
	int rc;

	sw = rte_zmalloc_socket("fo_svc", sizeof(*sw), RTE_CACHE_LINE_SIZE, socket);
	if (sw == NULL)
		return NULL;
	sw->tw = tw;
	sw->net = net;
	sw->pool = pool;
	sw->n_conns = max_conns;
	sw->conns = rte_zmalloc_socket("fo_svc_conns", (size_t)max_conns * sizeof(*sw->conns),
		RTE_CACHE_LINE_SIZE, socket);
	sw->listeners = rte_zmalloc_socket("fo_svc_listeners",
		(conf->n_listens + 1) * sizeof(*sw->listeners), RTE_CACHE_LINE_SIZE, socket);
	if (sw->conns == NULL || sw->listeners == NULL) {
		FO_LOG(ERR, "services: out of memory for %u connection states\n", max_conns);
		svc_worker_free(sw);
		return NULL;
	}
	for (i = max_conns; i-- > 0;) {
		sw->conns[i].next = sw->free;
		sw->free = &sw->conns[i];
	}
	for (i = 0; i < conf->n_listens; i++) {
		const struct fo_conf_listen *cl = &conf->listens[i];
		struct svc_listener *l = &sw->listeners[sw->n_listeners];
		const struct fo_tcp_ops *ops = service_ops(cl->service);

		if (ops == NULL)
			continue; /* http: served by lib/proxy (app/fanout/tcp.c) */
		l->sw = sw;
		l->conf = cl;
		if (cl->service == FO_CONF_SVC_RELAY)
			l->up = &conf->upstreams[cl->upstream];
		rc = fo_tcp_listen(tw, cl->addr, cl->port, ops, l);
		if (rc != 0) {
			fprintf(stderr, "%s:%u:%u: listen: %s\n", cl->loc.file, cl->loc.line,
				cl->loc.col, strerror(-rc));
			svc_worker_free(sw);
			return NULL;
		}
		sw->n_listeners++;
	}
	return sw;
}

void
svc_worker_free(struct svc_worker *sw)
{
	if (sw == NULL)
		return;
	if (sw->conns != NULL) {
		unsigned i;

		for (i = 0; i < sw->n_conns; i++)
			rte_pktmbuf_free(sw->conns[i].pending);
	}
	rte_free(sw->conns);
	rte_free(sw->listeners);
	rte_free(sw);
}

const struct svc_stats *
svc_worker_stats(const struct svc_worker *sw)
{
	return &sw->stats;
}

unsigned
svc_worker_in_use(const struct svc_worker *sw)
{
	return sw->in_use;
}
