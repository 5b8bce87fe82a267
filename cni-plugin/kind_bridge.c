/* bridge: the reference plugin's keys and defaults. The veth is made from
 * the host side with the container end created in place (final name and
 * MAC, so nothing ever appears in the host namespace under the pod's
 * name). disableContainerInterface leaves the pod end down for VMs and,
 * unlike the reference, works together with IPAM. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "attach.h"
#include "kind.h"
#include "names.h"
#include "route.h"
#include "sysctl.h"

#define MAX_TRUNK 64
#define PORT_UP_TIMEOUT_MS 3000

struct bridge_conf {
	const char *bridge;
	unsigned long mtu, vlan;
	bool is_gateway, is_default_gateway, force_address;
	bool hairpin, promisc, preserve_default_vlan;
	bool disable_container_iface, dad;
	int n_trunk;
	uint16_t trunk[MAX_TRUNK];
};

static int parse_trunk(struct bridge_conf *b, const cJSON *arr, struct cni_error *ce)
{
	const cJSON *v;
	if (!cJSON_IsArray(arr))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "bridge: \"vlanTrunk\" must be a list of {id} or {minID, maxID}");
	cJSON_ArrayForEach(v, arr) {
		unsigned long id = 0, lo = 0, hi = 0;
		if (cni_json_uint(v, "bridge vlanTrunk[]", "id", 1, 4094, &id, ce) < 0 ||
		    cni_json_uint(v, "bridge vlanTrunk[]", "minID", 1, 4094, &lo, ce) < 0 ||
		    cni_json_uint(v, "bridge vlanTrunk[]", "maxID", 1, 4094, &hi, ce) < 0)
			return -1;
		if (id) {
			lo = hi = id;
		} else if (!lo || !hi || lo > hi) {
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG,
					"bridge: \"vlanTrunk\" entries need \"id\", or \"minID\" <= \"maxID\"");
		}
		for (unsigned long i = lo; i <= hi; i++) {
			if (b->n_trunk == MAX_TRUNK)
				return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "bridge: more than %d trunk VLANs", MAX_TRUNK);
			b->trunk[b->n_trunk++] = (uint16_t)i;
		}
	}
	return 0;
}

static int bridge_parse(struct cni_ctx *ctx, struct cni_error *ce)
{
	struct bridge_conf *b = ctx->kind_conf;
	const cJSON *root = ctx->conf->root;
	struct np_err e = { 0 };
	bool ipmasq = false, spoofchk = false;
	if (cni_json_str(root, "bridge", "bridge", false, &b->bridge, ce) < 0 ||
	    cni_json_uint(root, "bridge", "mtu", 0, 65535, &b->mtu, ce) < 0 ||
	    cni_json_uint(root, "bridge", "vlan", 0, 4094, &b->vlan, ce) < 0 ||
	    cni_json_bool(root, "bridge", "isGateway", &b->is_gateway, ce) < 0 ||
	    cni_json_bool(root, "bridge", "isDefaultGateway", &b->is_default_gateway, ce) < 0 ||
	    cni_json_bool(root, "bridge", "forceAddress", &b->force_address, ce) < 0 ||
	    cni_json_bool(root, "bridge", "hairpinMode", &b->hairpin, ce) < 0 ||
	    cni_json_bool(root, "bridge", "promiscMode", &b->promisc, ce) < 0 ||
	    cni_json_bool(root, "bridge", "preserveDefaultVlan", &b->preserve_default_vlan, ce) < 0 ||
	    cni_json_bool(root, "bridge", "disableContainerInterface", &b->disable_container_iface, ce) < 0 ||
	    cni_json_bool(root, "bridge", "enabledad", &b->dad, ce) < 0 ||
	    cni_json_bool(root, "bridge", "ipMasq", &ipmasq, ce) < 0 ||
	    cni_json_bool(root, "bridge", "macspoofchk", &spoofchk, ce) < 0)
		return -1;
	if (ipmasq)
		return cni_fail(ce, CNI_ERR_UNSUPPORTED_FIELD,
				"bridge: \"ipMasq\": true is not supported by mignet-bridge (chain the portmap/firewall plugin instead)");
	if (spoofchk)
		return cni_fail(ce, CNI_ERR_UNSUPPORTED_FIELD,
				"bridge: \"macspoofchk\": true is not supported by mignet-bridge yet");
	if (!b->bridge || !*b->bridge)
		b->bridge = "cni0";
	if (np_valid_ifname(b->bridge, "bridge \"bridge\"", &e) < 0)
		return cni_fail_np(ce, CNI_ERR_INVALID_CONFIG, &e);
	if (b->hairpin && b->promisc)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG,
				"bridge: \"hairpinMode\" and \"promiscMode\" cannot both be true");
	if (b->is_default_gateway)
		b->is_gateway = true;
	const cJSON *trunk = cJSON_GetObjectItemCaseSensitive(root, "vlanTrunk");
	if (trunk && !cJSON_IsNull(trunk) && parse_trunk(b, trunk, ce) < 0)
		return -1;
	return 0;
}

struct bridge_run {
	struct attach_socks *s;
	struct np_link_info br;  /* as create last read it */
	char host_if[IFNAMSIZ];
	bool bridge_made, veth_made;
};


