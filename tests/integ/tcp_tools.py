#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""TCP test tools: transfer clients, kernel-side servers, a SYN flood sender,
network impairment. Used by tests/integ/test_tcp_*.py and tests/bench/.

Two faces:

* a library for the tests (import tcp_tools as tt): Impairment (loss, delay,
  jitter, reordering on the kernel side of the tap, both directions),
  run_tool()/spawn_tool() to run the tools below inside a namespace, helpers
  for fanout's /fanout/tcp telemetry and the source service's pattern;

* a command line (/usr/bin/python3 tcp_tools.py CMD ...) that the tests run
  inside the test namespace, one process per tool so that clients never
  share a GIL with the harness. Every command is bounded by --timeout and
  prints ONE JSON object on stdout (last line) saying what happened; its
  exit code is 0 only when the transfer did what it should:

    echo-client     upload N bytes (seeded random) and read them back:
                    sha256 of both directions
    source-client   read a stream to EOF: bytes and sha256, compared with
                    fanout's source pattern when --expect is given
    discard-client  send N bytes, half-close, wait for the peer's close
    concurrent      N connections at once, each exchanging data with an echo
                    server; all must complete
    server          a kernel listener: echo (reports sha256 of each
                    connection), source (fanout's pattern) or discard
    synflood        SYNs from random ports/addresses on an AF_PACKET socket
    impair-nfq      the NFQUEUE impairment daemon behind Impairment

Impairment: the issue asks for `tc netem` (loss 1%, reorder 1%, delay 5 ms
+-2 ms) on the kernel side, both directions (ifb for ingress). When the
kernel has no sch_netem (these machines: CONFIG_NET_SCH_NETEM is not set),
the same model runs in user space: iptables queues every TCP segment to or
from fanout (OUTPUT and INPUT, NFQUEUE target) to impair-nfq, which drops, delays and
releases them with netem's semantics (uniform jitter, so segments overtake
each other like under netem's tfifo; "reorder" = sent without delay).
FO_IMPAIR=netem|nfqueue|auto (default auto: netem when it works).
"""

import argparse
import hashlib
import heapq
import json
import os
import random
import resource
import select
import selectors
import signal
import socket
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.abspath(__file__)
PYTHON = "/usr/bin/python3"

MIB = 1 << 20
CHUNK = 256 * 1024

# ---------------------------------------------------------------------------
# fanout's source pattern (app/fanout/service.h): byte i of the stream is
#     (i * 7 + i / 4096) & 0xff
# 4096 * 7 is a multiple of 256, so 4 KiB block b is (7k + b) & 0xff for
# k = 0..4095: 256 distinct blocks.

_SRC_BLOCKS = None


def _source_blocks():
    global _SRC_BLOCKS
    if _SRC_BLOCKS is None:
        base = bytes((7 * k) & 0xff for k in range(4096))
        _SRC_BLOCKS = [bytes((x + b) & 0xff for x in base) for b in range(256)]
    return _SRC_BLOCKS


def source_pattern(off, n):
    """Bytes [off, off+n) of fanout's source stream."""
    blocks = _source_blocks()
    out = bytearray()
    while n > 0:
        b, k = divmod(off, 4096)
        take = min(n, 4096 - k)
        out += blocks[b & 0xff][k:k + take]
        off += take
        n -= take
    return bytes(out)


def source_sha256(n):
    """sha256 hex of the first @n bytes of the source stream."""
    h = hashlib.sha256()
    off = 0
    while off < n:
        take = min(MIB, n - off)
        h.update(source_pattern(off, take))
        off += take
    return h.hexdigest()


def parse_size(s):
    """'64m', '256k', '1g', '1000' -> bytes."""
    s = str(s).strip().lower()
    mult = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}.get(s[-1:], 1)
    return int(s[:-1] if mult != 1 else s) * mult


class SeededStream:
    """A reproducible pseudo-random byte stream, generated chunk by chunk."""

    def __init__(self, seed, total):
        self.rng = random.Random(seed)
        self.left = total

    def next_chunk(self, size=MIB):
        take = min(size, self.left)
        self.left -= take
        return self.rng.randbytes(take) if take else b""


class _FastStream(SeededStream):
    def __init__(self, seed, total):
        self.buf = random.Random(seed).randbytes(MIB)
        self.left = total

    def next_chunk(self, size=MIB):
        take = min(size, self.left)
        self.left -= take
        return self.buf[:take] if take else b""


class _NoHash:
    def update(self, data):
        pass

    def hexdigest(self):
        return "not-computed"


# ---------------------------------------------------------------------------
# Output of the command-line tools


def emit(result, ok):
    result["ok"] = bool(ok)
    print(json.dumps(result, sort_keys=True), flush=True)
    sys.exit(0 if ok else 1)


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, min(hard, n))
    if want > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def _connect(host, port, timeout):
    s = socket.create_connection((host, port), timeout=timeout)
    s.setblocking(False)
    return s


# ---------------------------------------------------------------------------
# echo-client: upload N bytes, read them back


