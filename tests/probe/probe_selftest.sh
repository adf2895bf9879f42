#!/usr/bin/env bash
# xvrrp-probe against answers we control: two lab nodes without any daemon, the VIP added and
# removed by hand, so the kernel's own ARP replies are what the probe must see. Checks that the
# probe reports the right MAC, a gap of the length we made, a split brain when both nodes hold the
# VIP, a VIP nobody holds as never answered, ICMP echo answers, and exit 2 on a bad argument.
set -euo pipefail
source "$(dirname "$0")/../lab/lab.sh"

probe="$LAB_BIN_DIR/xvrrp-probe"
rc=0
"$probe" --vips 198.51.100.1-300 --duration 1 >/dev/null 2>"/tmp/probe-bad.$$" || rc=$?
msg=$(cat "/tmp/probe-bad.$$"); rm -f "/tmp/probe-bad.$$"
[ "$rc" = 2 ] || { echo "FAIL: bad VIP list gave exit $rc, expected 2 ($msg)"; exit 1; }
[[ $msg == *"198.51.100.1-300"* ]] || { echo "FAIL: error does not name the entry: $msg"; exit 1; }

lab_init probe
lab_up 2
vip=198.51.100.1
nobody=198.51.100.2
ip -n "$(lab_node_ns 1)" addr add "$vip/32" dev eth0

lab_probe_start self --vips "$vip,$nobody" --icmp --timeline "$LAB_DIR/timeline.csv"
sleep 0.3
# Move the VIP: n1 stops answering, n2 starts 150 ms later. Marks before and after each command
# bracket when the gap really started and ended.
lab_mark del_before
ip -n "$(lab_node_ns 1)" addr del "$vip/32" dev eth0
lab_mark del_after
sleep 0.15
lab_mark add_before
ip -n "$(lab_node_ns 2)" addr add "$vip/32" dev eth0
lab_mark add_after
sleep 0.3
# Both hold it: a split brain the probe must report.
lab_mark both
ip -n "$(lab_node_ns 1)" addr add "$vip/32" dev eth0
sleep 0.2
lab_probe_stop self
json=$(lab_probe_json self)

lab_probe_check "$json" --table --answered-by "$vip=n1,n2" --min-gap-ms 140

# The split must be reported, after the "both" mark, naming both nodes; the VIP nobody holds must be
# reported as never answered; ICMP must have been answered by n1 first.
"$LAB_PY" - "$json" "$LAB_DIR/marks" "$vip" "$nobody" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
marks = {k: (int(ns) - s["start_realtime_ns"]) / 1e6 for k, ns in (l.split() for l in open(sys.argv[2]))}
vips = {v["vip"]: v for v in s["vips"]}
both_ms = marks["both"]
v = vips[sys.argv[3]]
# The measured gap lies where the commands ran (probe interval 1 ms, a few ms of slack for the
# kernel and the mark's own process start).
gap = max(v["arp"]["gaps"], key=lambda g: g["ms"])
assert marks["del_before"] - 5 <= gap["start_ms"] <= marks["del_after"] + 5, (gap, marks)
assert marks["add_before"] - 5 <= gap["end_ms"] <= marks["add_after"] + 10, (gap, marks)
splits = v["arp"]["splits"]
assert splits, "no split reported while n1 and n2 both held the VIP"
assert all(sp["start_ms"] >= both_ms - 1 for sp in splits), f"split before both held it: {splits} (both at {both_ms})"
assert sorted(splits[0]["names"]) == ["n1", "n2"], splits
assert s["summary"]["never_answered"] == [sys.argv[4]], s["summary"]
icmp = v["icmp"]
assert icmp["replies"] > 100, icmp["replies"]
assert icmp["runs"][0]["name"] == "n1", icmp["runs"][0]
assert s["arp_sent"] > 1500 and s["send_shortfall"] == 0, (s["arp_sent"], s["send_shortfall"])
print(f"probe self-test: gap {v['arp']['longest_gap_ms']} ms, {len(splits)} split(s), "
      f"{v['arp']['replies']} ARP and {icmp['replies']} ICMP replies")
PY
grep -q "^$vip,arp,02:58:56:00:00:02,n2," "$LAB_DIR/timeline.csv" || { echo "FAIL: timeline lacks n2's run"; exit 1; }
echo "PASS probe_selftest"
