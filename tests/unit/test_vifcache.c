/* vif-cache formats: KubeVirt's encoding against golden files in both
 * directions, mignet's record round trip, and hostile content; the store
 * on a private tree: the two file families apart, the old layout, FIFOs,
 * failed writes, hard links and Kubernetes names. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "atomic_file.h"
#include "base64.h"
#include "domainxml.h"
#include "exportdoc.h"
#include "jsoncheck.h"
#include "kubevirt.h"
#include "record.h"
#include "vc_store.h"

static char *slurp(const char *name, size_t *len)
{
	char path[256];
	snprintf(path, sizeof(path), "tests/golden/%s", name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *buf = malloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

static void base_record(struct vc_record *r)
{
	memset(r, 0, sizeof(*r));
	r->schema = VC_SCHEMA;
	strcpy(r->ns, "prod");
	strcpy(r->vm, "vm-a");
	strcpy(r->uid, "8e1c7f2a-1111-4222-8333-944455556666");
	strcpy(r->network, "vlan-13-net");
	strcpy(r->pod_iface, "pod16477688c0e");
	r->binding = VC_BRIDGE;
	r->state = VC_FINISHED;
	r->created = r->updated = 1795300000;
}

static void test_base64(void **state)
{
	(void)state;
	char out[64];
	uint8_t back[16];
	const uint8_t mac[6] = { 0x02, 0x42, 0x0a, 0xf4, 0x01, 0x05 };
	vc_base64_encode(mac, 6, out);
	assert_string_equal(out, "AkIK9AEF");
	const uint8_t m24[4] = { 0xff, 0xff, 0xff, 0 };
	vc_base64_encode(m24, 4, out);
	assert_string_equal(out, "////AA==");
	assert_int_equal(vc_base64_decode("////AA==", back, sizeof(back)), 4);
	assert_memory_equal(back, m24, 4);
	static const char *const bad[] = { "////AA=", "///*AA==", "//=/AA==", "AA==AA==", "A===" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(vc_base64_decode(bad[i], back, sizeof(back)), -1);
	assert_int_equal(vc_base64_decode("AAAAAAAAAAAAAAAAAAAAAAAA", back, 16), -1); /* 18 bytes > max */
}

static void test_kubevirt_golden_write(void **state)
{
	(void)state;
	struct vc_record r;
	base_record(&r);
	r.has_mac = true;
	const uint8_t mac[6] = { 0x02, 0x42, 0x0a, 0xf4, 0x01, 0x05 };
	memcpy(r.mac, mac, 6);
	assert_int_equal(np_prefix_parse("10.244.1.5/24", false, &r.ips[0], NULL), 0);
	assert_int_equal(np_prefix_parse("fd10::5/64", false, &r.ips[1], NULL), 0); /* IPv6: not written */
	r.n_ips = 2;
	assert_int_equal(np_ip_parse("10.244.1.1", &r.gws[0], NULL), 0);
	r.n_gws = 1;
	assert_int_equal(np_prefix_parse("0.0.0.0/0", false, &r.routes[0].dst, NULL), 0);
	r.routes[0].has_gw = true;
	r.routes[0].gw = r.gws[0];
	assert_int_equal(np_prefix_parse("10.100.0.0/16", false, &r.routes[1].dst, NULL), 0);
	r.routes[1].has_gw = true;
	assert_int_equal(np_ip_parse("10.244.1.254", &r.routes[1].gw, NULL), 0);
	/* the on-link subnet route is left out, as KubeVirt does */
	assert_int_equal(np_prefix_parse("10.244.1.0/24", false, &r.routes[2].dst, NULL), 0);
	r.n_routes = 3;
	char *got = vc_kubevirt_format(&r);
	char *want = slurp("vif-cache-full.json", NULL);
	assert_string_equal(got, want);
	free(got);
	free(want);

	/* no IPv4: IP without IP/Mask, IPAMDisabled, null Routes, empty Gateway */
	base_record(&r);
	r.has_mac = true;
	const uint8_t mac2[6] = { 0x02, 0, 0, 0, 0, 0x2a };
	memcpy(r.mac, mac2, 6);
	got = vc_kubevirt_format(&r);
	want = slurp("vif-cache-unset.json", NULL);
	assert_string_equal(got, want);
	free(got);
	free(want);
}

