/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests: SYN cookies, cookie timestamps, secure ISNs (lib/tcp/tcp_syncookie.c)
 * and the fake mbuf pool the other lib/tcp tests rely on (fake_pool.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "fake_pool.h"
#include "tcp_syncookie.h"

/* Deterministic PRNG (xorshift64*): tests are reproducible. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd64(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint32_t
rnd32(void)
{
	return (uint32_t)(rnd64() >> 32);
}

/* ------------------------------------------------------------------ */
/* fake_pool self-test                                                 */
/* ------------------------------------------------------------------ */

static void
fill(struct rte_mbuf *m, uint16_t len, uint8_t seed)
{
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, len);
	uint16_t i;

	assert_non_null(p);
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i);
}

static void
test_pool_alloc_free(void **state)
{
	struct rte_mempool *mp = fake_pool_create("t", 8, RTE_MBUF_DEFAULT_BUF_SIZE);
	struct rte_mbuf *m[9];
	unsigned i;

	(void)state;
	assert_non_null(mp);
	assert_int_equal(fake_pool_in_use(mp), 0);
	assert_int_equal(fake_pool_avail(mp), 8);
	assert_int_equal(rte_mempool_avail_count(mp), 8);
	for (i = 0; i < 8; i++) {
		m[i] = rte_pktmbuf_alloc(mp);
		assert_non_null(m[i]);
		assert_true(fake_pool_owns(mp, m[i]));
		assert_ptr_equal(m[i]->pool, mp);
		assert_int_equal(m[i]->data_off, RTE_PKTMBUF_HEADROOM);
		assert_int_equal(m[i]->buf_len, RTE_MBUF_DEFAULT_BUF_SIZE);
		assert_int_equal(m[i]->priv_size, 0);
		assert_int_equal(rte_mbuf_refcnt_read(m[i]), 1);
		assert_int_equal(m[i]->nb_segs, 1);
		assert_int_equal(m[i]->pkt_len, 0);
		assert_null(m[i]->next);
		assert_ptr_equal(m[i]->buf_addr, (char *)m[i] + sizeof(struct rte_mbuf));
		assert_int_equal(rte_pktmbuf_tailroom(m[i]),
			RTE_MBUF_DEFAULT_BUF_SIZE - RTE_PKTMBUF_HEADROOM);
		assert_int_equal(rte_mbuf_data_iova(m[i]),
			(rte_iova_t)(uintptr_t)rte_pktmbuf_mtod(m[i], char *));
		/* the whole buffer is writable */
		memset(m[i]->buf_addr, 0x5a, m[i]->buf_len);
	}
	assert_int_equal(fake_pool_in_use(mp), 8);
	assert_int_equal(fake_pool_avail(mp), 0);
	m[8] = rte_pktmbuf_alloc(mp);
	assert_null(m[8]);
	assert_int_equal(fake_pool_failures(mp), 1);
	for (i = 0; i < 8; i++)
		rte_pktmbuf_free(m[i]);
	assert_int_equal(fake_pool_in_use(mp), 0);
	assert_int_equal(rte_mempool_avail_count(mp), 8);
	assert_int_equal(rte_mempool_in_use_count(mp), 0);
	/* recycled mbufs come back reset */
	m[0] = rte_pktmbuf_alloc(mp);
	assert_non_null(m[0]);
	assert_int_equal(m[0]->data_len, 0);
	assert_int_equal(m[0]->data_off, RTE_PKTMBUF_HEADROOM);
	rte_pktmbuf_free(m[0]);
	assert_false(fake_pool_owns(mp, (struct rte_mbuf *)&mp));
	fake_pool_free(mp);
}

