#!/usr/bin/env bash
# mignet-ipam in cluster mode (datastore "etcd") on a real three-member
# etcd (tests/lib/etcd_world.sh), driven as kubelet drives mignet-macvlan
# on three nodes whose NAD has whereabouts' keys and whose store settings
# come from the node file: 3 nodes x 32 ADDs racing on one /25 give no
# duplicate (results and kernel); the range fills to the same count twice
# with every DEL in between; ADDs keep succeeding through kill -9 of one
# member; with quorum lost an ADD fails with code 11 within 6 s leaving no
# link, and DEL still removes the link (its release waits for the store).
set -uo pipefail
build=${MIGNET_BUILD:-build}
plugin=$(cd "$build" && pwd)/mignet-cni
ctl=$(cd "$build" && pwd)/tests/storectl
. tests/lib/suite.sh
. tests/lib/etcd_world.sh
ew_init
ew_net || { echo "cannot create the namespaces"; exit 1; }
ew_start || { echo "etcd did not start"; exit 1; }
d=$EW_DIR
for i in 1 2 3; do
	n=${EW_NODE[$i]} pod=${EW_P}p$i
	ip -n "$n" link add up0 type veth peer name up0p && ip -n "$n" link set up0 up && ip -n "$n" link set up0p up
	ip netns add "$pod" && ip -n "$pod" link set lo up
done
printf '{"datastore":"etcd","etcd_host":"%s"}\n' "$EW_ENDPOINTS" > "$d/mignet.conf"
# the seeds' NAD with whereabouts' keys, "type" changed; the node file path
# is the test's own (configuration_path)
printf '{"cniVersion":"1.0.0","name":"migration","type":"mignet-macvlan","master":"up0","vifCacheDir":"%s/vc","ipam":{"type":"mignet-ipam","range":"10.77.0.0/25","configuration_path":"%s/mignet.conf"}}' \
	"$d" "$d" > "$d/net.json"

# cni NODE COMMAND CID IFNAME: on node NODE, for its pod namespace
cni() {
	ip netns exec "${EW_NODE[$1]}" env CNI_COMMAND="$2" CNI_CONTAINERID="$3" CNI_NETNS="/run/netns/${EW_P}p$1" \
		CNI_IFNAME="$4" CNI_PATH=/usr/lib/cni timeout 20 "$plugin" < "${conf:-$d/net.json}" 2>>"$d/stderr"
}
sc() { ip netns exec "${EW_NODE[1]}" "$ctl" --endpoints "$EW_ENDPOINTS" "$@"; }
links() { local n=0 i; for i in 1 2 3; do n=$((n + $(ip -n "${EW_P}p$i" -o link show | grep -vc ': lo:'))); done; echo $n; }
kernel_ips() { local i; for i in 1 2 3; do ip -n "${EW_P}p$i" -4 -o addr show | awk '$2 != "lo" {print $4}'; done; }
held() { sc list /mignet/ipam/migration/ip/ | wc -l; }

