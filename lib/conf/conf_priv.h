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
#define CONF_CTX_DIRS_MAX 16

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

/** A route's `upstream NAME`, resolved once every upstream is known. */
struct conf_ref {
	unsigned route;
	char *name;
	struct fo_conf_loc loc;
};

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

/* dump.c */
void conf_free_priv(struct conf_priv *c);

#endif /* CONF_PRIV_H */
