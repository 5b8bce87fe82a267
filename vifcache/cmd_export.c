#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
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

int cmd_export(int argc, char **argv)
{
	struct vc_opts o;
	int ex;
	if (vc_cli_parse("export", "export NS/VM [-o FILE] [--root DIR]\n\n"
			 "Writes the VM's records as one JSON document, to import on the target node.",
			 O_ROOT | O_OUTPUT, 2, false, argc, argv, &o, &ex) < 0)
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
	cJSON *doc = vc_export_doc(o.ns, o.vm, g.records);
	char *txt = cJSON_Print(doc);
	cJSON_Delete(doc);
	rc = 0;
	if (!o.output || !strcmp(o.output, "-")) {
		printf("%s\n", txt);
	} else {
		int fd = open(o.output, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
		size_t len = strlen(txt);
		if (fd < 0 || write(fd, txt, len) != (ssize_t)len || fsync(fd) < 0) {
			fprintf(stderr, "vifcache export: cannot write %s: %s\n", o.output, strerror(errno));
			rc = -1;
		}
		if (fd >= 0)
			close(fd);
	}
	cJSON_free(txt);
	return rc < 0 ? VC_EXIT_FAIL : VC_EXIT_OK;
}

int cmd_import(int argc, char **argv)
{
	struct vc_opts o;
	int ex;
	if (vc_cli_parse("import", "import FILE|- [--force] [--root DIR] [--kubevirt]\n\n"
			 "Stores the records of an export document. A record that exists with a\n"
			 "different MAC, IPs or routes is a conflict (exit 5) unless --force; then\n"
			 "nothing is written. Records are marked pending for the target's ADD.",
			 O_ROOT | O_FORCE | O_KUBEVIRT | O_KV_OWNER, 0, false, argc, argv, &o, &ex) < 0)
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
	int conflicts = 0;
	for (int i = 0; i < n; i++) {
		struct vc_record old;
		if (vc_store_read(&s, recs[i].ns, recs[i].vm, recs[i].pod_iface, &old, NULL) == 0 &&
		    !vc_record_same_network_state(&old, &recs[i])) {
			fprintf(stderr, "vifcache import: %s/%s/%s exists with a different MAC/IPs/routes%s\n",
				recs[i].ns, recs[i].vm, recs[i].pod_iface, o.force ? " (overwriting: --force)" : "");
			conflicts++;
		}
	}
	int rc = 0;
	if (conflicts && !o.force) {
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
		if (rc == 0)
			printf("imported %d record(s) for %s/%s\n", n, recs[0].ns, recs[0].vm);
	}
	vc_store_close(&s);
	free(recs);
	return rc;
}
