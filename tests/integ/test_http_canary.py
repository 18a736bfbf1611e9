#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Canaries end to end: fanout on net_tap in a namespace, testapp replicas
(gunicorn; /who answers the replica's name) as a route's upstream and as
its two canaries.

Checked:
 1. canary by weight: 4,000 keep-alive requests (weights 20 and 5 of 100)
    -> each canary's share within 3 points of its weight, the rest on the
    route's upstream; the replicas' logs agree with what the client saw;
 2. canary by header: "always" sends every request to that canary,
    "never" none to it (its weight's share goes to the route's upstream),
    an exact value and a regex value to the canary that names them;
 3. canary by cookie ("always");
 4. a live reload that sets a weight to 0: no request goes to it after
    the reload answers;
 5. proxy.canary_requests in fanoutctl stats equals the requests the
    canaries served; fanout exits 0.
"""

import collections
import json
import os

import fo_integ as fi
import http_tools as ht

PORT = 80
MAIN_IP, C1_IP, C2_IP = "198.18.0.41", "198.18.0.42", "198.18.0.43"

CONF = """# written by tests/integ/test_http_canary.py
interface net_tap0 {
    address 198.18.0.1/24;
}
listen 198.18.0.1:80;

upstream main { server %s:8000; }
upstream c1 { server %s:8000; }
upstream c2 { server %s:8000; }

route prefix / {
    upstream main;
    canary c1 {
        header X-Canary;
        cookie canary;
        weight %%d;
    }
    canary c2 {
        header X-Version ~ "^v2(\\\\.|$)";
        weight 5;
    }
    canary c2 {
        header X-Version v3;
    }
}
""" % (MAIN_IP, C1_IP, C2_IP)

N_WEIGHT = 4000


def who_many(ns, n, headers=()):
    """@n GETs of /who on keep-alive connections of 500 requests (keepalive_requests is
    1,000): Counter of the names that answered."""
    got = collections.Counter()
    for first in range(0, n, 500):
        with ht.HttpConn(ns, fi.FANOUT_IP, PORT) as c:
            for _ in range(min(500, n - first)):
                c.send(ht.request("GET", "/who", headers=headers))
                r = c.read_response()
                fi.check_eq(r.status, 200, "GET /who")
                got[r.body.decode()] += 1
    return got


def main(t):
    ns = t.netns()
    be = ht.start_backends(ns, "testapp", [MAIN_IP, C1_IP, C2_IP], names=["main", "c1", "c2"])
    conf_path = os.path.join(t.log_dir, "canary.conf")
    with open(conf_path, "w") as f:
        f.write(CONF % 20)
    r = fi.sh([fi.FANOUT, "--", "-c", conf_path, "--check"], check_rc=False)
    fi.check(r.returncode == 0, "fanout --check: %s%s" % (r.stdout, r.stderr))
    fo = ns.start_fanout(conf=conf_path)
    served = collections.Counter()

    # 1. weights: 20 % to c1, 5 % to c2 (X-Version absent), 75 % stay on main
    got = who_many(ns, N_WEIGHT)
    fi.log("by weight, %d requests: %s" % (N_WEIGHT, dict(got)))
    served.update(got)
    for name, pct in (("c1", 20), ("c2", 5), ("main", 75)):
        share = 100.0 * got[name] / N_WEIGHT
        fi.check(abs(share - pct) <= 3, "%s's share %.2f %% (weight %d %%)" % (name, share, pct))
    fi.check_eq(sum(got.values()), N_WEIGHT, "every request answered")

    # 2. headers
    got = who_many(ns, 100, headers=[("X-Canary", "always")])
    served.update(got)
    fi.check_eq(dict(got), {"c1": 100}, "X-Canary: always")
    got = who_many(ns, 400, headers=[("X-Canary", "never")])
    served.update(got)
    fi.check_eq(got["c1"], 0, "X-Canary: never sends nothing to c1")
    fi.check(got["c2"] > 0 and got["main"] > got["c2"],
             "X-Canary: never leaves the other canary's weight: %s" % dict(got))
    for hdrs, want in (([("X-Version", "v2")], "c2"), ([("X-Version", "v2.1")], "c2"),
                       ([("X-Version", "v3")], "c2"),
                       ([("X-Version", "v2x"), ("X-Canary", "always")], "c1")):
        got = who_many(ns, 20, headers=hdrs)
        served.update(got)
        fi.check_eq(dict(got), {want: 20}, "headers %s" % hdrs)

    # 3. cookie
    got = who_many(ns, 50, headers=[("Cookie", "a=1; canary=always")])
    served.update(got)
    fi.check_eq(dict(got), {"c1": 50}, "Cookie canary=always")

    # the replicas logged what the client saw
    fi.wait_for(lambda: be.request_counts() == {k: served[k] for k in ("main", "c1", "c2")},
                10, "the replicas' logs to match the answers %s (logs %s)"
                % (dict(served), be.request_counts()))

    # 4. a live reload: c1's weight 0
    with open(conf_path, "w") as f:
        f.write(CONF % 0)
    r = fi.fanoutctl(fo.prefix, "reload")
    fi.check_eq(r.returncode, 0, "reload (%s%s)" % (r.stdout, r.stderr))
    got = who_many(ns, 1000)
    served.update(got)
    fi.log("after the reload: %s" % dict(got))
    fi.check_eq(got["c1"], 0, "c1 with weight 0 after the reload")
    fi.check(got["c2"] > 0, "c2 still takes its weight")

    # 5. the counter
    r = fi.fanoutctl(fo.prefix, "stats")
    fi.check_eq(r.returncode, 0, "fanoutctl stats (%s)" % r.stderr)
    doc = json.loads(r.stdout)
    ps = doc.get("/fanout/stats", doc)["proxy"]
    fi.check_eq(ps["canary_requests"], served["c1"] + served["c2"],
                "proxy.canary_requests: the requests the canaries served")
    fi.check_eq(ps["responses_5xx"], 0, "5xx responses")
    st = fo.stop()
    fi.check_eq(st["proxy.canary_requests"], served["c1"] + served["c2"],
                "proxy.canary_requests at exit")


if __name__ == "__main__":
    fi.run(main)
