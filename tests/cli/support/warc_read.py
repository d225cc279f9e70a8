#!/usr/bin/env python3
"""An independent WARC/1.1 reader for the capture-url tests (written from ISO 28500, no cbkit code).

    warc_read.py FILE.warc.gz            JSON summary of every record on stdout
    warc_read.py FILE.warc.gz --block N  the block of record N (0-based) on stdout, raw bytes
    warc_read.py FILE.warc.gz --payload N  the HTTP payload of record N (after the HTTP header block)

Checks, and exits 1 naming the first failure: each gzip member holds exactly one record;
the version line is WARC/1.1; WARC-Type, WARC-Record-ID, WARC-Date and Content-Length are
present; the block is followed by CRLF CRLF; WARC-Block-Digest and WARC-Payload-Digest
("sha256:" + RFC 4648 base32) match the recomputed SHA-256.
"""

import base64
import hashlib
import json
import re
import sys
import zlib


def fail(msg):
    print("warc_read: " + msg, file=sys.stderr)
    sys.exit(1)


def members(data):
    """Yields (offset, decompressed bytes) for each gzip member."""
    pos = 0
    while pos < len(data):
        d = zlib.decompressobj(wbits=31)
        try:
            out = d.decompress(data[pos:])
            out += d.flush()
        except zlib.error as e:
            fail("gzip member at byte %d: %s" % (pos, e))
        if not d.eof:
            fail("gzip member at byte %d is cut short" % pos)
        consumed = len(data) - pos - len(d.unused_data)
        yield pos, out
        pos += consumed


def check_digest(name, value, content):
    algo, _, enc = value.partition(":")
    if algo.lower() != "sha256":
        fail("%s uses %s, expected sha256" % (name, algo))
    want = base64.b32decode(enc)
    got = hashlib.sha256(content).digest()
    return want == got


def parse_record(offset, raw):
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        fail("member at %d: no end of the WARC header block" % offset)
    head = raw[:end].decode("utf-8")
    lines = head.split("\r\n")
    if lines[0] != "WARC/1.1":
        fail("member at %d: version line is %r" % (offset, lines[0]))
    fields = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and fields:
            fields[-1][1] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if not sep:
            fail("member at %d: bad header line %r" % (offset, line))
        fields.append([name, value.strip()])
    f = {}
    for name, value in fields:
        f.setdefault(name.lower(), value)
    for need in ("warc-type", "warc-record-id", "warc-date", "content-length"):
        if need not in f:
            fail("member at %d: no %s" % (offset, need))
    if not re.fullmatch(r"<urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}>", f["warc-record-id"]):
        fail("member at %d: WARC-Record-ID %r is not <urn:uuid:...>" % (offset, f["warc-record-id"]))
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z", f["warc-date"]):
        fail("member at %d: WARC-Date %r" % (offset, f["warc-date"]))
    n = int(f["content-length"])
    block = raw[end + 4 : end + 4 + n]
    if len(block) != n:
        fail("member at %d: block shorter than Content-Length" % offset)
    rest = raw[end + 4 + n :]
    if rest != b"\r\n\r\n":
        fail("member at %d: %d bytes after the block instead of CRLF CRLF (one record per member)" % (offset, len(rest)))
    payload = None
    if f.get("content-type", "").startswith("application/http"):
        hend = block.find(b"\r\n\r\n")
        if hend >= 0:
            payload = block[hend + 4 :]
    rec = {
        "offset": offset,
        "type": f["warc-type"],
        "id": f["warc-record-id"],
        "date": f["warc-date"],
        "fields": fields,
        "content_length": n,
        "block_sha256": hashlib.sha256(block).hexdigest(),
        "block_digest_ok": check_digest("WARC-Block-Digest", f["warc-block-digest"], block) if "warc-block-digest" in f else None,
    }
    for name, value in fields:
        rec.setdefault("field:" + name, value)
    if payload is not None:
        rec["payload_sha256"] = hashlib.sha256(payload).hexdigest()
        rec["payload_size"] = len(payload)
        rec["http_first_line"] = block.split(b"\r\n", 1)[0].decode("latin-1")
        if "warc-payload-digest" in f:
            rec["payload_digest_ok"] = check_digest("WARC-Payload-Digest", f["warc-payload-digest"], payload)
    return rec, block, payload


def main():
    if len(sys.argv) < 2:
        fail("usage: warc_read.py FILE [--block N | --payload N]")
    data = open(sys.argv[1], "rb").read()
    records = []
    blocks = []
    for offset, raw in members(data):
        rec, block, payload = parse_record(offset, raw)
        records.append(rec)
        blocks.append((block, payload))
    if len(sys.argv) == 4:
        n = int(sys.argv[3])
        out = blocks[n][0] if sys.argv[2] == "--block" else blocks[n][1]
        sys.stdout.buffer.write(out or b"")
        return
    print(json.dumps({"records": records}, indent=1))


if __name__ == "__main__":
    main()
