#!/usr/bin/env bash
# The xvrrp demo, the README's first command. On a fresh Debian bookworm machine, as root:
#   scripts/demo.sh [--daemon xvrrpd|keepalived] [--no-build]
# installs what the demo needs (scripts/install-deps.sh --demo: no kernel, no qemu, nothing that
# changes how the machine boots), builds into build/, then runs a real failover in network namespaces:
# 3 nodes and a client on a bridge (tests/lab/lab.sh), one embedded OpenShift ipfailover
# configuration (7 VIPs in 3 groups), the live state table, the master of group 1 losing its
# cable, the gap every VIP went unanswered as a client measured it (ARP every millisecond), the
# new table, the cable back, and everything removed again.
#
# The node daemon is xvrrpd; --daemon keepalived runs the same cluster with keepalived 2.2.7
# (configured as OpenShift's image configures it) and then prints xvrrpd's plan for it.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

daemon=xvrrpd
build=1
build_dir=${XVRRP_BUILD_DIR:-build}  # the README's build/; another tree's build dir for development
while [ $# -gt 0 ]; do
  case $1 in
    --daemon) daemon=${2:?--daemon needs xvrrpd or keepalived}; shift 2 ;;
    --no-build) build=0; shift ;;
    -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown argument '$1' (--daemon xvrrpd|keepalived, --no-build)" >&2; exit 2 ;;
  esac
done
case $daemon in xvrrpd | keepalived) ;; *) echo "demo.sh: --daemon '$daemon': expected xvrrpd or keepalived" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "demo.sh: run as root (it creates network namespaces)" >&2; exit 1; }

bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }

if [ "$build" = 1 ]; then
  bold "== 1/3 installing dependencies (Debian packages) =="
  bash scripts/install-deps.sh --demo
  bold "== 2/3 building into build/ =="
  cmake -S . -B "$build_dir" -G "Unix Makefiles" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build_dir" -j"$(nproc)" --target xvrrpd xvrrpctl xvrrp-probe
fi
export LAB_BIN_DIR
LAB_BIN_DIR=$(cd "$build_dir/bin" 2>/dev/null && pwd) || { echo "demo.sh: $build_dir/bin missing (drop --no-build)" >&2; exit 1; }
for bin in xvrrpd xvrrp-probe; do
  [ -x "$LAB_BIN_DIR/$bin" ] || { echo "demo.sh: $LAB_BIN_DIR/$bin missing (drop --no-build)" >&2; exit 1; }
done

# The embedded configuration: what an OpenShift admin would put in the ipfailover Deployment.
advert=${DEMO_ADVERT_INTERVAL:-0.1}
config=(
  OPENSHIFT_HA_CONFIG_NAME=demo-ipfailover
  OPENSHIFT_HA_VIRTUAL_IPS=198.51.100.10-14,198.18.0.10-11
  OPENSHIFT_HA_VIP_GROUPS=3
  OPENSHIFT_HA_VRRP_ID_OFFSET=10
  OPENSHIFT_HA_REPLICA_COUNT=3
  OPENSHIFT_HA_MONITOR_PORT=0
  OPENSHIFT_HA_PREEMPTION="preempt_delay 300"
  XVRRP_VRRP_VERSION=3
  XVRRP_ADVERT_INTERVAL=$advert
)

source tests/lab/lab.sh
LAB_QUIET=1
lab_init demo
bold "== 3/3 failover demo: 3 $daemon nodes and a client in network namespaces =="
lab_up 3
echo "nodes: n1=$(lab_node_ip 1) n2=$(lab_node_ip 2) n3=$(lab_node_ip 3) on one bridge; client $(lab_client_ip)"
echo "configuration (the same environment for every node):"
printf '  %s\n' "${config[@]}"

mapfile -t vips < <(lab_expand_vips "198.51.100.10-14,198.18.0.10-11")
for i in 1 2 3; do lab_start_node "$i" "$daemon" "${config[@]}"; done
start_wait=$(lab_calc "int(30 + 4 * $advert)")
lab_wait_all_held "$start_wait" "${vips[@]}" || { echo "demo.sh: the cluster did not elect within ${start_wait}s" >&2; exit 1; }
sleep "$(lab_max 1 "$(lab_calc "5 * $advert")")"

bold "State table (who answers for each group's VIPs right now):"
lab_state_table "${config[@]}"

