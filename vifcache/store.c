#define _GNU_SOURCE
#include "vc_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "base64.h"
#include "jsoncheck.h"
#include "kubevirt.h"
#include "names.h"

/* Records and KubeVirt files are a few KB: read them on the stack, and
 * allocate only for the rare bigger one (up to the format's limit). */
#define SMALL_FILE 8192

int vc_store_open(struct vc_store *s, const char *root, bool write, struct np_err *e)
{
	memset(s, 0, sizeof(*s));
	s->rootfd = s->lockfd = -1;
	s->kubevirt_uid = VC_KUBEVIRT_UID;
	s->kubevirt_gid = VC_KUBEVIRT_GID;
	if (!root)
		root = VC_DEFAULT_ROOT;
	if ((size_t)snprintf(s->root, sizeof(s->root), "%s", root) >= sizeof(s->root))
		return np_errmsg(e, -ENAMETOOLONG, "cache root is too long");
	int rc = np_path_plain_absolute(root, "cache root", e);
	if (rc < 0)
		return rc;
	if (write) {
		s->rootfd = np_dir_open_chain(root, e);
	} else {
		/* readers never create anything; a missing root is an empty cache */
		s->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s->rootfd < 0 && errno == ENOENT)
			return 0; /* rootfd -1: an empty cache */
		if (s->rootfd < 0)
			return np_errf(e, -errno, "cache root %s%s", root,
				       errno == ELOOP || errno == ENOTDIR ? " is a symlink or not a directory" : "");
	}
	if (s->rootfd < 0)
		return np_err_prefix(e, s->rootfd, "cache root %s: ", root);
	rc = np_dir_check_trusted(s->rootfd, root, e);
	if (rc < 0) {
		vc_store_close(s);
		return rc;
	}
	if (!write)
		return 0;
	s->lockfd = np_open_state(s->rootfd, ".lock", O_RDWR | O_CREAT, 0600, NULL, e);
	if (s->lockfd < 0) {
		rc = np_err_prefix(e, s->lockfd, "cache root %s: ", root);
		vc_store_close(s);
		return rc;
	}
	while (flock(s->lockfd, LOCK_EX) < 0)
		if (errno != EINTR) {
			rc = np_errf(e, -errno, "cache root %s: cannot take the lock", root);
			vc_store_close(s);
			return rc;
		}
	return 0;
}

void vc_store_close(struct vc_store *s)
{
	if (s->lockfd >= 0)
		close(s->lockfd);
	if (s->rootfd >= 0)
		close(s->rootfd);
	s->lockfd = s->rootfd = -1;
}

/* A pod interface may be named "vif-cache-x", so records and KubeVirt's
 * files cannot share a directory: the record of "vif-cache-x" would be
 * KubeVirt's file of "x". Records live in VC_RECORD_DIR inside the VM
 * directory, whose name is neither a KubeVirt file ("vif-cache-*.json")
 * nor a record of the old layout ("<iface>.json"), and KubeVirt's files
 * stay where KubeVirt's own cache directory has them. */
#define KV_PREFIX "vif-cache-"

static int check_key(const char *ns, const char *vm, const char *iface, struct np_err *e)
{
	int rc = vc_key_validate(ns, vm, iface, e);
	return rc < 0 ? np_err_prefix(e, rc, "cache key: ") : 0;
}

/* dirfd/name as a directory (made with mode when create is set and it is
 * missing): never through a symlink, and O_DIRECTORY refuses a FIFO
 * before anything could block on it. Returns the fd or a negative errno. */
static int sub_dir(int dirfd, const char *name, bool create, mode_t mode)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(dirfd, name, mode) < 0 && errno != EEXIST)
			return -errno;
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	return fd < 0 ? -errno : fd;
}

/* The message for a directory of the cache that could not be had; a
 * missing one stays a bare -ENOENT for readers (no record). */
static int dir_failed(struct np_err *e, int rc, bool create, const char *ns, const char *vm,
		      const char *sub)
{
	if (rc == -ENOENT && !create)
		return rc;
	return np_errf(e, rc, "cache: cannot %s %s%s%s%s%s%s", create ? "create or open" : "open", ns,
		       vm ? "/" : "", vm ? vm : "", sub ? "/" : "", sub ? sub : "",
		       rc == -ELOOP || rc == -ENOTDIR ? " (not a directory; symlinks are not followed)" : "");
}

/* The <ns>/<vm> directory, created (0755: KubeVirt's files in it are read
 * by the qemu user) when create is set. */
