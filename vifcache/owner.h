/* Is a record's owner still there? An owner is alive while its netns inode
 * exists (as some process's /proc/PID/ns/net or a bind mount under the
 * netns directory) or its pod's directory exists under kubelet's pods
 * directory. An owner that names neither cannot be judged and counts as
 * alive: nothing is removed on a guess. */
#ifndef MIGNET_VC_OWNER_H
#define MIGNET_VC_OWNER_H

#include <stdbool.h>
#include <stddef.h>

#include "record.h"

struct vc_liveness {
	const char *proc_root;      /* default /proc */
	const char *netns_dir;      /* default /run/netns */
	const char *kubelet_pods;   /* default /var/lib/kubelet/pods */
	unsigned long long *inodes; /* sorted */
	size_t n;
};

int vc_liveness_scan(struct vc_liveness *lv, struct np_err *e);
void vc_liveness_free(struct vc_liveness *lv);
bool vc_owner_alive(const struct vc_liveness *lv, const struct vc_owner *o);

#endif
