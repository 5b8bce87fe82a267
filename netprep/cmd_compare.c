/* netprep compare: every difference between two nodes' inventories that
 * would break a migration or a reattach, each with its fix. */
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "cli.h"
#include "nad.h"

enum { CMP_OK = 0, CMP_WARNINGS = 3, CMP_BLOCKING = 4 };

struct findings {
	cJSON *list;
	int blocking, warnings;
	const char *src, *tgt;
};

static void add(struct findings *f, bool blocking, const char *what, const char *fix)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "severity", blocking ? "blocking" : "warning");
	cJSON_AddStringToObject(o, "what", what);
	cJSON_AddStringToObject(o, "fix", fix);
	cJSON_AddItemToArray(f->list, o);
	if (blocking)
		f->blocking++;
	else
		f->warnings++;
}

static const cJSON *find_named(const cJSON *arr, const char *name)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, arr) {
		const cJSON *n = cJSON_IsString(v) ? v : cJSON_GetObjectItemCaseSensitive(v, "name");
		if (cJSON_IsString(n) && !strcmp(n->valuestring, name))
			return v;
	}
	return NULL;
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void compare_bridges(const cJSON *s, const cJSON *t, struct findings *f)
{
	const cJSON *b, *tb;
	char what[512], fix[512];
	cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(s, "bridges")) {
		const char *name = str(b, "name");
		if (!name)
			continue;
		if (!(tb = find_named(cJSON_GetObjectItemCaseSensitive(t, "bridges"), name))) {
			snprintf(what, sizeof(what), "bridge %s exists on %s but not on %s: VMs attached to it cannot reattach there",
				 name, f->src, f->tgt);
			snprintf(fix, sizeof(fix), "declare bridge %s (with its uplink) in %s's node.json and run netprep setup", name, f->tgt);
			add(f, true, what, fix);
			continue;
		}
		int sm = cJSON_GetObjectItemCaseSensitive(b, "mtu")->valueint;
		int tm = cJSON_GetObjectItemCaseSensitive(tb, "mtu")->valueint;
		if (sm != tm) {
			snprintf(what, sizeof(what), "bridge %s has MTU %d on %s but %d on %s", name, sm, f->src, tm, f->tgt);
			snprintf(fix, sizeof(fix), "set \"mtu\": %d for bridge %s in %s's node.json and run netprep setup", sm, name, f->tgt);
			add(f, true, what, fix);
		}
	}
	cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(s, "vlans")) {
		const char *name = str(b, "name");
		if (name && !find_named(cJSON_GetObjectItemCaseSensitive(t, "vlans"), name)) {
			snprintf(what, sizeof(what), "VLAN interface %s (id %d) exists on %s but not on %s", name,
				 cJSON_GetObjectItemCaseSensitive(b, "id")->valueint, f->src, f->tgt);
			snprintf(fix, sizeof(fix), "declare the bridge's \"uplink\" and \"vlan\" in %s's node.json and run netprep setup", f->tgt);
			add(f, true, what, fix);
		}
	}
	cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(s, "macvlanMasters")) {
		if (cJSON_IsString(b) && !find_named(cJSON_GetObjectItemCaseSensitive(t, "links"), b->valuestring)) {
			snprintf(what, sizeof(what), "macvlan master %s exists on %s but not on %s", b->valuestring, f->src, f->tgt);
			snprintf(fix, sizeof(fix), "give %s the NIC %s (same name), or change the NAD's \"master\"", f->tgt, b->valuestring);
			add(f, true, what, fix);
		}
	}
}

static void compare_migration(const cJSON *s, const cJSON *t, struct findings *f)
{
	const cJSON *sm = cJSON_GetObjectItemCaseSensitive(s, "migration");
	const cJSON *tm = cJSON_GetObjectItemCaseSensitive(t, "migration");
	const char *iface = str(tm, "interface");
	char what[512], fix[512];
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(tm, "present"))) {
		snprintf(what, sizeof(what), "migration interface %s is missing on %s", iface ? iface : "?", f->tgt);
		snprintf(fix, sizeof(fix), "check the migration NetworkAttachmentDefinition exists in KubeVirt's namespace "
			 "and that %s's virt-handler got %s", f->tgt, iface ? iface : "migration0");
		add(f, true, what, fix);
		return;
	}
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(tm, "addresses")) == 0) {
		snprintf(what, sizeof(what), "migration interface %s on %s has no address: KubeVirt's virt-handler "
			 "crash-loops on this", iface, f->tgt);
		snprintf(fix, sizeof(fix), "check the migration network's IPAM (range exhausted? leases leaked?); "
			 "netprep address falls back to the default route meanwhile");
		add(f, true, what, fix);
	}
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(sm, "mtu"), *b = cJSON_GetObjectItemCaseSensitive(tm, "mtu");
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sm, "present")) && cJSON_IsNumber(a) && cJSON_IsNumber(b) &&
	    a->valueint != b->valueint) {
		snprintf(what, sizeof(what), "migration interface MTU differs: %d on %s, %d on %s", a->valueint, f->src,
			 b->valueint, f->tgt);
		snprintf(fix, sizeof(fix), "set the same \"mtu\" under \"migration\" in both nodes' node.json and run netprep setup");
		add(f, true, what, fix);
	}
}

