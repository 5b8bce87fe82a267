/* netprep compare: every difference between two nodes' inventories that
 * would break a migration or a reattach, each with its fix. The
 * inventories come from other nodes: inv_doc_parse checks them first, and
 * every name printed from them (or from the NAD) goes through np_quote. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "netprep_cli.h"
#include "inventory_doc.h"
#include "nad.h"

enum { CMP_OK = 0, CMP_WARNINGS = 3, CMP_BLOCKING = 4 };

/* a valid node name (253 bytes) comes through np_quote whole */
#define NODE_SHOWN 260
/* room for two node names, two quoted names and the sentence */
#define MSG_LEN 1024

struct findings {
	cJSON *list;
	int blocking, warnings;
	char src[NODE_SHOWN], tgt[NODE_SHOWN];
};

/* A name from an inventory or a NAD as compare prints it. */
static const char *q(const char *s, char buf[static NP_QUOTE_MAX])
{
	return np_quote(s, buf, NP_QUOTE_MAX);
}

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
	char what[MSG_LEN], fix[MSG_LEN], n[NP_QUOTE_MAX];
	cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(s, "bridges")) {
		const char *name = str(b, "name");
		if (!name)
			continue;
		q(name, n);
		if (!(tb = find_named(cJSON_GetObjectItemCaseSensitive(t, "bridges"), name))) {
			snprintf(what, sizeof(what), "bridge %s exists on %s but not on %s: VMs attached to it cannot reattach there",
				 n, f->src, f->tgt);
			snprintf(fix, sizeof(fix), "declare bridge %s (with its uplink) in %s's node.json and run netprep setup", n, f->tgt);
			add(f, true, what, fix);
			continue;
		}
		int sm = cJSON_GetObjectItemCaseSensitive(b, "mtu")->valueint;
		int tm = cJSON_GetObjectItemCaseSensitive(tb, "mtu")->valueint;
		if (sm != tm) {
			snprintf(what, sizeof(what), "bridge %s has MTU %d on %s but %d on %s", n, sm, f->src, tm, f->tgt);
			snprintf(fix, sizeof(fix), "set \"mtu\": %d for bridge %s in %s's node.json and run netprep setup", sm, n, f->tgt);
			add(f, true, what, fix);
		}
	}
	cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(s, "vlans")) {
		const char *name = str(b, "name");
		if (name && !find_named(cJSON_GetObjectItemCaseSensitive(t, "vlans"), name)) {
			snprintf(what, sizeof(what), "VLAN interface %s (id %d) exists on %s but not on %s", q(name, n),
				 cJSON_GetObjectItemCaseSensitive(b, "id")->valueint, f->src, f->tgt);
			snprintf(fix, sizeof(fix), "declare the bridge's \"uplink\" and \"vlan\" in %s's node.json and run netprep setup", f->tgt);
			add(f, true, what, fix);
		}
	}
	cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(s, "macvlanMasters")) {
		if (cJSON_IsString(b) && !find_named(cJSON_GetObjectItemCaseSensitive(t, "links"), b->valuestring)) {
			q(b->valuestring, n);
			snprintf(what, sizeof(what), "macvlan master %s exists on %s but not on %s", n, f->src, f->tgt);
			snprintf(fix, sizeof(fix), "give %s the NIC %s (same name), or change the NAD's \"master\"", f->tgt, n);
			add(f, true, what, fix);
		}
	}
}