static void
test_pool_data_ops(void **state)
{
	struct rte_mempool *mp = fake_pool_create("t", 4, 512);
	struct rte_mbuf *m;
	char *p;

	(void)state;
	m = rte_pktmbuf_alloc(mp);
	assert_non_null(m);
	fill(m, 100, 0);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 100);
	p = rte_pktmbuf_prepend(m, 20);
	assert_non_null(p);
	assert_int_equal(m->data_off, RTE_PKTMBUF_HEADROOM - 20);
	assert_int_equal(rte_pktmbuf_data_len(m), 120);
	assert_non_null(rte_pktmbuf_adj(m, 30));
	assert_int_equal(rte_pktmbuf_pkt_len(m), 90);
	assert_int_equal(*rte_pktmbuf_mtod(m, uint8_t *), 10);
	assert_int_equal(rte_pktmbuf_trim(m, 40), 0);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 50);
	/* beyond the room */
	assert_null(rte_pktmbuf_append(m, 512));
	assert_null(rte_pktmbuf_prepend(m, 1000));
	assert_int_equal(rte_pktmbuf_trim(m, 51), -1);
	rte_pktmbuf_free(m);
	assert_int_equal(fake_pool_in_use(mp), 0);
	fake_pool_free(mp);
}

static void
test_pool_chain(void **state)
{
	struct rte_mempool *mp = fake_pool_create("t", 8, 256);
	struct rte_mbuf *a, *b, *c;
	uint8_t out[300];
	const uint8_t *r;

	(void)state;
	a = rte_pktmbuf_alloc(mp);
	b = rte_pktmbuf_alloc(mp);
	c = rte_pktmbuf_alloc(mp);
	fill(a, 100, 0);
	fill(b, 100, 100);
	fill(c, 50, 200);
	assert_int_equal(rte_pktmbuf_chain(a, b), 0);
	assert_int_equal(rte_pktmbuf_chain(a, c), 0);
	assert_int_equal(a->nb_segs, 3);
	assert_int_equal(rte_pktmbuf_pkt_len(a), 250);
	assert_ptr_equal(rte_pktmbuf_lastseg(a), c);
	r = rte_pktmbuf_read(a, 90, 20, out);
	assert_non_null(r);
	assert_int_equal(r[0], 90);
	assert_int_equal(r[19], 109);
	assert_int_equal(fake_pool_in_use(mp), 3);
	rte_pktmbuf_free(a); /* frees the whole chain */
	assert_int_equal(fake_pool_in_use(mp), 0);
	fake_pool_free(mp);
}

static void
test_pool_clone(void **state)
{
	struct rte_mempool *mp = fake_pool_create("t", 8, 256);
	struct rte_mempool *ind = fake_pool_create("ind", 8, 0);
	struct rte_mbuf *a, *b, *cl;

	(void)state;
	assert_non_null(ind);
	a = rte_pktmbuf_alloc(mp);
	b = rte_pktmbuf_alloc(mp);
	fill(a, 60, 1);
	fill(b, 40, 2);
	assert_int_equal(rte_pktmbuf_chain(a, b), 0);
	cl = rte_pktmbuf_clone(a, ind);
	assert_non_null(cl);
	assert_int_equal(fake_pool_in_use(ind), 2);
	assert_int_equal(cl->nb_segs, 2);
	assert_int_equal(rte_pktmbuf_pkt_len(cl), 100);
	assert_true(RTE_MBUF_CLONED(cl));
	assert_ptr_equal(rte_pktmbuf_mtod(cl, char *), rte_pktmbuf_mtod(a, char *));
	assert_int_equal(rte_mbuf_refcnt_read(a), 2);
	assert_int_equal(rte_mbuf_refcnt_read(b), 2);
	/* original freed first: data lives on in the clone */
	rte_pktmbuf_free(a);
	assert_int_equal(fake_pool_in_use(mp), 2);
	assert_int_equal(*rte_pktmbuf_mtod(cl, uint8_t *), 1);
	assert_int_equal(*rte_pktmbuf_mtod(cl->next, uint8_t *), 2);
	rte_pktmbuf_free(cl);
	assert_int_equal(fake_pool_in_use(mp), 0);
	assert_int_equal(fake_pool_in_use(ind), 0);

	/* clone freed first */
	a = rte_pktmbuf_alloc(mp);
	fill(a, 10, 3);
	cl = rte_pktmbuf_clone(a, ind);
	assert_non_null(cl);
	rte_pktmbuf_free(cl);
	assert_int_equal(rte_mbuf_refcnt_read(a), 1);
	assert_int_equal(fake_pool_in_use(ind), 0);
	rte_pktmbuf_free(a);
	assert_int_equal(fake_pool_in_use(mp), 0);
	fake_pool_free(ind);
	fake_pool_free(mp);
}

