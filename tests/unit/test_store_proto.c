/* The cluster store's pure parts: base64, etcd endpoint lists, the JSON
 * gateway's request bodies and answers, key building; and the local-files
 * backend's operations (compare-and-swap create, revisions, lists,
 * transactions) in a temp directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/etcd_proto.h"
#include "store/store.h"

static void test_b64(void **state)
{
	(void)state;
	const char *in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar", "/mignet/ipam/n/ip/10.1.1.2" };
	const char *want[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy", NULL };
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		char *enc = np_b64_encode(in[i], strlen(in[i])), *dec;
		size_t len;
		if (want[i])
			assert_string_equal(enc, want[i]);
		assert_int_equal(np_b64_decode(enc, &dec, &len), 0);
		assert_int_equal(len, strlen(in[i]));
		assert_memory_equal(dec, in[i], len);
		free(enc);
		free(dec);
	}
	const char *bad[] = { "Zg=", "Zg", "Z===", "Zm9v\n", "Zm9=Yg==", "Zh==", "Zm$v", "=AAA" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *dec = (char *)1;
		size_t len;
		assert_int_equal(np_b64_decode(bad[i], &dec, &len), -EINVAL);
		assert_null(dec);
	}
}

static void test_endpoints(void **state)
{
	(void)state;
	struct np_endpoints eps;
	struct np_err e = { 0 };
	assert_int_equal(np_etcd_parse_endpoints("http://10.0.0.1:2379, https://[fd00::1]:2379 ,etcd-0.etcd.svc:2379", false, &eps, &e), 0);
	assert_int_equal(eps.n, 3);
	assert_string_equal(eps.url[0], "http://10.0.0.1:2379");
	assert_string_equal(eps.url[1], "https://[fd00::1]:2379");
	assert_string_equal(eps.url[2], "http://etcd-0.etcd.svc:2379");
	assert_int_equal(np_etcd_parse_endpoints("10.0.0.1:2379", true, &eps, &e), 0);
	assert_string_equal(eps.url[0], "https://10.0.0.1:2379");
	const char *bad[] = { "", "http://10.0.0.1", "http://10.0.0.1:2379/v3", "ftp://h:1", "h:0", "h:65536",
			      "h:12x", "user@h:1", "http://[fd00::1:2379", "[zz::1]:1", "a,,b:1", "h:1,", "-h:1",
			      "h h:1", "h:1?x=1", "http://h:-1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		np_err_clear(&e);
		assert_int_equal(np_etcd_parse_endpoints(bad[i], false, &eps, &e), -EINVAL);
		assert_true(e.msg[0]);
	}
	char many[2048] = "";
	for (int i = 0; i < NP_STORE_MAX_ENDPOINTS + 1; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%sh%d:1", i ? "," : "", i);
	assert_int_equal(np_etcd_parse_endpoints(many, false, &eps, &e), -EINVAL);
}

static void test_requests(void **state)
{
	(void)state;
	char *r = np_etcd_range_req("/mignet/a/", true, true);
	assert_string_equal(r, "{\"key\":\"L21pZ25ldC9hLw==\",\"range_end\":\"L21pZ25ldC9hMA==\",\"keys_only\":true}");
	free(r);
	struct np_txn t = {
		.n_cmp = 3,
		.cmp = { { NP_CMP_ABSENT, "/k", 0, NULL }, { NP_CMP_MOD_REV, "/k", 42, NULL },
			 { NP_CMP_VALUE, "/k", 0, "v" } },
		.n_ok = 2, .ok = { { NP_OP_PUT, "/k", "v", 7 }, { NP_OP_DELETE, "/o", NULL, 0 } },
		.n_fail = 1, .fail = { { NP_OP_DELETE, "/o", NULL, 0 } },
	};
	r = np_etcd_txn_req(&t);
	assert_string_equal(r,
		"{\"compare\":[{\"key\":\"L2s=\",\"target\":\"CREATE\",\"create_revision\":\"0\"},"
		"{\"key\":\"L2s=\",\"target\":\"MOD\",\"mod_revision\":\"42\"},"
		"{\"key\":\"L2s=\",\"target\":\"VALUE\",\"value\":\"dg==\"}],"
		"\"success\":[{\"request_put\":{\"key\":\"L2s=\",\"value\":\"dg==\",\"lease\":\"7\"}},"
		"{\"request_delete_range\":{\"key\":\"L28=\"}}],"
		"\"failure\":[{\"request_delete_range\":{\"key\":\"L28=\"}}]}");
	free(r);
}

static void test_answers(void **state)
{
	(void)state;
	struct np_err e = { 0 };
	struct np_kv_list l;
	const char *range = "{\"header\":{\"revision\":\"2\"},\"kvs\":[{\"key\":\"Zm9v\",\"create_revision\":\"2\","
			    "\"mod_revision\":\"3\",\"version\":\"1\",\"value\":\"YmFy\"},{\"key\":\"Zm9w\",\"mod_revision\":5}],\"count\":\"2\"}";
	assert_int_equal(np_etcd_parse_range(range, &l, &e), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.kv[0].key, "foo");
	assert_string_equal(l.kv[0].value, "bar");
	assert_int_equal(l.kv[0].create_rev, 2);
	assert_int_equal(l.kv[0].mod_rev, 3);
	assert_string_equal(l.kv[1].value, "");
	assert_int_equal(l.kv[1].mod_rev, 5);
	np_kv_list_free(&l);
	assert_int_equal(np_etcd_parse_range("{\"header\":{}}", &l, &e), 0);
	assert_int_equal(l.n, 0);
	const char *bad[] = { "", "[]", "{\"kvs\":{}}", "{\"kvs\":[{\"key\":\"!!\"}]}", "{\"kvs\":[{\"value\":\"YQ==\"}]}",
			      "{\"kvs\":[{\"key\":\"YQ==\",\"mod_revision\":\"x1\"}]}", "{\"kvs\":[{\"key\":\"YQBi\"}]}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(np_etcd_parse_range(bad[i], &l, &e), -EBADMSG);
	assert_int_equal(np_etcd_parse_txn("{\"header\":{},\"succeeded\":true}", &e), 1);
	assert_int_equal(np_etcd_parse_txn("{\"header\":{}}", &e), 0);
	assert_int_equal(np_etcd_parse_txn("{\"succeeded\":\"yes\"}", &e), -EBADMSG);
	int64_t id, ttl;
	assert_int_equal(np_etcd_parse_lease("{\"ID\":\"7000742474035676426\",\"TTL\":\"2\"}", &id, &ttl, &e), 0);
	assert_true(id == 7000742474035676426LL);
	assert_int_equal(ttl, 2);
	assert_int_equal(np_etcd_parse_lease("{\"result\":{\"ID\":\"5\"}}", &id, &ttl, &e), 0);
	assert_int_equal(id, 5);
	assert_int_equal(ttl, 0);
	int code;
	char msg[64];
	assert_int_equal(np_etcd_parse_error("{\"error\":\"etcdserver: request timed out\",\"message\":\"x\",\"code\":14}",
					     &code, msg, sizeof(msg)), 1);
	assert_int_equal(code, 14);
	assert_true(np_etcd_retryable(code, msg));
	assert_false(np_etcd_retryable(3, "etcdserver: key not found"));
	assert_int_equal(np_etcd_parse_error("{\"header\":{}}", &code, msg, sizeof(msg)), 0);
}

static void test_keys(void **state)
{
	(void)state;
	char k[NP_STORE_KEY_MAX];
	struct np_err e = { 0 };
	assert_int_equal(np_store_key(k, sizeof(k), &e, "ipam", "net1", "ip", "fd00::1", NULL), 0);
	assert_string_equal(k, "/mignet/ipam/net1/ip/fd00::1");
	assert_int_equal(np_store_key(k, sizeof(k), &e, "ipam", "net1", "", NULL), 0);
	assert_string_equal(k, "/mignet/ipam/net1/");
	const char *bad[] = { "a/b", "..", ".", "a b", "a\nb", "\x7f" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(np_store_key(k, sizeof(k), &e, "ipam", bad[i], NULL), -EINVAL);
	char small[12];
	assert_int_equal(np_store_key(small, sizeof(small), &e, "ipam", "network", NULL), -ENAMETOOLONG);
}

static void test_local(void **state)
{
	(void)state;
	char dir[] = "/tmp/mignet-store-unit.XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct np_store_cfg cfg = { .kind = "local", .dir = dir };
	struct np_store *s;
	struct np_err e = { 0 };
	assert_int_equal(np_store_open(&cfg, &s, &e), 0);
	assert_string_equal(s->ops->kind, "local");
	struct np_kv kv;
	assert_int_equal(s->ops->get(s, "/mignet/a", &kv, &e), 0);
	assert_int_equal(s->ops->create(s, "/mignet/a", "one", 0, &e), 1);
	assert_int_equal(s->ops->create(s, "/mignet/a", "two", 0, &e), 0);
	assert_int_equal(s->ops->get(s, "/mignet/a", &kv, &e), 1);
	assert_string_equal(kv.value, "one");
	int64_t rev = kv.mod_rev;
	np_kv_free(&kv);
	assert_int_equal(s->ops->put(s, "/mignet/a", "three", 0, &e), 0);
	assert_int_equal(s->ops->get(s, "/mignet/a", &kv, &e), 1);
	assert_true(kv.mod_rev > rev);
	assert_int_equal(kv.create_rev, rev);
	np_kv_free(&kv);
	assert_int_equal(s->ops->del(s, "/mignet/a", rev, &e), 0); /* stale revision */
	struct np_txn t = { .n_cmp = 1, .cmp = { { NP_CMP_VALUE, "/mignet/a", 0, "three" } },
			    .n_ok = 2, .ok = { { NP_OP_DELETE, "/mignet/a", NULL, 0 }, { NP_OP_PUT, "/mignet/b/%x", "y", 0 } },
			    .n_fail = 1, .fail = { { NP_OP_PUT, "/mignet/failed", "y", 0 } } };
	assert_int_equal(s->ops->txn(s, &t, &e), 1);
	assert_int_equal(s->ops->txn(s, &t, &e), 0);
	assert_int_equal(s->ops->put(s, "/mignet/b/a", "z", 0, &e), 0);
	assert_int_equal(s->ops->put(s, "/mignet/bb", "no", 0, &e), 0);
	struct np_kv_list l;
	assert_int_equal(s->ops->list(s, "/mignet/b/", false, &l, &e), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.kv[0].key, "/mignet/b/%x");
	assert_string_equal(l.kv[1].key, "/mignet/b/a");
	assert_string_equal(l.kv[1].value, "z");
	np_kv_list_free(&l);
	assert_int_equal(s->ops->get(s, "/mignet/failed", &kv, &e), 1);
	np_kv_free(&kv);
	assert_int_equal(s->ops->del(s, "/mignet/bb", 0, &e), 1);
	assert_int_equal(s->ops->del(s, "/mignet/bb", 0, &e), 0);
	int64_t id;
	assert_int_equal(s->ops->lease_grant(s, 5, &id, &e), -EOPNOTSUPP);
	np_store_close(s);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	cfg.kind = "zookeeper";
	assert_int_equal(np_store_open(&cfg, &s, &e), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64),
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_local),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
