#include "link.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/if.h>
#include <linux/if_bridge.h>
#include <linux/veth.h>
#include <poll.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	for (size_t i = 0; i < sizeof(macvlan_names) / sizeof(*macvlan_names); i++)
		if (s && !strcmp(s, macvlan_names[i])) {
			*out = (enum np_macvlan_mode)i;
			return 0;
		}
	char q[NP_QUOTE_MAX];
	return np_errmsg(e, -EINVAL, "macvlan mode \"%s\" is unknown: use bridge, private, vepa or passthru",
			 np_quote(s ? s : "", q, sizeof(q)));
}

const char *np_macvlan_mode_name(enum np_macvlan_mode m)
{
	return (unsigned)m < sizeof(macvlan_names) / sizeof(*macvlan_names) ?
		       macvlan_names[m] : "?";
}

/* ---- requests ---------------------------------------------------------- */

static struct ifinfomsg *put_ifinfo(struct nlmsghdr *nlh, int family, int index)
{
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = (unsigned char)family;
	ifi->ifi_index = index;
	return ifi;
}

/* Adds name, MAC, MTU, target namespace and up flag of a. */
static int put_link_attrs(struct nlmsghdr *nlh, struct ifinfomsg *ifi,
			  const struct np_link_attrs *a, int *nsfd,
			  struct np_err *e)
{
	mnl_attr_put_strz(nlh, IFLA_IFNAME, a->name);
	if (a->mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, NP_MAC_LEN, a->mac);
	if (a->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, a->mtu);
	if (a->netns) {
		*nsfd = np_netns_open(a->netns, e);
		if (*nsfd < 0)
			return *nsfd;
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)*nsfd);
	}
	if (a->master_index > 0)
		mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)a->master_index);
	if (a->group)
		mnl_attr_put_u32(nlh, IFLA_GROUP, a->group);
	if (a->up) {
		ifi->ifi_flags |= IFF_UP;
		ifi->ifi_change |= IFF_UP;
	}
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int resolve_index(struct np_nl *nl, const char *name, const char *role,
			 struct np_err *e)
{
	struct np_link_info li;
	struct np_err tmp = { 0 };
	int rc = np_link_get(nl, name, &li, &tmp);
	if (rc == -ENODEV)
		return np_errmsg(e, rc, "%s: %s \"%s\" does not exist", nl->where, role, name);
	if (rc < 0)
		return np_errmsg(e, rc, "%s", tmp.msg);
	return li.ifindex;
}

static int peer_up(struct np_nl *nl, const struct np_link_attrs *peer,
		   struct np_err *e)
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
	int fd_self = -1, fd_peer = -1, rc;
	struct nlmsghdr *nlh = np_nl_request(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg *ifi = put_ifinfo(nlh, AF_UNSPEC, 0);
	rc = put_link_attrs(nlh, ifi, self, &fd_self, e);
	if (rc < 0)
		goto out;
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	struct nlattr *pinfo = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	struct ifinfomsg *pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifi));
	/* put_extra_header grew nlmsg_len, so the nest now covers it. The
	 * peer cannot be opened before its partner exists (the kernel says
	 * ENOTCONN), so "up" is applied to it after creation. */
	struct np_link_attrs peer_now = *peer;
	peer_now.up = false;
	rc = put_link_attrs(nlh, pifi, &peer_now, &fd_peer, e);
	if (rc < 0)
		goto out;
	mnl_attr_nest_end(nlh, pinfo);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	rc = np_nl_talk(nl, nlh, NULL, NULL);
	if (rc < 0) {
		np_errf(e, rc, "%s: create veth \"%s\" with peer \"%s\"%s%s%s", nl->where,
			self->name, peer->name, peer->netns ? " in netns " : "",
			peer->netns ? peer->netns : "", np_nl_reason(nl));
		goto out;
	}
	if (peer->up) {
		rc = peer_up(nl, peer, e);
		if (rc < 0)
			np_link_delete(nl, self->name, NULL);
	}
out:
	close_fd(&fd_self);
	close_fd(&fd_peer);
	return rc;
}

