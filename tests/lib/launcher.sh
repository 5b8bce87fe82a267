# The virt-launcher stand-in of the suites and the demo that reach
# KubeVirt's own caches: a process in its own mount namespace (and its own
# network namespace, or the one given) whose root is a private tmpfs laid
# out as a launcher image has it (/var/run -> ../run, /run/kubevirt-private,
# /proc), so /proc/<pid>/root is a pod's filesystem and nothing planted in
# it is the host's. Source it; launcher_stop in the caller's trap.

# launcher_start DIR [NETNS]: sets LAUNCHER_PID (the process in the pod)
# and LAUNCHER_WRAP (the unshare that forked it); fails if it did not start.
launcher_start() {
	local dir=$1 netns=${2:-} wrap=() net=--net
	mkdir -p "$dir/root"
	rm -f "$dir/pid"
	[ -n "$netns" ] && wrap=(ip netns exec "$netns") net=
	"${wrap[@]}" unshare --mount $net --fork --propagation private -- sh -c '
		R=$1
		mount -t tmpfs none "$R" && mkdir -p "$R/usr" "$R/run/kubevirt-private" "$R/var" "$R/tmp" "$R/proc" &&
		mount --bind -o ro /usr "$R/usr" && mount -t proc proc "$R/proc" &&
		ln -s usr/bin "$R/bin" && ln -s usr/lib "$R/lib" && ln -s usr/lib64 "$R/lib64" &&
		ln -s usr/sbin "$R/sbin" && ln -s ../run "$R/var/run" &&
		echo $$ > "$2.tmp" && mv "$2.tmp" "$2" && exec chroot "$R" /bin/sleep 600' sh "$dir/root" "$dir/pid" &
	LAUNCHER_WRAP=$!
	# the pid file appears once the root is laid out: wait for it, bounded
	for _ in $(seq 50); do [ -s "$dir/pid" ] && break; sleep 0.1; done
	LAUNCHER_PID=$(cat "$dir/pid" 2>/dev/null)
	[ -n "$LAUNCHER_PID" ]
}

# Safe under set -e, and when nothing was started or it is gone already.
launcher_stop() {
	if [ -n "${LAUNCHER_PID:-}${LAUNCHER_WRAP:-}" ]; then
		kill ${LAUNCHER_PID:-} ${LAUNCHER_WRAP:-} 2>/dev/null || true
		[ -z "${LAUNCHER_WRAP:-}" ] || wait "$LAUNCHER_WRAP" 2>/dev/null || true
	fi
	LAUNCHER_PID='' LAUNCHER_WRAP=''
}
