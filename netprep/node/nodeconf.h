/* node.json for `netprep setup`: the host networks migration depends on,
 * declared. Unknown keys, wrong types, impossible MTUs and hostile names
 * are refused with a message naming the key and value. */
#ifndef NETPREP_NODECONF_H
#define NETPREP_NODECONF_H

#include <net/if.h>
#include <stdbool.h>

#include "inet.h"
#include "link.h"

#define NC_MAX_BRIDGES 16
#define NC_MAX_SHIMS 8

struct nc_bridge {
	char name[IFNAMSIZ];
	char uplink[IFNAMSIZ];   /* "" none */
	unsigned int vlan;       /* 0: the uplink itself is enslaved */
	unsigned int mtu;        /* 0: leave */
};

struct nc_shim {
	char name[IFNAMSIZ], master[IFNAMSIZ];
	enum np_macvlan_mode mode;
	bool has_address;
	struct np_prefix address;
};

struct nc_node {
	int n_bridges, n_shims;
	struct nc_bridge bridges[NC_MAX_BRIDGES];
	struct nc_shim shims[NC_MAX_SHIMS];
	bool has_migration;
	char migration_iface[IFNAMSIZ];
	unsigned int migration_mtu;
	bool has_migration_address;
	struct np_prefix migration_address;
	bool post_copy;               /* vm.unprivileged_userfaultfd = 1 */
	int bridge_netfilter;         /* -1 leave, 0/1 bridge-nf-call-iptables */
};

int nc_parse(const char *text, size_t len, struct nc_node *n, struct np_err *e);

#endif
