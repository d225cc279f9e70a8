#!/usr/bin/env bash
# Hostile archives given to `cbkit verify ARCHIVE` (issue 18): zips that standard tools
# extract otherwise than the member stream cbkit reads, names that occur twice in any
# form, archives that would take unbounded memory or time, and repacked (reordered)
# archives. Every hostile archive is built here, from a genuine sealed one.
source "$(dirname "$0")/lib.sh"

setup() {
    C="$T/case"
    new_case "$C" --timezone UTC
    mkfile "$T/in/photo.jpg" "not really a jpeg"
    mkfile "$T/in/chat.txt" "hello from a chat export"
    add "$T/in/photo.jpg" --kind screenshot
    add "$T/in/chat.txt"
    note "Called 101"
    expect_exit 0 cbkit keygen --out "$T/examiner"
}

seal_to() {
    expect_exit 0 cbkit --case "$C" seal --key "$T/examiner.key" --out "$1" --no-report
}

# rejected ARCHIVE CODE [MESSAGE-REGEX] -- verify exits 1 with CODE (whose message matches).
rejected() {
    expect_exit 1 cbkit verify "$1" --json --pubkey "$T/examiner.pub"
    expect_jq '.ok == false'
    expect_finding "$2"
    if [[ -n ${3:-} ]]; then
        expect_jq "[.findings[] | select(.code == \"$2\") | .message] | any(test(\"$3\"))"
    fi
}

# zipmut.py GOOD OUT OP: the zip GOOD (no comment) with one change, written to OUT. The
# records are found with zipfile and patched byte for byte (APPNOTE.TXT layouts).
write_zipmut_py() {
    cat >"$T/zipmut.py" <<'PYEOF'
import io, struct, sys, zipfile

src, dst, op = sys.argv[1], sys.argv[2], sys.argv[3]
data = bytearray(open(src, 'rb').read())
eocd = data.rfind(b'PK\x05\x06')
assert eocd == len(data) - 22, 'the good zip ends with its end record'
count, cd_size, cd_off = struct.unpack_from('<HII', data, eocd + 10)
infos = zipfile.ZipFile(io.BytesIO(bytes(data))).infolist()

def cd_entries():
    """(offset in the file, length) of each central directory entry, in order."""
    out, p = [], cd_off
    for _ in range(count):
        n, e, c = struct.unpack_from('<HHH', data, p + 28)
        out.append((p, 46 + n + e + c))
        p += 46 + n + e + c
    return out

def target():
    """The central directory entry and info of the first recorded evidence file."""
    for (p, l), i in zip(cd_entries(), infos):
        if '/data/evidence/' in i.filename and not i.filename.endswith('/'):
            return p, l, i
    raise SystemExit('no evidence member')

def shift_after(at, by, buf):
    """Moves every member from offset `at` on by `by` bytes: patches the CD offsets and the EOCD."""
    for p, l in cd_entries():
        (off,) = struct.unpack_from('<I', data, p + 42)
        if off >= at:
            struct.pack_into('<I', buf, p + 42 + (by if p >= at else 0), off + by)
    e = buf.rfind(b'PK\x05\x06')
    struct.pack_into('<I', buf, e + 16, cd_off + by)

if op == 'second-cd':
    # A second directory, without the evidence file, hidden in the comment of the first end record.
    p, l, _ = target()
    cd2 = data[cd_off:p] + data[p + l:cd_off + cd_size]
    eocd2 = struct.pack('<4sHHHHIIH', b'PK\x05\x06', 0, 0, count - 1, count - 1, len(cd2), len(data), 0)
    out = data[:eocd + 20] + struct.pack('<H', len(cd2) + len(eocd2)) + cd2 + eocd2
elif op == 'truncated-cd':
    # The end record counts one entry less and the directory is cut before its last entry.
    last_p, last_l = cd_entries()[-1]
    out = data[:last_p] + data[eocd:]
    e = out.rfind(b'PK\x05\x06')
    struct.pack_into('<HHI', out, e + 8, count - 1, count - 1, cd_size - last_l)
elif op == 'flip-cd-name':
    p, l, i = target()
    out = bytearray(data)
    out[p + 46 + len(i.filename.encode()) - 2] ^= 0x01
elif op == 'cd-crc':
    p, l, i = target()
    out = bytearray(data)
    struct.pack_into('<I', out, p + 16, i.CRC ^ 0x10)
elif op == 'cd-size':
    p, l, i = target()
    out = bytearray(data)
    struct.pack_into('<I', out, p + 24, i.file_size + 1)
elif op in ('junk-between', 'extra-member', 'junk-before'):
    if op == 'junk-before':
        at, junk = 0, b'MZ' + b'\0' * 30
    else:
        _, _, i = target()
        at = i.header_offset
        if op == 'junk-between':
            junk = b'\0' * 16
        else:
            # A whole member (local header and data) the central directory does not list.
            b = io.BytesIO()
            with zipfile.ZipFile(b, 'w', zipfile.ZIP_STORED) as z:
                z.writestr(i.filename.rsplit('/', 1)[0] + '/hidden.txt', 'planted')
            raw = b.getvalue()
            junk = raw[:raw.find(b'PK\x01\x02')]
    out = data[:at] + junk + data[at:]
    shift_after(at, len(junk), out)
elif op == 'trailing-junk':
    out = data + b'junk after the end record'
else:
    raise SystemExit('unknown op ' + op)
open(dst, 'wb').write(bytes(out))
PYEOF
}

