/* The mignet CNI plugin, executed as a runtime would, in namespaces: every
 * kind, command and spec version, the error table, rollback, GC, STATUS
 * and delegated IPAM. Kernel state is read back with iproute2. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "cnitest.h"
#include "nstest.h"

static char host[64], hpath[NST_PATH_MAX], ctr[64], cpath[NST_PATH_MAX];
static char plugin[256], datadir[256];
static const char *const versions[] = { "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0" };

static int setup(void **state)
{
	(void)state;
	nst_init();
	nst_netns_add("h", hpath, host);
	nst_netns_add("c", cpath, ctr);
	const char *build = getenv("MIGNET_BUILD");
	snprintf(plugin, sizeof(plugin), "%s/mignet-cni", build ? build : "build");
	const char *tmp = getenv("TMPDIR_BASE");
	snprintf(datadir, sizeof(datadir), "%s-cni-%s", tmp ? tmp : "/tmp/mignet-test", nst_prefix());
	mkdir(datadir, 0700);
	/* up0: the stand-in NIC macvlans hang off (MTU 1500) */
	return nst_sh("ip -n %1$s link add up0 type veth peer name up0p && ip -n %1$s link set up0 up &&"
		      "ip -n %1$s link set up0p up && ip -n %1$s addr add 192.168.9.2/24 dev up0 &&"
		      "ip -n %1$s route add default via 192.168.9.1", host);
}

static int teardown(void **state)
{
	(void)state;
	nst_netns_del(host);
	nst_netns_del(ctr);
	nst_sh("rm -rf %s", datadir);
	return 0;
}

static char *ipam(const char *net)
{
	return cni_conf("{\"type\":\"mignet-ipam\",\"dataDir\":\"%s\",\"ranges\":[[{\"subnet\":\"10.%d.0.0/24\"}],[{\"subnet\":\"fd%02x::/64\"}]],"
			"\"routes\":[{\"dst\":\"0.0.0.0/0\"}]}", datadir, (int)strlen(net) + 10, (unsigned)strlen(net));
}

static struct cni_call call(const char *cmd, const char *cid, const char *ifname)
{
	return (struct cni_call){ .host_ns = host, .plugin = plugin, .command = cmd,
				  .container_id = cid, .netns = cpath, .ifname = ifname };
}

static int leases(const char *net)
{
	char d[512];
	snprintf(d, sizeof(d), "%s/%s", datadir, net);
	return cni_count_leases(d);
}

static bool has_key(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k) != NULL;
}

/* The call runs before out is read (function arguments are unsequenced). */
#define assert_error(call, out, code, needle) do { int rc_ = (call); check_error(rc_, out, code, needle); } while (0)

static void check_error(int rc, cJSON *out, int code, const char *needle)
{
	assert_int_equal(rc, 1);
	assert_non_null(out);
	const cJSON *c = cJSON_GetObjectItem(out, "code"), *m = cJSON_GetObjectItem(out, "msg");
	if (!cJSON_IsNumber(c) || c->valueint != code || !cJSON_IsString(m) || !strstr(m->valuestring, needle))
		fail_msg("expected code %d with \"%s\", got: %s", code, needle, cJSON_PrintUnformatted(out));
}

/* ---- VERSION ---- */

static void test_version(void **state)
{
	(void)state;
	for (size_t i = 0; i < 5; i++) {
		struct cni_call c = { .host_ns = host, .plugin = plugin, .command = "VERSION" };
		char *conf = cni_conf("{\"cniVersion\":\"%s\"}", versions[i]);
		cJSON *out;
		assert_int_equal(cni_run(&c, conf, &out), 0);
		assert_string_equal(nst_str(out, "cniVersion"), versions[i]);
		assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(out, "supportedVersions")), 5);
		cJSON_Delete(out);
		free(conf);
	}
}

/* ---- every kind x every version ---- */

static void check_result_shape(const cJSON *out, const char *v, int ctr_idx,
			       const char *want_mac)
{
	bool v1 = strcmp(v, "1.0.0") >= 0, v11 = !strcmp(v, "1.1.0");
	assert_string_equal(nst_str(out, "cniVersion"), v);
	const cJSON *ifs = cJSON_GetObjectItem(out, "interfaces");
	const cJSON *ci = cJSON_GetArrayItem(ifs, ctr_idx);
	assert_string_equal(nst_str(ci, "name"), "net1");
	assert_string_equal(nst_str(ci, "sandbox"), cpath);
	assert_string_equal(nst_str(ci, "mac"), want_mac);
	assert_int_equal(has_key(ci, "mtu"), v11);
	const cJSON *ips = cJSON_GetObjectItem(out, "ips"), *ip;
	assert_int_equal(cJSON_GetArraySize(ips), 2);
	cJSON_ArrayForEach(ip, ips) {
		assert_int_equal(has_key(ip, "version"), !v1);
		assert_int_equal((int)nst_num(ip, "interface"), ctr_idx);
		assert_non_null(nst_str(ip, "gateway"));
	}
	assert_true(has_key(out, "dns"));
}

