/* Links: create (veth, macvlan, bridge), delete, rename, move to another
 * namespace, set MAC/MTU/up/master, bridge port flags, and read state. All
 * calls work through one np_nl socket and name links by name. */
#ifndef MIGNET_LINK_H
#define MIGNET_LINK_H

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>

#include "inet.h"
#include "nl.h"

struct np_link_attrs {
	const char *name;       /* required */
	const uint8_t *mac;     /* NULL: the kernel picks one */
	unsigned int mtu;       /* 0: kernel default */
	const char *netns;      /* NULL: the socket's namespace; else a path */
	int master_index;       /* >0: enslaved to this link at creation */
	uint32_t group;         /* IFLA_GROUP at creation; 0: the default group */
	bool up;
};

enum np_macvlan_mode {
	NP_MACVLAN_BRIDGE,
	NP_MACVLAN_PRIVATE,
	NP_MACVLAN_VEPA,
	NP_MACVLAN_PASSTHRU,
};

/* "bridge", "private", "vepa", "passthru" */
int np_macvlan_mode_parse(const char *s, enum np_macvlan_mode *out, struct np_err *e);
const char *np_macvlan_mode_name(enum np_macvlan_mode m);

struct np_macvlan_opts {
	const char *master;     /* parent link, in the socket's namespace */
	int master_index;       /* its ifindex when the caller knows it, else 0 */
	enum np_macvlan_mode mode;
	uint32_t bcqueuelen;    /* 0: kernel default */
};

/* Tri-state bridge port flags: -1 leaves a flag as it is. */
struct np_brport_opts {
	int hairpin;
	int learning;
	int isolated;
	int flood_unicast;
};
#define NP_BRPORT_UNCHANGED { -1, -1, -1, -1 }

/* The kernel's IFALIASZ; an alias is how mignet marks the links it made. */
#define NP_IFALIAS_MAX 256

struct np_link_info {
	int ifindex;
	char name[IFNAMSIZ];
	uint8_t mac[32];
	unsigned int mac_len;
	unsigned int mtu;
	unsigned int flags;           /* IFF_* */
	uint8_t operstate;            /* IF_OPER_* */
	char kind[24];                /* "veth", "macvlan", "bridge", "" */
	int master;                   /* ifindex of the master, 0 if none */
	int link;                     /* IFLA_LINK: veth peer / macvlan parent */
	int link_netnsid;             /* -1: same namespace as the link */
	int macvlan_mode;             /* enum np_macvlan_mode or -1 */
	int vlan_id;                  /* 802.1q id, or -1 */
	char alias[NP_IFALIAS_MAX];   /* IFLA_IFALIAS, "" when unset */
	uint32_t group;               /* IFLA_GROUP */
};

int np_link_create_veth(struct np_nl *nl, const struct np_link_attrs *self,
			const struct np_link_attrs *peer, struct np_err *e);
int np_link_create_macvlan(struct np_nl *nl, const struct np_link_attrs *a,
			   const struct np_macvlan_opts *o, struct np_err *e);
int np_link_create_bridge(struct np_nl *nl, const struct np_link_attrs *a,
			  struct np_err *e);

/* An 802.1q VLAN subinterface a->name of parent with id vid. The request
 * is built by np_vlan_msg (exact bytes, for tests on kernels without
 * 802.1q, where creation fails with a message that says so). */
struct nlmsghdr *np_vlan_msg(void *buf, uint32_t seq, const char *name,
			     int parent_index, uint16_t vid, unsigned int mtu);
int np_link_create_vlan(struct np_nl *nl, const struct np_link_attrs *a,
			const char *parent, uint16_t vid, struct np_err *e);

/* -ENODEV when the link does not exist; callers that want idempotent
 * deletes treat that as success. */
int np_link_delete(struct np_nl *nl, const char *name, struct np_err *e);
/* Deletes the link with that index (name is for messages), so a link
 * checked by index is the one that goes, whatever it is called by now. */
