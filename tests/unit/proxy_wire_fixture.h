/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fixture of test_proxy_wire*.c: a client host, the fanout host
 * (lib/net + lib/tcp + lib/proxy) and origin hosts on the in-process wire
 * (wire.h), one config with a route per kind of origin, and the helpers the
 * cases share (send, exchange, statuses). Header-only (static inline).
 */
#ifndef PROXY_WIRE_FIXTURE_H
#define PROXY_WIRE_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fo_conf.h"
#include "fo_proxy.h"
#include "fo_route.h"
#include "wire_http.h"

#define CLIENT WIRE_IP(198, 18, 0, 2)
#define FANOUT WIRE_IP(198, 18, 0, 1)
#define ORIGIN WIRE_IP(198, 18, 0, 11)
#define DEAD WIRE_IP(198, 18, 0, 12)   /* a host with no listener: RST */
#define SINK WIRE_IP(198, 18, 0, 13)   /* accepts, reads, never answers */
#define HINTS WIRE_IP(198, 18, 0, 14)  /* 103 Early Hints, then 200 */
#define SWITCH WIRE_IP(198, 18, 0, 15) /* 101 to every head it reads */
#define CHUNKY WIRE_IP(198, 18, 0, 16) /* a chunked response with extensions and trailers */

static const char response[] = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nhello world!";
static const char hints[] = "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
			    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
