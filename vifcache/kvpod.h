/* A virt-launcher pod reached from the node through /proc/<pid>: its root
 * is opened once and every path beneath it is resolved as the pod itself
 * would resolve it (openat2 RESOLVE_IN_ROOT: absolute symlinks and ".."
 * stay inside the pod's root, /proc magic links are refused), so nothing a
 * pod plants in its own filesystem can lead a read or a write onto the
 * node. The network namespace is taken from the same /proc/<pid>
 * directory, so both belong to one process even if the PID is reused. */
#ifndef MIGNET_VC_KVPOD_H
#define MIGNET_VC_KVPOD_H

#include "err.h"

/* KubeVirt's util.VirtPrivateDir, without its leading '/'. */
#define VC_KV_PRIVATE_DIR "var/run/kubevirt-private"

struct vc_kvpod {
	int pid;
	int piddir;            /* /proc/<pid> */
	int rootfd;            /* O_PATH: the pod's root */
	int netnsfd;
	char netns_path[32];   /* "/proc/self/fd/N": its network namespace */
	char shown_root[48];   /* "/proc/<pid>/root", for messages */
};

/* A PID argument: decimal digits only, 1 to 4194304 (the kernel's limit). */
int vc_kvpod_parse_pid(const char *s, int *pid, struct np_err *e);

/* proc NULL: "/proc". -ESRCH when there is no such process; -EPERM when
 * the process shares this program's root or PID 1's (the node's own
 * filesystem is no launcher pod's). */
int vc_kvpod_open(struct vc_kvpod *p, const char *proc, int pid, struct np_err *e);
void vc_kvpod_close(struct vc_kvpod *p);

/* Opens rel (a relative path) beneath the pod's root as a directory that
 * can be read, written and fsynced beside; -ENOENT when it is missing,
 * -ELOOP on a magic link or a symlink loop, -ENOTDIR when it is no
 * directory. */
int vc_kvpod_open_dir(const struct vc_kvpod *p, const char *rel, struct np_err *e);

#endif
