#!/usr/bin/env bash
# Tampering: each case must make `cbkit verify` exit 1 and report the expected
# finding code in --json. Lines (1-based for sed): 1=seq0 case, 2=seq1 file a.txt,
# 3=seq2 files b.bin c.txt, 4=seq3 note, 5=seq4 file d.txt, 6=seq5 note.
source "$(dirname "$0")/lib.sh"

setup() {
    C="$T/case"
    M="$C/manifest.jsonl"
    new_case "$C"
    mkfile "$T/in/a.txt" "alpha content"
    add "$T/in/a.txt"
    mkrandom "$T/in/b.bin" 5000
    mkfile "$T/in/c.txt" "charlie"
    add "$T/in/b.bin" "$T/in/c.txt"
    note "middle note"
    mkfile "$T/in/d.txt" "delta"
    add "$T/in/d.txt"
    note "last note"
    H0=$(manifest_head "$C")
    expect_verify_ok "$C"
    E="$C/evidence"
}

# writable PATH... -- stored evidence is 0444 in 0555 folders; open them up.
writable() {
    local p
    for p in "$@"; do
        chmod u+w "$p"
    done
}

# expect_tampered CODE SEQ PATH [VERIFY ARGS...] -- verify exits 1, ok:false,
# and reports CODE (severity error; with SEQ / PATH when not empty).
expect_tampered() {
    local code=$1 seq=$2 path=$3
    shift 3
    CBKIT_CMD_TIMEOUT=20 verify_json "$C" "$@"
    [[ $LAST_RC == 1 ]] || _fail_with_outputs "verify after tampering: expected exit 1, got $LAST_RC"
    expect_one_json_doc
    expect_jq '.ok == false' \
        "$(finding_filter "$code" "$seq" "$path")" \
        "[.findings[] | select(.code == \"$code\") | .severity] | all(. == \"error\")" \
        '[.findings[] | .code, .severity, .message | type == "string"] | all'
}

# ---------------------------------------------------------------- stored files

test_edit_stored_file() {
    setup
    writable "$E/000001-file/a.txt"
    printf 'A' | dd of="$E/000001-file/a.txt" bs=1 seek=0 conv=notrunc status=none
    expect_eq "$(size_of "$E/000001-file/a.txt")" 13 "size after edit"
    expect_tampered file-hash-mismatch 1 evidence/000001-file/a.txt
}

test_truncate_stored_file() {
    setup
    writable "$E/000002-file/c.txt"
    truncate -s 3 "$E/000002-file/c.txt"
    expect_tampered file-size-mismatch 2 evidence/000002-file/c.txt
}

test_replace_with_same_size_file() {
    setup
    writable "$E/000002-file"
    mkrandom "$T/other.bin" 5000
    mv -f "$T/other.bin" "$E/000002-file/b.bin"
    expect_tampered file-hash-mismatch 2 evidence/000002-file/b.bin
}

test_delete_stored_file() {
    setup
    writable "$E/000002-file"
    rm -f "$E/000002-file/c.txt"
    expect_tampered file-missing 2 evidence/000002-file/c.txt
}

test_replace_with_symlink() {
    setup
    writable "$E/000004-file"
    cp "$E/000004-file/d.txt" "$T/d-copy.txt"
    rm -f "$E/000004-file/d.txt"
    ln -s "$T/d-copy.txt" "$E/000004-file/d.txt"
    expect_tampered file-not-regular 4 evidence/000004-file/d.txt
}

test_replace_with_directory() {
    setup
    writable "$E/000004-file"
    rm -f "$E/000004-file/d.txt"
    mkdir "$E/000004-file/d.txt"
    expect_tampered file-not-regular 4 evidence/000004-file/d.txt
}

test_replace_with_fifo() {
    setup
    writable "$E/000004-file"
    rm -f "$E/000004-file/d.txt"
    mkfifo "$E/000004-file/d.txt"
    expect_tampered file-not-regular 4 evidence/000004-file/d.txt
}

test_unreadable_stored_file() {
    setup
    need_unprivileged
    [[ $(id -u) == 0 ]] && chown -R $NOBODY:$NOBODY "$C"
    chmod 000 "$E/000001-file/a.txt"
    at_exit "chmod 644 '$E/000001-file/a.txt'"
    CBKIT_CMD_TIMEOUT=20 run_rc cbkit_nobody verify "$C" --json
    [[ $LAST_RC == 1 ]] || _fail_with_outputs "verify: expected exit 1, got $LAST_RC"
    expect_jq '.ok == false'
    expect_finding file-unreadable 1 evidence/000001-file/a.txt
}

test_stray_file_under_evidence() {
    setup
    writable "$E"
    mkfile "$E/stray.txt" "planted"
    expect_tampered unrecorded-file "" evidence/stray.txt
}

