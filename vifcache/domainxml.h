/* The guest MAC of one interface in a libvirt domain XML, found by its
 * alias (KubeVirt names it "ua-<network>") under /domain/devices, read
 * with libxml2 (no network, no entities, no DTD). */
#ifndef MIGNET_VC_DOMAINXML_H
#define MIGNET_VC_DOMAINXML_H

#include <stdint.h>

#include "inet.h"

#define VC_DOMAIN_XML_MAX (1024 * 1024)

/* alias NULL: the only interface of the domain. */
int vc_domain_xml_mac(const char *xml, const char *alias, uint8_t mac[NP_MAC_LEN],
		      struct np_err *e);

#endif
