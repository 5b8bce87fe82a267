#include "from_result.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int vc_record_from_result(const cJSON *result, const char *ifname,
			  struct vc_record *r, char *sandbox, size_t sandbox_len,
			  struct np_err *e)
{
	if (!cJSON_IsObject(result))
		return np_errmsg(e, -EINVAL, "CNI result is not a JSON object");
	const cJSON *ifs = cJSON_GetObjectItemCaseSensitive(result, "interfaces"), *v;
	int idx = -1, i = 0;
	cJSON_ArrayForEach(v, ifs) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(v, "name");
		const cJSON *sb = cJSON_GetObjectItemCaseSensitive(v, "sandbox");
		bool named = cJSON_IsString(name) && ifname && !strcmp(name->valuestring, ifname);
		if (named || (idx < 0 && cJSON_IsString(sb) && sb->valuestring[0]))
			idx = i;
		i++;
	}
	if (idx < 0)
		return np_errmsg(e, -ENOENT, "CNI result has no container interface%s%s",
				 ifname ? " named " : "", ifname ? ifname : "");
	const cJSON *iface = cJSON_GetArrayItem(ifs, idx);
	const cJSON *mac = cJSON_GetObjectItemCaseSensitive(iface, "mac");
	const cJSON *sb = cJSON_GetObjectItemCaseSensitive(iface, "sandbox");
	const cJSON *mtu = cJSON_GetObjectItemCaseSensitive(iface, "mtu");
	r->has_mac = false;
	r->n_ips = r->n_gws = r->n_routes = 0;
	if (cJSON_IsString(mac) && mac->valuestring[0]) {
		if (np_mac_parse(mac->valuestring, false, r->mac, e) < 0)
			return np_err_prefix(e, -EINVAL, "CNI result interface mac: ");
		r->has_mac = true;
	}
	if (cJSON_IsNumber(mtu) && mtu->valuedouble > 0 && mtu->valuedouble <= 65535)
		r->mtu = (unsigned)mtu->valuedouble;
	if (sandbox && sandbox_len)
		snprintf(sandbox, sandbox_len, "%s", cJSON_IsString(sb) ? sb->valuestring : "");
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(result, "ips")) {
		const cJSON *addr = cJSON_GetObjectItemCaseSensitive(v, "address");
		const cJSON *gw = cJSON_GetObjectItemCaseSensitive(v, "gateway");
		const cJSON *in = cJSON_GetObjectItemCaseSensitive(v, "interface");
		if (cJSON_IsNumber(in) && in->valueint != idx)
			continue;
		if (r->n_ips == VC_MAX_IPS || !cJSON_IsString(addr) ||
		    np_prefix_parse(addr->valuestring, false, &r->ips[r->n_ips], e) < 0)
			return np_errmsg(e, -EINVAL, "CNI result ips[]: bad or too many addresses");
		r->n_ips++;
		if (cJSON_IsString(gw) && gw->valuestring[0] && r->n_gws < VC_MAX_GWS) {
			if (np_ip_parse(gw->valuestring, &r->gws[r->n_gws], e) < 0)
				return np_err_prefix(e, -EINVAL, "CNI result ips[].gateway: ");
			r->n_gws++;
		}
	}
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(result, "routes")) {
		const cJSON *dst = cJSON_GetObjectItemCaseSensitive(v, "dst");
		const cJSON *gw = cJSON_GetObjectItemCaseSensitive(v, "gw");
		struct vc_route *rt = &r->routes[r->n_routes];
		memset(rt, 0, sizeof(*rt));
		if (r->n_routes == VC_MAX_ROUTES || !cJSON_IsString(dst) ||
		    np_prefix_parse(dst->valuestring, false, &rt->dst, e) < 0)
			return np_errmsg(e, -EINVAL, "CNI result routes[]: bad or too many routes");
		if (cJSON_IsString(gw) && gw->valuestring[0]) {
			if (np_ip_parse(gw->valuestring, &rt->gw, e) < 0)
				return np_err_prefix(e, -EINVAL, "CNI result routes[].gw: ");
			rt->has_gw = true;
		} else {
			/* CNI: a route without gw goes through its family's gateway */
			for (int k = 0; k < r->n_gws && !rt->has_gw; k++)
				if (r->gws[k].family == rt->dst.ip.family) {
					rt->gw = r->gws[k];
					rt->has_gw = true;
				}
		}
		r->n_routes++;
	}
	return 0;
}
