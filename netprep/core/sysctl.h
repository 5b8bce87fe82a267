/* Sysctls, read and written in a given network namespace. Keys are
 * relative to /proc/sys, '/'-separated: "net/ipv4/conf/net1/arp_notify". */
#ifndef MIGNET_SYSCTL_H
#define MIGNET_SYSCTL_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

int np_sysctl_set(const char *netns_path, const char *key, const char *value,
		  struct np_err *e);
struct np_sysctl {
	const char *key;
	const char *value;
	bool optional;  /* a missing key (e.g. IPv6 disabled) is not an error */
};

/* Sets several sysctls with one entry into the namespace. */
int np_sysctl_set_many(const char *netns_path, const struct np_sysctl *list,
		       size_t n, struct np_err *e);

/* Reads the value without its trailing newline into buf. */
int np_sysctl_get(const char *netns_path, const char *key, char *buf,
		  size_t len, struct np_err *e);

#endif
