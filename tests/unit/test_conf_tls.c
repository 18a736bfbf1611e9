/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/conf TLS directives: `listen A:P tls;` next to plain listeners,
 * `tls_certificate CHAIN KEY;` repeated, `strict_sni`, `ssl_redirect` at
 * top level and per route, `hsts VALUE|off`, `tls_ticket_rotate`,
 * `tls_ticket_key_file`; defaults when absent, the
 * dump and its round trip, and every error with its file:line:col.
 */
#include "conf_err_harness.h"
#include "conf_parse_harness.h"

#define IFC "interface net_tap0 { address 198.18.0.1/24; }\n"
#define UPR                                                                                        \
	"upstream b { server 198.18.0.2:80; }\n"                                                   \
	"route prefix / { upstream b; }\n"

static void
same_tls(const struct fo_conf *a, const struct fo_conf *b)
{
	unsigned i;

	assert_int_equal(a->tls.n_certs, b->tls.n_certs);
	for (i = 0; i < a->tls.n_certs; i++) {
		assert_string_equal(a->tls.certs[i].chain, b->tls.certs[i].chain);
		assert_string_equal(a->tls.certs[i].key, b->tls.certs[i].key);
	}
	assert_int_equal(a->tls.strict_sni, b->tls.strict_sni);
	assert_int_equal(a->tls.ssl_redirect_off, b->tls.ssl_redirect_off);
	assert_int_equal(a->tls.hsts_off, b->tls.hsts_off);
	assert_string_equal(a->tls.hsts, b->tls.hsts);
	assert_int_equal(a->tls.ticket_rotate_s, b->tls.ticket_rotate_s);
	if (a->tls.ticket_key_file == NULL)
		assert_null(b->tls.ticket_key_file);
	else
		assert_string_equal(a->tls.ticket_key_file, b->tls.ticket_key_file);
	assert_int_equal(a->n_listens, b->n_listens);
	for (i = 0; i < a->n_listens; i++)
		assert_int_equal(a->listens[i].tls, b->listens[i].tls);
	assert_int_equal(a->n_routes, b->n_routes);
	for (i = 0; i < a->n_routes; i++)
	{
		assert_int_equal(a->routes[i].no_ssl_redirect, b->routes[i].no_ssl_redirect);
		assert_int_equal(a->routes[i].force_ssl_redirect, b->routes[i].force_ssl_redirect);
	}
}

static void
round_trip(const struct fo_conf *c)
{
	char *d = dump(c);
	struct fo_conf *again = parse_ok(d);

	same_tls(c, again);
	fo_conf_free(again);
	free(d);
}

static void
test_defaults(void **state)
{
	struct fo_conf *c = parse_ok(IFC "listen 198.18.0.1:80;\n" UPR);
	char *d;

	(void)state;
	assert_int_equal(c->listens[0].tls, 0);
	assert_int_equal(c->tls.n_certs, 0);
	assert_int_equal(c->tls.strict_sni, 0);
	assert_int_equal(c->tls.ssl_redirect_off, 0); /* on by default, as ingress-nginx */
	assert_int_equal(c->tls.hsts_off, 0);
	assert_string_equal(c->tls.hsts, ""); /* FO_CONF_HSTS_DEFAULT */
	assert_int_equal(c->tls.ticket_rotate_s, 0); /* FO_CONF_TICKET_ROTATE_DEFAULT */
	assert_null(c->tls.ticket_key_file);
	assert_int_equal(c->routes[0].no_ssl_redirect, 0);
	assert_int_equal(c->routes[0].force_ssl_redirect, 0);
	d = dump(c);
	assert_null(strstr(d, "tls"));
	assert_null(strstr(d, "hsts"));
	free(d);
	fo_conf_free(c);
}

