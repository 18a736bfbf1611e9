/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tcp: option parsing and building. The aligned-timestamps fast path
 * (NOP, NOP, TS) gives what the general walk gives for the same option in
 * any other layout; malformed lists stay errors; built options parse back.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tcp_priv.h"

static void
expect_ts(const uint8_t *p, unsigned len, uint32_t tsval, uint32_t tsecr)
{
	struct tcp_opts o;

	memset(&o, 0xa5, sizeof(o));
	assert_int_equal(tcp_opts_parse(p, len, &o), 0);
	assert_true(o.has_ts);
	assert_int_equal(o.tsval, tsval);
	assert_int_equal(o.tsecr, tsecr);
	assert_false(o.has_mss);
	assert_false(o.has_ws);
	assert_false(o.sack_ok);
	assert_int_equal(o.n_sack, 0);
	assert_int_equal(o.mss, 0);
	assert_int_equal(o.wscale, 0);
}

static void
test_ts_layouts(void **state)
{
	/* the fast path's layout, and the same option placed otherwise */
	static const uint8_t aligned[12] = {1, 1, 8, 10, 0x81, 2, 3, 4, 5, 6, 7, 0xf8};
	static const uint8_t trailing[12] = {8, 10, 0x81, 2, 3, 4, 5, 6, 7, 0xf8, 1, 1};
	static const uint8_t eol[12] = {8, 10, 0x81, 2, 3, 4, 5, 6, 7, 0xf8, 0, 0};
	static const uint8_t padded[16] = {1, 1, 8, 10, 0x81, 2, 3, 4, 5, 6, 7, 0xf8, 1, 1, 1, 0};

	(void)state;
	expect_ts(aligned, sizeof(aligned), 0x81020304u, 0x050607f8u);
	expect_ts(trailing, sizeof(trailing), 0x81020304u, 0x050607f8u);
	expect_ts(eol, sizeof(eol), 0x81020304u, 0x050607f8u);
	expect_ts(padded, sizeof(padded), 0x81020304u, 0x050607f8u);
}

/* tcp_parse()'s inline check: the aligned layout parses as tcp_opts_parse() does; any other
 * leaves the options untouched */
static void
test_ts_only_inline(void **state)
{
	static const uint8_t aligned[12] = {1, 1, 8, 10, 0x81, 2, 3, 4, 5, 6, 7, 0xf8};
	static const uint8_t others[][12] = {
		{8, 10, 0x81, 2, 3, 4, 5, 6, 7, 0xf8, 1, 1},
		{1, 1, 8, 9, 0, 0, 0, 1, 0, 0, 0, 2},
		{1, 1, 8, 11, 0, 0, 0, 1, 0, 0, 0, 2},
		{1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2},
		{0, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2},
	};
	struct tcp_opts a, b, keep;
	unsigned i;

	(void)state;
	memset(&a, 0xa5, sizeof(a));
	memset(&b, 0x5a, sizeof(b));
	assert_int_equal(tcp_opts_ts_only(aligned, &a), 1);
	assert_int_equal(tcp_opts_parse(aligned, sizeof(aligned), &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	for (i = 0; i < FO_ARRAY_SIZE(others); i++) {
		memset(&a, 0xa5, sizeof(a));
		keep = a;
		assert_int_equal(tcp_opts_ts_only(others[i], &a), 0);
		assert_memory_equal(&a, &keep, sizeof(a));
	}
}

static void
test_ts_malformed(void **state)
{
	/* NOP NOP then a timestamp of the wrong length: not the fast path, an error */
	static const uint8_t short_len[12] = {1, 1, 8, 9, 0, 0, 0, 1, 0, 0, 0, 2};
	static const uint8_t long_len[12] = {1, 1, 8, 11, 0, 0, 0, 1, 0, 0, 0, 2};
	/* the fast path's first word with the list cut short */
	static const uint8_t cut[8] = {1, 1, 8, 10, 0, 0, 0, 1};
	struct tcp_opts o;

	(void)state;
	assert_int_equal(tcp_opts_parse(short_len, sizeof(short_len), &o), -EBADMSG);
	assert_int_equal(tcp_opts_parse(long_len, sizeof(long_len), &o), -EBADMSG);
	assert_int_equal(tcp_opts_parse(cut, sizeof(cut), &o), -EBADMSG);
}

static void
test_ts_then_sack(void **state)
{
	/* NOP NOP TS then NOP NOP SACK(1 block): the general walk */
	static const uint8_t p[24] = {1, 1, 8, 10, 0, 0, 0, 7, 0, 0, 0, 9,
		1, 1, 5, 10, 0, 0, 1, 0, 0, 0, 2, 0};
	struct tcp_opts o;

	(void)state;
	assert_int_equal(tcp_opts_parse(p, sizeof(p), &o), 0);
	assert_true(o.has_ts);
	assert_int_equal(o.tsval, 7);
	assert_int_equal(o.tsecr, 9);
	assert_int_equal(o.n_sack, 1);
	assert_int_equal(o.sack[0].start, 0x100);
	assert_int_equal(o.sack[0].end, 0x200);
}

static void
test_syn_opts_roundtrip(void **state)
{
	static const uint8_t ts_word[4] = {1, 1, 8, 10};
	uint8_t p[40];
	struct tcp_opts o;
	unsigned n;

	(void)state;
	n = tcp_opts_build_syn(p, 1460, 1, 7, 1, 1, 0xdeadbeefu, 0x01020304u);
	assert_int_equal(n % 4, 0);
	assert_int_equal(tcp_opts_parse(p, n, &o), 0);
	assert_true(o.has_mss && o.has_ws && o.sack_ok && o.has_ts);
	assert_int_equal(o.mss, 1460);
	assert_int_equal(o.wscale, 7);
	assert_int_equal(o.tsval, 0xdeadbeefu);
	assert_int_equal(o.tsecr, 0x01020304u);
	n = tcp_opts_build_syn(p, 536, 0, 0, 0, 1, 5, 6);
	assert_int_equal(n, 16);
	assert_int_equal(tcp_opts_parse(p, n, &o), 0);
	assert_true(o.has_mss && o.has_ts && !o.has_ws && !o.sack_ok);
	assert_int_equal(o.tsval, 5);
	assert_int_equal(o.tsecr, 6);
	/* the timestamps as every later segment carries them: the fast path's layout */
	assert_memory_equal(p + 4, ts_word, 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ts_layouts),
		cmocka_unit_test(test_ts_only_inline),
		cmocka_unit_test(test_ts_malformed),
		cmocka_unit_test(test_ts_then_sack),
		cmocka_unit_test(test_syn_opts_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
