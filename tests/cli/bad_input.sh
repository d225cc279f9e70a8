#!/usr/bin/env bash
# Bad input: exact exit code, one error line naming the input, case unchanged.
source "$(dirname "$0")/lib.sh"

# A case with a file entry and a note (seq 2).
setup() {
    C="$T/case"
    new_case "$C"
    mkfile "$T/in/ok.txt" "fine"
    add "$T/in/ok.txt"
    note "a note"
    snap_save "$C"
}

# refused CODE CMD... -- CMD must exit CODE and leave $C exactly as it was.
refused() {
    expect_exit "$@"
    snap_check "$C"
}

# ---------------------------------------------------------------- add-file inputs

test_add_missing_file() {
    setup
    refused 3 cbkit --case "$C" add-file "$T/in/nope.jpg"
    expect_error_line "$T/in/nope.jpg"
    expect_stdout_empty
}

test_add_missing_file_json() {
    setup
    refused 3 cbkit --case "$C" add-file "$T/in/nope.jpg" --json
    expect_json_error input 3
    expect_jq ".refused == [{\"input\": \"$T/in/nope.jpg\", \"code\": \"missing\", \"message\": \"no such file\"}]"
    expect_error_line "$T/in/nope.jpg"
}

test_add_directory() {
    setup
    mkfile "$T/in/photos/p1.jpg" "p1"
    refused 3 cbkit --case "$C" add-file "$T/in/photos"
    expect_error_line "$T/in/photos"
}

test_add_fifo() {
    setup
    mkfifo "$T/in/pipe"
    CBKIT_CMD_TIMEOUT=10 refused 3 cbkit --case "$C" add-file "$T/in/pipe"
    expect_error_line "$T/in/pipe"
}

test_add_dev_null() {
    setup
    refused 3 cbkit --case "$C" add-file /dev/null
    expect_error_line /dev/null
}

test_add_socket() {
    setup
    "$PY" -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$T/in/sock"
    [[ -S $T/in/sock ]] || fail "could not create a socket file"
    CBKIT_CMD_TIMEOUT=10 refused 3 cbkit --case "$C" add-file "$T/in/sock"
    expect_error_line "$T/in/sock"
}

test_add_unreadable_file() {
    C="$T/case"
    need_unprivileged
    new_case "$C"
    mkdir -m 755 "$T/in"
    mkfile "$T/in/secret.txt" "secret"
    mkfile "$T/in/open.txt" "open"
    chmod 000 "$T/in/secret.txt"
    chmod 644 "$T/in/open.txt"
    [[ $(id -u) == 0 ]] && chown -R $NOBODY:$NOBODY "$C"
    snap_save "$C"
    refused 3 cbkit_nobody --case "$C" add-file "$T/in/secret.txt"
    expect_error_line "$T/in/secret.txt"
    # control: the same user can add a readable file, so the refusal was about the input
    expect_exit 0 cbkit_nobody --case "$C" add-file "$T/in/open.txt"
    expect_receipt "$C" 1
}

test_add_symlink_without_follow() {
    setup
    mkfile "$T/in/target.jpg" "t"
    ln -s "$T/in/target.jpg" "$T/in/link.jpg"
    refused 3 cbkit --case "$C" add-file "$T/in/link.jpg"
    expect_error_line "$T/in/link.jpg"
}

test_add_dangling_symlink_followed() {
    setup
    ln -s "$T/in/gone.jpg" "$T/in/dangling.jpg"
    refused 3 cbkit --case "$C" add-file --follow-symlinks "$T/in/dangling.jpg"
    expect_error_line "$T/in/dangling.jpg"
}

test_add_symlink_to_directory_followed() {
    setup
    mkdir -p "$T/in/dir"
    ln -s "$T/in/dir" "$T/in/dirlink"
    refused 3 cbkit --case "$C" add-file --follow-symlinks "$T/in/dirlink"
    expect_error_line "$T/in/dirlink"
}

