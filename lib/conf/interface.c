/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The `interface DEV { address A.B.C.D/N; gateway G; vlan V; mtu M; }`
 * block: its directives, their handlers and the checks at its end
 * (gateway inside the subnet and not a reserved address, no address on
 * two interfaces).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "conf_priv.h"

enum { IF_ADDRESS, IF_GATEWAY, IF_VLAN, IF_MTU, IF_N };

static struct fo_conf *
pub(struct conf_parser *p)
{
	return &p->c->pub;
}

void
conf_h_interface(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	const struct conf_tok *dev = &st->tok[1];
	struct fo_conf *c = pub(p);
	struct fo_conf_iface *ifc;
	unsigned i;

	if (conf_check_name(dev->val, ":") != 0)
		conf_err(p, &dev->loc,
			"invalid interface device \"%s\" (letters, digits, \"_-.:\"; at most %u "
			"bytes)",
			dev->val, FO_CONF_NAME_MAX - 1);
	for (i = 0; i < c->n_ifaces; i++) {
		if (strcmp(c->ifaces[i].dev, dev->val) == 0) {
			conf_err(p, &st->tok[0].loc,
				"duplicate interface \"%s\" (first defined at %s:%u:%u)", dev->val,
				c->ifaces[i].loc.file, c->ifaces[i].loc.line, c->ifaces[i].loc.col);
			break;
		}
	}
	if (conf_push(&c->ifaces, c->n_ifaces, sizeof(*c->ifaces)) != 0) {
		conf_oom(p, &st->tok[0].loc);
		return;
	}
	ifc = &c->ifaces[c->n_ifaces];
	memset(ifc, 0, sizeof(*ifc));
	snprintf(ifc->dev, sizeof(ifc->dev), "%s", dev->val);
	ifc->mtu = 1500;
	ifc->loc = st->tok[0].loc;
	inner->obj = (int)c->n_ifaces++;
}

static void
h_address(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	const struct conf_tok *t = &st->tok[1];
	struct fo_conf_iface *ifc = &pub(p)->ifaces[blk->obj];
	const char *slash = strchr(t->val, '/');
	uint32_t addr, mask, host;
	unsigned long plen;
	char a[16], n[16];

	if (slash == NULL) {
		conf_err(
			p, &t->loc, "missing prefix length in \"%s\" (expected A.B.C.D/N)", t->val);
		return;
	}
	if (conf_ip4_parse(t->val, (size_t)(slash - t->val), &addr) != 0) {
		conf_err(
			p, &t->loc, "invalid IPv4 address \"%.*s\"", (int)(slash - t->val), t->val);
		return;
	}
	if (conf_parse_num(p, t, (size_t)(slash - t->val) + 1, "prefix length", 1, 32, &plen) != 0)
		return;
	conf_ip4_str(addr, a);
	if (!conf_ip4_is_unicast(addr)) {
		conf_err(p, &t->loc, "address %s is not a unicast host address", a);
		return;
	}
	mask = conf_prefix_mask((unsigned)plen);
	host = ntohl(addr) & ~mask;
	conf_ip4_str(htonl(ntohl(addr) & mask), n);
	if (plen <= 30 && (host == 0 || host == ~mask)) {
		conf_err(p, &t->loc, "address %s is the %s address of %s/%lu", a,
			host == 0 ? "network" : "broadcast", n, plen);
		return;
	}
	ifc->addr = addr;
	ifc->prefix_len = (uint8_t)plen;
}

static void
h_gateway(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	const struct conf_tok *t = &st->tok[1];

	if (conf_ip4_parse(t->val, t->len, &pub(p)->ifaces[blk->obj].gateway) != 0) {
		conf_err(p, &t->loc, "invalid IPv4 address \"%s\"", t->val);
		return;
	}
	blk->aux |= CONF_AUX_GW_OK; /* checked against the address at the end of the block */
}

static void
h_vlan(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	unsigned long v;

	if (conf_parse_num(p, &st->tok[1], 0, "vlan", 1, 4094, &v) == 0)
		pub(p)->ifaces[blk->obj].vlan = (uint16_t)v;
}

static void
h_mtu(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	unsigned long v;

	if (conf_parse_num(p, &st->tok[1], 0, "mtu", 576, 9000, &v) == 0)
		pub(p)->ifaces[blk->obj].mtu = (uint16_t)v;
}

static void
interface_end(struct conf_parser *p, struct conf_block *blk)
{
	struct fo_conf *c = pub(p);
	struct fo_conf_iface *ifc = &c->ifaces[blk->obj];
	uint32_t mask = conf_prefix_mask(ifc->prefix_len);
	uint32_t gw = ntohl(ifc->gateway), net = ntohl(ifc->addr) & mask;
	char g[16], n[16];
	unsigned i;

	if (ifc->addr == 0)
		return; /* no valid address: already reported */
	conf_ip4_str(ifc->gateway, g);
	conf_ip4_str(htonl(net), n);
	if (!(blk->aux & CONF_AUX_GW_OK))
		;
	else if ((gw & mask) != net)
		conf_err(p, &blk->arg[IF_GATEWAY], "gateway %s is outside %s/%u", g, n,
			ifc->prefix_len);
	else if (gw == ntohl(ifc->addr))
		conf_err(p, &blk->arg[IF_GATEWAY], "gateway %s is the interface's own address", g);
	else if (ifc->prefix_len <= 30 && (gw == net || gw == (net | ~mask)))
		conf_err(p, &blk->arg[IF_GATEWAY], "gateway %s is the %s address of %s/%u", g,
			gw == net ? "network" : "broadcast", n, ifc->prefix_len);
	for (i = 0; i < (unsigned)blk->obj; i++) {
		if (c->ifaces[i].addr == ifc->addr) {
			conf_ip4_str(ifc->addr, g);
			conf_err(p, &blk->arg[IF_ADDRESS],
				"duplicate address %s (already on interface \"%s\" at %s:%u:%u)", g,
				c->ifaces[i].dev, c->ifaces[i].loc.file, c->ifaces[i].loc.line,
				c->ifaces[i].loc.col);
			break;
		}
	}
}

static const struct conf_directive interface_dirs[IF_N] = {
	[IF_ADDRESS] = {"address", "address A.B.C.D/N;", 1, 1, CONF_D_ONCE | CONF_D_REQUIRED, NULL,
		h_address},
	[IF_GATEWAY] = {"gateway", "gateway A.B.C.D;", 1, 1, CONF_D_ONCE, NULL, h_gateway},
	[IF_VLAN] = {"vlan", "vlan 1..4094;", 1, 1, CONF_D_ONCE, NULL, h_vlan},
	[IF_MTU] = {"mtu", "mtu 576..9000;", 1, 1, CONF_D_ONCE, NULL, h_mtu},
};

const struct conf_ctx conf_ctx_interface = {
	"interface", "in interface block", interface_dirs, IF_N, interface_end};

_Static_assert(IF_N <= CONF_CTX_DIRS_MAX, "raise CONF_CTX_DIRS_MAX");