def cmd_echo_client(a):
    t0 = time.monotonic()
    deadline = t0 + a.timeout
    res = {"tool": "echo-client", "bytes": a.bytes, "sent": 0, "received": 0, "eof": False,
           "error": None}
    stop_file = a.stop_file
    total = a.bytes if stop_file is None else 1 << 62
    stream = SeededStream(a.seed, total)
    h_sent, h_recv = hashlib.sha256(), hashlib.sha256()
    if a.fast:  # benchmark: the same random MiB over and over, nothing hashed
        stream = _FastStream(a.seed, total)
        h_sent = h_recv = _NoHash()
    try:
        s = _connect(a.host, a.port, min(a.timeout, 30))
    except OSError as e:
        res["error"] = "connect: %s" % e
        emit(res, False)
    res["connect_s"] = round(time.monotonic() - t0, 3)
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
    buf, off = b"", 0
    shut = False
    rate = a.rate
    t_send0 = time.monotonic()
    progress = (0, 0)
    t_progress = t_send0
    try:
        while True:
            now = time.monotonic()
            if now >= deadline:
                res["error"] = "timeout after %.0f s" % a.timeout
                break
            if (res["sent"], res["received"]) != progress:
                progress, t_progress = (res["sent"], res["received"]), now
            elif a.stall and now - t_progress >= a.stall and not (rate and not shut):
                res["error"] = "stalled: nothing sent or received for %.0f s" % a.stall
                break
            if stop_file is not None and not shut and os.path.exists(stop_file):
                # stop at the next chunk boundary: the stream ends here
                total = res["sent"] + (len(buf) - off)
                stream.left = 0
                stop_file = None
            sending = not shut
            if sending and off >= len(buf):
                buf, off = stream.next_chunk(), 0
                h_sent.update(buf)
                if not buf:
                    s.shutdown(socket.SHUT_WR)
                    shut = True
                    sending = False
            throttled = False
            if sending and rate:
                allowed = (now - t_send0) * rate
                throttled = res["sent"] >= allowed
            ev = selectors.EVENT_READ | (selectors.EVENT_WRITE if sending and not throttled else 0)
            sel.modify(s, ev)
            for key, mask in sel.select(min(0.01 if throttled else 1.0, deadline - now)):
                if mask & selectors.EVENT_READ:
                    try:
                        d = s.recv(CHUNK)
                    except BlockingIOError:
                        d = None
                    if d == b"":
                        res["eof"] = True
                    elif d:
                        h_recv.update(d)
                        res["received"] += len(d)
                if mask & selectors.EVENT_WRITE and sending and off < len(buf):
                    try:
                        n = s.send(memoryview(buf)[off:off + CHUNK])
                    except BlockingIOError:
                        n = 0
                    off += n
                    res["sent"] += n
            if res["eof"]:
                break
    except OSError as e:
        res["error"] = "%s after %d sent, %d received" % (e, res["sent"], res["received"])
    finally:
        s.close()
    if stop_file is None and a.stop_file is not None:
        res["bytes"] = total
    res["secs"] = round(time.monotonic() - t0, 3)
    res["sha_sent"] = h_sent.hexdigest()
    res["sha_recv"] = h_recv.hexdigest()
    res["mbps"] = round(res["received"] * 8 / 1e6 / max(res["secs"], 1e-6), 1)
    ok = (res["error"] is None and res["eof"] and res["sent"] == res["bytes"]
          and res["received"] == res["sent"] and res["sha_sent"] == res["sha_recv"])
    if res["error"] is None and not ok:
        res["error"] = "echo mismatch"
    emit(res, ok)


# ---------------------------------------------------------------------------
# source-client: read to EOF


def cmd_source_client(a):
    t0 = time.monotonic()
    deadline = t0 + a.timeout
    res = {"tool": "source-client", "received": 0, "eof": False, "error": None}
    h = _NoHash() if a.fast else hashlib.sha256()
    first_bad = None
    try:
        s = socket.create_connection((a.host, a.port), timeout=min(a.timeout, 30))
    except OSError as e:
        res["error"] = "connect: %s" % e
        emit(res, False)
    if a.send:
        s.sendall(a.send.encode())
    if a.shut_wr:
        s.shutdown(socket.SHUT_WR)
    t_progress = time.monotonic()
    try:
        while True:
            now = time.monotonic()
            left = deadline - now
            if left <= 0:
                res["error"] = "timeout after %.0f s" % a.timeout
                break
            if a.stall and now - t_progress >= a.stall:
                res["error"] = "stalled: nothing received for %.0f s" % a.stall
                break
            s.settimeout(min(left, 1.0))
            try:
                d = s.recv(CHUNK)
            except socket.timeout:
                continue
            t_progress = time.monotonic()
            if not d:
                res["eof"] = True
                break
            if a.expect is not None and first_bad is None and a.check_pattern:
                want = source_pattern(res["received"], len(d))
                if d != want:
                    first_bad = res["received"] + next(i for i in range(len(d)) if d[i] != want[i])
            h.update(d)
            res["received"] += len(d)
    except OSError as e:
        res["error"] = "%s after %d bytes" % (e, res["received"])
    finally:
        s.close()
    res["secs"] = round(time.monotonic() - t0, 3)
    res["sha"] = h.hexdigest()
    res["mbps"] = round(res["received"] * 8 / 1e6 / max(res["secs"], 1e-6), 1)
    ok = res["error"] is None and res["eof"]
    if a.expect is not None:
        res["expect"] = a.expect
        res["sha_expect"] = source_sha256(a.expect)
        res["first_bad_offset"] = first_bad
        ok = ok and res["received"] == a.expect and res["sha"] == res["sha_expect"]
        if res["error"] is None and not ok:
            res["error"] = "stream differs from the source pattern"
    emit(res, ok)


# ---------------------------------------------------------------------------
# discard-client: send N bytes, half close, wait for the close


def cmd_discard_client(a):
    t0 = time.monotonic()
    res = {"tool": "discard-client", "bytes": a.bytes, "sent": 0, "eof": False, "error": None}
    buf = random.Random(a.seed).randbytes(MIB)
    try:
        s = socket.create_connection((a.host, a.port), timeout=min(a.timeout, 30))
        s.settimeout(a.timeout)
        mv = memoryview(buf)
        while res["sent"] < a.bytes:
            take = min(len(buf), a.bytes - res["sent"])
            s.sendall(mv[:take])
            res["sent"] += take
        s.shutdown(socket.SHUT_WR)
        res["eof"] = s.recv(1) == b""
        s.close()
    except OSError as e:
        res["error"] = "%s after %d bytes" % (e, res["sent"])
    res["secs"] = round(time.monotonic() - t0, 3)
    res["mbps"] = round(res["sent"] * 8 / 1e6 / max(res["secs"], 1e-6), 1)
    emit(res, res["error"] is None and res["eof"])


# ---------------------------------------------------------------------------
# concurrent: N connections to an echo service at once


class _Conn:
    __slots__ = ("i", "s", "data", "sent", "recv_ok", "state", "err", "phase1")

    def __init__(self, i, data):
        self.i = i
        self.s = None
        self.data = data
        self.sent = 0
        self.recv_ok = 0
        self.state = "connecting"
        self.err = None
        self.phase1 = min(len(data), 1024)


