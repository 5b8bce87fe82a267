/* What a node has that migration depends on, as a JSON document that
 * `netprep compare` reads back: links, bridges and their ports, VLANs,
 * macvlan masters, the migration interface and its addresses, CNI configs
 * and mignet plugin binaries, libvirt and QEMU versions, the userfaultfd
 * sysctl, and whether the migration ports are free. */
#ifndef NETPREP_INVENTORY_H
#define NETPREP_INVENTORY_H

#include <cjson/cJSON.h>

#include "err.h"

struct inv_opts {
	const char *netns;          /* NULL: this namespace */
	const char *node_name;      /* default: the hostname */
	const char *migration_iface;/* default migration0 */
	const char *migration_netns;/* where it and the ports are: virt-handler's
				     * pod (/proc/PID/ns/net); NULL: netns */
	const char *cni_conf_dir;   /* default /etc/cni/net.d */
	const char *cni_bin_dir;    /* default /opt/cni/bin */
	const char *proc_sys;       /* default /proc/sys */
	const char *qemu;           /* default qemu-system-x86_64 (PATH) */
};

cJSON *np_inventory(const struct inv_opts *o, struct np_err *e);

#endif
