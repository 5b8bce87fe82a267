#include "jsoncheck.h"

#include <string.h>

#define MAX_DEPTH 64 /* cJSON's CJSON_NESTING_LIMIT is 1000; records need far less */

struct scan {
	const char *p, *end;
	const char *key;
	const char **val;
	size_t *val_len;
	bool key_seen; /* cJSON looks members up first-match, so later duplicates are ignored */
};

static void ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned hex4(const char *p)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++)
		v = v << 4 | (unsigned)(p[i] <= '9' ? p[i] - '0' : (p[i] | 0x20) - 'a' + 10);
	return v;
}

/* A string; on success start and len hold its raw contents. UTF-16
 * surrogates must pair up, as cJSON requires. */
static bool string(struct scan *s, const char **start, size_t *len)
{
	if (s->p >= s->end || *s->p != '"')
		return false;
	const char *b = ++s->p;
	while (s->p < s->end && *s->p != '"') {
		unsigned char c = (unsigned char)*s->p;
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (++s->p >= s->end)
				return false;
			if (*s->p == 'u') {
				if (s->end - s->p < 5 || !is_hex(s->p[1]) || !is_hex(s->p[2]) || !is_hex(s->p[3]) ||
				    !is_hex(s->p[4]))
					return false;
				unsigned cp = hex4(s->p + 1);
				s->p += 4;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return false;
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (s->end - s->p < 7 || s->p[1] != '\\' || s->p[2] != 'u' || !is_hex(s->p[3]) ||
					    !is_hex(s->p[4]) || !is_hex(s->p[5]) || !is_hex(s->p[6]))
						return false;
					unsigned lo = hex4(s->p + 3);
					if (lo < 0xdc00 || lo > 0xdfff)
						return false;
					s->p += 6;
				}
			} else if (!*s->p || !strchr("\"\\/bfnrt", *s->p)) { /* strchr finds the NUL too */
				return false;
			}
		}
		s->p++;
	}
	if (s->p >= s->end)
		return false;
	*start = b;
	*len = (size_t)(s->p - b);
	s->p++;
	return true;
}

static bool number(struct scan *s)
{
	const char *b = s->p;
	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p >= s->end || *s->p < '0' || *s->p > '9')
		return false;
	if (*s->p == '0')
		s->p++;
	else
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return false;
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return false;
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	return s->p > b;
}

static bool literal(struct scan *s, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n))
		return false;
	s->p += n;
	return true;
}

static bool value(struct scan *s, int depth);

/* After an item: a ',' goes on (1), close ends the container (0), anything
 * else is malformed (-1). */
static int after_item(struct scan *s, char close)
{
	ws(s);
	if (s->p < s->end && *s->p == ',') {
		s->p++;
		return 1;
	}
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return 0;
	}
	return -1;
}

static bool members(struct scan *s, int depth, bool top)
{
	s->p++; /* { */
	ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return true;
	}
	for (;;) {
		const char *k, *v;
		size_t kl, vl;
		ws(s);
		if (!string(s, &k, &kl))
			return false;
		ws(s);
		if (s->p >= s->end || *s->p != ':')
			return false;
		s->p++;
		ws(s);
		bool is_key = top && s->key && !s->key_seen && strlen(s->key) == kl && !memcmp(k, s->key, kl);
		if (is_key)
			s->key_seen = true;
		if (is_key && s->p < s->end && *s->p == '"') {
			if (!string(s, &v, &vl))
				return false;
			*s->val = v;
			*s->val_len = vl;
		} else if (!value(s, depth + 1)) {
			return false;
		}
		int more = after_item(s, '}');
		if (more <= 0)
			return more == 0;
	}
}

static bool elements(struct scan *s, int depth)
{
	s->p++; /* [ */
	ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return true;
	}
	for (;;) {
		ws(s);
		if (!value(s, depth + 1))
			return false;
		int more = after_item(s, ']');
		if (more <= 0)
			return more == 0;
	}
}

static bool value(struct scan *s, int depth)
{
	const char *v;
	size_t vl;
	if (depth > MAX_DEPTH || s->p >= s->end)
		return false;
	switch (*s->p) {
	case '{': return members(s, depth, depth == 0);
	case '[': return elements(s, depth);
	case '"': return string(s, &v, &vl);
	case 't': return literal(s, "true");
	case 'f': return literal(s, "false");
	case 'n': return literal(s, "null");
	default: return number(s);
	}
}

bool vc_json_valid(const char *text, size_t len, const char *key, const char **val,
		   size_t *val_len)
{
	const char *dummy;
	size_t dummy_len;
	struct scan s = { text, text + len, key, val ? val : &dummy, val_len ? val_len : &dummy_len,
			  false };
	*s.val = NULL;
	ws(&s);
	if (!value(&s, 0))
		return false;
	ws(&s);
	return s.p == s.end;
}
