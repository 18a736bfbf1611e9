/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Constant tables of lib/http: the character classes every scanner uses,
 * the parse error names/descriptions/statuses and the reason phrases.
 */
#include "fo_http.h"
#include "http_priv.h"

/*
 * The class table is computed by the compiler from the RFC definitions
 * below (and in http_priv.h), so that it cannot drift from them and no init
 * call is needed.
 */
#define IS_TCHAR(c)                                                                                \
	(IS_ALPHA(c) || IS_DIGIT(c) || (c) == '!' || (c) == '#' || (c) == '$' || (c) == '%' ||    \
		(c) == '&' || (c) == '\'' || (c) == '*' || (c) == '+' || (c) == '-' || (c) == '.' ||  \
		(c) == '^' || (c) == '_' || (c) == '`' || (c) == '|' || (c) == '~')
#define IS_VALUE(c) ((c) == '\t' || ((c) >= 0x20 && (c) != 0x7f))
#define IS_QUERY(c) ((c) >= 0x21 && (c) <= 0x7e && (c) != '#')
#define IS_PATH(c) (IS_QUERY(c) && (c) != '?')
#define IS_HEX(c) (IS_DIGIT(c) || ((c) >= 'a' && (c) <= 'f') || ((c) >= 'A' && (c) <= 'F'))

#define CLS(c)                                                                                     \
	(uint8_t)((IS_TCHAR(c) ? HC_TOKEN : 0) | (IS_VALUE(c) ? HC_VALUE : 0) |                   \
		(IS_PATH(c) ? HC_PATH : 0) | (IS_QUERY(c) ? HC_QUERY : 0) |                          \
		(IS_HOST(c) ? HC_HOST : 0) | (IS_HEX(c) ? HC_HEX : 0) |                              \
		(IS_DIGIT(c) ? HC_DIGIT : 0) | ((c) == ' ' || (c) == '\t' ? HC_WS : 0))
#define CLS4(c) CLS(c), CLS((c) + 1), CLS((c) + 2), CLS((c) + 3)
#define CLS16(c) CLS4(c), CLS4((c) + 4), CLS4((c) + 8), CLS4((c) + 12)
#define CLS64(c) CLS16(c), CLS16((c) + 16), CLS16((c) + 32), CLS16((c) + 48)

const uint8_t fo_http_cls[256] = {CLS64(0), CLS64(64), CLS64(128), CLS64(192)};

/* Field-name bytes but '_', which the name scanner stops at to flag the field. */
#define NAMEB(c) (uint8_t)(IS_TCHAR(c) && (c) != '_')
#define NAMEB4(c) NAMEB(c), NAMEB((c) + 1), NAMEB((c) + 2), NAMEB((c) + 3)
#define NAMEB16(c) NAMEB4(c), NAMEB4((c) + 4), NAMEB4((c) + 8), NAMEB4((c) + 12)
#define NAMEB64(c) NAMEB16(c), NAMEB16((c) + 16), NAMEB16((c) + 32), NAMEB16((c) + 48)

const uint8_t fo_http_name_byte[256] = {NAMEB64(0), NAMEB64(64), NAMEB64(128), NAMEB64(192)};

#define ERR_NAME(name, status, descr) [FO_HTTP_E_##name] = #name,
#define ERR_DESCR(name, status, descr) [FO_HTTP_E_##name] = descr,
#define ERR_STATUS(name, status, descr) [FO_HTTP_E_##name] = status,

static const char *const err_names[FO_HTTP_E_MAX] = {
	[FO_HTTP_E_NONE] = "none",
	FO_HTTP_ERRORS(ERR_NAME)
};
static const char *const err_descrs[FO_HTTP_E_MAX] = {
	[FO_HTTP_E_NONE] = "no error",
	FO_HTTP_ERRORS(ERR_DESCR)
};
static const uint16_t err_statuses[FO_HTTP_E_MAX] = {
	[FO_HTTP_E_NONE] = 200,
	FO_HTTP_ERRORS(ERR_STATUS)
};

const char *
fo_http_err_name(enum fo_http_err e)
{
	return (unsigned)e < FO_HTTP_E_MAX ? err_names[e] : "unknown";
}

const char *
fo_http_err_descr(enum fo_http_err e)
{
	return (unsigned)e < FO_HTTP_E_MAX ? err_descrs[e] : "unknown error";
}

unsigned
fo_http_err_status(enum fo_http_err e)
{
	/* an out-of-range value is a caller bug; answer as for a bad request */
	return (unsigned)e < FO_HTTP_E_MAX ? err_statuses[e] : 400;
}

const char *
fo_http_reason(unsigned status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 417: return "Expectation Failed";
	case 421: return "Misdirected Request";
	case 426: return "Upgrade Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}
