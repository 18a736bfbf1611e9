/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tls session tickets shared by workers: a key set {prev, cur, next}
 * published through one struct fo_tls_keys that every worker's context
 * reads. A ticket issued under key N on one worker resumes on another
 * worker, still after one rotation (N is prev), not after two (N is gone:
 * full handshake, which still succeeds). A node that rotated first (its
 * cur is our next) has its tickets accepted too. Ticket key files
 * (tls_ticket_key_file): their layout, every size and name error, and the
 * same one-rotation-not-two rule when the file's writer rotates it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_pool.h"
#include "tls_harness.h"

struct worker {
	struct fo_tls_worker *w;
	struct fo_tls_ctx *ctx;
};

static struct rte_mempool *mp;
static struct fo_tls_cert *cert;
static SSL_CTX *cctx;

static int
setup(void **state)
{
	char err[256];

	(void)state;
	mp = fake_pool_create("tk", 1024, RTE_MBUF_DEFAULT_BUF_SIZE);
	cert = fo_tls_cert_selfsigned("tickets.test", time(NULL), 30, err, sizeof(err));
	cctx = th_client_ctx(NULL, 0);
	return mp != NULL && cert != NULL && cctx != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	SSL_CTX_free(cctx);
	fo_tls_cert_free(cert);
	if (fake_pool_in_use(mp) != 0)
		return -1;
	fake_pool_free(mp);
	return 0;
}

static void
worker_init(struct worker *wk, struct fo_tls_keys *keys)
{
	char err[256] = "";

	wk->w = fo_tls_worker_create();
	assert_non_null(wk->w);
	wk->ctx = fo_tls_ctx_create(wk->w, &cert, 1, NULL, keys, err, sizeof(err));
	if (wk->ctx == NULL)
		fail_msg("%s", err);
}

static void
worker_free(struct worker *wk)
{
	fo_tls_ctx_free(wk->ctx);
	fo_tls_worker_free(wk->w);
}

/* A full handshake on @p wk; returns the session (with its ticket). */
static SSL_SESSION *
issue(struct worker *wk)
{
	struct th_conn t;
	SSL_SESSION *s;

	th_conn_open(&t, mp, wk->ctx, cctx, "tickets.test", NULL);
	assert_int_equal(th_conn_handshake(&t), 0);
	assert_int_equal(fo_tls_conn_resumed(t.srv), 0);
	assert_int_equal(th_conn_pingpong(&t, 5), 5);
	s = SSL_get1_session(t.cli);
	assert_int_equal(SSL_SESSION_is_resumable(s), 1);
	th_conn_close(&t);
	return s;
}

/* Try to resume @p s on @p wk: 1 resumed, 0 full handshake. */
static int
resume(struct worker *wk, SSL_SESSION *s)
{
	struct th_conn t;
	int r;

	th_conn_open(&t, mp, wk->ctx, cctx, "tickets.test", s);
	assert_int_equal(th_conn_handshake(&t), 0); /* never a failure */
	r = fo_tls_conn_resumed(t.srv);
	assert_int_equal(r, SSL_session_reused(t.cli));
	th_conn_close(&t);
	return r;
}

static const uint8_t *
ticket_key_name(SSL_SESSION *s)
{
	const unsigned char *tick;
	size_t len;

	SSL_SESSION_get0_ticket(s, &tick, &len);
	assert_true(len > 16 + 16);
	return tick;
}

