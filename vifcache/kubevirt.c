#define _GNU_SOURCE
#include "kubevirt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "gojson.h"
#include "json_strict.h"

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

/* The Go types of KubeVirt's DHCPConfig and of the netlink structs it
 * holds, as vendored by KubeVirt v1.9 (vishvananda/netlink v1.3.1), field
 * by field in declaration order, which is the order encoding/json writes.
 * The writer takes each field's zero value from its kind and the reader
 * checks each field against it: a value of another JSON type makes Go's
 * json.Unmarshal fail on the whole file (a number in MTULock, a bool
 * since v1.3.1, was how mignet broke every file with a route). */
enum go_kind {
	GO_INT,      /* int: a whole number */
	GO_UINT8,    /* netlink.Scope */
	GO_UINT16,   /* DHCPConfig.Mtu */
	GO_BOOL,
	GO_STRING,
	GO_IP,       /* net.IP: its text, "" when nil */
	GO_BYTES,    /* []byte (net.HardwareAddr, net.IPMask): base64, null when nil */
	GO_IFACE,    /* an interface (netlink.Destination, Encap): only null reads */
	GO_PTR_INT,  /* *int */
	GO_IPNET,    /* *net.IPNet */
	GO_ADDR,     /* netlink.Addr */
	GO_ROUTES,   /* *[]netlink.Route */
	GO_NEXTHOPS, /* []*netlink.NexthopInfo */
};

struct go_field {
	const char *name;
	enum go_kind kind;
};

#define N_FIELDS(a) (sizeof(a) / sizeof(*(a)))

static const struct go_field ipnet_fields[] = { { "IP", GO_IP }, { "Mask", GO_BYTES } };

/* IP and Mask come from the embedded *net.IPNet: absent when it is nil. */
static const struct go_field addr_fields[] = {
	{ "IP", GO_IP },	   { "Mask", GO_BYTES },  { "Label", GO_STRING },
	{ "Flags", GO_INT },	   { "Scope", GO_INT },	  { "Peer", GO_IPNET },
	{ "Broadcast", GO_IP },	   { "PreferedLft", GO_INT }, { "ValidLft", GO_INT },
	{ "LinkIndex", GO_INT },
};

static const struct go_field route_fields[] = {
	{ "LinkIndex", GO_INT },     { "ILinkIndex", GO_INT },	 { "Scope", GO_UINT8 },
	{ "Dst", GO_IPNET },	     { "Src", GO_IP },		 { "Gw", GO_IP },
	{ "MultiPath", GO_NEXTHOPS }, { "Protocol", GO_INT },	 { "Priority", GO_INT },
	{ "Family", GO_INT },	     { "Table", GO_INT },	 { "Type", GO_INT },
	{ "Tos", GO_INT },	     { "Flags", GO_INT },	 { "MPLSDst", GO_PTR_INT },
	{ "NewDst", GO_IFACE },	     { "Encap", GO_IFACE },	 { "Via", GO_IFACE },
	{ "Realm", GO_INT },	     { "MTU", GO_INT },		 { "MTULock", GO_BOOL },
	{ "Window", GO_INT },	     { "Rtt", GO_INT },		 { "RttVar", GO_INT },
	{ "Ssthresh", GO_INT },	     { "Cwnd", GO_INT },	 { "AdvMSS", GO_INT },
	{ "Reordering", GO_INT },    { "Hoplimit", GO_INT },	 { "InitCwnd", GO_INT },
	{ "Features", GO_INT },	     { "RtoMin", GO_INT },	 { "RtoMinLock", GO_BOOL },
	{ "InitRwnd", GO_INT },	     { "QuickACK", GO_INT },	 { "Congctl", GO_STRING },
	{ "FastOpenNoCookie", GO_INT },
};

static const struct go_field nexthop_fields[] = {
	{ "LinkIndex", GO_INT }, { "Hops", GO_INT },	{ "Gw", GO_IP },   { "Flags", GO_INT },
	{ "NewDst", GO_IFACE },	 { "Encap", GO_IFACE }, { "Via", GO_IFACE },
};

static const struct go_field config_fields[] = {
	{ "Name", GO_STRING },		 { "IP", GO_ADDR },	   { "IPv6", GO_ADDR },
	{ "MAC", GO_BYTES },		 { "AdvertisingIPAddr", GO_IP }, { "AdvertisingIPv6Addr", GO_IP },
	{ "Routes", GO_ROUTES },	 { "Mtu", GO_UINT16 },	   { "IPAMDisabled", GO_BOOL },
	{ "Gateway", GO_IP },		 { "Subdomain", GO_STRING },
};