static void test_kubevirt_golden_read(void **state)
{
	(void)state;
	static const char *const files[] = { "vif-cache-full.json", "vif-cache-abridged.json" };
	for (int f = 0; f < 2; f++) {
		size_t len;
		char *txt = slurp(files[f], &len);
		struct vc_record r;
		bool disabled = true;
		struct np_err e = { 0 };
		base_record(&r);
		if (vc_kubevirt_parse(txt, len, &r, &disabled, &e) < 0)
			fail_msg("%s: %s", files[f], e.msg);
		char buf[64];
		assert_false(disabled);
		assert_true(r.has_mac);
		assert_string_equal(np_mac_str(r.mac, buf, sizeof(buf)), "02:42:0a:f4:01:05");
		assert_int_equal(r.n_ips, 1);
		assert_string_equal(np_prefix_str(&r.ips[0], buf, sizeof(buf)), "10.244.1.5/24");
		assert_int_equal(r.n_gws, 1);
		assert_string_equal(np_ip_str(&r.gws[0], buf, sizeof(buf)), "10.244.1.1");
		assert_true(r.n_routes >= 1);
		assert_int_equal(r.routes[0].dst.len, 0); /* null Dst: default */
		assert_string_equal(np_ip_str(&r.routes[0].gw, buf, sizeof(buf)), "10.244.1.1");
		if (f == 0) {
			assert_int_equal(r.n_routes, 2);
			assert_string_equal(np_prefix_str(&r.routes[1].dst, buf, sizeof(buf)), "10.100.0.0/16");
		}
		free(txt);
	}
	size_t len;
	char *txt = slurp("vif-cache-unset.json", &len);
	struct vc_record r;
	bool disabled = false;
	base_record(&r);
	assert_int_equal(vc_kubevirt_parse(txt, len, &r, &disabled, NULL), 0);
	assert_true(disabled);
	assert_int_equal(r.n_ips, 0);
	assert_int_equal(r.n_routes, 0);
	assert_int_equal(r.n_gws, 0);
	free(txt);
	/* MAC null is accepted and means unset */
	const char *nullmac = "{\"MAC\":null,\"Routes\":null,\"IPAMDisabled\":true}";
	assert_int_equal(vc_kubevirt_parse(nullmac, strlen(nullmac), &r, &disabled, NULL), 0);
	assert_false(r.has_mac);
}

