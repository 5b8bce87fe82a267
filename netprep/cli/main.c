/* netprep: the node-side helper of mignet. */
#include <stdio.h>
#include <string.h>

#include "netprep_cli.h"

static const struct verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} verbs[] = {
	{ "setup", cmd_setup, "bring host networks to what node.json declares" },
	{ "inventory", cmd_inventory, "list what this node has that migration depends on" },
	{ "compare", cmd_compare, "list what differs between two nodes, with fixes" },
	{ "address", cmd_address, "print the address the migration stream should go to" },
	{ "links", cmd_links, "list links, their state and addresses in a namespace" },
	{ "migrate", cmd_migrate, "live-migrate a domain over the migration network" },
	{ "migrate-cancel", cmd_migrate_cancel, "abort a running migration of a domain" },
	{ "nad", cmd_nad, "print the CNI config of each NetworkAttachmentDefinition in a file" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: netprep VERB [OPTIONS]   (netprep VERB --help for details)\n\nverbs:\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(*verbs); i++)
		fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return NP_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return NP_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(*verbs); i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].run(argc - 1, argv + 1);
	fprintf(stderr, "netprep: unknown verb \"%s\"\n", argv[1]);
	usage(stderr);
	return NP_EXIT_USAGE;
}
