#!/usr/bin/env python3
"""Checks deploy/'s kustomize tree and deploy/monitoring without kustomize, kubectl or a cluster.

Each kustomization parses, names only files that exist, and builds (kustomize_build.py, the subset
of kustomize the tree uses) into the objects its overlay is for: privileged, least-privilege (no
privileged mode, exactly CAP_BPF, CAP_NET_ADMIN, CAP_NET_RAW, CAP_PERFMON), deployment (the
Deployment instead of the DaemonSet) and plain-kubernetes (a Namespace with Pod Security labels,
nothing OpenShift-only); the image tag is the CMake project version; probes are /livez and /readyz
on 63000; priority class, tolerations and resources are set; the pod is the flat manifests' pod
(which manifests_test.py runs through `xvrrpd --check-config`); the env-file component wires a
ConfigMap to `--env-file`. The Grafana dashboard, the PrometheusRule and the PodMonitor are
well-formed, and every metric, and every state/outcome/reason label value, they use is one the
daemon's source produces (userspace/daemon/status_pages.cpp and the name tables it uses).

usage: kustomize_test.py SOURCE_DIR
"""
import glob
import json
import os
import re
import sys
import unittest

try:
    import yaml
except ImportError:  # a missing dependency fails the suite, it does not skip it
    sys.exit("kustomize_test.py: python3-yaml is not installed (scripts/install-deps.sh installs it)")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kustomize_build as kb  # noqa: E402

SRC = None
IMAGE = "quay.io/xvrrp/xvrrp"
HEALTH_PORT = 63000
LEAST_PRIVILEGE_CAPS = {"NET_ADMIN", "NET_RAW", "BPF", "PERFMON"}
OVERLAYS = {
    "privileged": {("ServiceAccount", "ipfailover"), ("ConfigMap", "keepalived-checkscript"),
                   ("DaemonSet", "ipfailover-keepalived")},
    "least-privilege": {("ServiceAccount", "ipfailover"), ("ConfigMap", "keepalived-checkscript"),
                        ("DaemonSet", "ipfailover-keepalived"),
                        ("SecurityContextConstraints", "xvrrp-ipfailover")},
    "deployment": {("ServiceAccount", "ipfailover"), ("ConfigMap", "keepalived-checkscript"),
                   ("Deployment", "ipfailover-keepalived")},
    "plain-kubernetes": {("Namespace", "xvrrp"), ("ServiceAccount", "ipfailover"),
                         ("ConfigMap", "keepalived-checkscript"), ("DaemonSet", "ipfailover-keepalived")},
}
ENV_FILE_COMPONENT = "../../components/env-file"
PSA_LABELS = ("pod-security.kubernetes.io/enforce", "pod-security.kubernetes.io/audit",
              "pod-security.kubernetes.io/warn")
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
                "unless", "bool", "offset", "inf", "nan", "le"}
SEVERITIES = {"critical", "warning", "info"}


def deploy(*parts):
    return os.path.join(SRC, "deploy", *parts)


def project_version():
    with open(os.path.join(SRC, "CMakeLists.txt")) as f:
        m = re.search(r"project\(\s*xvrrp\s+VERSION\s+([0-9][0-9.]*)", f.read())
    if not m:
        raise AssertionError("CMakeLists.txt has no `project(xvrrp VERSION ...)`")
    return m.group(1)


def workload(objects, where):
    w = [o for o in objects if o["kind"] in ("DaemonSet", "Deployment")]
    if len(w) != 1:
        raise AssertionError(f"{where}: {len(w)} workloads, expected one")
    return w[0]


def pod_spec(o):
    return o["spec"]["template"]["spec"]


def daemon_container(o, where):
    cs = [c for c in pod_spec(o).get("containers", []) if c.get("name") == "openshift-ipfailover"]
    if len(cs) != 1:
        raise AssertionError(f"{where}: no container openshift-ipfailover")
    return cs[0]