static int vm_dir(struct vc_store *s, const char *ns, const char *vm, bool create,
		  struct np_err *e)
{
	if (s->rootfd < 0)
		return -ENOENT;
	int nfd = sub_dir(s->rootfd, ns, create, 0755);
	if (nfd < 0)
		return dir_failed(e, nfd, create, ns, NULL, NULL);
	int fd = sub_dir(nfd, vm, create, 0755);
	close(nfd);
	return fd < 0 ? dir_failed(e, fd, create, ns, vm, NULL) : fd;
}

/* The records' directory of a VM (0700: records are root's alone). */
static int rec_dir(int vmfd, bool create, const char *ns, const char *vm, struct np_err *e)
{
	int fd = sub_dir(vmfd, VC_RECORD_DIR, create, 0700);
	return fd < 0 ? dir_failed(e, fd, create, ns, vm, VC_RECORD_DIR) : fd;
}

static void record_name(const char *iface, char *buf, size_t len)
{
	snprintf(buf, len, "%s.json", iface);
}

/* Where the old layout kept iface's record: "<iface>.json" in the VM
 * directory. -1 for an iface named "vif-cache-...": that name is KubeVirt's
 * file of another interface, never read or removed as a record. */
static int legacy_name(const char *iface, char *buf, size_t len)
{
	if (!strncmp(iface, KV_PREFIX, strlen(KV_PREFIX)))
		return -1;
	record_name(iface, buf, len);
	return 0;
}

/* Removes <ns>/<vm>/<VC_RECORD_DIR>, <ns>/<vm> and <ns> where they are
 * empty (rmdir leaves the others), so an attachment that is gone or never
 * came leaves no directory. Only writers call it: they hold the lock, so
 * no other writer is filling these directories meanwhile. */
static void prune(struct vc_store *s, const char *ns, const char *vm)
{
	int nfd = s->rootfd < 0 ? -1 : sub_dir(s->rootfd, ns, false, 0);
	if (nfd < 0)
		return;
	int vfd = sub_dir(nfd, vm, false, 0);
	if (vfd >= 0) {
		unlinkat(vfd, VC_RECORD_DIR, AT_REMOVEDIR);
		close(vfd);
		unlinkat(nfd, vm, AT_REMOVEDIR);
	}
	close(nfd);
	unlinkat(s->rootfd, ns, AT_REMOVEDIR);
}

int vc_store_prune(struct vc_store *s, const char *ns, const char *vm, struct np_err *e)
{
	int rc;
	if ((rc = vc_key_validate(ns, vm, NULL, e)) < 0)
		return np_err_prefix(e, rc, "cache key: ");
	if (s->lockfd < 0)
		return np_errmsg(e, -EBADF, "cache %s: only a writer (holding the lock) may remove directories", s->root);
	prune(s, ns, vm);
	return 0;
}

/* Unlinks dfd/name and the temp file a killed writer of it may have left. */
static int unlink_state(int dfd, const char *name)
{
	int rc = unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
	np_atomic_cleanup(dfd, name);
	return rc;
}

/* Writes txt (taking it) as name in r's VM directory, or in its records'
 * directory when record is set. */
static int write_vm_file(struct vc_store *s, const struct vc_record *r, bool record,
			 const char *name, char *txt, mode_t mode, uid_t uid, gid_t gid,
			 struct np_err *e)
{
	int rc = txt ? vc_record_validate(r, e) : np_errmsg(e, -ENOMEM, "out of memory");
	bool key_ok = rc == 0;
	int vmfd = -1, dfd = -1;
	if (rc == 0)
		rc = vmfd = vm_dir(s, r->ns, r->vm, true, e);
	if (rc >= 0 && record)
		rc = dfd = rec_dir(vmfd, true, r->ns, r->vm, e);
	if (rc >= 0)
		rc = np_atomic_write_as(record ? dfd : vmfd, name, txt, strlen(txt), mode, uid, gid,
					NP_ATOMIC_DURABLE, e);
	char legacy[32];
	/* the record has moved out of the old layout: the new one wins on
	 * reads anyway, so a failure here changes nothing */
	if (rc == 0 && record && legacy_name(r->pod_iface, legacy, sizeof(legacy)) == 0)
		unlink_state(vmfd, legacy);
	if (dfd >= 0)
		close(dfd);
	if (vmfd >= 0)
		close(vmfd);
	free(txt);
	if (rc < 0 && key_ok)
		prune(s, r->ns, r->vm); /* no empty directory from a write that failed */
	if (rc < 0)
		np_err_prefix(e, rc, "cache: %s/%s/%s%s: ", r->ns, r->vm, record ? VC_RECORD_DIR "/" : "", name);
	return rc;
}

