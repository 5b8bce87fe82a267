/* mignet records: never crash; what parses formats back to a record that
 * parses to the same network state. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vc_record r, back;
	struct np_err e = { 0 };
	if (vc_record_parse((const char *)data, size, &r, &e) < 0) {
		if (!e.msg[0] || strchr(e.msg, '\n'))
			abort();
		return 0;
	}
	char *txt = vc_record_format(&r);
	if (!txt || vc_record_parse(txt, strlen(txt), &back, NULL) < 0 ||
	    !vc_record_same_network_state(&r, &back))
		abort();
	free(txt);
	return 0;
}
