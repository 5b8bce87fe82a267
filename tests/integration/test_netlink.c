/* Every primitive of the netlink core against the real kernel, inside
 * namespaces made for this run. State is read back with iproute2, not with
 * the code under test. */
#include <errno.h>
#include <linux/ip.h>
#include <linux/if_addr.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "addr.h"
#include "link.h"
#include "netns.h"
#include "nl.h"
#include "nstest.h"
#include "route.h"
#include "sriov.h"
#include "sysctl.h"

static char path_a[NST_PATH_MAX], ns_a[64];
static char path_b[NST_PATH_MAX], ns_b[64];

static int group_setup(void **state)
{
	(void)state;
	nst_init();
	nst_netns_add("a", path_a, ns_a);
	nst_netns_add("b", path_b, ns_b);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	nst_netns_del(ns_a);
	nst_netns_del(ns_b);
	return 0;
}

static struct np_nl *open_in(const char *path)
{
	struct np_nl *nl = malloc(sizeof(*nl));
	struct np_err e = { 0 };
	assert_non_null(nl);
	if (np_nl_open(nl, path, &e) < 0)
		fail_msg("np_nl_open: %s", e.msg);
	return nl;
}

static void close_nl(struct np_nl *nl)
{
	np_nl_close(nl);
	free(nl);
}

#define assert_ok(expr, e) do { if ((expr) < 0) fail_msg("%s: %s", #expr, (e).msg); } while (0)
#define assert_msg_has(e, s) do { if (!strstr((e).msg, (s))) fail_msg("error \"%s\" lacks \"%s\"", (e).msg, (s)); } while (0)