int vc_store_write(struct vc_store *s, const struct vc_record *r, struct np_err *e)
{
	char name[32];
	record_name(r->pod_iface, name, sizeof(name));
	return write_vm_file(s, r, true, name, vc_record_format(r), 0600, (uid_t)-1, (gid_t)-1, e);
}

int vc_store_write_kubevirt(struct vc_store *s, const struct vc_record *r, struct np_err *e)
{
	char name[48];
	vc_kubevirt_filename(r->pod_iface, name, sizeof(name));
	return write_vm_file(s, r, false, name, vc_kubevirt_format(r), VC_KUBEVIRT_MODE, s->kubevirt_uid,
			     s->kubevirt_gid, e);
}

/* Reads <dfd>/<iface>.json (dfd is <ns>/<vm>/<where>) and checks that it
 * belongs where it lies. */
static int read_record_file(int dfd, const char *where, const char *ns, const char *vm,
			    const char *pod_iface, struct vc_record *r, struct np_err *e)
{
	char name[32], small[SMALL_FILE], *txt = small;
	size_t len;
	struct np_err fe = { 0 };
	record_name(pod_iface, name, sizeof(name));
	int rc = np_file_read_into(dfd, name, small, sizeof(small), &len, &fe);
	if (rc == -EFBIG)
		rc = np_file_read(dfd, name, VC_RECORD_MAX, &txt, &len, &fe);
	if (rc == -ENOENT)
		return rc;
	if (rc < 0)
		return np_errmsg(e, rc, "cache: %s/%s/%s%s", ns, vm, where, fe.msg);
	rc = vc_record_parse(txt, len, r, &fe);
	if (txt != small)
		free(txt);
	if (rc < 0)
		return np_errmsg(e, rc, "cache: %s/%s/%s%s: %s", ns, vm, where, name, fe.msg);
	if (strcmp(r->ns, ns) || strcmp(r->vm, vm) || strcmp(r->pod_iface, pod_iface))
		return np_errmsg(e, -EINVAL, "cache: %s/%s/%s%s names %s/%s/%s inside: refusing it", ns, vm,
				 where, name, r->ns, r->vm, r->pod_iface);
	return 0;
}

/* The record of pod_iface in the VM directory vmfd: from the records'
 * directory, else where the old layout kept it. */
static int read_record_at(int vmfd, const char *ns, const char *vm, const char *pod_iface,
			  struct vc_record *r, struct np_err *e)
{
	int rfd = rec_dir(vmfd, false, ns, vm, e);
	if (rfd < 0 && rfd != -ENOENT)
		return rfd;
	int rc = -ENOENT;
	if (rfd >= 0) {
		rc = read_record_file(rfd, VC_RECORD_DIR "/", ns, vm, pod_iface, r, e);
		close(rfd);
	}
	char legacy[32];
	if (rc == -ENOENT && legacy_name(pod_iface, legacy, sizeof(legacy)) == 0)
		rc = read_record_file(vmfd, "", ns, vm, pod_iface, r, e);
	return rc;
}

/* The existing <ns>/<vm> directory of a record, once the names are valid. */
static int record_vm_dir(struct vc_store *s, const char *ns, const char *vm,
			 const char *pod_iface, struct np_err *e)
{
	int rc = check_key(ns, vm, pod_iface, e);
	return rc < 0 ? rc : vm_dir(s, ns, vm, false, e);
}

int vc_store_read(struct vc_store *s, const char *ns, const char *vm,
		  const char *pod_iface, struct vc_record *r, struct np_err *e)
{
	int vmfd = record_vm_dir(s, ns, vm, pod_iface, e);
	if (vmfd < 0)
		return vmfd;
	int rc = read_record_at(vmfd, ns, vm, pod_iface, r, e);
	close(vmfd);
	return rc;
}

int vc_store_read_kubevirt_at(int dirfd, const char *pod_iface, struct vc_record *r,
			      struct np_err *e)
{
	char name[48], small[SMALL_FILE], *txt = small;
	size_t len;
	bool disabled;
	struct np_err fe = { 0 };
	vc_kubevirt_filename(pod_iface, name, sizeof(name));
	int rc = np_file_read_into(dirfd, name, small, sizeof(small), &len, &fe);
	if (rc == -EFBIG)
		rc = np_file_read(dirfd, name, VC_KUBEVIRT_MAX, &txt, &len, &fe);
	if (rc < 0)
		return rc == -ENOENT ? rc : np_errmsg(e, rc, "cache: %s", fe.msg);
	rc = vc_kubevirt_parse(txt, len, r, &disabled, e);
	if (txt != small)
		free(txt);
	return rc;
}

