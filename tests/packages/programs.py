# SPDX-License-Identifier: BSD-3-Clause
"""The external programs fanout's tests, benchmarks and scripts run, and the
Debian packages that provide them.

    import programs
    uses = programs.collect(src_dir)           # [Use(program, file, line)]
    pkgs = programs.read_package_list(path)    # scripts/packages.txt
    problems, found = programs.check(uses, pkgs)
    mods = programs.collect_imports(src_dir)   # [Use(module, file, line)]
    problems, found = programs.check(mods, pkgs, locate=programs.module_paths(
        {u.program for u in mods}).get, kind="python module ")

collect() finds programs in two kinds of files:

* Python (tests/**/*.py): command lines are list literals. A list is a
  command line when it reaches a call that runs a program: subprocess's
  run/Popen/call/check_*, os.exec*/system, asyncio's create_subprocess_*,
  or any function called sh/run/spawn; and, following the code, whatever
  reaches those: a variable later passed to one (`argv = [...]; sh(argv)`),
  the return value of a function passed to one (`ns.run(tool_argv(...))`),
  a parameter of a function that passes it on (`def sh(argv):
  subprocess.run(argv)` makes every `sh([...])` a command line), and the
  operands of `+` (`["taskset", "-c", cpus] + argv`). argv[0] is the
  list's first element when it is a string constant or a module-level
  string constant (`PYTHON = "/usr/bin/python3"`, also as `ht.PYTHON`).
  Wrappers (taskset, timeout, setsid, setpriv, `ip netns exec NS`, ...)
  are looked through: the program they run counts too.
* Shell (scripts/*, .ci/*, tests/**/*.sh): words in command position
  (start of a line, after ; | && || ( $( `...` and the like), here-documents
  skipped, builtins and the file's own functions left out, through the same
  wrappers.
Every script's #! interpreter counts as well.

It is not a parser for either language: a program named only at run time
(a variable, a path built from the source tree, a shell array such as
tools=(taskset -c 1)) is not seen. Programs of the project itself
(build/app/*, scripts/*, tests/*) are left out. collect_imports() lists
the top-level modules the Python files import (not the tree's own);
module_paths() asks /usr/bin/python3 where it would import each from.

check() resolves each program in the directories a fresh Debian machine
has on PATH (each module through module_paths()), follows symlinks
(alternatives: /usr/bin/awk -> mawk) and asks dpkg -S which package owns
the file. It is provided when that package is listed, is installed because
a listed package depends on it (Depends/Pre-Depends, recursively: what apt
installs for bootstrap), or belongs to Debian's base (Essential: yes or
Priority: required, on every Debian machine, and what those depend on),
all read from dpkg's database.
"""

import ast
import json
import os
import re
import subprocess
from collections import namedtuple

from python_scan import PythonScanner
from shell_scan import ShellScanner, shell_builtins

Use = namedtuple("Use", "program file line")  # file relative to the source tree

# Programs a check cannot resolve through dpkg, and why each needs no package.
EXEMPT = {
    # scripts/bootstrap runs it only when /run/systemd/system exists, i.e.
    # when systemd (which ships it) is the running init
    "systemctl": "run only when systemd is the running init (then installed)",
}


# ---------------------------------------------------------------------------
# Collection over the source tree

def _shebang(text):
    """The programs a script's #! line runs: the interpreter, and env's
    argument (#!/usr/bin/env bash)."""
    if not text.startswith("#!"):
        return []
    words = text[2:].split("\n", 1)[0].split()
    if not words:
        return []
    out = [words[0]]
    if os.path.basename(words[0]) == "env" and len(words) > 1:
        out.append(words[1])
    return out


