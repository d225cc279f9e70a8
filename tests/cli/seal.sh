#!/usr/bin/env bash
# cbkit keygen, seal, pack, prove, verify-proof and verify ARCHIVE: every archive format
# checked by cbkit and by standard tools (sha256sum, minisign, openssl, bsdtar/unzip, an
# independent BagIt check), determinism, the case after a seal, inclusion proofs.
source "$(dirname "$0")/lib.sh"

BAGIT_CHECK="$TESTS_DIR/support/bagit_check.py"

# setup -- a case with a few entries (a non-ASCII and a '%' file name, a note) and a key.
setup() {
    C="$T/case"
    new_case "$C" --timezone UTC
    mkfile "$T/in/photo.jpg" "not really a jpeg"
    mkfile "$T/in/chat é 100%.txt" "hello from a chat export"
    mkrandom "$T/in/video.bin" 300000
    add "$T/in/photo.jpg" "$T/in/chat é 100%.txt" --kind screenshot
    add "$T/in/video.bin"
    note "Called 101"
    expect_exit 0 cbkit keygen --out "$T/examiner"
}

# seal_to ARCHIVE [SEAL ARGS...] -- seal the case into ARCHIVE; SEAL_SEQ and SEAL_HEAD from the receipt.
seal_to() {
    expect_exit 0 cbkit --case "$C" seal --key "$T/examiner.key" --out "$1" "${@:2}"
    expect_receipt "$C"
    SEAL_HEAD=$RECEIPT_HEAD
    SEAL_SEQ=$(($(manifest_lines "$C") - 1))
}

# extract ARCHIVE DIR -- with bsdtar (tar formats) or unzip (zip); BAG is the top folder.
extract() {
    mkdir -p "$2"
    case $1 in
    *.zip) unzip -q "$1" -d "$2" ;;
    *) bsdtar -xf "$1" -C "$2" ;;
    esac
    local tops
    tops=$(ls "$2")
    [[ $(wc -l <<<"$tops") == 1 ]] || fail "the archive holds more than one top folder: $tops"
    BAG="$2/$tops"
}

# check_with_standard_tools ARCHIVE -- every check VERIFY.txt promises, without cbkit.
check_with_standard_tools() {
    extract "$1" "$T/x"
    # BagIt percent-encodes '%' in manifest paths (%25); VERIFY.txt gives this sed for that.
    grep -q '%25' "$BAG/manifest-sha256.txt" || fail "the '%' file name is not percent-encoded"
    (cd "$BAG" && sed 's/%25/%/g' manifest-sha256.txt | sha256sum --quiet --strict -c - &&
        sed 's/%25/%/g' manifest-sha512.txt | sha512sum --quiet --strict -c - &&
        sha256sum --quiet --strict -c tagmanifest-sha256.txt) >"$T/sums.out" 2>&1 || fail "sha256sum/sha512sum -c failed: $(cat "$T/sums.out")"
    "$PY" "$BAGIT_CHECK" "$BAG" >"$T/bag.out" || fail "independent BagIt check: $(cat "$T/bag.out")"
    minisign -Vm "$BAG/tagmanifest-sha256.txt" -x "$BAG/seal/tagmanifest-sha256.txt.minisig" -p "$T/examiner.minisign.pub" >"$T/mini.out" 2>&1 ||
        fail "minisign -V rejected the signature: $(cat "$T/mini.out")"
    grep -q "Signature and comment signature verified" "$T/mini.out" || fail "minisign: $(cat "$T/mini.out")"
    openssl pkeyutl -verify -pubin -inkey "$T/examiner.pub" -rawin -in "$BAG/tagmanifest-sha256.txt" \
        -sigfile "$BAG/seal/tagmanifest-sha256.txt.sig" >"$T/ossl.out" 2>&1 || fail "openssl pkeyutl -verify: $(cat "$T/ossl.out")"
    # The payload's manifest is the case's, up to and including the seal line.
    head -n "$((SEAL_SEQ + 1))" "$C/manifest.jsonl" | cmp -s - "$BAG/data/manifest.jsonl" || fail "data/manifest.jsonl differs from the case"
    expect_eq "$(tail -n1 "$BAG/data/manifest.jsonl" | head -c -1 | sha256sum | cut -d' ' -f1)" "$SEAL_HEAD" "head of data/manifest.jsonl"
    cmp -s "$BAG/data/$(jline "$C" 2 '.files[0].path')" "$T/in/video.bin" || fail "video.bin differs in the bag"
    grep -qx "Cbkit-Head: $SEAL_HEAD" "$BAG/bag-info.txt" || fail "bag-info.txt does not carry the head"
    grep -q "Payload-Oxum: " "$BAG/bag-info.txt" || fail "no Payload-Oxum"
    [[ -s $BAG/seal/VERIFY.txt ]] || fail "no seal/VERIFY.txt"
    grep -q "minisign -Vm" "$BAG/seal/VERIFY.txt" || fail "VERIFY.txt does not explain minisign"
    # Owner and modes are fixed, whoever sealed.
    if [[ $1 != *.zip ]]; then
        bsdtar -tvf "$1" | awk '{print $1, $3, $4}' | sort -u >"$T/owners"
        grep -qv -e '^-rw-r--r-- root root$' -e '^drwxr-xr-x root root$' "$T/owners" && fail "unexpected mode/owner: $(cat "$T/owners")"
    fi
    return 0
}

