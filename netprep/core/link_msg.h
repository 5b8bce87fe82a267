/* What the link files share to build their requests (not for outside the
 * netlink core). */
#ifndef MIGNET_LINK_MSG_H
#define MIGNET_LINK_MSG_H

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "link.h"

struct ifinfomsg *np_link_put_ifinfo(struct nlmsghdr *nlh, int family, int index);
/* The ifindex of name in nl's namespace; a missing link is -ENODEV with
 * a message naming it as role ("macvlan master"). */
/* enum np_macvlan_mode of the kernel's MACVLAN_MODE_*, or -1. */
int np_macvlan_mode_from_kernel(uint32_t mode);
int np_link_resolve_index(struct np_nl *nl, const char *name, const char *role,
			  struct np_err *e);

#endif
