/* The lease store of mignet-ipam, file-compatible with host-local:
 * <dataDir>/<network>/<ip> holds "<containerID>\r\n<ifname>", round robin
 * state in last_reserved_ip.<set>, and a "lock" file taken with flock. An
 * owner index (.mignet-owners/<containerID>@<ifname>) makes release O(1).
 *
 * Every file is read through np_open_state (a FIFO or device under a
 * store name is an error naming it, never a reader blocked under the lock)
 * and written either by linking a complete unnamed file in or by
 * np_atomic_write's rename, never in place (a hard link planted under a
 * name is replaced, not written through). */
#ifndef MIGNET_IPAM_STORE_H
#define MIGNET_IPAM_STORE_H

#include <stdbool.h>
#include <stddef.h>

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
 * release hands the lease to the remaining holder instead of freeing it.
 * Every function taking a VM refuses (-EINVAL) a namespace that is not a
 * DNS-1123 label or a name that is not a DNS-1123 subdomain. */
struct ipam_vm {
	const char *ns, *name;
};
#define IPAM_VM_DIR ".mignet-vms"

/* The VM's addresses in this network (distinct, at most max). */
int ipam_store_vm_ips(struct ipam_store *s, const struct ipam_vm *vm, struct np_ip *ips,
		      int max, struct np_err *e);
/* Records o as a holder of each of ips for vm (one write at most). */
int ipam_store_vm_hold(struct ipam_store *s, const struct ipam_vm *vm, const struct np_ip *ips,
		       int n_ips, const struct ipam_owner *o, struct np_err *e);
/* 1 when ip's lease is held by an attachment of vm (so o may share it),
 * 0 when not, <0 on error. */
int ipam_store_vm_owns_lease(struct ipam_store *s, const struct ipam_vm *vm,
			     const struct np_ip *ip, struct np_err *e);

/* Creates the directories as needed (0700, no symlinks followed) and
 * takes the lock. */
int ipam_store_open(struct ipam_store *s, const char *data_dir,
		    const char *network, struct np_err *e);
void ipam_store_close(struct ipam_store *s);

enum ipam_lease_state { IPAM_LEASE_FREE, IPAM_LEASE_OURS, IPAM_LEASE_TAKEN };
/* Whose ip's lease is, read without writing anything; <0 on error. */
int ipam_store_lease_state(struct ipam_store *s, const struct np_ip *ip,
			   const struct ipam_owner *o, struct np_err *e);
/* 1 when any file has ip's name (a lease, or whatever else took the name),
 * 0 when none: one lookup, no open. */
int ipam_store_exists(struct ipam_store *s, const struct np_ip *ip, struct np_err *e);
/* fn(ip) for every name in the store that is an IP (a lease, or whatever
 * else took such a name), until fn returns <0: one listing, for a crowded
 * range where lookups one by one would cost more. */
int ipam_store_each_name(struct ipam_store *s, int (*fn)(const struct np_ip *ip, void *arg),
			 void *arg, struct np_err *e);

/* 1: the IP is now ours; 0: taken by someone else; <0: error. */
int ipam_store_reserve(struct ipam_store *s, const struct np_ip *ip,
		       const struct ipam_owner *o, struct np_err *e);
/* The owner's leases recorded in this store, from the index (or a scan of
 * host-local-written files when there is no index); with vm, also the
 * addresses it shares. */
int ipam_store_find(struct ipam_store *s, const struct ipam_owner *o,
		    const struct ipam_vm *vm, struct np_ip *ips, int max, struct np_err *e);
/* Makes the owner's index list exactly ips: written once per ADD, before
 * the leases themselves, so a crash between the two leaves an index entry
 * that release skips, never a lease that no index names. Not rewritten
 * when it already lists them. */
int ipam_store_index_set(struct ipam_store *s, const struct ipam_owner *o,
			 const struct np_ip *ips, int n, struct np_err *e);
int ipam_store_release(struct ipam_store *s, const struct ipam_owner *o,
		       const struct ipam_vm *vm, struct np_err *e);

/* 1 and *out: the round-robin hint of range set `set`; 0: none (absent or
 * unparsable); <0: unreadable (e names it). */
int ipam_store_last_reserved(struct ipam_store *s, int set, struct np_ip *out,
			     struct np_err *e);
int ipam_store_set_last_reserved(struct ipam_store *s, int set,
				 const struct np_ip *ip, struct np_err *e);
/* Removes the temp files a writer of the hints of sets 0..n_sets-1 left
 * when it was killed between naming and renaming one. */
void ipam_store_sweep(struct ipam_store *s, int n_sets);

/* Removes every lease and index entry whose owner is_valid() rejects. A
 * file that cannot be read is left alone and the first one is reported
 * (<0, e naming it) once the rest is swept. */
int ipam_store_gc(struct ipam_store *s,
		  bool (*is_valid)(const char *cid, const char *ifname, void *arg),
		  void *arg, int *removed, struct np_err *e);

#endif
