#!/usr/bin/env python3
"""The daemon's HTTP pages as a prober and as the network see them (issue 16; ctest label netns).

- /readyz follows the groups (503 naming FAULT while the check fails or the link is down, 200
  again after), while /healthz keeps its meaning and /livez stays 200: the loop runs and writes
  its heartbeat;
- the pages listen on the node's own address by default, not on loopback or a VIP held by the
  node; XVRRP_HTTP_ADDR moves them;
- /status and /metrics carry no config name (the VRRPv2 key's source), no peers, no VIP lists,
  no script or pin paths; `xvrrpctl status --json` (the control socket) still has all of it.

Uses the lab of daemon_netns_test.py (namespaces LAB_NS_PREFIX, default xv, <pid>-hp-*).
Usage: http_probes_netns_test.py --build-dir BUILD [-k SUBSTRING]
"""
import json
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemon_netns_test as lab  # noqa: E402  (the shared lab: Node, Lab, check, wait_until)

lab.PREFIX = f"{os.environ.get('LAB_NS_PREFIX', 'xv')}{os.getpid()}-hp-"
check, wait_until = lab.check, lab.wait_until
FAST = lab.FAST


def get(node, path, host=None, port=63000, method="GET"):
    """(status, body) of METHOD http://HOST:PORT/PATH asked inside the node's namespace; status
    is "refused" when nothing listens there."""
    code = ("import http.client, json, sys\n"
            "try:\n"
            "    c = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2]), timeout=3)\n"
            "    c.request(sys.argv[4], sys.argv[3])\n"
            "    r = c.getresponse()\n"
            "    print(json.dumps([r.status, r.read().decode()]))\n"
            "except ConnectionRefusedError:\n"
            "    print(json.dumps(['refused', '']))\n")
    r = node.exec([sys.executable, "-c", code, host or node.ip, str(port), path, method])
    return tuple(json.loads(r.stdout))


def test_readyz_follows_fault_healthz_and_livez_do_not():
    lab_ = lab.new_lab()
    a = lab_.node("a", "192.0.2.1")
    d = lab_.tmp
    script = os.path.join(d, "check.sh")
    with open(script, "w") as f:
        f.write(f"#!/bin/sh\n[ -e {d}/healthy ]\n")
    os.chmod(script, 0o755)
    open(os.path.join(d, "healthy"), "w").close()
    a.start(dict(FAST, OPENSHIFT_HA_VIRTUAL_IPS="192.0.2.40-41", OPENSHIFT_HA_VIP_GROUPS="2",
                 OPENSHIFT_HA_CHECK_SCRIPT=script, OPENSHIFT_HA_CHECK_INTERVAL="1"))
    wait_until(lambda: get(a, "/readyz") == (200, "ready\n"), 5, "/readyz 200 once both groups are MASTER")
    check(get(a, "/livez") == (200, "ok\n"), f"/livez: {get(a, '/livez')}")
    os.unlink(os.path.join(d, "healthy"))
    wait_until(lambda: set(a.states().values()) == {"FAULT"}, 3, "every group FAULT after the check fails")
    st, body = get(a, "/readyz")
    check(st == 503 and "2 of 2 groups in FAULT" in body, f"/readyz with both groups in FAULT: {st} {body!r}")
    check(get(a, "/healthz") == (200, "ok\n"), f"/healthz changed its meaning: {get(a, '/healthz')}")
    check(get(a, "/livez") == (200, "ok\n"), f"/livez with the loop running: {get(a, '/livez')}")
    open(os.path.join(d, "healthy"), "w").close()
    wait_until(lambda: get(a, "/readyz")[0] == 200, 4, "/readyz 200 again once the check passes")
    # The link: down is not ready (the pages still answer: they are bound to the node's address).
    lab.sh(f"ip -n {a.ns} link set eth0 down")
    wait_until(lambda: get(a, "/readyz")[0] == 503, 2, "/readyz 503 with the link down")
    st, body = get(a, "/readyz")
    check("down" in body, f"/readyz names the link: {body!r}")
    lab.sh(f"ip -n {a.ns} link set eth0 up")
    wait_until(lambda: get(a, "/readyz")[0] == 200, 5, "/readyz 200 after link up")
    for p in ("/livez", "/readyz", "/healthz"):
        st, body = get(a, p, method="HEAD")
        check(st == 200 and body == "", f"HEAD {p}: {st} {body!r}")


