#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vifcache_cli.h"
#include "live.h"

int cmd_verify(int argc, char **argv)
{
	struct vc_opts o;
	int ex;
	if (vc_cli_parse("verify", "verify NS/VM/IFACE --netns PATH [--iface NAME] [--root DIR] [--json]\n\n"
			 "Compares the record with the live interface: MAC, IPs, routes, MTU, link\n"
			 "state (and that KubeVirt's vif-cache file exists for bridge binding).\n"
			 "Exit 0 match, 3 mismatch, 4 record or interface missing (or unreadable).",
			 O_ROOT | O_JSON | O_NETNS | O_IFACE, 2, true, argc, argv, &o, &ex) < 0)
		return ex;
	if (!o.netns) {
		fprintf(stderr, "vifcache verify: --netns is required\n");
		return VC_EXIT_USAGE;
	}
	struct vc_store s;
	if (vc_cli_open_store(&o, &s, false) < 0)
		return VC_EXIT_MISSING;
	struct vc_record r, kv;
	struct np_err e = { 0 };
	char diffs[2048] = "";
	int rc = vc_store_read(&s, o.ns, o.vm, o.pod_iface, &r, &e);
	int status;
	const char *problem = NULL;
	if (rc == -ENOENT) {
		status = VC_EXIT_MISSING;
		problem = "missing";
		snprintf(diffs, sizeof(diffs), "no record %.253s/%.253s/%s in %.300s\n", o.ns, o.vm, o.pod_iface, s.root);
	} else if (rc < 0) {
		status = VC_EXIT_MISSING;
		problem = "unreadable";
		snprintf(diffs, sizeof(diffs), "%s\n", e.msg);
	} else {
		struct vc_live l;
		rc = vc_live_read(o.netns, o.iface ? o.iface : o.pod_iface, &l, &e);
		if (rc < 0) {
			status = VC_EXIT_MISSING;
			problem = "interface missing";
			snprintf(diffs, sizeof(diffs), "%s\n", e.msg);
		} else {
			int n = vc_live_compare(&r, &l, diffs, sizeof(diffs));
			if (r.binding == VC_BRIDGE && vc_store_read_kubevirt(&s, o.ns, o.vm, o.pod_iface, &kv, NULL) < 0) {
				size_t off = strlen(diffs);
				snprintf(diffs + off, sizeof(diffs) - off, "KubeVirt vif-cache-%s.json is missing or unreadable\n",
					 o.pod_iface);
				n++;
			}
			status = n ? VC_EXIT_MISMATCH : VC_EXIT_OK;
			problem = n ? "mismatch" : NULL;
		}
	}
	vc_store_close(&s);
	if (o.json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "key", o.ns);
		cJSON_AddStringToObject(j, "result", problem ? problem : "match");
		cJSON_AddStringToObject(j, "details", diffs);
		vc_cli_print_json(j);
		cJSON_Delete(j);
	} else if (problem) {
		printf("%s/%s/%s: %s\n%s", o.ns, o.vm, o.pod_iface, problem, diffs);
	} else {
		printf("%s/%s/%s: matches the live interface\n", o.ns, o.vm, o.pod_iface);
	}
	return status;
}
