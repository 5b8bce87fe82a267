#define _GNU_SOURCE
#include "cnitest.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

char *cni_conf(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

static char *kv(const char *k, const char *v)
{
	char *s = NULL;
	if (asprintf(&s, "%s=%s", k, v) < 0)
		abort();
	return s;
}

int cni_run(const struct cni_call *c, const char *conf, cJSON **out)
{
	int in[2], op[2];
	if (out)
		*out = NULL;
	if (pipe(in) < 0 || pipe(op) < 0)
		abort();
	char *argv[24];
	int n = 0;
	argv[n++] = "ip";
	argv[n++] = "netns";
	argv[n++] = "exec";
	argv[n++] = (char *)c->host_ns;
	argv[n++] = "env";
	argv[n++] = "-i";
	argv[n++] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	if (c->command) argv[n++] = kv("CNI_COMMAND", c->command);
	if (c->container_id) argv[n++] = kv("CNI_CONTAINERID", c->container_id);
	if (c->netns) argv[n++] = kv("CNI_NETNS", c->netns);
	if (c->ifname) argv[n++] = kv("CNI_IFNAME", c->ifname);
	if (c->args) argv[n++] = kv("CNI_ARGS", c->args);
	argv[n++] = kv("CNI_PATH", c->path ? c->path : "/usr/lib/cni");
	if (c->extra_env) argv[n++] = (char *)c->extra_env;
	/* sanitizer reports must reach the test log and fail the run */
	const char *asan = getenv("ASAN_OPTIONS");
	if (asan) argv[n++] = kv("ASAN_OPTIONS", asan);
	argv[n++] = (char *)c->plugin;
	argv[n] = NULL;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(op[1], 1);
		close(in[1]);
		close(op[0]);
		execvp("ip", argv);
		_exit(127);
	}
	close(in[0]);
	close(op[1]);
	size_t len = strlen(conf);
	if (write(in[1], conf, len) != (ssize_t)len)
		fprintf(stderr, "cnitest: short write of the config\n");
	close(in[1]);
	size_t cap = 1 << 16, got = 0;
	char *buf = malloc(cap);
	ssize_t r;
	while ((r = read(op[0], buf + got, cap - got - 1)) > 0) {
		got += (size_t)r;
		if (got + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	close(op[0]);
	buf[got] = '\0';
	int st = 0;
	waitpid(pid, &st, 0);
	for (int i = 7; i < n; i++)
		if (argv[i] != c->plugin && argv[i] != c->extra_env && !strncmp(argv[i], "CNI_", 4))
			free(argv[i]);
		else if (!strncmp(argv[i], "ASAN_OPTIONS=", 13))
			free(argv[i]);
	if (out && got)
		*out = cJSON_Parse(buf);
	free(buf);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int cni_count_leases(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || !strcmp(de->d_name, "lock") ||
		    !strcmp(de->d_name, ".all-indexed") || !strncmp(de->d_name, "last_reserved_ip.", 17))
			continue;
		if (de->d_type == DT_DIR) {
			char sub[4096];
			snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
			n += cni_count_leases(sub);
		} else {
			n++;
		}
	}
	closedir(d);
	return n;
}