test_stray_file_in_entry_folder() {
    setup
    writable "$E/000001-file"
    mkfile "$E/000001-file/extra.jpg" "planted"
    expect_tampered unrecorded-file "" evidence/000001-file/extra.jpg
}

test_stray_symlink_in_entry_folder() {
    setup
    writable "$E/000004-file"
    ln -s ../000001-file/a.txt "$E/000004-file/link.txt"
    expect_tampered unrecorded-file "" evidence/000004-file/link.txt
}

test_stray_entry_folder() {
    setup
    writable "$E"
    mkfile "$E/000009-file/x.txt" "planted"
    expect_tampered unrecorded-file "" evidence/000009-file/x.txt
}

test_leftover_incoming_folder() {
    setup
    writable "$E"
    mkfile "$E/.incoming-deadbeef/partial.bin" "half a file"
    expect_tampered unrecorded-file "" evidence/.incoming-deadbeef/partial.bin
}

# ---------------------------------------------------------------- the chain

test_edit_middle_line() {
    setup
    sed -i '4s/middle note/muddle note/' "$M"
    grep -q 'muddle note' "$M" || fail "edit did not apply"
    expect_tampered prev-mismatch 4 ""
}

test_edit_last_line_with_expect_head() {
    setup
    sed -i '6s/last note/lost note/' "$M"
    grep -q 'lost note' "$M" || fail "edit did not apply"
    # the chain alone cannot see an edited last line; the receipt can
    expect_exit 0 cbkit verify "$C" --json
    expect_tampered expect-head-not-found "" "" --expect-head "$H0"
}

test_reorder_two_lines() {
    setup
    sed -i '4{h;d};5{G}' "$M"
    expect_eq "$(jline "$C" 3 .seq)" 4 "seq at position 3 after the swap"
    expect_tampered seq-mismatch 3 ""
}

test_drop_middle_line() {
    setup
    sed -i '4d' "$M"
    expect_tampered seq-mismatch 3 ""
}

test_drop_last_line_with_expect_head() {
    setup
    sed -i '$d' "$M"
    expect_tampered expect-head-not-found "" "" --expect-head "$H0"
}

test_duplicate_line() {
    setup
    sed -i '4p' "$M"
    expect_eq "$(manifest_lines "$C")" 7 "lines after duplicating"
    expect_tampered seq-mismatch 4 ""
}

test_break_prev() {
    setup
    "$PY" "$MTOOL" set "$M" 4 prev "\"$(printf 'f%.0s' {1..64})\""
    expect_tampered prev-mismatch 4 ""
}

test_change_seq() {
    setup
    "$PY" "$MTOOL" set "$M" 5 seq 7
    expect_tampered seq-mismatch 5 ""
}

test_torn_last_line() {
    setup
    truncate -s -1 "$M"
    expect_tampered line-torn 5 ""
}

test_torn_partial_line_appended() {
    setup
    printf '{"seq":6,"prev":"%s","ti' "$H0" >>"$M"
    expect_tampered line-torn 6 ""
}

test_crlf_line_ending() {
    setup
    sed -i '$ s/$/\r/' "$M"
    expect_eq "$(tail -c2 "$M" | hexdump_)" 0d0a "last two bytes"
    expect_tampered line-crlf 5 ""
}

test_noncanonical_whitespace() {
    setup
    sed -i '$ s/"seq":5,/"seq": 5,/' "$M"
    grep -q '"seq": 5,' "$M" || fail "edit did not apply"
    expect_tampered line-not-canonical 5 ""
}

test_noncanonical_escape() {
    setup
    sed -i '$ s/last note/l\\u0061st note/' "$M"
    grep -qF 'l\u0061st note' "$M" || fail "edit did not apply"
    expect_tampered line-not-canonical 5 ""
}

test_noncanonical_key_order() {
    setup
    local last
    last=$(tail -n1 "$M" | jq -c '{prev: .prev} + del(.prev)')
    [[ $last == '{"prev":'* ]] || fail "reordering failed: $last"
    sed -i '$d' "$M"
    printf '%s\n' "$last" >>"$M"
    expect_tampered line-not-canonical 5 ""
}

test_first_line_not_case() {
    setup
    "$PY" "$MTOOL" set "$M" 0 kind '"note"'
    expect_tampered first-line-not-case 0 ""
}

test_case_line_repeated() {
    setup
    "$PY" "$MTOOL" append-copy "$M" 0
    expect_tampered case-line-repeated 6 ""
}

test_invalid_json_line() {
    setup
    sed -i '$d' "$M"
    printf '{"seq":5,"prev":"%s",\n' "$(line_hash "$C" 4)" >>"$M"
    expect_tampered line-invalid-json 5 ""
}

