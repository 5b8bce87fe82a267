#!/usr/bin/env bash
# make demo: the journey of one VM interface across the two-node lab
# (tests/e2e/lab.sh: two network namespaces, each with its own libvirtd):
# nodes prepared with netprep setup, attachments through the CNI plugin
# exactly as Multus would make them (the migration network too), the
# vif-cache records, a running guest on A, inventory and compare, the
# hand-over to B (same MAC and IP), the migration address picked on B, a
# live migration with netprep migrate over the plugin's migration0, a
# failed migration's missing cache repaired without restarting anything, a
# cancel, and a teardown that leaves nothing. Every step prints the
# commands it runs so a user can repeat it by hand, and every claim is
# checked.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
np=$build/netprep vc=$build/vifcache cni=$build/mignet-cni
p="mdemo$(printf '%04x' $(( $$ & 0xffff )))"
lab=$(mktemp -d /tmp/mignet-demo.XXXXXX)
t0=$(date +%s%N) t_start=$t0
step=0 timings=()
. tests/lib/launcher.sh

say()  { printf '\n\033[1m%d. %s\033[0m\n' "$((++step))" "$*"; }
# commands are echoed on stderr so that $(run ...) captures only their output
run()  { printf '   $ %s\n' "$*" >&2; "$@"; }
fail() { printf '\nDEMO FAILED at step %d: %s\n' "$step" "$*" >&2; exit 1; }
mark() { local now; now=$(date +%s%N); timings+=("$(printf '%2d. %-48s %6d ms' "$step" "$1" $(( (now - t0) / 1000000 )))"); t0=$now; }
nsl()  { ip netns list | awk '{print $1}' | grep "^$p" || true; }

export MIGNET_LAB_CAPS=$build/lab-capscache MIGNET_BUILD=$build
teardown() {
	launcher_stop
	# the lab first: it kills only the daemons and guests it started
	tests/e2e/lab.sh down "$lab/nodes" "$p" >/dev/null 2>&1 || true
	for ns in $(nsl); do ip netns del "$ns" 2>/dev/null || true; done
	rm -rf "$lab"
}
trap teardown EXIT
trap 'teardown; exit 130' INT TERM
[ "$(id -u)" = 0 ] || fail "run as root: the demo creates network namespaces"

# The plugin, invoked the way Multus invokes a delegate: the environment,
# the NetworkAttachmentDefinition's config on stdin with the runtime's
# capability arguments, the result on stdout.
pod_name() { # container-id: the pod's name, as Multus passes it in CNI_ARGS
	case $1 in
	launcher-a) echo virt-launcher-vm-a-x2b9z ;;
	launcher-b) echo virt-launcher-vm-a-q7w8r ;;
	handler-*) echo virt-handler-z9x8w ;;
	*) echo nginx-7d9c7-k4m2p ;;
	esac
}
cni_add() { # node pod cid ifname conf-file [cmd]
	# The plugin refuses to attach into the namespace it runs in (CNI code
	# 8), so an attachment into the node's own namespace, which stands in
	# for virt-handler's pod here, is made from the machine's namespace.
	local wrap=(ip netns exec "$1") shown="ip netns exec $1 "
	local args="IgnoreUnknown=true;K8S_POD_NAMESPACE=prod;K8S_POD_NAME=$(pod_name "$3")"
	[ "$1" = "$2" ] && wrap=() shown=
	printf '   $ %senv CNI_COMMAND=%s CNI_CONTAINERID=%s CNI_NETNS=/run/netns/%s CNI_IFNAME=%s \\\n       CNI_PATH=/usr/lib/cni CNI_ARGS="%s" %s < %s\n' \
		"$shown" "${6:-ADD}" "$3" "$2" "$4" "$args" "$(jq -r .type "$5")" "$(basename "$5")" >&2
	"${wrap[@]}" env CNI_COMMAND="${6:-ADD}" CNI_CONTAINERID="$3" CNI_NETNS="/run/netns/$2" CNI_IFNAME="$4" \
		CNI_PATH=/usr/lib/cni CNI_ARGS="$args" "$cni" < "$5"
}
nic_bytes() { ip netns exec "$p-$1" cat "/sys/class/net/$2/statistics/$3_bytes"; }


