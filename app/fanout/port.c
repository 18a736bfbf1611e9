/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port bring-up: map config interfaces to DPDK ports, size one mbuf pool for
 * every queue, configure each port with one rx and one tx queue per worker
 * (RSS and checksum offloads only where advertised), start it, wait for links.
 * Control thread only.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>
#include <rte_mempool.h>

#include "app.h"

#define RX_CKSUM_OFFLOADS                                                                          \
	(RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM |                            \
		RTE_ETH_RX_OFFLOAD_UDP_CKSUM)
#define TX_CKSUM_OFFLOADS                                                                          \
	(RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM |                            \
		RTE_ETH_TX_OFFLOAD_UDP_CKSUM)
/* lib/tcp sends a header mbuf chained to indirect mbufs over its send queue */
#define TX_OFFLOADS_WANTED (TX_CKSUM_OFFLOADS | RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
#define RSS_WANTED (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP)

/** Port id named by a config `interface` device: a number or a device name. */
static int
port_lookup(const char *dev, uint16_t *port_id)
{
	const char *c;
	unsigned long v;

	for (c = dev; *c >= '0' && *c <= '9'; c++)
		;
	if (c != dev && *c == '\0') {
		v = strtoul(dev, NULL, 10);
		if (v >= RTE_MAX_ETHPORTS || !rte_eth_dev_is_valid_port((uint16_t)v))
			return -ENODEV;
		*port_id = (uint16_t)v;
		return 0;
	}
	if (rte_eth_dev_get_port_by_name(dev, port_id) != 0)
		return -ENODEV;
	return 0;
}

static void
print_port_names(FILE *f)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	const char *sep = "";
	uint16_t pid;
	int any = 0;

	RTE_ETH_FOREACH_DEV(pid)
	{
		if (rte_eth_dev_get_name_by_port(pid, name) != 0)
			continue;
		fprintf(f, "%s%s", sep, name);
		sep = ", ";
		any = 1;
	}
	if (!any)
		fputs("none", f);
}

static rte_be32_t
prefix_to_mask(uint8_t len)
{
	return rte_cpu_to_be_32(len == 0 ? 0 : UINT32_MAX << (32 - len));
}

/** Fill app->ports from EAL's ports and the config's interface blocks. */
static int
ports_map(struct app *app)
{
	const struct fo_conf *conf = app->conf;
	struct app_port *p;
	uint16_t pid;
	unsigned i;
	int errors = 0;

	RTE_ETH_FOREACH_DEV(pid)
	{
		if (pid >= FO_MAX_PORTS) {
			FO_LOG(ERR, "port %u: fanout drives at most %u ports (ids 0..%u)\n", pid,
				FO_MAX_PORTS, FO_MAX_PORTS - 1);
			return -E2BIG;
		}
		p = &app->ports[pid];
		p->port_id = pid;
		if (rte_eth_dev_get_name_by_port(pid, p->name) != 0)
			snprintf(p->name, sizeof(p->name), "port%u", pid);
		p->iface.port_id = pid;
		p->iface.mtu = RTE_ETHER_MTU;
		app->active[app->n_active++] = pid;
		if (pid + 1 > app->n_ports)
			app->n_ports = pid + 1;
	}
	if (app->n_active == 0) {
		fprintf(stderr, "fanout: EAL found no ports (use --vdev net_tap0,iface=fo0 or "
				"bind a NIC to vfio-pci)\n");
		return -ENODEV;
	}

	for (i = 0; i < conf->n_ifaces; i++) {
		const struct fo_conf_iface *ci = &conf->ifaces[i];

		if (port_lookup(ci->dev, &pid) != 0) {
			fprintf(stderr, "%s:%u:%u: interface \"%s\": no such DPDK port (have: ",
				ci->loc.file, ci->loc.line, ci->loc.col, ci->dev);
			print_port_names(stderr);
			fputs(")\n", stderr);
			errors++;
			continue;
		}
		p = &app->ports[pid];
		if (p->conf != NULL) {
			fprintf(stderr,
				"%s:%u:%u: interface \"%s\": port %u (%s) is already "
				"configured at %s:%u:%u\n",
				ci->loc.file, ci->loc.line, ci->loc.col, ci->dev, pid, p->name,
				p->conf->loc.file, p->conf->loc.line, p->conf->loc.col);
			errors++;
			continue;
		}
		p->conf = ci;
		p->iface.configured = 1;
		p->iface.vlan = ci->vlan;
		p->iface.mtu = ci->mtu != 0 ? ci->mtu : RTE_ETHER_MTU;
		p->iface.prefix_len = ci->prefix_len;
		p->iface.addr = ci->addr;
		p->iface.netmask = prefix_to_mask(ci->prefix_len);
		p->iface.gateway = ci->gateway;
	}
	return errors ? -ENODEV : 0;
}

