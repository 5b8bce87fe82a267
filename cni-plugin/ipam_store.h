/* The lease store of mignet-ipam, file-compatible with host-local:
 * <dataDir>/<network>/<ip> holds "<containerID>\r\n<ifname>", round robin
 * state in last_reserved_ip.<set>, and a "lock" file taken with flock. An
 * owner index (.mignet-owners/<containerID>@<ifname>) makes release O(1). */
#ifndef MIGNET_IPAM_STORE_H
#define MIGNET_IPAM_STORE_H

#include <stdbool.h>

#include "err.h"
#include "inet.h"

#define IPAM_OWNER_DIR ".mignet-owners"
/* Present when mignet-ipam created the index over a store without leases:
 * from then on an owner without an index entry holds nothing. Stores that
 * host-local filled first keep the (O(n)) scan for unindexed owners. */
#define IPAM_INDEXED_MARK ".all-indexed"

struct ipam_store {
	int dirfd;     /* <dataDir>/<network>, O_DIRECTORY */
	int lockfd;    /* flock(LOCK_EX) held while open */
	int ownerfd;   /* IPAM_OWNER_DIR inside dirfd */
	bool indexed;  /* every lease has an owner index entry (no scans) */
	char path[4096];
};

struct ipam_owner {
	const char *container_id;
	const char *ifname;
};

/* Sticky leases: the VM an attachment belongs to (NULL: not sticky). The
 * VM index .mignet-vms/<ns>@<vm> lists "ip containerID ifname" for every
 * attachment of the VM that holds an address, so that another attachment
 * of the same VM (a migration target on this node) can share it, and a
 * release hands the lease to the remaining holder instead of freeing it. */
struct ipam_vm {
	const char *ns, *name;
};
#define IPAM_VM_DIR ".mignet-vms"

/* The VM's addresses in this network (distinct, at most max). */
int ipam_store_vm_ips(struct ipam_store *s, const struct ipam_vm *vm, struct np_ip *ips,
		      int max);
/* Records o as a holder of ip for vm. */
int ipam_store_vm_hold(struct ipam_store *s, const struct ipam_vm *vm, const struct np_ip *ip,
		       const struct ipam_owner *o, struct np_err *e);
/* Whether ip's lease is held by an attachment of vm (so o may share it). */
bool ipam_store_vm_owns_lease(struct ipam_store *s, const struct ipam_vm *vm,
			      const struct np_ip *ip);

/* Creates the directories as needed (0700, no symlinks followed) and
 * takes the lock. */
int ipam_store_open(struct ipam_store *s, const char *data_dir,
		    const char *network, struct np_err *e);
void ipam_store_close(struct ipam_store *s);

/* 1: the IP is now ours; 0: taken by someone else; <0: error. */
int ipam_store_reserve(struct ipam_store *s, const struct np_ip *ip,
		       const struct ipam_owner *o, struct np_err *e);
/* The owner's leases recorded in this store, from the index (or a scan of
 * host-local-written files when there is no index); with vm, also the
 * addresses it shares. */
int ipam_store_find(struct ipam_store *s, const struct ipam_owner *o,
		    const struct ipam_vm *vm, struct np_ip *ips, int max, struct np_err *e);
/* Adds ip to the owner's index (written before the lease file itself, so a
 * crash between the two leaves an index entry that release skips). */
int ipam_store_index_add(struct ipam_store *s, const struct ipam_owner *o,
			 const struct np_ip *ip, struct np_err *e);
int ipam_store_release(struct ipam_store *s, const struct ipam_owner *o,
		       const struct ipam_vm *vm, struct np_err *e);

int ipam_store_last_reserved(struct ipam_store *s, int set, struct np_ip *out);
int ipam_store_set_last_reserved(struct ipam_store *s, int set,
				 const struct np_ip *ip, struct np_err *e);

/* Removes every lease and index entry whose owner is_valid() rejects. */
int ipam_store_gc(struct ipam_store *s,
		  bool (*is_valid)(const char *cid, const char *ifname, void *arg),
		  void *arg, int *removed, struct np_err *e);

#endif
