/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where a PCRE regex can be cut so that the front part matches a superset.
 *
 * A route regex R is matched anchored at the path start and not anchored at
 * the end. If R is a top-level concatenation A B (no top-level '|'), every
 * path R matches starts with a string A matches, so "^(?:A)" matches a
 * superset of R's paths. Hyperscan rejects some constructs even in
 * prefilter mode (e.g. "/test01(/|$)(.*)": "Embedded end anchors not
 * supported"); the compiler then tries the cuts from the longest down and
 * gives Hyperscan the first front part it accepts, confirming with PCRE2.
 *
 * This is a scanner, not a PCRE parser: it only needs to find top-level
 * item boundaries. When in doubt it skips more (fewer cut points, still
 * correct) or gives up (no cut points: the rule is then checked by PCRE2
 * alone). It gives up on the constructs that change how the rest of the
 * pattern is read: \Q...\E, extended mode ((?x): whitespace and '#'
 * comments), and leading (*VERB)s.
 */
#include <stdbool.h>
#include <string.h>

#include "route_priv.h"

static bool
is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Index just past the '}' (or @p close) from @p j, or 0 when missing. */
static size_t
skip_to(const char *p, size_t len, size_t j, char close)
{
	for (; j < len; j++)
		if (p[j] == close)
			return j + 1;
	return 0;
}

/* Past an escape starting at p[i] == '\\'; 0 when the scanner must give up. */
static size_t
skip_escape(const char *p, size_t len, size_t i)
{
	size_t j = i + 2;
	char c;

	if (i + 1 >= len || p[i + 1] == 'Q' || p[i + 1] == 'E')
		return 0;
	c = p[i + 1];
	if (!is_alnum(c))
		return j; /* an escaped metacharacter */
	if (c == 'c')
		return j < len ? j + 1 : 0;
	if (j < len && p[j] == '{')
		return skip_to(p, len, j, '}');
	if ((c == 'k' || c == 'g') && j < len && (p[j] == '<' || p[j] == '\''))
		return skip_to(p, len, j + 1, p[j] == '<' ? '>' : '\'');
	/*
	 * \1 \012 \x41 \pL: how many more alphanumerics belong to the escape
	 * depends on the letter; taking all of them only merges items.
	 */
	while (j < len && is_alnum(p[j]))
		j++;
	return j;
}

/* Past a character class starting at p[i] == '['; 0 when unsure. */
static size_t
skip_class(const char *p, size_t len, size_t i)
{
	size_t j = i + 1;

	if (j < len && p[j] == '^')
		j++;
	if (j < len && p[j] == ']')
		j++; /* a ']' first is literal */
	while (j < len) {
		if (p[j] == '\\') {
			if (j + 1 >= len || p[j + 1] == 'Q' || p[j + 1] == 'E')
				return 0;
			j += 2;
		} else if (p[j] == '[' && j + 1 < len && p[j + 1] == ':') {
			const char *end = memmem(p + j + 2, len - j - 2, ":]", 2);

			if (end == NULL)
				return 0;
			j = (size_t)(end - p) + 2;
		} else if (p[j] == ']') {
			return j + 1;
		} else {
			j++;
		}
	}
	return 0;
}

/*
 * "(?" followed by option letters: does it switch extended mode on?
 * "(?x)", "(?ix:", "(?^x)"... (a '-' turns the letters after it off).
 */
static bool
sets_extended(const char *p, size_t len, size_t i)
{
	size_t j = i + 2;
	bool on = true;

	if (i + 1 >= len || p[i + 1] != '?')
		return false;
	for (; j < len && p[j] != ')' && p[j] != ':'; j++) {
		if (p[j] == '-')
			on = false;
		else if (p[j] == 'x' && on)
			return true;
		else if (!is_alnum(p[j]) && p[j] != '^')
			return false;
	}
	return false;
}

/* Past a group starting at p[i] == '('; 0 when unsure. */
static size_t
skip_group(const char *p, size_t len, size_t i)
{
	unsigned depth = 0;
	size_t j = i;

	while (j < len) {
		if (p[j] == '\\') {
			j = skip_escape(p, len, j);
			if (j == 0)
				return 0;
		} else if (p[j] == '[') {
			j = skip_class(p, len, j);
			if (j == 0)
				return 0;
		} else if (p[j] == '(') {
			if (sets_extended(p, len, j))
				return 0;
			if (j + 2 < len && p[j + 1] == '?' && p[j + 2] == '#') {
				j = skip_to(p, len, j, ')'); /* a comment may hold any '(' */
				if (j == 0 || depth == 0)
					return j;
				continue;
			}
			depth++;
			j++;
		} else if (p[j] == ')') {
			j++;
			if (--depth == 0)
				return j;
		} else {
			j++;
		}
	}
	return 0;
}

/* Past the quantifiers after an item ("*", "+?", "{2,5}+", ...). */
static size_t
skip_quantifier(const char *p, size_t len, size_t j)
{
	while (j < len) {
		if (p[j] == '*' || p[j] == '+' || p[j] == '?') {
			j++;
		} else if (p[j] == '{' && j + 1 < len &&
			   ((p[j + 1] >= '0' && p[j + 1] <= '9') || p[j + 1] == ',')) {
			size_t k = j + 1;

			while (k < len &&
				((p[k] >= '0' && p[k] <= '9') || p[k] == ',' || p[k] == ' '))
				k++;
			if (k >= len || p[k] != '}')
				return j; /* not a quantifier: a literal '{' */
			j = k + 1;
		} else {
			break;
		}
	}
	return j;
}

unsigned
route_superset_cuts(const char *pat, size_t len, size_t *cuts, unsigned max)
{
	unsigned n = 0;
	size_t i = 0;

	while (i < len) {
		switch (pat[i]) {
		case '|':
			return 0; /* a top-level alternative: no front part covers it */
		case '\\':
			i = skip_escape(pat, len, i);
			break;
		case '[':
			i = skip_class(pat, len, i);
			break;
		case '(':
			i = (i + 1 < len && pat[i + 1] == '*') ? 0 : skip_group(pat, len, i);
			break;
		case ')':
			return 0; /* unbalanced: not ours to understand */
		default:
			i++;
			break;
		}
		if (i == 0)
			return 0;
		i = skip_quantifier(pat, len, i);
		if (i < len && n < max)
			cuts[n++] = i;
	}
	return n;
}
