#!/usr/bin/env bash
# Hostile HTTP clients (issue 16): a 3-node xvrrpd cluster of 16 groups x 1,024 VIPs at VRRPv3
# 100 ms adverts (XDP data plane), its VIPs probed over ARP from the client, gets waves of 200
# parallel GET /status on every node's HTTP port for a few seconds. The pages are cached summaries
# and the server caps connections, so the loop that sends adverts and writes the liveness
# heartbeat keeps doing so:
#   - no group changes state on any node (transitions and states as before, per xvrrpctl);
#   - no ARP request is dropped for a stale heartbeat (XDP counters arp_drop_stale/ns_drop_stale);
#   - the probe sees every probed VIP answered throughout, by one node each;
#   - every request got a 200 or a 503 (the cap), none hung past its deadline;
#   - each node rendered its /status a few times for the thousands of requests (cached).
# Then what the network sees: the pages answer on the node's address and not on a VIP (the
# default listen address); /status is bounded (per-group counts, no VIP lists, no config name);
# /status/vips pages at most 1,024 VIPs; HEAD has no body; POST gets 405; /livez and /readyz say 200.
# Usage: http_flood.sh
set -euo pipefail
here=$(dirname "$0")
source "$here/../lab/lab.sh"
source "$here/e2e_lib.sh"

flood_s=${HTTP_FLOOD_SECONDS:-5}
lab_init "http"
lab_up 3
vips=""
for o in $(seq 0 63); do vips+="${vips:+,}198.18.$o.0-255"; done
E2E_ENV=(
  OPENSHIFT_HA_CONFIG_NAME=e2e-http-secret
  OPENSHIFT_HA_VIRTUAL_IPS=$vips
  OPENSHIFT_HA_VIP_GROUPS=16
  OPENSHIFT_HA_VRRP_ID_OFFSET=40
  OPENSHIFT_HA_REPLICA_COUNT=3
  OPENSHIFT_HA_MONITOR_PORT=0
  XVRRP_VRRP_VERSION=3
  XVRRP_ADVERT_INTERVAL=0.1
  XVRRP_VIP_ADDRESSES=off
)
e2e_start xvrrpd

# "G:STATE:TRANSITIONS" words of every node, sorted: equal before and after means no change.
cluster_states() {
  local i
  for i in 1 2 3; do e2e_transitions "$i" | tr ' ' '\n' | sed "s/^/n$i:/"; done | sort
}
# Every group has exactly one MASTER and two BACKUPs across the nodes.
elected() {
  local s
  s=$(cluster_states) || return 1
  [ "$(grep -c ':MASTER:' <<<"$s")" = 16 ] && [ "$(grep -c ':BACKUP:' <<<"$s")" = 32 ]
}
deadline=$((SECONDS + 40))
until elected 2>/dev/null; do
  [ "$SECONDS" -lt "$deadline" ] || { cluster_states >&2; lab_die "no stable election within 40 s"; }
  sleep 0.5
done
e2e_settle
stale_drops() {
  local i n=0
  for i in 1 2 3; do n=$((n + $(e2e_xdp_counter "$i" arp_drop_stale) + $(e2e_xdp_counter "$i" ns_drop_stale))); done
  echo "$n"
}
# "status_renders metrics_renders refused" of node I's HTTP counters (xvrrpctl counters).
http_counters() {
  e2e_ctl "$1" counters | "$LAB_PY" -c '
import json, sys
h = json.load(sys.stdin).get("http")
if h is None:
    sys.exit("FAIL: xvrrpctl counters has no http section")
print(h["status_renders"], h["refused"])'
}
before=$(cluster_states)
stale_before=$(stale_drops)
declare -A renders_before
for i in 1 2 3; do
  c=$(http_counters "$i")  # fails the run (set -e) without the counters
  renders_before[$i]=${c%% *}
done
echo "elected: $(grep -c ':MASTER:' <<<"$before") masters, stale drops so far $stale_before"

# The first VIP of every group, probed over ARP every 10 ms during the flood.
probed=()
for g in $(seq 0 15); do probed+=("198.18.$((g * 4)).0"); done
lab_probe_start flood --interval-ms 10 --vips "$(IFS=,; echo "${probed[*]}")"

fail=0
flood_out="$LAB_DIR/flood.json"
lab_client_exec "$LAB_PY" - "$flood_s" "$(lab_node_ip 1)" "$(lab_node_ip 2)" "$(lab_node_ip 3)" >"$flood_out" <<'EOF'
import asyncio, collections, json, sys, time
seconds, nodes = float(sys.argv[1]), sys.argv[2:]
codes, waves, slowest = collections.Counter(), 0, 0.0

