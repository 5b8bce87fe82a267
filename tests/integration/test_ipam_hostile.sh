#!/usr/bin/env bash
# mignet-ipam against a hostile or crowded store: hard links and FIFOs
# planted under its file names (state is replaced, never written through;
# reads fail naming the file instead of hanging under the lock), an ADD into
# a nearly full /20 (a bounded number of writes, an owner index that lists
# exactly the lease), GC with mignet-ipam as the main plugin, and a pod
# namespace that climbs out of the store.
set -uo pipefail
build=${MIGNET_BUILD:-build}
plugin=$(cd "$build" && pwd)/mignet-cni
p="${MIGNET_TEST_PREFIX:-mgt}$(printf '%04x' $(( $$ & 0xffff )))i-"
ctr=${p}c
data=$(mktemp -d "${TMPDIR_BASE:-/tmp/mignet-test}-ipamh.XXXXXX")
cleanup() { ip netns del "$ctr" 2>/dev/null; rm -rf "$data"; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
. tests/lib/suite.sh

ip netns add "$ctr" || { echo "cannot create namespace"; exit 1; }
mkdir -p "$data/d"

# conf NAME RANGES [IPAM-EXTRA] [TOP-EXTRA]: mignet-ipam as the main plugin
conf() {
	printf '{"cniVersion":"1.1.0","name":"%s","type":"mignet-ipam","vifCacheDir":"%s/vc",%s"ipam":{"dataDir":"%s/d",%s"ranges":%s}}' \
		"$1" "$data" "${4:-}" "$data" "${3:-}" "$2" > "$data/$1.json"
}
# cni COMMAND CID IFNAME NET [CNI_ARGS [wrapper...]]: stdout is the result
# or error; a plugin hung on a FIFO is killed after 10 s (status 124)
cni() {
	local cmd=$1 cid=$2 ifn=$3 net=$4 args=${5:-}; shift 5 2>/dev/null || shift $#
	env CNI_COMMAND="$cmd" CNI_CONTAINERID="$cid" CNI_NETNS="/run/netns/$ctr" CNI_IFNAME="$ifn" \
		CNI_PATH=/usr/lib/cni CNI_ARGS="$args" "$@" timeout 10 "$plugin" < "$data/$net.json" 2>/dev/null
}
# refused RC OUT NEEDLE...: the plugin failed (not hung) and said each needle
refused() {
	local rc=$1 out=$2; shift 2
	[ "$rc" = 1 ] || { why="exit status $rc (124: hung), output: $(one "$out")"; return 1; }
	local msg n
	msg=$(jq -r .msg <<<"$out" 2>/dev/null)
	for n in "$@"; do
		[[ $msg == *"$n"* ]] || { why="message lacks \"$n\": $msg"; return 1; }
	done
}
one() { jq -c . <<<"$1" 2>/dev/null || printf '%s' "$1"; }
ip_of() { jq -r '.ips[0].address' <<<"$1" | cut -d/ -f1; }
index_ips() { tail -n +3 "$1" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }

# ---- A. hard links are replaced, never written through -------------------
printf 'precious\n' > "$data/victim"
conf hl '[[{"subnet":"10.76.0.0/24"}]]'
mkdir -p "$data/d/hl"
ln "$data/victim" "$data/d/hl/last_reserved_ip.0"
out=$(cni ADD hl1 net1 hl); rc=$?
why="ADD: status $rc, $(one "$out"), victim now: $(cat "$data/victim")"
check "hard link as last_reserved_ip.0: ADD replaces it, the linked file keeps its content" \
	test "$rc" = 0 -a "$(cat "$data/victim")" = precious -a \
	"$(cat "$data/d/hl/last_reserved_ip.0" 2>/dev/null)" = "$(ip_of "$out")" -a \
	"$(stat -c %h "$data/victim")" = 1

printf 'precious\n' > "$data/victim2"
ln "$data/victim2" "$data/d/hl/.mignet-owners/hl2@net1"
out=$(cni ADD hl2 net1 hl); rc=$?
why="ADD: status $rc, $(one "$out"), victim now: $(cat "$data/victim2")"
check "hard link as an owner index: ADD replaces it, the linked file keeps its content" \
	test "$rc" = 0 -a "$(cat "$data/victim2")" = precious -a "$(stat -c %h "$data/victim2")" = 1
cni DEL hl1 net1 hl >/dev/null; cni DEL hl2 net1 hl >/dev/null

# ---- A. FIFOs make an error naming them, not a plugin hung under the lock ----
conf ff '[[{"subnet":"10.75.0.0/24"}]]'
out=$(cni ADD ff0 net1 ff) && cni DEL ff0 net1 ff >/dev/null # creates the store
mkfifo "$data/d/ff/.mignet-owners/ff1@net1"
out=$(cni ADD ff1 net1 ff); rc=$?
check "FIFO as an owner index: ADD fails naming it" \
	refused $rc "$out" "$data/d/ff/.mignet-owners" "ff1@net1" "not a regular file"
out=$(cni DEL ff1 net1 ff); rc=$?
check "FIFO as an owner index: DEL fails naming it" \
	refused $rc "$out" "$data/d/ff/.mignet-owners" "ff1@net1" "not a regular file"
rm -f "$data/d/ff/.mignet-owners/ff1@net1"

out=$(cni ADD ff2 net1 ff); lease=$(ip_of "$out")
rm -f "$data/d/ff/$lease" && mkfifo "$data/d/ff/$lease"
out=$(cni DEL ff2 net1 ff); rc=$?
check "FIFO as a lease file: DEL fails naming it" refused $rc "$out" "$data/d/ff" "$lease" "not a regular file"
out=$(cni ADD ff2 net1 ff); rc=$?
check "FIFO as a lease file: a retried ADD fails naming it" refused $rc "$out" "$lease" "not a regular file"
rm -f "$data/d/ff/$lease"
cni DEL ff2 net1 ff >/dev/null

rm -f "$data/d/ff/last_reserved_ip.0" && mkfifo "$data/d/ff/last_reserved_ip.0"
out=$(cni ADD ff3 net1 ff); rc=$?
check "FIFO as last_reserved_ip.0: ADD fails naming it" refused $rc "$out" "last_reserved_ip.0" "not a regular file"
rm -f "$data/d/ff/last_reserved_ip.0"

vm='"capabilities":{"io.kubernetes.cri.pod-annotations":true},"runtimeConfig":{"io.kubernetes.cri.pod-annotations":{"kubevirt.io/domain":"vm-f"}},'
conf ffvm '[[{"subnet":"10.74.0.0/24"}]]' '"sticky":true,' "$vm"
mkdir -p -m 700 "$data/d/ffvm/.mignet-vms"
mkfifo "$data/d/ffvm/.mignet-vms/prod@vm-f"
out=$(cni ADD vf1 net1 ffvm "IgnoreUnknown=1;K8S_POD_NAMESPACE=prod"); rc=$?
check "FIFO as a VM index: sticky ADD fails naming it" \
	refused $rc "$out" "$data/d/ffvm/.mignet-vms" "prod@vm-f" "not a regular file"
why=$(find "$data/d/ff" "$data/d/ffvm" -type f -path '*.mignet-owners/*' ! -name .all-indexed)
check "after the FIFO errors nothing is held" test -z "$(find "$data/d/ff" "$data/d/ffvm" -type f -path '*.mignet-owners/*' ! -name .all-indexed)"

# ---- B. a nearly full /20: bounded writes, exact owner index -----------------
conf full '[[{"subnet":"10.77.0.0/20"}]]'
conf empty '[[{"subnet":"10.78.0.0/20"}]]'
# first use (no lease yet) makes each store fully indexed, as in production
for n in full empty; do cni ADD warm net1 $n >/dev/null; cni DEL warm net1 $n >/dev/null; done
# every address but the last (10.77.15.254) leased, in host-local's format;
# the hint points at the start, so a scan meets 4092 taken addresses
for a in $(seq 0 15); do
	for b in $(seq 0 255); do
		case $a.$b in 0.0|0.1|15.254|15.255) continue ;; esac
		printf 'fill%s\r\neth0' "$a-$b" > "$data/d/full/10.77.$a.$b"
	done
