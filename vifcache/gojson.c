#include "gojson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct out {
	char *buf;
	size_t len, cap;
	int failed;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->failed)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = (o->cap ? o->cap : 256);
		while (cap < o->len + n + 1)
			cap *= 2;
		char *nb = realloc(o->buf, cap);
		if (!nb) {
			o->failed = 1;
			return;
		}
		o->buf = nb;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void indent(struct out *o, int depth)
{
	put(o, "\n", 1);
	for (int i = 0; i < depth; i++)
		put(o, "  ", 2);
}

static void string(struct out *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	put(o, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[8];
		switch (*p) {
		case '"': puts_(o, "\\\""); break;
		case '\\': puts_(o, "\\\\"); break;
		case '\n': puts_(o, "\\n"); break;
		case '\r': puts_(o, "\\r"); break;
		case '\t': puts_(o, "\\t"); break;
		case '<': case '>': case '&':
			snprintf(esc, sizeof(esc), "\\u00%c%c", hex[*p >> 4], hex[*p & 15]);
			puts_(o, esc);
			break;
		default:
			if (*p < 0x20) {
				snprintf(esc, sizeof(esc), "\\u00%c%c", hex[*p >> 4], hex[*p & 15]);
				puts_(o, esc);
			} else {
				put(o, (const char *)p, 1);
			}
		}
	}
	put(o, "\"", 1);
}

static void value(struct out *o, const cJSON *j, int depth)
{
	char num[64];
	if (cJSON_IsNull(j)) {
		puts_(o, "null");
	} else if (cJSON_IsTrue(j)) {
		puts_(o, "true");
	} else if (cJSON_IsFalse(j)) {
		puts_(o, "false");
	} else if (cJSON_IsNumber(j)) {
		snprintf(num, sizeof(num), "%.17g", j->valuedouble);
		puts_(o, num);
	} else if (cJSON_IsString(j)) {
		string(o, j->valuestring);
	} else if (cJSON_IsArray(j) || cJSON_IsObject(j)) {
		int obj = cJSON_IsObject(j);
		put(o, obj ? "{" : "[", 1);
		const cJSON *c = j->child;
		if (!c) {
			put(o, obj ? "}" : "]", 1);
			return;
		}
		for (; c; c = c->next) {
			indent(o, depth + 1);
			if (obj) {
				string(o, c->string);
				puts_(o, ": ");
			}
			value(o, c, depth + 1);
			if (c->next)
				put(o, ",", 1);
		}
		indent(o, depth);
		put(o, obj ? "}" : "]", 1);
	}
}

char *vc_gojson_print(const cJSON *j)
{
	struct out o = { 0 };
	value(&o, j, 0);
	if (o.failed) {
		free(o.buf);
		return NULL;
	}
	return o.buf;
}
