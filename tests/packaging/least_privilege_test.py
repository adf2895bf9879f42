#!/usr/bin/env python3
"""Holds deploy/least-privilege/ to the kernel: with exactly the capabilities its Deployment adds
(the process's bounding set cut to that list, as a container runtime does), the real XDP object
loads, attaches and pins its maps on a host-mounted bpffs, and a raw VRRP socket opens; without
any one of them that step fails, so none is superfluous; and looking a program up by id (what
libxdp does with a program already attached) needs CAP_SYS_ADMIN, as deploy/README.md says.

Last, xvrrpd itself runs the least-privilege Deployment's environment (interface and VIPs
pointed at the test namespace, its ConfigMap scripts materialised) with only those capabilities:
/healthz must answer 200 with an XDP data plane (not the kernel fallback), and SIGTERM must leave
no XDP program and no nft table behind.

Runs as root in its own network namespace (removed on every exit path).
usage: least_privilege_test.py SOURCE_DIR BPF_OBJECT XVRRPD
"""
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import unittest

try:
    import yaml
except ImportError:
    sys.exit("least_privilege_test.py: python3-yaml is not installed (scripts/install-deps.sh)")

SRC = OBJ = XVRRPD = None
CAP_NUMBERS = {"NET_ADMIN": 12, "NET_RAW": 13, "SYS_ADMIN": 21, "PERFMON": 38, "BPF": 39}
NS = f"{os.environ.get('LAB_NS_PREFIX', 'xv')}{os.getpid()}-pkg"
HTTP_PORT = 63000  # inside the test namespace only


def manifest_container():
    path = os.path.join(SRC, "deploy", "least-privilege", "ipfailover-deployment.yaml")
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d and d.get("kind") == "Deployment"]
    return docs[0]["spec"]["template"]["spec"]["containers"][0]


def manifest_caps():
    return list(manifest_container()["securityContext"]["capabilities"]["add"])


def configmap_data(name):
    for path in ("checkscript-configmap.yaml",):
        with open(os.path.join(SRC, "deploy", path)) as f:
            for d in yaml.safe_load_all(f):
                if d and d.get("kind") == "ConfigMap" and d["metadata"]["name"] == name:
                    return d.get("data", {})
    raise AssertionError(f"ConfigMap {name} is not in deploy/")


def in_ns(*cmd, **kw):
    return subprocess.run(["ip", "netns", "exec", NS, *cmd], capture_output=True, text=True,
                          timeout=30, **kw)


def http_get(path):
    code = ("import sys, urllib.request, urllib.error\n"
            "try:\n"
            f"    r = urllib.request.urlopen('http://127.0.0.1:{HTTP_PORT}{path}', timeout=2)\n"
            "    print(r.status); print(r.read().decode())\n"
            "except urllib.error.HTTPError as e:\n"
            "    print(e.code)\n"
            "except OSError as e:\n"
            "    print(0); print(e)\n")
    r = in_ns("python3", "-c", code)
    status, _, body = r.stdout.partition("\n")
    return int(status or 0), body


def run_with_caps(caps, command):
    """Runs `command` (sh) in the test namespace, bpffs mounted (as the host has it), as root with
    only `caps`. Returns (status, output)."""
    bounding = ",".join(["-all"] + [f"+{c.lower()}" for c in caps])
    outer = ('mount -t bpf bpf /sys/fs/bpf && '
             f'exec setpriv --bounding-set={bounding} --inh-caps=-all -- sh -c "$XV_CMD"')
    r = subprocess.run(["ip", "netns", "exec", NS, "env", f"XV_CMD={command}", "sh", "-c", outer],
                       capture_output=True, text=True, timeout=60)
    return r.returncode, (r.stdout + r.stderr).strip()


ATTACH = ("ip link set dev xva xdpgeneric obj {obj} sec xdp && "
          "ip link show dev xva | grep -q 'prog/xdp id' && ip link set dev xva xdpgeneric off")
PIN = ("mkdir -p /sys/fs/bpf/xvrrp/lp && "
       "bpftool prog load {obj} /sys/fs/bpf/xvrrp/lp/prog type xdp pinmaps /sys/fs/bpf/xvrrp/lp && "
       "test -e /sys/fs/bpf/xvrrp/lp/xvrrp_groups")