static void
test_rotation_semantics(void **state)
{
	struct fo_tls_keyset *k0 = fo_tls_keyset_new(), *k1, *k2;
	struct fo_tls_keys keys = {0};

	(void)state;
	assert_non_null(k0);
	k1 = fo_tls_keyset_rotate(k0);
	k2 = fo_tls_keyset_rotate(k1);
	assert_memory_equal(&k1->prev, &k0->cur, sizeof(k0->cur));
	assert_memory_equal(&k1->cur, &k0->next, sizeof(k0->cur));
	assert_memory_not_equal(&k1->next, &k0->next, sizeof(k0->cur));
	assert_memory_not_equal(k0->cur.name, k0->next.name, 16);
	assert_memory_not_equal(k0->cur.aes, k0->prev.aes, 32);
	assert_int_equal(k2->generation, 2);
	assert_null(fo_tls_keys_publish(&keys, k0));
	assert_ptr_equal(fo_tls_keys_publish(&keys, k1), k0);
	assert_ptr_equal(fo_tls_keys_publish(&keys, k2), k1);
	assert_ptr_equal(keys.set, k2);
	fo_tls_keyset_free(k0);
	fo_tls_keyset_free(k1);
	fo_tls_keyset_free(fo_tls_keys_publish(&keys, NULL));
}

static void
test_resume_across_workers_and_rotations(void **state)
{
	struct fo_tls_keys keys = {0};
	struct worker a, b;
	SSL_SESSION *s, *s2;

	(void)state;
	fo_tls_keys_publish(&keys, fo_tls_keyset_new());
	worker_init(&a, &keys);
	worker_init(&b, &keys);

	/* issued on worker A under key N = cur */
	s = issue(&a);
	assert_memory_equal(ticket_key_name(s), keys.set->cur.name, 16);
	/* resumes on worker B (another library context, another SSL_CTX) */
	assert_int_equal(resume(&b, s), 1);

	/* one rotation: N is prev, still accepted, on both workers */
	fo_tls_keyset_free(fo_tls_keys_publish(&keys, fo_tls_keyset_rotate(keys.set)));
	assert_memory_equal(ticket_key_name(s), keys.set->prev.name, 16);
	assert_int_equal(resume(&b, s), 1);
	assert_int_equal(resume(&a, s), 1);
	/* new tickets are issued under the new cur */
	s2 = issue(&b);
	assert_memory_equal(ticket_key_name(s2), keys.set->cur.name, 16);

	/* two rotations: N is gone; a full handshake instead */
	fo_tls_keyset_free(fo_tls_keys_publish(&keys, fo_tls_keyset_rotate(keys.set)));
	assert_int_equal(resume(&b, s), 0);
	assert_int_equal(resume(&a, s), 0);
	/* the ticket of the previous period still resumes */
	assert_int_equal(resume(&a, s2), 1);

	SSL_SESSION_free(s);
	SSL_SESSION_free(s2);
	worker_free(&a);
	worker_free(&b);
	fo_tls_keyset_free(fo_tls_keys_publish(&keys, NULL));
}

/* Another node rotated first: its cur is our next; we accept its tickets. */
static void
test_next_key_accepted(void **state)
{
	struct fo_tls_keys ours = {0}, theirs = {0};
	struct worker a, c;
	SSL_SESSION *s;

	(void)state;
	fo_tls_keys_publish(&ours, fo_tls_keyset_new());
	fo_tls_keys_publish(&theirs, fo_tls_keyset_rotate(ours.set));
	worker_init(&a, &ours);
	worker_init(&c, &theirs);
	s = issue(&c);
	assert_memory_equal(ticket_key_name(s), ours.set->next.name, 16);
	assert_int_equal(resume(&a, s), 1);
	SSL_SESSION_free(s);
	/* we publish no key set at all: their ticket is not read, a full handshake */
	fo_tls_keyset_free(fo_tls_keys_publish(&ours, NULL));
	s = issue(&c);
	assert_int_equal(resume(&a, s), 0);
	SSL_SESSION_free(s);
	worker_free(&a);
	worker_free(&c);
	fo_tls_keyset_free(fo_tls_keys_publish(&theirs, NULL));
}

/* A TLS 1.3 resumption brings a new ticket, which resumes in turn: a client
 * (which uses a ticket once) keeps resuming, connection after connection. */
