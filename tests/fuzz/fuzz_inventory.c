/* The inventories netprep compare reads from other nodes: never crash,
 * every refusal explains itself on one line, and what is accepted holds
 * what compare relies on: version 1, no key twice, no control byte in any
 * key or string, valid interface names and MTUs within their bounds. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inventory_doc.h"
#include "json_strict.h"
#include "names.h"

static void check_refusal(const struct np_err *e)
{
	size_t n = strnlen(e->msg, sizeof(e->msg));
	if (n == 0 || n >= sizeof(e->msg) || memchr(e->msg, '\n', n))
		abort();
}

static void check_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

static void check_strings(const cJSON *v)
{
	for (const cJSON *c = v->child; c; c = c->next) {
		if (c->string)
			check_printable(c->string);
		if (cJSON_IsString(c))
			check_printable(c->valuestring);
		check_strings(c);
	}
}

static const cJSON *get(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* what the kernel lets a link be called: 1..15 bytes, not . or .., no
 * '/', ':', '%' or whitespace (inventories report every link) */
static void check_ifname(const cJSON *v)
{
	if (!cJSON_IsString(v))
		abort();
	const char *s = v->valuestring;
	size_t n = strlen(s);
	if (n == 0 || n > 15 || !strcmp(s, ".") || !strcmp(s, ".."))
		abort();
	for (; *s; s++)
		if (*s == '/' || *s == ':' || *s == '%' || *s == ' ' || (*s >= '\t' && *s <= '\r'))
			abort();
}

static void check_mtu(const cJSON *v)
{
	if (!cJSON_IsNumber(v) || v->valuedouble < 68 || v->valuedouble > 65535 || v->valueint != v->valuedouble)
		abort();
}

static void check_accepted(const cJSON *doc)
{
	const cJSON *v, *w, *mig = get(doc, "migration");
	if (!cJSON_IsNumber(get(doc, "mignetInventory")) || get(doc, "mignetInventory")->valuedouble != INV_DOC_VERSION ||
	    np_json_check_duplicates(doc, "fuzz", NULL) < 0)
		abort();
	check_strings(doc);
	cJSON_ArrayForEach(v, get(doc, "bridges")) {
		check_ifname(get(v, "name"));
		check_mtu(get(v, "mtu"));
		cJSON_ArrayForEach(w, get(doc, "bridges"))
			if (w != v && !strcmp(get(w, "name")->valuestring, get(v, "name")->valuestring))
				abort();
	}
	cJSON_ArrayForEach(v, get(doc, "links"))
		check_ifname(get(v, "name"));
	cJSON_ArrayForEach(v, get(doc, "macvlanMasters"))
		check_ifname(v);
	check_ifname(get(mig, "interface"));
	if (cJSON_IsTrue(get(mig, "present")) && (check_mtu(get(mig, "mtu")), !cJSON_IsArray(get(mig, "addresses"))))
		abort();
	cJSON_ArrayForEach(v, get(get(doc, "cni"), "mignetPlugins"))
		if (!cJSON_IsString(v) || strncmp(v->valuestring, "mignet-", 7))
			abort();
	cJSON_ArrayForEach(v, get(doc, "migrationPortsFree"))
		if (!cJSON_IsBool(v))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct np_err e = { 0 };
	cJSON *doc = inv_doc_parse((const char *)data, size, "fuzz.json", &e);
	if (!doc) {
		check_refusal(&e);
		return 0;
	}
	check_accepted(doc);
	cJSON_Delete(doc);
	return 0;
}
