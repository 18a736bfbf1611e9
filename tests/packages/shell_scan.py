# SPDX-License-Identifier: BSD-3-Clause
"""Programs in command position in shell code (tests/packages/programs.py).

Not a shell parser: a lexer that knows quotes, expansions, command
substitutions ($(...), `...`, <(...), also inside $((...))), redirections
and here-documents (skipped), and a walk over its tokens that knows the
reserved words, case patterns, [[ ]], for heads, functions and
assignments. A command named by an expansion ("$t") is not seen.
scan_words() looks through wrappers (timeout, taskset, ip netns exec, ...)
for shell words and Python argv lists alike.
"""

import os
import re
import subprocess

# ---------------------------------------------------------------------------
# Wrappers: commands that run another command given on their command line.
# name -> (options taking a value, positional arguments before the command)

_WRAPPERS = {
    "timeout": ({"-s", "--signal", "-k", "--kill-after"}, 1),
    "taskset": (set(), 1),  # taskset [-c] MASK|LIST CMD
    "setsid": (set(), 0),
    "nohup": (set(), 0),
    "nice": ({"-n", "--adjustment"}, 0),
    "ionice": ({"-c", "-n", "-t"}, 0),
    "chrt": (set(), 1),
    "stdbuf": ({"-i", "-o", "-e"}, 0),
    "setpriv": ({"--reuid", "--regid", "--ruid", "--euid", "--rgid", "--egid", "--groups",
                 "--inh-caps", "--ambient-caps", "--bounding-set", "--securebits",
                 "--pdeathsig", "--selinux-label", "--apparmor-profile"}, 0),
    "env": ({"-u", "--unset", "-C", "--chdir", "-S"}, 0),
    "sudo": ({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"}, 0),
    "exec": ({"-a"}, 0),
    "command": (set(), 0),
    "xargs": ({"-a", "-d", "-E", "-I", "-L", "-n", "-P", "-s"}, 0),
    "time": (set(), 0),
}
_SHELLS = {"sh", "bash", "dash"}

MAYBE_EMPTY = object()  # a word that may expand to nothing ("${tools[@]}")
PROGRAM_RE = re.compile(r"^(/[^\s]*|[A-Za-z0-9_][A-Za-z0-9_.+-]*)$")


def scan_words(words):
    """A command line as words (str, None when unknown, or MAYBE_EMPTY) ->
    (programs [(index, name)], shell code strings it runs, done). done is
    False when the words end where a wrapper's command should be (the
    command comes from what follows: `["ip", "netns", "exec", ns] + argv`)."""
    progs, code = [], []
    i, n = 0, len(words)
    while i < n and words[i] is MAYBE_EMPTY:
        i += 1
    while i < n:
        w = words[i]
        if not isinstance(w, str) or w.isdigit():
            return progs, code, True  # unknown (or an option value a wrapper took)
        progs.append((i, w))
        base = os.path.basename(w)
        i += 1
        if base == "ip":
            if words[i:i + 2] != ["netns", "exec"]:
                return progs, code, True
            i += 3  # netns exec NAME
        elif base in _SHELLS:
            if i + 1 < n and words[i] == "-c" and isinstance(words[i + 1], str):
                code.append(words[i + 1])
            return progs, code, True
        elif base in _WRAPPERS:
            with_value, positional = _WRAPPERS[base]
            while i < n and isinstance(words[i], str) and words[i].startswith("-") and words[i] != "-":
                opt = words[i]
                i += 1
                if opt == "--":
                    break
                if opt in with_value:
                    i += 1
            while i < n and base == "env" and isinstance(words[i], str) and "=" in words[i]:
                i += 1
            i += positional
        else:
            return progs, code, True
        while i < n and words[i] is MAYBE_EMPTY:
            i += 1
    return progs, code, False


# ---------------------------------------------------------------------------
# Shell

_OPS = (";;&", ";;", ";&", "&&", "||", "|&", ";", "|", "&", "(", ")")
_REDIRS = ("<<<", "<<-", "<<", ">>", "<&", ">&", "<>", ">|", "&>>", "&>", "<", ">")
_ASSIGN_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=")
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_:.-]*$")
_ARRAY_RE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\[@\]\}")


