#!/usr/bin/env python3
"""Runs scripts/build-stage.sh, the Dockerfile's build stage, into a temporary prefix and checks
what it installed: every file of its layout, a BPF ELF object, `xvrrpd --version` printing the
project version, and every shared library the binaries load coming from a package the Dockerfile's
runtime stage installs (or from the debian:bookworm-slim base), and every tool, pkg-config module
and CMake package the configure step REQUIRES coming from `install-deps.sh --build-only` (the
image's build stage has nothing else; this machine has the test packages too).

usage: build_stage_test.py SOURCE_DIR BUILD_DIR PROJECT_VERSION
  BUILD_DIR is kept between runs so only what changed is recompiled.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dockerfile as df  # noqa: E402

SRC = BUILD = VERSION = None
EM_BPF = 247
# A private copy of this machine's mounts: what the entrypoint mounts there stays there.
PRIVATE_MOUNTS = ["unshare", "--mount", "--propagation", "private"]
# Always present in debian:bookworm-slim (apt itself links them).
BASE_IMAGE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6"}


class BuildStageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.prefix = tempfile.mkdtemp(prefix="xvrrp-stage-")
        script = os.path.join(SRC, "scripts", "build-stage.sh")
        run = subprocess.run(["bash", script, "--prefix", cls.prefix, "--build-dir", BUILD],
                             capture_output=True, text=True, env=dict(os.environ, XVRRP_JOBS="2"))
        if run.returncode != 0:
            shutil.rmtree(cls.prefix, ignore_errors=True)
            raise AssertionError(f"{script} failed with status {run.returncode}:\n"
                                 f"{run.stdout[-4000:]}\n{run.stderr[-4000:]}")
        cls.layout = subprocess.run(["bash", script, "--print-layout"], check=True,
                                    capture_output=True, text=True).stdout.split()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.prefix, ignore_errors=True)

    def path(self, rel):
        return os.path.join(self.prefix, rel)

    def binaries(self):
        return [self.path(r) for r in self.layout
                if r.startswith("bin/") and not os.path.islink(self.path(r))]

    def test_layout_installed(self):
        for rel in ("bin/xvrrpd", "bin/xvrrpctl"):
            self.assertIn(rel, self.layout)
        self.assertTrue(any(r.startswith("lib/xvrrp/") and r.endswith(".bpf.o") for r in self.layout),
                        f"no BPF object in the layout {self.layout}")
        for rel in self.layout:
            p = self.path(rel)
            self.assertTrue(os.path.isfile(p), f"build-stage.sh did not install {p}")
            if rel.startswith("bin/"):
                self.assertTrue(os.access(p, os.X_OK), f"{p} is not executable")

    def test_entrypoint_is_found_by_the_pages_liveness_probe(self):
        # The image starts xvrrpd through lib/xvrrp/entrypoint and the symlink keepalived-xvrrpd,
        # so that `pgrep keepalived`, the OKD page's liveness probe, finds it in a Deployment
        # where only the image was changed. A private mount namespace keeps the entrypoint's
        # bpffs mount (if any) off this machine.
        link = self.path("bin/keepalived-xvrrpd")
        self.assertTrue(os.path.islink(link), f"{link} is not a symlink")
        self.assertEqual(os.path.realpath(link), os.path.realpath(self.path("bin/xvrrpd")))
        entry = self.path("lib/xvrrp/entrypoint")
        r = subprocess.run(PRIVATE_MOUNTS + [entry, "--version"], capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(r.returncode, 0, f"xvrrpd started through {entry}: {r.stderr}")
        self.assertIn(VERSION, r.stdout)
        # Keep one running (it waits for its --env-file on a pipe) and ask pgrep.
        p = subprocess.Popen(PRIVATE_MOUNTS + [entry, "--check-config", "--env-file", "/dev/stdin"],
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        try:
            found = []
            for _ in range(50):
                found = subprocess.run(["pgrep", "keepalived"], capture_output=True,
                                       text=True).stdout.split()
                if str(p.pid) in found:
                    break
                time.sleep(0.1)
            with open(f"/proc/{p.pid}/comm") as f:
                comm = f.read().strip()
            self.assertIn(str(p.pid), found, f"`pgrep keepalived` does not find xvrrpd started as "
                                             f"{link} (process name {comm!r})")
        finally:
            p.stdin.close()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def test_entrypoint_mounts_a_bpffs_only_where_there_is_none_and_it_may(self):
        entry = self.path("lib/xvrrp/entrypoint")
        # As in a privileged pod without the host's /sys/fs/bpf: no bpffs, mounting allowed.
        script = ('umount /sys/fs/bpf 2>/dev/null; "$0" --version && '
                  'stat -f -c "type=%T" /sys/fs/bpf')
        r = subprocess.run(PRIVATE_MOUNTS + ["sh", "-c", script, entry], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("type=bpf_fs", r.stdout, f"no bpffs after the entrypoint: {r.stderr}")
        self.assertIn("mounted one for this pod only", r.stderr)
        # As in the least-privilege pod on a host without bpffs: no CAP_SYS_ADMIN, so nothing is
        # mounted and xvrrpd still starts (and would name the problem itself).
        script = ('umount /sys/fs/bpf 2>/dev/null; exec setpriv --bounding-set=-sys_admin '
                  '--inh-caps=-all -- sh -c \'"$0" --version && stat -f -c "type=%T" /sys/fs/bpf\' '
                  '"$0"')
        r = subprocess.run(PRIVATE_MOUNTS + ["sh", "-c", script, entry], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("type=bpf_fs", r.stdout)
        self.assertNotIn("mounted one", r.stderr)

    def test_bpf_object_is_a_bpf_elf(self):
        for rel in self.layout:
            if rel.endswith(".bpf.o"):
                with open(self.path(rel), "rb") as f:
                    head = f.read(20)
                self.assertEqual(head[:4], b"\x7fELF", f"{rel} is not an ELF file")
                machine = int.from_bytes(head[18:20], "little" if head[5] == 1 else "big")
                self.assertEqual(machine, EM_BPF, f"{rel}: ELF machine {machine}, expected EM_BPF")

    def test_xvrrpd_version_runs_from_the_prefix(self):
        r = subprocess.run([self.path("bin/xvrrpd"), "--version"], capture_output=True, text=True,
                           timeout=30, env={"PATH": "/usr/bin:/bin"})
        self.assertEqual(r.returncode, 0, f"xvrrpd --version exited {r.returncode}: {r.stderr}")
        self.assertIn(VERSION, r.stdout + r.stderr,
                      f"xvrrpd --version does not print the project version {VERSION}: "
                      f"{(r.stdout + r.stderr)!r}")

    def test_runtime_stage_provides_every_shared_library(self):
        stages = df.read_stages(os.path.join(SRC, "Dockerfile"))
        runtime_pkgs = {p for i in stages[-1].instructions if i.keyword == "RUN"
                        for p in df.apt_install_packages(i.args)} | BASE_IMAGE_PACKAGES
        for binary in self.binaries():
            ldd = subprocess.run(["ldd", binary], capture_output=True, text=True)
            self.assertEqual(ldd.returncode, 0, f"ldd {binary}: {ldd.stderr}")
            libs = []
            for line in ldd.stdout.splitlines():
                self.assertNotIn("not found", line, f"{binary}: {line.strip()}")
                words = line.split()
                path = words[2] if "=>" in words and len(words) > 2 else words[0]
                if path.startswith("/"):
                    libs.append(path)
            for lib in libs:
                owner = package_of(lib)
                self.assertIsNotNone(owner, f"{binary} loads {lib}, which no Debian package owns")
                self.assertIn(owner, runtime_pkgs,
                              f"{os.path.basename(binary)} loads {lib} from package {owner}, which "
                              f"the Dockerfile's runtime stage does not install")

    def test_configure_requirements_come_from_build_only_dependencies(self):
        closure = build_only_closure()
        cache = read_cmake_cache(os.path.join(BUILD, "CMakeCache.txt"))
        for cmakelists, kind, name, extra in required_finds():
            paths = []
            if kind == "program":
                paths = [cache.get(name, "")]
            elif kind == "pkg":
                for module in extra:
                    r = subprocess.run(["pkg-config", "--path", module], capture_output=True,
                                       text=True)
                    self.assertEqual(r.returncode, 0, f"{cmakelists}: pkg-config finds no {module}")
                    paths.append(r.stdout.strip())
            elif kind == "package":
                d = cache.get(f"{name}_DIR", "")
                if not d or d.endswith("-NOTFOUND"):
                    continue  # a CMake find module (Threads, GTest via FindGTest): part of cmake
                paths = sorted(glob.glob(os.path.join(d, "*onfig.cmake")))[:1]
            for path in paths:
                self.assertTrue(path and os.path.exists(path),
                                f"{cmakelists}: the REQUIRED {kind} {name} was not found ({path!r})")
                owner = package_of(path)
                self.assertIsNotNone(owner, f"{cmakelists}: {path} belongs to no Debian package")
                self.assertIn(owner, closure,
                              f"{cmakelists}: the REQUIRED {kind} {name} comes from {owner}, which "
                              f"`install-deps.sh --build-only` does not install: the image's build "
                              f"stage would fail to configure")


def package_of(path):
    # merged /usr: dpkg may know the /lib or the /usr/lib spelling, or only the real file
    candidates = (path, "/usr" + path if not path.startswith("/usr/") else path[4:],
                  os.path.realpath(path))
    for candidate in candidates:
        r = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(":", 1)[0].split(",")[0].strip()
    return None


def read_cmake_cache(path):
    cache = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"^([A-Za-z0-9_.+-]+):[A-Z]+=(.*)$", line.rstrip("\n"))
            if m:
                cache[m.group(1)] = m.group(2)
    return cache


def required_finds():
    """(file, kind, name, modules) for every find_program / pkg_check_modules / find_package
    call marked REQUIRED in the project's CMake files."""
    out = []
    files = glob.glob(os.path.join(SRC, "**", "CMakeLists.txt"), recursive=True)
    for path in files:
        rel = os.path.relpath(path, SRC)
        if rel.startswith(("build", ".git")):
            continue
        with open(path) as f:
            text = re.sub(r"#[^\n]*", "", f.read())
        for call, args in re.findall(r"\b(find_program|pkg_check_modules|find_package)\s*\(([^)]*)\)",
                                     text, flags=re.I):
            words = args.split()
            if "REQUIRED" not in words or not words:
                continue
            call = call.lower()
            if call == "find_program":
                out.append((rel, "program", words[0], []))
            elif call == "pkg_check_modules":
                mods = [w for w in words[1:] if w not in ("REQUIRED", "QUIET", "IMPORTED_TARGET",
                                                          "GLOBAL", "NO_CMAKE_PATH",
                                                          "NO_CMAKE_ENVIRONMENT_PATH")]
                out.append((rel, "pkg", words[0], mods))
            else:
                out.append((rel, "package", words[0], []))
    return out


