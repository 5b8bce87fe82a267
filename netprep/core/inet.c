#include "inet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

size_t np_ip_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

int np_ip_parse(const char *s, struct np_ip *out, struct np_err *e)
{
	memset(out, 0, sizeof(*out));
	if (!s || !*s)
		return np_errmsg(e, -EINVAL, "IP address is empty");
	char q[NP_QUOTE_MAX];
	if (strnlen(s, INET6_ADDRSTRLEN) >= INET6_ADDRSTRLEN)
		return np_errmsg(e, -EINVAL, "IP address \"%s\" is too long", np_quote(s, q, sizeof(q)));
	if (inet_pton(AF_INET, s, out->addr) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->addr) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return np_errmsg(e, -EINVAL, "\"%s\" is not an IPv4 or IPv6 address", np_quote(s, q, sizeof(q)));
}

int np_prefix_parse(const char *s, bool allow_bare, struct np_prefix *out,
		    struct np_err *e)
{
	char addr[INET6_ADDRSTRLEN], q[NP_QUOTE_MAX], qa[NP_QUOTE_MAX];
	memset(out, 0, sizeof(*out));
	if (!s || !*s)
		return np_errmsg(e, -EINVAL, "address/prefix is empty");
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= sizeof(addr))
		return np_errmsg(e, -EINVAL, "\"%s\" is not an address/prefix", np_quote(s, q, sizeof(q)));
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (np_ip_parse(addr, &out->ip, NULL) < 0)
		return np_errmsg(e, -EINVAL, "\"%s\": \"%s\" is not an IPv4 or IPv6 address", np_quote(s, q, sizeof(q)), np_quote(addr, qa, sizeof(qa)));
	unsigned max = out->ip.family == AF_INET ? 32 : 128;
	if (!slash) {
		if (!allow_bare)
			return np_errmsg(e, -EINVAL, "\"%s\" has no prefix length (expected ADDRESS/LEN)", np_quote(s, q, sizeof(q)));
		out->len = (uint8_t)max;
		return 0;
	}
	const char *p = slash + 1;
	unsigned len = 0;
	if (!*p || strlen(p) > 3)
		return np_errmsg(e, -EINVAL, "\"%s\": prefix length must be 0..%u", np_quote(s, q, sizeof(q)), max);
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return np_errmsg(e, -EINVAL, "\"%s\": prefix length must be 0..%u", np_quote(s, q, sizeof(q)), max);
		len = len * 10 + (unsigned)(*p - '0');
	}
	if (len > max)
		return np_errmsg(e, -EINVAL, "\"%s\": prefix length %u is above %u", np_quote(s, q, sizeof(q)), len, max);
	out->len = (uint8_t)len;
	return 0;
}

const char *np_ip_str(const struct np_ip *ip, char *buf, size_t len)
{
	if (!inet_ntop(ip->family, ip->addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

const char *np_prefix_str(const struct np_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	snprintf(buf, len, "%s/%u", np_ip_str(&p->ip, a, sizeof(a)), p->len);
	return buf;
}

bool np_ip_equal(const struct np_ip *a, const struct np_ip *b)
{
	return a->family == b->family &&
	       !memcmp(a->addr, b->addr, np_ip_len(a->family));
}

void np_prefix_network(const struct np_prefix *p, struct np_ip *out)
{
	*out = p->ip;
	size_t n = np_ip_len(p->ip.family);
	for (size_t i = 0; i < n; i++) {
		unsigned bits = p->len > i * 8 ? p->len - (unsigned)i * 8 : 0;
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
		out->addr[i] &= mask;
	}
}

bool np_prefix_contains(const struct np_prefix *p, const struct np_ip *ip)
{
	if (ip->family != p->ip.family)
		return false;
	struct np_prefix q = { .ip = *ip, .len = p->len };
	struct np_ip a, b;
	np_prefix_network(p, &a);
	np_prefix_network(&q, &b);
	return np_ip_equal(&a, &b);
}

bool np_ip_is_global_unicast(const struct np_ip *ip)
{
	static const uint8_t zero[16];
	const uint8_t *a = ip->addr;
	if (ip->family == AF_INET)
		return !(a[0] == 0 || a[0] == 127 || (a[0] == 169 && a[1] == 254) ||
			 a[0] >= 224);
	if (ip->family != AF_INET6 || !memcmp(a, zero, 16))
		return false;
	if (!memcmp(a, zero, 15) && a[15] == 1)
		return false; /* ::1 */
	if (a[0] == 0xff || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80))
		return false; /* multicast, link-local */
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int np_mac_parse(const char *s, bool unicast_only, uint8_t out[NP_MAC_LEN],
		 struct np_err *e)
{
	char q[NP_QUOTE_MAX];
	if (!s || strlen(s) != 17)
		return np_errmsg(e, -EINVAL, "MAC \"%s\" must look like c2:11:22:33:44:55", np_quote(s, q, sizeof(q)));
	char sep = s[2];
	if (sep != ':' && sep != '-')
		return np_errmsg(e, -EINVAL, "MAC \"%s\" must look like c2:11:22:33:44:55", np_quote(s, q, sizeof(q)));
	for (int i = 0; i < NP_MAC_LEN; i++) {
		int hi = hexval(s[i * 3]), lo = hexval(s[i * 3 + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != sep))
			return np_errmsg(e, -EINVAL, "MAC \"%s\" must look like c2:11:22:33:44:55", np_quote(s, q, sizeof(q)));
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	if (unicast_only) {
		static const uint8_t zero[NP_MAC_LEN];
		if (out[0] & 1)
			return np_errmsg(e, -EINVAL, "MAC \"%s\" is a multicast address; an interface needs a unicast MAC", s);
		if (!memcmp(out, zero, NP_MAC_LEN))
			return np_errmsg(e, -EINVAL, "MAC \"%s\" is all zeros", s);
	}
	return 0;
}

const char *np_mac_str(const uint8_t mac[NP_MAC_LEN], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
	return buf;
}
