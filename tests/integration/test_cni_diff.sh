#!/usr/bin/env bash
# Differential test: the same configs through Debian's reference macvlan /
# bridge and through mignet (type changed only; host-local IPAM for both)
# give results of the same shape and the same kernel state. Known,
# deliberate differences are listed in README ("Differences from the
# reference plugins") and normalised here explicitly.
set -uo pipefail
build=${MIGNET_BUILD:-build}
plugin=$(cd "$build" && pwd)/mignet-cni
ref=/usr/lib/cni
p="${MIGNET_TEST_PREFIX:-mgt}$(printf '%04x' $(( $$ & 0xffff )))d-"
host=${p}h cr=${p}r cm=${p}m
data=$(mktemp -d "${TMPDIR_BASE:-/tmp/mignet-test}-diff.XXXXXX")
passed=0 failed=0
cleanup() { for n in "$host" "$cr" "$cm"; do ip netns del "$n" 2>/dev/null; done; rm -rf "$data"; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

for n in "$host" "$cr" "$cm"; do ip netns add "$n"; ip -n "$n" link set lo up; done
for m in upr upm; do
	ip -n "$host" link add $m type veth peer name $m-p
	ip -n "$host" link set $m up; ip -n "$host" link set $m-p up
done

run() { # plugin ctr-ns cid conf-file extra-args
	ip netns exec "$host" env CNI_COMMAND="$5" CNI_CONTAINERID="$3" CNI_NETNS="/run/netns/$2" \
		CNI_IFNAME=net1 CNI_PATH="$ref" CNI_ARGS="${6:-}" "$1" < "$4"
}

# Kernel state of net1 in a namespace, with the names that must differ
# (masters, bridges, random host veth names) and random MACs replaced.
state() { # ns fixed-mac?
	local ns=$1 keepmac=$2
	{
		ip -j -d -n "$ns" link show net1 | jq -c --argjson k "$keepmac" '.[0] |
			{kind: .linkinfo.info_kind, mode: .linkinfo.info_data.mode, mtu, operstate,
			 up: (.flags | index("UP") != null), mac: (if $k then .address else "random" end)}'
		ip -j -n "$ns" addr show dev net1 scope global | jq -c '[(.[0].addr_info // [])[] | {local, prefixlen}] | sort'
		ip -j -n "$ns" route show | jq -c '[.[] | {dst, gateway, scope}] | sort_by(.dst)'
	}
}

# The result with random names and MACs normalised and the known
# deliberate differences applied.
shape() { # keepmac bridge-name
	jq -S --argjson k "$1" --arg br "$2" '
		.interfaces |= (if . then map(
			(if .name == $br then .name = "BRIDGE" else . end)
			| (if (.name // "" | test("^veth")) then .name = "HOSTVETH" else . end)
			| (if (.sandbox // "") != "" then .sandbox = "SANDBOX" else . end)
			| (if ($k | not) or .name != "net1" then .mac = "MAC" else . end)) else . end)'
}

check() { # label kind ref-conf mig-conf keepmac bridge-suffix cni-args
	local label=$1 kind=$2 keepmac=$5 args=${7:-}
	local cid=c$((passed + failed))
	local r m
	# a failed reference ADD may leave its veth behind: DEL either way
	r=$(run "$ref/$kind" "$cr" "$cid" "$3" ADD "$args") || { echo "[  FAILED  ] $label: reference ADD failed: $r"; failed=$((failed + 1)); run "$ref/$kind" "$cr" "$cid" "$3" DEL >/dev/null; return; }
	m=$(run "$plugin" "$cm" "$cid" "$4" ADD "$args") || { echo "[  FAILED  ] $label: mignet ADD failed: $m"; failed=$((failed + 1)); run "$ref/$kind" "$cr" "$cid" "$3" DEL >/dev/null; return; }
	local rs ms rk mk
	rs=$(shape "$keepmac" "dbr-r${6:-}" <<<"$r") ms=$(shape "$keepmac" "dbr-m${6:-}" <<<"$m")
	rk=$(state "$cr" "$keepmac") mk=$(state "$cm" "$keepmac")
	[ -n "${MIGNET_DIFF_SHOW:-}" ] && printf "%s\n%s\n" "$ms" "$mk"
	if [ "$rs" = "$ms" ] && [ "$rk" = "$mk" ]; then
		echo "[       OK ] $label"
		passed=$((passed + 1))
	else
		echo "[  FAILED  ] $label"
		diff <(echo "$rs"; echo "$rk") <(echo "$ms"; echo "$mk") | sed 's/^/    /'
		failed=$((failed + 1))
	fi
	run "$ref/$kind" "$cr" "$cid" "$3" DEL >/dev/null
	run "$plugin" "$cm" "$cid" "$4" DEL >/dev/null
}

ipam() { # dir second-octet [noroutes]
	local routes=',"routes":[{"dst":"0.0.0.0/0"}]'
	[ "${3:-}" = noroutes ] && routes=
	printf '{"type":"host-local","dataDir":"%s/%s","ranges":[[{"subnet":"10.%s.0.0/24"}]]%s}' "$data" "$1" "$2" "$routes"
}
mac() { printf '02:00:00:00:%02x:01' "$1"; }
mk() { # file type-body
	printf '%s' "$2" > "$data/$1"
}

n=0
for mode in bridge private vepa; do
	n=$((n + 1))
	mk r.json "{\"cniVersion\":\"1.0.0\",\"name\":\"d$n\",\"type\":\"macvlan\",\"master\":\"upr\",\"mode\":\"$mode\",\"mtu\":1400,\"ipam\":$(ipam r$n 7$n)}"
	mk m.json "{\"cniVersion\":\"1.0.0\",\"name\":\"d$n\",\"type\":\"mignet-macvlan\",\"master\":\"upm\",\"mode\":\"$mode\",\"mtu\":1400,\"ipam\":$(ipam m$n 7$n)}"
	check "macvlan mode $mode, mtu 1400, host-local" macvlan "$data/r.json" "$data/m.json" false
done
# MAC from CNI_ARGS (different MACs: two macvlans may not share one)
for v in 0.4.0 1.0.0; do
	n=$((n + 1))
	mk r.json "{\"cniVersion\":\"$v\",\"name\":\"d$n\",\"type\":\"macvlan\",\"master\":\"upr\",\"ipam\":$(ipam r$n 7$n)}"
	mk m.json "{\"cniVersion\":\"$v\",\"name\":\"d$n\",\"type\":\"mignet-macvlan\",\"master\":\"upm\",\"ipam\":$(ipam m$n 7$n)}"
	check "macvlan $v, L3, MAC from CNI_ARGS" macvlan "$data/r.json" "$data/m.json" true "" "IgnoreUnknown=1;MAC=$(mac $n)"
done
n=$((n + 1))
mk r.json "{\"cniVersion\":\"1.0.0\",\"name\":\"d$n\",\"type\":\"macvlan\",\"master\":\"upr\",\"ipam\":{}}"
mk m.json "{\"cniVersion\":\"1.0.0\",\"name\":\"d$n\",\"type\":\"mignet-macvlan\",\"master\":\"upm\",\"ipam\":{}}"
check "macvlan L2 (ipam {})" macvlan "$data/r.json" "$data/m.json" false

for variant in '"isGateway":true' '"isDefaultGateway":true' '"hairpinMode":true,"mtu":1400' '"isGateway":true,"forceAddress":true'; do
	n=$((n + 1))
	# isDefaultGateway with an IPAM default route fails in the reference
	# ("file exists"; README lists it), so that variant has no IPAM routes
	routes=; case $variant in *isDefaultGateway*) routes=noroutes ;; esac
	mk r.json "{\"cniVersion\":\"1.0.0\",\"name\":\"d$n\",\"type\":\"bridge\",\"bridge\":\"dbr-r$n\",$variant,\"ipam\":$(ipam r$n $((80 + n)) $routes)}"
	mk m.json "{\"cniVersion\":\"1.0.0\",\"name\":\"d$n\",\"type\":\"mignet-bridge\",\"bridge\":\"dbr-m$n\",$variant,\"ipam\":$(ipam m$n $((80 + n)) $routes)}"
	check "bridge {$variant}, host-local" bridge "$data/r.json" "$data/m.json" true "$n" "IgnoreUnknown=1;MAC=$(mac $((n + 32)))"
done
n=$((n + 1))
mk r.json "{\"cniVersion\":\"1.0.0\",\"name\":\"d$n\",\"type\":\"bridge\",\"bridge\":\"dbr-r$n\"}"
mk m.json "{\"cniVersion\":\"1.0.0\",\"name\":\"d$n\",\"type\":\"mignet-bridge\",\"bridge\":\"dbr-m$n\"}"
check "bridge L2 (no ipam)" bridge "$data/r.json" "$data/m.json" false "$n"

echo "[==========] $((passed + failed)) test(s) run."
echo "[  PASSED  ] $passed test(s)."
[ $failed = 0 ] || { echo "[  FAILED  ] $failed test(s), listed above"; exit 1; }
