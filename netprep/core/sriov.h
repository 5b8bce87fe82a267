/* SR-IOV virtual functions: mapping a VF's PCI address to its PF and VF
 * index through sysfs (under a configurable root, so tests can use a fake
 * tree), and setting VF MAC, VLAN, spoofchk, trust and link state through
 * netlink on the PF. The VF itself is never moved: for VMs it stays bound
 * to vfio-pci. */
#ifndef MIGNET_SRIOV_H
#define MIGNET_SRIOV_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "inet.h"
#include "nl.h"

#define NP_PCI_ADDR_LEN 13 /* "0000:03:02.1" + NUL */

struct np_vf_ref {
	char pci[NP_PCI_ADDR_LEN];      /* the VF */
	char pf_pci[NP_PCI_ADDR_LEN];
	char pf_ifname[IFNAMSIZ];       /* the PF's netdev */
	int vf;                         /* index on the PF */
	char driver[64];                /* the VF's driver, "" if unbound */
};

enum np_vf_link_state { NP_VF_LINK_AUTO = 0, NP_VF_LINK_ENABLE = 1, NP_VF_LINK_DISABLE = 2 };

/* What to set; a field with its has_ flag false is left as it is. */
struct np_vf_config {
	bool has_mac, has_vlan, has_spoofchk, has_trust, has_link_state;
	uint8_t mac[NP_MAC_LEN];
	uint16_t vlan;
	uint8_t qos;
	bool spoofchk, trust;
	enum np_vf_link_state link_state;
};

/* "0000:03:02.1" (domain:bus:device.function, lower-case hex). */
int np_pci_addr_valid(const char *s, struct np_err *e);

/* Resolves a VF under sysfs_root (normally "/sys"). */
int np_vf_lookup(const char *sysfs_root, const char *pci, struct np_vf_ref *out,
		 struct np_err *e);

/* Builds the RTM_SETLINK request on the PF into buf (the exact bytes the
 * kernel receives); returns the message. */
struct nlmsghdr *np_vf_msg(void *buf, uint32_t seq, int pf_index, int vf,
			   const struct np_vf_config *c);

int np_vf_set(struct np_nl *nl, const char *pf_ifname, int vf,
	      const struct np_vf_config *c, struct np_err *e);
/* The VF's current settings as the PF reports them. */
int np_vf_get(struct np_nl *nl, const char *pf_ifname, int vf,
	      struct np_vf_config *out, struct np_err *e);

#endif
