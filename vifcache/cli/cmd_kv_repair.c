/* kv-repair: rewrites the launcher's vif-cache file and resets a stale
 * network-info-cache entry, where KubeVirt reads them, after kv-verify's
 * checks found them wrong; a consistent VM is left alone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "vifcache_cli.h"
#include "cmd_kv.h"
#include "kubevirt.h"

static const char repair_usage[] =
	"kv-repair --launcher-pid PID --iface PODIFACE [--vmi-uid UID --network NAME]\n"
	"                [--handler-root DIR] [--mac MAC | --vm NS/VM [--root DIR]]\n"
	"                [--kubevirt-owner U:G] [--dry-run] [--json]\n\n"
	"Repairs what kv-verify finds, where KubeVirt reads it. The launcher's\n"
	"vif-cache file is written as KubeVirt's Go code writes it (mode 0604, owner\n"
	"107:107, atomically, inside the pod's root): from mignet's record with --vm,\n"
	"else from the pod interface's IPv4, gateway and routes as phase 1 computes\n"
	"them, with the VM's --mac. A Finished entry whose launcher has no file\n"
	"(KubeVirt #18087), a Started or a torn one is reset to pending (networkState\n"
	"removed, the other fields and the mode and owner kept), so virt-handler redoes\n"
	"phase 1 once it reads the entry again: it also keeps the state in memory, so\n"
	"the reset counts from its next start. Nothing is written when kv-verify finds\n"
	"nothing, or when something cannot be repaired here.";

struct plan {
	bool write_file, reset;
	char *file_text, *entry_text;
	char file_what[400], entry_what[300];
};

static const struct np_prefix *first_v4(const struct vc_record *r)
{
	for (int i = 0; i < r->n_ips; i++)
		if (r->ips[i].ip.family == AF_INET && np_ip_is_global_unicast(&r->ips[i].ip))
			return &r->ips[i];
	return NULL;
}

/* What KubeVirt's phase 1 would write now: the live pod interface's IPv4
 * and the VM's MAC. A record that holds another IPv4 is refused, not
 * written: the guest would be offered an address the pod does not have. */
static int file_content(const struct kv_session *s, const struct vc_kvcheck *c, struct plan *p,
			struct np_err *e)
{
	const struct vc_kvpodnet *pn = &c->podnet;
	const char *iface = s->o.iface;
	char a[NP_PREFIX_STRLEN], b[NP_PREFIX_STRLEN], g[NP_PREFIX_STRLEN], source[300];
	struct vc_record r;
	if (s->has_record) {
		r = s->record;
		const struct np_prefix *v4 = first_v4(&r);
		if (!v4 != !pn->has_v4 || (v4 && (!np_ip_equal(&v4->ip, &pn->v4.ip) || v4->len != pn->v4.len)))
			return np_errmsg(e, -EINVAL,
					 "mignet's record %s/%s/%s has IPv4 %s, but %s in the launcher has %s: repair the "
					 "record first (vifcache repair %s/%s --netns %s), or give --mac instead of --vm to "
					 "write from the pod interface",
					 s->o.ns, s->o.vm, iface, v4 ? np_prefix_str(v4, a, sizeof(a)) : "none", iface,
					 pn->has_v4 ? np_prefix_str(&pn->v4, b, sizeof(b)) : "none", s->o.ns, s->o.vm,
					 s->pod.netns_path);
		/* without an IPv4 KubeVirt writes IPAMDisabled and no MAC */
		if (!pn->has_v4)
			r.has_mac = false;
		snprintf(source, sizeof(source), "mignet's record %.100s/%.100s/%s", s->o.ns, s->o.vm, iface);
	} else {
		memset(&r, 0, sizeof(r));
		int rc = vc_kvpodnet_to_record(pn, iface, s->o.mac, &r, e);
		if (rc < 0)
			return rc;
		snprintf(source, sizeof(source), "%s in the launcher and --mac", iface);
	}
	p->file_text = vc_kubevirt_format(&r);
	if (!p->file_text)
		return np_errmsg(e, -ENOMEM, "out of memory");
	if (pn->has_v4)
		snprintf(p->file_what, sizeof(p->file_what), "from %s: MAC %s, IP %s%s%s", source,
			 np_mac_str(r.mac, a, sizeof(a)), np_prefix_str(&pn->v4, b, sizeof(b)),
			 r.n_gws ? ", gateway " : "", r.n_gws ? np_ip_str(&r.gws[0], g, sizeof(g)) : "");
	else
		snprintf(p->file_what, sizeof(p->file_what), "from %s: IPAMDisabled (%s has no IPv4)", source, iface);
	return 0;
}

