#include "result.h"

#include <stdio.h>
#include <string.h>

#include "conf.h"

void cni_result_init(struct cni_result *r)
{
	memset(r, 0, sizeof(*r));
}

void cni_result_free(struct cni_result *r)
{
	cJSON_Delete(r->dns);
	r->dns = NULL;
}

int cni_result_add_iface(struct cni_result *r, const char *name,
			 const uint8_t mac[NP_MAC_LEN], const char *sandbox)
{
	if (r->n_ifaces == CNI_MAX_IFACES)
		return -1;
	struct cni_iface *i = &r->ifaces[r->n_ifaces];
	memset(i, 0, sizeof(*i));
	snprintf(i->name, sizeof(i->name), "%s", name);
	if (mac)
		np_mac_str(mac, i->mac, sizeof(i->mac));
	snprintf(i->sandbox, sizeof(i->sandbox), "%s", sandbox ? sandbox : "");
	return r->n_ifaces++;
}

static cJSON *ip_json(const struct cni_ip *ip, bool v1, bool with_iface)
{
	char buf[NP_PREFIX_STRLEN];
	cJSON *o = cJSON_CreateObject();
	if (!v1)
		cJSON_AddStringToObject(o, "version", ip->address.ip.family == AF_INET ? "4" : "6");
	if (with_iface && ip->iface >= 0)
		cJSON_AddNumberToObject(o, "interface", ip->iface);
	cJSON_AddStringToObject(o, "address", np_prefix_str(&ip->address, buf, sizeof(buf)));
	if (ip->has_gw)
		cJSON_AddStringToObject(o, "gateway", np_ip_str(&ip->gw, buf, sizeof(buf)));
	return o;
}

static cJSON *route_json(const struct cni_route *rt, bool v11)
{
	char buf[NP_PREFIX_STRLEN];
	struct np_prefix dst = rt->dst;
	np_prefix_network(&rt->dst, &dst.ip);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "dst", np_prefix_str(&dst, buf, sizeof(buf)));
	if (rt->has_gw)
		cJSON_AddStringToObject(o, "gw", np_ip_str(&rt->gw, buf, sizeof(buf)));
	if (v11) {
		if (rt->mtu) cJSON_AddNumberToObject(o, "mtu", rt->mtu);
		if (rt->advmss) cJSON_AddNumberToObject(o, "advmss", rt->advmss);
		if (rt->priority) cJSON_AddNumberToObject(o, "priority", rt->priority);
		if (rt->table) cJSON_AddNumberToObject(o, "table", rt->table);
		if (rt->scope >= 0) cJSON_AddNumberToObject(o, "scope", rt->scope);
	}
	return o;
}

cJSON *cni_result_json(const struct cni_result *r, const char *version)
{
	bool v1 = cni_version_cmp(version, "1.0.0") >= 0;
	bool v11 = cni_version_cmp(version, "1.1.0") >= 0;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "cniVersion", version);
	if (r->n_ifaces) {
		cJSON *arr = cJSON_AddArrayToObject(o, "interfaces");
		for (int i = 0; i < r->n_ifaces; i++) {
			const struct cni_iface *f = &r->ifaces[i];
			cJSON *io = cJSON_CreateObject();
			cJSON_AddStringToObject(io, "name", f->name);
			if (f->mac[0])
				cJSON_AddStringToObject(io, "mac", f->mac);
			if (v11 && f->mtu)
				cJSON_AddNumberToObject(io, "mtu", f->mtu);
			if (f->sandbox[0])
				cJSON_AddStringToObject(io, "sandbox", f->sandbox);
			if (v11 && f->pci_id[0])
				cJSON_AddStringToObject(io, "pciID", f->pci_id);
			cJSON_AddItemToArray(arr, io);
		}
	}
	if (r->n_ips) {
		cJSON *arr = cJSON_AddArrayToObject(o, "ips");
		for (int i = 0; i < r->n_ips; i++)
			cJSON_AddItemToArray(arr, ip_json(&r->ips[i], v1, r->n_ifaces > 0));
	}
	if (r->n_routes) {
		cJSON *arr = cJSON_AddArrayToObject(o, "routes");
		for (int i = 0; i < r->n_routes; i++)
			cJSON_AddItemToArray(arr, route_json(&r->routes[i], v11));
	}
	cJSON_AddItemToObject(o, "dns", r->dns ? cJSON_Duplicate(r->dns, 1) : cJSON_CreateObject());
	return o;
}

static int parse_ip(const cJSON *j, struct cni_ip *ip, int n_ifaces,
		    struct cni_error *ce)
{
	const char *addr, *gw;
	struct np_err e = { 0 };
	if (cni_json_str(j, "result ips[]", "address", true, &addr, ce) < 0 ||
	    cni_json_str(j, "result ips[]", "gateway", false, &gw, ce) < 0)
		return -1;
	memset(ip, 0, sizeof(*ip));
	ip->iface = -1;
	if (np_prefix_parse(addr, false, &ip->address, &e) < 0)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "result ips[].address: %s", e.msg);
	if (gw) {
		if (np_ip_parse(gw, &ip->gw, &e) < 0)
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "result ips[].gateway: %s", e.msg);
		ip->has_gw = true;
	}
	unsigned long idx = 0;
	const cJSON *vi = cJSON_GetObjectItemCaseSensitive(j, "interface");
	if (vi && !cJSON_IsNull(vi)) {
		if (cni_json_uint(j, "result ips[]", "interface", 0,
				  n_ifaces ? (unsigned long)n_ifaces - 1 : 0, &idx, ce) < 0)
			return -1;
		ip->iface = (int)idx;
	}
	return 0;
}

