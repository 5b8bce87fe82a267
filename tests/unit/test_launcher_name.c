/* The VM behind a pod, from the name Multus passes as K8S_POD_NAME: every
 * VMI name length from 1 to 80 run through Kubernetes' GenerateName, names
 * at and past the cut, and pods that are not launchers. Then the whole
 * config parse, fed exactly what Multus gives a delegate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "conf.h"
#include "launcher_name.h"

/* names.SimpleNameGenerator: the base cut to 58, then 5 random characters. */
static void generate_name(const char *vmi, const char *suffix, char *out, size_t len)
{
	char base[256];
	snprintf(base, sizeof(base), "virt-launcher-%s-", vmi);
	if (strlen(base) > LAUNCHER_BASE_MAX)
		base[LAUNCHER_BASE_MAX] = '\0';
	snprintf(out, len, "%s%s", base, suffix);
}

static void test_every_length(void **state)
{
	(void)state;
	static const char letters[] = "vm-a-long-name-of-a-virtual-machine-in-prod-with-more-and-more-parts-to-go-zz";
	for (size_t n = 1; n <= 80; n++) {
		char vmi[96], pod[128], vm[LAUNCHER_BASE_MAX];
		snprintf(vmi, sizeof(vmi), "%.*s", (int)n, letters);
		if (vmi[n - 1] == '-')
			vmi[n - 1] = 'x'; /* a VMI name ends with a letter or digit */
		generate_name(vmi, "x2b9z", pod, sizeof(pod));
		enum launcher_match how = launcher_vm_name(pod, vm, sizeof(vm));
		if (n <= 42) {
			assert_int_equal(how, LAUNCHER_EXACT);
			assert_string_equal(vm, vmi);
		} else if (n == 43 || vmi[43] == '-') {
			assert_int_equal(how, LAUNCHER_AMBIGUOUS);
			assert_int_equal(strlen(vm), 43);
			assert_memory_equal(vm, vmi, 43);
		} else {
			assert_int_equal(how, LAUNCHER_TRUNCATED);
			assert_int_equal(strlen(vm), 44);
			assert_memory_equal(vm, vmi, 44);
		}
	}
}

static void test_not_launchers(void **state)
{
	(void)state;
	static const char *const pods[] = {
		"nginx-7d9c7-x2b9z",               /* another workload */
		"virt-handler-x2b9z",
		"virt-launcher-vm-a",              /* no generated suffix */
		"virt-launcher-vm-a-aeiou",        /* vowels are never generated */
		"virt-launcher-vm-a-X2B9Z",        /* nor upper case */
		"virt-launcher-vm-a-x2b9",         /* four characters */
		"virt-launcher--x2b9z",            /* no VM name */
		"virt-launcher-vm-ax2b9z",         /* a short base always ends in '-' */
		"hp-volume-x2b9z",
		"",
		"virt-launcher-a-very-long-name-that-no-generator-ever-made-abcdefghijk-x2b9z",
	};
	for (size_t i = 0; i < sizeof(pods) / sizeof(*pods); i++) {
		char vm[LAUNCHER_BASE_MAX];
		if (launcher_vm_name(pods[i], vm, sizeof(vm)) != LAUNCHER_NOT)
			fail_msg("\"%s\" taken as the launcher of \"%s\"", pods[i], vm);
	}
}

static const char *multus_args;
static const char *get_env(const char *k)
{
	return !strcmp(k, "CNI_ARGS") ? multus_args : NULL;
}

/* The stdin and CNI_ARGS Multus gives a delegate (cni.md C.1): no pod
 * annotations in runtimeConfig. */
static int parse_as_multus(const char *pod, struct cni_conf *c, struct cni_error *ce)
{
	static char args[512];
	snprintf(args, sizeof(args),
		 "IgnoreUnknown=true;K8S_POD_NAMESPACE=prod;K8S_POD_NAME=%s;"
		 "K8S_POD_INFRA_CONTAINER_ID=0a1b2c3d4e;K8S_POD_UID=8d3f0b6e-1c2d-4e5f-8a9b-0c1d2e3f4a5b", pod);
	multus_args = args;
	struct cni_env env = { .cmd = CNI_ADD, .command = "ADD", .container_id = "0a1b2c3d4e",
			       .netns = "/run/netns/x", .ifname = "pod16477688c0e", .args = get_env("CNI_ARGS") };
	static const char conf[] =
		"{\"cniVersion\":\"1.0.0\",\"name\":\"vlan13\",\"type\":\"mignet-bridge\",\"bridge\":\"vlan-13\","
		"\"capabilities\":{\"mac\":true},\"runtimeConfig\":{\"mac\":\"02:00:00:0a:0b:0c\"}}";
	return cni_conf_parse(conf, sizeof(conf) - 1, &env, c, ce);
}

static void test_conf_from_multus(void **state)
{
	(void)state;
	struct cni_conf c;
	struct cni_error ce = { 0 };
	assert_int_equal(parse_as_multus("virt-launcher-vm-a-x2b9z", &c, &ce), 0);
	assert_string_equal(c.vm.namespace_, "prod");
	assert_string_equal(c.vm.name, "vm-a");
	assert_string_equal(c.vm.source, "K8S_POD_NAME");
	assert_string_equal(c.warning, "");
	cni_conf_free(&c);

	/* past the cut: the 44 characters that survive, and a warning */
	char pod[128];
	generate_name("fedora-workstation-with-a-really-long-name-0123456789", "q7w8r", pod, sizeof(pod));
	assert_int_equal(parse_as_multus(pod, &c, &ce), 0);
	assert_string_equal(c.vm.name, "fedora-workstation-with-a-really-long-name-0");
	assert_non_null(strstr(c.warning, "first 44 characters"));
	cni_conf_free(&c);

	/* not a launcher: no VM, whatever else the pod is */
	assert_int_equal(parse_as_multus("nginx-7d9c7-x2b9z", &c, &ce), 0);
	assert_string_equal(c.vm.name, "");
	assert_string_equal(c.vm.namespace_, "");
	cni_conf_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_length),
		cmocka_unit_test(test_not_launchers),
		cmocka_unit_test(test_conf_from_multus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