def source_files(src_dir):
    """(relative path, kind) of every file to scan: kind "py" or "sh"."""
    out = []
    for top in ("tests", "scripts", ".ci"):
        for d, dirs, files in os.walk(os.path.join(src_dir, top)):
            dirs[:] = sorted(x for x in dirs if x not in ("__pycache__", "corpus"))
            for f in sorted(files):
                path = os.path.join(d, f)
                rel = os.path.relpath(path, src_dir)
                if f.endswith(".py"):
                    out.append((rel, "py"))
                    continue
                if f.endswith(".sh"):
                    out.append((rel, "sh"))
                    continue
                try:
                    with open(path, "rb") as fh:
                        head = fh.readline(200)
                except OSError:
                    continue
                if head.startswith(b"#!") and re.search(rb"\b(ba|da)?sh\b", head):
                    out.append((rel, "sh"))
                elif head.startswith(b"#!") and b"python" in head:
                    out.append((rel, "py"))
    return out


def _own(program, src_dir):
    """A program of the project itself (a path into the source tree)?"""
    if "/" not in program:
        return False
    if not program.startswith("/"):
        return True  # relative: scripts/bootstrap, build/app/fanout
    real = os.path.realpath(program)
    return real == src_dir or real.startswith(src_dir.rstrip("/") + "/")


def collect(src_dir):
    """Every external program the tests, benchmarks and scripts under
    @src_dir run: a sorted list of Use(program, file, line)."""
    src_dir = os.path.realpath(src_dir)
    builtins = shell_builtins()
    uses = []
    py = PythonScanner(builtins)
    for rel, kind in source_files(src_dir):
        with open(os.path.join(src_dir, rel), encoding="utf-8", errors="replace") as f:
            text = f.read()
        for p in _shebang(text):
            uses.append(Use(p, rel, 1))
        if kind == "py":
            py.add(rel, text)
        else:
            for p, ln in ShellScanner(builtins).scan(text).programs():
                uses.append(Use(p, rel, ln))
    uses += [Use(*f) for f in py.scan().found]
    out = sorted({u for u in uses if not _own(u.program, src_dir)},
                 key=lambda u: (u.program, u.file, u.line))
    return out


# ---------------------------------------------------------------------------
# Python modules: an import is the same kind of dependency as a program

PYTHON = "/usr/bin/python3"  # Debian's, the one every test and script runs


def collect_imports(src_dir):
    """The top-level modules the Python files under @src_dir import, other
    than the tree's own (its .py files and packages): [Use(module, file, line)]."""
    src_dir = os.path.realpath(src_dir)
    files = [rel for rel, kind in source_files(src_dir) if kind == "py"]
    own = set()
    for rel in files:
        own.add(os.path.splitext(os.path.basename(rel))[0])
        if os.path.basename(rel) == "__init__.py":
            own.add(os.path.basename(os.path.dirname(rel)))
    uses = set()
    for rel in files:
        with open(os.path.join(src_dir, rel), encoding="utf-8", errors="replace") as f:
            tree = ast.parse(f.read(), filename=rel)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for n in names:
                top = n.split(".")[0]
                if top not in own and top != "__future__":
                    uses.add(Use(top, rel, node.lineno))
    return sorted(uses, key=lambda u: (u.program, u.file, u.line))


_FIND_SPEC = """
import importlib.util, json, sys
out = {}
for name in sys.argv[1:]:
    try:
        spec = importlib.util.find_spec(name)
    except Exception:
        spec = None
    if spec is None:
        out[name] = None
    elif spec.origin in ("built-in", "frozen"):
        out[name] = sys.executable  # inside the interpreter
    else:
        out[name] = spec.origin or list(spec.submodule_search_locations)[0]
print(json.dumps(out))
"""


def module_paths(modules):
    """{module: the file /usr/bin/python3 imports it from, or None}. Isolated
    (-I): no user site-packages, no PYTHONPATH, as on a fresh machine."""
    if not modules:
        return {}
    r = subprocess.run([PYTHON, "-I", "-c", _FIND_SPEC] + sorted(set(modules)),
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout)


# ---------------------------------------------------------------------------
# Packages

