#include "ipam_cluster.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomic_file.h"
#include "ipam_local.h"
#include "ipam_range.h"
#include "json_strict.h"
#include "names.h"
#include "store/store.h"

/* ---- the node file ---------------------------------------------------- */

int ipam_conf_resolve(const struct cni_conf *c, cJSON **merged, bool *etcd, struct cni_error *ce)
{
	*merged = NULL;
	*etcd = false;
	const cJSON *ipam = c->ipam;
	if (!cJSON_IsObject(ipam))
		return 0;
	const char *path, *ds;
	struct np_err e = { 0 };
	char q[NP_QUOTE_MAX];
	if (cni_json_str(ipam, "ipam", "configuration_path", false, &path, ce) < 0)
		return -1;
	bool explicit = path && *path;
	if (explicit && np_path_plain_absolute(path, "ipam \"configuration_path\"", &e) < 0)
		return cni_fail_np(ce, CNI_ERR_INVALID_CONFIG, &e);
	if (!explicit)
		path = IPAM_FLAT_FILE;
	char *text = NULL;
	size_t len = 0;
	int rc = np_file_read(AT_FDCWD, path, 1 << 16, &text, &len, &e);
	cJSON *flat = NULL;
	if (rc == -ENOENT && !explicit) {
		np_err_clear(&e);
	} else if (rc < 0) {
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "mignet-ipam node file %s: %s",
				np_quote(path, q, sizeof(q)), e.msg);
	} else {
		flat = np_json_parse_strict(text, len, path, &e);
		free(text);
		if (!cJSON_IsObject(flat)) {
			cJSON_Delete(flat);
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "mignet-ipam node file %s: %s", path,
					e.msg[0] ? e.msg : "not a JSON object");
		}
	}
	if (flat) {
		/* what the config leaves out, the node file supplies */
		*merged = cJSON_Duplicate(ipam, 1);
		const cJSON *v;
		cJSON_ArrayForEach(v, flat)
			if (v->string && !cJSON_GetObjectItemCaseSensitive(*merged, v->string))
				cJSON_AddItemToObject(*merged, v->string, cJSON_Duplicate(v, 1));
		cJSON_Delete(flat);
		if (!*merged)
			return cni_fail(ce, CNI_ERR_INTERNAL, "out of memory");
		ipam = *merged;
	}
	if (cni_json_str(ipam, "ipam", "datastore", false, &ds, ce) < 0)
		goto fail;
	if (ds && !strcmp(ds, "etcd")) {
		*etcd = true;
	} else if (ds && *ds && strcmp(ds, "local")) {
		cni_fail(ce, CNI_ERR_INVALID_CONFIG,
			 "ipam \"datastore\" \"%s\" is not supported: \"etcd\" (cluster-wide) or \"local\" (this node's files, the default)",
			 np_quote(ds, q, sizeof(q)));
		goto fail;
	}
	return 0;
fail:
	cJSON_Delete(*merged);
	*merged = NULL;
	return -1;
}

/* ---- the store -------------------------------------------------------- */

struct cl {
	struct np_store *st;
	struct ipam_local_conf lc;
	const char *net;
	char holder[1024];
};

static int store_fail(struct cni_error *ce, const struct np_err *e)
{
	int code = e->code == -EAGAIN ? CNI_ERR_TRY_LATER
		 : e->code == -EINVAL ? CNI_ERR_INVALID_CONFIG : CNI_ERR_INTERNAL;
	return cni_fail(ce, code, "mignet-ipam (etcd): %s", e->msg[0] ? e->msg : "store failure");
}

