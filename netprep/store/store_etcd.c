/* The cluster store on etcd v3 through its JSON gateway (/v3/, etcd 3.4),
 * with libcurl: one connection reused for the calls of one process, fail-
 * over across the endpoints, every request bounded (connect, request, and
 * a budget for everything the opener does), user/password auth (a token
 * from /v3/auth/authenticate) and mTLS. No environment proxy is used. */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "curl_dl.h"
#include "etcd_proto.h"
#include "store.h"

#define RESP_MAX (64u << 20)

struct etcd {
	struct np_store base;
	struct np_endpoints eps;
	int cur;                      /* the endpoint that answered last */
	struct np_curl cu;            /* libcurl, loaded for this store */
	CURL *curl;
	struct curl_slist *hdr;
	char *user, *pass;
	char *token;
	bool authed;
	unsigned connect_ms, request_ms;
	struct timespec deadline;
	char ca[4096], cert[4096], key[4096];
	/* the answer being received */
	char *buf;
	size_t len, cap;
	bool too_big;
};

static long ms_left(const struct etcd *s)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(s->deadline.tv_sec - now.tv_sec) * 1000 + (s->deadline.tv_nsec - now.tv_nsec) / 1000000;
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct etcd *s = arg;
	size_t add = size * n;
	if (s->len + add + 1 > RESP_MAX) {
		s->too_big = true;
		return 0;
	}
	if (s->len + add + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < s->len + add + 1)
			cap *= 2;
		char *nb = realloc(s->buf, cap);
		if (!nb)
			return 0;
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, p, add);
	s->len += add;
	s->buf[s->len] = 0;
	return add;
}

static int set_headers(struct etcd *s)
{
	s->cu.slist_free_all(s->hdr);
	s->hdr = s->cu.slist_append(NULL, "Content-Type: application/json");
	if (s->hdr && s->token) {
		char h[1024];
		snprintf(h, sizeof(h), "Authorization: %s", s->token);
		struct curl_slist *n = s->cu.slist_append(s->hdr, h);
		if (!n)
			return -ENOMEM;
		s->hdr = n;
	}
	return s->hdr ? 0 : -ENOMEM;
}

/* One POST to one endpoint: 0 with the HTTP status and the body in s->buf,
 * or the curl error. */
static CURLcode post_one(struct etcd *s, int ep, const char *path, const char *body, long *status)
{
	char url[NP_ENDPOINT_MAX + 64];
	long left = ms_left(s);
	long req = (long)s->request_ms < left ? (long)s->request_ms : left;
	long conn = (long)s->connect_ms < req ? (long)s->connect_ms : req;
	snprintf(url, sizeof(url), "%s%s", s->eps.url[ep], path);
	s->len = 0;
	s->too_big = false;
	if (s->buf)
		s->buf[0] = 0;
	s->cu.easy_setopt(s->curl, CURLOPT_URL, url);
	s->cu.easy_setopt(s->curl, CURLOPT_POSTFIELDS, body);
	s->cu.easy_setopt(s->curl, CURLOPT_HTTPHEADER, s->hdr);
	s->cu.easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT_MS, conn > 0 ? conn : 1L);
	s->cu.easy_setopt(s->curl, CURLOPT_TIMEOUT_MS, req > 0 ? req : 1L);
	CURLcode cc = s->cu.easy_perform(s->curl);
	*status = 0;
	s->cu.easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, status);
	if (cc == CURLE_OK && !s->buf)
		on_data((char *)"", 1, 0, s);
	return cc;
}

static bool tls_error(CURLcode cc)
{
	return cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CONNECT_ERROR ||
	       cc == CURLE_SSL_CERTPROBLEM || cc == CURLE_SSL_CACERT_BADFILE ||
	       cc == CURLE_SSL_CIPHER || cc == CURLE_SSL_ISSUER_ERROR ||
	       cc == CURLE_SSL_CRL_BADFILE || cc == CURLE_SSL_PINNEDPUBKEYNOTMATCH ||
	       cc == CURLE_USE_SSL_FAILED || cc == CURLE_SSL_ENGINE_INITFAILED ||
	       cc == CURLE_SSL_ENGINE_NOTFOUND || cc == CURLE_SSL_ENGINE_SETFAILED;
}

static int authenticate(struct etcd *s, struct np_err *e);

/* POST path with body, trying every endpoint from the last good one until
 * one answers or the budget is spent. 0 with the answer in s->buf; -EAGAIN
 * when none answered (unreachable, timed out, no leader); -EACCES for TLS
 * and auth refusals; -EIO for another error the store answered with. */