int np_link_create_macvlan(struct np_nl *nl, const struct np_link_attrs *a,
			   const struct np_macvlan_opts *o, struct np_err *e)
{
	if ((unsigned)o->mode >= sizeof(macvlan_kernel_modes) / sizeof(*macvlan_kernel_modes))
		return np_errmsg(e, -EINVAL, "macvlan \"%s\": invalid mode %d", a->name, (int)o->mode);
	int master = o->master_index > 0 ? o->master_index
					 : resolve_index(nl, o->master, "macvlan master", e);
	if (master < 0)
		return master;
	int fd = -1;
	struct nlmsghdr *nlh = np_nl_request(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg *ifi = put_ifinfo(nlh, AF_UNSPEC, 0);
	int rc = put_link_attrs(nlh, ifi, a, &fd, e);
	if (rc < 0)
		return rc;
	mnl_attr_put_u32(nlh, IFLA_LINK, (uint32_t)master);
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "macvlan");
	struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u32(nlh, IFLA_MACVLAN_MODE, macvlan_kernel_modes[o->mode]);
	if (o->bcqueuelen)
		mnl_attr_put_u32(nlh, IFLA_MACVLAN_BC_QUEUE_LEN, o->bcqueuelen);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	rc = np_nl_talk(nl, nlh, NULL, NULL);
	if (rc < 0)
		np_errf(e, rc, "%s: create macvlan \"%s\" (mode %s) on master \"%s\"%s%s%s",
			nl->where, a->name, np_macvlan_mode_name(o->mode), o->master,
			a->netns ? " into netns " : "", a->netns ? a->netns : "",
			np_nl_reason(nl));
	close_fd(&fd);
	return rc;
}

struct nlmsghdr *np_vlan_msg(void *buf, uint32_t seq, const char *name,
			     int parent_index, uint16_t vid, unsigned int mtu)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	nlh->nlmsg_seq = seq;
	put_ifinfo(nlh, AF_UNSPEC, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	mnl_attr_put_u32(nlh, IFLA_LINK, (uint32_t)parent_index);
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "vlan");
	struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u16(nlh, IFLA_VLAN_ID, vid);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return nlh;
}

int np_link_create_vlan(struct np_nl *nl, const struct np_link_attrs *a,
			const char *parent, uint16_t vid, struct np_err *e)
{
	if (vid < 1 || vid > 4094)
		return np_errmsg(e, -EINVAL, "VLAN \"%s\": id %u is outside 1..4094", a->name, vid);
	int pidx = resolve_index(nl, parent, "VLAN parent", e);
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

int np_link_create_bridge(struct np_nl *nl, const struct np_link_attrs *a,
			  struct np_err *e)
{
	int fd = -1;
	/* An MTU given at creation is not "set by the user" for the bridge
	 * driver, which then follows its ports' MTU; setting it afterwards pins
	 * it. Only possible here when the bridge stays in this namespace. */
	struct np_link_attrs now = *a;
	bool pin_mtu = a->mtu && !a->netns;
	if (pin_mtu)
		now.mtu = 0;
	struct nlmsghdr *nlh = np_nl_request(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg *ifi = put_ifinfo(nlh, AF_UNSPEC, 0);
	int rc = put_link_attrs(nlh, ifi, &now, &fd, e);
	if (rc < 0)
		return rc;
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(nlh, info);
	rc = np_nl_talk(nl, nlh, NULL, NULL);
	close_fd(&fd);
	if (rc < 0)
		return np_errf(e, rc, "%s: create bridge \"%s\"%s", nl->where, a->name,
			       np_nl_reason(nl));
	if (pin_mtu) {
		rc = np_link_set_mtu(nl, a->name, a->mtu, e);
		if (rc < 0)
			np_link_delete(nl, a->name, NULL);
	}
	return rc;
}

int np_link_delete(struct np_nl *nl, const char *name, struct np_err *e)
{
	return np_link_delete_index(nl, name, 0, e);
}

int np_link_delete_index(struct np_nl *nl, const char *name, int ifindex, struct np_err *e)
{
	struct nlmsghdr *nlh = np_nl_request(nl, RTM_DELLINK, 0);
	put_ifinfo(nlh, AF_UNSPEC, ifindex);
	if (ifindex <= 0)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	int rc = np_nl_talk(nl, nlh, NULL, NULL);
	if (rc < 0)
		np_errf(e, rc, "%s: delete link \"%s\"%s", nl->where, name, np_nl_reason(nl));
	return rc;
}

/* RTM_NEWLINK on an existing link found by name, with extra attributes
 * added by fill. */
static int modify_link(struct np_nl *nl, const char *name, int index,
		       void (*fill)(struct nlmsghdr *, struct ifinfomsg *, const void *),
		       const void *arg)
{
	struct nlmsghdr *nlh = np_nl_request(nl, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = put_ifinfo(nlh, AF_UNSPEC, index);
	if (!index)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	fill(nlh, ifi, arg);
	return np_nl_talk(nl, nlh, NULL, NULL);
}

static void fill_name(struct nlmsghdr *nlh, struct ifinfomsg *ifi, const void *arg)
{
	(void)ifi;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, arg);
}

int np_link_rename(struct np_nl *nl, const char *name, const char *newname,
		   struct np_err *e)
{
	int index = resolve_index(nl, name, "link", e);
	if (index < 0)
		return index;
	int rc = modify_link(nl, name, index, fill_name, newname);
	if (rc < 0)
		np_errf(e, rc, "%s: rename link \"%s\" to \"%s\"%s", nl->where, name,
			newname, np_nl_reason(nl));
	return rc;
}

struct move_args {
	int nsfd;
	const char *newname;
};

static void fill_move(struct nlmsghdr *nlh, struct ifinfomsg *ifi, const void *arg)
{
	(void)ifi;
	const struct move_args *m = arg;
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)m->nsfd);
	if (m->newname)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, m->newname);
}

