/* The cluster store's embedded default: local files, for one node. Every
 * key is one file in the root directory, named by the key with '%' and '/'
 * escaped (%25, %2F), holding "<create_rev> <mod_rev>\n<value>". A
 * revision counter (.rev) and flock on .lock make each operation, a
 * transaction included, atomic against the other processes of the node.
 * Files are replaced with np_atomic_write, never written in place, and
 * read through np_open_state. Leases need a cluster: not supported. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "atomic_file.h"
#include "store.h"

struct local {
	struct np_store base;
	int dirfd, lockfd;
	char path[4096];
};

#define L(x) ((struct local *)(x))

static int fname(const char *key, char *buf, size_t len, struct np_err *e)
{
	size_t o = 0;
	for (const char *p = key; *p; p++) {
		const char *rep = *p == '/' ? "%2F" : *p == '%' ? "%25" : NULL;
		size_t n = rep ? 3 : 1;
		if (o + n >= len || o + n > 255)
			return np_errmsg(e, -ENAMETOOLONG, "local store: key %s is too long for a file name", key);
		if (rep)
			memcpy(buf + o, rep, 3);
		else
			buf[o] = *p;
		o += n;
	}
	buf[o] = 0;
	return 0;
}

static int unname(const char *f, char *key, size_t len)
{
	size_t o = 0;
	for (const char *p = f; *p; p++) {
		if (o + 1 >= len)
			return -1;
		if (!strncmp(p, "%2F", 3)) {
			key[o++] = '/';
			p += 2;
		} else if (!strncmp(p, "%25", 3)) {
			key[o++] = '%';
			p += 2;
		} else {
			key[o++] = *p;
		}
	}
	key[o] = 0;
	return 0;
}

static int lock(struct local *s, struct np_err *e)
{
	return flock(s->lockfd, LOCK_EX) < 0 ? np_errf(e, -errno, "local store %s: lock", s->path) : 0;
}

static void unlock(struct local *s)
{
	flock(s->lockfd, LOCK_UN);
}

/* 1 and kv, 0 absent */
static int read_kv(struct local *s, const char *key, struct np_kv *kv, struct np_err *e)
{
	char f[300], *data = NULL;
	size_t len;
	memset(kv, 0, sizeof(*kv));
	int rc = fname(key, f, sizeof(f), e);
	if (rc < 0)
		return rc;
	rc = np_file_read(s->dirfd, f, NP_STORE_VALUE_MAX + 64, &data, &len, e);
	if (rc == -ENOENT) {
		np_err_clear(e);
		return 0;
	}
	if (rc < 0)
		return rc;
	char *nl = memchr(data, '\n', len);
	long long c, m;
	if (!nl || sscanf(data, "%lld %lld", &c, &m) != 2) {
		free(data);
		return np_errmsg(e, -EBADMSG, "local store %s: file %s is not a store entry", s->path, f);
	}
	kv->key = strdup(key);
	kv->value_len = len - (size_t)(nl + 1 - data);
	kv->value = malloc(kv->value_len + 1);
	if (!kv->key || !kv->value) {
		free(data);
		np_kv_free(kv);
		return np_errmsg(e, -ENOMEM, "local store: out of memory");
	}
	memcpy(kv->value, nl + 1, kv->value_len);
	kv->value[kv->value_len] = 0;
	kv->create_rev = c;
	kv->mod_rev = m;
	free(data);
	return 1;
}

static int next_rev(struct local *s, int64_t *rev, struct np_err *e)
{
	char buf[32];
	size_t len;
	long long r = 0;
	int rc = np_file_read_into(s->dirfd, ".rev", buf, sizeof(buf), &len, e);
	if (rc == -ENOENT)
		np_err_clear(e);
	else if (rc < 0)
		return rc;
	else
		r = atoll(buf);
	r++;
	int n = snprintf(buf, sizeof(buf), "%lld\n", r);
	rc = np_atomic_write(s->dirfd, ".rev", buf, (size_t)n, 0600, 0, e);
	*rev = r;
	return rc;
}

