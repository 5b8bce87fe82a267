#include "ipam_local.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ipam_store.h"

typedef unsigned __int128 u128;

static u128 ip_val(const struct np_ip *ip)
{
	u128 v = 0;
	for (size_t i = 0; i < np_ip_len(ip->family); i++)
		v = v << 8 | ip->addr[i];
	return v;
}

static void ip_set(struct np_ip *ip, int family, u128 v)
{
	memset(ip, 0, sizeof(*ip));
	ip->family = family;
	for (size_t i = np_ip_len(family); i-- > 0; v >>= 8)
		ip->addr[i] = (uint8_t)v;
}

static u128 host_mask(const struct np_prefix *p)
{
	unsigned bits = (p->ip.family == AF_INET ? 32u : 128u) - p->len;
	return bits >= 128 ? ~(u128)0 : (((u128)1 << bits) - 1);
}

static bool in_range(const struct ipam_range *r, const struct np_ip *ip)
{
	if (ip->family != r->subnet.ip.family)
		return false;
	u128 v = ip_val(ip);
	return v >= ip_val(&r->start) && v <= ip_val(&r->end);
}

static int parse_ip_field(const cJSON *o, const char *ctx, const char *key,
			  struct np_ip *out, bool *present, struct cni_error *ce)
{
	const char *s;
	struct np_err e = { 0 };
	*present = false;
	if (cni_json_str(o, ctx, key, false, &s, ce) < 0)
		return -1;
	if (!s || !*s)
		return 0;
	if (np_ip_parse(s, out, &e) < 0)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s \"%s\": %s", ctx, key, e.msg);
	*present = true;
	return 0;
}

static int parse_range(const cJSON *o, struct ipam_range *r, struct cni_error *ce)
{
	const char *ctx = "ipam range";
	const char *subnet;
	struct np_err e = { 0 };
	char buf[NP_PREFIX_STRLEN];
	memset(r, 0, sizeof(*r));
	if (!cJSON_IsObject(o))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "ipam: every range must be an object");
	if (cni_json_str(o, ctx, "subnet", true, &subnet, ce) < 0)
		return -1;
	if (np_prefix_parse(subnet, false, &r->subnet, &e) < 0)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "ipam range \"subnet\": %s", e.msg);
	int fam = r->subnet.ip.family;
	if ((fam == AF_INET && r->subnet.len > 30) || (fam == AF_INET6 && r->subnet.len > 126))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "ipam range \"subnet\" %s is too small (at most /%d)",
				subnet, fam == AF_INET ? 30 : 126);
	u128 net = ip_val(&r->subnet.ip), mask = host_mask(&r->subnet);
	if (net & mask)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG,
				"ipam range \"subnet\" %s has host bits set (did you mean %s?)", subnet,
				(ip_set(&r->start, fam, net & ~mask), np_ip_str(&r->start, buf, sizeof(buf))));
	u128 last = net | mask;
	bool has_start, has_end;
	if (parse_ip_field(o, ctx, "rangeStart", &r->start, &has_start, ce) < 0 ||
	    parse_ip_field(o, ctx, "rangeEnd", &r->end, &has_end, ce) < 0 ||
	    parse_ip_field(o, ctx, "gateway", &r->gateway, &r->has_gateway, ce) < 0)
		return -1;
	if (!has_start)
		ip_set(&r->start, fam, net + 1);
	if (!has_end)
		ip_set(&r->end, fam, fam == AF_INET ? last - 1 : last);
	if (!r->has_gateway) {
		ip_set(&r->gateway, fam, net + 1);
		r->has_gateway = true;
	}
	const struct { const char *key; struct np_ip *ip; } checks[] = {
		{ "rangeStart", &r->start }, { "rangeEnd", &r->end }, { "gateway", &r->gateway },
	};
	for (size_t i = 0; i < 3; i++)
		if (!np_prefix_contains(&r->subnet, checks[i].ip))
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "ipam range \"%s\" %s is outside subnet %s",
					checks[i].key, np_ip_str(checks[i].ip, buf, sizeof(buf)), subnet);
	if (ip_val(&r->start) > ip_val(&r->end))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "ipam range in %s: rangeStart is after rangeEnd", subnet);
	return 0;
}

