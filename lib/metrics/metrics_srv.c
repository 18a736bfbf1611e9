/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The scrape endpoint: HTTP/1.1 on a kernel TCP socket, polled by the
 * caller's loop, never blocking it. Per connection: read the request head
 * (at most FO_METRICS_REQ_MAX bytes), answer GET /metrics with the
 * exposition and anything else with 404, write the response as the socket
 * takes it, close. Connections past their deadline are closed whatever
 * they were doing, so a slow or silent client holds a slot for at most
 * FO_METRICS_DEADLINE_MS.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fo_metrics.h"

enum conn_state { CONN_FREE, CONN_READ, CONN_WRITE };

struct conn {
	int fd;
	enum conn_state state;
	uint64_t deadline_ms;
	size_t req_len;
	char req[FO_METRICS_REQ_MAX];
	struct fo_metrics_out resp; /**< head and body of the response */
	size_t sent;
};

struct fo_metrics_srv {
	int fd;
	uint16_t port;
	fo_metrics_render_fn fn;
	void *arg;
	unsigned n_conns;
	struct conn conns[FO_METRICS_MAX_CONNS];
	struct fo_metrics_srv_stats stats;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct fo_metrics_srv *
fo_metrics_open(uint32_t addr, uint16_t port, fo_metrics_render_fn fn, void *arg)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sin);
	struct fo_metrics_srv *s;
	int one = 1, e;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->fn = fn;
	s->arg = arg;
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		goto fail;
	sin.sin_addr.s_addr = htonl(addr);
	sin.sin_port = htons(port);
	if (setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
		bind(s->fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(s->fd, 16) != 0 ||
		getsockname(s->fd, (struct sockaddr *)&sin, &sl) != 0)
		goto fail;
	s->port = ntohs(sin.sin_port);
	return s;
fail:
	e = errno;
	if (s->fd >= 0)
		close(s->fd);
	free(s);
	errno = e;
	return NULL;
}

static void
conn_close(struct fo_metrics_srv *s, struct conn *c)
{
	close(c->fd);
	fo_metrics_out_free(&c->resp);
	c->state = CONN_FREE;
	s->n_conns--;
}

/** Build the whole response in c->resp (head, then the body if any). */
static void
respond(struct fo_metrics_srv *s, struct conn *c, unsigned status, const char *reason,
	const struct fo_metrics_out *body, const char *ctype)
{
	char head[256];
	size_t blen = body != NULL ? body->len : 0;
	int n;

	n = snprintf(head, sizeof(head),
		"HTTP/1.1 %u %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		"Connection: close\r\n\r\n",
		status, reason, ctype, blen);
	fo_metrics_out_free(&c->resp);
	/* a raw copy: fo_metrics_value() and co. are for the exposition itself */
	c->resp.buf = malloc((size_t)n + blen + 1);
	if (c->resp.buf == NULL) {
		conn_close(s, c);
		return;
	}
	memcpy(c->resp.buf, head, (size_t)n);
	if (blen != 0)
		memcpy(c->resp.buf + n, body->buf, blen);
	c->resp.len = c->resp.cap = (size_t)n + blen;
	c->sent = 0;
	c->state = CONN_WRITE;
}

static void
respond_text(struct fo_metrics_srv *s, struct conn *c, unsigned status, const char *reason)
{
	struct fo_metrics_out b;
	char line[64];

	fo_metrics_out_init(&b);
	b.len = (size_t)snprintf(line, sizeof(line), "%u %s\n", status, reason);
	b.buf = line;
	respond(s, c, status, reason, &b, "text/plain; charset=utf-8");
}

/** The request head is complete in c->req: choose and build the response. */
static void
answer(struct fo_metrics_srv *s, struct conn *c)
{
	static const char get[] = "GET /metrics";
	struct fo_metrics_out body;
	const char *sp, *eol = strstr(c->req, "\r\n");
	size_t tlen;

	/* request-line = method SP request-target SP HTTP-version */
	sp = eol != NULL ? memchr(c->req, ' ', (size_t)(eol - c->req)) : NULL;
	sp = sp != NULL ? memchr(sp + 1, ' ', (size_t)(eol - sp - 1)) : NULL;
	if (sp == NULL || (size_t)(eol - sp) != sizeof(" HTTP/1.x") - 1 ||
		strncmp(sp, " HTTP/1.", 8) != 0) {
		s->stats.bad++;
		respond_text(s, c, 400, "Bad Request");
		return;
	}
	tlen = (size_t)(sp - c->req);
	/* "GET /metrics", maybe with a query ("?name[]=..." is ignored: all is shown) */
	if (tlen < sizeof(get) - 1 || memcmp(c->req, get, sizeof(get) - 1) != 0 ||
		(tlen > sizeof(get) - 1 && c->req[sizeof(get) - 1] != '?')) {
		s->stats.not_found++;
		respond_text(s, c, 404, "Not Found");
		return;
	}
	fo_metrics_out_init(&body);
	if (s->fn(s->arg, &body) != 0 || body.err != 0) {
		fo_metrics_out_free(&body);
		s->stats.failed++;
		respond_text(s, c, 500, "Internal Server Error");
		return;
	}
	s->stats.scrapes++;
	respond(s, c, 200, "OK", &body, "text/plain; version=0.0.4; charset=utf-8");
	fo_metrics_out_free(&body);
}

