"""A small Dockerfile reader for the packaging tests: instructions, stages, COPY and RUN details.

Only what our Dockerfile uses is understood (FROM ... AS, COPY [--from=], RUN, ENTRYPOINT in exec
form); anything else is kept as raw text. Line continuations and comments follow the Dockerfile
reference: a trailing backslash joins lines, and lines starting with '#' are comments even inside a
continued instruction.
"""
import fnmatch
import json
import os
import re
import shlex
from dataclasses import dataclass, field


@dataclass
class Instruction:
    line: int        # 1-based line of the instruction's first line
    keyword: str     # upper case
    args: str        # the rest, continuations joined


@dataclass
class Stage:
    index: int
    base: str
    name: str | None
    instructions: list = field(default_factory=list)


def read_instructions(path):
    out, buf, start = [], "", 0
    with open(path) as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if line.lstrip().startswith("#") or (not buf and not line.strip()):
                continue
            if not buf:
                start = n
            if line.endswith("\\"):
                buf += line[:-1] + " "
                continue
            buf += line
            keyword, _, args = buf.strip().partition(" ")
            out.append(Instruction(start, keyword.upper(), args.strip()))
            buf = ""
    if buf:
        raise ValueError(f"{path}: line {start}: instruction ends with a continuation backslash")
    return out


def read_stages(path):
    stages = []
    for ins in read_instructions(path):
        if ins.keyword == "FROM":
            words = ins.args.split()
            words = [w for w in words if not w.startswith("--platform")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(len(stages), words[0], name))
        elif not stages:
            if ins.keyword != "ARG":
                raise ValueError(f"{path}: line {ins.line}: {ins.keyword} before the first FROM")
        else:
            stages[-1].instructions.append(ins)
    return stages


@dataclass
class Copy:
    line: int
    from_stage: str | None
    sources: list
    dest: str


def parse_copy(ins):
    args = ins.args
    if args.startswith("["):
        words = json.loads(args)
    else:
        words = shlex.split(args)
    from_stage = None
    rest = []
    for w in words:
        if w.startswith("--from="):
            from_stage = w.split("=", 1)[1]
        elif w.startswith("--"):
            continue  # --chown, --chmod, --link: no effect on what is copied
        else:
            rest.append(w)
    if len(rest) < 2:
        raise ValueError(f"line {ins.line}: COPY needs a source and a destination: {ins.args}")
    return Copy(ins.line, from_stage, rest[:-1], rest[-1])


def exec_form(ins):
    """ENTRYPOINT/CMD in exec (JSON) form as a list; None for shell form."""
    try:
        value = json.loads(ins.args)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


def shell_commands(run_args):
    """The simple commands of a RUN line, split on && ; and |, each as a word list."""
    words = shlex.split(run_args, comments=False)
    cmds, cur = [], []
    for w in words:
        if w in ("&&", "||", ";", "|"):
            if cur:
                cmds.append(cur)
            cur = []
        else:
            cur.append(w)
    if cur:
        cmds.append(cur)
    return cmds


def apt_install_packages(run_args):
    pkgs = []
    for cmd in shell_commands(run_args):
        # skip VAR=value prefixes
        while cmd and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", cmd[0]):
            cmd = cmd[1:]
        if len(cmd) >= 2 and os.path.basename(cmd[0]) in ("apt-get", "apt") and "install" in cmd:
            after = cmd[cmd.index("install") + 1:]
            pkgs += [w for w in after if not w.startswith("-")]
    return pkgs


class DockerIgnore:
    """The .dockerignore rules: Go filepath.Match patterns relative to the context root, '**'
    matching any number of directories, '!' re-including, the last matching rule winning; a path
    is excluded when it or one of its parent directories is."""

    def __init__(self, path):
        self.rules = []
        if os.path.exists(path):
            with open(path) as f:
                for line in f:
                    line = line.strip()
                    if not line or line.startswith("#"):
                        continue
                    negate = line.startswith("!")
                    pat = os.path.normpath(line.lstrip("!").strip().lstrip("/"))
                    self.rules.append((negate, self._regex(pat)))

    @staticmethod
    def _regex(pat):
        out, i = "", 0
        while i < len(pat):
            if pat.startswith("**/", i):
                out += "(?:.*/)?"
                i += 3
            elif pat.startswith("**", i):
                out += ".*"
                i += 2
            else:
                c = pat[i]
                out += "[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c)
                i += 1
        return re.compile(out + r"\Z")

    def _matches(self, rel):
        excluded = False
        for negate, rx in self.rules:
            if rx.match(rel):
                excluded = not negate
        return excluded

    def excluded(self, rel):
        rel = os.path.normpath(rel)
        if rel == ".":
            return False
        parts = rel.split("/")
        return any(self._matches("/".join(parts[:i])) for i in range(1, len(parts) + 1))


def under(path, directory):
    """True when `path` is `directory` or inside it (both absolute, normalised)."""
    path, directory = os.path.normpath(path), os.path.normpath(directory)
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def glob_sources(context, pattern):
    """Files or directories in the context a COPY source names (COPY accepts Go globs)."""
    if any(c in pattern for c in "*?["):
        hits = []
        for root, dirs, files in os.walk(context):
            for name in dirs + files:
                rel = os.path.relpath(os.path.join(root, name), context)
                if fnmatch.fnmatchcase(rel, pattern.lstrip("/")):
                    hits.append(rel)
        return hits
    rel = os.path.normpath(pattern.lstrip("/"))
    return [rel] if os.path.exists(os.path.join(context, rel)) else []
