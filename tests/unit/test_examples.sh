#!/usr/bin/env bash
# Every manifest in examples/ (and examples/deploy/) is well-formed YAML
# with apiVersion, kind and metadata.name in each document, and every
# mignet config embedded in them goes through mignet's own parsers: each
# NetworkAttachmentDefinition's CNI config through `mignet-cni
# --check-config` (after `netprep nad` pulls it out of the YAML), node.json
# (the file and the DaemonSet's ConfigMap) through `netprep setup --check`,
# the DaemonSet's scripts through `sh -n`. A broken copy of each must be
# refused, so the check can fail.
set -uo pipefail
build=$(cd "${MIGNET_BUILD:-build}" && pwd)
. tests/lib/suite.sh
tmp=$(mktemp -d "${TMPDIR_BASE:-/tmp/mignet-test}-examples.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# yaml_docs FILE: the documents as JSON lines, or an error naming the line
yaml_docs() {
	python3 -c 'import json, sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d is not None: print(json.dumps(d))' "$1" 2>&1
}
manifests=0
for f in examples/*.yaml examples/deploy/*.yaml; do
	docs=$(yaml_docs "$f") || { bad "$f" "not YAML: $(tail -1 <<<"$docs")"; continue; }
	n=$(wc -l <<<"$docs")
	incomplete=$(jq -r 'select((.apiVersion and .kind and .metadata.name) | not) | .kind // "?"' <<<"$docs")
	[ -z "$incomplete" ] && ok "$f: $n well-formed document(s)" || bad "$f" "documents without apiVersion/kind/metadata.name: $incomplete"
	manifests=$((manifests + n))
done
[ $manifests -ge 14 ] && ok "$manifests manifests in examples/" || bad "examples" "only $manifests manifests"
printf 'a: 1\n\tb: 2\n' > "$tmp/broken.yaml"
yaml_docs "$tmp/broken.yaml" >/dev/null && bad "a tab-indented YAML" "accepted" || ok "a malformed YAML file is refused"

ds=examples/deploy/daemonset.yaml
scripts=$(yaml_docs $ds | jq -c '.spec.template.spec | (.initContainers + .containers)[] | {name, script: .args[0]}')
while IFS= read -r c; do
	name=$(jq -r .name <<<"$c")
	out=$(jq -r .script <<<"$c" | sh -n 2>&1) && ok "$ds: container $name's script parses (sh -n)" || bad "$ds $name" "$out"
done <<<"$scripts"
[ "$(wc -l <<<"$scripts")" = 2 ] || bad "$ds" "expected install-cni and netprep, got: $scripts"
cm=$(yaml_docs examples/deploy/node-config.yaml | jq -r '.data["node.json"]')
echo "$cm" > "$tmp/cm-node.json"
out=$("$build/netprep" setup --check --config "$tmp/cm-node.json" 2>&1) && ok "node-config.yaml's node.json: $out" || bad "node-config.yaml" "$out"
[ "$(jq -S . <<<"$cm")" = "$(jq -S . examples/node.json)" ] && ok "node-config.yaml's node.json equals examples/node.json" ||
	bad "node-config.yaml" "its node.json differs from examples/node.json"

nads=0
for f in examples/*.yaml examples/deploy/*.yaml examples/*.json; do
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
