/* Name validators: never crash, messages stay one bounded line, and an
 * accepted name can never escape the directory it is joined to. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

static void check_msg(const struct np_err *e)
{
	size_t n = strnlen(e->msg, sizeof(e->msg));
	if (n == 0 || n >= sizeof(e->msg) || memchr(e->msg, '\n', n))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	struct np_err e = { 0 };
	if (np_valid_ifname(s, "ifname", &e) == 0) {
		if (strlen(s) > 15 || strchr(s, '/') || !strcmp(s, "..") || !strcmp(s, "."))
			abort();
	} else {
		check_msg(&e);
	}
	np_err_clear(&e);
	if (np_valid_container_id(s, &e) == 0 || np_valid_network_name(s, NULL) == 0 ||
	    np_valid_path_component(s, 64, "name", NULL) == 0) {
		if (strchr(s, '/') || !strcmp(s, "..") || !strcmp(s, "."))
			abort();
	} else {
		check_msg(&e);
	}
	free(s);
	return 0;
}
