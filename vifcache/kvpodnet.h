/* The pod interface as virt-handler's phase 1 reads it for a bridge-bound
 * VM (pkg/network/setup/netpod/discoverbridge.go), and the vif-cache
 * content it computes from it: the first global-unicast IPv4 with its
 * prefix; the IPv4 main-table routes leaving through the interface, in the
 * kernel's order; Gateway the next hop of the first of them; Routes all
 * of them but the one to the address's own network; IPAMDisabled (and
 * then no MAC, no IP, no routes) when there is no IPv4. */
#ifndef MIGNET_VC_KVPODNET_H
#define MIGNET_VC_KVPODNET_H

#include <stdbool.h>
#include <stdint.h>

#include "record.h"

struct vc_kvpodnet {
	uint8_t mac[NP_MAC_LEN];          /* the pod interface's own */
	bool has_v4;
	struct np_prefix v4;
	int n_link_routes;                /* before the local-network filter */
	bool first_has_gw;
	struct np_ip first_gw;
	int n_routes;
	struct vc_route routes[VC_MAX_ROUTES];
};

/* -ENODEV when ifname is not in the namespace. */
int vc_kvpodnet_read(const char *netns_path, const char *ifname, struct vc_kvpodnet *out,
		     struct np_err *e);

/* Fills r's MAC (mac: the VM's), IPs, gateway and routes as phase 1 would
 * write them; -ENETUNREACH with KubeVirt's own words when the interface
 * has an IPv4 but no route (phase 1 fails there too). */
int vc_kvpodnet_to_record(const struct vc_kvpodnet *n, const char *ifname,
			  const uint8_t mac[NP_MAC_LEN], struct vc_record *r, struct np_err *e);

#endif
