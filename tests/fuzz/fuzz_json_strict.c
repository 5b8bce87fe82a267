/* The strict JSON reader every outside document goes through: never
 * crash, refusals are one line, whatever it accepts cJSON accepts too and
 * prints back into a document it accepts again (no duplicate, no NUL, no
 * trailing data can survive a round trip). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_strict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct np_err e = { 0 };
	cJSON *j = np_json_parse_strict((const char *)data, size, "fuzz", &e);
	if (!j) {
		size_t n = strnlen(e.msg, sizeof(e.msg));
		if (n == 0 || n >= sizeof(e.msg) || memchr(e.msg, '\n', n) || e.code >= 0)
			abort();
		return 0;
	}
	cJSON *plain = cJSON_ParseWithLength((const char *)data, size);
	if (!plain)
		abort();
	cJSON_Delete(plain);
	char *again = cJSON_PrintUnformatted(j);
	if (again) {
		struct np_err e2 = { 0 };
		cJSON *k = np_json_parse_strict(again, strlen(again), "fuzz", &e2);
		if (!k || !cJSON_Compare(j, k, 1))
			abort();
		cJSON_Delete(k);
		cJSON_free(again);
	}
	cJSON_Delete(j);
	return 0;
}
