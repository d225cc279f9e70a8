#!/usr/bin/env bash
# cbkit init: layout, line 0, receipt, defaults.
source "$(dirname "$0")/lib.sh"

TIME_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$'

test_basic() {
    local C="$T/case"
    expect_exit 0 cbkit init "$C" --case-id BE-2026-0042 --examiner "A. Peeters" \
        --org "Police zone X" --title "Harassment of J." --timezone UTC
    expect_eq "$(nlines "$OUT")" 3 "number of stdout lines"
    expect_eq "$(sed -n 1p "$OUT")" "created case BE-2026-0042 in $C" "first stdout line"
    expect_eq "$(sed -n 2p "$OUT")" "time zone UTC (UTC+00:00 now); local times without offset are read in it" "second stdout line"
    expect_stderr_empty
    expect_receipt "$C" 0
    [[ -f $C/manifest.jsonl ]] || fail "no manifest.jsonl"
    [[ -d $C/evidence ]] || fail "no evidence/"
    [[ -d $C/seals ]] || fail "no seals/"
    [[ -f $C/.cbkit.lock ]] || fail "no .cbkit.lock"
    expect_eq "$(find "$C/evidence" "$C/seals" -mindepth 1 | wc -l)" 0 "entries in evidence/ and seals/"
    expect_eq "$(manifest_lines "$C")" 1 "manifest lines"
    expect_eq "$(tail -c1 "$C/manifest.jsonl" | hexdump_)" 0a "last manifest byte"
}

test_line0() {
    local C="$T/case"
    expect_exit 0 cbkit init "$C" --case-id BE-2026-0042 --examiner "A. Peeters" \
        --org "Police zone X" --title "Harassment of J." --timezone UTC
    expect_line_jq "$C" 0 \
        'keys_unsorted == ["seq","prev","time","kind","actor","tool","files","case"]' \
        '.seq == 0 and .kind == "case" and .files == []' \
        ".prev == \"$ZERO64\"" \
        ".time | test(\"$TIME_RE\")" \
        '.actor | keys_unsorted == ["examiner","user","host"]' \
        '.actor.examiner == "A. Peeters"' \
        ".actor.user == \"$(id -un)\"" \
        ".actor.host == \"$(uname -n)\"" \
        '.tool == {"name":"cbkit","version":"0.1.0"}' \
        '.tool | keys_unsorted == ["name","version"]' \
        '.case | keys_unsorted == ["format","id","title","examiner","organisation","created","timezone","utc_offset","hash_algorithms"]' \
        '.case.format == 1 and .case.id == "BE-2026-0042" and .case.title == "Harassment of J."' \
        '.case.examiner == "A. Peeters" and .case.organisation == "Police zone X"' \
        '.case.created == .time' \
        '.case.timezone == "UTC" and .case.utc_offset == "+00:00"' \
        '.case.hash_algorithms == ["sha256"]'
    # the time is the current UTC time
    local t now
    t=$(date -u -d "$(jline "$C" 0 .time)" +%s)
    now=$(date -u +%s)
    ((now - t < 300 && t - now < 300)) || fail "line 0 time $(jline "$C" 0 .time) is not now"
}

test_optional_fields_absent() {
    local C="$T/case"
    expect_exit 0 cbkit init "$C" --case-id X1 --examiner "A. Peeters" --timezone UTC
    expect_line_jq "$C" 0 \
        '.case | has("title") | not' \
        '.case | has("organisation") | not' \
        '.case | keys_unsorted == ["format","id","examiner","created","timezone","utc_offset","hash_algorithms"]'
}

test_json() {
    local C="$T/case"
    expect_exit 0 cbkit init "$C" --case-id BE-2026-0042 --examiner "A. Peeters" --json
    expect_json_receipt "$C" 0
    expect_jq \
        ".case == \"$C\"" \
        '.case_id == "BE-2026-0042"' \
        "$(json_keys_are case case_id head seq timezone utc_offset created)"
}

test_json_relative_path_is_absolute() {
    mkdir sub
    cd sub
    expect_exit 0 cbkit init rel/case --case-id R1 --examiner "A. Peeters" --json
    expect_jq ".case == \"$T/sub/rel/case\""
    [[ -f $T/sub/rel/case/manifest.jsonl ]] || fail "case not created relative to the working directory"
}

test_default_case_id() {
    local C="$T/case" before after id
    before=$(date -u +%Y%m%d)
    expect_exit 0 cbkit init "$C" --examiner "A. Peeters" --json
    after=$(date -u +%Y%m%d)
    id=$(jout .case_id)
    [[ $id =~ ^CASE-([0-9]{8})-[0-9a-fA-F]{8}$ ]] || fail "default case id '$id' is not CASE-YYYYMMDD-XXXXXXXX"
    [[ ${BASH_REMATCH[1]} == "$before" || ${BASH_REMATCH[1]} == "$after" ]] ||
        fail "default case id date ${BASH_REMATCH[1]} is not today's UTC date $after"
    expect_eq "$(jline "$C" 0 .case.id)" "$id" "case.id in line 0"
    # random part: a second case gets another id
    expect_exit 0 cbkit init "$T/case2" --examiner "A. Peeters" --json
    [[ $(jout .case_id) != "$id" ]] || fail "two cases got the same default id $id"
}

test_creates_parents() {
    expect_exit 0 cbkit init "$T/a/b/c/case" --case-id P1 --examiner "A. Peeters"
    [[ -f $T/a/b/c/case/manifest.jsonl ]] || fail "parents not created"
    expect_receipt "$T/a/b/c/case" 0
}

