/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The two halves of fo_tls_sni_select() (tls_sni.c), apart so that the
 * handshake can count what the default served. No OpenSSL here: the
 * ClientHello fuzz target links tls_sni.c alone.
 */
#ifndef TLS_MATCH_H
#define TLS_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "fo_tls.h"

/* Exact name, then one-label wildcard; FO_TLS_SNI_REFUSE when neither. */
int64_t tls_sni_match(const struct fo_tls_sni *t, const char *sni, size_t len);

/* What an unmatched name gets: the default, or FO_TLS_SNI_REFUSE. */
int64_t tls_sni_fallback(const struct fo_tls_sni *t);

#endif /* TLS_MATCH_H */
