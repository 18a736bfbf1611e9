/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * fanout HTTP/1.1: incremental request and response parsing, body framing
 * (Content-Length, chunked, close-delimited, tunnel) and the writers of the
 * heads fanout sends (the rewritten upstream request, the filtered response
 * to the client, its own error responses).
 *
 * Parsing is resumable at any byte boundary: the caller feeds the message
 * in pieces (the data segments of an mbuf chain, one after the other) and
 * the parser keeps its whole state in struct fo_http_parser. Nothing is
 * copied: the parser records every token as an offset and length from the
 * first byte of the message (struct fo_http_span). Once the head is
 * complete the caller reads the tokens from a contiguous view of the head:
 * the first segment itself in the common case (a head that fits in one
 * segment), otherwise a copy the caller makes of the head_len first bytes.
 *
 * The parser does no allocation, holds no pointer into the input, never
 * reads outside [buf, buf + len) and costs one table lookup per byte at
 * most. Limits (RFC 9112; nginx-like): request line 8 KiB (414), header
 * section 32 KiB or 100 fields (431).
 *
 * Strictness (RFC 9112 and 9110, against request smuggling): a field name
 * must be a token immediately followed by ':'; obs-fold, a bare CR, NUL and
 * other control characters (HTAB excepted in values) are errors; a line may
 * end with CRLF or a bare LF in the head (as nginx), but chunk framing must
 * use CRLF. Content-Length must be digits only (a list of identical values
 * is accepted; differing values are an error); Transfer-Encoding must be
 * exactly "chunked" (case-insensitive) in a request, and an HTTP/1.1
 * request with both Transfer-Encoding and Content-Length is an error, as is
 * Transfer-Encoding in an HTTP/1.0 request. A request needs exactly one
 * Host in HTTP/1.1 (at most one in 1.0).
 *
 * Details of this implementation:
 *  - requests: empty lines before the request line are skipped (RFC 9112
 *    2.2) and count toward the 8 KiB of the line; methods are
 *    case-sensitive tokens; the request-target may hold any byte 0x21-0x7e
 *    but '#' (no control characters, spaces or bytes >= 0x80: bad_target;
 *    a CR/LF where the target or the version should be: bad_line); after it
 *    comes exactly one SP and "HTTP/1.0" or "HTTP/1.1" ("HTTP/d.d" other
 *    than these: version_not_supported, anything else: bad_version);
 *  - absolute-form: "http://" (case-insensitive) then an authority
 *    validated as Host is (no userinfo: bad_target); its path span starts
 *    at the '/' after the authority, or has length 0 when there is none,
 *    which means "/" (the writer sends "/"). Asterisk-form (OPTIONS only):
 *    path is the "*";
 *  - Host value: reg-name (unreserved, %, sub-delims), IPv4 or [IPv6], then
 *    an optional ':' and 0-5 digits <= 65535; empty is invalid (bad_host);
 *  - Content-Length values are below 2^63;
 *  - Connection: close, keep-alive and upgrade set their flag, any other
 *    token sets FO_HTTP_F_CONN_OTHER; Expect, Host and the request rules on
 *    Transfer-Encoding are not checked in responses;
 *  - a status line has the same 8 KiB limit (bad_status_line beyond); the
 *    reason phrase is what follows the SP after the code, up to the line end
 *    (length 0 when absent);
 *  - errors found in a field are reported at that field (bad_host,
 *    dup_host, bad/dup_content_length); te_http10, cl_and_te,
 *    te_chunked_twice, te_chunked_not_last, te_not_chunked and
 *    missing_host, in this order, at the end of the head. A response whose
 *    Transfer-Encoding lists chunked twice is te_chunked_twice too.
 *
 * The library depends on nothing but libc; it runs on workers (fast path)
 * and in tests without EAL.
 */
#ifndef FO_HTTP_H
#define FO_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/** Longest request line, CRLF included (414 beyond). */
#define FO_HTTP_LINE_MAX 8192
/** Longest header section after the start line, final CRLF included (431 beyond). */
#define FO_HTTP_HEADERS_MAX (32 * 1024)
/** Most header fields in one message (431 beyond). */
#define FO_HTTP_MAX_HEADERS 100
/** Longest head: start line + header section (offsets fit in 16 bits). */
#define FO_HTTP_HEAD_MAX (FO_HTTP_LINE_MAX + FO_HTTP_HEADERS_MAX)