/** @return 1 when the connection made progress. */
static int
conn_read(struct fo_metrics_srv *s, struct conn *c)
{
	ssize_t n = recv(c->fd, c->req + c->req_len, sizeof(c->req) - 1 - c->req_len, 0);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	if (n <= 0) {
		conn_close(s, c); /* reset, or closed before a whole request */
		return 1;
	}
	c->req_len += (size_t)n;
	c->req[c->req_len] = '\0';
	if (strstr(c->req, "\r\n\r\n") != NULL) {
		answer(s, c);
	} else if (c->req_len == sizeof(c->req) - 1) {
		s->stats.bad++;
		respond_text(s, c, 431, "Request Header Fields Too Large");
	}
	return 1;
}

static int
conn_write(struct fo_metrics_srv *s, struct conn *c)
{
	ssize_t n = send(
		c->fd, c->resp.buf + c->sent, c->resp.len - c->sent, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	if (n < 0) {
		conn_close(s, c);
		return 1;
	}
	c->sent += (size_t)n;
	if (c->sent == c->resp.len) {
		/* FIN after the data; what the client still sends is discarded */
		shutdown(c->fd, SHUT_WR);
		conn_close(s, c);
	}
	return 1;
}

static int
accept_one(struct fo_metrics_srv *s)
{
	unsigned i;
	int fd;

	if (s->n_conns == FO_METRICS_MAX_CONNS)
		return 0;
	fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return 0;
	for (i = 0; s->conns[i].state != CONN_FREE; i++)
		;
	s->conns[i].fd = fd;
	s->conns[i].state = CONN_READ;
	s->conns[i].deadline_ms = now_ms() + FO_METRICS_DEADLINE_MS;
	s->conns[i].req_len = 0;
	s->conns[i].sent = 0;
	fo_metrics_out_init(&s->conns[i].resp);
	s->n_conns++;
	s->stats.accepted++;
	return 1;
}

unsigned
fo_metrics_poll(struct fo_metrics_srv *s)
{
	uint64_t now;
	unsigned i, done = 0;

	if (s == NULL)
		return 0;
	while (accept_one(s))
		done++;
	now = now_ms();
	for (i = 0; i < FO_METRICS_MAX_CONNS; i++) {
		struct conn *c = &s->conns[i];

		if (c->state == CONN_READ)
			done += (unsigned)conn_read(s, c);
		if (c->state == CONN_WRITE)
			done += (unsigned)conn_write(s, c);
		if (c->state != CONN_FREE && now >= c->deadline_ms) {
			s->stats.timeouts++;
			conn_close(s, c);
			done++;
		}
	}
	return done;
}

unsigned
fo_metrics_pollfds(const struct fo_metrics_srv *s, struct pollfd *fds, unsigned max)
{
	unsigned i, n = 0;

	if (s == NULL)
		return 0;
	if (s->n_conns < FO_METRICS_MAX_CONNS && n < max)
		fds[n++] = (struct pollfd){.fd = s->fd, .events = POLLIN};
	for (i = 0; i < FO_METRICS_MAX_CONNS && n < max; i++)
		if (s->conns[i].state != CONN_FREE)
			fds[n++] = (struct pollfd){.fd = s->conns[i].fd,
				.events = s->conns[i].state == CONN_READ ? POLLIN : POLLOUT};
	return n;
}

uint16_t
fo_metrics_port(const struct fo_metrics_srv *s)
{
	return s->port;
}

const struct fo_metrics_srv_stats *
fo_metrics_stats(const struct fo_metrics_srv *s)
{
	return &s->stats;
}

void
fo_metrics_close(struct fo_metrics_srv *s)
{
	unsigned i;

	if (s == NULL)
		return;
	for (i = 0; i < FO_METRICS_MAX_CONNS; i++)
		if (s->conns[i].state != CONN_FREE)
			conn_close(s, &s->conns[i]);
	close(s->fd);
	free(s);
}