def test_pages_on_the_node_address_only_unless_told():
    lab_ = lab.new_lab()
    a = lab_.node("a", "192.0.2.1")
    env = dict(FAST, OPENSHIFT_HA_VIRTUAL_IPS="192.0.2.50", XVRRP_VIP_ADDRESSES="on")
    a.start(env)
    wait_until(lambda: a.holds("192.0.2.50"), 5, "the VIP on a's interface")
    check(get(a, "/healthz")[0] == 200, "node address")
    check(get(a, "/healthz", host="127.0.0.1")[0] == "refused", "the pages answer on loopback by default")
    check(get(a, "/healthz", host="192.0.2.50")[0] == "refused", "the pages answer on a VIP the node holds")
    log = a.logtext()
    check("HTTP pages on 192.0.2.1:63000" in log, "the start-up log names the listen address")
    a.stop()
    a.start(dict(env, XVRRP_HTTP_ADDR="127.0.0.1:63001"), wait_http=False)
    wait_until(lambda: get(a, "/healthz", host="127.0.0.1", port=63001)[0] == 200, 5, "XVRRP_HTTP_ADDR's address")
    check(get(a, "/healthz", port=63001)[0] == "refused", "XVRRP_HTTP_ADDR=127.0.0.1: the node address answers too")


def test_network_pages_hide_what_only_the_node_needs():
    lab_ = lab.new_lab()
    a, b = lab_.node("a", "192.0.2.1"), lab_.node("b", "192.0.2.2")
    d = lab_.tmp
    script = os.path.join(d, "secret-check-path.sh")
    with open(script, "w") as f:
        f.write("#!/bin/sh\nexit 0\n")
    os.chmod(script, 0o755)
    env = dict(FAST, OPENSHIFT_HA_CONFIG_NAME="Pa55word-ipfailover", OPENSHIFT_HA_VIRTUAL_IPS="192.0.2.60-63",
               OPENSHIFT_HA_VIP_GROUPS="2", OPENSHIFT_HA_UNICAST_PEERS="192.0.2.1,192.0.2.2",
               OPENSHIFT_HA_CHECK_SCRIPT=script, XVRRP_DATAPLANE="xdp")
    a.start(env), b.start(env)
    wait_until(lambda: sorted(s for n in (a, b) for s in n.states().values()) == ["BACKUP", "BACKUP", "MASTER", "MASTER"],
               5, "both groups elected")
    for n in (a, b):
        peer = "192.0.2.2" if n is a else "192.0.2.1"
        mac = json.loads(lab.sh(["ip", "-n", n.ns, "-j", "link", "show", "eth0"]).stdout)[0]["address"]
        for page in ("/status", "/metrics", "/status/vips?group=1"):
            st, body = get(n, page)
            check(st == 200, f"{n.name} {page}: {st}")
            secrets = ["Pa55word", "secret-check-path", "/sys/fs/bpf", mac]
            if page != "/status":
                secrets.append(peer)  # /status names a group's master: what monitoring wants
            for secret in secrets:
                check(secret not in body, f"{n.name} {page} shows {secret!r}")
        st, body = get(n, "/status")
        doc = json.loads(body)
        check("unicast_peers" not in doc and "config_name" not in doc, f"{n.name} /status keys {sorted(doc)}")
        check([g["vip_count"] for g in doc["groups"]] == [2, 2], f"{n.name} /status VIP counts")
        st, body = get(n, "/status/vips?group=2")
        page = json.loads(body)
        check([v["address"] for v in page["vips"]] == ["192.0.2.62", "192.0.2.63"], f"{n.name} /status/vips: {page}")
        check(page["vips"][0]["local"] == (doc["groups"][1]["state"] == "MASTER"), f"{n.name}: local follows MASTER")
        full = json.loads(n.ctl("status", "--json"))
        check(full["config_name"] == "Pa55word-ipfailover" and full["unicast_peers"] and
              all(g["vips"] for g in full["groups"]) and script in full["check"]["describe"],
              f"{n.name}: xvrrpctl status --json lost the operator's details")