static int call(struct etcd *s, const char *path, const char *body, const char *what,
		struct np_err *e)
{
	char last[384] = "";
	int tls_rc = 0;
	bool reauthed = false;
	if (!body)
		return np_errmsg(e, -ENOMEM, "etcd %s: out of memory", what);
	s->base.uncertain = false;
	if (s->user && !s->authed && strcmp(path, "/v3/auth/authenticate")) {
		int rc = authenticate(s, e);
		if (rc < 0)
			return rc;
	}
	for (int round = 0; round < 2 * s->eps.n + 2; round++) {
		int ep = (s->cur + round) % s->eps.n;
		if (ms_left(s) <= 0)
			break;
		long status;
		CURLcode cc = post_one(s, ep, path, body, &status);
		if (cc != CURLE_OK) {
			if (tls_error(cc)) {
				if (!tls_rc)
					snprintf(last, sizeof(last), "%s: TLS refused: %s", s->eps.url[ep],
						 cc == CURLE_PEER_FAILED_VERIFICATION
							 ? "the member's certificate is not signed by the CA given (or does not name its address)"
							 : s->cu.easy_strerror(cc));
				tls_rc = -EACCES;
			} else if (!tls_rc) {
				/* sent, then no answer: it may have been applied */
				if (cc != CURLE_COULDNT_CONNECT && cc != CURLE_COULDNT_RESOLVE_HOST)
					s->base.uncertain = true;
				snprintf(last, sizeof(last), "%s: %s", s->eps.url[ep],
					 s->too_big ? "answer larger than 64 MiB" : s->cu.easy_strerror(cc));
			}
			continue;
		}
		int code;
		char msg[256];
		if (status == 200) {
			s->cur = ep;
			return 0;
		}
		if (np_etcd_parse_error(s->buf ? s->buf : "", &code, msg, sizeof(msg)) == 1) {
			/* 16: Unauthenticated (an expired token): once more with a new one */
			if (code == 16 && s->user && !reauthed) {
				reauthed = true;
				s->authed = false;
				int rc = authenticate(s, e);
				if (rc < 0)
					return rc;
				round--;
				continue;
			}
			/* the member's words come off the network: quoted */
			char q[NP_QUOTE_MAX];
			np_quote(msg, q, sizeof(q));
			if (np_etcd_retryable(code, msg)) {
				s->base.uncertain = true;
				snprintf(last, sizeof(last), "%s: %s", s->eps.url[ep], q);
				continue;
			}
			s->cur = ep;
			if (code == 16 || code == 7 || strstr(msg, "auth"))
				return np_errmsg(e, -EACCES, "etcd %s refused by %s: %s (check etcd_username and etcd_password)",
						 what, s->eps.url[ep], q);
			return np_errmsg(e, -EIO, "etcd %s refused by %s: %s", what, s->eps.url[ep], q);
		}
		snprintf(last, sizeof(last), "%s: HTTP status %ld", s->eps.url[ep], status);
		if (status == 404)
			return np_errmsg(e, -EIO, "etcd %s: %s has no %s (etcd 3.4 or later is needed: its JSON gateway is at /v3/)",
					 what, s->eps.url[ep], path);
	}
	if (tls_rc)
		return np_errmsg(e, -EACCES,
				 "etcd %s: no endpoint accepted the TLS connection (%s); check etcd_ca_cert_file (%s), etcd_cert_file and etcd_key_file",
				 what, last, s->ca[0] ? s->ca : "the system's CAs");
	return np_errmsg(e, -EAGAIN, "etcd %s: no endpoint of %d answered within the time allowed (last: %s); the store is unreachable or has no quorum, try again later",
			 what, s->eps.n, last[0] ? last : "time budget spent");
}

static int authenticate(struct etcd *s, struct np_err *e)
{
	cJSON *o = cJSON_CreateObject();
	char *body = NULL;
	if (o && cJSON_AddStringToObject(o, "name", s->user) && cJSON_AddStringToObject(o, "password", s->pass))
		body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	free(s->token);
	s->token = NULL;
	set_headers(s);
	int rc = call(s, "/v3/auth/authenticate", body, "authentication", e);
	free(body);
	if (rc < 0)
		return rc;
	cJSON *a = cJSON_Parse(s->buf);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(a, "token");
	if (cJSON_IsString(t) && *t->valuestring && !strpbrk(t->valuestring, "\r\n"))
		s->token = strdup(t->valuestring);
	cJSON_Delete(a);
	if (!s->token)
		return np_errmsg(e, -EBADMSG, "etcd authentication: the answer has no token");
	s->authed = true;
	return set_headers(s) < 0 ? np_errmsg(e, -ENOMEM, "etcd: out of memory") : 0;
}

#define S(x) ((struct etcd *)(x))

static int e_list(struct np_store *st, const char *prefix, bool keys_only, struct np_kv_list *out,
		  struct np_err *e)
{
	char *body = np_etcd_range_req(prefix, true, keys_only);
	int rc = call(S(st), "/v3/kv/range", body, "range", e);
	free(body);
	return rc < 0 ? rc : np_etcd_parse_range(S(st)->buf, out, e);
}