static void
test_pool_attach_detach(void **state)
{
	struct rte_mempool *mp = fake_pool_create("t", 4, 256);
	struct rte_mbuf *md, *mi;
	void *own;

	(void)state;
	md = rte_pktmbuf_alloc(mp);
	mi = rte_pktmbuf_alloc(mp);
	own = mi->buf_addr;
	fill(md, 30, 7);
	rte_pktmbuf_attach(mi, md);
	assert_true(RTE_MBUF_CLONED(mi));
	assert_int_equal(rte_mbuf_refcnt_read(md), 2);
	assert_ptr_equal(rte_mbuf_from_indirect(mi), md);
	assert_int_equal(rte_pktmbuf_data_len(mi), 30);
	/* narrowing the indirect view leaves the direct one alone */
	assert_non_null(rte_pktmbuf_adj(mi, 10));
	assert_int_equal(*rte_pktmbuf_mtod(mi, uint8_t *), 17);
	assert_int_equal(rte_pktmbuf_data_len(md), 30);
	rte_pktmbuf_detach(mi);
	assert_true(RTE_MBUF_DIRECT(mi));
	assert_ptr_equal(mi->buf_addr, own);
	assert_int_equal(mi->buf_iova, (rte_iova_t)(uintptr_t)mi + sizeof(struct rte_mbuf));
	assert_int_equal(rte_mbuf_refcnt_read(md), 1);
	rte_pktmbuf_free(mi);
	rte_pktmbuf_free(md);
	assert_int_equal(fake_pool_in_use(mp), 0);

	/* direct freed while attached: the last indirect free returns it */
	md = rte_pktmbuf_alloc(mp);
	mi = rte_pktmbuf_alloc(mp);
	fill(md, 5, 0);
	rte_pktmbuf_attach(mi, md);
	rte_pktmbuf_free(md);
	assert_int_equal(fake_pool_in_use(mp), 2);
	rte_pktmbuf_free(mi);
	assert_int_equal(fake_pool_in_use(mp), 0);
	fake_pool_free(mp);
}

static void
test_pool_free_bulk(void **state)
{
	struct rte_mempool *mp = fake_pool_create("t", 16, 256);
	struct rte_mempool *mp2 = fake_pool_create("t2", 4, 256);
	struct rte_mbuf *m[8];
	unsigned i;

	(void)state;
	assert_int_equal(rte_pktmbuf_alloc_bulk(mp, m, 6), 0);
	assert_int_equal(fake_pool_in_use(mp), 6);
	for (i = 0; i < 6; i++)
		fill(m[i], 10, (uint8_t)i);
	assert_int_equal(rte_pktmbuf_chain(m[0], m[5]), 0);
	m[5] = rte_pktmbuf_clone(m[1], mp2); /* mixed pools in one bulk */
	assert_non_null(m[5]);
	m[6] = NULL; /* NULLs are skipped */
	m[7] = rte_pktmbuf_alloc(mp2);
	rte_pktmbuf_free_bulk(m, 8);
	assert_int_equal(fake_pool_in_use(mp), 0);
	assert_int_equal(fake_pool_in_use(mp2), 0);
	/* all or nothing */
	assert_int_not_equal(rte_pktmbuf_alloc_bulk(mp2, m, 5), 0);
	assert_int_equal(fake_pool_in_use(mp2), 0);
	fake_pool_free(mp2);
	fake_pool_free(mp);
}

