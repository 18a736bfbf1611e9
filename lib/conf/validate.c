/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Value checks shared by the directive handlers (numbers, IPv4, names,
 * hosts, paths, regexes, rewrite targets) and the checks that need the
 * whole config (at least one interface, listen addresses, route and relay
 * upstreams, route body size limits).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "conf_priv.h"

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Decimal digits only (no sign, no spaces), value <= max. 0, -EINVAL or -ERANGE. */
int
conf_parse_uint(const char *s, size_t n, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return -EINVAL;
	for (i = 0; i < n; i++) {
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v > max)
			return -ERANGE;
	}
	*out = v;
	return 0;
}

/*
 * Digits then an optional unit; @units lists (suffix, multiplier) pairs
 * tried in order (longest first), "" for no suffix. 0, -EINVAL (malformed)
 * or -ERANGE (above max).
 */
struct unit {
	const char *suffix;
	uint64_t mult;
};

static int
parse_with_unit(const char *s, size_t n, const struct unit *units, uint64_t max, uint64_t *out)
{
	size_t digits = 0, slen;
	unsigned long v;
	int rc;

	while (digits < n && is_digit(s[digits]))
		digits++;
	if (digits == 0)
		return -EINVAL;
	for (; units->suffix != NULL; units++) {
		slen = strlen(units->suffix);
		if (digits + slen != n || memcmp(s + digits, units->suffix, slen) != 0)
			continue;
		rc = conf_parse_uint(s, digits, (unsigned long)(max / units->mult), &v);
		if (rc != 0)
			return rc;
		*out = (uint64_t)v * units->mult;
		return *out > max ? -ERANGE : 0;
	}
	return -EINVAL;
}

/* Bytes: N, Nk, Nm, Ng (binary, either case), as nginx. */
int
conf_parse_size(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	static const struct unit units[] = {{"", 1}, {"k", 1u << 10}, {"K", 1u << 10},
		{"m", 1u << 20}, {"M", 1u << 20}, {"g", 1u << 30}, {"G", 1u << 30}, {NULL, 0}};

	return parse_with_unit(s, n, units, max, out);
}

/* Milliseconds from Nms, Ns, Nm, Nh, or N (seconds, as nginx). */
int
conf_parse_duration(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	static const struct unit units[] = {
		{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"", 1000}, {NULL, 0}};

	return parse_with_unit(s, n, units, max, out);
}

/* Shortest exact spelling: 256k, 1m, 1500. */
const char *
conf_size_str(uint64_t v, char buf[24])
{
	if (v != 0 && v % (1u << 30) == 0)
		snprintf(buf, 24, "%llug", (unsigned long long)(v >> 30));
	else if (v != 0 && v % (1u << 20) == 0)
		snprintf(buf, 24, "%llum", (unsigned long long)(v >> 20));
	else if (v != 0 && v % (1u << 10) == 0)
		snprintf(buf, 24, "%lluk", (unsigned long long)(v >> 10));
	else
		snprintf(buf, 24, "%llu", (unsigned long long)v);
	return buf;
}

/* Largest exact unit: 1h, 2m, 5s, 500ms. */
const char *
conf_duration_str(uint64_t ms, char buf[24])
{
	if (ms != 0 && ms % 3600000 == 0)
		snprintf(buf, 24, "%lluh", (unsigned long long)(ms / 3600000));
	else if (ms != 0 && ms % 60000 == 0)
		snprintf(buf, 24, "%llum", (unsigned long long)(ms / 60000));
	else if (ms != 0 && ms % 1000 == 0)
		snprintf(buf, 24, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, 24, "%llums", (unsigned long long)ms);
	return buf;
}

/*
 * Strict dotted quad: exactly four decimal parts 0..255, no leading zeros
 * (inet_aton would read "010" as octal), nothing else. 0 or -EINVAL.
 */