def test_metrics_build_process_and_takeover_histogram():
    """/metrics has xvrrp_build_info, the process_* metrics, no label named `counter`, and after a
    takeover one observation in xvrrp_group_takeover_seconds within Master_Down_Interval and a
    margin; /status carries its schema version and calls the transport `transport`."""
    lab_ = lab.new_lab()
    a, b = lab_.node("a", "192.0.2.1"), lab_.node("b", "192.0.2.2")
    env = dict(FAST, OPENSHIFT_HA_VIRTUAL_IPS="192.0.2.45", OPENSHIFT_HA_REPLICA_COUNT="2")
    a.start(env)
    b.start(env)
    wait_until(lambda: sorted(list(a.states().values()) + list(b.states().values())) == ["BACKUP", "MASTER"], 5,
               "one MASTER, one BACKUP")
    master, backup = (a, b) if list(a.states().values()) == ["MASTER"] else (b, a)
    m = lab.parse_metrics(get(backup, "/metrics")[1])
    builds = [labels for (name, labels), v in m.items() if name == "xvrrp_build_info" and v == 1]
    check(len(builds) == 1 and dict(builds[0]).get("version") and dict(builds[0]).get("abi"), f"build info {builds}")
    rss = m.get(("process_resident_memory_bytes", frozenset()))
    fds = m.get(("process_open_fds", frozenset()))
    cpu = m.get(("process_cpu_seconds_total", frozenset()))
    check(rss and 1e6 < rss < 1e9 and fds and 5 <= fds < 1000 and cpu is not None and cpu >= 0, f"process {rss} {fds} {cpu}")
    check(not any(k == "counter" for (_, labels) in m for k, _ in labels), "a label named counter")
    st = json.loads(get(backup, "/status")[1])
    check(st["schema_version"] == 2 and st["transport"] == "multicast" and "mode" not in st, f"status head {st}")
    vrid = str(st["groups"][0]["vrid"])
    g = lambda labels: frozenset({("group", "1"), ("vrid", vrid), *labels})  # noqa: E731
    # The start-up may already have counted one (both nodes start as MASTER-state and one can
    # hear the other before it claims): the kill's takeover is the difference.
    count0 = m.get(("xvrrp_group_takeover_seconds_count", g(())))
    sum0 = m.get(("xvrrp_group_takeover_seconds_sum", g(())))
    inf0 = m.get(("xvrrp_group_takeover_seconds_bucket", g({("le", "+Inf")})))
    small0 = m.get(("xvrrp_group_takeover_seconds_bucket", g({("le", "0.01")})))
    check(count0 is not None and count0 == inf0, f"histogram before the kill: count {count0}, +Inf {inf0}")
    master.stop(signal.SIGKILL)
    wait_until(lambda: list(backup.states().values()) == ["MASTER"], 3, "the backup takes over")
    m = lab.parse_metrics(get(backup, "/metrics")[1])
    count = m.get(("xvrrp_group_takeover_seconds_count", g(()))) - count0
    total = m.get(("xvrrp_group_takeover_seconds_sum", g(()))) - sum0
    mdi = json.loads(backup.ctl("status", "--json"))["groups"][0]["master_down_interval_ms"] / 1000
    print(f"  takeover after SIGKILL of the master: {total * 1000:.0f} ms (Master_Down_Interval {mdi * 1000:.0f} ms)")
    check(count == 1 and mdi * 0.9 <= total <= mdi + 0.2, f"takeover histogram: count {count}, sum {total}, MDI {mdi}")
    check(m.get(("xvrrp_group_takeover_seconds_bucket", g({("le", "+Inf")}))) - inf0 == 1 and
          m.get(("xvrrp_group_takeover_seconds_bucket", g({("le", "0.01")}))) - small0 == 0, "histogram buckets")


TESTS = [test_readyz_follows_fault_healthz_and_livez_do_not, test_pages_on_the_node_address_only_unless_told,
         test_network_pages_hide_what_only_the_node_needs, test_metrics_build_process_and_takeover_histogram]


def main():
    return lab.run_suite(TESTS, ("ip",), "the HTTP probe netns tests")


if __name__ == "__main__":
    sys.exit(main())
