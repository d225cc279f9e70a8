#!/usr/bin/env bash
# cbkit person, add-call, checklist and --from-person/--about-person: the structured facts
# a complaint is built on (issue 12), written through the one entry builder.
source "$(dirname "$0")/lib.sh"

setup() {
    C="$T/case"
    new_case "$C" --timezone Europe/Brussels
}

test_person_victim_and_suspect() {
    setup
    expect_exit 0 cbkit --case "$C" person --role victim --name "Lotte" --phone "0470 12 34 56" --email lotte@example.be
    expect_stdout_contains "person 1"
    expect_receipt "$C" 1
    expect_line_jq "$C" 1 '.kind == "person" and .files == []' \
        '.person == {"role":"victim","names":["Lotte"],"emails":["lotte@example.be"],"phones":[{"as_typed":"0470 12 34 56","e164":"+32470123456","e164_rule":"national number, country code 32 from the case'"'"'s time zone Europe/Brussels"}]}'
    expect_exit 0 cbkit --case "$C" person --role suspect --name "Sam" --account "instagram:1234567890:https://www.instagram.com/sam_x" \
        --handle @sam_x --phone "+32 499 99 88 77" --json
    expect_jq '.person == 2 and .seq == 2'
    expect_line_jq "$C" 2 '.person.role == "suspect"' '.person.accounts == [{"platform":"instagram","id":"1234567890","url":"https://www.instagram.com/sam_x"}]' \
        '.person.phones[0]."e164" == "+32499998877" and .person.phones[0]."e164_rule" == "international number as typed"'
    # More identifiers for the same person.
    expect_exit 0 cbkit --case "$C" person --id 2 --email sam.x@mail.example
    expect_line_jq "$C" 3 '.person == {"adds_to":2,"emails":["sam.x@mail.example"]}'
    # log says who, in words.
    expect_exit 0 cbkit --case "$C" log --json
    expect_jq '.entries[1].summary == "victim Lotte, lotte@example.be, +32470123456"' \
        '.entries[3].summary == "adds to person 2: sam.x@mail.example"'
    expect_verify_ok "$C"
}

test_person_bad_input_changes_nothing() {
    setup
    expect_exit 0 cbkit --case "$C" note "not a person"
    snap_save "$C"
    expect_exit 2 cbkit --case "$C" person --role boss --name X
    expect_stderr_contains "--role 'boss'"
    expect_exit 2 cbkit --case "$C" person --name X
    expect_stderr_contains "--role is required"
    expect_exit 2 cbkit --case "$C" person --role suspect --phone "0470 12 AB 56"
    expect_stderr_contains "--phone '0470 12 AB 56'"
    expect_exit 2 cbkit --case "$C" person --role suspect --email "not-an-address"
    expect_exit 2 cbkit --case "$C" person --role suspect
    expect_stderr_contains "at least one identifier"
    expect_exit 2 cbkit --case "$C" person --id 1 --name X
    expect_stderr_contains "--id 1: entry 1 is not a person"
    expect_exit 2 cbkit --case "$C" person --id 99 --name X
    expect_exit 2 cbkit --case "$C" person --role suspect --account "instagram"
    snap_check "$C"
}

test_attribution() {
    setup
    expect_exit 0 cbkit --case "$C" person --role suspect --name Sam
    mkfile "$T/in/shot.png" "png bytes"
    expect_exit 0 cbkit --case "$C" add-file "$T/in/shot.png" --from-person 1 --kind screenshot
    expect_line_jq "$C" 2 '.context == {"kind":"screenshot","from_person":1}'
    expect_exit 0 cbkit --case "$C" note "asked her to send photos" --kind requested-action --about-person 1
    expect_line_jq "$C" 3 '.context.about_person == 1 and .context.kind == "requested-action"'
    snap_save "$C"
    # Only a person can be named, and nothing is written otherwise.
    expect_exit 2 cbkit --case "$C" add-file "$T/in/shot.png" --from-person 2
    expect_stderr_contains "--from-person 2: entry 2 is not a person"
    expect_exit 2 cbkit --case "$C" note "x" --about-person 42
    snap_check "$C"
    expect_verify_ok "$C"
}

