#!/usr/bin/env python3
"""Static check of the Dockerfile (no docker engine runs here): every COPY source exists in the
build context and is not dropped by .dockerignore, every COPY --from names an earlier stage and a
path that stage produced, the build stage runs scripts/build-stage.sh, the runtime stage copies
every file that script installs, and the entrypoint is where that copy puts xvrrpd.

usage: dockerfile_test.py SOURCE_DIR
"""
import os
import re
import shlex
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dockerfile as df  # noqa: E402

SRC = None
BUILD_STAGE = "scripts/build-stage.sh"
# Packages the runtime stage must install by name: the VRRP accept rule needs nft; operators and
# the docs use ip.
RUNTIME_TOOLS = {"nftables", "iproute2"}
# Init programs allowed as PID 1 in front of xvrrpd, and the Debian package that installs each.
INITS = {"tini": "tini"}
# Layout entries that run xvrrpd, and the pattern of the page's liveness probe `pgrep keepalived`.
ENTRY_NAMES = ("lib/xvrrp/entrypoint", "bin/keepalived-xvrrpd", "bin/xvrrpd")
# The layout entry that is the entrypoint script, and its source in the repository.
ENTRYPOINT_SCRIPT = ("lib/xvrrp/entrypoint", "scripts/container-entrypoint.sh")
PAGE_PROBE_PATTERN = "keepalived"


def layout():
    out = subprocess.run(["bash", os.path.join(SRC, BUILD_STAGE), "--print-layout"],
                         check=True, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line]


def build_stage_runs(stage):
    """(instruction, --prefix value or None) for every RUN of the stage calling build-stage.sh."""
    runs = []
    for ins in stage.instructions:
        if ins.keyword != "RUN":
            continue
        for cmd in df.shell_commands(ins.args):
            words = cmd[1:] if cmd and os.path.basename(cmd[0]) in ("bash", "sh") else cmd
            if words and words[0].endswith(BUILD_STAGE):
                prefix = None
                if "--prefix" in words:
                    i = words.index("--prefix")
                    prefix = words[i + 1] if i + 1 < len(words) else None
                runs.append((ins, words, prefix))
    return runs


def workdir_at(stage, line):
    wd = "/"
    for ins in stage.instructions:
        if ins.line >= line:
            break
        if ins.keyword == "WORKDIR":
            wd = os.path.join(wd, ins.args.strip())
    return wd


class DockerfileTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.path = os.path.join(SRC, "Dockerfile")
        if not os.path.exists(cls.path):
            raise AssertionError(f"{cls.path} does not exist")
        cls.stages = df.read_stages(cls.path)
        cls.ignore = df.DockerIgnore(os.path.join(SRC, ".dockerignore"))
        cls.layout = layout()
        if "bin/xvrrpd" not in cls.layout:
            raise AssertionError(f"{BUILD_STAGE} --print-layout does not list bin/xvrrpd: {cls.layout}")

    def stage_by_ref(self, ref, before):
        for s in self.stages[:before]:
            if s.name == ref or str(s.index) == ref:
                return s
        return None

    def test_context_copies_exist_and_are_not_ignored(self):
        for stage in self.stages:
            for ins in stage.instructions:
                if ins.keyword not in ("COPY", "ADD"):
                    continue
                c = df.parse_copy(ins)
                if c.from_stage is not None:
                    continue
                for src in c.sources:
                    hits = df.glob_sources(SRC, src)
                    self.assertTrue(hits, f"Dockerfile line {c.line}: COPY source '{src}' does not "
                                          f"exist in {SRC}")
                    for rel in hits:
                        self.assertFalse(self.ignore.excluded(rel),
                                         f"Dockerfile line {c.line}: COPY source '{rel}' is "
                                         f"excluded by .dockerignore")

    def test_dockerignore_keeps_what_cmake_reads(self):
        # The build stage configures the whole project: every directory the top-level
        # CMakeLists.txt adds, and every file CMake reads there, must reach the context.
        with open(os.path.join(SRC, "CMakeLists.txt")) as f:
            dirs = re.findall(r"add_subdirectory\(\s*([^\s)]+)", f.read())
        self.assertTrue(dirs, "no add_subdirectory() found in CMakeLists.txt")
        for d in dirs + ["CMakeLists.txt", "include", "scripts/install-deps.sh", BUILD_STAGE]:
            self.assertFalse(self.ignore.excluded(d), f".dockerignore excludes '{d}', which the "
                                                      f"build stage needs")
        # ... and the build trees stay out (they carry this machine's absolute paths).
        for d in ("build", "build-g", ".git"):
            self.assertTrue(self.ignore.excluded(d), f".dockerignore lets '{d}' into the context")

    def test_build_stage_runs_the_shared_script(self):
        runs = [(s, r) for s in self.stages for r in build_stage_runs(s)]
        self.assertTrue(runs, f"no stage runs {BUILD_STAGE}")
        with_prefix = [(s, r) for s, r in runs if r[2]]
        self.assertEqual(len(with_prefix), 1,
                         f"exactly one RUN must install with {BUILD_STAGE} --prefix; found "
                         f"{[r[0].line for _, r in with_prefix]}")
        stage, (ins, words, prefix) = with_prefix[0]
        self.assertTrue(os.path.isabs(prefix), f"line {ins.line}: --prefix {prefix} is not absolute")
        # The script must be in the stage's file system before it runs.
        copied = False
        for earlier in stage.instructions:
            if earlier.line >= ins.line:
                break
            if earlier.keyword == "COPY":
                c = df.parse_copy(earlier)
                if c.from_stage is None and any(
                        s in (".", "./") or os.path.normpath(s) in (BUILD_STAGE, "scripts")
                        for s in c.sources):
                    copied = True
        self.assertTrue(copied, f"line {ins.line}: {BUILD_STAGE} runs before any COPY brings it in")
        self.assertNotEqual(stage.index, len(self.stages) - 1,
                            "the build must not run in the runtime (last) stage")

    def runtime_copies(self):
        runtime = self.stages[-1]
        copies = []
        for ins in runtime.instructions:
            if ins.keyword == "COPY":
                c = df.parse_copy(ins)
                if c.from_stage is not None:
                    copies.append(c)
        return runtime, copies

    def installed_paths(self):
        """Absolute paths where build-stage.sh puts each layout entry, per stage name/index."""
        out = {}
        for s in self.stages:
            for ins, words, prefix in build_stage_runs(s):
                if prefix:
                    for ref in (s.name, str(s.index)):
                        if ref is not None:
                            out[ref] = {rel: os.path.join(prefix, rel) for rel in self.layout}
        return out

    def test_copy_from_names_earlier_stage_and_produced_paths(self):
        installed = self.installed_paths()
        for stage in self.stages:
            for ins in stage.instructions:
                if ins.keyword != "COPY":
                    continue
                c = df.parse_copy(ins)
                if c.from_stage is None:
                    continue
                src_stage = self.stage_by_ref(c.from_stage, stage.index)
                self.assertIsNotNone(src_stage, f"line {c.line}: COPY --from={c.from_stage} names "
                                                f"no earlier stage")
                produced = installed.get(c.from_stage, {}).values()
                for src in c.sources:
                    src = os.path.join(workdir_at(src_stage, 10**9), src)
                    self.assertTrue(any(df.under(p, src) for p in produced),
                                    f"line {c.line}: COPY --from={c.from_stage} {src}: that stage "
                                    f"installs nothing there (it installs {sorted(produced)})")

    def mapped(self, copies, installed):
        """Where each layout entry lands in the runtime stage."""
        where = {}
        for c in copies:
            produced = installed.get(c.from_stage, {})
            for src in c.sources:
                for rel, path in produced.items():
                    if df.under(path, src):
                        tail = os.path.relpath(path, src)
                        dest = c.dest if tail == "." and not c.dest.endswith("/") else \
                            os.path.normpath(os.path.join(c.dest, tail))
                        if tail == "." and c.dest.endswith("/"):
                            dest = os.path.join(c.dest, os.path.basename(path))
                        where[rel] = dest
        return where

    def test_runtime_stage_gets_every_installed_file_and_runs_xvrrpd(self):
        runtime, copies = self.runtime_copies()
        where = self.mapped(copies, self.installed_paths())
        missing = [rel for rel in self.layout if rel not in where]
        self.assertFalse(missing, f"the runtime stage does not copy {missing} from the build stage")
        entry = [i for i in runtime.instructions if i.keyword == "ENTRYPOINT"]
        self.assertEqual(len(entry), 1, "the runtime stage needs exactly one ENTRYPOINT")
        argv = df.exec_form(entry[0])
        self.assertIsNotNone(argv, f"line {entry[0].line}: ENTRYPOINT must use the exec (JSON) form "
                                   f"so no shell stands between the runtime and xvrrpd's signals")
        program = argv
        if os.path.basename(argv[0]) in INITS:
            # An init as PID 1 (it reaps what scripts leave behind); it must be installed and
            # run xvrrpd after its "--".
            pkgs = [p for i in runtime.instructions if i.keyword == "RUN"
                    for p in df.apt_install_packages(i.args)]
            self.assertIn(INITS[os.path.basename(argv[0])], pkgs,
                          f"line {entry[0].line}: ENTRYPOINT runs {argv[0]}, which the runtime "
                          f"stage does not install")
            self.assertIn("--", argv, f"line {entry[0].line}: {argv[0]} needs '--' before xvrrpd")
            program = argv[argv.index("--") + 1:]
        self.assertTrue(program, f"line {entry[0].line}: ENTRYPOINT names no program")
        names = {where[r]: r for r in ENTRY_NAMES if r in where}
        self.assertIn(program[0], names,
                      f"line {entry[0].line}: ENTRYPOINT runs {program[0]} but the build stage "
                      f"copies xvrrpd and its entrypoint to {sorted(names)}")
        started = program[0]
        if names[program[0]] == ENTRYPOINT_SCRIPT[0]:
            # The script must end by exec'ing xvrrpd; its name is what the process is called.
            with open(os.path.join(SRC, ENTRYPOINT_SCRIPT[1])) as f:
                execs = [shlex.split(line)[1] for line in f
                         if line.startswith("exec ") and len(shlex.split(line)) > 1]
            self.assertTrue(execs, f"{ENTRYPOINT_SCRIPT[1]} never execs xvrrpd")
            started = execs[-1]
            self.assertIn(os.path.basename(started), [os.path.basename(r) for r in ENTRY_NAMES],
                          f"{ENTRYPOINT_SCRIPT[1]} execs {started}, not xvrrpd")
        # The kernel names a process after the first 15 characters of the file name it was
        # started by (symlinks not resolved): the page's liveness probe `pgrep keepalived` must
        # find it, or a Deployment where only the image changed restarts every pod in a loop.
        self.assertIn(PAGE_PROBE_PATTERN, os.path.basename(started)[:15],
                      f"line {entry[0].line}: the process would be named "
                      f"{os.path.basename(started)[:15]!r}; `pgrep {PAGE_PROBE_PATTERN}` (the "
                      f"page's liveness probe) would not find it")
        # The OPENSHIFT_HA_* contract comes from the pod's environment: no baked-in settings.
        for ins in runtime.instructions:
            if ins.keyword == "ENV":
                self.assertNotIn("OPENSHIFT_HA_", ins.args,
                                 f"line {ins.line}: the image must not preset OPENSHIFT_HA_* values")

    def test_runtime_stage_is_slim_and_has_only_runtime_packages(self):
        runtime = self.stages[-1]
        self.assertEqual(runtime.base, "debian:bookworm-slim")
        pkgs = [p for i in runtime.instructions if i.keyword == "RUN"
                for p in df.apt_install_packages(i.args)]
        self.assertTrue(pkgs, "the runtime stage installs no packages")
        dev = [p for p in pkgs if p.endswith("-dev") or p in ("build-essential", "clang", "cmake")]
        self.assertFalse(dev, f"build-only packages in the runtime stage: {dev}")
        self.assertFalse(RUNTIME_TOOLS - set(pkgs), f"runtime stage lacks {RUNTIME_TOOLS - set(pkgs)}")
        # Every name must be a bookworm package (not only backports): apt-cache policy reads the
        # local package lists, one call for all.
        out = subprocess.run(["apt-cache", "policy"] + pkgs, capture_output=True, text=True).stdout
        blocks = re.split(r"^(?=\S+:\s*$)", out, flags=re.M)
        found = {b.split(":", 1)[0] for b in blocks
                 if re.search(r" bookworm(-updates|-security)?/main ", b)}
        unknown = [p for p in pkgs if p not in found]
        self.assertFalse(unknown, f"no Debian bookworm package named {unknown} (apt-cache policy; "
                                  f"run apt-get update if the package lists are empty)")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    SRC = os.path.abspath(sys.argv[1])
    unittest.main(argv=[sys.argv[0], "-v"])
