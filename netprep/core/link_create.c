/* Creating links: one request builder and a table of kinds, each supplying
 * what is its own (attributes beside the common ones, IFLA_INFO_DATA), as
 * iproute2's link_util does. The macvlan modes live here too. */
#include "link.h"

#include <errno.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/veth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "link_msg.h"
#include "netns.h"

static const char *const macvlan_names[] = {
	[NP_MACVLAN_BRIDGE] = "bridge",
	[NP_MACVLAN_PRIVATE] = "private",
	[NP_MACVLAN_VEPA] = "vepa",
	[NP_MACVLAN_PASSTHRU] = "passthru",
};

static const uint32_t macvlan_kernel_modes[] = {
	[NP_MACVLAN_BRIDGE] = MACVLAN_MODE_BRIDGE,
	[NP_MACVLAN_PRIVATE] = MACVLAN_MODE_PRIVATE,
	[NP_MACVLAN_VEPA] = MACVLAN_MODE_VEPA,
	[NP_MACVLAN_PASSTHRU] = MACVLAN_MODE_PASSTHRU,
};

int np_macvlan_mode_parse(const char *s, enum np_macvlan_mode *out, struct np_err *e)
{
	for (size_t i = 0; s && i < sizeof(macvlan_names) / sizeof(*macvlan_names); i++)
		if (!strcmp(s, macvlan_names[i])) {
			*out = (enum np_macvlan_mode)i;
			return 0;
		}
	char q[NP_QUOTE_MAX];
	return np_errmsg(e, -EINVAL, "macvlan mode \"%s\" is unknown: use bridge, private, vepa or passthru",
			 np_quote(s ? s : "", q, sizeof(q)));
}

int np_macvlan_mode_from_kernel(uint32_t mode)
{
	for (size_t i = 0; i < sizeof(macvlan_kernel_modes) / sizeof(*macvlan_kernel_modes); i++)
		if (macvlan_kernel_modes[i] == mode)
			return (int)i;
	return -1;
}

const char *np_macvlan_mode_name(enum np_macvlan_mode m)
{
	return (unsigned)m < sizeof(macvlan_names) / sizeof(*macvlan_names) ?
		       macvlan_names[m] : "?";
}

/* ---- the request ---------------------------------------------------- */

/* Name, MAC, MTU, target namespace (an fd already open), master, group
 * and up flag of a. */
static void put_link_attrs(struct nlmsghdr *nlh, struct ifinfomsg *ifi,
			   const struct np_link_attrs *a, int nsfd)
{
	mnl_attr_put_strz(nlh, IFLA_IFNAME, a->name);
	if (a->mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, NP_MAC_LEN, a->mac);
	if (a->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, a->mtu);
	if (nsfd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)nsfd);
	if (a->master_index > 0)
		mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)a->master_index);
	if (a->group)
		mnl_attr_put_u32(nlh, IFLA_GROUP, a->group);
	if (a->up) {
		ifi->ifi_flags |= IFF_UP;
		ifi->ifi_change |= IFF_UP;
	}
}

/* What one kind adds to the common request. */
struct link_kind {
	const char *kind;
	/* attributes beside the common ones, before IFLA_LINKINFO */
	void (*fill_outer)(struct nlmsghdr *nlh, const void *opts);
	/* the content of IFLA_INFO_DATA; NULL: the kind has none */
	void (*fill_info_data)(struct nlmsghdr *nlh, const void *opts);
};

static struct nlmsghdr *build(void *buf, uint32_t seq, const struct np_link_attrs *a, int nsfd,
			      const struct link_kind *k, const void *opts)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	nlh->nlmsg_seq = seq;
	struct ifinfomsg *ifi = np_link_put_ifinfo(nlh, AF_UNSPEC, 0);
	put_link_attrs(nlh, ifi, a, nsfd);
	if (k->fill_outer)
		k->fill_outer(nlh, opts);
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, k->kind);
	if (k->fill_info_data) {
		struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
		k->fill_info_data(nlh, opts);
		mnl_attr_nest_end(nlh, data);
	}
	mnl_attr_nest_end(nlh, info);
	return nlh;
}

