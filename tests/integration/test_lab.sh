#!/usr/bin/env bash
# The two-node migration lab of tests/e2e/lab.sh with the project's test
# guest: a plain libvirt live migration (virsh, peer to peer) over the
# migration network, the baseline netprep migrate builds on. Checks: the
# bytes crossed the migration interfaces, the guest runs on B and no longer
# on A, its heartbeat went on across the move, and no page was corrupted.
set -uo pipefail
build=$(cd "${MIGNET_BUILD:-build}" && pwd)
p="${MIGNET_TEST_PREFIX:-mgt}$(printf '%04x' $(( $$ & 0xffff )))l"
lab=$(mktemp -d "${TMPDIR_BASE:-/tmp/mignet-test}-lab.XXXXXX")
export MIGNET_LAB_CAPS=$build/lab-capscache
passed=0 failed=0
cleanup() { tests/e2e/lab.sh down "$lab" "$p" >/dev/null 2>&1; rm -rf "$lab"; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
ok()  { echo "[       OK ] $1"; passed=$((passed + 1)); }
bad() { echo "[  FAILED  ] $1: $2"; failed=$((failed + 1)); }
finish() {
	echo "[==========] $((passed + failed)) test(s) run."
	echo "[  PASSED  ] $passed test(s)."
	[ $failed = 0 ] || { echo "[  FAILED  ] $failed test(s), listed above"; exit 1; }
	exit 0
}

if ! out=$(tests/e2e/lab.sh up "$lab" "$p" 2>&1); then
	bad "lab up" "$(tail -3 <<<"$out")"
	finish
fi
eval "$(grep -E '^(A|B)=' <<<"$out")"
ok "two libvirt daemons up in node namespaces"

cat > "$lab/guest.xml" <<XML
<domain type='qemu'>
  <name>mignet-lab-guest</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>$build/guest.elf</kernel>
      <cmdline>mib=96 rate=10 fill=1 report=250</cmdline></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <serial type='file'><source path='$lab/serial.log' append='on'/><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>
XML
virsh -q -c "$A" create "$lab/guest.xml" >/dev/null || { bad "guest start" "virsh create failed"; finish; }
hb() { tail -1 "$lab/serial.log" 2>/dev/null | sed -n 's/^hb=\([0-9]*\) .*/\1/p'; }
for _ in $(seq 1 200); do [ "$(hb)" -ge 4 ] 2>/dev/null && break; sleep 0.05; done
hb_before=$(hb)
[ "${hb_before:-0}" -ge 4 ] && ok "the guest runs on node A (heartbeat $hb_before)" || { bad "guest on A" "no heartbeat"; finish; }

rx() { ip netns exec "$p-$1" cat /sys/class/net/mig0/statistics/"$2"_bytes; }
tx_a0=$(rx a tx) rx_b0=$(rx b rx)
if virsh -q -c "$A" migrate --live --p2p mignet-lab-guest "$B" tcp://10.77.0.2:49152 >"$lab/migrate.log" 2>&1; then
	ok "virsh migrate A -> B over tcp://10.77.0.2:49152"
else
	bad "migrate" "$(cat "$lab/migrate.log")"
	finish
fi
mib=$(( ($(rx b rx) - rx_b0) / 1048576 )) tmib=$(( ($(rx a tx) - tx_a0) / 1048576 ))
[ $mib -ge 90 ] && [ $tmib -ge 90 ] && ok "the memory crossed the migration network ($tmib MiB out of A, $mib MiB into B)" ||
	bad "bytes on mig0" "$tmib MiB out of A, $mib MiB into B"
on_b=$(virsh -q -c "$B" domstate mignet-lab-guest 2>/dev/null) on_a=$(virsh -q -c "$A" list --name 2>/dev/null | grep -c mignet-lab-guest)
[ "$on_b" = running ] && [ "$on_a" = 0 ] && ok "the guest runs on B and no longer on A" || bad "placement" "B: $on_b, A has it: $on_a"
target=$((hb_before + 8))
for _ in $(seq 1 200); do [ "$(hb)" -ge $target ] 2>/dev/null && break; sleep 0.05; done
last=$(tail -1 "$lab/serial.log")
[ "$(hb)" -ge $target ] 2>/dev/null && ok "the heartbeat went on across the move ($hb_before -> $(hb))" || bad "heartbeat" "$last"
grep -q "verify_err_total=0 " <<<"$last" && ok "no page was corrupted by the move ($last)" || bad "memory check" "$last"
finish
