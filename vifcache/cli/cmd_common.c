#include "vifcache_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "readbuf.h"
#include "kubevirt.h"
#include "names.h"
#include "sriov.h"

static const struct {
	struct option opt;
	unsigned int bit;
	const char *help;
} table[] = {
	{ { "root", required_argument, NULL, 'r' }, O_ROOT, "--root DIR          cache root (default " VC_DEFAULT_ROOT ")" },
	{ { "json", no_argument, NULL, 'j' }, O_JSON, "--json              machine-readable output" },
	{ { "netns", required_argument, NULL, 'n' }, O_NETNS, "--netns PATH        the pod's network namespace" },
	{ { "iface", required_argument, NULL, 'i' }, O_IFACE, "--iface NAME        interface in that netns (default: the key's)" },
	{ { "network", required_argument, NULL, 'N' }, O_NETWORK, "--network NAME      network (NetworkAttachmentDefinition) name" },
	{ { "binding", required_argument, NULL, 'b' }, O_BINDING, "--binding KIND      bridge, macvlan or sriov (default bridge)" },
	{ { "from-result", required_argument, NULL, 'R' }, O_FROM_RESULT, "--from-result FILE  a CNI ADD result ('-': stdin)" },
	{ { "uid", required_argument, NULL, 'u' }, O_UID, "--uid UID           the VMI UID" },
	{ { "container-id", required_argument, NULL, 'c' }, O_CONTAINER, "--container-id ID   owner: the pod sandbox's container ID" },
	{ { "pod-uid", required_argument, NULL, 'p' }, O_POD_UID, "--pod-uid UID       owner: the launcher pod's UID" },
	{ { "kubevirt", no_argument, NULL, 'k' }, O_KUBEVIRT, "--kubevirt          also write KubeVirt's vif-cache-<iface>.json" },
	{ { "kubevirt-owner", required_argument, NULL, 'K' }, O_KV_OWNER, "--kubevirt-owner U:G  owner of KubeVirt files (default 107:107)" },
	{ { "output", required_argument, NULL, 'o' }, O_OUTPUT, "-o, --output FILE   write there instead of stdout" },
	{ { "force", no_argument, NULL, 'f' }, O_FORCE, "--force             overwrite conflicting records" },
	{ { "dry-run", no_argument, NULL, 'd' }, O_DRY_RUN, "--dry-run           show the plan, change nothing" },
	{ { "from-export", required_argument, NULL, 'E' }, O_FROM_EXPORT, "--from-export FILE  records exported from the source node" },
	{ { "domain-xml", required_argument, NULL, 'X' }, O_DOMAIN_XML, "--domain-xml FILE   libvirt domain XML (for the guest MAC)" },
	{ { "alias", required_argument, NULL, 'A' }, O_ALIAS, "--alias NAME        domain interface alias (default ua-<network>)" },
	{ { "proc-root", required_argument, NULL, 'P' }, O_PROC_ROOT, "--proc-root DIR     /proc to scan for live netns" },
	{ { "netns-dir", required_argument, NULL, 'D' }, O_NETNS_DIR, "--netns-dir DIR     named netns bind mounts (default /run/netns)" },
	{ { "kubelet-pods", required_argument, NULL, 'L' }, O_KUBELET_PODS, "--kubelet-pods DIR  kubelet's pods dir (default /var/lib/kubelet/pods)" },
	{ { "device-id", required_argument, NULL, 'I' }, O_DEVICE_ID, "--device-id PCI     the target VF (e.g. 0000:03:02.1)" },
	{ { "sysfs-root", required_argument, NULL, 'S' }, O_SYSFS_ROOT, "--sysfs-root DIR    sysfs (default /sys)" },
};
#define N_OPTS (sizeof(table) / sizeof(*table))

static void help(FILE *f, const char *verb, const char *usage, unsigned int allowed)
{
	fprintf(f, "usage: vifcache %s\n\noptions:\n", usage);
	for (size_t i = 0; i < N_OPTS; i++)
		if (allowed & table[i].bit)
			fprintf(f, "  %s\n", table[i].help);
	fprintf(f, "  --help              this text\n\n"
		   "exit: 0 ok, 1 failed, 2 usage, 3 mismatch, 4 missing, 5 conflict (see README)\n");
	(void)verb;
}

