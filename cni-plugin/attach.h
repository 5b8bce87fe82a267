/* Steps every kind shares: naming, putting a result's addresses and routes
 * on the container interface, and checking them again for CHECK. */
#ifndef MIGNET_ATTACH_H
#define MIGNET_ATTACH_H

#include <stdbool.h>
#include <stdint.h>

#include "kind.h"
#include "link.h"
#include "nl.h"
#include "result.h"
#include "skel.h"

/* The sockets an attachment works through: one in the host namespace and
 * one in the container's (ctr stays closed when netns is NULL). */
struct attach_socks {
	struct np_nl *host, *ctr;
};

int attach_socks_open(struct attach_socks *s, const char *netns, struct cni_error *ce);
void attach_socks_close(struct attach_socks *s);

/* One ADD in the making, shared by the pipeline and the kind's hooks. */
struct attach_run {
	const struct cni_ctx *ctx;
	struct attach_socks s;
	void *state;               /* the kind's own, run_size bytes */
	struct np_link_info link;  /* the container interface, filled by create */
	bool keep_down;            /* leave it down (disableContainerInterface) */
	bool dad;                  /* keep IPv6 DAD */
	bool report_only;          /* IPs are reported, not set (SR-IOV: the guest sets them) */
};

/* ADD of a kind with create/undo: see struct cni_kind. */
int attach_add(const struct cni_kind *kind, struct cni_ctx *ctx, struct cni_result *res,
	       struct cni_error *ce);

/* DEL of a link-based attachment: CNI_IFNAME in the netns if this
 * container made it (its alias), then the IPAM release, which runs even
 * when the link part failed; a missing netns or link is success. */
int attach_del(const struct cni_ctx *ctx, struct cni_error *ce);
/* DEL's release of the address; a delegated IPAM that is not installed is
 * reported on stderr and left to its own GC (README). */
int attach_release_ipam(const struct cni_ctx *ctx, struct cni_error *ce);

/* Every link an ADD creates in the pod carries "mignet:<containerID>" (or
 * a hash of an ID too long for an alias) as its IFLA_IFALIAS. */
#define ATTACH_ALIAS_PREFIX "mignet:"
void attach_owner_alias(const char *container_id, char *out, size_t len);
/* The link group (IFLA_GROUP) a container's links are created in: a
 * 32-bit hash of its ID, set in the create request itself, so a plugin
 * killed before attach_claim still leaves a link DEL can recognise. Never
 * 0 (the default group). */
uint32_t attach_owner_group(const char *container_id);
/* Marks the new container link ifindex as this container's. */
int attach_claim(struct np_nl *ctr, const struct cni_env *env, int ifindex,
		 struct cni_error *ce);

/* "<prefix><8 hex>" from getrandom, for links that must not collide. */
void attach_random_name(const char *prefix, char *out, size_t len);

/* Opens a socket in the container namespace; a missing namespace is code 3
 * (the spec's "container unknown"). */
int attach_open_netns(struct np_nl *nl, const char *netns, struct cni_error *ce);

/* Adds the result's IPs for iface (IPv6 without DAD unless dad) to the
 * link, sets it up unless keep_down, then adds the routes. */
int attach_configure(struct np_nl *nl, const struct np_link_info *link,
		     const struct cni_result *r, int iface, bool dad, bool keep_down,
		     struct cni_error *ce);

/* arp_notify so the kernel announces the interface (link, through ctr);
 * when the result gives it IPv6 addresses, ndisc_notify too and
 * accept_dad=0 unless dad, in netns. IPv6 keys are skipped when IPv6 is
 * off. */
int attach_sysctls(struct np_nl *ctr, const char *netns, const struct np_link_info *link,
		   const struct cni_result *r, int iface, bool dad, struct cni_error *ce);

/* CHECK: the interface named in prev (name == ifname, sandbox == netns)
 * exists with prev's MAC; its IPs and routes are present. */
int attach_check_iface(struct np_nl *nl, const struct cni_env *env,
		       const struct cni_result *prev, struct np_link_info *li,
		       struct cni_error *ce);

/* A non-empty "dns" object in the config replaces what IPAM returned, as
 * in the reference plugins. */
void attach_result_dns(struct cni_result *res, const struct cni_conf *c);

/* The default-route interface of nl's namespace. */
int attach_default_route_iface(struct np_nl *nl, char *out, struct cni_error *ce);

/* After an EEXIST: true, with the error set, when the container already
 * has a link named CNI_IFNAME. Checking only then saves every ADD a round
 * trip. */
bool attach_name_taken(struct np_nl *ctr, const struct cni_env *env, struct cni_error *ce);

/* Adds the container's interface (MAC and MTU as read) to res; its index
 * there, or -1 with the error set. */
int attach_result_ctr_iface(struct cni_result *res, const struct cni_env *env,
			    const struct np_link_info *li, struct cni_error *ce);


/* The link as the kernel has it (MAC, MTU, index), for the result. */
int attach_read_link(struct np_nl *nl, const char *ifname, struct np_link_info *li,
		     struct cni_error *ce);

#endif