static void
test_pool_fail_injection(void **state)
{
	struct rte_mempool *mp = fake_pool_create("t", 8, 256);
	struct rte_mbuf *a, *b, *arr[3];

	(void)state;
	a = rte_pktmbuf_alloc(mp);
	assert_non_null(a);
	fake_pool_fail_next(mp, 3);
	assert_null(rte_pktmbuf_alloc(mp));
	assert_null(rte_pktmbuf_clone(a, mp)); /* a failed clone leaks nothing */
	assert_int_equal(rte_mbuf_refcnt_read(a), 1);
	assert_int_not_equal(rte_pktmbuf_alloc_bulk(mp, arr, 3), 0);
	assert_int_equal(fake_pool_failures(mp), 3);
	assert_int_equal(fake_pool_in_use(mp), 1);
	b = rte_pktmbuf_alloc(mp); /* injection used up */
	assert_non_null(b);
	fake_pool_fail_next(mp, 5);
	fake_pool_fail_next(mp, 0); /* cancelled */
	rte_pktmbuf_free(b);
	b = rte_pktmbuf_alloc(mp);
	assert_non_null(b);
	rte_pktmbuf_free(b);
	rte_pktmbuf_free(a);
	assert_int_equal(fake_pool_in_use(mp), 0);
	fake_pool_free(mp);
}

static void
test_pool_priv(void **state)
{
	struct rte_mempool *mp = fake_pool_create_priv("p", 2, 64, 512);
	struct rte_mbuf *m;

	(void)state;
	assert_null(fake_pool_create_priv("bad", 2, 3, 512));
	assert_non_null(mp);
	assert_int_equal(rte_pktmbuf_priv_size(mp), 64);
	assert_int_equal(rte_pktmbuf_data_room_size(mp), 512);
	m = rte_pktmbuf_alloc(mp);
	assert_non_null(m);
	assert_int_equal(m->priv_size, 64);
	assert_ptr_equal(rte_mbuf_to_priv(m), (char *)m + sizeof(*m));
	assert_ptr_equal(m->buf_addr, (char *)m + sizeof(*m) + 64);
	memset(rte_mbuf_to_priv(m), 0xee, 64);
	rte_pktmbuf_free(m);
	assert_int_equal(fake_pool_in_use(mp), 0);
	fake_pool_free(mp);
}

/* Misuse is fatal: run it in a child and expect it not to exit cleanly. */
static int
child_fails(void (*fn)(void))
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0)
			dup2(fd, 2);
		fn();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
double_free(void)
{
	struct rte_mempool *mp = fake_pool_create("t", 2, 256);
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

	rte_pktmbuf_free(m);
	rte_mempool_put(mp, m); /* raw put: no mbuf field read before the check */
}

static void
foreign_free(void)
{
	struct rte_mempool *mp = fake_pool_create("t", 2, 256);
	struct rte_mempool *mp2 = fake_pool_create("t2", 2, 256);
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp2);

	rte_mempool_put(mp, m);
}

static void
chained_free(void)
{
	struct rte_mempool *mp = fake_pool_create("t", 2, 256);
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

	m->nb_segs = 2; /* corrupt: raw put of a "chained" mbuf */
	rte_mempool_put(mp, m);
}

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif

#ifdef HAVE_ASAN
static void
use_after_free(void)
{
	struct rte_mempool *mp = fake_pool_create("t", 2, 256);
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	volatile uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);

	rte_pktmbuf_free(m);
	p[0] = 1;
}
#endif

static void
test_pool_misuse_detected(void **state)
{
	struct rte_mempool *mp = fake_pool_create("t", 2, 256);
	struct rte_mbuf *m;

	(void)state;
	/* the sane sequence passes in a child too (the check is meaningful) */
	m = rte_pktmbuf_alloc(mp);
	rte_pktmbuf_free(m);
	fake_pool_free(mp);
	assert_true(child_fails(double_free));
	assert_true(child_fails(foreign_free));
	assert_true(child_fails(chained_free));
#ifdef HAVE_ASAN
	/* free objects are poisoned: ASan reports any use after the last free */
	assert_true(child_fails(use_after_free));
#endif
}

/* ------------------------------------------------------------------ */
/* SipHash, cookies, timestamps, ISNs                                  */
/* ------------------------------------------------------------------ */

