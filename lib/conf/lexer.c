/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Config lexer: bytes -> tokens with 1-based line:col (col in bytes).
 *
 * Tokens: bare words (end at whitespace, ';', '{', '}', '#'), quoted
 * strings "..." or '...' (\" \' \\ are escapes, any other backslash is kept
 * as written so regexes like "\d+" read naturally), and the punctuation
 * ';' '{' '}'. '#' starts a comment up to the end of the line.
 *
 * Lexical errors (NUL bytes, control characters, unterminated strings,
 * over-long tokens) are reported here; the token they touch is marked bad
 * so the parser drops its statement without piling more errors on it.
 */
#include <stdlib.h>
#include <string.h>

#include "conf_priv.h"

static bool
is_esc(char c)
{
	return c == '"' || c == '\'' || c == '\\';
}

void
conf_lex_init(
	struct conf_lexer *lx, struct conf_parser *p, const char *file, const char *buf, size_t len)
{
	lx->p = p;
	lx->file = file;
	lx->buf = buf;
	lx->len = len;
	lx->pos = 0;
	lx->line = 1;
	lx->col = 1;
	lx->taint = false;
	lx->have_peek = false;
}

void
conf_tok_free(struct conf_tok *t)
{
	free(t->val);
	t->val = NULL;
}

/* Hand a token back: the next conf_lex_next() returns it again. */
void
conf_lex_unget(struct conf_lexer *lx, struct conf_tok *t)
{
	lx->peek = *t;
	lx->have_peek = true;
	t->val = NULL;
}

/*
 * Location of byte @off of a token's value: maps back through the quote
 * and escapes so errors can point inside a quoted string.
 */
struct fo_conf_loc
conf_tok_loc_at(const struct conf_tok *t, size_t off)
{
	struct fo_conf_loc loc = t->loc;
	size_t i, v;

	if (!t->quoted) {
		loc.col += (unsigned)(off < t->raw_len ? off : t->raw_len);
		return loc;
	}
	for (i = 1, v = 0; v < off && i < t->raw_len; v++) {
		if (t->raw[i] == '\\' && i + 1 < t->raw_len && is_esc(t->raw[i + 1]))
			i += 2;
		else
			i++;
	}
	loc.col += (unsigned)i;
	return loc;
}

static struct fo_conf_loc
lex_here(const struct conf_lexer *lx)
{
	struct fo_conf_loc loc = {.file = lx->file, .line = lx->line, .col = lx->col};

	return loc;
}

static void
lex_advance(struct conf_lexer *lx)
{
	if (lx->buf[lx->pos] == '\n') {
		lx->line++;
		lx->col = 1;
	} else {
		lx->col++;
	}
	lx->pos++;
}

static bool
is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool
ends_word(unsigned char c)
{
	return is_space(c) || c == ';' || c == '{' || c == '}' || c == '#';
}

/* Report the control character at the cursor and step over it. */
static void
lex_bad_char(struct conf_lexer *lx)
{
	struct fo_conf_loc loc = lex_here(lx);
	unsigned char c = (unsigned char)lx->buf[lx->pos];

	if (c == 0)
		conf_err(lx->p, &loc, "NUL byte in config text");
	else
		conf_err(lx->p, &loc, "control character 0x%02x in config text", c);
	lx->taint = true;
	lx->pos++;
	lx->col++;
}

/* Append one value byte; report once when the token outgrows the cap. */
static void
lex_put(struct conf_lexer *lx, struct conf_tok *t, char c)
{
	if (t->len < FO_CONF_TOKEN_MAX) {
		lx->val[t->len++] = c;
		return;
	}
	if (t->len == FO_CONF_TOKEN_MAX) {
		conf_err(lx->p, &t->loc, "token too long (limit %u bytes)", FO_CONF_TOKEN_MAX);
		lx->taint = true;
		t->len++; /* report once; the value is dropped with the bad token */
	}
}

