#include "nodeconf.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "json_strict.h"
#include "names.h"

#define NODE_CONF_MAX (256 * 1024)

static int only_keys(const cJSON *o, const char *ctx, const char *const *keys, struct np_err *e)
{
	const cJSON *c;
	char q[NP_QUOTE_MAX];
	cJSON_ArrayForEach(c, o) {
		bool known = false;
		for (const char *const *k = keys; *k && !known; k++)
			known = !strcmp(c->string, *k);
		if (!known)
			return np_errmsg(e, -EINVAL, "%s: unknown key \"%s\"", ctx, np_quote(c->string, q, sizeof(q)));
	}
	return 0;
}

static int get_ifname(const cJSON *o, const char *ctx, const char *key, bool required,
		      char *out, struct np_err *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	char what[96];
	out[0] = '\0';
	if (!v)
		return required ? np_errmsg(e, -EINVAL, "%s: \"%s\" is required", ctx, key) : 0;
	if (!cJSON_IsString(v))
		return np_errmsg(e, -EINVAL, "%s: \"%s\" must be a string", ctx, key);
	snprintf(what, sizeof(what), "%s \"%s\"", ctx, key);
	if (np_valid_ifname(v->valuestring, what, e) < 0)
		return -EINVAL;
	strcpy(out, v->valuestring);
	return 0;
}

static int get_uint(const cJSON *o, const char *ctx, const char *key, unsigned min,
		    unsigned max, unsigned *out, struct np_err *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	*out = 0;
	if (!v)
		return 0;
	/* range first: converting an out-of-range double is undefined */
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= min && v->valuedouble <= max) ||
	    v->valuedouble != (double)(unsigned)v->valuedouble)
		return np_errmsg(e, -EINVAL, "%s: \"%s\" must be a whole number from %u to %u%s", ctx, key,
				 min, max, cJSON_IsNumber(v) ? "" : " (it is not a number)");
	*out = (unsigned)v->valuedouble;
	return 0;
}

static int get_prefix(const cJSON *o, const char *ctx, const char *key, bool *has,
		      struct np_prefix *out, struct np_err *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	*has = false;
	if (!v)
		return 0;
	if (!cJSON_IsString(v) || np_prefix_parse(v->valuestring, false, out, e) < 0)
		return np_errmsg(e, -EINVAL, "%s: \"%s\" must be ADDRESS/LEN", ctx, key);
	*has = true;
	return 0;
}

static int parse_bridges(const cJSON *arr, struct nc_node *n, struct np_err *e)
{
	static const char *const keys[] = { "name", "uplink", "vlan", "mtu", NULL };
	const cJSON *b;
	if (!cJSON_IsArray(arr))
		return np_errmsg(e, -EINVAL, "node.json: \"bridges\" must be a list");
	cJSON_ArrayForEach(b, arr) {
		if (n->n_bridges == NC_MAX_BRIDGES)
			return np_errmsg(e, -EINVAL, "node.json: more than %d bridges", NC_MAX_BRIDGES);
		struct nc_bridge *nb = &n->bridges[n->n_bridges];
		if (!cJSON_IsObject(b) || only_keys(b, "bridges[]", keys, e) < 0 ||
		    get_ifname(b, "bridges[]", "name", true, nb->name, e) < 0 ||
		    get_ifname(b, "bridges[]", "uplink", false, nb->uplink, e) < 0 ||
		    get_uint(b, "bridges[]", "vlan", 1, 4094, &nb->vlan, e) < 0 ||
		    get_uint(b, "bridges[]", "mtu", 68, 65535, &nb->mtu, e) < 0)
			return np_errmsg(e, -EINVAL, "node.json: every bridge must be an object");
		if (nb->vlan && !nb->uplink[0])
			return np_errmsg(e, -EINVAL, "bridges[] \"%s\": \"vlan\" needs an \"uplink\"", nb->name);
		if (nb->vlan && strlen(nb->uplink) + 6 > IFNAMSIZ)
			return np_errmsg(e, -EINVAL, "bridges[] \"%s\": \"%s.%u\" would be too long an interface name",
					 nb->name, nb->uplink, nb->vlan);
		for (int i = 0; i < n->n_bridges; i++)
			if (!strcmp(n->bridges[i].name, nb->name))
				return np_errmsg(e, -EINVAL, "bridges[]: \"%s\" is declared twice", nb->name);
		n->n_bridges++;
	}
	return 0;
}

