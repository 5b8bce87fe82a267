/* virt-handler's network-info-cache entry: Go's reading of it, and the
 * rewrite without networkState. */
#include "kvstate.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_strict.h"
#include "jsoncheck.h"

const char *vc_kvstate_name(long long state)
{
	switch (state) {
	case VC_KV_PENDING: return "pending";
	case VC_KV_STARTED: return "started";
	case VC_KV_FINISHED: return "finished";
	default: return "unknown";
	}
}

/* Go matches member names to fields with Unicode simple case folding, so
 * besides ASCII case the long s (U+017F) is an 's' and the Kelvin sign
 * (U+212A) a 'k'. want is lower-case ASCII. */
static bool go_name_is(const char *key, const char *want)
{
	const unsigned char *k = (const unsigned char *)key;
	for (; *want; want++) {
		if (*want == 's' && k[0] == 0xc5 && k[1] == 0xbf) {
			k += 2;
		} else if (*want == 'k' && k[0] == 0xe2 && k[1] == 0x84 && k[2] == 0xaa) {
			k += 3;
		} else if (*k && (*k | 0x20) == *want && ((*k | 0x20) >= 'a' && (*k | 0x20) <= 'z')) {
			k++;
		} else {
			return false;
		}
	}
	return *k == '\0';
}

/* ---- raw member spans of a document np_json_parse_strict accepted ---- */

struct member {
	size_t k0, k1, v0, v1; /* the key with its quotes, the value */
};

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t skip_ws(const char *t, size_t n, size_t i)
{
	while (i < n && is_ws(t[i]))
		i++;
	return i;
}

static size_t string_end(const char *t, size_t n, size_t i)
{
	for (i++; i < n; i++) {
		if (t[i] == '\\')
			i++;
		else if (t[i] == '"')
			return i + 1;
	}
	return n;
}

static size_t value_end(const char *t, size_t n, size_t i)
{
	if (i >= n)
		return n;
	if (t[i] == '"')
		return string_end(t, n, i);
	if (t[i] == '{' || t[i] == '[') {
		int depth = 0;
		while (i < n) {
			char c = t[i];
			if (c == '"') {
				i = string_end(t, n, i);
				continue;
			}
			if (c == '{' || c == '[')
				depth++;
			else if ((c == '}' || c == ']') && --depth == 0)
				return i + 1;
			i++;
		}
		return n;
	}
	while (i < n && !is_ws(t[i]) && t[i] != ',' && t[i] != '}' && t[i] != ']')
		i++;
	return i;
}

/* The top-level object's members in document order; *out is malloc'ed. */
static int members(const char *t, size_t n, size_t count, struct member **out, struct np_err *e)
{
	struct member *m = calloc(count ? count : 1, sizeof(*m));
	if (!m)
		return np_errmsg(e, -ENOMEM, "network-info-cache entry: out of memory");
	size_t i = skip_ws(t, n, 0), k = 0;
	if (i < n && t[i] == '{')
		i++;
	for (;;) {
		i = skip_ws(t, n, i);
		if (i >= n || t[i] != '"')
			break;
		if (k == count) {
			free(m);
			return np_errmsg(e, -EBADMSG, "network-info-cache entry: members do not add up");
		}
		m[k].k0 = i;
		i = m[k].k1 = string_end(t, n, i);
		i = skip_ws(t, n, i);
		if (i < n && t[i] == ':')
			i++;
		i = skip_ws(t, n, i);
		m[k].v0 = i;
		i = m[k].v1 = value_end(t, n, i);
		k++;
		i = skip_ws(t, n, i);
		if (i < n && t[i] == ',')
			i++;
	}
	if (k != count) {
		free(m);
		return np_errmsg(e, -EBADMSG, "network-info-cache entry: members do not add up");
	}
	*out = m;
	return 0;
}

/* ---- reading ------------------------------------------------------------ */

static int wrong_type(const char *key, const char *want, struct np_err *e)
{
	char q[NP_QUOTE_MAX];
	return np_errmsg(e, -EINVAL,
			 "network-info-cache entry: \"%s\" must be %s (Go's json.Unmarshal fails on it, and so "
			 "does virt-handler)", np_quote(key, q, sizeof(q)), want);
}

