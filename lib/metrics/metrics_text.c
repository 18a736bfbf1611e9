/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prometheus text exposition format 0.0.4: HELP and TYPE lines, samples
 * with escaped label values, into a buffer that grows on the control thread
 * (never on a worker's path).
 *
 * Escaping per the format: in HELP, '\' -> "\\" and newline -> "\n"; in
 * label values also '"' -> "\"". Metric names match [a-zA-Z_:][a-zA-Z0-9_:]*,
 * label names [a-zA-Z_][a-zA-Z0-9_]*: other characters become '_'.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fo_metrics.h"

void
fo_metrics_out_init(struct fo_metrics_out *o)
{
	memset(o, 0, sizeof(*o));
}

void
fo_metrics_out_free(struct fo_metrics_out *o)
{
	free(o->buf);
	fo_metrics_out_init(o);
}

/** Room for @p n more bytes (and a NUL). @return 0, or -1 with o->err set. */
static int
reserve(struct fo_metrics_out *o, size_t n)
{
	size_t cap;
	char *b;

	if (o->err != 0)
		return -1;
	if (o->len + n + 1 <= o->cap)
		return 0;
	if (o->len + n + 1 > FO_METRICS_BODY_MAX) {
		o->err = -E2BIG;
		return -1;
	}
	cap = o->cap != 0 ? o->cap : 4096;
	while (cap < o->len + n + 1)
		cap *= 2;
	if (cap > FO_METRICS_BODY_MAX)
		cap = FO_METRICS_BODY_MAX;
	b = realloc(o->buf, cap);
	if (b == NULL) {
		o->err = -ENOMEM;
		return -1;
	}
	o->buf = b;
	o->cap = cap;
	return 0;
}

static void
put(struct fo_metrics_out *o, const char *s, size_t n)
{
	if (reserve(o, n) != 0)
		return;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void
puts_(struct fo_metrics_out *o, const char *s)
{
	put(o, s, strlen(s));
}

/** @p s escaped: always '\' and newline, '"' too when @p quote. */
static void
put_escaped(struct fo_metrics_out *o, const char *s, int quote)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *rep = NULL;

		if (*s == '\\')
			rep = "\\\\";
		else if (*s == '\n')
			rep = "\\n";
		else if (quote && *s == '"')
			rep = "\\\"";
		if (rep == NULL)
			continue;
		put(o, run, (size_t)(s - run));
		puts_(o, rep);
		run = s + 1;
	}
	put(o, run, (size_t)(s - run));
}

static int
name_char(char c, int first, int colon)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (colon && c == ':') || (!first && c >= '0' && c <= '9');
}

/** @p in as a valid metric (colon) or label name into @p out (@p len > 1). */
static void
sanitize(const char *in, char *out, size_t len, int colon)
{
	size_t i = 0;

	if (in[0] == '\0' || !name_char(in[0], 1, colon))
		out[i++] = '_';
	for (; *in != '\0' && i + 1 < len; in++)
		out[i++] = name_char(*in, 0, colon) ? *in : '_';
	out[i] = '\0';
}

void
fo_metrics_family(
	struct fo_metrics_out *o, enum fo_metrics_type type, const char *name, const char *help)
{
	static const char total[] = "_total";
	size_t n;

	sanitize(name, o->name, sizeof(o->name) - (sizeof(total) - 1), 1);
	n = strlen(o->name);
	if (type == FO_METRICS_COUNTER &&
		(n < sizeof(total) - 1 || strcmp(o->name + n - (sizeof(total) - 1), total) != 0))
		memcpy(o->name + n, total, sizeof(total));
	puts_(o, "# HELP ");
	puts_(o, o->name);
	puts_(o, " ");
	put_escaped(o, help != NULL ? help : "", 0);
	puts_(o, "\n# TYPE ");
	puts_(o, o->name);
	puts_(o, type == FO_METRICS_COUNTER	? " counter\n"
		 : type == FO_METRICS_HISTOGRAM ? " histogram\n"
						: " gauge\n");
}

static void
put_sample_head(struct fo_metrics_out *o, const struct fo_metrics_label *labels, unsigned n)
{
	char lname[64];
	unsigned i;

	puts_(o, o->name);
	if (n == 0) {
		puts_(o, " ");
		return;
	}
	puts_(o, "{");
	for (i = 0; i < n; i++) {
		sanitize(labels[i].name, lname, sizeof(lname), 0);
		if (i != 0)
			puts_(o, ",");
		puts_(o, lname);
		puts_(o, "=\"");
		put_escaped(o, labels[i].value != NULL ? labels[i].value : "", 1);
		puts_(o, "\"");
	}
	puts_(o, "} ");
}

void
fo_metrics_value(
	struct fo_metrics_out *o, const struct fo_metrics_label *labels, unsigned n, uint64_t v)
{
	char num[24];

	put_sample_head(o, labels, n);
	snprintf(num, sizeof(num), "%" PRIu64 "\n", v);
	puts_(o, num);
}

void
fo_metrics_value_f(
	struct fo_metrics_out *o, const struct fo_metrics_label *labels, unsigned n, double v)
{
	char num[40];

	put_sample_head(o, labels, n);
	if (isnan(v))
		snprintf(num, sizeof(num), "NaN\n");
	else if (isinf(v))
		snprintf(num, sizeof(num), "%sInf\n", v > 0 ? "+" : "-");
	else
		snprintf(num, sizeof(num), "%.17g\n", v);
	puts_(o, num);
}

void
fo_metrics_histogram(struct fo_metrics_out *o, const struct fo_metrics_label *labels, unsigned n,
	const double *bounds, const uint64_t *counts, unsigned n_bounds, uint64_t count, double sum)
{
	struct fo_metrics_label l[FO_METRICS_HIST_LABELS_MAX + 1];
	char base[sizeof(o->name)], le[40];
	uint64_t cum = 0;
	size_t blen;
	unsigned i;

	if (n > FO_METRICS_HIST_LABELS_MAX) {
		o->err = o->err != 0 ? o->err : -E2BIG;
		return;
	}
	memcpy(base, o->name, sizeof(base));
	blen = strlen(base);
	if (blen + sizeof("_bucket") > sizeof(o->name)) {
		o->err = o->err != 0 ? o->err : -E2BIG;
		return;
	}
	if (n != 0)
		memcpy(l, labels, n * sizeof(*l));
	l[n].name = "le";
	l[n].value = le;
	memcpy(o->name + blen, "_bucket", sizeof("_bucket"));
	for (i = 0; i < n_bounds; i++) {
		cum += counts[i];
		snprintf(le, sizeof(le), "%.15g", bounds[i]); /* 0.005, not 0.0050000000000000001 */
		fo_metrics_value(o, l, n + 1, cum);
	}
	snprintf(le, sizeof(le), "+Inf");
	fo_metrics_value(o, l, n + 1, count);
	memcpy(o->name + blen, "_sum", sizeof("_sum"));
	fo_metrics_value_f(o, labels, n, sum);
	memcpy(o->name + blen, "_count", sizeof("_count"));
	fo_metrics_value(o, labels, n, count);
	memcpy(o->name, base, sizeof(base));
}
