/* IPAM for the attachment kinds: mignet's own store in-process when
 * ipam.type is "mignet-ipam", otherwise the named plugin is executed from
 * CNI_PATH as the spec describes. */
#ifndef MIGNET_IPAM_H
#define MIGNET_IPAM_H

#include "conf.h"
#include "result.h"
#include "skel.h"

#define MIGNET_IPAM_TYPE "mignet-ipam"

/* ips/routes/dns of the lease, IPs without an interface index. */
int cni_ipam_add(const struct cni_conf *c, const struct cni_env *env,
		 const char *stdin_json, struct cni_result *out, struct cni_error *ce);
/* Releases whatever the attachment holds; succeeds when it holds nothing. */
int cni_ipam_del(const struct cni_conf *c, const struct cni_env *env,
		 const char *stdin_json, struct cni_error *ce);
int cni_ipam_check(const struct cni_conf *c, const struct cni_env *env,
		   const char *stdin_json, struct cni_error *ce);
int cni_ipam_status(const struct cni_conf *c, const struct cni_env *env,
		    const char *stdin_json, struct cni_error *ce);
int cni_ipam_gc(const struct cni_conf *c, const struct cni_env *env,
		const char *stdin_json, struct cni_error *ce);

#endif
