# The cluster store's test world, sourced by suites: three etcd members,
# each in a network namespace of its own, and up to three node namespaces,
# all on one management bridge inside a switch namespace of the test's own.
# The members' data is on /dev/shm (tmpfs) when it can be.
# The addresses are in 10.251.0.0/24 with no default route anywhere, so
# nothing can reach the outside. Names carry MIGNET_TEST_PREFIX.
#
#   ew_init          names, temp dir, the EXIT trap (ew_cleanup + EW_ON_EXIT)
#   ew_net           the switch, three member and three node namespaces
#   ew_start [tls]   starts the three members, waits for health (etcdctl)
#   ew_kill N        kill -9 of member N;  ew_restart N starts it again
#   ew_cleanup       kills the members, deletes the namespaces and the dir
#
# After ew_start: EW_ENDPOINTS (comma list), EW_NODE[1..3] (namespace
# names), EW_DIR, and in TLS mode EW_CA, EW_CERT, EW_KEY, EW_BADCA.

EW_NET=10.251.0
EW_MEMBERS=(1 2 3)

ew_init() {
	EW_P="${MIGNET_TEST_PREFIX:-mgt}$(printf '%04x' $(( $$ & 0xffff )))e"
	EW_SW=${EW_P}sw
	EW_DIR=$(mktemp -d "${TMPDIR_BASE:-/tmp/mignet-test}-etcd.XXXXXX")
	# the members' data on tmpfs when there is one: a commit waits for an
	# fsync, and on a busy disk that is what ADDs would measure
	EW_DATA=$EW_DIR
	[ -d /dev/shm ] && [ -w /dev/shm ] && EW_DATA=$(mktemp -d /dev/shm/mignet-etcd.XXXXXX)
	EW_NODE=("" "${EW_P}n1" "${EW_P}n2" "${EW_P}n3")
	EW_PIDS=("" "" "" "")
	EW_SCHEME=http
	trap 'ew_cleanup' EXIT
	trap 'ew_cleanup; exit 130' INT TERM
}

ew_cleanup() {
	local i ns
	[ -n "${EW_ON_EXIT:-}" ] && eval "$EW_ON_EXIT"
	for i in 1 2 3; do
		[ -n "${EW_PIDS[$i]:-}" ] && kill -9 "${EW_PIDS[$i]}" 2>/dev/null
	done
	for i in 1 2 3; do
		[ -n "${EW_PIDS[$i]:-}" ] && wait "${EW_PIDS[$i]}" 2>/dev/null
	done
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$EW_P" || true); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "${EW_DIR:-}" ] && rm -rf "$EW_DIR"
	[ -n "${EW_DATA:-}" ] && rm -rf "$EW_DATA"
	return 0
}

# ew_port NS IFNAME ADDR: a veth from the bridge into NS, addressed
ew_port() {
	local ns=$1 port=$2 addr=$3
	ip -n "$EW_SW" link add "$port" type veth peer name eth0 netns "$ns" &&
		ip -n "$EW_SW" link set "$port" master br0 up &&
		ip -n "$ns" addr add "$addr/24" dev eth0 &&
		ip -n "$ns" link set eth0 up && ip -n "$ns" link set lo up
}

ew_net() {
	local i
	ip netns add "$EW_SW" || return 1
	ip -n "$EW_SW" link add br0 type bridge || return 1
	ip -n "$EW_SW" link set br0 up && ip -n "$EW_SW" link set lo up || return 1
	for i in 1 2 3; do
		ip netns add "${EW_P}m$i" && ew_port "${EW_P}m$i" "m$i" "$EW_NET.$i" || return 1
		ip netns add "${EW_NODE[$i]}" && ew_port "${EW_NODE[$i]}" "n$i" "$EW_NET.1$i" || return 1
	done
}

