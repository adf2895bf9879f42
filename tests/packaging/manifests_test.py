#!/usr/bin/env python3
"""Checks every manifest under deploy/ against xvrrpd and the OKD ipfailover page's contract:
every environment variable a workload sets is one `xvrrpd --list-env` names, the Deployment's
replicas equal OPENSHIFT_HA_REPLICA_COUNT, the page's names (deployment, container, service
account, config-volume at /etc/keepalive) are kept so `oc set env` / `oc set volume` work
unchanged, probes hit /livez and /readyz on 63000, scripts named in the environment exist in the ConfigMap,
and the least-privilege variant really drops privileged mode for the listed capabilities. The
rollback manifest (a DaemonSet whose initContainer runs `xvrrpd --cleanup`) must clean exactly the
config the ipfailover DaemonSet runs, on the same nodes, with the host's bpffs. The kustomize
overlays (deploy/overlays, built by kustomize_build.py, alone and with components/env-file) go
through the same `--list-env` and `--check-config` checks; their structure is kustomize_test.py's.

usage: manifests_test.py SOURCE_DIR XVRRPD
"""
import glob
import json
import os
import re
import subprocess
import shutil
import stat
import sys
import tempfile
import unittest

try:
    import yaml
except ImportError:  # a missing dependency fails the suite, it does not skip it
    sys.exit("manifests_test.py: python3-yaml is not installed (scripts/install-deps.sh installs it)")

SRC = XVRRPD = None
WORKLOAD_KINDS = {"Deployment", "DaemonSet", "StatefulSet", "Pod"}
# The variables the page's Deployment sets (its commented-out ones aside): a drop-in keeps them.
PAGE_ENV = {
    "OPENSHIFT_HA_CONFIG_NAME", "OPENSHIFT_HA_VIRTUAL_IPS", "OPENSHIFT_HA_VIP_GROUPS",
    "OPENSHIFT_HA_NETWORK_INTERFACE", "OPENSHIFT_HA_MONITOR_PORT", "OPENSHIFT_HA_VRRP_ID_OFFSET",
    "OPENSHIFT_HA_REPLICA_COUNT", "OPENSHIFT_HA_USE_UNICAST", "OPENSHIFT_HA_IPTABLES_CHAIN",
    "OPENSHIFT_HA_CHECK_SCRIPT", "OPENSHIFT_HA_PREEMPTION", "OPENSHIFT_HA_CHECK_INTERVAL",
}
SCRIPT_ENV = ("OPENSHIFT_HA_CHECK_SCRIPT", "OPENSHIFT_HA_NOTIFY_SCRIPT")
LEAST_PRIVILEGE_CAPS = {"NET_ADMIN", "NET_RAW", "BPF", "PERFMON"}
ALLOWED_EXTRA_CAPS = {"SYS_ADMIN"}  # only where the kernel needs it (see the manifest's header)
HEALTH_PORT = 63000
# --check-config plans for this node address instead of looking at the (absent) interface.
TEST_NODE_IP = "192.0.2.10"


def accepted_variables():
    try:
        r = subprocess.run([XVRRPD, "--list-env"], capture_output=True, text=True, timeout=30)
    except OSError as e:
        raise AssertionError(f"cannot run {XVRRPD} --list-env: {e}")
    if r.returncode != 0:
        raise AssertionError(f"`{XVRRPD} --list-env` exited {r.returncode} (the daemon must list "
                             f"the variables it accepts):\n{r.stderr.strip()}")
    names = set()
    for line in r.stdout.splitlines():
        words = line.split()
        if words and re.fullmatch(r"[A-Z][A-Z0-9_]*", words[0]):
            names.add(words[0])
    if "OPENSHIFT_HA_VIRTUAL_IPS" not in names:
        raise AssertionError(f"`{XVRRPD} --list-env` printed no usable list (one name per line "
                             f"expected, OPENSHIFT_HA_VIRTUAL_IPS among them): {r.stdout[:500]!r}")
    return names


# The kustomize tree (kustomizations, patches, monitoring objects) is checked by kustomize_test.py;
# its built workloads come back here through rendered_workloads().
KUSTOMIZE_DIRS = ("base", "overlays", "components", "monitoring")


