#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json_strict.h"
#include "migrate_opts.h"

void mig_opts_defaults(struct mig_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->src_uri = "qemu:///system";
	o->port = 49152;
	o->completion_per_gib_s = 150;   /* kubevirt.md B.4 */
	o->progress_timeout_s = 150;
	o->proc_sys = "/proc/sys";
	o->vif_cache_source = "/run/mignet/vifcache";   /* vifcache's VC_DEFAULT_ROOT */
}

int mig_parse_quantity(const char *field, const char *s, uint64_t *out, struct np_err *e)
{
	static const struct { const char *sfx; uint64_t mul; } units[] = {
		{ "Ki", 1ULL << 10 }, { "Mi", 1ULL << 20 }, { "Gi", 1ULL << 30 }, { "Ti", 1ULL << 40 },
		{ "k", 1000ULL }, { "M", 1000000ULL }, { "G", 1000000000ULL }, { "T", 1000000000000ULL },
		{ "", 1 },
	};
	char q[NP_QUOTE_MAX];
	char *end;
	if (!s || !isdigit((unsigned char)*s))
		return np_errmsg(e, -EINVAL, "%s %s: not a quantity (a number with an optional Ki/Mi/Gi/k/M/G suffix)",
				 field, np_quote(s ? s : "", q, sizeof(q)));
	errno = 0;
	unsigned long long n = strtoull(s, &end, 10);
	for (size_t i = 0; i < sizeof(units) / sizeof(*units); i++) {
		if (strcmp(end, units[i].sfx) != 0)
			continue;
		if (errno || (n && n > UINT64_MAX / units[i].mul))
			break;
		*out = n * units[i].mul;
		return 0;
	}
	return np_errmsg(e, -EINVAL, "%s %s: not a quantity (a number with an optional Ki/Mi/Gi/k/M/G suffix) or too large",
			 field, np_quote(s, q, sizeof(q)));
}

static int want_bool(const cJSON *it, bool *out, struct np_err *e)
{
	if (!cJSON_IsBool(it))
		return np_errmsg(e, -EINVAL, "migration configuration: %s must be true or false", it->string);
	*out = cJSON_IsTrue(it);
	return 0;
}

static int want_number(const cJSON *it, double lo, double hi, double *out, struct np_err *e)
{
	if (!cJSON_IsNumber(it) || it->valuedouble != floor(it->valuedouble) ||
	    it->valuedouble < lo || it->valuedouble > hi)
		return np_errmsg(e, -EINVAL, "migration configuration: %s must be a whole number from %.0f to %.0f",
				 it->string, lo, hi);
	*out = it->valuedouble;
	return 0;
}

/* Keys KubeVirt has that do not change how one migration runs. */
static bool cluster_only_key(const char *k)
{
	static const char *const keys[] = { "parallelMigrationsPerCluster",
		"parallelOutboundMigrationsPerNode", "nodeDrainTaintKey", "network",
		"unsafeMigrationOverride", "matchSELinuxLevelOnMigration", NULL };
	for (size_t i = 0; keys[i]; i++)
		if (!strcmp(k, keys[i]))
			return true;
	return false;
}

static int apply_key(struct mig_opts *o, const cJSON *it, struct np_err *e)
{
	const char *k = it->string;
	double d;
	int rc = 0;
	char q[NP_QUOTE_MAX];
	if (!strcmp(k, "bandwidthPerMigration")) {
		if (!cJSON_IsString(it))
			return np_errmsg(e, -EINVAL, "migration configuration: bandwidthPerMigration must be a quantity string such as \"64Mi\"");
		return mig_parse_quantity("bandwidthPerMigration", it->valuestring, &o->bandwidth_bytes, e);
	}
	if (!strcmp(k, "completionTimeoutPerGiB")) {
		rc = want_number(it, 0, 1e9, &d, e);
		o->completion_per_gib_s = d;
	} else if (!strcmp(k, "progressTimeout")) {
		rc = want_number(it, 0, 1e9, &d, e);
		o->progress_timeout_s = d;
	} else if (!strcmp(k, "maxDowntimeMs")) {
		rc = want_number(it, 1, 2000000, &d, e);
		o->max_downtime_ms = (uint64_t)d;
	} else if (!strcmp(k, "parallelConnections")) {
		rc = want_number(it, 0, 64, &d, e);
		o->parallel = (unsigned)d;
	} else if (!strcmp(k, "allowAutoConverge")) {
		rc = want_bool(it, &o->auto_converge, e);
	} else if (!strcmp(k, "allowPostCopy")) {
		rc = want_bool(it, &o->postcopy, e);
	} else if (!strcmp(k, "allowWorkloadDisruption")) {
		rc = want_bool(it, &o->disruption, e);
		o->disruption_set = true;
	} else if (!strcmp(k, "disableTLS")) {
		bool off = false;
		rc = want_bool(it, &off, e);
		o->tls = !off;
	} else if (!cluster_only_key(k)) {
		return np_errmsg(e, -EINVAL, "migration configuration: unknown key %s", np_quote(k, q, sizeof(q)));
	}
	return rc;
}

int mig_opts_from_config(struct mig_opts *o, const char *json, struct np_err *e)
{
	cJSON *root = np_json_parse_strict(json, strlen(json), "migration configuration", e);
	if (!root)
		return e && e->code ? e->code : -EINVAL;
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return np_errmsg(e, -EINVAL, "migration configuration: not a JSON object");
	}
	const cJSON *m = root;
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(root, "kind");
	if (cJSON_IsString(kind) && !strcmp(kind->valuestring, "KubeVirt")) {
		const cJSON *spec = cJSON_GetObjectItemCaseSensitive(root, "spec");
		const cJSON *conf = cJSON_GetObjectItemCaseSensitive(spec, "configuration");
		m = cJSON_GetObjectItemCaseSensitive(conf, "migrations");
		if (!m) {   /* a CR without migrations keeps KubeVirt's defaults */
			cJSON_Delete(root);
			return 0;
		}
		if (!cJSON_IsObject(m)) {
			cJSON_Delete(root);
			return np_errmsg(e, -EINVAL, "migration configuration: spec.configuration.migrations must be an object");
		}
	}
	int rc = 0;
	for (const cJSON *it = m->child; it && !rc; it = it->next)
		rc = apply_key(o, it, e);
	cJSON_Delete(root);
	return rc;
}

void mig_opts_finish(struct mig_opts *o)
{
	if (!o->disruption_set)
		o->disruption = o->postcopy;
	if (o->strategy_auto) {
		/* auto decides at run time, so both are armed from the start */
		o->auto_converge = true;
		o->postcopy = true;
		if (!o->disruption_set)
			o->disruption = true;
	}
}