static void add_check_del(const char *kind, const char *extra, int ctr_idx)
{
	for (size_t i = 0; i < 5; i++) {
		const char *v = versions[i];
		char net[32], cid[32];
		snprintf(net, sizeof(net), "n-%s-%zu", kind, i);
		snprintf(cid, sizeof(cid), "%s%zu", kind, i);
		char *ip = ipam(net);
		char *conf = cni_conf("{\"cniVersion\":\"%s\",\"name\":\"%s\",\"type\":\"mignet-%s\",%s,"
				      "\"capabilities\":{\"mac\":true},\"runtimeConfig\":{\"mac\":\"02:00:00:00:%02zu:01\"},\"ipam\":%s}",
				      v, net, kind, extra, i, ip);
		struct cni_call c = call("ADD", cid, "net1");
		cJSON *out;
		int rc = cni_run(&c, conf, &out);
		if (rc)
			fail_msg("%s ADD %s: %s", kind, v, cJSON_PrintUnformatted(out));
		char mac[18];
		snprintf(mac, sizeof(mac), "02:00:00:00:%02zu:01", i);
		check_result_shape(out, v, ctr_idx, mac);
		/* kernel state, read independently */
		cJSON *l = nst_link(ctr, "net1");
		assert_non_null(l);
		assert_string_equal(nst_str(l, "address"), mac);
		assert_string_equal(nst_str(l, "linkinfo.info_kind"), !strcmp(kind, "bridge") ? "veth" : "macvlan");
		cJSON_Delete(l);
		cJSON *a = nst_json("ip -j -n %s addr show dev net1", ctr);
		char *s = cJSON_PrintUnformatted(a);
		assert_non_null(strstr(s, "\"local\":\"10."));
		assert_non_null(strstr(s, "\"local\":\"fd"));
		free(s);
		cJSON_Delete(a);
		assert_int_equal(leases(net), 3); /* v4, v6, owner index */
		/* announced on both families; IPv6 without DAD */
		assert_int_equal(nst_sh("ip netns exec %s sh -c 'cd /proc/sys/net; "
					"[ $(cat ipv4/conf/net1/arp_notify ipv6/conf/net1/ndisc_notify "
					"ipv6/conf/net1/accept_dad | tr -d \"\\n\") = 110 ]'", ctr), 0);

		if (strcmp(v, "0.4.0") >= 0) {
			cJSON *cj = cJSON_Parse(conf);
			cJSON_AddItemToObject(cj, "prevResult", cJSON_Duplicate(out, 1));
			char *cc = cJSON_PrintUnformatted(cj);
			struct cni_call k = call("CHECK", cid, "net1");
			cJSON *ko;
			rc = cni_run(&k, cc, &ko);
			if (rc)
				fail_msg("%s CHECK %s: %s", kind, v, cJSON_PrintUnformatted(ko));
			/* CHECK notices a removed address */
			assert_int_equal(nst_sh("ip -n %s addr flush dev net1 scope global", ctr), 0);
			rc = cni_run(&k, cc, &ko);
			assert_int_equal(rc, 1);
			assert_non_null(strstr(nst_str(ko, "msg"), "is missing from net1"));
			cJSON_Delete(ko);
			free(cc);
			cJSON_Delete(cj);
		} else {
			struct cni_call k = call("CHECK", cid, "net1");
			cJSON *ko;
			assert_error(cni_run(&k, conf, &ko), ko, 1, "does not allow CHECK");
			cJSON_Delete(ko);
		}
		struct cni_call d = call("DEL", cid, "net1");
		assert_int_equal(cni_run(&d, conf, NULL), 0);
		assert_null(nst_link(ctr, "net1"));
		assert_int_equal(leases(net), 0);
		assert_int_equal(cni_run(&d, conf, NULL), 0); /* idempotent */
		cJSON_Delete(out);
		free(conf);
		free(ip);
	}
}

static void test_macvlan_all_versions(void **state)
{
	(void)state;
	add_check_del("macvlan", "\"master\":\"up0\",\"mode\":\"bridge\"", 0);
}

static void test_bridge_all_versions(void **state)
{
	(void)state;
	add_check_del("bridge", "\"bridge\":\"mgbr0\",\"isGateway\":true", 2);
	/* the gateway landed on the bridge */
	cJSON *a = nst_json("ip -j -n %s addr show dev mgbr0", host);
	char *s = cJSON_PrintUnformatted(a);
	assert_non_null(strstr(s, "\"local\":\"10."));
	free(s);
	cJSON_Delete(a);
}

/* isGateway pins the bridge's MAC, as the reference does: a port with a
 * lower MAC joining later does not change the gateway's MAC. */
static void test_bridge_gateway_mac_pinned(void **state)
{
	(void)state;
	char *conf = cni_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"pin\",\"type\":\"mignet-bridge\","
			      "\"bridge\":\"mgbr9\",\"isGateway\":true,\"ipam\":{\"type\":\"mignet-ipam\","
			      "\"dataDir\":\"%s\",\"ranges\":[[{\"subnet\":\"10.78.0.0/24\"}]]}}", datadir);
	struct cni_call c = call("ADD", "pin1", "net1");
	cJSON *out;
	assert_int_equal(cni_run(&c, conf, &out), 0);
	cJSON *l = nst_link(host, "mgbr9");
	char mac[18];
	snprintf(mac, sizeof(mac), "%s", nst_str(l, "address"));
	cJSON_Delete(l);
	/* the result names the bridge with the MAC it has */
	assert_string_equal(nst_str(cJSON_GetArrayItem(cJSON_GetObjectItem(out, "interfaces"), 0), "mac"), mac);
	cJSON_Delete(out);
	assert_int_equal(nst_sh("ip -n %s link add pinlow address 02:00:00:00:00:01 type veth peer name pinlowp && "
				"ip -n %s link set pinlow master mgbr9 up", host, host), 0);
	l = nst_link(host, "mgbr9");
	assert_string_equal(nst_str(l, "address"), mac);
	cJSON_Delete(l);
	assert_int_equal(nst_sh("ip -n %s link del pinlow", host), 0);
	c.command = "DEL";
	assert_int_equal(cni_run(&c, conf, NULL), 0);
	free(conf);
}

/* An IPv4-only ADD writes only the IPv4 sysctl: the IPv6 ones keep the
 * kernel's defaults (each write is a /proc round trip on every ADD). */