/*
 * mbufs for TCP data: what connections buffer (send queues until acked,
 * receive queues until the service reads them, out-of-order segments) lives
 * in mbufs of this pool. Not every connection's sndbuf + rcvbuf can be
 * backed; an empty pool is a counted drop (tcp_nombuf, nombuf), never a
 * crash. APP_TCP_MBUFS with hugepages; without them, at most
 * APP_TCP_MBUFS_MEM_PCT % of EAL's free memory (-m), so that lib/tcp's
 * connection pools still fit.
 */
static uint32_t
tcp_mbufs_budget(uint32_t elt_size)
{
	struct rte_malloc_socket_stats st;
	uint64_t cap;

	if (rte_eal_has_hugepages())
		return APP_TCP_MBUFS;
	if (rte_malloc_get_socket_stats((int)rte_socket_id(), &st) != 0)
		return APP_TCP_MBUFS_MIN;
	cap = st.heap_freesz_bytes / 100 * APP_TCP_MBUFS_MEM_PCT / elt_size;
	if (cap > APP_TCP_MBUFS)
		cap = APP_TCP_MBUFS;
	return cap < APP_TCP_MBUFS_MIN ? APP_TCP_MBUFS_MIN : (uint32_t)cap;
}

/** Is one of the started ports driven by @p driver? */
static int
ports_use_driver(const struct app *app, const char *driver)
{
	struct rte_eth_dev_info info;
	uint16_t i;

	for (i = 0; i < app->n_active; i++)
		if (rte_eth_dev_info_get(app->active[i], &info) == 0 &&
			strcmp(info.driver_name, driver) == 0)
			return 1;
	return 0;
}

/*
 * net_af_xdp (22.11) registers the pool as its UMEM from the first chunk's
 * start for populated_size * object size bytes, as if objects were packed.
 * By default they are not where pages are small (--no-huge: one 2.3 KiB
 * object per 4 KiB page, so 40 % of the mbufs lay beyond that end): the
 * kernel rejects frames in those mbufs (XDP tx_invalid_descs), TCP stalls.
 * So for such a port the objects are packed (RTE_MEMPOOL_F_NO_IOVA_CONTIG:
 * nothing DMAs on a veth) in a single chunk, as rte_pktmbuf_pool_create()
 * would build them otherwise.
 *
 * @return the pool, or NULL with rte_errno set (ENOMEM also when the
 *         memory came in several chunks).
 */
static struct rte_mempool *
pool_create_packed(const char *name, uint32_t n, uint16_t data_room, int socket)
{
	struct rte_pktmbuf_pool_private priv = {.mbuf_data_room_size = data_room};
	struct rte_mempool *mp;
	int rc;

	mp = rte_mempool_create_empty(name, n, (unsigned)sizeof(struct rte_mbuf) + data_room,
		APP_POOL_CACHE, sizeof(priv), socket, RTE_MEMPOOL_F_NO_IOVA_CONTIG);
	if (mp == NULL)
		return NULL;
	rc = rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(), NULL);
	if (rc == 0) {
		rte_pktmbuf_pool_init(mp, &priv);
		rc = rte_mempool_populate_default(mp);
		if (rc >= 0 && mp->nb_mem_chunks != 1)
			rc = -ENOMEM;
	}
	if (rc < 0) {
		rte_mempool_free(mp);
		rte_errno = -rc;
		return NULL;
	}
	rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
	return mp;
}

