# SPDX-License-Identifier: BSD-3-Clause
"""Helpers for fanout's HTTP integration tests (and tests/bench/http_bench.py).

Backends (tests/backends/) run as real processes inside a test namespace,
bound to addresses of 198.18.0.0/24 that the kernel side owns:

    import fo_integ as fi
    import http_tools as ht

    def main(t):
        ns = t.netns()
        dj = ht.start_backends(ns, "django", ht.DJANGO_IPS)   # 3 gunicorn replicas
        fl = ht.start_backends(ns, "flask", ht.FLASK_IPS)
        fo = ns.start_fanout(conf=os.path.join(fi.SRC_DIR, "config", "fanout.conf"))
        r = ht.get(ns, fi.FANOUT_IP, 80, "/test02")          # raw-socket client
        fi.check_eq(r.body, b"hello world!", "flask through fanout")
        fi.check_ge(min(dj.request_counts().values()), 1, "requests per replica")

Every process goes through fo_integ.Proc (own process group, logs in the
test's log directory, killed by fo_integ's cleanup whatever happens).

Addresses. Backend addresses are added as /32 to `lo` of the namespace
(add_addresses): the kernel then answers fanout's ARP requests for them on
the tap's kernel side (arp_ignore=0 answers for any local address), replies
leave through fo0 (the 198.18.0.0/24 route), and, unlike addresses on fo0,
they survive fanout's restarts (the tap is re-created by every start) and
exist before fanout starts, so backends can start first. A kernel client in
the namespace (curl, wrk, nginx) reaches them over lo.

Backend kinds (start_backends): "django" and "flask" (the seed's apps),
"testapp" (tests/backends/testapp.py: /echo-headers, /upload, /download,
/sleep, /status, /who), all under gunicorn with keep-alive (gthread worker;
gevent for testapp, which also answers pipelined requests),
"raw:<mode>" (tests/backends/rawserver.py: garbage, close, reset, hang, ...)
and "ws" (tests/backends/wsecho.py: WebSocket echo).

Raw HTTP client: HttpConn (send bytes, read responses with their framing:
Content-Length, chunked with trailers, close-delimited, 1xx, 204/304, HEAD),
request() to build request bytes, get() for one request, pipeline() to send
many requests in one write and read the responses in order.
"""

import hashlib
import json
import os
import re
import socket
import struct
import time

import fo_integ as fi

BACKEND_DIR = os.path.join(fi.SRC_DIR, "tests", "backends")
BENCH_DIR = os.path.join(fi.SRC_DIR, "tests", "bench")
PYTHON = "/usr/bin/python3"  # Debian's: has django, flask, websockets
GUNICORN = "/usr/bin/gunicorn"
NGINX = "/usr/sbin/nginx"

BACKEND_PORT = 8000
# the seed's upstreams (config/fanout.conf)
DJANGO_IPS = ["198.18.0.11", "198.18.0.12", "198.18.0.13"]
FLASK_IPS = ["198.18.0.21", "198.18.0.22", "198.18.0.23"]
# nginx as ingress-nginx, a kernel-side address (never fanout's)
NGINX_IP = "198.18.0.3"

DJANGO_WELCOME = b"The install worked successfully!"
FLASK_HELLO = b"hello world!"

READY_TIMEOUT = 30.0


