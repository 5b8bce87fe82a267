/* The guest MAC vifcache repair reads from a libvirt domain XML: never
 * crash or read past the text, refusals are one line, and a MAC found is a
 * unicast one. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domainxml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *xml = malloc(size + 1);
	if (!xml)
		return 0;
	memcpy(xml, data, size);
	xml[size] = '\0';
	uint8_t mac[NP_MAC_LEN];
	for (int pass = 0; pass < 2; pass++) {
		struct np_err e = { 0 };
		if (vc_domain_xml_mac(xml, pass ? "ua-net1" : NULL, mac, &e) < 0) {
			size_t n = strnlen(e.msg, sizeof(e.msg));
			if (n == 0 || n >= sizeof(e.msg) || memchr(e.msg, '\n', n))
				abort();
		}
	}
	free(xml);
	return 0;
}
