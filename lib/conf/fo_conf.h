/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * fanout configuration: parser, validation and the in-memory model.
 *
 * The text format is nginx-like: directives end with ';', blocks are
 * delimited by '{' '}', '#' starts a comment, tokens may be quoted with
 * "..." or '...'. The grammar is documented in README.md ("Config").
 *
 * The parser never aborts: every error is reported as
 * "file:line:col: message\n" on the error stream and parsing goes on
 * so that one run reports every error it can find. This library does not
 * depend on EAL; it runs on the control thread only.
 *
 * Addresses are IPv4, stored in network byte order. Ports in host order.
 */
#ifndef FO_CONF_H
#define FO_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/** Longest name (interface device, upstream) including the NUL. */
#define FO_CONF_NAME_MAX 64

/** Longest token (word or quoted string, after unescaping), in bytes. */
#define FO_CONF_TOKEN_MAX 4096
/** Largest config file (each file, includes counted separately), in bytes. */
#define FO_CONF_FILE_MAX (16u << 20)
/** Deepest chain of nested `include`s. */
#define FO_CONF_INCLUDE_DEPTH_MAX 16
/** Most files read by one parse (the main file and every include). */
#define FO_CONF_FILES_MAX 1024
/** Errors reported before the parser gives up ("too many errors"). */
#define FO_CONF_ERRORS_MAX 100

/** Where a directive was written, for error messages. */
struct fo_conf_loc {
	const char *file; /**< file name as given (points into the conf's string pool) */
	unsigned line;    /**< 1-based */
	unsigned col;     /**< 1-based, in bytes */
};

/** `interface <dev> { ... }`: one DPDK port and its IPv4 address. */
struct fo_conf_iface {
	char dev[FO_CONF_NAME_MAX]; /**< DPDK port id ("0") or device name ("net_tap0") */
	uint32_t addr;              /**< network byte order */
	uint8_t prefix_len;         /**< 0..32 (0..30 usable) */
	uint32_t gateway;           /**< network byte order; 0 when absent */
	uint16_t vlan;              /**< 802.1Q id 1..4094; 0 = untagged */
	uint16_t mtu;               /**< IP MTU, 576..9000; default 1500 */
	struct fo_conf_loc loc;
};

/** What a listener serves (`listen ADDR:PORT [SERVICE];`). */
enum fo_conf_service {
	FO_CONF_SVC_HTTP,    /**< the HTTP proxy (default) */
	FO_CONF_SVC_ECHO,    /**< send back every byte received */
	FO_CONF_SVC_DISCARD, /**< read and drop everything */
	FO_CONF_SVC_SOURCE,  /**< send `size` bytes of a fixed pattern, then close */
	FO_CONF_SVC_RELAY,   /**< TCP relay to the servers of `upstream`, round-robin */
};

/** Largest `source SIZE` (1 TiB). */
#define FO_CONF_SOURCE_MAX (1ull << 40)

/** `listen <addr>:<port> [http | echo | discard | source SIZE | relay UPSTREAM];` */
struct fo_conf_listen {
	uint32_t addr; /**< network byte order; must be an interface address or 0.0.0.0 */
	uint16_t port;
	enum fo_conf_service service;
	uint64_t size;     /**< FO_CONF_SVC_SOURCE: bytes to send (0..FO_CONF_SOURCE_MAX) */
	unsigned upstream; /**< FO_CONF_SVC_RELAY: index into fo_conf.upstreams */
	struct fo_conf_loc loc;
	uint8_t tls; /**< `listen A:P tls;`: HTTP over TLS (service FO_CONF_SVC_HTTP) */
	/** `listen A:P passthrough;`: SNI passthrough (service FO_CONF_SVC_HTTP); with tls
	 *  (`tls passthrough`), names of a passthrough block are spliced, others terminated */
	uint8_t passthrough;
};

/** SYN cookie policy (same values as lib/tcp's enum fo_tcp_syncookies). */
enum fo_conf_syncookies {
	FO_CONF_SYNCOOKIES_AUTO,   /**< only while the half-open table is full (default) */
	FO_CONF_SYNCOOKIES_ALWAYS, /**< never keep state for a SYN */
	FO_CONF_SYNCOOKIES_OFF,    /**< drop SYNs when the half-open table is full */
};

