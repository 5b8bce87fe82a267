/* Test harness for code that touches the kernel: network namespaces with a
 * unique prefix, veth pairs standing in for NICs (no dummy driver here), and
 * read-back through iproute2's JSON output, independent of mignet's own
 * netlink code. Everything created is removed at exit, on a failed
 * assertion and on SIGINT/SIGTERM/SIGHUP. */
#ifndef MIGNET_NSTEST_H
#define MIGNET_NSTEST_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#define NST_PATH_MAX 128

/* Must be called once before anything else; prefix comes from
 * $MIGNET_TEST_PREFIX (set by tests/run-suites.sh) plus this process's pid. */
void nst_init(void);
const char *nst_prefix(void);

/* Creates namespace <prefix><suffix> with lo up; returns its /run/netns
 * path in path (NST_PATH_MAX bytes) and its name in name (may be NULL). */
void nst_netns_add(const char *suffix, char *path, char *name);
void nst_netns_del(const char *name);

/* Runs a shell command (printf-style); returns its exit status. */
int nst_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Runs a command and parses its stdout as JSON (NULL if it failed). */
cJSON *nst_json(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* `ip -j -d -n ns link show dev ifname` → the link object, or NULL. */
cJSON *nst_link(const char *ns, const char *ifname);
const char *nst_str(const cJSON *o, const char *path);   /* "a.b.c" */
double nst_num(const cJSON *o, const char *path);        /* NAN if absent */
/* The netns inode the calling thread is in. */
unsigned long nst_self_netns_inode(void);

#endif
