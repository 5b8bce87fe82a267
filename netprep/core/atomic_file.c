#define _GNU_SOURCE
#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int temp_name(const char *name, char *buf, size_t len)
{
	return (size_t)snprintf(buf, len, ".%s.tmp", name) >= len ? -ENAMETOOLONG : 0;
}

int np_atomic_write(int dirfd, const char *name, const void *data, size_t len,
		    mode_t mode, unsigned int flags, struct np_err *e)
{
	return np_atomic_write_as(dirfd, name, data, len, mode, (uid_t)-1, (gid_t)-1, flags, e);
}

/* The data goes into an unnamed O_TMPFILE inode first and gets the temp
 * name only once complete, so a writer killed at any point leaves either no
 * temp file or a whole one; the rename then replaces the target at once. */
static int open_unnamed(int dirfd, mode_t mode)
{
	return openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
}

int np_atomic_write_as(int dirfd, const char *name, const void *data, size_t len,
		       mode_t mode, uid_t uid, gid_t gid, unsigned int flags,
		       struct np_err *e)
{
	char tmp[NAME_MAX + 1];
	if (temp_name(name, tmp, sizeof(tmp)) < 0)
		return np_errmsg(e, -ENAMETOOLONG, "file name \"%.40s...\" is too long", name);
	int fd = open_unnamed(dirfd, mode);
	bool unnamed = fd >= 0;
	if (!unnamed) { /* filesystems without O_TMPFILE */
		/* O_EXCL: a hard link planted under the temp name must not be
		 * truncated through */
		unlinkat(dirfd, tmp, 0);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, mode);
	}
	if (fd < 0)
		return np_errf(e, -errno, "cannot create a temp file for %s", name);
	int rc = 0;
	errno = 0;
	/* the umask must not decide the mode of state files */
	if (fchmod(fd, mode) < 0 || write(fd, data, len) != (ssize_t)len ||
	    ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) < 0))
		rc = errno ? -errno : -EIO;
	else if ((flags & NP_ATOMIC_DURABLE) && fsync(fd) < 0)
		rc = -errno;
	if (rc == 0 && unnamed) {
		char proc[64];
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		unlinkat(dirfd, tmp, 0); /* a whole one left by a killed writer */
		if (linkat(AT_FDCWD, proc, dirfd, tmp, AT_SYMLINK_FOLLOW) < 0)
			rc = -errno;
	}
	close(fd);
	if (rc == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		rc = -errno;
	if (rc < 0) {
		unlinkat(dirfd, tmp, 0);
		return np_errf(e, rc, "cannot write %s", name);
	}
	if ((flags & NP_ATOMIC_DURABLE) && fsync(dirfd) < 0)
		return np_errf(e, -errno, "cannot sync the directory of %s", name);
	return 0;
}

void np_atomic_cleanup(int dirfd, const char *name)
{
	char tmp[NAME_MAX + 1];
	if (temp_name(name, tmp, sizeof(tmp)) == 0)
		unlinkat(dirfd, tmp, 0);
}

int np_open_state(int dirfd, const char *name, int flags, mode_t mode,
		  struct stat *st, struct np_err *e)
{
	/* O_NONBLOCK: a FIFO planted under the name must not hang the caller,
	 * who may hold a lock every other writer waits for */
	int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, mode);
	if (fd < 0)
		return np_errf(e, -errno, "cannot open %s%s", name,
			       errno == ELOOP ? " (it is a symlink, which is not followed)" :
			       errno == ENXIO ? " (it is not a regular file)" : "");
	struct stat own;
	if (!st)
		st = &own;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return np_errmsg(e, -EINVAL, "%s is not a regular file: refusing to use it", name);
	}
	return fd;
}

static int open_regular(int dirfd, const char *name, struct stat *st, struct np_err *e)
{
	return np_open_state(dirfd, name, O_RDONLY, 0, st, e);
}

int np_dir_check_trusted(int dirfd, const char *path, struct np_err *e)
{
	struct stat st;
	if (fstat(dirfd, &st) < 0)
		return np_errf(e, -errno, "cannot stat directory %s", path);
	if (!S_ISDIR(st.st_mode))
		return np_errmsg(e, -ENOTDIR, "%s is not a directory", path);
	/* anyone else who can write here can plant links our writes follow */
	if (st.st_uid != geteuid())
		return np_errmsg(e, -EPERM,
				 "directory %s is owned by uid %u, not by the user running this program (uid %u): refusing to keep state there",
				 path, (unsigned)st.st_uid, (unsigned)geteuid());
	if (st.st_mode & S_IWOTH)
		return np_errmsg(e, -EPERM,
				 "directory %s is world-writable (mode %04o): refusing to keep state there; chmod o-w it",
				 path, (unsigned)(st.st_mode & 07777));
	return 0;
}

/* Reads up to want bytes, fewer if the file shrank meanwhile. */
static size_t read_full(int fd, char *buf, size_t want)
{
	size_t n = 0;
	while (n < want) {
		ssize_t r = read(fd, buf + n, want - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	return n;
}

int np_file_read(int dirfd, const char *name, size_t max, char **out,
		 size_t *len, struct np_err *e)
{
	*out = NULL;
	struct stat st;
	int fd = open_regular(dirfd, name, &st, e);
	if (fd < 0)
		return fd;
	if ((size_t)st.st_size > max) {
		close(fd);
		return np_errmsg(e, -EFBIG, "%s is %lld bytes, above the %zu-byte limit", name,
				 (long long)st.st_size, max);
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t n = buf ? read_full(fd, buf, (size_t)st.st_size) : 0;
	close(fd);
	if (!buf)
		return np_errmsg(e, -ENOMEM, "%s: out of memory", name);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int np_file_read_into(int dirfd, const char *name, char *buf, size_t cap,
		      size_t *len, struct np_err *e)
{
	struct stat st;
	int fd = open_regular(dirfd, name, &st, e);
	if (fd < 0)
		return fd;
	if ((size_t)st.st_size >= cap) {
		close(fd);
		return -EFBIG;
	}
	size_t n = read_full(fd, buf, (size_t)st.st_size);
	close(fd);
	buf[n] = '\0';
	*len = n;
	return 0;
}

int np_dir_open_chain(const char *path, struct np_err *e)
{
	if (!path || path[0] != '/')
		return np_errmsg(e, -EINVAL, "directory \"%s\" must be an absolute path", path ? path : "");
	char buf[PATH_MAX];
	if ((size_t)snprintf(buf, sizeof(buf), "%s", path) >= sizeof(buf))
		return np_errmsg(e, -ENAMETOOLONG, "directory path is too long");
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char *save = NULL;
	for (char *part = strtok_r(buf + 1, "/", &save); fd >= 0 && part;
	     part = strtok_r(NULL, "/", &save)) {
		if (!strcmp(part, "..") || !strcmp(part, ".")) {
			close(fd);
			return np_errmsg(e, -EINVAL, "directory \"%s\" must not contain \".\" or \"..\"", path);
		}
		int next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT) {
			if (mkdirat(fd, part, 0700) < 0 && errno != EEXIST) {
				int rc = -errno;
				close(fd);
				return np_errf(e, rc, "cannot create %s in %s", part, path);
			}
			next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		int rc = -errno;
		close(fd);
		if (next < 0)
			return np_errf(e, rc, "cannot open directory component \"%s\" of %s%s", part, path,
				       rc == -ELOOP || rc == -ENOTDIR ? " (symlinks are not followed)" : "");
		fd = next;
	}
	return fd;
}
