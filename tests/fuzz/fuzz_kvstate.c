/* virt-handler's network-info-cache entries: never crash; an entry that
 * parses resets to one that parses, has no state, keeps its binding and
 * pod IP, and resets to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvstate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vc_kvstate st, back;
	if (vc_kvstate_parse((const char *)data, size, &st, NULL) < 0)
		return 0;
	char *once = vc_kvstate_reset((const char *)data, size, NULL);
	if (!once || vc_kvstate_parse(once, strlen(once), &back, NULL) < 0 || back.has_state || back.state ||
	    strcmp(back.binding, st.binding) || strcmp(back.pod_ip, st.pod_ip))
		abort();
	char *twice = vc_kvstate_reset(once, strlen(once), NULL);
	if (!twice || strcmp(once, twice))
		abort();
	free(once);
	free(twice);
	return 0;
}