/**
 * Parse errors: X(name, status, description). The status is what a
 * server answers for a bad request (a response that fails to parse is a
 * 502 whatever its error). Names are counter labels; descriptions go into
 * error response bodies, so they say what was wrong in plain words.
 */
#define FO_HTTP_ERRORS(X)                                                                         \
	X(bad_method, 400, "invalid method")                                                       \
	X(bad_target, 400, "invalid request target")                                               \
	X(bad_version, 400, "invalid HTTP version")                                                \
	X(version_not_supported, 505, "HTTP version not supported")                                \
	X(line_too_long, 414, "request line too long")                                             \
	X(bad_line, 400, "malformed request line")                                                 \
	X(bad_status_line, 502, "malformed status line")                                           \
	X(bad_header_name, 400, "invalid header field name")                                       \
	X(bad_header_value, 400, "invalid character in a header field value")                      \
	X(obs_fold, 400, "obsolete line folding in a header field")                                \
	X(headers_too_large, 431, "header section too large")                                      \
	X(too_many_headers, 431, "too many header fields")                                         \
	X(bad_content_length, 400, "invalid Content-Length")                                       \
	X(dup_content_length, 400, "differing Content-Length values")                              \
	X(cl_and_te, 400, "both Content-Length and Transfer-Encoding")                             \
	X(te_http10, 400, "Transfer-Encoding in an HTTP/1.0 request")                              \
	X(te_not_chunked, 501, "transfer coding other than chunked")                               \
	X(te_chunked_twice, 400, "chunked transfer coding applied more than once")                 \
	X(te_chunked_not_last, 400, "chunked is not the final transfer coding")                    \
	X(missing_host, 400, "missing Host header")                                                \
	X(dup_host, 400, "more than one Host header")                                              \
	X(bad_host, 400, "invalid Host header")                                                    \
	X(connect_method, 405, "CONNECT is not supported")                                         \
	X(bad_chunk, 400, "invalid chunk framing")                                                 \
	X(chunk_too_large, 400, "chunk size too large")                                            \
	X(body_too_large, 413, "body larger than the limit")                                       \
	X(trailers_too_large, 431, "trailer section too large")

#define FO_HTTP_ERR_ENUM(name, status, descr) FO_HTTP_E_##name,
enum fo_http_err {
	FO_HTTP_E_NONE,
	FO_HTTP_ERRORS(FO_HTTP_ERR_ENUM) FO_HTTP_E_MAX
};
#undef FO_HTTP_ERR_ENUM

/** Counter label of an error ("bad_method"); "none" for FO_HTTP_E_NONE. */
const char *fo_http_err_name(enum fo_http_err e);
/** Plain-words description of an error. */
const char *fo_http_err_descr(enum fo_http_err e);
/** Status a server answers for this request error (400, 414, 431, 501, 505...). */
unsigned fo_http_err_status(enum fo_http_err e);

/** Methods the parser names; any other valid token is FO_HTTP_M_OTHER. */
enum fo_http_method {
	FO_HTTP_M_OTHER,
	FO_HTTP_M_GET,
	FO_HTTP_M_HEAD,
	FO_HTTP_M_POST,
	FO_HTTP_M_PUT,
	FO_HTTP_M_DELETE,
	FO_HTTP_M_OPTIONS,
	FO_HTTP_M_PATCH,
	FO_HTTP_M_TRACE,
	FO_HTTP_M_CONNECT,
};

/**
 * Header fields the parser recognises (names compared case-insensitively)
 * and interprets or that a proxy must treat specially. Every other field is
 * FO_HTTP_H_OTHER.
 */
enum fo_http_hdr_id {
	FO_HTTP_H_OTHER,
	FO_HTTP_H_HOST,
	FO_HTTP_H_CONTENT_LENGTH,
	FO_HTTP_H_TRANSFER_ENCODING,
	FO_HTTP_H_CONNECTION,
	FO_HTTP_H_KEEP_ALIVE,
	FO_HTTP_H_PROXY_CONNECTION,
	FO_HTTP_H_TE,
	FO_HTTP_H_TRAILER,
	FO_HTTP_H_UPGRADE,
	FO_HTTP_H_EXPECT,
	FO_HTTP_H_X_FORWARDED_FOR,
	FO_HTTP_H_X_FORWARDED_PROTO,
	FO_HTTP_H_X_FORWARDED_HOST,
	FO_HTTP_H_X_FORWARDED_PORT,
	FO_HTTP_H_X_REAL_IP,
	FO_HTTP_H_X_REQUEST_ID,
	FO_HTTP_H_MAX
};

