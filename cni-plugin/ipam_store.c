#define _GNU_SOURCE
#include "ipam_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/file.h>
#include <stdint.h>
#include <sys/stat.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include "atomic_file.h"
#include "names.h"

#define LEASE_MAX 512
#define INDEX_MAX 4096
#define VM_INDEX_MAX 16384
#define INDEX_IPS 16

#define OWNER_WHERE "/" IPAM_OWNER_DIR
#define VM_WHERE "/" IPAM_VM_DIR

static bool name_is_ip(const char *name, struct np_ip *ip);
static int create_exclusive(int dirfd, const char *name, const char *content, size_t len);

/* Reads a state file of the store (lease, index, hint) into buf through
 * np_open_state: a FIFO or device planted under its name is refused, naming
 * it, instead of blocking a reader who holds the network lock. where is ""
 * or "/<subdirectory>" for the message. Returns the length, -ENOENT without
 * a message, or another error with one. */
static int read_state(const struct ipam_store *s, int dfd, const char *where, const char *name,
		      char *buf, size_t cap, struct np_err *e)
{
	struct np_err fe = { 0 };
	size_t len = 0;
	int rc = np_file_read_into(dfd, name, buf, cap, &len, &fe);
	if (rc == -ENOENT)
		return rc;
	if (rc == -EFBIG)
		return np_errmsg(e, rc, "IPAM store %s%s: %s is larger than %zu bytes: refusing to use it",
				 s->path, where, name, cap - 1);
	if (rc < 0)
		return np_errmsg(e, rc, "IPAM store %s%s: %s", s->path, where, fe.msg);
	return (int)len;
}

/* A listing of the directory dirfd stands for, on a descriptor of its
 * own (the caller keeps dirfd); NULL with errno set. */
static DIR *open_listing(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d && fd >= 0) {
		int err = errno;
		close(fd);
		errno = err;
	}
	return d;
}

/* Whether the network directory holds any lease file (checked once, when
 * the index is created). */
static bool has_leases(int dirfd)
{
	DIR *d = open_listing(dirfd);
	if (!d)
		return true; /* unknown: keep scanning */
	struct dirent *de;
	struct np_ip ip;
	bool any = false;
	while (!any && (de = readdir(d)))
		any = name_is_ip(de->d_name, &ip);
	closedir(d);
	return any;
}

