#include "addr.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "link.h"

static int ifindex_of(struct np_nl *nl, const char *ifname, struct np_err *e)
{
	struct np_link_info li;
	int rc = np_link_get(nl, ifname, &li, e);
	return rc < 0 ? rc : li.ifindex;
}

static struct nlmsghdr *addr_request(struct np_nl *nl, uint16_t type,
				     uint16_t flags, int ifindex,
				     const struct np_prefix *p)
{
	struct nlmsghdr *nlh = np_nl_request(nl, type, flags);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (unsigned char)p->ip.family;
	ifa->ifa_prefixlen = p->len;
	ifa->ifa_index = (unsigned)ifindex;
	size_t alen = np_ip_len(p->ip.family);
	mnl_attr_put(nlh, IFA_LOCAL, alen, p->ip.addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, p->ip.addr);
	return nlh;
}

int np_addr_add(struct np_nl *nl, const char *ifname, const struct np_prefix *p,
		unsigned int flags, struct np_err *e)
{
	int ifindex = ifindex_of(nl, ifname, e);
	if (ifindex < 0)
		return ifindex;
	return np_addr_add_index(nl, ifindex, ifname, p, flags, e);
}

int np_addr_add_index(struct np_nl *nl, int ifindex, const char *ifname,
		      const struct np_prefix *p, unsigned int flags, struct np_err *e)
{
	char s[NP_PREFIX_STRLEN];
	struct nlmsghdr *nlh = addr_request(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL,
					    ifindex, p);
	if (p->ip.family == AF_INET && p->len < 31) {
		/* Same broadcast `ip addr add ... brd +` would compute. */
		uint8_t brd[4];
		memcpy(brd, p->ip.addr, 4);
		for (unsigned i = p->len; i < 32; i++)
			brd[i / 8] |= (uint8_t)(0x80 >> (i % 8));
		mnl_attr_put(nlh, IFA_BROADCAST, 4, brd);
	}
	if ((flags & NP_ADDR_NODAD) && p->ip.family == AF_INET6) {
		struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
		ifa->ifa_flags |= IFA_F_NODAD;
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	}
	int rc = np_nl_talk(nl, nlh, NULL, NULL);
	if (rc < 0)
		np_errf(e, rc, "%s: add address %s to \"%s\"%s", nl->where,
			np_prefix_str(p, s, sizeof(s)), ifname, np_nl_reason(nl));
	return rc;
}

int np_addr_del(struct np_nl *nl, const char *ifname, const struct np_prefix *p,
		struct np_err *e)
{
	char s[NP_PREFIX_STRLEN];
	int ifindex = ifindex_of(nl, ifname, e);
	if (ifindex < 0)
		return ifindex;
	struct nlmsghdr *nlh = addr_request(nl, RTM_DELADDR, 0, ifindex, p);
	int rc = np_nl_talk(nl, nlh, NULL, NULL);
	if (rc < 0)
		np_errf(e, rc, "%s: delete address %s from \"%s\"%s", nl->where,
			np_prefix_str(p, s, sizeof(s)), ifname, np_nl_reason(nl));
	return rc;
}

struct list_ctx {
	int ifindex;
	int (*cb)(const struct np_addr_info *, void *);
	void *arg;
};

static int list_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct list_ctx *c = arg;
	if (nlh->nlmsg_type != RTM_NEWADDR)
		return MNL_CB_OK;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	if (c->ifindex && (int)ifa->ifa_index != c->ifindex)
		return MNL_CB_OK;
	struct np_addr_info ai = {
		.ifindex = (int)ifa->ifa_index,
		.scope = ifa->ifa_scope,
		.flags = ifa->ifa_flags,
	};
	ai.prefix.ip.family = ifa->ifa_family;
	ai.prefix.len = ifa->ifa_prefixlen;
	size_t alen = np_ip_len(ifa->ifa_family);
	const struct nlattr *attr, *local = NULL, *address = NULL;
	mnl_attr_for_each(attr, nlh, sizeof(*ifa)) {
		switch (mnl_attr_get_type(attr)) {
		case IFA_LOCAL: local = attr; break;
		case IFA_ADDRESS: address = attr; break;
		case IFA_FLAGS:
			if (mnl_attr_get_payload_len(attr) >= 4)
				ai.flags = mnl_attr_get_u32(attr);
			break;
		}
	}
	/* IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer
	 * on point-to-point links and the only one given for IPv6. */
	const struct nlattr *use = local ? local : address;
	if (!alen || !use || mnl_attr_get_payload_len(use) != alen)
		return MNL_CB_OK;
	memcpy(ai.prefix.ip.addr, mnl_attr_get_payload(use), alen);
	int rc = c->cb(&ai, c->arg);
	return rc < 0 ? rc : MNL_CB_OK;
}

int np_addr_list(struct np_nl *nl, const char *ifname, int family,
		 int (*cb)(const struct np_addr_info *a, void *arg), void *arg,
		 struct np_err *e)
{
	struct list_ctx c = { 0, cb, arg };
	if (ifname) {
		c.ifindex = ifindex_of(nl, ifname, e);
		if (c.ifindex < 0)
			return c.ifindex;
	}
	struct nlmsghdr *nlh = np_nl_request(nl, RTM_GETADDR, NLM_F_DUMP);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (unsigned char)family;
	int rc = np_nl_talk(nl, nlh, list_cb, &c);
	if (rc < 0)
		np_errf(e, rc, "%s: list addresses%s%s%s", nl->where,
			ifname ? " of \"" : "", ifname ? ifname : "", ifname ? "\"" : "");
	return rc;
}
