# shellcheck shell=bash
# Helpers shared by the e2e and interop scenarios; sourced after tests/lab/lab.sh.
# A scenario sets E2E_ENV (the OPENSHIFT_HA_* / XVRRP_* environment every node gets) and the node
# kinds, then asserts bounds with the probe. Timing figures come from E2E_ENV, so a scenario runs
# unchanged at VRRPv2 1 s or VRRPv3 100 ms.

declare -ga E2E_ENV=()

# e2e_get VAR [DEFAULT]: VAR's value in E2E_ENV.
e2e_get() {
  local kv
  for kv in "${E2E_ENV[@]}"; do
    [[ $kv == "$1="* ]] && { echo "${kv#*=}"; return; }
  done
  echo "${2:-}"
}
e2e_version() { e2e_get XVRRP_VRRP_VERSION 2; }
e2e_advert_s() { e2e_get XVRRP_ADVERT_INTERVAL 1; }
e2e_advert_ms() { lab_calc "$(e2e_advert_s) * 1000"; }

# e2e_groups: "GROUP VRID VIP,VIP" lines for E2E_ENV.
e2e_groups() {
  (
    for kv in "${E2E_ENV[@]}"; do export "${kv?}"; done
    lab_groups
  )
}
e2e_group_vips() { e2e_groups | awk -v g="${1:?group}" '$1 == g { print $3 }'; }
e2e_all_vips() { e2e_groups | awk '{print $3}' | paste -sd, -; }

