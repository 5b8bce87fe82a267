/* mignet-ipam as a plugin of its own: what a reference macvlan or bridge
 * (or any other main plugin) executes when ipam.type is "mignet-ipam". */
#include "ipam_local.h"
#include "kind.h"

static int ipam_parse(struct cni_ctx *ctx, struct cni_error *ce)
{
	struct ipam_local_conf *lc = ctx->kind_conf;
	if (!ctx->conf->ipam)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "mignet-ipam: the config has no \"ipam\" object");
	return ipam_local_parse(ctx->conf->ipam, lc, ce);
}

static int ipam_add(struct cni_ctx *ctx, struct cni_result *res, struct cni_error *ce)
{
	return ipam_local_add(ctx->conf, ctx->env, res, ce);
}

static int ipam_del(const struct cni_ctx *ctx, struct cni_error *ce)
{
	return ipam_local_del(ctx->conf, ctx->env, ce);
}

static int ipam_check(struct cni_ctx *ctx, const struct cni_result *prev,
		      struct cni_error *ce)
{
	(void)prev;
	return ipam_local_check(ctx->conf, ctx->env, ce);
}

static int ipam_status(struct cni_ctx *ctx, struct cni_error *ce)
{
	return ipam_local_status(ctx->conf, ce);
}

const struct cni_kind kind_ipam = {
	.type = "mignet-ipam",
	.conf_size = sizeof(struct ipam_local_conf),
	.parse = ipam_parse,
	.add = ipam_add,
	.del = ipam_del,
	.check = ipam_check,
	.status = ipam_status,
};
