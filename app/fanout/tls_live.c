/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS at run time, on the control thread: the certificate files' watch,
 * session ticket keys, `fanoutctl certs` and the TLS metrics.
 *
 * The watch polls stat(2) of every file the served certificates and ticket
 * keys come from (each chain, each key, the key file) once a second, and
 * compares (device, inode, size, mtime) with what the served generation
 * was built from. Polling rather than inotify: Kubernetes updates a mounted
 * Secret by swapping a symlink (`..data`) in the volume's directory, not
 * by touching the file's name; a file replaced by rename leaves an inotify
 * watch on the old inode; network and host-path mounts give no events. A
 * stat(2) follows symlinks and sees all of these, and a few stat calls a
 * second cost nothing. A change applies once the files have stayed the
 * same for one more second (a writer between two writes of a chain and
 * its key would otherwise be read half-way); a refused build is not tried
 * again until the files change again.
 *
 * Ticket keys {prev, cur, next} (lib/tls): without `tls_ticket_key_file`,
 * fanout's own random keys, rotated here every `tls_ticket_rotate`
 * (default 12 h; a ticket is accepted for at most two periods); with it,
 * the file's keys, rotated by whoever writes the file (fanout reads it
 * again when it changes, like a certificate). Either way the new set is
 * published with a release store and the old one freed after a grace
 * period: workers read it without a lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "app_tls.h"
#include "fo_metrics.h"

/** How often the files are looked at, ms. */
#define TLS_STAT_MS 1000

/* FNV-1a over @p len bytes, continuing @p h */
static uint64_t
fnv(uint64_t h, const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t
file_sig(uint64_t h, const char *path)
{
	struct stat st;
	int64_t v[6] = {0};

	if (stat(path, &st) != 0) {
		v[0] = errno; /* gone, or unreadable: a state of its own */
	} else {
		v[1] = (int64_t)st.st_dev;
		v[2] = (int64_t)st.st_ino;
		v[3] = (int64_t)st.st_size;
		v[4] = (int64_t)st.st_mtim.tv_sec;
		v[5] = (int64_t)st.st_mtim.tv_nsec;
	}
	return fnv(h, v, sizeof(v));
}

uint64_t
tls_files_hash(const struct fo_conf *conf)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	unsigned i;

	for (i = 0; i < conf->tls.n_certs; i++) {
		h = file_sig(h, conf->tls.certs[i].chain);
		h = file_sig(h, conf->tls.certs[i].key);
	}
	if (conf->tls.ticket_key_file != NULL)
		h = file_sig(h, conf->tls.ticket_key_file);
	return h;
}

struct fo_tls_keyset *
tls_keys_for(const struct fo_conf *conf, char *err, size_t errlen)
{
	struct fo_tls_keyset *ks;

	if (conf->tls.ticket_key_file != NULL)
		return fo_tls_keyset_load(conf->tls.ticket_key_file, err, errlen);
	ks = fo_tls_keyset_new();
	if (ks == NULL)
		snprintf(err, errlen, "tls: cannot make ticket keys (out of memory or randomness)");
	return ks;
}

static void
keyset_free(void *obj)
{
	fo_tls_keyset_free(obj);
}

void
tls_keys_publish(struct app_tls *t, struct fo_tls_keyset *ks)
{
	struct fo_tls_keyset *old = atomic_load_explicit(&t->keys.set, memory_order_relaxed);
	int rc;

	/* before the release store: workers see the set whole */
	ks->generation = old != NULL ? old->generation + 1 : 0;
	fo_tls_keys_publish(&t->keys, ks);
	/* a worker's ticket callback may still hold the old set until its next
	 * quiescent state: freed after the grace period */
	rc = fo_ctl_retire(&t->retire, old, keyset_free, NULL);
	if (rc != 0)
		FO_LOG(ERR, "TLS: retiring ticket keys: %s\n", strerror(-rc));
}