/**
 * `tcp { ... }`: limits and timers of the TCP stack, field for field
 * lib/tcp's struct fo_tcp_config. Zero = not set (lib/tcp's default).
 * Durations in milliseconds, sizes in bytes. Ranges are in README.md.
 */
struct fo_conf_tcp {
	uint32_t max_conns;                 /**< max_connections (per worker) */
	uint32_t max_half_open;             /**< max_half_open (per worker) */
	uint32_t sndbuf;                    /**< sndbuf */
	uint32_t rcvbuf;                    /**< rcvbuf */
	uint32_t ooo_max;                   /**< ooo_max */
	enum fo_conf_syncookies syncookies; /**< syn_cookies */
	uint32_t rto_min_ms;                /**< rto_min */
	uint32_t rto_max_ms;                /**< rto_max */
	uint32_t rto_init_ms;               /**< rto_initial */
	uint32_t delack_ms;                 /**< delayed_ack */
	uint32_t time_wait_ms;              /**< time_wait */
	uint32_t fin_wait2_ms;              /**< fin_wait2 */
	uint32_t keepalive_ms;              /**< keepalive (0: off) */
	uint32_t keepalive_intvl_ms;        /**< keepalive_interval */
	uint32_t keepalive_probes;          /**< keepalive_probes */
	uint32_t syn_retries;               /**< syn_retries */
	uint32_t max_retries;               /**< max_retries */
	uint32_t max_buffered;              /**< max_buffered (mbufs, per worker) */
	uint32_t local_port_min;            /**< local_port_min (active opens) */
	uint32_t local_port_max;            /**< local_port_max (active opens) */
	struct fo_conf_loc loc;             /**< the `tcp` directive (file NULL when absent) */
};

/** `server <addr>:<port> [weight=N];` inside an upstream. */
struct fo_conf_server {
	uint32_t addr; /**< network byte order */
	uint16_t port;
	uint16_t weight; /**< 1..1000, default 1 */
	uint8_t drain;   /**< `drain`: no new request, those in flight finish, idle
			  *   connections closed (a pod being removed) */
	struct fo_conf_loc loc;
};

/** `health_check { ... }` in an upstream: active HTTP checks (all fields filled, defaults included) */
struct fo_conf_health_check {
	bool enabled;          /**< the block is present */
	char *path;            /**< path: request target, default "/"; origin-form, starts with '/', at most 255 bytes, no space/CTL/non-ASCII */
	char *host;            /**< host: Host header value; NULL = "ADDR:PORT" of the server checked (as kubelet probes do); at most 128 bytes, token/hostname chars (and ':' port) only */
	uint32_t interval_ms;  /**< interval: default 5s; 100ms .. 1h */
	uint32_t timeout_ms;   /**< timeout: connect + response head, default 2s; 10ms .. 60s */
	uint16_t expect_lo, expect_hi; /**< expect 200-399 (default); "expect 200;" = 200-200; 100..599, lo <= hi */
	uint32_t rise;         /**< rise: consecutive passes to come back, default 2; 1..100 */
	uint32_t fall;         /**< fall: consecutive failures to go down, default 3; 1..100 */
	struct fo_conf_loc loc;
};

/* next_upstream (nginx proxy_next_upstream): when a request is retried on the next server, and which failures count for max_fails */
#define FO_CONF_NU_ERROR          0x0001 /* connection reset/closed before the response head */
#define FO_CONF_NU_TIMEOUT        0x0002 /* read/send timeout before the response head */
#define FO_CONF_NU_INVALID_HEADER 0x0004 /* response head that does not parse */
#define FO_CONF_NU_HTTP_500       0x0008
#define FO_CONF_NU_HTTP_502       0x0010
#define FO_CONF_NU_HTTP_503       0x0020
#define FO_CONF_NU_HTTP_504       0x0040
#define FO_CONF_NU_HTTP_429       0x0080

/** `balance ALGORITHM` in an upstream (same values as lib/balance's enum fo_bal_kind). */
enum fo_conf_balance_kind {
	FO_CONF_BAL_ROUND_ROBIN, /**< smooth weighted round-robin, as nginx (default) */
	FO_CONF_BAL_LEAST_CONN,  /**< fewest in-flight requests per weight (per worker) */
	FO_CONF_BAL_EWMA,        /**< two random choices on a latency EWMA (per worker) */
	FO_CONF_BAL_RANDOM,      /**< weighted random */
	FO_CONF_BAL_HASH,        /**< Maglev consistent hashing on hash_key */
};