def cmd_concurrent(a):
    """Phase 1: every connection connects and round-trips its first KiB, and
    stays open; when all have ("ALL_ESTABLISHED n" on stdout), wait for
    --barrier-file (the test looks at fanout meanwhile) then phase 2: the
    rest of the data, half-close, wait for EOF."""
    raise_nofile(a.conns + 64)
    t0 = time.monotonic()
    deadline = t0 + a.timeout
    sel = selectors.DefaultSelector()
    conns = []
    rng = random.Random(a.seed)
    base = rng.randbytes(a.bytes + 4096)
    for i in range(a.conns):
        # a different slice per connection: data crossed between connections shows
        c = _Conn(i, base[i % 4096:i % 4096 + a.bytes])
        conns.append(c)
    pending = list(conns)
    active = 0
    res = {"tool": "concurrent", "conns": a.conns, "bytes_per_conn": a.bytes, "error": None}

    def fail(c, why):
        nonlocal active
        c.state = "failed"
        c.err = why
        if c.s is not None:
            try:
                sel.unregister(c.s)
            except (KeyError, ValueError):
                pass
            c.s.close()
            c.s = None
        active -= 1

    def start(c):
        nonlocal active
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        c.s = s
        active += 1
        try:
            s.connect((a.host, a.port))
        except BlockingIOError:
            pass
        except OSError as e:
            fail(c, "connect: %s" % e)
            return
        sel.register(s, selectors.EVENT_WRITE, c)

    def step(c, mask, phase):
        if c.state == "connecting":
            err = c.s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                fail(c, "connect: %s" % os.strerror(err))
                return
            c.state = "open"
        limit = c.phase1 if phase == 1 else len(c.data)
        try:
            if c.sent < limit and (mask & selectors.EVENT_WRITE):
                c.sent += c.s.send(memoryview(c.data)[c.sent:limit])
            if c.sent == len(c.data) and c.state == "open":
                c.s.shutdown(socket.SHUT_WR)
                c.state = "shut"
            if mask & selectors.EVENT_READ:
                d = c.s.recv(65536)
                if d == b"":
                    if c.recv_ok == len(c.data):
                        c.state = "done"
                        sel.unregister(c.s)
                        c.s.close()
                        c.s = None
                        return
                    fail(c, "EOF after %d of %d bytes" % (c.recv_ok, len(c.data)))
                    return
                if d != c.data[c.recv_ok:c.recv_ok + len(d)]:
                    fail(c, "data mismatch at offset %d" % c.recv_ok)
                    return
                c.recv_ok += len(d)
        except BlockingIOError:
            pass
        except OSError as e:
            fail(c, "%s (sent %d, received %d)" % (e, c.sent, c.recv_ok))
            return
        ev = selectors.EVENT_READ
        if c.sent < limit:
            ev |= selectors.EVENT_WRITE
        sel.modify(c.s, ev, c)

    def run_phase(phase, done_pred):
        while True:
            now = time.monotonic()
            if now >= deadline:
                return False
            while pending and (a.max_connecting == 0 or
                               sum(1 for c in conns if c.state == "connecting") < a.max_connecting):
                start(pending.pop(0))
            if all(done_pred(c) or c.state == "failed" for c in conns) and not pending:
                return True
            for key, mask in sel.select(min(1.0, deadline - now)):
                step(key.data, mask, phase)

    ok1 = run_phase(1, lambda c: c.state in ("open", "shut", "done") and c.recv_ok >= c.phase1)
    res["phase1_s"] = round(time.monotonic() - t0, 3)
    res["established_together"] = sum(1 for c in conns if c.s is not None and c.state != "failed")
    print("ALL_ESTABLISHED %d" % res["established_together"], flush=True)
    if ok1 and a.barrier_file:
        while not os.path.exists(a.barrier_file) and time.monotonic() < deadline:
            time.sleep(0.05)
    for c in conns:
        if c.s is not None and c.state != "failed":
            sel.modify(c.s, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
    ok2 = ok1 and run_phase(2, lambda c: c.state == "done")
    if not (ok1 and ok2):
        res["error"] = "timeout after %.0f s in phase %d" % (a.timeout, 1 if not ok1 else 2)
    for c in conns:
        if c.s is not None:
            c.s.close()
    res["secs"] = round(time.monotonic() - t0, 3)
    res["done"] = sum(1 for c in conns if c.state == "done")
    failed = [c for c in conns if c.state != "done"]
    res["failed"] = len(failed)
    reasons = {}
    for c in failed:
        reasons[c.err or c.state] = reasons.get(c.err or c.state, 0) + 1
    res["fail_reasons"] = reasons
    emit(res, res["error"] is None and res["done"] == a.conns)


# ---------------------------------------------------------------------------
# server: kernel-side listener (echo with per-connection sha256, source, discard)


def cmd_server(a):
    """Serve until --timeout or SIGTERM; one JSON line per finished connection
    ({"conn": n, "received": .., "sha_recv": .., "sent": ..}), a summary last."""
    raise_nofile(4096)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.bind, a.port))
    ls.listen(1024)
    ls.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ, None)
    stop = []
    signal.signal(signal.SIGTERM, lambda *x: stop.append(1))
    signal.signal(signal.SIGINT, lambda *x: stop.append(1))
    print(json.dumps({"listening": "%s:%d" % (a.bind, a.port), "mode": a.mode}), flush=True)
    deadline = time.monotonic() + a.timeout
    n_conns = 0
    summary = {"tool": "server", "conns": 0, "errors": 0}
    size = parse_size(a.size) if a.size else 0

    class St:
        pass

    def finish(st, err=None):
        sel.unregister(st.s)
        st.s.close()
        summary["conns"] += 1
        if err:
            summary["errors"] += 1
        print(json.dumps({"conn": st.n, "peer": st.peer, "received": st.received,
                          "sha_recv": st.h.hexdigest(), "sent": st.sent, "error": err,
                          "secs": round(time.monotonic() - st.t0, 3)}), flush=True)

    while not stop and time.monotonic() < deadline:
        for key, mask in sel.select(0.5):
            if key.data is None:
                try:
                    s, peer = ls.accept()
                except BlockingIOError:
                    continue
                s.setblocking(False)
                st = St()
                n_conns += 1
                st.n, st.s, st.peer, st.t0 = n_conns, s, "%s:%d" % peer, time.monotonic()
                st.h, st.received, st.sent = hashlib.sha256(), 0, 0
                st.out, st.eof, st.shut = bytearray(), False, False
                sel.register(s, selectors.EVENT_READ | (selectors.EVENT_WRITE
                                                        if a.mode == "source" else 0), st)
                continue
            st = key.data
            try:
                if mask & selectors.EVENT_READ and not st.eof:
                    d = st.s.recv(CHUNK)
                    if d == b"":
                        st.eof = True
                    else:
                        st.received += len(d)
                        st.h.update(d)
                        if a.mode == "echo":
                            st.out += d
                if mask & selectors.EVENT_WRITE:
                    if a.mode == "echo" and st.out:
                        n = st.s.send(st.out[:CHUNK])
                        del st.out[:n]
                        st.sent += n
                    elif a.mode == "source" and st.sent < size:
                        n = st.s.send(source_pattern(st.sent, min(CHUNK, size - st.sent)))
                        st.sent += n
            except BlockingIOError:
                pass
            except OSError as e:
                finish(st, str(e))
                continue
            want_write = (a.mode == "echo" and st.out) or (a.mode == "source" and st.sent < size)
            if not want_write and not st.shut and (st.eof or a.mode == "source"):
                st.s.shutdown(socket.SHUT_WR)
                st.shut = True
            if st.shut and st.eof:
                finish(st)
                continue
            # echo: stop reading while a lot is buffered (backpressure)
            ev = 0
            if not st.eof and len(st.out) < 4 * CHUNK:
                ev |= selectors.EVENT_READ
            if want_write:
                ev |= selectors.EVENT_WRITE
            if st.shut and not st.eof:
                ev |= selectors.EVENT_READ
            sel.modify(st.s, ev or selectors.EVENT_READ, st)
    print(json.dumps(summary), flush=True)


