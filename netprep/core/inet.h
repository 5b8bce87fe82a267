/* Addresses, prefixes and MACs as mignet passes them around: fixed-size,
 * no allocation, strict parsing of text from configs and cache files. */
#ifndef MIGNET_INET_H
#define MIGNET_INET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "err.h"

#define NP_MAC_LEN 6
/* "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128" plus NUL */
#define NP_PREFIX_STRLEN 50
#define NP_MAC_STRLEN 18

struct np_ip {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
};

struct np_prefix {
	struct np_ip ip;
	uint8_t len;
};

/* "10.1.1.5", "fd00::5". */
int np_ip_parse(const char *s, struct np_ip *out, struct np_err *e);
/* "10.1.1.5/24". When allow_bare is true a bare address gets the host
 * prefix (/32 or /128). */
int np_prefix_parse(const char *s, bool allow_bare, struct np_prefix *out,
		    struct np_err *e);
/* Formats into buf (at least NP_PREFIX_STRLEN); returns buf. */
const char *np_ip_str(const struct np_ip *ip, char *buf, size_t len);
const char *np_prefix_str(const struct np_prefix *p, char *buf, size_t len);

bool np_ip_equal(const struct np_ip *a, const struct np_ip *b);
size_t np_ip_len(int family);
/* The network address of p (host bits cleared). */
void np_prefix_network(const struct np_prefix *p, struct np_ip *out);
bool np_prefix_contains(const struct np_prefix *p, const struct np_ip *ip);
/* Global unicast: not unspecified, loopback, link-local or multicast. */
bool np_ip_is_global_unicast(const struct np_ip *ip);

/* "c2:11:22:33:44:55" (also '-' separated, any case). Rejects multicast
 * and all-zero addresses when unicast_only. */
int np_mac_parse(const char *s, bool unicast_only, uint8_t out[NP_MAC_LEN],
		 struct np_err *e);
const char *np_mac_str(const uint8_t mac[NP_MAC_LEN], char *buf, size_t len);

#endif
