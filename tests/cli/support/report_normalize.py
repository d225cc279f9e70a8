#!/usr/bin/env python3
"""report_normalize.py -- make a test case's manifest independent of when and where it was built.

  report_normalize.py MANIFEST [PREFIX=REPLACEMENT]...

Rewrites every line with fixed times (2026-11-21T08:00:00Z plus ten minutes per line), a
fixed actor user/host, source-file mtimes fixed, path PREFIXes replaced, then recomputes the
prev chain, writing canonical lines (compact, UTF-8, keys in stored order) as cbkit does.
Stored files are not touched, so their recorded hashes stay true and `cbkit verify` still
passes: only the facts that depend on the clock and the temporary folder change. Used by
tests/cli/report.sh so that golden reports are stable across runs.
"""
import datetime
import hashlib
import json
import sys

BASE = datetime.datetime(2026, 11, 21, 8, 0, 0, tzinfo=datetime.timezone.utc)


def fmt(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def replace_prefixes(value, prefixes):
    for old, new in prefixes:
        if value.startswith(old):
            return new + value[len(old):]
    return value


def main():
    path = sys.argv[1]
    prefixes = [tuple(a.split("=", 1)) for a in sys.argv[2:]]
    data = open(path, "rb").read()
    if not data.endswith(b"\n"):
        sys.exit("report_normalize: %s: torn last line" % path)
    prev = "0" * 64
    out = []
    for i, raw in enumerate(data[:-1].split(b"\n")):
        line = json.loads(raw)
        when = fmt(BASE + datetime.timedelta(minutes=10 * i))
        line["prev"] = prev
        line["time"] = when
        line["actor"]["user"] = "tester"
        line["actor"]["host"] = "testhost"
        if line["kind"] == "case":
            line["case"]["created"] = when
        for f in line.get("files", []):
            if "source_path" in f:
                f["source_path"] = replace_prefixes(f["source_path"], prefixes)
            if "mtime" in f:
                f["mtime"] = "2026-11-20T07:00:00.000000Z"
        src = line.get("email", {}).get("source", {})
        if "path" in src:
            src["path"] = replace_prefixes(src["path"], prefixes)
        b = json.dumps(line, separators=(",", ":"), ensure_ascii=False).encode()
        prev = hashlib.sha256(b).hexdigest()
        out.append(b)
    with open(path, "wb") as f:
        f.write(b"\n".join(out) + b"\n")


if __name__ == "__main__":
    main()