static int add_set(struct ipam_local_conf *lc, const cJSON *arr, struct cni_error *ce)
{
	if (lc->n_sets == IPAM_MAX_SETS)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "ipam: more than %d range sets", IPAM_MAX_SETS);
	struct ipam_range_set *set = &lc->sets[lc->n_sets];
	memset(set, 0, sizeof(*set));
	const cJSON *v;
	cJSON_ArrayForEach(v, arr) {
		if (set->n == IPAM_MAX_RANGES)
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "ipam: more than %d ranges in a set", IPAM_MAX_RANGES);
		if (parse_range(v, &set->ranges[set->n], ce) < 0)
			return -1;
		set->n++;
	}
	if (!set->n)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "ipam: a range set is empty");
	lc->n_sets++;
	return 0;
}

static bool overlap(const struct ipam_range *a, const struct ipam_range *b)
{
	return a->subnet.ip.family == b->subnet.ip.family &&
	       (np_prefix_contains(&a->subnet, &b->subnet.ip) ||
		np_prefix_contains(&b->subnet, &a->subnet.ip));
}

int ipam_local_parse(const cJSON *ipam, struct ipam_local_conf *lc,
		     struct cni_error *ce)
{
	memset(lc, 0, sizeof(*lc));
	if (cni_json_str(ipam, "ipam", "dataDir", false, &lc->data_dir, ce) < 0 ||
	    cni_conf_check_dir(lc->data_dir && *lc->data_dir ? lc->data_dir : NULL, "ipam", "dataDir", ce) < 0)
		return -1;
	if (!lc->data_dir || !*lc->data_dir)
		lc->data_dir = IPAM_DEFAULT_DATA_DIR;
	if (cni_json_bool(ipam, "ipam", "sticky", &lc->sticky, ce) < 0)
		return -1;
	if (cJSON_GetObjectItemCaseSensitive(ipam, "subnet")) {
		/* legacy single range, first set (host-local does the same) */
		cJSON *tmp = cJSON_CreateArray();
		cJSON_AddItemToArray(tmp, cJSON_Duplicate(ipam, 1));
		int rc = add_set(lc, tmp, ce);
		cJSON_Delete(tmp);
		if (rc < 0)
			return -1;
	}
	const cJSON *ranges = cJSON_GetObjectItemCaseSensitive(ipam, "ranges"), *v;
	if (ranges && !cJSON_IsArray(ranges))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "ipam: \"ranges\" must be a list of range sets");
	cJSON_ArrayForEach(v, ranges) {
		if (!cJSON_IsArray(v))
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "ipam: every entry of \"ranges\" must be a list of ranges");
		if (add_set(lc, v, ce) < 0)
			return -1;
	}
	if (!lc->n_sets)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "ipam: no \"ranges\" (or \"subnet\") configured");
	for (int i = 0; i < lc->n_sets; i++)
		for (int j = 0; j < lc->sets[i].n; j++)
			for (int k = i; k < lc->n_sets; k++)
				for (int l = (k == i ? j + 1 : 0); l < lc->sets[k].n; l++)
					if (overlap(&lc->sets[i].ranges[j], &lc->sets[k].ranges[l]))
						return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "ipam: ranges overlap");
	const cJSON *routes;
	if (cni_json_array(ipam, "ipam", "routes", &routes, ce) < 0)
		return -1;
	cJSON_ArrayForEach(v, routes) {
		if (lc->n_routes == CNI_MAX_ROUTES)
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "ipam: too many routes");
		const char *dst, *gw;
		struct np_err e = { 0 };
		struct cni_route *r = &lc->routes[lc->n_routes];
		memset(r, 0, sizeof(*r));
		r->scope = -1;
		if (cni_json_str(v, "ipam routes[]", "dst", true, &dst, ce) < 0 ||
		    cni_json_str(v, "ipam routes[]", "gw", false, &gw, ce) < 0)
			return -1;
		if (np_prefix_parse(dst, false, &r->dst, &e) < 0)
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "ipam routes[].dst: %s", e.msg);
		if (gw) {
			if (np_ip_parse(gw, &r->gw, &e) < 0)
				return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "ipam routes[].gw: %s", e.msg);
			r->has_gw = true;
		}
		lc->n_routes++;
	}
	return 0;
}