# python_members ZIP -- the names Python's zipfile extracts, one a line.
python_members() {
    "$PY" -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$1"
}

test_zip_intact() {
    setup
    seal_to "$T/good.zip"
    expect_exit 0 cbkit verify "$T/good.zip" --pubkey "$T/examiner.pub" --json
    expect_jq '.ok == true' '[.findings[] | select(.code | startswith("archive-"))] | length == 0'
    # What standard tools extract is what verify read: both agree the zip is whole, and
    # Python and unzip list the same members.
    unzip -tq "$T/good.zip" >/dev/null || fail "unzip -t rejects the sealed zip"
    "$PY" -c 'import sys, zipfile; sys.exit(zipfile.ZipFile(sys.argv[1]).testzip() is not None)' "$T/good.zip" ||
        fail "python zipfile rejects the sealed zip"
    diff <(python_members "$T/good.zip") <(unzip -Z1 "$T/good.zip") || fail "python and unzip list different members"
    # No padding after the end record: the file ends with it.
    "$PY" -c 'import sys; d = open(sys.argv[1], "rb").read(); sys.exit(d.rfind(b"PK\x05\x06") != len(d) - 22)' "$T/good.zip" ||
        fail "bytes after the end record"
}

test_zip_padded_by_earlier_versions() {
    # Earlier versions padded the zip with zero bytes to a 10240-byte block: still accepted,
    # but nothing else after the end record.
    setup
    seal_to "$T/good.zip"
    cp "$T/good.zip" "$T/old.zip"
    truncate -s $((($(size_of "$T/good.zip") / 10240 + 1) * 10240)) "$T/old.zip"
    expect_exit 0 cbkit verify "$T/old.zip" --pubkey "$T/examiner.pub"
    write_zipmut_py
    "$PY" "$T/zipmut.py" "$T/good.zip" "$T/bad.zip" trailing-junk || fail "zipmut"
    rejected "$T/bad.zip" archive-zip-inconsistent 'follow the end record'
}

test_zip_second_central_directory() {
    setup
    seal_to "$T/good.zip"
    write_zipmut_py
    "$PY" "$T/zipmut.py" "$T/good.zip" "$T/bad.zip" second-cd || fail "zipmut"
    # The attack works on standard tools: they see one member less than the stream holds.
    [[ $(python_members "$T/bad.zip" | wc -l) -eq $(($(python_members "$T/good.zip" | wc -l) - 1)) ]] ||
        fail "python does not read the second directory; the test builds the wrong zip"
    rejected "$T/bad.zip" archive-zip-inconsistent
}

test_zip_truncated_central_directory() {
    setup
    seal_to "$T/good.zip"
    write_zipmut_py
    "$PY" "$T/zipmut.py" "$T/good.zip" "$T/bad.zip" truncated-cd || fail "zipmut"
    rejected "$T/bad.zip" archive-zip-inconsistent 'belong to no member'
}

test_zip_central_directory_name_flipped() {
    setup
    seal_to "$T/good.zip"
    write_zipmut_py
    "$PY" "$T/zipmut.py" "$T/good.zip" "$T/bad.zip" flip-cd-name || fail "zipmut"
    rejected "$T/bad.zip" archive-zip-inconsistent 'local header says'
}

test_zip_central_directory_crc_and_size() {
    setup
    seal_to "$T/good.zip"
    write_zipmut_py
    "$PY" "$T/zipmut.py" "$T/good.zip" "$T/bad.zip" cd-crc || fail "zipmut"
    rejected "$T/bad.zip" archive-zip-inconsistent 'CRC-32'
    "$PY" "$T/zipmut.py" "$T/good.zip" "$T/bad.zip" cd-size || fail "zipmut"
    rejected "$T/bad.zip" archive-zip-inconsistent 'sizes'
}