/** Bytes [off, off + len) of the message (off from its first byte). */
struct fo_http_span {
	uint16_t off;
	uint16_t len;
};

/** One header field: name as sent, value without surrounding whitespace. */
struct fo_http_hdr {
	struct fo_http_span name;
	struct fo_http_span value;
	struct fo_http_span line; /**< the whole field line, its CRLF/LF included */
	uint8_t id;               /**< enum fo_http_hdr_id */
};

/* fo_http_msg.flags */
#define FO_HTTP_F_CONTENT_LENGTH 0x0001 /**< Content-Length present (content_length valid) */
#define FO_HTTP_F_CHUNKED 0x0002        /**< Transfer-Encoding: chunked */
#define FO_HTTP_F_CONN_CLOSE 0x0004     /**< Connection: close */
#define FO_HTTP_F_CONN_KEEP_ALIVE 0x0008 /**< Connection: keep-alive */
#define FO_HTTP_F_CONN_UPGRADE 0x0010   /**< Connection: upgrade */
#define FO_HTTP_F_UPGRADE 0x0020        /**< an Upgrade header is present */
#define FO_HTTP_F_EXPECT_CONTINUE 0x0040 /**< Expect: 100-continue */
#define FO_HTTP_F_EXPECT_OTHER 0x0080   /**< Expect with another value (417) */
#define FO_HTTP_F_ABSOLUTE_FORM 0x0100  /**< target was http://authority/path */
#define FO_HTTP_F_ASTERISK_FORM 0x0200  /**< target was "*" (OPTIONS) */
#define FO_HTTP_F_CONN_OTHER 0x0400     /**< Connection lists other tokens (header names) */
#define FO_HTTP_F_TE_OTHER 0x0800       /**< response: Transfer-Encoding not ending in chunked */
#define FO_HTTP_F_UNDERSCORE 0x1000     /**< a field name has a '_' (fo_http_hdr_underscore()) */

/**
 * A parsed head. Spans are offsets into the message; hdr_first[id] is
 * 1 + the index in hdrs[] of the first field with that id (0: absent).
 */
struct fo_http_msg {
	uint8_t version_minor; /**< HTTP/1.x: x (0 or 1) */
	uint8_t method;        /**< enum fo_http_method (requests) */
	uint16_t status;       /**< 100..999 (responses) */
	uint16_t n_headers;
	uint32_t flags;          /**< FO_HTTP_F_* */
	uint32_t head_len;       /**< start line + header section + final empty line */
	uint64_t content_length; /**< valid with FO_HTTP_F_CONTENT_LENGTH */
	struct fo_http_span method_s; /**< request: method token */
	struct fo_http_span target;   /**< request: request-target as sent */
	struct fo_http_span path;     /**< request: path (absolute-form: after the authority) */
	struct fo_http_span query;    /**< request: after '?', without it (len 0: none) */
	struct fo_http_span host;     /**< request: Host value, or the authority of an absolute-form
				       *   target (which takes precedence, RFC 9112 3.2.2) */
	struct fo_http_span reason;   /**< response: reason phrase */
	uint8_t hdr_first[FO_HTTP_H_MAX];
	struct fo_http_hdr hdrs[FO_HTTP_MAX_HEADERS];
};

/** What is being parsed. */
enum fo_http_kind {
	FO_HTTP_REQUEST,
	FO_HTTP_RESPONSE,
};

