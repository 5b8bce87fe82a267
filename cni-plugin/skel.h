/* The CNI protocol frame: environment, stdin, version checks and the error
 * object, as in containernetworking/cni's pkg/skel. */
#ifndef MIGNET_SKEL_H
#define MIGNET_SKEL_H

#include <stddef.h>

/* Error codes from the CNI specification. */
enum cni_code {
	CNI_ERR_INCOMPATIBLE_VERSION = 1,
	CNI_ERR_UNSUPPORTED_FIELD = 2,
	CNI_ERR_UNKNOWN_CONTAINER = 3,
	CNI_ERR_INVALID_ENV = 4,
	CNI_ERR_IO = 5,
	CNI_ERR_DECODE = 6,
	CNI_ERR_INVALID_CONFIG = 7,
	CNI_ERR_TRY_LATER = 11,
	CNI_ERR_NOT_AVAILABLE = 50,
	CNI_ERR_LIMITED_CONNECTIVITY = 51,
	CNI_ERR_INTERNAL = 999,
};

extern const char *const cni_supported_versions[];
extern const size_t cni_n_supported_versions;

/* >= 0: index into cni_supported_versions; -1: not supported. */
int cni_version_index(const char *v);
/* Compares two supported version strings like strcmp. */
int cni_version_cmp(const char *a, const char *b);

/* Prints the CNI error object on stdout. */
void cni_print_error(const char *version, int code, const char *msg,
		     const char *details);

#endif
