/* KubeVirt's two caches for one bridge-bound VM interface, checked where
 * KubeVirt reads them: the launcher pod's vif-cache-<podiface>.json
 * against the pod interface and the VM's MAC, and virt-handler's
 * network-info-cache entry against the launcher running now (the state a
 * dead target pod left behind, KubeVirt #18087). kv-verify prints the
 * findings; kv-repair acts on them. */
#ifndef MIGNET_VC_KVCHECK_H
#define MIGNET_VC_KVCHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "kvhandler.h"
#include "kvpod.h"
#include "kvpodnet.h"
#include "kvstate.h"
#include "record.h"

enum vc_kvkind {
	/* the launcher's vif-cache file (rewriting it fixes these) */
	VC_KVF_MISSING,
	VC_KVF_NOT_REGULAR,
	VC_KVF_TORN,
	VC_KVF_PERM,
	VC_KVF_MAC,
	VC_KVF_IP,
	VC_KVF_IPAM,
	/* virt-handler's entry (resetting it to pending fixes these) */
	VC_KVS_STALE_FINISHED,
	VC_KVS_STARTED,
	VC_KVS_UNKNOWN,
	VC_KVS_TORN,
	/* what no rewrite can fix */
	VC_KVS_NOT_REGULAR,
	VC_KV_NOT_BRIDGE,
	VC_KV_NO_PRIVATE_DIR,
	VC_KV_NO_IFACE,
};

struct vc_kvfinding {
	enum vc_kvkind kind;
	const char *file;   /* the path it is about */
	char text[400];
};

#define VC_KV_MAX_FINDINGS 16

struct vc_kvcheck {
	/* in */
	const struct vc_kvpod *pod;
	const char *iface;
	bool has_mac;
	uint8_t mac[NP_MAC_LEN];       /* the VM's */
	unsigned int kv_uid, kv_gid;   /* who reads the file in the pod */
	const char *handler_root, *vmi_uid, *network;   /* NULL: entry not checked */
	/* out */
	int privfd;                    /* the pod's kubevirt-private dir, or -1 */
	char vif_name[64], vif_path[160];
	int file_rc;                   /* 0: read and parsed */
	struct stat file_st;
	struct vc_record file;
	bool file_ipam_disabled;
	int iface_rc;
	struct vc_kvpodnet podnet;
	bool has_entry;
	struct vc_kventry entry;
	int state_rc;                  /* 0: parsed (or absent: entry.rc -ENOENT) */
	struct vc_kvstate state;
	int n;
	struct vc_kvfinding f[VC_KV_MAX_FINDINGS];
};

/* Runs every check; a negative return is a failure to look (the message
 * says which), not a finding. */
int vc_kvcheck_run(struct vc_kvcheck *c, struct np_err *e);
void vc_kvcheck_free(struct vc_kvcheck *c);
/* Moves src's results, descriptors and buffers into dst; src is left
 * owning nothing, ready to be run again. */
void vc_kvcheck_move(struct vc_kvcheck *dst, struct vc_kvcheck *src);

bool vc_kvcheck_has(const struct vc_kvcheck *c, enum vc_kvkind k);
bool vc_kvcheck_file_needs_write(const struct vc_kvcheck *c);
bool vc_kvcheck_state_needs_reset(const struct vc_kvcheck *c);
/* kv-verify's exit: 0 nothing found, 4 the file (or the pod interface) is
 * missing or unreadable, 3 anything else. */
int vc_kvcheck_exit(const struct vc_kvcheck *c);
const char *vc_kvkind_name(enum vc_kvkind k);

#endif