/** Parser state. Fields are private; embed it (no allocation). */
struct fo_http_parser {
	struct fo_http_msg *msg;
	enum fo_http_err err; /**< set when fo_http_parse() returned -EBADMSG */
	uint8_t kind;
	uint8_t state;
	uint8_t sub;     /* private: state-specific */
	uint8_t hid;     /* private: id of the field being parsed */
	uint32_t off;    /* private: bytes of the message consumed so far */
	uint32_t tok;    /* private: offset where the current token started */
	uint32_t aux;    /* private: state-specific */
	uint32_t aux2;   /* private: state-specific */
	uint64_t num;    /* private: number being accumulated */
	uint32_t hstart; /* private: offset of the header section */
	uint8_t interp;  /* private: value interpreter of the current field */
	uint8_t vst;     /* private: its state */
	uint8_t vpos;    /* private: its position in a word / digit count */
	uint8_t vmask;   /* private: words still matching */
	uint8_t tflags;  /* private: Transfer-Encoding findings */
	uint8_t te_fields; /* private: Transfer-Encoding fields (saturating) */
	uint8_t te_elems;  /* private: transfer codings listed (saturating) */
	uint8_t nlen;    /* private: bytes in nbuf, 0xff: token too long to be known */
	uint8_t nbuf[24]; /* private: a method/field name split across two feeds */
};

/**
 * Start parsing a new message into @p msg (cleared here, except hdrs[]:
 * entries are written as fields are parsed, so only the first n_headers
 * are meaningful).
 */
void fo_http_parser_init(struct fo_http_parser *p, enum fo_http_kind kind, struct fo_http_msg *msg);

/**
 * Feed the next @p len bytes of the message.
 *
 * @return bytes of @p buf consumed (>0) when the head is complete: the
 *         head ends there, what follows is body or the next message, and
 *         msg->head_len is set. -EAGAIN when all of @p buf was consumed and
 *         the head is not complete (feed more). -EBADMSG on an error:
 *         p->err says which (for a request, fo_http_err_status() is the
 *         status to answer); the parser must not be fed again.
 *         After completion the parser must be re-initialised before the
 *         next message.
 */
ssize_t fo_http_parse(struct fo_http_parser *p, const uint8_t *buf, size_t len);

/**
 * Whether the name of field @p h has a '_' (several servers read it as '-',
 * so Transfer_Encoding would be Transfer-Encoding to them). Only messages
 * with FO_HTTP_F_UNDERSCORE have such fields.
 */
static inline int
fo_http_hdr_underscore(const uint8_t *head, const struct fo_http_hdr *h)
{
	const uint8_t *n = head + h->name.off, *e = n + h->name.len;

	while (n < e && *n != '_')
		n++;
	return n != e;
}

/* ---- body framing ------------------------------------------------------ */

/** How a message body is delimited. */
enum fo_http_body_kind {
	FO_HTTP_BODY_NONE,    /**< no body: the message ends with its head */
	FO_HTTP_BODY_LENGTH,  /**< Content-Length bytes */
	FO_HTTP_BODY_CHUNKED, /**< chunked (see fo_http_body_next() to re-frame it) */
	FO_HTTP_BODY_CLOSE,   /**< response: until the server closes */
	FO_HTTP_BODY_TUNNEL,  /**< 101 or 2xx to CONNECT: raw bytes both ways from here */
};

/**
 * Body kind of a parsed request (RFC 9112 6.3): chunked, Content-Length,
 * else none.
 */
enum fo_http_body_kind fo_http_req_body_kind(const struct fo_http_msg *req);

/**
 * Body kind of a parsed response to a request with method @p req_method
 * (RFC 9112 6.3): HEAD, 1xx, 204 and 304 have none (101 is TUNNEL), 2xx to
 * CONNECT is TUNNEL, then chunked, another Transfer-Encoding
 * (FO_HTTP_F_TE_OTHER) is CLOSE, then Content-Length, else CLOSE.
 */
enum fo_http_body_kind fo_http_resp_body_kind(const struct fo_http_msg *resp,
	enum fo_http_method req_method);

/** Body framing state, embed it. Fields are private except done and kind. */
struct fo_http_body {
	uint8_t kind; /**< enum fo_http_body_kind */
	uint8_t done; /**< the message is complete (never for CLOSE and TUNNEL) */
	uint8_t state;   /* private */
	uint8_t digits;  /* private */
	uint32_t tlen;   /* private: bytes of the current chunk line / trailer section */
	uint64_t remaining; /* private: of the Content-Length or current chunk */
	uint64_t total;     /**< body bytes (chunk data only, for chunked) seen so far */
	uint64_t limit;     /**< chunked: most data bytes (body_too_large beyond, as soon as
			     *   a chunk size says so); 0: none. Set after fo_http_body_init() */
};

