/* The checks of KubeVirt's caches for one VM interface. */
#include "kvcheck.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsoncheck.h"
#include "kubevirt.h"
#include "kvfile.h"

static const char *const kind_names[] = {
	[VC_KVF_MISSING] = "missing",
	[VC_KVF_NOT_REGULAR] = "not-regular",
	[VC_KVF_TORN] = "torn",
	[VC_KVF_PERM] = "unreadable-by-launcher",
	[VC_KVF_MAC] = "wrong-mac",
	[VC_KVF_IP] = "wrong-ip",
	[VC_KVF_IPAM] = "ipam-disabled-mismatch",
	[VC_KVS_STALE_FINISHED] = "stale-finished",
	[VC_KVS_STARTED] = "started",
	[VC_KVS_UNKNOWN] = "unknown-state",
	[VC_KVS_TORN] = "torn-state",
	[VC_KVS_NOT_REGULAR] = "state-not-regular",
	[VC_KV_NOT_BRIDGE] = "not-bridge",
	[VC_KV_NO_PRIVATE_DIR] = "no-private-dir",
	[VC_KV_NO_IFACE] = "no-interface",
};

const char *vc_kvkind_name(enum vc_kvkind k)
{
	return kind_names[k];
}

__attribute__((format(printf, 4, 5)))
static void add(struct vc_kvcheck *c, enum vc_kvkind kind, const char *file, const char *fmt, ...)
{
	if (c->n == VC_KV_MAX_FINDINGS)
		return;
	struct vc_kvfinding *f = &c->f[c->n++];
	f->kind = kind;
	f->file = file;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->text, sizeof(f->text), fmt, ap);
	va_end(ap);
}

bool vc_kvcheck_has(const struct vc_kvcheck *c, enum vc_kvkind k)
{
	for (int i = 0; i < c->n; i++)
		if (c->f[i].kind == k)
			return true;
	return false;
}

bool vc_kvcheck_file_needs_write(const struct vc_kvcheck *c)
{
	for (int i = 0; i < c->n; i++)
		if (c->f[i].kind <= VC_KVF_IPAM)
			return true;
	return false;
}

bool vc_kvcheck_state_needs_reset(const struct vc_kvcheck *c)
{
	for (int i = 0; i < c->n; i++)
		if (c->f[i].kind >= VC_KVS_STALE_FINISHED && c->f[i].kind <= VC_KVS_TORN)
			return true;
	return false;
}

int vc_kvcheck_exit(const struct vc_kvcheck *c)
{
	if (!c->n)
		return 0;
	for (int i = 0; i < c->n; i++)
		switch (c->f[i].kind) {
		case VC_KVF_MISSING: case VC_KVF_NOT_REGULAR: case VC_KVF_TORN:
		case VC_KV_NO_PRIVATE_DIR: case VC_KV_NO_IFACE:
			return 4;
		default:
			break;
		}
	return 3;
}

/* The launcher runs as the qemu user (107), which must be able to read
 * the file: KubeVirt writes it 0604 and chowns it to 107:107. */
static bool launcher_can_read(const struct stat *st, unsigned int uid, unsigned int gid)
{
	if (st->st_uid == uid)
		return st->st_mode & S_IRUSR;
	if (st->st_gid == gid)
		return st->st_mode & S_IRGRP;
	return st->st_mode & S_IROTH;
}

