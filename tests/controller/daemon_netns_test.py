#!/usr/bin/env python3
"""Real xvrrpd daemons in network namespaces (ctest label netns).

Every node is a namespace with eth0 on a bridge in a "switch" namespace; addresses come from
192.0.2.0/24 only. Namespaces are named xv<pid>-d-* (LAB_NS_PREFIX replaces "xv"), and are removed on every exit path (finally
blocks, atexit, SIGTERM/SIGINT handlers), also when a check fails.

Usage: daemon_netns_test.py --build-dir BUILD [-k SUBSTRING]
Exit status 0 only when every selected test passed; a missing tool fails with a message saying so.
"""
import argparse
import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

PREFIX = f"{os.environ.get('LAB_NS_PREFIX', 'xv')}{os.getpid()}-d-"
BUILD = None
FAST = {"XVRRP_VRRP_VERSION": "3", "XVRRP_ADVERT_INTERVAL": "0.1"}  # Master_Down_Interval ~0.3-0.4 s


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def sh(cmd, check_rc=True, **kw):
    r = subprocess.run(cmd, shell=isinstance(cmd, str), capture_output=True, text=True, **kw)
    if check_rc and r.returncode != 0:
        raise Failure(f"command failed ({r.returncode}): {cmd}\n{r.stdout}{r.stderr}")
    return r


def wait_until(pred, timeout, what, step=0.01):
    start = time.monotonic()
    while True:
        v = pred()
        if v:
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise Failure(f"timed out after {timeout:.1f} s waiting for: {what}")
        time.sleep(step)


class Node:
    def __init__(self, lab, name, ip):
        self.lab, self.name, self.ip = lab, name, ip
        self.ns = PREFIX + name
        self.rundir = os.path.join(lab.tmp, name)
        os.makedirs(self.rundir, exist_ok=True)
        self.proc = None
        self.log_path = os.path.join(lab.tmp, f"{name}.log")
        self.env = {}

    def exec(self, cmd, check_rc=True, **kw):
        return sh(["ip", "netns", "exec", self.ns] + cmd, check_rc=check_rc, **kw)

    def start(self, env=None, args=(), wait_http=True):
        e = {
            "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
            "OPENSHIFT_HA_NETWORK_INTERFACE": "eth0",
            "OPENSHIFT_HA_MONITOR_PORT": "0",
            "OPENSHIFT_HA_VRRP_ID_OFFSET": "10",
            "XVRRP_RUNTIME_DIR": self.rundir,
            "XVRRP_LOG_LEVEL": "debug",
            "XVRRP_DATAPLANE": "kernel",
        }
        e.update(env or {})
        self.env = e
        xvrrpd = os.path.join(BUILD, "bin", "xvrrpd")
        # ip netns exec gives a fresh mount namespace without bpffs: mount it for the XDP data plane.
        script = "mount -t bpf bpf /sys/fs/bpf 2>/dev/null; exec " + " ".join([xvrrpd] + list(args))
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(["ip", "netns", "exec", self.ns, "sh", "-c", script], env=e,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        if wait_http:
            wait_until(lambda: self.proc.poll() is not None or self.http("/healthz", quiet=True) == "ok\n", 5,
                       f"{self.name}: xvrrpd answering /healthz")
            check(self.proc.poll() is None, f"{self.name}: xvrrpd exited with {self.proc.returncode}:\n{self.logtext()}")
        return self.proc

    def logtext(self):
        with open(self.log_path) as f:
            return f.read()

    def http(self, path, quiet=False):
        # python3 inside the namespace instead of curl, which install-deps.sh does not install.
        # The pages listen on the node's own address by default (not on loopback or the VIPs).
        fetch = ("import sys,urllib.request\n"
                 "try:\n"
                 f"    sys.stdout.write(urllib.request.urlopen('http://{self.ip}:63000{path}', timeout=2).read().decode())\n"
                 "except Exception as e:\n"
                 "    sys.stderr.write(str(e)); sys.exit(1)\n")
        r = self.exec([sys.executable, "-c", fetch], check_rc=not quiet)
        return r.stdout if r.returncode == 0 else None

    def status(self):
        # The whole document (names, VIP lists) is the control socket's; HTTP /status is a summary.
        return json.loads(self.ctl("status", "--json"))

    def ctl(self, *args):
        return self.exec([os.path.join(BUILD, "bin", "xvrrpctl"), "--runtime-dir", self.rundir] + list(args)).stdout

    def addrs(self):
        out = json.loads(sh(["ip", "-n", self.ns, "-j", "addr", "show", "dev", "eth0"]).stdout)
        return {f"{a['local']}/{a['prefixlen']}" for i in out for a in i.get("addr_info", [])}

    def holds(self, vip):
        return f"{vip}/32" in self.addrs()

    def states(self):
        return {g["name"]: g["state"] for g in self.status()["groups"]}

    def send_signal(self, sig):
        # The daemon is the exec'd child of ip netns exec (same pid after exec).
        os.kill(self.proc.pid, sig)

    def stop(self, sig=signal.SIGTERM, timeout=3):
        if self.proc and self.proc.poll() is None:
            self.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode if self.proc else None
        self.proc = None
        return rc


class Lab:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix=PREFIX)
        self.nodes = []
        self.sw = PREFIX + "sw"
        sh(f"ip netns add {self.sw}")
        sh(f"ip -n {self.sw} link add br0 type bridge && ip -n {self.sw} link set br0 up")

    def node(self, name, ip):
        n = Node(self, name, ip)
        sh(f"ip netns add {n.ns}")
        sh(f"ip -n {n.ns} link set lo up")
        sh(f"ip -n {self.sw} link add p-{name} type veth peer name eth0 netns {n.ns}")
        sh(f"ip -n {self.sw} link set p-{name} master br0 up")
        sh(f"ip -n {n.ns} addr add {ip}/24 dev eth0 && ip -n {n.ns} link set eth0 up")
        self.nodes.append(n)
        return n

    def close(self):
        for n in self.nodes:
            try:
                n.stop(signal.SIGKILL, timeout=2)
            except Exception:
                pass
            sh(f"ip netns del {n.ns}", check_rc=False)
        sh(f"ip netns del {self.sw}", check_rc=False)
        shutil.rmtree(self.tmp, ignore_errors=True)


