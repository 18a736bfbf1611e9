/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tls over fanout's own TCP (lib/net + lib/tcp hosts on the in-process
 * wire, tests/unit/wire.h): the server's fo_tls_io is fed with the chains
 * fo_tcp_recv() returns (no copy) and its send queue goes to fo_tcp_send()
 * as it is; the client is an OpenSSL SSL over the same BIO on another
 * lib/tcp host. A TLS 1.3 handshake, then 512 KiB echoed back (SHA-256 on
 * both ends), without frame loss and with every 37th, 53rd, 97th, 150th or
 * 211th frame lost (one case each). Checks that the BIO copied exactly the
 * bytes TCP carried, and that no mbuf leaks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "tls_harness.h"
#include "wire.h"

#define CLIENT WIRE_IP(198, 18, 0, 2)
#define SERVER WIRE_IP(198, 18, 0, 10)
#define PORT 443
#define XFER (512u * 1024)

/* One TLS endpoint on a lib/tcp connection. */
struct side {
	struct fo_tcp_conn *c;
	struct fo_tls_io io;
	struct rte_mbuf *pending; /* taken from io, refused by fo_tcp_send() (-EAGAIN) */
	uint64_t tcp_in, tcp_out; /* bytes through fo_tcp_recv() / fo_tcp_send() */
	int eof, established, hs_done;
};

struct server {
	struct side s;
	struct fo_tls_conn *tls;
	uint8_t echo[16384];
	size_t echo_len, echo_off;
	uint64_t echoed;
};

struct client {
	struct side s;
	SSL *ssl;
	const uint8_t *src;
	size_t sent, rcvd;
	EVP_MD_CTX *h;
};

/* TCP -> io, io -> TCP; @return work done (bytes moved). */
static unsigned
side_io(struct side *sd)
{
	unsigned work = 0;

	for (;;) {
		struct rte_mbuf *m;
		ssize_t n = fo_tcp_recv(sd->c, &m, 1u << 20);

		if (n > 0) {
			fo_tls_io_rx_append(&sd->io, m);
			sd->tcp_in += (uint64_t)n;
			work += (unsigned)n;
			continue;
		}
		if (n == 0 && !sd->eof) {
			sd->eof = 1;
			fo_tls_io_rx_eof(&sd->io);
		}
		break;
	}
	for (;;) {
		uint32_t len;
		ssize_t rc;

		if (sd->pending == NULL)
			sd->pending = fo_tls_io_tx_take(&sd->io, &len);
		if (sd->pending == NULL)
			break;
		rc = fo_tcp_send(sd->c, sd->pending);
		if (rc == -EAGAIN)
			break; /* backpressure: the same chain next round */
		if (rc <= 0)
			fail_msg("fo_tcp_send: %zd (%u bytes, %u segs, in %lu out %lu)", rc,
				sd->pending->pkt_len, sd->pending->nb_segs,
				(unsigned long)sd->tcp_in, (unsigned long)sd->tcp_out);
		sd->tcp_out += (uint64_t)rc;
		sd->pending = NULL;
		work += (unsigned)rc;
	}
	return work;
}

static int
srv_accept(struct fo_tcp_conn *c, void *arg)
{
	struct server *sv = arg;

	assert_null(sv->s.c); /* one connection in this test */
	sv->s.c = c;
	sv->s.established = 1;
	return 0;
}

static void dbg_stats(void);

static void
srv_closed(struct fo_tcp_conn *c, void *user, enum fo_tcp_close_reason why)
{
	dbg_stats();
	fail_msg("server connection closed: %d", (int)why);
}

static const struct fo_tcp_ops srv_ops = {.accept = srv_accept, .closed = srv_closed};

static void
cli_connected(struct fo_tcp_conn *c, void *user)
{
	((struct client *)user)->s.established = 1;
}

/* On failure: both hosts' TCP counters, to tell a TLS fault from a TCP one. */
static struct wire_host *dbg_hosts[2];

