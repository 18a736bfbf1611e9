/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS on client sessions of `listen ... tls;` listeners (lib/tls).
 *
 * A TLS session holds a struct px_tls (one per session slot, preallocated
 * when the worker has TLS): the connection's fo_tls_io (ciphertext receive
 * chain and send queue, mbufs from TCP and from the worker's pool) and its
 * fo_tls_conn. The HTTP path reads and writes the client through
 * px_cl_recv()/px_cl_send() (proxy_priv.h): one flag test for plain
 * sessions, these functions for TLS ones:
 *
 *  - px_tls_recv(): moves ciphertext from TCP to the receive chain while
 *    it holds less than PX_TLS_RX_MAX (past that TCP keeps it and its
 *    window closes; FO_TLS_HELLO_MAX until the ClientHello's records are
 *    all there: note_sni() reads its name before the handshake takes a
 *    byte), runs the handshake until it completes (counting it), then
 *    decrypts into mbufs of the pool, straight into their data room.
 *  - px_tls_send(): encrypts a plaintext chain into the send queue and
 *    hands the records to fo_tcp_send(): the first 14 KiB of a response (or
 *    after an idle second) about one record per TCP segment, then the
 *    chain's segments gathered into 16 KiB records (see there); records TCP cannot
 *    take yet wait in `pend` (bounded by one plaintext chunk), and the
 *    plaintext send space is 0 while they do, so the HTTP path keeps its
 *    all-or-nothing contract.
 *
 * Also: the SNI the handshake chose (for 421), the 308 to https and HSTS.
 *
 * Live certificate reload: the control thread swaps the worker's view
 * (fo_proxy_worker_tls_set()); a session takes the view current at its
 * accept and holds it (refs) to its end: its contexts, SNI table and HSTS
 * value stay those it started with.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_priv.h"

/** Ciphertext held per session before TCP is left to close its window (a record and more). */
#define PX_TLS_RX_MAX (32u * 1024)
/** Send queue bound (above the largest plaintext chunk px_tls_space() allows plus records). */
#define PX_TLS_TX_MAX (512u * 1024)
/** Largest record payload (TLS: 2^14). */
#define PX_TLS_RECORD_MAX (16u * 1024)
/** Bytes of a response sent in records of about a TCP segment (about an initial window). */
#define PX_TLS_SMALL_BYTES (14u * 1024)
/** Idle time after which the next bytes go in small records again (the window restarts). */
#define PX_TLS_IDLE_MS 1000u
/** In the first bytes of a response, a segment this big is a record of its own, in place. */
#define PX_TLS_DIRECT_MIN 1024u
/** Plaintext accepted at once (records add 22..29 bytes each). */
#define PX_TLS_CHUNK_MAX (128u * 1024)

/* strip ":port" (not from "[v6]") and a trailing dot */
static size_t
host_len(const char *h, size_t len)
{
	const char *c;

	if (len != 0 && h[0] != '[') {
		c = memchr(h, ':', len);
		if (c != NULL)
			len = (size_t)(c - h);
	}
	return len;
}

/* SNI index of @p host (the certificate it names), or -1 when it names none */
static int64_t
host_idx(const struct fo_proxy_tls *tc, const char *h, size_t len)
{
	int64_t i;

	len = host_len(h, len);
	if (len == 0)
		return -1;
	i = fo_tls_sni_select(tc->sni, h, len);
	return i == tc->sni->default_idx ? -1 : i;
}

/*
 * The ClientHello, before the handshake reads a byte of it: the name the
 * SNI table chooses (421), whether it is well formed. Its records (several
 * when it is fragmented, up to FO_TLS_HELLO_MAX) wait whole in the receive
 * chain: OpenSSL would take a partial record out of the chain, and the
 * next look would start in the middle of it. @return 0 parsed (sni_seen),
 * -EAGAIN (wait for more), -EMSGSIZE (over the bound: refuse).
 */