# ---------------------------------------------------------------------------
# synflood: SYNs on an AF_PACKET socket


def _csum(data):
    if len(data) & 1:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def syn_frames(n, src_mac, dst_mac, src_ips, dst_ip, dport, seed):
    """@n Ethernet frames carrying SYNs (MSS, SACK-permitted, timestamps,
    window scale like Linux) from random ports of @src_ips to @dst_ip:@dport."""
    rng = random.Random(seed)
    eth = bytes.fromhex(dst_mac.replace(":", "")) + bytes.fromhex(src_mac.replace(":", "")) + \
        b"\x08\x00"
    dst = socket.inet_aton(dst_ip)
    srcs = [socket.inet_aton(ip) for ip in src_ips]
    opts = b"\x02\x04\x05\xb4\x04\x02\x08\x0a" + b"\0\0\0\0\0\0\0\0" + b"\x01\x03\x03\x07"
    frames = []
    for i in range(n):
        src = srcs[rng.randrange(len(srcs))]
        sport = rng.randrange(1024, 65536)
        seq = rng.getrandbits(32)
        tsval = rng.getrandbits(32)
        o = opts[:8] + struct.pack("!II", tsval, 0) + opts[16:]
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, (5 + len(o) // 4) << 4, 0x02,
                          64240, 0, 0) + o
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
        c = _csum(pseudo + tcp)
        tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), i & 0xffff, 0x4000, 64, 6, 0,
                         src, dst)
        ip = ip[:10] + struct.pack("!H", _csum(ip)) + ip[12:]
        frames.append(eth + ip + tcp)
    return frames


def _tx_dropped(iface):
    with open("/sys/class/net/%s/statistics/tx_dropped" % iface) as f:
        return int(f.read())


def cmd_synflood(a):
    """Send SYNs until --count of them left the interface without being
    dropped by it (tx_dropped subtracted), at most --max-send frames and
    --timeout seconds; --rate caps frames per second (0: as fast as possible)."""
    first, last = a.src.split("-") if "-" in a.src else (a.src, a.src)
    f_int = struct.unpack("!I", socket.inet_aton(first))[0]
    l_int = struct.unpack("!I", socket.inet_aton(last))[0]
    src_ips = [socket.inet_ntoa(struct.pack("!I", x)) for x in range(f_int, l_int + 1)]
    t0 = time.monotonic()
    frames = syn_frames(a.max_send, a.src_mac, a.dst_mac, src_ips, a.dst, a.dport, a.seed)
    t_built = time.monotonic()
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * MIB)
    drop0 = _tx_dropped(a.iface)
    sent = enobufs = 0
    deadline = time.monotonic() + a.timeout
    t_send0 = time.monotonic()
    delivered = 0
    while sent < len(frames) and time.monotonic() < deadline:
        if a.rate:
            ahead = sent - (time.monotonic() - t_send0) * a.rate
            if ahead > 0:
                time.sleep(ahead / a.rate)
        try:
            s.send(frames[sent])
            sent += 1
        except OSError:  # ENOBUFS: the tap's queue is full; let it drain
            enobufs += 1
            time.sleep(0.0005)
            continue
        if sent % 4096 == 0:
            delivered = sent - (_tx_dropped(a.iface) - drop0)
            if delivered >= a.count:
                break
    s.close()
    time.sleep(0.2)
    dropped = _tx_dropped(a.iface) - drop0
    delivered = sent - dropped
    secs = time.monotonic() - t_send0
    res = {"tool": "synflood", "sent": sent, "if_dropped": dropped, "delivered": delivered,
           "enobufs": enobufs, "secs": round(secs, 3), "pps": int(sent / max(secs, 1e-6)),
           "build_s": round(t_built - t0, 3), "sources": len(src_ips),
           "error": None if delivered >= a.count else "only %d SYNs delivered" % delivered}
    emit(res, delivered >= a.count)


