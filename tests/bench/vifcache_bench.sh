#!/usr/bin/env bash
# make bench (vif-cache part): list, gc and repair --dry-run over 10,000
# records (100 namespaces x 100 VMs), median of 5 runs each, in ms.
# Target: under 200 ms each.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
n_ns=${2:-100} n_vm=${3:-100}
vc=$build/vifcache
root=$(mktemp -d /tmp/mignet-bench-vc.XXXXXX)
[ -n "${MIGNET_BENCH_KEEP:-}" ] || trap 'rm -rf "$root"' EXIT INT TERM

# One record and its KubeVirt file made by vifcache itself serve as
# templates; the rest are copies with their names changed (writing 10,000
# through the CLI would only time the generator).
ino=$(stat -L -c %i /proc/self/ns/net)   # an owner that is alive: gc keeps all
tmpl=$root/tmpl
result='{"cniVersion":"1.0.0","interfaces":[{"name":"pod16477688c0e","mac":"02:00:00:00:00:01","sandbox":"/proc/self/ns/net"}],"ips":[{"address":"10.13.0.5/24","gateway":"10.13.0.1","interface":0}],"routes":[{"dst":"0.0.0.0/0"}]}'
"$vc" populate ns0/vm0/pod16477688c0e --root "$tmpl" --network vlan13 --from-result - <<<"$result" >/dev/null
rec=$(sed "s/\"netnsInode\":[^,}]*/\"netnsInode\": $ino/" "$tmpl/ns0/vm0/mignet/pod16477688c0e.json")
kv=$(cat "$tmpl/ns0/vm0/vif-cache-pod16477688c0e.json")
rm -rf "$tmpl"
for i in $(seq 0 $((n_ns - 1))); do
	mkdir -p $(printf "$root/c/ns$i/vm%d/mignet " $(seq 0 $((n_vm - 1))))
	for j in $(seq 0 $((n_vm - 1))); do
		d=$root/c/ns$i/vm$j
		r=${rec//\"ns0\"/\"ns$i\"}
		printf '%s' "${r//\"vm0\"/\"vm$j\"}" > "$d/mignet/pod16477688c0e.json"
		printf '%s' "$kv" > "$d/vif-cache-pod16477688c0e.json"
	done
done
count=$("$vc" list --root "$root/c" | tail -n +2 | wc -l)

med5() { # command... -> median ms of 5 runs
	local t=()
	for _ in 1 2 3 4 5; do
		local s=$EPOCHREALTIME
		"$@" >/dev/null 2>&1 || { echo "bench: $* failed" >&2; exit 1; }
		local e=$EPOCHREALTIME
		t+=("$(( (${e/./} - ${s/./}) / 1000 ))")
	done
	printf '%s\n' "${t[@]}" | sort -n | sed -n 3p
}
printf '\nvif-cache over %d records (median of 5, target < 200 ms each)\n' "$count"
printf '  %-22s %6s ms\n' "list" "$(med5 "$vc" list --root "$root/c")"
printf '  %-22s %6s ms\n' "gc (all owners alive)" "$(med5 "$vc" gc --root "$root/c")"
printf '  %-22s %6s ms\n' "repair --dry-run" "$(med5 "$vc" repair --dry-run --root "$root/c")"