/* A field's zero value as encoding/json writes it. */
static void add_zero(cJSON *o, const struct go_field *f)
{
	switch (f->kind) {
	case GO_INT: case GO_UINT8: case GO_UINT16:
		cJSON_AddNumberToObject(o, f->name, 0);
		break;
	case GO_BOOL:
		cJSON_AddFalseToObject(o, f->name);
		break;
	case GO_STRING: case GO_IP:
		cJSON_AddStringToObject(o, f->name, "");
		break;
	default: /* nil slices, pointers and interfaces */
		cJSON_AddNullToObject(o, f->name);
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
	for (size_t i = 2; i < N_FIELDS(addr_fields); i++)
		add_zero(o, &addr_fields[i]);
	return o;
}

/* netlink.Route, every field; KubeVirt fills only Dst and Gw
 * (translateNmstateToNetlinkRoutes), so the rest are zero values. */
static cJSON *route_json(const struct vc_route *r)
{
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; i < N_FIELDS(route_fields); i++) {
		const struct go_field *f = &route_fields[i];
		if (!strcmp(f->name, "Dst") && r->dst.len > 0) {
			add_ipnet_fields(cJSON_AddObjectToObject(o, "Dst"), &r->dst, true);
		} else if (!strcmp(f->name, "Gw") && r->has_gw) {
			char gw[NP_PREFIX_STRLEN];
			cJSON_AddStringToObject(o, "Gw", np_ip_str(&r->gw, gw, sizeof(gw)));
		} else {
			add_zero(o, f); /* a null Dst is the default route */
		}
	}
	return o;
}

/* As KubeVirt's filterIPv4RoutesByInterface and
 * filterRoutesByNonLocalDestination: IPv4 routes (an IPv6 next hop is
 * skipped too) less the one to the address's own network, matched by
 * network and length whether or not it has a next hop; default routes
 * stay, with or without one (the DHCP server sends 0.0.0.0 for none). */