test_add_last_of_several_missing() {
    setup
    mkfile "$T/in/a.txt" "a"
    mkrandom "$T/in/b.bin" 300000
    refused 3 cbkit --case "$C" add-file "$T/in/a.txt" "$T/in/b.bin" "$T/in/missing.txt"
    expect_error_line "$T/in/missing.txt"
}

test_add_middle_of_several_is_directory() {
    setup
    mkfile "$T/in/a.txt" "a"
    mkdir "$T/in/d"
    mkfile "$T/in/c.txt" "c"
    refused 3 cbkit --case "$C" add-file "$T/in/a.txt" "$T/in/d" "$T/in/c.txt"
    expect_error_line "$T/in/d"
}

test_add_no_files() {
    setup
    refused 2 cbkit --case "$C" add-file
    expect_error_line
}

test_unknown_option() {
    setup
    mkfile "$T/in/a.txt" "a"
    refused 2 cbkit --case "$C" add-file "$T/in/a.txt" --bogus-option
    expect_error_line "--bogus-option"
}

test_unknown_command() {
    setup
    refused 2 cbkit --case "$C" frobnicate
    expect_error_line "frobnicate"
}

test_leftover_entry_folder() {
    setup
    chmod u+w "$C/evidence"
    mkdir "$C/evidence/000003-file"
    snap_save "$C"
    mkfile "$T/in/a.txt" "a"
    refused 4 cbkit --case "$C" add-file "$T/in/a.txt"
    expect_error_line "000003-file"
}

# ---------------------------------------------------------------- not a case

no_ancestor_case() {
    local d=$T
    while [[ $d != / ]]; do
        d=$(dirname "$d")
        [[ ! -e $d/manifest.jsonl ]] || skip "$d/manifest.jsonl exists, so every folder below it is in a case"
    done
}

test_not_a_case_option() {
    setup
    mkdir "$T/empty"
    mkfile "$T/in/a.txt" "a"
    refused 4 cbkit --case "$T/empty" add-file "$T/in/a.txt"
    expect_error_line "$T/empty"
    expect_eq "$(find "$T/empty" -mindepth 1 | wc -l)" 0 "things created in the non-case folder"
}

test_not_a_case_missing_folder() {
    setup
    refused 4 cbkit --case "$T/does-not-exist" note "x"
    expect_error_line "$T/does-not-exist"
    [[ ! -e $T/does-not-exist ]] || fail "a non-existent --case folder was created"
}

test_not_a_case_cwd() {
    no_ancestor_case
    mkdir "$T/plain"
    cd "$T/plain"
    expect_exit 4 cbkit verify
    expect_error_line "$T/plain"
    expect_exit 4 cbkit note "x"
    expect_error_line "$T/plain"
    expect_eq "$(find "$T/plain" -mindepth 1 | wc -l)" 0 "things created in the non-case folder"
}

test_not_a_case_env() {
    no_ancestor_case
    mkdir "$T/plain"
    CBKIT_CASE="$T/plain" expect_exit 4 cbkit log
    expect_error_line "$T/plain"
}

test_not_a_case_verify_positional() {
    mkdir "$T/plain"
    expect_exit 4 cbkit verify "$T/plain"
    expect_error_line "$T/plain"
}

# ---------------------------------------------------------------- init

test_init_existing_case() {
    setup
    refused 4 cbkit init "$C" --examiner "A. Peeters"
    expect_error_line "$C"
}

test_init_non_empty_folder() {
    C="$T/folder"
    mkfile "$C/holiday.jpg" "not a case"
    snap_save "$C"
    refused 4 cbkit init "$C" --examiner "A. Peeters" --case-id X1
    expect_error_line "$C"
}

test_init_without_examiner() {
    expect_exit 2 cbkit init "$T/newcase" --case-id X1
    expect_error_line "--examiner"
    [[ ! -e $T/newcase ]] || fail "init without examiner created $T/newcase"
}

test_init_bad_timezone() {
    expect_exit 2 cbkit init "$T/newcase" --case-id X1 --examiner X --timezone Mars/Olympus_Mons
    expect_error_line "Mars/Olympus_Mons"
    [[ ! -e $T/newcase ]] || fail "init with a bad time zone created $T/newcase"
}

