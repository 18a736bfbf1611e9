/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Config parser: statements, blocks, includes, error recovery and the
 * public entry points fo_conf_load() / fo_conf_parse().
 *
 * A statement is a directive name, its arguments and a terminator: ';' or
 * a '{' that opens a block. Each is looked up in the schema of the context
 * it appears in (directives.c). On an error the statement is dropped (its
 * block skipped up to the matching '}') and parsing goes on, so one run
 * reports every error; the result is NULL if there was any. Includes are
 * in include.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "conf_priv.h"

void
conf_err(struct conf_parser *p, const struct fo_conf_loc *loc, const char *fmt, ...)
{
	va_list ap;

	if (p->stop)
		return;
	if (++p->n_errors > FO_CONF_ERRORS_MAX) {
		p->stop = true;
		if (p->err != NULL)
			fprintf(p->err, "%s:%u:%u: too many errors (limit %u), giving up\n",
				loc->file, loc->line, loc->col, FO_CONF_ERRORS_MAX);
		return;
	}
	if (p->err == NULL)
		return;
	fprintf(p->err, "%s:%u:%u: ", loc->file, loc->line, loc->col);
	va_start(ap, fmt);
	vfprintf(p->err, fmt, ap);
	va_end(ap);
	fputc('\n', p->err);
}

void
conf_warn(struct conf_parser *p, const struct fo_conf_loc *loc, const char *fmt, ...)
{
	va_list ap;

	if (p->stop || p->err == NULL)
		return;
	fprintf(p->err, "%s:%u:%u: warning: ", loc->file, loc->line, loc->col);
	va_start(ap, fmt);
	vfprintf(p->err, fmt, ap);
	va_end(ap);
	fputc('\n', p->err);
}

void
conf_oom(struct conf_parser *p, const struct fo_conf_loc *loc)
{
	conf_err(p, loc, "out of memory");
	p->stop = true;
}

/*
 * Make room for element @n of the array at *@arrp (n elements so far).
 * Capacity is implied by n (4, 8, 16...): no separate field to keep.
 * Returns 0 or -ENOMEM (the array is unchanged).
 */
int
conf_push(void *arrp, unsigned n, size_t size)
{
	void **arr = arrp;
	void *grown;

	if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
		return 0;
	if (n >= UINT_MAX / 4)
		return -ENOMEM;
	grown = realloc(*arr, (size_t)(n == 0 ? 4 : 2 * n) * size);
	if (grown == NULL)
		return -ENOMEM;
	*arr = grown;
	return 0;
}

/* Keep a file name for the life of the conf; locations point at it. */
const char *
conf_add_file(struct conf_parser *p, const char *name, const struct fo_conf_loc *loc)
{
	struct conf_priv *c = p->c;
	char *dup = strdup(name);

	if (dup == NULL || conf_push(&c->files, c->n_files, sizeof(*c->files)) != 0) {
		free(dup);
		if (loc != NULL)
			conf_oom(p, loc);
		return NULL;
	}
	c->files[c->n_files++] = dup;
	return dup;
}

static const struct conf_directive *
ctx_find(const struct conf_ctx *ctx, const char *name, unsigned *idx)
{
	unsigned i;

	for (i = 0; i < ctx->n_dirs; i++) {
		if (strcmp(ctx->dirs[i].name, name) == 0) {
			*idx = i;
			return &ctx->dirs[i];
		}
	}
	return NULL;
}

/* "unknown directive", or "not allowed here" when another context knows it. */
static void
report_unknown(struct conf_parser *p, const struct conf_block *blk, const struct conf_tok *name)
{
	char where[256] = "";
	size_t used = 0;
	unsigned i, idx;

	for (i = 0; i < conf_n_ctxs; i++) {
		if (conf_ctxs[i] == blk->ctx || ctx_find(conf_ctxs[i], name->val, &idx) == NULL)
			continue;
		used += (size_t)snprintf(where + used, sizeof(where) - used, "%s%s",
			used ? " or " : "", conf_ctxs[i]->where);
	}
	if (used != 0)
		conf_err(p, &name->loc, "\"%s\" directive is not allowed %s (only %s)", name->val,
			blk->ctx->where, where);
	else
		conf_err(p, &name->loc, "unknown directive \"%s\" %s", name->val, blk->ctx->where);
}

/*
 * Drop tokens up to the '}' matching a '{' already read; @what names the
 * block (NULL for a stray '{') when it is never closed.
 */
static void
skip_block(struct conf_parser *p, struct conf_lexer *lx, const char *what,
	const struct fo_conf_loc *loc)
{
	struct conf_tok t;
	unsigned depth = 1;

	for (;;) {
		conf_lex_next(lx, &t);
		conf_tok_free(&t);
		if (t.type == CONF_TOK_EOF) {
			if (what != NULL)
				conf_err(
					p, loc, "\"%s\" block is not closed (missing \"}\")", what);
			else
				conf_err(p, loc, "block is not closed (missing \"}\")");
			return;
		}
		if (t.type == CONF_TOK_LBRACE)
			depth++;
		else if (t.type == CONF_TOK_RBRACE && --depth == 0)
			return;
	}
}

