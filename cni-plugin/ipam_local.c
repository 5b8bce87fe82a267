#include "ipam_local.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipam_range.h"
#include "ipam_store.h"

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
	u128 net = ipam_ip_val(&r->subnet.ip), mask = ipam_host_mask(&r->subnet);
	if (net & mask)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG,
				"ipam range \"subnet\" %s has host bits set (did you mean %s?)", subnet,
				(ipam_ip_set(&r->start, fam, net & ~mask), np_ip_str(&r->start, buf, sizeof(buf))));
	u128 last = net | mask;
	bool has_start, has_end;
	if (parse_ip_field(o, ctx, "rangeStart", &r->start, &has_start, ce) < 0 ||
	    parse_ip_field(o, ctx, "rangeEnd", &r->end, &has_end, ce) < 0 ||
	    parse_ip_field(o, ctx, "gateway", &r->gateway, &r->has_gateway, ce) < 0)
		return -1;
	if (!has_start)
		ipam_ip_set(&r->start, fam, net + 1);
	if (!has_end)
		ipam_ip_set(&r->end, fam, fam == AF_INET ? last - 1 : last);
	if (!r->has_gateway) {
		ipam_ip_set(&r->gateway, fam, net + 1);
		r->has_gateway = true;
	}
	const struct { const char *key; struct np_ip *ip; } checks[] = {
		{ "rangeStart", &r->start }, { "rangeEnd", &r->end }, { "gateway", &r->gateway },
	};
	for (size_t i = 0; i < 3; i++)
		if (!np_prefix_contains(&r->subnet, checks[i].ip))
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "ipam range \"%s\" %s is outside subnet %s",
					checks[i].key, np_ip_str(checks[i].ip, buf, sizeof(buf)), subnet);
	if (ipam_ip_val(&r->start) > ipam_ip_val(&r->end))
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

/* One whereabouts range: o["range"] with o's range_start, range_end and
 * exclude (o is the ipam object or an ipRanges entry). */
static int parse_wb_range(const cJSON *o, const char *ctx, struct ipam_range *r, struct cni_error *ce)
{
	const char *range;
	struct np_err e = { 0 };
	char buf[NP_PREFIX_STRLEN], q[NP_QUOTE_MAX];
	memset(r, 0, sizeof(*r));
	if (!cJSON_IsObject(o))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s: every entry must be an object", ctx);
	if (cni_json_str(o, ctx, "range", true, &range, ce) < 0)
		return -1;
	/* "a.b.c.d-e.f.g.h/nn": the first address, then the last with the length */
	const char *dash = strchr(range, '-');
	struct np_ip first;
	bool has_first = false;
	if (dash) {
		char head[NP_PREFIX_STRLEN];
		if ((size_t)(dash - range) >= sizeof(head))
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s \"range\" \"%s\" is not a CIDR or a.b.c.d-e.f.g.h/nn",
					ctx, np_quote(range, q, sizeof(q)));
		memcpy(head, range, (size_t)(dash - range));
		head[dash - range] = 0;
		if (np_ip_parse(head, &first, &e) < 0)
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s \"range\": %s", ctx, e.msg);
		has_first = true;
	}
	if (np_prefix_parse(dash ? dash + 1 : range, false, &r->subnet, &e) < 0)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s \"range\": %s", ctx, e.msg);
	int fam = r->subnet.ip.family;
	if ((fam == AF_INET && r->subnet.len > 30) || (fam == AF_INET6 && r->subnet.len > 126))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s \"range\" %s is too small (at most /%d)",
				ctx, np_quote(range, q, sizeof(q)), fam == AF_INET ? 30 : 126);
	struct np_ip last_given = r->subnet.ip;
	u128 mask = ipam_host_mask(&r->subnet), net = ipam_ip_val(&r->subnet.ip) & ~mask, last = net | mask;
	ipam_ip_set(&r->subnet.ip, fam, net);
	/* never the network address, nor IPv4's broadcast */
	u128 lo = net + 1, hi = fam == AF_INET ? last - 1 : last;
	u128 start = lo, end = hi;
	if (has_first) {
		if (first.family != fam || !np_prefix_contains(&r->subnet, &first))
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s \"range\" %s: the first address is outside %s",
					ctx, np_quote(range, q, sizeof(q)), np_prefix_str(&r->subnet, buf, sizeof(buf)));
		start = ipam_ip_val(&first);
		end = ipam_ip_val(&last_given);
	}
	bool has;
	struct np_ip v;
	if (parse_ip_field(o, ctx, "range_start", &v, &has, ce) < 0)
		return -1;
	if (has)
		start = ipam_ip_val(&v);
	if (has && (v.family != fam || !np_prefix_contains(&r->subnet, &v)))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s \"range_start\" %s is outside %s", ctx,
				np_ip_str(&v, q, sizeof(q)), np_prefix_str(&r->subnet, buf, sizeof(buf)));
	if (parse_ip_field(o, ctx, "range_end", &v, &has, ce) < 0)
		return -1;
	if (has)
		end = ipam_ip_val(&v);
	if (has && (v.family != fam || !np_prefix_contains(&r->subnet, &v)))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s \"range_end\" %s is outside %s", ctx,
				np_ip_str(&v, q, sizeof(q)), np_prefix_str(&r->subnet, buf, sizeof(buf)));
	start = start < lo ? lo : start;
	end = end > hi ? hi : end;
	if (start > end)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s \"range\" %s: the start is after the end",
				ctx, np_quote(range, q, sizeof(q)));
	ipam_ip_set(&r->start, fam, start);
	ipam_ip_set(&r->end, fam, end);
	const cJSON *ex, *x;
	if (cni_json_array(o, ctx, "exclude", &ex, ce) < 0)
		return -1;
	cJSON_ArrayForEach(x, ex) {
		if (r->n_exclude == IPAM_MAX_EXCLUDE)
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s \"exclude\": more than %d entries", ctx, IPAM_MAX_EXCLUDE);
		if (!cJSON_IsString(x) || np_prefix_parse(x->valuestring, true, &r->exclude[r->n_exclude], &e) < 0)
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s \"exclude\": every entry must be a CIDR%s%s", ctx,
					e.msg[0] ? ": " : "", e.msg);
		r->n_exclude++;
	}
	return 0;
}