static int cl_open(const struct cni_conf *c, const struct cni_env *env, struct cl *k,
		   struct cni_error *ce)
{
	memset(k, 0, sizeof(*k));
	struct np_err e = { 0 };
	if (ipam_local_parse(c->ipam, &k->lc, ce) < 0)
		return -1;
	if (np_store_valid_component(c->name, "network name", &e) < 0)
		return cni_fail_np(ce, CNI_ERR_INVALID_CONFIG, &e);
	k->net = c->name;
	struct np_store_cfg cfg = { .kind = "etcd" };
	const struct { const char *key; const char **dst; } keys[] = {
		{ "etcd_host", &cfg.endpoints }, { "etcd_username", &cfg.username },
		{ "etcd_password", &cfg.password }, { "etcd_ca_cert_file", &cfg.ca_file },
		{ "etcd_cert_file", &cfg.cert_file }, { "etcd_key_file", &cfg.key_file },
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (cni_json_str(c->ipam, "ipam", keys[i].key, false, keys[i].dst, ce) < 0)
			return -1;
	if (!cfg.endpoints || !*cfg.endpoints)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG,
				"ipam \"datastore\" is \"etcd\" but \"etcd_host\" is missing (in the config or the node file %s)",
				IPAM_FLAT_FILE);
	if (env) {
		char node[256] = "";
		gethostname(node, sizeof(node) - 1);
		cJSON *h = cJSON_CreateObject();
		cJSON_AddStringToObject(h, "containerID", env->container_id);
		cJSON_AddStringToObject(h, "ifname", env->ifname);
		cJSON_AddStringToObject(h, "node", node);
		char *s = cJSON_PrintUnformatted(h);
		cJSON_Delete(h);
		if (!s || strlen(s) >= sizeof(k->holder)) {
			free(s);
			return cni_fail(ce, CNI_ERR_INTERNAL, "mignet-ipam: the holder record is too long");
		}
		strcpy(k->holder, s);
		free(s);
	}
	int rc = np_store_open(&cfg, &k->st, &e);
	if (rc < 0)
		return rc == -EINVAL ? cni_fail(ce, CNI_ERR_INVALID_CONFIG, "ipam etcd settings: %s", e.msg)
				     : store_fail(ce, &e);
	return 0;
}

static void cl_close(struct cl *k)
{
	np_store_close(k->st);
	k->st = NULL;
}

static int ip_key(const struct cl *k, const struct np_ip *ip, char *buf, size_t len, struct np_err *e)
{
	char a[NP_PREFIX_STRLEN];
	return np_store_key(buf, len, e, "ipam", k->net, "ip", np_ip_str(ip, a, sizeof(a)), NULL);
}

static int owner_key(const struct cl *k, const struct cni_env *env, const struct np_ip *ip, char *buf,
		     size_t len, struct np_err *e)
{
	char a[NP_PREFIX_STRLEN];
	return np_store_key(buf, len, e, "ipam", k->net, "owner", env->container_id, env->ifname,
			    ip ? np_ip_str(ip, a, sizeof(a)) : "", NULL);
}

/* The address at the end of a key ("/.../10.1.1.5"). */
static int key_ip(const char *key, struct np_ip *ip)
{
	const char *slash = strrchr(key, '/');
	struct np_err e = { 0 };
	return slash ? np_ip_parse(slash + 1, ip, &e) : -EINVAL;
}

/* Releases one address of the owner: the address key only while it holds
 * the owner's value, the owner key in any case. */
static int release_one(struct cl *k, const char *okey, const char *value, struct np_err *e)
{
	struct np_ip ip;
	char ikey[NP_STORE_KEY_MAX];
	if (key_ip(okey, &ip) < 0)
		return k->st->ops->del(k->st, okey, 0, e) < 0 ? -1 : 0;
	if (ip_key(k, &ip, ikey, sizeof(ikey), e) < 0)
		return -1;
	struct np_txn t = {
		.n_cmp = 1, .cmp = { { NP_CMP_VALUE, ikey, 0, value } },
		.n_ok = 2, .ok = { { NP_OP_DELETE, ikey, NULL, 0 }, { NP_OP_DELETE, okey, NULL, 0 } },
		.n_fail = 1, .fail = { { NP_OP_DELETE, okey, NULL, 0 } },
	};
	return k->st->ops->txn(k->st, &t, e) < 0 ? -1 : 0;
}

