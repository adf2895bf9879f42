# shellcheck shell=bash
# The xvrrp lab: N VRRP nodes and one client in network namespaces on a bridge that lives in its
# own namespace. The ONE lab implementation: e2e and interop tests, scripts/demo.sh and the
# benchmarks all source this file. Usage:
#
#   source tests/lab/lab.sh
#   lab_init SUITE                  # unique prefix, temp state dir, cleanup traps
#   lab_up 3                        # nodes n1..n3 (192.0.2.1..3), client cl (192.0.2.200)
#   lab_start_node 1 keepalived OPENSHIFT_HA_VIRTUAL_IPS=198.51.100.1 ...
#   lab_probe_start main --vips 198.51.100.1
#   lab_cable_pull 1; sleep 1; lab_cable_restore 1
#   lab_probe_stop main; lab_probe_check "$(lab_probe_json main)" --max-gap-ms 90 --no-split
#
# Layout: node i has eth0 (LAB_IFNAME renames it, e.g. ens3 to exercise the generator's interface
# fallbacks) with MAC 02:58:56:00:00:<i> and 192.0.2.<octet i>/24 (octets default to
# 1..N, LAB_NODE_OCTETS="11 12 13" overrides them: the generator's priorities depend on the last
# octet). Its cable is bridge port "n<i>" in the bridge namespace; the client's is "cl".
# Every daemon runs in a per-node mount namespace held open by a holder process that mounted bpffs
# first (`ip netns exec` remounts /sys without bpffs, and pins must survive a daemon restart so a
# restarted xvrrpd can adopt its data plane).
#
# Node kinds: xvrrpd (the OPENSHIFT_HA_* environment as given, plus XVRRP_RUNTIME_DIR per node),
# keepalived (keepalived.conf generated from the same environment the way OpenShift's ipfailover
# image generates it: tests/lab/keepalived_conf.sh) and frr (FRRouting's vrrpd from FRR_*
# variables: lab__frr_prepare).
#
# Several daemons per node: a daemon id is a node number I, or I.NAME for another daemon on node I
# (its own state dir n<I>.<NAME>, same namespaces and bpffs), e.g. an xvrrpd with a second config
# or a keepalived next to xvrrpd: lab_start_node 2.ka keepalived ...; every lab_*_node call and
# lab_node_status/lab_node_log take either form.
#
# Environment knobs: LAB_BIN_DIR (xvrrpd, xvrrp-probe; default <repo>/build/bin), LAB_KEEP=1 keeps
# the state dir after success, LAB_QUIET=1 silences progress lines, LAB_RT_PRIORITY=N runs daemons
# SCHED_RR N, LAB_PROBE_CPUS (a taskset list) keeps the probe on those CPUs, LAB_NS_PREFIX (default
# xv) starts every namespace name (runs sharing a machine keep theirs apart); LAB_DAEMON_ARGS and
# LAB_POD_BPFFS at lab_start_node, below.

LAB_SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_REPO_DIR=$(cd "$LAB_SRC_DIR/../.." && pwd)
: "${LAB_BIN_DIR:=$LAB_REPO_DIR/build/bin}"
# shellcheck source=tests/lab/keepalived_conf.sh
source "$LAB_SRC_DIR/keepalived_conf.sh"

# Debian's interpreter directly: a python3 shim earlier in PATH (pyenv) can cost seconds a call.
LAB_PY=/usr/bin/python3
[ -x "$LAB_PY" ] || LAB_PY=python3

# lab_calc EXPR: floating-point arithmetic (awk), e.g. lab_calc "3 * 0.1 + 0.05"; whole results
# print as integers. lab_max A B: the larger.
lab_calc() { awk "BEGIN { OFMT = \"%.3f\"; x = $1; print x }"; }
lab_max() { awk -v a="$1" -v b="$2" 'BEGIN { OFMT = "%.3f"; x = (a + 0 > b + 0) ? a + 0 : b + 0; print x }'; }

LAB_PREFIX=""
LAB_DIR=""
LAB_NODES=0
LAB_CLIENT_IP=192.0.2.200
LAB_CLIENT_MAC=02:58:56:00:00:fe
LAB_IF=eth0  # the nodes' interface name, fixed by lab_up from LAB_IFNAME
# The measurement witness: an address of the bridge itself that the probe asks for with the VIPs.
# When the witness goes unanswered too, the client's path was stalled (on a busy 2-core machine the
# softirq work of every namespace can wait for ksoftirqd), not the cluster; probe_check subtracts
# such blackouts from VIP gaps and says so.
LAB_WITNESS_IP=192.0.2.254
LAB_EXIT_HOOKS=()
declare -ga LAB_OCTETS=()

