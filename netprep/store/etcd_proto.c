#include "etcd_proto.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool dns_name(const char *s, size_t n)
{
	if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

static int parse_one(const char *s, size_t n, bool tls, char *out, struct np_err *e)
{
	char q[NP_QUOTE_MAX], item[NP_ENDPOINT_MAX];
	const char *scheme = tls ? "https" : "http";
	if (n >= sizeof(item))
		return np_errmsg(e, -EINVAL, "etcd endpoint of %zu bytes is too long", n);
	memcpy(item, s, n);
	item[n] = 0;
	const char *p = item;
	if (!strncmp(p, "http://", 7)) {
		scheme = "http";
		p += 7;
	} else if (!strncmp(p, "https://", 8)) {
		scheme = "https";
		p += 8;
	} else if (strstr(p, "://")) {
		return np_errmsg(e, -EINVAL, "etcd endpoint \"%s\": the scheme must be http or https",
				 np_quote(item, q, sizeof(q)));
	}
	const char *host = p, *colon;
	size_t hlen;
	char addr[64];
	if (*p == '[') {
		const char *close = strchr(p, ']');
		struct in6_addr a6;
		if (!close || (size_t)(close - p - 1) >= sizeof(addr))
			goto bad;
		memcpy(addr, p + 1, (size_t)(close - p - 1));
		addr[close - p - 1] = 0;
		if (inet_pton(AF_INET6, addr, &a6) != 1)
			goto bad;
		hlen = (size_t)(close - p + 1);
		colon = close + 1;
		if (*colon != ':')
			goto bad;
	} else {
		colon = strrchr(p, ':');
		if (!colon)
			goto bad;
		hlen = (size_t)(colon - p);
		if (!dns_name(p, hlen))
			goto bad;
	}
	const char *port = colon + 1;
	char *end;
	if (!isdigit((unsigned char)*port) || strlen(port) > 5)
		goto bad;
	unsigned long pn = strtoul(port, &end, 10);
	if (*end || pn == 0 || pn > 65535)
		goto bad;
	snprintf(out, NP_ENDPOINT_MAX, "%s://%.*s:%lu", scheme, (int)hlen, host, pn);
	return 0;
bad:
	return np_errmsg(e, -EINVAL,
			 "etcd endpoint \"%s\" is not http(s)://host:port (host: an IPv4 address, a [bracketed] IPv6 address or a DNS name; port 1-65535; no path)",
			 np_quote(item, q, sizeof(q)));
}

int np_etcd_parse_endpoints(const char *list, bool tls, struct np_endpoints *out,
			    struct np_err *e)
{
	memset(out, 0, sizeof(*out));
	if (!list || !*list)
		return np_errmsg(e, -EINVAL, "no etcd endpoint given (etcd_host)");
	const char *p = list;
	for (;;) {
		while (*p == ' ')
			p++;
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		while (n && p[n - 1] == ' ')
			n--;
		if (!n)
			return np_errmsg(e, -EINVAL, "etcd endpoint list has an empty entry");
		if (out->n == NP_STORE_MAX_ENDPOINTS)
			return np_errmsg(e, -EINVAL, "more than %d etcd endpoints", NP_STORE_MAX_ENDPOINTS);
		int rc = parse_one(p, n, tls, out->url[out->n], e);
		if (rc < 0)
			return rc;
		out->n++;
		if (!c)
			break;
		p = c + 1;
	}
	return 0;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *np_b64_encode(const void *data, size_t len)
{
	const uint8_t *d = data;
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)d[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)d[i + 1] << 8;
		if (i + 2 < len)
			v |= d[i + 2];
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < len ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? b64[v & 63] : '=';
	}
	*o = 0;
	return out;
}

static int b64_val(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;
	return p ? (int)(p - b64) : -1;
}

int np_b64_decode(const char *s, char **out, size_t *len)
{
	size_t n = strlen(s);
	*out = NULL;
	if (n % 4)
		return -EINVAL;
	char *buf = malloc(n / 4 * 3 + 1);
	if (!buf)
		return -ENOMEM;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;
		for (int k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad || (v[k] = b64_val(s[i + k])) < 0) {
				free(buf);
				return -EINVAL;
			}
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		/* the unused bits of a padded group must be zero */
		if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff))) {
			free(buf);
			return -EINVAL;
		}
		buf[o++] = (char)(w >> 16);
		if (pad < 2)
			buf[o++] = (char)(w >> 8 & 0xff);
		if (pad < 1)
			buf[o++] = (char)(w & 0xff);
	}
	buf[o] = 0;
	*out = buf;
	*len = o;
	return 0;
}