int np_link_move(struct np_nl *nl, const char *name, const char *netns_path,
		 const char *newname, struct np_err *e)
{
	int index = resolve_index(nl, name, "link", e);
	if (index < 0)
		return index;
	struct move_args m = { .nsfd = np_netns_open(netns_path, e), .newname = newname };
	if (m.nsfd < 0)
		return m.nsfd;
	int rc = modify_link(nl, name, index, fill_move, &m);
	if (rc < 0)
		np_errf(e, rc, "%s: move link \"%s\" to netns %s%s%s%s", nl->where, name,
			netns_path, newname ? " as " : "", newname ? newname : "",
			np_nl_reason(nl));
	close(m.nsfd);
	return rc;
}

static void fill_mac(struct nlmsghdr *nlh, struct ifinfomsg *ifi, const void *arg)
{
	(void)ifi;
	mnl_attr_put(nlh, IFLA_ADDRESS, NP_MAC_LEN, arg);
}

int np_link_set_mac(struct np_nl *nl, const char *name,
		    const uint8_t mac[NP_MAC_LEN], struct np_err *e)
{
	int rc = modify_link(nl, name, 0, fill_mac, mac);
	if (rc < 0) {
		char s[NP_MAC_STRLEN];
		np_errf(e, rc, "%s: set MAC of \"%s\" to %s%s", nl->where, name,
			np_mac_str(mac, s, sizeof(s)), np_nl_reason(nl));
	}
	return rc;
}

static void fill_alias(struct nlmsghdr *nlh, struct ifinfomsg *ifi, const void *arg)
{
	(void)ifi;
	mnl_attr_put_strz(nlh, IFLA_IFALIAS, arg);
}

int np_link_set_alias(struct np_nl *nl, const char *name, int ifindex,
		      const char *alias, struct np_err *e)
{
	if (strlen(alias) >= NP_IFALIAS_MAX)
		return np_errmsg(e, -EINVAL, "alias for \"%s\" is longer than %d bytes", name,
				 NP_IFALIAS_MAX - 1);
	int rc = modify_link(nl, name, ifindex, fill_alias, alias);
	if (rc < 0)
		np_errf(e, rc, "%s: set alias of \"%s\"%s", nl->where, name, np_nl_reason(nl));
	return rc;
}

static void fill_mtu(struct nlmsghdr *nlh, struct ifinfomsg *ifi, const void *arg)
{
	(void)ifi;
	mnl_attr_put_u32(nlh, IFLA_MTU, *(const unsigned int *)arg);
}

int np_link_set_mtu(struct np_nl *nl, const char *name, unsigned int mtu,
		    struct np_err *e)
{
	int rc = modify_link(nl, name, 0, fill_mtu, &mtu);
	if (rc < 0)
		np_errf(e, rc, "%s: set MTU of \"%s\" to %u%s", nl->where, name, mtu,
			np_nl_reason(nl));
	return rc;
}

