#include "address.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "addr.h"
#include "atomic_file.h"
#include "json_strict.h"
#include "names.h"
#include "link.h"
#include "route.h"

struct first_addr {
	int family;
	bool found;
	bool tentative_only;
	struct np_ip ip;
};

static int first_global_cb(const struct np_addr_info *a, void *arg)
{
	struct first_addr *f = arg;
	if (f->found || (f->family && a->prefix.ip.family != f->family))
		return 0;
	if (!np_ip_is_global_unicast(&a->prefix.ip) || (a->flags & IFA_F_DADFAILED))
		return 0;
	/* A tentative address cannot accept the stream yet; remember that it
	 * exists so the error can say why nothing was picked. */
	if (a->flags & IFA_F_TENTATIVE) {
		f->tentative_only = true;
		return 0;
	}
	f->ip = a->prefix.ip;
	f->found = true;
	return 0;
}

static int first_global(struct np_nl *nl, const char *ifname, int family,
			struct first_addr *f, struct np_err *e)
{
	memset(f, 0, sizeof(*f));
	f->family = family;
	return np_addr_list(nl, ifname, family, first_global_cb, f, e);
}

struct default_route {
	int family;
	int ifindex;
};

static int default_route_cb(const struct np_route *r, void *arg)
{
	struct default_route *d = arg;
	if (d->ifindex || r->dst.len != 0 || !r->ifindex)
		return 0;
	if (d->family && r->dst.ip.family != d->family)
		return 0;
	d->ifindex = r->ifindex;
	return 0;
}

static const char *family_word(int family)
{
	return family == AF_INET ? "IPv4 " : family == AF_INET6 ? "IPv6 " : "";
}

static int fallback(struct np_nl *nl, const struct np_pick_request *req,
		    struct np_pick_result *out, struct np_err *e)
{
	struct default_route d = { .family = req->family };
	int rc = np_route_list(nl, req->family, default_route_cb, &d, e);
	if (rc < 0)
		return rc;
	if (!d.ifindex)
		return np_errmsg(e, -EADDRNOTAVAIL,
				 "%s; no %sdefault route to fall back to either: give the migration interface an address (check its NetworkAttachmentDefinition and IPAM)",
				 out->why, family_word(req->family));
	struct np_link_info li;
	rc = np_link_get_by_index(nl, d.ifindex, &li, e);
	if (rc < 0)
		return rc;
	struct first_addr f;
	rc = first_global(nl, li.name, req->family, &f, e);
	if (rc < 0)
		return rc;
	if (!f.found)
		return np_errmsg(e, -EADDRNOTAVAIL,
				 "%s; the default-route interface \"%s\" has no global %saddress either",
				 out->why, li.name, family_word(req->family));
	out->ip = f.ip;
	snprintf(out->iface, sizeof(out->iface), "%s", li.name);
	out->fallback = true;
	return 0;
}

int np_pick_address(struct np_nl *nl, const struct np_pick_request *req,
		    struct np_pick_result *out, struct np_err *e)
{
	const char *iface = req->iface ? req->iface : "migration0";
	struct np_link_info li;
	struct np_err tmp = { 0 };
	memset(out, 0, sizeof(*out));
	int rc = np_link_get(nl, iface, &li, &tmp);
	if (rc == -ENODEV) {
		snprintf(out->why, sizeof(out->why), "migration interface \"%s\" does not exist", iface);
	} else if (rc < 0) {
		return np_errmsg(e, rc, "%s", tmp.msg);
	} else {
		struct first_addr f;
		rc = first_global(nl, iface, req->family, &f, e);
		if (rc < 0)
			return rc;
		if (f.found) {
			out->ip = f.ip;
			snprintf(out->iface, sizeof(out->iface), "%s", iface);
			return 0;
		}
		snprintf(out->why, sizeof(out->why),
			 "migration interface \"%s\" has no %sglobal %saddress", iface,
			 f.tentative_only ? "usable (only tentative) " : "",
			 family_word(req->family));
	}
	if (req->strict)
		return np_errmsg(e, -EADDRNOTAVAIL, "%s (--strict forbids the default-route fallback)", out->why);
	return fallback(nl, req, out, e);
}

const char *np_ip_uri_str(const struct np_ip *ip, char *buf, size_t len)
{
	char s[NP_PREFIX_STRLEN];
	np_ip_str(ip, s, sizeof(s));
	snprintf(buf, len, ip->family == AF_INET6 ? "[%s]" : "%s", s);
	return buf;
}

int np_iface_for_network(const char *cache_dir, const char *network, const char *netns,
			 char ifname[IFNAMSIZ], struct np_err *e)
{
	if (!cache_dir)
		cache_dir = "/var/lib/cni/results";
	int rc = np_valid_network_name(network, e);
	if (rc < 0)
		return rc;
	int dfd = open(cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return np_errf(e, -errno, "network %s: cannot read the CNI result cache %s", network, cache_dir);
	}
	size_t nl = strlen(network);
	struct dirent *de;
	rc = -ENOENT;
	while (rc < 0 && (de = readdir(d))) {
		if (strncmp(de->d_name, network, nl) || de->d_name[nl] != '-')
			continue;
		char *txt = NULL;
		size_t len;
		if (np_file_read(dirfd(d), de->d_name, 1 << 20, &txt, &len, NULL) < 0)
			continue;
		cJSON *j = np_json_parse_strict(txt, len, de->d_name, NULL);
		free(txt);
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(j, "networkName");
		const cJSON *ifn = cJSON_GetObjectItemCaseSensitive(j, "ifName");
		bool match = cJSON_IsString(name) && !strcmp(name->valuestring, network) && cJSON_IsString(ifn) &&
			     np_valid_ifname(ifn->valuestring, "cached ifName", NULL) == 0;
		if (match && netns) {
			const cJSON *i;
			bool in_ns = false;
			cJSON_ArrayForEach(i, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "result"), "interfaces")) {
				const cJSON *sb = cJSON_GetObjectItemCaseSensitive(i, "sandbox");
				in_ns |= cJSON_IsString(sb) && !strcmp(sb->valuestring, netns);
			}
			match = in_ns;
		}
		if (match) {
			snprintf(ifname, IFNAMSIZ, "%s", ifn->valuestring);
			rc = 0;
		}
		cJSON_Delete(j);
	}
	closedir(d);
	if (rc < 0)
		return np_errmsg(e, rc, "network %s: no attachment in the CNI result cache %s%s%s (is the "
				 "NetworkAttachmentDefinition attached to this node's virt-handler?)", network, cache_dir,
				 netns ? " for netns " : "", netns ? netns : "");
	return 0;
}
