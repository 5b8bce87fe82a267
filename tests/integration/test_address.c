/* Migration-address picking (netprep address) on a namespace "node":
 * v4, v6, both, none, fallback to the default route, --strict. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "address.h"
#include "nstest.h"

static char path[NST_PATH_MAX], ns[64];

static int setup(void **state)
{
	(void)state;
	nst_init();
	nst_netns_add("node", path, ns);
	/* eth0 carries the default route; migration0 is the migration NIC.
	 * Both are veth ends whose peers stay in the same namespace. */
	return nst_sh("ip -n %1$s link add eth0 type veth peer name eth0p &&"
		      "ip -n %1$s link add migration0 type veth peer name mig0p &&"
		      "ip -n %1$s link set eth0 up && ip -n %1$s link set eth0p up &&"
		      "ip -n %1$s link set migration0 up && ip -n %1$s link set mig0p up &&"
		      "ip -n %1$s addr add 192.168.50.2/24 dev eth0 &&"
		      "ip -n %1$s addr add fd50::2/64 dev eth0 nodad &&"
		      "ip -n %1$s route add default via 192.168.50.1 &&"
		      "ip -n %1$s -6 route add default via fd50::1", ns);
}

static int teardown(void **state)
{
	(void)state;
	nst_netns_del(ns);
	return 0;
}

static int pick(const char *iface, int family, bool strict,
		struct np_pick_result *r, struct np_err *e)
{
	struct np_nl *nl = malloc(sizeof(*nl));
	assert_non_null(nl);
	assert_int_equal(np_nl_open(nl, path, e), 0);
	struct np_pick_request req = { .iface = iface, .family = family, .strict = strict };
	int rc = np_pick_address(nl, &req, r, e);
	np_nl_close(nl);
	free(nl);
	return rc;
}

static const char *uri(const struct np_pick_result *r)
{
	static char buf[64];
	return np_ip_uri_str(&r->ip, buf, sizeof(buf));
}

static void reset_migration0(void)
{
	assert_int_equal(nst_sh("ip -n %s addr flush dev migration0", ns), 0);
}

static void test_v4_only(void **state)
{
	(void)state;
	struct np_pick_result r;
	struct np_err e = { 0 };
	reset_migration0();
	assert_int_equal(nst_sh("ip -n %s addr add 10.1.1.7/24 dev migration0", ns), 0);
	assert_int_equal(pick("migration0", AF_UNSPEC, false, &r, &e), 0);
	assert_string_equal(uri(&r), "10.1.1.7");
	assert_string_equal(r.iface, "migration0");
	assert_false(r.fallback);
	/* a v6 peer: migration0 has no v6, so the default route's v6 is used */
	assert_int_equal(pick("migration0", AF_INET6, false, &r, &e), 0);
	assert_string_equal(uri(&r), "[fd50::2]");
	assert_true(r.fallback);
	assert_string_equal(r.iface, "eth0");
	assert_non_null(strstr(r.why, "has no global IPv6 address"));
}

static void test_v6_only_bracketed(void **state)
{
	(void)state;
	struct np_pick_result r;
	struct np_err e = { 0 };
	reset_migration0();
	assert_int_equal(nst_sh("ip -n %s addr add fd01:1::7/64 dev migration0 nodad", ns), 0);
	assert_int_equal(pick("migration0", AF_UNSPEC, false, &r, &e), 0);
	assert_string_equal(uri(&r), "[fd01:1::7]");
	assert_false(r.fallback);
	assert_int_equal(pick("migration0", AF_INET6, true, &r, &e), 0);
	assert_string_equal(uri(&r), "[fd01:1::7]");
}

static void test_both_families(void **state)
{
	(void)state;
	struct np_pick_result r;
	struct np_err e = { 0 };
	reset_migration0();
	assert_int_equal(nst_sh("ip -n %1$s addr add 10.1.1.8/24 dev migration0 &&"
				"ip -n %1$s addr add fd01:1::8/64 dev migration0 nodad", ns), 0);
	assert_int_equal(pick("migration0", AF_INET, true, &r, &e), 0);
	assert_string_equal(uri(&r), "10.1.1.8");
	assert_int_equal(pick("migration0", AF_INET6, true, &r, &e), 0);
	assert_string_equal(uri(&r), "[fd01:1::8]");
}