static void fill_up(struct nlmsghdr *nlh, struct ifinfomsg *ifi, const void *arg)
{
	(void)nlh;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = *(const bool *)arg ? IFF_UP : 0;
}

int np_link_set_up(struct np_nl *nl, const char *name, bool up, struct np_err *e)
{
	int rc = modify_link(nl, name, 0, fill_up, &up);
	if (rc < 0)
		np_errf(e, rc, "%s: set \"%s\" %s%s", nl->where, name, up ? "up" : "down",
			np_nl_reason(nl));
	return rc;
}

static void fill_master(struct nlmsghdr *nlh, struct ifinfomsg *ifi, const void *arg)
{
	(void)ifi;
	mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)*(const int *)arg);
}

int np_link_set_master(struct np_nl *nl, const char *name, const char *master,
		       struct np_err *e)
{
	int index = 0;
	if (master) {
		index = resolve_index(nl, master, "master", e);
		if (index < 0)
			return index;
	}
	int rc = modify_link(nl, name, 0, fill_master, &index);
	if (rc < 0)
		np_errf(e, rc, "%s: %s \"%s\"%s%s%s", nl->where,
			master ? "enslave" : "release", name, master ? " to " : "",
			master ? master : "", np_nl_reason(nl));
	return rc;
}

int np_bridge_port_set(struct np_nl *nl, const char *port,
		       const struct np_brport_opts *o, struct np_err *e)
{
	int index = resolve_index(nl, port, "bridge port", e);
	if (index < 0)
		return index;
	struct nlmsghdr *nlh = np_nl_request(nl, RTM_SETLINK, 0);
	put_ifinfo(nlh, AF_BRIDGE, index);
	struct nlattr *pi = mnl_attr_nest_start(nlh, IFLA_PROTINFO);
	if (o->hairpin >= 0)
		mnl_attr_put_u8(nlh, IFLA_BRPORT_MODE, (uint8_t)o->hairpin);
	if (o->learning >= 0)
		mnl_attr_put_u8(nlh, IFLA_BRPORT_LEARNING, (uint8_t)o->learning);
	if (o->isolated >= 0)
		mnl_attr_put_u8(nlh, IFLA_BRPORT_ISOLATED, (uint8_t)o->isolated);
	if (o->flood_unicast >= 0)
		mnl_attr_put_u8(nlh, IFLA_BRPORT_UNICAST_FLOOD, (uint8_t)o->flood_unicast);
	mnl_attr_nest_end(nlh, pi);
	int rc = np_nl_talk(nl, nlh, NULL, NULL);
	if (rc < 0)
		np_errf(e, rc, "%s: set bridge port flags on \"%s\"%s", nl->where, port,
			np_nl_reason(nl));
	return rc;
}

static struct nlmsghdr *ipv4_conf_msg(void *buf, uint32_t seq, int ifindex, int key,
				       uint32_t value)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	put_ifinfo(nlh, AF_UNSPEC, ifindex);
	struct nlattr *spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	struct nlattr *inet = mnl_attr_nest_start(nlh, AF_INET);
	struct nlattr *conf = mnl_attr_nest_start(nlh, IFLA_INET_CONF);
	mnl_attr_put_u32(nlh, (uint16_t)key, value);
	mnl_attr_nest_end(nlh, conf);
	mnl_attr_nest_end(nlh, inet);
	mnl_attr_nest_end(nlh, spec);
	return nlh;
}

int np_link_set_ipv4_conf(struct np_nl *nl, int ifindex, const char *name, int key,
			  uint32_t value, struct np_err *e)
{
	struct nlmsghdr *nlh = ipv4_conf_msg(nl->buf, ++nl->seq, ifindex, key, value);
	int rc = np_nl_talk(nl, nlh, NULL, NULL);
	if (rc < 0)
		np_errf(e, rc, "%s: set IPv4 setting %d of \"%s\" to %u%s", nl->where, key, name, value,
			np_nl_reason(nl));
	return rc;
}

struct flag_arg {
	unsigned int flag;
	bool on;
};

static void fill_flag(struct nlmsghdr *nlh, struct ifinfomsg *ifi, const void *arg)
{
	(void)nlh;
	const struct flag_arg *f = arg;
	ifi->ifi_change = f->flag;
	ifi->ifi_flags = f->on ? f->flag : 0;
}

