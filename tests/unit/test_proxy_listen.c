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
#include "mini_tls_harness.h"
#include "proxy_gen_harness.h"
#include "proxy_tls_harness.h"

/* CLIENT, FANOUT, ORIGIN (198.18.0.11) and ok_response: proxy_tls_harness.h */
#define HEAD                                                                                       \
	"interface wire0 { address 198.18.0.1/24; }\n"                                             \
	"upstream u { server 198.18.0.11:8000; }\nroute prefix / { upstream u; }\n"
static const char conf_80[] = HEAD "listen 198.18.0.1:80;\n";
static const char conf_81[] = HEAD "listen 198.18.0.1:81;\n";
static const char conf_80_tls[] = HEAD "listen 198.18.0.1:80 tls;\n";
static const char conf_80_443[] = HEAD "listen 198.18.0.1:80;\nlisten 198.18.0.1:443 tls;\n";
static const char req[] = "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n";

struct lf {
	struct wire w;
	struct wire_host *ch, *fh, *oh;
	struct wire_origin o;
	struct pxg gens;
	struct fo_proxy_worker *pw;
};

/* the control thread publishes @p text; the worker adopts it at its next poll */
static void
publish_nowait(struct lf *f, const char *text)
{
	pxg_publish(&f->gens, pxg_new(&f->gens, "listen.conf", text));
}

static void
publish(struct lf *f, const char *text)
{
	publish_nowait(f, text);
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
	publish_nowait(f, text);
	f->pw = pxg_worker(&f->gens, &f->w, f->fh, 64);
}