static bool add_b64(cJSON *o, const char *name, const char *s)
{
	char *v = np_b64_encode(s, strlen(s));
	bool ok = v && cJSON_AddStringToObject(o, name, v);
	free(v);
	return ok;
}

static bool add_i64(cJSON *o, const char *name, int64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return cJSON_AddStringToObject(o, name, buf) != NULL;
}

/* "/a/b/" -> "/a/b0": the end of the range of keys starting with prefix */
static char *prefix_end(const char *prefix)
{
	char *end = strdup(prefix);
	size_t n = end ? strlen(end) : 0;
	if (n)
		end[n - 1]++;
	return end;
}

static char *print(cJSON *o, bool ok)
{
	char *s = ok ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	return s;
}

char *np_etcd_range_req(const char *key, bool prefix, bool keys_only)
{
	cJSON *o = cJSON_CreateObject();
	bool ok = o && add_b64(o, "key", key);
	if (ok && prefix) {
		char *end = prefix_end(key);
		ok = end && add_b64(o, "range_end", end);
		free(end);
	}
	if (ok && keys_only)
		ok = cJSON_AddTrueToObject(o, "keys_only") != NULL;
	return print(o, ok);
}

char *np_etcd_delete_req(const char *key)
{
	cJSON *o = cJSON_CreateObject();
	return print(o, o && add_b64(o, "key", key));
}

static bool add_ops(cJSON *root, const char *name, const struct np_op *ops, int n)
{
	cJSON *arr = cJSON_AddArrayToObject(root, name);
	if (!arr)
		return false;
	for (int i = 0; i < n; i++) {
		cJSON *item = cJSON_CreateObject(), *req;
		if (!item || !cJSON_AddItemToArray(arr, item))
			return false;
		if (ops[i].kind == NP_OP_PUT) {
			req = cJSON_AddObjectToObject(item, "request_put");
			if (!req || !add_b64(req, "key", ops[i].key) || !add_b64(req, "value", ops[i].value) ||
			    (ops[i].lease && !add_i64(req, "lease", ops[i].lease)))
				return false;
		} else {
			req = cJSON_AddObjectToObject(item, "request_delete_range");
			if (!req || !add_b64(req, "key", ops[i].key))
				return false;
		}
	}
	return true;
}

char *np_etcd_txn_req(const struct np_txn *t)
{
	cJSON *o = cJSON_CreateObject(), *cmp = o ? cJSON_AddArrayToObject(o, "compare") : NULL;
	bool ok = cmp != NULL;
	for (int i = 0; ok && i < t->n_cmp; i++) {
		const struct np_cmp *c = &t->cmp[i];
		cJSON *item = cJSON_CreateObject();
		ok = item && cJSON_AddItemToArray(cmp, item) && add_b64(item, "key", c->key);
		/* result EQUAL is the enum's zero value: the gateway takes it as default */
		if (ok && c->kind == NP_CMP_ABSENT)
			ok = cJSON_AddStringToObject(item, "target", "CREATE") && add_i64(item, "create_revision", 0);
		else if (ok && c->kind == NP_CMP_MOD_REV)
			ok = cJSON_AddStringToObject(item, "target", "MOD") && add_i64(item, "mod_revision", c->rev);
		else if (ok)
			ok = cJSON_AddStringToObject(item, "target", "VALUE") && add_b64(item, "value", c->value);
	}
	ok = ok && add_ops(o, "success", t->ok, t->n_ok) && add_ops(o, "failure", t->fail, t->n_fail);
	return print(o, ok);
}

/* int64 fields come as strings; numbers are accepted too */
static int get_i64(const cJSON *o, const char *name, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	*out = 0;
	if (!v)
		return 0;
	if (cJSON_IsNumber(v)) {
		/* converting an out-of-range double is undefined: check first */
		double d = v->valuedouble;
		if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
			return -EBADMSG;
		*out = (int64_t)d;
		return 0;
	}
	if (!cJSON_IsString(v) || !*v->valuestring)
		return -EBADMSG;
	char *end;
	errno = 0;
	long long x = strtoll(v->valuestring, &end, 10);
	if (*end || errno)
		return -EBADMSG;
	*out = x;
	return 0;
}

