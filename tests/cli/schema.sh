#!/usr/bin/env bash
# Every manifest line validates against the JSON Schema kept in the repo and is
# stored in canonical form.
source "$(dirname "$0")/lib.sh"

SCHEMA=${CBKIT_SCHEMA:-$TESTS_DIR/../../schema/manifest-line.schema.json}

need_schema() {
    [[ -f $SCHEMA ]] || fail "JSON Schema not found: $SCHEMA (set CBKIT_SCHEMA)"
    "$PY" -c 'import jsonschema; jsonschema.Draft202012Validator' 2>/dev/null ||
        skip "$PY has no jsonschema with Draft202012Validator (apt install python3-jsonschema)"
}

# A case with every kind and every optional field.
build_case() {
    C="$T/case"
    new_case "$C" --title "Schema — every kind" --org "Police zone X" --timezone Europe/Brussels
    mkfile "$T/in/shot.png" "png bytes"
    mkrandom "$T/in/video.mp4" 100000
    mkfile "$T/in/target.txt" "link target"
    ln -s "$T/in/target.txt" "$T/in/link.txt"
    local odd=$'odd\xffname.txt'
    mkfile "$T/in/$odd" "odd"
    add "$T/in/shot.png" "$T/in/video.mp4" "$T/in/link.txt" "$T/in/$odd" --follow-symlinks \
        --kind screenshot --note "Threat under the post" --source-url "https://example.com/p/1?x=\"y\"" \
        --observed-at 2026-11-20T21:14:00+01:00 --platform instagram --account-id 1784000001 \
        --examiner "C. Dubois"
    add "$T/in/shot.png"
    note "Called 101, report number 123/2026"
    note $'Multi-line\nnote with "quotes", \\ and é' --kind call --observed-at "2026-11-21 10:05" \
        --platform phone --account-id "+32470000000" --source-url "tel:+32470000000"
    expect_eq "$(manifest_lines "$C")" 5 "lines"
    # the case really holds every optional field
    expect_line_jq "$C" 0 '.case | has("title") and has("organisation")'
    expect_line_jq "$C" 1 \
        '.context | keys_unsorted == ["kind","note","source_url","observed_at","observed_at_utc","platform","account_id","observed_at_offset","observed_at_zone_source"]' \
        '[.files[] | has("symlink")] | any' \
        '[.files[] | has("source_path_base64")] | any'
    expect_line_jq "$C" 4 '.note.text | length > 0'
}

test_every_line_matches_schema() {
    need_schema
    build_case
    "$PY" "$MTOOL" schema "$C/manifest.jsonl" "$SCHEMA" >"$OUT" 2>"$ERR" ||
        _fail_with_outputs "manifest lines do not validate against $SCHEMA"
    expect_eq "$(cat "$OUT")" "valid 5" "validated lines"
}

test_every_line_canonical() {
    build_case
    "$PY" "$MTOOL" canonical "$C/manifest.jsonl" >"$OUT" 2>"$ERR" ||
        _fail_with_outputs "manifest lines are not canonical"
    # and independently of the helper, line by line
    local line
    while IFS= read -r line; do
        "$PY" -c '
import json, sys
line = sys.argv[1]
sys.exit(0 if json.dumps(json.loads(line), separators=(",", ":"), ensure_ascii=False) == line else 1)
' "$line" || fail "line is not canonical: $line"
    done <"$C/manifest.jsonl"
}

# The schema must reject broken lines (proves the validation above can fail).
test_schema_rejects_broken_lines() {
    need_schema
    build_case
    "$PY" "$MTOOL" schema-rejects "$C/manifest.jsonl" "$SCHEMA" \
        "no prev" 2 prev __delete__ \
        "seq as a string" 2 seq '"2"' \
        "no time" 3 time __delete__ \
        "no kind" 3 kind __delete__ \
        "a file without sha256" 2 files.0.sha256 __delete__ \
        "a file without path" 2 files.0.path __delete__ \
        "a file size as a string" 2 files.0.size '"9"' \
        "no actor" 3 actor __delete__ \
        "no tool" 0 tool __delete__ \
        "files not an array" 3 files '"none"' \
        "an unknown zone source" 4 context.observed_at_zone_source '"guessed"' \
        "an offset without its source" 4 context.observed_at_zone_source __delete__ \
        "an offset that is not one" 4 context.observed_at_offset '"CET"' >"$OUT" 2>"$ERR" ||
        _fail_with_outputs "the schema is too lax"
    expect_eq "$(cat "$OUT")" "rejected 13" "rejected edits"
}

run_tests "$@"