done
# syscall counts of one ADD (strace -c, calls column) in each store; no
# leak check there, as LeakSanitizer cannot run under ptrace
counts() { # NET CID -> "opens renames links status"
	local t=$data/strace.$1
	cni ADD "$2" net1 "$1" "" ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -qq -c -o "$t" -e trace=openat,rename,renameat,renameat2,linkat >/dev/null
	local rc=$?
	awk -v rc=$rc '$NF == "openat" { o = $4 } $NF ~ /^rename/ { r += $4 } $NF == "linkat" { l = $4 }
		END { printf "%d %d %d %d\n", o, r, l, rc }' "$t"
}
read -r eo er el erc <<<"$(counts empty e1)"
t0=$(date +%s%N)
read -r fo fr fl frc <<<"$(counts full f1)"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "one ADD, empty /20: $eo openat, $er renames, $el linkat; nearly full /20: $fo openat, $fr renames, $fl linkat (${ms} ms under strace)"
why="status $frc; full: $fo openat, $fr renames, $fl linkat; empty: $eo, $er, $el"
check "ADD into a /20 with one free address: as many writes as into an empty one, at most 2 more opens" \
	test "$frc" = 0 -a "$erc" = 0 -a "$fr" -le "$er" -a "$fl" -le "$el" -a "$fo" -le $((eo + 2))