say "Bring up two lab nodes and prepare them with netprep setup"
echo "   Each node is a network namespace with its own libvirtd and two NICs, eth0 (VM"
echo "   traffic) and eth1 (migration), veth ends plugged into switch bridges (this"
echo "   kernel has no dummy device). Nothing touches this machine's own NICs."
mkdir -p "$lab" "$build/lab-capscache"
out=$(run tests/e2e/lab.sh up "$lab/nodes" "$p" --bare) || fail "lab: $out"
eval "$(grep -E '^(A|B)=' <<<"$out")"
echo "   -> node A: $A"
echo "   -> node B: $B"
for ns in "$p-launcher-a" "$p-launcher-b"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
for n in a b; do
	cat > "$lab/node-$n.json" <<CONF
{
  "bridges": [{"name": "vlan-13", "uplink": "eth0", "mtu": 1500}],
  "migration": {"interface": "eth1", "mtu": 1500}
}
CONF
done
echo "   node.json (the same on both nodes):"
sed 's/^/     /' "$lab/node-a.json"
run "$np" setup --config "$lab/node-a.json" --netns "/run/netns/$p-a" --dry-run
for n in a b; do run "$np" setup --config "$lab/node-$n.json" --netns "/run/netns/$p-$n"; done
out=$(run "$np" setup --config "$lab/node-b.json" --netns "/run/netns/$p-b")
echo "$out"
grep -q "no changes" <<<"$out" || fail "a second setup run changed something"
mark "nodes up and prepared"

say "Attach through the mignet plugin, exactly as Multus would"
echo "   The migration network (examples/deploy/nad-migration.yaml, a macvlan on eth1)"
echo "   goes into each node's own namespace, where its libvirtd stands in for"
echo "   virt-handler (so eth1 is in that namespace: linkInContainer); its address"
echo "   comes from mignet-ipam."
for n in a b; do
	lo=$([ $n = a ] && echo 10 || echo 20)
	cat > "$lab/migration-$n.json" <<CONF
{"cniVersion":"1.0.0","name":"migration-net","type":"mignet-macvlan","master":"eth1","mode":"bridge","linkInContainer":true,
 "ipam":{"type":"mignet-ipam","dataDir":"$lab/$n/ipam","ranges":[[{"subnet":"10.1.1.0/24","rangeStart":"10.1.1.$lo","rangeEnd":"10.1.1.$((lo + 9))"}]]}}
CONF
	out=$(cni_add "$p-$n" "$p-$n" "handler-$n" migration0 "$lab/migration-$n.json")
	echo "   -> migration0 on node $n: $(jq -r '.ips[0].address' <<<"$out")"
done
echo "   The VM's bridge interface on vlan-13 goes into virt-launcher's namespace on A;"
echo "   the plugin knows the VM from the launcher pod's name, all Multus passes it:"
cat > "$lab/vlan13.json" <<CONF
{"cniVersion":"1.0.0","name":"vlan13","type":"mignet-bridge","bridge":"vlan-13","disableContainerInterface":true,
 "vifCacheDir":"VIFCACHE",
 "capabilities":{"mac":true},
 "ipam":{"type":"mignet-ipam","dataDir":"IPAMDIR","ranges":[[{"subnet":"10.13.0.0/24"}]],"routes":[{"dst":"0.0.0.0/0"}]}}
CONF
for n in a b; do sed "s|VIFCACHE|$lab/$n/vifcache|; s|IPAMDIR|$lab/$n/ipam|" "$lab/vlan13.json" > "$lab/vlan13-$n.json"; done
# another (non-VM) pod on node A took the first address, so the VM's is
# not the same on both nodes by chance
jq 'del(.runtimeConfig)' "$lab/vlan13-a.json" > "$lab/vlan13-other.json"
ip netns add "$p-other-a"
cni_add "$p-a" "$p-other-a" other-pod net9 "$lab/vlan13-other.json" >/dev/null
out_a=$(cni_add "$p-a" "$p-launcher-a" launcher-a pod16477688c0e "$lab/vlan13-a.json")
mac_a=$(jq -r '.interfaces[] | select(.sandbox) | .mac' <<<"$out_a"); ip_a=$(jq -r '.ips[0].address' <<<"$out_a")
echo "   -> pod16477688c0e on node A: MAC $mac_a, IP $ip_a; left down for the VM (disableContainerInterface)"
mark "attached: migration0 on both, VM NIC on A"

