#!/usr/bin/env bash
# DEL finishes what it can and takes only what is its own: a missing
# delegated IPAM does not keep the pod's link, another container's
# interface of the same name survives the DEL of a failed ADD, a link left
# by a plugin killed before it was marked is still recognised, the node's
# own interfaces are out of reach (CNI_NETNS of the plugin's namespace), and
# a forged log line cannot be written.
set -uo pipefail
build=$(cd "${MIGNET_BUILD:-build}" && pwd)
cni=$build/mignet-cni
p="${MIGNET_TEST_PREFIX:-mgt}$(printf '%04x' $(( $$ & 0xffff )))d-"
host=${p}h ctr=${p}c
data=$(mktemp -d "${TMPDIR_BASE:-/tmp/mignet-test}-del.XXXXXX")
cleanup() { for n in "$host" "$ctr" "${p}c2"; do ip netns del "$n" 2>/dev/null; done; rm -rf "$data"; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
. tests/lib/suite.sh

ip netns add "$host" && ip netns add "$ctr" || { echo "cannot create namespaces"; exit 1; }
ip -n "$host" link set lo up; ip -n "$ctr" link set lo up
ip -n "$host" link add up0 type veth peer name up0p
ip -n "$host" link set up0 up; ip -n "$host" link set up0p up

cni() { # COMMAND CID IFNAME CONFIG-FILE [VAR=VALUE...]
	local cmd=$1 cid=$2 ifn=$3 cf=$4; shift 4
	ip netns exec "$host" env CNI_COMMAND="$cmd" CNI_CONTAINERID="$cid" CNI_NETNS="/run/netns/$ctr" \
		CNI_IFNAME="$ifn" CNI_PATH=/usr/lib/cni "$@" "$cni" < "$cf"
}
has_link() { ip -n "$1" link show "$2" >/dev/null 2>&1; }
mv_conf() { # FILE IPAM-OBJECT
	printf '{"cniVersion":"1.0.0","name":"dnet","type":"mignet-macvlan","master":"up0","ipam":%s}' "$2" > "$1"
}
mv_conf "$data/local.json" '{"type":"mignet-ipam","dataDir":"'"$data"'/ipam","subnet":"10.80.0.0/24"}'
mv_conf "$data/hl.json" '{"type":"host-local","dataDir":"'"$data"'/hl","subnet":"10.81.0.0/24"}'
mv_conf "$data/wa.json" '{"type":"whereabouts","range":"10.82.0.0/24"}'

# 1. The delegated IPAM is not installed (whereabouts, as the seeds' NAD).
out=$(cni ADD wa1 net1 "$data/wa.json" 2>&1)
[ $? = 1 ] && ! has_link "$ctr" net1 && grep -q 'failed to find plugin \\"whereabouts\\"' <<<"$out" &&
	ok "ADD with a missing delegated IPAM fails and leaves no link" || bad "ADD, missing IPAM" "$out"
cni ADD wa2 net1 "$data/hl.json" >/dev/null 2>&1 || bad "ADD with host-local" "failed"
out=$(cni DEL wa2 net1 "$data/wa.json" 2>&1)
rc=$?
[ $rc = 0 ] && ! has_link "$ctr" net1 && grep -q 'IPAM plugin "whereabouts" is not in CNI_PATH: the address of wa2/net1' <<<"$out" &&
	ok "DEL with a missing delegated IPAM removes the link, reports the unreleased address and succeeds" ||
	bad "DEL, missing IPAM" "exit $rc: $out"
cni DEL wa2 net1 "$data/hl.json" >/dev/null 2>&1
n=$(find "$data/hl" -type f -name '10.*' 2>/dev/null | wc -l)
[ "$n" = 0 ] && ok "the address is released once the IPAM is back" || bad "late release" "$n lease(s) left"

# 2. A delegate that exists but fails: the link goes anyway, DEL fails.
mkdir -p "$data/bin"
printf '#!/bin/sh\necho "{\\"code\\":11,\\"msg\\":\\"store down\\"}"\nexit 1\n' > "$data/bin/failing-ipam"
chmod +x "$data/bin/failing-ipam"
mv_conf "$data/fail.json" '{"type":"failing-ipam"}'
cni ADD f1 net1 "$data/hl.json" >/dev/null 2>&1
out=$(cni DEL f1 net1 "$data/fail.json" CNI_PATH="$data/bin" 2>&1); rc=$?
[ $rc = 1 ] && ! has_link "$ctr" net1 && grep -q 'store down' <<<"$out" &&
	ok "DEL with a failing delegate removes the link first and reports the delegate's error" ||
	bad "DEL, failing delegate" "exit $rc, link $(has_link "$ctr" net1 && echo kept || echo gone): $out"
cni DEL f1 net1 "$data/hl.json" >/dev/null 2>&1

# 2b. A delegate that answers before it reads its stdin, with a config and
#     an answer each larger than a pipe holds: no deadlock.
printf '#!/bin/sh\nprintf "{\\"cniVersion\\":\\"1.1.0\\",\\"pad\\":\\"%%0300000d\\"}" 0\ncat >/dev/null\n' > "$data/bin/chatty-ipam"
chmod +x "$data/bin/chatty-ipam"
printf '%0200000d' 0 > "$data/pad"
jq -c --rawfile pad "$data/pad" '.cniVersion="1.1.0" | .ipam={"type":"chatty-ipam"} | .pad=$pad' \
	"$data/local.json" > "$data/chatty.json"
out=$(ip netns exec "$host" timeout 20 env CNI_COMMAND=GC CNI_PATH="$data/bin" "$cni" < "$data/chatty.json" 2>&1); rc=$?
[ $rc = 0 ] && ok "a delegate that writes 300 KB before reading a 200 KB config finishes (no deadlock)" ||
	bad "chatty delegate" "exit $rc: $(head -c 200 <<<"$out")"

# 3. Another container's net1: the failed container's DEL leaves it.
cni ADD owner net1 "$data/local.json" >/dev/null || bad "ADD of the owner" "failed"
mac=$(ip -n "$ctr" -j link show net1 | jq -r '.[0].address')
alias=$(ip -n "$ctr" -j link show net1 | jq -r '.[0].ifalias')
[ "$alias" = "mignet:owner" ] && ok "ADD marks its link with its container (alias $alias)" || bad "alias" "$alias"
out=$(cni ADD intruder net1 "$data/local.json" 2>&1)
[ $? = 1 ] && grep -q 'already exists' <<<"$out" && ok "a second container's ADD of net1 is refused" ||
	bad "second ADD" "$out"
cni DEL intruder net1 "$data/local.json" >/dev/null 2>&1
[ "$(ip -n "$ctr" -j link show net1 2>/dev/null | jq -r '.[0].address')" = "$mac" ] &&
	ok "the failed container's DEL leaves the other container's net1 in place" ||
	bad "foreign DEL" "net1 of the owner is gone"
# a link of the reference plugin (no alias, default group) is not provably ours
cni DEL owner net1 "$data/local.json" >/dev/null 2>&1
ip -n "$ctr" link add net1 link lo type macvlan 2>/dev/null || ip -n "$ctr" link add net1 type veth peer name net1p
cni DEL owner net1 "$data/local.json" >/dev/null 2>&1
has_link "$ctr" net1 && ok "DEL leaves a link it did not make (no alias, another group)" ||
	bad "unmarked link" "DEL removed it"
ip -n "$ctr" link del net1 2>/dev/null

# 4. A plugin killed after creating the link but before marking it: the
#    group set in the create request still proves the link is ours.
killed=0
for n in 1 2 3 4 5 6; do
	cni ADD k$n net1 "$data/local.json" strace -qq -f -o /dev/null -e trace=sendto \
		-e inject=sendto:signal=KILL:when=$n >/dev/null 2>&1
	if has_link "$ctr" net1 && [ -z "$(ip -n "$ctr" -j -d link show net1 | jq -r '.[0].ifalias // empty')" ]; then
		killed=$((killed + 1))
		cni DEL k$n net1 "$data/local.json" >/dev/null 2>&1
		has_link "$ctr" net1 && { bad "kill at sendto #$n" "DEL left the unmarked link"; ip -n "$ctr" link del net1; }
	else
		cni DEL k$n net1 "$data/local.json" >/dev/null 2>&1
	fi
done
[ $killed -ge 1 ] && ok "a link left before its alias ($killed kill point(s)) is removed by DEL through its group" ||
	bad "kill window" "no kill point left an unmarked link (the test no longer reaches the window)"

# 5. The node's own interface through CNI_NETNS of the plugin's namespace.
out=$(ip netns exec "$host" env CNI_COMMAND=DEL CNI_CONTAINERID=x CNI_NETNS="/run/netns/$host" CNI_IFNAME=up0 \
	CNI_PATH=/usr/lib/cni "$cni" < "$data/local.json" 2>/dev/null)
[ "$(jq -r .code <<<"$out")" = 8 ] && has_link "$host" up0 &&
	ok "DEL with CNI_NETNS of the plugin's own namespace is code 8 and the node's up0 survives" ||
	bad "own netns" "$out; up0 $(has_link "$host" up0 && echo kept || echo DELETED)"

# 7. Sticky addresses from what Multus passes (no annotation): the launcher
#    pods of one VM share its address, any other pod does not.
ctr2=${p}c2
ip netns add "$ctr2"
# a bridge: the target pod reattaches with the VM's MAC too, which two
# macvlans on one master could not both carry
printf '{"cniVersion":"1.0.0","name":"snet","type":"mignet-bridge","bridge":"stbr","vifCacheDir":"%s/vc","ipam":%s}' "$data" \
	'{"type":"mignet-ipam","sticky":true,"dataDir":"'"$data"'/st","subnet":"10.83.0.0/24"}' > "$data/sticky.json"
multus() { # COMMAND CID NETNS POD-NAME
	ip netns exec "$host" env CNI_COMMAND="$1" CNI_CONTAINERID="$2" CNI_NETNS="/run/netns/$3" CNI_IFNAME=net1 \
		CNI_PATH=/usr/lib/cni CNI_ARGS="IgnoreUnknown=true;K8S_POD_NAMESPACE=prod;K8S_POD_NAME=$4;K8S_POD_INFRA_CONTAINER_ID=$2;K8S_POD_UID=u-$2" \
		"$cni" < "$data/sticky.json" 2>/dev/null
}
src=$(multus ADD s1 "$ctr" virt-launcher-vm-b-x2b9z | jq -r '.ips[0].address')
tgt=$(multus ADD t1 "$ctr2" virt-launcher-vm-b-q7w8r | jq -r '.ips[0].address')
[ -n "$src" ] && [ "$src" = "$tgt" ] && ok "the VM's target launcher pod gets its source pod's address ($tgt) from K8S_POD_NAME alone" ||
	bad "sticky from the pod name" "source $src, target $tgt"
multus DEL s1 "$ctr" virt-launcher-vm-b-x2b9z >/dev/null
other=$(multus ADD o1 "$ctr" nginx-7d9c7-x2b9z | jq -r '.ips[0].address')
[ -n "$other" ] && [ "$other" != "$tgt" ] &&
	ok "after the source pod's DEL the address stays the VM's: another pod gets $other" || bad "hold after DEL" "$other"
multus DEL o1 "$ctr" nginx-7d9c7-x2b9z >/dev/null; multus DEL t1 "$ctr2" virt-launcher-vm-b-q7w8r >/dev/null
ip netns del "$ctr2"

# 6. A newline in CNI_CONTAINERID cannot forge a log line (the ID is
#    refused before the config is read, so the line goes to stderr).
log=$(cni ADD $'evil\n2026-01-01T00:00:00Z mignet-cni ADD forged/net1: ok' net1 "$data/local.json" 2>&1 >/dev/null)
[ "$(wc -l <<<"$log")" = 1 ] && grep -q 'evil\\x0a2026' <<<"$log" && ! grep -q '^2026-01-01' <<<"$log" &&
	ok "a refused container ID is logged quoted, on one line" || bad "log forging" "$log"
finish
