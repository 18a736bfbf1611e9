/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Route actions on the request path (struct fo_conf_actions): the
 * redirects fanout answers itself (return, redirect { }, app_root,
 * slash_redirect), the default backends that serve a request no route
 * matched, and ingress-nginx's /healthz on the default server. Header
 * modifiers are handed to lib/http's head writers (px_act_fwd(),
 * proxy_response.c).
 *
 * Order, once lib/route has answered:
 *  1. a request that matched a route for any host, or no route, goes to
 *     the default backend of its host when there is one (ingress-nginx:
 *     a host's server block ends with the default backend, so rules
 *     without host never see that host);
 *  2. no route and no default backend of the host: a GET or HEAD of
 *     exactly /healthz answers 200 (http healthz on), else the global
 *     default backend, else the caller's 404;
 *  3. the winning route's redirect, if any, answers instead of forwarding.
 *
 * A Location is made of pieces that are either configuration (checked by
 * lib/conf) or request bytes the parser restricted to 0x21..0x7e (path,
 * query, Host); fo_http_write_redirect() checks every byte again.
 */
#include <errno.h>
#include <string.h>

#include "proxy_priv.h"

#define LOC_MAX 8

/* Queue the head made in pw->out (@p n bytes) as the whole response. @return 1, PX_GONE. */
static int
act_answer(struct px_sess *s, unsigned status, ssize_t n, int close)
{
	struct fo_proxy_worker *pw = s->pw;
	struct rte_mbuf *m;

	/* the head is consumed (pw->out holds what we took from it); a body that
	 * follows is not read: the connection closes after the answer */
	px_chain_adj(&s->in, s->req.head_len);
	s->in_fed = 0;
	if (n <= 0)
		return px_error(s, 500, "redirect location not writable") < 0 ? PX_GONE : 1;
	m = px_chain_from_buf(pw, pw->out, (uint32_t)n);
	if (m == NULL)
		return px_error(s, 500, "out of packet buffers") < 0 ? PX_GONE : 1;
	if (close)
		s->flags |= PX_S_CLOSE;
	s->flags |= PX_S_STARTED;
	s->resp_state = PX_RESP_DONE;
	px_count_status(pw, status);
	s->status = (uint16_t)status;
	s->out_head += px_head_len(pw->out, (uint32_t)n);
	s->to_cl = fo_mbuf_chain_join(s->to_cl, m);
	return px_resp_pump(s) < 0 ? PX_GONE : 1;
}

static int
act_close(const struct px_sess *s)
{
	return (s->flags & PX_S_CLOSE) || s->req_state != PX_REQ_DONE;
}

/* The request's host without its port ("[v6]" kept whole); len 0 when none. */
static struct fo_http_str
req_host(const uint8_t *head, const struct fo_http_msg *msg)
{
	struct fo_http_str h = {(const char *)head + msg->host.off, msg->host.len};
	const char *end;

	if (h.len == 0)
		return h;
	if (h.p[0] == '[') {
		end = memchr(h.p, ']', h.len);
		h.len = end != NULL ? (size_t)(end - h.p) + 1 : h.len;
	} else {
		end = memchr(h.p, ':', h.len);
		if (end != NULL)
			h.len = (size_t)(end - h.p);
	}
	return h;
}

/*
 * "scheme://host[:port]" into loc (3 or 4 pieces), the port left out when
 * it is the scheme's own. Nothing when there is no host: the Location is
 * then relative (a path), which RFC 9110 10.2.2 allows.
 */
static unsigned
put_origin(struct fo_http_str *loc, const char *scheme, struct fo_http_str host, unsigned port,
	char *portbuf)
{
	unsigned n = 0, https = strcmp(scheme, "https") == 0;

	if (host.len == 0)
		return 0;
	loc[n++] = (struct fo_http_str){scheme, strlen(scheme)};
	loc[n++] = (struct fo_http_str){"://", 3};
	loc[n++] = host;
	if (port != 0 && port != (https ? 443u : 80u)) {
		size_t k = 8;

		do {
			portbuf[--k] = (char)('0' + port % 10);
			port /= 10;
		} while (port != 0);
		portbuf[--k] = ':';
		loc[n++] = (struct fo_http_str){portbuf + k, 8 - k};
	}
	return n;
}

/*
 * Bytes of a decoded path copied into a Location, escaped again as nginx
 * escapes a URI it writes (space, '"', '#', '%', '<', '>', '?', '\', '^',
 * '`', '{', '|', '}', control and non-ASCII bytes become %XX), so a
 * decoded "%3F" cannot start a query. @return bytes written, -ENOSPC.
 */
