#include "skel.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "names.h"
#include "netns.h"

const char *const cni_supported_versions[] = { "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0" };
const size_t cni_n_supported_versions =
	sizeof(cni_supported_versions) / sizeof(*cni_supported_versions);

int cni_fail(struct cni_error *ce, int code, const char *fmt, ...)
{
	if (ce->code)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ce->msg, sizeof(ce->msg), fmt, ap);
	va_end(ap);
	ce->code = code;
	return -1;
}

int cni_fail_np(struct cni_error *ce, int code, const struct np_err *e)
{
	return cni_fail(ce, code, "%s", e->msg[0] ? e->msg : "unknown failure");
}

static const struct {
	const char *name;
	enum cni_cmd cmd;
	/* which of CONTAINERID, NETNS, IFNAME the spec requires */
	bool need_id, need_netns, need_ifname;
} commands[] = {
	{ "ADD", CNI_ADD, true, true, true },
	{ "DEL", CNI_DEL, true, false, true },
	{ "CHECK", CNI_CHECK, true, true, true },
	{ "STATUS", CNI_STATUS, false, false, false },
	{ "GC", CNI_GC, false, false, false },
	{ "VERSION", CNI_VERSION, false, false, false },
};

static const char *nonempty(const char *(*getenv_fn)(const char *), const char *k)
{
	const char *v = getenv_fn(k);
	return v && *v ? v : NULL;
}

int cni_env_load(struct cni_env *env, const char *(*getenv_fn)(const char *),
		 struct cni_error *ce)
{
	memset(env, 0, sizeof(*env));
	env->command = nonempty(getenv_fn, "CNI_COMMAND");
	if (!env->command)
		return cni_fail(ce, CNI_ERR_INVALID_ENV, "required env variables [CNI_COMMAND] missing");
	size_t i;
	for (i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		if (!strcmp(env->command, commands[i].name))
			break;
	if (i == sizeof(commands) / sizeof(*commands)) {
		char q[NP_QUOTE_MAX];
		return cni_fail(ce, CNI_ERR_INVALID_ENV,
				"CNI_COMMAND \"%s\" is unknown: expected ADD, DEL, CHECK, STATUS, GC or VERSION",
				np_quote(env->command, q, sizeof(q)));
	}
	env->cmd = commands[i].cmd;
	env->container_id = nonempty(getenv_fn, "CNI_CONTAINERID");
	env->netns = nonempty(getenv_fn, "CNI_NETNS");
	env->ifname = nonempty(getenv_fn, "CNI_IFNAME");
	env->args = nonempty(getenv_fn, "CNI_ARGS");
	env->path = nonempty(getenv_fn, "CNI_PATH");

	char missing[96] = "";
	if (commands[i].need_id && !env->container_id)
		strcat(missing, " CNI_CONTAINERID");
	if (commands[i].need_netns && !env->netns)
		strcat(missing, " CNI_NETNS");
	if (commands[i].need_ifname && !env->ifname)
		strcat(missing, " CNI_IFNAME");
	if (missing[0])
		return cni_fail(ce, CNI_ERR_INVALID_ENV, "required env variables [%s] missing", missing + 1);

	struct np_err e = { 0 };
	if (env->container_id && np_valid_container_id(env->container_id, &e) < 0)
		return cni_fail(ce, CNI_ERR_INVALID_ENV, "CNI_CONTAINERID: %s", e.msg);
	if (env->ifname && np_valid_ifname(env->ifname, "CNI_IFNAME", &e) < 0)
		return cni_fail(ce, CNI_ERR_INVALID_ENV, "%s", e.msg);
	if (env->netns && env->netns[0] != '/') {
		char q[NP_QUOTE_MAX];
		return cni_fail(ce, CNI_ERR_INVALID_ENV, "CNI_NETNS \"%s\" is not an absolute path",
				np_quote(env->netns, q, sizeof(q)));
	}
	return 0;
}

int cni_env_check_netns(const struct cni_env *env, struct cni_error *ce)
{
	if (!env->netns)
		return 0;
	struct np_err e = { 0 };
	int fd = np_netns_open(env->netns, &e);
	if (fd < 0) /* a gone namespace is the kinds' business (DEL succeeds) */
		return 0;
	struct stat them, us;
	int rc = fstat(fd, &them);
	close(fd);
	if (rc < 0 || stat("/proc/thread-self/ns/net", &us) < 0)
		return cni_fail(ce, CNI_ERR_INTERNAL, "cannot compare CNI_NETNS with the plugin's own namespace");
	if (them.st_dev == us.st_dev && them.st_ino == us.st_ino) {
		char q[NP_QUOTE_MAX];
		return cni_fail(ce, CNI_ERR_INVALID_NETNS,
				"CNI_NETNS \"%s\" is the plugin's own network namespace, not a container's: refusing to touch the node's interfaces",
				np_quote(env->netns, q, sizeof(q)));
	}
	return 0;
}

int cni_version_index(const char *v)
{
	for (size_t i = 0; v && i < cni_n_supported_versions; i++)
		if (!strcmp(v, cni_supported_versions[i]))
			return (int)i;
	return -1;
}

int cni_version_cmp(const char *a, const char *b)
{
	return cni_version_index(a) - cni_version_index(b);
}

void cni_print_error(const char *version, const struct cni_error *ce)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "cniVersion",
				version && cni_version_index(version) >= 0 ? version : "1.1.0");
	cJSON_AddNumberToObject(o, "code", ce->code ? ce->code : CNI_ERR_INTERNAL);
	cJSON_AddStringToObject(o, "msg", ce->msg[0] ? ce->msg : "unknown failure");
	if (ce->details[0])
		cJSON_AddStringToObject(o, "details", ce->details);
	char *s = cJSON_Print(o);
	if (s)
		printf("%s\n", s);
	cJSON_free(s);
	cJSON_Delete(o);
}
