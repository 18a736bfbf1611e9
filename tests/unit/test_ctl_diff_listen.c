/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ctl config diff, listeners: the proxy's (`listen A:P [tls]
 * [passthrough];`) added, removed or changing mode are a live change
 * (FO_CTL_DIFF_LISTENERS), never a restart; the built-in services'
 * listeners and the interfaces still need one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fo_ctl.h"

#define IFACE "interface net_tap0 { address 198.18.0.1/24; }\n"
#define UP "upstream a { server 198.18.0.11:8000; }\nupstream b { server 198.18.0.21:8000; }\n"
#define ROUTES "route prefix / { upstream a; }\npassthrough_default b;\npassthrough x.example { upstream b; }\n"
#define CERT "tls_certificate /a.pem /a.key;\n"
#define BASE IFACE UP ROUTES CERT
#define L80 "listen 198.18.0.1:80;\n"

static unsigned
diff(const char *a, const char *b)
{
	struct fo_conf *x = fo_conf_parse("t.conf", a, strlen(a), 0, stderr, NULL);
	struct fo_conf *y = fo_conf_parse("t.conf", b, strlen(b), 0, stderr, NULL);
	unsigned d;

	assert_non_null(x);
	assert_non_null(y);
	d = fo_ctl_conf_diff(x, y);
	fo_conf_free(x);
	fo_conf_free(y);
	return d;
}

static void
test_add_remove(void **state)
{
	(void)state;
	/* plain, tls, passthrough and tls passthrough listeners, each added then removed */
	static const char *const added[] = {"listen 198.18.0.1:81;\n",
		"listen 198.18.0.1:443 tls;\n", "listen 198.18.0.1:8443 passthrough;\n",
		"listen 198.18.0.1:9443 tls passthrough;\n", "listen 0.0.0.0:8080;\n"};
	char a[1024], b[1024];
	unsigned i;

	for (i = 0; i < sizeof(added) / sizeof(added[0]); i++) {
		snprintf(a, sizeof(a), "%s%s", BASE, L80);
		snprintf(b, sizeof(b), "%s%s%s", BASE, L80, added[i]);
		assert_int_equal(diff(a, b), FO_CTL_DIFF_LISTENERS);
		assert_int_equal(diff(b, a), FO_CTL_DIFF_LISTENERS);
	}
	/* the only listener replaced by another: the first TLS listener of a plain fanout */
	assert_int_equal(diff(BASE L80, BASE "listen 198.18.0.1:443 tls;\n"), FO_CTL_DIFF_LISTENERS);
	/* listeners in another order: a change too (the workers compare by address:port) */
	assert_int_equal(diff(BASE L80 "listen 198.18.0.1:81;\n", BASE "listen 198.18.0.1:81;\n" L80),
		FO_CTL_DIFF_LISTENERS);
	assert_int_equal(diff(BASE L80, BASE L80), FO_CTL_DIFF_NONE);
}

static void
test_mode(void **state)
{
	(void)state;
	assert_int_equal(diff(BASE L80, BASE "listen 198.18.0.1:80 tls;\n"), FO_CTL_DIFF_LISTENERS);
	assert_int_equal(diff(BASE "listen 198.18.0.1:80 tls;\n", BASE L80), FO_CTL_DIFF_LISTENERS);
	assert_int_equal(diff(BASE L80, BASE "listen 198.18.0.1:80 passthrough;\n"),
		FO_CTL_DIFF_LISTENERS);
	assert_int_equal(diff(BASE "listen 198.18.0.1:80 tls;\n",
				 BASE "listen 198.18.0.1:80 tls passthrough;\n"),
		FO_CTL_DIFF_LISTENERS);
	assert_int_equal(diff(BASE L80, BASE "listen 198.18.0.1:81;\n"), FO_CTL_DIFF_LISTENERS);
	assert_int_equal(diff(BASE L80, BASE "listen 0.0.0.0:80;\n"), FO_CTL_DIFF_LISTENERS);
}

static void
test_still_restart(void **state)
{
	(void)state;
	/* interfaces */
	assert_int_equal(diff(BASE L80, IFACE "interface net_tap1 { address 198.18.1.1/24; }\n" UP
					      ROUTES CERT L80),
		FO_CTL_DIFF_RESTART);
	/* a service listener added, removed, or its service changed */
	assert_int_equal(diff(BASE L80, BASE L80 "listen 198.18.0.1:7 echo;\n"), FO_CTL_DIFF_RESTART);
	assert_int_equal(diff(BASE L80 "listen 198.18.0.1:7 echo;\n", BASE L80), FO_CTL_DIFF_RESTART);
	assert_int_equal(diff(BASE L80 "listen 198.18.0.1:7 echo;\n",
				 BASE L80 "listen 198.18.0.1:7 discard;\n"),
		FO_CTL_DIFF_RESTART);
	assert_int_equal(diff(BASE L80 "listen 198.18.0.1:9 relay a;\n",
				 BASE L80 "listen 198.18.0.1:9 relay b;\n"),
		FO_CTL_DIFF_RESTART);
	/* a port moving from a service to the proxy: both kinds changed */
	assert_int_equal(diff(BASE L80 "listen 198.18.0.1:7 echo;\n",
				 BASE L80 "listen 198.18.0.1:7;\n"),
		FO_CTL_DIFF_RESTART | FO_CTL_DIFF_LISTENERS);
	/* http listeners added while a service listener stays: live */
	assert_int_equal(diff(BASE L80 "listen 198.18.0.1:7 echo;\n",
				 BASE "listen 198.18.0.1:7 echo;\n" L80 "listen 198.18.0.1:443 tls;\n"),
		FO_CTL_DIFF_LISTENERS);
}

static void
test_str(void **state)
{
	char buf[160];

	(void)state;
	assert_string_equal(
		fo_ctl_diff_str(FO_CTL_DIFF_LISTENERS | FO_CTL_DIFF_TLS, buf, sizeof(buf)),
		"tls, listeners");
	assert_non_null(strstr(fo_ctl_diff_str(FO_CTL_DIFF_RESTART, buf, sizeof(buf)), "restart"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_remove),
		cmocka_unit_test(test_mode),
		cmocka_unit_test(test_still_restart),
		cmocka_unit_test(test_str),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