LABS = []


def cleanup_all():
    while LABS:
        LABS.pop().close()


def new_lab():
    lab = Lab()
    LABS.append(lab)
    return lab


def became_master_at(node, after):
    """Wall-clock time of the node's first MASTER transition after `after`, from its events file:
    the daemon's own timestamp, free of the polling delay of this test under a loaded machine."""
    from datetime import datetime
    path = os.path.join(node.rundir, "OpenShift_IPFailover.events.jsonl")
    for line in open(path):
        ev = json.loads(line)
        t = datetime.strptime(ev["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=__import__("datetime").timezone.utc).timestamp()
        if ev["to"] == "MASTER" and t >= after - 0.002:
            return t
    raise Failure(f"{node.name}: no MASTER transition in {path} after the kill")


def expected_masters(nodes):
    """Per group name: the node with the higher priority (ties: higher address), from each daemon's
    own status (the generator scheme draws random low priorities at every start)."""
    best = {}
    for n in nodes:
        for g in n.status()["groups"]:
            key = (g["priority"], tuple(int(x) for x in n.ip.split(".")))
            if g["name"] not in best or key > best[g["name"]][0]:
                best[g["name"]] = (key, n, g["vips"])
    return {name: (n, vips) for name, (_, n, vips) in best.items()}


def parse_metrics(text):
    """Prometheus text -> {(name, frozenset(labels)): value}; also checks HELP/TYPE precede samples."""
    samples, typed = {}, set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if line.startswith("#") or not line:
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
        check(m, f"malformed metrics line: {line!r}")
        name, labels = m.group(1), frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        base = re.sub(r"_(sum|count|bucket)$", "", name)
        check(name in typed or base in typed, f"sample {name} before its # TYPE line")
        samples[(name, labels)] = float(m.group(4))
    return samples


# ------------------------------------------------------------------------------------------------
# Tests


def test_two_nodes_elect_right_master_metrics_and_ctl():
    """OpenShift defaults (VRRPv2, 1 s): every group ends on the node with the higher priority;
    /metrics agrees; xvrrpctl status --json matches the addresses on the interface."""
    lab = new_lab()
    a, b = lab.node("a", "192.0.2.1"), lab.node("b", "192.0.2.2")
    env = {"OPENSHIFT_HA_VIRTUAL_IPS": "192.0.2.10-13"}
    a.start(env), b.start(env)
    exp = expected_masters([a, b])
    check(len(exp) == 4, f"expected 4 groups, got {sorted(exp)}")

    def settled():
        for name, (n, vips) in exp.items():
            other = b if n is a else a
            if not all(n.holds(v) for v in vips) or any(other.holds(v) for v in vips):
                return False
        return True

    t = wait_until(settled, 10, "every VIP on its expected master only")
    print(f"  settled {t:.2f} s after both daemons answered")
    for n in (a, b):
        st = n.states()
        for name, (m, _) in exp.items():
            check(st[name] == ("MASTER" if m is n else "BACKUP"), f"{n.name}: {name} is {st[name]}")
        text = n.http("/metrics")
        metrics = parse_metrics(text)
        for name, (m, _) in exp.items():
            g = next(g for g in n.status()["groups"] if g["name"] == name)
            # /metrics labels a group by its number: the name starts with the config name.
            group, vrid = str(g["group"]), str(g["vrid"])
            want = "MASTER" if m is n else "BACKUP"
            key = ("xvrrp_group_state", frozenset({("group", group), ("vrid", vrid), ("state", want)}))
            check(metrics.get(key) == 1.0, f"{n.name} /metrics: {key} = {metrics.get(key)}\n{text}")
            sent = metrics.get(("xvrrp_adverts_sent_total", frozenset({("group", group), ("vrid", vrid)})))
            if m is n:
                check(sent and sent >= 1, f"{n.name}: master of {name} sent no adverts per /metrics")
        check(metrics.get(("xvrrp_up", frozenset())) == 1.0, "xvrrp_up is not 1")
        # The election timer: every node has woken for its VRRP timers, each wake-up came from a
        # set timer, and what it served adds up.
        served = metrics.get(("xvrrp_timer_wakeups_total", frozenset({("outcome", "served")})), 0)
        stale = metrics.get(("xvrrp_timer_wakeups_total", frozenset({("outcome", "stale")})), 0)
        arms = metrics.get(("xvrrp_timer_arms_total", frozenset()), 0)
        due = metrics.get(("xvrrp_group_timers_fired_total", frozenset({("when", "due")})), 0)
        early = metrics.get(("xvrrp_group_timers_fired_total", frozenset({("when", "early")})), 0)
        check(served >= 1 and due + early >= served, f"{n.name}: timer metrics served={served} due={due} early={early}")
        check(served + stale <= arms, f"{n.name}: {served + stale} timer wake-ups but the timer was set {arms} times")
        # xvrrpctl status --json against the interface.
        doc = json.loads(n.ctl("status", "--json"))
        held = {v for g in doc["groups"] for v in g["addresses_held"]}
        on_if = {x.split("/")[0] for x in n.addrs() if x.endswith("/32")}
        check(held == on_if, f"{n.name}: xvrrpctl says {sorted(held)}, interface has {sorted(on_if)}")
        masters = {v for g in doc["groups"] if g["state"] == "MASTER" for v in g["vips"]}
        check(masters == on_if, f"{n.name}: MASTER groups' VIPs {sorted(masters)} != interface {sorted(on_if)}")
        table = n.ctl("status")
        check("STATE" in table and "MASTER" in table, f"{n.name}: xvrrpctl status table:\n{table}")
        counters = json.loads(n.ctl("counters"))
        check(counters["adverts_received"] > 0, f"{n.name}: no adverts received per xvrrpctl counters")


def test_sigterm_hands_over_and_leaves_nothing_behind():
    """Master's SIGTERM: priority-0 adverts, the backup takes over within skew time; the stopped
    node exits 0 within one second with no VIP, no nft table and no XDP program left."""
    if not shutil.which("nft"):
        raise Failure("nft is not installed (Debian package nftables): cannot test the firewall rule")
    lab = new_lab()
    a, b = lab.node("a", "192.0.2.1"), lab.node("b", "192.0.2.2")
    env = dict(FAST, OPENSHIFT_HA_VIRTUAL_IPS="192.0.2.20", OPENSHIFT_HA_NFTABLES_RULE="yes", XVRRP_DATAPLANE="xdp-generic")
    a.start(env), b.start(env)
    exp = expected_masters([a, b])
    (name, (m, vips)), = exp.items()
    other = b if m is a else a
    wait_until(lambda: m.holds(vips[0]) and not other.holds(vips[0]), 5, f"{vips[0]} on {m.name} only")
    check("xdp" in sh(f"ip -n {m.ns} link show dev eth0").stdout, f"{m.name}: no XDP program attached while running")
    check(f"xvrrp_" in sh(f"ip netns exec {m.ns} nft list tables").stdout, f"{m.name}: no xvrrp nft table while running")
    t0, wall0 = time.monotonic(), time.time()
    m.send_signal(signal.SIGTERM)
    wait_until(lambda: other.holds(vips[0]), 2, f"{other.name} taking {vips[0]} over")
    took = became_master_at(other, wall0) - wall0
    rc = m.proc.wait(2)
    exited = time.monotonic() - t0
    prio = next(g["priority"] for g in other.status()["groups"])
    skew = (256 - prio) * 0.1 / 256
    print(f"  handover {took * 1000:.0f} ms (skew time {skew * 1000:.0f} ms), stopped daemon exited in {exited * 1000:.0f} ms")
    check(rc == 0, f"{m.name}: exit status {rc} after SIGTERM\n{m.logtext()}")
    check(exited < 1.0, f"{m.name}: took {exited:.2f} s to exit (limit 1 s)")
    check(took < skew + 0.25, f"handover took {took * 1000:.0f} ms, more than skew time {skew * 1000:.0f} ms + 250 ms")
    check(not m.holds(vips[0]), f"{m.name}: {vips[0]} still on the interface")
    check("xvrrp_" not in sh(f"ip netns exec {m.ns} nft list tables").stdout, f"{m.name}: nft table left behind")
    check("xdp" not in sh(f"ip -n {m.ns} link show dev eth0").stdout, f"{m.name}: XDP program left attached")
    check(m.proc is None or True, "")
    m.proc = None


def test_sigkill_takeover_and_stale_cleanup():
    """SIGKILL of the master: the backup takes over after Master_Down_Interval (not before); the
    restarted daemon removes the stale VIP the dead one left on its interface."""
    lab = new_lab()
    a, b = lab.node("a", "192.0.2.1"), lab.node("b", "192.0.2.2")
    env = dict(FAST, OPENSHIFT_HA_VIRTUAL_IPS="192.0.2.30")
    a.start(env), b.start(env)
    (name, (m, vips)), = expected_masters([a, b]).items()
    other = b if m is a else a
    wait_until(lambda: m.holds(vips[0]) and not other.holds(vips[0]), 5, f"{vips[0]} on {m.name} only")
    prio = next(g["priority"] for g in other.status()["groups"])
    mdi = 3 * 0.1 + (256 - prio) * 0.1 / 256
    wall0 = time.time()
    m.send_signal(signal.SIGKILL)
    wait_until(lambda: other.holds(vips[0]), 3, f"{other.name} taking {vips[0]} over")
    took = became_master_at(other, wall0) - wall0
    print(f"  takeover {took * 1000:.0f} ms after SIGKILL (Master_Down_Interval {mdi * 1000:.0f} ms)")
    # The last advert left up to one interval before the kill, so the lower bound gives that back.
    check(took >= mdi - 0.1 - 0.02, f"takeover after {took * 1000:.0f} ms: before Master_Down_Interval")
    check(took <= mdi + 0.25, f"takeover after {took * 1000:.0f} ms: Master_Down_Interval {mdi * 1000:.0f} ms + 250 ms exceeded")
    m.proc.wait(2)
    m.proc = None
    check(m.holds(vips[0]), f"{m.name}: SIGKILL should have left {vips[0]} behind (test premise)")
    # Restart with nopreempt-free defaults: the node may win the group back, but first it must
    # remove what the dead daemon left (logged at start-up).
    m.start(env)
    wait_until(lambda: "stale VIP" in m.logtext(), 3, f"{m.name}: stale VIP clean-up logged")
    check(f"removed 1 stale VIP(s) left by a previous run: {vips[0]}" in m.logtext(), m.logtext())
    wait_until(lambda: m.holds(vips[0]) != other.holds(vips[0]), 3, "exactly one holder after the restart")


def test_backup_absorbs_repeats_and_takes_over_when_they_stop():
    """XDP absorbs the live master's repeated adverts (docs/dataplane.md): the backup reads almost
    none, yet takes over on time when they stop (master frozen), and absorbs again after the
    master comes back and pre-empts it."""
    lab = new_lab()
    a, b = lab.node("a", "192.0.2.1"), lab.node("b", "192.0.2.2")
    env = dict(FAST, OPENSHIFT_HA_VIRTUAL_IPS="192.0.2.31", XVRRP_DATAPLANE="xdp")
    a.start(env), b.start(env)
    (name, (m, vips)), = expected_masters([a, b]).items()
    other = b if m is a else a
    wait_until(lambda: m.holds(vips[0]) and not other.holds(vips[0]), 5, f"{vips[0]} on {m.name} only")
    wait_until(lambda: other.status()["groups"][0]["adverts_absorbed"] >= 10, 3, f"{other.name} absorbing repeats")
    g = other.status()["groups"][0]
    print(f"  backup: {g['adverts_absorbed']} adverts absorbed by XDP, {g['adverts_received']} read")
    check(g["adverts_received"] * 2 <= g["adverts_absorbed"], f"{other.name}: {g} (absorption barely used)")
    check(g["last_advert_ms_ago"] is not None and g["last_advert_ms_ago"] < 250,
          f"{other.name}: last advert {g['last_advert_ms_ago']} ms ago (absorbed ones must count)")
    metrics = parse_metrics(other.http("/metrics"))
    check(metrics.get(("xvrrp_absorbed_repeats_taken_total", frozenset()), 0) >= 1, f"{other.name}: no absorbed repeat taken")
    check(metrics.get(("xvrrp_adverts_absorbed_total", frozenset({("group", str(g["group"])), ("vrid", str(g["vrid"]))})), 0) >= 10,
          f"{other.name}: /metrics absorbed count")
    prio = g["priority"]
    mdi = 3 * 0.1 + (256 - prio) * 0.1 / 256
    wall0 = time.time()
    m.send_signal(signal.SIGSTOP)
    try:
        wait_until(lambda: other.holds(vips[0]), 3, f"{other.name} taking {vips[0]} over")
        took = became_master_at(other, wall0) - wall0
        print(f"  takeover {took * 1000:.0f} ms after the master froze (Master_Down_Interval {mdi * 1000:.0f} ms)")
        check(mdi - 0.12 <= took <= mdi + 0.25, f"takeover after {took * 1000:.0f} ms, Master_Down_Interval {mdi * 1000:.0f} ms")
    finally:
        m.send_signal(signal.SIGCONT)
    # The thawed higher-priority master pre-empts; the backup follows it through absorption again.
    wait_until(lambda: other.states()[name] == "BACKUP" and not other.holds(vips[0]), 3, f"{other.name} back to BACKUP")
    before = other.status()["groups"][0]["adverts_absorbed"]
    wait_until(lambda: other.status()["groups"][0]["adverts_absorbed"] >= before + 5, 3, f"{other.name} absorbing again")
    check(other.states()[name] == "BACKUP", f"{other.name}: {other.states()}")


def test_check_script_fail_hang_and_not_executable():
    lab = new_lab()
    a = lab.node("a", "192.0.2.1")
    d = lab.tmp
    fail = os.path.join(d, "fail.sh")
    with open(fail, "w") as f:
        f.write(f"#!/bin/sh\n[ -e {d}/healthy ]\n")
    os.chmod(fail, 0o755)
    open(os.path.join(d, "healthy"), "w").close()
    env = dict(FAST, OPENSHIFT_HA_VIRTUAL_IPS="192.0.2.40-41", OPENSHIFT_HA_VIP_GROUPS="2",
               OPENSHIFT_HA_CHECK_SCRIPT=fail, OPENSHIFT_HA_CHECK_INTERVAL="1")
    a.start(env)
    wait_until(lambda: set(a.states().values()) == {"MASTER"}, 5, "both groups MASTER while the check passes")
    os.unlink(os.path.join(d, "healthy"))
    t = wait_until(lambda: set(a.states().values()) == {"FAULT"}, 3, "every group FAULT after the check fails")
    check(not a.holds("192.0.2.40") and not a.holds("192.0.2.41"), "VIPs kept in FAULT")
    print(f"  failing check -> FAULT in {t:.2f} s")
    open(os.path.join(d, "healthy"), "w").close()
    wait_until(lambda: set(a.states().values()) == {"MASTER"}, 4, "MASTER again once the check passes")
    a.stop()

    hang = os.path.join(d, "hang.sh")
    with open(hang, "w") as f:
        f.write(f"#!/bin/sh\n[ -e {d}/hang ] && exec sleep 300\nexit 0\n")
    os.chmod(hang, 0o755)
    env["OPENSHIFT_HA_CHECK_SCRIPT"] = hang
    a.start(env)
    wait_until(lambda: set(a.states().values()) == {"MASTER"}, 5, "MASTER with the hanging script not hanging yet")
    open(os.path.join(d, "hang"), "w").close()
    t = wait_until(lambda: set(a.states().values()) == {"FAULT"}, 4, "FAULT once the check hangs past its timeout")
    print(f"  hanging check -> FAULT in {t:.2f} s (timeout = interval = 1 s)")
    time.sleep(0.2)
    # pgrep runs without a shell, so its own command line cannot match.
    left = sh(["pgrep", "-f", "sleep 300"], check_rc=False).stdout.split()
    check(len(left) <= 1, f"hanging check scripts not killed at their timeout: {left}")  # at most the current run
    metrics = parse_metrics(a.http("/metrics"))
    check(metrics.get(("xvrrp_script_timeouts_total", frozenset({("script", "check")})), 0) >= 1, "no check timeout counted")
    a.stop()
    time.sleep(0.1)
    check(sh(["pgrep", "-f", "sleep 300"], check_rc=False).stdout.strip() == "", "a hanging check script outlived the daemon")

    noexec = os.path.join(d, "noexec.sh")
    with open(noexec, "w") as f:
        f.write("#!/bin/sh\nexit 0\n")
    os.chmod(noexec, 0o644)
    env["OPENSHIFT_HA_CHECK_SCRIPT"] = noexec
    p = a.start(env, wait_http=False)
    rc = p.wait(5)
    a.proc = None
    check(rc == 2, f"non-executable check script: exit {rc}, expected 2")
    check("OPENSHIFT_HA_CHECK_SCRIPT" in a.logtext() and "executable" in a.logtext(), a.logtext()[-500:])


def test_notify_script_order_and_hanging_notify():
    lab = new_lab()
    a = lab.node("a", "192.0.2.1")
    d = lab.tmp
    rec = os.path.join(d, "calls")
    notify = os.path.join(d, "notify.sh")
    with open(notify, "w") as f:
        f.write(f"#!/bin/sh\necho \"$@\" >> {rec}\n")
    os.chmod(notify, 0o755)
    env = dict(FAST, OPENSHIFT_HA_VIRTUAL_IPS="192.0.2.50-51", OPENSHIFT_HA_VIP_GROUPS="2", OPENSHIFT_HA_NOTIFY_SCRIPT=notify)
    a.start(env)
    wait_until(lambda: set(a.states().values()) == {"MASTER"}, 5, "both groups MASTER")
    groups = {g["name"]: g["priority"] for g in a.status()["groups"]}
    wait_until(lambda: os.path.exists(rec) and sum(" MASTER " in l for l in open(rec)) == 2, 3, "two MASTER notify calls")
    rc = a.stop()
    check(rc == 0, f"exit {rc}")
    lines = open(rec).read().splitlines()
    for name, prio in groups.items():
        mine = [l for l in lines if l.split()[1] == name]
        check(all(l.split()[0] == "INSTANCE" and len(l.split()) == 4 for l in mine), f"bad notify arguments: {mine}")
        check(all(l.split()[3] == str(prio) for l in mine), f"{name}: priority argument not {prio}: {mine}")
        states = [l.split()[2] for l in mine]
        check("MASTER" in states, f"{name}: no MASTER call: {states}")
        i = states.index("MASTER")
        check(i >= 1 and states[i - 1] == "BACKUP", f"{name}: MASTER not preceded by BACKUP: {states}")
        check(all(s in ("BACKUP", "MASTER", "FAULT", "STOP") for s in states), f"{name}: {states}")
        check(states[-1] in ("MASTER", "STOP"), f"{name}: last call {states[-1]}")
    # A notify script that hangs on MASTER: the loop must not wait for it.
    with open(notify, "w") as f:
        f.write(f"#!/bin/sh\n[ \"$3\" = MASTER ] && exec sleep 301\nexit 0\n")
    a.start(env)
    wait_until(lambda: set(a.states().values()) == {"MASTER"}, 5, "MASTER despite a hanging notify script")
    check(a.http("/healthz") == "ok\n", "/healthz not ok with a notify script hanging")
    check(a.holds("192.0.2.50") and a.holds("192.0.2.51"), "VIPs not added while notify hangs")
    t0 = time.monotonic()
    rc = a.stop()
    # The STOP call waits behind the hanging MASTER one; it gets the check interval (2 s), no more.
    check(rc == 0 and time.monotonic() - t0 < 2.8, f"stop with a hanging notify: exit {rc} after {time.monotonic() - t0:.2f} s")
    time.sleep(0.1)
    check(sh(["pgrep", "-f", "sleep 301"], check_rc=False).stdout.strip() == "", "hanging notify script outlived the daemon")


def test_default_tcp_check_listener_present_and_absent():
    lab = new_lab()
    a = lab.node("a", "192.0.2.1")
    listener = subprocess.Popen(["ip", "netns", "exec", a.ns, "python3", "-c",
                                 "import socket,time;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);"
                                 "s.bind(('192.0.2.1',8080));s.listen(16);time.sleep(600)"])
    try:
        time.sleep(0.3)
        env = dict(FAST, OPENSHIFT_HA_VIRTUAL_IPS="192.0.2.60", OPENSHIFT_HA_MONITOR_PORT="8080", OPENSHIFT_HA_CHECK_INTERVAL="1")
        a.start(env)
        wait_until(lambda: set(a.states().values()) == {"MASTER"}, 5, "MASTER with a listener on the monitor port")
        st = a.status()
        check(st["check"]["passing"] and "connected to 192.0.2.1:8080" in st["check"]["last"], f"check: {st['check']}")
    finally:
        listener.kill()
        listener.wait()
    t = wait_until(lambda: set(a.states().values()) == {"FAULT"}, 4, "FAULT once nothing listens on the monitor port")
    print(f"  listener gone -> FAULT in {t:.2f} s")
    check(not a.holds("192.0.2.60"), "VIP kept in FAULT")


def test_link_down_fault_and_back():
    lab = new_lab()
    a = lab.node("a", "192.0.2.1")
    a.start(dict(FAST, OPENSHIFT_HA_VIRTUAL_IPS="192.0.2.70"))
    wait_until(lambda: set(a.states().values()) == {"MASTER"}, 5, "MASTER")
    follower = subprocess.Popen(["ip", "netns", "exec", a.ns, os.path.join(BUILD, "bin", "xvrrpctl"), "--runtime-dir",
                                 a.rundir, "events", "--follow"], stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.2)  # connected before the change
        sh(f"ip -n {a.ns} link set eth0 down")
        t = wait_until(lambda: set(a.states().values()) == {"FAULT"}, 2, "FAULT after link down")
        print(f"  link down -> FAULT in {t * 1000:.0f} ms")
        ev = json.loads(follower.stdout.readline())
        check(ev["from"] == "MASTER" and ev["to"] == "FAULT" and ev["instance"] == "OpenShift_IPFailover_VIP_1"
              and ("eth0 down" in ev["cause"] or "link down" in ev["cause"]), f"xvrrpctl events --follow gave {ev}")
    finally:
        follower.kill()
        follower.wait()
    sh(f"ip -n {a.ns} link set eth0 up")
    wait_until(lambda: set(a.states().values()) == {"MASTER"}, 5, "MASTER again after link up")
    check(a.holds("192.0.2.70"), "VIP not back after link up")
    check('"to":"FAULT"' in open(os.path.join(a.rundir, "OpenShift_IPFailover.events.jsonl")).read(), "FAULT not in the events file")


def test_unicast_peers_and_non_peer_ignored():
    """a and b list each other; c (priority 253, not in their list) unicasts to them too: they drop
    its adverts as not_a_peer and elect between themselves."""
    lab = new_lab()
    a, b, c = lab.node("a", "192.0.2.1"), lab.node("b", "192.0.2.3"), lab.node("c", "192.0.2.2")
    env = dict(FAST, OPENSHIFT_HA_VIRTUAL_IPS="192.0.2.80", OPENSHIFT_HA_UNICAST_PEERS="192.0.2.1,192.0.2.3")
    a.start(env), b.start(env)
    c.start(env)  # c's own address is not in the list: it sends to a and b, who must ignore it
    vip = "192.0.2.80"
    cprio = c.status()["groups"][0]["priority"]
    check(cprio > max(g["priority"] for n in (a, b) for g in n.status()["groups"]), f"test premise: c priority {cprio} highest")
    # Neither a nor b starts this group as MASTER, so preempt_delay (300 s) keeps whichever of
    # them won first: the point is that exactly one of them holds it and both follow it, not c.
    wait_until(lambda: a.holds(vip) != b.holds(vip), 5, f"{vip} on exactly one of a and b")
    m, other = (a, b) if a.holds(vip) else (b, a)
    wait_until(lambda: other.status()["groups"][0]["master"] == m.ip, 2, f"{other.name} following {m.name}")
    vips = [vip]
    time.sleep(0.5)
    check(m.holds(vips[0]) and not other.holds(vips[0]), "unicast election unstable")
    for n in (a, b):
        g = n.status()["groups"][0]
        check(g["master"] == m.ip, f"{n.name}: master {g['master']}, expected {m.ip} (c must be ignored)")
        metrics = parse_metrics(n.http("/metrics"))
        drops = metrics.get(("xvrrp_adverts_dropped_total", frozenset({("reason", "not_a_peer")})), 0)
        check(drops > 0, f"{n.name}: no advert dropped as not_a_peer")
    check(other.status()["groups"][0]["adverts_received"] > 0, "the backup peer received no unicast adverts")


def test_sighup_reload_and_sighup_without_env_file():
    """SIGHUP with --env-file: a new group starts, a removed one stops, unchanged ones are not
    touched (no transition, VIP never leaves). Without --env-file SIGHUP stops like SIGTERM."""
    lab = new_lab()
    a = lab.node("a", "192.0.2.1")
    envfile = os.path.join(lab.tmp, "env")
    with open(envfile, "w") as f:
        f.write("OPENSHIFT_HA_VIRTUAL_IPS=192.0.2.90-91\n")
    a.start(dict(FAST), args=["--env-file", envfile])
    wait_until(lambda: a.states() == {"OpenShift_IPFailover_VIP_1": "MASTER", "OpenShift_IPFailover_VIP_2": "MASTER"}, 5,
               "two groups MASTER")
    before = {g["name"]: g["transitions"] for g in a.status()["groups"]}
    with open(envfile, "w") as f:
        f.write("OPENSHIFT_HA_VIRTUAL_IPS=192.0.2.90-92\n")
    a.send_signal(signal.SIGHUP)
    wait_until(lambda: a.states().get("OpenShift_IPFailover_VIP_3") == "MASTER" and a.holds("192.0.2.92"), 5,
               "the new group 3 MASTER with its VIP")
    after = {g["name"]: g["transitions"] for g in a.status()["groups"]}
    for name in before:
        check(after[name] == before[name], f"{name} was touched by the reload: transitions {before[name]} -> {after[name]}")
    with open(envfile, "w") as f:
        f.write("OPENSHIFT_HA_VIRTUAL_IPS=192.0.2.90\n")
    a.send_signal(signal.SIGHUP)
    wait_until(lambda: set(a.states()) == {"OpenShift_IPFailover_VIP_1"}, 3, "only group 1 left")
    wait_until(lambda: not a.holds("192.0.2.91") and not a.holds("192.0.2.92"), 2, "removed groups' VIPs gone")
    check(a.holds("192.0.2.90"), "the unchanged group lost its VIP")
    check(a.proc.poll() is None, "daemon exited on SIGHUP with --env-file")
    # A bad file: the running configuration stays.
    with open(envfile, "w") as f:
        f.write("OPENSHIFT_HA_VIRTUAL_IPS=not-an-address\n")
    a.send_signal(signal.SIGHUP)
    wait_until(lambda: "keeping the running configuration" in a.logtext(), 2, "bad reload refused")
    check(a.holds("192.0.2.90") and a.proc.poll() is None, "a bad reload disturbed the running configuration")
    check(a.stop() == 0, "SIGTERM exit status")
    a.start(dict(FAST, OPENSHIFT_HA_VIRTUAL_IPS="192.0.2.90"))
    wait_until(lambda: a.holds("192.0.2.90"), 5, "MASTER")
    t0 = time.monotonic()
    a.send_signal(signal.SIGHUP)
    rc = a.proc.wait(2)
    a.proc = None
    check(rc == 0 and time.monotonic() - t0 < 1.0, f"SIGHUP without --env-file: exit {rc}")
    check(not a.holds("192.0.2.90"), "SIGHUP without --env-file left the VIP")


# Sends COUNT VRRPv3 multicast adverts of VRID from the namespace's eth0 with TTL (checksum left 0:
# the controller would count them whatever the reason; only the socket filter keeps them away).
RAW_SENDER = """
import socket, struct, sys
vrid, ttl, count = map(int, sys.argv[1:4])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
for _ in range(count):
    s.sendto(struct.pack("!BBBBHH4s", 0x31, vrid, 100, 1, 10, 0, socket.inet_aton("192.0.2.99")), ("224.0.0.18", 0))
"""


def adverts_dropped(node):
    """Every advert the controller read and rejected, all reasons summed."""
    return sum(v for (name, _), v in parse_metrics(node.http("/metrics")).items() if name == "xvrrp_adverts_dropped_total")


def test_socket_filter_reads_only_served_vrids_and_follows_sighup():
    """Issue 21: the kernel hands the controller only the VRIDs it serves. From another node,
    foreign-VRID adverts (kernel data plane: no XDP in the way) are never read, while adverts of a
    served VRID sent with TTL 64 are (and dropped as such): the control that the foreign ones did
    reach the node. A SIGHUP that adds a group widens the filter to its VRID."""
    lab = new_lab()
    a, b = lab.node("a", "192.0.2.1"), lab.node("b", "192.0.2.2")
    envfile = os.path.join(lab.tmp, "env")
    with open(envfile, "w") as f:
        f.write("OPENSHIFT_HA_VIRTUAL_IPS=192.0.2.90\n")  # VRID 11 (offset 10)
    a.start(dict(FAST), args=["--env-file", envfile])
    wait_until(lambda: a.holds("192.0.2.90"), 5, "group 1 MASTER")
    check(adverts_dropped(a) == 0, "adverts dropped before any was sent")

    def send(vrid, ttl, count):
        b.exec([sys.executable, "-c", RAW_SENDER, str(vrid), str(ttl), str(count)])

    def settle(want):
        try:
            wait_until(lambda: adverts_dropped(a) >= want, 3, f"{want} dropped adverts counted")
        finally:
            time.sleep(0.3)  # anything more would arrive now
        got = adverts_dropped(a)
        check(got == want, f"{got} adverts read and dropped, expected {want}: foreign VRIDs reached the controller")

    send(50, 255, 100)
    send(12, 255, 100)   # not yet served
    send(11, 64, 5)      # served: read, then dropped for its TTL
    settle(5)
    with open(envfile, "w") as f:
        f.write("OPENSHIFT_HA_VIRTUAL_IPS=192.0.2.90-91\n")  # + VRID 12
    a.send_signal(signal.SIGHUP)
    wait_until(lambda: a.states().get("OpenShift_IPFailover_VIP_2") == "MASTER", 5, "the new group 2 MASTER")
    send(50, 255, 100)
    send(12, 64, 5)      # now served
    settle(10)


def test_ipv6_group_over_ff02_12():
    """An IPv6 VIP group (VRRPv3 from the link-local address to ff02::12) elects the
    higher-priority node, which holds the VIP as a /128; the other follows its link-local."""
    lab = new_lab()
    a, b = lab.node("a", "192.0.2.1"), lab.node("b", "192.0.2.2")
    for n in (a, b):
        # No DAD: the link-local source must be usable at once.
        sh(f"ip netns exec {n.ns} sysctl -qw net.ipv6.conf.eth0.accept_dad=0")
        sh(f"ip -n {n.ns} link set eth0 down && ip -n {n.ns} link set eth0 up")
    env = dict(FAST, OPENSHIFT_HA_VIRTUAL_IPS="2001:db8::10", XVRRP_DATAPLANE="xdp")
    wait_until(lambda: all(any(x.startswith("fe80:") for x in n.addrs()) for n in (a, b)), 3, "link-local addresses")
    a.start(env), b.start(env)
    (name, (m, vips)), = expected_masters([a, b]).items()
    other = b if m is a else a
    wait_until(lambda: "2001:db8::10/128" in m.addrs() and "2001:db8::10/128" not in other.addrs(), 5,
               f"2001:db8::10 on {m.name} only")
    ll = next(x.split("/")[0] for x in m.addrs() if x.startswith("fe80:"))
    wait_until(lambda: other.status()["groups"][0]["master"] == ll, 2, f"{other.name} following {m.name}'s link-local {ll}")
    wait_until(lambda: other.status()["groups"][0]["adverts_absorbed"] >= 5, 3, f"{other.name} absorbing IPv6 repeats")
    check(other.states()[name] == "BACKUP", f"{other.name}: {other.states()}")


def test_second_daemon_refused_and_missing_capability_named():
    lab = new_lab()
    a = lab.node("a", "192.0.2.1")
    env = dict(FAST, OPENSHIFT_HA_VIRTUAL_IPS="192.0.2.95")
    a.start(env)
    second = subprocess.run(["ip", "netns", "exec", a.ns, os.path.join(BUILD, "bin", "xvrrpd")], env=a.env,
                            capture_output=True, text=True, timeout=10)
    check(second.returncode == 1, f"second daemon exit {second.returncode}")
    check("another xvrrpd (pid" in second.stdout + second.stderr and "already runs this config" in second.stdout + second.stderr,
          second.stdout + second.stderr)
    check(a.proc.poll() is None and a.http("/healthz") == "ok\n", "the first daemon was disturbed")
    a.stop()
    if not shutil.which("setpriv"):
        raise Failure("setpriv (util-linux) is not installed: cannot drop a capability")
    # Without CAP_NET_RAW (bounding set and every other set), start-up names it and touches nothing.
    r = subprocess.run(["ip", "netns", "exec", a.ns, "setpriv", "--inh-caps=-net_raw", "--bounding-set=-net_raw",
                        os.path.join(BUILD, "bin", "xvrrpd")], env=a.env, capture_output=True, text=True, timeout=10)
    out = r.stdout + r.stderr
    check(r.returncode == 1 and "missing capability CAP_NET_RAW" in out, f"exit {r.returncode}: {out}")
    check("CAP_NET_ADMIN" not in out.split("missing capability", 1)[1].split("\n")[0], f"named a capability it has: {out}")
    check(not a.holds("192.0.2.95"), "a refused start-up changed the host")


def test_ctl_version_group_and_vip_filters_plan_and_watch():
    """xvrrpctl --version; status --group (number, name, vrid:N) and --vip keep only those groups,
    an unknown one exits 2 naming it; plan prints the running plan (text as --check-config, and
    JSON); status --watch redraws until stopped."""
    lab = new_lab()
    a = lab.node("a", "192.0.2.1")
    a.start(dict(FAST, OPENSHIFT_HA_VIRTUAL_IPS="192.0.2.70-72", OPENSHIFT_HA_VIP_GROUPS="3"))
    wait_until(lambda: set(a.states().values()) == {"MASTER"} and len(a.states()) == 3, 5, "three groups MASTER")
    ctl = os.path.join(BUILD, "bin", "xvrrpctl")
    out = sh([ctl, "--version"]).stdout
    check(re.fullmatch(r"xvrrpctl \d+\.\d+\.\d+\n", out), f"--version: {out!r}")

    def rows(*args):
        table = a.ctl("status", *args)
        return [l.split()[0] for l in table.splitlines() if l.startswith("OpenShift_IPFailover_VIP_")]
    check(rows() == ["OpenShift_IPFailover_VIP_1", "OpenShift_IPFailover_VIP_2", "OpenShift_IPFailover_VIP_3"], f"{rows()}")
    check(rows("--group", "2") == ["OpenShift_IPFailover_VIP_2"], f"--group 2: {rows('--group', '2')}")
    check(rows("--group", "OpenShift_IPFailover_VIP_3", "--group", "vrid:11") ==
          ["OpenShift_IPFailover_VIP_1", "OpenShift_IPFailover_VIP_3"], "--group by name and vrid")
    check(rows("--vip", "192.0.2.72") == ["OpenShift_IPFailover_VIP_3"], f"--vip: {rows('--vip', '192.0.2.72')}")
    doc = json.loads(a.ctl("status", "--json", "--vip", "192.0.2.71"))
    check([g["name"] for g in doc["groups"]] == ["OpenShift_IPFailover_VIP_2"], "--json --vip")
    bad = a.exec([ctl, "--runtime-dir", a.rundir, "status", "--group", "9"], check_rc=False)
    check(bad.returncode == 2 and "--group 9: no such group" in bad.stderr, f"unknown group: {bad.returncode} {bad.stderr!r}")
    bad = a.exec([ctl, "--runtime-dir", a.rundir, "status", "--vip", "192.0.2.99"], check_rc=False)
    check(bad.returncode == 2 and "no group of this config has it" in bad.stderr, f"unknown VIP: {bad.stderr!r}")
    plan_text = a.ctl("plan")
    check("OpenShift_IPFailover_VIP_3" in plan_text and "priority scheme" in plan_text, f"plan:\n{plan_text}")
    plan = json.loads(a.ctl("plan", "--json"))
    check([g["vips"] for g in plan["groups"]] == [["192.0.2.70"], ["192.0.2.71"], ["192.0.2.72"]], f"plan --json {plan}")
    w = subprocess.Popen(["ip", "netns", "exec", a.ns, ctl, "--runtime-dir", a.rundir, "status", "--watch", "0.2"],
                         stdout=subprocess.PIPE, text=True)
    time.sleep(1.1)
    w.terminate()
    screens = w.communicate(timeout=5)[0].count("\033[2J")
    check(screens >= 3, f"--watch 0.2 drew {screens} screens in 1.1 s")
    check(a.stop() == 0, "SIGTERM exit status")


TESTS = [v for k, v in sorted(globals().items()) if k.startswith("test_")]


def run_suite(tests, tools, description, argv=None):
    """Shared by the netns suites that drive daemons through this lab: checks root, the tools and
    the built binaries, runs the tests selected by -k with their labs cleaned up after each, and
    prints each failing test's daemon logs. Returns the exit status."""
    global BUILD
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("-k", default="")
    args = ap.parse_args(argv)
    BUILD = os.path.abspath(args.build_dir)
    if os.geteuid() != 0:
        print("FAIL: these tests need root (network namespaces)")
        return 1
    for tool in tools:
        if not shutil.which(tool):
            print(f"FAIL: {tool} is not installed; {description} need it")
            return 1
    for b in ("xvrrpd", "xvrrpctl"):
        if not os.access(os.path.join(BUILD, "bin", b), os.X_OK):
            print(f"FAIL: {BUILD}/bin/{b} is not built")
            return 1
    atexit.register(cleanup_all)
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, lambda *_: sys.exit(1))
    failed = []
    selected = [t for t in tests if args.k in t.__name__]
    for t in selected:
        print(f"[ RUN  ] {t.__name__}", flush=True)
        start = time.monotonic()
        try:
            t()
            print(f"[  OK  ] {t.__name__} ({time.monotonic() - start:.1f} s)", flush=True)
        except Exception as e:
            failed.append(t.__name__)
            print(f"[ FAIL ] {t.__name__}: {e}", flush=True)
            if not isinstance(e, Failure):
                traceback.print_exc()
            for lab in LABS:
                for n in lab.nodes:
                    if os.path.exists(n.log_path):
                        print(f"---- {n.name} log (last 40 lines) ----")
                        # Per-advert debug lines would bury the state changes.
                        lines = [l for l in n.logtext().splitlines() if "dropped:" not in l and "libbpf" not in l]
                        print("\n".join(lines[-40:]))
        finally:
            cleanup_all()
    print(f"{len(selected) - len(failed)}/{len(selected)} passed" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed or not selected else 0


def main():
    return run_suite(TESTS, ("ip", "pgrep", "setpriv"), "the daemon netns tests")


if __name__ == "__main__":
    sys.exit(main())
