#!/usr/bin/env bash
# KubeVirt's own caches where KubeVirt reads them (vifcache kv-verify,
# kv-repair): a launcher stand-in (own mount and network namespaces, its
# root a private tmpfs, /var/run -> ../run as on images) holds the pod
# interface and /run/kubevirt-private; a temp tree is virt-handler's
# hostPath with network-info-cache/<uid>/<network>. Every #18087 variant
# is reproduced and repaired; a hostile launcher's symlinks (absolute,
# "..", /proc magic links) must not lead a read or a write onto the host.
set -uo pipefail
build=$(cd "${MIGNET_BUILD:-build}" && pwd)
vc=$build/vifcache
p="${MIGNET_TEST_PREFIX:-mgt}$(printf '%04x' $(( $$ & 0xffff )))k-"
data=$(mktemp -d "${TMPDIR_BASE:-/tmp/mignet-test}-kvcaches.XXXXXX")
. tests/lib/launcher.sh
cleanup() {
	launcher_stop
	rm -rf "$data"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
. tests/lib/suite.sh
expect() { # label expected-rc command...
	local label=$1 want=$2; shift 2
	local out rc
	out=$("$@" 2>&1); rc=$?
	if [ "$rc" = "$want" ]; then ok "$label"; else bad "$label" "exit $rc (want $want): $out"; fi
}

IF=pod16477688c0e NET=vlan13 UID_=8e1c7f2a-1111-4222-8333-944455556666
VMMAC=02:00:00:aa:bb:cc PODMAC=0a:58:0a:0d:00:05 OTHERMAC=02:00:00:de:ad:01
b64mac() { printf "$(printf '%s' "$1" | sed 's/\(..\):\{0,1\}/\\x\1/g')" | base64; }

# --- the launcher stand-in ---
launcher_start "$data/launcher"
lpid=$LAUNCHER_PID
P=/proc/$lpid/root KP=/proc/$lpid/root/run/kubevirt-private
if [ -z "$lpid" ] || [ ! -d "$KP" ] || [ "$(stat -c %i "$P/")" = "$(stat -c %i /)" ]; then
	bad "launcher stand-in" "no private root (pid '$lpid')"
	finish
fi
nsenter --net="/proc/$lpid/ns/net" sh -c "ip link set lo up && ip link add $IF address $PODMAC type veth peer name peer0 &&
	ip link set peer0 up && ip link set $IF up && ip addr add 10.13.0.5/24 dev $IF &&
	ip route add default via 10.13.0.1 dev $IF && ip route add 192.168.50.0/24 via 10.13.0.254 dev $IF" ||
	bad "pod interface" "could not be set up"
ok "launcher stand-in $lpid: private root, $IF 10.13.0.5/24 in its own netns"
F=$KP/vif-cache-$IF.json FV=$P/var/run/kubevirt-private/vif-cache-$IF.json # FV: as the messages name it
H=$data/handler E=$data/handler/network-info-cache/$UID_/$NET
mkdir -p "$(dirname "$E")"
A=(--launcher-pid "$lpid" --iface "$IF")
S=(--vmi-uid "$UID_" --network "$NET" --handler-root "$H")

# The entry as Go's MarshalIndent writes it; state 0 is how KubeVirt
# writes it back when it resets (omitempty drops networkState).
entry_text() {
	printf '{\n  "iface": {\n    "name": "%s",\n    "bridge": {}\n  },\n  "podIP": "10.13.0.5",\n  "podIPs": [\n    "10.13.0.5"\n  ]' "$NET"
	[ "$1" = 0 ] || printf ',\n  "networkState": %s' "$1"
	printf '\n}'
}
set_entry() { # state|none|torn
	rm -f "$E"
	case $1 in
	none) return ;;
	torn) entry_text 2 | head -c 40 > "$E" ;;
	*) entry_text "$1" > "$E" ;;
	esac
	chmod 0640 "$E" && chown 4242:4243 "$E" # kept by a reset
}
entry_is() { # state: byte for byte, mode and owner kept
	[ "$(cat "$E")" = "$(entry_text "$1")" ] && [ "$(stat -c '%a %u:%g' "$E")" = "640 4242:4243" ]
}
# the launcher's file as KubeVirt writes it, read back through the pod's root
file_ok() { # MAC
	local st
	st=$(stat -c '%a %u:%g %F' "$F" 2>&1)
	[ "$st" = "604 107:107 regular file" ] || { why="$F: $st"; return 1; }
	jq -e --arg mac "$(b64mac "$1")" '.IP.IP == "10.13.0.5" and .IP.Mask == "////AA==" and .MAC == $mac and
		.Gateway == "10.13.0.1" and .IPAMDisabled == false and
		([.Routes[] | [(.Dst.IP // "default"), .Gw]] == [["default", "10.13.0.1"], ["192.168.50.0", "10.13.0.254"]])' \
		"$F" >/dev/null || { why="content: $(jq -c '{IP: .IP.IP, MAC, Gateway, Routes: [.Routes[]? | {Dst, Gw}]}' "$F" 2>&1)"; return 1; }
	# MarshalIndent: two-space indent, no trailing newline
	[ "$(head -c 12 "$F")" = $'{\n  "Name": ' ] && [ "$(tail -c 2 "$F")" = $'\n}' ] || { why="not Go's layout"; return 1; }
	"$vc" kv-verify "${A[@]}" "${S[@]}" --mac "$1" >/dev/null 2>&1 || { why="kv-verify: $("$vc" kv-verify "${A[@]}" "${S[@]}" --mac "$1" 2>&1)"; return 1; }
}
# a correct file, written the way the suite trusts (checked by file_ok)
good_file() { rm -f "$F"; "$vc" kv-repair "${A[@]}" --mac "${1:-$VMMAC}" >/dev/null 2>&1; }

# --- CLI ---
expect "kv-verify --help" 0 "$vc" kv-verify --help
expect "kv-repair --help" 0 "$vc" kv-repair --help
"$vc" --help | grep -q "kv-verify" && "$vc" --help | grep -q "kv-repair" && ok "vifcache --help lists kv-verify and kv-repair" ||
	bad "vifcache --help" "the verbs are not listed"
expect "no --launcher-pid: usage (2)" 2 "$vc" kv-verify --iface "$IF"
for bad_pid in 0 -1 +5 12x 4194305 ''; do
	expect "--launcher-pid '$bad_pid' is refused (2)" 2 "$vc" kv-verify --launcher-pid "$bad_pid" --iface "$IF"
done
expect "--iface ../x is refused (2)" 2 "$vc" kv-repair --launcher-pid "$lpid" --iface ../x --mac "$VMMAC"
expect "--vmi-uid ../.. is refused (2)" 2 "$vc" kv-repair "${A[@]}" --vmi-uid ../.. --network "$NET" --mac "$VMMAC"
expect "--network a/b is refused (2)" 2 "$vc" kv-repair "${A[@]}" --vmi-uid "$UID_" --network a/b --mac "$VMMAC"
expect "--vmi-uid without --network (2)" 2 "$vc" kv-verify "${A[@]}" --vmi-uid "$UID_"
expect "--handler-root must be absolute and plain (2)" 2 "$vc" kv-verify "${A[@]}" "${S[@]}" --handler-root ../x
expect "--mac and --vm together (2)" 2 "$vc" kv-verify "${A[@]}" --mac "$VMMAC" --vm prod/vm-a
expect "a multicast --mac is refused (2)" 2 "$vc" kv-verify "${A[@]}" --mac 01:00:5e:00:00:01
expect "--kubevirt-owner 107 is refused (2)" 2 "$vc" kv-repair "${A[@]}" --mac "$VMMAC" --kubevirt-owner 107
[ -e /proc/4194304 ] || expect "a PID with no process: missing (4)" 4 "$vc" kv-verify --launcher-pid 4194304 --iface "$IF"
expect "an interface the launcher lacks: missing (4)" 4 "$vc" kv-verify --launcher-pid "$lpid" --iface eth7
host_kp=$(ls -la /run/kubevirt-private 2>&1)
out=$("$vc" kv-repair --launcher-pid $$ --iface "$IF" --mac "$VMMAC" 2>&1); rc=$?
[ $rc = 1 ] && grep -q "runs in the node's own root filesystem" <<<"$out" &&
	ok "a process in the node's own root is no launcher: refused (1)" || bad "node's root" "exit $rc: $out"
[ "$(ls -la /run/kubevirt-private 2>&1)" = "$host_kp" ] && ok "the node's /run/kubevirt-private was not touched" ||
	bad "node's kubevirt-private" "changed"

# --- #18087 and its relatives, each reproduced, then repaired ---
# file missing + Finished: the stale state of a dead target pod
set_entry 2; rm -f "$F"
out=$("$vc" kv-verify "${A[@]}" "${S[@]}" --mac "$VMMAC" 2>&1); rc=$?
[ $rc = 4 ] && grep -q "^$E: stale Finished network state (KubeVirt #18087)" <<<"$out" && grep -q "^$FV: missing" <<<"$out" &&
	ok "missing file + Finished: kv-verify names the #18087 state and the missing file (exit 4)" ||
	bad "#18087 detection" "exit $rc: $out"
kinds=$("$vc" kv-verify "${A[@]}" "${S[@]}" --mac "$VMMAC" --json | jq -r '[.findings[].kind] | join(",")')
[ "$kinds" = "missing,stale-finished" ] && ok "kv-verify --json: findings [$kinds]" || bad "kv-verify --json" "$kinds"
sum=$(sha256sum "$E")
out=$("$vc" kv-repair "${A[@]}" "${S[@]}" --mac "$VMMAC" --dry-run 2>&1); rc=$?
[ $rc = 0 ] && [ ! -e "$F" ] && [ "$(sha256sum "$E")" = "$sum" ] && grep -q "would write $FV" <<<"$out" &&
	grep -q "would reset $E: finished -> pending" <<<"$out" && ok "kv-repair --dry-run prints the plan and changes nothing" ||
	bad "dry run" "exit $rc, file $([ -e "$F" ] && echo written || echo absent): $out"
out=$("$vc" kv-repair "${A[@]}" "${S[@]}" --mac "$VMMAC" 2>&1); rc=$?
[ $rc = 0 ] && file_ok "$VMMAC" && entry_is 0 && grep -q "note: virt-handler keeps" <<<"$out" &&
	ok "repaired: the file written Go-exact (0604, 107:107), the entry pending with its fields, mode and owner kept" ||
	bad "repair of #18087" "exit $rc ${why:-}: $out | entry: $(cat "$E")"

# file missing + Started: phase 1 interrupted
set_entry 1; rm -f "$F"
out=$("$vc" kv-verify "${A[@]}" "${S[@]}" --mac "$VMMAC" 2>&1)
grep -q "^$E: state Started: phase 1 was interrupted" <<<"$out" && ok "missing file + Started: named as an interrupted phase 1" ||
	bad "Started detection" "$out"
out=$("$vc" kv-repair "${A[@]}" "${S[@]}" --mac "$VMMAC" --json 2>&1)
[ "$(jq -r '.result + ": " + ([.findings[].kind] | join(",")) + " -> " + ([.actions[] | select(.done) | .action] | join(","))' <<<"$out")" = \
	"repaired: missing,started -> write-vif-cache,reset-network-state" ] && file_ok "$VMMAC" && entry_is 0 &&
	ok "repaired (--json: findings, actions done): file written, Started reset to pending" || bad "repair of Started" "${why:-} $out"

# file missing, no entry at all (pending as KubeVirt reads it)
set_entry none; rm -f "$F"
out=$("$vc" kv-verify "${A[@]}" "${S[@]}" --mac "$VMMAC" --json)
[ "$(jq -r '([.findings[].kind] | join(",")) + " " + .networkState' <<<"$out")" = "missing absent" ] &&
	ok "missing file, no entry: only the file is reported" || bad "no entry" "$out"
"$vc" kv-repair "${A[@]}" "${S[@]}" --mac "$VMMAC" >/dev/null 2>&1 && file_ok "$VMMAC" && [ ! -e "$E" ] &&
	ok "repaired: file written, no entry created" || bad "repair without entry" "${why:-} entry $(ls "$E" 2>&1)"

# torn file (truncated JSON), state Finished: phase 1 did run for this pod,
# so only the file is rewritten
set_entry 2; good_file; head -c 300 "$F" > "$data/torn" && cat "$data/torn" > "$F"
out=$("$vc" kv-verify "${A[@]}" "${S[@]}" --mac "$VMMAC" 2>&1); rc=$?
[ $rc = 4 ] && grep -q "^$FV: torn or invalid" <<<"$out" && ! grep -q "#18087" <<<"$out" &&
	ok "torn file: reported torn (exit 4), not as #18087" || bad "torn file" "exit $rc: $out"
"$vc" kv-repair "${A[@]}" "${S[@]}" --mac "$VMMAC" >/dev/null 2>&1 && file_ok "$VMMAC" && entry_is 2 &&
	ok "repaired: file rewritten, the Finished entry left as it is" || bad "repair of torn file" "${why:-} entry: $(cat "$E")"

# a raw control byte in a string: cJSON takes it, Go's decoder does not
good_file; jq '.Name = "a\tb"' "$F" | sed 's/\\t/\t/' > "$data/ctl" && cat "$data/ctl" > "$F"
out=$("$vc" kv-verify "${A[@]}" --mac "$VMMAC" 2>&1); rc=$?
[ $rc = 4 ] && grep -q "^$FV: torn or invalid (virt-launcher cannot read it): not valid JSON" <<<"$out" &&
	"$vc" kv-repair "${A[@]}" --mac "$VMMAC" >/dev/null 2>&1 && file_ok "$VMMAC" &&
	ok "a raw tab inside a string (Go refuses it): reported torn and rewritten" || bad "raw control byte" "exit $rc: $out ${why:-}"

# wrong MAC (a file for another guest)
good_file "$OTHERMAC"
out=$("$vc" kv-verify "${A[@]}" "${S[@]}" --mac "$VMMAC" 2>&1); rc=$?
[ $rc = 3 ] && grep -q "^$FV: MAC $OTHERMAC, but the VM's is $VMMAC" <<<"$out" && ok "wrong MAC: reported (exit 3)" ||
	bad "wrong MAC" "exit $rc: $out"
"$vc" kv-repair "${A[@]}" "${S[@]}" --mac "$VMMAC" >/dev/null 2>&1 && file_ok "$VMMAC" && ok "repaired: the VM's MAC" ||
	bad "repair of wrong MAC" "${why:-}"

# wrong IP, and a file the launcher (uid 107) cannot read
jq '.IP.IP = "10.13.0.9"' "$F" > "$data/wrongip" && cat "$data/wrongip" > "$F"
out=$("$vc" kv-verify "${A[@]}" --mac "$VMMAC" 2>&1); rc=$?
[ $rc = 3 ] && grep -q "^$FV: IP 10.13.0.9/24, but $IF has 10.13.0.5/24" <<<"$out" && ok "wrong IP: reported (exit 3)" ||
	bad "wrong IP" "exit $rc: $out"
"$vc" kv-repair "${A[@]}" --mac "$VMMAC" >/dev/null 2>&1 && file_ok "$VMMAC" && ok "repaired: the pod interface's IP" ||
	bad "repair of wrong IP" "${why:-}"
chown 0:0 "$F" && chmod 0600 "$F"
out=$("$vc" kv-verify "${A[@]}" --mac "$VMMAC" 2>&1); rc=$?
[ $rc = 3 ] && grep -q "the launcher (uid 107) cannot read it" <<<"$out" && "$vc" kv-repair "${A[@]}" --mac "$VMMAC" >/dev/null 2>&1 &&
	file_ok "$VMMAC" && ok "a file uid 107 cannot read: reported and rewritten 0604 107:107" || bad "unreadable file" "exit $rc: $out ${why:-}"

# torn entry: virt-handler cannot read it, phase 1 fails every time
set_entry torn
out=$("$vc" kv-verify "${A[@]}" "${S[@]}" --mac "$VMMAC" 2>&1); rc=$?
[ $rc = 3 ] && grep -q "^$E: torn" <<<"$out" && ok "torn entry: reported (exit 3)" || bad "torn entry" "exit $rc: $out"
"$vc" kv-repair "${A[@]}" "${S[@]}" --mac "$VMMAC" >/dev/null 2>&1 && [ "$(cat "$E")" = "{}" ] &&
	[ "$(stat -c '%a %u:%g' "$E")" = "640 4242:4243" ] && file_ok "$VMMAC" && ok "repaired: the torn entry is {} (pending), mode and owner kept" ||
	bad "repair of torn entry" "$(cat "$E")"

# a networkState KubeVirt does not know (neither prepared nor skipped)
set_entry 7
vout=$("$vc" kv-verify "${A[@]}" "${S[@]}" --mac "$VMMAC" 2>&1)
rout=$("$vc" kv-repair "${A[@]}" "${S[@]}" --mac "$VMMAC" 2>&1)
grep -q "^$E: networkState 7 is no state" <<<"$vout" && entry_is 0 &&
	ok "unknown networkState 7: reported and reset to pending" || bad "unknown state" "$vout | $rout | $(cat "$E")"

# the MAC from mignet's record (--vm), and a record that disagrees with the pod
store=$data/store
cat > "$data/result.json" <<JSON
{"cniVersion":"1.0.0","interfaces":[{"name":"$IF","mac":"$VMMAC","sandbox":"/proc/$lpid/ns/net"}],
 "ips":[{"address":"10.13.0.5/24","gateway":"10.13.0.1","interface":0}],"routes":[{"dst":"0.0.0.0/0","gw":"10.13.0.1"},{"dst":"192.168.50.0/24","gw":"10.13.0.254"}]}
JSON
"$vc" populate "prod/vm-a/$IF" --root "$store" --network "$NET" --from-result "$data/result.json" >/dev/null ||
	bad "populate" "no record"
set_entry 2; rm -f "$F"
out=$("$vc" kv-repair "${A[@]}" "${S[@]}" --vm prod/vm-a --root "$store" 2>&1); rc=$?
[ $rc = 0 ] && file_ok "$VMMAC" && entry_is 0 && grep -q "from mignet's record prod/vm-a/$IF" <<<"$out" &&
	ok "--vm: the file written from mignet's record" || bad "repair from the record" "exit $rc ${why:-}: $out"
sed 's/10\.13\.0\.5/10.13.0.77/' "$data/result.json" > "$data/result2.json"
"$vc" populate "prod/vm-b/$IF" --root "$store" --network "$NET" --from-result "$data/result2.json" >/dev/null
set_entry 2; rm -f "$F"; sum=$(sha256sum "$E")
out=$("$vc" kv-repair "${A[@]}" "${S[@]}" --vm prod/vm-b --root "$store" 2>&1); rc=$?
[ $rc = 1 ] && [ ! -e "$F" ] && [ "$(sha256sum "$E")" = "$sum" ] && grep -q "has IPv4 10.13.0.77/24, but $IF" <<<"$out" &&
	ok "--vm with a record of another IPv4: refused, nothing written" || bad "record mismatch" "exit $rc: $out"
expect "--vm with no record: missing (4)" 4 "$vc" kv-verify "${A[@]}" --vm prod/vm-z --root "$store"
expect "kv-repair without a MAC when the file must be written: usage (2)" 2 "$vc" kv-repair "${A[@]}" "${S[@]}"
[ ! -e "$F" ] && [ "$(sha256sum "$E")" = "$sum" ] && ok "... and nothing was written" || bad "no MAC" "something was written"

# no IPv4 on the pod interface: KubeVirt writes IPAMDisabled and no MAC
good_file; set_entry 2
nsenter --net="/proc/$lpid/ns/net" ip addr flush dev "$IF" scope global
out=$("$vc" kv-verify "${A[@]}" "${S[@]}" --mac "$VMMAC" 2>&1); rc=$?
[ $rc = 3 ] && grep -q "has no global IPv4 (KubeVirt would write IPAMDisabled)" <<<"$out" && ok "no IPv4 in the pod: the file's address is reported" ||
	bad "IPAMDisabled check" "exit $rc: $out"
"$vc" kv-repair "${A[@]}" "${S[@]}" --mac "$VMMAC" >/dev/null 2>&1 &&
	jq -e '.IPAMDisabled == true and .MAC == null and (.IP | has("IP") | not) and .Routes == null and .Gateway == ""' "$F" >/dev/null &&
	"$vc" kv-verify "${A[@]}" "${S[@]}" --mac "$VMMAC" >/dev/null && ok "repaired: IPAMDisabled, no MAC, no IP, as KubeVirt writes it" ||
	bad "IPAMDisabled repair" "$(jq -c '{IPAMDisabled, MAC, IP, Gateway}' "$F")"
nsenter --net="/proc/$lpid/ns/net" sh -c "ip addr add 10.13.0.5/24 dev $IF && ip route replace default via 10.13.0.1 dev $IF &&
	ip route replace 192.168.50.0/24 via 10.13.0.254 dev $IF"

# --- a consistent, running VM is left alone ---
good_file; set_entry 2
before=$(stat -c '%i %y' "$F" "$E")
out=$("$vc" kv-verify "${A[@]}" "${S[@]}" --mac "$VMMAC" 2>&1); rc=$?
[ $rc = 0 ] && grep -q "consistent" <<<"$out" && ok "consistent VM (file right, state Finished): kv-verify exit 0" || bad "consistent verify" "exit $rc: $out"
out=$("$vc" kv-repair "${A[@]}" "${S[@]}" --mac "$VMMAC" 2>&1); rc=$?
[ $rc = 0 ] && grep -q "nothing to repair" <<<"$out" && [ "$(stat -c '%i %y' "$F" "$E")" = "$before" ] && entry_is 2 &&
	ok "kv-repair leaves it alone: inode and mtime of both files unchanged" || bad "consistent repair" "exit $rc: $out"
[ "$("$vc" kv-repair "${A[@]}" "${S[@]}" --mac "$VMMAC" --json | jq -r '.result + " " + (.actions | length | tostring)')" = "nothing to repair 0" ] &&
	ok "kv-repair --json: nothing to repair, no action" || bad "repair --json" "unexpected"

# --- a hostile launcher: its symlinks must not lead onto the host ---
victim=$data/victim
mkdir -p "$victim"
cp "$F" "$victim/vif-cache-$IF.json" # a right file: reading it would pass kv-verify
echo precious > "$victim/keep"
snap() { (cd "$victim" && ls -A && ls -l --time-style=full-iso && sha256sum ./*) 2>&1; }
vsnap=$(snap)
mv "$KP" "$P/run/kp.saved"
for target in "$victim" "../../../../../../../../../..$victim" "/proc/self/root$victim" "/proc/$$/root$victim" \
	"/proc/1/root$victim" "/proc/$lpid/cwd/../../../..$victim"; do
	ln -sfn "$target" "$KP"
	# reading the host's right file would pass; with it away, a write
	# led onto the host would put one there
	vout=$("$vc" kv-verify "${A[@]}" --mac "$VMMAC" 2>&1); vrc=$?
	mv "$victim/vif-cache-$IF.json" "$data/victim.saved"
	rout=$("$vc" kv-repair "${A[@]}" --mac "$VMMAC" 2>&1); rrc=$?
	written=$(ls "$victim")
	mv "$data/victim.saved" "$victim/vif-cache-$IF.json"
	if [ "$(snap)" = "$vsnap" ] && [ "$written" = keep ] && [ $vrc != 0 ] && [ $rrc != 0 ] && [ ! -e "$P$victim" ]; then
		ok "run/kubevirt-private -> $target: refused (verify $vrc, repair $rrc), the host's files unchanged"
	else
		bad "hostile $target" "verify $vrc: $vout | repair $rrc: $rout | in the victim: $written"
	fi
done
rm -f "$KP"
# the same path made to exist inside the pod: the write lands there
mkdir -p "$P$victim" && ln -sfn "$victim" "$KP"
out=$("$vc" kv-repair "${A[@]}" --mac "$VMMAC" 2>&1); rc=$?
[ $rc = 0 ] && [ -f "$P$victim/vif-cache-$IF.json" ] && [ "$(snap)" = "$vsnap" ] &&
	ok "an absolute symlink resolves inside the pod's root: written at $P$victim, not at $victim" || bad "in-pod absolute symlink" "exit $rc: $out"
rm -f "$KP"; rm -rf "${P:?}/tmp"/*
mv "$P/run/kp.saved" "$KP"
# /var/run -> /run as on most images: KubeVirt's path still means the pod's /run
ln -sfn /run "$P/var/run"; rm -f "$F"; host_kp=$(ls -la /run/kubevirt-private 2>&1)
"$vc" kv-repair "${A[@]}" --mac "$VMMAC" >/dev/null 2>&1 && file_ok "$VMMAC" && [ "$(ls -la /run/kubevirt-private 2>&1)" = "$host_kp" ] &&
	ok "var/run -> /run (absolute): the pod's /run/kubevirt-private is written, not the node's" || bad "var/run -> /run" "${why:-}"
ln -sfn ../run "$P/var/run"
# the file itself a symlink onto the host, or a FIFO
for kind in symlink magic fifo; do
	rm -f "$F"
	case $kind in
	symlink) ln -s "$victim/vif-cache-$IF.json" "$F" ;;
	magic) ln -s "/proc/self/root$victim/vif-cache-$IF.json" "$F" ;;
	fifo) mkfifo "$F" ;;
	esac
	vout=$(timeout 20 "$vc" kv-verify "${A[@]}" --mac "$VMMAC" 2>&1); vrc=$?
	rout=$(timeout 20 "$vc" kv-repair "${A[@]}" --mac "$VMMAC" 2>&1); rrc=$?
	[ $vrc = 4 ] && grep -q "not a regular file" <<<"$vout" && [ $rrc = 0 ] && file_ok "$VMMAC" && [ "$(snap)" = "$vsnap" ] &&
		ok "the file a $kind: not read (exit 4), replaced by a regular file in the pod, the host's untouched" ||
		bad "file $kind" "verify $vrc: $vout | repair $rrc: $rout ${why:-}"
done
# virt-handler's side: a symlink beneath the handler root is not followed
good_file; rm -rf "$H/network-info-cache/$UID_"; mkdir -p "$data/hvictim"
entry_text 2 > "$data/hvictim/$NET"; hsum=$(sha256sum "$data/hvictim/$NET")
ln -s "$data/hvictim" "$H/network-info-cache/$UID_"
out=$("$vc" kv-repair "${A[@]}" "${S[@]}" --mac "$VMMAC" 2>&1); rc=$?
[ $rc = 1 ] && grep -q "not followed" <<<"$out" && [ "$(sha256sum "$data/hvictim/$NET")" = "$hsum" ] &&
	ok "a symlinked network-info-cache/<uid>: refused, its target untouched" || bad "handler symlink" "exit $rc: $out"
rm -f "$H/network-info-cache/$UID_"; mkdir -p "$(dirname "$E")"

finish
