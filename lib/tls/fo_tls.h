/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * fanout TLS: TLS termination on fanout's own TCP stack.
 *
 * The interface names no OpenSSL type, so that another library (OpenSSL
 * 3.5, AWS-LC) can replace Debian's OpenSSL 3.0 behind it. Pieces:
 *
 *  - struct fo_tls_io: the mbuf side of one connection. Ciphertext from
 *    TCP is appended to its receive chain as it arrives (fo_tcp_recv()
 *    chains, zero copy); the TLS library reads records straight out of
 *    those mbufs and writes records straight into mbufs of a bounded send
 *    queue that the caller hands to fo_tcp_send(). One copy each way (a
 *    pair of memory BIOs would make two).
 *  - struct fo_tls_worker: one per worker lcore, created once on the
 *    control thread (an OpenSSL library context with the algorithms the
 *    handshakes use fetched once).
 *  - struct fo_tls_cert: a certificate (leaf + chain) and its key, loaded
 *    from PEM files and validated, or a generated self-signed default.
 *  - struct fo_tls_ctx: a server context for one worker and one set of
 *    names (an RSA and an ECDSA certificate may share it), built on the
 *    control thread, used by that worker only.
 *  - struct fo_tls_sni: the name -> context table (exact, then wildcard,
 *    then default), a pure function.
 *  - struct fo_tls_keyset / fo_tls_keys: session ticket keys shared by all
 *    workers, {previous, current, next}, rotated and published by the
 *    control thread, read by workers without locks.
 *  - fo_tls_hello_parse(): SNI and ALPN of a ClientHello without any TLS
 *    library (SNI passthrough).
 *
 * Threads: everything that creates or frees (workers, certificates,
 * contexts, key sets) runs on the control thread; connections, reads,
 * writes and handshakes run on the worker owning the context.
 */
#ifndef FO_TLS_H
#define FO_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct rte_mbuf;
struct rte_mempool;

/* ------------------------------------------------------------------ */
/* The mbuf side of a connection                                        */

/**
 * Receive chain and send queue of one TLS connection. Embedded by the
 * owner (a proxy session); fields are read-only for the owner except
 * through the functions below.
 */
struct fo_tls_io {
	struct rte_mbuf *rx_head; /**< ciphertext not read yet (segments linked by next) */
	struct rte_mbuf *rx_tail;
	uint32_t rx_off;          /**< bytes of rx_head already read */
	uint32_t rx_len;          /**< bytes not read yet, over the whole chain */
	struct rte_mbuf *tx_head; /**< records written, not taken by fo_tls_io_tx_take() */
	struct rte_mbuf *tx_tail;
	uint32_t tx_len;        /**< bytes in the send queue */
	uint32_t tx_max;        /**< bound of the send queue: writes beyond it are partial */
	struct rte_mempool *mp; /**< where send mbufs come from */
	uint8_t rx_eof;         /**< the peer closed: reads past the data return EOF */
	uint64_t rx_copied;     /**< bytes copied out of receive mbufs (one memcpy each) */
	uint64_t tx_copied;     /**< bytes copied into send mbufs (one memcpy each) */
	uint64_t tx_nombuf;     /**< writes cut short by an empty pool */
	/**
	 * TLS 1.3 KeyUpdate messages received from the peer (counted as the
	 * library parses them, see fo_tls_conn_new()): the owner decides how
	 * many it tolerates (each one costs a key derivation, and one asking
	 * for an update costs a KeyUpdate of ours).
	 */
	uint32_t rx_key_updates;
	/** lib/tls: 1 once the SNI map chose this connection's certificate, 2 once its
	 * handshake was counted (struct fo_tls_hs_count) */
	uint8_t hs_state;
	/** lib/tls: 1 while the handshake may stop between its pieces
	 * (fo_tls_conn_split()) */
	uint8_t hs_split;
	/** handshake pieces that ended early for the owner's loop (-EINPROGRESS) */
	uint32_t hs_pauses;
};

/**
 * Initialise @p io, empty. @p tx_max 0 means 64 KiB.
 */