static int e_get(struct np_store *st, const char *key, struct np_kv *out, struct np_err *e)
{
	struct np_kv_list l;
	memset(out, 0, sizeof(*out));
	char *body = np_etcd_range_req(key, false, false);
	int rc = call(S(st), "/v3/kv/range", body, "get", e);
	free(body);
	if (rc < 0 || (rc = np_etcd_parse_range(S(st)->buf, &l, e)) < 0)
		return rc;
	if (l.n) {
		*out = l.kv[0];
		memset(&l.kv[0], 0, sizeof(l.kv[0]));
	}
	rc = l.n > 0;
	np_kv_list_free(&l);
	return rc;
}

static int e_txn(struct np_store *st, const struct np_txn *t, struct np_err *e)
{
	char *body = np_etcd_txn_req(t);
	int rc = call(S(st), "/v3/kv/txn", body, "transaction", e);
	free(body);
	return rc < 0 ? rc : np_etcd_parse_txn(S(st)->buf, e);
}

static int e_put(struct np_store *st, const char *key, const char *value, int64_t lease,
		 struct np_err *e)
{
	struct np_txn t = { .n_ok = 1, .ok = { { NP_OP_PUT, key, value, lease } } };
	int rc = e_txn(st, &t, e);
	return rc < 0 ? rc : 0;
}

static int e_create(struct np_store *st, const char *key, const char *value, int64_t lease,
		    struct np_err *e)
{
	struct np_txn t = { .n_cmp = 1, .cmp = { { NP_CMP_ABSENT, key, 0, NULL } },
			    .n_ok = 1, .ok = { { NP_OP_PUT, key, value, lease } } };
	return e_txn(st, &t, e);
}

static int e_del(struct np_store *st, const char *key, int64_t mod_rev, struct np_err *e)
{
	if (mod_rev) {
		struct np_txn t = { .n_cmp = 1, .cmp = { { NP_CMP_MOD_REV, key, mod_rev, NULL } },
				    .n_ok = 1, .ok = { { NP_OP_DELETE, key, NULL, 0 } } };
		return e_txn(st, &t, e);
	}
	char *body = np_etcd_delete_req(key);
	int rc = call(S(st), "/v3/kv/deleterange", body, "delete", e);
	free(body);
	if (rc < 0)
		return rc;
	cJSON *o = cJSON_Parse(S(st)->buf);
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "deleted");
	rc = cJSON_IsString(d) ? strcmp(d->valuestring, "0") != 0 : cJSON_IsNumber(d) ? d->valueint > 0 : 0;
	cJSON_Delete(o);
	return rc;
}

static int e_lease_grant(struct np_store *st, int64_t ttl_s, int64_t *id, struct np_err *e)
{
	char body[64];
	int64_t ttl;
	snprintf(body, sizeof(body), "{\"TTL\":\"%lld\"}", (long long)ttl_s);
	int rc = call(S(st), "/v3/lease/grant", body, "lease grant", e);
	if (rc < 0 || (rc = np_etcd_parse_lease(S(st)->buf, id, &ttl, e)) < 0)
		return rc;
	return *id ? 0 : np_errmsg(e, -EBADMSG, "etcd lease grant: the answer has no ID");
}

static int e_lease_keepalive(struct np_store *st, int64_t id, int64_t *ttl, struct np_err *e)
{
	char body[64];
	int64_t got;
	snprintf(body, sizeof(body), "{\"ID\":\"%lld\"}", (long long)id);
	int rc = call(S(st), "/v3/lease/keepalive", body, "lease keepalive", e);
	if (rc < 0 || (rc = np_etcd_parse_lease(S(st)->buf, &got, ttl, e)) < 0)
		return rc;
	return *ttl > 0 ? 0 : np_errmsg(e, -ENOENT, "etcd lease %lld has expired", (long long)id);
}

static int e_lease_revoke(struct np_store *st, int64_t id, struct np_err *e)
{
	char body[64];
	snprintf(body, sizeof(body), "{\"ID\":\"%lld\"}", (long long)id);
	return call(S(st), "/v3/lease/revoke", body, "lease revoke", e);
}

static void e_close(struct np_store *st)
{
	struct etcd *s = S(st);
	if (s->curl)
		s->cu.easy_cleanup(s->curl);
	s->cu.slist_free_all(s->hdr);
	free(s->buf);
	free(s->token);
	free(s->user);
	if (s->pass) {
		memset(s->pass, 0, strlen(s->pass));
		free(s->pass);
	}
	if (s->cu.lib) {
		s->cu.global_cleanup();
		np_curl_unload(&s->cu);
	}
	free(s);
}

