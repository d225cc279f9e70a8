#!/usr/bin/env bash
# cbkit verify on intact cases; --expect-head receipts.
source "$(dirname "$0")/lib.sh"

# 0 case, 1 file (2 files: 5 + 6 bytes), 2 note, 3 file (1 file: 12 bytes)
setup() {
    C="$T/case"
    new_case "$C" --timezone UTC
    mkfile "$T/in/a.txt" "alpha"
    mkfile "$T/in/b.txt" "bravo!"
    add "$T/in/a.txt" "$T/in/b.txt"
    H1=$(manifest_head "$C")
    note "Called 101"
    mkfile "$T/in/c.jpg" "charlie-jpeg"
    add "$T/in/c.jpg"
    H3=$(manifest_head "$C")
}

test_clean_human() {
    setup
    expect_exit 0 cbkit verify --case "$C"
    expect_eq "$(tail -n1 "$OUT")" "OK: 4 entries, 3 files (23 bytes) verified; head $H3 seq 3" "verify summary"
}

test_clean_json() {
    setup
    expect_exit 0 cbkit --case "$C" verify --json
    expect_one_json_doc
    expect_jq \
        ".case == \"$C\"" \
        '.ok == true and .entries == 4 and .files_checked == 3 and .bytes_checked == 23' \
        ".head == \"$H3\" and .seq == 3" \
        '.findings == []' \
        'has("expect_head") | not'
}

test_fresh_case() {
    C="$T/case"
    new_case "$C"
    expect_exit 0 cbkit verify "$C" --json
    expect_jq ".ok == true and .entries == 1 and .files_checked == 0 and .bytes_checked == 0 and .seq == 0 and .head == \"$(manifest_head "$C")\""
}

test_positional_case_dir() {
    setup
    mkdir "$T/elsewhere"
    cd "$T/elsewhere"
    expect_exit 0 cbkit verify "$C" --json
    expect_jq ".ok == true and .case == \"$C\""
}

test_expect_head_older_receipt() {
    setup
    expect_exit 0 cbkit verify "$C" --expect-head "$H1" --json
    expect_jq \
        '.ok == true' \
        ".expect_head == {\"hash\":\"$H1\",\"found_at_seq\":1,\"entries_after\":2}"
}

test_expect_head_current() {
    setup
    expect_exit 0 cbkit verify "$C" --expect-head "$H3" --json
    expect_jq ".ok == true and .expect_head.found_at_seq == 3 and .expect_head.entries_after == 0"
}

test_expect_head_uppercase() {
    setup
    local up
    up=$(tr a-f A-F <<<"$H1")
    expect_exit 0 cbkit verify "$C" --expect-head "$up" --json
    expect_jq '.ok == true and .expect_head.found_at_seq == 1 and .expect_head.entries_after == 2'
}

test_expect_head_human() {
    setup
    expect_exit 0 cbkit verify "$C" --expect-head "$H1"
    expect_stdout_contains "OK: 4 entries"
    # says where the receipt was found and how many entries followed it
    expect_stdout_matches 'seq 1([^0-9]|$).*2 entries|2 entries.*seq 1([^0-9]|$)'
}

test_expect_head_unknown() {
    setup
    local other
    other=$(printf 'not in this case' | sha256sum | cut -d' ' -f1)
    expect_exit 1 cbkit verify "$C" --expect-head "$other" --json
    expect_jq '.ok == false'
    expect_finding expect-head-not-found
}

test_verify_changes_nothing() {
    setup
    snap_save "$C"
    expect_exit 0 cbkit verify "$C"
    expect_exit 0 cbkit verify "$C" --json --expect-head "$H1"
    expect_exit 0 cbkit --case "$C" log
    expect_exit 0 cbkit --case "$C" log --json
    expect_exit 0 cbkit --case "$C" show 1
    snap_check "$C"
}

test_time_not_monotonic_is_warning() {
    setup
    # append a correctly chained note whose time is before the previous line
    "$PY" "$MTOOL" append-copy "$C/manifest.jsonl" 2 time '"2001-01-01T00:00:00.000000Z"'
    expect_exit 0 cbkit verify "$C" --json
    expect_jq \
        '.ok == true' \
        '[.findings[] | select(.code == "time-not-monotonic" and .severity == "warning" and .seq == 4)] | length == 1'
}

# Files are read and hashed on several threads (--jobs): the report is the same, finding
# for finding and in the same order, whatever the number of threads.
test_jobs_same_report() {
    setup
    local i
    for i in 1 2 3 4 5 6 7 8; do
        mkrandom "$T/in/r$i.bin" $((i * 300000))
    done
    add "$T/in/r1.bin" "$T/in/r2.bin" "$T/in/r3.bin"
    add "$T/in/r4.bin" "$T/in/r5.bin"
    note "between"
    add "$T/in/r6.bin" "$T/in/r7.bin" "$T/in/r8.bin"
    # damage some of them: content changed, missing, writable, replaced by a folder, one unrecorded
    local d1=$C/evidence/000004-file d2=$C/evidence/000005-file d3=$C/evidence/000007-file
    chmod u+w "$d1" "$d2" "$d3" "$d1/r1.bin" "$d2/r5.bin"
    printf 'x' | dd of="$d1/r1.bin" bs=1 seek=1000 conv=notrunc status=none
    rm -f "$d1/r2.bin"
    mkdir "$d1/r2.bin"
    rm -f "$d3/r7.bin"
    mkfile "$d2/extra.txt" "not recorded"
    verify_json "$C" --jobs 1
    expect_eq "$LAST_RC" 1 "verify --jobs 1 exit code"
    cp "$OUT" "$T/jobs1.json"
    expect_jq '[.findings[].code] == ["file-writable", "file-hash-mismatch", "file-not-regular", "file-writable", "file-missing", "unrecorded-file"]' \
        '.files_checked == 9'
    local jobs
    for jobs in 2 3 8 0; do
        verify_json "$C" --jobs "$jobs"
        expect_eq "$LAST_RC" 1 "verify --jobs $jobs exit code"
        cmp -s "$T/jobs1.json" "$OUT" || fail "verify --json --jobs $jobs differs from --jobs 1: $(diff "$T/jobs1.json" "$OUT" | head -5)"
    done
    verify_json "$C"
    cmp -s "$T/jobs1.json" "$OUT" || fail "verify --json (default jobs) differs from --jobs 1"
    chmod -R u+w "$C/evidence"
}

run_tests "$@"