lab_log() { [ "${LAB_QUIET:-0}" = 1 ] || echo "lab: $*" >&2; }
lab_die() { echo "lab: ERROR: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# Lifecycle
# ---------------------------------------------------------------------------------------------

# lab_init SUITE: checks what the lab needs, picks the namespace prefix xv<pid>-<suite>- and the
# state directory, and installs the cleanup on every exit path.
lab_init() {
  local suite=${1:?lab_init SUITE}
  [ "$(id -u)" = 0 ] || lab_die "the lab needs root (network namespaces, XDP)"
  local tool
  for tool in ip nsenter setsid clang nft "$LAB_PY"; do
    command -v "$tool" >/dev/null || lab_die "'$tool' is missing: run scripts/install-deps.sh"
  done
  LAB_PREFIX="${LAB_NS_PREFIX:-xv}$$-${suite}-"
  LAB_DIR=$(mktemp -d "/tmp/xvrrp-lab-${suite}.XXXXXX")
  : >"$LAB_DIR/marks"
  echo "lab: state (logs, configs, probe results) in $LAB_DIR" >&2
  trap 'lab__on_exit' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# lab_on_exit CMD...: runs CMD before the lab tears down (e.g. to stop something the caller started).
lab_on_exit() { LAB_EXIT_HOOKS+=("$*"); }

lab__on_exit() {
  local status=$?
  trap - EXIT INT TERM
  local hook
  for hook in "${LAB_EXIT_HOOKS[@]}"; do eval "$hook" || true; done
  if [ "$status" -ne 0 ] && [ -n "$LAB_DIR" ]; then lab_dump_logs; fi
  lab_cleanup
  if [ -n "$LAB_DIR" ] && [ -d "$LAB_DIR" ]; then
    if [ "$status" -ne 0 ] || [ "${LAB_KEEP:-0}" = 1 ]; then
      echo "lab: state kept in $LAB_DIR" >&2
    else
      rm -rf "$LAB_DIR"
    fi
  fi
  exit "$status"
}

# lab_cleanup: kills every process the lab started, deletes every namespace with this run's prefix.
# Safe to call twice.
lab_cleanup() {
  [ -n "$LAB_PREFIX" ] || return 0
  local f pid
  for f in "$LAB_DIR"/probe-*.pid "$LAB_DIR"/n*/daemon.pid "$LAB_DIR"/n*/listener.pid "$LAB_DIR"/n*/tcp-name.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    rm -f "$f"
  done
  # Holders last: their mount namespaces hold the nodes' bpffs instances (pins go with them).
  for f in "$LAB_DIR"/n*/holder.pid; do
    [ -f "$f" ] || continue
    kill -KILL "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -F -- "$LAB_PREFIX" || true); do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
}

# lab_dump_logs [LINES]: tails of every node's daemon log and every probe log (printed on failure).
# libbpf/libxdp's info lines (four per daemon start where libxdp's dispatcher falls back,
# docs/dataplane.md) are left out so the tails fit in a CI excerpt.
lab_dump_logs() {
  local lines=${1:-40} f
  for f in "$LAB_DIR"/n*/daemon.log "$LAB_DIR"/n*/listener.log "$LAB_DIR"/n*/tcp-name.log "$LAB_DIR"/probe-*.log; do
    [ -s "$f" ] || continue
    echo "----- tail -n $lines $f (libbpf/libxdp info lines left out) -----" >&2
    grep -Ev '\] \[info\] (libbpf|libxdp): ' "$f" | tail -n "$lines" >&2
  done
}

# ---------------------------------------------------------------------------------------------
# Topology
# ---------------------------------------------------------------------------------------------
lab_bridge_ns() { echo "${LAB_PREFIX}br"; }
lab_client_ns() { echo "${LAB_PREFIX}cl"; }
# lab_node_of ID: the node number of daemon id I or I.NAME.
lab_node_of() { local id=${1:?node}; echo "${id%%.*}"; }
lab_node_ns() { echo "${LAB_PREFIX}n$(lab_node_of "$1")"; }
lab_node_ip() { echo "192.0.2.${LAB_OCTETS[$(($(lab_node_of "$1") - 1))]}"; }
lab_node_mac() { printf '02:58:56:00:00:%02x\n' "$(lab_node_of "$1")"; }
lab_node_dir() { echo "$LAB_DIR/n${1:?node}"; }
lab__holder_pid() { cat "$(lab_node_dir "$(lab_node_of "$1")")/holder.pid"; }
lab_node_count() { echo "$LAB_NODES"; }
lab_client_ip() { echo "$LAB_CLIENT_IP"; }

# lab_node_by_mac MAC: prints the node name (n<i>) owning MAC, or the MAC itself.
lab_node_by_mac() {
  local i
  for ((i = 1; i <= LAB_NODES; i++)); do
    [ "$(lab_node_mac "$i")" = "${1,,}" ] && { echo "n$i"; return; }
  done
  echo "$1"
}

# lab_xdp_pass_obj: compiles the bridge ports' XDP_PASS program once per run.
lab_xdp_pass_obj() {
  local obj="$LAB_DIR/xdp_pass.bpf.o"
  if [ ! -f "$obj" ]; then
    clang -O2 -g -target bpf -Wall -Werror -I"/usr/include/$(uname -m)-linux-gnu" \
      -c "$LAB_SRC_DIR/xdp_pass.bpf.c" -o "$obj" || lab_die "cannot compile $LAB_SRC_DIR/xdp_pass.bpf.c"
  fi
  echo "$obj"
}

# lab__port_add PORT HOST_NS IFNAME MAC ADDR: bridge port PORT, wired to IFNAME (MAC, ADDR) in HOST_NS.
lab__port_add() {
  local br_ns port=$1 ns=$2 ifname=$3 mac=$4 addr=$5 obj
  br_ns=$(lab_bridge_ns)
  obj=$(lab_xdp_pass_obj)
  ip -n "$br_ns" link add "$port" type veth peer name "$ifname" netns "$ns"
  ip -n "$br_ns" link set "$port" master br0
  # See xdp_pass.bpf.c: without it the nodes' XDP_TX replies never reach the bridge.
  ip -n "$br_ns" link set dev "$port" xdpdrv obj "$obj" sec xdp \
    || lab_die "cannot attach XDP_PASS to bridge port $port (native XDP on veth needed)"
  ip -n "$br_ns" link set "$port" up
  ip -n "$ns" link set "$ifname" address "$mac"
  # No DAD: the lab's addresses are unique by construction and DAD only delays start-up.
  ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$ifname.accept_dad=0"
  ip -n "$ns" addr add "$addr" dev "$ifname"
  ip -n "$ns" link set "$ifname" up
}

# lab__ns_add NAME: a namespace with loopback up.
lab__ns_add() {
  ip netns add "$1"
  ip -n "$1" link set lo up
}

# lab_up N: bridge namespace, N node namespaces, a client namespace, all wired and up.
lab_up() {
  local n=${1:?lab_up N} i br_ns cl_ns
  [ -n "$LAB_DIR" ] || lab_die "call lab_init first"
  LAB_NODES=$n
  # A global of our own: `LAB_IFNAME=ens3 lab_up 3` sets LAB_IFNAME for this call only.
  declare -g LAB_IF=${LAB_IFNAME:-eth0}
  read -r -a LAB_OCTETS <<<"${LAB_NODE_OCTETS:-$(seq -s ' ' 1 "$n")}"
  [ "${#LAB_OCTETS[@]}" -ge "$n" ] || lab_die "LAB_NODE_OCTETS has fewer than $n octets"
  br_ns=$(lab_bridge_ns)
  lab__ns_add "$br_ns"
  # No STP and no multicast snooping: ports forward at once and VRRP multicast floods.
  ip -n "$br_ns" link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
  ip -n "$br_ns" link set br0 up
  ip -n "$br_ns" addr add "$LAB_WITNESS_IP/24" dev br0
  for ((i = 1; i <= n; i++)); do
    lab__ns_add "$(lab_node_ns "$i")"
    mkdir -p "$(lab_node_dir "$i")"
    lab__port_add "n$i" "$(lab_node_ns "$i")" "$LAB_IF" "$(lab_node_mac "$i")" "$(lab_node_ip "$i")/24"
    lab__holder_start "$i"
  done
  cl_ns=$(lab_client_ns)
  lab__ns_add "$cl_ns"
  lab__port_add cl "$cl_ns" eth0 "$LAB_CLIENT_MAC" "$LAB_CLIENT_IP/24"
  # VIPs live outside the node subnet: the client reaches them on-link, like hosts on the VIP's LAN.
  ip -n "$cl_ns" route add 198.51.100.0/24 dev eth0
  ip -n "$cl_ns" route add 198.18.0.0/15 dev eth0
  ip -n "$cl_ns" route add 203.0.113.0/24 dev eth0
  lab_log "up: $n nodes ($(for ((i = 1; i <= n; i++)); do printf 'n%d=%s ' "$i" "$(lab_node_ip "$i")"; done)), client $LAB_CLIENT_IP, prefix $LAB_PREFIX"
}

# lab__holder_start I: a process in node I's namespace with bpffs mounted in its own mount
# namespace; daemons join that mount namespace with nsenter.
lab__holder_start() {
  local i=$1 dir ns pid tries=0
  dir=$(lab_node_dir "$i")
  ns=$(lab_node_ns "$i")
  ip netns exec "$ns" sh -c 'mount -t bpf bpf /sys/fs/bpf && exec sleep infinity' \
    >"$dir/holder.log" 2>&1 &
  pid=$!
  disown "$pid"  # killed at cleanup; no "Killed" job notice
  echo "$pid" >"$dir/holder.pid"
  # The mount is done once the shell has exec'ed sleep.
  until [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sleep ]; do
    kill -0 "$pid" 2>/dev/null || lab_die "node n$i: bpffs holder died: $(cat "$dir/holder.log")"
    ((tries++ < 200)) || lab_die "node n$i: bpffs holder did not start"
    sleep 0.01
  done
}

# lab_node_exec I CMD...: runs CMD in node I's network and mount namespace (bpffs mounted).
lab_node_exec() {
  local i=${1:?node}
  shift
  nsenter --target "$(lab__holder_pid "$i")" --mount --net -- "$@"
}

# lab_client_exec CMD...: runs CMD in the client namespace.
lab_client_exec() { ip netns exec "$(lab_client_ns)" "$@"; }

# ---------------------------------------------------------------------------------------------
# Daemons
# ---------------------------------------------------------------------------------------------

# lab_start_node I KIND [VAR=VALUE...]: starts node I's daemon (KIND xvrrpd or keepalived) with
# exactly this environment (nothing leaks in from the caller's). I may be I.NAME (another daemon
# on node I). Remembered for lab_restart_node, with two knobs of the call's own environment:
# LAB_DAEMON_ARGS (extra xvrrpd arguments, e.g. --keep-dataplane) and LAB_POD_BPFFS=1 (the daemon
# gets a bpffs of its own in a mount namespace of its own, as a pod with a pod-local /sys/fs/bpf:
# its pins die with it).
lab_start_node() {
  local i=${1:?node} kind=${2:?kind} dir
  shift 2
  dir=$(lab_node_dir "$i")
  [[ $i =~ ^[1-9][0-9]*(\.[A-Za-z0-9_-]+)?$ ]] && [ "$(lab_node_of "$i")" -le "$LAB_NODES" ] ||
    lab_die "bad daemon id '$i' (I or I.NAME, I a node of 1..$LAB_NODES)"
  lab_node_running "$i" && lab_die "node n$i already runs a daemon"
  mkdir -p "$dir"
  printf '%s\n' "$kind" >"$dir/kind"
  printf '%s\n' "$@" >"$dir/env"
  printf '%s\n' "${LAB_DAEMON_ARGS:-}" >"$dir/args"
  printf '%s\n' "${LAB_POD_BPFFS:-0}" >"$dir/pod_bpffs"
  lab__start "$i"
}

# lab_restart_node I: starts node I again with the kind and environment of its last start.
lab_restart_node() { lab__start "${1:?node}"; }

lab__start() {
  local i=$1 dir kind pid
  local -a env cmd extra=()
  dir=$(lab_node_dir "$i")
  kind=$(cat "$dir/kind")
  mapfile -t env <"$dir/env"
  [ -s "$dir/args" ] && read -r -a extra <"$dir/args"
  case $kind in
    xvrrpd)
      [ -x "$LAB_BIN_DIR/xvrrpd" ] || lab_die "$LAB_BIN_DIR/xvrrpd not built"
      mkdir -p "$dir/run"
      cmd=("$LAB_BIN_DIR/xvrrpd" ${extra[@]+"${extra[@]}"})
      env+=("XVRRP_RUNTIME_DIR=$dir/run")
      ;;
    keepalived)
      command -v keepalived >/dev/null || lab_die "keepalived is not installed (scripts/install-deps.sh)"
      (
        for kv in "${env[@]}"; do [ -n "$kv" ] && export "${kv?}"; done
        # The image's get_network_device: the named interface, else the first that exists of
        # eth0 enp0s3 enp0s8 eth1 ens3 (the lab has one interface, so that is it).
        lab_keepalived_conf "$(lab_node_ip "$i")" "${OPENSHIFT_HA_NETWORK_INTERFACE:-$LAB_IF}" \
          "${LAB_KEEPALIVED_SEED:-$RANDOM}$(lab_node_of "$i")"
      ) >"$dir/keepalived.conf" || lab_die "node n$i: keepalived.conf generation failed"
      lab__keepalived_firewall "$i" "${env[@]}"
      # -n foreground, -l log to console, -D detailed, -P VRRP only; own pid files per node.
      cmd=(keepalived -n -l -D -P -f "$dir/keepalived.conf" -p "$dir/keepalived.pid"
        -r "$dir/vrrp.pid")
      ;;
    frr)
      lab__frr_prepare "$i" "${env[@]}"
      # zebra, then vrrpd once zebra's socket is there; SIGTERM stops both (lab_stop_node).
      cmd=(bash -c 'd=$1; f=/usr/lib/frr; o=(-u frr -g frr -z "$d/zserv.api" --vty_socket "$d")
        "$f/zebra" "${o[@]}" -f "$d/zebra.conf" -i "$d/zebra.pid" --log "file:$d/zebra.log" & z=$!
        for _ in $(seq 200); do [ -S "$d/zserv.api" ] && break; sleep 0.02; done
        "$f/vrrpd" "${o[@]}" -f "$d/vrrpd.conf" -i "$d/vrrpd.pid" --log "file:$d/vrrpd.log" & v=$!
        trap "kill -TERM $v $z; wait" TERM INT; wait' frr "$dir/frr")
      ;;
    *) lab_die "unknown node kind '$kind' (xvrrpd, keepalived, frr)" ;;
  esac
  # LAB_RT_PRIORITY=N runs every daemon SCHED_RR N, whatever its kind: at 10 ms advert intervals a
  # normally scheduled daemon on a busy 2-core machine sends late and its peers take over.
  if [ -n "${LAB_RT_PRIORITY:-}" ]; then cmd=(chrt -r "$LAB_RT_PRIORITY" "${cmd[@]}"); fi
  # A pod-local bpffs: a fresh mount namespace (private, so the mount stays there) with a bpffs
  # instance of its own over the holder's; the daemon is its only process, so its pins die with
  # it. unshare and sh exec, so the daemon keeps the pid recorded below.
  if [ "$(cat "$dir/pod_bpffs" 2>/dev/null)" = 1 ]; then
    cmd=(unshare -m --propagation private sh -c 'mount -t bpf bpf /sys/fs/bpf && exec "$@"' sh "${cmd[@]}")
  fi
  echo "=== $(date -u +%FT%T.%3NZ) start $kind" >>"$dir/daemon.log"
  # setsid: the daemon leads its own process group, so kill -9 reaches keepalived's children too.
  setsid nsenter --target "$(lab__holder_pid "$i")" --mount --net -- \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "${env[@]}" "${cmd[@]}" \
    >>"$dir/daemon.log" 2>&1 &
  pid=$!
  disown "$pid"  # stop/kill poll for its exit; bash still reaps it
  echo "$pid" >"$dir/daemon.pid"
  lab_log "n$i: started $kind (pid $pid)"
}

