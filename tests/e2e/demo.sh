#!/usr/bin/env bash
# make demo: the journey of one VM interface across two lab nodes, as far as
# mignet has built it: nodes compared and prepared with netprep, attachments
# through the CNI plugin exactly as Multus would make them, the vif-cache
# records, the hand-over to the target node (same MAC and IP), the migration
# address, a failed migration's missing cache repaired without restarting
# anything, then a live migration of a running guest between two libvirt
# nodes with netprep migrate, and a cancel that leaves it in place. Every
# step prints the commands it runs so a user can repeat it by hand, and
# every claim is checked.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
np=$build/netprep vc=$build/vifcache cni=$build/mignet-cni
p="mdemo$(printf '%04x' $(( $$ & 0xffff )))"
sw=$p-sw
lab=$(mktemp -d /tmp/mignet-demo.XXXXXX)
t0=$(date +%s%N) t_start=$t0
step=0 timings=()

say()  { printf '\n\033[1m%d. %s\033[0m\n' "$((++step))" "$*"; }
# commands are echoed on stderr so that $(run ...) captures only their output
run()  { printf '   $ %s\n' "$*" >&2; "$@"; }
fail() { printf '\nDEMO FAILED at step %d: %s\n' "$step" "$*" >&2; exit 1; }
mark() { local now; now=$(date +%s%N); timings+=("$(printf '%2d. %-48s %6d ms' "$step" "$1" $(( (now - t0) / 1000000 )))"); t0=$now; }
nsl()  { ip netns list | awk '{print $1}' | grep "^$p" || true; }

teardown() {
	# the libvirt lab first: it kills only the daemons and guests it started
	[ -z "${mlab:-}" ] || MIGNET_LAB_CAPS=$build/lab-capscache tests/e2e/lab.sh down "$mlab" "$lab_prefix" >/dev/null 2>&1 || true
	for ns in $(nsl); do ip netns del "$ns" 2>/dev/null || true; done
	rm -rf "$lab"
}
trap teardown EXIT
trap 'teardown; exit 130' INT TERM
[ "$(id -u)" = 0 ] || fail "run as root: the demo creates network namespaces"

# The plugin, invoked the way Multus invokes a delegate: the environment,
# the NetworkAttachmentDefinition's config on stdin with the runtime's
# capability arguments, the result on stdout.
cni_add() { # node pod cid ifname conf-file [cmd]
	printf '   $ ip netns exec %s env CNI_COMMAND=%s CNI_CONTAINERID=%s CNI_NETNS=/run/netns/%s CNI_IFNAME=%s \\\n       CNI_PATH=/usr/lib/cni CNI_ARGS="IgnoreUnknown=true;K8S_POD_NAMESPACE=prod;K8S_POD_NAME=virt-launcher-vm-a" %s < %s\n' \
		"$1" "${6:-ADD}" "$3" "$2" "$4" "$(jq -r .type "$5")" "$(basename "$5")" >&2
	ip netns exec "$1" env CNI_COMMAND="${6:-ADD}" CNI_CONTAINERID="$3" CNI_NETNS="/run/netns/$2" CNI_IFNAME="$4" \
		CNI_PATH=/usr/lib/cni CNI_ARGS="IgnoreUnknown=true;K8S_POD_NAMESPACE=prod;K8S_POD_NAME=virt-launcher-vm-a" \
		"$cni" < "$5"
}

say "Bring up two lab nodes and the networks between them"
echo "   Each node is a network namespace with two NICs, eth0 (VM traffic) and eth1"
echo "   (migration), veth ends plugged into switch bridges (this kernel has no dummy"
echo "   device). Nothing touches this machine's own NICs."
for ns in "$sw" "$p-a" "$p-b" "$p-handler-a" "$p-handler-b" "$p-launcher-a" "$p-launcher-b"; do
	ip netns add "$ns"; ip -n "$ns" link set lo up
done
for br in br-vm br-mig; do run ip -n "$sw" link add $br type bridge; run ip -n "$sw" link set $br up; done
for n in a b; do
	for nic in eth0:br-vm eth1:br-mig; do
		run ip -n "$sw" link add "${nic%%:*}-$n" type veth peer name "${nic%%:*}" netns "$p-$n"
		run ip -n "$sw" link set "${nic%%:*}-$n" master "${nic#*:}" up
	done
done
mark "nodes and switches"

