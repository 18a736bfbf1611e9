/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helper for the ClientHello parser tests (test_tls_hello,
 * test_tls_hello_multi): the first flight of an OpenSSL client, taken from
 * its send queue and linearised. Include after <cmocka.h>.
 */
#ifndef TLS_HELLO_HARNESS_H
#define TLS_HELLO_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "fake_pool.h"
#include "tls_harness.h"

/*
 * The ClientHello a client of @p c writes with @p sni (NULL: none) and
 * @p alpn (@p alpn_len bytes, wire format; NULL: none), in @p out
 * (@p cap bytes). @p c stays the caller's. @return the bytes written.
 */
static inline size_t
th_hello_capture(uint8_t *out, size_t cap, SSL_CTX *c, const char *sni,
	const unsigned char *alpn, unsigned alpn_len)
{
	struct rte_mempool *mp = fake_pool_create("ch", 64, RTE_MBUF_DEFAULT_BUF_SIZE);
	struct fo_tls_io io;
	struct rte_mbuf *m, *seg;
	uint32_t len;
	size_t n = 0;
	SSL *s;

	fo_tls_io_init(&io, mp, 0);
	s = th_client(c, &io, sni);
	if (alpn != NULL)
		SSL_set_alpn_protos(s, alpn, alpn_len);
	assert_int_equal(SSL_get_error(s, SSL_do_handshake(s)), SSL_ERROR_WANT_READ);
	m = fo_tls_io_tx_take(&io, &len);
	assert_true(len <= cap);
	for (seg = m; seg != NULL; seg = seg->next) {
		memcpy(out + n, rte_pktmbuf_mtod(seg, void *), seg->data_len);
		n += seg->data_len;
	}
	rte_pktmbuf_free(m);
	SSL_free(s);
	fo_tls_io_release(&io);
	assert_int_equal(fake_pool_in_use(mp), 0);
	fake_pool_free(mp);
	return n;
}

#endif /* TLS_HELLO_HARNESS_H */
