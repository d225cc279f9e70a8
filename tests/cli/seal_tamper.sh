#!/usr/bin/env bash
# Tampered and hostile archives: each must make `cbkit verify ARCHIVE` exit 1 with its
# finding code, without extracting anything. The archives are rewritten by tamper.py
# (python's tarfile) from a genuine sealed .tar; the changes a forger could make without
# the key (regenerating the BagIt manifests) are covered as well.
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
    expect_exit 0 cbkit --case "$C" seal --key "$T/examiner.key" --out "$T/good.tar"
    expect_exit 0 cbkit verify "$T/good.tar" --pubkey "$T/examiner.pub"
    write_tamper_py
}

write_tamper_py() {
    cat >"$T/tamper.py" <<'PYEOF'
import hashlib, io, sys, tarfile

src, dst, ops = sys.argv[1], sys.argv[2], sys.argv[3:]
members = []  # [TarInfo, bytes or None]
with tarfile.open(src) as t:
    for m in t.getmembers():
        members.append([m, t.extractfile(m).read() if m.isfile() else None])
top = members[0][0].name.split('/')[0]

def find(rel):
    for m in members:
        if m[0].name == top + '/' + rel:
            return m
    raise SystemExit('no member ' + rel)

def new(rel, data=b'', kind=tarfile.REGTYPE, name=None):
    ti = tarfile.TarInfo(name if name is not None else top + '/' + rel)
    ti.type = kind
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    ti.mode = 0o644
    return [ti, data if kind == tarfile.REGTYPE else None]

def rebag():
    # What a forger without the key can redo: both payload manifests, Payload-Oxum, the
    # tag manifest. The signatures over the tag manifest stay as they were.
    payload = [m for m in members if m[0].isfile() and m[0].name.startswith(top + '/data/')]
    for algo in ('sha256', 'sha512'):
        text = ''.join(f'{hashlib.new(algo, m[1]).hexdigest()}  {m[0].name[len(top) + 1:]}\n' for m in payload)
        find(f'manifest-{algo}.txt')[1] = text.encode()
    info = find('bag-info.txt')
    lines = info[1].decode().splitlines()
    oxum = f'{sum(len(m[1]) for m in payload)}.{len(payload)}'
    lines = [f'Payload-Oxum: {oxum}' if l.startswith('Payload-Oxum:') else l for l in lines]
    last = find('data/manifest.jsonl')[1].rstrip(b'\n').split(b'\n')[-1]
    lines = [f'Cbkit-Head: {hashlib.sha256(last).hexdigest()}' if l.startswith('Cbkit-Head:') else l for l in lines]
    info[1] = ('\n'.join(lines) + '\n').encode()
    tag = ''
    for name in ('bagit.txt', 'bag-info.txt', 'manifest-sha256.txt', 'manifest-sha512.txt'):
        tag += f'{hashlib.sha256(find(name)[1]).hexdigest()}  {name}\n'
    for m in members:
        rel = m[0].name[len(top) + 1:]
        if m[0].isfile() and rel.startswith('seal/') and not rel.startswith('seal/tagmanifest'):
            tag += f'{hashlib.sha256(m[1]).hexdigest()}  {rel}\n'
    find('tagmanifest-sha256.txt')[1] = tag.encode()

i = 0
while i < len(ops):
    op = ops[i]
    if op == 'flip':  # flip the last byte of a file
        m = find(ops[i + 1]); m[1] = m[1][:-1] + bytes([m[1][-1] ^ 1]); i += 2
    elif op == 'replace':  # replace text in a file
        m = find(ops[i + 1]); m[1] = m[1].replace(ops[i + 2].encode(), ops[i + 3].encode(), 1); i += 4
    elif op == 'drop-seal-input':
        # Drop the last line before the seal line and re-chain the seal line to the one
        # before: the chain holds again, only the checkpoint can tell.
        m = find('data/manifest.jsonl')
        lines = m[1].rstrip(b'\n').split(b'\n')
        seal = lines[-1]
        dropped = lines[-2]
        keep = lines[:-2]
        import json
        j = json.loads(seal)
        j['seq'] -= 1
        j['prev'] = hashlib.sha256(keep[-1]).hexdigest()
        keep.append(json.dumps(j, separators=(',', ':'), ensure_ascii=False).encode())
        m[1] = b'\n'.join(keep) + b'\n'
        for f in json.loads(dropped)['files']:
            members[:] = [x for x in members if x[0].name != top + '/data/' + f['path']]
        i += 1
    elif op == 'add':
        members.append(new(ops[i + 1], ops[i + 2].encode())); i += 3
    elif op == 'symlink':
        ti = new(ops[i + 1], kind=tarfile.SYMTYPE); ti[0].linkname = ops[i + 2]; members.insert(3, ti); i += 3
    elif op == 'hardlink':
        ti = new(ops[i + 1], kind=tarfile.LNKTYPE); ti[0].linkname = top + '/' + ops[i + 2]; members.insert(3, ti); i += 3
    elif op == 'device':
        ti = new(ops[i + 1], kind=tarfile.CHRTYPE); ti[0].devmajor, ti[0].devminor = 1, 3; members.insert(3, ti); i += 2
    elif op == 'raw-name':  # an entry with exactly this name, outside any rule
        members.insert(3, new('', ops[i + 2].encode(), name=ops[i + 1])); i += 3
    elif op == 'duplicate':
        m = find(ops[i + 1]); members.append([m[0], m[1]]); i += 2
    elif op == 'rebag':
        rebag(); i += 1
    else:
        raise SystemExit('unknown op ' + op)

with tarfile.open(dst, 'w', format=tarfile.PAX_FORMAT) as t:
    for m, data in members:
        if data is not None:
            m.size = len(data)
        t.addfile(m, io.BytesIO(data) if data is not None else None)
PYEOF
}