static int entry_content(const struct vc_kvcheck *c, struct plan *p, struct np_err *e)
{
	if (c->state_rc < 0) {
		/* nothing of it can be kept; {} is how Go writes an empty entry */
		p->entry_text = strdup("{}");
		snprintf(p->entry_what, sizeof(p->entry_what), "torn: replaced by {} (pending; virt-handler fills it "
			 "in again in phase 1)");
	} else {
		p->entry_text = vc_kvstate_reset(c->entry.text, c->entry.len, e);
		snprintf(p->entry_what, sizeof(p->entry_what), "%s -> pending (networkState removed, the other "
			 "fields kept)", vc_kvstate_name(c->state.state));
	}
	return p->entry_text ? 0 : np_errmsg(e, -ENOMEM, "out of memory");
}

/* Findings that no rewrite here can fix: nothing is written then. */
static int refusal(const struct kv_session *s, const struct vc_kvcheck *c, const struct plan *p,
		   struct np_err *e)
{
	for (int i = 0; i < c->n; i++) {
		const struct vc_kvfinding *f = &c->f[i];
		switch (f->kind) {
		case VC_KV_NO_IFACE:
			np_errmsg(e, -ENODEV, "%s", f->text);
			return VC_EXIT_MISSING;
		case VC_KV_NOT_BRIDGE: case VC_KV_NO_PRIVATE_DIR: case VC_KVS_NOT_REGULAR:
			np_errmsg(e, -EPERM, "%s: %s", f->file, f->text);
			return VC_EXIT_FAIL;
		default:
			break;
		}
	}
	if (p->write_file && c->privfd < 0) {
		np_errmsg(e, -ENOENT, "%s: the launcher has no %s (KubeVirt's emptyDir): not a virt-launcher pod?",
			  c->vif_path, VC_KV_PRIVATE_DIR);
		return VC_EXIT_FAIL;
	}
	if (p->write_file && !s->o.has_mac && !s->has_record) {
		np_errmsg(e, -EINVAL, "%s must be written, and the VM's MAC is needed for it: give --mac or --vm",
			  c->vif_path);
		return VC_EXIT_USAGE;
	}
	return 0;
}

static cJSON *action_json(const char *action, const char *file, const char *what, bool done)
{
	cJSON *a = cJSON_CreateObject();
	cJSON_AddStringToObject(a, "action", action);
	cJSON_AddStringToObject(a, "file", file);
	cJSON_AddStringToObject(a, "detail", what);
	cJSON_AddBoolToObject(a, "done", done);
	return a;
}

static void report(const struct kv_session *s, const struct vc_kvcheck *before, const struct plan *p,
		   const char *result, const char *error, bool file_done, bool entry_done)
{
	const char *note = p->reset ? "virt-handler keeps each VMI's network state in memory too: the reset counts "
				      "from its next start on this node; the launcher's file counts at once" : NULL;
	if (!s->o.json) {
		if (error)
			fprintf(stderr, "vifcache kv-repair: %s\n", error);
		if (note && !s->o.dry_run && entry_done)
			printf("note: %s\n", note);
		return;
	}
	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "launcherPid", s->o.pid);
	cJSON_AddStringToObject(j, "iface", s->o.iface);
	cJSON_AddBoolToObject(j, "dryRun", s->o.dry_run);
	cJSON_AddItemToObject(j, "findings", kv_findings_json(before));
	cJSON *acts = cJSON_AddArrayToObject(j, "actions");
	if (p->write_file && p->file_text)
		cJSON_AddItemToArray(acts, action_json("write-vif-cache", before->vif_path, p->file_what, file_done));
	if (p->reset && p->entry_text)
		cJSON_AddItemToArray(acts, action_json("reset-network-state", before->entry.path, p->entry_what,
						       entry_done));
	cJSON_AddStringToObject(j, "result", result);
	if (error)
		cJSON_AddStringToObject(j, "error", error);
	if (note && entry_done)
		cJSON_AddStringToObject(j, "note", note);
	vc_cli_print_json(j);
	cJSON_Delete(j);
	if (error)
		fprintf(stderr, "vifcache kv-repair: %s\n", error);
}