/** What `balance hash KEY` hashes. */
enum fo_conf_hash_key {
	FO_CONF_HASH_NONE,      /**< not hashing */
	FO_CONF_HASH_SOURCE_IP, /**< `source_ip`, `$remote_addr`: the client's address */
	FO_CONF_HASH_URI,       /**< `uri`, `$request_uri`: the request target as sent */
	FO_CONF_HASH_HEADER,    /**< `header NAME`, `$http_name`: the first such field's value */
	FO_CONF_HASH_COOKIE,    /**< `cookie NAME`, `$cookie_NAME`: that cookie's value */
};

/** `samesite=` of `sticky cookie`. */
enum fo_conf_samesite {
	FO_CONF_SAMESITE_UNSET, /**< no SameSite attribute (default, as ingress-nginx) */
	FO_CONF_SAMESITE_LAX,
	FO_CONF_SAMESITE_STRICT,
	FO_CONF_SAMESITE_NONE,
};

/** Longest sticky cookie name and path (bytes). */
#define FO_CONF_COOKIE_NAME_MAX 64
#define FO_CONF_COOKIE_PATH_MAX 128

/**
 * How an upstream spreads requests: `balance` and `sticky cookie` (all
 * zero when both are absent: round-robin, no affinity).
 */
struct fo_conf_balance {
	uint8_t kind;      /**< enum fo_conf_balance_kind */
	uint8_t hash_key;  /**< enum fo_conf_hash_key (kind HASH) */
	uint8_t sticky;    /**< `sticky cookie NAME` present */
	uint8_t samesite;  /**< enum fo_conf_samesite */
	uint8_t secure;    /**< `secure`: the cookie gets Secure */
	uint8_t httponly;  /**< `httponly`: the cookie gets HttpOnly */
	uint16_t pad;
	uint32_t max_age;  /**< `max_age=SECONDS`; 0: a session cookie (no Max-Age) */
	char *hash_name;   /**< HEADER: the field name (lower case); COOKIE: the cookie name */
	char *cookie;      /**< sticky cookie name (an RFC 6265 token) */
	char *path;        /**< sticky cookie Path; NULL: "/" */
	struct fo_conf_loc loc;        /**< `balance` (file NULL when absent) */
	struct fo_conf_loc sticky_loc; /**< `sticky` (file NULL when absent) */
};

/**
 * `upstream <name> { server ...; connect_timeout 5s; ... }`. Every field
 * holds its value after parsing: the default when the directive is absent.
 */
struct fo_conf_upstream {
	char name[FO_CONF_NAME_MAX];
	struct fo_conf_server *servers;
	unsigned n_servers;
	uint32_t connect_timeout_ms;   /**< connect_timeout: TCP connect (504 after); default 5s */
	uint32_t syn_rto_ms;           /**< syn_rto: initial retransmission timeout of the SYN
					*   to a server (RFC 6298's 1 s is for unknown paths);
					*   doubles on each retry; default 200ms */
	uint32_t read_timeout_ms;      /**< read_timeout: between two reads of the response
					*   (nginx proxy_read_timeout, 504 before any byte); 60s */
	uint32_t send_timeout_ms;      /**< send_timeout: between two writes of the request; 60s */
	uint32_t keepalive;            /**< keepalive: idle connections kept per server per
					*   worker (0: close after each request); default 32 */
	uint32_t keepalive_timeout_ms; /**< keepalive_timeout: idle pooled connection life; 60s */
	uint32_t keepalive_requests;   /**< keepalive_requests: requests per upstream
					*   connection before it is closed; default 1000 */
	uint32_t max_fails;            /**< max_fails: consecutive failures (connect refused
					*   or timed out, reset or timeout before the response)
					*   that take a server out of rotation, per worker, as
					*   nginx; 0: never; default 1 */
	uint32_t fail_timeout_ms;      /**< fail_timeout: how long it stays out (doubling on
					*   each ejection in a row, at most 32x); default 10s */
	uint32_t tries;                /**< tries: attempts per request over the servers
					*   (nginx proxy_next_upstream_tries); default 3 */
	struct fo_conf_health_check health_check;
	uint32_t max_ejection_percent; /**< max_ejection_percent: at most this share of the upstream's servers ejected by passive health at once (Envoy's max_ejection_percent); 0..100, default 50 */
	uint32_t next_upstream;        /**< next_upstream: FO_CONF_NU_* bits, default FO_CONF_NU_ERROR | FO_CONF_NU_TIMEOUT */
	struct fo_conf_loc loc;
	struct fo_conf_balance balance; /**< `balance`, `sticky` */
};

