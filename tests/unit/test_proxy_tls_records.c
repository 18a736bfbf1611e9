/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Record sizing of lib/proxy's TLS send path (px_tls_send(), lib/tls/README.md
 * "Record sizing"), read off the in-process wire by the client: the record
 * headers in what TCP delivers. A 64 KiB response from an origin that sends
 * it at once, twice on one keep-alive connection:
 *  - the first 14 KiB of each response go in records of about one TCP
 *    segment (a segment of the chain each: one upstream segment, the head
 *    gathered with what follows it), never a 16 KiB record, so that each
 *    decrypts once a segment or two arrived;
 *  - the second response starts small again (per response, not per
 *    connection);
 *  - every byte arrives, in order, and records never exceed 2^14 + 256.
 * (16 KiB records once fanout's send side backs up: test_proxy_tls's
 * test_record_sizes.)
 */
#include "proxy_tls_harness.h"

#define BODY (64u * 1024)

static char response[BODY + 128];

/* Run until @p t has @p want bytes of response (or is gone). */
static void
wait_bytes(struct fix *f, struct tcli *t, size_t want)
{
	unsigned rounds = 0;

	while (rounds++ < 400000 && t->rx_len < want && !t->closed && !t->hs_failed)
		if (wire_step(&f->x.w) == 0)
			wire_advance(&f->x.w, 1);
	if (t->rx_len != want)
		fail_msg("got %zu of %zu bytes", t->rx_len, want);
}

/*
 * The records of one response, from record @p first: those of its first
 * 14 KiB at most two segments on the wire (about one), then any size.
 * @return the index after the response's records.
 */
static uint32_t
check_response(const struct tcli *t, uint32_t first, uint32_t mss, size_t resp_len)
{
	size_t plain = 0;
	uint32_t i = first, small = 0;

	for (; i < t->n_rec && i < 512 && plain < resp_len; i++) {
		uint32_t sz = t->rec_size[i];

		assert_true(sz > 22 && sz <= 5 + 16384 + 256);
		if (plain < 14u * 1024) {
			if (sz > 2 * mss)
				fail_msg("record %u (%zu bytes in): %u bytes on the wire, MSS %u",
					i, plain, sz, mss);
			small++;
		}
		plain += sz - 22; /* TLS 1.3: header 5, type 1, tag 16 */
	}
	assert_int_equal(plain, resp_len);
	assert_true(small >= 14u * 1024 / (2 * mss));
	return i;
}

static void
test_first_bytes(void **state)
{
	struct fix *f;
	static const char req[] = "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n";
	struct fo_tcp_info ti;
	struct tcli t;
	uint32_t first, next;
	size_t resp_len;
	int hl;

	(void)state;
	hl = snprintf(
		response, sizeof(response), "HTTP/1.1 200 OK\r\nContent-Length: %u\r\n\r\n", BODY);
	memset(response + hl, 'r', BODY);
	response[hl + BODY] = 0;
	f = fix_new(NULL, 0, response);
	tls_request(f, &t, "a.test", req, sizeof(req) - 1, sizeof(response), NULL);
	assert_true(t.hs_done);
	assert_int_equal(SSL_version(t.ssl), TLS1_3_VERSION);
	assert_non_null(strstr(t.rx, "HTTP/1.1 200 OK\r\n"));
	resp_len = (size_t)(strstr(t.rx, "\r\n\r\n") - t.rx) + 4 + BODY;
	wait_bytes(f, &t, resp_len);
	fo_tcp_info(t.c, &ti);
	/* the response's records come after the handshake's and the ticket's
	 * (a few hundred bytes each): the first one of about a segment */
	for (first = 0; first < t.n_rec && t.rec_size[first] < 1000; first++)
		;
	fprintf(stderr, "MSS %u; %u records; the response's from record %u\n", ti.mss, t.n_rec,
		first);
	next = check_response(&t, first, ti.mss, resp_len);

	/* the next response on the connection: its first bytes small again */
	memset(t.rx, 0, t.rx_cap + 1);
	t.rx_len = 0;
	t.sent = 0;
	wait_bytes(f, &t, resp_len);
	assert_true(next < t.n_rec);
	check_response(&t, next, ti.mss, resp_len);
	tcli_close(f, &t);
	fix_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
