#!/usr/bin/env bash
# An intake as a forensic script does it, in bash + jq, reading nothing but the --json
# documents (cbkit-json(5)) and their exit codes: a case opened idempotently, a folder of
# mixed and broken inputs of which every file must end up stored, refused with a reason, left
# aside as not an e-mail, or named as a duplicate; bad arguments answered with an error
# document; a seal that is not repeated when nothing changed; every document valid against
# its schema. (The interrupted mbox import and its --skip-existing re-run, and the killed
# run's --jsonl stream, are in ingest.sh.)
source "$(dirname "$0")/lib.sh"

SCHEMAS="$TESTS_DIR/../../schema/json"

# run_json WANT_EXIT COMMAND ARGS... -- cbkit --json ARGS; the exit code must be WANT_EXIT
# and stdout one document valid for COMMAND whose ok and error.exit agree with the exit.
run_json() {
    local want=$1 command=$2
    shift 2
    expect_exit "$want" cbkit --json "$@"
    expect_one_json_doc
    "$PY" "$TESTS_DIR/support/json_contract.py" "$SCHEMAS" "$OUT" "$command" >"$T/valid.out" 2>&1 ||
        _fail_with_outputs "the --json output of '$command' does not match its schema: $(cat "$T/valid.out")"
    if ((want == 0)); then
        expect_jq '.ok == true' '(.error | not)'
    else
        expect_jq '.ok == false' ".error.exit == $want" '.error.message | length > 0'
    fi
}

mkmail() { # FILE N -- a small message, distinct per N
    mkfile "$1" "From: Sam <sam@example.com>
To: lotte@example.org
Subject: message $2
Date: Fri, 20 Nov 2026 21:1$2:00 +0100
Message-ID: <$2@example.com>

body $2
"
}

test_intake_every_input_accounted_for() {
    command -v mkfifo >/dev/null || skip "mkfifo is not available"
    local C="$T/case"
    # Opening the case twice: the second run finds the same case and writes nothing.
    run_json 0 init init "$C" --case-id INTAKE-7 --examiner "M. Janssens" --timezone Europe/Brussels --exist-ok
    expect_jq '.created == true' '.case_id == "INTAKE-7"' '.appended[0].seq == 0'
    run_json 0 init init "$C" --case-id INTAKE-7 --examiner "M. Janssens" --timezone Europe/Brussels --exist-ok
    expect_jq '.created == false' '.appended == []' '.seq == 0'
    run_json 4 init init "$C" --case-id OTHER-1 --examiner "M. Janssens" --exist-ok
    expect_jq '.error.code == "case"'

    # A message already in the case, from an earlier intake.
    mkmail "$T/earlier/old.eml" 1
    run_json 0 add-email --case "$C" add-email "$T/earlier/old.eml"
    expect_jq '.appended[0].seq == 1' '.entry_count == 1'

    # The intake folder: three messages (one without an extension), a copy of the earlier
    # one, a text file, a FIFO, a dangling link and a folder named like a message.
    local in="$T/intake"
    mkmail "$in/a.eml" 2
    mkmail "$in/b.eml" 3
    mkmail "$in/mailbox-export" 4
    cp "$T/earlier/old.eml" "$in/copy-of-old.eml"
    mkfile "$in/README.txt" "what the victim sent us"
    mkfifo "$in/pipe.eml"
    ln -s "$T/nowhere.eml" "$in/gone.eml"
    mkmail "$in/folder.eml/inner.eml" 5

    # Refused inputs stop a plain run with nothing stored: exit 3 and an error document.
    local before
    before=$(manifest_lines "$C")
    run_json 3 add-email --case "$C" add-email "$in" --skip-existing
    expect_jq '.error.code == "input"' '.appended == []' '.refused | length == 2'
    expect_eq "$(manifest_lines "$C")" "$before" "manifest lines after the refused intake"

    # Stored, refused (with a reason), not an e-mail, or a duplicate: nothing else.
    run_json 0 add-email --case "$C" add-email "$in" --skip-unreadable --skip-existing
    expect_jq '.entry_count == 4' '(.appended | length) == 4' '.duplicates | length == 1' \
        ".duplicates[0].duplicate_of == 1" '[.refused[].code] | sort == ["special-file", "symlink"]' \
        '[.refused[].message | length > 0] | all' '.not_email_count == 1'
    local accounted expected
    accounted=$(jq -r '[.entries[].source, .refused[].input, .not_email[], .duplicates[].input] | .[]' "$OUT" | sort)
    expected=$(find "$in" -mindepth 1 ! -type d | sort)
    [[ $accounted == "$expected" ]] || fail "inputs not accounted for:
--- in the folder ---
$expected
--- in the JSON ---
$accounted"
    # Each stored entry's original is the input's bytes, by the hashes the JSON gives.
    local src sha
    while IFS=$'\t' read -r src sha; do
        expect_eq "$(sha_of "$src")" "$sha" "sha256 of $src"
    done < <(jq -r '.entries[] | [.source, .sha256] | @tsv' "$OUT")
    expect_jq '.head == .appended[-1].head' '.seq == .appended[-1].seq' '.committed.count == 4' '.not_committed == []'

    # Three bad arguments: all three named, nothing stored.
    before=$(manifest_lines "$C")
    mkfile "$T/good.png" "png"
    run_json 3 add-file --case "$C" add-file "$T/good.png" "$T/missing-1.png" "$T/missing-2.png" "$T/intake/pipe.eml"
    expect_jq '.refused | length == 3' '[.refused[].code] == ["missing", "missing", "special-file"]' '.appended == []'
    expect_eq "$(manifest_lines "$C")" "$before" "manifest lines after the refused add-file"
    run_json 2 add-file --case "$C" add-file --no-such-option "$T/good.png"
    expect_jq '.error.code == "usage"' '.error.input == "--no-such-option"'

    # Seal once; a second seal with nothing new is not made.
    run_json 0 keygen keygen --out "$T/examiner"
    run_json 0 seal --case "$C" seal --key "$T/examiner.key" --out "$T/s1.tar.gz" --if-changed
    expect_jq '.sealed == true' '.archive.path == "'"$T/s1.tar.gz"'"'
    local seal_seq
    seal_seq=$(jout .seal_seq)
    run_json 0 seal --case "$C" seal --key "$T/examiner.key" --out "$T/s2.tar.gz" --if-changed
    expect_jq '.sealed == false' ".seal_seq == $seal_seq" '.appended == []'
    [[ ! -e $T/s2.tar.gz ]] || fail "a seal with nothing new wrote an archive"

    run_json 0 verify --case "$C" verify --pubkey "$T/examiner.pub"
    run_json 0 verify verify "$T/s1.tar.gz" --pubkey "$T/examiner.pub"
    run_json 3 verify verify "$T/s9.tar.gz"
    expect_jq '.error.code == "input"'
}

run_tests "$@"
