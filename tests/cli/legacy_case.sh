#!/usr/bin/env bash
# The reference case of cbkit 0.1.0 (tests/fixtures/case-v0.1.0, see its README.md): a case
# and its sealed archive written by an earlier cbkit, one entry of every kind. The binary
# under test must still verify, log, show, report and seal them, and a one-byte change to
# any recorded file, to any manifest line or to the archive's members must still be caught.
# Every test works on a fresh copy; the fixture itself is never written to.
#
# What is asserted is what a later version must keep: exit codes, finding codes, seqs, kinds,
# hashes, the head, and facts of the evidence (subject, URL). Never the exact wording of a
# summary or a report.
source "$(dirname "$0")/lib.sh"

FIXTURE=$(cd "$TESTS_DIR/../fixtures/case-v0.1.0" && pwd)
# The head of the fixture's manifest (its seal line, seq 7), as printed by the seal's receipt
# and written in the fixture's README.md.
FIXTURE_HEAD=2445236c66e1e9919bceb5cad6c96615a55de4227d8cae9f5c54ea05fe7fd456
LAST_SEQ=7
KINDS=(case file note email web timestamp report seal)
SUBJECT="Laatste herinnering: betaling voor vrijdag"

# fresh_case -- a copy of the fixture's case in $C, with the modes cbkit gave its files and
# folders (git keeps none of them; modes.txt lists them).
fresh_case() {
    C="$T/case"
    rm -rf "$C" 2>/dev/null || { chmod -R u+w "$C" && rm -rf "$C"; }
    cp -R "$FIXTURE/case" "$C"
    local type mode path
    # folders first (git keeps no empty one), then the modes
    while read -r type mode path; do
        [[ $type != d ]] || mkdir -p "$C/$path"
    done <"$FIXTURE/modes.txt"
    while read -r type mode path; do
        chmod "$mode" "$C/$path"
    done <"$FIXTURE/modes.txt"
}

# verify_fixture TARGET [ARGS...] -- verify --json pinned to the fixture's TSA root.
verify_fixture() {
    verify_json "$1" --tsa-ca "$FIXTURE/tsa-ca.pem" "${@:2}"
}

# expect_caught WHAT -- the last verify failed (exit 1) with at least one error finding.
expect_caught() {
    [[ $LAST_RC == 1 ]] || _fail_with_outputs "$1: verify exited $LAST_RC, not 1"
    expect_one_json_doc
    expect_jq '.ok == false' '[.findings[] | select(.severity == "error")] | length >= 1'
}

