/* What netprep migrate is asked to do: flags and the KubeVirt migration
 * configuration (a KubeVirt CR or a bare MigrationConfiguration). */
#ifndef NETPREP_MIGRATE_OPTS_H
#define NETPREP_MIGRATE_OPTS_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct mig_opts {
	const char *domain;
	const char *src_uri;          /* default qemu:///system */
	const char *dest_uri;
	char data_uri[128];           /* tcp://ADDR:PORT, the migration stream */
	char target_address[64];
	unsigned port;                /* default 49152 */
	uint64_t bandwidth_bytes;     /* bandwidthPerMigration per second, 0 = unlimited */
	double completion_per_gib_s;  /* completionTimeoutPerGiB, default 150 */
	double progress_timeout_s;    /* progressTimeout, default 150 */
	bool auto_converge, postcopy, disruption, disruption_set;
	bool strategy_auto;
	bool tls, block;
	unsigned parallel;            /* multifd connections, 0 = off */
	uint64_t max_downtime_ms;     /* 0 = QEMU's default */
	bool json;
	/* set (from a signal handler) to ask for a cancel; NULL: none */
	volatile sig_atomic_t *cancel;
	/* preflight */
	bool check_only;              /* run preflight, move nothing */
	const char *target_inventory; /* the target's `netprep inventory --json` */
	const char *proc_sys;         /* default /proc/sys */
	const char *vif_cache_source; /* default VC_DEFAULT_ROOT */
	const char *vif_cache_target; /* NULL: the hand-over is not checked */
	char vm_ns[254], vm_name[254]; /* NS/NAME in the vif-cache (VC_NAME_MAX) */
};

void mig_opts_defaults(struct mig_opts *o);
/* Kubernetes quantity ("64Mi", "1G", "1000") to bytes. */
int mig_parse_quantity(const char *field, const char *s, uint64_t *out, struct np_err *e);
/* Reads spec.configuration.migrations of a KubeVirt CR, or a bare
 * MigrationConfiguration; an unknown key or a wrong type is an error. */
int mig_opts_from_config(struct mig_opts *o, const char *json, struct np_err *e);
/* KubeVirt: allowWorkloadDisruption defaults to allowPostCopy. */
void mig_opts_finish(struct mig_opts *o);

#endif