/* fanout's own keys: prev <- cur <- next <- new random key */
static void
tick_rotate(struct app_tls *t, uint64_t now)
{
	struct fo_tls_keyset *ks;

	if (t->key_file || now < t->next_rotate_ms)
		return;
	t->next_rotate_ms = now + (uint64_t)t->period_s * 1000;
	ks = fo_tls_keyset_rotate(atomic_load_explicit(&t->keys.set, memory_order_relaxed));
	if (ks == NULL) {
		FO_LOG(ERR, "TLS: ticket key rotation failed (out of memory or randomness); "
			    "the keys stay\n");
		return;
	}
	tls_keys_publish(t, ks);
	t->rotations++;
	FO_LOG(INFO, "TLS: ticket keys rotated (generation %" PRIu64 ")\n",
		t->keys.set->generation);
}

/* the files changed and have been still for a period: a new generation */
static void
tick_files(struct app *app, struct app_tls *t)
{
	struct fo_ctl_out o = {.cap = 1024};
	struct tls_next n;
	uint64_t h = tls_files_hash(app->cur_conf);

	if (h == t->attempted_hash) {
		t->pending_hash = h;
		return;
	}
	if (h != t->pending_hash) {
		t->pending_hash = h; /* changed: wait one more period for it to settle */
		t->watch_changes++;
		return;
	}
	t->attempted_hash = h;
	o.buf = malloc(o.cap);
	if (o.buf == NULL)
		return;
	o.buf[0] = '\0';
	if (tls_prepare(app, app->cur_conf, 0, &n, &o) == 0 && n.gen != NULL) {
		tls_commit(app, &n, &o);
		FO_LOG(NOTICE, "TLS: certificate or ticket key files changed: %s", o.buf);
	}
	free(o.buf);
}

void
tls_tick(struct app *app)
{
	struct app_tls *t = app->tls;
	uint64_t now;

	if (t == NULL)
		return;
	now = health_now_ms(app);
	fo_ctl_reclaim(&t->retire);
	tick_rotate(t, now);
	if (now < t->next_stat_ms)
		return;
	t->next_stat_ms = now + TLS_STAT_MS;
	tick_files(app, t);
}

/* ---- fanoutctl certs ---- */

static const char *
key_name(enum fo_tls_key_type k)
{
	return k == FO_TLS_KEY_RSA ? "RSA" : k == FO_TLS_KEY_ECDSA ? "ECDSA" : "other";
}

static void
iso_time(time_t s, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&s, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)s);
}

static void
json_str(struct fo_ctl_out *o, const char *s)
{
	fo_ctl_printf(o, "\"");
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fo_ctl_printf(o, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fo_ctl_printf(o, "\\u%04x", (unsigned char)*s);
		else
			fo_ctl_printf(o, "%c", *s);
	}
	fo_ctl_printf(o, "\"");
}