static void
stmt_free(struct conf_stmt *st)
{
	unsigned i;

	for (i = 0; i < st->n; i++)
		conf_tok_free(&st->tok[i]);
}

/*
 * Read the rest of a statement after its name. When it ends with '}' or
 * end of file instead of ';' or '{', report the missing ';', leave that
 * token for the caller and treat the statement as complete.
 */
static void
stmt_read(struct conf_parser *p, struct conf_lexer *lx, struct conf_stmt *st)
{
	struct conf_tok t;
	const struct conf_tok *last;
	struct fo_conf_loc loc;

	for (;;) {
		conf_lex_next(lx, &t);
		st->bad |= t.bad;
		if (t.type != CONF_TOK_WORD)
			break;
		st->n_args++;
		if (st->n < CONF_ARGS_MAX + 1)
			st->tok[st->n++] = t;
		else
			conf_tok_free(&t);
	}
	if (t.type == CONF_TOK_SEMI || t.type == CONF_TOK_LBRACE) {
		st->has_block = t.type == CONF_TOK_LBRACE;
		return;
	}
	/* point just after the last token, where the ';' belongs */
	last = &st->tok[st->n - 1];
	loc = last->loc;
	loc.col += (unsigned)last->raw_len;
	if (!st->bad) /* after a lexical error, this would only repeat it */
		conf_err(p, &loc, "missing \";\" after \"%s\" directive", st->tok[0].val);
	conf_lex_unget(lx, &t);
}

static bool parse_stmts(
	struct conf_parser *p, struct conf_lexer *lx, struct conf_block *blk, bool in_block);

/* Parse one file's text in the context of @blk (main, or the block holding the include). */
void
conf_parse_text(struct conf_parser *p, const char *file, const char *text, size_t len,
	struct conf_block *blk)
{
	struct conf_lexer *lx = malloc(sizeof(*lx));
	struct fo_conf_loc loc = {.file = file, .line = 1, .col = 1};

	if (lx == NULL) {
		conf_oom(p, &loc);
		return;
	}
	conf_lex_init(lx, p, file, text, len);
	parse_stmts(p, lx, blk, false);
	free(lx);
}

/* Check required directives and run the context's end-of-block checks. */
static void
block_end(struct conf_parser *p, struct conf_block *blk)
{
	unsigned i;

	for (i = 0; i < blk->ctx->n_dirs; i++)
		if ((blk->ctx->dirs[i].flags & CONF_D_REQUIRED) && !blk->tried[i])
			conf_err(p, &blk->loc, "missing \"%s\" directive in %s block",
				blk->ctx->dirs[i].name, blk->ctx->name);
	if (blk->ctx->end != NULL)
		blk->ctx->end(p, blk);
}

static void
parse_stmt(
	struct conf_parser *p, struct conf_lexer *lx, struct conf_block *blk, struct conf_tok *name)
{
	const struct conf_directive *d;
	struct conf_block inner;
	struct conf_stmt st;
	unsigned idx;

	memset(&st, 0, sizeof(st));
	st.tok[0] = *name;
	st.n = 1;
	st.bad = name->bad;
	stmt_read(p, lx, &st);
	if (st.bad)
		goto skip;
	if (strcmp(name->val, "include") == 0) {
		conf_do_include(p, blk, &st);
		goto skip;
	}
	d = ctx_find(blk->ctx, name->val, &idx);
	if (d == NULL) {
		report_unknown(p, blk, name);
		goto skip;
	}
	blk->tried[idx] = true;
	if ((d->flags & CONF_D_BLOCK) && !st.has_block) {
		conf_err(p, &name->loc, "\"%s\" directive needs a block (usage: %s)", d->name,
			d->usage);
		goto out;
	}
	if (!(d->flags & CONF_D_BLOCK) && st.has_block) {
		conf_err(p, &name->loc, "\"%s\" directive takes no block (usage: %s)", d->name,
			d->usage);
		goto skip;
	}
	if (st.n_args < d->min_args || st.n_args > d->max_args) {
		conf_err(p, &name->loc, "wrong number of arguments in \"%s\" directive (usage: %s)",
			d->name, d->usage);
		goto skip;
	}
	if ((d->flags & CONF_D_ONCE) && blk->seen[idx]) {
		conf_err(p, &name->loc, "duplicate \"%s\" directive (first at %s:%u:%u)", d->name,
			blk->first[idx].file, blk->first[idx].line, blk->first[idx].col);
		goto skip;
	}
	if (!blk->seen[idx]) {
		blk->seen[idx] = true;
		blk->first[idx] = name->loc;
		blk->arg[idx] = st.n > 1 ? st.tok[1].loc : name->loc;
	}
	if (!(d->flags & CONF_D_BLOCK)) {
		d->handle(p, blk, &st, NULL);
		goto out;
	}
	memset(&inner, 0, sizeof(inner));
	inner.ctx = d->inner;
	inner.loc = name->loc;
	inner.obj = -1;
	d->handle(p, blk, &st, &inner);
	stmt_free(&st);
	if (inner.obj < 0)
		skip_block(p, lx, d->name, &name->loc);
	else if (parse_stmts(p, lx, &inner, true) && !p->stop)
		block_end(p, &inner);
	return;
skip:
	if (st.has_block)
		skip_block(p, lx, name->val, &name->loc);
out:
	stmt_free(&st);
}

