/* The migration monitor's decisions, free of libvirt so they can be tested
 * tick by tick. Semantics follow KubeVirt's monitor (kubevirt.md B.2) with
 * two of its weaknesses fixed: progress is measured against the lowest
 * remaining seen (an oscillating migration no longer resets the timer), and
 * the post-copy switch waits for QEMU's first iteration (lab.md pitfall 8). */
#ifndef NETPREP_MIGRATE_POLICY_H
#define NETPREP_MIGRATE_POLICY_H

#include <stdbool.h>
#include <stdint.h>

enum mig_mode { MIG_MODE_PRECOPY, MIG_MODE_POSTCOPY, MIG_MODE_PAUSED };

enum mig_action {
	MIG_ACT_NONE,
	MIG_ACT_START_POSTCOPY,
	MIG_ACT_PAUSE,
	MIG_ACT_ABORT_STUCK,     /* no progress for progressTimeout */
	MIG_ACT_ABORT_TIMEOUT,   /* completion limit reached, no disruption allowed */
};

struct mig_policy {
	/* configuration */
	double progress_timeout_s;
	double completion_limit_s;   /* completionTimeoutPerGiB x size, 0 = none */
	bool allow_disruption;
	bool allow_postcopy;
	bool has_vfio;
	bool strategy_auto;
	/* state */
	enum mig_mode mode;
	uint64_t lowest_remaining;   /* UINT64_MAX before the first sample */
	double last_progress_s;
};

struct mig_sample {
	double elapsed_s;
	uint64_t remaining;          /* data_remaining: memory + disks */
	uint64_t iteration;          /* memory_iteration, 0 before QEMU starts */
	uint64_t dirty_rate;         /* bytes/s */
	uint64_t transfer_rate;      /* bytes/s (memory_bps) */
};

void mig_policy_init(struct mig_policy *p);
/* Size in GiB as KubeVirt counts it: ceil(bytes / 10^9). */
uint64_t mig_size_gib(uint64_t bytes);
enum mig_action mig_policy_tick(struct mig_policy *p, const struct mig_sample *s);
/* Applies what the runner did for an action (mode and, after a pause, the
 * doubled budget KubeVirt grants). */
void mig_policy_applied(struct mig_policy *p, enum mig_action a);
const char *mig_mode_name(enum mig_mode m);
const char *mig_action_reason(enum mig_action a);

#endif