say "Show the vif-cache records on node A, in mignet's format and in KubeVirt's"
run "$vc" list --root "$lab/a/vifcache"
echo "   KubeVirt's own encoding (vif-cache-pod16477688c0e.json, base64 MAC and mask):"
jq -c '{MAC, IP: {IP: .IP.IP, Mask: .IP.Mask}, Gateway, IPAMDisabled}' "$lab/a/vifcache/prod/vm-a/vif-cache-pod16477688c0e.json" | sed 's/^/   /'
stat -c '   mode %a, owner %u:%g  %n' "$lab/a/vifcache/prod/vm-a/vif-cache-pod16477688c0e.json"
mark "records shown"

say "Start the VM's guest on node A under libvirt"
echo "   The project's test guest (tests/e2e/guest): 128 MiB, re-dirtying 96 MiB at"
echo "   10 MiB/s, checking its own pages; its serial log is its heartbeat."
. tests/lib/lab_guest.sh
dom=prod_vm-a   # KubeVirt names domains NAMESPACE_NAME
printf '   $ virsh -c %s create %s\n' "$A" "$lab/$dom.xml" >&2
lab_guest_start "$A" $dom "mib=96 rate=10 fill=1 report=250" || fail "the test guest did not boot on node A"
echo "   -> $(tail -1 "$lab/$dom.log")"
mark "guest running on A"

say "Inventory both nodes and compare them"
mkdir -p "$lab/cni-bin"; for k in macvlan bridge ipam; do ln -s "$cni" "$lab/cni-bin/mignet-$k"; done
for n in a b; do
	run "$np" inventory --json --netns "/run/netns/$p-$n" --node "node-$n" --cni-bin-dir "$lab/cni-bin" > "$lab/inv-$n.json"
done
run "$np" inventory --netns "/run/netns/$p-b" --node node-b --cni-bin-dir "$lab/cni-bin"
echo "   A VM on vlan12 (examples/deploy/nad-vlan12.yaml) could not move: no node has its bridge."
set +e
run "$np" compare "$lab/inv-a.json" "$lab/inv-b.json" --nad examples/deploy/nad-vlan12.yaml
rc=$?
set -e
[ $rc = 4 ] || fail "compare did not block a VM whose bridge vlan-12 is missing on B (exit $rc)"
echo "   Our VM is on vlan13:"
set +e
run "$np" compare "$lab/inv-a.json" "$lab/inv-b.json" --nad examples/deploy/nad-vlan13.yaml
rc=$?
set -e
[ $rc = 0 ] || [ $rc = 3 ] || fail "compare finds blocking differences for vlan13 (exit $rc)"
echo "   -> nothing blocks moving a vlan13 VM from node A to node B"
mark "inventory and compare"

say "Hand the VM's records over: export on A, import on B, attach the target on B"
run "$vc" export prod/vm-a --root "$lab/a/vifcache" -o "$lab/vm-a.export.json"
run "$vc" import "$lab/vm-a.export.json" --root "$lab/b/vifcache"
out_b=$(cni_add "$p-b" "$p-launcher-b" launcher-b pod16477688c0e "$lab/vlan13-b.json")
mac_b=$(jq -r '.interfaces[] | select(.sandbox) | .mac' <<<"$out_b"); ip_b=$(jq -r '.ips[0].address' <<<"$out_b")
echo "   -> node B: MAC $mac_b, IP $ip_b"
[ "$mac_a" = "$mac_b" ] && [ "$ip_a" = "$ip_b" ] || fail "node B got $mac_b $ip_b, node A had $mac_a $ip_a"
run "$vc" verify prod/vm-a/pod16477688c0e --root "$lab/b/vifcache" --netns "/run/netns/$p-launcher-b"
mark "target attached with the same MAC and IP"

