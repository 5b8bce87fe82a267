/* Prefix, IP and MAC parsers: never crash, and whatever they accept prints
 * back to a string that parses to the same value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	struct np_err e = { 0 };
	struct np_prefix p, q;
	char buf[NP_PREFIX_STRLEN];
	for (int bare = 0; bare < 2; bare++) {
		np_err_clear(&e);
		if (np_prefix_parse(s, bare, &p, &e) == 0) {
			np_prefix_str(&p, buf, sizeof(buf));
			if (np_prefix_parse(buf, false, &q, NULL) != 0 ||
			    !np_ip_equal(&p.ip, &q.ip) || p.len != q.len)
				abort();
		} else if (!e.msg[0] || strchr(e.msg, '\n')) {
			abort(); /* every rejection explains itself on one line */
		}
	}
	uint8_t mac[NP_MAC_LEN], mac2[NP_MAC_LEN];
	char mbuf[NP_MAC_STRLEN];
	if (np_mac_parse(s, false, mac, NULL) == 0) {
		np_mac_str(mac, mbuf, sizeof(mbuf));
		if (np_mac_parse(mbuf, false, mac2, NULL) != 0 || memcmp(mac, mac2, NP_MAC_LEN))
			abort();
	}
	free(s);
	return 0;
}
