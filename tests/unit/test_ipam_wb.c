/* mignet-ipam's whereabouts keys (range as a CIDR or a-b/nn, range_start,
 * range_end, exclude, ipRanges, gateway): the ranges they give, network and
 * broadcast left out, and the refusals, each naming the key. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "ipam_local.h"

static int parse(const char *json, struct ipam_local_conf *lc, struct cni_error *ce)
{
	cJSON *o = cJSON_Parse(json);
	assert_non_null(o);
	memset(ce, 0, sizeof(*ce));
	int rc = ipam_local_parse(o, lc, ce);
	cJSON_Delete(o);
	return rc;
}

static const char *ip(const struct np_ip *a)
{
	static char buf[8][NP_PREFIX_STRLEN];
	static int i;
	i = (i + 1) % 8;
	return np_ip_str(a, buf[i], sizeof(buf[i]));
}

static void test_cidr(void **state)
{
	(void)state;
	struct ipam_local_conf *lc = calloc(1, sizeof(*lc));
	struct cni_error ce;
	assert_int_equal(parse("{\"type\":\"mignet-ipam\",\"range\":\"10.1.1.0/24\"}", lc, &ce), 0);
	assert_int_equal(lc->n_sets, 1);
	const struct ipam_range *r = &lc->sets[0].ranges[0];
	assert_string_equal(ip(&r->start), "10.1.1.1");
	assert_string_equal(ip(&r->end), "10.1.1.254");
	assert_false(r->has_gateway);
	/* host bits: the network; range_start at the network is moved past it */
	assert_int_equal(parse("{\"range\":\"10.1.1.77/25\",\"range_start\":\"10.1.1.0\",\"range_end\":\"10.1.1.127\",\"gateway\":\"10.1.1.1\"}", lc, &ce), 0);
	r = &lc->sets[0].ranges[0];
	assert_string_equal(ip(&r->subnet.ip), "10.1.1.0");
	assert_string_equal(ip(&r->start), "10.1.1.1");
	assert_string_equal(ip(&r->end), "10.1.1.126");
	assert_true(r->has_gateway);
	assert_string_equal(ip(&r->gateway), "10.1.1.1");
	free(lc);
}

static void test_dash_exclude_ipranges(void **state)
{
	(void)state;
	struct ipam_local_conf *lc = calloc(1, sizeof(*lc));
	struct cni_error ce;
	assert_int_equal(parse("{\"range\":\"192.168.2.225-192.168.2.230/24\",\"exclude\":[\"192.168.2.226/32\",\"192.168.2.228\"]}", lc, &ce), 0);
	const struct ipam_range *r = &lc->sets[0].ranges[0];
	assert_string_equal(ip(&r->start), "192.168.2.225");
	assert_string_equal(ip(&r->end), "192.168.2.230");
	assert_int_equal(r->n_exclude, 2);
	assert_int_equal(r->exclude[1].len, 32);
	assert_int_equal(parse("{\"ipRanges\":[{\"range\":\"10.2.0.0/24\"},{\"range\":\"fd00:2::/64\",\"exclude\":[\"fd00:2::/120\"]}],\"gateway\":\"fd00:2::1\"}", lc, &ce), 0);
	assert_int_equal(lc->n_sets, 2);
	assert_false(lc->sets[0].ranges[0].has_gateway);
	assert_true(lc->sets[1].ranges[0].has_gateway);
	assert_string_equal(ip(&lc->sets[1].ranges[0].start), "fd00:2::1");
	assert_string_equal(ip(&lc->sets[1].ranges[0].end), "fd00:2::ffff:ffff:ffff:ffff");
	/* host-local's ranges beside whereabouts' range: two sets */
	assert_int_equal(parse("{\"ranges\":[[{\"subnet\":\"10.3.0.0/24\"}]],\"range\":\"10.4.0.0/24\"}", lc, &ce), 0);
	assert_int_equal(lc->n_sets, 2);
	free(lc);
}

static void test_refused(void **state)
{
	(void)state;
	struct ipam_local_conf *lc = calloc(1, sizeof(*lc));
	struct cni_error ce;
	const struct { const char *json, *needle; } bad[] = {
		{ "{\"range\":\"10.1.1.0\"}", "range" },
		{ "{\"range\":\"10.1.1.0/31\"}", "too small" },
		{ "{\"range\":\"10.1.2.5-10.1.1.9/24\"}", "outside" },
		{ "{\"range\":\"10.1.1.9-10.1.1.5/24\"}", "start is after the end" },
		{ "{\"range\":\"10.1.1.0/24\",\"range_start\":\"10.1.2.1\"}", "range_start" },
		{ "{\"range\":\"10.1.1.0/24\",\"range_end\":\"fd00::1\"}", "range_end" },
		{ "{\"range\":\"10.1.1.0/24\",\"exclude\":[\"x\"]}", "exclude" },
		{ "{\"range\":\"10.1.1.0/24\",\"exclude\":\"10.1.1.0/28\"}", "exclude" },
		{ "{\"range\":\"10.1.1.0/24\",\"gateway\":\"10.9.9.1\"}", "gateway" },
		{ "{\"ipRanges\":[\"10.1.1.0/24\"]}", "ipRanges" },
		{ "{\"ipRanges\":[{\"range\":\"10.1.1.0/24\"},{\"range\":\"10.1.1.128/25\"}]}", "overlap" },
		{ "{\"range\":5}", "range" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i].json, lc, &ce), -1);
		assert_int_equal(ce.code, CNI_ERR_INVALID_CONFIG);
		if (!strstr(ce.msg, bad[i].needle))
			fail_msg("%s: message \"%s\" lacks \"%s\"", bad[i].json, ce.msg, bad[i].needle);
	}
	free(lc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_dash_exclude_ipranges),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
