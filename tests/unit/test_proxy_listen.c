/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/proxy listeners changed by live reload, on the in-process wire: the
 * worker opens, closes and re-modes its listeners when it adopts a
 * snapshot whose config has other ones. A SYN to a removed listener is
 * answered as on a closed port (RST, tcp_no_listener) while a keep-alive
 * connection accepted on it before goes on being served; a SYN to a new
 * listener is accepted at once; a handshake completing on a removed
 * listener is reset (refused_closed); a listener turned from plain to TLS serves
 * TLS to new connections while the plain one accepted before keeps plain;
 * and a proxy that started with no TLS listener and no TLS view serves
 * HTTPS on the first TLS listener a reload adds, once the control thread
 * has published a view (fo_proxy_worker_tls_set()).
 */
#include <stdlib.h>
#include <time.h>

#include "proxy_wire_harness.h"
#include "tls_harness.h"

#define CLIENT WIRE_IP(198, 18, 0, 2)
#define FANOUT WIRE_IP(198, 18, 0, 1)
#define ORIGIN WIRE_IP(198, 18, 0, 10)

#define HEAD "interface wire0 { address 198.18.0.1/24; }\n" \
	     "upstream u { server 198.18.0.10:8000; }\nroute prefix / { upstream u; }\n"
static const char conf_80[] = HEAD "listen 198.18.0.1:80;\n";
static const char conf_81[] = HEAD "listen 198.18.0.1:81;\n";
static const char conf_80_tls[] = HEAD "listen 198.18.0.1:80 tls;\n";
static const char conf_80_443[] = HEAD "listen 198.18.0.1:80;\nlisten 198.18.0.1:443 tls;\n";
static const char ok_response[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
static const char req[] = "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n";

struct gen {
	struct fo_conf *conf;
	struct fo_route_table *routes;
	struct fo_proxy_snapshot *snap;
};

struct lf {
	struct wire w;
	struct wire_host *ch, *fh, *oh;
	struct wire_origin o;
	struct gen g[8];
	unsigned n_gen;
	struct fo_proxy_snapshot *published;
	struct fo_proxy_worker *pw;
};

static unsigned
proxy_poll(struct wire_host *h, void *arg)
{
	(void)h;
	return fo_proxy_poll(arg);
}

static struct fo_proxy_snapshot *
gen_new(struct lf *f, const char *text)
{
	struct gen *g = &f->g[f->n_gen];
	char err[256];

	assert_true(f->n_gen < 8);
	g->conf = fo_conf_parse("listen.conf", text, strlen(text), 0, stderr, NULL);
	assert_non_null(g->conf);
	g->routes = fo_route_compile(g->conf, err, sizeof(err));
	assert_non_null(g->routes);
	g->snap = fo_proxy_snapshot_create(g->conf, g->routes, 1, f->n_gen + 1);
	assert_non_null(g->snap);
	f->n_gen++;
	return g->snap;
}

/* the control thread's side (release store); the worker adopts it at its next poll */
static void
publish(struct lf *f, const char *text)
{
	__atomic_store_n(&f->published, gen_new(f, text), __ATOMIC_RELEASE);
	wire_run(&f->w, 1000);
}

static void
lf_init(struct lf *f, const char *text)
{
	memset(f, 0, sizeof(*f));
	assert_int_equal(wire_init(&f->w, 32768, 0), 0);
	f->ch = wire_host_add(&f->w, CLIENT, NULL);
	f->fh = wire_host_add(&f->w, FANOUT, NULL);
	f->oh = wire_host_add(&f->w, ORIGIN, NULL);
	assert_non_null(f->oh);
	assert_int_equal(wire_origin_start(&f->o, f->oh, 8000, ok_response), 0);
	f->published = gen_new(f, text);
	f->pw = fo_proxy_worker_create((const struct fo_proxy_snapshot *const *)&f->published,
		f->fh->tw, f->fh->net, f->w.mp, 0, 64, 0);
	assert_non_null(f->pw);
	f->fh->poll = proxy_poll;
	f->fh->poll_arg = f->pw;
}

static void
lf_fini(struct lf *f)
{
	unsigned leaked, i;

	wire_advance(&f->w, 200000);
	wire_run(&f->w, 100000);
	fo_tcp_worker_free(f->fh->tw);
	f->fh->tw = NULL;
	fo_proxy_worker_free(f->pw);
	wire_origin_free(&f->o);
	leaked = wire_free(&f->w);
	for (i = 0; i < f->n_gen; i++) {
		fo_proxy_snapshot_free(f->g[i].snap);
		fo_route_table_free(f->g[i].routes);
		fo_conf_free(f->g[i].conf);
	}
	assert_int_equal(leaked, 0);
}

/* A plain connection to @p port. @return 1 when established, 0 when refused (reset). */
static int
plain_open(struct lf *f, struct wire_client *cl, uint16_t port)
{
	memset(cl, 0, sizeof(*cl));
	assert_int_equal(wire_client_open(cl, f->ch, FANOUT, port, 1), 0);
	wire_run(&f->w, 10000);
	return cl->conns[0].connected && !cl->conns[0].closed;
}

/* One request on @p cl's connection. @return 1 when "200 ... ok" came back. */
static int
plain_get(struct lf *f, struct wire_client *cl)
{
	struct wire_client_conn *cc = &cl->conns[0];

	cc->rx_len = 0;
	if (cc->c == NULL || wire_client_send(cl, 0, req, strlen(req)) != 0)
		return 0;
	wire_run(&f->w, 100000);
	cc->rx[cc->rx_len < WIRE_BUF ? cc->rx_len : WIRE_BUF - 1] = '\0';
	return strncmp(cc->rx, "HTTP/1.1 200", 12) == 0 && strstr(cc->rx, "\r\n\r\nok") != NULL;
}

static void
plain_close(struct lf *f, struct wire_client *cl)
{
	if (cl->conns[0].c != NULL)
		fo_tcp_abort(cl->conns[0].c);
	cl->conns[0].c = NULL;
	wire_client_free(cl);
	wire_run(&f->w, 10000);
}

static void
test_remove_and_add(void **state)
{
	const struct fo_proxy_stats *st;
	const struct fo_tcp_stats *ts;
	struct wire_client kept, late, fresh;
	struct lf f;
	uint64_t rst0;

	(void)state;
	lf_init(&f, conf_80);
	st = fo_proxy_stats(f.pw);
	ts = fo_tcp_stats(f.fh->tw);
	assert_true(plain_open(&f, &kept, 80));
	assert_true(plain_get(&f, &kept));
	/* nothing listens on 81 yet */
	assert_false(plain_open(&f, &late, 81));
	plain_close(&f, &late);

	/* 80 removed, 81 added */
	publish(&f, conf_81);
	assert_int_equal(st->snapshots_adopted, 2);
	assert_int_equal(st->listen_changes, 2);
	rst0 = ts->drop[tcp_no_listener];
	assert_false(plain_open(&f, &late, 80));
	assert_true(late.conns[0].closed != 0);
	assert_true(ts->drop[tcp_no_listener] > rst0);
	plain_close(&f, &late);
	/* the keep-alive connection accepted on 80 before: still served, twice */
	assert_true(plain_get(&f, &kept));
	assert_true(plain_get(&f, &kept));
	assert_true(plain_open(&f, &fresh, 81));
	assert_true(plain_get(&f, &fresh));
	plain_close(&f, &fresh);

	/* back: 80 again (its old slot), 81 gone */
	publish(&f, conf_80);
	assert_int_equal(st->listen_changes, 4);
	assert_true(plain_open(&f, &fresh, 80));
	assert_true(plain_get(&f, &fresh));
	plain_close(&f, &fresh);
	assert_false(plain_open(&f, &late, 81));
	plain_close(&f, &late);
	assert_true(plain_get(&f, &kept));
	assert_int_equal(st->listen_failed, 0);
	assert_int_equal(st->refused_closed, 0);
	plain_close(&f, &kept);
	lf_fini(&f);
}

/* A handshake under way (SYN_RECEIVED) when the listener goes: reset at its ACK, counted. */
static void
test_half_open_reset(void **state)
{
	const struct fo_proxy_stats *st;
	const struct fo_tcp_stats *ts;
	struct wire_client cl;
	struct lf f;
	unsigned rounds = 0;

	(void)state;
	lf_init(&f, conf_80);
	st = fo_proxy_stats(f.pw);
	ts = fo_tcp_stats(f.fh->tw);
	memset(&cl, 0, sizeof(cl));
	assert_int_equal(wire_client_open(&cl, f.ch, FANOUT, 80, 1), 0);
	while (ts->half_open == 0 && rounds++ < 100)
		wire_step(&f.w);
	assert_int_equal(ts->half_open, 1);
	/* published before fanout sees the ACK: its next poll closes 80 */
	__atomic_store_n(&f.published, gen_new(&f, conf_81), __ATOMIC_RELEASE);
	wire_run(&f.w, 10000);
	assert_int_equal(st->refused_closed, 1);
	assert_int_equal(st->accepted, 0);
	assert_int_equal(ts->half_open, 0);
	assert_true(cl.conns[0].closed != 0);
	plain_close(&f, &cl);
	lf_fini(&f);
}

/* ---- TLS: a small OpenSSL client over lib/tcp ---- */

struct tcli {
	struct fo_tcp_conn *c;
	struct fo_tls_io io;
	struct rte_mbuf *pending;
	SSL *ssl;
	int established, hs_done, hs_failed, closed;
	size_t sent;
	char rx[4096];
	size_t rx_len;
};

static void
tcli_connected(struct fo_tcp_conn *c, void *user)
{
	(void)c;
	((struct tcli *)user)->established = 1;
}

static void
tcli_closed(struct fo_tcp_conn *c, void *user, enum fo_tcp_close_reason why)
{
	struct tcli *t = user;

	(void)c, (void)why;
	t->closed = 1;
	t->c = NULL;
}

static const struct fo_tcp_ops tcli_ops = {.connected = tcli_connected, .closed = tcli_closed};

static unsigned
tcli_io(struct tcli *t)
{
	unsigned work = 0;
	struct rte_mbuf *m;
	uint32_t len;
	ssize_t n = -EAGAIN;

	while (t->c != NULL && (n = fo_tcp_recv(t->c, &m, 1u << 20)) > 0) {
		fo_tls_io_rx_append(&t->io, m);
		work++;
	}
	if (t->c != NULL && n == 0 && !t->io.rx_eof) {
		fo_tls_io_rx_eof(&t->io);
		work++;
	}
	while (t->c != NULL) {
		if (t->pending == NULL)
			t->pending = fo_tls_io_tx_take(&t->io, &len);
		if (t->pending == NULL || fo_tcp_send(t->c, t->pending) < 0)
			break;
		t->pending = NULL;
		work++;
	}
	return work;
}

static unsigned
tcli_poll(struct wire_host *h, void *arg)
{
	struct tcli *t = arg;
	unsigned work;
	int rc;

	(void)h;
	if (!t->established || t->hs_failed)
		return 0;
	work = tcli_io(t);
	if (!t->hs_done) {
		rc = SSL_do_handshake(t->ssl);
		if (rc == 1)
			t->hs_done = 1;
		else if (SSL_get_error(t->ssl, rc) != SSL_ERROR_WANT_READ &&
			 SSL_get_error(t->ssl, rc) != SSL_ERROR_WANT_WRITE)
			t->hs_failed = 1;
	}
	while (t->hs_done && t->sent < sizeof(req) - 1) {
		rc = SSL_write(t->ssl, req + t->sent, (int)(sizeof(req) - 1 - t->sent));
		if (rc <= 0)
			break;
		t->sent += (size_t)rc;
		work++;
	}
	while (t->hs_done && t->rx_len < sizeof(t->rx) - 1 &&
		(rc = SSL_read(t->ssl, t->rx + t->rx_len, (int)(sizeof(t->rx) - 1 - t->rx_len))) > 0) {
		t->rx_len += (size_t)rc;
		work++;
	}
	return work + tcli_io(t);
}

/* One HTTPS request to @p port. @return 1 when "200 ... ok" came back over TLS. */
static int
tls_get(struct lf *f, SSL_CTX *cctx, uint16_t port)
{
	struct tcli *t = calloc(1, sizeof(*t));
	unsigned rounds = 0;
	int ok;

	assert_non_null(t);
	fo_tls_io_init(&t->io, f->w.mp, 0);
	t->ssl = th_client(cctx, &t->io, "a.test");
	f->ch->poll = tcli_poll;
	f->ch->poll_arg = t;
	t->c = fo_tcp_connect(f->ch->tw, CLIENT, FANOUT, port, &tcli_ops, t);
	assert_non_null(t->c);
	while (rounds++ < 200000 && !t->hs_failed && !t->closed &&
		strstr(t->rx, "\r\n\r\nok") == NULL)
		if (wire_step(&f->w) == 0)
			wire_advance(&f->w, 1);
	ok = t->hs_done && strncmp(t->rx, "HTTP/1.1 200", 12) == 0 &&
	     strstr(t->rx, "\r\n\r\nok") != NULL;
	if (t->c != NULL)
		fo_tcp_abort(t->c);
	t->c = NULL;
	f->ch->poll = NULL;
	SSL_free(t->ssl);
	fo_tls_io_release(&t->io);
	rte_pktmbuf_free(t->pending);
	free(t);
	wire_run(&f->w, 100000);
	return ok;
}

/* What app/fanout builds on its control thread: the self-signed default for every name. */
struct mini_tls {
	struct fo_tls_worker *w;
	struct fo_tls_cert *cert;
	struct fo_tls_ctx *ctx;
	struct fo_tls_sni sni;
	struct fo_tls_keys keys;
	struct fo_proxy_tls ptls;
};

static void
mini_tls_init(struct mini_tls *t)
{
	char err[256];

	memset(t, 0, sizeof(*t));
	t->w = fo_tls_worker_create();
	assert_non_null(t->w);
	t->cert = fo_tls_cert_selfsigned("a.test", time(NULL), 1, err, sizeof(err));
	assert_non_null(t->cert);
	fo_tls_keys_publish(&t->keys, fo_tls_keyset_new());
	t->ctx = fo_tls_ctx_create(t->w, &t->cert, 1, NULL, &t->keys, err, sizeof(err));
	assert_non_null(t->ctx);
	assert_int_equal(fo_tls_sni_build(&t->sni, NULL, NULL, 0, 0, 0, err, sizeof(err)), 0);
	t->ptls.entry = t->ctx;
	t->ptls.sni = &t->sni;
}

static void
mini_tls_fini(struct mini_tls *t)
{
	fo_tls_ctx_free(t->ctx);
	fo_tls_cert_free(t->cert);
	fo_tls_sni_release(&t->sni);
	fo_tls_keyset_free(fo_tls_keys_publish(&t->keys, NULL));
	fo_tls_worker_free(t->w);
}

/* Started plain only, no TLS view: the first TLS listener and its view come live. */
static void
test_first_tls_listener(void **state)
{
	const struct fo_proxy_stats *st;
	struct wire_client kept, late;
	struct mini_tls t;
	SSL_CTX *cctx = th_client_ctx(NULL, 0);
	struct lf f;

	(void)state;
	lf_init(&f, conf_80);
	st = fo_proxy_stats(f.pw);
	assert_true(plain_open(&f, &kept, 80));
	assert_true(plain_get(&f, &kept));
	assert_false(tls_get(&f, cctx, 443)); /* nothing there yet */
	/* the control thread: the view first, then the snapshot that opens 443 */
	mini_tls_init(&t);
	fo_proxy_worker_tls_set(f.pw, &t.ptls);
	publish(&f, conf_80_443);
	assert_int_equal(st->listen_changes, 1);
	assert_true(tls_get(&f, cctx, 443));
	assert_true(tls_get(&f, cctx, 443));
	assert_int_equal(st->tls_sessions, 2);
	assert_int_equal(st->tls_refused_noconf, 0);
	assert_true(plain_get(&f, &kept));
	assert_true(plain_open(&f, &late, 80));
	assert_true(plain_get(&f, &late));
	plain_close(&f, &late);

	/* the last TLS listener removed: refused like any closed port, plain goes on */
	publish(&f, conf_80);
	assert_false(tls_get(&f, cctx, 443));
	assert_true(plain_get(&f, &kept));
	plain_close(&f, &kept);
	lf_fini(&f);
	assert_int_equal(t.ptls.refs, 0);
	mini_tls_fini(&t);
	SSL_CTX_free(cctx);
}

/* A mode change applies to new connections; the one accepted before keeps its mode. */
static void
test_mode_change(void **state)
{
	const struct fo_proxy_stats *st;
	struct wire_client kept, late;
	struct mini_tls t;
	SSL_CTX *cctx = th_client_ctx(NULL, 0);
	struct lf f;

	(void)state;
	lf_init(&f, conf_80);
	st = fo_proxy_stats(f.pw);
	mini_tls_init(&t);
	assert_int_equal(fo_proxy_worker_tls(f.pw, &t.ptls), 0);
	assert_true(plain_open(&f, &kept, 80));
	assert_true(plain_get(&f, &kept));
	publish(&f, conf_80_tls);
	assert_int_equal(st->listen_changes, 1);
	/* new connections: TLS (plain HTTP gets no HTTP answer), the old one plain */
	assert_true(tls_get(&f, cctx, 80));
	assert_true(plain_open(&f, &late, 80));
	assert_false(plain_get(&f, &late));
	plain_close(&f, &late);
	assert_true(plain_get(&f, &kept));
	/* and back to plain */
	publish(&f, conf_80);
	assert_int_equal(st->listen_changes, 2);
	assert_false(tls_get(&f, cctx, 80));
	assert_true(plain_open(&f, &late, 80));
	assert_true(plain_get(&f, &late));
	plain_close(&f, &late);
	assert_true(plain_get(&f, &kept));
	plain_close(&f, &kept);
	lf_fini(&f);
	mini_tls_fini(&t);
	SSL_CTX_free(cctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_remove_and_add),
		cmocka_unit_test(test_half_open_reset),
		cmocka_unit_test(test_first_tls_listener),
		cmocka_unit_test(test_mode_change),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
