/* The plugin's side of the vif-cache, for interfaces of VMs (pods with a
 * VM identity): reattach with an imported record's MAC and IPs, write the
 * record after ADD, drop it on DEL and GC. Config: "vifCacheDir" (default
 * /run/mignet/vifcache). */
#ifndef MIGNET_VIFHOOK_H
#define MIGNET_VIFHOOK_H

#include "conf.h"
#include "result.h"
#include "skel.h"

/* Before ADD: a record for (VM, CNI_IFNAME) supplies the MAC and IPs that
 * were not requested otherwise. A damaged record is an error (repair it
 * first) rather than a silent new identity. */
int vifhook_reattach(struct cni_conf *c, const struct cni_env *env, struct cni_error *ce);
/* After a successful ADD. */
int vifhook_record(const struct cni_conf *c, const struct cni_env *env,
		   const struct cni_result *res, struct cni_error *ce);
/* DEL: removes the record if this attachment owns it. */
int vifhook_forget(const struct cni_conf *c, const struct cni_env *env, struct cni_error *ce);
/* GC: removes records owned by attachments not in the valid list. */
int vifhook_gc(const struct cni_conf *c, struct cni_error *ce);

#endif
