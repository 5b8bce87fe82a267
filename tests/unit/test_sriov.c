/* SR-IOV discovery against a fake sysfs tree, and the exact bytes of the VF,
 * bridge-VLAN and 802.1q subinterface requests (this machine has no SR-IOV
 * NIC and its kernel neither bridge VLAN filtering nor 802.1q, so these
 * are checked at the message level). */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "link.h"
#include "sriov.h"

static char root[256];

static void mk(const char *fmt, ...)
{
	char p[300], path[900];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p, sizeof(p), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "mkdir -p '%s/%s'", root, p);
	assert_int_equal(system(path), 0);
}

static void ln(const char *target, const char *fmt, ...)
{
	char p[300], path[900];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p, sizeof(p), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", root, p);
	assert_int_equal(symlink(target, path), 0);
}

/* The layout of a real PF with two VFs: devices are symlinks from
 * bus/pci/devices into devices/pci0000:00/..., VFs bound to vfio-pci. */
static int make_tree(void **state)
{
	(void)state;
	const char *base = getenv("TMPDIR_BASE");
	snprintf(root, sizeof(root), "%s-sysfs-XXXXXX", base ? base : "/tmp/mignet-test");
	assert_non_null(mkdtemp(root));
	const char *dev = "devices/pci0000:00/0000:00:02.0";
	mk("%s/0000:03:00.0/net/ens1f0", dev);
	mk("%s/0000:03:02.0", dev);
	mk("%s/0000:03:02.1", dev);
	mk("%s/0000:05:00.0/net/eth9", dev); /* a plain NIC, no SR-IOV */
	mk("bus/pci/devices");
	mk("bus/pci/drivers/vfio-pci");
	const char *devs[] = { "0000:03:00.0", "0000:03:02.0", "0000:03:02.1", "0000:05:00.0" };
	for (int i = 0; i < 4; i++) {
		char t[256];
		snprintf(t, sizeof(t), "../../../%s/%s", dev, devs[i]);
		ln(t, "bus/pci/devices/%s", devs[i]);
	}
	ln("../0000:03:02.0", "%s/0000:03:00.0/virtfn0", dev);
	ln("../0000:03:02.1", "%s/0000:03:00.0/virtfn1", dev);
	ln("../0000:03:00.0", "%s/0000:03:02.0/physfn", dev);
	ln("../0000:03:00.0", "%s/0000:03:02.1/physfn", dev);
	ln("../../../../bus/pci/drivers/vfio-pci", "%s/0000:03:02.1/driver", dev);
	/* a VF whose PF does not list it */
	mk("%s/0000:03:02.7", dev);
	ln("../0000:03:00.0", "%s/0000:03:02.7/physfn", dev);
	ln("../../../devices/pci0000:00/0000:00:02.0/0000:03:02.7", "bus/pci/devices/0000:03:02.7");
	return 0;
}