static void compare_rest(const cJSON *s, const cJSON *t, struct findings *f)
{
	const cJSON *v;
	char what[512], fix[512];
	const cJSON *tcni = cJSON_GetObjectItemCaseSensitive(t, "cni");
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "cni"), "mignetPlugins")) {
		if (cJSON_IsString(v) && !find_named(cJSON_GetObjectItemCaseSensitive(tcni, "mignetPlugins"), v->valuestring)) {
			snprintf(what, sizeof(what), "CNI plugin %s is installed on %s but not on %s", v->valuestring, f->src, f->tgt);
			snprintf(fix, sizeof(fix), "install mignet on %s (make install, or the DaemonSet in examples/deploy)", f->tgt);
			add(f, true, what, fix);
		}
	}
	const cJSON *sv = cJSON_GetObjectItemCaseSensitive(s, "virtualization");
	const cJSON *tv = cJSON_GetObjectItemCaseSensitive(t, "virtualization");
	static const char *const comps[] = { "libvirt", "qemu" };
	for (int i = 0; i < 2; i++) {
		const char *a = str(sv, comps[i]), *b = str(tv, comps[i]);
		if (a && b && strcmp(a, b)) {
			snprintf(what, sizeof(what), "%s versions differ: %s on %s, %s on %s (version skew is what ends in "
				 "\"client socket is closed\")", comps[i], a, f->src, b, f->tgt);
			snprintf(fix, sizeof(fix), "upgrade %s to the same %s version, or migrate only towards the newer node "
				 "and check netprep migrate's preflight", f->src, comps[i]);
			add(f, false, what, fix);
		}
	}
	const cJSON *uf = cJSON_GetObjectItemCaseSensitive(t, "unprivilegedUserfaultfd");
	if (cJSON_IsNumber(uf) && uf->valueint == 0) {
		snprintf(what, sizeof(what), "vm.unprivileged_userfaultfd is 0 on %s: post-copy fails there for a non-root QEMU", f->tgt);
		snprintf(fix, sizeof(fix), "set \"sysctls\": {\"postCopy\": true} in %s's node.json and run netprep setup", f->tgt);
		add(f, false, what, fix);
	}
	const cJSON *ports = cJSON_GetObjectItemCaseSensitive(t, "migrationPortsFree");
	cJSON_ArrayForEach(v, ports) {
		if (cJSON_IsFalse(v)) {
			snprintf(what, sizeof(what), "port %s is in use on %s", v->string, f->tgt);
			snprintf(fix, sizeof(fix), "find what listens there (ss -ltnp) before migrating to %s", f->tgt);
			add(f, false, what, fix);
		}
	}
}

struct nad_ctx {
	const cJSON *tgt;
	struct findings *f;
};

static void check_plugin(const cJSON *p, struct nad_ctx *c)
{
	const char *type = str(p, "type");
	char what[512], fix[512];
	if (!type)
		return;
	if (!strcmp(type, "bridge") || !strcmp(type, "mignet-bridge")) {
		const char *br = str(p, "bridge");
		if (!br)
			br = "cni0";
		/* the plugin creates a missing bridge, but without its uplink it
		 * is an island: the VM would lose its network after the move */
		if (!find_named(cJSON_GetObjectItemCaseSensitive(c->tgt, "bridges"), br)) {
			snprintf(what, sizeof(what), "the NAD's network uses bridge %s, which %s does not have", br, c->f->tgt);
			snprintf(fix, sizeof(fix), "declare bridge %s with its uplink in %s's node.json and run netprep setup", br,
				 c->f->tgt);
			add(c->f, true, what, fix);
		}
	}
	if (!strcmp(type, "macvlan") || !strcmp(type, "mignet-macvlan")) {
		const char *m = str(p, "master");
		if (m && !find_named(cJSON_GetObjectItemCaseSensitive(c->tgt, "links"), m)) {
			snprintf(what, sizeof(what), "the NAD's network uses macvlan master %s, which %s does not have", m, c->f->tgt);
			snprintf(fix, sizeof(fix), "give %s the NIC %s, or change the NAD's \"master\"", c->f->tgt, m);
			add(c->f, true, what, fix);
		}
	}
	if (!strncmp(type, "mignet-", 7) &&
	    !find_named(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c->tgt, "cni"), "mignetPlugins"), type)) {
		snprintf(what, sizeof(what), "the NAD's plugin %s is not installed on %s", type, c->f->tgt);
		snprintf(fix, sizeof(fix), "install mignet on %s", c->f->tgt);
		add(c->f, true, what, fix);
	}
}