# The master of group 1 loses its cable; the probe measures what a client on the LAN sees.
read -r _ _ group1 < <(for kv in "${config[@]}"; do export "${kv?}"; done; lab_groups | head -n 1)
victim=$(lab_vip_holders "${group1%%,*}")
victim=${victim#n}
# The service too, not only ARP: every node runs a TCP listener on 8080 that answers with its name,
# and the client opens a connection to every VIP every 20 ms.
lab_tcp_listeners_start 8080
lab_probe_start demo --vips "$(IFS=,; echo "${vips[*]}")" --timeline "$LAB_DIR/demo-timeline.csv" \
  --tcp 8080 --tcp-vips "$(IFS=,; echo "${vips[*]}")" --tcp-interval-ms 20
sleep 1
bold "Pulling the cable of n$victim (master of group 1) ..."
lab_cable_pull "$victim"
sleep "$(lab_max 2 "$(lab_calc "3 + 6 * $advert")")"
lab_probe_stop demo

bold "Measured by the client (ARP request to every VIP every 1 ms):"
mdi=$(lab_calc "int((3 * $advert + $advert) * 1000)")
"$LAB_PY" tests/lab/probe_check.py --marks "$LAB_DIR/marks" --witness "$LAB_WITNESS_IP" \
  "$(lab_probe_json demo)" --table --all-answered |
  sed '$d'
echo "  (VRRPv3 advert interval ${advert}s: the backup takes over after Master_Down_Interval =" \
  "3 intervals + skew, at most ${mdi} ms after the last advert; groups whose master kept its cable" \
  "should not move. \"splits\" counts moments two nodes answered one VIP at once.)"
bold "Measured by the client over TCP (a new connection to every VIP every 20 ms, answered by the node's name):"
"$LAB_PY" tests/lab/probe_check.py --kind tcp --marks "$LAB_DIR/marks" "$(lab_probe_json demo)" --table | sed '$d'

# The picture: who served each VIP around the pull, as the client saw it, ARP and TCP.
for kind in arp tcp; do
  bold "Timeline ($kind), -0.5 s to +1.5 s around the pull:"
  "$LAB_PY" tests/lab/timeline_text.py "$LAB_DIR/demo-timeline.csv" "$LAB_DIR/marks" "$(lab_probe_json demo)" --kind "$kind"
done
out_dir="$repo/$build_dir/demo"
mkdir -p "$out_dir"
cp "$LAB_DIR/demo-timeline.csv" "$LAB_DIR/marks" "$out_dir/"
cp "$(lab_probe_json demo)" "$out_dir/demo.json"
for kind in arp tcp; do
  TIMELINE_KIND=$kind bash bench/plot/timeline.sh "$out_dir/demo-timeline.csv" "$out_dir/marks" \
    "$out_dir/timeline-$kind.png" "demo: $kind answers around n$victim's cable pull" -500 1500 >/dev/null ||
    echo "demo.sh: could not draw the $kind timeline (gnuplot)" >&2
done

bold "State table after the failover:"
lab_state_table "${config[@]}"
if [ "$daemon" = xvrrpd ] && [ -x "$LAB_BIN_DIR/xvrrpctl" ]; then
  taker=$(lab_vip_holders "${group1%%,*}")
  bold "What xvrrpd on $taker reports (build/bin/xvrrpctl status):"
  "$LAB_BIN_DIR/xvrrpctl" --runtime-dir "$(lab_node_dir "${taker#n}")/run" status || true
fi

bold "Restoring n$victim's cable ..."
lab_cable_restore "$victim"
sleep "$(lab_max 2 "$(lab_calc "8 * $advert")")"
lab_state_table "${config[@]}"
echo "  (group masters configured with state MASTER take their groups back at once, as OpenShift's"
echo "   keepalived does; other groups would wait preempt_delay)"

if [ "$daemon" = keepalived ]; then
  bold "xvrrpd's plan for the same configuration on n$victim (build/bin/xvrrpd --check-config):"
  env -i "${config[@]}" "$LAB_BIN_DIR/xvrrpd" --check-config --node-ip "$(lab_node_ip "$victim")" || true
fi

bold "Cleaning up (namespaces, processes) ..."
lab_tcp_listeners_stop
lab_on_exit "echo; echo \"The failover's timelines (ARP and TCP, PNG) and raw data: $out_dir\""