# receipt_ok ARCHIVE -- the receipt beside it names the archive's real SHA-256 and the head.
receipt_ok() {
    [[ -f $1.receipt.txt ]] || fail "no receipt $1.receipt.txt"
    grep -qx "archive-sha256: $(sha_of "$1")" "$1.receipt.txt" || fail "receipt: wrong archive-sha256"
    grep -qx "head: $SEAL_HEAD" "$1.receipt.txt" || fail "receipt: wrong head"
    grep -qx "seq: $SEAL_SEQ" "$1.receipt.txt" || fail "receipt: wrong seq"
    grep -qx "key-fingerprint: $(key_fingerprint "$T/examiner.pub")" "$1.receipt.txt" || fail "receipt: wrong key fingerprint"
}

# key_fingerprint PUB -- SHA-256 of the raw 32-byte Ed25519 key, with openssl only.
key_fingerprint() {
    openssl pkey -pubin -in "$1" -outform DER | tail -c 32 | sha256sum | cut -d' ' -f1
}

format_test() {
    setup
    seal_to "$T/BE.$1"
    expect_stdout_contains "archive sha256 $(sha_of "$T/BE.$1")"
    receipt_ok "$T/BE.$1"
    expect_exit 0 cbkit verify "$T/BE.$1" --pubkey "$T/examiner.pub" --expect-head "$SEAL_HEAD" --json
    expect_jq '.ok == true' '.bag.signature_ok == true' '.bag.pinned == true' ".bag.sha256 == \"$(sha_of "$T/BE.$1")\"" \
        '.seals | length == 1' '.seals[0].ok and .seals[0].pinned' ".expect_head.found_at_seq == $SEAL_SEQ" \
        '[.findings[] | select(.severity == "error")] | length == 0' "(.bag.format | test(\"$2\"))"
    check_with_standard_tools "$T/BE.$1"
}

test_format_tar() { format_test tar 'tar'; }
test_format_tar_gz() { format_test tar.gz 'gzip'; }
test_format_tar_zst() { format_test tar.zst 'zstd'; }
test_format_zip() { format_test zip 'ZIP|zip'; }

test_keygen() {
    mkdir "$T/keys"
    expect_exit 0 cbkit keygen --out "$T/keys/k" --json
    expect_jq ".fingerprint == \"$(key_fingerprint "$T/keys/k.pub")\"" '.key_id | test("^[0-9A-F]{16}$")'
    expect_eq "$(mode_of "$T/keys/k.key")" 600 "private key mode"
    grep -q "BEGIN PRIVATE KEY" "$T/keys/k.key" || fail "not PKCS#8 PEM"
    grep -q "BEGIN PUBLIC KEY" "$T/keys/k.pub" || fail "not SPKI PEM"
    head -n1 "$T/keys/k.minisign.pub" | grep -q "^untrusted comment: minisign public key $(jout .key_id)$" || fail "minisign key comment"
    [[ $(tail -n1 "$T/keys/k.minisign.pub" | base64 -d | head -c 2) == Ed ]] || fail "minisign key algorithm"
    snap_save "$T/keys"
    expect_exit 2 cbkit keygen --out "$T/keys/k"
    expect_error_line "k.key" "exists"
    snap_check "$T/keys"
    rm "$T/keys/k.key"
    expect_exit 2 cbkit keygen --out "$T/keys/k"
    expect_error_line "k.pub" "exists"
    [[ ! -e $T/keys/k.key ]] || fail "keygen wrote a key beside existing public keys"
}

test_bad_arguments_leave_the_case_alone() {
    setup
    snap_save "$C"
    expect_exit 2 cbkit --case "$C" seal --key "$T/examiner.key" --out "$T/x.rar"
    expect_error_line "x.rar" ".tar.gz"
    touch "$T/exists.tar"
    expect_exit 2 cbkit --case "$C" seal --key "$T/examiner.key" --out "$T/exists.tar"
    expect_error_line "exists.tar" "exists"
    expect_exit 3 cbkit --case "$C" seal --key "$T/missing.key" --out "$T/a.tar"
    expect_error_line "missing.key"
    expect_exit 3 cbkit --case "$C" seal --key "$T/examiner.pub" --out "$T/a.tar"
    expect_error_line "examiner.pub" "private key"
    snap_check "$C"
    [[ ! -e $T/a.tar ]] || fail "an archive was written"
}

