#!/usr/bin/env bash
# The hostile-input catalogue: every file and argument the three programs
# read, fed values an attacker or a broken peer would send. Each case wants
# its exit code and a message naming what was wrong, and no case may hang
# or change anything: after each, the node's and the pod's links and
# addresses and every file of the state trees are compared with before.
set -uo pipefail
build=$(cd "${MIGNET_BUILD:-build}" && pwd)
cni=$build/mignet-cni vc=$build/vifcache np=$build/netprep
p="${MIGNET_TEST_PREFIX:-mgt}$(printf '%04x' $(( $$ & 0xffff )))x-"
host=${p}h ctr=${p}c
data=$(mktemp -d "${TMPDIR_BASE:-/tmp/mignet-test}-hostile.XXXXXX")
cleanup() { ip netns del "$host" 2>/dev/null; ip netns del "$ctr" 2>/dev/null; rm -rf "$data"; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
. tests/lib/suite.sh

ip netns add "$host" && ip netns add "$ctr" || { echo "cannot create namespaces"; exit 1; }
ip -n "$host" link set lo up; ip -n "$ctr" link set lo up
ip -n "$host" link add up0 type veth peer name up0p
ip -n "$host" link set up0 up; ip -n "$host" link set up0p up
ipam=$data/ipam cache=$data/cache in=$data/in
mkdir -p "$ipam" "$cache" "$in"
chmod 0700 "$data"

# A good config per kind; the cases change one thing in it.
good='{"cniVersion":"1.0.0","name":"net1","type":"mignet-macvlan","master":"up0",
 "vifCacheDir":"'$cache'","ipam":{"type":"mignet-ipam","dataDir":"'$ipam'","subnet":"10.77.0.0/24"}}'
vmargs="IgnoreUnknown=1;K8S_POD_NAMESPACE=prod;K8S_POD_NAME=virt-launcher-vm-a-abcde"
vmrt='{"io.kubernetes.cri.pod-annotations":{"kubevirt.io/domain":"vm-a"}}'

run_cni() { # COMMAND: stdin is the config; env comes from the E_* variables
	ip netns exec "$host" timeout 10 env -i PATH="$PATH" CNI_COMMAND="$1" \
		CNI_CONTAINERID="${E_ID-c1}" CNI_NETNS="${E_NETNS-/run/netns/$ctr}" CNI_IFNAME="${E_IF-net1}" \
		CNI_PATH="${E_PATH-/usr/lib/cni}" CNI_ARGS="${E_ARGS-$vmargs}" "$cni"
}

# Something stored: an attachment that every case must leave as it is,
# and its export document, from which hostile documents are derived.
jq -c --argjson rt "$vmrt" '.runtimeConfig = $rt' <<<"$good" | E_ID=keep E_IF=net0 run_cni ADD >/dev/null 2>&1 ||
	{ echo "setup: the stored attachment could not be made"; exit 1; }
"$vc" export prod/vm-a --root "$cache" > "$in/export.json" 2>/dev/null ||
	{ echo "setup: no export document"; exit 1; }
"$np" inventory --json --netns "/run/netns/$host" > "$in/inv.json" 2>/dev/null ||
	{ echo "setup: no inventory"; exit 1; }

# Links by name, MAC, MTU, master and alias, addresses without their
# lifetimes and DAD flags, which move by themselves.
snapshot() {
	{
		for ns in "$host" "$ctr"; do
			ip -n "$ns" -j link show | jq -c '.[] | [.ifname, .address, .mtu, .master, .ifalias]'
			ip -n "$ns" -j addr show | jq -c '.[] | [.ifname, [.addr_info[] | "\(.local)/\(.prefixlen)"]]'
		done
		(cd "$data" && find ipam cache -printf '%p %y %m %n %s\n' | sort)
		(cd "$data" && find ipam cache -type f -exec md5sum {} + 2>/dev/null | sort)
	} | md5sum
}
before=$(snapshot)

