#!/usr/bin/env bash
# The two-node migration lab (reference lab.md): two network namespaces act
# as nodes joined by a migration network; each runs its own libvirtd with
# a private /run, its own config, an overlay on /var and its own host UUID,
# so nothing of the host's libvirt is used or changed.
#   tests/e2e/lab.sh up LABDIR PREFIX     bring it up, print the node URIs
#   tests/e2e/lab.sh down LABDIR PREFIX   tear it down (only PIDs it started)
set -euo pipefail
cmd=${1:?usage: lab.sh up|down LABDIR PREFIX} lab=${2:?LABDIR} p=${3:?PREFIX}
caps=${MIGNET_LAB_CAPS:?set MIGNET_LAB_CAPS: a directory kept across runs for the QEMU capability cache (a cold probe costs ~8 s)}

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
	cat > "$S/etc/qemu.conf" <<CONF
user = "root"
group = "root"
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
		exec libvirtd --daemon --config $S/etc/libvirtd.conf --pid-file $S/libvirtd.pid"
}

wait_ready() { # node: the socket answers (a real condition, bounded at 60 s)
	for _ in $(seq 1 600); do
		virsh -q -c "$(uri $1)" version >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "lab: libvirtd of node $1 did not answer; see $lab/$1/log/libvirtd.log" >&2
	return 1
}

up() {
	down
	mkdir -p "$lab" "$caps"
	for ns in "$p-sw" "$(node_ns a)" "$(node_ns b)"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
	ip -n "$p-sw" link add br-mig type bridge
	ip -n "$p-sw" link set br-mig up
	local i=1
	for n in a b; do
		ip -n "$p-sw" link add "veth-$n" type veth peer name mig0 netns "$(node_ns $n)"
		ip -n "$p-sw" link set "veth-$n" master br-mig up
		ip -n "$(node_ns $n)" link set mig0 up
		ip -n "$(node_ns $n)" addr add "10.77.0.$i/24" dev mig0
		write_conf "$n" "$( [ $n = a ] && echo a || echo b)"
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
*) echo "usage: lab.sh up|down LABDIR PREFIX" >&2; exit 2 ;;
esac
