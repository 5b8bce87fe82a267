/* mignet-ipam in cluster mode: the address space of a network shared by
 * every node through the cluster store (etcd), without a global lock.
 *
 * Keys, under /mignet/ipam/<network>/:
 *   ip/<address>                         the holder ({"containerID","ifname","node"}),
 *                                        created only if absent (create_revision == 0)
 *   owner/<containerID>/<ifname>/<address> the same holder, written in the same
 *                                        transaction, so DEL finds its own keys
 *   cursor/<set>                         the last address handed out in a range set
 * An ADD lists the owner's keys (a retried ADD keeps them), reads the
 * cursor, lists the taken addresses (keys only) and then tries the free
 * ones after the cursor, one transaction each, until one is created: a
 * lost race costs one more transaction; IPAM_CLUSTER_MAX_TXN bounds them
 * and IPAM_CLUSTER_MAX_LISTINGS the listings.
 * DEL deletes an address only while it still holds the owner's value. */
#ifndef MIGNET_IPAM_CLUSTER_H
#define MIGNET_IPAM_CLUSTER_H

#include "conf.h"
#include "result.h"

#define IPAM_FLAT_FILE "/etc/cni/net.d/mignet.d/mignet.conf"
#define IPAM_CLUSTER_MAX_TXN 32       /* transactions of one ADD, per range set */
#define IPAM_CLUSTER_MAX_LISTINGS 4   /* listings of the taken addresses, per range set */
#define IPAM_CLUSTER_CANDIDATES 64    /* free addresses kept from one listing */

/* The ipam object the built-in IPAM works from: the config's, with the
 * keys it leaves out taken from the node file (configuration_path, else
 * IPAM_FLAT_FILE when it exists). *merged is NULL when there is nothing to
 * add (use c->ipam as is), else a new object for the caller to free.
 * *etcd: the resulting "datastore" is "etcd". */
int ipam_conf_resolve(const struct cni_conf *c, cJSON **merged, bool *etcd, struct cni_error *ce);

/* The same verbs as ipam_local_*, on c->ipam already resolved. */
int ipam_cluster_add(const struct cni_conf *c, const struct cni_env *env, struct cni_result *out,
		     struct cni_error *ce);
int ipam_cluster_del(const struct cni_conf *c, const struct cni_env *env, struct cni_error *ce);
int ipam_cluster_check(const struct cni_conf *c, const struct cni_env *env, struct cni_error *ce);
int ipam_cluster_status(const struct cni_conf *c, struct cni_error *ce);
int ipam_cluster_gc(const struct cni_conf *c, struct cni_error *ce);

#endif
