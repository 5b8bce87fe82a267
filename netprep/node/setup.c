#include "setup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "link.h"
#include "sysctl.h"

#define MAX_UNDO 128

enum undo_kind { U_DELETE, U_MTU, U_MASTER, U_DOWN, U_ADDR, U_GSYSCTL, U_NSYSCTL };

struct undo {
	enum undo_kind kind;
	char name[IFNAMSIZ];
	char master[IFNAMSIZ];   /* U_MASTER: previous master, "" none */
	unsigned int mtu;
	struct np_prefix addr;
	char key[128], value[32];
};

struct run {
	const struct setup_opts *o;
	struct np_nl *nl;
	struct undo undo[MAX_UNDO];
	int n_undo, changes;
	bool full; /* a change was held back: it could not have been undone */
};

static void push(struct run *r, struct undo u)
{
	if (r->n_undo < MAX_UNDO)
		r->undo[r->n_undo++] = u;
}

/* Prints the step; returns true when it must really be done. */
static bool step(struct run *r, const char *what)
{
	/* every change must be undoable: with the log full, the change is not
	 * made (the run goes on as a dry run would) and the run fails */
	if (!r->o->dry_run && r->n_undo >= MAX_UNDO) {
		r->full = true;
		return false;
	}
	r->changes++;
	fprintf(r->o->out, "  %s %s\n", r->o->dry_run ? "would" : "+", what);
	return !r->o->dry_run;
}

static void same(struct run *r, const char *what)
{
	fprintf(r->o->out, "  = %s\n", what);
}

static int gsysctl_path(const struct run *r, const char *key, char *buf, size_t len)
{
	return (size_t)snprintf(buf, len, "%s/%s", r->o->proc_sys ? r->o->proc_sys : "/proc/sys", key) < len ? 0 : -ENAMETOOLONG;
}

