#!/usr/bin/env bash
# CNI faults: kill -9 of the plugin at every syscall of an ADD (and at
# random times), each followed by DEL; then 64 parallel ADDs and DELs on
# one network and 16 ADDs racing to create one bridge. After each: no
# leftover link, lease or temp file, and never a duplicate IP.
set -uo pipefail
build=${MIGNET_BUILD:-build}
plugin=$(cd "$build" && pwd)/mignet-cni
p="${MIGNET_TEST_PREFIX:-mgt}$(printf '%04x' $(( $$ & 0xffff )))f-"
host=${p}h ctr=${p}c
data=$(mktemp -d "${TMPDIR_BASE:-/tmp/mignet-test}-faults.XXXXXX")
cleanup() { ip netns del "$host" 2>/dev/null; ip netns del "$ctr" 2>/dev/null; rm -rf "$data"; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
. tests/lib/suite.sh

ip netns add "$host" && ip netns add "$ctr" || { echo "cannot create namespaces"; exit 1; }
ip -n "$host" link set lo up; ip -n "$ctr" link set lo up
ip -n "$host" link add up0 type veth peer name up0p
ip -n "$host" link set up0 up; ip -n "$host" link set up0p up

conf() { printf '{"cniVersion":"1.0.0","name":"%s","type":"mignet-%s",%s"ipam":{"type":"mignet-ipam","dataDir":"%s","ranges":[[{"subnet":"10.%s.0.0/16"}],[{"subnet":"fd%s::/64"}]]}}' \
	"$1" "$2" "$3" "$data" "$4" "$4"; }
conf kill macvlan '"master":"up0",' 61 > "$data/kill.json"
conf par macvlan '"master":"up0",' 62 > "$data/par.json"

cni() { # COMMAND CID IFNAME CONF [wrapper...]
	local cmd=$1 cid=$2 ifn=$3 cf=$4; shift 4
	ip netns exec "$host" env CNI_COMMAND="$cmd" CNI_CONTAINERID="$cid" CNI_NETNS="/run/netns/$ctr" \
		CNI_IFNAME="$ifn" CNI_PATH=/usr/lib/cni "$@" "$plugin" < "$cf"
}
leases() { find "$data/$1" -type f ! -name lock ! -name 'last_reserved_ip.*' ! -name .all-indexed 2>/dev/null | wc -l; }
temps()  { find "$data" -name '.*tmp*' 2>/dev/null | wc -l; }
links()  { ip -n "$ctr" -o link show | grep -vc ': lo:'; }

# 1. kill -9 at the Nth call of each syscall that changes state, then at
#    random times; DEL must leave nothing behind.
trials=0 kills=0 leftovers=0
kill_trial() { # label, wrapper...
	local label=$1; shift
	trials=$((trials + 1))
	cni ADD k$trials net1 "$data/kill.json" "$@" >/dev/null 2>&1
	[ $? = 137 ] && kills=$((kills + 1)) # past the last such call, ADD just completes
	cni DEL k$trials net1 "$data/kill.json" >/dev/null 2>&1 || { bad "kill: $label" "DEL failed"; leftovers=$((leftovers + 1)); return; }
	local l=$(leases kill) t=$(temps) n=$(links)
	if [ "$l$t$n" != 000 ]; then
		bad "kill: $label" "left $l lease(s), $t temp file(s), $n link(s)"
		leftovers=$((leftovers + 1))
		ip -n "$ctr" link del net1 2>/dev/null; rm -rf "${data:?}/kill"
	fi
}
for sc in sendto:12 openat:30 write:8 linkat:3 renameat:3 setns:8 pwrite64:2 unlinkat:2; do
	for n in $(seq 1 "${sc#*:}"); do
		kill_trial "${sc%:*} #$n" strace -qq -f -o /dev/null -e trace="${sc%:*}" -e inject="${sc%:*}":signal=KILL:when="$n"
	done
done
systematic=$kills
for i in $(seq 1 400); do
	[ $kills -ge $((systematic + 60)) ] && break
	# a random point in time: start the ADD, kill it after 0-3 ms
	# ip netns exec and env exec in place, so $! is the plugin itself
	trials=$((trials + 1))
	ip netns exec "$host" env CNI_COMMAND=ADD CNI_CONTAINERID=k$trials CNI_NETNS="/run/netns/$ctr" \
		CNI_IFNAME=net1 CNI_PATH=/usr/lib/cni "$plugin" < "$data/kill.json" >/dev/null 2>&1 &
	pid=$!
	sleep "0.00$((RANDOM % 4))$((RANDOM % 10))"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	[ $? = 137 ] && kills=$((kills + 1))
	cni DEL k$trials net1 "$data/kill.json" >/dev/null 2>&1
	l=$(leases kill) t=$(temps) n=$(links)
	if [ "$l$t$n" != 000 ]; then
		bad "kill: random #$i" "left $l lease(s), $t temp file(s), $n link(s)"
		leftovers=$((leftovers + 1)); ip -n "$ctr" link del net1 2>/dev/null; rm -rf "${data:?}/kill"
	fi
done
if [ $leftovers = 0 ] && [ $kills -ge 100 ]; then
	ok "kill -9 during ADD then DEL: $kills kills ($systematic at a syscall, $((kills - systematic)) at random times) in $trials trials, nothing left"
elif [ $leftovers = 0 ]; then
	bad "kill -9 during ADD" "only $kills of $trials trials killed the plugin mid-ADD (need 100)"
fi

# 2. 64 parallel ADDs on one network: 64 distinct IPs per family, then
#    64 parallel DELs leave nothing.
for i in $(seq 1 64); do cni ADD par$i p$i "$data/par.json" > "$data/out$i" 2>/dev/null & done; wait
fails=0
for i in $(seq 1 64); do jq -e '.ips | length == 2' "$data/out$i" >/dev/null 2>&1 || fails=$((fails + 1)); done
dups=$(cat "$data"/out* | jq -r '.ips[]?.address' | sort | uniq -d | wc -l)
total=$(cat "$data"/out* | jq -r '.ips[]?.address' | sort -u | wc -l)
if [ $fails = 0 ] && [ "$dups" = 0 ] && [ "$total" = 128 ] && [ "$(links)" = 64 ]; then
	ok "64 parallel ADDs: 128 distinct addresses, 64 links"
else
	bad "64 parallel ADDs" "$fails failed, $dups duplicate(s), $total distinct, $(links) links"
fi
for i in $(seq 1 64); do cni DEL par$i p$i "$data/par.json" >/dev/null 2>&1 & done; wait
if [ "$(leases par)" = 0 ] && [ "$(links)" = 0 ]; then
	ok "64 parallel DELs: no lease, no link left"
else
	bad "64 parallel DELs" "$(leases par) lease(s), $(links) link(s) left"
fi

# 3. 16 ADDs racing to create the same bridge all succeed.
conf race bridge '"bridge":"racebr0",' 63 > "$data/race.json"
rm -f "$data"/out*
for i in $(seq 1 16); do cni ADD race$i r$i "$data/race.json" > "$data/out$i" 2>"$data/err$i" & done; wait
fails=0
for i in $(seq 1 16); do jq -e '.ips | length == 2' "$data/out$i" >/dev/null 2>&1 || fails=$((fails + 1)); done
ports=$(ip -n "$host" -o link show master racebr0 | wc -l)
if [ $fails = 0 ] && [ "$ports" = 16 ]; then ok "16 ADDs racing to create one bridge: all attached"
else bad "bridge race" "$fails failed ($(cat "$data"/err* | sort -u | head -2)), $ports ports"; fi
for i in $(seq 1 16); do cni DEL race$i r$i "$data/race.json" >/dev/null 2>&1 & done; wait
[ "$(leases race)" = 0 ] && [ "$(links)" = 0 ] && ok "bridge race DELs: nothing left" || bad "bridge race DELs" "leftovers"

finish