static int write_kv(struct local *s, const char *key, const char *value, int64_t create_rev,
		    int64_t rev, struct np_err *e)
{
	char f[300];
	int rc = fname(key, f, sizeof(f), e);
	if (rc < 0)
		return rc;
	size_t vlen = strlen(value);
	if (vlen > NP_STORE_VALUE_MAX)
		return np_errmsg(e, -EFBIG, "local store: value of %s is too large", key);
	char *buf = malloc(vlen + 64);
	if (!buf)
		return np_errmsg(e, -ENOMEM, "local store: out of memory");
	int n = snprintf(buf, 64, "%" PRId64 " %" PRId64 "\n", create_rev ? create_rev : rev, rev);
	memcpy(buf + n, value, vlen);
	rc = np_atomic_write(s->dirfd, f, buf, (size_t)n + vlen, 0600, 0, e);
	free(buf);
	return rc;
}

static int del_kv(struct local *s, const char *key, struct np_err *e)
{
	char f[300];
	int rc = fname(key, f, sizeof(f), e);
	if (rc < 0)
		return rc;
	if (unlinkat(s->dirfd, f, 0) < 0)
		return errno == ENOENT ? 0 : np_errf(e, -errno, "local store %s: remove %s", s->path, f);
	return 1;
}

static int apply(struct local *s, const struct np_op *ops, int n, int64_t rev, struct np_err *e)
{
	for (int i = 0; i < n; i++) {
		int rc;
		if (ops[i].kind == NP_OP_DELETE) {
			rc = del_kv(s, ops[i].key, e);
		} else {
			if (ops[i].lease)
				return np_errmsg(e, -EOPNOTSUPP, "local store: leases need the etcd store");
			struct np_kv old;
			rc = read_kv(s, ops[i].key, &old, e);
			if (rc >= 0)
				rc = write_kv(s, ops[i].key, ops[i].value, rc ? old.create_rev : 0, rev, e);
			np_kv_free(&old);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int l_txn_locked(struct local *s, const struct np_txn *t, struct np_err *e)
{
	bool held = true;
	for (int i = 0; i < t->n_cmp && held; i++) {
		struct np_kv kv;
		int rc = read_kv(s, t->cmp[i].key, &kv, e);
		if (rc < 0)
			return rc;
		switch (t->cmp[i].kind) {
		case NP_CMP_ABSENT:
			held = rc == 0;
			break;
		case NP_CMP_MOD_REV:
			held = rc == 1 && kv.mod_rev == t->cmp[i].rev;
			break;
		case NP_CMP_VALUE:
			held = rc == 1 && !strcmp(kv.value, t->cmp[i].value);
			break;
		}
		np_kv_free(&kv);
	}
	const struct np_op *ops = held ? t->ok : t->fail;
	int n = held ? t->n_ok : t->n_fail;
	int64_t rev = 0;
	if (n) {
		int rc = next_rev(s, &rev, e);
		if (rc < 0 || (rc = apply(s, ops, n, rev, e)) < 0)
			return rc;
	}
	return held;
}

static int l_txn(struct np_store *st, const struct np_txn *t, struct np_err *e)
{
	struct local *s = L(st);
	int rc = lock(s, e);
	if (rc < 0)
		return rc;
	rc = l_txn_locked(s, t, e);
	unlock(s);
	return rc;
}

static int l_get(struct np_store *st, const char *key, struct np_kv *out, struct np_err *e)
{
	struct local *s = L(st);
	int rc = lock(s, e);
	if (rc < 0)
		return rc;
	rc = read_kv(s, key, out, e);
	unlock(s);
	return rc;
}

static int l_put(struct np_store *st, const char *key, const char *value, int64_t lease,
		 struct np_err *e)
{
	struct np_txn t = { .n_ok = 1, .ok = { { NP_OP_PUT, key, value, lease } } };
	int rc = l_txn(st, &t, e);
	return rc < 0 ? rc : 0;
}

static int l_create(struct np_store *st, const char *key, const char *value, int64_t lease,
		    struct np_err *e)
{
	struct np_txn t = { .n_cmp = 1, .cmp = { { NP_CMP_ABSENT, key, 0, NULL } },
			    .n_ok = 1, .ok = { { NP_OP_PUT, key, value, lease } } };
	return l_txn(st, &t, e);
}

static int l_del(struct np_store *st, const char *key, int64_t mod_rev, struct np_err *e)
{
	struct local *s = L(st);
	int rc = lock(s, e);
	if (rc < 0)
		return rc;
	struct np_kv kv;
	rc = read_kv(s, key, &kv, e);
	if (rc == 1 && (!mod_rev || kv.mod_rev == mod_rev))
		rc = del_kv(s, key, e);
	else if (rc == 1)
		rc = 0;
	np_kv_free(&kv);
	unlock(s);
	return rc;
}

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct np_kv *)a)->key, ((const struct np_kv *)b)->key);
}

