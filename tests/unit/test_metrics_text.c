/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/metrics renderer: a golden exposition (HELP, TYPE, counters with
 * "_total", gauges, labels), escaping of HELP text and label values, names
 * made valid, float values (NaN, infinities), a buffer that grows past its
 * first allocation, and the size cap.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fo_metrics.h"

static void
test_golden(void **state)
{
	static const char want[] =
		"# HELP fanout_proxy_requests_total requests read from clients\n"
		"# TYPE fanout_proxy_requests_total counter\n"
		"fanout_proxy_requests_total 42\n"
		"# HELP fanout_net_drops_total frames dropped, by reason\n"
		"# TYPE fanout_net_drops_total counter\n"
		"fanout_net_drops_total{reason=\"eth_truncated\"} 0\n"
		"fanout_net_drops_total{reason=\"ip_bad_cksum\"} 7\n"
		"# HELP fanout_tcp_connections TCP connections now\n"
		"# TYPE fanout_tcp_connections gauge\n"
		"fanout_tcp_connections 3\n"
		"# HELP fanout_upstream_server_up 1 when up\n"
		"# TYPE fanout_upstream_server_up gauge\n"
		"fanout_upstream_server_up{upstream=\"web\",server=\"198.18.0.2:80\"} 1\n"
		"# HELP fanout_config_last_reload_success_timestamp_seconds Unix time\n"
		"# TYPE fanout_config_last_reload_success_timestamp_seconds gauge\n"
		"fanout_config_last_reload_success_timestamp_seconds 1700000000.5\n";
	const struct fo_metrics_label up[2] = {{"upstream", "web"}, {"server", "198.18.0.2:80"}};
	struct fo_metrics_out o;

	(void)state;
	fo_metrics_out_init(&o);
	fo_metrics_family(
		&o, FO_METRICS_COUNTER, "fanout_proxy_requests", "requests read from clients");
	fo_metrics_value(&o, NULL, 0, 42);
	/* a name that already ends in _total keeps a single one */
	fo_metrics_family(
		&o, FO_METRICS_COUNTER, "fanout_net_drops_total", "frames dropped, by reason");
	fo_metrics_value(&o, &(struct fo_metrics_label){"reason", "eth_truncated"}, 1, 0);
	fo_metrics_value(&o, &(struct fo_metrics_label){"reason", "ip_bad_cksum"}, 1, 7);
	fo_metrics_family(&o, FO_METRICS_GAUGE, "fanout_tcp_connections", "TCP connections now");
	fo_metrics_value(&o, NULL, 0, 3);
	fo_metrics_family(&o, FO_METRICS_GAUGE, "fanout_upstream_server_up", "1 when up");
	fo_metrics_value(&o, up, 2, 1);
	fo_metrics_family(&o, FO_METRICS_GAUGE,
		"fanout_config_last_reload_success_timestamp_seconds", "Unix time");
	fo_metrics_value_f(&o, NULL, 0, 1700000000.5);
	assert_int_equal(o.err, 0);
	assert_string_equal(o.buf, want);
	assert_int_equal(o.len, strlen(want));
	fo_metrics_out_free(&o);
}

static void
test_escaping(void **state)
{
	struct fo_metrics_out o;

	(void)state;
	fo_metrics_out_init(&o);
	/* HELP: backslash and newline escaped, a double quote left as is */
	fo_metrics_family(&o, FO_METRICS_GAUGE, "m", "a \\ b\nc \"d\"");
	/* label values: backslash, double quote and newline escaped */
	fo_metrics_value(&o, &(struct fo_metrics_label){"path", "C:\\x \"q\"\nz"}, 1, 1);
	fo_metrics_value(&o, &(struct fo_metrics_label){"empty", ""}, 1, 2);
	fo_metrics_value(&o, &(struct fo_metrics_label){"null", NULL}, 1, 3);
	assert_int_equal(o.err, 0);
	assert_string_equal(o.buf, "# HELP m a \\\\ b\\nc \"d\"\n"
				   "# TYPE m gauge\n"
				   "m{path=\"C:\\\\x \\\"q\\\"\\nz\"} 1\n"
				   "m{empty=\"\"} 2\n"
				   "m{null=\"\"} 3\n");
	fo_metrics_out_free(&o);
}

static void
test_names(void **state)
{
	struct fo_metrics_out o;

	(void)state;
	fo_metrics_out_init(&o);
	/* '-', '.' and ' ' are not name characters; ':' is in metric names only */
	fo_metrics_family(&o, FO_METRICS_COUNTER, "fanout_bad-name.x y:z", "");
	fo_metrics_value(&o, &(struct fo_metrics_label){"a:b-c", "v"}, 1, 1);
	/* a leading digit gets a '_' in front, in metric and label names */
	fo_metrics_family(&o, FO_METRICS_GAUGE, "9lives", "");
	fo_metrics_value(&o, &(struct fo_metrics_label){"0x", "v"}, 1, 2);
	/* "_total" is added to a counter whose name merely contains it */
	fo_metrics_family(&o, FO_METRICS_COUNTER, "x_total_y", "");
	fo_metrics_value(&o, NULL, 0, UINT64_MAX);
	assert_int_equal(o.err, 0);
	assert_string_equal(o.buf, "# HELP fanout_bad_name_x_y:z_total \n"
				   "# TYPE fanout_bad_name_x_y:z_total counter\n"
				   "fanout_bad_name_x_y:z_total{a_b_c=\"v\"} 1\n"
				   "# HELP _9lives \n"
				   "# TYPE _9lives gauge\n"
				   "_9lives{_0x=\"v\"} 2\n"
				   "# HELP x_total_y_total \n"
				   "# TYPE x_total_y_total counter\n"
				   "x_total_y_total 18446744073709551615\n");
	fo_metrics_out_free(&o);
}

