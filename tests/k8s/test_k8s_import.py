#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""fanoutctl import at the command line, no root needed:

1. the seed's manifests (config/k8s/seed: the Ingress verbatim, its two
   Services, the EndpointSlices of three pods each) with --base
   config/k8s/base.conf: a config `fanout --check` accepts, with the seed's
   two regex routes, the /$2 rewrite and the six servers;
2. the same read from stdin (-) and from the files one by one: the same
   routes and upstreams;
3. every case directory under tests/k8s/cases imports and passes --check
   (balance: the sticky, hash and ewma lines and the two warnings);
4. -o writes the file only on success: an import with an error leaves an
   existing file as it was and exits 1 with the error on stderr;
5. --strict fails on a warning and writes nothing on stdout;
6. bad usage exits 2; --apply writes the file, then fails when no fanout
   runs (the reload itself: tests/integ/test_k8s_seed.py);
7. TLS: a real certificate (openssl CLI) as a kubernetes.io/tls Secret and
   an Ingress whose spec.tls names it: the PEM files land in --tls-dir
   (0644 chain, 0600 key, the bytes given), or by default in k8s-tls beside
   -o FILE; `fanout --check` loads and validates them; an import that does
   not change them leaves the files (their inodes) alone; a Secret whose key
   is another certificate's is warned about and written nowhere; a
   controller ConfigMap (--configmap) gives hsts and ssl_redirect.