static void check_file(struct vc_kvcheck *c)
{
	const char *path = c->vif_path;
	struct np_err e = { 0 };
	c->privfd = vc_kvpod_open_dir(c->pod, VC_KV_PRIVATE_DIR, &e);
	if (c->privfd < 0) {
		c->file_rc = c->privfd;
		add(c, c->privfd == -ENOENT ? VC_KVF_MISSING : VC_KV_NO_PRIVATE_DIR, path, "%s", e.msg);
		return;
	}
	char *text;
	size_t len;
	c->file_rc = vc_kvfile_read(c->privfd, c->vif_name, VC_KUBEVIRT_MAX, &text, &len, &c->file_st, &e);
	if (c->file_rc == -ENOENT) {
		add(c, VC_KVF_MISSING, path,
		    "missing: virt-launcher's phase 2 fails on it (\"no such file or directory\")");
		return;
	}
	if (c->file_rc == -ELOOP || c->file_rc == -ENXIO || c->file_rc == -EINVAL) {
		add(c, VC_KVF_NOT_REGULAR, path, "not a regular file (%s)",
		    c->file_rc == -ELOOP ? "a symlink, not followed" : "a directory, FIFO or device");
		return;
	}
	if (c->file_rc < 0) {
		add(c, VC_KVF_TORN, path, "unreadable: %s", e.msg);
		return;
	}
	memset(&c->file, 0, sizeof(c->file));
	/* what Go's decoder refuses and cJSON takes (raw control bytes in
	 * strings, "+1", "02") is as torn to virt-launcher */
	if (!vc_json_valid(text, len, NULL, NULL, NULL))
		c->file_rc = np_errmsg(&e, -EBADMSG, "not valid JSON");
	else
		c->file_rc = vc_kubevirt_parse(text, len, &c->file, &c->file_ipam_disabled, &e);
	free(text);
	if (c->file_rc < 0) {
		add(c, VC_KVF_TORN, path, "torn or invalid (virt-launcher cannot read it): %s", e.msg);
		return;
	}
	if (!launcher_can_read(&c->file_st, c->kv_uid, c->kv_gid))
		add(c, VC_KVF_PERM, path, "mode %04o, owner %u:%u: the launcher (uid %u) cannot read it",
		    (unsigned)(c->file_st.st_mode & 07777), (unsigned)c->file_st.st_uid,
		    (unsigned)c->file_st.st_gid, c->kv_uid);
}

static void check_content(struct vc_kvcheck *c)
{
	const char *path = c->vif_path;
	const struct vc_kvpodnet *pn = &c->podnet;
	char a[NP_PREFIX_STRLEN], b[NP_PREFIX_STRLEN];
	if (c->file_ipam_disabled) {
		/* KubeVirt then writes no MAC either: nothing else to compare */
		if (pn->has_v4)
			add(c, VC_KVF_IPAM, path, "says IPAMDisabled, but %s has IPv4 %s: the guest would get no "
			    "address by DHCP", c->iface, np_prefix_str(&pn->v4, a, sizeof(a)));
		return;
	}
	if (!pn->has_v4) {
		add(c, VC_KVF_IPAM, path, "offers an address, but %s has no global IPv4 (KubeVirt would write "
		    "IPAMDisabled)", c->iface);
	} else if (c->file.n_ips == 0) {
		add(c, VC_KVF_IP, path, "has no IP; %s has %s", c->iface, np_prefix_str(&pn->v4, a, sizeof(a)));
	} else if (!np_ip_equal(&c->file.ips[0].ip, &pn->v4.ip) || c->file.ips[0].len != pn->v4.len) {
		add(c, VC_KVF_IP, path, "IP %s, but %s has %s", np_prefix_str(&c->file.ips[0], a, sizeof(a)),
		    c->iface, np_prefix_str(&pn->v4, b, sizeof(b)));
	}
	if (!c->has_mac)
		return;
	if (!c->file.has_mac)
		add(c, VC_KVF_MAC, path, "has no MAC; the VM's is %s", np_mac_str(c->mac, a, sizeof(a)));
	else if (memcmp(c->file.mac, c->mac, NP_MAC_LEN))
		add(c, VC_KVF_MAC, path, "MAC %s, but the VM's is %s: the DHCP server would not answer the guest",
		    np_mac_str(c->file.mac, a, sizeof(a)), np_mac_str(c->mac, b, sizeof(b)));
}

