#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The seed's Kubernetes manifests, imported, serve the seed's scenario.

config/k8s/seed (the seed's Ingress verbatim, its two Services, the
EndpointSlices of three pods each) goes through `fanoutctl import`; fanout
runs that config in a namespace in front of the seed's real backends (3
Django, 3 Flask replicas under gunicorn):

1. /test01 is Django's welcome page, /test02 Flask's "hello world!",
   /test01/x reaches Django as /x, another path is fanout's 404, and every
   replica served requests;
2. a pod that starts terminating (its endpoint ready: false, terminating:
   true in a new EndpointSlice list, read from stdin) is imported as a
   drained server with `fanoutctl import --base B -o CONFIG --apply`, which
   rewrites fanout's config and reloads it — an endpoint-only reload, no
   route recompiled: `fanoutctl upstreams` shows the server drained and it
   gets no new request while the other two do;
3. two canary Ingresses, applied the same way, imported as `canary`
   blocks of the seed's routes: on /test02 (Flask) canary-by-header:
   X-Canary to django-service — /test02 with `X-Canary: always` is
   Django's welcome page (the main Ingress's /$2 rewrite applies to it
   too), without the header or with `never` it is still Flask; on /test01
   (Django) canary-weight: 50 to flask-service — of 400 keep-alive
   requests, Flask's share is 200 within 5 binomial standard deviations
   (+-50: a false failure about once in 1.7 million runs);
4. the seed's Ingress with affinity: cookie (session-cookie-name seed,
   -path /, -max-age 600), applied the same way, is a `sticky cookie` of
   both upstreams: the first of 20 GETs of /test02, each on a new
   connection, gets `Set-Cookie: seed=...; Path=/; Max-Age=600;
   HttpOnly`; the 19 others send it back, get no new cookie, and all 20
   reach one Flask replica (without the cookie, round-robin spreads them
   over three);
5. the same Services served through an HTTPRoute instead of the Ingress
   (match_order gateway): hostname app.example, /app with the header
   x-backend: flask to flask-service, else django-service, both with the
   prefix rewritten to /; /split to flask-service (weight 1, the default)
   and django-service (weight 3): Django's share of 400 requests is 300
   within 5 standard deviations; /old a 301 to https://app.example/new; a
   host the HTTPRoute does not name is fanout's 404;
6. scripts/k8s-sync --apply replays the kubectl --watch streams of
   tests/k8s/watch (their end state: django scaled to 2, the Ingress with
   a /test03 path to Flask) into fanout: /test03 is Flask's, django-service
   has its 2 servers;
7. fanout stops cleanly.
"""

import collections
import json
import math
import os

import fo_integ as fi
import http_tools as ht

SEED = os.path.join(fi.SRC_DIR, "config", "k8s", "seed")
PORT = 80
# the import writes no interface: what --base would include
HEAD = """# written by tests/integ/test_k8s_seed.py
interface net_tap0 {
    address 198.18.0.1/24;
}
listen 198.18.0.1:80;
"""
TERMINATING = "198.18.0.13"
UPSTREAM = "default-django-service-80"
CANARY = """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: flask-canary
  annotations:
    nginx.ingress.kubernetes.io/canary: "true"
    nginx.ingress.kubernetes.io/canary-by-header: X-Canary
spec:
  ingressClassName: nginx
  rules:
    - http:
        paths:
          - path: /test02(/|$)(.*)
            pathType: ImplementationSpecific
            backend:
              service:
                name: django-service
                port:
                  number: 80
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: django-canary
  annotations:
    nginx.ingress.kubernetes.io/canary: "true"
    nginx.ingress.kubernetes.io/canary-weight: "50"
spec:
  ingressClassName: nginx
  rules:
    - http:
        paths:
          - path: /test01(/|$)(.*)
            pathType: ImplementationSpecific
            backend:
              service:
                name: flask-service
                port:
                  number: 80
"""
N_SHARE = 400  # requests per weighted share checked
AFFINITY = """    nginx.ingress.kubernetes.io/affinity: cookie
    nginx.ingress.kubernetes.io/session-cookie-name: seed
    nginx.ingress.kubernetes.io/session-cookie-path: /
    nginx.ingress.kubernetes.io/session-cookie-max-age: "600"
