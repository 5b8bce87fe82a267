/* The migration configuration `netprep migrate --config` reads (a KubeVirt
 * CR or a bare MigrationConfiguration): never crash, refusals are one
 * line, and what is accepted stays within the ranges the runner relies on. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "migrate_opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct mig_opts o;
	mig_opts_defaults(&o);
	struct np_err e = { 0 };
	if (mig_opts_from_config(&o, text, &e) < 0) {
		size_t n = strnlen(e.msg, sizeof(e.msg));
		if (n == 0 || n >= sizeof(e.msg) || memchr(e.msg, '\n', n))
			abort();
	} else if (!(o.completion_per_gib_s >= 0) || !(o.progress_timeout_s >= 0)) {
		abort();
	}
	free(text);
	return 0;
}
