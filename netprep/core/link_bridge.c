/* Bridge ports and bridge VLANs: port flags, VLAN filtering, a port's
 * VLANs (with the exact requests exposed for byte-by-byte tests). */
#include "link.h"

#include <errno.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <string.h>

#include "link_msg.h"

int np_bridge_port_set(struct np_nl *nl, const char *port,
		       const struct np_brport_opts *o, struct np_err *e)
{
	int index = np_link_resolve_index(nl, port, "bridge port", e);
	if (index < 0)
		return index;
	struct nlmsghdr *nlh = np_nl_request(nl, RTM_SETLINK, 0);
	np_link_put_ifinfo(nlh, AF_BRIDGE, index);
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

struct nlmsghdr *np_bridge_vlan_filtering_msg(void *buf, uint32_t seq,
					      const char *bridge, bool on)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	np_link_put_ifinfo(nlh, AF_UNSPEC, 0);
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
	np_link_put_ifinfo(nlh, AF_BRIDGE, port_index);
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
	int index = np_link_resolve_index(nl, port, "bridge port", e);
	if (index < 0)
		return index;
	struct nlmsghdr *nlh = np_bridge_vlan_msg(nl->buf, ++nl->seq, index, vid, pvid, untagged, del);
	int rc = np_nl_talk(nl, nlh, NULL, NULL);
	if (rc < 0)
		np_errf(e, rc, "%s: %s VLAN %u %s bridge port \"%s\"%s", nl->where,
			del ? "remove" : "add", vid, del ? "from" : "on", port, np_nl_reason(nl));
	return rc;
}
