/* Runs one libvirt live migration and monitors it: the migrate call on its
 * own connection and thread, job stats, decisions and cancel on a second
 * connection, with libvirt's event loop running (lab.md pitfall 7). */
#ifndef NETPREP_MIGRATE_RUN_H
#define NETPREP_MIGRATE_RUN_H

#include <signal.h>

#include "migrate_opts.h"
#include "migrate_policy.h"

struct mig_progress {
	double elapsed_s;
	uint64_t processed, remaining, total;
	uint64_t bps, dirty_rate;       /* bytes/s */
	uint64_t iteration, throttle;   /* throttle in % */
	enum mig_mode mode;
};

enum mig_outcome { MIG_COMPLETED, MIG_FAILED, MIG_ABORTED, MIG_REFUSED, MIG_CHECKED };

struct mig_status {
	enum mig_outcome outcome;
	char source_node[64], target_node[64];
	char start[40], end[40];          /* RFC 3339, UTC */
	char failure_reason[NP_ERR_MAX];
	char abort_status[16];            /* "", Aborting, Succeeded, Failed */
	bool abort_requested;
	enum mig_mode mode;
	uint64_t downtime_ms, total_bytes, iterations;
	double elapsed_s;
	double completion_limit_s;
	bool stats_from_destination;      /* else the last values polled */
	char refusals[8][512];            /* preflight reasons */
	unsigned n_refusals;
};

typedef void (*mig_progress_fn)(const struct mig_progress *p, void *arg);

int mig_run(const struct mig_opts *o, mig_progress_fn progress, void *arg,
	    struct mig_status *st);
/* Aborts DOMAIN's running job (migrate-cancel). */
int mig_cancel(const char *src_uri, const char *domain, struct np_err *e);

#endif