test_zip_junk_and_unlisted_members() {
    setup
    seal_to "$T/good.zip"
    write_zipmut_py
    "$PY" "$T/zipmut.py" "$T/good.zip" "$T/bad.zip" junk-between || fail "zipmut"
    rejected "$T/bad.zip" archive-zip-inconsistent 'belong to no member'
    "$PY" "$T/zipmut.py" "$T/good.zip" "$T/bad.zip" junk-before || fail "zipmut"
    rejected "$T/bad.zip" archive-zip-inconsistent 'before the first member'
    "$PY" "$T/zipmut.py" "$T/good.zip" "$T/bad.zip" extra-member || fail "zipmut"
    rejected "$T/bad.zip" archive-zip-inconsistent 'belong to no member'
}

# retar GOOD OUT PYTHON -- rewrite the tar GOOD to OUT with python's tarfile, PYTHON being
# statements on `members` (a list of [TarInfo, bytes or None]) and `top`.
retar() {
    "$PY" - "$1" "$2" "$3" <<'PYEOF' || fail "retar"
import io, sys, tarfile
src, dst, code = sys.argv[1:4]
members = []
with tarfile.open(src) as t:
    for m in t.getmembers():
        members.append([m, t.extractfile(m).read() if m.isfile() else None])
top = members[0][0].name.rstrip('/').split('/')[0]
def entry(name, kind, data=None, link=''):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.linkname = kind, 0o755, link
    ti.size = len(data) if data is not None else 0
    return [ti, data]
def index(rel):
    return next(i for i, m in enumerate(members) if m[0].name.rstrip('/') == top + '/' + rel)
exec(code)
with tarfile.open(dst, 'w', format=tarfile.PAX_FORMAT) as t:
    for m, data in members:
        t.addfile(m, io.BytesIO(data) if data is not None else None)
PYEOF
}

test_duplicate_names_tar() {
    setup
    seal_to "$T/good.tar"
    local f
    f=data/$(jline "$C" 1 '.files[0].path')
    # A folder of the file's name after it, or before it; a link; '/' and './' spellings.
    retar "$T/good.tar" "$T/bad.tar" "members.insert(index('$f') + 1, entry(top + '/$f/', tarfile.DIRTYPE))"
    rejected "$T/bad.tar" archive-duplicate
    retar "$T/good.tar" "$T/bad.tar" "members.insert(index('$f'), entry(top + '/$f', tarfile.DIRTYPE))"
    rejected "$T/bad.tar" archive-duplicate
    retar "$T/good.tar" "$T/bad.tar" "members.append(entry(top + '/$f', tarfile.SYMTYPE, link='/dev/null'))"
    rejected "$T/bad.tar" archive-duplicate
    retar "$T/good.tar" "$T/bad.tar" "members.append(entry('./' + top + '/$f', tarfile.REGTYPE, b'other'))"
    rejected "$T/bad.tar" archive-duplicate
    retar "$T/good.tar" "$T/bad.tar" "members.append(entry(top + '/data/', tarfile.DIRTYPE))"
    rejected "$T/bad.tar" archive-duplicate
}

test_duplicate_names_zip() {
    setup
    seal_to "$T/good.zip"
    local f
    f=data/$(jline "$C" 1 '.files[0].path')
    "$PY" - "$T/good.zip" "$T/bad.zip" "$f" <<'PYEOF' || fail "rezip"
import sys, zipfile
src, dst, rel = sys.argv[1:4]
with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, 'w', zipfile.ZIP_DEFLATED) as out:
    top = z.namelist()[0].split('/')[0]
    for i in z.infolist():
        out.writestr(i, z.read(i))
        if i.filename == top + '/' + rel:
            out.writestr(top + '/' + rel + '/', b'')   # a folder of the same name, after it
PYEOF
    # Python's zipfile writes a consistent zip: the only problem is the name.
    rejected "$T/bad.zip" archive-duplicate
    expect_jq '[.findings[] | select(.code == "archive-zip-inconsistent")] | length == 0'
}

test_reordered_members() {
    setup
    seal_to "$T/good.tar"
    # Every member intact, the seal's checkpoint moved before the manifest (as a repack
    # sorting by name would not, but any other order may).
    local cp
    cp=$(bsdtar -tf "$T/good.tar" | grep '/data/seals/.*/checkpoint$' | sed 's|^[^/]*/||')
    retar "$T/good.tar" "$T/bad.tar" "m = members.pop(index('$cp')); members.insert(index('data/manifest.jsonl'), m)"
    rejected "$T/bad.tar" archive-member-order "^is out of the order cbkit seal writes"
    expect_jq '[.findings[] | select(.code == "archive-member-order") | .path] | length == 1'
    expect_jq "[.findings[] | select(.code == \"archive-member-order\") | .path][0] | endswith(\"$cp\")"
    # Only the order is wrong: the seal is still checked (its checkpoint was held).
    expect_jq '[.findings[] | select(.severity == "error" and .code != "archive-member-order")] | length == 0'
    # A folder after its contents.
    retar "$T/good.tar" "$T/bad.tar" "m = members.pop(index('data')); members.append(m)"
    rejected "$T/bad.tar" archive-member-order "folder that comes after"
    # Reversed: the first out of place is named, once.
    retar "$T/good.tar" "$T/bad.tar" "members.reverse()"
    rejected "$T/bad.tar" archive-member-order
    expect_jq '[.findings[] | select(.code == "archive-member-order")] | length == 1'
}

