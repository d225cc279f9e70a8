#!/usr/bin/env python3
"""mtool.py -- independent manifest helper for the cbkit CLI tests.

Uses only the Python standard library (plus jsonschema for `schema`), so the
chain, the canonical form and the tampering never go through cbkit itself.

  chain MANIFEST                 check seq/prev/LF of every line, print "<lines> <head>"
  canonical MANIFEST             every line == json.dumps(json.loads(line), compact, UTF-8)
  schema MANIFEST SCHEMA         validate every line with Draft202012Validator
  schema-rejects MANIFEST SCHEMA [DESC POS PATH JSON]...
                                 the schema must reject line POS after each edit
  linehash MANIFEST POS          sha256 of line POS (0-based) without its LF
  set MANIFEST POS PATH JSON     set field PATH (dotted, list indexes as numbers) of line
                                 POS to JSON (or delete it when JSON is __delete__) and
                                 rewrite that line canonically; other bytes untouched
  append-copy MANIFEST SRC [PATH JSON]...
                                 append a copy of line SRC with seq/prev chained to the
                                 current last line, then apply the PATH=JSON edits
"""
import hashlib
import json
import sys

ZERO = "0" * 64


def read_lines(path):
    data = open(path, "rb").read()
    parts = data.split(b"\n")
    torn = parts[-1] != b""
    if not torn:
        parts.pop()
    return parts, torn


def write_lines(path, lines, torn=False):
    data = b"\n".join(lines)
    if lines and not torn:
        data += b"\n"
    with open(path, "wb") as f:
        f.write(data)


def canon(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha(b):
    return hashlib.sha256(b).hexdigest()


def die(msg):
    print("mtool: " + msg, file=sys.stderr)
    sys.exit(1)


def set_path(obj, dotted, raw):
    keys = dotted.split(".")
    cur = obj
    for k in keys[:-1]:
        cur = cur[int(k)] if isinstance(cur, list) else cur[k]
    last = keys[-1]
    if isinstance(cur, list):
        last = int(last)
    if raw == "__delete__":
        del cur[last]
    else:
        cur[last] = json.loads(raw)


def cmd_chain(manifest):
    lines, torn = read_lines(manifest)
    if torn:
        die("last line has no final LF")
    if not lines:
        die("manifest is empty")
    prev = ZERO
    for i, line in enumerate(lines):
        if line.endswith(b"\r"):
            die("line %d ends with CR" % i)
        try:
            obj = json.loads(line.decode("utf-8"))
        except Exception as e:  # noqa: BLE001
            die("line %d is not JSON: %s" % (i, e))
        if obj.get("seq") != i:
            die("line %d has seq %r" % (i, obj.get("seq")))
        if obj.get("prev") != prev:
            die("line %d has prev %r, expected %s" % (i, obj.get("prev"), prev))
        prev = sha(line)
    print(len(lines), prev)


def cmd_canonical(manifest):
    lines, torn = read_lines(manifest)
    if torn:
        die("last line has no final LF")
    bad = 0
    for i, line in enumerate(lines):
        text = line.decode("utf-8")
        again = json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
        if again != text:
            print("line %d is not canonical:\n  stored: %s\n  canon:  %s" % (i, text, again),
                  file=sys.stderr)
            bad += 1
    if bad:
        sys.exit(1)
    print("canonical", len(lines))


def cmd_schema(manifest, schema_path):
    from jsonschema import Draft202012Validator
    schema = json.load(open(schema_path, encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    lines, _ = read_lines(manifest)
    bad = 0
    for i, line in enumerate(lines):
        obj = json.loads(line.decode("utf-8"))
        for err in validator.iter_errors(obj):
            print("line %d: %s at %s" % (i, err.message, "/".join(map(str, err.absolute_path))),
                  file=sys.stderr)
            bad += 1
    if bad:
        sys.exit(1)
    print("valid", len(lines))


def cmd_schema_rejects(manifest, schema_path, *edits):
    from jsonschema import Draft202012Validator
    validator = Draft202012Validator(json.load(open(schema_path, encoding="utf-8")))
    lines, _ = read_lines(manifest)
    accepted = []
    for desc, pos, dotted, raw in zip(edits[0::4], edits[1::4], edits[2::4], edits[3::4]):
        obj = json.loads(lines[int(pos)].decode("utf-8"))
        set_path(obj, dotted, raw)
        if validator.is_valid(obj):
            accepted.append(desc)
    if accepted:
        print("the schema accepts a line with: " + "; ".join(accepted), file=sys.stderr)
        sys.exit(1)
    print("rejected", len(edits) // 4)


def cmd_linehash(manifest, pos):
    lines, _ = read_lines(manifest)
    print(sha(lines[int(pos)]))


def cmd_set(manifest, pos, *edits):
    lines, torn = read_lines(manifest)
    pos = int(pos)
    obj = json.loads(lines[pos].decode("utf-8"))
    for dotted, raw in zip(edits[0::2], edits[1::2]):
        set_path(obj, dotted, raw)
    lines[pos] = canon(obj)
    write_lines(manifest, lines, torn)


def cmd_append_copy(manifest, src, *edits):
    lines, torn = read_lines(manifest)
    if torn:
        die("cannot append after a torn line")
    obj = json.loads(lines[int(src)].decode("utf-8"))
    obj["seq"] = len(lines)
    obj["prev"] = sha(lines[-1])
    for dotted, raw in zip(edits[0::2], edits[1::2]):
        set_path(obj, dotted, raw)
    lines.append(canon(obj))
    write_lines(manifest, lines)


COMMANDS = {
    "chain": cmd_chain,
    "canonical": cmd_canonical,
    "schema": cmd_schema,
    "schema-rejects": cmd_schema_rejects,
    "linehash": cmd_linehash,
    "set": cmd_set,
    "append-copy": cmd_append_copy,
}

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in COMMANDS:
        die(__doc__)
    COMMANDS[sys.argv[1]](*sys.argv[2:])