say "Pick the migration address on B, then live-migrate with netprep migrate"
addr_b=$(run "$np" address --netns "/run/netns/$p-b" --iface migration0)
echo "   -> $addr_b, migration0's address on node B: the stream goes to tcp://$addr_b:49152"
[ "$addr_b" = 10.1.1.20 ] || fail "node B's migration address is $addr_b, expected 10.1.1.20"
# examples/kubevirt-cr.yaml as `kubectl get kubevirt -n kubevirt kubevirt -o json` gives it
cat > "$lab/kubevirt.json" <<'JSON'
{"apiVersion":"kubevirt.io/v1","kind":"KubeVirt","metadata":{"name":"kubevirt","namespace":"kubevirt"},
 "spec":{"configuration":{"migrations":{"network":"migration-net","bandwidthPerMigration":"48Mi",
 "completionTimeoutPerGiB":150,"progressTimeout":150,"allowAutoConverge":true,"allowPostCopy":false,
 "parallelMigrationsPerCluster":5,"parallelOutboundMigrationsPerNode":2}}}}
JSON
run ip netns exec "$p-a" "$np" migrate $dom --source "$A" --to "$B" --address "$addr_b" --check \
	--vif-cache "$lab/a/vifcache" --vif-cache-target "$lab/b/vifcache" || fail "preflight refused the move"
hb0=$(lab_guest_hb $dom) tx0=$(nic_bytes a eth1 tx) rx0=$(nic_bytes b eth1 rx) m0=$(nic_bytes b migration0 rx)
printf '   $ %s\n' "ip netns exec $p-a netprep migrate $dom --source $A --to $B --address $addr_b --config kubevirt.json --json" >&2
echo "   live progress, from its --json stream:"
ip netns exec "$p-a" "$np" migrate $dom --source "$A" --to "$B" --address "$addr_b" \
	--config "$lab/kubevirt.json" --json 2>"$lab/mig.err" | tee "$lab/mig.json" | jq --unbuffered -r 'select(.event == "progress") |
	"     \(.elapsedMs / 1000 | floor)s  \(if .dataTotal > 0 then (100 * (.dataTotal - .dataRemaining) / .dataTotal | floor) else 0 end)%  \(.dataProcessed / 1048576 | floor) MiB sent  \(.dataRemaining / 1048576 | floor) MiB left  \(.memoryBps / 1048576 | floor) MiB/s  iteration \(.iteration)  \(.mode)"'
[ "${PIPESTATUS[0]}" = 0 ] || fail "netprep migrate: $(tail -1 "$lab/mig.json") $(cat "$lab/mig.err")"
mark "live migration"

say "The guest runs on B: heartbeat unbroken, pages intact, bytes over the migration network"
echo "   the final migrationState:"
tail -1 "$lab/mig.json" | jq '{migrationUid, sourceNode, targetNode, targetNodeAddress, targetDirectMigrationNodePorts,
	startTimestamp, endTimestamp, completed, failed, mode, abortRequested, downtimeMs, totalBytes, iterations}' | sed 's/^/     /'
[ "$(tail -1 "$lab/mig.json" | jq -r .completed)" = true ] || fail "the status does not say completed"
where=$(lab_guest_where $dom)
run virsh -q -c "$B" list
[ "$where" = B ] || fail "the guest is on $where, not on B only"
lab_guest_wait_hb $dom $((hb0 + 4)) || fail "the guest's heartbeat stopped after the move"
last=$(tail -1 "$lab/$dom.log")
grep -q "verify_err_total=0 " <<<"$last" || fail "the guest found corrupted pages: $last"
tx=$(( ($(nic_bytes a eth1 tx) - tx0) >> 20 )) rx=$(( ($(nic_bytes b eth1 rx) - rx0) >> 20 ))
m=$(( ($(nic_bytes b migration0 rx) - m0) >> 20 ))
[ $tx -ge 90 ] && [ $rx -ge 90 ] || fail "only $tx MiB left A and $rx MiB reached B on eth1"
[ $m -ge 90 ] || fail "only $m MiB arrived on B's migration0, the plugin's interface"
hb1=$(lab_guest_hb $dom)
echo "   -> on B only; heartbeat $hb0 -> $hb1; guest: $last"
echo "   -> $tx MiB left node A and $rx MiB reached node B on eth1, the migration NIC;"
echo "      $m MiB of it arrived on migration0, the interface the mignet plugin made"
mark "guest verified on B"