static void test_kubevirt_hostile(void **state)
{
	(void)state;
	static const struct { const char *txt, *needle; } bad[] = {
		{ "{\"MAC\":\"AkIK\"}", "base64 6-byte" },
		{ "{\"MAC\":42}", "base64 6-byte" },
		{ "{\"IP\":{\"IP\":\"10.0.0.1\",\"Mask\":\"/wD/AA==\"}}", "not contiguous" },
		{ "{\"IP\":{\"IP\":\"10.0.0.1\",\"Mask\":\"////////AA==\"}}", "4-byte mask" },
		{ "{\"IP\":{\"IP\":\"10.0.0.999\",\"Mask\":\"////AA==\"}}", "not an IPv4 or IPv6" },
		{ "{\"IP\":\"10.0.0.1\"}", "IP must be an object" },
		{ "{\"Routes\":{}}", "Routes must be null or a list" },
		{ "{\"Routes\":[{\"Dst\":\"x\"}]}", "Dst null or {IP, Mask}" },
		{ "{\"Gateway\":5}", "Gateway must be a string" },
		{ "{\"IPAMDisabled\":\"yes\"}", "IPAMDisabled must be true or false" },
		{ "[1,2]", "not a JSON object" },
		{ "{\"Name\":\"", "not a JSON object" },
		{ "{\"Gateway\":\"1.2.3.4\\u0000\"}", "escaped NUL" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct vc_record r;
		bool d;
		struct np_err e = { 0 };
		base_record(&r);
		if (vc_kubevirt_parse(bad[i].txt, strlen(bad[i].txt), &r, &d, &e) >= 0 || !strstr(e.msg, bad[i].needle))
			fail_msg("input %zu: expected \"%s\", got \"%s\"", i, bad[i].needle, e.msg);
	}
	char *big = malloc(VC_KUBEVIRT_MAX + 2);
	memset(big, ' ', VC_KUBEVIRT_MAX + 1);
	big[VC_KUBEVIRT_MAX + 1] = '\0';
	struct vc_record r;
	bool d;
	struct np_err e = { 0 };
	assert_int_equal(vc_kubevirt_parse(big, VC_KUBEVIRT_MAX + 1, &r, &d, &e), -EFBIG);
	assert_non_null(strstr(e.msg, "above the"));
	free(big);
}

static void test_record_roundtrip(void **state)
{
	(void)state;
	struct vc_record r, back;
	base_record(&r);
	r.has_mac = true;
	const uint8_t mac[6] = { 0x02, 0, 0, 0, 0x13, 0x01 };
	memcpy(r.mac, mac, 6);
	np_prefix_parse("10.13.0.5/24", false, &r.ips[0], NULL);
	np_prefix_parse("fd13::5/64", false, &r.ips[1], NULL);
	r.n_ips = 2;
	np_ip_parse("10.13.0.1", &r.gws[0], NULL);
	r.n_gws = 1;
	np_prefix_parse("0.0.0.0/0", false, &r.routes[0].dst, NULL);
	r.routes[0].has_gw = true;
	r.routes[0].gw = r.gws[0];
	r.n_routes = 1;
	r.mtu = 1450;
	r.vlan = 13;
	strcpy(r.bridge, "vlan-13");
	r.binding = VC_SRIOV;
	r.has_sriov = true;
	strcpy(r.sriov.pf, "ens1f0");
	r.sriov.vf = 3;
	strcpy(r.sriov.pci, "0000:03:02.3");
	memcpy(r.sriov.vf_mac, mac, 6);
	r.sriov.vlan = 13;
	r.sriov.spoofchk = true;
	strcpy(r.owner.container_id, "c0ffee");
	r.owner.netns_inode = 4026532177ULL;
	strcpy(r.owner.pod_uid, "1f2e3d4c-aaaa-bbbb-cccc-000000000001");
	char *txt = vc_record_format(&r);
	struct np_err e = { 0 };
	if (vc_record_parse(txt, strlen(txt), &back, &e) < 0)
		fail_msg("%s\n%s", e.msg, txt);
	free(txt);
	assert_true(vc_record_same_network_state(&r, &back));
	assert_string_equal(back.uid, r.uid);
	assert_int_equal(back.binding, VC_SRIOV);
	assert_true(back.has_sriov);
	assert_int_equal(back.sriov.vf, 3);
	assert_string_equal(back.sriov.pci, "0000:03:02.3");
	assert_true(back.owner.netns_inode == 4026532177ULL);
	assert_int_equal(back.state, VC_FINISHED);
	assert_true(back.created == r.created);
	assert_int_equal(back.vlan, 13);
	assert_string_equal(back.bridge, "vlan-13");
}

static void test_record_hostile(void **state)
{
	(void)state;
	struct vc_record r;
	base_record(&r);
	char *good = vc_record_format(&r);
	struct np_err e = { 0 };
	assert_int_equal(vc_record_parse(good, strlen(good), &r, &e), 0);
	/* truncated at every length: never accepted, never a crash */
	for (size_t n = 0; n + 1 < strlen(good); n++) {
		np_err_clear(&e);
		if (vc_record_parse(good, n, &r, &e) == 0)
			fail_msg("a record truncated to %zu bytes was accepted", n);
	}
	free(good);
	static const struct { const char *txt, *needle; } bad[] = {
		{ "garbage", "not valid JSON" },
		{ "[]", "not a JSON object" },
		{ "{\"schemaVersion\":2}", "schemaVersion 2 is not supported" },
		{ "{\"schemaVersion\":\"1\"}", "whole number" },
		{ "{\"schemaVersion\":1,\"vm\":\"x\"}", "\"vm\" must be an object" },
		{ "{\"schemaVersion\":1,\"vm\":{\"namespace\":\"../etc\",\"name\":\"a\"},\"network\":\"n\",\"podInterface\":\"net1\",\"binding\":\"bridge\",\"state\":\"finished\"}", "namespace \"../etc\" is not a valid Kubernetes name" },
		{ "{\"schemaVersion\":1,\"vm\":{\"namespace\":\"a/b\",\"name\":\"a\"},\"network\":\"n\",\"podInterface\":\"net1\",\"binding\":\"bridge\",\"state\":\"finished\"}", "namespace \"a/b\" is not a valid Kubernetes name" },
		{ "{\"schemaVersion\":1,\"vm\":{\"namespace\":\"ns\",\"name\":\"a\"},\"network\":\"n\",\"podInterface\":\"../../x\",\"binding\":\"bridge\",\"state\":\"finished\"}", "forbidden character" },
		{ "{\"schemaVersion\":1,\"vm\":{\"namespace\":\"ns\",\"name\":\"a\\u0000/../x\"},\"network\":\"n\",\"podInterface\":\"net1\",\"binding\":\"bridge\",\"state\":\"finished\"}", "escaped NUL" },
		{ "{\"schemaVersion\":1,\"vm\":{\"namespace\":\"ns\",\"name\":\"a\"},\"network\":\"n\",\"podInterface\":\"net1\",\"binding\":\"tap\",\"state\":\"finished\"}", "\"binding\" must be" },
		{ "{\"schemaVersion\":1,\"vm\":{\"namespace\":\"ns\",\"name\":\"a\"},\"network\":\"n\",\"podInterface\":\"net1\",\"binding\":\"bridge\",\"state\":\"done\"}", "\"state\" must be" },
		{ "{\"schemaVersion\":1,\"vm\":{\"namespace\":\"ns\",\"name\":\"a\"},\"network\":\"n\",\"podInterface\":\"net1\",\"binding\":\"bridge\",\"state\":\"finished\",\"ips\":[\"10.0.0.1\"]}", "ADDRESS/LEN" },
		{ "{\"schemaVersion\":1,\"vm\":{\"namespace\":\"ns\",\"name\":\"a\"},\"network\":\"n\",\"podInterface\":\"net1\",\"binding\":\"bridge\",\"state\":\"finished\",\"mtu\":-1}", "whole number" },
		{ "{\"schemaVersion\":1,\"vm\":{\"namespace\":\"ns\",\"name\":\"a\"},\"network\":\"n\",\"podInterface\":\"net1\",\"binding\":\"bridge\",\"state\":\"finished\",\"mac\":\"zz:00:00:00:00:00\"}", "must look like" },
		{ "{\"schemaVersion\":1,\"vm\":{\"namespace\":\"ns\",\"name\":\"a\"},\"network\":\"n\",\"podInterface\":\"net1\",\"binding\":\"bridge\",\"state\":\"finished\",\"ips\":[\"1.1.1.1/32\",\"1.1.1.2/32\",\"1.1.1.3/32\",\"1.1.1.4/32\",\"1.1.1.5/32\",\"1.1.1.6/32\",\"1.1.1.7/32\",\"1.1.1.8/32\",\"1.1.1.9/32\"]}", "at most 8" },
		{ "{\"schemaVersion\":1,\"vm\":{\"namespace\":\"ns\",\"name\":\"a\"},\"network\":\"n\",\"podInterface\":\"net1\",\"binding\":\"bridge\",\"state\":\"finished\",\"owner\":{\"containerID\":\"../x\"}}", "container ID" },
		{ "{\"schemaVersion\":1,\"vm\":{\"namespace\":\"ns\",\"name\":\"a\"},\"network\":\"n\",\"podInterface\":\"net1\",\"binding\":\"sriov\",\"state\":\"finished\",\"sriov\":{\"pf\":\"p\",\"vf\":1,\"pciAddress\":\"../../x\",\"vfMac\":\"02:00:00:00:00:01\"}}", "PCI address" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		np_err_clear(&e);
		if (vc_record_parse(bad[i].txt, strlen(bad[i].txt), &r, &e) >= 0 || !strstr(e.msg, bad[i].needle))
			fail_msg("input %zu: expected \"%s\", got \"%s\"", i, bad[i].needle, e.msg);
	}
	char *big = malloc(VC_RECORD_MAX + 2);
	memset(big, ' ', VC_RECORD_MAX + 1);
	big[VC_RECORD_MAX + 1] = '\0';
	np_err_clear(&e);
	assert_int_equal(vc_record_parse(big, VC_RECORD_MAX + 1, &r, &e), -EFBIG);
	assert_non_null(strstr(e.msg, "above the 65536-byte limit"));
	free(big);
}

static void test_export_doc(void **state)
{
	(void)state;
	struct vc_record r, *out = NULL;
	base_record(&r);
	cJSON *arr = cJSON_CreateArray();
	cJSON_AddItemToArray(arr, vc_record_to_json(&r));
	cJSON *doc = vc_export_doc("prod", "vm-a", arr);
	char *txt = cJSON_Print(doc);
	cJSON_Delete(doc);
	struct np_err e = { 0 };
	assert_int_equal(vc_export_parse(txt, strlen(txt), &out, &e), 1);
	assert_string_equal(out[0].pod_iface, "pod16477688c0e");
	free(out);
	/* records of another VM are refused */
	char *other = strdup(txt);
	char *p = strstr(other, "\"vm\":\t\"vm-a\"");
	assert_non_null(p);
	memcpy(p + 7, "vm-b", 4);
	assert_true(vc_export_parse(other, strlen(other), &out, &e) < 0);
	assert_non_null(strstr(e.msg, "belongs to prod/vm-a, not to prod/vm-b"));
	free(other);
	free(txt);
	np_err_clear(&e);
	assert_true(vc_export_parse("{\"records\":[]}", 14, &out, &e) < 0);
	assert_non_null(strstr(e.msg, "not a mignet export document"));
}

static void test_domain_xml(void **state)
{
	(void)state;
	const char *xml =
		"<domain type='kvm'><devices>"
		"<interface type='ethernet'><mac address='02:00:00:aa:bb:01'/><alias name='ua-default'/></interface>"
		"<interface type='ethernet'><mac address='02:00:00:aa:bb:02'/><target dev='tap1'/><alias name='ua-vlan13'/></interface>"
		"</devices></domain>";
	uint8_t mac[6];
	char buf[32];
	struct np_err e = { 0 };
	assert_int_equal(vc_domain_xml_mac(xml, "ua-vlan13", mac, &e), 0);
	assert_string_equal(np_mac_str(mac, buf, sizeof(buf)), "02:00:00:aa:bb:02");
	assert_int_equal(vc_domain_xml_mac(xml, "ua-none", mac, &e), -ENOENT);
	np_err_clear(&e);
	assert_int_equal(vc_domain_xml_mac(xml, NULL, mac, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "give --alias"));
	np_err_clear(&e);
	assert_int_equal(vc_domain_xml_mac("<interface type='x'><alias name='a'/>", "a", mac, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "not well-formed"));
	/* entities are not expanded: an external one never reads the file */
	np_err_clear(&e);
	assert_true(vc_domain_xml_mac("<!DOCTYPE domain [<!ENTITY m SYSTEM \"file:///etc/hostname\">]>"
				      "<domain><devices><interface><mac address='&m;'/><alias name='a'/></interface>"
				      "</devices></domain>", "a", mac, &e) < 0);
	/* an interface outside /domain/devices is not the guest's */
	np_err_clear(&e);
	assert_int_equal(vc_domain_xml_mac("<domain><interface><mac address='02:00:00:aa:bb:09'/>"
					   "<alias name='a'/></interface></domain>", "a", mac, &e), -ENOENT);
}

static void test_json_check(void **state)
{
	(void)state;
	size_t len, vl;
	const char *v;
	char *txt = slurp("vif-cache-full.json", &len);
	assert_true(vc_json_valid(txt, len, "MAC", &v, &vl));
	assert_int_equal(vl, 8);
	assert_memory_equal(v, "AkIK9AEF", 8);
	for (size_t n = 0; n + 1 < len; n += 7)
		if (vc_json_valid(txt, n, NULL, NULL, NULL))
			fail_msg("a file cut at %zu bytes passed", n);
	free(txt);
	static const char *const bad[] = {
		"{\"a\":\"\\\0\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00x\"}", "{\"a\":01}",
		"{\"a\":1.}", "{\"a\" 1}", "{\"a\":[1,]}", "[1] x", "{\"a\":tru}", "\"\x01\"",
	};
	static const size_t bad_len[] = { 10, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (vc_json_valid(bad[i], bad_len[i] ? bad_len[i] : strlen(bad[i]), NULL, NULL, NULL))
			fail_msg("invalid JSON %zu accepted", i);
	const char *good = " {\"x\":{\"MAC\":\"no\"},\"MAC\":\"yes\",\"s\":\"\\ud83d\\ude00\",\"n\":-1.5e3} ";
	assert_true(vc_json_valid(good, strlen(good), "MAC", &v, &vl));
	assert_int_equal(vl, 3); /* the top-level member, not the nested one */
	assert_memory_equal(v, "yes", 3);
	/* duplicates: the first member wins, as in cJSON's lookup */
	const char *dup = "{\"MAC\":\"first\",\"MAC\":\"second\"}";
	assert_true(vc_json_valid(dup, strlen(dup), "MAC", &v, &vl));
	assert_int_equal(vl, 5);
	assert_memory_equal(v, "first", 5);
	const char *dup_num = "{\"MAC\":7,\"MAC\":\"second\"}";
	assert_true(vc_json_valid(dup_num, strlen(dup_num), "MAC", &v, &vl));
	assert_null(v);
}


/* --- the store, on a private tree ----------------------------------- */

static char root[256];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	return remove(path);
}

static int make_root(void **state)
{
	(void)state;
	const char *base = getenv("TMPDIR_BASE");
	snprintf(root, sizeof(root), "%s-unitvc-XXXXXX", base ? base : "/tmp/mignet-test");
	if (!mkdtemp(root))
		return -1;
	chmod(root, 0700);
	return 0;
}

static int remove_root(void **state)
{
	(void)state;
	return nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A writer on root; KubeVirt's files keep our own owner (no root needed). */
static void open_store(struct vc_store *s)
{
	struct np_err e = { 0 };
	if (vc_store_open(s, root, true, &e) < 0)
		fail_msg("%s", e.msg);
	s->kubevirt_uid = (uid_t)-1;
	s->kubevirt_gid = (gid_t)-1;
}

static const char *path_of(const char *rel)
{
	static char p[512];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	return p;
}

static void move(const char *from, const char *to)
{
	char a[512];
	snprintf(a, sizeof(a), "%s", path_of(from));
	assert_int_equal(rename(a, path_of(to)), 0);
}

static bool exists(const char *rel)
{
	struct stat st;
	return lstat(path_of(rel), &st) == 0;
}

static void store_record(struct vc_store *s, const char *ns, const char *vm, const char *iface,
			 uint8_t last, bool kubevirt)
{
	struct vc_record r;
	struct np_err e = { 0 };
	base_record(&r);
	strcpy(r.ns, ns);
	strcpy(r.vm, vm);
	strcpy(r.pod_iface, iface);
	r.has_mac = true;
	const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, last };
	memcpy(r.mac, mac, 6);
	if (vc_store_write(s, &r, &e) < 0 || (kubevirt && vc_store_write_kubevirt(s, &r, &e) < 0))
		fail_msg("%s/%s/%s: %s", ns, vm, iface, e.msg);
}

struct seen {
	int n, damaged, with_kv;
	char ifaces[8][IFNAMSIZ];
	char errors[8][NP_ERR_MAX];
};

static int seen_cb(const struct vc_entry *en, void *arg)
{
	struct seen *w = arg;
	if (w->n < 8) {
		snprintf(w->ifaces[w->n], IFNAMSIZ, "%s", en->pod_iface);
		snprintf(w->errors[w->n], NP_ERR_MAX, "%s", en->r ? "" : en->err->msg);
	}
	w->n++;
	w->damaged += !en->r;
	w->with_kv += en->has_kubevirt;
	return 0;
}

static const char *seen_error(const struct seen *w, const char *iface)
{
	for (int i = 0; i < w->n && i < 8; i++)
		if (!strcmp(w->ifaces[i], iface))
			return w->errors[i];
	return NULL;
}

/* A pod interface named "vif-cache-x": its record must not be KubeVirt's
 * file of "x", and the walk shows both records. */
static void test_store_kubevirt_name_apart(void **state)
{
	(void)state;
	struct vc_store s;
	struct vc_record r;
	struct np_err e = { 0 };
	bool disabled;
	open_store(&s);
	store_record(&s, "prod", "vm-a", "x", 0x0a, true);
	store_record(&s, "prod", "vm-a", "vif-cache-x", 0x0b, true);
	assert_int_equal(vc_store_read_kubevirt(&s, "prod", "vm-a", "x", &r, &e), 0);
	assert_true(r.has_mac);
	assert_int_equal(r.mac[5], 0x0a); /* still KubeVirt's file of x */
	size_t len;
	char *txt;
	int vm = open(path_of("prod/vm-a"), O_RDONLY | O_DIRECTORY);
	assert_int_equal(np_file_read(vm, "vif-cache-x.json", 1 << 20, &txt, &len, &e), 0);
	close(vm);
	assert_int_equal(vc_kubevirt_parse(txt, len, &r, &disabled, &e), 0);
	assert_null(strstr(txt, "schemaVersion"));
	free(txt);
	assert_int_equal(vc_store_read(&s, "prod", "vm-a", "vif-cache-x", &r, &e), 0);
	assert_int_equal(r.mac[5], 0x0b);
	struct seen w = { 0 };
	assert_int_equal(vc_store_walk(&s, "prod", "vm-a", seen_cb, &w, &e), 0);
	assert_int_equal(w.n, 2);
	assert_int_equal(w.damaged, 0);
	assert_int_equal(w.with_kv, 2);
	assert_true(exists("prod/vm-a/" VC_RECORD_DIR "/vif-cache-x.json"));
	assert_int_equal(vc_store_remove(&s, "prod", "vm-a", "vif-cache-x", &e), 0);
	assert_int_equal(vc_store_read_kubevirt(&s, "prod", "vm-a", "x", &r, &e), 0);
	assert_int_equal(vc_store_remove(&s, "prod", "vm-a", "x", &e), 0);
	vc_store_close(&s);
}

/* Records of the old layout (<vm>/<iface>.json) are read, listed once,
 * move on their next write and go with a remove; an old "vif-cache-*"
 * name is never taken for a record. */
static void test_store_old_layout(void **state)
{
	(void)state;
	struct vc_store s;
	struct vc_record r;
	struct np_err e = { 0 };
	open_store(&s);
	store_record(&s, "prod", "vm-o", "x", 1, true);
	store_record(&s, "prod", "vm-o", "y", 2, false);
	move("prod/vm-o/" VC_RECORD_DIR "/x.json", "prod/vm-o/x.json");
	/* an old copy of y beside the new one: the new one counts */
	char from[512];
	snprintf(from, sizeof(from), "%s", path_of("prod/vm-o/" VC_RECORD_DIR "/y.json"));
	assert_int_equal(link(from, path_of("prod/vm-o/y.json")), 0);
	assert_int_equal(vc_store_read(&s, "prod", "vm-o", "x", &r, &e), 0);
	assert_int_equal(r.mac[5], 1);
	assert_int_equal(vc_store_read(&s, "prod", "vm-o", "vif-cache-x", &r, &e), -ENOENT);
	struct seen w = { 0 };
	assert_int_equal(vc_store_walk(&s, "prod", "vm-o", seen_cb, &w, &e), 0);
	assert_int_equal(w.n, 2);
	assert_int_equal(w.damaged, 0);
	assert_int_equal(w.with_kv, 1);
	store_record(&s, "prod", "vm-o", "x", 3, false);
	assert_false(exists("prod/vm-o/x.json"));
	assert_true(exists("prod/vm-o/" VC_RECORD_DIR "/x.json"));
	assert_true(exists("prod/vm-o/vif-cache-x.json"));
	assert_int_equal(vc_store_remove(&s, "prod", "vm-o", "y", &e), 0);
	assert_false(exists("prod/vm-o/y.json"));
	assert_int_equal(vc_store_remove(&s, "prod", "vm-o", "x", &e), 0);
	assert_false(exists("prod/vm-o"));
	vc_store_close(&s);
}

/* FIFOs where records, KubeVirt files or the records' directory belong:
 * errors that name the path, never a reader blocked for ever. */
static void test_store_fifo(void **state)
{
	(void)state;
	struct vc_store s;
	struct vc_record r;
	struct np_err e = { 0 };
	alarm(20); /* a blocked open ends the suite instead of hanging it */
	open_store(&s);
	store_record(&s, "prod", "vm-f", "x", 1, true);
	assert_int_equal(mkfifo(path_of("prod/vm-f/" VC_RECORD_DIR "/y.json"), 0600), 0);
	assert_int_equal(mkfifo(path_of("prod/vm-f/z.json"), 0600), 0); /* old layout */
	assert_int_equal(mkfifo(path_of("prod/vm-f/vif-cache-y.json"), 0600), 0);
	assert_true(vc_store_read(&s, "prod", "vm-f", "y", &r, &e) < 0);
	assert_non_null(strstr(e.msg, "prod/vm-f/" VC_RECORD_DIR "/y.json is not a regular file"));
	np_err_clear(&e);
	assert_true(vc_store_read_kubevirt(&s, "prod", "vm-f", "y", &r, &e) < 0);
	assert_non_null(strstr(e.msg, "vif-cache-y.json is not a regular file"));
	np_err_clear(&e);
	struct seen w = { 0 };
	assert_int_equal(vc_store_walk(&s, "prod", "vm-f", seen_cb, &w, &e), 0);
	assert_int_equal(w.n, 3);
	assert_int_equal(w.damaged, 2);
	assert_non_null(strstr(seen_error(&w, "y"), "is not a regular file"));
	assert_non_null(strstr(seen_error(&w, "z"), "prod/vm-f/z.json is not a regular file"));
	assert_string_equal(seen_error(&w, "x"), "");
	/* the records' directory itself a FIFO */
	assert_int_equal(mkdir(path_of("prod/vm-g"), 0755), 0);
	assert_int_equal(mkfifo(path_of("prod/vm-g/" VC_RECORD_DIR), 0600), 0);
	assert_true(vc_store_read(&s, "prod", "vm-g", "x", &r, &e) < 0);
	assert_non_null(strstr(e.msg, "prod/vm-g/" VC_RECORD_DIR " (not a directory"));
	np_err_clear(&e);
	assert_true(vc_store_remove(&s, "prod", "vm-g", "x", &e) < 0);
	w = (struct seen){ 0 };
	assert_int_equal(vc_store_walk(&s, "prod", "vm-g", seen_cb, &w, &e), 0);
	assert_int_equal(w.n, 0);
	alarm(0);
	vc_store_close(&s);
}

/* A write that fails leaves no directory it made; removing the last
 * record, or pruning a VM without one, leaves none either. */
static void test_store_failed_write_leaves_no_dir(void **state)
{
	(void)state;
	struct vc_store s;
	struct vc_record r;
	struct np_err e = { 0 };
	open_store(&s);
	store_record(&s, "keep", "vm-1", "x", 1, false);
	base_record(&r);
	strcpy(r.ns, "gone");
	struct rlimit old, none;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	none = old;
	none.rlim_cur = 0; /* every write of a byte fails, like a full disk */
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &none), 0);
	int rc1 = vc_store_write(&s, &r, &e);
	strcpy(r.ns, "keep");
	strcpy(r.vm, "vm-2");
	int rc2 = vc_store_write_kubevirt(&s, &r, &e);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_true(rc1 < 0 && rc2 < 0);
	assert_false(exists("gone"));
	assert_false(exists("keep/vm-2"));
	assert_true(exists("keep/vm-1/" VC_RECORD_DIR "/x.json"));
	/* what an older version left: pruned, unless something is in it */
	assert_int_equal(mkdir(path_of("old"), 0755), 0);
	assert_int_equal(mkdir(path_of("old/vm-3"), 0755), 0);
	assert_int_equal(mkdir(path_of("old/vm-3/" VC_RECORD_DIR), 0700), 0);
	assert_int_equal(vc_store_prune(&s, "old", "vm-3", &e), 0);
	assert_false(exists("old"));
	assert_int_equal(vc_store_prune(&s, "keep", "vm-1", &e), 0);
	assert_true(exists("keep/vm-1/" VC_RECORD_DIR "/x.json"));
	assert_int_equal(vc_store_prune(&s, "Keep", "vm-1", &e), -EINVAL);
	assert_int_equal(vc_store_remove(&s, "keep", "vm-1", "x", &e), 0);
	assert_false(exists("keep"));
	vc_store_close(&s);
	struct vc_store ro;
	assert_int_equal(vc_store_open(&ro, root, false, &e), 0);
	assert_int_equal(vc_store_prune(&ro, "keep", "vm-1", &e), -EBADF);
	vc_store_close(&ro);
}

