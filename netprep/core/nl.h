/* One rtnetlink socket bound to one network namespace. Open it once per
 * namespace per operation and pass it to every link, address and route
 * call of that operation. */
#ifndef MIGNET_NL_H
#define MIGNET_NL_H

#include <libmnl/libmnl.h>
#include <stdint.h>

#include "err.h"

#define NP_NL_BUFSIZE 32768

struct np_nl {
	struct mnl_socket *sock;
	unsigned int portid;
	unsigned int seq;
	char where[96];      /* "netns /run/netns/x" or "host netns", for messages */
	char extack[160];    /* " (kernel: <reason>)" for the last failure, or "" */
	char buf[NP_NL_BUFSIZE];
};

/* A socket state with its header cleared (closing it before np_nl_open is
 * safe). The 32 KiB buffer stays untouched: zeroing it would fault in 8
 * pages on every short-lived plugin run. NULL when out of memory. */
struct np_nl *np_nl_alloc(void);
/* netns_path NULL: the caller's namespace. The socket keeps working in
 * that namespace after the caller's thread has returned to its own. */
int np_nl_open(struct np_nl *nl, const char *netns_path, struct np_err *e);
void np_nl_close(struct np_nl *nl);

/* Starts a request in nl->buf: header with type, flags (NLM_F_REQUEST and
 * NLM_F_ACK are added) and a fresh sequence number. */
struct nlmsghdr *np_nl_request(struct np_nl *nl, uint16_t type, uint16_t flags);

/* Sends nlh and reads until the ack or the end of a dump. cb (may be NULL)
 * sees every data message and returns a negative errno to stop. Returns 0, the callback's negative result, or
 * the kernel's negative errno; nl->extack then holds the kernel's text. */
int np_nl_talk(struct np_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

/* " (kernel: <reason>)" when the kernel explained the last failure, else "". */
const char *np_nl_reason(const struct np_nl *nl);

#endif