static const uint8_t secret_a[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static const uint8_t secret_b[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16};

struct tuple {
	rte_be32_t saddr, daddr;
	rte_be16_t sport, dport;
};

static struct tuple
rnd_tuple(void)
{
	struct tuple t = {
		.saddr = rte_cpu_to_be_32(0xc6120000u | (rnd32() & 0x1ffff)),
		.daddr = rte_cpu_to_be_32(0xc6120001u),
		.sport = rte_cpu_to_be_16((uint16_t)rnd32()),
		.dport = rte_cpu_to_be_16(80),
	};
	return t;
}

static uint32_t
make(const struct tcp_syncookie_ctx *k, const struct tuple *t, uint32_t isn, uint16_t mss,
	uint32_t now, uint16_t *used)
{
	return tcp_syncookie_make(k, t->saddr, t->daddr, t->sport, t->dport, isn, mss, now, used);
}

static int
check(const struct tcp_syncookie_ctx *k, const struct tuple *t, uint32_t isn, uint32_t cookie,
	uint32_t now, uint16_t *mss)
{
	return tcp_syncookie_check(
		k, t->saddr, t->daddr, t->sport, t->dport, isn, cookie, now, mss);
}

static void
test_siphash_vectors(void **state)
{
	/* Reference vectors of the SipHash paper (key 00..0f, message 00..len-1). */
	static const uint64_t expect[16] = {
		0x726fdb47dd0e0e31ull,
		0x74f839c593dc67fdull,
		0x0d6c8009d9a94f5aull,
		0x85676696d7fb7e2dull,
		0xcf2794e0277187b7ull,
		0x18765564cd99a68dull,
		0xcbc9466e58fee3ceull,
		0xab0200f58b01d137ull,
		0x93f5f5799a932462ull,
		0x9e0082df0ba9e4b0ull,
		0x7a5dbbc594ddb9f3ull,
		0xf4b32f46226bada7ull,
		0x751e8fbc860ee5fbull,
		0x14ea5627c0843d90ull,
		0xf723ca908e7af2eeull,
		0xa129ca6149be45e5ull,
	};
	struct tcp_syncookie_ctx k;
	uint8_t msg[16];
	unsigned i;

	(void)state;
	tcp_syncookie_init(&k, secret_a);
	for (i = 0; i < 16; i++)
		msg[i] = (uint8_t)i;
	for (i = 0; i < 16; i++)
		assert_int_equal(tcp_siphash(&k, msg, i), expect[i]);
}

static void
test_cookie_round_trip(void **state)
{
	static const struct {
		uint16_t in, used;
	} mss_cases[] = {
		{0, 536},
		{500, 536},
		{536, 536},
		{1299, 536},
		{1300, 1300},
		{1439, 1300},
		{1440, 1440},
		{1459, 1440},
		{1460, 1460},
		{8959, 1460},
		{8960, 8960},
		{65535, 8960},
	};
	struct tcp_syncookie_ctx k;
	unsigned i, j;

	(void)state;
	tcp_syncookie_init(&k, secret_a);
	for (i = 0; i < RTE_DIM(mss_cases); i++) {
		for (j = 0; j < 2000; j++) {
			struct tuple t = rnd_tuple();
			uint32_t isn = rnd32(), now = rnd32(), cookie;
			uint16_t used = 0, got = 0;

			cookie = make(&k, &t, isn, mss_cases[i].in, now, &used);
			assert_int_equal(used, mss_cases[i].used);
			assert_int_equal(check(&k, &t, isn, cookie, now, &got), 0);
			assert_int_equal(got, mss_cases[i].used);
			/* deterministic: same inputs, same cookie */
			assert_int_equal(make(&k, &t, isn, mss_cases[i].in, now, NULL), cookie);
			/* NULL out-pointers are allowed */
			assert_int_equal(check(&k, &t, isn, cookie, now, NULL), 0);
		}
	}
	/* every table index */
	for (i = 0; i < TCP_SYNCOOKIE_N_MSS; i++) {
		struct tuple t = rnd_tuple();
		uint16_t got = 0, used = 0;
		uint32_t c = make(&k, &t, 12345, tcp_syncookie_mss_table[i], 1000, &used);

		assert_int_equal(used, tcp_syncookie_mss_table[i]);
		assert_int_equal(check(&k, &t, 12345, c, 1000, &got), 0);
		assert_int_equal(got, tcp_syncookie_mss_table[i]);
	}
}

static void
test_cookie_wrong_inputs(void **state)
{
	struct tcp_syncookie_ctx k, kb;
	unsigned j;

	(void)state;
	tcp_syncookie_init(&k, secret_a);
	tcp_syncookie_init(&kb, secret_b);
	for (j = 0; j < 5000; j++) {
		struct tuple t = rnd_tuple(), w;
		uint32_t isn = rnd32(), now = rnd32();
		uint16_t mss = tcp_syncookie_mss_table[j % TCP_SYNCOOKIE_N_MSS];
		uint32_t c = make(&k, &t, isn, mss, now, NULL);
		uint32_t bit = 1u << (j % 32);

		assert_int_equal(check(&k, &t, isn, c, now, NULL), 0);
		assert_int_not_equal(check(&kb, &t, isn, c, now, NULL), 0);
		w = t;
		w.saddr ^= rte_cpu_to_be_32(bit);
		assert_int_not_equal(check(&k, &w, isn, c, now, NULL), 0);
		w = t;
		w.daddr ^= rte_cpu_to_be_32(bit);
		assert_int_not_equal(check(&k, &w, isn, c, now, NULL), 0);
		w = t;
		w.sport ^= rte_cpu_to_be_16((uint16_t)(1u << (j % 16)));
		assert_int_not_equal(check(&k, &w, isn, c, now, NULL), 0);
		w = t;
		w.dport ^= rte_cpu_to_be_16((uint16_t)(1u << (j % 16)));
		assert_int_not_equal(check(&k, &w, isn, c, now, NULL), 0);
		/* swapped direction (our SYN-ACK's tuple instead of the ACK's) */
		w.saddr = t.daddr;
		w.daddr = t.saddr;
		w.sport = t.dport;
		w.dport = t.sport;
		assert_int_not_equal(check(&k, &w, isn, c, now, NULL), 0);
		/* Another sequence or ack number. Differences below the table size
		 * in the low bits move the MSS index (inherent, as in Linux: only
		 * someone who saw the cookie can do that); the rest must fail. */
		assert_int_not_equal(check(&k, &t, isn + 0x100, c, now, NULL), 0);
		assert_int_not_equal(check(&k, &t, isn ^ 0x80000000u, c, now, NULL), 0);
		assert_int_not_equal(check(&k, &t, isn, c + TCP_SYNCOOKIE_N_MSS, now, NULL), 0);
		assert_int_not_equal(check(&k, &t, isn, c - TCP_SYNCOOKIE_N_MSS, now, NULL), 0);
		assert_int_not_equal(check(&k, &t, isn, c + 0x10000, now, NULL), 0);
		assert_int_not_equal(check(&k, &t, isn, c ^ 0x00800000u, now, NULL), 0);
		assert_int_not_equal(check(&k, &t, isn, c + 0x1000000, now, NULL), 0);
		assert_int_not_equal(check(&k, &t, isn, ~c, now, NULL), 0);
	}
}

static void
test_cookie_expiry(void **state)
{
	struct tcp_syncookie_ctx k;
	struct tuple t;
	uint32_t base = 1000 * TCP_SYNCOOKIE_PERIOD_S, off, c;
	uint16_t mss = 0;

	(void)state;
	tcp_syncookie_init(&k, secret_a);
	t = rnd_tuple();
	for (off = 0; off < TCP_SYNCOOKIE_PERIOD_S; off += 7) {
		c = make(&k, &t, 77, 1460, base + off, NULL);
		/* valid through the end of counter + MAX_AGE - 1 */
		assert_int_equal(check(&k, &t, 77, c, base + off, &mss), 0);
		assert_int_equal(mss, 1460);
		assert_int_equal(check(&k, &t, 77, c, base + TCP_SYNCOOKIE_PERIOD_S - 1, NULL), 0);
		assert_int_equal(
			check(&k, &t, 77, c,
				base + TCP_SYNCOOKIE_MAX_AGE * TCP_SYNCOOKIE_PERIOD_S - 1, NULL),
			0);
		/* expired from the next counter on */
		assert_int_equal(
			check(&k, &t, 77, c, base + TCP_SYNCOOKIE_MAX_AGE * TCP_SYNCOOKIE_PERIOD_S,
				NULL),
			-ETIMEDOUT);
		assert_int_equal(check(&k, &t, 77, c, base + 3600, NULL), -ETIMEDOUT);
		/* from the future */
		assert_int_equal(check(&k, &t, 77, c, base - 1, NULL), -ETIMEDOUT);
		/* 256 counters later the 8-bit counter matches again, but the
		 * hash covers the full counter */
		assert_int_not_equal(
			check(&k, &t, 77, c, base + off + 256 * TCP_SYNCOOKIE_PERIOD_S, NULL), 0);
	}
	/* Guaranteed minimum validity: 64 * (MAX_AGE - 1) seconds. */
	assert_true(TCP_SYNCOOKIE_PERIOD_S * (TCP_SYNCOOKIE_MAX_AGE - 1) >= 64);
}

static void
test_cookie_counter_wrap(void **state)
{
	struct tcp_syncookie_ctx k;
	struct tuple t;
	uint32_t c, made;

	(void)state;
	tcp_syncookie_init(&k, secret_a);
	t = rnd_tuple();
	/* 8-bit counter in the cookie wraps from 255 to 0 */
	made = 255 * TCP_SYNCOOKIE_PERIOD_S + 10;
	c = make(&k, &t, 5, 1440, made, NULL);
	assert_int_equal(check(&k, &t, 5, c, 256 * TCP_SYNCOOKIE_PERIOD_S + 10, NULL), 0);
	assert_int_equal(check(&k, &t, 5, c, 257 * TCP_SYNCOOKIE_PERIOD_S + 10, NULL), 0);
	assert_int_equal(check(&k, &t, 5, c, 258 * TCP_SYNCOOKIE_PERIOD_S, NULL), -ETIMEDOUT);
	/* the seconds clock itself wraps */
	made = UINT32_MAX - 10;
	c = make(&k, &t, 6, 536, made, NULL);
	assert_int_equal(check(&k, &t, 6, c, made, NULL), 0);
	assert_int_equal(check(&k, &t, 6, c, made + 100, NULL), 0); /* == 89 */
	assert_int_equal(
		check(&k, &t, 6, c,
			(uint32_t)(TCP_SYNCOOKIE_MAX_AGE - 1) * TCP_SYNCOOKIE_PERIOD_S - 1, NULL),
		0);
	assert_int_equal(
		check(&k, &t, 6, c, (uint32_t)TCP_SYNCOOKIE_MAX_AGE * TCP_SYNCOOKIE_PERIOD_S, NULL),
		-ETIMEDOUT);
	/* the peer's sequence number wraps (index 0: isn + 1 cannot shift it to
	 * another valid index) */
	c = make(&k, &t, UINT32_MAX, 536, 100, NULL);
	assert_int_equal(check(&k, &t, UINT32_MAX, c, 100, NULL), 0);
	assert_int_not_equal(check(&k, &t, 0, c, 100, NULL), 0);
}

static void
test_cookie_forgery(void **state)
{
	struct tcp_syncookie_ctx k;
	struct tuple t;
	unsigned i, accepted = 0, expired = 0, bad = 0;
	uint32_t now = 123456789;

	(void)state;
	tcp_syncookie_init(&k, secret_a);
	t = rnd_tuple();
	for (i = 0; i < 1000000; i++) {
		int rc = check(&k, &t, rnd32(), rnd32(), now, NULL);

		if (rc == 0)
			accepted++;
		else if (rc == -ETIMEDOUT)
			expired++;
		else if (rc == -EINVAL)
			bad++;
		else
			fail_msg("unexpected return %d", rc);
	}
	/* < 1e-6 over 10^6 tries (expected ~0.004 accepted) */
	assert_int_equal(accepted, 0);
	assert_int_equal(accepted + expired + bad, 1000000);
	/* about MAX_AGE / 256 pass the counter test and die on the hash */
	assert_true(bad > 1000000 / 256 * TCP_SYNCOOKIE_MAX_AGE / 2);
	assert_true(bad < 1000000 / 256 * TCP_SYNCOOKIE_MAX_AGE * 2);
}

static void
test_ts_round_trip(void **state)
{
	unsigned w, s, j;

	(void)state;
	for (w = 0; w <= 15; w++) {
		for (s = 0; s < 2; s++) {
			for (j = 0; j < 2000; j++) {
				uint32_t now = j < 4 ? (uint32_t)(j * 31) : rnd32();
				uint32_t ts = tcp_syncookie_ts_encode(now, (uint8_t)w, (int)s);
				uint8_t gw = 0xaa;
				int gs = -1;

				/* never ahead of the clock, at most one step behind it */
				assert_true((int32_t)(ts - now) <= 0);
				assert_true(now - ts < 2u << TCP_SYNCOOKIE_TS_BITS);
				assert_int_equal(tcp_syncookie_ts_decode(ts, &gw, &gs), 0);
				assert_int_equal(gw, w);
				assert_int_equal(gs, (int)s);
			}
		}
	}
	/* oversized shifts are clamped to 14 */
	{
		uint8_t gw;
		int gs;

		assert_int_equal(
			tcp_syncookie_ts_decode(tcp_syncookie_ts_encode(1000, 20, 1), &gw, &gs), 0);
		assert_int_equal(gw, 14);
		assert_int_equal(gs, 1);
		/* ECN bit: never produced, rejected */
		assert_int_equal(tcp_syncookie_ts_decode(0x1000 | (1u << 5), &gw, &gs), -EINVAL);
		/* clock near wrap */
		assert_true((int32_t)(tcp_syncookie_ts_encode(3, 14, 1) - 3u) <= 0);
	}
}

static void
test_secure_isn(void **state)
{
	struct tcp_syncookie_ctx k, kb;
	struct tuple t, u;
	uint32_t a, b;

	(void)state;
	tcp_syncookie_init(&k, secret_a);
	tcp_syncookie_init(&kb, secret_b);
	t = rnd_tuple();
	u = t;
	u.sport ^= rte_cpu_to_be_16(1);
	a = tcp_secure_isn(&k, t.saddr, t.daddr, t.sport, t.dport, 1000000);
	/* ticks every 4 us */
	b = tcp_secure_isn(&k, t.saddr, t.daddr, t.sport, t.dport, 1000000 + 4000);
	assert_int_equal(b - a, 1000);
	assert_int_not_equal(a, tcp_secure_isn(&k, u.saddr, u.daddr, u.sport, u.dport, 1000000));
	assert_int_not_equal(a, tcp_secure_isn(&kb, t.saddr, t.daddr, t.sport, t.dport, 1000000));
	/* independent of the cookie hash: not the cookie for isn 0 */
	assert_int_not_equal(a, make(&k, &t, 0, 536, 0, NULL));
}

int
main(void)
{
	const struct CMUnitTest fake_pool_selftest[] = {
		cmocka_unit_test(test_pool_alloc_free),
		cmocka_unit_test(test_pool_data_ops),
		cmocka_unit_test(test_pool_chain),
		cmocka_unit_test(test_pool_clone),
		cmocka_unit_test(test_pool_attach_detach),
		cmocka_unit_test(test_pool_free_bulk),
		cmocka_unit_test(test_pool_fail_injection),
		cmocka_unit_test(test_pool_priv),
		cmocka_unit_test(test_pool_misuse_detected),
	};
	const struct CMUnitTest syncookie[] = {
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_cookie_round_trip),
		cmocka_unit_test(test_cookie_wrong_inputs),
		cmocka_unit_test(test_cookie_expiry),
		cmocka_unit_test(test_cookie_counter_wrap),
		cmocka_unit_test(test_cookie_forgery),
		cmocka_unit_test(test_ts_round_trip),
		cmocka_unit_test(test_secure_isn),
	};
	int fails = 0;

	fails += cmocka_run_group_tests_name("fake_pool_selftest", fake_pool_selftest, NULL, NULL);
	fails += cmocka_run_group_tests_name("tcp_syncookie", syncookie, NULL, NULL);
	return fails != 0;
}