/* A hard link planted where a state file goes is replaced, never written
 * through: the file it shares an inode with keeps its content. */
static void test_store_hard_link(void **state)
{
	(void)state;
	struct vc_store s;
	struct vc_record r;
	struct np_err e = { 0 };
	open_store(&s);
	store_record(&s, "prod", "vm-h", "x", 1, true);
	const char *names[] = { "prod/vm-h/" VC_RECORD_DIR "/x.json", "prod/vm-h/vif-cache-x.json" };
	char outside[512];
	snprintf(outside, sizeof(outside), "%s", path_of("outside"));
	FILE *f = fopen(outside, "w");
	assert_non_null(f);
	fputs("not yours", f);
	fclose(f);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(unlink(path_of(names[i])), 0);
		assert_int_equal(link(outside, path_of(names[i])), 0);
	}
	store_record(&s, "prod", "vm-h", "x", 2, true);
	char buf[64] = "";
	f = fopen(outside, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "not yours");
	struct stat st;
	assert_int_equal(stat(outside, &st), 0);
	assert_int_equal(st.st_nlink, 1);
	assert_int_equal(vc_store_read(&s, "prod", "vm-h", "x", &r, &e), 0);
	assert_int_equal(r.mac[5], 2);
	assert_int_equal(vc_store_read_kubevirt(&s, "prod", "vm-h", "x", &r, &e), 0);
	assert_int_equal(r.mac[5], 2);
	unlink(outside);
	assert_int_equal(vc_store_remove(&s, "prod", "vm-h", "x", &e), 0);
	vc_store_close(&s);
}

