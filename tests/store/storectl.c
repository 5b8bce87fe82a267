/* The cluster store's operations from the command line, for the suites:
 *   storectl [options] get KEY | put KEY VALUE [LEASE] | create KEY VALUE
 *            | del KEY [MOD_REV] | list PREFIX | grant TTL | keepalive ID
 *            | revoke ID
 * options: --kind etcd|local, --dir DIR, --endpoints LIST, --ca F,
 *          --cert F, --key F, --user U, --password P, --budget MS
 * Exit: 0 done, 3 absent / compare failed, 2 -EAGAIN (unreachable, no
 * quorum), 4 -EACCES (TLS or auth refused), 1 any other error. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

static int fail(int rc, const struct np_err *e)
{
	fprintf(stderr, "storectl: %s\n", e->msg);
	return rc == -EAGAIN ? 2 : rc == -EACCES ? 4 : 1;
}

int main(int argc, char **argv)
{
	struct np_store_cfg cfg = { .kind = "etcd" };
	int i = 1;
	for (; i + 1 < argc && !strncmp(argv[i], "--", 2); i += 2) {
		const char *o = argv[i] + 2, *v = argv[i + 1];
		if (!strcmp(o, "kind")) cfg.kind = v;
		else if (!strcmp(o, "dir")) cfg.dir = v;
		else if (!strcmp(o, "endpoints")) cfg.endpoints = v;
		else if (!strcmp(o, "ca")) cfg.ca_file = v;
		else if (!strcmp(o, "cert")) cfg.cert_file = v;
		else if (!strcmp(o, "key")) cfg.key_file = v;
		else if (!strcmp(o, "user")) cfg.username = v;
		else if (!strcmp(o, "password")) cfg.password = v;
		else if (!strcmp(o, "budget")) cfg.budget_ms = (unsigned)atoi(v);
		else { fprintf(stderr, "storectl: unknown option --%s\n", o); return 1; }
	}
	if (i >= argc) {
		fprintf(stderr, "storectl: no verb\n");
		return 1;
	}
	const char *verb = argv[i], *a1 = i + 1 < argc ? argv[i + 1] : NULL, *a2 = i + 2 < argc ? argv[i + 2] : NULL;
	const char *a3 = i + 3 < argc ? argv[i + 3] : NULL;
	struct np_err e = { 0 };
	struct np_store *s;
	int rc = np_store_open(&cfg, &s, &e);
	if (rc < 0)
		return fail(rc, &e);
	int out = 0;
	if (!strcmp(verb, "get") && a1) {
		struct np_kv kv = { 0 };
		rc = s->ops->get(s, a1, &kv, &e);
		if (rc == 1)
			printf("%s\n", kv.value);
		else if (rc == 0)
			out = 3;
		np_kv_free(&kv);
	} else if (!strcmp(verb, "put") && a1 && a2) {
		rc = s->ops->put(s, a1, a2, a3 ? strtoll(a3, NULL, 10) : 0, &e);
	} else if (!strcmp(verb, "create") && a1 && a2) {
		rc = s->ops->create(s, a1, a2, 0, &e);
		out = rc == 0 ? 3 : 0;
	} else if (!strcmp(verb, "del") && a1) {
		rc = s->ops->del(s, a1, a2 ? strtoll(a2, NULL, 10) : 0, &e);
		out = rc == 0 ? 3 : 0;
	} else if (!strcmp(verb, "list") && a1) {
		struct np_kv_list l = { 0 };
		rc = s->ops->list(s, a1, false, &l, &e);
		for (size_t k = 0; rc >= 0 && k < l.n; k++)
			printf("%s %s %" PRId64 "\n", l.kv[k].key, l.kv[k].value, l.kv[k].mod_rev);
		if (rc >= 0)
			np_kv_list_free(&l);
	} else if (!strcmp(verb, "grant") && a1) {
		int64_t id;
		rc = s->ops->lease_grant(s, strtoll(a1, NULL, 10), &id, &e);
		if (rc >= 0)
			printf("%" PRId64 "\n", id);
	} else if (!strcmp(verb, "keepalive") && a1) {
		int64_t ttl;
		rc = s->ops->lease_keepalive(s, strtoll(a1, NULL, 10), &ttl, &e);
		if (rc >= 0)
			printf("%" PRId64 "\n", ttl);
		else if (rc == -ENOENT)
			out = 3, rc = 0, fprintf(stderr, "storectl: %s\n", e.msg);
	} else if (!strcmp(verb, "revoke") && a1) {
		rc = s->ops->lease_revoke(s, strtoll(a1, NULL, 10), &e);
	} else {
		fprintf(stderr, "storectl: bad verb or arguments\n");
		out = 1;
	}
	np_store_close(s);
	return rc < 0 ? fail(rc, &e) : out;
}