static const struct np_store_ops etcd_ops = {
	.kind = "etcd",
	.get = e_get,
	.put = e_put,
	.create = e_create,
	.del = e_del,
	.list = e_list,
	.txn = e_txn,
	.lease_grant = e_lease_grant,
	.lease_keepalive = e_lease_keepalive,
	.lease_revoke = e_lease_revoke,
	.close = e_close,
};

static int check_file(const char *path, const char *what, char *dst, size_t len, struct np_err *e)
{
	if (!path || !*path)
		return 0;
	char q[NP_QUOTE_MAX];
	if (path[0] != '/' || strlen(path) >= len)
		return np_errmsg(e, -EINVAL, "%s \"%s\" must be an absolute path", what, np_quote(path, q, sizeof(q)));
	if (access(path, R_OK) < 0)
		return np_errf(e, -errno, "%s %s cannot be read", what, np_quote(path, q, sizeof(q)));
	snprintf(dst, len, "%s", path);
	return 0;
}

int np_store_open_etcd(const struct np_store_cfg *cfg, struct np_store **out, struct np_err *e)
{
	*out = NULL;
	struct etcd *s = calloc(1, sizeof(*s));
	if (!s)
		return np_errmsg(e, -ENOMEM, "etcd: out of memory");
	s->base.ops = &etcd_ops;
	int rc;
	if ((rc = check_file(cfg->ca_file, "etcd_ca_cert_file", s->ca, sizeof(s->ca), e)) < 0 ||
	    (rc = check_file(cfg->cert_file, "etcd_cert_file", s->cert, sizeof(s->cert), e)) < 0 ||
	    (rc = check_file(cfg->key_file, "etcd_key_file", s->key, sizeof(s->key), e)) < 0) {
		free(s);
		return rc;
	}
	if (!s->cert[0] != !s->key[0]) {
		free(s);
		return np_errmsg(e, -EINVAL, "etcd_cert_file and etcd_key_file go together: give both or neither");
	}
	bool tls = s->ca[0] || s->cert[0];
	if ((rc = np_etcd_parse_endpoints(cfg->endpoints, tls, &s->eps, e)) < 0) {
		free(s);
		return rc;
	}
	if ((cfg->username && *cfg->username) != (cfg->password && *cfg->password)) {
		free(s);
		return np_errmsg(e, -EINVAL, "etcd_username and etcd_password go together: give both or neither");
	}
	s->connect_ms = cfg->connect_timeout_ms ? cfg->connect_timeout_ms : NP_STORE_CONNECT_MS;
	s->request_ms = cfg->request_timeout_ms ? cfg->request_timeout_ms : NP_STORE_REQUEST_MS;
	unsigned budget = cfg->budget_ms ? cfg->budget_ms : NP_STORE_BUDGET_MS;
	clock_gettime(CLOCK_MONOTONIC, &s->deadline);
	s->deadline.tv_sec += budget / 1000;
	s->deadline.tv_nsec += (long)(budget % 1000) * 1000000;
	if (s->deadline.tv_nsec >= 1000000000) {
		s->deadline.tv_sec++;
		s->deadline.tv_nsec -= 1000000000;
	}
	/* the first endpoint first, the next ones on failure (as listed) */
	s->cur = 0;
	if (np_curl_load(&s->cu, e) < 0) {
		free(s);
		return e && e->code ? e->code : -ENOENT;
	}
	if (s->cu.global_init(CURL_GLOBAL_DEFAULT) != 0) {
		np_curl_unload(&s->cu);
		free(s);
		return np_errmsg(e, -EIO, "etcd: libcurl cannot be initialized");
	}
	if (cfg->username && *cfg->username) {
		s->user = strdup(cfg->username);
		s->pass = strdup(cfg->password);
	}
	s->curl = s->cu.easy_init();
	if (!s->curl || set_headers(s) < 0 || (cfg->username && *cfg->username && (!s->user || !s->pass))) {
		e_close(&s->base);
		return np_errmsg(e, -ENOMEM, "etcd: out of memory");
	}
	CURL *c = s->curl;
	s->cu.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	s->cu.easy_setopt(c, CURLOPT_PROXY, "");            /* never an environment proxy */
	s->cu.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	s->cu.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	s->cu.easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	s->cu.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	s->cu.easy_setopt(c, CURLOPT_WRITEDATA, s);
	s->cu.easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
	if (s->ca[0])
		s->cu.easy_setopt(c, CURLOPT_CAINFO, s->ca);
	if (s->cert[0]) {
		s->cu.easy_setopt(c, CURLOPT_SSLCERT, s->cert);
		s->cu.easy_setopt(c, CURLOPT_SSLKEY, s->key);
	}
	*out = &s->base;
	return 0;
}
