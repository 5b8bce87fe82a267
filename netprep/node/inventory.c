#include "inventory.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addr.h"
#include "link.h"
#include "netns.h"

#define INV_LINKS_MAX 1024

struct links {
	struct np_link_info l[INV_LINKS_MAX];
	int n;
};

static int collect(const struct np_link_info *li, void *arg)
{
	struct links *ls = arg;
	if (ls->n == INV_LINKS_MAX)
		return -E2BIG;
	ls->l[ls->n++] = *li;
	return 0;
}

static const char *name_of(const struct links *ls, int ifindex)
{
	for (int i = 0; i < ls->n; i++)
		if (ls->l[i].ifindex == ifindex)
			return ls->l[i].name;
	return NULL;
}

struct addr_out {
	int ifindex;
	cJSON *arr;
};

static int addr_cb(const struct np_addr_info *a, void *arg)
{
	struct addr_out *o = arg;
	char buf[NP_PREFIX_STRLEN];
	if (a->ifindex == o->ifindex && np_ip_is_global_unicast(&a->prefix.ip))
		cJSON_AddItemToArray(o->arr, cJSON_CreateString(np_prefix_str(&a->prefix, buf, sizeof(buf))));
	return 0;
}

/* The migration interface as found in ls (the links of nl's namespace). */
static void add_migration(cJSON *doc, struct np_nl *nl, const struct links *ls, const char *mig)
{
	cJSON *m = cJSON_AddObjectToObject(doc, "migration");
	cJSON_AddStringToObject(m, "interface", mig);
	cJSON_AddBoolToObject(m, "present", false);
	for (int i = 0; i < ls->n; i++) {
		const struct np_link_info *l = &ls->l[i];
		if (strcmp(l->name, mig))
			continue;
		cJSON_ReplaceItemInObject(m, "present", cJSON_CreateTrue());
		cJSON_AddNumberToObject(m, "mtu", l->mtu);
		cJSON_AddBoolToObject(m, "up", (l->flags & IFF_UP) != 0);
		struct addr_out ao = { l->ifindex, cJSON_AddArrayToObject(m, "addresses") };
		np_addr_list(nl, NULL, AF_UNSPEC, addr_cb, &ao, NULL);
	}
}

static void add_links(cJSON *doc, const struct links *ls)
{
	cJSON *links = cJSON_AddArrayToObject(doc, "links");
	cJSON *bridges = cJSON_AddArrayToObject(doc, "bridges");
	cJSON *vlans = cJSON_AddArrayToObject(doc, "vlans");
	cJSON *masters = cJSON_AddArrayToObject(doc, "macvlanMasters");
	for (int i = 0; i < ls->n; i++) {
		const struct np_link_info *l = &ls->l[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", l->name);
		cJSON_AddStringToObject(o, "kind", l->kind);
		cJSON_AddNumberToObject(o, "mtu", l->mtu);
		cJSON_AddBoolToObject(o, "up", (l->flags & IFF_UP) != 0);
		const char *master = l->master ? name_of(ls, l->master) : NULL;
		if (master)
			cJSON_AddStringToObject(o, "master", master);
		cJSON_AddItemToArray(links, o);
		if (!strcmp(l->kind, "bridge")) {
			cJSON *b = cJSON_CreateObject();
			cJSON_AddStringToObject(b, "name", l->name);
			cJSON_AddNumberToObject(b, "mtu", l->mtu);
			cJSON_AddBoolToObject(b, "up", (l->flags & IFF_UP) != 0);
			cJSON *ports = cJSON_AddArrayToObject(b, "ports");
			for (int k = 0; k < ls->n; k++)
				if (ls->l[k].master == l->ifindex)
					cJSON_AddItemToArray(ports, cJSON_CreateString(ls->l[k].name));
			cJSON_AddItemToArray(bridges, b);
		}
		if (l->vlan_id >= 0) {
			cJSON *v = cJSON_CreateObject();
			cJSON_AddStringToObject(v, "name", l->name);
			cJSON_AddNumberToObject(v, "id", l->vlan_id);
			const char *parent = name_of(ls, l->link);
			cJSON_AddStringToObject(v, "parent", parent ? parent : "");
			cJSON_AddItemToArray(vlans, v);
		}
		if (l->macvlan_mode >= 0 && l->link_netnsid < 0) {
			const char *parent = name_of(ls, l->link);
			bool seen = false;
			const cJSON *x;
			cJSON_ArrayForEach(x, masters)
				seen |= parent && !strcmp(x->valuestring, parent);
			if (parent && !seen)
				cJSON_AddItemToArray(masters, cJSON_CreateString(parent));
		}
	}
}

static void add_dir_listing(cJSON *parent, const char *key, const char *dir, const char *prefix)
{
	cJSON *arr = cJSON_AddArrayToObject(parent, key);
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && (!prefix || !strncmp(de->d_name, prefix, strlen(prefix))))
			cJSON_AddItemToArray(arr, cJSON_CreateString(de->d_name));
	closedir(d);
}