void fo_tls_io_init(struct fo_tls_io *io, struct rte_mempool *mp, uint32_t tx_max);

/**
 * Append received ciphertext (a chain of whole mbufs, as fo_tcp_recv()
 * returns it; ownership passes to @p io). Empty segments are allowed.
 */
void fo_tls_io_rx_append(struct fo_tls_io *io, struct rte_mbuf *chain);

/** The peer sent FIN: once the chain is read, the TLS library sees EOF. */
void fo_tls_io_rx_eof(struct fo_tls_io *io);

/**
 * Take the whole send queue as one chain (head with nb_segs and pkt_len
 * set), for fo_tcp_send(). Ownership passes to the caller.
 *
 * @return the chain, or NULL when the queue is empty; *@p len its bytes.
 */
struct rte_mbuf *fo_tls_io_tx_take(struct fo_tls_io *io, uint32_t *len);

/** Free both queues; @p io is empty after (fo_tls_io_init() not needed again). */
void fo_tls_io_release(struct fo_tls_io *io);

/* ------------------------------------------------------------------ */
/* Workers, certificates, contexts                                      */

struct fo_tls_worker;
struct fo_tls_cert;
struct fo_tls_ctx;
struct fo_tls_conn;
struct fo_tls_keys;

/** Key algorithm of a certificate. */
enum fo_tls_key_type {
	FO_TLS_KEY_RSA,
	FO_TLS_KEY_ECDSA,
	FO_TLS_KEY_OTHER,
};

/**
 * ingress-nginx's default `ssl-ciphers` (TLS 1.2 suites; TLS 1.3 uses
 * OpenSSL's default suites). The DHE suites are never negotiated: no DH
 * parameters are configured, as in ingress-nginx without `ssl-dh-param`.
 */
#define FO_TLS_DEFAULT_CIPHERS                                                                     \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                               \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                               \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"                               \
	"DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384"
/** Key exchange groups, in preference order. */
#define FO_TLS_DEFAULT_GROUPS "X25519:P-256"
/** Session ticket key rotation period, seconds (12 h). */
#define FO_TLS_DEFAULT_TICKET_PERIOD (12 * 3600)

/** Protocol versions: TLS 1.2 and 1.3 only. */
enum fo_tls_version {
	FO_TLS_V1_2 = 0x0303,
	FO_TLS_V1_3 = 0x0304,
};

/** Context settings; zero / NULL fields take the defaults above. */
struct fo_tls_ctx_config {
	const char *ciphers;             /**< TLS 1.2 cipher list (OpenSSL syntax) */
	const char *groups;              /**< key exchange groups */
	enum fo_tls_version min_version; /**< 0: TLS 1.2 */
	uint32_t ticket_period;          /**< seconds; ticket lifetime is 2 periods */
	/**
	 * ALPN protocols in preference order, NULL-terminated; NULL: only
	 * "http/1.1" (the hook for "h2"). A client that offers ALPN without
	 * any of them gets a no_application_protocol alert (RFC 7301).
	 */
	const char *const *alpn;
	uint8_t no_tickets; /**< 1: no session tickets (no resumption at all) */
};

/**
 * Create a worker's TLS state: its own library context, with the ticket
 * cipher and MAC fetched once. Control thread, once per worker.
 *
 * @return the worker, or NULL (out of memory, library failure).
 */
struct fo_tls_worker *fo_tls_worker_create(void);

/** Free a worker's state, after every context of it. NULL is a no-op. */
void fo_tls_worker_free(struct fo_tls_worker *w);

/**
 * X25519 key pairs generated on @p w by lib/tls's own key manager (the one
 * whose key generation is a piece of a split handshake, see
 * fo_tls_conn_split()). Relaxed load, any thread.
 *
 * @return the count; 0 when that key manager could not be loaded (the
 *         library's default one then serves X25519).
 */
uint64_t fo_tls_worker_kex_keys(const struct fo_tls_worker *w);

