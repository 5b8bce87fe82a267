/* NetworkAttachmentDefinitions, JSON or the YAML subset netprep reads:
 * never crash, every refusal explains itself on one line, and what is
 * accepted is a JSON object. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nad.h"

static void check_refusal(const struct np_err *e)
{
	size_t n = strnlen(e->msg, sizeof(e->msg));
	if (n == 0 || n >= sizeof(e->msg) || memchr(e->msg, '\n', n))
		abort();
}

static int count_config(cJSON *config, void *arg)
{
	if (!cJSON_IsObject(config))
		abort();
	++*(int *)arg;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct np_err e = { 0 };
	cJSON *c = nad_config((const char *)data, size, &e);
	if (c) {
		if (!cJSON_IsObject(c))
			abort();
		cJSON_Delete(c);
	} else {
		check_refusal(&e);
	}
	np_err_clear(&e);
	int seen = 0;
	int n = nad_each((const char *)data, size, count_config, &seen, &e);
	if (n >= 0 ? n != seen : (check_refusal(&e), 0))
		abort();
	return 0;
}