"""

import base64
import os
import stat
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("FO_BUILD_DIR", os.path.join(SRC, "build"))
FANOUTCTL = os.path.join(BUILD, "app", "fanoutctl")
FANOUT = os.path.join(BUILD, "app", "fanout")
SEED = os.path.join(SRC, "config", "k8s", "seed")
BASE = os.path.join(SRC, "config", "k8s", "base.conf")

failures = []


def check(cond, what):
    print("%s: %s" % ("ok" if cond else "FAIL", what))
    if not cond:
        failures.append(what)


def run(argv, stdin=None):
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=30)


def importer(*args, stdin=None):
    return run([FANOUTCTL, "import"] + list(args), stdin)


def fanout_check(text, tmp, name):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    r = run([FANOUT, "--", "-c", path, "--check"])
    check(r.returncode == 0, "%s passes fanout --check (%s)" % (name, (r.stdout + r.stderr).strip()))


def body(text):
    """The config without its comments (which name the files read)."""
    return "\n".join(l for l in text.split("\n") if not l.startswith("#"))


def make_cert(tmp, name, host):
    crt, key = os.path.join(tmp, name + ".pem"), os.path.join(tmp, name + ".key")
    r = run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-days", "2", "-keyout", key, "-out", crt, "-subj", "/CN=" + host,
             "-addext", "subjectAltName=DNS:" + host])
    check(r.returncode == 0, "openssl req for %s (%s)" % (host, r.stderr.strip()))
    return open(crt, "rb").read(), open(key, "rb").read()


def tls_yaml(crt, key, name="seed-tls"):
    return ("---\napiVersion: v1\nkind: Secret\nmetadata: {name: %s, namespace: default}\n"
            "type: kubernetes.io/tls\ndata:\n  tls.crt: %s\n  tls.key: %s\n"
            "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\n"
            "metadata: {name: seed-tls, namespace: default}\n"
            "spec:\n  ingressClassName: nginx\n  tls:\n  - hosts: [seed.demo.test]\n"
            "    secretName: %s\n" % (name, base64.b64encode(crt).decode(),
                                        base64.b64encode(key).decode(), name))


def tls_case(tmp, seed_text):
    crt, key = make_cert(tmp, "seed", "seed.demo.test")
    other_crt, _ = make_cert(tmp, "other", "other.demo.test")
    base = os.path.join(tmp, "base-tls.conf")
    with open(base, "w") as f:
        f.write(open(BASE).read() + "listen 198.18.0.1:443 tls;\n")
    d = os.path.join(tmp, "tls")
    out = os.path.join(tmp, "tls.conf")
    r = importer("--strict", "--base", base, "--tls-dir", d, "-o", out, "-",
                 stdin=seed_text + tls_yaml(crt, key))
    check(r.returncode == 0 and r.stderr == "", "TLS import (%s)" % r.stderr.strip())
    conf = open(out).read()
    want = ('# Secret default/seed-tls (Ingress default/seed-tls spec.tls[0]): seed.demo.test\n'
            'tls_certificate "%s/default_seed-tls.crt" "%s/default_seed-tls.key";\n' % (d, d))
    check(want in conf, "the config names the files: %r" % conf[:600])
    st_crt, st_key = (os.stat(os.path.join(d, "default_seed-tls." + e)) for e in ("crt", "key"))
    check(stat.S_IMODE(os.stat(d).st_mode) == 0o700, "the TLS directory is made 0700")
    check(stat.S_IMODE(st_crt.st_mode) == 0o644 and stat.S_IMODE(st_key.st_mode) == 0o600,
          "modes 0644 (chain) and 0600 (key)")
    check(open(os.path.join(d, "default_seed-tls.crt"), "rb").read() == crt and
          open(os.path.join(d, "default_seed-tls.key"), "rb").read() == key,
          "the files hold the Secret's decoded PEM")
    r = run([FANOUT, "--", "-c", out, "--check"])
    check(r.returncode == 0, "fanout --check loads the certificate (%s)" % (r.stdout + r.stderr))
    # again, unchanged: the files keep their inodes (a certificate watcher sees nothing)
    r = importer("--base", base, "--tls-dir", d, "-o", out, "-", stdin=seed_text + tls_yaml(crt, key))
    check(r.returncode == 0, "the same import again")
    check(os.stat(os.path.join(d, "default_seed-tls.crt")).st_ino == st_crt.st_ino and
          os.stat(os.path.join(d, "default_seed-tls.key")).st_ino == st_key.st_ino,
          "unchanged files are not rewritten")
    # the default directory: k8s-tls beside -o FILE
    sub = os.path.join(tmp, "etc")
    os.mkdir(sub)
    r = importer("--base", base, "-o", os.path.join(sub, "k8s.conf"), "-",
                 stdin=seed_text + tls_yaml(crt, key))
    check(r.returncode == 0 and
          os.path.exists(os.path.join(sub, "k8s-tls", "default_seed-tls.key")),
          "default --tls-dir: k8s-tls beside -o FILE (%s)" % r.stderr.strip())
    # the controller ConfigMap (--configmap): hsts and ssl_redirect, fanout --check accepts them
    cm = ("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ingress-nginx-controller, "
          "namespace: ingress-nginx}\ndata: {hsts-max-age: '600', ssl-redirect: 'false'}\n")
    out3 = os.path.join(tmp, "cm.conf")
    r = importer("--strict", "--base", base, "--tls-dir", d, "--configmap",
                 "ingress-nginx/ingress-nginx-controller", "-o", out3, "-",
                 stdin=seed_text + tls_yaml(crt, key) + cm)
    check(r.returncode == 0, "--configmap import (%s)" % r.stderr.strip())
    check('\nhsts "max-age=600; includeSubDomains";\nssl_redirect off;\n' in open(out3).read(),
          "--configmap: hsts and ssl_redirect written")
    r = run([FANOUT, "--", "-c", out3, "--check"])
    check(r.returncode == 0, "fanout --check accepts them (%s)" % (r.stdout + r.stderr))
    # a key that is not one: a warning, no tls_certificate line, no file
    d2 = os.path.join(tmp, "tls2")
    r = importer("--base", base, "--tls-dir", d2, "-", stdin=seed_text + tls_yaml(crt, other_crt))
    check(r.returncode == 0 and "tls_certificate" not in r.stdout, "a bad Secret: no certificate")
    check("Ingress default/seed-tls: spec.tls[0].secretName: Secret default/seed-tls" in r.stderr
          and "data[tls.key]: holds no PEM private key: its hosts: seed.demo.test get fanout's "
          "self-signed default certificate" in r.stderr, "a bad Secret is a warning: %r" % r.stderr)
    check(not os.path.exists(d2), "nothing written for it")
    # a key that does not match: the import cannot tell (no X.509 in lib/k8s); fanout --check does
    other_key = open(os.path.join(tmp, "other.key"), "rb").read()
    r = importer("--base", base, "--tls-dir", d2, "-", stdin=seed_text + tls_yaml(crt, other_key))
    check(r.returncode == 0, "a mismatched key imports")
    mism = os.path.join(tmp, "mismatch.conf")
    with open(mism, "w") as f:
        f.write(r.stdout)
    r = run([FANOUT, "--", "-c", mism, "--check"])
    check(r.returncode == 1 and "%s/default_seed-tls.key: private key does not match the "
          "certificate of %s/default_seed-tls.crt" % (d2, d2) in r.stderr,
          "fanout --check names the mismatched key (%r)" % r.stderr)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        # 1. the seed
        r = importer("--base", BASE, SEED)
        check(r.returncode == 0, "seed imports: %s" % r.stderr.strip())
        conf = r.stdout
        check(r.stderr == "", "seed imports without a warning")
        fanout_check(conf, tmp, "seed.conf")
        for want in ['include "%s";' % BASE,
                     "match_order ingress-nginx;",
                     'route regex "/test01(/|$)(.*)" {\n\tupstream default-django-service-80;\n'
                     '\trewrite "/$2";\n}',
                     'route regex "/test02(/|$)(.*)" {\n\tupstream default-flask-service-80;\n'
                     '\trewrite "/$2";\n}',
                     "upstream default-django-service-80 {\n\tserver 198.18.0.11:8000;\n"
                     "\tserver 198.18.0.12:8000;\n\tserver 198.18.0.13:8000;\n}",
                     "upstream default-flask-service-80 {\n\tserver 198.18.0.21:8000;\n"
                     "\tserver 198.18.0.22:8000;\n\tserver 198.18.0.23:8000;\n}"]:
            check(want in conf, "seed config has %r" % want)

        # 2. stdin and single files
        files = sorted(os.path.join(SEED, n) for n in os.listdir(SEED))
        text = "".join("---\n" + open(p).read() for p in files)
        r = importer("--base", BASE, "-", stdin=text)
        check(r.returncode == 0 and body(r.stdout) == body(conf), "stdin gives the same config")
        r = importer("--base", BASE, *files)
        check(r.returncode == 0 and body(r.stdout) == body(conf), "files one by one give the same config")

        # 3. the cases
        cases = os.path.join(HERE, "cases")
        for name in sorted(os.listdir(cases)):
            r = importer("--base", BASE, os.path.join(cases, name))
            check(r.returncode == 0, "case %s imports: %s" % (name, r.stderr.strip()))
            if r.returncode == 0:
                fanout_check(r.stdout, tmp, name + ".conf")
            if name == "balance" and r.returncode == 0:
                # each upstream's line, and the two warnings
                for want in ("upstream lb-web-http {", "\tsticky cookie \"shopper\" "
                             "\"path=/shop\" max_age=172800 samesite=lax secure httponly;\n",
                             "\tbalance hash $http_x_tenant;\n", "\tbalance ewma;\n"):
                    check(want in r.stdout, "case balance has %r" % want)
                check(r.stdout.count("balance hash $http_x_tenant;") == 2,
                      "case balance: lb-search-80 keeps the older Ingress's hash")
                check("Ingress lb/reports: metadata.annotations[nginx.ingress.kubernetes.io/"
                      "load-balance]: upstream lb-search-80 already has its balancing "
                      "(upstream-hash-by) from Ingress lb/api" in r.stderr,
                      "case balance warns about the newer Ingress: %s" % r.stderr)
                check("\"$request_uri$host\" cannot be imported" in r.stderr,
                      "case balance warns about a combined hash key")

        # 4. -o: atomic, never a half config
        out = os.path.join(tmp, "out.conf")
        r = importer("--base", BASE, "-o", out, SEED)
        check(r.returncode == 0 and r.stdout == "", "-o writes nothing on stdout")
        check(open(out).read() == conf, "-o writes the config")
        bad = os.path.join(tmp, "bad.yaml")
        with open(bad, "w") as f:
            f.write(open(os.path.join(SEED, "django-flask-ingress.yml")).read())
        r = importer("-o", out, bad)
        check(r.returncode == 1, "an Ingress without its Services fails (exit %d)" % r.returncode)
        check("error: %s:17:15: Ingress default/django-flask-ingress: "
              "spec.rules[0].http.paths[0].backend.service.name: Service "
              "default/django-service not found" % bad in r.stderr,
              "the error names file:line:col, the object and the field: %r" % r.stderr)
        check("no config written" in r.stderr, "and says no config was written")
        check(open(out).read() == conf, "the existing -o file is left as it was")
        check(sorted(os.listdir(tmp)).count("out.conf") == 1 and
              not [n for n in os.listdir(tmp) if n.startswith("out.conf.")],
              "no temporary file left beside it")
        with open(bad, "w") as f:
            f.write("kind: Ingress\nmetadata: {name: [x\n")
        r = importer(bad)
        check(r.returncode == 1 and r.stdout == "" and "error: %s:3:1: invalid YAML" % bad in r.stderr,
              "bad YAML: exit 1, nothing on stdout, file:line:col (%r)" % r.stderr)

        # the input limits: a file over 64 MiB, more than 100,000 objects
        big = os.path.join(tmp, "big.yaml")
        with open(big, "wb") as f:
            f.truncate((64 << 20) + 1)
        r = importer(big)
        check(r.returncode == 1 and r.stdout == "" and
              "error: %s:1:1: file too large (limit 67108864 bytes)" % big in r.stderr,
              "a file over 64 MiB: exit 1, the limit named (%r)" % r.stderr[:200])
        many = os.path.join(tmp, "many.yaml")
        with open(many, "w") as f:
            f.write("---\nkind: ConfigMap\napiVersion: v1\nmetadata: {name: c}\n" * 100001)
        r = importer(many)
        check(r.returncode == 1 and r.stdout == "" and
              r.stderr.count("too many objects (limit 100000)") == 1,
              "more than 100,000 objects: exit 1, said once (%r)" % r.stderr[:300])

        # 5. --strict
        warn = os.path.join(tmp, "warn.yaml")
        with open(warn, "w") as f:
            f.write(text.replace("rewrite-target: /$2",
                                 "rewrite-target: /$2\n    nginx.ingress.kubernetes.io/enable-cors: \"true\""))
        r = importer(warn)
        check(r.returncode == 0 and "warning:" in r.stderr and "enable-cors" in r.stderr,
              "an unsupported annotation is a warning")
        r = importer("--strict", warn)
        check(r.returncode == 1 and r.stdout == "", "--strict: exit 1 and no config")
        check("1 warning and --strict: no config written" in r.stderr, "--strict says why")

        # 6. usage
        check(importer().returncode == 2, "no PATH: exit 2")
        check(importer("--nope", SEED).returncode == 2, "unknown option: exit 2")
        check(importer("--apply", SEED).returncode == 2, "--apply without -o: exit 2")
        check(importer("-n", "Bad_NS", SEED).returncode == 2, "a namespace that is no DNS label: exit 2")
        r = importer("-n", "web", os.path.join(SEED, "django-flask-ingress.yml"),
                     os.path.join(SEED, "django-service.yml"), os.path.join(SEED, "flask-service.yml"))
        check(r.returncode == 0 and "upstream web-django-service-80 {" in r.stdout,
              "-n web: objects without a namespace are in web")
        # --apply to a fanout that is not running: the file is written, exit 1
        out2 = os.path.join(tmp, "apply.conf")
        r = run([FANOUTCTL, "--file-prefix", "fo-k8s-import-test-none", "import", "--base", BASE,
                 "-o", out2, "--apply", SEED])
        check(r.returncode == 1 and "fanout is not running" in r.stderr,
              "--apply without a fanout: exit 1 (%r)" % r.stderr)
        check(os.path.exists(out2) and body(open(out2).read()) == body(conf),
              "--apply wrote the config before asking for the reload")

        # 7. TLS
        tls_case(tmp, text)

    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
