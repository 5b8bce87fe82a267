/* sriov (VMs): the VF named by runtimeConfig.deviceID is configured on its
 * PF (MAC, VLAN, spoofchk, trust, link state) and stays bound to vfio-pci;
 * no netdev is moved. Keys follow sriov-cni. The VF's settings before ADD
 * are saved and restored on DEL. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic_file.h"
#include "json_strict.h"
#include "attach.h"
#include "ipam.h"
#include "kind.h"
#include "names.h"
#include "sriov.h"

#define SRIOV_DEFAULT_DATA_DIR "/var/lib/cni/mignet-sriov"
#define SRIOV_STATE_MAX 4096

struct sriov_conf {
	const char *device_id;
	const char *sysfs_root;
	const char *data_dir;
	struct np_vf_config want;
};

static int on_off(const cJSON *root, const char *key, bool *has, bool *val,
		  struct cni_error *ce)
{
	const char *s;
	if (cni_json_str(root, "sriov", key, false, &s, ce) < 0)
		return -1;
	if (!s)
		return 0;
	char q[NP_QUOTE_MAX];
	if (strcmp(s, "on") && strcmp(s, "off"))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "sriov: \"%s\" is \"%s\"; use \"on\" or \"off\"", key,
				np_quote(s, q, sizeof(q)));
	*has = true;
	*val = !strcmp(s, "on");
	return 0;
}

static int sriov_parse(struct cni_ctx *ctx, struct cni_error *ce)
{
	struct sriov_conf *s = ctx->kind_conf;
	const cJSON *root = ctx->conf->root;
	const char *ls = NULL, *dev = NULL;
	unsigned long vlan = 0, qos = 0;
	bool has_vlan = cJSON_GetObjectItemCaseSensitive(root, "vlan") != NULL;
	if (cni_json_str(root, "sriov", "sysfsRoot", false, &s->sysfs_root, ce) < 0 ||
	    cni_json_str(root, "sriov", "dataDir", false, &s->data_dir, ce) < 0 ||
	    cni_json_str(root, "sriov", "deviceID", false, &dev, ce) < 0 ||
	    cni_json_uint(root, "sriov", "vlan", 0, 4094, &vlan, ce) < 0 ||
	    cni_json_uint(root, "sriov", "vlanQoS", 0, 7, &qos, ce) < 0 ||
	    on_off(root, "spoofchk", &s->want.has_spoofchk, &s->want.spoofchk, ce) < 0 ||
	    on_off(root, "trust", &s->want.has_trust, &s->want.trust, ce) < 0 ||
	    cni_json_str(root, "sriov", "link_state", false, &ls, ce) < 0 ||
	    cni_conf_check_dir(s->data_dir, "sriov", "dataDir", ce) < 0 ||
	    cni_conf_check_dir(s->sysfs_root, "sriov", "sysfsRoot", ce) < 0)
		return -1;
	/* runtimeConfig.deviceID (from the device plugin via Multus) wins */
	s->device_id = ctx->conf->device_id ? ctx->conf->device_id : dev;
	struct np_err pe = { 0 };
	/* it becomes a sysfs path: checked before anything reads it */
	if (s->device_id && np_pci_addr_valid(s->device_id, &pe) < 0)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "sriov \"deviceID\"%s: %s",
				ctx->conf->device_id ? " (runtimeConfig)" : "", pe.msg);
	if (!s->sysfs_root)
		s->sysfs_root = "/sys";
	if (!s->data_dir)
		s->data_dir = SRIOV_DEFAULT_DATA_DIR;
	s->want.has_vlan = has_vlan || qos;
	s->want.vlan = (uint16_t)vlan;
	s->want.qos = (uint8_t)qos;
	if (qos && !vlan)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "sriov: \"vlanQoS\" needs a non-zero \"vlan\"");
	if (ls) {
		static const char *const names[] = { "auto", "enable", "disable" };
		s->want.has_link_state = true;
		size_t i;
		for (i = 0; i < 3 && strcmp(ls, names[i]); i++)
			;
		char q[NP_QUOTE_MAX];
		if (i == 3)
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG,
					"sriov: \"link_state\" is \"%s\"; use auto, enable or disable",
					np_quote(ls, q, sizeof(q)));
		s->want.link_state = (enum np_vf_link_state)i;
	}
	if (ctx->conf->has_mac) {
		s->want.has_mac = true;
		memcpy(s->want.mac, ctx->conf->mac, NP_MAC_LEN);
	}
	return 0;
}