static void
lf_fini(struct lf *f)
{
	unsigned leaked;

	wire_advance(&f->w, 200000);
	wire_run(&f->w, 100000);
	fo_tcp_worker_free(f->fh->tw);
	f->fh->tw = NULL;
	fo_proxy_worker_free(f->pw);
	wire_origin_free(&f->o);
	leaked = wire_free(&f->w);
	pxg_free(&f->gens);
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
plain_drop(struct lf *f, struct wire_client *cl)
{
	if (cl->conns[0].c != NULL)
		fo_tcp_abort(cl->conns[0].c);
	cl->conns[0].c = NULL;
	wire_client_free(cl);
	wire_run(&f->w, 10000);
}

/* A fresh connection to @p port is established and served once, then dropped. */
static void
plain_fresh(struct lf *f, uint16_t port)
{
	struct wire_client cl;

	assert_true(plain_open(f, &cl, port));
	assert_true(plain_get(f, &cl));
	plain_drop(f, &cl);
}

static void
test_remove_and_add(void **state)
{
	const struct fo_proxy_stats *st;
	const struct fo_tcp_stats *ts;
	struct wire_client kept, late;
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
	plain_drop(&f, &late);

	/* 80 removed, 81 added */
	publish(&f, conf_81);
	assert_int_equal(st->snapshots_adopted, 2);
	assert_int_equal(st->listen_changes, 2);
	rst0 = ts->drop[tcp_no_listener];
	assert_false(plain_open(&f, &late, 80));
	assert_true(late.conns[0].closed != 0);
	assert_true(ts->drop[tcp_no_listener] > rst0);
	plain_drop(&f, &late);
	/* the keep-alive connection accepted on 80 before: still served, twice */
	assert_true(plain_get(&f, &kept));
	assert_true(plain_get(&f, &kept));
	plain_fresh(&f, 81);

	/* back: 80 again (its old slot), 81 gone */
	publish(&f, conf_80);
	assert_int_equal(st->listen_changes, 4);
	plain_fresh(&f, 80);
	assert_false(plain_open(&f, &late, 81));
	plain_drop(&f, &late);
	assert_true(plain_get(&f, &kept));
	assert_int_equal(st->listen_failed, 0);
	assert_int_equal(st->refused_closed, 0);
	plain_drop(&f, &kept);
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
	publish_nowait(&f, conf_81);
	wire_run(&f.w, 10000);
	assert_int_equal(st->refused_closed, 1);
	assert_int_equal(st->accepted, 0);
	assert_int_equal(ts->half_open, 0);
	assert_true(cl.conns[0].closed != 0);
	plain_drop(&f, &cl);
	lf_fini(&f);
}

/* ---- TLS: proxy_tls_harness.h's OpenSSL client over lib/tcp ---- */

/* One HTTPS request to @p port. @return 1 when "200 ... ok" came back over TLS. */
static int
tls_get(struct lf *f, SSL_CTX *cctx, uint16_t port)
{
	struct tcli t;
	int ok;

	tcli_prep(&t, req, sizeof(req) - 1, 4096);
	f->ch->poll = tcli_poll;
	f->ch->poll_arg = &t;
	tcli_connect(&t, &f->w, f->ch, cctx, "a.test", port);
	tcli_wait(&f->w, &t);
	ok = t.hs_done && strncmp(t.rx, "HTTP/1.1 200", 12) == 0 &&
	     strstr(t.rx, "\r\n\r\nok") != NULL;
	tcli_end(&f->w, f->ch, &t);
	return ok;
}

/*
 * The TLS cases: fanout on conf_80 with a keep-alive connection on 80
 * served once, the view app/fanout builds with no certificate configured
 * (mini_tls_harness.h; the worker has not got it yet), the client context.
 */
struct lft {
	struct lf f;
	struct wire_client kept;
	struct mini_tls t;
	SSL_CTX *cctx;
};

static void
lft_init(struct lft *x)
{
	lf_init(&x->f, conf_80);
	mini_tls_init(&x->t, "a.test");
	x->cctx = th_client_ctx(NULL, 0);
	assert_true(plain_open(&x->f, &x->kept, 80));
	assert_true(plain_get(&x->f, &x->kept));
}

/* The kept connection still served, then everything freed: no TLS session holds the view. */
static void
lft_fini(struct lft *x)
{
	assert_true(plain_get(&x->f, &x->kept));
	plain_drop(&x->f, &x->kept);
	lf_fini(&x->f);
	assert_int_equal(x->t.ptls.refs, 0);
	mini_tls_fini(&x->t);
	SSL_CTX_free(x->cctx);
}

/* Started plain only, no TLS view: the first TLS listener and its view come live. */
static void
test_first_tls_listener(void **state)
{
	const struct fo_proxy_stats *st;
	struct lft x;
	struct lf *f = &x.f;

	(void)state;
	lft_init(&x);
	st = fo_proxy_stats(f->pw);
	assert_false(tls_get(f, x.cctx, 443)); /* nothing there yet */
	/* the control thread: the view first, then the snapshot that opens 443 */
	fo_proxy_worker_tls_set(f->pw, &x.t.ptls);
	publish(f, conf_80_443);
	assert_int_equal(st->listen_changes, 1);
	assert_true(tls_get(f, x.cctx, 443));
	assert_true(tls_get(f, x.cctx, 443));
	assert_int_equal(st->tls_sessions, 2);
	assert_int_equal(st->tls_refused_noconf, 0);
	assert_true(plain_get(f, &x.kept));
	plain_fresh(f, 80);

	/* the last TLS listener removed: refused like any closed port, plain goes on */
	publish(f, conf_80);
	assert_false(tls_get(f, x.cctx, 443));
	lft_fini(&x);
}

/* A mode change applies to new connections; the one accepted before keeps its mode. */
static void
test_mode_change(void **state)
{
	const struct fo_proxy_stats *st;
	struct wire_client late;
	struct lft x;
	struct lf *f = &x.f;

	(void)state;
	lft_init(&x);
	st = fo_proxy_stats(f->pw);
	assert_int_equal(fo_proxy_worker_tls(f->pw, &x.t.ptls), 0);
	publish(f, conf_80_tls);
	assert_int_equal(st->listen_changes, 1);
	/* new connections: TLS (plain HTTP gets no HTTP answer), the old one plain */
	assert_true(tls_get(f, x.cctx, 80));
	assert_true(plain_open(f, &late, 80));
	assert_false(plain_get(f, &late));
	plain_drop(f, &late);
	assert_true(plain_get(f, &x.kept));
	/* and back to plain */
	publish(f, conf_80);
	assert_int_equal(st->listen_changes, 2);
	assert_false(tls_get(f, x.cctx, 80));
	plain_fresh(f, 80);
	lft_fini(&x);
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