# flip_byte FILE OFFSET -- XOR the byte at OFFSET with 0x01 (the file made writable first).
flip_byte() {
    chmod u+w "$1"
    local b
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    [[ -n $b ]] || fail "$1 has no byte at offset $2"
    printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# recorded_files -- "SEQ PATH SIZE" for every file of every line of the fixture's manifest.
recorded_files() {
    jq -r '.seq as $s | .files[] | "\($s) \(.path) \(.size)"' "$FIXTURE/case/manifest.jsonl"
}

# ---------------------------------------------------------------- reading

test_fixture_intact() {
    # The README names the head the tests pin, and the fixture's manifest still ends there.
    grep -qF "$FIXTURE_HEAD" "$FIXTURE/README.md" || fail "README.md does not name the head $FIXTURE_HEAD"
    expect_eq "$(manifest_head "$FIXTURE/case")" "$FIXTURE_HEAD" "head of the fixture's manifest"
    expect_eq "$(manifest_lines "$FIXTURE/case")" $((LAST_SEQ + 1)) "lines of the fixture's manifest"
    expect_eq "$(jq -r .kind "$FIXTURE/case/manifest.jsonl" | tr '\n' ' ')" "${KINDS[*]} " "kinds of the fixture's lines"
    expect_chain "$FIXTURE/case"
    # Every recorded file is in the fixture as recorded (git changed no byte, e.g. no CR LF).
    local seq path size
    while read -r seq path size; do
        [[ -f $FIXTURE/case/$path ]] || fail "the fixture lacks $path (seq $seq)"
        expect_eq "$(size_of "$FIXTURE/case/$path")" "$size" "size of the fixture's $path"
    done < <(recorded_files)
}

test_verify() {
    fresh_case
    expect_verify_ok "$C" --tsa-ca "$FIXTURE/tsa-ca.pem" --pubkey "$FIXTURE/examiner.pub" --expect-head "$FIXTURE_HEAD"
    expect_jq ".head == \"$FIXTURE_HEAD\"" ".seq == $LAST_SEQ" ".entries == $((LAST_SEQ + 1))" \
        ".expect_head.found_at_seq == $LAST_SEQ" '.expect_head.entries_after == 0' \
        "[.findings[] | select(.code == \"timestamp-unpinned\" or .code == \"seal-unpinned\" or .code == \"file-writable\")] == []"
    local files
    files=$(recorded_files | wc -l)
    expect_jq ".files_checked >= $files"
    # Without the pins it still passes (unpinned is a warning), in text too.
    expect_verify_ok "$C"
    expect_exit 0 cbkit verify "$C" --expect-head "$FIXTURE_HEAD"
    expect_stdout_contains "$FIXTURE_HEAD"
    # Every line still validates against the manifest's JSON Schema.
    "$PY" "$MTOOL" schema "$C/manifest.jsonl" "$CBKIT_SCHEMA" >"$T/schema.out" 2>&1 ||
        fail "the fixture's lines do not validate against $CBKIT_SCHEMA: $(head -c 2000 "$T/schema.out")"
}

test_verify_archive() {
    expect_exit 0 cbkit verify "$FIXTURE/case.tar.gz" --pubkey "$FIXTURE/examiner.pub" --tsa-ca "$FIXTURE/tsa-ca.pem" \
        --expect-head "$FIXTURE_HEAD" --json
    expect_one_json_doc
    expect_jq '.ok == true' '[.findings[] | select(.severity == "error")] == []' ".head == \"$FIXTURE_HEAD\"" \
        ".seq == $LAST_SEQ" '.bag.signature_ok == true'
    expect_exit 0 cbkit verify "$FIXTURE/case.tar.gz"
    # Another key is refused.
    expect_exit 0 cbkit keygen --out "$T/other"
    run_rc cbkit verify "$FIXTURE/case.tar.gz" --pubkey "$T/other.pub" --json
    expect_caught "the archive checked with another key"
}

test_log() {
    fresh_case
    snap_save "$C"
    expect_exit 0 cbkit --case "$C" log --json
    expect_one_json_doc
    local kinds
    kinds=$(printf '"%s",' "${KINDS[@]}")
    expect_jq ".head == \"$FIXTURE_HEAD\"" ".seq == $LAST_SEQ" "[.entries[].seq] == [range(0; $((LAST_SEQ + 1)))]" \
        "[.entries[].kind] == [${kinds%,}]" '[.entries[].summary | type == "string" and length > 0] | all' \
        "[.entries[].files] == $(jq -s -c 'map(.files | length)' "$C/manifest.jsonl")"
    local seq
    for seq in $(seq 0 $LAST_SEQ); do
        expect_jq ".entries[$seq].hash == \"$(line_hash "$C" "$seq")\""
    done
    # Every kind is summarised in words (issue 11), not as a list of file paths.
    local url tsa
    url=$(jline "$C" 4 .web.url)
    tsa=$(jline "$C" 5 .timestamp.tsa.url)
    expect_jq '.entries[0].summary | startswith("case ")' \
        ".entries[3].summary | contains(\"$SUBJECT\")" \
        ".entries[4].summary | startswith(\"$url \u2014 HTTP 200\") and contains(\"rendered in a browser\") and contains(\"RFC 3161 token\")" \
        ".entries[5].summary | startswith(\"RFC 3161 token from $tsa, TSA time \") and contains(\"over the head after line 4\")" \
        '.entries[6].summary | startswith("report (nl, html) of lines 0 to 5")' \
        ".entries[7].summary | startswith(\"seal of lines 0 to 6 (head \") and contains(\"archive \") and contains(\"RFC 3161 token\")" \
        '[.entries[].summary | test("^(evidence|seals)/")] | any | not'
    expect_exit 0 cbkit --case "$C" log
    # One row per seq with its time and its whole kind.
    for seq in $(seq 0 $LAST_SEQ); do
        grep -qE "^ *$seq +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z +${KINDS[seq]} " "$OUT" ||
            _fail_with_outputs "log has no row for seq $seq (${KINDS[seq]})"
    done
    expect_stdout_contains "$FIXTURE_HEAD"
    snap_check "$C"
}

test_show() {
    fresh_case
    snap_save "$C"
    local seq
    for seq in $(seq 0 $LAST_SEQ); do
        expect_exit 0 cbkit --case "$C" show "$seq" --json
        expect_one_json_doc
        # The line given back as parsed: the same JSON as the stored line.
        line_at "$C" "$seq" >"$T/line.json"
        expect_jq ".seq == $seq" ".hash == \"$(line_hash "$C" "$seq")\"" ".entry.kind == \"${KINDS[seq]}\"" \
            ".entry == $(cat "$T/line.json")"
        expect_exit 0 cbkit --case "$C" show "$seq"
        expect_stdout_contains "${KINDS[seq]}"
        expect_stdout_contains "$(line_hash "$C" "$seq")"
        local path
        for path in $(jline "$C" "$seq" '.files[].path'); do
            expect_stdout_contains "$path"
        done
    done
    expect_exit 0 cbkit --case "$C" show 3
    expect_stdout_contains "$SUBJECT"
    snap_check "$C"
}

test_report() {
    fresh_case
    snap_save "$C"
    local url lang fmt
    url=$(jline "$C" 4 .web.url)
    for lang in en nl fr; do
        for fmt in html md txt; do
            expect_exit 0 cbkit --case "$C" report --lang "$lang" --format "$fmt" --out "$T/r.$lang.$fmt"
            local what
            for what in FIXTURE-0.1.0 "$FIXTURE_HEAD" "$url" "$(jline "$C" 1 '.files[0].sha256')" \
                "$(jline "$C" 3 '.files[0].sha256')" "$(jline "$C" 6 '.files[0].path')"; do
                grep -qF -- "$what" "$T/r.$lang.$fmt" || fail "report --lang $lang --format $fmt does not name '$what'"
            done
            grep -qF "$SUBJECT" "$T/r.$lang.$fmt" || fail "report --lang $lang --format $fmt lacks the e-mail's subject"
        done
    done
    grep -q '^<!DOCTYPE html>\|^<!doctype html>' "$T/r.en.html" || fail "the HTML report is not HTML"
    # --json gives the report in .content, describing the fixture's head.
    expect_exit 0 cbkit --case "$C" --json report --format txt
    expect_one_json_doc
    expect_jq ".describes.head == \"$FIXTURE_HEAD\"" ".describes.seq == $LAST_SEQ" '.content | contains("FIXTURE-0.1.0")'
    snap_check "$C"
    # --record appends a report entry that verifies.
    expect_exit 0 cbkit --case "$C" report --record --lang fr --format md
    expect_receipt "$C" $((LAST_SEQ + 1))
    expect_line_jq "$C" $((LAST_SEQ + 1)) '.kind == "report"' ".report.describes.head == \"$FIXTURE_HEAD\""
    expect_verify_ok "$C" --tsa-ca "$FIXTURE/tsa-ca.pem" --expect-head "$FIXTURE_HEAD"
}

test_seal_again() {
    fresh_case
    expect_exit 0 cbkit keygen --out "$T/new"
    # --no-report: the fixture sealed again as it is, its own recorded report in the archive
    expect_exit 0 cbkit --case "$C" seal --key "$T/new.key" --out "$T/again.tar.gz" --no-report
    expect_receipt "$C" $((LAST_SEQ + 1))
    expect_line_jq "$C" $((LAST_SEQ + 1)) '.kind == "seal"' ".prev == \"$FIXTURE_HEAD\""
    # It holds two seals by two keys, so no one --pubkey pins both: checked with the keys it
    # carries, it verifies; pinned to the new key, the archive's signature and the new seal hold.
    expect_exit 0 cbkit verify "$T/again.tar.gz" --tsa-ca "$FIXTURE/tsa-ca.pem" --expect-head "$FIXTURE_HEAD" --json
    expect_one_json_doc
    expect_jq '.ok == true' '.bag.signature_ok == true' ".seq == $((LAST_SEQ + 1))" ".expect_head.found_at_seq == $LAST_SEQ" \
        "[.findings[] | select(.severity == \"error\")] == []"
    run_rc cbkit verify "$T/again.tar.gz" --pubkey "$T/new.pub" --tsa-ca "$FIXTURE/tsa-ca.pem" --json
    expect_one_json_doc
    expect_jq '.bag.signature_ok == true' '.bag.pinned == true' \
        "[.seals[] | select(.seq == $((LAST_SEQ + 1))) | .ok and .pinned] == [true]" \
        "[.findings[] | select(.severity == \"error\" and .seq != $LAST_SEQ)] == []"
    # The new archive holds the fixture's files as they were, and its newest report.
    mkdir "$T/x"
    tar -xzf "$T/again.tar.gz" -C "$T/x"
    local bag seq path size
    bag=$(echo "$T"/x/*)
    while read -r seq path size; do
        cmp -s "$bag/data/$path" "$FIXTURE/case/$path" || fail "the new archive's data/$path differs from the fixture's"
    done < <(recorded_files)
    cmp -s "$bag/data/report.html" "$FIXTURE/case/$(jline "$C" 6 '.files[0].path')" ||
        fail "data/report.html is not the fixture's recorded report"
    # The case with both seals: each checked with the key it names.
    expect_verify_ok "$C" --tsa-ca "$FIXTURE/tsa-ca.pem" --expect-head "$FIXTURE_HEAD"
}

# ---------------------------------------------------------------- tampering

# Every recorded file of every line, one byte changed in its middle: file-hash-mismatch.
test_tamper_every_file() {
    local seq path size n=0
    while read -r seq path size; do
        fresh_case
        if [[ $size == 0 ]]; then
            chmod u+w "$C/$path"
            printf x >>"$C/$path"
        else
            flip_byte "$C/$path" $((size / 2))
        fi
        verify_fixture "$C" --pubkey "$FIXTURE/examiner.pub"
        expect_caught "one byte of $path (seq $seq) changed"
        if [[ $size == 0 ]]; then
            expect_finding file-size-mismatch "$seq" "$path"
        else
            expect_finding file-hash-mismatch "$seq" "$path"
        fi
        n=$((n + 1))
    done < <(recorded_files)
    expect_eq "$n" 23 "recorded files in the fixture"
}

# value_flip LINE -- LINE with one letter or digit changed inside a string value near its middle
# (still valid JSON); the changed key is printed on stderr.
value_flip() {
    "$PY" - "$1" <<'EOF'
import json, re, sys
line = sys.argv[1]
middle = len(line) // 2
best = None
for m in re.finditer(r'"((?:[^"\\]|\\.)*)"', line):
    rest = line[m.end():].lstrip()
    if rest.startswith(":"):
        continue  # a key, not a value
    i = m.start(1)
    while i < m.end(1):
        c = line[i]
        if c == "\\":
            i += 6 if line[i + 1] == "u" else 2
            continue
        if c.isascii() and c.isalnum() and (best is None or abs(i - middle) < abs(best - middle)):
            best = i
        i += 1
c = line[best]
nc = "0123456789"[(int(c) + 1) % 10] if c.isdigit() else chr((ord(c.lower()) - 97 + 1) % 26 + 97)
nc = nc.upper() if c.isupper() else nc
new = line[:best] + nc + line[best + 1:]
assert json.loads(new) != json.loads(line)
print(f"changed {c!r} to {nc!r} at column {best}", file=sys.stderr)
print(new)
EOF
}

# replace_line CASE N TEXT -- line N of the manifest replaced by TEXT (LF kept).
replace_line() {
    chmod u+w "$1/manifest.jsonl"
    "$PY" - "$1/manifest.jsonl" "$2" "$3" <<'EOF'
import sys
path, n, text = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = open(path, "rb").read().split(b"\n")
lines[n] = text.encode()
open(path, "wb").write(b"\n".join(lines))
EOF
}

# One value changed in each line: the chain breaks at the next line; the last line (the seal)
# is caught by the receipt's head.
test_tamper_every_line_value() {
    local seq
    for seq in $(seq 0 $LAST_SEQ); do
        fresh_case
        value_flip "$(line_at "$C" "$seq")" >"$T/new.line" 2>"$T/flip.txt"
        replace_line "$C" "$seq" "$(cat "$T/new.line")"
        [[ $(manifest_lines "$C") == $((LAST_SEQ + 1)) ]] || fail "the edit changed the number of lines"
        verify_fixture "$C" --pubkey "$FIXTURE/examiner.pub" --expect-head "$FIXTURE_HEAD"
        expect_caught "line $seq edited ($(cat "$T/flip.txt"))"
        if ((seq < LAST_SEQ)); then
            expect_finding prev-mismatch $((seq + 1))
        else
            expect_finding expect-head-not-found
        fi
    done
}

# One raw byte flipped in the middle of each line.
test_tamper_every_line_byte() {
    local seq offset
    for seq in $(seq 0 $LAST_SEQ); do
        fresh_case
        offset=$(($(head -n "$seq" "$C/manifest.jsonl" | wc -c) + $(line_at "$C" "$seq" | wc -c) / 2))
        flip_byte "$C/manifest.jsonl" "$offset"
        verify_fixture "$C" --pubkey "$FIXTURE/examiner.pub" --expect-head "$FIXTURE_HEAD"
        expect_caught "line $seq: byte $offset flipped"
    done
}

# archive_members TAR -- "OFFSET SIZE NAME" of every regular member with data, in TAR
# (uncompressed).
archive_members() {
    "$PY" - "$1" <<'EOF'
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    for m in t.getmembers():
        if m.isfile() and m.size > 0:
            print(m.offset_data, m.size, m.name)
EOF
}

# One byte flipped in the middle of each member of the fixture's archive (recompressed): the
# archive fails to verify.
test_tamper_archive_members() {
    gzip -dc "$FIXTURE/case.tar.gz" >"$T/case.tar"
    archive_members "$T/case.tar" >"$T/members"
    local -A seq_of=()
    local seq path size
    while read -r seq path size; do
        seq_of[$path]=$seq
    done < <(recorded_files)
    local offset name n=0
    while read -r offset size name; do
        cp "$T/case.tar" "$T/t.tar"
        flip_byte "$T/t.tar" $((offset + size / 2))
        rm -f "$T/t.tar.gz"
        gzip -n "$T/t.tar"
        verify_json "$T/t.tar.gz" --pubkey "$FIXTURE/examiner.pub" --tsa-ca "$FIXTURE/tsa-ca.pem"
        expect_caught "archive member $name: one byte changed"
        # A recorded file of data/: reported as such, at its case path.
        path=${name#*/data/}
        if [[ $path != "$name" && -n ${seq_of[$path]:-} ]]; then
            expect_finding file-hash-mismatch "${seq_of[$path]}" "$path"
            n=$((n + 1))
        fi
    done <"$T/members"
    expect_eq "$n" "${#seq_of[@]}" "recorded files found among the archive's members"
    # And in the compressed bytes themselves.
    local len
    len=$(size_of "$FIXTURE/case.tar.gz")
    for offset in 100 $((len / 3)) $((len / 2)) $((len - 20)); do
        cp "$FIXTURE/case.tar.gz" "$T/t.tar.gz"
        flip_byte "$T/t.tar.gz" "$offset"
        verify_json "$T/t.tar.gz" --pubkey "$FIXTURE/examiner.pub" --tsa-ca "$FIXTURE/tsa-ca.pem"
        expect_caught "archive byte $offset flipped"
    done
}

run_tests "$@"
