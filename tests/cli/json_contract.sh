#!/usr/bin/env bash
# The scripting contract (cbkit-json(5)): every command's --json output, on success and on
# failure, is one JSON document that validates against its schema in schema/json/ (checked
# with Python's jsonschema, independent of cbkit); failures carry error {code, exit, ...}
# with the documented exit code, and stderr stays one line per problem.
source "$(dirname "$0")/lib.sh"

SCHEMAS="$TESTS_DIR/../../schema/json"

need_jsonschema() {
    "$PY" -c 'import jsonschema; jsonschema.Draft202012Validator' 2>/dev/null ||
        skip "$PY has no jsonschema with Draft202012Validator (apt install python3-jsonschema)"
}

# valid COMMAND -- stdout ($OUT) is one document that validates against COMMAND's schema.
valid() {
    "$PY" "$TESTS_DIR/support/json_contract.py" "$SCHEMAS" "$OUT" "$1" >"$T/valid.out" 2>&1 ||
        _fail_with_outputs "the --json output of '$1' does not match schema/json/$1.schema.json: $(cat "$T/valid.out")"
}

# ok_json COMMAND ARGS... -- cbkit --json ARGS exits 0, ok:true, valid for COMMAND.
ok_json() {
    local command=$1
    shift
    expect_exit 0 cbkit --json "$@"
    expect_one_json_doc
    valid "$command"
    expect_jq '.ok == true' '.format_version == "cbkit-json/1"' "(.error | not)"
}

# fail_json EXIT CODE COMMAND ARGS... -- cbkit --json ARGS exits EXIT with one valid
# document: ok false, error.code CODE, error.exit EXIT; stderr starts "cbkit: error: ".
fail_json() {
    local want=$1 code=$2 command=$3
    shift 3
    expect_exit "$want" cbkit --json "$@"
    expect_one_json_doc
    valid "$command"
    expect_jq '.ok == false' ".error.code == \"$code\"" ".error.exit == $want" '.error.message | length > 0'
    grep -q '^cbkit: error: ' "$ERR" || _fail_with_outputs "stderr has no 'cbkit: error: ' line"
}

setup() {
    need_jsonschema
    C="$T/case"
    new_case "$C" --timezone Europe/Brussels
    mkfile "$T/in/a.txt" "a"
    mkfile "$T/in/b.txt" "b"
    mkfile "$T/in/mail.eml" $'From: Sam <sam@example.com>\r\nTo: lotte@example.org\r\nSubject: hi\r\nDate: Fri, 20 Nov 2026 21:14:00 +0100\r\nMessage-ID: <1@example.com>\r\n\r\nbody\r\n'
}