static int check_entry(struct vc_kvcheck *c, struct np_err *e)
{
	struct vc_kventry *en = &c->entry;
	const char *path = en->path;
	int rc = vc_kventry_open(en, c->handler_root, c->vmi_uid, c->network, e);
	c->has_entry = true;
	if (rc < 0) {
		add(c, VC_KVS_NOT_REGULAR, path, "%s", e->msg);
		np_err_clear(e);
		return 0;
	}
	if (en->rc == -ENOENT)
		return 0; /* pending, as KubeVirt reads it */
	if (en->rc < 0) {
		add(c, en->rc == -EFBIG ? VC_KVS_TORN : VC_KVS_NOT_REGULAR, path, "%s", en->err);
		return 0;
	}
	struct np_err pe = { 0 };
	c->state_rc = vc_kvstate_parse(en->text, en->len, &c->state, &pe);
	if (c->state_rc < 0) {
		add(c, VC_KVS_TORN, path, "torn: %s; virt-handler fails to read it, so phase 1 fails on every "
		    "attempt", pe.msg);
		return 0;
	}
	if (c->state.binding[0] && strcmp(c->state.binding, "bridge")) {
		add(c, VC_KV_NOT_BRIDGE, path, "network %s is bound by %s, not bridge: KubeVirt keeps no vif-cache "
		    "file for it", c->network, c->state.binding);
		return 0;
	}
	long long s = c->state.state;
	if (s == VC_KV_FINISHED && c->file_rc == -ENOENT)
		add(c, VC_KVS_STALE_FINISHED, path,
		    "stale Finished network state (KubeVirt #18087): phase 1 never ran for launcher %d, so "
		    "virt-handler skips it and never writes %s", c->pod->pid, c->vif_name);
	else if (s == VC_KV_STARTED)
		add(c, VC_KVS_STARTED, path, "state Started: phase 1 was interrupted, and virt-handler refuses to "
		    "restart it (\"cannot be restarted\")");
	else if (s != VC_KV_PENDING && s != VC_KV_FINISHED)
		add(c, VC_KVS_UNKNOWN, path, "networkState %lld is no state KubeVirt knows: it neither prepares "
		    "nor skips the network", s);
	return 0;
}

int vc_kvcheck_run(struct vc_kvcheck *c, struct np_err *e)
{
	c->n = 0;
	c->privfd = -1;
	c->entry.dirfd = -1;
	vc_kubevirt_filename(c->iface, c->vif_name, sizeof(c->vif_name));
	snprintf(c->vif_path, sizeof(c->vif_path), "%s/%s/%s", c->pod->shown_root, VC_KV_PRIVATE_DIR,
		 c->vif_name);
	check_file(c);
	struct np_err le = { 0 };
	c->iface_rc = vc_kvpodnet_read(c->pod->netns_path, c->iface, &c->podnet, &le);
	if (c->iface_rc == -ENODEV)
		add(c, VC_KV_NO_IFACE, c->pod->shown_root, "launcher %d has no interface %s in its network "
		    "namespace", c->pod->pid, c->iface);
	else if (c->iface_rc < 0)
		return np_errmsg(e, c->iface_rc, "launcher %d: %s", c->pod->pid, le.msg);
	else if (c->file_rc == 0)
		check_content(c);
	if (c->handler_root && c->vmi_uid && c->network)
		return check_entry(c, e);
	return 0;
}

void vc_kvcheck_free(struct vc_kvcheck *c)
{
	if (c->privfd >= 0)
		close(c->privfd);
	c->privfd = -1;
	if (c->has_entry)
		vc_kventry_close(&c->entry);
	c->has_entry = false;
}

void vc_kvcheck_move(struct vc_kvcheck *dst, struct vc_kvcheck *src)
{
	*dst = *src;
	/* findings name their files by pointer into the check itself */
	for (int i = 0; i < dst->n; i++) {
		if (dst->f[i].file == src->vif_path)
			dst->f[i].file = dst->vif_path;
		else if (dst->f[i].file == src->entry.path)
			dst->f[i].file = dst->entry.path;
	}
	src->privfd = -1;
	src->has_entry = false;
	src->entry.dirfd = -1;
	src->entry.text = NULL;
	src->n = 0;
}
