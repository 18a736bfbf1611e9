/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/conf internals: lexer, parser state, directive schema.
 *
 * Pipeline: lexer.c turns bytes into tokens (with line:col), parse.c groups
 * tokens into statements and blocks, looks each directive up in the schema
 * of its context (directives.c) and calls its handler (directives.c; the
 * numeric tables in params.c; an upstream's health directives in health.c);
 * handlers check values with the helpers of validate.c, which also runs the
 * whole-config checks at the end. dump.c writes a config back and frees it.
 * A route's actions and the default backends are in redirect.c and actions.c.
 */
#ifndef CONF_PRIV_H
#define CONF_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fo_conf.h"

/** Arguments kept per statement (more are counted, not stored): next_upstream takes up to 9. */
#define CONF_ARGS_MAX 12
/** Most options of a `server`, protocols of an `allow_upgrade` (documented in README). */
#define CONF_LIST_MAX 8
/** Directives per context (size of the per-block "seen" table). */
#define CONF_CTX_DIRS_MAX 24

/** A configuration plus what only lib/conf sees. */
struct conf_priv {
	struct fo_conf pub; /* first: fo_conf_free() casts back */
	char **files;       /* names of every file read; fo_conf_loc.file points here */
	unsigned n_files;
	char **globs; /* glob include patterns, as paths (they may match nothing yet) */
	unsigned n_globs;
};

enum conf_tok_type {
	CONF_TOK_WORD, /* bare word or quoted string */
	CONF_TOK_SEMI,
	CONF_TOK_LBRACE,
	CONF_TOK_RBRACE,
	CONF_TOK_EOF,
};

struct conf_tok {
	enum conf_tok_type type;
	char *val;       /* WORD only: unescaped, NUL-terminated, malloc'd */
	size_t len;      /* bytes in val */
	const char *raw; /* the token in the source text (valid while the file is parsed) */
	size_t raw_len;  /* tokens never span lines */
	bool quoted;
	bool bad; /* a lexical error was reported in or just before it */
	struct fo_conf_loc loc;
};

struct conf_parser;

struct conf_lexer {
	struct conf_parser *p;
	const char *file; /* pool string */
	const char *buf;
	size_t len, pos;
	unsigned line, col;
	bool taint;     /* a lexical error since the last token */
	bool have_peek; /* conf_lex_unget() was called */
	struct conf_tok peek;
	char val[FO_CONF_TOKEN_MAX + 1];
};

/** One directive: name, arguments and the terminator (';' or '{'). */
struct conf_stmt {
	struct conf_tok tok[CONF_ARGS_MAX + 1]; /* tok[0] is the directive name */
	unsigned n;                             /* tokens stored */
	unsigned n_args;                        /* arguments written (may exceed CONF_ARGS_MAX) */
	bool has_block;
	bool bad;
};

struct conf_ctx;

/** State of one open block (or of the main context). */
struct conf_block {
	const struct conf_ctx *ctx;
	struct fo_conf_loc loc;        /* the block's directive */
	int obj;                       /* index of the interface/upstream/route being filled */
	unsigned aux;                  /* CONF_AUX_* */
	bool seen[CONF_CTX_DIRS_MAX];  /* accepted at least once */
	bool tried[CONF_CTX_DIRS_MAX]; /* written, even if rejected: no "missing" cascade */
	struct fo_conf_loc first[CONF_CTX_DIRS_MAX]; /* first occurrence of each directive */
	struct fo_conf_loc arg[CONF_CTX_DIRS_MAX];   /* ... and of its first argument */
};

#define CONF_AUX_GW_OK 0x1    /* interface: gateway parsed */
#define CONF_AUX_REGEX_OK 0x2 /* route: path compiled, n_captures valid */
#define CONF_AUX_BAD 0x4      /* route: bad type or path, skip checks that need them */

#define CONF_D_BLOCK 0x1    /* takes a { } block */
#define CONF_D_ONCE 0x2     /* at most once per block */
#define CONF_D_REQUIRED 0x4 /* at least once per block */

struct conf_directive {
	const char *name;
	const char *usage; /* shown with argument-count errors */
	unsigned min_args, max_args;
	unsigned flags;               /* CONF_D_* */
	const struct conf_ctx *inner; /* CONF_D_BLOCK: context of the block */
	/* inner is NULL for plain directives; block handlers set inner->obj (-1 = skip block) */
	void (*handle)(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
		struct conf_block *inner);
};

struct conf_ctx {
	const char *name;  /* "main", "interface", ... */
	const char *where; /* "at top level", "in interface block" */
	const struct conf_directive *dirs;
	unsigned n_dirs;
	void (*end)(struct conf_parser *p, struct conf_block *blk); /* after a closed block */
};

/** A route's or relay listener's upstream, resolved once every upstream is known. */
struct conf_ref {
	unsigned idx; /* into routes[] or, when listen, listens[], when dflt, default_backends[] */
	bool listen;
	bool dflt;
	unsigned canary; /* k + 1: the route's canaries[k] */
	bool pass;       /* passthroughs[idx], or passthrough_default when idx is UINT32_MAX */
	char *name;
	struct fo_conf_loc loc;
};

/* Kinds of table-driven values (`tcp { }`, `http { }`, upstream and route tuning). */
enum conf_val_kind {
	CONF_VAL_COUNT,      /* plain number */
	CONF_VAL_SIZE,       /* bytes, k/m/g suffixes */
	CONF_VAL_DURATION,   /* ms/s/m/h suffixes (bare: seconds), stored in ms */
	CONF_VAL_KEEPALIVE,  /* tcp: a duration or "off" (0) */
	CONF_VAL_SYNCOOKIES, /* tcp: auto | always | off */
	CONF_VAL_ONOFF,      /* on (1) | off (0) */
};

/*
 * One numeric directive of a table: where its value lives in the model
 * struct (a uint32_t or, when size is 8, a uint64_t), its range and the
 * value it holds when absent.
 */
struct conf_param {
	const char *name;
	size_t off, size;
	enum conf_val_kind kind;
	uint64_t min, max, def;
};

#define CONF_HOUR_MS 3600000u
/** Largest client_max_body_size (1 TiB, written 1024g: sizes have no "t" unit). */
#define CONF_BODY_SIZE_MAX (1ull << 40)
/** route.max_body_size while parsing: not written, take the http block's. */
#define CONF_BODY_SIZE_UNSET UINT64_MAX

/*
 * The `tcp { }` directives: X(directive, struct fo_conf_tcp field, kind,
 * min, max). One table drives the schema, the handler and the dump. Zero
 * means "not set" (lib/tcp's default), so there is no default column.
 */
#define CONF_TCP_PARAMS(X)                                                                         \
	X(max_connections, max_conns, CONF_VAL_COUNT, 1, 16777216)                                 \
	X(max_half_open, max_half_open, CONF_VAL_COUNT, 1, 16777216)                               \
	X(syn_cookies, syncookies, CONF_VAL_SYNCOOKIES, 0, 2)                                      \
	X(sndbuf, sndbuf, CONF_VAL_SIZE, 4096, 256u << 20)                                         \
	X(rcvbuf, rcvbuf, CONF_VAL_SIZE, 4096, 256u << 20)                                         \
	X(ooo_max, ooo_max, CONF_VAL_COUNT, 1, 4096)                                               \
	X(time_wait, time_wait_ms, CONF_VAL_DURATION, 1, 600000)                                   \
	X(fin_wait2, fin_wait2_ms, CONF_VAL_DURATION, 1, CONF_HOUR_MS)                             \
	X(keepalive, keepalive_ms, CONF_VAL_KEEPALIVE, 1000, 86400000)                             \
	X(keepalive_interval, keepalive_intvl_ms, CONF_VAL_DURATION, 1000, CONF_HOUR_MS)           \
	X(keepalive_probes, keepalive_probes, CONF_VAL_COUNT, 1, 100)                              \
	X(delayed_ack, delack_ms, CONF_VAL_DURATION, 1, 500)                                       \
	X(rto_min, rto_min_ms, CONF_VAL_DURATION, 1, 60000)                                        \
	X(rto_max, rto_max_ms, CONF_VAL_DURATION, 1, CONF_HOUR_MS)                                 \
	X(rto_initial, rto_init_ms, CONF_VAL_DURATION, 1, 60000)                                   \
	X(syn_retries, syn_retries, CONF_VAL_COUNT, 1, 20)                                         \
	X(max_retries, max_retries, CONF_VAL_COUNT, 1, 50)                                         \
	X(max_buffered, max_buffered, CONF_VAL_COUNT, 64, 16777216)                                \
	X(local_port_min, local_port_min, CONF_VAL_COUNT, 1024, 65535)                             \
	X(local_port_max, local_port_max, CONF_VAL_COUNT, 1024, 65535)

/*
 * The `http { }` directives: X(directive, struct fo_conf_http field, kind,
 * usage word, min, max, default). nginx's names and defaults; a
 * keepalive_timeout of 0 turns client keep-alive off, as in nginx, and a
 * client_max_body_size of 0 means no limit.
 */
#define CONF_HTTP_PARAMS(X)                                                                        \
	X(client_header_timeout, client_header_timeout_ms, CONF_VAL_DURATION, "DURATION", 1,       \
		CONF_HOUR_MS, 60000)                                                               \
	X(client_body_timeout, client_body_timeout_ms, CONF_VAL_DURATION, "DURATION", 1,           \
		CONF_HOUR_MS, 60000)                                                               \
	X(keepalive_timeout, keepalive_timeout_ms, CONF_VAL_DURATION, "DURATION", 0, CONF_HOUR_MS, \
		75000)                                                                             \
	X(keepalive_requests, keepalive_requests, CONF_VAL_COUNT, "N", 1, 1000000, 1000)           \
	X(send_timeout, send_timeout_ms, CONF_VAL_DURATION, "DURATION", 1, CONF_HOUR_MS, 60000)    \
	X(client_max_body_size, max_body_size, CONF_VAL_SIZE, "SIZE", 0, CONF_BODY_SIZE_MAX,       \
		1u << 20)                                                                          \
	X(underscores_in_headers, underscores_in_headers, CONF_VAL_ONOFF, "on|off", 0, 1, 0)       \
	X(healthz, healthz, CONF_VAL_ONOFF, "on|off", 0, 1, 1)                                   \
	X(tls_handshake_timeout, tls_handshake_timeout_ms, CONF_VAL_DURATION, "DURATION", 1,       \
		CONF_HOUR_MS, 10000)                                                               \
	X(tls_handshakes_max, tls_handshakes_max, CONF_VAL_COUNT, "N", 1, 1000000, 512)            \
	X(tls_handshakes_per_poll, tls_handshakes_per_poll, CONF_VAL_COUNT, "N", 1, 1024, 1)     \
	X(tls_handshake_split, tls_handshake_split, CONF_VAL_ONOFF, "on|off", 0, 1, 1)

/*
 * Tuning directives of an `upstream { }` block, besides `server`: same
 * columns. keepalive 0 = no connection pool (close after each response).
 */
#define CONF_UP_PARAMS(X)                                                                          \
	X(connect_timeout, connect_timeout_ms, CONF_VAL_DURATION, "DURATION", 1, CONF_HOUR_MS,     \
		5000)                                                                              \
	X(syn_rto, syn_rto_ms, CONF_VAL_DURATION, "DURATION", 1, 60000, 200)                       \
	X(read_timeout, read_timeout_ms, CONF_VAL_DURATION, "DURATION", 1, CONF_HOUR_MS, 60000)    \
	X(send_timeout, send_timeout_ms, CONF_VAL_DURATION, "DURATION", 1, CONF_HOUR_MS, 60000)    \
	X(keepalive, keepalive, CONF_VAL_COUNT, "N", 0, 65535, 32)                                 \
	X(keepalive_timeout, keepalive_timeout_ms, CONF_VAL_DURATION, "DURATION", 1, CONF_HOUR_MS, \
		60000)                                                                             \
	X(keepalive_requests, keepalive_requests, CONF_VAL_COUNT, "N", 1, 1000000, 1000)           \
	X(max_fails, max_fails, CONF_VAL_COUNT, "N", 0, 100, 1)                                    \
	X(fail_timeout, fail_timeout_ms, CONF_VAL_DURATION, "DURATION", 1, CONF_HOUR_MS, 10000)    \
	X(tries, tries, CONF_VAL_COUNT, "N", 1, 16, 3)                                             \
	X(max_ejection_percent, max_ejection_percent, CONF_VAL_COUNT, "N", 0, 100, 50)

/*
 * The numbers of a `health_check { }` block in an upstream (path, host and
 * expect have their own handlers): same columns, fields of struct
 * fo_conf_health_check. A timeout longer than the interval is allowed.
 */
#define CONF_HC_PARAMS(X)                                                                          \
	X(interval, interval_ms, CONF_VAL_DURATION, "DURATION", 100, CONF_HOUR_MS, 5000)           \
	X(timeout, timeout_ms, CONF_VAL_DURATION, "DURATION", 10, 60000, 2000)                     \
	X(rise, rise, CONF_VAL_COUNT, "N", 1, 100, 2)                                              \
	X(fall, fall, CONF_VAL_COUNT, "N", 1, 100, 3)

/* health_check defaults that are not in the table */
#define CONF_HC_PATH_DEFAULT "/"
#define CONF_HC_PATH_MAX 255
#define CONF_HC_HOST_MAX 128
#define CONF_HC_EXPECT_LO 200
#define CONF_HC_EXPECT_HI 399
#define CONF_NU_DEFAULT (FO_CONF_NU_ERROR | FO_CONF_NU_TIMEOUT)

#define CONF_TCP_ENUM(dir, field, kind, min, max) CONF_TCP_##dir,
enum { CONF_TCP_PARAMS(CONF_TCP_ENUM) CONF_TCP_N };
#define CONF_HTTP_ENUM(dir, field, kind, usage, min, max, def) CONF_HTTP_##dir,
enum { CONF_HTTP_PARAMS(CONF_HTTP_ENUM) CONF_HTTP_N };
#define CONF_UP_ENUM(dir, field, kind, usage, min, max, def) CONF_UP_##dir,
enum { CONF_UP_PARAMS(CONF_UP_ENUM) CONF_UP_N };
#define CONF_HC_ENUM(dir, field, kind, usage, min, max, def) CONF_HC_##dir,
enum { CONF_HC_PARAMS(CONF_HC_ENUM) CONF_HC_N };

extern const struct conf_param conf_tcp_params[CONF_TCP_N];
extern const struct conf_param conf_http_params[CONF_HTTP_N];
extern const struct conf_param conf_up_params[CONF_UP_N];
extern const struct conf_param conf_hc_params[CONF_HC_N];

/* A uint32_t-sized field of struct fo_conf_tcp. */
static inline uint32_t *
conf_tcp_field(struct fo_conf_tcp *t, unsigned i)
{
	return (uint32_t *)(void *)((char *)t + conf_tcp_params[i].off);
}

struct conf_parser {
	struct conf_priv *c;
	FILE *err;
	unsigned flags;
	unsigned n_errors;
	bool stop; /* too many errors or out of memory: unwind */
	unsigned depth;
	unsigned n_files_read;
	char *stack[FO_CONF_INCLUDE_DEPTH_MAX + 1]; /* realpath of each file being read */
	struct conf_ref *refs;
	unsigned n_refs;
	bool pass_tried; /* a passthrough block was written (even if rejected): no cascade */
	struct fo_conf_loc *listen_args; /* parallel to c->pub.listens */
	/* routes seen so far, by (type, path, host): duplicates found in O(1) */
	uint32_t *route_ht; /* route index + 1; 0: empty */
	uint32_t route_ht_cap, route_ht_used;
	/* duplicate routes (index, index of the first): errors or warnings, depending on
	 * duplicate_routes, wherever that directive is (conf_dups_final()) */
	struct conf_dup {
		unsigned idx, first;
	} * dups;
	unsigned n_dups;
};

extern const struct conf_ctx conf_ctx_main;
extern const struct conf_ctx *const conf_ctxs[];
extern const unsigned conf_n_ctxs;

/* parse.c */
void conf_err(struct conf_parser *p, const struct fo_conf_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void conf_oom(struct conf_parser *p, const struct fo_conf_loc *loc);
/* "file:line:col: warning: ..." on the error stream; not an error */
void conf_warn(struct conf_parser *p, const struct fo_conf_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int conf_push(void *arrp, unsigned n, size_t size);
const char *conf_add_file(struct conf_parser *p, const char *name, const struct fo_conf_loc *loc);
void conf_parse_text(struct conf_parser *p, const char *file, const char *text, size_t len,
	struct conf_block *blk);

/* include.c */
int conf_read_file(const char *path, char **text, size_t *len);
const char *conf_read_error(int rc);
void conf_do_include(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st);

/* lexer.c */
void conf_lex_init(struct conf_lexer *lx, struct conf_parser *p, const char *file, const char *buf,
	size_t len);
void conf_lex_next(struct conf_lexer *lx, struct conf_tok *t);
void conf_lex_unget(struct conf_lexer *lx, struct conf_tok *t);
void conf_tok_free(struct conf_tok *t);
struct fo_conf_loc conf_tok_loc_at(const struct conf_tok *t, size_t off);

/* validate.c */
int conf_parse_uint(const char *s, size_t n, unsigned long max, unsigned long *out);
int conf_ip4_parse(const char *s, size_t n, uint32_t *out);
const char *conf_ip4_str(uint32_t be, char buf[16]);
bool conf_ip4_is_unicast(uint32_t be);
uint32_t conf_prefix_mask(unsigned prefix_len);
int conf_check_name(const char *s, const char *extra);
int conf_check_host(char *s);
long conf_check_path_chars(const char *s, size_t n);
int conf_regex_check(struct conf_parser *p, const struct conf_tok *t, unsigned *n_captures);
int conf_rewrite_check(struct conf_parser *p, const struct conf_tok *t,
	const struct fo_conf_route *r, bool captures_known);
void conf_validate_final(struct conf_parser *p, const char *main_file);

int conf_parse_size(const char *s, size_t n, uint64_t max, uint64_t *out);
int conf_parse_duration(const char *s, size_t n, uint64_t max, uint64_t *out);
const char *conf_size_str(uint64_t v, char buf[24]);
const char *conf_duration_str(uint64_t ms, char buf[24]);

/* params.c: the tcp and http blocks, upstream and route tuning directives */
uint64_t conf_param_get(const void *obj, const struct conf_param *cp);
void conf_param_set(void *obj, const struct conf_param *cp, uint64_t v);
void conf_params_init(void *obj, const struct conf_param *tab, unsigned n);
const char *conf_param_str(const struct conf_param *cp, uint64_t v, char buf[24]);
void conf_h_tcp(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner);
void conf_h_tcp_param(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner);
void conf_tcp_end(struct conf_parser *p, struct conf_block *blk);
void conf_h_http(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner);
void conf_h_http_param(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner);
void conf_h_up_param(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner);
void conf_h_hc_param(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner);
void conf_h_route_body_size(struct conf_parser *p, struct conf_block *blk,
	const struct conf_stmt *st, struct conf_block *inner);

/* route.c: the route directive, its path-related directives, duplicates */
void conf_h_route(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner);
void conf_h_host(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner);
void conf_h_rewrite(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner);
void conf_h_rewrite_prefix(struct conf_parser *p, struct conf_block *blk,
	const struct conf_stmt *st, struct conf_block *inner);
void conf_h_rewrite_host(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner);
void conf_h_allow_upgrade(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner);
/* Route @p idx into the duplicate table. @return the index of an equal route, -1 when new. */
long conf_route_seen(struct conf_parser *p, unsigned idx);

/* match.c: match, priority, case_sensitive, match_order */
void conf_h_match(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner);
void conf_h_priority(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner);
void conf_h_case_sensitive(struct conf_parser *p, struct conf_block *blk,
	const struct conf_stmt *st, struct conf_block *inner);
void conf_h_match_order(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner);
uint32_t conf_matches_hash(const struct fo_conf_route *r, uint32_t h);
bool conf_matches_same(const struct fo_conf_route *a, const struct fo_conf_route *b);
void conf_free_matches(struct fo_conf_route *r);
void conf_dump_matches(FILE *out, const struct fo_conf_route *r);
void conf_h_duplicate_routes(struct conf_parser *p, struct conf_block *blk,
	const struct conf_stmt *st, struct conf_block *inner);
void conf_dups_final(struct conf_parser *p);

/* canary.c: canary { } and canary_weight_total in routes */
extern const struct conf_ctx conf_ctx_canary;
void conf_h_canary(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner);
void conf_h_canary_weight_total(struct conf_parser *p, struct conf_block *blk,
	const struct conf_stmt *st, struct conf_block *inner);
void conf_canary_route_end(struct conf_parser *p, struct conf_block *blk);
void conf_dump_canaries(FILE *out, const struct fo_conf *c, const struct fo_conf_route *r);
void conf_free_canaries(struct fo_conf_route *r);

/* directives.c */
/** Unsigned decimal at t->val + off in [min, max]; reports (as @p what) and returns -1 otherwise. */
int conf_parse_num(struct conf_parser *p, const struct conf_tok *t, size_t off, const char *what,
	unsigned long min, unsigned long max, unsigned long *out);

/* interface.c: interface DEV { } */
extern const struct conf_ctx conf_ctx_interface;
void conf_h_interface(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner);

/* health.c: health_check { }, next_upstream */
extern const struct conf_ctx conf_ctx_health_check;
int conf_upstream_health_init(struct fo_conf_upstream *u);
void conf_h_health_check(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner);
void conf_h_next_upstream(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner);
void conf_dump_health(FILE *out, const struct fo_conf_upstream *u);

/* balance.c: balance, sticky */
void conf_h_balance(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner);
void conf_h_sticky(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner);
void conf_free_balance(struct fo_conf_balance *b);
void conf_dump_balance(FILE *out, const struct fo_conf_upstream *u);

/* redirect.c, actions.c: route actions (struct fo_conf_actions), default backends */
/* The route's actions, allocated on first use (NULL after reporting OOM). */
struct fo_conf_actions *conf_route_actions(
	struct conf_parser *p, struct fo_conf_route *r, const struct fo_conf_loc *loc);
extern const struct conf_ctx conf_ctx_redirect;
void conf_h_redirect(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner);
void conf_h_return(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner);
void conf_h_app_root(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner);
void conf_h_slash_redirect(struct conf_parser *p, struct conf_block *blk,
	const struct conf_stmt *st, struct conf_block *inner);
void conf_h_header_mod(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner);
void conf_h_forwarded_prefix(struct conf_parser *p, struct conf_block *blk,
	const struct conf_stmt *st, struct conf_block *inner);
/* alog.c: access_log */
void conf_h_access_log(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner);
void conf_dump_access_log(FILE *out, const struct fo_conf *c);
/* tls.c: tls_certificate, strict_sni, ssl_redirect (top level and route), hsts */
void conf_h_tls_certificate(struct conf_parser *p, struct conf_block *blk,
	const struct conf_stmt *st, struct conf_block *inner);
void conf_h_tls_flag(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner);
void conf_h_hsts(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner);
void conf_h_route_force_ssl_redirect(struct conf_parser *p, struct conf_block *blk,
	const struct conf_stmt *st, struct conf_block *inner);
void conf_h_route_ssl_redirect(struct conf_parser *p, struct conf_block *blk,
	const struct conf_stmt *st, struct conf_block *inner);
void conf_h_ticket_rotate(struct conf_parser *p, struct conf_block *blk,
	const struct conf_stmt *st, struct conf_block *inner);
void conf_h_ticket_key_file(struct conf_parser *p, struct conf_block *blk,
	const struct conf_stmt *st, struct conf_block *inner);
void conf_dump_tls(FILE *out, const struct fo_conf *c);
/* passthrough.c */
extern const struct conf_ctx conf_ctx_passthrough;
void conf_h_passthrough(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner);
void conf_h_passthrough_default(struct conf_parser *p, struct conf_block *blk,
	const struct conf_stmt *st, struct conf_block *inner);
void conf_pass_ref(struct fo_conf *c, unsigned idx, unsigned upstream);
void conf_pass_final(struct conf_parser *p);
void conf_dump_pass(FILE *out, const struct fo_conf *c);
void conf_free_pass(struct fo_conf *c);
void conf_free_tls(struct fo_conf *c);
void conf_h_default_backend(struct conf_parser *p, struct conf_block *blk,
	const struct conf_stmt *st, struct conf_block *inner);
/* Where a route's directives were first accepted (NULL: not), for conf_actions_route_end(). */
struct conf_route_seen {
	const struct fo_conf_loc *redirect, *ret, *app_root, *slash;
	bool upstream_tried, answer_tried; /* written, even if rejected (no "missing" cascade) */
};
/* End of a route block: upstream or redirect required, actions that exclude each other. */
void conf_actions_route_end(
	struct conf_parser *p, const struct conf_block *blk, const struct conf_route_seen *seen);
/* conf_validate_final(): default backends get their upstream (ref) and body limit. */
void conf_default_backend_ref(struct fo_conf *c, unsigned idx, unsigned upstream);
void conf_default_backends_final(struct fo_conf *c);
void conf_dump_actions(FILE *out, const struct fo_conf_route *r);
void conf_dump_default_backends(FILE *out, const struct fo_conf *c);
void conf_free_actions(struct fo_conf *c);

/* dump.c */
void conf_free_priv(struct conf_priv *c);
unsigned conf_dump_params(
	FILE *out, const char *indent, const void *obj, const struct conf_param *tab, unsigned n);

#endif /* CONF_PRIV_H */