static ssize_t
escape_path(const char *in, size_t n, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0, i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c > 0x20 && c < 0x7f && memchr("\"#%<>?\\^`{|}", c, 12) == NULL) {
			if (o + 1 > cap)
				return -ENOSPC;
			out[o++] = (char)c;
			continue;
		}
		if (o + 3 > cap)
			return -ENOSPC;
		out[o++] = '%';
		out[o++] = hex[c >> 4];
		out[o++] = hex[c & 15];
	}
	return (ssize_t)o;
}

/*
 * Gateway API ReplacePrefixMatch: the route's prefix (without its trailing
 * '/') replaced by @p repl in @p path (the normalized path the route
 * matched); "/foo" + "/xyz" on "/foo/bar" gives "/xyz/bar", on "/foo"
 * gives "/xyz", and a trailing '/' of the replacement goes only when
 * something follows. What follows the prefix is escaped into @p buf.
 * @return pieces (1 or 2), or -ENOSPC.
 */
static int
put_prefix(struct fo_http_str *loc, const char *prefix, const char *repl, struct fo_http_str path,
	char *buf, size_t cap)
{
	size_t plen = strlen(prefix), rlen = strlen(repl);
	ssize_t k;

	if (plen != 0 && prefix[plen - 1] == '/')
		plen--;
	if (path.len <= plen || memcmp(path.p, prefix, plen) != 0 || path.p[plen] != '/') {
		loc[0] = (struct fo_http_str){repl, rlen}; /* the prefix itself */
		return 1;
	}
	if (rlen != 0 && repl[rlen - 1] == '/')
		rlen--;
	k = escape_path(path.p + plen, path.len - plen, buf, cap);
	if (k < 0)
		return -ENOSPC;
	loc[0] = (struct fo_http_str){repl, rlen};
	loc[1] = (struct fo_http_str){buf, (size_t)k};
	return 2;
}

/*
 * The route's redirect, app_root or slash_redirect, when one applies.
 * @p npath is the normalized path the route matched; the raw one (as the
 * client wrote it, only 0x21..0x7e) is what a redirect keeps.
 * @return 0, 1, PX_GONE.
 */
static int
act_redirect(struct px_sess *s, const uint8_t *head, struct fo_http_str npath,
	const struct fo_conf_route *r)
{
	const struct fo_conf_actions *a = r->actions;
	const struct fo_conf_redirect *rd = &a->redirect;
	const struct fo_http_msg *msg = &s->req;
	struct fo_http_str loc[LOC_MAX], path = {(const char *)head + msg->path.off, msg->path.len};
	struct fo_http_str query = {(const char *)head + msg->query.off, msg->query.len};
	unsigned n = 0, status, keep_query = 1;
	char portbuf[8];
	int close = act_close(s), k;
	ssize_t w;

	if (path.len == 0)
		path = (struct fo_http_str){"/", 1}; /* absolute-form without a path */
	if (rd->kind == FO_CONF_REDIR_URL) {
		status = rd->status;
		loc[n++] = (struct fo_http_str){rd->url, strlen(rd->url)};
		keep_query = 0; /* a fixed URL, as nginx's return */
	} else if (rd->kind == FO_CONF_REDIR_PARTS) {
		const char *scheme = rd->scheme != NULL ? rd->scheme : "http";
		struct fo_http_str host = rd->host != NULL
						  ? (struct fo_http_str){rd->host, strlen(rd->host)}
						  : req_host(head, msg);
		/* Gateway API: no port: the scheme's (when given), else the listener's */
		unsigned port = rd->port ? rd->port : rd->scheme != NULL ? 0 : s->l->port;

		status = rd->status;
		n = put_origin(loc, scheme, host, port, portbuf);
		if (rd->path_kind == FO_CONF_RPATH_FULL) {
			loc[n++] = (struct fo_http_str){rd->path, strlen(rd->path)};
		} else if (rd->path_kind == FO_CONF_RPATH_PREFIX) {
			/* pw->rewrite: only a forwarded request uses the rewrite */
			k = put_prefix(loc + n, r->path, rd->path, npath, s->pw->rewrite,
				FO_ROUTE_REWRITE_MAX);
			if (k < 0) {
				px_chain_adj(&s->in, s->req.head_len);
				s->in_fed = 0;
				return px_error(s, 414, "redirect location too long") < 0 ? PX_GONE
											  : 1;
			}
			n += (unsigned)k;
		} else {
			loc[n++] = path;
		}
	} else if (a->app_root != NULL && npath.len == 1) {
		/* ingress-nginx app-root: only "/" itself, without its query */
		status = 302;
		n = put_origin(loc, "http", req_host(head, msg), s->l->port, portbuf);
		loc[n++] = (struct fo_http_str){a->app_root, strlen(a->app_root)};
		keep_query = 0;
	} else if (a->slash_redirect && npath.len + 1 == strlen(r->path) &&
		   memcmp(npath.p, r->path, npath.len) == 0) {
		/* nginx: a location ending in '/' answers its name without it with a 301 */
		status = 301;
		n = put_origin(loc, "http", req_host(head, msg), s->l->port, portbuf);
		loc[n++] = (struct fo_http_str){r->path, npath.len + 1};
	} else {
		return 0;
	}
	if (keep_query && query.len != 0) {
		loc[n++] = (struct fo_http_str){"?", 1};
		loc[n++] = query;
	}
	w = fo_http_write_redirect(
		s->pw->out, PX_OUT_MAX, status, loc, n, close, (s->flags & PX_S_HEAD_REQ) != 0);
	s->pw->stats.gen_redirect++;
	return act_answer(s, status, w, close);
}