# ---------------------------------------------------------------------------
# impair-nfq: netem's model on NFQUEUE verdicts

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NFQA_PACKET_HDR = 1
NFQA_VERDICT_HDR = 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS, NFQA_CFG_QUEUE_MAXLEN = 1, 2, 3
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
NF_DROP, NF_ACCEPT = 0, 1
SOL_NETLINK = 270
NETLINK_NO_ENOBUFS = 5
NF_INET_LOCAL_IN, NF_INET_LOCAL_OUT = 1, 3


def _nla(t, payload):
    ln = 4 + len(payload)
    return struct.pack("=HH", ln, t) + payload + b"\0" * ((4 - ln % 4) % 4)


def _nfq_msg(msg, queue, attrs, family=socket.AF_INET, flags=NLM_F_REQUEST, seq=0):
    body = struct.pack("=BB", family, 0) + struct.pack("!H", queue) + b"".join(attrs)
    return struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | msg, flags, seq,
                       0) + body


def _nfq_config(sock, queue, attrs, seq):
    sock.send(_nfq_msg(NFQNL_MSG_CONFIG, queue, attrs, flags=NLM_F_REQUEST | NLM_F_ACK, seq=seq))
    data = sock.recv(65536)
    ln, typ = struct.unpack_from("=IH", data)
    if typ == NLMSG_ERROR:
        err = struct.unpack_from("=i", data, 16)[0]
        if err:
            raise OSError(-err, "nfqueue config: " + os.strerror(-err))


def cmd_impair_nfq(a):
    """Bind NFQUEUE --queue; per segment: drop with --loss %, else release at
    once with --reorder %, else after delay +- jitter (uniform; releases in
    time order, so jitter reorders as netem's tfifo does). Stats as JSON in
    --stats every 0.5 s and at exit (SIGTERM)."""
    rng = random.Random(a.seed)
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    s.setsockopt(socket.SOL_SOCKET, 33, 16 * MIB)  # SO_RCVBUFFORCE
    s.setsockopt(SOL_NETLINK, NETLINK_NO_ENOBUFS, 1)
    s.bind((0, 0))
    _nfq_config(s, a.queue, [_nla(NFQA_CFG_CMD, struct.pack("!BBH", NFQNL_CFG_CMD_BIND, 0,
                                                             socket.AF_INET))], 1)
    _nfq_config(s, a.queue, [_nla(NFQA_CFG_PARAMS, struct.pack("!IB", 0, NFQNL_COPY_META))], 2)
    _nfq_config(s, a.queue, [_nla(NFQA_CFG_QUEUE_MAXLEN, struct.pack("!I", 65536))], 3)
    s.setblocking(False)
    stop = []
    signal.signal(signal.SIGTERM, lambda *x: stop.append(1))
    signal.signal(signal.SIGINT, lambda *x: stop.append(1))
    st = {"packets": 0, "dropped": 0, "reordered": 0, "delayed": 0, "max_held": 0,
          "out": 0, "in": 0, "errors": 0}
    heap = []
    n = 0
    loss, reorder = a.loss / 100.0, a.reorder / 100.0
    lo, hi = (a.delay - a.jitter) / 1e3, (a.delay + a.jitter) / 1e3

    def write_stats():
        tmp = a.stats + ".tmp"
        with open(tmp, "w") as f:
            json.dump(st, f)
        os.replace(tmp, a.stats)

    print("impair-nfq: queue %d bound" % a.queue, flush=True)
    write_stats()
    next_stats = time.monotonic() + 0.5
    buf = bytearray(65536)
    while not stop:
        now = time.monotonic()
        out = []
        while heap and heap[0][0] <= now:
            _, _, pid = heapq.heappop(heap)
            out.append(pid)
        verdicts = []
        # one recv per queued packet: read what is there (bounded per turn)
        for _ in range(256):
            try:
                ln = s.recv_into(buf)
            except BlockingIOError:
                break
            except OSError:
                st["errors"] += 1
                break
            off = 0
            while off + 16 <= ln:
                mlen, mtype = struct.unpack_from("=IH", buf, off)
                if mlen < 16:
                    break
                if mtype == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                    pid, hook = None, 0
                    p = off + 20
                    while p + 4 <= off + mlen:
                        alen, atype = struct.unpack_from("=HH", buf, p)
                        if alen < 4:
                            break
                        if atype & 0x7fff == NFQA_PACKET_HDR:
                            pid = struct.unpack_from("!I", buf, p + 4)[0]
                            hook = buf[p + 10]
                        p += (alen + 3) & ~3
                    if pid is not None:
                        st["packets"] += 1
                        st["out" if hook == NF_INET_LOCAL_OUT else "in"] += 1
                        r = rng.random()
                        if r < loss:
                            st["dropped"] += 1
                            verdicts.append((pid, NF_DROP))
                        elif r < loss + reorder:
                            st["reordered"] += 1
                            verdicts.append((pid, NF_ACCEPT))
                        else:
                            st["delayed"] += 1
                            n += 1
                            heapq.heappush(heap, (now + rng.uniform(lo, hi), n, pid))
                off += (mlen + 3) & ~3
        verdicts += [(pid, NF_ACCEPT) for pid in out]
        if verdicts:
            msgs = b"".join(_nfq_msg(NFQNL_MSG_VERDICT, a.queue,
                                     [_nla(NFQA_VERDICT_HDR, struct.pack("!II", v, pid))],
                                     family=socket.AF_UNSPEC) for pid, v in verdicts)
            try:
                s.send(msgs)
            except OSError:
                st["errors"] += 1
        st["max_held"] = max(st["max_held"], len(heap))
        if now >= next_stats:
            write_stats()
            next_stats = now + 0.5
        # sleep until the next release or packet
        wait = 0.05 if not heap else max(0.0, heap[0][0] - time.monotonic())
        if wait > 0:
            select.select([s], [], [], min(wait, 0.05))
    # release everything still held, then report
    verdicts = [pid for _, _, pid in heap]
    for i in range(0, len(verdicts), 512):
        try:
            s.send(b"".join(_nfq_msg(NFQNL_MSG_VERDICT, a.queue,
                                     [_nla(NFQA_VERDICT_HDR, struct.pack("!II", NF_ACCEPT, p))],
                                     family=socket.AF_UNSPEC) for p in verdicts[i:i + 512]))
        except OSError:
            pass
    write_stats()


