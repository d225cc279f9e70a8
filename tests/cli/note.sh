#!/usr/bin/env bash
# cbkit note: text argument, stdin, context, JSON.
source "$(dirname "$0")/lib.sh"

setup() {
    C="$T/case"
    new_case "$C" --timezone UTC
}

test_text() {
    setup
    note "Called 101, report number 123/2026"
    expect_eq "$(nlines "$OUT")" 1 "stdout lines"
    expect_receipt "$C" 1
    expect_line_jq "$C" 1 \
        'keys_unsorted == ["seq","prev","time","kind","actor","tool","files","note"]' \
        '.kind == "note" and .files == [] and .note == {"text":"Called 101, report number 123/2026"}' \
        ".seq == 1 and .prev == \"$(line_hash "$C" 0)\""
    expect_eq "$(find "$C/evidence" -mindepth 1 | wc -l)" 0 "things under evidence/ after a note"
}

test_stdin() {
    setup
    expect_exit 0 cbkit --case "$C" note - < <(printf 'line one\nline "two"\ttabbed')
    expect_receipt "$C" 1
    expect_eq "$(jline "$C" 1 .note.text)" $'line one\nline "two"\ttabbed' "note text from stdin"
}

test_stdin_large() {
    setup
    # just under the 1 MiB limit
    head -c $((1024 * 1024 - 10)) /dev/zero | tr '\0' 'x' >"$T/big.txt"
    expect_exit 0 cbkit --case "$C" note - <"$T/big.txt"
    expect_receipt "$C" 1
    expect_eq "$(jline "$C" 1 '.note.text | length')" $((1024 * 1024 - 10)) "note length"
}

test_unicode_and_escapes() {
    setup
    local text=$'Été — 日本語 😀 "quoted" back\\slash\nnew line'
    note "$text"
    expect_eq "$(jline "$C" 1 .note.text)" "$text" "note text"
    "$PY" "$MTOOL" canonical "$C/manifest.jsonl" >/dev/null || fail "note line not canonical"
    grep -qF 'Été — 日本語 😀' "$C/manifest.jsonl" || fail "non-ASCII text is escaped instead of stored as UTF-8"
}

test_json() {
    setup
    expect_exit 0 cbkit --case "$C" note "json note" --json
    expect_json_receipt "$C" 1
    expect_jq "$(json_keys_are head seq)"
}

test_context() {
    setup
    note "Phone call from unknown number" --kind call --observed-at 2026-11-21T09:05:00+01:00 \
        --platform phone --account-id "+32470000000" --source-url "tel:+32470000000"
    expect_line_jq "$C" 1 \
        'keys_unsorted == ["seq","prev","time","kind","actor","tool","files","note","context"]' \
        '.context == {"kind":"call","source_url":"tel:+32470000000","observed_at":"2026-11-21T09:05:00+01:00","observed_at_utc":"2026-11-21T08:05:00Z","platform":"phone","account_id":"+32470000000","observed_at_offset":"+01:00","observed_at_zone_source":"offset-given"}' \
        '.context | keys_unsorted == ["kind","source_url","observed_at","observed_at_utc","platform","account_id","observed_at_offset","observed_at_zone_source"]'
}

test_no_context_without_options() {
    setup
    note "plain"
    expect_line_jq "$C" 1 'has("context") | not'
}

test_examiner_override() {
    setup
    note "by someone else" --examiner "C. Dubois"
    expect_line_jq "$C" 1 '.actor.examiner == "C. Dubois"'
}

test_several_notes_chain() {
    setup
    local i
    for i in 1 2 3 4 5; do
        note "note $i"
        expect_receipt "$C" "$i"
    done
    expect_chain "$C"
    expect_verify_ok "$C"
}

run_tests "$@"
