/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The BIO between OpenSSL and fanout's TCP: reads take ciphertext straight
 * out of the receive chain's mbufs (freeing each segment once read), writes
 * put records straight into mbufs of the send queue. One memcpy per byte
 * each way; io->rx_copied and io->tx_copied count them so tests can prove
 * that no byte is copied twice.
 *
 * The send queue is bounded (tx_max): a write that does not fit is
 * partial, and one that finds it full returns -1 with BIO_should_retry(),
 * which OpenSSL turns into SSL_ERROR_WANT_WRITE; the caller takes the
 * queue (fo_tls_io_tx_take() -> fo_tcp_send()) and calls again.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <rte_common.h>
#include <rte_mbuf.h>

#include "tls_priv.h"

#define TLS_IO_TX_MAX_DEFAULT (64u * 1024)

void
fo_tls_io_init(struct fo_tls_io *io, struct rte_mempool *mp, uint32_t tx_max)
{
	memset(io, 0, sizeof(*io));
	io->mp = mp;
	io->tx_max = tx_max != 0 ? tx_max : TLS_IO_TX_MAX_DEFAULT;
}

void
fo_tls_io_rx_append(struct fo_tls_io *io, struct rte_mbuf *chain)
{
	struct rte_mbuf *m, *last = NULL;
	uint32_t n = 0;

	if (chain == NULL)
		return;
	for (m = chain; m != NULL; m = m->next) {
		n += m->data_len;
		last = m;
	}
	if (io->rx_tail != NULL)
		io->rx_tail->next = chain;
	else
		io->rx_head = chain;
	io->rx_tail = last;
	io->rx_len += n;
}

void
fo_tls_io_rx_eof(struct fo_tls_io *io)
{
	io->rx_eof = 1;
}

struct rte_mbuf *
fo_tls_io_tx_take(struct fo_tls_io *io, uint32_t *len)
{
	struct rte_mbuf *head = io->tx_head, *m;
	uint16_t segs = 0;

	*len = 0;
	if (head == NULL)
		return NULL;
	for (m = head; m != NULL; m = m->next)
		segs++;
	head->nb_segs = segs;
	head->pkt_len = io->tx_len;
	*len = io->tx_len;
	io->tx_head = io->tx_tail = NULL;
	io->tx_len = 0;
	return head;
}

/* Free a list of segments linked by next, whatever their nb_segs say. */
static void
tls_segs_free(struct rte_mbuf *m)
{
	while (m != NULL) {
		struct rte_mbuf *next = m->next;

		rte_pktmbuf_free_seg(m); /* resets next and nb_segs of a former head */
		m = next;
	}
}

void
fo_tls_io_release(struct fo_tls_io *io)
{
	tls_segs_free(io->rx_head);
	tls_segs_free(io->tx_head);
	io->rx_head = io->rx_tail = io->tx_head = io->tx_tail = NULL;
	io->rx_len = io->rx_off = io->tx_len = 0;
}

static int
bio_read(BIO *b, char *out, int outl)
{
	struct fo_tls_io *io = BIO_get_data(b);
	uint32_t n = 0, want;

	BIO_clear_retry_flags(b);
	if (out == NULL || outl <= 0)
		return 0;
	if (io->rx_len == 0) {
		if (io->rx_eof)
			return 0;
		BIO_set_retry_read(b);
		return -1;
	}
	want = (uint32_t)outl;
	while (n < want && io->rx_head != NULL) {
		struct rte_mbuf *m = io->rx_head;
		uint32_t take = RTE_MIN((uint32_t)m->data_len - io->rx_off, want - n);

		if (take > 0) {
			memcpy(out + n, rte_pktmbuf_mtod_offset(m, const char *, io->rx_off), take);
			n += take;
			io->rx_off += take;
		}
		if (io->rx_off == m->data_len) {
			io->rx_head = m->next;
			if (io->rx_head == NULL)
				io->rx_tail = NULL;
			io->rx_off = 0;
			rte_pktmbuf_free_seg(m);
		}
	}
	io->rx_len -= n;
	io->rx_copied += n;
	return (int)n;
}

