#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""scripts/k8s-sync against `kubectl get KIND -A --watch
--output-watch-events -o json` streams (tests/k8s/watch: the seed's Ingress,
its two Services, their EndpointSlices, written in the format kubectl 1.20
prints, not captured from a cluster), fed step by step through FIFOs as a
cluster would send them:

1. the initial objects: one sync, the seed's routes and 3 + 3 servers;
2. django scaled 3 -> 5 (two pods not ready, then ready: two events in one
   debounce window): one sync, 5 servers, endpoints only;
3. scaled 5 -> 2: three pods terminating (drained), then gone: endpoints
   only each time;
4. an event that changes nothing: "no change", the file left alone;
5. the Ingress gains a path: routes changed;
6. the streams end: k8s-sync exits 0;
7. again with an HTTPRoute stream instead of the Ingresses (kubectl get
   httproutes): match_order gateway, /split to flask (weight 1) and django
   (3); scaling django is endpoints only; the HTTPRoute modified (weights
   1 and 1, a new /flask rule) is routes only.
8. TLS: the seed's Ingress with spec.tls naming a kubernetes.io/tls
   Secret (a Secret stream, certificates made with the openssl CLI): the
   config gets its tls_certificate line, the PEM files are written into
   k8s-tls beside FILE (the key 0600); the Secret renewed (a new
   certificate, MODIFIED) rewrites the files in place and leaves the config
   as it was ("no change"): fanout's certificate watch takes it from there.
Every config written passes `fanout --check` (with config/k8s/base.conf).
No root, no cluster (none can run here).
"""

import base64
import json
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("FO_BUILD_DIR", os.path.join(SRC, "build"))
FANOUT = os.path.join(BUILD, "app", "fanout")
SYNC = os.path.join(SRC, "scripts", "k8s-sync")
BASE = os.path.join(SRC, "config", "k8s", "base.conf")
WATCH = os.path.join(HERE, "watch")

failures = []


def check(cond, what):
    print("%s: %s" % ("ok" if cond else "FAIL", what), flush=True)
    if not cond:
        failures.append(what)


def values(path):
    """The stream's JSON values as kubectl printed them (text of each)."""
    text = open(path).read()
    dec, out, i = json.JSONDecoder(), [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i == len(text):
            return out
        _, end = dec.raw_decode(text, i)
        out.append(text[i:end] + "\n")
        i = end


def servers(conf, upstream):
    m = re.search(r"^upstream %s \{\n(.*?)^\}" % re.escape(upstream), conf, re.M | re.S)
    return re.findall(r"^\tserver (\S+?)( drain)?;", m.group(1), re.M) if m else None


def routes(conf):
    return re.findall(r'^route (\S+) "(.*)" \{', conf, re.M)


def main():
    ing, svc, eps = (values(os.path.join(WATCH, n + ".json"))
                     for n in ("ingresses", "services", "endpointslices"))
    check(len(ing) == 2 and len(svc) == 2 and len(eps) == 6, "the streams: %d, %d, %d events"
          % (len(ing), len(svc), len(eps)))
    with tempfile.TemporaryDirectory() as tmp:
        fifos = []
        for n in ("ingresses", "services", "endpointslices"):
            fifos.append(os.path.join(tmp, n))
            os.mkfifo(fifos[-1])
        out = os.path.join(tmp, "k8s.conf")
        env = dict(os.environ, FO_BUILD_DIR=BUILD)
        p = subprocess.Popen([SYNC, "-o", out, "--base", BASE, "--ingress-class", "nginx",
                              "--debounce", "0.3"] + fifos, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in p.stdout], daemon=True).start()
        w_ing, w_svc, w_eps = (open(f, "w") for f in fifos)

        def feed(*pairs):
            for w, text in pairs:
                w.write(text)
                w.flush()

        def next_sync(what):
            try:
                line = lines.get(timeout=15).strip()
            except queue.Empty:
                check(False, "%s: a sync within 15 s" % what)
                return "", ""
            print("  k8s-sync: %s" % line, flush=True)
            conf = open(out).read() if os.path.exists(out) else ""
            return line, conf

        def passes_check(conf, what):
            path = os.path.join(tmp, "check.conf")
            with open(path, "w") as f:
                f.write(conf)
            r = subprocess.run([FANOUT, "--", "-c", path, "--check"], capture_output=True,
                               text=True, timeout=30)
            check(r.returncode == 0, "%s: fanout --check (%s)" % (what, (r.stdout + r.stderr).strip()))

        dj, fl = "default-django-service-80", "default-flask-service-80"
        # 1. initial state
        feed((w_ing, ing[0]), (w_svc, svc[0]), (w_svc, svc[1]), (w_eps, eps[0]), (w_eps, eps[1]))
        line, conf = next_sync("initial")
        check(line.startswith("sync 1: 5 objects: config changed"), "first sync writes the config")
        check(servers(conf, dj) == [("198.18.0.%d:8000" % i, "") for i in (11, 12, 13)],
              "3 django servers: %s" % servers(conf, dj))
        check(servers(conf, fl) == [("198.18.0.%d:8000" % i, "") for i in (21, 22, 23)],
              "3 flask servers")
        r1 = routes(conf)
        check(r1 == [("regex", "/test01(/|$)(.*)"), ("regex", "/test02(/|$)(.*)")],
              "the seed's routes: %s" % r1)
        passes_check(conf, "initial")
        # 2. 3 -> 5, two events in one window
        feed((w_eps, eps[2]), (w_eps, eps[3]))
        line, conf = next_sync("scale to 5")
        check(line.startswith("sync 2: 5 objects: endpoints changed"), "3 -> 5: endpoints only")
        check(servers(conf, dj) == [("198.18.0.%d:8000" % i, "") for i in range(11, 16)],
              "5 django servers: %s" % servers(conf, dj))
        check(routes(conf) == r1, "routes unchanged")
        passes_check(conf, "5 replicas")
        # 3. 5 -> 2: terminating, then gone
        feed((w_eps, eps[4]))
        line, conf = next_sync("scale to 2, terminating")
        check(line.startswith("sync 3: 5 objects: endpoints changed"), "terminating: endpoints only")
        check(servers(conf, dj) == [("198.18.0.11:8000", ""), ("198.18.0.12:8000", "")] +
              [("198.18.0.%d:8000" % i, " drain") for i in (13, 14, 15)],
              "2 servers and 3 drained: %s" % servers(conf, dj))
        passes_check(conf, "terminating")
        feed((w_eps, eps[5]))
        line, conf = next_sync("scale to 2, gone")
        check(line.startswith("sync 4: 5 objects: endpoints changed"), "gone: endpoints only")
        check(servers(conf, dj) == [("198.18.0.11:8000", ""), ("198.18.0.12:8000", "")],
              "2 django servers: %s" % servers(conf, dj))
        check(routes(conf) == r1, "routes still unchanged")
        # 4. nothing new
        mtime = os.stat(out).st_mtime_ns
        feed((w_eps, eps[5]))
        line, conf = next_sync("same again")
        check(line == "sync 5: 5 objects: no change", "the same slice again: no change")
        check(os.stat(out).st_mtime_ns == mtime, "the file was not rewritten")
        # 5. the Ingress changes
        feed((w_ing, ing[1]))
        line, conf = next_sync("ingress")
        check(line.startswith("sync 6: 5 objects: routes changed"), "Ingress: routes changed (only)")
        check(routes(conf) == r1 + [("regex", "/test03(/|$)(.*)")], "the new path: %s" % routes(conf))
        passes_check(conf, "new Ingress")
        # 6. end of the streams
        for w in (w_ing, w_svc, w_eps):
            w.close()
        try:
            rc = p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = p.wait()
        err = p.stderr.read()
        check(rc == 0, "k8s-sync exits 0 when the streams end (%d; %s)" % (rc, err.strip()))
        check(lines.empty(), "no sync after the end")

    httproutes(svc, eps)
    secrets(ing, svc, eps)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all checks passed")
    return 0


def httproutes(svc, eps):
    """7.: the Services and slices of the first run, an HTTPRoute stream for the Ingresses."""
    hr = values(os.path.join(WATCH, "httproutes.json"))
    check(len(hr) == 2, "the HTTPRoute stream: %d events" % len(hr))
    with tempfile.TemporaryDirectory() as tmp:
        fifos = [os.path.join(tmp, n) for n in ("httproutes", "services", "endpointslices")]
        for f in fifos:
            os.mkfifo(f)
        out = os.path.join(tmp, "k8s.conf")
        p = subprocess.Popen([SYNC, "-o", out, "--base", BASE, "--debounce", "0.3"] + fifos,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=dict(os.environ, FO_BUILD_DIR=BUILD))
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in p.stdout], daemon=True).start()
        w_hr, w_svc, w_eps = (open(f, "w") for f in fifos)

        def step(what, *pairs):
            for w, text in pairs:
                w.write(text)
                w.flush()
            try:
                line = lines.get(timeout=15).strip()
            except queue.Empty:
                check(False, "%s: a sync within 15 s" % what)
                return "", ""
            print("  k8s-sync: %s" % line, flush=True)
            conf = open(out).read() if os.path.exists(out) else ""
            path = os.path.join(tmp, "check.conf")
            with open(path, "w") as f:
                f.write(conf)
            r = subprocess.run([FANOUT, "--", "-c", path, "--check"], capture_output=True,
                               text=True, timeout=30)
            check(r.returncode == 0, "%s: fanout --check (%s)" % (what, (r.stdout + r.stderr).strip()))
            return line, conf

        dj = "default-django-service-80"
        line, conf = step("HTTPRoute", (w_hr, hr[0]), (w_svc, svc[0]), (w_svc, svc[1]),
                          (w_eps, eps[0]), (w_eps, eps[1]))
        check(line.startswith("sync 1: 5 objects: config changed"), "HTTPRoute: first sync")
        check("match_order gateway;" in conf, "HTTPRoutes: match_order gateway")
        r1 = routes(conf)
        check(r1 == [("prefix", "/split")], "the HTTPRoute's route: %s" % r1)
        check("\tupstream default-flask-service-80;\n\tcanary_weight_total 4;\n" in conf and
              "\tcanary default-django-service-80 {\n\t\tweight 3;\n\t}\n" in conf,
              "weights 1 and 3 (a total of 4)")
        line, conf = step("HTTPRoute, scale to 5", (w_eps, eps[2]), (w_eps, eps[3]))
        check(line.startswith("sync 2: 5 objects: endpoints changed"), "3 -> 5: endpoints only")
        check(len(servers(conf, dj)) == 5 and routes(conf) == r1, "5 servers, same routes")
        line, conf = step("HTTPRoute modified", (w_hr, hr[1]))
        check(line.startswith("sync 3: 5 objects: routes changed"), "HTTPRoute: routes changed")
        check(routes(conf) == [("prefix", "/split"), ("exact", "/flask")],
              "the new rule: %s" % routes(conf))
        check("\tcanary_weight_total 2;\n" in conf, "weights 1 and 1: a total of 2")
        for w in (w_hr, w_svc, w_eps):
            w.close()
        try:
            rc = p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = p.wait()
        check(rc == 0, "k8s-sync exits 0 (%d; %s)" % (rc, p.stderr.read().strip()))


def make_cert(tmp, name, serial):
    """A self-signed ECDSA certificate for seed.test: (chain PEM, key PEM)."""
    crt, key = os.path.join(tmp, name + ".crt"), os.path.join(tmp, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", crt, "-days", "2",
                    "-subj", "/CN=seed.test", "-addext", "subjectAltName=DNS:seed.test",
                    "-set_serial", str(serial)], check=True, capture_output=True, timeout=30)
    return open(crt).read(), open(key).read()


def secret_event(kind, crt, key):
    b64 = lambda t: base64.b64encode(t.encode()).decode()
    return json.dumps({"type": kind, "object": {
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
        "metadata": {"name": "seed-tls", "namespace": "default"},
        "data": {"tls.crt": b64(crt), "tls.key": b64(key)}}}, indent=1) + "\n"


def tls_ingress(ing_text):
    """The seed's Ingress event with spec.tls naming the Secret seed-tls."""
    ev = json.loads(ing_text)
    ev["object"]["spec"]["tls"] = [{"hosts": ["seed.test"], "secretName": "seed-tls"}]
    return json.dumps(ev, indent=1) + "\n"


def secrets(ing, svc, eps):
    """8.: the seed over TLS, its certificate renewed."""
    with tempfile.TemporaryDirectory() as tmp:
        c1, k1 = make_cert(tmp, "v1", 4001)
        c2, k2 = make_cert(tmp, "v2", 4002)
        fifos = [os.path.join(tmp, n) for n in ("ingresses", "services", "endpointslices",
                                                 "secrets")]
        for f in fifos:
            os.mkfifo(f)
        out = os.path.join(tmp, "k8s.conf")
        p = subprocess.Popen([SYNC, "-o", out, "--base", BASE, "--ingress-class", "nginx",
                              "--debounce", "0.3"] + fifos, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             env=dict(os.environ, FO_BUILD_DIR=BUILD))
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in p.stdout], daemon=True).start()
        ws = [open(f, "w") for f in fifos]

        def step(what, *pairs):
            for w, text in pairs:
                w.write(text)
                w.flush()
            try:
                line = lines.get(timeout=15).strip()
            except queue.Empty:
                check(False, "%s: a sync within 15 s" % what)
                return ""
            print("  k8s-sync: %s" % line, flush=True)
            return line

        d = os.path.join(tmp, "k8s-tls")
        crt, key = os.path.join(d, "default_seed-tls.crt"), os.path.join(d, "default_seed-tls.key")
        line = step("TLS", (ws[0], tls_ingress(ing[0])), (ws[1], svc[0]), (ws[1], svc[1]),
                    (ws[2], eps[0]), (ws[2], eps[1]), (ws[3], secret_event("ADDED", c1, k1)))
        check(line.startswith("sync 1: 6 objects: config changed"), "TLS: first sync")
        conf = open(out).read() if os.path.exists(out) else ""
        check('tls_certificate "%s" "%s";' % (crt, key) in conf,
              "TLS: the Secret's tls_certificate line, files in k8s-tls beside the config")
        check(os.path.exists(crt) and open(crt).read() == c1 and open(key).read() == k1,
              "TLS: the Secret's PEMs written")
        check(os.path.exists(key) and os.stat(key).st_mode & 0o777 == 0o600, "TLS: the key 0600")
        path = os.path.join(tmp, "check.conf")
        with open(path, "w") as f:
            f.write(conf)
        r = subprocess.run([FANOUT, "--", "-c", path, "--check"], capture_output=True, text=True,
                           timeout=30)
        check(r.returncode == 0, "TLS: fanout --check (%s)" % (r.stdout + r.stderr).strip())
        line = step("TLS renewed", (ws[3], secret_event("MODIFIED", c2, k2)))
        check(line.startswith("sync 2: 6 objects: no change"), "TLS renewed: the config unchanged")
        check(open(crt).read() == c2 and open(key).read() == k2,
              "TLS renewed: the new PEMs in the same files")
        for w in ws:
            w.close()
        try:
            rc = p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = p.wait()
        check(rc == 0, "TLS: k8s-sync exits 0 (%d; %s)" % (rc, p.stderr.read().strip()))


if __name__ == "__main__":
    sys.exit(main())