/* ---- saved VF state: <dataDir>/<containerID>@<ifname> ----------------- */

static int state_dir(const struct sriov_conf *s, struct cni_error *ce)
{
	struct np_err e = { 0 };
	int fd = np_dir_open_chain(s->data_dir, &e);
	if (fd < 0)
		return cni_fail(ce, CNI_ERR_INTERNAL, "sriov state dir: %s", e.msg);
	return fd;
}

static void state_name(const struct cni_env *env, char *buf, size_t len)
{
	np_owner_filename(env->container_id, env->ifname, buf, len);
}

static cJSON *vf_json(const struct np_vf_config *c)
{
	char mac[NP_MAC_STRLEN];
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "mac", np_mac_str(c->mac, mac, sizeof(mac)));
	cJSON_AddNumberToObject(o, "vlan", c->vlan);
	cJSON_AddNumberToObject(o, "qos", c->qos);
	cJSON_AddBoolToObject(o, "spoofchk", c->spoofchk);
	cJSON_AddBoolToObject(o, "trust", c->trust);
	cJSON_AddNumberToObject(o, "link_state", c->link_state);
	return o;
}

static int save_state(int dirfd, const struct cni_env *env, const struct np_vf_ref *ref,
		      const struct np_vf_config *orig, struct cni_error *ce)
{
	char name[300];
	struct np_err e = { 0 };
	state_name(env, name, sizeof(name));
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "pci", ref->pci);
	cJSON_AddStringToObject(o, "pf", ref->pf_ifname);
	cJSON_AddNumberToObject(o, "vf", ref->vf);
	cJSON_AddItemToObject(o, "original", vf_json(orig));
	char *txt = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	int rc = txt ? np_atomic_write(dirfd, name, txt, strlen(txt), 0600, NP_ATOMIC_DURABLE, &e) : -ENOMEM;
	cJSON_free(txt);
	return rc < 0 ? cni_fail(ce, CNI_ERR_INTERNAL, "sriov: saving VF state: %s", e.msg) : 0;
}

/* The state file is trusted no more than any input: every field is
 * checked before it reaches the kernel. */
static int load_state(int dirfd, const struct cni_env *env, char *pf, int *vf,
		      struct np_vf_config *orig, struct cni_error *ce)
{
	char name[300], *txt = NULL;
	size_t len;
	struct np_err e = { 0 };
	state_name(env, name, sizeof(name));
	int rc = np_file_read(dirfd, name, SRIOV_STATE_MAX, &txt, &len, &e);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return cni_fail(ce, CNI_ERR_INTERNAL, "sriov state %s: %s", name, e.msg);
	cJSON *o = np_json_parse_strict(txt, len, name, NULL);
	free(txt);
	const cJSON *jo = cJSON_GetObjectItemCaseSensitive(o, "original");
	const char *jpf = NULL, *jmac = NULL;
	unsigned long jvf = 0, vlan = 0, qos = 0, lst = 0;
	bool spoof = true, trust = false;
	struct cni_error pe = { 0 };
	rc = (!cJSON_IsObject(o) ||
	      cni_json_str(o, "state", "pf", true, &jpf, &pe) < 0 ||
	      np_valid_ifname(jpf, "state pf", NULL) < 0 ||
	      cni_json_uint(o, "state", "vf", 0, 4095, &jvf, &pe) < 0 ||
	      cni_json_str(jo, "state", "mac", true, &jmac, &pe) < 0 ||
	      np_mac_parse(jmac, false, orig->mac, NULL) < 0 ||
	      cni_json_uint(jo, "state", "vlan", 0, 4094, &vlan, &pe) < 0 ||
	      cni_json_uint(jo, "state", "qos", 0, 7, &qos, &pe) < 0 ||
	      cni_json_uint(jo, "state", "link_state", 0, 2, &lst, &pe) < 0 ||
	      cni_json_bool(jo, "state", "spoofchk", &spoof, &pe) < 0 ||
	      cni_json_bool(jo, "state", "trust", &trust, &pe) < 0) ? -1 : 1;
	if (rc > 0) {
		snprintf(pf, IFNAMSIZ, "%s", jpf);
		*vf = (int)jvf;
		orig->has_mac = orig->has_vlan = orig->has_spoofchk = orig->has_trust = orig->has_link_state = true;
		orig->vlan = (uint16_t)vlan;
		orig->qos = (uint8_t)qos;
		orig->spoofchk = spoof;
		orig->trust = trust;
		orig->link_state = (enum np_vf_link_state)lst;
	}
	cJSON_Delete(o);
	if (rc < 0)
		return cni_fail(ce, CNI_ERR_INTERNAL, "sriov state %s/%s is damaged (%s); restore the VF by hand",
				"dataDir", name, pe.msg[0] ? pe.msg : "bad field");
	return 1;
}

