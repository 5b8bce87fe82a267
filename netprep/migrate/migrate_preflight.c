#include "migrate_preflight.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <libvirt/virterror.h>

#include "atomic_file.h"
#include "json_strict.h"
#include "vc_store.h"

#define INVENTORY_MAX (1 << 20)

void mig_refuse(struct mig_status *st, const char *fmt, ...)
{
	if (st->n_refusals == sizeof(st->refusals) / sizeof(*st->refusals))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->refusals[st->n_refusals++], sizeof(*st->refusals), fmt, ap);
	va_end(ap);
}

const char *mig_virt_msg(void)
{
	virErrorPtr err = virGetLastError();
	return err && err->message ? err->message : "unknown libvirt error";
}

static void version_str(unsigned long v, char *buf, size_t len)
{
	snprintf(buf, len, "%lu.%lu.%lu", v / 1000000, v / 1000 % 1000, v % 1000);
}

void mig_check_version_skew(unsigned long src_lib, unsigned long dst_lib, unsigned long src_qemu,
			    unsigned long dst_qemu, struct mig_status *st)
{
	char a[32], b[32];
	if (dst_lib < src_lib) {
		version_str(dst_lib, a, sizeof(a)), version_str(src_lib, b, sizeof(b));
		mig_refuse(st, "version skew: target libvirt %s is older than source libvirt %s "
			   "(the stream would end in \"client socket is closed\")", a, b);
	}
	if (dst_qemu < src_qemu) {
		version_str(dst_qemu, a, sizeof(a)), version_str(src_qemu, b, sizeof(b));
		mig_refuse(st, "version skew: target QEMU %s is older than source QEMU %s "
			   "(the stream would end in \"client socket is closed\")", a, b);
	}
}

long mig_caps_qemu_uid(const char *caps, const char *virt_type)
{
	char tag[48];
	snprintf(tag, sizeof(tag), "<baselabel type='%s'>", virt_type);
	const char *dac = strstr(caps, "<model>dac</model>");
	const char *end = dac ? strstr(dac, "</secmodel>") : NULL;
	const char *l = dac ? strstr(dac, tag) : NULL;
	if (!l || (end && l > end))
		return -1;
	l += strlen(tag);
	if (*l == '+')
		l++;
	char *stop;
	errno = 0;
	long uid = strtol(l, &stop, 10);
	return errno || stop == l || *stop != ':' || uid < 0 ? -1 : uid;
}

void mig_check_userfaultfd(long qemu_uid, int uffd, const char *where, struct mig_status *st)
{
	if (qemu_uid == 0 || uffd == 1)
		return;
	char who[48];
	if (qemu_uid > 0)
		snprintf(who, sizeof(who), "uid %ld", qemu_uid);
	else
		snprintf(who, sizeof(who), "a uid the target does not report");
	if (uffd == 0)
		mig_refuse(st, "post-copy: the target's QEMU runs as %s and vm.unprivileged_userfaultfd is 0 (%s); "
			   "set \"sysctls\": {\"postCopy\": true} in the target's node.json and run netprep setup, "
			   "or migrate without post-copy", who, where);
	else
		mig_refuse(st, "post-copy: the target's QEMU runs as %s and vm.unprivileged_userfaultfd cannot be "
			   "read (%s)", who, where);
}

struct cache_walk {
	struct vc_store *tgt;
	struct mig_status *st;
	const char *tgt_root;
	int n;
};

static int check_twin(const struct vc_entry *en, void *arg)
{
	struct cache_walk *w = arg;
	struct vc_record twin;
	struct np_err e = { 0 };
	w->n++;
	if (!en->r) {
		mig_refuse(w->st, "vif-cache: the source's record %s/%s/%s is unreadable: %s; run vifcache repair "
			   "on the source first", en->ns, en->vm, en->pod_iface, en->err ? en->err->msg : "");
		return 0;
	}
	int rc = vc_store_read(w->tgt, en->ns, en->vm, en->pod_iface, &twin, &e);
	if (rc == -ENOENT)
		mig_refuse(w->st, "vif-cache: %s/%s/%s is not in the target's cache %s; run vifcache export %s/%s "
			   "on the source and vifcache import on the target", en->ns, en->vm, en->pod_iface,
			   w->tgt_root, en->ns, en->vm);
	else if (rc < 0)
		mig_refuse(w->st, "vif-cache: the target's record %s/%s/%s: %s", en->ns, en->vm, en->pod_iface, e.msg);
	else if (!vc_record_same_network_state(en->r, &twin))
		mig_refuse(w->st, "vif-cache: the target's record %s/%s/%s differs from the source's (MAC, "
			   "addresses or routes); export and import it again", en->ns, en->vm, en->pod_iface);
	np_err_clear(&e);
	return 0;
}

