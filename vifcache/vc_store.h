/* The vif-cache store: <root>/<namespace>/<vm>/ holds KubeVirt's
 * vif-cache-<podiface>.json (bridge binding; KubeVirt's encoding, mode
 * 0604, owned by the qemu user), and its subdirectory mignet/ (0700) holds
 * mignet's records, <podiface>.json (mode 0600). Records of the old layout
 * (<vm>/<podiface>.json) are still read, and move on their next write.
 * No symlink is followed anywhere, no non-regular file is opened, names
 * are validated before they become path components, writers hold
 * <root>/.lock, and every write is atomic and durable (temp file, fsync,
 * rename, fsync of the directory), so a reader sees the old or the new
 * record and a crash never leaves a torn one. */
#ifndef MIGNET_VC_STORE_H
#define MIGNET_VC_STORE_H

#include <stdbool.h>
#include <sys/types.h>

#include "record.h"

#define VC_DEFAULT_ROOT "/run/mignet/vifcache"
/* The records' directory inside a VM directory: not a name KubeVirt's
 * files ("vif-cache-*.json") or old records ("*.json") can have. */
#define VC_RECORD_DIR "mignet"

struct vc_store {
	int rootfd;
	int lockfd;     /* -1 unless opened for writing */
	char root[4096];
	uid_t kubevirt_uid;
	gid_t kubevirt_gid;
};

/* write: create the root if missing and take the writer lock. Readers
 * see a missing root as an empty cache. */
int vc_store_open(struct vc_store *s, const char *root, bool write, struct np_err *e);
void vc_store_close(struct vc_store *s);

int vc_store_write(struct vc_store *s, const struct vc_record *r, struct np_err *e);
int vc_store_write_kubevirt(struct vc_store *s, const struct vc_record *r, struct np_err *e);
/* -ENOENT: no record; -EBADMSG/-EINVAL/-EFBIG: torn, garbage or hostile
 * content (the message says which). */
int vc_store_read(struct vc_store *s, const char *ns, const char *vm,
		  const char *pod_iface, struct vc_record *r, struct np_err *e);
/* Reads the KubeVirt file into r's MAC/IP/gateway/routes. */
int vc_store_read_kubevirt(struct vc_store *s, const char *ns, const char *vm,
			   const char *pod_iface, struct vc_record *r, struct np_err *e);
/* Same, from a VM directory fd a walk handed out (vc_entry.dirfd). */
int vc_store_read_kubevirt_at(int dirfd, const char *pod_iface, struct vc_record *r,
			      struct np_err *e);
/* The cheap check of a node-wide scan: the KubeVirt file at dirfd is
 * well-formed JSON whose MAC is r's. false means "look closer" (missing,
 * damaged, different, or just unusual), not a verdict. */
bool vc_store_kubevirt_looks_right(int dirfd, const char *pod_iface, const struct vc_record *r);
/* Removes the record and its KubeVirt file, then the VM's directories
 * that are left empty; 0 if there was nothing. */
int vc_store_remove(struct vc_store *s, const char *ns, const char *vm,
		    const char *pod_iface, struct np_err *e);
/* Removes <ns>/<vm> (and <ns>) if nothing is left in them: for a writer
 * whose attachment has no record (a failed ADD's DEL). */
int vc_store_prune(struct vc_store *s, const char *ns, const char *vm, struct np_err *e);

/* One entry of a walk: r is NULL when the file could not be parsed (then
 * err says why). */
struct vc_entry {
	const char *ns, *vm, *pod_iface;
	const struct vc_record *r;
	const struct np_err *err;
	bool has_kubevirt;
	int dirfd;      /* the VM directory, valid during the callback */
};

/* Walks every record (ns and vm may be NULL to mean all); a negative
 * return from cb stops the walk. */
int vc_store_walk(struct vc_store *s, const char *ns, const char *vm,
		  int (*cb)(const struct vc_entry *en, void *arg), void *arg,
		  struct np_err *e);

/* The namespace directories of the cache, in directory order (names are
 * validated); *out is malloc'ed, entries VC_NAME_MAX + 1 bytes. */
int vc_store_namespaces(struct vc_store *s, char (**out)[VC_NAME_MAX + 1], int *n,
			struct np_err *e);

#endif
