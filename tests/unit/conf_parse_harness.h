/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the lib/conf good-input tests (test_conf_parse.c,
 * test_conf_tuning.c): parse or load a config that must be valid, dump it,
 * check the round trip through fo_conf_dump(), compare locations, and the
 * documented defaults of the http block and upstream tuning (health
 * directives included).
 * Paths are relative to the working directory tests/unit.
 */
#ifndef CONF_PARSE_HARNESS_H
#define CONF_PARSE_HARNESS_H

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fo_conf.h"

static inline uint32_t
ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/*
 * Parse @text as @name, or load the file @name when @text is NULL; the config
 * must be valid: any error fails the test with its message.
 */
static inline struct fo_conf *
conf_ok(const char *name, const char *text)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);
	unsigned n = 77;
	struct fo_conf *conf;

	assert_non_null(f);
	if (text != NULL)
		conf = fo_conf_parse(name, text, strlen(text), 0, f, &n);
	else
		conf = fo_conf_load(name, f, &n);
	fclose(f);
	if (conf == NULL)
		print_error("unexpected errors:\n%s", out);
	assert_string_equal(out, "");
	assert_int_equal(n, 0);
	assert_non_null(conf);
	free(out);
	return conf;
}

static inline struct fo_conf *
parse_ok(const char *text)
{
	return conf_ok("t.conf", text);
}

static inline struct fo_conf *
load_ok(const char *path)
{
	return conf_ok(path, NULL);
}

static inline char *
dump(const struct fo_conf *conf)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	assert_non_null(f);
	assert_int_equal(fo_conf_dump(conf, f), 0);
	fclose(f);
	return out;
}

static inline void
assert_str_or_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static inline void
assert_http_equal(const struct fo_conf_http *a, const struct fo_conf_http *b)
{
	assert_int_equal(a->client_header_timeout_ms, b->client_header_timeout_ms);
	assert_int_equal(a->client_body_timeout_ms, b->client_body_timeout_ms);
	assert_int_equal(a->keepalive_timeout_ms, b->keepalive_timeout_ms);
	assert_int_equal(a->keepalive_requests, b->keepalive_requests);
	assert_int_equal(a->send_timeout_ms, b->send_timeout_ms);
	assert_int_equal(a->max_body_size, b->max_body_size);
}

static inline void
assert_health_check_equal(const struct fo_conf_health_check *a, const struct fo_conf_health_check *b)
{
	assert_int_equal(a->enabled, b->enabled);
	assert_str_or_null(a->path, b->path);
	assert_str_or_null(a->host, b->host);
	assert_int_equal(a->interval_ms, b->interval_ms);
	assert_int_equal(a->timeout_ms, b->timeout_ms);
	assert_int_equal(a->expect_lo, b->expect_lo);
	assert_int_equal(a->expect_hi, b->expect_hi);
	assert_int_equal(a->rise, b->rise);
	assert_int_equal(a->fall, b->fall);
}

static inline void
assert_upstream_params_equal(const struct fo_conf_upstream *a, const struct fo_conf_upstream *b)
{
	assert_int_equal(a->connect_timeout_ms, b->connect_timeout_ms);
	assert_int_equal(a->syn_rto_ms, b->syn_rto_ms);
	assert_int_equal(a->read_timeout_ms, b->read_timeout_ms);
	assert_int_equal(a->send_timeout_ms, b->send_timeout_ms);
	assert_int_equal(a->keepalive, b->keepalive);
	assert_int_equal(a->keepalive_timeout_ms, b->keepalive_timeout_ms);
	assert_int_equal(a->keepalive_requests, b->keepalive_requests);
	assert_int_equal(a->max_fails, b->max_fails);
	assert_int_equal(a->fail_timeout_ms, b->fail_timeout_ms);
	assert_int_equal(a->tries, b->tries);
	assert_int_equal(a->max_ejection_percent, b->max_ejection_percent);
	assert_int_equal(a->next_upstream, b->next_upstream);
	assert_health_check_equal(&a->health_check, &b->health_check);
}

