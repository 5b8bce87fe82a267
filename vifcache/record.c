#define _GNU_SOURCE
#include "record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "names.h"
#include "sriov.h"

static const char *const binding_names[] = { "bridge", "macvlan", "sriov" };
static const char *const state_names[] = { "pending", "started", "finished" };

const char *vc_binding_name(enum vc_binding b)
{
	return (unsigned)b < 3 ? binding_names[b] : "?";
}

const char *vc_state_name(enum vc_state s)
{
	return (unsigned)s < 3 ? state_names[s] : "?";
}

int vc_binding_parse(const char *s, enum vc_binding *out)
{
	for (int i = 0; s && i < 3; i++)
		if (!strcmp(s, binding_names[i])) {
			*out = (enum vc_binding)i;
			return 0;
		}
	return -EINVAL;
}

static void fmt_time(long long t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* "2026-01-02T03:04:05Z" exactly (what fmt_time writes); strptime would
 * go through the locale machinery for every record of a 10,000-record walk. */
static int parse_time(const char *s, long long *out)
{
	if (!s || strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || s[19] != 'Z')
		return -EINVAL;
	int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
	int h = digits(s + 11, 2), mi = digits(s + 14, 2), sec = digits(s + 17, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || sec < 0 || sec > 60)
		return -EINVAL;
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi, .tm_sec = sec };
	*out = (long long)timegm(&tm);
	return 0;
}

int vc_key_validate(const char *ns, const char *vm, const char *pod_iface, struct np_err *e)
{
	int rc;
	if ((rc = np_valid_k8s_label(ns, "namespace", e)) < 0 ||
	    (rc = np_valid_k8s_subdomain(vm, "VM name", e)) < 0 ||
	    (pod_iface && (rc = np_valid_ifname(pod_iface, "pod interface", e)) < 0))
		return rc;
	return 0;
}

int vc_record_validate(const struct vc_record *r, struct np_err *e)
{
	int rc;
	if ((rc = vc_key_validate(r->ns, r->vm, r->pod_iface, e)) < 0 ||
	    (rc = np_valid_network_name(r->network, e)) < 0)
		return np_err_prefix(e, rc, "record: ");
	if (r->uid[0] && (rc = np_valid_path_component(r->uid, 63, "VMI UID", e)) < 0)
		return rc;
	if ((unsigned)r->binding > VC_SRIOV || (unsigned)r->state > VC_FINISHED)
		return np_errmsg(e, -EINVAL, "record: bad binding or state");
	if (r->mtu > 65535 || r->vlan > 4094)
		return np_errmsg(e, -EINVAL, "record: mtu %u or vlan %u out of range", r->mtu, r->vlan);
	if (r->bridge[0] && (rc = np_valid_ifname(r->bridge, "record bridge", e)) < 0)
		return rc;
	if (r->n_ips < 0 || r->n_ips > VC_MAX_IPS || r->n_gws < 0 || r->n_gws > VC_MAX_GWS ||
	    r->n_routes < 0 || r->n_routes > VC_MAX_ROUTES)
		return np_errmsg(e, -EINVAL, "record: too many IPs, gateways or routes");
	if (r->has_sriov) {
		if ((rc = np_valid_ifname(r->sriov.pf, "record sriov pf", e)) < 0 ||
		    (rc = np_pci_addr_valid(r->sriov.pci, e)) < 0)
			return rc;
		if (r->sriov.vf < 0 || r->sriov.vf > 4095 || r->sriov.vlan > 4094)
			return np_errmsg(e, -EINVAL, "record: sriov vf or vlan out of range");
	}
	if (r->owner.container_id[0] && (rc = np_valid_container_id(r->owner.container_id, e)) < 0)
		return rc;
	if (r->owner.pod_uid[0] && (rc = np_valid_path_component(r->owner.pod_uid, 63, "owner pod UID", e)) < 0)
		return rc;
	return 0;
}