def load_manifests():
    docs = []
    files = sorted(f for f in glob.glob(os.path.join(SRC, "deploy", "**", "*.y*ml"), recursive=True)
                   if os.path.relpath(f, os.path.join(SRC, "deploy")).split(os.sep)[0]
                   not in KUSTOMIZE_DIRS)
    for path in files:
        rel = os.path.relpath(path, SRC)
        with open(path) as f:
            try:
                loaded = list(yaml.safe_load_all(f))
            except yaml.YAMLError as e:
                raise AssertionError(f"{rel}: not valid YAML: {e}")
        for i, doc in enumerate(loaded):
            if doc is None:
                continue
            where = f"{rel} (document {i + 1})"
            for key in ("apiVersion", "kind"):
                if key not in doc:
                    raise AssertionError(f"{where}: no {key}")
            if not doc.get("metadata", {}).get("name"):
                raise AssertionError(f"{where}: no metadata.name")
            docs.append((where, doc))
    return files, docs


def rendered_workloads():
    """(where, workload, ConfigMaps by name) of every overlay's build, alone and with the env-file
    component (kustomize_build.py: the kustomize subset deploy/ uses)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import kustomize_build as kb
    out = []
    for overlay in sorted(glob.glob(os.path.join(SRC, "deploy", "overlays", "*", "kustomization.yaml"))):
        d = os.path.dirname(overlay)
        for extra in ((), ("../../components/env-file",)):
            where = os.path.relpath(d, SRC) + (" + components/env-file" if extra else "") + " (built)"
            try:
                objs = kb.build(d, extra_components=extra)
            except kb.KustomizeError as e:
                raise AssertionError(f"{where}: {e}")
            cms = {o["metadata"]["name"]: o for o in objs if o["kind"] == "ConfigMap"}
            out += [(where, o, cms) for o in objs if o["kind"] in WORKLOAD_KINDS]
    return out


def pod_spec(doc):
    return doc["spec"] if doc["kind"] == "Pod" else doc["spec"]["template"]["spec"]


def containers(doc):
    spec = pod_spec(doc)
    return spec.get("containers", []) + spec.get("initContainers", [])


def env_of(container):
    return {e["name"]: e for e in container.get("env", [])}


def xvrrp_containers(doc):
    return [c for c in pod_spec(doc).get("containers", []) if "xvrrp" in c.get("image", "")]


def cleanup_containers(doc):
    """The init containers that run `xvrrpd --cleanup` (the rollback manifest)."""
    return [c for c in pod_spec(doc).get("initContainers", [])
            if "xvrrp" in c.get("image", "") and "--cleanup" in c.get("args", []) + c.get("command", [])]


# The variables that decide what --cleanup removes (config name -> lock, slot and nft table;
# VIPs and groups -> addresses and VRIDs; interface; the firewall rule; the data plane mode).
CLEANUP_ENV = {
    "OPENSHIFT_HA_CONFIG_NAME", "OPENSHIFT_HA_VIRTUAL_IPS", "OPENSHIFT_HA_VIP_GROUPS",
    "OPENSHIFT_HA_NETWORK_INTERFACE", "OPENSHIFT_HA_VRRP_ID_OFFSET", "OPENSHIFT_HA_IPTABLES_CHAIN",
    "OPENSHIFT_HA_NFTABLES_RULE", "XVRRP_DATAPLANE",
}


def plan_of(where, container, tmp):
    """xvrrpd --check-config --json of a container's literal environment (no scripts mounted)."""
    env_file = os.path.join(tmp, "env")
    with open(env_file, "w") as f:
        for e in container.get("env", []):
            if "value" in e and not e["name"].endswith("_SCRIPT"):
                f.write(f"{e['name']}='{e['value']}'\n")
    r = subprocess.run([XVRRPD, "--check-config", "--json", "--node-ip", TEST_NODE_IP,
                        "--env-file", env_file], capture_output=True, text=True, timeout=30,
                       env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    if r.returncode != 0:
        raise AssertionError(f"{where}: xvrrpd --check-config rejects container {container['name']}'s "
                             f"environment: {r.stderr.strip()}")
    return json.loads(r.stdout)


class ManifestsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.files, cls.docs = load_manifests()
        every = [(w, d) for w, d in cls.docs if d["kind"] in WORKLOAD_KINDS]
        # The rollback manifest runs no daemon: the daemon checks below are not for it.
        cls.cleanups = [(w, d) for w, d in every if cleanup_containers(d)]
        cls.workloads = [(w, d) for w, d in every if not cleanup_containers(d)]
        cls.configmaps = {d["metadata"]["name"]: d for _, d in cls.docs if d["kind"] == "ConfigMap"}

    def test_manifests_exist(self):
        self.assertTrue(self.files, "no manifests under deploy/")
        kinds = {d["kind"] for _, d in self.docs}
        for kind in ("Deployment", "DaemonSet", "ConfigMap", "SecurityContextConstraints"):
            self.assertIn(kind, kinds, f"deploy/ has no {kind}")
        for w, d in self.workloads:
            self.assertTrue(xvrrp_containers(d), f"{w}: no container runs the xvrrp image")

    def test_every_environment_variable_is_accepted_by_xvrrpd(self):
        accepted = accepted_variables()
        for w, d in self.workloads + self.cleanups:
            for c in containers(d):
                for e in c.get("env", []):
                    self.assertTrue(e["name"] in accepted,
                                  f"{w}: container {c['name']} sets {e['name']}, which xvrrpd "
                                  f"does not accept (xvrrpd --list-env)")
                    if "value" in e:
                        self.assertIsInstance(e["value"], str, f"{w}: {e['name']} must be a quoted "
                                                               f"string (the API rejects numbers)")

    def test_values_pass_xvrrpd_check_config(self):
        # Each workload's environment, with its config-volume ConfigMap materialised the way the
        # kubelet mounts it (mode 0755), goes through the daemon's own validation and planning.
        for w, d in self.workloads:
            volumes = {v["name"]: v for v in pod_spec(d).get("volumes", [])}
            for c in xvrrp_containers(d):
                tmp = tempfile.mkdtemp(prefix="xvrrp-manifest-")
                try:
                    self.check_config_of(w, c, volumes, tmp)
                finally:
                    shutil.rmtree(tmp, ignore_errors=True)

    def check_config_of(self, w, c, volumes, tmp, configmaps=None):
        configmaps = self.configmaps if configmaps is None else configmaps
        remap = {}
        for m in c.get("volumeMounts", []):
            cm_ref = volumes.get(m["name"], {}).get("configMap")
            if not cm_ref:
                continue
            cm = configmaps.get(cm_ref["name"])
            self.assertIsNotNone(cm, f"{w}: ConfigMap {cm_ref['name']} is not in deploy/")
            mount = os.path.join(tmp, m["name"])
            os.makedirs(mount)
            for key, text in cm.get("data", {}).items():
                path = os.path.join(mount, key)
                with open(path, "w") as f:
                    f.write(text)
                os.chmod(path, cm_ref.get("defaultMode", 0o644) & 0o7777 | stat.S_IRUSR)
            remap[m["mountPath"].rstrip("/") + "/"] = mount + "/"
        lines = []
        for e in c.get("env", []):
            if "value" not in e:
                continue
            value = e["value"]
            for prefix, real in remap.items():
                value = value.replace(prefix, real)
            self.assertNotIn("\n", value, f"{w}: {e['name']} spans lines")
            lines.append(f"{e['name']}='{value}'" if "'" not in value else f'{e["name"]}="{value}"')
        env_file = os.path.join(tmp, "env")
        with open(env_file, "w") as f:
            f.write("\n".join(lines) + "\n")
        args = c.get("args", [])
        if "--env-file" in args:
            # The pod's own env file (a mounted ConfigMap) overrides its environment, as in the
            # daemon: the environment goes in as the process's, the file as --env-file.
            mounted = args[args.index("--env-file") + 1]
            for prefix, real in remap.items():
                mounted = mounted.replace(prefix, real)
            self.assertTrue(os.path.isfile(mounted), f"{w}: --env-file {mounted} is not mounted")
            proc_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
            proc_env.update({e["name"]: e["value"] for e in c.get("env", []) if "value" in e})
            for prefix, real in remap.items():
                proc_env = {k: v.replace(prefix, real) for k, v in proc_env.items()}
            r = subprocess.run([XVRRPD, "--check-config", "--json", "--node-ip", TEST_NODE_IP,
                                "--env-file", mounted], capture_output=True, text=True, timeout=30,
                               env=proc_env)
        else:
            r = subprocess.run([XVRRPD, "--check-config", "--json", "--node-ip", TEST_NODE_IP,
                                "--env-file", env_file], capture_output=True, text=True, timeout=30,
                               env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
        self.assertEqual(r.returncode, 0, f"{w}: xvrrpd --check-config rejects the manifest's "
                                          f"environment: {r.stderr.strip() or r.stdout[-500:]}")
        try:
            plan = json.loads(r.stdout)
        except json.JSONDecodeError as e:
            raise AssertionError(f"{w}: xvrrpd --check-config --json printed no JSON plan ({e}): "
                                 f"{r.stdout[:300]!r}")
        # The plan must be this manifest's: same name, replica count, groups, check script.
        env = env_of(c)
        self.assertEqual(plan.get("config_name"), env["OPENSHIFT_HA_CONFIG_NAME"]["value"], w)
        self.assertEqual(plan.get("replica_count"),
                         int(env["OPENSHIFT_HA_REPLICA_COUNT"]["value"]), w)
        self.assertTrue(plan.get("groups"), f"{w}: the plan has no VRRP groups")
        if "OPENSHIFT_HA_CHECK_SCRIPT" in env:
            self.assertEqual(plan.get("check", {}).get("kind"), "script",
                             f"{w}: the plan does not run the check script: {plan.get('check')}")

    def test_rendered_overlays_pass_xvrrpd_check_config(self):
        # What `kubectl apply -k deploy/overlays/NAME` would create, with and without the env-file
        # component, through the same validation as the flat manifests: every variable (also the
        # env file's) accepted, and the daemon's own --check-config on the pod's environment.
        accepted = accepted_variables()
        rendered = rendered_workloads()
        self.assertTrue(rendered, "deploy/overlays has no overlay")
        for w, d, configmaps in rendered:
            volumes = {v["name"]: v for v in pod_spec(d).get("volumes", [])}
            for c in xvrrp_containers(d):
                names = [e["name"] for e in c.get("env", [])]
                env_cm = configmaps.get("xvrrp-env")
                if "--env-file" in c.get("args", []) and env_cm:
                    for text in env_cm.get("data", {}).values():
                        names += re.findall(r"^(?:export )?([A-Z][A-Z0-9_]*)=", text, re.M)
                for name in names:
                    self.assertIn(name, accepted, f"{w}: sets {name}, which xvrrpd does not accept")
                tmp = tempfile.mkdtemp(prefix="xvrrp-manifest-")
                try:
                    self.check_config_of(w, c, volumes, tmp, configmaps)
                finally:
                    shutil.rmtree(tmp, ignore_errors=True)

    def test_page_variables_and_names_are_kept(self):
        for w, d in self.workloads:
            for c in xvrrp_containers(d):
                missing = PAGE_ENV - set(env_of(c))
                self.assertFalse(missing, f"{w}: the page's variables {sorted(missing)} are gone")
                self.assertEqual(c["name"], "openshift-ipfailover", f"{w}: container name")
            spec = pod_spec(d)
            self.assertEqual(spec.get("serviceAccountName"), "ipfailover", f"{w}: service account")
            self.assertIs(spec.get("hostNetwork"), True, f"{w}: needs hostNetwork")
            self.assertNotIn("privileged", spec, f"{w}: `privileged` is not a PodSpec field")
            if d["kind"] == "Deployment":
                # `oc set env deploy/ipfailover-keepalived` from the page
                self.assertEqual(d["metadata"]["name"], "ipfailover-keepalived", w)

    def test_replica_count_agrees(self):
        for w, d in self.workloads:
            for c in xvrrp_containers(d):
                e = env_of(c).get("OPENSHIFT_HA_REPLICA_COUNT")
                self.assertIsNotNone(e, f"{w}: OPENSHIFT_HA_REPLICA_COUNT is not set")
                self.assertRegex(e.get("value", ""), r"^[1-9][0-9]*$",
                                 f"{w}: OPENSHIFT_HA_REPLICA_COUNT is not a positive integer")
                if d["kind"] in ("Deployment", "StatefulSet"):
                    replicas = d["spec"].get("replicas", 1)
                    self.assertEqual(int(e["value"]), replicas,
                                     f"{w}: spec.replicas is {replicas} but "
                                     f"OPENSHIFT_HA_REPLICA_COUNT is {e['value']}")

    def test_probes_use_livez_and_readyz_on_63000(self):
        for w, d in self.workloads:
            for c in xvrrp_containers(d):
                for probe, path in (("livenessProbe", "/livez"), ("readinessProbe", "/readyz")):
                    http = c.get(probe, {}).get("httpGet")
                    self.assertIsNotNone(http, f"{w}: {probe} must be an httpGet")
                    self.assertEqual(http.get("port"), HEALTH_PORT, f"{w}: {probe} port")
                    self.assertEqual(http.get("path"), path, f"{w}: {probe} path")
                    # The probe goes to the pod IP (the node's, with hostNetwork), where xvrrpd
                    # listens by default: a host of loopback or a VIP would never be answered.
                    self.assertNotIn("host", http, f"{w}: {probe} must probe the pod IP")
                ports = [(p.get("containerPort"), p.get("hostPort")) for p in c.get("ports", [])]
                self.assertIn((HEALTH_PORT, HEALTH_PORT), ports,
                              f"{w}: containerPort/hostPort {HEALTH_PORT} (the page's port, now "
                              f"also /livez and /readyz) is missing")

    def test_config_volume_and_scripts(self):
        for w, d in self.workloads:
            spec = pod_spec(d)
            volumes = {v["name"]: v for v in spec.get("volumes", [])}
            cfg = volumes.get("config-volume")
            self.assertIsNotNone(cfg, f"{w}: no config-volume (the page's `oc set volume` uses it)")
            self.assertIn("configMap", cfg, f"{w}: config-volume is not a ConfigMap")
            self.assertEqual(cfg["configMap"].get("defaultMode"), 0o755,
                             f"{w}: scripts need defaultMode 0755")
            for c in xvrrp_containers(d):
                mounts = {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}
                self.assertEqual(mounts.get("config-volume"), "/etc/keepalive", w)
                for var in SCRIPT_ENV:
                    e = env_of(c).get(var)
                    if not e:
                        continue
                    path = e["value"].split()[0]
                    self.assertTrue(path.startswith("/etc/keepalive/"),
                                    f"{w}: {var}={path} is outside the config-volume")
                    cm = self.configmaps.get(cfg["configMap"]["name"])
                    self.assertIsNotNone(cm, f"{w}: ConfigMap {cfg['configMap']['name']} is not "
                                             f"in deploy/")
                    key = os.path.basename(path)
                    self.assertIn(key, cm.get("data", {}),
                                  f"{w}: {var} names {key}, absent from ConfigMap "
                                  f"{cm['metadata']['name']}")

    def test_configmap_scripts_are_valid_shell(self):
        for name, cm in self.configmaps.items():
            for key, text in cm.get("data", {}).items():
                if not key.endswith(".sh"):
                    continue
                self.assertTrue(text.startswith("#!"), f"ConfigMap {name}: {key} has no #! line")
                r = subprocess.run(["bash", "-n"], input=text, capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, f"ConfigMap {name}: {key}: {r.stderr}")

    def test_bpffs_comes_from_the_host(self):
        for w, d in self.workloads:
            volumes = {v["name"]: v for v in pod_spec(d).get("volumes", [])}
            for c in xvrrp_containers(d):
                m = [m for m in c.get("volumeMounts", []) if m["mountPath"] == "/sys/fs/bpf"]
                self.assertEqual(len(m), 1, f"{w}: /sys/fs/bpf is not mounted")
                v = volumes.get(m[0]["name"], {})
                self.assertEqual(v.get("hostPath", {}).get("path"), "/sys/fs/bpf",
                                 f"{w}: /sys/fs/bpf must be the host's bpffs (pins outlive the pod)")
                self.assertFalse(m[0].get("readOnly", False), f"{w}: pins need a writable bpffs")

    def test_keep_dataplane_only_where_the_next_pod_lands_on_the_same_node(self):
        # --keep-dataplane leaves the groups served for the next pod of the same config on the
        # same node: a DaemonSet's replacement is; a Deployment's may be scheduled elsewhere,
        # and then the old node's groups would wait out Master_Down_Interval instead of resigning.
        for w, d in self.workloads:
            if d["metadata"]["name"] != "ipfailover-keepalived":
                continue
            for c in xvrrp_containers(d):
                args = c.get("args", []) + c.get("command", [])
                if d["kind"] == "DaemonSet":
                    self.assertIn("--keep-dataplane", args, f"{w}: a DaemonSet restart can be hitless")
                else:
                    self.assertNotIn("--keep-dataplane", args, f"{w}: the next pod may run elsewhere")

    def least_privilege(self):
        out = []
        for w, d in self.workloads:
            for c in xvrrp_containers(d):
                if not c.get("securityContext", {}).get("privileged", False):
                    out.append((w, d, c))
        return out

    def test_least_privilege_variant(self):
        lp = self.least_privilege()
        self.assertTrue(lp, "deploy/ has no workload without privileged: true")
        for w, d, c in lp:
            sc = c["securityContext"]
            caps = sc.get("capabilities", {})
            self.assertEqual(caps.get("drop"), ["ALL"], f"{w}: drop ALL capabilities first")
            add = set(caps.get("add", []))
            self.assertFalse(LEAST_PRIVILEGE_CAPS - add, f"{w}: lacks {LEAST_PRIVILEGE_CAPS - add}")
            self.assertFalse(add - LEAST_PRIVILEGE_CAPS - ALLOWED_EXTRA_CAPS,
                             f"{w}: capabilities beyond the documented set: "
                             f"{add - LEAST_PRIVILEGE_CAPS - ALLOWED_EXTRA_CAPS}")
            self.assertIs(sc.get("allowPrivilegeEscalation"), False, w)
            for m in c.get("volumeMounts", []):
                self.assertNotEqual(m.get("mountPropagation"), "Bidirectional",
                                    f"{w}: Bidirectional propagation needs a privileged container")

    def test_scc_allows_what_the_least_privilege_pods_use(self):
        sccs = [d for _, d in self.docs if d["kind"] == "SecurityContextConstraints"]
        self.assertTrue(sccs, "no SecurityContextConstraints for the least-privilege variant")
        for w, d, c in self.least_privilege():
            add = set(c["securityContext"]["capabilities"]["add"])
            vol_types = {k for v in pod_spec(d).get("volumes", []) for k in v if k != "name"}
            fits = [s["metadata"]["name"] for s in sccs
                    if add <= set(s.get("allowedCapabilities") or [])
                    and s.get("allowHostNetwork") and s.get("allowHostPorts")
                    and not s.get("allowPrivilegedContainer")
                    and {t for t in vol_types} <= set(s.get("volumes", []))]
            self.assertTrue(fits, f"{w}: no SCC in deploy/ admits it (capabilities {sorted(add)}, "
                                  f"volumes {sorted(vol_types)})")

    def test_cleanup_daemonset_cleans_the_daemonsets_config(self):
        self.assertEqual(len(self.cleanups), 1, "deploy/ needs one rollback manifest running "
                                                "`xvrrpd --cleanup` (cleanup-daemonset.yaml)")
        w, d = self.cleanups[0]
        self.assertEqual(d["kind"], "DaemonSet", f"{w}: must run on every node: a DaemonSet")
        r = subprocess.run([XVRRPD, "--help"], capture_output=True, text=True, timeout=30)
        self.assertIn("--cleanup", r.stdout, f"{XVRRPD} --help does not offer --cleanup")
        spec = pod_spec(d)
        self.assertIs(spec.get("hostNetwork"), True, f"{w}: the VIPs are on the host's interface")
        self.assertFalse(xvrrp_containers(d), f"{w}: a regular container runs the xvrrp image: it "
                                              f"would start a daemon after the clean-up")
        (c,) = cleanup_containers(d)
        self.assertEqual(c.get("args"), ["--cleanup"], f"{w}: args: keep the image's entrypoint")
        self.assertNotIn("command", c, f"{w}: the image's entrypoint (tini, bpffs check) is replaced")
        self.assertIs(c.get("securityContext", {}).get("privileged"), True,
                      f"{w}: removing addresses, XDP and nft needs the daemon's privileges")
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        m = [m for m in c.get("volumeMounts", []) if m["mountPath"] == "/sys/fs/bpf"]
        self.assertEqual(len(m), 1, f"{w}: /sys/fs/bpf is not mounted (the pins are there)")
        self.assertEqual(volumes.get(m[0]["name"], {}).get("hostPath", {}).get("path"), "/sys/fs/bpf", w)
        self.assertFalse(m[0].get("readOnly", False), f"{w}: unpinning needs a writable bpffs")

        daemonsets = [(dw, dd) for dw, dd in self.workloads if dd["kind"] == "DaemonSet"
                      and dd["metadata"]["name"] == "ipfailover-keepalived"]
        self.assertEqual(len(daemonsets), 1, "no ipfailover-keepalived DaemonSet to compare with")
        dw, dd = daemonsets[0]
        self.assertEqual(spec.get("nodeSelector"), pod_spec(dd).get("nodeSelector"),
                         f"{w}: must select the nodes {dw} runs on")
        (daemon,) = xvrrp_containers(dd)
        ours, theirs = env_of(c), env_of(daemon)
        for name in CLEANUP_ENV:
            self.assertEqual(ours.get(name, {}).get("value"), theirs.get(name, {}).get("value"),
                             f"{w}: {name} differs from {dw}: the clean-up would look for another "
                             f"config's leftovers")
        for name, e in ours.items():
            self.assertEqual(e.get("value"), theirs.get(name, {}).get("value"),
                             f"{w}: {name} is not {dw}'s")
        tmp = tempfile.mkdtemp(prefix="xvrrp-manifest-")
        try:
            mine, daemon_plan = plan_of(w, c, tmp), plan_of(dw, daemon, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        for key in ("instance_base", "interface", "firewall_rule", "dataplane", "runtime_dir"):
            self.assertEqual(mine.get(key), daemon_plan.get(key), f"{w}: plan {key} differs from {dw}'s")
        self.assertEqual([(g["vrid"], g["vips"]) for g in mine["groups"]],
                         [(g["vrid"], g["vips"]) for g in daemon_plan["groups"]],
                         f"{w}: the groups (VRIDs, VIPs) differ from {dw}'s")

    def test_serviceaccount_script_has_the_page_commands(self):
        path = os.path.join(SRC, "deploy", "serviceaccount.sh")
        with open(path) as f:
            text = f.read()
        for cmd in ("oc create sa ipfailover",
                    "oc adm policy add-scc-to-user privileged -z ipfailover",
                    "oc adm policy add-scc-to-user hostnetwork -z ipfailover"):
            self.assertIn(cmd, text, f"deploy/serviceaccount.sh lacks the page's `{cmd}`")
        scc_names = {d["metadata"]["name"] for _, d in self.docs
                     if d["kind"] == "SecurityContextConstraints"}
        for granted in re.findall(r"add-scc-to-user\s+(\S+)", text):
            if granted not in ("privileged", "hostnetwork"):
                self.assertIn(granted, scc_names, f"serviceaccount.sh grants SCC {granted}, which "
                                                  f"deploy/ does not define")
        r = subprocess.run(["bash", "-n", path], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    SRC, XVRRPD = os.path.abspath(sys.argv[1]), sys.argv[2]
    unittest.main(argv=[sys.argv[0], "-v"])
