/* vifcache: populates, verifies, hands over and repairs the per-interface
 * cache so that a migration target reattaches with the same MAC and IPs. */
#include <stdio.h>
#include <string.h>

#include "vifcache_cli.h"

static const struct verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} verbs[] = {
	{ "populate", cmd_populate, "build a record from a live interface or a CNI result" },
	{ "show", cmd_show, "print a VM's records" },
	{ "list", cmd_list, "list every record as a table" },
	{ "verify", cmd_verify, "compare a record with the live interface" },
	{ "export", cmd_export, "write a VM's records as one document (source node)" },
	{ "import", cmd_import, "store an export document (target node)" },
	{ "repair", cmd_repair, "rebuild missing, torn, stale or wrong records, no VM restart" },
	{ "gc", cmd_gc, "remove records whose owner netns or pod is gone" },
	{ "apply", cmd_apply, "SR-IOV: set the target VF from the record" },
	{ "kv-verify", cmd_kv_verify, "check the launcher's vif-cache file and virt-handler's state entry" },
	{ "kv-repair", cmd_kv_repair, "rewrite them where KubeVirt reads them (#18087), no VM restart" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: vifcache VERB [OPTIONS]   (vifcache VERB --help for details)\n\nverbs:\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(*verbs); i++)
		fprintf(f, "  %-9s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(f, "\nexit codes: 0 ok, 1 failed, 2 usage, 3 mismatch, 4 missing, 5 conflict\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return VC_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return VC_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(*verbs); i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].run(argc - 1, argv + 1);
	fprintf(stderr, "vifcache: unknown verb \"%s\"\n", argv[1]);
	usage(stderr);
	return VC_EXIT_USAGE;
}