static void add_str_if(cJSON *o, const char *k, const char *v)
{
	if (v && *v)
		cJSON_AddStringToObject(o, k, v);
}

cJSON *vc_record_to_json(const struct vc_record *r)
{
	char buf[NP_PREFIX_STRLEN];
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "schemaVersion", VC_SCHEMA);
	cJSON *vm = cJSON_AddObjectToObject(o, "vm");
	cJSON_AddStringToObject(vm, "namespace", r->ns);
	cJSON_AddStringToObject(vm, "name", r->vm);
	add_str_if(vm, "uid", r->uid);
	cJSON_AddStringToObject(o, "network", r->network);
	cJSON_AddStringToObject(o, "podInterface", r->pod_iface);
	cJSON_AddStringToObject(o, "binding", vc_binding_name(r->binding));
	if (r->has_mac)
		cJSON_AddStringToObject(o, "mac", np_mac_str(r->mac, buf, sizeof(buf)));
	cJSON *ips = cJSON_AddArrayToObject(o, "ips");
	for (int i = 0; i < r->n_ips; i++)
		cJSON_AddItemToArray(ips, cJSON_CreateString(np_prefix_str(&r->ips[i], buf, sizeof(buf))));
	cJSON *gws = cJSON_AddArrayToObject(o, "gateways");
	for (int i = 0; i < r->n_gws; i++)
		cJSON_AddItemToArray(gws, cJSON_CreateString(np_ip_str(&r->gws[i], buf, sizeof(buf))));
	cJSON *routes = cJSON_AddArrayToObject(o, "routes");
	for (int i = 0; i < r->n_routes; i++) {
		cJSON *rt = cJSON_CreateObject();
		cJSON_AddStringToObject(rt, "dst", np_prefix_str(&r->routes[i].dst, buf, sizeof(buf)));
		if (r->routes[i].has_gw)
			cJSON_AddStringToObject(rt, "gw", np_ip_str(&r->routes[i].gw, buf, sizeof(buf)));
		cJSON_AddItemToArray(routes, rt);
	}
	if (r->mtu)
		cJSON_AddNumberToObject(o, "mtu", r->mtu);
	if (r->vlan)
		cJSON_AddNumberToObject(o, "vlan", r->vlan);
	add_str_if(o, "bridge", r->bridge);
	if (r->has_sriov) {
		cJSON *s = cJSON_AddObjectToObject(o, "sriov");
		cJSON_AddStringToObject(s, "pf", r->sriov.pf);
		cJSON_AddNumberToObject(s, "vf", r->sriov.vf);
		cJSON_AddStringToObject(s, "pciAddress", r->sriov.pci);
		cJSON_AddStringToObject(s, "vfMac", np_mac_str(r->sriov.vf_mac, buf, sizeof(buf)));
		cJSON_AddNumberToObject(s, "vlan", r->sriov.vlan);
		cJSON_AddBoolToObject(s, "spoofchk", r->sriov.spoofchk);
		cJSON_AddBoolToObject(s, "trust", r->sriov.trust);
	}
	cJSON *ow = cJSON_AddObjectToObject(o, "owner");
	add_str_if(ow, "containerID", r->owner.container_id);
	if (r->owner.netns_inode)
		cJSON_AddNumberToObject(ow, "netnsInode", (double)r->owner.netns_inode);
	add_str_if(ow, "podUID", r->owner.pod_uid);
	cJSON_AddStringToObject(o, "state", vc_state_name(r->state));
	fmt_time(r->created, buf, sizeof(buf));
	cJSON_AddStringToObject(o, "createdAt", buf);
	fmt_time(r->updated, buf, sizeof(buf));
	cJSON_AddStringToObject(o, "updatedAt", buf);
	return o;
}

char *vc_record_format(const struct vc_record *r)
{
	cJSON *o = vc_record_to_json(r);
	char *s = cJSON_Print(o);
	cJSON_Delete(o);
	return s;
}

