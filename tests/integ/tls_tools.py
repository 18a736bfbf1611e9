#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""TLS test tools: certificates made with the openssl CLI, a CA and the
ECDSA P-256 leaves it signs. Used by tests/integ/test_listen_reload.py and
test_tls_reload.py (import tls_tools as tls)."""

import fo_integ as fi


def make_ca(d):
    """A P-256 CA valid two days: d/ca.key and d/ca.pem (what clients verify against)."""
    fi.sh(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
           "-nodes", "-keyout", d + "/ca.key", "-out", d + "/ca.pem", "-days", "2",
           "-subj", "/CN=fanout-test-ca", "-addext", "basicConstraints=critical,CA:TRUE",
           "-addext", "keyUsage=keyCertSign"], timeout=30)


def make_leaf(d, base, name, serial):
    """A P-256 leaf for DNS @name with @serial, valid a day, signed by d's CA
    (make_ca()): @return (base.pem, base.key); base.csr and base.ext beside them."""
    with open(base + ".ext", "w") as f:
        f.write("subjectAltName=DNS:%s\n" % name)
    fi.sh(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
           "-keyout", base + ".key", "-out", base + ".csr", "-subj", "/CN=" + name], timeout=30)
    fi.sh(["openssl", "x509", "-req", "-in", base + ".csr", "-CA", d + "/ca.pem", "-CAkey",
           d + "/ca.key", "-set_serial", str(serial), "-days", "1", "-out", base + ".pem",
           "-extfile", base + ".ext"], timeout=30)
    return base + ".pem", base + ".key"
