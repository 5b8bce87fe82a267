#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vifcache_cli.h"

struct listing {
	bool json;
	cJSON *arr;
	int n, damaged;
};

static void ips_text(const struct vc_record *r, char *buf, size_t len)
{
	char p[NP_PREFIX_STRLEN];
	size_t off = 0;
	buf[0] = '\0';
	for (int i = 0; i < r->n_ips && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? "," : "", np_prefix_str(&r->ips[i], p, sizeof(p)));
	if (!r->n_ips)
		snprintf(buf, len, "-");
}

static int list_cb(const struct vc_entry *en, void *arg)
{
	struct listing *l = arg;
	l->n++;
	if (!en->r)
		l->damaged++;
	if (l->json) {
		cJSON *o = en->r ? vc_record_to_json(en->r) : cJSON_CreateObject();
		if (!en->r) {
			cJSON_AddStringToObject(o, "key", en->ns);
			cJSON_AddStringToObject(o, "vm", en->vm);
			cJSON_AddStringToObject(o, "podInterface", en->pod_iface);
			cJSON_AddStringToObject(o, "error", en->err->msg);
		}
		cJSON_AddBoolToObject(o, "kubevirtFile", en->has_kubevirt);
		cJSON_AddItemToArray(l->arr, o);
		return 0;
	}
	if (!en->r) {
		printf("%-16s %-24s %-15s DAMAGED: %s\n", en->ns, en->vm, en->pod_iface, en->err->msg);
		return 0;
	}
	char mac[NP_MAC_STRLEN] = "-", ips[200];
	if (en->r->has_mac)
		np_mac_str(en->r->mac, mac, sizeof(mac));
	ips_text(en->r, ips, sizeof(ips));
	printf("%-16s %-24s %-15s %-16s %-8s %-17s %-9s %-3s %s\n", en->ns, en->vm, en->pod_iface,
	       en->r->network, vc_binding_name(en->r->binding), mac, vc_state_name(en->r->state),
	       en->has_kubevirt ? "yes" : "no", ips);
	return 0;
}

static int walk(const struct vc_opts *o, const char *ns, const char *vm, const char *iface)
{
	struct vc_store s;
	if (vc_cli_open_store(o, &s, false) < 0)
		return VC_EXIT_FAIL;
	struct listing l = { .json = o->json, .arr = cJSON_CreateArray() };
	struct np_err e = { 0 };
	if (!o->json)
		printf("%-16s %-24s %-15s %-16s %-8s %-17s %-9s %-3s %s\n", "NAMESPACE", "VM", "IFACE", "NETWORK",
		       "BINDING", "MAC", "STATE", "KV", "IPS");
	int rc;
	if (iface) {
		struct vc_record r;
		struct vc_entry en = { .ns = ns, .vm = vm, .pod_iface = iface, .err = &e };
		rc = vc_store_read(&s, ns, vm, iface, &r, &e);
		if (rc == -ENOENT) {
			fprintf(stderr, "vifcache show: no record %s/%s/%s in %s\n", ns, vm, iface, s.root);
			vc_store_close(&s);
			cJSON_Delete(l.arr);
			return VC_EXIT_MISSING;
		}
		en.r = rc == 0 ? &r : NULL;
		rc = list_cb(&en, &l);
	} else {
		rc = vc_store_walk(&s, ns, vm, list_cb, &l, &e);
	}
	vc_store_close(&s);
	if (rc < 0) {
		fprintf(stderr, "vifcache: %s\n", e.msg);
		cJSON_Delete(l.arr);
		return VC_EXIT_FAIL;
	}
	if (o->json)
		vc_cli_print_json(l.arr);
	cJSON_Delete(l.arr);
	return l.damaged ? VC_EXIT_MISMATCH : (iface || vm) && !l.n ? VC_EXIT_MISSING : VC_EXIT_OK;
}

int cmd_show(int argc, char **argv)
{
	struct vc_opts o;
	int ex;
	if (vc_cli_parse("show", "show NS/VM[/IFACE] [--root DIR] [--json]\n\n"
			 "Prints a VM's records (or one). Exit 4 when there is none, 3 when one is damaged.",
			 O_ROOT | O_JSON, 2, false, argc, argv, &o, &ex) < 0)
		return ex;
	return walk(&o, o.ns, o.vm, o.key_has_iface ? o.pod_iface : NULL);
}

int cmd_list(int argc, char **argv)
{
	struct vc_opts o;
	int ex;
	if (vc_cli_parse("list", "list [NS/VM] [--root DIR] [--json]\n\n"
			 "Lists every record in the cache as a table (damaged ones say why).",
			 O_ROOT | O_JSON, 1, false, argc, argv, &o, &ex) < 0)
		return ex;
	return walk(&o, o.has_key ? o.ns : NULL, o.has_key ? o.vm : NULL, NULL);
}