static int l_list(struct np_store *st, const char *prefix, bool keys_only, struct np_kv_list *out,
		  struct np_err *e)
{
	struct local *s = L(st);
	memset(out, 0, sizeof(*out));
	int rc = lock(s, e);
	if (rc < 0)
		return rc;
	int fd = openat(s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		rc = np_errf(e, -errno, "local store %s: list", s->path);
		if (fd >= 0)
			close(fd);
		unlock(s);
		return rc;
	}
	size_t cap = 0, plen = strlen(prefix);
	struct dirent *de;
	char key[NP_STORE_KEY_MAX];
	while (rc >= 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.' || unname(de->d_name, key, sizeof(key)) < 0 || strncmp(key, prefix, plen))
			continue;
		if (out->n == cap) {
			cap = cap ? cap * 2 : 64;
			struct np_kv *n = realloc(out->kv, cap * sizeof(*n));
			if (!n) {
				rc = np_errmsg(e, -ENOMEM, "local store: out of memory");
				break;
			}
			out->kv = n;
		}
		rc = read_kv(s, key, &out->kv[out->n], e);
		if (rc == 1) {
			if (keys_only) {
				free(out->kv[out->n].value);
				out->kv[out->n].value = strdup("");
				out->kv[out->n].value_len = 0;
			}
			out->n++;
		}
	}
	closedir(d);
	unlock(s);
	if (rc < 0) {
		np_kv_list_free(out);
		return rc;
	}
	if (out->n)
		qsort(out->kv, out->n, sizeof(*out->kv), kv_cmp);
	return 0;
}

static int l_no_lease(struct local *s, struct np_err *e)
{
	return np_errmsg(e, -EOPNOTSUPP, "local store %s: leases need the etcd store (datastore \"etcd\")", s->path);
}

static int l_lease_grant(struct np_store *st, int64_t ttl, int64_t *id, struct np_err *e)
{
	(void)ttl;
	*id = 0;
	return l_no_lease(L(st), e);
}

static int l_lease_keepalive(struct np_store *st, int64_t id, int64_t *ttl, struct np_err *e)
{
	(void)id;
	*ttl = 0;
	return l_no_lease(L(st), e);
}

static int l_lease_revoke(struct np_store *st, int64_t id, struct np_err *e)
{
	(void)id;
	return l_no_lease(L(st), e);
}

static void l_close(struct np_store *st)
{
	struct local *s = L(st);
	if (s->lockfd >= 0)
		close(s->lockfd);
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s);
}

static const struct np_store_ops local_ops = {
	.kind = "local",
	.get = l_get,
	.put = l_put,
	.create = l_create,
	.del = l_del,
	.list = l_list,
	.txn = l_txn,
	.lease_grant = l_lease_grant,
	.lease_keepalive = l_lease_keepalive,
	.lease_revoke = l_lease_revoke,
	.close = l_close,
};

int np_store_open_local(const struct np_store_cfg *cfg, struct np_store **out, struct np_err *e)
{
	*out = NULL;
	if (!cfg->dir || cfg->dir[0] != '/')
		return np_errmsg(e, -EINVAL, "local store: the directory must be an absolute path");
	struct local *s = calloc(1, sizeof(*s));
	if (!s)
		return np_errmsg(e, -ENOMEM, "local store: out of memory");
	s->base.ops = &local_ops;
	s->lockfd = -1;
	snprintf(s->path, sizeof(s->path), "%s", cfg->dir);
	s->dirfd = np_dir_open_chain(cfg->dir, e);
	if (s->dirfd < 0) {
		int rc = s->dirfd;
		free(s);
		return rc;
	}
	s->lockfd = np_open_state(s->dirfd, ".lock", O_RDWR | O_CREAT, 0600, NULL, e);
	if (s->lockfd < 0) {
		int rc = s->lockfd;
		l_close(&s->base);
		return rc;
	}
	*out = &s->base;
	return 0;
}
