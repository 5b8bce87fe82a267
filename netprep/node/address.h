/* Picking the address the migration stream should go to: the first global
 * unicast address of the migration interface, else (unless strict) the
 * address of the default-route interface, with the reason recorded. */
#ifndef NETPREP_ADDRESS_H
#define NETPREP_ADDRESS_H

#include <net/if.h>
#include <stdbool.h>

#include "inet.h"
#include "nl.h"

struct np_pick_request {
	const char *iface;  /* default "migration0" */
	int family;         /* AF_UNSPEC (auto), AF_INET or AF_INET6 */
	bool strict;        /* no fallback to the default route */
};

struct np_pick_result {
	struct np_ip ip;
	char iface[IFNAMSIZ];   /* where the address was found */
	bool fallback;
	char why[256];          /* reason for the fallback, for the warning */
};

int np_pick_address(struct np_nl *nl, const struct np_pick_request *req,
		    struct np_pick_result *out, struct np_err *e);

/* The interface the runtime attached for network (NetworkAttachmentDefinition
 * name) according to libcni's result cache in cache_dir (default
 * /var/lib/cni/results): entries "<network>-<containerID>-<ifname>" whose
 * networkName matches; with netns, only one whose result's sandbox is it. */
int np_iface_for_network(const char *cache_dir, const char *network, const char *netns,
			 char ifname[IFNAMSIZ], struct np_err *e);

/* "10.1.1.2" or "[fd00::2]", ready for a URI. */
const char *np_ip_uri_str(const struct np_ip *ip, char *buf, size_t len);

#endif