static const uint8_t mac1[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

static void veth_pair(struct np_nl *nl, const char *self, const char *peer,
		      const char *peer_ns)
{
	struct np_err e = { 0 };
	struct np_link_attrs a = { .name = self, .up = true };
	struct np_link_attrs p = { .name = peer, .netns = peer_ns, .up = true };
	assert_ok(np_link_create_veth(nl, &a, &p, &e), e);
}

/* ---- netns ---- */

static int fail_inside(void *arg, struct np_err *e)
{
	*(unsigned long *)arg = nst_self_netns_inode();
	return np_errmsg(e, -EIO, "inner failure");
}

static void test_netns_restored_on_error(void **state)
{
	(void)state;
	unsigned long before = nst_self_netns_inode(), inside = 0;
	struct np_err e = { 0 };
	assert_int_equal(np_netns_run(path_a, fail_inside, &inside, &e), -EIO);
	assert_string_equal(e.msg, "inner failure");
	assert_int_not_equal(inside, before);
	assert_int_equal(nst_self_netns_inode(), before);
}

static void test_netns_bad_paths(void **state)
{
	(void)state;
	unsigned long before = nst_self_netns_inode(), inside = 0;
	struct np_err e = { 0 };
	assert_int_equal(np_netns_run("/run/netns/mignet-no-such-ns", fail_inside, &inside, &e), -ENOENT);
	assert_msg_has(e, "netns /run/netns/mignet-no-such-ns: cannot open");
	assert_msg_has(e, "No such file or directory");
	assert_int_equal(inside, 0);

	np_err_clear(&e);
	assert_int_equal(np_netns_run("/proc/self/ns/uts", fail_inside, &inside, &e), -EINVAL);
	assert_msg_has(e, "not a network namespace");
	np_err_clear(&e);
	assert_int_equal(np_netns_open("/etc/hostname", &e), -EINVAL);
	assert_msg_has(e, "netns /etc/hostname: not a network namespace");
	assert_int_equal(nst_self_netns_inode(), before);

	struct np_nl nl;
	np_err_clear(&e);
	assert_true(np_nl_open(&nl, "/nonexistent/ns", &e) < 0);
	assert_msg_has(e, "netns /nonexistent/ns: cannot open");
}

/* ---- links ---- */

static void test_veth_create_and_read(void **state)
{
	(void)state;
	struct np_nl *nl = open_in(path_a);
	struct np_err e = { 0 };
	struct np_link_attrs a = { .name = "vt0", .mac = mac1, .mtu = 1400, .up = true };
	struct np_link_attrs p = { .name = "vt0p", .netns = path_b, .mtu = 1400 };
	assert_ok(np_link_create_veth(nl, &a, &p, &e), e);

	cJSON *l = nst_link(ns_a, "vt0");
	assert_non_null(l);
	assert_string_equal(nst_str(l, "linkinfo.info_kind"), "veth");
	assert_string_equal(nst_str(l, "address"), "02:11:22:33:44:55");
	assert_int_equal((int)nst_num(l, "mtu"), 1400);
	cJSON_Delete(l);
	cJSON *pl = nst_link(ns_b, "vt0p");
	assert_non_null(pl);
	assert_string_equal(nst_str(pl, "linkinfo.info_kind"), "veth");
	assert_string_equal(nst_str(pl, "operstate"), "DOWN");
	int peer_index = (int)nst_num(pl, "ifindex");
	cJSON_Delete(pl);
	assert_null(nst_link(ns_a, "vt0p"));

	struct np_link_info li;
	assert_ok(np_link_get(nl, "vt0", &li, &e), e);
	assert_string_equal(li.kind, "veth");
	assert_int_equal(li.mtu, 1400);
	assert_memory_equal(li.mac, mac1, 6);
	assert_int_equal(li.link, peer_index);
	assert_true(li.link_netnsid >= 0); /* peer lives in another namespace */
	assert_true(li.flags & IFF_UP);
	close_nl(nl);
}

static void test_create_name_taken(void **state)
{
	(void)state;
	struct np_nl *nl = open_in(path_a);
	struct np_err e = { 0 };
	veth_pair(nl, "taken0", "taken0p", NULL);
	struct np_link_attrs a = { .name = "taken0" }, p = { .name = "other0p" };
	assert_int_equal(np_link_create_veth(nl, &a, &p, &e), -EEXIST);
	assert_msg_has(e, "create veth \"taken0\" with peer \"other0p\"");
	assert_msg_has(e, "File exists");
	assert_null(nst_link(ns_a, "other0p")); /* nothing half-made */
	np_err_clear(&e);
	struct np_link_attrs br = { .name = "taken0" };
	assert_int_equal(np_link_create_bridge(nl, &br, &e), -EEXIST);
	assert_msg_has(e, "create bridge \"taken0\"");
	close_nl(nl);
}

static void test_macvlan_modes_and_netns(void **state)
{
	(void)state;
	struct np_nl *nl = open_in(path_a);
	struct np_err e = { 0 };
	veth_pair(nl, "uplink0", "uplink0p", NULL);
	static const char *const modes[] = { "bridge", "private", "vepa", "passthru" };
	for (int m = 0; m < 4; m++) {
		char name[16];
		snprintf(name, sizeof(name), "mv%d", m);
		struct np_link_attrs a = { .name = name };
		struct np_macvlan_opts o = { .master = "uplink0", .mode = (enum np_macvlan_mode)m };
		assert_ok(np_link_create_macvlan(nl, &a, &o, &e), e);
		cJSON *l = nst_link(ns_a, name);
		assert_non_null(l);
		assert_string_equal(nst_str(l, "linkinfo.info_kind"), "macvlan");
		assert_string_equal(nst_str(l, "linkinfo.info_data.mode"), modes[m]);
		cJSON_Delete(l);
		struct np_link_info li;
		assert_ok(np_link_get(nl, name, &li, &e), e);
		assert_int_equal(li.macvlan_mode, m);
		assert_string_equal(li.kind, "macvlan");
		/* passthru allows one child per master; remove before the next */
		assert_ok(np_link_delete(nl, name, &e), e);
	}
	/* Straight into the other namespace with its final MAC, as the CNI
	 * plugin does. */
	struct np_link_attrs a = { .name = "mvx", .mac = mac1, .netns = path_b, .up = true };
	struct np_macvlan_opts o = { .master = "uplink0", .mode = NP_MACVLAN_BRIDGE, .bcqueuelen = 100 };
	assert_ok(np_link_create_macvlan(nl, &a, &o, &e), e);
	assert_null(nst_link(ns_a, "mvx"));
	cJSON *l = nst_link(ns_b, "mvx");
	assert_non_null(l);
	assert_string_equal(nst_str(l, "address"), "02:11:22:33:44:55");
	assert_string_equal(nst_str(l, "linkinfo.info_data.mode"), "bridge");
	cJSON_Delete(l);
	close_nl(nl);
}

static void test_macvlan_failures(void **state)
{
	(void)state;
	struct np_nl *nl = open_in(path_a);
	struct np_err e = { 0 };
	struct np_link_attrs a = { .name = "mvbad" };
	struct np_macvlan_opts o = { .master = "nosuchmaster", .mode = NP_MACVLAN_BRIDGE };
	assert_int_equal(np_link_create_macvlan(nl, &a, &o, &e), -ENODEV);
	assert_msg_has(e, "macvlan master \"nosuchmaster\" does not exist");

	veth_pair(nl, "smallmtu0", "smallmtu0p", NULL);
	struct np_err e2 = { 0 };
	assert_ok(np_link_set_mtu(nl, "smallmtu0", 1300, &e2), e2);
	np_err_clear(&e);
	struct np_link_attrs big = { .name = "mvbig", .mtu = 1500 };
	struct np_macvlan_opts o2 = { .master = "smallmtu0", .mode = NP_MACVLAN_BRIDGE };
	assert_int_equal(np_link_create_macvlan(nl, &big, &o2, &e), -EINVAL);
	assert_msg_has(e, "create macvlan \"mvbig\" (mode bridge) on master \"smallmtu0\"");
	assert_msg_has(e, "Invalid argument");
	assert_null(nst_link(ns_a, "mvbig"));

	np_err_clear(&e);
	struct np_link_attrs bad_ns = { .name = "mvns", .netns = "/run/netns/mignet-none" };
	assert_int_equal(np_link_create_macvlan(nl, &bad_ns, &o2, &e), -ENOENT);
	assert_msg_has(e, "netns /run/netns/mignet-none: cannot open");
	close_nl(nl);
}

static void test_bridge_and_ports(void **state)
{
	(void)state;
	struct np_nl *nl = open_in(path_a);
	struct np_err e = { 0 };
	struct np_link_attrs br = { .name = "br0", .up = true, .mtu = 1450 };
	assert_ok(np_link_create_bridge(nl, &br, &e), e);
	veth_pair(nl, "port0", "port0p", NULL);
	assert_ok(np_link_set_master(nl, "port0", "br0", &e), e);
	struct np_brport_opts po = NP_BRPORT_UNCHANGED;
	po.hairpin = 1;
	po.learning = 0;
	po.isolated = 1;
	assert_ok(np_bridge_port_set(nl, "port0", &po, &e), e);

	cJSON *l = nst_link(ns_a, "port0");
	assert_non_null(l);
	assert_string_equal(nst_str(l, "master"), "br0");
	const cJSON *sd = cJSON_GetObjectItem(cJSON_GetObjectItem(l, "linkinfo"), "info_slave_data");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(sd, "hairpin")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(sd, "learning")));
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(sd, "isolated")));
	cJSON_Delete(l);
	l = nst_link(ns_a, "br0");
	assert_string_equal(nst_str(l, "linkinfo.info_kind"), "bridge");
	assert_int_equal((int)nst_num(l, "mtu"), 1450);
	int br_index = (int)nst_num(l, "ifindex");
	cJSON_Delete(l);

	struct np_link_info li;
	assert_ok(np_link_get(nl, "port0", &li, &e), e);
	assert_int_equal(li.master, br_index);

	assert_ok(np_link_set_master(nl, "port0", NULL, &e), e);
	l = nst_link(ns_a, "port0");
	assert_null(nst_str(l, "master"));
	cJSON_Delete(l);

	/* enslaved as it is created */
	struct np_link_attrs born = { .name = "port1", .master_index = br_index, .up = true };
	struct np_link_attrs born_peer = { .name = "port1p" };
	assert_ok(np_link_create_veth(nl, &born, &born_peer, &e), e);
	l = nst_link(ns_a, "port1");
	assert_string_equal(nst_str(l, "master"), "br0");
	cJSON_Delete(l);
	struct np_link_attrs orphan = { .name = "port2", .master_index = 999999 };
	struct np_link_attrs orphan_peer = { .name = "port2p" };
	assert_true(np_link_create_veth(nl, &orphan, &orphan_peer, &e) < 0);
	assert_msg_has(e, "create veth \"port2\"");
	assert_null(nst_link(ns_a, "port2"));
	np_err_clear(&e);

	assert_int_equal(np_link_set_master(nl, "port0", "nobridge", &e), -ENODEV);
	assert_msg_has(e, "master \"nobridge\" does not exist");
	np_err_clear(&e);
	assert_int_equal(np_bridge_port_set(nl, "ghostport", &po, &e), -ENODEV);
	assert_msg_has(e, "bridge port \"ghostport\" does not exist");
	close_nl(nl);
}

