/* CNI ADD results fed to `vifcache populate --from-result`: never crash,
 * every refusal explains itself on one line, and a record filled from an
 * accepted result passes the record validator. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "from_result.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *j = cJSON_ParseWithLength((const char *)data, size);
	if (!j)
		return 0;
	for (int named = 0; named < 2; named++) {
		struct vc_record r = { .schema = VC_SCHEMA, .binding = VC_BRIDGE, .state = VC_FINISHED };
		strcpy(r.ns, "prod");
		strcpy(r.vm, "vm-a");
		strcpy(r.network, "net");
		strcpy(r.pod_iface, "net1");
		char sandbox[256];
		struct np_err e = { 0 };
		if (vc_record_from_result(j, named ? "net1" : NULL, &r, sandbox, sizeof(sandbox), &e) < 0) {
			size_t len = strnlen(e.msg, sizeof(e.msg));
			if (len == 0 || len >= sizeof(e.msg) || memchr(e.msg, '\n', len))
				abort();
			continue;
		}
		if (strnlen(sandbox, sizeof(sandbox)) == sizeof(sandbox) || vc_record_validate(&r, NULL) < 0)
			abort();
	}
	cJSON_Delete(j);
	return 0;
}
