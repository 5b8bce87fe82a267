/* Bounded reads of KubeVirt's cache files beside a directory fd. */
#include "kvfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "atomic_file.h"

int vc_kvfile_read(int dirfd, const char *name, size_t max, char **text, size_t *len,
		   struct stat *st, struct np_err *e)
{
	*text = NULL;
	*len = 0;
	int fd = np_open_state(dirfd, name, O_RDONLY, 0, st, e);
	if (fd < 0)
		return fd;
	if ((size_t)st->st_size > max) {
		close(fd);
		return np_errmsg(e, -EFBIG, "%s is %lld bytes, above the %zu-byte limit", name,
				 (long long)st->st_size, max);
	}
	char *buf = malloc(max + 1);
	size_t n = 0;
	ssize_t r = 0;
	/* read to the end, not to st_size: the file may have grown since */
	while (buf && n <= max && (r = read(fd, buf + n, max + 1 - n)) > 0)
		n += (size_t)r;
	int err = r < 0 ? -errno : 0;
	close(fd);
	if (!buf)
		return np_errmsg(e, -ENOMEM, "%s: out of memory", name);
	if (err < 0 || n > max) {
		free(buf);
		return err < 0 ? np_errf(e, err, "cannot read %s", name)
			       : np_errmsg(e, -EFBIG, "%s grew above the %zu-byte limit", name, max);
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}
