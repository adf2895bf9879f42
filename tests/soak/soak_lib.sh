# shellcheck shell=bash
# Helpers of the soak suite's single-node tests (tests/soak/*.sh), on top of the lab
# (tests/lab/lab.sh): one xvrrpd node n1 (plus the lab's client) whose start-up, crash, flood and
# scripts are observed from outside, through its log, /proc, ip, nft and bpffs.
SOAK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lab/lab.sh
source "$SOAK_DIR/../lab/lab.sh"

# VRRPv3 100 ms, 4 groups of 2 VIPs; one node is master of everything. SOAK_EXTRA_ENV adds variables.
SOAK_VIPS=198.51.100.1-8
declare -ga SOAK_EXTRA_ENV=()
soak_env() {
  printf '%s\n' OPENSHIFT_HA_CONFIG_NAME=soaktest "OPENSHIFT_HA_VIRTUAL_IPS=$SOAK_VIPS" \
    OPENSHIFT_HA_VIP_GROUPS=4 OPENSHIFT_HA_VRRP_ID_OFFSET=10 OPENSHIFT_HA_REPLICA_COUNT=1 \
    OPENSHIFT_HA_MONITOR_PORT=0 XVRRP_VRRP_VERSION=3 XVRRP_ADVERT_INTERVAL=0.1 \
    XVRRP_HTTP_ADDR=127.0.0.1:63000 ${SOAK_EXTRA_ENV[@]+"${SOAK_EXTRA_ENV[@]}"}
}
soak_start() { local -a env; mapfile -t env < <(soak_env); lab_start_node 1 xvrrpd "${env[@]}"; }
soak_runtime_dir() { echo "$(lab_node_dir 1)/run"; }

# soak_wait_master TIMEOUT_S: every VIP on n1.
soak_wait_master() {
  local -a vips
  mapfile -t vips < <(lab_expand_vips "$SOAK_VIPS")
  local vip
  for vip in "${vips[@]}"; do lab_wait_vip_holder "$vip" n1 "${1:-20}" || return 1; done
}

# soak_wait_log REGEX COUNT TIMEOUT_S: n1's daemon log has at least COUNT lines matching REGEX.
soak_wait_log() {
  local re=$1 want=$2 timeout=$3 deadline
  deadline=$(($(date +%s%N) + timeout * 1000000000))
  local n
  while n=$(grep -c -E -- "$re" "$(lab_node_log 1)" 2>/dev/null || true); [ "${n:-0}" -lt "$want" ]; do
    [ "$(date +%s%N)" -lt "$deadline" ] || { echo "soak: no line matching '$re' (#$want) in n1's log within ${timeout}s" >&2; return 1; }
    sleep 0.005
  done
}

# soak_rss_kb / soak_fds: resident set and open descriptors of n1's daemon.
soak_rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$(lab_node_pid 1)/status"; }
soak_fds() { find "/proc/$(lab_node_pid 1)/fd" -mindepth 1 -maxdepth 1 | wc -l; }

# soak_leftovers: what a daemon run left on n1, one line per kind (nothing printed = clean):
# VIPs on eth0, an XDP program on eth0, an nft table named xvrrp_*, pins under /sys/fs/bpf/xvrrp.
soak_leftovers() {
  local vips
  vips=$(ip -n "$(lab_node_ns 1)" -o -4 addr show dev eth0 | awk '{print $4}' | grep '^198\.51\.100\.' | paste -sd ' ' -)
  [ -z "$vips" ] || echo "VIPs on eth0: $vips"
  ip -n "$(lab_node_ns 1)" -d link show dev eth0 | grep -q 'prog/xdp' &&
    echo "XDP program on eth0: $(ip -n "$(lab_node_ns 1)" -d link show dev eth0 | grep -o 'prog/xdp id [0-9]*')"
  local tables
  tables=$(ip netns exec "$(lab_node_ns 1)" nft list tables 2>/dev/null | grep xvrrp || true)
  [ -z "$tables" ] || echo "nft: $tables"
  local pins
  pins=$(lab_node_exec 1 sh -c 'find /sys/fs/bpf/xvrrp -mindepth 1 2>/dev/null' | paste -sd ' ' -)
  [ -z "$pins" ] || echo "bpffs pins: $pins"
  return 0
}

soak_fail() { echo "FAIL $*" >&2; exit 1; }