/** How a route's path is matched (Kubernetes Ingress pathType). */
enum fo_conf_path_type {
	FO_CONF_PATH_EXACT,  /**< the whole path equals the pattern */
	FO_CONF_PATH_PREFIX, /**< element-wise prefix, as Ingress "Prefix" */
	FO_CONF_PATH_REGEX,  /**< PCRE2 regex anchored at the path's start (ingress-nginx) */
};

struct fo_http_mod; /* lib/http: a header modifier (name, value, set/add/remove) */

/** How a redirect builds its Location (struct fo_conf_redirect.kind). */
enum fo_conf_redirect_kind {
	FO_CONF_REDIR_NONE,  /**< no redirect: the route forwards */
	FO_CONF_REDIR_URL,   /**< `return CODE URL;`: that fixed URL */
	FO_CONF_REDIR_PARTS, /**< `redirect { }`: the request's URL with parts replaced */
};

/** What `redirect { path | prefix }` does with the request's path. */
enum fo_conf_redirect_path {
	FO_CONF_RPATH_KEEP,   /**< the request's path */
	FO_CONF_RPATH_FULL,   /**< `path P;`: P (Gateway API ReplaceFullPath) */
	FO_CONF_RPATH_PREFIX, /**< `prefix P;`: the matched prefix replaced by P (ReplacePrefixMatch) */
};

/** A route's redirect: `return CODE URL;` or `redirect { ... }`. */
struct fo_conf_redirect {
	uint8_t kind;      /**< enum fo_conf_redirect_kind */
	uint8_t path_kind; /**< enum fo_conf_redirect_path (PARTS) */
	uint16_t status;   /**< 301, 302, 303, 307 or 308 (redirect default: 302) */
	uint16_t port;     /**< PARTS: 0 = derived (scheme's well-known port, else the listener's) */
	char *url;         /**< URL: the whole Location (absolute URL or a path) */
	char *scheme;      /**< PARTS: "http" or "https"; NULL = the request's (http) */
	char *host;        /**< PARTS: NULL = the request's host (without its port) */
	char *path;        /**< PARTS: FULL or PREFIX replacement */
	struct fo_conf_loc loc;
};

/**
 * What a route does besides forwarding (NULL in struct fo_conf_route when
 * nothing: the proxy's only cost for such routes is that test).
 */
struct fo_conf_actions {
	struct fo_conf_redirect redirect; /**< answered instead of forwarding */
	char *app_root;      /**< `app_root /x;`: 302 from "/" to it (ingress-nginx app-root) */
	bool slash_redirect; /**< `slash_redirect on;`: prefix "/p/" answers "/p" with a 301 to "/p/" */
	const struct fo_http_mod *req_mods; /**< `request_header ...;` (forwarded_prefix
					     *   included, as a set of X-Forwarded-Prefix) */
	unsigned n_req_mods;
	const struct fo_http_mod *resp_mods; /**< `response_header ...;` */
	unsigned n_resp_mods;
};

/** What a route's `match` looks at besides host and path. */
enum fo_conf_match_kind {
	FO_CONF_MATCH_METHOD, /**< the request method (one of value's, space-separated) */
	FO_CONF_MATCH_HEADER, /**< a request header field (name case-insensitive) */
	FO_CONF_MATCH_QUERY,  /**< a query parameter (name case-sensitive), its first one */
	FO_CONF_MATCH_COOKIE, /**< a cookie of the Cookie header fields */
};

