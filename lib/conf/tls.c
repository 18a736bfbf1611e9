/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS directives at top level: `tls_certificate CHAIN KEY;` (repeated, one
 * per certificate; the names a certificate serves are its SANs, so there
 * are no per-host blocks as in nginx's server { ssl_certificate ... }),
 * `strict_sni on|off;`, `ssl_redirect on|off;` (also in a route: off there
 * exempts it), `hsts VALUE|off;`, `tls_ticket_rotate DURATION;`,
 * `tls_ticket_key_file PATH;`; their dump and free.
 *
 * lib/conf only checks the syntax here (two non-empty paths, no NUL);
 * reading and validating the certificates (unreadable, key mismatch,
 * expired, chain order) is lib/tls's, done by the application when it
 * loads the config, with "file: message" errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_priv.h"

/* "on" | "off": 1, 0; -1 after reporting */
static int
on_off(struct conf_parser *p, const struct conf_stmt *st)
{
	const struct conf_tok *t = &st->tok[1];

	if (strcmp(t->val, "on") == 0)
		return 1;
	if (strcmp(t->val, "off") == 0)
		return 0;
	conf_err(p, &t->loc, "invalid %s \"%s\" (expected on or off)", st->tok[0].val, t->val);
	return -1;
}

static int
path_ok(struct conf_parser *p, const struct conf_tok *t, const char *what)
{
	if (t->len == 0 || strlen(t->val) != t->len) {
		conf_err(p, &t->loc, "tls_certificate: empty %s path, or one with a NUL", what);
		return 0;
	}
	return 1;
}

void
conf_h_tls_certificate(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	struct fo_conf_tls *t = &p->c->pub.tls;
	struct fo_conf_tls_cert *cert;
	unsigned i;

	(void)blk, (void)inner;
	if (!path_ok(p, &st->tok[1], "chain") || !path_ok(p, &st->tok[2], "key"))
		return;
	for (i = 0; i < t->n_certs; i++) {
		if (strcmp(t->certs[i].chain, st->tok[1].val) == 0) {
			conf_err(p, &st->tok[1].loc,
				"duplicate tls_certificate %s (first defined at %s:%u:%u)",
				st->tok[1].val, t->certs[i].loc.file, t->certs[i].loc.line,
				t->certs[i].loc.col);
			return;
		}
	}
	if (conf_push(&t->certs, t->n_certs, sizeof(*t->certs)) != 0) {
		conf_oom(p, &st->tok[0].loc);
		return;
	}
	cert = &t->certs[t->n_certs];
	cert->chain = strdup(st->tok[1].val);
	cert->key = strdup(st->tok[2].val);
	cert->loc = st->tok[0].loc;
	if (cert->chain == NULL || cert->key == NULL) {
		free(cert->chain);
		free(cert->key);
		conf_oom(p, &st->tok[0].loc);
		return;
	}
	t->n_certs++;
}

/* strict_sni, ssl_redirect at top level */
void
conf_h_tls_flag(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	struct fo_conf_tls *t = &p->c->pub.tls;
	int v = on_off(p, st);

	(void)blk, (void)inner;
	if (v < 0)
		return;
	if (strcmp(st->tok[0].val, "strict_sni") == 0)
		t->strict_sni = (uint8_t)v;
	else
		t->ssl_redirect_off = (uint8_t)!v;
}

void
conf_h_hsts(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	struct fo_conf_tls *t = &p->c->pub.tls;
	const struct conf_tok *v = &st->tok[1];
	size_t i;

	(void)blk, (void)inner;
	if (strcmp(v->val, "off") == 0 && !v->quoted) {
		t->hsts_off = 1;
		return;
	}
	if (v->len == 0 || v->len >= FO_CONF_HSTS_MAX) {
		conf_err(p, &v->loc, "hsts value must be 1..%u bytes (e.g. \"%s\"), or off",
			FO_CONF_HSTS_MAX - 1, FO_CONF_HSTS_DEFAULT);
		return;
	}
	for (i = 0; i < v->len; i++) {
		unsigned char ch = (unsigned char)v->val[i];

		if ((ch < 0x20 && ch != '\t') || ch >= 0x7f) {
			conf_err(p, &v->loc, "hsts value has a control or non-ASCII byte");
			return;
		}
	}
	if (strncmp(v->val, "max-age=", 8) != 0) {
		conf_err(p, &v->loc, "hsts value must start with max-age= (RFC 6797), e.g. \"%s\"",
			FO_CONF_HSTS_DEFAULT);
		return;
	}
	memcpy(t->hsts, v->val, v->len + 1);
}

/* tls_ticket_rotate DURATION; */
void
conf_h_ticket_rotate(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	const struct conf_tok *v = &st->tok[1];
	uint64_t ms = 0;

	(void)blk, (void)inner;
	if (conf_parse_duration(v->val, v->len, (uint64_t)FO_CONF_TICKET_ROTATE_MAX * 1000, &ms) !=
			0 ||
		ms < (uint64_t)FO_CONF_TICKET_ROTATE_MIN * 1000 || ms % 1000 != 0) {
		conf_err(p, &v->loc,
			"tls_ticket_rotate \"%s\": a whole number of seconds from 1m to 7d "
			"(e.g. 12h)",
			v->val);
		return;
	}
	p->c->pub.tls.ticket_rotate_s = (uint32_t)(ms / 1000);
}

/* tls_ticket_key_file PATH; (read by the application: "file: message" there) */
void
conf_h_ticket_key_file(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	struct fo_conf_tls *t = &p->c->pub.tls;
	const struct conf_tok *v = &st->tok[1];

	(void)blk, (void)inner;
	if (v->len == 0 || strlen(v->val) != v->len) {
		conf_err(p, &v->loc, "tls_ticket_key_file: empty path, or one with a NUL");
		return;
	}
	free(t->ticket_key_file);
	t->ticket_key_file = strdup(v->val);
	if (t->ticket_key_file == NULL)
		conf_oom(p, &v->loc);
}

void
conf_h_route_ssl_redirect(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	struct fo_conf_route *r = &p->c->pub.routes[blk->obj];
	int v = on_off(p, st);

	(void)inner;
	if (v >= 0)
		r->no_ssl_redirect = (uint8_t)!v;
}

void
conf_h_route_force_ssl_redirect(struct conf_parser *p, struct conf_block *blk,
	const struct conf_stmt *st, struct conf_block *inner)
{
	struct fo_conf_route *r = &p->c->pub.routes[blk->obj];
	int v = on_off(p, st);

	(void)inner;
	if (v >= 0)
		r->force_ssl_redirect = (uint8_t)v;
}

static void
put_path(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

void
conf_dump_tls(FILE *out, const struct fo_conf *c)
{
	const struct fo_conf_tls *t = &c->tls;
	unsigned i;
	int any = 0;

	for (i = 0; i < t->n_certs; i++) {
		fputs("tls_certificate ", out);
		put_path(out, t->certs[i].chain);
		fputc(' ', out);
		put_path(out, t->certs[i].key);
		fputs(";\n", out);
		any = 1;
	}
	if (t->strict_sni)
		fputs("strict_sni on;\n", out), any = 1;
	if (t->ssl_redirect_off)
		fputs("ssl_redirect off;\n", out), any = 1;
	if (t->hsts_off)
		fputs("hsts off;\n", out), any = 1;
	else if (t->hsts[0] != 0) {
		fputs("hsts ", out);
		put_path(out, t->hsts);
		fputs(";\n", out);
		any = 1;
	}
	if (t->ticket_rotate_s != 0) {
		char buf[24];

		fprintf(out, "tls_ticket_rotate %s;\n",
			conf_duration_str((uint64_t)t->ticket_rotate_s * 1000, buf));
		any = 1;
	}
	if (t->ticket_key_file != NULL) {
		fputs("tls_ticket_key_file ", out);
		put_path(out, t->ticket_key_file);
		fputs(";\n", out);
		any = 1;
	}
	if (any)
		fputc('\n', out);
}

void
conf_free_tls(struct fo_conf *c)
{
	unsigned i;

	for (i = 0; i < c->tls.n_certs; i++) {
		free(c->tls.certs[i].chain);
		free(c->tls.certs[i].key);
	}
	free(c->tls.certs);
	free(c->tls.ticket_key_file);
	c->tls.ticket_key_file = NULL;
	c->tls.certs = NULL;
	c->tls.n_certs = 0;
}
