/* The one reader of streams of unknown length: what fits comes back whole
 * and NUL-terminated, exactly the cap is still fine, one byte more is
 * refused, and nothing at all is an empty string. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "readbuf.h"

/* A pipe holding n bytes of 'x' and then the end of the stream. */
static int pipe_with(size_t n)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	char chunk[4096];
	memset(chunk, 'x', sizeof(chunk));
	/* more than the pipe holds would block: the tests stay below 64 KiB */
	while (n) {
		size_t w = n < sizeof(chunk) ? n : sizeof(chunk);
		assert_int_equal(write(p[1], chunk, w), (ssize_t)w);
		n -= w;
	}
	close(p[1]);
	return p[0];
}

static void test_sizes(void **state)
{
	(void)state;
	static const struct { size_t have, max; int rc; } cases[] = {
		{ 0, 100, 0 }, { 1, 100, 0 }, { 99, 100, 0 }, { 100, 100, 0 },
		{ 101, 100, -EFBIG }, { 20000, 20000, 0 }, { 20001, 20000, -EFBIG },
		{ 40000, 65536, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int fd = pipe_with(cases[i].have);
		struct np_readbuf b;
		np_readbuf_init(&b, cases[i].max);
		int rc = np_readbuf_read_all(&b, fd);
		close(fd);
		if (rc != cases[i].rc)
			fail_msg("%zu bytes, cap %zu: rc %d, want %d", cases[i].have, cases[i].max, rc, cases[i].rc);
		if (rc == 0) {
			size_t len = 99;
			char *d = np_readbuf_take(&b, &len);
			assert_non_null(d);
			assert_int_equal(len, cases[i].have);
			assert_int_equal(strlen(d), cases[i].have);
			free(d);
		}
		np_readbuf_free(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_sizes) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