# e2e_group_holder GROUP: the one node holding all of GROUP's VIPs (n<i>); fails if they stay split
# or unheld for a second. A takeover caught in the act (the new master adds its addresses before
# the old one has removed its own) is looked at again 200 ms later.
e2e_group_holder() {
  local vips vip h holder tries=0 problem
  vips=$(e2e_group_vips "$1")
  while :; do
    lab__snapshot
    holder="" problem=""
    for vip in ${vips//,/ }; do
      h=${LAB_HELD[$vip]:-}
      if [[ -z $h || $h == *" "* || ( -n $holder && $h != "$holder" ) ]]; then
        problem="$vip by '${h}'${holder:+, others by $holder}"
        break
      fi
      holder=$h
    done
    if [ -z "$problem" ]; then
      echo "$holder"
      return 0
    fi
    tries=$((tries + 1))
    if [ "$tries" -ge 5 ]; then
      echo "e2e: group $1 not held by exactly one node for 1 s: $problem" >&2
      return 1
    fi
    sleep 0.2
  done
}

# e2e_bound_ms [PRIORITY]: Master_Down_Interval + 50 ms for the takeover node's priority; without a
# priority, for priority 1 (the largest skew: a bound for whichever backup takes over).
e2e_bound_ms() {
  local mdi
  mdi=$(lab_master_down_ms "$(e2e_version)" "$(e2e_advert_s)" "${1:-1}")
  lab_calc "$mdi + 50"
}

# e2e_skew_bound_ms: after a priority-0 advert a backup takes over after Skew_Time (RFC 3768
# section 6.4.2), at most one advertisement interval in v3 and 1 s in v2; plus 50 ms.
e2e_skew_bound_ms() {
  if [ "$(e2e_version)" = 3 ]; then lab_calc "$(e2e_advert_s) * 1000 + 50"; else echo 1050; fi
}

# e2e_settle: a few advertisement intervals (at least 1.5 s) for elections to finish.
e2e_settle() { sleep "$(lab_max 1.5 "$(lab_calc "6 * $(e2e_advert_s)")")"; }

# e2e_start KIND...: node i runs KIND number i (one kind given: every node) with E2E_ENV plus
# E2E_NODE_ENV_<i> (an array name's extra assignments, optional).
e2e_start() {
  local i kind
  local -a kinds=("$@")
  for ((i = 1; i <= $(lab_node_count); i++)); do
    kind=${kinds[$((i - 1))]:-${kinds[0]}}
    local -n extra="E2E_NODE_ENV_$i" 2>/dev/null || true
    lab_start_node "$i" "$kind" "${E2E_ENV[@]}" ${extra[@]+"${extra[@]}"}
    unset -n extra
  done
}

# e2e_wait_elected [TIMEOUT_S]: every VIP held by exactly one node, then a settle time.
e2e_wait_elected() {
  local -a vips
  mapfile -t vips < <(lab_expand_vips "$(e2e_all_vips)")
  lab_wait_all_held "${1:-30}" "${vips[@]}"
  e2e_settle
  lab__snapshot
  local vip
  for vip in "${vips[@]}"; do
    [[ -n ${LAB_HELD[$vip]:-} && ${LAB_HELD[$vip]} != *" "* ]] ||
      { echo "e2e: $vip held by '${LAB_HELD[$vip]:-}' after settling" >&2; return 1; }
  done
}

# e2e_holder_args GROUP NODE: --holder VIP=NODE for each of GROUP's VIPs (probe_check arguments).
e2e_holder_args() {
  local vip
  for vip in $(e2e_group_vips "$1" | tr , ' '); do printf -- '--holder\n%s=%s\n' "$vip" "$2"; done
}
# e2e_unmoved_args GROUP NODE: GROUP's VIPs were answered by NODE only (a group the fault spared).
e2e_unmoved_args() {
  local vip
  for vip in $(e2e_group_vips "$1" | tr , ' '); do printf -- '--answered-by\n%s=%s\n' "$vip" "$2"; done
}

e2e_pass() { echo "PASS $*"; }

# e2e_ctl ID ARGS...: xvrrpctl against daemon ID (I or I.NAME) of the lab: its runtime directory
# and the OPENSHIFT_HA_CONFIG_NAME of its environment.
e2e_ctl() {
  local id=${1:?daemon} dir config
  shift
  dir=$(lab_node_dir "$id")
  [ -x "$LAB_BIN_DIR/xvrrpctl" ] || lab_die "$LAB_BIN_DIR/xvrrpctl not built"
  config=$(grep '^OPENSHIFT_HA_CONFIG_NAME=' "$dir/env" | tail -n 1 | cut -d= -f2-)
  "$LAB_BIN_DIR/xvrrpctl" --runtime-dir "$dir/run" ${config:+--config "$config"} "$@"
}

# e2e_xdp_counter ID NAME: the XDP counter NAME (e.g. vrrp_pass_foreign) as daemon ID reports it
# (`xvrrpctl counters`: the interface's shared program, every config's traffic).
e2e_xdp_counter() {
  local out
  out=$(e2e_ctl "${1:?daemon}" counters) || { echo "FAIL: n$1: xvrrpctl counters failed" >&2; return 1; }
  "$LAB_PY" -c '
import json, sys
xdp = json.loads(sys.argv[2]).get("xdp", {})
if sys.argv[1] not in xdp:
    sys.exit("FAIL: n%s: xvrrpd reports no XDP counter %s (it has: %s)" % (sys.argv[3], sys.argv[1], " ".join(sorted(xdp)) or "none"))
print(xdp[sys.argv[1]])' "${2:?counter}" "$out" "$1"
}

# e2e_transitions ID: "GROUP:STATE:TRANSITIONS" words of daemon ID's groups (`xvrrpctl status`).
e2e_transitions() {
  e2e_ctl "${1:?daemon}" status --json | "$LAB_PY" -c '
import json, sys
print(" ".join("%s:%s:%s" % (g["name"], g["state"], g["transitions"]) for g in json.load(sys.stdin)["groups"]))'
}

# e2e_ka_masters ID: how often keepalived daemon ID entered MASTER (its log, every run);
# e2e_ka_changes ID: every state it entered; e2e_ka_state ID: the state it entered last.
e2e_ka_masters() { grep -c 'Entering MASTER STATE' "$(lab_node_log "${1:?daemon}")" || true; }
e2e_ka_changes() { grep -c 'Entering [A-Z]* STATE' "$(lab_node_log "${1:?daemon}")" || true; }
e2e_ka_state() {
  grep -o 'Entering [A-Z]* STATE' "$(lab_node_log "${1:?daemon}")" | tail -n 1 | awk '{print $2}'
}

# e2e_probe_stop NAME: lab_probe_stop, then fails, saying so, when the probe's window ended in a
# measurement blackout (the witness unanswered at the end for more than 100 ms: the client's path
# stalled, on an overloaded machine): who answers at the end cannot be judged from such a run.
e2e_probe_stop() {
  local name=${1:?name} why
  lab_probe_stop "$name"
  why=$("$LAB_PY" -c '
import json, sys
s = json.load(open(sys.argv[1]))
for v in s["vips"]:
    if v["vip"] == sys.argv[2]:
        tail = [g for g in v["arp"]["gaps"] if g["open"]]
        if tail and tail[0]["ms"] > 100:
            print("the last %.0f ms of its %.0f ms window" % (tail[0]["ms"], s["duration_ms"]))' \
    "$(lab_probe_json "$name")" "$LAB_WITNESS_IP")
  [ -z "$why" ] || {
    echo "FAIL: measurement: probe $name: the witness $LAB_WITNESS_IP (the bridge) went unanswered for $why: the client's path stalled (machine overloaded), so the end state cannot be judged"
    exit 1
  }
}
