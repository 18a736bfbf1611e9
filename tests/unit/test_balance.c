/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/balance: the pickers on a fake upstream whose servers'
 * usability and load the test sets, and the Maglev table.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fo_balance.h"

#define NMAX 16
#define HZ 1e9 /* fake ticks: ns */

struct fake {
	struct fo_bal_up up;
	struct fo_bal_srv srv[NMAX];
	struct fo_bal_load load[NMAX];
	int down[NMAX];
	unsigned asked[NMAX]; /* times the picker asked about each server */
};

static struct fo_bal_load *
fake_ok(void *arg, unsigned i)
{
	struct fake *f = arg;

	assert_true(i < f->up.n);
	f->asked[i]++;
	return f->down[i] ? NULL : &f->load[i];
}

static void
fake_init(struct fake *f, const uint32_t *w, unsigned n)
{
	unsigned i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < n; i++)
		f->srv[i].weight = w[i];
	fo_bal_up_init(&f->up, f->srv, n, 0);
}

static void
test_rr_nginx_sequence(void **state)
{
	static const uint32_t w[] = {5, 1, 1};
	static const char want[] = "aabacaa"
				   "aabacaa";
	struct fake f;
	char got[sizeof(want)];
	unsigned i;

	(void)state;
	fake_init(&f, w, 3);
	for (i = 0; i < sizeof(want) - 1; i++)
		got[i] = (char)('a' + fo_bal_round_robin(&f.up, fake_ok, &f));
	got[i] = 0;
	assert_string_equal(got, want);
}

/* Smooth weighted round-robin as nginx writes it (every weight read): the reference. */
static uint32_t
ref_round_robin(struct fo_bal_srv *srv, unsigned n, const int *down)
{
	uint32_t best = FO_BAL_NONE;
	int64_t total = 0;

	for (unsigned i = 0; i < n; i++) {
		int64_t w = srv[i].weight != 0 ? srv[i].weight : 1;

		if (down[i])
			continue;
		srv[i].cur += w;
		total += w;
		if (best == FO_BAL_NONE || srv[i].cur > srv[best].cur)
			best = i;
	}
	if (best != FO_BAL_NONE)
		srv[best].cur -= total;
	return best;
}

/*
 * fo_bal_round_robin() over many picks while servers go down and up and
 * weights change (a new fo_bal_up_init(), as a reload does). Unequal
 * weights: the nginx reference, every server asked once per pick. Equal
 * weights (the cursor): nginx's sequence until the first server goes
 * down; then only usable servers, each server asked at most once per
 * pick and only one while all are usable, and over each stretch of fixed
 * health the usable servers' picks differ by at most one (turns).
 */
static void
test_rr_vs_reference(void **state)
{
	struct fake f;
	struct fo_bal_srv ref[NMAX];
	unsigned seed = 2026, same = 0, picks = 0, none = 0, cheap = 0;

	(void)state;
	for (unsigned round = 0; round < 400; round++) {
		uint32_t w[NMAX];
		unsigned n, skew, i, cnt[NMAX] = {0};
		int all_up_so_far = 1;

		seed = seed * 1103515245u + 12345u;
		n = 1 + (seed >> 16) % 6;
		skew = (seed >> 8) % 7;
		for (i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			/* mostly equal weights (0 counts as 1), sometimes not */
			w[i] = round % 4 == 3   ? (seed >> 16) % 4
			       : round % 4 == 2 ? 0
						: 1 + round % 3;
		}
		fake_init(&f, w, n);
		fo_bal_up_init(&f.up, f.srv, n, skew);
		same += f.up.same_weight != 0;
		memcpy(ref, f.srv, sizeof(ref));
		for (unsigned k = 0; k < 300; k++) {
			unsigned asked[NMAX], n_asked = 0, usable = 0, lo = ~0u, hi = 0;
			uint32_t got, want;

			if (k % 17 == 0) {
				/* a stretch of fixed health ended: turns among the usable */
				for (i = 0; f.up.same_weight != 0 && k != 0 && i < n; i++) {
					if (f.down[i])
						continue;
					lo = cnt[i] < lo ? cnt[i] : lo;
					hi = cnt[i] > hi ? cnt[i] : hi;
				}
				if (lo != ~0u)
					assert_true(hi - lo <= 1);
				memset(cnt, 0, sizeof(cnt));
				/* health changes: each server down with probability 1/4 */
				for (i = 0; i < n; i++) {
					seed = seed * 1103515245u + 12345u;
					f.down[i] = (seed >> 16) % 4 == 0;
					all_up_so_far &= !f.down[i];
				}
			}
			memcpy(asked, f.asked, sizeof(asked));
			got = fo_bal_round_robin(&f.up, fake_ok, &f);
			want = ref_round_robin(ref, n, f.down);
			for (i = 0; i < n; i++) {
				n_asked += f.asked[i] - asked[i];
				usable += !f.down[i];
			}
			if (f.up.same_weight == 0 || all_up_so_far)
				assert_int_equal(got, want);
			if (f.up.same_weight == 0) {
				for (i = 0; i < n; i++) {
					assert_int_equal(f.asked[i], asked[i] + 1);
					assert_true(f.srv[i].cur == ref[i].cur);
				}
			} else {
				for (i = 0; i < n; i++)
					assert_true(f.asked[i] <= asked[i] + 1);
				if (usable == n)
					assert_int_equal(n_asked, 1);
				if (usable == 0)
					assert_int_equal(n_asked, n);
				cheap += n_asked < n;
			}
			if (got != FO_BAL_NONE) {
				assert_true(got < n);
				assert_false(f.down[got]);
				cnt[got]++;
			} else {
				assert_int_equal(usable, 0);
			}
			picks++;
			none += got == FO_BAL_NONE;
		}
	}
	assert_true(same > 250 && same < 400); /* both paths taken */
	assert_true(none > 0 && none < picks / 10);
	assert_true(cheap > picks / 2); /* the cursor asked fewer than all, mostly */
}