# hc LABEL RC REGEX COMMAND... : RC exit, REGEX in the output, no hang, no
# change. For the plugin RC is the CNI error code in its JSON.
hc() {
	local label=$1 want=$2 re=$3; shift 3
	local out rc
	out=$("$@" 2>&1 < "${HC_IN:-/dev/null}"); rc=$?
	local got=$rc
	if [ "${HC_CNI:-}" = 1 ] && [ $rc = 1 ]; then
		got=$(sed -n '/^{/,/^}/p' <<<"$out" | jq -r '.code // empty' 2>/dev/null)
		got=${got:-none}
	fi
	# an input that was wrongly taken leaves its attachment: undo it, so
	# one failure does not spill into the next cases
	if [ "${HC_CNI:-}" = 1 ] && [ $rc = 0 ]; then
		printf '%s' "$good" | E_ID=c1 E_IF=net1 run_cni DEL >/dev/null 2>&1
	fi
	local now; now=$(snapshot)
	if [ $rc = 124 ]; then
		bad "$label" "hung (killed after 10 s)"
	elif [ "$got" != "$want" ]; then
		bad "$label" "got $got (exit $rc), want $want: $(head -c 300 <<<"$out")"
	elif ! grep -Eq -- "$re" <<<"$out"; then
		bad "$label" "message does not match /$re/: $(head -c 300 <<<"$out")"
	elif [ "$now" != "$before" ]; then
		bad "$label" "the node or the stores changed"
	else
		ok "$label"
	fi
	before=$now
}

# ---- the plugin: environment ------------------------------------------
printf '%s' "$good" > "$in/good.json"
cenv() { # LABEL CODE REGEX VAR=VALUE... (ADD with the good config)
	local label=$1 code=$2 re=$3; shift 3
	HC_CNI=1 HC_IN=$in/good.json hc "env: $label" "$code" "$re" env "$@" bash -c 'run_cni "${CMD:-ADD}"'
}
export -f run_cni; export host ctr cni vmargs good
cenv "unknown CNI_COMMAND" 4 'CNI_COMMAND' CMD=FOO
cenv "CNI_COMMAND with a newline" 4 'CNI_COMMAND .*\\x0a' CMD=$'ADD\n'
cenv "lower-case command" 4 'CNI_COMMAND' CMD=add
for id in -abc 'a/b' 'a b' $'a\nb' '../x' 'a;b' 'a@b' $'\xc3\xa4' "$(printf 'x%.0s' {1..256})" '.hidden'; do
	cenv "CNI_CONTAINERID $(printf %q "$id" | head -c 40)" 4 'container ID' E_ID="$id"
done
cenv "CNI_CONTAINERID empty" 4 'CNI_CONTAINERID' E_ID=
for ifn in 'eth%d' 'a/b' 'a:b' 'a b' . .. abcdefghijklmnop $'eth\n' $'a\tb' $'\xc3\xa9th' 'net%s1' '%'; do
	cenv "CNI_IFNAME $(printf %q "$ifn")" 4 'CNI_IFNAME' E_IF="$ifn"
done
cenv "CNI_IFNAME empty" 4 'CNI_IFNAME' E_IF=
cenv "CNI_NETNS relative" 4 'CNI_NETNS' E_NETNS=run/netns/x
cenv "CNI_NETNS is the plugin's own" 8 "plugin's own network namespace" E_NETNS=/proc/self/ns/net
cenv "CNI_NETNS is the node's (pid 1 of the node namespace)" 8 "plugin's own" E_NETNS=/run/netns/$host
mkfifo "$in/fifo"
cenv "CNI_NETNS is a FIFO" 4 'not a network namespace' E_NETNS="$in/fifo"
cenv "CNI_NETNS is a regular file" 4 'not a network namespace' E_NETNS="$in/good.json"
cenv "CNI_NETNS is a directory" 4 'not a network namespace' E_NETNS="$in"
cenv "CNI_NETNS does not exist" 3 'does not exist' E_NETNS="$in/nothing"
cenv "CHECK without CNI_NETNS" 4 'CNI_NETNS' CMD=CHECK E_NETNS=
for a in 'K8S_POD_NAMESPACE=../../../outside/victim' 'K8S_POD_NAMESPACE=Prod' 'K8S_POD_NAMESPACE=a.b' \
	'K8S_POD_NAMESPACE=-a' "K8S_POD_NAMESPACE=$(printf 'n%.0s' {1..64})" 'K8S_POD_NAME=a..b' 'K8S_POD_NAME=-a' \
	'K8S_POD_NAME=a/b' 'K8S_POD_NAME=A' 'K8S_POD_UID=../x' 'K8S_POD_UID=a/b' 'K8S_POD_INFRA_CONTAINER_ID=a/b'; do
	cenv "CNI_ARGS $a" 4 "${a%%=*}" E_ARGS="IgnoreUnknown=1;$a"
