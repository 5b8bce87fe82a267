/* virt-handler's network-info-cache entry as Go reads it, and its reset
 * to pending byte for byte as Go's MarshalIndent writes it (the expected
 * texts were written by Go 1.19's encoding/json from look-alikes of
 * PodIfaceCacheData and v1.Interface); the launcher PID argument; the
 * vif-cache content phase 1 computes from a pod interface. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kvpod.h"
#include "kvpodnet.h"
#include "kvstate.h"

static const char go_finished[] =
	"{\n"
	"  \"iface\": {\n"
	"    \"name\": \"vlan13\",\n"
	"    \"bridge\": {},\n"
	"    \"ports\": [\n"
	"      {\n"
	"        \"name\": \"http\",\n"
	"        \"port\": 80\n"
	"      }\n"
	"    ],\n"
	"    \"macAddress\": \"02:00:00:aa:bb:cc\",\n"
	"    \"bootOrder\": 2,\n"
	"    \"tag\": \"a\\u003cb\\u003e\\u0026c\\u2028\"\n"
	"  },\n"
	"  \"podIP\": \"10.13.0.5\",\n"
	"  \"podIPs\": [\n"
	"    \"10.13.0.5\",\n"
	"    \"fd00::5\"\n"
	"  ],\n"
	"  \"networkState\": 2\n"
	"}";

static const char go_pending[] =
	"{\n"
	"  \"iface\": {\n"
	"    \"name\": \"vlan13\",\n"
	"    \"bridge\": {},\n"
	"    \"ports\": [\n"
	"      {\n"
	"        \"name\": \"http\",\n"
	"        \"port\": 80\n"
	"      }\n"
	"    ],\n"
	"    \"macAddress\": \"02:00:00:aa:bb:cc\",\n"
	"    \"bootOrder\": 2,\n"
	"    \"tag\": \"a\\u003cb\\u003e\\u0026c\\u2028\"\n"
	"  },\n"
	"  \"podIP\": \"10.13.0.5\",\n"
	"  \"podIPs\": [\n"
	"    \"10.13.0.5\",\n"
	"    \"fd00::5\"\n"
	"  ]\n"
	"}";

static int parse(const char *text, struct vc_kvstate *st)
{
	return vc_kvstate_parse(text, strlen(text), st, NULL);
}

static void reset_is(const char *in, const char *want)
{
	struct np_err e = { 0 };
	char *out = vc_kvstate_reset(in, strlen(in), &e);
	assert_non_null(out);
	assert_string_equal(out, want);
	free(out);
}

static void test_go_file(void **state)
{
	(void)state;
	struct vc_kvstate st;
	assert_int_equal(parse(go_finished, &st), 0);
	assert_true(st.has_state);
	assert_int_equal(st.state, VC_KV_FINISHED);
	assert_string_equal(st.binding, "bridge");
	assert_string_equal(st.iface_name, "vlan13");
	assert_string_equal(st.pod_ip, "10.13.0.5");
	assert_int_equal(parse(go_pending, &st), 0);
	assert_false(st.has_state);
	assert_int_equal(st.state, VC_KV_PENDING);
	assert_string_equal(vc_kvstate_name(1), "started");
	assert_string_equal(vc_kvstate_name(7), "unknown");
}

static void test_reset_exact(void **state)
{
	(void)state;
	reset_is(go_finished, go_pending);
	reset_is(go_pending, go_pending);
	/* Go: PodIfaceCacheData{State: 1} and PodIfaceCacheData{} */
	reset_is("{\n  \"networkState\": 1\n}", "{}");
	reset_is("null", "{}");
	/* any spacing in, Go's indentation out; empty objects and lists stay
	 * on one line, unknown members are kept */
	reset_is(" {\"iface\":{\"name\":\"x\",\"masquerade\":{ }},\"networkState\":2,\"podIPs\":[],\"extra\":[1, {\"a\" : true}]} ",
		 "{\n  \"iface\": {\n    \"name\": \"x\",\n    \"masquerade\": {}\n  },\n  \"podIPs\": [],\n"
		 "  \"extra\": [\n    1,\n    {\n      \"a\": true\n    }\n  ]\n}");
	/* every member Go would read as the state goes, whatever its case */
	reset_is("{\"NetworkState\":2,\"podIP\":\"1.2.3.4\",\"network\xc5\xbftate\":1,\"NETWORKSTATE\":null}",
		 "{\n  \"podIP\": \"1.2.3.4\"\n}");
	/* strings keep their bytes: escapes, braces and commas inside them */
	reset_is("{\"podIP\":\"a,{\\\"}\\\\\",\"networkState\":2}", "{\n  \"podIP\": \"a,{\\\"}\\\\\"\n}");
}