static void test_delete_rename_move(void **state)
{
	(void)state;
	struct np_nl *nl = open_in(path_a);
	struct np_err e = { 0 };
	veth_pair(nl, "ren0", "ren0p", NULL);
	assert_ok(np_link_rename(nl, "ren0", "ren1", &e), e);
	assert_null(nst_link(ns_a, "ren0"));
	cJSON *l = nst_link(ns_a, "ren1");
	assert_non_null(l);
	cJSON_Delete(l);

	assert_int_equal(np_link_rename(nl, "ren1", "ren0p", &e), -EEXIST);
	assert_msg_has(e, "rename link \"ren1\" to \"ren0p\"");
	np_err_clear(&e);
	assert_int_equal(np_link_rename(nl, "ghost0", "ghost1", &e), -ENODEV);
	assert_msg_has(e, "link \"ghost0\" does not exist");

	np_err_clear(&e);
	assert_ok(np_link_move(nl, "ren1", path_b, "moved0", &e), e);
	assert_null(nst_link(ns_a, "ren1"));
	l = nst_link(ns_b, "moved0");
	assert_non_null(l);
	assert_string_equal(nst_str(l, "linkinfo.info_kind"), "veth");
	cJSON_Delete(l);
	assert_int_equal(np_link_move(nl, "ren0p", "/run/netns/mignet-none", NULL, &e), -ENOENT);
	assert_msg_has(e, "cannot open");

	np_err_clear(&e);
	assert_ok(np_link_delete(nl, "ren0p", &e), e);
	assert_null(nst_link(ns_a, "ren0p"));
	assert_null(nst_link(ns_b, "moved0")); /* a veth dies with its peer */
	assert_int_equal(np_link_delete(nl, "ren0p", &e), -ENODEV);
	assert_msg_has(e, "delete link \"ren0p\"");
	assert_msg_has(e, "No such device");
	close_nl(nl);
}