done
cenv "CNI_ARGS without =" 4 'not KEY=VALUE' E_ARGS='IgnoreUnknown=1;junk'
cenv "CNI_ARGS with two =" 4 'not KEY=VALUE' E_ARGS='IgnoreUnknown=1;a=b=c'
cenv "CNI_ARGS unknown key" 4 'unknown key "Foo"' E_ARGS='Foo=1'
cenv "CNI_ARGS IgnoreUnknown=maybe" 4 'IgnoreUnknown' E_ARGS='IgnoreUnknown=maybe'
cenv "CNI_ARGS MAC=zz" 7 'CNI_ARGS MAC' E_ARGS='IgnoreUnknown=1;MAC=zz'
cenv "CNI_ARGS IP=999.1.1.1" 7 'CNI_ARGS IP' E_ARGS='IgnoreUnknown=1;IP=999.1.1.1'
cenv "CNI_ARGS IP=10.0.0.1/99" 7 'CNI_ARGS IP' E_ARGS='IgnoreUnknown=1;IP=10.0.0.1/99'

# ---- the plugin: the config on stdin ----------------------------------
n=0
cconf() { # LABEL CODE REGEX CONFIG [COMMAND]
	n=$((n + 1))
	printf '%s' "$4" > "$in/c$n.json"
	HC_CNI=1 HC_IN=$in/c$n.json hc "config: $1" "$2" "$3" env CMD="${5:-ADD}" bash -c 'run_cni "$CMD"'
}
cj() { jq -c "$@" <<<"$good"; } # the good config with one change
cconf "not JSON" 6 'invalid JSON' '{"cniVersion":'
cconf "empty" 6 'invalid JSON' ''
cconf "an array" 6 'JSON object' '[1,2]'
cconf "duplicate name" 7 'key "name" appears twice' '{"cniVersion":"1.0.0","name":"a","name":"b","type":"mignet-macvlan"}'
cconf "duplicate nested key" 7 'ipam.subnet" appears twice' "$(cj -r 'tostring' | sed 's/"subnet":"10.77.0.0\/24"/"subnet":"10.77.0.0\/24","subnet":"10.78.0.0\/24"/')"
cconf "duplicate key inside a list" 7 'routes\[0\].dst" appears twice' "$(cj '.ipam.routes=[{"dst":"0.0.0.0/0"}]' | sed 's/"dst":"0.0.0.0\/0"/"dst":"0.0.0.0\/0","dst":"1.0.0.0\/8"/')"
cconf "trailing data" 7 'after the JSON value' "$(cj .) {}"
cconf "trailing garbage" 7 'after the JSON value' "$(cj .)x"
cconf "NUL in the name" 7 'u0000' '{"cniVersion":"1.0.0","name":"a\u0000b","type":"mignet-macvlan"}'
cconf "NUL in a nested value" 7 'master.*u0000' "$(cj '.master="up0"' | sed 's/"up0"/"up0\\u0000x"/')"
cconf "nested 100 deep" 7 'nested more than 64' "$(cj --argjson d "$(python3 -c 'print("["*100+"]"*100)')" '.x=$d')"
cconf "cniVersion 9.9.9" 1 'incompatible CNI versions' "$(cj '.cniVersion="9.9.9"')"
cconf "cniVersion a number" 7 '"cniVersion" must be a string' "$(cj '.cniVersion=1')"
cconf "name missing" 7 '"name" is required' "$(cj 'del(.name)')"
cconf "name with a slash" 7 'network name' "$(cj '.name="a/b"')"
cconf "name .." 7 'network name' "$(cj '.name=".."')"
cconf "type unknown" 7 'not a mignet plugin' "$(cj '.type="evil" | del(.ipam)')"
cconf "type a number" 7 '"type" must be a string' "$(cj '.type=5')"
cconf "ipam not an object" 7 '"ipam" must be an object' "$(cj '.ipam="x"')"
cconf "ipam.type a number" 7 '"type" must be a string' "$(cj '.ipam.type=1')"
cconf "dns a string" 7 '"dns" must be an object' "$(cj '.dns="x"')"
cconf "runtimeConfig a list" 7 '"runtimeConfig" must be an object' "$(cj '.runtimeConfig=[]')"
cconf "prevResult a string" 7 '"prevResult" must be an object' "$(cj '.prevResult="x"')"
cconf "logFile relative" 7 'logFile' "$(cj '.logFile="log.txt"')"
cconf "logFile a number" 7 '"logFile" must be a string' "$(cj '.logFile=1')"
cconf "vifCacheDir relative" 7 'vifCacheDir' "$(cj '.vifCacheDir="cache"')"
cconf "vifCacheDir with .." 7 'vifCacheDir' "$(cj '.vifCacheDir="/tmp/../etc"')"
cconf "vifCacheDir a number" 7 '"vifCacheDir" must be a string' "$(cj '.vifCacheDir=5')"
cconf "dataDir relative" 7 'dataDir' "$(cj '.ipam.dataDir="ipam"')"
cconf "dataDir with .." 7 'dataDir' "$(cj '.ipam.dataDir="/var/lib/../../etc"')"
cconf "dataDir with ." 7 'dataDir' "$(cj '.ipam.dataDir="/var/./lib"')"
cconf "dataDir a list" 7 '"dataDir" must be a string' "$(cj '.ipam.dataDir=[]')"
cconf "routes a string" 7 '"routes" must be a list' "$(cj '.ipam.routes="abc"')"
cconf "routes entry without dst" 7 'dst' "$(cj '.ipam.routes=[{}]')"
cconf "routes dst not a prefix" 7 'routes\[\].dst' "$(cj '.ipam.routes=[{"dst":"nowhere"}]')"
cconf "ranges a string" 7 '"ranges" must be a list' "$(cj 'del(.ipam.subnet) | .ipam.ranges="x"')"
cconf "ranges entry not a list" 7 'ranges' "$(cj 'del(.ipam.subnet) | .ipam.ranges=[{}]')"
cconf "subnet not a prefix" 7 'subnet' "$(cj '.ipam.subnet="10.1.1.1"')"
cconf "subnet a number" 7 'subnet' "$(cj '.ipam.subnet=10')"
cconf "rangeStart outside the subnet" 7 'rangeStart' "$(cj '.ipam.rangeStart="10.99.0.5"')"
cconf "gateway not an IP" 7 'gateway' "$(cj '.ipam.gateway="gw"')"
cconf "sticky a string" 7 '"sticky" must be true or false' "$(cj '.ipam.sticky="yes"')"
cconf "no ranges at all" 7 'no "ranges"' "$(cj 'del(.ipam.subnet)')"
cconf "macvlan mode bogus" 7 'mode' "$(cj '.mode="evil"')"
cconf "mtu -1" 7 '"mtu"' "$(cj '.mtu=-1')"
cconf "mtu a string" 7 '"mtu" must be a number' "$(cj '.mtu="big"')"
cconf "mtu 1e9" 7 '"mtu"' "$(cj '.mtu=1e9')"
cconf "mtu 1.5" 7 '"mtu"' "$(cj '.mtu=1.5')"
cconf "master eth%d" 7 'master' "$(cj '.master="eth%d"')"
cconf "master ../x" 7 'master' "$(cj '.master="../x"')"
cconf "master too long" 7 'master' "$(cj '.master="abcdefghijklmnop"')"
cconf "bcqueuelen a string" 7 'bcqueuelen' "$(cj '.bcqueuelen="x"')"
cconf "linkInContainer a number" 7 'linkInContainer' "$(cj '.linkInContainer=1')"
cconf "runtimeConfig.mac bad" 7 'runtimeConfig.mac' "$(cj '.runtimeConfig.mac="zz:zz"')"
cconf "runtimeConfig.mac multicast" 7 'runtimeConfig.mac' "$(cj '.runtimeConfig.mac="01:00:5e:00:00:01"')"
cconf "runtimeConfig.ips a string" 7 'runtimeConfig.ips' "$(cj '.runtimeConfig.ips="10.0.0.1"')"
cconf "runtimeConfig.ips a number entry" 7 'runtimeConfig.ips' "$(cj '.runtimeConfig.ips=[1]')"
cconf "runtimeConfig.ips bad address" 7 'runtimeConfig.ips' "$(cj '.runtimeConfig.ips=["10.0.0.300/24"]')"
cconf "args.cni.ips bad" 7 'args.cni.ips' "$(cj '.args={"cni":{"ips":["nope"]}}')"
cconf "annotations a string" 7 'pod-annotations' "$(cj '.runtimeConfig={"io.kubernetes.cri.pod-annotations":"x"}')"
cconf "domain annotation upper case" 7 'kubevirt.io/domain' "$(cj '.runtimeConfig={"io.kubernetes.cri.pod-annotations":{"kubevirt.io/domain":"VM_A"}}')"
cconf "domain annotation a path" 7 'kubevirt.io/domain' "$(cj '.runtimeConfig={"io.kubernetes.cri.pod-annotations":{"kubevirt.io/domain":"../../x"}}')"
cconf "vmiUID a path" 7 'VMI UID' "$(cj '.args={"cni":{"vmiUID":"../x"}}')"
cconf "deviceID a number" 7 'deviceID' "$(cj '.runtimeConfig.deviceID=5')"
bridge='{"cniVersion":"1.0.0","name":"net1","type":"mignet-bridge","bridge":"br0"}'
cb() { jq -c "$@" <<<"$bridge"; }
cconf "bridge br%d" 7 'bridge' "$(cb '.bridge="br%d"')"
cconf "bridge a/b" 7 'bridge' "$(cb '.bridge="a/b"')"
cconf "bridge too long" 7 'bridge' "$(cb '.bridge="bridgebridgebrid"')"
cconf "bridge vlan 5000" 7 'vlan' "$(cb '.vlan=5000')"
cconf "bridge vlanTrunk a string" 7 'vlanTrunk' "$(cb '.vlanTrunk="1-5"')"
cconf "bridge vlanTrunk reversed" 7 'vlanTrunk' "$(cb '.vlanTrunk=[{"minID":9,"maxID":3}]')"
cconf "bridge hairpin and promisc" 7 'hairpinMode' "$(cb '.hairpinMode=true | .promiscMode=true')"
cconf "bridge ipMasq" 2 'ipMasq' "$(cb '.ipMasq=true')"
cconf "bridge isGateway a string" 7 'isGateway' "$(cb '.isGateway="yes"')"
sriov='{"cniVersion":"1.0.0","name":"net1","type":"mignet-sriov","deviceID":"0000:03:02.1"}'
cs() { jq -c "$@" <<<"$sriov"; }
cconf "sriov deviceID a path" 7 'deviceID' "$(cs '.deviceID="../../etc"')"
cconf "sriov sysfsRoot relative" 7 'sysfsRoot' "$(cs '.sysfsRoot="sys"')"
cconf "sriov dataDir with .." 7 'dataDir' "$(cs '.dataDir="/var/lib/cni/../../../etc"')"
cconf "sriov vlan 4095" 7 'vlan' "$(cs '.vlan=4095')"
cconf "sriov vlanQoS 8" 7 'vlanQoS' "$(cs '.vlanQoS=8')"
cconf "sriov spoofchk maybe" 7 'spoofchk' "$(cs '.spoofchk="maybe"')"
cconf "sriov link_state bogus" 7 'link_state' "$(cs '.link_state="bogus"')"
cconf "GC list a string" 7 'valid-attachments' "$(cj '.cniVersion="1.1.0" | .["cni.dev/valid-attachments"]="x"')" GC
cconf "CHECK without prevResult" 7 'prevResult' "$(cj '.cniVersion="1.0.0"')" CHECK
cconf "GC on 1.0.0" 1 'GC' "$(cj .)" GC
printf '%s' "$(cj '.ipam={"type":"host-local","subnet":"10.78.0.0/24"}')" > "$in/delegate.json"
HC_CNI=1 HC_IN=$in/delegate.json hc "env: CNI_PATH missing for a delegated IPAM" 4 'CNI_PATH' \
	env E_PATH= bash -c 'run_cni ADD'