static void test_ipv4_only_sysctls(void **state)
{
	(void)state;
	char *conf = cni_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"v4only\",\"type\":\"mignet-macvlan\","
			      "\"master\":\"up0\",\"ipam\":{\"type\":\"mignet-ipam\",\"dataDir\":\"%s\","
			      "\"ranges\":[[{\"subnet\":\"10.77.0.0/24\"}]]}}", datadir);
	struct cni_call c = call("ADD", "v4a", "net1");
	cJSON *out;
	assert_int_equal(cni_run(&c, conf, &out), 0);
	cJSON_Delete(out);
	assert_int_equal(nst_sh("ip netns exec %s sh -c 'cd /proc/sys/net; "
				"[ $(cat ipv4/conf/net1/arp_notify ipv6/conf/net1/ndisc_notify "
				"ipv6/conf/net1/accept_dad | tr -d \"\\n\") = 101 ]'", ctr), 0);
	c.command = "DEL";
	assert_int_equal(cni_run(&c, conf, NULL), 0);
	free(conf);
}

/* ---- L2 only, defaults, disableContainerInterface ---- */

static void test_l2_and_defaults(void **state)
{
	(void)state;
	/* no master: the host's default-route interface (up0) is used */
	char *conf = cni_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"l2\",\"type\":\"mignet-macvlan\",\"ipam\":{}}");
	struct cni_call c = call("ADD", "l2a", "net1");
	cJSON *out;
	assert_int_equal(cni_run(&c, conf, &out), 0);
	assert_false(has_key(out, "ips"));
	cJSON *l = nst_link(ctr, "net1");
	assert_string_equal(nst_str(l, "linkinfo.info_data.mode"), "bridge");
	const cJSON *f;
	bool up = false;
	cJSON_ArrayForEach(f, cJSON_GetObjectItem(l, "flags"))
		up |= !strcmp(f->valuestring, "UP");
	assert_true(up);
	int master_idx = (int)nst_num(l, "link_index");
	cJSON_Delete(l);
	cJSON *m = nst_link(host, "up0");
	assert_int_equal(master_idx, (int)nst_num(m, "ifindex"));
	cJSON_Delete(m);
	cJSON_Delete(out);
	c.command = "DEL";
	assert_int_equal(cni_run(&c, conf, NULL), 0);
	free(conf);

	/* bridge for a VM: pod end stays down even with IPAM */
	char *ip = ipam("vmnet");
	conf = cni_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"vmnet\",\"type\":\"mignet-bridge\",\"bridge\":\"mgbr1\","
			"\"disableContainerInterface\":true,\"ipam\":%s}", ip);
	c = call("ADD", "vm1", "net1");
	assert_int_equal(cni_run(&c, conf, &out), 0);
	l = nst_link(ctr, "net1");
	assert_string_equal(nst_str(l, "operstate"), "DOWN");
	cJSON_Delete(l);
	cJSON *a = nst_json("ip -j -n %s addr show dev net1", ctr);
	char *s = cJSON_PrintUnformatted(a);
	assert_non_null(strstr(s, "\"local\":\"10."));
	free(s);
	cJSON_Delete(a);
	/* the kernel refuses routes through a down link: the IPAM's default
	 * route is neither in the pod nor claimed by the result */
	a = nst_json("ip -j -n %s route show dev net1", ctr);
	assert_int_equal(cJSON_GetArraySize(a), 0);
	cJSON_Delete(a);
	assert_false(has_key(out, "routes"));
	cJSON_Delete(out);
	c.command = "DEL";
	assert_int_equal(cni_run(&c, conf, NULL), 0);
	free(conf);
	free(ip);
}

/* ---- MAC precedence ---- */

static void test_mac_precedence(void **state)
{
	(void)state;
	static const struct { const char *rc, *args_cni, *cni_args, *conf, *want; } cases[] = {
		{ "02:00:00:00:00:a1", "02:00:00:00:00:a2", "02:00:00:00:00:a3", "02:00:00:00:00:a4", "02:00:00:00:00:a1" },
		{ NULL, "02:00:00:00:00:a2", "02:00:00:00:00:a3", "02:00:00:00:00:a4", "02:00:00:00:00:a2" },
		{ NULL, NULL, "02:00:00:00:00:a3", "02:00:00:00:00:a4", "02:00:00:00:00:a3" },
		{ NULL, NULL, NULL, "02:00:00:00:00:a4", "02:00:00:00:00:a4" },
	};
	for (size_t i = 0; i < 4; i++) {
		char rt[80] = "", ac[80] = "", cm[64] = "", args[128] = "IgnoreUnknown=true;K8S_POD_NAME=virt-launcher-x";
		if (cases[i].rc)
			snprintf(rt, sizeof(rt), ",\"runtimeConfig\":{\"mac\":\"%s\"}", cases[i].rc);
		if (cases[i].args_cni)
			snprintf(ac, sizeof(ac), ",\"args\":{\"cni\":{\"mac\":\"%s\"}}", cases[i].args_cni);
		if (cases[i].cni_args)
			snprintf(args + strlen(args), sizeof(args) - strlen(args), ";MAC=%s", cases[i].cni_args);
		snprintf(cm, sizeof(cm), ",\"mac\":\"%s\"", cases[i].conf);
		char *conf = cni_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"macp\",\"type\":\"mignet-macvlan\",\"master\":\"up0\"%s%s%s}",
				      rt, ac, cm);
		struct cni_call c = call("ADD", "macp", "net1");
		c.args = args;
		cJSON *out;
		assert_int_equal(cni_run(&c, conf, &out), 0);
		cJSON *l = nst_link(ctr, "net1");
		assert_string_equal(nst_str(l, "address"), cases[i].want);
		cJSON_Delete(l);
		cJSON_Delete(out);
		c.command = "DEL";
		assert_int_equal(cni_run(&c, conf, NULL), 0);
		free(conf);
	}
}

