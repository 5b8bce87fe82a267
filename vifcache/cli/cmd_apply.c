#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vifcache_cli.h"
#include "sriov.h"

int cmd_apply(int argc, char **argv)
{
	struct vc_opts o;
	int ex;
	if (vc_cli_parse("apply", "apply NS/VM/IFACE --device-id PCI [--sysfs-root DIR] [--root DIR] [--json]\n\n"
			 "SR-IOV: sets the target VF's MAC, VLAN, spoofchk and trust on its PF from the\n"
			 "record, so the guest keeps its MAC on the target node.",
			 O_ROOT | O_JSON | O_DEVICE_ID | O_SYSFS_ROOT, 2, true, argc, argv, &o, &ex) < 0)
		return ex;
	if (!o.device_id) {
		fprintf(stderr, "vifcache apply: --device-id is required (the VF on this node)\n");
		return VC_EXIT_USAGE;
	}
	struct vc_store s;
	struct vc_record r;
	struct np_err e = { 0 };
	if (vc_cli_open_store(&o, &s, false) < 0)
		return VC_EXIT_FAIL;
	int rc = vc_store_read(&s, o.ns, o.vm, o.pod_iface, &r, &e);
	vc_store_close(&s);
	if (rc < 0) {
		fprintf(stderr, "vifcache apply: %s\n", rc == -ENOENT ? "no such record" : e.msg);
		return rc == -ENOENT ? VC_EXIT_MISSING : VC_EXIT_FAIL;
	}
	if (r.binding != VC_SRIOV || !r.has_sriov) {
		fprintf(stderr, "vifcache apply: %s/%s/%s is a %s attachment, not sriov\n", o.ns, o.vm, o.pod_iface,
			vc_binding_name(r.binding));
		return VC_EXIT_FAIL;
	}
	struct np_vf_ref ref;
	if (np_vf_lookup(o.sysfs_root ? o.sysfs_root : "/sys", o.device_id, &ref, &e) < 0) {
		fprintf(stderr, "vifcache apply: %s\n", e.msg);
		return VC_EXIT_FAIL;
	}
	struct np_vf_config c = {
		.has_mac = true, .has_vlan = true, .has_spoofchk = true, .has_trust = true,
		.vlan = (uint16_t)r.sriov.vlan, .spoofchk = r.sriov.spoofchk, .trust = r.sriov.trust,
	};
	memcpy(c.mac, r.has_mac ? r.mac : r.sriov.vf_mac, NP_MAC_LEN);
	struct np_nl *nl = np_nl_alloc();
	rc = nl ? np_nl_open(nl, NULL, &e) : -1;
	if (rc == 0)
		rc = np_vf_set(nl, ref.pf_ifname, ref.vf, &c, &e);
	if (nl)
		np_nl_close(nl);
	free(nl);
	if (rc < 0) {
		fprintf(stderr, "vifcache apply: %s\n", e.msg);
		return VC_EXIT_FAIL;
	}
	char mac[NP_MAC_STRLEN];
	np_mac_str(c.mac, mac, sizeof(mac));
	if (o.json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "pf", ref.pf_ifname);
		cJSON_AddNumberToObject(j, "vf", ref.vf);
		cJSON_AddStringToObject(j, "pciAddress", ref.pci);
		cJSON_AddStringToObject(j, "mac", mac);
		cJSON_AddNumberToObject(j, "vlan", c.vlan);
		cJSON_AddBoolToObject(j, "spoofchk", c.spoofchk);
		cJSON_AddBoolToObject(j, "trust", c.trust);
		vc_cli_print_json(j);
		cJSON_Delete(j);
	} else {
		printf("VF %d on %s (%s): MAC %s, VLAN %u, spoofchk %s, trust %s\n", ref.vf, ref.pf_ifname,
		       ref.pci, mac, c.vlan, c.spoofchk ? "on" : "off", c.trust ? "on" : "off");
	}
	return VC_EXIT_OK;
}