/* picks of each server over @p n picks by @p fn, within 5 % of its weight's share */
static void
check_shares(struct fake *f, const uint32_t *w, unsigned ns, unsigned n, unsigned *cnt)
{
	uint32_t total = 0;
	unsigned i;

	for (i = 0; i < ns; i++)
		total += w[i];
	for (i = 0; i < ns; i++) {
		double want = (double)n * w[i] / total;

		if (cnt[i] < want * 0.95 || cnt[i] > want * 1.05)
			fail_msg("server %u: %u picks of %u, want %.0f (weight %u of %u)", i,
				cnt[i], n, want, w[i], total);
	}
	(void)f;
}

static void
test_rr_shares(void **state)
{
	static const uint32_t w[] = {3, 1, 2, 7, 1};
	unsigned cnt[5] = {0}, i;
	struct fake f;

	(void)state;
	fake_init(&f, w, 5);
	for (i = 0; i < 10000; i++)
		cnt[fo_bal_round_robin(&f.up, fake_ok, &f)]++;
	check_shares(&f, w, 5, 10000, cnt);
}

static void
test_rr_skips_unusable(void **state)
{
	static const uint32_t w[] = {1, 1, 1};
	unsigned cnt[3] = {0}, i;
	struct fake f;

	(void)state;
	fake_init(&f, w, 3);
	f.down[1] = 1;
	for (i = 0; i < 100; i++)
		cnt[fo_bal_round_robin(&f.up, fake_ok, &f)]++;
	assert_int_equal(cnt[1], 0);
	assert_int_equal(cnt[0], 50);
	assert_int_equal(cnt[2], 50);
	/* none usable: NONE, after asking about each */
	f.down[0] = f.down[2] = 1;
	memset(f.asked, 0, sizeof(f.asked));
	assert_int_equal(fo_bal_round_robin(&f.up, fake_ok, &f), FO_BAL_NONE);
	assert_true(f.asked[0] && f.asked[1] && f.asked[2]);
}

/*
 * fo_bal_rr_first() names the server equal-weight round-robin asks first,
 * and fo_bal_rr_take() of it makes the pick fo_bal_round_robin() makes:
 * two pickers, one taking the shortcut whenever that server is usable,
 * pick the same sequence (with a server going down and up, and a cursor
 * left past a shrunk n).
 */
static void
test_rr_first_take(void **state)
{
	static const uint32_t w[] = {2, 2, 2, 2, 2};
	struct fake a, b;
	unsigned i, k;

	(void)state;
	fake_init(&a, w, 5);
	fake_init(&b, w, 5);
	fo_bal_up_init(&a.up, a.srv, 5, 3);
	fo_bal_up_init(&b.up, b.srv, 5, 3);
	assert_int_not_equal(a.up.same_weight, 0);
	for (i = 0; i < 200; i++) {
		uint32_t pa, pb;

		a.down[2] = b.down[2] = (i / 7) % 2;
		a.down[4] = b.down[4] = (i / 11) % 3 == 0;
		if (i == 150)
			a.up.next = b.up.next = 9; /* as after n shrank under the cursor */
		pa = fo_bal_round_robin(&a.up, fake_ok, &a);
		k = fo_bal_rr_first(&b.up);
		assert_true(k < b.up.n);
		pb = !b.down[k] ? fo_bal_rr_take(&b.up, k) : fo_bal_round_robin(&b.up, fake_ok, &b);
		assert_int_equal(pa, pb);
		assert_int_equal(a.up.next, b.up.next);
	}
}

