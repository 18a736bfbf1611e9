/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker set-up and the end-of-burst bulk free.
 */
#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>

#include "net_priv.h"

int
fo_net_worker_init(struct fo_net_worker *w, unsigned worker_id, unsigned n_workers,
	struct rte_mempool *pool, const struct fo_net_iface *ifaces, uint16_t n_ports, uint64_t hz)
{
	uint16_t p;

	if (w == NULL || n_workers == 0 || n_workers > FO_MAX_WORKERS || worker_id >= n_workers ||
		n_ports > FO_MAX_PORTS || (n_ports > 0 && ifaces == NULL) || hz == 0)
		return -EINVAL;
	for (p = 0; p < n_ports; p++) {
		const struct fo_net_iface *ifc = &ifaces[p];
		rte_be32_t mask;

		if (!ifc->configured)
			continue;
		if (ifc->port_id != p || ifc->prefix_len > 32 || ifc->vlan > 4094 ||
			ifc->addr == 0 || !rte_is_valid_assigned_ether_addr(&ifc->mac))
			return -EINVAL;
		mask = ifc->prefix_len == 0 ? 0 : rte_cpu_to_be_32(~0u << (32 - ifc->prefix_len));
		if (ifc->netmask != 0 && ifc->netmask != mask)
			return -EINVAL;
	}

	memset(w, 0, sizeof(*w));
	w->worker_id = worker_id;
	w->n_workers = n_workers;
	w->pool = pool;
	w->hz = hz;
	w->n_ports = n_ports;
	for (p = 0; p < n_ports; p++) {
		struct fo_net_iface *ifc = &w->ifaces[p];

		*ifc = ifaces[p];
		if (!ifc->configured)
			continue;
		ifc->netmask =
			ifc->prefix_len == 0 ? 0 : rte_cpu_to_be_32(~0u << (32 - ifc->prefix_len));
	}
	for (p = 0; p < FO_NEIGH_QUEUE_SLOTS; p++)
		w->neigh_q[p].next = p + 1 < FO_NEIGH_QUEUE_SLOTS ? (uint16_t)(p + 1) : FO_NEIGH_QNONE;
	w->neigh_q_free = 0;
	w->neigh_next_tsc = UINT64_MAX;
	w->neigh_retry_tsc = fo_ms_to_tsc(FO_NEIGH_RETRY_MS, hz);
	w->neigh_reachable_tsc = fo_ms_to_tsc(FO_NEIGH_REACHABLE_MS, hz);
	w->neigh_holddown_tsc = fo_ms_to_tsc(FO_NEIGH_HOLDDOWN_MS, hz);
	return 0;
}

void
net_flush_dropped(struct fo_net_worker *w)
{
	if (w->n_dropped == 0)
		return;
	rte_pktmbuf_free_bulk(w->dropped, w->n_dropped);
	w->n_dropped = 0;
}

void
fo_net_burst_end(struct fo_net_worker *w)
{
	net_flush_dropped(w);
}
