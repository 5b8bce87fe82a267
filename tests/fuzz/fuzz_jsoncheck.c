/* The allocation-free validator never accepts what cJSON rejects, and the
 * member it hands back is the one cJSON sees. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsoncheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *v;
	size_t vl;
	if (!vc_json_valid((const char *)data, size, "MAC", &v, &vl))
		return 0;
	cJSON *j = cJSON_ParseWithLength((const char *)data, size);
	if (!j)
		abort(); /* accepted what cJSON refuses */
	const cJSON *mac = cJSON_GetObjectItemCaseSensitive(j, "MAC");
	/* without escapes, the raw member is the string cJSON decodes */
	if (v && !memchr(v, '\\', vl) && cJSON_IsString(mac) &&
	    (strlen(mac->valuestring) != vl || memcmp(mac->valuestring, v, vl)))
		abort();
	cJSON_Delete(j);
	return 0;
}
