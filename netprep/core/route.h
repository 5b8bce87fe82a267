/* Routes in the main (or a given) table. */
#ifndef MIGNET_ROUTE_H
#define MIGNET_ROUTE_H

#include <stdbool.h>

#include "inet.h"
#include "nl.h"

struct np_route {
	struct np_prefix dst;   /* len 0 = default route */
	bool has_gw;
	struct np_ip gw;
	int ifindex;            /* output link; 0 = let the kernel pick by gw */
	unsigned int metric;    /* 0 = none */
	unsigned int table;     /* 0 = main */
	unsigned char scope;    /* RT_SCOPE_UNIVERSE unless set */
	unsigned int mtu;       /* 0 = none */
	unsigned char protocol; /* read only: RTPROT_* */
};

/* The route's link is given by name (NULL: r->ifindex is used). */
int np_route_add(struct np_nl *nl, const char *ifname, const struct np_route *r,
		 struct np_err *e);
/* -ESRCH when no such route exists. */
int np_route_del(struct np_nl *nl, const char *ifname, const struct np_route *r,
		 struct np_err *e);
/* Unicast routes of family (AF_UNSPEC: both) in the main table. */
int np_route_list(struct np_nl *nl, int family,
		  int (*cb)(const struct np_route *r, void *arg), void *arg,
		  struct np_err *e);
const char *np_route_str(const struct np_route *r, char *buf, size_t len);

#endif