def read_package_list(path):
    """scripts/packages.txt: package names, '#' comments (as bootstrap reads it)."""
    pkgs = []
    with open(path) as f:
        for line in f:
            pkgs += line.split("#", 1)[0].split()
    return pkgs


_DEP_RE = re.compile(r"\s*([a-z0-9][a-z0-9+.-]*)(:[a-z0-9-]+)?")


def _parse_deps(field):
    """'a (>= 1) | b, c:any' -> [["a", "b"], ["c"]]"""
    groups = []
    for group in field.split(","):
        alts = []
        for alt in group.split("|"):
            m = _DEP_RE.match(alt)
            if m:
                alts.append(m.group(1))
        if alts:
            groups.append(alts)
    return groups


class Dpkg:
    """What dpkg's database says about the installed packages."""

    FIELDS = ("Package", "db:Status-Abbrev", "Essential", "Priority", "Provides", "Pre-Depends",
              "Depends")

    def __init__(self):
        fmt = "\t".join("${%s}" % f for f in self.FIELDS) + "\n"
        r = subprocess.run(["dpkg-query", "-W", "-f", fmt], capture_output=True, text=True,
                           check=True)
        self.installed = {}   # name -> {"base": bool, "deps": [[alt, ...], ...]}
        self.providers = {}   # virtual name -> {package}
        for line in r.stdout.splitlines():
            f = line.split("\t")
            if len(f) != len(self.FIELDS) or f[1][1:2] != "i":
                continue  # not installed (config files only, or a removed package)
            name, _, essential, priority, provides, predeps, deps = f
            p = self.installed.setdefault(name, {"base": False, "deps": []})
            p["base"] |= essential == "yes" or priority == "required"
            p["deps"] += _parse_deps(predeps) + _parse_deps(deps)
            for g in _parse_deps(provides):
                self.providers.setdefault(g[0], set()).add(name)

    def base(self):
        """Essential and Priority: required packages: on every Debian system."""
        return sorted(n for n, p in self.installed.items() if p["base"])

    def _resolve(self, alts):
        """The installed package(s) an or-group of dependencies stands for:
        its first installed alternative, or the installed providers of its
        first virtual one."""
        for a in alts:
            if a in self.installed:
                return {a}
            if self.providers.get(a):
                return set(self.providers[a])
        return set()

    def closure(self, roots):
        """{package: its path from a root} for @roots and all they depend on."""
        via = {r: [r] for r in roots if r in self.installed}
        todo = list(via)
        while todo:
            n = todo.pop()
            for alts in self.installed[n]["deps"]:
                for d in sorted(self._resolve(alts)):
                    if d not in via:
                        via[d] = via[n] + [d]
                        todo.append(d)
        return via

    @staticmethod
    def owners(paths):
        """{path: {package}} from dpkg -S (paths no package owns are absent)."""
        out = {}
        if not paths:
            return out
        r = subprocess.run(["dpkg-query", "-S"] + sorted(set(paths)), capture_output=True,
                           text=True)
        for line in r.stdout.splitlines():
            if line.startswith("diversion ") or ": " not in line:
                continue
            pkgs, path = line.split(": ", 1)
            out.setdefault(path, set()).update(p.strip().split(":")[0] for p in pkgs.split(","))
        return out


# Where a fresh Debian machine finds programs (root's PATH without
# /usr/local): a program found only in /usr/local, ~/.cargo or a pyenv shim
# on this machine is not on that one.
DEBIAN_PATH = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]


def which(program):
    """The program's path in DEBIAN_PATH (or itself, when absolute), or None."""
    if "/" in program:
        return program if os.access(program, os.X_OK) and os.path.isfile(program) else None
    for d in DEBIAN_PATH:
        p = os.path.join(d, program)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return None


def _usrmerge(path):
    """The same file under the other name merged /usr gives it (/bin/ping
    is /usr/bin/ping); dpkg knows only the name the package ships."""
    for a, b in (("/usr/bin/", "/bin/"), ("/usr/sbin/", "/sbin/"), ("/usr/lib/", "/lib/"),
                 ("/usr/lib64/", "/lib64/")):
        if path.startswith(a):
            return [path, b + path[len(a):]]
        if path.startswith(b):
            return [path, a + path[len(b):]]
    return [path]