"""
N_STICKY = 20

HTTPROUTE = """apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: app
spec:
  parentRefs:
  - name: gw
  hostnames: [app.example]
  rules:
  - matches:
    - path: {type: PathPrefix, value: /app}
      headers: [{name: x-backend, value: flask}]
    filters:
    - type: URLRewrite
      urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}
    backendRefs: [{name: flask-service, port: 80}]
  - matches:
    - path: {type: PathPrefix, value: /app}
    filters:
    - type: URLRewrite
      urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}
    backendRefs: [{name: django-service, port: 80}]
  - matches:
    - path: {type: PathPrefix, value: /split}
    filters:
    - type: URLRewrite
      urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}
    backendRefs: [{name: flask-service, port: 80}, {name: django-service, port: 80, weight: 3}]
  - matches:
    - path: {type: Exact, value: /old}
    filters:
    - type: RequestRedirect
      requestRedirect: {scheme: https, statusCode: 301, path: {type: ReplaceFullPath, replaceFullPath: /new}}
"""


def apply(fo, text, changed, exact=True):
    """fanoutctl import --apply of @text (stdin) over fanout's config; fanout's answer must
    name @changed as what changed ("endpoints": no route recompiled; not @exact: among
    other things). Returns the config."""
    base = os.path.join(os.path.dirname(fo.conf_path), "k8s-base.conf")
    with open(base, "w") as f:
        f.write(fi.nic_conf(fo.nic, HEAD))
    r = fi.sh([fi.FANOUTCTL, "--file-prefix", fo.prefix, "import", "--ingress-class", "nginx",
               "--strict", "--base", base, "-o", fo.conf_path, "--apply", "-"],
              input=text, check_rc=False)
    fi.check_eq(r.returncode, 0, "import --apply (%s %s)" % (r.stdout, r.stderr))
    conf = open(fo.conf_path).read()
    fi.check('include "%s";' % base in conf, "the config written includes the base")
    fi.log("apply: %s" % r.stdout.strip())
    if exact:
        fi.check(": %s (" % changed in r.stdout, "fanout reloaded %s only: %r" % (changed, r.stdout))
    else:
        fi.check(changed in r.stdout, "fanout reloaded %s: %r" % (changed, r.stdout))
    return conf


def seed_text():
    return "".join("---\n" + open(os.path.join(SEED, n)).read() for n in sorted(os.listdir(SEED)))


def imported(*paths, stdin=None):
    r = fi.sh([fi.FANOUTCTL, "import", "--ingress-class", "nginx", "--strict"] + list(paths),
              input=stdin)
    fi.log("import: %s" % (r.stderr.strip() or "no warning"))
    return HEAD + r.stdout


def upstreams(fo):
    r = fi.fanoutctl(fo.prefix, "--json", "upstreams")
    fi.check_eq(r.returncode, 0, "fanoutctl upstreams (%s)" % r.stderr)
    return {(u["upstream"], u["server"]): u for u in json.loads(r.stdout)}


def seed(ns, dj, fl):
    r = ht.get(ns, fi.FANOUT_IP, PORT, "/test01")
    fi.check_eq(r.status, 200, "GET /test01 status")
    fi.check(ht.DJANGO_WELCOME in r.body, "/test01 is Django's welcome page: %r" % r.body[:200])
    r = ht.get(ns, fi.FANOUT_IP, PORT, "/test02")
    fi.check_eq(r.status, 200, "GET /test02 status")
    fi.check(ht.FLASK_HELLO in r.body, "/test02 is Flask's hello: %r" % r.body[:200])
    r = ht.get(ns, fi.FANOUT_IP, PORT, "/other")
    fi.check_eq(r.status, 404, "GET /other status (no route)")
    for path in ("/test01", "/test02"):
        for i in range(12):
            res = ht.curl(ns, "http://%s%s" % (fi.FANOUT_IP, path), "-o", "/dev/null",
                          "-w", "%{http_code}")
            fi.check_eq(res.stdout.strip(), "200", "curl %s #%d" % (path, i))
    r = ht.get(ns, fi.FANOUT_IP, PORT, "/test01/x")
    counts = dj.settle(14)
    fi.log("django requests per replica: %s" % counts)
    paths = [p for b in dj for p in b.request_paths()]
    fi.check("/x" in paths, "/test01/x reached Django as /x (paths %s)" % paths)
    fi.check(all(v >= 1 for v in counts.values()), "every Django replica served: %s" % counts)
    counts = fl.settle(13)
    fi.log("flask requests per replica: %s" % counts)
    fi.check(all(v >= 1 for v in counts.values()), "every Flask replica served: %s" % counts)


def terminating(ns, fo, dj):
    """The EndpointSlice list again, with one Django pod terminating."""
    files = sorted(os.path.join(SEED, n) for n in os.listdir(SEED))
    text = ""
    for p in files:
        body = open(p).read()
        if p.endswith("endpointslices.yml"):
            old = ("    - %s\n    conditions:\n      ready: true\n      serving: true\n"
                   "      terminating: false\n" % TERMINATING)
            fi.check(old in body, "the seed's slices list %s as ready" % TERMINATING)
            body = body.replace(old, "    - %s\n    conditions:\n      ready: false\n"
                                "      serving: true\n      terminating: true\n" % TERMINATING)
        text += "---\n" + body
    conf = apply(fo, text, "endpoints")
    fi.check("server %s:8000 drain;" % TERMINATING in conf,
             "the terminating endpoint is imported drained")
    ups = upstreams(fo)
    key = (UPSTREAM, "%s:8000" % TERMINATING)
    fi.check(key in ups, "fanoutctl upstreams lists %s %s" % key)
    fi.check(ups[key]["drained"] is True, "%s is drained: %r" % (key[1], ups[key]))
    before = dj.settle(0)
    for i in range(12):
        res = ht.curl(ns, "http://%s/test01" % fi.FANOUT_IP, "-o", "/dev/null", "-w", "%{http_code}")
        fi.check_eq(res.stdout.strip(), "200", "curl /test01 after the reload #%d" % i)
    after = dj.settle(sum(before.values()) + 12)
    fi.log("django requests per replica before %s, after %s" % (before, after))
    by_ip = {b.name: b for b in dj}
    for name in after:
        gained = after[name] - before[name]
        ip = getattr(by_ip[name], "ip", None)
        if ip == TERMINATING:
            fi.check_eq(gained, 0, "the drained replica %s got no new request" % name)
        else:
            fi.check_ge(gained, 1, "replica %s (%s) still serves" % (name, ip))


def sticky(ns, fo, fl):
    """The seed's Ingress with affinity annotations: one client stays on one Flask replica."""
    anchor = "  annotations:\n"
    text = seed_text()
    fi.check(anchor in text, "the seed's Ingress has annotations")
    conf = apply(fo, text.replace(anchor, anchor + AFFINITY, 1), "upstream settings", exact=False)
    fi.check('\tsticky cookie "seed" "path=/" max_age=600 httponly;\n' in conf,
             "the affinity annotations are a sticky cookie: %s" % conf)
    before = fl.settle(0)
    r = ht.get(ns, fi.FANOUT_IP, PORT, "/test02")
    fi.check_eq(r.status, 200, "GET /test02 without the cookie")
    set_cookie = r.header("Set-Cookie", "")
    fi.log("Set-Cookie: %s" % set_cookie)
    fi.check(set_cookie.startswith("seed=") and "; Path=/" in set_cookie and
             "; Max-Age=600" in set_cookie and "; HttpOnly" in set_cookie,
             "the first response sets the cookie: %r" % set_cookie)
    cookie = set_cookie.split(";")[0]
    for i in range(N_STICKY - 1):
        r = ht.get(ns, fi.FANOUT_IP, PORT, "/test02", headers=[("Cookie", cookie)])
        fi.check_eq(r.status, 200, "GET /test02 with %s #%d" % (cookie, i))
        fi.check(ht.FLASK_HELLO in r.body, "/test02 is Flask's hello")
        fi.check_eq(r.header("Set-Cookie"), None, "no new cookie #%d" % i)
    after = fl.settle(sum(before.values()) + N_STICKY)
    gained = sorted(after[n] - before[n] for n in after)
    fi.log("flask requests per replica before %s, after %s" % (before, after))
    fi.check_eq(gained, [0, 0, N_STICKY], "all %d requests reached one replica" % N_STICKY)


