/* node.json for `netprep setup`: never crash, every refusal explains
 * itself on one line, and what is accepted holds only valid names and
 * MTUs within the documented bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "nodeconf.h"

static void check_name(const char *s, bool may_be_empty)
{
	if (!s[0] ? !may_be_empty : np_valid_ifname(s, "fuzz", NULL) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nc_node n;
	struct np_err e = { 0 };
	if (nc_parse((const char *)data, size, &n, &e) < 0) {
		size_t len = strnlen(e.msg, sizeof(e.msg));
		if (len == 0 || len >= sizeof(e.msg) || memchr(e.msg, '\n', len))
			abort();
		return 0;
	}
	if (n.n_bridges < 0 || n.n_bridges > NC_MAX_BRIDGES || n.n_shims < 0 || n.n_shims > NC_MAX_SHIMS)
		abort();
	for (int i = 0; i < n.n_bridges; i++) {
		check_name(n.bridges[i].name, false);
		check_name(n.bridges[i].uplink, true);
		if (n.bridges[i].vlan > 4094 || (n.bridges[i].mtu && n.bridges[i].mtu < 68))
			abort();
	}
	for (int i = 0; i < n.n_shims; i++) {
		check_name(n.shims[i].name, false);
		check_name(n.shims[i].master, false);
	}
	if (n.has_migration)
		check_name(n.migration_iface, false);
	return 0;
}