static void test_set_mac_mtu_up(void **state)
{
	(void)state;
	struct np_nl *nl = open_in(path_a);
	struct np_err e = { 0 };
	veth_pair(nl, "set0", "set0p", NULL);
	assert_ok(np_link_set_up(nl, "set0", false, &e), e);
	assert_ok(np_link_set_mac(nl, "set0", mac1, &e), e);
	assert_ok(np_link_set_mtu(nl, "set0", 9000, &e), e);
	cJSON *l = nst_link(ns_a, "set0");
	assert_string_equal(nst_str(l, "address"), "02:11:22:33:44:55");
	assert_int_equal((int)nst_num(l, "mtu"), 9000);
	assert_string_equal(nst_str(l, "operstate"), "DOWN");
	cJSON_Delete(l);
	assert_ok(np_link_set_up(nl, "set0", true, &e), e);
	l = nst_link(ns_a, "set0");
	const cJSON *flags = cJSON_GetObjectItem(l, "flags"), *f;
	bool up = false;
	cJSON_ArrayForEach(f, flags)
		up |= !strcmp(f->valuestring, "UP");
	assert_true(up);
	cJSON_Delete(l);

	/* MTU above what the master allows */
	veth_pair(nl, "mtum0", "mtum0p", NULL);
	assert_ok(np_link_set_mtu(nl, "mtum0", 1400, &e), e);
	struct np_link_attrs a = { .name = "mtuc0" };
	struct np_macvlan_opts o = { .master = "mtum0", .mode = NP_MACVLAN_BRIDGE };
	assert_ok(np_link_create_macvlan(nl, &a, &o, &e), e);
	assert_int_equal(np_link_set_mtu(nl, "mtuc0", 1500, &e), -EINVAL);
	assert_msg_has(e, "set MTU of \"mtuc0\" to 1500");
	l = nst_link(ns_a, "mtuc0");
	assert_int_equal((int)nst_num(l, "mtu"), 1400);
	cJSON_Delete(l);

	np_err_clear(&e);
	assert_int_equal(np_link_set_mtu(nl, "ghost", 1500, &e), -ENODEV);
	assert_msg_has(e, "set MTU of \"ghost\"");
	np_err_clear(&e);
	static const uint8_t mcast[6] = { 0x01, 0, 0x5e, 0, 0, 1 };
	assert_int_equal(np_link_set_mac(nl, "set0", mcast, &e), -EADDRNOTAVAIL);
	assert_msg_has(e, "set MAC of \"set0\" to 01:00:5e:00:00:01");
	close_nl(nl);
}

static int count_links(const struct np_link_info *l, void *arg)
{
	(void)l;
	++*(int *)arg;
	return 0;
}

static void test_link_list_matches_ip(void **state)
{
	(void)state;
	struct np_nl *nl = open_in(path_b);
	struct np_err e = { 0 };
	int n = 0;
	assert_ok(np_link_list(nl, count_links, &n, &e), e);
	cJSON *arr = nst_json("ip -j -n %s link show", ns_b);
	assert_int_equal(n, cJSON_GetArraySize(arr));
	cJSON_Delete(arr);
	close_nl(nl);
}

static bool ip_flag_set(const char *ns, const char *dev, const char *flag)
{
	cJSON *l = nst_link(ns, dev);
	const cJSON *f;
	bool found = false;
	cJSON_ArrayForEach(f, cJSON_GetObjectItem(l, "flags"))
		found |= !strcmp(f->valuestring, flag);
	cJSON_Delete(l);
	return found;
}

static void test_flag_and_lookup_by_index(void **state)
{
	(void)state;
	struct np_nl *nl = open_in(path_b);
	struct np_err e = { 0 };
	veth_pair(nl, "fl0", "fl0p", NULL);
	assert_false(ip_flag_set(ns_b, "fl0", "PROMISC"));
	assert_ok(np_link_set_flag(nl, "fl0", IFF_PROMISC, true, &e), e);
	assert_true(ip_flag_set(ns_b, "fl0", "PROMISC"));
	assert_true(ip_flag_set(ns_b, "fl0", "UP")); /* the other flags are kept */
	assert_ok(np_link_set_flag(nl, "fl0", IFF_PROMISC, false, &e), e);
	assert_false(ip_flag_set(ns_b, "fl0", "PROMISC"));
	assert_int_equal(np_link_set_flag(nl, "ghost", IFF_PROMISC, true, &e), -ENODEV);
	assert_msg_has(e, "\"ghost\"");
	np_err_clear(&e);

	cJSON *l = nst_link(ns_b, "fl0p");
	int index = (int)nst_num(l, "ifindex");
	struct np_link_info li;
	assert_ok(np_link_get_by_index(nl, index, &li, &e), e);
	assert_string_equal(li.name, "fl0p");
	assert_string_equal(li.kind, "veth");
	char mac[32];
	assert_string_equal(np_mac_str(li.mac, mac, sizeof(mac)), nst_str(l, "address"));
	assert_int_equal(li.mtu, (unsigned int)nst_num(l, "mtu"));
	cJSON_Delete(l);
	assert_int_equal(np_link_get_by_index(nl, 999999, &li, &e), -ENODEV);
	assert_msg_has(e, "no link with index 999999");
	close_nl(nl);
}

static void test_wait_up(void **state)
{
	(void)state;
	struct np_nl *nl = open_in(path_b);
	struct np_err e = { 0 };
	struct np_link_attrs a = { .name = "wu0", .up = true };
	struct np_link_attrs p = { .name = "wu0p" };
	assert_ok(np_link_create_veth(nl, &a, &p, &e), e);
	/* A veth is LOWERLAYERDOWN until its peer is up. */
	cJSON *l = nst_link(ns_b, "wu0");
	assert_string_equal(nst_str(l, "operstate"), "LOWERLAYERDOWN");
	cJSON_Delete(l);
	assert_int_equal(np_link_wait_up(path_b, "wu0", 150, &e), -ETIMEDOUT);
	assert_msg_has(e, "\"wu0\" did not come up within 150 ms");
	np_err_clear(&e);

	/* The peer comes up from another process while we wait. */
	assert_int_equal(nst_sh("(ip -n %s link set wu0p up &)", ns_b), 0);
	assert_ok(np_link_wait_up(path_b, "wu0", 5000, &e), e);
	l = nst_link(ns_b, "wu0");
	assert_string_equal(nst_str(l, "operstate"), "UP");
	cJSON_Delete(l);
	assert_ok(np_link_wait_up(path_b, "wu0", 0, &e), e); /* already up */
	assert_int_equal(np_link_wait_up(path_b, "ghost", 100, &e), -ENODEV);
	assert_msg_has(e, "\"ghost\" does not exist");
	np_err_clear(&e);
	assert_true(np_link_wait_up("/run/netns/mignet-none", "wu0", 100, &e) < 0);
	assert_msg_has(e, "netns /run/netns/mignet-none: cannot open");
	close_nl(nl);
}