# ---------------------------------------------------------------------------
# Library side: used by the tests (imports fo_integ lazily: the CLI tools run
# without it)


def _fi():
    import fo_integ
    return fo_integ


def tool_argv(cmd, *args):
    return [PYTHON, TOOLS, cmd] + [str(x) for x in args]


def parse_result(text, what):
    """The JSON object a tool printed last."""
    fi = _fi()
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                break
    raise fi.Failure("%s printed no result:\n%s" % (what, text[-4000:]))


def run_tool(ns, cmd, *args, timeout):
    """Run a tool in @ns with --timeout @timeout (and a margin on top); return
    its JSON result (result["ok"] says whether it did its job)."""
    fi = _fi()
    argv = tool_argv(cmd, *args, "--timeout", timeout)
    r = ns.run(argv, timeout=timeout + 30, check_rc=False)
    res = parse_result(r.stdout, "%s %s (exit %d, stderr: %s)" % (cmd, " ".join(map(str, args)),
                                                                 r.returncode, r.stderr[-2000:]))
    fi.log("%s: %s" % (cmd, json.dumps(res, sort_keys=True)))
    return res


def spawn_tool(ns, name, cmd, *args, timeout):
    """Start a tool in @ns in the background with --timeout @timeout (a
    fo_integ.Proc, logs in the test's log dir)."""
    return ns.spawn(tool_argv(cmd, *args, "--timeout", timeout), name)


def finish_tool(proc, timeout):
    """Wait for a spawned tool; return its JSON result. Fails on timeout."""
    fi = _fi()
    rc = proc.wait(timeout)
    if rc is None:
        proc.dump()
        raise fi.Failure("%s still running after %.0f s" % (proc.name, timeout))
    res = parse_result(proc.out(), "%s (exit %d, stderr: %s)" % (proc.name, rc, proc.err()[-2000:]))
    fi.log("%s: %s" % (proc.name, json.dumps(res, sort_keys=True)))
    return res


def server_results(proc):
    """Per-connection JSON lines a `server` tool printed so far."""
    out = []
    for line in proc.out().splitlines():
        if line.startswith('{"conn"'):
            out.append(json.loads(line))
    return out


# Ports of fanout's built-in services in every TCP test config
ECHO_PORT, DISCARD_PORT, SOURCE_PORT, RELAY_PORT = 7, 9, 19, 8080
UPSTREAM_PORT = 9000  # the kernel listener behind the relay (198.18.0.2)


def tcp_conf(source_size="64m", tcp_block=None):
    """fanout config: the tap interface, echo/discard/source/relay listeners,
    upstream `up` = the kernel side's UPSTREAM_PORT, and a `tcp { }` block
    made of @tcp_block ({"max_half_open": 256, ...}) when given."""
    conf = """# written by tests/integ/tcp_tools.py
interface net_tap0 {
    address 198.18.0.1/24;
}
listen 198.18.0.1:%d echo;
listen 198.18.0.1:%d discard;
listen 198.18.0.1:%d source %s;
listen 198.18.0.1:%d relay up;
upstream up {
    server 198.18.0.2:%d;
}
""" % (ECHO_PORT, DISCARD_PORT, SOURCE_PORT, source_size, RELAY_PORT, UPSTREAM_PORT)
    if tcp_block:
        conf += "tcp {\n" + "".join("    %s %s;\n" % kv for kv in tcp_block.items()) + "}\n"
    return conf


def smoke(ns, port=ECHO_PORT, what="fanout's echo service"):
    """A 64 KiB echo round trip, no impairment: fails early and clearly when
    fanout does not speak TCP at all."""
    fi = _fi()
    r = run_tool(ns, "echo-client", "--port", port, "--bytes", "64k", timeout=20)
    fi.check(r["ok"], "64 KiB echo through %s (no impairment): %s" % (what, r.get("error")))


# fanout TCP drop reasons that a correct exchange with Linux never causes
# (retransmitted duplicates, out-of-window and PAWS drops can be legitimate)
BAD_DROPS = ("tcp_truncated", "tcp_bad_off", "tcp_bad_cksum", "tcp_bad_flags", "tcp_bad_option",
             "tcp_conn_limit", "tcp_syn_overflow", "tcp_bad_cookie", "tcp_bad_ack", "tcp_closed",
             "tcp_handoff_full", "tcp_nombuf")


def tcp_info(fo):
    """/fanout/tcp: {"totals": {...}, "services": {...}, "workers": {...}, "listeners": {...}}."""
    fi = _fi()
    t = fo.query("/fanout/tcp")
    fi.check(isinstance(t, dict) and "totals" in t and "workers" in t,
             "/fanout/tcp: unexpected reply %r" % (t,))
    return t


def tcp_totals(fo):
    return tcp_info(fo)["totals"]


def fanout_rss_kb(fo):
    """VmRSS + HugetlbPages of the fanout process, in KiB."""
    total = 0
    with open("/proc/%d/status" % fo.proc.pid) as f:
        for line in f:
            if line.startswith(("VmRSS:", "HugetlbPages:")):
                total += int(line.split()[1])
    return total