/**
 * Load a certificate chain (PEM: leaf first, then intermediates in
 * order) and its private key (PEM, unencrypted), and validate them: the
 * key matches the leaf, the leaf is valid at @p now (not yet valid or
 * expired is an error), each certificate of the chain is issued by the
 * next one (chain order), the key is RSA or ECDSA. Control thread.
 *
 * @param err  receives "file: message" on failure (may be NULL).
 * @return the certificate, or NULL with @p err set.
 */
struct fo_tls_cert *fo_tls_cert_load(
	const char *cert_file, const char *key_file, time_t now, char *err, size_t errlen);

/**
 * Generate a self-signed certificate, as ingress-nginx does for its
 * default server: ECDSA P-256, CN and SAN @p name ("fanout default
 * certificate" style names are fine: it is only served to unknown names),
 * valid from an hour before @p now for @p days days, a random serial.
 *
 * @return the certificate, or NULL with @p err set.
 */
struct fo_tls_cert *fo_tls_cert_selfsigned(
	const char *name, time_t now, unsigned days, char *err, size_t errlen);

/** Free a certificate (contexts hold their own references). NULL is a no-op. */
void fo_tls_cert_free(struct fo_tls_cert *c);

/**
 * DNS names the certificate serves: its SAN DNS entries, lower-cased, or
 * its subject CN when it has no SAN DNS entry.
 *
 * @return the number of names (may exceed @p max: only @p max are stored).
 */
unsigned fo_tls_cert_names(const struct fo_tls_cert *c, const char **names, unsigned max);

/** @return the key algorithm of @p c. */
enum fo_tls_key_type fo_tls_cert_key_type(const struct fo_tls_cert *c);

/** @return the leaf's notAfter, seconds since the epoch. */
time_t fo_tls_cert_not_after(const struct fo_tls_cert *c);

/** What `fanoutctl certs` shows of a certificate (fo_tls_cert_info()). */
struct fo_tls_cert_info {
	char subject[256]; /**< leaf subject, RFC 2253 ("CN=a.test,O=..."), cut */
	char issuer[256];  /**< leaf issuer, RFC 2253, cut */
	char serial[80];   /**< leaf serial number, upper-case hex ("1001", "3A0F...") */
	time_t not_before, not_after;
	enum fo_tls_key_type type;
	unsigned n_chain; /**< intermediates after the leaf */
};

/**
 * Describe @p c (control thread: listing, metrics).
 * @return 0, or -EINVAL (NULL argument).
 */
int fo_tls_cert_info(const struct fo_tls_cert *c, struct fo_tls_cert_info *out);

/**
 * Build a server context for worker @p w serving certificates @p certs
 * (at most one per key type: an RSA and an ECDSA one for the same names;
 * the ECDSA one is served to clients that offer ECDSA signatures).
 * Settings: TLS 1.2 and 1.3 only, @p cfg's ciphers and groups,
 * renegotiation off, 0-RTT off, SSL_MODE_RELEASE_BUFFERS, partial writes,
 * no session cache, tickets encrypted with the key set of @p keys
 * (NULL: tickets off). Control thread.
 *
 * @return the context, or NULL with @p err set.
 */
struct fo_tls_ctx *fo_tls_ctx_create(struct fo_tls_worker *w, struct fo_tls_cert *const *certs,
	unsigned n_certs, const struct fo_tls_ctx_config *cfg, struct fo_tls_keys *keys, char *err,
	size_t errlen);

/** Drop the creator's reference to @p ctx; connections hold their own. NULL is a no-op. */
void fo_tls_ctx_free(struct fo_tls_ctx *ctx);

/* ------------------------------------------------------------------ */
/* Connections                                                          */

/**
 * A server connection on @p ctx over @p io (which must outlive it).
 * KeyUpdate messages it receives are counted in @p io->rx_key_updates.
 * Worker thread.
 *
 * @return the connection, or NULL (out of memory).
 */
struct fo_tls_conn *fo_tls_conn_new(struct fo_tls_ctx *ctx, struct fo_tls_io *io);