/* This kernel may lack 802.1q and bridge VLAN filtering, and has no
 * SR-IOV NIC; then only the errors are checked here and the messages
 * byte by byte in test_sriov. */
static void test_vlans_and_vfs(void **state)
{
	(void)state;
	struct np_nl *nl = open_in(path_b);
	struct np_err e = { 0 };
	veth_pair(nl, "vup0", "vup0p", NULL);
	bool has_8021q = nst_sh("ip -n %s link add link vup0 name vprobe type vlan id 2 2>/dev/null", ns_b) == 0;
	nst_sh("ip -n %s link del vprobe 2>/dev/null", ns_b);
	struct np_link_attrs v = { .name = "vup0.13", .mtu = 1400 };
	int rc = np_link_create_vlan(nl, &v, "vup0", 13, &e);
	if (has_8021q) {
		assert_ok(rc, e);
		cJSON *l = nst_link(ns_b, "vup0.13");
		assert_string_equal(nst_str(l, "linkinfo.info_kind"), "vlan");
		assert_int_equal((int)nst_num(l, "linkinfo.info_data.id"), 13);
		assert_int_equal((int)nst_num(l, "mtu"), 1400);
		cJSON_Delete(l);
	} else {
		assert_true(rc < 0);
		assert_msg_has(e, "create VLAN \"vup0.13\" (id 13 on \"vup0\"): this kernel has no 802.1q");
		assert_null(nst_link(ns_b, "vup0.13"));
		print_message("802.1q: this kernel has no VLAN support, so the success path of "
			      "np_link_create_vlan in test_vlans_and_vfs did not run; its request is checked byte "
			      "by byte in tests/unit/test_sriov\n");
	}
	np_err_clear(&e);
	struct np_link_attrs bad = { .name = "vup0.0" };
	assert_int_equal(np_link_create_vlan(nl, &bad, "vup0", 0, &e), -EINVAL);
	assert_msg_has(e, "id 0 is outside 1..4094");
	np_err_clear(&e);

	struct np_link_attrs br = { .name = "vbr0", .up = true };
	assert_ok(np_link_create_bridge(nl, &br, &e), e);
	assert_ok(np_link_set_master(nl, "vup0", "vbr0", &e), e);
	bool has_filtering = nst_sh("ip -n %s link add vfprobe type bridge vlan_filtering 1 2>/dev/null", ns_b) == 0;
	nst_sh("ip -n %s link del vfprobe 2>/dev/null", ns_b);
	rc = np_bridge_set_vlan_filtering(nl, "vbr0", true, &e);
	if (has_filtering) {
		assert_ok(rc, e);
		cJSON *bl = nst_link(ns_b, "vbr0");
		assert_int_equal((int)nst_num(bl, "linkinfo.info_data.vlan_filtering"), 1);
		cJSON_Delete(bl);
		assert_ok(np_bridge_vlan(nl, "vup0", 13, true, true, false, &e), e);
		cJSON *vl = nst_json("bridge -n %s -j vlan show dev vup0", ns_b);
		char *s = cJSON_PrintUnformatted(vl);
		assert_non_null(strstr(s, "\"vlan\":13"));
		free(s);
		cJSON_Delete(vl);
		assert_ok(np_bridge_vlan(nl, "vup0", 13, false, false, true, &e), e);
		vl = nst_json("bridge -n %s -j vlan show dev vup0", ns_b);
		s = cJSON_PrintUnformatted(vl);
		assert_null(strstr(s, "\"vlan\":13"));
		free(s);
		cJSON_Delete(vl);
	} else {
		assert_true(rc < 0);
		assert_msg_has(e, "bridge \"vbr0\": VLAN filtering is not available on this kernel");
		print_message("bridge VLAN filtering: not in this kernel, so the success paths of "
			      "np_bridge_set_vlan_filtering and np_bridge_vlan in test_vlans_and_vfs did not run; "
			      "their requests are checked byte by byte in tests/unit/test_sriov\n");
	}
	np_err_clear(&e);
	assert_int_equal(np_bridge_vlan(nl, "vup0", 4095, false, false, false, &e), -EINVAL);
	assert_msg_has(e, "VLAN 4095 on \"vup0\": VLAN IDs are 1..4094");
	np_err_clear(&e);
	assert_int_equal(np_bridge_vlan(nl, "ghost", 13, false, false, false, &e), -ENODEV);
	assert_msg_has(e, "\"ghost\"");

	/* VF settings: a veth has no VFs, and the kernel's refusal is named */
	np_err_clear(&e);
	struct np_vf_config c = { .has_mac = true, .mac = { 0x02, 0, 0, 0, 0x13, 1 } };
	assert_true(np_vf_set(nl, "vup0", 1, &c, &e) < 0);
	assert_msg_has(e, "PF \"vup0\" does not support VF settings (is it an SR-IOV NIC?)");
	np_err_clear(&e);
	struct np_vf_config got;
	assert_int_equal(np_vf_get(nl, "vup0", 1, &got, &e), -ENOENT);
	assert_msg_has(e, "PF \"vup0\" reports no VF 1");
	np_err_clear(&e);
	assert_int_equal(np_vf_set(nl, "ghost", 1, &c, &e), -ENODEV);
	assert_msg_has(e, "\"ghost\"");
	print_message("SR-IOV: no SR-IOV NIC on this machine, so the success paths of np_vf_set and "
		      "np_vf_get in test_vlans_and_vfs did not run; the VF request is checked byte by byte in "
		      "tests/unit/test_sriov\n");
	close_nl(nl);
}

