/* repair: finds records that are missing, torn, stale (finished, but the
 * launcher that owned them is gone: the KubeVirt #18087 loop) or that
 * disagree with the live interface, and KubeVirt vif-cache files that are
 * missing; rebuilds them from the live netns, an imported export or the
 * MAC in the libvirt domain XML. No VM restart is involved. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vifcache_cli.h"
#include "domainxml.h"
#include "exportdoc.h"
#include "live.h"
#include "owner.h"

#define MAX_TARGETS 64

struct target {
	char iface[IFNAMSIZ];
	char problems[512];
	char action[160];
	bool fixable, needs_work;
	struct vc_record new_rec;
	bool write_record, write_kubevirt;
};

struct plan {
	int n;
	struct target t[MAX_TARGETS];
};

static struct target *target_for(struct plan *p, const char *iface)
{
	for (int i = 0; i < p->n; i++)
		if (!strcmp(p->t[i].iface, iface))
			return &p->t[i];
	if (p->n == MAX_TARGETS)
		return NULL;
	struct target *t = &p->t[p->n++];
	memset(t, 0, sizeof(*t));
	snprintf(t->iface, sizeof(t->iface), "%s", iface);
	return t;
}

static int collect_cb(const struct vc_entry *en, void *arg)
{
	target_for(arg, en->pod_iface);
	return 0;
}

static void note(struct target *t, const char *fmt, const char *detail)
{
	size_t off = strlen(t->problems);
	snprintf(t->problems + off, sizeof(t->problems) - off, "%s%s%s", off ? "; " : "", fmt, detail ? detail : "");
	t->needs_work = true;
}

/* with_routes false: src cannot show routes (a down link), so dst keeps
 * the routes and gateways it already knows */
static void copy_net(struct vc_record *dst, const struct vc_record *src, bool with_routes)
{
	dst->has_mac = src->has_mac;
	memcpy(dst->mac, src->mac, NP_MAC_LEN);
	dst->n_ips = src->n_ips;
	memcpy(dst->ips, src->ips, sizeof(dst->ips));
	/* a record of a down pod end holds gateways but no routes */
	if (with_routes || (!dst->n_routes && !dst->n_gws)) {
		dst->n_gws = src->n_gws;
		memcpy(dst->gws, src->gws, sizeof(dst->gws));
		dst->n_routes = src->n_routes;
		memcpy(dst->routes, src->routes, sizeof(dst->routes));
	}
	if (src->mtu)
		dst->mtu = src->mtu;
}

struct sources {
	struct vc_record *exported;
	int n_exported;
	const char *xml;
};

static const struct vc_record *exported_for(const struct sources *src, const char *iface)
{
	for (int i = 0; i < src->n_exported; i++)
		if (!strcmp(src->exported[i].pod_iface, iface))
			return &src->exported[i];
	return NULL;
}

/* What is wrong with KubeVirt's file of a bridge record, or NULL. Another
 * MAC than the record's is wrong too: the old layout let the record of an
 * interface named "vif-cache-<iface>" replace KubeVirt's file of <iface>.
 * A node-wide scan (vm_dirfd set) looks closer only at files that fail the
 * cheap check. */
static const char *kubevirt_problem(struct vc_store *s, const char *ns, const char *vm, int vm_dirfd,
				    const struct vc_record *cur, const char *iface)
{
	struct vc_record kv;
	if (vm_dirfd >= 0 && vc_store_kubevirt_looks_right(vm_dirfd, iface, cur))
		return NULL;
	if ((vm_dirfd >= 0 ? vc_store_read_kubevirt_at(vm_dirfd, iface, &kv, NULL) :
			     vc_store_read_kubevirt(s, ns, vm, iface, &kv, NULL)) < 0)
		return "KubeVirt vif-cache file missing or unreadable";
	if (kv.has_mac != cur->has_mac || (cur->has_mac && memcmp(kv.mac, cur->mac, NP_MAC_LEN)))
		return "KubeVirt vif-cache file has another MAC than the record";
	return NULL;
}

