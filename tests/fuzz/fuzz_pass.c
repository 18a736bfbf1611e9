/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for SNI passthrough sessions (also run by replay_pass
 * over corpus/pass/): a client, fanout's proxy with `listen :443
 * passthrough;` and two backends (one echoes, one refuses connections),
 * each a lib/tcp host on the in-process wire (tests/unit/wire.h), fresh for
 * every input. The client sends arbitrary bytes to fanout in pieces: a
 * ClientHello (or not) and what follows. Input:
 *
 *   [flags][client bytes...]
 *
 *   flags & 0x7f: the client sends in pieces of 1 + (flags & 0x7f) bytes,
 *                 the wire running between pieces
 *   flags & 0x80: the client half-closes (FIN) after its bytes, else it
 *                 resets the connection at the end
 *
 * Then time moves on past every timeout (ClientHello, connect, idle splice,
 * TIME_WAIT). Invariants (abort on violation): no session is left, every
 * mbuf is back in the pool once everything is freed, and a spliced
 * connection delivered the client's bytes to the backend in order (the
 * ClientHello first). Sanitizers catch the rest.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/fake_pool.c"
#include "../unit/wire.c"
#include "../unit/wire_http.c"
#include "fo_conf.h"
#include "fo_proxy.h"
#include "fo_route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CLIENT WIRE_IP(198, 18, 0, 2)
#define FANOUT WIRE_IP(198, 18, 0, 1)
#define BACK WIRE_IP(198, 18, 0, 11)
#define DEAD WIRE_IP(198, 18, 0, 12)

/* names of the seed corpus' ClientHellos (tests/fuzz/corpus/tls_hello) */
static const char conf_text[] =
	"interface wire0 { address 198.18.0.1/24; }\n"
	"listen 198.18.0.1:443 passthrough;\n"
	"http { client_header_timeout 1s; }\n"
	"upstream back { server 198.18.0.11:8443; connect_timeout 1s; read_timeout 2s; }\n"
	"upstream dead { server 198.18.0.12:8443; connect_timeout 1s; }\n"
	"passthrough a.test { upstream back; }\n"
	"passthrough *.example.com { upstream back; }\n"
	"passthrough shop.example.com { upstream dead; }\n";

static struct fo_conf *conf;
static struct fo_route_table *routes;

/* what the backend received over all its connections */
static uint8_t back_rx[1 << 16];
static size_t back_len;

static unsigned
proxy_poll(struct wire_host *h, void *arg)
{
	(void)h;
	return fo_proxy_poll(arg);
}

static int
back_accept(struct fo_tcp_conn *c, void *arg)
{
	(void)arg;
	fo_tcp_set_user(c, NULL);
	return 0;
}

static void
back_readable(struct fo_tcp_conn *c, void *user)
{
	struct rte_mbuf *m, *s;
	ssize_t n;

	(void)user;
	for (;;) {
		n = fo_tcp_recv(c, &m, UINT32_MAX);
		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			fo_tcp_close(c);
			return;
		}
		for (s = m; s != NULL; s = s->next) {
			size_t k = s->data_len;

			if (k > sizeof(back_rx) - back_len)
				k = sizeof(back_rx) - back_len;
			memcpy(back_rx + back_len, rte_pktmbuf_mtod(s, const void *), k);
			back_len += k;
		}
		if (fo_tcp_send(c, m) < 0) /* echo */
			rte_pktmbuf_free(m);
	}
}

static void
back_closed(struct fo_tcp_conn *c, void *user, enum fo_tcp_close_reason why)
{
	(void)c, (void)user, (void)why;
}

static const struct fo_tcp_ops back_ops = {
	.accept = back_accept,
	.readable = back_readable,
	.closed = back_closed,
};

/* The client's side: take and drop what fanout sends. */
static void
cl_readable(struct fo_tcp_conn *c, void *user)
{
	struct rte_mbuf *m;

	(void)user;
	while (fo_tcp_recv(c, &m, UINT32_MAX) > 0)
		rte_pktmbuf_free(m);
}

static void
cl_closed(struct fo_tcp_conn *c, void *user, enum fo_tcp_close_reason why)
{
	(void)c;
	(void)why;
	*(struct fo_tcp_conn **)user = NULL;
}

static const struct fo_tcp_ops cl_ops = {
	.readable = cl_readable,
	.closed = cl_closed,
};

static void
settle(struct wire *w, unsigned seconds)
{
	unsigned i;

	for (i = 0; i < seconds * 4; i++) {
		wire_advance(w, 250);
		wire_run(w, 2000);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fo_tcp_config cfg = {.max_conns = 64, .max_half_open = 16, .time_wait_ms = 1000};
	struct wire w;
	struct wire_host *ch, *fh, *bh, *dh;
	struct fo_proxy_snapshot *snap;
	struct fo_proxy_worker *pw;
	struct fo_tcp_conn *c;
	size_t piece, off, sent = 0;
	unsigned leaked;

	if (size < 1)
		return 0;
	if (conf == NULL) {
		conf = fo_conf_parse(
			"fuzz.conf", conf_text, sizeof(conf_text) - 1, 0, stderr, NULL);
		routes = conf != NULL ? fo_route_compile(conf, NULL, 0) : NULL;
		if (routes == NULL)
			abort();
	}
	back_len = 0;
	piece = 1 + (data[0] & 0x7f);
	if (wire_init(&w, 1024, 1) != 0)
		abort();
	ch = wire_host_add(&w, CLIENT, &cfg);
	fh = wire_host_add(&w, FANOUT, &cfg);
	bh = wire_host_add(&w, BACK, &cfg);
	dh = wire_host_add(&w, DEAD, &cfg); /* no listener: refuses */
	if (ch == NULL || fh == NULL || bh == NULL || dh == NULL ||
		fo_tcp_listen(bh->tw, BACK, 8443, &back_ops, NULL) != 0)
		abort();
	snap = fo_proxy_snapshot_create(conf, routes, 1, 1);
	if (snap == NULL)
		abort();
	pw = fo_proxy_worker_create(
		(const struct fo_proxy_snapshot *const *)&snap, fh->tw, fh->net, w.mp, 0, 0, 0);
	if (pw == NULL)
		abort();
	fh->poll = proxy_poll;
	fh->poll_arg = pw;

	c = fo_tcp_connect(ch->tw, CLIENT, FANOUT, 443, &cl_ops, &c);
	if (c == NULL)
		abort();
	wire_run(&w, 2000);
	for (off = 1; off < size && c != NULL; off += piece) {
		size_t n = size - off < piece ? size - off : piece;

		if (send_bytes(ch, c, data + off, n) != 0)
			break; /* send buffer full: fanout stopped reading, fine */
		sent += n;
		wire_run(&w, 2000);
	}
	settle(&w, 2); /* ClientHello and connect timeouts */
	if (c != NULL) {
		if (data[0] & 0x80) {
			fo_tcp_shutdown(c);
		} else {
			fo_tcp_abort(c);
			c = NULL;
		}
	}
	settle(&w, 6); /* idle splice (read_timeout), TIME_WAIT */
	if (fo_proxy_stats(pw)->sessions != 0) {
		fprintf(stderr, "fuzz_pass: %" PRIu64 " session(s) left\n",
			fo_proxy_stats(pw)->sessions);
		abort();
	}
	/* what a splice delivered is a prefix of what the client sent, in order */
	if (back_len > sent || (back_len != 0 && memcmp(back_rx, data + 1, back_len) != 0)) {
		fprintf(stderr, "fuzz_pass: the backend got %zu bytes not sent in that order\n",
			back_len);
		abort();
	}
	if (back_len != 0 && fo_proxy_stats(pw)->pass_spliced != 1)
		abort();
	if (getenv("FUZZ_PASS_VERBOSE") != NULL) {
		const struct fo_proxy_stats *ps = fo_proxy_stats(pw);

		fprintf(stderr,
			"sessions %" PRIu64 " spliced %" PRIu64 " bad %" PRIu64 " unknown %" PRIu64
			" no_sni %" PRIu64 " timeouts %" PRIu64 " connect_failed %" PRIu64
			", backend got %zu of %zu\n",
			ps->pass_sessions, ps->pass_spliced, ps->pass_bad_hello,
			ps->pass_unknown_name, ps->pass_no_sni, ps->pass_hello_timeouts,
			ps->pass_connect_failed, back_len, sent);
	}
	if (c != NULL)
		fo_tcp_abort(c);
	fo_tcp_worker_free(fh->tw); /* no proxy callbacks after this */
	fh->tw = NULL;
	fo_proxy_worker_free(pw);
	fo_proxy_snapshot_free(snap);
	leaked = wire_free(&w);
	if (leaked != 0) {
		fprintf(stderr, "fuzz_pass: %u mbuf(s) leaked\n", leaked);
		abort();
	}
	return 0;
}