void mig_check_vif_cache(const char *src_root, const char *tgt_root, const char *ns,
			 const char *vm, struct mig_status *st)
{
	struct vc_store src, tgt;
	struct np_err e = { 0 };
	if (vc_store_open(&src, src_root, false, &e) < 0) {
		mig_refuse(st, "vif-cache: source cache %s: %s", src_root, e.msg);
		return;
	}
	if (vc_store_open(&tgt, tgt_root, false, &e) < 0) {
		mig_refuse(st, "vif-cache: target cache %s: %s", tgt_root, e.msg);
		vc_store_close(&src);
		return;
	}
	struct cache_walk w = { &tgt, st, tgt_root, 0 };
	if (vc_store_walk(&src, ns, vm, check_twin, &w, &e) < 0)
		mig_refuse(st, "vif-cache: source cache %s: %s", src_root, e.msg);
	else if (w.n == 0)
		mig_refuse(st, "vif-cache: the source's cache %s has no record of %s/%s: nothing to hand over "
			   "(a wrong --vm, or the VM was attached without mignet)", src_root, ns, vm);
	np_err_clear(&e);
	vc_store_close(&tgt);
	vc_store_close(&src);
}

static void check_versions(virConnectPtr src, virConnectPtr dst, struct mig_status *st)
{
	unsigned long sl = 0, dl = 0, sq = 0, dq = 0;
	if (virConnectGetLibVersion(src, &sl) < 0 || virConnectGetLibVersion(dst, &dl) < 0 ||
	    virConnectGetVersion(src, &sq) < 0 || virConnectGetVersion(dst, &dq) < 0) {
		mig_refuse(st, "versions: cannot read the libvirt/QEMU versions: %s", mig_virt_msg());
		return;
	}
	mig_check_version_skew(sl, dl, sq, dq, st);
}

/* A route lookup by the kernel (connect on a UDP socket sends nothing). */
static void check_reachable(const char *addr, unsigned port, struct mig_status *st)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET, v4->sin_port = htons(port), len = sizeof(*v4);
	} else if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6, v6->sin6_port = htons(port), len = sizeof(*v6);
	} else {
		mig_refuse(st, "target address %s: not an IPv4 or IPv6 address", addr);
		return;
	}
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) < 0)
		mig_refuse(st, "target address %s unreachable from this node: %s", addr, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* Devices that cannot move with the VM, as KubeVirt's LiveMigratable
 * condition lists them. SR-IOV VFs are detached and re-plugged by KubeVirt
 * around the move, so only non-network host devices refuse. */
static bool check_migratable(const char *xml, bool block, struct mig_status *st)
{
	bool sriov = strstr(xml, "<interface type='hostdev'");
	bool hostdev = strstr(xml, "<hostdev ");
	if (hostdev && !sriov)
		mig_refuse(st, "the domain has a host device that is not an SR-IOV interface; it cannot be live-migrated");
	if (!block && strstr(xml, "<disk type='file'") && !strstr(xml, "<shareable/>"))
		mig_refuse(st, "the domain has a local file disk; shared storage or --block is needed");
	return hostdev || sriov;
}

/* The target's vm.unprivileged_userfaultfd: from its inventory when one
 * is given, else this node's (nodes set up from one node.json agree, and
 * netprep compare reports when they do not). */
static int target_uffd(const struct mig_opts *o, char *where, size_t wlen)
{
	char *buf = NULL;
	size_t len;
	int v = -1;
	if (o->target_inventory) {
		snprintf(where, wlen, "from %s", o->target_inventory);
		if (np_file_read(AT_FDCWD, o->target_inventory, INVENTORY_MAX, &buf, &len, NULL) == 0) {
			cJSON *j = np_json_parse_strict(buf, len, o->target_inventory, NULL);
			const cJSON *u = cJSON_GetObjectItemCaseSensitive(j, "unprivilegedUserfaultfd");
			if (cJSON_IsNumber(u))
				v = u->valueint;
			cJSON_Delete(j);
		}
	} else {
		char path[512], val[16] = "";
		snprintf(path, sizeof(path), "%s/vm/unprivileged_userfaultfd", o->proc_sys);
		snprintf(where, wlen, "this node's %s; give --target-inventory for the target's own", path);
		if (np_file_read_into(AT_FDCWD, path, val, sizeof(val) - 1, &len, NULL) == 0) {
			val[len] = '\0';
			v = atoi(val);
		}
	}
	free(buf);
	return v;
}

static void check_postcopy(const struct mig_opts *o, virConnectPtr dst, const char *xml, struct mig_status *st)
{
	char *caps = virConnectGetCapabilities(dst);
	if (!caps) {
		mig_refuse(st, "post-copy: cannot read the target's capabilities: %s", mig_virt_msg());
		return;
	}
	const char *type = strstr(xml, "<domain type='kvm'") ? "kvm" : "qemu";
	long uid = mig_caps_qemu_uid(caps, type);
	free(caps);
	if (uid == 0)
		return;
	char where[640];
	int uffd = target_uffd(o, where, sizeof(where));
	mig_check_userfaultfd(uid, uffd, where, st);
}

bool mig_preflight(const struct mig_opts *o, virConnectPtr src, virConnectPtr dst,
		   virDomainPtr dom, struct mig_status *st)
{
	check_versions(src, dst, st);
	check_reachable(o->target_address, o->port, st);
	char *xml = virDomainGetXMLDesc(dom, 0);
	if (!xml) {
		mig_refuse(st, "domain XML: %s", mig_virt_msg());
		return false;
	}
	bool vfio = check_migratable(xml, o->block, st);
	if (o->postcopy && !vfio)
		check_postcopy(o, dst, xml, st);
	free(xml);
	if (o->vif_cache_target)
		mig_check_vif_cache(o->vif_cache_source, o->vif_cache_target, o->vm_ns, o->vm_name, st);
	return vfio;
}
