# shellcheck shell=bash
# Helpers shared by the benchmark scenarios (bench/scenarios/S*.sh); sourced by scripts/bench.sh
# after tests/lab/lab.sh. A scenario runs one repetition for one daemon kind at a time and records
# what it measured as facts (bench_fact); bench/lib/analyze.py turns the facts of every
# repetition of both kinds into medians, ratios and the target verdicts.
#
# Both kinds get exactly the same OPENSHIFT_HA_* / XVRRP_* environment (BENCH_ENV): xvrrpd reads
# it directly, keepalived gets the keepalived.conf OpenShift's image would write from it
# (tests/lab/keepalived_conf.sh), so groups, VIPs, priorities, version and interval agree.

declare -ga BENCH_ENV=()
BENCH_REP_DIR=""   # set by scripts/bench.sh per repetition: facts, probe files, copies of logs

# bench_get VAR [DEFAULT]: VAR's value in BENCH_ENV.
bench_get() {
  local kv
  for kv in "${BENCH_ENV[@]}"; do
    [[ $kv == "$1="* ]] && { echo "${kv#*=}"; return; }
  done
  echo "${2:-}"
}

# bench_groups: "GROUP VRID VIP,VIP" lines for BENCH_ENV (the generator's slicing).
bench_groups() {
  (
    for kv in "${BENCH_ENV[@]}"; do export "${kv?}"; done
    lab_groups
  )
}

# bench_fact KEY JSON_VALUE: records one measured value of this repetition (numbers, strings in
# JSON quotes, arrays, objects). Keys are the metric names the scenario's targets refer to.
bench_fact() {
  local value=${2:-null}  # nothing measured: recorded as JSON null, never as a made-up figure
  printf '%s\t%s\n' "${1:?key}" "$value" >>"$BENCH_REP_DIR/facts.tsv"
}
# bench_fact_get KEY: the value recorded for KEY in this repetition (the last one).
bench_fact_get() { awk -F'\t' -v k="${1:?key}" '$1 == k { v = $2 } END { print v }' "$BENCH_REP_DIR/facts.tsv"; }
bench_fact_str() { bench_fact "$1" "\"$2\""; }

