#define _GNU_SOURCE
#include "ipam_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "names.h"

extern char **environ;

static int find_plugin(const char *type, const char *cni_path, char *out,
		       size_t len, struct cni_error *ce)
{
	struct np_err e = { 0 };
	if (np_valid_path_component(type, 255, "ipam \"type\"", &e) < 0)
		return cni_fail_np(ce, CNI_ERR_INVALID_CONFIG, &e);
	if (!cni_path)
		return cni_fail(ce, CNI_ERR_INVALID_ENV,
				"required env variables [CNI_PATH] missing (needed to find IPAM plugin \"%s\")", type);
	char dirs[4096];
	snprintf(dirs, sizeof(dirs), "%s", cni_path);
	char *save = NULL;
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", d, type);
		if (access(out, X_OK) == 0)
			return 0;
	}
	return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "failed to find plugin \"%s\" in path [%s]", type, cni_path);
}

bool cni_plugin_installed(const char *type, const char *cni_path)
{
	char path[4096];
	struct cni_error ignore = { 0 };
	return find_plugin(type, cni_path, path, sizeof(path), &ignore) == 0;
}

/* The parent's environment with CNI_COMMAND replaced. */
static char **child_env(const char *command)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "CNI_COMMAND=", 12))
			env[o++] = environ[i];
	if (asprintf(&env[o], "CNI_COMMAND=%s", command) < 0) {
		free(env);
		return NULL;
	}
	return env;
}

int cni_exec_plugin(const char *type, const char *command,
		    const struct cni_env *env, const char *stdin_json,
		    cJSON **out, struct cni_error *ce)
{
	char path[4096];
	if (out)
		*out = NULL;
	if (find_plugin(type, env->path, path, sizeof(path), ce) < 0)
		return -1;
	int in[2], outp[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return cni_fail(ce, CNI_ERR_INTERNAL, "exec %s: pipe: %s", type, strerror(errno));
	if (pipe2(outp, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return cni_fail(ce, CNI_ERR_INTERNAL, "exec %s: pipe: %s", type, strerror(errno));
	}
	char **cenv = child_env(command);
	pid_t pid = cenv ? fork() : -1;
	if (pid == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(outp[1], STDOUT_FILENO);
		execve(path, (char *[]){ path, NULL }, cenv);
		_exit(127);
	}
	int saved = errno;
	if (cenv) {
		for (size_t i = 0; cenv[i]; i++)
			if (!strncmp(cenv[i], "CNI_COMMAND=", 12))
				free(cenv[i]);
		free(cenv);
	}
	close(in[0]);
	close(outp[1]);
	if (pid < 0) {
		close(in[1]);
		close(outp[0]);
		return cni_fail(ce, CNI_ERR_INTERNAL, "exec %s: fork: %s", type, strerror(saved));
	}
	/* The config is small (< 1 MiB) but write and read concurrently anyway
	 * so a chatty plugin cannot deadlock us. */
	size_t in_len = strlen(stdin_json), in_off = 0, cap = 8192, n = 0;
	char *buf = malloc(cap);
	signal(SIGPIPE, SIG_IGN);
	struct pollfd pfd[2] = { { in[1], POLLOUT, 0 }, { outp[0], POLLIN, 0 } };
	if (in_len == 0) {
		close(in[1]);
		pfd[0].fd = -1;
	}
	while (buf && pfd[1].fd >= 0) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[0].fd >= 0 && pfd[0].revents) {
			ssize_t w = write(in[1], stdin_json + in_off, in_len - in_off);
			if (w > 0)
				in_off += (size_t)w;
			if (w < 0 || in_off == in_len) {
				close(in[1]);
				pfd[0].fd = -1;
			}
		}
		if (pfd[1].revents) {
			if (n + 1 >= cap) {
				char *nb = cap < CNI_STDIN_MAX ? realloc(buf, cap * 2) : NULL;
				if (!nb) {
					free(buf);
					buf = NULL;
					break;
				}
				buf = nb;
				cap *= 2;
			}
			ssize_t r = read(outp[0], buf + n, cap - n - 1);
			if (r <= 0) {
				close(outp[0]);
				pfd[1].fd = -1;
			} else {
				n += (size_t)r;
			}
		}
	}
	if (pfd[0].fd >= 0)
		close(in[1]);
	if (pfd[1].fd >= 0)
		close(outp[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!buf)
		return cni_fail(ce, CNI_ERR_INTERNAL, "exec %s: output too large or out of memory", type);
	buf[n] = '\0';
	cJSON *j = n ? cJSON_Parse(buf) : NULL;
	free(buf);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(j, "code");
		const cJSON *msg = cJSON_GetObjectItemCaseSensitive(j, "msg");
		int c = cJSON_IsNumber(code) ? code->valueint : CNI_ERR_INTERNAL;
		cni_fail(ce, c, "IPAM plugin %s %s failed: %s", type, command,
			 cJSON_IsString(msg) ? msg->valuestring :
			 WIFEXITED(status) ? "no error message" : "killed by a signal");
		cJSON_Delete(j);
		return -1;
	}
	if (n && !j)
		return cni_fail(ce, CNI_ERR_DECODE, "IPAM plugin %s %s printed something that is not JSON", type, command);
	if (out)
		*out = j;
	else
		cJSON_Delete(j);
	return 0;
}