static void
test_resumption_renews_ticket(void **state)
{
	struct fo_tls_keys keys = {0};
	struct worker a;
	SSL_SESSION *s, *next;
	struct th_conn t;
	const unsigned char *t0, *t1;
	size_t l0, l1;
	int i;

	(void)state;
	fo_tls_keys_publish(&keys, fo_tls_keyset_new());
	worker_init(&a, &keys);
	s = issue(&a);
	for (i = 0; i < 3; i++) {
		th_conn_open(&t, mp, a.ctx, cctx, "tickets.test", s);
		assert_int_equal(th_conn_handshake(&t), 0);
		assert_int_equal(fo_tls_conn_resumed(t.srv), 1);
		assert_int_equal(th_conn_pingpong(&t, 1), 1); /* the ticket comes after */
		next = SSL_get1_session(t.cli);
		th_conn_close(&t);
		assert_non_null(next);
		assert_int_equal(SSL_SESSION_is_resumable(next), 1);
		SSL_SESSION_get0_ticket(s, &t0, &l0);
		SSL_SESSION_get0_ticket(next, &t1, &l1);
		assert_true(l1 > 32);
		assert_false(l0 == l1 && memcmp(t0, t1, l0) == 0); /* a new ticket */
		assert_memory_equal(t1, keys.set->cur.name, 16);
		SSL_SESSION_free(s);
		s = next;
	}
	SSL_SESSION_free(s);
	worker_free(&a);
	fo_tls_keyset_free(fo_tls_keys_publish(&keys, NULL));
}

/* Three keys in nginx's 80-byte layout (name, HMAC key, AES key), each byte of key i = i + 1. */
static void
file_bytes(uint8_t *buf, unsigned first, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		memset(buf + 80 * i, (int)(first + i), 80);
		buf[80 * i + 16] ^= 0x5a; /* the HMAC key's first byte: not the name's */
		buf[80 * i + 48] ^= 0xa5; /* the AES key's first byte */
	}
}

static void
test_key_file_layout(void **state)
{
	uint8_t buf[240], name[16];
	struct fo_tls_keyset *ks;
	char err[256];

	(void)state;
	file_bytes(buf, 1, 3);
	ks = fo_tls_keyset_parse(buf, 240, "k", err, sizeof(err));
	assert_non_null(ks);
	memset(name, 1, 16);
	assert_memory_equal(ks->prev.name, name, 16);
	memset(name, 2, 16);
	assert_memory_equal(ks->cur.name, name, 16);
	assert_int_equal(ks->cur.hmac[0], 2 ^ 0x5a);
	assert_int_equal(ks->cur.hmac[1], 2);
	assert_int_equal(ks->cur.aes[0], 2 ^ 0xa5);
	memset(name, 3, 16);
	assert_memory_equal(ks->next.name, name, 16);
	fo_tls_keyset_free(ks);
	/* one key: it is the whole set */
	ks = fo_tls_keyset_parse(buf + 80, 80, "k", err, sizeof(err));
	assert_non_null(ks);
	assert_memory_equal(&ks->prev, &ks->cur, sizeof(ks->cur));
	assert_memory_equal(&ks->next, &ks->cur, sizeof(ks->cur));
	assert_int_equal(ks->cur.name[0], 2);
	fo_tls_keyset_free(ks);
}