/* Creates the bridge if missing; two ADDs racing to create it both win. */
static int ensure_bridge(struct bridge_run *r, const struct bridge_conf *b,
			 struct np_link_info *br, struct cni_error *ce)
{
	struct np_err e = { 0 };
	/* Usually the bridge is there: look first, create only when missing. */
	if (np_link_get(r->s->host, b->bridge, br, NULL) < 0) {
		struct np_link_attrs a = { .name = b->bridge, .mtu = (unsigned)b->mtu, .up = true };
		int rc = np_link_create_bridge(r->s->host, &a, &e);
		if (rc < 0 && rc != -EEXIST)
			return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
		r->bridge_made = rc == 0;
		np_err_clear(&e);
		if (np_link_get(r->s->host, b->bridge, br, &e) < 0)
			return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	}
	if (strcmp(br->kind, "bridge"))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "\"%s\" exists but is a %s link, not a bridge",
				b->bridge, br->kind[0] ? br->kind : "plain");
	if (!(br->flags & IFF_UP) && np_link_set_up(r->s->host, b->bridge, true, &e) < 0)
		return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	if (b->promisc && np_link_set_flag(r->s->host, b->bridge, IFF_PROMISC, true, &e) < 0)
		return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	/* A gateway's MAC is pinned, as the reference does: an unpinned
	 * bridge follows its lowest port MAC, so the gateway's MAC would change
	 * under the pods as ports come and go. Pinned before this ADD's port
	 * joins, so the bridge keeps the MAC it has. */
	if (b->is_gateway && br->mac_len == NP_MAC_LEN &&
	    np_link_set_mac(r->s->host, b->bridge, br->mac, &e) < 0)
		return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	char key[96];
	snprintf(key, sizeof(key), "net/ipv6/conf/%s/accept_ra", b->bridge);
	np_sysctl_set(NULL, key, "0", NULL); /* absent when IPv6 is off */
	if ((b->vlan || b->n_trunk) && np_bridge_set_vlan_filtering(r->s->host, b->bridge, true, &e) < 0)
		return cni_fail_np(ce, CNI_ERR_INVALID_CONFIG, &e);
	return 0;
}

struct port_count {
	int master;
	int n;
};

static int count_ports(const struct np_link_info *l, void *arg)
{
	struct port_count *pc = arg;
	pc->n += l->master == pc->master;
	return 0;
}

/* Rollback of a bridge this ADD created: only while no other attachment
 * has joined it meanwhile. */
static void remove_new_bridge(struct bridge_run *r, const char *bridge)
{
	struct np_link_info br;
	if (np_link_get(r->s->host, bridge, &br, NULL) < 0)
		return;
	struct port_count pc = { br.ifindex, 0 };
	if (np_link_list(r->s->host, count_ports, &pc, NULL) == 0 && pc.n == 0)
		np_link_delete(r->s->host, bridge, NULL);
}

static int setup_port(struct bridge_run *r, const struct bridge_conf *b,
		      struct cni_error *ce)
{
	struct np_err e = { 0 };
	if (b->hairpin) {
		struct np_brport_opts po = NP_BRPORT_UNCHANGED;
		po.hairpin = 1;
		if (np_bridge_port_set(r->s->host, r->host_if, &po, &e) < 0)
			return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	}
	if (!b->vlan && !b->n_trunk)
		return 0;
	if (!b->preserve_default_vlan && np_bridge_vlan(r->s->host, r->host_if, 1, false, false, true, &e) < 0)
		return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	if (b->vlan && np_bridge_vlan(r->s->host, r->host_if, (uint16_t)b->vlan, true, true, false, &e) < 0)
		return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	for (int i = 0; i < b->n_trunk; i++)
		if (np_bridge_vlan(r->s->host, r->host_if, b->trunk[i], false, false, false, &e) < 0)
			return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	return 0;
}

