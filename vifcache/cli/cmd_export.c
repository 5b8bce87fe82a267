#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomic_file.h"
#include "vifcache_cli.h"
#include "exportdoc.h"

struct gather {
	cJSON *records;
	int damaged;
};

static int gather_cb(const struct vc_entry *en, void *arg)
{
	struct gather *g = arg;
	if (!en->r) {
		fprintf(stderr, "vifcache export: skipping damaged %s/%s/%s: %s\n", en->ns, en->vm,
			en->pod_iface, en->err->msg);
		g->damaged++;
		return 0;
	}
	cJSON_AddItemToArray(g->records, vc_record_to_json(en->r));
	return 0;
}

/* The export may be copied off the node as soon as it exists: it is
 * written whole or not at all, and a symlink in its place is replaced,
 * never followed. */
static int write_export(const char *path, const char *txt, struct np_err *e)
{
	char *d = strdup(path), *b = strdup(path);
	int rc = -ENOMEM;
	if (!d || !b) {
		np_errmsg(e, rc, "cannot write %s: out of memory", path);
		goto out;
	}
	const char *dir = dirname(d), *base = basename(b);
	if (!strcmp(base, "/") || !strcmp(base, ".") || !strcmp(base, "..")) {
		rc = np_errmsg(e, -EINVAL, "-o \"%s\" names a directory, not a file", path);
		goto out;
	}
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		rc = np_errf(e, -errno, "cannot open the directory of %s", path);
		goto out;
	}
	rc = np_atomic_write(dirfd, base, txt, strlen(txt), 0600, NP_ATOMIC_DURABLE, e);
	close(dirfd);
out:
	free(d);
	free(b);
	return rc;
}

int cmd_export(int argc, char **argv)
{
	struct vc_opts o;
	int ex;
	if (vc_cli_parse("export", "export NS/VM [-o FILE] [--root DIR] [--json]\n\n"
			 "Writes the VM's records as one JSON document, to import on the target node.\n"
			 "With -o the file is replaced atomically, and --json reports what was written.",
			 O_ROOT | O_OUTPUT | O_JSON, 2, false, argc, argv, &o, &ex) < 0)
		return ex;
	struct vc_store s;
	if (vc_cli_open_store(&o, &s, false) < 0)
		return VC_EXIT_FAIL;
	struct gather g = { .records = cJSON_CreateArray() };
	struct np_err e = { 0 };
	int rc = vc_store_walk(&s, o.ns, o.vm, gather_cb, &g, &e);
	vc_store_close(&s);
	if (rc < 0 || cJSON_GetArraySize(g.records) == 0) {
		fprintf(stderr, "vifcache export: %s\n", rc < 0 ? e.msg : "the VM has no readable record");
		cJSON_Delete(g.records);
		return rc < 0 ? VC_EXIT_FAIL : VC_EXIT_MISSING;
	}
	int n = cJSON_GetArraySize(g.records);
	cJSON *doc = vc_export_doc(o.ns, o.vm, g.records);
	char *txt = cJSON_Print(doc);
	cJSON_Delete(doc);
	if (!o.output || !strcmp(o.output, "-")) {
		printf("%s\n", txt); /* the document is the JSON output */
		cJSON_free(txt);
		return VC_EXIT_OK;
	}
	rc = write_export(o.output, txt, &e);
	cJSON_free(txt);
	if (rc < 0) {
		fprintf(stderr, "vifcache export: %s\n", e.msg);
		return VC_EXIT_FAIL;
	}
	if (o.json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "namespace", o.ns);
		cJSON_AddStringToObject(j, "vm", o.vm);
		cJSON_AddNumberToObject(j, "records", n);
		cJSON_AddNumberToObject(j, "skippedDamaged", g.damaged);
		cJSON_AddStringToObject(j, "output", o.output);
		vc_cli_print_json(j);
		cJSON_Delete(j);
	} else {
		printf("exported %d record(s) of %s/%s to %s\n", n, o.ns, o.vm, o.output);
	}
	return VC_EXIT_OK;
}

