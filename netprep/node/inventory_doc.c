#include "inventory_doc.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "inet.h"
#include "json_strict.h"
#include "names.h"

/* the deepest path is bridges[1023].ports[1023]: far below this */
#define PATH_LEN 96

enum inv_type { T_INT, T_BOOL, T_STR, T_OBJ, T_LIST, T_PORTS };

struct inv_field;

/* One place in the schema. */
struct inv_node {
	enum inv_type type;
	long long min, max;              /* T_INT */
	int max_len;                     /* T_LIST, T_PORTS: most entries */
	int (*str_ok)(const char *s, const char *path, struct np_err *e);
	const struct inv_field *fields;  /* T_OBJ, up to a NULL key (at most 32) */
	int (*obj_ok)(const cJSON *o, const char *path, struct np_err *e);
	const struct inv_node *elem;     /* T_LIST: each entry; T_PORTS: each value */
	bool unique;                     /* T_LIST: no two entries share a name */
};

struct inv_field {
	const char *key;
	const struct inv_node *node;
	bool required;
};

static const char *const type_name[] = {
	[T_INT] = "a whole number", [T_BOOL] = "true or false", [T_STR] = "a string",
	[T_OBJ] = "an object", [T_LIST] = "a list", [T_PORTS] = "an object",
};

/* A value as a message shows it: strings quoted and escaped, so nothing
 * the document holds can break the message's one line. */
static const char *shown(const cJSON *v, char *buf, size_t len)
{
	char q[NP_QUOTE_MAX];
	if (cJSON_IsString(v))
		snprintf(buf, len, "\"%s\"", np_quote(v->valuestring, q, sizeof(q)));
	else if (cJSON_IsNumber(v))
		snprintf(buf, len, "%.15g", v->valuedouble);
	else
		snprintf(buf, len, "%s", cJSON_IsTrue(v) ? "true" : cJSON_IsFalse(v) ? "false" :
			 cJSON_IsNull(v) ? "null" : cJSON_IsArray(v) ? "a list" : "an object");
	return buf;
}

static const char *where(const char *path)
{
	return path[0] ? path : "the document";
}

static const char *join_key(char *out, const char *path, const char *key)
{
	snprintf(out, PATH_LEN, "%s%s%s", path, path[0] ? "." : "", key);
	return out;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* What the kernel lets a link be called (dev_valid_name), which is wider
 * than what mignet gives its own links (non-ASCII, for one): an inventory
 * reports every link of the node, and compare quotes whatever it prints.
 * Control bytes, which no sane link has, are refused with the rest. */
static int is_ifname(const char *s, const char *path, struct np_err *e)
{
	char q[NP_QUOTE_MAX];
	size_t n = strlen(s);
	bool bad = n == 0 || n > 15 || !strcmp(s, ".") || !strcmp(s, "..");
	for (const char *p = s; !bad && *p; p++)
		bad = *p == '/' || *p == ':' || *p == '%' || (unsigned char)*p <= ' ' || *p == 0x7f;
	if (bad)
		return np_errmsg(e, -EINVAL, "%s \"%s\" is not a name the kernel gives a link", path,
				 np_quote(s, q, sizeof(q)));
	return 0;
}

/* a VLAN whose parent lives in another namespace has parent "" */
static int is_ifname_or_none(const char *s, const char *path, struct np_err *e)
{
	return *s ? is_ifname(s, path, e) : 0;
}

/* "" when the producer could not read its hostname */
static int is_node(const char *s, const char *path, struct np_err *e)
{
	return *s ? np_valid_path_component(s, 253, path, e) : 0;
}

/* IFLA_INFO_KIND as np_link_info holds it; "" for links without one */
static int is_kind(const char *s, const char *path, struct np_err *e)
{
	return *s ? np_valid_path_component(s, 23, path, e) : 0;
}

static int is_plugin(const char *s, const char *path, struct np_err *e)
{
	char q[NP_QUOTE_MAX];
	if (strncmp(s, "mignet-", 7))
		return np_errmsg(e, -EINVAL, "%s \"%s\" does not start with \"mignet-\": only mignet's plugins are listed",
				 path, np_quote(s, q, sizeof(q)));
	return np_valid_path_component(s, NAME_MAX, path, e);
}

static int is_version(const char *s, const char *path, struct np_err *e)
{
	char q[NP_QUOTE_MAX];
	size_t n = strspn(s, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ._+~-");
	if (n == 0 || n > 63 || s[n])
		return np_errmsg(e, -EINVAL, "%s \"%s\" is not a version: 1 to 63 letters, digits, '.', '_', '+', '~' or '-'",
				 path, np_quote(s, q, sizeof(q)));
	return 0;
}

static int is_file_name(const char *s, const char *path, struct np_err *e)
{
	char q[NP_QUOTE_MAX];
	if (!*s || strlen(s) > NAME_MAX || strchr(s, '/') || has_control(s) || !strcmp(s, ".") || !strcmp(s, ".."))
		return np_errmsg(e, -EINVAL, "%s \"%s\" is not a file name: 1 to %d bytes, no '/' or control bytes, not . or ..",
				 path, np_quote(s, q, sizeof(q)), NAME_MAX);
	return 0;
}

static int is_dir(const char *s, const char *path, struct np_err *e)
{
	char q[NP_QUOTE_MAX];
	if (!*s || strlen(s) >= PATH_MAX || has_control(s))
		return np_errmsg(e, -EINVAL, "%s \"%s\" is not a directory path: 1 to %d bytes, no control bytes",
				 path, np_quote(s, q, sizeof(q)), PATH_MAX - 1);
	return 0;
}

static int is_prefix(const char *s, const char *path, struct np_err *e)
{
	char q[NP_QUOTE_MAX];
	struct np_prefix p;
	if (np_prefix_parse(s, false, &p, NULL) < 0)
		return np_errmsg(e, -EINVAL, "%s \"%s\" is not an ADDRESS/LEN prefix", path, np_quote(s, q, sizeof(q)));
	return 0;
}

/* mtu, up and addresses describe an interface that exists: the producer
 * writes them exactly when present is true. */
static int migration_ok(const cJSON *o, const char *path, struct np_err *e)
{
	static const char *const keys[] = { "mtu", "up", "addresses" };
	bool present = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "present"));
	char sub[PATH_LEN];
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		bool has = cJSON_GetObjectItemCaseSensitive(o, keys[i]) != NULL;
		if (has != present)
			return np_errmsg(e, -EINVAL, "%s is %s while %s.present is %s: inventory version %d has it exactly "
					 "when the interface is present", join_key(sub, path, keys[i]),
					 has ? "given" : "missing", path, present ? "true" : "false", INV_DOC_VERSION);
	}
	return 0;
}