/* ---- error table ---- */

static void test_errors(void **state)
{
	(void)state;
	cJSON *out;
	struct cni_call c = call("ADD", "err1", "net1");
	assert_error(cni_run(&c, "{\"cniVersion\": ", &out), out, 6, "invalid JSON");
	cJSON_Delete(out);
	assert_error(cni_run(&c, "{\"cniVersion\":\"9.9.9\",\"name\":\"x\",\"type\":\"mignet-macvlan\"}", &out), out, 1,
		     "incompatible CNI versions");
	cJSON_Delete(out);
	const char *good = "{\"cniVersion\":\"1.0.0\",\"name\":\"errnet\",\"type\":\"mignet-macvlan\",\"master\":\"up0\"}";
	struct cni_call m = call("ADD", NULL, "net1");
	assert_error(cni_run(&m, good, &out), out, 4, "[CNI_CONTAINERID] missing");
	cJSON_Delete(out);
	m = call("ADD", "x", NULL);
	m.netns = NULL;
	assert_error(cni_run(&m, good, &out), out, 4, "[CNI_NETNS CNI_IFNAME] missing");
	cJSON_Delete(out);
	assert_error(cni_run(&c, "{\"cniVersion\":\"1.0.0\",\"name\":\"e\",\"type\":\"mignet-macvlan\",\"mtu\":\"big\"}", &out),
		     out, 7, "\"mtu\" must be a number, not a string");
	cJSON_Delete(out);
	assert_error(cni_run(&c, "{\"cniVersion\":\"1.0.0\",\"name\":\"e\",\"type\":\"mignet-macvlan\",\"mode\":\"weird\"}", &out),
		     out, 7, "macvlan mode \"weird\" is unknown");
	cJSON_Delete(out);
	assert_error(cni_run(&c, "{\"cniVersion\":\"1.0.0\",\"name\":\"e\",\"type\":\"mignet-macvlan\",\"master\":\"up0\",\"mtu\":9000}", &out),
		     out, 7, "\"mtu\" 9000 is above master \"up0\"'s MTU 1500");
	cJSON_Delete(out);
	assert_error(cni_run(&c, "{\"cniVersion\":\"1.0.0\",\"name\":\"e\",\"type\":\"mignet-macvlan\",\"master\":\"nomaster\"}", &out),
		     out, 7, "macvlan master \"nomaster\" not found");
	cJSON_Delete(out);
	assert_error(cni_run(&c, "{\"cniVersion\":\"1.0.0\",\"name\":\"e\",\"type\":\"mignet-bridge\",\"ipMasq\":true}", &out),
		     out, 2, "\"ipMasq\": true");
	cJSON_Delete(out);
	/* interface name taken */
	assert_int_equal(nst_sh("ip -n %s link add net1 type veth peer name net1p", ctr), 0);
	assert_error(cni_run(&c, good, &out), out, 999, "interface \"net1\" already exists");
	cJSON_Delete(out);
	/* the same through a bridge, whose new bridge is rolled back */
	char *taken_br = cni_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"e\",\"type\":\"mignet-bridge\","
				  "\"bridge\":\"mgbrtaken\"}");
	assert_error(cni_run(&c, taken_br, &out), out, 999, "interface \"net1\" already exists");
	cJSON_Delete(out);
	assert_null(nst_link(host, "mgbrtaken"));
	free(taken_br);
	assert_int_equal(nst_sh("ip -n %s link del net1", ctr), 0);
	/* unknown CNI_ARGS key without IgnoreUnknown */
	c.args = "FOO=bar";
	assert_error(cni_run(&c, good, &out), out, 4, "unknown key \"FOO\"");
	cJSON_Delete(out);
	c.args = NULL;
	/* missing netns */
	c.netns = "/run/netns/mignet-test-does-not-exist";
	assert_error(cni_run(&c, good, &out), out, 3, "does not exist");
	cJSON_Delete(out);
}

static void test_hostile_names(void **state)
{
	(void)state;
	char *ip = ipam("hostile");
	char *conf = cni_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"hostile\",\"type\":\"mignet-macvlan\",\"master\":\"up0\",\"ipam\":%s}", ip);
	int before = nst_sh("test -e %s/../etc", datadir);
	static const char *const ids[] = { "../../etc", "a/b", "a\x01", "-x" };
	cJSON *out;
	for (size_t i = 0; i < 4; i++) {
		struct cni_call c = call("ADD", ids[i], "net1");
		assert_error(cni_run(&c, conf, &out), out, 4, "CNI_CONTAINERID");
		cJSON_Delete(out);
	}
	char longid[300];
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	struct cni_call c = call("ADD", longid, "net1");
	assert_error(cni_run(&c, conf, &out), out, 4, "too long");
	cJSON_Delete(out);
	static const char *const ifs[] = { "../x", "a/b", "waytoolonginterface", "et\nh0", ".." };
	for (size_t i = 0; i < 5; i++) {
		c = call("ADD", "ok1", ifs[i]);
		assert_error(cni_run(&c, conf, &out), out, 4, "CNI_IFNAME");
		cJSON_Delete(out);
	}
	/* the longest valid container ID still gets (and releases) a lease:
	 * its owner index file name is hashed to fit NAME_MAX */
	longid[255] = '\0';
	c = call("ADD", longid, "net1");
	assert_int_equal(cni_run(&c, conf, &out), 0);
	cJSON_Delete(out);
	assert_int_equal(leases("hostile"), 3);
	c.command = "DEL";
	assert_int_equal(cni_run(&c, conf, NULL), 0);
	assert_int_equal(leases("hostile"), 0);
	c = call("ADD", "ok1", "net1");
	char *bad = cni_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"../../etc\",\"type\":\"mignet-macvlan\",\"master\":\"up0\",\"ipam\":%s}", ip);
	assert_error(cni_run(&c, bad, &out), out, 7, "network name");
	cJSON_Delete(out);
	free(bad);
	assert_int_equal(nst_sh("test -e %s/../etc", datadir), before);
	assert_int_equal(leases("hostile"), 0);
	assert_null(nst_link(ctr, "net1"));
	free(conf);
	free(ip);
}