/**
 * Free a connection (no close_notify is sent). NULL is a no-op. A
 * handshake stopped between pieces (-EINPROGRESS) is first run to its end
 * (the library cannot drop it half-way), at most the rest of one flight.
 */
void fo_tls_conn_free(struct fo_tls_conn *c);

/**
 * Split @p c's handshake into pieces (@p on 1, before the first
 * fo_tls_handshake()): a TLS 1.3 server flight stops after its X25519 key
 * pair (the ClientHello's piece), after its ServerHello (the shared
 * secret) and after its CertificateVerify (the signature), so no call runs
 * more than about a quarter of a full handshake's CPU; the owner goes round
 * its loop between pieces. A resumed handshake stops after the key pair
 * and the ServerHello; TLS 1.2 after its ServerHello and after the key pair
 * of its ServerKeyExchange. With a group other than X25519 (P-256), or
 * when lib/tls's key manager could not be loaded (fo_tls_worker_kex_keys()
 * stays 0), there is no stop at the key pair. Off: a call runs a whole
 * flight.
 * Uses the library's asynchronous jobs (a fiber of its own per stopped
 * handshake, and a context switch per piece).
 *
 * @return 0; -ENOTSUP when this platform has no asynchronous jobs (the
 *         handshake then runs in whole flights).
 */
int fo_tls_conn_split(struct fo_tls_conn *c, int on);

/**
 * Advance the handshake with what @p io holds.
 *
 * @return 0 (complete); -EAGAIN (needs more input, or send queue full:
 *         take it and call again); -EINPROGRESS (a piece done, see
 *         fo_tls_conn_split(): call again, with no new input needed, when
 *         the owner's loop allows); -EPROTO (handshake failed: send what
 *         the send queue holds (an alert), then close); -ECONNRESET (EOF).
 */
int fo_tls_handshake(struct fo_tls_conn *c);

/**
 * Decrypt up to @p len bytes of application data.
 *
 * @return bytes (>0); 0 at close_notify or EOF; -EAGAIN (no whole record
 *         yet); -EPROTO (bad record, alert queued).
 */
ssize_t fo_tls_read(struct fo_tls_conn *c, void *buf, size_t len);

/**
 * Encrypt up to @p len bytes into records in the send queue. May be
 * partial when the queue is full; then retry with the rest of the data
 * after taking the queue.
 *
 * @return bytes taken (>0); -EAGAIN (queue full, nothing taken);
 *         -EPROTO.
 */
ssize_t fo_tls_write(struct fo_tls_conn *c, const void *buf, size_t len);

/**
 * The protocol ALPN selected (not terminated), e.g. "http/1.1".
 * @return its length; 0 when the client offered no ALPN.
 */
size_t fo_tls_conn_alpn(const struct fo_tls_conn *c, const char **proto);

/** @return 1 when the handshake resumed a session (ticket), else 0. */
int fo_tls_conn_resumed(const struct fo_tls_conn *c);

/* ------------------------------------------------------------------ */
/* SNI                                                                  */

/** One name of the SNI table: a DNS name or "*.domain", and what it selects. */
struct fo_tls_sni_name {
	char name[256]; /**< lower-case */
	uint32_t idx;   /**< caller's index (a context) */
};

/** Name -> index table, sorted by name. Built on the control thread, immutable. */
struct fo_tls_sni {
	struct fo_tls_sni_name *names;
	unsigned n;
	int64_t default_idx; /**< index for unknown names; <0: none */
	uint8_t strict;      /**< 1: unknown names are refused even with a default */
};

/** fo_tls_sni_select(): no name matched and strict_sni (or no default): refuse. */
#define FO_TLS_SNI_REFUSE (-1)

/**
 * Build @p t from @p n (name, idx) pairs: names are lower-cased and
 * sorted; the first pair wins for a name listed twice. A wildcard is
 * accepted only as a whole first label of a name with at least two more
 * labels ("*.example.com"; not "*.com", "a*.example.com", "*").
 *
 * @return 0; -EINVAL (bad name, @p err set); -ENOMEM.
 */
