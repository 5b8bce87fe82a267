/* The ADD pipeline every link-based kind shares, with one rollback ladder:
 * IPAM, the kind's create, the kind's configure, sysctls, addresses and
 * routes, the kind's settle. The kind supplies only its own steps
 * (struct cni_kind); main.c writes the record afterwards. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "ipam.h"

/* A pod end left down holds its addresses, but the kernel refuses every
 * route through it (and makes no subnet route): the result, and so the
 * vif-cache record written from it, says only what the pod has. KubeVirt's
 * bridge binding reads the pod interface's routes for the guest's DHCP,
 * so it needs the pod end up (README). */
static void drop_routes(struct cni_conf *c, struct cni_result *res)
{
	size_t used = strlen(c->warning);
	snprintf(c->warning + used, sizeof(c->warning) - used,
		 "%sdisableContainerInterface: %d route(s) from IPAM are neither installed (the pod end is down) nor in the result",
		 used ? "; " : "", res->n_routes);
	res->n_routes = 0;
}

/* Addresses, sysctls and routes on the container interface idx, or just
 * the link up for an L2-only attachment. */
static int configure_iface(struct attach_run *ar, struct cni_result *res, int idx,
			   struct cni_error *ce)
{
	const struct cni_ctx *ctx = ar->ctx;
	if (ar->report_only)
		return 0;
	if (!ctx->conf->ipam_type) {
		struct np_err e = { 0 };
		if (!ar->keep_down && np_link_set_up(ar->s.ctr, ctx->env->ifname, true, &e) < 0)
			return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
		return 0;
	}
	if (attach_sysctls(ar->s.ctr, ctx->env->netns, &ar->link, res, idx, ar->dad, ce) < 0 ||
	    attach_configure(ar->s.ctr, &ar->link, res, idx, ar->dad, ar->keep_down, ce) < 0)
		return -1;
	if (ar->keep_down && res->n_routes)
		drop_routes(ctx->conf, res);
	return 0;
}

int attach_add(const struct cni_kind *kind, struct cni_ctx *ctx, struct cni_result *res,
	       struct cni_error *ce)
{
	const struct cni_conf *c = ctx->conf;
	struct attach_run ar = { .ctx = ctx };
	struct cni_result ipam;
	bool leased = false, created = false;
	int rc = -1;
	cni_result_init(&ipam);
	ar.state = calloc(1, kind->run_size ? kind->run_size : 1);
	if (!ar.state) {
		cni_fail(ce, CNI_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (attach_socks_open(&ar.s, ctx->env->netns, ce) < 0)
		goto out;
	if (c->prev_result && cni_result_parse(c->prev_result, res, ce) < 0)
		goto out;
	if (c->ipam_type) {
		if (cni_ipam_add(c, ctx->env, ctx->stdin_json, &ipam, ce) < 0)
			goto out;
		leased = true;
	}
	created = true; /* undo looks at what the kind's state says it made */
	int idx = kind->create(&ar, res, ce);
	if (idx < 0)
		goto out;
	if (!ar.report_only && attach_claim(ar.s.ctr, ctx->env, ar.link.ifindex, ce) < 0)
		goto out;
	if (c->ipam_type && cni_result_merge_ipam(res, &ipam, idx, ce) < 0)
		goto out;
	if (kind->configure && kind->configure(&ar, res, idx, ce) < 0)
		goto out;
	if (configure_iface(&ar, res, idx, ce) < 0)
		goto out;
	if (kind->settle && !ar.keep_down && kind->settle(&ar, ce) < 0)
		goto out;
	attach_result_dns(res, c);
	rc = 0;
out:
	if (rc < 0) {
		/* in reverse: what create made, then the address */
		struct cni_error ignore = { 0 };
		if (created)
			kind->undo(&ar);
		if (leased)
			cni_ipam_del(c, ctx->env, ctx->stdin_json, &ignore);
	}
	cni_result_free(&ipam);
	attach_socks_close(&ar.s);
	free(ar.state);
	return rc;
}
