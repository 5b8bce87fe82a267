/* vifcache: the per-interface cache tool of mignet. */
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: vifcache VERB [OPTIONS]\n\n"
		   "The cache verbs (populate, show, list, verify, export, import,\n"
		   "repair, gc, apply) are not in this build yet.\n");
}

int main(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