def quantity(q):
    """A Kubernetes quantity as a number (bytes or cores)."""
    m = re.fullmatch(r"([0-9.]+)(m|Ki|Mi|Gi|k|M|G)?", str(q))
    if not m:
        raise AssertionError(f"{q!r} is not a quantity")
    scale = {None: 1, "m": 1e-3, "Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "k": 1e3, "M": 1e6, "G": 1e9}
    return float(m.group(1)) * scale[m.group(2)]


def produced_metrics():
    """{name: type} of every family status_pages.cpp adds to /metrics."""
    path = os.path.join(SRC, "userspace", "daemon", "status_pages.cpp")
    with open(path) as f:
        text = f.read()
    out = {}
    for m in re.finditer(r'\badd\(\s*"([a-zA-Z_:][a-zA-Z0-9_:]*)"', text):
        t = re.compile(r'"(gauge|counter|histogram|summary)"\s*\)').search(text, m.end())
        if not t:
            raise AssertionError(f"{path}: add(\"{m.group(1)}\", ...) has no type")
        out[m.group(1)] = t.group(1)
    if "xvrrp_group_state" not in out:
        raise AssertionError(f"{path}: found no add(\"xvrrp_...\") calls: {sorted(out)[:5]}")
    return out


def quoted_names(path, start, end):
    """The string literals between two markers of a source file (a name table)."""
    with open(os.path.join(SRC, path)) as f:
        text = f.read()
    i = text.find(start)
    j = text.find(end, i + 1)
    if i < 0 or j < 0:
        raise AssertionError(f"{path}: cannot find the name table ({start!r} .. {end!r})")
    return set(re.findall(r'"([a-z0-9_A-Z]+)"', text[i:j]))


def label_values():
    return {
        "state": quoted_names("userspace/daemon/status_pages.cpp", "kStates", ";"),
        "outcome": quoted_names("userspace/adapters/dataplane_maps.cpp", '"packets"', "static_assert"),
        "reason": quoted_names("userspace/core/vrrp_packet.cpp", "reason_name(Reason r)", "\n}"),
    }


def metric_names(expr):
    """The metric names a PromQL expression reads (strings, label matchers, grouping clauses,
    ranges and function names removed)."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    e = re.sub(r"\{[^}]*\}", " ", e)
    e = re.sub(r"\[[^\]]*\]", " ", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    e = re.sub(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?", " ", e)
    names = set()
    for m in re.finditer(r"(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?", e):
        if m.group(2) or m.group(1) in PROMQL_WORDS:
            continue
        names.add(m.group(1))
    return names


def label_matchers(expr):
    """(label, op, value) of every matcher in the expression's {...} selectors."""
    out = []
    for sel in re.findall(r"\{([^}]*)\}", expr):
        out += re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)"', sel)
    return out


def check_expr(test, where, expr, produced, values):
    names = metric_names(expr)
    test.assertTrue(names, f"{where}: reads no metric: {expr}")
    for n in names:
        base = re.sub(r"_(bucket|sum|count)$", "", n)
        ok = n in produced or (base != n and produced.get(base) in ("histogram", "summary")
                               and not (n.endswith("_bucket") and produced[base] == "summary"))
        test.assertTrue(ok, f"{where}: metric {n} is not produced by xvrrpd "
                            f"(userspace/daemon/status_pages.cpp): {expr}")
    for label, op, value in label_matchers(expr):
        if label not in values or "$" in value:
            continue
        known = values[label]
        if op in ("=", "!="):
            test.assertIn(value, known, f"{where}: {label}=\"{value}\" is never produced "
                                        f"(known: {sorted(known)})")
        else:
            test.assertTrue(any(re.fullmatch(value, k) for k in known),
                            f"{where}: {label}{op}\"{value}\" matches no value xvrrpd produces")


class KustomizeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.built = {}
        for name in OVERLAYS:
            try:
                cls.built[name] = kb.build(deploy("overlays", name))
            except kb.KustomizeError as e:
                raise AssertionError(f"deploy/overlays/{name}: {e}")

    def test_every_kustomization_parses_and_its_files_exist(self):
        found = glob.glob(deploy("**", "kustomization.y*ml"), recursive=True)
        self.assertTrue(found, "deploy/ has no kustomization.yaml")
        referenced = set()
        for path in found:
            d = os.path.dirname(path)
            with open(path) as f:
                k = yaml.safe_load(f)
            kind = k.get("kind") if isinstance(k, dict) else None
            self.assertIn(kind, ("Kustomization", "Component"), f"{path}: kind")
            kb.read_kustomization(d, kind)  # known keys, apiVersion
            referenced.add(os.path.abspath(path))
            for key in ("resources", "components"):
                for r in k.get(key, []):
                    t = os.path.normpath(os.path.join(d, r))
                    self.assertTrue(os.path.exists(t), f"{path}: {key} entry {r} does not exist")
                    if key == "components":
                        self.assertTrue(os.path.isdir(t), f"{path}: component {r} is not a directory")
                    referenced.add(t if os.path.isfile(t) else os.path.join(t, "kustomization.yaml"))
            for p in k.get("patches", []):
                if "path" in p:
                    t = os.path.normpath(os.path.join(d, p["path"]))
                    self.assertTrue(os.path.isfile(t), f"{path}: patch {p['path']} does not exist")
                    referenced.add(t)
            if kind == "Kustomization":
                try:
                    kb.build(d)
                except kb.KustomizeError as e:
                    self.fail(f"{os.path.relpath(d, SRC)} does not build: {e}")
        # Every YAML file of the tree parses and is used by some kustomization.
        for top in ("base", "overlays", "components", "monitoring"):
            for f in glob.glob(deploy(top, "**", "*.y*ml"), recursive=True):
                kb.load_yaml_docs(f)
                self.assertIn(os.path.abspath(f), referenced,
                              f"{os.path.relpath(f, SRC)} is in the kustomize tree but no "
                              f"kustomization uses it")

    def test_overlays_yield_their_objects(self):
        for name, want in OVERLAYS.items():
            got = {kb.ident(o) for o in self.built[name]}
            self.assertEqual(got, want, f"deploy/overlays/{name}: builds {sorted(got)}")
            for o in self.built[name]:
                self.assertNotIn("$patch", json.dumps(o), f"{name}: a patch directive was left in {kb.ident(o)}")

    def test_privileged_overlays_and_least_privilege(self):
        for name in ("privileged", "deployment", "plain-kubernetes"):
            c = daemon_container(workload(self.built[name], name), name)
            self.assertIs(c.get("securityContext", {}).get("privileged"), True, f"{name}: privileged")
        w = workload(self.built["least-privilege"], "least-privilege")
        self.assertNotIn("privileged: true", yaml.safe_dump(w), "least-privilege: privileged: true left")
        for c in pod_spec(w).get("containers", []) + pod_spec(w).get("initContainers", []):
            sc = c.get("securityContext", {})
            self.assertIs(sc.get("privileged"), False, f"least-privilege: {c['name']} privileged")
            self.assertEqual(sc.get("capabilities", {}).get("drop"), ["ALL"], "least-privilege: drop ALL")
            add = sc.get("capabilities", {}).get("add", [])
            self.assertEqual(sorted(add), sorted(LEAST_PRIVILEGE_CAPS),
                             f"least-privilege: capabilities {add}, expected exactly "
                             f"{sorted(LEAST_PRIVILEGE_CAPS)}")
            self.assertIs(sc.get("allowPrivilegeEscalation"), False, "least-privilege")
            for m in c.get("volumeMounts", []):
                self.assertNotEqual(m.get("mountPropagation"), "Bidirectional", "least-privilege")
        volumes = {v["name"] for v in pod_spec(w)["volumes"]}
        mounts = {m["name"] for m in daemon_container(w, "least-privilege")["volumeMounts"]}
        self.assertEqual(mounts, volumes, "least-privilege: mounts and volumes disagree")
        (scc,) = [o for o in self.built["least-privilege"] if o["kind"] == "SecurityContextConstraints"]
        self.assertFalse(scc.get("allowPrivilegedContainer"), "the SCC must not allow privileged")
        self.assertEqual(set(scc.get("allowedCapabilities", [])), LEAST_PRIVILEGE_CAPS, "SCC capabilities")

    def test_plain_kubernetes_has_a_privileged_psa_namespace(self):
        objs = self.built["plain-kubernetes"]
        ns = [o for o in objs if o["kind"] == "Namespace"]
        self.assertEqual(len(ns), 1, "plain-kubernetes: one Namespace")
        labels = ns[0]["metadata"].get("labels", {})
        for label in PSA_LABELS:
            self.assertEqual(labels.get(label), "privileged", f"plain-kubernetes: Namespace label {label}")
        for o in objs:
            if o["kind"] != "Namespace":
                self.assertEqual(o["metadata"].get("namespace"), ns[0]["metadata"]["name"],
                                 f"plain-kubernetes: {kb.ident(o)} is not in the namespace")
            self.assertNotIn("openshift.io", o["apiVersion"], f"plain-kubernetes: {kb.ident(o)}")
        spec = pod_spec(workload(objs, "plain-kubernetes"))
        self.assertFalse([s for s in spec.get("imagePullSecrets", []) if "openshift" in s["name"]],
                         "plain-kubernetes: OpenShift pull secret")
        self.assertNotIn("node-role.kubernetes.io/worker", spec.get("nodeSelector", {}),
                         "plain-kubernetes: OpenShift's worker role label is not on plain nodes")

    def test_image_tag_is_the_project_version(self):
        version = project_version()
        for name, objs in self.built.items():
            for o in objs:
                for c in kb.all_containers(o):
                    self.assertEqual(c.get("image"), f"{IMAGE}:{version}",
                                     f"{name}: {c['name']} image (CMakeLists.txt says {version})")

    def test_probes_priority_tolerations_resources(self):
        for name, objs in self.built.items():
            w = workload(objs, name)
            spec, c = pod_spec(w), daemon_container(w, name)
            for probe, path in (("livenessProbe", "/livez"), ("readinessProbe", "/readyz")):
                http = c.get(probe, {}).get("httpGet", {})
                self.assertEqual((http.get("path"), http.get("port")), (path, HEALTH_PORT), f"{name}: {probe}")
            self.assertEqual(spec.get("priorityClassName"), "system-node-critical", f"{name}: priority")
            keys = {t.get("key") for t in spec.get("tolerations", [])}
            self.assertIn("node-role.kubernetes.io/control-plane", keys, f"{name}: tolerations")
            res = c.get("resources", {})
            for kind in ("cpu", "memory"):
                req, lim = res.get("requests", {}).get(kind), res.get("limits", {}).get(kind)
                self.assertIsNotNone(req, f"{name}: no {kind} request")
                self.assertIsNotNone(lim, f"{name}: no {kind} limit")
                self.assertLessEqual(quantity(req), quantity(lim), f"{name}: {kind} request > limit")
            # The measured RSS is 8-20 MiB: a request below it gets the pod evicted first, a
            # limit near it OOM-kills it under a burst of takeovers or a script.
            self.assertGreaterEqual(quantity(res["requests"]["memory"]), 20 * 2 ** 20, f"{name}: memory request")
            self.assertGreaterEqual(quantity(res["limits"]["memory"]), 64 * 2 ** 20, f"{name}: memory limit")

    def test_keep_dataplane_and_replicas(self):
        for name, objs in self.built.items():
            w = workload(objs, name)
            c = daemon_container(w, name)
            if w["kind"] == "DaemonSet":
                self.assertIn("--keep-dataplane", c.get("args", []), f"{name}: DaemonSet restarts can be hitless")
            else:
                self.assertNotIn("--keep-dataplane", c.get("args", []), f"{name}: the next pod may run elsewhere")
                env = {e["name"]: e.get("value") for e in c["env"]}
                self.assertEqual(int(env["OPENSHIFT_HA_REPLICA_COUNT"]), w["spec"]["replicas"],
                                 f"{name}: replicas != OPENSHIFT_HA_REPLICA_COUNT")

    def test_the_pod_is_the_flat_manifests_pod(self):
        # manifests_test.py validates the flat files with xvrrpd itself; the tree must not drift.
        for name, flat_file in (("privileged", "ipfailover-daemonset.yaml"),
                                ("deployment", "ipfailover-deployment.yaml")):
            (flat,) = kb.load_yaml_docs(deploy(flat_file))
            w = workload(self.built[name], name)
            ours, theirs = daemon_container(w, name), daemon_container(flat, flat_file)
            for key in ("env", "volumeMounts", "livenessProbe", "readinessProbe", "securityContext"):
                self.assertEqual(ours.get(key), theirs.get(key), f"{name}: {key} differs from deploy/{flat_file}")
            self.assertEqual([a for a in ours.get("args", [])], theirs.get("args", []),
                             f"{name}: args differ from deploy/{flat_file}")
            for key in ("volumes", "nodeSelector", "hostNetwork", "serviceAccountName"):
                self.assertEqual(pod_spec(w).get(key), pod_spec(flat).get(key),
                                 f"{name}: pod {key} differs from deploy/{flat_file}")
        # least_privilege_test.py holds the flat least-privilege Deployment's capabilities to the
        # kernel; the overlay must grant the same, with the same pod-level seccomp and SELinux.
        flat = [o for o in kb.load_yaml_docs(deploy("least-privilege", "ipfailover-deployment.yaml"))
                if o["kind"] == "Deployment"][0]
        w = workload(self.built["least-privilege"], "least-privilege")
        self.assertEqual(daemon_container(w, "least-privilege").get("securityContext"),
                         daemon_container(flat, "least-privilege/ipfailover-deployment.yaml").get("securityContext"),
                         "least-privilege: container securityContext differs from deploy/least-privilege/")
        self.assertEqual(pod_spec(w).get("securityContext"), pod_spec(flat).get("securityContext"),
                         "least-privilege: pod securityContext differs from deploy/least-privilege/")
        (flat_cm,) = kb.load_yaml_docs(deploy("checkscript-configmap.yaml"))
        (cm,) = [o for o in self.built["privileged"] if o["kind"] == "ConfigMap"]
        self.assertEqual(cm["data"], flat_cm["data"], "base ConfigMap differs from deploy/checkscript-configmap.yaml")

    def test_env_file_component(self):
        for name in OVERLAYS:
            objs = kb.build(deploy("overlays", name), extra_components=[ENV_FILE_COMPONENT])
            w = workload(objs, name)
            c = daemon_container(w, name)
            args = c.get("args", [])
            self.assertIn("--env-file", args, f"{name} + env-file: no --env-file")
            path = args[args.index("--env-file") + 1]
            mounts = [m for m in c["volumeMounts"] if m["mountPath"] == os.path.dirname(path)]
            self.assertEqual(len(mounts), 1, f"{name} + env-file: {os.path.dirname(path)} not mounted")
            self.assertNotIn("subPath", mounts[0], f"{name} + env-file: a subPath mount is never updated")
            vol = {v["name"]: v for v in pod_spec(w)["volumes"]}[mounts[0]["name"]]
            cms = {o["metadata"]["name"]: o for o in objs if o["kind"] == "ConfigMap"}
            cm = cms.get(vol.get("configMap", {}).get("name"))
            self.assertIsNotNone(cm, f"{name} + env-file: the volume's ConfigMap is not in the build")
            self.assertIn(os.path.basename(path), cm.get("data", {}), f"{name} + env-file: no key")
            for line in cm["data"][os.path.basename(path)].splitlines():
                line = line.strip()
                if line and not line.startswith("#"):
                    self.assertRegex(line, r"^(export )?[A-Z][A-Z0-9_]*=", f"env file line {line!r}")
            self.assertEqual(c.get("args", [])[:1] == ["--keep-dataplane"], w["kind"] == "DaemonSet",
                             f"{name} + env-file: the DaemonSet's --keep-dataplane was lost")

    def test_dashboard(self):
        path = deploy("monitoring", "grafana-dashboard.json")
        with open(path) as f:
            try:
                d = json.load(f)
            except json.JSONDecodeError as e:
                self.fail(f"{path}: not JSON: {e}")
        self.assertTrue(d.get("title") and d.get("uid"), "dashboard: title and uid")
        variables = {v["name"] for v in d.get("templating", {}).get("list", [])}
        panels = d.get("panels", [])
        self.assertGreaterEqual(len(panels), 6, "dashboard: too few panels")
        ids = [p.get("id") for p in panels]
        self.assertEqual(len(ids), len(set(ids)), "dashboard: panel ids repeat")
        produced, values = produced_metrics(), label_values()
        used = set()
        for p in panels:
            where = f"dashboard panel {p.get('title')!r}"
            ds = p.get("datasource")
            self.assertTrue(isinstance(ds, dict) and ds.get("type") == "prometheus" and ds.get("uid"),
                            f"{where}: no Prometheus datasource")
            m = re.fullmatch(r"\$\{?(\w+)\}?", ds["uid"])
            if m:
                self.assertIn(m.group(1), variables, f"{where}: datasource variable {ds['uid']} undefined")
            self.assertTrue(p.get("targets"), f"{where}: no targets")
            for t in p["targets"]:
                self.assertTrue(t.get("expr") and t.get("refId"), f"{where}: a target lacks expr/refId")
                check_expr(self, where, t["expr"], produced, values)
                used |= metric_names(t["expr"])
        def datasources(node):
            if isinstance(node, dict):
                if isinstance(node.get("datasource"), dict):
                    yield node["datasource"]
                for v in node.values():
                    yield from datasources(v)
            elif isinstance(node, list):
                for v in node:
                    yield from datasources(v)
        for ds in datasources(d):  # panels, targets and variables alike
            m = re.fullmatch(r"\$\{?(\w+)\}?", str(ds.get("uid", "")))
            if m:
                self.assertIn(m.group(1), variables, f"dashboard: datasource variable {ds['uid']} undefined")
        for needed in ("xvrrp_group_state", "xvrrp_group_transitions_total",
                       "xvrrp_group_takeover_seconds_bucket", "xvrrp_xdp_packets_total",
                       "xvrrp_adverts_dropped_total", "process_resident_memory_bytes"):
            self.assertIn(needed, used, f"dashboard: no panel shows {needed}")

    def rules(self):
        (doc,) = kb.load_yaml_docs(deploy("monitoring", "prometheusrule.yaml"))
        self.assertEqual((doc.get("apiVersion"), doc.get("kind")), ("monitoring.coreos.com/v1", "PrometheusRule"))
        return [r for g in doc["spec"]["groups"] for r in g.get("rules", [])]

    def test_prometheus_rules(self):
        produced, values = produced_metrics(), label_values()
        rules = self.rules()
        self.assertTrue(rules, "PrometheusRule has no rules")
        names = set()
        for r in rules:
            where = f"alert {r.get('alert')}"
            self.assertTrue(r.get("alert"), "a rule without alert (recording rules are not expected)")
            self.assertNotIn(r["alert"], names, f"{where}: twice")
            names.add(r["alert"])
            self.assertTrue(isinstance(r.get("expr"), str) and r["expr"].strip(), f"{where}: no expr")
            self.assertRegex(str(r.get("for", "")), r"^([0-9]+(ms|s|m|h|d))+$", f"{where}: for")
            self.assertIn(r.get("labels", {}).get("severity"), SEVERITIES, f"{where}: labels.severity")
            self.assertTrue(r.get("annotations", {}).get("summary"), f"{where}: annotations.summary")
            check_expr(self, where, r["expr"], produced, values)
        exprs = " ".join(r["expr"] for r in rules)
        for needle, what in (('xvrrp_group_state{state="MASTER"}', "masters per group != 1"),
                             ("xvrrp_check_passing", "check failing"),
                             ('reason="bad_auth"', "bad_auth drops"),
                             ("absent(xvrrp_up", "no node up"),
                             ("xvrrp_group_takeover_seconds_count", "takeovers too frequent")):
            self.assertIn(needle, exprs, f"PrometheusRule: no alert for {what}")

    def test_podmonitor_scrapes_the_pods(self):
        (pm,) = kb.load_yaml_docs(deploy("monitoring", "podmonitor.yaml"))
        self.assertEqual((pm.get("apiVersion"), pm.get("kind")), ("monitoring.coreos.com/v1", "PodMonitor"))
        sel = pm["spec"]["selector"]["matchLabels"]
        (ep,) = pm["spec"]["podMetricsEndpoints"]
        self.assertEqual(ep.get("path"), "/metrics", "PodMonitor path")
        for name, objs in self.built.items():
            w = workload(objs, name)
            labels = w["spec"]["template"]["metadata"]["labels"]
            self.assertLessEqual(sel.items(), labels.items(), f"PodMonitor selects no {name} pod")
            ports = {p.get("name"): p.get("containerPort") for p in daemon_container(w, name).get("ports", [])}
            self.assertEqual(ports.get(ep.get("port")), HEALTH_PORT,
                             f"{name}: PodMonitor port {ep.get('port')} is not the named port {HEALTH_PORT}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    SRC = os.path.abspath(sys.argv[1])
    unittest.main(argv=[sys.argv[0], "-v"])