test_schemas_are_valid() {
    need_jsonschema
    local s
    for s in "$SCHEMAS"/*.schema.json; do
        "$PY" -c 'import json,sys; from jsonschema import Draft202012Validator as V; V.check_schema(json.load(open(sys.argv[1])))' "$s" ||
            fail "$s is not a valid JSON Schema (draft 2020-12)"
    done
}

test_case_commands() {
    setup
    ok_json init init "$T/c2" --examiner X --case-id C2 --timezone UTC
    expect_jq '.command == "init"' '.case_id == "C2"' '.created == true' '.appended | length == 1' '.appended[0].seq == 0'
    fail_json 4 case init init "$T/c2" --examiner X --case-id C2

    ok_json add-file --case "$C" add-file "$T/in/a.txt" "$T/in/b.txt"
    expect_jq '.case_id == "TEST-0001"' '.appended[0].dir == .dir' '.dir == .entry' '.file_count == 2' \
        '.appended[0].files | map(.role) == [null, null]' '.head == .appended[0].head'
    expect_json_receipt "$C"
    fail_json 3 input add-file --case "$C" add-file "$T/in/missing.txt"

    ok_json add-email --case "$C" add-email "$T/in/mail.eml"
    expect_jq '.entry_count == 1' '.entries[0].file_count == .entries[0].files' '.appended | length == 1'
    fail_json 3 input add-email --case "$C" add-email "$T/in/missing.eml"

    ok_json note --case "$C" note "seen at 21:14"
    expect_json_receipt "$C"
    fail_json 3 input note --case "$C" note "   "

    # No web capture in the case: nothing to export (success is tested in wacz.sh).
    fail_json 3 input export-wacz --case "$C" export-wacz --out "$T/x.wacz"

    ok_json person --case "$C" person --role suspect --name Sam
    local person
    person=$(jout .person)
    fail_json 2 usage person --case "$C" person --role nobody

    ok_json add-call --case "$C" add-call --at "2026-11-20T21:14:00+01:00" --direction incoming --from withheld --to +32470000000
    expect_jq '.dir == null' '.appended[0].files == []'
    fail_json 2 usage add-call --case "$C" add-call --at "2026-11-20T21:14:00+01:00" --direction sideways --from withheld --to +32470000000

    mkfile "$T/chat.txt" "20/11/2026, 21:14 - Sam: you will regret this
20/11/2026, 21:15 - Lotte: stop
"
    ok_json add-chat --case "$C" add-chat "$T/chat.txt" --about-person "$person"
    expect_jq '.chat.platform == "whatsapp"' '.file_count == (.files | length)' '.appended[0].files | length >= 2'
    fail_json 3 input add-chat --case "$C" add-chat "$T/nochat.txt"

    ok_json checklist --case "$C" checklist --na 14 --because "no recordings"
    fail_json 2 usage checklist --case "$C" checklist --na 99 --because "x"

    ok_json log --case "$C" log
    expect_jq '.entry_count == (.entries | length)' '.entries[1].file_count == 2' '.seq == (.entries | length) - 1'
    fail_json 4 case log --case "$T/nowhere-$RANDOM" log

    ok_json show --case "$C" show 1
    expect_jq '.seq == 1' '.line == .entry' '.line.kind == "file"'
    fail_json 4 case show --case "$C" show 99

    ok_json report --case "$C" report --format json --no-verify
    expect_jq '.appended == []' '.head == .describes.head'
    ok_json report --case "$C" report --format txt --record
    expect_jq '.appended | length == 1' '.recorded.seq == .seq'
    fail_json 2 usage report --case "$C" report --lang xx

    ok_json verify verify "$C"
    expect_jq '.entry_count == .entries' '.case == "'"$C"'"'
    fail_json 3 input verify verify "$T/missing.tar.gz"
}

test_seal_commands() {
    setup
    add "$T/in/a.txt"
    ok_json keygen keygen --out "$T/examiner"
    expect_jq '.key_fingerprint == .fingerprint'
    fail_json 2 usage keygen keygen --out "$T/examiner"
    ok_json keygen keygen --out "$T/recv" --age

    ok_json seal --case "$C" seal --key "$T/examiner.key" --out "$T/s1.tar.gz"
    expect_jq '.sealed == true' '.seal_seq == .seq' '.dir == .entry' '.archive.path == "'"$T/s1.tar.gz"'"' \
        '.appended | length == 2' '.appended[1].seq == .seal_seq' '.report.seq == .appended[0].seq'
    local seal_seq
    seal_seq=$(jout .seal_seq)
    fail_json 2 usage seal --case "$C" seal --key "$T/examiner.key" --out "$T/s1.tar.gz"

    ok_json pack --case "$C" pack --key "$T/examiner.key" --out "$T/p.tar.age" --recipient "$(tail -n1 "$T/recv.age.pub")"
    expect_jq ".seal == $seal_seq" '.seal_seq == .seal' '.archive.sha256 == .sha256' '.archive.encrypted_to | length == 1'
    fail_json 2 usage pack --case "$C" pack --key "$T/examiner.key" --out "$T/p2.tar" --seal 1

    ok_json prove --case "$C" prove 1 --out "$T/p1.json"
    expect_jq '.seq == 1' ".seal_seq == $seal_seq" '.seal == .seal_seq'
    fail_json 4 case prove --case "$C" prove 99 --out "$T/p99.json"

    ok_json verify-proof verify-proof "$T/p1.json" --pubkey "$T/examiner.pub"
    fail_json 3 input verify-proof verify-proof "$T/nope.json" --pubkey "$T/examiner.pub"

    ok_json decrypt decrypt "$T/p.tar.age" --out "$T/clear.tar" --identity "$T/recv.age.key"
    fail_json 3 input decrypt decrypt "$T/nope.age" --out "$T/clear2.tar" --identity "$T/recv.age.key"

    ok_json verify verify "$T/s1.tar.gz" --pubkey "$T/examiner.pub"
    expect_jq '.case == null' '.archive == "'"$T/s1.tar.gz"'"'
}

test_version_json() {
    need_jsonschema
    expect_exit 0 cbkit --version --json
    valid version
    expect_jq '.name == "cbkit"' '.version | test("^[0-9]+\\.[0-9]+")' '.exit_codes.input == 3' '.json_format_version == "cbkit-json/1"'
    expect_exit 0 cbkit --version
    expect_stdout_matches '^cbkit [0-9]'
}

# Argument errors from the parser: JSON envelope on stdout, one line on stderr in the form
# "cbkit: error: <input>: <what>; <what to do>".
test_parse_errors() {
    need_jsonschema
    C="$T/case"
    new_case "$C"
    fail_json 2 usage add-file --case "$C" add-file
    expect_error_line "FILE: required; see 'cbkit add-file --help'"
    expect_jq '.command == "add-file"' '.error.input == "FILE"' ".error.hint == \"see 'cbkit add-file --help'\""
    fail_json 2 usage note --case "$C" note x --bogus
    expect_error_line "--bogus: not expected here; see 'cbkit note --help'"
    fail_json 2 usage add-chat --case "$C" add-chat x --date-order sideways
    expect_error_line "--date-order: sideways not in {day-first,month-first}; see 'cbkit add-chat --help'"
    expect_exit 2 cbkit --json frobnicate
    expect_one_json_doc
    "$PY" "$TESTS_DIR/support/json_contract.py" "$SCHEMAS" "$OUT" >/dev/null || _fail_with_outputs "unknown command: envelope invalid"
    expect_jq '.error.code == "usage"' '.error.input == "'"'frobnicate'"'"'
    expect_error_line "'frobnicate': unknown command"
    # without --json, stdout stays empty
    expect_exit 2 cbkit --case "$C" note
    expect_stdout_empty
    expect_error_line "TEXT: required"
}

# Several bad inputs are all named, in refused[] and one stderr line each; nothing is stored.
test_all_bad_inputs_named() {
    need_jsonschema
    C="$T/case"
    new_case "$C"
    mkfile "$T/good.txt" "good"
    mkdir "$T/dir"
    ln -s "$T/good.txt" "$T/link.txt"
    snap_save "$C"
    fail_json 3 input add-file --case "$C" add-file "$T/good.txt" "$T/m1" "$T/dir" "$T/link.txt"
    expect_jq '.refused | length == 3' \
        '.refused | map(.code) == ["missing", "directory", "symlink"]' \
        '.refused[0].input == "'"$T/m1"'"' '.appended == []'
    expect_eq "$(nlines "$ERR")" 3 "stderr lines (one per refused input)"
    expect_stderr_contains "cbkit: error: $T/m1: no such file"
    expect_stderr_contains "cbkit: error: $T/dir: is a directory"
    snap_check "$C"
    fail_json 3 input add-email --case "$C" add-email "$T/m1.eml" "$T/m2.eml"
    expect_jq '.refused | map(.input) == ["'"$T/m1.eml"'", "'"$T/m2.eml"'"]'
    expect_eq "$(nlines "$ERR")" 2 "stderr lines"
    # one bad input: the error as before, and refused[] names it
    fail_json 3 input add-file --case "$C" add-file "$T/good.txt" "$T/m1"
    expect_error_line "$T/m1: no such file"
    expect_jq '.refused | length == 1' '.error.input == "'"$T/m1"'"'
    snap_check "$C"
}

# A name with control characters stays on one escaped stderr line.
test_control_characters_escaped() {
    C="$T/case"
    new_case "$C"
    local bad=$'evil\nname\e[31m.txt'
    expect_exit 3 cbkit --case "$C" add-file "$T/$bad"
    expect_error_line 'evil\nname\x1b[31m.txt: no such file'
}

test_init_exist_ok() {
    need_jsonschema
    C="$T/case"
    new_case "$C"
    local head
    head=$(manifest_head "$C")
    snap_save "$C"
    ok_json init init "$C" --examiner "$EXAMINER" --case-id "$CASE_ID" --exist-ok
    expect_jq '.created == false' ".head == \"$head\"" '.seq == 0' '.appended == []' ".case_id == \"$CASE_ID\""
    snap_check "$C"
    expect_exit 0 cbkit init "$C" --examiner "$EXAMINER" --case-id "$CASE_ID" --exist-ok
    expect_stdout_contains "already in"
    # another case id: an error, nothing written
    fail_json 4 case init init "$C" --examiner "$EXAMINER" --case-id OTHER-1 --exist-ok
    expect_error_line "holds case $CASE_ID, not OTHER-1"
    # without --case-id there is nothing to recognise the case by
    fail_json 2 usage init init "$C" --examiner "$EXAMINER" --exist-ok
    # a plain re-run still refuses
    fail_json 4 case init init "$C" --examiner "$EXAMINER" --case-id "$CASE_ID"
    snap_check "$C"
    # a new folder: created as usual
    ok_json init init "$T/new" --examiner "$EXAMINER" --case-id NEW-1 --exist-ok
    expect_jq '.created == true'
}

test_seal_if_changed() {
    need_jsonschema
    C="$T/case"
    new_case "$C"
    mkfile "$T/a.txt" "a"
    add "$T/a.txt"
    expect_exit 0 cbkit keygen --out "$T/k"
    ok_json seal --case "$C" seal --key "$T/k.key" --out "$T/s1.tar" --if-changed
    expect_jq '.sealed == true'
    local seal_seq
    seal_seq=$(jout .seal_seq)
    snap_save "$C"
    ok_json seal --case "$C" seal --key "$T/k.key" --out "$T/s2.tar" --if-changed
    expect_jq '.sealed == false' ".seal_seq == $seal_seq" ".seq == $seal_seq" '.archive == null' '.appended == []'
    [[ ! -e $T/s2.tar ]] || fail "an unchanged case wrote an archive"
    snap_check "$C"
    expect_exit 0 cbkit --case "$C" seal --key "$T/k.key" --out "$T/s2.tar" --if-changed
    expect_stdout_contains "unchanged: nothing was added since seal $seal_seq"
    note "later"
    ok_json seal --case "$C" seal --key "$T/k.key" --out "$T/s3.tar" --if-changed
    expect_jq '.sealed == true' ".seal_seq > $seal_seq"
}

test_capture_failed_attempt_recorded() {
    need_jsonschema
    C="$T/case"
    new_case "$C"
    # port 9 (discard) on localhost: nothing listens, the connection is refused
    fail_json 3 input capture-url --case "$C" capture-url "http://127.0.0.1:9/x" --timeout 2
    expect_jq '.error.recorded == true' '.failed_attempts | length == 1' '.failed_attempts[0] == .appended[0].seq' \
        '.entries[0].complete == false'
}

test_capture_locked_before_fetch() {
    need_jsonschema
    C="$T/case"
    new_case "$C"
    "$PY" - "$T/http.port" "$T/hits" <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        open(sys.argv[2], "a").write("hit\n")
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_port))
s.serve_forever()
PY
    at_exit "kill $!"
    local i
    for i in $(seq 200); do [[ -s $T/http.port ]] && break; sleep 0.05; done
    flock "$C/.cbkit.lock" sleep 5 &
    at_exit "kill $! 2>/dev/null"
    sleep 0.3
    fail_json 5 locked capture-url --case "$C" --lock-timeout 0.2 capture-url "http://127.0.0.1:$(cat "$T/http.port")/"
    [[ ! -e $T/hits ]] || fail "the page was fetched although the case was locked"
    expect_eq "$(manifest_lines "$C")" 1 "manifest lines"
}

test_prove_missing_entry_is_case_error() {
    C="$T/case"
    new_case "$C"
    expect_exit 4 cbkit --case "$C" prove 99 --out "$T/p.json"
    expect_error_line "entry 99: no such entry"
    expect_exit 4 cbkit --case "$C" show 99
    expect_error_line "entry 99: no such entry"
}

test_verify_missing_archive_is_input_error() {
    expect_exit 3 cbkit verify "$T/missing.tar.gz"
    expect_error_line "$T/missing.tar.gz: no such file or folder"
}

# An import that fails part-way: the one document lists what was committed before.
test_error_keeps_appended() {
    need_jsonschema
    C="$T/case"
    new_case "$C"
    mkdir "$T/mails"
    mkfile "$T/mails/1.eml" $'From: a@example.com\r\nSubject: one\r\n\r\nx\r\n'
    mkfile "$T/mails/2.eml" $'From: a@example.com\r\nSubject: two\r\n\r\ny\r\n'
    # a locked case: nothing is appended, the error is "locked" in JSON
    flock "$C/.cbkit.lock" sleep 3 &
    at_exit "kill $! 2>/dev/null"
    sleep 0.3
    fail_json 5 locked add-email --case "$C" --lock-timeout 0.2 add-email "$T/mails"
    expect_jq '.appended == []' '.case_id == "'"$CASE_ID"'"'
}

run_tests "$@"