static int parse_id(const char *s, const char *end, unsigned int *out)
{
	unsigned long long v = 0;
	if (s == end || end - s > 10)
		return -1;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
	}
	/* (uid_t)-1 would tell chown to leave the owner as it is */
	if (v >= 4294967295ULL)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static int parse_owner(const char *s, unsigned int *uid, unsigned int *gid)
{
	const char *colon = strchr(s, ':');
	if (!colon)
		return -1;
	return parse_id(s, colon, uid) < 0 || parse_id(colon + 1, colon + strlen(colon), gid) < 0 ? -1 : 0;
}

static int parse_key(const char *s, bool need_iface, struct vc_opts *o, struct np_err *e)
{
	char buf[600], q[NP_QUOTE_MAX];
	if (strlen(s) >= sizeof(buf))
		return np_errmsg(e, -EINVAL, "key is too long");
	strcpy(buf, s);
	char *ns = buf, *vm = strchr(ns, '/'), *iface = NULL;
	if (!vm)
		return np_errmsg(e, -EINVAL, "key \"%s\" must be NAMESPACE/VM%s", np_quote(s, q, sizeof(q)),
				 need_iface ? "/IFACE" : "[/IFACE]");
	*vm++ = '\0';
	iface = strchr(vm, '/');
	if (iface)
		*iface++ = '\0';
	if (need_iface && !iface)
		return np_errmsg(e, -EINVAL, "key \"%s\" must be NAMESPACE/VM/IFACE", np_quote(s, q, sizeof(q)));
	int rc;
	if ((rc = vc_key_validate(ns, vm, iface, e)) < 0)
		return rc;
	strcpy(o->ns, ns);
	strcpy(o->vm, vm);
	if (iface)
		strcpy(o->pod_iface, iface);
	o->key_has_iface = iface != NULL;
	o->has_key = true;
	return 0;
}

