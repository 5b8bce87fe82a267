/* The netprep verbs, one file each; main.c dispatches. Every verb returns
 * its process exit code (see README "Exit codes"). */
#ifndef NETPREP_NETPREP_CLI_H
#define NETPREP_NETPREP_CLI_H

enum np_exit {
	NP_EXIT_OK = 0,
	NP_EXIT_FAIL = 1,   /* the operation failed; stderr says why */
	NP_EXIT_USAGE = 2,  /* bad arguments */
	NP_EXIT_ABORTED = 3, /* migrate: aborted on request */
	NP_EXIT_REFUSED = 4, /* migrate: refused by preflight, nothing moved */
};

int cmd_address(int argc, char **argv);
int cmd_links(int argc, char **argv);
int cmd_setup(int argc, char **argv);
int cmd_inventory(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_nad(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_migrate_cancel(int argc, char **argv);

#endif