/* ---- parsing ----------------------------------------------------------- */

static int get_str(const cJSON *o, const char *key, bool required, char *dst,
		   size_t len, struct np_err *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	dst[0] = '\0';
	if (!v || cJSON_IsNull(v))
		return required ? np_errmsg(e, -EINVAL, "record: \"%s\" is missing", key) : 0;
	if (!cJSON_IsString(v))
		return np_errmsg(e, -EINVAL, "record: \"%s\" must be a string", key);
	if (strlen(v->valuestring) >= len) {
		char q[NP_QUOTE_MAX];
		return np_errmsg(e, -EINVAL, "record: \"%s\" \"%s\" is too long", key,
				 np_quote(v->valuestring, q, sizeof(q)));
	}
	strcpy(dst, v->valuestring);
	return 0;
}

static int get_uint(const cJSON *o, const char *key, double max, unsigned long long *out,
		    struct np_err *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	*out = 0;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > max ||
	    v->valuedouble != (double)(unsigned long long)v->valuedouble)
		return np_errmsg(e, -EINVAL, "record: \"%s\" must be a whole number from 0 to %.0f", key, max);
	*out = (unsigned long long)v->valuedouble;
	return 0;
}

static int get_bool(const cJSON *o, const char *key, bool *out, struct np_err *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	*out = false;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsBool(v))
		return np_errmsg(e, -EINVAL, "record: \"%s\" must be true or false", key);
	*out = cJSON_IsTrue(v);
	return 0;
}

static const cJSON *get_array(const cJSON *o, const char *key, int max, int *n,
			      struct np_err *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	*n = 0;
	if (!v || cJSON_IsNull(v))
		return NULL;
	if (!cJSON_IsArray(v)) {
		np_errmsg(e, -EINVAL, "record: \"%s\" must be a list", key);
		*n = -1;
		return NULL;
	}
	*n = cJSON_GetArraySize(v);
	if (*n > max) {
		np_errmsg(e, -EINVAL, "record: \"%s\" has %d entries, at most %d", key, *n, max);
		*n = -1;
		return NULL;
	}
	return v;
}

static int parse_lists(const cJSON *j, struct vc_record *r, struct np_err *e)
{
	const cJSON *v, *arr;
	arr = get_array(j, "ips", VC_MAX_IPS, &r->n_ips, e);
	if (r->n_ips < 0)
		return -EINVAL;
	int i = 0;
	cJSON_ArrayForEach(v, arr) {
		if (!cJSON_IsString(v) || np_prefix_parse(v->valuestring, false, &r->ips[i++], e) < 0)
			return np_errmsg(e, -EINVAL, "record: \"ips\" entries must be ADDRESS/LEN");
	}
	arr = get_array(j, "gateways", VC_MAX_GWS, &r->n_gws, e);
	if (r->n_gws < 0)
		return -EINVAL;
	i = 0;
	cJSON_ArrayForEach(v, arr) {
		if (!cJSON_IsString(v) || np_ip_parse(v->valuestring, &r->gws[i++], e) < 0)
			return np_errmsg(e, -EINVAL, "record: \"gateways\" entries must be IP addresses");
	}
	arr = get_array(j, "routes", VC_MAX_ROUTES, &r->n_routes, e);
	if (r->n_routes < 0)
		return -EINVAL;
	i = 0;
	cJSON_ArrayForEach(v, arr) {
		struct vc_route *rt = &r->routes[i++];
		const cJSON *dst = cJSON_GetObjectItemCaseSensitive(v, "dst");
		const cJSON *gw = cJSON_GetObjectItemCaseSensitive(v, "gw");
		if (!cJSON_IsString(dst) || np_prefix_parse(dst->valuestring, false, &rt->dst, e) < 0)
			return np_errmsg(e, -EINVAL, "record: every route needs \"dst\" as ADDRESS/LEN");
		rt->has_gw = gw != NULL && !cJSON_IsNull(gw);
		if (rt->has_gw && (!cJSON_IsString(gw) || np_ip_parse(gw->valuestring, &rt->gw, e) < 0))
			return np_errmsg(e, -EINVAL, "record: route \"gw\" must be an IP address");
	}
	return 0;
}

