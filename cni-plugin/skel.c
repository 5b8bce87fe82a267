#include "skel.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

const char *const cni_supported_versions[] = { "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0" };
const size_t cni_n_supported_versions =
	sizeof(cni_supported_versions) / sizeof(*cni_supported_versions);

int cni_version_index(const char *v)
{
	for (size_t i = 0; v && i < cni_n_supported_versions; i++)
		if (!strcmp(v, cni_supported_versions[i]))
			return (int)i;
	return -1;
}

int cni_version_cmp(const char *a, const char *b)
{
	return cni_version_index(a) - cni_version_index(b);
}

void cni_print_error(const char *version, int code, const char *msg,
		     const char *details)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "cniVersion", version ? version : "1.1.0");
	cJSON_AddNumberToObject(o, "code", code);
	cJSON_AddStringToObject(o, "msg", msg);
	if (details && *details)
		cJSON_AddStringToObject(o, "details", details);
	char *s = cJSON_Print(o);
	if (s)
		printf("%s\n", s);
	cJSON_free(s);
	cJSON_Delete(o);
}