/* ---- commands ----------------------------------------------------------- */

struct sriov_run {
	struct np_vf_ref ref;
	struct np_vf_config orig;
	bool vf_changed, saved;
};

/* The VF gets the configured settings; the guest sets its IPs itself, so
 * IPAM's are reported, not set (report_only). */
static int sriov_create(struct attach_run *ar, struct cni_result *res, struct cni_error *ce)
{
	const struct sriov_conf *s = ar->ctx->kind_conf;
	const struct cni_env *env = ar->ctx->env;
	struct sriov_run *r = ar->state;
	struct np_err e = { 0 };
	ar->report_only = true;
	if (!s->device_id)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG,
				"sriov: no \"deviceID\" (declare capability deviceID so Multus passes runtimeConfig.deviceID)");
	if (np_vf_lookup(s->sysfs_root, s->device_id, &r->ref, &e) < 0)
		return cni_fail_np(ce, CNI_ERR_INVALID_CONFIG, &e);
	if (np_vf_get(ar->s.host, r->ref.pf_ifname, r->ref.vf, &r->orig, &e) < 0)
		return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	int dirfd = state_dir(s, ce);
	if (dirfd < 0)
		return -1;
	int rc = save_state(dirfd, env, &r->ref, &r->orig, ce);
	close(dirfd);
	if (rc < 0)
		return -1;
	r->saved = r->vf_changed = true;
	if (np_vf_set(ar->s.host, r->ref.pf_ifname, r->ref.vf, &s->want, &e) < 0)
		return cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	int idx = cni_result_add_iface(res, env->ifname, s->want.has_mac ? s->want.mac : r->orig.mac,
				       env->netns);
	if (idx < 0)
		return cni_fail(ce, CNI_ERR_INTERNAL, "result has too many interfaces");
	snprintf(res->ifaces[idx].pci_id, sizeof(res->ifaces[idx].pci_id), "%s", r->ref.pci);
	return idx;
}

static void sriov_undo(struct attach_run *ar)
{
	const struct sriov_conf *s = ar->ctx->kind_conf;
	struct sriov_run *r = ar->state;
	if (r->vf_changed)
		np_vf_set(ar->s.host, r->ref.pf_ifname, r->ref.vf, &r->orig, NULL);
	struct cni_error ignore = { 0 };
	int dirfd = r->saved ? state_dir(s, &ignore) : -1;
	if (dirfd >= 0) {
		char name[300];
		state_name(ar->ctx->env, name, sizeof(name));
		unlinkat(dirfd, name, 0);
		close(dirfd);
	}
}