static int nad_cb(cJSON *config, void *arg)
{
	const cJSON *plugins = cJSON_GetObjectItemCaseSensitive(config, "plugins"), *p;
	if (cJSON_IsArray(plugins)) {
		cJSON_ArrayForEach(p, plugins)
			check_plugin(p, arg);
	} else {
		check_plugin(config, arg);
	}
	return 0;
}

static cJSON *load(const char *path, size_t max, char **raw, size_t *len)
{
	struct np_err e = { 0 };
	char *txt = NULL;
	if (np_file_read(AT_FDCWD, path, max, &txt, len, &e) < 0) {
		fprintf(stderr, "netprep compare: %s\n", e.msg);
		return NULL;
	}
	if (raw) {
		*raw = txt;
		return cJSON_CreateNull();
	}
	cJSON *j = cJSON_ParseWithLength(txt, *len);
	free(txt);
	if (!cJSON_IsObject(j) || !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(j, "mignetInventory"))) {
		fprintf(stderr, "netprep compare: %s is not a netprep inventory --json document\n", path);
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

int cmd_compare(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "nad", required_argument, NULL, 'n' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	const char *nad = NULL;
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': nad = optarg; break;
		case 'j': json = true; break;
		case 'h':
			printf("usage: netprep compare SOURCE.json TARGET.json [--nad NAD.yaml|json] [--json]\n\n"
			       "Lists every difference between two nodes' `netprep inventory --json` that would\n"
			       "break a migration from SOURCE to TARGET or a reattach there, each with its fix;\n"
			       "--nad also checks what the NetworkAttachmentDefinition(s) in the file need.\n\n"
			       "exit: 0 nothing in the way, 3 warnings only, 4 blocking differences,\n"
			       "      1 the files could not be read, 2 usage\n");
			return NP_EXIT_OK;
		default: return NP_EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "netprep compare: needs SOURCE.json and TARGET.json\n");
		return NP_EXIT_USAGE;
	}
	size_t len;
	cJSON *s = load(argv[optind], 4 << 20, NULL, &len), *t = load(argv[optind + 1], 4 << 20, NULL, &len);
	if (!s || !t) {
		cJSON_Delete(s);
		cJSON_Delete(t);
		return NP_EXIT_FAIL;
	}
	struct findings f = { .list = cJSON_CreateArray(), .src = str(s, "node"), .tgt = str(t, "node") };
	if (!f.src)
		f.src = "source";
	if (!f.tgt)
		f.tgt = "target";
	compare_bridges(s, t, &f);
	compare_migration(s, t, &f);
	compare_rest(s, t, &f);
	int rc = 0;
	if (nad) {
		char *raw = NULL;
		cJSON *dummy = load(nad, NAD_MAX, &raw, &len);
		struct np_err e = { 0 };
		struct nad_ctx nc = { t, &f };
		rc = dummy ? nad_each(raw, len, nad_cb, &nc, &e) : -1;
		if (rc == 0)
			fprintf(stderr, "netprep compare: %s holds no NetworkAttachmentDefinition\n", nad);
		else if (rc < 0 && dummy)
			fprintf(stderr, "netprep compare: %s: %s\n", nad, e.msg);
		free(raw);
		cJSON_Delete(dummy);
	}
	int ex = rc < 0 || (nad && rc == 0) ? NP_EXIT_FAIL : f.blocking ? CMP_BLOCKING : f.warnings ? CMP_WARNINGS : CMP_OK;
	if (json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "source", f.src);
		cJSON_AddStringToObject(o, "target", f.tgt);
		cJSON_AddNumberToObject(o, "blocking", f.blocking);
		cJSON_AddNumberToObject(o, "warnings", f.warnings);
		cJSON_AddItemToObject(o, "findings", f.list);
		char *txt = cJSON_Print(o);
		printf("%s\n", txt);
		cJSON_free(txt);
		cJSON_Delete(o);
	} else {
		const cJSON *v;
		cJSON_ArrayForEach(v, f.list)
			printf("%s: %s\n    fix: %s\n", !strcmp(str(v, "severity"), "blocking") ? "BLOCKING" : "warning",
			       str(v, "what"), str(v, "fix"));
		printf("%s -> %s: %d blocking, %d warning(s)\n", f.src, f.tgt, f.blocking, f.warnings);
		cJSON_Delete(f.list);
	}
	cJSON_Delete(s);
	cJSON_Delete(t);
	return ex;
}