bench_loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# bench_ticks_of_group PGID: user+system clock ticks of every live process in process group PGID
# (keepalived's parent and its VRRP child; xvrrpd and any check/notify child).
bench_ticks_of_group() {
  local pgid=${1:?pgid} pid total=0 stat rest
  for pid in $(pgrep -g "$pgid" 2>/dev/null); do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    rest=${stat##*) }   # fields after "(comm)": state is field 3
    # shellcheck disable=SC2086
    set -- $rest
    total=$((total + ${12} + ${13}))  # fields 14 (utime) and 15 (stime)
  done
  echo "$total"
}

# bench_softirq_ticks: system-wide softirq ticks (/proc/stat "cpu" line, field 7). XDP answering
# and the kernel's ARP replies run there, not in any process; system-wide on a shared machine.
bench_softirq_ticks() { awk '$1 == "cpu" { print $8; exit }' /proc/stat; }

# bench_cpu_window SECONDS: samples every running node's process-group ticks and the system's
# softirq ticks over SECONDS and records cpu_pct_n<i> (percent of one core), softirq_pct
# (percent of one core, whole machine) and the load average at both ends.
bench_cpu_window() {
  local secs=${1:?seconds} i hz t0 t1 s0 s1
  local -a before=() after=()
  hz=$(getconf CLK_TCK)
  bench_fact_str load_before "$(bench_loadavg)"
  for ((i = 1; i <= LAB_NODES; i++)); do before[i]=$(bench_ticks_of_group "$(lab_node_pid "$i")"); done
  s0=$(bench_softirq_ticks)
  t0=$(date +%s%N)
  sleep "$secs"
  t1=$(date +%s%N)
  s1=$(bench_softirq_ticks)
  for ((i = 1; i <= LAB_NODES; i++)); do after[i]=$(bench_ticks_of_group "$(lab_node_pid "$i")"); done
  local wall_s
  wall_s=$(lab_calc "($t1 - $t0) / 1e9")
  for ((i = 1; i <= LAB_NODES; i++)); do
    if [ "${after[i]}" -lt "${before[i]}" ]; then
      # A process of the group died in the window (keepalived's VRRP child killed and
      # respawned): its ticks left with it, so there is no figure for this node.
      bench_fact "cpu_pct_n$i" null
    else
      bench_fact "cpu_pct_n$i" "$(lab_calc "100 * (${after[i]} - ${before[i]}) / $hz / $wall_s")"
    fi
  done
  bench_fact softirq_pct "$(lab_calc "100 * ($s1 - $s0) / $hz / $wall_s")"
  bench_fact_str load_after "$(bench_loadavg)"
}

# bench_transitions I: how many state changes node I's daemon has reported so far. keepalived logs
# "(INSTANCE) Entering MASTER|BACKUP|FAULT STATE"; xvrrpd appends one JSON line per change to
# <runtime dir>/events.jsonl (docs/operations: the events file). Initial INIT -> BACKUP/MASTER
# changes count too: scenarios take differences over a window.
bench_transitions() {
  local i=${1:?node} dir
  dir=$(lab_node_dir "$i")
  case $(cat "$dir/kind") in
    keepalived) grep -c 'Entering [A-Z]* STATE' "$dir/daemon.log" 2>/dev/null || true ;;
    xvrrpd) cat "$dir"/run/*.events.jsonl* 2>/dev/null | wc -l ;;
  esac
}
bench_transitions_all() {
  local i total=0
  for ((i = 1; i <= LAB_NODES; i++)); do total=$((total + $(bench_transitions "$i"))); done
  echo "$total"
}

# bench_pick N WORD...: N of the words, spread evenly, first and last included (all when fewer),
# comma-separated: a TCP sample of VIPs.
bench_pick() {
  local n=${1:?count}
  shift
  "$LAB_PY" -c '
import sys
n, xs = int(sys.argv[1]), sys.argv[2:]
if n >= len(xs): print(",".join(xs))
elif n == 1: print(xs[0])
else: print(",".join(xs[(k * (len(xs) - 1) + (n - 1) // 2) // (n - 1)] for k in range(n)))' "$n" "$@"
}

# bench_tcp_listeners PORT: the lab's TCP name listeners on every node, started once per lab
# (they outlive the repetitions; the lab's cleanup stops them).
bench_tcp_listeners() {
  [ -f "$(lab_node_dir 1)/tcp-name.pid" ] || lab_tcp_listeners_start "${1:?port}"
}

# bench_state_log I: the file node I's daemon logs its state changes to (keepalived: its log;
# xvrrpd: its events file, which a restarted xvrrpd appends to).
bench_state_log() {
  local i=${1:?node} dir f
  dir=$(lab_node_dir "$i")
  case $(cat "$dir/kind") in
    keepalived) echo "$dir/daemon.log" ;;
    xvrrpd)
      for f in "$dir"/run/*.events.jsonl; do [ -f "$f" ] && { echo "$f"; return; }; done
      echo "$dir/run/none.events.jsonl"
      ;;
  esac
}
# bench_state_offsets: every node's state log size now, node 1 first (a window's start).
bench_state_offsets() {
  local i f
  for ((i = 1; i <= LAB_NODES; i++)); do
    f=$(bench_state_log "$i")
    printf '%s ' "$(stat -c %s "$f" 2>/dev/null || echo 0)"
  done
}
# bench_state_changes I OFFSETS [KEY]: the real state changes node I logged since OFFSETS (a
# bench_state_offsets line): entries whose new state differs from the group's state before, so a
# restarted xvrrpd resuming its groups as MASTER counts none (analyze.py changes). With KEY,
# records KEY_first_event_ns too.
bench_state_changes() {
  local i=${1:?node} key=${3:-} f k v changes=""
  local -a offs
  read -r -a offs <<<"${2:?offsets}"
  f=$(bench_state_log "$i")
  [ -f "$f" ] || { echo 0; return; }
  while IFS=$'\t' read -r k v; do
    case $k in
      changes) changes=$v ;;
      first_event_ns) [ -n "$key" ] && bench_fact "${key}_first_event_ns" "$v" ;;
    esac
  done < <(bench_analyze changes "$(cat "$(lab_node_dir "$i")/kind")" "$f" "${offs[$((i - 1))]:-0}")
  echo "${changes:-null}"
}

# bench_masters_by_node: "n<i> COUNT" of groups whose VIPs node i holds right now (address
# snapshot, works for both kinds), plus "split COUNT" and "none COUNT".
bench_masters_by_node() {
  local n vrid vips vip h holder
  declare -A count=()
  lab__snapshot
  while read -r n vrid vips; do
    holder=""
    for vip in ${vips//,/ }; do
      h=${LAB_HELD[$vip]:-none}
      [[ $h == *" "* ]] && h="split"
      if [ -z "$holder" ]; then holder=$h; elif [ "$holder" != "$h" ]; then holder="split"; fi
    done
    count[$holder]=$((${count[$holder]:-0} + 1))
  done < <(bench_groups)
  for h in "${!count[@]}"; do echo "$h ${count[$h]}"; done | sort
}

# bench_masters_fact PREFIX [MASTERS]: records PREFIX_masters as a JSON object {"n1": 127,
# "split": 0, ...}, of a bench_masters_by_node output taken already (MASTERS) or taken now.
bench_masters_fact() {
  local json masters=${2:-}
  [ -n "$masters" ] || masters=$(bench_masters_by_node)
  json=$(awk 'BEGIN { printf "{" } { printf "%s\"%s\": %d", (NR > 1 ? ", " : ""), $1, $2 } END { printf "}" }' <<<"$masters")
  bench_fact "${1:?prefix}_masters" "$json"
}

# bench_busiest_master: the node (index) holding the most groups right now.
bench_busiest_master() {
  bench_masters_by_node | awk '$1 ~ /^n[0-9]+$/ && $2 > best { best = $2; node = substr($1, 2) } END { print node }'
}

# bench_cluster_start KIND: starts KIND on every node with BENCH_ENV; marks "start".
# The client's probe runs on the last CPU at normal priority (BENCH_PIN=0 leaves it as the lab
# has it: SCHED_FIFO, any CPU). A real client is not on the nodes' CPUs, and as SCHED_FIFO (its
# softirq work also runs every node's XDP for its requests) it held daemons that woke on its CPU
# while the other CPU idled: 68 ms of run-queue wait in the 0.3 s after a pull, their master-down
# timers served 8-23 ms late (bench/README.md, S2). At normal priority a waking daemon preempts it.
# The daemons keep every CPU: three of them pinned to one CPU flapped and killed keepalived's child.
bench_pinning() {
  local n
  n=$(nproc)
  if [ "${BENCH_PIN:-1}" = 1 ] && [ "$n" -ge 2 ]; then
    export LAB_PROBE_CPUS=$((n - 1)) LAB_PROBE_RT_PRIORITY=${LAB_PROBE_RT_PRIORITY:-0}
  fi
}
bench_pinning

bench_cluster_start() {
  local kind=${1:?kind} i pid
  lab_mark start
  for ((i = 1; i <= LAB_NODES; i++)); do lab_start_node "$i" "$kind" "${BENCH_ENV[@]}"; done
  # BENCH_RT_PRIORITY=N (an experiment, not the default): every daemon process SCHED_FIFO N, to
  # tell scheduling latency on the busy machine apart from the daemon's own behaviour.
  if [ -n "${BENCH_RT_PRIORITY:-}" ]; then
    sleep 0.5  # keepalived forks its VRRP child at start
    for ((i = 1; i <= LAB_NODES; i++)); do
      for pid in $(pgrep -g "$(lab_node_pid "$i")"); do chrt -a -f -p "$BENCH_RT_PRIORITY" "$pid" >/dev/null || true; done
    done
  fi
}

# bench_cluster_stop: stops every node (SIGTERM, then SIGKILL of the group if it lingers: a
# keepalived removing 65,536 addresses one by one can take a long time and is not measured).
bench_cluster_stop() {
  local i pid
  for ((i = 1; i <= LAB_NODES; i++)); do
    pid=$(lab_node_pid "$i") || continue
    [ -n "$pid" ] || continue
    kill -TERM "$pid" 2>/dev/null || true
  done
  for ((i = 1; i <= LAB_NODES; i++)); do
    pid=$(lab_node_pid "$i") || continue
    [ -n "$pid" ] || continue
    if ! lab__wait_exit "$pid" 15; then
      kill -KILL -- "-$pid" 2>/dev/null || true
      lab__wait_exit "$pid" 5 || true
    fi
    rm -f "$(lab_node_dir "$i")/daemon.pid"
  done
}

# bench_save_logs: copies every node's daemon log (and xvrrpd's events file) into the repetition
# directory, then truncates them so the next repetition's counts start from zero.
bench_save_logs() {
  local i dir
  for ((i = 1; i <= LAB_NODES; i++)); do
    dir=$(lab_node_dir "$i")
    [ -f "$dir/daemon.log" ] && cp "$dir/daemon.log" "$BENCH_REP_DIR/n$i-daemon.log" && : >"$dir/daemon.log"
    [ -f "$dir/keepalived.conf" ] && cp "$dir/keepalived.conf" "$BENCH_REP_DIR/n$i-keepalived.conf"
    if compgen -G "$dir/run/*.events.jsonl*" >/dev/null; then
      cat "$dir"/run/*.events.jsonl* >"$BENCH_REP_DIR/n$i-events.jsonl"
      rm -f "$dir"/run/*.events.jsonl*
    fi
  done
  cp "$LAB_DIR/marks" "$BENCH_REP_DIR/marks"
}

# bench_probe NAME ARGS...: lab_probe_start with the timeline CSV kept in the repetition dir.
bench_probe_start() {
  local name=${1:?name}
  shift
  lab_probe_start "$name" --timeline "$BENCH_REP_DIR/$name-timeline.csv" "$@"
}
bench_probe_stop() {
  local name=${1:?name}
  lab_probe_stop "$name"
  cp "$(lab_probe_json "$name")" "$BENCH_REP_DIR/$name.json"
}

# bench_analyze SUBCOMMAND ARGS...: bench/lib/analyze.py on this repetition's files.
bench_analyze() { "$LAB_PY" "$BENCH_LIB_DIR/analyze.py" "$@"; }

# bench_gap_facts PROBE MARK PREFIX [--vips V,V]: records the probe's gaps around MARK as facts
# PREFIX_* (worst gap, per-VIP gaps, splits after the mark): see analyze.py gaps.
bench_gap_facts() {
  local probe=${1:?probe} mark=${2:?mark} prefix=${3:?prefix}
  shift 3
  local key value
  while IFS=$'\t' read -r key value; do
    bench_fact "${prefix}_$key" "$value"
  done < <(bench_analyze gaps "$BENCH_REP_DIR/$probe.json" "$LAB_DIR/marks" "$mark" "$@")
}

# bench_mdi_ms PRIORITY: Master_Down_Interval of BENCH_ENV's version and interval for PRIORITY.
bench_mdi_ms() {
  lab_master_down_ms "$(bench_get XVRRP_VRRP_VERSION 2)" "$(bench_get XVRRP_ADVERT_INTERVAL 1)" "${1:?priority}"
}

# bench_node_priority I GROUP: node I's priority for GROUP as configured in this run. keepalived:
# its generated keepalived.conf; xvrrpd: the priority in its latest state change of that group
# (events file), which is the running election's, random backup part included.
bench_node_priority() {
  local i=${1:?node} group=${2:?group} dir
  dir=$(lab_node_dir "$i")
  case $(cat "$dir/kind") in
    keepalived) lab_node_priority "$i" "$group" ;;
    xvrrpd)
      local name
      name="$(lab_scrub "$(bench_get OPENSHIFT_HA_CONFIG_NAME OpenShift-IPFailover)")_VIP_$group"
      cat "$dir"/run/*.events.jsonl* 2>/dev/null | "$LAB_PY" -c '
import json, sys
want, prio = sys.argv[1], ""
for line in sys.stdin:
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("instance") == want:
        prio = e.get("priority", prio)
print(prio)' "$name"
      ;;
  esac
}

# bench_priorities_of_node I: "GROUP PRIORITY" lines, node I's priority for every group it has
# configured (keepalived: keepalived.conf) or reported (xvrrpd: its latest state change per
# group in the events file, so the random backup part drawn at start is included).
bench_priorities_of_node() {
  local i=${1:?node} dir
  dir=$(lab_node_dir "$i")
  case $(cat "$dir/kind") in
    keepalived)
      awk '$1 == "vrrp_instance" { n = $2; sub(/.*_VIP_/, "", n) }
           $1 == "priority" && n != "" { print n, $2; n = "" }' "$dir/keepalived.conf"
      ;;
    xvrrpd)
      cat "$dir"/run/*.events.jsonl* 2>/dev/null | awk '
        match($0, /"instance":"[^"]*_VIP_[0-9]+"/) {
          s = substr($0, RSTART, RLENGTH); sub(/.*_VIP_/, "", s); sub(/"$/, "", s)
          if (match($0, /"priority":[0-9]+/)) { p = substr($0, RSTART + 11, RLENGTH - 11); last[s] = p }
        }
        END { for (g in last) print g, last[g] }' | sort -n
      ;;
  esac
}

# bench_mdi_file FILE [PROBE_JSON]: "VIP MDI_MS" per VIP, the Master_Down_Interval of the node holding the
# VIP's group right now (the node that took it over, after a failover). One awk for all groups:
# a process per group costs seconds on a loaded machine.
bench_mdi_file() {
  local file=${1:?file} probe=${2:-} i n vrid vips holder vip name
  local -A answerer=()
  # Optional probe JSON: a group whose first VIP the kernel does not hold on exactly one node yet
  # (S3: adding 32,768 addresses takes it about 40 s) takes the node that answered it last.
  if [ -n "$probe" ]; then
    while read -r vip name; do answerer[$vip]=$name; done < <("$LAB_PY" -c '
import json, sys
for v in json.load(open(sys.argv[1]))["vips"]:
    runs = v["arp"]["runs"]
    if runs: print(v["vip"], runs[-1]["name"])' "$probe")
  fi
  {
    for ((i = 1; i <= LAB_NODES; i++)); do bench_priorities_of_node "$i" | sed "s/^/P n$i /"; done
    lab__snapshot
    while read -r n vrid vips; do
      holder=${LAB_HELD[${vips%%,*}]:-}
      [[ $holder =~ ^n[0-9]+$ ]] || holder=${answerer[${vips%%,*}]:-}
      [[ $holder =~ ^n[0-9]+$ ]] && echo "G $n $holder $vips"
    done < <(bench_groups)
  } | awk -v v="$(bench_get XVRRP_VRRP_VERSION 2)" -v adv="$(bench_get XVRRP_ADVERT_INTERVAL 1)" '
    # RFC 3768 / RFC 5798 section 6.1, as lab_master_down_ms.
    $1 == "P" { prio[$2 ":" $3] = $4; next }
    $1 == "G" && (($3 ":" $2) in prio) {
      p = prio[$3 ":" $2]
      mdi = (3 * adv + (256 - p) / 256 * (v == 2 ? 1.0 : adv)) * 1000
      n = split($4, vip, ",")
      for (k = 1; k <= n; k++) printf "%s %.3f\n", vip[k], mdi
    }' >"$file"
}

# bench_flush_vips: removes every address but the node's own from every node's interface, after
# the daemons are gone (a keepalived killed while removing 65,536 VIPs leaves the rest behind, and
# the next repetition must start from a clean interface).
bench_flush_vips() {
  local i ns
  for ((i = 1; i <= LAB_NODES; i++)); do
    ns=$(lab_node_ns "$i")
    ip -n "$ns" addr flush dev "${LAB_IF:-eth0}" scope global
    ip -n "$ns" addr add "$(lab_node_ip "$i")/24" dev "${LAB_IF:-eth0}"
  done
}

# bench_single_holder VIP TIMEOUT_S: prints the index of the one node holding VIP, waiting up to
# TIMEOUT_S for a moment when exactly one does (a flapping cluster may never offer one: fails).
bench_single_holder() {
  local vip=${1:?vip} timeout=${2:?timeout} deadline h
  deadline=$(($(date +%s%N) + timeout * 1000000000))
  while :; do
    h=$(lab_vip_holders "$vip")
    [[ $h =~ ^n[0-9]+$ ]] && { echo "${h#n}"; return 0; }
    [ "$(date +%s%N)" -lt "$deadline" ] || return 1
    sleep 0.05
  done
}

# bench_pull I: pulls node I's cable, with a mark just BEFORE the command ("pull_cmd_n<I>"): on a
# loaded machine `ip link set down` can take hundreds of ms to return, so the lab's own mark
# (written after it) can land after the failover already happened. Gaps are taken from this mark.
bench_pull() {
  lab_mark "pull_cmd_n${1:?node}"
  lab_cable_pull "$1"
}

# bench_deaths: daemon processes that died so far, all nodes. keepalived respawns a VRRP child
# the kernel killed (RLIMIT_RTTIME after keepalived raised itself to realtime priority when its
# timers ran late: "VRRP child process(N) died: Respawning", then "Restart of VRRP process
# delayed 60 seconds"); xvrrpd is one process, counted when it is no longer running.
bench_deaths() {
  local i total=0 dir
  for ((i = 1; i <= LAB_NODES; i++)); do
    dir=$(lab_node_dir "$i")
    case $(cat "$dir/kind") in
      keepalived) total=$((total + $(grep -c 'child process.*died' "$dir/daemon.log" 2>/dev/null || true))) ;;
      xvrrpd) lab_node_running "$i" || total=$((total + 1)) ;;
    esac
  done
  echo "$total"
}

# bench_link_drops: frames the lab's veth links dropped so far (TX dropped of every node's
# interface and every bridge port: a veth whose peer runs XDP hands frames to the peer's 256-entry
# ring and drops them when it is full, i.e. when the peer's softirq has not run for a while).
bench_link_drops() {
  local i
  {
    ip -n "$(lab_bridge_ns)" -s -j link
    for ((i = 1; i <= LAB_NODES; i++)); do ip -n "$(lab_node_ns "$i")" -s -j link; done
  } | "$LAB_PY" -c '
import json, sys
total = 0
for line in sys.stdin:
    for link in json.loads(line):
        if link["ifname"] != "lo":
            total += link["stats64"]["tx"]["dropped"]
print(total)'
}

# bench_run_wait_ns I: nanoseconds node I's daemon threads (every process of its group, keepalived's
# children too) have spent runnable but waiting for a CPU since they started (/proc/PID/task/TID/
# schedstat, second field). Its growth over a window tells a daemon's late wake-ups caused by a
# busy machine apart from its own work.
bench_run_wait_ns() {
  local pid f total=0 cpu wait rest
  for pid in $(pgrep -g "$(lab_node_pid "${1:?node}")" 2>/dev/null); do
    for f in /proc/"$pid"/task/*/schedstat; do
      read -r cpu wait rest <"$f" 2>/dev/null || continue
      total=$((total + wait))
    done
  done
  echo "$total"
}
# bench_run_waits: every node's bench_run_wait_ns, node 1 first, space-separated.
bench_run_waits() {
  local i
  for ((i = 1; i <= LAB_NODES; i++)); do printf '%s ' "$(bench_run_wait_ns "$i")"; done
}
# bench_run_wait_max_ms BEFORE [SKIP_NODE]: the most any node (but SKIP_NODE) waited for a CPU
# since BEFORE (a bench_run_waits line), in ms.
bench_run_wait_max_ms() {
  local -a before now
  local i d max=0
  read -r -a before <<<"$1"
  read -r -a now <<<"$(bench_run_waits)"
  for ((i = 0; i < ${#now[@]}; i++)); do
    [ "$((i + 1))" = "${2:-0}" ] && continue
    d=$((now[i] - before[i]))
    [ "$d" -gt "$max" ] && max=$d
  done
  lab_calc "$max / 1000000"
}

# bench_lab_tune: turns off bridge netfilter in the lab's bridge namespace. When br_netfilter is
# loaded on the host (container runtimes load it), every bridged frame also walks iptables, and
# on veth that work runs inline in the SENDING process's sendmsg: profiled at ~18 % of a
# master's process CPU in S2. The same for both daemons, but it is the lab's cost, not theirs.
bench_lab_tune() {
  local key
  for key in bridge-nf-call-iptables bridge-nf-call-ip6tables bridge-nf-call-arptables; do
    ip netns exec "$(lab_bridge_ns)" sysctl -qw "net.bridge.$key=0" 2>/dev/null || true
  done
}