/* cur: the record as read (NULL if read_rc < 0, read_err then says why). */
static void plan_one(const struct vc_opts *o, const char *ns, const char *vm, struct vc_store *s,
		     const struct vc_liveness *lv, const struct sources *src, struct target *t,
		     const struct vc_record *curp, int read_rc, const char *read_err, int vm_dirfd)
{
	struct vc_record cur;
	struct np_err e = { 0 };
	bool have_cur = curp != NULL;
	if (have_cur)
		cur = *curp;
	else if (read_rc == -ENOENT)
		note(t, "missing", NULL);
	else
		note(t, "torn or unreadable: ", read_err);
	if (have_cur && cur.state == VC_FINISHED && !vc_owner_alive(lv, &cur.owner))
		note(t, "stale: state finished but its owner (launcher netns/pod) is gone", NULL);
	const char *kv_problem = have_cur && cur.binding == VC_BRIDGE ?
		kubevirt_problem(s, ns, vm, vm_dirfd, &cur, t->iface) : NULL;
	if (kv_problem)
		note(t, kv_problem, NULL);

	struct vc_live live;
	bool have_live = o->netns && vc_live_read(o->netns, o->iface ? o->iface : t->iface, &live, NULL) == 0;
	if (have_cur && have_live) {
		char diffs[1024];
		if (vc_live_compare(&cur, &live, diffs, sizeof(diffs)) > 0) {
			for (char *nl = strchr(diffs, '\n'); nl; nl = strchr(nl, '\n'))
				*nl = nl[1] ? ',' : '\0';
			note(t, "disagrees with the live interface: ", diffs);
		}
	}
	if (!t->needs_work) {
		snprintf(t->action, sizeof(t->action), "nothing to do");
		t->fixable = true;
		return;
	}

	/* the base: what is known about the attachment besides its addresses */
	const struct vc_record *exp = exported_for(src, t->iface);
	struct vc_record *n = &t->new_rec;
	if (have_cur)
		*n = cur;
	else if (exp)
		*n = *exp;
	else {
		memset(n, 0, sizeof(*n));
		snprintf(n->ns, sizeof(n->ns), "%s", ns);
		snprintf(n->vm, sizeof(n->vm), "%s", vm);
		snprintf(n->pod_iface, sizeof(n->pod_iface), "%s", t->iface);
		snprintf(n->network, sizeof(n->network), "%s", o->network ? o->network : "");
		n->binding = o->has_binding ? o->binding : VC_BRIDGE;
		n->created = (long long)time(NULL);
	}
	n->schema = VC_SCHEMA;
	if (o->uid)
		snprintf(n->uid, sizeof(n->uid), "%s", o->uid);
	if (!n->network[0]) {
		snprintf(t->action, sizeof(t->action), "cannot rebuild: network unknown (give --network)");
		return;
	}
	if (have_live) {
		copy_net(n, &live.net, live.up);
		n->owner.netns_inode = live.netns_inode;
		snprintf(n->owner.container_id, sizeof(n->owner.container_id), "%s", o->container_id ? o->container_id : "");
		snprintf(n->owner.pod_uid, sizeof(n->owner.pod_uid), "%s", o->pod_uid ? o->pod_uid : "");
		n->state = VC_FINISHED;
		snprintf(t->action, sizeof(t->action), "rebuild from the live interface in %s", o->netns);
	} else if (exp) {
		copy_net(n, exp, true);
		memset(&n->owner, 0, sizeof(n->owner));
		n->state = VC_PENDING;
		snprintf(t->action, sizeof(t->action), "rebuild from the export (state pending)");
	} else if (src->xml) {
		char alias[300];
		snprintf(alias, sizeof(alias), "ua-%s", n->network);
		if (vc_domain_xml_mac(src->xml, o->alias ? o->alias : alias, n->mac, &e) < 0) {
			snprintf(t->action, sizeof(t->action), "cannot rebuild: %.140s", e.msg);
			return;
		}
		n->has_mac = true;
		memset(&n->owner, 0, sizeof(n->owner));
		n->state = VC_PENDING;
		snprintf(t->action, sizeof(t->action), "rebuild the MAC from the domain XML (addresses come with the next ADD)");
	} else if (have_cur) {
		/* only the KubeVirt file is missing or the owner is gone: the
		 * record's own content is the source */
		if (!vc_owner_alive(lv, &cur.owner)) {
			memset(&n->owner, 0, sizeof(n->owner));
			n->state = VC_PENDING; /* the next launcher's ADD takes it over */
		}
		snprintf(t->action, sizeof(t->action), "rewrite from the record itself%s",
			 n->state == VC_PENDING ? " (state pending, owner cleared)" : "");
	} else {
		snprintf(t->action, sizeof(t->action),
			 "cannot rebuild: no source (give --netns, --from-export or --domain-xml)");
		return;
	}
	n->updated = (long long)time(NULL);
	t->write_record = true;
	t->write_kubevirt = n->binding == VC_BRIDGE || o->kubevirt;
	t->fixable = vc_record_validate(n, &e) == 0;
	if (!t->fixable)
		snprintf(t->action, sizeof(t->action), "cannot rebuild: %.140s", e.msg);
}