static void test_go_reading(void **state)
{
	(void)state;
	struct vc_kvstate st;
	/* case-insensitive names, Unicode folds of s and k, the last one counts */
	assert_int_equal(parse("{\"NetworkState\": 2}", &st), 0);
	assert_int_equal(st.state, 2);
	assert_int_equal(parse("{\"network\xc5\xbftate\": 2}", &st), 0);
	assert_int_equal(st.state, 2);
	assert_int_equal(parse("{\"networ\xe2\x84\xaaState\": 1}", &st), 0);
	assert_int_equal(st.state, 1);
	assert_int_equal(parse("{\"networkState\": 2, \"NETWORKSTATE\": null}", &st), 0);
	assert_int_equal(st.state, 2);
	assert_int_equal(parse("{\"networkState\": 1, \"NetworkState\": 2}", &st), 0);
	assert_int_equal(st.state, 2);
	assert_int_equal(parse("{\"networkStates\": 2}", &st), 0);
	assert_false(st.has_state);
	/* null is read as an empty entry: pending */
	assert_int_equal(parse("null", &st), 0);
	assert_true(st.is_null);
	assert_int_equal(st.state, 0);
	assert_int_equal(parse("{\"podIPs\": [null, \"x\"], \"iface\": null}", &st), 0);
	assert_int_equal(parse("{\"networkState\": -1}", &st), 0);
	assert_int_equal(st.state, -1);
	/* what makes Go's json.Unmarshal fail, and virt-handler with it */
	assert_int_equal(parse("{\"networkState\": 2.0}", &st), -EINVAL);
	assert_int_equal(parse("{\"networkState\": 2e0}", &st), -EINVAL);
	assert_int_equal(parse("{\"networkState\": \"2\"}", &st), -EINVAL);
	assert_int_equal(parse("{\"networkState\": 9223372036854775808}", &st), -EINVAL);
	assert_int_equal(parse("{\"networkState\": -9223372036854775808}", &st), 0);
	assert_int_equal(parse("{\"podIP\": 5}", &st), -EINVAL);
	assert_int_equal(parse("{\"podIPs\": [5]}", &st), -EINVAL);
	assert_int_equal(parse("{\"iface\": []}", &st), -EINVAL);
	/* torn */
	assert_int_equal(parse("{\"networkState\": 2} x", &st), -EBADMSG);
	assert_int_equal(parse("{\n  \"iface\": {\n    \"name\": \"vlan13\",\n    \"bri", &st), -EBADMSG);
	assert_int_equal(parse("", &st), -EBADMSG);
	assert_int_equal(parse("[]", &st), -EBADMSG);
	assert_int_equal(parse("2", &st), -EBADMSG);
	/* raw control bytes, which cJSON takes and Go refuses */
	assert_int_equal(parse("{\"podIP\": \"a\tb\"}", &st), -EBADMSG);
	assert_int_equal(vc_kvstate_parse("{\"networ\0kState\": 2}", 21, &st, NULL), -EBADMSG);
	assert_int_equal(vc_kvstate_parse("{}\0", 3, &st, NULL), -EBADMSG);
	assert_int_equal(parse("{\"podIP\":\n\t\"a\"\r\n}", &st), 0);
	/* numbers Go's scanner refuses, and cJSON's strtod takes */
	assert_int_equal(parse("{\"networkState\": 02}", &st), -EBADMSG);
	assert_int_equal(parse("{\"networkState\": +1}", &st), -EBADMSG);
	char *big = malloc(VC_KVSTATE_MAX + 2);
	memset(big, ' ', VC_KVSTATE_MAX + 1);
	big[VC_KVSTATE_MAX + 1] = '\0';
	big[0] = '{';
	big[VC_KVSTATE_MAX] = '}';
	assert_int_equal(parse(big, &st), -EFBIG);
	free(big);
	/* the binding, whichever key carries it */
	assert_int_equal(parse("{\"iface\": {\"name\": \"n\", \"masquerade\": {}}}", &st), 0);
	assert_string_equal(st.binding, "masquerade");
	assert_int_equal(parse("{\"iface\": {\"Name\": \"n\", \"PasstBinding\": {}, \"bridge\": null}}", &st), 0);
	assert_string_equal(st.binding, "passtBinding");
	assert_string_equal(st.iface_name, "n");
}