say "Compare the nodes before node B is prepared: what would block a migration"
for n in a b; do
	cat > "$lab/node-$n.json" <<CONF
{
  "bridges": [{"name": "vlan-13", "uplink": "eth0", "mtu": 1500}],
  "migration": {"interface": "eth1", "mtu": 1450, "address": "10.1.2.$([ $n = a ] && echo 1 || echo 2)/24"}
}
CONF
done
echo "   node-a.json (node-b.json differs only in eth1's address):"
sed 's/^/     /' "$lab/node-a.json"
mkdir -p "$lab/cni-bin"; for k in macvlan bridge ipam; do ln -s "$cni" "$lab/cni-bin/mignet-$k"; done
inventory() { run "$np" inventory --json --netns "/run/netns/$p-$1" --node "node-$1" --iface eth1 --cni-bin-dir "$lab/cni-bin" > "$lab/inv-$1.json"; }
run "$np" setup --config "$lab/node-a.json" --netns "/run/netns/$p-a"
inventory a; inventory b
set +e
run "$np" compare "$lab/inv-a.json" "$lab/inv-b.json" --nad "$(dirname "$0")/../../examples/deploy/nad-vlan13.yaml"
rc=$?
set -e
[ $rc = 4 ] || fail "compare found nothing blocking on the unprepared node B (exit $rc)"
mark "compare: node B would block"

say "Prepare node B with netprep setup, then compare again"
run "$np" setup --config "$lab/node-b.json" --netns "/run/netns/$p-b" --dry-run
run "$np" setup --config "$lab/node-b.json" --netns "/run/netns/$p-b"
out=$(run "$np" setup --config "$lab/node-b.json" --netns "/run/netns/$p-b")
echo "$out"
grep -q "no changes" <<<"$out" || fail "a second setup run changed something"
inventory b
set +e
run "$np" compare "$lab/inv-a.json" "$lab/inv-b.json" --nad "$(dirname "$0")/../../examples/deploy/nad-vlan13.yaml"
rc=$?
set -e
[ $rc = 0 ] || [ $rc = 3 ] || fail "compare still finds blocking differences after setup (exit $rc)"
echo "   -> nothing blocks a migration from node A to node B any more"
mark "setup and compare"

say "Give each node's virt-handler its migration0 through the mignet plugin (macvlan on eth1)"
for n in a b; do
	lo=$([ $n = a ] && echo 10 || echo 20)
	cat > "$lab/migration-$n.json" <<CONF
{"cniVersion":"1.0.0","name":"migration","type":"mignet-macvlan","master":"eth1","mode":"bridge",
 "ipam":{"type":"mignet-ipam","dataDir":"$lab/$n/ipam","ranges":[[{"subnet":"10.1.1.0/24","rangeStart":"10.1.1.$lo","rangeEnd":"10.1.1.$((lo + 9))"}]]}}
CONF
	out=$(cni_add "$p-$n" "$p-handler-$n" "handler-$n" migration0 "$lab/migration-$n.json")
	echo "   -> migration0 on node $n: $(jq -r '.ips[0].address' <<<"$out")"
done
addr_b=$(run "$np" address --netns "/run/netns/$p-handler-b")
echo "   -> netprep address on node B: $addr_b (the address the migration stream goes to)"
[ "$addr_b" = 10.1.1.20 ] || fail "node B's migration address is $addr_b, expected 10.1.1.20"
out=$(ip netns exec "$p-handler-a" bash -c "exec 3<>/dev/tcp/$addr_b/49152" 2>&1 || true)
case $out in *"Connection refused"*) echo "   -> node A reaches $addr_b over migration0 (TCP RST from B, not 'no route')" ;;
	*) fail "node A cannot reach $addr_b: $out" ;; esac
mark "migration network via the plugin"

say "Attach the VM's bridge interface on node A, as Multus would for virt-launcher"
cat > "$lab/vlan13.json" <<CONF
{"cniVersion":"1.0.0","name":"vlan13","type":"mignet-bridge","bridge":"vlan-13","disableContainerInterface":true,
 "vifCacheDir":"VIFCACHE",
 "capabilities":{"mac":true,"io.kubernetes.cri.pod-annotations":true},
 "runtimeConfig":{"io.kubernetes.cri.pod-annotations":{"kubevirt.io/domain":"vm-a"}},
 "ipam":{"type":"mignet-ipam","dataDir":"IPAMDIR","ranges":[[{"subnet":"10.13.0.0/24"}]],"routes":[{"dst":"0.0.0.0/0"}]}}
