#!/usr/bin/env bash
# cbkit add-file: storage, output, metadata, context options, names.
source "$(dirname "$0")/lib.sh"

setup() {
    C="$T/case"
    new_case "$C" --timezone UTC
}

# stored_names SEQ -- sanitized names of the entry's files, in record order.
stored_names() {
    jline "$C" "$1" '.files[].path | sub("^evidence/[0-9]{6}-file/"; "")'
}

test_single() {
    setup
    mkfile "$T/in/IMG_0042.jpg" "not really a jpeg"
    local sha size
    sha=$(sha_of "$T/in/IMG_0042.jpg")
    size=$(size_of "$T/in/IMG_0042.jpg")
    add "$T/in/IMG_0042.jpg"
    expect_eq "$(nlines "$OUT")" 2 "stdout lines (one per file + receipt)"
    expect_eq "$(sed -n 1p "$OUT")" "  $sha  $size  evidence/000001-file/IMG_0042.jpg" "file line"
    expect_receipt "$C" 1
    cmp "$T/in/IMG_0042.jpg" "$C/evidence/000001-file/IMG_0042.jpg" || fail "stored copy differs"
    expect_eq "$(manifest_lines "$C")" 2 "manifest lines"
}

# The media type is libmagic's, read from the content (not the name), in a helper process
# that ends with the command.
test_media_types_from_content() {
    setup
    mkdir -p "$T/in"
    printf '\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde' >"$T/in/screenshot.txt"
    printf '%%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%%%EOF\n' >"$T/in/letter"
    mkfile "$T/in/chat.bin" "Je bent een loser, iedereen lacht om je."
    : >"$T/in/empty.jpg"
    # the mark is inherited by the helper: any process still carrying it afterwards is a helper left behind
    CBKIT_TEST_MARK="$T" add "$T/in/screenshot.txt" "$T/in/letter" "$T/in/chat.bin" "$T/in/empty.jpg"
    expect_line_jq "$C" 1 '.files[0].media_type == "image/png"' '.files[1].media_type == "application/pdf"' \
        '.files[2].media_type == "text/plain"' '.files[3].media_type == "application/x-empty"'
    local p left=""
    for p in /proc/[0-9]*; do
        if { tr '\0' '\n' <"$p/environ"; } 2>/dev/null | grep -qxF "CBKIT_TEST_MARK=$T"; then left+=" ${p#/proc/}"; fi
    done
    [[ -z $left ]] || fail "processes of add-file still running after it ended:$left"
    # the helper's variable left set in a shell does not turn cbkit itself into the helper
    CBKIT_MEDIA_TYPE_HELPER=1 add "$T/in/letter"
    expect_line_jq "$C" 2 '.files[0].media_type == "application/pdf"'
    # nor does it a bare cbkit (one argument, as the helper has): the usage error, not a helper
    CBKIT_MEDIA_TYPE_HELPER=1 expect_exit 2 cbkit </dev/null
    expect_error_line "no command given"
}

test_stored_read_only() {
    setup
    mkfile "$T/in/a.txt" "aaa"
    mkfile "$T/in/b.txt" "bbb"
    add "$T/in/a.txt" "$T/in/b.txt"
    expect_eq "$(mode_of "$C/evidence/000001-file")" 555 "entry folder mode"
    expect_eq "$(mode_of "$C/evidence/000001-file/a.txt")" 444 "stored file mode"
    expect_eq "$(mode_of "$C/evidence/000001-file/b.txt")" 444 "stored file mode"
    [[ ! -L $C/evidence/000001-file/a.txt && -f $C/evidence/000001-file/a.txt ]] || fail "stored file is not a regular file"
    # source untouched
    expect_eq "$(mode_of "$T/in/a.txt")" 644 "source file mode (must not change)"
}

