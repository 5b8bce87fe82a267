/* netprep migrate's preflight: everything that must hold before a byte
 * moves. Each failed check adds a refusal that names what was found and
 * what to do; a refused migration changes nothing. The checks that need
 * no libvirt are separate so they can be tested message by message. */
#ifndef NETPREP_MIGRATE_PREFLIGHT_H
#define NETPREP_MIGRATE_PREFLIGHT_H

#include <libvirt/libvirt.h>
#include <stdbool.h>

#include "migrate_opts.h"
#include "migrate_run.h"

/* The last libvirt error's message, for the messages of both files. */
const char *mig_virt_msg(void);
void mig_refuse(struct mig_status *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The "client socket is closed" case: a target libvirt or QEMU older than
 * the source's cannot take the source's migration stream. Versions are
 * libvirt's encoding, major * 1000000 + minor * 1000 + micro. */
void mig_check_version_skew(unsigned long src_lib, unsigned long dst_lib, unsigned long src_qemu,
			    unsigned long dst_qemu, struct mig_status *st);

/* The uid QEMU runs as for domains of VIRT_TYPE ("kvm", "qemu"), from the
 * DAC base label of a capabilities XML; -1 when it does not say. */
long mig_caps_qemu_uid(const char *caps_xml, const char *virt_type);

/* Post-copy needs userfaultfd in the target's QEMU: root has it, any other
 * uid only with vm.unprivileged_userfaultfd = 1 (uffd is -1 when unknown).
 * WHERE says whose sysctl value uffd is. */
void mig_check_userfaultfd(long qemu_uid, int uffd, const char *where, struct mig_status *st);

/* Every vif-cache record of NS/VM in the source store has a twin in the
 * target store (same pod interface, MAC and addresses): the target will
 * reattach with the same identity. */
void mig_check_vif_cache(const char *src_root, const char *tgt_root, const char *ns,
			 const char *vm, struct mig_status *st);

/* All checks against the live source and target; returns whether the
 * domain has a VFIO device (that rules post-copy out). */
bool mig_preflight(const struct mig_opts *o, virConnectPtr src, virConnectPtr dst,
		   virDomainPtr dom, struct mig_status *st);

#endif
