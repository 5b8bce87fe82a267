#!/usr/bin/env bash
# netprep migrate's preflight refusals: a simulated version skew (an
# LD_PRELOAD shim makes B report an older QEMU; the lab has only one), a
# vif-cache that was not handed over, and, on a second lab whose node B
# runs QEMU as libvirt-qemu, post-copy without userfaultfd. Each refusal
# exits 4, names the cause and leaves the guest running on A only. The
# unreachable address is in test_migrate.sh.
set -uo pipefail
build=$(cd "${MIGNET_BUILD:-build}" && pwd)
p="${MIGNET_TEST_PREFIX:-mgt}$(printf '%04x' $(( $$ & 0xffff )))p"
lab=$(mktemp -d "${TMPDIR_BASE:-/tmp/mignet-test}-preflight.XXXXXX")
export MIGNET_LAB_CAPS=$build/lab-capscache
netprep=$build/netprep vc=$build/vifcache
cleanup() { tests/e2e/lab.sh down "$lab" "$p" >/dev/null 2>&1; rm -rf "$lab"; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
. tests/lib/suite.sh
. tests/lib/lab_guest.sh

dom=prod_vm1
# lab_up B_QEMU_USER: a fresh lab and the guest running on A
lab_up() {
	tests/e2e/lab.sh down "$lab" "$p" >/dev/null 2>&1
	if ! out=$(MIGNET_LAB_B_QEMU_USER=$1 tests/e2e/lab.sh up "$lab" "$p" 2>&1); then
		bad "lab up (B's QEMU as $1)" "$(tail -3 <<<"$out")"
			fi
	eval "$(grep -E '^(A|B)=' <<<"$out")"
	lab_guest_start "$A" $dom "mib=32 rate=1 report=250" || { bad "guest start" "no heartbeat"; finish; }
}
lab_up root

# preflight ARGS...: netprep migrate --check from node A to B; rc, $lab/err
preflight() {
	ip netns exec "$p-a" "$netprep" migrate $dom --source "$A" --to "$B" --address 10.77.0.2 --check "$@" \
		>"$lab/out" 2>"$lab/err"
	rc=$?
}
refused() { # needle: exit 4, the needle in the refusal, the guest on A only
	why="exit $rc: $(cat "$lab/err" "$lab/out")"
	[ $rc = 4 ] && grep -qF -- "$1" "$lab/err" && [ "$(lab_guest_where $dom)" = A ]
}

preflight
why="exit $rc: $(cat "$lab/err")"
check "the baseline passes: --check exits 0 and moves nothing" \
	eval '[ $rc = 0 ] && grep -q "preflight passed" "$lab/out" && [ "$(lab_guest_where $dom)" = A ]'

mkdir -p "$lab/sys0/vm"; echo 0 > "$lab/sys0/vm/unprivileged_userfaultfd"
preflight --post-copy --proc-sys "$lab/sys0"
why="exit $rc: $(cat "$lab/err")"
check "post-copy towards a root QEMU needs no userfaultfd sysctl" test $rc = 0

# version skew, simulated: B claims QEMU 6.2.0
src_qemu=$(virsh -q -c "$A" version | sed -n 's/^Running hypervisor: QEMU //p')
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" LD_PRELOAD=$build/tests/libskew.so \
	MIGNET_SKEW_URI="$lab/b/sock" MIGNET_SKEW_QEMU=6002000 preflight
check "a target QEMU older than the source's is refused as version skew (exit 4)" \
	refused "version skew: target QEMU 6.2.0 is older than source QEMU $src_qemu"

# the vif-cache hand-over
cat > "$lab/result.json" <<'JSON'
{"cniVersion":"1.0.0","interfaces":[{"name":"pod16477688c0e","mac":"02:00:00:aa:bb:01","sandbox":"/run/netns/x"}],
 "ips":[{"address":"10.13.0.5/24","gateway":"10.13.0.1","interface":0}]}
JSON
"$vc" populate prod/vm1/pod16477688c0e --network vlan13 --from-result "$lab/result.json" --root "$lab/cache-a" >/dev/null
preflight --vif-cache "$lab/cache-a" --vif-cache-target "$lab/cache-b"
check "records not exported to the target are refused, with the commands to run (exit 4)" \
	refused "prod/vm1/pod16477688c0e is not in the target's cache $lab/cache-b; run vifcache export prod/vm1"
"$vc" export prod/vm1 --root "$lab/cache-a" -o "$lab/vm1.export.json" >/dev/null
"$vc" import "$lab/vm1.export.json" --root "$lab/cache-b" >/dev/null
preflight --vif-cache "$lab/cache-a" --vif-cache-target "$lab/cache-b"
why="exit $rc: $(cat "$lab/err")"
check "after vifcache export and import the hand-over check passes" test $rc = 0
sed 's/10.13.0.5/10.13.0.6/' "$lab/result.json" > "$lab/other.json"
"$vc" populate prod/vm1/pod16477688c0e --network vlan13 --from-result "$lab/other.json" --root "$lab/cache-b" >/dev/null
preflight --vif-cache "$lab/cache-a" --vif-cache-target "$lab/cache-b"
check "a target record with another address is refused" refused "differs from the source's"
preflight --vif-cache "$lab/cache-a" --vif-cache-target "$lab/cache-b" --vm prod/nosuchvm
check "a VM with no records on the source is refused, not waved through" refused "has no record of prod/nosuchvm"
ip netns exec "$p-a" "$netprep" migrate vm1 --source "$A" --to "$B" --address 10.77.0.2 --check \
	--vif-cache-target "$lab/cache-b" >"$lab/out" 2>"$lab/err"; rc=$?
why="exit $rc: $(cat "$lab/err")"
check "a domain name that is not NAMESPACE_NAME needs --vm (exit 2)" \
	eval '[ $rc = 2 ] && grep -q "expected NAMESPACE_NAME, or give --vm" "$lab/err"'

# post-copy, userfaultfd: B's QEMU is uid 64055 (its capabilities say so).
# (libvirt re-probes QEMU for each call of a daemon whose QEMU user cannot
# open /dev/kvm: some seconds per preflight, so only these run there)
lab_up libvirt-qemu
uid=$(id -u libvirt-qemu)
mkdir -p "$lab/sys0/vm" "$lab/sys1/vm"
echo 0 > "$lab/sys0/vm/unprivileged_userfaultfd"
echo 1 > "$lab/sys1/vm/unprivileged_userfaultfd"
preflight --post-copy --proc-sys "$lab/sys0"
check "post-copy towards a non-root QEMU without userfaultfd is refused (exit 4)" \
	refused "the target's QEMU runs as uid $uid and vm.unprivileged_userfaultfd is 0"
ip netns exec "$p-b" "$netprep" inventory --json --netns "/run/netns/$p-b" --node b --iface mig0 \
	--proc-sys "$lab/sys1" > "$lab/inv-b.json"
preflight --post-copy --proc-sys "$lab/sys0" --target-inventory "$lab/inv-b.json"
why="exit $rc: $(cat "$lab/err")"
check "the target's inventory (unprivilegedUserfaultfd 1) wins over this node's sysctl" test $rc = 0
preflight --strategy auto --proc-sys "$lab/sys0"
check "--strategy auto may switch to post-copy, so it is checked too" \
	refused "vm.unprivileged_userfaultfd is 0"
finish
