/* CNI results: built by the kinds and IPAM, printed in the request's
 * version, and parsed back from prevResult for chaining and CHECK. */
#ifndef MIGNET_RESULT_H
#define MIGNET_RESULT_H

#include <cjson/cJSON.h>
#include <net/if.h>
#include <stdbool.h>

#include "inet.h"
#include "skel.h"

#define CNI_MAX_IFACES 8
#define CNI_MAX_RESULT_IPS 16
#define CNI_MAX_ROUTES 32

struct cni_iface {
	char name[IFNAMSIZ];
	char mac[NP_MAC_STRLEN];
	char sandbox[256];     /* "" for host-side interfaces */
	unsigned int mtu;      /* 1.1.0 only; 0 = unset */
	char pci_id[32];       /* 1.1.0 only; "" = unset */
};

struct cni_ip {
	struct np_prefix address;
	bool has_gw;
	struct np_ip gw;
	int iface;             /* index into interfaces, -1 = none */
};

struct cni_route {
	struct np_prefix dst;
	bool has_gw;
	struct np_ip gw;
	unsigned int mtu, advmss, priority, table; /* 1.1.0 only; 0 = unset */
	int scope;                                 /* 1.1.0 only; -1 = unset */
};

struct cni_result {
	int n_ifaces, n_ips, n_routes;
	struct cni_iface ifaces[CNI_MAX_IFACES];
	struct cni_ip ips[CNI_MAX_RESULT_IPS];
	struct cni_route routes[CNI_MAX_ROUTES];
	cJSON *dns;            /* owned copy, may be NULL */
};

void cni_result_init(struct cni_result *r);
void cni_result_free(struct cni_result *r);
/* Returns the new interface's index, or -1 when full. */
int cni_result_add_iface(struct cni_result *r, const char *name,
			 const uint8_t mac[NP_MAC_LEN], const char *sandbox);
/* The JSON object for version (one of the supported ones). */
cJSON *cni_result_json(const struct cni_result *r, const char *version);
/* Parses a result (prevResult, or a delegated IPAM's output) written in
 * version; code 7 or 6 on malformed input. */
int cni_result_parse(const cJSON *j, struct cni_result *r, struct cni_error *ce);
/* Appends the IPs/routes/dns of an IPAM result, pointing IPs at iface. */
int cni_result_merge_ipam(struct cni_result *r, const struct cni_result *ipam,
			  int iface, struct cni_error *ce);

#endif