static int
note_sni(struct px_sess *s, struct px_tls *t)
{
	struct fo_proxy_worker *pw = s->pw;
	struct fo_tls_hello h;
	const uint8_t *p;
	uint32_t n = RTE_MIN(t->io.rx_len, FO_TLS_HELLO_MAX), off = 0;
	int rc;

	if (t->io.rx_head == NULL || n == 0 || (n < s->hello_need && !t->io.rx_eof))
		return t->io.rx_eof ? 0 : -EAGAIN;
	if (t->io.rx_head->data_len - t->io.rx_off >= n) {
		p = rte_pktmbuf_mtod_offset(t->io.rx_head, const uint8_t *, t->io.rx_off);
	} else {
		/* a ClientHello spanning segments: copied once into the worker's buffer */
		struct rte_mbuf *m = t->io.rx_head;
		uint32_t skip = t->io.rx_off;

		for (; m != NULL && off < n; m = m->next, skip = 0) {
			uint32_t k = m->data_len - skip;

			if (k > n - off)
				k = n - off;
			memcpy(pw->hello + off, rte_pktmbuf_mtod_offset(m, uint8_t *, skip), k);
			off += k;
		}
		p = pw->hello;
	}
	rc = fo_tls_hello_parse(p, n, pw->hello + FO_TLS_HELLO_MAX, &h);
	if (rc == -EAGAIN && !t->io.rx_eof) {
		s->hello_need = h.need;
		return -EAGAIN;
	}
	t->sni_seen = 1;
	t->hello_bad = rc == -EBADMSG || rc == -EMSGSIZE;
	t->sni_idx = -1;
	if (rc == -EMSGSIZE) {
		pw->stats.tls_hello_oversized++;
		return -EMSGSIZE;
	}
	if (rc > 0 && h.records > 1)
		pw->stats.tls_hello_fragmented++;
	if (rc > 0 && h.sni != NULL)
		t->sni_idx = host_idx(t->tc, (const char *)h.sni, h.sni_len);
	return 0;
}

/* Hand pending records, then the send queue, to TCP. @return 0, -EAGAIN, or -errno. */
static int
tls_flush(struct px_sess *s)
{
	struct px_tls *t = s->tls;
	struct rte_mbuf *m;
	uint32_t len;
	ssize_t n;

	m = fo_tls_io_tx_take(&t->io, &len);
	if (m != NULL)
		t->pend = fo_mbuf_chain_join(t->pend, m);
	while (t->pend != NULL) {
		if (s->c == NULL) {
			n = -EPIPE;
			m = NULL;
			goto lost;
		}
		m = fo_mbuf_chain_cut(&t->pend, fo_tcp_send_space(s->c));
		n = fo_tcp_send(s->c, m);
		if (n == -EAGAIN) {
			t->pend = fo_mbuf_chain_join(m, t->pend);
			return -EAGAIN; /* writable resumes us (px_cl_writable) */
		}
		if (n < 0)
			goto lost;
	}
	if (t->shut_wanted) {
		t->shut_wanted = 0;
		if (fo_tcp_shutdown(s->c) != 0)
			return -ENOTCONN;
	}
	return 0;
lost:
	/* TCP will never take them (shut down for writing, or gone): e.g. the
	 * alert OpenSSL queues when the client's EOF comes after our FIN.
	 * Dropped, so that nobody waits for them. */
	rte_pktmbuf_free(m);
	rte_pktmbuf_free(t->pend);
	t->pend = NULL;
	t->shut_wanted = 0;
	return (int)n;
}

int
px_tls_writable(struct px_sess *s)
{
	int rc = tls_flush(s);

	return rc == -EAGAIN ? 0 : rc;
}

int
px_tls_shutdown(struct px_sess *s)
{
	int rc = tls_flush(s);

	if (rc == -EAGAIN) {
		s->tls->shut_wanted = 1; /* FIN after the records still waiting */
		return 0;
	}
	if (rc != 0)
		return rc;
	return fo_tcp_shutdown(s->c);
}

