#!/usr/bin/env bash
# Runs the real xvrrpd with bad environments: each must exit 2 with ONE stderr line
#   xvrrpd: VARIABLE="value": what is accepted
# and print nothing on stdout. Then checks the good paths (--check-config text and JSON,
# --list-env against docs/configuration.md, --env-file, --version).
# Usage: bad_env_test.sh PATH/TO/xvrrpd SOURCE_DIR
set -uo pipefail
bin=${1:?xvrrpd binary}
src=${2:?source dir}
[ -x "$bin" ] || { echo "FAIL: $bin is not an executable (build the xvrrpd target)"; exit 1; }
command -v python3 >/dev/null || { echo "FAIL: python3 is needed to check the JSON output"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

printf '#!/bin/sh\nexit 0\n' >"$tmp/ok.sh"; chmod 755 "$tmp/ok.sh"
printf '#!/bin/sh\nexit 0\n' >"$tmp/noexec.sh"; chmod 644 "$tmp/noexec.sh"
vips=OPENSHIFT_HA_VIRTUAL_IPS=192.0.2.101-104

# expect_bad VARIABLE [--node-ip ADDR ...] -- VAR=VALUE...
expect_bad() {
    local var=$1; shift
    local args=()
    while [ "$1" != -- ]; do args+=("$1"); shift; done
    shift
    env -i PATH=/usr/bin:/bin "$@" "$bin" --check-config "${args[@]}" >"$tmp/out" 2>"$tmp/err"
    local rc=$? lines
    lines=$(wc -l <"$tmp/err")
    if [ "$rc" -ne 2 ]; then fail "$* -> exit $rc, want 2"; return; fi
    if [ "$lines" -ne 1 ]; then fail "$* -> $lines stderr lines, want 1: $(cat "$tmp/err")"; return; fi
    if ! grep -q "^xvrrpd: ${var}=\"" "$tmp/err"; then fail "$* -> message does not start with xvrrpd: ${var}=\": $(cat "$tmp/err")"; return; fi
    if [ -s "$tmp/out" ]; then fail "$* -> printed a plan on stdout"; return; fi
    echo "ok: $(cat "$tmp/err")"
}

n=(--node-ip 192.0.2.11 --)
expect_bad OPENSHIFT_HA_VIRTUAL_IPS "${n[@]}"
expect_bad OPENSHIFT_HA_VIRTUAL_IPS "${n[@]}" OPENSHIFT_HA_VIRTUAL_IPS=1.2.3.4/24
expect_bad OPENSHIFT_HA_VIRTUAL_IPS "${n[@]}" OPENSHIFT_HA_VIRTUAL_IPS=1.2.3.6-4
expect_bad OPENSHIFT_HA_VIRTUAL_IPS "${n[@]}" OPENSHIFT_HA_VIRTUAL_IPS=1.2.3.4,,1.2.3.5
expect_bad OPENSHIFT_HA_VIRTUAL_IPS "${n[@]}" OPENSHIFT_HA_VIRTUAL_IPS=1.2.3.4-1.2.4.5
expect_bad OPENSHIFT_HA_VIRTUAL_IPS "${n[@]}" OPENSHIFT_HA_VIRTUAL_IPS=1.2.3.4,1.2.3.4
expect_bad OPENSHIFT_HA_VIP_GROUPS "${n[@]}" $vips OPENSHIFT_HA_VIP_GROUPS=three
expect_bad OPENSHIFT_HA_VRRP_ID_OFFSET "${n[@]}" $vips OPENSHIFT_HA_VRRP_ID_OFFSET=256
expect_bad OPENSHIFT_HA_VRRP_ID_OFFSET "${n[@]}" $vips OPENSHIFT_HA_VRRP_ID_OFFSET=253
expect_bad HA_EXCLUDED_VRRP_IDS "${n[@]}" $vips HA_EXCLUDED_VRRP_IDS="12 x"
expect_bad OPENSHIFT_HA_NETWORK_INTERFACE "${n[@]}" $vips OPENSHIFT_HA_NETWORK_INTERFACE=a/b
expect_bad OPENSHIFT_HA_MONITOR_PORT "${n[@]}" $vips OPENSHIFT_HA_MONITOR_PORT=70000
expect_bad OPENSHIFT_HA_CHECK_SCRIPT "${n[@]}" $vips OPENSHIFT_HA_CHECK_SCRIPT="$tmp/missing.sh"
expect_bad OPENSHIFT_HA_CHECK_SCRIPT "${n[@]}" $vips OPENSHIFT_HA_CHECK_SCRIPT=check.sh
expect_bad OPENSHIFT_HA_CHECK_INTERVAL "${n[@]}" $vips OPENSHIFT_HA_CHECK_INTERVAL=0
expect_bad OPENSHIFT_HA_NOTIFY_SCRIPT "${n[@]}" $vips OPENSHIFT_HA_NOTIFY_SCRIPT="$tmp/noexec.sh"
expect_bad OPENSHIFT_HA_NOTIFY_SCRIPT "${n[@]}" $vips OPENSHIFT_HA_NOTIFY_SCRIPT="$tmp"
expect_bad OPENSHIFT_HA_PREEMPTION "${n[@]}" $vips OPENSHIFT_HA_PREEMPTION="preempt_delay 5m"
expect_bad OPENSHIFT_HA_REPLICA_COUNT "${n[@]}" $vips OPENSHIFT_HA_REPLICA_COUNT=0
expect_bad OPENSHIFT_HA_USE_UNICAST "${n[@]}" $vips OPENSHIFT_HA_USE_UNICAST=true
expect_bad OPENSHIFT_HA_UNICAST_PEERS "${n[@]}" $vips OPENSHIFT_HA_UNICAST_PEERS=192.0.2.1,nodeb
expect_bad UNICAST_SOURCE_IPADDRESS "${n[@]}" $vips UNICAST_SOURCE_IPADDRESS=x
expect_bad XVRRP_VRRP_VERSION "${n[@]}" $vips XVRRP_VRRP_VERSION=4
expect_bad XVRRP_ADVERT_INTERVAL "${n[@]}" $vips XVRRP_ADVERT_INTERVAL=0.5
expect_bad XVRRP_ADVERT_INTERVAL "${n[@]}" $vips XVRRP_VRRP_VERSION=3 XVRRP_ADVERT_INTERVAL=0.001
expect_bad XVRRP_V3_CHECKSUM "${n[@]}" $vips XVRRP_V3_CHECKSUM=maybe
expect_bad XVRRP_PRIORITY_SCHEME "${n[@]}" $vips XVRRP_PRIORITY_SCHEME=random
expect_bad XVRRP_RUNTIME_DIR "${n[@]}" $vips XVRRP_RUNTIME_DIR=relative
expect_bad XVRRP_HTTP_ADDR "${n[@]}" $vips XVRRP_HTTP_ADDR=localhost:1
expect_bad XVRRP_LOG_LEVEL "${n[@]}" $vips XVRRP_LOG_LEVEL=loud
expect_bad XVRRP_DATAPLANE "${n[@]}" $vips XVRRP_DATAPLANE=dpdk
expect_bad XVRRP_LOG_FORMAT "${n[@]}" $vips XVRRP_LOG_FORMAT=xml
expect_bad XVRRP_V2_AUTH "${n[@]}" $vips XVRRP_V2_AUTH=md5
expect_bad --node-ip --node-ip 192.0.2 -- $vips
# A VIP that is a node's own address (this node's, or a unicast peer's) is refused by the plan.
expect_bad OPENSHIFT_HA_VIRTUAL_IPS "${n[@]}" OPENSHIFT_HA_VIRTUAL_IPS=192.0.2.101,192.0.2.11
expect_bad OPENSHIFT_HA_VIRTUAL_IPS "${n[@]}" $vips OPENSHIFT_HA_UNICAST_PEERS=192.0.2.11,192.0.2.103
# Without --node-ip the named interface is looked up (read-only) and must exist.
expect_bad OPENSHIFT_HA_NETWORK_INTERFACE -- $vips OPENSHIFT_HA_NETWORK_INTERFACE=xvnope0
printf 'OPENSHIFT_HA_VIRTUAL_IPS=192.0.2.1\nnot a line\n' >"$tmp/bad.env"
expect_bad --env-file --env-file "$tmp/bad.env" -- $vips
expect_bad --env-file --env-file "$tmp/none.env" -- $vips

# Good path, text: the plan names every group, and --check-config creates nothing.
rundir="$tmp/run-must-not-exist"
if env -i PATH=/usr/bin:/bin $vips OPENSHIFT_HA_VRRP_ID_OFFSET=10 HA_EXCLUDED_VRRP_IDS="12 14" \
        OPENSHIFT_HA_NOTIFY_SCRIPT="$tmp/ok.sh" XVRRP_RUNTIME_DIR="$rundir" \
        "$bin" --check-config --node-ip 192.0.2.11 >"$tmp/out" 2>"$tmp/err"; then
    for want in OpenShift_IPFailover_VIP_4 "192.0.2.11 (slot 11)" "$tmp/ok.sh"; do
        grep -qF "$want" "$tmp/out" || fail "text plan lacks '$want'"
    done
    # VRIDs 11, 13, 15, 16 (offset 10, 12 and 14 excluded, the bump carries).
    vrids=$(awk '/_VIP_/ {print $3}' "$tmp/out" | tr '\n' ' ')
    [ "$vrids" = "11 13 15 16 " ] || fail "VRIDs are '$vrids', want '11 13 15 16 '"
    [ -e "$rundir" ] && fail "--check-config created $rundir"
    [ -s "$tmp/err" ] && fail "good config wrote to stderr: $(cat "$tmp/err")"
else
    fail "good config failed: $(cat "$tmp/err")"
fi

# Good path, JSON, settings coming from an env file (quotes stripped, comments skipped).
cat >"$tmp/good.env" <<EOT
# a comment
export OPENSHIFT_HA_VIRTUAL_IPS="192.0.2.101-107"
OPENSHIFT_HA_VIP_GROUPS=3
OPENSHIFT_HA_REPLICA_COUNT='3'
OPENSHIFT_HA_VRRP_ID_OFFSET=0
EOT
if env -i PATH=/usr/bin:/bin "$bin" --check-config --json --node-ip 192.0.2.130 --env-file "$tmp/good.env" >"$tmp/out" 2>"$tmp/err"; then
    python3 - "$tmp/out" <<'PY' || fail "JSON plan is wrong: $(cat "$tmp/out")"
import json, sys
p = json.load(open(sys.argv[1]))
g = p["groups"]
assert [len(x["vips"]) for x in g] == [3, 2, 2], g
assert [x["vrid"] for x in g] == [1, 2, 3], g
# slot 130 % 128 = 2, idx = 2 % 3 + 1 = 3: group 3 is the master group at 255 - 2.
assert g[2]["priority"] == 253 and g[2]["initial_state"] == "MASTER" and g[2]["preempt_delay_cleared"], g[2]
assert all(x["initial_state"] == "BACKUP" and x["preempt_delay_s"] == 300 for x in g[:2]), g
assert all(2 <= x["priority"] <= 33 for x in g[:2]), g
assert p["node_address"] == "192.0.2.130" and p["slot"] == 2
assert p["authentication"] == {"type": "PASS", "key": "OpenShif"}
PY
else
    fail "JSON config failed: $(cat "$tmp/err")"
fi

# The daemon itself (not --check-config) with a bad environment: the error on stderr only, in
# either log format, exit 2; in json one object with time, level and msg.
for format in text json; do
    env -i PATH=/usr/bin:/bin XVRRP_LOG_FORMAT=$format OPENSHIFT_HA_VIRTUAL_IPS=nope "$bin" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -ne 2 ] || [ -s "$tmp/out" ] || [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
        fail "daemon, $format logs, bad VIPs: exit $rc, stdout '$(cat "$tmp/out")', stderr '$(cat "$tmp/err")'"
    elif [ "$format" = json ] && ! python3 -c '
import json, sys
j = json.loads(open(sys.argv[1]).read())
assert list(j)[:3] == ["time", "level", "msg"] and j["level"] == "error" and j["time"].endswith("Z"), j
assert j["msg"].startswith("OPENSHIFT_HA_VIRTUAL_IPS=\"nope\""), j' "$tmp/err"; then
        fail "daemon, json logs: stderr is not one JSON error object: $(cat "$tmp/err")"
    else
        echo "ok: daemon, $format logs: $(cat "$tmp/err")"
    fi
done

# --check-config --diff: 0 for the same plan, 1 and one line per difference, 2 for a bad file.
env -i PATH=/usr/bin:/bin OPENSHIFT_HA_VIRTUAL_IPS=192.0.2.50-53 OPENSHIFT_HA_VIP_GROUPS=2 \
    "$bin" --check-config --json --node-ip 192.0.2.11 >"$tmp/old.json"
env -i PATH=/usr/bin:/bin OPENSHIFT_HA_VIRTUAL_IPS=192.0.2.50-53 OPENSHIFT_HA_VIP_GROUPS=2 \
    "$bin" --check-config --diff "$tmp/old.json" --node-ip 192.0.2.11 >"$tmp/out" 2>&1
[ $? -eq 0 ] && grep -q "the same plan" "$tmp/out" || fail "--diff of the same plan: $(cat "$tmp/out")"
env -i PATH=/usr/bin:/bin OPENSHIFT_HA_VIRTUAL_IPS=192.0.2.50-52,192.0.2.60 OPENSHIFT_HA_VIP_GROUPS=2 XVRRP_VRRP_VERSION=3 \
    "$bin" --check-config --diff "$tmp/old.json" --node-ip 192.0.2.11 >"$tmp/out" 2>&1
rc=$?
if [ "$rc" -ne 1 ] || ! grep -q "vrrp_version: 2 -> 3" "$tmp/out" ||
   ! grep -q "IPv4 VRID 2 (OpenShift_IPFailover_VIP_2): VIPs 2 -> 2, +1 (192.0.2.60), -1 (192.0.2.53)" "$tmp/out"; then
    fail "--diff of a changed plan: exit $rc: $(cat "$tmp/out")"
else
    echo "ok: --diff: $(tr '\n' ' ' <"$tmp/out")"
fi
echo '{"groups": 1' >"$tmp/bad.json"
env -i PATH=/usr/bin:/bin OPENSHIFT_HA_VIRTUAL_IPS=192.0.2.50 "$bin" --check-config --diff "$tmp/bad.json" --node-ip 192.0.2.11 \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && grep -q -- '--diff="' "$tmp/err" && [ ! -s "$tmp/out" ] || fail "--diff of a bad file: exit $rc: $(cat "$tmp/err")"

# --list-env: every accepted name, each documented in docs/configuration.md.
if "$bin" --list-env >"$tmp/vars"; then
    [ "$(wc -l <"$tmp/vars")" -ge 25 ] || fail "--list-env printed only $(wc -l <"$tmp/vars") names"
    grep -qx OPENSHIFT_HA_VIRTUAL_IPS "$tmp/vars" || fail "--list-env lacks OPENSHIFT_HA_VIRTUAL_IPS"
    while read -r v; do
        grep -q "\`$v\`" "$src/docs/configuration.md" || fail "$v is not documented in docs/configuration.md"
    done <"$tmp/vars"
else
    fail "--list-env failed"
fi

"$bin" --version | grep -Eq '^xvrrpd [0-9]+\.[0-9]+\.[0-9]+$' || fail "--version output: $("$bin" --version)"
"$bin" --json >/dev/null 2>&1; [ $? -eq 2 ] || fail "--json without --check-config should exit 2"

if [ "$failures" -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "all CLI checks passed"
