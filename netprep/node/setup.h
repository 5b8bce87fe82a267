/* netprep setup: brings a node to what node.json declares, changing only
 * what differs, printing each step; on a failure midway every change made
 * so far is undone in reverse order. */
#ifndef NETPREP_SETUP_H
#define NETPREP_SETUP_H

#include <stdio.h>

#include "nodeconf.h"

struct setup_opts {
	const char *netns;      /* NULL: this namespace */
	const char *proc_sys;   /* host-wide sysctls, default /proc/sys */
	bool dry_run;
	FILE *out;
};

/* Returns the number of changes (planned, with dry_run), or a negative
 * errno after rolling back. */
int np_setup(const struct nc_node *n, const struct setup_opts *o, struct np_err *e);

#endif
