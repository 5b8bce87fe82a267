#!/usr/bin/env bash
# KubeVirt's own Go code against mignet's vif-cache files, both ways: Go's
# encoding/json with the struct shapes KubeVirt v1.9 vendors (netlink
# v1.3.1; tests/interop/kubevirt-go/kubevirt_types.go). Every KubeVirt file
# mignet writes here (golden files, populate, the plugin's ADD, import, repair)
# is read by KubeVirt's json.Unmarshal and strictly, and is byte for byte
# what KubeVirt writes for its value; every file Go writes reads in mignet
# to the same values; and no file KubeVirt refuses passes mignet's reader.
# Go is required (make deps installs golang-go): without it this fails.
set -uo pipefail
build=$(cd "${MIGNET_BUILD:-build}" && pwd)
vc=$build/vifcache cni=$build/mignet-cni kvread=$build/tests/interop/kvread
gobin=$build/tests/interop/kubevirt-go
p="${MIGNET_TEST_PREFIX:-mgt}$(printf '%04x' $(( $$ & 0xffff )))g-"
node=${p}node pod=${p}pod
data=$(mktemp -d "${TMPDIR_BASE:-/tmp/mignet-test}-gointerop.XXXXXX")
. tests/lib/launcher.sh
cleanup() {
	launcher_stop
	ip netns del "$node" 2>/dev/null; ip netns del "$pod" 2>/dev/null; rm -rf "$data"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
. tests/lib/suite.sh

# Go offline and from the standard library only; its caches live in this
# test's temp dir. The binary is kept in the build tree under a key of the
# sources and the Go version, so only the first run builds it.
goenv=(env GOCACHE="$data/gocache" GOPATH="$data/gopath" GOTOOLCHAIN=local GOPROXY=off
	GOFLAGS=-buildvcs=false GOENV=off GOTELEMETRY=off)
build_go() {
	command -v go >/dev/null || { why="no go in PATH: run 'make deps' (it installs golang-go)"; return 1; }
	local key out
	key=$( (go version; cat tests/interop/kubevirt-go/go.mod tests/interop/kubevirt-go/*.go) | sha256sum | cut -d' ' -f1)
	[ -x "$gobin" ] && [ "$(cat "$gobin.key" 2>/dev/null)" = "$key" ] && return 0
	mkdir -p "$(dirname "$gobin")"
	out=$(cd tests/interop/kubevirt-go && "${goenv[@]}" go vet . 2>&1 && "${goenv[@]}" go build -o "$gobin.new" . 2>&1) ||
		{ why="go vet/build failed: $out"; return 1; }
	mv "$gobin.new" "$gobin" && echo "$key" > "$gobin.key"
}
why=""
check "Go is there and tests/interop/kubevirt-go builds offline ($(go version 2>/dev/null | cut -d' ' -f3))" build_go
[ -x "$kvread" ] || bad "mignet's reader" "$kvread missing: make BUILD=... tests builds it"
[ $failed = 0 ] || finish
kvgo() { "$gobin" "$@"; }

# go_reads LABEL FILE...: KubeVirt's json.Unmarshal, strict decoding and
# byte equality with what KubeVirt writes for the value, then mignet's
# reader takes the same values from each file.
go_reads() {
	local label=$1 out c; shift
	if ! out=$(kvgo check --exact "$@" 2>&1); then bad "$label" "$(grep FAIL <<<"$out" | head -c 3000)"; return; fi
	c=$("$kvread" "$@" 2>&1)
	if [ "$(sed 's/^[^:]*: //' <<<"$out")" != "$(sed 's/^[^:]*: //' <<<"$c")" ]; then
		bad "$label" "Go and mignet read different values: Go: $out / mignet: $c"; return
	fi
	ok "$label ($# file(s); $(sed -n '1s/^[^:]*: ok //p' <<<"$out"))"
}

# --- the golden files are what Go writes --------------------------------
mkdir -p "$data/golden"
kvgo golden "$data/golden"
for f in vif-cache-full.json vif-cache-unset.json; do
	cmp -s "$data/golden/$f" "tests/golden/$f" && ok "tests/golden/$f is what KubeVirt's Go code writes for its value" ||
		bad "golden $f" "differs from Go's output: $(diff "$data/golden/$f" "tests/golden/$f" | head -20)"
done
go_reads "golden files: Go reads them strictly, byte for byte KubeVirt's" tests/golden/vif-cache-full.json tests/golden/vif-cache-unset.json
# the abridged file is hand-cut reader input: not KubeVirt's bytes, but Go
# must still read it strictly (it has no key KubeVirt's struct lacks)
out=$(kvgo check tests/golden/vif-cache-abridged.json 2>&1) && ok "golden abridged file: Go reads it strictly" ||
	bad "golden abridged" "$out"

# --- files mignet writes as it runs ----------------------------------------
root=$data/root
cat > "$data/result.json" <<'JSON'
{"cniVersion":"1.0.0","interfaces":[{"name":"k6t-x"},{"name":"veth1"},{"name":"pod16477688c0e","mac":"02:42:0a:f4:01:05","sandbox":"/run/netns/x"}],
 "ips":[{"interface":2,"address":"10.244.1.5/24","gateway":"10.244.1.1"},{"interface":2,"address":"fd10::5/64","gateway":"fd10::1"}],
 "routes":[{"dst":"0.0.0.0/0","gw":"10.244.1.1"},{"dst":"10.100.0.0/16","gw":"10.244.1.254"},{"dst":"10.244.1.0/24"},{"dst":"::/0","gw":"fd10::1"}]}
JSON
"$vc" populate prod/vm-g/pod16477688c0e --root "$root" --network n --from-result "$data/result.json" --kubevirt >/dev/null 2>"$data/err" ||
	bad "populate --from-result" "$(cat "$data/err")"
go_reads "populate --from-result --kubevirt" "$root/prod/vm-g/vif-cache-pod16477688c0e.json"
# KubeVirt leaves out the route to the address's own network even with a
# next hop (the result's 10.244.1.0/24 gets the gateway), and IPv6 routes
got=$(kvgo check "$root/prod/vm-g/vif-cache-pod16477688c0e.json" | sed 's/.*routes=//')
[ "$got" = "default>10.244.1.1,10.100.0.0/16>10.244.1.254" ] &&
	ok "its routes are those KubeVirt keeps: no route to the pod's own subnet, no IPv6" || bad "routes KubeVirt keeps" "$got"
cat > "$data/result6.json" <<'JSON'
{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","mac":"02:00:00:00:00:2a","sandbox":"/run/netns/x"}],
 "ips":[{"interface":0,"address":"fd10::6/64","gateway":"fd10::1"}],"routes":[{"dst":"::/0","gw":"fd10::1"}]}
JSON
"$vc" populate prod/vm-g/eth0 --root "$root" --network n --from-result "$data/result6.json" --binding bridge >/dev/null 2>"$data/err" ||
	bad "populate IPv6 only" "$(cat "$data/err")"
go_reads "populate of an interface without IPv4 (IPAMDisabled)" "$root/prod/vm-g/vif-cache-eth0.json"

# the plugin's ADD of a bridge VM interface, routes from IPAM
ip netns add "$node" && ip netns add "$pod" && ip -n "$node" link set lo up && ip -n "$pod" link set lo up
proot=$data/plugin
cat > "$data/conf.json" <<CONF
{"cniVersion":"1.0.0","name":"vlan13","type":"mignet-bridge","bridge":"vlan-13","vifCacheDir":"$proot",
 "capabilities":{"io.kubernetes.cri.pod-annotations":true},
 "runtimeConfig":{"io.kubernetes.cri.pod-annotations":{"kubevirt.io/domain":"vm-a"}},
 "ipam":{"type":"mignet-ipam","dataDir":"$data/ipam","ranges":[[{"subnet":"10.13.0.0/24","gateway":"10.13.0.1"}]],
  "routes":[{"dst":"0.0.0.0/0"},{"dst":"10.100.0.0/16","gw":"10.13.0.254"}]}}
CONF
if out=$(ip netns exec "$node" env CNI_COMMAND=ADD CNI_CONTAINERID=c1 CNI_NETNS="/run/netns/$pod" CNI_IFNAME=pod16477688c0e \
	CNI_PATH=/usr/lib/cni CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=prod;K8S_POD_NAME=virt-launcher-vm-a-abcde" \
	"$cni" < "$data/conf.json" 2>&1); then
	kvfile=$proot/prod/vm-a/vif-cache-pod16477688c0e.json
	go_reads "the plugin's ADD of a bridge VM interface" "$kvfile"
	grep -q '"MTULock": false' "$kvfile" && [ "$(jq '.Routes | length' "$kvfile")" = 2 ] &&
		ok "the ADD's file has both IPAM routes, MTULock false" || bad "ADD routes" "$(jq -c .Routes "$kvfile")"
	"$vc" verify prod/vm-a/pod16477688c0e --root "$proot" --netns "/run/netns/$pod" >"$data/err" 2>&1 &&
		ok "vifcache verify reads it back and matches the live interface" || bad "verify after ADD" "$(cat "$data/err")"
	# populate from the live netns writes the same file again
	"$vc" populate prod/vm-a/pod16477688c0e --root "$data/live" --network vlan13 --netns "/run/netns/$pod" --kubevirt \
		>/dev/null 2>"$data/err" || bad "populate --netns" "$(cat "$data/err")"
	go_reads "populate --netns --kubevirt" "$data/live/prod/vm-a/vif-cache-pod16477688c0e.json"
else
	bad "the plugin's ADD of a bridge VM interface" "$out"
fi

# import and repair write the file too
"$vc" export prod/vm-g --root "$root" -o "$data/export.json" >/dev/null 2>&1 &&
	"$vc" import "$data/export.json" --root "$data/imported" >/dev/null 2>"$data/err" || bad "export/import" "$(cat "$data/err")"
go_reads "import" "$data/imported/prod/vm-g/vif-cache-pod16477688c0e.json" "$data/imported/prod/vm-g/vif-cache-eth0.json"
rm -f "$data/imported/prod/vm-g/vif-cache-pod16477688c0e.json"
"$vc" repair prod/vm-g --root "$data/imported" >"$data/err" 2>&1 || bad "repair of a missing file" "$(cat "$data/err")"
go_reads "repair of a missing file" "$data/imported/prod/vm-g/vif-cache-pod16477688c0e.json"

# kv-repair writes where KubeVirt reads: the launcher's file inside the
# pod's own root, and virt-handler's entry (a PodIfaceCacheData) reset
launcher_start "$data/launcher"
lpid=$LAUNCHER_PID
kuid=8e1c7f2a-1111-4222-8333-944455556666 H=$data/handler
mkdir -p "$H/network-info-cache/$kuid"
printf '{\n  "iface": {\n    "name": "vlan13",\n    "bridge": {}\n  },\n  "podIP": "10.13.0.5",\n  "networkState": 2\n}' \
	> "$H/network-info-cache/$kuid/vlan13"
if [ -n "$lpid" ] && nsenter --net="/proc/$lpid/ns/net" sh -c "ip link add pod16477688c0e type veth peer name p0 &&
	ip link set p0 up && ip link set pod16477688c0e up && ip addr add 10.13.0.5/24 dev pod16477688c0e &&
	ip route add default via 10.13.0.1 dev pod16477688c0e" &&
	"$vc" kv-repair --launcher-pid "$lpid" --iface pod16477688c0e --vmi-uid "$kuid" --network vlan13 \
		--handler-root "$H" --mac 02:00:00:aa:bb:cc >"$data/err" 2>&1 &&
	cp "/proc/$lpid/root/run/kubevirt-private/vif-cache-pod16477688c0e.json" "$data/kv-repaired.json"; then
	go_reads "kv-repair's file in the launcher's root" "$data/kv-repaired.json"
	[ "$(jq -r '.IP.IP + " " + .Gateway' "$data/kv-repaired.json")" = "10.13.0.5 10.13.0.1" ] &&
		ok "... and it matches the pod interface (10.13.0.5 via 10.13.0.1)" || bad "kv-repair's file" "$(cat "$data/kv-repaired.json")"
	out=$(kvgo check --podiface "$H/network-info-cache/$kuid/vlan13" 2>&1) &&
		ok "kv-repair's reset network-info-cache entry: Go reads it as PodIfaceCacheData ($out)" ||
		bad "kv-repair's entry" "$out"
else
	bad "kv-repair in a launcher stand-in" "pid '$lpid': $(cat "$data/err" 2>/dev/null)"
fi
launcher_stop

# mignet writes no pod-interface cache (PodIfaceCacheData): beside its
# records, only vif-cache files
others=$(find "$root" "$proot" "$data/live" "$data/imported" -type f ! -name 'vif-cache-*.json' ! -name .lock ! -path '*/mignet/*' 2>/dev/null)
[ -z "$others" ] && ok "no other KubeVirt-looking file was written (no pod-interface cache)" || bad "other files" "$others"

# --- files Go writes, read by mignet -------------------------------------
mkdir -p "$data/go"
kvgo write "$data/go"
for want in "$data"/go/*.want; do
	name=$(basename "$want" .want) f=$data/go/vif-cache-$(basename "$want" .want).json
	got=$("$kvread" "$f" 2>&1 | sed 's/^[^:]*: //')
	[ "$got" = "ok $(cat "$want")" ] && ok "mignet reads Go's $name file ($(cut -c1-60 <<<"$got")...)" ||
		bad "Go's $name file" "mignet: $got / Go wrote: $(cat "$want")"
done

# through the store: a Go-written KubeVirt file beside mignet's record
# passes repair's check; one of an older mignet (MTULock 0) is found and
# rewritten into a file KubeVirt reads
sroot=$data/store
"$vc" populate prod/vm-s/pod16477688c0e --root "$sroot" --network n --from-result "$data/result.json" >/dev/null 2>&1
cp "$data/go/vif-cache-kubevirt-full.json" "$sroot/prod/vm-s/vif-cache-pod16477688c0e.json"
out=$("$vc" repair prod/vm-s --root "$sroot" --dry-run 2>&1)
grep -qi kubevirt <<<"$out" && bad "repair with Go's file" "$out" || ok "repair --dry-run has nothing to say about Go's own file"
sed -i 's/"MTULock": false/"MTULock": 0/' "$sroot/prod/vm-s/vif-cache-pod16477688c0e.json"
out=$("$vc" repair prod/vm-s --root "$sroot" --dry-run 2>&1)
grep -q "KubeVirt vif-cache file missing or unreadable" <<<"$out" && ok "repair --dry-run finds a file with MTULock 0 (older mignet)" ||
	bad "repair finds MTULock 0" "$out"
"$vc" repair prod/vm-s --root "$sroot" >/dev/null 2>&1
go_reads "repair rewrites it into a file KubeVirt reads" "$sroot/prod/vm-s/vif-cache-pod16477688c0e.json"

# --- no file KubeVirt refuses passes mignet's reader, and none that both
# take is read two ways ---------------------------------------------------
# Every member of Go's full file set to values of every JSON type, also
# under the other names Go takes for it (it ignores case, and folds the long
# s and the Kelvin sign), in place of the exact name and beside it; and a
# MultiPath entry with each field of Go's NexthopInfo so. KubeVirt's
# json.Unmarshal and mignet each read them; where both take a file they
# must take the same MAC, IP, gateway, routes and IPAMDisabled from it.
mkdir -p "$data/mut"
kvgo mutate "$data/go/vif-cache-kubevirt-full.json" "$data/mut"
(cd "$data/mut" && kvgo verdict m-*.json) > "$data/go.verdict"
(cd "$data/mut" && "$kvread" m-*.json) > "$data/c.verdict"
read -r total go_no stricter wrong < <(paste -d '\t' "$data/go.verdict" "$data/c.verdict" | awk -F '\t' '
	{ split($1, g, ": "); split($2, c, ": ") }
	g[1] != c[1] { wrong++; print "order " $0 > "/dev/stderr"; next }
	$1 ~ /: reject:/ { gno++ }
	$1 ~ /: ok / && $2 ~ /: reject:/ { stricter++ }
	$2 ~ /: ok / && $1 != $2 { wrong++; print $0 > "/dev/stderr" }
	END { print NR, gno + 0, stricter + 0, wrong + 0 }' 2>"$data/wrong")
# the first file is Go's unchanged: both must read it
if [ "$total" -gt 5000 ] && [ "$go_no" -gt 1000 ] && [ "$wrong" = 0 ] && grep -q '^m-00001.json: ok ' "$data/c.verdict"; then
	ok "$total changed files: mignet refuses all $go_no that KubeVirt's Go code refuses, reads the rest as Go does or refuses them ($stricter)"
else
	bad "mignet's reader against KubeVirt's" "$total files, Go refuses $go_no, $wrong read otherwise by mignet: $(head -3 "$data/wrong" |
		while IFS= read -r l; do m=${l%%:*}; m=${m#order }; printf '%s [%s]; ' "$l" "$(grep "^$m " "$data/mut/index")"; done)"
fi

finish