/* "QEMU emulator version 7.2.5 (Debian ...)" -> "7.2.5" */
static void qemu_version(const char *qemu, char *out, size_t len)
{
	int p[2];
	out[0] = '\0';
	if (pipe(p) < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, 2);
		close(p[0]);
		execlp(qemu, qemu, "--version", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	char buf[256] = "";
	ssize_t n = pid > 0 ? read(p[0], buf, sizeof(buf) - 1) : -1;
	close(p[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	if (n <= 0)
		return;
	buf[n] = '\0';
	const char *v = strstr(buf, "version ");
	if (v)
		snprintf(out, len, "%.*s", (int)strcspn(v + 8, " \n"), v + 8);
}

struct port_check {
	int port;
	bool free_;
};

static int check_port(void *arg, struct np_err *e)
{
	(void)e;
	struct port_check *pc = arg;
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)pc->port) };
	if (fd < 0) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons((uint16_t)pc->port) };
		pc->free_ = fd >= 0 && bind(fd, (struct sockaddr *)&s4, sizeof(s4)) == 0;
	} else {
		pc->free_ = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

cJSON *np_inventory(const struct inv_opts *o, struct np_err *e)
{
	struct np_nl *nl = np_nl_alloc(), *mnl = NULL;
	struct links *ls = calloc(1, sizeof(*ls)), *mls = NULL;
	cJSON *doc = NULL;
	/* the migration network lives in virt-handler's pod, not on the host */
	const char *mig_netns = o->migration_netns ? o->migration_netns : o->netns;
	if (!nl || !ls) {
		np_errmsg(e, -ENOMEM, "out of memory");
		goto out;
	}
	if (np_nl_open(nl, o->netns, e) < 0 || np_link_list(nl, collect, ls, e) < 0)
		goto out;
	if (o->migration_netns) {
		mnl = np_nl_alloc();
		mls = calloc(1, sizeof(*mls));
		if (!mnl || !mls) {
			np_errmsg(e, -ENOMEM, "out of memory");
			goto out;
		}
		if (np_nl_open(mnl, o->migration_netns, e) < 0 || np_link_list(mnl, collect, mls, e) < 0) {
			np_err_prefix(e, e ? e->code : -EINVAL, "--migration-netns: ");
			goto out;
		}
	}
	doc = cJSON_CreateObject();
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	cJSON_AddNumberToObject(doc, "mignetInventory", 1);
	cJSON_AddStringToObject(doc, "node", o->node_name ? o->node_name : host);
	add_links(doc, ls);
	add_migration(doc, mnl ? mnl : nl, mls ? mls : ls, o->migration_iface ? o->migration_iface : "migration0");

	cJSON *cni = cJSON_AddObjectToObject(doc, "cni");
	const char *conf = o->cni_conf_dir ? o->cni_conf_dir : "/etc/cni/net.d";
	const char *bin = o->cni_bin_dir ? o->cni_bin_dir : "/opt/cni/bin";
	cJSON_AddStringToObject(cni, "confDir", conf);
	add_dir_listing(cni, "configs", conf, NULL);
	cJSON_AddStringToObject(cni, "binDir", bin);
	add_dir_listing(cni, "mignetPlugins", bin, "mignet-");

	cJSON *virt = cJSON_AddObjectToObject(doc, "virtualization");
	unsigned long lib = 0;
	char v[64];
	if (virGetVersion(&lib, NULL, NULL) == 0) {
		snprintf(v, sizeof(v), "%lu.%lu.%lu", lib / 1000000, lib / 1000 % 1000, lib % 1000);
		cJSON_AddStringToObject(virt, "libvirt", v);
	}
	qemu_version(o->qemu ? o->qemu : "qemu-system-x86_64", v, sizeof(v));
	if (v[0])
		cJSON_AddStringToObject(virt, "qemu", v);

	char path[512], val[16] = "";
	snprintf(path, sizeof(path), "%s/vm/unprivileged_userfaultfd", o->proc_sys ? o->proc_sys : "/proc/sys");
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, val, sizeof(val) - 1);
		close(fd);
		if (n > 0)
			cJSON_AddNumberToObject(doc, "unprivilegedUserfaultfd", atoi(val));
	}
	cJSON *ports = cJSON_AddObjectToObject(doc, "migrationPortsFree");
	for (int p = 49152; p <= 49153; p++) {
		struct port_check pc = { p, false };
		np_netns_run(mig_netns, check_port, &pc, NULL);
		snprintf(v, sizeof(v), "%d", p);
		cJSON_AddBoolToObject(ports, v, pc.free_);
	}
out:
	if (nl)
		np_nl_close(nl);
	if (mnl)
		np_nl_close(mnl);
	free(nl);
	free(mnl);
	free(ls);
	free(mls);
	return doc;
}