/** How a `match` compares. */
enum fo_conf_match_op {
	FO_CONF_MATCH_PRESENT, /**< the field, parameter or cookie is there */
	FO_CONF_MATCH_EXACT,   /**< its value equals @c value (case-sensitive, as sent) */
	FO_CONF_MATCH_REGEX,   /**< its value matches @c value, a PCRE2 regex, whole */
};

/**
 * `match method M...;`, `match header|query|cookie NAME [VALUE | ~ REGEX];`:
 * a condition on the request besides host and path; all of a route's must
 * hold (Gateway API HTTPRouteMatch).
 */
struct fo_conf_match {
	enum fo_conf_match_kind kind;
	enum fo_conf_match_op op;
	char *name;  /**< header (lower case), parameter or cookie name; NULL for method */
	char *value; /**< EXACT: the value; REGEX: the regex; METHOD: the methods, one space
		      *   between; NULL for PRESENT */
	struct fo_conf_loc loc;
};

/** `match_order`: which rule wins when several match a request. */
enum fo_conf_match_order {
	/** Gateway API HTTPRoute precedence (the default for native configs) */
	FO_CONF_ORDER_GATEWAY,
	/** ingress-nginx's rendering of Ingresses into nginx locations */
	FO_CONF_ORDER_INGRESS_NGINX,
};

/** Route `priority` bounds: higher is tried first, whatever else the order says. */
#define FO_CONF_PRIORITY_MIN (-1000000)
#define FO_CONF_PRIORITY_MAX 1000000

/** Most `canary` blocks per route. */
#define FO_CONF_CANARIES_MAX 16

/** What a canary's header (or cookie) value must be to send a request to it. */
enum fo_conf_canary_op {
	FO_CONF_CANARY_ALWAYS_NEVER, /**< "always": the canary; "never": not it; else weight */
	FO_CONF_CANARY_VALUE,        /**< (header) this exact value: the canary */
	FO_CONF_CANARY_PATTERN,      /**< (header) a value this PCRE2 regex finds: the canary */
};

/**
 * `canary UPSTREAM { weight N; header NAME [VALUE | ~ REGEX]; cookie NAME; }`
 * in a route: part of the route's requests go to another upstream, as
 * ingress-nginx's canary annotations (canary-by-header, -by-header-value,
 * -by-header-pattern, -by-cookie, canary-weight) do; any number per route.
 */
struct fo_conf_canary {
	unsigned upstream; /**< index into fo_conf.upstreams */
	uint32_t weight;   /**< of the route's canary_weight_total; 0: none by weight */
	char *header;      /**< lower case; NULL: not by header */
	uint8_t header_op; /**< enum fo_conf_canary_op */
	char *header_value; /**< VALUE: the value; PATTERN: the regex */
	char *cookie;       /**< NULL: not by cookie (values "always" / "never") */
	struct fo_conf_loc loc;
};

/** `route <exact|prefix|regex> <path> { host ...; upstream ...; rewrite ...; }` */
struct fo_conf_route {
	enum fo_conf_path_type type;
	char *path;          /**< pattern as written */
	char *host;          /**< NULL = any host; "*.example.com": one more label (Ingress);
			      *   "**.example.com": one or more (Gateway API) */
	char *rewrite;       /**< NULL = no rewrite; may use $0..$9 (regex captures) */
	unsigned upstream;   /**< index into fo_conf.upstreams */
	unsigned n_captures; /**< capture groups in path (regex only) */
	/** client_max_body_size: largest request body (413 beyond); 0 = no
	 *  limit; default: the http block's (1 MiB) */
	uint64_t max_body_size;
	/** allow_upgrade: the Upgrade protocols forwarded (lowercase names, one
	 *  space between them); NULL: "websocket" (default); "": none (off) */
	char *allow_upgrade;
	struct fo_conf_match *matches; /**< `match` conditions, in config order */
	unsigned n_matches;
	int priority;        /**< `priority N`: higher first; 0 by default */
	/** `case_sensitive on|off` (regex routes): 1 on, 0 off (the default, as nginx's
	 *  `location ~*` that ingress-nginx renders); exact and prefix paths always are */
	uint8_t case_sensitive;
	/** redirects, header modifiers...: NULL when the route has none */
	const struct fo_conf_actions *actions;
	/** `rewrite_prefix P` (prefix routes, Gateway API ReplacePrefixMatch): the matched
	 *  prefix replaced by P; NULL: none */
	char *rewrite_prefix;
	/** `rewrite_host NAME` (Gateway API URLRewrite hostname): the Host sent upstream;
	 *  NULL: the request's */
	char *rewrite_host;
	/** `canary` blocks, in config order (at most FO_CONF_CANARIES_MAX) */
	struct fo_conf_canary *canaries;
	unsigned n_canaries;
	/** `canary_weight_total N` (ingress-nginx canary-weight-total): what canary
	 *  weights are parts of; default 100 */
	uint32_t canary_weight_total;
	struct fo_conf_loc loc;
	/** `ssl_redirect off` in the route: plain-HTTP requests it matches are served,
	 *  not redirected to https, even when their host has a TLS certificate */
	uint8_t no_ssl_redirect;
	/** `force_ssl_redirect on` (ingress-nginx force-ssl-redirect): plain-HTTP
	 *  requests it matches get 308 to https even when no certificate has their
	 *  host (TLS ends in front of fanout, or on another listener) */
	uint8_t force_ssl_redirect;
};

