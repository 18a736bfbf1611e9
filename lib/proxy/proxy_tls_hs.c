/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fairness of TLS handshakes on a worker, and the KeyUpdate bound.
 *
 * A full handshake costs about as much CPU as 200 proxied keep-alive
 * requests (≈250 µs, lib/tls/README.md). Run inline from TCP's readable
 * callbacks, a burst of ClientHellos would hold the worker for a burst's
 * worth of them (32 × 250 µs = 8 ms) before the keep-alive requests of the
 * same burst get a turn. So:
 *
 *  - A worker runs at most `tls_handshakes_per_poll` handshake steps
 *    (default 1) per loop iteration, at its end: TCP's readable callbacks
 *    only put a session with bytes to read on a per-worker FIFO (its bytes
 *    stay in TCP, whose window closes if it waits long), and
 *    fo_proxy_poll_tls() runs the FIFO's first steps once the iteration has
 *    sent what it made for every other client (the worker loop calls it
 *    after its transmit burst, then sends the step's own flight). So a
 *    keep-alive request waits for at most the rest of a step that was
 *    running when it arrived, never for one that starts after it: it is
 *    read, forwarded and sent in the next iteration, before that
 *    iteration's step. Handshake throughput is not lowered by it: an idle
 *    loop costs well under a microsecond against ≈250 µs per handshake. A
 *    step queued in an earlier iteration than the one that runs it is
 *    counted (tls_handshake_deferred). The exception: a step after the
 *    server's flight has gone (the client's Finished, or an alert) runs at
 *    once from the callback when nothing waits and the iteration has budget
 *    left, so that a client's alert followed by a reset in one burst is read
 *    (and counted by its reason) before the reset drops the connection.
 *    Otherwise a session reset while it waits goes without its bytes being
 *    read (tls_failed_reset), which also spares fanout the work of a
 *    ClientHello sent with a reset.
 *  - Half-open handshakes are bounded per worker (`tls_handshakes_max`,
 *    default 512: about 25 MB of OpenSSL state at ≈50 KB each); a TLS
 *    connection over the bound is refused with RST (tls_refused_handshakes).
 *    The queue holds only half-open sessions, so it is bounded by the same.
 *  - A handshake must complete within `tls_handshake_timeout` (default
 *    10 s) of the accept, else the connection is reset
 *    (tls_handshake_timeouts): without it a client that sends nothing, half
 *    a ClientHello, or stops after the server's flight would hold its state
 *    for client_header_timeout.
 *  - KeyUpdate (TLS 1.3): lib/tls counts the client's messages; each costs
 *    a key derivation and, when it asks for one, a KeyUpdate of ours.
 *    Legitimate clients update keys after gigabytes (AES-GCM's limit is
 *    2^24.5 records), so a connection is allowed 8, plus one per MiB of
 *    plaintext it sent; past that it is reset (tls_key_update_flood).
 */
#include "proxy_priv.h"

/** KeyUpdates any connection may send. */
#define PX_TLS_KEY_UPDATES_FREE 8u
/** ... plus one per this many plaintext bytes read from it. */
#define PX_TLS_KEY_UPDATE_BYTES (1u << 20)

static void
hs_unlink(struct fo_proxy_worker *pw, struct px_tls *t)
{
	if (t->hs_prev != NULL)
		t->hs_prev->hs_next = t->hs_next;
	else
		pw->hs_head = t->hs_next;
	if (t->hs_next != NULL)
		t->hs_next->hs_prev = t->hs_prev;
	else
		pw->hs_tail = t->hs_prev;
	t->hs_next = t->hs_prev = NULL;
	t->hs_queued = 0;
}

