/* mignet's vif-cache record: one per (VM, pod interface), versioned JSON.
 * Parsing trusts nothing: every field is type-, range- and name-checked,
 * and documents above VC_RECORD_MAX bytes are refused. */
#ifndef MIGNET_VC_RECORD_H
#define MIGNET_VC_RECORD_H

#include <cjson/cJSON.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "inet.h"

#define VC_SCHEMA 1
#define VC_RECORD_MAX (64 * 1024)
#define VC_MAX_IPS 8
#define VC_MAX_GWS 4
#define VC_MAX_ROUTES 16
#define VC_NAME_MAX 253

enum vc_binding { VC_BRIDGE, VC_MACVLAN, VC_SRIOV };
enum vc_state { VC_PENDING, VC_STARTED, VC_FINISHED };

struct vc_route {
	struct np_prefix dst;
	bool has_gw;
	struct np_ip gw;
};

struct vc_sriov {
	char pf[IFNAMSIZ];
	int vf;
	char pci[13];
	uint8_t vf_mac[NP_MAC_LEN];
	unsigned int vlan;
	bool spoofchk, trust;
};

struct vc_owner {
	char container_id[256];
	unsigned long long netns_inode;   /* 0: unknown */
	char pod_uid[64];
};

struct vc_record {
	int schema;
	char ns[VC_NAME_MAX + 1], vm[VC_NAME_MAX + 1], uid[64];
	char network[VC_NAME_MAX + 1];
	char pod_iface[IFNAMSIZ];
	enum vc_binding binding;
	bool has_mac;
	uint8_t mac[NP_MAC_LEN];
	int n_ips, n_gws, n_routes;
	struct np_prefix ips[VC_MAX_IPS];
	struct np_ip gws[VC_MAX_GWS];
	struct vc_route routes[VC_MAX_ROUTES];
	unsigned int mtu;
	unsigned int vlan;
	char bridge[IFNAMSIZ];
	bool has_sriov;
	struct vc_sriov sriov;
	struct vc_owner owner;
	enum vc_state state;
	long long created, updated;       /* unix seconds */
};

const char *vc_binding_name(enum vc_binding b);
const char *vc_state_name(enum vc_state s);
int vc_binding_parse(const char *s, enum vc_binding *out);

/* The cache key of a record, before it becomes path components: the
 * namespace a DNS-1123 label, the VM name a DNS-1123 subdomain (Kubernetes'
 * rules for both), the pod interface a kernel interface name. pod_iface may
 * be NULL (a VM's key alone). */
int vc_key_validate(const char *ns, const char *vm, const char *pod_iface, struct np_err *e);
/* Checks names and ranges of a record built in memory (before writing). */
int vc_record_validate(const struct vc_record *r, struct np_err *e);
cJSON *vc_record_to_json(const struct vc_record *r);
int vc_record_from_json(const cJSON *j, struct vc_record *r, struct np_err *e);
/* Text forms; parse refuses input above VC_RECORD_MAX. */
char *vc_record_format(const struct vc_record *r);
int vc_record_parse(const char *text, size_t len, struct vc_record *r, struct np_err *e);

/* Equal in what a reattach depends on: MAC, IPs, gateways, routes, MTU. */
bool vc_record_same_network_state(const struct vc_record *a, const struct vc_record *b);

#endif
