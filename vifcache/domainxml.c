#include "domainxml.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

/* The address of the <mac> of one <interface> element, or NULL. */
static const xmlChar *mac_of(xmlNodePtr iface, xmlChar **owned)
{
	for (xmlNodePtr c = iface->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !xmlStrcmp(c->name, BAD_CAST "mac"))
			return *owned = xmlGetProp(c, BAD_CAST "address");
	return NULL;
}

static bool alias_is(xmlNodePtr iface, const char *alias)
{
	for (xmlNodePtr c = iface->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !xmlStrcmp(c->name, BAD_CAST "alias")) {
			xmlChar *name = xmlGetProp(c, BAD_CAST "name");
			bool is = name && !xmlStrcmp(name, BAD_CAST alias);
			xmlFree(name);
			return is;
		}
	return false;
}

static int pick(xmlNodeSetPtr set, const char *alias, uint8_t mac[NP_MAC_LEN], struct np_err *e)
{
	int total = set ? set->nodeNr : 0, found = 0;
	char q[NP_QUOTE_MAX];
	if (!alias && total > 1)
		return np_errmsg(e, -EINVAL, "domain XML has %d interfaces: give --alias (KubeVirt uses ua-<network>)", total);
	for (int i = 0; i < total; i++) {
		xmlNodePtr iface = set->nodeTab[i];
		if (alias && !alias_is(iface, alias))
			continue;
		if (++found > 1)
			return np_errmsg(e, -EINVAL, "domain XML has more than one interface with alias %s",
					 np_quote(alias, q, sizeof(q)));
		xmlChar *addr = NULL;
		if (!mac_of(iface, &addr)) {
			xmlFree(addr);
			return np_errmsg(e, -EINVAL, "domain XML: interface %s has no <mac address=...>",
					 alias ? np_quote(alias, q, sizeof(q)) : "?");
		}
		int rc = np_mac_parse((const char *)addr, false, mac, e);
		xmlFree(addr);
		if (rc < 0)
			return np_err_prefix(e, -EINVAL, "domain XML: interface %s: ",
					     alias ? np_quote(alias, q, sizeof(q)) : "?");
	}
	if (found == 0)
		return np_errmsg(e, -ENOENT, "domain XML has no interface%s%s", alias ? " with alias " : "",
				 alias ? np_quote(alias, q, sizeof(q)) : "");
	return 0;
}

int vc_domain_xml_mac(const char *xml, const char *alias, uint8_t mac[NP_MAC_LEN],
		      struct np_err *e)
{
	size_t len = strlen(xml);
	if (len > VC_DOMAIN_XML_MAX)
		return np_errmsg(e, -EFBIG, "domain XML is above %d bytes", VC_DOMAIN_XML_MAX);
	/* no network, no entity expansion, no DTD loading: the file is the
	 * hypervisor's, but it is read as any outside input; its errors are
	 * ours to report, not libxml2's to print */
	xmlDocPtr doc = xmlReadMemory(xml, (int)len, "domain.xml", NULL,
				      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		return np_errmsg(e, -EINVAL, "domain XML is not well-formed XML");
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr res = ctx ? xmlXPathEvalExpression(BAD_CAST "/domain/devices/interface", ctx) : NULL;
	int rc = res ? pick(res->nodesetval, alias, mac, e) : np_errmsg(e, -ENOMEM, "domain XML: out of memory");
	xmlXPathFreeObject(res);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return rc;
}