int
conf_ip4_parse(const char *s, size_t n, uint32_t *out)
{
	uint32_t v = 0;
	size_t i = 0;
	int part;

	for (part = 0; part < 4; part++) {
		unsigned long octet;
		size_t start = i;

		if (part > 0) {
			if (i >= n || s[i] != '.')
				return -EINVAL;
			start = ++i;
		}
		while (i < n && is_digit(s[i]) && i - start < 4)
			i++;
		if (i - start > 1 && s[start] == '0')
			return -EINVAL;
		if (conf_parse_uint(s + start, i - start, 255, &octet) != 0)
			return -EINVAL;
		v = v << 8 | (uint32_t)octet;
	}
	if (i != n)
		return -EINVAL;
	*out = htonl(v);
	return 0;
}

const char *
conf_ip4_str(uint32_t be, char buf[16])
{
	uint32_t h = ntohl(be);

	snprintf(buf, 16, "%u.%u.%u.%u", h >> 24, (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff);
	return buf;
}

/* Not 0/8 ("this network"), 127/8 (loopback) or 224/3 (multicast, reserved, broadcast). */
bool
conf_ip4_is_unicast(uint32_t be)
{
	uint32_t first = ntohl(be) >> 24;

	return first != 0 && first != 127 && first < 224;
}

/* Netmask of a prefix length, host byte order. */
uint32_t
conf_prefix_mask(unsigned prefix_len)
{
	return prefix_len == 0 ? 0 : prefix_len >= 32 ? 0xffffffffu : ~(0xffffffffu >> prefix_len);
}

/* Names: 1..FO_CONF_NAME_MAX-1 bytes of letters, digits, "_-." and @extra. 0 or -EINVAL. */
int
conf_check_name(const char *s, const char *extra)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= FO_CONF_NAME_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!is_alnum(s[i]) && strchr("_-.", s[i]) == NULL && strchr(extra, s[i]) == NULL)
			return -EINVAL;
	return 0;
}

/*
 * Host names: DNS labels (1..63 letters, digits, '-', not at either end),
 * at most 253 bytes, optionally "*." first. Lower-cased in place (hosts
 * compare case-insensitively). 0 or -EINVAL.
 */
int
conf_check_host(char *s)
{
	size_t i, label = 0;
	char *h = s;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
	if (h[0] == '*' && h[1] == '.')
		h += 2;
	if (h[0] == '\0' || strlen(h) > 253)
		return -EINVAL;
	for (i = 0;; i++) {
		if (h[i] == '.' || h[i] == '\0') {
			if (label == 0 || label > 63 || h[i - 1] == '-')
				return -EINVAL;
			if (h[i] == '\0')
				return 0;
			label = 0;
		} else if (is_alnum(h[i]) || (h[i] == '-' && label > 0)) {
			label++;
		} else {
			return -EINVAL;
		}
	}
}

/* Offset of the first byte outside printable ASCII (0x21..0x7e), or -1. */
long
conf_check_path_chars(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return (long)i;
	return -1;
}

/*
 * Compile a route regex with PCRE2 to check it and count its capture
 * groups. On error, PCRE2's message is reported at the offending byte.
 * Returns 0 or -EINVAL (reported).
 */
int
conf_regex_check(struct conf_parser *p, const struct conf_tok *t, unsigned *n_captures)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	pcre2_code *re;
	uint32_t ncap = 0;
	int code;

	re = pcre2_compile((PCRE2_SPTR)t->val, t->len, 0, &code, &off, NULL);
	if (re == NULL) {
		struct fo_conf_loc loc = conf_tok_loc_at(t, off);

		if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", code);
		conf_err(p, &loc, "invalid regex: %s", (const char *)msg);
		return -EINVAL;
	}
	pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &ncap);
	pcre2_code_free(re);
	*n_captures = ncap;
	return 0;
}

/*
 * A rewrite target: printable ASCII without spaces; "$N" (one digit) is
 * capture N of the route's regex ($0 = the whole match) and must exist.
 * Any other '$' is literal. Returns 0 or -EINVAL (reported).
 */
