#include "launcher_name.h"

#include <stdbool.h>
#include <string.h>

/* What utilrand.String draws the suffix from: no vowels, no 0, 1 or 3. */
static bool suffix_char(char c)
{
	return c && strchr("bcdfghjklmnpqrstvwxz2456789", c);
}

enum launcher_match launcher_vm_name(const char *pod, char *vm, size_t len)
{
	const size_t plen = sizeof(LAUNCHER_PREFIX) - 1;
	size_t n = pod ? strlen(pod) : 0;
	vm[0] = '\0';
	if (n < plen + 1 + 1 + LAUNCHER_SUFFIX_LEN || strncmp(pod, LAUNCHER_PREFIX, plen) ||
	    n > LAUNCHER_BASE_MAX + LAUNCHER_SUFFIX_LEN)
		return LAUNCHER_NOT;
	for (size_t i = n - LAUNCHER_SUFFIX_LEN; i < n; i++)
		if (!suffix_char(pod[i]))
			return LAUNCHER_NOT;
	size_t base = n - LAUNCHER_SUFFIX_LEN; /* "virt-launcher-<vmi>-", maybe cut */
	bool cut_possible = base == LAUNCHER_BASE_MAX;
	size_t vlen;
	enum launcher_match how;
	if (pod[base - 1] == '-') {
		vlen = base - 1 - plen;
		how = cut_possible ? LAUNCHER_AMBIGUOUS : LAUNCHER_EXACT;
	} else if (cut_possible) {
		vlen = base - plen;
		how = LAUNCHER_TRUNCATED;
	} else {
		return LAUNCHER_NOT; /* GenerateName always ends the base with '-' */
	}
	if (vlen == 0 || vlen >= len)
		return LAUNCHER_NOT;
	memcpy(vm, pod + plen, vlen);
	vm[vlen] = '\0';
	return how;
}