/* ---- rollback, DEL edge cases ---- */

static void test_rollback_and_del(void **state)
{
	(void)state;
	char *ip = ipam("rb");
	char *conf = cni_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"rb\",\"type\":\"mignet-macvlan\",\"master\":\"up0\",\"ipam\":%s}", ip);
	struct cni_call c = call("ADD", "rb1", "net1");
	cJSON *out;
	assert_int_equal(cni_run(&c, conf, &out), 0);
	cJSON_Delete(out);
	/* the second attachment asks for the IP the first one holds: IPAM
	 * fails after the link exists; both must be rolled back */
	const char *taken = "10.12.0.2/24";
	c = call("ADD", "rb2", "net2");
	char args[64];
	snprintf(args, sizeof(args), "IgnoreUnknown=1;IP=%s", taken);
	c.args = args;
	assert_error(cni_run(&c, conf, &out), out, 999, "already allocated");
	cJSON_Delete(out);
	assert_null(nst_link(ctr, "net2"));
	assert_int_equal(leases("rb"), 3);
	cJSON *tmp = nst_json("ip -j -n %s link show", ctr);
	char *s = cJSON_PrintUnformatted(tmp);
	assert_null(strstr(s, "mvt")); /* no temporary link left */
	free(s);
	cJSON_Delete(tmp);

	/* DEL with the netns gone still releases the lease */
	c = call("DEL", "rb1", "net1");
	c.netns = "/run/netns/mignet-test-gone";
	assert_int_equal(cni_run(&c, conf, NULL), 0);
	assert_int_equal(leases("rb"), 0);
	c = call("DEL", "rb1", "net1");
	assert_int_equal(cni_run(&c, conf, NULL), 0);
	assert_null(nst_link(ctr, "net1"));

	/* DEL with the master gone (E.1: stuck Terminating pods) */
	assert_int_equal(nst_sh("ip -n %1$s link add up9 type veth peer name up9p && ip -n %1$s link set up9 up", host), 0);
	char *conf9 = cni_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"rb\",\"type\":\"mignet-macvlan\",\"master\":\"up9\",\"ipam\":%s}", ip);
	c = call("ADD", "rb9", "net9");
	assert_int_equal(cni_run(&c, conf9, &out), 0);
	cJSON_Delete(out);
	assert_int_equal(nst_sh("ip -n %s link del up9", host), 0);
	c.command = "DEL";
	assert_int_equal(cni_run(&c, conf9, NULL), 0);
	assert_int_equal(leases("rb"), 0);
	assert_null(nst_link(ctr, "net9"));
	free(conf9);
	free(conf);
	free(ip);
}

/* ---- GC and STATUS ---- */

static void test_gc(void **state)
{
	(void)state;
	static const char *const keys[] = { "cni.dev/valid-attachments", "cni.dev/attachments" };
	for (int k = 0; k < 2; k++) {
		char *ip = ipam("gcnet");
		char *conf = cni_conf("{\"cniVersion\":\"1.1.0\",\"name\":\"gcnet\",\"type\":\"mignet-macvlan\",\"master\":\"up0\",\"ipam\":%s}", ip);
		cJSON *out;
		struct cni_call a = call("ADD", "keep", "net1"), b = call("ADD", "stale", "net2");
		assert_int_equal(cni_run(&a, conf, &out), 0);
		cJSON_Delete(out);
		assert_int_equal(cni_run(&b, conf, &out), 0);
		cJSON_Delete(out);
		assert_int_equal(leases("gcnet"), 6);
		char *gc = cni_conf("{\"cniVersion\":\"1.1.0\",\"name\":\"gcnet\",\"type\":\"mignet-macvlan\",\"master\":\"up0\",\"ipam\":%s,"
				    "\"%s\":[{\"containerID\":\"keep\",\"ifname\":\"net1\"}]}", ip, keys[k]);
		struct cni_call g = { .host_ns = host, .plugin = plugin, .command = "GC" };
		assert_int_equal(cni_run(&g, gc, &out), 0);
		assert_null(out);
		assert_int_equal(leases("gcnet"), 3);
		a.command = b.command = "DEL";
		assert_int_equal(cni_run(&a, conf, NULL), 0);
		assert_int_equal(cni_run(&b, conf, NULL), 0);
		assert_int_equal(leases("gcnet"), 0);
		/* GC below 1.1.0 is refused */
		char *old = cni_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"gcnet\",\"type\":\"mignet-macvlan\",\"ipam\":%s,\"%s\":[]}", ip, keys[k]);
		assert_error(cni_run(&g, old, &out), out, 1, "does not allow GC");
		cJSON_Delete(out);
		free(old);
		free(gc);
		free(conf);
		free(ip);
	}
}

