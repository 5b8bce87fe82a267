/* Waiting for a link to come up: through link notifications, never
 * sleeps. */
#include "link.h"

#include <errno.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>


struct oper_watch {
	int ifindex;      /* the link watched */
	uint8_t operstate; /* as its last event said */
};

static int oper_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct oper_watch *w = arg;
	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	if (ifi->ifi_index != w->ifindex)
		return MNL_CB_OK;
	const struct nlattr *attr;
	mnl_attr_for_each(attr, nlh, sizeof(*ifi))
		if (mnl_attr_get_type(attr) == IFLA_OPERSTATE)
			w->operstate = mnl_attr_get_u8(attr);
	return MNL_CB_OK;
}

int np_link_wait_up(const char *netns, const char *name, int timeout_ms,
		    struct np_err *e)
{
	struct np_nl *nl = np_nl_alloc();
	if (!nl)
		return np_errmsg(e, -ENOMEM, "wait for \"%s\": out of memory", name);
	int rc = np_nl_open(nl, netns, e);
	if (rc < 0) {
		free(nl);
		return rc;
	}
	/* Subscribe first, then read the current state: no change can slip
	 * between the two. */
	unsigned int group = RTNLGRP_LINK;
	struct np_link_info li;
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
		rc = np_errf(e, -errno, "%s: subscribe to link events", nl->where);
		goto out;
	}
	rc = np_link_get(nl, name, &li, e);
	if (rc < 0 || li.operstate == IF_OPER_UP)
		goto out;
	struct oper_watch watch = { li.ifindex, li.operstate };
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		long left = timeout_ms - ((now.tv_sec - start.tv_sec) * 1000 +
					  (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0) {
			rc = np_errmsg(e, -ETIMEDOUT, "%s: \"%s\" did not come up within %d ms (bridge port in error state?)",
				       nl->where, name, timeout_ms);
			break;
		}
		struct pollfd pfd = { mnl_socket_get_fd(nl->sock), POLLIN, 0 };
		int p = poll(&pfd, 1, (int)left);
		if (p < 0 && errno != EINTR) {
			rc = np_errf(e, -errno, "%s: wait for \"%s\"", nl->where, name);
			break;
		}
		if (p <= 0)
			continue;
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (n < 0) {
			if (errno == ENOBUFS) { /* events were dropped: ask again */
				if ((rc = np_link_get(nl, name, &li, e)) < 0 || li.operstate == IF_OPER_UP)
					break;
				continue;
			}
			rc = np_errf(e, -errno, "%s: read link events", nl->where);
			break;
		}
		mnl_cb_run(nl->buf, (size_t)n, 0, 0, oper_cb, &watch);
		if (watch.operstate == IF_OPER_UP) {
			rc = 0;
			break;
		}
	}
out:
	np_nl_close(nl);
	free(nl);
	return rc;
}
