#define _GNU_SOURCE
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <unistd.h>

int np_netns_open(const char *path, struct np_err *e)
{
	if (!path || !*path)
		return np_errmsg(e, -EINVAL, "network namespace path is empty");
	char q[NP_QUOTE_MAX];
	if (path[0] != '/')
		return np_errmsg(e, -EINVAL, "netns %s: must be an absolute path (/run/netns/NAME or /proc/PID/ns/net)",
				 np_quote(path, q, sizeof(q)));
	/* O_NONBLOCK: a FIFO passed as the namespace must not hang us */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return np_errf(e, -errno, "netns %s: cannot open", np_quote(path, q, sizeof(q)));
	int type = ioctl(fd, NS_GET_NSTYPE);
	if (type != CLONE_NEWNET) {
		close(fd);
		return np_errmsg(e, -EINVAL, "netns %s: not a network namespace (expected a path like /run/netns/NAME or /proc/PID/ns/net)",
				 np_quote(path, q, sizeof(q)));
	}
	return fd;
}

int np_netns_run(const char *path, int (*fn)(void *arg, struct np_err *e),
		 void *arg, struct np_err *e)
{
	if (!path)
		return fn(arg, e);
	int target = np_netns_open(path, e);
	if (target < 0)
		return target;
	int orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (orig < 0) {
		int rc = -errno;
		close(target);
		return np_errf(e, rc, "netns %s: cannot remember the current namespace", path);
	}
	int rc;
	if (setns(target, CLONE_NEWNET) < 0) {
		rc = np_errf(e, -errno, "netns %s: cannot enter", path);
	} else {
		rc = fn(arg, e);
		if (setns(orig, CLONE_NEWNET) < 0) {
			/* The thread is stranded in a foreign namespace: nothing
			 * it does afterwards could be trusted. */
			rc = np_errf(e, -errno, "netns %s: cannot return to the original namespace", path);
		}
	}
	close(orig);
	close(target);
	return rc;
}