/* strconv.ParseInt(literal, 10, 64), as Go decodes a number into an int:
 * "2.0", "2e0" and out-of-range values are errors. */
static int go_int(const char *t, size_t n, long long *out)
{
	size_t i = 0;
	bool neg = false;
	if (i < n && t[i] == '-') {
		neg = true;
		i++;
	}
	if (i == n)
		return -1;
	unsigned long long v = 0, lim = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
	for (; i < n; i++) {
		if (t[i] < '0' || t[i] > '9')
			return -1;
		unsigned d = (unsigned)(t[i] - '0');
		if (v > (lim - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = neg ? (long long)(0 - v) : (long long)v;
	return 0;
}

static const char *const bindings[] = {
	"bridge", "masquerade", "sriov", "slirp", "macvtap", "passt", "passtBinding", "binding",
};

static void read_iface(const cJSON *iface, struct vc_kvstate *st)
{
	const cJSON *c;
	cJSON_ArrayForEach(c, iface) {
		if (go_name_is(c->string, "name") && cJSON_IsString(c))
			snprintf(st->iface_name, sizeof(st->iface_name), "%s", c->valuestring);
		for (size_t i = 0; i < sizeof(bindings) / sizeof(*bindings); i++) {
			char low[16];
			size_t j = 0;
			for (; bindings[i][j] && j < sizeof(low) - 1; j++)
				low[j] = (char)(bindings[i][j] | 0x20);
			low[j] = '\0';
			if (go_name_is(c->string, low) && !cJSON_IsNull(c))
				snprintf(st->binding, sizeof(st->binding), "%s", bindings[i]);
		}
	}
}

static int read_member(const cJSON *c, const char *raw, size_t rawlen, struct vc_kvstate *st,
		       struct np_err *e)
{
	if (go_name_is(c->string, "networkstate")) {
		if (cJSON_IsNull(c))
			return 0;
		long long v;
		if (!cJSON_IsNumber(c) || go_int(raw, rawlen, &v) < 0)
			return wrong_type(c->string, "a whole number that fits Go's int", e);
		st->state = v;
		st->has_state = true;
	} else if (go_name_is(c->string, "iface")) {
		if (!cJSON_IsNull(c) && !cJSON_IsObject(c))
			return wrong_type(c->string, "an object or null", e);
		read_iface(c, st);
	} else if (go_name_is(c->string, "podip")) {
		if (!cJSON_IsNull(c) && !cJSON_IsString(c))
			return wrong_type(c->string, "a string or null", e);
		if (cJSON_IsString(c))
			snprintf(st->pod_ip, sizeof(st->pod_ip), "%s", c->valuestring);
	} else if (go_name_is(c->string, "podips")) {
		if (!cJSON_IsNull(c) && !cJSON_IsArray(c))
			return wrong_type(c->string, "a list of strings or null", e);
		const cJSON *ip;
		cJSON_ArrayForEach(ip, c)
			if (!cJSON_IsString(ip) && !cJSON_IsNull(ip))
				return wrong_type(c->string, "a list of strings or null", e);
	}
	return 0;
}

static cJSON *parse_doc(const char *text, size_t len, int *rc, struct np_err *e)
{
	if (len > VC_KVSTATE_MAX) {
		*rc = np_errmsg(e, -EFBIG, "network-info-cache entry is %zu bytes, above the %d-byte limit", len,
				VC_KVSTATE_MAX);
		return NULL;
	}
	/* cJSON takes raw control bytes in strings (a NUL too: a key cut there
	 * would read as another key), "+1", "02" and a NUL after the value;
	 * Go's decoder refuses them, and so does this check */
	if (!vc_json_valid(text, len, NULL, NULL, NULL)) {
		*rc = np_errmsg(e, -EBADMSG, "network-info-cache entry is not valid JSON (torn or garbage)");
		return NULL;
	}
	struct np_err pe = { 0 };
	cJSON *j = np_json_parse_strict(text, len, "network-info-cache entry", &pe);
	if (!j)
		*rc = np_errmsg(e, pe.code, "%s%s", pe.msg, pe.code == -EBADMSG ? " (torn or garbage)" : "");
	return j;
}

int vc_kvstate_parse(const char *text, size_t len, struct vc_kvstate *st, struct np_err *e)
{
	memset(st, 0, sizeof(*st));
	int rc = 0;
	cJSON *j = parse_doc(text, len, &rc, e);
	if (!j)
		return rc;
	struct member *m = NULL;
	if (cJSON_IsNull(j)) {
		st->is_null = true;
	} else if (!cJSON_IsObject(j)) {
		rc = np_errmsg(e, -EBADMSG, "network-info-cache entry is not a JSON object");
	} else if ((rc = members(text, len, (size_t)cJSON_GetArraySize(j), &m, e)) == 0) {
		size_t k = 0;
		for (const cJSON *c = j->child; c && rc == 0; c = c->next, k++)
			rc = read_member(c, text + m[k].v0, m[k].v1 - m[k].v0, st, e);
	}
	free(m);
	cJSON_Delete(j);
	if (rc < 0)
		memset(st, 0, sizeof(*st));
	return rc;
}

/* ---- rewriting ---------------------------------------------------------- */

struct buf {
	char *p;
	size_t len, cap;
	bool failed;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void newline(struct buf *b, int depth)
{
	put(b, "\n", 1);
	for (int i = 0; i < depth; i++)
		put(b, "  ", 2);
}

/* Go's json.Indent(dst, src, "", "  "): space outside strings dropped, a
 * newline and indentation after '{', '[' and ',', ": " after a key, and
 * empty objects and lists kept as {} and []. */
static void go_indent(struct buf *b, const char *s, size_t n)
{
	bool in_str = false, esc = false, need_indent = false;
	int depth = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (in_str) {
			put(b, &c, 1);
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (is_ws(c))
			continue;
		if (need_indent && c != '}' && c != ']') {
			need_indent = false;
			newline(b, ++depth);
		}
		switch (c) {
		case '"':
			in_str = true;
			put(b, &c, 1);
			break;
		case '{': case '[':
			need_indent = true;
			put(b, &c, 1);
			break;
		case ',':
			put(b, &c, 1);
			newline(b, depth);
			break;
		case ':':
			put(b, ": ", 2);
			break;
		case '}': case ']':
			if (need_indent)
				need_indent = false;
			else
				newline(b, --depth);
			put(b, &c, 1);
			break;
		default:
			put(b, &c, 1);
		}
	}
}

char *vc_kvstate_reset(const char *text, size_t len, struct np_err *e)
{
	int rc = 0;
	cJSON *j = parse_doc(text, len, &rc, e);
	if (!j)
		return NULL;
	struct buf compact = { 0 }, out = { 0 };
	struct member *m = NULL;
	if (cJSON_IsNull(j)) {
		put(&compact, "{}", 2); /* what KubeVirt writes back after reading null */
	} else if (!cJSON_IsObject(j)) {
		np_errmsg(e, -EBADMSG, "network-info-cache entry is not a JSON object");
		goto out;
	} else if (members(text, len, (size_t)cJSON_GetArraySize(j), &m, e) < 0) {
		goto out;
	} else {
		size_t k = 0;
		bool first = true;
		put(&compact, "{", 1);
		for (const cJSON *c = j->child; c; c = c->next, k++) {
			if (go_name_is(c->string, "networkstate"))
				continue;
			if (!first)
				put(&compact, ",", 1);
			first = false;
			put(&compact, text + m[k].k0, m[k].k1 - m[k].k0);
			put(&compact, ":", 1);
			put(&compact, text + m[k].v0, m[k].v1 - m[k].v0);
		}
		put(&compact, "}", 1);
	}
	if (!compact.failed)
		go_indent(&out, compact.p, compact.len);
	if (compact.failed || out.failed || !out.p) {
		np_errmsg(e, -ENOMEM, "network-info-cache entry: out of memory");
		free(out.p);
		out.p = NULL;
	}
out:
	free(m);
	free(compact.p);
	cJSON_Delete(j);
	return out.p;
}
