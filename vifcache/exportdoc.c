#define _GNU_SOURCE
#include "exportdoc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json_strict.h"

cJSON *vc_export_doc(const char *ns, const char *vm, cJSON *records)
{
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddNumberToObject(doc, "mignetVifcacheExport", 1);
	cJSON_AddStringToObject(doc, "namespace", ns);
	cJSON_AddStringToObject(doc, "vm", vm);
	cJSON_AddStringToObject(doc, "exportedAt", ts);
	cJSON_AddItemToObject(doc, "records", records);
	return doc;
}

int vc_export_parse(const char *text, size_t len, struct vc_record **out, struct np_err *e)
{
	*out = NULL;
	if (len > VC_EXPORT_MAX)
		return np_errmsg(e, -EFBIG, "export document is %zu bytes, above the %d-byte limit", len, VC_EXPORT_MAX);
	cJSON *doc = np_json_parse_strict(text, len, "export document", e);
	if (!doc)
		return e && e->code ? e->code : -EINVAL;
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return np_errmsg(e, -EINVAL, "export document: not a JSON object");
	}
	static const char *const keys[] = { "mignetVifcacheExport", "namespace", "vm", "exportedAt", "records" };
	const cJSON *k;
	cJSON_ArrayForEach(k, doc) {
		size_t i = 0;
		while (i < sizeof(keys) / sizeof(*keys) && strcmp(k->string, keys[i]))
			i++;
		if (i == sizeof(keys) / sizeof(*keys)) {
			char q[NP_QUOTE_MAX];
			int rc = np_errmsg(e, -EINVAL, "export document: unknown key \"%s\" (a newer format?)",
					   np_quote(k->string, q, sizeof(q)));
			cJSON_Delete(doc);
			return rc;
		}
	}
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(doc, "mignetVifcacheExport");
	const cJSON *ns = cJSON_GetObjectItemCaseSensitive(doc, "namespace");
	const cJSON *vm = cJSON_GetObjectItemCaseSensitive(doc, "vm");
	const cJSON *recs = cJSON_GetObjectItemCaseSensitive(doc, "records");
	int rc;
	if (!cJSON_IsNumber(ver) || ver->valuedouble != 1 || !cJSON_IsString(ns) || !cJSON_IsString(vm) ||
	    !cJSON_IsArray(recs)) {
		rc = np_errmsg(e, -EINVAL, "not a mignet export document (needs mignetVifcacheExport 1, namespace, vm, records)");
		goto out;
	}
	int n = cJSON_GetArraySize(recs);
	if (n == 0 || n > VC_EXPORT_RECORDS_MAX) {
		rc = np_errmsg(e, -EINVAL, "export document has %d records (1 to %d expected)", n, VC_EXPORT_RECORDS_MAX);
		goto out;
	}
	struct vc_record *r = calloc((size_t)n, sizeof(*r));
	if (!r) {
		rc = np_errmsg(e, -ENOMEM, "out of memory");
		goto out;
	}
	int i = 0;
	const cJSON *v;
	cJSON_ArrayForEach(v, recs) {
		if ((rc = vc_record_from_json(v, &r[i], e)) < 0) {
			free(r);
			goto out;
		}
		if (strcmp(r[i].ns, ns->valuestring) || strcmp(r[i].vm, vm->valuestring)) {
			rc = np_errmsg(e, -EINVAL, "record %d belongs to %s/%s, not to %s/%s", i, r[i].ns, r[i].vm,
				       ns->valuestring, vm->valuestring);
			free(r);
			goto out;
		}
		i++;
	}
	*out = r;
	rc = n;
out:
	cJSON_Delete(doc);
	return rc;
}
