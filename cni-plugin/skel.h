/* The CNI protocol frame: environment, stdin, version checks and the error
 * object, as in containernetworking/cni's pkg/skel. */
#ifndef MIGNET_SKEL_H
#define MIGNET_SKEL_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* Error codes from the CNI specification. */
enum cni_code {
	CNI_ERR_INCOMPATIBLE_VERSION = 1,
	CNI_ERR_UNSUPPORTED_FIELD = 2,
	CNI_ERR_UNKNOWN_CONTAINER = 3,
	CNI_ERR_INVALID_ENV = 4,
	CNI_ERR_IO = 5,
	CNI_ERR_DECODE = 6,
	CNI_ERR_INVALID_CONFIG = 7,
	CNI_ERR_INVALID_NETNS = 8,  /* Go's skel: CNI_NETNS is the plugin's own */
	CNI_ERR_TRY_LATER = 11,
	CNI_ERR_NOT_AVAILABLE = 50,
	CNI_ERR_LIMITED_CONNECTIVITY = 51,
	CNI_ERR_INTERNAL = 999,
};

enum cni_cmd { CNI_ADD, CNI_DEL, CNI_CHECK, CNI_STATUS, CNI_GC, CNI_VERSION };

/* A CNI failure: spec code plus message (and optional details). */
struct cni_error {
	int code;
	char msg[NP_ERR_MAX];
	char details[256];
};

/* Records the first error only; returns -1 so callers can `return cni_fail(...)`. */
int cni_fail(struct cni_error *ce, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Turns a core error into a CNI error with the given code. */
int cni_fail_np(struct cni_error *ce, int code, const struct np_err *e);

struct cni_env {
	enum cni_cmd cmd;
	const char *command;
	const char *container_id;
	const char *netns;
	const char *ifname;
	const char *args;   /* CNI_ARGS, may be NULL */
	const char *path;   /* CNI_PATH, may be NULL */
};

/* Reads and checks the environment for the command, as the spec requires:
 * code 4 naming every missing or invalid variable. getenv_fn lets tests
 * feed their own environment. */
int cni_env_load(struct cni_env *env, const char *(*getenv_fn)(const char *),
		 struct cni_error *ce);

/* Refuses (code 8, as the Go skel) a CNI_NETNS that is the namespace the
 * plugin itself runs in: ADD would put the pod's link on the node and DEL
 * would delete the node's own interface of that name. */
int cni_env_check_netns(const struct cni_env *env, struct cni_error *ce);

extern const char *const cni_supported_versions[];
extern const size_t cni_n_supported_versions;

/* >= 0: index into cni_supported_versions; -1: not supported. */
int cni_version_index(const char *v);
/* Compares two supported version strings like strcmp. */
int cni_version_cmp(const char *a, const char *b);

/* Prints the CNI error object on stdout. */
void cni_print_error(const char *version, const struct cni_error *ce);

#endif