static void
dbg_stats(void)
{
	unsigned i, k;

	for (i = 0; i < 2; i++) {
		const struct fo_tcp_stats *st = fo_tcp_stats(dbg_hosts[i]->tw);
		const uint64_t *v = (const uint64_t *)st;

		fprintf(stderr, "host %u:", i);
		for (k = 0; k < FO_TCP_STATS_N_PLAIN; k++)
			if (v[k])
				fprintf(stderr, " %s=%lu", fo_tcp_stats_names[k],
					(unsigned long)v[k]);
		for (k = 0; k < FO_TCP_DROP_MAX; k++)
			if (st->drop[k])
				fprintf(stderr, " %s=%lu", fo_tcp_drop_names[k],
					(unsigned long)st->drop[k]);
		fprintf(stderr, "\n");
	}
}

static void
cli_closed(struct fo_tcp_conn *c, void *user, enum fo_tcp_close_reason why)
{
	struct client *cl = user;

	dbg_stats();
	fail_msg("client connection closed: %d (sent %zu, received %zu)", (int)why, cl->sent,
		cl->rcvd);
}

static const struct fo_tcp_ops cli_ops = {.connected = cli_connected, .closed = cli_closed};

static unsigned
srv_poll(struct wire_host *h, void *arg)
{
	struct server *sv = arg;
	unsigned work;

	if (sv->s.c == NULL)
		return 0;
	work = side_io(&sv->s);
	if (!sv->s.hs_done) {
		int rc = fo_tls_handshake(sv->tls);

		assert_true(rc == 0 || rc == -EAGAIN);
		sv->s.hs_done = rc == 0;
	}
	while (sv->s.hs_done) {
		ssize_t n;

		if (sv->echo_off == sv->echo_len) {
			n = fo_tls_read(sv->tls, sv->echo, sizeof(sv->echo));
			if (n <= 0) {
				assert_true(n == -EAGAIN);
				break;
			}
			sv->echo_len = (size_t)n;
			sv->echo_off = 0;
		}
		n = fo_tls_write(sv->tls, sv->echo + sv->echo_off, sv->echo_len - sv->echo_off);
		if (n == -EAGAIN)
			break; /* send queue full: after TCP took it */
		assert_true(n > 0);
		sv->echo_off += (size_t)n;
		sv->echoed += (uint64_t)n;
		work++;
	}
	return work + side_io(&sv->s);
}

static unsigned
cli_poll(struct wire_host *h, void *arg)
{
	struct client *cl = arg;
	static uint8_t buf[16384];
	unsigned work;
	int rc;

	if (!cl->s.established)
		return 0;
	work = side_io(&cl->s);
	if (!cl->s.hs_done) {
		rc = SSL_do_handshake(cl->ssl);
		if (rc == 1)
			cl->s.hs_done = 1;
		else
			assert_true(SSL_get_error(cl->ssl, rc) == SSL_ERROR_WANT_READ ||
				    SSL_get_error(cl->ssl, rc) == SSL_ERROR_WANT_WRITE);
	}
	while (cl->s.hs_done && cl->sent < XFER) {
		rc = SSL_write(cl->ssl, cl->src + cl->sent, (int)RTE_MIN(XFER - cl->sent, 20000u));
		if (rc <= 0)
			break;
		cl->sent += (size_t)rc;
		work++;
	}
	while (cl->s.hs_done && (rc = SSL_read(cl->ssl, buf, sizeof(buf))) > 0) {
		EVP_DigestUpdate(cl->h, buf, (size_t)rc);
		cl->rcvd += (size_t)rc;
		work++;
	}
	return work + side_io(&cl->s);
}