bad_case_id() {
    expect_exit 2 cbkit init "$T/newcase" --examiner "A. Peeters" "--case-id=$1"
    expect_error_line "--case-id" "$1"
    [[ ! -e $T/newcase ]] || fail "init with --case-id '$1' created $T/newcase"
}

test_case_id_leading_dot() { bad_case_id ".hidden"; }
test_case_id_leading_dash() { bad_case_id "-x"; }
test_case_id_slash() { bad_case_id "a/b"; }
test_case_id_space() { bad_case_id "a b"; }
test_case_id_non_ascii() { bad_case_id "zaak-é"; }
test_case_id_too_long() { bad_case_id "$(printf 'x%.0s' {1..65})"; }
test_case_id_empty() { bad_case_id ""; }

# ---------------------------------------------------------------- torn / corrupt manifest

test_torn_manifest_add_refused() {
    setup
    printf '{"seq":3,"prev":"%s","time":"20' "$(manifest_head "$C")" >>"$C/manifest.jsonl"
    snap_save "$C"
    refused 4 cbkit --case "$C" add-file "$T/in/ok.txt"
    expect_error_line "$C/manifest.jsonl"
}

test_torn_manifest_note_refused() {
    setup
    printf '{"seq":3,"prev":"%s","time":"20' "$(manifest_head "$C")" >>"$C/manifest.jsonl"
    snap_save "$C"
    refused 4 cbkit --case "$C" note "after a torn line"
    expect_error_line "$C/manifest.jsonl"
}

test_torn_manifest_valid_json_without_lf() {
    setup
    # a complete, chained line that only lacks its LF is still torn
    "$PY" "$MTOOL" append-copy "$C/manifest.jsonl" 2
    head -c -1 "$C/manifest.jsonl" >"$T/m" && cat "$T/m" >"$C/manifest.jsonl"
    snap_save "$C"
    refused 4 cbkit --case "$C" note "after a torn line"
    expect_error_line "$C/manifest.jsonl"
}

test_corrupt_last_line_refused() {
    setup
    printf '{"seq":3,"prev":garbage}\n' >>"$C/manifest.jsonl"
    snap_save "$C"
    refused 4 cbkit --case "$C" note "after a corrupt line"
    expect_error_line "$C/manifest.jsonl"
    refused 4 cbkit --case "$C" add-file "$T/in/ok.txt"
    expect_error_line "$C/manifest.jsonl"
}

# ---------------------------------------------------------------- values

bad_observed_at() {
    setup
    mkfile "$T/in/a.txt" "a"
    refused 2 cbkit --case "$C" add-file "$T/in/a.txt" --observed-at "$1"
    expect_error_line "--observed-at" "$1"
    refused 2 cbkit --case "$C" note "n" --observed-at "$1" --json
    expect_error_line "--observed-at" "$1"
    expect_json_error usage 2
}

test_observed_at_month_13() { bad_observed_at 2026-13-01T00:00:00Z; }
test_observed_at_local_hour_24() { bad_observed_at 2026-11-20T24:00; }
test_observed_at_local_feb_30() { bad_observed_at "2026-02-30 10:00"; }
test_observed_at_offset_without_seconds() { bad_observed_at 2026-11-20T21:14+01:00; }
test_observed_at_garbage() { bad_observed_at yesterday; }
test_observed_at_feb_30() { bad_observed_at 2026-02-30T10:00:00+01:00; }
test_observed_at_hour_25() { bad_observed_at 2026-11-20T25:00:00Z; }
test_observed_at_date_only() { bad_observed_at 2026-11-20; }
test_observed_at_bad_offset() { bad_observed_at 2026-11-20T21:14:00+1:00; }

test_show_missing_seq() {
    setup
    refused 4 cbkit --case "$C" show 42
    expect_error_line "42"
    refused 4 cbkit --case "$C" show 3 --json
    expect_json_error case 4
    expect_error_line "3"
}

test_show_not_a_number() {
    setup
    refused 2 cbkit --case "$C" show abc
    expect_error_line "abc"
}

