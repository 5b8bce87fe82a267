/* np_link_parse on arbitrary RTM_NEWLINK bytes: never reads outside the
 * message, and what it reports is terminated and within its fields. */
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "link.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	size_t len = sizeof(struct nlmsghdr) + size;
	struct nlmsghdr *nlh = malloc(len); /* exact size: ASan sees any overrun */
	if (!nlh)
		return 0;
	memset(nlh, 0, sizeof(*nlh));
	nlh->nlmsg_len = (uint32_t)len;
	nlh->nlmsg_type = RTM_NEWLINK;
	memcpy(nlh + 1, data, size);
	struct np_link_info li;
	if (np_link_parse(nlh, &li) == 0) {
		if (li.ifindex <= 0 || strnlen(li.name, sizeof(li.name)) == sizeof(li.name) ||
		    strnlen(li.kind, sizeof(li.kind)) == sizeof(li.kind) || li.mac_len > sizeof(li.mac) ||
		    li.macvlan_mode < -1 || li.macvlan_mode > NP_MACVLAN_PASSTHRU)
			abort();
	}
	free(nlh);
	return 0;
}
