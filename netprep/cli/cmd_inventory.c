#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "netprep_cli.h"
#include "inventory.h"

static void help(FILE *f)
{
	fprintf(f,
		"usage: netprep inventory [--json] [--netns PATH] [--node NAME] [--iface NAME]\n"
		"                         [--migration-netns PATH] [--cni-conf-dir DIR] [--cni-bin-dir DIR]\n"
		"                         [--proc-sys DIR] [--qemu BIN]\n\n"
		"Lists what this node has that migration depends on: bridges and their ports,\n"
		"VLANs, macvlan masters and MTUs, the migration interface (default migration0)\n"
		"and its addresses, CNI configs and mignet plugins, libvirt and QEMU versions,\n"
		"vm.unprivileged_userfaultfd, and whether ports 49152/49153 are free.\n"
		"--json prints the document netprep compare takes.\n"
		"--migration-netns: where the migration interface and ports are looked for;\n"
		"in a cluster that is virt-handler's pod, /proc/<virt-handler pid>/ns/net.\n\n"
		"exit: 0 listed, 1 the node could not be read, 2 usage\n");
}

int cmd_inventory(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "netns", required_argument, NULL, 'n' },
		{ "node", required_argument, NULL, 'N' }, { "iface", required_argument, NULL, 'i' },
		{ "cni-conf-dir", required_argument, NULL, 'c' }, { "cni-bin-dir", required_argument, NULL, 'b' },
		{ "proc-sys", required_argument, NULL, 'p' }, { "qemu", required_argument, NULL, 'q' },
		{ "migration-netns", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	struct inv_opts o = { 0 };
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'n': o.netns = optarg; break;
		case 'N': o.node_name = optarg; break;
		case 'i': o.migration_iface = optarg; break;
		case 'c': o.cni_conf_dir = optarg; break;
		case 'b': o.cni_bin_dir = optarg; break;
		case 'p': o.proc_sys = optarg; break;
		case 'q': o.qemu = optarg; break;
		case 'm': o.migration_netns = optarg; break;
		case 'h': help(stdout); return NP_EXIT_OK;
		default: help(stderr); return NP_EXIT_USAGE;
		}
	}
	struct np_err e = { 0 };
	cJSON *doc = np_inventory(&o, &e);
	if (!doc) {
		fprintf(stderr, "netprep inventory: %s\n", e.msg);
		return NP_EXIT_FAIL;
	}
	if (json) {
		char *s = cJSON_Print(doc);
		printf("%s\n", s);
		cJSON_free(s);
		cJSON_Delete(doc);
		return NP_EXIT_OK;
	}
	const cJSON *v, *m = cJSON_GetObjectItem(doc, "migration");
	printf("node %s\n", cJSON_GetObjectItem(doc, "node")->valuestring);
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(doc, "bridges")) {
		printf("  bridge %-15s mtu %-5d ports:", cJSON_GetObjectItem(v, "name")->valuestring,
		       cJSON_GetObjectItem(v, "mtu")->valueint);
		const cJSON *p;
		cJSON_ArrayForEach(p, cJSON_GetObjectItem(v, "ports"))
			printf(" %s", p->valuestring);
		printf("\n");
	}
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(doc, "vlans"))
		printf("  vlan   %-15s id %d on %s\n", cJSON_GetObjectItem(v, "name")->valuestring,
		       cJSON_GetObjectItem(v, "id")->valueint, cJSON_GetObjectItem(v, "parent")->valuestring);
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(doc, "macvlanMasters"))
		printf("  macvlan master %s\n", v->valuestring);
	printf("  migration interface %s: ", cJSON_GetObjectItem(m, "interface")->valuestring);
	if (cJSON_IsTrue(cJSON_GetObjectItem(m, "present"))) {
		printf("mtu %d, addresses:", cJSON_GetObjectItem(m, "mtu")->valueint);
		cJSON_ArrayForEach(v, cJSON_GetObjectItem(m, "addresses"))
			printf(" %s", v->valuestring);
		printf(cJSON_GetArraySize(cJSON_GetObjectItem(m, "addresses")) ? "\n" : " NONE\n");
	} else {
		printf("MISSING\n");
	}
	const cJSON *cni = cJSON_GetObjectItem(doc, "cni");
	printf("  CNI configs in %s:", cJSON_GetObjectItem(cni, "confDir")->valuestring);
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(cni, "configs"))
		printf(" %s", v->valuestring);
	printf("\n  mignet plugins in %s:", cJSON_GetObjectItem(cni, "binDir")->valuestring);
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(cni, "mignetPlugins"))
		printf(" %s", v->valuestring);
	const cJSON *virt = cJSON_GetObjectItem(doc, "virtualization");
	const cJSON *lv = cJSON_GetObjectItem(virt, "libvirt"), *qv = cJSON_GetObjectItem(virt, "qemu");
	const cJSON *uf = cJSON_GetObjectItem(doc, "unprivilegedUserfaultfd");
	const cJSON *ports = cJSON_GetObjectItem(doc, "migrationPortsFree");
	printf("\n  libvirt %s, QEMU %s, vm.unprivileged_userfaultfd %s\n",
	       lv ? lv->valuestring : "?", qv ? qv->valuestring : "not found", uf ? (uf->valueint ? "1" : "0") : "?");
	printf("  ports 49152 %s, 49153 %s\n", cJSON_IsTrue(cJSON_GetObjectItem(ports, "49152")) ? "free" : "IN USE",
	       cJSON_IsTrue(cJSON_GetObjectItem(ports, "49153")) ? "free" : "IN USE");
	cJSON_Delete(doc);
	return NP_EXIT_OK;
}
