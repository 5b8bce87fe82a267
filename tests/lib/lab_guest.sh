# Shell helpers for suites (and the demo) that run the test guest in the two-node lab
# (tests/e2e/lab.sh). Source after setting $build, $lab, $A, $B and the lab's
# namespace prefix ($lab_prefix, default $p).

# lab_guest_start URI NAME CMDLINE: boots the guest (128 MiB, TCG) with its
# serial port in $lab/NAME.log and waits for its 4th heartbeat.
lab_guest_start() {
	cat > "$lab/$2.xml" <<XML
<domain type='qemu'>
  <name>$2</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>$build/guest.elf</kernel>
      <cmdline>$3</cmdline></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <serial type='file'><source path='$lab/$2.log' append='on'/><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>
XML
	virsh -q -c "$1" create "$lab/$2.xml" >/dev/null || return 1
	lab_guest_wait_hb "$2" 4
}

# The guest's last heartbeat number, empty before the first.
lab_guest_hb() { tail -1 "$lab/$1.log" 2>/dev/null | sed -n 's/^hb=\([0-9]*\) .*/\1/p'; }

# lab_guest_wait_hb NAME N: until heartbeat N is printed (bounded at 10 s).
lab_guest_wait_hb() {
	for _ in $(seq 1 200); do
		[ "$(lab_guest_hb "$1")" -ge "$2" ] 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# Where the guest runs: "A", "B", "both" or "none".
lab_guest_where() {
	local a b
	a=$(virsh -q -c "$A" list --name 2>/dev/null | grep -cx "$1")
	b=$(virsh -q -c "$B" list --name 2>/dev/null | grep -cx "$1")
	case "$a$b" in 10) echo A ;; 01) echo B ;; 11) echo both ;; *) echo none ;; esac
}

# Bytes counted on a node's migration interface: lab_mig_bytes a|b rx|tx
lab_mig_bytes() { ip netns exec "${lab_prefix:-$p}-$1" cat "/sys/class/net/mig0/statistics/$2_bytes"; }