static const struct ipam_range *range_of(const struct ipam_range_set *set,
					 const struct np_ip *ip)
{
	for (int i = 0; i < set->n; i++)
		if (in_range(&set->ranges[i], ip))
			return &set->ranges[i];
	return NULL;
}

static void fill_ip(struct cni_ip *out, const struct ipam_range *r,
		    const struct np_ip *ip)
{
	memset(out, 0, sizeof(*out));
	out->address.ip = *ip;
	out->address.len = r->subnet.len;
	out->has_gw = r->has_gateway;
	out->gw = r->gateway;
	out->iface = -1;
}

static int take(struct ipam_store *st, const struct ipam_owner *o,
		const struct np_ip *ip, struct np_err *e)
{
	int rc = ipam_store_index_add(st, o, ip, e);
	return rc < 0 ? rc : ipam_store_reserve(st, ip, o, e);
}

/* Round robin from after the last reservation, across the set's ranges,
 * skipping gateways; bounded so a huge IPv6 range cannot spin forever. */
#define ALLOC_SCAN_MAX 65536

static int allocate_in_set(struct ipam_store *st, int set_idx,
			   const struct ipam_range_set *set,
			   const struct ipam_owner *o, struct cni_ip *out,
			   struct cni_error *ce)
{
	struct np_err e = { 0 };
	struct np_ip last;
	int ri = 0;
	u128 cur = ip_val(&set->ranges[0].start);
	if (ipam_store_last_reserved(st, set_idx, &last) == 0) {
		for (int i = 0; i < set->n; i++)
			if (in_range(&set->ranges[i], &last)) {
				ri = i;
				cur = ip_val(&last) + 1;
			}
	}
	for (long scanned = 0; scanned < ALLOC_SCAN_MAX; scanned++) {
		const struct ipam_range *r = &set->ranges[ri];
		if (cur > ip_val(&r->end) || cur < ip_val(&r->start)) {
			ri = (ri + 1) % set->n;
			cur = ip_val(&set->ranges[ri].start);
			r = &set->ranges[ri];
		}
		struct np_ip ip;
		ip_set(&ip, r->subnet.ip.family, cur++);
		if (r->has_gateway && np_ip_equal(&ip, &r->gateway))
			continue;
		int rc = take(st, o, &ip, &e);
		if (rc < 0)
			return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
		if (rc == 1) {
			if (ipam_store_set_last_reserved(st, set_idx, &ip, &e) < 0)
				return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
			fill_ip(out, r, &ip);
			return 0;
		}
		u128 total = 0;
		for (int i = 0; i < set->n; i++)
			total += ip_val(&set->ranges[i].end) - ip_val(&set->ranges[i].start) + 1;
		if ((u128)scanned + 1 >= total)
			break;
	}
	char buf[NP_PREFIX_STRLEN];
	return cni_fail(ce, CNI_ERR_INTERNAL, "no IP addresses available in range set %s (network %s is full)",
			np_prefix_str(&set->ranges[0].subnet, buf, sizeof(buf)), st->path);
}

/* The VM's sticky addresses as requests, when nothing else was asked for:
 * those still in a configured range, one per range set. */
static int vm_requests(struct ipam_store *st, const struct ipam_local_conf *lc,
		       const struct ipam_vm *vm, struct np_ip *want, int max)
{
	struct np_ip ips[16];
	bool used[IPAM_MAX_SETS] = { false };
	int n = ipam_store_vm_ips(st, vm, ips, 16), count = 0;
	for (int i = 0; i < n && count < max; i++)
		for (int s = 0; s < lc->n_sets; s++)
			if (!used[s] && range_of(&lc->sets[s], &ips[i])) {
				used[s] = true;
				want[count++] = ips[i];
				break;
			}
	return count;
}

