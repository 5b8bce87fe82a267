#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "migrate_run.h"
#include "migrate_preflight.h"

#define POLL_PERIOD_MS 400   /* KubeVirt's monitorSleepPeriodMS */


static void now_rfc3339(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void silent_error(void *arg, virErrorPtr err)
{
	(void)arg; (void)err;   /* errors are reported by the caller, once */
}

/* ---- libvirt event loop (keeps both connections' I/O serviced) ---- */

static atomic_bool loop_stop;

static void loop_tick(int timer, void *arg)
{
	(void)timer; (void)arg;
}

static void *event_loop(void *arg)
{
	(void)arg;
	while (!atomic_load(&loop_stop))
		if (virEventRunDefaultImpl() < 0)
			break;
	return NULL;
}

/* ---- the migrate call, on its own connection and thread ---- */

struct migrate_call {
	virDomainPtr dom;
	const char *dest_uri;
	virTypedParameterPtr params;
	int nparams;
	unsigned int flags;
	int rc;
	char error[NP_ERR_MAX];
	int error_code;
	atomic_bool done;
	int done_fd;   /* eventfd, wakes the monitor as soon as the call returns */
};

static void *migrate_thread(void *arg)
{
	struct migrate_call *c = arg;
	c->rc = virDomainMigrateToURI3(c->dom, c->dest_uri, c->params, c->nparams, c->flags);
	if (c->rc < 0) {
		virErrorPtr err = virGetLastError();
		c->error_code = err ? err->code : 0;
		snprintf(c->error, sizeof(c->error), "%s", mig_virt_msg());
	}
	atomic_store(&c->done, true);
	uint64_t one = 1;
	if (write(c->done_fd, &one, sizeof(one)) < 0) {
		/* the monitor still sees done at its next tick */
	}
	return NULL;
}

/* ---- job stats ---- */

static uint64_t stat_u64(virTypedParameterPtr p, int n, const char *name)
{
	unsigned long long v = 0;
	return virTypedParamsGetULLong(p, n, name, &v) == 1 ? v : 0;
}

/* libvirt types a few job fields as int (the throttle, for one); reading
 * them as ULLong silently gives "absent". */
static uint64_t stat_int(virTypedParameterPtr p, int n, const char *name)
{
	int v = 0;
	return virTypedParamsGetInt(p, n, name, &v) == 1 && v > 0 ? (uint64_t)v : 0;
}

static bool poll_stats(virDomainPtr dom, double elapsed, enum mig_mode mode, struct mig_progress *pr)
{
	int type = 0, n = 0;
	virTypedParameterPtr p = NULL;
	if (virDomainGetJobStats(dom, &type, &p, &n, 0) < 0 || type == VIR_DOMAIN_JOB_NONE) {
		virTypedParamsFree(p, n);
		return false;
	}
	uint64_t page = stat_u64(p, n, VIR_DOMAIN_JOB_MEMORY_PAGE_SIZE);
	*pr = (struct mig_progress){
		.elapsed_s = elapsed,
		.processed = stat_u64(p, n, VIR_DOMAIN_JOB_DATA_PROCESSED),
		.remaining = stat_u64(p, n, VIR_DOMAIN_JOB_DATA_REMAINING),
		.total = stat_u64(p, n, VIR_DOMAIN_JOB_DATA_TOTAL),
		.bps = stat_u64(p, n, VIR_DOMAIN_JOB_MEMORY_BPS),
		/* libvirt reports pages per second */
		.dirty_rate = stat_u64(p, n, VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE) * (page ? page : 4096),
		.iteration = stat_u64(p, n, VIR_DOMAIN_JOB_MEMORY_ITERATION),
		.throttle = stat_int(p, n, VIR_DOMAIN_JOB_AUTO_CONVERGE_THROTTLE),
		.mode = mode,
	};
	virTypedParamsFree(p, n);
	return true;
}

/* Completed-job figures from the destination; after post-copy there are
 * none (lab.md pitfall 9) and the last polled values stand. */
static void completed_stats(virConnectPtr dst, const char *name, struct mig_status *st)
{
	virDomainPtr d = virDomainLookupByName(dst, name);
	if (!d)
		return;
	int type = 0, n = 0;
	virTypedParameterPtr p = NULL;
	if (virDomainGetJobStats(d, &type, &p, &n, VIR_DOMAIN_JOB_STATS_COMPLETED) == 0 &&
	    type == VIR_DOMAIN_JOB_COMPLETED) {
		st->downtime_ms = stat_u64(p, n, VIR_DOMAIN_JOB_DOWNTIME);
		st->total_bytes = stat_u64(p, n, VIR_DOMAIN_JOB_DATA_PROCESSED);
		uint64_t it = stat_u64(p, n, VIR_DOMAIN_JOB_MEMORY_ITERATION);
		if (it)
			st->iterations = it;
		st->stats_from_destination = true;
	}
	virTypedParamsFree(p, n);
	virDomainFree(d);
}

static bool domain_running_on(virConnectPtr c, const char *name)
{
	virDomainPtr d = virDomainLookupByName(c, name);
	if (!d)
		return false;
	int state = 0, reason = 0;
	bool running = virDomainGetState(d, &state, &reason, 0) == 0 &&
		       (state == VIR_DOMAIN_RUNNING || state == VIR_DOMAIN_PAUSED);
	virDomainFree(d);
	return running;
}

/* ---- the run ---- */

struct run {
	const struct mig_opts *o;
	struct mig_status *st;
	virConnectPtr ctl, mig, dst;
	virDomainPtr dom_ctl, dom_mig;
	bool has_vfio;
	virTypedParameterPtr params;
	int nparams, maxparams;
};

/* Keeps the first reason: later failures are consequences of it. */
static void __attribute__((format(printf, 2, 3)))
fail(struct mig_status *st, const char *fmt, ...)
{
	if (st->failure_reason[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->failure_reason, sizeof(st->failure_reason), fmt, ap);
	va_end(ap);
}

static int open_conns(struct run *r)
{
	const struct mig_opts *o = r->o;
	r->ctl = virConnectOpen(o->src_uri);
	r->mig = r->ctl ? virConnectOpen(o->src_uri) : NULL;
	if (!r->mig) {
		mig_refuse(r->st, "source %s: cannot connect: %s", o->src_uri, mig_virt_msg());
		return -1;
	}
	r->dst = virConnectOpen(o->dest_uri);
	if (!r->dst) {
		mig_refuse(r->st, "destination %s: cannot connect: %s", o->dest_uri, mig_virt_msg());
		return -1;
	}
	r->dom_ctl = virDomainLookupByName(r->ctl, o->domain);
	r->dom_mig = r->dom_ctl ? virDomainLookupByName(r->mig, o->domain) : NULL;
	if (!r->dom_mig) {
		mig_refuse(r->st, "domain %s: not found on the source: %s", o->domain, mig_virt_msg());
		return -1;
	}
	if (virDomainIsActive(r->dom_ctl) != 1)
		mig_refuse(r->st, "domain %s: not running on the source", o->domain);
	char *h = virConnectGetHostname(r->ctl);
	snprintf(r->st->source_node, sizeof(r->st->source_node), "%s", h ? h : "");
	free(h);
	h = virConnectGetHostname(r->dst);
	snprintf(r->st->target_node, sizeof(r->st->target_node), "%s", h ? h : "");
	free(h);
	return 0;
}

static unsigned int build_params(struct run *r)
{
	const struct mig_opts *o = r->o;
	unsigned int flags = VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER;
	if (virDomainIsPersistent(r->dom_ctl) == 1)
		flags |= VIR_MIGRATE_PERSIST_DEST;
	virTypedParamsAddString(&r->params, &r->nparams, &r->maxparams,
				VIR_MIGRATE_PARAM_URI, o->data_uri);
	if (o->bandwidth_bytes) {
		/* libvirt takes MiB/s; never round a set cap down to "unlimited" */
		unsigned long long mib = o->bandwidth_bytes >> 20;
		virTypedParamsAddULLong(&r->params, &r->nparams, &r->maxparams,
					VIR_MIGRATE_PARAM_BANDWIDTH, mib ? mib : 1);
	}
	if (o->parallel) {
		flags |= VIR_MIGRATE_PARALLEL;
		virTypedParamsAddInt(&r->params, &r->nparams, &r->maxparams,
				     VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS, (int)o->parallel);
	}
	if (o->auto_converge)
		flags |= VIR_MIGRATE_AUTO_CONVERGE;
	if (o->postcopy)
		flags |= VIR_MIGRATE_POSTCOPY;
	if (o->tls)
		flags |= VIR_MIGRATE_TLS;
	if (o->block)
		flags |= VIR_MIGRATE_NON_SHARED_INC;
	return flags;
}

static void request_abort(struct run *r, const char *reason)
{
	r->st->abort_requested = true;
	if (virDomainAbortJob(r->dom_ctl) == 0) {
		snprintf(r->st->abort_status, sizeof(r->st->abort_status), "Aborting");
	} else {
		snprintf(r->st->abort_status, sizeof(r->st->abort_status), "Failed");
		fail(r->st, "abort failed: %s", mig_virt_msg());
	}
	if (reason)
		fail(r->st, "%s", reason);
}

static void act(struct run *r, struct mig_policy *pol, enum mig_action a)
{
	switch (a) {
	case MIG_ACT_NONE:
		return;
	case MIG_ACT_START_POSTCOPY:
		if (virDomainMigrateStartPostCopy(r->dom_ctl, 0) < 0) {
			fail(r->st, "switch to post-copy failed: %s", mig_virt_msg());
			request_abort(r, NULL);
			return;
		}
		break;
	case MIG_ACT_PAUSE:
		if (virDomainSuspend(r->dom_ctl) < 0) {
			fail(r->st, "pausing the guest failed: %s", mig_virt_msg());
			request_abort(r, NULL);
			return;
		}
		break;
	case MIG_ACT_ABORT_STUCK:
	case MIG_ACT_ABORT_TIMEOUT:
		fail(r->st, "live migration aborted: %s", mig_action_reason(a));
		if (virDomainAbortJob(r->dom_ctl) < 0)
			fail(r->st, "abort failed: %s", mig_virt_msg());
		break;
	}
	mig_policy_applied(pol, a);
	r->st->mode = pol->mode;
}

/* Returns early when the migrate call returns or a signal (cancel) comes. */
static void wait_poll_period(int done_fd)
{
	struct pollfd p = { .fd = done_fd, .events = POLLIN };
	poll(&p, 1, POLL_PERIOD_MS);
}

static void monitor(struct run *r, struct migrate_call *call, mig_progress_fn progress, void *arg)
{
	const struct mig_opts *o = r->o;
	struct mig_policy pol = {
		.progress_timeout_s = o->progress_timeout_s,
		.allow_disruption = o->disruption,
		.allow_postcopy = o->postcopy,
		.has_vfio = r->has_vfio,
		.strategy_auto = o->strategy_auto,
	};
	mig_policy_init(&pol);
	virDomainInfo info;
	if (virDomainGetInfo(r->dom_ctl, &info) == 0)
		pol.completion_limit_s = o->completion_per_gib_s *
					 (double)mig_size_gib((uint64_t)info.maxMem * 1024);
	r->st->completion_limit_s = pol.completion_limit_s;
	bool downtime_set = false, cancel_seen = false;
	double t0 = mono_s();
	while (!atomic_load(&call->done)) {
		wait_poll_period(call->done_fd);
		if (atomic_load(&call->done))
			break;
		if (o->cancel && *o->cancel && !cancel_seen) {
			cancel_seen = true;
			if (pol.mode == MIG_MODE_POSTCOPY)
				fprintf(stderr, "netprep migrate: %s is in post-copy; it cannot be cancelled, waiting for it to finish\n", o->domain);
			else
				request_abort(r, "Live migration has been aborted");
		}
		struct mig_progress pr;
		if (!poll_stats(r->dom_ctl, mono_s() - t0, pol.mode, &pr))
			continue;   /* the job is not set up yet, or already over */
		r->st->iterations = pr.iteration;
		r->st->total_bytes = pr.processed;
		if (o->max_downtime_ms && !downtime_set)
			downtime_set = virDomainMigrateSetMaxDowntime(r->dom_ctl, o->max_downtime_ms, 0) == 0;
		if (progress)
			progress(&pr, arg);
		if (r->st->abort_requested)
			continue;
		struct mig_sample s = { pr.elapsed_s, pr.remaining, pr.iteration, pr.dirty_rate, pr.bps };
		act(r, &pol, mig_policy_tick(&pol, &s));
	}
}

static void finish(struct run *r, struct migrate_call *call)
{
	struct mig_status *st = r->st;
	now_rfc3339(st->end, sizeof(st->end));
	if (call->rc == 0) {
		st->outcome = MIG_COMPLETED;
		st->failure_reason[0] = 0;
		completed_stats(r->dst, r->o->domain, st);
		return;
	}
	bool aborted_by_client = call->error_code == VIR_ERR_OPERATION_ABORTED ||
				 strstr(call->error, "canceled by client");
	bool still_on_source = domain_running_on(r->ctl, r->o->domain);
	if (aborted_by_client && !st->failure_reason[0]) {
		/* migrate-cancel from another shell */
		st->abort_requested = true;
		fail(st, "Live migration has been aborted");
	}
	if (st->abort_requested) {
		snprintf(st->abort_status, sizeof(st->abort_status), "%s",
			 aborted_by_client && still_on_source ? "Succeeded" : "Failed");
		if (!strcmp(st->failure_reason, "Live migration has been aborted")) {
			st->outcome = MIG_ABORTED;
			return;
		}
	}
	st->outcome = MIG_FAILED;
	if (!st->failure_reason[0] || !aborted_by_client)
		fail(st, "%s", call->error);
	if (!still_on_source) {
		size_t l = strlen(st->failure_reason);
		snprintf(st->failure_reason + l, sizeof(st->failure_reason) - l,
			 "; the domain is no longer running on the source");
	}
}

static void close_run(struct run *r)
{
	virTypedParamsFree(r->params, r->nparams);
	if (r->dom_mig) virDomainFree(r->dom_mig);
	if (r->dom_ctl) virDomainFree(r->dom_ctl);
	if (r->dst) virConnectClose(r->dst);
	if (r->mig) virConnectClose(r->mig);
	if (r->ctl) virConnectClose(r->ctl);
}

static int event_loop_start(pthread_t *tid, int *timer)
{
	static bool registered;
	if (!registered && virEventRegisterDefaultImpl() < 0)
		return -1;
	registered = true;
	atomic_store(&loop_stop, false);
	/* a tick so the loop notices loop_stop */
	*timer = virEventAddTimeout(100, loop_tick, NULL, NULL);
	return *timer < 0 ? -1 : -pthread_create(tid, NULL, event_loop, NULL);
}

int mig_run(const struct mig_opts *o, mig_progress_fn progress, void *arg, struct mig_status *st)
{
	memset(st, 0, sizeof(*st));
	st->mode = MIG_MODE_PRECOPY;
	virSetErrorFunc(NULL, silent_error);
	pthread_t loop;
	int timer;
	if (event_loop_start(&loop, &timer) < 0) {
		fail(st, "cannot start libvirt's event loop");
		st->outcome = MIG_FAILED;
		return -1;
	}
	struct run r = { .o = o, .st = st };
	now_rfc3339(st->start, sizeof(st->start));
	if (open_conns(&r) == 0)
		r.has_vfio = mig_preflight(o, r.ctl, r.dst, r.dom_ctl, st);
	int rc = 0;
	if (!st->n_refusals && o->cancel && *o->cancel) {
		/* cancelled during preflight: nothing was started */
		st->outcome = MIG_ABORTED;
		st->abort_requested = true;
		snprintf(st->abort_status, sizeof(st->abort_status), "Succeeded");
		fail(st, "Live migration has been aborted");
		now_rfc3339(st->end, sizeof(st->end));
		rc = -1;
	} else if (st->n_refusals) {
		st->outcome = MIG_REFUSED;
		now_rfc3339(st->end, sizeof(st->end));
		fail(st, "refused by preflight");
		rc = -1;
	} else if (o->check_only) {
		st->outcome = MIG_CHECKED;
		now_rfc3339(st->end, sizeof(st->end));
	} else {
		struct migrate_call call = { .dom = r.dom_mig, .dest_uri = o->dest_uri };
		call.flags = build_params(&r);
		call.params = r.params, call.nparams = r.nparams;
		call.done_fd = eventfd(0, EFD_CLOEXEC);
		pthread_t tid;
		if (call.done_fd < 0 || pthread_create(&tid, NULL, migrate_thread, &call) != 0) {
			fail(st, "cannot start the migration thread");
			st->outcome = MIG_FAILED;
			rc = -1;
		} else {
			monitor(&r, &call, progress, arg);
			pthread_join(tid, NULL);
			finish(&r, &call);
			rc = st->outcome == MIG_COMPLETED ? 0 : -1;
		}
		if (call.done_fd >= 0)
			close(call.done_fd);
	}
	close_run(&r);
	atomic_store(&loop_stop, true);
	pthread_join(loop, NULL);
	virEventRemoveTimeout(timer);
	return rc;
}

int mig_cancel(const char *src_uri, const char *domain, struct np_err *e)
{
	virSetErrorFunc(NULL, silent_error);
	virConnectPtr c = virConnectOpen(src_uri);
	if (!c)
		return np_errmsg(e, -EIO, "source %s: cannot connect: %s", src_uri, mig_virt_msg());
	int rc = 0;
	virDomainPtr d = virDomainLookupByName(c, domain);
	if (!d)
		rc = np_errmsg(e, -ENOENT, "domain %s: not found: %s", domain, mig_virt_msg());
	else if (virDomainAbortJob(d) < 0)
		rc = np_errmsg(e, -EIO, "domain %s: cannot abort its job: %s", domain, mig_virt_msg());
	if (d)
		virDomainFree(d);
	virConnectClose(c);
	return rc;
}
