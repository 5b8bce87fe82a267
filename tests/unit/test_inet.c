/* Address, prefix and MAC parsing and printing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "address.h"
#include "inet.h"

static void roundtrip(const char *in, bool bare, const char *want)
{
	struct np_prefix p;
	struct np_err e = { 0 };
	char buf[NP_PREFIX_STRLEN];
	if (np_prefix_parse(in, bare, &p, &e) < 0)
		fail_msg("\"%s\": %s", in, e.msg);
	assert_string_equal(np_prefix_str(&p, buf, sizeof(buf)), want);
}

static void rejected(const char *in, bool bare, const char *needle)
{
	struct np_prefix p;
	struct np_err e = { 0 };
	assert_int_equal(np_prefix_parse(in, bare, &p, &e), -EINVAL);
	if (!strstr(e.msg, needle))
		fail_msg("error for \"%s\" is \"%s\", expected to contain \"%s\"", in, e.msg, needle);
}

static void test_prefix_parse_print(void **state)
{
	(void)state;
	roundtrip("10.1.1.5/24", false, "10.1.1.5/24");
	roundtrip("0.0.0.0/0", false, "0.0.0.0/0");
	roundtrip("fd00::5/64", false, "fd00::5/64");
	roundtrip("FD00:0:0::5/128", false, "fd00::5/128");
	roundtrip("::ffff:10.0.0.1/96", false, "::ffff:10.0.0.1/96");
	roundtrip("10.1.1.5", true, "10.1.1.5/32");
	roundtrip("fe80::1", true, "fe80::1/128");
	roundtrip("10.0.0.1/032", false, "10.0.0.1/32");
}

static void test_prefix_hostile(void **state)
{
	(void)state;
	rejected("10.1.1.5", false, "has no prefix length");
	rejected("10.1.1.5/33", false, "prefix length 33 is above 32");
	rejected("fd00::1/129", false, "above 128");
	rejected("10.1.1.5/", false, "prefix length must be");
	rejected("10.1.1.5/-1", false, "prefix length must be");
	rejected("10.1.1.5/2a", false, "prefix length must be");
	rejected("10.1.1.5/99999999999", false, "prefix length must be");
	rejected("10.1.1.256/24", false, "is not an IPv4 or IPv6 address");
	rejected("/24", false, "is not an address/prefix");
	rejected("", true, "empty");
	rejected("10.1.1.5 /24", false, "not an IPv4 or IPv6");
	rejected("10.1.1.5/24/1", false, "prefix length must be");
	/* hostile bytes are escaped, so a message stays one line */
	rejected("10.0.0.1\n/24", false, "10.0.0.1\\x0a/24");
	rejected("\x1b[31m", true, "\\x1b[31m");
	char long_in[200];
	memset(long_in, '1', sizeof(long_in) - 1);
	long_in[sizeof(long_in) - 1] = '\0';
	rejected(long_in, true, "not an address/prefix");
	struct np_prefix p;
	assert_int_equal(np_prefix_parse(NULL, true, &p, NULL), -EINVAL);
}

static void test_ip_parse(void **state)
{
	(void)state;
	struct np_ip ip;
	struct np_err e = { 0 };
	assert_int_equal(np_ip_parse("192.0.2.1", &ip, &e), 0);
	assert_int_equal(ip.family, AF_INET);
	assert_int_equal(np_ip_parse("2001:db8::1", &ip, &e), 0);
	assert_int_equal(ip.family, AF_INET6);
	assert_int_equal(np_ip_parse("2001:db8::1/64", &ip, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "is not an IPv4 or IPv6 address"));
	np_err_clear(&e);
	assert_int_equal(np_ip_parse("1.2.3", &ip, &e), -EINVAL);
	assert_int_equal(np_ip_parse("", &ip, NULL), -EINVAL);
	assert_int_equal(np_ip_parse("0x7f.1", &ip, NULL), -EINVAL);
}