class _Word:
    __slots__ = ("text", "value", "line", "maybe_empty")

    def __init__(self, line):
        self.text = ""        # as written
        self.value = ""       # after quote removal; None when it expands anything
        self.line = line
        self.maybe_empty = False


class _Lexer:
    """Splits shell text into words and operators. Command substitutions
    ($(...), `...`, <(...)) are scanned as shell on their own (their
    commands go to @sink); here-documents are skipped."""

    def __init__(self, text, line, sink):
        self.s = text
        self.i = 0
        self.line = line
        self.sink = sink          # callback(text or tokens, first_line) for nested code
        self.heredocs = []        # (delimiter, strip_tabs) pending at the next newline

    def peek(self, k=0):
        j = self.i + k
        return self.s[j] if j < len(self.s) else ""

    def tokens(self, close=None):
        """Tokens up to the end (or an unmatched @close): ("w", _Word) |
        ("op", text, line) | ("redir", text, line), followed by its target
        word | ("nl", line)."""
        out = []
        w = None

        def end_word():
            nonlocal w
            if w is not None:
                out.append(("w", w))
                w = None

        while self.i < len(self.s):
            c = self.s[self.i]
            if c == "\\" and self.peek(1) == "\n":
                self.i += 2
                self.line += 1
                continue
            if c == "\n":
                end_word()
                out.append(("nl", self.line))
                self.i += 1
                self.line += 1
                self._skip_heredocs()
                continue
            if c in " \t":
                end_word()
                self.i += 1
                continue
            if c == "#" and w is None:
                while self.i < len(self.s) and self.s[self.i] != "\n":
                    self.i += 1
                continue
            if c in "<>" or (c == "&" and self.peek(1) == ">"):
                if w is not None and w.text.isdigit():
                    w = None  # an fd number: 2>&1
                end_word()
                if c in "<>" and self.peek(1) == "(":
                    self.i += 2
                    self._nested(")")
                    continue
                op = next(r for r in _REDIRS if self.s.startswith(r, self.i))
                self.i += len(op)
                out.append(("redir", op, self.line))
                if op in ("<<", "<<-"):
                    # the delimiter word; the document starts at the next newline
                    while self.peek() in (" ", "\t"):
                        self.i += 1
                    d = _Word(self.line)
                    while self.peek() and self.peek() not in " \t\n;|&<>()":
                        self._word_part(d)
                    delim = d.value if d.value is not None else d.text.strip("'\"")
                    self.heredocs.append((delim, op == "<<-"))
                    out.append(("w", d))
                continue
            op = next((o for o in _OPS if self.s.startswith(o, self.i)), None)
            if op:
                if op == "(" and w is not None and _ASSIGN_RE.match(w.text) and w.text.endswith("="):
                    # name=( array elements ): words, not commands
                    self.i += 1
                    depth = 1
                    while self.i < len(self.s) and depth:
                        ch = self.s[self.i]
                        if ch == "(":
                            depth += 1
                        elif ch == ")":
                            depth -= 1
                        elif ch == "\n":
                            self.line += 1
                        elif ch in "'\"":
                            self._quoted_skip(ch)
                            continue
                        self.i += 1
                    w.text += "(...)"
                    w.value = None
                    continue
                if op == "(" and self.peek(1) == "(" and w is None:
                    self._skip_balanced("(", ")", subst=True)  # (( arithmetic ))
                    continue
                end_word()
                if op == ")" and close == ")" and not self._open_parens(out):
                    self.i += 1
                    return out
                out.append(("op", op, self.line))
                self.i += len(op)
                continue
            if w is None:
                w = _Word(self.line)
            self._word_part(w)
        end_word()
        return out

    def _open_parens(self, out):
        depth = 0
        for t in out:
            if t[0] == "op" and t[1] == "(":
                depth += 1
            elif t[0] == "op" and t[1] == ")":
                depth -= 1
        return depth > 0

    def _word_part(self, w):
        c = self.s[self.i]
        start = self.i
        if c == "'":
            j = self.s.find("'", self.i + 1)
            j = len(self.s) if j < 0 else j
            lit = self.s[self.i + 1:j]
            self.line += lit.count("\n")
            self.i = j + 1
            self._add(w, self.s[start:self.i], lit)
        elif c == '"':
            self.i += 1
            lit = ""
            dynamic = False
            while self.i < len(self.s) and self.s[self.i] != '"':
                ch = self.s[self.i]
                if ch == "\\" and self.i + 1 < len(self.s):
                    lit += self.s[self.i + 1]
                    self.i += 2
                elif ch == "$" or ch == "`":
                    self._dollar()
                    dynamic = True
                else:
                    if ch == "\n":
                        self.line += 1
                    lit += ch
                    self.i += 1
            inner = self.s[start + 1:self.i]
            self.i += 1
            self._add(w, self.s[start:self.i], None if dynamic else lit)
            # "${array[@]}", the whole word: may be no word at all
            w.maybe_empty = bool(_ARRAY_RE.fullmatch(inner)) and w.text == self.s[start:self.i]
        elif c == "$" or c == "`":
            self._dollar()
            self._add(w, self.s[start:self.i], None)
            w.maybe_empty = bool(_ARRAY_RE.fullmatch(w.text))
        elif c == "\\":
            self.i += 2
            self._add(w, self.s[start:self.i], self.s[start + 1:self.i])
        else:
            self.i += 1
            self._add(w, c, c)

    @staticmethod
    def _add(w, text, value):
        w.text += text
        w.value = None if (w.value is None or value is None) else w.value + value

    def _dollar(self):
        """At $ or `: skip the expansion; scan command substitutions."""
        if self.s[self.i] == "`":
            j = self.s.find("`", self.i + 1)
            j = len(self.s) if j < 0 else j
            self.sink(self.s[self.i + 1:j], self.line)
            self.line += self.s.count("\n", self.i, j)
            self.i = j + 1
        elif self.s.startswith("$((", self.i):
            self.i += 1
            self._skip_balanced("(", ")", subst=True)
        elif self.s.startswith("$(", self.i):
            self.i += 2
            self._nested(")")
        elif self.s.startswith("${", self.i):
            self.i += 1
            self._skip_balanced("{", "}")
        else:
            self.i += 1
            m = re.match(r"[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-]", self.s[self.i:])
            if m:
                self.i += m.end()

    def _nested(self, close):
        sub = _Lexer(self.s, self.line, self.sink)
        sub.i = self.i
        toks = sub.tokens(close)
        self.sink(toks, self.line)
        self.i = sub.i
        self.line = sub.line

    def _quoted_skip(self, q):
        j = self.i + 1
        while j < len(self.s) and self.s[j] != q:
            j += 2 if (q == '"' and self.s[j] == "\\") else 1
        self.line += self.s.count("\n", self.i, j)
        self.i = j + 1

    def _skip_balanced(self, open_, close, subst=False):
        """Skip to the @close matching the @open_ here; with @subst, scan
        the command substitutions inside ($(( 1 + $(nproc) )))."""
        depth = 0
        while self.i < len(self.s):
            ch = self.s[self.i]
            if subst and self.s.startswith("$(", self.i) and not self.s.startswith("$((", self.i):
                self.i += 2
                self._nested(")")
                continue
            if ch == open_:
                depth += 1
            elif ch == close:
                depth -= 1
                if depth == 0:
                    self.i += 1
                    return
            elif ch == "\n":
                self.line += 1
            elif ch in "'\"":
                self._quoted_skip(ch)
                continue
            self.i += 1

    def _skip_heredocs(self):
        while self.heredocs:
            delim, strip = self.heredocs.pop(0)
            while self.i < len(self.s):
                j = self.s.find("\n", self.i)
                j = len(self.s) if j < 0 else j
                text = self.s[self.i:j]
                self.i = min(j + 1, len(self.s))
                self.line += 1
                if (text.lstrip("\t") if strip else text) == delim:
                    break


