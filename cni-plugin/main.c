/* mignet-cni: one binary installed as mignet-macvlan, mignet-bridge,
 * mignet-sriov and mignet-ipam; the kind comes from the config's "type".
 * stdout carries only the result or the error object. */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic_file.h"
#include "attach.h"
#include "ipam.h"
#include "ipam_local.h"
#include "kind.h"
#include "readbuf.h"
#include "skel.h"
#include "vifhook.h"

static const struct cni_kind *const kinds[] = { &kind_macvlan, &kind_bridge, &kind_sriov, &kind_ipam };

static const char *env_get(const char *k)
{
	return getenv(k);
}

static char *read_all(int fd, size_t *len)
{
	struct np_readbuf b;
	np_readbuf_init(&b, CNI_STDIN_MAX);
	if (np_readbuf_read_all(&b, fd) < 0) {
		np_readbuf_free(&b);
		return NULL;
	}
	return np_readbuf_take(&b, len);
}

static void print_json(cJSON *o)
{
	char *s = cJSON_Print(o);
	if (s)
		printf("%s\n", s);
	cJSON_free(s);
}

static int cmd_version(const char *in, size_t len)
{
	cJSON *conf = len ? cJSON_ParseWithLength(in, len) : NULL;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(conf, "cniVersion");
	/* The spec echoes the request's version; Go's skel does not (README). */
	const char *echo = cJSON_IsString(v) && cni_version_index(v->valuestring) >= 0 ?
				   v->valuestring : "1.1.0";
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "cniVersion", echo);
	cJSON *arr = cJSON_AddArrayToObject(o, "supportedVersions");
	for (size_t i = 0; i < cni_n_supported_versions; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(cni_supported_versions[i]));
	print_json(o);
	cJSON_Delete(o);
	cJSON_Delete(conf);
	return 0;
}

static const struct cni_kind *pick_kind(const struct cni_conf *c)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++)
		if (!strcmp(c->type, kinds[i]->type))
			return kinds[i];
	/* Executed by another main plugin as its IPAM. */
	if (c->ipam_type && !strcmp(c->ipam_type, MIGNET_IPAM_TYPE))
		return &kind_ipam;
	return NULL;
}

/* The built-in IPAM's keys, checked before ADD or CHECK touches anything
 * (IPAM itself runs only after the link exists). */
static int check_ipam_conf(const struct cni_conf *conf, const struct cni_kind *kind,
			   struct cni_error *ce)
{
	if (!conf->ipam_type || strcmp(conf->ipam_type, MIGNET_IPAM_TYPE) || kind == &kind_ipam)
		return 0;
	struct ipam_local_conf *lc = calloc(1, sizeof(*lc));
	int rc = lc ? ipam_local_parse(conf->ipam, lc, ce) : cni_fail(ce, CNI_ERR_INTERNAL, "out of memory");
	free(lc);
	return rc < 0 ? -1 : 0;
}

