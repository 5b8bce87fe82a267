#include "json_strict.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_SHOWN 160

/* Offset of the first "\u0000" escape, or raw control byte, inside a
 * string, or -1: cJSON takes raw ones that Go refuses, and a raw NUL cuts
 * the C string. The key seen last goes to *key so the message can point
 * at the place. */
static long find_nul_escape(const char *t, size_t len, char *key, size_t keylen)
{
	bool in_str = false;
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		char c = t[i];
		if (!in_str) {
			if (c == '"') {
				in_str = true;
				start = i + 1;
			}
			continue;
		}
		if ((unsigned char)c < 0x20)
			return (long)i;
		if (c == '\\') {
			if (i + 5 < len && t[i + 1] == 'u' && !memcmp(t + i + 2, "0000", 4))
				return (long)i;
			i++; /* the escaped character cannot end the string */
		} else if (c == '"') {
			in_str = false;
			size_t n = i - start < keylen - 1 ? i - start : keylen - 1;
			size_t j = i + 1;
			while (j < len && (t[j] == ' ' || t[j] == '\t' || t[j] == '\n' || t[j] == '\r'))
				j++;
			if (j < len && t[j] == ':') {
				memcpy(key, t + start, n);
				key[n] = '\0';
			}
		}
	}
	return -1;
}

static int cmp_keys(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	return strcmp(x->string, y->string);
}

static void path_join(char *out, size_t len, const char *base, const cJSON *item, int index)
{
	if (item->string)
		snprintf(out, len, "%s%s%s", base, *base ? "." : "", item->string);
	else
		snprintf(out, len, "%s[%d]", base, index);
}

/* Sorting, not comparing every pair: a hostile document may hold an
 * object with a hundred thousand keys. */
static int object_duplicates(const cJSON *obj, const char *path, const char *what,
			     struct np_err *e)
{
	size_t n = 0;
	const cJSON *c;
	cJSON_ArrayForEach(c, obj)
		n++;
	if (n < 2)
		return 0;
	const cJSON **keys = malloc(n * sizeof(*keys));
	if (!keys)
		return np_errmsg(e, -ENOMEM, "%s: out of memory", what);
	size_t i = 0;
	cJSON_ArrayForEach(c, obj)
		keys[i++] = c;
	qsort(keys, n, sizeof(*keys), cmp_keys);
	int rc = 0;
	for (i = 1; i < n && rc == 0; i++)
		if (!strcmp(keys[i - 1]->string, keys[i]->string)) {
			char shown[NP_QUOTE_MAX], full[PATH_SHOWN];
			path_join(full, sizeof(full), path, keys[i], 0);
			rc = np_errmsg(e, -EINVAL,
				       "%s: key \"%s\" appears twice; refusing it, since readers disagree on which one counts",
				       what, np_quote(full, shown, sizeof(shown)));
		}
	free(keys);
	return rc;
}

static int walk(const cJSON *item, const char *path, const char *what, int depth,
		struct np_err *e)
{
	if (depth > 64)
		return np_errmsg(e, -EINVAL, "%s: nested more than 64 levels deep", what);
	if (cJSON_IsObject(item)) {
		int rc = object_duplicates(item, path, what, e);
		if (rc < 0)
			return rc;
	}
	if (!cJSON_IsObject(item) && !cJSON_IsArray(item))
		return 0;
	int index = 0;
	const cJSON *c;
	cJSON_ArrayForEach(c, item) {
		char sub[PATH_SHOWN];
		path_join(sub, sizeof(sub), path, c, index++);
		int rc = walk(c, sub, what, depth + 1, e);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int np_json_check_duplicates(const cJSON *root, const char *what, struct np_err *e)
{
	return walk(root, "", what, 0, e);
}

cJSON *np_json_parse_strict(const char *text, size_t len, const char *what,
			    struct np_err *e)
{
	char key[64] = "";
	long at = find_nul_escape(text, len, key, sizeof(key));
	if (at >= 0) {
		char shown[NP_QUOTE_MAX];
		np_errmsg(e, -EINVAL,
			  "%s: the string at byte %ld%s%s%s holds \\u0000 or a raw control character, which JSON strings cannot carry",
			  what, at, key[0] ? " (after key \"" : "", key[0] ? np_quote(key, shown, sizeof(shown)) : "",
			  key[0] ? "\")" : "");
		return NULL;
	}
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!root) {
		size_t off = end && end >= text ? (size_t)(end - text) : 0;
		np_errmsg(e, -EBADMSG, "%s: invalid JSON near byte %zu", what, off);
		return NULL;
	}
	size_t off = (size_t)(end - text);
	while (off < len && (text[off] == ' ' || text[off] == '\t' || text[off] == '\n' || text[off] == '\r'))
		off++;
	/* a NUL terminator inside len is how some callers pass C strings */
	if (off < len && !(text[off] == '\0' && off + 1 == len)) {
		np_errmsg(e, -EINVAL, "%s: unexpected data after the JSON value at byte %zu", what, off);
		cJSON_Delete(root);
		return NULL;
	}
	if (np_json_check_duplicates(root, what, e) < 0) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}