static void test_prefix_math(void **state)
{
	(void)state;
	struct np_prefix p;
	struct np_ip ip, net;
	char buf[NP_PREFIX_STRLEN];
	assert_int_equal(np_prefix_parse("10.1.1.77/26", false, &p, NULL), 0);
	np_prefix_network(&p, &net);
	assert_string_equal(np_ip_str(&net, buf, sizeof(buf)), "10.1.1.64");
	assert_int_equal(np_ip_parse("10.1.1.127", &ip, NULL), 0);
	assert_true(np_prefix_contains(&p, &ip));
	assert_int_equal(np_ip_parse("10.1.1.128", &ip, NULL), 0);
	assert_false(np_prefix_contains(&p, &ip));
	assert_int_equal(np_ip_parse("fd00::1", &ip, NULL), 0);
	assert_false(np_prefix_contains(&p, &ip)); /* other family */
	assert_int_equal(np_prefix_parse("fd00:ab::1/24", false, &p, NULL), 0);
	np_prefix_network(&p, &net);
	assert_string_equal(np_ip_str(&net, buf, sizeof(buf)), "fd00::");
}

static void test_global_unicast(void **state)
{
	(void)state;
	static const struct { const char *ip; bool global; } cases[] = {
		{ "10.1.1.1", true }, { "192.0.2.1", true }, { "0.0.0.0", false },
		{ "127.0.0.1", false }, { "169.254.1.1", false }, { "224.0.0.1", false },
		{ "255.255.255.255", false }, { "fd00::1", true }, { "2001:db8::1", true },
		{ "::", false }, { "::1", false }, { "fe80::1", false }, { "ff02::1", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct np_ip ip;
		assert_int_equal(np_ip_parse(cases[i].ip, &ip, NULL), 0);
		if (np_ip_is_global_unicast(&ip) != cases[i].global)
			fail_msg("%s: expected global=%d", cases[i].ip, cases[i].global);
	}
}

static void test_uri_form(void **state)
{
	(void)state;
	struct np_ip ip;
	char buf[64];
	assert_int_equal(np_ip_parse("fd00::2", &ip, NULL), 0);
	assert_string_equal(np_ip_uri_str(&ip, buf, sizeof(buf)), "[fd00::2]");
	assert_int_equal(np_ip_parse("10.0.0.2", &ip, NULL), 0);
	assert_string_equal(np_ip_uri_str(&ip, buf, sizeof(buf)), "10.0.0.2");
}

static void test_mac(void **state)
{
	(void)state;
	uint8_t mac[6];
	char buf[NP_MAC_STRLEN];
	struct np_err e = { 0 };
	assert_int_equal(np_mac_parse("C2:11:22:33:44:5a", true, mac, &e), 0);
	assert_string_equal(np_mac_str(mac, buf, sizeof(buf)), "c2:11:22:33:44:5a");
	assert_int_equal(np_mac_parse("c2-11-22-33-44-5a", true, mac, &e), 0);
	static const char *const bad[] = {
		"c2:11:22:33:44", "c2:11:22:33:44:5", "c2:11:22:33:44:5g", "c2:11-22:33:44:55",
		"c2:11:22:33:44:55:66", "c2.11.22.33.44.55", "", " c2:11:22:33:44:5",
		"c2:11:22:33:44:5\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		np_err_clear(&e);
		if (np_mac_parse(bad[i], false, mac, &e) != -EINVAL)
			fail_msg("MAC \"%s\" accepted", bad[i]);
		assert_non_null(strstr(e.msg, "must look like"));
	}
	np_err_clear(&e);
	assert_int_equal(np_mac_parse("01:00:5e:00:00:01", true, mac, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "multicast"));
	assert_int_equal(np_mac_parse("01:00:5e:00:00:01", false, mac, NULL), 0);
	np_err_clear(&e);
	assert_int_equal(np_mac_parse("00:00:00:00:00:00", true, mac, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "all zeros"));
	assert_int_equal(np_mac_parse(NULL, true, mac, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_parse_print),
		cmocka_unit_test(test_prefix_hostile),
		cmocka_unit_test(test_ip_parse),
		cmocka_unit_test(test_prefix_math),
		cmocka_unit_test(test_global_unicast),
		cmocka_unit_test(test_uri_form),
		cmocka_unit_test(test_mac),
	};
	return cmocka_run_group_tests_name("inet helpers", tests, NULL, NULL);
}