static int run(const struct cni_env *env, struct cni_conf *conf, const char *in,
	       struct cni_error *ce)
{
	const struct cni_kind *kind = pick_kind(conf);
	char q[NP_QUOTE_MAX];
	if (!kind)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG,
				"config \"type\" \"%s\" is not a mignet plugin (mignet-macvlan, mignet-bridge, mignet-sriov, mignet-ipam)",
				np_quote(conf->type, q, sizeof(q)));
	struct cni_ctx ctx = { .env = env, .conf = conf, .stdin_json = in };
	ctx.kind_conf = calloc(1, kind->conf_size);
	if (!ctx.kind_conf)
		return cni_fail(ce, CNI_ERR_INTERNAL, "out of memory");
	int rc = -1;
	/* DEL must work even when the config can no longer be fully parsed
	 * against the host (e.g. master gone): kinds parse without touching
	 * the system. */
	if (kind->parse(&ctx, ce) < 0)
		goto out;
	if ((env->cmd == CNI_ADD || env->cmd == CNI_CHECK) && check_ipam_conf(conf, kind, ce) < 0)
		goto out;
	struct cni_result res, prev;
	cni_result_init(&res);
	cni_result_init(&prev);
	switch (env->cmd) {
	case CNI_ADD:
		rc = vifhook_reattach(conf, env, ce);
		if (rc == 0)
			rc = kind->create ? attach_add(kind, &ctx, &res, ce) : kind->add(&ctx, &res, ce);
		if (rc == 0 && vifhook_record(conf, env, &res, ce) < 0) {
			/* the record is part of the ADD: undo the attachment */
			struct cni_error ignore = { 0 };
			kind->del(&ctx, &ignore);
			rc = -1;
		}
		if (rc == 0) {
			cJSON *o = cni_result_json(&res, conf->version);
			print_json(o);
			cJSON_Delete(o);
		}
		break;
	case CNI_DEL: {
		/* each part runs whatever the other did: DEL finishes what it can */
		struct cni_error rec_err = { 0 };
		rc = kind->del(&ctx, ce);
		if (vifhook_forget(conf, env, &rec_err) < 0 && rc == 0) {
			*ce = rec_err;
			rc = -1;
		}
		break;
	}
	case CNI_CHECK:
		if (!conf->prev_result) {
			rc = cni_fail(ce, CNI_ERR_INVALID_CONFIG, "CHECK needs \"prevResult\" in the config");
			break;
		}
		rc = cni_result_parse(conf->prev_result, &prev, ce);
		if (rc == 0 && conf->ipam_type && kind != &kind_ipam)
			rc = cni_ipam_check(conf, env, in, ce);
		if (rc == 0)
			rc = kind->check(&ctx, &prev, ce);
		break;
	case CNI_STATUS:
		rc = kind->status(&ctx, ce);
		if (rc == 0 && conf->ipam_type && kind != &kind_ipam && cni_ipam_status(conf, env, in, ce) < 0) {
			ce->code = CNI_ERR_NOT_AVAILABLE; /* STATUS knows no other code */
			rc = -1;
		}
		break;
	case CNI_GC:
		/* mignet-ipam as the main plugin has its leases too */
		rc = conf->ipam_type || kind == &kind_ipam ? cni_ipam_gc(conf, env, in, ce) : 0;
		if (rc == 0)
			rc = vifhook_gc(conf, ce);
		break;
	case CNI_VERSION:
		rc = 0;
		break;
	}
	cni_result_free(&res);
	cni_result_free(&prev);
out:
	free(ctx.kind_conf);
	return rc;
}

/* One line per command: to the configured logFile (appended, never through
 * a symlink) or to stderr. stdout is reserved for the result. */
static void log_line(const struct cni_conf *conf, const struct cni_env *env,
		     const char *cmd, const struct cni_error *ce)
{
	FILE *f = stderr;
	int fd = -1;
	if (conf && conf->log_file) {
		struct stat st;
		fd = np_open_state(AT_FDCWD, conf->log_file, O_WRONLY | O_APPEND | O_CREAT, 0600, &st, NULL);
		/* a hard link planted as the log would have us append to its twin */
		if (fd >= 0 && st.st_nlink != 1) {
			close(fd);
			fd = -1;
		}
		if (fd >= 0)
			f = fdopen(fd, "a");
		if (!f) {
			f = stderr;
			if (fd >= 0)
				close(fd);
			fd = -1;
		}
	}
	char ts[32];
	time_t now = time(NULL);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	/* the values may be the very ones that were refused: quote them, so a
	 * newline in CNI_CONTAINERID cannot write a line of its own */
	char qcmd[NP_QUOTE_MAX], qid[NP_QUOTE_MAX], qif[NP_QUOTE_MAX], msg[NP_ERR_MAX];
	snprintf(msg, sizeof(msg), "%s", ce && ce->code ? ce->msg : "ok");
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	fprintf(f, "%s mignet-cni %s %s/%s: %s\n", ts, np_quote(cmd, qcmd, sizeof(qcmd)),
		env && env->container_id ? np_quote(env->container_id, qid, sizeof(qid)) : "-",
		env && env->ifname ? np_quote(env->ifname, qif, sizeof(qif)) : "-",
		msg);
	if (f != stderr)
		fclose(f);
}