static void
test_floats(void **state)
{
	struct fo_metrics_out o;

	(void)state;
	fo_metrics_out_init(&o);
	fo_metrics_family(&o, FO_METRICS_GAUGE, "f", "floats");
	fo_metrics_value_f(&o, NULL, 0, NAN);
	fo_metrics_value_f(&o, NULL, 0, INFINITY);
	fo_metrics_value_f(&o, NULL, 0, -INFINITY);
	fo_metrics_value_f(&o, NULL, 0, 0.25);
	fo_metrics_value_f(&o, NULL, 0, -3);
	assert_int_equal(o.err, 0);
	assert_string_equal(o.buf, "# HELP f floats\n# TYPE f gauge\n"
				   "f NaN\nf +Inf\nf -Inf\nf 0.25\nf -3\n");
	fo_metrics_out_free(&o);
}

/* Many samples: the buffer grows well past its first 4 KiB, every line intact. */
static void
test_growth(void **state)
{
	struct fo_metrics_out o;
	char want[64];
	unsigned i;

	(void)state;
	fo_metrics_out_init(&o);
	fo_metrics_family(&o, FO_METRICS_COUNTER, "c", "h");
	for (i = 0; i < 10000; i++) {
		char v[16];

		snprintf(v, sizeof(v), "%u", i);
		fo_metrics_value(&o, &(struct fo_metrics_label){"i", v}, 1, i);
	}
	assert_int_equal(o.err, 0);
	assert_true(o.cap >= o.len + 1);
	assert_true(o.len > 100000);
	assert_non_null(strstr(o.buf, "c_total{i=\"0\"} 0\nc_total{i=\"1\"} 1\n"));
	snprintf(want, sizeof(want), "c_total{i=\"9999\"} 9999\n");
	assert_string_equal(o.buf + o.len - strlen(want), want);
	fo_metrics_out_free(&o);
	assert_null(o.buf);
}

/* Past FO_METRICS_BODY_MAX the exposition fails for good (-E2BIG), never truncated quietly. */
/* a histogram: cumulative buckets, +Inf = count, _sum and _count, the labels kept */
static void
test_histogram(void **state)
{
	static const double bounds[3] = {0.005, 0.1, 1};
	static const uint64_t counts[3] = {2, 0, 3};
	const struct fo_metrics_label l[1] = {{"route", "* /a"}};
	struct fo_metrics_out o;

	(void)state;
	fo_metrics_out_init(&o);
	fo_metrics_family(&o, FO_METRICS_HISTOGRAM, "fanout_request_duration_seconds", "time");
	fo_metrics_histogram(&o, l, 1, bounds, counts, 3, 6, 12.5);
	fo_metrics_histogram(&o, NULL, 0, bounds, counts, 1, 2, 0.25);
	assert_int_equal(o.err, 0);
	assert_string_equal(o.buf,
		"# HELP fanout_request_duration_seconds time\n"
		"# TYPE fanout_request_duration_seconds histogram\n"
		"fanout_request_duration_seconds_bucket{route=\"* /a\",le=\"0.005\"} 2\n"
		"fanout_request_duration_seconds_bucket{route=\"* /a\",le=\"0.1\"} 2\n"
		"fanout_request_duration_seconds_bucket{route=\"* /a\",le=\"1\"} 5\n"
		"fanout_request_duration_seconds_bucket{route=\"* /a\",le=\"+Inf\"} 6\n"
		"fanout_request_duration_seconds_sum{route=\"* /a\"} 12.5\n"
		"fanout_request_duration_seconds_count{route=\"* /a\"} 6\n"
		"fanout_request_duration_seconds_bucket{le=\"0.005\"} 2\n"
		"fanout_request_duration_seconds_bucket{le=\"+Inf\"} 2\n"
		"fanout_request_duration_seconds_sum 0.25\n"
		"fanout_request_duration_seconds_count 2\n");
	fo_metrics_out_free(&o);
}

static void
test_cap(void **state)
{
	static char help[1 << 16];
	struct fo_metrics_out o;
	size_t len;
	unsigned i;

	(void)state;
	memset(help, 'h', sizeof(help) - 1);
	fo_metrics_out_init(&o);
	for (i = 0; i < FO_METRICS_BODY_MAX / (sizeof(help) - 1) + 2; i++)
		fo_metrics_family(&o, FO_METRICS_GAUGE, "g", help);
	assert_int_equal(o.err, -E2BIG);
	assert_true(o.len <= FO_METRICS_BODY_MAX);
	len = o.len;
	fo_metrics_value(&o, NULL, 0, 1); /* sticky: nothing more is written */
	assert_int_equal(o.len, len);
	fo_metrics_out_free(&o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_floats),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_histogram),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