test_call_withheld_with_recording() {
    setup
    expect_exit 0 cbkit --case "$C" person --role victim --name Lotte --phone 0470123456
    mkrandom "$T/in/call.m4a" 5000
    expect_exit 0 cbkit --case "$C" add-call --at 2026-11-20T21:14:00+01:00 --direction incoming --from withheld \
        --to "0470 12 34 56" --duration 1m35s --recording "$T/in/call.m4a" --about-person 1 --note "threatening voice"
    expect_receipt "$C" 2
    expect_line_jq "$C" 2 '.kind == "call"' \
        '.call.direction == "incoming" and .call.from == {"withheld":true}' \
        '.call.to.number == {"as_typed":"0470 12 34 56","e164":"+32470123456","e164_rule":"national number, country code 32 from the case'"'"'s time zone Europe/Brussels"}' \
        '.call.at == {"as_typed":"2026-11-20T21:14:00+01:00","utc":"2026-11-20T20:14:00Z","offset":"+01:00","zone_source":"offset-given"}' \
        '.call.duration_seconds == 95 and .call.recording == "call.m4a"' \
        '.files | length == 1 and .[0].role == "recording" and .[0].path == "evidence/000002-call/call.m4a"' \
        ".files[0].sha256 == \"$(sha_of "$T/in/call.m4a")\"" \
        '.context == {"note":"threatening voice","about_person":1}'
    expect_eq "$(sha_of "$C/evidence/000002-call/call.m4a")" "$(sha_of "$T/in/call.m4a")" "stored recording"
    expect_exit 0 cbkit --case "$C" log --json
    expect_jq '.entries[2].summary | startswith("incoming call from withheld number to +32470123456 at 2026-11-20T21:14:00+01:00, 95 s, recorded")'
    expect_verify_ok "$C"
}

test_call_local_time_in_case_zone() {
    setup
    expect_exit 0 cbkit --case "$C" add-call --at "2026-07-01 09:05" --direction outgoing --from 0470123456 --to 0499112233
    expect_line_jq "$C" 1 '.call.at == {"as_typed":"2026-07-01 09:05","utc":"2026-07-01T07:05:00Z","offset":"+02:00","zone":"Europe/Brussels","zone_source":"case-zone"}'
}

test_call_bad_input_changes_nothing() {
    setup
    snap_save "$C"
    expect_exit 2 cbkit --case "$C" add-call --at "yesterday" --direction incoming --from withheld --to 0470123456
    expect_stderr_contains "--at"
    expect_stderr_contains "yesterday"
    # A local time in the autumn clock change happens twice in the case's zone: refused, both named.
    expect_exit 2 cbkit --case "$C" add-call --at "2026-10-25 02:30" --direction incoming --from withheld --to 0470123456
    expect_stderr_contains "happens twice"
    expect_stderr_contains "+02:00"
    expect_stderr_contains "+01:00"
    expect_exit 2 cbkit --case "$C" add-call --at 2026-11-20T21:14:00+01:00 --direction sideways --from withheld --to 0470123456
    expect_exit 2 cbkit --case "$C" add-call --at 2026-11-20T21:14:00+01:00 --direction incoming --from "call me" --to 0470123456
    expect_exit 2 cbkit --case "$C" add-call --at 2026-11-20T21:14:00+01:00 --direction incoming --from withheld --to 0470123456 --duration 5x
    expect_exit 2 cbkit --case "$C" add-call --at 2026-11-20T21:14:00+01:00 --direction incoming --from withheld
    expect_exit 3 cbkit --case "$C" add-call --at 2026-11-20T21:14:00+01:00 --direction incoming --from withheld --to 0470123456 \
        --recording "$T/missing.m4a"
    snap_check "$C"
}

test_checklist_not_applicable() {
    setup
    expect_exit 0 cbkit --case "$C" checklist --na 13 --because "the caller's number was always shown" --json
    expect_jq '.point == 13 and .status == "not-applicable" and .seq == 1'
    expect_line_jq "$C" 1 '.checklist == {"point":13,"status":"not-applicable","because":"the caller'"'"'s number was always shown"}'
    snap_save "$C"
    expect_exit 2 cbkit --case "$C" checklist --na 16 --because x
    expect_exit 2 cbkit --case "$C" checklist --na 3 --because " "
    snap_check "$C"
}

test_new_kinds_match_the_schema() {
    setup
    expect_exit 0 cbkit --case "$C" person --role suspect --name Sam --phone +32499998877 --account facebook:100001
    expect_exit 0 cbkit --case "$C" add-call --at 2026-11-20T21:14:00Z --direction outgoing --from 0470123456 --to +32499998877 --sms "stop"
    expect_exit 0 cbkit --case "$C" checklist --na 14 --because "no call was recorded"
    python3 - "$CBKIT_SCHEMA" "$C/manifest.jsonl" <<'EOF' || fail "a line does not match the manifest schema"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
for line in open(sys.argv[2]):
    jsonschema.validate(json.loads(line), schema)
EOF
}

run_tests "$@"
