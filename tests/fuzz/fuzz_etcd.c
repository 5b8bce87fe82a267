/* What comes back from an etcd member, or from whatever answers at its
 * address: range, txn, lease and error bodies, and the endpoint lists of
 * a node file. Never crash, refusals are one line, and what a range
 * answer yields is what base64 decoding gave. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "etcd_proto.h"

static void one_line(const struct np_err *e)
{
	size_t n = strnlen(e->msg, sizeof(e->msg));
	if (n == 0 || n >= sizeof(e->msg) || memchr(e->msg, '\n', n))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = malloc(size + 1);
	if (!body)
		return 0;
	memcpy(body, data, size);
	body[size] = '\0';
	struct np_err e = { 0 };
	struct np_kv_list l = { 0 };
	if (np_etcd_parse_range(body, &l, &e) < 0)
		one_line(&e);
	for (size_t i = 0; i < l.n; i++) {
		if (!l.kv[i].key)
			abort();
		free(l.kv[i].key);
		free(l.kv[i].value);
	}
	free(l.kv);
	np_err_clear(&e);
	if (np_etcd_parse_txn(body, &e) < 0)
		one_line(&e);
	np_err_clear(&e);
	int64_t id, ttl;
	if (np_etcd_parse_lease(body, &id, &ttl, &e) < 0)
		one_line(&e);
	int code;
	char msg[256];
	if (np_etcd_parse_error(body, &code, msg, sizeof(msg)) == 1 && strnlen(msg, sizeof(msg)) == sizeof(msg))
		abort();
	struct np_endpoints *ep = malloc(sizeof(*ep));
	np_err_clear(&e);
	if (ep && np_etcd_parse_endpoints(body, size & 1, ep, &e) < 0)
		one_line(&e);
	free(ep);
	char *raw = NULL;
	size_t len = 0;
	if (np_b64_decode(body, &raw, &len) == 0) {
		char *again = np_b64_encode(raw, len);
		if (again && strcmp(again, body))
			abort(); /* strict base64 reads one text one way */
		free(again);
	}
	free(raw);
	free(body);
	return 0;
}
