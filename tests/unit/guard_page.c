/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Guard-page placement for parser tests (see guard_page.h): one region of
 * GUARD_MAX bytes followed by a PROT_NONE page, mapped once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guard_page.h"

static uint8_t *region_end; /* first byte of the PROT_NONE page */

static void
guard_map(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t usable = (GUARD_MAX + page - 1) / page * page;
	uint8_t *base;

	base = mmap(NULL, usable + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		perror("guard_page: mmap");
		abort();
	}
	if (mprotect(base + usable, page, PROT_NONE) != 0) {
		perror("guard_page: mprotect");
		abort();
	}
	region_end = base + usable;
}

const uint8_t *
guard_copy(const void *data, size_t len)
{
	uint8_t *dst;

	if (region_end == NULL)
		guard_map();
	if (len > GUARD_MAX) {
		fprintf(stderr, "guard_page: %zu bytes is more than %d\n", len, GUARD_MAX);
		abort();
	}
	dst = region_end - len;
	if (len != 0)
		memcpy(dst, data, len);
	return dst;
}
