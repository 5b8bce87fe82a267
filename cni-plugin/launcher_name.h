/* The VM behind a pod, from the pod name Multus passes in CNI_ARGS: KubeVirt
 * creates virt-launcher pods with GenerateName "virt-launcher-<vmi>-", and
 * Kubernetes cuts that base to 58 characters before it appends 5 random
 * ones, so a VMI name of 44 characters or more survives only in part. */
#ifndef MIGNET_LAUNCHER_NAME_H
#define MIGNET_LAUNCHER_NAME_H

#include <stddef.h>

#define LAUNCHER_PREFIX "virt-launcher-"
/* Kubernetes' names.SimpleNameGenerator: 63 - 5 characters of base. */
#define LAUNCHER_BASE_MAX 58
#define LAUNCHER_SUFFIX_LEN 5

enum launcher_match {
	LAUNCHER_NOT,        /* not a virt-launcher pod: no VM */
	LAUNCHER_EXACT,      /* the whole VMI name */
	LAUNCHER_AMBIGUOUS,  /* 63 characters with a '-' where the cut would be:
			      * a 43-character name, or a longer one whose 44th
			      * character is '-'; the 43-character one is taken */
	LAUNCHER_TRUNCATED,  /* the name's first 44 characters only */
};

/* Fills vm (len >= LAUNCHER_BASE_MAX) with the VMI name, or its first 44
 * characters when the pod name cut it, and says which. */
enum launcher_match launcher_vm_name(const char *pod, char *vm, size_t len);

#endif
