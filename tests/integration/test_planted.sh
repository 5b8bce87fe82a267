#!/usr/bin/env bash
# Planted files: at every path the plugin and vifcache open (found by
# running them once and listing what they made), a symlink, a FIFO, a hard
# link and a directory are planted in turn, and every directory is tried as
# a symlink and as world-writable. Then ADD, DEL and the vifcache verbs
# run. None may hang, follow the link, truncate or write through it, or
# leave a link in the pod.
set -uo pipefail
build=$(cd "${MIGNET_BUILD:-build}" && pwd)
cni=$build/mignet-cni vc=$build/vifcache
p="${MIGNET_TEST_PREFIX:-mgt}$(printf '%04x' $(( $$ & 0xffff )))p-"
host=${p}h ctr=${p}c
data=$(mktemp -d "${TMPDIR_BASE:-/tmp/mignet-test}-planted.XXXXXX")
cleanup() { ip netns del "$host" 2>/dev/null; ip netns del "$ctr" 2>/dev/null; rm -rf "$data"; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
. tests/lib/suite.sh

ip netns add "$host" && ip netns add "$ctr" || { echo "cannot create namespaces"; exit 1; }
ip -n "$host" link set lo up; ip -n "$ctr" link set lo up
ip -n "$host" link add up0 type veth peer name up0p
ip -n "$host" link set up0 up; ip -n "$host" link set up0p up
st=$data/state victim=$data/victim
mkdir -p "$victim/dir" && chmod 0700 "$data"
printf 'precious\n' > "$victim/file"
printf 'precious too\n' > "$victim/dir/inside"
victim_sum() { (cd "$victim" && find . -printf '%p %y %m %s\n' | sort; cat file dir/inside) | md5sum; }
vsum=$(victim_sum)

cat > "$data/conf.json" <<CONF
{"cniVersion":"1.1.0","name":"net1","type":"mignet-bridge","bridge":"br0","logFile":"$st/log/cni.log",
 "vifCacheDir":"$st/cache",
 "runtimeConfig":{"io.kubernetes.cri.pod-annotations":{"kubevirt.io/domain":"vm-a"}},
 "ipam":{"type":"mignet-ipam","sticky":true,"dataDir":"$st/ipam","subnet":"10.79.0.0/24"}}
CONF
cni() {
	ip netns exec "$host" timeout 10 env CNI_COMMAND="$1" CNI_CONTAINERID=c1 CNI_NETNS="/run/netns/$ctr" \
		CNI_IFNAME=net1 CNI_PATH=/usr/lib/cni CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=prod;K8S_POD_NAME=virt-launcher-vm-a-x1x2x" \
		"$cni" < "$data/conf.json"
}
fresh() { rm -rf "$st"; mkdir -p "$st/log" && chmod 0700 "$st" "$st/log"; }

# What the programs make: every file and directory below the state tree
# (a bridge VM interface, so KubeVirt's vif-cache file is among them).
fresh
cni ADD >/dev/null 2>&1 || { echo "the clean ADD failed"; exit 1; }
mapfile -t files < <(cd "$st" && find . -mindepth 1 -type f | sed 's|^\./||' | sort)
mapfile -t dirs < <(cd "$st" && find . -mindepth 1 -type d ! -name log | sed 's|^\./||' | sort)
cni DEL >/dev/null 2>&1
[ ${#files[@]} -ge 6 ] && ok "found ${#files[@]} files and ${#dirs[@]} directories to plant at" ||
	bad "discovery" "only ${#files[@]} files: ${files[*]}"

# Runs every verb over the planted state; returns what went wrong.
exercise() {
	local what="" rc
	cni ADD >/dev/null 2>&1; rc=$?; [ $rc = 124 ] && what+=" ADD hung;"
	cni DEL >/dev/null 2>&1; rc=$?; [ $rc = 124 ] && what+=" DEL hung;"
	for verb in "list" "show prod/vm-a" "gc --dry-run" "repair --dry-run" "export prod/vm-a"; do
		# shellcheck disable=SC2086
		timeout 10 "$vc" $verb --root "$st/cache" >/dev/null 2>&1; rc=$?
		[ $rc = 124 ] && what+=" vifcache $verb hung;"
	done
	[ "$(victim_sum)" = "$vsum" ] || what+=" the victim changed;"
	local left; left=$(ip -n "$ctr" -o link show | grep -vc ': lo:')
	[ "$left" = 0 ] || { what+=" $left link(s) left in the pod;"; ip -n "$ctr" link del net1 2>/dev/null; }
	printf '%s' "$what"
}
plant_case() { # LABEL PATH KIND
	local label=$1 path=$st/$2 kind=$3
	fresh
	mkdir -p "$(dirname "$path")"
	case $kind in
	symlink) ln -s "$victim/file" "$path" ;;
	dirlink) ln -s "$victim/dir" "$path" ;;
	fifo) mkfifo "$path" ;;
	hardlink) ln "$victim/file" "$path" ;;
	directory) mkdir "$path" ;;
	writable) mkdir -p "$path"; chmod 0777 "$path" ;;
	esac
	local what; what=$(exercise)
	[ -z "$what" ] && ok "$kind at $label" || bad "$kind at $label" "$what"
	# restore the victim if a defect let it be touched, for the next cases
	printf 'precious\n' > "$victim/file"; printf 'precious too\n' > "$victim/dir/inside"
	vsum=$(victim_sum)
}
for f in "${files[@]}"; do
	for kind in symlink fifo hardlink directory; do plant_case "$f" "$f" "$kind"; done
done
for d in "${dirs[@]}"; do
	for kind in dirlink writable; do plant_case "$d/" "$d" "$kind"; done
done
echo "SR-IOV: the sriov kind's saved-VF files were not planted at (no SR-IOV NIC here, so no ADD writes them)"
finish