static void
test_all(void **state)
{
	struct fo_conf *c =
		parse_ok(IFC "listen 198.18.0.1:80;\nlisten 198.18.0.1:443 tls;\n"
			     "tls_certificate /etc/a.pem /etc/a.key;\n"
			     "tls_certificate \"/etc/b c.pem\" /etc/b.key;\n"
			     "strict_sni on;\nssl_redirect off;\n"
			     "hsts \"max-age=600\";\n"
			     "upstream b { server 198.18.0.2:80; }\n"
			     "route prefix / { upstream b; }\n"
			     "route prefix /.well-known/ { upstream b; ssl_redirect off; }\n"
			     "route prefix /login { upstream b; force_ssl_redirect on; }\n");
	char *d;

	(void)state;
	assert_int_equal(c->n_listens, 2);
	assert_int_equal(c->listens[0].tls, 0);
	assert_int_equal(c->listens[1].tls, 1);
	assert_int_equal(c->listens[1].service, FO_CONF_SVC_HTTP);
	assert_int_equal(c->tls.n_certs, 2);
	assert_string_equal(c->tls.certs[0].chain, "/etc/a.pem");
	assert_string_equal(c->tls.certs[0].key, "/etc/a.key");
	assert_string_equal(c->tls.certs[1].chain, "/etc/b c.pem");
	assert_int_equal(c->tls.certs[1].loc.line, 5);
	assert_int_equal(c->tls.strict_sni, 1);
	assert_int_equal(c->tls.ssl_redirect_off, 1);
	assert_string_equal(c->tls.hsts, "max-age=600");
	assert_int_equal(c->routes[0].no_ssl_redirect, 0);
	assert_int_equal(c->routes[1].no_ssl_redirect, 1);
	assert_int_equal(c->routes[1].force_ssl_redirect, 0);
	assert_int_equal(c->routes[2].force_ssl_redirect, 1);
	d = dump(c);
	assert_non_null(strstr(d, "listen 198.18.0.1:443 tls;\n"));
	assert_non_null(strstr(d, "tls_certificate \"/etc/b c.pem\" \"/etc/b.key\";\n"));
	assert_non_null(strstr(d, "\tssl_redirect off;\n"));
	assert_non_null(strstr(d, "\tforce_ssl_redirect on;\n"));
	free(d);
	round_trip(c);
	fo_conf_free(c);
	c = parse_ok(IFC "listen 0.0.0.0:443 tls;\nhsts off;\nstrict_sni off;\nssl_redirect on;\n");
	assert_int_equal(c->tls.hsts_off, 1);
	assert_int_equal(c->tls.strict_sni, 0);
	assert_int_equal(c->tls.ssl_redirect_off, 0);
	round_trip(c);
	fo_conf_free(c);
}

static void
test_tickets(void **state)
{
	struct fo_conf *c = parse_ok(IFC "listen 198.18.0.1:443 tls;\ntls_ticket_rotate 6h;\n"
				       "tls_ticket_key_file \"/run/fanout/ticket keys\";\n");
	char *d;

	(void)state;
	assert_int_equal(c->tls.ticket_rotate_s, 6 * 3600);
	assert_string_equal(c->tls.ticket_key_file, "/run/fanout/ticket keys");
	d = dump(c);
	assert_non_null(strstr(d, "tls_ticket_rotate 6h;\n"));
	assert_non_null(strstr(d, "tls_ticket_key_file \"/run/fanout/ticket keys\";\n"));
	free(d);
	round_trip(c);
	fo_conf_free(c);
	/* the bounds: 1 minute, 7 days; a whole number of seconds (nginx's units) */
	c = parse_ok(IFC "tls_ticket_rotate 60;\n");
	assert_int_equal(c->tls.ticket_rotate_s, 60);
	round_trip(c);
	fo_conf_free(c);
	c = parse_ok(IFC "tls_ticket_rotate 168h;\n");
	assert_int_equal(c->tls.ticket_rotate_s, 7 * 24 * 3600);
	fo_conf_free(c);
	c = parse_ok(IFC "tls_ticket_rotate 90000ms;\n");
	assert_int_equal(c->tls.ticket_rotate_s, 90);
	fo_conf_free(c);
}