/** One pool for every rx ring, tx ring, per-lcore cache, per-worker buffer and TCP data. */
static int
pool_create(struct app *app)
{
	uint32_t data_room = RTE_MBUF_DEFAULT_DATAROOM, base, n, tcp, elt;
	int packed = ports_use_driver(app, "net_af_xdp");
	uint16_t i;

	for (i = 0; i < app->n_active; i++) {
		const struct fo_net_iface *ifc = &app->ports[app->active[i]].iface;
		uint32_t frame =
			(uint32_t)ifc->mtu + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN + RTE_ETHER_CRC_LEN;

		if (frame > data_room)
			data_room = frame;
	}
	base = app->n_active * app->n_workers * (APP_NB_RXD + APP_NB_TXD) +
	       (app->n_workers + 1) * (APP_POOL_CACHE * 3 / 2 + FO_BURST * 4 * (FO_MAX_PORTS + 1) +
					      2 * FO_NEIGH_QUEUE_SLOTS) +
	       app->n_workers * app->n_workers * APP_TCP_RING_SIZE + 4096;
	elt = (uint32_t)(sizeof(struct rte_mbuf) + data_room + RTE_PKTMBUF_HEADROOM + 64);
	/* halve the TCP share until the pool fits (hugepages may be short) */
	for (tcp = tcp_mbufs_budget(elt);; tcp /= 2) {
		n = base + tcp;
		if (packed)
			app->pool = pool_create_packed("fo_mbuf", n,
				(uint16_t)(data_room + RTE_PKTMBUF_HEADROOM), (int)rte_socket_id());
		else
			app->pool = rte_pktmbuf_pool_create("fo_mbuf", n, APP_POOL_CACHE, 0,
				(uint16_t)(data_room + RTE_PKTMBUF_HEADROOM), (int)rte_socket_id());
		if (app->pool != NULL || rte_errno != ENOMEM || tcp / 2 < APP_TCP_MBUFS_MIN)
			break;
	}
	if (app->pool == NULL) {
		FO_LOG(ERR, "cannot create a pool of %u mbufs of %u bytes: %s\n", n,
			data_room + RTE_PKTMBUF_HEADROOM, rte_strerror(rte_errno));
		return -rte_errno ? -rte_errno : -ENOMEM;
	}
	app->n_tcp_mbufs = tcp;
	FO_LOG(INFO,
		"mbuf pool: %u mbufs of %u bytes in %u chunk(s)%s (%u for TCP data, %.1f MiB; %s)\n",
		n, data_room + RTE_PKTMBUF_HEADROOM, app->pool->nb_mem_chunks,
		packed ? ", packed for net_af_xdp" : "", tcp,
		(double)n * elt / (1 << 20),
		rte_eal_has_hugepages() ? "hugepages" : "no hugepages: sized from free memory");
	return 0;
}

/** Largest MTU ethdev will accept for the port (its own overhead rule). */
static uint32_t
port_max_mtu(const struct rte_eth_dev_info *info)
{
	uint32_t overhead = RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;

	if (info->max_mtu != UINT16_MAX && info->max_rx_pktlen > info->max_mtu)
		overhead = info->max_rx_pktlen - info->max_mtu;
	if (info->max_rx_pktlen <= overhead)
		return 0;
	return RTE_MIN((uint32_t)info->max_mtu, info->max_rx_pktlen - overhead);
}