/* The handshake, until it completes. @return 0 done, -EAGAIN, or 0-like EOF (1). */
static int
tls_handshake(struct px_sess *s)
{
	struct fo_proxy_worker *pw = s->pw;
	struct px_tls *t = s->tls;
	int rc;

	if (!t->sni_seen) {
		rc = note_sni(s, t);
		if (rc == -EAGAIN)
			return -EAGAIN;
		if (rc == -EMSGSIZE) {
			t->hs_failed = 1;
			pw->stats.tls_failed_hello++;
			return 1; /* closed by the caller */
		}
	}
	rc = fo_tls_handshake(t->conn);
	if (rc == -EINPROGRESS) {
		/* a piece of the server's flight: the rest in the next loops
		 * (nothing to send yet, the library holds the flight whole) */
		px_tls_hs_again(s);
		return -EAGAIN;
	}
	(void)tls_flush(s); /* the server's flight, or an alert */
	if (rc == -EAGAIN) {
		t->flight_out = t->sni_seen;
		return -EAGAIN;
	}
	if (rc == 0) {
		t->done = 1;
		pw->stats.tls_handshakes++;
		pw->stats.tls_resumed += (uint64_t)fo_tls_conn_resumed(t->conn);
		px_tls_hs_end(s);
		return 0;
	}
	t->hs_failed = 1;
	if (t->hello_bad)
		pw->stats.tls_failed_hello++; /* garbage, plain HTTP, lengths that do not add up */
	else if (rc == -ECONNRESET)
		pw->stats.tls_failed_eof++;
	else if (t->sni_seen && t->sni_idx < 0 && t->tc->sni->strict)
		pw->stats.tls_failed_sni++;
	else
		pw->stats.tls_failed_proto++;
	return 1; /* closed gracefully by the caller (the alert goes before the FIN) */
}

ssize_t
px_tls_recv(struct px_sess *s, struct rte_mbuf **head, uint32_t max)
{
	struct fo_proxy_worker *pw = s->pw;
	struct px_tls *t = s->tls;
	struct rte_mbuf *first = NULL, *last = NULL, *m, *c;
	uint32_t total = 0, rx_max;
	ssize_t n;

	/* a handshake step runs when the worker's deferred queue gets to it
	 * (proxy_tls_hs.c); until then its bytes wait in TCP */
	if (unlikely(!t->done)) {
		if (!px_tls_hs_admit(s))
			return -EAGAIN;
		pw->stats.tls_handshake_steps++;
	}
	/* the ClientHello's records are gathered whole, up to FO_TLS_HELLO_MAX */
	rx_max = t->sni_seen ? PX_TLS_RX_MAX : FO_TLS_HELLO_MAX;
	while (t->io.rx_len < rx_max && !t->io.rx_eof) {
		n = fo_tcp_recv(s->c, &c, rx_max - t->io.rx_len);
		if (n == -EAGAIN)
			break;
		if (n == 0) {
			fo_tls_io_rx_eof(&t->io);
			break;
		}
		if (n < 0)
			return n;
		fo_tls_io_rx_append(&t->io, c);
	}
	if (!t->done) {
		int rc = tls_handshake(s);

		if (rc != 0)
			return rc < 0 ? rc : 0;
	}
	/* nothing to decrypt: no ciphertext left, no plaintext held by the library */
	if (t->io.rx_len == 0 && !t->more && !t->io.rx_eof)
		return -EAGAIN;
	while (total < max) {
		uint32_t ask;

		m = rte_pktmbuf_alloc(pw->pool);
		if (m == NULL) {
			pw->stats.nombuf++;
			break;
		}
		ask = RTE_MIN((uint32_t)rte_pktmbuf_tailroom(m), max - total);
		n = fo_tls_read(t->conn, rte_pktmbuf_mtod(m, void *), ask);
		t->more = n == (ssize_t)ask; /* the record may hold more than asked */
		if (n <= 0) {
			rte_pktmbuf_free(m);
			if (t->io.rx_key_updates != t->ku_seen && px_tls_key_update_flood(s)) {
				rte_pktmbuf_free(first); /* (OpenSSL's own limit may have hit) */
				return -ECONNRESET;
			}
			if (n == -EPROTO)
				pw->stats.tls_bad_records++;
			if (total == 0 && n != -EAGAIN) {
				(void)tls_flush(s); /* an alert */
				return n == 0 ? 0 : -ECONNRESET;
			}
			break;
		}
		t->rx_plain += (uint64_t)n;
		m->data_len = (uint16_t)n;
		m->pkt_len = (uint32_t)n;
		if (first == NULL)
			first = m;
		else
			last->next = m;
		last = m;
		first->nb_segs = (uint16_t)(first == m ? 1 : first->nb_segs + 1);
		total += (uint32_t)n;
		if (!t->more && t->io.rx_len == 0)
			break; /* all read: no failing read (and mbuf) to find it out */
	}
	if (unlikely(t->io.rx_key_updates != t->ku_seen) && px_tls_key_update_flood(s)) {
		rte_pktmbuf_free(first);
		return -ECONNRESET;
	}
	(void)tls_flush(s); /* what reading may have queued (KeyUpdate answer) */
	if (first == NULL)
		return -EAGAIN;
	first->pkt_len = total;
	*head = first;
	return total;
}