/* The host end joins the bridge as it is created: one request less. */
static int create_veth(struct bridge_run *r, const struct bridge_conf *b,
		       const struct np_link_info *br, const struct cni_ctx *ctx,
		       struct cni_error *ce)
{
	const struct cni_conf *c = ctx->conf;
	struct np_err e = { 0 };
	/* EEXIST: the container end's name is taken (an error), or the host
	 * end's random one (try another). */
	for (int attempt = 0; attempt < 10; attempt++) {
		attach_random_name("veth", r->host_if, sizeof(r->host_if));
		struct np_link_attrs host = { .name = r->host_if, .mtu = (unsigned)b->mtu,
					      .master_index = br->ifindex, .up = true };
		struct np_link_attrs ctr = { .name = ctx->env->ifname, .mac = c->has_mac ? c->mac : NULL,
					     .mtu = (unsigned)b->mtu, .netns = ctx->env->netns,
					     .group = attach_owner_group(ctx->env->container_id) };
		np_err_clear(&e);
		int rc = np_link_create_veth(r->s->host, &host, &ctr, &e);
		if (rc == 0) {
			r->veth_made = true;
			return 0;
		}
		if (rc != -EEXIST)
			return cni_fail_np(ce, e.code == -EADDRNOTAVAIL ? CNI_ERR_INVALID_CONFIG : CNI_ERR_INTERNAL, &e);
		if (attach_name_taken(r->s->ctr, ctx->env, ce))
			return -1;
	}
	return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
}

/* The gateway address on the bridge, and forwarding, for isGateway. */
static int setup_gateway(struct bridge_run *r, const struct bridge_conf *b,
			 const struct np_link_info *br, struct cni_result *res, int ctr_idx,
			 struct cni_error *ce)
{
	struct np_err e = { 0 };
	for (int i = 0; i < res->n_ips; i++) {
		struct cni_ip *ip = &res->ips[i];
		if (ip->iface != ctr_idx)
			continue;
		if (!ip->has_gw) {
			/* the subnet's first address, as the reference computes it */
			np_prefix_network(&ip->address, &ip->gw);
			ip->gw.addr[np_ip_len(ip->gw.family) - 1] |= 1;
			ip->has_gw = true;
		}
		struct np_prefix gw = { .ip = ip->gw, .len = ip->address.len };
		int rc = np_addr_add_index(r->s->host, br->ifindex, b->bridge, &gw, NP_ADDR_NODAD, &e);
		if (rc < 0 && rc != -EEXIST)
			return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
		np_err_clear(&e);
		const char *key = ip->gw.family == AF_INET ? "net/ipv4/ip_forward" : "net/ipv6/conf/all/forwarding";
		if (np_sysctl_set(NULL, key, "1", &e) < 0)
			return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
		if (b->is_default_gateway && res->n_routes < CNI_MAX_ROUTES) {
			struct cni_route *rt = &res->routes[res->n_routes];
			bool have = false;
			for (int k = 0; k < res->n_routes; k++)
				have |= res->routes[k].dst.len == 0 && res->routes[k].dst.ip.family == ip->gw.family;
			if (!have) {
				memset(rt, 0, sizeof(*rt));
				rt->dst.ip.family = ip->gw.family;
				rt->has_gw = true;
				rt->gw = ip->gw;
				rt->scope = -1;
				res->n_routes++;
			}
		}
	}
	return 0;
}

static int bridge_create(struct attach_run *ar, struct cni_result *res, struct cni_error *ce)
{
	const struct bridge_conf *b = ar->ctx->kind_conf;
	struct bridge_run *r = ar->state;
	struct np_link_info br, port;
	r->s = &ar->s;
	ar->dad = b->dad;
	ar->keep_down = b->disable_container_iface;
	if (ensure_bridge(r, b, &br, ce) < 0 || create_veth(r, b, &br, ar->ctx, ce) < 0 ||
	    setup_port(r, b, ce) < 0)
		return -1;
	/* the bridge again unless pinned: it takes a new port's MAC when lower */
	if (!b->is_gateway && attach_read_link(ar->s.host, b->bridge, &br, ce) < 0)
		return -1;
	cni_result_add_iface(res, b->bridge, br.mac, NULL);
	r->br = br;
	if (attach_read_link(ar->s.host, r->host_if, &port, ce) < 0)
		return -1;
	cni_result_add_iface(res, r->host_if, port.mac, NULL);
	if (attach_read_link(ar->s.ctr, ar->ctx->env->ifname, &ar->link, ce) < 0)
		return -1;
	return attach_result_ctr_iface(res, ar->ctx->env, &ar->link, ce);
}