RAW_VRRP = "python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)'"
BY_ID = ("mkdir -p /sys/fs/bpf/xvrrp/id && "
         "bpftool prog load {obj} /sys/fs/bpf/xvrrp/id/prog type xdp && "
         "id=$(bpftool prog show pinned /sys/fs/bpf/xvrrp/id/prog | head -n1 | cut -d: -f1) && "
         "bpftool prog show id $id")


class LeastPrivilegeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise AssertionError("least_privilege_test.py must run as root (namespaces, bpffs)")
        for tool in ("ip", "setpriv", "bpftool", "python3"):
            if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}"):
                raise AssertionError(f"{tool} is missing (scripts/install-deps.sh installs it)")
        if not os.path.exists(OBJ):
            raise AssertionError(f"{OBJ} does not exist: build the target xvrrp_bpf_objects")
        cls.caps = manifest_caps()
        subprocess.run(["ip", "netns", "add", NS], check=True)
        try:
            subprocess.run(["ip", "-n", NS, "link", "add", "name", "xva", "type", "veth", "peer",
                            "name", "xvb"], check=True)
            for args in (["link", "set", "xva", "up"], ["link", "set", "xvb", "up"],
                         ["link", "set", "lo", "up"], ["addr", "add", "192.0.2.10/24", "dev", "xva"]):
                subprocess.run(["ip", "-n", NS, *args], check=True)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["ip", "netns", "del", NS], capture_output=True)

    def assert_ok(self, caps, cmd, what):
        rc, out = run_with_caps(caps, cmd.format(obj=OBJ))
        self.assertEqual(rc, 0, f"{what} fails with capabilities {caps}:\n{out[-2000:]}")

    def assert_fails(self, caps, cmd, what):
        rc, out = run_with_caps(caps, cmd.format(obj=OBJ))
        self.assertNotEqual(rc, 0, f"{what} works without the capability the manifest adds for "
                                   f"it (with only {caps}): the capability is superfluous")
        # ... and fails for want of privilege, not for some unrelated reason.
        self.assertTrue("Operation not permitted" in out or "Permission denied" in out,
                        f"{what} failed, but not with EPERM/EACCES:\n{out[-2000:]}")

    def test_harness_sets_exactly_the_capabilities(self):
        rc, out = run_with_caps(self.caps, "grep CapEff /proc/self/status")
        self.assertEqual(rc, 0, out)
        want = sum(1 << CAP_NUMBERS[c] for c in self.caps)
        self.assertEqual(int(out.split()[-1], 16), want, f"effective set {out} for {self.caps}")

    def test_manifest_lists_the_documented_capabilities(self):
        self.assertEqual(sorted(self.caps), sorted(["NET_ADMIN", "NET_RAW", "BPF", "PERFMON"]))

    def test_xdp_program_loads_and_attaches(self):
        self.assert_ok(self.caps, ATTACH, "loading and attaching xvrrp.bpf.o")
        for needed in ("BPF", "PERFMON", "NET_ADMIN"):
            self.assert_fails([c for c in self.caps if c != needed], ATTACH,
                              f"loading and attaching xvrrp.bpf.o without {needed}")

    def test_maps_pin_on_the_host_bpffs_without_sys_admin(self):
        self.assert_ok(self.caps, PIN, "pinning the program and maps under /sys/fs/bpf/xvrrp")

    def test_raw_vrrp_socket_needs_net_raw(self):
        self.assert_ok(self.caps, RAW_VRRP, "opening a raw IPPROTO_VRRP socket")
        self.assert_fails([c for c in self.caps if c != "NET_RAW"], RAW_VRRP,
                          "opening a raw IPPROTO_VRRP socket without NET_RAW")

    def test_program_lookup_by_id_needs_sys_admin(self):
        # deploy/README.md: libxdp inspects an already attached program by id.
        rc, out = run_with_caps(self.caps, BY_ID.format(obj=OBJ))
        self.assertNotEqual(rc, 0, "BPF_PROG_GET_FD_BY_ID worked without CAP_SYS_ADMIN: "
                                   "deploy/README.md's table is wrong for this kernel")
        self.assertIn("Operation not permitted", out)
        self.assert_ok(self.caps + ["SYS_ADMIN"], BY_ID, "looking a program up by id")

    def test_xvrrpd_runs_the_manifest_with_only_its_capabilities(self):
        c = manifest_container()
        tmp = tempfile.mkdtemp(prefix="xvrrp-lp-")
        daemon = log = None
        try:
            # The config-volume as the kubelet mounts it: the ConfigMap's keys, mode 0755.
            with open(os.path.join(SRC, "deploy", "least-privilege",
                                   "ipfailover-deployment.yaml")) as f:
                spec = yaml.safe_load(f)["spec"]["template"]["spec"]
            volumes = {v["name"]: v for v in spec["volumes"]}
            cm = volumes["config-volume"]["configMap"]
            scripts = os.path.join(tmp, "keepalive")
            os.makedirs(scripts)
            for key, text in configmap_data(cm["name"]).items():
                with open(os.path.join(scripts, key), "w") as f:
                    f.write(text)
                os.chmod(os.path.join(scripts, key), cm.get("defaultMode", 0o644) | stat.S_IRUSR)
            env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
            for e in c.get("env", []):
                if "value" in e:
                    env[e["name"]] = e["value"].replace("/etc/keepalive/", scripts + "/")
            # Only what ties the pod to a real node changes: the interface, test VIPs, and the
            # runtime directory and HTTP address inside this namespace.
            env.update({"OPENSHIFT_HA_NETWORK_INTERFACE": "xva",
                        "OPENSHIFT_HA_VIRTUAL_IPS": "192.0.2.100-101",
                        "XVRRP_RUNTIME_DIR": os.path.join(tmp, "run"),
                        "XVRRP_HTTP_ADDR": f"127.0.0.1:{HTTP_PORT}"})
            bounding = ",".join(["-all"] + [f"+{x.lower()}" for x in self.caps])
            outer = ('mount -t bpf bpf /sys/fs/bpf && '
                     f'exec setpriv --bounding-set={bounding} --inh-caps=-all -- "$XV_DAEMON"')
            log = open(os.path.join(tmp, "xvrrpd.log"), "w")
            daemon = subprocess.Popen(["ip", "netns", "exec", NS, "sh", "-c", outer],
                                      env=dict(env, XV_DAEMON=XVRRPD), stdout=log,
                                      stderr=subprocess.STDOUT)
            status, body = 0, ""
            for _ in range(100):
                if daemon.poll() is not None:
                    break
                status, body = http_get("/healthz")
                if status == 200:
                    break
                time.sleep(0.2)
            def out():
                log.flush()
                with open(os.path.join(tmp, "xvrrpd.log")) as f:
                    return f.read()[-3000:]
            self.assertIsNone(daemon.poll(), f"xvrrpd exited {daemon.returncode} with only "
                                             f"{self.caps}:\n{out()}")
            self.assertEqual(status, 200, f"/healthz answered {status} {body!r}:\n{out()}")
            st, body = http_get("/status")
            self.assertEqual(st, 200, body)
            mode = json.loads(body)["dataplane"]["mode"]
            self.assertIn(mode, ("xdp-native", "xdp-generic"),
                          f"with only {self.caps} the data plane fell back to {mode}:\n{out()}")
            self.assertIn("prog/xdp", in_ns("ip", "link", "show", "dev", "xva").stdout)
            daemon.send_signal(signal.SIGTERM)
            self.assertEqual(daemon.wait(timeout=15), 0, f"xvrrpd did not stop cleanly:\n{out()}")
            daemon = None
            self.assertNotIn("prog/xdp", in_ns("ip", "link", "show", "dev", "xva").stdout,
                             f"SIGTERM left the XDP program attached:\n{out()}")
            self.assertNotIn("xvrrp_", in_ns("nft", "list", "tables").stdout,
                             f"SIGTERM left the nft table behind:\n{out()}")
        finally:
            if daemon is not None:
                daemon.kill()
                daemon.wait()
            if log is not None:
                log.close()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    SRC, OBJ, XVRRPD = (os.path.abspath(a) for a in sys.argv[1:4])
    unittest.main(argv=[sys.argv[0], "-v"])