static int parse_shims(const cJSON *arr, struct nc_node *n, struct np_err *e)
{
	static const char *const keys[] = { "name", "master", "mode", "address", NULL };
	const cJSON *s;
	if (!cJSON_IsArray(arr))
		return np_errmsg(e, -EINVAL, "node.json: \"macvlanShims\" must be a list");
	cJSON_ArrayForEach(s, arr) {
		if (n->n_shims == NC_MAX_SHIMS)
			return np_errmsg(e, -EINVAL, "node.json: more than %d macvlan shims", NC_MAX_SHIMS);
		struct nc_shim *ns = &n->shims[n->n_shims];
		const cJSON *mode = cJSON_GetObjectItemCaseSensitive(s, "mode");
		ns->mode = NP_MACVLAN_BRIDGE;
		if (!cJSON_IsObject(s) || only_keys(s, "macvlanShims[]", keys, e) < 0 ||
		    get_ifname(s, "macvlanShims[]", "name", true, ns->name, e) < 0 ||
		    get_ifname(s, "macvlanShims[]", "master", true, ns->master, e) < 0 ||
		    get_prefix(s, "macvlanShims[]", "address", &ns->has_address, &ns->address, e) < 0)
			return np_errmsg(e, -EINVAL, "node.json: every macvlan shim must be an object");
		if (mode && (!cJSON_IsString(mode) || np_macvlan_mode_parse(mode->valuestring, &ns->mode, e) < 0))
			return np_errmsg(e, -EINVAL, "macvlanShims[] \"%s\": bad \"mode\"", ns->name);
		n->n_shims++;
	}
	return 0;
}

int nc_parse(const char *text, size_t len, struct nc_node *n, struct np_err *e)
{
	static const char *const top[] = { "bridges", "migration", "macvlanShims", "sysctls", NULL };
	static const char *const mig[] = { "interface", "mtu", "address", NULL };
	static const char *const sys[] = { "postCopy", "bridgeNetfilter", NULL };
	memset(n, 0, sizeof(*n));
	n->bridge_netfilter = -1;
	if (len > NODE_CONF_MAX)
		return np_errmsg(e, -EFBIG, "node.json is above %d bytes", NODE_CONF_MAX);
	cJSON *j = np_json_parse_strict(text, len, "node.json", e);
	int rc = 0;
	if (!j) {
		rc = e && e->code ? e->code : -EINVAL;
		goto out;
	}
	if (!cJSON_IsObject(j)) {
		rc = np_errmsg(e, -EINVAL, "node.json is not a JSON object");
		goto out;
	}
	if ((rc = only_keys(j, "node.json", top, e)) < 0)
		goto out;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "bridges");
	if (v && (rc = parse_bridges(v, n, e)) < 0)
		goto out;
	v = cJSON_GetObjectItemCaseSensitive(j, "macvlanShims");
	if (v && (rc = parse_shims(v, n, e)) < 0)
		goto out;
	v = cJSON_GetObjectItemCaseSensitive(j, "migration");
	if (v) {
		n->has_migration = true;
		if (!cJSON_IsObject(v) || (rc = only_keys(v, "migration", mig, e)) < 0 ||
		    (rc = get_ifname(v, "migration", "interface", true, n->migration_iface, e)) < 0 ||
		    (rc = get_uint(v, "migration", "mtu", 1280, 65535, &n->migration_mtu, e)) < 0 ||
		    (rc = get_prefix(v, "migration", "address", &n->has_migration_address,
				     &n->migration_address, e)) < 0) {
			rc = np_errmsg(e, -EINVAL, "node.json: \"migration\" must be an object");
			goto out;
		}
	}
	v = cJSON_GetObjectItemCaseSensitive(j, "sysctls");
	if (v) {
		const cJSON *pc = cJSON_GetObjectItemCaseSensitive(v, "postCopy");
		const cJSON *bn = cJSON_GetObjectItemCaseSensitive(v, "bridgeNetfilter");
		if (!cJSON_IsObject(v) || (rc = only_keys(v, "sysctls", sys, e)) < 0 ||
		    (pc && !cJSON_IsBool(pc)) || (bn && !cJSON_IsBool(bn))) {
			rc = np_errmsg(e, -EINVAL, "node.json: \"sysctls\" takes postCopy and bridgeNetfilter, true or false");
			goto out;
		}
		n->post_copy = cJSON_IsTrue(pc);
		if (bn)
			n->bridge_netfilter = cJSON_IsTrue(bn);
	}
out:
	cJSON_Delete(j);
	return rc;
}
