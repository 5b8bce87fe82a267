/* macvlan: the reference plugin's keys and defaults (master, mode, mtu,
 * linkInContainer, bcqueuelen, mac). The link is created straight into the
 * container with its final name and MAC. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "kind.h"
#include "names.h"

struct macvlan_conf {
	const char *master;
	enum np_macvlan_mode mode;
	unsigned long mtu;
	unsigned long bcqueuelen;
	bool link_in_container;
	bool dad;
};

static int macvlan_parse(struct cni_ctx *ctx, struct cni_error *ce)
{
	struct macvlan_conf *m = ctx->kind_conf;
	const cJSON *root = ctx->conf->root;
	const char *mode = NULL;
	struct np_err e = { 0 };
	m->mode = NP_MACVLAN_BRIDGE;
	if (cni_json_str(root, "macvlan", "master", false, &m->master, ce) < 0 ||
	    cni_json_str(root, "macvlan", "mode", false, &mode, ce) < 0 ||
	    cni_json_uint(root, "macvlan", "mtu", 0, 65535, &m->mtu, ce) < 0 ||
	    cni_json_uint(root, "macvlan", "bcqueuelen", 0, 0xffffffffUL, &m->bcqueuelen, ce) < 0 ||
	    cni_json_bool(root, "macvlan", "linkInContainer", &m->link_in_container, ce) < 0 ||
	    cni_json_bool(root, "macvlan", "enabledad", &m->dad, ce) < 0)
		return -1;
	if (m->master && *m->master && np_valid_ifname(m->master, "macvlan \"master\"", &e) < 0)
		return cni_fail_np(ce, CNI_ERR_INVALID_CONFIG, &e);
	if (m->master && !*m->master)
		m->master = NULL;
	if (mode && *mode && np_macvlan_mode_parse(mode, &m->mode, &e) < 0)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "macvlan \"mode\": %s", e.msg);
	return 0;
}

struct macvlan_run {
	struct attach_socks *s;
	char master[IFNAMSIZ];
	char tmpname[IFNAMSIZ];
	bool link_made, renamed;
};


/* The namespace the master lives in: the host, or the container with
 * linkInContainer. */
static struct np_nl *master_nl(struct macvlan_run *r, const struct macvlan_conf *m)
{
	return m->link_in_container ? r->s->ctr : r->s->host;
}

static int resolve_master(struct macvlan_run *r, const struct macvlan_conf *m,
			  struct np_link_info *li, struct cni_error *ce)
{
	if (m->master)
		snprintf(r->master, sizeof(r->master), "%s", m->master);
	else if (attach_default_route_iface(master_nl(r, m), r->master, ce) < 0)
		return -1;
	struct np_err e = { 0 };
	if (np_link_get(master_nl(r, m), r->master, li, &e) < 0)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "macvlan master \"%s\" not found in %s",
				r->master, master_nl(r, m)->where);
	return 0;
}

/* Creates the macvlan with its final name and MAC straight into the
 * container. Kernels that create the link in the caller's namespace first
 * report a collision with a host link of the same name; only then the
 * reference plugin's way is taken: a random name, then a rename (which
 * costs an RCU grace period, ~1 ms here). */
static int create_link(struct macvlan_run *r, const struct macvlan_conf *m, int master_index,
		       const struct cni_ctx *ctx, struct cni_error *ce)
{
	const struct cni_env *env = ctx->env;
	const struct cni_conf *c = ctx->conf;
	struct np_err e = { 0 };
	struct np_link_attrs a = {
		.name = env->ifname,
		.mac = c->has_mac ? c->mac : NULL,
		.mtu = (unsigned)m->mtu,
		.netns = m->link_in_container ? NULL : env->netns,
		.group = attach_owner_group(env->container_id),
	};
	struct np_macvlan_opts o = { .master = r->master, .master_index = master_index,
				     .mode = m->mode, .bcqueuelen = (uint32_t)m->bcqueuelen };
	int rc = np_link_create_macvlan(master_nl(r, m), &a, &o, &e);
	if (rc == 0) {
		r->link_made = r->renamed = true;
		return 0;
	}
	if (rc == -EEXIST && attach_name_taken(r->s->ctr, env, ce))
		return -1;
	if (rc != -EEXIST)
		return cni_fail_np(ce, rc == -EADDRNOTAVAIL ? CNI_ERR_INVALID_CONFIG : CNI_ERR_INTERNAL, &e);
	attach_random_name("mvt", r->tmpname, sizeof(r->tmpname));
	a.name = r->tmpname;
	np_err_clear(&e);
	if (np_link_create_macvlan(master_nl(r, m), &a, &o, &e) < 0)
		return cni_fail_np(ce, e.code == -EADDRNOTAVAIL ? CNI_ERR_INVALID_CONFIG : CNI_ERR_INTERNAL, &e);
	r->link_made = true;
	if (np_link_rename(r->s->ctr, r->tmpname, env->ifname, &e) < 0)
		return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	r->renamed = true;
	return 0;
}