int np_link_set_flag(struct np_nl *nl, const char *name, unsigned int flag,
		     bool on, struct np_err *e)
{
	struct flag_arg f = { flag, on };
	int rc = modify_link(nl, name, 0, fill_flag, &f);
	if (rc < 0)
		np_errf(e, rc, "%s: %s flag 0x%x on \"%s\"%s", nl->where, on ? "set" : "clear",
			flag, name, np_nl_reason(nl));
	return rc;
}

struct nlmsghdr *np_bridge_vlan_filtering_msg(void *buf, uint32_t seq,
					      const char *bridge, bool on)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	put_ifinfo(nlh, AF_UNSPEC, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, bridge);
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u8(nlh, IFLA_BR_VLAN_FILTERING, on ? 1 : 0);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return nlh;
}

int np_bridge_set_vlan_filtering(struct np_nl *nl, const char *bridge, bool on,
				 struct np_err *e)
{
	struct nlmsghdr *nlh = np_bridge_vlan_filtering_msg(nl->buf, ++nl->seq, bridge, on);
	nl->extack[0] = '\0';
	int rc = np_nl_talk(nl, nlh, NULL, NULL);
	if (rc < 0 && on && !nl->extack[0] && (rc == -EOPNOTSUPP || rc == -EINVAL))
		return np_errmsg(e, rc, "%s: bridge \"%s\": VLAN filtering is not available on this kernel "
				 "(CONFIG_BRIDGE_VLAN_FILTERING is off), so \"vlan\"/\"vlanTrunk\" cannot be used",
				 nl->where, bridge);
	if (rc < 0)
		np_errf(e, rc, "%s: turn VLAN filtering %s on bridge \"%s\"%s", nl->where,
			on ? "on" : "off", bridge, np_nl_reason(nl));
	return rc;
}

struct nlmsghdr *np_bridge_vlan_msg(void *buf, uint32_t seq, int port_index,
				    uint16_t vid, bool pvid, bool untagged, bool del)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = del ? RTM_DELLINK : RTM_SETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	put_ifinfo(nlh, AF_BRIDGE, port_index);
	struct nlattr *spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	struct bridge_vlan_info vi = {
		.flags = (uint16_t)((pvid ? BRIDGE_VLAN_INFO_PVID : 0) |
				    (untagged ? BRIDGE_VLAN_INFO_UNTAGGED : 0)),
		.vid = vid,
	};
	mnl_attr_put(nlh, IFLA_BRIDGE_VLAN_INFO, sizeof(vi), &vi);
	mnl_attr_nest_end(nlh, spec);
	return nlh;
}

int np_bridge_vlan(struct np_nl *nl, const char *port, uint16_t vid, bool pvid,
		   bool untagged, bool del, struct np_err *e)
{
	if (vid < 1 || vid > 4094)
		return np_errmsg(e, -EINVAL, "VLAN %u on \"%s\": VLAN IDs are 1..4094", vid, port);
	int index = resolve_index(nl, port, "bridge port", e);
	if (index < 0)
		return index;
	struct nlmsghdr *nlh = np_bridge_vlan_msg(nl->buf, ++nl->seq, index, vid, pvid, untagged, del);
	int rc = np_nl_talk(nl, nlh, NULL, NULL);
	if (rc < 0)
		np_errf(e, rc, "%s: %s VLAN %u %s bridge port \"%s\"%s", nl->where,
			del ? "remove" : "add", vid, del ? "from" : "on", port, np_nl_reason(nl));
	return rc;
}

static int oper_cb(const struct nlmsghdr *nlh, void *arg)
{
	int *state = arg; /* in: ifindex (negative), out: operstate */
	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	if (ifi->ifi_index != -state[0])
		return MNL_CB_OK;
	const struct nlattr *attr;
	mnl_attr_for_each(attr, nlh, sizeof(*ifi))
		if (mnl_attr_get_type(attr) == IFLA_OPERSTATE)
			state[1] = mnl_attr_get_u8(attr);
	return MNL_CB_OK;
}