static int open_owner_dir(struct ipam_store *s)
{
	s->ownerfd = openat(s->dirfd, IPAM_OWNER_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->ownerfd >= 0 || errno != ENOENT)
		return s->ownerfd < 0 ? -errno : 0;
	if (mkdirat(s->dirfd, IPAM_OWNER_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	s->ownerfd = openat(s->dirfd, IPAM_OWNER_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->ownerfd < 0)
		return -errno;
	/* an empty mark, created like a lease: nothing is opened for writing */
	if (!has_leases(s->dirfd))
		create_exclusive(s->ownerfd, IPAM_INDEXED_MARK, "", 0);
	return 0;
}

int ipam_store_open(struct ipam_store *s, const char *data_dir,
		    const char *network, struct np_err *e)
{
	s->dirfd = s->lockfd = s->ownerfd = -1;
	int rc = np_valid_network_name(network, e);
	if (rc < 0)
		return rc;
	if (snprintf(s->path, sizeof(s->path), "%s/%s", data_dir, network) >= (int)sizeof(s->path))
		return np_errmsg(e, -ENAMETOOLONG, "IPAM store path is too long");
	s->dirfd = np_dir_open_chain(s->path, e);
	if (s->dirfd < 0)
		return s->dirfd;
	rc = np_dir_check_trusted(s->dirfd, s->path, e);
	if (rc < 0) {
		ipam_store_close(s);
		return np_err_prefix(e, rc, "IPAM store: ");
	}
	s->lockfd = np_open_state(s->dirfd, "lock", O_RDWR | O_CREAT, 0600, NULL, e);
	if (s->lockfd < 0) {
		rc = np_err_prefix(e, s->lockfd, "IPAM store %s: ", s->path);
		ipam_store_close(s);
		return rc;
	}
	while (flock(s->lockfd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			rc = np_errf(e, -errno, "IPAM store %s: cannot take the lock", s->path);
			ipam_store_close(s);
			return rc;
		}
	}
	rc = open_owner_dir(s);
	if (rc < 0) {
		rc = np_errf(e, rc, "IPAM store %s: cannot open %s", s->path, IPAM_OWNER_DIR);
		ipam_store_close(s);
		return rc;
	}
	s->indexed = faccessat(s->ownerfd, IPAM_INDEXED_MARK, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	return 0;
}

void ipam_store_close(struct ipam_store *s)
{
	if (s->lockfd >= 0)
		close(s->lockfd); /* drops the flock */
	if (s->dirfd >= 0)
		close(s->dirfd);
	if (s->ownerfd >= 0)
		close(s->ownerfd);
	s->lockfd = s->dirfd = s->ownerfd = -1;
}

/* Creates dirfd/name with content, atomically and only if it does not
 * exist: the data is written to an unnamed file that is then linked in, so
 * a killed plugin never leaves a half-written lease. Returns -EEXIST when
 * taken. No fsync, like host-local whose files these are: after a power
 * loss every pod of the node is recreated, so a lost lease cannot hand
 * out an address that is still in use (README, "IPAM store"). */
static int create_exclusive(int dirfd, const char *name, const char *content,
			    size_t len)
{
	int fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	int rc = 0;
	if (write(fd, content, len) != (ssize_t)len) {
		rc = errno ? -errno : -EIO;
	} else if (linkat(fd, "", dirfd, name, AT_EMPTY_PATH) < 0) {
		/* Without CAP_DAC_READ_SEARCH the kernel refuses AT_EMPTY_PATH
		 * with ENOENT; /proc/self/fd is the slower way that always works. */
		rc = -errno;
		if (rc == -ENOENT || rc == -EPERM) {
			char proc[64];
			snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
			rc = linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) < 0 ? -errno : 0;
		}
	}
	close(fd);
	return rc;
}

static void owner_content(const struct ipam_owner *o, char *buf, size_t len)
{
	snprintf(buf, len, "%s\r\n%s", o->container_id, o->ifname);
}

/* host-local's files hold "id\r\nifname"; older ones only "id". */
static bool lease_belongs_to(const char *content, const struct ipam_owner *o)
{
	char want[LEASE_MAX];
	owner_content(o, want, sizeof(want));
	size_t n = strlen(content);
	while (n && (content[n - 1] == '\n' || content[n - 1] == '\r' || content[n - 1] == ' '))
		n--;
	return (strlen(want) == n && !strncmp(content, want, n)) ||
	       (strlen(o->container_id) == n && !strncmp(content, o->container_id, n));
}

static bool split_owner(char *content, const char **cid, const char **ifname)
{
	char *sep = strstr(content, "\r\n");
	if (!sep)
		return false;
	*sep = '\0';
	*cid = content;
	*ifname = sep + 2;
	char *end = sep + 2 + strcspn(sep + 2, "\r\n");
	*end = '\0';
	return true;
}

int ipam_store_lease_state(struct ipam_store *s, const struct np_ip *ip,
			   const struct ipam_owner *o, struct np_err *e)
{
	char name[NP_PREFIX_STRLEN], cur[LEASE_MAX];
	np_ip_str(ip, name, sizeof(name));
	int n = read_state(s, s->dirfd, "", name, cur, sizeof(cur), e);
	if (n == -ENOENT)
		return IPAM_LEASE_FREE;
	if (n < 0)
		return n;
	return lease_belongs_to(cur, o) ? IPAM_LEASE_OURS : IPAM_LEASE_TAKEN;
}

int ipam_store_exists(struct ipam_store *s, const struct np_ip *ip, struct np_err *e)
{
	char name[NP_PREFIX_STRLEN];
	struct stat st;
	np_ip_str(ip, name, sizeof(name));
	if (fstatat(s->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	return np_errf(e, -errno, "IPAM store %s: cannot look up %s", s->path, name);
}

int ipam_store_each_name(struct ipam_store *s, int (*fn)(const struct np_ip *ip, void *arg),
			 void *arg, struct np_err *e)
{
	DIR *d = open_listing(s->dirfd);
	if (!d)
		return np_errf(e, -errno, "IPAM store %s: cannot list it", s->path);
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(d))) {
		struct np_ip ip;
		if (de->d_name[0] != '.' && name_is_ip(de->d_name, &ip))
			rc = fn(&ip, arg);
	}
	closedir(d);
	return rc < 0 ? np_errf(e, rc, "IPAM store %s: listing it", s->path) : 0;
}

int ipam_store_reserve(struct ipam_store *s, const struct np_ip *ip,
		       const struct ipam_owner *o, struct np_err *e)
{
	char name[NP_PREFIX_STRLEN], content[LEASE_MAX];
	np_ip_str(ip, name, sizeof(name));
	owner_content(o, content, sizeof(content));
	int rc = create_exclusive(s->dirfd, name, content, strlen(content));
	if (rc == -EEXIST) {
		/* Ours already (a retried ADD): keep it. */
		int state = ipam_store_lease_state(s, ip, o, e);
		return state < 0 ? state : state == IPAM_LEASE_OURS;
	}
	if (rc < 0)
		return np_errf(e, rc, "IPAM store %s: cannot write lease %s", s->path, name);
	return 1;
}

static void index_name(const struct ipam_owner *o, char *buf, size_t len)
{
	np_owner_filename(o->container_id, o->ifname, buf, len);
}

/* Index file: "cid\r\nifname\n" then one IP per line. */
static int read_index(struct ipam_store *s, const struct ipam_owner *o,
		      struct np_ip *ips, int max, struct np_err *e)
{
	char name[400], buf[INDEX_MAX];
	index_name(o, name, sizeof(name));
	int n = read_state(s, s->ownerfd, OWNER_WHERE, name, buf, sizeof(buf), e);
	if (n < 0)
		return n;
	int count = 0;
	char *save = NULL;
	/* the first two lines name the owner */
	char *line = strtok_r(buf, "\n", &save);
	if (line)
		line = strtok_r(NULL, "\n", &save);
	for (line = line ? strtok_r(NULL, "\n", &save) : NULL; line && count < max;
	     line = strtok_r(NULL, "\n", &save))
		if (np_ip_parse(line, &ips[count], NULL) == 0)
			count++;
	return count;
}

int ipam_store_index_set(struct ipam_store *s, const struct ipam_owner *o,
			 const struct np_ip *ips, int n, struct np_err *e)
{
	char buf[INDEX_MAX], name[400], a[NP_PREFIX_STRLEN];
	size_t off = (size_t)snprintf(buf, sizeof(buf), "%s\r\n%s\n", o->container_id, o->ifname);
	for (int i = 0; i < n && off < sizeof(buf); i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s\n", np_ip_str(&ips[i], a, sizeof(a)));
	if (off >= sizeof(buf))
		return np_errmsg(e, -E2BIG, "IPAM store %s: owner index too large", s->path);
	index_name(o, name, sizeof(name));
	/* A new owner's index is created the cheap way (no rename). */
	int rc = create_exclusive(s->ownerfd, name, buf, off);
	if (rc != -EEXIST)
		return rc < 0 ? np_errf(e, rc, "IPAM store %s%s: cannot write owner index %s", s->path, OWNER_WHERE, name) : 0;
	char cur[INDEX_MAX];
	if (read_state(s, s->ownerfd, OWNER_WHERE, name, cur, sizeof(cur), NULL) == (int)off && !memcmp(cur, buf, off))
		return 0; /* a retried ADD: unchanged */
	/* Replaced, never written in place (a hard link may stand under the
	 * name); no fsync, as for the leases (see create_exclusive). */
	struct np_err we = { 0 };
	rc = np_atomic_write(s->ownerfd, name, buf, off, 0600, 0, &we);
	if (rc < 0)
		return np_errmsg(e, rc, "IPAM store %s%s: owner index: %s", s->path, OWNER_WHERE, we.msg);
	return 0;
}

/* Dotted quads as np_ip_str and host-local write them, without
 * inet_pton's generality: a listing of a crowded store parses thousands.
 * Anything else (IPv6, a leading zero) is left to np_ip_parse. */
static bool quick_v4(const char *s, struct np_ip *ip)
{
	uint8_t a[4];
	for (int i = 0; i < 4; i++) {
		unsigned v = 0, nd = 0;
		if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
			return false;
		for (; *s >= '0' && *s <= '9' && nd < 4; s++, nd++)
			v = v * 10 + (unsigned)(*s - '0');
		if (nd == 0 || nd > 3 || v > 255 || *s != (i < 3 ? '.' : '\0'))
			return false;
		a[i] = (uint8_t)v;
		s++;
	}
	memset(ip, 0, sizeof(*ip));
	ip->family = AF_INET;
	memcpy(ip->addr, a, 4);
	return true;
}

static bool name_is_ip(const char *name, struct np_ip *ip)
{
	return quick_v4(name, ip) || np_ip_parse(name, ip, NULL) == 0;
}

/* For leases written by host-local itself (no index): read every file. */
static int scan_owner(struct ipam_store *s, const struct ipam_owner *o,
		      struct np_ip *ips, int max, struct np_err *e)
{
	DIR *d = open_listing(s->dirfd);
	if (!d)
		return np_errf(e, -errno, "IPAM store %s: cannot read leases", s->path);
	int count = 0, rc = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(d)) && count < max) {
		struct np_ip ip;
		char cur[LEASE_MAX];
		if (de->d_name[0] == '.' || !name_is_ip(de->d_name, &ip))
			continue;
		int n = read_state(s, s->dirfd, "", de->d_name, cur, sizeof(cur), e);
		if (n < 0 && n != -ENOENT)
			rc = n;
		else if (n >= 0 && lease_belongs_to(cur, o))
			ips[count++] = ip;
	}
	closedir(d);
	return rc < 0 ? rc : count;
}

static int vm_holds(struct ipam_store *s, const struct ipam_vm *vm, const struct np_ip *ip,
		    const struct ipam_owner *o, struct np_err *e);

int ipam_store_find(struct ipam_store *s, const struct ipam_owner *o,
		    const struct ipam_vm *vm, struct np_ip *ips, int max, struct np_err *e)
{
	struct np_ip cand[INDEX_IPS];
	int n = read_index(s, o, cand, INDEX_IPS, e);
	if (n == -ENOENT)
		return s->indexed ? 0 : scan_owner(s, o, ips, max, e);
	if (n < 0)
		return n;
	/* The index may name an IP whose lease was never written. */
	int kept = 0;
	for (int i = 0; i < n && kept < max; i++) {
		int state = ipam_store_lease_state(s, &cand[i], o, e);
		int shared = state == IPAM_LEASE_TAKEN && vm ? vm_holds(s, vm, &cand[i], o, e) : 0;
		if (state < 0 || shared < 0)
			return state < 0 ? state : shared;
		if (state == IPAM_LEASE_OURS || shared)
			ips[kept++] = cand[i];
	}
	return kept;
}

/* ---- sticky leases: the VM index ---------------------------------------- */

struct holder {
	struct np_ip ip;
	char cid[256];
	char ifname[IFNAMSIZ];
};
#define MAX_HOLDERS 32

/* The VM index's name, "<ns>@<vm>". Both parts are checked here as what
 * Kubernetes allows (a namespace is a DNS-1123 label, a VM name a
 * subdomain), whatever the caller checked: neither can then hold a '/' or
 * be "..", so no index is read, written or removed outside IPAM_VM_DIR. */
static int vm_file(const struct ipam_vm *vm, char *buf, size_t len, struct np_err *e)
{
	int rc = np_valid_k8s_label(vm->ns, "VM namespace", e);
	if (rc == 0)
		rc = np_valid_k8s_subdomain(vm->name, "VM name", e);
	if (rc < 0)
		return np_err_prefix(e, rc, "IPAM store, sticky lease: ");
	np_owner_filename(vm->ns, vm->name, buf, len);
	return 0;
}

static int vm_dir(struct ipam_store *s, bool create)
{
	int fd = openat(s->dirfd, IPAM_VM_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(s->dirfd, IPAM_VM_DIR, 0700) < 0 && errno != EEXIST)
			return -errno;
		fd = openat(s->dirfd, IPAM_VM_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	return fd < 0 ? -errno : fd;
}

/* "ns\r\nname\n" then "ip cid ifname" lines; unreadable lines are dropped.
 * With ns and name, the header is copied there too (-EBADMSG without one). */
static int vm_read_at(struct ipam_store *s, int dfd, const char *file, struct holder *h, int max,
		      char ns[254], char name[254], struct np_err *e)
{
	char buf[VM_INDEX_MAX];
	int n = read_state(s, dfd, VM_WHERE, file, buf, sizeof(buf), e);
	if (n < 0)
		return n;
	int count = 0;
	char *save = NULL, *first = strtok_r(buf, "\n", &save);
	char *second = first ? strtok_r(NULL, "\n", &save) : NULL;
	if (ns && name) {
		char *cr = first ? strrchr(first, '\r') : NULL;
		if (!cr)
			return -EBADMSG;
		*cr = '\0';
		snprintf(ns, 254, "%.253s", first);
		snprintf(name, 254, "%.253s", second ? second : "");
	}
	for (char *line = second ? strtok_r(NULL, "\n", &save) : NULL; line && count < max;
	     line = strtok_r(NULL, "\n", &save)) {
		char ip[64], cid[256], ifn[IFNAMSIZ];
		if (sscanf(line, "%63s %255s %15s", ip, cid, ifn) == 3 && np_ip_parse(ip, &h[count].ip, NULL) == 0 &&
		    np_valid_container_id(cid, NULL) == 0 && np_valid_ifname(ifn, "ifname", NULL) == 0) {
			strcpy(h[count].cid, cid);
			strcpy(h[count].ifname, ifn);
			count++;
		}
	}
	return count;
}

static int vm_read(struct ipam_store *s, const struct ipam_vm *vm, struct holder *h, int max,
		   struct np_err *e)
{
	char file[400];
	int rc = vm_file(vm, file, sizeof(file), e);
	if (rc < 0)
		return rc;
	int dfd = vm_dir(s, false);
	if (dfd < 0)
		return dfd == -ENOENT ? 0 : np_errf(e, dfd, "IPAM store %s: cannot open %s", s->path, IPAM_VM_DIR);
	int n = vm_read_at(s, dfd, file, h, max, NULL, NULL, e);
	close(dfd);
	return n == -ENOENT ? 0 : n;
}

static int vm_write_at(int dfd, const char *file, const char *ns, const char *name,
		       const struct holder *h, int n, struct np_err *e)
{
	if (n == 0) {
		if (unlinkat(dfd, file, 0) < 0 && errno != ENOENT)
			return np_errf(e, -errno, "IPAM store: cannot remove VM index %s", file);
		return 0;
	}
	char buf[VM_INDEX_MAX], ip[NP_PREFIX_STRLEN];
	size_t off = (size_t)snprintf(buf, sizeof(buf), "%s\r\n%s\n", ns, name);
	for (int i = 0; i < n && off < sizeof(buf); i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s %s %s\n", np_ip_str(&h[i].ip, ip, sizeof(ip)),
					h[i].cid, h[i].ifname);
	if (off >= sizeof(buf))
		return np_errmsg(e, -E2BIG, "IPAM store: VM index %s too large", file);
	return np_atomic_write(dfd, file, buf, off, 0600, 0, e);
}

static int vm_write(struct ipam_store *s, const struct ipam_vm *vm, const struct holder *h, int n,
		    struct np_err *e)
{
	char file[400];
	int rc = vm_file(vm, file, sizeof(file), e);
	if (rc < 0)
		return rc;
	int dfd = vm_dir(s, n > 0);
	if (dfd < 0)
		return dfd == -ENOENT ? 0 : np_errf(e, dfd, "IPAM store %s: cannot open %s", s->path, IPAM_VM_DIR);
	rc = vm_write_at(dfd, file, vm->ns, vm->name, h, n, e);
	close(dfd);
	return rc;
}

static bool is_holder(const struct holder *h, const struct np_ip *ip, const char *cid, const char *ifn)
{
	return np_ip_equal(&h->ip, ip) && !strcmp(h->cid, cid) && !strcmp(h->ifname, ifn);
}

static int vm_holds(struct ipam_store *s, const struct ipam_vm *vm, const struct np_ip *ip,
		    const struct ipam_owner *o, struct np_err *e)
{
	struct holder h[MAX_HOLDERS];
	int n = vm_read(s, vm, h, MAX_HOLDERS, e);
	for (int i = 0; i < n; i++)
		if (is_holder(&h[i], ip, o->container_id, o->ifname))
			return 1;
	return n < 0 ? n : 0;
}

int ipam_store_vm_ips(struct ipam_store *s, const struct ipam_vm *vm, struct np_ip *ips, int max,
		      struct np_err *e)
{
	struct holder h[MAX_HOLDERS];
	int n = vm_read(s, vm, h, MAX_HOLDERS, e), count = 0;
	for (int i = 0; i < n && count < max; i++) {
		bool seen = false;
		for (int k = 0; k < count; k++)
			seen |= np_ip_equal(&ips[k], &h[i].ip);
		if (!seen)
			ips[count++] = h[i].ip;
	}
	return n < 0 ? n : count;
}

int ipam_store_vm_hold(struct ipam_store *s, const struct ipam_vm *vm, const struct np_ip *ips,
		       int n_ips, const struct ipam_owner *o, struct np_err *e)
{
	struct holder h[MAX_HOLDERS];
	int n = vm_read(s, vm, h, MAX_HOLDERS, e), was = n;
	if (n < 0)
		return n;
	for (int k = 0; k < n_ips; k++) {
		bool held = false;
		for (int i = 0; i < n && !held; i++)
			held = is_holder(&h[i], &ips[k], o->container_id, o->ifname);
		if (held)
			continue;
		if (n == MAX_HOLDERS)
			return np_errmsg(e, -E2BIG, "IPAM store %s: VM %s/%s has %d address holders already", s->path,
					 vm->ns, vm->name, MAX_HOLDERS);
		h[n].ip = ips[k];
		snprintf(h[n].cid, sizeof(h[n].cid), "%s", o->container_id);
		snprintf(h[n].ifname, sizeof(h[n].ifname), "%s", o->ifname);
		n++;
	}
	return n == was ? 0 : vm_write(s, vm, h, n, e); /* one write for all of them */
}

int ipam_store_vm_owns_lease(struct ipam_store *s, const struct ipam_vm *vm,
			     const struct np_ip *ip, struct np_err *e)
{
	char name[NP_PREFIX_STRLEN], cur[LEASE_MAX];
	const char *cid, *ifn;
	np_ip_str(ip, name, sizeof(name));
	int n = read_state(s, s->dirfd, "", name, cur, sizeof(cur), e);
	if (n < 0)
		return n == -ENOENT ? 0 : n;
	if (!split_owner(cur, &cid, &ifn))
		return 0;
	struct ipam_owner owner = { cid, ifn };
	return vm_holds(s, vm, ip, &owner, e);
}

/* Gives ip's lease to h (an attachment of the same VM that still holds it). */
static int hand_over(struct ipam_store *s, const struct np_ip *ip, const struct holder *h,
		     struct np_err *e)
{
	char name[NP_PREFIX_STRLEN], content[LEASE_MAX];
	np_ip_str(ip, name, sizeof(name));
	snprintf(content, sizeof(content), "%s\r\n%s", h->cid, h->ifname);
	return np_atomic_write(s->dirfd, name, content, strlen(content), 0600, 0, e);
}

int ipam_store_release(struct ipam_store *s, const struct ipam_owner *o,
		       const struct ipam_vm *vm, struct np_err *e)
{
	struct np_ip ips[INDEX_IPS];
	struct holder h[MAX_HOLDERS];
	int nh = vm ? vm_read(s, vm, h, MAX_HOLDERS, e) : 0;
	if (nh < 0)
		return nh;
	int n = ipam_store_find(s, o, vm, ips, INDEX_IPS, e);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		char name[NP_PREFIX_STRLEN];
		np_ip_str(&ips[i], name, sizeof(name));
		int state = ipam_store_lease_state(s, &ips[i], o, e);
		if (state < 0)
			return state;
		if (state != IPAM_LEASE_OURS)
			continue; /* a shared address whose lease another holder has */
		int heir = -1;
		for (int k = 0; k < nh && heir < 0; k++)
			if (np_ip_equal(&h[k].ip, &ips[i]) && !is_holder(&h[k], &ips[i], o->container_id, o->ifname))
				heir = k;
		int rc = heir >= 0 ? hand_over(s, &ips[i], &h[heir], e) :
			 (unlinkat(s->dirfd, name, 0) < 0 && errno != ENOENT ? -errno : 0);
		if (rc < 0)
			return np_errf(e, rc, "IPAM store %s: cannot release %s", s->path, name);
	}
	if (vm && nh > 0) {
		int kept = 0;
		for (int k = 0; k < nh; k++)
			if (strcmp(h[k].cid, o->container_id) || strcmp(h[k].ifname, o->ifname))
				h[kept++] = h[k];
		int rc = kept != nh ? vm_write(s, vm, h, kept, e) : 0;
		if (rc < 0)
			return rc;
	}
	char iname[400];
	index_name(o, iname, sizeof(iname));
	if (unlinkat(s->ownerfd, iname, 0) < 0 && errno != ENOENT)
		return np_errf(e, -errno, "IPAM store %s: cannot remove owner index", s->path);
	np_atomic_cleanup(s->ownerfd, iname); /* left by a writer killed mid-update */
	return 0;
}

static void hint_name(int set, char *buf, size_t len)
{
	snprintf(buf, len, "last_reserved_ip.%d", set);
}

int ipam_store_last_reserved(struct ipam_store *s, int set, struct np_ip *out, struct np_err *e)
{
	char name[64], buf[128];
	hint_name(set, name, sizeof(name));
	int n = read_state(s, s->dirfd, "", name, buf, sizeof(buf), e);
	if (n < 0)
		return n == -ENOENT ? 0 : n;
	/* host-local writes it in place: a torn value is no hint at all */
	buf[strcspn(buf, "\r\n ")] = '\0';
	return np_ip_parse(buf, out, NULL) == 0;
}

int ipam_store_set_last_reserved(struct ipam_store *s, int set,
				 const struct np_ip *ip, struct np_err *e)
{
	char name[64], buf[NP_PREFIX_STRLEN];
	hint_name(set, name, sizeof(name));
	np_ip_str(ip, buf, sizeof(buf));
	/* Replaced, never written in place: a hard link planted under the name
	 * must not carry the write into another file. No fsync: only a hint. */
	struct np_err we = { 0 };
	int rc = np_atomic_write(s->dirfd, name, buf, strlen(buf), 0600, 0, &we);
	if (rc < 0)
		return np_errmsg(e, rc, "IPAM store %s: %s", s->path, we.msg);
	return 0;
}

void ipam_store_sweep(struct ipam_store *s, int n_sets)
{
	char name[64];
	for (int i = 0; i < n_sets; i++) {
		hint_name(i, name, sizeof(name));
		np_atomic_cleanup(s->dirfd, name);
	}
}

/* The holders of every VM index, for GC. */
struct vm_file {
	char name[256];
	char ns[254], vm[254];
	int n;
	struct holder h[MAX_HOLDERS];
};

/* Unreadable indexes are left out; the first failure is kept in e. */
static int load_vm_files(struct ipam_store *s, struct vm_file **out, int *n, struct np_err *e)
{
	*out = NULL;
	*n = 0;
	int dfd = vm_dir(s, false);
	if (dfd < 0)
		return dfd == -ENOENT ? 0 : dfd;
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -errno;
	}
	struct dirent *de;
	int cap = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof((*out)->name))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			void *nb = realloc(*out, (size_t)cap * sizeof(**out));
			if (!nb)
				break;
			*out = nb;
		}
		struct vm_file *f = &(*out)[*n];
		strcpy(f->name, de->d_name);
		f->n = vm_read_at(s, dirfd(d), de->d_name, f->h, MAX_HOLDERS, f->ns, f->vm, e);
		if (f->n >= 0)
			(*n)++;
	}
	closedir(d);
	return 0;
}