# A line (chained correctly, as a forger would write it) that records a path outside its
# area, or a path recorded twice: seal refuses before it appends or signs anything.
test_unsafe_paths_refused_before_signing() {
    setup
    local last bad
    # evidence/../.cbkit.lock exists with the recorded size 0; the duplicate has its true size:
    # only the path checks can refuse them.
    local dup size
    dup=$(jline "$C" 1 '.files[0].path')
    size=$(jline "$C" 1 '.files[0].size')
    for bad in "evidence/../.cbkit.lock:0" "$dup:$size"; do
        cp -a "$C" "$T/c2"
        chmod u+w "$T/c2/manifest.jsonl"
        last=$(tail -n1 "$T/c2/manifest.jsonl" | tr -d '\n' | sha256sum | cut -d' ' -f1)
        jq -c --arg prev "$last" --arg p "${bad%:*}" --argjson size "${bad##*:}" --argjson seq "$(manifest_lines "$T/c2")" \
            '{seq: $seq, prev: $prev, time: .time, kind: "file", actor: .actor, tool: .tool,
              files: [{path: $p, sha256: ("0" * 64), size: $size}]}' <(tail -n1 "$T/c2/manifest.jsonl") >>"$T/c2/manifest.jsonl"
        local lines
        lines=$(manifest_lines "$T/c2")
        expect_exit 4 cbkit --case "$T/c2" seal --key "$T/examiner.key" --out "$T/x.tar" --no-report
        expect_stderr_contains "nothing was sealed"
        expect_eq "$(manifest_lines "$T/c2")" "$lines" "lines after a refused seal ($bad)"
        [[ ! -e $T/x.tar ]] || fail "an archive was written for $bad"
        [[ -z $(find "$T/c2/seals" -mindepth 1) ]] || fail "something was written under seals/ for $bad"
        chmod -R u+w "$T/c2" && rm -rf "$T/c2"
    done
}

test_changed_evidence_is_not_sealed() {
    setup
    local f="$C/$(jline "$C" 2 '.files[0].path')"
    chmod u+w "$f"
    # Change byte 10 to another value (the file is random: writing a fixed byte could leave it as it was).
    python3 -c 'import sys; p = sys.argv[1]; d = bytearray(open(p, "rb").read()); d[10] ^= 0xFF; open(p, "r+b").write(d)' "$f"
    # Same size: found while the archive is written (the seal line is already recorded).
    expect_exit 4 cbkit --case "$C" seal --key "$T/examiner.key" --out "$T/a.tar"
    expect_error_line "video.bin" "SHA-256" "cbkit pack --seal"
    [[ ! -e $T/a.tar ]] || fail "an archive was written"
    ls "$T" | grep -q '\.tmp-' && fail "a temporary archive was left behind"
    # A missing file is refused before anything is recorded.
    local lines
    lines=$(manifest_lines "$C")
    chmod u+w "$(dirname "$f")"
    rm -f "$f"
    expect_exit 4 cbkit --case "$C" seal --key "$T/examiner.key" --out "$T/b.tar"
    expect_error_line "video.bin" "nothing was sealed"
    expect_eq "$(manifest_lines "$C")" "$lines" "lines after a refused seal"
}

test_determinism() {
    setup
    seal_to "$T/a.tar.gz"
    expect_exit 0 cbkit --case "$C" pack --key "$T/examiner.key" --out "$T/b.tar.gz"
    cmp "$T/a.tar.gz" "$T/b.tar.gz" || fail "pack is not byte-identical to seal's archive"
    # Whatever the files' times, owners and the environment.
    find "$C" -exec touch -d '2001-02-03 04:05:06' {} +
    chown -R "$NOBODY:$NOBODY" "$C/evidence" 2>/dev/null || true
    TZ=Asia/Tokyo LANG=C.UTF-8 LC_ALL=C.UTF-8 expect_exit 0 cbkit --case "$C" pack --seal "$SEAL_SEQ" --key "$T/examiner.key" --out "$T/c.tar.gz"
    cmp "$T/a.tar.gz" "$T/c.tar.gz" || fail "pack changed after touch/chown/TZ/locale"
    local f
    for f in tar tar.zst zip; do
        expect_exit 0 cbkit --case "$C" pack --key "$T/examiner.key" --out "$T/1.$f"
        expect_exit 0 cbkit --case "$C" pack --key "$T/examiner.key" --out "$T/2.$f"
        cmp "$T/1.$f" "$T/2.$f" || fail "$f: two packs differ"
    done
    # gzip header: no name, no time (bytes 4-7 are MTIME).
    expect_eq "$(head -c 8 "$T/a.tar.gz" | tail -c 4 | od -An -tx1 | tr -d ' ')" 00000000 "gzip MTIME"
    # pack needs the key that made the seal.
    expect_exit 0 cbkit keygen --out "$T/other"
    expect_exit 2 cbkit --case "$C" pack --key "$T/other.key" --out "$T/d.tar"
    expect_error_line "--key" "did not make seal"
}