static const char chunky[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			     "5;ext=1\r\nhello\r\n006 ; q=\"a b\"\r\n world\r\n0;z\r\nX-T: 1\r\n\r\n";
static const char switching[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\n"
				"Connection: Upgrade\r\n\r\n";

static const char conf_text[] =
	"interface wire0 { address 198.18.0.1/24; }\n"
	"listen 198.18.0.1:80;\n"
	"http { client_header_timeout 2s; keepalive_timeout 5s; }\n"
	"upstream origin { server 198.18.0.11:8000; }\n"
	"upstream failover { server 198.18.0.12:8000; server 198.18.0.11:8000; }\n"
	"upstream dead { server 198.18.0.12:8000; }\n"
	"upstream sink { server 198.18.0.13:8000; read_timeout 3s; }\n"
	"upstream hints { server 198.18.0.14:8000; }\n"
	"upstream switch { server 198.18.0.15:8000; }\n"
	"upstream empty { }\n"
	"upstream chunky { server 198.18.0.16:8000; }\n"
	"route regex \"/test01(/|$)(.*)\" { upstream origin; rewrite \"/$2\"; "
	"client_max_body_size 200k; }\n"
	"route prefix /failover { upstream failover; }\n"
	"route prefix /dead { upstream dead; }\n"
	"route prefix /sink { upstream sink; }\n"
	"route prefix /hints { upstream hints; }\n"
	"route prefix /switch { upstream switch; allow_upgrade echo websocket; }\n"
	"route prefix /other-switch { upstream switch; allow_upgrade other; }\n"
	"route prefix /empty { upstream empty; }\n"
	"route prefix /chunky { upstream chunky; }\n"
	"route prefix /hosted { host example.test; upstream origin; }\n";

struct bench {
	struct wire w;
	struct wire_host *ch, *fh, *oh, *dh, *sh, *hh, *swh, *kh;
	struct wire_origin o, ho, swo, ko;
	struct wire_client cl;
	struct fo_conf *conf;
	struct fo_route_table *routes;
	struct fo_proxy_snapshot *snap;
	struct fo_proxy_worker *pw;
};

static inline unsigned
proxy_poll(struct wire_host *h, void *arg)
{
	(void)h;
	return fo_proxy_poll(arg) + fo_proxy_poll_tls(arg);
}

/* SINK: accept, read and drop, never answer */
static inline void
sink_readable(struct fo_tcp_conn *c, void *user)
{
	struct rte_mbuf *m;
	ssize_t n;

	(void)user;
	while ((n = fo_tcp_recv(c, &m, UINT32_MAX)) > 0)
		rte_pktmbuf_free(m);
	if (n == 0)
		fo_tcp_close(c);
}

static inline int
sink_accept(struct fo_tcp_conn *c, void *arg)
{
	(void)c;
	(void)arg;
	return 0;
}

static const struct fo_tcp_ops sink_ops = {
	.accept = sink_accept,
	.readable = sink_readable,
};

static inline int
setup(void **state)
{
	struct bench *b = calloc(1, sizeof(*b));
	char err[256];

	assert_non_null(b);
	b->conf = fo_conf_parse("wire.conf", conf_text, sizeof(conf_text) - 1, 0, stderr, NULL);
	assert_non_null(b->conf);
	b->routes = fo_route_compile(b->conf, err, sizeof(err));
	assert_non_null(b->routes);
	assert_int_equal(wire_init(&b->w, 32768, 0), 0);
	b->ch = wire_host_add(&b->w, CLIENT, NULL);
	b->fh = wire_host_add(&b->w, FANOUT, NULL);
	b->oh = wire_host_add(&b->w, ORIGIN, NULL);
	b->dh = wire_host_add(&b->w, DEAD, NULL);
	b->sh = wire_host_add(&b->w, SINK, NULL);
	b->hh = wire_host_add(&b->w, HINTS, NULL);
	b->swh = wire_host_add(&b->w, SWITCH, NULL);
	b->kh = wire_host_add(&b->w, CHUNKY, NULL);
	assert_non_null(b->kh);
	assert_int_equal(wire_origin_start(&b->o, b->oh, 8000, response), 0);
	assert_int_equal(wire_origin_start(&b->ho, b->hh, 8000, hints), 0);
	assert_int_equal(wire_origin_start(&b->swo, b->swh, 8000, switching), 0);
	assert_int_equal(wire_origin_start(&b->ko, b->kh, 8000, chunky), 0);
	assert_int_equal(fo_tcp_listen(b->sh->tw, 0, 8000, &sink_ops, NULL), 0);
	b->snap = fo_proxy_snapshot_create(b->conf, b->routes, 1, 1);
	assert_non_null(b->snap);
	b->pw = fo_proxy_worker_create((const struct fo_proxy_snapshot *const *)&b->snap,
		b->fh->tw, b->fh->net, b->w.mp, 0, 64, 0);
	assert_non_null(b->pw);
	b->fh->poll = proxy_poll;
	b->fh->poll_arg = b->pw;
	assert_int_equal(wire_client_open(&b->cl, b->ch, FANOUT, 80, 1), 0);
	wire_run(&b->w, 10000);
	assert_true(b->cl.conns[0].connected);
	*state = b;
	return 0;
}

static inline int
teardown(void **state)
{
	struct bench *b = *state;
	unsigned leaked;

	/* let closes finish, then no session may be left */
	wire_advance(&b->w, 10000);
	wire_run(&b->w, 100000);
	wire_client_free(&b->cl);
	fo_tcp_worker_free(b->fh->tw); /* no callbacks into the proxy after this */
	b->fh->tw = NULL;
	fo_proxy_worker_free(b->pw);
	wire_origin_free(&b->o);
	wire_origin_free(&b->ho);
	wire_origin_free(&b->swo);
	wire_origin_free(&b->ko);
	leaked = wire_free(&b->w);
	fo_proxy_snapshot_free(b->snap);
	fo_route_table_free(b->routes);
	fo_conf_free(b->conf);
	free(b);
	assert_int_equal(leaked, 0);
	return 0;
}

static inline const struct fo_proxy_stats *
stats(struct bench *b)
{
	return fo_proxy_stats(b->pw);
}

static inline void
send_str(struct bench *b, const char *s)
{
	assert_int_equal(wire_client_send(&b->cl, 0, s, strlen(s)), 0);
}

/* Run until quiet; return what the client received since the last call. */
static inline const char *
exchange(struct bench *b, const char *req)
{
	struct wire_client_conn *cc = &b->cl.conns[0];

	cc->rx_len = 0;
	if (req != NULL)
		send_str(b, req);
	wire_run(&b->w, 100000);
	cc->rx[cc->rx_len < WIRE_BUF ? cc->rx_len : WIRE_BUF - 1] = '\0';
	return cc->rx;
}

/* Statuses of the responses in @p rx, in order, as "200 404 ...". */
static inline const char *
statuses(const char *rx, char *out, size_t len)
{
	const char *p = rx;
	size_t used = 0;

	out[0] = '\0';
	while ((p = strstr(p, "HTTP/1.1 ")) != NULL && used + 5 < len) {
		used += (size_t)snprintf(out + used, len - used, "%s%.3s", used ? " " : "", p + 9);
		p += 9;
	}
	return out;
}

#endif /* PROXY_WIRE_FIXTURE_H */