say "Break it: a failed migration leaves the target's cache missing"
echo "   KubeVirt would now loop on \"vif-cache-pod16477688c0e.json: no such file or directory\""
echo "   and the documented fix is to restart the VM. mignet repairs it instead:"
run rm "$lab/b/vifcache/prod/vm-a/mignet/pod16477688c0e.json" "$lab/b/vifcache/prod/vm-a/vif-cache-pod16477688c0e.json"
set +e
run "$vc" verify prod/vm-a/pod16477688c0e --root "$lab/b/vifcache" --netns "/run/netns/$p-launcher-b"
rc=$?
set -e
[ $rc = 4 ] || fail "verify exited $rc on a missing record, expected 4"
run "$vc" repair prod/vm-a --root "$lab/b/vifcache" --netns "/run/netns/$p-launcher-b" --from-export "$lab/vm-a.export.json" --container-id launcher-b --dry-run
run "$vc" repair prod/vm-a --root "$lab/b/vifcache" --netns "/run/netns/$p-launcher-b" --from-export "$lab/vm-a.export.json" --container-id launcher-b
run "$vc" verify prod/vm-a/pod16477688c0e --root "$lab/b/vifcache" --netns "/run/netns/$p-launcher-b"
gw=$(jq -r .Gateway "$lab/b/vifcache/prod/vm-a/vif-cache-pod16477688c0e.json" 2>/dev/null || true)
[ "$gw" = 10.13.0.1 ] || fail "KubeVirt's file was not rebuilt with the gateway (got '$gw')"
[ "$(lab_guest_where $dom)" = B ] || fail "the guest is no longer running on B"
echo "   -> repaired: the record and KubeVirt's vif-cache file are back; the guest kept running on B"
echo "   KubeVirt itself reads the launcher pod's /var/run/kubevirt-private/vif-cache-<iface>.json"
echo "   (through /proc/<launcher pid>/root) and virt-handler's network-info-cache. Here a dead"
echo "   target pod left the network state Finished and the new launcher has no file (#18087):"
uid=5f0c6e1a-0d3b-4c51-9a7e-2b8f6d4c3a10 hroot=$lab/b/handler
mkdir -p "$hroot/network-info-cache/$uid"
printf '{\n  "iface": {\n    "name": "vlan13",\n    "bridge": {}\n  },\n  "podIP": "%s",\n  "networkState": 2\n}' \
	"${ip_a%/*}" > "$hroot/network-info-cache/$uid/vlan13"
# the launcher stand-in: the pod's network namespace, a root of its own
launcher_start "$lab/b/launcher" "$p-launcher-b" || fail "the launcher stand-in did not start"
lpid=$LAUNCHER_PID
kv=(--launcher-pid "$lpid" --iface pod16477688c0e --vmi-uid "$uid" --network vlan13 --handler-root "$hroot"
    --vm prod/vm-a --root "$lab/b/vifcache")
set +e
out=$(run "$vc" kv-verify "${kv[@]}"); rc=$?
set -e
echo "$out"
[ $rc = 4 ] && grep -q "#18087" <<<"$out" || fail "kv-verify did not name the #18087 state (exit $rc)"
run "$vc" kv-repair "${kv[@]}" --dry-run
run "$vc" kv-repair "${kv[@]}"
run "$vc" kv-verify "${kv[@]}"
kvfile=/proc/$lpid/root/run/kubevirt-private/vif-cache-pod16477688c0e.json
[ "$(stat -c '%a %u:%g' "$kvfile")" = "604 107:107" ] && [ "$(jq -r .Gateway "$kvfile")" = 10.13.0.1 ] ||
	fail "the launcher's vif-cache file is not KubeVirt's (mode, owner or gateway)"
