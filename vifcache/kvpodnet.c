/* The pod interface as KubeVirt's bridge-binding discovery reads it. */
#include "kvpodnet.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "link.h"
#include "route.h"

struct walk {
	struct vc_kvpodnet *n;
	int ifindex;
};

static int addr_cb(const struct np_addr_info *a, void *arg)
{
	struct walk *w = arg;
	if (a->ifindex != w->ifindex || w->n->has_v4 || a->prefix.ip.family != AF_INET ||
	    !np_ip_is_global_unicast(&a->prefix.ip))
		return 0;
	w->n->has_v4 = true;
	w->n->v4 = a->prefix;
	return 0;
}

/* All of them, the kernel's own subnet route too: it may come first and
 * then gives KubeVirt's Gateway. */
static int route_cb(const struct np_route *rt, void *arg)
{
	struct walk *w = arg;
	struct vc_kvpodnet *n = w->n;
	if (rt->ifindex != w->ifindex || rt->dst.ip.family != AF_INET)
		return 0;
	if (n->n_link_routes++ == 0) {
		n->first_has_gw = rt->has_gw;
		n->first_gw = rt->gw;
	}
	if (n->n_routes == VC_MAX_ROUTES)
		return 0;
	struct vc_route *r = &n->routes[n->n_routes++];
	r->dst = rt->dst;
	np_prefix_network(&rt->dst, &r->dst.ip);
	r->has_gw = rt->has_gw;
	r->gw = rt->gw;
	return 0;
}

int vc_kvpodnet_read(const char *netns_path, const char *ifname, struct vc_kvpodnet *out,
		     struct np_err *e)
{
	memset(out, 0, sizeof(*out));
	struct np_nl *nl = np_nl_alloc();
	if (!nl)
		return np_errmsg(e, -ENOMEM, "out of memory");
	int rc = np_nl_open(nl, netns_path, e);
	struct np_link_info li;
	if (rc == 0)
		rc = np_link_get(nl, ifname, &li, e);
	if (rc == 0) {
		struct walk w = { out, li.ifindex };
		if (li.mac_len == NP_MAC_LEN)
			memcpy(out->mac, li.mac, NP_MAC_LEN);
		rc = np_addr_list(nl, ifname, AF_INET, addr_cb, &w, e);
		if (rc == 0)
			rc = np_route_list(nl, AF_INET, route_cb, &w, e);
	}
	np_nl_close(nl);
	free(nl);
	return rc;
}

int vc_kvpodnet_to_record(const struct vc_kvpodnet *n, const char *ifname,
			  const uint8_t mac[NP_MAC_LEN], struct vc_record *r, struct np_err *e)
{
	r->has_mac = false;
	r->n_ips = r->n_gws = r->n_routes = 0;
	if (!n->has_v4)
		return 0;
	if (n->n_link_routes == 0)
		return np_errmsg(e, -ENETUNREACH, "no gateway address found in routes for %s (KubeVirt's phase 1 "
				 "fails the same way: the pod interface needs an IPv4 route)", ifname);
	r->has_mac = true;
	memcpy(r->mac, mac, NP_MAC_LEN);
	r->ips[r->n_ips++] = n->v4;
	if (n->first_has_gw)
		r->gws[r->n_gws++] = n->first_gw;
	struct np_ip local;
	np_prefix_network(&n->v4, &local);
	for (int i = 0; i < n->n_routes; i++) {
		const struct vc_route *rt = &n->routes[i];
		/* the filter compares "dst.String()": the same network and mask */
		if (rt->dst.len > 0 && rt->dst.len == n->v4.len && np_ip_equal(&rt->dst.ip, &local))
			continue;
		r->routes[r->n_routes++] = *rt;
	}
	return 0;
}
