/* The vifcache verbs share one option table; each verb says which options
 * it takes and gets them parsed and validated here. */
#ifndef MIGNET_VC_CLI_H
#define MIGNET_VC_CLI_H

#include <stdbool.h>

#include "record.h"
#include "vc_store.h"

enum vc_exit {
	VC_EXIT_OK = 0,
	VC_EXIT_FAIL = 1,
	VC_EXIT_USAGE = 2,
	VC_EXIT_MISMATCH = 3,
	VC_EXIT_MISSING = 4,
	VC_EXIT_CONFLICT = 5,
};

enum vc_opt {
	O_ROOT = 1 << 0, O_JSON = 1 << 1, O_NETNS = 1 << 2, O_IFACE = 1 << 3,
	O_NETWORK = 1 << 4, O_BINDING = 1 << 5, O_FROM_RESULT = 1 << 6, O_UID = 1 << 7,
	O_CONTAINER = 1 << 8, O_POD_UID = 1 << 9, O_KUBEVIRT = 1 << 10, O_OUTPUT = 1 << 11,
	O_FORCE = 1 << 12, O_DRY_RUN = 1 << 13, O_FROM_EXPORT = 1 << 14, O_DOMAIN_XML = 1 << 15,
	O_PROC_ROOT = 1 << 16, O_NETNS_DIR = 1 << 17, O_KUBELET_PODS = 1 << 18,
	O_DEVICE_ID = 1 << 19, O_SYSFS_ROOT = 1 << 20, O_KV_OWNER = 1 << 21, O_ALIAS = 1 << 22,
};

struct vc_opts {
	const char *root, *netns, *iface, *network, *from_result, *uid, *container_id,
		*pod_uid, *output, *from_export, *domain_xml, *proc_root, *netns_dir,
		*kubelet_pods, *device_id, *sysfs_root, *alias;
	enum vc_binding binding;
	bool has_binding, json, kubevirt, force, dry_run;
	unsigned int kv_uid, kv_gid;
	bool has_kv_owner;
	/* positional KEY: NS/VM[/IFACE] */
	char ns[VC_NAME_MAX + 1], vm[VC_NAME_MAX + 1], pod_iface[16];
	bool has_key, key_has_iface;
	const char *arg;    /* a second positional argument (import FILE) */
};

/* Parses argv for verb; prints help (exit 0) or the error (exit 2) itself
 * and returns -1 then. key: 0 none, 1 optional, 2 required; iface: whether
 * the key must name the interface. */
int vc_cli_parse(const char *verb, const char *usage, unsigned int allowed,
		 int key, bool iface, int argc, char **argv, struct vc_opts *o,
		 int *exit_code);
/* Opens the store from --root with the KubeVirt owner from --kubevirt-owner. */
int vc_cli_open_store(const struct vc_opts *o, struct vc_store *s, bool write);
void vc_cli_print_json(cJSON *j);
/* Reads a whole file or "-" (stdin), at most max bytes. */
char *vc_cli_read_input(const char *path, size_t max, size_t *len, struct np_err *e);

int cmd_populate(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_repair(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_apply(int argc, char **argv);
/* KubeVirt's own caches, where KubeVirt reads them (cmd_kv.c, cmd_kv_repair.c) */
int cmd_kv_verify(int argc, char **argv);
int cmd_kv_repair(int argc, char **argv);

#endif
