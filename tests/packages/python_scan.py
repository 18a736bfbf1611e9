# SPDX-License-Identifier: BSD-3-Clause
"""Command lines in Python code (tests/packages/programs.py): list literals
that reach a call running a program, followed through variables, function
returns, parameters and `+`."""

import ast
import os

from shell_scan import MAYBE_EMPTY, PROGRAM_RE, ShellScanner, scan_words

# calls whose first argument is a command line wherever they come from
_RUNNERS = {"Popen", "call", "check_call", "check_output", "run", "sh", "spawn",
            "create_subprocess_exec"}
# ... whose first argument is the program, and for spawn* the second
_EXECS = {"execv", "execve", "execvp", "execvpe", "execl", "execlp", "spawnv", "spawnvp",
          "spawnl", "spawnlp"}
# ... whose first argument is shell code
_SHELL_RUNNERS = {"system", "popen", "getoutput", "getstatusoutput", "create_subprocess_shell"}
_LIST_CALLS = {"list", "tuple"}


def _call_name(call):
    f = call.func
    if isinstance(f, ast.Name):
        return f.id
    if isinstance(f, ast.Attribute):
        return f.attr
    return None


class _Module:
    def __init__(self, rel, tree):
        self.rel = rel
        self.tree = tree
        self.consts = {}    # module-level NAME = "string"
        self.aliases = {}   # import x as y -> y: x
        for node in tree.body:
            if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                    and isinstance(node.value.value, str)):
                for t in node.targets:
                    if isinstance(t, ast.Name):
                        self.consts[t.id] = node.value.value
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    self.aliases[a.asname or a.name] = a.name


