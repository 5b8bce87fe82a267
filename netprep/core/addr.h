/* IPv4/IPv6 addresses on links. */
#ifndef MIGNET_ADDR_H
#define MIGNET_ADDR_H

#include <stdbool.h>

#include "inet.h"
#include "nl.h"

#define NP_ADDR_NODAD 0x1u   /* IPv6: skip duplicate address detection */

struct np_addr_info {
	int ifindex;
	struct np_prefix prefix;
	unsigned char scope;  /* RT_SCOPE_* */
	unsigned int flags;   /* IFA_F_* (from IFA_FLAGS when present) */
};

int np_addr_add(struct np_nl *nl, const char *ifname, const struct np_prefix *p,
		unsigned int flags, struct np_err *e);
/* The same for a link whose index the caller has (one round trip less);
 * ifname only names it in errors. */
int np_addr_add_index(struct np_nl *nl, int ifindex, const char *ifname,
		      const struct np_prefix *p, unsigned int flags, struct np_err *e);
/* -EADDRNOTAVAIL when the address is not there. */
int np_addr_del(struct np_nl *nl, const char *ifname, const struct np_prefix *p,
		struct np_err *e);
/* ifname NULL lists every link's addresses; family AF_UNSPEC both. */
int np_addr_list(struct np_nl *nl, const char *ifname, int family,
		 int (*cb)(const struct np_addr_info *a, void *arg), void *arg,
		 struct np_err *e);

#endif