launcher_stop
echo "   -> the launcher's file is written Go-exact (0604, 107:107) inside the pod's own root, and"
echo "      the stale state reset to pending; the VM was never restarted"
mark "broken and repaired"

say "Cancel a migration that cannot converge: the VM stays where it was"
lab_guest_start "$A" prod_vm-busy "mib=96 rate=max fill=1 report=250" || fail "the busy guest did not boot"
printf '   $ %s\n' "netprep migrate prod_vm-busy ... --bandwidth 8Mi --json &   # then, from another shell:" >&2
ip netns exec "$p-a" "$np" migrate prod_vm-busy --source "$A" --to "$B" --address "$addr_b" \
	--bandwidth 8Mi --json > "$lab/cancel.json" 2>"$lab/cancel.err" &
mpid=$!
for _ in $(seq 1 200); do grep -q '"event":"progress"' "$lab/cancel.json" && break; sleep 0.05; done
run "$np" migrate-cancel prod_vm-busy --source "$A"
wait $mpid && fail "the cancelled migration reported success"
status=$(tail -1 "$lab/cancel.json" | jq -r '"abortRequested=\(.abortRequested) abortStatus=\(.abortStatus)"')
[ "$status" = "abortRequested=true abortStatus=Succeeded" ] || fail "cancel: $status"
[ "$(lab_guest_where prod_vm-busy)" = A ] || fail "after cancel the guest is on $(lab_guest_where prod_vm-busy)"
echo "   -> $status; the guest still runs on A only"
mark "cancel"

say "Detach everything through the plugin (DEL) and tear the lab down"
cni_add "$p-b" "$p-launcher-b" launcher-b pod16477688c0e "$lab/vlan13-b.json" DEL >/dev/null
cni_add "$p-a" "$p-launcher-a" launcher-a pod16477688c0e "$lab/vlan13-a.json" DEL >/dev/null
cni_add "$p-a" "$p-other-a" other-pod net9 "$lab/vlan13-other.json" DEL >/dev/null
for n in a b; do cni_add "$p-$n" "$p-$n" "handler-$n" migration0 "$lab/migration-$n.json" DEL >/dev/null; done
leases=$(find "$lab"/*/ipam -type f ! -name lock ! -name 'last_reserved_ip.*' ! -name .all-indexed | wc -l)
records=$("$vc" list --root "$lab/a/vifcache" | tail -n +2 | wc -l)
[ "$leases" = 0 ] && [ "$records" = 0 ] || fail "$leases lease(s) and $records record(s) left after DEL"
echo "   -> every lease released, node A's records gone with their pods"
lab_pids=$(cat "$lab"/nodes/*/libvirtd.pid 2>/dev/null || true)
teardown
trap - EXIT
[ -z "$(nsl)" ] || fail "namespaces left: $(nsl)"
[ ! -e "$lab" ] || fail "$lab left behind"
# a killed daemon may linger as a zombie until its reaper runs: that is gone too
for pid in $lab_pids; do
	state=$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null || true)
	[ -z "$state" ] || [ "$state" = Z ] || fail "libvirtd $pid still runs"
done
echo "   -> no namespace with prefix $p, no lab directory and no lab daemon remain"
mark "teardown"

printf '\nClaims checked\n'
printf '   %-70s %s\n' "same MAC and IP on B as on A" "$mac_b $ip_b" \
	"guest running on B only, heartbeat on, no page corrupted" "heartbeat $hb0 -> $hb1" \
	"memory crossed the migration network (A eth1 / B eth1 / B migration0)" "$tx / $rx / $m MiB" \
	"cache repaired on B without restarting the VM" "verify exit 0" \
	"cancel left the VM on A" "abortStatus=Succeeded" \
	"nothing left behind" "0 namespaces, 0 leases, 0 records"
printf '\nTimings (%d ms in all)\n' $(( ($(date +%s%N) - t_start) / 1000000 ))
printf '   %s\n' "${timings[@]}"
echo "demo: all claims checked."