static int release_owner(struct cl *k, const struct cni_env *env, struct np_err *e)
{
	char prefix[NP_STORE_KEY_MAX];
	struct np_kv_list l = { 0 };
	if (owner_key(k, env, NULL, prefix, sizeof(prefix), e) < 0 ||
	    k->st->ops->list(k->st, prefix, false, &l, e) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < l.n && rc == 0; i++)
		rc = release_one(k, l.kv[i].key, l.kv[i].value, e);
	np_kv_list_free(&l);
	return rc;
}

/* ---- choosing an address ---------------------------------------------- */

struct taken {
	u128 *v;
	size_t n;
};

static int u128_cmp(const void *a, const void *b)
{
	u128 x = *(const u128 *)a, y = *(const u128 *)b;
	return (x > y) - (x < y);
}

static bool taken_has(const struct taken *t, u128 v)
{
	return t->n && bsearch(&v, t->v, t->n, sizeof(*t->v), u128_cmp);
}

/* The taken addresses of one family: one keys-only listing. */
static int taken_load(struct cl *k, int family, struct taken *t, struct np_err *e)
{
	char prefix[NP_STORE_KEY_MAX];
	struct np_kv_list l = { 0 };
	memset(t, 0, sizeof(*t));
	if (np_store_key(prefix, sizeof(prefix), e, "ipam", k->net, "ip", "", NULL) < 0 ||
	    k->st->ops->list(k->st, prefix, true, &l, e) < 0)
		return -1;
	if (l.n && !(t->v = calloc(l.n, sizeof(*t->v)))) {
		np_kv_list_free(&l);
		return np_errmsg(e, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < l.n; i++) {
		struct np_ip ip;
		if (key_ip(l.kv[i].key, &ip) == 0 && ip.family == family)
			t->v[t->n++] = ipam_ip_val(&ip);
	}
	np_kv_list_free(&l);
	if (t->n)
		qsort(t->v, t->n, sizeof(*t->v), u128_cmp);
	return 0;
}

/* Walk of a range set from after the cursor, every address once, jumping
 * over excluded blocks. */
struct walk {
	const struct ipam_range_set *set;
	int ri;
	u128 cur, left;
};

static void walk_init(struct walk *w, const struct ipam_range_set *set, const struct np_ip *last)
{
	w->set = set;
	w->ri = 0;
	w->cur = ipam_ip_val(&set->ranges[0].start);
	w->left = 0;
	for (int i = 0; i < set->n; i++) {
		const struct ipam_range *r = &set->ranges[i];
		w->left += ipam_ip_val(&r->end) - ipam_ip_val(&r->start) + 1;
		if (last && last->family == r->subnet.ip.family && ipam_ip_val(last) >= ipam_ip_val(&r->start) &&
		    ipam_ip_val(last) <= ipam_ip_val(&r->end)) {
			w->ri = i;
			w->cur = ipam_ip_val(last) + 1;
		}
	}
}

/* The next address that is not the gateway, excluded or taken. */
static bool walk_next(struct walk *w, const struct taken *t, struct np_ip *ip, const struct ipam_range **rp)
{
	while (w->left > 0) {
		const struct ipam_range *r = &w->set->ranges[w->ri];
		if (w->cur > ipam_ip_val(&r->end) || w->cur < ipam_ip_val(&r->start)) {
			w->ri = (w->ri + 1) % w->set->n;
			r = &w->set->ranges[w->ri];
			w->cur = ipam_ip_val(&r->start);
		}
		int fam = r->subnet.ip.family;
		u128 v = w->cur;
		bool skip = false;
		for (int x = 0; x < r->n_exclude && !skip; x++) {
			const struct np_prefix *ex = &r->exclude[x];
			if (ex->ip.family != fam)
				continue;
			u128 m = ipam_host_mask(ex), base = ipam_ip_val(&ex->ip) & ~m;
			if (v >= base && v <= (base | m)) {
				/* jump to the end of the block (or of the range) */
				u128 end = (base | m) < ipam_ip_val(&r->end) ? (base | m) : ipam_ip_val(&r->end);
				u128 n = end - v + 1;
				w->left = n < w->left ? w->left - n : 0;
				w->cur = end + 1;
				skip = true;
			}
		}
		if (skip)
			continue;
		w->left--;
		w->cur++;
		ipam_ip_set(ip, fam, v);
		if ((r->has_gateway && np_ip_equal(ip, &r->gateway)) || taken_has(t, v))
			continue;
		*rp = r;
		return true;
	}
	return false;
}

/* One transaction: the address created for the owner, its owner key and
 * the cursor. 1: ours now; 0: someone was faster. */
static int try_take(struct cl *k, const struct cni_env *env, int set, const struct np_ip *ip,
		    struct np_err *e)
{
	char ikey[NP_STORE_KEY_MAX], okey[NP_STORE_KEY_MAX], ckey[NP_STORE_KEY_MAX], sidx[16], a[NP_PREFIX_STRLEN];
	snprintf(sidx, sizeof(sidx), "%d", set);
	if (ip_key(k, ip, ikey, sizeof(ikey), e) < 0 || owner_key(k, env, ip, okey, sizeof(okey), e) < 0 ||
	    np_store_key(ckey, sizeof(ckey), e, "ipam", k->net, "cursor", sidx, NULL) < 0)
		return -1;
	struct np_txn t = {
		.n_cmp = 1, .cmp = { { NP_CMP_ABSENT, ikey, 0, NULL } },
		.n_ok = set >= 0 ? 3 : 2,
		.ok = { { NP_OP_PUT, ikey, k->holder, 0 }, { NP_OP_PUT, okey, k->holder, 0 },
			{ NP_OP_PUT, ckey, np_ip_str(ip, a, sizeof(a)), 0 } },
	};
	int rc = k->st->ops->txn(k->st, &t, e);
	if (rc != 0 || !k->st->uncertain)
		return rc;
	/* A request that timed out on one member may have been applied before
	 * the client tried the next one: the address is ours if it holds our
	 * value (the owner key came with it). */
	struct np_kv kv = { 0 };
	rc = k->st->ops->get(k->st, ikey, &kv, e);
	if (rc == 1)
		rc = !strcmp(kv.value, k->holder);
	np_kv_free(&kv);
	return rc;
}

static int pick_free(struct cl *k, const struct cni_env *env, int s, struct np_ip *out,
		     const struct ipam_range **rp, struct cni_error *ce)
{
	const struct ipam_range_set *set = &k->lc.sets[s];
	struct np_err e = { 0 };
	char ckey[NP_STORE_KEY_MAX], sidx[16], buf[NP_PREFIX_STRLEN];
	struct np_kv cur = { 0 };
	struct np_ip last;
	bool has_last = false;
	snprintf(sidx, sizeof(sidx), "%d", s);
	if (np_store_key(ckey, sizeof(ckey), &e, "ipam", k->net, "cursor", sidx, NULL) < 0)
		return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	int rc = k->st->ops->get(k->st, ckey, &cur, &e);
	if (rc < 0)
		return store_fail(ce, &e);
	if (rc == 1)
		has_last = np_ip_parse(cur.value, &last, &e) == 0;
	np_kv_free(&cur);
	np_err_clear(&e);
	/* Candidates: the first free addresses after the cursor, from one
	 * listing. Each try takes one of them at a place given by the owner
	 * (then at random), so that ADDs racing from the same cursor
	 * mostly try different addresses; a lost race drops the candidate, and
	 * an empty list is refilled from a new listing. */
	struct cand { struct np_ip ip; const struct ipam_range *r; } cand[IPAM_CLUSTER_CANDIDATES];
	unsigned seed = 2166136261u;
	for (const char *p = k->holder; *p; p++)
		seed = (seed ^ (unsigned char)*p) * 16777619u;
	int txns = 0, n = 0, listings = 0;
	bool exhausted = false;
	rc = -1;
	while (txns < IPAM_CLUSTER_MAX_TXN) {
		if (n == 0) {
			struct taken t;
			if (listings++ == IPAM_CLUSTER_MAX_LISTINGS)
				break;
			if (taken_load(k, set->ranges[0].subnet.ip.family, &t, &e) < 0)
				return store_fail(ce, &e);
			struct walk w;
			walk_init(&w, set, has_last ? &last : NULL);
			while (n < IPAM_CLUSTER_CANDIDATES && walk_next(&w, &t, &cand[n].ip, &cand[n].r))
				n++;
			free(t.v);
			if (n == 0) {
				exhausted = true;
				break;
			}
		}
		int pick = (int)(rand_r(&seed) % (unsigned)n);
		txns++;
		int got = try_take(k, env, s, &cand[pick].ip, &e);
		if (got < 0)
			return store_fail(ce, &e);
		if (got) {
			*out = cand[pick].ip;
			*rp = cand[pick].r;
			return 0;
		}
		memmove(&cand[pick], &cand[pick + 1], (size_t)(n - pick - 1) * sizeof(cand[0]));
		n--;
	}
	if (!exhausted)
		return cni_fail(ce, CNI_ERR_TRY_LATER,
				"mignet-ipam (etcd): range %s of network %s: the %d addresses this ADD tried were taken by others meanwhile; try again",
				np_prefix_str(&set->ranges[0].subnet, buf, sizeof(buf)), k->net, txns);
	return cni_fail(ce, CNI_ERR_INTERNAL,
			"mignet-ipam (etcd): no free address in range %s of network %s (every address from %s is allocated or excluded)",
			np_prefix_str(&set->ranges[0].subnet, buf, sizeof(buf)), k->net,
			np_ip_str(&set->ranges[0].start, (char[NP_PREFIX_STRLEN]){ 0 }, NP_PREFIX_STRLEN));
}

/* A requested address (runtimeConfig ips, CNI_ARGS IP, a vif-cache record):
 * created for the owner, or already the owner's. */
static int take_requested(struct cl *k, const struct cni_env *env, const struct np_ip *ip,
			  struct cni_error *ce)
{
	struct np_err e = { 0 };
	char buf[NP_PREFIX_STRLEN], ikey[NP_STORE_KEY_MAX];
	int got = try_take(k, env, -1, ip, &e);
	if (got < 0)
		return store_fail(ce, &e);
	if (got)
		return 0;
	struct np_kv kv = { 0 };
	if (ip_key(k, ip, ikey, sizeof(ikey), &e) < 0 || (got = k->st->ops->get(k->st, ikey, &kv, &e)) < 0)
		return store_fail(ce, &e);
	bool ours = got == 1 && !strcmp(kv.value, k->holder);
	np_kv_free(&kv);
	if (!ours)
		return cni_fail(ce, CNI_ERR_INTERNAL, "mignet-ipam (etcd): requested IP %s is already allocated to another container",
				np_ip_str(ip, buf, sizeof(buf)));
	return 0;
}

int ipam_cluster_add(const struct cni_conf *c, const struct cni_env *env, struct cni_result *out,
		     struct cni_error *ce)
{
	struct cl *k = calloc(1, sizeof(*k));
	cni_result_init(out);
	if (!k)
		return cni_fail(ce, CNI_ERR_INTERNAL, "out of memory");
	if (cl_open(c, env, k, ce) < 0) {
		cl_close(k);
		free(k);
		return -1;
	}
	struct np_err e = { 0 };
	char prefix[NP_STORE_KEY_MAX], buf[NP_PREFIX_STRLEN];
	struct np_kv_list held = { 0 };
	bool done[IPAM_MAX_SETS] = { false };
	int rc = 0;
	/* a retried ADD keeps what it holds */
	if (owner_key(k, env, NULL, prefix, sizeof(prefix), &e) < 0 ||
	    k->st->ops->list(k->st, prefix, true, &held, &e) < 0) {
		rc = store_fail(ce, &e);
		goto out;
	}
	for (size_t i = 0; i < held.n; i++) {
		struct np_ip ip;
		if (key_ip(held.kv[i].key, &ip) < 0)
			continue;
		for (int s = 0; s < k->lc.n_sets; s++) {
			const struct ipam_range *r = ipam_range_of(&k->lc.sets[s], &ip);
			if (r && !done[s]) {
				done[s] = true;
				ipam_fill_ip(&out->ips[out->n_ips++], r, &ip);
				break;
			}
		}
	}
	for (int i = 0; i < c->n_ips && rc == 0; i++) {
		const struct np_ip *ip = &c->ips[i].ip;
		int s;
		const struct ipam_range *r = NULL;
		for (s = 0; s < k->lc.n_sets && !r; s++)
			r = ipam_range_of(&k->lc.sets[s], ip);
		s--;
		if (!r) {
			rc = cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s: requested IP %s is not in any configured range",
				      c->ips_source ? c->ips_source : "request", np_ip_str(ip, buf, sizeof(buf)));
			break;
		}
		if (done[s])
			continue;
		if ((rc = take_requested(k, env, ip, ce)) == 0) {
			done[s] = true;
			ipam_fill_ip(&out->ips[out->n_ips++], r, ip);
		}
	}
	for (int s = 0; s < k->lc.n_sets && rc == 0; s++) {
		if (done[s])
			continue;
		struct np_ip ip = { 0 };
		const struct ipam_range *r = NULL;
		if ((rc = pick_free(k, env, s, &ip, &r, ce)) == 0) {
			done[s] = true;
			ipam_fill_ip(&out->ips[out->n_ips++], r, &ip);
		}
	}
	for (int i = 0; rc == 0 && i < k->lc.n_routes; i++)
		out->routes[out->n_routes++] = k->lc.routes[i];
	if (rc < 0) {
		/* nothing half-allocated stays (when the store still answers) */
		np_err_clear(&e);
		release_owner(k, env, &e);
		out->n_ips = out->n_routes = 0;
	}
out:
	np_kv_list_free(&held);
	cl_close(k);
	free(k);
	return rc < 0 ? -1 : 0;
}

