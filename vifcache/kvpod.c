/* A launcher pod's filesystem and network namespace, through /proc/<pid>. */
#define _GNU_SOURCE
#include "kvpod.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 __NR_openat2
#endif

#define PID_LIMIT 4194304 /* PID_MAX_LIMIT on 64-bit kernels */

int vc_kvpod_parse_pid(const char *s, int *pid, struct np_err *e)
{
	char q[NP_QUOTE_MAX];
	long v = 0;
	if (!s || !*s)
		return np_errmsg(e, -EINVAL, "--launcher-pid is empty");
	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '9' || v > PID_LIMIT)
			return np_errmsg(e, -EINVAL, "--launcher-pid \"%s\": a process ID is a number from 1 to %d",
					 np_quote(s, q, sizeof(q)), PID_LIMIT);
		v = v * 10 + (*c - '0');
	}
	if (v < 1 || v > PID_LIMIT)
		return np_errmsg(e, -EINVAL, "--launcher-pid \"%s\": a process ID is a number from 1 to %d",
				 np_quote(s, q, sizeof(q)), PID_LIMIT);
	*pid = (int)v;
	return 0;
}

static bool same_inode(int fd, const struct stat *b)
{
	struct stat a;
	return fstat(fd, &a) == 0 && a.st_dev == b->st_dev && a.st_ino == b->st_ino;
}

/* The node's filesystem as this program and PID 1 see it: a "launcher"
 * rooted there would have us write into the node's own
 * /var/run/kubevirt-private, which is virt-handler's. */
static bool is_node_root(const char *proc, int rootfd)
{
	struct stat st;
	char one[4200];
	if (stat("/", &st) == 0 && same_inode(rootfd, &st))
		return true;
	snprintf(one, sizeof(one), "%s/1/root", proc);
	return stat(one, &st) == 0 && same_inode(rootfd, &st);
}

void vc_kvpod_close(struct vc_kvpod *p)
{
	if (p->netnsfd >= 0)
		close(p->netnsfd);
	if (p->rootfd >= 0)
		close(p->rootfd);
	if (p->piddir >= 0)
		close(p->piddir);
	p->netnsfd = p->rootfd = p->piddir = -1;
}

int vc_kvpod_open(struct vc_kvpod *p, const char *proc, int pid, struct np_err *e)
{
	char path[4200];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->piddir = p->rootfd = p->netnsfd = -1;
	if (!proc)
		proc = "/proc";
	snprintf(p->shown_root, sizeof(p->shown_root), "/proc/%d/root", pid);
	snprintf(path, sizeof(path), "%s/%d", proc, pid);
	p->piddir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->piddir < 0)
		return np_errf(e, errno == ENOENT ? -ESRCH : -errno, "launcher PID %d: cannot open %s", pid, path);
	/* the two magic links followed on purpose, from the same process */
	p->rootfd = openat(p->piddir, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
	p->netnsfd = p->rootfd < 0 ? -1 : openat(p->piddir, "ns/net", O_RDONLY | O_CLOEXEC);
	if (p->rootfd < 0 || p->netnsfd < 0) {
		int rc = errno == ENOENT ? -ESRCH : -errno;
		vc_kvpod_close(p);
		return np_errf(e, rc, "launcher PID %d: cannot open its root or network namespace", pid);
	}
	if (is_node_root(proc, p->rootfd)) {
		vc_kvpod_close(p);
		return np_errmsg(e, -EPERM,
				 "PID %d runs in the node's own root filesystem, not in a launcher pod: refusing to "
				 "read or write KubeVirt's pod files there", pid);
	}
	snprintf(p->netns_path, sizeof(p->netns_path), "/proc/self/fd/%d", p->netnsfd);
	return 0;
}

int vc_kvpod_open_dir(const struct vc_kvpod *p, const char *rel, struct np_err *e)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd = -1;
	/* -EAGAIN: a rename raced the walk; the kernel asks for a retry */
	for (int i = 0; i < 8; i++) {
		fd = syscall(SYS_openat2, p->rootfd, rel, &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	if (fd < 0) {
		int rc = -errno;
		const char *why = rc == -ENOENT ? ": missing in the launcher's filesystem (resolved inside its root)"
			: rc == -ELOOP ? ": refused: a /proc magic link or a symlink loop is on the way"
			: rc == -ENOTDIR ? ": not a directory in the launcher's filesystem"
			: rc == -EXDEV ? ": leads out of the launcher's root"
			: rc == -ENOSYS ? ": this kernel has no openat2 (Linux 5.6 or later is needed to walk a "
					  "pod's filesystem safely)"
			: NULL;
		if (why)
			return np_errmsg(e, rc, "%s/%s%s", p->shown_root, rel, why);
		return np_errf(e, rc, "%s/%s: cannot open", p->shown_root, rel);
	}
	/* O_PATH descriptors cannot be fsynced; "." adds no lookup to it */
	int dir = openat((int)fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = -errno;
	close((int)fd);
	if (dir < 0)
		return np_errf(e, rc, "%s/%s: cannot open", p->shown_root, rel);
	return dir;
}
