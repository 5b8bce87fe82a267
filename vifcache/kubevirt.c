#define _GNU_SOURCE
#include "kubevirt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "gojson.h"

void vc_kubevirt_filename(const char *pod_iface, char *buf, size_t len)
{
	snprintf(buf, len, "vif-cache-%s.json", pod_iface);
}

static void mask_bytes(const struct np_prefix *p, uint8_t *mask)
{
	size_t n = np_ip_len(p->ip.family);
	for (size_t i = 0; i < n; i++) {
		unsigned bits = p->len > i * 8 ? p->len - (unsigned)i * 8 : 0;
		mask[i] = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
	}
}

/* IPNet as Go marshals it: {"IP": "10.0.0.0", "Mask": "<base64>"}. */
static void add_ipnet_fields(cJSON *o, const struct np_prefix *p, bool network)
{
	char ip[NP_PREFIX_STRLEN], m64[32];
	uint8_t mask[16];
	struct np_ip a = p->ip;
	if (network)
		np_prefix_network(p, &a);
	mask_bytes(p, mask);
	vc_base64_encode(mask, np_ip_len(p->ip.family), m64);
	cJSON_AddStringToObject(o, "IP", np_ip_str(&a, ip, sizeof(ip)));
	cJSON_AddStringToObject(o, "Mask", m64);
}

/* netlink.Addr: the embedded *net.IPNet's fields come first and are absent
 * when it is nil. */
static cJSON *addr_json(const struct np_prefix *p)
{
	cJSON *o = cJSON_CreateObject();
	if (p)
		add_ipnet_fields(o, p, false);
	cJSON_AddStringToObject(o, "Label", "");
	cJSON_AddNumberToObject(o, "Flags", 0);
	cJSON_AddNumberToObject(o, "Scope", 0);
	cJSON_AddNullToObject(o, "Peer");
	cJSON_AddStringToObject(o, "Broadcast", "");
	cJSON_AddNumberToObject(o, "PreferedLft", 0);
	cJSON_AddNumberToObject(o, "ValidLft", 0);
	cJSON_AddNumberToObject(o, "LinkIndex", 0);
	return o;
}

/* netlink.Route, all 36 fields in declaration order; only Dst and Gw carry
 * meaning for the launcher's DHCP server. */
static cJSON *route_json(const struct vc_route *r)
{
	static const char *const zero_before[] = { "LinkIndex", "ILinkIndex", "Scope" };
	static const char *const zero_after[] = { "Protocol", "Priority", "Family", "Table", "Type",
						  "Tos", "Flags" };
	static const char *const nulls[] = { "MPLSDst", "NewDst", "Encap", "Via" };
	static const char *const zero_tail[] = { "Realm", "MTU", "MTULock", "Window", "Rtt", "RttVar",
						 "Ssthresh", "Cwnd", "AdvMSS", "Reordering", "Hoplimit",
						 "InitCwnd", "Features", "RtoMin", "RtoMinLock",
						 "InitRwnd", "QuickACK" };
	char gw[NP_PREFIX_STRLEN] = "";
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; i < 3; i++)
		cJSON_AddNumberToObject(o, zero_before[i], 0);
	if (r->dst.len == 0) {
		cJSON_AddNullToObject(o, "Dst");
	} else {
		cJSON *d = cJSON_AddObjectToObject(o, "Dst");
		add_ipnet_fields(d, &r->dst, true);
	}
	cJSON_AddStringToObject(o, "Src", "");
	if (r->has_gw)
		np_ip_str(&r->gw, gw, sizeof(gw));
	cJSON_AddStringToObject(o, "Gw", gw);
	cJSON_AddNullToObject(o, "MultiPath");
	for (size_t i = 0; i < sizeof(zero_after) / sizeof(*zero_after); i++)
		cJSON_AddNumberToObject(o, zero_after[i], 0);
	for (size_t i = 0; i < sizeof(nulls) / sizeof(*nulls); i++)
		cJSON_AddNullToObject(o, nulls[i]);
	for (size_t i = 0; i < sizeof(zero_tail) / sizeof(*zero_tail); i++) {
		cJSON_AddNumberToObject(o, zero_tail[i], 0);
		if (!strcmp(zero_tail[i], "QuickACK"))
			cJSON_AddStringToObject(o, "Congctl", "");
	}
	cJSON_AddNumberToObject(o, "FastOpenNoCookie", 0);
	return o;
}