static void report_import(const struct vc_opts *o, const struct vc_record *recs, int n,
			  cJSON *conflicts, bool written)
{
	if (!o->json) {
		cJSON_Delete(conflicts);
		if (written)
			printf("imported %d record(s) for %s/%s\n", n, recs[0].ns, recs[0].vm);
		return;
	}
	cJSON *j = cJSON_CreateObject(), *imported = cJSON_CreateArray();
	for (int i = 0; written && i < n; i++) {
		char key[600];
		snprintf(key, sizeof(key), "%s/%s/%s", recs[i].ns, recs[i].vm, recs[i].pod_iface);
		cJSON_AddItemToArray(imported, cJSON_CreateString(key));
	}
	cJSON_AddItemToObject(j, "imported", imported);
	cJSON_AddItemToObject(j, "conflicts", conflicts);
	cJSON_AddBoolToObject(j, "forced", o->force);
	vc_cli_print_json(j);
	cJSON_Delete(j);
}

int cmd_import(int argc, char **argv)
{
	struct vc_opts o;
	int ex;
	if (vc_cli_parse("import", "import FILE|- [--force] [--root DIR] [--kubevirt] [--json]\n\n"
			 "Stores the records of an export document. A record that exists with a\n"
			 "different MAC, IPs or routes is a conflict (exit 5) unless --force; then\n"
			 "nothing is written. Records are marked pending for the target's ADD.",
			 O_ROOT | O_FORCE | O_KUBEVIRT | O_KV_OWNER | O_JSON, 0, false, argc, argv, &o, &ex) < 0)
		return ex;
	if (!o.arg) {
		fprintf(stderr, "vifcache import: missing FILE (or - for stdin)\n");
		return VC_EXIT_USAGE;
	}
	struct np_err e = { 0 };
	size_t len;
	char *txt = vc_cli_read_input(o.arg, VC_EXPORT_MAX, &len, &e);
	if (!txt) {
		fprintf(stderr, "vifcache import: %s\n", e.msg);
		return VC_EXIT_FAIL;
	}
	struct vc_record *recs = NULL;
	int n = vc_export_parse(txt, len, &recs, &e);
	free(txt);
	if (n < 0) {
		fprintf(stderr, "vifcache import: %s: %s\n", o.arg, e.msg);
		return VC_EXIT_FAIL;
	}
	struct vc_store s;
	if (vc_cli_open_store(&o, &s, true) < 0) {
		free(recs);
		return VC_EXIT_FAIL;
	}
	/* all conflicts are found before anything is written */
	cJSON *conflicts = cJSON_CreateArray();
	for (int i = 0; i < n; i++) {
		struct vc_record old;
		if (vc_store_read(&s, recs[i].ns, recs[i].vm, recs[i].pod_iface, &old, NULL) == 0 &&
		    !vc_record_same_network_state(&old, &recs[i])) {
			fprintf(stderr, "vifcache import: %s/%s/%s exists with a different MAC/IPs/routes%s\n",
				recs[i].ns, recs[i].vm, recs[i].pod_iface, o.force ? " (overwriting: --force)" : "");
			char key[600];
			snprintf(key, sizeof(key), "%s/%s/%s", recs[i].ns, recs[i].vm, recs[i].pod_iface);
			cJSON_AddItemToArray(conflicts, cJSON_CreateString(key));
		}
	}
	int rc = 0;
	if (cJSON_GetArraySize(conflicts) && !o.force) {
		rc = VC_EXIT_CONFLICT;
	} else {
		long long now = (long long)time(NULL);
		for (int i = 0; i < n && rc == 0; i++) {
			/* the target has not attached yet; the source's owner is not ours */
			recs[i].state = VC_PENDING;
			memset(&recs[i].owner, 0, sizeof(recs[i].owner));
			recs[i].updated = now;
			if (vc_store_write(&s, &recs[i], &e) < 0 ||
			    ((o.kubevirt || recs[i].binding == VC_BRIDGE) && vc_store_write_kubevirt(&s, &recs[i], &e) < 0)) {
				fprintf(stderr, "vifcache import: %s\n", e.msg);
				rc = VC_EXIT_FAIL;
			}
		}
	}
	vc_store_close(&s);
	if (rc != VC_EXIT_FAIL)
		report_import(&o, recs, n, conflicts, rc == 0);
	else
		cJSON_Delete(conflicts);
	free(recs);
	return rc;
}