static int parse_route(const cJSON *j, struct cni_route *rt, struct cni_error *ce)
{
	const char *dst, *gw;
	struct np_err e = { 0 };
	if (cni_json_str(j, "result routes[]", "dst", true, &dst, ce) < 0 ||
	    cni_json_str(j, "result routes[]", "gw", false, &gw, ce) < 0)
		return -1;
	memset(rt, 0, sizeof(*rt));
	rt->scope = -1;
	if (np_prefix_parse(dst, false, &rt->dst, &e) < 0)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "result routes[].dst: %s", e.msg);
	if (gw) {
		if (np_ip_parse(gw, &rt->gw, &e) < 0)
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "result routes[].gw: %s", e.msg);
		rt->has_gw = true;
	}
	unsigned long v = 0;
	if (cni_json_uint(j, "result routes[]", "mtu", 0, 65535, &v, ce) < 0) return -1;
	rt->mtu = (unsigned)v; v = 0;
	if (cni_json_uint(j, "result routes[]", "advmss", 0, 65535, &v, ce) < 0) return -1;
	rt->advmss = (unsigned)v; v = 0;
	if (cni_json_uint(j, "result routes[]", "priority", 0, 0xffffffffUL, &v, ce) < 0) return -1;
	rt->priority = (unsigned)v; v = 0;
	if (cni_json_uint(j, "result routes[]", "table", 0, 0xffffffffUL, &v, ce) < 0) return -1;
	rt->table = (unsigned)v;
	if (cJSON_GetObjectItemCaseSensitive(j, "scope")) {
		v = 0;
		if (cni_json_uint(j, "result routes[]", "scope", 0, 255, &v, ce) < 0) return -1;
		rt->scope = (int)v;
	}
	return 0;
}

int cni_result_parse(const cJSON *j, struct cni_result *r, struct cni_error *ce)
{
	cni_result_init(r);
	if (!cJSON_IsObject(j))
		return cni_fail(ce, CNI_ERR_DECODE, "result is not a JSON object");
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "interfaces"), *v;
	cJSON_ArrayForEach(v, arr) {
		const char *name, *mac, *sandbox;
		if (cni_json_str(v, "result interfaces[]", "name", true, &name, ce) < 0 ||
		    cni_json_str(v, "result interfaces[]", "mac", false, &mac, ce) < 0 ||
		    cni_json_str(v, "result interfaces[]", "sandbox", false, &sandbox, ce) < 0)
			return -1;
		int idx = cni_result_add_iface(r, name, NULL, sandbox);
		if (idx < 0)
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "result has more than %d interfaces", CNI_MAX_IFACES);
		snprintf(r->ifaces[idx].mac, sizeof(r->ifaces[idx].mac), "%s", mac ? mac : "");
		unsigned long mtu = 0;
		if (cni_json_uint(v, "result interfaces[]", "mtu", 0, 65535, &mtu, ce) < 0)
			return -1;
		r->ifaces[idx].mtu = (unsigned)mtu;
	}
	arr = cJSON_GetObjectItemCaseSensitive(j, "ips");
	cJSON_ArrayForEach(v, arr) {
		if (r->n_ips == CNI_MAX_RESULT_IPS)
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "result has more than %d IPs", CNI_MAX_RESULT_IPS);
		if (parse_ip(v, &r->ips[r->n_ips], r->n_ifaces, ce) < 0)
			return -1;
		r->n_ips++;
	}
	arr = cJSON_GetObjectItemCaseSensitive(j, "routes");
	cJSON_ArrayForEach(v, arr) {
		if (r->n_routes == CNI_MAX_ROUTES)
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "result has more than %d routes", CNI_MAX_ROUTES);
		if (parse_route(v, &r->routes[r->n_routes], ce) < 0)
			return -1;
		r->n_routes++;
	}
	const cJSON *dns = cJSON_GetObjectItemCaseSensitive(j, "dns");
	if (cJSON_IsObject(dns) && dns->child)
		r->dns = cJSON_Duplicate(dns, 1);
	return 0;
}

int cni_result_merge_ipam(struct cni_result *r, const struct cni_result *ipam,
			  int iface, struct cni_error *ce)
{
	if (r->n_ips + ipam->n_ips > CNI_MAX_RESULT_IPS ||
	    r->n_routes + ipam->n_routes > CNI_MAX_ROUTES)
		return cni_fail(ce, CNI_ERR_INTERNAL, "IPAM result has too many IPs or routes");
	for (int i = 0; i < ipam->n_ips; i++) {
		r->ips[r->n_ips] = ipam->ips[i];
		r->ips[r->n_ips++].iface = iface;
	}
	for (int i = 0; i < ipam->n_routes; i++)
		r->routes[r->n_routes++] = ipam->routes[i];
	if (ipam->dns && !r->dns)
		r->dns = cJSON_Duplicate(ipam->dns, 1);
	return 0;
}