static int load_sources(const struct vc_opts *o, struct sources *src)
{
	struct np_err e = { 0 };
	size_t len;
	if (o->from_export) {
		char *txt = vc_cli_read_input(o->from_export, VC_EXPORT_MAX, &len, &e);
		int n = txt ? vc_export_parse(txt, len, &src->exported, &e) : -1;
		free(txt);
		if (n < 0) {
			fprintf(stderr, "vifcache repair: %s: %s\n", o->from_export, e.msg);
			return -1;
		}
		src->n_exported = n;
		for (int i = 0; i < n; i++)
			if (strcmp(src->exported[i].ns, o->ns) || strcmp(src->exported[i].vm, o->vm)) {
				fprintf(stderr, "vifcache repair: %s is an export of %s/%s, not %s/%s\n", o->from_export,
					src->exported[i].ns, src->exported[i].vm, o->ns, o->vm);
				return -1;
			}
	}
	if (o->domain_xml) {
		char *xml = vc_cli_read_input(o->domain_xml, VC_DOMAIN_XML_MAX, &len, &e);
		if (!xml) {
			fprintf(stderr, "vifcache repair: %s\n", e.msg);
			return -1;
		}
		src->xml = xml;
	}
	return 0;
}

struct tally {
	int unfixable, repaired, problems;
	cJSON *jplan;
	FILE *out;      /* where the plan's text goes */
};

static void account(const struct vc_opts *o, const char *ns, const char *vm, struct target *t,
		    struct tally *out)
{
	if (!t->fixable)
		out->unfixable++;
	if (t->needs_work)
		out->problems++;
	if (o->json) {
		cJSON *j = cJSON_CreateObject();
		char key[600];
		snprintf(key, sizeof(key), "%s/%s/%s", ns, vm, t->iface);
		cJSON_AddStringToObject(j, "key", key);
		cJSON_AddStringToObject(j, "problems", t->problems);
		cJSON_AddStringToObject(j, "action", t->action);
		cJSON_AddBoolToObject(j, "fixable", t->fixable);
		cJSON_AddItemToArray(out->jplan, j);
	} else if (t->needs_work || o->has_key) {
		fprintf(out->out, "%s/%s/%s: %s\n    -> %s%s\n", ns, vm, t->iface, t->needs_work ? t->problems : "ok",
			t->action, o->dry_run && t->write_record ? " [dry run: not done]" : "");
	}
}

static void apply(const struct vc_opts *o, struct vc_store *s, struct target *t, struct tally *out)
{
	struct np_err e = { 0 };
	if (o->dry_run || !t->fixable || !t->write_record)
		return;
	if (vc_store_write(s, &t->new_rec, &e) < 0 ||
	    (t->write_kubevirt && vc_store_write_kubevirt(s, &t->new_rec, &e) < 0)) {
		fprintf(stderr, "vifcache repair: %s\n", e.msg);
		out->unfixable++;
	} else {
		out->repaired++;
	}
}