static void test_pid(void **state)
{
	(void)state;
	int pid = 0;
	assert_int_equal(vc_kvpod_parse_pid("1", &pid, NULL), 0);
	assert_int_equal(pid, 1);
	assert_int_equal(vc_kvpod_parse_pid("4194304", &pid, NULL), 0);
	const char *bad[] = { "", "0", "-1", "+1", "1x", " 1", "4194305", "99999999999999999999", "0x10" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(vc_kvpod_parse_pid(bad[i], &pid, NULL), -EINVAL);
}

static struct vc_route route(const char *dst, const char *gw)
{
	struct vc_route r = { 0 };
	assert_int_equal(np_prefix_parse(dst, false, &r.dst, NULL), 0);
	if (gw) {
		r.has_gw = true;
		assert_int_equal(np_ip_parse(gw, &r.gw, NULL), 0);
	}
	return r;
}

/* discoverbridge.go: Gateway from the first route, Routes without the
 * address's own network, no MAC without IPAM */
static void test_phase1_content(void **state)
{
	(void)state;
	static const uint8_t mac[6] = { 2, 0, 0, 0xaa, 0xbb, 0xcc };
	struct vc_kvpodnet n = { 0 };
	struct vc_record r;
	n.has_v4 = true;
	assert_int_equal(np_prefix_parse("10.13.0.5/24", false, &n.v4, NULL), 0);
	n.routes[n.n_routes++] = route("0.0.0.0/0", "10.13.0.1");
	n.routes[n.n_routes++] = route("10.13.0.0/24", NULL);
	n.routes[n.n_routes++] = route("10.13.0.0/16", NULL);
	n.routes[n.n_routes++] = route("192.168.50.0/24", "10.13.0.254");
	n.n_link_routes = n.n_routes;
	n.first_has_gw = true;
	n.first_gw = n.routes[0].gw;
	assert_int_equal(vc_kvpodnet_to_record(&n, "pod1", mac, &r, NULL), 0);
	assert_true(r.has_mac);
	assert_memory_equal(r.mac, mac, 6);
	assert_int_equal(r.n_ips, 1);
	assert_int_equal(r.n_gws, 1);
	assert_true(np_ip_equal(&r.gws[0], &n.routes[0].gw));
	assert_int_equal(r.n_routes, 3);
	assert_int_equal(r.routes[1].dst.len, 16);
	/* no route at all: phase 1 fails, and so does this */
	n.n_link_routes = n.n_routes = 0;
	assert_int_equal(vc_kvpodnet_to_record(&n, "pod1", mac, &r, NULL), -ENETUNREACH);
	/* no IPv4: IPAMDisabled, nothing else */
	n.has_v4 = false;
	assert_int_equal(vc_kvpodnet_to_record(&n, "pod1", mac, &r, NULL), 0);
	assert_false(r.has_mac);
	assert_int_equal(r.n_ips + r.n_gws + r.n_routes, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_go_file),
		cmocka_unit_test(test_reset_exact),
		cmocka_unit_test(test_go_reading),
		cmocka_unit_test(test_pid),
		cmocka_unit_test(test_phase1_content),
	};
	return cmocka_run_group_tests_name("KubeVirt state entry", tests, NULL, NULL);
}