/**
 * `default_backend UPSTREAM [host NAME];`: what serves a request no route
 * matches, for one host or (without host) for every host.
 */
struct fo_conf_default_backend {
	char *host; /**< NULL: the global one; else lowercase, maybe "*.example.com" */
	/** served as this route: prefix "/", the host, the upstream, the http
	 *  block's client_max_body_size, no rewrite or action */
	struct fo_conf_route route;
	struct fo_conf_loc loc;
};

/**
 * `http { ... }`: client-side HTTP settings, nginx names and defaults.
 * Every field holds its value after parsing (defaults filled in).
 */
struct fo_conf_http {
	uint32_t client_header_timeout_ms; /**< whole request head must arrive within (408); 60s */
	uint32_t client_body_timeout_ms;   /**< between two reads of a request body (408); 60s */
	uint32_t keepalive_timeout_ms;     /**< idle client connection between requests; 75s */
	uint32_t keepalive_requests;       /**< requests per client connection; 1000 */
	uint32_t send_timeout_ms;          /**< between two writes to a slow client; 60s */
	uint64_t max_body_size;            /**< client_max_body_size default for routes; 1m */
	uint32_t underscores_in_headers;   /**< 1: forward request header fields whose name
					    *   has '_'; 0 (default, as nginx): drop them */
	uint32_t healthz;                  /**< 1 (default): a GET of /healthz that no route
					    *   matches answers 200 (ingress-nginx's default
					    *   server); 0: it goes on as any unmatched request */
	/* TLS client side (proxy_tls.c), per worker */
	uint32_t tls_handshake_timeout_ms; /**< a TLS handshake must complete within; 10s */
	uint32_t tls_handshakes_max;       /**< half-open TLS handshakes per worker; more
					    *   TLS connections are refused; 512 */
	uint32_t tls_handshakes_per_poll;  /**< handshake steps a worker runs per poll loop;
					    *   the rest wait for the next loop; 1 */
	uint32_t tls_handshake_split;      /**< 1: a server flight is run in pieces (after the
					    *   key exchange, after the signature), one step
					    *   each; 0: whole; 1 */
	struct fo_conf_loc loc;            /**< the `http` directive (file NULL when absent) */
};

/** Longest access_log path (bytes, NUL excluded: one less). */
#define FO_CONF_ALOG_PATH_MAX 1024
/** access_log buffer=N when not given, and its bounds. */
#define FO_CONF_ALOG_BUFFER_DEFAULT 4096
#define FO_CONF_ALOG_BUFFER_MIN 16
#define FO_CONF_ALOG_BUFFER_MAX 65536

/** access_log format=. */
enum fo_conf_alog_format {
	FO_CONF_ALOG_UPSTREAMINFO, /**< ingress-nginx's log_format upstreaminfo (the default) */
	FO_CONF_ALOG_JSON,         /**< one JSON object per line */
};

/** `tls_certificate CHAIN KEY;`: one certificate (names from its SANs). */
struct fo_conf_tls_cert {
	char *chain; /**< PEM chain, leaf first */
	char *key;   /**< PEM key, unencrypted */
	struct fo_conf_loc loc;
};

