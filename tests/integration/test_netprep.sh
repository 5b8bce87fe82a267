#!/usr/bin/env bash
# netprep setup, inventory and compare on namespace "nodes": setup from
# nothing, a second run that changes nothing, --dry-run, a failure midway
# rolled back, bad configs refused with nothing changed, inventory
# matching what was built, and compare finding each planted difference.
set -uo pipefail
build=$(cd "${MIGNET_BUILD:-build}" && pwd)
np=$build/netprep
p="${MIGNET_TEST_PREFIX:-mgt}$(printf '%04x' $(( $$ & 0xffff )))n-"
na=${p}a nb=${p}b
data=$(mktemp -d "${TMPDIR_BASE:-/tmp/mignet-test}-netprep.XXXXXX")
cleanup() { for n in "$na" "$nb" "${p}handler"; do ip netns del "$n" 2>/dev/null; done; rm -rf "$data"; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
. tests/lib/suite.sh
state() { ip -j -d -n "$1" link show | jq -c '[.[] | {n: .ifname, k: .linkinfo.info_kind, m: .master, mtu}] | sort_by(.n)'; ip -j -n "$1" addr show | jq -c '[.[] | {n: .ifname, a: [.addr_info[] | select(.scope == "global") | .local]}]'; cat "$data/sys-$1/vm/unprivileged_userfaultfd"; }

for n in "$na" "$nb"; do
	ip netns add "$n"; ip -n "$n" link set lo up
	# eth0 and eth1 are veth stand-ins for the node's NICs
	for i in eth0 eth1; do ip -n "$n" link add $i type veth peer name $i-peer; ip -n "$n" link set $i-peer up; done
	mkdir -p "$data/sys-$n/vm"; echo 0 > "$data/sys-$n/vm/unprivileged_userfaultfd"
done
cat > "$data/node.json" <<'CONF'
{
  "bridges": [{"name": "vlan-13", "uplink": "eth0", "mtu": 1500}, {"name": "vlan-12", "mtu": 1500}],
  "migration": {"interface": "eth1", "mtu": 9000, "address": "10.1.1.5/24"},
  "macvlanShims": [{"name": "mig-shim", "master": "eth1", "mode": "bridge", "address": "10.1.1.250/24"}],
  "sysctls": {"postCopy": true}
}
CONF
setup() { "$np" setup --config "$1" --netns "/run/netns/$2" --proc-sys "$data/sys-$2" "${@:3}"; }

# --- dry run changes nothing ---
before=$(state "$na")
out=$(setup "$data/node.json" "$na" --dry-run)
[ "$(state "$na")" = "$before" ] && grep -q "would create bridge vlan-13" <<<"$out" &&
	ok "setup --dry-run prints the plan and changes nothing" || bad "dry run" "$out"

# --- from nothing ---
out=$(setup "$data/node.json" "$na") || bad "setup from nothing" "$out"
l=$(ip -j -d -n "$na" link show)
checks=(
	"$(jq -r '.[] | select(.ifname=="vlan-13") | .linkinfo.info_kind' <<<"$l")" bridge
	"$(jq -r '.[] | select(.ifname=="eth0") | .master' <<<"$l")" vlan-13
	"$(jq -r '.[] | select(.ifname=="eth1") | .mtu' <<<"$l")" 9000
	"$(jq -r '.[] | select(.ifname=="mig-shim") | .linkinfo.info_data.mode' <<<"$l")" bridge
	"$(ip -j -n "$na" addr show dev eth1 | jq -r '.[0].addr_info[] | select(.family=="inet") | .local')" 10.1.1.5
	"$(cat "$data/sys-$na/vm/unprivileged_userfaultfd")" 1
	"$(ip netns exec "$na" cat /proc/sys/net/ipv4/conf/eth1/arp_ignore)" 1
)
good=1
for ((i = 0; i < ${#checks[@]}; i += 2)); do [ "${checks[i]}" = "${checks[i+1]}" ] || { good=0; echo "    got '${checks[i]}', want '${checks[i+1]}'"; }; done
[ $good = 1 ] && ok "setup from nothing: bridges, uplink port, migration MTU and address, shim, sysctls" || bad "setup from nothing" "$out"

# --- idempotent ---
before=$(state "$na")
out=$(setup "$data/node.json" "$na")
[ "$(state "$na")" = "$before" ] && grep -q "no changes: the node is already as declared" <<<"$out" &&
	ok "a second run changes nothing and says so" || bad "second run" "$out"

# --- bridge netfilter: per namespace, never the host's ---
key=net/bridge/bridge-nf-call-iptables
host_nf=$(cat "/proc/sys/$key" 2>/dev/null)
if ip netns exec "$na" test -e "/proc/sys/$key"; then
	cur=$(ip netns exec "$na" cat "/proc/sys/$key")
	want=$((1 - cur)); wantb=false; [ $want = 1 ] && wantb=true
	echo "{\"sysctls\": {\"bridgeNetfilter\": $wantb}}" > "$data/nf.json"
	out=$(setup "$data/nf.json" "$na" 2>&1); rc=$?
	got=$(ip netns exec "$na" cat "/proc/sys/$key")
	[ $rc = 0 ] && [ "$got" = $want ] && [ "$(cat "/proc/sys/$key")" = "$host_nf" ] &&
		ok "bridgeNetfilter $wantb sets $key in the node's namespace only" || bad "bridge netfilter" "rc $rc, $got, host $(cat "/proc/sys/$key"): $out"
	out=$(setup "$data/nf.json" "$na" 2>&1)
	grep -q "no changes" <<<"$out" && ok "bridgeNetfilter: a second run changes nothing" || bad "bridge netfilter again" "$out"
else
	echo '{"sysctls": {"bridgeNetfilter": true}}' > "$data/nf.json"
	out=$(setup "$data/nf.json" "$na" 2>&1); rc=$?
	[ $rc = 0 ] && grep -q "is absent (br_netfilter not loaded)" <<<"$out" &&
		ok "bridgeNetfilter without br_netfilter: says so and changes nothing" || bad "bridge netfilter absent" "rc $rc: $out"
	echo "    test_netprep bridgeNetfilter: br_netfilter is not loaded here (the test does not load"
	echo "    modules on the host), so setting $key did not run"
fi

# --- failure midway is rolled back ---
ip -n "$nb" link add taken0 type veth peer name taken0p
cat > "$data/collide.json" <<'CONF'
{
  "bridges": [{"name": "br-new", "uplink": "eth0", "mtu": 1450}],
  "migration": {"interface": "eth1", "mtu": 9000},
  "macvlanShims": [{"name": "taken0", "master": "eth1"}],
  "sysctls": {"postCopy": true}
}
CONF
before=$(state "$nb")
out=$(setup "$data/collide.json" "$nb" 2>&1); rc=$?
if [ $rc = 1 ] && [ "$(state "$nb")" = "$before" ] && grep -q '"taken0" exists but is a veth link, not a macvlan' <<<"$out" &&
   grep -q "rolling back" <<<"$out"; then
	ok "a failure midway (name collision) is rolled back: bridge, port, MTU all as before"
else
	bad "rollback" "rc $rc: $out"
fi

# --- VLAN subinterfaces: 802.1q ---
cat > "$data/vlan.json" <<'CONF'
{"bridges": [{"name": "vlan-20", "uplink": "eth0", "vlan": 20}]}
CONF
before=$(state "$nb")
out=$(setup "$data/vlan.json" "$nb" 2>&1); rc=$?
if ip -n "$nb" link add probe.1 link eth0 type vlan id 1 2>/dev/null; then
	ip -n "$nb" link del probe.1
	[ $rc = 0 ] && [ "$(ip -j -d -n "$nb" link show eth0.20 | jq -r '.[0].linkinfo.info_data.id')" = 20 ] &&
		ok "setup creates the VLAN subinterface eth0.20" || bad "VLAN setup" "$out"
else
	[ $rc = 1 ] && grep -q "no 802.1q VLAN support" <<<"$out" && [ "$(state "$nb")" = "$before" ] &&
		ok "VLAN bridge: clear error and rollback" || bad "VLAN error path" "$out"
	echo "    test_netprep VLAN: this kernel has no 802.1q, so the VLAN subinterface success path did"
	echo "    not run; its netlink message is checked byte for byte in tests/unit/test_sriov"
fi

# --- bad configs: clear error, nothing changed ---
before=$(state "$nb")
while IFS='|' read -r label conf needle; do
	echo "$conf" > "$data/bad.json"
	out=$(setup "$data/bad.json" "$nb" 2>&1); rc=$?
	[ $rc = 2 ] && grep -q -- "$needle" <<<"$out" && ok "bad config ($label) refused: $needle" || bad "bad config $label" "rc $rc: $out"
done <<'CASES'
unknown key|{"bridgez": []}|unknown key "bridgez"
wrong type|{"bridges": [{"name": "b0", "mtu": "1500"}]}|"mtu" must be a whole number
impossible MTU|{"migration": {"interface": "eth1", "mtu": 70000}}|"mtu" must be a whole number from 1280 to 65535
hostile name|{"bridges": [{"name": "../../etc"}]}|forbidden character
over-long name|{"bridges": [{"name": "abcdefghijklmnop"}]}|too long
vlan without uplink|{"bridges": [{"name": "b0", "vlan": 5}]}|"vlan" needs an "uplink"
negative MTU|{"bridges": [{"name": "b0", "mtu": -1}]}|"mtu" must be a whole number from 68 to 65535
newline in a mode|{"macvlanShims": [{"name": "s0", "master": "eth1", "mode": "b\nx"}]}|macvlan mode "b\\x0ax" is unknown
CASES
[ "$(state "$nb")" = "$before" ] && ok "bad configs changed nothing" || bad "bad configs" "state changed"

# --- inventory matches what was built ---
inv_a=$data/inv-a.json inv_b=$data/inv-b.json
mkdir -p "$data/bin-a" "$data/bin-b" "$data/conf"
touch "$data/conf/10-vlan13.conflist"
for b in mignet-bridge mignet-macvlan; do touch "$data/bin-a/$b"; done
touch "$data/bin-b/mignet-macvlan"
"$np" inventory --json --netns "/run/netns/$na" --node node-a --iface eth1 --cni-bin-dir "$data/bin-a" \
	--cni-conf-dir "$data/conf" --proc-sys "$data/sys-$na" > "$inv_a"
v=$(jq -c '[(.bridges[] | select(.name=="vlan-13") | .ports), .migration.mtu, .migration.addresses, .unprivilegedUserfaultfd, .macvlanMasters, .cni.mignetPlugins]' "$inv_a")
[ "$v" = '[["eth0"],9000,["10.1.1.5/24"],1,["eth1"],["mignet-bridge","mignet-macvlan"]]' ] ||
	[ "$v" = '[["eth0"],9000,["10.1.1.5/24"],1,["eth1"],["mignet-macvlan","mignet-bridge"]]' ] &&
	ok "inventory matches what setup built" || bad "inventory" "$v"
want_lv=$(virsh --version) want_qv=$(qemu-system-x86_64 --version | sed -n '1s/^QEMU emulator version \([0-9.]*\).*/\1/p')
v=$(jq -c '[.virtualization.libvirt, .virtualization.qemu, .cni.configs, .migrationPortsFree]' "$inv_a")
[ "$v" = "[\"$want_lv\",\"$want_qv\",[\"10-vlan13.conflist\"],{\"49152\":true,\"49153\":true}]" ] &&
	ok "inventory reports libvirt $want_lv, QEMU $want_qv, the CNI configs and free migration ports" || bad "inventory versions" "$v"

# --- compare finds each planted difference ---
# node b: no vlan-13, migration MTU 1500 without address, no mignet-bridge
# ... and something listening on the first migration port
ip -n "$nb" link set eth1 up
coproc LISTENER { ip netns exec "$nb" python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.bind(("0.0.0.0", 49152)); s.listen()
print("listening", flush=True); sys.stdin.readline()'; }
read -r ready <&"${LISTENER[0]}"
"$np" inventory --json --netns "/run/netns/$nb" --node node-b --iface eth1 --cni-bin-dir "$data/bin-b" \
	--cni-conf-dir "$data/conf" --proc-sys "$data/sys-$nb" > "$inv_b"
echo >&"${LISTENER[1]}"; wait "$LISTENER_PID"
[ "$ready" = listening ] && [ "$(jq -c .migrationPortsFree "$inv_b")" = '{"49152":false,"49153":true}' ] &&
	ok "inventory sees the port taken in the node's namespace" || bad "inventory ports" "$ready $(jq -c .migrationPortsFree "$inv_b")"
# In a cluster migration0 is in virt-handler's pod, not on the host: the
# interface and the ports are looked for where --migration-netns points.
hp=${p}handler
ip netns add "$hp"; ip -n "$hp" link add migration0 type veth peer name m0p
ip -n "$hp" addr add 10.1.1.9/24 dev migration0
coproc LISTENER { ip netns exec "$hp" python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.bind(("0.0.0.0", 49153)); s.listen()
print("listening", flush=True); sys.stdin.readline()'; }
read -r ready <&"${LISTENER[0]}"
v=$("$np" inventory --json --netns "/run/netns/$na" --migration-netns "/run/netns/$hp" --cni-conf-dir "$data/conf" \
	--proc-sys "$data/sys-$na" | jq -c '[.migration.present, .migration.addresses, .migrationPortsFree, (.bridges | length > 0)]')
echo >&"${LISTENER[1]}"; wait "$LISTENER_PID"
ip netns del "$hp"
[ "$v" = '[true,["10.1.1.9/24"],{"49152":true,"49153":false},true]' ] &&
	ok "inventory --migration-netns finds migration0 and the taken port in the handler's namespace, the bridges on the host" ||
	bad "inventory --migration-netns" "$v"
"$np" compare "$inv_a" "$inv_b" --nad examples/deploy/nad-vlan13.yaml --json > "$data/cmp.json"; rc=$?
[ $rc = 4 ] && ok "compare exits 4 on blocking differences" || bad "compare exit" "$rc"
for needle in "bridge vlan-13 exists on node-a but not on node-b" "migration interface MTU differs: 9000 on node-a, 1500 on node-b" \
	"migration interface eth1 on node-b has no address" "CNI plugin mignet-bridge is installed on node-a but not on node-b" \
	"the NAD's network uses bridge vlan-13, which node-b does not have" "vm.unprivileged_userfaultfd is 0 on node-b" \
	"port 49152 is in use on node-b"; do
	jq -e --arg n "$needle" '[.findings[] | select(.what | contains($n)) | select(.fix | length > 0)] | length == 1' "$data/cmp.json" >/dev/null &&
		ok "compare: $needle (with a fix)" || bad "compare" "missing: $needle"
done
"$np" compare "$inv_a" "$inv_a" >/dev/null; rc=$?
[ $rc = 0 ] && ok "compare of a node with itself finds nothing (exit 0)" || bad "compare self" "exit $rc"
out=$("$np" compare "$inv_a" "$data/node.json" 2>&1); rc=$?
[ $rc = 2 ] && grep -qF "node.json: mignetInventory is missing" <<<"$out" &&
	ok "compare refuses a file that is not an inventory (exit 2)" || bad "compare non-inventory" "exit $rc: $out"
out=$("$np" compare "$inv_a" "$data/no-such.json" 2>&1); rc=$?
[ $rc = 1 ] && ok "compare: an inventory that cannot be read exits 1" || bad "compare unreadable" "exit $rc: $out"

# --- compare reads the same pair the same way in any JSON layout ---
jq -c . "$inv_a" > "$data/inv-a-compact.json"; jq -c . "$inv_b" > "$data/inv-b-compact.json"
"$np" compare "$data/inv-a-compact.json" "$data/inv-b-compact.json" --nad examples/deploy/nad-vlan13.yaml --json \
	> "$data/cmp-compact.json"; rc=$?
[ $rc = 4 ] && cmp -s "$data/cmp.json" "$data/cmp-compact.json" &&
	ok "compare: a valid pair, re-encoded, gives the same findings" || bad "compare re-encoded" "exit $rc"

# --- compare trusts no inventory: refused with exit 2, naming the field and the quoted value ---
# The hostile document is the source: a bridge of the source is printed when the target lacks it.
hostile() { # LABEL NEEDLE; the document comes on stdin (redirected, so ok/bad count here)
	cat > "$data/hostile.json"
	local out rc
	out=$("$np" compare "$data/hostile.json" "$inv_b" 2>&1); rc=$?
	if [ $rc = 2 ] && grep -qF -- "hostile.json: " <<<"$out" && grep -qF -- "$2" <<<"$out" &&
	   [ "$(wc -l <<<"$out")" = 1 ] && ! grep -q '^BLOCKING: ok' <<<"$out"; then
		ok "compare refuses $1: $2"
	else
		bad "compare $1" "rc $rc: $out"
	fi
}
hostile "a newline forging a BLOCKING: line in a bridge name" 'bridges[0].name "v\x0aBLOCKING: ok" is not a name the kernel gives a link' \
	< <(jq '.bridges[0].name = "v\nBLOCKING: ok"' "$inv_a")
hostile "a newline in the node name" 'node "a\x0aBLOCKING: ok" may contain only' < <(jq '.node = "a\nBLOCKING: ok"' "$inv_a")
hostile "a string MTU" 'bridges[0].mtu is "big": it must be a whole number from 68 to 65535' \
	< <(jq '.bridges[0].mtu = "big"' "$inv_a")
hostile "a negative link MTU" 'links[1].mtu is -1: it must be a whole number' < <(jq '.links[1].mtu = -1' "$inv_a")
hostile "another schema version" 'mignetInventory is 99: this netprep reads inventory version 1 only' \
	< <(jq '.mignetInventory = 99' "$inv_a")
hostile "a duplicate key" 'key "node" appears twice' \
	< <(jq -c . "$inv_a" | sed 's/"mignetInventory":1,/"mignetInventory":1,"node":"node-z",/')
hostile "trailing data" 'unexpected data after the JSON value' < <(jq -c . "$inv_a"; echo '{"mignetInventory": 1}')
hostile "an unknown top-level key" 'the document has the unknown key "extra"' < <(jq '.extra = true' "$inv_a")
hostile "a \\u0000 in a name" '(after key "name") holds \u0000' < <(jq '.bridges[0].name = "eth0\u0000x"' "$inv_a")

# --- what compare prints from a NAD is quoted too ---
cat > "$data/hostile-nad.json" <<'NAD'
{"apiVersion":"k8s.cni.cncf.io/v1","kind":"NetworkAttachmentDefinition","metadata":{"name":"m"},
 "spec":{"config":"{\"cniVersion\":\"1.0.0\",\"name\":\"m\",\"type\":\"mignet-bridge\",\"bridge\":\"x\\nBLOCKING: ok\"}"}}
NAD
out=$("$np" compare "$inv_a" "$inv_a" --nad "$data/hostile-nad.json" 2>&1); rc=$?
[ $rc = 4 ] && grep -qF 'uses bridge x\x0aBLOCKING: ok, which node-a does not have' <<<"$out" && ! grep -q '^BLOCKING: ok' <<<"$out" &&
	ok "compare prints a NAD's bridge name escaped: no forged BLOCKING: line" || bad "compare NAD quoting" "rc $rc: $out"

finish
