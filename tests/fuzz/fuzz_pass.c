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
#include "fuzz_proxy_common.h"

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

/* what the backend received over all its connections */
static uint8_t back_rx[1 << 16];
static size_t back_len;

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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pxf z;
	size_t sent;

	if (size < 1)
		return 0;
	back_len = 0;
	pxf_open(&z, conf_text);
	if (fo_tcp_listen(pxf_host(&z, BACK)->tw, BACK, 8443, &back_ops, NULL) != 0)
		abort();
	pxf_host(&z, DEAD); /* no listener: refuses */
	pxf_start(&z);
	/* ClientHello and connect timeouts; then idle splice (read_timeout), TIME_WAIT */
	sent = pxf_client(&z, 443, data + 1, size - 1, 1 + (data[0] & 0x7f), data[0] & 0x80, 2, 6,
		"fuzz_pass");
	/* what a splice delivered is a prefix of what the client sent, in order */
	if (back_len > sent || (back_len != 0 && memcmp(back_rx, data + 1, back_len) != 0)) {
		fprintf(stderr, "fuzz_pass: the backend got %zu bytes not sent in that order\n",
			back_len);
		abort();
	}
	if (back_len != 0 && fo_proxy_stats(z.pw)->pass_spliced != 1)
		abort();
	if (getenv("FUZZ_PASS_VERBOSE") != NULL) {
		const struct fo_proxy_stats *ps = fo_proxy_stats(z.pw);

		fprintf(stderr,
			"sessions %" PRIu64 " spliced %" PRIu64 " bad %" PRIu64 " unknown %" PRIu64
			" no_sni %" PRIu64 " timeouts %" PRIu64 " connect_failed %" PRIu64
			", backend got %zu of %zu\n",
			ps->pass_sessions, ps->pass_spliced, ps->pass_bad_hello,
			ps->pass_unknown_name, ps->pass_no_sni, ps->pass_hello_timeouts,
			ps->pass_connect_failed, back_len, sent);
	}
	pxf_stop(&z);
	pxf_free(&z, "fuzz_pass");
	return 0;
}