static void test_status(void **state)
{
	(void)state;
	struct cni_call s = { .host_ns = host, .plugin = plugin, .command = "STATUS" };
	cJSON *out;
	char *ip = ipam("st");
	char *ok = cni_conf("{\"cniVersion\":\"1.1.0\",\"name\":\"st\",\"type\":\"mignet-macvlan\",\"master\":\"up0\",\"ipam\":%s}", ip);
	assert_int_equal(cni_run(&s, ok, &out), 0);
	free(ok);
	char *nomaster = cni_conf("{\"cniVersion\":\"1.1.0\",\"name\":\"st\",\"type\":\"mignet-macvlan\",\"master\":\"gone0\"}");
	assert_error(cni_run(&s, nomaster, &out), out, 50, "macvlan master \"gone0\" is not available");
	cJSON_Delete(out);
	free(nomaster);
	char *nobr = cni_conf("{\"cniVersion\":\"1.1.0\",\"name\":\"st\",\"type\":\"mignet-bridge\",\"bridge\":\"nobr0\"}");
	assert_error(cni_run(&s, nobr, &out), out, 50, "bridge \"nobr0\" is not available");
	cJSON_Delete(out);
	free(nobr);
	char *badstore = cni_conf("{\"cniVersion\":\"1.1.0\",\"name\":\"st\",\"type\":\"mignet-macvlan\",\"master\":\"up0\","
				  "\"ipam\":{\"type\":\"mignet-ipam\",\"dataDir\":\"/proc/version\",\"subnet\":\"10.99.0.0/24\"}}");
	assert_error(cni_run(&s, badstore, &out), out, 50, "mignet-ipam store unusable");
	cJSON_Delete(out);
	free(badstore);
	char *old = cni_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"st\",\"type\":\"mignet-macvlan\"}");
	assert_error(cni_run(&s, old, &out), out, 1, "does not allow STATUS");
	cJSON_Delete(out);
	free(old);
	free(ip);
}

/* ---- delegated IPAM (Debian's host-local) and mignet-ipam for others ---- */

static void test_delegated_host_local(void **state)
{
	(void)state;
	char *conf = cni_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"hl\",\"type\":\"mignet-macvlan\",\"master\":\"up0\","
			      "\"ipam\":{\"type\":\"host-local\",\"subnet\":\"10.44.0.0/24\",\"dataDir\":\"%s\"}}", datadir);
	struct cni_call c = call("ADD", "hl1", "net1");
	cJSON *out;
	int rc = cni_run(&c, conf, &out);
	if (rc)
		fail_msg("ADD with host-local: %s", cJSON_PrintUnformatted(out));
	assert_string_equal(nst_str(cJSON_GetArrayItem(cJSON_GetObjectItem(out, "ips"), 0), "address"), "10.44.0.2/24");
	cJSON_Delete(out);
	assert_int_equal(nst_sh("test -f %s/hl/10.44.0.2", datadir), 0);
	c.command = "DEL";
	assert_int_equal(cni_run(&c, conf, NULL), 0);
	assert_int_equal(nst_sh("test -f %s/hl/10.44.0.2", datadir), 1);
	free(conf);
	/* a missing delegated plugin is a clear error and leaves no link */
	conf = cni_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"hl\",\"type\":\"mignet-macvlan\",\"master\":\"up0\",\"ipam\":{\"type\":\"nosuch-ipam\"}}");
	c = call("ADD", "hl2", "net1");
	assert_error(cni_run(&c, conf, &out), out, 7, "failed to find plugin \"nosuch-ipam\"");
	cJSON_Delete(out);
	assert_null(nst_link(ctr, "net1"));
	free(conf);
}

static void test_mignet_ipam_under_reference_macvlan(void **state)
{
	(void)state;
	/* Debian's macvlan executes mignet-ipam found in CNI_PATH */
	char path[600];
	const char *build = getenv("MIGNET_BUILD");
	snprintf(path, sizeof(path), "%s:/usr/lib/cni", build ? build : "build");
	char *conf = cni_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"refm\",\"type\":\"macvlan\",\"master\":\"up0\","
			      "\"ipam\":{\"type\":\"mignet-ipam\",\"dataDir\":\"%s\",\"subnet\":\"10.45.0.0/24\"}}", datadir);
	struct cni_call c = call("ADD", "ref1", "net1");
	c.plugin = "/usr/lib/cni/macvlan";
	c.path = path;
	cJSON *out;
	int rc = cni_run(&c, conf, &out);
	if (rc)
		fail_msg("reference macvlan + mignet-ipam: %s", cJSON_PrintUnformatted(out));
	assert_string_equal(nst_str(cJSON_GetArrayItem(cJSON_GetObjectItem(out, "ips"), 0), "address"), "10.45.0.2/24");
	cJSON_Delete(out);
	assert_int_equal(leases("refm"), 2);
	c.command = "DEL";
	assert_int_equal(cni_run(&c, conf, NULL), 0);
	assert_int_equal(leases("refm"), 0);
	free(conf);
}

/* ---- SR-IOV and VLANs: what this machine can and cannot run ---- */

