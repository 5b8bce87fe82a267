#include "nl.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netns.h"

static int open_socket(void *arg, struct np_err *e)
{
	struct np_nl *nl = arg;
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock)
		return np_errf(e, -errno, "%s: cannot open a netlink socket", nl->where);
	return 0;
}

struct np_nl *np_nl_alloc(void)
{
	struct np_nl *nl = malloc(sizeof(*nl));
	if (nl)
		memset(nl, 0, offsetof(struct np_nl, buf));
	return nl;
}

int np_nl_open(struct np_nl *nl, const char *netns_path, struct np_err *e)
{
	memset(nl, 0, offsetof(struct np_nl, buf));
	if (netns_path)
		snprintf(nl->where, sizeof(nl->where), "netns %s", netns_path);
	else
		snprintf(nl->where, sizeof(nl->where), "current netns");
	int rc = np_netns_run(netns_path, open_socket, nl, e);
	if (rc < 0)
		return rc;
	int one = 1;
	/* Extended acks carry the kernel's own reason ("Unknown device type",
	 * "MTU greater than device maximum"), which ends up in our messages. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = np_errf(e, -errno, "%s: cannot bind the netlink socket", nl->where);
		np_nl_close(nl);
		return rc;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned int)time(NULL);
	return 0;
}

void np_nl_close(struct np_nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

struct nlmsghdr *np_nl_request(struct np_nl *nl, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++nl->seq;
	return nlh;
}

static void read_extack(struct np_nl *nl, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	/* With NETLINK_CAP_ACK the original request is not echoed back. */
	size_t off = sizeof(*err);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
	const struct nlattr *attr;
	mnl_attr_for_each(attr, nlh, off) {
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) {
			snprintf(nl->extack, sizeof(nl->extack), " (kernel: %.120s)",
				 mnl_attr_get_str(attr));
			return;
		}
	}
}

int np_nl_talk(struct np_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	nl->extack[0] = '\0';
	unsigned int seq = nlh->nlmsg_seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (n < 0)
			return -errno;
		int len = (int)n;
		for (const struct nlmsghdr *m = (const void *)nl->buf;
		     mnl_nlmsg_ok(m, len); m = mnl_nlmsg_next(m, &len)) {
			if (m->nlmsg_seq != seq || m->nlmsg_pid != nl->portid)
				continue; /* a late reply to an earlier request */
			if (m->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *err = mnl_nlmsg_get_payload(m);
				if (err->error)
					read_extack(nl, m);
				return err->error;
			}
			if (m->nlmsg_type == NLMSG_DONE) {
				/* A dump that failed midway reports it here. */
				if (mnl_nlmsg_get_payload_len(m) >= sizeof(int)) {
					const int *rc = mnl_nlmsg_get_payload(m);
					return *rc < 0 ? *rc : 0;
				}
				return 0;
			}
			if (cb) {
				int rc = cb(m, data);
				if (rc < 0)
					return rc;
			}
		}
	}
}

const char *np_nl_reason(const struct np_nl *nl)
{
	return nl->extack;
}