/* Namespaces are DNS-1123 labels and VM names DNS-1123 subdomains, from
 * every way in: keys, records, export documents, directories of the cache. */
static void test_kubernetes_names(void **state)
{
	(void)state;
	static const struct { const char *ns, *vm, *iface, *needle; } cases[] = {
		{ "prod", "vm-a", "net1", NULL },
		{ "prod", "vm.a.b", "net1", NULL },
		{ "0prod", "9", "net.1", NULL },
		{ "Prod", "vm-a", "net1", "namespace \"Prod\" is not a valid Kubernetes name (DNS-1123 label): uppercase" },
		{ "prod", "VM-A", "net1", "VM name \"VM-A\" is not a valid Kubernetes name (DNS-1123 subdomain): uppercase" },
		{ "pr_od", "vm-a", "net1", "namespace \"pr_od\" is not a valid Kubernetes name" },
		{ "prod.x", "vm-a", "net1", "'.' is not allowed" },
		{ "-prod", "vm-a", "net1", "must start and end" },
		{ "prod", "vm-", "net1", "must start and end" },
		{ "prod", "vm..a", "net1", "empty part" },
		{ "prod", "..", "net1", "empty part" },
		{ "prod", "vm-a", "a/b", "forbidden character" },
		{ "", "vm-a", "net1", "namespace is empty" },
		{ "p123456789012345678901234567890123456789012345678901234567890123", "vm-a", "net1",
		  "longer than 63 characters" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct np_err e = { 0 };
		int rc = vc_key_validate(cases[i].ns, cases[i].vm, cases[i].iface, &e);
		if (!cases[i].needle ? rc != 0 : rc != -EINVAL || !strstr(e.msg, cases[i].needle))
			fail_msg("case %zu (%s/%s/%s): rc %d, \"%s\"", i, cases[i].ns, cases[i].vm,
				 cases[i].iface, rc, e.msg);
	}
	char long_vm[300];
	memset(long_vm, 'a', 254);
	long_vm[254] = '\0';
	struct np_err e = { 0 };
	assert_int_equal(vc_key_validate("prod", long_vm, NULL, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "longer than 253"));
	/* a record or an export naming one is refused before any path is made */
	struct vc_store s;
	struct vc_record r;
	open_store(&s);
	base_record(&r);
	strcpy(r.ns, "Prod");
	np_err_clear(&e);
	assert_int_equal(vc_store_write(&s, &r, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "namespace \"Prod\""));
	assert_false(exists("Prod"));
	cJSON *arr = cJSON_CreateArray();
	cJSON_AddItemToArray(arr, vc_record_to_json(&r));
	cJSON *doc = vc_export_doc("Prod", "vm-a", arr);
	char *txt = cJSON_Print(doc);
	cJSON_Delete(doc);
	struct vc_record *out = NULL;
	np_err_clear(&e);
	assert_true(vc_export_parse(txt, strlen(txt), &out, &e) < 0);
	assert_non_null(strstr(e.msg, "namespace \"Prod\" is not a valid Kubernetes name"));
	free(txt);
	/* directories no Kubernetes object could have made are not walked */
	store_record(&s, "prod", "vm-k", "x", 1, false);
	move("prod/vm-k", "prod/VM-K");
	struct seen w = { 0 };
	assert_int_equal(vc_store_walk(&s, "prod", NULL, seen_cb, &w, &e), 0);
	assert_int_equal(w.n, 0);
	np_err_clear(&e);
	assert_int_equal(vc_store_walk(&s, "prod", "VM-K", seen_cb, &w, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "VM name \"VM-K\""));
	np_err_clear(&e);
	assert_int_equal(vc_store_read(&s, "prod", "VM-K", "x", &r, &e), -EINVAL);
	move("prod/VM-K", "prod/vm-k");
	assert_int_equal(vc_store_remove(&s, "prod", "vm-k", "x", &e), 0);
	vc_store_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_kubevirt_golden_write),
		cmocka_unit_test(test_kubevirt_golden_read),
		cmocka_unit_test(test_kubevirt_hostile),
		cmocka_unit_test(test_record_roundtrip),
		cmocka_unit_test(test_record_hostile),
		cmocka_unit_test(test_export_doc),
		cmocka_unit_test(test_domain_xml),
		cmocka_unit_test(test_json_check),
		cmocka_unit_test_setup_teardown(test_store_kubevirt_name_apart, make_root, remove_root),
		cmocka_unit_test_setup_teardown(test_store_old_layout, make_root, remove_root),
		cmocka_unit_test_setup_teardown(test_store_fifo, make_root, remove_root),
		cmocka_unit_test_setup_teardown(test_store_failed_write_leaves_no_dir, make_root, remove_root),
		cmocka_unit_test_setup_teardown(test_store_hard_link, make_root, remove_root),
		cmocka_unit_test_setup_teardown(test_kubernetes_names, make_root, remove_root),
	};
	return cmocka_run_group_tests_name("vif-cache formats", tests, NULL, NULL);
}
