/* The plugin's pure code, without a kernel: which input wins for the MAC
 * and the IPs (the conventions' precedence), and a result printed in each
 * spec version with exactly the fields that version has. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "conf.h"
#include "result.h"

static int parse(const char *json, const char *args, struct cni_conf *c, struct cni_error *ce)
{
	struct cni_env env = { .cmd = CNI_ADD, .command = "ADD", .container_id = "c1",
			       .netns = "/run/netns/x", .ifname = "net1", .args = args };
	memset(ce, 0, sizeof(*ce));
	return cni_conf_parse(json, strlen(json), &env, c, ce);
}

static void mac_of(const struct cni_conf *c, char *buf)
{
	np_mac_str(c->mac, buf, NP_MAC_STRLEN);
}

static void test_mac_precedence(void **state)
{
	(void)state;
	/* runtimeConfig (capability) > args.cni > CNI_ARGS > the config's own */
	static const struct { const char *rc, *args, *cni_args, *conf, *want, *source; } cases[] = {
		{ "02:00:00:00:00:a1", "02:00:00:00:00:a2", "02:00:00:00:00:a3", "02:00:00:00:00:a4",
		  "02:00:00:00:00:a1", "runtimeConfig.mac" },
		{ NULL, "02:00:00:00:00:a2", "02:00:00:00:00:a3", "02:00:00:00:00:a4",
		  "02:00:00:00:00:a2", "args.cni.mac" },
		{ NULL, NULL, "02:00:00:00:00:a3", "02:00:00:00:00:a4", "02:00:00:00:00:a3", "CNI_ARGS MAC" },
		{ NULL, NULL, NULL, "02:00:00:00:00:a4", "02:00:00:00:00:a4", "config mac" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char json[512], args[128] = "", rc[96] = "", ac[96] = "", cm[64] = "";
		if (cases[i].rc)
			snprintf(rc, sizeof(rc), ",\"runtimeConfig\":{\"mac\":\"%s\"}", cases[i].rc);
		if (cases[i].args)
			snprintf(ac, sizeof(ac), ",\"args\":{\"cni\":{\"mac\":\"%s\"}}", cases[i].args);
		if (cases[i].conf)
			snprintf(cm, sizeof(cm), ",\"mac\":\"%s\"", cases[i].conf);
		if (cases[i].cni_args)
			snprintf(args, sizeof(args), "IgnoreUnknown=1;MAC=%s", cases[i].cni_args);
		snprintf(json, sizeof(json), "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"mignet-bridge\"%s%s%s}",
			 rc, ac, cm);
		struct cni_conf c;
		struct cni_error ce;
		assert_int_equal(parse(json, args[0] ? args : NULL, &c, &ce), 0);
		char got[NP_MAC_STRLEN];
		assert_true(c.has_mac);
		mac_of(&c, got);
		assert_string_equal(got, cases[i].want);
		assert_string_equal(c.mac_source, cases[i].source);
		cni_conf_free(&c);
	}
}

static void test_ips_precedence(void **state)
{
	(void)state;
	struct cni_conf c;
	struct cni_error ce;
	char buf[NP_PREFIX_STRLEN];
	/* runtimeConfig.ips wins over args.cni.ips and CNI_ARGS IP */
	assert_int_equal(parse("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"mignet-bridge\","
			       "\"runtimeConfig\":{\"ips\":[\"10.0.0.5/24\"]},\"args\":{\"cni\":{\"ips\":[\"10.0.0.6/24\"]}}}",
			       "IgnoreUnknown=1;IP=10.0.0.7/24", &c, &ce), 0);
	assert_int_equal(c.n_ips, 1);
	assert_string_equal(np_prefix_str(&c.ips[0], buf, sizeof(buf)), "10.0.0.5/24");
	assert_string_equal(c.ips_source, "runtimeConfig.ips");
	cni_conf_free(&c);
	/* CNI_ARGS IP is a comma list, as Multus joins it */
	assert_int_equal(parse("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"mignet-bridge\"}",
			       "IgnoreUnknown=1;IP=10.0.0.7/24,fd00::7/64", &c, &ce), 0);
	assert_int_equal(c.n_ips, 2);
	assert_string_equal(np_prefix_str(&c.ips[1], buf, sizeof(buf)), "fd00::7/64");
	assert_string_equal(c.ips_source, "CNI_ARGS IP");
	cni_conf_free(&c);
}

/* One result with every field a version might print. */
static cJSON *printed(const char *version)
{
	static const uint8_t mac[NP_MAC_LEN] = { 2, 0, 0, 0, 0, 1 };
	struct cni_result r;
	cni_result_init(&r);
	int i = cni_result_add_iface(&r, "net1", mac, "/run/netns/x");
	r.ifaces[i].mtu = 1400;
	snprintf(r.ifaces[i].pci_id, sizeof(r.ifaces[i].pci_id), "0000:03:02.1");
	np_prefix_parse("10.0.0.5/24", true, &r.ips[0].address, NULL);
	r.ips[0].iface = i;
	r.n_ips = 1;
	np_prefix_parse("0.0.0.0/0", false, &r.routes[0].dst, NULL);
	r.routes[0].scope = 0;
	r.routes[0].mtu = 1300;
	r.n_routes = 1;
	cJSON *o = cni_result_json(&r, version);
	cni_result_free(&r);
	return o;
}

static void test_result_versions(void **state)
{
	(void)state;
	static const struct { const char *v; bool ip_version, iface_mtu, route_extras; } cases[] = {
		{ "0.3.0", true, false, false }, { "0.3.1", true, false, false }, { "0.4.0", true, false, false },
		{ "1.0.0", false, false, false }, { "1.1.0", false, true, true },
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(*cases); k++) {
		cJSON *o = printed(cases[k].v);
		assert_string_equal(cJSON_GetObjectItem(o, "cniVersion")->valuestring, cases[k].v);
		const cJSON *ip = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "ips"), 0);
		const cJSON *iface = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "interfaces"), 0);
		const cJSON *rt = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "routes"), 0);
		if ((cJSON_GetObjectItem(ip, "version") != NULL) != cases[k].ip_version)
			fail_msg("%s: ips[].version %s", cases[k].v, cases[k].ip_version ? "missing" : "present");
		if ((cJSON_GetObjectItem(iface, "mtu") != NULL) != cases[k].iface_mtu ||
		    (cJSON_GetObjectItem(iface, "pciID") != NULL) != cases[k].iface_mtu)
			fail_msg("%s: interface mtu/pciID wrong", cases[k].v);
		if ((cJSON_GetObjectItem(rt, "mtu") != NULL) != cases[k].route_extras)
			fail_msg("%s: route mtu wrong", cases[k].v);
		assert_int_equal(cJSON_GetObjectItem(ip, "interface")->valueint, 0);
		cJSON_Delete(o);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mac_precedence),
		cmocka_unit_test(test_ips_precedence),
		cmocka_unit_test(test_result_versions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
