#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "atomic_file.h"
#include "netprep_cli.h"
#include "setup.h"

static void help(FILE *f)
{
	fprintf(f,
		"usage: netprep setup --config node.json [--dry-run] [--netns PATH] [--proc-sys DIR]\n\n"
		"Brings this node to what node.json declares: host bridges with their uplink or\n"
		"VLAN subinterface, the migration NIC's MTU (and address), macvlan host shims,\n"
		"and the sysctls migration needs (vm.unprivileged_userfaultfd for post-copy,\n"
		"bridge netfilter). Only what differs is changed; a second run changes nothing\n"
		"and says so. If a step fails, every change made so far is undone.\n\n"
		"  --config FILE    the node's declaration (see examples/node.json)\n"
		"  --dry-run        print the plan, change nothing\n"
		"  --check          only check the file, touch nothing\n"
		"  --netns PATH     work inside this network namespace\n"
		"  --proc-sys DIR   where host-wide sysctls live (default /proc/sys)\n\n"
		"exit: 0 done (or nothing to do), 1 failed and rolled back, 2 usage or bad config\n");
}

int cmd_setup(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "dry-run", no_argument, NULL, 'd' },
		{ "check", no_argument, NULL, 'C' },
		{ "netns", required_argument, NULL, 'n' },
		{ "proc-sys", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct setup_opts o = { .out = stdout };
	const char *config = NULL;
	bool check_only = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'd': o.dry_run = true; break;
		case 'C': check_only = true; break;
		case 'n': o.netns = optarg; break;
		case 'p': o.proc_sys = optarg; break;
		case 'h': help(stdout); return NP_EXIT_OK;
		default: help(stderr); return NP_EXIT_USAGE;
		}
	}
	if (!config || optind != argc) {
		fprintf(stderr, "netprep setup: --config FILE is required\n");
		return NP_EXIT_USAGE;
	}
	struct np_err e = { 0 };
	char *txt = NULL;
	size_t len = 0;
	if (np_file_read(AT_FDCWD, config, 256 * 1024, &txt, &len, &e) < 0) {
		fprintf(stderr, "netprep setup: %s\n", e.msg);
		return NP_EXIT_USAGE;
	}
	struct nc_node *n = calloc(1, sizeof(*n));
	int rc = n ? nc_parse(txt, len, n, &e) : -ENOMEM;
	free(txt);
	if (rc < 0) {
		fprintf(stderr, "netprep setup: %s: %s\n", config, e.msg);
		free(n);
		return NP_EXIT_USAGE;
	}
	if (check_only) {
		printf("ok: %s (%d bridge(s), %d shim(s)%s)\n", config, n->n_bridges, n->n_shims,
		       n->has_migration ? ", migration interface" : "");
		free(n);
		return NP_EXIT_OK;
	}
	printf("netprep setup%s (%s):\n", o.dry_run ? " --dry-run" : "", o.netns ? o.netns : "this namespace");
	rc = np_setup(n, &o, &e);
	free(n);
	if (rc < 0) {
		fprintf(stderr, "netprep setup: %s\n", e.msg);
		return NP_EXIT_FAIL;
	}
	if (rc == 0)
		printf("no changes: the node is already as declared\n");
	else
		printf("%d change(s)%s\n", rc, o.dry_run ? " planned (dry run: nothing done)" : " made");
	return NP_EXIT_OK;
}