test_line_not_an_object() {
    setup
    printf '[5,"not an object"]\n' >>"$M"
    expect_tampered line-invalid-json 6 ""
}

test_line_not_utf8() {
    setup
    LC_ALL=C sed -i $'$ s/last note/last \xff note/' "$M"
    LC_ALL=C grep -q $'\xff' "$M" || fail "edit did not apply"
    expect_tampered line-invalid-json 5 ""
}

test_line_too_long() {
    setup
    {
        printf '{"seq":6,"prev":"%s","pad":"' "$H0"
        head -c $((17 * 1024 * 1024)) /dev/zero | tr '\0' 'a'
        printf '"}\n'
    } >>"$M"
    expect_tampered line-too-long 6 ""
}

test_missing_required_field() {
    setup
    "$PY" "$MTOOL" set "$M" 5 actor __delete__
    expect_tampered line-invalid 5 ""
}

test_field_of_wrong_type() {
    setup
    "$PY" "$MTOOL" set "$M" 5 files '"none"'
    expect_tampered line-invalid 5 ""
}

test_file_object_without_sha256() {
    setup
    "$PY" "$MTOOL" set "$M" 4 files.0.sha256 __delete__
    expect_tampered line-invalid 4 ""
}

test_time_invalid() {
    setup
    "$PY" "$MTOOL" set "$M" 5 time '"2026-11-22 07:01:02"'
    expect_tampered time-invalid 5 ""
}

test_recorded_path_with_dotdot() {
    setup
    "$PY" "$MTOOL" set "$M" 4 files.0.path '"evidence/000004-file/../../manifest.jsonl"'
    expect_tampered file-path-invalid 4 ""
}

test_recorded_path_absolute() {
    setup
    "$PY" "$MTOOL" set "$M" 4 files.0.path '"/etc/hostname"'
    expect_tampered file-path-invalid 4 ""
}

test_recorded_path_outside_evidence() {
    setup
    "$PY" "$MTOOL" set "$M" 4 files.0.path '"seals/d.txt"'
    expect_tampered file-path-invalid 4 ""
}

test_recorded_path_backslash() {
    setup
    "$PY" "$MTOOL" set "$M" 4 files.0.path '"evidence\\000004-file\\d.txt"'
    expect_tampered file-path-invalid 4 ""
}

test_file_recorded_twice() {
    setup
    "$PY" "$MTOOL" append-copy "$M" 1
    expect_tampered file-recorded-twice 6 evidence/000001-file/a.txt
}

test_manifest_emptied() {
    setup
    : >"$M"
    expect_tampered manifest-empty "" ""
}

# ---------------------------------------------------------------- reporting

test_clean_case_verifies() {
    setup
    expect_exit 0 cbkit verify "$C" --json
    expect_jq \
        '.ok == true and .findings == [] and .entries == 6 and .files_checked == 4' \
        ".head == \"$H0\" and .seq == 5"
}

test_reports_every_problem() {
    setup
    writable "$E/000001-file/a.txt" "$E/000002-file" "$E"
    printf 'A' | dd of="$E/000001-file/a.txt" conv=notrunc status=none
    rm -f "$E/000002-file/c.txt"
    mkfile "$E/stray.txt" "planted"
    truncate -s -1 "$M"
    expect_tampered file-hash-mismatch 1 evidence/000001-file/a.txt
    expect_finding file-missing 2 evidence/000002-file/c.txt
    expect_finding unrecorded-file "" evidence/stray.txt
    expect_finding line-torn 5
}

test_two_independent_tamperings() {
    setup
    writable "$E/000004-file/d.txt"
    printf 'D' | dd of="$E/000004-file/d.txt" conv=notrunc status=none
    sed -i '4s/middle note/muddle note/' "$M"
    expect_tampered file-hash-mismatch 4 evidence/000004-file/d.txt
    expect_finding prev-mismatch 4
}

test_writable_stored_file_is_a_warning() {
    setup
    writable "$E/000001-file/a.txt"
    expect_exit 0 cbkit verify "$C" --json
    expect_jq '.ok == true' \
        '[.findings[] | select(.code == "file-writable" and .severity == "warning" and .seq == 1 and .path == "evidence/000001-file/a.txt")] | length == 1' \
        '[.findings[] | select(.severity == "error")] | length == 0'
}

test_human_output() {
    setup
    writable "$E/000001-file/a.txt"
    printf 'A' | dd of="$E/000001-file/a.txt" conv=notrunc status=none
    expect_exit 1 cbkit verify "$C"
    expect_stdout_matches '^error file-hash-mismatch .*evidence/000001-file/a\.txt.*: .+'
    tail -n1 "$OUT" | grep -qE '^FAILED: 1 problems? found' || _fail_with_outputs "last line should be 'FAILED: 1 problem(s) found ...'"
}

run_tests "$@"
