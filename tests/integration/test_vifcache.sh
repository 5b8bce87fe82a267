#!/usr/bin/env bash
# vifcache against real namespaces: the two-node hand-over through the
# plugin, one repair test per failure in the reference (missing, stale,
# torn, disagreeing), symlinks, hostile arguments, and kill -9 during
# writes (every file left parses and is the old or the new record).
set -uo pipefail
build=$(cd "${MIGNET_BUILD:-build}" && pwd)
vc=$build/vifcache cni=$build/mignet-cni
VC_DIR=mignet # the records' directory inside a VM directory
p="${MIGNET_TEST_PREFIX:-mgt}$(printf '%04x' $(( $$ & 0xffff )))v-"
na=${p}na nb=${p}nb pa=${p}pa pb=${p}pb gone=${p}gone
data=$(mktemp -d "${TMPDIR_BASE:-/tmp/mignet-test}-vifcache.XXXXXX")
cleanup() { for n in "$na" "$nb" "$pa" "$pb" "$gone"; do ip netns del "$n" 2>/dev/null; done; rm -rf "$data"; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
. tests/lib/suite.sh
expect() { # label expected-rc command...
	local label=$1 want=$2; shift 2
	local out rc
	out=$("$@" 2>&1); rc=$?
	if [ "$rc" = "$want" ]; then ok "$label"; else bad "$label" "exit $rc (want $want): $out"; fi
}

for n in "$na" "$nb" "$pa" "$pb"; do ip netns add "$n"; ip -n "$n" link set lo up; done

# Two nodes, each with its own cache root and IPAM store; the VM's pods
# attach to a bridge on their node through the mignet plugin, driven as
# Multus drives a delegate: the NAD's config, no pod annotations, and the
# launcher pod's name in CNI_ARGS (virt-launcher-<vmi>-<generated suffix>).
launcher_args() { # container-id: the CNI_ARGS Multus sends for that launcher pod
	local sfx
	case $1 in src1) sfx=x2b9z ;; tgt1) sfx=q7w8r ;; *) sfx=z9x8w ;; esac
	echo "IgnoreUnknown=true;K8S_POD_NAMESPACE=prod;K8S_POD_NAME=virt-launcher-vm-a-$sfx;K8S_POD_INFRA_CONTAINER_ID=$1;K8S_POD_UID=0b5e-$1"
}
attach() { # node-ns pod-ns cid root store
	cat > "$data/conf-$1.json" <<CONF
{"cniVersion":"1.0.0","name":"vlan13","type":"mignet-bridge","bridge":"vlan-13","vifCacheDir":"$4",
 "ipam":{"type":"mignet-ipam","dataDir":"$5","ranges":[[{"subnet":"10.13.0.0/24"}]],"routes":[{"dst":"0.0.0.0/0"}]}}
CONF
	ip netns exec "$1" env CNI_COMMAND=ADD CNI_CONTAINERID="$3" CNI_NETNS="/run/netns/$2" CNI_IFNAME=pod16477688c0e \
		CNI_PATH=/usr/lib/cni CNI_ARGS="$(launcher_args "$3")" "$cni" < "$data/conf-$1.json"
}
ra=$data/a/cache rb=$data/b/cache
# node A already handed out .2 to another pod, so the VM gets .3 there: the
# target must not just happen to get the same address by itself
ip netns exec "$na" env CNI_COMMAND=ADD CNI_CONTAINERID=other CNI_NETNS="/run/netns/$pa" CNI_IFNAME=net9 \
	CNI_PATH=/usr/lib/cni "$cni" >/dev/null <<CONF
{"cniVersion":"1.0.0","name":"vlan13","type":"mignet-bridge","bridge":"vlan-13","ipam":{"type":"mignet-ipam","dataDir":"$data/a/ipam","ranges":[[{"subnet":"10.13.0.0/24"}]]}}
CONF
outa=$(attach "$na" "$pa" src1 "$ra" "$data/a/ipam") || bad "ADD on node A" "$outa"
maca=$(jq -r '.interfaces[] | select(.sandbox != null) | .mac' <<<"$outa")
ipa=$(jq -r '.ips[0].address' <<<"$outa")
"$vc" show prod/vm-a --root "$ra" >/dev/null && [ -f "$ra/prod/vm-a/vif-cache-pod16477688c0e.json" ] &&
	ok "ADD on node A wrote the record and KubeVirt's vif-cache file ($ipa, $maca)" ||
	bad "ADD on node A" "no record in $ra"
"$vc" export prod/vm-a --root "$ra" -o "$data/export.json" &&
	"$vc" import "$data/export.json" --root "$rb" >/dev/null || bad "export/import" "failed"
outb=$(attach "$nb" "$pb" tgt1 "$rb" "$data/b/ipam") || bad "ADD on node B" "$outb"
macb=$(jq -r '.interfaces[] | select(.sandbox != null) | .mac' <<<"$outb")
ipb=$(jq -r '.ips[0].address' <<<"$outb")
livemac=$(ip -n "$pb" -j link show pod16477688c0e | jq -r '.[0].address')
if [ "$maca" = "$macb" ] && [ "$ipa" = "$ipb" ] && [ "$livemac" = "$maca" ] && [ "$ipa" = 10.13.0.3/24 ]; then
	ok "round trip A -> export -> import -> ADD on B: same MAC ($macb) and IP ($ipb)"
else
	bad "round trip" "A $maca $ipa, B $macb $ipb (live $livemac)"
