#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "address.h"
#include "atomic_file.h"
#include "netprep_cli.h"
#include "migrate_run.h"
#include "names.h"
#include "yaml_doc.h"

#define CONFIG_MAX (1 << 20)

static void help(FILE *f)
{
	fprintf(f,
		"usage: netprep migrate DOMAIN --to DEST_URI (--address IP | --iface NAME [--netns PATH])\n"
		"                       [--source URI] [--port N] [--config FILE] [--bandwidth Q]\n"
		"                       [--completion-timeout-per-gib S] [--progress-timeout S]\n"
		"                       [--auto-converge] [--post-copy] [--allow-disruption]\n"
		"                       [--strategy precopy|auto] [--parallel N] [--max-downtime MS]\n"
		"                       [--tls] [--block] [--json]\n"
		"                       [--target-inventory FILE] [--proc-sys DIR] [--check]\n"
		"                       [--vif-cache-target DIR [--vif-cache DIR] [--vm NS/NAME]]\n"
		"       netprep migrate-cancel DOMAIN [--source URI]\n\n"
		"Live-migrates DOMAIN from the source libvirt (default qemu:///system) to\n"
		"DEST_URI, peer to peer, with the memory stream on tcp://ADDR:PORT of the\n"
		"migration network (default port 49152). ADDR is --address, or picked on\n"
		"--iface as `netprep address` does, in --netns (the target node's).\n"
		"Options follow KubeVirt's MigrationConfiguration; --config reads a\n"
		"KubeVirt CR or a MigrationConfiguration JSON, flags given later win.\n"
		"The completion limit is completionTimeoutPerGiB seconds per GiB of guest\n"
		"memory, the size rounded up in units of 10^9 bytes as KubeVirt counts it.\n"
		"SIGINT/SIGTERM or migrate-cancel abort the job; the VM stays on the source.\n\n"
		"Preflight, before anything moves: the domain is live-migratable, the\n"
		"target's libvirt and QEMU are not older than the source's, the address is\n"
		"routable, and with post-copy a non-root target QEMU has userfaultfd\n"
		"(vm.unprivileged_userfaultfd from --target-inventory, the target's\n"
		"`netprep inventory --json`, else this node's --proc-sys). With\n"
		"--vif-cache-target, every vif-cache record of NS/NAME (default: DOMAIN\n"
		"split at its first '_', as KubeVirt names domains) in --vif-cache (default\n"
		"/run/mignet/vifcache) must have a twin in the target's cache. --check\n"
		"runs the preflight alone and moves nothing.\n\n"
		"exit: 0 completed (--check: preflight passed), 1 failed, 2 usage, 3 aborted on request,\n"
		"      4 refused by preflight\n");
}