test_line_fields() {
    setup
    mkfile "$T/in/IMG_0042.jpg" "hello"
    touch -d '2026-11-20 20:14:03.5 UTC' "$T/in/IMG_0042.jpg"
    add "$T/in/IMG_0042.jpg"
    local sha
    sha=$(sha_of "$T/in/IMG_0042.jpg")
    expect_line_jq "$C" 1 \
        'keys_unsorted == ["seq","prev","time","kind","actor","tool","files"]' \
        ".seq == 1 and .kind == \"file\" and .prev == \"$(line_hash "$C" 0)\"" \
        '.actor.examiner == "A. Peeters" and .tool == {"name":"cbkit","version":"0.1.0"}' \
        '.files | length == 1' \
        '.files[0] | keys_unsorted[0:3] == ["path","sha256","size"]' \
        ".files[0].path == \"evidence/000001-file/IMG_0042.jpg\"" \
        ".files[0].sha256 == \"$sha\" and .files[0].size == 5" \
        '.files[0].name == "IMG_0042.jpg"' \
        ".files[0].source_path == \"$T/in/IMG_0042.jpg\"" \
        '.files[0].mtime == "2026-11-20T20:14:03.500000Z"'
}

test_json() {
    setup
    mkfile "$T/in/a b.txt" "with space"
    expect_exit 0 cbkit --case "$C" add-file "$T/in/a b.txt" --json
    expect_json_receipt "$C" 1
    expect_jq \
        '.entry == "evidence/000001-file"' \
        '.files | length == 1' \
        '.files[0].path == "evidence/000001-file/a b.txt"' \
        ".files[0].sha256 == \"$(sha_of "$T/in/a b.txt")\" and .files[0].size == 10" \
        ".files[0].source_path == \"$T/in/a b.txt\""
}

test_several_files_one_entry() {
    setup
    mkfile "$T/in/one.txt" "1"
    mkrandom "$T/in/two.bin" 70000
    : >"$T/in/three-empty.txt"
    add "$T/in/one.txt" "$T/in/two.bin" "$T/in/three-empty.txt"
    expect_eq "$(manifest_lines "$C")" 2 "one line for the whole entry"
    expect_eq "$(nlines "$OUT")" 4 "stdout lines (3 files + receipt)"
    expect_receipt "$C" 1
    local f i=0
    for f in one.txt two.bin three-empty.txt; do
        i=$((i + 1))
        expect_eq "$(sed -n "${i}p" "$OUT")" "  $(sha_of "$T/in/$f")  $(size_of "$T/in/$f")  evidence/000001-file/$f" "stdout file line $i"
        expect_line_jq "$C" 1 ".files[$((i - 1))].path == \"evidence/000001-file/$f\" and .files[$((i - 1))].sha256 == \"$(sha_of "$T/in/$f")\" and .files[$((i - 1))].size == $(size_of "$T/in/$f")"
        cmp "$T/in/$f" "$C/evidence/000001-file/$f" || fail "stored $f differs"
    done
    expect_line_jq "$C" 1 '.files[2].sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"'
}

test_entries_numbered() {
    setup
    mkfile "$T/in/a.txt" "a"
    add "$T/in/a.txt"
    expect_receipt "$C" 1
    add "$T/in/a.txt"
    expect_receipt "$C" 2
    [[ -f $C/evidence/000001-file/a.txt && -f $C/evidence/000002-file/a.txt ]] ||
        fail "expected evidence/000001-file/a.txt and evidence/000002-file/a.txt"
    expect_line_jq "$C" 2 '.files[0].path == "evidence/000002-file/a.txt"'
}

test_binary_exact_copy() {
    setup
    mkrandom "$T/in/blob.bin" $((3 * 1024 * 1024 + 17))
    add "$T/in/blob.bin"
    cmp "$T/in/blob.bin" "$C/evidence/000001-file/blob.bin" || fail "stored copy differs"
    expect_line_jq "$C" 1 ".files[0].sha256 == \"$(sha_of "$T/in/blob.bin")\" and .files[0].size == $((3 * 1024 * 1024 + 17))"
}

test_relative_source_path() {
    setup
    mkfile "$T/in/rel.txt" "r"
    cd "$T/in"
    add rel.txt
    expect_line_jq "$C" 1 ".files[0].source_path == \"$T/in/rel.txt\""
}

