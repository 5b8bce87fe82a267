#include "vifhook.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sriov.h"
#include "vc_store.h"

static const char *cache_root(const struct cni_conf *c)
{
	return c->vif_cache_dir && c->vif_cache_dir[0] ? c->vif_cache_dir : VC_DEFAULT_ROOT;
}

static bool is_vm(const struct cni_conf *c)
{
	return c->vm.name[0] && c->vm.namespace_[0];
}

/* The cache key (K8S_POD_NAMESPACE, the kubevirt.io/domain annotation,
 * CNI_IFNAME) becomes path components: checked here too, whatever the
 * config parser let through. */
static int check_key(const struct cni_conf *c, const struct cni_env *env, struct cni_error *ce)
{
	struct np_err e = { 0 };
	if (vc_key_validate(c->vm.namespace_, c->vm.name, env->ifname, &e) < 0)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "vif-cache: %s", e.msg);
	return 0;
}

int vifhook_reattach(struct cni_conf *c, const struct cni_env *env, struct cni_error *ce)
{
	if (!is_vm(c))
		return 0;
	if (check_key(c, env, ce) < 0)
		return -1;
	struct vc_store s;
	struct vc_record r;
	struct np_err e = { 0 };
	if (vc_store_open(&s, cache_root(c), false, &e) < 0)
		return cni_fail(ce, CNI_ERR_INTERNAL, "vif-cache: %s", e.msg);
	int rc = vc_store_read(&s, c->vm.namespace_, c->vm.name, env->ifname, &r, &e);
	vc_store_close(&s);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return cni_fail(ce, CNI_ERR_INTERNAL,
				"vif-cache record of %s/%s/%s is damaged (%s); run 'vifcache repair' first",
				c->vm.namespace_, c->vm.name, env->ifname, e.msg);
	if (!c->has_mac && r.has_mac) {
		memcpy(c->mac, r.mac, NP_MAC_LEN);
		c->has_mac = true;
		c->mac_source = "vif-cache record";
	}
	if (c->n_ips == 0 && r.n_ips > 0 && c->ipam_type) {
		for (int i = 0; i < r.n_ips && i < CNI_MAX_IPS; i++)
			c->ips[c->n_ips++] = r.ips[i];
		c->ips_source = "vif-cache record";
	}
	return 0;
}

static enum vc_binding binding_of(const struct cni_conf *c)
{
	if (!strcmp(c->type, "mignet-macvlan"))
		return VC_MACVLAN;
	if (!strcmp(c->type, "mignet-sriov"))
		return VC_SRIOV;
	return VC_BRIDGE;
}

static void fill_sriov(const struct cni_conf *c, struct vc_record *r)
{
	const cJSON *root = c->root;
	const cJSON *sys = cJSON_GetObjectItemCaseSensitive(root, "sysfsRoot");
	const cJSON *vlan = cJSON_GetObjectItemCaseSensitive(root, "vlan");
	const cJSON *spoof = cJSON_GetObjectItemCaseSensitive(root, "spoofchk");
	const cJSON *trust = cJSON_GetObjectItemCaseSensitive(root, "trust");
	const cJSON *dev = cJSON_GetObjectItemCaseSensitive(root, "deviceID");
	const char *pci = c->device_id ? c->device_id : cJSON_IsString(dev) ? dev->valuestring : NULL;
	struct np_vf_ref ref;
	if (!pci || np_vf_lookup(cJSON_IsString(sys) ? sys->valuestring : "/sys", pci, &ref, NULL) < 0)
		return;
	r->has_sriov = true;
	snprintf(r->sriov.pf, sizeof(r->sriov.pf), "%s", ref.pf_ifname);
	r->sriov.vf = ref.vf;
	memcpy(r->sriov.pci, ref.pci, sizeof(r->sriov.pci));
	memcpy(r->sriov.vf_mac, r->mac, NP_MAC_LEN);
	r->sriov.vlan = cJSON_IsNumber(vlan) ? (unsigned)vlan->valueint : 0;
	r->sriov.spoofchk = cJSON_IsString(spoof) && !strcmp(spoof->valuestring, "on");
	r->sriov.trust = cJSON_IsString(trust) && !strcmp(trust->valuestring, "on");
}