/* The VF's settings from before ADD come back. */
static int restore_vf(const struct cni_ctx *ctx, struct cni_error *ce)
{
	const struct sriov_conf *s = ctx->kind_conf;
	int dirfd = state_dir(s, ce);
	if (dirfd < 0)
		return -1;
	char pf[IFNAMSIZ], name[300];
	int vf = 0;
	struct np_vf_config orig = { 0 };
	int rc = load_state(dirfd, ctx->env, pf, &vf, &orig, ce);
	if (rc > 0) {
		struct np_nl *nl = np_nl_alloc();
		struct np_err e = { 0 };
		rc = nl ? np_nl_open(nl, NULL, &e) : -ENOMEM;
		if (rc == 0)
			rc = np_vf_set(nl, pf, vf, &orig, &e);
		if (nl)
			np_nl_close(nl);
		free(nl);
		/* A PF that is gone took its VFs with it: nothing to restore. */
		if (rc == -ENODEV)
			rc = 0;
		if (rc < 0)
			cni_fail_np(ce, CNI_ERR_INTERNAL, &e);
	}
	if (rc >= 0) {
		state_name(ctx->env, name, sizeof(name));
		unlinkat(dirfd, name, 0);
		np_atomic_cleanup(dirfd, name);
	}
	close(dirfd);
	return rc < 0 ? -1 : 0;
}

/* As attach_del: what mignet changed first, then the release, each run
 * whatever the other did. */
static int sriov_del(const struct cni_ctx *ctx, struct cni_error *ce)
{
	struct cni_error vf_err = { 0 }, ipam_err = { 0 };
	int rc = restore_vf(ctx, &vf_err);
	int irc = attach_release_ipam(ctx, &ipam_err);
	if (rc < 0 || irc < 0) {
		*ce = rc < 0 ? vf_err : ipam_err;
		return -1;
	}
	return 0;
}

static int sriov_check(struct cni_ctx *ctx, const struct cni_result *prev,
		       struct cni_error *ce)
{
	(void)prev;
	const struct sriov_conf *s = ctx->kind_conf;
	struct np_err e = { 0 };
	struct np_vf_ref ref;
	struct np_vf_config cur;
	if (!s->device_id || np_vf_lookup(s->sysfs_root, s->device_id, &ref, &e) < 0)
		return cni_fail(ce, CNI_ERR_INTERNAL, "CHECK: %s", e.msg[0] ? e.msg : "no deviceID");
	struct np_nl *nl = np_nl_alloc();
	int rc = nl ? np_nl_open(nl, NULL, &e) : -ENOMEM;
	if (rc == 0)
		rc = np_vf_get(nl, ref.pf_ifname, ref.vf, &cur, &e);
	if (nl)
		np_nl_close(nl);
	free(nl);
	if (rc < 0)
		return cni_fail(ce, CNI_ERR_INTERNAL, "CHECK: %s", e.msg);
	const struct np_vf_config *w = &s->want;
	if ((w->has_mac && memcmp(w->mac, cur.mac, NP_MAC_LEN)) ||
	    (w->has_vlan && (w->vlan != cur.vlan || w->qos != cur.qos)) ||
	    (w->has_spoofchk && w->spoofchk != cur.spoofchk) ||
	    (w->has_trust && w->trust != cur.trust))
		return cni_fail(ce, CNI_ERR_INTERNAL, "CHECK: VF %d on %s no longer has the configured MAC/VLAN/spoofchk/trust",
				ref.vf, ref.pf_ifname);
	return 0;
}

static int sriov_status(struct cni_ctx *ctx, struct cni_error *ce)
{
	const struct sriov_conf *s = ctx->kind_conf;
	int fd = state_dir(s, ce);
	if (fd < 0) {
		ce->code = CNI_ERR_NOT_AVAILABLE;
		return -1;
	}
	close(fd);
	return 0;
}

const struct cni_kind kind_sriov = {
	.type = "mignet-sriov",
	.conf_size = sizeof(struct sriov_conf),
	.run_size = sizeof(struct sriov_run),
	.parse = sriov_parse,
	.create = sriov_create,
	.undo = sriov_undo,
	.del = sriov_del,
	.check = sriov_check,
	.status = sriov_status,
};
