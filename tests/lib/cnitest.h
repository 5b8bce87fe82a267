/* Runs the mignet CNI binary (or a reference plugin) the way a runtime
 * does: a clean environment, the config on stdin, the result on stdout,
 * executed inside a test "host" namespace via `ip netns exec`. */
#ifndef MIGNET_CNITEST_H
#define MIGNET_CNITEST_H

#include <cjson/cJSON.h>

struct cni_call {
	const char *host_ns;    /* namespace name the plugin runs in */
	const char *plugin;     /* path of the binary */
	const char *command;
	const char *container_id;
	const char *netns;      /* CNI_NETNS */
	const char *ifname;
	const char *args;       /* CNI_ARGS */
	const char *path;       /* CNI_PATH (default /usr/lib/cni) */
	const char *extra_env;  /* one more "K=V", or NULL */
};

/* Returns the exit status; *out gets the parsed stdout (NULL when empty). */
int cni_run(const struct cni_call *c, const char *conf, cJSON **out);
/* printf-style config builder; the result must be freed. */
char *cni_conf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Lease and owner-index files under an IPAM store directory (recursive;
 * the lock, the round-robin state and the all-indexed marker do not
 * count). */
int cni_count_leases(const char *dir);

#endif