/* Opens a's target namespace (if any), sends the request, closes it. */
static int create(struct np_nl *nl, const struct np_link_attrs *a, const struct link_kind *k,
		  const void *opts, struct np_err *e)
{
	int nsfd = -1;
	if (a->netns) {
		nsfd = np_netns_open(a->netns, e);
		if (nsfd < 0)
			return nsfd;
	}
	struct nlmsghdr *nlh = build(nl->buf, ++nl->seq, a, nsfd, k, opts);
	int rc = np_nl_talk(nl, nlh, NULL, NULL);
	if (nsfd >= 0)
		close(nsfd);
	return rc;
}

/* ---- the kinds -------------------------------------------------------- */

struct veth_opts {
	const struct np_link_attrs *peer;
	int peer_nsfd;
};

static void veth_data(struct nlmsghdr *nlh, const void *opts)
{
	const struct veth_opts *o = opts;
	struct nlattr *pinfo = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* put_extra_header grows nlmsg_len, so the nest covers the header. The
	 * peer cannot be set up before its partner exists (ENOTCONN): "up" is
	 * applied to it after creation. */
	struct ifinfomsg *pifi = np_link_put_ifinfo(nlh, AF_UNSPEC, 0);
	struct np_link_attrs peer = *o->peer;
	peer.up = false;
	put_link_attrs(nlh, pifi, &peer, o->peer_nsfd);
	mnl_attr_nest_end(nlh, pinfo);
}

static const struct link_kind kind_veth = { .kind = "veth", .fill_info_data = veth_data };

struct macvlan_msg_opts {
	int master_index;
	const struct np_macvlan_opts *o;
};

static void macvlan_outer(struct nlmsghdr *nlh, const void *opts)
{
	mnl_attr_put_u32(nlh, IFLA_LINK, (uint32_t)((const struct macvlan_msg_opts *)opts)->master_index);
}

static void macvlan_data(struct nlmsghdr *nlh, const void *opts)
{
	const struct np_macvlan_opts *o = ((const struct macvlan_msg_opts *)opts)->o;
	mnl_attr_put_u32(nlh, IFLA_MACVLAN_MODE, macvlan_kernel_modes[o->mode]);
	if (o->bcqueuelen)
		mnl_attr_put_u32(nlh, IFLA_MACVLAN_BC_QUEUE_LEN, o->bcqueuelen);
}

static const struct link_kind kind_macvlan = {
	.kind = "macvlan", .fill_outer = macvlan_outer, .fill_info_data = macvlan_data,
};

static const struct link_kind kind_bridge = { .kind = "bridge" };

struct vlan_opts {
	int parent_index;
	uint16_t vid;
};

static void vlan_outer(struct nlmsghdr *nlh, const void *opts)
{
	mnl_attr_put_u32(nlh, IFLA_LINK, (uint32_t)((const struct vlan_opts *)opts)->parent_index);
}

static void vlan_data(struct nlmsghdr *nlh, const void *opts)
{
	mnl_attr_put_u16(nlh, IFLA_VLAN_ID, ((const struct vlan_opts *)opts)->vid);
}

static const struct link_kind kind_vlan = {
	.kind = "vlan", .fill_outer = vlan_outer, .fill_info_data = vlan_data,
};

/* ---- the calls -------------------------------------------------------- */

static int peer_up(struct np_nl *nl, const struct np_link_attrs *peer, struct np_err *e)
{
	if (!peer->netns)
		return np_link_set_up(nl, peer->name, true, e);
	struct np_nl *pnl = np_nl_alloc();
	if (!pnl)
		return np_errmsg(e, -ENOMEM, "veth peer \"%s\": out of memory", peer->name);
	int rc = np_nl_open(pnl, peer->netns, e);
	if (rc == 0) {
		rc = np_link_set_up(pnl, peer->name, true, e);
		np_nl_close(pnl);
	}
	free(pnl);
	return rc;
}

