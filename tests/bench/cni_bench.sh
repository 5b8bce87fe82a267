#!/usr/bin/env bash
# make bench (CNI part): ADD and DEL medians of mignet and of Debian's
# reference plugins on identical configs, in one run, with ratios.
# Usage: tests/bench/cni_bench.sh BUILD_DIR [ITERATIONS]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
n=${2:-40}
ref=/usr/lib/cni
p="mbench$(printf '%04x' $(( $$ & 0xffff )))"
host=$p-h ctr=$p-c
data=$(mktemp -d "/tmp/mignet-bench.XXXXXX")
cleanup() { ip netns del "$host" 2>/dev/null || true; ip netns del "$ctr" 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
[ -x "$ref/macvlan" ] || { echo "bench: $ref/macvlan missing (make deps)" >&2; exit 1; }

ip netns add "$host"; ip netns add "$ctr"
ip -n "$host" link set lo up; ip -n "$ctr" link set lo up
ip -n "$host" link add up0 type veth peer name up0p
ip -n "$host" link set up0 up; ip -n "$host" link set up0p up

timer=$build/tests/cni_timer
[ -x "$timer" ] || { echo "bench: $timer missing (make bench builds it)" >&2; exit 1; }

conf() { # kind plugin-type ipam-json extra
	local kind=$1 type=$2 ipam=$3 extra=$4
	printf '{"cniVersion":"1.0.0","name":"bench-%s","type":"%s",%s"ipam":%s}' "$kind" "$type" "$extra" "$ipam"
}
v4()   { printf '{"type":"%s","dataDir":"%s","ranges":[[{"subnet":"10.201.0.0/16"}]]}' "$1" "$data/$1"; }
dual() { printf '{"type":"%s","dataDir":"%s","ranges":[[{"subnet":"10.202.0.0/16"}],[{"subnet":"fd02::/64"}]]}' "$1" "$data/$1"; }

cases=(
	"macvlan + IPAM IPv4|macvlan|\"master\":\"up0\",|v4|$n"
	"bridge isGateway + IPAM IPv4|bridge|\"bridge\":\"bbr0\",\"isGateway\":true,|v4|$n"
	"macvlan L2 (ipam {})|macvlan|\"master\":\"up0\",|l2|$n"
	"bridge L2 (no ipam)|bridge|\"bridge\":\"bbr1\",|l2|$n"
	"macvlan dual-stack|macvlan|\"master\":\"up0\",|dual|$(( n < 10 ? n : 10 ))"
	"bridge dual-stack|bridge|\"bridge\":\"bbr2\",|dual|$n"
)
printf '%-30s %5s | %9s %9s %7s | %9s %9s %7s\n' "case" "n" "ref ADD" "mignet" "ratio" "ref DEL" "mignet" "ratio"
printf -- '-%.0s' {1..100}; echo
for c in "${cases[@]}"; do
	IFS='|' read -r label kind extra ipamkind iters <<<"$c"
	case $ipamkind in
		v4)   ri=$(v4 host-local) mi=$(v4 mignet-ipam) ;;
		dual) ri=$(dual host-local) mi=$(dual mignet-ipam) ;;
		l2)   ri='{}' mi='{}' ;;
	esac
	[ "$kind$ipamkind" = bridgel2 ] && { ri='null'; mi='null'; }
	conf "$kind" "$kind" "$ri" "$extra" > "$data/ref.json"
	conf "$kind" "mignet-$kind" "$mi" "$extra" > "$data/mig.json"
	# Run inside the host namespace, so that each plugin is a direct spawn, as
	# kubelet/Multus would do it.
	out=$(CNI_NETNS=/run/netns/$ctr CNI_PATH=$ref ip netns exec "$host" "$timer" "$iters" \
		"$ref/$kind" "$data/ref.json" "$build/mignet-cni" "$data/mig.json") ||
		{ echo "bench: $label failed" >&2; exit 1; }
	read -r radd madd rdel mdel floor <<<"$out"
	printf '%-30s %5s | %8sms %8sms %6.1fx | %8sms %8sms %6.2fx\n' "$label" "$iters" "$radd" "$madd" \
		"$(echo "$radd / $madd" | bc -l)" "$rdel" "$mdel" "$(echo "$rdel / $mdel" | bc -l)"
done
echo "ratio = reference median / mignet median (higher is better for mignet)"
echo "spawn floor (/bin/true, spawned the same way): ${floor}ms; both sides include it"

# mignet-ipam in a crowded range: an ADD into a /20 with one free address
# against an ADD into an empty /20, same plugin (mignet-ipam as the main
# plugin, so the store is all that is timed). The free address is the last
# one and the hint points at it, so each ADD first meets 4092 taken
# addresses. Each cni_timer run is one ADD and one DEL of each side, so
# every ADD finds the range as described; its floor is ignored here.
ipam_conf() { # NAME SUBNET
	printf '{"cniVersion":"1.0.0","name":"%s","type":"mignet-ipam","ipam":{"dataDir":"%s/crowd","ranges":[[{"subnet":"%s"}]]}}' \
		"$1" "$data" "$2"
}
ipam_conf crowd-empty 10.203.0.0/20 > "$data/crowd-empty.json"
ipam_conf crowd-full 10.204.0.0/20 > "$data/crowd-full.json"
# one ADD and DEL first, so that both stores are indexed as in production
CNI_NETNS=/run/netns/$ctr ip netns exec "$host" "$timer" 1 "$build/mignet-cni" "$data/crowd-empty.json" \
	"$build/mignet-cni" "$data/crowd-full.json" >/dev/null || { echo "bench: crowded range setup failed" >&2; exit 1; }
for a in $(seq 0 15); do
	for b in $(seq 0 255); do
		case $a.$b in 0.0|0.1|15.254|15.255) continue ;; esac
		printf 'fill%s\r\neth0' "$a-$b" > "$data/crowd/crowd-full/10.204.$a.$b"
	done
done
crowd_iters=$n
empty_t=() full_t=()
for i in $(seq 1 "$crowd_iters"); do
	out=$(CNI_NETNS=/run/netns/$ctr ip netns exec "$host" "$timer" 1 "$build/mignet-cni" "$data/crowd-empty.json" \
		"$build/mignet-cni" "$data/crowd-full.json") || { echo "bench: crowded range ADD failed" >&2; exit 1; }
	read -r e f _ <<<"$out"
	empty_t+=("$e") full_t+=("$f")
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
me=$(median "${empty_t[@]}") mf=$(median "${full_t[@]}")
echo
printf '%-30s %5s | %9s %9s %7s\n' "mignet-ipam ADD" "n" "empty /20" "1 free" "ratio"
printf -- '-%.0s' {1..66}; echo
printf '%-30s %5s | %8sms %8sms %6.2fx\n' "crowded range (same plugin)" "$crowd_iters" "$me" "$mf" "$(echo "$mf / $me" | bc -l)"
echo "ratio = ADD median with one free address in the /20 / ADD median in an empty /20 (target: at most 2x)"