static int
bio_write(BIO *b, const char *in, int inl)
{
	struct fo_tls_io *io = BIO_get_data(b);
	uint32_t n = 0, want;

	BIO_clear_retry_flags(b);
	if (in == NULL || inl <= 0)
		return 0;
	want = (uint32_t)inl;
	while (n < want && io->tx_len < io->tx_max) {
		struct rte_mbuf *m = io->tx_tail;
		uint32_t take;

		if (m == NULL || rte_pktmbuf_tailroom(m) == 0) {
			m = rte_pktmbuf_alloc(io->mp);
			if (m == NULL) {
				io->tx_nombuf++;
				break;
			}
			if (io->tx_tail != NULL)
				io->tx_tail->next = m;
			else
				io->tx_head = m;
			io->tx_tail = m;
		}
		take = RTE_MIN((uint32_t)rte_pktmbuf_tailroom(m), want - n);
		take = RTE_MIN(take, io->tx_max - io->tx_len);
		memcpy(rte_pktmbuf_mtod_offset(m, char *, m->data_len), in + n, take);
		m->data_len += take;
		m->pkt_len += take;
		io->tx_len += take;
		n += take;
	}
	if (n == 0) {
		BIO_set_retry_write(b);
		return -1;
	}
	io->tx_copied += n;
	return (int)n;
}

static long
bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct fo_tls_io *io = BIO_get_data(b);

	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1; /* the caller takes the queue; nothing is buffered here */
	case BIO_CTRL_PENDING:
		return io != NULL ? (long)io->rx_len : 0;
	case BIO_CTRL_WPENDING:
		return io != NULL ? (long)io->tx_len : 0;
	case BIO_CTRL_EOF:
		return io != NULL && io->rx_eof && io->rx_len == 0;
	case BIO_CTRL_GET_CLOSE:
		return BIO_get_shutdown(b);
	case BIO_CTRL_SET_CLOSE:
		BIO_set_shutdown(b, (int)num);
		return 1;
	default:
		return 0;
	}
}

static int
bio_create(BIO *b)
{
	BIO_set_init(b, 0);
	BIO_set_data(b, NULL);
	return 1;
}

static int
bio_destroy(BIO *b)
{
	/* The mbufs belong to the fo_tls_io, freed by fo_tls_io_release(). */
	BIO_set_data(b, NULL);
	BIO_set_init(b, 0);
	return 1;
}

static BIO_METHOD *tls_bio_method;
static int tls_bio_type = -1;
static pthread_once_t tls_bio_once = PTHREAD_ONCE_INIT;

static void
tls_bio_method_init(void)
{
	int type = BIO_get_new_index() | BIO_TYPE_SOURCE_SINK;
	BIO_METHOD *m = BIO_meth_new(type, "fanout mbuf");

	if (m == NULL)
		return;
	if (!BIO_meth_set_write(m, bio_write) || !BIO_meth_set_read(m, bio_read) ||
		!BIO_meth_set_ctrl(m, bio_ctrl) || !BIO_meth_set_create(m, bio_create) ||
		!BIO_meth_set_destroy(m, bio_destroy)) {
		BIO_meth_free(m);
		return;
	}
	tls_bio_method = m;
	tls_bio_type = type;
}

BIO *
tls_bio_new(struct fo_tls_io *io)
{
	BIO *b;

	pthread_once(&tls_bio_once, tls_bio_method_init);
	if (tls_bio_method == NULL)
		return NULL;
	b = BIO_new(tls_bio_method);
	if (b == NULL)
		return NULL;
	BIO_set_data(b, io);
	BIO_set_init(b, 1);
	return b;
}

struct fo_tls_io *
tls_bio_io(SSL *s)
{
	BIO *b = SSL_get_rbio(s);

	/* (tls_bio_type is set before any BIO of ours exists) */
	return b != NULL && BIO_method_type(b) == tls_bio_type ? BIO_get_data(b) : NULL;
}