why="index lists: $(index_ips "$data/d/full/.mignet-owners/f1@net1")"
check "the owner index lists exactly the one lease" \
	test "$(index_ips "$data/d/full/.mignet-owners/f1@net1")" = 10.77.15.254 -a \
	"$(cat "$data/d/full/10.77.15.254" 2>/dev/null | tr '\r\n' '  ')" = "f1  net1"
out=$(cni ADD f1 net1 full); rc=$?
why="status $rc, $(one "$out"), index: $(index_ips "$data/d/full/.mignet-owners/f1@net1")"
check "a retried ADD keeps the lease and the index" \
	test "$rc" = 0 -a "$(ip_of "$out")" = 10.77.15.254 -a "$(index_ips "$data/d/full/.mignet-owners/f1@net1")" = 10.77.15.254
out=$(cni ADD f2 net1 full); rc=$?
check "the full range refuses the next ADD, leaving no index" \
	refused $rc "$out" "no IP addresses available"
[ -e "$data/d/full/.mignet-owners/f2@net1" ] && bad "full range" "f2's owner index was left behind"
cni DEL f1 net1 full >/dev/null; cni DEL e1 net1 empty >/dev/null

# the listing's order is round robin's: across two ranges of a set from
# after the hint, wrapping, gateways skipped (past the 8 lookups made first)
conf two '[[{"subnet":"10.70.0.0/28"},{"subnet":"10.70.1.0/28"}]]'
cni ADD warm net1 two >/dev/null; cni DEL warm net1 two >/dev/null
for a in 0 1; do for b in $(seq 2 14); do [ $a.$b = 0.9 ] || printf 'fill\r\neth0' > "$data/d/two/10.70.$a.$b"; done; done
printf '10.70.1.9' > "$data/d/two/last_reserved_ip.0"
out=$(cni ADD t1 net1 two); rc=$?
why="status $rc: $(one "$out")"
check "crowded two-range set: the one free address after wrapping" test "$rc" = 0 -a "$(ip_of "$out")" = 10.70.0.9
out=$(cni ADD t2 net1 two); rc=$?
check "crowded two-range set, now full: refused" refused $rc "$out" "no IP addresses available"
cni DEL t1 net1 two >/dev/null
# a /64 is listed into a sorted list, not a bitmap
conf six '[[{"subnet":"fd70::/64"}]]'
cni ADD warm net1 six >/dev/null; cni DEL warm net1 six >/dev/null
rm -f "$data/d/six/last_reserved_ip.0"
for i in $(seq 2 32); do printf 'fill\r\neth0' > "$data/d/six/fd70::$(printf %x "$i")"; done
out=$(cni ADD s1 net1 six); rc=$?
why="status $rc: $(one "$out")"
check "crowded start of a /64: the first free address" test "$rc" = 0 -a "$(ip_of "$out")" = fd70::21
cni DEL s1 net1 six >/dev/null

