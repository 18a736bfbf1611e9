# SPDX-License-Identifier: BSD-3-Clause
"""What the benchmark reports share (kernel_report.py, tls_report.py).

The results file (its default path, its sections of one kind, merging one
section into it), medians over runs, the contenders in a fixed order, one
table cell, and a table as Markdown or as aligned plain text.
"""

import json
import os
import statistics


def default_json():
    """$FO_BUILD_DIR/bench/results.json (FO_BUILD_DIR: build/ by default)."""
    return os.path.join(
        os.environ.get("FO_BUILD_DIR") or os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "..", "..", "build"),
        "bench", "results.json")


def add_json_arg(p):
    p.add_argument("--json", default=default_json())


def sections(path, prefix):
    """(the whole file, the sorted keys of its sections named @prefix... that hold runs);
    ({}, []) when the file cannot be read."""
    try:
        with open(path) as f:
            whole = json.load(f)
        return whole, sorted(k for k in whole if k.startswith(prefix) and "runs" in whole[k])
    except (OSError, ValueError, TypeError):
        return {}, []


def merge_json(path, key, value):
    """Set @key in the JSON object in @path, keeping the other keys."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    try:
        with open(path) as f:
            doc = json.load(f)
        if not isinstance(doc, dict):
            doc = {}
    except (OSError, ValueError):
        doc = {}
    doc[key] = value
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
    os.replace(tmp, path)


def med(rows, key):
    v = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(v) if v else None


def contenders(runs, field, order):
    """The contenders of the @runs that have @field, in @order (unknown ones last)."""
    return sorted({r["contender"] for r in runs if field in r},
                  key=lambda n: order.index(n) if n in order else len(order))


def cell(v, fmt, scale=1.0):
    return "-" if v is None else fmt % (v * scale)


def render(hdr, lines, markdown):
    """@hdr and the rows @lines (lists of strings) as a Markdown table, or as plain
    text (the first two columns left-aligned, the others right). Returns its lines."""
    if markdown:
        text = ["| " + " | ".join(hdr) + " |", "|" + "---|" * len(hdr)]
        text += ["| " + " | ".join(ln) + " |" for ln in lines]
    else:
        w = [max(len(x) for x in col) for col in zip(hdr, *lines)]
        text = ["  ".join(x.rjust(n) if i > 1 else x.ljust(n) for i, (x, n) in
                          enumerate(zip(row, w))) for row in [hdr] + lines]
    return text