static int number_arg(const char *field, const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "netprep migrate: %s %s: expected a number from %.0f to %.0f\n", field, s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

static int read_config(struct mig_opts *o, const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	struct np_err e = { 0 };
	int rc = np_file_read(AT_FDCWD, path, CONFIG_MAX, &buf, &len, &e);
	size_t i = 0;
	while (rc == 0 && i < len && isspace((unsigned char)buf[i]))
		i++;
	/* a KubeVirt CR as kubectl prints it: YAML, read as Kubernetes does */
	if (rc == 0 && i < len && buf[i] != '{') {
		cJSON *doc = np_yaml_first(buf, len, "the KubeVirt CR", &e);
		char *json = doc ? cJSON_PrintUnformatted(doc) : NULL;
		cJSON_Delete(doc);
		free(buf);
		buf = json;
		rc = buf ? 0 : (e.code ? e.code : -ENOMEM);
	}
	if (rc == 0)
		rc = mig_opts_from_config(o, buf, &e);
	if (rc < 0)
		fprintf(stderr, "netprep migrate: --config %s: %s\n", path, e.msg[0] ? e.msg : strerror(-rc));
	free(buf);
	return rc;
}

static int resolve_address(struct mig_opts *o, const char *address, const char *iface, const char *netns)
{
	struct np_ip ip;
	char buf[64];
	struct np_err e = { 0 };
	if (address) {
		if (np_ip_parse(address, &ip, &e) < 0) {
			fprintf(stderr, "netprep migrate: --address: %s\n", e.msg);
			return -1;
		}
	} else {
		struct np_pick_request req = { .iface = iface, .family = AF_UNSPEC, .strict = true };
		struct np_pick_result r;
		struct np_nl *nl = np_nl_alloc();
		int rc = nl ? np_nl_open(nl, netns, &e) : -ENOMEM;
		if (rc == 0) {
			rc = np_pick_address(nl, &req, &r, &e);
			np_nl_close(nl);
		}
		free(nl);
		if (rc < 0) {
			fprintf(stderr, "netprep migrate: --iface %s: %s\n", iface, e.msg);
			return -1;
		}
		ip = r.ip;
	}
	np_ip_str(&ip, o->target_address, sizeof(o->target_address));
	snprintf(o->data_uri, sizeof(o->data_uri), "tcp://%s:%u",
		 np_ip_uri_str(&ip, buf, sizeof(buf)), o->port);
	return 0;
}

/* the one thing a signal handler may touch; the runner reads it through
 * its options */
static volatile sig_atomic_t cancel_requested;

static void on_signal(int sig)
{
	(void)sig;
	cancel_requested = 1;
}

static void install_cancel_handlers(void)
{
	struct sigaction sa = { .sa_handler = on_signal };   /* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void progress_text(const struct mig_progress *p, char *buf, size_t len)
{
	double pct = p->total ? 100.0 * (double)(p->total - p->remaining) / (double)p->total : 0;
	snprintf(buf, len, "%5.1f%%  %6.1f MiB sent  %6.1f MiB left  %6.1f MiB/s  dirty %6.1f MiB/s  iter %llu  throttle %llu%%  %s",
		 pct, p->processed / 1048576.0, p->remaining / 1048576.0, p->bps / 1048576.0,
		 p->dirty_rate / 1048576.0, (unsigned long long)p->iteration,
		 (unsigned long long)p->throttle, mig_mode_name(p->mode));
}

/* A terminal gets one line redrawn in place. */
static void progress_tty(const struct mig_progress *p, void *arg)
{
	(void)arg;
	char line[256];
	progress_text(p, line, sizeof(line));
	fprintf(stderr, "\r%s ", line);
}

/* A log or a pipe gets a line per second. */
static void progress_lines(const struct mig_progress *p, void *arg)
{
	double *last = arg;
	if (*last >= 0 && p->elapsed_s - *last < 1.0)
		return;
	*last = p->elapsed_s;
	char line[256];
	progress_text(p, line, sizeof(line));
	fprintf(stderr, "%6.1fs %s\n", p->elapsed_s, line);
}

static void progress_json(const struct mig_progress *p, void *arg)
{
	(void)arg;
	printf("{\"event\":\"progress\",\"elapsedMs\":%.0f,\"dataProcessed\":%llu,\"dataRemaining\":%llu,"
	       "\"dataTotal\":%llu,\"memoryBps\":%llu,\"dirtyRate\":%llu,\"iteration\":%llu,"
	       "\"autoConvergeThrottle\":%llu,\"mode\":\"%s\"}\n",
	       p->elapsed_s * 1000, (unsigned long long)p->processed, (unsigned long long)p->remaining,
	       (unsigned long long)p->total, (unsigned long long)p->bps, (unsigned long long)p->dirty_rate,
	       (unsigned long long)p->iteration, (unsigned long long)p->throttle, mig_mode_name(p->mode));
	fflush(stdout);
}

/* The TCP port the target's libvirt daemon listens on for dest_uri, or 0
 * when the URI names none (a local or ssh transport). */
static unsigned libvirt_port(const char *uri)
{
	const char *hostpart = strstr(uri, "://");
	if (!hostpart)
		return 0;
	hostpart += 3;
	const char *end = hostpart + strcspn(hostpart, "/?");
	const char *colon = NULL;
	if (*hostpart == '[') { /* [v6]:port */
		const char *rb = memchr(hostpart, ']', (size_t)(end - hostpart));
		colon = rb && rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = memchr(hostpart, ':', (size_t)(end - hostpart));
	}
	if (colon) {
		unsigned long p = strtoul(colon + 1, NULL, 10);
		return p > 0 && p <= 65535 ? (unsigned)p : 0;
	}
	if (!strncmp(uri, "qemu+tcp://", 11))
		return 16509;
	if (!strncmp(uri, "qemu+tls://", 11) || !strncmp(uri, "qemu://", 7))
		return 16514; /* a plain remote qemu:// URI means TLS */
	return 0;
}

/* KubeVirt's shape (GetTargetListenerPorts): the port that listens on the
 * target node -> the port it leads to, 0 for the libvirt connection and
 * 49152 for the memory stream. Here both listen directly. */
static void add_listener_ports(cJSON *ports, const struct mig_opts *o)
{
	char key[16];
	unsigned lv = o->dest_uri && strstr(o->dest_uri, "://") && strncmp(o->dest_uri, "qemu:///", 8) ?
			      libvirt_port(o->dest_uri) : 0;
	if (lv) {
		snprintf(key, sizeof(key), "%u", lv);
		cJSON_AddNumberToObject(ports, key, 0);
	}
	snprintf(key, sizeof(key), "%u", o->port);
	cJSON_AddNumberToObject(ports, key, 49152);
}

static cJSON *config_json(const struct mig_opts *o)
{
	cJSON *c = cJSON_CreateObject();
	char q[32];
	snprintf(q, sizeof(q), "%lluMi", (unsigned long long)(o->bandwidth_bytes >> 20));
	cJSON_AddStringToObject(c, "bandwidthPerMigration", q);
	cJSON_AddNumberToObject(c, "completionTimeoutPerGiB", o->completion_per_gib_s);
	cJSON_AddNumberToObject(c, "progressTimeout", o->progress_timeout_s);
	cJSON_AddBoolToObject(c, "allowAutoConverge", o->auto_converge);
	cJSON_AddBoolToObject(c, "allowPostCopy", o->postcopy);
	cJSON_AddBoolToObject(c, "allowWorkloadDisruption", o->disruption);
	cJSON_AddStringToObject(c, "strategy", o->strategy_auto ? "auto" : "precopy");
	cJSON_AddNumberToObject(c, "parallelConnections", o->parallel);
	cJSON_AddNumberToObject(c, "maxDowntimeMs", (double)o->max_downtime_ms);
	cJSON_AddBoolToObject(c, "disableTLS", !o->tls);
	cJSON_AddBoolToObject(c, "blockMigration", o->block);
	return c;
}

static void print_status(const struct mig_opts *o, const struct mig_status *st, const char *uid)
{
	cJSON *s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "event", "status");
	cJSON_AddStringToObject(s, "migrationUid", uid);
	cJSON_AddStringToObject(s, "sourceNode", st->source_node);
	cJSON_AddStringToObject(s, "targetNode", st->target_node);
	cJSON_AddStringToObject(s, "targetNodeAddress", o->target_address);
	add_listener_ports(cJSON_AddObjectToObject(s, "targetDirectMigrationNodePorts"), o);
	cJSON_AddStringToObject(s, "startTimestamp", st->start);
	cJSON_AddStringToObject(s, "endTimestamp", st->end);
	cJSON_AddBoolToObject(s, "completed", st->outcome == MIG_COMPLETED);
	cJSON_AddBoolToObject(s, "failed", st->outcome != MIG_COMPLETED && st->outcome != MIG_CHECKED);
	cJSON_AddStringToObject(s, "failureReason", st->failure_reason);
	cJSON_AddBoolToObject(s, "abortRequested", st->abort_requested);
	cJSON_AddStringToObject(s, "abortStatus", st->abort_status);
	cJSON_AddStringToObject(s, "mode", mig_mode_name(st->mode));
	cJSON_AddItemToObject(s, "migrationConfiguration", config_json(o));
	cJSON_AddNumberToObject(s, "downtimeMs", (double)st->downtime_ms);
	cJSON_AddNumberToObject(s, "totalBytes", (double)st->total_bytes);
	cJSON_AddNumberToObject(s, "iterations", (double)st->iterations);
	cJSON_AddNumberToObject(s, "completionLimitSeconds", st->completion_limit_s);
	cJSON_AddStringToObject(s, "statsSource", st->stats_from_destination ? "destination" : "last-poll");
	cJSON_AddBoolToObject(s, "preflightOnly", o->check_only);
	cJSON *refs = cJSON_AddArrayToObject(s, "preflightRefusals");
	for (unsigned i = 0; i < st->n_refusals; i++)
		cJSON_AddItemToArray(refs, cJSON_CreateString(st->refusals[i]));
	char *txt = cJSON_PrintUnformatted(s);
	if (txt)
		puts(txt);
	free(txt);
	cJSON_Delete(s);
}

static void print_human(const struct mig_opts *o, const struct mig_status *st)
{
	for (unsigned i = 0; i < st->n_refusals; i++)
		fprintf(stderr, "netprep migrate: preflight: %s\n", st->refusals[i]);
	if (st->outcome == MIG_CHECKED)
		printf("preflight passed: %s can move to %s over %s\n", o->domain, o->dest_uri, o->data_uri);
	else if (st->outcome == MIG_COMPLETED)
		printf("migrated %s to %s over %s: %.1f MiB in %llu iteration(s), downtime %llu ms, mode %s\n",
		       o->domain, o->dest_uri, o->data_uri, st->total_bytes / 1048576.0,
		       (unsigned long long)st->iterations, (unsigned long long)st->downtime_ms,
		       mig_mode_name(st->mode));
	else
		fprintf(stderr, "netprep migrate: %s: %s%s%s\n", o->domain, st->failure_reason,
			st->abort_requested ? "; abortStatus " : "", st->abort_status);
}

static void make_uid(char *buf, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/uuid", "re");
	if (!f || !fgets(buf, (int)len, f))
		snprintf(buf, len, "netprep-%d", (int)getpid());
	if (f)
		fclose(f);
	buf[strcspn(buf, "\n")] = 0;
}

int cmd_migrate_cancel(int argc, char **argv)
{
	const char *src = "qemu:///system";
	static const struct option lo[] = { { "source", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' }, { 0 } };
	int c;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (c == 's') src = optarg;
		else if (c == 'h') { help(stdout); return NP_EXIT_OK; }
		else { help(stderr); return NP_EXIT_USAGE; }
	}
	if (optind + 1 != argc) {
		help(stderr);
		return NP_EXIT_USAGE;
	}
	struct np_err e = { 0 };
	if (mig_cancel(src, argv[optind], &e) < 0) {
		fprintf(stderr, "netprep migrate-cancel: %s\n", e.msg);
		return NP_EXIT_FAIL;
	}
	printf("abort requested for %s\n", argv[optind]);
	return NP_EXIT_OK;
}

enum { O_SOURCE = 256, O_PORT, O_CONFIG, O_BW, O_CTPG, O_PT, O_AC, O_PC, O_DIS,
       O_STRAT, O_PAR, O_DOWN, O_TLS, O_BLOCK, O_JSON, O_ADDR, O_IFACE, O_NETNS, O_TINV, O_PSYS,
       O_VCS, O_VCT, O_VM, O_CHECK };

/* NS/NAME, or DOMAIN as KubeVirt names it ("ns_name"). */
static int vm_identity(struct mig_opts *o, const char *vm)
{
	const char *from = vm ? vm : o->domain, *sep = strchr(from, vm ? '/' : '_');
	struct np_err e = { 0 };
	if (!sep || (size_t)(sep - from) >= sizeof(o->vm_ns) || strlen(sep + 1) >= sizeof(o->vm_name)) {
		fprintf(stderr, "netprep migrate: %s %s: expected %s\n", vm ? "--vm" : "DOMAIN", from,
			vm ? "NAMESPACE/NAME" : "NAMESPACE_NAME, or give --vm NAMESPACE/NAME");
		return -1;
	}
	memcpy(o->vm_ns, from, (size_t)(sep - from));
	o->vm_ns[sep - from] = '\0';
	strcpy(o->vm_name, sep + 1);
	if (np_valid_path_component(o->vm_ns, sizeof(o->vm_ns) - 1, "--vm namespace", &e) < 0 ||
	    np_valid_path_component(o->vm_name, sizeof(o->vm_name) - 1, "--vm name", &e) < 0) {
		fprintf(stderr, "netprep migrate: %s\n", e.msg);
		return -1;
	}
	return 0;
}

int cmd_migrate(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "to", required_argument, NULL, 't' }, { "source", required_argument, NULL, O_SOURCE },
		{ "address", required_argument, NULL, O_ADDR }, { "iface", required_argument, NULL, O_IFACE },
		{ "netns", required_argument, NULL, O_NETNS }, { "port", required_argument, NULL, O_PORT },
		{ "config", required_argument, NULL, O_CONFIG }, { "bandwidth", required_argument, NULL, O_BW },
		{ "completion-timeout-per-gib", required_argument, NULL, O_CTPG },
		{ "progress-timeout", required_argument, NULL, O_PT },
		{ "auto-converge", no_argument, NULL, O_AC }, { "post-copy", no_argument, NULL, O_PC },
		{ "allow-disruption", no_argument, NULL, O_DIS }, { "strategy", required_argument, NULL, O_STRAT },
		{ "parallel", required_argument, NULL, O_PAR }, { "max-downtime", required_argument, NULL, O_DOWN },
		{ "tls", no_argument, NULL, O_TLS }, { "block", no_argument, NULL, O_BLOCK },
		{ "json", no_argument, NULL, O_JSON }, { "target-inventory", required_argument, NULL, O_TINV },
		{ "proc-sys", required_argument, NULL, O_PSYS }, { "vif-cache", required_argument, NULL, O_VCS },
		{ "vif-cache-target", required_argument, NULL, O_VCT }, { "vm", required_argument, NULL, O_VM },
		{ "check", no_argument, NULL, O_CHECK },
		{ "help", no_argument, NULL, 'h' }, { 0 } };
	struct mig_opts o;
	mig_opts_defaults(&o);
	o.cancel = &cancel_requested;
	const char *address = NULL, *iface = NULL, *netns = NULL, *vm = NULL;
	struct np_err e = { 0 };
	double d;
	int c;
	while ((c = getopt_long(argc, argv, "t:h", lo, NULL)) != -1) {
		int bad = 0;
		switch (c) {
		case 't': o.dest_uri = optarg; break;
		case O_SOURCE: o.src_uri = optarg; break;
		case O_ADDR: address = optarg; break;
		case O_IFACE: iface = optarg; break;
		case O_NETNS: netns = optarg; break;
		case O_PORT: bad = number_arg("--port", optarg, 1, 65535, &d); o.port = (unsigned)d; break;
		case O_CONFIG: if (read_config(&o, optarg) < 0) return NP_EXIT_USAGE; break;
		case O_BW:
			if (mig_parse_quantity("--bandwidth", optarg, &o.bandwidth_bytes, &e) < 0) {
				fprintf(stderr, "netprep migrate: %s\n", e.msg);
				return NP_EXIT_USAGE;
			}
			break;
		case O_CTPG: bad = number_arg("--completion-timeout-per-gib", optarg, 0, 1e9, &o.completion_per_gib_s); break;
		case O_PT: bad = number_arg("--progress-timeout", optarg, 0, 1e9, &o.progress_timeout_s); break;
		case O_AC: o.auto_converge = true; break;
		case O_PC: o.postcopy = true; break;
		case O_DIS: o.disruption = o.disruption_set = true; break;
		case O_STRAT:
			if (strcmp(optarg, "auto") && strcmp(optarg, "precopy")) {
				fprintf(stderr, "netprep migrate: --strategy %s: expected precopy or auto\n", optarg);
				return NP_EXIT_USAGE;
			}
			o.strategy_auto = !strcmp(optarg, "auto");
			break;
		case O_PAR: bad = number_arg("--parallel", optarg, 0, 64, &d); o.parallel = (unsigned)d; break;
		case O_DOWN: bad = number_arg("--max-downtime", optarg, 1, 2000000, &d); o.max_downtime_ms = (uint64_t)d; break;
		case O_TLS: o.tls = true; break;
		case O_BLOCK: o.block = true; break;
		case O_JSON: o.json = true; break;
		case O_TINV: o.target_inventory = optarg; break;
		case O_PSYS: o.proc_sys = optarg; break;
		case O_VCS: o.vif_cache_source = optarg; break;
		case O_VCT: o.vif_cache_target = optarg; break;
		case O_VM: vm = optarg; break;
		case O_CHECK: o.check_only = true; break;
		case 'h': help(stdout); return NP_EXIT_OK;
		default: help(stderr); return NP_EXIT_USAGE;
		}
		if (bad)
			return NP_EXIT_USAGE;
	}
	if (optind + 1 != argc || !o.dest_uri || (!address == !iface)) {
		fprintf(stderr, "netprep migrate: need DOMAIN, --to DEST_URI and one of --address or --iface\n");
		help(stderr);
		return NP_EXIT_USAGE;
	}
	o.domain = argv[optind];
	if (o.vif_cache_target && vm_identity(&o, vm) < 0)
		return NP_EXIT_USAGE;
	mig_opts_finish(&o);
	if (resolve_address(&o, address, iface, netns) < 0)
		return NP_EXIT_USAGE;

	char uid[64];
	make_uid(uid, sizeof(uid));
	install_cancel_handlers();
	bool tty = !o.json && isatty(STDERR_FILENO);
	struct mig_status st;
	double last_line = -1;
	mig_run(&o, o.json ? progress_json : tty ? progress_tty : progress_lines, &last_line, &st);
	if (tty)
		fputc('\n', stderr);
	if (o.json)
		print_status(&o, &st, uid);
	else
		print_human(&o, &st);
	switch (st.outcome) {
	case MIG_CHECKED:
	case MIG_COMPLETED: return NP_EXIT_OK;
	case MIG_ABORTED: return NP_EXIT_ABORTED;
	case MIG_REFUSED: return NP_EXIT_REFUSED;
	default: return NP_EXIT_FAIL;
	}
}
