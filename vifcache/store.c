#define _GNU_SOURCE
#include "store.h"

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
	int rc = np_dir_check_trusted(s->rootfd, root, e);
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

static int check_names(const char *ns, const char *vm, const char *iface, struct np_err *e)
{
	int rc;
	if ((rc = np_valid_network_name(ns, e)) < 0 || (rc = np_valid_network_name(vm, e)) < 0)
		return np_err_prefix(e, rc, "cache key: ");
	if ((rc = np_valid_ifname(iface, "pod interface", e)) < 0)
		return rc;
	return 0;
}

/* The <ns>/<vm> directory, created when create is set. */
static int vm_dir(struct vc_store *s, const char *ns, const char *vm, bool create,
		  struct np_err *e)
{
	const char *parts[2] = { ns, vm };
	int fd = s->rootfd;
	if (fd < 0)
		return -ENOENT;
	for (int i = 0; i < 2; i++) {
		int next = openat(fd, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, parts[i], 0755) < 0 && errno != EEXIST) {
				next = -errno;
				if (fd != s->rootfd)
					close(fd);
				return np_errf(e, next, "cache: cannot create %s/%s", ns, i ? vm : "");
			}
			next = openat(fd, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		int err = errno;
		if (fd != s->rootfd)
			close(fd);
		if (next < 0)
			return err == ENOENT ? -ENOENT :
			       np_errf(e, -err, "cache: cannot open %s/%s%s", ns, i ? vm : "",
				       err == ELOOP || err == ENOTDIR ? " (symlinks are not followed)" : "");
		fd = next;
	}
	return fd;
}

static void record_name(const char *iface, char *buf, size_t len)
{
	snprintf(buf, len, "%s.json", iface);
}

/* Writes txt (taking it) as name in r's VM directory. */
static int write_vm_file(struct vc_store *s, const struct vc_record *r, const char *name,
			 char *txt, mode_t mode, uid_t uid, gid_t gid, struct np_err *e)
{
	int rc = vc_record_validate(r, e);
	int dfd = rc < 0 ? rc : vm_dir(s, r->ns, r->vm, true, e);
	if (rc == 0 && dfd >= 0)
		rc = txt ? np_atomic_write_as(dfd, name, txt, strlen(txt), mode, uid, gid, NP_ATOMIC_DURABLE, e) : -ENOMEM;
	else if (rc == 0)
		rc = dfd;
	if (rc < 0)
		np_err_prefix(e, rc, "cache: %s/%s/%s: ", r->ns, r->vm, name);
	if (dfd >= 0)
		close(dfd);
	free(txt);
	return rc;
}

int vc_store_write(struct vc_store *s, const struct vc_record *r, struct np_err *e)
{
	char name[32];
	record_name(r->pod_iface, name, sizeof(name));
	return write_vm_file(s, r, name, vc_record_format(r), 0600, (uid_t)-1, (gid_t)-1, e);
}

int vc_store_write_kubevirt(struct vc_store *s, const struct vc_record *r, struct np_err *e)
{
	char name[48];
	vc_kubevirt_filename(r->pod_iface, name, sizeof(name));
	return write_vm_file(s, r, name, vc_kubevirt_format(r), VC_KUBEVIRT_MODE, s->kubevirt_uid,
			     s->kubevirt_gid, e);
}

/* Reads <dfd>/<iface>.json and checks that it belongs where it lies. */
static int read_record_at(int dfd, const char *ns, const char *vm, const char *pod_iface,
			  struct vc_record *r, struct np_err *e)
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
		return np_errmsg(e, rc, "cache: %s/%s/%s", ns, vm, fe.msg);
	rc = vc_record_parse(txt, len, r, &fe);
	if (txt != small)
		free(txt);
	if (rc < 0)
		return np_errmsg(e, rc, "cache: %s/%s/%s: %s", ns, vm, name, fe.msg);
	if (strcmp(r->ns, ns) || strcmp(r->vm, vm) || strcmp(r->pod_iface, pod_iface))
		return np_errmsg(e, -EINVAL, "cache: %s/%s/%s names %s/%s/%s inside: refusing it", ns, vm,
				 name, r->ns, r->vm, r->pod_iface);
	return 0;
}

/* The existing <ns>/<vm> directory of a record, once the names are valid. */
static int record_dir(struct vc_store *s, const char *ns, const char *vm,
		      const char *pod_iface, struct np_err *e)
{
	int rc = check_names(ns, vm, pod_iface, e);
	return rc < 0 ? rc : vm_dir(s, ns, vm, false, e);
}

int vc_store_read(struct vc_store *s, const char *ns, const char *vm,
		  const char *pod_iface, struct vc_record *r, struct np_err *e)
{
	int dfd = record_dir(s, ns, vm, pod_iface, e);
	if (dfd < 0)
		return dfd;
	int rc = read_record_at(dfd, ns, vm, pod_iface, r, e);
	close(dfd);
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
	int dfd = record_dir(s, ns, vm, pod_iface, e);
	if (dfd < 0)
		return dfd;
	int rc = vc_store_read_kubevirt_at(dfd, pod_iface, r, e);
	close(dfd);
	return rc;
}