test_case_after_seal() {
    setup
    seal_to "$T/a.tar"
    local first=$SEAL_SEQ origin
    origin=$(jline "$C" "$first" .seal.origin)
    note "after the seal"
    add "$T/in/photo.jpg"
    expect_exit 0 cbkit verify "$C" --pubkey "$T/examiner.pub" --json
    expect_jq '.ok' ".after_seal.seal == $first" ".after_seal.entries == [{\"seq\": $((first + 1)), \"kind\": \"note\"}, {\"seq\": $((first + 2)), \"kind\": \"file\"}]" \
        '.seals[0].ok and .seals[0].pinned'
    expect_exit 0 cbkit verify "$C" --pubkey "$T/examiner.pub"
    expect_stdout_contains "after seal $first: seq $((first + 1)) (note)"
    # Without --pubkey the key that came with the case is used, and said to be unpinned.
    expect_exit 0 cbkit verify "$C" --json
    expect_finding seal-unpinned "$first"
    expect_jq '[.findings[] | select(.code == "seal-unpinned")][0].severity == "warning"'
    # A second seal covers everything, in the same log (origin).
    seal_to "$T/b.tar.zst"
    expect_line_jq "$C" "$SEAL_SEQ" ".seal.tree_size == $SEAL_SEQ" ".seal.origin == \"$origin\"" ".seal.covers.seq == $((SEAL_SEQ - 1))"
    expect_exit 0 cbkit verify "$C" --pubkey "$T/examiner.minisign.pub" --json
    expect_jq '.ok' '.seals | length == 2' '.after_seal.entries == []'
    expect_exit 0 cbkit verify "$T/b.tar.zst" --pubkey "$T/examiner.pub" --json
    expect_jq '.ok' '.seals | length == 2'
    # The first archive still verifies on its own.
    expect_exit 0 cbkit verify "$T/a.tar" --pubkey "$T/examiner.pub"
    # Another examiner's key is not the one that sealed.
    expect_exit 0 cbkit keygen --out "$T/other"
    expect_exit 1 cbkit verify "$C" --pubkey "$T/other.pub" --json
    expect_finding seal-key-mismatch "$first"
    expect_finding seal-signature-invalid "$first"
}

test_seal_line_and_schema() {
    setup
    expect_exit 0 cbkit --case "$C" seal --key "$T/examiner.key" --out "$T/a.zip" --json
    expect_json_receipt "$C"
    local seq
    seq=$(jout .seq)
    expect_jq ".tree_size == $seq" ".archive.sha256 == \"$(sha_of "$T/a.zip")\"" '.archive.format == "zip"' \
        ".key_fingerprint == \"$(key_fingerprint "$T/examiner.pub")\""
    expect_line_jq "$C" "$seq" '.kind == "seal"' ".seal.tree_size == $seq" ".seal.covers.head == \"$(line_hash "$C" $((seq - 1)))\"" \
        '.seal.archive.name == "a.zip"' '.files | map(.path) == ["seals/'"$(printf %06d "$seq")"'-seal/checkpoint", "seals/'"$(printf %06d "$seq")"'-seal/public-key.pem"]'
    # The stored checkpoint is a C2SP signed note over lines 0..seq-1.
    local cp="$C/seals/$(printf %06d "$seq")-seal/checkpoint"
    expect_eq "$(sed -n 2p "$cp")" "$seq" "checkpoint tree size"
    expect_eq "$(sed -n 3p "$cp" | base64 -d | od -An -v -tx1 | tr -d ' \n')" "$(jline "$C" "$seq" .seal.root)" "checkpoint root"
    sed -n 5p "$cp" | grep -q "^— cbkit/$CASE_ID/" || fail "checkpoint signature line"
    # Root recomputed with python's hashlib from the lines (RFC 9162).
    local root
    root=$("$PY" - "$C/manifest.jsonl" "$seq" <<'PYEOF'
import hashlib, sys
lines = open(sys.argv[1], 'rb').read().split(b'\n')[:int(sys.argv[2])]
def mth(d):
    if len(d) == 1: return hashlib.sha256(b'\0' + d[0]).digest()
    k = 1
    while k * 2 < len(d): k *= 2
    return hashlib.sha256(b'\1' + mth(d[:k]) + mth(d[k:])).digest()
print(mth(lines).hex())
PYEOF
)
    expect_eq "$root" "$(jline "$C" "$seq" .seal.root)" "root recomputed by python"
    if [[ -n ${CBKIT_SCHEMA:-} && -f ${CBKIT_SCHEMA:-} ]]; then
        line_at "$C" "$seq" >"$T/seal-line.json"
        "$PY" -c 'import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))' "$CBKIT_SCHEMA" "$T/seal-line.json" ||
            fail "the seal line does not match the schema"
    fi
}