class Impairment:
    """Loss/reordering/delay on the kernel side of @iface (both directions)
    for TCP between the kernel and @peer_ip. close() removes it (also at
    teardown: registered with fo_integ's cleanup)."""

    QUEUE = 7

    def __init__(self, ns, peer_ip, iface="fo0", loss=1.0, reorder=1.0, delay_ms=5.0,
                 jitter_ms=2.0, seed=1, mode=None):
        fi = _fi()
        self.ns = ns
        self.iface = iface
        self.mode = mode or os.environ.get("FO_IMPAIR", "auto")
        self.proc = None
        self.ifb = None
        self.stats_path = os.path.join(ns.test.log_dir, "impair-%s.json" % iface)
        self.closed = False
        self.chains = []
        if self.mode == "auto":
            self.mode = "netem" if netem_available(ns) else "nfqueue"
        spec = dict(loss=loss, reorder=reorder, delay=delay_ms, jitter=jitter_ms)
        fi._register(self)
        if self.mode == "netem":
            self._netem(spec)
        elif self.mode == "nfqueue":
            self._nfqueue(peer_ip, spec, seed)
        else:
            raise fi.Failure("FO_IMPAIR=%s: want auto, netem or nfqueue" % self.mode)
        fi.log("impairment on %s (%s): loss %.1f%%, reorder %.1f%%, delay %.1f ms +- %.1f ms, "
               "both directions" % (iface, self.mode, loss, reorder, delay_ms, jitter_ms))

    def _netem(self, p):
        ns = self.ns
        args = ["loss", "%g%%" % p["loss"], "reorder", "%g%%" % p["reorder"],
                "delay", "%gms" % p["delay"], "%gms" % p["jitter"]]
        ns.run(["tc", "qdisc", "add", "dev", self.iface, "root", "netem"] + args)
        self.ifb = "ifb-" + self.iface
        ns.run(["ip", "link", "add", self.ifb, "type", "ifb"])
        ns.run(["ip", "link", "set", self.ifb, "up"])
        ns.run(["tc", "qdisc", "add", "dev", self.iface, "handle", "ffff:", "ingress"])
        ns.run(["tc", "filter", "add", "dev", self.iface, "parent", "ffff:", "protocol", "ip",
                "u32", "match", "u32", "0", "0", "action", "mirred", "egress", "redirect",
                "dev", self.ifb])
        ns.run(["tc", "qdisc", "add", "dev", self.ifb, "root", "netem"] + args)

    def _nfqueue(self, peer_ip, p, seed):
        fi = _fi()
        ns = self.ns
        self.proc = ns.spawn(tool_argv("impair-nfq", "--queue", self.QUEUE, "--loss", p["loss"],
                                       "--reorder", p["reorder"], "--delay", p["delay"],
                                       "--jitter", p["jitter"], "--seed", seed,
                                       "--stats", self.stats_path), "impair-nfq")
        fi.wait_for(lambda: "bound" in self.proc.out() or self.proc.poll() is not None, 10,
                    "impair-nfq to bind its queue")
        if self.proc.poll() is not None:
            self.proc.dump()
            raise fi.Failure("impair-nfq exited with %r" % self.proc.poll())
        # iptables' NFQUEUE target (this kernel has no nft queue expression)
        for chain, hook, match in (("fo_impair_out", "OUTPUT", "-d"),
                                   ("fo_impair_in", "INPUT", "-s")):
            ns.run(["iptables", "-w", "-N", chain])
            ns.run(["iptables", "-w", "-A", chain, match, peer_ip, "-p", "tcp", "-j", "NFQUEUE",
                    "--queue-num", str(self.QUEUE)])
            ns.run(["iptables", "-w", "-I", hook, "-j", chain])
            self.chains.append((chain, hook))

    def stats(self):
        """What the impairment did so far (nfqueue: packets, dropped, ...; netem: tc -s)."""
        if self.mode == "nfqueue":
            try:
                with open(self.stats_path) as f:
                    return json.load(f)
            except (OSError, ValueError):
                return {}
        out = {}
        for dev in (self.iface, self.ifb):
            r = self.ns.run(["tc", "-s", "-j", "qdisc", "show", "dev", dev], check_rc=False)
            try:
                for q in json.loads(r.stdout or "[]"):
                    if q.get("kind") == "netem":
                        out[dev] = {"packets": q.get("packets", 0), "dropped": q.get("drops", 0)}
            except ValueError:
                pass
        out["packets"] = sum(v["packets"] for v in out.values() if isinstance(v, dict))
        out["dropped"] = sum(v["dropped"] for v in out.values() if isinstance(v, dict))
        return out

    def check_active(self):
        """Fail unless segments were impaired in both directions (and dropped)."""
        fi = _fi()
        st = self.stats()
        fi.log("impairment stats: %s" % st)
        if self.mode == "nfqueue":
            fi.check(self.proc.poll() is None, "impair-nfq died (exit %r)" % self.proc.poll())
            fi.check(st.get("out", 0) > 0 and st.get("in", 0) > 0,
                     "impairment saw no segments in one direction: %s" % st)
        fi.check(st.get("dropped", 0) > 0, "impairment dropped nothing: %s" % st)
        return st

    def close(self, fast=False):
        if self.closed:
            return
        self.closed = True
        ns = self.ns
        if self.mode == "nfqueue":
            # rules first: with no reader left, queued segments would be dropped
            for chain, hook in self.chains:
                ns.run(["iptables", "-w", "-D", hook, "-j", chain], check_rc=False, timeout=10)
                ns.run(["iptables", "-w", "-F", chain], check_rc=False, timeout=10)
                ns.run(["iptables", "-w", "-X", chain], check_rc=False, timeout=10)
            if self.proc is not None:
                self.proc.close(fast=fast)
        else:
            ns.run(["tc", "qdisc", "del", "dev", self.iface, "root"], check_rc=False, timeout=10)
            ns.run(["tc", "qdisc", "del", "dev", self.iface, "ingress"], check_rc=False,
                   timeout=10)
            if self.ifb:
                ns.run(["ip", "link", "del", self.ifb], check_rc=False, timeout=10)


def netem_available(ns):
    """True when this kernel has sch_netem and ifb (tried on a throwaway veth in @ns)."""
    r = ns.run(["ip", "link", "add", "fo-probe0", "type", "veth", "peer", "name", "fo-probe1"],
               check_rc=False)
    if r.returncode != 0:
        return False
    try:
        r = ns.run(["tc", "qdisc", "add", "dev", "fo-probe0", "root", "netem", "delay", "1ms"],
                   check_rc=False)
        if r.returncode != 0:
            return False
        r = ns.run(["ip", "link", "add", "fo-probe-ifb", "type", "ifb"], check_rc=False)
        ns.run(["ip", "link", "del", "fo-probe-ifb"], check_rc=False)
        return r.returncode == 0
    finally:
        ns.run(["ip", "link", "del", "fo-probe0"], check_rc=False)


