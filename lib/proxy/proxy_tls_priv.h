/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * lib/proxy's private functions of its TLS side: TLS client sessions
 * (proxy_tls.c), handshake fairness and abuse limits (proxy_tls_hs.c) and
 * SNI passthrough (proxy_passthrough.c). Included by proxy_priv.h, after
 * the types they use; not to be included on its own.
 */
#ifndef PROXY_TLS_PRIV_H
#define PROXY_TLS_PRIV_H

/* proxy_tls.c */
ssize_t px_tls_recv(struct px_sess *s, struct rte_mbuf **head, uint32_t max);
ssize_t px_tls_send(struct px_sess *s, struct rte_mbuf *chain);
uint32_t px_tls_space(const struct px_sess *s);
int px_tls_shutdown(struct px_sess *s);
/** Send space again: records waiting go to TCP. @return 0 or -errno. */
int px_tls_writable(struct px_sess *s);
/** A session accepted on a TLS listener: its TLS state. @return 0 or -ENOMEM. */
int px_tls_accept(struct px_sess *s);
/** The per-session TLS states and the record stage, at creation (untouched pages: no memory
 *  until a TLS session uses them); a view may then be published at any time. @return 0, -ENOMEM. */
int px_tls_init(struct fo_proxy_worker *pw);
void px_tls_release(struct px_sess *s);
/** 421 (TLS: Host names another certificate), 308 (plain: to https), or 0. */
int px_tls_check(struct px_sess *s, const uint8_t *head, const struct fo_conf_route *route);
/** HSTS added to a final response's modifiers (TLS sessions). */
void px_tls_mods(struct px_sess *s, const struct fo_http_mod **mods, unsigned *n_mods);
/* proxy_tls_hs.c */
/**
 * May @p s run a handshake step now? Yes from px_tls_hs_run(), for the
 * session it took off the queue, and for a step after the server's flight
 * when nothing waits and this loop iteration has budget left
 * (tls_handshakes_per_poll). Otherwise the session is queued (once) and
 * its bytes stay in TCP. @return 1 run it, 0 queued.
 */
int px_tls_hs_admit(struct px_sess *s);
/**
 * Run queued steps with what is left of this loop iteration's budget, then
 * refill it for the next (once per iteration: fo_proxy_poll_tls()).
 * @return steps run.
 */
unsigned px_tls_hs_run(struct fo_proxy_worker *pw);
/**
 * @p s's handshake stopped between two pieces (fo_tls_conn_split()): it
 * goes first in the queue, to go on in the next loop iterations before
 * another handshake starts (one stopped handshake at a time, and each
 * completes as soon as unsplit).
 */
void px_tls_hs_again(struct px_sess *s);
/** A session released before its handshake completed: off the queue and the gauge. */
void px_tls_hs_drop(struct fo_proxy_worker *pw, struct px_tls *t);
/** Room for one more half-open handshake (tls_handshakes_max)? Counts a refusal. */
int px_tls_hs_room(struct fo_proxy_worker *pw);
/** A handshake started (accept): gauge, tls_handshake_timeout armed. */
void px_tls_hs_begin(struct px_sess *s);
/** The handshake completed: gauge; the first request head has client_header_timeout. */
void px_tls_hs_end(struct px_sess *s);
/** The session's timer fired during its handshake: counted, reset. @return PX_GONE. */
int px_tls_hs_timeout(struct px_sess *s);
/** Over the KeyUpdate allowance (counted)? @return 1: reset the connection. */
int px_tls_key_update_flood(struct px_sess *s);

/* proxy_passthrough.c */
/** The passthrough name table of @p snap (snap->pass; NULL without names). @return 0, -ENOMEM. */
int px_pass_snap_init(struct fo_proxy_snapshot *snap);
void px_pass_snap_free(struct fo_proxy_snapshot *snap);
/** A session accepted on a passthrough listener: wait for its ClientHello. */
void px_pass_accept(struct px_sess *s);
/** PX_PASS_HELLO, client readable: read the ClientHello, choose, connect. @return 0 / PX_GONE. */
int px_pass_hello(struct px_sess *s);
/**
 * `tls passthrough` listener, before the handshake: gather the ClientHello
 * in the TLS receive chain; splice it when its name has a passthrough block.
 * @return 0: go on with TLS (the session has PX_S_PASS_SEEN); 1: handled or
 *         waiting for more of the ClientHello; PX_GONE.
 */
int px_pass_peek(struct px_sess *s);
/** PX_PASS: the upstream accepted the connection: splice. */
void px_pass_connected(struct px_sess *s);
/** PX_PASS: no server took the connection (px_error()'s place): reset, count. PX_GONE. */
int px_pass_error(struct px_sess *s);
/** PX_PASS_HELLO: client_header_timeout passed. */
void px_pass_timeout(struct px_sess *s);

#endif /* PROXY_TLS_PRIV_H */