/**
 * Start framing a body of kind @p kind (@p length: the Content-Length for
 * FO_HTTP_BODY_LENGTH). A LENGTH of 0 and NONE are done at once.
 */
void fo_http_body_init(struct fo_http_body *b, enum fo_http_body_kind kind, uint64_t length);

/**
 * Feed the next @p len bytes after the head. The bytes are not changed.
 * Chunked rules (RFC 9112 7.1): a size of hex digits below 2^63 (leading
 * zeros allowed; larger: chunk_too_large; with b->limit set, a size that
 * takes the data past it: body_too_large), then optional extensions
 * exactly as RFC 9112 7.1.1 (*( BWS ";" BWS token [ BWS "=" BWS ( token /
 * quoted-string ) ] ): whitespace only around ';' and '=', never before
 * the CRLF; no empty name; quoted strings closed), CRLF (a bare LF or CR is
 * bad_chunk), the size line at most 4 KiB; CRLF after the data; after the
 * "0" chunk, trailer fields (token name, ':', value bytes, CRLF; at most
 * 32 KiB with the final CRLF: trailers_too_large).
 * An error sticks: every later feed returns -EBADMSG.
 *
 * @return bytes of @p buf that belong to this message's body (0..len):
 *         when fewer than @p len, the message ended there (b->done is
 *         set) and the rest is the next message. -EBADMSG on invalid
 *         chunk framing (@p err, if not NULL, set to FO_HTTP_E_bad_chunk,
 *         chunk_too_large, body_too_large or trailers_too_large).
 */
ssize_t fo_http_body_feed(struct fo_http_body *b, const uint8_t *buf, size_t len,
	enum fo_http_err *err);

/** Kinds of bytes in a body, as fo_http_body_next() reports them. */
enum fo_http_run {
	FO_HTTP_RUN_DATA,    /**< message data (all of a non-chunked body) */
	FO_HTTP_RUN_FRAMING, /**< chunk-size lines, CRLF after data, the final CRLF */
	FO_HTTP_RUN_LAST,    /**< framing that ends with the last-chunk line ("0...CRLF") */
	FO_HTTP_RUN_TRAILER, /**< trailer field lines, CRLF included */
};

/**
 * As fo_http_body_feed(), but stops where the kind of bytes changes, so
 * that a proxy can forward the data and write its own framing: the bytes
 * returned are all of kind *@p run (enum fo_http_run). A LAST run ends
 * right after the last-chunk line; the trailer lines (if any) and the
 * final CRLF follow; b->done is set by the run that ends the message.
 * Resumable at any byte like fo_http_body_feed(); both may be mixed.
 *
 * @return bytes of the run (> 0 when @p len > 0 and the message is not
 *         done; 0 when it is), or -EBADMSG as fo_http_body_feed().
 */
ssize_t fo_http_body_next(struct fo_http_body *b, const uint8_t *buf, size_t len, unsigned *run,
	enum fo_http_err *err);

/**
 * Write a chunk-size line for @p size data bytes: "[CRLF]<hex size>CRLF",
 * the leading CRLF when @p close_prev (it ends the previous chunk's data).
 * A size of 0 is the last-chunk line.
 *
 * @return bytes written (at most 2 + 16 + 2), or -ENOSPC.
 */
ssize_t fo_http_write_chunk_line(uint8_t *out, size_t cap, int close_prev, uint64_t size);

/* ---- writers ----------------------------------------------------------- */

/* fo_http_fwd.flags */
#define FO_HTTP_FWD_UPGRADE 0x1 /**< keep Upgrade, send "Connection: upgrade" */
#define FO_HTTP_FWD_CLOSE 0x2   /**< send "Connection: close" upstream */
#define FO_HTTP_FWD_UNDERSCORES 0x4 /**< keep fields whose name has '_' (else dropped) */
#define FO_HTTP_FWD_HTTPS 0x8 /**< the client came over TLS: "X-Forwarded-Proto: https" */

/** What a header modifier does (Gateway API HTTPHeaderFilter). */
enum fo_http_mod_op {
	FO_HTTP_MOD_SET,    /**< drop every field of that name, then add "name: value" */
	FO_HTTP_MOD_ADD,    /**< add "name: value" (fields of that name stay) */
	FO_HTTP_MOD_REMOVE, /**< drop every field of that name */
};

