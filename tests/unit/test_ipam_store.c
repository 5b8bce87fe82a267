/* mignet-ipam's store on its own, against a private tree: the VM index
 * refuses names that could leave the store whatever its caller checked
 * (conf.c checks them first, so the plugin cannot show this layer), the
 * round-robin hint is replaced rather than written through a hard link,
 * and a FIFO under an index or hint name is an error naming it, not a
 * hang. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "ipam_store.h"

static char root[256];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	(void)state;
	const char *base = getenv("TMPDIR_BASE");
	snprintf(root, sizeof(root), "%s-ipamstore.XXXXXX", base && *base ? base : "/tmp/mignet-test");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void path_of(const char *rel, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", root, rel);
}

static void put(const char *rel, const char *content)
{
	char path[512];
	path_of(rel, path, sizeof(path));
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static void open_store(struct ipam_store *s, const char *net)
{
	char dir[512];
	struct np_err e = { 0 };
	path_of("d", dir, sizeof(dir));
	if (ipam_store_open(s, dir, net, &e) < 0)
		fail_msg("open: %s", e.msg);
}

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	int n = 0;
	for (struct dirent *de; (de = readdir(d));)
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

/* .mignet-vms/../../../outside/victim@vm-x is <root>/outside/victim@vm-x:
 * a release as that "namespace" would read it, find its holder gone and
 * unlink it; a hold would write next to it. */
static void test_vm_names_stay_inside(void **state)
{
	(void)state;
	struct ipam_store s;
	open_store(&s, "esc");
	assert_int_equal(mkdirat(s.dirfd, IPAM_VM_DIR, 0700), 0);
	char outside[512], victim[600];
	path_of("outside", outside, sizeof(outside));
	assert_int_equal(mkdir(outside, 0700), 0);
	put("outside/victim@vm-x", "prod\r\nvm-x\n10.71.0.9 esc1 net1\n");
	snprintf(victim, sizeof(victim), "%s/victim@vm-x", outside);

	struct ipam_owner o = { "esc1", "net1" };
	struct np_ip ip, ips[4];
	assert_int_equal(np_ip_parse("10.71.0.9", &ip, NULL), 0);
	static const struct ipam_vm refused[] = {
		{ "../../../outside/victim", "vm-x" }, { "../../../outside/v2", "vm-x" },
		{ "prod", "../../../outside/v2" }, { "..", "vm-x" }, { "prod", ".." }, { "prod", "a/b" },
		{ "Prod", "vm-x" }, { "prod.a", "vm-x" }, { "prod", "vm_x" }, { "", "vm-x" }, { "prod", "" },
		{ "prod", "vm-x." },
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
		const struct ipam_vm *vm = &refused[i];
		struct np_err e1 = { 0 }, e2 = { 0 }, e3 = { 0 };
		int rc = ipam_store_release(&s, &o, vm, &e1);
		if (rc != -EINVAL || !strstr(e1.msg, "IPAM store, sticky lease: VM "))
			fail_msg("release as %s/%s: rc %d, \"%s\"", vm->ns, vm->name, rc, e1.msg);
		assert_int_equal(ipam_store_vm_hold(&s, vm, &ip, 1, &o, &e2), -EINVAL);
		assert_int_equal(ipam_store_vm_ips(&s, vm, ips, 4, &e3), -EINVAL);
	}
	/* nothing was removed or created outside the store */
	assert_int_equal(access(victim, F_OK), 0);
	assert_int_equal(entries(outside), 1);

	/* Kubernetes names work as before */
	struct ipam_vm good = { "prod", "vm-x.v2" };
	struct np_err e = { 0 };
	assert_int_equal(ipam_store_vm_hold(&s, &good, &ip, 1, &o, &e), 0);
	assert_int_equal(ipam_store_vm_ips(&s, &good, ips, 4, &e), 1);
	assert_true(np_ip_equal(&ips[0], &ip));
	assert_int_equal(ipam_store_release(&s, &o, &good, &e), 0);
	assert_int_equal(ipam_store_vm_ips(&s, &good, ips, 4, &e), 0);
	ipam_store_close(&s);
}

/* A hard link planted as last_reserved_ip.0 is replaced: the file it
 * links to keeps its content. */
static void test_hint_not_written_through_a_link(void **state)
{
	(void)state;
	struct ipam_store s;
	open_store(&s, "hl");
	char victim[512];
	put("precious", "precious\n");
	path_of("precious", victim, sizeof(victim));
	assert_int_equal(linkat(AT_FDCWD, victim, s.dirfd, "last_reserved_ip.0", 0), 0);
	struct np_ip ip, back;
	struct np_err e = { 0 };
	assert_int_equal(np_ip_parse("10.1.0.7", &ip, NULL), 0);
	assert_int_equal(ipam_store_set_last_reserved(&s, 0, &ip, &e), 0);
	char buf[64] = "";
	FILE *f = fopen(victim, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "precious\n");
	struct stat st;
	assert_int_equal(stat(victim, &st), 0);
	assert_int_equal(st.st_nlink, 1);
	assert_int_equal(ipam_store_last_reserved(&s, 0, &back, &e), 1);
	assert_true(np_ip_equal(&back, &ip));
	ipam_store_close(&s);
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "test_ipam_store: a read of a FIFO hung the store\n";
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

/* A FIFO under an owner index or a hint name: an error naming it, at once. */
static void test_fifo_is_an_error(void **state)
{
	(void)state;
	struct ipam_store s;
	open_store(&s, "ff");
	assert_int_equal(mkfifoat(s.ownerfd, "f1@net1", 0600), 0);
	assert_int_equal(mkfifoat(s.dirfd, "last_reserved_ip.1", 0600), 0);
	signal(SIGALRM, on_alarm);
	alarm(10);
	struct ipam_owner o = { "f1", "net1" };
	struct np_ip ips[4];
	struct np_err e = { 0 };
	int rc = ipam_store_find(&s, &o, NULL, ips, 4, &e);
	if (rc >= 0 || !strstr(e.msg, "/.mignet-owners: f1@net1 is not a regular file"))
		fail_msg("find: rc %d, \"%s\"", rc, e.msg);
	e = (struct np_err){ 0 };
	rc = ipam_store_last_reserved(&s, 1, &ips[0], &e);
	if (rc >= 0 || !strstr(e.msg, "last_reserved_ip.1 is not a regular file"))
		fail_msg("last_reserved: rc %d, \"%s\"", rc, e.msg);
	alarm(0);
	ipam_store_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vm_names_stay_inside),
		cmocka_unit_test(test_hint_not_written_through_a_link),
		cmocka_unit_test(test_fifo_is_an_error),
	};
	return cmocka_run_group_tests_name("IPAM store", tests, setup, teardown);
}
