/* virt-handler's network-info-cache entry on the node. */
#define _GNU_SOURCE
#include "kvhandler.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic_file.h"
#include "kvfile.h"
#include "kvstate.h"

void vc_kventry_close(struct vc_kventry *en)
{
	if (en->dirfd >= 0)
		close(en->dirfd);
	en->dirfd = -1;
	free(en->text);
	en->text = NULL;
}

static int sub(int dirfd, const char *name)
{
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int vc_kventry_open(struct vc_kventry *en, const char *root, const char *uid,
		    const char *network, struct np_err *e)
{
	memset(en, 0, sizeof(*en));
	en->dirfd = -1;
	snprintf(en->name, sizeof(en->name), "%s", network);
	snprintf(en->path, sizeof(en->path), "%s/%s/%s/%s", root, VC_KV_NETINFO_DIR, uid, network);
	int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int cache = rootfd < 0 ? -1 : sub(rootfd, VC_KV_NETINFO_DIR);
	en->dirfd = cache < 0 ? -1 : sub(cache, uid);
	int err = en->dirfd < 0 ? errno : 0;
	if (rootfd >= 0)
		close(rootfd);
	if (cache >= 0)
		close(cache);
	if (en->dirfd < 0) {
		/* KubeVirt reads a missing entry as pending, whichever part is missing */
		if (err == ENOENT) {
			en->rc = -ENOENT;
			return 0;
		}
		return np_errf(e, -err, "%s: cannot open its directory%s", en->path,
			       err == ELOOP || err == ENOTDIR ? " (a symlink or no directory on the way; not followed)" : "");
	}
	struct np_err re = { 0 };
	en->rc = vc_kvfile_read(en->dirfd, network, VC_KVSTATE_MAX, &en->text, &en->len, &en->st, &re);
	snprintf(en->err, sizeof(en->err), "%s", re.msg);
	return 0;
}

int vc_kventry_write(struct vc_kventry *en, const char *text, size_t len, struct np_err *e)
{
	if (en->dirfd < 0 || en->rc == -ENOENT)
		return np_errmsg(e, -ENOENT, "%s: there is no entry to rewrite", en->path);
	if (!S_ISREG(en->st.st_mode))
		return np_errmsg(e, -EINVAL, "%s is not a regular file: not replacing it", en->path);
	char dir[sizeof(en->path)];
	snprintf(dir, sizeof(dir), "%s", en->path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	int rc = np_dir_check_trusted(en->dirfd, dir, e);
	if (rc < 0)
		return rc;
	rc = np_atomic_write_as(en->dirfd, en->name, text, len, en->st.st_mode & 07777, en->st.st_uid,
				en->st.st_gid, NP_ATOMIC_DURABLE, e);
	return rc < 0 ? np_err_prefix(e, rc, "%s: ", en->path) : 0;
}