int
conf_rewrite_check(struct conf_parser *p, const struct conf_tok *t, const struct fo_conf_route *r,
	bool captures_known)
{
	struct fo_conf_loc loc;
	long bad;
	size_t i;

	if (t->len == 0) {
		conf_err(p, &t->loc, "empty rewrite");
		return -EINVAL;
	}
	bad = conf_check_path_chars(t->val, t->len);
	if (bad >= 0) {
		loc = conf_tok_loc_at(t, (size_t)bad);
		conf_err(p, &loc,
			"invalid byte 0x%02x in rewrite (printable ASCII without spaces only)",
			(unsigned char)t->val[bad]);
		return -EINVAL;
	}
	for (i = 0; i + 1 < t->len; i++) {
		unsigned n;

		if (t->val[i] != '$' || !is_digit(t->val[i + 1]))
			continue;
		n = (unsigned)(t->val[i + 1] - '0');
		loc = conf_tok_loc_at(t, i);
		if (r->type != FO_CONF_PATH_REGEX && n > 0) {
			conf_err(p, &loc,
				"rewrite uses $%u but %s routes have no capture groups (only $0)",
				n, fo_conf_path_type_name(r->type));
			return -EINVAL;
		}
		if (r->type == FO_CONF_PATH_REGEX && captures_known && n > r->n_captures) {
			conf_err(p, &loc, "rewrite uses $%u but the regex has %u capture group%s",
				n, r->n_captures, r->n_captures == 1 ? "" : "s");
			return -EINVAL;
		}
		i++;
	}
	return 0;
}

/* Checks that need the whole config: run once, after the main file. */
void
conf_validate_final(struct conf_parser *p, const char *main_file)
{
	struct fo_conf *c = &p->c->pub;
	struct fo_conf_loc top = {.file = main_file, .line = 1, .col = 1};
	unsigned i, j;
	char a[16];
	int up;

	if (c->n_ifaces == 0)
		conf_err(p, &top,
			"no interface defined (at least one \"interface\" block is required)");
	for (i = 0; i < c->n_listens && c->n_ifaces != 0; i++) {
		if (c->listens[i].addr == 0)
			continue;
		for (j = 0; j < c->n_ifaces && c->ifaces[j].addr != c->listens[i].addr; j++)
			;
		if (j == c->n_ifaces)
			conf_err(p, &p->listen_args[i],
				"listen address %s is not an interface address (use 0.0.0.0 or the "
				"address of an interface)",
				conf_ip4_str(c->listens[i].addr, a));
	}
	for (i = 0; i < p->n_refs; i++) {
		up = fo_conf_upstream_find(c, p->refs[i].name);
		if (up < 0)
			conf_err(p, &p->refs[i].loc, "upstream \"%s\" is not defined",
				p->refs[i].name);
		else if (p->refs[i].pass)
			conf_pass_ref(c, p->refs[i].idx, (unsigned)up);
		else if (p->refs[i].dflt)
			conf_default_backend_ref(c, p->refs[i].idx, (unsigned)up);
		else if (p->refs[i].canary != 0)
			c->routes[p->refs[i].idx].canaries[p->refs[i].canary - 1].upstream =
				(unsigned)up;
		else if (p->refs[i].listen && c->upstreams[up].n_servers == 0)
			/* a route to an empty upstream answers 503; a relay has nothing to do */
			conf_err(p, &p->refs[i].loc,
				"relay upstream \"%s\" has no server (only HTTP routes may use an "
				"empty upstream: they answer 503)",
				p->refs[i].name);
		else if (p->refs[i].listen)
			c->listens[p->refs[i].idx].upstream = (unsigned)up;
		else
			c->routes[p->refs[i].idx].upstream = (unsigned)up;
	}
	/* the http block may come after the routes that inherit from it */
	for (i = 0; i < c->n_routes; i++)
		if (c->routes[i].max_body_size == CONF_BODY_SIZE_UNSET)
			c->routes[i].max_body_size = c->http.max_body_size;
	conf_default_backends_final(c);
	conf_pass_final(p);
	conf_dups_final(p);
}