static void
test_rr_skew(void **state)
{
	static const uint32_t w[] = {1, 1, 1, 1};
	struct fake f;
	unsigned first[4] = {0}, k;

	(void)state;
	/* four workers start at four different servers */
	for (k = 0; k < 4; k++) {
		fake_init(&f, w, 4);
		fo_bal_up_init(&f.up, f.srv, 4, k);
		first[fo_bal_round_robin(&f.up, fake_ok, &f)]++;
	}
	for (k = 0; k < 4; k++)
		assert_int_equal(first[k], 1);
}

static void
test_random_shares(void **state)
{
	static const uint32_t w[] = {1, 4, 2, 3};
	struct fo_bal_worker wk;
	unsigned cnt[4] = {0}, i;
	struct fake f;

	(void)state;
	fake_init(&f, w, 4);
	fo_bal_worker_init(&wk, 7, HZ);
	for (i = 0; i < 100000; i++)
		cnt[fo_bal_random(&wk, &f.up, fake_ok, &f)]++;
	check_shares(&f, w, 4, 100000, cnt);
	/* an unusable one is never picked */
	f.down[1] = 1;
	memset(cnt, 0, sizeof(cnt));
	for (i = 0; i < 1000; i++)
		cnt[fo_bal_random(&wk, &f.up, fake_ok, &f)]++;
	assert_int_equal(cnt[1], 0);
	f.down[0] = f.down[2] = f.down[3] = 1;
	assert_int_equal(fo_bal_random(&wk, &f.up, fake_ok, &f), FO_BAL_NONE);
}

static void
test_least_conn(void **state)
{
	static const uint32_t w[] = {1, 1, 1};
	static const uint32_t w2[] = {2, 1};
	unsigned cnt[3] = {0}, i;
	struct fake f;

	(void)state;
	fake_init(&f, w, 3);
	f.load[0].inflight = 5;
	f.load[1].inflight = 1;
	f.load[2].inflight = 3;
	assert_int_equal(fo_bal_least_conn(&f.up, fake_ok, &f), 1);
	f.down[1] = 1;
	assert_int_equal(fo_bal_least_conn(&f.up, fake_ok, &f), 2);
	/* every pick holds its request: the counts even out */
	f.down[1] = 0;
	for (i = 0; i < 9; i++)
		f.load[fo_bal_least_conn(&f.up, fake_ok, &f)].inflight++;
	assert_int_equal(f.load[0].inflight, 6);
	assert_int_equal(f.load[1].inflight, 6);
	assert_int_equal(f.load[2].inflight, 6);
	/* equal loads: round-robin among them (its state carries the earlier
	 * ties, so a server may be one pick ahead) */
	memset(cnt, 0, sizeof(cnt));
	for (i = 0; i < 30; i++)
		cnt[fo_bal_least_conn(&f.up, fake_ok, &f)]++;
	for (i = 0; i < 3; i++)
		assert_true(cnt[i] >= 9 && cnt[i] <= 11);
	/* per weight: 4 on a weight-2 server is as loaded as 2 on a weight-1 one */
	fake_init(&f, w2, 2);
	f.load[0].inflight = 3;
	f.load[1].inflight = 2;
	assert_int_equal(fo_bal_least_conn(&f.up, fake_ok, &f), 0);
	f.load[0].inflight = 5;
	assert_int_equal(fo_bal_least_conn(&f.up, fake_ok, &f), 1);
	f.down[0] = f.down[1] = 1;
	assert_int_equal(fo_bal_least_conn(&f.up, fake_ok, &f), FO_BAL_NONE);
}

static void
test_ewma_update(void **state)
{
	struct fo_bal_load l;
	double decay = 10 * HZ;

	(void)state;
	memset(&l, 0, sizeof(l));
	fo_bal_ewma_update(&l, 1000, 5000000, decay);
	assert_true(l.ewma == 5000000.0); /* first sample taken whole */
	/* one decay time later: e^-1 of the old value stays */
	fo_bal_ewma_update(&l, 1000 + (uint64_t)decay, 0, decay);
	assert_true(l.ewma > 5000000.0 * 0.3678 && l.ewma < 5000000.0 * 0.3680);
	/* the score decays with time alone */
	assert_true(fo_bal_ewma_score(&l, 1000 + 2 * (uint64_t)decay, decay) < l.ewma * 0.37);
}