test_show_negative_number() {
    setup
    refused 2 cbkit --case "$C" show -- -1
    expect_error_line "-1"
}

test_lock_timeout_not_a_number() {
    setup
    refused 2 cbkit --case "$C" note "x" --lock-timeout soon
    expect_error_line "--lock-timeout" "soon"
}

bad_expect_head() {
    setup
    refused 2 cbkit verify "$C" --expect-head "$1"
    expect_error_line "--expect-head"
    [[ -z $1 ]] || expect_error_line "$1"
}

test_expect_head_too_short() { bad_expect_head "$(printf 'a%.0s' {1..63})"; }
test_expect_head_too_long() { bad_expect_head "$(printf 'a%.0s' {1..65})"; }
test_expect_head_not_hex() { bad_expect_head "$(printf 'g%.0s' {1..64})"; }
test_expect_head_empty() { bad_expect_head ""; }

# ---------------------------------------------------------------- note text

test_note_empty_argument() {
    setup
    refused 3 cbkit --case "$C" note ""
    expect_error_line
}

test_note_blank_stdin() {
    setup
    refused 3 cbkit --case "$C" note - < <(printf '  \n\t \n')
    expect_error_line
}

test_note_empty_stdin() {
    setup
    refused 3 cbkit --case "$C" note - </dev/null
    expect_error_line
}

test_note_invalid_utf8_stdin() {
    setup
    refused 3 cbkit --case "$C" note - < <(printf 'abc\xff\xfedef')
    expect_error_line
}

test_note_invalid_utf8_argument() {
    setup
    refused 3 cbkit --case "$C" note $'abc\xffdef'
    expect_error_line
}

test_note_stdin_over_1mib() {
    setup
    head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' 'x' >"$T/big.txt"
    refused 3 cbkit --case "$C" note - <"$T/big.txt"
    expect_error_line
}

# ---------------------------------------------------------------- locking and I/O

test_lock_timeout() {
    setup
    "$PY" -c '
import fcntl, sys, time
f = open(sys.argv[1], "rb")
fcntl.flock(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(60)
' "$C/.cbkit.lock" "$T/locked" &
    local holder=$!
    at_exit "kill $holder 2>/dev/null; wait $holder 2>/dev/null"
    local i
    for ((i = 0; i < 100; i++)); do
        [[ -e $T/locked ]] && break
        sleep 0.1
    done
    [[ -e $T/locked ]] || fail "helper could not take the lock"
    local start=$SECONDS
    refused 5 cbkit --case "$C" note "blocked" --lock-timeout 1
    ((SECONDS - start < 20)) || fail "--lock-timeout 1 took $((SECONDS - start)) s"
    expect_error_line "$C"
}

test_case_not_writable() {
    C="$T/case"
    need_unprivileged
    new_case "$C"
    mkdir -m 755 "$T/in"
    mkfile "$T/in/a.txt" "a"
    chmod 644 "$T/in/a.txt"
    if [[ $(id -u) != 0 ]]; then
        chmod -R a-w "$C"
        at_exit "chmod -R u+w '$C'"
    fi
    snap_save "$C"
    refused 6 cbkit_nobody --case "$C" add-file "$T/in/a.txt"
    expect_error_line "$C"
}

test_disk_full() {
    small_disk "$T/mnt" 2m
    C="$T/mnt/case"
    new_case "$C"
    mkfile "$T/in/small.txt" "small"
    add "$T/in/small.txt"
    mkrandom "$T/in/big.bin" $((4 * 1024 * 1024))
    snap_save "$C"
    refused 6 cbkit --case "$C" add-file "$T/in/big.bin"
    expect_error_line
    grep -qF -e "$T/in/big.bin" -e "$C" "$ERR" || _fail_with_outputs "the error names neither the input nor the case"
    expect_verify_ok "$C"
    # nothing was left behind: the space is free again for the next entry
    note "after disk full"
    expect_receipt "$C" 2
    expect_verify_ok "$C"
}

run_tests "$@"
