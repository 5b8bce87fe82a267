#include "domainxml.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The value of attr='...' or attr="..." inside [tag, end). */
static int attr_in(const char *tag, const char *end, const char *attr, char *out, size_t len)
{
	size_t al = strlen(attr);
	for (const char *p = tag; p && p < end; p++) {
		p = strstr(p, attr);
		if (!p || p >= end)
			return -1;
		if (p[al] != '=' || (p[al + 1] != '\'' && p[al + 1] != '"') || (p > tag && p[-1] != ' '))
			continue;
		char q = p[al + 1];
		const char *v = p + al + 2, *ve = strchr(v, q);
		if (!ve || ve > end || (size_t)(ve - v) >= len)
			return -1;
		memcpy(out, v, (size_t)(ve - v));
		out[ve - v] = '\0';
		return 0;
	}
	return -1;
}

int vc_domain_xml_mac(const char *xml, const char *alias, uint8_t mac[NP_MAC_LEN],
		      struct np_err *e)
{
	int found = 0, total = 0;
	for (const char *p = strstr(xml, "<interface "); p; p = strstr(p + 1, "<interface ")) {
		const char *end = strstr(p, "</interface>");
		if (!end)
			return np_errmsg(e, -EINVAL, "domain XML: an <interface> is not closed");
		total++;
		char name[128] = "", addr[32];
		const char *a = strstr(p, "<alias ");
		if (a && a < end)
			attr_in(a, end, "name", name, sizeof(name));
		if (alias && strcmp(name, alias))
			continue;
		const char *m = strstr(p, "<mac ");
		char q[NP_QUOTE_MAX];
		if (!m || m > end || attr_in(m, end, "address", addr, sizeof(addr)) < 0)
			return np_errmsg(e, -EINVAL, "domain XML: interface %s has no <mac address=...>",
					 name[0] ? np_quote(name, q, sizeof(q)) : "?");
		if (np_mac_parse(addr, false, mac, e) < 0)
			return np_err_prefix(e, -EINVAL, "domain XML: interface %s: ", np_quote(name, q, sizeof(q)));
		found++;
	}
	if (!alias && total > 1)
		return np_errmsg(e, -EINVAL, "domain XML has %d interfaces: give --alias (KubeVirt uses ua-<network>)", total);
	char q[NP_QUOTE_MAX];
	if (found == 0)
		return np_errmsg(e, -ENOENT, "domain XML has no interface%s%s", alias ? " with alias " : "",
				 alias ? np_quote(alias, q, sizeof(q)) : "");
	if (found > 1)
		return np_errmsg(e, -EINVAL, "domain XML has %d interfaces with alias %s", found,
				 np_quote(alias, q, sizeof(q)));
	return 0;
}
