#!/usr/bin/env bash
# xvrrp-probe against answers we control: two lab nodes without any daemon, the VIP added and
# removed by hand, so the kernel's own ARP replies are what the probe must see. Checks that the
# probe reports the right MAC, a gap of the length we made, a split brain when both nodes hold the
# VIP, a VIP nobody holds as never answered, ICMP echo answers, and exit 2 on a bad argument.
# TCP mode beside it: every node runs the lab's name listener, the probe connects to the moved VIP
# every 2 ms and must see n1's name, a gap covering the move, then n2's name.
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

lab_tcp_listeners_start 8080
lab_probe_start self --vips "$vip,$nobody" --icmp --timeline "$LAB_DIR/timeline.csv" \
  --tcp 8080 --tcp-vips "$vip" --tcp-interval-ms 2
sleep 0.3
# Move the VIP: n1 stops answering, n2 starts 150 ms later. Marks before and after each command
# bracket when the gap really started and ended.
lab_mark del_before
ip -n "$(lab_node_ns 1)" addr del "$vip/32" dev eth0
lab_mark del_after
sleep 0.15
lab_mark add_before
ip -n "$(lab_node_ns 2)" addr add "$vip/32" dev eth0
# What a daemon sends on taking a VIP over: the client's neighbour entry still names n1 (an ARP
# reply from another MAC within a second of the last update does not override it; a gratuitous
# ARP does), so without it TCP would keep going to n1.
ip netns exec "$(lab_node_ns 2)" timeout 2 arping -q -U -c 1 -w 0.01 -i eth0 -S "$vip" "$vip" || true
lab_mark add_after
sleep 0.3
# Both hold it: a split brain the probe must report.
lab_mark both
ip -n "$(lab_node_ns 1)" addr add "$vip/32" dev eth0
sleep 0.2
lab_probe_stop self
json=$(lab_probe_json self)

lab_probe_check "$json" --table --answered-by "$vip=n1,n2" --min-gap-ms 140
lab_probe_check "$json" --kind tcp --table --answered-by "$vip=n1,n2" --min-gap-ms 140 --only-vips "$vip"
# The bound must be able to fail: a TCP gap of 140 ms or more is over a 100 ms bound.
if lab_probe_check "$json" --max-tcp-gap-ms 100 >/dev/null; then
  echo "FAIL: --max-tcp-gap-ms 100 passed over a gap of at least 140 ms"; exit 1
fi

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
# TCP: only the VIP asked for is sampled; n1 answered first, then n2 after a gap that covers the
# time nobody held the VIP and ends only once n2 had it.
assert "tcp" not in vips[sys.argv[4]] and "tcp" not in vips["192.0.2.254"], "unsampled VIP has TCP results"
t = v["tcp"]
names = [r["name"] for r in sorted(t["runs"], key=lambda r: r["start_ms"])]
assert names[0] == "n1" and "n2" in names, names
tgap = max(t["gaps"], key=lambda g: g["ms"])
assert tgap["start_ms"] <= marks["del_after"] + 5, (tgap, marks)
assert tgap["end_ms"] >= marks["add_before"], (tgap, marks)
assert t["replies"] > 100 and t["connects"] > t["replies"] and t["timeouts"] > 0, t
assert s["summary"]["tcp_vips"] == 1, s["summary"]
print(f"probe self-test: gap {v['arp']['longest_gap_ms']} ms, {len(splits)} split(s), "
      f"{v['arp']['replies']} ARP and {icmp['replies']} ICMP replies; TCP gap {tgap['ms']} ms "
      f"({tgap['start_ms']}..{tgap['end_ms']}, marks del {marks['del_before']:.1f} add {marks['add_before']:.1f}), "
      f"{t['replies']} of {t['connects']} connections answered, {t['timeouts']} timed out")
PY
grep -q "^$vip,arp,02:58:56:00:00:02,n2," "$LAB_DIR/timeline.csv" || { echo "FAIL: timeline lacks n2's run"; exit 1; }
grep -q "^$vip,tcp,-,n2," "$LAB_DIR/timeline.csv" || { echo "FAIL: timeline lacks n2's TCP run"; exit 1; }
echo "PASS probe_selftest"