uint32_t
px_tls_space(const struct px_sess *s)
{
	uint32_t n, over;

	if (s->tls->pend != NULL || s->c == NULL)
		return 0;
	n = fo_tcp_send_space(s->c);
	over = n / 32 + 64; /* room for the records' overhead */
	n = n > over ? n - over : 0;
	return RTE_MIN(n, PX_TLS_CHUNK_MAX);
}

/* Encrypt @p len bytes (one record when <= 16 KiB). @return 0, -ENOMEM, -EPIPE. */
static int
tls_write_all(struct px_sess *s, const uint8_t *p, uint32_t len)
{
	struct px_tls *t = s->tls;
	uint32_t off = 0;
	ssize_t w;

	while (off < len) {
		w = fo_tls_write(t->conn, p + off, len - off);
		if (w == -EAGAIN) {
			struct rte_mbuf *q;
			uint32_t qlen;

			/* send queue full or pool empty: park what it holds */
			q = fo_tls_io_tx_take(&t->io, &qlen);
			if (q == NULL) {
				s->pw->stats.nombuf++;
				return -ENOMEM;
			}
			t->pend = fo_mbuf_chain_join(t->pend, q);
			continue;
		}
		if (w < 0)
			return -EPIPE;
		off += (uint32_t)w;
	}
	return 0;
}

/* One record of @p len bytes (<= 16 KiB); the small phase counts down. 0, -ENOMEM, -EPIPE. */
static int
tls_record(struct px_sess *s, const uint8_t *p, uint32_t len)
{
	struct px_tls *t = s->tls;

	t->small_left = t->small_left > len ? t->small_left - len : 0;
	return tls_write_all(s, p, len);
}