int vc_store_remove(struct vc_store *s, const char *ns, const char *vm,
		    const char *pod_iface, struct np_err *e)
{
	int dfd = record_dir(s, ns, vm, pod_iface, e);
	if (dfd == -ENOENT)
		return 0;
	if (dfd < 0)
		return dfd;
	char name[48];
	record_name(pod_iface, name, sizeof(name));
	int rc = unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
	np_atomic_cleanup(dfd, name);
	vc_kubevirt_filename(pod_iface, name, sizeof(name));
	if (rc == 0 && unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
		rc = -errno;
	np_atomic_cleanup(dfd, name);
	close(dfd);
	if (rc < 0)
		return np_errf(e, rc, "cache: cannot remove %s/%s/%s", ns, vm, pod_iface);
	/* empty VM and namespace directories go too (ignore ENOTEMPTY) */
	int nfd = openat(s->rootfd, ns, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (nfd >= 0) {
		unlinkat(nfd, vm, AT_REMOVEDIR);
		close(nfd);
		unlinkat(s->rootfd, ns, AT_REMOVEDIR);
	}
	return 0;
}

static DIR *open_subdir(int parent, const char *name)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d && fd >= 0)
		close(fd);
	return d;
}

static bool record_file(const char *name, char *iface, size_t len)
{
	size_t n = strlen(name);
	if (name[0] == '.' || n < 6 || strcmp(name + n - 5, ".json") || !strncmp(name, "vif-cache-", 10) ||
	    n - 5 >= len)
		return false;
	memcpy(iface, name, n - 5);
	iface[n - 5] = '\0';
	return np_valid_ifname(iface, "pod interface", NULL) == 0;
}

#define VM_DIR_MAX 256 /* entries of one VM directory looked at */

static int walk_vm(struct vc_store *s, const char *ns, const char *vm,
		   int (*cb)(const struct vc_entry *, void *), void *arg)
{
	int nfd = openat(s->rootfd, ns, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (nfd < 0)
		return 0;
	DIR *d = open_subdir(nfd, vm);
	close(nfd);
	if (!d)
		return 0;
	/* one listing tells both the records and which have a KubeVirt file */
	char names[VM_DIR_MAX][IFNAMSIZ + 16];
	int n = 0;
	struct dirent *de;
	while (n < VM_DIR_MAX && (de = readdir(d)))
		if (de->d_name[0] != '.' && strlen(de->d_name) < sizeof(names[0]))
			strcpy(names[n++], de->d_name);
	int rc = 0;
	for (int i = 0; rc >= 0 && i < n; i++) {
		char iface[IFNAMSIZ], kv[48];
		if (!record_file(names[i], iface, sizeof(iface)))
			continue;
		struct vc_record r;
		struct np_err err = { 0 };
		int rr = read_record_at(dirfd(d), ns, vm, iface, &r, &err);
		vc_kubevirt_filename(iface, kv, sizeof(kv));
		bool has_kv = false;
		for (int k = 0; k < n && !has_kv; k++)
			has_kv = !strcmp(names[k], kv);
		struct vc_entry en = {
			.ns = ns, .vm = vm, .pod_iface = iface, .r = rr == 0 ? &r : NULL, .err = &err,
			.has_kubevirt = has_kv, .dirfd = dirfd(d),
		};
		rc = cb(&en, arg);
	}
	closedir(d);
	return rc;
}

int vc_store_walk(struct vc_store *s, const char *ns, const char *vm,
		  int (*cb)(const struct vc_entry *en, void *arg), void *arg,
		  struct np_err *e)
{
	if ((ns && np_valid_network_name(ns, e) < 0) || (vm && np_valid_network_name(vm, e) < 0))
		return -EINVAL;
	if (s->rootfd < 0)
		return 0;
	int rootdup = fcntl(s->rootfd, F_DUPFD_CLOEXEC, 0);
	DIR *root = rootdup >= 0 ? fdopendir(rootdup) : NULL;
	if (!root) {
		if (rootdup >= 0)
			close(rootdup);
		return np_errf(e, -errno, "cache root %s: cannot list", s->root);
	}
	rewinddir(root);
	struct dirent *nde;
	int rc = 0;
	while (rc >= 0 && (nde = readdir(root))) {
		if (nde->d_name[0] == '.' || np_valid_network_name(nde->d_name, NULL) < 0 ||
		    (ns && strcmp(ns, nde->d_name)))
			continue;
		DIR *nsd = open_subdir(s->rootfd, nde->d_name);
		if (!nsd)
			continue;
		struct dirent *vde;
		while (rc >= 0 && (vde = readdir(nsd))) {
			if (vde->d_name[0] == '.' || np_valid_network_name(vde->d_name, NULL) < 0 ||
			    (vm && strcmp(vm, vde->d_name)))
				continue;
			rc = walk_vm(s, nde->d_name, vde->d_name, cb, arg);
		}
		closedir(nsd);
	}
	closedir(root);
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
		if (de->d_name[0] == '.' || np_valid_network_name(de->d_name, NULL) < 0)
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