def shares(ns, path, host="example.com"):
    """N_SHARE GETs of @path on keep-alive connections of 200: Counter of "django" and
    "flask" (which page answered)."""
    got = collections.Counter()
    for _ in range(N_SHARE // 200):
        with ht.HttpConn(ns, fi.FANOUT_IP, PORT) as c:
            for _ in range(200):
                c.send(ht.request("GET", path, host=host))
                r = c.read_response()
                fi.check_eq(r.status, 200, "GET %s status" % path)
                got["django" if ht.DJANGO_WELCOME in r.body else
                    "flask" if ht.FLASK_HELLO in r.body else "other"] += 1
    return got


def check_share(got, name, weight, total):
    """@got[@name] is @weight/@total of N_SHARE within 5 binomial standard deviations
    (two-sided, a false failure with probability 5.7e-7)."""
    p = weight / total
    sd = math.sqrt(N_SHARE * p * (1 - p))
    want = N_SHARE * p
    fi.log("%s: %d of %d (expected %.0f, sd %.1f): %s" % (name, got[name], N_SHARE, want, sd,
                                                          dict(got)))
    fi.check_eq(sum(got.values()), N_SHARE, "every request answered by Django or Flask: %s"
                % dict(got))
    fi.check(abs(got[name] - want) <= 5 * sd,
             "%s's share %d of %d is %d/%d within 5 sd (%.0f +- %.0f)"
             % (name, got[name], N_SHARE, weight, total, want, 5 * sd))


def canary(ns, fo):
    # the seed's slices again (the drained pod is back) and the canary Ingresses
    conf = apply(fo, seed_text() + "---\n" + CANARY, "endpoints, routes")
    fi.check('\tupstream default-flask-service-80;\n'
             '\t# canary Ingress default/flask-canary' in conf,
             "the header canary is a canary block of /test02's route")
    fi.check('\tcanary default-django-service-80 {\n\t\theader X-Canary;\n\t}\n' in conf,
             "the header canary's block")
    fi.check('\tcanary default-flask-service-80 {\n\t\tweight 50;\n\t}\n' in conf,
             "the weight canary's block")
    for headers, want, what in (([("X-Canary", "always")], ht.DJANGO_WELCOME, "Django"),
                                ([], ht.FLASK_HELLO, "Flask"),
                                ([("X-Canary", "never")], ht.FLASK_HELLO, "Flask")):
        r = ht.get(ns, fi.FANOUT_IP, PORT, "/test02", headers=headers)
        fi.check_eq(r.status, 200, "GET /test02 %r status" % headers)
        fi.check(want in r.body, "GET /test02 with %r is %s: %r" % (headers, what, r.body[:120]))
    check_share(shares(ns, "/test01"), "flask", 50, 100)


def gateway(ns, fo):
    text = "".join("---\n" + open(os.path.join(SEED, n)).read()
                   for n in sorted(os.listdir(SEED)) if "ingress" not in n)
    conf = apply(fo, text + "---\n" + HTTPROUTE, "routes", exact=False)
    fi.check("match_order gateway;" in conf, "an HTTPRoute import has match_order gateway")
    for headers, want, what in (([("x-backend", "flask")], ht.FLASK_HELLO, "Flask"),
                                ([], ht.DJANGO_WELCOME, "Django")):
        r = ht.get(ns, fi.FANOUT_IP, PORT, "/app", host="app.example", headers=headers)
        fi.check_eq(r.status, 200, "GET app.example/app %r status" % headers)
        fi.check(want in r.body, "GET app.example/app with %r is %s: %r" % (headers, what, r.body[:120]))
    fi.check("\tcanary_weight_total 4;\n" in conf, "/split's weights add up to 4")
    check_share(shares(ns, "/split", host="app.example"), "django", 3, 4)
    r = ht.get(ns, fi.FANOUT_IP, PORT, "/old", host="app.example")
    fi.check_eq(r.status, 301, "GET app.example/old status")
    fi.check_eq(r.header("Location"), "https://app.example/new", "its Location")
    r = ht.get(ns, fi.FANOUT_IP, PORT, "/app", host="other.example")
    fi.check_eq(r.status, 404, "GET other.example/app status (no route for that host)")


def sync(ns, fo):
    base = os.path.join(os.path.dirname(fo.conf_path), "k8s-base.conf")
    watch = os.path.join(fi.SRC_DIR, "tests", "k8s", "watch")
    r = fi.sh([os.path.join(fi.SRC_DIR, "scripts", "k8s-sync"), "-o", fo.conf_path, "--base", base,
               "--ingress-class", "nginx", "--strict", "--apply", "--file-prefix", fo.prefix,
               "--debounce", "0.2"] +
              [os.path.join(watch, n + ".json") for n in ("ingresses", "services", "endpointslices")],
              timeout=60, check_rc=False)
    fi.log("k8s-sync: %s %s" % (r.stdout.strip(), r.stderr.strip()))
    fi.check_eq(r.returncode, 0, "k8s-sync exit status")
    fi.check("fanout: generation" in r.stdout, "k8s-sync had fanout reload: %r" % r.stdout)
    r = ht.get(ns, fi.FANOUT_IP, PORT, "/test03")
    fi.check_eq(r.status, 200, "GET /test03 status")
    fi.check(ht.FLASK_HELLO in r.body, "/test03 is Flask's hello: %r" % r.body[:120])
    servers = sorted(s for (u, s) in upstreams(fo) if u == UPSTREAM)
    fi.check_eq(servers, ["198.18.0.11:8000", "198.18.0.12:8000"], "django-service's servers")


def main(t):
    ns = t.netns()
    dj, fl = ht.start_seed(ns)
    fo = ns.start_fanout(conf=imported(SEED))
    seed(ns, dj, fl)
    terminating(ns, fo, dj)
    canary(ns, fo)
    sticky(ns, fo, fl)
    gateway(ns, fo)
    sync(ns, fo)
    fi.wait_for(lambda: fo.stats()["proxy"]["sessions"] == 0, 15, "every session to end")
    st = fo.stop()
    fi.check_eq(st["proxy.sessions"], 0, "sessions in use at exit")


if __name__ == "__main__":
    fi.run(main)
