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

struct attach_run;

/* A kind supplies only what is its own; attach_add (attach_add.c) runs
 * the rest of an ADD with one rollback: parse, IPAM, create, sysctls,
 * addresses and routes, then the record (main.c). IPAM's CHECK and STATUS
 * are called once, by main.c. */
struct cni_kind {
	const char *type;
	size_t conf_size;
	size_t run_size;      /* the kind's state during an ADD (attach_run.state) */
	int (*parse)(struct cni_ctx *ctx, struct cni_error *ce);
	/* Makes the container's interface (and what it hangs off), adds the
	 * kind's interfaces to res and returns the container interface's
	 * index there. */
	int (*create)(struct attach_run *ar, struct cni_result *res, struct cni_error *ce);
	/* Undoes what create made, for a failed ADD. */
	void (*undo)(struct attach_run *ar);
	/* Optional: after IPAM, before the addresses go on (a gateway). */
	int (*configure)(struct attach_run *ar, struct cni_result *res, int idx, struct cni_error *ce);
	/* Optional: once the interface is up (a bridge port forwarding). */
	int (*settle)(struct attach_run *ar, struct cni_error *ce);
	/* Kinds outside the pipeline (mignet-ipam on its own) add themselves. */
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