test_existing_empty_folder() {
    mkdir "$T/case"
    expect_exit 0 cbkit init "$T/case" --case-id E1 --examiner "A. Peeters"
    expect_receipt "$T/case" 0
}

test_examiner_from_env() {
    CBKIT_EXAMINER="B. Janssens" expect_exit 0 cbkit init "$T/case" --case-id E2
    expect_line_jq "$T/case" 0 '.case.examiner == "B. Janssens" and .actor.examiner == "B. Janssens"'
}

test_examiner_option_beats_env() {
    CBKIT_EXAMINER="B. Janssens" expect_exit 0 cbkit init "$T/case" --case-id E3 --examiner "A. Peeters"
    expect_line_jq "$T/case" 0 '.case.examiner == "A. Peeters"'
}

test_timezone_option() {
    local off
    off=$(TZ=Europe/Brussels date +%:z)
    expect_exit 0 cbkit init "$T/case" --case-id Z1 --examiner "A. Peeters" --timezone Europe/Brussels
    expect_line_jq "$T/case" 0 ".case.timezone == \"Europe/Brussels\" and .case.utc_offset == \"$off\""
}

test_timezone_from_tz_env() {
    TZ=Asia/Tokyo expect_exit 0 cbkit init "$T/case" --case-id Z2 --examiner "A. Peeters"
    expect_line_jq "$T/case" 0 '.case.timezone == "Asia/Tokyo" and .case.utc_offset == "+09:00"'
}

test_timezone_negative_offset() {
    local off
    off=$(TZ=America/New_York date +%:z)
    expect_exit 0 cbkit init "$T/case" --case-id Z3 --examiner "A. Peeters" --timezone America/New_York
    expect_line_jq "$T/case" 0 ".case.timezone == \"America/New_York\" and .case.utc_offset == \"$off\""
}

# ---------------------------------------------------------------- the zone it records

UTC_WARNING="cbkit: warning: the case's time zone is UTC because this machine is set to UTC; if the evidence was collected elsewhere, re-create the case with --timezone Europe/Brussels (or the zone where it was collected)"

test_utc_machine_warns() {
    local tz
    for tz in UTC Etc/UTC :UTC Zulu; do
        rm -rf "$T/case"
        TZ=$tz expect_exit 0 cbkit init "$T/case" --case-id U1 --examiner "A. Peeters"
        expect_eq "$(cat "$ERR")" "$UTC_WARNING" "stderr with TZ=$tz"
        expect_stdout_contains "time zone ${tz#:} (UTC+00:00 now)"
        expect_receipt "$T/case" 0
        expect_line_jq "$T/case" 0 ".case.timezone == \"${tz#:}\" and .case.utc_offset == \"+00:00\""
    done
}

test_utc_machine_warns_with_json() {
    TZ=UTC expect_exit 0 cbkit init "$T/case" --case-id U2 --examiner "A. Peeters" --json
    expect_eq "$(cat "$ERR")" "$UTC_WARNING" "stderr"
    expect_one_json_doc
    expect_jq '.timezone == "UTC" and .utc_offset == "+00:00" and .case_id == "U2" and .seq == 0' \
        "$(json_keys_are case case_id head seq timezone utc_offset created)"
}

test_utc_given_explicitly_does_not_warn() {
    TZ=UTC expect_exit 0 cbkit init "$T/case" --case-id U3 --examiner "A. Peeters" --timezone UTC
    expect_stderr_empty
    expect_stdout_contains "time zone UTC (UTC+00:00 now)"
}

test_brussels_machine_does_not_warn() {
    local off
    off=$(TZ=Europe/Brussels date +%:z)
    TZ=Europe/Brussels expect_exit 0 cbkit init "$T/case" --case-id B1 --examiner "A. Peeters"
    expect_stderr_empty
    expect_eq "$(sed -n 2p "$OUT")" "time zone Europe/Brussels (UTC$off now); local times without offset are read in it" "zone line"
    expect_line_jq "$T/case" 0 '.case.timezone == "Europe/Brussels"'
    TZ=Europe/Brussels expect_exit 0 cbkit init "$T/case2" --case-id B2 --examiner "A. Peeters" --json
    expect_stderr_empty
    expect_jq ".timezone == \"Europe/Brussels\" and .utc_offset == \"$off\""
}

test_timezone_option_beats_utc_machine() {
    TZ=UTC expect_exit 0 cbkit init "$T/case" --case-id B3 --examiner "A. Peeters" --timezone Europe/Brussels
    expect_stderr_empty
    expect_stdout_contains "time zone Europe/Brussels (UTC"
    expect_line_jq "$T/case" 0 '.case.timezone == "Europe/Brussels"'
}

test_case_id_charset() {
    expect_exit 0 cbkit init "$T/case" --case-id "A-z_0.9" --examiner "A. Peeters"
    expect_line_jq "$T/case" 0 '.case.id == "A-z_0.9"'
    local id64
    id64=$(printf 'x%.0s' {1..64})
    expect_exit 0 cbkit init "$T/case64" --case-id "$id64" --examiner "A. Peeters"
    expect_line_jq "$T/case64" 0 ".case.id == \"$id64\""
}

test_version() {
    expect_exit 0 cbkit --version
    expect_eq "$(cat "$OUT")" "cbkit 0.1.0" "--version output"
}

test_help() {
    expect_exit 0 cbkit --help
    local c
    for c in init add-file note log show verify; do
        expect_stdout_contains "$c"
    done
}

run_tests "$@"