# FRRouting's vrrpd as a node kind (issue 19), configured by FRR_* variables instead of the
# OPENSHIFT_HA_* contract it knows nothing of: FRR_VERSION (2 or 3), FRR_VRID, FRR_PRIORITY,
# FRR_INTERVAL_MS (a multiple of 10), FRR_VIP (one IPv4 address). FRR needs one macvlan per VRID
# carrying the virtual router MAC 00:00:5e:00:01:<VRID> and the VIP, which it holds protodown while
# BACKUP: lab__frr_prepare makes it (vrrp4-<VRID> on the node's interface), sets arp_ignore=1 on
# the interface, and writes zebra.conf and vrrpd.conf into the node's frr/ directory, which FRR's
# daemons (user frr) own.
lab__frr_prepare() {
  local i=$1 kv ns dir
  shift
  local FRR_VERSION=3 FRR_VRID="" FRR_PRIORITY=100 FRR_INTERVAL_MS=1000 FRR_VIP=""
  for kv in "$@"; do
    case $kv in FRR_VERSION=* | FRR_VRID=* | FRR_PRIORITY=* | FRR_INTERVAL_MS=* | FRR_VIP=*) local "${kv?}" ;; esac
  done
  [ -x /usr/lib/frr/vrrpd ] || lab_die "FRR's vrrpd is not installed (scripts/install-deps.sh)"
  [[ $FRR_VRID =~ ^[0-9]+$ && -n $FRR_VIP ]] || lab_die "node n$i: frr needs FRR_VRID and FRR_VIP"
  ns=$(lab_node_ns "$i")
  dir=$(lab_node_dir "$i")/frr
  mkdir -p "$dir"
  chown frr:frr "$dir"
  chmod a+x "$LAB_DIR" "$(dirname "$dir")"  # FRR's daemons reach their directory as user frr
  # The kernel answers ARP on any interface for any local address: without arp_ignore=1 the base
  # interface answers for the macvlan's VIP too, with the node's MAC, even while FRR is Backup.
  ip netns exec "$ns" sysctl -qw "net.ipv4.conf.$LAB_IF.arp_ignore=1"
  if ! ip -n "$ns" link show "vrrp4-$FRR_VRID" >/dev/null 2>&1; then
    ip -n "$ns" link add "vrrp4-$FRR_VRID" link "$LAB_IF" type macvlan mode bridge
    ip -n "$ns" link set "vrrp4-$FRR_VRID" address "$(printf '00:00:5e:00:01:%02x' "$FRR_VRID")"
    ip -n "$ns" addr add "$FRR_VIP/32" dev "vrrp4-$FRR_VRID"
    ip -n "$ns" link set "vrrp4-$FRR_VRID" up
  fi
  printf 'hostname n%s\n' "$i" >"$dir/zebra.conf"
  printf 'hostname n%s\ninterface %s\n vrrp %s version %s\n vrrp %s priority %s\n vrrp %s advertisement-interval %s\n vrrp %s ip %s\n' \
    "$i" "$LAB_IF" "$FRR_VRID" "$FRR_VERSION" "$FRR_VRID" "$FRR_PRIORITY" "$FRR_VRID" "$FRR_INTERVAL_MS" \
    "$FRR_VRID" "$FRR_VIP" >"$dir/vrrpd.conf"
  chown frr:frr "$dir"/*.conf
}

# lab_frr_state I VRID: FRR's state of VRID's IPv4 router on node I (Master, Backup, Initialize).
lab_frr_state() {
  { lab_node_exec "${1:?node}" vtysh --vty_socket "$(lab_node_dir "$1")/frr" -c "show vrrp ${2:?vrid} json" 2>/dev/null || true; } |
    "$LAB_PY" -c 'import json, sys
try: print(json.load(sys.stdin)[0]["v4"]["status"])
except Exception: print("none")'
}

# The ipfailover image creates this nft table when OPENSHIFT_HA_NFTABLES_RULE (or the older
# OPENSHIFT_HA_IPTABLES_CHAIN) is non-empty; keepalived itself knows nothing of it.
lab__keepalived_firewall() {
  local i=$1 kv want=""
  shift
  for kv in "$@"; do
    case $kv in OPENSHIFT_HA_NFTABLES_RULE=?* | OPENSHIFT_HA_IPTABLES_CHAIN=?*) want=1 ;; esac
  done
  [ -n "$want" ] || return 0
  ip netns exec "$(lab_node_ns "$i")" nft -f - <<'EOF'
table inet keepalived {
  chain input {
    type filter hook input priority 0; policy accept;
    ip daddr 224.0.0.18 accept
  }
}
EOF
}

# lab_node_priority I GROUP: the priority node I was configured with for group GROUP (1-based).
lab_node_priority() {
  local i=${1:?node} group=${2:?group} dir
  dir=$(lab_node_dir "$i")
  case $(cat "$dir/kind") in
    keepalived)
      awk -v want="_VIP_${group}" '
        $1 == "vrrp_instance" { hit = (substr($2, length($2) - length(want) + 1) == want) }
        hit && $1 == "priority" { print $2; exit }' "$dir/keepalived.conf"
      ;;
    xvrrpd)
      lab_node_status "$i" | "$LAB_PY" -c '
import json, sys
want = "_VIP_" + sys.argv[1]
for g in json.load(sys.stdin)["groups"]:
    if g["name"].endswith(want):
        print(g["priority"])' "$group"
      ;;
    *) lab_die "lab_node_priority: unknown node kind $(cat "$dir/kind")" ;;
  esac
}

# lab_node_status I: xvrrpd's whole status document from node I, over its control socket
# (`xvrrpctl status --json`; the HTTP /status is a bounded summary for the network).
lab_node_status() {
  local i=${1:?node} dir config
  dir=$(lab_node_dir "$i")
  [ -x "$LAB_BIN_DIR/xvrrpctl" ] || lab_die "$LAB_BIN_DIR/xvrrpctl not built"
  config=$(grep '^OPENSHIFT_HA_CONFIG_NAME=' "$dir/env" | tail -n 1 | cut -d= -f2-)
  "$LAB_BIN_DIR/xvrrpctl" --runtime-dir "$dir/run" ${config:+--config "$config"} status --json
}

# lab_expected_master GROUP [NODE...]: of the given running nodes (default all), the one VRRP
# elects for GROUP: highest priority, ties to the higher primary address (RFC 3768 section 6.4.3).
lab_expected_master() {
  local group=${1:?group} i best="" best_key=-1 key
  shift
  local -a nodes=("$@")
  [ "${#nodes[@]}" -gt 0 ] || mapfile -t nodes < <(seq 1 "$LAB_NODES")
  for i in "${nodes[@]}"; do
    key=$(($(lab_node_priority "$i" "$group") * 256 + ${LAB_OCTETS[$((i - 1))]}))
    if [ "$key" -gt "$best_key" ]; then best_key=$key; best=$i; fi
  done
  echo "$best"
}

lab_node_pid() { cat "$(lab_node_dir "${1:?node}")/daemon.pid" 2>/dev/null; }
lab_node_running() {
  local pid
  pid=$(lab_node_pid "$1") || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}
lab_node_log() { echo "$(lab_node_dir "${1:?node}")/daemon.log"; }

# lab_stop_node I [TIMEOUT_S]: graceful stop (SIGTERM: VRRP priority 0 advert, VIPs removed); fails
# when the daemon is still alive after TIMEOUT_S (default 10).
lab_stop_node() {
  local i=${1:?node} timeout=${2:-10} pid
  pid=$(lab_node_pid "$i") || return 0
  kill -TERM "$pid" 2>/dev/null || { rm -f "$(lab_node_dir "$i")/daemon.pid"; return 0; }
  lab__wait_exit "$pid" "$timeout" || lab_die "n$i: daemon (pid $pid) still running ${timeout}s after SIGTERM"
  rm -f "$(lab_node_dir "$i")/daemon.pid"
  lab_log "n$i: stopped"
}

# lab_kill_node I: kill -9 of the daemon's whole process group (a crash: no goodbye advert).
lab_kill_node() {
  local i=${1:?node} pid
  pid=$(lab_node_pid "$i") || lab_die "n$i runs no daemon"
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid"
  lab__wait_exit "$pid" 5 || lab_die "n$i: pid $pid survived SIGKILL"
  rm -f "$(lab_node_dir "$i")/daemon.pid"
  lab_log "n$i: killed (-9)"
}

lab__wait_exit() {
  local pid=$1 timeout=$2 deadline
  deadline=$(($(date +%s%N) + timeout * 1000000000))
  while kill -0 "$pid" 2>/dev/null && [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" != Z ]; do
    [ "$(date +%s%N)" -lt "$deadline" ] || return 1
    sleep 0.02
  done
}

# lab_signal_node I SIGNAL: e.g. HUP for a reload.
lab_signal_node() { kill -"${2:?signal}" "$(lab_node_pid "${1:?node}")"; }

# lab_listen I PORT / lab_unlisten I: a TCP listener on node I (what OPENSHIFT_HA_MONITOR_PORT checks).
lab_listen() {
  local i=${1:?node} port=${2:?port} dir pid
  dir=$(lab_node_dir "$i")
  setsid ip netns exec "$(lab_node_ns "$i")" "$LAB_PY" -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(64)
while True:
    c, _ = s.accept(); c.close()' "$port" >>"$dir/listener.log" 2>&1 &
  pid=$!
  disown "$pid"
  echo "$pid" >"$dir/listener.pid"
  local tries=0
  until ip netns exec "$(lab_node_ns "$i")" ss -Hltn "sport = :$port" | grep -q .; do
    ((tries++ < 200)) || lab_die "n$i: listener on port $port did not start"
    sleep 0.01
  done
}
lab_unlisten() {
  local f
  f="$(lab_node_dir "${1:?node}")/listener.pid"
  [ -f "$f" ] || return 0
  kill -KILL -- "-$(cat "$f")" 2>/dev/null || true
  rm -f "$f"
}

# lab_tcp_listeners_start [PORT]: on every node, a TCP listener on 0.0.0.0:PORT (default
# LAB_TCP_PORT, 8080) that sends the node's name ("n<i>\n") and closes: `xvrrp-probe --serve`,
# no daemon involved. A VIP's connection is accepted by whichever node has the VIP as a local
# address (xvrrpd and keepalived both add VIPs to the interface), so `lab_probe_start ... --tcp PORT`
# sees which node really serves the VIP. Runs until lab_tcp_listeners_stop or the lab's cleanup.
lab_tcp_listeners_start() {
  local port=${1:-${LAB_TCP_PORT:-8080}} i dir pid tries
  local probe="$LAB_BIN_DIR/xvrrp-probe"
  [ -x "$probe" ] || lab_die "$probe not built"
  for ((i = 1; i <= LAB_NODES; i++)); do
    dir=$(lab_node_dir "$i")
    [ -f "$dir/tcp-name.pid" ] && lab_die "n$i: TCP name listener already running"
    rm -f "$dir/tcp-name.ready"
    setsid ip netns exec "$(lab_node_ns "$i")" "$probe" --serve "$port" --name "n$i" \
      --ready-file "$dir/tcp-name.ready" >>"$dir/tcp-name.log" 2>&1 &
    pid=$!
    disown "$pid"
    echo "$pid" >"$dir/tcp-name.pid"
  done
  for ((i = 1; i <= LAB_NODES; i++)); do
    dir=$(lab_node_dir "$i")
    tries=0
    until [ -f "$dir/tcp-name.ready" ]; do
      kill -0 "$(cat "$dir/tcp-name.pid")" 2>/dev/null || lab_die "n$i: TCP name listener exited: $(cat "$dir/tcp-name.log")"
      ((tries++ < 500)) || lab_die "n$i: TCP name listener not ready after 5 s"
      sleep 0.01
    done
  done
  lab_log "TCP name listeners on port $port of every node"
}

# lab_tcp_listeners_stop: stops every node's TCP name listener.
lab_tcp_listeners_stop() {
  local i f
  for ((i = 1; i <= LAB_NODES; i++)); do
    f="$(lab_node_dir "$i")/tcp-name.pid"
    [ -f "$f" ] || continue
    kill -TERM -- "-$(cat "$f")" 2>/dev/null || kill -TERM "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
}

# ---------------------------------------------------------------------------------------------
# Faults (all in the bridge namespace: the nodes see what a real network would do to them)
# ---------------------------------------------------------------------------------------------

# lab_cable_pull I / lab_cable_restore I: bridge port of node I down/up (the node sees NO-CARRIER).
# A pull cuts both directions at once, like a cable: the bridge stops forwarding to and from the
# port first (port state disabled: one netlink request, no teardown), then the port goes down so
# the node loses its carrier. `ip link set down` alone tears the veth down over 50-80 ms on a busy
# machine, and meanwhile the node's XDP_TX replies are already lost (the port's NAPI is gone) while
# its ordinary sends still pass (veth falls back to netif_rx): the backups kept hearing a master
# the client no longer heard (S2: 27 ms of a 54 ms gap). Coming up resets the port to forwarding.
lab_cable_pull() {
  bridge -n "$(lab_bridge_ns)" link set dev "n${1:?node}" state 0
  ip -n "$(lab_bridge_ns)" link set "n${1:?node}" down
  lab_mark "cable_pull_n$1"
  lab_log "n$1: cable pulled"
}
lab_cable_restore() {
  ip -n "$(lab_bridge_ns)" link set "n${1:?node}" up
  lab_mark "cable_restore_n$1"
  lab_log "n$1: cable restored"
}

# lab_partition "I J..." "K L...": nodes of the first set and nodes of the second set no longer
# hear each other (both directions); the client still reaches everyone. Cumulative until lab_heal.
lab_partition() {
  local a b br_ns
  br_ns=$(lab_bridge_ns)
  # Marked before the rules go in: the first rule already splits the cluster.
  lab_mark "partition_${1// /,}_from_${2// /,}"
  ip netns exec "$br_ns" nft list table bridge lab_partition >/dev/null 2>&1 ||
    ip netns exec "$br_ns" nft -f - <<'EOF'
table bridge lab_partition {
  chain forward {
    type filter hook forward priority 0; policy accept;
  }
}
EOF
  for a in $1; do
    for b in $2; do
      ip netns exec "$br_ns" nft add rule bridge lab_partition forward \
        iifname "n$a" oifname "n$b" drop
      ip netns exec "$br_ns" nft add rule bridge lab_partition forward \
        iifname "n$b" oifname "n$a" drop
    done
  done
  lab_log "partition: {$1} | {$2}"
}

# lab_heal: removes every partition (marked once the rules are gone).
lab_heal() {
  ip netns exec "$(lab_bridge_ns)" nft delete table bridge lab_partition 2>/dev/null || true
  lab_mark heal
  lab_log "healed"
}

# ---------------------------------------------------------------------------------------------
# Observation
# ---------------------------------------------------------------------------------------------

# lab_mark LABEL: records LABEL with the current wall-clock time (ns) in $LAB_DIR/marks; the probe
# reports its start on the same clock, so probe_check.py can place gaps relative to faults.
lab_mark() { echo "${1:?label} $(date +%s%N)" >>"$LAB_DIR/marks"; }

# lab__snapshot: LAB_HELD[vip]="n1 n3 ..." for every VIP each node delivers locally right now: an
# address on its interface, or covered by one of xvrrpd's local routes (table local, protocol 77,
# on the interface; XVRRP_VIP_ADDRESSES=off leaves only these). Two `ip` per node, however many
# VIPs are asked about.
declare -gA LAB_HELD=()
lab__node_delivers() { # I: the addresses node I delivers, one per line, each once
  local ns
  ns=$(lab_node_ns "$1")
  {
    ip -n "$ns" -o addr show dev "$LAB_IF" 2>/dev/null | awk '{print "a", $4}'
    ip -n "$ns" route show table local proto 77 dev "$LAB_IF" 2>/dev/null | awk '$1 == "local" {print "r", $2}'
  } | "$LAB_PY" -c '
import ipaddress, sys
seen = set()
for line in sys.stdin:
    kind, text = line.split()
    if kind == "a":  # an interface address: the address itself, whatever its prefix length
        addrs = [ipaddress.ip_address(text.split("/")[0])]
    else:            # a local route: every address it covers
        addrs = ipaddress.ip_network(text, strict=False)
    for a in addrs:
        if a not in seen:
            seen.add(a)
            print(a)'
}
lab__snapshot() {
  local i addr
  LAB_HELD=()
  for ((i = 1; i <= LAB_NODES; i++)); do
    while read -r addr; do
      LAB_HELD[$addr]="${LAB_HELD[$addr]:+${LAB_HELD[$addr]} }n$i"
    done < <(lab__node_delivers "$i")
  done
}

# lab_vip_holders VIP: the nodes (n<i>, space-separated) that have VIP on their interface right now.
lab_vip_holders() {
  lab__snapshot
  echo "${LAB_HELD[${1:?vip}]:-}"
}

# lab_wait_vip_holder VIP NODE TIMEOUT_S: waits until exactly NODE (n<i>, or "" for nobody) holds VIP.
lab_wait_vip_holder() {
  local vip=${1:?vip} want=$2 timeout=${3:?timeout} deadline got
  deadline=$(($(date +%s%N) + ${timeout%.*} * 1000000000))
  while :; do
    got=$(lab_vip_holders "$vip")
    [ "$got" = "$want" ] && return 0
    [ "$(date +%s%N)" -lt "$deadline" ] || { echo "lab: $vip held by '${got}', expected '${want}' within ${timeout}s" >&2; return 1; }
    sleep 0.05
  done
}

# lab_wait_all_held TIMEOUT_S VIP...: waits until every VIP has exactly one holder.
lab_wait_all_held() {
  local timeout=${1:?timeout} deadline vip got ok
  shift
  deadline=$(($(date +%s%N) + timeout * 1000000000))
  while :; do
    ok=1
    lab__snapshot
    for vip in "$@"; do
      got=${LAB_HELD[$vip]:-}
      [[ -n $got && $got != *" "* ]] || { ok=0; break; }
    done
    [ "$ok" = 1 ] && return 0
    [ "$(date +%s%N)" -lt "$deadline" ] || { echo "lab: $vip held by '${got}' after ${timeout}s" >&2; return 1; }
    sleep 0.05
  done
}

# lab_capture_vrrp SECONDS: the VRRP adverts crossing the bridge for SECONDS, one "SRC DST VRID PRIO"
# line each (tcpdump in the bridge namespace sees every node's traffic, multicast and unicast).
lab_capture_vrrp() {
  command -v tcpdump >/dev/null || lab_die "tcpdump is not installed (scripts/install-deps.sh)"
  ip netns exec "$(lab_bridge_ns)" timeout "${1:?seconds}" tcpdump -i br0 -nn -l 'ip proto 112' 2>/dev/null |
    sed -n 's/.* IP \([0-9.]*\) > \([0-9.]*\): VRRPv[23], Advertisement, vrid \([0-9]*\), prio \([0-9]*\),.*/\1 \2 \3 \4/p' || true
}

