#!/usr/bin/env bash
# Every mignet config embedded in examples/ goes through mignet's own
# parsers: each NetworkAttachmentDefinition's CNI config through
# `mignet-cni --check-config` (after `netprep nad` pulls it out of the
# YAML), node.json through `netprep setup --check`. A broken copy of each
# must be refused, so the check can fail.
set -uo pipefail
build=$(cd "${MIGNET_BUILD:-build}" && pwd)
. tests/lib/suite.sh
tmp=$(mktemp -d "${TMPDIR_BASE:-/tmp/mignet-test}-examples.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

nads=0
for f in examples/*.yaml examples/*.json; do
	grep -q NetworkAttachmentDefinition "$f" || continue
	configs=$("$build/netprep" nad "$f") || { bad "$f" "netprep nad could not read it"; continue; }
	while IFS= read -r cfg; do
		nads=$((nads + 1))
		out=$("$build/mignet-cni" --check-config <<<"$cfg") && ok "$f: $out" || bad "$f" "$out"
		# the same config with a broken IPAM block must be refused
		broken=$(jq -c '.ipam.ranges = "10.0.0.0/24"' <<<"$cfg")
		"$build/mignet-cni" --check-config <<<"$broken" >/dev/null && bad "$f (broken copy)" "accepted"
	done <<<"$configs"
done
[ $nads -ge 4 ] && ok "$nads NetworkAttachmentDefinitions found in examples/" || bad "examples" "only $nads NADs found"

out=$("$build/netprep" setup --check --config examples/node.json) && ok "examples/node.json: $out" || bad "examples/node.json" "$out"
jq '.bridges[0].mtu = 70000' examples/node.json > "$tmp/node.json"
"$build/netprep" setup --check --config "$tmp/node.json" 2>/dev/null && bad "broken node.json" "accepted" || ok "a broken node.json is refused"

finish
