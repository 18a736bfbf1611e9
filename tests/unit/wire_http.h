/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Minimal HTTP/1.1 peers on lib/tcp for the in-process wire (wire.h):
 *  - wire_origin: a backend listening on a port that answers every request
 *    head it receives (requests without a body, with Content-Length or
 *    chunked) with a fixed response, and keeps the last request head and
 *    body (framing included) it saw;
 *  - wire_client: client connections whose received bytes are collected,
 *    with a closed-loop mode that sends the same request again each time
 *    a whole response (Content-Length framed) has arrived.
 * Test/benchmark code: simple, bounded buffers, not fast-path quality.
 */
#ifndef WIRE_HTTP_H
#define WIRE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define WIRE_BUF 65536

struct wire_origin {
	struct wire_host *h;
	const char *response; /**< whole response sent for each request */
	size_t response_len;
	uint64_t requests;
	char last_head[8192]; /**< last request head received, NUL-terminated */
	size_t last_head_len;
	char last_body[8192]; /**< body of the last request as received, framing included */
	size_t last_body_len;
	unsigned conns_accepted;
	/* private: per-connection parse state lives in a small table */
	unsigned n_conns;
	struct wire_origin_conn {
		struct fo_tcp_conn *c;
		struct wire_origin *o;
		char buf[WIRE_BUF];
		size_t len;
		uint64_t body_left;
		int chunked; /* in a chunked body */
		unsigned held; /* responses owed while the origin holds them */
		int close_after; /* the request said Connection: close */
	} *conns;
	int hold; /**< 1: requests are read but not answered until wire_origin_release() */
	int honour_close; /**< 1: close after answering a request that says Connection: close */
	unsigned eofs;          /**< connections the peer closed with a FIN */
	unsigned closed_reset;  /**< connections the peer reset */
};

/** Listen on @p port of host @p h. @return 0 or -errno. */
int wire_origin_start(struct wire_origin *o, struct wire_host *h, uint16_t port,
	const char *response);

/** Send the responses held back while o->hold was set (and clear it). @return how many. */
unsigned wire_origin_release(struct wire_origin *o);

struct wire_client_conn {
	struct wire_client *cl;
	struct fo_tcp_conn *c;
	int connected, closed, eof;
	char rx[WIRE_BUF];
	size_t rx_len;
	uint64_t responses; /**< complete responses seen (closed-loop mode) */
};

struct wire_client {
	struct wire_host *h;
	rte_be32_t dst;
	uint16_t port;
	const char *request; /**< closed loop: sent again after each response */
	size_t request_len;
	uint64_t target;    /**< closed loop: stop after this many responses in total */
	uint64_t sent;      /**< closed loop: requests sent */
	uint64_t responses; /**< complete responses, all connections */
	uint64_t bad;       /**< responses that were not "HTTP/1.1 200" */
	unsigned n;
	struct wire_client_conn *conns;
};

/** Open @p n connections from @p h to @p dst:@p port. @return 0 or -errno. */
int wire_client_open(struct wire_client *cl, struct wire_host *h, rte_be32_t dst, uint16_t port,
	unsigned n);

/** Send raw bytes on connection @p i. @return 0 or -errno from fo_tcp_send. */
int wire_client_send(struct wire_client *cl, unsigned i, const void *data, size_t len);

/**
 * Closed loop: each connection sends @p request now and again after each
 * complete response, until @p target responses in total.
 */
void wire_client_loop(struct wire_client *cl, const char *request, uint64_t target);

void wire_client_free(struct wire_client *cl);
void wire_origin_free(struct wire_origin *o);

#endif /* WIRE_HTTP_H */