static int parse_sriov(const cJSON *s, struct vc_record *r, struct np_err *e)
{
	char mac[32];
	unsigned long long vf, vlan;
	r->has_sriov = true;
	if (get_str(s, "pf", true, r->sriov.pf, sizeof(r->sriov.pf), e) < 0 ||
	    get_uint(s, "vf", 4095, &vf, e) < 0 ||
	    get_str(s, "pciAddress", true, r->sriov.pci, sizeof(r->sriov.pci), e) < 0 ||
	    get_str(s, "vfMac", true, mac, sizeof(mac), e) < 0 ||
	    get_uint(s, "vlan", 4094, &vlan, e) < 0 ||
	    get_bool(s, "spoofchk", &r->sriov.spoofchk, e) < 0 ||
	    get_bool(s, "trust", &r->sriov.trust, e) < 0)
		return -EINVAL;
	r->sriov.vf = (int)vf;
	r->sriov.vlan = (unsigned)vlan;
	if (np_mac_parse(mac, false, r->sriov.vf_mac, e) < 0)
		return np_err_prefix(e, -EINVAL, "record: sriov \"vfMac\": ");
	return 0;
}

int vc_record_from_json(const cJSON *j, struct vc_record *r, struct np_err *e)
{
	memset(r, 0, sizeof(*r));
	if (!cJSON_IsObject(j))
		return np_errmsg(e, -EINVAL, "record: not a JSON object");
	unsigned long long schema, mtu, vlan, inode;
	if (get_uint(j, "schemaVersion", 1000, &schema, e) < 0)
		return -EINVAL;
	if (schema != VC_SCHEMA)
		return np_errmsg(e, -EINVAL, "record: schemaVersion %llu is not supported (expected %d)", schema, VC_SCHEMA);
	r->schema = VC_SCHEMA;
	const cJSON *vm = cJSON_GetObjectItemCaseSensitive(j, "vm");
	char binding[16], state[16], mac[32], created[40], updated[40];
	if (!cJSON_IsObject(vm))
		return np_errmsg(e, -EINVAL, "record: \"vm\" must be an object");
	if (get_str(vm, "namespace", true, r->ns, sizeof(r->ns), e) < 0 ||
	    get_str(vm, "name", true, r->vm, sizeof(r->vm), e) < 0 ||
	    get_str(vm, "uid", false, r->uid, sizeof(r->uid), e) < 0 ||
	    get_str(j, "network", true, r->network, sizeof(r->network), e) < 0 ||
	    get_str(j, "podInterface", true, r->pod_iface, sizeof(r->pod_iface), e) < 0 ||
	    get_str(j, "binding", true, binding, sizeof(binding), e) < 0 ||
	    get_str(j, "mac", false, mac, sizeof(mac), e) < 0 ||
	    get_uint(j, "mtu", 65535, &mtu, e) < 0 ||
	    get_uint(j, "vlan", 4094, &vlan, e) < 0 ||
	    get_str(j, "bridge", false, r->bridge, sizeof(r->bridge), e) < 0 ||
	    get_str(j, "state", true, state, sizeof(state), e) < 0 ||
	    get_str(j, "createdAt", false, created, sizeof(created), e) < 0 ||
	    get_str(j, "updatedAt", false, updated, sizeof(updated), e) < 0)
		return -EINVAL;
	r->mtu = (unsigned)mtu;
	r->vlan = (unsigned)vlan;
	if (vc_binding_parse(binding, &r->binding) < 0)
		return np_errmsg(e, -EINVAL, "record: \"binding\" must be bridge, macvlan or sriov");
	int st;
	for (st = 0; st < 3 && strcmp(state, state_names[st]); st++)
		;
	if (st == 3)
		return np_errmsg(e, -EINVAL, "record: \"state\" must be pending, started or finished");
	r->state = (enum vc_state)st;
	if (mac[0]) {
		if (np_mac_parse(mac, false, r->mac, e) < 0)
			return np_err_prefix(e, -EINVAL, "record: \"mac\": ");
		r->has_mac = true;
	}
	if ((created[0] && parse_time(created, &r->created) < 0) ||
	    (updated[0] && parse_time(updated, &r->updated) < 0))
		return np_errmsg(e, -EINVAL, "record: timestamps must look like 2026-01-02T03:04:05Z");
	if (parse_lists(j, r, e) < 0)
		return -EINVAL;
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "sriov");
	if (s && !cJSON_IsNull(s)) {
		if (!cJSON_IsObject(s))
			return np_errmsg(e, -EINVAL, "record: \"sriov\" must be an object");
		if (parse_sriov(s, r, e) < 0)
			return -EINVAL;
	}
	const cJSON *ow = cJSON_GetObjectItemCaseSensitive(j, "owner");
	if (ow && !cJSON_IsObject(ow))
		return np_errmsg(e, -EINVAL, "record: \"owner\" must be an object");
	if (get_str(ow, "containerID", false, r->owner.container_id, sizeof(r->owner.container_id), e) < 0 ||
	    get_uint(ow, "netnsInode", 9007199254740991.0, &inode, e) < 0 ||
	    get_str(ow, "podUID", false, r->owner.pod_uid, sizeof(r->owner.pod_uid), e) < 0)
		return -EINVAL;
	r->owner.netns_inode = inode;
	return vc_record_validate(r, e);
}