/* Field-by-field equality, locations excepted. */
static inline void
assert_conf_equal(const struct fo_conf *a, const struct fo_conf *b)
{
	unsigned i, j;

	assert_int_equal(a->n_ifaces, b->n_ifaces);
	for (i = 0; i < a->n_ifaces; i++) {
		assert_string_equal(a->ifaces[i].dev, b->ifaces[i].dev);
		assert_int_equal(a->ifaces[i].addr, b->ifaces[i].addr);
		assert_int_equal(a->ifaces[i].prefix_len, b->ifaces[i].prefix_len);
		assert_int_equal(a->ifaces[i].gateway, b->ifaces[i].gateway);
		assert_int_equal(a->ifaces[i].vlan, b->ifaces[i].vlan);
		assert_int_equal(a->ifaces[i].mtu, b->ifaces[i].mtu);
	}
	assert_int_equal(a->n_listens, b->n_listens);
	for (i = 0; i < a->n_listens; i++) {
		assert_int_equal(a->listens[i].addr, b->listens[i].addr);
		assert_int_equal(a->listens[i].port, b->listens[i].port);
		assert_int_equal(a->listens[i].service, b->listens[i].service);
		assert_int_equal(a->listens[i].size, b->listens[i].size);
		assert_int_equal(a->listens[i].upstream, b->listens[i].upstream);
	}
	/* every field but the location */
	assert_memory_equal(&a->tcp, &b->tcp, offsetof(struct fo_conf_tcp, loc));
	assert_http_equal(&a->http, &b->http);
	assert_int_equal(a->n_upstreams, b->n_upstreams);
	for (i = 0; i < a->n_upstreams; i++) {
		assert_string_equal(a->upstreams[i].name, b->upstreams[i].name);
		assert_upstream_params_equal(&a->upstreams[i], &b->upstreams[i]);
		assert_int_equal(a->upstreams[i].n_servers, b->upstreams[i].n_servers);
		for (j = 0; j < a->upstreams[i].n_servers; j++) {
			assert_int_equal(
				a->upstreams[i].servers[j].addr, b->upstreams[i].servers[j].addr);
			assert_int_equal(
				a->upstreams[i].servers[j].port, b->upstreams[i].servers[j].port);
			assert_int_equal(a->upstreams[i].servers[j].weight,
				b->upstreams[i].servers[j].weight);
		}
	}
	assert_int_equal(a->n_routes, b->n_routes);
	for (i = 0; i < a->n_routes; i++) {
		assert_int_equal(a->routes[i].type, b->routes[i].type);
		assert_string_equal(a->routes[i].path, b->routes[i].path);
		assert_str_or_null(a->routes[i].host, b->routes[i].host);
		assert_str_or_null(a->routes[i].rewrite, b->routes[i].rewrite);
		assert_int_equal(a->routes[i].upstream, b->routes[i].upstream);
		assert_int_equal(a->routes[i].n_captures, b->routes[i].n_captures);
		assert_int_equal(a->routes[i].max_body_size, b->routes[i].max_body_size);
		assert_int_equal(a->routes[i].priority, b->routes[i].priority);
		assert_int_equal(a->routes[i].case_sensitive, b->routes[i].case_sensitive);
		assert_int_equal(a->routes[i].n_matches, b->routes[i].n_matches);
		for (j = 0; j < a->routes[i].n_matches; j++) {
			const struct fo_conf_match *x = &a->routes[i].matches[j];
			const struct fo_conf_match *y = &b->routes[i].matches[j];

			assert_int_equal(x->kind, y->kind);
			assert_int_equal(x->op, y->op);
			assert_str_or_null(x->name, y->name);
			assert_str_or_null(x->value, y->value);
		}
	}
	assert_int_equal(a->match_order, b->match_order);
}

/* parse -> dump -> parse gives an equal config, and dumping it again the same text */
static inline void
check_round_trip(const struct fo_conf *conf)
{
	char *text1 = dump(conf), *text2;
	struct fo_conf *again = parse_ok(text1);

	assert_conf_equal(conf, again);
	text2 = dump(again);
	assert_string_equal(text1, text2);
	free(text1);
	free(text2);
	fo_conf_free(again);
}

static inline void
assert_loc(const struct fo_conf_loc *loc, const char *file, unsigned line, unsigned col)
{
	assert_string_equal(loc->file, file);
	assert_int_equal(loc->line, line);
	assert_int_equal(loc->col, col);
}

/* nginx's defaults, as documented in fo_conf.h and README */
static inline void
assert_http_defaults(const struct fo_conf_http *h)
{
	assert_int_equal(h->client_header_timeout_ms, 60000);
	assert_int_equal(h->client_body_timeout_ms, 60000);
	assert_int_equal(h->keepalive_timeout_ms, 75000);
	assert_int_equal(h->keepalive_requests, 1000);
	assert_int_equal(h->send_timeout_ms, 60000);
	assert_int_equal(h->max_body_size, 1u << 20);
	assert_int_equal(h->underscores_in_headers, 0);
}

static inline void
assert_upstream_defaults(const struct fo_conf_upstream *u)
{
	assert_int_equal(u->connect_timeout_ms, 5000);
	assert_int_equal(u->syn_rto_ms, 200);
	assert_int_equal(u->read_timeout_ms, 60000);
	assert_int_equal(u->send_timeout_ms, 60000);
	assert_int_equal(u->keepalive, 32);
	assert_int_equal(u->keepalive_timeout_ms, 60000);
	assert_int_equal(u->keepalive_requests, 1000);
	assert_int_equal(u->max_fails, 1);
	assert_int_equal(u->fail_timeout_ms, 10000);
	assert_int_equal(u->tries, 3);
	assert_int_equal(u->max_ejection_percent, 50);
	assert_int_equal(u->next_upstream, FO_CONF_NU_ERROR | FO_CONF_NU_TIMEOUT);
	/* the block's values are there even when it is not */
	assert_string_equal(u->health_check.path, "/");
	assert_null(u->health_check.host);
	assert_int_equal(u->health_check.interval_ms, 5000);
	assert_int_equal(u->health_check.timeout_ms, 2000);
	assert_int_equal(u->health_check.expect_lo, 200);
	assert_int_equal(u->health_check.expect_hi, 399);
	assert_int_equal(u->health_check.rise, 2);
	assert_int_equal(u->health_check.fall, 3);
}

#endif /* CONF_PARSE_HARNESS_H */