/* Skip whitespace and comments; report stray control bytes. */
static void
lex_skip(struct conf_lexer *lx)
{
	while (lx->pos < lx->len && !lx->p->stop) {
		unsigned char c = (unsigned char)lx->buf[lx->pos];

		if (is_space(c)) {
			lex_advance(lx);
		} else if (c == '#') {
			/* comments may hold anything but NUL and end at '\n' */
			while (lx->pos < lx->len && lx->buf[lx->pos] != '\n') {
				if (lx->buf[lx->pos] == '\0')
					lex_bad_char(lx);
				else
					lex_advance(lx);
			}
		} else if (is_ctl(c)) {
			lex_bad_char(lx);
		} else {
			return;
		}
	}
}

static void
lex_quoted(struct conf_lexer *lx, struct conf_tok *t)
{
	char q = lx->buf[lx->pos];

	t->quoted = true;
	lex_advance(lx);
	for (;;) {
		unsigned char c;

		if (lx->pos >= lx->len || lx->buf[lx->pos] == '\n') {
			conf_err(lx->p, &t->loc, "unterminated string (missing closing %c)", q);
			lx->taint = true;
			return;
		}
		c = (unsigned char)lx->buf[lx->pos];
		if (c == (unsigned char)q) {
			lex_advance(lx);
			break;
		}
		if (c == '\\' && lx->pos + 1 < lx->len && is_esc(lx->buf[lx->pos + 1])) {
			lex_put(lx, t, lx->buf[lx->pos + 1]);
			lex_advance(lx);
			lex_advance(lx);
		} else if (is_ctl(c)) {
			lex_bad_char(lx);
		} else {
			lex_put(lx, t, (char)c);
			lex_advance(lx);
		}
	}
	if (lx->pos < lx->len && !ends_word((unsigned char)lx->buf[lx->pos])) {
		struct fo_conf_loc loc = lex_here(lx);

		conf_err(lx->p, &loc,
			"expected whitespace, \";\", \"{\" or \"}\" after quoted string");
		lx->taint = true;
	}
}

static void
lex_word(struct conf_lexer *lx, struct conf_tok *t)
{
	while (lx->pos < lx->len) {
		unsigned char c = (unsigned char)lx->buf[lx->pos];

		if (ends_word(c))
			break;
		if (is_ctl(c)) {
			lex_bad_char(lx);
			continue;
		}
		if (c == '"' || c == '\'') {
			struct fo_conf_loc loc = lex_here(lx);

			conf_err(lx->p, &loc, "unexpected quote inside a word");
			lx->taint = true;
		} else {
			lex_put(lx, t, (char)c);
		}
		lex_advance(lx);
	}
}

/*
 * Next token. WORD tokens own t->val (conf_tok_free()). Returns EOF for
 * good once the parser has stopped (too many errors, out of memory).
 */
void
conf_lex_next(struct conf_lexer *lx, struct conf_tok *t)
{
	unsigned char c;
	size_t start;

	if (lx->have_peek) {
		*t = lx->peek;
		lx->have_peek = false;
		return;
	}
	memset(t, 0, sizeof(*t));
	lex_skip(lx);
	t->loc = lex_here(lx);
	t->raw = lx->buf + lx->pos;
	if (lx->pos >= lx->len || lx->p->stop) {
		t->type = CONF_TOK_EOF;
		return;
	}
	start = lx->pos;
	c = (unsigned char)lx->buf[lx->pos];
	if (c == ';' || c == '{' || c == '}') {
		t->type = c == ';' ? CONF_TOK_SEMI : c == '{' ? CONF_TOK_LBRACE : CONF_TOK_RBRACE;
		lex_advance(lx);
	} else {
		t->type = CONF_TOK_WORD;
		if (c == '"' || c == '\'')
			lex_quoted(lx, t);
		else
			lex_word(lx, t);
		if (t->len > FO_CONF_TOKEN_MAX)
			t->len = FO_CONF_TOKEN_MAX;
		t->val = malloc(t->len + 1);
		if (t->val == NULL) {
			conf_oom(lx->p, &t->loc);
			t->type = CONF_TOK_EOF;
			return;
		}
		memcpy(t->val, lx->val, t->len);
		t->val[t->len] = '\0';
	}
	t->raw_len = lx->pos - start;
	t->bad = lx->taint;
	lx->taint = false;
}