#define LIST_OF(node) { .type = T_LIST, .max_len = INV_DOC_LIST_MAX, .elem = &(node), .unique = true }

static const struct inv_node n_bool = { .type = T_BOOL };
static const struct inv_node n_ifname = { .type = T_STR, .str_ok = is_ifname };
static const struct inv_node n_ifname_or_none = { .type = T_STR, .str_ok = is_ifname_or_none };
static const struct inv_node n_version = { .type = T_INT, .min = INV_DOC_VERSION, .max = INV_DOC_VERSION };
static const struct inv_node n_node = { .type = T_STR, .str_ok = is_node };
static const struct inv_node n_kind = { .type = T_STR, .str_ok = is_kind };
/* any link's MTU as the kernel reports it: lo has 65536, CAN links 16 */
static const struct inv_node n_link_mtu = { .type = T_INT, .min = 0, .max = INT_MAX };
/* what a bridge (and an Ethernet link carrying IP) can have */
static const struct inv_node n_mtu = { .type = T_INT, .min = 68, .max = 65535 };
static const struct inv_node n_vlan_id = { .type = T_INT, .min = 0, .max = 4094 };
static const struct inv_node n_uffd = { .type = T_INT, .min = 0, .max = 1 };
static const struct inv_node n_plugin = { .type = T_STR, .str_ok = is_plugin };
static const struct inv_node n_file_name = { .type = T_STR, .str_ok = is_file_name };
static const struct inv_node n_dir = { .type = T_STR, .str_ok = is_dir };
static const struct inv_node n_version_str = { .type = T_STR, .str_ok = is_version };
static const struct inv_node n_prefix = { .type = T_STR, .str_ok = is_prefix };