def build_only_packages():
    with open(os.path.join(SRC, "scripts", "install-deps.sh")) as f:
        text = f.read()
    m = re.search(r"build_pkgs=\(([^)]*)\)", text)
    if not m:
        raise AssertionError("scripts/install-deps.sh has no build_pkgs=( ... ) list")
    return re.sub(r"#[^\n]*", "", m.group(1)).split()


def build_only_closure():
    """The installed packages `install-deps.sh --build-only` brings in: its list plus, recursively,
    their Depends and Pre-Depends (virtual names resolved through Provides), plus Essential ones."""
    fmt = "${Package}\t${Essential}\t${Depends}\t${Pre-Depends}\t${Provides}\t${db:Status-Abbrev}\n"
    rows = subprocess.run(["dpkg-query", "-W", "-f", fmt], capture_output=True, text=True,
                          check=True).stdout.splitlines()
    deps, providers, essential = {}, {}, set()
    for row in rows:
        pkg, ess, dep, pre, prov, status = (row.split("\t") + [""] * 6)[:6]
        if not status.startswith("ii"):
            continue
        deps[pkg] = [[alt.split()[0].split(":")[0] for alt in group.split("|")]
                     for group in (dep + ("," if dep and pre else "") + pre).split(",") if group.strip()]
        for v in prov.split(","):
            if v.strip():
                providers.setdefault(v.split()[0].split(":")[0], []).append(pkg)
        if ess == "yes":
            essential.add(pkg)
    todo = list(build_only_packages()) + sorted(essential)
    seen = set()
    while todo:
        pkg = todo.pop()
        for real in ([pkg] if pkg in deps else providers.get(pkg, [])):
            if real in seen:
                continue
            seen.add(real)
            for group in deps.get(real, []):
                todo.extend(group)
    return seen


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    SRC, BUILD, VERSION = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), sys.argv[3]
    unittest.main(argv=[sys.argv[0], "-v"])
