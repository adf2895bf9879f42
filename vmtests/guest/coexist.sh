#!/usr/bin/env bash
# vmtests guest suite "coexist" (issue 8): libxdp's multi-program dispatcher, which cannot load on
# the host's 6.18 kernel (EPERM on the freplace extension, docs/dataplane.md) but works on the guest
# kernels. Ours is attached by the real Dataplane adapter; a second, unrelated program
# (vmtests/xdp_count.bpf.c, counts every frame and passes it) is attached beside it with
# xdp-loader. Both must run: ours answers ARP, the other's counter moves. Stopping the controller
# must remove ours only: the other stays attached and keeps counting.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

count_obj=$build/vmtests/xdp_count.bpf.o
count_pins=/sys/fs/bpf/$prefix-count
need "$count_obj"
mkdir -p "$count_pins"

# The other program's frame counter, from the map xdp-loader pinned.
frames_counted() {
  bpftool -j map lookup pinned "$count_pins/vm_count" key 0 0 0 0 | python3 -c '
import json, sys
v = json.load(sys.stdin)
if "error" in v:
    sys.exit("reading the counter of the other program: " + v["error"])
if "formatted" in v:
    print(int(v["formatted"]["value"]))
else:  # raw little-endian bytes as hex strings
    print(int.from_bytes(bytes(int(b, 16) for b in v["value"]), "little"))'
}

# Our pins live under /sys/fs/bpf/xvrrp/if@<netns inode>/vA while a config uses the program.
our_pins_left() { compgen -G "/sys/fs/bpf/xvrrp/if@*/vA" >/dev/null; }

lab_up
if ! start_hold; then attach_failure "attach ours through the Dataplane adapter"; exit 1; fi
echo "ours attached in mode $(hold_mode), $(hold_attach)"

# Some kernels (Debian's 6.12) refuse our program as a dispatcher extension: it changes packet
# data (bpf_xdp_adjust_tail) and libxdp 1.3.1's dispatcher slot does not. The loader's fallback
# then attaches it alone; sharing the hook is impossible there, and that must be what happens:
# the warning names the refusal, the other program is turned away, ours keeps answering.
if [ "$(hold_attach)" = direct ]; then
  check "the loader says the kernel refused the dispatcher and it fell back to a direct attach" \
    grep -q 'refused the XDP program under libxdp.s dispatcher' "$hold_log"
  check "the kernel's reason is shown" \
    grep -q 'Extension program changes packet data' "$hold_log"
  check_not "a second program cannot join ours on vA (no dispatcher)" \
    in_a xdp-loader load -m native --prio 10 -p "$count_pins" vA "$count_obj"
  check "ours still answers arping for $VIP after the refused attach" arping_answered 3
  check "controller stand-in detached cleanly on SIGTERM" stop_hold
  check_not "nothing is left on vA" grep -q xvrrp_xdp <<<"$(xdp_status_a)"
  check_not "our pins under /sys/fs/bpf/xvrrp/if@*/vA are removed" our_pins_left
  exit 0
fi

# Priority 10 runs it before ours (libxdp's default is 50), so it also sees the ARP requests
# that ours answers with XDP_TX and that therefore never reach a later program.
if ! in_a xdp-loader load -m native --prio 10 -p "$count_pins" vA "$count_obj"; then
  fail "xdp-loader attaching the second program beside ours"
  xdp_status_a
  exit 1
fi
status=$(xdp_status_a)
echo "$status"
check "libxdp runs a dispatcher on vA" grep -q xdp_dispatcher <<<"$status"
check "the dispatcher holds the other program" grep -q vm_count_prog <<<"$status"
check "the dispatcher holds ours" grep -q xvrrp_xdp <<<"$status"

before=$(frames_counted)
check "ours answers arping for $VIP beside the other program" arping_answered 3
after=$(frames_counted)
echo "frames counted by the other program: $before -> $after"
check "the other program's counter moved with the arping (>= 3 frames)" test $((after - before)) -ge 3

check "controller stand-in detached cleanly on SIGTERM" stop_hold
status=$(xdp_status_a)
echo "$status"
check "the other program is still attached after ours stopped" grep -q vm_count_prog <<<"$status"
check_not "ours is gone from vA" grep -q xvrrp_xdp <<<"$status"
check_not "our pins under /sys/fs/bpf/xvrrp/if@*/vA are removed" our_pins_left

before=$(frames_counted)
check_not "no XDP answer for $VIP once ours is gone" arping_answered 2
after=$(frames_counted)
echo "frames counted by the other program: $before -> $after"
check "the other program keeps counting (>= 2 frames)" test $((after - before)) -ge 2
in_a xdp-loader unload vA --all >/dev/null 2>&1
