#include "sriov.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "link.h"
#include "names.h"

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int np_pci_addr_valid(const char *s, struct np_err *e)
{
	/* dddd:bb:dd.f */
	static const char pattern[] = "xxxx:xx:xx.x";
	char q[NP_QUOTE_MAX];
	if (!s || strlen(s) != sizeof(pattern) - 1)
		goto bad;
	for (size_t i = 0; pattern[i]; i++) {
		if (pattern[i] == 'x' ? !is_hex(s[i]) : s[i] != pattern[i])
			goto bad;
	}
	if (s[11] > '7')
		goto bad; /* PCI functions are 0..7 */
	return 0;
bad:
	return np_errmsg(e, -EINVAL, "PCI address \"%s\" is not of the form 0000:03:02.1",
			 np_quote(s, q, sizeof(q)));
}

/* readlink of <root>/bus/pci/devices/<dev>/<name>; returns the basename of
 * the target (sysfs links point into /sys/devices). */
static int link_basename(const char *root, const char *dev, const char *name,
			 char *out, size_t len)
{
	char path[4096], target[4096];
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/%s", root, dev, name);
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	const char *base = strrchr(target, '/');
	if ((size_t)snprintf(out, len, "%s", base ? base + 1 : target) >= len)
		return -ENAMETOOLONG;
	return 0;
}

static int find_vf_index(const char *root, const struct np_vf_ref *r, struct np_err *e)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", root, r->pf_pci);
	DIR *d = opendir(path);
	if (!d)
		return np_errf(e, -errno, "SR-IOV: cannot list PF %s", path);
	struct dirent *de;
	int found = -ENOENT;
	while ((de = readdir(d))) {
		char *end;
		if (strncmp(de->d_name, "virtfn", 6) || !de->d_name[6])
			continue;
		long idx = strtol(de->d_name + 6, &end, 10);
		char target[64];
		if (*end || idx < 0 || idx > 4095 ||
		    link_basename(root, r->pf_pci, de->d_name, target, sizeof(target)) < 0)
			continue;
		if (!strcmp(target, r->pci)) {
			found = (int)idx;
			break;
		}
	}
	closedir(d);
	if (found < 0)
		return np_errmsg(e, -ENOENT, "SR-IOV: VF %s is not listed by its PF %s (no matching virtfnN)",
				 r->pci, r->pf_pci);
	return found;
}

static int pf_netdev(const char *root, struct np_vf_ref *r, struct np_err *e)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/net", root, r->pf_pci);
	DIR *d = opendir(path);
	if (!d)
		return np_errf(e, -errno, "SR-IOV: PF %s has no network interface (%s)", r->pf_pci, path);
	struct dirent *de;
	int rc = -ENOENT;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (np_valid_ifname(de->d_name, "PF interface", NULL) == 0) {
			memcpy(r->pf_ifname, de->d_name, strlen(de->d_name) + 1); /* < IFNAMSIZ */
			rc = 0;
			break;
		}
	}
	closedir(d);
	if (rc < 0)
		return np_errmsg(e, rc, "SR-IOV: PF %s has no network interface under %s", r->pf_pci, path);
	return 0;
}

int np_vf_lookup(const char *sysfs_root, const char *pci, struct np_vf_ref *out,
		 struct np_err *e)
{
	memset(out, 0, sizeof(*out));
	int rc = np_pci_addr_valid(pci, e);
	if (rc < 0)
		return rc;
	snprintf(out->pci, sizeof(out->pci), "%s", pci);
	char path[4096];
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", sysfs_root, pci);
	if (access(path, F_OK) < 0)
		return np_errf(e, -errno, "SR-IOV: device %s not found (%s)", pci, path);
	char pf[64];
	rc = link_basename(sysfs_root, pci, "physfn", pf, sizeof(pf));
	if (rc < 0)
		return np_errmsg(e, rc == -ENOENT ? -ENODEV : rc,
				 "SR-IOV: %s is not a virtual function (no physfn link)", pci);
	if (np_pci_addr_valid(pf, NULL) < 0)
		return np_errmsg(e, -EINVAL, "SR-IOV: physfn of %s points to an unexpected name", pci);
	memcpy(out->pf_pci, pf, NP_PCI_ADDR_LEN); /* validated: exactly 12 chars */
	rc = find_vf_index(sysfs_root, out, e);
	if (rc < 0)
		return rc;
	out->vf = rc;
	if (link_basename(sysfs_root, pci, "driver", out->driver, sizeof(out->driver)) < 0)
		out->driver[0] = '\0';
	return pf_netdev(sysfs_root, out, e);
}

