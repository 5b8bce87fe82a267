#include "readbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIRST_CAP 8192

void np_readbuf_init(struct np_readbuf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

static int grow(struct np_readbuf *b)
{
	if (b->len + 1 < b->cap)
		return 0;
	if (b->len >= b->max)
		return -EFBIG;
	size_t cap = b->cap ? b->cap * 2 : FIRST_CAP;
	if (cap > b->max + 1)
		cap = b->max + 1;
	char *nd = realloc(b->data, cap);
	if (!nd)
		return -ENOMEM;
	b->data = nd;
	b->cap = cap;
	return 0;
}

ssize_t np_readbuf_read(struct np_readbuf *b, int fd)
{
	if (b->eof)
		return 0;
	int rc = grow(b);
	if (rc < 0)
		return rc;
	ssize_t r = read(fd, b->data + b->len, b->cap - b->len - 1);
	if (r < 0)
		return -errno;
	b->len += (size_t)r;
	b->data[b->len] = '\0';
	/* a stream that fills the cap exactly must still be seen to end */
	if (r > 0 && b->len >= b->max) {
		char probe;
		ssize_t more = read(fd, &probe, 1);
		if (more > 0)
			return -EFBIG;
		b->eof = more == 0;
	}
	return r;
}

int np_readbuf_read_all(struct np_readbuf *b, int fd)
{
	for (;;) {
		ssize_t r = np_readbuf_read(b, fd);
		if (r == 0)
			return 0;
		if (r < 0 && r != -EINTR)
			return (int)r;
	}
}

char *np_readbuf_take(struct np_readbuf *b, size_t *len)
{
	if (!b->data)
		b->data = calloc(1, 1);
	char *d = b->data;
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return d;
}

void np_readbuf_free(struct np_readbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
