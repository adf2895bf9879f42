#!/usr/bin/env python3
"""Runs scripts/build-stage.sh, the Dockerfile's build stage, into a temporary prefix and checks
what it installed: every file of its layout, a BPF ELF object, `xvrrpd --version` printing the
project version, and every shared library the binaries load coming from a package the Dockerfile's
runtime stage installs (or from the debian:bookworm-slim base).

usage: build_stage_test.py SOURCE_DIR BUILD_DIR PROJECT_VERSION
  BUILD_DIR is kept between runs so only what changed is recompiled.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dockerfile as df  # noqa: E402

SRC = BUILD = VERSION = None
EM_BPF = 247
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
        return [self.path(r) for r in self.layout if r.startswith("bin/")]

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
                owner = None
                # merged /usr: dpkg may know the /lib or the /usr/lib spelling, or only the real file
                candidates = (lib, "/usr" + lib if lib.startswith("/lib") else lib.removeprefix("/usr"),
                              os.path.realpath(lib))
                for candidate in candidates:
                    r = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
                    if r.returncode == 0:
                        owner = r.stdout.split(":", 1)[0].split(",")[0].strip()
                        break
                self.assertIsNotNone(owner, f"{binary} loads {lib}, which no Debian package owns")
                self.assertIn(owner, runtime_pkgs,
                              f"{os.path.basename(binary)} loads {lib} from package {owner}, which "
                              f"the Dockerfile's runtime stage does not install")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    SRC, BUILD, VERSION = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), sys.argv[3]
    unittest.main(argv=[sys.argv[0], "-v"])
