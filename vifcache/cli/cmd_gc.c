#include <stdio.h>
#include <string.h>

#include "vifcache_cli.h"
#include "owner.h"

struct gc_ctx {
	struct vc_store *s;
	struct vc_liveness *lv;
	bool dry_run, json;
	cJSON *removed;
	int n, failed;
};

static int gc_cb(const struct vc_entry *en, void *arg)
{
	struct gc_ctx *g = arg;
	/* damaged records are repair's business, not GC's */
	if (!en->r || vc_owner_alive(g->lv, &en->r->owner))
		return 0;
	struct np_err e = { 0 };
	if (!g->dry_run && vc_store_remove(g->s, en->ns, en->vm, en->pod_iface, &e) < 0) {
		fprintf(stderr, "vifcache gc: %s\n", e.msg);
		g->failed++;
		return 0;
	}
	g->n++;
	char key[600];
	snprintf(key, sizeof(key), "%s/%s/%s", en->ns, en->vm, en->pod_iface);
	if (g->json)
		cJSON_AddItemToArray(g->removed, cJSON_CreateString(key));
	else
		printf("%s %s (owner netns %llu%s%s gone)\n", g->dry_run ? "would remove" : "removed", key,
		       en->r->owner.netns_inode, en->r->owner.pod_uid[0] ? ", pod " : "", en->r->owner.pod_uid);
	return 0;
}

int cmd_gc(int argc, char **argv)
{
	struct vc_opts o;
	int ex;
	if (vc_cli_parse("gc", "gc [NS/VM] [--dry-run] [--root DIR] [--json] [--proc-root DIR] [--netns-dir DIR]\n"
			 "          [--kubelet-pods DIR]\n\n"
			 "Removes records whose owner is gone: neither its netns nor its pod exists\n"
			 "any more. Records whose owner cannot be judged (e.g. imported, pending) stay.",
			 O_ROOT | O_JSON | O_DRY_RUN | O_PROC_ROOT | O_NETNS_DIR | O_KUBELET_PODS,
			 1, false, argc, argv, &o, &ex) < 0)
		return ex;
	struct vc_liveness lv = { .proc_root = o.proc_root, .netns_dir = o.netns_dir,
				  .kubelet_pods = o.kubelet_pods };
	struct np_err e = { 0 };
	if (vc_liveness_scan(&lv, &e) < 0) {
		fprintf(stderr, "vifcache gc: %s\n", e.msg);
		vc_liveness_free(&lv); /* a scan that failed midway has found some */
		return VC_EXIT_FAIL;
	}
	struct vc_store s;
	if (vc_cli_open_store(&o, &s, !o.dry_run) < 0) {
		vc_liveness_free(&lv);
		return VC_EXIT_FAIL;
	}
	struct gc_ctx g = { .s = &s, .lv = &lv, .dry_run = o.dry_run, .json = o.json,
			    .removed = cJSON_CreateArray() };
	int rc = vc_store_walk(&s, o.has_key ? o.ns : NULL, o.has_key ? o.vm : NULL, gc_cb, &g, &e);
	vc_store_close(&s);
	vc_liveness_free(&lv);
	if (o.json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddBoolToObject(j, "dryRun", o.dry_run);
		cJSON_AddItemToObject(j, "removed", g.removed);
		vc_cli_print_json(j);
		cJSON_Delete(j);
	} else {
		cJSON_Delete(g.removed);
		printf("%d record(s) %s\n", g.n, o.dry_run ? "would be removed" : "removed");
	}
	if (rc < 0)
		fprintf(stderr, "vifcache gc: %s\n", e.msg);
	return rc < 0 || g.failed ? VC_EXIT_FAIL : VC_EXIT_OK;
}
