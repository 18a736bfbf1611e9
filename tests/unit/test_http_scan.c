/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/http byte scanners (http_scan.h), which test 16 bytes at a time and
 * the last bytes of a feed with one load that ends at its end: each against
 * the class tables (http_names.c, computed from the RFC definitions), on
 * inputs of 0 to 40 bytes with every byte value at the first and last
 * position of each 16-byte block and at the end, and the bytes that matter
 * at every other position; the scan starts at several distances from the
 * start of the feed (bytes before the start that would stop it must be
 * ignored), and the feed is placed both right after and right before a
 * PROT_NONE page, so that a read outside it crashes. Built twice: with
 * SSSE3 (the SIMD path) and without (the scalar path).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "guard_page.h"
#include "http_priv.h"
#include "http_scan.h"

#define MAXN 40 /* bytes scanned */
#define MAXPRE 17 /* bytes of the feed before the scan starts */
#define STOP_ROUGH 100 /* scan_rough(): control characters, DEL and obs-text */

static const uint8_t *front; /* a page whose preceding page is PROT_NONE */

static void
map_front(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *base = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		-1, 0);

	assert_true(base != MAP_FAILED);
	assert_int_equal(mprotect(base, page, PROT_NONE), 0);
	front = base + page;
}

/* what the scan of @p kind must return: the first stop in [q, lim) */
static size_t
ref_scan(const uint8_t *q, size_t n, int kind, int value)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t c = q[i];
		int stop;

		switch (kind) {
		case STOP_NAME:
			stop = !fo_http_name_byte[c];
			break;
		case STOP_CTL:
			stop = value ? !(fo_http_cls[c] & HC_VALUE) : !(fo_http_cls[c] & HC_VALUE) || c == '\t';
			break;
		case STOP_PATH:
			stop = !(fo_http_cls[c] & HC_PATH);
			break;
		case STOP_ROUGH:
			stop = c < 0x20 || c >= 0x7f;
			break;
		default:
			stop = !(fo_http_cls[c] & HC_QUERY);
			break;
		}
		if (stop)
			return i;
	}
	return n;
}

/* every scanner of @p kind on the feed [lo, lo + pre + n), scanning from lo + pre */
static void
check_feed(const uint8_t *lo, size_t pre, size_t n, int kind)
{
	const uint8_t *q = lo + pre, *lim = q + n;
	const uint8_t *last = lim - lo >= 16 ? lim - 16 : NULL;
	size_t want = ref_scan(q, n, kind, 0);
	const uint8_t *got;
#ifdef __SSSE3__
	const struct scan_kit kit = scan_kit();
#endif

	switch (kind) {
	case STOP_NAME:
		got = scan_to(q, lim, lo, STOP_NAME);
		assert_ptr_equal(got, q + want);
		if (last != NULL)
			assert_ptr_equal(scan16(q, lim, last, STOP_NAME), q + want);
		assert_ptr_equal(scan_name(q, lim, lo), q + want);
		break;
	case STOP_CTL:
		got = scan_to(q, lim, lo, STOP_CTL);
		assert_ptr_equal(got, q + want);
		if (last != NULL)
			assert_ptr_equal(scan16(q, lim, last, STOP_CTL), q + want);
		assert_ptr_equal(scan_value(q, lim, lo), q + ref_scan(q, n, kind, 1));
#ifdef __SSSE3__
		if (last != NULL)
			assert_ptr_equal(scan_rough(q, lim, last, &kit), q + ref_scan(q, n, STOP_ROUGH, 0));
#endif
		break;
	case STOP_PATH:
		assert_ptr_equal(scan_to(q, lim, lo, STOP_PATH), q + want);
		assert_ptr_equal(scan_target(q, lim, lo, 0), q + want);
		break;
	default:
		assert_ptr_equal(scan_to(q, lim, lo, STOP_QUERY), q + want);
		assert_ptr_equal(scan_target(q, lim, lo, 1), q + want);
		break;
	}
}

/* the same bytes at both guard pages */
static void
check_both(const uint8_t *bytes, size_t pre, size_t n, int kind)
{
	uint8_t *f = (uint8_t *)(uintptr_t)front;

	memcpy(f, bytes, pre + n);
	check_feed(f, pre, n, kind);
	check_feed(guard_copy(bytes, pre + n), pre, n, kind);
}

/* bytes that stop some scan or sit next to those that do */
static const uint8_t some[] = {0x00, 0x01, '\t', '\n', '\r', 0x1f, ' ', '!', '"', '#', '/', ':',
	'?', '@', '_', '~', 0x7e, 0x7f, 0x80, 0xc3, 0xfe, 0xff};

static void
run_kind(int kind)
{
	static const size_t pres[] = {0, 1, 15, 16, 17};
	uint8_t in[MAXPRE + MAXN];
	size_t pi, n, j;
	unsigned b;

	if (front == NULL)
		map_front();
	for (pi = 0; pi < sizeof(pres) / sizeof(pres[0]); pi++) {
		size_t pre = pres[pi];

		for (n = 0; n <= MAXN; n++) {
			/* before the start: bytes that stop every scan, to be ignored */
			memset(in, 0, pre);
			/* nothing to stop at: the scan runs to lim */
			memset(in + pre, 'a', n);
			check_both(in, pre, n, kind);
			for (j = 0; j < n; j++) {
				/* every byte at the edges of a block, a few that matter elsewhere */
				int all = j % 16 == 0 || j % 16 == 15 || j + 1 == n;

				for (b = 0; b < 256; b++) {
					if (!all && memchr(some, (int)b, sizeof(some)) == NULL)
						continue;
					in[pre + j] = (uint8_t)b;
					/* and a stop after it, which must not be found first */
					if (j + 3 < n)
						in[pre + j + 3] = 0;
					check_both(in, pre, n, kind);
					if (j + 3 < n)
						in[pre + j + 3] = 'a';
				}
				in[pre + j] = 'a';
			}
		}
	}
}

static void
test_scan_name(void **state)
{
	(void)state;
	run_kind(STOP_NAME);
}

static void
test_scan_ctl(void **state)
{
	(void)state;
	run_kind(STOP_CTL);
}

static void
test_scan_path(void **state)
{
	(void)state;
	run_kind(STOP_PATH);
}

static void
test_scan_query(void **state)
{
	(void)state;
	run_kind(STOP_QUERY);
}

/* HTABs are skipped one after another by scan_value, wherever they fall */
static void
test_scan_value_tabs(void **state)
{
	uint8_t in[MAXPRE + MAXN];
	size_t n, j, k;

	(void)state;
	if (front == NULL)
		map_front();
	for (n = 1; n <= MAXN; n++)
		for (j = 0; j < n; j++)
			for (k = j; k < n; k++) {
				memset(in, 0, 3);
				memset(in + 3, 'a', n);
				in[3 + j] = '\t';
				in[3 + k] = k == j ? '\t' : (k % 2 ? '\t' : '\r');
				check_both(in, 3, n, STOP_CTL);
			}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_name),
		cmocka_unit_test(test_scan_ctl),
		cmocka_unit_test(test_scan_path),
		cmocka_unit_test(test_scan_query),
		cmocka_unit_test(test_scan_value_tabs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