ssize_t
px_tls_send(struct px_sess *s, struct rte_mbuf *chain)
{
	struct fo_proxy_worker *pw = s->pw;
	struct px_tls *t = s->tls;
	struct rte_mbuf *m;
	uint32_t total = 0, stage_len = 0;
	int rc;

	if (chain == NULL)
		return -EINVAL;
	rc = tls_flush(s);
	if (rc != 0)
		return rc == -EAGAIN ? -EAGAIN : -EPIPE;
	if (s->c == NULL)
		return -EPIPE;
	/*
	 * Record sizing (lib/tls/README.md). The first PX_TLS_SMALL_BYTES of a
	 * response, and the first after an idle second: a segment of the chain
	 * is a record (small ones, a head or a short body, gathered), so a
	 * record is about one TCP segment and decrypts as soon as it arrives.
	 * Then, streaming: the chain's segments gathered into 16 KiB records
	 * (11 times fewer records, each ≈0.5 µs, for one copy into the staging
	 * buffer); the last segment of a chain, when nothing is staged, is
	 * encrypted in place.
	 */
	if (s->out_bytes == 0 || pw->net->now - t->tx_tsc > pw->tsc_ms * PX_TLS_IDLE_MS)
		t->small_left = PX_TLS_SMALL_BYTES;
	t->tx_tsc = pw->net->now;
	for (m = chain; m != NULL; m = m->next) {
		int small = t->small_left != 0;

		total += m->data_len;
		if (stage_len == 0 && ((small && m->data_len >= PX_TLS_DIRECT_MIN) ||
					      (!small && m->next == NULL))) {
			/* a record of its own, without a copy */
			for (uint32_t off = 0; off < m->data_len;) {
				uint32_t k = RTE_MIN(m->data_len - off, PX_TLS_RECORD_MAX);

				rc = tls_record(s, rte_pktmbuf_mtod_offset(m, uint8_t *, off), k);
				if (rc != 0)
					goto fail;
				off += k;
			}
			continue;
		}
		for (uint32_t off = 0; off < m->data_len;) {
			uint32_t k = RTE_MIN(m->data_len - off, PX_TLS_RECORD_MAX - stage_len);

			memcpy(pw->tls_stage + stage_len,
				rte_pktmbuf_mtod_offset(m, uint8_t *, off), k);
			stage_len += k;
			off += k;
			if (stage_len == PX_TLS_RECORD_MAX) {
				rc = tls_record(s, pw->tls_stage, stage_len);
				if (rc != 0)
					goto fail;
				stage_len = 0;
			}
		}
	}
	if (stage_len != 0) {
		rc = tls_record(s, pw->tls_stage, stage_len);
		if (rc != 0)
			goto fail;
	}
	rte_pktmbuf_free(chain);
	rc = tls_flush(s);
	if (rc != 0 && rc != -EAGAIN)
		return -EPIPE;
	return total;
fail:
	return rc; /* the caller keeps the chain, and aborts */
}

int
px_tls_accept(struct px_sess *s)
{
	struct fo_proxy_worker *pw = s->pw;
	struct px_tls *t = &pw->tls_sess[s - pw->sess];
	/* acquire: pairs with fo_proxy_worker_tls_set(); the view stays valid
	 * until this worker's next quiescent state, and then by its refs */
	struct fo_proxy_tls *tc = __atomic_load_n(&pw->tls, __ATOMIC_ACQUIRE);

	fo_tls_io_init(&t->io, pw->pool, PX_TLS_TX_MAX);
	t->conn = fo_tls_conn_new(tc->entry, &t->io);
	if (t->conn == NULL)
		return -ENOMEM;
	/* -ENOTSUP (no asynchronous jobs here): whole flights */
	(void)fo_tls_conn_split(t->conn, (int)pw->cur->conf->http.tls_handshake_split);
	t->tc = tc;
	/* one writer (this worker). Relaxed: the control thread reads refs only
	 * after this worker's next quiescent state, whose release orders it */
	__atomic_store_n(&tc->refs, tc->refs + 1, __ATOMIC_RELAXED);
	t->pend = NULL;
	t->sni_idx = -1;
	t->sni_seen = t->done = t->shut_wanted = t->more = 0;
	t->hello_bad = t->hs_queued = t->hs_failed = t->flight_out = 0;
	t->small_left = 0;
	t->tx_tsc = 0;
	t->rx_plain = 0;
	t->ku_seen = 0;
	s->tls = t;
	pw->stats.tls_sessions++;
	return 0;
}