class PythonScanner:
    """Command lines in a set of Python files, followed through variables,
    function returns, parameters and `+` (see the module's comment)."""

    def __init__(self, builtins):
        self.builtins = builtins  # the shell's, for shell code (shell=True, sh -c)
        self.modules = {}         # relative path -> _Module
        self.by_name = {}         # module name (import x) -> relative path
        self.found = []           # (program, file, line)

    def add(self, rel, text):
        tree = ast.parse(text, filename=rel)
        name = os.path.splitext(os.path.basename(rel))[0]
        self.modules[rel] = _Module(rel, tree)
        self.by_name.setdefault(name, rel)

    # scopes: (relative path of the file, FunctionDef or None for the module)
    def _index(self):
        self.assigns = {}       # (scope, name) -> [value]
        self.attr_assigns = {}  # (file, attr) -> [(scope, value)]
        self.returns = {}       # function name -> [(scope, value)]
        self.defs = {}          # function name -> [(scope, params)]
        self.calls = []         # (scope, Call)
        self.scope_names = {}   # scope -> names bound in it
        for rel, m in self.modules.items():
            self._walk(rel, None, m.tree.body)

    def _walk(self, rel, func, body):
        scope = (rel, func)
        bound = self.scope_names.setdefault(scope, set())
        if func is not None:
            a = func.args
            params = [p.arg for p in a.posonlyargs + a.args]
            bound.update(params + [p.arg for p in a.kwonlyargs])
            self.defs.setdefault(func.name, []).append((scope, params))
        stack = list(body)
        while stack:
            node = stack.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._walk(rel, node, node.body)
                continue
            if isinstance(node, ast.Lambda):
                continue
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    self._bind(scope, t, node.value)
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                self._bind(scope, node.target, node.value)
            elif isinstance(node, ast.Return) and node.value is not None and func is not None:
                self.returns.setdefault(func.name, []).append((scope, node.value))
            elif isinstance(node, ast.Call):
                self.calls.append((scope, node))
            stack.extend(ast.iter_child_nodes(node))

    def _bind(self, scope, target, value):
        if isinstance(target, ast.Name):
            self.assigns.setdefault((scope, target.id), []).append(value)
            self.scope_names[scope].add(target.id)
        elif isinstance(target, ast.Attribute):
            self.attr_assigns.setdefault((scope[0], target.attr), []).append((scope, value))

    def _scope_of(self, scope, name):
        if name in self.scope_names.get(scope, ()):
            return scope
        return (scope[0], None)

    def _const(self, scope, node):
        """A string constant, a module constant (NAME, alias.NAME), else None."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        mod = self.modules[scope[0]]
        if isinstance(node, ast.Name):
            if node.id in self.scope_names.get(scope, ()) and scope[1] is not None:
                return None
            return mod.consts.get(node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            name = mod.aliases.get(node.value.id, node.value.id)
            other = self.modules.get(self.by_name.get(name.split(".")[-1]))
            if other is not None:
                return other.consts.get(node.attr)
        return None

    def scan(self):
        self._index()
        self._seen = set()
        self._work = []
        for scope, call in self.calls:
            name = _call_name(call)
            if not call.args:
                continue
            shell = any(k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value
                        for k in call.keywords)
            if name in _SHELL_RUNNERS or (shell and name in _RUNNERS):
                code = self._const(scope, call.args[0])
                if code is not None:
                    self._shell_code(scope, code, call.args[0].lineno)
            elif name in _EXECS:
                arg = call.args[1] if name.startswith("spawn") and len(call.args) > 1 else call.args[0]
                self._flow(scope, arg)
            elif name in _RUNNERS:
                self._push(scope, call.args[0])
        while self._work:
            scope, node = self._work.pop()
            self._cmd(scope, node)
        # parameters that carry command lines: their call sites pass them
        changed = True
        while changed:
            changed = False
            for scope, call in self.calls:
                name = _call_name(call)
                for dscope, params in self.defs.get(name, ()):
                    method = bool(params) and params[0] in ("self", "cls")
                    if method and isinstance(call.func, ast.Attribute):
                        params = params[1:]
                    for k, p in enumerate(params):
                        if ("var", dscope, p) not in self._seen:
                            continue
                        arg = call.args[k] if k < len(call.args) else next(
                            (kw.value for kw in call.keywords if kw.arg == p), None)
                        if arg is not None and ("node", id(arg)) not in self._seen:
                            self._push(scope, arg)
                            changed = True
                while self._work:
                    s, node = self._work.pop()
                    self._cmd(s, node)
        return self

    def _push(self, scope, node):
        key = ("node", id(node))
        if key not in self._seen:
            self._seen.add(key)
            self._work.append((scope, node))

    def _mark(self, key, values):
        if key in self._seen:
            return
        self._seen.add(key)
        for scope, v in values:
            self._push(scope, v)

    def _shell_code(self, scope, code, line):
        rel = scope[0]
        sc = ShellScanner(self.builtins).scan(code, line)
        for p, ln in sc.programs():
            self.found.append((p, rel, ln))

    def _cmd(self, scope, node):
        """@node evaluates to a command line (argv list)."""
        operands = []

        def flatten(n):
            if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add):
                flatten(n.left)
                flatten(n.right)
            else:
                operands.append(n)
        flatten(node)
        for pos, op in enumerate(operands):
            if isinstance(op, (ast.List, ast.Tuple)):
                if not op.elts:
                    continue
                words = [MAYBE_EMPTY if isinstance(e, ast.Starred) else self._const(scope, e)
                         for e in op.elts]
                progs, code, done = scan_words(words)
                rel = scope[0]
                for idx, p in progs:
                    if PROGRAM_RE.match(p) and not p.startswith("-"):
                        self.found.append((p, rel, op.elts[idx].lineno))
                for c in code:
                    self._shell_code(scope, c, op.lineno)
                if done:
                    return
                continue
            self._flow(scope, op)
            if pos > 0 or not isinstance(op, (ast.Name, ast.Attribute)):
                return  # only a leading variable may be an empty prefix (pin + argv)

    def _flow(self, scope, node):
        """A command line comes from @node: follow it to where it is built."""
        if isinstance(node, ast.Name):
            s = self._scope_of(scope, node.id)
            self._mark(("var", s, node.id), [(s, v) for v in self.assigns.get((s, node.id), ())])
        elif isinstance(node, ast.Attribute):
            key = (scope[0], node.attr)
            self._mark(("attr",) + key, self.attr_assigns.get(key, ()))
        elif isinstance(node, ast.Call):
            name = _call_name(node)
            if name in _LIST_CALLS and node.args:
                self._push(scope, node.args[0])
            elif name is not None:
                self._mark(("ret", name), self.returns.get(name, ()))
        elif isinstance(node, ast.IfExp):
            self._push(scope, node.body)
            self._push(scope, node.orelse)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if PROGRAM_RE.match(node.value):
                self.found.append((node.value, scope[0], node.lineno))
