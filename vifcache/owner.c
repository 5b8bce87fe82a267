#include "owner.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "names.h"

static int add_inode(struct vc_liveness *lv, size_t *cap, unsigned long long ino)
{
	if (lv->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 256;
		unsigned long long *ni = realloc(lv->inodes, nc * sizeof(*ni));
		if (!ni)
			return -ENOMEM;
		lv->inodes = ni;
		*cap = nc;
	}
	lv->inodes[lv->n++] = ino;
	return 0;
}

static int cmp_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
	return x < y ? -1 : x > y;
}

static int scan_dir(struct vc_liveness *lv, size_t *cap, const char *dir, bool proc)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d))) {
		char path[512];
		struct stat st;
		if (de->d_name[0] == '.')
			continue;
		if (proc) {
			if (de->d_name[0] < '0' || de->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "%s/%s/ns/net", dir, de->d_name);
		} else {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		}
		/* stat follows the ns magic link to the namespace itself */
		if (stat(path, &st) == 0)
			rc = add_inode(lv, cap, (unsigned long long)st.st_ino);
	}
	closedir(d);
	return rc;
}

int vc_liveness_scan(struct vc_liveness *lv, struct np_err *e)
{
	size_t cap = 0;
	if (!lv->proc_root)
		lv->proc_root = "/proc";
	if (!lv->netns_dir)
		lv->netns_dir = "/run/netns";
	if (!lv->kubelet_pods)
		lv->kubelet_pods = "/var/lib/kubelet/pods";
	lv->n = 0;
	int rc = scan_dir(lv, &cap, lv->proc_root, true);
	if (rc == 0)
		rc = scan_dir(lv, &cap, lv->netns_dir, false);
	if (rc < 0)
		return np_errf(e, rc, "cannot list live network namespaces");
	qsort(lv->inodes, lv->n, sizeof(*lv->inodes), cmp_ull);
	return 0;
}

void vc_liveness_free(struct vc_liveness *lv)
{
	free(lv->inodes);
	lv->inodes = NULL;
	lv->n = 0;
}

bool vc_owner_alive(const struct vc_liveness *lv, const struct vc_owner *o)
{
	if (!o->netns_inode && !o->pod_uid[0])
		return true;
	if (o->netns_inode && bsearch(&o->netns_inode, lv->inodes, lv->n, sizeof(*lv->inodes), cmp_ull))
		return true;
	if (o->pod_uid[0] && np_valid_path_component(o->pod_uid, 63, "pod UID", NULL) == 0) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", lv->kubelet_pods, o->pod_uid);
		if (access(path, F_OK) == 0)
			return true;
	}
	return false;
}
