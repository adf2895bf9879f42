# shellcheck shell=bash
# keepalived.conf from the OPENSHIFT_HA_* environment, written the way OpenShift's ipfailover image
# writes it (openshift/images ipfailover/keepalived/lib/config-generators.sh, settings.sh, utils.sh;
# summarised in docs/configuration.md), so interop tests and benchmarks
# configure keepalived and xvrrpd from one environment. Sourced by lab.sh; usable alone:
#   source tests/lab/keepalived_conf.sh
#   OPENSHIFT_HA_VIRTUAL_IPS=198.51.100.1-3 lab_keepalived_conf 192.0.2.1 eth0 42
#
# Deliberate differences from the image, each because the lab needs it:
# - the random part of backup priorities comes from a seed (bash RANDOM seeded), so a run replays;
# - the image's OPENSHIFT_HA_VRRP_ID_OFFSET default has been 10 since 2025; we default to 0 as the
#   reference page and xvrrpd do, so both kinds agree when a test leaves it unset;
# - xvrrp's own extensions XVRRP_VRRP_VERSION (3: `version 3`, no PASS authentication, which VRRPv3
#   dropped, RFC 5798 section 9) and XVRRP_ADVERT_INTERVAL (`advert_int`) map to keepalived so the
#   benchmarks can compare at 10 ms; the image never writes either (keepalived defaults: v2, 1 s).
# - OPENSHIFT_HA_REPLICA_COUNT defaults to 2 (the reference page, and xvrrpd), not the image's 1.