def pattern(offset, n):
    """Bytes [offset, offset+n) of fanout's source pattern: byte i = (i*7 + i//4096) & 0xff."""
    return bytes(((i * 7 + i // 4096) & 0xFF) for i in range(offset, offset + n))


def pattern_sha256(size):
    """sha256 hex of the first @size bytes of the pattern (4 KiB pages, cached per page)."""
    pages = [bytes(((j * 7 + p) & 0xFF) for j in range(4096)) for p in range(256)]
    h = hashlib.sha256()
    off = 0
    while off < size:
        n = min(4096, size - off)
        h.update(pages[(off // 4096) & 0xFF][:n])
        off += n
    return h.hexdigest()


# ---------------------------------------------------------------------------
# Addresses


def add_addresses(ns, ips, dev="lo"):
    """Give the kernel side of @ns the addresses @ips (/32 on @dev); idempotent."""
    for ip in ips:
        check_addr(ip)
        ns.run(["ip", "addr", "replace", "%s/32" % ip, "dev", dev])


def check_addr(ip):
    a = [int(x) for x in ip.split(".")]
    fi.check(a[0] == 198 and a[1] in (18, 19), "%s is outside 198.18.0.0/15" % ip)
    fi.check(ip != fi.FANOUT_IP, "%s is fanout's address: the kernel must not own it" % ip)


# ---------------------------------------------------------------------------
# Waiting for a server


def tcp_ready(ns, ip, port, timeout=1.0):
    """True if a TCP connection to ip:port inside @ns succeeds."""
    s = ns.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((ip, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def http_ready(ns, ip, port, path="/", timeout=2.0):
    """True if GET @path on ip:port answers any HTTP status line."""
    try:
        with HttpConn(ns, ip, port, timeout=timeout) as c:
            c.send(request("GET", path, host="%s:%d" % (ip, port), close=True))
            return c.read_response().status > 0
    except (OSError, HttpError):
        return False


# ---------------------------------------------------------------------------
# Backends


class Backend:
    """One replica: a Proc bound to ip:port, with its access and request logs."""

    def __init__(self, kind, ip, port, name, proc, access_log=None, request_log=None):
        self.kind = kind
        self.ip = ip
        self.port = port
        self.name = name
        self.proc = proc
        self.access_log = access_log
        self.request_log = request_log

    def __repr__(self):
        return "Backend(%s %s:%d)" % (self.name, self.ip, self.port)

    def running(self):
        return self.proc.poll() is None

    def stop(self, fast=False):
        self.proc.close(fast=fast)

    def access_lines(self):
        """gunicorn's access log lines ('... "GET /x HTTP/1.1" 404 ...')."""
        if not self.access_log or not os.path.exists(self.access_log):
            return []
        with open(self.access_log, errors="replace") as f:
            return f.read().splitlines()

    def requests(self):
        """testapp's request log: one dict per request that reached this replica."""
        if not self.request_log or not os.path.exists(self.request_log):
            return []
        with open(self.request_log) as f:
            return [json.loads(line) for line in f if line.strip()]

    def request_paths(self):
        """Request targets this replica received (from the access log or request log)."""
        if self.request_log:
            return [r["uri"] for r in self.requests()]
        out = []
        for line in self.access_lines():
            m = re.search(r'"[A-Z]+ (\S+) HTTP/[0-9.]+"', line)
            if m:
                out.append(m.group(1))
        return out


class BackendSet:
    """Replicas of one kind; stop() ends them all (also done by fo_integ's cleanup)."""

    def __init__(self, kind, backends):
        self.kind = kind
        self.backends = backends

    def __iter__(self):
        return iter(self.backends)

    def __len__(self):
        return len(self.backends)

    def __getitem__(self, i):
        return self.backends[i]

    def by_ip(self, ip):
        return next(b for b in self.backends if b.ip == ip)

    def request_counts(self):
        """{replica name: number of requests it logged}."""
        return {b.name: len(b.request_paths()) for b in self.backends}

    def settle(self, total, timeout=5.0):
        """Wait until the replicas together logged at least @total requests (gunicorn writes
        its access log line after the response: a client can be faster). Returns
        request_counts(); no failure on timeout, the caller checks the counts."""
        deadline = time.monotonic() + timeout
        while True:
            counts = self.request_counts()
            if sum(counts.values()) >= total or time.monotonic() >= deadline:
                return counts
            time.sleep(0.05)

    def stop(self, fast=False):
        for b in self.backends:
            b.stop(fast=fast)


def _gunicorn_argv(kind, bind, name, access_log, worker_class, workers, threads, keepalive,
                   timeout):
    chdir, module = {"django": ("django_app", "project.wsgi"),
                     "flask": ("flask_app", "app:app"),
                     "testapp": (".", "testapp:app")}[kind]
    if worker_class is None:
        # gthread leaves pipelined requests unanswered (the second of two requests read
        # together stays in its buffer); gevent's worker serves them in order
        worker_class = "gevent" if kind == "testapp" else "gthread"
    wc = ["-k", worker_class] + (["--threads", str(threads)] if worker_class == "gthread" else [])
    return [GUNICORN, "--chdir", os.path.join(BACKEND_DIR, chdir), "-b", bind,
            "-w", str(workers)] + wc + [
            "--keep-alive", str(keepalive), "--timeout", str(timeout),
            "--graceful-timeout", "2", "--backlog", "2048",
            "--access-logfile", access_log, "--error-logfile", "-",
            "--name", name, module]


def start_backends(ns, kind, ips, port=BACKEND_PORT, names=None, worker_class=None, workers=1,
                   threads=4, keepalive=75, timeout=120, args=(), cpus=None, wait=True,
                   env=None):
    """Start one replica of @kind per address in @ips, inside @ns; wait until each answers.

    kind: "django", "flask", "testapp" (gunicorn: @workers processes of
    @worker_class, default gthread with @threads threads for django/flask and
    gevent for testapp, which must answer pipelined requests; keep-alive
    @keepalive s, worker timeout @timeout s), "raw:<mode>"
    (rawserver.py) or "ws" (wsecho.py). @names: replica names (default
    <kind><n>); testapp answers its name on /who. @args: extra arguments of
    the server's command line. @cpus: taskset CPU list string. @env: more
    environment variables (e.g. FO_BACKEND_DELAY for testapp). The addresses
    are added to the namespace (add_addresses). Raises fi.Failure if a replica
    does not answer within READY_TIMEOUT s; the ones started are stopped by
    fo_integ's cleanup in any case.
    """
    add_addresses(ns, ips)
    env_extra = env
    base = kind.split(":")[0]
    names = names or ["%s%d" % (base, i + 1) for i in range(len(ips))]
    backends = []
    for ip, name in zip(ips, names):
        bind = "%s:%d" % (ip, port)
        logs = ns.test.log_dir
        access_log = request_log = None
        env = dict(os.environ, FO_BACKEND_NAME=name, PYTHONDONTWRITEBYTECODE="1", **(env_extra or {}))
        if base in ("django", "flask", "testapp"):
            access_log = os.path.join(logs, name + ".access.log")
            open(access_log, "w").close()
            if base == "testapp":
                request_log = os.path.join(logs, name + ".requests.jsonl")
                open(request_log, "w").close()
                env["FO_BACKEND_LOG"] = request_log
            argv = _gunicorn_argv(base, bind, name, access_log, worker_class, workers, threads,
                                  keepalive, timeout)
            argv[-1:-1] = list(args)
        elif base == "raw":
            argv = [PYTHON, os.path.join(BACKEND_DIR, "rawserver.py"), "--bind", bind,
                    "--mode", kind.split(":", 1)[1]] + list(args)
        elif base == "ws":
            argv = [PYTHON, os.path.join(BACKEND_DIR, "wsecho.py"), "--bind", bind] + list(args)
        else:
            raise fi.Failure("unknown backend kind %r" % kind)
        if cpus is not None:
            argv = ["taskset", "-c", str(cpus)] + argv
        proc = ns.spawn(argv, name, env=env)
        backends.append(Backend(kind, ip, port, name, proc, access_log, request_log))
    bs = BackendSet(kind, backends)
    if wait:
        wait_backends(ns, bs)
    return bs


def start_seed(ns, **kw):
    """The seed's backends: 3 Django replicas (DJANGO_IPS) and 3 Flask replicas (FLASK_IPS)
    on BACKEND_PORT, as config/fanout.conf names them. Returns (django, flask) BackendSets."""
    return (start_backends(ns, "django", DJANGO_IPS, **kw),
            start_backends(ns, "flask", FLASK_IPS, **kw))


def wait_backends(ns, bs, timeout=READY_TIMEOUT):
    """Wait until every replica of @bs accepts connections (HTTP kinds: answers a request)."""
    deadline = time.monotonic() + timeout
    for b in bs:
        while True:
            if not b.running():
                b.proc.dump()
                raise fi.Failure("%s exited with %r before answering" % (b, b.proc.poll()))
            if b.kind.startswith(("raw", "ws")):
                up = tcp_ready(ns, b.ip, b.port) if b.kind.startswith("ws") else \
                    "listening" in b.proc.out()
            else:
                up = http_ready(ns, b.ip, b.port)
            if up:
                break
            if time.monotonic() >= deadline:
                b.proc.dump()
                raise fi.Failure("%s did not answer within %.0f s" % (b, timeout))
            time.sleep(0.1)
    # the readiness probes are not the test's requests (gunicorn logs a request
    # after answering it: wait for the probe's line before emptying the log)
    for b in bs:
        if b.access_log:
            fi.wait_for(lambda: b.access_lines(), 5, "%s's access log line" % b.name)
        for path in (b.access_log, b.request_log):
            if path:
                open(path, "w").close()
    fi.log("%d %s replicas up: %s" % (len(bs), bs.kind,
                                       ", ".join("%s=%s:%d" % (b.name, b.ip, b.port) for b in bs)))


def start_echo(ns, services, port=BACKEND_PORT, statuses=None, name="echo"):
    """tests/backends/echo.py in @ns, one process answering as service NAME on every
    ip:@port of @services ({ip: NAME}; the addresses are added to the namespace):
    JSON {"service", "method", "target" (as received), "host", "headers"}.
    @statuses: {NAME: status} for services that answer something else than 200.
    Waits until it listens; returns its fo_integ.Proc."""
    add_addresses(ns, list(services))
    argv = [PYTHON, os.path.join(BACKEND_DIR, "echo.py")]
    for ip, svc in services.items():
        argv += ["--listen", "%s:%d=%s" % (ip, port, svc)]
    for svc, code in (statuses or {}).items():
        argv += ["--status", "%s=%d" % (svc, code)]
    proc = ns.spawn(argv, name, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    fi.wait_for(lambda: "listening" in proc.out() or proc.poll() is not None, READY_TIMEOUT,
                "%s to listen" % name)
    if proc.poll() is not None:
        proc.dump()
        raise fi.Failure("%s exited with %r" % (name, proc.poll()))
    return proc


# ---------------------------------------------------------------------------
# nginx (as ingress-nginx; as a fast backend for the bench)


def render_nginx(template, run_dir, template_dir=BENCH_DIR, **values):
    """Write @template_dir/<template> (default tests/bench) with @KEY@ replaced into
    @run_dir/nginx.conf; return its path."""
    with open(os.path.join(template_dir, template)) as f:
        text = f.read()
    values = dict(values, DIR=run_dir, BENCH_DIR=BENCH_DIR)
    for k, v in values.items():
        text = text.replace("@%s@" % k, str(v))
    left = re.findall(r"@[A-Z_]+@", re.sub(r"(?m)^\s*#.*$", "", text))
    fi.check(not left, "%s: placeholders left unset: %s" % (template, left))
    os.makedirs(run_dir, exist_ok=True)
    for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        os.makedirs(os.path.join(run_dir, d), exist_ok=True)
    path = os.path.join(run_dir, "nginx.conf")
    with open(path, "w") as f:
        f.write(text)
    return path


class Nginx:
    """An nginx master (daemon off) in @ns with a rendered config."""

    def __init__(self, ns, name, conf, run_dir, proc):
        self.ns = ns
        self.name = name
        self.conf = conf
        self.run_dir = run_dir
        self.proc = proc

    def worker_pids(self):
        """pids of the master's children (the workers)."""
        try:
            with open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)) as f:
                return [int(p) for p in f.read().split()]
        except OSError:
            return []

    def cpu_ticks(self):
        """utime+stime (clock ticks) of master and workers."""
        total = 0
        for pid in [self.proc.pid] + self.worker_pids():
            try:
                with open("/proc/%d/stat" % pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime
            except (OSError, IndexError, ValueError):
                pass
        return total

    def error_log(self):
        try:
            with open(os.path.join(self.run_dir, "error.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self, fast=False):
        self.proc.close(fast=fast)


def start_nginx(ns, name, template, cpus=None, wait=(), template_dir=BENCH_DIR, **values):
    """Render @template (from @template_dir) and run nginx in @ns (master + WORKERS
    workers, daemon off).

    @wait: (ip, port) pairs to wait for (TCP accept). Returns an Nginx."""
    run_dir = os.path.join(ns.test.log_dir, name)
    conf = render_nginx(template, run_dir, template_dir=template_dir, **values)
    r = ns.run([NGINX, "-t", "-q", "-c", conf, "-e", os.path.join(run_dir, "error.log")],
               check_rc=False)
    fi.check(r.returncode == 0, "nginx -t %s: %s%s" % (conf, r.stdout, r.stderr))
    argv = [NGINX, "-c", conf, "-e", os.path.join(run_dir, "error.log")]
    if cpus is not None:
        argv = ["taskset", "-c", str(cpus)] + argv
    proc = ns.spawn(argv, name)
    ngx = Nginx(ns, name, conf, run_dir, proc)
    for ip, port in wait:
        fi.wait_for(lambda: tcp_ready(ns, ip, port) or proc.poll() is not None, READY_TIMEOUT,
                    "%s on %s:%d" % (name, ip, port))
        if proc.poll() is not None:
            proc.dump()
            raise fi.Failure("%s exited with %r: %s" % (name, proc.poll(), ngx.error_log()))
    return ngx


def start_nginx_ingress(ns, ip=NGINX_IP, port=80, workers=1, access_log=True, cpus=None,
                        name="nginx-ingress"):
    """nginx rendering the seed's Ingress as ingress-nginx would, listening on ip:port."""
    add_addresses(ns, [ip])
    log = "off"
    if access_log:
        log = "%s upstreaminfo" % os.path.join(ns.test.log_dir, name, "access.log")
    return start_nginx(ns, name, "nginx-ingress.conf.in", cpus=cpus, wait=[(ip, port)],
                       LISTEN="%s:%d" % (ip, port), WORKERS=workers, ACCESS_LOG=log)


def start_nginx_backend(ns, ips, port=BACKEND_PORT, workers=1, cpus=None, name="nginx-backend"):
    """nginx answering "hello world!" on every ip:port of @ips (the bench's fast backend)."""
    add_addresses(ns, ips)
    listens = " ".join("listen %s:%d backlog=4096;" % (ip, port) for ip in ips)
    return start_nginx(ns, name, "nginx-backend.conf.in", cpus=cpus,
                       wait=[(ip, port) for ip in ips], LISTENS=listens, WORKERS=workers)


# ---------------------------------------------------------------------------
# Raw-socket HTTP client


class HttpError(Exception):
    """The peer's bytes are not a response this client can frame, or it closed early."""


class Response:
    def __init__(self, version, status, reason, headers, body, raw, trailers=None,
                 interim=None):
        self.version = version      # "HTTP/1.1"
        self.status = status        # int
        self.reason = reason
        self.headers = headers      # [(name, value)] as received
        self.body = body            # bytes, de-chunked
        self.raw = raw              # every byte of this response as received
        self.trailers = trailers or []
        self.interim = interim or []  # 1xx responses that came first: [(status, headers)]

    def header(self, name, default=None):
        """First value of header @name (case-insensitive), or @default."""
        n = name.lower()
        return next((v for k, v in self.headers if k.lower() == n), default)

    def header_all(self, name):
        n = name.lower()
        return [v for k, v in self.headers if k.lower() == n]

    def keep_alive(self):
        conn = [t.strip().lower() for v in self.header_all("Connection") for t in v.split(",")]
        if self.version == "HTTP/1.0":
            return "keep-alive" in conn
        return "close" not in conn

    def __repr__(self):
        return "Response(%d %s, %d body bytes)" % (self.status, self.reason, len(self.body))


def request(method, target, host="example.com", headers=(), body=None, close=False,
            chunked=False, version="HTTP/1.1"):
    """Request bytes. @body: bytes (Content-Length, or chunked in 3 pieces if @chunked).
    @headers: extra (name, value) pairs, sent as given."""
    lines = ["%s %s %s" % (method, target, version)]
    if host is not None:
        lines.append("Host: %s" % host)
    for k, v in headers:
        lines.append("%s: %s" % (k, v))
    if close:
        lines.append("Connection: close")
    payload = b""
    if body is not None:
        if chunked:
            lines.append("Transfer-Encoding: chunked")
            n = len(body)
            cuts = [0, n // 3, 2 * n // 3, n]
            for a, b in zip(cuts, cuts[1:]):
                if b > a:
                    payload += b"%x\r\n" % (b - a) + body[a:b] + b"\r\n"
            payload += b"0\r\n\r\n"
        else:
            lines.append("Content-Length: %d" % len(body))
            payload = body
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload


class HttpConn:
    """A TCP connection from inside @ns, with buffered response reading."""

    def __init__(self, ns, ip, port, timeout=10.0):
        self.s = ns.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        try:
            self.s.connect((ip, port))
        except OSError:
            self.s.close()
            raise
        self.buf = b""
        self.eof = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.s.close()

    def send(self, data):
        self.s.sendall(data)

    def shutdown_write(self):
        self.s.shutdown(socket.SHUT_WR)

    def _fill(self):
        if self.eof:
            return False
        b = self.s.recv(65536)
        if not b:
            self.eof = True
            return False
        self.buf += b
        return True

    def _line(self, raw):
        while b"\r\n" not in self.buf:
            if len(self.buf) > 65536:
                raise HttpError("line longer than 64 KiB")
            if not self._fill():
                raise HttpError("connection closed inside a line (got %r)" % self.buf[:200])
        line, self.buf = self.buf.split(b"\r\n", 1)
        raw.append(line + b"\r\n")
        return line

    def _exact(self, n, raw):
        while len(self.buf) < n:
            if not self._fill():
                raise HttpError("connection closed %d bytes before the end of the body"
                                % (n - len(self.buf)))
        data, self.buf = self.buf[:n], self.buf[n:]
        raw.append(data)
        return data

    def _head(self, raw):
        line = self._line(raw)
        m = re.match(rb"^(HTTP/\d\.\d) (\d{3})(?: (.*))?$", line)
        if not m:
            raise HttpError("bad status line %r" % line[:200])
        headers = []
        while True:
            h = self._line(raw)
            if not h:
                break
            if b":" not in h:
                raise HttpError("bad header line %r" % h[:200])
            k, v = h.split(b":", 1)
            headers.append((k.decode("latin-1"), v.strip().decode("latin-1")))
        return (m.group(1).decode(), int(m.group(2)), (m.group(3) or b"").decode("latin-1"),
                headers)

    def read_response(self, method="GET"):
        """Read one response (after any 1xx) and return a Response; HttpError on bad framing
        or an early close. socket.timeout propagates."""
        raw = []
        interim = []
        while True:
            version, status, reason, headers = self._head(raw)
            if 100 <= status < 200 and status != 101:
                interim.append((status, headers))
                continue
            break
        resp = Response(version, status, reason, headers, b"", None, interim=interim)
        te = ",".join(resp.header_all("Transfer-Encoding")).lower()
        cl = resp.header_all("Content-Length")
        body = b""
        if method == "HEAD" or status in (101, 204, 304):
            pass
        elif "chunked" in te:
            parts = []
            while True:
                size_line = self._line(raw)
                try:
                    size = int(size_line.split(b";")[0].strip(), 16)
                except ValueError:
                    raise HttpError("bad chunk size line %r" % size_line[:100])
                if size == 0:
                    break
                parts.append(self._exact(size, raw))
                if self._exact(2, raw) != b"\r\n":
                    raise HttpError("chunk not followed by CRLF")
            trailers = []
            while True:
                t = self._line(raw)
                if not t:
                    break
                k, _, v = t.partition(b":")
                trailers.append((k.decode("latin-1"), v.strip().decode("latin-1")))
            resp.trailers = trailers
            body = b"".join(parts)
        elif cl:
            if len(set(cl)) != 1:
                raise HttpError("differing Content-Length values %r" % cl)
            body = self._exact(int(cl[0]), raw)
        else:
            # close-delimited
            while self._fill():
                pass
            body, self.buf = self.buf, b""
            raw.append(body)
        resp.body = body
        resp.raw = b"".join(raw)
        return resp

    def read_interim(self):
        """Read one response head only (e.g. "100 Continue"); return its status."""
        return self._head([])[1]

    def read_all(self):
        """Everything until the peer closes (e.g. after an error response)."""
        while self._fill():
            pass
        data, self.buf = self.buf, b""
        return data

    def closed_by_peer(self, timeout=2.0):
        """True if the peer closes (EOF or reset) within @timeout s with nothing more sent."""
        self.s.settimeout(timeout)
        try:
            return not self._fill() and not self.buf
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False


def get(ns, ip, port, path, host="example.com", headers=(), timeout=10.0, method="GET"):
    """One request on a fresh connection (Connection: close); returns the Response."""
    with HttpConn(ns, ip, port, timeout=timeout) as c:
        c.send(request(method, path, host=host, headers=headers, close=True))
        return c.read_response(method=method)


def pipeline(ns, ip, port, reqs, timeout=10.0):
    """Send every request of @reqs (bytes, or (method, bytes)) in one write on one
    connection and read as many responses, in order. Returns the list of Responses."""
    reqs = [r if isinstance(r, tuple) else (r.split(b" ", 1)[0].decode(), r) for r in reqs]
    with HttpConn(ns, ip, port, timeout=timeout) as c:
        c.send(b"".join(r for _, r in reqs))
        return [c.read_response(method=m) for m, _ in reqs]


def curl(ns, url, *args, timeout=30):
    """Run curl in @ns (-sS, bounded by --max-time); return CompletedProcess."""
    argv = ["curl", "-sS", "--max-time", str(timeout)] + list(args) + [url]
    return ns.run(argv, timeout=timeout + 10, check_rc=False)


# ---- WebSocket frames (RFC 6455), for tunnels through the proxy ----

def ws_frame(payload, opcode):
    """A masked client frame (FIN set)."""
    mask = os.urandom(4)
    n = len(payload)
    hdr = bytes([0x80 | opcode])
    if n < 126:
        hdr += bytes([0x80 | n])
    elif n < 65536:
        hdr += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        hdr += bytes([0x80 | 127]) + struct.pack("!Q", n)
    # XOR with the repeated mask, as one big-integer operation (fast for 1 MiB)
    reps = (mask * (n // 4 + 1))[:n]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(reps, "big")).to_bytes(n, "big") \
        if n else b""
    return hdr + mask + masked


def ws_read(c):
    """One server frame (unmasked, unfragmented): (opcode, payload)."""
    def need(k):
        while len(c.buf) < k:
            if not c._fill():
                raise fi.Failure("WebSocket connection closed in a frame (%d bytes buffered)"
                                 % len(c.buf))
    need(2)
    fin, op, masked, ln = c.buf[0] & 0x80, c.buf[0] & 0x0F, c.buf[1] & 0x80, c.buf[1] & 0x7F
    fi.check(fin and not masked, "server frame: FIN set, not masked (%r)" % c.buf[:2])
    off = 2
    if ln == 126:
        need(4)
        ln = struct.unpack("!H", c.buf[2:4])[0]
        off = 4
    elif ln == 127:
        need(10)
        ln = struct.unpack("!Q", c.buf[2:10])[0]
        off = 10
    need(off + ln)
    payload = c.buf[off:off + ln]
    c.buf = c.buf[off + ln:]
    return op, payload