# A key rotation: the first seal by the old key, the next by the new one. Pinning both
# (--pubkey twice) verifies the case and the newest archive; pinning only the new key
# names the seal made with the old one.
test_key_rotation_pubkey_repeated() {
    setup
    seal_to "$T/first.tar"
    expect_exit 0 cbkit keygen --out "$T/new"
    note "after the rotation"
    expect_exit 0 cbkit --case "$C" seal --key "$T/new.key" --out "$T/second.tar"
    expect_exit 0 cbkit --case "$C" verify --json --pubkey "$T/examiner.pub" --pubkey "$T/new.pub"
    expect_jq '.ok == true' '[.seals[] | .pinned] | all' '(.seals | length) == 2'
    expect_exit 0 cbkit verify "$T/second.tar" --json --pubkey "$T/examiner.pub" --pubkey "$T/new.pub"
    expect_jq '.ok == true'
    expect_exit 1 cbkit --case "$C" verify --json --pubkey "$T/new.pub"
    expect_jq '[.findings[] | select(.code == "seal-key-mismatch")] | length == 1'
    expect_exit 1 cbkit verify "$T/first.tar" --json --pubkey "$T/new.pub"
    expect_jq '[.findings[] | select(.code == "seal-key-mismatch")] | length >= 1'
}

test_prove_and_verify_proof() {
    setup
    seal_to "$T/a.tar"
    expect_exit 0 cbkit --case "$C" prove 1 --out "$T/p1.json" --json
    expect_jq ".seal == $SEAL_SEQ" '.seq == 1'
    expect_exit 0 cbkit verify-proof "$T/p1.json" --pubkey "$T/examiner.pub" --file "$T/in/photo.jpg"
    expect_stdout_contains "OK: line 1"
    expect_stdout_contains "recorded by line 1"
    expect_exit 0 cbkit verify-proof "$T/p1.json" --pubkey "$T/examiner.minisign.pub" --json
    expect_jq '.ok' '.line.seq == 1' ".tree_size == $SEAL_SEQ"
    # Every line of the sealed log can be proven.
    local i
    for ((i = 0; i < SEAL_SEQ; i++)); do
        expect_exit 0 cbkit --case "$C" prove "$i" --out "$T/p$i-all.json"
        expect_exit 0 cbkit verify-proof "$T/p$i-all.json" --pubkey "$T/examiner.pub"
    done
    # A file the line does not record.
    expect_exit 1 cbkit verify-proof "$T/p1.json" --pubkey "$T/examiner.pub" --file "$T/in/video.bin"
    # Tampered: the line's text, the audit path, the claimed position, another key.
    jq '.line |= sub("screenshot"; "photo")' "$T/p1.json" >"$T/t1.json"
    expect_exit 1 cbkit verify-proof "$T/t1.json" --pubkey "$T/examiner.pub" --json
    expect_jq '.ok == false' '.problems | any(test("do not lead to the checkpoint"))'
    jq '.proof[0] |= (.[0:63] + (if .[63:64] == "0" then "1" else "0" end))' "$T/p1.json" >"$T/t2.json"
    expect_exit 1 cbkit verify-proof "$T/t2.json" --pubkey "$T/examiner.pub"
    jq '.seq = 2' "$T/p1.json" >"$T/t3.json"
    expect_exit 1 cbkit verify-proof "$T/t3.json" --pubkey "$T/examiner.pub"
    expect_exit 0 cbkit keygen --out "$T/other"
    expect_exit 1 cbkit verify-proof "$T/p1.json" --pubkey "$T/other.pub" --json
    expect_jq '.problems | any(test("not signed by key"))'
    # Lines after the last seal cannot be proven yet.
    note "later"
    expect_exit 2 cbkit --case "$C" prove "$((SEAL_SEQ + 1))" --out "$T/p9.json"
    expect_error_line "not covered by any seal"
}

