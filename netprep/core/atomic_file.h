/* State files: replaced atomically, read with a size cap, never through a
 * symlink. Writers of the same file must hold a lock (the temp name is
 * fixed per target so that a writer killed midway leaves one known file
 * that np_atomic_cleanup removes). */
#ifndef MIGNET_ATOMIC_FILE_H
#define MIGNET_ATOMIC_FILE_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "err.h"

#define NP_ATOMIC_DURABLE 0x1u  /* fsync the file and the directory */

/* dirfd/name gets data: temp file ".<name>.tmp", (fsync), rename, (fsync
 * of the directory). A reader sees the old or the new content, never a
 * mix. */
int np_atomic_write(int dirfd, const char *name, const void *data, size_t len,
		    mode_t mode, unsigned int flags, struct np_err *e);
/* Same, and the file is owned by uid:gid ((uid_t)-1 / (gid_t)-1: unchanged)
 * before it becomes visible. */
int np_atomic_write_as(int dirfd, const char *name, const void *data, size_t len,
		       mode_t mode, uid_t uid, gid_t gid, unsigned int flags,
		       struct np_err *e);
/* Removes the temp file a killed writer of name may have left. */
void np_atomic_cleanup(int dirfd, const char *name);
/* Reads dirfd/name (regular file, no symlink) into a new NUL-terminated
 * buffer; -EFBIG above max bytes. */
int np_file_read(int dirfd, const char *name, size_t max, char **out,
		 size_t *len, struct np_err *e);
/* Reads dirfd/name into buf (cap bytes, NUL-terminated) without
 * allocating; -EFBIG when it does not fit, so the caller can fall back to
 * np_file_read. */
int np_file_read_into(int dirfd, const char *name, char *buf, size_t cap,
		      size_t *len, struct np_err *e);
/* Opens dirfd/name with flags (O_CREAT takes mode) for a state file:
 * never through a symlink, never blocking (a FIFO or device in its place is
 * refused, naming it), close-on-exec. Fills *st when st is not NULL.
 * Returns the fd or a negative errno. */
int np_open_state(int dirfd, const char *name, int flags, mode_t mode,
		  struct stat *st, struct np_err *e);
/* 0 when dirfd (named path in messages) is a directory owned by the
 * effective user and not world-writable; -EPERM otherwise. */
int np_dir_check_trusted(int dirfd, const char *path, struct np_err *e);
/* Opens (creating with mode 0700 where missing) every component of an
 * absolute path without following symlinks; returns an O_DIRECTORY fd. */
int np_dir_open_chain(const char *path, struct np_err *e);

#endif
