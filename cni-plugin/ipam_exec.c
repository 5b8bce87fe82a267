#define _GNU_SOURCE
#include "ipam_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "names.h"
#include "readbuf.h"

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

/* Starts path with stdin and stdout on pipes; *to_child and *from_child
 * are the parent's ends. */
static pid_t spawn(const char *path, char **cenv, int *to_child, int *from_child)
{
	int in[2], outp[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(outp, O_CLOEXEC) < 0) {
		int rc = -errno;
		close(in[0]);
		close(in[1]);
		return rc;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, outp[1], STDOUT_FILENO);
	pid_t pid;
	int rc = posix_spawn(&pid, path, &fa, NULL, (char *[]){ (char *)path, NULL }, cenv);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(outp[1]);
	if (rc) {
		close(in[1]);
		close(outp[0]);
		return -rc;
	}
	/* a plugin that answers before it reads must find us reading, not
	 * stuck in a write to its full stdin */
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	*to_child = in[1];
	*from_child = outp[0];
	return pid;
}

/* Writes the config and reads the answer at once (the write end is
 * non-blocking), so a chatty plugin cannot deadlock us on a full pipe.
 * Closes both fds. */
static int talk(int to_child, int from_child, const char *input, struct np_readbuf *out)
{
	size_t len = strlen(input), off = 0;
	struct pollfd pfd[2] = { { to_child, POLLOUT, 0 }, { from_child, POLLIN, 0 } };
	int rc = 0;
	if (len == 0) {
		close(to_child);
		pfd[0].fd = -1;
	}
	while (pfd[1].fd >= 0) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR) {
			rc = -errno;
			close(from_child);
			pfd[1].fd = -1;
			break;
		}
		if (pfd[0].fd >= 0 && pfd[0].revents) {
			ssize_t w = write(to_child, input + off, len - off);
			if (w > 0)
				off += (size_t)w;
			if ((w < 0 && errno != EAGAIN && errno != EINTR) || off == len) {
				close(to_child);
				pfd[0].fd = -1;
			}
		}
		if (pfd[1].revents) {
			ssize_t r = np_readbuf_read(out, from_child);
			if (r < 0 && r != -EINTR && r != -EAGAIN)
				rc = (int)r;
			if (r == 0 || rc < 0) {
				close(from_child);
				pfd[1].fd = -1;
			}
		}
	}
	if (pfd[0].fd >= 0)
		close(to_child);
	return rc;
}

static void free_env(char **cenv)
{
	for (size_t i = 0; cenv && cenv[i]; i++)
		if (!strncmp(cenv[i], "CNI_COMMAND=", 12))
			free(cenv[i]);
	free(cenv);
}

/* The plugin's verdict: its CNI error when it failed, else its result. */
static int judge(const char *type, const char *command, int status, const struct np_readbuf *b,
		 cJSON **out, struct cni_error *ce)
{
	cJSON *j = b->len ? cJSON_Parse(b->data) : NULL;
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
	if (b->len && !j)
		return cni_fail(ce, CNI_ERR_DECODE, "IPAM plugin %s %s printed something that is not JSON", type, command);
	if (out)
		*out = j;
	else
		cJSON_Delete(j);
	return 0;
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
	char **cenv = child_env(command);
	if (!cenv)
		return cni_fail(ce, CNI_ERR_INTERNAL, "exec %s: out of memory", type);
	int to_child = -1, from_child = -1;
	pid_t pid = spawn(path, cenv, &to_child, &from_child);
	free_env(cenv);
	if (pid < 0)
		return cni_fail(ce, CNI_ERR_INTERNAL, "exec %s: %s", type, strerror((int)-pid));
	signal(SIGPIPE, SIG_IGN);
	struct np_readbuf b;
	np_readbuf_init(&b, CNI_STDIN_MAX);
	int rc = talk(to_child, from_child, stdin_json, &b);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc < 0) {
		np_readbuf_free(&b);
		return cni_fail(ce, CNI_ERR_INTERNAL, "exec %s: reading its answer: %s", type,
				rc == -EFBIG ? "output too large" : strerror(-rc));
	}
	rc = judge(type, command, status, &b, out, ce);
	np_readbuf_free(&b);
	return rc;
}