static int
port_start(struct app *app, struct app_port *p)
{
	uint16_t pid = p->port_id, nq = (uint16_t)app->n_workers, q;
	uint16_t nb_rxd = APP_NB_RXD, nb_txd = APP_NB_TXD;
	struct rte_eth_dev_info info;
	struct rte_eth_rxconf rxq_conf;
	struct rte_eth_txconf txq_conf;
	struct rte_eth_conf conf;
	int socket, rc;

	rc = rte_eth_dev_info_get(pid, &info);
	if (rc != 0) {
		FO_LOG(ERR, "port %u (%s): cannot get device info: %s\n", pid, p->name,
			strerror(-rc));
		return rc;
	}
	if (nq > info.max_rx_queues || nq > info.max_tx_queues) {
		FO_LOG(ERR,
			"port %u (%s): %u workers need %u queue pairs, the port has %u rx "
			"and %u tx\n",
			pid, p->name, nq, nq, info.max_rx_queues, info.max_tx_queues);
		return -ENOTSUP;
	}

	memset(&conf, 0, sizeof(conf));
	/* virtual NICs advertise no RSS: asking for it anyway fails configure */
	if (nq > 1 && (info.flow_type_rss_offloads & RSS_WANTED) != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = RSS_WANTED & info.flow_type_rss_offloads;
		p->rss = 1;
	}
	conf.rxmode.offloads = RX_CKSUM_OFFLOADS & info.rx_offload_capa;
	/*
	 * MULTI_SEGS is requested, not assumed: a PMD may pick a tx path that
	 * reads only the first segment when it is not. Without it (net_af_xdp
	 * in 22.11), the workers copy chains into one mbuf (tx_linearized).
	 */
	conf.txmode.offloads = TX_OFFLOADS_WANTED & info.tx_offload_capa;
	p->tx_linear = !(info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS);
	if (p->tx_linear)
		FO_LOG(WARNING,
			"port %u (%s, %s): no multi-segment tx: chained frames are "
			"copied into one mbuf before tx (tx_linearized)\n",
			pid, p->name, info.driver_name);
	/*
	 * DPDK 22.11's tap PMD sums each segment of a chained mbuf on its own
	 * and adds the results, which is wrong after a segment of odd length
	 * (TCP sends payload as header + indirect mbufs at any offset): its
	 * "offload" is software anyway, so let lib/net sum the chain instead.
	 */
	if (strcmp(info.driver_name, "net_tap") == 0)
		conf.txmode.offloads &=
			~(uint64_t)(RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM);
	rc = rte_eth_dev_configure(pid, nq, nq, &conf);
	if (rc != 0) {
		FO_LOG(ERR, "port %u (%s): configure with %u queue pairs failed: %s\n", pid,
			p->name, nq, strerror(-rc));
		return rc;
	}
	p->nb_queues = nq;
	p->iface.rx_offloads = conf.rxmode.offloads;
	p->iface.tx_offloads = conf.txmode.offloads;

	rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nb_rxd, &nb_txd);
	if (rc != 0) {
		FO_LOG(ERR, "port %u (%s): descriptor counts: %s\n", pid, p->name, strerror(-rc));
		return rc;
	}
	if (p->iface.configured) {
		uint32_t max_mtu = port_max_mtu(&info);

		if (p->iface.mtu > max_mtu) {
			fprintf(stderr,
				"%s:%u:%u: interface \"%s\": mtu %u is above the %u that "
				"port %u (%s) supports\n",
				p->conf->loc.file, p->conf->loc.line, p->conf->loc.col,
				p->conf->dev, p->iface.mtu, max_mtu, pid, p->name);
			return -EINVAL;
		}
		rc = rte_eth_dev_set_mtu(pid, p->iface.mtu);
		if (rc == -ENOTSUP) {
			FO_LOG(WARNING,
				"port %u (%s): cannot set MTU %u (not supported); keeping "
				"the port's MTU\n",
				pid, p->name, p->iface.mtu);
		} else if (rc != 0) {
			FO_LOG(ERR, "port %u (%s): set MTU %u: %s\n", pid, p->name, p->iface.mtu,
				strerror(-rc));
			return rc;
		}
	}

	socket = rte_eth_dev_socket_id(pid);
	if (socket < 0)
		socket = (int)rte_socket_id();
	rxq_conf = info.default_rxconf;
	rxq_conf.offloads = conf.rxmode.offloads;
	txq_conf = info.default_txconf;
	txq_conf.offloads = conf.txmode.offloads;
	for (q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(pid, q, nb_rxd, (unsigned)socket, &rxq_conf, app->pool);
		if (rc != 0) {
			FO_LOG(ERR, "port %u (%s): rx queue %u: %s\n", pid, p->name, q,
				strerror(-rc));
			return rc;
		}
		rc = rte_eth_tx_queue_setup(pid, q, nb_txd, (unsigned)socket, &txq_conf);
		if (rc != 0) {
			FO_LOG(ERR, "port %u (%s): tx queue %u: %s\n", pid, p->name, q,
				strerror(-rc));
			return rc;
		}
	}

	rc = rte_eth_dev_start(pid);
	if (rc != 0) {
		FO_LOG(ERR, "port %u (%s): start: %s\n", pid, p->name, strerror(-rc));
		return rc;
	}
	p->started = 1;
	rc = rte_eth_macaddr_get(pid, &p->iface.mac);
	if (rc != 0) {
		FO_LOG(ERR, "port %u (%s): cannot read its MAC address: %s\n", pid, p->name,
			strerror(-rc));
		return rc;
	}

	if (p->iface.configured) {
		char mac[RTE_ETHER_ADDR_FMT_SIZE];
		uint32_t a = rte_be_to_cpu_32(p->iface.addr);

		rte_ether_format_addr(mac, sizeof(mac), &p->iface.mac);
		FO_LOG(INFO,
			"port %u (%s): %u.%u.%u.%u/%u mac %s vlan %u mtu %u, %u queue "
			"pairs x %u/%u desc, rss %s, rx offloads 0x%" PRIx64
			", tx offloads 0x%" PRIx64 "\n",
			pid, p->name, a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff,
			p->iface.prefix_len, mac, p->iface.vlan, p->iface.mtu, nq, nb_rxd, nb_txd,
			conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS ? "on" : "off",
			p->iface.rx_offloads, p->iface.tx_offloads);
	} else {
		FO_LOG(WARNING,
			"port %u (%s) has no interface block in the config: started, "
			"but everything it receives is dropped (no_iface)\n",
			pid, p->name);
	}
	return 0;
}