int vc_cli_parse(const char *verb, const char *usage, unsigned int allowed,
		 int key, bool iface, int argc, char **argv, struct vc_opts *o,
		 int *exit_code)
{
	struct option opts[N_OPTS + 2];
	size_t n = 0;
	for (size_t i = 0; i < N_OPTS; i++)
		if (allowed & table[i].bit)
			opts[n++] = table[i].opt;
	opts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	opts[n] = (struct option){ 0 };
	memset(o, 0, sizeof(*o));
	o->kv_uid = VC_KUBEVIRT_UID;
	o->kv_gid = VC_KUBEVIRT_GID;
	struct np_err e = { 0 };
	char q[NP_QUOTE_MAX];
	int c;
	optind = 1;
	*exit_code = VC_EXIT_USAGE;
	while ((c = getopt_long(argc, argv, (allowed & O_OUTPUT) ? "o:" : "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': o->root = optarg; break;
		case 'j': o->json = true; break;
		case 'n': o->netns = optarg; break;
		case 'i':
			if (np_valid_ifname(optarg, "--iface", &e) < 0)
				goto bad;
			o->iface = optarg;
			break;
		case 'N':
			if (np_valid_network_name(optarg, &e) < 0)
				goto bad;
			o->network = optarg;
			break;
		case 'b':
			if (vc_binding_parse(optarg, &o->binding) < 0) {
				np_errmsg(&e, -EINVAL, "--binding \"%s\": use bridge, macvlan or sriov",
					  np_quote(optarg, q, sizeof(q)));
				goto bad;
			}
			o->has_binding = true;
			break;
		case 'R': o->from_result = optarg; break;
		case 'u':
			if (np_valid_path_component(optarg, 63, "--uid", &e) < 0)
				goto bad;
			o->uid = optarg;
			break;
		case 'c':
			if (np_valid_container_id(optarg, &e) < 0)
				goto bad;
			o->container_id = optarg;
			break;
		case 'p':
			if (np_valid_path_component(optarg, 63, "--pod-uid", &e) < 0)
				goto bad;
			o->pod_uid = optarg;
			break;
		case 'k': o->kubevirt = true; break;
		case 'K':
			if (parse_owner(optarg, &o->kv_uid, &o->kv_gid) < 0) {
				np_errmsg(&e, -EINVAL, "--kubevirt-owner \"%s\": use UID:GID, two numbers "
					  "below 4294967295", np_quote(optarg, q, sizeof(q)));
				goto bad;
			}
			o->has_kv_owner = true;
			break;
		case 'o': o->output = optarg; break;
		case 'f': o->force = true; break;
		case 'd': o->dry_run = true; break;
		case 'E': o->from_export = optarg; break;
		case 'X': o->domain_xml = optarg; break;
		case 'A': o->alias = optarg; break;
		case 'P': o->proc_root = optarg; break;
		case 'D': o->netns_dir = optarg; break;
		case 'L': o->kubelet_pods = optarg; break;
		case 'I':
			if (np_pci_addr_valid(optarg, &e) < 0)
				goto bad;
			o->device_id = optarg;
			break;
		case 'S': o->sysfs_root = optarg; break;
		case 'h':
			help(stdout, verb, usage, allowed);
			*exit_code = VC_EXIT_OK;
			return -1;
		default:
			help(stderr, verb, usage, allowed);
			return -1;
		}
	}
	if (key && optind < argc) {
		if (parse_key(argv[optind], iface, o, &e) < 0)
			goto bad;
		optind++;
	} else if (key == 2) {
		np_errmsg(&e, -EINVAL, "missing NAMESPACE/VM%s", iface ? "/IFACE" : "");
		goto bad;
	}
	if (optind < argc)
		o->arg = argv[optind++];
	if (optind < argc) {
		np_errmsg(&e, -EINVAL, "unexpected argument \"%s\"", np_quote(argv[optind], q, sizeof(q)));
		goto bad;
	}
	return 0;
bad:
	fprintf(stderr, "vifcache %s: %s\n", verb, e.msg);
	return -1;
}

int vc_cli_open_store(const struct vc_opts *o, struct vc_store *s, bool write)
{
	struct np_err e = { 0 };
	if (vc_store_open(s, o->root, write, &e) < 0) {
		fprintf(stderr, "vifcache: %s\n", e.msg);
		return -1;
	}
	s->kubevirt_uid = o->kv_uid;
	s->kubevirt_gid = o->kv_gid;
	return 0;
}

void vc_cli_print_json(cJSON *j)
{
	char *s = cJSON_Print(j);
	if (s)
		printf("%s\n", s);
	cJSON_free(s);
}

/* A named input must be a regular file: a FIFO would block the reader
 * (maybe holding the cache's lock) until someone writes to it. Stdin is the
 * one stream allowed. */
static int open_input(const char *path, size_t max, struct np_err *e)
{
	if (!strcmp(path, "-"))
		return STDIN_FILENO;
	struct stat st;
	int fd = np_open_state(AT_FDCWD, path, O_RDONLY, 0, &st, e);
	if (fd >= 0 && (size_t)st.st_size > max) {
		close(fd);
		return np_errmsg(e, -EFBIG, "%s is larger than %zu bytes", path, max);
	}
	return fd;
}

char *vc_cli_read_input(const char *path, size_t max, size_t *len, struct np_err *e)
{
	int fd = open_input(path, max, e);
	if (fd < 0)
		return NULL;
	struct np_readbuf b;
	np_readbuf_init(&b, max);
	int rc = np_readbuf_read_all(&b, fd);
	if (fd != STDIN_FILENO)
		close(fd);
	if (rc < 0) {
		np_readbuf_free(&b);
		if (rc == -EFBIG)
			np_errmsg(e, rc, "%s is larger than %zu bytes", path, max);
		else
			np_errf(e, rc, "cannot read %s", path);
		return NULL;
	}
	return np_readbuf_take(&b, len);
}
