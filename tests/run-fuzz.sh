#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS with its corpus and seeds.
# Usage: tests/run-fuzz.sh SECONDS TARGET...
set -uo pipefail
secs=$1; shift
status=0
for bin in "$@"; do
	name=$(basename "$bin")
	corpus=$(dirname "$bin")/corpus/$name
	seeds=tests/fuzz/seeds/${name#fuzz_}
	mkdir -p "$corpus"
	# crash inputs go beside the corpus, never into the working tree
	if "$bin" -max_total_time="$secs" -timeout=5 -print_final_stats=1 -artifact_prefix="$corpus/" "$corpus" \
		$( [ -d "$seeds" ] && echo "$seeds" ) >"$corpus.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$corpus.log")
		echo "fuzz $name: ${runs:-?} runs in ${secs}s, no crash"
	else
		echo "fuzz $name: FAILED, see $corpus.log" >&2
		tail -30 "$corpus.log" >&2
		status=1
	fi
done
exit $status
