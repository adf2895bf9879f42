#!/usr/bin/env bash
# vmtests guest suite "xdp-arp": on this kernel, the build's XDP program attached to a veth in a
# namespace by the real Dataplane adapter answers a real arping for a VIP that is NOT on the
# interface (so XDP, not the kernel, answered), in the mode the adapter reports; a stopped
# controller leaves the interface without XDP.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

lab_up
if ! start_hold; then attach_failure "attach through the Dataplane adapter"; exit 1; fi
mode=$(hold_mode)
# veth has native XDP on every kernel we boot: a fallback to generic here is a loader problem.
check "adapter reports native XDP (reported: ${mode:-nothing})" test "$mode" = xdp-native
check "vA carries an XDP program (ip link)" has_xdp_a
check "VIP $VIP is not on vA (the proof needs it absent)" vip_absent_on_a
check "arping for $VIP answered from vA's MAC by XDP" arping_answered 3
check "controller stand-in detached cleanly on SIGTERM" stop_hold
check_not "vA has no XDP program after the stop" has_xdp_a
check_not "no answer for $VIP once the program is gone" arping_answered 2
