/* The cluster store: state that spans nodes (addresses, records,
 * inventories) behind one small table of operations, with two backends:
 * local files under a directory (the embedded default) and etcd v3
 * through its JSON gateway (store_etcd.c).
 *
 * Every operation returns 0 (or 1/0 where it says so) or a negative errno
 * with e naming the store, the key and what to do. -EAGAIN means the
 * store did not answer in time or has no quorum: try again later (CNI code
 * 11); it is never returned for an answer the store did give. Keys are
 * built by np_store_key from validated components only. */
#ifndef MIGNET_STORE_H
#define MIGNET_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define NP_STORE_KEY_MAX 512
#define NP_STORE_VALUE_MAX (1u << 20)
#define NP_STORE_MAX_ENDPOINTS 16
#define NP_STORE_ROOT "/mignet/"

struct np_kv {
	char *key;
	char *value;          /* NUL-terminated; value_len bytes */
	size_t value_len;
	int64_t create_rev, mod_rev, lease;
};

struct np_kv_list {
	struct np_kv *kv;
	size_t n;
};

void np_kv_free(struct np_kv *kv);
void np_kv_list_free(struct np_kv_list *l);

/* A transaction: if every compare holds, the success ops run, else the
 * failure ops; all of it or none. */
enum np_cmp_kind {
	NP_CMP_ABSENT,     /* create_revision == 0 */
	NP_CMP_MOD_REV,    /* mod_revision == rev */
	NP_CMP_VALUE,      /* value == value */
};
struct np_cmp {
	enum np_cmp_kind kind;
	const char *key;
	int64_t rev;
	const char *value;
};
enum np_op_kind { NP_OP_PUT, NP_OP_DELETE };
struct np_op {
	enum np_op_kind kind;
	const char *key;
	const char *value;   /* PUT */
	int64_t lease;       /* PUT: 0 none */
};
#define NP_TXN_MAX 16
struct np_txn {
	int n_cmp, n_ok, n_fail;
	struct np_cmp cmp[NP_TXN_MAX];
	struct np_op ok[NP_TXN_MAX];
	struct np_op fail[NP_TXN_MAX];
};

struct np_store;

struct np_store_ops {
	const char *kind;
	/* 1 and *out filled, or 0 when absent */
	int (*get)(struct np_store *s, const char *key, struct np_kv *out, struct np_err *e);
	int (*put)(struct np_store *s, const char *key, const char *value, int64_t lease,
		   struct np_err *e);
	/* 1: created; 0: the key existed (nothing written) */
	int (*create)(struct np_store *s, const char *key, const char *value, int64_t lease,
		      struct np_err *e);
	/* 1: deleted; 0: absent, or mod_rev (when not 0) did not match */
	int (*del)(struct np_store *s, const char *key, int64_t mod_rev, struct np_err *e);
	/* every key under prefix, sorted; values too unless keys_only */
	int (*list)(struct np_store *s, const char *prefix, bool keys_only,
		    struct np_kv_list *out, struct np_err *e);
	/* 1: the compares held (success ops ran); 0: failure ops ran */
	int (*txn)(struct np_store *s, const struct np_txn *t, struct np_err *e);
	int (*lease_grant)(struct np_store *s, int64_t ttl_s, int64_t *id, struct np_err *e);
	/* the TTL left (>0), or -ENOENT when the lease expired */
	int (*lease_keepalive)(struct np_store *s, int64_t id, int64_t *ttl, struct np_err *e);
	int (*lease_revoke)(struct np_store *s, int64_t id, struct np_err *e);
	void (*close)(struct np_store *s);
};

struct np_store {
	const struct np_store_ops *ops;
	/* the last operation was sent again after an attempt whose fate is
	 * unknown (a timeout after sending): a compare that failed may have
	 * failed on that attempt's own write */
	bool uncertain;
};

/* What a store is opened with. Timeouts in ms; 0 takes the default. */
struct np_store_cfg {
	const char *kind;          /* "etcd" or "local" (NULL: local) */
	const char *dir;           /* local: the root directory */
	const char *endpoints;     /* etcd: "http(s)://host:port,..." or "host:port,..." */
	const char *username, *password;
	const char *ca_file, *cert_file, *key_file;
	unsigned connect_timeout_ms;  /* one connection attempt (default 1000) */
	unsigned request_timeout_ms;  /* one request to one endpoint (default 2000) */
	unsigned budget_ms;           /* everything until close (default 5000) */
};

#define NP_STORE_CONNECT_MS 1000
#define NP_STORE_REQUEST_MS 2000
#define NP_STORE_BUDGET_MS 5000

int np_store_open(const struct np_store_cfg *cfg, struct np_store **out, struct np_err *e);
static inline void np_store_close(struct np_store *s)
{
	if (s)
		s->ops->close(s);
}

int np_store_open_local(const struct np_store_cfg *cfg, struct np_store **out, struct np_err *e);
int np_store_open_etcd(const struct np_store_cfg *cfg, struct np_store **out, struct np_err *e);

/* One key component: 1..253 printable ASCII bytes, no '/', no space, not
 * "." or "..". what names it in the message. */
int np_store_valid_component(const char *s, const char *what, struct np_err *e);
/* NP_STORE_ROOT followed by the components joined with '/', each checked;
 * the list ends with NULL. A trailing "" component leaves a trailing '/'
 * (a prefix for list). */
int np_store_key(char *buf, size_t len, struct np_err *e, ...) __attribute__((sentinel));

#endif