static void
test_key_file_errors(void **state)
{
	static const size_t bad_len[] = {0, 1, 48, 79, 81, 160, 239, 241, 320};
	uint8_t buf[400];
	char err[256], path[] = "/tmp/fo-tk-XXXXXX";
	unsigned i;
	int fd;

	(void)state;
	file_bytes(buf, 1, 4);
	for (i = 0; i < sizeof(bad_len) / sizeof(bad_len[0]); i++) {
		err[0] = '\0';
		assert_null(fo_tls_keyset_parse(buf, bad_len[i], "/etc/k", err, sizeof(err)));
		assert_non_null(strstr(err, "/etc/k: "));
		assert_non_null(strstr(err, "a ticket key file holds 80 bytes (one key) or 240 "
					    "(previous, current, next)"));
	}
	/* two keys of the same name: a ticket could not say which */
	file_bytes(buf, 1, 3);
	memcpy(buf + 160, buf, 16);
	assert_null(fo_tls_keyset_parse(buf, 240, "/etc/k", err, sizeof(err)));
	assert_string_equal(err, "/etc/k: two keys have the same name (its first 16 bytes): "
				 "each key must be new random bytes");
	/* files */
	assert_null(fo_tls_keyset_load("/nonexistent/fanout-ticket.key", err, sizeof(err)));
	assert_string_equal(err, "/nonexistent/fanout-ticket.key: cannot open (No such file or "
				 "directory)");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	file_bytes(buf, 1, 4);
	assert_int_equal(write(fd, buf, 320), 320); /* one key too many */
	assert_null(fo_tls_keyset_load(path, err, sizeof(err)));
	assert_non_null(strstr(err, ": 241 bytes: a ticket key file holds")); /* read stops at 241 */
	assert_int_equal(ftruncate(fd, 240), 0);
	{
		struct fo_tls_keyset *ks = fo_tls_keyset_load(path, err, sizeof(err));

		assert_non_null(ks);
		assert_int_equal(ks->cur.name[0], 2);
		fo_tls_keyset_free(ks);
	}
	close(fd);
	unlink(path);
}

/*
 * Keys shared by several nodes through a file that its writer rotates (drop
 * the first key, append a new one): a ticket issued under key N (current)
 * resumes after one rotation (N is previous), on another node too, and not
 * after two (a full handshake, which succeeds).
 */
static void
test_key_file_rotation(void **state)
{
	struct fo_tls_keys keys = {0}, other = {0};
	uint8_t buf[80 * 5];
	struct worker a, b;
	SSL_SESSION *s;
	char err[256];

	(void)state;
	file_bytes(buf, 1, 5); /* keys 1..5; the file holds three in a row */
	fo_tls_keys_publish(&keys, fo_tls_keyset_parse(buf, 240, NULL, err, sizeof(err)));
	fo_tls_keys_publish(&other, fo_tls_keyset_parse(buf, 240, NULL, err, sizeof(err)));
	assert_non_null(keys.set);
	worker_init(&a, &keys);
	worker_init(&b, &other); /* another node reading the same file */
	s = issue(&a);
	assert_int_equal(ticket_key_name(s)[0], 2); /* key N = 2, the current one */
	assert_int_equal(resume(&b, s), 1);
	/* one rotation of the file: 2 3 4 */
	fo_tls_keyset_free(
		fo_tls_keys_publish(&keys, fo_tls_keyset_parse(buf + 80, 240, NULL, err, sizeof(err))));
	assert_int_equal(resume(&a, s), 1);
	/* two: 3 4 5 */
	fo_tls_keyset_free(fo_tls_keys_publish(
		&keys, fo_tls_keyset_parse(buf + 160, 240, NULL, err, sizeof(err))));
	assert_int_equal(resume(&a, s), 0);
	/* the other node has not read the file again yet: it still accepts it */
	assert_int_equal(resume(&b, s), 1);
	SSL_SESSION_free(s);
	worker_free(&a);
	worker_free(&b);
	fo_tls_keyset_free(fo_tls_keys_publish(&keys, NULL));
	fo_tls_keyset_free(fo_tls_keys_publish(&other, NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rotation_semantics),
		cmocka_unit_test(test_resume_across_workers_and_rotations),
		cmocka_unit_test(test_next_key_accepted),
		cmocka_unit_test(test_resumption_renews_ticket),
		cmocka_unit_test(test_key_file_layout),
		cmocka_unit_test(test_key_file_errors),
		cmocka_unit_test(test_key_file_rotation),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