def _chain(path):
    """@path, every symlink it goes through, the file it ends at."""
    out = [path]
    seen = set()
    p = path
    while os.path.islink(p) and p not in seen:
        seen.add(p)
        p = os.path.join(os.path.dirname(p), os.readlink(p))
        out.append(os.path.normpath(p))
    real = os.path.realpath(path)
    if real not in out:
        out.append(real)
    return out


Resolved = namedtuple("Resolved", "program path owners why")  # why: how it is provided
Problem = namedtuple("Problem", "program text")  # program None: about the list itself


def _where(uses, limit=4):
    locs = ["%s:%d" % (u.file, u.line) for u in uses]
    more = " and %d more" % (len(locs) - limit) if len(locs) > limit else ""
    return ", ".join(locs[:limit]) + more


def check(uses, listed, list_name="scripts/packages.txt", dpkg=None, exempt=EXEMPT,
          locate=which, kind=""):
    """[Problem] (each naming the program, where it is used and what to
    do) and {program: Resolved} for every program of @uses provided.
    @locate: name -> path on this machine or None (modules: module_paths);
    @kind prefixes the names in messages ("python module ")."""
    dpkg = dpkg or Dpkg()
    problems = []
    for p in listed:
        if p not in dpkg.installed:
            problems.append(Problem(None, "%s lists %s, which is not installed here (run "
                                    "scripts/bootstrap; or is the name wrong?)" % (list_name, p)))
    listed_via = dpkg.closure(listed)
    base_via = dpkg.closure(dpkg.base())
    by_prog = {}
    for u in uses:
        by_prog.setdefault(u.program, []).append(u)
    paths = {}
    for prog in by_prog:
        if prog in exempt:
            continue
        found = locate(prog)
        if found:
            paths[prog] = [c for hop in _chain(found) for c in _usrmerge(hop)]
    owners = Dpkg.owners([c for cs in paths.values() for c in cs])
    resolved = {}
    for prog, us in sorted(by_prog.items()):
        where = _where(us)
        name = kind + prog
        if prog in exempt:
            resolved[prog] = Resolved(prog, None, set(), "exempt: " + exempt[prog])
            continue
        if prog not in paths:
            problems.append(Problem(prog, "%s (used at %s): not found on this machine (%s); add "
                                    "the Debian package that provides it to %s"
                                    % (name, where, "not importable by " + PYTHON if kind else
                                       "not in " + ":".join(DEBIAN_PATH), list_name)))
            continue
        cands = paths[prog]
        real = os.path.realpath(cands[0])
        own = set().union(*(owners.get(c, set()) for c in _usrmerge(real)))
        if not own:
            own = set().union(*(owners.get(c, set()) for c in cands))
        if not own:
            problems.append(Problem(prog, "%s (used at %s): %s belongs to no Debian package; "
                                    "use one from a package listed in %s"
                                    % (name, where, cands[0], list_name)))
            continue
        # the shortest explanation: listed, Debian's base, a dependency
        why = next(("%s (listed)" % o for o in sorted(own) if o in listed), None)
        why = why or next(("%s (Debian base: %s)" % (o, " -> ".join(base_via[o]))
                           for o in sorted(own) if o in base_via), None)
        why = why or next(("%s (%s)" % (o, " -> ".join(listed_via[o]))
                           for o in sorted(own) if o in listed_via), None)
        if why is None:
            problems.append(Problem(prog, "%s (used at %s): %s is in package %s, which %s "
                                    "does not list (nor does any package it lists depend on it): "
                                    "add it there" % (name, where, real, ", ".join(sorted(own)),
                                                      list_name)))
            continue
        resolved[prog] = Resolved(prog, real, own, why)
    return problems, resolved