# lab_expand_vips LIST: one address per line; entries comma/space separated, ranges end in the last
# IPv4 octet or IPv6 group ("198.51.100.1-3", "198.51.100.1-198.51.100.3", "2001:db8::1f-21").
lab_expand_vips() {
  local entry first last base n
  for entry in ${1//,/ }; do
    if [[ $entry != *-* ]]; then
      echo "$entry"
    elif [[ $entry == *:* ]]; then
      first=${entry%-*}
      last=${entry#*-}
      last=${last##*:}
      base=${first%:*}
      for ((n = 16#${first##*:}; n <= 16#$last; n++)); do printf '%s:%x\n' "$base" "$n"; done
    else
      first=${entry%-*}
      last=${entry#*-}
      last=${last##*.}
      base=${first%.*}
      for ((n = ${first##*.}; n <= last; n++)); do echo "$base.$n"; done
    fi
  done
}

# lab_scrub NAME: the image's scrub(): keep [A-Za-z0-9_-], then '-' -> '_'.
lab_scrub() {
  local v
  v=$(printf '%s' "$1" | tr -dc 'A-Za-z0-9_-')
  echo "${v//-/_}"
}

# lab_groups: "GROUP VRID VIP,VIP,..." per line from OPENSHIFT_HA_VIRTUAL_IPS, OPENSHIFT_HA_VIP_GROUPS,
# OPENSHIFT_HA_VRRP_ID_OFFSET and (OPENSHIFT_)HA_EXCLUDED_VRRP_IDS: contiguous slices, the first
# n mod g one larger; an excluded VRID bumps the offset and the bump carries on.
lab_groups() {
  local -a vips
  mapfile -t vips < <(lab_expand_vips "${OPENSHIFT_HA_VIRTUAL_IPS:?OPENSHIFT_HA_VIRTUAL_IPS is required}")
  local total=${#vips[@]} groups=${OPENSHIFT_HA_VIP_GROUPS:-0} per=1 mod=0
  local offset=${OPENSHIFT_HA_VRRP_ID_OFFSET:-0}
  local excluded=" ${HA_EXCLUDED_VRRP_IDS:-${OPENSHIFT_HA_EXCLUDED_VRRP_IDS:-}} "
  excluded=${excluded//,/ }
  if [ "$groups" -gt 0 ]; then
    per=$((total / groups))
    mod=$((total % groups))
  fi
  local at=0 n=1 count vrid slice
  while [ "$at" -lt "$total" ]; do
    count=$per
    if [ "$mod" -gt 0 ]; then
      count=$((count + 1))
      mod=$((mod - 1))
    fi
    while [[ $excluded == *" $((offset + n)) "* ]]; do offset=$((offset + 1)); done
    vrid=$((offset + n))
    slice="${vips[*]:at:count}"
    echo "$n $vrid ${slice// /,}"
    at=$((at + count))
    n=$((n + 1))
  done
}

# lab_keepalived_conf NODE_IP IFACE SEED: prints keepalived.conf for this node.
lab_keepalived_conf() {
  local node_ip=${1:?node ip} iface=${2:?iface} seed=${3:-$RANDOM}
  local name=${OPENSHIFT_HA_CONFIG_NAME:-OpenShift-IPFailover}
  local check_name="chk_${name//-/_}"
  local port=${OPENSHIFT_HA_MONITOR_PORT:-80}
  port=${port//[^0-9]/}
  local interval=${OPENSHIFT_HA_CHECK_INTERVAL:-2}
  local preempt=${OPENSHIFT_HA_PREEMPTION:-preempt_delay 300}
  local replicas=${OPENSHIFT_HA_REPLICA_COUNT:-2}
  local version=${XVRRP_VRRP_VERSION:-2}
  [ "$replicas" -gt 0 ] 2>/dev/null || replicas=1

  cat <<EOF
! Configuration File for keepalived (xvrrp lab, as OpenShift's ipfailover image writes it)

global_defs {
   max_auto_priority    99
   notification_email {
     root@localhost
   }

   notification_email_from ipfailover@openshift.local
   smtp_server 127.0.0.1
   smtp_connect_timeout 30
   router_id $(lab_scrub "$name")
}

vrrp_script $check_name {
EOF
  if [ -n "${OPENSHIFT_HA_CHECK_SCRIPT:-}" ]; then
    echo "   script \"$OPENSHIFT_HA_CHECK_SCRIPT\""
  elif [ "$port" = 0 ]; then
    echo "   script \"true\""
  else
    echo "   script \"/bin/bash -c '</dev/tcp/$node_ip/$port'\""
  fi
  echo "   interval $interval"
  echo "}"

  # Priorities: slot = last octet mod 128, idx = slot mod replicas + 1; group n is this node's
  # master group when n mod idx == 0 (255 - slot, or slot + 1 right after another master group);
  # other groups get slot mod 64 + random 0..31.
  local slot=$((${node_ip##*.} % 128))
  local idx=$((slot % replicas + 1))
  local previous=none
  RANDOM=$seed
  local n vrid vips priority type
  while read -r n vrid vips; do
    priority=$((slot % 64 + RANDOM % 32))
    type=slave
    if [ $((n % idx)) -eq 0 ]; then
      # With nopreempt the image writes no `state MASTER` (nopreempt needs a BACKUP start).
      [ "$preempt" = nopreempt ] || type=master
      if [ "$previous" = master ]; then
        priority=$((slot + 1))
        previous=flip-flop
      else
        priority=$((255 - slot))
        previous=$type
      fi
    fi
    echo
    echo "vrrp_instance $(lab_scrub "$name")_VIP_$n {"
    echo "   interface $iface"
    [ "$type" = master ] && echo "   state MASTER"
    echo "   virtual_router_id $vrid"
    echo "   priority $priority"
    echo "   $preempt"
    if [ "$version" = 3 ]; then
      echo "   version 3"
    else
      echo "   authentication {"
      echo "      auth_type PASS"
      echo "      auth_pass $name"
      echo "   }"
    fi
    [ -n "${XVRRP_ADVERT_INTERVAL:-}" ] && echo "   advert_int $XVRRP_ADVERT_INTERVAL"
    echo "   track_script {"
    echo "      $check_name"
    echo "   }"
    [ -n "${OPENSHIFT_HA_NOTIFY_SCRIPT:-}" ] && echo "   notify \"$OPENSHIFT_HA_NOTIFY_SCRIPT\""
    [ -n "${MULTICAST_SOURCE_IPADDRESS:-}" ] && echo "   mcast_src_ip $MULTICAST_SOURCE_IPADDRESS"
    [ -n "${UNICAST_SOURCE_IPADDRESS:-}" ] && echo "   unicast_src_ip $UNICAST_SOURCE_IPADDRESS"
    if [ -n "${OPENSHIFT_HA_UNICAST_PEERS:-}" ]; then
      echo "   unicast_peer {"
      local peer
      for peer in ${OPENSHIFT_HA_UNICAST_PEERS//,/ }; do echo "      $peer"; done
      echo "   }"
    fi
    echo "   virtual_ipaddress {"
    local vip
    for vip in ${vips//,/ }; do echo "      $vip dev $iface"; done
    echo "   }"
    echo "}"
  done < <(lab_groups)
}