# ---- vifcache: arguments and documents --------------------------------
vcc() { # LABEL RC REGEX ARGS...
	local label=$1 rc=$2 re=$3; shift 3
	hc "vifcache: $label" "$rc" "$re" timeout 10 "$vc" "$@"
}
for key in 'a/b/c/d' 'Prod/vm-a' '../x/y' 'prod/..' 'prod/vm-a/eth%d' 'prod/vm-a/a:b' 'prod/VM' '/vm-a' 'prod/' \
	"prod/$(printf 'v%.0s' {1..254})" $'prod/vm\n-a' 'prod/vm_a'; do
	vcc "show $(printf %q "$key" | head -c 40)" 2 'NS/VM|name|interface|not|key' show "$key" --root "$cache"
done
vcc "--root relative" 1 'cache root .*absolute' list --root cache
vcc "--root with .." 1 'cache root .*\.\.' list --root "$cache/../cache"
vcc "unknown verb" 2 'unknown' frobnicate
vcc "unknown option" 2 'unknown|option' list --frobnicate
vcc "--kubevirt-owner 107:-1" 2 'kubevirt-owner' populate prod/vm-a/net9 --network n --from-result - --kubevirt-owner 107:-1 --root "$cache"
vcc "--device-id a path" 2 'PCI address' apply prod/vm-a/net0 --device-id ../../etc --root "$cache"
vcc "populate --network a/b" 2 'network' populate prod/vm-a/net9 --network a/b --from-result - --root "$cache"
vcc "populate --uid a path" 2 'uid|UID' populate prod/vm-a/net9 --network n --from-result - --uid ../x --root "$cache"
vcc "populate --container-id bad" 2 'container' populate prod/vm-a/net9 --network n --from-result - --container-id 'a/b' --root "$cache"
vcc "verify --netns relative" 4 'netns .*absolute' verify prod/vm-a/net0 --netns rel --root "$cache"
vcc "verify --netns a FIFO" 4 'not a network namespace' verify prod/vm-a/net0 --netns "$in/fifo" --root "$cache"
vcc "import a FIFO" 1 'regular file|fifo' import "$in/fifo" --root "$cache"
vcc "import a directory" 1 'regular file|directory' import "$in" --root "$cache"
vcc "repair --from-export a FIFO" 1 'regular file|fifo' repair prod/vm-a --from-export "$in/fifo" --root "$cache"
vcc "repair --domain-xml a FIFO" 1 'regular file|fifo' repair prod/vm-a --domain-xml "$in/fifo" --root "$cache"
doc() { # LABEL REGEX JQ-FILTER: an export document with one change
	n=$((n + 1))
	jq -c "$3" "$in/export.json" > "$in/d$n.json"
	vcc "import: $1" "${DOC_RC:-1}" "$2" import "$in/d$n.json" --root "$cache"
}
docraw() { # LABEL REGEX TEXT
	n=$((n + 1))
	printf '%s' "$3" > "$in/d$n.json"
	vcc "import: $1" 1 "$2" import "$in/d$n.json" --root "$cache"
}
docraw "not JSON" 'JSON' '{"x":'
docraw "trailing data" 'after the JSON value' "$(jq -c . "$in/export.json")x"
docraw "duplicate key" 'appears twice' "$(jq -c . "$in/export.json" | sed 's/^{/{"records":[],/')"
docraw "NUL in a string" 'u0000' "$(jq -c '.records[0].mac="aa"' "$in/export.json" | sed 's/"aa"/"a\\u0000a"/')"
doc "schema version 99" 'mignetVifcacheExport' '.mignetVifcacheExport=99'
doc "unknown top-level key" 'unknown key "extra"' '.extra=1'
doc "records a string" 'records' '.records="x"'
doc "record namespace a path" 'namespace|name' '.records[0].vm.namespace="../../x"'
doc "record VM name upper case" 'name' '.records[0].vm.name="VM"'
doc "record pod interface with %" 'interface' '.records[0].podInterface="eth%d"'
doc "record pod interface with /" 'interface' '.records[0].podInterface="a/b"'
doc "record MAC bad" 'mac|MAC' '.records[0].mac="zz"'
doc "record IP bad" 'ip|IP|address' '.records[0].ips=["nope"]'
doc "record mtu a string" 'mtu' '.records[0].mtu="big"'
doc "record binding bogus" 'binding' '.records[0].binding="evil"'
doc "record state bogus" 'state' '.records[0].state="evil"'

