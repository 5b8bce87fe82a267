/* The export document that carries a VM's records from the source node to
 * the target: {"mignetVifcacheExport": 1, "namespace", "vm", "exportedAt",
 * "records": [...]}. Parsing checks every record and that all of them
 * belong to the VM the document names. */
#ifndef MIGNET_VC_EXPORTDOC_H
#define MIGNET_VC_EXPORTDOC_H

#include <cjson/cJSON.h>

#include "record.h"

#define VC_EXPORT_MAX (4 * 1024 * 1024)
#define VC_EXPORT_RECORDS_MAX 64

/* Takes ownership of records (a JSON array of records). */
cJSON *vc_export_doc(const char *ns, const char *vm, cJSON *records);
/* Returns the number of records (*out is malloc'ed) or a negative errno. */
int vc_export_parse(const char *text, size_t len, struct vc_record **out, struct np_err *e);

#endif