/*
 * Statements up to end of file, or up to the closing '}' when @in_block.
 * Returns true when a block was closed properly.
 */
static bool
parse_stmts(struct conf_parser *p, struct conf_lexer *lx, struct conf_block *blk, bool in_block)
{
	struct conf_tok t;

	for (;;) {
		conf_lex_next(lx, &t);
		switch (t.type) {
		case CONF_TOK_EOF:
			if (in_block)
				conf_err(p, &blk->loc, "\"%s\" block is not closed (missing \"}\")",
					blk->ctx->name);
			return false;
		case CONF_TOK_RBRACE:
			if (in_block)
				return true;
			conf_err(p, &t.loc, "unexpected \"}\"");
			break;
		case CONF_TOK_SEMI:
			conf_err(p, &t.loc, "unexpected \";\"");
			break;
		case CONF_TOK_LBRACE:
			conf_err(p, &t.loc, "unexpected \"{\"");
			skip_block(p, lx, NULL, &t.loc);
			break;
		case CONF_TOK_WORD:
			parse_stmt(p, lx, blk, &t);
			break;
		}
	}
}

static struct conf_parser *
parser_new(unsigned flags, FILE *err)
{
	struct conf_parser *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->c = calloc(1, sizeof(*p->c));
	if (p->c == NULL) {
		free(p);
		return NULL;
	}
	p->flags = flags;
	p->err = err;
	/* an http block only overrides: without one, the defaults stand */
	conf_params_init(&p->c->pub.http, conf_http_params, CONF_HTTP_N);
	p->c->pub.metrics_addr = htonl(FO_CONF_METRICS_ADDR);
	p->c->pub.metrics_port = FO_CONF_METRICS_PORT;
	p->c->pub.access_log_buffer = FO_CONF_ALOG_BUFFER_DEFAULT;
	return p;
}

static void
parse_main(struct conf_parser *p, const char *file, const char *text, size_t len)
{
	struct conf_block blk;

	memset(&blk, 0, sizeof(blk));
	blk.ctx = &conf_ctx_main;
	blk.obj = -1;
	p->stack[0] = realpath(file, NULL); /* NULL for in-memory text: no cycle to catch */
	p->n_files_read = 1;
	conf_parse_text(p, file, text, len, &blk);
	if (!p->stop)
		conf_validate_final(p, file);
}

static struct fo_conf *
parser_finish(struct conf_parser *p, unsigned *n_errors)
{
	struct conf_priv *c = p->c;
	unsigned i;

	for (i = 0; i < p->n_refs; i++)
		free(p->refs[i].name);
	free(p->refs);
	free(p->listen_args);
	free(p->route_ht);
	free(p->dups);
	free(p->stack[0]);
	if (n_errors != NULL)
		*n_errors = p->n_errors;
	if (p->n_errors != 0) {
		conf_free_priv(c);
		c = NULL;
	}
	free(p);
	return c ? &c->pub : NULL;
}

static void
report_no_memory(const char *name, FILE *err, unsigned *n_errors)
{
	if (err != NULL)
		fprintf(err, "%s:1:1: out of memory\n", name);
	if (n_errors != NULL)
		*n_errors = 1;
}

struct fo_conf *
fo_conf_parse(const char *name, const char *text, size_t len, unsigned flags, FILE *err,
	unsigned *n_errors)
{
	struct conf_parser *p;
	const char *file;

	if (name == NULL)
		name = "<config>";
	p = parser_new(flags, err);
	file = p ? conf_add_file(p, name, NULL) : NULL;
	if (file == NULL) {
		if (p != NULL)
			parser_finish(p, NULL);
		report_no_memory(name, err, n_errors);
		return NULL;
	}
	if (len > FO_CONF_FILE_MAX) {
		struct fo_conf_loc loc = {.file = file, .line = 1, .col = 1};

		conf_err(p, &loc, "file too large (%zu bytes, limit %u)", len, FO_CONF_FILE_MAX);
	} else {
		parse_main(p, file, text ? text : "", text ? len : 0);
	}
	return parser_finish(p, n_errors);
}

struct fo_conf *
fo_conf_load(const char *path, FILE *err, unsigned *n_errors)
{
	struct conf_parser *p = parser_new(0, err);
	const char *file = p ? conf_add_file(p, path, NULL) : NULL;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (file == NULL) {
		if (p != NULL)
			parser_finish(p, NULL);
		report_no_memory(path, err, n_errors);
		return NULL;
	}
	rc = conf_read_file(path, &text, &len);
	if (rc != 0) {
		struct fo_conf_loc loc = {.file = file, .line = 1, .col = 1};

		conf_err(p, &loc, "cannot read file: %s", conf_read_error(rc));
	} else {
		parse_main(p, file, text, len);
	}
	free(text);
	return parser_finish(p, n_errors);
}
