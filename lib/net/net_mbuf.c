/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one place lib/net allocates an mbuf. Alone in its object file so
 * that unit tests and the fuzz target can replace it with
 * -Wl,--wrap=fo_net_mbuf_alloc (calls from other objects are redirected).
 */
#include <rte_mbuf.h>

#include "fo_net.h"

struct rte_mbuf *
fo_net_mbuf_alloc(struct fo_net_worker *w)
{
	return rte_pktmbuf_alloc(w->pool);
}