static const struct inv_field link_fields[] = {
	{ "name", &n_ifname, true }, { "kind", &n_kind, true }, { "mtu", &n_link_mtu, true },
	{ "up", &n_bool, true }, { "master", &n_ifname, false }, { 0 },
};
static const struct inv_node n_link = { .type = T_OBJ, .fields = link_fields };
static const struct inv_node n_ports = LIST_OF(n_ifname);
static const struct inv_field bridge_fields[] = {
	{ "name", &n_ifname, true }, { "mtu", &n_mtu, true }, { "up", &n_bool, true },
	{ "ports", &n_ports, true }, { 0 },
};
static const struct inv_node n_bridge = { .type = T_OBJ, .fields = bridge_fields };
static const struct inv_field vlan_fields[] = {
	{ "name", &n_ifname, true }, { "id", &n_vlan_id, true }, { "parent", &n_ifname_or_none, true }, { 0 },
};
static const struct inv_node n_vlan = { .type = T_OBJ, .fields = vlan_fields };
static const struct inv_node n_addresses = { .type = T_LIST, .max_len = INV_DOC_LIST_MAX, .elem = &n_prefix };
static const struct inv_field migration_fields[] = {
	{ "interface", &n_ifname, true }, { "present", &n_bool, true }, { "mtu", &n_mtu, false },
	{ "up", &n_bool, false }, { "addresses", &n_addresses, false }, { 0 },
};
static const struct inv_node n_configs = LIST_OF(n_file_name);
static const struct inv_node n_plugins = LIST_OF(n_plugin);
static const struct inv_field cni_fields[] = {
	{ "confDir", &n_dir, true }, { "configs", &n_configs, true }, { "binDir", &n_dir, true },
	{ "mignetPlugins", &n_plugins, true }, { 0 },
};
static const struct inv_field virt_fields[] = {
	{ "libvirt", &n_version_str, false }, { "qemu", &n_version_str, false }, { 0 },
};
static const struct inv_node n_links = LIST_OF(n_link);
static const struct inv_node n_bridges = LIST_OF(n_bridge);
static const struct inv_node n_vlans = LIST_OF(n_vlan);
static const struct inv_node n_masters = LIST_OF(n_ifname);
static const struct inv_node n_migration = { .type = T_OBJ, .fields = migration_fields, .obj_ok = migration_ok };
static const struct inv_node n_cni = { .type = T_OBJ, .fields = cni_fields };
static const struct inv_node n_virt = { .type = T_OBJ, .fields = virt_fields };
static const struct inv_node n_ports_free = { .type = T_PORTS, .max_len = INV_DOC_PORTS_MAX, .elem = &n_bool };
static const struct inv_field doc_fields[] = {
	{ "mignetInventory", &n_version, true }, { "node", &n_node, true }, { "links", &n_links, true },
	{ "bridges", &n_bridges, true }, { "vlans", &n_vlans, true }, { "macvlanMasters", &n_masters, true },
	{ "migration", &n_migration, true }, { "cni", &n_cni, true }, { "virtualization", &n_virt, true },
	{ "unprivilegedUserfaultfd", &n_uffd, false }, { "migrationPortsFree", &n_ports_free, true }, { 0 },
};
static const struct inv_node n_doc = { .type = T_OBJ, .fields = doc_fields };

static int check_value(const cJSON *v, const struct inv_node *n, const char *path, struct np_err *e);

static int check_int(const cJSON *v, const struct inv_node *n, const char *path, struct np_err *e)
{
	char b[NP_QUOTE_MAX + 2];
	/* range first: converting an out-of-range double is undefined */
	if (cJSON_IsNumber(v) && v->valuedouble >= (double)n->min && v->valuedouble <= (double)n->max &&
	    v->valuedouble == (double)(long long)v->valuedouble)
		return 0;
	return np_errmsg(e, -EINVAL, "%s is %s: it must be a whole number from %lld to %lld", where(path),
			 shown(v, b, sizeof(b)), n->min, n->max);
}

static int field_index(const struct inv_field *f, const char *key)
{
	for (int i = 0; f[i].key; i++)
		if (!strcmp(f[i].key, key))
			return i;
	return -1;
}

static int check_object(const cJSON *o, const struct inv_node *n, const char *path, struct np_err *e)
{
	uint32_t seen = 0;
	char sub[PATH_LEN], q[NP_QUOTE_MAX];
	const cJSON *c;
	cJSON_ArrayForEach(c, o) {
		int i = field_index(n->fields, c->string);
		if (i < 0)
			return np_errmsg(e, -EINVAL, "%s has the unknown key \"%s\": inventory version %d has no such key "
					 "(a netprep that adds one must raise mignetInventory)", where(path),
					 np_quote(c->string, q, sizeof(q)), INV_DOC_VERSION);
		seen |= 1u << i; /* no key twice: np_json_parse_strict refused that */
		if (check_value(c, n->fields[i].node, join_key(sub, path, c->string), e) < 0)
			return -EINVAL;
	}
	for (int i = 0; n->fields[i].key; i++)
		if (n->fields[i].required && !(seen & (1u << i)))
			return np_errmsg(e, -EINVAL, "%s is missing: inventory version %d always has it",
					 join_key(sub, path, n->fields[i].key), INV_DOC_VERSION);
	return n->obj_ok ? n->obj_ok(o, path, e) : 0;
}

/* An entry's name: the string itself, or an object's "name". */
static const char *entry_name(const cJSON *v)
{
	return cJSON_IsString(v) ? v->valuestring : cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "name"));
}

static int check_unique(const cJSON *list, const cJSON *c, const char *path, struct np_err *e)
{
	const char *name = entry_name(c);
	char q[NP_QUOTE_MAX];
	int i = 0;
	for (const cJSON *d = list->child; d && d != c; d = d->next, i++) {
		const char *other = entry_name(d);
		if (name && other && !strcmp(name, other))
			return np_errmsg(e, -EINVAL, "%s names \"%s\" again (as entry %d): a node has one of each",
					 path, np_quote(name, q, sizeof(q)), i);
	}
	return 0;
}

