#!/usr/bin/env bash
# Receipts and the hash chain, recomputed with standard tools only.
source "$(dirname "$0")/lib.sh"

test_every_append_prints_receipt() {
    C="$T/case"
    mkfile "$T/in/a.txt" "a"
    new_case "$C"
    expect_receipt "$C" 0
    add "$T/in/a.txt"
    expect_receipt "$C" 1
    note "n"
    expect_receipt "$C" 2
    expect_exit 0 cbkit --case "$C" note - < <(printf 'from stdin')
    expect_receipt "$C" 3
    add "$T/in/a.txt" --kind screenshot --observed-at 2026-11-20T21:14:00+01:00
    expect_receipt "$C" 4
    expect_exit 0 cbkit --case "$C" add-file "$T/in/a.txt" --json
    expect_json_receipt "$C" 5
    expect_exit 0 cbkit --case "$C" note "j" --json
    expect_json_receipt "$C" 6
    expect_exit 0 cbkit init "$T/case2" --examiner X --json
    expect_json_receipt "$T/case2" 0
}

build_case() {
    C="$T/case"
    new_case "$C" --title "Chain"
    mkrandom "$T/in/r1.bin" 4096
    mkrandom "$T/in/r2.bin" 123457
    mkfile "$T/in/t.txt" "text"
    add "$T/in/r1.bin"
    note "first note"
    add "$T/in/r2.bin" "$T/in/t.txt" --note "two files"
    note "second note" --kind call
    add "$T/in/t.txt"
}

test_chain_python() {
    build_case
    expect_eq "$(manifest_lines "$C")" 6 "lines"
    expect_chain "$C"
}

test_chain_shell() {
    build_case
    local n i prev want
    n=$(manifest_lines "$C")
    prev=$ZERO64
    for ((i = 0; i < n; i++)); do
        expect_eq "$(jline "$C" "$i" .seq)" "$i" "seq of line $i"
        expect_eq "$(jline "$C" "$i" .prev)" "$prev" "prev of line $i"
        prev=$(line_hash "$C" "$i")
    done
    expect_eq "$prev" "$(manifest_head "$C")" "head"
    expect_exit 0 cbkit verify "$C" --json
    expect_jq ".head == \"$prev\" and .seq == $((n - 1))"
}

test_line_endings() {
    build_case
    local M="$C/manifest.jsonl"
    expect_eq "$(tail -c1 "$M" | hexdump_)" 0a "last byte"
    ! grep -q $'\r' "$M" || fail "manifest contains CR"
    ! grep -q '^$' "$M" || fail "manifest contains an empty line"
    expect_eq "$(grep -c '^{.*}$' "$M")" "$(manifest_lines "$C")" "lines that are one JSON object"
}

test_times() {
    build_case
    local n i prev="" t
    n=$(manifest_lines "$C")
    for ((i = 0; i < n; i++)); do
        t=$(jline "$C" "$i" .time)
        [[ $t =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$ ]] ||
            fail "line $i time '$t' is not YYYY-MM-DDTHH:MM:SS.ffffffZ"
        [[ -z $prev || ! $t < $prev ]] || fail "line $i time $t is before line $((i - 1)) time $prev"
        prev=$t
    done
}

test_stored_files_match_records() {
    build_case
    local n=0 path sha size
    while IFS=$'\t' read -r path sha size; do
        n=$((n + 1))
        [[ -f $C/$path && ! -L $C/$path ]] || fail "recorded $path is not a regular file"
        expect_eq "$(sha256sum <"$C/$path" | cut -d' ' -f1)" "$sha" "sha256sum of $path"
        expect_eq "$(stat -c %s "$C/$path")" "$size" "size of $path"
        expect_eq "$(stat -c %a "$C/$path")" 444 "mode of $path"
        expect_eq "$(stat -c %a "$(dirname "$C/$path")")" 555 "mode of $(dirname "$path")"
    done < <(jq -r '.files[] | [.path, .sha256, (.size | tostring)] | @tsv' "$C/manifest.jsonl")
    expect_eq "$n" 4 "recorded files"
    # and nothing else is stored
    expect_eq "$(cd "$C" && find evidence -type f | LC_ALL=C sort | paste -sd' ')" \
        "$(jq -r '.files[].path' "$C/manifest.jsonl" | LC_ALL=C sort | paste -sd' ')" "files under evidence/ vs recorded"
}

run_tests "$@"
