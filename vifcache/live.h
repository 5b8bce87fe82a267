/* The live side of a record: what an interface in a namespace has now. */
#ifndef MIGNET_VC_LIVE_H
#define MIGNET_VC_LIVE_H

#include "record.h"

struct vc_live {
	struct vc_record net;   /* MAC, IPs, gateways, routes, MTU */
	bool up;
	unsigned long long netns_inode;
};

/* Reads ifname in the namespace at netns_path (NULL: current). Routes are
 * those leaving through ifname, except the kernel's on-link subnet routes;
 * gateways are their next hops. -ENODEV when the interface is missing. */
int vc_live_read(const char *netns_path, const char *ifname, struct vc_live *out,
		 struct np_err *e);

/* Writes one line per difference (MAC, IPs, routes, MTU, link state) into
 * buf; returns the number of differences. */
int vc_live_compare(const struct vc_record *r, const struct vc_live *l, char *buf,
		    size_t len);

#endif