/**
 * One header modifier of a route, for requests (fo_http_fwd.mods) or
 * responses (fo_http_write_response_mod()). The name is a token and the
 * value field-value bytes (lib/conf checks both); names compare
 * case-insensitively. A modifier list never names a field fanout
 * interprets or writes itself (fo_http_field_id() != FO_HTTP_H_OTHER).
 */
struct fo_http_mod {
	const char *name;
	const char *value; /**< SET, ADD; NULL for REMOVE */
	uint16_t name_len;
	uint16_t value_len;
	uint8_t op; /**< enum fo_http_mod_op */
};

/** Header id of the field name [@p name, + @p len) (any case): FO_HTTP_H_OTHER for most. */
unsigned fo_http_field_id(const char *name, size_t len);

/** Length of "X-Forwarded-For: ", the start of fo_http_fwd_conn.ip. */
#define FO_HTTP_XFF_LEN 17

/**
 * The fields fo_http_write_request() adds that depend only on the client
 * connection, formatted once for all its requests (fo_http_fwd_conn_init()).
 */
struct fo_http_fwd_conn {
	uint32_t client_addr; /**< what it was formatted from (network byte order) */
	uint16_t server_port;
	uint8_t https;
	uint8_t ip_len;   /**< bytes of ip[] */
	uint8_t tail_len; /**< bytes of tail[] */
	/** "X-Forwarded-For: <client>" CRLF "X-Real-IP: <client>" CRLF */
	char ip[FO_HTTP_XFF_LEN + 15 + 13 + 15 + 2];
	/** "X-Forwarded-Port: <server_port>" CRLF "X-Forwarded-Proto: http[s]" CRLF */
	char tail[18 + 5 + 21 + 5 + 2];
};

/**
 * Format @p c for a client at @p client_addr (IPv4, network byte order) on
 * local port @p server_port, over TLS when @p https.
 */
void fo_http_fwd_conn_init(struct fo_http_fwd_conn *c, uint32_t client_addr,
	uint16_t server_port, int https);

/** What fo_http_write_request() adds to or changes in a request. */
struct fo_http_fwd {
	const char *path;   /**< path to send (rewritten); NULL: the original path */
	size_t path_len;
	uint32_t client_addr;  /**< client IPv4, network byte order */
	uint16_t server_port;  /**< port the client connected to (X-Forwarded-Port) */
	const char *request_id; /**< X-Request-ID to add when the request has none */
	size_t request_id_len;
	unsigned flags;        /**< FO_HTTP_FWD_* */
	const struct fo_http_mod *mods; /**< the route's request header modifiers, in order */
	unsigned n_mods;                /**< 0: none (the only cost for routes without them) */
	/** the Host to send instead of the request's (Gateway API URLRewrite hostname);
	 *  NULL: the request's. X-Forwarded-Host stays the request's. */
	const char *host;
	size_t host_len;
	/** client_addr, server_port and FO_HTTP_FWD_HTTPS formatted already (these three are
	 *  not read then); NULL: formatted per request from them */
	const struct fo_http_fwd_conn *conn;
};