/* One VM named on the command line, with every source the options give. */
static void repair_vm(const struct vc_opts *o, struct vc_store *s, const struct vc_liveness *lv,
		      const struct sources *src, struct plan *p, struct tally *out)
{
	for (int i = 0; i < p->n; i++) {
		struct target *t = &p->t[i];
		struct vc_record cur;
		struct np_err e = { 0 };
		int rc = vc_store_read(s, o->ns, o->vm, t->iface, &cur, &e);
		plan_one(o, o->ns, o->vm, s, lv, src, t, rc == 0 ? &cur : NULL, rc, e.msg, -1);
		account(o, o->ns, o->vm, t, out);
		apply(o, s, t, out);
	}
}

/* Node-wide: every record, the record itself being the only source; the
 * namespaces are split between two threads (the scan is CPU-bound JSON
 * work) and writes wait until both are done. */
struct sweep {
	const struct vc_opts *o;
	struct vc_store *s;
	const struct vc_liveness *lv;
	struct tally t;
	char *text;
	size_t text_len;
	struct target *todo;
	int n_todo, cap_todo, rc;
	char (*ns)[VC_NAME_MAX + 1];
	int first, last;
};

static int sweep_cb(const struct vc_entry *en, void *arg)
{
	struct sweep *w = arg;
	struct target t = { 0 };
	struct sources none = { 0 };
	snprintf(t.iface, sizeof(t.iface), "%s", en->pod_iface);
	plan_one(w->o, en->ns, en->vm, w->s, w->lv, &none, &t, en->r, en->r ? 0 : -EINVAL, en->err->msg,
		 en->dirfd);
	account(w->o, en->ns, en->vm, &t, &w->t);
	if (!t.write_record || w->o->dry_run)
		return 0;
	if (w->n_todo == w->cap_todo) {
		int cap = w->cap_todo ? w->cap_todo * 2 : 16;
		struct target *nt = realloc(w->todo, (size_t)cap * sizeof(*nt));
		if (!nt)
			return -ENOMEM;
		w->todo = nt;
		w->cap_todo = cap;
	}
	w->todo[w->n_todo++] = t;
	return 0;
}

static void *sweep_thread(void *arg)
{
	struct sweep *w = arg;
	struct np_err e = { 0 };
	w->t.out = open_memstream(&w->text, &w->text_len);
	w->t.jplan = cJSON_CreateArray();
	for (int i = w->first; i < w->last && w->rc == 0; i++)
		w->rc = vc_store_walk(w->s, w->ns[i], NULL, sweep_cb, w, &e);
	if (w->t.out)
		fclose(w->t.out);
	return NULL;
}

static int sweep_all(const struct vc_opts *o, struct vc_store *s, const struct vc_liveness *lv,
		     struct tally *total)
{
	struct np_err e = { 0 };
	char (*ns)[VC_NAME_MAX + 1];
	int n;
	if (vc_store_namespaces(s, &ns, &n, &e) < 0) {
		fprintf(stderr, "vifcache repair: %s\n", e.msg);
		return -1;
	}
	struct sweep w[2];
	pthread_t th[2];
	bool started[2] = { false, false };
	for (int i = 0; i < 2; i++) {
		w[i] = (struct sweep){ .o = o, .s = s, .lv = lv, .ns = ns,
				       .first = i == 0 ? 0 : n / 2, .last = i == 0 ? n / 2 : n };
		started[i] = pthread_create(&th[i], NULL, sweep_thread, &w[i]) == 0;
		if (!started[i])
			sweep_thread(&w[i]);
	}
	int rc = 0;
	for (int i = 0; i < 2; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		if (w[i].text)
			fwrite(w[i].text, 1, w[i].text_len, total->out);
		free(w[i].text);
		cJSON *j;
		while ((j = cJSON_DetachItemFromArray(w[i].t.jplan, 0)))
			cJSON_AddItemToArray(total->jplan, j);
		cJSON_Delete(w[i].t.jplan);
		total->problems += w[i].t.problems;
		total->unfixable += w[i].t.unfixable;
		if (w[i].rc < 0)
			rc = w[i].rc;
	}
	for (int i = 0; i < 2; i++) {
		for (int k = 0; rc == 0 && k < w[i].n_todo; k++)
			apply(o, s, &w[i].todo[k], total);
		free(w[i].todo);
	}
	free(ns);
	if (rc < 0)
		fprintf(stderr, "vifcache repair: %s\n", strerror(-rc));
	return rc;
}