struct nlmsghdr *np_vf_msg(void *buf, uint32_t seq, int pf_index, int vf,
			   const struct np_vf_config *c)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_SETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = pf_index;
	struct nlattr *list = mnl_attr_nest_start(nlh, IFLA_VFINFO_LIST);
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_VF_INFO);
	if (c->has_mac) {
		struct ifla_vf_mac m = { .vf = (uint32_t)vf };
		memcpy(m.mac, c->mac, NP_MAC_LEN);
		mnl_attr_put(nlh, IFLA_VF_MAC, sizeof(m), &m);
	}
	if (c->has_vlan) {
		struct ifla_vf_vlan v = { .vf = (uint32_t)vf, .vlan = c->vlan, .qos = c->qos };
		mnl_attr_put(nlh, IFLA_VF_VLAN, sizeof(v), &v);
	}
	if (c->has_spoofchk) {
		struct ifla_vf_spoofchk s = { .vf = (uint32_t)vf, .setting = c->spoofchk };
		mnl_attr_put(nlh, IFLA_VF_SPOOFCHK, sizeof(s), &s);
	}
	if (c->has_trust) {
		struct ifla_vf_trust t = { .vf = (uint32_t)vf, .setting = c->trust };
		mnl_attr_put(nlh, IFLA_VF_TRUST, sizeof(t), &t);
	}
	if (c->has_link_state) {
		struct ifla_vf_link_state l = { .vf = (uint32_t)vf, .link_state = (uint32_t)c->link_state };
		mnl_attr_put(nlh, IFLA_VF_LINK_STATE, sizeof(l), &l);
	}
	mnl_attr_nest_end(nlh, info);
	mnl_attr_nest_end(nlh, list);
	return nlh;
}

int np_vf_set(struct np_nl *nl, const char *pf_ifname, int vf,
	      const struct np_vf_config *c, struct np_err *e)
{
	struct np_link_info li;
	int rc = np_link_get(nl, pf_ifname, &li, e);
	if (rc < 0)
		return rc;
	struct nlmsghdr *nlh = np_vf_msg(nl->buf, ++nl->seq, li.ifindex, vf, c);
	rc = np_nl_talk(nl, nlh, NULL, NULL);
	if (rc == -EOPNOTSUPP)
		return np_errf(e, rc, "%s: PF \"%s\" does not support VF settings (is it an SR-IOV NIC?)%s",
			       nl->where, pf_ifname, np_nl_reason(nl));
	if (rc < 0)
		return np_errf(e, rc, "%s: set VF %d on PF \"%s\"%s", nl->where, vf, pf_ifname,
			       np_nl_reason(nl));
	return 0;
}

struct vf_get {
	int vf;
	struct np_vf_config *out;
	bool found;
};

static void parse_vf_info(const struct nlattr *info, struct vf_get *g)
{
	const struct nlattr *a;
	struct np_vf_config c = { 0 };
	int vf = -1;
	mnl_attr_for_each_nested(a, info) {
		size_t len = mnl_attr_get_payload_len(a);
		const void *p = mnl_attr_get_payload(a);
		switch (mnl_attr_get_type(a)) {
		case IFLA_VF_MAC:
			if (len >= sizeof(struct ifla_vf_mac)) {
				const struct ifla_vf_mac *m = p;
				vf = (int)m->vf;
				memcpy(c.mac, m->mac, NP_MAC_LEN);
				c.has_mac = true;
			}
			break;
		case IFLA_VF_VLAN:
			if (len >= sizeof(struct ifla_vf_vlan)) {
				const struct ifla_vf_vlan *v = p;
				c.vlan = (uint16_t)v->vlan;
				c.qos = (uint8_t)v->qos;
				c.has_vlan = true;
			}
			break;
		case IFLA_VF_SPOOFCHK:
			if (len >= sizeof(struct ifla_vf_spoofchk)) {
				c.spoofchk = ((const struct ifla_vf_spoofchk *)p)->setting != 0;
				c.has_spoofchk = true;
			}
			break;
		case IFLA_VF_TRUST:
			if (len >= sizeof(struct ifla_vf_trust)) {
				c.trust = ((const struct ifla_vf_trust *)p)->setting != 0;
				c.has_trust = true;
			}
			break;
		case IFLA_VF_LINK_STATE:
			if (len >= sizeof(struct ifla_vf_link_state)) {
				c.link_state = (enum np_vf_link_state)((const struct ifla_vf_link_state *)p)->link_state;
				c.has_link_state = true;
			}
			break;
		}
	}
	if (vf == g->vf) {
		*g->out = c;
		g->found = true;
	}
}

static int vf_get_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct vf_get *g = arg;
	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	const struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(struct ifinfomsg)) {
		if (mnl_attr_get_type(a) != IFLA_VFINFO_LIST)
			continue;
		const struct nlattr *info;
		mnl_attr_for_each_nested(info, a)
			if (mnl_attr_get_type(info) == IFLA_VF_INFO)
				parse_vf_info(info, g);
	}
	return MNL_CB_OK;
}

int np_vf_get(struct np_nl *nl, const char *pf_ifname, int vf,
	      struct np_vf_config *out, struct np_err *e)
{
	struct nlmsghdr *nlh = np_nl_request(nl, RTM_GETLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, pf_ifname);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS);
	struct vf_get g = { .vf = vf, .out = out };
	memset(out, 0, sizeof(*out));
	int rc = np_nl_talk(nl, nlh, vf_get_cb, &g);
	if (rc < 0)
		return np_errf(e, rc, "%s: read VF %d of PF \"%s\"%s", nl->where, vf, pf_ifname,
			       np_nl_reason(nl));
	if (!g.found)
		return np_errmsg(e, -ENOENT, "%s: PF \"%s\" reports no VF %d", nl->where, pf_ifname, vf);
	return 0;
}