# add_retry NODE CID IFNAME: ADD as kubelet does it: an ADD that fails with
# code 11 (try again later) is followed by DEL and tried again, 3 times at
# most; each retry is counted in $d/retries. Result in $d/r/NODE-J(.rc).
add_retry() {
	local f=$d/r/$1-${3#m} try rc
	for try in 1 2 3; do
		cni "$1" ADD "$2" "$3" > "$f"; rc=$?
		[ $rc = 0 ] || [ "$(jq -r .code "$f" 2>/dev/null)" != 11 ] || [ $try = 3 ] && break
		echo "$2" >> "$d/retries"
		cni "$1" DEL "$2" "$3" >/dev/null
	done
	echo $rc > "$f.rc"
}
retries() { local n=0; [ -f "$d/retries" ] && n=$(wc -l < "$d/retries"); : > "$d/retries"; echo "$n"; }

# par_add TAG PER-NODE: PER-NODE ADDs on each node at once; results in $d/r
par_add() {
	local tag=$1 per=$2 i j w pids=()
	rm -rf "$d/r"; mkdir -p "$d/r"
	for i in 1 2 3; do for w in $(seq 1 "$inflight"); do
		( for ((j = w; j <= per; j += inflight)); do add_retry $i "$tag-$i-$j" "m$j"; done ) &
		pids+=($!)
	done; done
	wait "${pids[@]}" # not bare wait: the etcd members are children too
}
# ADDs in flight per node: 8 by default, so that a sanitizer build on a
# loaded 2-core machine still answers within the store's 5 s budget (96
# sanitized plugins at once there spend it waiting for a CPU);
# MIGNET_ETCD_INFLIGHT=32 starts all 96 at once.
inflight=${MIGNET_ETCD_INFLIGHT:-8}
par_del() {
	local tag=$1 per=$2 i j pids=()
	for i in 1 2 3; do for j in $(seq 1 "$per"); do cni $i DEL "$tag-$i-$j" "m$j" >/dev/null & pids+=($!); done; done
	wait "${pids[@]}"
}
ok_count() { grep -lx 0 "$d"/r/*.rc 2>/dev/null | wc -l; }
result_ips() { local f; for f in "$d"/r/*-*[0-9]; do jq -r '.ips[0].address // empty' "$f" 2>/dev/null; done; }

# ---- 96 ADDs from 3 nodes racing on a /25 ----------------------------------
t0=$(date +%s%N)
par_add a 32
t1=$(date +%s%N)
ok=$(ok_count); res=$(result_ips | sort); kern=$(kernel_ips | sort)
dup_r=$(uniq -d <<<"$res" | wc -l); dup_k=$(uniq -d <<<"$kern" | wc -l)
why="$ok of 96 succeeded in $(( (t1 - t0) / 1000000 )) ms; $(wc -l <<<"$res") result IPs, $dup_r duplicated; $(wc -l <<<"$kern") kernel IPs, $dup_k duplicated; first errors: $(cat "$d"/r/*-*[0-9] | grep -m2 msg)"
check "3 nodes x 32 ADDs racing on one /25 ($((3 * inflight)) in flight): all succeed (kubelet's retry of code 11), no duplicate in the results" \
	test "$ok" = 96 -a "$(wc -l <<<"$res")" = 96 -a "$dup_r" = 0
check "... nor in the kernel (96 distinct addresses on the pods' links)" \
	test "$(wc -l <<<"$kern")" = 96 -a "$dup_k" = 0 -a "$res" = "$kern"
echo "# 96 ADDs over 3 nodes, $((3 * inflight)) in flight: $(( (t1 - t0) / 1000000 )) ms, $(retries) retried after code 11"
bad_net=$(grep -cx '10.77.0.0/25\|10.77.0.127/25' <<<"$res")
why="$bad_net results are the network or broadcast address"
check "neither the network nor the broadcast address is handed out" test "$bad_net" = 0
own=$(sc list /mignet/ipam/migration/owner/a-1-1/m1/ | awk '{print $1}')
why="owner keys of a-1-1/m1: $own; result $(jq -r '.ips[0].address' "$d/r/1-1")"
check "the owner key of an attachment names its address" \
	test "${own##*/}/25" = "$(jq -r '.ips[0].address' "$d/r/1-1")"
par_del a 32
why="links left $(links), addresses held $(held)"
check "after every DEL: no link, no address held in etcd" test "$(links)" = 0 -a "$(held)" = 0

# ---- the range fills to the same count twice ---------------------------------
# (three ADDs at a time: the parallel race is above, this is about leaks)
# seq_add TAG PER-NODE: the three nodes at once, each one ADD after another
seq_add() {
	local tag=$1 per=$2 i j pids=()
	rm -rf "$d/r"; mkdir -p "$d/r"
	for i in 1 2 3; do
		( for j in $(seq 1 "$per"); do add_retry $i "$tag-$i-$j" "m$j"; done ) &
		pids+=($!)
	done
	wait "${pids[@]}"
}
fill() {
	seq_add "f$1" 42
	local n; n=$(ok_count); echo "# fill $1: $n ADDs, $(retries) retried after code 11; $(cat "$d"/r/*-*[0-9] | jq -r ".msg // empty" 2>/dev/null | sort | uniq -c | sort -rn | head -2)" >&2
	out=$(cni 1 ADD "f$1-extra" mx); rc=$?
	msg=$(jq -r .msg <<<"$out" 2>/dev/null)
	echo "$n $rc"
	[ "$1" = 1 ] && printf '%s' "$msg" > "$d/exhausted"
	cni 1 DEL "f$1-extra" mx >/dev/null
	par_del "f$1" 42
}
read -r n1 rc1 <<<"$(fill 1)"
left1=$(held); links1=$(links)
read -r n2 rc2 <<<"$(fill 2)"
why="first fill $n1 (then ADD status $rc1), second $n2 (then $rc2), held between $left1, links $links1; msg: $(cat "$d/exhausted")"
check "the /25 fills to 126 addresses, twice, with every DEL between: nothing leaked" \
	test "$n1" = 126 -a "$n2" = 126 -a "$left1" = 0 -a "$links1" = 0 -a "$(held)" = 0
grep -q "10.77.0.0/25" "$d/exhausted" && grep -q "no free address" "$d/exhausted"
why="message: $(cat "$d/exhausted")"
check "the ADD after the range is full fails, naming the range" test $? = 0 -a "$rc1" = 1

# ---- ADD latency (one node, sequential) ----------------------------------------
lat=()
for j in $(seq 1 15); do
	t0=$(date +%s%N); cni 2 ADD "l-$j" "l$j" >/dev/null; t1=$(date +%s%N)
	lat+=($(( (t1 - t0) / 1000 )))
done
for j in $(seq 1 15); do cni 2 DEL "l-$j" "l$j" >/dev/null; done
median=$(printf '%s\n' "${lat[@]}" | sort -n | sed -n 8p)
echo "# etcd-mode ADD (mignet-macvlan, one node, sequential): median $((median / 1000)).$(( (median % 1000) / 100 )) ms of 15"

# ---- host-local's ranges on etcd; whereabouts' keys on the local store -----------
nad() { printf '{"cniVersion":"1.0.0","name":"%s","type":"mignet-macvlan","master":"up0","vifCacheDir":"%s/vc","ipam":%s}' "$1" "$d" "$2" > "$d/$1.json"; }
nad hl "{\"type\":\"mignet-ipam\",\"ranges\":[[{\"subnet\":\"10.78.0.0/24\"}]],\"configuration_path\":\"$d/mignet.conf\"}"
out=$(conf=$d/hl.json cni 1 ADD hl-1 h1); rc=$?
a=$(jq -r '.ips[0].address' <<<"$out" 2>/dev/null)
gw=$(jq -r '.ips[0].gateway' <<<"$out" 2>/dev/null)
holder=$(sc get "/mignet/ipam/hl/ip/${a%/24}" 2>&1)
why="status $rc, address $a gateway $gw, key: $holder"
check "host-local's \"ranges\" in etcd mode: an address of the subnet (not its gateway) held in etcd" \
	eval '[ "$rc" = 0 ] && [[ $a == 10.78.0.*/24 ]] && [ "$a" != 10.78.0.1/24 ] && [ "$gw" = 10.78.0.1 ] &&
		[ "$(jq -r .containerID <<<"$holder" 2>/dev/null)" = hl-1 ]'
conf=$d/hl.json cni 1 DEL hl-1 h1 >/dev/null
nad wl "{\"type\":\"mignet-ipam\",\"datastore\":\"local\",\"dataDir\":\"$d/local\",\"range\":\"10.79.0.0/24\",\"range_end\":\"10.79.0.9\"}"
out=$(conf=$d/wl.json cni 1 ADD wl-1 w1); rc=$?
a=$(jq -r '.ips[0].address' <<<"$out" 2>/dev/null)
why="status $rc, address $a, lease files: $(ls "$d/local/wl" 2>&1 | tr '\n' ' ')"
check "whereabouts' \"range\" on the local store: the first host address, a host-local lease file" \
	test "$rc" = 0 -a "$a" = 10.79.0.1/24 -a -f "$d/local/wl/10.79.0.1"
conf=$d/wl.json cni 1 DEL wl-1 w1 >/dev/null
nad wx "{\"type\":\"mignet-ipam\",\"datastore\":\"local\",\"dataDir\":\"$d/local\",\"range\":\"10.80.0.0/24\",\"exclude\":[\"10.80.0.0/28\"]}"
out=$(conf=$d/wx.json cni 1 ADD wx-1 x1); rc=$?
has=$(ip -n "${EW_P}p1" -o link show x1 2>/dev/null | wc -l)
conf=$d/wx.json cni 1 DEL wx-1 x1 >/dev/null; drc=$?
why="ADD status $rc code $(jq -r .code <<<"$out" 2>/dev/null), link left $has, DEL status $drc: $out"
check "\"exclude\" on the local store: ADD refused with code 7 and no link, DEL still succeeds" \
	test "$rc" = 1 -a "$(jq -r .code <<<"$out" 2>/dev/null)" = 7 -a "$has" = 0 -a "$drc" = 0

# ---- kill -9 of one member mid-run ---------------------------------------------
( sleep 0.1; kill -9 "${EW_PIDS[1]}" ) &
killer=$!
par_add k 16
wait "$killer"
ew_kill 1
ok=$(ok_count); res=$(result_ips | sort)
why="$ok of 48 succeeded; errors: $(cat "$d"/r/*-*[0-9] | grep -m2 msg)"
echo "# kill -9 run: $(retries) ADDs retried after code 11"
check "kill -9 of one etcd member during 48 ADDs from 3 nodes: every ADD succeeds (kubelet's retry of code 11)" \
	test "$ok" = 48 -a "$(uniq -d <<<"$res" | wc -l)" = 0
t0=$(date +%s%N); out=$(cni 3 ADD k-after m99); rc=$?; t1=$(date +%s%N)
why="status $rc in $(( (t1 - t0) / 1000000 )) ms: $out"
check "with one member down, a new ADD succeeds" test "$rc" = 0
cni 3 DEL k-after m99 >/dev/null

# ---- quorum lost -----------------------------------------------------------------
ew_kill 2
before=$(links)
t0=$(date +%s%N); out=$(cni 1 ADD q-1 mq); rc=$?; t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
code=$(jq -r .code <<<"$out" 2>/dev/null)
has=$(ip -n "${EW_P}p1" -o link show mq 2>/dev/null | wc -l)
why="status $rc, code $code in $ms ms, links before $before after $(links), mq present $has: $out"
check "quorum lost: ADD fails with code 11 (try again later) within 6 s" test "$rc" = 1 -a "$code" = 11 -a "$ms" -lt 6000
check "... and leaves no link (the plugin rolled the macvlan back)" test "$has" = 0 -a "$(links)" = "$before"
grep -q "try again later" <<<"$out"; why="$out"
check "... with a message saying the store is unreachable or without quorum" test $? = 0
t0=$(date +%s%N); out=$(cni 1 DEL k-1-1 m1); rc=$?; t1=$(date +%s%N)
has=$(ip -n "${EW_P}p1" -o link show m1 2>/dev/null | wc -l)
why="DEL status $rc in $(( (t1 - t0) / 1000000 )) ms, m1 present $has: $out"
check "quorum lost: DEL removes the link, and reports code 11 (the release waits for a retried DEL)" \
	test "$has" = 0 -a "$(jq -r .code <<<"$out" 2>/dev/null)" = 11
ew_restart 1; ew_restart 2
t0=$(date +%s)
until sc get /mignet/none >/dev/null 2>&1; [ $? = 3 ] || [ $(( $(date +%s) - t0 )) -gt 20 ]; do sleep 0.2; done
cni 1 DEL k-1-1 m1 >/dev/null; rc=$?
k11=$(jq -r '.ips[0].address' "$d/r/1-1" | cut -d/ -f1)
sc get "/mignet/ipam/migration/ip/$k11" >/dev/null 2>&1; gone=$?
why="DEL status $rc, address $k11 get status $gone"
check "quorum back: the retried DEL releases the address" test "$rc" = 0 -a "$gone" = 3
par_del k 16
why="links $(links), held $(held)"
check "every attachment deleted: no link, no address held" test "$(links)" = 0 -a "$(held)" = 0
finish