# ew_tls: a CA, a server certificate for the members' addresses, a client
# certificate, and a second CA that signed none of them
ew_tls() {
	local d=$EW_DIR/pki san="IP:$EW_NET.1,IP:$EW_NET.2,IP:$EW_NET.3,IP:127.0.0.1"
	mkdir -p "$d"
	(
		cd "$d" || exit 1
		for ca in ca badca; do
			openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mignet test $ca" \
				-keyout $ca.key -out $ca.crt 2>/dev/null || exit 1
		done
		openssl req -newkey rsa:2048 -nodes -subj "/CN=etcd" -keyout server.key -out server.csr 2>/dev/null &&
			printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$san" > server.ext &&
			openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
				-extfile server.ext -out server.crt 2>/dev/null || exit 1
		openssl req -newkey rsa:2048 -nodes -subj "/CN=mignet" -keyout client.key -out client.csr 2>/dev/null &&
			printf 'extendedKeyUsage=clientAuth\n' > client.ext &&
			openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
				-extfile client.ext -out client.crt 2>/dev/null || exit 1
	) || return 1
	EW_CA=$d/ca.crt EW_CERT=$d/client.crt EW_KEY=$d/client.key EW_BADCA=$d/badca.crt
}

ew_member() {
	local i=$1 a=$EW_NET.$1 tls=()
	if [ "$EW_SCHEME" = https ]; then
		local d=$EW_DIR/pki
		tls=(--cert-file "$d/server.crt" --key-file "$d/server.key"
		     --trusted-ca-file "$d/ca.crt" --client-cert-auth)
	fi
	ip netns exec "${EW_P}m$i" etcd --name "m$i" --data-dir "$EW_DATA/m$i" \
		--listen-client-urls "$EW_SCHEME://$a:2379" --advertise-client-urls "$EW_SCHEME://$a:2379" \
		--listen-peer-urls "http://$a:2380" --initial-advertise-peer-urls "http://$a:2380" \
		--initial-cluster "m1=http://$EW_NET.1:2380,m2=http://$EW_NET.2:2380,m3=http://$EW_NET.3:2380" \
		--initial-cluster-state "${2:-new}" --initial-cluster-token "$EW_P" \
		--heartbeat-interval 50 --election-timeout 500 \
		--logger zap --log-level error "${tls[@]}" >>"$EW_DIR/m$i.log" 2>&1 &
	EW_PIDS[$i]=$!
}

# ew_ctl ARGS...: etcdctl from node 1 against the live endpoints
ew_ctl() {
	local tls=()
	[ "$EW_SCHEME" = https ] && tls=(--cacert "$EW_CA" --cert "$EW_CERT" --key "$EW_KEY")
	ip netns exec "${EW_NODE[1]}" env ETCDCTL_API=3 etcdctl --dial-timeout 1s --command-timeout 2s \
		--endpoints "$EW_ENDPOINTS" "${tls[@]}" "$@"
}

# ew_wait_healthy [SECONDS]: every started member answers a health check
ew_wait_healthy() {
	local deadline=$(( $(date +%s) + ${1:-20} ))
	while [ "$(date +%s)" -lt "$deadline" ]; do
		ew_ctl endpoint health >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "etcd world: members not healthy within ${1:-20} s; logs:" >&2
	tail -n 5 "$EW_DIR"/m*.log >&2
	return 1
}

ew_start() {
	local i
	if [ "${1:-}" = tls ]; then
		ew_tls || { echo "etcd world: cannot make test certificates" >&2; return 1; }
		EW_SCHEME=https
	fi
	EW_ENDPOINTS="$EW_SCHEME://$EW_NET.1:2379,$EW_SCHEME://$EW_NET.2:2379,$EW_SCHEME://$EW_NET.3:2379"
	for i in 1 2 3; do ew_member "$i"; done
	ew_wait_healthy 20
}

ew_kill() {
	kill -9 "${EW_PIDS[$1]}" 2>/dev/null
	wait "${EW_PIDS[$1]}" 2>/dev/null
	EW_PIDS[$1]=""
}

ew_restart() {
	ew_member "$1" existing
}