static int macvlan_create(struct attach_run *ar, struct cni_result *res, struct cni_error *ce)
{
	const struct macvlan_conf *m = ar->ctx->kind_conf;
	struct macvlan_run *r = ar->state;
	r->s = &ar->s;
	ar->dad = m->dad;
	struct np_link_info master;
	if (resolve_master(r, m, &master, ce) < 0)
		return -1;
	if (m->mtu > master.mtu)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "macvlan \"mtu\" %lu is above master \"%s\"'s MTU %u",
				m->mtu, r->master, master.mtu);
	if (create_link(r, m, master.ifindex, ar->ctx, ce) < 0 ||
	    attach_read_link(ar->s.ctr, ar->ctx->env->ifname, &ar->link, ce) < 0)
		return -1;
	return attach_result_ctr_iface(res, ar->ctx->env, &ar->link, ce);
}

static void macvlan_undo(struct attach_run *ar)
{
	struct macvlan_run *r = ar->state;
	if (r->link_made)
		np_link_delete(ar->s.ctr, r->renamed ? ar->ctx->env->ifname : r->tmpname, NULL);
}

static int macvlan_check(struct cni_ctx *ctx, const struct cni_result *prev,
			 struct cni_error *ce)
{
	const struct macvlan_conf *m = ctx->kind_conf;
	struct attach_socks socks = { 0 };
	struct macvlan_run r = { .s = &socks };
	int rc = -1;
	if (attach_socks_open(&socks, ctx->env->netns, ce) < 0)
		goto out;
	struct np_link_info master, li;
	if (resolve_master(&r, m, &master, ce) < 0)
		goto out;
	if (attach_check_iface(socks.ctr, ctx->env, prev, &li, ce) < 0)
		goto out;
	if (strcmp(li.kind, "macvlan")) {
		cni_fail(ce, CNI_ERR_INTERNAL, "CHECK: %s is a %s link, not macvlan", ctx->env->ifname,
			 li.kind[0] ? li.kind : "plain");
		goto out;
	}
	if (li.macvlan_mode != (int)m->mode) {
		cni_fail(ce, CNI_ERR_INTERNAL, "CHECK: %s is in macvlan mode %s, config says %s",
			 ctx->env->ifname, np_macvlan_mode_name(li.macvlan_mode), np_macvlan_mode_name(m->mode));
		goto out;
	}
	rc = 0;
out:
	attach_socks_close(&socks);
	return rc;
}

static int macvlan_status(struct cni_ctx *ctx, struct cni_error *ce)
{
	const struct macvlan_conf *m = ctx->kind_conf;
	if (m->master && !m->link_in_container) {
		struct np_nl *nl = np_nl_alloc();
		struct np_err e = { 0 };
		struct np_link_info li;
		int rc = nl ? np_nl_open(nl, NULL, &e) : -ENOMEM;
		if (rc == 0) {
			rc = np_link_get(nl, m->master, &li, &e);
			np_nl_close(nl);
		}
		free(nl);
		if (rc < 0)
			return cni_fail(ce, CNI_ERR_NOT_AVAILABLE, "macvlan master \"%s\" is not available: %s",
					m->master, e.msg);
	}
	return 0;
}

const struct cni_kind kind_macvlan = {
	.type = "mignet-macvlan",
	.conf_size = sizeof(struct macvlan_conf),
	.run_size = sizeof(struct macvlan_run),
	.parse = macvlan_parse,
	.create = macvlan_create,
	.undo = macvlan_undo,
	.del = attach_del,
	.check = macvlan_check,
	.status = macvlan_status,
};