int fo_tls_sni_build(struct fo_tls_sni *t, const char *const *names, const uint32_t *idx,
	unsigned n, int64_t default_idx, int strict, char *err, size_t errlen);

/** Free the table's names. */
void fo_tls_sni_release(struct fo_tls_sni *t);

/**
 * Select for the server name @p sni (@p len bytes, not terminated; NULL
 * or 0 when the client sent none): exact name (case-insensitive), then a
 * wildcard of exactly one label (RFC 6125: "*.example.com" matches
 * "a.example.com", not "example.com" nor "a.b.example.com"), then the
 * default unless strict. A trailing dot is ignored.
 *
 * @return the index, or FO_TLS_SNI_REFUSE.
 */
int64_t fo_tls_sni_select(const struct fo_tls_sni *t, const char *sni, size_t len);

/**
 * A listener's certificate choice on one worker: the SNI table and the
 * contexts its indexes name (all of this worker). Built on the control
 * thread, immutable while a context uses it, except the counters (written
 * by the worker only).
 */
struct fo_tls_sni_map {
	const struct fo_tls_sni *sni;
	struct fo_tls_ctx *const *ctxs; /**< indexed by fo_tls_sni_select()'s result */
	uint32_t n_ctxs;
	uint64_t served_default; /**< handshakes given the default (no name matched) */
	uint64_t refused;        /**< ClientHellos refused (strict_sni, no default) */
};

/**
 * Handshakes of the connections that were served a context's certificate
 * by the SNI map (fo_tls_ctx_set_sni()): @c full and @c resumed when the
 * handshake completed, @c failed when the connection ended before that
 * (an alert such as unknown CA, a protocol error, the client closing, a
 * timeout). Written by the worker owning the context only (a plain store,
 * on a cache line of its own), read by any thread with
 * fo_tls_ctx_hs_count().
 */
struct fo_tls_hs_count {
	uint64_t full, resumed, failed;
};

/** A snapshot of @p ctx's counters (relaxed loads; any thread). */
void fo_tls_ctx_hs_count(const struct fo_tls_ctx *ctx, struct fo_tls_hs_count *out);

/**
 * Choose the certificate by SNI on connections created on @p entry: when a
 * ClientHello arrives, fo_tls_sni_select() picks one of @p map's contexts
 * and the connection switches to it; a refusal ends the handshake with an
 * unrecognized_name alert (fo_tls_handshake() returns -EPROTO). @p map must
 * outlive the connections of @p entry. NULL removes the choice (every
 * connection keeps @p entry).
 *
 * @return 0; -EINVAL (an index of the table beyond n_ctxs).
 */
int fo_tls_ctx_set_sni(struct fo_tls_ctx *entry, struct fo_tls_sni_map *map);

/* ------------------------------------------------------------------ */
/* Session ticket keys                                                  */

/** One ticket key: its name (in every ticket), AES-256 and HMAC-SHA256 keys. */
struct fo_tls_ticket_key {
	uint8_t name[16];
	uint8_t aes[32];
	uint8_t hmac[32];
};

/** Key set: tickets are issued under cur and accepted under prev, cur and next. */
struct fo_tls_keyset {
	struct fo_tls_ticket_key prev, cur, next;
	uint64_t generation; /**< rotations since the first set */
};

/**
 * Where workers find the current key set: a pointer the control thread
 * swaps (release) and workers load (acquire) once per ticket operation.
 */
struct fo_tls_keys {
	struct fo_tls_keyset *_Atomic set;
};

/**
 * A new key set with three random keys (generation 0).
 * @return it, or NULL (out of memory, no randomness).
 */
struct fo_tls_keyset *fo_tls_keyset_new(void);

/**
 * The set after @p old: prev = old cur, cur = old next, next = a new
 * random key. A ticket is thus accepted for two periods after its key
 * became current, and a node that rotated slightly earlier than another
 * still accepts its tickets (next).
 *
 * @return the new set, or NULL.
 */