int np_link_wait_up(const char *netns, const char *name, int timeout_ms,
		    struct np_err *e)
{
	struct np_nl *nl = np_nl_alloc();
	if (!nl)
		return np_errmsg(e, -ENOMEM, "wait for \"%s\": out of memory", name);
	int rc = np_nl_open(nl, netns, e);
	if (rc < 0) {
		free(nl);
		return rc;
	}
	/* Subscribe first, then read the current state: no change can slip
	 * between the two. */
	unsigned int group = RTNLGRP_LINK;
	struct np_link_info li;
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
		rc = np_errf(e, -errno, "%s: subscribe to link events", nl->where);
		goto out;
	}
	rc = np_link_get(nl, name, &li, e);
	if (rc < 0 || li.operstate == IF_OPER_UP)
		goto out;
	int state[2] = { -li.ifindex, li.operstate };
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		long left = timeout_ms - ((now.tv_sec - start.tv_sec) * 1000 +
					  (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0) {
			rc = np_errmsg(e, -ETIMEDOUT, "%s: \"%s\" did not come up within %d ms (bridge port in error state?)",
				       nl->where, name, timeout_ms);
			break;
		}
		struct pollfd pfd = { mnl_socket_get_fd(nl->sock), POLLIN, 0 };
		int p = poll(&pfd, 1, (int)left);
		if (p < 0 && errno != EINTR) {
			rc = np_errf(e, -errno, "%s: wait for \"%s\"", nl->where, name);
			break;
		}
		if (p <= 0)
			continue;
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (n < 0) {
			if (errno == ENOBUFS) { /* events were dropped: ask again */
				if ((rc = np_link_get(nl, name, &li, e)) < 0 || li.operstate == IF_OPER_UP)
					break;
				continue;
			}
			rc = np_errf(e, -errno, "%s: read link events", nl->where);
			break;
		}
		mnl_cb_run(nl->buf, (size_t)n, 0, 0, oper_cb, state);
		if (state[1] == IF_OPER_UP) {
			rc = 0;
			break;
		}
	}
out:
	np_nl_close(nl);
	free(nl);
	return rc;
}

/* ---- reading state: RTM_NEWLINK parsed in place ----------------------- */

static uint32_t attr_u32(const struct nlattr *a)
{
	return mnl_attr_get_payload_len(a) >= sizeof(uint32_t) ? mnl_attr_get_u32(a) : 0;
}

static void copy_str(char *out, size_t len, const struct nlattr *a)
{
	size_t n = mnl_attr_get_payload_len(a);
	const char *p = mnl_attr_get_payload(a);
	n = strnlen(p, n);
	if (n >= len)
		n = len - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* IFLA_INFO_DATA of the kinds np_link_info reports on. */
static void parse_info_data(const struct nlattr *data, struct np_link_info *out)
{
	bool vlan = !strcmp(out->kind, "vlan");
	bool macvlan = !strcmp(out->kind, "macvlan") || !strcmp(out->kind, "macvtap");
	const struct nlattr *a;
	mnl_attr_for_each_nested(a, data) {
		uint16_t type = mnl_attr_get_type(a);
		if (vlan && type == IFLA_VLAN_ID && mnl_attr_get_payload_len(a) >= sizeof(uint16_t))
			out->vlan_id = mnl_attr_get_u16(a);
		if (macvlan && type == IFLA_MACVLAN_MODE && mnl_attr_get_payload_len(a) >= sizeof(uint32_t)) {
			uint32_t m = mnl_attr_get_u32(a);
			for (size_t i = 0; i < sizeof(macvlan_kernel_modes) / sizeof(*macvlan_kernel_modes); i++)
				if (macvlan_kernel_modes[i] == m)
					out->macvlan_mode = (int)i;
		}
	}
}

static void parse_linkinfo(const struct nlattr *info, struct np_link_info *out)
{
	const struct nlattr *a, *data = NULL;
	mnl_attr_for_each_nested(a, info) {
		if (mnl_attr_get_type(a) == IFLA_INFO_KIND)
			copy_str(out->kind, sizeof(out->kind), a);
		else if (mnl_attr_get_type(a) == IFLA_INFO_DATA)
			data = a;
	}
	/* the kind comes first in practice, but nothing says it must */
	if (data && out->kind[0])
		parse_info_data(data, out);
}

int np_link_parse(const struct nlmsghdr *nlh, struct np_link_info *out)
{
	/* libmnl walks attributes up to the aligned end of the message: an
	 * unaligned length (which the kernel never sends) would let it read
	 * past nlmsg_len. */
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ifinfomsg) ||
	    nlh->nlmsg_len != MNL_ALIGN(nlh->nlmsg_len))
		return -EBADMSG;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	memset(out, 0, sizeof(*out));
	out->ifindex = ifi->ifi_index;
	out->flags = ifi->ifi_flags;
	out->link_netnsid = -1;
	out->macvlan_mode = -1;
	out->vlan_id = -1;
	const struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(*ifi)) {
		switch (mnl_attr_get_type(a)) {
		case IFLA_IFNAME:
			copy_str(out->name, sizeof(out->name), a);
			break;
		case IFLA_ADDRESS:
			if (mnl_attr_get_payload_len(a) <= sizeof(out->mac)) {
				out->mac_len = mnl_attr_get_payload_len(a);
				memcpy(out->mac, mnl_attr_get_payload(a), out->mac_len);
			}
			break;
		case IFLA_IFALIAS:
			copy_str(out->alias, sizeof(out->alias), a);
			break;
		case IFLA_MTU: out->mtu = attr_u32(a); break;
		case IFLA_GROUP: out->group = attr_u32(a); break;
		case IFLA_MASTER: out->master = (int)attr_u32(a); break;
		case IFLA_LINK: out->link = (int)attr_u32(a); break;
		case IFLA_LINK_NETNSID:
			if (mnl_attr_get_payload_len(a) >= sizeof(int32_t))
				out->link_netnsid = (int32_t)mnl_attr_get_u32(a);
			break;
		case IFLA_OPERSTATE:
			if (mnl_attr_get_payload_len(a) >= 1)
				out->operstate = mnl_attr_get_u8(a);
			break;
		case IFLA_LINKINFO:
			parse_linkinfo(a, out);
			break;
		}
	}
	return out->ifindex > 0 ? 0 : -EBADMSG;
}