/* ---- addresses ---- */

struct addr_seen {
	struct np_prefix want;
	bool found;
	unsigned int flags;
};

static int find_addr(const struct np_addr_info *a, void *arg)
{
	struct addr_seen *s = arg;
	if (np_ip_equal(&a->prefix.ip, &s->want.ip) && a->prefix.len == s->want.len) {
		s->found = true;
		s->flags = a->flags;
	}
	return 0;
}

static bool ip_has_addr(const char *ns, const char *dev, const char *local,
			int plen, const char *flag)
{
	cJSON *arr = nst_json("ip -j -n %s addr show dev %s", ns, dev);
	const cJSON *link = cJSON_GetArrayItem(arr, 0), *ai;
	bool found = false;
	cJSON_ArrayForEach(ai, cJSON_GetObjectItem(link, "addr_info")) {
		const char *l = nst_str(ai, "local");
		if (l && !strcmp(l, local) && (int)nst_num(ai, "prefixlen") == plen)
			found = !flag || cJSON_IsTrue(cJSON_GetObjectItem(ai, flag));
	}
	cJSON_Delete(arr);
	return found;
}

static void test_addresses(void **state)
{
	(void)state;
	struct np_nl *nl = open_in(path_a);
	struct np_err e = { 0 };
	veth_pair(nl, "ad0", "ad0p", NULL);
	struct np_prefix v4, v6, v6b;
	assert_ok(np_prefix_parse("10.77.1.5/24", false, &v4, &e), e);
	assert_ok(np_prefix_parse("fd77::5/64", false, &v6, &e), e);
	assert_ok(np_prefix_parse("fd78::5/64", false, &v6b, &e), e);
	assert_ok(np_addr_add(nl, "ad0", &v4, 0, &e), e);
	assert_ok(np_addr_add(nl, "ad0", &v6, NP_ADDR_NODAD, &e), e);
	assert_ok(np_addr_add(nl, "ad0", &v6b, 0, &e), e);
	assert_true(ip_has_addr(ns_a, "ad0", "10.77.1.5", 24, NULL));
	assert_true(ip_has_addr(ns_a, "ad0", "fd77::5", 64, "nodad"));
	assert_true(ip_has_addr(ns_a, "ad0", "fd78::5", 64, NULL));
	assert_false(ip_has_addr(ns_a, "ad0", "fd78::5", 64, "nodad"));

	struct addr_seen s = { .want = v6 };
	assert_ok(np_addr_list(nl, "ad0", AF_INET6, find_addr, &s, &e), e);
	assert_true(s.found);
	assert_true(s.flags & IFA_F_NODAD);
	s = (struct addr_seen){ .want = v4 };
	assert_ok(np_addr_list(nl, "ad0", AF_INET6, find_addr, &s, &e), e);
	assert_false(s.found); /* family filter */
	assert_ok(np_addr_list(nl, NULL, AF_UNSPEC, find_addr, &s, &e), e);
	assert_true(s.found);

	assert_int_equal(np_addr_add(nl, "ad0", &v4, 0, &e), -EEXIST);
	assert_msg_has(e, "add address 10.77.1.5/24 to \"ad0\"");
	np_err_clear(&e);
	assert_ok(np_addr_del(nl, "ad0", &v4, &e), e);
	assert_false(ip_has_addr(ns_a, "ad0", "10.77.1.5", 24, NULL));
	assert_int_equal(np_addr_del(nl, "ad0", &v4, &e), -EADDRNOTAVAIL);
	assert_msg_has(e, "delete address 10.77.1.5/24 from \"ad0\"");
	np_err_clear(&e);
	assert_int_equal(np_addr_add(nl, "ghost", &v4, 0, &e), -ENODEV);
	assert_msg_has(e, "link \"ghost\" does not exist");

	/* by index, with the broadcast `ip addr add ... brd +` would give */
	np_err_clear(&e);
	cJSON *l = nst_link(ns_a, "ad0p");
	int index = (int)nst_num(l, "ifindex");
	cJSON_Delete(l);
	struct np_prefix v4b;
	assert_ok(np_prefix_parse("10.77.2.9/23", false, &v4b, &e), e);
	assert_ok(np_addr_add_index(nl, index, "ad0p", &v4b, 0, &e), e);
	assert_true(ip_has_addr(ns_a, "ad0p", "10.77.2.9", 23, NULL));
	cJSON *arr = nst_json("ip -j -n %s addr show dev ad0p", ns_a);
	assert_string_equal(nst_str(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "addr_info"), 0),
				    "broadcast"), "10.77.3.255");
	cJSON_Delete(arr);
	assert_int_equal(np_addr_add_index(nl, 999999, "gone0", &v4b, 0, &e), -ENODEV);
	assert_msg_has(e, "add address 10.77.2.9/23 to \"gone0\"");
	close_nl(nl);
}