static int remove_tree(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

static void test_pci_addr(void **state)
{
	(void)state;
	struct np_err e = { 0 };
	assert_int_equal(np_pci_addr_valid("0000:03:02.1", &e), 0);
	static const char *const bad[] = { "0000:03:02.8", "0000:03:02", "../../../etc", "0000:03:02.1/x",
					   "0000:03:2.1", "0000:0G:02.1", "0000:03:02.1 ", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		np_err_clear(&e);
		assert_int_equal(np_pci_addr_valid(bad[i], &e), -EINVAL);
		assert_non_null(strstr(e.msg, "is not of the form 0000:03:02.1"));
	}
}

static void test_lookup(void **state)
{
	(void)state;
	struct np_vf_ref r;
	struct np_err e = { 0 };
	if (np_vf_lookup(root, "0000:03:02.1", &r, &e) < 0)
		fail_msg("%s", e.msg);
	assert_string_equal(r.pf_pci, "0000:03:00.0");
	assert_string_equal(r.pf_ifname, "ens1f0");
	assert_int_equal(r.vf, 1);
	assert_string_equal(r.driver, "vfio-pci");
	assert_int_equal(np_vf_lookup(root, "0000:03:02.0", &r, &e), 0);
	assert_int_equal(r.vf, 0);
	assert_string_equal(r.driver, "");

	np_err_clear(&e);
	assert_int_equal(np_vf_lookup(root, "0000:05:00.0", &r, &e), -ENODEV);
	assert_non_null(strstr(e.msg, "0000:05:00.0 is not a virtual function"));
	np_err_clear(&e);
	assert_int_equal(np_vf_lookup(root, "0000:09:00.1", &r, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "device 0000:09:00.1 not found"));
	np_err_clear(&e);
	assert_int_equal(np_vf_lookup(root, "0000:03:02.7", &r, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "not listed by its PF 0000:03:00.0"));
	np_err_clear(&e);
	assert_int_equal(np_vf_lookup(root, "../../../../etc/passwd", &r, &e), -EINVAL);
}

/* An attribute as the kernel lays it out: 4-byte header, payload, padding. */
static size_t put_attr(uint8_t *b, size_t off, uint16_t type, const void *p, uint16_t len)
{
	uint16_t alen = (uint16_t)(4 + len);
	memcpy(b + off, &alen, 2);
	memcpy(b + off + 2, &type, 2);
	if (len)
		memcpy(b + off + 4, p, len);
	return off + ((alen + 3u) & ~3u);
}

static void set_len16(uint8_t *b, size_t at, size_t end)
{
	uint16_t l = (uint16_t)(end - at);
	memcpy(b + at, &l, 2);
}

static void test_vf_message_bytes(void **state)
{
	(void)state;
	static uint8_t got[512], want[512];
	struct np_vf_config c = {
		.has_mac = true, .has_vlan = true, .has_spoofchk = true, .has_trust = true,
		.has_link_state = true, .mac = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee },
		.vlan = 13, .qos = 2, .spoofchk = true, .trust = false, .link_state = NP_VF_LINK_ENABLE,
	};
	memset(got, 0, sizeof(got));
	struct nlmsghdr *nlh = np_vf_msg(got, 77, 5, 3, &c);

	memset(want, 0, sizeof(want));
	struct nlmsghdr h = { .nlmsg_type = RTM_SETLINK, .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK, .nlmsg_seq = 77 };
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = 5 };
	size_t off = sizeof(h);
	memcpy(want + off, &ifi, sizeof(ifi));
	off += sizeof(ifi);
	size_t list = off;
	off = put_attr(want, off, NLA_F_NESTED | IFLA_VFINFO_LIST, NULL, 0);
	size_t info = off;
	off = put_attr(want, off, NLA_F_NESTED | IFLA_VF_INFO, NULL, 0);
	struct ifla_vf_mac m = { .vf = 3 };
	memcpy(m.mac, c.mac, 6);
	off = put_attr(want, off, IFLA_VF_MAC, &m, sizeof(m));
	struct ifla_vf_vlan v = { .vf = 3, .vlan = 13, .qos = 2 };
	off = put_attr(want, off, IFLA_VF_VLAN, &v, sizeof(v));
	struct ifla_vf_spoofchk sc = { .vf = 3, .setting = 1 };
	off = put_attr(want, off, IFLA_VF_SPOOFCHK, &sc, sizeof(sc));
	struct ifla_vf_trust t = { .vf = 3, .setting = 0 };
	off = put_attr(want, off, IFLA_VF_TRUST, &t, sizeof(t));
	struct ifla_vf_link_state ls = { .vf = 3, .link_state = IFLA_VF_LINK_STATE_ENABLE };
	off = put_attr(want, off, IFLA_VF_LINK_STATE, &ls, sizeof(ls));
	set_len16(want, info, off);
	set_len16(want, list, off);
	h.nlmsg_len = (uint32_t)off;
	memcpy(want, &h, sizeof(h));

	assert_int_equal(nlh->nlmsg_len, off);
	assert_memory_equal(got, want, off);

	/* only what was asked for is sent */
	struct np_vf_config only_mac = { .has_mac = true, .mac = { 2, 0, 0, 0, 0, 1 } };
	nlh = np_vf_msg(got, 1, 5, 0, &only_mac);
	assert_int_equal(nlh->nlmsg_len, sizeof(h) + sizeof(ifi) + 4 + 4 + 4 + sizeof(struct ifla_vf_mac));
}