/* mignet-cni --check-config: parse a config from stdin as ADD would (all
 * keys of its kind) without touching the system; for operators checking a
 * NetworkAttachmentDefinition before applying it. */
static int check_config(void)
{
	size_t len = 0;
	char *in = read_all(STDIN_FILENO, &len);
	struct cni_env env = { .cmd = CNI_ADD, .command = "ADD" };
	struct cni_conf conf = { 0 };
	struct cni_error ce = { 0 };
	int rc = -1;
	if (!in)
		cni_fail(&ce, CNI_ERR_IO, "cannot read the config from stdin");
	else if (cni_conf_parse(in, len, &env, &conf, &ce) == 0) {
		const struct cni_kind *kind = pick_kind(&conf);
		struct cni_ctx ctx = { .env = &env, .conf = &conf, .stdin_json = in };
		char q[NP_QUOTE_MAX];
		if (!kind)
			cni_fail(&ce, CNI_ERR_INVALID_CONFIG, "config \"type\" \"%s\" is not a mignet plugin",
				 np_quote(conf.type, q, sizeof(q)));
		else if ((ctx.kind_conf = calloc(1, kind->conf_size)) && kind->parse(&ctx, &ce) == 0)
			rc = 0;
		free(ctx.kind_conf);
		if (rc == 0 && check_ipam_conf(&conf, kind, &ce) < 0)
			rc = -1;
	}
	if (rc == 0)
		printf("ok: %s (%s, cniVersion %s)\n", conf.name, conf.type, conf.version);
	else
		cni_print_error(conf.version, &ce);
	cni_conf_free(&conf);
	free(in);
	return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--check-config"))
		return check_config();
	struct cni_env env = { 0 };
	struct cni_error ce = { 0 };
	const char *cmd = getenv("CNI_COMMAND");
	if (!cmd || !*cmd) {
		fprintf(stderr, "mignet CNI plugin (macvlan, bridge, sriov, ipam)\n"
				"CNI protocol versions supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0\n");
		return 0;
	}
	size_t len = 0;
	char *in = NULL;
	if (strcmp(cmd, "VERSION") || !isatty(STDIN_FILENO))
		in = read_all(STDIN_FILENO, &len);
	if (!strcmp(cmd, "VERSION")) {
		int rc = cmd_version(in ? in : "", len);
		free(in);
		return rc;
	}
	struct cni_conf conf = { 0 };
	int rc = -1;
	if (!in)
		cni_fail(&ce, CNI_ERR_IO, "cannot read the network config from stdin (or it is above %d bytes)",
			 CNI_STDIN_MAX);
	else if (cni_env_load(&env, env_get, &ce) == 0 &&
		 cni_conf_parse(in, len, &env, &conf, &ce) == 0 &&
		 cni_env_check_netns(&env, &ce) == 0)
		rc = run(&env, &conf, in, &ce);
	if (rc < 0)
		cni_print_error(conf.version, &ce);
	if (rc < 0 || conf.log_file)
		log_line(conf.root ? &conf : NULL, &env, cmd, rc < 0 ? &ce : NULL);
	if (conf.warning[0]) {
		struct cni_error note = { .code = 1 };
		snprintf(note.msg, sizeof(note.msg), "warning: %s", conf.warning);
		log_line(conf.root ? &conf : NULL, &env, cmd, &note);
	}
	cni_conf_free(&conf);
	free(in);
	return rc < 0 ? 1 : 0;
}