char *vc_kubevirt_format(const struct vc_record *r)
{
	const struct np_prefix *v4 = NULL;
	for (int i = 0; i < r->n_ips && !v4; i++)
		if (r->ips[i].ip.family == AF_INET && np_ip_is_global_unicast(&r->ips[i].ip))
			v4 = &r->ips[i];
	char gw[NP_PREFIX_STRLEN] = "", mac64[16];
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "Name", "");
	cJSON_AddItemToObject(o, "IP", addr_json(v4));
	cJSON_AddItemToObject(o, "IPv6", addr_json(NULL));
	if (r->has_mac) {
		vc_base64_encode(r->mac, NP_MAC_LEN, mac64);
		cJSON_AddStringToObject(o, "MAC", mac64);
	} else {
		cJSON_AddNullToObject(o, "MAC");
	}
	cJSON_AddStringToObject(o, "AdvertisingIPAddr", "");
	cJSON_AddStringToObject(o, "AdvertisingIPv6Addr", "");
	/* IPv4 routes with a next hop or a non-local destination; the on-link
	 * subnet route is left out, as KubeVirt does. */
	cJSON *routes = NULL;
	for (int i = 0; v4 && i < r->n_routes; i++) {
		const struct vc_route *rt = &r->routes[i];
		if (rt->dst.ip.family != AF_INET || (!rt->has_gw && np_prefix_contains(&rt->dst, &v4->ip)))
			continue;
		if (!routes)
			routes = cJSON_CreateArray();
		cJSON_AddItemToArray(routes, route_json(rt));
		if (!gw[0] && rt->has_gw)
			np_ip_str(&rt->gw, gw, sizeof(gw));
	}
	cJSON_AddItemToObject(o, "Routes", routes ? routes : cJSON_CreateNull());
	for (int i = 0; v4 && !gw[0] && i < r->n_gws; i++)
		if (r->gws[i].family == AF_INET)
			np_ip_str(&r->gws[i], gw, sizeof(gw));
	cJSON_AddNumberToObject(o, "Mtu", 0);
	cJSON_AddBoolToObject(o, "IPAMDisabled", v4 == NULL);
	cJSON_AddStringToObject(o, "Gateway", gw);
	cJSON_AddStringToObject(o, "Subdomain", "");
	char *s = vc_gojson_print(o);
	cJSON_Delete(o);
	if (!s)
		return NULL;
	/* MarshalIndent output has no trailing newline; the file has none. */
	return s;
}

/* ---- reading ----------------------------------------------------------- */

static int parse_ipnet(const cJSON *o, const char *what, struct np_prefix *out,
		       bool *present, struct np_err *e)
{
	const cJSON *ip = cJSON_GetObjectItemCaseSensitive(o, "IP");
	const cJSON *mask = cJSON_GetObjectItemCaseSensitive(o, "Mask");
	*present = false;
	if ((!ip || cJSON_IsNull(ip)) && (!mask || cJSON_IsNull(mask)))
		return 0;
	if (!cJSON_IsString(ip) || !cJSON_IsString(mask))
		return np_errmsg(e, -EINVAL, "vif-cache %s: \"IP\" and \"Mask\" must be strings", what);
	if (np_ip_parse(ip->valuestring, &out->ip, e) < 0)
		return np_err_prefix(e, -EINVAL, "vif-cache %s.IP: ", what);
	uint8_t m[16];
	int n = vc_base64_decode(mask->valuestring, m, sizeof(m));
	if (n != (int)np_ip_len(out->ip.family))
		return np_errmsg(e, -EINVAL, "vif-cache %s.Mask is not a base64 %zu-byte mask", what,
				 np_ip_len(out->ip.family));
	unsigned len = 0;
	bool ended = false;
	for (int i = 0; i < n * 8; i++) {
		bool bit = m[i / 8] & (0x80 >> (i % 8));
		if (bit && ended)
			return np_errmsg(e, -EINVAL, "vif-cache %s.Mask is not contiguous", what);
		if (bit)
			len++;
		else
			ended = true;
	}
	out->len = (uint8_t)len;
	*present = true;
	return 0;
}

