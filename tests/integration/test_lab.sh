#!/usr/bin/env bash
# The two-node migration lab of tests/e2e/lab.sh with the project's test
# guest: a plain libvirt live migration (virsh, peer to peer) over the
# migration network that netprep setup built, the baseline netprep migrate builds on. Checks: the
# bytes crossed the migration interfaces, the guest runs on B and no longer
# on A, its heartbeat went on across the move, and no page was corrupted.
set -uo pipefail
build=$(cd "${MIGNET_BUILD:-build}" && pwd)
p="${MIGNET_TEST_PREFIX:-mgt}$(printf '%04x' $(( $$ & 0xffff )))l"
lab=$(mktemp -d "${TMPDIR_BASE:-/tmp/mignet-test}-lab.XXXXXX")
export MIGNET_LAB_CAPS=$build/lab-capscache
cleanup() { tests/e2e/lab.sh down "$lab" "$p" >/dev/null 2>&1; rm -rf "$lab"; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
. tests/lib/suite.sh

if ! out=$(tests/e2e/lab.sh up "$lab" "$p" 2>&1); then
	bad "lab up" "$(tail -3 <<<"$out")"
	finish
fi
eval "$(grep -E '^(A|B)=' <<<"$out")"
ok "two libvirt daemons up in node namespaces"
for n in a b; do
	d=$(ip -n "$p-$n" -d -o link show mig0 2>&1) a=$(ip -n "$p-$n" -o -4 addr show mig0 2>&1)
	grep -q "mig0@eth1.* macvlan mode bridge" <<<"$d" && grep -q "inet 10.77.0.$([ $n = a ] && echo 1 || echo 2)/24" <<<"$a" &&
		ok "netprep setup built node $n's migration network (mig0, macvlan on eth1)" || bad "mig0 on node $n" "$d $a"
done

. tests/lib/lab_guest.sh
lab_guest_start "$A" mignet-lab-guest "mib=96 rate=10 fill=1 report=250" || { bad "guest on A" "no heartbeat"; finish; }
hb_before=$(lab_guest_hb mignet-lab-guest)
ok "the guest runs on node A (heartbeat $hb_before)"

tx_a0=$(lab_mig_bytes a tx) rx_b0=$(lab_mig_bytes b rx)
if virsh -q -c "$A" migrate --live --p2p mignet-lab-guest "$B" tcp://10.77.0.2:49152 >"$lab/migrate.log" 2>&1; then
	ok "virsh migrate A -> B over tcp://10.77.0.2:49152"
else
	bad "migrate" "$(cat "$lab/migrate.log")"
	finish
fi
mib=$(( ($(lab_mig_bytes b rx) - rx_b0) / 1048576 )) tmib=$(( ($(lab_mig_bytes a tx) - tx_a0) / 1048576 ))
[ $mib -ge 90 ] && [ $tmib -ge 90 ] && ok "the memory crossed the migration network ($tmib MiB out of A, $mib MiB into B)" ||
	bad "bytes on mig0" "$tmib MiB out of A, $mib MiB into B"
where=$(lab_guest_where mignet-lab-guest)
[ "$where" = B ] && ok "the guest runs on B and no longer on A" || bad "placement" "it is on: $where"
target=$((hb_before + 8))
lab_guest_wait_hb mignet-lab-guest $target
last=$(tail -1 "$lab/mignet-lab-guest.log")
[ "$(lab_guest_hb mignet-lab-guest)" -ge $target ] 2>/dev/null && ok "the heartbeat went on across the move ($hb_before -> $(lab_guest_hb mignet-lab-guest))" || bad "heartbeat" "$last"
grep -q "verify_err_total=0 " <<<"$last" && ok "no page was corrupted by the move ($last)" || bad "memory check" "$last"
finish
