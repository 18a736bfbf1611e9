/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/metrics HTTP endpoint, server and clients in one thread on loopback:
 * GET /metrics (200, content type 0.0.4, Content-Length, Connection: close,
 * the body the render function wrote), a query string, 404 for other paths
 * and methods, 400 for a malformed request line, 431 for a head past
 * FO_METRICS_REQ_MAX, 500 when the render fails, a request in pieces, more
 * clients than FO_METRICS_MAX_CONNS (the rest wait in the backlog, the
 * listening socket leaves the poll set), a silent client closed at its
 * deadline, and a response larger than the socket buffer written in parts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fo_metrics.h"

struct render_ctx {
	int fail;
	unsigned n_samples;
	unsigned calls;
};

static int
render(void *arg, struct fo_metrics_out *o)
{
	struct render_ctx *r = arg;
	unsigned i;

	r->calls++;
	if (r->fail)
		return -EIO;
	fo_metrics_family(o, FO_METRICS_COUNTER, "test_scrapes", "scrapes so far");
	fo_metrics_value(o, NULL, 0, r->calls);
	if (r->n_samples != 0) {
		fo_metrics_family(o, FO_METRICS_GAUGE, "test_big", "many samples");
		for (i = 0; i < r->n_samples; i++) {
			char v[16];

			snprintf(v, sizeof(v), "%u", i);
			fo_metrics_value(o, &(struct fo_metrics_label){"i", v}, 1, i);
		}
	}
	return 0;
}

static int
client(uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

/* Drive the server and read from @p fd until EOF (at most @p ms). @return bytes read. */
static size_t
exchange(struct fo_metrics_srv *s, int fd, char *buf, size_t cap, unsigned ms)
{
	struct timespec t0, t;
	size_t len = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		fo_metrics_poll(s);
		if (poll(&p, 1, 5) == 1) {
			n = recv(fd, buf + len, cap - 1 - len, 0);
			if (n <= 0)
				break;
			len += (size_t)n;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > ms)
			fail_msg("no EOF within %u ms (%zu bytes)", ms, len);
	}
	buf[len] = '\0';
	return len;
}

static char *
ask(struct fo_metrics_srv *s, const char *req)
{
	static char buf[1 << 16];
	int fd = client(fo_metrics_port(s));

	assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
	exchange(s, fd, buf, sizeof(buf), 2000);
	close(fd);
	return buf;
}

static struct fo_metrics_srv *
open_srv(struct render_ctx *r)
{
	struct fo_metrics_srv *s = fo_metrics_open(INADDR_LOOPBACK, 0, render, r);

	assert_non_null(s);
	assert_true(fo_metrics_port(s) != 0);
	return s;
}