static int add_wb_set(struct ipam_local_conf *lc, const cJSON *o, const char *ctx, struct cni_error *ce)
{
	if (lc->n_sets == IPAM_MAX_SETS)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "ipam: more than %d range sets", IPAM_MAX_SETS);
	struct ipam_range_set *set = &lc->sets[lc->n_sets];
	memset(set, 0, sizeof(*set));
	if (parse_wb_range(o, ctx, &set->ranges[0], ce) < 0)
		return -1;
	set->n = 1;
	lc->n_sets++;
	return 0;
}

/* whereabouts' keys, after host-local's: "range" (with its range_start,
 * range_end and exclude), then each "ipRanges" entry, then "gateway" given
 * to the range it falls in. */
static int parse_wb(const cJSON *ipam, struct ipam_local_conf *lc, struct cni_error *ce)
{
	const cJSON *ipr, *v;
	if (cJSON_GetObjectItemCaseSensitive(ipam, "range") && add_wb_set(lc, ipam, "ipam", ce) < 0)
		return -1;
	if (cni_json_array(ipam, "ipam", "ipRanges", &ipr, ce) < 0)
		return -1;
	cJSON_ArrayForEach(v, ipr)
		if (add_wb_set(lc, v, "ipam ipRanges[]", ce) < 0)
			return -1;
	if (!cJSON_GetObjectItemCaseSensitive(ipam, "range") && !ipr)
		return 0;
	struct np_ip gw;
	bool has_gw;
	char buf[NP_PREFIX_STRLEN];
	if (parse_ip_field(ipam, "ipam", "gateway", &gw, &has_gw, ce) < 0)
		return -1;
	if (!has_gw)
		return 0;
	for (int s = 0; s < lc->n_sets; s++)
		for (int i = 0; i < lc->sets[s].n; i++)
			if (np_prefix_contains(&lc->sets[s].ranges[i].subnet, &gw) &&
			    gw.family == lc->sets[s].ranges[i].subnet.ip.family) {
				lc->sets[s].ranges[i].gateway = gw;
				lc->sets[s].ranges[i].has_gateway = true;
				return 0;
			}
	return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "ipam \"gateway\" %s is in no configured range",
			np_ip_str(&gw, buf, sizeof(buf)));
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
	if (parse_wb(ipam, lc, ce) < 0)
		return -1;
	if (!lc->n_sets)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "ipam: no \"ranges\" (or \"subnet\", or whereabouts' \"range\" or \"ipRanges\") configured");
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

/* One address an ADD ends with, in result order. */
struct pick {
	struct np_ip ip;
	const struct ipam_range *r;
	int set;    /* the range set whose round-robin hint moves; -1: none */
	bool lease; /* a lease file to create (not held, not shared) */
};