static int act(const struct kv_session *s, struct vc_kvcheck *c, const struct plan *p, bool *file_done,
	       bool *entry_done, struct np_err *e)
{
	if (p->write_file) {
		int rc = np_atomic_write_as(c->privfd, c->vif_name, p->file_text, strlen(p->file_text),
					    VC_KUBEVIRT_MODE, s->o.kv_uid, s->o.kv_gid, NP_ATOMIC_DURABLE, e);
		if (rc < 0)
			return np_err_prefix(e, rc, "%s: ", c->vif_path);
		*file_done = true;
		if (!s->o.json)
			printf("wrote %s %s\n", c->vif_path, p->file_what);
	}
	if (p->reset) {
		int rc = vc_kventry_write(&c->entry, p->entry_text, strlen(p->entry_text), e);
		if (rc < 0)
			return rc;
		*entry_done = true;
		if (!s->o.json)
			printf("reset %s: %s\n", c->entry.path, p->entry_what);
	}
	return 0;
}

int cmd_kv_repair(int argc, char **argv)
{
	struct kv_session s;
	int ex;
	if (kv_session_open("kv-repair", repair_usage, true, argc, argv, &s, &ex) < 0) {
		kv_session_close(&s);
		return ex;
	}
	if (kv_session_check("kv-repair", &s) < 0) {
		kv_session_close(&s);
		return VC_EXIT_FAIL;
	}
	/* the findings as they were: acted on and reported; s.check is redone
	 * after the repair and owns its own descriptors */
	struct vc_kvcheck *before = malloc(sizeof(*before));
	if (!before) {
		kv_session_close(&s);
		return VC_EXIT_FAIL;
	}
	vc_kvcheck_move(before, &s.check);
	struct plan p = { .write_file = vc_kvcheck_file_needs_write(before),
			  .reset = vc_kvcheck_state_needs_reset(before) };
	struct np_err e = { 0 };
	bool file_done = false, entry_done = false;
	int status = VC_EXIT_OK;
	const char *result;
	if (!before->n) {
		result = "nothing to repair";
		if (!s.o.json)
			printf("launcher %d %s: nothing to repair: KubeVirt's caches are consistent\n", s.o.pid,
			       s.o.iface);
		report(&s, before, &p, result, NULL, false, false);
		goto out;
	}
	if (!s.o.json)
		kv_findings_print(before);
	if ((status = refusal(&s, before, &p, &e)) != 0 || (p.write_file && file_content(&s, before, &p, &e) < 0) ||
	    (p.reset && entry_content(before, &p, &e) < 0)) {
		if (!status)
			status = VC_EXIT_FAIL;
		report(&s, before, &p, "refused", e.msg, false, false);
		goto out;
	}
	if (s.o.dry_run) {
		if (!s.o.json) {
			if (p.write_file)
				printf("would write %s %s\n", before->vif_path, p.file_what);
			if (p.reset)
				printf("would reset %s: %s\n", before->entry.path, p.entry_what);
			printf("dry run: nothing changed\n");
		}
		report(&s, before, &p, "planned", NULL, false, false);
		goto out;
	}
	if (act(&s, before, &p, &file_done, &entry_done, &e) < 0) {
		status = VC_EXIT_FAIL;
		report(&s, before, &p, "failed", e.msg, file_done, entry_done);
		goto out;
	}
	/* what KubeVirt will read now */
	if (kv_session_check("kv-repair", &s) < 0) {
		status = VC_EXIT_FAIL;
		result = "failed";
	} else if (s.check.n) {
		status = VC_EXIT_FAIL;
		result = "failed";
		if (!s.o.json) {
			printf("still wrong after the repair:\n");
			kv_findings_print(&s.check);
		}
	} else {
		result = "repaired";
		if (!s.o.json)
			printf("launcher %d %s: repaired; kv-verify finds nothing now\n", s.o.pid, s.o.iface);
	}
	report(&s, before, &p, result, status ? "the caches are still not consistent" : NULL, file_done,
	       entry_done);
out:
	free(p.file_text);
	free(p.entry_text);
	vc_kvcheck_free(before);
	free(before);
	kv_session_close(&s);
	return status;
}