static void test_none_fallback_and_strict(void **state)
{
	(void)state;
	struct np_pick_result r;
	struct np_err e = { 0 };
	reset_migration0();
	/* only the link-local address that the kernel adds: not usable */
	assert_int_equal(pick("migration0", AF_UNSPEC, false, &r, &e), 0);
	assert_true(r.fallback);
	assert_string_equal(uri(&r), "192.168.50.2");
	assert_int_equal(pick("migration0", AF_UNSPEC, true, &r, &e), -EADDRNOTAVAIL);
	assert_non_null(strstr(e.msg, "migration interface \"migration0\" has no global address"));
	assert_non_null(strstr(e.msg, "--strict"));

	np_err_clear(&e);
	assert_int_equal(pick("mig-missing", AF_UNSPEC, false, &r, &e), 0);
	assert_true(r.fallback);
	assert_non_null(strstr(r.why, "\"mig-missing\" does not exist"));
	assert_int_equal(pick("mig-missing", AF_UNSPEC, true, &r, &e), -EADDRNOTAVAIL);
	assert_non_null(strstr(e.msg, "\"mig-missing\" does not exist"));
}

static void test_no_default_route(void **state)
{
	(void)state;
	struct np_pick_result r;
	struct np_err e = { 0 };
	reset_migration0();
	assert_int_equal(nst_sh("ip -n %s route del default", ns), 0);
	assert_int_equal(pick("migration0", AF_INET, false, &r, &e), -EADDRNOTAVAIL);
	assert_non_null(strstr(e.msg, "no IPv4 default route to fall back to"));
	assert_int_equal(nst_sh("ip -n %s route add default via 192.168.50.1", ns), 0);
}

static void test_cli(void **state)
{
	(void)state;
	const char *build = getenv("MIGNET_BUILD");
	if (!build)
		build = "build";
	reset_migration0();
	assert_int_equal(nst_sh("ip -n %s addr add fd01:1::9/64 dev migration0 nodad", ns), 0);
	cJSON *o = nst_json("%s/netprep address --netns %s --json", build, path);
	assert_non_null(o);
	assert_string_equal(nst_str(o, "uri"), "[fd01:1::9]");
	assert_string_equal(nst_str(o, "address"), "fd01:1::9");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(o, "fallback")));
	cJSON_Delete(o);
	assert_int_equal(nst_sh("%s/netprep address --netns %s --iface nope --strict 2>/dev/null", build, path), 1);
	assert_int_equal(nst_sh("%s/netprep address --netns %s --iface nope >/dev/null 2>&1", build, path), 0);
	assert_int_equal(nst_sh("%s/netprep address --family 5 2>/dev/null", build), 2);
	/* --network: the interface libcni's result cache says was attached */
	const char *tmp = getenv("TMPDIR_BASE");
	char dir[256];
	snprintf(dir, sizeof(dir), "%s-cache-%s", tmp ? tmp : "/tmp/mignet-test", nst_prefix());
	assert_int_equal(nst_sh("mkdir -p %1$s && printf '%%s' '{\"kind\":\"cniCacheV1\",\"networkName\":\"migration-net\","
				"\"ifName\":\"migration0\",\"result\":{\"interfaces\":[{\"name\":\"migration0\",\"sandbox\":\"%2$s\"}]}}'"
				" > %1$s/migration-net-c0ffee-migration0", dir, path), 0);
	o = nst_json("%s/netprep address --netns %s --network migration-net --cni-cache-dir %s --json", build, path, dir);
	assert_non_null(o);
	assert_string_equal(nst_str(o, "interface"), "migration0");
	assert_string_equal(nst_str(o, "uri"), "[fd01:1::9]");
	cJSON_Delete(o);
	assert_int_equal(nst_sh("%s/netprep address --netns %s --network other-net --cni-cache-dir %s --strict 2>/dev/null",
				build, path, dir), 1);
	nst_sh("rm -rf %s", dir);
	assert_int_equal(nst_sh("%s/netprep address --iface ../../x 2>/dev/null", build), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_only),
		cmocka_unit_test(test_v6_only_bracketed),
		cmocka_unit_test(test_both_families),
		cmocka_unit_test(test_none_fallback_and_strict),
		cmocka_unit_test(test_no_default_route),
		cmocka_unit_test(test_cli),
	};
	return cmocka_run_group_tests_name("migration address", tests, setup, teardown);
}