/** HSTS value on HTTPS responses when `hsts` is absent (ingress-nginx's default). */
#define FO_CONF_HSTS_DEFAULT "max-age=31536000; includeSubDomains"
/** Longest `hsts` value. */
#define FO_CONF_HSTS_MAX 256

/** TLS settings at top level (all zero: defaults). */
struct fo_conf_tls {
	struct fo_conf_tls_cert *certs; /**< `tls_certificate`, in config order */
	unsigned n_certs;
	uint8_t strict_sni;       /**< `strict_sni on`: unknown names refused */
	uint8_t ssl_redirect_off; /**< `ssl_redirect off`: no 308 from http to https */
	uint8_t hsts_off;         /**< `hsts off`: no Strict-Transport-Security */
	char hsts[FO_CONF_HSTS_MAX]; /**< `hsts VALUE`; "": FO_CONF_HSTS_DEFAULT */
	/** `tls_ticket_rotate`: seconds between session ticket key rotations; 0:
	 *  FO_CONF_TICKET_ROTATE_DEFAULT. Tickets live at most two periods. */
	uint32_t ticket_rotate_s;
	/** `tls_ticket_key_file PATH`: ticket keys shared by several nodes (its
	 *  writer rotates them); NULL: fanout's own random keys, rotated */
	char *ticket_key_file;
};

/** `tls_ticket_rotate` default: 12 h. */
#define FO_CONF_TICKET_ROTATE_DEFAULT (12u * 3600)
/** `tls_ticket_rotate` bounds, seconds. */
#define FO_CONF_TICKET_ROTATE_MIN 60u
#define FO_CONF_TICKET_ROTATE_MAX (7u * 24 * 3600)

/** `passthrough NAME { upstream UPSTREAM; }`: a ClientHello naming NAME is spliced to it. */
struct fo_conf_passthrough {
	char *name;        /**< lower case, no trailing dot; "*.domain": one label */
	unsigned upstream; /**< index into fo_conf.upstreams */
	struct fo_conf_loc loc;
};

/** A whole parsed and validated configuration. Immutable once returned. */
struct fo_conf {
	struct fo_conf_iface *ifaces;
	unsigned n_ifaces;
	struct fo_conf_listen *listens;
	unsigned n_listens;
	struct fo_conf_upstream *upstreams;
	unsigned n_upstreams;
	struct fo_conf_route *routes; /**< in config order */
	unsigned n_routes;
	struct fo_conf_tcp tcp; /**< all zero when there is no `tcp` block */
	struct fo_conf_http http; /**< defaults when there is no `http` block */
	/** default_backend directives, in config order */
	struct fo_conf_default_backend *default_backends;
	unsigned n_default_backends;
	/** the global default backend (in default_backends), or NULL */
	const struct fo_conf_default_backend *default_backend;
	enum fo_conf_match_order match_order; /**< `match_order`; gateway by default */
	/** `duplicate_routes first`: two routes with the same type, path, host and
	 *  conditions are a warning, the first wins (imported configs, as ingress-nginx
	 *  resolves conflicting Ingresses); false (default): a config error */
	bool duplicate_first;
	/** `metrics A.B.C.D:PORT`: the Prometheus endpoint (kernel socket, network
	 *  byte order address); FO_CONF_METRICS_ADDR:FO_CONF_METRICS_PORT when the
	 *  directive is absent, port 0 after `metrics off` */
	uint32_t metrics_addr;
	uint16_t metrics_port;
	/** `access_log PATH [format=upstreaminfo|json] [buffer=N]`: the file (an
	 *  absolute path); "" (the default, or `access_log off`): no access log */
	char access_log_path[FO_CONF_ALOG_PATH_MAX];
	uint8_t access_log_format;  /**< enum fo_conf_alog_format */
	uint32_t access_log_buffer; /**< entries each worker's ring holds (power of two - 1) */
	struct fo_conf_tls tls;     /**< `tls_certificate`, `strict_sni`, `ssl_redirect`, `hsts` */
	/** `passthrough` blocks, in config order (names unique) */
	struct fo_conf_passthrough *passthroughs;
	unsigned n_passthroughs;
	unsigned pass_default;    /**< `passthrough_default`: upstream index (has_pass_default) */
	uint8_t has_pass_default;
	struct fo_conf_loc pass_default_loc; /**< file NULL when absent */
				/* private: string pool and allocation bookkeeping follow */
};