CONF
for n in a b; do sed "s|VIFCACHE|$lab/$n/vifcache|; s|IPAMDIR|$lab/$n/ipam|" "$lab/vlan13.json" > "$lab/vlan13-$n.json"; done
# another (non-VM) pod on node A took the first address, so the VM's is
# not the same on both nodes by chance
jq 'del(.runtimeConfig)' "$lab/vlan13-a.json" > "$lab/vlan13-other.json"
cni_add "$p-a" "$p-handler-a" other-pod net9 "$lab/vlan13-other.json" >/dev/null
out_a=$(cni_add "$p-a" "$p-launcher-a" launcher-a pod16477688c0e "$lab/vlan13-a.json")
mac_a=$(jq -r '.interfaces[] | select(.sandbox) | .mac' <<<"$out_a"); ip_a=$(jq -r '.ips[0].address' <<<"$out_a")
echo "   -> pod16477688c0e on node A: MAC $mac_a, IP $ip_a; left down for the VM (disableContainerInterface)"
mark "VM interface attached on A"

say "Show the vif-cache records on node A, in mignet's format and in KubeVirt's"
run "$vc" list --root "$lab/a/vifcache"
echo "   KubeVirt's own encoding (vif-cache-pod16477688c0e.json, base64 MAC and mask):"
jq -c '{MAC, IP: {IP: .IP.IP, Mask: .IP.Mask}, Gateway, IPAMDisabled}' "$lab/a/vifcache/prod/vm-a/vif-cache-pod16477688c0e.json" | sed 's/^/   /'
stat -c '   mode %a, owner %u:%g  %n' "$lab/a/vifcache/prod/vm-a/vif-cache-pod16477688c0e.json"
mark "records shown"

say "Hand the VM's records over: export on A, import on B"
run "$vc" export prod/vm-a --root "$lab/a/vifcache" -o "$lab/vm-a.export.json"
run "$vc" import "$lab/vm-a.export.json" --root "$lab/b/vifcache"
mark "export / import"

say "Attach the target pod on node B: same MAC and IP as on A"
out_b=$(cni_add "$p-b" "$p-launcher-b" launcher-b pod16477688c0e "$lab/vlan13-b.json")
mac_b=$(jq -r '.interfaces[] | select(.sandbox) | .mac' <<<"$out_b"); ip_b=$(jq -r '.ips[0].address' <<<"$out_b")
echo "   -> node B: MAC $mac_b, IP $ip_b"
[ "$mac_a" = "$mac_b" ] && [ "$ip_a" = "$ip_b" ] || fail "node B got $mac_b $ip_b, node A had $mac_a $ip_a"
run "$vc" verify prod/vm-a/pod16477688c0e --root "$lab/b/vifcache" --netns "/run/netns/$p-launcher-b"
mark "target attached with the same MAC and IP"

say "Break it: a failed migration leaves the target's cache missing"
echo "   KubeVirt would now loop on \"vif-cache-pod16477688c0e.json: no such file or directory\""
echo "   and the documented fix is to restart the VM. mignet repairs it instead:"
run rm "$lab/b/vifcache/prod/vm-a/pod16477688c0e.json" "$lab/b/vifcache/prod/vm-a/vif-cache-pod16477688c0e.json"
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
echo "   -> repaired: the record and KubeVirt's vif-cache file are back, the pod's link untouched"
mark "broken and repaired"

say "Live-migrate a running VM between two libvirt nodes over the migration network"
# A second pair of nodes, each with its own libvirtd (tests/e2e/lab.sh), and
# the project's test guest: 128 MiB, re-dirtying 96 MiB, checking its pages.
lab_prefix=${p}l mlab=$lab/libvirt-lab
mkdir -p "$build/lab-capscache"
out=$(MIGNET_LAB_CAPS=$build/lab-capscache run tests/e2e/lab.sh up "$mlab" "$lab_prefix") || fail "libvirt lab: $out"
eval "$(grep -E '^(A|B)=' <<<"$out")"
. tests/lib/lab_guest.sh
lab_guest_start "$A" vm-a "mib=96 rate=10 fill=1 report=250" || fail "the test guest did not boot on node A"
hb0=$(lab_guest_hb vm-a) tx0=$(lab_mig_bytes a tx)
# examples/kubevirt-cr.yaml as `kubectl get kubevirt -n kubevirt kubevirt -o json` gives it
cat > "$lab/kubevirt.json" <<'JSON'
{"apiVersion":"kubevirt.io/v1","kind":"KubeVirt","metadata":{"name":"kubevirt","namespace":"kubevirt"},
 "spec":{"configuration":{"migrations":{"network":"migration-net","bandwidthPerMigration":"64Mi",
 "completionTimeoutPerGiB":150,"progressTimeout":150,"allowAutoConverge":true,"allowPostCopy":false,
 "parallelMigrationsPerCluster":5,"parallelOutboundMigrationsPerNode":2}}}}