# tamper OPS... -- write $T/bad.tar from good.tar with OPS applied.
tamper() {
    "$PY" "$T/tamper.py" "$T/good.tar" "$T/bad.tar" "$@" || fail "tamper.py $*"
}

# expect_rejected CODE... [-- VERIFY ARGS] -- verify bad.tar (pinned) exits 1 with every CODE.
expect_rejected() {
    local codes=() args=(--pubkey "$T/examiner.pub")
    while [[ $# -gt 0 && $1 != -- ]]; do
        codes+=("$1")
        shift
    done
    [[ ${1:-} == -- ]] && { shift; args=("$@"); }
    expect_exit 1 cbkit verify "$T/bad.tar" --json "${args[@]}"
    expect_jq '.ok == false'
    local code
    for code in "${codes[@]}"; do
        expect_finding "$code"
    done
}

evidence_path() {
    jline "$C" "$1" '.files[0].path'
}

test_payload_byte() {
    setup
    tamper flip "data/$(evidence_path 1)"
    expect_rejected file-hash-mismatch bag-manifest-mismatch
}

test_payload_byte_rebagged() {
    setup
    tamper flip "data/$(evidence_path 1)" rebag
    # The BagIt manifests agree now; the record in the manifest and the signature do not.
    expect_rejected file-hash-mismatch archive-signature-invalid
    expect_jq '[.findings[] | select(.code == "bag-manifest-mismatch")] | length == 0'
}

test_manifest_line() {
    setup
    tamper replace data/manifest.jsonl '"Called 101"' '"Called 112"' rebag
    expect_rejected prev-mismatch seal-root-mismatch archive-signature-invalid
}

test_tag_file() {
    setup
    tamper replace bag-info.txt "Contact-Name: A. Peeters" "Contact-Name: Someone Else"
    expect_rejected bag-tagmanifest-mismatch
}

test_oxum() {
    setup
    tamper replace bag-info.txt "Payload-Oxum: " "Payload-Oxum: 1"
    expect_rejected bag-oxum-mismatch bag-tagmanifest-mismatch
}

test_checkpoint_copy() {
    setup
    tamper flip seal/checkpoint
    expect_rejected archive-seal-copy-mismatch bag-tagmanifest-mismatch
}

test_checkpoint_recorded() {
    setup
    local seq
    seq=$(($(manifest_lines "$C") - 1))
    tamper flip "data/seals/$(printf %06d "$seq")-seal/checkpoint" rebag
    expect_rejected file-hash-mismatch seal-checkpoint-missing archive-signature-invalid
}

test_signature() {
    setup
    tamper flip seal/tagmanifest-sha256.txt.sig
    expect_rejected archive-signature-invalid
    # The trusted comment is signed too (the untrusted one is not, by design).
    tamper replace seal/tagmanifest-sha256.txt.minisig $'\ntrusted comment: cbkit seal' $'\ntrusted comment: cbkit SEAL'
    expect_rejected archive-signature-invalid
    expect_jq '[.findings[] | select(.code == "archive-signature-invalid") | .message] | any(test("trusted comment"))'
    tamper replace seal/tagmanifest-sha256.txt.minisig "untrusted comment: cbkit seal" "untrusted comment: edited"
    expect_exit 0 cbkit verify "$T/bad.tar" --pubkey "$T/examiner.pub"
}

test_swapped_public_key() {
    setup
    expect_exit 0 cbkit keygen --out "$T/forger"
    # The forger's key in the package: not the key the seal line names, signatures fail.
    cp "$T/forger.pub" "$T/forger.pem"
    tamper replace seal/public-key.pem "$(sed -n 2p "$T/examiner.pub")" "$(sed -n 2p "$T/forger.pub")"
    expect_rejected archive-seal-copy-mismatch archive-signature-invalid -- --json
    # A forger who re-seals a copy of the case with their own key makes a package that is
    # self-consistent: unpinned it only warns, pinned to the examiner's key it fails.
    cp -a "$C" "$T/copy"
    expect_exit 0 cbkit --case "$T/copy" seal --key "$T/forger.key" --out "$T/forged.tar"
    expect_exit 0 cbkit verify "$T/forged.tar" --json
    expect_finding seal-unpinned
    expect_jq '.bag.pinned == false'
    expect_exit 1 cbkit verify "$T/forged.tar" --pubkey "$T/examiner.pub" --json
    expect_finding seal-key-mismatch
    expect_finding seal-signature-invalid
    expect_finding archive-signature-invalid
}

test_drop_last_line_rebagged() {
    setup
    tamper drop-seal-input rebag
    expect_rejected seal-size-mismatch seal-root-mismatch bag-info-mismatch archive-signature-invalid
}

test_unlisted_file() {
    setup
    tamper add data/evidence/000009-file/extra.txt "planted"
    expect_rejected unrecorded-file bag-payload-unlisted
    tamper add seal/extra.txt "planted"
    expect_rejected bag-unlisted-file
}

test_absolute_path() {
    setup
    tamper raw-name /etc/cbkit-planted "x"
    expect_rejected archive-path-absolute
}

test_dotdot_path() {
    setup
    local top
    top=$(bsdtar -tf "$T/good.tar" | head -n1 | cut -d/ -f1)
    tamper raw-name "$top/../../cbkit-planted" "x"
    expect_rejected archive-path-dotdot
}

test_links_and_devices() {
    setup
    tamper symlink data/evidence/link /etc/passwd
    expect_rejected archive-link
    tamper hardlink data/evidence/hard bagit.txt
    expect_rejected archive-link
    tamper device data/evidence/dev
    expect_rejected archive-special
}

test_duplicate_entry() {
    setup
    tamper duplicate "data/$(evidence_path 1)"
    expect_rejected archive-duplicate
}

test_outside_top() {
    setup
    tamper raw-name "other-folder/x.txt" "x"
    expect_rejected archive-outside-top
}

test_truncated() {
    setup
    expect_exit 0 cbkit --case "$C" pack --key "$T/examiner.key" --out "$T/good.tar.gz"
    head -c "$(($(size_of "$T/good.tar.gz") / 2))" "$T/good.tar.gz" >"$T/bad.tar.gz"
    expect_exit 1 cbkit verify "$T/bad.tar.gz" --pubkey "$T/examiner.pub" --json
    expect_finding archive-truncated
    head -c 5000 "$T/good.tar" >"$T/bad.tar"
    expect_rejected archive-truncated
}

test_bomb() {
    setup
    # 1 GiB of zeros is a few kB of zstd: reading must stop long before the end.
    mkdir -p "$T/b/cbkit-bomb"
    truncate -s 1G "$T/b/cbkit-bomb/zeros"
    tar -C "$T/b" --zstd -cf "$T/bomb.tar.zst" cbkit-bomb
    rm -rf "$T/b"
    local start=$SECONDS
    expect_exit 1 cbkit verify "$T/bomb.tar.zst" --json
    expect_finding archive-bomb
    ((SECONDS - start < 30)) || fail "the bomb was read to the end"
}

test_not_an_archive() {
    setup
    printf 'just text\n' >"$T/bad.tar"
    expect_rejected archive-corrupt
}

test_folder_seal_tampered() {
    # Case-folder verify checks the seal lines too: a rewritten sealed line whose chain was
    # repaired is caught by the Merkle root.
    setup
    local seq
    seq=$(($(manifest_lines "$C") - 1))
    chmod u+w "$C/manifest.jsonl"
    "$PY" - "$C/manifest.jsonl" <<'PYEOF'
import hashlib, json, sys
p = sys.argv[1]
lines = open(p, 'rb').read().rstrip(b'\n').split(b'\n')
lines[3] = lines[3].replace(b'Called 101', b'Called 112')
for i in range(4, len(lines)):
    j = json.loads(lines[i])
    j['prev'] = hashlib.sha256(lines[i - 1]).hexdigest()
    lines[i] = json.dumps(j, separators=(',', ':'), ensure_ascii=False).encode()
open(p, 'wb').write(b'\n'.join(lines) + b'\n')
PYEOF
    expect_exit 1 cbkit verify "$C" --pubkey "$T/examiner.pub" --json
    expect_finding seal-root-mismatch "$seq"
    expect_finding seal-head-mismatch "$seq"
    expect_jq '[.findings[] | select(.code == "prev-mismatch")] | length == 0'
}

run_tests "$@"