/* Round-robin order over a range set: from after the hint, every address
 * of every range once, gateways skipped. */
struct cursor {
	const struct ipam_range_set *set;
	int ri;
	u128 cur, left;
};

static void cursor_init(struct cursor *k, const struct ipam_range_set *set, const struct np_ip *last)
{
	k->set = set;
	k->ri = 0;
	k->cur = ipam_ip_val(&set->ranges[0].start);
	k->left = 0;
	for (int i = 0; i < set->n; i++) {
		k->left += ipam_ip_val(&set->ranges[i].end) - ipam_ip_val(&set->ranges[i].start) + 1;
		if (last && ipam_in_range(&set->ranges[i], last)) {
			k->ri = i;
			k->cur = ipam_ip_val(last) + 1;
		}
	}
}

static bool cursor_next(struct cursor *k, struct np_ip *ip, const struct ipam_range **rp)
{
	while (k->left > 0) {
		k->left--;
		const struct ipam_range *r = &k->set->ranges[k->ri];
		if (k->cur > ipam_ip_val(&r->end) || k->cur < ipam_ip_val(&r->start)) {
			k->ri = (k->ri + 1) % k->set->n;
			r = &k->set->ranges[k->ri];
			k->cur = ipam_ip_val(&r->start);
		}
		ipam_ip_set(ip, r->subnet.ip.family, k->cur++);
		if (r->has_gateway && np_ip_equal(ip, &r->gateway))
			continue;
		*rp = r;
		return true;
	}
	return false;
}

/* The addresses of one range set that a listing of the store found taken,
 * each by its place in the set: one bit per address when the set is small
 * enough (a /12 of IPv4), else a sorted list of the names inside the set
 * (a huge IPv6 range). */
#define TAKEN_BITS_MAX ((u128)1 << 20)

struct taken {
	const struct ipam_range_set *set;
	u128 base[IPAM_MAX_RANGES]; /* place of each range's first address */
	u128 lo[IPAM_MAX_RANGES], hi[IPAM_MAX_RANGES]; /* each range's bounds */
	u128 total;                 /* places in the set */
	uint8_t *bits;              /* NULL: the list */
	u128 *v;
	size_t n, cap;
};

static u128 place(const struct taken *t, const struct ipam_range *r, const struct np_ip *ip)
{
	return t->base[r - t->set->ranges] + ipam_ip_val(ip) - ipam_ip_val(&r->start);
}

/* Called for every name of a crowded store: the bounds are kept as
 * numbers and the name's value is computed once. */
