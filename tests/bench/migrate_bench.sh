#!/usr/bin/env bash
# make bench (migration part): netprep migrate against a direct virsh
# migrate with the same settings (live, peer to peer, same data URI, same
# bandwidth), interleaved in one run on the two-node lab, 128 MiB test
# guest. Wall time per migration, medians and the ratio. Target: <= 1.05.
set -uo pipefail
build=$(cd "${1:-build}" && pwd)
n=${2:-10}
bandwidth=${MIGNET_BENCH_BANDWIDTH:-64}   # MiB/s; bounded so both move the same bytes at the same pace
lab=$(mktemp -d /tmp/mignet-bench-mig.XXXXXX)
p="mgb$(printf '%04x' $(( $$ & 0xffff )))"
export MIGNET_LAB_CAPS=$build/lab-capscache MIGNET_BUILD=$build
trap 'tests/e2e/lab.sh down "$lab" "$p" >/dev/null 2>&1; rm -rf "$lab"' EXIT
trap 'exit 130' INT TERM
out=$(tests/e2e/lab.sh up "$lab" "$p") || { echo "bench: lab up failed: $out" >&2; exit 1; }
eval "$(grep -E '^(A|B)=' <<<"$out")"
. tests/lib/lab_guest.sh
lab_guest_start "$A" bench "mib=96 rate=1 fill=1 report=250" || { echo "bench: guest did not boot" >&2; exit 1; }

# one_move TOOL: moves the guest to the other node; wall ms in $ms
here=a
one_move() {
	local src=$A dst=$B addr=10.77.0.2 to=b
	[ $here = b ] && src=$B dst=$A addr=10.77.0.1 to=a
	local s=$EPOCHREALTIME
	if [ "$1" = netprep ]; then
		ip netns exec "$p-$here" "$build/netprep" migrate bench --source "$src" --to "$dst" \
			--address "$addr" --bandwidth "${bandwidth}Mi" >/dev/null 2>"$lab/netprep.err"
	else
		ip netns exec "$p-$here" virsh -q -c "$src" migrate --live --p2p --bandwidth "$bandwidth" \
			bench "$dst" "tcp://$addr:49152" >/dev/null
	fi || { echo "bench: $1 migrate failed" >&2; cat "$lab/netprep.err" >&2 2>/dev/null; exit 1; }
	local e=$EPOCHREALTIME
	here=$to
	ms=$(( (${e/./} - ${s/./}) / 1000 ))
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

np=() vs=()
for i in $(seq 1 "$n"); do
	# alternate who goes first, so direction and warm-up favour neither
	if [ $((i % 2)) = 1 ]; then one_move netprep; np+=("$ms"); one_move virsh; vs+=("$ms")
	else one_move virsh; vs+=("$ms"); one_move netprep; np+=("$ms"); fi
done
mnp=$(printf '%s\n' "${np[@]}" | median) mvs=$(printf '%s\n' "${vs[@]}" | median)
echo "migration bench: 128 MiB guest, ${bandwidth} MiB/s cap, $n moves each, wall ms"
printf '  %-42s median %6s ms   (runs: %s)\n' "netprep migrate" "$mnp" "${np[*]}"
printf '  %-42s median %6s ms   (runs: %s)\n' "virsh migrate --live --p2p (same settings)" "$mvs" "${vs[*]}"
awk -v a="$mnp" -v b="$mvs" 'BEGIN { printf "  ratio netprep/virsh %.3f (target <= 1.05)\n", a / b }'