test_context_all_options() {
    setup
    mkfile "$T/in/s.png" "png"
    add "$T/in/s.png" --kind screenshot --note "Threat posted under photo" \
        --source-url "https://www.instagram.com/p/abc/" --observed-at 2026-11-20T21:14:00+01:00 \
        --platform instagram --account-id 1784000001
    expect_receipt "$C" 1
    expect_line_jq "$C" 1 \
        'keys_unsorted == ["seq","prev","time","kind","actor","tool","files","context"]' \
        '.context | keys_unsorted == ["kind","note","source_url","observed_at","observed_at_utc","platform","account_id","observed_at_offset","observed_at_zone_source"]' \
        '.context == {"kind":"screenshot","note":"Threat posted under photo","source_url":"https://www.instagram.com/p/abc/","observed_at":"2026-11-20T21:14:00+01:00","observed_at_utc":"2026-11-20T20:14:00Z","platform":"instagram","account_id":"1784000001","observed_at_offset":"+01:00","observed_at_zone_source":"offset-given"}' \
        '.kind == "file"'
}

test_context_absent_without_options() {
    setup
    mkfile "$T/in/a.txt" "a"
    add "$T/in/a.txt"
    expect_line_jq "$C" 1 'has("context") | not'
}

test_context_partial() {
    setup
    mkfile "$T/in/a.txt" "a"
    add "$T/in/a.txt" --platform tiktok --account-id "@bully"
    expect_line_jq "$C" 1 \
        '.context == {"platform":"tiktok","account_id":"@bully"}' \
        '.context | keys_unsorted == ["platform","account_id"]'
}

test_observed_at_utc_and_negative_offset() {
    setup
    mkfile "$T/in/a.txt" "a"
    add "$T/in/a.txt" --observed-at 2026-11-20T20:14:00Z
    expect_line_jq "$C" 1 '.context.observed_at == "2026-11-20T20:14:00Z" and .context.observed_at_utc == "2026-11-20T20:14:00Z"' \
        '.context.observed_at_offset == "+00:00" and .context.observed_at_zone_source == "offset-given"'
    add "$T/in/a.txt" --observed-at 2026-11-20T15:14:00-05:00
    expect_line_jq "$C" 2 '.context.observed_at == "2026-11-20T15:14:00-05:00" and .context.observed_at_utc == "2026-11-20T20:14:00Z"' \
        '.context.observed_at_offset == "-05:00" and .context.observed_at_zone_source == "offset-given"'
    # the offset can move the date
    add "$T/in/a.txt" --observed-at 2026-01-01T00:30:00+02:00
    expect_line_jq "$C" 3 '.context.observed_at_utc == "2025-12-31T22:30:00Z"'
}

test_observed_at_fraction_accepted() {
    setup
    mkfile "$T/in/a.txt" "a"
    add "$T/in/a.txt" --observed-at 2026-11-20T21:14:00.250+01:00
    expect_line_jq "$C" 1 \
        '.context.observed_at == "2026-11-20T21:14:00.250+01:00"' \
        '.context.observed_at_utc | startswith("2026-11-20T20:14:00")'
}

# ---------------------------------------------------------------- local times

# A case in Brussels: local times without offset are read in its zone.
brussels_case() {
    C="$T/case"
    new_case "$C" --timezone Europe/Brussels
    mkfile "$T/in/a.txt" "a"
}

test_observed_at_local_winter() {
    brussels_case
    add "$T/in/a.txt" --kind screenshot --observed-at 2026-11-20T21:14 --platform instagram
    expect_receipt "$C" 1
    expect_line_jq "$C" 1 \
        '.context | keys_unsorted == ["kind","observed_at","observed_at_utc","platform","observed_at_offset","observed_at_zone_source"]' \
        '.context == {"kind":"screenshot","observed_at":"2026-11-20T21:14","observed_at_utc":"2026-11-20T20:14:00Z","platform":"instagram","observed_at_offset":"+01:00","observed_at_zone_source":"case-zone"}'
}

test_observed_at_local_summer_with_space_and_seconds() {
    brussels_case
    add "$T/in/a.txt" --observed-at "2026-07-14 09:05:30"
    expect_line_jq "$C" 1 \
        '.context == {"observed_at":"2026-07-14 09:05:30","observed_at_utc":"2026-07-14T07:05:30Z","observed_at_offset":"+02:00","observed_at_zone_source":"case-zone"}'
}

