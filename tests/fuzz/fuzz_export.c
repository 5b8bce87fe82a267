/* Export documents and domain XML: never crash, every accepted record is
 * valid. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domainxml.h"
#include "exportdoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vc_record *recs = NULL;
	int n = vc_export_parse((const char *)data, size, &recs, NULL);
	for (int i = 0; i < n; i++)
		if (vc_record_validate(&recs[i], NULL) < 0)
			abort();
	free(recs);
	char *xml = malloc(size + 1);
	if (!xml)
		return 0;
	memcpy(xml, data, size);
	xml[size] = '\0';
	uint8_t mac[6];
	vc_domain_xml_mac(xml, "ua-net", mac, NULL);
	vc_domain_xml_mac(xml, NULL, mac, NULL);
	free(xml);
	return 0;
}