/**
 * Write the head of the request to send upstream, from a parsed request
 * (@p head: its head_len bytes, contiguous) into @p out:
 *  - request line: method, fwd->path (or the original path) with the
 *    original query ('?' + query when the request had one), the client's
 *    HTTP version;
 *  - every field of the request, in order and byte for byte, except:
 *    hop-by-hop fields (Connection, Keep-Alive, Proxy-Connection, TE,
 *    Trailer, Upgrade unless FO_HTTP_FWD_UPGRADE, and every field the
 *    Connection header names), Expect (fanout answers 100-continue
 *    itself), and X-Forwarded-For, X-Forwarded-Proto, X-Forwarded-Host,
 *    X-Forwarded-Port, X-Real-IP (replaced below), and fields whose name
 *    has a '_' unless FO_HTTP_FWD_UNDERSCORES (Transfer_Encoding is
 *    Transfer-Encoding to gunicorn, puma or h2o: nginx's
 *    underscores_in_headers off). Host, Content-Length and
 *    Transfer-Encoding go on in canonical form (below);
 *  - then: X-Forwarded-For (the request's values joined with ", ", then
 *    the client address), X-Real-IP, X-Forwarded-Host (the Host),
 *    X-Forwarded-Port, X-Forwarded-Proto: http, X-Request-ID (when the
 *    request had none), "Connection: upgrade" and Upgrade (with
 *    FO_HTTP_FWD_UPGRADE) or "Connection: close" (FO_HTTP_FWD_CLOSE);
 *  - the empty line.
 *
 * Exactly: "<method> SP <path>[?<query>] SP HTTP/1.<minor>" CRLF; each kept
 * field line as received but for its line ending, which is always CRLF,
 * except: Host is "Host: <authority>" for an absolute-form target (RFC
 * 9112 3.2.2; added first when the request has no Host), the first
 * Content-Length field is "Content-Length: <decimal value>" and the others
 * are dropped, Transfer-Encoding is "Transfer-Encoding: chunked";
 * then, in this order:
 *   "X-Forwarded-For: [<v1>, <v2>, ...,] <client>" (non-empty values of the
 *   request's X-Forwarded-For fields, trimmed, in order),
 *   "X-Real-IP: <client>", "X-Forwarded-Host: <host>" (only when the
 *   request has a host: msg->host), "X-Forwarded-Port: <server_port>",
 *   "X-Forwarded-Proto: http", "X-Request-ID: <request_id>" (only when the
 *   request has no X-Request-ID and fwd->request_id_len > 0),
 *   "Connection: upgrade" (FO_HTTP_FWD_UPGRADE; the Upgrade field stays in
 *   its place) or else "Connection: close" (FO_HTTP_FWD_CLOSE); then CRLF.
 * With header modifiers (fwd->n_mods): the request's fields named by a SET
 * or REMOVE are dropped, and each SET and ADD writes "<name>: <value>",
 * in list order, after the request's fields and before X-Forwarded-For.
 * <client> is the dotted quad of fwd->client_addr. An empty fwd->path (or
 * an absolute-form target without a path) is sent as "/". Fields named by
 * Connection are dropped unless fanout interprets them itself (Host,
 * Content-Length, Transfer-Encoding, X-Request-ID stay: dropping them would
 * change how the next hop frames or routes the request).
 *
 * @return bytes written, or -ENOSPC when @p cap is too small (nothing
 *         usable is in @p out then; nothing is written at or past cap).
 */
ssize_t fo_http_write_request(uint8_t *out, size_t cap, const uint8_t *head,
	const struct fo_http_msg *req, const struct fo_http_fwd *fwd);

/**
 * Whether the Upgrade of a request (or of a 101 response: @p req may be
 * either) may go on: every protocol its Upgrade
 * fields list (RFC 9110 7.8: protocol-name ["/" protocol-version]) has its
 * name in @p allowed, compared case-insensitively; the version is ignored.
 * @p allowed: lowercase names separated by single spaces ("websocket h2c");
 * NULL means "websocket", "" means none.
 *
 * @return 1 when allowed (and the request has at least one protocol in an
 *         Upgrade field), 0 otherwise.
 */
int fo_http_upgrade_allowed(const uint8_t *head, const struct fo_http_msg *req,
	const char *allowed);

/* flags of fo_http_write_response() */
#define FO_HTTP_RESP_CLOSE 0x1   /**< add "Connection: close" (fanout closes after it) */
#define FO_HTTP_RESP_UPGRADE 0x2 /**< 101: keep Upgrade, add "Connection: upgrade" */

/**
 * Write the head of a response to send to the client, from a parsed
 * upstream response (@p head contiguous, head_len bytes): the status line
 * as received, every field except the hop-by-hop ones (as above;
 * Transfer-Encoding is kept), then "Connection: close" or "Connection:
 * upgrade" + Upgrade as @p flags say, then the empty line.
 * As for requests, line endings become CRLF and fields named by Connection
 * are dropped (Host, Content-Length, Transfer-Encoding, X-Request-ID
 * excepted); Content-Length is also dropped when Transfer-Encoding is
 * present (RFC 9112 6.3: the proxy must not forward both), else sent once
 * as "Content-Length: <decimal value>" where its first field was. The Upgrade
 * field is kept in place with FO_HTTP_RESP_UPGRADE, which adds
 * "Connection: upgrade" (and wins over FO_HTTP_RESP_CLOSE).
 *
 * @return bytes written, or -ENOSPC.
 */