JSON
run ip netns exec "$lab_prefix-a" "$np" migrate vm-a --source "$A" --to "$B" --address 10.77.0.2 \
	--config "$lab/kubevirt.json" --json > "$lab/mig.json" || fail "netprep migrate: $(tail -1 "$lab/mig.json")"
jq -r 'select(.event == "status") | "   status: completed=\(.completed) mode=\(.mode) \(.totalBytes / 1048576 | floor) MiB in \(.iterations) iteration(s), downtime \(.downtimeMs) ms, to \(.targetNodeAddress)"' "$lab/mig.json"
moved=$(( ($(lab_mig_bytes a tx) - tx0) >> 20 ))
[ "$moved" -ge 90 ] || fail "only $moved MiB left node A on mig0"
[ "$(lab_guest_where vm-a)" = B ] || fail "the guest is on $(lab_guest_where vm-a), not on B"
lab_guest_wait_hb vm-a $((hb0 + 4)) || fail "the guest's heartbeat stopped after the move"
grep -q "verify_err_total=0 " <<<"$(tail -1 "$lab/vm-a.log")" || fail "the guest found corrupted pages: $(tail -1 "$lab/vm-a.log")"
echo "   -> $moved MiB crossed the migration network; the guest runs on B only, its heartbeat went on ($hb0 -> $(lab_guest_hb vm-a)), no page corrupted"
mark "live migration"

say "Cancel a migration that cannot converge: the VM stays where it was"
lab_guest_start "$A" vm-busy "mib=96 rate=max fill=1 report=250" || fail "the busy guest did not boot"
printf '   $ %s\n' "netprep migrate vm-busy ... --bandwidth 8Mi --json &   # then, from another shell:" >&2
ip netns exec "$lab_prefix-a" "$np" migrate vm-busy --source "$A" --to "$B" --address 10.77.0.2 \
	--bandwidth 8Mi --json > "$lab/cancel.json" 2>"$lab/cancel.err" &
mpid=$!
for _ in $(seq 1 200); do grep -q '"event":"progress"' "$lab/cancel.json" && break; sleep 0.05; done
run "$np" migrate-cancel vm-busy --source "$A"
wait $mpid && fail "the cancelled migration reported success"
status=$(tail -1 "$lab/cancel.json" | jq -r '"abortRequested=\(.abortRequested) abortStatus=\(.abortStatus)"')
[ "$status" = "abortRequested=true abortStatus=Succeeded" ] || fail "cancel: $status"
[ "$(lab_guest_where vm-busy)" = A ] || fail "after cancel the guest is on $(lab_guest_where vm-busy)"
echo "   -> $status; the guest still runs on A only"
MIGNET_LAB_CAPS=$build/lab-capscache tests/e2e/lab.sh down "$mlab" "$lab_prefix" >/dev/null; mlab=
mark "cancel"

say "Detach everything through the plugin (DEL) and tear the lab down"
cni_add "$p-b" "$p-launcher-b" launcher-b pod16477688c0e "$lab/vlan13-b.json" DEL >/dev/null
cni_add "$p-a" "$p-launcher-a" launcher-a pod16477688c0e "$lab/vlan13-a.json" DEL >/dev/null
cni_add "$p-a" "$p-handler-a" other-pod net9 "$lab/vlan13-other.json" DEL >/dev/null
for n in a b; do cni_add "$p-$n" "$p-handler-$n" "handler-$n" migration0 "$lab/migration-$n.json" DEL >/dev/null; done
leases=$(find "$lab"/*/ipam -type f ! -name lock ! -name 'last_reserved_ip.*' ! -name .all-indexed | wc -l)
records=$("$vc" list --root "$lab/a/vifcache" | tail -n +2 | wc -l)
[ "$leases" = 0 ] && [ "$records" = 0 ] || fail "$leases lease(s) and $records record(s) left after DEL"
echo "   -> every lease released, node A's records gone with their pods"
teardown
trap - EXIT
[ -z "$(nsl)" ] || fail "namespaces left: $(nsl)"
[ ! -e "$lab" ] || fail "$lab left behind"
echo "   -> no namespace with prefix $p and no lab directory remain"
mark "teardown"

printf '\nSummary (%d ms in all)\n' $(( ($(date +%s%N) - t_start) / 1000000 ))
printf '   %s\n' "${timings[@]}"
cat <<'EOF2'
demo: all claims checked.
EOF2