static void
cert_show(struct fo_ctl_out *o, const struct tls_gen *g, unsigned i, int json, time_t now)
{
	const struct fo_tls_cert *c = g->certs[i];
	int is_dflt = i == g->n_certs;
	const char *names[64], *file = is_dflt ? "(generated at start)" : g->files[i];
	unsigned k, n = fo_tls_cert_names(c, names, 64);
	struct fo_tls_cert_info ci;
	struct fo_tls_hs_count hs;
	char nb[32], na[32];

	fo_tls_cert_info(c, &ci);
	tls_cert_hs(g, i, &hs);
	iso_time(ci.not_before, nb, sizeof(nb));
	iso_time(ci.not_after, na, sizeof(na));
	n = n > 64 ? 64 : n;
	if (json) {
		fo_ctl_printf(o, "%s\n  {\"file\": ", i == 0 ? "" : ",");
		json_str(o, file);
		fo_ctl_printf(o, ", \"names\": [");
		for (k = 0; k < n; k++) {
			fo_ctl_printf(o, "%s", k ? ", " : "");
			json_str(o, names[k]);
		}
		fo_ctl_printf(o, "], \"subject\": ");
		json_str(o, ci.subject);
		fo_ctl_printf(o, ", \"issuer\": ");
		json_str(o, ci.issuer);
		fo_ctl_printf(o,
			", \"serial\": \"%s\", \"not_before\": \"%s\", \"not_after\": \"%s\", "
			"\"expiry_seconds\": %lld, \"key\": \"%s\", \"intermediates\": %u, "
			"\"default\": %s",
			ci.serial, nb, na, (long long)ci.not_after, key_name(ci.type), ci.n_chain,
			is_dflt && !g->strict ? "true" : "false");
		fo_ctl_printf(o,
			", \"handshakes\": {\"full\": %" PRIu64 ", \"resumed\": %" PRIu64
			", \"failed\": %" PRIu64 "}",
			hs.full, hs.resumed, hs.failed);
		if (is_dflt) /* ClientHellos it was given, since start */
			fo_ctl_printf(o, ", \"served\": %" PRIu64,
				g->t->default_total + tls_gen_default_count(g));
		fo_ctl_printf(o, "}");
		return;
	}
	if (is_dflt)
		fo_ctl_printf(o,
			"default certificate (self-signed, for names no certificate has)%s\n",
			g->strict ? ": not served, strict_sni on" : "");
	else
		fo_ctl_printf(o, "certificate %u: %s\n", i + 1, file);
	fo_ctl_printf(o, "  names      ");
	for (k = 0; k < n; k++)
		fo_ctl_printf(o, "%s%s", k ? ", " : "", names[k]);
	fo_ctl_printf(o, "\n  subject    %s\n  issuer     %s\n  serial     %s\n", ci.subject,
		ci.issuer, ci.serial);
	fo_ctl_printf(o, "  not after  %s (%.1f days left)\n  key        %s, %u intermediate(s)\n",
		na, (double)(ci.not_after - now) / 86400.0, key_name(ci.type), ci.n_chain);
	fo_ctl_printf(o, "  default    %s\n", is_dflt && !g->strict ? "yes" : "no");
	fo_ctl_printf(o,
		"  handshakes %" PRIu64 " full, %" PRIu64 " resumed, %" PRIu64
		" failed (since start, this file)\n",
		hs.full, hs.resumed, hs.failed);
	if (is_dflt)
		fo_ctl_printf(o, "  served     %" PRIu64 " time(s) since start\n",
			g->t->default_total + tls_gen_default_count(g));
}

int
tls_certs(const struct app *app, int json, struct fo_ctl_out *o)
{
	const struct app_tls *t = app->tls;
	const struct tls_gen *g;
	time_t now = time(NULL);
	char loaded[32];
	unsigned i;

	if (t == NULL) {
		fo_ctl_printf(o, "no TLS listener\n");
		return 1;
	}
	g = t->gen;
	iso_time(g->loaded, loaded, sizeof(loaded));
	if (json) {
		fo_ctl_printf(o,
			"{\"generation\": %" PRIu64 ", \"loaded\": \"%s\", "
			"\"reloads_ok\": %" PRIu64 ", \"reloads_failed\": %" PRIu64
			", \"retiring\": %u, \"retired\": %" PRIu64 ", \"last_error\": ",
			g->id, loaded, t->reloads_ok, t->reloads_failed, t->retire.n,
			t->retire.freed);
		json_str(o, t->last_err);
		fo_ctl_printf(o, ", \"ticket_keys\": {\"source\": ");
		json_str(o, t->key_file ? app->cur_conf->tls.ticket_key_file : "rotated");
		fo_ctl_printf(o,
			", \"period_s\": %u, \"rotations\": %" PRIu64 ", \"generation\": %" PRIu64
			"}, \"strict_sni\": %s, \"certificates\": [",
			t->period_s, t->rotations, t->keys.set->generation,
			g->strict ? "true" : "false");
		for (i = 0; i <= g->n_certs; i++)
			cert_show(o, g, i, 1, now);
		fo_ctl_printf(o, "\n]}\n");
		return 0;
	}
	fo_ctl_printf(o,
		"generation %" PRIu64 ", loaded %s; reloads: %" PRIu64 " applied, %" PRIu64
		" refused\n",
		g->id, loaded, t->reloads_ok, t->reloads_failed);
	if (t->last_err[0] != '\0')
		fo_ctl_printf(o, "last refused: %s\n", t->last_err);
	fo_ctl_printf(o, "replaced generations and key sets still in use: %u (%" PRIu64 " freed)\n",
		t->retire.n, t->retire.freed);
	if (t->key_file)
		fo_ctl_printf(o,
			"ticket keys from %s (rotated by its writer; %" PRIu64 " change(s) "
			"applied)\n",
			app->cur_conf->tls.ticket_key_file, t->keys.set->generation);
	else
		fo_ctl_printf(o,
			"ticket keys rotated every %u s (%" PRIu64 " rotation(s); next in "
			"%.0f s)\n",
			t->period_s, t->rotations,
			(double)(t->next_rotate_ms -
				 RTE_MIN(t->next_rotate_ms, health_now_ms(app))) /
				1e3);
	for (i = 0; i <= g->n_certs; i++)
		cert_show(o, g, i, 0, now);
	return 0;
}