static void
test_ewma_prefers_fast(void **state)
{
	static const uint32_t w[] = {1, 1, 1, 1};
	struct fo_bal_worker wk;
	unsigned cnt[4] = {0}, i;
	uint64_t now = 1000000;
	struct fake f;

	(void)state;
	fake_init(&f, w, 4);
	fo_bal_worker_init(&wk, 3, HZ);
	/* server 2 answers in 1 ms, the others in 50 ms: fed what they answer */
	for (i = 0; i < 4000; i++) {
		unsigned s = fo_bal_ewma(&wk, &f.up, now, fake_ok, &f);

		cnt[s]++;
		fo_bal_ewma_update(&f.load[s], now, s == 2 ? 1000000 : 50000000, wk.decay);
		now += 1000000; /* a request per ms */
	}
	/* two choices: the fast one wins whenever it is drawn (half the time with 4) */
	assert_true(cnt[2] > 1800);
	assert_true(cnt[2] > 2 * cnt[0] && cnt[2] > 2 * cnt[1] && cnt[2] > 2 * cnt[3]);
	/* an unusable fast one is not picked */
	f.down[2] = 1;
	for (i = 0; i < 100; i++)
		assert_int_not_equal(fo_bal_ewma(&wk, &f.up, now, fake_ok, &f), 2);
	f.down[0] = f.down[1] = f.down[3] = 1;
	assert_int_equal(fo_bal_ewma(&wk, &f.up, now, fake_ok, &f), FO_BAL_NONE);
}

/* ---- Maglev ---- */

#define M FO_BAL_MAGLEV_SIZE

static uint64_t
ep_id(unsigned i)
{
	/* 10.0.0.i:8080, network order */
	uint32_t a = (10u << 24) | (i + 1);
	uint32_t be = ((a & 0xff) << 24) | ((a & 0xff00) << 8) | ((a >> 8) & 0xff00) | (a >> 24);

	return fo_bal_endpoint_id(be, 8080);
}

static void
test_hash64_stable(void **state)
{
	uint64_t seen[64];
	uint8_t buf[40];
	unsigned i, j;

	(void)state;
	/* fixed values: the same on every worker, run and build (sticky cookies
	 * carry endpoint ids: a change here unpins every client) */
	assert_true(fo_bal_hash64("abc", 3) == 0xc570fbe00c8aebc7ull);
	assert_true(fo_bal_hash64("user-12345678901", 16) == 0x57ebcbf8484dfc34ull);
	/* 198.18.18.11:8000 */
	assert_true(fo_bal_endpoint_id(0x0b1212c6u, 8000) == 0xc751660b8ed1748eull);
	/* every length of zeros, and every single bit flipped, gives another value */
	memset(buf, 0, sizeof(buf));
	for (i = 0; i < 40; i++) {
		seen[i] = fo_bal_hash64(buf, i);
		for (j = 0; j < i; j++)
			assert_true(seen[i] != seen[j]);
	}
	for (i = 0; i < 16 * 8; i += 5) {
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_true(fo_bal_hash64(buf, 16) != seen[16]);
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	assert_true(fo_bal_hash64("abc", 3) != fo_bal_hash64("abd", 3));
	assert_true(fo_bal_hash64("", 0) != fo_bal_hash64("\0", 1));
	assert_true(fo_bal_endpoint_id(0x0100000a, 80) != fo_bal_endpoint_id(0x0100000a, 81));
	assert_true(fo_bal_endpoint_id(0x0100000a, 80) != 0);
}

static void
test_maglev_agree_and_remap(void **state)
{
	uint16_t *t1 = malloc(M * 2), *t2 = malloc(M * 2), *t3 = malloc(M * 2);
	uint64_t ids[10], ids9[9];
	unsigned i, moved = 0, cnt[10] = {0};
	struct fake f;
	static const uint32_t w[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};

	(void)state;
	assert_non_null(t1);
	assert_non_null(t2);
	assert_non_null(t3);
	for (i = 0; i < 10; i++)
		ids[i] = ep_id(i);
	assert_int_equal(fo_bal_maglev_build(t1, M, ids, NULL, 10), 0);
	assert_int_equal(fo_bal_maglev_build(t2, M, ids, NULL, 10), 0);
	/* two tables built apart agree entry for entry */
	assert_memory_equal(t1, t2, M * 2);
	for (i = 0; i < M; i++)
		cnt[t1[i]]++;
	for (i = 0; i < 10; i++)
		assert_true(cnt[i] > M / 10 * 0.95 && cnt[i] < M / 10 * 1.05);
	/* server 4 removed: at most 12 % of 10,000 keys move */
	for (i = 0, moved = 0; i < 10; i++)
		if (i != 4)
			ids9[moved++] = ids[i];
	assert_int_equal(fo_bal_maglev_build(t3, M, ids9, NULL, 9), 0);
	fake_init(&f, w, 10);
	moved = 0;
	for (i = 0; i < 10000; i++) {
		char key[32];
		uint64_t h;
		uint32_t a, b;

		snprintf(key, sizeof(key), "user-%u", i);
		h = fo_bal_hash64(key, strlen(key));
		a = t1[h % M];
		b = t3[h % M];
		b = b >= 4 ? b + 1 : b; /* back to the 10-server numbering */
		moved += a != b;
	}
	assert_true(moved <= 1200);
	assert_true(moved >= 800); /* server 4's own keys at least */
	free(t1);
	free(t2);
	free(t3);
}

static void
test_maglev_weights(void **state)
{
	static const uint32_t w[4] = {1, 2, 3, 4};
	uint16_t *t = malloc(M * 2);
	uint64_t ids[4];
	unsigned i, cnt[4] = {0};

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 4; i++)
		ids[i] = ep_id(i);
	assert_int_equal(fo_bal_maglev_build(t, M, ids, w, 4), 0);
	for (i = 0; i < M; i++) {
		assert_true(t[i] < 4);
		cnt[t[i]]++;
	}
	for (i = 0; i < 4; i++) {
		double want = (double)M * w[i] / 10;

		if (cnt[i] < want * 0.95 || cnt[i] > want * 1.05)
			fail_msg("server %u (weight %u): %u entries, want %.0f", i, w[i], cnt[i],
				want);
	}
	assert_int_equal(fo_bal_maglev_build(t, M, ids, w, 0), -EINVAL);
	assert_int_equal(fo_bal_maglev_build(t, 3, ids, w, 4), -EINVAL);
	free(t);
}