/** Default Prometheus endpoint: 127.0.0.1:9091 (host order). */
#define FO_CONF_METRICS_ADDR 0x7f000001u
#define FO_CONF_METRICS_PORT 9091

/** Flags for fo_conf_parse(). */
#define FO_CONF_F_NO_INCLUDE 0x1 /**< treat `include` as an error (fuzzing, untrusted input) */

/**
 * Parse and validate the config file at @p path (with its includes).
 *
 * @param path    file to read.
 * @param err     stream for "file:line:col: message" lines; may be NULL.
 * @param n_errors if not NULL, set to the number of errors reported.
 * @return the configuration, or NULL if there was at least one error
 *         (every error has been written to @p err).
 */
struct fo_conf *fo_conf_load(const char *path, FILE *err, unsigned *n_errors);

/**
 * Parse and validate config text held in memory.
 *
 * @param name    file name used in messages (and base for relative includes).
 * @param text    the text; need not be NUL-terminated.
 * @param len     its length in bytes.
 * @param flags   FO_CONF_F_* flags.
 * @param err     stream for error lines; may be NULL.
 * @param n_errors if not NULL, set to the number of errors reported.
 * @return the configuration, or NULL on any error.
 */
struct fo_conf *fo_conf_parse(const char *name, const char *text, size_t len, unsigned flags,
	FILE *err, unsigned *n_errors);

/**
 * What the config was read from, for a watcher: source @p i (0, 1, ...)
 * is a file read (the main one first, then each include) or, after them,
 * the path pattern of a glob include (which may match nothing yet).
 *
 * @return the path, or NULL past the last one; *@p is_glob (when not NULL)
 *         says whether it is a pattern.
 */
const char *fo_conf_source(const struct fo_conf *conf, unsigned i, int *is_glob);

/** Free a configuration returned by fo_conf_load() or fo_conf_parse(). NULL is a no-op. */
void fo_conf_free(struct fo_conf *conf);

/**
 * Find an upstream by name.
 *
 * @return its index, or -1 if there is none.
 */
int fo_conf_upstream_find(const struct fo_conf *conf, const char *name);

/** Name of a path type ("exact", "prefix", "regex"). */
const char *fo_conf_path_type_name(enum fo_conf_path_type t);

/**
 * The default backend for a request no route matched: the one of its host
 * (exact name, else "*." + all but the first label), else the global one.
 *
 * @param host  the request's host as received (any case, a ":port" and one
 *              trailing '.' ignored); may be NULL/0.
 * @param global 0: per-host ones only.
 * @return the default backend, or NULL.
 */
const struct fo_conf_default_backend *fo_conf_default_backend_find(
	const struct fo_conf *conf, const char *host, size_t host_len, int global);

/**
 * Do the routes' actions (struct fo_conf_actions) or the default backends
 * of two configs differ? Upstreams are compared by index (the caller has
 * checked that the upstream lists line up). For live reload (lib/ctl).
 *
 * @return 1 they differ, 0 not.
 */
int fo_conf_actions_differ(const struct fo_conf *a, const struct fo_conf *b);

/**
 * Do the SNI passthrough names or passthrough_default of two configs differ
 * (upstreams by index, as fo_conf_actions_differ())? For live reload.
 *
 * @return 1 they differ, 0 not.
 */
int fo_conf_passthrough_differ(const struct fo_conf *a, const struct fo_conf *b);

/** Whether two routes' canaries (and canary_weight_total) differ (upstreams by index). */
int fo_conf_canaries_differ(const struct fo_conf_route *a, const struct fo_conf_route *b);
/** "method", "header", "query" or "cookie". */
const char *fo_conf_match_kind_name(enum fo_conf_match_kind k);

/** Name of a service ("http", "echo", "discard", "source", "relay"). */
const char *fo_conf_service_name(enum fo_conf_service s);

/**
 * Write @p conf back as config text (normalised). Used by `fanout --check -v`
 * and by the round-trip tests.
 *
 * @return 0, or -errno on a write error.
 */
int fo_conf_dump(const struct fo_conf *conf, FILE *out);

#endif /* FO_CONF_H */
