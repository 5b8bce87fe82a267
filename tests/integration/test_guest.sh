#!/usr/bin/env bash
# The migration lab's test guest, booted straight under QEMU (TCG, as the
# lab falls back to): it keeps a heartbeat, dirties memory at the rate it
# is told, and its memory check finds a spoiled page.
set -uo pipefail
build=$(cd "${MIGNET_BUILD:-build}" && pwd)
guest=$build/guest.elf
tmp=$(mktemp -d "${TMPDIR_BASE:-/tmp/mignet-test}-guest.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
. tests/lib/suite.sh

boot() { # name cmdline
	qemu-system-x86_64 -accel tcg -m 96 -kernel "$guest" -append "$2" -display none -no-reboot \
		-serial "file:$tmp/$1.log" -nodefaults 2>"$tmp/$1.err" &
	pids+=($!)
}
# waits until the log shows heartbeat N (a real condition, bounded)
wait_hb() { # name n
	for _ in $(seq 1 300); do
		grep -q "^hb=$2 " "$tmp/$1.log" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

boot paced "mib=32 rate=20 fill=1 report=500"
boot spoiled "mib=8 rate=0 fill=1 corrupt=1 report=500"
if wait_hb paced 6; then
	line=$(grep "^hb=6 " "$tmp/paced.log")
	rate=$(sed -n 's/.*rate_MiBps=\([0-9]*\).*/\1/p' <<<"$line")
	err=$(sed -n 's/.* verify_err=\([0-9]*\).*/\1/p' <<<"$line")
	[ "$err" = 0 ] && ok "heartbeat advances and memory checks clean ($line)" || bad "paced guest" "$line"
	[ "$rate" -ge 18 ] && [ "$rate" -le 22 ] && ok "dirty rate follows rate=20 (measured $rate MiB/s)" || bad "dirty rate" "$line"
else
	bad "paced guest" "no heartbeat 6 within 15 s: $(cat "$tmp/paced.log" "$tmp/paced.err" 2>/dev/null | tail -3)"
fi
if wait_hb spoiled 3; then
	err=$(grep "^hb=3 " "$tmp/spoiled.log" | sed -n 's/.* verify_err=\([0-9]*\).*/\1/p')
	[ "$err" = 1 ] && ok "the memory check finds the one spoiled page" || bad "spoiled guest" "verify_err=$err"
else
	bad "spoiled guest" "no heartbeat: $(tail -3 "$tmp/spoiled.log" 2>/dev/null)"
fi

finish
