#!/usr/bin/env bash
# The namespace harness cleans up however a suite ends. A C suite (nstest)
# and a shell suite are each frozen mid-run with their namespaces in place,
# sent SIGINT (Ctrl-C) or SIGTERM, thawed, and must die of it leaving no
# namespace and no temp directory behind.
set -uo pipefail
build=$(cd "${MIGNET_BUILD:-build}" && pwd)
base="${MIGNET_TEST_PREFIX:-mgt}$(printf '%04x' $(( $$ & 0xffff )))h"
. tests/lib/suite.sh
namespaces() { ip netns list 2>/dev/null | awk '{print $1}' | grep -c "^$1"; }

# interrupt PREFIX SIGNAL COMMAND...: sets $rc (exit status), $held (its
# namespaces when the signal came) and $left (namespaces and temp dirs after).
interrupt() {
	local pfx=$1 sig=$2 pid
	shift 2
	held=0
	# a background job of a script starts with SIGINT ignored; a suite
	# run from a terminal does not, so neither does this one
	MIGNET_TEST_PREFIX=$pfx TMPDIR_BASE=/tmp/mignet-test-$pfx env --default-signal=INT "$@" >/dev/null 2>&1 &
	pid=$!
	# a real wait: until the suite has made its namespaces (bounded)
	for _ in $(seq 5000); do
		if [ "$(namespaces "$pfx")" -gt 0 ]; then
			kill -STOP "$pid"
			held=$(namespaces "$pfx")
			break
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.002
	done
	kill "-$sig" "$pid" 2>/dev/null
	kill -CONT "$pid" 2>/dev/null
	wait "$pid"; rc=$?
	left=$(( $(namespaces "$pfx") + $(ls -d /tmp/mignet-test-"$pfx"* 2>/dev/null | wc -l) ))
	# never leave anything, even when the check fails
	ip netns list 2>/dev/null | awk '{print $1}' | grep "^$pfx" | xargs -r -n1 ip netns del
	rm -rf /tmp/mignet-test-"$pfx"*
}

interrupt "${base}c" INT "$build/tests/integration/test_netlink"
[ "$held" -gt 0 ] && [ $rc = 130 ] && [ $left = 0 ] &&
	ok "C suite: Ctrl-C with $held namespace(s) in place kills it (exit $rc) and removes them" ||
	bad "C suite SIGINT" "held $held, exit $rc, left $left"
interrupt "${base}t" TERM "$build/tests/integration/test_netlink"
[ "$held" -gt 0 ] && [ $rc = 143 ] && [ $left = 0 ] &&
	ok "C suite: SIGTERM with $held namespace(s) in place kills it (exit $rc) and removes them" ||
	bad "C suite SIGTERM" "held $held, exit $rc, left $left"
interrupt "${base}s" INT bash tests/integration/test_netprep.sh
[ "$held" -gt 0 ] && [ $rc = 130 ] && [ $left = 0 ] &&
	ok "shell suite: Ctrl-C with $held namespace(s) in place stops it (exit $rc) and removes them and its temp dir" ||
	bad "shell suite SIGINT" "held $held, exit $rc, left $left"
finish
