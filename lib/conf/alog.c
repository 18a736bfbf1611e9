/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `access_log PATH [format=upstreaminfo|json] [buffer=N];` and
 * `access_log off;` at top level (off when absent), and its dump.
 */
#include <stdio.h>
#include <string.h>

#include "conf_priv.h"

static const char *const formats[] = {
	[FO_CONF_ALOG_UPSTREAMINFO] = "upstreaminfo",
	[FO_CONF_ALOG_JSON] = "json",
};

/* format=NAME or buffer=N: @return 0, or -1 (reported) */
static int
alog_option(struct conf_parser *p, struct fo_conf *c, const struct conf_tok *t)
{
	const char *v;
	unsigned long n;
	unsigned i;

	if (strncmp(t->val, "format=", 7) == 0) {
		v = t->val + 7;
		for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
			if (strcmp(v, formats[i]) == 0) {
				c->access_log_format = (uint8_t)i;
				return 0;
			}
		}
		conf_err(p, &t->loc,
			"unknown access_log format \"%s\" (expected upstreaminfo or json)", v);
		return -1;
	}
	if (strncmp(t->val, "buffer=", 7) == 0) {
		v = t->val + 7;
		if (conf_parse_uint(v, strlen(v), FO_CONF_ALOG_BUFFER_MAX, &n) != 0 ||
			n < FO_CONF_ALOG_BUFFER_MIN) {
			conf_err(p, &t->loc, "access_log buffer must be %u..%u entries, not \"%s\"",
				FO_CONF_ALOG_BUFFER_MIN, FO_CONF_ALOG_BUFFER_MAX, v);
			return -1;
		}
		c->access_log_buffer = (uint32_t)n;
		return 0;
	}
	conf_err(p, &t->loc, "unknown access_log option \"%s\" (expected format= or buffer=)",
		t->val);
	return -1;
}

void
conf_h_access_log(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	struct fo_conf *c = &p->c->pub;
	const struct conf_tok *path = &st->tok[1];
	unsigned i;

	(void)blk, (void)inner;
	c->access_log_path[0] = 0;
	c->access_log_format = FO_CONF_ALOG_UPSTREAMINFO;
	c->access_log_buffer = FO_CONF_ALOG_BUFFER_DEFAULT;
	if (strcmp(path->val, "off") == 0 && !path->quoted) {
		if (st->n_args > 1)
			conf_err(p, &st->tok[2].loc, "access_log off takes no option");
		return;
	}
	if (path->val[0] != '/') {
		conf_err(p, &path->loc, "access_log needs an absolute path, not \"%s\"", path->val);
		return;
	}
	if (path->len >= FO_CONF_ALOG_PATH_MAX || strlen(path->val) != path->len) {
		conf_err(p, &path->loc, "access_log path too long (at most %u bytes) or with a NUL",
			FO_CONF_ALOG_PATH_MAX - 1);
		return;
	}
	for (i = 2; i <= st->n_args && i < st->n; i++)
		if (alog_option(p, c, &st->tok[i]) != 0)
			return;
	memcpy(c->access_log_path, path->val, path->len + 1);
}

void
conf_dump_access_log(FILE *out, const struct fo_conf *c)
{
	if (c->access_log_path[0] == 0)
		return; /* off: the default */
	/* quoted as the lexer reads it back (paths with spaces or quotes) */
	fputs("access_log \"", out);
	for (const char *s = c->access_log_path; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
	fprintf(out, "\" format=%s buffer=%u;\n\n", formats[c->access_log_format],
		c->access_log_buffer);
}
