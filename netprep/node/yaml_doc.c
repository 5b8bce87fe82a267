#include "yaml_doc.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "json_strict.h"

struct conv {
	yaml_document_t *doc;
	const char *what;
	int index;   /* of the document, for messages */
	long values; /* made so far: aliases make a tree larger than the text */
	struct np_err *e;
};

static bool is_number(const char *s, double *out)
{
	/* YAML 1.2 core: [-+]?(0|[1-9][0-9]*)(\.[0-9]*)?([eE][-+]?[0-9]+)? and
	 * the like; strtod accepts more (hex, inf, nan), so check the shape */
	const char *p = s;
	if (*p == '-' || *p == '+')
		p++;
	if (!(*p >= '0' && *p <= '9') && !(*p == '.' && p[1] >= '0' && p[1] <= '9'))
		return false;
	for (const char *q = p; *q; q++)
		if (!strchr("0123456789.eE+-", *q))
			return false;
	char *end = NULL;
	double d = strtod(s, &end);
	if (!end || *end || !isfinite(d))
		return false;
	*out = d;
	return true;
}

static cJSON *plain_scalar(const char *v)
{
	double d;
	if (!*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL"))
		return cJSON_CreateNull();
	if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE"))
		return cJSON_CreateTrue();
	if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "FALSE"))
		return cJSON_CreateFalse();
	if (is_number(v, &d))
		return cJSON_CreateNumber(d);
	return cJSON_CreateString(v);
}

static cJSON *convert(struct conv *c, yaml_node_t *n, int depth)
{
	if (!n)
		return NULL;
	if (depth > NP_YAML_MAX_DEPTH || ++c->values > NP_YAML_MAX_VALUES) {
		np_errmsg(c->e, -E2BIG, "%s: document %d is nested deeper than %d or holds more than %d values",
			  c->what, c->index, NP_YAML_MAX_DEPTH, NP_YAML_MAX_VALUES);
		return NULL;
	}
	if (n->type == YAML_SCALAR_NODE) {
		const char *v = (const char *)n->data.scalar.value;
		if (strlen(v) != n->data.scalar.length) {
			np_errmsg(c->e, -EINVAL, "%s: document %d: a value holds a NUL character", c->what, c->index);
			return NULL;
		}
		return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? plain_scalar(v) : cJSON_CreateString(v);
	}
	cJSON *out = n->type == YAML_SEQUENCE_NODE ? cJSON_CreateArray() : cJSON_CreateObject();
	if (n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *i = n->data.sequence.items.start; out && i < n->data.sequence.items.top; i++) {
			cJSON *v = convert(c, yaml_document_get_node(c->doc, *i), depth + 1);
			if (!v) {
				cJSON_Delete(out);
				return NULL;
			}
			cJSON_AddItemToArray(out, v);
		}
		return out;
	}
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; out && p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		if (!k || k->type != YAML_SCALAR_NODE ||
		    strlen((const char *)k->data.scalar.value) != k->data.scalar.length) {
			np_errmsg(c->e, -EINVAL, "%s: document %d: a mapping key is not a plain string (or holds a NUL)", c->what, c->index);
			cJSON_Delete(out);
			return NULL;
		}
		cJSON *v = convert(c, yaml_document_get_node(c->doc, p->value), depth + 1);
		if (!v) {
			cJSON_Delete(out);
			return NULL;
		}
		cJSON_AddItemToObject(out, (const char *)k->data.scalar.value, v);
	}
	return out;
}

int np_yaml_each(const char *text, size_t len, const char *what,
		 int (*cb)(const cJSON *doc, void *arg), void *arg, struct np_err *e)
{
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		return np_errmsg(e, -ENOMEM, "%s: out of memory", what);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	int count = 0, rc = 0;
	for (;;) {
		yaml_document_t doc;
		if (!yaml_parser_load(&parser, &doc)) {
			char q[NP_QUOTE_MAX];
			rc = np_errmsg(e, -EINVAL, "%s: not valid YAML at line %zu: %s", what,
				       parser.problem_mark.line + 1,
				       np_quote(parser.problem ? parser.problem : "unknown problem", q, sizeof(q)));
			break;
		}
		yaml_node_t *root = yaml_document_get_root_node(&doc);
		if (!root) { /* the end of the stream */
			yaml_document_delete(&doc);
			break;
		}
		struct conv c = { .doc = &doc, .what = what, .index = count + 1, .e = e };
		cJSON *j = convert(&c, root, 0);
		yaml_document_delete(&doc);
		if (!j) {
			rc = e && e->code ? e->code : -ENOMEM;
			break;
		}
		char where[96];
		snprintf(where, sizeof(where), "%s (document %d)", what, count + 1);
		rc = np_json_check_duplicates(j, where, e);
		if (rc == 0)
			rc = cb(j, arg);
		cJSON_Delete(j);
		if (rc < 0)
			break;
		count++;
	}
	yaml_parser_delete(&parser);
	if (rc == 0 && count == 0)
		rc = np_errmsg(e, -EINVAL, "%s: holds no YAML document", what);
	return rc < 0 ? rc : count;
}

static int keep_first(const cJSON *doc, void *arg)
{
	cJSON **out = arg;
	if (!*out)
		*out = cJSON_Duplicate(doc, 1);
	return 0;
}

cJSON *np_yaml_first(const char *text, size_t len, const char *what, struct np_err *e)
{
	cJSON *out = NULL;
	if (np_yaml_each(text, len, what, keep_first, &out, e) < 0) {
		cJSON_Delete(out);
		return NULL;
	}
	return out;
}