static int gsysctl_get(const struct run *r, const char *key, char *val, size_t len)
{
	char path[512];
	if (gsysctl_path(r, key, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, val, len - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	val[n] = '\0';
	val[strcspn(val, "\n ")] = '\0';
	return 0;
}

static int gsysctl_set(const struct run *r, const char *key, const char *val, struct np_err *e)
{
	char path[512];
	if (gsysctl_path(r, key, path, sizeof(path)) < 0)
		return np_errmsg(e, -ENAMETOOLONG, "sysctl path too long");
	int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return np_errf(e, -errno, "sysctl %s: cannot open", path);
	ssize_t w = write(fd, val, strlen(val));
	int rc = w == (ssize_t)strlen(val) ? 0 : -errno;
	close(fd);
	return rc < 0 ? np_errf(e, rc, "sysctl %s: cannot write %s", path, val) : 0;
}

static int ensure_up(struct run *r, const struct np_link_info *li, struct np_err *e)
{
	char what[96];
	if (li->flags & IFF_UP)
		return 0;
	snprintf(what, sizeof(what), "set %s up", li->name);
	if (step(r, what)) {
		int rc = np_link_set_up(r->nl, li->name, true, e);
		if (rc < 0)
			return rc;
		struct undo u = { .kind = U_DOWN };
		snprintf(u.name, sizeof(u.name), "%s", li->name);
		push(r, u);
	}
	return 0;
}

static int ensure_mtu(struct run *r, const struct np_link_info *li, unsigned int mtu, struct np_err *e)
{
	char what[96];
	if (!mtu || li->mtu == mtu)
		return 0;
	snprintf(what, sizeof(what), "set MTU of %s %u -> %u", li->name, li->mtu, mtu);
	if (step(r, what)) {
		int rc = np_link_set_mtu(r->nl, li->name, mtu, e);
		if (rc < 0)
			return rc;
		struct undo u = { .kind = U_MTU, .mtu = li->mtu };
		snprintf(u.name, sizeof(u.name), "%s", li->name);
		push(r, u);
	}
	return 0;
}

static int ensure_addr(struct run *r, const char *ifname, const struct np_prefix *p, struct np_err *e);

/* A link that must exist (or be created by create()); returns 1 when it
 * was just created (or would be, in a dry run). */
static int get_or_create(struct run *r, const char *name, const char *kind, const char *what,
			 int (*create)(struct run *, void *, struct np_err *), void *arg,
			 struct np_link_info *li, struct np_err *e)
{
	int rc = np_link_get(r->nl, name, li, NULL);
	if (rc == 0) {
		if (strcmp(li->kind, kind))
			return np_errmsg(e, -EEXIST, "%s: \"%s\" exists but is a %s link, not a %s (rename or remove it)",
					 r->nl->where, name, li->kind[0] ? li->kind : "plain", kind);
		return 0;
	}
	if (!step(r, what)) {
		/* a dry run, or a full undo log: nothing was made to read back */
		memset(li, 0, sizeof(*li));
		snprintf(li->name, sizeof(li->name), "%s", name);
		return 1;
	}
	rc = create(r, arg, e);
	if (rc < 0)
		return rc;
	struct undo u = { .kind = U_DELETE };
	snprintf(u.name, sizeof(u.name), "%s", name);
	push(r, u);
	rc = np_link_get(r->nl, name, li, e);
	return rc < 0 ? rc : 1;
}

static int create_bridge(struct run *r, void *arg, struct np_err *e)
{
	const struct nc_bridge *b = arg;
	struct np_link_attrs a = { .name = b->name, .mtu = b->mtu, .up = true };
	return np_link_create_bridge(r->nl, &a, e);
}

struct vlan_arg {
	const struct nc_bridge *b;
	char name[IFNAMSIZ];
};

static int create_vlan(struct run *r, void *arg, struct np_err *e)
{
	const struct vlan_arg *v = arg;
	struct np_link_attrs a = { .name = v->name, .up = true };
	return np_link_create_vlan(r->nl, &a, v->b->uplink, (uint16_t)v->b->vlan, e);
}

static int ensure_bridge(struct run *r, const struct nc_bridge *b, struct np_err *e)
{
	struct np_link_info br, port, up;
	char what[128];
	snprintf(what, sizeof(what), "create bridge %s%s", b->name, b->mtu ? " (with its MTU)" : "");
	int made = get_or_create(r, b->name, "bridge", what, create_bridge, (void *)b, &br, e);
	if (made < 0)
		return made;
	if (made == 0) {
		int rc = ensure_mtu(r, &br, b->mtu, e);
		if (rc == 0)
			rc = ensure_up(r, &br, e);
		if (rc < 0)
			return rc;
	}
	if (!b->uplink[0]) {
		if (!made)
			same(r, b->name);
		return 0;
	}
	if (np_link_get(r->nl, b->uplink, &up, NULL) < 0)
		return np_errmsg(e, -ENODEV, "%s: uplink \"%s\" of bridge %s does not exist", r->nl->where,
				 b->uplink, b->name);
	struct vlan_arg v = { .b = b };
	snprintf(v.name, sizeof(v.name), "%s", b->uplink);
	if (b->vlan) {
		if ((size_t)snprintf(v.name, sizeof(v.name), "%.10s.%u", b->uplink, b->vlan) >= sizeof(v.name))
			return np_errmsg(e, -EINVAL, "VLAN interface name for %s.%u is too long", b->uplink, b->vlan);
		snprintf(what, sizeof(what), "create VLAN %s (id %u on %s)", v.name, b->vlan, b->uplink);
		int vm = get_or_create(r, v.name, "vlan", what, create_vlan, &v, &port, e);
		if (vm < 0)
			return vm;
		if (vm == 0 && port.vlan_id != (int)b->vlan)
			return np_errmsg(e, -EEXIST, "%s: %s exists with VLAN id %d, not %u", r->nl->where, v.name,
					 port.vlan_id, b->vlan);
		if (vm == 1 && r->o->dry_run) {
			snprintf(what, sizeof(what), "enslave %s to %s", v.name, b->name);
			step(r, what);
			return 0;
		}
	} else {
		port = up;
	}
	if (made == 1 && r->o->dry_run) {
		snprintf(what, sizeof(what), "enslave %s to %s", v.name, b->name);
		step(r, what);
		return 0;
	}
	if (port.master != br.ifindex) {
		struct np_link_info old;
		snprintf(what, sizeof(what), "enslave %s to %s", v.name, b->name);
		if (step(r, what)) {
			int rc = np_link_set_master(r->nl, v.name, b->name, e);
			if (rc < 0)
				return rc;
			struct undo u = { .kind = U_MASTER };
			snprintf(u.name, sizeof(u.name), "%s", v.name);
			if (port.master && np_link_get_by_index(r->nl, port.master, &old, NULL) == 0)
				snprintf(u.master, sizeof(u.master), "%s", old.name);
			push(r, u);
		}
	} else if (!made) {
		snprintf(what, sizeof(what), "%s with port %s", b->name, v.name);
		same(r, what);
	}
	return ensure_up(r, &port, e);
}

struct addr_has {
	const struct np_prefix *p;
	bool found;
};

static int addr_has_cb(const struct np_addr_info *a, void *arg)
{
	struct addr_has *h = arg;
	if (a->prefix.len == h->p->len && np_ip_equal(&a->prefix.ip, &h->p->ip))
		h->found = true;
	return 0;
}

static int ensure_addr(struct run *r, const char *ifname, const struct np_prefix *p, struct np_err *e)
{
	struct addr_has h = { p, false };
	char what[128], ps[NP_PREFIX_STRLEN];
	if (np_addr_list(r->nl, ifname, p->ip.family, addr_has_cb, &h, NULL) == 0 && h.found)
		return 0;
	snprintf(what, sizeof(what), "add address %s to %s", np_prefix_str(p, ps, sizeof(ps)), ifname);
	if (step(r, what)) {
		int rc = np_addr_add(r->nl, ifname, p, NP_ADDR_NODAD, e);
		if (rc < 0)
			return rc;
		struct undo u = { .kind = U_ADDR, .addr = *p };
		snprintf(u.name, sizeof(u.name), "%s", ifname);
		push(r, u);
	}
	return 0;
}

/* A sysctl to the wanted value, undone on rollback: host-wide (under
 * --proc-sys) or of the node's namespace. LABEL is how messages name it. */
static int ensure_sysctl(struct run *r, bool host_wide, const char *key, const char *label,
			 const char *want, const char *why, struct np_err *e)
{
	char cur[32], what[192];
	int rc = host_wide ? gsysctl_get(r, key, cur, sizeof(cur))
			   : np_sysctl_get(r->o->netns, key, cur, sizeof(cur), e);
	if (rc < 0)
		return host_wide ? np_errf(e, rc, "sysctl %s: cannot read%s", label, why) : rc;
	if (!strcmp(cur, want)) {
		snprintf(what, sizeof(what), "%s = %s", label, want);
		same(r, what);
		return 0;
	}
	snprintf(what, sizeof(what), "sysctl %s %s -> %s%s", label, cur, want, why);
	if (!step(r, what))
		return 0;
	rc = host_wide ? gsysctl_set(r, key, want, e) : np_sysctl_set(r->o->netns, key, want, e);
	if (rc < 0)
		return rc;
	struct undo u = { .kind = host_wide ? U_GSYSCTL : U_NSYSCTL };
	snprintf(u.key, sizeof(u.key), "%s", key);
	snprintf(u.value, sizeof(u.value), "%s", cur);
	push(r, u);
	return 0;
}

/* Else a master answers ARP for its macvlans' addresses too, and peers
 * that learn its MAC send around the macvlan. */
static int ensure_arp_ignore(struct run *r, const char *master, const char *whose, struct np_err *e)
{
	char key[64], why[96];
	snprintf(key, sizeof(key), "net/ipv4/conf/%s/arp_ignore", master);
	snprintf(why, sizeof(why), " (ARP for %s answered by %s only)", whose, whose);
	return ensure_sysctl(r, false, key, key, "1", why, e);
}

static int ensure_migration(struct run *r, const struct nc_node *n, struct np_err *e)
{
	struct np_link_info li;
	if (np_link_get(r->nl, n->migration_iface, &li, NULL) < 0)
		return np_errmsg(e, -ENODEV, "%s: migration interface \"%s\" does not exist (a NIC cannot be created; "
				 "check the node's cabling and driver)", r->nl->where, n->migration_iface);
	int changes = r->changes;
	int rc = ensure_mtu(r, &li, n->migration_mtu, e);
	if (rc == 0)
		rc = ensure_up(r, &li, e);
	if (rc == 0 && n->has_migration_address)
		rc = ensure_addr(r, n->migration_iface, &n->migration_address, e);
	if (rc == 0)
		rc = ensure_arp_ignore(r, n->migration_iface, "the migration network's macvlans", e);
	if (rc == 0 && changes == r->changes)
		same(r, "migration interface as declared");
	return rc;
}

static int create_shim(struct run *r, void *arg, struct np_err *e)
{
	const struct nc_shim *s = arg;
	struct np_link_attrs a = { .name = s->name, .up = true };
	struct np_macvlan_opts o = { .master = s->master, .mode = s->mode };
	return np_link_create_macvlan(r->nl, &a, &o, e);
}

static int ensure_shim(struct run *r, const struct nc_shim *s, struct np_err *e)
{
	struct np_link_info li;
	char what[128];
	snprintf(what, sizeof(what), "create macvlan shim %s on %s (%s)", s->name, s->master,
		 np_macvlan_mode_name(s->mode));
	int made = get_or_create(r, s->name, "macvlan", what, create_shim, (void *)s, &li, e);
	if (made < 0)
		return made;
	if (made == 1 && r->o->dry_run)
		return 0;
	int rc = ensure_up(r, &li, e);
	if (rc == 0 && s->has_address)
		rc = ensure_addr(r, s->name, &s->address, e);
	if (rc == 0 && s->has_address && s->address.ip.family == AF_INET)
		rc = ensure_arp_ignore(r, s->master, "the shim", e);
	return rc;
}

static int ensure_sysctls(struct run *r, const struct nc_node *n, struct np_err *e)
{
	int rc = 0;
	if (n->post_copy)
		rc = ensure_sysctl(r, true, "vm/unprivileged_userfaultfd", "vm.unprivileged_userfaultfd", "1",
				   " (post-copy for non-root QEMU)", e);
	if (rc == 0 && n->bridge_netfilter >= 0) {
		const char *key = "net/bridge/bridge-nf-call-iptables";
		rc = ensure_sysctl(r, false, key, key, n->bridge_netfilter ? "1" : "0", "", e);
		if (rc == -ENOENT) { /* the namespace was entered before: the key is what is missing */
			np_err_clear(e);
			fprintf(r->o->out, "  ! %s is absent (br_netfilter not loaded): nothing to set\n", key);
			rc = 0;
		}
	}
	return rc;
}

static void rollback(struct run *r)
{
	for (int i = r->n_undo - 1; i >= 0; i--) {
		const struct undo *u = &r->undo[i];
		char ps[NP_PREFIX_STRLEN];
		int rc = 0;
		switch (u->kind) {
		case U_DELETE: rc = np_link_delete(r->nl, u->name, NULL); break;
		case U_MTU: rc = np_link_set_mtu(r->nl, u->name, u->mtu, NULL); break;
		case U_MASTER: rc = np_link_set_master(r->nl, u->name, u->master[0] ? u->master : NULL, NULL); break;
		case U_DOWN: rc = np_link_set_up(r->nl, u->name, false, NULL); break;
		case U_ADDR: rc = np_addr_del(r->nl, u->name, &u->addr, NULL); break;
		case U_GSYSCTL: rc = gsysctl_set(r, u->key, u->value, NULL); break;
		case U_NSYSCTL: rc = np_sysctl_set(r->o->netns, u->key, u->value, NULL); break;
		}
		fprintf(r->o->out, "  - undo %s %s%s\n",
			u->kind == U_DELETE ? "create of" : u->kind == U_MTU ? "MTU of" :
			u->kind == U_MASTER ? "enslaving of" : u->kind == U_DOWN ? "up of" :
			u->kind == U_ADDR ? np_prefix_str(&u->addr, ps, sizeof(ps)) : "sysctl",
			u->kind == U_GSYSCTL || u->kind == U_NSYSCTL ? u->key : u->name,
			rc < 0 ? " (FAILED: fix by hand)" : "");
	}
}

int np_setup(const struct nc_node *n, const struct setup_opts *o, struct np_err *e)
{
	struct run *r = calloc(1, sizeof(*r));
	struct np_nl *nl = np_nl_alloc();
	if (!r || !nl) {
		free(r);
		free(nl);
		return np_errmsg(e, -ENOMEM, "out of memory");
	}
	r->o = o;
	r->nl = nl;
	int rc = np_nl_open(nl, o->netns, e);
	for (int i = 0; rc == 0 && i < n->n_bridges; i++)
		rc = ensure_bridge(r, &n->bridges[i], e);
	if (rc == 0 && n->has_migration)
		rc = ensure_migration(r, n, e);
	for (int i = 0; rc == 0 && i < n->n_shims; i++)
		rc = ensure_shim(r, &n->shims[i], e);
	if (rc == 0)
		rc = ensure_sysctls(r, n, e);
	if (rc == 0 && r->full)
		rc = np_errmsg(e, -E2BIG, "node.json needs more than %d changes in one run, more than setup can undo; split it",
			       MAX_UNDO);
	if (rc < 0 && nl->sock) {
		fprintf(o->out, "  ! failed: %s\n  rolling back %d change(s)\n", e->msg, r->n_undo);
		rollback(r);
	}
	int changes = r->changes;
	np_nl_close(nl);
	free(nl);
	free(r);
	return rc < 0 ? rc : changes;
}
