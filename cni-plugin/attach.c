#include "attach.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/ip.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "addr.h"
#include "ipam.h"
#include "ipam_exec.h"
#include "route.h"
#include "sysctl.h"

void attach_random_name(const char *prefix, char *out, size_t len)
{
	uint32_t r = 0;
	while (getrandom(&r, sizeof(r), 0) != sizeof(r) && errno == EINTR)
		;
	snprintf(out, len, "%s%08x", prefix, r);
}

int attach_socks_open(struct attach_socks *s, const char *netns, struct cni_error *ce)
{
	struct np_err e = { 0 };
	s->host = np_nl_alloc();
	s->ctr = np_nl_alloc();
	if (!s->host || !s->ctr)
		return cni_fail(ce, CNI_ERR_INTERNAL, "out of memory");
	if (np_nl_open(s->host, NULL, &e) < 0)
		return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	return netns ? attach_open_netns(s->ctr, netns, ce) : 0;
}

void attach_socks_close(struct attach_socks *s)
{
	if (s->host)
		np_nl_close(s->host);
	if (s->ctr)
		np_nl_close(s->ctr);
	free(s->host);
	free(s->ctr);
	s->host = s->ctr = NULL;
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

uint32_t attach_owner_group(const char *container_id)
{
	uint64_t h = fnv1a(container_id);
	return (uint32_t)(h ^ (h >> 32)) | 0x80000000u;
}

void attach_owner_alias(const char *container_id, char *out, size_t len)
{
	if (strlen(container_id) + sizeof(ATTACH_ALIAS_PREFIX) <= NP_IFALIAS_MAX) {
		snprintf(out, len, ATTACH_ALIAS_PREFIX "%s", container_id);
		return;
	}
	/* IDs this long do not fit an alias */
	snprintf(out, len, ATTACH_ALIAS_PREFIX "h-%016llx", (unsigned long long)fnv1a(container_id));
}

int attach_claim(struct np_nl *ctr, const struct cni_env *env, int ifindex,
		 struct cni_error *ce)
{
	char alias[NP_IFALIAS_MAX];
	struct np_err e = { 0 };
	attach_owner_alias(env->container_id, alias, sizeof(alias));
	if (np_link_set_alias(ctr, env->ifname, ifindex, alias, &e) < 0)
		return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	return 0;
}

/* Deletes CNI_IFNAME only when its alias (or, without one, its group)
 * says this container's ADD made it: after an ADD that failed on a name
 * another container holds, the runtime's DEL must not take that
 * container's interface. */
static int del_own_link(const struct cni_env *env, struct cni_error *ce)
{
	if (!env->netns)
		return 0;
	struct np_nl *nl = np_nl_alloc();
	struct np_err e = { 0 };
	if (!nl)
		return cni_fail(ce, CNI_ERR_INTERNAL, "out of memory");
	int rc = np_nl_open(nl, env->netns, &e);
	if (rc == -ENOENT || rc == -EINVAL) {
		free(nl);
		return 0; /* the netns is gone, and its links with it */
	}
	struct np_link_info li = { 0 };
	char want[NP_IFALIAS_MAX], q[NP_QUOTE_MAX], qn[NP_QUOTE_MAX];
	if (rc == 0) {
		rc = np_link_get(nl, env->ifname, &li, &e);
		attach_owner_alias(env->container_id, want, sizeof(want));
		/* no alias: killed between creation and attach_claim */
		bool ours = rc == 0 && (!strcmp(li.alias, want) ||
					(!li.alias[0] && li.group == attach_owner_group(env->container_id)));
		if (rc == 0 && !ours) {
			fprintf(stderr, "mignet-cni DEL: %s in %s is not this container's (alias \"%s\"): left in place\n",
				env->ifname, np_quote(env->netns, qn, sizeof(qn)), np_quote(li.alias, q, sizeof(q)));
		} else if (rc == 0) {
			rc = np_link_delete_index(nl, env->ifname, li.ifindex, &e); /* a veth's host end goes with it */
		}
		if (rc == -ENODEV)
			rc = 0;
		np_nl_close(nl);
	}
	free(nl);
	return rc < 0 ? cni_fail_np(ce, CNI_ERR_INTERNAL, &e) : 0;
}

/* A delegate that is not installed cannot release anything, and failing
 * would leave the pod undeletable for ever: the lease is reported and
 * left to that IPAM's own reconciliation (README, "DEL"). */
int attach_release_ipam(const struct cni_ctx *ctx, struct cni_error *ce)
{
	const struct cni_conf *c = ctx->conf;
	if (!c->ipam_type)
		return 0;
	if (strcmp(c->ipam_type, MIGNET_IPAM_TYPE) && !cni_plugin_installed(c->ipam_type, ctx->env->path)) {
		char q[NP_QUOTE_MAX];
		fprintf(stderr,
			"mignet-cni DEL: IPAM plugin \"%s\" is not in CNI_PATH: the address of %s/%s in network %s was not released; install it and run its GC, or release it by hand\n",
			np_quote(c->ipam_type, q, sizeof(q)), ctx->env->container_id, ctx->env->ifname, c->name);
		return 0;
	}
	return cni_ipam_del(c, ctx->env, ctx->stdin_json, ce);
}

int attach_del(const struct cni_ctx *ctx, struct cni_error *ce)
{
	struct cni_error link_err = { 0 }, ipam_err = { 0 };
	/* mignet's own state first: a failing delegate must not keep the link */
	int rc = del_own_link(ctx->env, &link_err);
	int irc = attach_release_ipam(ctx, &ipam_err);
	if (rc < 0 || irc < 0) {
		*ce = rc < 0 ? link_err : ipam_err;
		return -1;
	}
	return 0;
}

int attach_open_netns(struct np_nl *nl, const char *netns, struct cni_error *ce)
{
	struct np_err e = { 0 };
	int rc = np_nl_open(nl, netns, &e);
	char q[NP_QUOTE_MAX];
	if (rc == -ENOENT)
		return cni_fail(ce, CNI_ERR_UNKNOWN_CONTAINER, "container netns %s does not exist",
				np_quote(netns, q, sizeof(q)));
	if (rc == -EINVAL)
		return cni_fail(ce, CNI_ERR_INVALID_ENV, "CNI_NETNS: %s", e.msg);
	if (rc < 0)
		return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	return 0;
}

static bool has_ipv6(const struct cni_result *r, int iface)
{
	for (int i = 0; i < r->n_ips; i++)
		if (r->ips[i].iface == iface && r->ips[i].address.ip.family == AF_INET6)
			return true;
	return false;
}

int attach_sysctls(struct np_nl *ctr, const char *netns, const struct np_link_info *link,
		   const struct cni_result *r, int iface, bool dad, struct cni_error *ce)
{
	struct np_err e = { 0 };
	/* Through netlink on the container's socket: entering the namespace
	 * and opening /proc cost an IPv4 ADD more than the rest of this step. */
	if (np_link_set_ipv4_conf(ctr, link->ifindex, link->name, IPV4_DEVCONF_ARP_NOTIFY, 1, &e) < 0)
		return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	/* an ADD is a few syscalls long: no IPv6 address, no IPv6 writes */
	if (!has_ipv6(r, iface))
		return 0;
	/* The kernel has no netlink setter for these. */
	char ndisc[96], dadk[96];
	snprintf(ndisc, sizeof(ndisc), "net/ipv6/conf/%s/ndisc_notify", link->name);
	snprintf(dadk, sizeof(dadk), "net/ipv6/conf/%s/accept_dad", link->name);
	const struct np_sysctl list[] = {
		{ ndisc, "1", true },   /* absent when IPv6 is off */
		{ dadk, dad ? "1" : "0", true },
	};
	if (np_sysctl_set_many(netns, list, sizeof(list) / sizeof(*list), &e) < 0)
		return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	return 0;
}

static void to_np_route(const struct cni_route *cr, struct np_route *r)
{
	memset(r, 0, sizeof(*r));
	r->dst = cr->dst;
	r->has_gw = cr->has_gw;
	r->gw = cr->gw;
	r->metric = cr->priority;
	r->table = cr->table;
	r->mtu = cr->mtu;
	if (cr->scope >= 0)
		r->scope = (unsigned char)cr->scope;
}

int attach_configure(struct np_nl *nl, const struct np_link_info *link,
		     const struct cni_result *r, int iface, bool dad, bool keep_down,
		     struct cni_error *ce)
{
	struct np_err e = { 0 };
	const char *ifname = link->name;
	for (int i = 0; i < r->n_ips; i++) {
		if (r->ips[i].iface != iface)
			continue;
		if (np_addr_add_index(nl, link->ifindex, ifname, &r->ips[i].address,
				      dad ? 0 : NP_ADDR_NODAD, &e) < 0)
			return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	}
	if (keep_down)
		return 0; /* routes need the link up; whoever sets it up adds them */
	if (np_link_set_up(nl, ifname, true, &e) < 0)
		return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	for (int i = 0; i < r->n_routes; i++) {
		struct np_route rt;
		to_np_route(&r->routes[i], &rt);
		if (!rt.has_gw) {
			/* CNI: a route without gw uses the family's gateway */
			for (int k = 0; k < r->n_ips; k++)
				if (r->ips[k].iface == iface && r->ips[k].has_gw &&
				    r->ips[k].address.ip.family == rt.dst.ip.family) {
					rt.has_gw = true;
					rt.gw = r->ips[k].gw;
					break;
				}
		}
		int rc = np_route_add(nl, ifname, &rt, &e);
		if (rc == -EEXIST) {
			np_err_clear(&e);
			continue;
		}
		if (rc < 0)
			return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	}
	return 0;
}

bool attach_name_taken(struct np_nl *ctr, const struct cni_env *env, struct cni_error *ce)
{
	struct np_link_info li;
	if (np_link_get(ctr, env->ifname, &li, NULL) < 0)
		return false;
	cni_fail(ce, CNI_ERR_INTERNAL, "interface \"%s\" already exists in container netns %s",
		 env->ifname, env->netns);
	return true;
}

int attach_result_ctr_iface(struct cni_result *res, const struct cni_env *env,
			    const struct np_link_info *li, struct cni_error *ce)
{
	int idx = cni_result_add_iface(res, env->ifname, li->mac, env->netns);
	if (idx < 0)
		return cni_fail(ce, CNI_ERR_INTERNAL, "result has too many interfaces");
	res->ifaces[idx].mtu = li->mtu;
	return idx;
}

int attach_read_link(struct np_nl *nl, const char *ifname, struct np_link_info *li,
		     struct cni_error *ce)
{
	struct np_err e = { 0 };
	if (np_link_get(nl, ifname, li, &e) < 0)
		return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	return 0;
}

struct addr_find {
	int ifindex;
	const struct np_prefix *want;
	bool found;
};

static int addr_find_cb(const struct np_addr_info *a, void *arg)
{
	struct addr_find *f = arg;
	if (a->ifindex == f->ifindex && a->prefix.len == f->want->len &&
	    np_ip_equal(&a->prefix.ip, &f->want->ip))
		f->found = true;
	return 0;
}

struct route_find {
	const struct cni_route *want;
	bool found;
};

static int route_find_cb(const struct np_route *r, void *arg)
{
	struct route_find *f = arg;
	struct np_ip a, b;
	if (r->dst.ip.family != f->want->dst.ip.family || r->dst.len != f->want->dst.len)
		return 0;
	np_prefix_network(&r->dst, &a);
	np_prefix_network(&f->want->dst, &b);
	if (!np_ip_equal(&a, &b))
		return 0;
	if (f->want->has_gw && (!r->has_gw || !np_ip_equal(&r->gw, &f->want->gw)))
		return 0;
	f->found = true;
	return 0;
}

int attach_check_iface(struct np_nl *nl, const struct cni_env *env,
		       const struct cni_result *prev, struct np_link_info *li,
		       struct cni_error *ce)
{
	int idx = -1;
	for (int i = 0; i < prev->n_ifaces; i++)
		if (!strcmp(prev->ifaces[i].name, env->ifname) &&
		    !strcmp(prev->ifaces[i].sandbox, env->netns))
			idx = i;
	if (idx < 0)
		return cni_fail(ce, CNI_ERR_INTERNAL, "CHECK: prevResult has no interface %s in sandbox %s",
				env->ifname, env->netns);
	struct np_err e = { 0 };
	if (np_link_get(nl, env->ifname, li, &e) < 0)
		return cni_fail(ce, CNI_ERR_INTERNAL, "CHECK: %s", e.msg);
	char mac[NP_MAC_STRLEN];
	np_mac_str(li->mac, mac, sizeof(mac));
	if (prev->ifaces[idx].mac[0] && strcasecmp(prev->ifaces[idx].mac, mac))
		return cni_fail(ce, CNI_ERR_INTERNAL, "CHECK: %s has MAC %s, prevResult says %s",
				env->ifname, mac, prev->ifaces[idx].mac);
	for (int i = 0; i < prev->n_ips; i++) {
		if (prev->ips[i].iface != idx)
			continue;
		struct addr_find f = { li->ifindex, &prev->ips[i].address, false };
		if (np_addr_list(nl, NULL, prev->ips[i].address.ip.family, addr_find_cb, &f, &e) < 0)
			return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
		if (!f.found) {
			char a[NP_PREFIX_STRLEN];
			return cni_fail(ce, CNI_ERR_INTERNAL, "CHECK: address %s is missing from %s",
					np_prefix_str(&prev->ips[i].address, a, sizeof(a)), env->ifname);
		}
	}
	for (int i = 0; i < prev->n_routes; i++) {
		struct route_find f = { &prev->routes[i], false };
		if (np_route_list(nl, prev->routes[i].dst.ip.family, route_find_cb, &f, &e) < 0)
			return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
		if (!f.found) {
			char a[NP_PREFIX_STRLEN];
			return cni_fail(ce, CNI_ERR_INTERNAL, "CHECK: route to %s is missing in %s",
					np_prefix_str(&prev->routes[i].dst, a, sizeof(a)), env->netns);
		}
	}
	return 0;
}

struct default_dev {
	int ifindex;
};

static int default_dev_cb(const struct np_route *r, void *arg)
{
	struct default_dev *d = arg;
	if (!d->ifindex && r->dst.len == 0 && r->ifindex)
		d->ifindex = r->ifindex;
	return 0;
}

void attach_result_dns(struct cni_result *res, const struct cni_conf *c)
{
	if (c->dns && cJSON_IsObject(c->dns) && c->dns->child) {
		cJSON_Delete(res->dns);
		res->dns = cJSON_Duplicate(c->dns, 1);
	}
}

int attach_default_route_iface(struct np_nl *nl, char *out, struct cni_error *ce)
{
	struct default_dev d = { 0 };
	struct np_err e = { 0 };
	if (np_route_list(nl, AF_UNSPEC, default_dev_cb, &d, &e) < 0)
		return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	if (!d.ifindex)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG,
				"no \"master\" given and %s has no default route to take it from", nl->where);
	struct np_link_info li;
	if (np_link_get_by_index(nl, d.ifindex, &li, &e) < 0)
		return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	snprintf(out, IFNAMSIZ, "%s", li.name);
	return 0;
}
