/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Formatting of access log entries (control thread): ingress-nginx's
 * default `log_format upstreaminfo`
 *
 *   $remote_addr - $remote_user [$time_local] "$request" $status
 *   $body_bytes_sent "$http_referer" "$http_user_agent" $request_length
 *   $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name]
 *   $upstream_addr $upstream_response_length $upstream_response_time
 *   $upstream_status $req_id
 *
 * and the same fields (plus a few) as one JSON object per line. Every
 * string comes from the client or the config: escaped, and bounded by
 * the entry's fields, so a line never exceeds FO_ALOG_LINE_MAX.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fo_alog.h"

struct out {
	char *p;
};

static void
put(struct out *o, const char *s, size_t n)
{
	memcpy(o->p, s, n);
	o->p += n;
}

static void
puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void
putu(struct out *o, uint64_t v)
{
	char t[24];
	size_t i = sizeof(t);

	do
		t[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	put(o, t + i, sizeof(t) - i);
}

/* @p v in exactly @p width digits (leading zeros) */
static void
putu_w(struct out *o, uint64_t v, unsigned width)
{
	while (width-- != 0)
		o->p[width] = (char)('0' + v % 10), v /= 10;
}

static const char hexd[] = "0123456789abcdef";

/* nginx's default escaping: '"', '\' and bytes outside 0x20..0x7e as \xHH */
static void
put_esc_text(struct out *o, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\' || c < 0x20 || c > 0x7e) {
			*o->p++ = '\\';
			*o->p++ = 'x';
			*o->p++ = hexd[c >> 4];
			*o->p++ = hexd[c & 0xf];
		} else {
			*o->p++ = (char)c;
		}
	}
}

/* a JSON string's contents: RFC 8259 escapes, bytes >= 0x7f as \u00XX (always valid UTF-8) */
static void
put_esc_json(struct out *o, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			*o->p++ = '\\';
			*o->p++ = (char)c;
		} else if (c == '\n') {
			put(o, "\\n", 2);
		} else if (c == '\r') {
			put(o, "\\r", 2);
		} else if (c == '\t') {
			put(o, "\\t", 2);
		} else if (c < 0x20 || c > 0x7e) {
			put(o, "\\u00", 4);
			*o->p++ = hexd[c >> 4];
			*o->p++ = hexd[c & 0xf];
		} else {
			*o->p++ = (char)c;
		}
	}
}

static void
put_ip(struct out *o, uint32_t be_addr, int port, uint16_t p)
{
	const uint8_t *b = (const uint8_t *)&be_addr;
	unsigned i;

	for (i = 0; i < 4; i++) {
		if (i != 0)
			*o->p++ = '.';
		putu(o, b[i]);
	}
	if (port) {
		*o->p++ = ':';
		putu(o, p);
	}
}

/* seconds with @p prec decimals (3: nginx's millisecond resolution) */
static void
put_secs(struct out *o, uint64_t us, int prec)
{
	putu(o, us / 1000000);
	*o->p++ = '.';
	if (prec == 3) {
		putu_w(o, (us % 1000000) / 1000, 3);
		o->p += 3;
	} else {
		putu_w(o, us % 1000000, 6);
		o->p += 6;
	}
}

static uint64_t
tsc_us(struct fo_alog_clock *clk, uint64_t from, uint64_t to)
{
	if (to <= from || clk->hz == 0)
		return 0;
	return (uint64_t)((unsigned __int128)(to - from) * 1000000u / clk->hz);
}

/* [$time_local] as the common log format writes it, from the entry's start;
 * the string of the last second is kept in the clock (one strftime a second) */
static void
put_time_local(struct out *o, struct fo_alog_clock *clk, uint64_t tsc)
{
	int64_t d = (int64_t)(tsc - clk->tsc0);
	int64_t ns = (int64_t)clk->unix_ns;
	time_t sec;
	struct tm tm;

	if (clk->hz != 0)
		ns += (int64_t)((__int128)d * 1000000000 / (__int128)clk->hz);
	sec = (time_t)(ns / 1000000000);
	if (clk->cached_len == 0 || sec != clk->cached_sec) {
		if (clk->utc)
			gmtime_r(&sec, &tm);
		else
			localtime_r(&sec, &tm);
		clk->cached_len = (uint8_t)strftime(
			clk->cached, sizeof(clk->cached), "%d/%b/%Y:%H:%M:%S %z", &tm);
		clk->cached_sec = sec;
	}
	put(o, clk->cached, clk->cached_len);
}

/* "METHOD TARGET HTTP/1.x", each piece escaped by @p esc */
static void
put_request(struct out *o, const struct fo_alog_entry *e,
	void (*esc)(struct out *, const char *, size_t))
{
	if (e->method_len == 0) { /* the head did not parse: nothing to show */
		*o->p++ = '-';
		return;
	}
	esc(o, e->method, e->method_len);
	*o->p++ = ' ';
	esc(o, e->target, e->target_len);
	puts_(o, e->http_minor ? " HTTP/1.1" : " HTTP/1.0");
}