int vc_record_parse(const char *text, size_t len, struct vc_record *r, struct np_err *e)
{
	if (len > VC_RECORD_MAX)
		return np_errmsg(e, -EFBIG, "record is %zu bytes, above the %d-byte limit", len, VC_RECORD_MAX);
	/* cJSON keeps strings NUL-terminated: an escaped NUL would cut a name
	 * short and make "a\u0000/../x" look like "a" */
	if (memmem(text, len, "\\u0000", 6))
		return np_errmsg(e, -EINVAL, "record contains an escaped NUL character");
	cJSON *j = cJSON_ParseWithLength(text, len);
	if (!j)
		return np_errmsg(e, -EBADMSG, "record is not valid JSON (torn or garbage)");
	int rc = vc_record_from_json(j, r, e);
	cJSON_Delete(j);
	return rc;
}

bool vc_record_same_network_state(const struct vc_record *a, const struct vc_record *b)
{
	if (a->has_mac != b->has_mac || (a->has_mac && memcmp(a->mac, b->mac, NP_MAC_LEN)) ||
	    a->n_ips != b->n_ips || a->n_gws != b->n_gws || a->n_routes != b->n_routes ||
	    (a->mtu && b->mtu && a->mtu != b->mtu))
		return false;
	for (int i = 0; i < a->n_ips; i++)
		if (!np_ip_equal(&a->ips[i].ip, &b->ips[i].ip) || a->ips[i].len != b->ips[i].len)
			return false;
	for (int i = 0; i < a->n_gws; i++)
		if (!np_ip_equal(&a->gws[i], &b->gws[i]))
			return false;
	for (int i = 0; i < a->n_routes; i++)
		if (!np_ip_equal(&a->routes[i].dst.ip, &b->routes[i].dst.ip) ||
		    a->routes[i].dst.len != b->routes[i].dst.len ||
		    a->routes[i].has_gw != b->routes[i].has_gw ||
		    (a->routes[i].has_gw && !np_ip_equal(&a->routes[i].gw, &b->routes[i].gw)))
			return false;
	return true;
}
