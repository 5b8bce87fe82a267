/* KubeVirt's cache files, read beside a directory fd: regular files only,
 * never through a symlink, never blocking on a FIFO, bounded in size, with
 * the stat of the very inode that was read (its mode and owner are kept
 * when the file is replaced). */
#ifndef MIGNET_VC_KVFILE_H
#define MIGNET_VC_KVFILE_H

#include <stddef.h>
#include <sys/stat.h>

#include "err.h"

/* *text is malloc'ed and NUL-terminated. -ENOENT: missing; -ELOOP: a
 * symlink; -EINVAL or -ENXIO: not a regular file; -EFBIG: above max. */
int vc_kvfile_read(int dirfd, const char *name, size_t max, char **text, size_t *len,
		   struct stat *st, struct np_err *e);

#endif