int np_link_create_veth(struct np_nl *nl, const struct np_link_attrs *self,
			const struct np_link_attrs *peer, struct np_err *e)
{
	struct veth_opts o = { .peer = peer, .peer_nsfd = -1 };
	if (peer->netns) {
		o.peer_nsfd = np_netns_open(peer->netns, e);
		if (o.peer_nsfd < 0)
			return o.peer_nsfd;
	}
	int rc = create(nl, self, &kind_veth, &o, e);
	if (o.peer_nsfd >= 0)
		close(o.peer_nsfd);
	if (rc < 0)
		return np_errf(e, rc, "%s: create veth \"%s\" with peer \"%s\"%s%s%s", nl->where,
			       self->name, peer->name, peer->netns ? " in netns " : "",
			       peer->netns ? peer->netns : "", np_nl_reason(nl));
	if (peer->up && (rc = peer_up(nl, peer, e)) < 0)
		np_link_delete(nl, self->name, NULL);
	return rc;
}

int np_link_create_macvlan(struct np_nl *nl, const struct np_link_attrs *a,
			   const struct np_macvlan_opts *o, struct np_err *e)
{
	if ((unsigned)o->mode >= sizeof(macvlan_kernel_modes) / sizeof(*macvlan_kernel_modes))
		return np_errmsg(e, -EINVAL, "macvlan \"%s\": invalid mode %d", a->name, (int)o->mode);
	struct macvlan_msg_opts m = { .o = o };
	m.master_index = o->master_index > 0 ? o->master_index
					     : np_link_resolve_index(nl, o->master, "macvlan master", e);
	if (m.master_index < 0)
		return m.master_index;
	int rc = create(nl, a, &kind_macvlan, &m, e);
	if (rc < 0) /* np_errf keeps a first error (a namespace that would not open) */
		np_errf(e, rc, "%s: create macvlan \"%s\" (mode %s) on master \"%s\"%s%s%s",
			nl->where, a->name, np_macvlan_mode_name(o->mode), o->master,
			a->netns ? " into netns " : "", a->netns ? a->netns : "",
			np_nl_reason(nl));
	return rc;
}

int np_link_create_bridge(struct np_nl *nl, const struct np_link_attrs *a,
			  struct np_err *e)
{
	/* An MTU given at creation is not "set by the user" for the bridge
	 * driver, which then follows its ports' MTU; setting it afterwards pins
	 * it. Only possible here when the bridge stays in this namespace. */
	struct np_link_attrs now = *a;
	bool pin_mtu = a->mtu && !a->netns;
	if (pin_mtu)
		now.mtu = 0;
	int rc = create(nl, &now, &kind_bridge, NULL, e);
	if (rc < 0)
		return np_errf(e, rc, "%s: create bridge \"%s\"%s", nl->where, a->name, np_nl_reason(nl));
	if (pin_mtu && (rc = np_link_set_mtu(nl, a->name, a->mtu, e)) < 0)
		np_link_delete(nl, a->name, NULL);
	return rc;
}

struct nlmsghdr *np_vlan_msg(void *buf, uint32_t seq, const char *name,
			     int parent_index, uint16_t vid, unsigned int mtu)
{
	struct np_link_attrs a = { .name = name, .mtu = mtu };
	struct vlan_opts o = { parent_index, vid };
	return build(buf, seq, &a, -1, &kind_vlan, &o);
}

int np_link_create_vlan(struct np_nl *nl, const struct np_link_attrs *a,
			const char *parent, uint16_t vid, struct np_err *e)
{
	if (vid < 1 || vid > 4094)
		return np_errmsg(e, -EINVAL, "VLAN \"%s\": id %u is outside 1..4094", a->name, vid);
	int pidx = np_link_resolve_index(nl, parent, "VLAN parent", e);
	if (pidx < 0)
		return pidx;
	struct nlmsghdr *nlh = np_vlan_msg(nl->buf, ++nl->seq, a->name, pidx, vid, a->mtu);
	int rc = np_nl_talk(nl, nlh, NULL, NULL);
	if (rc == -EOPNOTSUPP || (rc == -EINVAL && strstr(nl->extack, "Unknown device type")))
		return np_errmsg(e, rc, "%s: create VLAN \"%s\" (id %u on \"%s\"): this kernel has no 802.1q "
				 "VLAN support (module 8021q)", nl->where, a->name, vid, parent);
	if (rc < 0)
		return np_errf(e, rc, "%s: create VLAN \"%s\" (id %u on \"%s\")%s", nl->where, a->name, vid,
			       parent, np_nl_reason(nl));
	if (a->up)
		rc = np_link_set_up(nl, a->name, true, e);
	return rc;
}