static size_t
fmt_text(const struct fo_alog_entry *e, struct fo_alog_clock *clk, char *buf)
{
	struct out o = {buf};
	int up = (e->flags & FO_ALOG_F_UPSTREAM) != 0, head = (e->flags & FO_ALOG_F_UP_HEAD) != 0;

	put_ip(&o, e->client_addr, 0, 0);
	puts_(&o, " - - [");
	put_time_local(&o, clk, e->t_start);
	puts_(&o, "] \"");
	put_request(&o, e, put_esc_text);
	puts_(&o, "\" ");
	if (e->status != 0)
		putu(&o, e->status);
	else
		*o.p++ = '-';
	*o.p++ = ' ';
	putu(&o, e->body_out);
	puts_(&o, " \"");
	if (e->referer_len != 0)
		put_esc_text(&o, e->referer, e->referer_len);
	else
		*o.p++ = '-';
	puts_(&o, "\" \"");
	if (e->ua_len != 0)
		put_esc_text(&o, e->ua, e->ua_len);
	else
		*o.p++ = '-';
	puts_(&o, "\" ");
	putu(&o, e->req_len);
	*o.p++ = ' ';
	put_secs(&o, tsc_us(clk, e->t_start, e->t_end), 3);
	puts_(&o, " [");
	put_esc_text(&o, e->upstream, e->upstream_len);
	puts_(&o, "] [");
	put_esc_text(&o, e->alt, e->alt_len);
	puts_(&o, "] ");
	if (up)
		put_ip(&o, e->ep_addr, 1, e->ep_port);
	else
		*o.p++ = '-';
	*o.p++ = ' ';
	if (head)
		putu(&o, e->body_out);
	else
		*o.p++ = '-';
	*o.p++ = ' ';
	if (up)
		put_secs(&o, tsc_us(clk, e->t_up_start, e->t_end), 3);
	else
		*o.p++ = '-';
	*o.p++ = ' ';
	if (head)
		putu(&o, e->up_status);
	else
		*o.p++ = '-';
	*o.p++ = ' ';
	if (e->rid_len != 0)
		put_esc_text(&o, e->rid, e->rid_len);
	else
		*o.p++ = '-';
	*o.p++ = '\n';
	return (size_t)(o.p - buf);
}

/* ,"key":"escaped" or ,"key":null when empty */
static void
json_str(struct out *o, const char *key, const char *s, size_t n)
{
	puts_(o, ",\"");
	puts_(o, key);
	if (n == 0) {
		puts_(o, "\":null");
		return;
	}
	puts_(o, "\":\"");
	put_esc_json(o, s, n);
	*o->p++ = '"';
}

static void
json_u(struct out *o, const char *key, uint64_t v, int present)
{
	puts_(o, ",\"");
	puts_(o, key);
	puts_(o, "\":");
	if (present)
		putu(o, v);
	else
		puts_(o, "null");
}

static void
json_secs(struct out *o, const char *key, uint64_t us, int present)
{
	puts_(o, ",\"");
	puts_(o, key);
	puts_(o, "\":");
	if (present)
		put_secs(o, us, 6);
	else
		puts_(o, "null");
}

static size_t
fmt_json(const struct fo_alog_entry *e, struct fo_alog_clock *clk, char *buf)
{
	struct out o = {buf};
	int up = (e->flags & FO_ALOG_F_UPSTREAM) != 0, head = (e->flags & FO_ALOG_F_UP_HEAD) != 0;

	puts_(&o, "{\"remote_addr\":\"");
	put_ip(&o, e->client_addr, 0, 0);
	puts_(&o, "\"");
	json_u(&o, "remote_port", e->client_port, 1);
	puts_(&o, ",\"remote_user\":null,\"time_local\":\"");
	put_time_local(&o, clk, e->t_start);
	puts_(&o, "\",\"request\":\"");
	put_request(&o, e, put_esc_json);
	*o.p++ = '"';
	json_str(&o, "request_method", e->method, e->method_len);
	json_str(&o, "request_uri", e->target, e->target_len);
	json_str(&o, "host", e->host, e->host_len);
	json_u(&o, "status", e->status, e->status != 0);
	json_u(&o, "body_bytes_sent", e->body_out, 1);
	json_u(&o, "bytes_sent", e->bytes_out, 1);
	json_str(&o, "http_referer", e->referer, e->referer_len);
	json_str(&o, "http_user_agent", e->ua, e->ua_len);
	json_u(&o, "request_length", e->req_len, 1);
	json_secs(&o, "request_time", tsc_us(clk, e->t_start, e->t_end), 1);
	json_str(&o, "proxy_upstream_name", e->upstream, e->upstream_len);
	json_str(&o, "proxy_alternative_upstream_name", e->alt, e->alt_len);
	puts_(&o, ",\"upstream_addr\":");
	if (up) {
		*o.p++ = '"';
		put_ip(&o, e->ep_addr, 1, e->ep_port);
		*o.p++ = '"';
	} else {
		puts_(&o, "null");
	}
	json_u(&o, "upstream_response_length", e->body_out, head);
	json_secs(&o, "upstream_response_time", tsc_us(clk, e->t_up_start, e->t_end), up);
	json_secs(&o, "upstream_header_time", tsc_us(clk, e->t_up_start, e->t_up_head), head);
	json_u(&o, "upstream_status", e->up_status, head);
	json_str(&o, "req_id", e->rid, e->rid_len);
	json_str(&o, "route", e->route, e->route_len);
	json_u(&o, "worker", e->worker, 1);
	json_u(&o, "seq", e->seq, 1);
	if (e->flags & FO_ALOG_F_ABORTED)
		puts_(&o, ",\"aborted\":true");
	if (e->flags & (FO_ALOG_F_TRUNC_TARGET | FO_ALOG_F_TRUNC_OTHER))
		puts_(&o, ",\"truncated\":true");
	puts_(&o, "}\n");
	return (size_t)(o.p - buf);
}

size_t
fo_alog_format(const struct fo_alog_entry *e, enum fo_alog_format fmt, struct fo_alog_clock *clk,
	char *buf)
{
	return fmt == FO_ALOG_JSON ? fmt_json(e, clk, buf) : fmt_text(e, clk, buf);
}