int
px_tls_hs_admit(struct px_sess *s)
{
	struct fo_proxy_worker *pw = s->pw;
	struct px_tls *t = s->tls;

	if (pw->hs_cur == t)
		return 1;
	/* after the server's flight (the client's Finished, or its alert), at
	 * once when nothing waits and the iteration has budget left: so an alert
	 * followed by a reset in one burst is read before the reset drops it */
	if (t->flight_out && pw->hs_head == NULL && pw->hs_budget != 0) {
		pw->hs_budget--;
		return 1;
	}
	if (!t->hs_queued) {
		t->hs_queued = 1;
		t->hs_loop = pw->hs_loop;
		t->hs_next = NULL;
		t->hs_prev = pw->hs_tail;
		if (pw->hs_tail != NULL)
			pw->hs_tail->hs_next = t;
		else
			pw->hs_head = t;
		pw->hs_tail = t;
	}
	return 0;
}

unsigned
px_tls_hs_run(struct fo_proxy_worker *pw)
{
	uint32_t max = pw->cur->conf->http.tls_handshakes_per_poll;
	unsigned n = 0;
	struct px_tls *t;

	while (pw->hs_budget != 0 && pw->hs_head != NULL) {
		pw->hs_budget--;
		t = pw->hs_head;
		hs_unlink(pw, t);
		if (t->hs_loop != pw->hs_loop)
			pw->stats.tls_handshake_deferred++; /* queued in an earlier loop */
		pw->hs_cur = t;
		px_cl_pump(&pw->sess[t - pw->tls_sess]); /* may free the session */
		pw->hs_cur = NULL;
		n++;
	}
	pw->hs_budget = max; /* the next iteration's */
	pw->hs_loop++;
	return n;
}

void
px_tls_hs_again(struct px_sess *s)
{
	struct fo_proxy_worker *pw = s->pw;
	struct px_tls *t = s->tls;

	pw->stats.tls_handshake_pieces++;
	if (t->hs_queued)
		hs_unlink(pw, t);
	t->hs_queued = 1;
	t->hs_loop = pw->hs_loop + 1; /* its next piece is no deferral */
	t->hs_prev = NULL;
	t->hs_next = pw->hs_head;
	if (pw->hs_head != NULL)
		pw->hs_head->hs_prev = t;
	else
		pw->hs_tail = t;
	pw->hs_head = t;
}

void
px_tls_hs_drop(struct fo_proxy_worker *pw, struct px_tls *t)
{
	if (t->hs_queued)
		hs_unlink(pw, t);
	pw->stats.tls_handshaking--;
}

int
px_tls_hs_room(struct fo_proxy_worker *pw)
{
	if (pw->stats.tls_handshaking < pw->cur->conf->http.tls_handshakes_max)
		return 1;
	pw->stats.tls_refused_handshakes++;
	return 0;
}

void
px_tls_hs_begin(struct px_sess *s)
{
	s->pw->stats.tls_handshaking++;
	/* earlier than the head's client_header_timeout, which it replaces */
	px_sess_deadline(s, s->pw->cur->conf->http.tls_handshake_timeout_ms);
}

void
px_tls_hs_end(struct px_sess *s)
{
	struct fo_proxy_worker *pw = s->pw;

	pw->stats.tls_handshaking--;
	/* the first request head has its own time from now (later: no timer touched) */
	px_sess_deadline(s, pw->cur->conf->http.client_header_timeout_ms);
}

int
px_tls_hs_timeout(struct px_sess *s)
{
	s->tls->hs_failed = 1;
	s->pw->stats.tls_handshake_timeouts++;
	return px_sess_abort(s);
}

int
px_tls_key_update_flood(struct px_sess *s)
{
	struct fo_proxy_worker *pw = s->pw;
	struct px_tls *t = s->tls;
	uint32_t n = t->io.rx_key_updates;

	pw->stats.tls_key_updates += n - t->ku_seen;
	t->ku_seen = n;
	if (n <= PX_TLS_KEY_UPDATES_FREE + t->rx_plain / PX_TLS_KEY_UPDATE_BYTES)
		return 0;
	pw->stats.tls_key_update_flood++;
	return 1;
}
