/* Entering a network namespace by path. The calling thread always gets its
 * original namespace back, also when the work inside fails. */
#ifndef MIGNET_NETNS_H
#define MIGNET_NETNS_H

#include "err.h"

/* Opens path (O_RDONLY|O_CLOEXEC) and checks that it is a network
 * namespace. Returns the fd or a negative errno. */
int np_netns_open(const char *path, struct np_err *e);

/* Runs fn inside the namespace at path (NULL: the current one) and
 * restores the caller's namespace before returning. Returns fn's result,
 * or the entry/restore error. */
int np_netns_run(const char *path, int (*fn)(void *arg, struct np_err *e),
		 void *arg, struct np_err *e);

#endif