test_observed_at_local_new_york_case() {
    C="$T/case"
    new_case "$C" --timezone America/New_York
    mkfile "$T/in/a.txt" "a"
    note "call" --observed-at 2026-11-20T15:14
    expect_line_jq "$C" 1 '.context.observed_at_utc == "2026-11-20T20:14:00Z" and .context.observed_at_offset == "-05:00"'
    # the machine's zone plays no part: only the case's
    TZ=Asia/Tokyo expect_exit 0 cbkit --case "$C" add-file "$T/in/a.txt" --observed-at 2026-07-04T12:00
    expect_line_jq "$C" 2 '.context.observed_at_utc == "2026-07-04T16:00:00Z" and .context.observed_at_offset == "-04:00"'
}

test_observed_at_offset_beats_case_zone() {
    brussels_case
    add "$T/in/a.txt" --observed-at 2026-11-20T21:14:00-05:00
    expect_line_jq "$C" 1 '.context.observed_at_utc == "2026-11-21T02:14:00Z" and .context.observed_at_zone_source == "offset-given"'
}

test_observed_at_local_twice_refused() {
    brussels_case
    snap_save "$C"
    expect_exit 2 cbkit --case "$C" add-file "$T/in/a.txt" --observed-at 2026-10-25T02:30
    snap_check "$C"
    expect_error_line "--observed-at" "'2026-10-25T02:30'" "Europe/Brussels happens twice" \
        "2026-10-25T02:30:00+02:00 (2026-10-25T00:30:00Z)" "2026-10-25T02:30:00+01:00 (2026-10-25T01:30:00Z)" "offset"
    expect_stdout_empty
    expect_exit 2 cbkit --case "$C" note "call" --observed-at "2026-10-25 02:30" --json
    snap_check "$C"
    expect_error_line "--observed-at" "happens twice"
    expect_json_error usage 2
    # with the offset it is accepted
    add "$T/in/a.txt" --observed-at 2026-10-25T02:30:00+01:00
    expect_line_jq "$C" 1 '.context.observed_at_utc == "2026-10-25T01:30:00Z" and .context.observed_at_zone_source == "offset-given"'
}

test_observed_at_local_skipped_refused() {
    brussels_case
    snap_save "$C"
    expect_exit 2 cbkit --case "$C" add-file "$T/in/a.txt" --observed-at 2026-03-29T02:30
    snap_check "$C"
    expect_error_line "--observed-at" "'2026-03-29T02:30'" "does not exist" \
        "at 02:00 the clocks were put forward to 03:00 (+01:00 to +02:00)"
    expect_stdout_empty
    # the minutes around the change are fine
    add "$T/in/a.txt" --observed-at 2026-03-29T01:59
    expect_line_jq "$C" 1 '.context.observed_at_utc == "2026-03-29T00:59:00Z"'
    add "$T/in/a.txt" --observed-at 2026-03-29T03:00
    expect_line_jq "$C" 2 '.context.observed_at_utc == "2026-03-29T01:00:00Z" and .context.observed_at_offset == "+02:00"'
}

test_examiner_override() {
    setup
    mkfile "$T/in/a.txt" "a"
    add "$T/in/a.txt" --examiner "C. Dubois"
    expect_line_jq "$C" 1 '.actor.examiner == "C. Dubois"'
    add "$T/in/a.txt"
    expect_line_jq "$C" 2 '.actor.examiner == "A. Peeters"'
    CBKIT_EXAMINER="D. Maes" add "$T/in/a.txt"
    expect_line_jq "$C" 3 '.actor.examiner == "D. Maes"'
    expect_line_jq "$C" 0 '.case.examiner == "A. Peeters"'
}

test_follow_symlinks() {
    setup
    mkfile "$T/in/target.jpg" "the real bytes"
    ln -s "$T/in/target.jpg" "$T/in/link.jpg"
    add "$T/in/link.jpg" --follow-symlinks
    expect_receipt "$C" 1
    expect_line_jq "$C" 1 \
        ".files[0].sha256 == \"$(sha_of "$T/in/target.jpg")\" and .files[0].size == 14" \
        ".files[0].symlink == \"$T/in/link.jpg\"" \
        ".files[0].source_path == \"$T/in/target.jpg\""
    local stored
    stored="$C/$(jline "$C" 1 '.files[0].path')"
    [[ -f $stored && ! -L $stored ]] || fail "followed link not stored as a regular file: $stored"
    cmp "$stored" "$T/in/target.jpg" || fail "stored copy differs from the link target"
}

test_no_symlink_field_for_regular_file() {
    setup
    mkfile "$T/in/a.txt" "a"
    add "$T/in/a.txt" --follow-symlinks
    expect_line_jq "$C" 1 '.files[0] | has("symlink") | not'
}