# ---- netprep: node.json, inventories, NADs, options -------------------
npc() { # LABEL RC REGEX ARGS...
	local label=$1 rc=$2 re=$3; shift 3
	hc "netprep: $label" "$rc" "$re" timeout 10 "$np" "$@"
}
node() { n=$((n + 1)); printf '%s' "$2" > "$in/n$n.json"; npc "node.json: $1" 2 "$3" setup --check --config "$in/n$n.json"; }
node "not JSON" '{"bridges":' 'JSON'
node "trailing data" '{"bridges":[]} []' 'after the JSON value'
node "duplicate key" '{"bridges":[],"bridges":[{"name":"x"}]}' 'appears twice'
node "NUL" '{"bridges":[{"name":"br\u0000x"}]}' 'u0000'
node "unknown key" '{"bridgez":[]}' 'bridgez'
node "bridge br%d" '{"bridges":[{"name":"br%d","uplink":"up0"}]}' 'br%d|%'
node "bridge a/b" '{"bridges":[{"name":"a/b","uplink":"up0"}]}' 'a/b|/'
node "bridge name too long" '{"bridges":[{"name":"bridgebridgebrid","uplink":"up0"}]}' 'too long'
node "bridge name a number" '{"bridges":[{"name":5}]}' 'name'
node "bridges a string" '{"bridges":"x"}' 'bridges'
node "migration mtu -1" '{"migration":{"interface":"eth1","mtu":-1}}' 'mtu'
node "migration mtu a string" '{"migration":{"interface":"eth1","mtu":"big"}}' 'mtu'
node "migration interface eth%d" '{"migration":{"interface":"eth%d"}}' 'eth%d|%'
node "migration address bad" '{"migration":{"interface":"eth1","address":"nope"}}' 'address'
node "sysctls postCopy a string" '{"sysctls":{"postCopy":"yes"}}' 'postCopy'
npc "setup: node.json is a FIFO" 2 'regular file|fifo|FIFO' setup --check --config "$in/fifo"
npc "setup: node.json is a directory" 2 'regular file|directory' setup --check --config "$in"
inv() { n=$((n + 1)); jq -c "$2" "$in/inv.json" > "$in/i$n.json"; npc "inventory: $1" 2 "$3" compare "$in/inv.json" "$in/i$n.json"; }
inv "schema version 99" '.mignetInventory=99' 'mignetInventory'
inv "schema version a string" '.mignetInventory="1"' 'mignetInventory'
inv "node name with a newline" '.node="a\nBLOCKING: forged"' 'node'
inv "link mtu a string" '.links[0].mtu="big"' 'mtu'
inv "link name with %" '.links[0].name="eth%d"' 'name'
inv "links a string" '.links="x"' 'links'
n=$((n + 1)); printf '%s x' "$(jq -c . "$in/inv.json")" > "$in/i$n.json"
npc "inventory: trailing data" 2 'after the JSON value' compare "$in/inv.json" "$in/i$n.json"
npc "compare: inventory is a FIFO" 1 'regular file|fifo|FIFO' compare "$in/inv.json" "$in/fifo"
nad() { n=$((n + 1)); printf '%s' "$2" > "$in/nad$n"; npc "NAD: $1" 1 "$3" nad "$in/nad$n"; }
nad "JSON with a duplicate key" '{"kind":"NetworkAttachmentDefinition","spec":{"config":"{}"},"spec":{}}' 'appears twice'
nad "config with a duplicate key" '{"kind":"NetworkAttachmentDefinition","spec":{"config":"{\"name\":\"a\",\"name\":\"b\"}"}}' 'appears twice'
nad "config not an object" '{"kind":"NetworkAttachmentDefinition","spec":{"config":"[1]"}}' 'not a JSON object'
nad "spec.config a number" '{"kind":"NetworkAttachmentDefinition","spec":{"config":5}}' 'spec.config'
npc "nad: a FIFO" 1 'regular file|fifo|FIFO' nad "$in/fifo"
npc "address: --iface eth%d" 2 'eth%d|%' address --iface 'eth%d'
npc "address: --family 5" 2 'family' address --family 5
npc "address: --netns relative" 1 'netns .*absolute' address --netns rel
npc "links: --netns a FIFO" 1 'not a network namespace' links --netns "$in/fifo"
printf '{"bandwidthPerMigration":"64Mi","bandwidthPerMigration":"1Gi"}' > "$in/mig.json"
npc "migrate: --config with a duplicate key" 2 'appears twice' migrate d --to qemu:///x --address 10.0.0.1 --config "$in/mig.json" --check
npc "migrate: --config a FIFO" 2 'regular file|fifo|FIFO' migrate d --to qemu:///x --address 10.0.0.1 --config "$in/fifo" --check
npc "migrate: --max-downtime -5" 2 'max-downtime' migrate d --to qemu:///x --address 10.0.0.1 --max-downtime -5 --check
npc "migrate: --address bad" 2 'address' migrate d --to qemu:///x --address nope --check

total=$((passed + failed))
[ "$total" -ge 150 ] && ok "the catalogue holds $total inputs (at least 150)" ||
	bad "catalogue size" "only $total inputs"
finish