bool vc_store_kubevirt_looks_right(int dirfd, const char *pod_iface, const struct vc_record *r)
{
	char name[48], buf[SMALL_FILE], want[16] = "";
	size_t len, vl;
	const char *v;
	vc_kubevirt_filename(pod_iface, name, sizeof(name));
	if (np_file_read_into(dirfd, name, buf, sizeof(buf), &len, NULL) < 0 ||
	    !vc_json_valid(buf, len, "MAC", &v, &vl))
		return false;
	if (!r->has_mac)
		return v == NULL;
	vc_base64_encode(r->mac, NP_MAC_LEN, want);
	return v && vl == strlen(want) && !memcmp(v, want, vl);
}

int vc_store_read_kubevirt(struct vc_store *s, const char *ns, const char *vm,
			   const char *pod_iface, struct vc_record *r, struct np_err *e)
{
	int vmfd = record_vm_dir(s, ns, vm, pod_iface, e);
	if (vmfd < 0)
		return vmfd;
	int rc = vc_store_read_kubevirt_at(vmfd, pod_iface, r, e);
	close(vmfd);
	return rc;
}

int vc_store_remove(struct vc_store *s, const char *ns, const char *vm,
		    const char *pod_iface, struct np_err *e)
{
	int vmfd = record_vm_dir(s, ns, vm, pod_iface, e);
	if (vmfd == -ENOENT)
		return 0;
	if (vmfd < 0)
		return vmfd;
	char name[48];
	int rfd = rec_dir(vmfd, false, ns, vm, e), rc = 0;
	if (rfd >= 0) {
		record_name(pod_iface, name, sizeof(name));
		rc = unlink_state(rfd, name);
		close(rfd);
	} else if (rfd != -ENOENT) {
		rc = rfd;
	}
	if (rc == 0 && legacy_name(pod_iface, name, sizeof(name)) == 0)
		rc = unlink_state(vmfd, name);
	vc_kubevirt_filename(pod_iface, name, sizeof(name));
	if (rc == 0)
		rc = unlink_state(vmfd, name);
	close(vmfd);
	if (rc < 0)
		return np_errf(e, rc, "cache: cannot remove %s/%s/%s", ns, vm, pod_iface);
	prune(s, ns, vm);
	return 0;
}

static DIR *open_subdir(int parent, const char *name)
{
	int fd = sub_dir(parent, name, false, 0);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d && fd >= 0)
		close(fd);
	return d;
}

#define VM_DIR_MAX 256 /* entries of one directory looked at */

struct listing {
	int n;
	char name[VM_DIR_MAX][IFNAMSIZ + 16];
};

/* The names in directory fd (-1: none) that may be records or KubeVirt
 * files. getdents64 straight into a buffer: a node-wide walk lists two
 * directories per VM, and a DIR for each costs more than the listing. */
static void list_names(int fd, struct listing *l)
{
	union {
		struct dirent64 align;
		char b[8192];
	} buf;
	ssize_t got;
	l->n = 0;
	while (fd >= 0 && (got = getdents64(fd, buf.b, sizeof(buf.b))) > 0)
		for (ssize_t off = 0; off < got;) {
			const struct dirent64 *de = (const void *)(buf.b + off);
			off += de->d_reclen;
			if (l->n < VM_DIR_MAX && de->d_name[0] != '.' && strlen(de->d_name) < sizeof(l->name[0]))
				strcpy(l->name[l->n++], de->d_name);
		}
}

static bool listed(const struct listing *l, const char *name)
{
	for (int i = 0; i < l->n; i++)
		if (!strcmp(l->name[i], name))
			return true;
	return false;
}

/* "<iface>.json" with a valid iface. */
static bool record_file(const char *name, char *iface, size_t len)
{
	size_t n = strlen(name);
	if (name[0] == '.' || n < 6 || strcmp(name + n - 5, ".json") || n - 5 >= len)
		return false;
	memcpy(iface, name, n - 5);
	iface[n - 5] = '\0';
	return np_valid_ifname(iface, "pod interface", NULL) == 0;
}

/* One walk's state; the listings are allocated once per walk. */
struct walk {
	int (*cb)(const struct vc_entry *, void *);
	void *arg;
	struct listing vm_names, rec_names;
	const char *ns, *vm;
	int vmfd;
};

/* Reads one record (dfd/<iface>.json, dfd being <vm>/<where>) and hands
 * it to the callback, damaged or not. */