test_sanitize_reserved_chars() {
    setup
    mkfile "$T/in/x:y*z?.txt" 1
    mkfile "$T/in/q\"<>|.txt" 2
    mkfile "$T/in/back\\slash.txt" 3
    add "$T/in/x:y*z?.txt" "$T/in/q\"<>|.txt" "$T/in/back\\slash.txt"
    expect_eq "$(stored_names 1 | paste -sd' ')" "x_y_z_.txt q____.txt back_slash.txt" "sanitized names"
    [[ -f $C/evidence/000001-file/x_y_z_.txt && -f $C/evidence/000001-file/q____.txt && -f $C/evidence/000001-file/back_slash.txt ]] ||
        fail "sanitized files not on disk: $(ls "$C/evidence/000001-file")"
}

test_sanitize_control_chars() {
    setup
    local f1=$'a\x01b.txt' f2=$'c\x7fd.txt' f3=$'tab\there.txt'
    mkfile "$T/in/$f1" 1
    mkfile "$T/in/$f2" 2
    mkfile "$T/in/$f3" 3
    add "$T/in/$f1" "$T/in/$f2" "$T/in/$f3"
    expect_eq "$(stored_names 1 | paste -sd' ')" "a_b.txt c_d.txt tab_here.txt" "sanitized names"
}

test_sanitize_leading_dot_and_dash() {
    setup
    mkfile "$T/in/.hidden" 1
    mkfile "$T/in/-dash.txt" 2
    add "$T/in/.hidden" "$T/in/-dash.txt"
    expect_eq "$(stored_names 1 | paste -sd' ')" "_.hidden _-dash.txt" "sanitized names"
    [[ -f $C/evidence/000001-file/_.hidden && -f $C/evidence/000001-file/_-dash.txt ]] || fail "files not stored under the sanitized names"
}

test_sanitize_invalid_utf8() {
    setup
    local bad=$'bad\xffname.txt'
    mkfile "$T/in/$bad" "x"
    add "$T/in/$bad"
    expect_eq "$(stored_names 1)" "bad_name.txt" "sanitized name"
    [[ -f $C/evidence/000001-file/bad_name.txt ]] || fail "not stored as bad_name.txt"
    # the exact source path bytes are kept in base64
    local b64
    b64=$(jline "$C" 1 '.files[0].source_path_base64')
    expect_eq "$(printf '%s' "$b64" | base64 -d | hexdump_)" "$(printf '%s' "$T/in/$bad" | hexdump_)" "source_path_base64 bytes"
    "$PY" "$MTOOL" canonical "$C/manifest.jsonl" >/dev/null || fail "line with a non-UTF-8 source is not canonical UTF-8 JSON"
}

test_sanitize_keeps_valid_utf8() {
    setup
    mkfile "$T/in/café — 日本.txt" "x"
    add "$T/in/café — 日本.txt"
    expect_eq "$(stored_names 1)" "café — 日本.txt" "stored name"
    expect_line_jq "$C" 1 '.files[0] | has("source_path_base64") | not'
}