static bool kubevirt_keeps_route(const struct vc_route *rt, const struct np_prefix *v4)
{
	struct np_ip dst_net, own_net;
	if (rt->dst.ip.family != AF_INET || (rt->has_gw && rt->gw.family != AF_INET))
		return false;
	if (rt->dst.len == 0 || rt->dst.len != v4->len)
		return true;
	np_prefix_network(&rt->dst, &dst_net);
	np_prefix_network(v4, &own_net);
	return !np_ip_equal(&dst_net, &own_net);
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
	cJSON *routes = NULL;
	for (int i = 0; v4 && i < r->n_routes; i++) {
		const struct vc_route *rt = &r->routes[i];
		if (!kubevirt_keeps_route(rt, v4))
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

static const char *const go_kind_wants[] = {
	[GO_INT] = "a whole number",
	[GO_UINT8] = "a whole number from 0 to 255",
	[GO_UINT16] = "a whole number from 0 to 65535",
	[GO_BOOL] = "true or false",
	[GO_STRING] = "a string",
	[GO_IP] = "an IP address in a string (or \"\")",
	[GO_BYTES] = "a base64 string",
	[GO_IFACE] = "null (it is a Go interface)",
	[GO_PTR_INT] = "null or a whole number",
	[GO_IPNET] = "null or an object {IP, Mask}",
	[GO_ADDR] = "an object",
	[GO_ROUTES] = "null or a list of objects",
	[GO_NEXTHOPS] = "null or a list of objects",
};

static bool whole_in(double d, double lo, double hi)
{
	/* the range test first: converting an out-of-range double is undefined */
	return d >= lo && d <= hi && (double)(long long)d == d;
}

static bool base64_ok(const char *s)
{
	size_t n = strlen(s);
	uint8_t small[64], *buf = n < sizeof(small) ? small : malloc(n);
	bool ok = buf && vc_base64_decode(s, buf, n < sizeof(small) ? sizeof(small) : n) >= 0;
	if (buf != small)
		free(buf);
	return ok;
}

static int go_check_object(const cJSON *o, const struct go_field *fields, size_t n,
			   const char *path, struct np_err *e);

/* Whether Go's json.Unmarshal takes v into a field of kind k. null goes
 * into anything (it leaves the field alone). An integer written as 1e2 is
 * one thing this cannot see (cJSON keeps only the double): Go refuses it
 * for an int. */
static int go_check(const cJSON *v, enum go_kind k, const char *path, struct np_err *e)
{
	struct np_ip ip;
	bool ok;
	if (cJSON_IsNull(v))
		return 0;
	switch (k) {
	case GO_INT: case GO_PTR_INT:
		ok = cJSON_IsNumber(v) && whole_in(v->valuedouble, -9223372036854775808.0, 9223372036854774784.0);
		break;
	case GO_UINT8:
		ok = cJSON_IsNumber(v) && whole_in(v->valuedouble, 0, 255);
		break;
	case GO_UINT16:
		ok = cJSON_IsNumber(v) && whole_in(v->valuedouble, 0, 65535);
		break;
	case GO_BOOL:
		ok = cJSON_IsBool(v);
		break;
	case GO_STRING:
		ok = cJSON_IsString(v);
		break;
	case GO_IP:
		ok = cJSON_IsString(v) && (!v->valuestring[0] || np_ip_parse(v->valuestring, &ip, NULL) == 0);
		break;
	case GO_BYTES:
		ok = cJSON_IsString(v) && base64_ok(v->valuestring);
		break;
	case GO_IFACE:
		ok = false;
		break;
	case GO_IPNET: case GO_ADDR:
		if (!(ok = cJSON_IsObject(v)))
			break;
		return k == GO_IPNET ? go_check_object(v, ipnet_fields, N_FIELDS(ipnet_fields), path, e) :
				       go_check_object(v, addr_fields, N_FIELDS(addr_fields), path, e);
	case GO_ROUTES: case GO_NEXTHOPS: {
		if (!(ok = cJSON_IsArray(v)))
			break;
		const cJSON *c;
		int i = 0;
		cJSON_ArrayForEach(c, v) {
			char sub[96];
			snprintf(sub, sizeof(sub), "%.64s[%d]", path, i++);
			if (!cJSON_IsNull(c) && !cJSON_IsObject(c))
				return np_errmsg(e, -EINVAL, "vif-cache %s must be an object, or KubeVirt's Go code "
							     "cannot read the file", sub);
			int rc = k == GO_ROUTES ?
					 go_check_object(c, route_fields, N_FIELDS(route_fields), sub, e) :
					 go_check_object(c, nexthop_fields, N_FIELDS(nexthop_fields), sub, e);
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	default:
		ok = false;
	}
	if (ok)
		return 0;
	return np_errmsg(e, -EINVAL, "vif-cache %s must be %s, or KubeVirt's Go code cannot read the file%s",
			 path, go_kind_wants[k],
			 k == GO_BOOL && cJSON_IsNumber(v) ?
				 " (older mignet wrote 0 there; `vifcache repair NS/VM` rewrites the file)" : "");
}

/* 1 when key is the field's name, 2 when Go's encoding/json takes it for
 * the field all the same: it compares names under Unicode simple case
 * folding, which is ASCII case plus U+017F (long s) for s and U+212A
 * (Kelvin sign) for k, the only other letters that fold to ASCII ones. */
static int go_name_match(const char *key, const char *field)
{
	if (!strcmp(key, field))
		return 1;
	const unsigned char *k = (const unsigned char *)key;
	for (const char *f = field; *f; f++) {
		char lf = *f >= 'A' && *f <= 'Z' ? *f + 32 : *f;
		unsigned char lk = *k >= 'A' && *k <= 'Z' ? *k + 32 : *k;
		if (lk == (unsigned char)lf && lk) {
			k++;
		} else if (lf == 's' && k[0] == 0xc5 && k[1] == 0xbf) {
			k += 2;
		} else if (lf == 'k' && k[0] == 0xe2 && k[1] == 0x84 && k[2] == 0xaa) {
			k += 3;
		} else {
			return 0;
		}
	}
	return *k ? 0 : 2;
}

/* Every member Go would take into a field of the struct; unknown ones
 * (newer netlink's fields) Go ignores, and so does this. A member Go
 * matches only by folding is refused: mignet reads the exact names, and
 * beside the exact one Go would read whichever comes last, so the two
 * would read one file two ways. */
static int go_check_object(const cJSON *o, const struct go_field *fields, size_t n,
			   const char *path, struct np_err *e)
{
	const cJSON *c;
	cJSON_ArrayForEach(c, o) {
		for (size_t i = 0; i < n; i++) {
			int m = go_name_match(c->string, fields[i].name);
			if (!m)
				continue;
			char sub[96], shown[NP_QUOTE_MAX];
			snprintf(sub, sizeof(sub), "%.64s%s%s", path, *path ? "." : "", fields[i].name);
			if (m == 2)
				return np_errmsg(e, -EINVAL, "vif-cache key \"%s\" is %s to KubeVirt's Go code, which "
							     "ignores case; write the exact name",
						 np_quote(c->string, shown, sizeof(shown)), sub);
			int rc = go_check(c, fields[i].kind, sub, e);
			if (rc < 0)
				return rc;
			break;
		}
	}
	return 0;
}

int vc_kubevirt_parse(const char *text, size_t len, struct vc_record *r,
		      bool *ipam_disabled, struct np_err *e)
{
	if (len > VC_KUBEVIRT_MAX)
		return np_errmsg(e, -EFBIG, "vif-cache file is %zu bytes, above the %d-byte limit", len, VC_KUBEVIRT_MAX);
	if (memmem(text, len, "\\u0000", 6))
		return np_errmsg(e, -EINVAL, "vif-cache file contains an escaped NUL character");
	/* strict: trailing data and a duplicate key, which Go reads otherwise
	 * than cJSON (the last one counts), are refused */
	struct np_err pe = { 0 };
	cJSON *j = np_json_parse_strict(text, len, "vif-cache file", &pe);
	if (!j && pe.code != -EBADMSG)
		return np_errmsg(e, pe.code, "%s", pe.msg);
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
	/* what mignet needs is read; the file must also be one KubeVirt reads */
	rc = go_check_object(j, config_fields, N_FIELDS(config_fields), "", e);
out:
	cJSON_Delete(j);
	return rc;
}