static int alloc_all(struct ipam_store *st, const struct ipam_local_conf *lc,
		     const struct cni_conf *c, const struct ipam_owner *o,
		     const struct ipam_vm *vm, struct cni_result *out, struct cni_error *ce)
{
	struct np_err e = { 0 };
	bool set_done[IPAM_MAX_SETS] = { false };
	char buf[NP_PREFIX_STRLEN];
	struct np_ip held[16], wanted[CNI_MAX_IPS];
	int n_held = ipam_store_find(st, o, vm, held, 16, &e);
	if (n_held < 0)
		return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	int n_want = c->n_ips;
	const char *source = c->ips_source;
	for (int i = 0; i < c->n_ips; i++)
		wanted[i] = c->ips[i].ip;
	if (!n_want && vm) {
		n_want = vm_requests(st, lc, vm, wanted, CNI_MAX_IPS);
		source = "the VM's sticky address";
	}

	for (int i = 0; i < n_want; i++) {
		const struct np_ip *want = &wanted[i];
		int s;
		const struct ipam_range *r = NULL;
		for (s = 0; s < lc->n_sets && !r; s++)
			r = range_of(&lc->sets[s], want);
		s--;
		if (!r)
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s: requested IP %s is not in any configured range",
					source, np_ip_str(want, buf, sizeof(buf)));
		if (set_done[s])
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s: two requested IPs fall in the same range set",
					source);
		if (r->has_gateway && np_ip_equal(want, &r->gateway))
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s: requested IP %s is the range's gateway",
					source, np_ip_str(want, buf, sizeof(buf)));
		int rc = take(st, o, want, &e);
		if (rc == 0 && vm && ipam_store_vm_owns_lease(st, vm, want))
			rc = ipam_store_index_add(st, o, want, &e) < 0 ? -1 : 1; /* shared with the VM's other pod */
		if (rc == 1 && vm)
			rc = ipam_store_vm_hold(st, vm, want, o, &e) < 0 ? -1 : 1;
		if (rc < 0)
			return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
		if (rc == 0)
			return cni_fail(ce, CNI_ERR_INTERNAL, "%s: requested IP %s is already allocated to another container",
					source, np_ip_str(want, buf, sizeof(buf)));
		fill_ip(&out->ips[out->n_ips++], r, want);
		set_done[s] = true;
	}
	for (int s = 0; s < lc->n_sets; s++) {
		if (set_done[s])
			continue;
		/* A retried ADD keeps the lease it already has in this set. */
		const struct ipam_range *r = NULL;
		for (int h = 0; h < n_held && !r; h++)
			if ((r = range_of(&lc->sets[s], &held[h])))
				fill_ip(&out->ips[out->n_ips++], r, &held[h]);
		if (r)
			continue;
		if (allocate_in_set(st, s, &lc->sets[s], o, &out->ips[out->n_ips], ce) < 0)
			return -1;
		if (vm && ipam_store_vm_hold(st, vm, &out->ips[out->n_ips].address.ip, o, &e) < 0)
			return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
		out->n_ips++;
	}
	for (int i = 0; i < lc->n_routes; i++)
		out->routes[out->n_routes++] = lc->routes[i];
	return 0;
}

/* The VM leases follow, when the network is sticky and the pod is a VM's. */
static struct ipam_vm *sticky_vm(const struct ipam_local_conf *lc, const struct cni_conf *c,
				 struct ipam_vm *vm)
{
	return lc->sticky && c->vm.name[0] && c->vm.namespace_[0] ? vm : NULL;
}

static int open_store(const struct cni_conf *c, struct ipam_local_conf *lc,
		      struct ipam_store *st, struct cni_error *ce)
{
	struct np_err e = { 0 };
	if (ipam_local_parse(c->ipam, lc, ce) < 0)
		return -1;
	if (ipam_store_open(st, lc->data_dir, c->name, &e) < 0)
		return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	return 0;
}

