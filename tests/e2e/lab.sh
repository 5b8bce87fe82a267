#!/usr/bin/env bash
# The two-node migration lab (reference lab.md): two network namespaces act
# as nodes, each with two NICs (veth ends standing in: this kernel has no
# dummy device), eth0 on a VM switch and eth1 on a migration switch. Each
# node runs its own libvirtd with a private /run, its own config, an overlay
# on /var and its own host UUID, so nothing of the host's libvirt is used or
# changed. Unless told --bare, netprep setup then builds each node's
# migration network: mig0, a macvlan on eth1 holding 10.77.0.1 (A) or
# 10.77.0.2 (B).
#   tests/e2e/lab.sh up LABDIR PREFIX [--bare]   bring it up, print the node URIs
#   tests/e2e/lab.sh down LABDIR PREFIX          tear it down (only PIDs it started)
# MIGNET_LAB_B_QEMU_USER=USER makes node B's libvirtd run QEMU as USER
# (default root). The lab's guest files are root's, so such a B can only
# be a preflight target: it answers with its capabilities, it runs nothing.
set -euo pipefail
usage="usage: lab.sh up|down LABDIR PREFIX [--bare]"
cmd=${1:?$usage} lab=${2:?LABDIR} p=${3:?PREFIX} bare=${4:-}
[ -z "$bare" ] || [ "$bare" = --bare ] || { echo "$usage" >&2; exit 2; }
# down needs no cache, so a teardown never fails for the want of one
caps=${MIGNET_LAB_CAPS:-}
[ "$cmd" != up ] || [ -n "$caps" ] || { echo "lab.sh: set MIGNET_LAB_CAPS: a directory kept across runs for the QEMU capability cache (a cold probe costs ~8 s)" >&2; exit 2; }
netprep=${MIGNET_BUILD:-build}/netprep
reaper=$(realpath "${MIGNET_BUILD:-build}/tests/lab_reaper" 2>/dev/null || true)

node_ns() { echo "$p-$1"; }
uri() { echo "qemu+unix:///system?socket=$lab/$1/sock/libvirt-sock"; }

down() {
	for n in a b; do
		local pidf=$lab/$n/libvirtd.pid
		# the guests first (ip netns pids: only processes in our namespaces)
		for pid in $(ip netns pids "$(node_ns $n)" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
		[ -f "$pidf" ] && kill -9 "$(cat "$pidf")" 2>/dev/null || true
	done
	for ns in "$p-sw" "$(node_ns a)" "$(node_ns b)"; do ip netns del "$ns" 2>/dev/null || true; done
	rm -rf "$lab"
}

write_conf() { # node uuid-suffix
	local S=$lab/$1
	mkdir -p "$S/etc" "$S/var" "$S/var.wk" "$S/sock" "$S/log"
	cat > "$S/etc/libvirtd.conf" <<CONF
unix_sock_dir = "$S/sock"
unix_sock_rw_perms = "0700"
auth_unix_ro = "none"
auth_unix_rw = "none"
host_uuid = "6d6c6162-0000-4000-8000-00000000000$2"
log_outputs = "3:file:$S/log/libvirtd.log"
CONF
	local user=root
	[ "$1" = b ] && user=${MIGNET_LAB_B_QEMU_USER:-root}
	cat > "$S/etc/qemu.conf" <<CONF
user = "$user"
group = "$user"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
migration_port_min = 49152
migration_port_max = 49215
CONF
}

start_daemon() { # node
	local S=$lab/$1
	# ip netns exec gives the daemon a mount namespace of its own (/ rslave):
	# these mounts are private to it and its QEMU children
	ip netns exec "$(node_ns $1)" sh -c "
		mount -t tmpfs -o mode=0755,size=64m mignet-lab-run /run &&
		mount --bind $S/etc /etc/libvirt &&
		mount -t overlay -o lowerdir=/var,upperdir=$S/var,workdir=$S/var.wk mignet-lab-var /var &&
		mkdir -p /var/cache/libvirt/qemu/capabilities /var/lib/libvirt/qemu /var/log/libvirt/qemu &&
		mount --bind $caps /var/cache/libvirt/qemu/capabilities &&
		exec $reaper libvirtd --daemon --config $S/etc/libvirtd.conf --pid-file $S/libvirtd.pid"
}

wait_ready() { # node: the socket answers (a real condition, bounded at 60 s)
	for _ in $(seq 1 600); do
		virsh -q -c "$(uri $1)" version >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "lab: libvirtd of node $1 did not answer; see $lab/$1/log/libvirtd.log" >&2
	return 1
}

migration_network() { # node address
	cat > "$lab/node-$1.json" <<CONF
{"migration": {"interface": "eth1", "mtu": 1500},
 "macvlanShims": [{"name": "mig0", "master": "eth1", "mode": "bridge", "address": "$2"}]}
CONF
	"$netprep" setup --config "$lab/node-$1.json" --netns "/run/netns/$(node_ns $1)" >/dev/null
}

up() {
	[ -x "$reaper" ] || { echo "lab.sh: ${MIGNET_BUILD:-build}/tests/lab_reaper is missing (make tests builds it)" >&2; exit 2; }
	down
	mkdir -p "$lab" "$caps"
	for ns in "$p-sw" "$(node_ns a)" "$(node_ns b)"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
	for br in br-vm br-mig; do ip -n "$p-sw" link add $br type bridge; ip -n "$p-sw" link set $br up; done
	local i=1
	for n in a b; do
		for nic in eth0:br-vm eth1:br-mig; do
			ip -n "$p-sw" link add "${nic%%:*}-$n" type veth peer name "${nic%%:*}" netns "$(node_ns $n)"
			ip -n "$p-sw" link set "${nic%%:*}-$n" master "${nic#*:}" up
		done
		[ -n "$bare" ] || migration_network "$n" "10.77.0.$i/24"
		write_conf "$n" "$n"
		i=$((i + 1))
	done
	start_daemon a
	start_daemon b
	wait_ready a
	wait_ready b
	echo "A=$(uri a)"
	echo "B=$(uri b)"
}

case $cmd in
up) up ;;
down) down ;;
*) echo "$usage" >&2; exit 2 ;;
esac
