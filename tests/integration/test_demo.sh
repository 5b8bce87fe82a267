#!/usr/bin/env bash
# make demo's whole path, lab included, as a suite: it must exit 0 and end
# with its own claims checked (same MAC and IP on B, guest on B, cache
# repaired, cancel, nothing left behind); any failed claim fails it.
set -uo pipefail
build=$(cd "${MIGNET_BUILD:-build}" && pwd)
. tests/lib/suite.sh
out=$(tests/e2e/demo.sh "$build" 2>&1); rc=$?
why="exit $rc: $(grep -m1 'DEMO FAILED' <<<"$out" || tail -5 <<<"$out")"
check "make demo's path runs to the end (exit 0, all claims checked)" \
	eval '[ $rc = 0 ] && grep -q "^demo: all claims checked." <<<"$out"'
steps=$(grep -c $'^\e\\[1m[0-9]*\\. ' <<<"$out")
why="$steps numbered steps"
check "it tells its story in 11 numbered steps ($steps)" test "$steps" = 11
finish