int np_link_delete_index(struct np_nl *nl, const char *name, int ifindex, struct np_err *e);
int np_link_rename(struct np_nl *nl, const char *name, const char *newname,
		   struct np_err *e);
/* Moves name into the namespace at netns_path, renaming it on the way when
 * newname is not NULL (so the new name never exists in the old netns). */
int np_link_move(struct np_nl *nl, const char *name, const char *netns_path,
		 const char *newname, struct np_err *e);
int np_link_set_mac(struct np_nl *nl, const char *name,
		    const uint8_t mac[NP_MAC_LEN], struct np_err *e);
/* Sets the link's alias (ifindex > 0 picks the link, else name). */
int np_link_set_alias(struct np_nl *nl, const char *name, int ifindex,
		      const char *alias, struct np_err *e);
int np_link_set_mtu(struct np_nl *nl, const char *name, unsigned int mtu,
		    struct np_err *e);
int np_link_set_up(struct np_nl *nl, const char *name, bool up, struct np_err *e);
/* master NULL releases the link from its master. */
int np_link_set_master(struct np_nl *nl, const char *name, const char *master,
		       struct np_err *e);
int np_bridge_port_set(struct np_nl *nl, const char *port,
		       const struct np_brport_opts *o, struct np_err *e);

/* Sets one IPv4 per-interface setting (IPV4_DEVCONF_*, e.g. ARP_NOTIFY)
 * through netlink: the same effect as writing net.ipv4.conf.<name>.<key>,
 * without entering the link's namespace or opening /proc. */
int np_link_set_ipv4_conf(struct np_nl *nl, int ifindex, const char *name, int key,
			  uint32_t value, struct np_err *e);

/* Sets or clears one IFF_* flag (e.g. IFF_PROMISC). */
int np_link_set_flag(struct np_nl *nl, const char *name, unsigned int flag,
		     bool on, struct np_err *e);
/* Turns VLAN filtering on a bridge on or off. Kernels built without
 * CONFIG_BRIDGE_VLAN_FILTERING refuse it; the message says so. */
int np_bridge_set_vlan_filtering(struct np_nl *nl, const char *bridge, bool on,
				 struct np_err *e);
/* The exact requests np_bridge_set_vlan_filtering and np_bridge_vlan send
 * (built into buf), for tests that check them byte by byte. */
struct nlmsghdr *np_bridge_vlan_filtering_msg(void *buf, uint32_t seq,
					      const char *bridge, bool on);
struct nlmsghdr *np_bridge_vlan_msg(void *buf, uint32_t seq, int port_index,
				    uint16_t vid, bool pvid, bool untagged, bool del);
/* Adds (or with del, removes) VLAN vid on a bridge port. */
int np_bridge_vlan(struct np_nl *nl, const char *port, uint16_t vid, bool pvid,
		   bool untagged, bool del, struct np_err *e);
/* Waits, through link notifications rather than sleeps, until the link's
 * operstate is UP; -ETIMEDOUT after timeout_ms. */
int np_link_wait_up(const char *netns, const char *name, int timeout_ms,
		    struct np_err *e);

/* Fills out from one RTM_NEWLINK message (nlmsg_len bytes); -EBADMSG
 * when it names no link. Attributes np_link_info has no field for are
 * skipped, and so are malformed ones. */
int np_link_parse(const struct nlmsghdr *nlh, struct np_link_info *out);
/* -ENODEV with a message when missing. */
int np_link_get(struct np_nl *nl, const char *name, struct np_link_info *out,
		struct np_err *e);
int np_link_get_by_index(struct np_nl *nl, int ifindex,
			 struct np_link_info *out, struct np_err *e);
/* Calls cb for every link; a negative return from cb stops the walk. */
int np_link_list(struct np_nl *nl,
		 int (*cb)(const struct np_link_info *l, void *arg), void *arg,
		 struct np_err *e);

#endif
