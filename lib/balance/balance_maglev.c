/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Consistent hashing with a Maglev lookup table (Eisenbud et al., "Maglev:
 * A Fast and Reliable Software Network Load Balancer", NSDI 2016, 3.4):
 * each server has its own permutation of the table's entries, drawn from
 * its identity; servers take turns claiming their next free entry until
 * the table is full. Removing one of N servers moves about 1/N of the keys
 * (its own, plus a little churn), and every builder of the same list gets
 * the same table. Weights: a server takes a turn in proportion to its
 * weight (the heaviest one at every round).
 *
 * The table is built on the control thread, shared read-only by workers.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fo_balance.h"

#define MAGLEV_EMPTY 0xffffu

/* fixed seeds: the same hashes on every worker, run and build */
#define HASH_SEED 0x6a09e667f3bcc909ull
#define PERM_OFFSET_SEED 0xbb67ae8584caa73bull
#define PERM_SKIP_SEED 0x3c6ef372fe94f82bull

/* the 64-bit finalizer of MurmurHash3: every input bit reaches every output bit */
static uint64_t
fmix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ull;
	k ^= k >> 33;
	return k;
}

static uint64_t
rotl64(uint64_t x, unsigned r)
{
	return (x << r) | (x >> (64 - r));
}

uint64_t
fo_bal_hash64(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t h = HASH_SEED ^ (len * 0x9e3779b97f4a7c15ull), w;
	size_t i;

	/* eight bytes at a time (little-endian whatever the host: the same value on any
	 * machine), each word scrambled into the state as MurmurHash3's blocks are */
	for (; len >= 8; b += 8, len -= 8) {
		memcpy(&w, b, 8);
		w = le64toh(w) * 0x87c37b91114253d5ull;
		h ^= rotl64(w, 31) * 0x4cf5ad432745937full;
		h = rotl64(h, 27) * 5 + 0x52dce729;
	}
	for (w = 0, i = 0; i < len; i++)
		w |= (uint64_t)b[i] << (8 * i);
	w *= 0x87c37b91114253d5ull;
	h ^= rotl64(w, 31) * 0x4cf5ad432745937full;
	return fmix64(h);
}

uint64_t
fo_bal_endpoint_id(uint32_t addr, uint16_t port)
{
	uint8_t b[6];
	uint64_t id;

	memcpy(b, &addr, 4); /* network order: the same bytes on any host */
	b[4] = (uint8_t)(port >> 8);
	b[5] = (uint8_t)port;
	id = fo_bal_hash64(b, sizeof(b));
	return id != 0 ? id : 1;
}

int
fo_bal_maglev_build(
	uint16_t *table, uint32_t size, const uint64_t *ids, const uint32_t *weights, unsigned n)
{
	uint32_t *offset, *skip, *next, *acc, wmax = 1, filled = 0;
	unsigned i;

	if (n == 0 || n > FO_BAL_MAGLEV_SERVERS_MAX || size <= n || size < 2)
		return -EINVAL;
	offset = malloc(4 * (size_t)n * sizeof(*offset));
	if (offset == NULL)
		return -ENOMEM;
	skip = offset + n;
	next = skip + n;
	acc = next + n;
	for (i = 0; i < n; i++) {
		uint32_t w = weights != NULL && weights[i] != 0 ? weights[i] : 1;

		offset[i] = (uint32_t)(fmix64(ids[i] ^ PERM_OFFSET_SEED) % size);
		skip[i] = (uint32_t)(fmix64(ids[i] ^ PERM_SKIP_SEED) % (size - 1)) + 1;
		next[i] = 0;
		acc[i] = 0;
		if (w > wmax)
			wmax = w;
	}
	memset(table, 0xff, (size_t)size * sizeof(*table));
	for (;;) {
		for (i = 0; i < n; i++) {
			uint32_t w = weights != NULL && weights[i] != 0 ? weights[i] : 1;
			uint32_t c;

			/* a turn for every wmax of accumulated weight */
			acc[i] += w;
			if (acc[i] < wmax)
				continue;
			acc[i] -= wmax;
			/* size is prime and skip in 1..size-1: the permutation visits
			 * every entry, so a free one is found before next reaches size */
			do {
				c = (uint32_t)(((uint64_t)offset[i] + (uint64_t)next[i] * skip[i]) %
					       size);
				next[i]++;
			} while (table[c] != MAGLEV_EMPTY);
			table[c] = (uint16_t)i;
			if (++filled == size) {
				free(offset);
				return 0;
			}
		}
	}
}

uint32_t
fo_bal_hash(const struct fo_bal_up *u, uint64_t key, fo_bal_usable_fn ok, void *arg)
{
	uint32_t pos, last = FO_BAL_NONE;
	unsigned k;

	if (u->n == 0)
		return FO_BAL_NONE;
	if (u->maglev == NULL || u->maglev_size == 0) {
		last = (uint32_t)(key % u->n);
		if (ok(arg, last) != NULL)
			return last;
	} else {
		pos = (uint32_t)(key % u->maglev_size);
		for (k = 0; k < FO_BAL_MAGLEV_WALK; k++) {
			uint32_t i = u->maglev[pos];

			/* the same server twice in a row is asked once */
			if (i != last && i < u->n) {
				if (ok(arg, i) != NULL)
					return i;
				last = i;
			}
			pos = pos + 1 == u->maglev_size ? 0 : pos + 1;
		}
		if (last == FO_BAL_NONE)
			last = 0;
	}
	{
		unsigned j;

		for (j = 1; j <= u->n; j++) {
			uint32_t i = (last + j) % u->n;

			if (i != last && ok(arg, i) != NULL)
				return i;
		}
	}
	return FO_BAL_NONE;
}