fi
owner=$("$vc" show prod/vm-a/pod16477688c0e --root "$rb" --json | jq -r '.[0].owner.containerID + " " + .[0].state')
[ "$owner" = "tgt1 finished" ] && ok "the target's record is now owned by the target pod" || bad "target owner" "$owner"
expect "verify on the target matches" 0 "$vc" verify prod/vm-a/pod16477688c0e --root "$rb" --netns "/run/netns/$pb"

# --- repair: one test per failure, each ending with verify passing ---
key=prod/vm-a/pod16477688c0e
vmdir=$rb/prod/vm-a
repair_case() { # label
	local label=$1
	"$vc" repair prod/vm-a --root "$rb" --netns "/run/netns/$pb" --from-export "$data/export.json" \
		--container-id tgt1 --dry-run > "$data/plan" 2>&1
	"$vc" repair prod/vm-a --root "$rb" --netns "/run/netns/$pb" --from-export "$data/export.json" \
		--container-id tgt1 > "$data/repair" 2>&1 || { bad "repair: $label" "$(cat "$data/repair")"; return; }
	if "$vc" verify "$key" --root "$rb" --netns "/run/netns/$pb" >/dev/null 2>&1; then
		ok "repair: $label -> verify passes ($(grep -o -- '-> .*' "$data/repair" | head -1))"
	else
		bad "repair: $label" "verify still fails: $("$vc" verify "$key" --root "$rb" --netns "/run/netns/$pb" 2>&1)"
	fi
}
rm -f "$vmdir/mignet/pod16477688c0e.json" "$vmdir/vif-cache-pod16477688c0e.json"
expect "verify reports the missing file (exit 4)" 4 "$vc" verify "$key" --root "$rb" --netns "/run/netns/$pb"
repair_case "missing vif-cache file on the target"
grep -q "missing" "$data/plan" && ok "repair --dry-run named the problem first" || bad "dry run" "$(cat "$data/plan")"

# stale: finished, but owned by a launcher whose netns is gone (#18087)
ip netns add "$gone"
"$vc" populate "$key" --root "$rb" --network vlan13 --netns "/run/netns/$pb" --container-id deadlauncher >/dev/null
gone_ino=$(stat -c %i "/run/netns/$gone")
jq --argjson i "$gone_ino" '.owner.netnsInode = $i' "$vmdir/mignet/pod16477688c0e.json" > "$data/stale.json" &&
	cp "$data/stale.json" "$vmdir/mignet/pod16477688c0e.json"
ip netns del "$gone"
"$vc" repair prod/vm-a --root "$rb" --dry-run 2>&1 | grep -q "stale" &&
	ok "repair --dry-run finds the stale record of a dead launcher" || bad "stale detection" "not reported"
repair_case "stale finished state from a dead launcher"

printf '{"schemaVersion":1,"vm":{"namesp' > "$vmdir/mignet/pod16477688c0e.json"
expect "verify reports the torn file (exit 4)" 4 "$vc" verify "$key" --root "$rb" --netns "/run/netns/$pb"
repair_case "torn file"
head -c 300 /dev/urandom > "$vmdir/mignet/pod16477688c0e.json"
repair_case "garbage file"

ip -n "$pb" addr add 10.13.0.200/24 dev pod16477688c0e
expect "verify reports the disagreement (exit 3)" 3 "$vc" verify "$key" --root "$rb" --netns "/run/netns/$pb"
repair_case "record that disagrees with the live interface"
ip -n "$pb" addr del 10.13.0.200/24 dev pod16477688c0e

# a VM's pod interface left down holds no routes: verify does not count
# them, and a repair from it keeps the routes and gateway it knows
"$vc" repair prod/vm-a --root "$rb" --netns "/run/netns/$pb" --container-id tgt1 >/dev/null 2>&1  # resync after .200
ip -n "$pb" link set pod16477688c0e down
expect "verify ignores routes on a down link" 0 "$vc" verify "$key" --root "$rb" --netns "/run/netns/$pb"
rm -f "$vmdir/mignet/pod16477688c0e.json"
"$vc" repair prod/vm-a --root "$rb" --netns "/run/netns/$pb" --from-export "$data/export.json" --container-id tgt1 >/dev/null 2>&1
gw=$(jq -r .Gateway "$vmdir/vif-cache-pod16477688c0e.json"); nr=$("$vc" show "$key" --root "$rb" --json | jq '.[0].routes | length')
[ "$gw" = 10.13.0.1 ] && [ "$nr" = 1 ] && ok "repair from a down link keeps the known routes and gateway" ||
	bad "repair from a down link" "gateway '$gw', $nr route(s)"
ip -n "$pb" link set pod16477688c0e up
ip -n "$pb" route replace default via 10.13.0.1 2>/dev/null

# repair from the domain XML MAC alone
cat > "$data/domain.xml" <<XML
<domain type='kvm'><devices><interface type='ethernet'><mac address='$maca'/><alias name='ua-vlan13'/></interface></devices></domain>
XML
rm -f "$vmdir/mignet/pod16477688c0e.json"
"$vc" repair "$key" --root "$rb" --domain-xml "$data/domain.xml" --network vlan13 >/dev/null 2>&1 &&
	[ "$("$vc" show "$key" --root "$rb" --json | jq -r '.[0].mac')" = "$maca" ] &&
	ok "repair rebuilds the MAC from the libvirt domain XML" || bad "domain XML repair" "MAC not restored"