int cmd_repair(int argc, char **argv)
{
	struct vc_opts o;
	int ex;
	if (vc_cli_parse("repair",
			 "repair [NS/VM[/IFACE]] [--netns PATH [--iface NAME]] [--from-export FILE]\n"
			 "                [--domain-xml FILE [--alias NAME]] [--network NAME] [--binding KIND]\n"
			 "                [--container-id ID] [--pod-uid UID] [--dry-run] [--json]\n\n"
			 "Finds the VM's records that are missing, torn, stale (finished but owned by a\n"
			 "launcher that is gone) or that disagree with the live interface, and missing\n"
			 "KubeVirt vif-cache files, then rebuilds them: from the live netns first, else\n"
			 "from an export, else the MAC from the domain XML. --dry-run prints the plan.\n"
			 "Without NS/VM every VM in the cache is checked (torn, stale, KubeVirt files).",
			 O_ROOT | O_JSON | O_NETNS | O_IFACE | O_FROM_EXPORT | O_DOMAIN_XML | O_ALIAS |
				 O_NETWORK | O_BINDING | O_UID | O_CONTAINER | O_POD_UID | O_DRY_RUN |
				 O_KUBEVIRT | O_KV_OWNER | O_PROC_ROOT | O_NETNS_DIR | O_KUBELET_PODS,
			 1, false, argc, argv, &o, &ex) < 0)
		return ex;
	if (!o.has_key && (o.netns || o.from_export || o.domain_xml)) {
		fprintf(stderr, "vifcache repair: --netns, --from-export and --domain-xml need NS/VM\n");
		return VC_EXIT_USAGE;
	}
	struct sources src = { 0 };
	struct vc_liveness lv = { .proc_root = o.proc_root, .netns_dir = o.netns_dir,
				  .kubelet_pods = o.kubelet_pods };
	struct plan *p = calloc(1, sizeof(*p));
	struct tally t = { .jplan = cJSON_CreateArray(), .out = stdout };
	struct np_err e = { 0 };
	struct vc_store s;
	int rc = VC_EXIT_FAIL;
	bool store_open = false;
	if (!p || (o.has_key && load_sources(&o, &src) < 0))
		goto out;
	if (vc_liveness_scan(&lv, &e) < 0) {
		fprintf(stderr, "vifcache repair: %s\n", e.msg);
		goto out;
	}
	if (vc_cli_open_store(&o, &s, !o.dry_run) < 0)
		goto out;
	store_open = true;
	if (o.has_key) {
		if (o.key_has_iface) {
			target_for(p, o.pod_iface);
		} else {
			vc_store_walk(&s, o.ns, o.vm, collect_cb, p, &e);
			for (int i = 0; i < src.n_exported; i++)
				target_for(p, src.exported[i].pod_iface);
		}
		if (p->n == 0) {
			fprintf(stderr, "vifcache repair: nothing known about %s/%s: give NS/VM/IFACE with a source\n",
				o.ns, o.vm);
			rc = VC_EXIT_MISSING;
			goto out;
		}
		repair_vm(&o, &s, &lv, &src, p, &t);
	} else if (sweep_all(&o, &s, &lv, &t) < 0) {
		goto out;
	}
	if (o.json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddBoolToObject(j, "dryRun", o.dry_run);
		cJSON_AddItemToObject(j, "plan", t.jplan);
		cJSON_AddNumberToObject(j, "repaired", t.repaired);
		vc_cli_print_json(j);
		cJSON_Delete(j);
		t.jplan = NULL;
	} else if (o.dry_run) {
		printf("%d problem(s) found, %d not repairable\n", t.problems, t.unfixable);
	} else {
		printf("%d record(s) repaired\n", t.repaired);
	}
	rc = t.unfixable ? VC_EXIT_FAIL : VC_EXIT_OK;
out:
	if (store_open)
		vc_store_close(&s);
	cJSON_Delete(t.jplan);
	vc_liveness_free(&lv);
	free(src.exported);
	free((char *)src.xml);
	free(p);
	return rc;
}
