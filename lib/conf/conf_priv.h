/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/conf internals: lexer, parser state, directive schema.
 *
 * Pipeline: lexer.c turns bytes into tokens (with line:col), parse.c groups
 * tokens into statements and blocks, looks each directive up in the schema
 * of its context (directives.c) and calls its handler; handlers check values
 * with the helpers of validate.c, which also runs the whole-config checks at
 * the end. dump.c writes a config back and frees it.
 */
#ifndef CONF_PRIV_H
#define CONF_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fo_conf.h"

/** Arguments kept per statement (more are counted, not stored). */
#define CONF_ARGS_MAX 8
/** Directives per context (size of the per-block "seen" table). */
#define CONF_CTX_DIRS_MAX 24

/** A configuration plus what only lib/conf sees. */
struct conf_priv {
	struct fo_conf pub; /* first: fo_conf_free() casts back */
	char **files;       /* names of every file read; fo_conf_loc.file points here */
	unsigned n_files;
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
	unsigned idx; /* into routes[] or, when listen, listens[] */
	bool listen;
	char *name;
	struct fo_conf_loc loc;
};

/* Kinds of `tcp { }` values. */
enum conf_tcp_kind {
	CONF_TCP_COUNT,      /* plain number */
	CONF_TCP_SIZE,       /* bytes, k/m/g suffixes */
	CONF_TCP_DURATION,   /* ms/s/m/h suffixes, stored in ms */
	CONF_TCP_KEEPALIVE,  /* a duration or "off" (0) */
	CONF_TCP_SYNCOOKIES, /* auto | always | off */
};

/*
 * The `tcp { }` directives: X(directive, struct fo_conf_tcp field, kind,
 * min, max). One table drives the schema, the handler and the dump.
 */
#define CONF_TCP_PARAMS(X)                                                                         \
	X(max_connections, max_conns, CONF_TCP_COUNT, 1, 16777216)                                 \
	X(max_half_open, max_half_open, CONF_TCP_COUNT, 1, 16777216)                               \
	X(syn_cookies, syncookies, CONF_TCP_SYNCOOKIES, 0, 2)                                      \
	X(sndbuf, sndbuf, CONF_TCP_SIZE, 4096, 256u << 20)                                         \
	X(rcvbuf, rcvbuf, CONF_TCP_SIZE, 4096, 256u << 20)                                         \
	X(ooo_max, ooo_max, CONF_TCP_COUNT, 1, 4096)                                               \
	X(time_wait, time_wait_ms, CONF_TCP_DURATION, 1, 600000)                                   \
	X(fin_wait2, fin_wait2_ms, CONF_TCP_DURATION, 1, 3600000)                                  \
	X(keepalive, keepalive_ms, CONF_TCP_KEEPALIVE, 1000, 86400000)                             \
	X(keepalive_interval, keepalive_intvl_ms, CONF_TCP_DURATION, 1000, 3600000)                \
	X(keepalive_probes, keepalive_probes, CONF_TCP_COUNT, 1, 100)                              \
	X(delayed_ack, delack_ms, CONF_TCP_DURATION, 1, 500)                                       \
	X(rto_min, rto_min_ms, CONF_TCP_DURATION, 1, 60000)                                        \
	X(rto_max, rto_max_ms, CONF_TCP_DURATION, 1, 3600000)                                      \
	X(rto_initial, rto_init_ms, CONF_TCP_DURATION, 1, 60000)                                   \
	X(syn_retries, syn_retries, CONF_TCP_COUNT, 1, 20)                                         \
	X(max_retries, max_retries, CONF_TCP_COUNT, 1, 50)

#define CONF_TCP_ENUM(dir, field, kind, min, max) CONF_TCP_##dir,
enum { CONF_TCP_PARAMS(CONF_TCP_ENUM) CONF_TCP_N };

struct conf_tcp_param {
	const char *name;
	size_t off; /* of the uint32_t (or enum) in struct fo_conf_tcp */
	enum conf_tcp_kind kind;
	uint64_t min, max;
};
extern const struct conf_tcp_param conf_tcp_params[CONF_TCP_N];

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
	struct fo_conf_loc *listen_args; /* parallel to c->pub.listens */
};

extern const struct conf_ctx conf_ctx_main;
extern const struct conf_ctx *const conf_ctxs[];
extern const unsigned conf_n_ctxs;

/* parse.c */
void conf_err(struct conf_parser *p, const struct fo_conf_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void conf_oom(struct conf_parser *p, const struct fo_conf_loc *loc);
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

/* dump.c */
void conf_free_priv(struct conf_priv *c);

#endif /* CONF_PRIV_H */
