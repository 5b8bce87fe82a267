/* virt-handler's network-info-cache/<vmiUID>/<network> entry on the node
 * (a hostPath, default /var/run/kubevirt-private): found without
 * following any symlink beneath the handler root, read with its mode and
 * owner, and replaced atomically keeping them. */
#ifndef MIGNET_VC_KVHANDLER_H
#define MIGNET_VC_KVHANDLER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "err.h"

#define VC_KV_HANDLER_ROOT "/var/run/kubevirt-private"
#define VC_KV_NETINFO_DIR "network-info-cache"

struct vc_kventry {
	int dirfd;            /* network-info-cache/<uid>, -1 when missing */
	char name[256];       /* the network */
	char path[4400];      /* the entry's full path, for messages */
	int rc;               /* 0 read; -ENOENT absent (KubeVirt: pending); other: unreadable */
	char err[NP_ERR_MAX]; /* why, when rc is another error */
	char *text;
	size_t len;
	struct stat st;
};

/* root: the handler root given by the operator (a symlink in it, such as
 * the node's /var/run -> /run, is followed; nothing beneath it is). uid
 * and network must be valid path components. Returns 0 with e->rc telling
 * what was found, or a negative errno when the lookup itself failed for
 * another reason than a missing part. */
int vc_kventry_open(struct vc_kventry *en, const char *root, const char *uid,
		    const char *network, struct np_err *e);
void vc_kventry_close(struct vc_kventry *en);

/* Replaces the entry with text, same mode and owner as the file it
 * replaces; the directory must be owned by this user and not
 * world-writable. */
int vc_kventry_write(struct vc_kventry *en, const char *text, size_t len, struct np_err *e);

#endif