static int one_link_cb(const struct nlmsghdr *nlh, void *arg)
{
	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	int rc = np_link_parse(nlh, arg);
	return rc < 0 ? rc : MNL_CB_OK;
}

static int get_link(struct np_nl *nl, const char *name, int ifindex,
		    struct np_link_info *out)
{
	struct nlmsghdr *nlh = np_nl_request(nl, RTM_GETLINK, 0);
	put_ifinfo(nlh, AF_UNSPEC, ifindex);
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	/* Skip per-VF and statistics blocks that can be large. */
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	out->ifindex = 0;
	int rc = np_nl_talk(nl, nlh, one_link_cb, out);
	if (rc == 0 && !out->ifindex)
		rc = -ENODEV;
	return rc;
}

int np_link_get(struct np_nl *nl, const char *name, struct np_link_info *out,
		struct np_err *e)
{
	int rc = get_link(nl, name, 0, out);
	if (rc == -ENODEV)
		return np_errmsg(e, rc, "%s: link \"%s\" does not exist", nl->where, name);
	if (rc < 0)
		return np_errf(e, rc, "%s: read link \"%s\"%s", nl->where, name, np_nl_reason(nl));
	return 0;
}

int np_link_get_by_index(struct np_nl *nl, int ifindex,
			 struct np_link_info *out, struct np_err *e)
{
	int rc = get_link(nl, NULL, ifindex, out);
	if (rc == -ENODEV)
		return np_errmsg(e, rc, "%s: no link with index %d", nl->where, ifindex);
	if (rc < 0)
		return np_errf(e, rc, "%s: read link %d%s", nl->where, ifindex, np_nl_reason(nl));
	return 0;
}

struct list_ctx {
	int (*cb)(const struct np_link_info *, void *);
	void *arg;
};

static int list_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct list_ctx *c = arg;
	struct np_link_info li;
	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	int rc = np_link_parse(nlh, &li);
	if (rc < 0)
		return rc;
	rc = c->cb(&li, c->arg);
	return rc < 0 ? rc : MNL_CB_OK;
}

int np_link_list(struct np_nl *nl,
		 int (*cb)(const struct np_link_info *l, void *arg), void *arg,
		 struct np_err *e)
{
	struct nlmsghdr *nlh = np_nl_request(nl, RTM_GETLINK, NLM_F_DUMP);
	put_ifinfo(nlh, AF_UNSPEC, 0);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	struct list_ctx c = { cb, arg };
	int rc = np_nl_talk(nl, nlh, list_cb, &c);
	if (rc < 0)
		np_errf(e, rc, "%s: list links%s", nl->where, np_nl_reason(nl));
	return rc;
}
