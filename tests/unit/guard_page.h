/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test helper: place bytes so that the last one sits right before a
 * PROT_NONE page. A parser reading one byte past what it was given then
 * crashes (SIGSEGV) instead of silently reading stale memory.
 */
#ifndef GUARD_PAGE_H
#define GUARD_PAGE_H

#include <stddef.h>
#include <stdint.h>

/** Most bytes guard_copy() can place. */
#define GUARD_MAX (256 * 1024)

/**
 * Copy @p len bytes (at most GUARD_MAX) to the end of the guarded region
 * and return where they start. The region is shared: the next call
 * overwrites it, so whatever was given to the code under test before is
 * gone (which also catches code that keeps pointers into its input).
 * Aborts if the region cannot be mapped or @p len is too large.
 */
const uint8_t *guard_copy(const void *data, size_t len);

#endif /* GUARD_PAGE_H */