/* ---- routes ---- */

struct route_seen {
	const char *want;
	bool found;
};

static int find_route(const struct np_route *r, void *arg)
{
	struct route_seen *s = arg;
	char buf[128];
	if (!strcmp(np_route_str(r, buf, sizeof(buf)), s->want))
		s->found = true;
	return 0;
}

static void test_routes(void **state)
{
	(void)state;
	struct np_nl *nl = open_in(path_b);
	struct np_err e = { 0 };
	veth_pair(nl, "rt0", "rt0p", NULL);
	struct np_prefix a4, a6;
	assert_ok(np_prefix_parse("10.88.0.2/24", false, &a4, &e), e);
	assert_ok(np_prefix_parse("fd88::2/64", false, &a6, &e), e);
	assert_ok(np_addr_add(nl, "rt0", &a4, 0, &e), e);
	assert_ok(np_addr_add(nl, "rt0", &a6, NP_ADDR_NODAD, &e), e);

	struct np_route def = { .dst = { .ip = { .family = AF_INET } }, .has_gw = true };
	assert_ok(np_ip_parse("10.88.0.1", &def.gw, &e), e);
	assert_ok(np_route_add(nl, "rt0", &def, &e), e);
	struct np_route net = { .has_gw = true, .metric = 50 };
	assert_ok(np_prefix_parse("10.99.0.0/16", false, &net.dst, &e), e);
	net.gw = def.gw;
	assert_ok(np_route_add(nl, "rt0", &net, &e), e);
	struct np_route def6 = { .dst = { .ip = { .family = AF_INET6 } }, .has_gw = true };
	assert_ok(np_ip_parse("fd88::1", &def6.gw, &e), e);
	assert_ok(np_route_add(nl, "rt0", &def6, &e), e);

	cJSON *arr = nst_json("ip -j -n %s route show", ns_b), *r;
	int seen = 0;
	cJSON_ArrayForEach(r, arr) {
		const char *dst = nst_str(r, "dst"), *gw = nst_str(r, "gateway"), *dev = nst_str(r, "dev");
		if (!strcmp(dst, "default") && gw && !strcmp(gw, "10.88.0.1") && !strcmp(dev, "rt0"))
			seen |= 1;
		if (!strcmp(dst, "10.99.0.0/16") && gw && !strcmp(gw, "10.88.0.1") &&
		    (int)nst_num(r, "metric") == 50)
			seen |= 2;
	}
	cJSON_Delete(arr);
	assert_int_equal(seen, 3);
	arr = nst_json("ip -j -6 -n %s route show default", ns_b);
	assert_string_equal(nst_str(cJSON_GetArrayItem(arr, 0), "gateway"), "fd88::1");
	cJSON_Delete(arr);

	struct route_seen s = { .want = "10.99.0.0/16 via 10.88.0.1" };
	assert_ok(np_route_list(nl, AF_INET, find_route, &s, &e), e);
	assert_true(s.found);
	s = (struct route_seen){ .want = "default via fd88::1" };
	assert_ok(np_route_list(nl, AF_UNSPEC, find_route, &s, &e), e);
	assert_true(s.found);

	assert_int_equal(np_route_add(nl, "rt0", &net, &e), -EEXIST);
	assert_msg_has(e, "add route 10.99.0.0/16 via 10.88.0.1 dev rt0");
	np_err_clear(&e);
	assert_ok(np_route_del(nl, "rt0", &net, &e), e);
	arr = nst_json("ip -j -n %s route show 10.99.0.0/16", ns_b);
	assert_int_equal(cJSON_GetArraySize(arr), 0);
	cJSON_Delete(arr);
	assert_int_equal(np_route_del(nl, "rt0", &net, &e), -ESRCH);
	assert_msg_has(e, "delete route 10.99.0.0/16 via 10.88.0.1");

	np_err_clear(&e);
	struct np_route unreachable = { .has_gw = true };
	assert_ok(np_prefix_parse("10.55.0.0/16", false, &unreachable.dst, &e), e);
	assert_ok(np_ip_parse("192.0.2.99", &unreachable.gw, &e), e);
	assert_int_equal(np_route_add(nl, "rt0", &unreachable, &e), -ENETUNREACH);
	assert_msg_has(e, "add route 10.55.0.0/16 via 192.0.2.99");
	close_nl(nl);
}

/* ---- sysctls ---- */

