/* The pure parts of the etcd v3 JSON gateway client, unit-tested without a
 * network: endpoint lists, base64, request bodies and answers. */
#ifndef MIGNET_ETCD_PROTO_H
#define MIGNET_ETCD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define NP_ENDPOINT_MAX 300

struct np_endpoints {
	int n;
	char url[NP_STORE_MAX_ENDPOINTS][NP_ENDPOINT_MAX]; /* "scheme://host:port" */
};

/* "http(s)://host:port" or "host:port" (whereabouts' etcd_host form; the
 * scheme is https when tls), comma-separated, spaces around commas allowed.
 * host: an IPv4 address, a [bracketed] IPv6 address or a DNS name. No
 * path, user info, query or empty entry. */
int np_etcd_parse_endpoints(const char *list, bool tls, struct np_endpoints *out,
			    struct np_err *e);

/* Standard base64 with padding; a new NUL-terminated string. */
char *np_b64_encode(const void *data, size_t len);
/* Strict: padding required, no whitespace; -EINVAL otherwise. *out is a
 * new NUL-terminated buffer of *len bytes. */
int np_b64_decode(const char *s, char **out, size_t *len);

/* Request bodies (new strings, NULL on out of memory). */
char *np_etcd_range_req(const char *key, bool prefix, bool keys_only);
char *np_etcd_txn_req(const struct np_txn *t);
char *np_etcd_delete_req(const char *key);

/* Answers. An answer that is not what the gateway sends is -EBADMSG. */
int np_etcd_parse_range(const char *body, struct np_kv_list *out, struct np_err *e);
/* 1 when "succeeded" is true, 0 when absent or false */
int np_etcd_parse_txn(const char *body, struct np_err *e);
int np_etcd_parse_lease(const char *body, int64_t *id, int64_t *ttl, struct np_err *e);
/* 1 and *code, msg when body is the gateway's error object
 * {"error","code","message"}; 0 when it is not one. */
int np_etcd_parse_error(const char *body, int *code, char *msg, size_t len);
/* gRPC codes the client retries on another endpoint (Unavailable,
 * DeadlineExceeded, and the etcdserver errors of a cluster without leader) */
bool np_etcd_retryable(int code, const char *msg);

#endif
