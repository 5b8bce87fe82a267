/* What kv-verify and kv-repair share: their options, and the launcher,
 * the VM's MAC and the checks set up from them. */
#ifndef MIGNET_VC_CMD_KV_H
#define MIGNET_VC_CMD_KV_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "kvcheck.h"
#include "record.h"

struct kv_opts {
	int pid;
	const char *iface, *vmi_uid, *network, *handler_root, *root;
	bool has_mac, has_vm, json, dry_run;
	uint8_t mac[NP_MAC_LEN];
	char ns[VC_NAME_MAX + 1], vm[VC_NAME_MAX + 1];
	unsigned int kv_uid, kv_gid;
};

struct kv_session {
	struct kv_opts o;
	struct vc_kvpod pod;
	bool has_record;
	struct vc_record record;   /* --vm's mignet record */
	struct vc_kvcheck check;
};

/* Parses argv and opens the launcher and the record; returns -1 with
 * *exit_code set (help printed, or the error) when the verb must stop. */
int kv_session_open(const char *verb, const char *usage, bool repair, int argc, char **argv,
		    struct kv_session *s, int *exit_code);
void kv_session_close(struct kv_session *s);
/* (Re)runs the checks into s->check; -1 after printing the failure. */
int kv_session_check(const char *verb, struct kv_session *s);

cJSON *kv_findings_json(const struct vc_kvcheck *c);
void kv_findings_print(const struct vc_kvcheck *c);
/* "pending", "finished" ..., "absent", "torn" or "unreadable". */
const char *kv_state_label(const struct vc_kvcheck *c);

#endif
