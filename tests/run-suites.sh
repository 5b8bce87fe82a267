#!/usr/bin/env bash
# Runs the cmocka suites of a build tree and checks that nothing they made
# is left behind. Usage: tests/run-suites.sh BUILD_DIR [unit|integration]
set -uo pipefail
build=${1:?usage: run-suites.sh BUILD_DIR [unit|integration]}
only=${2:-}
if [ "$(id -u)" != 0 ] && [ "$only" != unit ]; then
	echo "run-suites: integration suites need root (network namespaces)" >&2
	exit 1
fi

prefix="mgt$(printf '%04x' $(( $$ & 0xffff )))"
export MIGNET_TEST_PREFIX=$prefix MIGNET_BUILD=$build
export TMPDIR_BASE=/tmp/mignet-test-$prefix
# Leak checking stays on; a sanitizer report fails the suite.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

sweep() {
	local ns
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$prefix" || true); do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$TMPDIR_BASE"*
}
trap sweep EXIT
trap 'sweep; exit 130' INT TERM

# the plugin's default vif-cache root: tests must never touch it
vifcache_before=$([ -e /run/mignet ] && echo yes || echo no)
passed=0 failed=0 suites_failed=0
summary=()
run_suite() {
	local bin=$1 kind=$2 out rc p f
	out=$("$bin" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	# A crash or sanitizer abort may print no summary, and a suite that
	# exits 0 without one ran nothing it could count: both are failures.
	if [ -z "$p$f" ]; then
		echo "run-suites: $bin printed no summary line (exit $rc)" >&2
		[ "$rc" = 0 ] && rc=1
	fi
	p=${p:-0} f=${f:-0}
	if [ $rc -ne 0 ] && [ "$f" = 0 ]; then f=1; fi
	passed=$((passed + p)) failed=$((failed + f))
	[ $rc -eq 0 ] || suites_failed=$((suites_failed + 1))
	summary+=("$(printf '%-12s %-22s %3d passed, %d failed' "$kind" "$(basename "$bin")" "$p" "$f")")
}

for kind in unit integration; do
	[ -z "$only" ] || [ "$only" = "$kind" ] || continue
	# compiled cmocka suites, then script suites that print the same summary
	for bin in "$build"/tests/$kind/test_* tests/$kind/test_*.sh; do
		[ -e "$bin" ] && [ "${bin%.d}" = "$bin" ] || continue
		if [ ! -x "$bin" ]; then
			# a suite that lost its mode bit would otherwise vanish silently
			echo "run-suites: $bin is not executable" >&2
			failed=$((failed + 1)) suites_failed=$((suites_failed + 1))
			summary+=("$(printf '%-12s %-22s not executable: 1 failed' "$kind" "$(basename "$bin")")")
			continue
		fi
		run_suite "$bin" "$kind"
	done
done

# Nothing the suites made may survive them.
leftover=$(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$prefix" || true)
leftover_links=$(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | grep "^$prefix" || true)
leftover_tmp=$(ls -d "$TMPDIR_BASE"* 2>/dev/null || true)
[ "$vifcache_before" = no ] && [ -e /run/mignet ] && leftover_tmp="$leftover_tmp /run/mignet (created by a test)"
if [ -n "$leftover$leftover_links$leftover_tmp" ]; then
	echo "run-suites: left behind: ${leftover} ${leftover_links} ${leftover_tmp}" >&2
	failed=$((failed + 1))
	summary+=("leftovers    namespaces/links/temp     0 passed, 1 failed")
else
	summary+=("leftovers    none (namespaces, links, temp files, /run/mignet checked)")
fi

echo
echo "==== mignet test summary ===="
printf '%s\n' "${summary[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$suites_failed" -eq 0 ]
