/* Validation of outside names before they become kernel names or paths. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "err.h"
#include "names.h"

static void assert_rejected(int rc, const struct np_err *e, const char *needle)
{
	assert_int_equal(rc, -EINVAL);
	if (!strstr(e->msg, needle))
		fail_msg("error \"%s\" lacks \"%s\"", e->msg, needle);
	/* messages stay on one line whatever the input held */
	assert_null(strchr(e->msg, '\n'));
}

static void test_ifname(void **state)
{
	(void)state;
	struct np_err e = { 0 };
	static const char *const good[] = { "eth0", "net1", "podb1f51a511f1", "eth0.13", "vlan-13", "a" };
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		if (np_valid_ifname(good[i], "CNI_IFNAME", &e) < 0)
			fail_msg("\"%s\" rejected: %s", good[i], e.msg);
	static const struct { const char *name, *needle; } bad[] = {
		{ "", "CNI_IFNAME is empty" },
		{ "0123456789abcdef", "too long: interface names have at most 15" },
		{ ".", "not a valid interface name" },
		{ "..", "not a valid interface name" },
		{ "../etc", "forbidden character" },
		{ "a/b", "forbidden character" },
		{ "eth0:1", "forbidden character" },
		{ "et h0", "forbidden character" },
		{ "eth\n0", "\\x0a" },
		{ "eth\x7f", "forbidden character" },
		{ "\xc3\xa9th0", "\\xc3\\xa9" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		np_err_clear(&e);
		assert_rejected(np_valid_ifname(bad[i].name, "CNI_IFNAME", &e), &e, bad[i].needle);
	}
	np_err_clear(&e);
	assert_rejected(np_valid_ifname(NULL, "--iface", &e), &e, "--iface is empty");
}

static void test_container_id(void **state)
{
	(void)state;
	struct np_err e = { 0 };
	assert_int_equal(np_valid_container_id("3f1e0c2a9b_x.y-z", &e), 0);
	static const struct { const char *id, *needle; } bad[] = {
		{ "", "container ID is empty" },
		{ "../../etc/passwd", "must start with a letter or digit" },
		{ "abc/def", "may contain only" },
		{ "abc def", "may contain only" },
		{ "-abc", "must start with a letter or digit" },
		{ "abc\x01", "\\x01" },
		{ "abc%2f", "may contain only" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		np_err_clear(&e);
		assert_rejected(np_valid_container_id(bad[i].id, &e), &e, bad[i].needle);
	}
	char longid[NP_CONTAINER_ID_MAX + 2];
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	np_err_clear(&e);
	assert_rejected(np_valid_container_id(longid, &e), &e, "too long");
	/* the message quotes a bounded prefix of the hostile value */
	assert_true(strlen(e.msg) < 200);
	longid[NP_CONTAINER_ID_MAX] = '\0';
	assert_int_equal(np_valid_container_id(longid, NULL), 0);
}

static void test_network_name(void **state)
{
	(void)state;
	struct np_err e = { 0 };
	assert_int_equal(np_valid_network_name("migration-net", &e), 0);
	assert_int_equal(np_valid_network_name("vlan_13.prod", &e), 0);
	assert_rejected(np_valid_network_name("..", &e), &e, "must start with a letter or digit");
	np_err_clear(&e);
	assert_rejected(np_valid_network_name("a/..", &e), &e, "may contain only");
}

static void test_path_component(void **state)
{
	(void)state;
	struct np_err e = { 0 };
	assert_int_equal(np_valid_path_component("vif-cache-pod16477688c0e.json", 255, "file", &e), 0);
	assert_rejected(np_valid_path_component(".", 255, "file", &e), &e, "is not allowed");
	np_err_clear(&e);
	assert_rejected(np_valid_path_component("..", 255, "file", &e), &e, "is not allowed");
	np_err_clear(&e);
	assert_rejected(np_valid_path_component("a/b", 255, "file", &e), &e, "may contain only");
	np_err_clear(&e);
	assert_rejected(np_valid_path_component("abcdef", 5, "file", &e), &e, "too long: at most 5");
	np_err_clear(&e);
	assert_rejected(np_valid_path_component("", 5, "file", &e), &e, "file is empty");
}

static void test_err_keeps_first(void **state)
{
	(void)state;
	struct np_err e = { 0 };
	assert_int_equal(np_errf(&e, -ENODEV, "link \"%s\"", "x"), -ENODEV);
	assert_string_equal(e.msg, "link \"x\": No such device");
	np_errmsg(&e, -EIO, "rollback failed");
	assert_string_equal(e.msg, "link \"x\": No such device");
	assert_int_equal(e.code, -ENODEV);
	assert_int_equal(np_errf(NULL, -EIO, "ignored"), -EIO);
	/* context goes in front of what a callee recorded; NULL is safe */
	assert_int_equal(np_err_prefix(&e, -EINVAL, "record: "), -EINVAL);
	assert_string_equal(e.msg, "record: link \"x\": No such device");
	assert_int_equal(e.code, -ENODEV);
	assert_int_equal(np_err_prefix(NULL, -EINVAL, "record: "), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ifname),
		cmocka_unit_test(test_container_id),
		cmocka_unit_test(test_network_name),
		cmocka_unit_test(test_path_component),
		cmocka_unit_test(test_err_keeps_first),
	};
	return cmocka_run_group_tests_name("name validation", tests, NULL, NULL);
}