static void test_sriov_without_hardware(void **state)
{
	(void)state;
	/* A fake sysfs tree maps VF 0000:03:02.1 to PF "up0", a veth: the
	 * whole ADD path runs until the kernel refuses VF settings. */
	char sys[400];
	snprintf(sys, sizeof(sys), "%s/sys", datadir);
	assert_int_equal(nst_sh("d=%1$s/devices/pci0000:00 && mkdir -p $d/0000:03:00.0/net/up0 $d/0000:03:02.1 %1$s/bus/pci/devices &&"
				"ln -s ../0000:03:02.1 $d/0000:03:00.0/virtfn1 && ln -s ../0000:03:00.0 $d/0000:03:02.1/physfn &&"
				"ln -s ../../../devices/pci0000:00/0000:03:00.0 %1$s/bus/pci/devices/0000:03:00.0 &&"
				"ln -s ../../../devices/pci0000:00/0000:03:02.1 %1$s/bus/pci/devices/0000:03:02.1", sys), 0);
	char *ip = ipam("sriovnet");
	char *conf = cni_conf("{\"cniVersion\":\"1.1.0\",\"name\":\"sriovnet\",\"type\":\"mignet-sriov\",\"sysfsRoot\":\"%s\","
			      "\"dataDir\":\"%s/sriov-state\",\"vlan\":13,\"spoofchk\":\"on\",\"trust\":\"off\","
			      "\"runtimeConfig\":{\"deviceID\":\"0000:03:02.1\",\"mac\":\"02:00:00:00:13:01\"},\"ipam\":%s}",
			      sys, datadir, ip);
	struct cni_call c = call("ADD", "vm-sriov", "net1");
	cJSON *out;
	assert_error(cni_run(&c, conf, &out), out, 999, "PF \"up0\" reports no VF 1");
	cJSON_Delete(out);
	assert_int_equal(leases("sriovnet"), 0);
	char *state_dir = cni_conf("%s/sriov-state", datadir);
	assert_int_equal(cni_count_leases(state_dir), 0); /* no saved VF state left */
	free(state_dir);
	/* bad deviceID values never reach sysfs */
	char *bad = cni_conf("{\"cniVersion\":\"1.1.0\",\"name\":\"sriovnet\",\"type\":\"mignet-sriov\",\"sysfsRoot\":\"%s\","
			     "\"runtimeConfig\":{\"deviceID\":\"../../etc\"}}", sys);
	assert_error(cni_run(&c, bad, &out), out, 7, "is not of the form 0000:03:02.1");
	cJSON_Delete(out);
	free(bad);
	bad = cni_conf("{\"cniVersion\":\"1.1.0\",\"name\":\"sriovnet\",\"type\":\"mignet-sriov\"}");
	assert_error(cni_run(&c, bad, &out), out, 7, "no \"deviceID\"");
	cJSON_Delete(out);
	free(bad);
	/* DEL of an attachment that never got state succeeds */
	c.command = "DEL";
	assert_int_equal(cni_run(&c, conf, NULL), 0);
	print_message("SR-IOV: no SR-IOV NIC on this machine, so the success path of "
		      "test_sriov_without_hardware did not run; VF messages are checked byte by byte "
		      "in tests/unit/test_sriov\n");
	free(conf);
	free(ip);
}

static void test_bridge_vlan(void **state)
{
	(void)state;
	bool filtering = nst_sh("ip -n %s link add vfprobe type bridge vlan_filtering 1 2>/dev/null", host) == 0;
	nst_sh("ip -n %s link del vfprobe 2>/dev/null", host);
	char *conf = cni_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"vl\",\"type\":\"mignet-bridge\",\"bridge\":\"vlbr0\",\"vlan\":13}");
	struct cni_call c = call("ADD", "vl1", "net1");
	cJSON *out;
	int rc = cni_run(&c, conf, &out);
	if (filtering) {
		assert_int_equal(rc, 0);
		cJSON *v = nst_json("bridge -n %s -j vlan show", host);
		char *s = cJSON_PrintUnformatted(v);
		assert_non_null(strstr(s, "\"vlan\":13"));
		free(s);
		cJSON_Delete(v);
		c.command = "DEL";
		assert_int_equal(cni_run(&c, conf, NULL), 0);
	} else {
		assert_error(rc, out, 7, "VLAN filtering is not available on this kernel");
		assert_null(nst_link(ctr, "net1"));
		assert_null(nst_link(host, "vlbr0")); /* the bridge it made is rolled back too */
		print_message("bridge VLAN: this kernel has no bridge VLAN filtering, so test_bridge_vlan "
			      "checked only the clear error; the VLAN messages are checked byte by byte in "
			      "tests/unit/test_sriov\n");
	}
	cJSON_Delete(out);
	free(conf);
}

static void test_log_file_and_vm_identity(void **state)
{
	(void)state;
	char *log = cni_conf("%s/cni.log", datadir);
	char *conf = cni_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"lg\",\"type\":\"mignet-macvlan\",\"master\":\"up0\","
			      "\"logFile\":\"%s\",\"vifCacheDir\":\"%s/vifcache\",\"capabilities\":{\"io.kubernetes.cri.pod-annotations\":true},"
			      "\"runtimeConfig\":{\"io.kubernetes.cri.pod-annotations\":{\"kubevirt.io/domain\":\"vm-a\"}}}", log, datadir);
	struct cni_call c = call("ADD", "lg1", "net1");
	c.args = "IgnoreUnknown=1;K8S_POD_NAMESPACE=prod;K8S_POD_NAME=virt-launcher-vm-a-x";
	cJSON *out;
	assert_int_equal(cni_run(&c, conf, &out), 0);
	cJSON_Delete(out);
	c.command = "DEL";
	assert_int_equal(cni_run(&c, conf, NULL), 0);
	assert_int_equal(nst_sh("grep -q 'mignet-cni ADD lg1/net1: ok' %1$s && grep -q 'mignet-cni DEL lg1/net1: ok' %1$s", log), 0);
	free(conf);
	/* errors go there too, not only to stderr */
	conf = cni_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"lg\",\"type\":\"mignet-macvlan\",\"master\":\"nope0\",\"logFile\":\"%s\"}", log);
	c.command = "ADD";
	assert_int_equal(cni_run(&c, conf, &out), 1);
	cJSON_Delete(out);
	assert_int_equal(nst_sh("grep -q 'ADD lg1/net1: macvlan master \"nope0\" not found' %s", log), 0);
	free(conf);
	/* a hostile VM name in the annotations is refused */
	conf = cni_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"lg\",\"type\":\"mignet-macvlan\",\"master\":\"up0\","
			"\"runtimeConfig\":{\"io.kubernetes.cri.pod-annotations\":{\"kubevirt.io/domain\":\"../../x\"}}}");
	assert_error(cni_run(&c, conf, &out), out, 7, "pod annotation kubevirt.io/domain \"../../x\" is not a valid Kubernetes name");
	cJSON_Delete(out);
	free(conf);
	free(log);
}