class ShellScanner:
    """Programs in command position in one shell file (or string)."""

    def __init__(self, builtins):
        self.builtins = builtins
        self.found = []     # (program, line)
        self.functions = set()

    def scan(self, text, line=1):
        self._commands(_Lexer(text, line, self._nested).tokens())
        return self

    def _nested(self, code, line):
        """Code of a command substitution: tokens, or text (`...`)."""
        if isinstance(code, str):
            self.found += ShellScanner(self.builtins).scan(code, line).found
        else:
            self._commands(code)

    def _commands(self, toks):
        """Walk tokens; record the first word of every simple command."""
        expect = True          # next word is in command position
        words = []             # the current simple command's words
        case_depth = []        # per open `case`: True while reading patterns
        skip_until = None      # "]]" or ";nl" (for/select heads)
        redirect_next = False
        i = 0

        def flush():
            nonlocal words
            if words:
                self._simple(words)
            words = []

        while i < len(toks):
            t = toks[i]
            kind = t[0]
            if kind == "redir":
                redirect_next = True
                i += 1
                continue
            if kind == "w" and redirect_next:
                redirect_next = False
                i += 1
                continue
            redirect_next = False
            if skip_until == "]]":
                if kind == "w" and t[1].text == "]]":
                    skip_until = None
                i += 1
                continue
            if skip_until == ";nl":
                if kind == "nl" or (kind == "op" and t[1] == ";"):
                    skip_until = None
                    expect = True
                i += 1
                continue
            if case_depth and case_depth[-1]:
                # reading a pattern list up to ')'
                if kind == "w" and t[1].value == "esac":
                    case_depth.pop()
                    expect = False
                elif kind == "op" and t[1] == ")":
                    case_depth[-1] = False
                    expect = True
                i += 1
                continue
            if kind in ("nl", "op"):
                flush()
                if kind == "op" and t[1] in (";;", ";&", ";;&") and case_depth:
                    case_depth[-1] = True
                expect = True
                if kind == "op" and t[1] == ")":
                    expect = False
                i += 1
                continue
            w = t[1]
            if words:
                words.append(w)
                i += 1
                continue
            if not expect:
                i += 1
                continue
            v = w.value
            if v == "esac" and case_depth:
                case_depth.pop()
                i += 1
                continue
            if v in ("if", "then", "else", "elif", "do", "while", "until", "!", "{", "}", "time",
                     "fi", "done", "esac"):
                i += 1
                continue
            if v == "[[":
                skip_until = "]]"
                i += 1
                continue
            if v in ("for", "select"):
                skip_until = ";nl"
                i += 1
                continue
            if v == "case":
                # case WORD in
                i += 3
                case_depth.append(True)
                continue
            if v == "function" and i + 1 < len(toks) and toks[i + 1][0] == "w":
                self.functions.add(toks[i + 1][1].value)
                i += 2
                continue
            if (i + 2 < len(toks) and toks[i + 1][:2] == ("op", "(") and toks[i + 2][:2] == ("op", ")")
                    and v and _NAME_RE.match(v)):
                self.functions.add(v)
                i += 3
                continue
            if w.value is None and _ASSIGN_RE.match(w.text) or (v and _ASSIGN_RE.match(v)):
                i += 1
                continue  # VAR=value before a command (or alone)
            words.append(w)
            i += 1
        flush()

    def _simple(self, words):
        vals = [MAYBE_EMPTY if w.maybe_empty else w.value for w in words]
        progs, code, _ = scan_words(vals)
        for idx, name in progs:
            self.found.append((name, words[idx].line))
        for c in code:  # sh -c '...'
            self.found += ShellScanner(self.builtins).scan(c, words[0].line).found

    def programs(self):
        """The external programs found: builtins and own functions left out."""
        return [(p, ln) for p, ln in self.found
                if p not in self.builtins and p not in self.functions]


def shell_builtins():
    """bash's builtins and reserved words (bash is Essential)."""
    r = subprocess.run(["bash", "-c", "compgen -b; compgen -k"], capture_output=True, text=True,
                       check=True)
    return set(r.stdout.split())
