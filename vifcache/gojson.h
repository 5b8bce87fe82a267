/* Prints a cJSON tree exactly as Go's json.MarshalIndent(v, "", "  ")
 * does for the same values and key order (HTML-safe string escaping). */
#ifndef MIGNET_VC_GOJSON_H
#define MIGNET_VC_GOJSON_H

#include <cjson/cJSON.h>

char *vc_gojson_print(const cJSON *j);

#endif