test_report_in_bag() {
    setup
    expect_exit 0 cbkit --case "$C" report --record --lang en
    local rseq html
    rseq=$(($(manifest_lines "$C") - 1))
    html=$(jline "$C" "$rseq" '[.files[].path | select(endswith(".html"))][0]')
    [[ $html == evidence/* ]] || fail "the report entry records no HTML file"
    # --no-report: the archive takes the newest report recorded before (seal_records_report
    # covers the report seal records by default)
    seal_to "$T/a.zip" --no-report
    expect_exit 0 cbkit verify "$T/a.zip" --pubkey "$T/examiner.pub"
    extract "$T/a.zip" "$T/x"
    cmp -s "$BAG/data/report.html" "$C/$html" || fail "data/report.html is not the newest report"
    "$PY" "$BAGIT_CHECK" "$BAG" >"$T/bag.out" || fail "BagIt check: $(cat "$T/bag.out")"
}

# start_tsa -- the local TSA of the timestamp tests (support/), on 127.0.0.1; sets $TSA.
start_tsa() {
    command -v openssl >/dev/null || skip "openssl (the command) is needed for the local TSA"
    bash "$TESTS_DIR/support/make_tsa_pki.sh" "$T/pki"
    "$PY" "$TESTS_DIR/support/tsa_server.py" "$T/pki" "$T/tsa.port" >/dev/null 2>"$T/tsa.log" &
    local pid=$!
    at_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
    local i
    for i in $(seq 200); do
        [[ -s $T/tsa.port ]] && break
        sleep 0.05
    done
    [[ -s $T/tsa.port ]] || fail "the TSA server did not start: $(cat "$T/tsa.log")"
    TSA="http://127.0.0.1:$(cat "$T/tsa.port")"
}

test_seal_with_tsa() {
    setup
    start_tsa
    local sealed_head
    sealed_head=$(manifest_head "$C")
    # --no-report: the token covers the head before the seal (seal_records_report_with_tsa
    # covers the default, where that head is the report recorded first)
    expect_exit 0 cbkit --case "$C" seal --key "$T/examiner.key" --out "$T/a.tar.gz" --tsa "$TSA/tsr" --tsa-ca "$T/pki/ca.pem" --no-report
    expect_receipt "$C"
    SEAL_HEAD=$RECEIPT_HEAD
    SEAL_SEQ=$(($(manifest_lines "$C") - 1))
    local dir
    dir="seals/$(printf %06d "$SEAL_SEQ")-seal"
    # The unified token record (issue 11): covers first, the token, its request and the TSA
    # chain as files with roles, as capture-url --tsa and timestamp record them.
    expect_line_jq "$C" "$SEAL_SEQ" ".seal.timestamp.covers == {\"seq\": $((SEAL_SEQ - 1)), \"head\": \"$sealed_head\"}" \
        "[.files[].path] | index(\"$dir/timestamp.tsr\") != null" \
        '[.files[].role] == ["checkpoint", "public-key", "token", "token-request", "tsa-chain"]' \
        '.seal.timestamp.tsa.time | endswith("Z")' '.seal.timestamp.verification.chain == true'
    # The token covers the sealed head, checkable with openssl alone.
    expect_exit 0 openssl ts -verify -digest "$sealed_head" -in "$C/$dir/timestamp.tsr" -CAfile "$T/pki/ca.pem" -untrusted "$C/$dir/tsa-chain.pem"
    expect_verify_ok "$C" --pubkey "$T/examiner.pub" --tsa-ca "$T/pki/ca.pem"
    expect_exit 0 cbkit verify "$T/a.tar.gz" --pubkey "$T/examiner.pub" --tsa-ca "$T/pki/ca.pem" --json
    expect_jq '.ok' '.bag.signature_ok'
    extract "$T/a.tar.gz" "$T/x"
    cmp -s "$BAG/seal/timestamp.tsr" "$C/$dir/timestamp.tsr" || fail "seal/timestamp.tsr is not the recorded token"
    grep -q "openssl ts -verify -digest $sealed_head" "$BAG/seal/VERIFY.txt" || fail "VERIFY.txt does not explain the token"
    # Against another CA the token does not chain: the seal's token check fails.
    expect_exit 1 cbkit verify "$T/a.tar.gz" --pubkey "$T/examiner.pub" --tsa-ca "$T/pki/other-ca.pem" --json
    expect_finding seal-token-invalid "$SEAL_SEQ"
    # The line's record of the token is checked against the token: an edited TSA time is caught.
    cp -a "$C" "$T/edited"
    chmod u+w "$T/edited/manifest.jsonl"
    sed -i '$s/\("tsa":{"url":"[^"]*","time":"\)[0-9]\{4\}/\11999/' "$T/edited/manifest.jsonl"
    [[ $(tail -n1 "$T/edited/manifest.jsonl") == *'"tsa":{"url":"'*'","time":"1999'* ]] || fail "the test did not edit the seal's TSA time"
    expect_exit 1 cbkit verify "$T/edited" --pubkey "$T/examiner.pub" --tsa-ca "$T/pki/ca.pem" --json
    expect_finding seal-token-invalid "$SEAL_SEQ"
    # A TSA that cannot be reached records nothing.
    local lines
    lines=$(manifest_lines "$C")
    expect_exit 3 cbkit --case "$C" seal --key "$T/examiner.key" --out "$T/b.tar" --tsa "http://127.0.0.1:9/tsr" --no-report
    expect_eq "$(manifest_lines "$C")" "$lines" "lines after a failed TSA"
    [[ ! -e $T/b.tar ]] || fail "an archive was written"
}


# cbkit-seal(1): seal first records the report of exactly the state it seals, as the line
# just before the seal line, so the archive's data/report.html is the sealed state.
test_seal_records_report() {
    setup
    expect_exit 0 cbkit --case "$C" report --record --lang fr
    local before
    before=$(manifest_lines "$C")
    expect_exit 0 cbkit --case "$C" seal --key "$T/examiner.key" --out "$T/a.tar" --json
    expect_json_receipt "$C" $((before + 1))
    SEAL_SEQ=$(jout .seq)
    local rseq=$((SEAL_SEQ - 1))
    # the report line describes the line before it; the seal covers the report line
    expect_line_jq "$C" "$rseq" '.kind == "report"' '.report.format == "html"' \
        ".report.describes.seq == $((rseq - 1))" ".report.describes.head == \"$(line_hash "$C" $((rseq - 1)))\""
    # no --report-lang and no language in the case: that of the newest recorded report
    expect_line_jq "$C" "$rseq" '.report.lang == "fr"'
    expect_jq ".report.seq == $rseq" ".report.lang == \"fr\"" ".sealed_head == \"$(line_hash "$C" "$rseq")\"" \
        ".report.path == \"$(jline "$C" "$rseq" '.files[0].path')\""
    extract "$T/a.tar" "$T/x"
    cmp -s "$BAG/data/report.html" "$C/$(jline "$C" "$rseq" '.files[0].path')" || fail "data/report.html is not the report of the sealed state"
    expect_verify_ok "$T/a.tar" --pubkey "$T/examiner.pub"
    expect_verify_ok "$C"
    # --report-lang chooses; text output names the report before the receipt
    expect_exit 0 cbkit --case "$C" seal --key "$T/examiner.key" --out "$T/b.tar" --report-lang nl
    expect_receipt "$C"
    expect_stdout_matches '^report evidence/[0-9]{6}-report/report\.html \(nl, line [0-9]+\)$'
    expect_line_jq "$C" $(($(manifest_lines "$C") - 2)) '.kind == "report"' '.report.lang == "nl"'
    # --no-report: the seal line follows the head as it was
    before=$(manifest_lines "$C")
    expect_exit 0 cbkit --case "$C" seal --key "$T/examiner.key" --out "$T/c.tar" --no-report --json
    expect_json_receipt "$C" "$before"
    expect_jq '.report == null'
    # bad --report-lang: usage error, nothing written
    snap_save "$C"
    expect_exit 2 cbkit --case "$C" seal --key "$T/examiner.key" --out "$T/d.tar" --report-lang es
    expect_error_line "--report-lang" "es" "en, nl, fr or de"
    snap_check "$C"
}

# With --tsa, the token covers the head the seal line follows: the report's.
test_seal_records_report_with_tsa() {
    setup
    start_tsa
    expect_exit 0 cbkit --case "$C" seal --key "$T/examiner.key" --out "$T/a.tar" --tsa "$TSA/tsr" --tsa-ca "$T/pki/ca.pem"
    expect_receipt "$C"
    local seal_seq=$(($(manifest_lines "$C") - 1))
    expect_line_jq "$C" $((seal_seq - 1)) '.kind == "report"' '.report.lang == "en"'
    expect_line_jq "$C" "$seal_seq" ".seal.timestamp.covers == {\"seq\": $((seal_seq - 1)), \"head\": \"$(line_hash "$C" $((seal_seq - 1)))\"}"
    expect_verify_ok "$T/a.tar" --pubkey "$T/examiner.pub" --tsa-ca "$T/pki/ca.pem"
}

# cbkit-keygen(1): no private key inside a case folder (at any depth) unless --force.
test_keygen_refuses_inside_a_case() {
    setup
    mkdir -p "$C/evidence/sub"
    snap_save "$C"
    expect_exit 2 cbkit keygen --out "$C/examiner"
    expect_error_line "$C" "--force"
    expect_exit 2 cbkit keygen --out "$C/evidence/sub/k"
    expect_error_line "$C" "--force"
    # from inside the case, with a relative name (the counsellor's trap)
    (cd "$C/evidence/sub" && expect_exit 2 cbkit keygen --out examiner)
    expect_error_line "$C"
    snap_check "$C"
    # --force writes it; verify then warns about it, and about a PEM key under any name
    expect_exit 0 cbkit keygen --out "$C/examiner" --force
    [[ -f $C/examiner.key ]] || fail "keygen --force wrote no key"
    verify_json "$C"
    expect_eq "$LAST_RC" 0 "verify exit with a key in the case (a warning)"
    expect_jq '[.findings[] | select(.code == "private-key-in-case")] | length == 1' \
        '[.findings[] | select(.code == "private-key-in-case")][0] | .severity == "warning" and .path == "examiner.key"'
    rm -f "$C/examiner.key"
    cp "$T/examiner.key" "$C/evidence/sub/notes.txt"
    verify_json "$C"
    expect_jq '[.findings[] | select(.code == "private-key-in-case" and .path == "evidence/sub/notes.txt" and .severity == "warning")] | length == 1'
    # a key outside every case is not a finding; keygen outside a case needs no --force
    rm -f "$C/evidence/sub/notes.txt"
    expect_verify_ok "$C"
    expect_jq '[.findings[] | select(.code == "private-key-in-case")] == []'
}

# cbkit-verify(1): an extracted archive (the bag folder or its data/) is verified like the
# archive, without the file-writable warnings extraction causes, never as "not a case".
# A full disk while the archive is written: the seal line is recorded (said once, with the
# way to write the archive later), and nothing claims it was not.
test_disk_full_while_writing_the_archive() {
    setup
    mkdir -p "$T/small"
    mount -t tmpfs -o size=64k tmpfs "$T/small" 2>/dev/null || skip "cannot mount a small tmpfs here (needs root in a machine that allows mounts)"
    expect_exit 6 cbkit --case "$C" seal --key "$T/examiner.key" --out "$T/small/case.tar"
    expect_error_line "No space left on device" "was recorded but no archive was written" "cbkit pack --seal"
    grep -qF "not recorded" "$ERR" && fail "the message says both that the seal was and was not recorded: $(cat "$ERR")"
    expect_line_jq "$C" 5 '.kind == "seal"'  # line 4 is the report the seal records first
    umount "$T/small"
    expect_exit 0 cbkit --case "$C" pack --seal 5 --key "$T/examiner.key" --out "$T/case.tar"
    expect_exit 0 cbkit verify "$T/case.tar"
}

test_verify_extracted_bag() {
    setup
    seal_to "$T/a.tar.gz"
    mkdir "$T/x"
    tar -xzf "$T/a.tar.gz" -C "$T/x"
    BAG=$(echo "$T"/x/*)
    local dir
    for dir in "$BAG" "$BAG/data" "$BAG/data/" "$T/x"; do
        expect_exit 0 cbkit verify "$dir" --json --pubkey "$T/examiner.pub"
        expect_one_json_doc
        expect_jq '.ok == true' ".bag_folder == \"$BAG\"" '.bag.signature_ok == true' '.bag.pinned == true' \
            "[.findings[] | select(.code == \"file-writable\")] == []" "[.findings[] | select(.severity == \"error\")] == []" \
            ".head == \"$SEAL_HEAD\"" ".seq == $SEAL_SEQ" ".files_checked >= 5"
    done
    # text, from inside data/evidence (discovery finds data/, which is the bag's)
    (cd "$BAG/data/evidence" && expect_exit 0 cbkit verify)
    expect_stdout_contains "bag folder $BAG"
    grep -q "cbkit init" "$OUT" "$ERR" && fail "verify suggested cbkit init for a bag"
    # a changed evidence file in the extracted folder: the hash finding (twice: BagIt and case)
    local f
    # (photo.jpg holds "not really a jpeg": 'n' becomes 'N', same size)
    f="$BAG/data/$(jline "$C" 1 '.files[0].path')"
    [[ $(head -c1 "$f") == n ]] || fail "unexpected content of $f"
    chmod u+w "$f"
    printf 'N' | dd of="$f" bs=1 seek=0 conv=notrunc status=none
    verify_json "$BAG"
    expect_eq "$LAST_RC" 1 "verify exit on a changed extracted file"
    expect_finding file-hash-mismatch 1 "$(jline "$C" 1 '.files[0].path')"
    expect_jq '.ok == false'
    verify_json "$BAG/data"
    expect_eq "$LAST_RC" 1 "verify exit on data/ with a changed file"
    # an unlisted file added to a fresh extraction's data/ is found too
    chmod -R u+w "$T/x" && rm -rf "$T/x" && mkdir "$T/x" && tar -xzf "$T/a.tar.gz" -C "$T/x"
    mkfile "$BAG/data/evidence/extra.txt" "added later"
    verify_json "$BAG"
    expect_eq "$LAST_RC" 1 "verify exit with an added file"
    expect_finding unrecorded-file
}

run_tests "$@"
