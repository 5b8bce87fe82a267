/* kv-verify, and the options, launcher and record it shares with
 * kv-repair: KubeVirt's own caches checked where KubeVirt reads them. */
#include "cmd_kv.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vifcache_cli.h"
#include "kubevirt.h"
#include "names.h"
#include "vc_store.h"

static const struct {
	struct option opt;
	bool repair_only;
	const char *help;
} table[] = {
	{ { "launcher-pid", required_argument, NULL, 'p' }, false, "--launcher-pid PID  a process of the virt-launcher pod (its compute container)" },
	{ { "iface", required_argument, NULL, 'i' }, false, "--iface PODIFACE    the pod interface (eth0, pod16477688c0e, net1)" },
	{ { "vmi-uid", required_argument, NULL, 'u' }, false, "--vmi-uid UID       the VMI's UID: also check virt-handler's entry" },
	{ { "network", required_argument, NULL, 'N' }, false, "--network NAME      the VMI network name (with --vmi-uid)" },
	{ { "handler-root", required_argument, NULL, 'H' }, false, "--handler-root DIR  virt-handler's private dir (default " VC_KV_HANDLER_ROOT ")" },
	{ { "mac", required_argument, NULL, 'm' }, false, "--mac MAC           the VM's MAC (the guest's, not the pod interface's)" },
	{ { "vm", required_argument, NULL, 'v' }, false, "--vm NS/VM          take the VM's MAC from mignet's record of NS/VM/PODIFACE" },
	{ { "root", required_argument, NULL, 'r' }, false, "--root DIR          mignet's cache root, with --vm (default " VC_DEFAULT_ROOT ")" },
	{ { "kubevirt-owner", required_argument, NULL, 'K' }, false, "--kubevirt-owner U:G  the launcher's user (default 107:107)" },
	{ { "dry-run", no_argument, NULL, 'd' }, true, "--dry-run           print the plan, change nothing" },
	{ { "json", no_argument, NULL, 'j' }, false, "--json              machine-readable output" },
};
#define N_OPTS (sizeof(table) / sizeof(*table))

static void help(FILE *f, const char *usage, bool repair)
{
	fprintf(f, "usage: vifcache %s\n\noptions:\n", usage);
	for (size_t i = 0; i < N_OPTS; i++)
		if (repair || !table[i].repair_only)
			fprintf(f, "  %s\n", table[i].help);
	fprintf(f, "  --help              this text\n\n%s\n",
		repair ? "exit: 0 repaired, or nothing to repair, or --dry-run; 1 failed or refused; 2 usage;\n"
			 "      4 the launcher or its pod interface is missing (see README)"
		       : "exit: 0 consistent, 1 failed, 2 usage, 3 mismatch, 4 the file, the launcher or\n"
			 "      its pod interface is missing or unreadable (see README)");
}

/* UID:GID, two numbers below 4294967295 ((uid_t)-1 tells chown to keep) */
static int parse_owner(const char *s, unsigned int *uid, unsigned int *gid)
{
	unsigned long long v[2] = { 0, 0 };
	int part = 0, digits = 0;
	for (const char *c = s;; c++) {
		if (*c >= '0' && *c <= '9' && digits < 10) {
			v[part] = v[part] * 10 + (unsigned)(*c - '0');
			digits++;
		} else if (*c == ':' && part == 0 && digits) {
			part = 1;
			digits = 0;
		} else if (!*c && part == 1 && digits) {
			break;
		} else {
			return -1;
		}
	}
	if (v[0] >= 4294967295ULL || v[1] >= 4294967295ULL)
		return -1;
	*uid = (unsigned int)v[0];
	*gid = (unsigned int)v[1];
	return 0;
}

static int parse_vm(const char *s, struct kv_opts *o, struct np_err *e)
{
	char q[NP_QUOTE_MAX];
	const char *slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) > VC_NAME_MAX || strlen(slash + 1) > VC_NAME_MAX)
		return np_errmsg(e, -EINVAL, "--vm \"%s\" must be NAMESPACE/VM", np_quote(s, q, sizeof(q)));
	snprintf(o->ns, sizeof(o->ns), "%.*s", (int)(slash - s), s);
	snprintf(o->vm, sizeof(o->vm), "%s", slash + 1);
	return vc_key_validate(o->ns, o->vm, NULL, e);
}