struct fo_tls_keyset *fo_tls_keyset_rotate(const struct fo_tls_keyset *old);

/**
 * Publish @p ks (release store: a worker that loads it sees it whole).
 * @return the previous set: free it with fo_tls_keyset_free() only after
 *         every worker has passed a quiescent state (RCU grace period).
 */
struct fo_tls_keyset *fo_tls_keys_publish(struct fo_tls_keys *k, struct fo_tls_keyset *ks);

/** Bytes of one key in a ticket key file: name 16, HMAC-SHA256 key 32, AES-256 key 32. */
#define FO_TLS_TICKET_FILE_KEY 80

/**
 * A key set from the bytes of a ticket key file (`tls_ticket_key_file`),
 * shared by several nodes: 80 bytes (one key, in nginx's 80-byte layout:
 * name, HMAC key, AES key; it is prev, cur and next at once) or 240
 * bytes (three such keys: previous, current, next). Whoever writes the
 * file rotates it: drop the first 80 bytes, append 80 new random ones.
 * The three names must differ.
 *
 * @param file  names the file in @p err (NULL: "ticket key file").
 * @return the set (generation 0), or NULL with "file: message" in @p err.
 */
struct fo_tls_keyset *fo_tls_keyset_parse(
	const uint8_t *buf, size_t len, const char *file, char *err, size_t errlen);

/**
 * fo_tls_keyset_parse() of the file @p path (control thread: reads it).
 * @return the set, or NULL with "path: message" in @p err.
 */
struct fo_tls_keyset *fo_tls_keyset_load(const char *path, char *err, size_t errlen);

/** Free a key set (its keys are wiped). NULL is a no-op. */
void fo_tls_keyset_free(struct fo_tls_keyset *ks);

/* ------------------------------------------------------------------ */
/* ClientHello                                                          */

/**
 * Bound on a ClientHello's records together on the wire (headers
 * included): 64 KiB, four full records; room for post-quantum key shares
 * (an ML-KEM-768 share is 1,184 bytes, a ClientHello with several a few
 * KiB). A caller buffers at most this much before the choice.
 */
#define FO_TLS_HELLO_MAX 65536u

/** What fo_tls_hello_parse() extracts; pointers into the caller's buffer or scratch. */
struct fo_tls_hello {
	const uint8_t *sni; /**< first host_name of server_name, or NULL */
	uint16_t sni_len;
	const uint8_t *alpn; /**< ALPN protocol_name_list (length-prefixed names), or NULL */
	uint16_t alpn_len;
	uint16_t legacy_version; /**< ClientHello.legacy_version */
	uint8_t tls13;           /**< supported_versions offers TLS 1.3 */
	uint16_t records;        /**< records the ClientHello came in (success) */
	uint32_t need;           /**< -EAGAIN: the answer cannot change before this many bytes */
};

/**
 * Parse the ClientHello that starts a TLS stream, without any TLS library.
 * The handshake message may be fragmented over any number of handshake
 * records (RFC 8446 5.1; each 1..2^14 bytes, the header itself may be
 * split), up to FO_TLS_HELLO_MAX bytes of records; nothing else may share
 * the last record. Reads only inside @p buf[0..len); a ClientHello in one
 * record is parsed in place, one in several is gathered into @p scratch
 * (FO_TLS_HELLO_MAX bytes, or NULL: refused as -EMSGSIZE), where @p h's
 * pointers then point.
 *
 * @return bytes of the records holding the ClientHello (>0);
 *         -EAGAIN (incomplete: read more, at least up to h->need bytes;
 *         never when @p len >= FO_TLS_HELLO_MAX);
 *         -EBADMSG (not TLS, not a ClientHello, a record of another type
 *         in between, malformed lengths, bytes after it in its record);
 *         -EMSGSIZE (over FO_TLS_HELLO_MAX, or in several records with
 *         no @p scratch).
 */
int fo_tls_hello_parse(const uint8_t *buf, size_t len, uint8_t *scratch, struct fo_tls_hello *h);

#endif /* FO_TLS_H */