static void
test_hash_pick(void **state)
{
	static const uint32_t w[5] = {1, 1, 1, 1, 1};
	uint16_t *t = malloc(M * 2);
	uint64_t ids[5];
	unsigned i, same = 0;
	struct fake f;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 5; i++)
		ids[i] = ep_id(i);
	assert_int_equal(fo_bal_maglev_build(t, M, ids, NULL, 5), 0);
	fake_init(&f, w, 5);
	f.up.maglev = t;
	f.up.maglev_size = M;
	for (i = 0; i < 1000; i++) {
		uint64_t h = fo_bal_hash64(&i, sizeof(i));
		uint32_t a = fo_bal_hash(&f.up, h, fake_ok, &f);

		assert_int_equal(a, t[h % M]);
		/* server 2 down: its keys move, the others stay */
		f.down[2] = 1;
		if (a == 2)
			assert_int_not_equal(fo_bal_hash(&f.up, h, fake_ok, &f), 2);
		else
			same += fo_bal_hash(&f.up, h, fake_ok, &f) == a;
		f.down[2] = 0;
		if (a == 2)
			same++;
	}
	assert_int_equal(same, 1000);
	/* every server down: NONE, each asked */
	memset(f.asked, 0, sizeof(f.asked));
	for (i = 0; i < 5; i++)
		f.down[i] = 1;
	assert_int_equal(fo_bal_hash(&f.up, 12345, fake_ok, &f), FO_BAL_NONE);
	for (i = 0; i < 5; i++)
		assert_true(f.asked[i] >= 1);
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rr_nginx_sequence),
		cmocka_unit_test(test_rr_shares),
		cmocka_unit_test(test_rr_skips_unusable),
		cmocka_unit_test(test_rr_skew),
		cmocka_unit_test(test_rr_first_take),
		cmocka_unit_test(test_rr_vs_reference),
		cmocka_unit_test(test_random_shares),
		cmocka_unit_test(test_least_conn),
		cmocka_unit_test(test_ewma_update),
		cmocka_unit_test(test_ewma_prefers_fast),
		cmocka_unit_test(test_hash64_stable),
		cmocka_unit_test(test_maglev_agree_and_remap),
		cmocka_unit_test(test_maglev_weights),
		cmocka_unit_test(test_hash_pick),
	};

	return cmocka_run_group_tests_name("balance", tests, NULL, NULL);
}