static int taken_add(const struct np_ip *ip, void *arg)
{
	struct taken *t = arg;
	u128 v = ipam_ip_val(ip);
	int ri = 0;
	while (ri < t->set->n && (ip->family != t->set->ranges[ri].subnet.ip.family || v < t->lo[ri] || v > t->hi[ri]))
		ri++;
	if (ri == t->set->n)
		return 0; /* another set's lease, or no lease at all */
	u128 p = t->base[ri] + v - t->lo[ri];
	if (t->bits) {
		t->bits[p / 8] |= (uint8_t)(1u << (unsigned)(p % 8));
		return 0;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		u128 *nv = realloc(t->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		t->v = nv;
		t->cap = cap;
	}
	t->v[t->n++] = p;
	return 0;
}

static int place_cmp(const void *a, const void *b)
{
	u128 x = *(const u128 *)a, y = *(const u128 *)b;
	return (x > y) - (x < y);
}

static void taken_free(struct taken *t)
{
	free(t->bits);
	free(t->v);
}

static int taken_load(struct ipam_store *st, const struct ipam_range_set *set, struct taken *t,
		      struct np_err *e)
{
	memset(t, 0, sizeof(*t));
	t->set = set;
	for (int i = 0; i < set->n; i++) {
		t->base[i] = t->total;
		t->lo[i] = ipam_ip_val(&set->ranges[i].start);
		t->hi[i] = ipam_ip_val(&set->ranges[i].end);
		t->total += t->hi[i] - t->lo[i] + 1;
	}
	if (t->total <= TAKEN_BITS_MAX && !(t->bits = calloc((size_t)(t->total / 8) + 1, 1)))
		return np_errmsg(e, -ENOMEM, "IPAM store %s: out of memory", st->path);
	int rc = ipam_store_each_name(st, taken_add, t, e);
	if (rc < 0)
		taken_free(t);
	else if (!t->bits)
		qsort(t->v, t->n, sizeof(*t->v), place_cmp);
	return rc;
}

static bool taken_has(const struct taken *t, const struct ipam_range *r, const struct np_ip *ip)
{
	u128 p = place(t, r, ip);
	return bsearch(&p, t->v, t->n, sizeof(*t->v), place_cmp) != NULL;
}

static bool bit_set(const uint8_t *bits, size_t p)
{
	return bits[p / 8] & (1u << (p % 8));
}

/* The first free place among count places from `from` on, wrapping at
 * total: a byte at a time where all eight are taken. */
static bool bits_first_free(const uint8_t *bits, size_t total, size_t from, size_t count, size_t *out)
{
	for (size_t i = 0; i < count;) {
		size_t p = from + i < total ? from + i : from + i - total;
		if (p % 8 == 0 && bits[p / 8] == 0xff && p + 8 <= total && count - i >= 8) {
			i += 8;
			continue;
		}
		if (!bit_set(bits, p)) {
			*out = p;
			return true;
		}
		i++;
	}
	return false;
}

/* The cursor's next free address by the bitmap, in the cursor's order:
 * the places of the ranges follow each other as the cursor walks them, so
 * the walk is a scan of bits (gateways marked taken first). */
static bool bits_next(struct taken *t, const struct cursor *k, struct np_ip *ip,
		      const struct ipam_range **rp)
{
	const struct ipam_range_set *set = t->set;
	for (int i = 0; i < set->n; i++) {
		const struct ipam_range *g = &set->ranges[i];
		if (g->has_gateway && ipam_in_range(g, &g->gateway)) {
			u128 p = place(t, g, &g->gateway);
			t->bits[p / 8] |= (uint8_t)(1u << (unsigned)(p % 8));
		}
	}
	int ri = k->ri;
	u128 cur = k->cur;
	if (cur > ipam_ip_val(&set->ranges[ri].end) || cur < ipam_ip_val(&set->ranges[ri].start)) {
		ri = (ri + 1) % set->n;
		cur = ipam_ip_val(&set->ranges[ri].start);
	}
	size_t p, from = (size_t)(t->base[ri] + cur - ipam_ip_val(&set->ranges[ri].start));
	if (!bits_first_free(t->bits, (size_t)t->total, from, (size_t)k->left, &p))
		return false;
	for (ri = set->n - 1; t->base[ri] > p; ri--)
		;
	*rp = &set->ranges[ri];
	ipam_ip_set(ip, (*rp)->subnet.ip.family, ipam_ip_val(&(*rp)->start) + (p - t->base[ri]));
	return true;
}

/* Lookups before a listing: the next address is usually free. */
#define ALLOC_PROBES 8

/* The next free address of a set in round-robin order, found without
 * writing anything: a few lookups, then (in a crowded range) one listing
 * of the store instead of a lookup, let alone a write, per taken address.
 * The walk ends at the first free address, so it is bounded by the number
 * of names in the store even in a huge IPv6 range. */
static int pick_free(struct ipam_store *st, int set_idx, const struct ipam_range_set *set,
		     struct pick *out, struct cni_error *ce)
{
	struct np_err e = { 0 };
	struct np_ip last, ip;
	const struct ipam_range *r;
	struct cursor k;
	int hint = ipam_store_last_reserved(st, set_idx, &last, &e);
	if (hint < 0)
		return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	cursor_init(&k, set, hint ? &last : NULL);
	int found = 0;
	for (int i = 0; i < ALLOC_PROBES && !found && cursor_next(&k, &ip, &r); i++) {
		found = ipam_store_exists(st, &ip, &e);
		if (found < 0)
			return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
		found = !found;
	}
	if (!found && k.left > 0) {
		struct taken t;
		if (taken_load(st, set, &t, &e) < 0)
			return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
		if (t.bits)
			found = bits_next(&t, &k, &ip, &r);
		while (!t.bits && !found && cursor_next(&k, &ip, &r))
			found = !taken_has(&t, r, &ip);
		taken_free(&t);
	}
	if (!found) {
		char buf[NP_PREFIX_STRLEN];
		return cni_fail(ce, CNI_ERR_INTERNAL, "no IP addresses available in range set %s (network %s is full)",
				np_prefix_str(&set->ranges[0].subnet, buf, sizeof(buf)), st->path);
	}
	*out = (struct pick){ ip, r, set_idx, true };
	return 0;
}

/* The VM's sticky addresses as requests, when nothing else was asked for:
 * those still in a configured range, one per range set. */
static int vm_requests(struct ipam_store *st, const struct ipam_local_conf *lc,
		       const struct ipam_vm *vm, struct np_ip *want, int max, struct np_err *e)
{
	struct np_ip ips[16];
	bool used[IPAM_MAX_SETS] = { false };
	int n = ipam_store_vm_ips(st, vm, ips, 16, e), count = 0;
	for (int i = 0; i < n && count < max; i++)
		for (int s = 0; s < lc->n_sets; s++)
			if (!used[s] && ipam_range_of(&lc->sets[s], &ips[i])) {
				used[s] = true;
				want[count++] = ips[i];
				break;
			}
	return n < 0 ? n : count;
}

/* A requested address: checked against the config and the store, nothing
 * written yet. Returns the range set it falls in, or -1. */
static int pick_requested(struct ipam_store *st, const struct ipam_local_conf *lc,
			  const struct ipam_owner *o, const struct ipam_vm *vm,
			  const struct np_ip *want, const char *source, const bool *set_done,
			  struct pick *out, struct cni_error *ce)
{
	struct np_err e = { 0 };
	char buf[NP_PREFIX_STRLEN];
	int s;
	const struct ipam_range *r = NULL;
	for (s = 0; s < lc->n_sets && !r; s++)
		r = ipam_range_of(&lc->sets[s], want);
	s--;
	if (!r)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s: requested IP %s is not in any configured range",
				source, np_ip_str(want, buf, sizeof(buf)));
	if (set_done[s])
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s: two requested IPs fall in the same range set", source);
	if (r->has_gateway && np_ip_equal(want, &r->gateway))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s: requested IP %s is the range's gateway",
				source, np_ip_str(want, buf, sizeof(buf)));
	int state = ipam_store_lease_state(st, want, o, &e);
	/* held by the VM's other pod (a migration target): shared */
	int shared = state == IPAM_LEASE_TAKEN && vm ? ipam_store_vm_owns_lease(st, vm, want, &e) : 0;
	if (state < 0 || shared < 0)
		return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	if (state == IPAM_LEASE_TAKEN && !shared)
		return cni_fail(ce, CNI_ERR_INTERNAL, "%s: requested IP %s is already allocated to another container",
				source, np_ip_str(want, buf, sizeof(buf)));
	*out = (struct pick){ *want, r, -1, state == IPAM_LEASE_FREE };
	return s;
}

