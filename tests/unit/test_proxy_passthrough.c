/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/proxy's SNI passthrough on the in-process wire (wire.h): fanout's
 * proxy worker with `listen :443 passthrough;`, raw TCP backends that keep
 * every byte they receive and echo it back, and wire clients that send
 * hand-made ClientHellos (a record, a ClientHello with a server_name
 * extension; no TLS library needed: fanout never answers it).
 *
 * Checks the name table's selection (exact, one-label wildcard, case, a
 * trailing dot; two labels under a wildcard, the bare wildcard domain, an
 * unknown name and no SNI refused, then all of them sent to
 * passthrough_default), that the backend receives the ClientHello and what
 * follows byte for byte (also when it came one byte per segment), data
 * back to the client, round-robin over an upstream's two servers, the
 * drops (not TLS, a record that is not a handshake, a server that refuses,
 * a ClientHello that never ends), each counted, and that every session and
 * mbuf is gone at the end. On a `tls passthrough` listener: a passthrough
 * name sent one byte per segment is spliced (the TLS library never read
 * it), another name is handshaken by fanout (the hand-made ClientHello
 * offers nothing OpenSSL accepts: an alert comes back, counted). A
 * ClientHello fragmented over three records (its handshake header split),
 * whole and one byte per segment, is spliced byte for byte; one declaring
 * more than FO_TLS_HELLO_MAX is reset at once.
 */
#include <stdlib.h>

#include "mini_tls_harness.h"
#include "proxy_wire_harness.h"

#define CLIENT WIRE_IP(198, 18, 0, 2)
#define FANOUT WIRE_IP(198, 18, 0, 1)
#define B_A WIRE_IP(198, 18, 0, 11)
#define B_W1 WIRE_IP(198, 18, 0, 12)
#define B_W2 WIRE_IP(198, 18, 0, 13)
#define B_DEAD WIRE_IP(198, 18, 0, 14)
#define N_BACK 4

#define CONF_HEAD                                                                                  \
	"interface wire0 { address 198.18.0.1/24; }\n"                                             \
	"listen 198.18.0.1:443 passthrough;\n"                                                     \
	"http { client_header_timeout 2s; }\n"                                                     \
	"upstream a { server 198.18.0.11:8443; }\n"                                                \
	"upstream w { server 198.18.0.12:8443; server 198.18.0.13:8443; }\n"                       \
	"upstream dead { server 198.18.0.14:8443; }\n"                                             \
	"passthrough a.test { upstream a; }\n"                                                     \
	"passthrough *.w.test { upstream w; }\n"                                                   \
	"passthrough dead.test { upstream dead; }\n"

/* A backend: accepts on 8443 (not on B_DEAD), keeps what it receives, echoes it. */
struct raw_back {
	struct wire_host *h;
	int listening;
	unsigned accepted, eofs;
	uint8_t rx[4096];
	size_t rx_len;
};

static struct raw_back backs[N_BACK];

static int
back_accept(struct fo_tcp_conn *c, void *arg)
{
	struct raw_back *b = arg;

	b->accepted++;
	b->rx_len = 0;
	fo_tcp_set_user(c, b);
	return 0;
}

