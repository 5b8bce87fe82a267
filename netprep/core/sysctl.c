#include "sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "netns.h"

#define SYSCTL_KEY_MAX 200

/* Keys embed interface names, so they are checked component by component:
 * no empty, "." or ".." parts and only characters a sysctl path can have. */
static int valid_key(const char *key, struct np_err *e)
{
	size_t n = key ? strnlen(key, SYSCTL_KEY_MAX + 1) : 0;
	if (n == 0 || n > SYSCTL_KEY_MAX)
		return np_errmsg(e, -EINVAL, "sysctl key is empty or longer than %d characters", SYSCTL_KEY_MAX);
	const char *part = key;
	for (const char *p = key;; p++) {
		if (*p == '/' || *p == '\0') {
			size_t len = (size_t)(p - part);
			if (len == 0 || (len == 1 && part[0] == '.') ||
			    (len == 2 && part[0] == '.' && part[1] == '.'))
				return np_errmsg(e, -EINVAL, "sysctl key \"%s\" has an empty, \".\" or \"..\" component", key);
			if (!*p)
				return 0;
			part = p + 1;
			continue;
		}
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c >= 0x7f) {
			char q[NP_QUOTE_MAX];
			return np_errmsg(e, -EINVAL, "sysctl key \"%s\" contains a control or non-ASCII character",
					 np_quote(key, q, sizeof(q)));
		}
	}
}

struct sysctl_io {
	const char *key;
	const char *value; /* set */
	char *buf;         /* get */
	size_t len;
};

static int open_key(const char *key, int flags, struct np_err *e)
{
	char path[SYSCTL_KEY_MAX + 16];
	snprintf(path, sizeof(path), "/proc/sys/%s", key);
	int fd = open(path, flags | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return np_errf(e, -errno, "sysctl %s: cannot open %s", key, path);
	return fd;
}

static int do_set(void *arg, struct np_err *e)
{
	const struct sysctl_io *io = arg;
	int fd = open_key(io->key, O_WRONLY, e);
	if (fd < 0)
		return fd;
	size_t n = strlen(io->value);
	ssize_t w = write(fd, io->value, n);
	int rc = w == (ssize_t)n ? 0 : (w < 0 ? -errno : -EIO);
	close(fd);
	if (rc < 0)
		return np_errf(e, rc, "sysctl %s: cannot write \"%s\"", io->key, io->value);
	return 0;
}

static int do_get(void *arg, struct np_err *e)
{
	struct sysctl_io *io = arg;
	int fd = open_key(io->key, O_RDONLY, e);
	if (fd < 0)
		return fd;
	ssize_t r = read(fd, io->buf, io->len - 1);
	int rc = r < 0 ? -errno : 0;
	close(fd);
	if (rc < 0)
		return np_errf(e, rc, "sysctl %s: cannot read", io->key);
	io->buf[r] = '\0';
	while (r > 0 && (io->buf[r - 1] == '\n' || io->buf[r - 1] == ' '))
		io->buf[--r] = '\0';
	return 0;
}

struct sysctl_batch {
	const struct np_sysctl *list;
	size_t n;
};

static int do_set_many(void *arg, struct np_err *e)
{
	const struct sysctl_batch *b = arg;
	for (size_t i = 0; i < b->n; i++) {
		struct sysctl_io io = { .key = b->list[i].key, .value = b->list[i].value };
		struct np_err one = { 0 };
		int rc = do_set(&io, &one);
		if (rc == -ENOENT && b->list[i].optional)
			continue;
		if (rc < 0)
			return np_errmsg(e, rc, "%s", one.msg);
	}
	return 0;
}

int np_sysctl_set_many(const char *netns_path, const struct np_sysctl *list,
		       size_t n, struct np_err *e)
{
	for (size_t i = 0; i < n; i++) {
		int rc = valid_key(list[i].key, e);
		if (rc < 0)
			return rc;
	}
	struct sysctl_batch b = { list, n };
	return np_netns_run(netns_path, do_set_many, &b, e);
}

int np_sysctl_set(const char *netns_path, const char *key, const char *value,
		  struct np_err *e)
{
	int rc = valid_key(key, e);
	if (rc < 0)
		return rc;
	struct sysctl_io io = { .key = key, .value = value };
	return np_netns_run(netns_path, do_set, &io, e);
}

int np_sysctl_get(const char *netns_path, const char *key, char *buf,
		  size_t len, struct np_err *e)
{
	if (len < 2)
		return np_errmsg(e, -EINVAL, "sysctl %s: buffer too small", key ? key : "");
	int rc = valid_key(key, e);
	if (rc < 0)
		return rc;
	struct sysctl_io io = { .key = key, .buf = buf, .len = len };
	return np_netns_run(netns_path, do_get, &io, e);
}