static const struct err_case cases[] = {
	{"errors", "tls arg", 0, T(IFC "listen 198.18.0.1:443 tls extra;\n"),
		"t.conf:2:27: service \"tls\" takes no argument\n"},
	{"errors", "service", 0, T(IFC "listen 198.18.0.1:443 ssl;\n"),
		"t.conf:2:23: unknown service \"ssl\" (expected http, echo, discard, source SIZE "
		"or relay UPSTREAM)\n"},
	{"errors", "cert args", 0, T(IFC "tls_certificate /a.pem;\n"),
		"t.conf:2:1: wrong number of arguments in \"tls_certificate\" directive (usage: "
		"tls_certificate CHAIN.pem KEY.pem;)\n"},
	{"errors", "cert empty", 0, T(IFC "tls_certificate /a.pem \"\";\n"),
		"t.conf:2:24: tls_certificate: empty key path, or one with a NUL\n"},
	{"errors", "cert twice", 0,
		T(IFC "tls_certificate /a.pem /a.key;\ntls_certificate /a.pem /b.key;\n"),
		"t.conf:3:17: duplicate tls_certificate /a.pem (first defined at t.conf:2:1)\n"},
	{"errors", "strict", 0, T(IFC "strict_sni yes;\n"),
		"t.conf:2:12: invalid strict_sni \"yes\" (expected on or off)\n"},
	{"errors", "redirect", 0, T(IFC "ssl_redirect 1;\n"),
		"t.conf:2:14: invalid ssl_redirect \"1\" (expected on or off)\n"},
	{"errors", "route redirect", 0,
		T(IFC "upstream b { server 198.18.0.2:80; }\n"
		      "route prefix / { upstream b; ssl_redirect maybe; }\n"),
		"t.conf:3:43: invalid ssl_redirect \"maybe\" (expected on or off)\n"},
	{"errors", "route force", 0,
		T(IFC "upstream b { server 198.18.0.2:80; }\n"
		      "route prefix / { upstream b; force_ssl_redirect 1; }\n"),
		"t.conf:3:49: invalid force_ssl_redirect \"1\" (expected on or off)\n"},
	{"errors", "force at top", 0, T(IFC "force_ssl_redirect on;\n"),
		"t.conf:2:1: \"force_ssl_redirect\" directive is not allowed at top level (only in "
		"route block)\n"},
	{"errors", "hsts", 0, T(IFC "hsts includeSubDomains;\n"),
		"t.conf:2:6: hsts value must start with max-age= (RFC 6797), e.g. "
		"\"max-age=31536000; includeSubDomains\"\n"},
	{"errors", "hsts twice", 0, T(IFC "hsts off;\nhsts off;\n"),
		"t.conf:3:1: duplicate \"hsts\" directive (first at t.conf:2:1)\n"},
	{"errors", "rotate short", 0, T(IFC "tls_ticket_rotate 59s;\n"),
		"t.conf:2:19: tls_ticket_rotate \"59s\": a whole number of seconds from 1m to 7d "
		"(e.g. 12h)\n"},
	{"errors", "rotate long", 0, T(IFC "tls_ticket_rotate 169h;\n"),
		"t.conf:2:19: tls_ticket_rotate \"169h\": a whole number of seconds from 1m to 7d "
		"(e.g. 12h)\n"},
	{"errors", "rotate ms", 0, T(IFC "tls_ticket_rotate 60500ms;\n"),
		"t.conf:2:19: tls_ticket_rotate \"60500ms\": a whole number of seconds from 1m to 7d "
		"(e.g. 12h)\n"},
	{"errors", "rotate word", 0, T(IFC "tls_ticket_rotate daily;\n"),
		"t.conf:2:19: tls_ticket_rotate \"daily\": a whole number of seconds from 1m to 7d "
		"(e.g. 12h)\n"},
	{"errors", "key file empty", 0, T(IFC "tls_ticket_key_file \"\";\n"),
		"t.conf:2:21: tls_ticket_key_file: empty path, or one with a NUL\n"},
	{"errors", "key file twice", 0,
		T(IFC "tls_ticket_key_file /a;\ntls_ticket_key_file /b;\n"),
		"t.conf:3:1: duplicate \"tls_ticket_key_file\" directive (first at t.conf:2:1)\n"},
	{"errors", "in a block", 0, T(IFC "http { strict_sni on; }\n"),
		"t.conf:2:8: \"strict_sni\" directive is not allowed in http block (only at top "
		"level)\n"},
};

static void
test_errors(void **state)
{
	(void)state;
	run_group("errors");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all),
		cmocka_unit_test(test_tickets),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
