/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Routing a request head (lib/route) on the path as nginx reads it: %XX
 * decoded, "//" merged, dot segments resolved, so that
 * "/test01/../test02/x" is /test02's. A path with nothing to resolve (no
 * '%', "//" or dot segment: fo_http_path_plain(), 16 bytes at a time) is
 * matched where it lies; another is normalized into the worker's buffer
 * first, and one normalization refuses gets 400. A route without rewrite
 * forwards the target as received (nginx's proxy_pass without a URI); a
 * rewrite is built from the normalized path, its captures escaped again
 * (lib/route). Method, query and header fields go along for the routes'
 * `match` conditions.
 */
#include <errno.h>
#include <string.h>

#include "proxy_priv.h"

int
px_route_request(struct px_sess *s, const uint8_t *head, struct fo_route_result *res,
	const char **path_out, size_t *len_out)
{
	struct fo_proxy_worker *pw = s->pw;
	const struct fo_http_msg *msg = &s->req;
	const char *path = (const char *)head + msg->path.off;
	ssize_t n = (ssize_t)msg->path.len;
	struct fo_route_req rq;

	if (n == 0) {
		path = "/"; /* absolute-form without a path (RFC 9110 4.2.3) */
		n = 1;
	} else if (!fo_http_path_plain(path, msg->path.len)) {
		n = fo_http_path_normalize(path, msg->path.len, pw->npath, FO_HTTP_LINE_MAX);
		if (n < 0) {
			pw->stats.path_refused++;
			return -EINVAL;
		}
		if ((size_t)n != msg->path.len || memcmp(pw->npath, path, (size_t)n) != 0)
			pw->stats.path_normalized++;
		path = pw->npath;
	}
	rq.host = (const char *)head + msg->host.off;
	rq.host_len = msg->host.len;
	rq.path = path;
	rq.path_len = (size_t)n;
	rq.method = (const char *)head + msg->method_s.off;
	rq.method_len = msg->method_s.len;
	rq.query = msg->query.len != 0 ? (const char *)head + msg->query.off : NULL;
	rq.query_len = msg->query.len;
	rq.msg = msg;
	rq.head = head;
	rq.rng = &pw->canary_rng;
	*path_out = path;
	*len_out = (size_t)n;
	return fo_route_match_req(
		s->snap->routes, px_view(s)->rscratch, &rq, pw->rewrite, FO_ROUTE_REWRITE_MAX, res);
}
