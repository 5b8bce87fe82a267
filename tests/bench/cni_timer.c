/* cni_timer N REF REFCONF MIG MIGCONF: times N ADDs and then N DELs of two
 * CNI plugins, one op of each in turn (reference, mignet, reference, ...),
 * and prints five medians in ms: ref ADD, mignet ADD, ref DEL, mignet DEL,
 * and the spawn floor (/bin/true, spawned the same way).
 *
 * Why not bash: a `$(...)` around each op adds the shell's own fork, about
 * 0.4 ms here, to both sides, and hides a plugin's exit status. This spawns
 * the plugin the way kubelet's os/exec does (clone with CLONE_VFORK, then
 * exec) and fails on any non-zero exit, printing the plugin's output.
 *
 * CNI_NETNS and CNI_PATH come from the environment; op i uses container ID
 * and ifname "r<i>" for the reference and "m<i>" for mignet. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct plugin {
	const char *path, *conf, *tag;
};

static int out_fd = -1; /* the last op's stdout, shown when it fails */

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static void set_op(const char *cmd, const char *tag, int i)
{
	char id[32];
	snprintf(id, sizeof(id), "%s%d", tag, i);
	if (setenv("CNI_COMMAND", cmd, 1) || setenv("CNI_CONTAINERID", id, 1) || setenv("CNI_IFNAME", id, 1)) {
		perror("cni_timer: setenv");
		exit(1);
	}
}

static void show_output(void)
{
	char buf[4096];
	ssize_t n = pread(out_fd, buf, sizeof(buf) - 1, 0);
	if (n > 0) {
		buf[n] = '\0';
		fprintf(stderr, "%s\n", buf);
	}
}

/* Spawns path with stdin from conf (NULL: /dev/null); returns microseconds
 * from spawn to reaped exit. Exits on failure. */
static double run(const char *path, const char *conf, const char *what)
{
	int in = open(conf ? conf : "/dev/null", O_RDONLY | O_CLOEXEC);
	if (in < 0 || ftruncate(out_fd, 0) < 0) {
		fprintf(stderr, "cni_timer: %s: %s\n", conf ? conf : "/dev/null", strerror(errno));
		exit(1);
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	char *argv[] = { (char *)path, NULL };
	pid_t pid;
	int status;
	double t0 = now_us();
	int rc = posix_spawn(&pid, path, &fa, NULL, argv, environ);
	if (rc == 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	double t1 = now_us();
	posix_spawn_file_actions_destroy(&fa);
	close(in);
	if (rc != 0) {
		fprintf(stderr, "cni_timer: cannot spawn %s: %s\n", path, strerror(rc));
		exit(1);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "cni_timer: %s (%s) failed with status %d:\n", what, path, status);
		show_output();
		exit(1);
	}
	return t1 - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median_ms(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	double m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return m / 1000;
}

static void time_ops(const char *cmd, const struct plugin *p, double *t, int n)
{
	char what[64];
	for (int i = 0; i < n; i++)
		for (int k = 0; k < 2; k++) {
			set_op(cmd, p[k].tag, i + 1);
			snprintf(what, sizeof(what), "%s %s%d", cmd, p[k].tag, i + 1);
			t[k * n + i] = run(p[k].path, p[k].conf, what);
		}
}

int main(int argc, char **argv)
{
	if (argc != 6 || atoi(argv[1]) < 1) {
		fprintf(stderr, "usage: cni_timer N REF REFCONF MIG MIGCONF\n");
		return 2;
	}
	int n = atoi(argv[1]);
	const struct plugin p[2] = { { argv[2], argv[3], "r" }, { argv[4], argv[5], "m" } };
	out_fd = memfd_create("cni_timer_out", MFD_CLOEXEC);
	double *add = calloc((size_t)n * 2, sizeof(double)), *del = calloc((size_t)n * 2, sizeof(double)),
	       *floor_t = calloc((size_t)n, sizeof(double));
	if (out_fd < 0 || !add || !del || !floor_t) {
		perror("cni_timer");
		return 1;
	}
	/* All ADDs first, then all DELs, as pods come and go: a DEL right after
	 * its ADD would mostly measure the kernel's rcu_barrier() on the RCU
	 * work that ADD had just queued. */
	time_ops("ADD", p, add, n);
	time_ops("DEL", p, del, n);
	for (int i = 0; i < n; i++)
		floor_t[i] = run("/bin/true", NULL, "floor");
	printf("%.2f %.2f %.2f %.2f %.2f\n", median_ms(add, n), median_ms(add + n, n), median_ms(del, n),
	       median_ms(del + n, n), median_ms(floor_t, n));
	free(add);
	free(del);
	free(floor_t);
	return 0;
}