static void
run(uint64_t drop_every)
{
	struct wire w;
	struct wire_host *ch, *sh;
	struct server sv = {0};
	struct client cl = {0};
	struct fo_tls_worker *tw = fo_tls_worker_create();
	struct fo_tls_cert *cert;
	struct fo_tls_ctx *ctx;
	SSL_CTX *cctx = th_client_ctx(NULL, 0);
	uint8_t *src = malloc(XFER), want[32], got[32];
	unsigned i, seed = 5, rounds = 0, l = 32;
	char err[256];

	for (i = 0; i < XFER; i++)
		src[i] = (uint8_t)th_rand(&seed);
	EVP_Digest(src, XFER, want, &l, EVP_sha256(), NULL);
	cert = fo_tls_cert_selfsigned("tcp.test", time(NULL), 1, err, sizeof(err));
	ctx = fo_tls_ctx_create(tw, &cert, 1, NULL, NULL, err, sizeof(err));
	assert_non_null(ctx);

	assert_int_equal(wire_init(&w, 16384, 0), 0);
	ch = wire_host_add(&w, CLIENT, NULL);
	sh = wire_host_add(&w, SERVER, NULL);
	dbg_hosts[0] = ch;
	dbg_hosts[1] = sh;
	assert_int_equal(fo_tcp_listen(sh->tw, 0, PORT, &srv_ops, &sv), 0);
	fo_tls_io_init(&sv.s.io, w.mp, 0);
	fo_tls_io_init(&cl.s.io, w.mp, 0);
	sv.tls = fo_tls_conn_new(ctx, &sv.s.io);
	cl.ssl = th_client(cctx, &cl.s.io, "tcp.test");
	cl.src = src;
	cl.h = EVP_MD_CTX_new();
	EVP_DigestInit_ex(cl.h, EVP_sha256(), NULL);
	sh->poll = srv_poll;
	sh->poll_arg = &sv;
	ch->poll = cli_poll;
	ch->poll_arg = &cl;
	cl.s.c = fo_tcp_connect(ch->tw, CLIENT, SERVER, PORT, &cli_ops, &cl);
	assert_non_null(cl.s.c);
	w.drop_every = drop_every;
	while (cl.rcvd < XFER && rounds < 3000000) {
		if (wire_step(&w) == 0)
			wire_advance(&w, 10);
		rounds++;
	}
	assert_int_equal(cl.rcvd, XFER);
	EVP_DigestFinal_ex(cl.h, got, &l);
	assert_memory_equal(got, want, 32);
	assert_int_equal(sv.echoed, XFER);
	assert_int_equal(SSL_version(cl.ssl), TLS1_3_VERSION);
	if (drop_every != 0)
		assert_true(w.dropped > 0);
	/* one copy per byte in each BIO: exactly what TCP carried */
	assert_int_equal(sv.s.io.rx_copied, sv.s.tcp_in);
	assert_int_equal(sv.s.io.tx_copied, sv.s.tcp_out);
	assert_int_equal(cl.s.io.rx_copied, cl.s.tcp_in);
	assert_int_equal(cl.s.tcp_in, sv.s.tcp_out);
	assert_int_equal(sv.s.tcp_in, cl.s.tcp_out);

	ch->poll = sh->poll = NULL;
	SSL_free(cl.ssl);
	fo_tls_conn_free(sv.tls);
	fo_tls_io_release(&sv.s.io);
	fo_tls_io_release(&cl.s.io);
	rte_pktmbuf_free(sv.s.pending);
	rte_pktmbuf_free(cl.s.pending);
	fo_tcp_abort(sv.s.c);
	fo_tcp_abort(cl.s.c);
	wire_run(&w, 1000);
	assert_int_equal(wire_free(&w), 0);
	EVP_MD_CTX_free(cl.h);
	SSL_CTX_free(cctx);
	fo_tls_ctx_free(ctx);
	fo_tls_cert_free(cert);
	fo_tls_worker_free(tw);
	free(src);
}

static void
test_echo(void **state)
{
	(void)state;
	run(0);
}

/*
 * Frame loss, bulk data both ways: after an RTO both ends rewind SND.NXT to
 * SND.UNA, so their pure ACKs and retransmissions carry sequence numbers
 * below the other end's RCV.NXT. Before lib/tcp took the ACK field of such
 * wholly old segments, both ends refused each other's ACKs and the
 * retransmission timeout closed the connection (every 37th..150th frame
 * stalled it). One case per rate: every 37th, 53rd, 97th, 150th and 211th
 * frame lost.
 */
static void
test_echo_with_loss(void **state)
{
	run(*(const uint64_t *)*state);
}

/* a case named test_echo_with_loss_N: every Nth frame lost */
#define LOSS_CASE(n)                                                                               \
	{                                                                                          \
		.name = "test_echo_with_loss_" #n, .test_func = test_echo_with_loss,               \
		.initial_state = &(uint64_t){n},                                                   \
	}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo),
		LOSS_CASE(37),
		LOSS_CASE(53),
		LOSS_CASE(97),
		LOSS_CASE(150),
		LOSS_CASE(211),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