# --- symlinks and hostile names: refused, nothing else changes ---
mkdir -p "$data/real" && ln -s "$data/real" "$data/link"
expect "a symlinked cache root is refused" 1 "$vc" populate "$key" --root "$data/link" --network n --netns "/run/netns/$pb"
[ -z "$(ls -A "$data/real")" ] && ok "nothing was written through the symlinked root" || bad "symlinked root" "files appeared"
cp "$vmdir/mignet/pod16477688c0e.json" "$data/saved.json" 2>/dev/null
ln -sf /etc/hostname "$rb/prod/vm-a/mignet/pod16477688c0e.json"
expect "a symlinked record file is not followed (show exit 3: damaged)" 3 "$vc" show prod/vm-a --root "$rb"
rm -f "$rb/prod/vm-a/mignet/pod16477688c0e.json"
mv "$rb/prod/vm-a" "$data/vmdir" && ln -s "$data/vmdir" "$rb/prod/vm-a"
expect "a symlinked VM directory is not followed" 1 "$vc" populate "$key" --root "$rb" --network n --netns "/run/netns/$pb"
rm "$rb/prod/vm-a" && mv "$data/vmdir" "$rb/prod/vm-a"
expect "hostile key ../ is refused" 2 "$vc" show "../etc/passwd" --root "$rb"
expect "hostile key with / in the interface is refused" 2 "$vc" populate "prod/vm-a/a/b" --root "$rb" --network n --netns "/run/netns/$pb"
expect "over-long interface name is refused" 2 "$vc" verify "prod/vm-a/waytoolonginterfacename" --root "$rb" --netns "/run/netns/$pb"
expect "a hostile --network is refused" 2 "$vc" populate "$key" --root "$rb" --network "../../x" --netns "/run/netns/$pb"
printf '{"mignetVifcacheExport":1,"namespace":"prod","vm":"vm-a","records":[{"schemaVersion":1,"vm":{"namespace":"prod","name":"vm-a"},"network":"n","podInterface":"../x","binding":"bridge","state":"finished"}]}' > "$data/evil.json"
expect "an export with a hostile interface name is refused" 1 "$vc" import "$data/evil.json" --root "$rb"
head -c 5000000 /dev/zero | tr '\0' ' ' > "$data/huge.json"
expect "an oversized export is refused" 1 "$vc" import "$data/huge.json" --root "$rb"
[ "$(find "$rb" -newer "$data/evil.json" -type f | wc -l)" = 0 ] && ok "bad input changed nothing on disk" || bad "bad input" "files changed: $(find "$rb" -newer "$data/evil.json" -type f)"

# --- import conflicts ---
"$vc" populate "$key" --root "$rb" --network vlan13 --netns "/run/netns/$pb" --container-id tgt1 >/dev/null
jq '.records[0].mac = "02:de:ad:be:ef:01"' "$data/export.json" > "$data/conflict.json"
expect "import refuses a conflicting record (exit 5)" 5 "$vc" import "$data/conflict.json" --root "$rb"
expect "import --force overwrites it" 0 "$vc" import "$data/conflict.json" --root "$rb" --force