int ipam_cluster_del(const struct cni_conf *c, const struct cni_env *env, struct cni_error *ce)
{
	struct cl *k = calloc(1, sizeof(*k));
	if (!k)
		return cni_fail(ce, CNI_ERR_INTERNAL, "out of memory");
	int rc = cl_open(c, env, k, ce);
	struct np_err e = { 0 };
	if (rc == 0 && release_owner(k, env, &e) < 0)
		rc = store_fail(ce, &e);
	cl_close(k);
	free(k);
	return rc < 0 ? -1 : 0;
}

int ipam_cluster_check(const struct cni_conf *c, const struct cni_env *env, struct cni_error *ce)
{
	struct cl *k = calloc(1, sizeof(*k));
	if (!k)
		return cni_fail(ce, CNI_ERR_INTERNAL, "out of memory");
	int rc = cl_open(c, env, k, ce);
	struct np_err e = { 0 };
	char prefix[NP_STORE_KEY_MAX];
	struct np_kv_list l = { 0 };
	if (rc == 0 && (owner_key(k, env, NULL, prefix, sizeof(prefix), &e) < 0 ||
			k->st->ops->list(k->st, prefix, true, &l, &e) < 0))
		rc = store_fail(ce, &e);
	if (rc == 0 && l.n == 0)
		rc = cni_fail(ce, CNI_ERR_INTERNAL, "mignet-ipam (etcd): no address for container %s interface %s in network %s",
			      env->container_id, env->ifname, c->name);
	np_kv_list_free(&l);
	cl_close(k);
	free(k);
	return rc < 0 ? -1 : 0;
}

