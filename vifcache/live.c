#include "live.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "addr.h"
#include "link.h"
#include "route.h"

struct collect {
	struct vc_live *l;
	int ifindex;
};

static int addr_cb(const struct np_addr_info *a, void *arg)
{
	struct collect *c = arg;
	struct vc_record *r = &c->l->net;
	if (a->ifindex != c->ifindex || !np_ip_is_global_unicast(&a->prefix.ip) ||
	    r->n_ips == VC_MAX_IPS)
		return 0;
	r->ips[r->n_ips++] = a->prefix;
	return 0;
}

static int route_cb(const struct np_route *rt, void *arg)
{
	struct collect *c = arg;
	struct vc_record *r = &c->l->net;
	/* the subnet route the kernel adds with each address is not state a
	 * record carries */
	if (rt->ifindex != c->ifindex || rt->protocol == RTPROT_KERNEL ||
	    (rt->dst.ip.family == AF_INET6 && rt->dst.len == 64 && !rt->has_gw) ||
	    r->n_routes == VC_MAX_ROUTES)
		return 0;
	struct vc_route *vr = &r->routes[r->n_routes++];
	vr->dst = rt->dst;
	np_prefix_network(&rt->dst, &vr->dst.ip);
	vr->has_gw = rt->has_gw;
	vr->gw = rt->gw;
	if (rt->has_gw && r->n_gws < VC_MAX_GWS) {
		bool seen = false;
		for (int i = 0; i < r->n_gws; i++)
			seen |= np_ip_equal(&r->gws[i], &rt->gw);
		if (!seen)
			r->gws[r->n_gws++] = rt->gw;
	}
	return 0;
}

int vc_live_read(const char *netns_path, const char *ifname, struct vc_live *out,
		 struct np_err *e)
{
	memset(out, 0, sizeof(*out));
	struct np_nl *nl = np_nl_alloc();
	if (!nl)
		return np_errmsg(e, -ENOMEM, "out of memory");
	int rc = np_nl_open(nl, netns_path, e);
	if (rc < 0) {
		free(nl);
		return rc;
	}
	struct np_link_info li;
	rc = np_link_get(nl, ifname, &li, e);
	if (rc == 0) {
		struct collect c = { out, li.ifindex };
		memcpy(out->net.mac, li.mac, NP_MAC_LEN);
		out->net.has_mac = li.mac_len == NP_MAC_LEN;
		out->net.mtu = li.mtu;
		out->up = (li.flags & IFF_UP) != 0;
		rc = np_addr_list(nl, ifname, AF_UNSPEC, addr_cb, &c, e);
		if (rc == 0)
			rc = np_route_list(nl, AF_UNSPEC, route_cb, &c, e);
	}
	np_nl_close(nl);
	free(nl);
	if (rc == 0 && netns_path) {
		struct stat st;
		if (stat(netns_path, &st) == 0)
			out->netns_inode = (unsigned long long)st.st_ino;
	}
	return rc;
}

static bool has_ip(const struct vc_record *r, const struct np_prefix *p)
{
	for (int i = 0; i < r->n_ips; i++)
		if (np_ip_equal(&r->ips[i].ip, &p->ip) && r->ips[i].len == p->len)
			return true;
	return false;
}

static bool has_route(const struct vc_record *r, const struct vc_route *want)
{
	for (int i = 0; i < r->n_routes; i++) {
		const struct vc_route *x = &r->routes[i];
		struct np_ip a, b;
		np_prefix_network(&x->dst, &a);
		np_prefix_network(&want->dst, &b);
		if (x->dst.len == want->dst.len && np_ip_equal(&a, &b) &&
		    (!want->has_gw || (x->has_gw && np_ip_equal(&x->gw, &want->gw))))
			return true;
	}
	return false;
}

#define DIFF(...) do { \
	if (off < len) off += (size_t)snprintf(buf + off, len - off, __VA_ARGS__); \
	n++; \
} while (0)

int vc_live_compare(const struct vc_record *r, const struct vc_live *l, char *buf,
		    size_t len)
{
	char a[NP_PREFIX_STRLEN], b[NP_PREFIX_STRLEN];
	size_t off = 0;
	int n = 0;
	if (len)
		buf[0] = '\0';
	if (r->has_mac && memcmp(r->mac, l->net.mac, NP_MAC_LEN))
		DIFF("MAC: record %s, live %s\n", np_mac_str(r->mac, a, sizeof(a)),
		     np_mac_str(l->net.mac, b, sizeof(b)));
	for (int i = 0; i < r->n_ips; i++)
		if (!has_ip(&l->net, &r->ips[i]))
			DIFF("IP %s: in the record, not on the interface\n", np_prefix_str(&r->ips[i], a, sizeof(a)));
	for (int i = 0; i < l->net.n_ips; i++)
		if (!has_ip(r, &l->net.ips[i]))
			DIFF("IP %s: on the interface, not in the record\n", np_prefix_str(&l->net.ips[i], a, sizeof(a)));
	/* a down link holds no routes (the kernel drops them): a VM's pod
	 * interface left down by the plugin still has its record's routes to
	 * hand to the guest, so they are only checked on a link that is up */
	for (int i = 0; l->up && i < r->n_routes; i++)
		if (!has_route(&l->net, &r->routes[i]))
			DIFF("route %s: in the record, not in the namespace\n",
			     np_prefix_str(&r->routes[i].dst, a, sizeof(a)));
	if (r->mtu && r->mtu != l->net.mtu)
		DIFF("MTU: record %u, live %u\n", r->mtu, l->net.mtu);
	/* a VM's pod interface may be left down on purpose (bridge binding
	 * with disableContainerInterface): only macvlan must be up */
	if (r->binding == VC_MACVLAN && !l->up)
		DIFF("link: down, a macvlan attachment should be up\n");
	return n;
}