/** Link state as the PMD reports it; ports that cannot tell count as up. */
static int
port_link_up(uint16_t pid)
{
	struct rte_eth_link link;

	if (rte_eth_link_get_nowait(pid, &link) != 0)
		return 1;
	return link.link_status == RTE_ETH_LINK_UP;
}

/** Wait up to APP_LINK_WAIT_MS for every configured port's link. */
static void
ports_wait_links(struct app *app)
{
	uint64_t deadline =
		rte_get_timer_cycles() + fo_ms_to_tsc(APP_LINK_WAIT_MS, rte_get_timer_hz());
	uint16_t i;
	int all_up;

	for (;;) {
		all_up = 1;
		for (i = 0; i < app->n_active; i++) {
			struct app_port *p = &app->ports[app->active[i]];

			if (p->iface.configured && !port_link_up(p->port_id))
				all_up = 0;
		}
		if (all_up || rte_get_timer_cycles() > deadline)
			break;
		/* rte_delay_us_sleep() resumes nanosleep() after tap's SIGIO (EINTR) */
		rte_delay_us_sleep(50 * 1000);
	}
}

void
ports_poll_links(struct app *app)
{
	uint16_t i;

	for (i = 0; i < app->n_active; i++) {
		struct app_port *p = &app->ports[app->active[i]];
		int up;

		if (!p->started || !p->iface.configured)
			continue;
		up = port_link_up(p->port_id);
		if (up == p->link_up)
			continue;
		p->link_up = up;
		FO_LOG(INFO, "port %u (%s): link %s\n", p->port_id, p->name, up ? "up" : "down");
		/* release: the announce request is the only data worker 0 needs */
		if (up)
			__atomic_fetch_or(&app->announce_mask, 1u << p->port_id, __ATOMIC_RELEASE);
	}
}

int
ports_init(struct app *app)
{
	uint16_t i;
	int rc;

	rc = ports_map(app);
	if (rc != 0)
		return rc;
	rc = pool_create(app);
	if (rc != 0)
		return rc;
	for (i = 0; i < app->n_active; i++) {
		rc = port_start(app, &app->ports[app->active[i]]);
		if (rc != 0)
			return rc;
	}
	ports_wait_links(app);
	/* link_up starts at 0: the first poll logs each link and queues the
	 * start-up gratuitous ARP of every configured port whose link is up */
	ports_poll_links(app);
	for (i = 0; i < app->n_active; i++) {
		struct app_port *p = &app->ports[app->active[i]];

		if (p->iface.configured && !p->link_up)
			FO_LOG(WARNING, "port %u (%s): link still down after %u ms\n", p->port_id,
				p->name, APP_LINK_WAIT_MS);
	}
	return 0;
}

void
ports_stop(struct app *app)
{
	uint16_t i;
	int rc;

	for (i = 0; i < app->n_active; i++) {
		struct app_port *p = &app->ports[app->active[i]];

		if (!p->started)
			continue;
		rc = rte_eth_dev_stop(p->port_id);
		if (rc != 0)
			FO_LOG(WARNING, "port %u (%s): stop: %s\n", p->port_id, p->name,
				strerror(-rc));
		p->started = 0;
	}
}

void
ports_close(struct app *app)
{
	uint16_t i;

	ports_stop(app);
	for (i = 0; i < app->n_active; i++)
		rte_eth_dev_close(app->active[i]);
	app->n_active = 0;
	/* queues are gone with their ports: nothing references the pool */
	rte_mempool_free(app->pool);
	app->pool = NULL;
}
