/* lab_reaper CMD [ARG...]: starts a daemonizing CMD (libvirtd --daemon)
 * under a child subreaper that stays behind and reaps every orphan of it at
 * once; returns CMD's own exit status, like running CMD directly would.
 *
 * Why: libvirtd daemonizes its QEMUs, so an exited QEMU is reparented to
 * PID 1. On machines whose PID 1 reaps only now and then, the zombie stays,
 * and libvirt, which polls kill(pid, 0) every 200 ms until the process is
 * gone, waits one to two seconds at the end of every migration and every
 * destroy. A node's real init (systemd, or virt-launcher in KubeVirt) reaps
 * at once; this makes the lab do the same. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int die(const char *what)
{
	fprintf(stderr, "lab_reaper: %s: %s\n", what, strerror(errno));
	return 1;
}

/* The subreaper: runs CMD, hands its status up the pipe, then reaps until
 * nothing is left under it. */
static int reaper(int status_fd, char **cmd)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return die("PR_SET_CHILD_SUBREAPER");
	pid_t child = fork();
	if (child < 0)
		return die("fork");
	if (child == 0) {
		close(status_fd);
		execvp(cmd[0], cmd);
		fprintf(stderr, "lab_reaper: %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	/* let the caller's pipes close: only CMD speaks on them */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	int status;
	pid_t pid;
	while ((pid = wait(&status)) > 0 || errno == EINTR) {
		if (pid != child)
			continue;
		unsigned char rc = WIFEXITED(status) ? (unsigned char)WEXITSTATUS(status) : 1;
		if (write(status_fd, &rc, 1) != 1) {
			/* the caller is gone; keep reaping */
		}
		close(status_fd);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: lab_reaper CMD [ARG...]\n");
		return 2;
	}
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return die("pipe");
	pid_t r = fork();
	if (r < 0)
		return die("fork");
	if (r == 0) {
		close(p[0]);
		setsid();
		_exit(reaper(p[1], argv + 1));
	}
	close(p[1]);
	unsigned char rc = 1;
	ssize_t n;
	while ((n = read(p[0], &rc, 1)) < 0 && errno == EINTR)
		;
	if (n != 1)
		fprintf(stderr, "lab_reaper: %s: no exit status came back\n", argv[1]);
	return n == 1 ? rc : 1;
}