async def one(ip):
    global slowest
    t0 = time.monotonic()
    try:
        r, w = await asyncio.wait_for(asyncio.open_connection(ip, 63000), 10)
        w.write(b"GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = await asyncio.wait_for(r.read(), 10)
        w.close()
        codes[data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/1.1 ") else "garbled"] += 1
    except asyncio.TimeoutError:
        codes["timeout"] += 1
    except OSError as e:
        codes[type(e).__name__] += 1
    slowest = max(slowest, time.monotonic() - t0)

async def main():
    global waves
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        await asyncio.gather(*(one(ip) for ip in nodes for _ in range(200)))
        waves += 1

asyncio.run(main())
print(json.dumps({"codes": codes, "waves": waves, "slowest_s": round(slowest, 3)}))
EOF
e2e_probe_stop flood
after=$(cluster_states)
stale_after=$(stale_drops)
renders=""
for i in 1 2 3; do
  c=$(http_counters "$i")
  r=${c%% *}
  renders+=" n$i:$((r - renders_before[$i]))"
  # The summary is rendered at most once a second while nothing changes state (at most every
  # 20 ms when something does): a few renders for thousands of requests.
  if [ $((r - renders_before[$i])) -gt $(( ${flood_s%.*} + 3 )) ]; then
    echo "FAIL: n$i rendered /status $((r - renders_before[$i])) times in the ${flood_s} s flood: the page is not cached"
    fail=1
  fi
done
echo "renders of /status during the flood:$renders"
echo "flood: $(cat "$flood_out")"

if [ "$before" != "$after" ]; then
  echo "FAIL: state changes during the flood:"
  diff <(echo "$before") <(echo "$after") | grep '^[<>]' | head -20 || true
  fail=1
fi
if [ "$stale_after" != "$stale_before" ]; then
  echo "FAIL: $((stale_after - stale_before)) ARP/NS requests dropped for a stale heartbeat during the flood"
  fail=1
fi
"$LAB_PY" - "$flood_out" <<'EOF' || fail=1
import json, sys
f = json.load(open(sys.argv[1]))
codes = f["codes"]
bad = {k: v for k, v in codes.items() if k not in ("200", "503", "ConnectionResetError")}
if bad or codes.get("200", 0) < 200 or f["waves"] < 1:
    sys.exit(f"FAIL: answers {codes} in {f['waves']} waves (want only 200/503, and at least 200 of 200)")
EOF
lab_probe_check "$(lab_probe_json flood)" --all-answered --no-split --max-gap-ms 200 || fail=1
[ "$fail" = 0 ] || exit 1
e2e_pass "flood: no transition, no stale-heartbeat drop, every probed VIP answered"

# What the network sees, asked from the client.
vip_of_n1=""
for g in $(seq 0 15); do
  if e2e_ctl 1 status --json | "$LAB_PY" -c '
import json, sys
g = json.load(sys.stdin)["groups"][int(sys.argv[1])]
sys.exit(0 if g["state"] == "MASTER" else 1)' "$g"; then vip_of_n1="198.18.$((g * 4)).1"; break; fi
done
[ -n "$vip_of_n1" ] || lab_die "n1 is master of no group"
lab_client_exec "$LAB_PY" - "$(lab_node_ip 1)" "$vip_of_n1" <<'EOF'
import http.client, json, socket, sys
node, vip = sys.argv[1], sys.argv[2]
def ask(method, path, host=node):
    c = http.client.HTTPConnection(host, 63000, timeout=5)
    c.request(method, path)
    r = c.getresponse()
    body = r.read()
    return r.status, dict(r.getheaders()), body
def check(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)
try:
    socket.create_connection((vip, 63000), timeout=2).close()
    sys.exit(f"FAIL: the HTTP port answers on VIP {vip} (n1 is its master): it must listen on the node address only")
except ConnectionRefusedError:
    pass
st, h, body = ask("GET", "/status")
check(st == 200, f"/status: {st}")
check(len(body) < 32 * 1024, f"/status is {len(body)} bytes for 16 groups: not a bounded summary")
text = body.decode()
check("e2e-http" not in text and "e2e_http" not in text, "/status shows the config name (its first 8 bytes are the VRRPv2 key)")
check("198.18.1.1" not in text, "/status lists VIPs")
doc = json.loads(body)
check(len(doc["groups"]) == 16 and all(g["vip_count"] == 1024 for g in doc["groups"]), "/status groups and VIP counts")
g1 = doc["groups"][0]["group"]
st, h, body = ask("GET", f"/status/vips?group={g1}&limit=1024")
page = json.loads(body)
check(st == 200 and len(page["vips"]) == 1024 and page["next_offset"] is None, f"/status/vips limit=1024: {st}")
st, h, body = ask("GET", f"/status/vips?group={g1}&offset=1000&limit=100")
page = json.loads(body)
check(st == 200 and len(page["vips"]) == 24 and page["offset"] == 1000, "/status/vips offset=1000: 24 VIPs")
for q in (f"group={g1}&limit=1025", f"group={g1}&limit=0", f"group={g1}&offset=-1", "limit=10", "group=99", "group=x"):
    st, h, body = ask("GET", f"/status/vips?{q}")
    check(st == 400, f"/status/vips?{q}: {st} {body[:80]!r} (want 400)")
st, h, body = ask("HEAD", "/status")
check(st == 200 and body == b"" and int(h.get("Content-Length", "0")) > 0, f"HEAD /status: {st}, {len(body)} body bytes")
st, h, body = ask("POST", "/status")
check(st == 405 and h.get("Allow") == "GET, HEAD", f"POST /status: {st} {h.get('Allow')}")
for p in ("/healthz", "/livez", "/readyz"):
    st, h, body = ask("GET", p)
    check(st == 200, f"{p}: {st} {body!r}")
print("network view ok")
EOF
e2e_pass "network view: node address only, bounded /status, paged /status/vips, HEAD, 405, /livez, /readyz"
