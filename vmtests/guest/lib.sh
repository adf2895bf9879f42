# Shared by the vmtests guest scripts (sourced, never run as a suite): a two-namespace veth lab,
# PASS/FAIL reporting, and the controller stand-in (vm_dataplane_hold) started and stopped.
# Host A (vA, 192.0.2.1) runs the data plane; host B (vB, 192.0.2.2) is the client.

build=${XVRRP_BUILD_DIR:?XVRRP_BUILD_DIR not set}
prefix=xv$$-vm
A=$prefix-a
B=$prefix-b
VIP=192.0.2.10
VRID=10
hold_pid=
hold_log=/tmp/$prefix-hold.log

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; }
check() { # description command... : PASS when the command succeeds
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}

check_not() { # description command... : PASS when the command fails
  local what=$1; shift
  if "$@"; then fail "$what"; else pass "$what"; fi
}

need() { # file: a missing build product fails the suite with its name
  [ -e "$1" ] || { fail "missing $1 (build the project first)"; exit 1; }
}

# nsenter --net keeps this mount namespace, so libxdp, bpftool and the adapter all see the one
# bpffs mounted at /sys/fs/bpf ("ip netns exec" remounts /sys in a fresh mount namespace and would hide it).
in_a() { nsenter --net="/run/netns/$A" "$@"; }

lab_down() {
  stop_hold >/dev/null 2>&1
  ip netns del "$A" 2>/dev/null
  ip netns del "$B" 2>/dev/null
  rm -rf "/sys/fs/bpf/$prefix"* "$hold_log"
}

lab_up() {
  trap lab_down EXIT
  need "$build/bpf/xdp_pass.bpf.o"
  ip netns add "$A" && ip netns add "$B" &&
    ip -n "$A" link add vA type veth peer name vB netns "$B" &&
    ip -n "$A" addr add 192.0.2.1/24 dev vA && ip -n "$B" addr add 192.0.2.2/24 dev vB &&
    ip -n "$A" link set lo up && ip -n "$B" link set lo up &&
    ip -n "$A" link set vA up && ip -n "$B" link set vB up ||
    { fail "setting up namespaces $A and $B"; exit 1; }
  # Native XDP_TX on a veth is only delivered when the peer has an XDP program too (a veth lab detail: docs/dataplane.md).
  ip -n "$B" link set dev vB xdpdrv obj "$build/bpf/xdp_pass.bpf.o" sec xdp ||
    { fail "XDP_PASS program on the client end vB"; exit 1; }
}

mac_a() { ip -n "$A" -br link show dev vA 2>/dev/null | awk '{print $3}'; }

# Real arping from B; succeeds when a reply came from vA's MAC.
arping_answered() { # count
  local out
  out=$(ip netns exec "$B" arping -c "${1:-3}" -w 5 -i vB "$VIP" 2>&1)
  echo "$out" >>/tmp/$prefix-arping.log
  grep -qi "bytes from $(mac_a)" <<<"$out"
}

# (stderr: ip cannot name the peer's namespace from here and says so; not our concern)
has_xdp_a() { ip -n "$A" link show dev vA 2>/dev/null | grep -q 'prog/xdp'; }

vip_absent_on_a() { ! ip -n "$A" addr show dev vA | grep -q " $VIP/"; }

# Starts the controller stand-in on vA and waits for "ready" (slow under TCG: allow 90 s).
start_hold() {
  need "$build/bin/vm_dataplane_hold"
  # nsenter directly, not through in_a: the background job must BE the process (nsenter execs
  # it), or the SIGTERM of stop_hold would hit a subshell and miss the controller.
  nsenter --net="/run/netns/$A" "$build/bin/vm_dataplane_hold" vA "$VIP" "$VRID" >"$hold_log" 2>&1 &
  hold_pid=$!
  local i
  for i in $(seq 1 180); do
    grep -q '^ready' "$hold_log" && return 0
    kill -0 "$hold_pid" 2>/dev/null || break
    sleep 0.5
  done
  echo "vm_dataplane_hold did not get ready; its output:"; cat "$hold_log"
  return 1
}

# Names the known reasons an attach fails on a guest kernel, from the stand-in's log.
attach_failure() { # what
  if grep -q 'Extension program changes packet data, while original does not' "$hold_log"; then
    fail "$1: this kernel refuses libxdp 1.3.1's dispatcher slot for our program (it calls" \
      "bpf_xdp_adjust_tail, i.e. changes packet data, the dispatcher's slot does not) and the" \
      "loader's direct attach without the dispatcher failed too"
  else
    fail "$1"
  fi
}

hold_mode() { sed -n 's/^mode=//p' "$hold_log"; }
hold_attach() { sed -n 's/^attach=//p' "$hold_log"; }

# SIGTERM, as a stopping controller gets; succeeds when it detached and exited 0.
stop_hold() {
  [ -n "$hold_pid" ] || return 1
  kill -TERM "$hold_pid" 2>/dev/null
  local rc=0
  wait "$hold_pid" || rc=$?
  hold_pid=
  cat "$hold_log"
  [ "$rc" -eq 0 ] && grep -q '^detached' "$hold_log"
}

# Names of the XDP programs libxdp reports on vA (dispatcher and the programs under it).
xdp_status_a() { in_a xdp-loader status vA 2>&1; }
