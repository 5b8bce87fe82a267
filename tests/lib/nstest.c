#define _GNU_SOURCE
#include "nstest.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_NS 32

/* Test-process state: the signal handler must find what to remove. */
static char prefix[32];
static char created[MAX_NS][NST_PATH_MAX];
static volatile sig_atomic_t n_created;

static void remove_all(void)
{
	for (int i = 0; i < n_created; i++) {
		if (!created[i][0])
			continue;
		/* What `ip netns del` does, but async-signal-safe. */
		umount2(created[i], MNT_DETACH);
		unlink(created[i]);
		created[i][0] = '\0';
	}
}

static void on_signal(int sig)
{
	remove_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

void nst_init(void)
{
	const char *p = getenv("MIGNET_TEST_PREFIX");
	snprintf(prefix, sizeof(prefix), "%s%x-", p && *p ? p : "mgt", (unsigned)getpid() & 0xffff);
	atexit(remove_all);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	/* cmocka turns a crash into a failed test and goes on; an abort from
	 * a sanitizer still runs atexit handlers. */
}

const char *nst_prefix(void)
{
	return prefix;
}

void nst_netns_add(const char *suffix, char *path, char *name)
{
	char nm[64];
	snprintf(nm, sizeof(nm), "%s%s", prefix, suffix);
	if (n_created == MAX_NS) {
		fprintf(stderr, "nstest: too many namespaces\n");
		abort();
	}
	snprintf(created[n_created], NST_PATH_MAX, "/run/netns/%s", nm);
	n_created++;
	if (nst_sh("ip netns add %s && ip -n %s link set lo up", nm, nm) != 0) {
		fprintf(stderr, "nstest: cannot create netns %s\n", nm);
		abort();
	}
	if (path)
		snprintf(path, NST_PATH_MAX, "/run/netns/%s", nm);
	if (name)
		snprintf(name, 64, "%s", nm);
}

void nst_netns_del(const char *name)
{
	char path[NST_PATH_MAX];
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	for (int i = 0; i < n_created; i++)
		if (!strcmp(created[i], path)) {
			umount2(path, MNT_DETACH);
			unlink(path);
			created[i][0] = '\0';
		}
}

static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	return s;
}

int nst_sh(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = vformat(fmt, ap);
	va_end(ap);
	/* Not system(): it ignores SIGINT while the command runs, so a Ctrl-C
	 * then would never reach the handler that removes the namespaces. */
	char *argv[] = { "sh", "-c", cmd, NULL };
	pid_t pid;
	int st = 0;
	if (posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ) != 0) {
		free(cmd);
		return 127;
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	free(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

cJSON *nst_json(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = vformat(fmt, ap);
	va_end(ap);
	FILE *f = popen(cmd, "r");
	free(cmd);
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	size_t r;
	while (buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (n + 1 == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
		}
	}
	int st = pclose(f);
	if (!buf)
		return NULL;
	buf[n] = '\0';
	cJSON *j = (WIFEXITED(st) && WEXITSTATUS(st) == 0) ? cJSON_Parse(buf) : NULL;
	free(buf);
	return j;
}

cJSON *nst_link(const char *ns, const char *ifname)
{
	cJSON *arr = nst_json("ip -j -d -n %s link show dev %s 2>/dev/null", ns, ifname);
	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) != 1) {
		cJSON_Delete(arr);
		return NULL;
	}
	cJSON *o = cJSON_DetachItemFromArray(arr, 0);
	cJSON_Delete(arr);
	return o;
}

static const cJSON *walk(const cJSON *o, const char *path)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	char *save = NULL;
	for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		o = cJSON_GetObjectItemCaseSensitive(o, k);
	return o;
}

const char *nst_str(const cJSON *o, const char *path)
{
	const cJSON *v = walk(o, path);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

double nst_num(const cJSON *o, const char *path)
{
	const cJSON *v = walk(o, path);
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

unsigned long nst_self_netns_inode(void)
{
	struct stat st;
	if (stat("/proc/thread-self/ns/net", &st) < 0)
		return 0;
	return (unsigned long)st.st_ino;
}