static void test_bridge_vlan_message_bytes(void **state)
{
	(void)state;
	static uint8_t got[256], want[256];
	memset(got, 0, sizeof(got));
	struct nlmsghdr *nlh = np_bridge_vlan_msg(got, 9, 7, 13, true, true, false);
	memset(want, 0, sizeof(want));
	struct nlmsghdr h = { .nlmsg_type = RTM_SETLINK, .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK, .nlmsg_seq = 9 };
	struct ifinfomsg ifi = { .ifi_family = AF_BRIDGE, .ifi_index = 7 };
	size_t off = sizeof(h);
	memcpy(want + off, &ifi, sizeof(ifi));
	off += sizeof(ifi);
	size_t spec = off;
	off = put_attr(want, off, NLA_F_NESTED | IFLA_AF_SPEC, NULL, 0);
	struct bridge_vlan_info vi = { .flags = BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED, .vid = 13 };
	off = put_attr(want, off, IFLA_BRIDGE_VLAN_INFO, &vi, sizeof(vi));
	set_len16(want, spec, off);
	h.nlmsg_len = (uint32_t)off;
	memcpy(want, &h, sizeof(h));
	assert_int_equal(nlh->nlmsg_len, off);
	assert_memory_equal(got, want, off);

	/* removing VLAN 1 (preserveDefaultVlan false) is an RTM_DELLINK */
	nlh = np_bridge_vlan_msg(got, 10, 7, 1, false, false, true);
	assert_int_equal(nlh->nlmsg_type, RTM_DELLINK);
	const struct bridge_vlan_info *sent = (const void *)(got + off - sizeof(vi));
	assert_int_equal(sent->vid, 1);
	assert_int_equal(sent->flags, 0);
}

static void test_vlan_filtering_message_bytes(void **state)
{
	(void)state;
	static uint8_t got[256], want[256];
	memset(got, 0, sizeof(got));
	struct nlmsghdr *nlh = np_bridge_vlan_filtering_msg(got, 4, "vlan-13", true);
	memset(want, 0, sizeof(want));
	struct nlmsghdr h = { .nlmsg_type = RTM_NEWLINK, .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK, .nlmsg_seq = 4 };
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	size_t off = sizeof(h);
	memcpy(want + off, &ifi, sizeof(ifi));
	off += sizeof(ifi);
	off = put_attr(want, off, IFLA_IFNAME, "vlan-13", 8);
	size_t li = off;
	off = put_attr(want, off, NLA_F_NESTED | IFLA_LINKINFO, NULL, 0);
	off = put_attr(want, off, IFLA_INFO_KIND, "bridge", 7);
	size_t data = off;
	off = put_attr(want, off, NLA_F_NESTED | IFLA_INFO_DATA, NULL, 0);
	uint8_t one = 1;
	off = put_attr(want, off, IFLA_BR_VLAN_FILTERING, &one, 1);
	set_len16(want, data, off);
	set_len16(want, li, off);
	h.nlmsg_len = (uint32_t)off;
	memcpy(want, &h, sizeof(h));
	assert_int_equal(nlh->nlmsg_len, off);
	assert_memory_equal(got, want, off);
}

static void test_vlan_subinterface_message_bytes(void **state)
{
	(void)state;
	static uint8_t got[256], want[256];
	memset(got, 0, sizeof(got));
	struct nlmsghdr *nlh = np_vlan_msg(got, 3, "eth0.13", 2, 13, 1500);
	memset(want, 0, sizeof(want));
	struct nlmsghdr h = { .nlmsg_type = RTM_NEWLINK,
			      .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, .nlmsg_seq = 3 };
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	size_t off = sizeof(h);
	memcpy(want + off, &ifi, sizeof(ifi));
	off += sizeof(ifi);
	off = put_attr(want, off, IFLA_IFNAME, "eth0.13", 8);
	uint32_t mtu = 1500, parent = 2;
	off = put_attr(want, off, IFLA_MTU, &mtu, 4);
	off = put_attr(want, off, IFLA_LINK, &parent, 4);
	size_t li = off;
	off = put_attr(want, off, NLA_F_NESTED | IFLA_LINKINFO, NULL, 0);
	off = put_attr(want, off, IFLA_INFO_KIND, "vlan", 5);
	size_t data = off;
	off = put_attr(want, off, NLA_F_NESTED | IFLA_INFO_DATA, NULL, 0);
	uint16_t vid = 13;
	off = put_attr(want, off, IFLA_VLAN_ID, &vid, 2);
	set_len16(want, data, off);
	set_len16(want, li, off);
	h.nlmsg_len = (uint32_t)off;
	memcpy(want, &h, sizeof(h));
	assert_int_equal(nlh->nlmsg_len, off);
	assert_memory_equal(got, want, off);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pci_addr),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_vf_message_bytes),
		cmocka_unit_test(test_bridge_vlan_message_bytes),
		cmocka_unit_test(test_vlan_filtering_message_bytes),
		cmocka_unit_test(test_vlan_subinterface_message_bytes),
	};
	return cmocka_run_group_tests_name("SR-IOV and VLAN messages", tests, make_tree, remove_tree);
}
