#!/usr/bin/env python3
"""Self-healing after host changes, with a real xvrrpd in network namespaces (issue 16; ctest
label netns).

- A VIP address or one of our local routes removed by someone else (`ip addr del`, `ip route
  del`) while the group is MASTER is put back within a second, and logged.
- The interface deleted: every group goes to FAULT. Re-created under its name (a new ifindex)
  with the node address: the daemon starts again on it by itself and the groups resume.

The lab is daemon_netns_test.py's, with its own namespace prefix xv<pid>-hc-. Addresses from
192.0.2.0/24 only.

Usage: host_changes_netns_test.py --build-dir BUILD [-k SUBSTRING]
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemon_netns_test as lab  # noqa: E402  (the shared lab: Node, Lab, check, wait_until)

lab.PREFIX = f"xv{os.getpid()}-hc-"


def status(node):
    return json.loads(node.ctl("status", "--json"))


def states(node):
    """Per group, its state, over the control socket (HTTP may have no address to answer on)."""
    return {g["name"]: g["state"] for g in status(node)["groups"]}


def routes(node):
    out = lab.sh(["ip", "-n", node.ns, "route", "show", "table", "local", "proto", "77"]).stdout
    return {line.split()[1] for line in out.splitlines() if line.startswith("local ")}


def master(node, vips, env=None):
    node.start(dict(lab.FAST, OPENSHIFT_HA_VIRTUAL_IPS=vips, **(env or {})))
    lab.wait_until(lambda: set(states(node).values()) == {"MASTER"}, 5, f"{node.name} MASTER")


def test_vip_address_removed_by_someone_is_restored():
    lb = lab.new_lab()
    a = lb.node("a", "192.0.2.1")
    master(a, "192.0.2.80-83", {"OPENSHIFT_HA_VIP_GROUPS": "1"})
    lab.wait_until(lambda: all(a.holds(f"192.0.2.{i}") for i in range(80, 84)), 5, "the four VIPs on eth0")
    lab.sh(f"ip -n {a.ns} addr del 192.0.2.81/32 dev eth0")
    lab.sh(f"ip -n {a.ns} addr del 192.0.2.83/32 dev eth0")
    took = lab.wait_until(lambda: a.holds("192.0.2.81") and a.holds("192.0.2.83"), 1.0, "the removed VIPs back within 1 s")
    print(f"  two VIP addresses removed with ip addr del: back after {took * 1000:.0f} ms")
    lab.check("VIP address(es) missing from eth0 while MASTER" in a.logtext(), "the repair was not logged")
    g = status(a)["groups"][0]
    lab.check(g["state"] == "MASTER" and g["delivery_restored"] == 2, f"group after the repair: {g['state']}, "
              f"delivery_restored {g.get('delivery_restored')}")
    # An address nobody owns (not a VIP of ours) removed: not touched.
    lab.sh(f"ip -n {a.ns} addr add 192.0.2.99/32 dev eth0 && ip -n {a.ns} addr del 192.0.2.99/32 dev eth0")
    time.sleep(0.5)
    lab.check(not a.holds("192.0.2.99"), "an address that is not ours was added back")
    lab.check(a.stop() == 0, "SIGTERM exit status")


def test_local_route_removed_by_someone_is_restored():
    lb = lab.new_lab()
    a = lb.node("a", "192.0.2.1")
    master(a, "192.0.2.64-79", {"OPENSHIFT_HA_VIP_GROUPS": "1", "XVRRP_VIP_ADDRESSES": "off"})
    lab.wait_until(lambda: routes(a) == {"192.0.2.64/28"}, 3, "the group's one local route")
    lab.sh(f"ip -n {a.ns} route del local 192.0.2.64/28 table local proto 77 dev eth0")
    took = lab.wait_until(lambda: routes(a) == {"192.0.2.64/28"}, 1.0, "the local route back within 1 s")
    print(f"  the group's local route removed with ip route del: back after {took * 1000:.0f} ms")
    lab.check("local route(s) missing while MASTER" in a.logtext(), "the repair was not logged")
    lab.check(status(a)["groups"][0]["delivery_restored"] == 1, "delivery_restored not counted")
    lab.check(a.stop() == 0, "SIGTERM exit status")
    lab.check(routes(a) == set(), f"routes left after the stop: {routes(a)}")


def interface_deleted_then_recreated_resumes(args):
    lb = lab.new_lab()
    a = lb.node("a", "192.0.2.1")
    a.start(dict(lab.FAST, OPENSHIFT_HA_VIRTUAL_IPS="192.0.2.70", XVRRP_DATAPLANE="xdp-generic"), args=args)
    lab.wait_until(lambda: set(states(a).values()) == {"MASTER"}, 5, "a MASTER")
    lab.wait_until(lambda: a.holds("192.0.2.70"), 3, "the VIP on eth0")
    pid = a.proc.pid
    lab.sh(f"ip -n {lb.sw} link del p-a")  # takes the namespace's eth0 with it
    lab.wait_until(lambda: set(states(a).values()) == {"FAULT"}, 3, "FAULT once eth0 is gone")
    time.sleep(0.5)
    lab.check(a.proc.poll() is None, f"xvrrpd exited ({a.proc.returncode}) when its interface was deleted")
    lab.check(set(states(a).values()) == {"FAULT"}, f"states with no interface: {states(a)}")
    lab.sh(f"ip -n {lb.sw} link add p-a type veth peer name eth0 netns {a.ns}")
    lab.sh(f"ip -n {lb.sw} link set p-a master br0 up")
    lab.sh(f"ip -n {a.ns} addr add 192.0.2.1/24 dev eth0 && ip -n {a.ns} link set eth0 up")
    took = lab.wait_until(lambda: a.holds("192.0.2.70") and set(states(a).values()) == {"MASTER"}, 10,
                          "MASTER with the VIP on the re-created eth0")
    print(f"  eth0 re-created: MASTER again after {took:.2f} s")
    lab.check(a.proc.pid == pid and a.proc.poll() is None, "the daemon was not the same process")
    lab.check("re-created" in a.logtext() and "starting again on the re-created interface" in a.logtext(),
              "the restart was not logged")
    lab.check(a.stop() == 0, "SIGTERM exit status")
    if "--keep-dataplane" not in args:  # with it a stop leaves the VIP for the next run, on purpose
        lab.check(not a.holds("192.0.2.70"), "the VIP stayed after the stop")


def test_interface_deleted_then_recreated_resumes():
    interface_deleted_then_recreated_resumes([])


def test_interface_deleted_then_recreated_resumes_with_keep_dataplane():
    """As the DaemonSet runs it: the stop before the fresh start keeps the data plane, whose
    program went with the old interface; the new start attaches to the new one."""
    interface_deleted_then_recreated_resumes(["--keep-dataplane"])


TESTS = [test_vip_address_removed_by_someone_is_restored, test_local_route_removed_by_someone_is_restored,
         test_interface_deleted_then_recreated_resumes, test_interface_deleted_then_recreated_resumes_with_keep_dataplane]


if __name__ == "__main__":
    sys.exit(lab.run_suite(TESTS, ("ip",), "the host-change tests"))
