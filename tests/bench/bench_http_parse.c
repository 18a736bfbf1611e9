/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Request parser throughput on typical browser requests (400-800 bytes,
 * 10-15 header fields: Chrome, Firefox, Safari, curl, an XHR POST): ns and
 * TSC cycles per request, requests/s, fed whole and split in two at the
 * middle (a head across two mbuf segments). Not a test: it prints numbers.
 * Usage: bench_http_parse [parses per variant, default 2000000]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __x86_64__
#include <x86intrin.h>
#endif

#include "fo_http.h"

static const char *const reqs[] = {
	/* Chrome, a script from the same origin */
	"GET /static/js/app.3f2a1c.js?v=124 HTTP/1.1\r\n"
	"Host: www.example.com\r\n"
	"Connection: keep-alive\r\n"
	"sec-ch-ua: \"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\"\r\n"
	"sec-ch-ua-mobile: ?0\r\n"
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
	"Chrome/124.0.0.0 Safari/537.36\r\n"
	"sec-ch-ua-platform: \"Linux\"\r\n"
	"Accept: */*\r\n"
	"Sec-Fetch-Site: same-origin\r\n"
	"Sec-Fetch-Mode: no-cors\r\n"
	"Sec-Fetch-Dest: script\r\n"
	"Referer: https://www.example.com/test01/index.html\r\n"
	"Accept-Encoding: gzip, deflate, br, zstd\r\n"
	"Accept-Language: en-US,en;q=0.9,fr;q=0.8\r\n"
	"Cookie: _ga=GA1.2.1234567890.1700000000; sessionid=abcdef0123456789abcdef\r\n"
	"\r\n",
	/* Firefox, a page navigation */
	"GET /test01/admin/login/?next=/test01/admin/ HTTP/1.1\r\n"
	"Host: 198.18.0.2\r\n"
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0\r\n"
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n"
	"Accept-Language: en-US,en;q=0.5\r\n"
	"Accept-Encoding: gzip, deflate\r\n"
	"DNT: 1\r\n"
	"Connection: keep-alive\r\n"
	"Referer: http://198.18.0.2/test01/admin/\r\n"
	"Cookie: csrftoken=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4\r\n"
	"Upgrade-Insecure-Requests: 1\r\n"
	"Sec-Fetch-Dest: document\r\n"
	"Sec-Fetch-Mode: navigate\r\n"
	"Sec-Fetch-Site: same-origin\r\n"
	"Priority: u=0, i\r\n"
	"\r\n",
	/* Safari, an image */
	"GET /images/logo@2x.png HTTP/1.1\r\n"
	"Host: cdn.example.org\r\n"
	"Accept: image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,"
	"image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5\r\n"
	"Sec-Fetch-Site: cross-site\r\n"
	"Sec-Fetch-Dest: image\r\n"
	"Accept-Language: en-GB,en;q=0.9\r\n"
	"Sec-Fetch-Mode: no-cors\r\n"
	"User-Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
	"(KHTML, like Gecko) Version/17.4 Safari/605.1.15\r\n"
	"Referer: https://www.example.org/\r\n"
	"Connection: keep-alive\r\n"
	"Accept-Encoding: gzip, deflate, br\r\n"
	"\r\n",
	/* an XHR POST from Chrome */
	"POST /test02/api/v1/items?page=2 HTTP/1.1\r\n"
	"Host: api.example.com\r\n"
	"Connection: keep-alive\r\n"
	"Content-Length: 48\r\n"
	"sec-ch-ua-platform: \"Windows\"\r\n"
	"User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
	"Chrome/124.0.0.0 Safari/537.36\r\n"
	"Accept: application/json, text/plain, */*\r\n"
	"Content-Type: application/json\r\n"
	"Origin: https://app.example.com\r\n"
	"Sec-Fetch-Site: same-site\r\n"
	"Sec-Fetch-Mode: cors\r\n"
	"Referer: https://app.example.com/\r\n"
	"Accept-Encoding: gzip, deflate, br\r\n"
	"Accept-Language: de-DE,de;q=0.9,en;q=0.8\r\n"
	"\r\n",
	/* curl with a few extra headers */
	"GET /test02/?q=fanout&lang=en HTTP/1.1\r\n"
	"Host: 198.18.0.2:8080\r\n"
	"User-Agent: curl/7.88.1\r\n"
	"Accept: */*\r\n"
	"X-Request-ID: 6f1c2a9e-8d3b-4c5a-9e7f-0a1b2c3d4e5f\r\n"
	"X-Forwarded-For: 203.0.113.7, 198.51.100.23\r\n"
	"Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
	"dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U\r\n"
	"Cache-Control: no-cache\r\n"
	"Pragma: no-cache\r\n"
	"Accept-Encoding: gzip\r\n"
	"Connection: keep-alive\r\n"
	"\r\n",
};
#define N_REQS (sizeof(reqs) / sizeof(reqs[0]))

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t
cycles(void)
{
#ifdef __x86_64__
	return __rdtsc();
#else
	return 0;
#endif
}

/* @p split: feed in two pieces cut at the middle. Returns the bytes parsed. */
static uint64_t
run(unsigned long n, int split, const size_t *lens)
{
	static struct fo_http_msg msg;
	struct fo_http_parser p;
	uint64_t bytes = 0;
	unsigned long i;

	for (i = 0; i < n; i++) {
		const uint8_t *r = (const uint8_t *)reqs[i % N_REQS];
		size_t len = lens[i % N_REQS];
		ssize_t rc;

		fo_http_parser_init(&p, FO_HTTP_REQUEST, &msg);
		if (split) {
			if (fo_http_parse(&p, r, len / 2) != -EAGAIN)
				abort();
			rc = fo_http_parse(&p, r + len / 2, len - len / 2);
			if (rc != (ssize_t)(len - len / 2))
				abort();
		} else {
			rc = fo_http_parse(&p, r, len);
			if (rc != (ssize_t)len)
				abort();
		}
		bytes += len;
	}
	return bytes;
}

int
main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000000ul;
	size_t lens[N_REQS], i, total = 0;
	int split;

	if (n == 0 || n > 100000000ul) {
		fprintf(stderr, "usage: %s [parses per variant, 1..100000000]\n", argv[0]);
		return 2;
	}
	for (i = 0; i < N_REQS; i++) {
		static struct fo_http_msg msg;
		struct fo_http_parser p;

		lens[i] = strlen(reqs[i]);
		total += lens[i];
		fo_http_parser_init(&p, FO_HTTP_REQUEST, &msg);
		if (fo_http_parse(&p, (const uint8_t *)reqs[i], lens[i]) != (ssize_t)lens[i]) {
			fprintf(stderr, "request %zu does not parse: %s\n", i,
				fo_http_err_name(p.err));
			return 1;
		}
		printf("request %zu: %zu bytes, %u fields\n", i, lens[i], msg.n_headers);
	}
	printf("average %zu bytes per request\n", total / N_REQS);
	run(n / 10 + 1, 0, lens); /* warm up */
	for (split = 0; split <= 1; split++) {
		uint64_t t0 = now_ns(), c0 = cycles(), bytes = run(n, split, lens);
		uint64_t c1 = cycles(), t1 = now_ns();
		double ns = (double)(t1 - t0) / (double)n;

		printf("%-12s %lu parses: %.1f ns/request, %.2f M requests/s, %.0f cycles/request, "
		       "%.2f GB/s\n",
			split ? "split in 2" : "whole", n, ns, 1e3 / ns,
			(double)(c1 - c0) / (double)n, (double)bytes / (double)(t1 - t0));
	}
	return 0;
}