ssize_t fo_http_write_response(uint8_t *out, size_t cap, const uint8_t *head,
	const struct fo_http_msg *resp, unsigned flags);

/**
 * fo_http_write_response() with the route's response header modifiers
 * (@p mods, @p n_mods; as for requests: fields named by a SET or REMOVE
 * dropped, SET and ADD written in list order after the response's fields,
 * before "Connection: ..."). n_mods 0 is fo_http_write_response().
 *
 * @return bytes written, or -ENOSPC.
 */
ssize_t fo_http_write_response_mod(uint8_t *out, size_t cap, const uint8_t *head,
	const struct fo_http_msg *resp, unsigned flags, const struct fo_http_mod *mods,
	unsigned n_mods);

/**
 * Whether fo_http_write_response() with @p flags would write the head of
 * @p resp byte for byte as received (@p head contiguous, head_len bytes):
 * no flag, CRLF line ends, no hop-by-hop or Upgrade field, and at most
 * one Content-Length, not beside Transfer-Encoding, written as
 * "Content-Length: <canonical decimal>". Then a proxy may forward the
 * received bytes instead of a copy; with any modifier it may not.
 *
 * @return 1 when the output would equal the input, else 0.
 */
int fo_http_resp_verbatim(const uint8_t *head, const struct fo_http_msg *resp, unsigned flags);

/** A piece of a string (Location parts). */
struct fo_http_str {
	const char *p;
	size_t len;
};

/**
 * Write a complete redirect made by fanout: "HTTP/1.1 <status> <reason>",
 * Server: fanout, "Location: " + the @p n_loc pieces of @p loc
 * concatenated, Content-Type: text/plain, Content-Length, "Connection:
 * close" when @p close, and the body "<status> <reason>\n" (not for
 * HEAD: @p head_only). Every Location byte must be 0x21..0x7e (no space,
 * control character, DEL or non-ASCII byte): whatever the pieces come
 * from, no CR or LF can end the field early (header injection).
 *
 * @return bytes written; -EINVAL when a Location byte is outside
 *         0x21..0x7e or the Location is empty (nothing usable in @p out);
 *         -ENOSPC.
 */
ssize_t fo_http_write_redirect(uint8_t *out, size_t cap, unsigned status,
	const struct fo_http_str *loc, unsigned n_loc, int close, int head_only);

/**
 * Write a complete error response made by fanout itself:
 * "HTTP/1.1 <status> <reason>", Server: fanout, Content-Type: text/plain,
 * Content-Length, "Connection: close" when @p close, and the body
 * "<status> <reason>: <detail>\n" (unless @p head_only, for HEAD requests;
 * Content-Length stays that of the body). @p detail may be NULL.
 *
 * @return bytes written, or -ENOSPC.
 */
ssize_t fo_http_write_error(uint8_t *out, size_t cap, unsigned status, const char *detail,
	int close, int head_only);

/** Reason phrase of a status ("Not Found"), "Unknown" for others. */
const char *fo_http_reason(unsigned status);

/**
 * Normalize a request path as nginx does before matching locations: every
 * %XX decoded (a decoded '/' separates segments, as in nginx), "//"
 * merged, "." and ".." segments resolved. The path ends before any query.
 *
 * @param in   the path as received (origin-form: starts with '/').
 * @param out  at least @p len bytes: the result is never longer.
 * @return the normalized length; -EINVAL when the path does not start
 *         with '/', has a '%' without two hex digits after it, decodes to
 *         a NUL or control character, or climbs above the root with "..";
 *         -ENOSPC when @p cap is too small.
 */
ssize_t fo_http_path_normalize(const char *in, size_t len, char *out, size_t cap);

/**
 * Whether fo_http_path_normalize() would give @p in back unchanged, found
 * cheaply (memchr): the path starts with '/' and has no '%', no "//" and
 * no segment that starts with '.'. Bytes are not checked: a request
 * target fo_http_parse() accepted has only 0x21-0x7e. A path this says 0
 * for may still be normal ("/.well-known").
 */
int fo_http_path_plain(const char *in, size_t len);

#endif /* FO_HTTP_H */
