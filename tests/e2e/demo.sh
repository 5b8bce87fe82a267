#!/usr/bin/env bash
# make demo: two namespace "nodes" joined by a migration network, read and
# checked through mignet's own netlink core. Every step prints the command
# it runs so it can be repeated by hand, and every claim is asserted.
set -euo pipefail
build=${1:-build}
np="$build/netprep"
cni="$build/mignet-macvlan"
p="mdemo$(printf '%04x' $(( $$ & 0xffff )))"
sw=$p-sw a=$p-a b=$p-b
t0=$(date +%s%N)
step=0 timings=()

say()  { printf '\n\033[1m%d. %s\033[0m\n' "$((++step))" "$*"; }
# Commands are echoed on stderr so that $(run ...) captures only their output.
run()  { printf '   $ %s\n' "$*" >&2; "$@"; }
fail() { printf '\nDEMO FAILED at step %d: %s\n' "$step" "$*" >&2; exit 1; }
mark() { local now; now=$(date +%s%N); timings+=("$(printf '%-52s %6d ms' "$1" $(( (now - t0) / 1000000 )))"); t0=$now; }

teardown() {
	for ns in "$sw" "$a" "$b"; do ip netns del "$ns" 2>/dev/null || true; done
}
trap teardown EXIT
trap 'teardown; exit 130' INT TERM

[ "$(id -u)" = 0 ] || fail "run as root: the demo creates network namespaces"

say "Build two lab nodes ($a, $b) and a switch ($sw) in network namespaces"
echo "   Nothing touches this machine's own NICs: all links live in these namespaces."
for ns in "$sw" "$a" "$b"; do run ip netns add "$ns"; ip -n "$ns" link set lo up; done
run ip -n "$sw" link add br-mig type bridge
run ip -n "$sw" link set br-mig up
for n in a b; do
	ns=$p-$n
	run ip -n "$sw" link add "veth-$n" type veth peer name migration0 netns "$ns"
	run ip -n "$sw" link set "veth-$n" master br-mig up
	run ip -n "$ns" link set migration0 mtu 1400 up
done
run ip -n "$a" addr add 10.77.0.1/24 dev migration0
run ip -n "$b" addr add 10.77.0.2/24 dev migration0
run ip -n "$b" addr add fd77::2/64 dev migration0 nodad
mark "lab network up"

say "Read node B's links with mignet's netlink core (netprep links)"
run "$np" links --netns "/run/netns/$b"
mtu=$("$np" links --netns "/run/netns/$b" --json | jq -r '.[] | select(.name=="migration0") | .mtu')
[ "$mtu" = 1400 ] || fail "netprep links reports MTU $mtu for migration0, expected 1400"
echo "   -> migration0 on node B has MTU $mtu, as configured."
mark "inventory read"

say "Pick node B's migration address (netprep address), as the source would"
addr=$(run "$np" address --netns "/run/netns/$b")
echo "   -> $addr"
[ "$addr" = 10.77.0.2 ] || fail "picked $addr, expected 10.77.0.2"
addr6=$(run "$np" address --netns "/run/netns/$b" --family 6)
echo "   -> $addr6 (IPv6 comes bracketed, ready for tcp://$addr6:49152)"
[ "$addr6" = "[fd77::2]" ] || fail "picked $addr6, expected [fd77::2]"
mark "migration address picked"

say "Check that node A reaches that address over the migration network"
echo "   A TCP connect to a closed port must be refused (a RST came back),"
echo "   not fail with 'No route to host'."
out=$(ip netns exec "$a" bash -c "exec 3<>/dev/tcp/$addr/49152" 2>&1 || true)
printf '   $ ip netns exec %s bash -c "exec 3<>/dev/tcp/%s/49152"\n   %s\n' "$a" "$addr" "$out"
case "$out" in *"Connection refused"*) ;; *) fail "node A cannot reach $addr: $out" ;; esac
mark "reachability checked"

say "Break it: node B's migration interface loses its address"
run ip -n "$b" addr flush dev migration0 scope global
echo "   Node B also has a default-route interface, eth-def (a veth stand-in for its NIC):"
run ip -n "$b" link add eth-def type veth peer name eth-def-p
run ip -n "$b" link set eth-def up
run ip -n "$b" link set eth-def-p up
run ip -n "$b" addr add 192.168.77.2/24 dev eth-def
run ip -n "$b" route add default via 192.168.77.1
echo "   KubeVirt's virt-handler crash-loops here. netprep falls back with a warning:"
addr=$(run "$np" address --netns "/run/netns/$b")
echo "   -> $addr"
[ "$addr" = 192.168.77.2 ] || fail "fallback picked $addr, expected 192.168.77.2"
echo "   With --strict the fallback is refused (exit 1):"
set +e
run "$np" address --netns "/run/netns/$b" --strict
rc=$?
set -e
[ $rc = 1 ] || fail "--strict exited $rc, expected 1"
mark "fallback and --strict shown"

say "Ask the mignet CNI plugin which spec versions it speaks (CNI VERSION)"
printf '   $ echo %s | CNI_COMMAND=VERSION %s\n' "'{\"cniVersion\":\"1.0.0\"}'" "$cni"
v=$(echo '{"cniVersion":"1.0.0"}' | CNI_COMMAND=VERSION "$cni")
echo "   $v"
[ "$(jq -r .cniVersion <<<"$v")" = 1.0.0 ] || fail "VERSION did not echo 1.0.0"
mark "CNI VERSION"

say "Tear down and check that nothing is left"
teardown
left=$(ip netns list | awk '{print $1}' | grep "^$p" || true)
[ -z "$left" ] || fail "left behind: $left"
echo "   no namespace with prefix $p remains"
mark "teardown"

printf '\nSummary\n'
printf '   %s\n' "${timings[@]}"
echo "demo: all claims checked."