/* Sticky leases: a migration target on the same node shares the VM's
 * address; whichever pod goes first, the address stays with the other. */
static void test_sticky_same_node(void **state)
{
	(void)state;
	char c2[64], c2path[NST_PATH_MAX];
	nst_netns_add("c2", c2path, c2);
	char *ipam_sticky = cni_conf("{\"type\":\"mignet-ipam\",\"sticky\":true,\"dataDir\":\"%s\","
				     "\"ranges\":[[{\"subnet\":\"10.60.0.0/24\"}]]}", datadir);
	/* each pod has a vif-cache of its own, so only stickiness can give the
	 * target the VM's address */
	char *src_conf = cni_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"sticky\",\"type\":\"mignet-macvlan\",\"master\":\"up0\","
				  "\"vifCacheDir\":\"%s/vc-src\",\"runtimeConfig\":{\"io.kubernetes.cri.pod-annotations\":"
				  "{\"kubevirt.io/domain\":\"vm-s\"}},\"ipam\":%s}", datadir, ipam_sticky);
	char *tgt_conf = cni_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"sticky\",\"type\":\"mignet-macvlan\",\"master\":\"up0\","
				  "\"vifCacheDir\":\"%s/vc-tgt\",\"runtimeConfig\":{\"io.kubernetes.cri.pod-annotations\":"
				  "{\"kubevirt.io/domain\":\"vm-s\"}},\"ipam\":%s}", datadir, ipam_sticky);
	char *other = cni_conf("{\"cniVersion\":\"1.0.0\",\"name\":\"sticky\",\"type\":\"mignet-macvlan\",\"master\":\"up0\","
			       "\"ipam\":%s}", ipam_sticky);
	const char *args = "IgnoreUnknown=1;K8S_POD_NAMESPACE=prod";
	for (int order = 0; order < 2; order++) {
		struct cni_call src = call("ADD", "src1", "net1"), tgt = call("ADD", "tgt1", "net1");
		src.args = tgt.args = args;
		tgt.netns = c2path;
		cJSON *a, *b;
		assert_int_equal(cni_run(&src, src_conf, &a), 0);
		int rc = cni_run(&tgt, tgt_conf, &b);
		if (rc)
			fail_msg("target ADD: %s", cJSON_PrintUnformatted(b));
		const char *ipa = nst_str(cJSON_GetArrayItem(cJSON_GetObjectItem(a, "ips"), 0), "address");
		const char *ipb = nst_str(cJSON_GetArrayItem(cJSON_GetObjectItem(b, "ips"), 0), "address");
		assert_string_equal(ipa, ipb);
		/* a pod of another VM can neither get nor take it */
		struct cni_call o = call("ADD", "other1", "net7");
		cJSON *oc;
		assert_int_equal(cni_run(&o, other, &oc), 0);
		assert_string_not_equal(nst_str(cJSON_GetArrayItem(cJSON_GetObjectItem(oc, "ips"), 0), "address"), ipa);
		cJSON_Delete(oc);
		o.command = "DEL";
		assert_int_equal(cni_run(&o, other, NULL), 0);
		char lease[300];
		snprintf(lease, sizeof(lease), "%s/sticky/%.*s", datadir, (int)strcspn(ipa, "/"), ipa);
		/* order 0: the migration succeeded (source goes first);
		 * order 1: it failed (target goes first) */
		struct cni_call *first = order == 0 ? &src : &tgt, *second = order == 0 ? &tgt : &src;
		const char *first_conf = order == 0 ? src_conf : tgt_conf, *second_conf = order == 0 ? tgt_conf : src_conf;
		first->command = second->command = "DEL";
		assert_int_equal(cni_run(first, first_conf, NULL), 0);
		if (nst_sh("grep -q '%s' %s", second->container_id, lease) != 0)
			fail_msg("order %d: after %s's DEL the lease %s is not %s's", order, first->container_id, lease,
				 second->container_id);
		assert_int_equal(cni_run(second, second_conf, NULL), 0);
		assert_int_equal(nst_sh("test -e %s", lease), 1);
		cJSON_Delete(a);
		cJSON_Delete(b);
	}
	assert_int_equal(leases("sticky"), 0);
	free(other);
	free(src_conf);
	free(tgt_conf);
	free(ipam_sticky);
	nst_netns_del(c2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_macvlan_all_versions),
		cmocka_unit_test(test_bridge_all_versions),
		cmocka_unit_test(test_bridge_gateway_mac_pinned),
		cmocka_unit_test(test_ipv4_only_sysctls),
		cmocka_unit_test(test_l2_and_defaults),
		cmocka_unit_test(test_mac_precedence),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_rollback_and_del),
		cmocka_unit_test(test_gc),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_delegated_host_local),
		cmocka_unit_test(test_mignet_ipam_under_reference_macvlan),
		cmocka_unit_test(test_sriov_without_hardware),
		cmocka_unit_test(test_bridge_vlan),
		cmocka_unit_test(test_log_file_and_vm_identity),
		cmocka_unit_test(test_sticky_same_node),
	};
	return cmocka_run_group_tests_name("CNI plugin", tests, setup, teardown);
}