FLOOD_NET = "198.18.0.128/26"
FLOOD_RANGE = "198.18.0.128-198.18.0.191"


def flood_sink(ns, iface="fo0"):
    """Make 198.18.0.128/26 (the SYN flood's sources) look like hosts behind
    the kernel side: it answers fanout's ARP for them (proxy ARP: a route
    through another device, a veth pair here) and silently drops what fanout
    sends them (iptables raw table, before routing), as spoofed sources
    would. The drops are counted: flood_sink_packets(). Removed with the
    namespace."""
    ns.run(["ip", "link", "add", "fo-sink0", "type", "veth", "peer", "name", "fo-sink1"])
    ns.run(["ip", "link", "set", "fo-sink0", "up"])
    ns.run(["ip", "link", "set", "fo-sink1", "up"])
    ns.run(["ip", "route", "add", FLOOD_NET, "dev", "fo-sink0"])
    ns.run(["sysctl", "-q", "-w", "net.ipv4.conf.%s.proxy_arp=1" % iface])
    # proxy ARP answers only for addresses the kernel would forward
    ns.run(["sysctl", "-q", "-w", "net.ipv4.conf.%s.forwarding=1" % iface])
    ns.run(["sysctl", "-q", "-w", "net.ipv4.conf.fo-sink0.forwarding=1"])
    ns.run(["iptables", "-w", "-t", "raw", "-N", "fo_flood"])
    ns.run(["iptables", "-w", "-t", "raw", "-A", "fo_flood", "-d", FLOOD_NET, "-j", "DROP"])
    ns.run(["iptables", "-w", "-t", "raw", "-I", "PREROUTING", "-i", iface, "-j", "fo_flood"])


def flood_sink_packets(ns):
    """Packets fanout sent to the flood's sources (dropped by flood_sink)."""
    r = ns.run(["iptables", "-w", "-t", "raw", "-L", "fo_flood", "-v", "-x", "-n"],
               check_rc=False)
    for line in r.stdout.splitlines():
        f = line.split()
        if len(f) > 2 and f[2] == "DROP":
            return int(f[0])
    return 0


# ---------------------------------------------------------------------------
# Command line


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    def common(sp, port=True):
        sp.add_argument("--host", default="198.18.0.1")
        if port:
            sp.add_argument("--port", type=int, required=True)
        sp.add_argument("--timeout", type=float, default=120)
        sp.add_argument("--seed", type=int, default=1)

    def stall(sp):
        sp.add_argument("--stall", type=float, default=60,
                        help="fail when the stream makes no progress this long (0: never)")

    sp = sub.add_parser("echo-client")
    stall(sp)
    common(sp)
    sp.add_argument("--bytes", type=parse_size, default=MIB)
    sp.add_argument("--rate", type=parse_size, default=0, help="bytes/s cap (0: none)")
    sp.add_argument("--stop-file", help="send until this file exists (then --bytes is ignored)")
    sp.add_argument("--fast", action="store_true", help="benchmark: no sha256, one reused MiB")
    sp = sub.add_parser("source-client")
    common(sp)
    stall(sp)
    sp.add_argument("--expect", type=parse_size)
    sp.add_argument("--check-pattern", action="store_true",
                    help="locate the first wrong byte (slower)")
    sp.add_argument("--send", help="send this first (e.g. a request)")
    sp.add_argument("--shut-wr", action="store_true", help="half-close after connecting")
    sp.add_argument("--fast", action="store_true", help="benchmark: no sha256")
    sp = sub.add_parser("discard-client")
    common(sp)
    sp.add_argument("--bytes", type=parse_size, default=MIB)
    sp = sub.add_parser("concurrent")
    common(sp)
    sp.add_argument("--conns", type=int, default=1000)
    sp.add_argument("--bytes", type=parse_size, default=16384)
    sp.add_argument("--max-connecting", type=int, default=0,
                    help="connections in SYN_SENT at once (0: all)")
    sp.add_argument("--barrier-file")
    sp = sub.add_parser("server")
    sp.add_argument("--bind", default="198.18.0.2")
    sp.add_argument("--port", type=int, required=True)
    sp.add_argument("--mode", choices=("echo", "source", "discard"), default="echo")
    sp.add_argument("--size", help="source: bytes per connection")
    sp.add_argument("--timeout", type=float, default=600)
    sp = sub.add_parser("synflood")
    sp.add_argument("--iface", default="fo0")
    sp.add_argument("--src-mac", required=True)
    sp.add_argument("--dst-mac", required=True)
    sp.add_argument("--src", default=FLOOD_RANGE, help="address or range A-B")
    sp.add_argument("--dst", default="198.18.0.1")
    sp.add_argument("--dport", type=int, required=True)
    sp.add_argument("--count", type=int, default=100000, help="SYNs that must leave the interface")
    sp.add_argument("--max-send", type=int, default=150000)
    sp.add_argument("--rate", type=int, default=0)
    sp.add_argument("--timeout", type=float, default=60)
    sp.add_argument("--seed", type=int, default=1)
    sp = sub.add_parser("impair-nfq")
    sp.add_argument("--queue", type=int, default=7)
    sp.add_argument("--loss", type=float, default=1.0)
    sp.add_argument("--reorder", type=float, default=1.0)
    sp.add_argument("--delay", type=float, default=5.0)
    sp.add_argument("--jitter", type=float, default=2.0)
    sp.add_argument("--seed", type=int, default=1)
    sp.add_argument("--stats", required=True)
    a = p.parse_args(argv)
    {"echo-client": cmd_echo_client, "source-client": cmd_source_client,
     "discard-client": cmd_discard_client, "concurrent": cmd_concurrent, "server": cmd_server,
     "synflood": cmd_synflood, "impair-nfq": cmd_impair_nfq}[a.cmd](a)


if __name__ == "__main__":
    main()