/* The owner's index: what it held before (a retried ADD, or another set's
 * address it keeps) and what it gets now, each once. */
static int write_index(struct ipam_store *st, const struct ipam_owner *o, const struct np_ip *held,
		       int n_held, const struct pick *pk, int np, struct np_err *e)
{
	struct np_ip all[16 + IPAM_MAX_SETS];
	int n = 0;
	for (int i = 0; i < n_held + np; i++) {
		const struct np_ip *ip = i < n_held ? &held[i] : &pk[i - n_held].ip;
		bool dup = false;
		for (int k = 0; k < n && !dup; k++)
			dup = np_ip_equal(&all[k], ip);
		if (!dup)
			all[n++] = *ip;
	}
	return ipam_store_index_set(st, o, all, n, e);
}

/* Every address is chosen first, without writing; then the owner index is
 * written once with exactly what the owner will hold, then each new lease
 * is created, then the VM index and the hints: a bounded number of writes
 * however full the ranges are. */
static int alloc_all(struct ipam_store *st, const struct ipam_local_conf *lc,
		     const struct cni_conf *c, const struct ipam_owner *o,
		     const struct ipam_vm *vm, struct cni_result *out, struct cni_error *ce)
{
	struct np_err e = { 0 };
	bool set_done[IPAM_MAX_SETS] = { false };
	char buf[NP_PREFIX_STRLEN];
	struct np_ip held[16], wanted[CNI_MAX_IPS];
	struct pick pk[IPAM_MAX_SETS];
	int np = 0;
	int n_held = ipam_store_find(st, o, vm, held, 16, &e);
	if (n_held < 0)
		return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	int n_want = c->n_ips;
	const char *source = c->ips_source;
	for (int i = 0; i < c->n_ips; i++)
		wanted[i] = c->ips[i].ip;
	if (!n_want && vm) {
		n_want = vm_requests(st, lc, vm, wanted, CNI_MAX_IPS, &e);
		if (n_want < 0)
			return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
		source = "the VM's sticky address";
	}
	for (int i = 0; i < n_want; i++) {
		int s = pick_requested(st, lc, o, vm, &wanted[i], source, set_done, &pk[np], ce);
		if (s < 0)
			return -1;
		set_done[s] = true;
		np++;
	}
	for (int s = 0; s < lc->n_sets; s++) {
		if (set_done[s])
			continue;
		/* A retried ADD keeps the lease it already has in this set. */
		const struct ipam_range *r = NULL;
		for (int h = 0; h < n_held && !r; h++)
			if ((r = ipam_range_of(&lc->sets[s], &held[h])))
				pk[np++] = (struct pick){ held[h], r, -1, false };
		if (!r && pick_free(st, s, &lc->sets[s], &pk[np++], ce) < 0)
			return -1;
	}
	if (write_index(st, o, held, n_held, pk, np, &e) < 0)
		return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	struct np_ip ips[IPAM_MAX_SETS];
	for (int i = 0; i < np; i++) {
		int rc = pk[i].lease ? ipam_store_reserve(st, &pk[i].ip, o, &e) : 1;
		if (rc < 0)
			return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
		/* only a writer that ignores the lock can take it meanwhile */
		if (rc == 0)
			return cni_fail(ce, CNI_ERR_TRY_LATER,
					"IPAM store %s: lease %s appeared while the store was locked (is a program writing there without taking its lock?)",
					st->path, np_ip_str(&pk[i].ip, buf, sizeof(buf)));
		ips[i] = pk[i].ip;
	}
	if (vm && ipam_store_vm_hold(st, vm, ips, np, o, &e) < 0)
		return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	for (int i = 0; i < np; i++) {
		if (pk[i].set >= 0 && ipam_store_set_last_reserved(st, pk[i].set, &pk[i].ip, &e) < 0)
			return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
		ipam_fill_ip(&out->ips[out->n_ips++], pk[i].r, &pk[i].ip);
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
	/* refused on ADD only: DEL, CHECK and GC of such a config still work */
	for (int s = 0; s < lc.n_sets; s++)
		for (int i = 0; i < lc.sets[s].n; i++)
			if (lc.sets[s].ranges[i].n_exclude) {
				ipam_store_close(&st);
				return cni_fail(ce, CNI_ERR_INVALID_CONFIG,
						"ipam \"exclude\" is supported with \"datastore\": \"etcd\" only (the local store would hand the excluded addresses out); narrow the range with range_start and range_end instead");
			}
	struct ipam_owner o = { env->container_id, env->ifname };
	struct ipam_vm vmid = { c->vm.namespace_, c->vm.name }, *vm = sticky_vm(&lc, c, &vmid);
	int rc = alloc_all(&st, &lc, c, &o, vm, out, ce);
	if (rc < 0) {
		struct np_err e = { 0 };
		ipam_store_release(&st, &o, vm, &e); /* nothing half-allocated stays */
		ipam_store_sweep(&st, lc.n_sets);
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
	ipam_store_sweep(&st, lc.n_sets); /* hint temp files an ADD killed midway left */
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

/* The spec's GC list: an array of {"containerID", "ifname"} objects. A
 * malformed one is refused as a whole (code 7, naming the key), since
 * guessing at it could release the leases of live attachments. */
static int valid_list(const struct cni_conf *c, const cJSON **out, struct cni_error *ce)
{
	const char *key = "cni.dev/valid-attachments";
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(c->root, key), *a;
	if (!list) {
		key = "cni.dev/attachments";
		list = cJSON_GetObjectItemCaseSensitive(c->root, key);
	}
	if (!list)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG,
				"GC: \"cni.dev/valid-attachments\" (or \"cni.dev/attachments\") is missing: it must list the attachments to keep");
	if (!cJSON_IsArray(list))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG,
				"GC: \"%s\" must be a list of {\"containerID\", \"ifname\"} objects", key);
	cJSON_ArrayForEach(a, list) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(a, "containerID");
		const cJSON *ifn = cJSON_GetObjectItemCaseSensitive(a, "ifname");
		if (!cJSON_IsObject(a) || !cJSON_IsString(id) || !cJSON_IsString(ifn))
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG,
					"GC: every entry of \"%s\" must be an object with string \"containerID\" and \"ifname\"",
					key);
	}
	*out = list;
	return 0;
}

int ipam_local_gc(const struct cni_conf *c, struct cni_error *ce)
{
	const cJSON *list = NULL;
	if (valid_list(c, &list, ce) < 0)
		return -1;
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