static int parse(const char *verb, const char *usage, bool repair, int argc, char **argv,
		 struct kv_opts *o, int *exit_code)
{
	struct option opts[N_OPTS + 2];
	size_t n = 0;
	for (size_t i = 0; i < N_OPTS; i++)
		if (repair || !table[i].repair_only)
			opts[n++] = table[i].opt;
	opts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	opts[n] = (struct option){ 0 };
	memset(o, 0, sizeof(*o));
	o->handler_root = VC_KV_HANDLER_ROOT;
	o->kv_uid = VC_KUBEVIRT_UID;
	o->kv_gid = VC_KUBEVIRT_GID;
	struct np_err e = { 0 };
	char q[NP_QUOTE_MAX];
	bool has_pid = false;
	int c;
	optind = 1;
	*exit_code = VC_EXIT_USAGE;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (vc_kvpod_parse_pid(optarg, &o->pid, &e) < 0)
				goto bad;
			has_pid = true;
			break;
		case 'i':
			if (np_valid_ifname(optarg, "--iface", &e) < 0)
				goto bad;
			o->iface = optarg;
			break;
		case 'u':
			if (np_valid_path_component(optarg, 63, "--vmi-uid", &e) < 0)
				goto bad;
			o->vmi_uid = optarg;
			break;
		case 'N':
			if (np_valid_network_name(optarg, &e) < 0)
				goto bad;
			o->network = optarg;
			break;
		case 'H':
			if (np_path_plain_absolute(optarg, "--handler-root", &e) < 0)
				goto bad;
			o->handler_root = optarg;
			break;
		case 'm':
			if (np_mac_parse(optarg, true, o->mac, &e) < 0) {
				np_err_prefix(&e, -EINVAL, "--mac: ");
				goto bad;
			}
			o->has_mac = true;
			break;
		case 'v':
			if (parse_vm(optarg, o, &e) < 0)
				goto bad;
			o->has_vm = true;
			break;
		case 'r': o->root = optarg; break;
		case 'K':
			if (parse_owner(optarg, &o->kv_uid, &o->kv_gid) < 0) {
				np_errmsg(&e, -EINVAL, "--kubevirt-owner \"%s\": use UID:GID, two numbers below 4294967295",
					  np_quote(optarg, q, sizeof(q)));
				goto bad;
			}
			break;
		case 'd': o->dry_run = true; break;
		case 'j': o->json = true; break;
		case 'h':
			help(stdout, usage, repair);
			*exit_code = VC_EXIT_OK;
			return -1;
		default:
			help(stderr, usage, repair);
			return -1;
		}
	}
	if (optind < argc)
		np_errmsg(&e, -EINVAL, "unexpected argument \"%s\"", np_quote(argv[optind], q, sizeof(q)));
	else if (!has_pid || !o->iface)
		np_errmsg(&e, -EINVAL, "--launcher-pid and --iface are required");
	else if (!o->vmi_uid != !o->network)
		np_errmsg(&e, -EINVAL, "--vmi-uid and --network go together (they name virt-handler's entry)");
	else if (o->has_mac && o->has_vm)
		np_errmsg(&e, -EINVAL, "give the VM's MAC once: --mac or --vm, not both");
	else if (o->root && !o->has_vm)
		np_errmsg(&e, -EINVAL, "--root is where --vm's record is read: give --vm too");
	if (e.code)
		goto bad;
	return 0;
bad:
	fprintf(stderr, "vifcache %s: %s\n", verb, e.msg);
	return -1;
}

int kv_session_open(const char *verb, const char *usage, bool repair, int argc, char **argv,
		    struct kv_session *s, int *exit_code)
{
	memset(s, 0, sizeof(*s));
	s->pod.piddir = s->pod.rootfd = s->pod.netnsfd = -1;
	s->check.privfd = s->check.entry.dirfd = -1;
	if (parse(verb, usage, repair, argc, argv, &s->o, exit_code) < 0)
		return -1;
	struct np_err e = { 0 };
	if (s->o.has_vm) {
		struct vc_store st;
		int rc = vc_store_open(&st, s->o.root ? s->o.root : VC_DEFAULT_ROOT, false, &e);
		if (rc == 0) {
			rc = vc_store_read(&st, s->o.ns, s->o.vm, s->o.iface, &s->record, &e);
			vc_store_close(&st);
		}
		if (rc == 0 && !s->record.has_mac)
			rc = np_errmsg(&e, -ENOENT, "the record %s/%s/%s has no MAC", s->o.ns, s->o.vm, s->o.iface);
		if (rc < 0) {
			fprintf(stderr, "vifcache %s: --vm: %s%s\n", verb, e.msg,
				rc == -ENOENT ? " (give the VM's MAC with --mac instead)" : "");
			*exit_code = rc == -ENOENT ? VC_EXIT_MISSING : VC_EXIT_FAIL;
			return -1;
		}
		s->has_record = true;
	}
	int rc = vc_kvpod_open(&s->pod, NULL, s->o.pid, &e);
	if (rc < 0) {
		fprintf(stderr, "vifcache %s: %s\n", verb, e.msg);
		*exit_code = rc == -ESRCH ? VC_EXIT_MISSING : VC_EXIT_FAIL;
		return -1;
	}
	return 0;
}

void kv_session_close(struct kv_session *s)
{
	vc_kvcheck_free(&s->check);
	vc_kvpod_close(&s->pod);
}