/* One pass of GC over the leases (pass 0) or the owner indexes (pass 1).
 * A file that cannot be read is left alone, and named in e. */
static int gc_pass(struct ipam_store *s, int pass, const struct vm_file *vf, int nvf,
		   bool (*is_valid)(const char *cid, const char *ifname, void *arg),
		   void *arg, int *removed, struct np_err *e)
{
	int dfd = openat(pass == 0 ? s->dirfd : s->ownerfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		int rc = -errno;
		if (dfd >= 0)
			close(dfd);
		return np_errf(e, rc, "IPAM store %s: cannot list leases for GC", s->path);
	}
	int lfd = dirfd(d);
	struct dirent *de;
	while ((de = readdir(d))) {
		struct np_ip ip;
		char cur[INDEX_MAX];
		const char *cid, *ifn;
		if (de->d_name[0] == '.' || (pass == 0 && !name_is_ip(de->d_name, &ip)))
			continue;
		if (read_state(s, lfd, pass == 0 ? "" : OWNER_WHERE, de->d_name, cur, sizeof(cur), e) < 0)
			continue;
		if (!split_owner(cur, &cid, &ifn))
			continue; /* old id-only lease: no ifname to judge by */
		if (is_valid(cid, ifn, arg))
			continue;
		/* a shared lease passes to a holder that is still valid */
		const struct holder *heir = NULL;
		for (int f = 0; pass == 0 && f < nvf && !heir; f++)
			for (int k = 0; k < vf[f].n && !heir; k++)
				if (np_ip_equal(&vf[f].h[k].ip, &ip) && is_valid(vf[f].h[k].cid, vf[f].h[k].ifname, arg))
					heir = &vf[f].h[k];
		if (heir ? hand_over(s, &ip, heir, NULL) == 0 : unlinkat(lfd, de->d_name, 0) == 0)
			*removed += pass == 0 && !heir;
	}
	closedir(d);
	return 0;
}