static void bridge_undo(struct attach_run *ar)
{
	const struct bridge_conf *b = ar->ctx->kind_conf;
	struct bridge_run *r = ar->state;
	if (r->veth_made)
		np_link_delete(ar->s.host, r->host_if, NULL); /* takes the pod end along */
	if (r->bridge_made)
		remove_new_bridge(r, b->bridge);
}

static int bridge_configure(struct attach_run *ar, struct cni_result *res, int idx,
			    struct cni_error *ce)
{
	const struct bridge_conf *b = ar->ctx->kind_conf;
	struct bridge_run *r = ar->state;
	if (!b->is_gateway || !ar->ctx->conf->ipam_type)
		return 0;
	return setup_gateway(r, b, &r->br, res, idx, ce);
}

/* Forwarding starts when the port is UP; wait for the kernel to say so
 * instead of sleeping. */
static int bridge_settle(struct attach_run *ar, struct cni_error *ce)
{
	struct bridge_run *r = ar->state;
	struct np_err e = { 0 };
	if (np_link_wait_up(NULL, r->host_if, PORT_UP_TIMEOUT_MS, &e) < 0)
		return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	return 0;
}

static int bridge_check(struct cni_ctx *ctx, const struct cni_result *prev,
			struct cni_error *ce)
{
	const struct bridge_conf *b = ctx->kind_conf;
	struct attach_socks socks = { 0 };
	struct np_link_info br, li, peer;
	struct np_err e = { 0 };
	int rc = -1;
	/* Unlike the reference, an L2-only config (no ipam) can be CHECKed. */
	if (attach_socks_open(&socks, ctx->env->netns, ce) < 0)
		goto out;
	if (np_link_get(socks.host, b->bridge, &br, &e) < 0 || strcmp(br.kind, "bridge")) {
		cni_fail(ce, CNI_ERR_INTERNAL, "CHECK: bridge \"%s\" is missing or not a bridge", b->bridge);
		goto out;
	}
	if (attach_check_iface(socks.ctr, ctx->env, prev, &li, ce) < 0)
		goto out;
	if (strcmp(li.kind, "veth")) {
		cni_fail(ce, CNI_ERR_INTERNAL, "CHECK: %s is a %s link, not a veth", ctx->env->ifname,
			 li.kind[0] ? li.kind : "plain");
		goto out;
	}
	if (np_link_get_by_index(socks.host, li.link, &peer, &e) < 0 || peer.master != br.ifindex) {
		cni_fail(ce, CNI_ERR_INTERNAL, "CHECK: the host end of %s is not a port of bridge \"%s\"",
			 ctx->env->ifname, b->bridge);
		goto out;
	}
	rc = 0;
out:
	attach_socks_close(&socks);
	return rc;
}

static int bridge_status(struct cni_ctx *ctx, struct cni_error *ce)
{
	const struct bridge_conf *b = ctx->kind_conf;
	struct attach_socks socks = { 0 };
	struct np_link_info br;
	struct np_err e = { 0 };
	int rc = attach_socks_open(&socks, NULL, ce);
	if (rc == 0 && (np_link_get(socks.host, b->bridge, &br, &e) < 0 || strcmp(br.kind, "bridge")))
		rc = cni_fail(ce, CNI_ERR_NOT_AVAILABLE, "bridge \"%s\" is not available%s%s", b->bridge,
			      e.msg[0] ? ": " : " (not a bridge)", e.msg);
	attach_socks_close(&socks);
	return rc;
}

const struct cni_kind kind_bridge = {
	.type = "mignet-bridge",
	.conf_size = sizeof(struct bridge_conf),
	.run_size = sizeof(struct bridge_run),
	.parse = bridge_parse,
	.create = bridge_create,
	.undo = bridge_undo,
	.configure = bridge_configure,
	.settle = bridge_settle,
	.del = attach_del,
	.check = bridge_check,
	.status = bridge_status,
};