int ipam_local_add(const struct cni_conf *c, const struct cni_env *env,
		   struct cni_result *out, struct cni_error *ce)
{
	struct ipam_local_conf lc;
	struct ipam_store st;
	cni_result_init(out);
	if (open_store(c, &lc, &st, ce) < 0)
		return -1;
	struct ipam_owner o = { env->container_id, env->ifname };
	struct ipam_vm vmid = { c->vm.namespace_, c->vm.name }, *vm = sticky_vm(&lc, c, &vmid);
	int rc = alloc_all(&st, &lc, c, &o, vm, out, ce);
	if (rc < 0) {
		struct np_err e = { 0 };
		ipam_store_release(&st, &o, vm, &e); /* nothing half-allocated stays */
		out->n_ips = out->n_routes = 0;
	}
	ipam_store_close(&st);
	return rc;
}

int ipam_local_del(const struct cni_conf *c, const struct cni_env *env,
		   struct cni_error *ce)
{
	struct ipam_local_conf lc;
	struct ipam_store st;
	if (open_store(c, &lc, &st, ce) < 0)
		return -1;
	struct np_err e = { 0 };
	struct ipam_owner o = { env->container_id, env->ifname };
	struct ipam_vm vmid = { c->vm.namespace_, c->vm.name };
	int rc = ipam_store_release(&st, &o, sticky_vm(&lc, c, &vmid), &e);
	ipam_store_close(&st);
	return rc < 0 ? cni_fail_np(ce, CNI_ERR_INTERNAL, &e) : 0;
}

int ipam_local_check(const struct cni_conf *c, const struct cni_env *env,
		     struct cni_error *ce)
{
	struct ipam_local_conf lc;
	struct ipam_store st;
	if (open_store(c, &lc, &st, ce) < 0)
		return -1;
	struct np_err e = { 0 };
	struct ipam_owner o = { env->container_id, env->ifname };
	struct ipam_vm vmid = { c->vm.namespace_, c->vm.name };
	struct np_ip held[16];
	int n = ipam_store_find(&st, &o, sticky_vm(&lc, c, &vmid), held, 16, &e);
	ipam_store_close(&st);
	if (n < 0)
		return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	if (n == 0)
		return cni_fail(ce, CNI_ERR_INTERNAL, "mignet-ipam: no lease for container %s interface %s in network %s",
				env->container_id, env->ifname, c->name);
	return 0;
}

int ipam_local_status(const struct cni_conf *c, struct cni_error *ce)
{
	struct ipam_local_conf lc;
	struct ipam_store st;
	if (ipam_local_parse(c->ipam, &lc, ce) < 0)
		return -1;
	struct np_err e = { 0 };
	if (ipam_store_open(&st, lc.data_dir, c->name, &e) < 0)
		return cni_fail(ce, CNI_ERR_NOT_AVAILABLE, "mignet-ipam store unusable: %s", e.msg);
	ipam_store_close(&st);
	return 0;
}

struct valid_set {
	const cJSON *list;
};

static bool attachment_valid(const char *cid, const char *ifname, void *arg)
{
	const struct valid_set *v = arg;
	const cJSON *a;
	cJSON_ArrayForEach(a, v->list) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(a, "containerID");
		const cJSON *ifn = cJSON_GetObjectItemCaseSensitive(a, "ifname");
		if (cJSON_IsString(id) && cJSON_IsString(ifn) &&
		    !strcmp(id->valuestring, cid) && !strcmp(ifn->valuestring, ifname))
			return true;
	}
	return false;
}

int ipam_local_gc(const struct cni_conf *c, struct cni_error *ce)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(c->root, "cni.dev/valid-attachments");
	if (!list)
		list = cJSON_GetObjectItemCaseSensitive(c->root, "cni.dev/attachments");
	if (!cJSON_IsArray(list))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG,
				"GC: \"cni.dev/valid-attachments\" (or \"cni.dev/attachments\") must be a list");
	struct ipam_local_conf lc;
	struct ipam_store st;
	if (open_store(c, &lc, &st, ce) < 0)
		return -1;
	struct valid_set v = { list };
	struct np_err e = { 0 };
	int removed = 0;
	int rc = ipam_store_gc(&st, attachment_valid, &v, &removed, &e);
	ipam_store_close(&st);
	if (rc < 0)
		return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	return 0;
}