int vifhook_record(const struct cni_conf *c, const struct cni_env *env,
		   const struct cni_result *res, struct cni_error *ce)
{
	if (!is_vm(c))
		return 0;
	if (check_key(c, env, ce) < 0)
		return -1;
	struct vc_record r = { .schema = VC_SCHEMA, .state = VC_FINISHED, .binding = binding_of(c) };
	snprintf(r.ns, sizeof(r.ns), "%s", c->vm.namespace_);
	snprintf(r.vm, sizeof(r.vm), "%s", c->vm.name);
	snprintf(r.uid, sizeof(r.uid), "%s", c->vm.uid);
	snprintf(r.network, sizeof(r.network), "%s", c->name);
	snprintf(r.pod_iface, sizeof(r.pod_iface), "%s", env->ifname);
	int idx = -1;
	for (int i = 0; i < res->n_ifaces; i++)
		if (!strcmp(res->ifaces[i].name, env->ifname) && res->ifaces[i].sandbox[0])
			idx = i;
	if (idx >= 0 && np_mac_parse(res->ifaces[idx].mac, false, r.mac, NULL) == 0)
		r.has_mac = true;
	if (idx >= 0)
		r.mtu = res->ifaces[idx].mtu;
	for (int i = 0; i < res->n_ips && r.n_ips < VC_MAX_IPS; i++) {
		if (res->ips[i].iface != idx)
			continue;
		r.ips[r.n_ips++] = res->ips[i].address;
		if (res->ips[i].has_gw && r.n_gws < VC_MAX_GWS)
			r.gws[r.n_gws++] = res->ips[i].gw;
	}
	for (int i = 0; i < res->n_routes && r.n_routes < VC_MAX_ROUTES; i++) {
		struct vc_route *rt = &r.routes[r.n_routes++];
		rt->dst = res->routes[i].dst;
		rt->has_gw = res->routes[i].has_gw;
		rt->gw = res->routes[i].gw;
		for (int k = 0; !rt->has_gw && k < r.n_gws; k++)
			if (r.gws[k].family == rt->dst.ip.family) {
				rt->gw = r.gws[k];
				rt->has_gw = true;
			}
	}
	const cJSON *br = cJSON_GetObjectItemCaseSensitive(c->root, "bridge");
	const cJSON *vlan = cJSON_GetObjectItemCaseSensitive(c->root, "vlan");
	if (r.binding == VC_BRIDGE) {
		snprintf(r.bridge, sizeof(r.bridge), "%s", cJSON_IsString(br) ? br->valuestring : "cni0");
		r.vlan = cJSON_IsNumber(vlan) ? (unsigned)vlan->valueint : 0;
	}
	if (r.binding == VC_SRIOV)
		fill_sriov(c, &r);
	snprintf(r.owner.container_id, sizeof(r.owner.container_id), "%s", env->container_id);
	snprintf(r.owner.pod_uid, sizeof(r.owner.pod_uid), "%s", c->pod.uid);
	struct stat st;
	if (env->netns && stat(env->netns, &st) == 0)
		r.owner.netns_inode = (unsigned long long)st.st_ino;

	struct vc_store s;
	struct vc_record old;
	struct np_err e = { 0 };
	if (vc_store_open(&s, cache_root(c), true, &e) < 0)
		return cni_fail(ce, CNI_ERR_INTERNAL, "vif-cache: %s", e.msg);
	r.created = r.updated = (long long)time(NULL);
	if (vc_store_read(&s, r.ns, r.vm, r.pod_iface, &old, NULL) == 0)
		r.created = old.created;
	int rc = vc_store_write(&s, &r, &e);
	if (rc == 0 && r.binding == VC_BRIDGE)
		rc = vc_store_write_kubevirt(&s, &r, &e);
	vc_store_close(&s);
	return rc < 0 ? cni_fail(ce, CNI_ERR_INTERNAL, "vif-cache: %s", e.msg) : 0;
}

int vifhook_forget(const struct cni_conf *c, const struct cni_env *env, struct cni_error *ce)
{
	if (!is_vm(c))
		return 0;
	if (check_key(c, env, ce) < 0)
		return -1;
	struct vc_store s;
	struct vc_record r;
	struct np_err e = { 0 };
	if (vc_store_open(&s, cache_root(c), true, &e) < 0)
		return cni_fail(ce, CNI_ERR_INTERNAL, "vif-cache: %s", e.msg);
	int rc = vc_store_read(&s, c->vm.namespace_, c->vm.name, env->ifname, &r, &e);
	/* another pod's record (an imported one, the other side of a
	 * migration) is not this DEL's to remove; with no record (an ADD
	 * that failed), only directories left empty go */
	if (rc == 0 && !strcmp(r.owner.container_id, env->container_id))
		rc = vc_store_remove(&s, r.ns, r.vm, r.pod_iface, &e);
	else
		rc = vc_store_prune(&s, c->vm.namespace_, c->vm.name, &e);
	vc_store_close(&s);
	return rc < 0 ? cni_fail(ce, CNI_ERR_INTERNAL, "vif-cache: %s", e.msg) : 0;
}

struct gc_ctx {
	struct vc_store *s;
	const cJSON *valid;
	int failed;
};

static int gc_cb(const struct vc_entry *en, void *arg)
{
	struct gc_ctx *g = arg;
	if (!en->r || !en->r->owner.container_id[0])
		return 0;
	const cJSON *a;
	cJSON_ArrayForEach(a, g->valid) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(a, "containerID");
		const cJSON *ifn = cJSON_GetObjectItemCaseSensitive(a, "ifname");
		if (cJSON_IsString(id) && cJSON_IsString(ifn) && !strcmp(id->valuestring, en->r->owner.container_id) &&
		    !strcmp(ifn->valuestring, en->pod_iface))
			return 0;
	}
	if (vc_store_remove(g->s, en->ns, en->vm, en->pod_iface, NULL) < 0)
		g->failed++;
	return 0;
}

int vifhook_gc(const struct cni_conf *c, struct cni_error *ce)
{
	const cJSON *valid = cJSON_GetObjectItemCaseSensitive(c->root, "cni.dev/valid-attachments");
	if (!valid)
		valid = cJSON_GetObjectItemCaseSensitive(c->root, "cni.dev/attachments");
	if (!cJSON_IsArray(valid))
		return 0;
	struct vc_store s;
	struct np_err e = { 0 };
	if (vc_store_open(&s, cache_root(c), false, &e) < 0 || s.rootfd < 0) {
		bool none = s.rootfd < 0 && !e.code;
		vc_store_close(&s);
		return none ? 0 : cni_fail(ce, CNI_ERR_INTERNAL, "vif-cache: %s", e.msg);
	}
	vc_store_close(&s);
	if (vc_store_open(&s, cache_root(c), true, &e) < 0)
		return cni_fail(ce, CNI_ERR_INTERNAL, "vif-cache: %s", e.msg);
	struct gc_ctx g = { &s, valid, 0 };
	int rc = vc_store_walk(&s, NULL, NULL, gc_cb, &g, &e);
	vc_store_close(&s);
	if (rc < 0 || g.failed)
		return cni_fail(ce, CNI_ERR_INTERNAL, "vif-cache GC: %s", rc < 0 ? e.msg : "some records could not be removed");
	return 0;
}