# dual-stack: one index write for both sets, one address per set listed
conf dual '[[{"subnet":"10.73.0.0/24"}],[{"subnet":"fd73::/64"}]]'
out=$(cni ADD d1 net1 dual); rc=$?
want="$(jq -r '.ips[].address' <<<"$out" | cut -d/ -f1 | tr '\n' ' ' | sed 's/ $//')"
why="status $rc, index: $(index_ips "$data/d/dual/.mignet-owners/d1@net1"), result: $want"
check "dual-stack ADD: the index lists exactly the two leases" \
	test "$rc" = 0 -a "$(index_ips "$data/d/dual/.mignet-owners/d1@net1")" = "$want"
cni DEL d1 net1 dual >/dev/null

# ---- C. GC with mignet-ipam as the main plugin -------------------------------
conf gcn '[[{"subnet":"10.72.0.0/24"}]]'
cni ADD keep net1 gcn >/dev/null; cni ADD stale net1 gcn >/dev/null
conf gcn '[[{"subnet":"10.72.0.0/24"}]]' '' '"cni.dev/valid-attachments":[{"containerID":"keep","ifname":"net1"}],'
out=$(cni GC "" "" gcn); rc=$?
n=$(find "$data/d/gcn" -maxdepth 1 -name '10.*' | wc -l)
why="status $rc ($(one "$out")), $n lease(s) left: $(grep -l . "$data"/d/gcn/10.* 2>/dev/null | xargs -r cat | tr '\r\n' '  ')"
check "GC (type mignet-ipam, no ipam.type) releases the lease not in the valid list" \
	test "$rc" = 0 -a "$n" = 1 -a ! -e "$data/d/gcn/.mignet-owners/stale@net1" -a -e "$data/d/gcn/.mignet-owners/keep@net1"
conf gcn '[[{"subnet":"10.72.0.0/24"}]]' '' '"cni.dev/valid-attachments":"keep",'
out=$(cni GC "" "" gcn); rc=$?
why="status $rc: $(one "$out")"
check "GC refuses a string as cni.dev/valid-attachments (code 7, naming the key)" \
	test "$rc" = 1 -a "$(jq -r .code <<<"$out")" = 7 -a "$(jq -r '.msg | contains("cni.dev/valid-attachments")' <<<"$out")" = true
conf gcn '[[{"subnet":"10.72.0.0/24"}]]' '' '"cni.dev/valid-attachments":[{"containerID":"keep"}],'
out=$(cni GC "" "" gcn); rc=$?
why="status $rc: $(one "$out")"
check "GC refuses an attachment without ifname (code 7) and releases nothing" \
	test "$rc" = 1 -a "$(jq -r .code <<<"$out")" = 7 -a -e "$data/d/gcn/.mignet-owners/keep@net1"
conf gcn '[[{"subnet":"10.72.0.0/24"}]]'
cni DEL keep net1 gcn >/dev/null

# ---- D. a pod namespace that climbs out of the store -------------------------
vm='"capabilities":{"io.kubernetes.cri.pod-annotations":true},"runtimeConfig":{"io.kubernetes.cri.pod-annotations":{"kubevirt.io/domain":"vm-x"}},'
conf esc '[[{"subnet":"10.71.0.0/24"}]]' '"sticky":true,' "$vm"
cni ADD esc0 net1 esc "IgnoreUnknown=1;K8S_POD_NAMESPACE=prod" >/dev/null
mkdir -p "$data/outside"
# what .mignet-vms/../../../outside/victim@vm-x would name from the store
printf 'prod\r\nvm-x\n10.71.0.9 esc1 net1\n' > "$data/outside/victim@vm-x"
out=$(cni DEL esc1 net1 esc "IgnoreUnknown=1;K8S_POD_NAMESPACE=../../../outside/victim"); rc=$?
why="status $rc: $(one "$out")"
check "DEL with K8S_POD_NAMESPACE=../../../outside/victim fails and removes nothing outside the store" \
	test "$rc" != 0 -a -e "$data/outside/victim@vm-x"
out=$(cni ADD esc2 net1 esc "IgnoreUnknown=1;K8S_POD_NAMESPACE=../../../outside/v2"); rc=$?
why="status $rc: $(one "$out"); outside: $(ls "$data/outside")"
check "ADD with such a namespace fails and writes nothing outside the store" \
	test "$rc" != 0 -a "$(ls -A "$data/outside")" = "victim@vm-x"
cni DEL esc0 net1 esc "IgnoreUnknown=1;K8S_POD_NAMESPACE=prod" >/dev/null

finish
