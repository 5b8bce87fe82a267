#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "vifcache_cli.h"
#include "from_result.h"
#include "live.h"

#define RESULT_MAX (1 << 20)

static int fill_from_result(const struct vc_opts *o, struct vc_record *r, struct np_err *e)
{
	size_t len;
	char *txt = vc_cli_read_input(o->from_result, RESULT_MAX, &len, e);
	if (!txt)
		return -1;
	cJSON *j = cJSON_ParseWithLength(txt, len);
	free(txt);
	if (!j)
		return np_errmsg(e, -1, "%s is not JSON", o->from_result);
	char sandbox[4096];
	int rc = vc_record_from_result(j, o->iface ? o->iface : r->pod_iface, r, sandbox, sizeof(sandbox), e);
	cJSON_Delete(j);
	struct stat st;
	if (rc == 0 && sandbox[0] && stat(sandbox, &st) == 0)
		r->owner.netns_inode = (unsigned long long)st.st_ino;
	return rc;
}

int cmd_populate(int argc, char **argv)
{
	struct vc_opts o;
	int ex;
	if (vc_cli_parse("populate",
			 "populate NS/VM/IFACE --network NAME (--netns PATH [--iface NAME] | --from-result FILE)\n"
			 "                [--binding KIND] [--uid UID] [--container-id ID] [--pod-uid UID] [--kubevirt]\n\n"
			 "Builds the record of one VM interface from the live interface in its pod's\n"
			 "netns, or from the CNI ADD result, and stores it (state finished).",
			 O_ROOT | O_JSON | O_NETNS | O_IFACE | O_NETWORK | O_BINDING | O_FROM_RESULT | O_UID |
				 O_CONTAINER | O_POD_UID | O_KUBEVIRT | O_KV_OWNER,
			 2, true, argc, argv, &o, &ex) < 0)
		return ex;
	if (!o.network || (!o.netns == !o.from_result)) {
		fprintf(stderr, "vifcache populate: needs --network and exactly one of --netns or --from-result\n");
		return VC_EXIT_USAGE;
	}
	struct vc_record r = { .schema = VC_SCHEMA, .state = VC_FINISHED };
	snprintf(r.ns, sizeof(r.ns), "%s", o.ns);
	snprintf(r.vm, sizeof(r.vm), "%s", o.vm);
	snprintf(r.uid, sizeof(r.uid), "%s", o.uid ? o.uid : "");
	snprintf(r.network, sizeof(r.network), "%s", o.network);
	snprintf(r.pod_iface, sizeof(r.pod_iface), "%s", o.pod_iface);
	r.binding = o.has_binding ? o.binding : VC_BRIDGE;
	snprintf(r.owner.container_id, sizeof(r.owner.container_id), "%s", o.container_id ? o.container_id : "");
	snprintf(r.owner.pod_uid, sizeof(r.owner.pod_uid), "%s", o.pod_uid ? o.pod_uid : "");
	struct np_err e = { 0 };
	if (o.netns) {
		struct vc_live l;
		if (vc_live_read(o.netns, o.iface ? o.iface : o.pod_iface, &l, &e) < 0) {
			fprintf(stderr, "vifcache populate: %s\n", e.msg);
			return VC_EXIT_FAIL;
		}
		r.has_mac = l.net.has_mac;
		memcpy(r.mac, l.net.mac, NP_MAC_LEN);
		r.n_ips = l.net.n_ips;
		memcpy(r.ips, l.net.ips, sizeof(r.ips));
		r.n_gws = l.net.n_gws;
		memcpy(r.gws, l.net.gws, sizeof(r.gws));
		r.n_routes = l.net.n_routes;
		memcpy(r.routes, l.net.routes, sizeof(r.routes));
		r.mtu = l.net.mtu;
		r.owner.netns_inode = l.netns_inode;
	} else if (fill_from_result(&o, &r, &e) < 0) {
		fprintf(stderr, "vifcache populate: %s\n", e.msg);
		return VC_EXIT_FAIL;
	}
	struct vc_store s;
	if (vc_cli_open_store(&o, &s, true) < 0)
		return VC_EXIT_FAIL;
	struct vc_record old;
	r.created = r.updated = (long long)time(NULL);
	if (vc_store_read(&s, r.ns, r.vm, r.pod_iface, &old, NULL) == 0)
		r.created = old.created;
	int rc = vc_store_write(&s, &r, &e);
	if (rc == 0 && (o.kubevirt || r.binding == VC_BRIDGE))
		rc = vc_store_write_kubevirt(&s, &r, &e);
	vc_store_close(&s);
	if (rc < 0) {
		fprintf(stderr, "vifcache populate: %s\n", e.msg);
		return VC_EXIT_FAIL;
	}
	if (o.json) {
		cJSON *j = vc_record_to_json(&r);
		vc_cli_print_json(j);
		cJSON_Delete(j);
	} else {
		printf("populated %s/%s/%s (%d IPs, MAC %s)\n", r.ns, r.vm, r.pod_iface, r.n_ips,
		       r.has_mac ? "set" : "unset");
	}
	return VC_EXIT_OK;
}