int vc_kubevirt_parse(const char *text, size_t len, struct vc_record *r,
		      bool *ipam_disabled, struct np_err *e)
{
	if (len > VC_KUBEVIRT_MAX)
		return np_errmsg(e, -EFBIG, "vif-cache file is %zu bytes, above the %d-byte limit", len, VC_KUBEVIRT_MAX);
	if (memmem(text, len, "\\u0000", 6))
		return np_errmsg(e, -EINVAL, "vif-cache file contains an escaped NUL character");
	cJSON *j = cJSON_ParseWithLength(text, len);
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return np_errmsg(e, -EBADMSG, "vif-cache file is not a JSON object (torn or garbage)");
	}
	int rc = 0;
	const cJSON *mac = cJSON_GetObjectItemCaseSensitive(j, "MAC");
	const cJSON *ip = cJSON_GetObjectItemCaseSensitive(j, "IP");
	const cJSON *gw = cJSON_GetObjectItemCaseSensitive(j, "Gateway");
	const cJSON *routes = cJSON_GetObjectItemCaseSensitive(j, "Routes");
	const cJSON *disabled = cJSON_GetObjectItemCaseSensitive(j, "IPAMDisabled");
	r->has_mac = false;
	r->n_ips = r->n_gws = r->n_routes = 0;
	if (mac && !cJSON_IsNull(mac)) {
		if (!cJSON_IsString(mac) || vc_base64_decode(mac->valuestring, r->mac, NP_MAC_LEN) != NP_MAC_LEN) {
			rc = np_errmsg(e, -EINVAL, "vif-cache MAC is not a base64 6-byte address");
			goto out;
		}
		r->has_mac = true;
	}
	if (disabled && !cJSON_IsBool(disabled)) {
		rc = np_errmsg(e, -EINVAL, "vif-cache IPAMDisabled must be true or false");
		goto out;
	}
	*ipam_disabled = cJSON_IsTrue(disabled);
	if (ip && !cJSON_IsNull(ip)) {
		bool present;
		if (!cJSON_IsObject(ip)) {
			rc = np_errmsg(e, -EINVAL, "vif-cache IP must be an object");
			goto out;
		}
		if ((rc = parse_ipnet(ip, "IP", &r->ips[0], &present, e)) < 0)
			goto out;
		r->n_ips = present;
	}
	if (gw && !cJSON_IsNull(gw)) {
		if (!cJSON_IsString(gw)) {
			rc = np_errmsg(e, -EINVAL, "vif-cache Gateway must be a string");
			goto out;
		}
		if (gw->valuestring[0]) {
			if ((rc = np_ip_parse(gw->valuestring, &r->gws[0], e)) < 0)
				goto out;
			r->n_gws = 1;
		}
	}
	if (routes && !cJSON_IsNull(routes)) {
		const cJSON *rt;
		if (!cJSON_IsArray(routes) || cJSON_GetArraySize(routes) > VC_MAX_ROUTES) {
			rc = np_errmsg(e, -EINVAL, "vif-cache Routes must be null or a list of at most %d routes", VC_MAX_ROUTES);
			goto out;
		}
		cJSON_ArrayForEach(rt, routes) {
			struct vc_route *vr = &r->routes[r->n_routes];
			const cJSON *dst = cJSON_GetObjectItemCaseSensitive(rt, "Dst");
			const cJSON *rgw = cJSON_GetObjectItemCaseSensitive(rt, "Gw");
			bool present = false;
			memset(vr, 0, sizeof(*vr));
			if (!cJSON_IsObject(rt) || (dst && !cJSON_IsNull(dst) && !cJSON_IsObject(dst))) {
				rc = np_errmsg(e, -EINVAL, "vif-cache Routes entries must be objects with Dst null or {IP, Mask}");
				goto out;
			}
			if (dst && cJSON_IsObject(dst) && (rc = parse_ipnet(dst, "Routes[].Dst", &vr->dst, &present, e)) < 0)
				goto out;
			if (!present)
				vr->dst.ip.family = AF_INET; /* null Dst: the default route */
			if (rgw && !cJSON_IsNull(rgw)) {
				if (!cJSON_IsString(rgw)) {
					rc = np_errmsg(e, -EINVAL, "vif-cache Routes[].Gw must be a string");
					goto out;
				}
				if (rgw->valuestring[0]) {
					if ((rc = np_ip_parse(rgw->valuestring, &vr->gw, e)) < 0)
						goto out;
					vr->has_gw = true;
				}
			}
			r->n_routes++;
		}
	}
out:
	cJSON_Delete(j);
	return rc;
}
