/* mignet-ipam: host-local's configuration (range sets, rangeStart/End,
 * gateway, routes, dataDir) served from ipam_store. */
#ifndef MIGNET_IPAM_LOCAL_H
#define MIGNET_IPAM_LOCAL_H

#include "conf.h"
#include "result.h"

#define IPAM_MAX_SETS 4
#define IPAM_MAX_RANGES 8
#define IPAM_DEFAULT_DATA_DIR "/var/lib/cni/networks"

#define IPAM_MAX_EXCLUDE 16

struct ipam_range {
	struct np_prefix subnet;
	struct np_ip start, end, gateway;
	bool has_gateway;
	/* whereabouts' "exclude": addresses inside these are never handed out
	 * (datastore etcd only; the local store refuses a range with one) */
	int n_exclude;
	struct np_prefix exclude[IPAM_MAX_EXCLUDE];
};

struct ipam_range_set {
	int n;
	struct ipam_range ranges[IPAM_MAX_RANGES];
};

struct ipam_local_conf {
	const char *data_dir;
	bool sticky;       /* leases follow the VM identity (see ipam_store.h) */
	int n_sets;
	struct ipam_range_set sets[IPAM_MAX_SETS];
	int n_routes;
	struct cni_route routes[CNI_MAX_ROUTES];
};

/* host-local's keys ("ranges", "subnet", ...) and whereabouts' ("range"
 * as a CIDR or "a.b.c.d-e.f.g.h/nn", "range_start", "range_end",
 * "exclude", "ipRanges", "gateway"): each whereabouts range is a range set
 * of its own, without a gateway unless "gateway" falls in it, and never
 * hands out its network or (IPv4) broadcast address. */
int ipam_local_parse(const cJSON *ipam, struct ipam_local_conf *lc,
		     struct cni_error *ce);
int ipam_local_add(const struct cni_conf *c, const struct cni_env *env,
		   struct cni_result *out, struct cni_error *ce);
int ipam_local_del(const struct cni_conf *c, const struct cni_env *env,
		   struct cni_error *ce);
int ipam_local_check(const struct cni_conf *c, const struct cni_env *env,
		     struct cni_error *ce);
int ipam_local_status(const struct cni_conf *c, struct cni_error *ce);
int ipam_local_gc(const struct cni_conf *c, struct cni_error *ce);

#endif