static int visit(struct walk *w, int dfd, const char *where, const char *iface)
{
	struct vc_record r;
	struct np_err err = { 0 };
	char kv[48];
	int rr = read_record_file(dfd, where, w->ns, w->vm, iface, &r, &err);
	if (rr == -ENOENT) /* gone since the listing */
		return 0;
	vc_kubevirt_filename(iface, kv, sizeof(kv));
	struct vc_entry en = {
		.ns = w->ns, .vm = w->vm, .pod_iface = iface, .r = rr == 0 ? &r : NULL, .err = &err,
		.has_kubevirt = listed(&w->vm_names, kv), .dirfd = w->vmfd,
	};
	return w->cb(&en, w->arg);
}

static int walk_vm(struct walk *w, int nsfd, const char *ns, const char *vm)
{
	int vmfd = sub_dir(nsfd, vm, false, 0);
	if (vmfd < 0)
		return 0;
	int rfd = sub_dir(vmfd, VC_RECORD_DIR, false, 0);
	/* one listing each tells the records and which have a KubeVirt file */
	list_names(vmfd, &w->vm_names);
	list_names(rfd, &w->rec_names);
	w->ns = ns;
	w->vm = vm;
	w->vmfd = vmfd;
	char iface[IFNAMSIZ];
	int rc = 0;
	for (int i = 0; rc >= 0 && i < w->rec_names.n; i++)
		if (record_file(w->rec_names.name[i], iface, sizeof(iface)))
			rc = visit(w, rfd, VC_RECORD_DIR "/", iface);
	/* records of the old layout that have not moved yet */
	for (int i = 0; rc >= 0 && i < w->vm_names.n; i++) {
		const char *name = w->vm_names.name[i];
		if (strncmp(name, KV_PREFIX, strlen(KV_PREFIX)) && !listed(&w->rec_names, name) &&
		    record_file(name, iface, sizeof(iface)))
			rc = visit(w, vmfd, "", iface);
	}
	if (rfd >= 0)
		close(rfd);
	close(vmfd);
	return rc;
}

int vc_store_walk(struct vc_store *s, const char *ns, const char *vm,
		  int (*cb)(const struct vc_entry *en, void *arg), void *arg,
		  struct np_err *e)
{
	int rc;
	if ((ns && (rc = np_valid_k8s_label(ns, "namespace", e)) < 0) ||
	    (vm && (rc = np_valid_k8s_subdomain(vm, "VM name", e)) < 0))
		return rc;
	if (s->rootfd < 0)
		return 0;
	int rootdup = fcntl(s->rootfd, F_DUPFD_CLOEXEC, 0);
	DIR *root = rootdup >= 0 ? fdopendir(rootdup) : NULL;
	struct walk *w = root ? calloc(1, sizeof(*w)) : NULL;
	if (!w) {
		rc = np_errf(e, root ? -ENOMEM : -errno, "cache root %s: cannot list", s->root);
		if (root)
			closedir(root);
		else if (rootdup >= 0)
			close(rootdup);
		return rc;
	}
	w->cb = cb;
	w->arg = arg;
	rewinddir(root);
	struct dirent *nde;
	rc = 0;
	while (rc >= 0 && (nde = readdir(root))) {
		/* a directory whose name no Kubernetes namespace has is not ours */
		if (nde->d_name[0] == '.' || np_valid_k8s_label(nde->d_name, "namespace", NULL) < 0 ||
		    (ns && strcmp(ns, nde->d_name)))
			continue;
		DIR *nsd = open_subdir(s->rootfd, nde->d_name);
		if (!nsd)
			continue;
		struct dirent *vde;
		while (rc >= 0 && (vde = readdir(nsd))) {
			if (vde->d_name[0] == '.' || np_valid_k8s_subdomain(vde->d_name, "VM name", NULL) < 0 ||
			    (vm && strcmp(vm, vde->d_name)))
				continue;
			rc = walk_vm(w, dirfd(nsd), nde->d_name, vde->d_name);
		}
		closedir(nsd);
	}
	closedir(root);
	free(w);
	return rc < 0 ? rc : 0;
}

int vc_store_namespaces(struct vc_store *s, char (**out)[VC_NAME_MAX + 1], int *n,
			struct np_err *e)
{
	*out = NULL;
	*n = 0;
	if (s->rootfd < 0)
		return 0;
	int fd = openat(s->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return np_errf(e, -errno, "cache root %s: cannot list", s->root);
	}
	int cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || np_valid_k8s_label(de->d_name, "namespace", NULL) < 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			void *nb = realloc(*out, (size_t)cap * sizeof(**out));
			if (!nb) {
				closedir(d);
				return np_errmsg(e, -ENOMEM, "out of memory");
			}
			*out = nb;
		}
		snprintf((*out)[(*n)++], VC_NAME_MAX + 1, "%.253s", de->d_name);
	}
	closedir(d);
	return 0;
}