# --- crash safety: kill -9 during write loops ---
crash=$data/crash
jq -c '.interfaces[2].mac="02:00:00:00:00:0a"' <<<"$outb" > "$data/r-a.json"
jq -c '.interfaces[2].mac="02:00:00:00:00:0b"' <<<"$outb" > "$data/r-b.json"
"$vc" populate "$key" --root "$crash" --network vlan13 --from-result "$data/r-a.json" >/dev/null
bad_files=0 trials=0 kills=0
while [ $kills -lt 200 ] && [ $trials -lt 2000 ]; do
	r=$data/r-a.json; [ $((trials % 2)) = 0 ] && r=$data/r-b.json
	"$vc" populate "$key" --root "$crash" --network vlan13 --from-result "$r" >/dev/null 2>&1 &
	pid=$!
	sleep "0.000$((RANDOM % 10))$((RANDOM % 10))"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	[ $? = 137 ] && kills=$((kills + 1))
	trials=$((trials + 1))
	[ -f "$crash/prod/vm-a/mignet/pod16477688c0e.json" ] || { bad_files=$((bad_files + 1)); echo "record gone after trial $trials"; }
	for f in "$crash"/prod/vm-a/* "$crash"/prod/vm-a/.*.tmp "$crash"/prod/vm-a/mignet/* "$crash"/prod/vm-a/mignet/.*.tmp; do
		[ -f "$f" ] || continue
		case $f in
		*vif-cache-*) jq -e '.MAC == "AgAAAAAK" or .MAC == "AgAAAAAL"' "$f" >/dev/null 2>&1 || { bad_files=$((bad_files + 1)); echo "bad: $f"; } ;;
		*) jq -e '.mac == "02:00:00:00:00:0a" or .mac == "02:00:00:00:00:0b"' "$f" >/dev/null 2>&1 || { bad_files=$((bad_files + 1)); echo "bad: $f"; } ;;
		esac
	done
done
[ $bad_files = 0 ] && [ $kills -ge 200 ] && ok "kill -9 during writes: $kills kills in $trials trials, every file left parses and is the old or the new record" ||
	bad "crash safety" "$bad_files bad file(s), $kills kills"

# --- gc: the dead owner's record goes, the live and the pending ones stay ---
"$vc" populate prod/vm-b/net1 --root "$data/gc" --network n --netns "/run/netns/$pa" --iface net9 >/dev/null
ip netns add "$gone"; ip -n "$gone" link add net1 type veth peer name x; 
"$vc" populate prod/vm-c/net1 --root "$data/gc" --network n --netns "/run/netns/$gone" >/dev/null
ip netns del "$gone"
"$vc" import "$data/export.json" --root "$data/gc" >/dev/null
"$vc" gc --root "$data/gc" >/dev/null
left=$("$vc" list --root "$data/gc" --json | jq -r '[.[] | .vm.name] | sort | join(",")')
[ "$left" = "vm-a,vm-b" ] && ok "gc removes only the record whose owner netns is gone" || bad "gc" "left: $left"
# an owner whose netns is gone but whose launcher pod still exists stays
pods=$data/kubelet-pods
mkdir -p "$pods/7d0c1e2f-0000-4000-8000-00000000000d"
ip netns add "$gone"; ip -n "$gone" link add net1 type veth peer name x
"$vc" populate prod/vm-d/net1 --root "$data/gc" --network n --netns "/run/netns/$gone" \
	--pod-uid 7d0c1e2f-0000-4000-8000-00000000000d >/dev/null
ip netns del "$gone"
"$vc" gc --root "$data/gc" --kubelet-pods "$pods" >/dev/null
kept=$("$vc" list --root "$data/gc" --json | jq -r '[.[] | .vm.name] | index("vm-d") != null')
rmdir "$pods/7d0c1e2f-0000-4000-8000-00000000000d"
"$vc" gc --root "$data/gc" --kubelet-pods "$pods" >/dev/null
left=$("$vc" list --root "$data/gc" --json | jq -r '[.[] | .vm.name] | sort | join(",")')
[ "$kept" = true ] && [ "$left" = "vm-a,vm-b" ] &&
	ok "gc keeps a record while its launcher pod exists, and removes it once the pod is gone too" ||
	bad "gc by pod" "kept while the pod existed: $kept; left after: $left"

# --- the store's contract: modes and owners, the writer lock ---
st=$data/store live=(--netns "/run/netns/$pb" --iface pod16477688c0e)
"$vc" populate prod/vm-s/net1 --root "$st" --network n "${live[@]}" --kubevirt >/dev/null
modes=$(cd "$st/prod/vm-s" && stat -c "%n %a %u:%g" mignet mignet/net1.json vif-cache-net1.json | tr '\n' ';')
[ "$modes" = "mignet 700 0:0;mignet/net1.json 600 0:0;vif-cache-net1.json 604 107:107;" ] &&
	ok "the record is 0600, KubeVirt's file 0604 and owned by 107:107 by default" || bad "file modes" "$modes"
"$vc" populate prod/vm-s/net1 --root "$st" --network n "${live[@]}" --kubevirt --kubevirt-owner 4242:4343 >/dev/null
modes=$(stat -c '%a %u:%g' "$st/prod/vm-s/vif-cache-net1.json")
[ "$modes" = "604 4242:4343" ] && ok "--kubevirt-owner 4242:4343 owns KubeVirt's file" || bad "--kubevirt-owner" "$modes"
expect "a malformed --kubevirt-owner is refused" 2 "$vc" populate prod/vm-s/net1 --root "$st" --network n "${live[@]}" --kubevirt-owner 107:-1

# A writer waits for the one holding <root>/.lock: hold it here, and wait
# until the kernel lists the second writer as blocked on it.
exec 9>>"$st/.lock"
flock 9
lock_ino=$(stat -c %i "$st/.lock")
# 9>&-: the writer must not inherit the lock it is to wait for
timeout 60 "$vc" populate prod/vm-l/net1 --root "$st" --network n "${live[@]}" >/dev/null 2>&1 9>&- &
lpid=$! blocked=
for _ in $(seq 2000); do
	grep -Eq "^[0-9]+: -> FLOCK +ADVISORY +WRITE +[0-9]+ +[0-9a-f]+:[0-9a-f]+:$lock_ino " /proc/locks && { blocked=1; break; }
	kill -0 "$lpid" 2>/dev/null || break
	sleep 0.005
done
[ -n "$blocked" ] && [ ! -e "$st/prod/vm-l/mignet/net1.json" ] &&
	ok "a second writer blocks on the writer lock and writes nothing meanwhile" || bad "writer lock" "blocked=${blocked:-no}, $(ls "$st/prod/vm-l" 2>&1)"
exec 9>&-
wait "$lpid"; rc=$?
[ "$rc" = 0 ] && [ -f "$st/prod/vm-l/mignet/net1.json" ] && ok "it writes once the lock is released" || bad "writer after the lock" "exit $rc"

# 16 writers of one key at once: all succeed, one of them wins whole
for i in $(seq 16); do
	r=$data/r-a.json; [ $((i % 2)) = 0 ] && r=$data/r-b.json
	"$vc" populate "$key" --root "$st" --network vlan13 --from-result "$r" >/dev/null 2>"$data/par-$i.err" &
done
fails=0; for j in $(jobs -p); do wait "$j" || fails=$((fails + 1)); done
final=$("$vc" show "$key" --root "$st" --json | jq -r '.[0].mac')
tmps=$(find "$st" -name '.*.tmp' | wc -l)
[ $fails = 0 ] && [ "$tmps" = 0 ] && { [ "$final" = 02:00:00:00:00:0a ] || [ "$final" = 02:00:00:00:00:0b ]; } &&
	ok "16 concurrent writers of one record: all exit 0, the record is one of theirs ($final), no temp file left" ||
	bad "concurrent writers" "$fails failed ($(cat "$data"/par-*.err | head -3)), final $final, $tmps temp file(s)"

# --- every verb: --help, and --json that says what happened ---
helpless=
for v in populate show list verify export import repair gc apply; do
	"$vc" "$v" --help 2>/dev/null | grep -q -- "--json" || helpless="$helpless $v"
done
[ -z "$helpless" ] && ok "every verb's --help exits 0 and offers --json" || bad "--help" "missing for:$helpless"
jbad=
json_is() { # verb jq-filter (stdin: the verb's stdout)
	jq -e "$2" >/dev/null 2>&1 || jbad="$jbad $1"
}
"$vc" populate prod/vm-j/net1 --root "$st" --network n "${live[@]}" --json | json_is populate ".mac == \"$macb\""
"$vc" show prod/vm-j --root "$st" --json | json_is show '.[0].podInterface == "net1"'
"$vc" list --root "$st" --json | json_is list '[.[].vm.name] | index("vm-j") != null'
"$vc" verify prod/vm-j/net1 --root "$st" "${live[@]}" --json | json_is verify '.result == "match"'
"$vc" export prod/vm-j --root "$st" -o "$data/j.json" --json | json_is export '.records == 1 and .output != null'
jq -e '.records | length == 1' "$data/j.json" >/dev/null || jbad="$jbad export-file"
"$vc" import "$data/j.json" --root "$data/jt" --json | json_is import '.imported == ["prod/vm-j/net1"] and .conflicts == []'
jq '.records[0].mac = "02:de:ad:be:ef:02"' "$data/j.json" > "$data/j2.json"
"$vc" import "$data/j2.json" --root "$data/jt" --json 2>/dev/null | json_is import-conflict '.imported == [] and .conflicts == ["prod/vm-j/net1"]'
"$vc" repair prod/vm-j --root "$st" --dry-run --json | json_is repair '.dryRun == true and .repaired == 0 and (.plan | type == "array")'
"$vc" gc --root "$st" --dry-run --json | json_is gc '.dryRun == true'
[ -z "$jbad" ] && ok "populate, show, list, verify, export, import, repair and gc answer --json with what they did" ||
	bad "--json" "wrong for:$jbad"

# apply: everything up to the VF settings, which need an SR-IOV NIC
sys=$data/sys d=$data/sys/devices/pci0000:00
mkdir -p "$d/0000:03:00.0/net/up0" "$d/0000:03:02.1" "$sys/bus/pci/devices"
ln -s ../0000:03:02.1 "$d/0000:03:00.0/virtfn1" && ln -s ../0000:03:00.0 "$d/0000:03:02.1/physfn"
ln -s ../../../devices/pci0000:00/0000:03:00.0 "$sys/bus/pci/devices/0000:03:00.0"
ln -s ../../../devices/pci0000:00/0000:03:02.1 "$sys/bus/pci/devices/0000:03:02.1"
ip -n "$pb" link add up0 type veth peer name up0p
jq '.records[0].binding = "sriov" | .records[0].sriov = {"pf":"ens1f0","vf":3,"pciAddress":"0000:05:00.3",
	"vfMac":"02:00:00:00:13:01","vlan":13,"spoofchk":true,"trust":false}' "$data/j.json" > "$data/sriov.json"
"$vc" import "$data/sriov.json" --root "$data/sr" >/dev/null
out=$(ip netns exec "$pb" "$vc" apply prod/vm-j/net1 --device-id 0000:03:02.1 --sysfs-root "$sys" --root "$data/sr" --json 2>&1); rc=$?
[ $rc = 1 ] && grep -q 'PF "up0" does not support VF settings (is it an SR-IOV NIC?)' <<<"$out" &&
	ok "apply maps the VF to its PF through sysfs and stops where the kernel has no VF" || bad "apply" "exit $rc: $out"
echo "    apply: no SR-IOV NIC on this machine, so apply's success path did not run; its VF request is checked byte by byte in tests/unit/test_sriov"
expect "apply refuses a bridge record" 1 "$vc" apply prod/vm-j/net1 --device-id 0000:03:02.1 --sysfs-root "$sys" --root "$st"
expect "apply needs --device-id" 2 "$vc" apply prod/vm-j/net1 --root "$data/sr"
expect "apply of a missing record" 4 "$vc" apply prod/vm-none/net1 --device-id 0000:03:02.1 --sysfs-root "$sys" --root "$data/sr"
expect "apply refuses a hostile --device-id (usage, exit 2)" 2 "$vc" apply prod/vm-j/net1 --device-id ../../etc --sysfs-root "$sys" --root "$data/sr"

# DEL on the target drops the record it owns (the forced import above left
# an unowned one, which a DEL must not touch: give it back to tgt1 first)
expect "DEL keeps a record it does not own" 0 sh -c "ip netns exec $nb env CNI_COMMAND=DEL CNI_CONTAINERID=other2 CNI_NETNS=/run/netns/${p}elsewhere CNI_IFNAME=pod16477688c0e CNI_PATH=/usr/lib/cni CNI_ARGS='$(launcher_args other2)' $cni < $data/conf-$nb.json >/dev/null && $vc show $key --root $rb >/dev/null"
"$vc" populate "$key" --root "$rb" --network vlan13 --netns "/run/netns/$pb" --container-id tgt1 >/dev/null
ip netns exec "$nb" env CNI_COMMAND=DEL CNI_CONTAINERID=tgt1 CNI_NETNS="/run/netns/$pb" CNI_IFNAME=pod16477688c0e \
	CNI_PATH=/usr/lib/cni CNI_ARGS="$(launcher_args tgt1)" "$cni" < "$data/conf-$nb.json" >/dev/null
expect "DEL of the owning pod removes its record" 4 "$vc" show "$key" --root "$rb"
[ ! -e "$rb/prod" ] && ok "... and the VM's and the namespace's directories, left empty" || bad "DEL's directories" "$(find "$rb/prod")"

# --- the plugin as kubelet runs it, for VM vm-* on node B's bridge ---
vm_conf() { # root vm
	cat <<CONF
{"cniVersion":"1.0.0","name":"vlan13","type":"mignet-bridge","bridge":"vlan-13","vifCacheDir":"$1",
 "capabilities":{"io.kubernetes.cri.pod-annotations":true},
 "runtimeConfig":{"io.kubernetes.cri.pod-annotations":{"kubevirt.io/domain":"$2"}}}
CONF
}
cni_vm() { # COMMAND conf-file ifname container-id (bounded: a hang is a failure, not a stuck suite)
	ip netns exec "$nb" timeout 30 env CNI_COMMAND="$1" CNI_CONTAINERID="$4" CNI_NETNS="/run/netns/$pb" CNI_IFNAME="$3" \
		CNI_PATH=/usr/lib/cni CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=prod;K8S_POD_NAME=virt-launcher-$4" \
		"$cni" < "$2"
}
b64mac() { jq -r .MAC "$1" 2>/dev/null; }

# --- a pod interface named vif-cache-<x>: its record is not KubeVirt's file of <x> ---
kr=$data/kvname
"$vc" populate prod/vm-n/x --root "$kr" --network n --from-result "$data/r-a.json" --iface pod16477688c0e >/dev/null
cp -p "$kr/prod/vm-n/vif-cache-x.json" "$data/kv-x.json"
jq '.records[0].podInterface = "vif-cache-x" | .records[0].mac = "02:00:00:00:00:0b" | .records[0].vm.name = "vm-n" | .vm = "vm-n"' \
	"$data/export.json" > "$data/kvname.json"
"$vc" import "$data/kvname.json" --root "$kr" >/dev/null
kvstat=$(stat -c '%a %u:%g' "$kr/prod/vm-n/vif-cache-x.json")
cmp -s "$kr/prod/vm-n/vif-cache-x.json" "$data/kv-x.json" && [ "$kvstat" = "604 107:107" ] &&
	ok "importing a record for pod interface vif-cache-x leaves KubeVirt's file of x as it was ($kvstat)" ||
	bad "vif-cache-x import" "KubeVirt's file of x is now: $kvstat $(head -c 120 "$kr/prod/vm-n/vif-cache-x.json")"
ifaces=$("$vc" list --root "$kr" --json | jq -r '[.[] | .podInterface + ":" + (.kubevirtFile | tostring)] | sort | join(",")')
[ "$ifaces" = "vif-cache-x:true,x:true" ] && ok "list shows both records, each with its own KubeVirt file" || bad "list of vif-cache-x" "$ifaces"
"$vc" populate prod/vm-n/p0 --root "$kr" --network n --from-result "$data/r-b.json" --iface pod16477688c0e >/dev/null
cp -p "$kr/prod/vm-n/vif-cache-p0.json" "$data/kv-p0.json"
vm_conf "$kr" vm-n > "$data/conf-kvname.json"
out=$(cni_vm ADD "$data/conf-kvname.json" vif-cache-p0 kvn1 2>&1); rc=$?
cmp -s "$kr/prod/vm-n/vif-cache-p0.json" "$data/kv-p0.json" && [ $rc = 0 ] &&
	[ "$("$vc" show prod/vm-n/vif-cache-p0 --root "$kr" --json | jq -r '.[0].owner.containerID')" = kvn1 ] &&
	ok "the plugin's ADD with CNI_IFNAME vif-cache-p0 writes its own record and leaves KubeVirt's file of p0 alone" ||
	bad "ADD vif-cache-p0" "exit $rc: $out; $(ls -R "$kr/prod/vm-n")"
cni_vm DEL "$data/conf-kvname.json" vif-cache-p0 kvn1 >/dev/null 2>&1
cmp -s "$kr/prod/vm-n/vif-cache-p0.json" "$data/kv-p0.json" && [ ! -e "$kr/prod/vm-n/$VC_DIR/vif-cache-p0.json" ] &&
	[ "$(b64mac "$kr/prod/vm-n/vif-cache-vif-cache-x.json")" = AgAAAAAL ] &&
	ok "its DEL removes that record and KubeVirt's file of vif-cache-p0 only" || bad "DEL vif-cache-p0" "$(ls -R "$kr/prod/vm-n")"

# --- records of the old layout (<vm>/<iface>.json) are read, and move when written ---
mv "$kr/prod/vm-n/$VC_DIR/x.json" "$kr/prod/vm-n/x.json"
old_mac=$("$vc" show prod/vm-n/x --root "$kr" --json | jq -r '.[0].mac')
n=$("$vc" list --root "$kr" | grep -c ' x ')
"$vc" populate prod/vm-n/x --root "$kr" --network n --from-result "$data/r-a.json" --iface pod16477688c0e >/dev/null
[ "$old_mac" = 02:00:00:00:00:0a ] && [ "$n" = 1 ] && [ ! -e "$kr/prod/vm-n/x.json" ] && [ -f "$kr/prod/vm-n/$VC_DIR/x.json" ] &&
	ok "a record in the old layout is shown and listed once, and its next write moves it to $VC_DIR/" ||
	bad "old layout" "mac $old_mac, listed $n time(s), $(ls "$kr/prod/vm-n" "$kr/prod/vm-n/$VC_DIR")"

# --- FIFOs: never a hang; an error naming the path (list: that record damaged) ---
fr=$data/fifo-cache fifo=$data/a.fifo
mkfifo "$fifo"
"$vc" populate prod/vm-f/x --root "$fr" --network n --from-result "$data/r-a.json" --iface pod16477688c0e >/dev/null
mkfifo "$fr/prod/vm-f/$VC_DIR/y.json"
expect_named() { # label expected-rc needle command... (each bounded by timeout: 124 is a hang)
	local label=$1 want=$2 needle=$3 out rc; shift 3
	if declare -F "$1" >/dev/null; then out=$("$@" 2>&1); else out=$(timeout 20 "$@" 2>&1); fi; rc=$?
	if [ "$rc" = "$want" ] && grep -qF -- "$needle" <<<"$out"; then ok "$label"; else bad "$label" "exit $rc (want $want, naming '$needle'): $out"; fi
}
out=$(timeout 20 "$vc" list --root "$fr" 2>&1); rc=$?
[ $rc = 3 ] && grep -q "prod/vm-f/$VC_DIR/y.json is not a regular file" <<<"$out" && grep -q '^prod  *vm-f  *x  *n ' <<<"$out" &&
	ok "list reports a FIFO record as damaged, naming it, and lists the others" || bad "list with a FIFO" "exit $rc: $out"
expect_named "show of a FIFO record: damaged (exit 3)" 3 "y.json is not a regular file" "$vc" show prod/vm-f/y --root "$fr"
expect_named "export skips the FIFO record and exports the rest" 0 "exported 1 record" "$vc" export prod/vm-f --root "$fr" -o "$data/f.json"
expect_named "gc walks past the FIFO record" 0 "record(s) removed" "$vc" gc --root "$fr"
expect_named "repair names the FIFO record and does not hang" 1 "y.json is not a regular file" "$vc" repair --root "$fr"
expect_named "import of a FIFO is refused, naming it" 1 "$fifo is not a regular file" "$vc" import "$fifo" --root "$fr"
expect_named "repair --from-export of a FIFO is refused" 1 "$fifo is not a regular file" "$vc" repair prod/vm-f --root "$fr" --from-export "$fifo"
expect_named "repair --domain-xml of a FIFO is refused" 1 "$fifo is not a regular file" "$vc" repair prod/vm-f --root "$fr" --domain-xml "$fifo"
expect_named "populate --from-result of a FIFO is refused" 1 "$fifo is not a regular file" "$vc" populate prod/vm-f/z --root "$fr" --network n --from-result "$fifo"
expect_named "verify --netns of a FIFO is refused" 4 "not a network namespace" "$vc" verify prod/vm-f/x --root "$fr" --netns "$fifo"
expect_named "stdin (-) stays the one stream an input may be" 0 "imported 1 record" sh -c "cat '$data/f.json' | '$vc' import - --root '$data/fifo-stdin'"
vm_conf "$fr" vm-f > "$data/conf-fifo.json"
expect_named "the plugin's ADD over a FIFO record fails, naming it" 1 "y.json is not a regular file" cni_vm ADD "$data/conf-fifo.json" y fifo1
expect_named "the plugin's DEL over a FIFO record ends" 0 "" cni_vm DEL "$data/conf-fifo.json" y fifo1

# --- a write that fails leaves no directory, and DEL removes empty ones ---
wr=$data/wfail
"$vc" populate prod/vm-keep/x --root "$wr" --network n --from-result "$data/r-a.json" --iface pod16477688c0e >/dev/null
for i in 1 2 3 4 5 6 7 8; do vm_conf "$wr" "vm-w$i" > "$data/conf-w$i.json"; done
left=0 addok=0 leftdel=0
for i in 1 2 3 4 5 6 7 8; do
	# every byte written to a file fails (EFBIG), as on a full disk
	out=$(trap '' XFSZ; ulimit -f 0; cni_vm ADD "$data/conf-w$i.json" net1 wfail$i 2>&1) && addok=$((addok + 1))
	[ -e "$wr/prod/vm-w$i" ] && left=$((left + 1))
	cni_vm DEL "$data/conf-w$i.json" net1 wfail$i >/dev/null 2>&1
	[ -e "$wr/prod/vm-w$i" ] && leftdel=$((leftdel + 1))
done
[ $addok = 0 ] && [ $left = 0 ] && [ $leftdel = 0 ] && grep -q 'vif-cache: cache: prod/vm-w8/mignet/net1.json: cannot write' <<<"$out" &&
	ok "8 ADDs whose record write fails: all fail, none leaves its VM directory (nor does its DEL)" ||
	bad "failed ADDs" "$addok succeeded, $left left a directory after ADD, $leftdel after DEL (last: $out)"
out=$(trap '' XFSZ; ulimit -f 0; "$vc" populate prod2/vm-a/x --root "$wr" --network n --from-result "$data/r-a.json" --iface pod16477688c0e 2>&1); rc=$?
out2=$(trap '' XFSZ; ulimit -f 0; "$vc" import "$data/kvname.json" --root "$wr" 2>&1); rc2=$?
[ $rc = 1 ] && [ $rc2 = 1 ] && [ ! -e "$wr/prod2" ] && [ ! -e "$wr/prod/vm-n" ] && [ -f "$wr/prod/vm-keep/$VC_DIR/x.json" ] &&
	ok "populate and import that cannot write leave no directory, and other VMs' records stay" ||
	bad "failed populate/import" "exit $rc/$rc2: $out $out2; $(find "$wr" -type d)"
mkdir -p "$wr/prod/vm-w9/$VC_DIR" "$wr/prod9/vm-w9/$VC_DIR"
vm_conf "$wr" vm-w9 > "$data/conf-w9.json"
cni_vm DEL "$data/conf-w9.json" net1 wfail9 >/dev/null 2>&1
[ ! -e "$wr/prod/vm-w9" ] && [ -d "$wr/prod/vm-keep" ] && [ -d "$wr/prod9/vm-w9" ] &&
	ok "DEL removes an empty VM directory an older version left, and nothing else" || bad "DEL prune" "$(find "$wr" -type d)"
if unshare -m true 2>/dev/null; then
	# ENOSPC itself: a full 4 KiB tmpfs in a mount namespace of our own
	out=$(unshare -m sh -c 'mkdir -p "$1" && mount -t tmpfs -o size=4k,mode=0700 none "$1" &&
		head -c 65536 /dev/zero > "$1/filler" 2>/dev/null; "$2" populate prod/vm-a/x --root "$1/c" --network n \
		--from-result "$3" --iface pod16477688c0e; echo "rc=$?"; find "$1/c" -mindepth 1 -type d' sh "$data/tiny" "$vc" "$data/r-a.json" 2>&1)
	grep -q 'No space left on device' <<<"$out" && grep -q '^rc=1$' <<<"$out" && [ "$(sed -n '/^rc=/,$p' <<<"$out" | wc -l)" = 1 ] &&
		ok "a full filesystem (ENOSPC): populate fails and leaves no directory" || bad "ENOSPC" "$out"
else
	echo "    ENOSPC: unshare -m is not available here, so the full-tmpfs case did not run (EFBIG above covers the path)"
fi

# --- hard links: every state file is replaced, never written through ---
hl=$data/hardlink
"$vc" populate prod/vm-h/x --root "$hl" --network n --from-result "$data/r-a.json" --iface pod16477688c0e >/dev/null
for f in outside1 outside2 outside3; do echo "not vifcache's" > "$data/$f"; done
rm -f "$hl/prod/vm-h/$VC_DIR/x.json" "$hl/prod/vm-h/vif-cache-x.json"
ln "$data/outside1" "$hl/prod/vm-h/$VC_DIR/x.json" && ln "$data/outside2" "$hl/prod/vm-h/vif-cache-x.json"
ln "$data/outside3" "$data/export-link.json"
"$vc" populate prod/vm-h/x --root "$hl" --network n --from-result "$data/r-b.json" --iface pod16477688c0e >/dev/null
"$vc" export prod/vm-h --root "$hl" -o "$data/export-link.json" >/dev/null
same=$(cat "$data/outside1" "$data/outside2" "$data/outside3" | sort -u)
links=$(stat -c %h "$data/outside1" "$data/outside2" "$data/outside3" | sort -u)
[ "$same" = "not vifcache's" ] && [ "$links" = 1 ] && [ "$(b64mac "$hl/prod/vm-h/vif-cache-x.json")" = AgAAAAAL ] &&
	[ "$(jq -r '.records[0].mac' "$data/export-link.json")" = 02:00:00:00:00:0b ] &&
	ok "hard links planted as the record, KubeVirt's file and export -o's file are replaced, their other names untouched" ||
	bad "hard links" "outside: '$same', link counts $links"

# --- names: Kubernetes rules for namespaces (label) and VM names (subdomain) ---
expect_named "an uppercase namespace is refused, naming field, value and reason" 2 \
	'namespace "Prod" is not a valid Kubernetes name (DNS-1123 label): uppercase letters are not allowed' "$vc" show Prod/vm-a --root "$kr"
expect_named "a VM name with '_' is refused" 2 'VM name "vm_a" is not a valid Kubernetes name (DNS-1123 subdomain)' \
	"$vc" populate prod/vm_a/net1 --root "$kr" --network n --from-result "$data/r-a.json" --iface pod16477688c0e
expect_named "a VM name that is a subdomain (dots) is fine" 0 "populated prod/vm.a.b/net1" \
	"$vc" populate prod/vm.a.b/net1 --root "$kr" --network n --from-result "$data/r-a.json" --iface pod16477688c0e
jq '.namespace = "Prod" | .records[0].vm.namespace = "Prod"' "$data/export.json" > "$data/upper.json"
expect_named "an export document with namespace Prod is refused" 1 'namespace "Prod" is not a valid Kubernetes name' \
	"$vc" import "$data/upper.json" --root "$data/names"
vm_conf "$data/names" VM-A > "$data/conf-upper.json"
expect_named "the plugin refuses a VM name VM-A (annotation kubevirt.io/domain)" 1 '"VM-A" is not a valid Kubernetes name' \
	cni_vm ADD "$data/conf-upper.json" net1 upper1
[ -z "$(ls -A "$data/names" 2>/dev/null | grep -v '^\.lock$')" ] && ok "nothing was written for the refused names" ||
	bad "refused names" "$(find "$data/names")"
cni_vm DEL "$data/conf-upper.json" net1 upper1 >/dev/null 2>&1

finish
