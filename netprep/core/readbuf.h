/* Reading a stream of unknown length (stdin, a pipe from a delegated
 * plugin) into one NUL-terminated buffer that grows up to a cap. */
#ifndef MIGNET_READBUF_H
#define MIGNET_READBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct np_readbuf {
	char *data;  /* NUL-terminated once anything was read; owned */
	size_t len, cap, max;
	bool eof;    /* seen while probing past a full buffer */
};

/* Starts an empty buffer that refuses to grow past max bytes. */
void np_readbuf_init(struct np_readbuf *b, size_t max);
/* One read(2) from fd: the bytes read, 0 at end of stream, -EFBIG past
 * max, -ENOMEM, or -errno (EAGAIN/EINTR included, for poll loops). */
ssize_t np_readbuf_read(struct np_readbuf *b, int fd);
/* Reads fd to its end: 0, or -EFBIG/-ENOMEM/-errno (EINTR is retried). */
int np_readbuf_read_all(struct np_readbuf *b, int fd);
/* Hands the data over (never NULL after a successful read_all) and
 * leaves b empty. */
char *np_readbuf_take(struct np_readbuf *b, size_t *len);
void np_readbuf_free(struct np_readbuf *b);

#endif
