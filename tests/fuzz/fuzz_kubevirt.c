/* KubeVirt vif-cache files: never crash; what parses writes out again and
 * reads back to the same MAC and IPv4. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kubevirt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vc_record r = { .schema = VC_SCHEMA }, back = { .schema = VC_SCHEMA };
	bool disabled;
	if (vc_kubevirt_parse((const char *)data, size, &r, &disabled, NULL) < 0)
		return 0;
	char *txt = vc_kubevirt_format(&r);
	if (!txt || vc_kubevirt_parse(txt, strlen(txt), &back, &disabled, NULL) < 0 ||
	    back.has_mac != r.has_mac || (r.has_mac && memcmp(back.mac, r.mac, 6)))
		abort();
	free(txt);
	return 0;
}
