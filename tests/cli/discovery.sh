#!/usr/bin/env bash
# How commands find the case: --case, $CBKIT_CASE, ancestor folder.
source "$(dirname "$0")/lib.sh"

setup() {
    A="$T/caseA"
    B="$T/caseB"
    CASE_ID=CASE-A new_case "$A"
    CASE_ID=CASE-B new_case "$B"
    mkdir -p "$T/plain"
    cd "$T/plain"
}

# wrote_to CASE -- the last command appended line 1 to CASE and to no other.
wrote_to() {
    local other=$B
    [[ $1 == "$B" ]] && other=$A
    expect_eq "$(manifest_lines "$1")" 2 "lines in $1"
    expect_eq "$(manifest_lines "$other")" 1 "lines in $other (must be untouched)"
    expect_receipt "$1" 1
}

test_case_option_before_command() {
    setup
    expect_exit 0 cbkit --case "$A" note "x"
    wrote_to "$A"
}

test_case_option_after_command() {
    setup
    expect_exit 0 cbkit note "x" --case "$A"
    wrote_to "$A"
}

test_case_option_equals_form() {
    setup
    expect_exit 0 cbkit note --case="$B" "x"
    wrote_to "$B"
}

test_env() {
    setup
    CBKIT_CASE="$B" expect_exit 0 cbkit note "x"
    wrote_to "$B"
}

test_ancestor() {
    setup
    cd "$A"
    expect_exit 0 cbkit note "from the case folder"
    wrote_to "$A"
}

test_ancestor_deep() {
    setup
    mkdir -p "$A/seals/deeper/still"
    cd "$A/seals/deeper/still"
    expect_exit 0 cbkit note "from below"
    wrote_to "$A"
    expect_exit 0 cbkit verify --json
    expect_jq ".case == \"$A\" and .ok == true"
}

test_option_beats_env() {
    setup
    CBKIT_CASE="$B" expect_exit 0 cbkit --case "$A" note "x"
    wrote_to "$A"
}

test_env_beats_ancestor() {
    setup
    cd "$A"
    CBKIT_CASE="$B" expect_exit 0 cbkit note "x"
    wrote_to "$B"
}

test_option_beats_ancestor() {
    setup
    cd "$A"
    expect_exit 0 cbkit note "x" --case "$B"
    wrote_to "$B"
}

test_add_file_relative_to_cwd() {
    setup
    mkfile "$T/plain/here.txt" "here"
    cd "$T/plain"
    expect_exit 0 cbkit add-file here.txt --case "$A"
    wrote_to "$A"
    cmp "$T/plain/here.txt" "$A/evidence/000001-file/here.txt" || fail "wrong file stored"
}

test_verify_positional_beats_discovery() {
    setup
    cd "$A"
    CBKIT_CASE="$A" expect_exit 0 cbkit verify "$B" --json
    expect_jq ".case == \"$B\""
}

test_log_show_use_discovery() {
    setup
    CBKIT_CASE="$B" expect_exit 0 cbkit log --json
    expect_jq ".case == \"$B\" and .entries[0].kind == \"case\""
    CBKIT_CASE="$B" expect_exit 0 cbkit show 0 --json
    expect_jq '.entry.case.id == "CASE-B"'
}

run_tests "$@"
