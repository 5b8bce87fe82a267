#include "route.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>

#include "link.h"

const char *np_route_str(const struct np_route *r, char *buf, size_t len)
{
	char d[NP_PREFIX_STRLEN], g[NP_PREFIX_STRLEN];
	if (r->dst.len == 0)
		snprintf(d, sizeof(d), "default");
	else
		np_prefix_str(&r->dst, d, sizeof(d));
	snprintf(buf, len, "%s%s%s", d, r->has_gw ? " via " : "",
		 r->has_gw ? np_ip_str(&r->gw, g, sizeof(g)) : "");
	return buf;
}

static struct nlmsghdr *route_request(struct np_nl *nl, uint16_t type,
				      uint16_t flags, int ifindex,
				      const struct np_route *r)
{
	struct nlmsghdr *nlh = np_nl_request(nl, type, flags);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)r->dst.ip.family;
	rtm->rtm_dst_len = r->dst.len;
	rtm->rtm_table = r->table && r->table < 256 ? (unsigned char)r->table : RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_type = RTN_UNICAST;
	rtm->rtm_scope = r->scope ? r->scope :
			 (!r->has_gw && type == RTM_NEWROUTE ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE);
	if (type == RTM_DELROUTE)
		rtm->rtm_scope = RT_SCOPE_NOWHERE; /* matches any scope */
	size_t alen = np_ip_len(r->dst.ip.family);
	if (r->dst.len) {
		struct np_ip net;
		np_prefix_network(&r->dst, &net);
		mnl_attr_put(nlh, RTA_DST, alen, net.addr);
	}
	if (r->has_gw)
		mnl_attr_put(nlh, RTA_GATEWAY, np_ip_len(r->gw.family), r->gw.addr);
	if (ifindex)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	if (r->metric)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, r->metric);
	if (r->table >= 256)
		mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
	if (r->mtu) {
		struct nlattr *m = mnl_attr_nest_start(nlh, RTA_METRICS);
		mnl_attr_put_u32(nlh, RTAX_MTU, r->mtu);
		mnl_attr_nest_end(nlh, m);
	}
	return nlh;
}

static int route_op(struct np_nl *nl, uint16_t type, uint16_t flags,
		    const char *ifname, const struct np_route *r,
		    const char *verb, struct np_err *e)
{
	char s[128];
	int ifindex = r->ifindex;
	if (ifname) {
		struct np_link_info li;
		int rc = np_link_get(nl, ifname, &li, e);
		if (rc < 0)
			return rc;
		ifindex = li.ifindex;
	}
	struct nlmsghdr *nlh = route_request(nl, type, flags, ifindex, r);
	int rc = np_nl_talk(nl, nlh, NULL, NULL);
	if (rc < 0)
		np_errf(e, rc, "%s: %s route %s%s%s%s", nl->where, verb,
			np_route_str(r, s, sizeof(s)), ifname ? " dev " : "",
			ifname ? ifname : "", np_nl_reason(nl));
	return rc;
}

int np_route_add(struct np_nl *nl, const char *ifname, const struct np_route *r,
		 struct np_err *e)
{
	return route_op(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, ifname, r, "add", e);
}

int np_route_del(struct np_nl *nl, const char *ifname, const struct np_route *r,
		 struct np_err *e)
{
	return route_op(nl, RTM_DELROUTE, 0, ifname, r, "delete", e);
}

struct list_ctx {
	int (*cb)(const struct np_route *, void *);
	void *arg;
};

static int list_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct list_ctx *c = arg;
	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_type != RTN_UNICAST)
		return MNL_CB_OK;
	size_t alen = np_ip_len(rtm->rtm_family);
	if (!alen)
		return MNL_CB_OK;
	struct np_route r = {
		.dst = { .ip = { .family = rtm->rtm_family }, .len = rtm->rtm_dst_len },
		.table = rtm->rtm_table,
		.scope = rtm->rtm_scope,
		.protocol = rtm->rtm_protocol,
	};
	const struct nlattr *attr;
	mnl_attr_for_each(attr, nlh, sizeof(*rtm)) {
		size_t plen = mnl_attr_get_payload_len(attr);
		switch (mnl_attr_get_type(attr)) {
		case RTA_DST:
			if (plen == alen)
				memcpy(r.dst.ip.addr, mnl_attr_get_payload(attr), alen);
			break;
		case RTA_GATEWAY:
			if (plen == alen) {
				r.has_gw = true;
				r.gw.family = rtm->rtm_family;
				memcpy(r.gw.addr, mnl_attr_get_payload(attr), alen);
			}
			break;
		case RTA_OIF:
			if (plen == 4)
				r.ifindex = (int)mnl_attr_get_u32(attr);
			break;
		case RTA_PRIORITY:
			if (plen == 4)
				r.metric = mnl_attr_get_u32(attr);
			break;
		case RTA_TABLE:
			if (plen == 4)
				r.table = mnl_attr_get_u32(attr);
			break;
		}
	}
	if (r.table != RT_TABLE_MAIN)
		return MNL_CB_OK;
	int rc = c->cb(&r, c->arg);
	return rc < 0 ? rc : MNL_CB_OK;
}

int np_route_list(struct np_nl *nl, int family,
		  int (*cb)(const struct np_route *r, void *arg), void *arg,
		  struct np_err *e)
{
	struct nlmsghdr *nlh = np_nl_request(nl, RTM_GETROUTE, NLM_F_DUMP);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)family;
	struct list_ctx c = { cb, arg };
	int rc = np_nl_talk(nl, nlh, list_cb, &c);
	if (rc < 0)
		np_errf(e, rc, "%s: list routes", nl->where);
	return rc;
}