# peak_rss_kb CMD... -- run CMD under /usr/bin/time; prints the peak RSS in KiB.
peak_rss() {
    command -v /usr/bin/time >/dev/null || skip "no /usr/bin/time"
    /usr/bin/time -f %M -o "$T/rss" "$@" >"$T/out.json" 2>"$T/err" || true
    tail -n1 "$T/rss"
}

test_bounded_memory_tag_files_large() {
    setup
    # Twelve tag files of 60 MiB each (zeros, a few kB of zstd) and 1 MiB of noise so the
    # decompression-bomb limit (1000 times the size) lets them all through.
    "$PY" - "$T/big.tar" <<'PYEOF' || fail "big.tar"
import io, os, sys, tarfile
class Zeros(io.RawIOBase):
    def __init__(self, n): self.left = n
    def readable(self): return True
    def readinto(self, b):
        n = min(len(b), self.left); b[:n] = bytes(n); self.left -= n; return n
names = ['bagit.txt', 'bag-info.txt', 'manifest-sha256.txt', 'manifest-sha512.txt', 'tagmanifest-sha256.txt',
         'seal/checkpoint', 'seal/public-key.pem', 'seal/public-key.minisign.pub', 'seal/timestamp.tsr',
         'seal/tsa-chain.pem', 'seal/tagmanifest-sha256.txt.minisig', 'seal/tagmanifest-sha256.txt.sig']
with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as t:
    noise = os.urandom(1 << 20)
    ti = tarfile.TarInfo('bag/data/noise'); ti.size = len(noise); t.addfile(ti, io.BytesIO(noise))
    for n in names:
        ti = tarfile.TarInfo('bag/' + n); ti.size = 60 << 20
        t.addfile(ti, io.BufferedReader(Zeros(ti.size), 1 << 20))
PYEOF
    zstd -q -1 --rm "$T/big.tar" -o "$T/big.tar.zst" || fail "zstd"
    local start=$SECONDS rss
    rss=$(peak_rss "$CBKIT_BIN" verify "$T/big.tar.zst" --json)
    ((SECONDS - start < 60)) || fail "verify took $((SECONDS - start)) s"
    sanitized_build || ((rss < 300 * 1024)) || fail "verify took $rss KiB of memory"
    OUT=$T/out.json
    expect_jq '.ok == false'
    expect_finding archive-limit-exceeded
}

# names_archive COUNT LENGTH OUT -- a .tar.zst of COUNT folders with names of LENGTH bytes.
names_archive() {
    "$PY" - "$1" "$2" "$3.tar" <<'PYEOF' || fail "names archive"
import sys, tarfile
count, length = int(sys.argv[1]), int(sys.argv[2])
with tarfile.open(sys.argv[3], 'w', format=tarfile.PAX_FORMAT) as t:
    for i in range(count):
        ti = tarfile.TarInfo('bag/data/%06d' % i + 'x' * length); ti.type = tarfile.DIRTYPE; t.addfile(ti)
PYEOF
    zstd -q -3 --rm "$3.tar" -o "$3" || fail "zstd"
}

test_bounded_memory_long_names() {
    setup
    # 20 000 folders with valid names of 4 000 bytes, and 2 000 with names of 60 000 bytes
    # (longer than a path can be): each archive a few hundred kB.
    names_archive 20000 4000 "$T/names.tar.zst"
    names_archive 2000 60000 "$T/long.tar.zst"
    local a start rss
    for a in names long; do
        start=$SECONDS
        rss=$(peak_rss "$CBKIT_BIN" verify "$T/$a.tar.zst" --json)
        ((SECONDS - start < 20)) || fail "verify $a took $((SECONDS - start)) s"
        sanitized_build || ((rss < 300 * 1024)) || fail "verify $a took $rss KiB of memory"
        OUT=$T/out.json
        expect_jq '.ok == false'
        expect_finding archive-limit-exceeded
    done
    expect_finding archive-path-unsafe
}

run_tests "$@"