int ipam_cluster_status(const struct cni_conf *c, struct cni_error *ce)
{
	struct cl *k = calloc(1, sizeof(*k));
	if (!k)
		return cni_fail(ce, CNI_ERR_INTERNAL, "out of memory");
	int rc = cl_open(c, NULL, k, ce);
	struct np_err e = { 0 };
	char key[NP_STORE_KEY_MAX];
	struct np_kv kv = { 0 };
	if (rc == 0 && (np_store_key(key, sizeof(key), &e, "ipam", k->net, "cursor", "0", NULL) < 0 ||
			k->st->ops->get(k->st, key, &kv, &e) < 0))
		rc = cni_fail(ce, CNI_ERR_NOT_AVAILABLE, "mignet-ipam (etcd) store unusable: %s", e.msg);
	np_kv_free(&kv);
	cl_close(k);
	free(k);
	return rc < 0 ? -1 : 0;
}

/* GC: this node's owners (by the holder's node) missing from the valid
 * list are released; other nodes' are never touched. */
int ipam_cluster_gc(const struct cni_conf *c, struct cni_error *ce)
{
	const char *key = "cni.dev/valid-attachments";
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(c->root, key), *a;
	if (!list)
		list = cJSON_GetObjectItemCaseSensitive(c->root, key = "cni.dev/attachments");
	if (!cJSON_IsArray(list))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG,
				"GC: \"cni.dev/valid-attachments\" must be a list of {\"containerID\", \"ifname\"} objects");
	cJSON_ArrayForEach(a, list) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(a, "containerID");
		const cJSON *ifn = cJSON_GetObjectItemCaseSensitive(a, "ifname");
		if (!cJSON_IsObject(a) || !cJSON_IsString(id) || !cJSON_IsString(ifn))
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG,
					"GC: every entry of \"%s\" must be an object with string \"containerID\" and \"ifname\"", key);
	}
	struct cl *k = calloc(1, sizeof(*k));
	if (!k)
		return cni_fail(ce, CNI_ERR_INTERNAL, "out of memory");
	int rc = cl_open(c, NULL, k, ce);
	struct np_err e = { 0 };
	char prefix[NP_STORE_KEY_MAX], node[256] = "";
	struct np_kv_list l = { 0 };
	gethostname(node, sizeof(node) - 1);
	if (rc == 0 && (np_store_key(prefix, sizeof(prefix), &e, "ipam", k->net, "owner", "", NULL) < 0 ||
			k->st->ops->list(k->st, prefix, false, &l, &e) < 0))
		rc = store_fail(ce, &e);
	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		cJSON *h = cJSON_Parse(l.kv[i].value);
		const cJSON *hid = cJSON_GetObjectItemCaseSensitive(h, "containerID");
		const cJSON *hif = cJSON_GetObjectItemCaseSensitive(h, "ifname");
		const cJSON *hn = cJSON_GetObjectItemCaseSensitive(h, "node");
		bool mine = cJSON_IsString(hn) && !strcmp(hn->valuestring, node);
		bool valid = !cJSON_IsString(hid) || !cJSON_IsString(hif);
		cJSON_ArrayForEach(a, list) {
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(a, "containerID");
			const cJSON *ifn = cJSON_GetObjectItemCaseSensitive(a, "ifname");
			if (!valid && !strcmp(id->valuestring, hid->valuestring) && !strcmp(ifn->valuestring, hif->valuestring))
				valid = true;
		}
		if (mine && !valid && release_one(k, l.kv[i].key, l.kv[i].value, &e) < 0)
			rc = store_fail(ce, &e);
		cJSON_Delete(h);
	}
	np_kv_list_free(&l);
	cl_close(k);
	free(k);
	return rc < 0 ? -1 : 0;
}
