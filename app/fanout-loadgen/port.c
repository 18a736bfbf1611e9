/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fanout-loadgen's ports: one rx/tx queue pair each, checksum offloads and
 * multi-segment tx where the port advertises them (net_memif: multi-segment
 * only, checksums in software), started, links waited for.
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "lg.h"

#define NB_RXD 1024
#define NB_TXD 1024
#define LINK_WAIT_MS 10000

int
lg_port_start(uint16_t pid, struct rte_mempool *mp, struct fo_net_iface *ifc)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	struct rte_eth_rxconf rxc;
	struct rte_eth_txconf txc;
	uint16_t nb_rxd = NB_RXD, nb_txd = NB_TXD;
	int rc;

	rc = rte_eth_dev_info_get(pid, &info);
	if (rc != 0)
		return rc;
	memset(&conf, 0, sizeof(conf));
	conf.rxmode.offloads = info.rx_offload_capa &
			       (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM);
	conf.txmode.offloads = info.tx_offload_capa &
			       (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM |
				       RTE_ETH_TX_OFFLOAD_MULTI_SEGS);
	if (!(info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)) {
		fprintf(stderr, "fanout-loadgen: port %u (%s) cannot send chained mbufs\n", pid,
			info.driver_name);
		return -ENOTSUP;
	}
	rc = rte_eth_dev_configure(pid, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nb_rxd, &nb_txd);
	if (rc != 0)
		return rc;
	rxc = info.default_rxconf;
	rxc.offloads = conf.rxmode.offloads;
	txc = info.default_txconf;
	txc.offloads = conf.txmode.offloads;
	rc = rte_eth_rx_queue_setup(pid, 0, nb_rxd, (unsigned)rte_socket_id(), &rxc, mp);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(pid, 0, nb_txd, (unsigned)rte_socket_id(), &txc);
	if (rc == 0)
		rc = rte_eth_dev_start(pid);
	if (rc == 0)
		rc = rte_eth_macaddr_get(pid, &ifc->mac);
	ifc->rx_offloads = conf.rxmode.offloads;
	ifc->tx_offloads = conf.txmode.offloads;
	return rc;
}

/* @return 0 when the link came up, -ETIMEDOUT. */
int
lg_port_wait_link(uint16_t pid)
{
	uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() / 1000 * LINK_WAIT_MS;
	struct rte_eth_link link;

	for (;;) {
		if (rte_eth_link_get_nowait(pid, &link) == 0 && link.link_status == RTE_ETH_LINK_UP)
			return 0;
		if (rte_get_timer_cycles() > end)
			return -ETIMEDOUT;
		rte_delay_us_sleep(10 * 1000);
	}
}

/* @return 0 when the link is down (the peer left), -ETIMEDOUT after @p ms. */
int
lg_port_wait_down(uint16_t pid, unsigned ms)
{
	uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() / 1000 * ms;
	struct rte_eth_link link;

	for (;;) {
		if (rte_eth_link_get_nowait(pid, &link) == 0 &&
			link.link_status == RTE_ETH_LINK_DOWN)
			return 0;
		if (rte_get_timer_cycles() > end)
			return -ETIMEDOUT;
		rte_delay_us_sleep(10 * 1000);
	}
}