void
px_tls_release(struct px_sess *s)
{
	struct px_tls *t = s->tls;

	if (!t->done) {
		if (!t->hs_failed)
			s->pw->stats.tls_failed_reset++; /* e.g. reset after the server's flight */
		px_tls_hs_drop(s->pw, t);
	}
	fo_tls_conn_free(t->conn);
	t->conn = NULL;
	fo_tls_io_release(&t->io);
	/* release: a control thread that sees 0 (acquire) sees this session done with it */
	__atomic_store_n(&t->tc->refs, t->tc->refs - 1, __ATOMIC_RELEASE);
	t->tc = NULL;
	rte_pktmbuf_free(t->pend);
	t->pend = NULL;
	s->tls = NULL;
	s->fwdc_ok = 0; /* X-Forwarded-Proto would change */
}

int
px_tls_check(struct px_sess *s, const uint8_t *head, const struct fo_conf_route *route)
{
	/* a TLS session's indexes are those of the view it started on */
	const struct fo_proxy_tls *tc =
		s->tls != NULL ? s->tls->tc : __atomic_load_n(&s->pw->tls, __ATOMIC_ACQUIRE);
	const struct fo_http_msg *msg = &s->req;
	int64_t i = host_idx(tc, (const char *)head + msg->host.off, msg->host.len);

	if (s->tls != NULL) {
		/* Gateway API: a Host naming another certificate than the SNI chose; a
		 * client that sent no name (or one no certificate has) is not refused */
		if (i >= 0 && s->tls->sni_idx >= 0 && i != s->tls->sni_idx) {
			s->pw->stats.tls_misdirected++;
			return 421;
		}
		return 0;
	}
	if (i >= 0 && tc->ssl_redirect && (route == NULL || !route->no_ssl_redirect))
		return 308;
	return 0;
}

int
px_tls_init(struct fo_proxy_worker *pw)
{
	/* calloc'ed as the sessions: a worker without TLS sessions never maps these pages */
	pw->tls_sess = calloc(pw->n_sess, sizeof(*pw->tls_sess));
	pw->tls_stage = malloc(PX_TLS_RECORD_MAX);
	if (pw->tls_sess == NULL || pw->tls_stage == NULL)
		return -ENOMEM;
	/* the value is the session's view's (px_tls_mods()) */
	pw->hsts.name = "Strict-Transport-Security";
	pw->hsts.name_len = (uint16_t)strlen(pw->hsts.name);
	pw->hsts.op = FO_HTTP_MOD_SET;
	return 0;
}

int
fo_proxy_worker_tls(struct fo_proxy_worker *pw, struct fo_proxy_tls *conf)
{
	/* the state it needs is the worker's from creation: a view is all there is to set */
	fo_proxy_worker_tls_set(pw, conf);
	return 0;
}

void
fo_proxy_worker_tls_set(struct fo_proxy_worker *pw, struct fo_proxy_tls *tls)
{
	/* release: the view's contents (contexts, SNI table) before the pointer */
	__atomic_store_n(&pw->tls, tls, __ATOMIC_RELEASE);
}

void
px_tls_mods(struct px_sess *s, const struct fo_http_mod **mods, unsigned *n_mods)
{
	struct fo_proxy_worker *pw = s->pw;
	const char *hsts = s->tls->tc->hsts;

	if (hsts == NULL)
		return;
	if (*n_mods + 1 > PX_TLS_MODS_MAX)
		return; /* (more modifiers than any route has) */
	if (*n_mods != 0)
		memcpy(pw->tls_mods, *mods, *n_mods * sizeof(**mods));
	pw->tls_mods[*n_mods] = pw->hsts;
	pw->tls_mods[*n_mods].value = hsts;
	pw->tls_mods[*n_mods].value_len = (uint16_t)strlen(hsts);
	*mods = pw->tls_mods;
	(*n_mods)++;
}