static int check_list(const cJSON *a, const struct inv_node *n, const char *path, struct np_err *e)
{
	char sub[PATH_LEN];
	const cJSON *c;
	int i = 0;
	cJSON_ArrayForEach(c, a) {
		if (i == n->max_len)
			return np_errmsg(e, -EINVAL, "%s has more than %d entries", path, n->max_len);
		snprintf(sub, sizeof(sub), "%s[%d]", path, i++);
		if (check_value(c, n->elem, sub, e) < 0 || (n->unique && check_unique(a, c, sub, e) < 0))
			return -EINVAL;
	}
	return 0;
}

/* "49152": decimal, no sign or leading zero, 1..65535 */
static bool is_port_key(const char *s)
{
	size_t n = strspn(s, "0123456789");
	if (n == 0 || n > 5 || s[n] || s[0] == '0')
		return false;
	long port = 0;
	for (size_t i = 0; i < n; i++)
		port = port * 10 + (s[i] - '0');
	return port <= 65535;
}

static int check_ports(const cJSON *o, const struct inv_node *n, const char *path, struct np_err *e)
{
	char sub[PATH_LEN], q[NP_QUOTE_MAX];
	const cJSON *c;
	int count = 0;
	cJSON_ArrayForEach(c, o) {
		if (count++ == n->max_len)
			return np_errmsg(e, -EINVAL, "%s has more than %d ports", path, n->max_len);
		if (!is_port_key(c->string))
			return np_errmsg(e, -EINVAL, "%s has the key \"%s\": its keys are port numbers from 1 to 65535",
					 path, np_quote(c->string, q, sizeof(q)));
		if (check_value(c, n->elem, join_key(sub, path, c->string), e) < 0)
			return -EINVAL;
	}
	return 0;
}

static bool type_matches(const cJSON *v, enum inv_type t)
{
	switch (t) {
	case T_BOOL: return cJSON_IsBool(v);
	case T_STR: return cJSON_IsString(v);
	case T_OBJ:
	case T_PORTS: return cJSON_IsObject(v);
	case T_LIST: return cJSON_IsArray(v);
	case T_INT: return cJSON_IsNumber(v);
	}
	return false;
}

static int check_value(const cJSON *v, const struct inv_node *n, const char *path, struct np_err *e)
{
	char b[NP_QUOTE_MAX + 2];
	if (n->type == T_INT)
		return check_int(v, n, path, e);
	if (!type_matches(v, n->type))
		return np_errmsg(e, -EINVAL, "%s is %s: it must be %s", where(path), shown(v, b, sizeof(b)),
				 type_name[n->type]);
	switch (n->type) {
	case T_STR: return n->str_ok(v->valuestring, path, e);
	case T_OBJ: return check_object(v, n, path, e);
	case T_LIST: return check_list(v, n, path, e);
	case T_PORTS: return check_ports(v, n, path, e);
	default: return 0;
	}
}

static int check_version(const cJSON *doc, struct np_err *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "mignetInventory");
	char b[NP_QUOTE_MAX + 2];
	if (!cJSON_IsObject(doc))
		return np_errmsg(e, -EINVAL, "the document is %s, not the object `netprep inventory --json` prints",
				 shown(doc, b, sizeof(b)));
	if (!v)
		return np_errmsg(e, -EINVAL, "mignetInventory is missing: this is not a `netprep inventory --json` document");
	if (!cJSON_IsNumber(v) || v->valuedouble != INV_DOC_VERSION)
		return np_errmsg(e, -EINVAL, "mignetInventory is %s: this netprep reads inventory version %d only "
				 "(run the same netprep release's inventory --json on both nodes)",
				 shown(v, b, sizeof(b)), INV_DOC_VERSION);
	return 0;
}

cJSON *inv_doc_parse(const char *text, size_t len, const char *what, struct np_err *e)
{
	if (len > INV_DOC_MAX) {
		np_errmsg(e, -EFBIG, "%s is above %d bytes", what, INV_DOC_MAX);
		return NULL;
	}
	/* cJSON would end a string at a raw NUL as silently as at "\u0000" */
	const char *nul = memchr(text, '\0', len);
	if (nul) {
		np_errmsg(e, -EINVAL, "%s: a NUL byte at byte %td: JSON text has none", what, nul - text);
		return NULL;
	}
	cJSON *doc = np_json_parse_strict(text, len, what, e);
	if (doc && (check_version(doc, e) < 0 || check_value(doc, &n_doc, "", e) < 0)) {
		np_err_prefix(e, -EINVAL, "%s: ", what);
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}