test_sanitize_long_name() {
    setup
    local long
    long="$(printf 'a%.0s' {1..246}).jpg"
    mkfile "$T/in/$long" "x"
    add "$T/in/$long"
    local n
    n=$(stored_names 1)
    ((${#n} <= 200)) || fail "stored name is ${#n} bytes (> 200)"
    ((${#n} >= 100)) || fail "stored name needlessly short (${#n} bytes)"
    [[ $n == aaaa*.jpg ]] || fail "stored name '$n' lost its extension or start"
    [[ -f "$C/evidence/000001-file/$n" ]] || fail "not stored as $n"
}

test_sanitize_long_utf8_name() {
    setup
    local long
    long="$(printf 'é%.0s' {1..120}).txt" # 244 bytes
    mkfile "$T/in/$long" "x"
    add "$T/in/$long"
    local n
    n=$(jline "$C" 1 '.files[0].path | sub("^evidence/000001-file/"; "")')
    local LC_ALL=C
    ((${#n} <= 200)) || fail "stored name is ${#n} bytes (> 200)"
    [[ $n == *.txt ]] || fail "extension lost: $n"
    printf '%s' "$n" | iconv -f UTF-8 -t UTF-8 >/dev/null || fail "name cut inside a UTF-8 sequence"
    [[ -f "$C/evidence/000001-file/$n" ]] || fail "not stored as $n"
}

test_collision_same_name() {
    setup
    mkfile "$T/d1/x.jpg" 1
    mkfile "$T/d2/x.jpg" 22
    mkfile "$T/d3/x.jpg" 333
    add "$T/d1/x.jpg" "$T/d2/x.jpg" "$T/d3/x.jpg"
    expect_eq "$(stored_names 1 | paste -sd' ')" "x.jpg x-2.jpg x-3.jpg" "names"
    expect_eq "$(cat "$C/evidence/000001-file/x-2.jpg")" 22 "content of x-2.jpg"
    expect_eq "$(cat "$C/evidence/000001-file/x-3.jpg")" 333 "content of x-3.jpg"
    expect_line_jq "$C" 1 ".files[1].source_path == \"$T/d2/x.jpg\""
}

test_collision_case_insensitive() {
    setup
    mkfile "$T/d1/Photo.JPG" 1
    mkfile "$T/d2/photo.jpg" 2
    add "$T/d1/Photo.JPG" "$T/d2/photo.jpg"
    expect_eq "$(stored_names 1 | paste -sd' ')" "Photo.JPG photo-2.jpg" "names"
}

test_collision_after_sanitizing() {
    setup
    mkfile "$T/d1/a:b.txt" 1
    mkfile "$T/d2/a_b.txt" 2
    add "$T/d1/a:b.txt" "$T/d2/a_b.txt"
    expect_eq "$(stored_names 1 | paste -sd' ')" "a_b.txt a_b-2.txt" "names"
}

test_collision_without_extension() {
    setup
    mkfile "$T/d1/README" 1
    mkfile "$T/d2/README" 2
    add "$T/d1/README" "$T/d2/README"
    expect_eq "$(stored_names 1 | paste -sd' ')" "README README-2" "names"
}

test_hashes_match_stored_files() {
    setup
    mkrandom "$T/in/r1" 1000
    mkrandom "$T/in/r2" 200000
    add "$T/in/r1" "$T/in/r2"
    local i p
    for i in 0 1; do
        p=$(jline "$C" 1 ".files[$i].path")
        expect_eq "$(sha_of "$C/$p")" "$(jline "$C" 1 ".files[$i].sha256")" "sha256 of stored $p"
        expect_eq "$(size_of "$C/$p")" "$(jline "$C" 1 ".files[$i].size")" "size of stored $p"
    done
}

# peak_rss_kib FILE -- peak RSS (KiB, GNU time %M) of an add-file of FILE into case $C.
peak_rss_kib() {
    /usr/bin/time -f %M -o "$T/rss.txt" "$CBKIT_BIN" --case "$C" add-file "$1" >"$OUT" 2>"$ERR" || fail "add-file $1 failed: $(cat "$ERR")"
    tail -n 1 "$T/rss.txt"
}

# Streaming copy in constant memory: a 256 MiB file costs at most a few MiB more than a
# 4 KiB one (the writer's three 1 MiB buffers), and the whole process stays under 32 MiB.
# About 15.5 MiB of the peak are the shared libraries' pages (`cbkit --version` alone) and
# 7.5 MiB libmagic's database (file-backed, shared, mapped once per process).
test_peak_memory_bounded() {
    [[ -x /usr/bin/time ]] || skip "GNU time (/usr/bin/time) is not installed"
    if sanitized_build; then skip "sanitizer build: RSS is not meaningful"; fi
    setup
    mkfile "$T/in/small.txt" "small"
    truncate -s 256M "$T/in/big.bin"
    local small big
    small=$(peak_rss_kib "$T/in/small.txt")
    big=$(peak_rss_kib "$T/in/big.bin")
    expect_eq "$(jline "$C" 2 '.files[0].size')" 268435456 "size recorded"
    ((big < 32 * 1024)) || fail "add-file of 256 MiB: peak RSS ${big} KiB, expected < 32 MiB"
    ((big - small < 6 * 1024)) || fail "add-file of 256 MiB: peak RSS ${big} KiB, ${small} KiB for 5 bytes: grows with the file"
}

run_tests "$@"