static void
back_readable(struct fo_tcp_conn *c, void *user)
{
	struct raw_back *b = user;
	struct rte_mbuf *m, *s;
	ssize_t n;

	for (;;) {
		n = fo_tcp_recv(c, &m, UINT32_MAX);
		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			b->eofs += n == 0;
			fo_tcp_close(c);
			return;
		}
		for (s = m; s != NULL; s = s->next) {
			size_t k = RTE_MIN((size_t)s->data_len, sizeof(b->rx) - b->rx_len);

			memcpy(b->rx + b->rx_len, rte_pktmbuf_mtod(s, const void *), k);
			b->rx_len += k;
		}
		if (fo_tcp_send(c, m) < 0)
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

static struct pxw x;
static struct wire_client cl;

static void
setup(const char *extra)
{
	static const rte_be32_t addrs[N_BACK] = {B_A, B_W1, B_W2, B_DEAD};
	char text[2048];
	unsigned i;

	snprintf(text, sizeof(text), "%s%s", CONF_HEAD, extra);
	pxw_init(&x, "pass.conf", text, CLIENT, FANOUT);
	memset(backs, 0, sizeof(backs));
	for (i = 0; i < N_BACK; i++) {
		backs[i].h = wire_host_add(&x.w, addrs[i], NULL);
		assert_non_null(backs[i].h);
		if (addrs[i] != B_DEAD)
			assert_int_equal(
				fo_tcp_listen(backs[i].h->tw, addrs[i], 8443, &back_ops, &backs[i]),
				0);
	}
	pxw_start(&x, 64);
	memset(&cl, 0, sizeof(cl));
}

static void
free_clients(struct pxw *p)
{
	(void)p;
	wire_client_free(&cl);
}

static void
free_none(struct pxw *p)
{
	(void)p;
}

static void
teardown(void)
{
	const struct fo_proxy_stats *st = fo_proxy_stats(x.pw);

	assert_int_equal(st->sessions, 0);
	assert_int_equal(st->upstream_busy, 0);
	pxw_fini(&x, 5000, free_clients, free_none);
}

/* A ClientHello record naming @p sni (NULL: no server_name extension). @return its length. */
static size_t
hello(uint8_t *b, const char *sni)
{
	size_t n = sni != NULL ? strlen(sni) : 0, hs, ext = sni != NULL ? 9 + n : 0, i = 0;

	hs = 2 + 32 + 1 + 4 + 2 + 2 + ext;
	b[i++] = 0x16, b[i++] = 3, b[i++] = 1;
	b[i++] = (uint8_t)((hs + 4) >> 8), b[i++] = (uint8_t)(hs + 4);
	b[i++] = 1, b[i++] = 0, b[i++] = (uint8_t)(hs >> 8), b[i++] = (uint8_t)hs;
	b[i++] = 3, b[i++] = 3;
	memset(b + i, 0x5a, 32), i += 32;                     /* random */
	b[i++] = 0;                                           /* session id */
	b[i++] = 0, b[i++] = 2, b[i++] = 0x13, b[i++] = 0x01; /* TLS_AES_128_GCM_SHA256 */
	b[i++] = 1, b[i++] = 0;                               /* null compression */
	b[i++] = (uint8_t)(ext >> 8), b[i++] = (uint8_t)ext;
	if (sni != NULL) {
		b[i++] = 0, b[i++] = 0;                                      /* server_name */
		b[i++] = (uint8_t)((n + 5) >> 8), b[i++] = (uint8_t)(n + 5); /* extension_data */
		b[i++] = (uint8_t)((n + 3) >> 8), b[i++] = (uint8_t)(n + 3); /* server_name_list */
		b[i++] = 0, b[i++] = (uint8_t)(n >> 8), b[i++] = (uint8_t)n; /* host_name */
		memcpy(b + i, sni, n), i += n;
	}
	return i;
}

/* Rounds until the wire is quiet. */
static void
run(void)
{
	wire_run(&x.w, 200000);
}

/*
 * Connection @p k sends @p len bytes of @p data (one per segment when
 * @p bytewise), then "ping". @return the backend index it reached, or -1
 * (the connection was reset).
 */
static int
send_hello(unsigned k, const uint8_t *data, size_t len, int bytewise)
{
	size_t i;
	unsigned before[N_BACK], b;

	for (b = 0; b < N_BACK; b++)
		before[b] = backs[b].accepted;
	if (bytewise) {
		for (i = 0; i < len; i++) {
			assert_int_equal(wire_client_send(&cl, k, data + i, 1), 0);
			run();
		}
	} else {
		assert_int_equal(wire_client_send(&cl, k, data, len), 0);
		run();
	}
	if (cl.conns[k].closed)
		return -1;
	assert_int_equal(wire_client_send(&cl, k, "ping", 4), 0);
	run();
	for (b = 0; b < N_BACK; b++) {
		if (backs[b].accepted == before[b])
			continue;
		/* the ClientHello and what followed, byte for byte; echoed back */
		assert_int_equal(backs[b].rx_len, len + 4);
		assert_memory_equal(backs[b].rx, data, len);
		assert_memory_equal(backs[b].rx + len, "ping", 4);
		assert_int_equal(cl.conns[k].rx_len, len + 4);
		assert_memory_equal(cl.conns[k].rx, backs[b].rx, len + 4);
		return (int)b;
	}
	fail_msg("connection %u: neither reset nor spliced", k);
	return -1;
}

static void
close_all(void)
{
	unsigned i;

	for (i = 0; i < cl.n; i++)
		if (cl.conns[i].c != NULL && !cl.conns[i].closed) {
			fo_tcp_close(cl.conns[i].c);
			cl.conns[i].c = NULL;
		}
	wire_advance(&x.w, 1000);
	run();
}

static int
try_name(unsigned k, const char *sni)
{
	uint8_t b[512];

	return send_hello(k, b, hello(b, sni), 0);
}

static void
test_select(void **state)
{
	static const char *const names[] = {"a.test", "A.TEST", "a.test.", "x.w.test", "X.W.Test.",
		"a.b.w.test", "w.test", "b.test", NULL, "dead.test"};
	static const int want[] = {0, 0, 0, 1, 2, -1, -1, -1, -1, -1};
	const unsigned n = sizeof(names) / sizeof(names[0]);
	const struct fo_proxy_stats *st;
	unsigned k;

	(void)state;
	setup("");
	assert_int_equal(wire_client_open(&cl, x.ch, FANOUT, 443, n), 0);
	run();
	for (k = 0; k < n; k++)
		assert_int_equal(try_name(k, names[k]), want[k]);
	st = fo_proxy_stats(x.pw);
	assert_int_equal(st->pass_sessions, n);
	assert_int_equal(st->pass_spliced, 5);
	assert_int_equal(st->pass_unknown_name, 3);
	assert_int_equal(st->pass_no_sni, 1);
	assert_int_equal(st->pass_connect_failed, 1); /* dead.test: refused */
	assert_int_equal(st->upstream_connect_failed, 1);
	close_all();
	for (k = 0; k < 3; k++)
		assert_int_equal(backs[k].eofs, k == 0 ? 3 : 1);
	teardown();
}

static void
test_default(void **state)
{
	static const char *const names[] = {"b.test", NULL, "a.b.w.test", "a.test"};
	unsigned k;

	(void)state;
	setup("passthrough_default w;\n");
	assert_int_equal(wire_client_open(&cl, x.ch, FANOUT, 443, 4), 0);
	run();
	for (k = 0; k < 3; k++)
		assert_in_range(try_name(k, names[k]), 1, 2);
	assert_int_equal(try_name(3, names[3]), 0);
	assert_int_equal(fo_proxy_stats(x.pw)->pass_unknown_name, 0);
	assert_int_equal(fo_proxy_stats(x.pw)->pass_no_sni, 0);
	assert_int_equal(fo_proxy_stats(x.pw)->pass_spliced, 4);
	close_all();
	teardown();
}

static void
test_segments(void **state)
{
	uint8_t b[512];
	size_t len = hello(b, "x.w.test");

	(void)state;
	setup("");
	assert_int_equal(wire_client_open(&cl, x.ch, FANOUT, 443, 1), 0);
	run();
	assert_in_range(send_hello(0, b, len, 1), 1, 2);
	assert_int_equal(fo_proxy_stats(x.pw)->pass_spliced, 1);
	close_all();
	teardown();
}

static void
test_bad(void **state)
{
	static const char http[] = "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n";
	static const uint8_t appdata[] = {0x17, 3, 3, 0, 4, 1, 2, 3, 4};
	uint8_t b[512], big[6];
	const struct fo_proxy_stats *st;
	size_t len = hello(b, "a.test");

	(void)state;
	setup("");
	assert_int_equal(wire_client_open(&cl, x.ch, FANOUT, 443, 5), 0);
	run();
	assert_int_equal(send_hello(0, (const uint8_t *)http, sizeof(http) - 1, 0), -1);
	assert_int_equal(send_hello(1, appdata, sizeof(appdata), 0), -1);
	/* a record longer than TLS allows */
	memcpy(big, (const uint8_t[]){0x16, 3, 1, 0x40, 0x01, 1}, sizeof(big));
	assert_int_equal(send_hello(2, big, sizeof(big), 0), -1);
	/* closed by the client before its ClientHello ended */
	assert_int_equal(wire_client_send(&cl, 4, b, 10), 0);
	run();
	fo_tcp_close(cl.conns[4].c);
	cl.conns[4].c = NULL;
	run();
	/* a ClientHello that stops halfway: reset after client_header_timeout */
	assert_int_equal(wire_client_send(&cl, 3, b, len / 2), 0);
	run();
	assert_int_equal(cl.conns[3].closed, 0);
	wire_advance(&x.w, 2100);
	run();
	assert_int_equal(cl.conns[3].closed, 1 + FO_TCP_CLOSE_RESET);
	st = fo_proxy_stats(x.pw);
	assert_int_equal(st->pass_bad_hello, 4);
	assert_int_equal(st->pass_hello_timeouts, 1);
	assert_int_equal(st->pass_spliced, 0);
	assert_int_equal(backs[0].accepted, 0);
	teardown();
}

/* The handshake message of the record @p b (@p len bytes) re-framed in three records. */
static size_t
reframe3(uint8_t *out, const uint8_t *b, size_t len)
{
	const size_t msg = len - 5, cuts[4] = {0, 2, msg / 2, msg};
	size_t n = 0;

	for (unsigned k = 0; k < 3; k++) {
		size_t l = cuts[k + 1] - cuts[k];

		out[n++] = 0x16, out[n++] = 3, out[n++] = 3;
		out[n++] = (uint8_t)(l >> 8), out[n++] = (uint8_t)l;
		memcpy(out + n, b + 5 + cuts[k], l);
		n += l;
	}
	return n;
}

static void
test_multi_record(void **state)
{
	static const uint8_t huge[] = {0x16, 3, 1, 0x40, 0x00, 1, 0x01, 0x00, 0x00};
	const struct fo_proxy_stats *st;
	uint8_t b[512], m[512];
	size_t len, mlen;

	(void)state;
	setup("");
	assert_int_equal(wire_client_open(&cl, x.ch, FANOUT, 443, 3), 0);
	run();
	len = hello(b, "a.test");
	mlen = reframe3(m, b, len);
	assert_int_equal(send_hello(0, m, mlen, 0), 0);
	assert_int_equal(send_hello(1, m, mlen, 1), 0);
	/* a ClientHello of 64 KiB: over the bound whatever its records, reset from its header */
	assert_int_equal(send_hello(2, huge, sizeof(huge), 0), -1);
	st = fo_proxy_stats(x.pw);
	assert_int_equal(st->pass_spliced, 2);
	assert_int_equal(st->tls_hello_fragmented, 2);
	assert_int_equal(st->tls_hello_oversized, 1);
	assert_int_equal(st->pass_bad_hello, 1);
	close_all();
	teardown();
}

static void
test_mixed(void **state)
{
	struct mini_tls t;
	const struct fo_proxy_stats *st;
	uint8_t b[512];
	size_t len;

	(void)state;
	/* the self-signed default for every name: what tls passthrough needs */
	mini_tls_init(&t, "fanout-default.invalid");
	setup("listen 198.18.0.1:8443 tls passthrough;\n");
	assert_int_equal(fo_proxy_worker_tls(x.pw, &t.ptls), 0);
	assert_int_equal(wire_client_open(&cl, x.ch, FANOUT, 8443, 2), 0);
	run();
	/* a passthrough name, one byte per segment: spliced, untouched */
	len = hello(b, "a.test");
	assert_int_equal(send_hello(0, b, len, 1), 0);
	/* any other name: fanout's TLS (which refuses this ClientHello with an alert) */
	len = hello(b, "other.test");
	assert_int_equal(wire_client_send(&cl, 1, b, len), 0);
	run();
	assert_true(cl.conns[1].rx_len >= 7);
	assert_int_equal((uint8_t)cl.conns[1].rx[0], 0x15); /* alert record */
	st = fo_proxy_stats(x.pw);
	assert_int_equal(st->tls_sessions, 2);
	assert_int_equal(st->pass_sessions, 1);
	assert_int_equal(st->pass_spliced, 1);
	assert_int_equal(st->tls_failed_proto, 1);
	assert_int_equal(st->tls_handshakes, 0);
	assert_int_equal(backs[0].accepted, 1);
	close_all();
	teardown();
	mini_tls_fini(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_segments),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_multi_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
