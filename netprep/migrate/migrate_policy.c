#include "migrate_policy.h"

void mig_policy_init(struct mig_policy *p)
{
	p->mode = MIG_MODE_PRECOPY;
	p->lowest_remaining = UINT64_MAX;
	p->last_progress_s = 0;
}

uint64_t mig_size_gib(uint64_t bytes)
{
	return (bytes + 999999999ULL) / 1000000000ULL;
}

/* Strategy auto: from the second iteration on (the first has no dirty rate
 * yet), a guest that dirties memory at 80 % or more of what the link moves
 * converges too slowly by pre-copy, if ever; switching now saves the whole
 * completion budget. */
static bool auto_predicts_no_convergence(const struct mig_sample *s)
{
	return s->iteration >= 2 && s->transfer_rate > 0 &&
	       s->dirty_rate * 5 >= s->transfer_rate * 4;
}

static bool may_switch_to_postcopy(const struct mig_policy *p, const struct mig_sample *s)
{
	return p->allow_postcopy && !p->has_vfio && s->iteration >= 1;
}

enum mig_action mig_policy_tick(struct mig_policy *p, const struct mig_sample *s)
{
	if (p->mode == MIG_MODE_POSTCOPY)
		return MIG_ACT_NONE;   /* cannot be undone, never aborted */
	if (s->remaining < p->lowest_remaining) {
		p->lowest_remaining = s->remaining;
		p->last_progress_s = s->elapsed_s;
	}
	if (p->strategy_auto && p->mode == MIG_MODE_PRECOPY &&
	    may_switch_to_postcopy(p, s) && auto_predicts_no_convergence(s))
		return MIG_ACT_START_POSTCOPY;
	bool over_limit = p->completion_limit_s > 0 && s->elapsed_s > p->completion_limit_s;
	if (over_limit && p->allow_disruption && p->mode != MIG_MODE_PAUSED) {
		if (p->allow_postcopy && !p->has_vfio)
			/* before QEMU's first iteration the switch would fail: wait */
			return s->iteration >= 1 ? MIG_ACT_START_POSTCOPY : MIG_ACT_NONE;
		return MIG_ACT_PAUSE;
	}
	if (p->progress_timeout_s > 0 && s->elapsed_s - p->last_progress_s > p->progress_timeout_s)
		return MIG_ACT_ABORT_STUCK;
	if (over_limit)
		return MIG_ACT_ABORT_TIMEOUT;
	return MIG_ACT_NONE;
}

void mig_policy_applied(struct mig_policy *p, enum mig_action a)
{
	if (a == MIG_ACT_START_POSTCOPY)
		p->mode = MIG_MODE_POSTCOPY;
	else if (a == MIG_ACT_PAUSE) {
		p->mode = MIG_MODE_PAUSED;
		p->completion_limit_s *= 2;
	}
}

const char *mig_mode_name(enum mig_mode m)
{
	return m == MIG_MODE_POSTCOPY ? "PostCopy" : m == MIG_MODE_PAUSED ? "Paused" : "PreCopy";
}

const char *mig_action_reason(enum mig_action a)
{
	switch (a) {
	case MIG_ACT_ABORT_STUCK: return "no progress for progressTimeout";
	case MIG_ACT_ABORT_TIMEOUT: return "completion limit reached (completionTimeoutPerGiB x size)";
	default: return "";
	}
}