/* ---- metrics ---- */

void
tls_metrics(struct fo_metrics_out *o, const struct app *app)
{
	const struct app_tls *t = app->tls;
	const struct tls_gen *g;
	unsigned i;

	if (t == NULL)
		return;
	g = t->gen;
	fo_metrics_family(o, FO_METRICS_GAUGE, "fanout_tls_certificate_expiry_seconds",
		"notAfter of each served certificate, seconds since the epoch (alert on it minus "
		"time())");
	for (i = 0; i <= g->n_certs; i++) {
		const char *names[1] = {""};
		struct fo_metrics_label l[2] = {
			{"name", ""}, {"file", i == g->n_certs ? "(default)" : g->files[i]}};

		if (fo_tls_cert_names(g->certs[i], names, 1) > 0)
			l[0].value = names[0];
		fo_metrics_value(o, l, 2, (uint64_t)fo_tls_cert_not_after(g->certs[i]));
	}
	fo_metrics_family(o, FO_METRICS_COUNTER, "fanout_tls_certificate_handshakes",
		"TLS handshakes completed with each served certificate (kind full or resumed), "
		"counted by certificate file since start, across reloads");
	for (i = 0; i <= g->n_certs; i++) {
		const char *names[1] = {""};
		struct fo_tls_hs_count hs;
		struct fo_metrics_label l[3] = {
			{"name", ""}, {"file", tls_gen_file(g, i)}, {"kind", "full"}};

		if (fo_tls_cert_names(g->certs[i], names, 1) > 0)
			l[0].value = names[0];
		tls_cert_hs(g, i, &hs);
		fo_metrics_value(o, l, 3, hs.full);
		l[2].value = "resumed";
		fo_metrics_value(o, l, 3, hs.resumed);
	}
	fo_metrics_family(o, FO_METRICS_COUNTER, "fanout_tls_certificate_handshake_failures",
		"TLS handshakes that ended before completing after this certificate was chosen "
		"(an alert such as unknown CA, a protocol error, the client closing, a timeout)");
	for (i = 0; i <= g->n_certs; i++) {
		const char *names[1] = {""};
		struct fo_tls_hs_count hs;
		struct fo_metrics_label l[2] = {{"name", ""}, {"file", tls_gen_file(g, i)}};

		if (fo_tls_cert_names(g->certs[i], names, 1) > 0)
			l[0].value = names[0];
		tls_cert_hs(g, i, &hs);
		fo_metrics_value(o, l, 2, hs.failed);
	}
	fo_metrics_family(o, FO_METRICS_COUNTER, "fanout_tls_default_certificate_served",
		"ClientHellos given the self-signed default certificate (no certificate has "
		"their name, or none given)");
	fo_metrics_value(o, NULL, 0, t->default_total + tls_gen_default_count(g));
	fo_metrics_family(o, FO_METRICS_COUNTER, "fanout_tls_certificate_reloads",
		"certificate generations built on reload or file change, by result (failed: "
		"refused, the served ones stayed)");
	fo_metrics_value(o, &(struct fo_metrics_label){"result", "ok"}, 1, t->reloads_ok);
	fo_metrics_value(o, &(struct fo_metrics_label){"result", "failed"}, 1, t->reloads_failed);
	fo_metrics_family(o, FO_METRICS_GAUGE, "fanout_tls_certificate_generation",
		"generation of the certificates served to new connections");
	fo_metrics_value(o, NULL, 0, g->id);
	fo_metrics_family(o, FO_METRICS_COUNTER, "fanout_tls_ticket_key_rotations",
		"session ticket key rotations by fanout (not counting key file changes)");
	fo_metrics_value(o, NULL, 0, t->rotations);
}
