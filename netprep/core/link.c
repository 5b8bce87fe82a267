/* Links once they exist: delete, rename, move, set MAC/MTU/alias/up/
 * master/flags and IPv4 settings, and read their state. Creation is in
 * link_create.c, bridge ports and VLANs in link_bridge.c, waiting for UP
 * in link_wait.c. */
#include "link.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "link_msg.h"
#include "netns.h"

/* ---- requests ---------------------------------------------------------- */

struct ifinfomsg *np_link_put_ifinfo(struct nlmsghdr *nlh, int family, int index)
{
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = (unsigned char)family;
	ifi->ifi_index = index;
	return ifi;
}

int np_link_resolve_index(struct np_nl *nl, const char *name, const char *role,
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

int np_link_delete(struct np_nl *nl, const char *name, struct np_err *e)
{
	return np_link_delete_index(nl, name, 0, e);
}

int np_link_delete_index(struct np_nl *nl, const char *name, int ifindex, struct np_err *e)
{
	struct nlmsghdr *nlh = np_nl_request(nl, RTM_DELLINK, 0);
	np_link_put_ifinfo(nlh, AF_UNSPEC, ifindex);
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
	struct ifinfomsg *ifi = np_link_put_ifinfo(nlh, AF_UNSPEC, index);
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
	int index = np_link_resolve_index(nl, name, "link", e);
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
	int index = np_link_resolve_index(nl, name, "link", e);
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
		index = np_link_resolve_index(nl, master, "master", e);
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

static struct nlmsghdr *ipv4_conf_msg(void *buf, uint32_t seq, int ifindex, int key,
				       uint32_t value)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	np_link_put_ifinfo(nlh, AF_UNSPEC, ifindex);
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
			out->macvlan_mode = np_macvlan_mode_from_kernel(mnl_attr_get_u32(a));
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
	np_link_put_ifinfo(nlh, AF_UNSPEC, ifindex);
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
	np_link_put_ifinfo(nlh, AF_UNSPEC, 0);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	struct list_ctx c = { cb, arg };
	int rc = np_nl_talk(nl, nlh, list_cb, &c);
	if (rc < 0)
		np_errf(e, rc, "%s: list links%s", nl->where, np_nl_reason(nl));
	return rc;
}