# lab_state_table VAR=VALUE...: the live state table for the configuration in these variables:
# group, VRID, the node(s) holding the group's VIPs right now, the VIPs.
lab_state_table() {
  local n vrid vips holders vip h
  printf '  %-6s %-5s %-10s %s\n' group VRID master VIPs
  lab__snapshot
  while read -r n vrid vips; do
    holders=""
    for vip in ${vips//,/ }; do
      h=${LAB_HELD[$vip]:-}
      [ -n "$h" ] || h="-"
      [[ " $holders " == *" $h "* ]] || holders="${holders:+$holders }$h"
    done
    [[ $holders == *" "* ]] && holders="SPLIT:${holders// /+}"
    printf '  %-6s %-5s %-10s %s\n' "$n" "$vrid" "$holders" "${vips//,/, }"
  done < <(
    for kv in "$@"; do export "${kv?}"; done
    lab_groups
  )
}

# lab_probe_start NAME PROBE_ARGS...: starts xvrrp-probe in the client namespace (ARP every 1 ms
# by default); node MACs are labelled n<i>. Returns once the probe sends. With `--tcp PORT
# [--tcp-sample N] [--tcp-interval-ms M]` it also connects to sampled VIPs (lab_tcp_listeners_start).
lab_probe_start() {
  local name=${1:?name} pid tries=0 i
  shift
  local probe="$LAB_BIN_DIR/xvrrp-probe"
  [ -x "$probe" ] || lab_die "$probe not built"
  local -a labels=()
  for ((i = 1; i <= LAB_NODES; i++)); do labels+=(--label "$(lab_node_mac "$i")=n$i"); done
  # The witness has no TCP listener: never one of a --tcp run's sampled VIPs.
  labels+=(--label "$(ip -n "$(lab_bridge_ns)" -o link show br0 |
    sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')=witness" --vips "$LAB_WITNESS_IP"
    --tcp-exclude "$LAB_WITNESS_IP")
  rm -f "$LAB_DIR/probe-$name.ready"
  local -a pin=()
  [ -n "${LAB_PROBE_CPUS:-}" ] && pin=(taskset -c "$LAB_PROBE_CPUS")
  setsid ${pin[@]+"${pin[@]}"} ip netns exec "$(lab_client_ns)" "$probe" --iface eth0 "${labels[@]}" \
    ${LAB_PROBE_RT_PRIORITY:+--rt-priority "$LAB_PROBE_RT_PRIORITY"} \
    --json "$LAB_DIR/probe-$name.json" --ready-file "$LAB_DIR/probe-$name.ready" "$@" \
    >"$LAB_DIR/probe-$name.log" 2>&1 &
  pid=$!
  echo "$pid" >"$LAB_DIR/probe-$name.pid"
  until [ -f "$LAB_DIR/probe-$name.ready" ]; do
    kill -0 "$pid" 2>/dev/null || lab_die "probe $name exited: $(cat "$LAB_DIR/probe-$name.log")"
    ((tries++ < 500)) || lab_die "probe $name not ready after 5 s"
    sleep 0.01
  done
}

# lab_probe_stop NAME: stops the probe (SIGINT) and waits for its summary. Call it directly, not
# inside $(...): only the shell that started the probe can collect its exit status.
lab_probe_stop() {
  local name=${1:?name} pid status=0
  pid=$(cat "$LAB_DIR/probe-$name.pid") || lab_die "no probe named $name"
  kill -INT "$pid" 2>/dev/null || true
  wait "$pid" || status=$?
  rm -f "$LAB_DIR/probe-$name.pid"
  [ "$status" = 0 ] || lab_die "probe $name failed (exit $status): $(tail -n 5 "$LAB_DIR/probe-$name.log")"
  [ -s "$LAB_DIR/probe-$name.json" ] || lab_die "probe $name wrote no JSON"
}

# lab_probe_json NAME: path of probe NAME's JSON summary (complete once lab_probe_stop returned).
lab_probe_json() { echo "$LAB_DIR/probe-${1:?name}.json"; }

# lab_probe_holder JSON VIP: who answered VIP's ARP at the end of the probe run ("" if nobody): the
# client's view, which is what counts when a killed daemon left addresses in its node's kernel.
lab_probe_holder() {
  "$LAB_PY" -c '
import json, sys
s = json.load(open(sys.argv[1]))
for v in s["vips"]:
    if v["vip"] == sys.argv[2] and v["arp"]["answered_at_end"] and v["arp"]["runs"]:
        print(max(v["arp"]["runs"], key=lambda r: r["end_ms"])["name"])' "$1" "$2"
}

# lab_probe_check JSON CHECK_ARGS...: asserts bounds on a probe summary (tests/lab/probe_check.py
# --help lists them); marks come from this run's marks file.
lab_probe_check() {
  local json=${1:?json}
  shift
  "$LAB_PY" "$LAB_SRC_DIR/probe_check.py" --marks "$LAB_DIR/marks" --witness "$LAB_WITNESS_IP" "$json" "$@"
}

# lab_master_down_ms VERSION ADVERT_INTERVAL_S PRIORITY: RFC 3768 section 6.1 / RFC 5798 section
# 6.1: Master_Down_Interval = 3 * Advertisement_Interval + Skew_Time, where Skew_Time is
# (256 - Priority) / 256 seconds in v2 and (256 - Priority) * Interval / 256 in v3.
lab_master_down_ms() {
  awk -v v="$1" -v adv="$2" -v prio="$3" 'BEGIN {
    skew = (256 - prio) / 256 * (v == 2 ? 1.0 : adv)
    printf "%.3f\n", (3 * adv + skew) * 1000 }'
}