int ipam_store_gc(struct ipam_store *s,
		  bool (*is_valid)(const char *cid, const char *ifname, void *arg),
		  void *arg, int *removed, struct np_err *e)
{
	struct vm_file *vf;
	int nvf;
	/* the first unreadable file, reported once the sweep is done */
	struct np_err bad = { 0 };
	*removed = 0;
	int rc = load_vm_files(s, &vf, &nvf, &bad);
	if (rc < 0)
		return np_errf(e, rc, "IPAM store %s: cannot read the VM indexes for GC", s->path);
	for (int pass = 0; pass < 2 && rc == 0; pass++)
		rc = gc_pass(s, pass, vf, nvf, is_valid, arg, removed, &bad);
	int vdfd = nvf ? vm_dir(s, false) : -1;
	for (int f = 0; vdfd >= 0 && f < nvf; f++) {
		int kept = 0;
		for (int k = 0; k < vf[f].n; k++)
			if (is_valid(vf[f].h[k].cid, vf[f].h[k].ifname, arg))
				vf[f].h[kept++] = vf[f].h[k];
		if (kept != vf[f].n)
			vm_write_at(vdfd, vf[f].name, vf[f].ns, vf[f].vm, vf[f].h, kept, NULL);
	}
	if (vdfd >= 0)
		close(vdfd);
	free(vf);
	if (bad.code && e && !e->code)
		*e = bad;
	return rc < 0 ? rc : bad.code;
}
