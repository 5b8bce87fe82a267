#define _GNU_SOURCE
#include "nad.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "json_strict.h"
#include "yaml_doc.h"

struct walk {
	int (*cb)(cJSON *config, void *arg);
	void *arg;
	int found;
	struct np_err *e;
};

static bool kind_is(const cJSON *doc, const char *kind)
{
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(doc, "kind");
	return cJSON_IsString(k) && !strcmp(k->valuestring, kind);
}

static int one_nad(const cJSON *nad, struct walk *w)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(nad, "metadata");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(meta, "name");
	char what[128], q[NP_QUOTE_MAX];
	snprintf(what, sizeof(what), "NAD %s spec.config",
		 cJSON_IsString(name) ? np_quote(name->valuestring, q, sizeof(q)) : "(unnamed)");
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(nad, "spec"), "config");
	if (!cJSON_IsString(c))
		return np_errmsg(w->e, -EINVAL, "%s must be a string holding the CNI config", what);
	cJSON *config = np_json_parse_strict(c->valuestring, strlen(c->valuestring), what, w->e);
	if (!config)
		return w->e && w->e->code ? w->e->code : -EINVAL;
	int rc = 0;
	if (!cJSON_IsObject(config))
		rc = np_errmsg(w->e, -EINVAL, "%s is not a JSON object: %s", what,
			       np_quote(c->valuestring, q, sizeof(q)));
	else
		w->found++;
	if (rc == 0)
		rc = w->cb(config, w->arg);
	cJSON_Delete(config);
	return rc < 0 ? rc : 0;
}

/* A NAD, or a List of objects (kubectl get -o yaml|json) holding NADs. */
static int one_doc(const cJSON *doc, void *arg)
{
	struct walk *w = arg;
	if (kind_is(doc, "NetworkAttachmentDefinition"))
		return one_nad(doc, w);
	if (!kind_is(doc, "List") && !kind_is(doc, "NetworkAttachmentDefinitionList"))
		return 0;
	const cJSON *item;
	cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(doc, "items")) {
		int rc = kind_is(item, "NetworkAttachmentDefinition") ? one_nad(item, w) : 0;
		if (rc < 0)
			return rc;
	}
	return 0;
}

int nad_each(const char *text, size_t len, int (*cb)(cJSON *config, void *arg), void *arg,
	     struct np_err *e)
{
	if (len > NAD_MAX)
		return np_errmsg(e, -EFBIG, "NAD file is larger than %d bytes", NAD_MAX);
	struct walk w = { .cb = cb, .arg = arg, .e = e };
	size_t i = 0;
	while (i < len && isspace((unsigned char)text[i]))
		i++;
	int rc;
	/* JSON through the strict reader, so its messages speak JSON */
	if (i < len && (text[i] == '{' || text[i] == '[')) {
		cJSON *doc = np_json_parse_strict(text, len, "NAD file", e);
		if (!doc)
			return e && e->code ? e->code : -EINVAL;
		rc = one_doc(doc, &w);
		cJSON_Delete(doc);
	} else {
		rc = np_yaml_each(text, len, "NAD file", one_doc, &w, e);
	}
	return rc < 0 ? rc : w.found;
}

static int keep_first(cJSON *config, void *arg)
{
	cJSON **out = arg;
	if (!*out)
		*out = cJSON_Duplicate(config, 1);
	return 0;
}

cJSON *nad_config(const char *text, size_t len, struct np_err *e)
{
	cJSON *out = NULL;
	int n = nad_each(text, len, keep_first, &out, e);
	if (n == 0)
		np_errmsg(e, -EINVAL, "no NetworkAttachmentDefinition (a document of kind NetworkAttachmentDefinition) found");
	if (n <= 0) {
		cJSON_Delete(out);
		return NULL;
	}
	return out;
}