static void test_sysctls(void **state)
{
	(void)state;
	struct np_nl *nl = open_in(path_a);
	struct np_err e = { 0 };
	veth_pair(nl, "sc0", "sc0p", NULL);
	close_nl(nl);
	char buf[32];
	assert_ok(np_sysctl_set(path_a, "net/ipv4/conf/sc0/arp_notify", "1", &e), e);
	assert_ok(np_sysctl_set(path_a, "net/ipv6/conf/sc0/accept_dad", "0", &e), e);
	assert_ok(np_sysctl_get(path_a, "net/ipv4/conf/sc0/arp_notify", buf, sizeof(buf), &e), e);
	assert_string_equal(buf, "1");
	cJSON *v = nst_json("ip netns exec %s cat /proc/sys/net/ipv6/conf/sc0/accept_dad", ns_a);
	assert_true(cJSON_IsNumber(v) && v->valueint == 0);
	cJSON_Delete(v);
	/* The other namespace has no such link: the sysctl really is per netns. */
	assert_int_equal(np_sysctl_get(path_b, "net/ipv4/conf/sc0/arp_notify", buf, sizeof(buf), &e), -ENOENT);
	assert_msg_has(e, "sysctl net/ipv4/conf/sc0/arp_notify: cannot open /proc/sys/net/ipv4/conf/sc0/arp_notify");

	/* the netlink way to the same setting, read back through /proc */
	np_err_clear(&e);
	nl = open_in(path_a);
	struct np_link_info li;
	assert_ok(np_link_get(nl, "sc0p", &li, &e), e);
	assert_ok(np_link_set_ipv4_conf(nl, li.ifindex, "sc0p", IPV4_DEVCONF_ARP_NOTIFY, 1, &e), e);
	assert_ok(np_sysctl_get(path_a, "net/ipv4/conf/sc0p/arp_notify", buf, sizeof(buf), &e), e);
	assert_string_equal(buf, "1");
	assert_ok(np_link_set_ipv4_conf(nl, li.ifindex, "sc0p", IPV4_DEVCONF_ARP_NOTIFY, 0, &e), e);
	assert_ok(np_sysctl_get(path_a, "net/ipv4/conf/sc0p/arp_notify", buf, sizeof(buf), &e), e);
	assert_string_equal(buf, "0");
	assert_int_equal(np_link_set_ipv4_conf(nl, 999999, "gone0", IPV4_DEVCONF_ARP_NOTIFY, 1, &e), -ENODEV);
	assert_msg_has(e, "set IPv4 setting 22 of \"gone0\" to 1");
	np_err_clear(&e);
	assert_true(np_link_set_ipv4_conf(nl, li.ifindex, "sc0p", 999, 1, &e) < 0);
	assert_msg_has(e, "set IPv4 setting 999 of \"sc0p\"");
	close_nl(nl);

	/* several in one entry; an optional key may be missing */
	np_err_clear(&e);
	const struct np_sysctl many[] = {
		{ "net/ipv4/conf/sc0/arp_notify", "0", false },
		{ "net/ipv6/conf/nosuch0/accept_dad", "0", true },
		{ "net/ipv4/conf/sc0p/arp_accept", "1", false },
	};
	assert_ok(np_sysctl_set_many(path_a, many, 3, &e), e);
	assert_ok(np_sysctl_get(path_a, "net/ipv4/conf/sc0/arp_notify", buf, sizeof(buf), &e), e);
	assert_string_equal(buf, "0");
	v = nst_json("ip netns exec %s cat /proc/sys/net/ipv4/conf/sc0p/arp_accept", ns_a);
	assert_true(cJSON_IsNumber(v) && v->valueint == 1);
	cJSON_Delete(v);
	const struct np_sysctl required_missing[] = {
		{ "net/ipv4/conf/nosuch0/arp_notify", "1", false },
	};
	assert_int_equal(np_sysctl_set_many(path_a, required_missing, 1, &e), -ENOENT);
	assert_msg_has(e, "sysctl net/ipv4/conf/nosuch0/arp_notify: cannot open");
	np_err_clear(&e);
	const struct np_sysctl hostile[] = {
		{ "net/ipv4/conf/sc0/arp_notify", "1", false },
		{ "net/../kernel/hostname", "x", false },
	};
	assert_int_equal(np_sysctl_set_many(path_a, hostile, 2, &e), -EINVAL);
	assert_msg_has(e, "\"..\" component");
	/* checked before anything is written */
	assert_ok(np_sysctl_get(path_a, "net/ipv4/conf/sc0/arp_notify", buf, sizeof(buf), &e), e);
	assert_string_equal(buf, "0");

	np_err_clear(&e);
	assert_int_equal(np_sysctl_set(path_a, "net/ipv4/../../kernel/hostname", "x", &e), -EINVAL);
	assert_msg_has(e, "\"..\" component");
	np_err_clear(&e);
	assert_int_equal(np_sysctl_set(path_a, "net/ipv4/conf/a\nb/x", "1", &e), -EINVAL);
	assert_msg_has(e, "control or non-ASCII");
	np_err_clear(&e);
	assert_int_equal(np_sysctl_set("/nonexistent", "net/ipv4/ip_forward", "1", &e), -ENOENT);
	assert_msg_has(e, "netns /nonexistent: cannot open");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netns_restored_on_error),
		cmocka_unit_test(test_netns_bad_paths),
		cmocka_unit_test(test_veth_create_and_read),
		cmocka_unit_test(test_create_name_taken),
		cmocka_unit_test(test_macvlan_modes_and_netns),
		cmocka_unit_test(test_macvlan_failures),
		cmocka_unit_test(test_bridge_and_ports),
		cmocka_unit_test(test_delete_rename_move),
		cmocka_unit_test(test_set_mac_mtu_up),
		cmocka_unit_test(test_link_list_matches_ip),
		cmocka_unit_test(test_flag_and_lookup_by_index),
		cmocka_unit_test(test_wait_up),
		cmocka_unit_test(test_vlans_and_vfs),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_sysctls),
	};
	return cmocka_run_group_tests_name("netlink core", tests, group_setup, group_teardown);
}