int kv_session_check(const char *verb, struct kv_session *s)
{
	struct vc_kvcheck *c = &s->check;
	vc_kvcheck_free(c);
	memset(c, 0, sizeof(*c));
	c->pod = &s->pod;
	c->iface = s->o.iface;
	c->kv_uid = s->o.kv_uid;
	c->kv_gid = s->o.kv_gid;
	c->has_mac = s->o.has_mac || s->has_record;
	memcpy(c->mac, s->o.has_mac ? s->o.mac : s->record.mac, NP_MAC_LEN);
	if (s->o.vmi_uid) {
		c->handler_root = s->o.handler_root;
		c->vmi_uid = s->o.vmi_uid;
		c->network = s->o.network;
	}
	struct np_err e = { 0 };
	if (vc_kvcheck_run(c, &e) < 0) {
		fprintf(stderr, "vifcache %s: %s\n", verb, e.msg);
		return -1;
	}
	return 0;
}

const char *kv_state_label(const struct vc_kvcheck *c)
{
	if (!c->has_entry)
		return NULL;
	if (c->entry.rc == -ENOENT || c->entry.dirfd < 0)
		return c->entry.rc == -ENOENT ? "absent" : "unreadable";
	if (c->entry.rc < 0)
		return "unreadable";
	if (c->state_rc < 0)
		return "torn";
	return vc_kvstate_name(c->state.state);
}

cJSON *kv_findings_json(const struct vc_kvcheck *c)
{
	cJSON *a = cJSON_CreateArray();
	for (int i = 0; i < c->n; i++) {
		cJSON *f = cJSON_CreateObject();
		cJSON_AddStringToObject(f, "file", c->f[i].file);
		cJSON_AddStringToObject(f, "kind", vc_kvkind_name(c->f[i].kind));
		cJSON_AddStringToObject(f, "problem", c->f[i].text);
		cJSON_AddItemToArray(a, f);
	}
	return a;
}

void kv_findings_print(const struct vc_kvcheck *c)
{
	for (int i = 0; i < c->n; i++)
		printf("%s: %s\n", c->f[i].file, c->f[i].text);
}

static const char verify_usage[] =
	"kv-verify --launcher-pid PID --iface PODIFACE [--vmi-uid UID --network NAME]\n"
	"                [--handler-root DIR] [--mac MAC | --vm NS/VM [--root DIR]]\n"
	"                [--kubevirt-owner U:G] [--json]\n\n"
	"Checks KubeVirt's own caches where KubeVirt reads them: the launcher pod's\n"
	"/var/run/kubevirt-private/vif-cache-PODIFACE.json (through /proc/PID/root; it\n"
	"must be a regular file KubeVirt can parse, readable by the launcher, with the\n"
	"VM's MAC and the pod interface's IPv4) and, with --vmi-uid and --network,\n"
	"virt-handler's network-info-cache/UID/NAME entry: Finished while the file is\n"
	"missing is the stale state of KubeVirt #18087, Started an interrupted phase 1.\n"
	"One line per finding, naming the file.";

int cmd_kv_verify(int argc, char **argv)
{
	struct kv_session s;
	int ex;
	if (kv_session_open("kv-verify", verify_usage, false, argc, argv, &s, &ex) < 0) {
		kv_session_close(&s);
		return ex;
	}
	if (kv_session_check("kv-verify", &s) < 0) {
		kv_session_close(&s);
		return VC_EXIT_FAIL;
	}
	const struct vc_kvcheck *c = &s.check;
	int status = vc_kvcheck_exit(c);
	const char *state = kv_state_label(c);
	if (s.o.json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddNumberToObject(j, "launcherPid", s.o.pid);
		cJSON_AddStringToObject(j, "iface", s.o.iface);
		cJSON_AddStringToObject(j, "vifCache", c->vif_path);
		cJSON_AddBoolToObject(j, "macChecked", c->has_mac);
		if (state) {
			cJSON_AddStringToObject(j, "networkInfoCache", c->entry.path);
			cJSON_AddStringToObject(j, "networkState", state);
		}
		cJSON_AddStringToObject(j, "result", status == 0 ? "consistent" : status == 4 ? "missing" : "mismatch");
		cJSON_AddItemToObject(j, "findings", kv_findings_json(c));
		vc_cli_print_json(j);
		cJSON_Delete(j);
	} else if (c->n) {
		kv_findings_print(c);
	} else {
		printf("launcher %d %s: KubeVirt's caches are consistent (vif-cache file: %s%s%s%s)\n", s.o.pid,
		       s.o.iface, c->file_ipam_disabled ? "IPAMDisabled" : "IP matches",
		       c->has_mac && !c->file_ipam_disabled ? ", MAC matches" : "",
		       state ? "; network state " : "", state ? state : "");
	}
	if (!c->has_mac && !s.o.json)
		fprintf(stderr, "vifcache kv-verify: note: the file's MAC was not checked (give --mac or --vm)\n");
	kv_session_close(&s);
	return status;
}
