/* Address arithmetic on mignet-ipam's ranges, shared by the local store
 * (ipam_local.c) and the cluster store (ipam_cluster.c): an address as a
 * 128-bit number, a prefix's host mask, which range holds an address, and
 * the result entry for it. Inline: both allocators run these in loops. */
#ifndef MIGNET_IPAM_RANGE_H
#define MIGNET_IPAM_RANGE_H

#include <stdbool.h>
#include <string.h>

#include "ipam_local.h"
#include "result.h"

typedef unsigned __int128 u128;

static inline u128 ipam_ip_val(const struct np_ip *ip)
{
	u128 v = 0;
	for (size_t i = 0; i < np_ip_len(ip->family); i++)
		v = v << 8 | ip->addr[i];
	return v;
}

static inline void ipam_ip_set(struct np_ip *ip, int family, u128 v)
{
	memset(ip, 0, sizeof(*ip));
	ip->family = family;
	for (size_t i = np_ip_len(family); i-- > 0; v >>= 8)
		ip->addr[i] = (uint8_t)v;
}

static inline u128 ipam_host_mask(const struct np_prefix *p)
{
	unsigned bits = (p->ip.family == AF_INET ? 32u : 128u) - p->len;
	return bits >= 128 ? ~(u128)0 : (((u128)1 << bits) - 1);
}

static inline bool ipam_in_range(const struct ipam_range *r, const struct np_ip *ip)
{
	if (ip->family != r->subnet.ip.family)
		return false;
	u128 v = ipam_ip_val(ip);
	return v >= ipam_ip_val(&r->start) && v <= ipam_ip_val(&r->end);
}

static inline const struct ipam_range *ipam_range_of(const struct ipam_range_set *set,
						      const struct np_ip *ip)
{
	for (int i = 0; i < set->n; i++)
		if (ipam_in_range(&set->ranges[i], ip))
			return &set->ranges[i];
	return NULL;
}

static inline void ipam_fill_ip(struct cni_ip *out, const struct ipam_range *r,
				const struct np_ip *ip)
{
	memset(out, 0, sizeof(*out));
	out->address.ip = *ip;
	out->address.len = r->subnet.len;
	out->has_gw = r->has_gateway;
	out->gw = r->gateway;
	out->iface = -1;
}

#endif
