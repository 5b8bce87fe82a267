# The shell suites' results in cmocka's format, which tests/run-suites.sh
# counts. Source it, report with ok/bad (or check), end with finish.
passed=0 failed=0
ok()  { echo "[       OK ] $1"; passed=$((passed + 1)); }
bad() { echo "[  FAILED  ] $1: $2"; failed=$((failed + 1)); }
# check NAME COMMAND...: ok when COMMAND succeeds, else bad with $why.
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name" "${why:-}"; fi; }
finish() {
	echo "[==========] $((passed + failed)) test(s) run."
	echo "[  PASSED  ] $passed test(s)."
	[ $failed = 0 ] || { echo "[  FAILED  ] $failed test(s), listed above"; exit 1; }
	exit 0
}