static cJSON *parse(const char *body, const char *what, struct np_err *e)
{
	cJSON *o = cJSON_Parse(body);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		np_errmsg(e, -EBADMSG, "etcd %s: the answer is not a JSON object", what);
		return NULL;
	}
	return o;
}

void np_kv_free(struct np_kv *kv)
{
	free(kv->key);
	free(kv->value);
	memset(kv, 0, sizeof(*kv));
}

void np_kv_list_free(struct np_kv_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		np_kv_free(&l->kv[i]);
	free(l->kv);
	l->kv = NULL;
	l->n = 0;
}

static int parse_kv(const cJSON *item, struct np_kv *kv)
{
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(item, "key");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, "value");
	size_t klen;
	if (!cJSON_IsObject(item) || !cJSON_IsString(k) || (v && !cJSON_IsString(v)))
		return -EBADMSG;
	if (np_b64_decode(k->valuestring, &kv->key, &klen) < 0 || strlen(kv->key) != klen)
		return -EBADMSG;
	if (np_b64_decode(v ? v->valuestring : "", &kv->value, &kv->value_len) < 0)
		return -EBADMSG;
	if (get_i64(item, "create_revision", &kv->create_rev) < 0 ||
	    get_i64(item, "mod_revision", &kv->mod_rev) < 0 || get_i64(item, "lease", &kv->lease) < 0)
		return -EBADMSG;
	return 0;
}

int np_etcd_parse_range(const char *body, struct np_kv_list *out, struct np_err *e)
{
	memset(out, 0, sizeof(*out));
	cJSON *o = parse(body, "range", e);
	if (!o)
		return -EBADMSG;
	const cJSON *kvs = cJSON_GetObjectItemCaseSensitive(o, "kvs"), *item;
	int rc = 0;
	if (kvs && !cJSON_IsArray(kvs))
		rc = -EBADMSG;
	int n = kvs ? cJSON_GetArraySize(kvs) : 0;
	if (!rc && n > 0 && !(out->kv = calloc((size_t)n, sizeof(*out->kv))))
		rc = -ENOMEM;
	cJSON_ArrayForEach(item, kvs) {
		if (rc)
			break;
		rc = parse_kv(item, &out->kv[out->n]);
		out->n++;
	}
	cJSON_Delete(o);
	if (rc) {
		np_kv_list_free(out);
		return np_errmsg(e, rc, "etcd range: %s", rc == -ENOMEM ? "out of memory" : "malformed key-value in the answer");
	}
	return 0;
}

int np_etcd_parse_txn(const char *body, struct np_err *e)
{
	cJSON *o = parse(body, "txn", e);
	if (!o)
		return -EBADMSG;
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "succeeded");
	int rc = s && !cJSON_IsBool(s) ? np_errmsg(e, -EBADMSG, "etcd txn: \"succeeded\" is not a boolean")
				       : cJSON_IsTrue(s);
	cJSON_Delete(o);
	return rc;
}

int np_etcd_parse_lease(const char *body, int64_t *id, int64_t *ttl, struct np_err *e)
{
	cJSON *o = parse(body, "lease", e);
	if (!o)
		return -EBADMSG;
	/* keepalive answers {"result": {...}} */
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "result");
	const cJSON *src = cJSON_IsObject(r) ? r : o;
	int rc = get_i64(src, "ID", id) < 0 || get_i64(src, "TTL", ttl) < 0 ? -EBADMSG : 0;
	cJSON_Delete(o);
	return rc ? np_errmsg(e, rc, "etcd lease: malformed answer") : 0;
}

int np_etcd_parse_error(const char *body, int *code, char *msg, size_t len)
{
	cJSON *o = cJSON_Parse(body);
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(o, "error");
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "code");
	int rc = 0;
	if (cJSON_IsObject(o) && cJSON_IsString(err) && cJSON_IsNumber(c)) {
		*code = c->valueint;
		snprintf(msg, len, "%s", err->valuestring);
		rc = 1;
	}
	cJSON_Delete(o);
	return rc;
}

bool np_etcd_retryable(int code, const char *msg)
{
	/* 14 Unavailable, 4 DeadlineExceeded; etcdserver's leader errors */
	return code == 14 || code == 4 || strstr(msg, "leader") || strstr(msg, "timed out") ||
	       strstr(msg, "too many requests");
}
