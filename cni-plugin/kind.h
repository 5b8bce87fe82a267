/* One attachment kind per file, each exporting one table of callbacks
 * (as systemd-networkd's NetDevVTable). main.c picks the table by the
 * config's "type". */
#ifndef MIGNET_KIND_H
#define MIGNET_KIND_H

#include "conf.h"
#include "result.h"
#include "skel.h"

struct cni_ctx {
	const struct cni_env *env;
	struct cni_conf *conf;
	const char *stdin_json;
	void *kind_conf;      /* conf_size bytes, filled by parse */
};

struct cni_kind {
	const char *type;
	size_t conf_size;
	int (*parse)(struct cni_ctx *ctx, struct cni_error *ce);
	int (*add)(struct cni_ctx *ctx, struct cni_result *res, struct cni_error *ce);
	int (*del)(const struct cni_ctx *ctx, struct cni_error *ce);
	int (*check)(struct cni_ctx *ctx, const struct cni_result *prev, struct cni_error *ce);
	int (*status)(struct cni_ctx *ctx, struct cni_error *ce);
};

extern const struct cni_kind kind_macvlan;
extern const struct cni_kind kind_bridge;
extern const struct cni_kind kind_sriov;
extern const struct cni_kind kind_ipam;

#endif
