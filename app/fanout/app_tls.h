/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS state of the executable, shared by tls.c (generations: build,
 * publish, retire) and tls_live.c (the files' watch, ticket keys,
 * `fanoutctl certs`, metrics). Control thread only.
 */
#ifndef APP_TLS_H
#define APP_TLS_H

#include <stdint.h>
#include <time.h>

#include "app.h"
#include "fo_tls.h"

/** One worker's share of a generation: its contexts and the view its proxy reads. */
struct tls_gen_worker {
	struct fo_tls_ctx **ctxs; /* [n_certs + 1]: the default last */
	struct fo_tls_sni_map map;
	struct fo_proxy_tls ptls;
};

/**
 * A generation: certificates as loaded, the SNI table, every worker's
 * contexts. Published whole; retired once every worker has been quiescent
 * since and no session holds a view of it (ptls.refs).
 */
struct tls_gen {
	uint64_t id;
	struct app_tls *t;
	struct fo_tls_cert **certs; /* [n_certs + 1]: the default (the app's, not owned) last */
	char **files;               /* [n_certs]: chain paths, for listing */
	unsigned n_certs;
	struct fo_tls_sni sni;
	uint8_t strict;
	time_t loaded; /* wall clock */
	char hsts[FO_CONF_HSTS_MAX];
	uint64_t default_counted;   /* ClientHellos given the default, added to the total when
				       replaced */
	struct fo_tls_hs_count *hs_counted; /* [n_certs + 1]: handshakes per certificate added to
					     * app_tls.hs_files when replaced (NULL: not yet) */
	struct tls_gen_worker wk[]; /* [n_workers] */
};

/** Handshakes counted for one certificate file by replaced generations. */
struct tls_file_hs {
	char *file; /* chain path; "(default)" for the self-signed default */
	struct fo_tls_hs_count n;
};

struct app_tls {
	struct app *app;
	unsigned n_workers;
	struct fo_tls_worker *w[FO_MAX_WORKERS]; /* one library context per worker, for good */
	struct fo_tls_cert *dflt;                /* self-signed default, generated at start */
	struct tls_gen *gen;                     /* published */
	uint64_t next_id;
	struct fo_ctl_retire retire; /* generations and key sets in their grace period */
	/* the files (chains, keys, ticket key file) as stat(2) saw them: a hash */
	uint64_t served_hash;    /* of the served generation's files, before they were read */
	uint64_t attempted_hash; /* of the last build (served or refused) */
	uint64_t pending_hash;   /* a change seen, waiting to settle */
	uint64_t next_stat_ms;
	/* ticket keys */
	struct fo_tls_keys keys;
	uint32_t period_s;
	int key_file; /* the served config names a tls_ticket_key_file */
	uint64_t next_rotate_ms;
	uint64_t rotations, key_file_loads;
	/* counters (metrics, fanoutctl certs) */
	uint64_t reloads_ok, reloads_failed, watch_changes;
	uint64_t default_total; /* ClientHellos given the default by replaced generations */
	struct tls_file_hs *hs_files; /* by file, so that a reload keeping a file keeps counting */
	unsigned n_hs_files;
	char last_err[512];     /* the last refusal's "file: message" (kept after a success) */
};

/* tls.c */
/** Build a generation from @p conf. @return it, or NULL with "file: message" in @p err. */
struct tls_gen *tls_gen_build(
	struct app_tls *t, const struct fo_conf *conf, char *err, size_t errlen);
/** Free a generation nobody uses (fo_ctl retire callback). */
void tls_gen_free(void *obj);
/** ClientHellos the generation gave the self-signed default, all workers. */
uint64_t tls_gen_default_count(const struct tls_gen *g);
/** "(default)" for the self-signed default (k == n_certs), else certificate @p k's chain path. */
const char *tls_gen_file(const struct tls_gen *g, unsigned k);
/**
 * Handshakes of certificate @p k of @p g (the served generation): every
 * worker's, plus what replaced generations counted for the same file.
 */
void tls_cert_hs(const struct tls_gen *g, unsigned k, struct fo_tls_hs_count *out);

/* tls_live.c */
/** Hash of the stat(2) signatures of @p conf's TLS files (0 files: a constant). */
uint64_t tls_files_hash(const struct fo_conf *conf);
/** Key set for @p conf: its key file, or @p fresh random keys. @return it, or NULL (err). */
struct fo_tls_keyset *tls_keys_for(const struct fo_conf *conf, char *err, size_t errlen);
/** Publish @p ks and retire the old set. */
void tls_keys_publish(struct app_tls *t, struct fo_tls_keyset *ks);

#endif /* APP_TLS_H */
