#define _GNU_SOURCE
#include "nad.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_strict.h"

static size_t indent_of(const char *line)
{
	size_t n = 0;
	while (line[n] == ' ')
		n++;
	return n;
}

/* The value after "config:" in YAML, unquoted. */
static char *yaml_config(const char *text, size_t len, struct np_err *e)
{
	char *doc = strndup(text, len);
	char *out = NULL;
	if (!doc)
		return NULL;
	char *save = NULL;
	size_t key_indent = 0;
	bool in_spec = false;
	for (char *line = strtok_r(doc, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t ind = indent_of(line);
		if (!strncmp(line + ind, "spec:", 5) && ind == 0)
			in_spec = true;
		else if (ind == 0 && line[0] && line[0] != '#')
			in_spec = false;
		if (!in_spec || strncmp(line + ind, "config:", 7))
			continue;
		key_indent = ind;
		char *v = line + ind + 7;
		while (*v == ' ')
			v++;
		size_t cap = len + 1, o = 0;
		out = calloc(1, cap);
		if (!out)
			break;
		if (*v == '\'' || *v == '"') {
			/* flow scalar over lines: line breaks fold to spaces */
			char q = *v++;
			for (;;) {
				for (; *v; v++) {
					if (*v == q && q == '\'' && v[1] == '\'') {
						out[o++] = '\'';
						v++;
					} else if (*v == q) {
						goto done;
					} else if (q == '"' && *v == '\\' && v[1]) {
						v++;
						out[o++] = *v == 'n' ? '\n' : *v == 't' ? '\t' : *v;
					} else {
						out[o++] = *v;
					}
				}
				out[o++] = ' ';
				v = strtok_r(NULL, "\n", &save);
				if (!v) {
					np_errmsg(e, -EINVAL, "NAD: spec.config: unterminated quoted string");
					free(out);
					out = NULL;
					goto done;
				}
				while (*v == ' ')
					v++;
			}
		} else if (*v == '|' || *v == '>') {
			bool fold = *v == '>';
			size_t block_indent = 0;
			char *l;
			while ((l = strtok_r(NULL, "\n", &save))) {
				size_t li = indent_of(l);
				if (l[li] && li <= key_indent)
					break;
				if (!block_indent)
					block_indent = li;
				const char *body = li >= block_indent ? l + block_indent : l + li;
				o += (size_t)snprintf(out + o, cap - o, "%s%c", body, fold ? ' ' : '\n');
			}
		} else {
			snprintf(out, cap, "%s", v);
		}
done:
		break;
	}
	free(doc);
	if (!out && !(e && e->code))
		np_errmsg(e, -EINVAL, "NAD: no spec.config found");
	return out;
}

cJSON *nad_config(const char *text, size_t len, struct np_err *e)
{
	if (len > NAD_MAX) {
		np_errmsg(e, -EFBIG, "NAD is larger than %d bytes", NAD_MAX);
		return NULL;
	}
	char *cfg = NULL;
	cJSON *j = NULL;
	size_t i = 0;
	while (i < len && isspace((unsigned char)text[i]))
		i++;
	if (i < len && text[i] == '{') {
		j = np_json_parse_strict(text, len, "NAD (JSON)", e);
		if (!j)
			return NULL;
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "spec"), "config");
		if (!cJSON_IsString(c)) {
			np_errmsg(e, -EINVAL, "NAD (JSON): spec.config must be a string holding the CNI config");
			cJSON_Delete(j);
			return NULL;
		}
		cfg = strdup(c->valuestring);
		cJSON_Delete(j);
	} else {
		cfg = yaml_config(text, len, e);
	}
	if (!cfg)
		return NULL;
	j = np_json_parse_strict(cfg, strlen(cfg), "NAD spec.config", e);
	if (j && !cJSON_IsObject(j)) {
		char q[NP_QUOTE_MAX];
		np_errmsg(e, -EINVAL, "NAD: spec.config is not a JSON object: %s", np_quote(cfg, q, sizeof(q)));
		cJSON_Delete(j);
		j = NULL;
	}
	free(cfg);
	return j;
}

int nad_each(const char *text, size_t len, int (*cb)(cJSON *config, void *arg), void *arg,
	     struct np_err *e)
{
	int found = 0;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *sep = memmem(p, (size_t)(end - p), "\n---", 4);
		const char *dend = sep ? sep + 1 : end;
		if (memmem(p, (size_t)(dend - p), "NetworkAttachmentDefinition", 27)) {
			cJSON *c = nad_config(p, (size_t)(dend - p), e);
			if (!c)
				return -EINVAL;
			found++;
			int rc = cb(c, arg);
			cJSON_Delete(c);
			if (rc < 0)
				return rc;
		}
		if (!sep)
			break;
		p = sep + 4;
	}
	return found;
}