int
px_act_https(struct px_sess *s, const uint8_t *head)
{
	const struct fo_http_msg *msg = &s->req;
	struct fo_http_str loc[LOC_MAX], path = {(const char *)head + msg->path.off, msg->path.len};
	struct fo_http_str query = {(const char *)head + msg->query.off, msg->query.len};
	char portbuf[8];
	unsigned n;
	int close = act_close(s);
	ssize_t w;

	/* ingress-nginx: 308 (the method and body are kept), the port dropped (443) */
	if (path.len == 0)
		path = (struct fo_http_str){"/", 1};
	n = put_origin(loc, "https", req_host(head, msg), 0, portbuf);
	loc[n++] = path;
	if (query.len != 0) {
		loc[n++] = (struct fo_http_str){"?", 1};
		loc[n++] = query;
	}
	w = fo_http_write_redirect(
		s->pw->out, PX_OUT_MAX, 308, loc, n, close, (s->flags & PX_S_HEAD_REQ) != 0);
	s->pw->stats.ssl_redirects++;
	return act_answer(s, 308, w, close) < 0 ? PX_GONE : 1;
}

/* ingress-nginx's default server: GET/HEAD /healthz answers 200 when no route claims it. */
static int
is_healthz(const char *path, size_t len, const struct fo_http_msg *msg)
{
	return len == 8 && memcmp(path, "/healthz", 8) == 0 &&
	       (msg->method == FO_HTTP_M_GET || msg->method == FO_HTTP_M_HEAD);
}

static void
use_default(struct px_sess *s, const uint8_t *head, const struct fo_conf_default_backend *d,
	int *rc, struct fo_route_result *res)
{
	res->route = UINT32_MAX; /* not one of conf->routes */
	res->upstream = d->route.upstream;
	res->conf = &d->route;
	res->canary = 0;
	res->path = (const char *)head + s->req.path.off;
	res->path_len = s->req.path.len;
	*rc = 0;
	s->pw->stats.default_backend++;
	s->rslot = px_acct_default_slot(s, &d->route);
}

int
px_act_route(struct px_sess *s, const uint8_t *head, const char *path, size_t path_len, int *rc,
	struct fo_route_result *res)
{
	const struct fo_conf *conf = s->snap->conf;
	const struct fo_http_msg *msg = &s->req;
	const struct fo_conf_default_backend *d = NULL;
	const char *host = (const char *)head + msg->host.off;
	ssize_t w;
	int close;

	if ((*rc == 0 && res->conf->host == NULL) || *rc == -ENOENT)
		d = fo_conf_default_backend_find(conf, host, msg->host.len, 0);
	if (d == NULL && *rc == -ENOENT) {
		if (conf->http.healthz && is_healthz(path, path_len, msg)) {
			close = act_close(s);
			w = fo_http_write_error(s->pw->out, PX_OUT_MAX, 200, NULL, close,
				(s->flags & PX_S_HEAD_REQ) != 0);
			s->pw->stats.gen_healthz++;
			return act_answer(s, 200, w, close);
		}
		d = conf->default_backend;
	}
	if (d != NULL)
		use_default(s, head, d, rc, res);
	if (*rc == 0 && res->conf->actions != NULL)
		return act_redirect(s, head, (struct fo_http_str){path, path_len}, res->conf);
	return 0;
}