static void compare_migration(const cJSON *s, const cJSON *t, struct findings *f)
{
	const cJSON *sm = cJSON_GetObjectItemCaseSensitive(s, "migration");
	const cJSON *tm = cJSON_GetObjectItemCaseSensitive(t, "migration");
	char what[MSG_LEN], fix[MSG_LEN], iface[NP_QUOTE_MAX];
	q(str(tm, "interface"), iface);
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(tm, "present"))) {
		snprintf(what, sizeof(what), "migration interface %s is missing on %s", iface, f->tgt);
		snprintf(fix, sizeof(fix), "check the migration NetworkAttachmentDefinition exists in KubeVirt's namespace "
			 "and that %s's virt-handler got %s", f->tgt, iface);
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
	char what[MSG_LEN], fix[MSG_LEN], n[NP_QUOTE_MAX], m[NP_QUOTE_MAX];
	const cJSON *tcni = cJSON_GetObjectItemCaseSensitive(t, "cni");
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "cni"), "mignetPlugins")) {
		if (cJSON_IsString(v) && !find_named(cJSON_GetObjectItemCaseSensitive(tcni, "mignetPlugins"), v->valuestring)) {
			snprintf(what, sizeof(what), "CNI plugin %s is installed on %s but not on %s", q(v->valuestring, n),
				 f->src, f->tgt);
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
				 "\"client socket is closed\")", comps[i], q(a, n), f->src, q(b, m), f->tgt);
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
			snprintf(what, sizeof(what), "port %s is in use on %s", q(v->string, n), f->tgt);
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
	char what[MSG_LEN], fix[MSG_LEN], n[NP_QUOTE_MAX];
	if (!type)
		return;
	if (!strcmp(type, "bridge") || !strcmp(type, "mignet-bridge")) {
		const char *br = str(p, "bridge");
		if (!br)
			br = "cni0";
		/* the plugin creates a missing bridge, but without its uplink it
		 * is an island: the VM would lose its network after the move */
		if (!find_named(cJSON_GetObjectItemCaseSensitive(c->tgt, "bridges"), br)) {
			q(br, n);
			snprintf(what, sizeof(what), "the NAD's network uses bridge %s, which %s does not have", n, c->f->tgt);
			snprintf(fix, sizeof(fix), "declare bridge %s with its uplink in %s's node.json and run netprep setup", n,
				 c->f->tgt);
			add(c->f, true, what, fix);
		}
	}
	if (!strcmp(type, "macvlan") || !strcmp(type, "mignet-macvlan")) {
		const char *m = str(p, "master");
		if (m && !find_named(cJSON_GetObjectItemCaseSensitive(c->tgt, "links"), m)) {
			q(m, n);
			snprintf(what, sizeof(what), "the NAD's network uses macvlan master %s, which %s does not have", n, c->f->tgt);
			snprintf(fix, sizeof(fix), "give %s the NIC %s, or change the NAD's \"master\"", c->f->tgt, n);
			add(c->f, true, what, fix);
		}
	}
	if (!strncmp(type, "mignet-", 7) &&
	    !find_named(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c->tgt, "cni"), "mignetPlugins"), type)) {
		snprintf(what, sizeof(what), "the NAD's plugin %s is not installed on %s", q(type, n), c->f->tgt);
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

/* Returns the exit code for path: 1 when it cannot be read, 2 when it is
 * too big or not a valid inventory (the message names field and value). */
static int load_inventory(const char *path, cJSON **out)
{
	struct np_err e = { 0 };
	char *txt = NULL;
	size_t len;
	*out = NULL;
	int rc = np_file_read(AT_FDCWD, path, INV_DOC_MAX, &txt, &len, &e);
	if (rc < 0) {
		fprintf(stderr, "netprep compare: %s\n", e.msg);
		return rc == -EFBIG ? NP_EXIT_USAGE : NP_EXIT_FAIL;
	}
	*out = inv_doc_parse(txt, len, path, &e);
	free(txt);
	if (!*out) {
		fprintf(stderr, "netprep compare: %s\n", e.msg);
		return NP_EXIT_USAGE;
	}
	return NP_EXIT_OK;
}

/* The NADs' needs on the target; returns how many NADs the file holds, or
 * -1 after saying why it could not be read. */
static int check_nads(const char *path, struct nad_ctx *nc)
{
	struct np_err e = { 0 };
	char *raw = NULL;
	size_t len;
	if (np_file_read(AT_FDCWD, path, NAD_MAX, &raw, &len, &e) < 0) {
		fprintf(stderr, "netprep compare: %s\n", e.msg);
		return -1;
	}
	int rc = nad_each(raw, len, nad_cb, nc, &e);
	if (rc == 0)
		fprintf(stderr, "netprep compare: %s holds no NetworkAttachmentDefinition\n", path);
	else if (rc < 0)
		fprintf(stderr, "netprep compare: %s: %s\n", path, e.msg);
	free(raw);
	return rc;
}

static void print_text(const struct findings *f)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, f->list)
		printf("%s: %s\n    fix: %s\n", !strcmp(str(v, "severity"), "blocking") ? "BLOCKING" : "warning",
		       str(v, "what"), str(v, "fix"));
	printf("%s -> %s: %d blocking, %d warning(s)\n", f->src, f->tgt, f->blocking, f->warnings);
}

static void print_json(const struct findings *f)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "source", f->src);
	cJSON_AddStringToObject(o, "target", f->tgt);
	cJSON_AddNumberToObject(o, "blocking", f->blocking);
	cJSON_AddNumberToObject(o, "warnings", f->warnings);
	cJSON_AddItemReferenceToObject(o, "findings", f->list);
	char *txt = cJSON_Print(o);
	printf("%s\n", txt);
	cJSON_free(txt);
	cJSON_Delete(o);
}

/* "" when the producer had no hostname */
static void node_label(const cJSON *doc, const char *fallback, char *out)
{
	const char *n = str(doc, "node");
	np_quote(n && *n ? n : fallback, out, NODE_SHOWN);
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
			       "      1 a file could not be read, 2 usage or an invalid inventory (the message\n"
			       "      names the field and the value)\n");
			return NP_EXIT_OK;
		default: return NP_EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "netprep compare: needs SOURCE.json and TARGET.json\n");
		return NP_EXIT_USAGE;
	}
	cJSON *s, *t;
	int ex = load_inventory(argv[optind], &s), ext = load_inventory(argv[optind + 1], &t);
	if (ex || ext) {
		cJSON_Delete(s);
		cJSON_Delete(t);
		return ex ? ex : ext;
	}
	struct findings f = { .list = cJSON_CreateArray() };
	node_label(s, "source", f.src);
	node_label(t, "target", f.tgt);
	compare_bridges(s, t, &f);
	compare_migration(s, t, &f);
	compare_rest(s, t, &f);
	struct nad_ctx nc = { t, &f };
	int nads = nad ? check_nads(nad, &nc) : 1;
	ex = nads <= 0 ? NP_EXIT_FAIL : f.blocking ? CMP_BLOCKING : f.warnings ? CMP_WARNINGS : CMP_OK;
	if (json)
		print_json(&f);
	else
		print_text(&f);
	cJSON_Delete(f.list);
	cJSON_Delete(s);
	cJSON_Delete(t);
	return ex;
}