static void
test_scrape(void **state)
{
	struct render_ctx r = {0};
	struct fo_metrics_srv *s = open_srv(&r);
	const char *body = "# HELP test_scrapes_total scrapes so far\n"
			   "# TYPE test_scrapes_total counter\n"
			   "test_scrapes_total 1\n";
	char *resp, want[256];

	(void)state;
	resp = ask(s, "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
	snprintf(want, sizeof(want),
		"HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
		"Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
		strlen(body), body);
	assert_string_equal(resp, want);
	/* a query string is accepted (and ignored) */
	resp = ask(s, "GET /metrics?name[]=x HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(resp, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(resp, "test_scrapes_total 2\n"));
	assert_int_equal(fo_metrics_stats(s)->scrapes, 2);
	assert_int_equal(fo_metrics_stats(s)->accepted, 2);
	fo_metrics_close(s);
}

static void
test_errors(void **state)
{
	struct render_ctx r = {0};
	struct fo_metrics_srv *s = open_srv(&r);
	char big[FO_METRICS_REQ_MAX + 100];

	(void)state;
	assert_non_null(strstr(ask(s, "GET / HTTP/1.1\r\n\r\n"), "HTTP/1.1 404 Not Found\r\n"));
	assert_non_null(strstr(ask(s, "GET /metricsx HTTP/1.1\r\n\r\n"), "HTTP/1.1 404 "));
	assert_non_null(strstr(ask(s, "POST /metrics HTTP/1.1\r\n\r\n"), "HTTP/1.1 404 "));
	assert_non_null(strstr(ask(s, "GET /metrics\r\n\r\n"), "HTTP/1.1 400 Bad Request\r\n"));
	assert_non_null(strstr(ask(s, "GET /metrics SPDY/3\r\n\r\n"), "HTTP/1.1 400 "));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	assert_non_null(strstr(ask(s, big), "HTTP/1.1 431 "));
	r.fail = 1;
	assert_non_null(strstr(ask(s, "GET /metrics HTTP/1.1\r\n\r\n"), "HTTP/1.1 500 "));
	assert_int_equal(fo_metrics_stats(s)->not_found, 3);
	assert_int_equal(fo_metrics_stats(s)->bad, 3);
	assert_int_equal(fo_metrics_stats(s)->failed, 1);
	assert_int_equal(fo_metrics_stats(s)->scrapes, 0);
	fo_metrics_close(s);
}

/* The request in three pieces, the server polled in between. */
static void
test_pieces(void **state)
{
	static const char *const part[] = {"GET /met", "rics HTTP/1.1\r\nHo", "st: x\r\n\r\n"};
	struct render_ctx r = {0};
	struct fo_metrics_srv *s = open_srv(&r);
	char buf[4096];
	int fd = client(fo_metrics_port(s));
	unsigned i;

	(void)state;
	for (i = 0; i < 3; i++) {
		assert_int_equal(send(fd, part[i], strlen(part[i]), 0), (ssize_t)strlen(part[i]));
		usleep(2000);
		fo_metrics_poll(s);
	}
	exchange(s, fd, buf, sizeof(buf), 2000);
	assert_non_null(strstr(buf, "HTTP/1.1 200 OK\r\n"));
	close(fd);
	fo_metrics_close(s);
}

/* More clients than slots: the listening socket leaves the poll set; all are served. */
static void
test_many(void **state)
{
	struct render_ctx r = {0};
	struct fo_metrics_srv *s = open_srv(&r);
	struct pollfd fds[16];
	int fd[FO_METRICS_MAX_CONNS + 2];
	char buf[4096];
	unsigned i;

	(void)state;
	for (i = 0; i < (sizeof(fd) / sizeof(fd[0])); i++)
		fd[i] = client(fo_metrics_port(s));
	usleep(10000);
	fo_metrics_poll(s);
	/* every slot taken, no request yet: only the connections are polled, for input */
	assert_int_equal(fo_metrics_pollfds(s, fds, 16), FO_METRICS_MAX_CONNS);
	for (i = 0; i < FO_METRICS_MAX_CONNS; i++)
		assert_int_equal(fds[i].events, POLLIN);
	for (i = 0; i < (sizeof(fd) / sizeof(fd[0])); i++) {
		assert_int_equal(send(fd[i], "GET /metrics HTTP/1.1\r\n\r\n", 25, 0), 25);
		exchange(s, fd[i], buf, sizeof(buf), 2000);
		assert_non_null(strstr(buf, "HTTP/1.1 200 OK\r\n"));
		close(fd[i]);
	}
	assert_int_equal(fo_metrics_stats(s)->scrapes, (sizeof(fd) / sizeof(fd[0])));
	assert_int_equal(fo_metrics_pollfds(s, fds, 16), 1); /* the listening socket again */
	fo_metrics_close(s);
}

/* A client that says nothing holds its slot until the deadline, then is closed. */
static void
test_deadline(void **state)
{
	struct render_ctx r = {0};
	struct fo_metrics_srv *s = open_srv(&r);
	struct pollfd fds[4];
	char buf[64];
	int fd = client(fo_metrics_port(s));
	struct timespec t0, t;
	long ms;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(exchange(s, fd, buf, sizeof(buf), FO_METRICS_DEADLINE_MS + 2000), 0);
	clock_gettime(CLOCK_MONOTONIC, &t);
	ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= FO_METRICS_DEADLINE_MS - 50);
	assert_int_equal(fo_metrics_stats(s)->timeouts, 1);
	assert_int_equal(fo_metrics_pollfds(s, fds, 4), 1);
	close(fd);
	fo_metrics_close(s);
}

/* A response larger than the socket buffers: written as the client reads (POLLOUT). */
static void
test_large(void **state)
{
	static char buf[8 << 20];
	struct render_ctx r = {.n_samples = 200000};
	struct fo_metrics_srv *s = open_srv(&r);
	int fd = client(fo_metrics_port(s)), small = 65536;
	size_t len;

	(void)state;
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	assert_int_equal(send(fd, "GET /metrics HTTP/1.1\r\n\r\n", 25, 0), 25);
	len = exchange(s, fd, buf, sizeof(buf), 10000);
	assert_true(len > 4000000);
	assert_non_null(strstr(buf, "test_big{i=\"199999\"} 199999\n"));
	assert_int_equal(buf[len - 1], '\n');
	close(fd);
	fo_metrics_close(s);
}

static void
test_open_fails(void **state)
{
	struct render_ctx r = {0};
	struct fo_metrics_srv *a = open_srv(&r), *b;

	(void)state;
	b = fo_metrics_open(INADDR_LOOPBACK, fo_metrics_port(a), render, &r);
	assert_null(b);
	assert_int_equal(errno, EADDRINUSE);
	fo_metrics_close(a);
	fo_metrics_close(NULL);
	assert_int_equal(fo_metrics_poll(NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scrape),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_pieces),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_open_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
